//! Copying an array, or a group with everything below it, to another place (any store).
//!
//! What is copied: the metadata document of every node (a group's consolidated metadata is
//! written again for the copy, from the copied documents, when the source group has some), and
//! every stored chunk. With the codec chain kept, a chunk's stored bytes are copied untouched
//! (no decoding); asked for other chunks, shards, compressors, filters or Zarr format, each
//! chunk of the copy is read from the source as a region, encoded and stored.
//!
//! Chunks of every array go through one stream with a bounded number in flight, sized so that
//! about [`COPY_MEMORY`] of chunk data is held at once. A group with consolidated metadata is
//! walked from it (no listing); otherwise each level is listed. An array's stored chunks are
//! found with one listing of its keys (falling back to asking for every chunk of its grid on a
//! store that cannot list). With `resume`, chunks the destination already holds are skipped:
//! every store writes a value whole or not at all, so a chunk that is there is complete.

use std::collections::HashSet;
use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use serde_json::{Map, Value};

use crate::chunk_lock::lock_chunk;
use crate::compute::compute_part;
use crate::error::{Error, Result};
use crate::handle::{ArrayHandle, GroupHandle};
use crate::limits::check_len;
use crate::ndcopy::{byte_len, c_strides, copy_block, offset_of, Strided};
use crate::nodes::{
    descendants, prepare_slot, read_node_doc, store_consolidated, write_node_doc, Node, NodeDoc,
    NodeKind,
};
use crate::path::NodePath;
use crate::pipeline::{chunk_concurrency, codec_options, encode_chunk, read_into, SharedOut};
use crate::progress;
use crate::resize::GridIter;
use crate::spec::{keywords_of, ArraySpec};
use crate::store::Store;

/// About this much chunk data (decoded size) is in flight at once during a copy; at least one
/// chunk always is.
pub const COPY_MEMORY: usize = 256 << 20;

/// What to change while copying, and what to do about what is already there.
#[derive(Debug, Clone, Default)]
pub struct CopyOptions {
    /// Creation keywords to change (`chunks`, `shards`, `compressors`, `filters`,
    /// `zarr_format`, in [`ArraySpec::from_json`]'s form); empty: keep every array's codec chain
    /// and copy stored chunks untouched.
    pub changes: Map<String, Value>,
    /// Replace a node already at the destination (and everything below it).
    pub overwrite: bool,
    /// Keep nodes already at the destination (their metadata must be what the copy would
    /// write) and skip the chunks they already hold.
    pub resume: bool,
}

/// One array to copy: where from, where to, and how.
struct ArrayCopy {
    src: ArrayHandle,
    dst: ArrayHandle,
    /// Stored chunks copied untouched (else re-encoded region by region).
    raw: bool,
    /// Chunk keys the destination already holds (with `resume`).
    present: HashSet<String>,
    /// The source's stored chunks, when its store lists keys (raw copies only).
    stored: Option<Vec<Vec<u64>>>,
}

/// The chunks of one array to copy.
enum ChunkIter {
    Listed(std::vec::IntoIter<Vec<u64>>),
    Grid(GridIter),
}

impl Iterator for ChunkIter {
    type Item = Vec<u64>;

    fn next(&mut self) -> Option<Vec<u64>> {
        match self {
            Self::Listed(listed) => listed.next(),
            Self::Grid(grid) => grid.next(),
        }
    }
}

/// The chunks of every array to copy, array after array.
struct Jobs {
    arrays: std::vec::IntoIter<Arc<ArrayCopy>>,
    current: Option<(Arc<ArrayCopy>, ChunkIter)>,
}

impl Iterator for Jobs {
    type Item = (Arc<ArrayCopy>, Vec<u64>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some((array, chunks)) = &mut self.current {
                if let Some(coords) = chunks.next() {
                    return Some((array.clone(), coords));
                }
            }
            let array = self.arrays.next()?;
            let chunks = array.coords();
            self.current = Some((array, chunks));
        }
    }
}

/// The keys' relative names (below `array`'s prefix) that are chunks of `array`, as
/// coordinates: each name is split at the separators of Zarr's chunk key encodings and
/// checked by encoding the coordinates again.
fn chunks_listed(array: &ArrayHandle, keys: &[String]) -> Vec<Vec<u64>> {
    let prefix = array.path.prefix();
    let ndim = array.shape().len();
    keys.iter()
        .filter_map(|key| {
            let name = key.strip_prefix(&prefix)?;
            let parts: Vec<&str> = name.split(['/', '.']).collect();
            let parts = match parts.first() {
                Some(&"c") if parts.len() == ndim + 1 => &parts[1..],
                _ => &parts[..],
            };
            let coords: Vec<u64> = parts
                .iter()
                .map(|p| p.parse().ok())
                .collect::<Option<_>>()?;
            let grid = array.grid_shape();
            let inside = coords.len() == ndim && coords.iter().zip(&grid).all(|(c, g)| c < g);
            (inside && array.array.chunk_key(&coords).as_str() == key).then_some(coords)
        })
        .collect()
}

