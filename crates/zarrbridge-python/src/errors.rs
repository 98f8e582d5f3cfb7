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
        Error::Resource(_) => "ResourceError",
    }
}

/// The Python exception for a core error. When the error came from a Python store, that
/// store's own exception is raised, chained from the library's (`__cause__`).
#[allow(clippy::needless_pass_by_value)] // used as `map_err(to_pyerr)`
pub fn to_pyerr(err: Error) -> PyErr {
    let message = err.to_string();
    let library_error = library_error(&err, message.clone());
    match crate::pystore::take_python_error(&message) {
        Some(original) => Python::attach(|py| {
            original.set_cause(py, Some(library_error));
            original
        }),
        None => library_error,
    }
}

fn library_error(err: &Error, message: String) -> PyErr {
    Python::attach(|py| {
        let class = py
            .import("zarrbridge.errors")
            .and_then(|m| m.getattr(class_name(err)))
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
