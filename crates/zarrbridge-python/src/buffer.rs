//! Data crossing the boundary: decoded results exposed to numpy without a copy, and caller
//! buffers read (writes) or filled (`out=`) in place.

use std::ffi::{c_int, c_void, CStr};
use std::mem::ManuallyDrop;

use pyo3::buffer::PyUntypedBuffer;
use pyo3::exceptions::PyBufferError;
use pyo3::ffi;
use pyo3::prelude::*;
use std::sync::Arc;

use zarrbridge_core::chunks::check_no_out;
use zarrbridge_core::dtype::Kind;
use zarrbridge_core::{
    ArrayHandle, Decoded, ElementType, Error, ExternalBuffer, Values, WriteData,
};

use crate::errors::check;

use crate::gil::PythonEntry;
use crate::vlen::{values_from, VlenBuffer};

/// Decoded elements owned by Rust, shown to Python through the buffer protocol with their
/// shape and format, so `numpy.asarray(buf)` is a typed N-d view that costs nothing. Types with
/// no buffer format numpy reads back (times, fixed-width text and bytes, `ml_dtypes` types) are
/// shown as bytes with one more dimension of the element size, which numpy views as the dtype.
#[pyclass(frozen, module = "zarrbridge._native")]
pub struct NdBuffer {
    ptr: *mut u8,
    len: usize,
    capacity: usize,
    shape: Box<[isize]>,
    strides: Box<[isize]>,
    itemsize: isize,
    format: &'static CStr,
}

// SAFETY: the buffer is plain bytes owned by this object; Python's buffer protocol governs
// access to it, as for `bytearray`.
unsafe impl Send for NdBuffer {}
unsafe impl Sync for NdBuffer {}

impl Drop for NdBuffer {
    fn drop(&mut self) {
        // SAFETY: the parts came from a Vec in `from_vec` and were never freed.
        let data = unsafe { Vec::from_raw_parts(self.ptr, self.len, self.capacity) };
        zarrbridge_core::pages::result_freed(data);
    }
}

fn format_of(element: ElementType) -> &'static CStr {
    match element.buffer_format().unwrap_or("B") {
        "?" => c"?",
        "b" => c"b",
        "h" => c"h",
        "i" => c"i",
        "q" => c"q",
        "H" => c"H",
        "I" => c"I",
        "Q" => c"Q",
        "e" => c"e",
        "f" => c"f",
        "d" => c"d",
        "Zf" => c"Zf",
        "Zd" => c"Zd",
        _ => c"B", // "B": uint8 (and the bytes of types with no format); the table holds no other
    }
}

fn isize_of(n: u64) -> isize {
    isize::try_from(n).unwrap_or(isize::MAX)
}

impl NdBuffer {
    fn from_vec(data: Vec<u8>, shape: &[u64], element: ElementType) -> Self {
        let (shape, size) = if element.buffer_format().is_some() {
            (shape.to_vec(), element.size)
        } else {
            let mut bytes_shape = shape.to_vec();
            bytes_shape.push(element.size as u64);
            (bytes_shape, 1)
        };
        let shape = shape.as_slice();
        let itemsize = isize::try_from(size).unwrap_or(isize::MAX);
        let mut strides = vec![itemsize; shape.len()];
        for d in (0..shape.len().saturating_sub(1)).rev() {
            strides[d] = strides[d + 1] * isize_of(shape[d + 1]);
        }
        let mut data = std::mem::ManuallyDrop::new(data);
        Self {
            ptr: data.as_mut_ptr(),
            len: data.len(),
            capacity: data.capacity(),
            shape: shape.iter().map(|&s| isize_of(s)).collect(),
            strides: strides.into_boxed_slice(),
            itemsize,
            format: format_of(element),
        }
    }

    /// The buffer of a read of fixed-size elements, or `None` when data went to `out=`.
    fn from_decoded(decoded: Decoded) -> Option<Self> {
        let Decoded {
            data,
            shape,
            element,
            ..
        } = decoded;
        data.map(|d| Self::from_vec(d, &shape, element))
    }
}

#[pymethods]
impl NdBuffer {
    /// Size of the data in bytes.
    #[getter]
    fn nbytes(&self) -> usize {
        self.len
    }

    unsafe fn __getbuffer__(
        slf: Bound<'_, Self>,
        view: *mut ffi::Py_buffer,
        flags: c_int,
    ) -> PyResult<()> {
        if view.is_null() {
            return Err(PyBufferError::new_err("view is null"));
        }
        let this = slf.get();
        // SAFETY: `view` is a valid Py_buffer to fill (checked non-null); the pointers we store
        // (data, shape, strides, format) live as long as `obj`, which the view keeps alive.
        unsafe {
            (*view).buf = this.ptr.cast::<c_void>();
            (*view).len = isize::try_from(this.len).unwrap_or(isize::MAX);
            (*view).readonly = 0;
            (*view).itemsize = this.itemsize;
            (*view).format = if flags & ffi::PyBUF_FORMAT == ffi::PyBUF_FORMAT {
                this.format.as_ptr().cast_mut()
            } else {
                std::ptr::null_mut()
            };
            (*view).ndim = c_int::try_from(this.shape.len()).unwrap_or(c_int::MAX);
            (*view).shape = if flags & ffi::PyBUF_ND == ffi::PyBUF_ND {
                this.shape.as_ptr().cast_mut()
            } else {
                std::ptr::null_mut()
            };
            (*view).strides = if flags & ffi::PyBUF_STRIDES == ffi::PyBUF_STRIDES {
                this.strides.as_ptr().cast_mut()
            } else {
                std::ptr::null_mut()
            };
            (*view).suboffsets = std::ptr::null_mut();
            (*view).internal = std::ptr::null_mut();
            (*view).obj = slf.into_any().into_ptr();
        }
        Ok(())
    }
}

