//! The chunk API: read, write and delete whole stored chunks (shards, for sharded arrays).

use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use zarrs::array::CodecOptions;

use crate::chunk_lock::lock_chunk;
use crate::compute::compute_part;
use crate::dtype::ElementType;
use crate::error::{Error, Result};
use crate::handle::ArrayHandle;
use crate::io::{
    byte_len, codec_options, decode_into_target, encode_chunk, fetch_then, result_buffer,
    store_encoded, ExternalBuffer, CHUNK_CONCURRENCY,
};

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
    let chunk_shape = array.chunk_shape();
    let out = result_buffer(out, byte_len(&chunk_shape, element.size), &chunk_shape)?;
    let shape = target.shape().to_vec();
    let (store, key) = (array.store.clone(), array.array.chunk_key(&coords));
    let (job_array, job_out) = (array.clone(), out.clone());
    fetch_then(&store, key, chunks, out.len(), move |encoded| {
        decode_into_target(&job_array, &coords, encoded, &target, &job_out, &options)
    })
    .await?;
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
    futures::stream::iter(coords.iter().cloned())
        .map(|c| read_one(array, c, None, options, coords.len()))
        .buffered(CHUNK_CONCURRENCY)
        .try_collect()
        .await
}

fn check_write(array: &ArrayHandle, coords: &[u64], data: &WriteData) -> Result<()> {
    array.check_chunk(coords)?;
    let needed = byte_len(&array.chunk_shape(), array.element()?.size);
    let given = (**data).as_ref().len();
    if given != needed {
        return Err(Error::InvalidData(format!(
            "chunk data holds {given} bytes, a chunk of shape {:?} needs {needed}",
            array.chunk_shape()
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
    let key = array.array.chunk_key(&coords);
    let job_array = array.clone();
    let bytes = (*data).as_ref().len();
    let encoded = compute_part(chunks, bytes, move || {
        encode_chunk(&job_array, &coords, (*data).as_ref(), &options)
    })
    .await?;
    // Ordered against partial writes of the same chunk (see crate::chunk_lock).
    let _held = lock_chunk(&array.store, key.as_str()).await;
    store_encoded(array, &key, encoded).await
}

/// Write one whole chunk (C order, native byte order, the full chunk shape).
///
/// # Errors
/// [`Error::ChunkIndex`], [`Error::InvalidData`] for a wrong size (nothing is written).
pub async fn write_chunk(array: &ArrayHandle, coords: &[u64], data: WriteData) -> Result<()> {
    check_write(array, coords, &data)?;
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
    let _held = lock_chunk(&array.store, key.as_str()).await;
    array.store.erase(key.as_str()).await
}
