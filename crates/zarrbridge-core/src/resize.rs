//! Changing an array's shape: `resize` and `append`.
//!
//! The metadata document is replaced with one write, which every store makes atomic (a file
//! store writes a temporary file and renames it, an object store takes one PUT), so a reader
//! sees the old shape or the new one, never a mix. Data the new shape needs is written before
//! the document, so a reader that sees the new shape finds it there:
//!
//! - `append` writes the new data through a handle of the new shape first, then the document:
//!   a reader never sees the appended region unwritten;
//! - growing with `resize` first sets to the fill value what the new shape exposes of chunks
//!   that were at the old edge (an earlier shrink, here or by another library, leaves their old
//!   values there), then writes the document;
//! - shrinking writes the document, then deletes the chunks wholly outside the new shape, as
//!   zarr-python does.
//!
//! The document is read from the store first, so attributes another handle changed meanwhile
//! are kept. Two writers resizing one array at once race: the last document written wins.

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use serde_json::json;
use zarrs::array::ArraySubset;

use crate::chunks::{Values, VlenValues, WriteData};
use crate::error::{Error, Result};
use crate::handle::ArrayHandle;
use crate::limits::check_len;
use crate::nodes::{read_node_doc, write_array_document, NodeKind};
use crate::pipeline::{chunk_concurrency, store_encoded, write_from, Locks};
use crate::vlen;

/// The array's document as stored now, and a handle of it.
async fn current(array: &ArrayHandle) -> Result<ArrayHandle> {
    let doc = read_node_doc(&array.store, &array.path)
        .await?
        .filter(|d| d.kind == NodeKind::Array)
        .ok_or_else(|| {
            Error::NodeNotFound(format!(
                "no array at {} in {} any more",
                array.path,
                array.store.url()
            ))
        })?;
    Ok(
        ArrayHandle::from_metadata(array.store.clone(), array.path.clone(), doc.doc)?
            .with_write_empty_chunks(array.write_empty_chunks),
    )
}

/// A handle like `array` (same store, path, document and settings) of shape `shape`.
fn reshaped(array: &ArrayHandle, shape: &[u64]) -> Result<ArrayHandle> {
    let mut doc = array.metadata().clone();
    doc["shape"] = json!(shape);
    Ok(
        ArrayHandle::from_metadata(array.store.clone(), array.path.clone(), doc)?
            .with_write_empty_chunks(array.write_empty_chunks),
    )
}

fn check_rank(array: &ArrayHandle, shape: &[u64]) -> Result<()> {
    if shape.len() != array.shape().len() {
        return Err(Error::InvalidData(format!(
            "the new shape {shape:?} has {} dimensions, array {} has {}",
            shape.len(),
            array.path,
            array.shape().len()
        )));
    }
    Ok(())
}

/// Change the shape of `array` to `shape` and return a handle of the new shape. Growing
/// exposes elements that read as the fill value; shrinking deletes the chunks wholly outside
/// the new shape.
///
/// # Errors
/// [`Error::InvalidData`] for a shape of another rank, [`Error::NodeNotFound`] when the array
/// is gone, [`Error::Unsupported`] for an irregular chunk grid; store and codec errors.
pub async fn resize(array: &ArrayHandle, shape: &[u64]) -> Result<ArrayHandle> {
    check_rank(array, shape)?;
    let old = current(array).await?;
    let chunk = old.regular_chunk_shape("resize")?;
    let new = reshaped(&old, shape)?;
    for region in exposed(old.shape(), shape, &chunk) {
        fill(&new, &region, &chunk).await?;
    }
    write_array_document(&new.store, &new.path, new.metadata()).await?;
    delete_outside(&old, shape, &chunk).await?;
    Ok(new)
}