impl ArrayCopy {
    /// Bytes of array data in chunk `coords` of the destination (inside the array).
    fn bytes_of(&self, coords: &[u64]) -> u64 {
        let elem = self.dst.element().map_or(0, |e| e.size);
        self.dst
            .array
            .chunk_subset_bounded(coords)
            .map_or(0, |s| byte_len(s.shape(), elem) as u64)
    }

    /// The chunks to copy, in order: the source's stored chunks when it lists them, else every
    /// chunk of the grid.
    fn coords(&self) -> ChunkIter {
        match &self.stored {
            Some(stored) => ChunkIter::Listed(stored.clone().into_iter()),
            None => ChunkIter::Grid(GridIter::new(self.dst.grid_shape())),
        }
    }

    /// Chunks planned, and their bytes.
    fn plan(&self) -> (u64, u64) {
        if let Some(stored) = &self.stored {
            return (
                stored.len() as u64,
                stored.iter().map(|c| self.bytes_of(c)).sum(),
            );
        }
        let elem = self.dst.element().map_or(0, |e| e.size) as u64;
        let elements = crate::ndcopy::element_count(self.dst.shape());
        (
            crate::ndcopy::element_count(&self.dst.grid_shape()),
            elements.saturating_mul(elem),
        )
    }

    async fn copy_chunk(&self, coords: Vec<u64>) -> Result<()> {
        let key = self.dst.array.chunk_key(&coords);
        let bytes = self.bytes_of(&coords);
        if !self.present.contains(key.as_str()) {
            let value = if self.raw {
                let from = self.src.array.chunk_key(&coords);
                self.src.store.get(from.as_str()).await?
            } else {
                self.reencode(&coords).await?
            };
            if let Some(value) = value {
                // A whole-chunk write: ordered against partial writes of the destination chunk
                // in this process (see crate::chunk_lock).
                let _held = lock_chunk(&self.dst.store, key.as_str()).await;
                self.dst.store.set(key.as_str(), value).await?;
            }
        }
        progress::done(1, bytes);
        Ok(())
    }

    /// Chunk `coords` of the destination, read from the source as a region and encoded;
    /// `None` when it holds only the fill value (and empty chunks are not written).
    async fn reencode(&self, coords: &[u64]) -> Result<Option<bytes::Bytes>> {
        let elem = self.dst.element()?.size;
        let target = self.dst.array.chunk_subset_bounded(coords)?;
        let out = SharedOut::owned(byte_len(target.shape(), elem), || {
            format!("chunk {coords:?} of the copy of array {}", self.src.path)
        })?;
        // Counted as one chunk of the copy, not as a read of its own.
        progress::scope(None, read_into(&self.src, &target, &out)).await?;
        // SAFETY: read_into wrote every byte of the target.
        let data = unsafe { out.into_vec()? }.ok_or_else(|| Error::codec("internal: no data"))?;
        let (dst, coords) = (self.dst.clone(), coords.to_vec());
        compute_part(1, data.len(), move || {
            let chunk = dst.array.chunk_subset(&coords)?;
            let options = codec_options(1);
            if chunk == target {
                return encode_chunk(&dst, &coords, &data, &options);
            }
            // An edge chunk: the part past the array's edge holds the fill value.
            let count = usize::try_from(chunk.num_elements()).unwrap_or(usize::MAX);
            check_len(count.saturating_mul(elem), || {
                format!("chunk {coords:?} of the copy of array {}", dst.path)
            })?;
            let mut whole = dst.fill_value_bytes().repeat(count);
            let (src_strides, dst_strides) = (c_strides(target.shape()), c_strides(chunk.shape()));
            let at: Vec<u64> = target
                .start()
                .iter()
                .zip(chunk.start())
                .map(|(t, c)| t - c)
                .collect();
            copy_block(
                &data,
                Strided {
                    offset: 0,
                    strides: &src_strides,
                },
                &mut whole,
                Strided {
                    offset: offset_of(&at, &dst_strides),
                    strides: &dst_strides,
                },
                target.shape(),
                elem,
            );
            encode_chunk(&dst, &coords, &whole, &options)
        })
        .await
    }
}

