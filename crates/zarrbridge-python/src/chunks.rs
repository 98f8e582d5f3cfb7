//! Chunk functions: read, write and delete whole stored chunks (shards, for sharded arrays), or
//! with `inner`, the inner chunks of a sharded array.

use pyo3::prelude::*;
use zarrbridge_core as core;

use crate::buffer::{out_buffer, result, write_data};
use crate::handles::PyArrayHandle;
use crate::runtime::run;

#[pyfunction]
#[pyo3(signature = (array, coords, out=None, inner=false, callback=None))]
pub fn read_chunk(
    py: Python<'_>,
    array: &PyArrayHandle,
    coords: Vec<u64>,
    out: Option<&Bound<'_, PyAny>>,
    inner: bool,
    callback: Option<Py<PyAny>>,
) -> PyResult<Py<PyAny>> {
    let array = array.inner.clone();
    let out = out_buffer(&array, out)?;
    run(
        py,
        async move {
            let decoded = if inner {
                core::read_inner_chunk(&array, &coords, out).await?
            } else {
                core::read_chunk(&array, &coords, out).await?
            };
            Ok(result(decoded))
        },
        callback,
    )
}

#[pyfunction]
#[pyo3(signature = (array, coords_list, callback=None))]
pub fn read_chunks(
    py: Python<'_>,
    array: &PyArrayHandle,
    coords_list: Vec<Vec<u64>>,
    callback: Option<Py<PyAny>>,
) -> PyResult<Py<PyAny>> {
    let array = array.inner.clone();
    run(
        py,
        async move {
            let decoded = core::read_chunks(&array, &coords_list).await?;
            Ok(decoded.into_iter().map(result).collect::<Vec<_>>())
        },
        callback,
    )
}

#[pyfunction]
#[pyo3(signature = (array, coords, data, inner=false, callback=None))]
pub fn write_chunk(
    py: Python<'_>,
    array: &PyArrayHandle,
    coords: Vec<u64>,
    data: &Bound<'_, PyAny>,
    inner: bool,
    callback: Option<Py<PyAny>>,
) -> PyResult<Py<PyAny>> {
    let array = array.inner.clone();
    let data = write_data(&array, data)?;
    run(
        py,
        async move {
            if inner {
                core::write_inner_chunk(&array, &coords, data).await
            } else {
                core::write_chunk(&array, &coords, data).await
            }
        },
        callback,
    )
}

#[pyfunction]
#[pyo3(signature = (array, coords_list, data_list, callback=None))]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts a list into a Vec
pub fn write_chunks(
    py: Python<'_>,
    array: &PyArrayHandle,
    coords_list: Vec<Vec<u64>>,
    data_list: Vec<Bound<'_, PyAny>>,
    callback: Option<Py<PyAny>>,
) -> PyResult<Py<PyAny>> {
    let array = array.inner.clone();
    let data = data_list
        .iter()
        .map(|d| write_data(&array, d))
        .collect::<PyResult<Vec<_>>>()?;
    run(
        py,
        async move { core::write_chunks(&array, &coords_list, data).await },
        callback,
    )
}

#[pyfunction]
#[pyo3(signature = (array, coords, inner=false, callback=None))]
pub fn delete_chunk(
    py: Python<'_>,
    array: &PyArrayHandle,
    coords: Vec<u64>,
    inner: bool,
    callback: Option<Py<PyAny>>,
) -> PyResult<Py<PyAny>> {
    let array = array.inner.clone();
    run(
        py,
        async move {
            if inner {
                // An inner chunk is deleted by storing its shard without it.
                core::write_encoded_chunk(&array, &coords, None, true, false).await
            } else {
                core::delete_chunk(&array, &coords).await
            }
        },
        callback,
    )
}
