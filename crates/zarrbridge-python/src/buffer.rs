//! Data crossing the boundary: decoded results exposed to numpy without a copy, and caller
//! buffers read (writes) or filled (`out=`) in place.

use std::ffi::{c_int, c_void, CStr};
use std::mem::ManuallyDrop;

use pyo3::buffer::PyUntypedBuffer;
use pyo3::exceptions::PyBufferError;
use pyo3::ffi;
use pyo3::prelude::*;
use zarrbridge_core::{Decoded, ElementType, Error, ExternalBuffer};

use crate::runtime::PythonEntry;

/// Decoded elements owned by Rust, shown to Python through the buffer protocol with their
/// shape and format, so `numpy.asarray(buf)` is a typed N-d view that costs nothing.
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
    match element.buffer_format {
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
        _ => c"B", // "B": uint8; the table in zarrbridge-core holds no other format
    }
}

fn isize_of(n: u64) -> isize {
    isize::try_from(n).unwrap_or(isize::MAX)
}

impl NdBuffer {
    fn from_vec(data: Vec<u8>, shape: &[u64], element: ElementType) -> Self {
        let itemsize = isize::try_from(element.size).unwrap_or(isize::MAX);
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

    /// The Python result of a read: an `NdBuffer`, or `None` when data went to `out=`.
    pub fn from_decoded(decoded: Decoded) -> Option<Self> {
        let Decoded {
            data,
            shape,
            element,
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
