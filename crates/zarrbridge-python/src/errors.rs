//! Core errors to the exception classes of `zarrbridge.errors`, in one place.
//!
//! The exception is chained (`__cause__`) from the error's cause: an `OSError` of the right
//! subclass for a file-system error, an obstore-compatible exception for an `object_store`
//! error, and an [`RustError`] for any other library's error. A Python store's own exception
//! travels inside the error value ([`PythonException`]) and is raised again unchanged, chained
//! from the library's error (which names the store).

use std::error::Error as StdError;

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyOSError, PyRuntimeError};
use pyo3::prelude::*;
use pyo3::types::PyType;
use zarrbridge_core::error::{OsErrorAt, Redacted};
use zarrbridge_core::Error;

create_exception!(
    zarrbridge._native,
    RustError,
    PyException,
    "An error of a library below zarrbridge (zarrs, a codec, the JSON parser), chained as the \
     cause of the zarrbridge exception it led to."
);

/// Holds a Python exception for a Rust thread (see `pystore.rs`, which releases it safely).
pub trait HeldException: Send + Sync {
    /// The exception, ready to be raised again.
    fn restore(&self, py: Python<'_>) -> PyErr;
}

/// An exception raised by Python code that Rust called (a Python store's method), carried
/// through zarrs and the core as an ordinary `std::error::Error` (inside the
/// `std::io::Error` that `zarrs::storage::StorageError::IOError` holds).
pub struct PythonException {
    text: String,
    held: Box<dyn HeldException>,
}

impl PythonException {
    /// Carry `held`, described by `text` (`"KeyError: 'x'"`) in Rust messages.
    pub fn new(text: String, held: Box<dyn HeldException>) -> Self {
        Self { text, held }
    }
}

impl std::fmt::Debug for PythonException {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PythonException({})", self.text)
    }
}

impl std::fmt::Display for PythonException {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl StdError for PythonException {}

fn class_name(err: &Error) -> &'static str {
    match err {
        Error::InvalidPath { .. } => "InvalidPathError",
        Error::NodeNotFound(_) => "NodeNotFoundError",
        Error::NodeExists(_) => "NodeExistsError",
        Error::Metadata { .. } => "MetadataError",
        Error::InvalidData(_) => "InvalidDataError",
        Error::ChunkIndex(_) => "ChunkIndexError",
        Error::Selection(_) => "SelectionError",
        Error::InvalidOption(_) => "InvalidOptionError",
        Error::Unsupported(_) => "UnsupportedError",
        Error::Codec { .. } => "CodecError",
        Error::Checksum { .. } => "ChecksumError",
        Error::Resource(_) => "ResourceError",
        Error::Internal(_) => "InternalError",
        // New variants are store-level failures unless mapped above.
        _ => "StoreError",
    }
}

