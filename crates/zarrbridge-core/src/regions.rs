//! Region reads and writes with numpy basic indexing: integers, slices with any step, Ellipsis.

use std::sync::Arc;

use zarrs::array::ArraySubset;

use crate::chunk_lock::{lock_chunks, ChunkLock};
use crate::chunks::{check_no_out, Decoded, Values, VlenValues};
use crate::compute::spawn_compute;
use crate::error::{Error, Result};
use crate::handle::ArrayHandle;
use crate::ndcopy::{byte_len, c_strides, copy_block, Strided};
use crate::pipeline::{
    chunks_touching, read_into, result_buffer, write_from, ExternalBuffer, Kept, Locks, SharedOut,
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
}

/// A selection resolved against an array shape.
#[derive(Debug, Clone)]
pub struct Selection {
    dims: Vec<DimSel>,
    /// Shape of the result (integer-indexed dimensions dropped).
    pub out_shape: Vec<u64>,
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// Python's `slice.indices` followed by the length computation.
fn resolve_slice(
    start: Option<i64>,
    end: Option<i64>,
    stride: Option<i64>,
    len: u64,
) -> Result<DimSel> {
    let step = stride.unwrap_or(1);
    if step == 0 {
        return Err(Error::Selection("slice step cannot be zero".into()));
    }
    let len = to_i64(len);
    let (lower, upper) = if step < 0 { (-1, len - 1) } else { (0, len) };
    let clamp = |v: Option<i64>, default: i64| match v {
        None => default,
        Some(v) if v < 0 => (v.saturating_add(len)).max(lower),
        Some(v) => v.min(upper),
    };
    let start = clamp(start, if step < 0 { upper } else { lower });
    let last = clamp(end, if step < 0 { lower } else { upper });
    let count = if step < 0 && last < start {
        (start - last - 1) / (-step) + 1
    } else if step > 0 && start < last {
        (last - start - 1) / step + 1
    } else {
        0
    };
    Ok(DimSel {
        start: to_u64(start.max(0)),
        count: to_u64(count),
        step,
    })
}

impl Selection {
    /// Resolve `items` against `shape`.
    ///
    /// # Errors
    /// [`Error::Selection`] for out-of-bounds integers, too many indices, a zero step or more
    /// than one Ellipsis.
    pub fn parse(items: &[SelItem], shape: &[u64]) -> Result<Self> {
        let ellipses = items.iter().filter(|i| **i == SelItem::Ellipsis).count();
        if ellipses > 1 {
            return Err(Error::Selection(
                "a selection can only have one Ellipsis".into(),
            ));
        }
        let explicit = items.len() - ellipses;
        if explicit > shape.len() {
            return Err(Error::Selection(format!(
                "too many indices: {explicit} given for a {}-dimensional array",
                shape.len()
            )));
        }
        let mut expanded = Vec::with_capacity(shape.len());
        for item in items {
            if *item == SelItem::Ellipsis {
                expanded.extend(std::iter::repeat_n(
                    SelItem::Slice(None, None, None),
                    shape.len() - explicit,
                ));
            } else {
                expanded.push(*item);
            }
        }
        expanded.resize(shape.len(), SelItem::Slice(None, None, None));
        let mut dims = Vec::with_capacity(shape.len());
        let mut out_shape = Vec::with_capacity(shape.len());
        for (axis, (item, &len)) in expanded.iter().zip(shape).enumerate() {
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
                    });
                }
                SelItem::Slice(from, to, stride) => {
                    let d = resolve_slice(from, to, stride, len)?;
                    out_shape.push(d.count);
                    dims.push(d);
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

    /// Where the selected elements sit in a C-ordered copy of the bounding box.
    fn in_box(&self, box_shape: &[u64]) -> (isize, Vec<isize>) {
        let strides = c_strides(box_shape);
        let mut offset = 0isize;
        let steps = self
            .dims
            .iter()
            .zip(&strides)
            .map(|(d, &s)| {
                let step = isize::try_from(d.step).unwrap_or(isize::MAX);
                if d.step < 0 {
                    let from_lo = (d.count - 1) * d.step.unsigned_abs();
                    offset += isize::try_from(from_lo).unwrap_or(isize::MAX) * s;
                }
                step * s
            })
            .collect();
        (offset, steps)
    }

    fn counts(&self) -> Vec<u64> {
        self.dims.iter().map(|d| d.count).collect()
    }

    /// The index of each selected element (C order) in a C-ordered copy of the bounding box.
    fn box_indices(&self, box_shape: &[u64]) -> impl Iterator<Item = usize> {
        let (offset, strides) = self.in_box(box_shape);
        let counts = self.counts();
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
}

/// The shape a selection of `array` produces.
///
/// # Errors
/// As [`Selection::parse`].
pub fn selection_shape(array: &ArrayHandle, items: &[SelItem]) -> Result<Vec<u64>> {
    Ok(Selection::parse(items, array.shape())?.out_shape)
}

/// Read a selection of `array`; into `out` when given.
///
/// # Panics
/// Never in practice: an internal buffer is checked to be owned before use.
///
/// # Errors
/// [`Error::Selection`] for a bad selection, codec and store errors.
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
            read_into(array, &sel.bounding_box(), &out, None).await?;
        } else {
            let bbox = sel.bounding_box();
            let temp = SharedOut::owned(byte_len(bbox.shape(), element.size), || {
                format!("the bounding box {:?} of a stepped selection", bbox.shape())
            })?;
            read_into(array, &bbox, &temp, None).await?;
            // SAFETY: read_into wrote every byte of the box.
            let temp = unsafe { temp.into_vec()? }.expect("owned buffer");
            let (job_out, counts) = (out.clone(), sel.counts());
            spawn_compute(move || {
                let (offset, strides) = sel.in_box(bbox.shape());
                let dst_strides = c_strides(&counts);
                // SAFETY: this job is the only one touching `out`, and it writes all of it.
                let dst = unsafe { job_out.slice_mut() };
                copy_block(
                    &temp,
                    Strided {
                        offset,
                        strides: &strides,
                    },
                    dst,
                    Strided {
                        offset: 0,
                        strides: &dst_strides,
                    },
                    &counts,
                    element.size,
                );
                Ok(())
            })
            .await?;
        }
    }
    // SAFETY: every byte was written above (an empty selection has no bytes).
    let data = unsafe { out.into_vec()? };
    Ok(Decoded::fixed(data, shape, element))
}

