//! What the sync and the async Python store adapters share: the Python glue they call
//! (`zarrbridge._pystore`), conversions of its results, and how a Python store's exception
//! travels through zarrs (inside the storage error) back to the caller.

use std::sync::Arc;

use bytes::Bytes;
use pyo3::prelude::*;
use zarrs::storage::byte_range::ByteRange;
use zarrs::storage::{StorageError, StoreKey, StoreKeys, StoreKeysPrefixes, StorePrefix};

use crate::buffer::HeldBuffer;
use crate::errors::{HeldException, PythonException};
use crate::gil::GilPy;

/// A Python store's exception instance, released under the GIL wherever it is dropped.
struct HeldPyErr(GilPy);

impl HeldException for HeldPyErr {
    fn restore(&self, py: Python<'_>) -> PyErr {
        PyErr::from_value(self.0.bind(py).clone())
    }
}

/// The storage error that carries a Python store's exception: the binding's error conversion
/// raises the original again (see `errors::to_pyerr`).
pub fn stash(err: PyErr) -> StorageError {
    Python::attach(|py| {
        let value = err.into_value(py);
        let bound = value.bind(py);
        let name = bound
            .get_type()
            .qualname()
            .map_or_else(|_| "Exception".to_string(), |n| n.to_string());
        let text = format!("{name}: {bound}");
        let held = HeldPyErr(GilPy::new(value.into_any()));
        let carried = PythonException::new(text, Box::new(held));
        StorageError::IOError(Arc::new(std::io::Error::other(carried)))
    })
}

/// The glue module that speaks obspec to the Python store.
pub fn glue(py: Python<'_>) -> PyResult<Bound<'_, PyModule>> {
    py.import("zarrbridge._pystore")
}

/// Whether `obj` lacks the write methods of its family (a read-only store).
pub fn is_read_only(obj: &Bound<'_, PyAny>, asynchronous: bool) -> PyResult<bool> {
    let (put, delete) = if asynchronous {
        ("put_async", "delete_async")
    } else {
        ("put", "delete")
    };
    Ok(!(obj.hasattr(put)? && obj.hasattr(delete)?))
}

/// `(offset, length)` pairs for the glue: `offset=None` is a suffix, `length=None` reads on.
pub fn ranges_arg(ranges: &[ByteRange]) -> Vec<(Option<u64>, Option<u64>)> {
    ranges
        .iter()
        .map(|r| match *r {
            ByteRange::FromStart(offset, length) => (Some(offset), length),
            ByteRange::Suffix(length) => (None, Some(length)),
        })
        .collect()
}

/// A buffer returned by the store, held without a copy.
pub fn value(obj: &Bound<'_, PyAny>) -> Result<Bytes, StorageError> {
    HeldBuffer::get(obj, 1, false)
        .map(Bytes::from_owner)
        .map_err(|e| StorageError::Other(format!("the Python store returned {e}")))
}

/// `None` or a buffer.
pub fn maybe_value(obj: &Bound<'_, PyAny>) -> Result<Option<Bytes>, StorageError> {
    if obj.is_none() {
        return Ok(None);
    }
    value(obj).map(Some)
}

/// `None` or a list of buffers.
pub fn maybe_values(obj: &Bound<'_, PyAny>) -> Result<Option<Vec<Bytes>>, StorageError> {
    if obj.is_none() {
        return Ok(None);
    }
    let mut out = Vec::new();
    for item in obj.try_iter().map_err(stash)? {
        out.push(value(&item.map_err(stash)?)?);
    }
    Ok(Some(out))
}

fn key(text: String) -> Result<StoreKey, StorageError> {
    StoreKey::new(text).map_err(StorageError::from)
}

/// `[(key, size)]` from the glue's listing.
pub fn sized_keys(obj: &Bound<'_, PyAny>) -> Result<Vec<(StoreKey, u64)>, StorageError> {
    let pairs: Vec<(String, u64)> = obj.extract().map_err(stash)?;
    pairs
        .into_iter()
        .map(|(k, size)| Ok((key(k)?, size)))
        .collect()
}

/// Keys only.
pub fn keys(obj: &Bound<'_, PyAny>) -> Result<StoreKeys, StorageError> {
    Ok(sized_keys(obj)?.into_iter().map(|(k, _)| k).collect())
}

/// `(prefixes, keys)` from the glue's one-level listing.
pub fn keys_prefixes(obj: &Bound<'_, PyAny>) -> Result<StoreKeysPrefixes, StorageError> {
    let (prefixes, found): (Vec<String>, Vec<String>) = obj.extract().map_err(stash)?;
    let keys = found.into_iter().map(key).collect::<Result<_, _>>()?;
    let prefixes = prefixes
        .into_iter()
        .map(|p| StorePrefix::new(p).map_err(StorageError::from))
        .collect::<Result<_, _>>()?;
    Ok(StoreKeysPrefixes::new(keys, prefixes))
}

/// `None` or an int.
pub fn maybe_size(obj: &Bound<'_, PyAny>) -> Result<Option<u64>, StorageError> {
    obj.extract().map_err(stash)
}
