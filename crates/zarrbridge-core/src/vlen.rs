//! The chunk pipeline for variable-length data (`string`, `bytes`): chunk I/O and the compute
//! pool are those of the fixed-size pipeline ([`crate::pipeline`]); zarrs decodes and encodes
//! every chunk (the library's own codec path handles fixed-size elements only). Values move as
//! [`VlenValues`]: one buffer of bytes and the offsets of the elements in it.

use std::borrow::Cow;
use std::sync::{Arc, Mutex};

use futures::{StreamExt, TryStreamExt};
use zarrs::array::{
    update_array_bytes, ArraySubset, ArrayToBytesCodecTraits, CodecOptions, DataTypeSize, FillValue,
};

use crate::compute::{compute_part, spawn_compute};
use crate::error::{Error, Result};
use crate::handle::ArrayHandle;
use crate::limits::check_allocation;
use crate::ndcopy::byte_len;
use crate::pipeline::{
    chunk_concurrency, chunks_touching, codec_options, fetch_then, read_to_merge, store_encoded,
    Locks,
};
use crate::values::VlenValues;

/// A guess at the decoded size of one element, for sizing compute jobs (see
/// [`compute_part`]): the data itself says how long its elements are only once decoded.
const ELEMENT_GUESS: usize = 16;

fn selection_error(e: impl std::fmt::Display) -> Error {
    Error::Selection(e.to_string())
}

/// Refuse `n` elements (of `what`) when their offsets alone, plus `each` bytes per element
/// (known in advance only for fill values), exceed the memory limit: the bytes of stored
/// elements are known only once decoded, but their offsets are allocated up front.
pub(crate) fn check_elements(n: u64, each: usize, what: impl FnOnce() -> String) -> Result<()> {
    let per = std::mem::size_of::<usize>().saturating_add(each) as u64;
    check_allocation(n.saturating_add(1).saturating_mul(per), what)
}

/// The whole chunk `coords` (edge chunks with their padding) from its stored bytes, or the fill
/// value when it is not stored.
pub(crate) fn decode_chunk(
    array: &ArrayHandle,
    coords: &[u64],
    encoded: Option<bytes::Bytes>,
    options: &CodecOptions,
) -> Result<VlenValues> {
    let za = &array.array;
    let shape = za.chunk_shape(coords)?;
    let n = crate::ndcopy::element_count(&shape.iter().map(|n| n.get()).collect::<Vec<_>>());
    let fill = array.fill_value_bytes();
    let each = if encoded.is_some() { 0 } else { fill.len() };
    // zarrs decodes a chunk whole, as the fill value fills a missing one.
    check_elements(n, each, || {
        format!("decoding chunk {coords:?} of {n} variable-length elements")
    })?;
    let Some(encoded) = encoded else {
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        return Ok(VlenValues::repeat(fill, n));
    };
    let decoded = za.codecs().decode(
        Cow::Borrowed(&encoded[..]),
        &shape,
        za.data_type(),
        za.fill_value(),
        options,
    )?;
    VlenValues::from_array_bytes(decoded)
}

/// Encode the whole chunk `coords`, or `None` when it equals the fill value and empty chunks
/// are not kept.
pub(crate) fn encode_chunk(
    array: &ArrayHandle,
    coords: &[u64],
    values: &VlenValues,
    options: &CodecOptions,
) -> Result<Option<bytes::Bytes>> {
    let za = &array.array;
    if !array.write_empty_chunks && values.all_equal(array.fill_value_bytes()) {
        return Ok(None);
    }
    let shape = za.chunk_shape(coords)?;
    // zarrs' sharding codec leaves out inner chunks whose bytes, concatenated, repeat the fill
    // value (`ArrayBytes::is_fill_value` ignores the offsets, so `["fill", ""]` passes for
    // "fill", and the "" is lost). Given a fill value longer than the shard's bytes that test
    // never passes: every inner chunk is stored, which readers read the same. The fill value
    // plays no other part in encoding variable-length data.
    let never = FillValue::new(vec![0; values.bytes.len() + 1]);
    let fill = match za.fill_value() {
        fill if fill.as_ne_bytes().is_empty() || array.inner_chunk_shape().is_none() => fill,
        _ => &never,
    };
    let encoded = za.codecs().encode(
        values.as_array_bytes(),
        &shape,
        za.data_type(),
        fill,
        options,
    )?;
    Ok(Some(bytes::Bytes::from(encoded.into_owned())))
}

/// Read one whole stored chunk.
pub(crate) async fn read_chunk(
    array: &ArrayHandle,
    coords: Vec<u64>,
    options: CodecOptions,
    chunks: usize,
) -> Result<VlenValues> {
    let slot = Arc::new(Mutex::new(None));
    let (store, key) = (array.store.clone(), array.array.chunk_key(&coords));
    let (job_array, job_slot) = (array.clone(), slot.clone());
    let estimate = byte_len(&array.chunk_shape(), ELEMENT_GUESS);
    fetch_then(&store, key, chunks, estimate, move |encoded| {
        let values = decode_chunk(&job_array, &coords, encoded, &options)?;
        *job_slot
            .lock()
            .map_err(|_| Error::codec("a decode job panicked"))? = Some(values);
        Ok(())
    })
    .await?;
    take(&slot)
}

fn take<T>(slot: &Mutex<Option<T>>) -> Result<T> {
    slot.lock()
        .map_err(|_| Error::codec("a decode job panicked"))?
        .take()
        .ok_or_else(|| Error::codec("a decode job ended without a result"))
}

