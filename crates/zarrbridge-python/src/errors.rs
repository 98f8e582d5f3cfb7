//! Core errors to the exception classes of `zarrbridge.errors`, in one place.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyType;
use zarrbridge_core::Error;

fn class_name(err: &Error) -> &'static str {
    match err {
        Error::InvalidPath { .. } => "InvalidPathError",
        Error::NodeNotFound(_) => "NodeNotFoundError",
        Error::NodeExists(_) => "NodeExistsError",
        Error::Metadata(_) => "MetadataError",
        Error::InvalidData(_) => "InvalidDataError",
        Error::ChunkIndex(_) => "ChunkIndexError",
        Error::Selection(_) => "SelectionError",
        Error::InvalidOption(_) => "InvalidOptionError",
        Error::Unsupported(_) => "UnsupportedError",
        Error::Codec(_) => "CodecError",
        Error::Store(_) => "StoreError",
    }
}

/// The Python exception for a core error.
#[allow(clippy::needless_pass_by_value)] // used as `map_err(to_pyerr)`
pub fn to_pyerr(err: Error) -> PyErr {
    let message = err.to_string();
    Python::attach(|py| {
        let class = py
            .import("zarrbridge.errors")
            .and_then(|m| m.getattr(class_name(&err)))
            .and_then(|c| c.cast_into::<PyType>().map_err(PyErr::from));
        match class {
            Ok(class) => PyErr::from_type(class, message),
            Err(import_error) => {
                let err = PyRuntimeError::new_err(message);
                err.set_cause(py, Some(import_error));
                err
            }
        }
    })
}

/// Shorthand for results of core calls made while holding the GIL.
pub fn check<T>(result: zarrbridge_core::Result<T>) -> PyResult<T> {
    result.map_err(to_pyerr)
}
