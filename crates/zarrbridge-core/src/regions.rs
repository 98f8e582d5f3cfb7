//! Region reads and writes with numpy basic indexing: integers, slices with any step, Ellipsis.

use std::mem::size_of;
use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use zarrs::array::ArraySubset;

use crate::chunk_lock::{lock_chunks, ChunkLock};
use crate::chunks::{check_no_out, Decoded, Values, VlenValues};
use crate::compute::spawn_compute;
use crate::error::{Error, Result};
use crate::gather::{fill_selection, write_selection};
use crate::handle::ArrayHandle;
use crate::indexing::{expand_ellipsis, resolve_slice, to_i64, to_u64, FancySelection};
use crate::ndcopy::{byte_len, c_strides};
use crate::pipeline::{
    chunk_concurrency, chunks_touching, read_into, result_buffer, write_from, ExternalBuffer, Locks,
};
use crate::vlen;

/// One item of a selection, as numpy takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelItem {
    /// An integer index (negative counts from the end); drops the dimension.
    Index(i64),
    /// A slice `start:stop:step` (each optional, Python semantics).
    Slice(Option<i64>, Option<i64>, Option<i64>),
    /// `...`: as many full slices as needed.
    Ellipsis,
}

#[derive(Debug, Clone, Copy)]
struct DimSel {
    start: u64,
    count: u64,
    step: i64,
    /// Whether the dimension stays in the result (a slice), or is dropped (an integer).
    kept: bool,
}

/// A selection resolved against an array shape.
#[derive(Debug, Clone)]
pub struct Selection {
    dims: Vec<DimSel>,
    /// Shape of the result (integer-indexed dimensions dropped).
    pub out_shape: Vec<u64>,
}

impl Selection {
    /// Resolve `items` against `shape`.
    ///
    /// # Errors
    /// [`Error::Selection`] for out-of-bounds integers, too many indices, a zero step or more
    /// than one Ellipsis.
    pub fn parse(items: &[SelItem], shape: &[u64]) -> Result<Self> {
        let filler = SelItem::Slice(None, None, None);
        let expanded = expand_ellipsis(items, &SelItem::Ellipsis, &filler, shape.len())?;
        let mut dims = Vec::with_capacity(shape.len());
        let mut out_shape = Vec::with_capacity(shape.len());
        for (axis, (item, &len)) in expanded.into_iter().zip(shape).enumerate() {
            match *item {
                SelItem::Index(i) => {
                    let j = if i < 0 {
                        i.saturating_add(to_i64(len))
                    } else {
                        i
                    };
                    if j < 0 || j >= to_i64(len) {
                        return Err(Error::Selection(format!(
                            "index {i} is out of bounds for axis {axis} with size {len}"
                        )));
                    }
                    dims.push(DimSel {
                        start: to_u64(j),
                        count: 1,
                        step: 1,
                        kept: false,
                    });
                }
                SelItem::Slice(from, to, stride) => {
                    let (start, count, step) = resolve_slice(from, to, stride, len)?;
                    out_shape.push(count);
                    dims.push(DimSel {
                        start,
                        count,
                        step,
                        kept: true,
                    });
                }
                SelItem::Ellipsis => unreachable!("expanded above"),
            }
        }
        Ok(Self { dims, out_shape })
    }

    fn is_empty(&self) -> bool {
        self.dims.iter().any(|d| d.count == 0)
    }

    fn is_contiguous(&self) -> bool {
        self.dims.iter().all(|d| d.step == 1 || d.count <= 1)
    }

    /// The smallest box holding every selected element.
    fn bounding_box(&self) -> ArraySubset {
        let ranges: Vec<_> = self
            .dims
            .iter()
            .map(|d| {
                let span = (d.count - 1) * d.step.unsigned_abs();
                let lo = if d.step < 0 { d.start - span } else { d.start };
                lo..lo + span + 1
            })
            .collect();
        ArraySubset::new_with_ranges(&ranges)
    }

