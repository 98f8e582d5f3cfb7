//! Region reads and writes with numpy basic indexing: integers, slices with any step, Ellipsis.

use zarrs::array::ArraySubset;

use crate::chunks::{Decoded, WriteData};
use crate::error::{Error, Result};
use crate::gather::{fill_selection, write_selection};
use crate::handle::ArrayHandle;
use crate::indexing::{resolve_slice, to_i64, to_u64, FancySelection};
use crate::ndcopy::byte_len;
use crate::pipeline::{read_into, result_buffer, write_from, ExternalBuffer};

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
/// into the result; a stepped selection reads only the chunks holding selected elements and
/// copies those out (see [`crate::gather`]), so it needs memory for its result, not its box.
///
/// # Errors
/// [`Error::Selection`] for a bad selection, codec and store errors.
pub async fn read_region(
    array: &ArrayHandle,
    items: &[SelItem],
    out: Option<Box<dyn ExternalBuffer>>,
) -> Result<Decoded> {
    let element = array.element()?;
    let sel = Selection::parse(items, array.shape())?;
    let shape = sel.out_shape.clone();
    let out = result_buffer(out, byte_len(&shape, element.size))?;
    if !sel.is_empty() {
        if sel.is_contiguous() {
            read_into(array, &sel.bounding_box(), &out).await?;
        } else {
            fill_selection(array, &sel.stepped(array.shape()), &out).await?;
        }
    }
    // SAFETY: every byte was written above (an empty selection has no bytes).
    let data = unsafe { out.into_vec()? };
    Ok(Decoded {
        data,
        shape,
        element,
    })
}

/// Write `data` (C order, native byte order, exactly the selection's shape) to a selection.
///
/// # Errors
/// [`Error::Selection`], [`Error::InvalidData`] for a size mismatch (nothing is written),
/// codec and store errors.
pub async fn write_region(array: &ArrayHandle, items: &[SelItem], data: WriteData) -> Result<()> {
    let element = array.element()?;
    let sel = Selection::parse(items, array.shape())?;
    let needed = byte_len(&sel.out_shape, element.size);
    let given = (*data).as_ref().len();
    if given != needed {
        return Err(Error::InvalidData(format!(
            "data holds {given} bytes, the selection of shape {:?} needs {needed}",
            sel.out_shape
        )));
    }
    if sel.is_empty() {
        return Ok(());
    }
    if sel.is_contiguous() {
        return write_from(array, &sel.bounding_box(), data).await;
    }
    // Each chunk holding selected elements is read, merged and written once.
    write_selection(array, &sel.stepped(array.shape()), data).await
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
