//! Encoded chunk functions: the stored bytes of chunks, read and written without codecs.

use std::sync::Arc;

use pyo3::prelude::*;
use zarrbridge_core as core;

use crate::buffer::{HeldBuffer, PyValue};
use crate::errors::check;
use crate::handles::PyArrayHandle;
use crate::runtime::run;

#[pyfunction]
#[pyo3(signature = (array, coords, inner=false, callback=None))]
pub fn read_encoded_chunk(
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
            let found = core::read_encoded_chunk(&array, &coords, inner).await?;
            Ok(found.map(PyValue))
        },
        callback,
    )
}

#[pyfunction]
#[pyo3(signature = (array, coords, data, inner=false, validate=true, callback=None))]
#[allow(clippy::fn_params_excessive_bools)] // keywords of the Python function
pub fn write_encoded_chunk(
    py: Python<'_>,
    array: &PyArrayHandle,
    coords: Vec<u64>,
    data: &Bound<'_, PyAny>,
    inner: bool,
    validate: bool,
    callback: Option<Py<PyAny>>,
) -> PyResult<Py<PyAny>> {
    let array = array.inner.clone();
    let data: core::encoded::EncodedData = Arc::new(check(HeldBuffer::get(data, 1, false))?);
    run(
        py,
        async move { core::write_encoded_chunk(&array, &coords, Some(data), inner, validate).await },
        callback,
    )
}
