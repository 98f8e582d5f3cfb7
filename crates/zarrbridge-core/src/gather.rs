//! Reading and writing the elements of an orthogonal, vectorized or stepped selection (see
//! [`crate::indexing`]), unit by unit: only the units holding selected elements are read, each
//! is decoded once into the compute thread's scratch memory and its selected elements copied
//! out, so a read holds its result and one decoded unit per compute thread, never the box
//! around the selection.
//!
//! Reads go by the smallest unit that can be read alone: the inner chunks of a shard (the
//! shard's index, then only the inner chunks touched, neighbours joined, as in
//! [`crate::shards`]), else stored chunks. Writes go by stored chunk (a shard is rewritten
//! whole): each is read, decoded, given its new elements and encoded once.

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use rayon::prelude::*;
use zarrs::array::{ArraySubset, CodecOptions};

use crate::chunks::{Decoded, Values};
use crate::compute::{compute_part, install};
use crate::error::{Error, Result};
use crate::handle::ArrayHandle;
use crate::indexing::{strides, walk, FancySelection, Picks, Unit};
use crate::ndcopy::byte_len;
use crate::pipeline::{
    chunk_concurrency, codec_options, decode_in_scratch, decode_into_target, decode_pieces,
    encode_chunk, fetch_then, read_to_merge, result_buffer, store_encoded, ExternalBuffer, Locks,
    SharedOut,
};
use crate::progress;
use crate::shards::{PartRead, ShardReads};

/// What every job of one read or write shares.
struct Layout {
    /// Element size in bytes.
    elem: usize,
    /// Shape of a unit, and its C-order strides in elements.
    unit_shape: Vec<u64>,
    unit_strides: Vec<u64>,
    /// Strides of the result while units are copied into it.
    out_strides: Vec<u64>,
}

impl Layout {
    fn new(array: &ArrayHandle, sel: &FancySelection, unit_shape: Vec<u64>) -> Result<Self> {
        Ok(Self {
            elem: fixed_size(array)?,
            unit_strides: strides(&unit_shape),
            unit_shape,
            out_strides: sel.walk_strides(),
        })
    }

    fn unit_bytes(&self) -> usize {
        byte_len(&self.unit_shape, self.elem)
    }

    /// Copy the elements `picks` takes from `unit` (a decoded unit) to the result.
    fn gather(&self, picks: &Picks, unit: &[u8], out: &SharedOut) {
        walk(
            picks,
            &self.unit_strides,
            &self.out_strides,
            self.elem,
            &mut |o, u, len| {
                // SAFETY: a unit's picks are result positions no other unit has.
                unsafe { out.write_at(o, &unit[u..u + len]) };
            },
        );
    }

    /// Copy the new values of `picks` from `data` (the caller's, the result's layout) into
    /// `unit`.
    fn scatter(&self, picks: &Picks, data: &[u8], unit: &mut [u8]) {
        walk(
            picks,
            &self.unit_strides,
            &self.out_strides,
            self.elem,
            &mut |o, u, len| unit[u..u + len].copy_from_slice(&data[o..o + len]),
        );
    }
}

/// The array's element size: units are copied element by element, which variable-length data
/// (`string`, `bytes`) has no fixed size for.
///
/// # Errors
/// [`Error::Unsupported`] for a data type of variable size.
fn fixed_size(array: &ArrayHandle) -> Result<usize> {
    let element = array.element()?;
    if element.is_variable() {
        return Err(Error::Unsupported(format!(
            "orthogonal, vectorized and stepped selections of {} arrays (variable-length data) \
             are not supported; read a box (steps of 1) and index it with numpy",
            element.describe()
        )));
    }
    Ok(element.size)
}

fn check_selection(array: &ArrayHandle, sel: &FancySelection) -> Result<()> {
    if sel.array_shape() != array.shape() {
        return Err(Error::Selection(format!(
            "the selection was made for an array of shape {:?}, not {:?}",
            sel.array_shape(),
            array.shape()
        )));
    }
    Ok(())
}