/// The node to copy and every node below it: (path relative to it, document).
async fn source_nodes(source: &Node) -> Result<Vec<(String, NodeDoc)>> {
    Ok(match source {
        Node::Array(a) => vec![(
            String::new(),
            NodeDoc {
                kind: NodeKind::Array,
                doc: a.metadata().clone(),
            },
        )],
        Node::Group(g) => {
            let mut nodes = vec![(
                String::new(),
                NodeDoc {
                    kind: NodeKind::Group,
                    doc: g.metadata().clone(),
                },
            )];
            nodes.extend(match g.consolidated() {
                Some(consolidated) => consolidated.descendants(),
                None => descendants(&g.store, &g.path, None).await?,
            });
            nodes
        }
    })
}

/// Refuse changes for an array of variable-length data: re-encoding reads regions of fixed-size
/// elements (its stored chunks are copied untouched when nothing changes).
fn check_reencodable(src: &ArrayHandle, changes: &Map<String, Value>) -> Result<()> {
    let element = src.element()?;
    if element.is_variable() && !changes.is_empty() {
        return Err(Error::Unsupported(format!(
            "copying array {} ({} data, variable-length) with changes to its chunks, shards, \
             codecs or format is not supported; copy it unchanged",
            src.path,
            element.describe()
        )));
    }
    Ok(())
}

/// The document the copy of `doc` gets, with `changes` applied to an array's.
fn planned(src: &ArrayHandle, changes: &Map<String, Value>) -> Result<Value> {
    if changes.is_empty() {
        return Ok(src.metadata().clone());
    }
    let mut keywords = keywords_of(src.metadata(), src.element()?)?;
    for (key, value) in changes {
        keywords[key.as_str()] = value.clone();
    }
    ArraySpec::from_json(&keywords)?
        .to_metadata()
        .map_err(|e| e.context(&format!("array {}: ", src.path)))
}

/// Copy `source` (an array, or a group and everything below it) to `path` in `dest`, and
/// return the copy's handle.
///
/// # Errors
/// [`Error::NodeExists`] when a node is at `path` (neither `overwrite` nor `resume`);
/// [`Error::Metadata`] for changes that make an invalid array, or, with `resume`, an array at
/// the destination that differs from the one the copy would write; store and codec errors.
/// Everything is checked before the destination is touched.
pub async fn copy(source: &Node, dest: &Store, path: &str, options: &CopyOptions) -> Result<Node> {
    let root = NodePath::parse(path)?;
    let nodes = source_nodes(source).await?;
    let (src_store, src_root) = match source {
        Node::Array(a) => (&a.store, &a.path),
        Node::Group(g) => (&g.store, &g.path),
    };
    // Every handle of the copy first: a bad change fails before anything is written.
    let mut arrays = Vec::new();
    let mut docs = Vec::with_capacity(nodes.len());
    for (relative, node) in &nodes {
        let at = if relative.is_empty() {
            root.clone()
        } else {
            root.join(relative)?
        };
        let doc = match node.kind {
            NodeKind::Group => {
                let mut doc = node.doc.clone();
                if let Some(map) = doc.as_object_mut() {
                    map.remove("consolidated_metadata");
                }
                doc
            }
            NodeKind::Array => {
                let from = if relative.is_empty() {
                    src_root.clone()
                } else {
                    src_root.join(relative)?
                };
                let original =
                    ArrayHandle::from_metadata(src_store.clone(), from, node.doc.clone())?;
                check_reencodable(&original, &options.changes)?;
                let doc = planned(&original, &options.changes)?;
                let copied = ArrayHandle::from_metadata(dest.clone(), at.clone(), doc.clone())?;
                arrays.push((original, copied, options.changes.is_empty()));
                doc
            }
        };
        docs.push((relative.clone(), at, node.kind, doc));
    }
    let format = docs[0]
        .3
        .get("zarr_format")
        .and_then(Value::as_u64)
        .unwrap_or(3);
    let exists = read_node_doc(dest, &root).await?.is_some();
    if !(options.resume && exists) {
        prepare_slot(
            dest,
            &root,
            u8::try_from(format).unwrap_or(3),
            options.overwrite,
        )
        .await?;
    }
    write_documents(dest, &docs, options.resume && exists).await?;
    let arrays = list_chunks(
        arrays,
        options.resume && exists,
        (src_store, src_root),
        (dest, &root),
    )
    .await?;
    copy_chunks(arrays).await?;
    let top = docs.swap_remove(0);
    if let Node::Group(g) = source {
        if g.consolidated().is_some() || has_zmetadata(g).await? {
            let written = docs
                .into_iter()
                .map(|(relative, _, kind, doc)| (relative, NodeDoc { kind, doc }))
                .collect();
            return Ok(Node::Group(
                store_consolidated(dest, root, top.3, written).await?,
            ));
        }
        return Ok(Node::Group(GroupHandle::from_metadata(
            dest.clone(),
            root,
            top.3,
        )?));
    }
    Ok(Node::Array(ArrayHandle::from_metadata(
        dest.clone(),
        root,
        top.3,
    )?))
}

