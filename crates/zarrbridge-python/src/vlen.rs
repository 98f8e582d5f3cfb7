//! Variable-length data crossing the boundary as (offsets, bytes), never as Python objects on
//! the way: a read's values come back in a [`VlenBuffer`] (Rust-owned), which becomes a numpy
//! `StringDType` array, an object array or an Arrow array; text or bytes given for a write (a
//! numpy array of `StringDType`, objects, `U` or `S`) become the core's values.

use std::sync::Arc;

use pyo3::buffer::PyUntypedBuffer;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyCapsule, PyList, PyString, PyTuple};
use zarrbridge_core::{Decoded, Error, VlenValues};

use crate::arrow::{export, Shared};
use crate::errors::{check, to_pyerr};
use crate::npstrings;

/// Variable-length values owned by Rust (text as UTF-8, or bytes), in C order, with the shape
/// of the array they came from.
#[pyclass(frozen, module = "zarrbridge._native")]
pub struct VlenBuffer {
    shared: Arc<Shared>,
    shape: Vec<u64>,
    text: bool,
}

impl VlenBuffer {
    /// The values of a variable-length read.
    pub fn from_decoded(decoded: Decoded, text: bool) -> Self {
        Self {
            shared: Arc::new(Shared {
                bytes: decoded.data.unwrap_or_default(),
                offsets: decoded.offsets.unwrap_or_else(|| vec![0]),
            }),
            shape: decoded.shape,
            text,
        }
    }

    fn values(&self) -> impl Iterator<Item = &[u8]> {
        let Shared { bytes, offsets } = &*self.shared;
        offsets.windows(2).map(move |w| &bytes[w[0]..w[1]])
    }
}

#[pymethods]
impl VlenBuffer {
    /// The shape of the values.
    #[getter]
    fn shape<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, &self.shape)
    }

    /// Whether the values are text (UTF-8) rather than bytes.
    #[getter]
    fn text(&self) -> bool {
        self.text
    }

    /// Size of the values and their offsets in bytes.
    #[getter]
    fn nbytes(&self) -> usize {
        self.shared.bytes.len() + 8 * self.shared.offsets.len()
    }

    fn __len__(&self) -> usize {
        self.shared.offsets.len() - 1
    }

    /// Put the values (text) into `out`, a C-contiguous numpy `StringDType` array with as many
    /// elements, with no Python object per value.
    fn fill_strings(&self, out: &Bound<'_, PyAny>) -> PyResult<()> {
        npstrings::fill(out, &self.shared.bytes, &self.shared.offsets)
    }

    /// The values as a flat list of `str` (text) or `bytes`, in C order.
    fn to_list<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        if self.text {
            let items = self
                .values()
                .map(|v| check(utf8(v)).map(|s| PyString::new(py, s)))
                .collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)
        } else {
            PyList::new(py, self.values().map(|v| PyBytes::new(py, v)))
        }
    }

    /// Arrow's Python capsule interface: the values as a flat `large_string` (text) or
    /// `large_binary` array, without a copy. `requested_schema` is ignored (the consumer casts).
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_array__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<(Bound<'py, PyCapsule>, Bound<'py, PyCapsule>)> {
        let _ = requested_schema;
        export(py, &self.shared, self.text)
    }
}

fn utf8(value: &[u8]) -> zarrbridge_core::Result<&str> {
    std::str::from_utf8(value)
        .map_err(|_| Error::codec("a stored string is not valid UTF-8".to_string()))
}

fn refuse(i: usize, what: &str, text: bool) -> Error {
    let expected = if text { "str" } else { "bytes" };
    Error::InvalidData(format!(
        "element {i} is {what}, not {expected}: an array of {expected} values takes only {expected}"
    ))
}

/// Text (`text`: UTF-8) or bytes given for a write, as values: `obj` is a C-contiguous numpy
/// array of `StringDType` (text), objects (each `str` for text, `bytes` otherwise), `U` (text)
/// or `S` (bytes; NUL padding removed, as numpy does).
///
/// # Errors
/// `InvalidDataError` for a value of the wrong type, `ValueError` for a missing value.
pub fn values_from(obj: &Bound<'_, PyAny>, text: bool) -> PyResult<VlenValues> {
    let kind: String = obj.getattr("dtype")?.getattr("kind")?.extract()?;
    if kind == "T" {
        if !text {
            return Err(to_pyerr(refuse(0, "a str", false)));
        }
        return npstrings::load(obj);
    }
    let buffer = PyUntypedBuffer::get(obj)?;
    if !buffer.is_c_contiguous() {
        return Err(to_pyerr(Error::InvalidData(
            "the values must be C-contiguous".into(),
        )));
    }
    let size = buffer.item_size();
    // SAFETY: the exporter keeps `len_bytes` bytes at `buf_ptr` while `buffer` is held.
    let data: &[u8] = if buffer.len_bytes() == 0 {
        &[]
    } else {
        unsafe { std::slice::from_raw_parts(buffer.buf_ptr().cast::<u8>(), buffer.len_bytes()) }
    };
    let mut values = VlenValues::default();
    match kind.as_str() {
        "O" if size == std::mem::size_of::<usize>() => {
            let py = obj.py();
            for (i, item) in data.chunks_exact(size).enumerate() {
                let ptr = usize::from_ne_bytes(item.try_into().unwrap_or_default());
                // SAFETY: an object array holds valid object pointers, which it keeps alive
                // while its buffer is held (and the GIL is held here).
                let item = unsafe { Borrowed::from_ptr(py, ptr as *mut pyo3::ffi::PyObject) };
                if text {
                    let s = item
                        .cast::<PyString>()
                        .map_err(|_| to_pyerr(refuse(i, &type_name(item), true)))?;
                    values.bytes.extend_from_slice(s.to_str()?.as_bytes());
                } else {
                    let b = item
                        .cast::<PyBytes>()
                        .map_err(|_| to_pyerr(refuse(i, &type_name(item), false)))?;
                    values.bytes.extend_from_slice(b.as_bytes());
                }
                values.offsets.push(values.bytes.len());
            }
        }
        "U" if text && size % 4 == 0 => {
            for (i, item) in data.chunks_exact(size.max(1)).enumerate() {
                let units = item
                    .chunks_exact(4)
                    .map(|u| u32::from_ne_bytes(u.try_into().unwrap_or_default()));
                let len = units.clone().rposition(|u| u != 0).map_or(0, |p| p + 1);
                for unit in units.take(len) {
                    let c = char::from_u32(unit).ok_or_else(|| {
                        to_pyerr(Error::InvalidData(format!(
                            "element {i} holds {unit:#x}, which is not a Unicode character"
                        )))
                    })?;
                    let mut utf8 = [0u8; 4];
                    values
                        .bytes
                        .extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
                }
                values.offsets.push(values.bytes.len());
            }
        }
        "S" if !text && size > 0 => {
            for item in data.chunks_exact(size) {
                let len = item.iter().rposition(|&b| b != 0).map_or(0, |p| p + 1);
                values.bytes.extend_from_slice(&item[..len]);
                values.offsets.push(values.bytes.len());
            }
        }
        _ => {
            let what = if kind == "U" { "a str" } else { "bytes" };
            return Err(to_pyerr(refuse(0, what, text)));
        }
    }
    Ok(values)
}

fn type_name(obj: Borrowed<'_, '_, PyAny>) -> String {
    obj.get_type()
        .qualname()
        .map_or_else(|_| "an object".into(), |n| format!("a {n}"))
}