/// Read the selected elements of `array` (the selection's shape, C order); into `out` when
/// given.
///
/// # Errors
/// [`Error::Selection`] for a selection made for another shape, [`Error::Unsupported`] for an
/// irregular chunk grid or a data type of variable size, [`Error::InvalidData`] for an `out`
/// of the wrong size, codec and store errors.
pub async fn read_selection(
    array: &ArrayHandle,
    sel: &FancySelection,
    out: Option<Box<dyn ExternalBuffer>>,
) -> Result<Decoded> {
    let element = array.element()?;
    fixed_size(array)?;
    check_selection(array, sel)?;
    let out = result_buffer(out, byte_len(sel.shape(), element.size), sel.shape())?;
    fill_selection(array, sel, &out).await?;
    // SAFETY: every byte of the result was written (an empty selection has none).
    let data = unsafe { out.into_vec()? };
    Ok(Decoded::fixed(data, sel.shape().to_vec(), element))
}

/// Fill `out` (the selection's result, C order) with the selected elements of `array`.
///
/// # Errors
/// As [`read_selection`].
pub(crate) async fn fill_selection(
    array: &ArrayHandle,
    sel: &FancySelection,
    out: &Arc<SharedOut>,
) -> Result<()> {
    check_selection(array, sel)?;
    let elem = fixed_size(array)?;
    let expected = sel.result_bytes(elem);
    if out.len() as u64 != expected {
        return Err(Error::InvalidData(format!(
            "output buffer holds {} bytes, the selection needs {expected}",
            out.len()
        )));
    }
    if sel.is_empty() {
        return Ok(());
    }
    let chunk_shape = array.regular_chunk_shape("an orthogonal or vectorized selection")?;
    match &array.shards {
        Some(shards) => read_inner_chunks(array, shards, sel, out, &chunk_shape).await,
        None => read_chunks(array, sel, out, chunk_shape).await,
    }
}

async fn read_chunks(
    array: &ArrayHandle,
    sel: &FancySelection,
    out: &Arc<SharedOut>,
    chunk_shape: Vec<u64>,
) -> Result<()> {
    let layout = Arc::new(Layout::new(array, sel, chunk_shape)?);
    let units = sel.units(&layout.unit_shape)?;
    let (count, unit_bytes) = (units.len(), layout.unit_bytes());
    let options = codec_options(count);
    progress::plan(count as u64, sel.result_bytes(layout.elem));
    futures::stream::iter(units)
        .map(|unit| {
            let (array, out, layout) = (array.clone(), out.clone(), layout.clone());
            async move {
                let done = unit.elements() * layout.elem as u64;
                let (store, key) = (array.store.clone(), array.array.chunk_key(&unit.coords));
                fetch_then(&store, key, count, unit_bytes, move |encoded| {
                    let chunk = array.array.chunk_subset(&unit.coords)?;
                    decode_in_scratch(
                        unit_bytes,
                        |scratch| {
                            decode_into_target(
                                &array,
                                &unit.coords,
                                encoded,
                                &chunk,
                                scratch,
                                &options,
                            )
                        },
                        |decoded| {
                            layout.gather(&unit.picks, decoded, &out);
                            Ok(())
                        },
                    )
                })
                .await?;
                progress::done(1, done);
                Ok::<_, Error>(())
            }
        })
        .buffer_unordered(chunk_concurrency())
        .try_collect()
        .await
}

/// The units (inner chunks) a read needs from one shard, by their index in the shard.
type ShardUnits = HashMap<usize, Unit>;

