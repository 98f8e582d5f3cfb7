//! The chunk API: read, write and delete whole stored chunks (shards, for sharded arrays), or
//! with `inner`, the inner chunks of a sharded array.

use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use zarrs::array::CodecOptions;

use crate::compute::compute_part;
use crate::dtype::ElementType;
use crate::error::{Error, Result};
use crate::handle::ArrayHandle;
use crate::ndcopy::byte_len;
use crate::pipeline::{
    codec_options, decode_into_target, encode_chunk, fetch_then, read_into, result_buffer,
    store_encoded, write_from, ExternalBuffer, CHUNK_CONCURRENCY,
};
use crate::progress;

/// Bytes given for a write, kept alive (a caller's buffer or an owned copy) until it is done.
pub type WriteData = Arc<dyn AsRef<[u8]> + Send + Sync>;

/// Decoded data: C-ordered native-endian elements, or `None` when it went to the caller's
/// buffer.
#[derive(Debug)]
pub struct Decoded {
    /// The bytes, unless they were written into an external buffer.
    pub data: Option<Vec<u8>>,
    /// The shape of the data.
    pub shape: Vec<u64>,
    /// The element type.
    pub element: ElementType,
}

async fn read_one(
    array: &ArrayHandle,
    coords: Vec<u64>,
    out: Option<Box<dyn ExternalBuffer>>,
    options: CodecOptions,
    chunks: usize,
) -> Result<Decoded> {
    let element = array.element()?;
    let target = array.array.chunk_subset(&coords)?;
    let out = result_buffer(out, byte_len(&array.chunk_shape(), element.size))?;
    let shape = target.shape().to_vec();
    let (store, key) = (array.store.clone(), array.array.chunk_key(&coords));
    let (job_array, job_out) = (array.clone(), out.clone());
    let bytes = out.len();
    fetch_then(&store, key, chunks, bytes, move |encoded| {
        decode_into_target(&job_array, &coords, encoded, &target, &job_out, &options)
    })
    .await?;
    progress::done(1, bytes as u64);
    // SAFETY: decode_into_target wrote the whole chunk (decoded data or fill value).
    let data = unsafe { out.into_vec()? };
    Ok(Decoded {
        data,
        shape,
        element,
    })
}

/// Read one whole stored chunk (edge chunks include their padding).
///
/// # Errors
/// [`Error::ChunkIndex`] for coordinates outside the grid; codec and store errors.
pub async fn read_chunk(
    array: &ArrayHandle,
    coords: &[u64],
    out: Option<Box<dyn ExternalBuffer>>,
) -> Result<Decoded> {
    array.check_chunk(coords)?;
    let bytes = byte_len(&array.chunk_shape(), array.element()?.size);
    progress::plan(1, bytes as u64);
    read_one(array, coords.to_vec(), out, codec_options(1), 1).await
}

/// Read many chunks in one call, in the order given.
///
/// # Errors
/// As [`read_chunk`]; all coordinates are checked before any I/O.
pub async fn read_chunks(array: &ArrayHandle, coords: &[Vec<u64>]) -> Result<Vec<Decoded>> {
    for c in coords {
        array.check_chunk(c)?;
    }
    let options = codec_options(coords.len());
    let bytes = byte_len(&array.chunk_shape(), array.element()?.size) as u64;
    progress::plan(coords.len() as u64, bytes * coords.len() as u64);
    futures::stream::iter(coords.iter().cloned())
        .map(|c| read_one(array, c, None, options, coords.len()))
        .buffered(CHUNK_CONCURRENCY)
        .try_collect()
        .await
}

fn check_write(array: &ArrayHandle, coords: &[u64], data: &WriteData) -> Result<()> {
    array.check_chunk(coords)?;
    check_size(&array.chunk_shape(), array.element()?.size, data)
}

fn check_size(shape: &[u64], elem: usize, data: &WriteData) -> Result<()> {
    let needed = byte_len(shape, elem);
    let given = (**data).as_ref().len();
    if given != needed {
        return Err(Error::InvalidData(format!(
            "chunk data holds {given} bytes, a chunk of shape {shape:?} needs {needed}"
        )));
    }
    Ok(())
}

