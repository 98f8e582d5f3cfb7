//! numpy's `StringDType` arrays read and filled from Rust, string by string, with no Python
//! object per string: through numpy's C API (numpy >= 2.0), whose function table numpy
//! publishes as the capsule `numpy._core._multiarray_umath._ARRAY_API`. The slots used here
//! (`NpyString_load`, `NpyString_pack`, `NpyString_acquire_allocator`,
//! `NpyString_release_allocator`; `numpy/__multiarray_api.h`) are part of numpy 2's stable ABI.
//!
//! Why not through Python: filling a `StringDType` array from Python means one `str` object per
//! value (`np.array(list_of_str, dtype=StringDType())`), and reading one means one per value
//! too (`arr.tolist()`); see `docs/dev/strings.md` for the figures.

use std::ffi::{c_char, c_int, c_uint, c_void};

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyCapsule;
use zarrbridge_core::{Error, VlenValues};

use crate::errors::to_pyerr;

/// `npy_static_string`: a view of one string's UTF-8 bytes.
#[repr(C)]
struct StaticString {
    size: usize,
    buf: *const c_char,
}

type Load = unsafe extern "C" fn(*mut c_void, *const c_void, *mut StaticString) -> c_int;
type Pack = unsafe extern "C" fn(*mut c_void, *mut c_void, *const c_char, usize) -> c_int;
type Acquire = unsafe extern "C" fn(*mut pyo3::ffi::PyObject) -> *mut c_void;
type Release = unsafe extern "C" fn(*mut c_void);
type FeatureVersion = unsafe extern "C" fn() -> c_uint;

/// Slots of numpy's C API table (`numpy/__multiarray_api.h`).
const FEATURE_VERSION_SLOT: usize = 211;
const LOAD_SLOT: usize = 313;
const PACK_SLOT: usize = 314;
const ACQUIRE_SLOT: usize = 316;
const RELEASE_SLOT: usize = 318;
/// `NPY_2_0_API_VERSION`: the C API feature version that added the string functions.
const NUMPY_2_0: c_uint = 0x12;

/// The size of one packed string (`npy_packed_static_string`) in an array's memory.
const PACKED_SIZE: usize = 16;

struct Api {
    load: Load,
    pack: Pack,
    acquire: Acquire,
    release: Release,
}

fn api(py: Python<'_>) -> PyResult<&'static Api> {
    static API: PyOnceLock<Api> = PyOnceLock::new();
    API.get_or_try_init(py, || {
        let capsule = py
            .import("numpy._core._multiarray_umath")?
            .getattr("_ARRAY_API")?;
        let capsule = capsule.cast::<PyCapsule>()?;
        let table = capsule.pointer_checked(None)?.cast::<*const c_void>();
        // SAFETY: the capsule holds numpy's API table, an array of function pointers that lives
        // as long as numpy is loaded (for good: numpy cannot be unloaded); the slots read here
        // exist in every numpy 2 table, and the feature version says it is one.
        unsafe {
            let slot = |i: usize| *table.as_ptr().add(i);
            let version: FeatureVersion = std::mem::transmute(slot(FEATURE_VERSION_SLOT));
            if version() < NUMPY_2_0 {
                return Err(PyRuntimeError::new_err(
                    "numpy's StringDType needs numpy >= 2.0",
                ));
            }
            Ok(Api {
                load: std::mem::transmute::<*const c_void, Load>(slot(LOAD_SLOT)),
                pack: std::mem::transmute::<*const c_void, Pack>(slot(PACK_SLOT)),
                acquire: std::mem::transmute::<*const c_void, Acquire>(slot(ACQUIRE_SLOT)),
                release: std::mem::transmute::<*const c_void, Release>(slot(RELEASE_SLOT)),
            })
        }
    })
}

/// A C-contiguous `StringDType` array, checked: its data pointer and length.
fn string_array(array: &Bound<'_, PyAny>, writable: bool) -> PyResult<(*mut u8, usize)> {
    let dtype = array.getattr("dtype")?;
    let flags = array.getattr("flags")?;
    let ok = dtype.getattr("kind")?.extract::<String>()? == "T"
        && dtype.getattr("itemsize")?.extract::<usize>()? == PACKED_SIZE
        && flags.getattr("c_contiguous")?.extract::<bool>()?
        && (!writable || flags.getattr("writeable")?.extract::<bool>()?);
    if !ok {
        return Err(PyValueError::new_err(
            "expected a C-contiguous numpy StringDType array",
        ));
    }
    let data = array
        .getattr("__array_interface__")?
        .get_item("data")?
        .get_item(0)?
        .extract::<usize>()?;
    Ok((data as *mut u8, array.getattr("size")?.extract()?))
}

/// The allocator of an array's dtype, held while it lives (numpy's lock on the array's
/// strings).
struct Allocator<'a> {
    api: &'a Api,
    raw: *mut c_void,
}

