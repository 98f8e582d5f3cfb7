//! The chunk API: read, write and delete whole stored chunks (shards, for sharded arrays), or
//! with `inner`, the inner chunks of a sharded array.

use futures::{StreamExt, TryStreamExt};
use zarrs::array::CodecOptions;

use crate::compute::compute_part;
use crate::dtype::{ElementType, Kind};
use crate::error::{Error, Result};
use crate::handle::ArrayHandle;
use crate::ndcopy::byte_len;
use crate::pipeline::{
    chunk_concurrency, codec_options, decode_into_target, encode_chunk, fetch_then, read_into,
    result_buffer, store_encoded, write_from, ExternalBuffer, Locks,
};
use crate::progress;
pub use crate::values::{Values, VlenValues, WriteData};
use crate::vlen;

/// Decoded data: C-ordered native-endian elements, or `None` when it went to the caller's
/// buffer; for variable-length types, the elements' bytes one after the other, with offsets.
#[derive(Debug)]
pub struct Decoded {
    /// The bytes, unless they were written into an external buffer.
    pub data: Option<Vec<u8>>,
    /// For variable-length types: where each element starts in `data`, and where the last ends
    /// (one more entry than elements).
    pub offsets: Option<Vec<usize>>,
    /// The shape of the data.
    pub shape: Vec<u64>,
    /// The element type.
    pub element: ElementType,
}

impl Decoded {
    /// Decoded fixed-size elements (`None`: they went to the caller's buffer).
    #[must_use]
    pub fn fixed(data: Option<Vec<u8>>, shape: Vec<u64>, element: ElementType) -> Self {
        Self {
            data,
            offsets: None,
            shape,
            element,
        }
    }

    /// Decoded variable-length elements; text is checked to be UTF-8.
    pub(crate) fn checked(
        values: VlenValues,
        shape: Vec<u64>,
        element: ElementType,
    ) -> Result<Self> {
        if element.kind == Kind::String && !values.is_utf8() {
            return Err(Error::codec(format!(
                "a chunk of a {} array holds text that is not UTF-8",
                element.describe()
            )));
        }
        Ok(Self {
            data: Some(values.bytes),
            offsets: Some(values.offsets),
            shape,
            element,
        })
    }
}

/// Refuse an output buffer (`out`: one is given) for variable-length data, which has no
/// fixed-size elements to decode into one.
///
/// # Errors
/// [`Error::InvalidData`] naming the data type.
pub fn check_no_out(element: ElementType, out: bool) -> Result<()> {
    if element.is_variable() && out {
        return Err(Error::InvalidData(format!(
            "out= is not supported for {} arrays (variable-length data)",
            element.describe()
        )));
    }
    Ok(())
}

async fn read_one(
    array: &ArrayHandle,
    coords: Vec<u64>,
    out: Option<Box<dyn ExternalBuffer>>,
    options: CodecOptions,
    chunks: usize,
) -> Result<Decoded> {
    let element = array.element()?;
    check_no_out(element, out.is_some())?;
    let target = array.array.chunk_subset(&coords)?;
    let shape = target.shape().to_vec();
    if element.is_variable() {
        let values = vlen::read_chunk(array, coords, options, chunks).await?;
        return Decoded::checked(values, shape, element);
    }
    let chunk_shape = array.chunk_shape();
    let out = result_buffer(out, byte_len(&chunk_shape, element.size), &chunk_shape)?;
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
    Ok(Decoded::fixed(data, shape, element))
}

/// Read one whole stored chunk (edge chunks include their padding).
///
/// # Errors
/// [`Error::ChunkIndex`] for coordinates outside the grid; [`Error::Unsupported`] for an array
/// whose data cannot be moved; [`Error::InvalidData`] for `out` with variable-length data;
/// codec and store errors.
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
    array.element()?;
    for c in coords {
        array.check_chunk(c)?;
    }
    let options = codec_options(coords.len());
    let bytes = byte_len(&array.chunk_shape(), array.element()?.size) as u64;
    progress::plan(coords.len() as u64, bytes * coords.len() as u64);
    futures::stream::iter(coords.iter().cloned())
        .map(|c| read_one(array, c, None, options, coords.len()))
        .buffered(chunk_concurrency())
        .try_collect()
        .await
}