async fn read_inner_chunks(
    array: &ArrayHandle,
    shards: &Arc<ShardReads>,
    sel: &FancySelection,
    out: &Arc<SharedOut>,
    shard_shape: &[u64],
) -> Result<()> {
    let layout = Arc::new(Layout::new(array, sel, shards.inner_shape().to_vec())?);
    let units = sel.units(&layout.unit_shape)?;
    let per_shard: Vec<u64> = shard_shape
        .iter()
        .zip(&layout.unit_shape)
        .map(|(s, i)| s / i)
        .collect();
    let piece_strides = strides(&per_shard);
    let pieces = usize::try_from(per_shard.iter().product::<u64>()).unwrap_or(usize::MAX);
    progress::plan(units.len() as u64, sel.result_bytes(layout.elem));
    let mut by_shard: BTreeMap<Vec<u64>, ShardUnits> = BTreeMap::new();
    for unit in units {
        let shard: Vec<u64> = unit
            .coords
            .iter()
            .zip(&per_shard)
            .map(|(c, n)| c / n)
            .collect();
        let piece: u64 = unit
            .coords
            .iter()
            .zip(&per_shard)
            .zip(&piece_strides)
            .map(|((c, n), s)| (c % n) * s)
            .sum();
        by_shard
            .entry(shard)
            .or_default()
            .insert(usize::try_from(piece).unwrap_or(usize::MAX), unit);
    }
    let (count, options) = (by_shard.len(), codec_options(by_shard.len()));
    futures::stream::iter(by_shard)
        .map(|(shard, units)| {
            let job = ShardJob {
                array: array.clone(),
                shards: shards.clone(),
                layout: layout.clone(),
                out: out.clone(),
                units: Arc::new(units),
                options,
                count,
            };
            async move { job.read(shard, pieces).await }
        })
        .buffer_unordered(chunk_concurrency())
        .try_collect()
        .await
}

/// The inner chunks one read needs from one shard.
struct ShardJob {
    array: ArrayHandle,
    shards: Arc<ShardReads>,
    layout: Arc<Layout>,
    out: Arc<SharedOut>,
    units: Arc<ShardUnits>,
    options: CodecOptions,
    /// Shards in the whole read.
    count: usize,
}

impl ShardJob {
    /// The subset of the inner chunk at `coords` (in the grid of inner chunks).
    fn piece(&self, coords: &[u64]) -> ArraySubset {
        let ranges: Vec<_> = coords
            .iter()
            .zip(&self.layout.unit_shape)
            .map(|(&c, &n)| c * n..(c + 1) * n)
            .collect();
        ArraySubset::new_with_ranges(&ranges)
    }

    /// Decode each inner chunk of `batch` (its index in the shard and its bytes) and copy its
    /// selected elements to the result.
    fn decode(&self, batch: Vec<(usize, Option<Bytes>)>) -> Result<()> {
        let one = |(i, encoded): (usize, Option<Bytes>)| {
            let Some(unit) = self.units.get(&i) else {
                return Ok(());
            };
            let piece = self.piece(&unit.coords);
            decode_in_scratch(
                self.layout.unit_bytes(),
                |scratch| {
                    let job = vec![(piece.clone(), encoded)];
                    decode_pieces(&self.array, job, &piece, scratch, &self.options)
                },
                |decoded| {
                    self.layout.gather(&unit.picks, decoded, &self.out);
                    Ok(())
                },
            )
        };
        if self.options.concurrent_target() > 1 && batch.len() > 1 {
            install(|| batch.into_par_iter().try_for_each(one))
        } else {
            batch.into_iter().try_for_each(one)
        }
    }

