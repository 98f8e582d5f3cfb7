//! The memory limit of one allocation (see `zarrbridge_core::limits`).

use pyo3::prelude::*;

/// The limit in bytes now in force.
#[pyfunction]
pub fn memory_limit() -> u64 {
    zarrbridge_core::limits::memory_limit()
}

/// Set the limit in bytes (`None`: the default); returns the limit now in force.
#[pyfunction]
#[pyo3(signature = (limit))]
#[allow(clippy::needless_pass_by_value)] // pyo3 hands the argument over by value
pub fn set_memory_limit(limit: Option<u64>) -> u64 {
    zarrbridge_core::limits::set_memory_limit(limit)
}
