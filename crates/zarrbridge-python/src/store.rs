//! `Store`: a store declaration rebuilt in Rust.

use pyo3::prelude::*;
use zarrbridge_core::{Store, StoreDecl};

use pyo3_object_store::PyObjectStore;

use crate::convert::{to_python, Json};
use crate::errors::check;

/// A store rebuilt in Rust from its declaration.
#[pyclass(
    frozen,
    skip_from_py_object,
    name = "Store",
    module = "zarrbridge._native"
)]
#[derive(Clone)]
pub struct PyStore {
    pub inner: Store,
}

#[pymethods]
impl PyStore {
    /// Build a store from a URL (`file:///dir`, `memory://name`, `s3://bucket/prefix`, ...)
    /// or a plain path, with obstore-style options (`{"config": ..., "client_options": ...,
    /// "retry_config": ...}`).
    #[staticmethod]
    #[pyo3(signature = (url, options=None))]
    fn from_url(url: &str, options: Option<Json>) -> PyResult<Self> {
        let options = options.map_or(serde_json::Value::Null, |o| o.0);
        let decl = check(StoreDecl::from_url_with_options(url, &options))?;
        Ok(Self {
            inner: check(Store::new(decl))?,
        })
    }

    /// Use a store object built by this module's `store` builders (its connection pool is
    /// shared), described by `declaration` for pickling and display.
    #[staticmethod]
    #[allow(clippy::needless_pass_by_value)] // pyo3 extracts arguments by value
    fn from_object_store(object_store: PyObjectStore, declaration: Json) -> PyResult<Self> {
        let decl = check(StoreDecl::from_json(&declaration.0))?;
        Ok(Self {
            inner: Store::with_object_store(decl, object_store.into_dyn()),
        })
    }

    /// A store over a Python object implementing the async store family (`asynchronous`) or
    /// the sync one; `label` names it in messages.
    #[staticmethod]
    fn from_python_store(
        store: &Bound<'_, PyAny>,
        asynchronous: bool,
        label: String,
    ) -> PyResult<Self> {
        let storage = if asynchronous {
            crate::pystore_async::PyAsyncStorage::storage(store)?
        } else {
            crate::pystore_sync::PySyncStorage::storage(store)?
        };
        Ok(Self {
            inner: Store::with_storage(label, storage),
        })
    }

    /// Rebuild a store from its `declaration`.
    #[staticmethod]
    #[allow(clippy::needless_pass_by_value)] // pyo3 extracts arguments by value
    fn from_declaration(declaration: Json) -> PyResult<Self> {
        let decl = check(StoreDecl::from_json(&declaration.0))?;
        Ok(Self {
            inner: check(Store::new(decl))?,
        })
    }

    /// The declaration, as a new dict.
    #[getter]
    fn declaration<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &self.inner.decl().to_json())
    }

    /// A URL naming the store (safe to show).
    #[getter]
    fn url(&self) -> String {
        self.inner.url()
    }

    fn __repr__(&self) -> String {
        format!("Store({:?})", self.inner.url())
    }
}
