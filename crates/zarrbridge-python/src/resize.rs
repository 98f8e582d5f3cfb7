//! Shape changes: `resize` and `append`, each returning a handle of the new shape.

use pyo3::prelude::*;
use zarrbridge_core as core;

use crate::buffer::write_data;
use crate::handles::PyArrayHandle;
use crate::runtime::run;

#[pyfunction]
#[pyo3(signature = (array, shape, callback=None))]
pub fn resize(
    py: Python<'_>,
    array: &PyArrayHandle,
    shape: Vec<u64>,
    callback: Option<Py<PyAny>>,
) -> PyResult<Py<PyAny>> {
    let array = array.inner.clone();
    run(
        py,
        async move {
            let inner = core::resize(&array, &shape).await?;
            Ok(PyArrayHandle { inner })
        },
        callback,
    )
}

#[pyfunction]
#[pyo3(signature = (array, data, data_shape, axis, callback=None))]
pub fn append(
    py: Python<'_>,
    array: &PyArrayHandle,
    data: &Bound<'_, PyAny>,
    data_shape: Vec<u64>,
    axis: usize,
    callback: Option<Py<PyAny>>,
) -> PyResult<Py<PyAny>> {
    let array = array.inner.clone();
    let data = write_data(&array, data)?;
    run(
        py,
        async move {
            let inner = core::append(&array, data, &data_shape, axis).await?;
            Ok(PyArrayHandle { inner })
        },
        callback,
    )
}
