//! The shape most native functions share.

/// A native function `name(store, <arg>: str, callback=None)` whose work is `body`, run with
/// the store and the string argument (see `runtime::run` for the blocking and the callback
/// forms). The expansion site must import `PyStore`, `run` and pyo3's prelude.
macro_rules! store_function {
    ($(#[$doc:meta])* $name:ident, |$store:ident, $arg:ident| $body:expr) => {
        $(#[$doc])*
        #[pyfunction]
        #[pyo3(signature = (store, $arg, callback=None))]
        pub fn $name(
            py: Python<'_>,
            store: &PyStore,
            $arg: String,
            callback: Option<Py<PyAny>>,
        ) -> PyResult<Py<PyAny>> {
            let $store = store.inner.clone();
            run(py, async move { $body }, callback)
        }
    };
}