async fn write_one(
    array: &ArrayHandle,
    coords: Vec<u64>,
    data: WriteData,
    options: CodecOptions,
    chunks: usize,
) -> Result<()> {
    let job_array = array.clone();
    let bytes = (*data).as_ref().len();
    let job_coords = coords.clone();
    let encoded = compute_part(chunks, bytes, move || {
        encode_chunk(&job_array, &job_coords, (*data).as_ref(), &options)
    })
    .await;
    store_encoded(array, &coords, encoded).await?;
    progress::done(1, bytes as u64);
    Ok(())
}

/// Write one whole chunk (C order, native byte order, the full chunk shape).
///
/// # Errors
/// [`Error::ChunkIndex`], [`Error::InvalidData`] for a wrong size (nothing is written).
pub async fn write_chunk(array: &ArrayHandle, coords: &[u64], data: WriteData) -> Result<()> {
    check_write(array, coords, &data)?;
    progress::plan(1, (*data).as_ref().len() as u64);
    write_one(array, coords.to_vec(), data, codec_options(1), 1).await
}

/// Write many chunks in one call. Every chunk is checked before anything is written.
///
/// # Errors
/// As [`write_chunk`]; [`Error::InvalidData`] when the lists differ in length.
pub async fn write_chunks(
    array: &ArrayHandle,
    coords: &[Vec<u64>],
    data: Vec<WriteData>,
) -> Result<()> {
    if coords.len() != data.len() {
        return Err(Error::InvalidData(format!(
            "{} chunk coordinates but {} data values",
            coords.len(),
            data.len()
        )));
    }
    for (c, d) in coords.iter().zip(&data) {
        check_write(array, c, d)?;
    }
    let (options, count) = (codec_options(coords.len()), coords.len());
    let total: usize = data.iter().map(|d| (**d).as_ref().len()).sum();
    progress::plan(count as u64, total as u64);
    // Futures are built first: a closure in the stream type trips rustc's higher-ranked
    // lifetime inference for `dyn` data.
    let writes: Vec<_> = coords
        .iter()
        .cloned()
        .zip(data)
        .map(|(c, d)| write_one(array, c, d, options, count))
        .collect();
    futures::stream::iter(writes)
        .buffer_unordered(CHUNK_CONCURRENCY)
        .try_collect()
        .await
}

/// Delete a stored chunk (it then reads as the fill value). Deleting a missing chunk is fine.
///
/// # Errors
/// [`Error::ChunkIndex`] for coordinates outside the grid; store errors.
pub async fn delete_chunk(array: &ArrayHandle, coords: &[u64]) -> Result<()> {
    array.check_chunk(coords)?;
    let key = array.array.chunk_key(coords);
    let erased = array.store.erase(key.as_str()).await;
    array.forget_shard(coords);
    erased
}

/// Read one inner chunk of a sharded array (coordinates in the grid of inner chunks, see
/// [`ArrayHandle::inner_grid_shape`]; edge ones include their padding): only its shard's index
/// and the inner chunk itself are read.
///
/// # Errors
/// [`Error::ChunkIndex`] for coordinates outside the grid, or an unsharded array; codec and
/// store errors.
pub async fn read_inner_chunk(
    array: &ArrayHandle,
    coords: &[u64],
    out: Option<Box<dyn ExternalBuffer>>,
) -> Result<Decoded> {
    let subset = array.locate_inner(coords)?.subset;
    let element = array.element()?;
    let out = result_buffer(out, byte_len(subset.shape(), element.size))?;
    read_into(array, &subset, &out).await?;
    // SAFETY: read_into wrote the whole inner chunk (decoded data or fill value).
    let data = unsafe { out.into_vec()? };
    Ok(Decoded {
        data,
        shape: subset.shape().to_vec(),
        element,
    })
}

/// Write one inner chunk of a sharded array (the full inner chunk shape): its shard is read,
/// merged and written once.
///
/// # Errors
/// As [`read_inner_chunk`]; [`Error::InvalidData`] for a wrong size (nothing is written).
pub async fn write_inner_chunk(array: &ArrayHandle, coords: &[u64], data: WriteData) -> Result<()> {
    let subset = array.locate_inner(coords)?.subset;
    check_size(subset.shape(), array.element()?.size, &data)?;
    write_from(array, &subset, data).await
}