/// A caller's buffer, held (and so kept alive and locked) while Rust reads or writes it.
///
/// The last holder may let go on any Rust thread (an I/O or compute thread, after the call was
/// cancelled perhaps); releasing the view takes the GIL, which is only safe before the
/// interpreter exits. After that the view is leaked: the process is going away.
pub struct HeldBuffer(ManuallyDrop<PyUntypedBuffer>);

impl Drop for HeldBuffer {
    fn drop(&mut self) {
        if let Some(_entry) = PythonEntry::acquire() {
            // SAFETY: dropped once, here; `self.0` is not used afterwards.
            unsafe { ManuallyDrop::drop(&mut self.0) };
        }
    }
}

impl HeldBuffer {
    /// Take the buffer of `obj`: it must be C-contiguous, of `itemsize`-byte elements, and
    /// writable when `writable`.
    pub fn get(obj: &Bound<'_, PyAny>, itemsize: usize, writable: bool) -> Result<Self, Error> {
        // A 0-d array exports no shape, which pyo3 refuses: view it as 1-d instead.
        let buffer = PyUntypedBuffer::get(obj)
            .or_else(|e| match obj.call_method1("reshape", (-1,)) {
                Ok(flat) => PyUntypedBuffer::get(&flat),
                Err(_) => Err(e),
            })
            .map_err(|e| Error::InvalidData(format!("expected a buffer (numpy array): {e}")))?;
        if !buffer.is_c_contiguous() {
            return Err(Error::InvalidData("the buffer must be C-contiguous".into()));
        }
        if writable && buffer.readonly() {
            return Err(Error::InvalidData("the buffer must be writable".into()));
        }
        if buffer.item_size() != itemsize && buffer.len_bytes() != 0 {
            return Err(Error::InvalidData(format!(
                "the buffer holds {}-byte items, the array's are {itemsize} bytes",
                buffer.item_size()
            )));
        }
        Ok(Self(ManuallyDrop::new(buffer)))
    }
}

impl AsRef<[u8]> for HeldBuffer {
    fn as_ref(&self) -> &[u8] {
        if self.0.len_bytes() == 0 {
            return &[];
        }
        // SAFETY: the exporter keeps `len_bytes` bytes at `buf_ptr` while the view is held.
        unsafe { std::slice::from_raw_parts(self.0.buf_ptr().cast::<u8>(), self.0.len_bytes()) }
    }
}

// SAFETY: the view stays valid and in place until dropped; `get` checked it is writable.
unsafe impl ExternalBuffer for HeldBuffer {
    fn ptr(&self) -> *mut u8 {
        self.0.buf_ptr().cast::<u8>()
    }

    fn len(&self) -> usize {
        self.0.len_bytes()
    }
}

/// The item size of the buffers the array's data moves in: the element size, or 1 for types
/// whose data moves as bytes (see [`NdBuffer`]).
fn itemsize(array: &ArrayHandle) -> PyResult<usize> {
    let element = check(array.element())?;
    Ok(if element.buffer_format().is_some() {
        element.size
    } else {
        1
    })
}

/// The Python result of a read: an [`NdBuffer`] (fixed-size elements), a [`VlenBuffer`]
/// (variable-length ones), or `None` when data went to `out=`.
#[derive(IntoPyObject)]
pub enum ReadResult {
    /// Fixed-size elements.
    Fixed(NdBuffer),
    /// Variable-length elements.
    Variable(VlenBuffer),
}

/// The result of a read.
pub fn result(decoded: Decoded) -> Option<ReadResult> {
    if decoded.offsets.is_some() {
        let text = decoded.element.kind == Kind::String;
        return Some(ReadResult::Variable(VlenBuffer::from_decoded(
            decoded, text,
        )));
    }
    NdBuffer::from_decoded(decoded).map(ReadResult::Fixed)
}

/// The caller's `out=` buffer, checked to hold elements of the array's size.
pub fn out_buffer(
    array: &ArrayHandle,
    out: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<Box<dyn ExternalBuffer>>> {
    check(check_no_out(check(array.element())?, out.is_some()))?;
    let size = itemsize(array)?;
    out.map(|o| -> PyResult<Box<dyn ExternalBuffer>> {
        Ok(Box::new(check(HeldBuffer::get(o, size, true))?))
    })
    .transpose()
}

/// The caller's data for a write: a numpy array of text or bytes (`StringDType`, objects, `U`,
/// `S`) read into Rust as values, anything else a buffer of the array's elements, held without
/// a copy until the write is done.
pub fn write_data(array: &ArrayHandle, data: &Bound<'_, PyAny>) -> PyResult<Values> {
    let element = check(array.element())?;
    let kind = data
        .getattr("dtype")
        .and_then(|d| d.getattr("kind")?.extract::<String>())
        .unwrap_or_default();
    if matches!(kind.as_str(), "T" | "O" | "U" | "S") {
        let text = matches!(element.value_kind(), 'U' | 'T');
        return Ok(values_from(data, text)?.into());
    }
    let data: WriteData = Arc::new(check(HeldBuffer::get(data, itemsize(array)?, false))?);
    Ok(data.into())
}

/// A stored value, owned by Rust and shown to Python as a read-only 1-d byte buffer (no copy).
///
/// Not `pyo3_bytes::PyBytes`: that is a whole `bytes`-like API (some 20 methods to stub and
/// keep stubtest-clean) where callers need only the buffer protocol; both hand over the same
/// `bytes::Bytes` without a copy, so there is nothing to gain in speed.
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
