//! Region functions: numpy basic-indexing selections in, decoded buffers out.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyEllipsis, PySlice, PyTuple};
use zarrbridge_core as core;
use zarrbridge_core::SelItem;

use crate::buffer::{out_buffer, result, write_data};
use crate::errors::check;
use crate::handles::PyArrayHandle;
use crate::runtime::run;

fn optional_int(value: &Bound<'_, PyAny>) -> PyResult<Option<i64>> {
    if value.is_none() {
        Ok(None)
    } else {
        value.extract().map(Some)
    }
}

/// Convert a tuple of ints, slices and Ellipsis to selection items.
fn selection_items(items: &Bound<'_, PyTuple>) -> PyResult<Vec<SelItem>> {
    items
        .iter()
        .map(|item| {
            if item.is_instance_of::<PyEllipsis>() {
                Ok(SelItem::Ellipsis)
            } else if let Ok(slice) = item.cast::<PySlice>() {
                Ok(SelItem::Slice(
                    optional_int(&slice.getattr("start")?)?,
                    optional_int(&slice.getattr("stop")?)?,
                    optional_int(&slice.getattr("step")?)?,
                ))
            } else if let Ok(i) = item.extract::<i64>() {
                Ok(SelItem::Index(i))
            } else {
                Err(PyTypeError::new_err(format!(
                    "selection items must be ints, slices or Ellipsis, not {}",
                    item.get_type().name()?
                )))
            }
        })
        .collect()
}

/// The shape a selection of the array produces.
#[pyfunction]
pub fn selection_shape<'py>(
    py: Python<'py>,
    array: &PyArrayHandle,
    selection: &Bound<'py, PyTuple>,
) -> PyResult<Bound<'py, PyTuple>> {
    let items = selection_items(selection)?;
    PyTuple::new(py, check(core::selection_shape(&array.inner, &items))?)
}

#[pyfunction]
#[pyo3(signature = (array, selection, out=None, callback=None))]
pub fn read_region(
    py: Python<'_>,
    array: &PyArrayHandle,
    selection: &Bound<'_, PyTuple>,
    out: Option<&Bound<'_, PyAny>>,
    callback: Option<Py<PyAny>>,
) -> PyResult<Py<PyAny>> {
    let array = array.inner.clone();
    let items = selection_items(selection)?;
    let out = out_buffer(&array, out)?;
    run(
        py,
        async move {
            let decoded = core::read_region(&array, &items, out).await?;
            Ok(result(decoded))
        },
        callback,
    )
}

#[pyfunction]
#[pyo3(signature = (array, selection, data, callback=None))]
pub fn write_region(
    py: Python<'_>,
    array: &PyArrayHandle,
    selection: &Bound<'_, PyTuple>,
    data: &Bound<'_, PyAny>,
    callback: Option<Py<PyAny>>,
) -> PyResult<Py<PyAny>> {
    let array = array.inner.clone();
    let items = selection_items(selection)?;
    let data = write_data(&array, data)?;
    run(
        py,
        async move { core::write_region(&array, &items, data).await },
        callback,
    )
}