/// The elements of `target` (C order), which may extend past the array's edge inside edge
/// chunks.
pub(crate) async fn read(array: &ArrayHandle, target: &ArraySubset) -> Result<VlenValues> {
    // Merging the pieces counts each element's size before placing it: two words per element.
    check_elements(target.num_elements(), std::mem::size_of::<usize>(), || {
        format!("a result of shape {:?}", target.shape())
    })?;
    let chunks = chunks_touching(array, target)?;
    let (options, count) = (codec_options(chunks.len()), chunks.len());
    let estimate = byte_len(&array.chunk_shape(), ELEMENT_GUESS);
    let pieces: Vec<(VlenValues, ArraySubset)> = futures::stream::iter(chunks)
        .map(|coords| {
            let (array, target) = (array.clone(), target.clone());
            async move {
                let slot = Arc::new(Mutex::new(None));
                let (store, key) = (array.store.clone(), array.array.chunk_key(&coords));
                let job_slot = slot.clone();
                fetch_then(&store, key, count, estimate, move |encoded| {
                    let chunk = array.array.chunk_subset(&coords)?;
                    let overlap = chunk.overlap(&target).map_err(selection_error)?;
                    let piece = if encoded.is_none() {
                        // The fill value over the part read only: a missing chunk may be far
                        // larger than the read.
                        let n = usize::try_from(overlap.num_elements()).unwrap_or(usize::MAX);
                        VlenValues::repeat(array.fill_value_bytes(), n)
                    } else if overlap == chunk {
                        decode_chunk(&array, &coords, encoded, &options)?
                    } else {
                        let values = decode_chunk(&array, &coords, encoded, &options)?;
                        let inside = overlap
                            .relative_to(chunk.start())
                            .map_err(selection_error)?;
                        values.extract(chunk.shape(), &inside)?
                    };
                    let at = overlap
                        .relative_to(target.start())
                        .map_err(selection_error)?;
                    *job_slot
                        .lock()
                        .map_err(|_| Error::codec("a decode job panicked"))? = Some((piece, at));
                    Ok(())
                })
                .await?;
                take(&slot)
            }
        })
        .buffer_unordered(chunk_concurrency())
        .try_collect()
        .await?;
    let shape = target.shape().to_vec();
    if let [(_, at)] = &pieces[..] {
        if at.shape() == shape.as_slice() {
            return Ok(pieces
                .into_iter()
                .next()
                .map(|(v, _)| v)
                .unwrap_or_default());
        }
    }
    spawn_compute(move || VlenValues::merge(&pieces, &shape)).await
}

/// Store `values` (C order, `target`'s shape) into the array region `target`. Chunks only
/// partly covered are read, merged and rewritten under their chunk's lock (unless the caller
/// holds the locks: `locks`); chunks left equal to the fill value are erased unless the handle
/// writes empty chunks.
pub(crate) async fn write(
    array: &ArrayHandle,
    target: &ArraySubset,
    values: Arc<VlenValues>,
    locks: Locks,
) -> Result<()> {
    let chunks = chunks_touching(array, target)?;
    let (options, count) = (codec_options(chunks.len()), chunks.len());
    let estimate = byte_len(&array.chunk_shape(), ELEMENT_GUESS);
    futures::stream::iter(chunks)
        .map(|coords| {
            let (array, target, values) = (array.clone(), target.clone(), values.clone());
            async move {
                let za = &array.array;
                let key = za.chunk_key(&coords);
                let bounded = za.chunk_subset_bounded(&coords)?;
                let covered = bounded.overlap(&target).map_err(selection_error)? == bounded;
                // As in the fixed-size pipeline (`write_from`).
                let (held, locks, existing) = read_to_merge(&array, &key, covered, locks).await?;
                let (job_array, job_coords) = (array.clone(), coords.clone());
                let encoded = compute_part(count, estimate, move || {
                    merge_and_encode(
                        &job_array,
                        &job_coords,
                        existing,
                        &target,
                        &values,
                        &options,
                    )
                })
                .await;
                let written = store_encoded(&array, &coords, &key, encoded, locks).await;
                drop(held);
                written
            }
        })
        .buffer_unordered(chunk_concurrency())
        .try_collect::<()>()
        .await
}

/// The new content of chunk `coords`: the existing chunk (or the fill value) with the part of
/// `values` that falls in it put over it, encoded (`None`: erase it).
fn merge_and_encode(
    array: &ArrayHandle,
    coords: &[u64],
    existing: Option<bytes::Bytes>,
    target: &ArraySubset,
    values: &VlenValues,
    options: &CodecOptions,
) -> Result<Option<bytes::Bytes>> {
    let chunk = array.array.chunk_subset(coords)?;
    let overlap = chunk.overlap(target).map_err(selection_error)?;
    let in_target = overlap
        .relative_to(target.start())
        .map_err(selection_error)?;
    let update = if overlap == *target {
        values.clone()
    } else {
        values.extract(target.shape(), &in_target)?
    };
    if overlap == chunk {
        return encode_chunk(array, coords, &update, options);
    }
    let base = decode_chunk(array, coords, existing, options)?;
    let in_chunk = overlap
        .relative_to(chunk.start())
        .map_err(selection_error)?;
    let merged = update_array_bytes(
        base.as_array_bytes(),
        chunk.shape(),
        &in_chunk,
        &update.as_array_bytes(),
        DataTypeSize::Variable,
    )?;
    encode_chunk(
        array,
        coords,
        &VlenValues::from_array_bytes(merged)?,
        options,
    )
}