async fn read_variable(array: &ArrayHandle, sel: Selection) -> Result<VlenValues> {
    if sel.is_empty() {
        return Ok(VlenValues::default());
    }
    let bbox = sel.bounding_box();
    let boxed = vlen::read(array, &bbox).await?;
    if sel.is_contiguous() {
        return Ok(boxed);
    }
    spawn_compute(move || Ok(boxed.gather(sel.box_indices(bbox.shape())))).await
}

/// Write `data` (C order, exactly the selection's shape: fixed-size elements in native byte
/// order, or variable-length values, see [`Values`]) to a selection.
///
/// # Panics
/// Never in practice: an internal buffer is checked to be owned before use.
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
    let bbox = sel.bounding_box();
    let data = match data {
        Values::Variable(values) => return write_variable(array, sel, bbox, values).await,
        Values::Fixed(data) => data,
    };
    if sel.is_contiguous() {
        return write_from(array, &bbox, data, None, Locks::Take).await;
    }
    // Stepped selection: read the bounding box, scatter the new values into it, write it back,
    // holding the locks of every chunk of the box throughout (see crate::chunk_lock). Chunks
    // the box covers only in part are read whole and kept, so that writing the box back merges
    // into them without reading them again.
    let _held = lock_box(array, &bbox).await?;
    let temp = SharedOut::owned(byte_len(bbox.shape(), element.size), || {
        format!("the bounding box {:?} of a stepped selection", bbox.shape())
    })?;
    let kept = Kept::default();
    read_into(array, &bbox, &temp, Some(&kept)).await?;
    // SAFETY: read_into wrote every byte of the box.
    let mut boxed = unsafe { temp.into_vec()? }.expect("owned buffer");
    let box_shape = bbox.shape().to_vec();
    let merged = spawn_compute(move || {
        let (offset, strides) = sel.in_box(&box_shape);
        let counts = sel.counts();
        let src_strides = c_strides(&counts);
        copy_block(
            (*data).as_ref(),
            Strided {
                offset: 0,
                strides: &src_strides,
            },
            &mut boxed,
            Strided {
                offset,
                strides: &strides,
            },
            &counts,
            element.size,
        );
        Ok(boxed)
    })
    .await?;
    write_from(array, &bbox, Arc::new(merged), Some(kept), Locks::Held).await
}

/// The locks of every chunk of `bbox`, held for a stepped write's read, merge and write-back.
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
    bbox: ArraySubset,
    values: Arc<VlenValues>,
) -> Result<()> {
    if sel.is_contiguous() {
        return vlen::write(array, &bbox, values, Locks::Take).await;
    }
    // As for fixed-size data: the box's chunks stay locked from the read to the write-back.
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