/// Write `data` (C order, of shape `data_shape`: fixed-size elements in native byte order, or
/// variable-length values, see [`Values`]) after the end of `array` along `axis` and
/// return a handle of the grown array. The other dimensions must match the array's.
///
/// # Errors
/// [`Error::InvalidData`] for data of another rank, shape or size (nothing is written);
/// otherwise as [`resize`].
pub async fn append(
    array: &ArrayHandle,
    data: impl Into<Values>,
    data_shape: &[u64],
    axis: usize,
) -> Result<ArrayHandle> {
    let old = current(array).await?;
    let shape = old.shape().to_vec();
    if data_shape.len() != shape.len() || axis >= shape.len() {
        return Err(Error::InvalidData(format!(
            "cannot append data of shape {data_shape:?} along axis {axis} to array {} of shape \
             {shape:?}",
            old.path
        )));
    }
    if let Some(d) = (0..shape.len()).find(|&d| d != axis && data_shape[d] != shape[d]) {
        return Err(Error::InvalidData(format!(
            "cannot append data of shape {data_shape:?} along axis {axis} to array {} of shape \
             {shape:?}: dimension {d} differs",
            old.path
        )));
    }
    let data = data.into().prepare(old.element()?, data_shape)?;
    let mut grown = shape.clone();
    grown[axis] += data_shape[axis];
    let new = reshaped(&old, &grown)?;
    if data_shape[axis] > 0 {
        let ranges: Vec<_> = shape
            .iter()
            .enumerate()
            .map(|(d, &n)| if d == axis { n..grown[d] } else { 0..n })
            .collect();
        write_values(&new, &ArraySubset::new_with_ranges(&ranges), data).await?;
    }
    write_array_document(&new.store, &new.path, new.metadata()).await?;
    Ok(new)
}

/// Write `data` to `region` of `array`, each chunk under its lock (see [`crate::chunk_lock`]).
async fn write_values(array: &ArrayHandle, region: &ArraySubset, data: Values) -> Result<()> {
    match data {
        Values::Fixed(data) => write_from(array, region, data, Locks::Take).await,
        Values::Variable(values) => vlen::write(array, region, values, Locks::Take).await,
    }
}

/// The regions growing from `old` to `new` exposes inside chunks that held elements of `old`
/// (their elements past the old edge are left from before). Disjoint boxes: the `d`th has
/// dimension `d` past the old edge, the dimensions before it inside the old shape.
fn exposed(old: &[u64], new: &[u64], chunk: &[u64]) -> Vec<ArraySubset> {
    let ndim = old.len();
    let edge = |d: usize| old[d].next_multiple_of(chunk[d].max(1));
    (0..ndim)
        .filter_map(|d| {
            let ranges: Vec<_> = (0..ndim)
                .map(|e| match e.cmp(&d) {
                    std::cmp::Ordering::Less => 0..old[e].min(new[e]),
                    std::cmp::Ordering::Equal => old[e]..new[e].min(edge(e)),
                    std::cmp::Ordering::Greater => 0..new[e].min(edge(e)),
                })
                .collect();
            ranges
                .iter()
                .all(|r| r.start < r.end)
                .then(|| ArraySubset::new_with_ranges(&ranges))
        })
        .collect()
}

