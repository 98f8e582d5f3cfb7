//! `zarrbridge._native`: the pyo3 extension. Conversions only; Zarr logic lives in
//! `zarrbridge-core`.

use pyo3::prelude::*;

#[macro_use]
mod macros;

mod buffer;
mod data;
mod errors;
mod handles;
mod limits;
mod nodes;
mod pystore;
mod pystore_async;
mod pystore_sync;
mod runtime;
mod store;
mod store_io;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<store::PyStore>()?;
    // obstore-compatible builders: stores built with them share their connection pool with us.
    pyo3_object_store::register_store_module(m.py(), m, "zarrbridge._native", "store")?;
    pyo3_object_store::register_exceptions_module(m.py(), m, "zarrbridge._native", "exceptions")?;
    m.add_class::<handles::PyArrayHandle>()?;
    m.add_class::<handles::PyGroupHandle>()?;
    m.add_class::<buffer::NdBuffer>()?;
    m.add_class::<runtime::Task>()?;
    m.add_class::<runtime::Ready>()?;
    m.add_class::<store_io::PyValue>()?;
    m.add_function(wrap_pyfunction!(store_io::store_get, m)?)?;
    m.add_function(wrap_pyfunction!(store_io::store_get_ranges, m)?)?;
    m.add_function(wrap_pyfunction!(store_io::store_put, m)?)?;
    m.add_function(wrap_pyfunction!(store_io::store_delete, m)?)?;
    m.add_function(wrap_pyfunction!(store_io::store_list, m)?)?;
    m.add_function(wrap_pyfunction!(store_io::store_list_with_delimiter, m)?)?;
    m.add_function(wrap_pyfunction!(store_io::store_head, m)?)?;
    m.add_function(wrap_pyfunction!(runtime::shutdown, m)?)?;
    m.add_function(wrap_pyfunction!(limits::memory_limit, m)?)?;
    m.add_function(wrap_pyfunction!(limits::set_memory_limit, m)?)?;
    m.add_function(wrap_pyfunction!(runtime::mark_store_loop_thread, m)?)?;
    m.add_class::<pystore_async::Delivery>()?;
    m.add_function(wrap_pyfunction!(nodes::array_from_metadata, m)?)?;
    m.add_function(wrap_pyfunction!(nodes::create_array, m)?)?;
    m.add_function(wrap_pyfunction!(nodes::create_group, m)?)?;
    m.add_function(wrap_pyfunction!(nodes::open_array, m)?)?;
    m.add_function(wrap_pyfunction!(nodes::open_group, m)?)?;
    m.add_function(wrap_pyfunction!(nodes::open_node, m)?)?;
    m.add_function(wrap_pyfunction!(nodes::read_metadata, m)?)?;
    m.add_function(wrap_pyfunction!(nodes::list_children, m)?)?;
    m.add_function(wrap_pyfunction!(nodes::delete_node, m)?)?;
    m.add_function(wrap_pyfunction!(nodes::update_attributes, m)?)?;
    m.add_function(wrap_pyfunction!(data::selection_shape, m)?)?;
    m.add_function(wrap_pyfunction!(data::read_chunk, m)?)?;
    m.add_function(wrap_pyfunction!(data::read_chunks, m)?)?;
    m.add_function(wrap_pyfunction!(data::write_chunk, m)?)?;
    m.add_function(wrap_pyfunction!(data::write_chunks, m)?)?;
    m.add_function(wrap_pyfunction!(data::delete_chunk, m)?)?;
    m.add_function(wrap_pyfunction!(data::read_region, m)?)?;
    m.add_function(wrap_pyfunction!(data::write_region, m)?)?;
    Ok(())
}