impl<'a> Allocator<'a> {
    fn acquire(api: &'a Api, array: &Bound<'_, PyAny>) -> PyResult<Self> {
        let dtype = array.getattr("dtype")?;
        // SAFETY: `dtype` is the array's StringDType descriptor (checked by `string_array`),
        // alive while `array` is.
        let raw = unsafe { (api.acquire)(dtype.as_ptr()) };
        if raw.is_null() {
            return Err(PyRuntimeError::new_err("numpy gave no string allocator"));
        }
        Ok(Self { api, raw })
    }
}

impl Drop for Allocator<'_> {
    fn drop(&mut self) {
        // SAFETY: acquired in `acquire`, released once.
        unsafe { (self.api.release)(self.raw) };
    }
}

/// The strings of a C-contiguous `StringDType` array (C order) as UTF-8 values.
///
/// # Errors
/// `InvalidDataError` for a missing value (a dtype with `na_object`).
pub fn load(array: &Bound<'_, PyAny>) -> PyResult<VlenValues> {
    let api = api(array.py())?;
    let (data, len) = string_array(array, false)?;
    let allocator = Allocator::acquire(api, array)?;
    let mut values = VlenValues::default();
    values.offsets.reserve(len);
    for i in 0..len {
        let mut view = StaticString {
            size: 0,
            buf: std::ptr::null(),
        };
        // SAFETY: element `i` of a C-contiguous array of `len` 16-byte packed strings, read
        // under the array's allocator lock.
        let status = unsafe {
            (api.load)(
                allocator.raw,
                data.add(i * PACKED_SIZE).cast::<c_void>(),
                &raw mut view,
            )
        };
        match status {
            0 if view.size == 0 => {}
            // SAFETY: numpy points `buf` at `size` bytes that stay valid under the lock.
            0 => values.bytes.extend_from_slice(unsafe {
                std::slice::from_raw_parts(view.buf.cast::<u8>(), view.size)
            }),
            1 => {
                return Err(to_pyerr(Error::InvalidData(format!(
                    "element {i} is a missing value (the dtype's na_object), which Zarr \
                     strings cannot hold"
                ))))
            }
            _ => return Err(PyRuntimeError::new_err("numpy could not read a string")),
        }
        values.offsets.push(values.bytes.len());
    }
    Ok(values)
}

/// Fill a C-contiguous `StringDType` array with the values `bytes[offsets[i]..offsets[i + 1]]`
/// (UTF-8), in C order.
///
/// # Errors
/// `ValueError` when the array does not hold as many elements as there are values.
pub fn fill(array: &Bound<'_, PyAny>, bytes: &[u8], offsets: &[usize]) -> PyResult<()> {
    let api = api(array.py())?;
    let (data, len) = string_array(array, true)?;
    if len + 1 != offsets.len() {
        return Err(PyValueError::new_err(format!(
            "the array holds {len} elements, there are {} values",
            offsets.len() - 1
        )));
    }
    let allocator = Allocator::acquire(api, array)?;
    for (i, w) in offsets.windows(2).enumerate() {
        let value = &bytes[w[0]..w[1]];
        // SAFETY: element `i` of the C-contiguous writable array checked above, written under
        // its allocator lock; numpy copies `value`.
        let status = unsafe {
            (api.pack)(
                allocator.raw,
                data.add(i * PACKED_SIZE).cast::<c_void>(),
                value.as_ptr().cast::<c_char>(),
                value.len(),
            )
        };
        if status != 0 {
            return Err(PyRuntimeError::new_err("numpy could not store a string"));
        }
    }
    Ok(())
}
