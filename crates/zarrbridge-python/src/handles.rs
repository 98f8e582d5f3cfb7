//! `ArrayHandle` and `GroupHandle`: core handles with read-only properties for Python.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString, PyTuple};
use zarrbridge_core::dtype::Kind;
use zarrbridge_core::{ArrayHandle, Error, GroupHandle, Node};

use crate::convert::to_python;
use crate::errors::check;
use crate::store::PyStore;

/// An array: store, path and parsed metadata.
#[pyclass(
    frozen,
    skip_from_py_object,
    name = "ArrayHandle",
    module = "zarrbridge._native"
)]
#[derive(Clone)]
pub struct PyArrayHandle {
    pub inner: ArrayHandle,
}

/// A group: store, path and metadata.
#[pyclass(
    frozen,
    skip_from_py_object,
    name = "GroupHandle",
    module = "zarrbridge._native"
)]
#[derive(Clone)]
pub struct PyGroupHandle {
    pub inner: GroupHandle,
}

/// An array or a group, converted to the matching handle class.
#[derive(IntoPyObject)]
pub enum PyNode {
    Array(PyArrayHandle),
    Group(PyGroupHandle),
}

impl From<Node> for PyNode {
    fn from(node: Node) -> Self {
        match node {
            Node::Array(inner) => Self::Array(PyArrayHandle { inner }),
            Node::Group(inner) => Self::Group(PyGroupHandle { inner }),
        }
    }
}

fn fill_text(bytes: &[u8]) -> zarrbridge_core::Result<&str> {
    std::str::from_utf8(bytes).map_err(|_| Error::metadata("the fill value is not UTF-8 text"))
}

fn tuple<'py>(py: Python<'py>, shape: &[u64]) -> PyResult<Bound<'py, PyTuple>> {
    PyTuple::new(py, shape)
}

#[pymethods]
impl PyArrayHandle {
    #[getter]
    fn store(&self) -> PyStore {
        PyStore {
            inner: self.inner.store().clone(),
        }
    }

    #[getter]
    fn path(&self) -> &str {
        self.inner.path().as_str()
    }

    /// The metadata document, as a new dict.
    #[getter]
    fn metadata<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, self.inner.metadata())
    }

    #[getter]
    fn shape<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        tuple(py, self.inner.shape())
    }

    #[getter]
    fn dtype(&self) -> String {
        self.inner.numpy_dtype()
    }

    /// The numpy kinds of data that may be written to the array (`""` when none can).
    #[getter]
    fn writable_kinds(&self) -> &'static str {
        self.inner.element().map_or("", |e| e.writable_from())
    }

    /// Why the array's data cannot be read or written (its data type or a codec is not
    /// supported), or `None`.
    #[getter]
    fn unsupported(&self) -> Option<String> {
        self.inner.element().err().map(|e| e.to_string())
    }

    #[getter]
    fn chunk_shape<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        tuple(py, &self.inner.chunk_shape())
    }

    #[getter]
    fn inner_chunk_shape<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        self.inner
            .inner_chunk_shape()
            .map(|s| tuple(py, &s))
            .transpose()
    }

    #[getter]
    fn grid_shape<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        tuple(py, &self.inner.grid_shape())
    }

    #[getter]
    fn inner_grid_shape<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        self.inner
            .inner_grid_shape()
            .map(|s| tuple(py, &s))
            .transpose()
    }

    #[getter]
    fn zarr_format(&self) -> u8 {
        self.inner.zarr_format()
    }

    /// The fill value: its bytes in native order for fixed-size types (numpy reads them as the
    /// dtype), a `str` for `string` arrays, `bytes` for `bytes` arrays, `None` when the array's
    /// data cannot be moved.
    #[getter]
    fn fill_value<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let Ok(element) = self.inner.element() else {
            return Ok(None);
        };
        let bytes = self.inner.fill_value_bytes();
        Ok(Some(if element.kind == Kind::String {
            PyString::new(py, check(fill_text(bytes))?).into_any()
        } else {
            PyBytes::new(py, bytes).into_any()
        }))
    }

    #[getter]
    fn write_empty_chunks(&self) -> bool {
        self.inner.write_empty_chunks()
    }

    #[allow(clippy::needless_pass_by_value)] // pyo3 extracts a list into a Vec
    fn chunk_key(&self, coords: Vec<u64>) -> PyResult<String> {
        self.inner
            .chunk_key(&coords)
            .map_err(crate::errors::to_pyerr)
    }

    fn with_write_empty_chunks(&self, flag: bool) -> Self {
        Self {
            inner: self.inner.with_write_empty_chunks(flag),
        }
    }

    fn __repr__(&self) -> String {
        format!(
            "ArrayHandle({:?}, {:?})",
            self.inner.store().url(),
            self.inner.path().as_str()
        )
    }
}

#[pymethods]
impl PyGroupHandle {
    #[getter]
    fn store(&self) -> PyStore {
        PyStore {
            inner: self.inner.store().clone(),
        }
    }

    #[getter]
    fn path(&self) -> &str {
        self.inner.path().as_str()
    }

    /// The metadata document, as a new dict.
    #[getter]
    fn metadata<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, self.inner.metadata())
    }

    #[getter]
    fn zarr_format(&self) -> u8 {
        self.inner.zarr_format()
    }

    fn __repr__(&self) -> String {
        format!(
            "GroupHandle({:?}, {:?})",
            self.inner.store().url(),
            self.inner.path().as_str()
        )
    }
}