    /// The index of each selected element (C order) in a C-ordered copy of the bounding box
    /// (`box_shape`): how variable-length data, which has no fixed element size to copy by
    /// strides, picks its elements from the box.
    fn box_indices(&self, box_shape: &[u64]) -> impl Iterator<Item = usize> {
        let strides: Vec<isize> = c_strides(box_shape)
            .iter()
            .zip(&self.dims)
            .map(|(&s, d)| isize::try_from(d.step).unwrap_or(isize::MAX) * s)
            .collect();
        // A negative step starts at the far end of its dimension of the box.
        let offset: isize = c_strides(box_shape)
            .iter()
            .zip(&self.dims)
            .filter(|(_, d)| d.step < 0)
            .map(|(&s, d)| {
                let from_lo = (d.count - 1) * d.step.unsigned_abs();
                isize::try_from(from_lo).unwrap_or(isize::MAX) * s
            })
            .sum();
        let counts: Vec<u64> = self.dims.iter().map(|d| d.count).collect();
        let total = crate::ndcopy::element_count(&counts);
        let mut index = vec![0u64; counts.len()];
        (0..total).map(move |k| {
            if k > 0 {
                for d in (0..counts.len()).rev() {
                    index[d] += 1;
                    if index[d] < counts[d] {
                        break;
                    }
                    index[d] = 0;
                }
            }
            let at: isize = index
                .iter()
                .zip(&strides)
                .map(|(&i, &s)| isize::try_from(i).unwrap_or(isize::MAX) * s)
                .sum::<isize>()
                + offset;
            usize::try_from(at).unwrap_or(usize::MAX)
        })
    }

    /// The selection cut at the chunk boundaries of `chunk_shape` (a regular grid): per chunk
    /// holding selected elements, those elements as a selection, and where they go in the
    /// result (a box of `out_shape`: a stepped selection's elements in one chunk are
    /// consecutive along each dimension of the result).
    fn chunk_blocks(&self, chunk_shape: &[u64]) -> Vec<(Selection, ArraySubset)> {
        // Per dimension, the runs of consecutive positions `k` whose elements share a chunk.
        let runs: Vec<Vec<(u64, u64)>> = self
            .dims
            .iter()
            .zip(chunk_shape)
            .map(|(d, &n)| {
                let (mut runs, mut k, step) = (Vec::new(), 0, d.step.unsigned_abs());
                while k < d.count {
                    let at = if d.step < 0 {
                        d.start - k * step
                    } else {
                        d.start + k * step
                    };
                    // Positions left in this chunk, in the step's direction.
                    let room = if d.step < 0 {
                        at % n / step + 1
                    } else {
                        (n - at % n).div_ceil(step)
                    };
                    let end = (k + room).min(d.count);
                    runs.push((k, end));
                    k = end;
                }
                runs
            })
            .collect();
        let mut blocks = Vec::new();
        let mut pick = vec![0usize; runs.len()];
        loop {
            let mut dims = Vec::with_capacity(self.dims.len());
            let mut ranges = Vec::new();
            for ((d, run), &i) in self.dims.iter().zip(&runs).zip(&pick) {
                let (k0, k1) = run[i];
                let offset = k0 * d.step.unsigned_abs();
                let start = if d.step < 0 {
                    d.start - offset
                } else {
                    d.start + offset
                };
                dims.push(DimSel {
                    start,
                    count: k1 - k0,
                    ..*d
                });
                if d.kept {
                    ranges.push(k0..k1);
                }
            }
            let out_shape = ranges.iter().map(|r| r.end - r.start).collect();
            blocks.push((
                Selection { dims, out_shape },
                ArraySubset::new_with_ranges(&ranges),
            ));
            // The next combination of runs, last dimension fastest.
            let Some(d) = (0..pick.len()).rev().find(|&d| pick[d] + 1 < runs[d].len()) else {
                return blocks;
            };
            pick[d] += 1;
            pick[d + 1..].fill(0);
        }
    }