/// The Python store exception somewhere in `err`'s chain, if any.
fn python_exception(py: Python<'_>, err: &Error) -> Option<PyErr> {
    let mut next: Option<&(dyn StdError + 'static)> = err.source();
    while let Some(cause) = next {
        let inner = cause
            .downcast_ref::<Redacted>()
            .map_or(cause, |r| r.original() as &(dyn StdError + 'static));
        if let Some(found) = carried(inner) {
            return Some(found.held.restore(py));
        }
        next = inner.source();
    }
    None
}

/// A [`PythonException`] that is `err` or sits in the `std::io::Error` of a storage error.
fn carried<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a PythonException> {
    if let Some(found) = err.downcast_ref::<PythonException>() {
        return Some(found);
    }
    let io = match err.downcast_ref::<zarrs::storage::StorageError>() {
        Some(zarrs::storage::StorageError::IOError(io)) => &**io,
        _ => err.downcast_ref::<std::io::Error>()?,
    };
    io.get_ref()?.downcast_ref::<PythonException>()
}

/// The operating-system error in a cause: its number, its text and the file it concerned.
struct OsInfo {
    errno: i32,
    strerror: String,
    filename: Option<std::path::PathBuf>,
}

fn os_info(cause: &(dyn StdError + 'static)) -> Option<OsInfo> {
    if let Some(at) = cause.downcast_ref::<OsErrorAt>() {
        let mut info = os_info(&at.error)?;
        info.filename = Some(at.path.clone());
        return Some(info);
    }
    let io = match cause.downcast_ref::<zarrs::storage::StorageError>() {
        Some(zarrs::storage::StorageError::IOError(io)) => &**io,
        _ => cause.downcast_ref::<std::io::Error>()?,
    };
    let errno = io.raw_os_error()?;
    Some(OsInfo {
        errno,
        // The C library's text, as Python's own OSError shows it ("No space left on device").
        strerror: std::io::Error::from_raw_os_error(errno)
            .to_string()
            .split(" (os error")
            .next()
            .unwrap_or_default()
            .to_string(),
        filename: None,
    })
}

/// The first operating-system error in `err`'s causes.
fn first_os_info(err: &Error) -> Option<OsInfo> {
    let mut next: Option<&(dyn StdError + 'static)> = err.source();
    while let Some(cause) = next {
        let inner = cause
            .downcast_ref::<Redacted>()
            .map_or(cause, |r| r.original() as &(dyn StdError + 'static));
        if let Some(info) = os_info(inner) {
            return Some(info);
        }
        next = inner.source();
    }
    None
}

/// Fill `errno`, `strerror` and `filename` of an `OSError` instance.
fn set_os_info(py: Python<'_>, err: &PyErr, info: &OsInfo) {
    let value = err.value(py);
    let _ = value.setattr("errno", info.errno);
    let _ = value.setattr("strerror", info.strerror.as_str());
    if let Some(path) = &info.filename {
        let _ = value.setattr("filename", path.as_os_str());
    }
}

/// The Python exception standing for one Rust cause (whose text is `text`).
fn cause_exception(cause: &(dyn StdError + 'static), text: String) -> PyErr {
    if let Some(info) = os_info(cause) {
        // OSError(errno, strerror, filename) is the subclass of its errno (PermissionError...).
        return Python::attach(|py| {
            let args = match &info.filename {
                Some(path) => (
                    info.errno,
                    text,
                    path.as_os_str().into_pyobject(py).ok().map(Bound::unbind),
                ),
                None => (info.errno, text, None),
            };
            PyOSError::new_err(args)
        });
    }
    let io = match cause.downcast_ref::<zarrs::storage::StorageError>() {
        Some(zarrs::storage::StorageError::IOError(io)) => Some(&**io),
        _ => cause.downcast_ref::<std::io::Error>(),
    };
    if let Some(io) = io {
        // The OSError subclass of its kind (FileNotFoundError, PermissionError, ...).
        return PyErr::from(std::io::Error::new(io.kind(), text));
    }
    if cause.downcast_ref::<object_store::Error>().is_some() {
        return pyo3_object_store::PyObjectStoreError::from(object_store::Error::Generic {
            store: "object_store",
            source: text.into(),
        })
        .into();
    }
    RustError::new_err(text)
}

/// The chain of Python exceptions for `err`'s causes, outermost first, linked by `__cause__`.
fn cause_chain(py: Python<'_>, err: &Error) -> Option<PyErr> {
    let mut causes = Vec::new();
    let mut next: Option<&(dyn StdError + 'static)> = err.source();
    while let Some(cause) = next {
        // A redacted cause is shown by its redacted text, and its own (unredacted) chain not.
        if let Some(redacted) = cause.downcast_ref::<Redacted>() {
            causes.push(cause_exception(redacted.original(), redacted.to_string()));
            next = None;
        } else {
            causes.push(cause_exception(cause, cause.to_string()));
            next = cause.source();
        }
    }
    causes.into_iter().rev().reduce(|inner, outer| {
        outer.set_cause(py, Some(inner));
        outer
    })
}

/// The Python exception for a core error. When the error came from a Python store, that
/// store's own exception is raised, chained from the library's (`__cause__`).
#[allow(clippy::needless_pass_by_value)] // used as `map_err(to_pyerr)`
pub fn to_pyerr(err: Error) -> PyErr {
    Python::attach(|py| {
        let library_error = library_error(py, &err);
        if let Some(original) = python_exception(py, &err) {
            original.set_cause(py, Some(library_error));
            return original;
        }
        if let Some(cause) = cause_chain(py, &err) {
            library_error.set_cause(py, Some(cause));
        }
        library_error
    })
}

fn library_error(py: Python<'_>, err: &Error) -> PyErr {
    let message = err.to_string();
    let class = py
        .import("zarrbridge.errors")
        .and_then(|m| m.getattr(class_name(err)))
        .and_then(|c| c.cast_into::<PyType>().map_err(PyErr::from));
    match class {
        Ok(class) => {
            let raised = PyErr::from_type(class, message);
            if matches!(err, Error::Store { .. }) {
                if let Some(info) = first_os_info(err) {
                    set_os_info(py, &raised, &info);
                }
            }
            raised
        }
        Err(import_error) => {
            let err = PyRuntimeError::new_err(message);
            err.set_cause(py, Some(import_error));
            err
        }
    }
}

/// Shorthand for results of core calls made while holding the GIL.
pub fn check<T>(result: zarrbridge_core::Result<T>) -> PyResult<T> {
    result.map_err(to_pyerr)
}