    async fn read(self, shard: Vec<u64>, pieces: usize) -> Result<()> {
        let job = Arc::new(self);
        let key = job.array.array.chunk_key(&shard);
        let wanted: Vec<usize> = job.units.keys().copied().collect();
        let elem = job.layout.elem as u64;
        let sink = |batch: Vec<(usize, Option<Bytes>)>| {
            let done: u64 = batch
                .iter()
                .filter_map(|(i, _)| job.units.get(i))
                .map(|u| u.elements() * elem)
                .sum();
            let (n, bytes) = (batch.len() as u64, job.layout.unit_bytes() * batch.len());
            let (decoding, count) = (job.clone(), job.count);
            async move {
                compute_part(count, bytes, move || decoding.decode(batch)).await?;
                progress::done(n, done);
                Ok(())
            }
        };
        let store = job.array.store.clone();
        let read = job
            .shards
            .read_pieces(&store, key.as_str(), &shard, pieces, &wanted, sink)
            .await?;
        if read == PartRead::Done {
            return Ok(());
        }
        // Replaced while being read, twice: decode the inner chunks from the whole shard.
        let encoded = store.get(key.as_str()).await?;
        let total: u64 = job.units.values().map(|u| u.elements() * elem).sum();
        let (decoding, bytes) = (job.clone(), job.layout.unit_bytes() * job.units.len());
        compute_part(job.count, bytes, move || {
            for unit in decoding.units.values() {
                let piece = decoding.piece(&unit.coords);
                let (array, options) = (&decoding.array, &decoding.options);
                decode_in_scratch(
                    decoding.layout.unit_bytes(),
                    |scratch| {
                        decode_into_target(array, &shard, encoded.clone(), &piece, scratch, options)
                    },
                    |decoded| {
                        decoding.layout.gather(&unit.picks, decoded, &decoding.out);
                        Ok(())
                    },
                )?;
            }
            Ok(())
        })
        .await?;
        progress::done(job.units.len() as u64, total);
        Ok(())
    }
}

/// Write `data` (the selection's shape, C order) to the selected elements of `array`: each
/// stored chunk holding some is read, decoded, given its new elements and encoded once. A
/// position selected twice gets the last of its values, as in numpy.
///
/// # Errors
/// As [`read_selection`]; [`Error::InvalidData`] for data of the wrong size (nothing is
/// written).
pub async fn write_selection(
    array: &ArrayHandle,
    sel: &FancySelection,
    data: impl Into<Values>,
) -> Result<()> {
    check_selection(array, sel)?;
    fixed_size(array)?;
    let data = match data.into().prepare(array.element()?, sel.shape())? {
        Values::Fixed(data) => data,
        Values::Variable(_) => return Err(Error::codec("internal: variable-length values")),
    };
    let expected = (*data).as_ref().len() as u64;
    if sel.is_empty() {
        return Ok(());
    }
    let chunk_shape = array.regular_chunk_shape("an orthogonal or vectorized selection")?;
    let layout = Arc::new(Layout::new(array, sel, chunk_shape)?);
    let units = sel.units(&layout.unit_shape)?;
    let (count, unit_bytes) = (units.len(), layout.unit_bytes());
    let options = codec_options(count);
    progress::plan(count as u64, expected);
    futures::stream::iter(units)
        .map(|unit| {
            let (array, layout, data) = (array.clone(), layout.clone(), data.clone());
            async move {
                let done = unit.elements() * layout.elem as u64;
                let coords = unit.coords.clone();
                let key = array.array.chunk_key(&coords);
                // Held from the read to the write (see crate::chunk_lock): a concurrent write
                // of other elements of this chunk is not lost.
                let (held, locks, existing) =
                    read_to_merge(&array, &key, false, Locks::Take).await?;
                let job_array = array.clone();
                let encoded = compute_part(count, unit_bytes, move || {
                    let (array, coords) = (&job_array, &unit.coords);
                    let chunk = array.array.chunk_subset(coords)?;
                    decode_in_scratch(
                        unit_bytes,
                        |scratch| {
                            decode_into_target(array, coords, existing, &chunk, scratch, &options)
                        },
                        |decoded| {
                            layout.scatter(&unit.picks, (*data).as_ref(), decoded);
                            encode_chunk(array, coords, decoded, &options)
                        },
                    )
                })
                .await;
                let written = store_encoded(&array, &coords, &key, encoded, locks).await;
                drop(held);
                written?;
                progress::done(1, done);
                Ok::<_, Error>(())
            }
        })
        .buffer_unordered(chunk_concurrency())
        .try_collect()
        .await
}