/// The values for chunk `coords`, checked and in the form the pipeline writes.
fn check_write(array: &ArrayHandle, coords: &[u64], data: Values) -> Result<Values> {
    array.check_chunk(coords)?;
    data.prepare(array.element()?, &array.chunk_shape())
}

async fn write_one(
    array: &ArrayHandle,
    coords: Vec<u64>,
    data: Values,
    options: CodecOptions,
    chunks: usize,
) -> Result<()> {
    let key = array.array.chunk_key(&coords);
    let job_array = array.clone();
    let job_coords = coords.clone();
    let bytes = data.byte_len();
    let encoded = match data {
        Values::Fixed(data) => {
            compute_part(chunks, bytes, move || {
                encode_chunk(&job_array, &job_coords, (*data).as_ref(), &options)
            })
            .await
        }
        Values::Variable(values) => {
            compute_part(chunks, bytes, move || {
                vlen::encode_chunk(&job_array, &job_coords, &values, &options)
            })
            .await
        }
    };
    // Ordered against partial writes of the same chunk (see crate::chunk_lock).
    store_encoded(array, &coords, &key, encoded, Locks::Take).await?;
    progress::done(1, bytes as u64);
    Ok(())
}

/// Write one whole chunk (the full chunk shape, C order): fixed-size elements in native byte
/// order, or variable-length values (see [`Values`]).
///
/// # Errors
/// [`Error::ChunkIndex`], [`Error::InvalidData`] for data that does not fit (nothing is
/// written), [`Error::Unsupported`] for an array whose data cannot be moved.
pub async fn write_chunk(
    array: &ArrayHandle,
    coords: &[u64],
    data: impl Into<Values>,
) -> Result<()> {
    let data = check_write(array, coords, data.into())?;
    progress::plan(1, data.byte_len() as u64);
    write_one(array, coords.to_vec(), data, codec_options(1), 1).await
}

/// Write many chunks in one call. Every chunk is checked before anything is written.
///
/// # Errors
/// As [`write_chunk`]; [`Error::InvalidData`] when the lists differ in length.
pub async fn write_chunks<D: Into<Values>>(
    array: &ArrayHandle,
    coords: &[Vec<u64>],
    data: Vec<D>,
) -> Result<()> {
    if coords.len() != data.len() {
        return Err(Error::InvalidData(format!(
            "{} chunk coordinates but {} data values",
            coords.len(),
            data.len()
        )));
    }
    let data = coords
        .iter()
        .zip(data)
        .map(|(c, d)| check_write(array, c, d.into()))
        .collect::<Result<Vec<_>>>()?;
    let (options, count) = (codec_options(coords.len()), coords.len());
    let total: usize = data.iter().map(Values::byte_len).sum();
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
        .buffer_unordered(chunk_concurrency())
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
    store_encoded(array, coords, &key, Ok(None), Locks::Take).await
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
    check_no_out(element, out.is_some())?;
    let shape = subset.shape().to_vec();
    if element.is_variable() {
        let values = vlen::read(array, &subset).await?;
        return Decoded::checked(values, shape, element);
    }
    let out = result_buffer(out, byte_len(&shape, element.size), &shape)?;
    read_into(array, &subset, &out).await?;
    // SAFETY: read_into wrote the whole inner chunk (decoded data or fill value).
    let data = unsafe { out.into_vec()? };
    Ok(Decoded::fixed(data, shape, element))
}

/// Write one inner chunk of a sharded array (the full inner chunk shape, values as for
/// [`write_chunk`]): its shard is read, merged and written once, under the shard's lock.
///
/// # Errors
/// As [`read_inner_chunk`]; [`Error::InvalidData`] for data that does not fit (nothing is
/// written).
pub async fn write_inner_chunk(
    array: &ArrayHandle,
    coords: &[u64],
    data: impl Into<Values>,
) -> Result<()> {
    let subset = array.locate_inner(coords)?.subset;
    match data.into().prepare(array.element()?, subset.shape())? {
        Values::Fixed(data) => write_from(array, &subset, data, Locks::Take).await,
        Values::Variable(values) => vlen::write(array, &subset, values, Locks::Take).await,
    }
}
