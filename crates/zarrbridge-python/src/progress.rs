//! Progress of long operations: counters (`ProgressCounter`) that an operation started while
//! one is active in `progress_var` adds to, read by the Python side whenever it likes. Nothing
//! here calls Python: the Python side polls (see `python/zarrbridge/_progress.py`).

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::IntoPyDict;
use zarrbridge_core::progress::Progress;

/// Chunks and bytes done and planned by the operation it was active for.
#[pyclass(frozen, name = "ProgressCounter", module = "zarrbridge._native")]
pub struct PyProgressCounter {
    inner: Arc<Progress>,
}

#[pymethods]
impl PyProgressCounter {
    #[new]
    fn new() -> Self {
        Self {
            inner: Progress::new(),
        }
    }

    /// `(chunks_done, chunks_total, bytes_done, bytes_total)` now.
    fn snapshot(&self) -> (u64, u64, u64, u64) {
        let s = self.inner.snapshot();
        (s.chunks_done, s.chunks_total, s.bytes_done, s.bytes_total)
    }
}

/// The `contextvars.ContextVar` holding the counter of the operation about to start (or None).
pub fn progress_var(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static VAR: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    VAR.get_or_try_init(py, || {
        py.import("contextvars")?
            .getattr("ContextVar")?
            .call(
                ("zarrbridge_progress",),
                Some(&[("default", py.None())].into_py_dict(py)?),
            )
            .map(Bound::unbind)
    })
    .map(|var| var.bind(py))
}

/// The counter active in the caller's context, if any.
pub fn active(py: Python<'_>) -> PyResult<Option<Arc<Progress>>> {
    let current = progress_var(py)?.call_method0("get")?;
    if current.is_none() {
        return Ok(None);
    }
    Ok(Some(
        current.cast::<PyProgressCounter>()?.get().inner.clone(),
    ))
}
