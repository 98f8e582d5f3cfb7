//! Encoded chunks: the bytes a chunk is stored as, read and written without running codecs.
//! They are how chunks are copied, checksummed or shipped without decoding, and how I/O can
//! be kept apart from decoding.
//!
//! Coordinates address the stored chunk grid (a whole shard, for a sharded array), or, with
//! `inner`, the grid of inner chunks of a sharded array: an inner chunk's bytes are found
//! through its shard's index (one ranged read of the index, cached on the handle, then one of
//! the chunk), and writing one rewrites its shard with the new bytes in place of the old.

use std::sync::Arc;

use bytes::Bytes;

use crate::chunk_lock::lock_chunk;
use crate::compute::compute_part;
use crate::error::{Error, Result};
use crate::handle::ArrayHandle;
use crate::ndcopy::byte_len;
use crate::pipeline::{
    codec_options, decode_in_scratch, decode_into_target, decode_pieces, store_encoded, Locks,
};
use crate::shards::ShardReads;
use crate::vlen;

/// The sharding layout of `array`, for work on its inner chunks.
fn inner_layout(array: &ArrayHandle) -> Result<&Arc<ShardReads>> {
    array.shards.as_ref().ok_or_else(|| {
        Error::Unsupported(format!(
            "inner chunks of array {} in {}: its shard index is not stored as bytes (with an \
             optional crc32c), or its data type has no fixed size",
            array.path,
            array.store.url()
        ))
    })
}

/// The stored bytes of chunk `coords`, exactly as stored (`None`: not stored; it reads as the
/// fill value). With `inner`, of an inner chunk of a sharded array.
///
/// # Errors
/// [`Error::ChunkIndex`] for coordinates outside the grid (or `inner` on an unsharded array);
/// store errors; [`Error::Codec`] for a damaged shard index.
pub async fn read_encoded_chunk(
    array: &ArrayHandle,
    coords: &[u64],
    inner: bool,
) -> Result<Option<Bytes>> {
    if !inner {
        array.check_chunk(coords)?;
        return array
            .store
            .get(array.array.chunk_key(coords).as_str())
            .await;
    }
    let located = array.locate_inner(coords)?;
    let shards = inner_layout(array)?;
    let key = array.array.chunk_key(&located.shard);
    shards
        .read_piece(
            &array.store,
            key.as_str(),
            &located.shard,
            located.count,
            located.index,
        )
        .await
}

/// Bytes given for a write (the chunk API's `WriteData`: a caller's buffer, kept alive until
/// the write is done).
pub type EncodedData = Arc<dyn AsRef<[u8]> + Send + Sync>;

/// A caller's bytes as [`Bytes`], without a copy: they stay borrowed until the write is done.
struct Owned(EncodedData);

impl AsRef<[u8]> for Owned {
    fn as_ref(&self) -> &[u8] {
        (*self.0).as_ref()
    }
}

/// Decode `encoded` as chunk `coords` (or, with `inner`, as an inner chunk covering
/// `subset`), to refuse bytes that would not read back.
fn check_decodes(
    array: &ArrayHandle,
    coords: &[u64],
    inner: Option<&zarrs::array::ArraySubset>,
    encoded: Bytes,
) -> Result<()> {
    let element = array.element()?;
    let target = match inner {
        Some(subset) => subset.clone(),
        None => array.array.chunk_subset(coords)?,
    };
    let options = codec_options(1);
    let decoded = if element.is_variable() {
        // Inner chunks of variable-length data are refused before (`inner_layout`).
        vlen::decode_chunk(array, coords, Some(encoded), &options).map(|_| ())
    } else {
        decode_in_scratch(
            byte_len(target.shape(), element.size),
            |out| match inner {
                Some(subset) => {
                    let job = vec![(subset.clone(), Some(encoded))];
                    decode_pieces(array, job, subset, out, &options)
                }
                None => decode_into_target(array, coords, Some(encoded), &target, out, &options),
            },
            |_| Ok(()),
        )
    };
    decoded.map_err(|e| {
        Error::codec(format!(
            "the bytes given for chunk {coords:?} of array {} do not decode with its codecs, \
             so nothing was written: {e}",
            array.path
        ))
    })
}

/// Store `data` as the encoded bytes of chunk `coords` (`None`: remove it; it then reads as
/// the fill value), under the chunk's lock (see [`crate::chunk_lock`]). With `inner`, as an
/// inner chunk of a sharded array: its shard is read and written back with the new bytes in
/// place of the old ones, its lock held from the read to the write (a shard left with no inner
/// chunk is erased unless the handle writes empty chunks). With `validate`, the bytes are
/// decoded first and refused if that fails.
///
/// # Errors
/// [`Error::ChunkIndex`] for coordinates outside the grid; [`Error::Codec`] for bytes that do
/// not decode (nothing is written) or a damaged shard; [`Error::Resource`] for a shard to
/// rebuild over the memory limit; store errors.
pub async fn write_encoded_chunk(
    array: &ArrayHandle,
    coords: &[u64],
    data: Option<EncodedData>,
    inner: bool,
    validate: bool,
) -> Result<()> {
    let data = data.map(|d| Bytes::from_owner(Owned(d)));
    if !inner {
        array.check_chunk(coords)?;
        if let (true, Some(bytes)) = (validate, &data) {
            let (job_array, job_coords, bytes) = (array.clone(), coords.to_vec(), bytes.clone());
            let size = byte_len(&array.chunk_shape(), array.element()?.size.max(1));
            compute_part(1, size, move || {
                check_decodes(&job_array, &job_coords, None, bytes)
            })
            .await?;
        }
        let key = array.array.chunk_key(coords);
        return store_encoded(array, coords, &key, Ok(data), Locks::Take).await;
    }
    let located = array.locate_inner(coords)?;
    let shards = inner_layout(array)?.clone();
    if let (true, Some(bytes)) = (validate, &data) {
        let (job_array, job_coords, bytes) = (array.clone(), coords.to_vec(), bytes.clone());
        let subset = located.subset.clone();
        let size = byte_len(subset.shape(), array.element()?.size);
        compute_part(1, size, move || {
            check_decodes(&job_array, &job_coords, Some(&subset), bytes)
        })
        .await?;
    }
    let key = array.array.chunk_key(&located.shard);
    // A read-modify-write of the shard: its lock is held until the new shard is stored.
    let held = lock_chunk(&array.store, key.as_str()).await;
    let existing = array.store.get(key.as_str()).await?;
    let keep_empty = array.write_empty_chunks;
    let rebuilt = compute_part(1, existing.as_ref().map_or(0, Bytes::len), move || {
        shards.replace_piece(
            existing.as_deref(),
            located.count,
            located.index,
            data.as_deref(),
            keep_empty,
        )
    })
    .await;
    let rebuilt = rebuilt
        .map(|shard| shard.map(Bytes::from))
        .map_err(|e| e.context(&format!("{} (key {key:?}): ", array.store.url())));
    let written = store_encoded(array, &located.shard, &key, rebuilt, Locks::Held).await;
    drop(held);
    written
}