    /// The same selection as an orthogonal one (each dimension a range with a step).
    fn stepped(&self, shape: &[u64]) -> FancySelection {
        let dims: Vec<_> = self
            .dims
            .iter()
            .map(|d| (d.start, d.step, d.count, d.kept))
            .collect();
        FancySelection::stepped(&dims, shape)
    }
}

/// The shape a selection of `array` produces.
///
/// # Errors
/// As [`Selection::parse`].
pub fn selection_shape(array: &ArrayHandle, items: &[SelItem]) -> Result<Vec<u64>> {
    Ok(Selection::parse(items, array.shape())?.out_shape)
}

/// Read a selection of `array`; into `out` when given. A box (steps of 1) is decoded straight
/// into the result; a stepped selection of fixed-size elements reads only the chunks holding
/// selected elements and copies those out (see [`crate::gather`]), so it needs memory for its
/// result, not its box. Variable-length data is read by its bounding box (see
/// [`read_variable`]).
///
/// # Errors
/// [`Error::Selection`] for a bad selection, [`Error::InvalidData`] for `out` with
/// variable-length data, [`Error::Resource`] for a result or box over the memory limit, codec
/// and store errors.
pub async fn read_region(
    array: &ArrayHandle,
    items: &[SelItem],
    out: Option<Box<dyn ExternalBuffer>>,
) -> Result<Decoded> {
    let element = array.element()?;
    check_no_out(element, out.is_some())?;
    let sel = Selection::parse(items, array.shape())?;
    let shape = sel.out_shape.clone();
    if element.is_variable() {
        let values = read_variable(array, sel).await?;
        return Decoded::checked(values, shape, element);
    }
    let out = result_buffer(out, byte_len(&shape, element.size), &shape)?;
    if !sel.is_empty() {
        if sel.is_contiguous() {
            read_into(array, &sel.bounding_box(), &out).await?;
        } else {
            fill_selection(array, &sel.stepped(array.shape()), &out).await?;
        }
    }
    // SAFETY: every byte was written above (an empty selection has no bytes).
    let data = unsafe { out.into_vec()? };
    Ok(Decoded::fixed(data, shape, element))
}

/// Variable-length elements have no fixed size for [`crate::gather`] to copy by: a stepped
/// selection is cut into one block per chunk holding selected elements (see
/// [`Selection::chunk_blocks`]); each block's box (inside its chunk) is read, its elements
/// picked, and the blocks assembled. Only those chunks are read, each once, and memory holds
/// the result and the blocks, not the selection's box. An irregular chunk grid reads the box.
async fn read_variable(array: &ArrayHandle, sel: Selection) -> Result<VlenValues> {
    if sel.is_empty() {
        return Ok(VlenValues::default());
    }
    let Some(chunk_shape) = array
        .regular_chunk_shape("")
        .ok()
        .filter(|_| !sel.is_contiguous())
    else {
        return read_box(array, sel).await;
    };
    // The blocks' values, then the result assembled from them (its sizes first: two words
    // per element, as for a region).
    vlen::check_elements(
        crate::ndcopy::element_count(&sel.out_shape),
        size_of::<usize>(),
        || format!("a result of shape {:?}", sel.out_shape),
    )?;
    let blocks = futures::stream::iter(sel.chunk_blocks(&chunk_shape))
        .map(|(block, at)| async move { Ok::<_, Error>((read_box(array, block).await?, at)) })
        .buffer_unordered(chunk_concurrency())
        .try_collect::<Vec<_>>()
        .await?;
    let shape = sel.out_shape.clone();
    spawn_compute(move || VlenValues::merge(&blocks, &shape)).await
}

