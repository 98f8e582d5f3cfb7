//! Orthogonal and vectorized selections: resolved once into a `Selection` (index arrays cross
//! as numpy buffers: positions as int64, masks as uint8), then read or written.

use std::sync::Arc;

use pyo3::buffer::PyBuffer;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyEllipsis, PyInt, PySlice, PyTuple};
use zarrbridge_core as core;
use zarrbridge_core::{AxisItem, FancySelection};

use crate::buffer::{out_buffer, result, write_data};
use crate::errors::check;
use crate::handles::PyArrayHandle;
use crate::runtime::run;

/// A selection resolved against an array's shape.
#[pyclass(frozen, name = "Selection", module = "zarrbridge._native")]
pub struct PySelection {
    inner: Arc<FancySelection>,
}

#[pymethods]
impl PySelection {
    /// The shape of what the selection reads (or takes to write).
    #[getter]
    fn shape<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.inner.shape())
    }
}

fn optional_int(value: &Bound<'_, PyAny>) -> PyResult<Option<i64>> {
    if value.is_none() {
        Ok(None)
    } else {
        value.extract().map(Some)
    }
}

/// One item of an orthogonal selection: an int, a slice, Ellipsis, an int64 buffer of
/// positions or a uint8 buffer (a boolean mask).
fn axis_item(item: &Bound<'_, PyAny>) -> PyResult<AxisItem> {
    let py = item.py();
    if item.is_instance_of::<PyEllipsis>() {
        return Ok(AxisItem::Ellipsis);
    }
    if let Ok(slice) = item.cast::<PySlice>() {
        return Ok(AxisItem::Slice(
            optional_int(&slice.getattr("start")?)?,
            optional_int(&slice.getattr("stop")?)?,
            optional_int(&slice.getattr("step")?)?,
        ));
    }
    if item.is_instance_of::<PyInt>() {
        return Ok(AxisItem::Index(item.extract()?));
    }
    if let Ok(positions) = PyBuffer::<i64>::get(item) {
        return Ok(AxisItem::Indices(positions.to_vec(py)?));
    }
    if let Ok(mask) = PyBuffer::<u8>::get(item) {
        return Ok(AxisItem::Mask(
            mask.to_vec(py)?.into_iter().map(|b| b != 0).collect(),
        ));
    }
    Err(PyTypeError::new_err(format!(
        "orthogonal selection items must be ints, slices, Ellipsis, int64 or uint8 buffers, \
         not {}",
        item.get_type().name()?
    )))
}

/// Resolve an orthogonal selection of the array (no I/O).
#[pyfunction]
pub fn orthogonal_selection(
    array: &PyArrayHandle,
    selection: &Bound<'_, PyTuple>,
) -> PyResult<PySelection> {
    let items = selection
        .iter()
        .map(|item| axis_item(&item))
        .collect::<PyResult<Vec<_>>>()?;
    let inner = check(FancySelection::orthogonal(&items, array.inner.shape()))?;
    Ok(PySelection {
        inner: Arc::new(inner),
    })
}

/// Resolve a vectorized selection of the array (no I/O): one int64 buffer of positions per
/// dimension, each holding one position per point of a result of `shape`.
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts a list into a Vec
pub fn vectorized_selection(
    py: Python<'_>,
    array: &PyArrayHandle,
    coords: Vec<Bound<'_, PyAny>>,
    shape: Vec<u64>,
) -> PyResult<PySelection> {
    let coords = coords
        .iter()
        .map(|c| PyBuffer::<i64>::get(c)?.to_vec(py))
        .collect::<PyResult<Vec<_>>>()?;
    let inner = check(FancySelection::vectorized(
        &coords,
        shape,
        array.inner.shape(),
    ))?;
    Ok(PySelection {
        inner: Arc::new(inner),
    })
}

#[pyfunction]
#[pyo3(signature = (array, selection, out=None, callback=None))]
pub fn read_selection(
    py: Python<'_>,
    array: &PyArrayHandle,
    selection: &PySelection,
    out: Option<&Bound<'_, PyAny>>,
    callback: Option<Py<PyAny>>,
) -> PyResult<Py<PyAny>> {
    let (array, selection) = (array.inner.clone(), selection.inner.clone());
    let out = out_buffer(&array, out)?;
    run(
        py,
        async move {
            let decoded = core::read_selection(&array, &selection, out).await?;
            Ok(result(decoded))
        },
        callback,
    )
}

#[pyfunction]
#[pyo3(signature = (array, selection, data, callback=None))]
pub fn write_selection(
    py: Python<'_>,
    array: &PyArrayHandle,
    selection: &PySelection,
    data: &Bound<'_, PyAny>,
    callback: Option<Py<PyAny>>,
) -> PyResult<Py<PyAny>> {
    let (array, selection) = (array.inner.clone(), selection.inner.clone());
    let data = write_data(&array, data)?;
    run(
        py,
        async move { core::write_selection(&array, &selection, data).await },
        callback,
    )
}
