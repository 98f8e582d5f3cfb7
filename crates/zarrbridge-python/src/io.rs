//! What operations cost (`IoStats`, collected while `zarrbridge.io.io_stats()` is active) and
//! how partial shard reads group inner chunks into requests.

use std::collections::BTreeMap;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{IntoPyDict, PyTuple};
use zarrbridge_core::io_stats::{IoStats, RequestKind};
use zarrbridge_core::shards::Coalescing;

/// Counters of the store requests made by operations run while they are active.
#[pyclass(frozen, name = "IoStats", module = "zarrbridge._native")]
pub struct PyIoStats {
    inner: Arc<IoStats>,
}

#[pymethods]
impl PyIoStats {
    #[new]
    fn new() -> Self {
        Self {
            inner: IoStats::new(),
        }
    }

    /// Requests by kind (`get`, `get_range`, `head`, `put`, `delete`, `list`).
    #[getter]
    fn requests(&self) -> BTreeMap<&'static str, u64> {
        RequestKind::ALL
            .iter()
            .map(|&k| (k.name(), self.inner.requests(k)))
            .collect()
    }

    /// Requests of every kind.
    #[getter]
    fn total_requests(&self) -> u64 {
        self.inner.total_requests()
    }

    /// Bytes of values received from the store.
    #[getter]
    fn bytes_read(&self) -> u64 {
        self.inner.bytes_read()
    }

    /// Bytes of values sent to the store.
    #[getter]
    fn bytes_written(&self) -> u64 {
        self.inner.bytes_written()
    }

    /// Seconds during which at least one request was in flight.
    #[getter]
    fn wait_seconds(&self) -> f64 {
        self.inner.wait_time().as_secs_f64()
    }

    /// Zero every counter.
    fn reset(&self) {
        self.inner.reset();
    }
}

/// The `contextvars.ContextVar` holding the tuple of `IoStats` collecting now.
pub fn stats_var(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static VAR: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    VAR.get_or_try_init(py, || {
        let empty = PyTuple::empty(py);
        py.import("contextvars")?
            .getattr("ContextVar")?
            .call(
                ("zarrbridge_io_stats",),
                Some(&[("default", empty)].into_py_dict(py)?),
            )
            .map(Bound::unbind)
    })
    .map(|var| var.bind(py))
}

/// The counters active in the caller's context (an empty list when none are).
pub fn active(py: Python<'_>) -> PyResult<Vec<Arc<IoStats>>> {
    let current = stats_var(py)?.call_method0("get")?;
    let tuple = current.cast::<PyTuple>()?;
    tuple
        .iter()
        .map(|s| Ok(s.cast::<PyIoStats>()?.get().inner.clone()))
        .collect()
}

/// `(max_gap_bytes, max_bytes)` now in force.
#[pyfunction]
pub fn read_coalescing() -> (u64, u64) {
    let c = Coalescing::current();
    (c.max_gap, c.max_bytes)
}

/// Put `(max_gap_bytes, max_bytes)` in force for this process.
#[pyfunction]
pub fn set_read_coalescing(max_gap_bytes: u64, max_bytes: u64) {
    Coalescing {
        max_gap: max_gap_bytes,
        max_bytes,
    }
    .install();
}