/// Whether a v2 group opened without its consolidated metadata has some.
async fn has_zmetadata(group: &GroupHandle) -> Result<bool> {
    if group.zarr_format() != 2 {
        return Ok(false);
    }
    Ok(group
        .store
        .get(&group.path.key(crate::consolidated::ZMETADATA))
        .await?
        .is_some())
}

/// Write the copy's documents; with `resume`, keep those already there (an array's must be
/// the one the copy would write).
async fn write_documents(
    dest: &Store,
    docs: &[(String, NodePath, NodeKind, Value)],
    resume: bool,
) -> Result<()> {
    // Futures are built first: a closure in the stream type trips rustc's higher-ranked
    // lifetime inference.
    let writes: Vec<_> = docs
        .iter()
        .map(|(_, at, kind, doc)| write_document(dest, at, *kind, doc, resume))
        .collect();
    futures::stream::iter(writes)
        .buffered(chunk_concurrency())
        .try_collect()
        .await
}

async fn write_document(
    dest: &Store,
    at: &NodePath,
    kind: NodeKind,
    doc: &Value,
    resume: bool,
) -> Result<()> {
    if resume {
        if let Some(existing) = read_node_doc(dest, at).await? {
            if kind == NodeKind::Array && existing.doc != *doc {
                return Err(Error::metadata(format!(
                    "cannot resume the copy: the array at {at} in {} is not the one the copy \
                     would write (its metadata differs)",
                    dest.url()
                )));
            }
            return Ok(());
        }
    }
    write_node_doc(dest, at, kind, doc).await
}

/// The keys of a sorted listing that lie below `prefix`.
fn below<'a>(keys: &'a [String], prefix: &str) -> &'a [String] {
    let start = keys.partition_point(|k| k.as_str() < prefix);
    let end = start + keys[start..].partition_point(|k| k.starts_with(prefix));
    &keys[start..end]
}

/// The chunks each array has stored (raw copies), and those its copy holds (`resume`): one
/// listing of everything below the source (and one of the destination), shared out.
async fn list_chunks(
    arrays: Vec<(ArrayHandle, ArrayHandle, bool)>,
    resume: bool,
    source: (&Store, &NodePath),
    dest: (&Store, &NodePath),
) -> Result<Vec<Arc<ArrayCopy>>> {
    let listing = |store: &Store, path: &NodePath| {
        let (store, prefix) = (store.clone(), path.prefix());
        async move {
            let mut keys = store.list_keys(&prefix).await?;
            keys.sort_unstable();
            Ok::<_, Error>(keys)
        }
    };
    // A store that cannot list (a plain HTTP server) is asked for every chunk instead.
    let stored = if arrays.iter().any(|a| a.2) {
        listing(source.0, source.1).await.ok()
    } else {
        None
    };
    let present = if resume {
        listing(dest.0, dest.1).await?
    } else {
        Vec::new()
    };
    Ok(arrays
        .into_iter()
        .map(|(src, dst, raw)| {
            let stored = stored
                .as_ref()
                .filter(|_| raw)
                .map(|keys| chunks_listed(&src, below(keys, &src.path.prefix())));
            let present = below(&present, &dst.path.prefix())
                .iter()
                .cloned()
                .collect();
            Arc::new(ArrayCopy {
                src,
                dst,
                raw,
                present,
                stored,
            })
        })
        .collect())
}

/// Copy every array's chunks through one bounded stream.
async fn copy_chunks(arrays: Vec<Arc<ArrayCopy>>) -> Result<()> {
    let largest = arrays
        .iter()
        .map(|a| {
            let elem = a.dst.element().map_or(1, |e| e.size);
            byte_len(&a.src.chunk_shape(), elem).max(byte_len(&a.dst.chunk_shape(), elem))
        })
        .max()
        .unwrap_or(1);
    let in_flight = (COPY_MEMORY / largest.max(1)).clamp(1, chunk_concurrency());
    for array in &arrays {
        let (chunks, bytes) = array.plan();
        progress::plan(chunks, bytes);
    }
    let jobs = Jobs {
        arrays: arrays.into_iter(),
        current: None,
    };
    futures::stream::iter(jobs)
        .map(|(array, coords)| async move { array.copy_chunk(coords).await })
        .buffer_unordered(in_flight)
        .try_collect()
        .await
}