/// Set `region` of `array` to the fill value, chunk by chunk (no more than a chunk's worth of
/// fill values in memory).
async fn fill(array: &ArrayHandle, region: &ArraySubset, chunk: &[u64]) -> Result<()> {
    let chunks = array
        .array
        .chunks_in_array_subset(region)
        .map_err(|e| Error::Selection(e.to_string()))?
        .ok_or_else(|| Error::Selection(format!("region {region} does not map to chunks")))?;
    let element = array.element()?;
    let fill = array.fill_value_bytes().to_vec();
    futures::stream::iter(chunks.indices().into_iter().map(|c| c.to_vec()))
        .map(|coords| {
            let fill = fill.clone();
            async move {
                let ranges: Vec<_> = coords
                    .iter()
                    .zip(chunk)
                    .zip(region.start().iter().zip(region.shape()))
                    .map(|((&c, &n), (&s, &len))| (c * n).max(s)..((c + 1) * n).min(s + len))
                    .collect();
                let part = ArraySubset::new_with_ranges(&ranges);
                let count = usize::try_from(part.num_elements()).unwrap_or(usize::MAX);
                check_len(count.saturating_mul(fill.len()), || {
                    format!(
                        "the fill value over {:?} of array {}",
                        part.shape(),
                        array.path
                    )
                })?;
                let data = if element.is_variable() {
                    Values::from(VlenValues::repeat(&fill, count))
                } else {
                    let data: WriteData = std::sync::Arc::new(Bytes::from(fill.repeat(count)));
                    Values::Fixed(data)
                };
                write_values(array, &part, data).await
            }
        })
        .buffer_unordered(chunk_concurrency())
        .try_collect()
        .await
}

/// Delete the chunks of `array` (its old shape) that lie wholly outside `shape`.
async fn delete_outside(array: &ArrayHandle, shape: &[u64], chunk: &[u64]) -> Result<()> {
    let grid = array.grid_shape();
    let kept: Vec<u64> = shape
        .iter()
        .zip(chunk)
        .map(|(s, c)| s.div_ceil(*c))
        .collect();
    if grid.iter().zip(&kept).all(|(g, k)| g <= k) {
        return Ok(());
    }
    let outside =
        GridIter::new(grid).filter(move |coords| coords.iter().zip(&kept).any(|(c, k)| c >= k));
    futures::stream::iter(outside)
        .map(|coords| async move {
            // Ordered against writes of the chunk in this process (see crate::chunk_lock).
            let key = array.array.chunk_key(&coords);
            store_encoded(array, &coords, &key, Ok(None), Locks::Take).await
        })
        .buffer_unordered(chunk_concurrency())
        .try_collect()
        .await
}

/// Every coordinate of a grid, in C order.
pub(crate) struct GridIter {
    grid: Vec<u64>,
    next: Option<Vec<u64>>,
}

impl GridIter {
    /// The coordinates of `grid` (none when a dimension is 0).
    pub(crate) fn new(grid: Vec<u64>) -> Self {
        let next = (!grid.contains(&0)).then(|| vec![0; grid.len()]);
        Self { grid, next }
    }
}

impl Iterator for GridIter {
    type Item = Vec<u64>;

    fn next(&mut self) -> Option<Vec<u64>> {
        let current = self.next.take()?;
        let mut following = current.clone();
        for d in (0..following.len()).rev() {
            following[d] += 1;
            if following[d] < self.grid[d] {
                self.next = Some(following);
                return Some(current);
            }
            following[d] = 0;
        }
        Some(current)
    }
}

#[cfg(test)]
mod tests {
    use super::{exposed, GridIter};

    #[test]
    fn growing_exposes_only_the_old_edge_chunks() {
        // 5x5 in chunks of 4, grown to 10x6: rows 5..8 (up to the old edge chunk's end) of
        // columns 0..5, then columns 5..6 of rows 0..8.
        let boxes = exposed(&[5, 5], &[10, 6], &[4, 4]);
        let ranges: Vec<_> = boxes.iter().map(ToString::to_string).collect();
        assert_eq!(ranges, ["[5..8, 0..6]", "[0..5, 5..6]"]);
        // Aligned to chunks: nothing to clear.
        assert!(exposed(&[8, 4], &[12, 8], &[4, 4]).is_empty());
    }

    #[test]
    fn grids_are_walked_in_c_order() {
        let all: Vec<_> = GridIter::new(vec![2, 2]).collect();
        assert_eq!(all, [[0, 0], [0, 1], [1, 0], [1, 1]]);
        assert_eq!(GridIter::new(vec![3, 0]).count(), 0);
        assert_eq!(GridIter::new(vec![]).count(), 1);
    }
}
