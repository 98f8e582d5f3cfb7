//! `zarrbridge._native`: the pyo3 extension. Conversions only; Zarr logic lives in
//! `zarrbridge-core`.

use pyo3::prelude::*;

mod arrow;
mod buffer;
mod chunks;
mod convert;
mod copy;
mod encoded;
mod errors;
mod gil;
mod handles;
mod indexing;
mod io;
mod limits;
mod nodes;
mod npstrings;
mod port;
mod progress;
mod pystore;
mod pystore_async;
mod pystore_sync;
mod regions;
mod resize;
mod runtime;
mod store;
mod store_io;
mod vlen;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<store::PyStore>()?;
    // obstore-compatible builders: stores built with them share their connection pool with us.
    pyo3_object_store::register_store_module(m.py(), m, "zarrbridge._native", "store")?;
    pyo3_object_store::register_exceptions_module(m.py(), m, "zarrbridge._native", "exceptions")?;
    m.add_class::<handles::PyArrayHandle>()?;
    m.add_class::<handles::PyGroupHandle>()?;
    m.add_class::<buffer::NdBuffer>()?;
    m.add_class::<vlen::VlenBuffer>()?;
    m.add_class::<runtime::Task>()?;
    m.add_class::<runtime::Ready>()?;
    m.add("RustError", m.py().get_type::<errors::RustError>())?;
    m.add_class::<buffer::PyValue>()?;
    m.add_class::<io::PyIoStats>()?;
    m.add("io_stats_var", io::stats_var(m.py())?)?;
    m.add_function(wrap_pyfunction!(io::read_coalescing, m)?)?;
    m.add_function(wrap_pyfunction!(io::set_read_coalescing, m)?)?;
    m.add_class::<port::CompletionPort>()?;
    m.add_function(wrap_pyfunction!(runtime::pool_sizes, m)?)?;
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
    m.add_function(wrap_pyfunction!(nodes::group_from_metadata, m)?)?;
    m.add_function(wrap_pyfunction!(nodes::create_array, m)?)?;
    m.add_function(wrap_pyfunction!(nodes::create_group, m)?)?;
    m.add_function(wrap_pyfunction!(nodes::open_array, m)?)?;
    m.add_function(wrap_pyfunction!(nodes::open_group, m)?)?;
    m.add_function(wrap_pyfunction!(nodes::open_node, m)?)?;
    m.add_function(wrap_pyfunction!(nodes::group_open_node, m)?)?;
    m.add_function(wrap_pyfunction!(nodes::read_metadata, m)?)?;
    m.add_function(wrap_pyfunction!(nodes::list_children, m)?)?;
    m.add_function(wrap_pyfunction!(nodes::group_list_children, m)?)?;
    m.add_function(wrap_pyfunction!(nodes::consolidate_metadata, m)?)?;
    m.add_function(wrap_pyfunction!(nodes::delete_node, m)?)?;
    m.add_function(wrap_pyfunction!(nodes::update_attributes, m)?)?;
    m.add_function(wrap_pyfunction!(regions::selection_shape, m)?)?;
    m.add_function(wrap_pyfunction!(chunks::read_chunk, m)?)?;
    m.add_function(wrap_pyfunction!(chunks::read_chunks, m)?)?;
    m.add_function(wrap_pyfunction!(chunks::write_chunk, m)?)?;
    m.add_function(wrap_pyfunction!(chunks::write_chunks, m)?)?;
    m.add_function(wrap_pyfunction!(chunks::delete_chunk, m)?)?;
    m.add_function(wrap_pyfunction!(regions::read_region, m)?)?;
    m.add_function(wrap_pyfunction!(regions::write_region, m)?)?;
    m.add_function(wrap_pyfunction!(encoded::read_encoded_chunk, m)?)?;
    m.add_function(wrap_pyfunction!(encoded::write_encoded_chunk, m)?)?;
    m.add_class::<indexing::PySelection>()?;
    m.add_function(wrap_pyfunction!(indexing::orthogonal_selection, m)?)?;
    m.add_function(wrap_pyfunction!(indexing::vectorized_selection, m)?)?;
    m.add_function(wrap_pyfunction!(indexing::read_selection, m)?)?;
    m.add_function(wrap_pyfunction!(indexing::write_selection, m)?)?;
    m.add_function(wrap_pyfunction!(resize::resize, m)?)?;
    m.add_function(wrap_pyfunction!(resize::append, m)?)?;
    m.add_function(wrap_pyfunction!(copy::copy, m)?)?;
    m.add_class::<progress::PyProgressCounter>()?;
    m.add("progress_var", progress::progress_var(m.py())?)?;
    Ok(())
}
