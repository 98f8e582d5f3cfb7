//! What the sync and the async Python store adapters share: the Python glue they call
//! (`zarrbridge._pystore`), conversions of its results, and the side channel that carries a
//! Python store's exception through zarrs (whose errors are strings) back to the caller.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use bytes::Bytes;
use pyo3::prelude::*;
use zarrs::storage::byte_range::ByteRange;
use zarrs::storage::{StorageError, StoreKey, StoreKeys, StoreKeysPrefixes, StorePrefix};

use crate::buffer::HeldBuffer;

/// Exceptions kept for re-raising, oldest first; bounded so errors nobody converts (a failure
/// zarrs swallowed) cannot pile up.
const KEPT_ERRORS: usize = 256;

#[derive(Default)]
struct Kept {
    errors: HashMap<u64, PyErr>,
    order: VecDeque<u64>,
}

fn kept() -> &'static Mutex<Kept> {
    static KEPT: OnceLock<Mutex<Kept>> = OnceLock::new();
    KEPT.get_or_init(Mutex::default)
}

const MARKER: &str = "[python store error #";

/// Keep a Python store's exception and return the storage error that refers to it: the
/// binding's error conversion re-raises the original (see [`take_python_error`]).
pub fn stash(err: PyErr) -> StorageError {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    // Under the GIL throughout: an evicted exception is released here (see `GilPy`).
    let text = Python::attach(|py| {
        let value = err.value(py);
        let name = value
            .get_type()
            .qualname()
            .map_or_else(|_| "Exception".to_string(), |n| n.to_string());
        let text = format!("{name}: {value}");
        let mut kept = kept()
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        kept.errors.insert(id, err);
        kept.order.push_back(id);
        while kept.order.len() > KEPT_ERRORS {
            if let Some(old) = kept.order.pop_front() {
                kept.errors.remove(&old);
            }
        }
        text
    });
    StorageError::Other(format!("{MARKER}{id}] {text}"))
}

/// The Python exception a library error message refers to, if it is still kept.
pub fn take_python_error(message: &str) -> Option<PyErr> {
    let start = message.find(MARKER)? + MARKER.len();
    let end = start + message[start..].find(']')?;
    let id: u64 = message[start..end].parse().ok()?;
    kept()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .errors
        .remove(&id)
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
