//! Variable-length values exported to Arrow without a copy: the Arrow C data interface's two
//! structs (`ArrowSchema`, `ArrowArray`), handed over in the capsules of Arrow's Python capsule
//! interface (`__arrow_c_array__`), as a `large_string` (`"U"`) or `large_binary` (`"Z"`)
//! array whose offsets and data buffers are the Rust-owned buffers themselves.
//!
//! Why not arrow-rs's `ffi` module: it needs the `arrow-data`, `arrow-buffer` and
//! `arrow-schema` crates and builds an `ArrayData` first, for what is two `#[repr(C)]` structs
//! of a stable ABI that the interface's own documentation expects producers to fill in by hand
//! (<https://arrow.apache.org/docs/format/CDataInterface.html>).

use std::ffi::{c_char, c_void, CStr};
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyCapsule;

/// Bytes and offsets kept alive by every array exported from them.
pub struct Shared {
    /// The values' bytes.
    pub bytes: Vec<u8>,
    /// The offsets (`usize`: the same bits as Arrow's 64-bit offsets on 64-bit targets).
    pub offsets: Vec<usize>,
}

const _: () = assert!(
    std::mem::size_of::<usize>() == std::mem::size_of::<i64>(),
    "offsets are exported as Arrow's 64-bit offsets without conversion"
);

#[repr(C)]
struct ArrowSchema {
    format: *const c_char,
    name: *const c_char,
    metadata: *const c_char,
    flags: i64,
    n_children: i64,
    children: *mut *mut ArrowSchema,
    dictionary: *mut ArrowSchema,
    release: Option<unsafe extern "C" fn(*mut ArrowSchema)>,
    private_data: *mut c_void,
}

#[repr(C)]
struct ArrowArray {
    length: i64,
    null_count: i64,
    offset: i64,
    n_buffers: i64,
    n_children: i64,
    buffers: *mut *const c_void,
    children: *mut *mut ArrowArray,
    dictionary: *mut ArrowArray,
    release: Option<unsafe extern "C" fn(*mut ArrowArray)>,
    private_data: *mut c_void,
}

// SAFETY: the structs are handed to a consumer that owns them from then on; their pointers are
// to immutable data kept alive by `private_data`.
unsafe impl Send for ArrowSchema {}
unsafe impl Send for ArrowArray {}

/// What an exported array's `private_data` holds: the buffers, and the pointer list into them.
struct Private {
    _shared: Arc<Shared>,
    buffers: [*const c_void; 3],
}

/// An aligned place for the data pointer of an array with no bytes (a dangling `Vec` pointer
/// is not 8-byte aligned, which Arrow asks of buffers).
static EMPTY: u64 = 0;

unsafe extern "C" fn release_schema(schema: *mut ArrowSchema) {
    // SAFETY: called once by the consumer on a schema made by `export`; it owns no memory.
    unsafe { (*schema).release = None };
}

unsafe extern "C" fn release_array(array: *mut ArrowArray) {
    // SAFETY: called once by the consumer on an array made by `export`, whose private data is
    // a boxed `Private`.
    unsafe {
        drop(Box::from_raw((*array).private_data.cast::<Private>()));
        (*array).release = None;
    }
}

const SCHEMA: &CStr = c"arrow_schema";
const ARRAY: &CStr = c"arrow_array";

/// The `(schema, array)` capsules of `__arrow_c_array__` for `shared` (text: `large_string`,
/// else `large_binary`).
pub fn export<'py>(
    py: Python<'py>,
    shared: &Arc<Shared>,
    text: bool,
) -> PyResult<(Bound<'py, PyCapsule>, Bound<'py, PyCapsule>)> {
    let format: &'static CStr = if text { c"U" } else { c"Z" };
    let schema = ArrowSchema {
        format: format.as_ptr(),
        name: c"".as_ptr(),
        metadata: std::ptr::null(),
        flags: 0,
        n_children: 0,
        children: std::ptr::null_mut(),
        dictionary: std::ptr::null_mut(),
        release: Some(release_schema),
        private_data: std::ptr::null_mut(),
    };
    let data = if shared.bytes.is_empty() {
        std::ptr::from_ref(&EMPTY).cast::<c_void>()
    } else {
        shared.bytes.as_ptr().cast::<c_void>()
    };
    let mut private = Box::new(Private {
        _shared: shared.clone(),
        buffers: [
            std::ptr::null(),
            shared.offsets.as_ptr().cast::<c_void>(),
            data,
        ],
    });
    let array = ArrowArray {
        length: i64::try_from(shared.offsets.len() - 1).unwrap_or(i64::MAX),
        null_count: 0,
        offset: 0,
        n_buffers: 3,
        n_children: 0,
        buffers: private.buffers.as_mut_ptr(),
        children: std::ptr::null_mut(),
        dictionary: std::ptr::null_mut(),
        release: Some(release_array),
        private_data: Box::into_raw(private).cast::<c_void>(),
    };
    let schema = PyCapsule::new_with_value_and_destructor(py, schema, SCHEMA, |s, _| {
        drop_schema(s);
    })?;
    let array = PyCapsule::new_with_value_and_destructor(py, array, ARRAY, |a, _| {
        drop_array(a);
    })?;
    Ok((schema, array))
}

/// A capsule's struct released unless its consumer moved it out (and set `release` to null).
fn drop_schema(mut schema: ArrowSchema) {
    if let Some(release) = schema.release {
        // SAFETY: the struct was never handed over; releasing it is ours to do.
        unsafe { release(&raw mut schema) };
    }
}

fn drop_array(mut array: ArrowArray) {
    if let Some(release) = array.release {
        // SAFETY: as for the schema.
        unsafe { release(&raw mut array) };
    }
}