/// The elements of `sel` read through its bounding box.
async fn read_box(array: &ArrayHandle, sel: Selection) -> Result<VlenValues> {
    let bbox = sel.bounding_box();
    let boxed = vlen::read(array, &bbox).await?;
    if sel.is_contiguous() {
        return Ok(boxed);
    }
    spawn_compute(move || Ok(boxed.gather(sel.box_indices(bbox.shape())))).await
}

/// Write `data` (C order, exactly the selection's shape: fixed-size elements in native byte
/// order, or variable-length values, see [`Values`]) to a selection. Every chunk rewritten is
/// read, merged and written under its lock (see [`crate::chunk_lock`]).
///
/// # Errors
/// [`Error::Selection`], [`Error::InvalidData`] for data that does not fit (nothing is
/// written), [`Error::Unsupported`] for an array whose data cannot be moved, codec and store
/// errors.
pub async fn write_region(
    array: &ArrayHandle,
    items: &[SelItem],
    data: impl Into<Values>,
) -> Result<()> {
    let element = array.element()?;
    let sel = Selection::parse(items, array.shape())?;
    let data = data.into().prepare(element, &sel.out_shape)?;
    if sel.is_empty() {
        return Ok(());
    }
    let data = match data {
        Values::Variable(values) => return write_variable(array, sel, values).await,
        Values::Fixed(data) => data,
    };
    if sel.is_contiguous() {
        return write_from(array, &sel.bounding_box(), data, Locks::Take).await;
    }
    // Each chunk holding selected elements is read, merged and written once, under its lock.
    write_selection(array, &sel.stepped(array.shape()), data).await
}

/// The locks of every chunk of `bbox`, held for a stepped variable-length write's read, merge
/// and write-back of the box.
async fn lock_box(array: &ArrayHandle, bbox: &ArraySubset) -> Result<Vec<ChunkLock>> {
    let keys: Vec<String> = chunks_touching(array, bbox)?
        .iter()
        .map(|c| array.array.chunk_key(c).as_str().to_string())
        .collect();
    Ok(lock_chunks(&array.store, &keys).await)
}

async fn write_variable(
    array: &ArrayHandle,
    sel: Selection,
    values: Arc<VlenValues>,
) -> Result<()> {
    let bbox = sel.bounding_box();
    if sel.is_contiguous() {
        return vlen::write(array, &bbox, values, Locks::Take).await;
    }
    // The box's chunks stay locked from the read to the write-back.
    let _held = lock_box(array, &bbox).await?;
    let boxed = vlen::read(array, &bbox).await?;
    let box_shape = bbox.shape().to_vec();
    let merged =
        spawn_compute(move || Ok(boxed.scatter(sel.box_indices(&box_shape), &values))).await?;
    vlen::write(array, &bbox, Arc::new(merged), Locks::Held).await
}

#[cfg(test)]
mod tests {
    use super::{SelItem, Selection};

    fn shape_of(items: &[SelItem], shape: &[u64]) -> Vec<u64> {
        Selection::parse(items, shape).unwrap().out_shape
    }

    #[test]
    fn python_slice_semantics() {
        let s = |a, b, c| SelItem::Slice(a, b, c);
        assert_eq!(shape_of(&[s(None, None, Some(-1))], &[5]), [5]);
        assert_eq!(shape_of(&[s(Some(-2), None, None)], &[5]), [2]);
        assert_eq!(shape_of(&[s(Some(10), Some(20), None)], &[5]), [0]);
        assert_eq!(shape_of(&[s(Some(4), Some(0), Some(-2))], &[5]), [2]);
        assert_eq!(
            shape_of(&[SelItem::Index(-1), SelItem::Ellipsis], &[5, 3, 2]),
            [3, 2]
        );
        assert!(Selection::parse(&[SelItem::Index(5)], &[5]).is_err());
        assert!(Selection::parse(&[s(None, None, Some(0))], &[5]).is_err());
        assert!(Selection::parse(&[SelItem::Index(0), SelItem::Index(0)], &[5]).is_err());
    }
}
