//! Raw key I/O on a native store (what `Store.get`, `get_range(s)`, `put`, `delete`, `list`,
//! `list_with_delimiter` and `head` call), each with the usual `callback` for the async twins.

use std::ffi::c_int;

use pyo3::exceptions::PyBufferError;
use pyo3::ffi;
use pyo3::prelude::*;
use zarrbridge_core::store::{KeyMeta, Listing};
use zarrs::storage::byte_range::ByteRange;

use crate::buffer::HeldBuffer;
use crate::errors::check;
use crate::runtime::run;
use crate::store::PyStore;

/// A stored value, owned by Rust and shown to Python as a read-only 1-d byte buffer (no copy).
#[pyclass(frozen, name = "Bytes", module = "zarrbridge._native")]
pub struct PyValue(pub bytes::Bytes);

#[pymethods]
impl PyValue {
    fn __len__(&self) -> usize {
        self.0.len()
    }

    #[allow(clippy::needless_pass_by_value)] // pyo3 hands the receiver over by value
    unsafe fn __getbuffer__(
        slf: Bound<'_, Self>,
        view: *mut ffi::Py_buffer,
        flags: c_int,
    ) -> PyResult<()> {
        if view.is_null() {
            return Err(PyBufferError::new_err("view is null"));
        }
        let data = &slf.get().0;
        let len = isize::try_from(data.len()).unwrap_or(isize::MAX);
        // SAFETY: `view` is valid (checked non-null); the bytes are immutable and live as long
        // as `slf`, which the view keeps a reference to. FillInfo refuses writable requests.
        let status = unsafe {
            ffi::PyBuffer_FillInfo(
                view,
                slf.as_ptr(),
                data.as_ptr().cast_mut().cast(),
                len,
                1,
                flags,
            )
        };
        if status == -1 {
            return Err(PyErr::fetch(slf.py()));
        }
        Ok(())
    }
}

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

store_function!(
    /// The whole value at `key`, or `None` when it is absent.
    store_get,
    |store, key| Ok(store.get(&key).await?.map(PyValue))
);

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

store_function!(
    /// Erase `key` (absent keys are fine).
    store_delete,
    |store, key| store.erase(&key).await
);

store_function!(
    /// `[(key, size)]` of every key below the directory `prefix`.
    store_list,
    |store, prefix| Ok(metas(store.list(&prefix).await?))
);

store_function!(
    /// `(common_prefixes, [(key, size)])` directly below the directory `prefix`.
    store_list_with_delimiter,
    |store, prefix| {
        let Listing {
            common_prefixes,
            objects,
        } = store.list_with_delimiter(&prefix).await?;
        Ok((common_prefixes, metas(objects)))
    }
);

store_function!(
    /// The size of the value at `key`, or `None` when it is absent.
    store_head,
    |store, key| store.size_key(&key).await
);
