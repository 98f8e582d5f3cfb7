//! Raw key I/O on a native store (what `Store.get`, `get_range(s)`, `put`, `delete`, `list`,
//! `list_with_delimiter` and `head` call), each with the usual `callback` for the async twins.

use pyo3::prelude::*;
use zarrbridge_core::{KeyMeta, Listing};
use zarrs::storage::byte_range::ByteRange;

use crate::buffer::{HeldBuffer, PyValue};
use crate::errors::check;
use crate::runtime::run;
use crate::store::PyStore;

fn values(parts: Vec<bytes::Bytes>) -> Vec<PyValue> {
    parts.into_iter().map(PyValue).collect()
}

fn metas(list: Vec<KeyMeta>) -> Vec<(String, u64)> {
    list.into_iter().map(|m| (m.key, m.size)).collect()
}

/// `(offset, length)` pairs: `offset=None` is a suffix of `length` bytes, `length=None` reads
/// to the end.
fn byte_ranges(ranges: Vec<(Option<u64>, Option<u64>)>) -> Vec<ByteRange> {
    ranges
        .into_iter()
        .map(|range| match range {
            (Some(offset), length) => ByteRange::FromStart(offset, length),
            (None, length) => ByteRange::Suffix(length.unwrap_or(0)),
        })
        .collect()
}

/// The whole value at `key`, or `None` when it is absent.
#[pyfunction]
#[pyo3(signature = (store, key, callback=None))]
pub fn store_get(
    py: Python<'_>,
    store: &PyStore,
    key: String,
    callback: Option<Py<PyAny>>,
) -> PyResult<Py<PyAny>> {
    let store = store.inner.clone();
    run(
        py,
        async move { Ok(store.get(&key).await?.map(PyValue)) },
        callback,
    )
}

/// Byte ranges of the value at `key`, or `None` when it is absent. A range starting past the
/// end of the value is an error, or empty with `past_end_is_empty` (zarr-python's contract).
#[pyfunction]
#[pyo3(signature = (store, key, ranges, callback=None, *, past_end_is_empty=false))]
pub fn store_get_ranges(
    py: Python<'_>,
    store: &PyStore,
    key: String,
    ranges: Vec<(Option<u64>, Option<u64>)>,
    callback: Option<Py<PyAny>>,
    past_end_is_empty: bool,
) -> PyResult<Py<PyAny>> {
    let store = store.inner.clone();
    let ranges = byte_ranges(ranges);
    run(
        py,
        async move {
            let parts = store.get_ranges(&key, &ranges, past_end_is_empty).await?;
            Ok(parts.map(values))
        },
        callback,
    )
}

/// Write `data` (any C-contiguous byte buffer, held without a copy until written) at `key`.
#[pyfunction]
#[pyo3(signature = (store, key, data, callback=None))]
pub fn store_put(
    py: Python<'_>,
    store: &PyStore,
    key: String,
    data: &Bound<'_, PyAny>,
    callback: Option<Py<PyAny>>,
) -> PyResult<Py<PyAny>> {
    let value = bytes::Bytes::from_owner(check(HeldBuffer::get(data, 1, false))?);
    let store = store.inner.clone();
    run(py, async move { store.set(&key, value).await }, callback)
}

/// Erase `key` (absent keys are fine).
#[pyfunction]
#[pyo3(signature = (store, key, callback=None))]
pub fn store_delete(
    py: Python<'_>,
    store: &PyStore,
    key: String,
    callback: Option<Py<PyAny>>,
) -> PyResult<Py<PyAny>> {
    let store = store.inner.clone();
    run(py, async move { store.erase(&key).await }, callback)
}

/// `[(key, size)]` of every key below the directory `prefix`.
#[pyfunction]
#[pyo3(signature = (store, prefix, callback=None))]
pub fn store_list(
    py: Python<'_>,
    store: &PyStore,
    prefix: String,
    callback: Option<Py<PyAny>>,
) -> PyResult<Py<PyAny>> {
    let store = store.inner.clone();
    run(
        py,
        async move { Ok(metas(store.list(&prefix).await?)) },
        callback,
    )
}

/// `(common_prefixes, [(key, size)])` directly below the directory `prefix`.
#[pyfunction]
#[pyo3(signature = (store, prefix, callback=None))]
pub fn store_list_with_delimiter(
    py: Python<'_>,
    store: &PyStore,
    prefix: String,
    callback: Option<Py<PyAny>>,
) -> PyResult<Py<PyAny>> {
    let store = store.inner.clone();
    run(
        py,
        async move {
            let Listing {
                common_prefixes,
                objects,
            } = store.list_with_delimiter(&prefix).await?;
            Ok((common_prefixes, metas(objects)))
        },
        callback,
    )
}

/// The size of the value at `key`, or `None` when it is absent.
#[pyfunction]
#[pyo3(signature = (store, key, callback=None))]
pub fn store_head(
    py: Python<'_>,
    store: &PyStore,
    key: String,
    callback: Option<Py<PyAny>>,
) -> PyResult<Py<PyAny>> {
    let store = store.inner.clone();
    run(py, async move { store.size_key(&key).await }, callback)
}
