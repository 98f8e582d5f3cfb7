//! Array and group handles: a store, a path and parsed metadata, built once.

use std::sync::Arc;

use serde_json::{Map, Value};
use zarrs::array::{Array, ArrayMetadata, ArrayShardedExt, ArraySubset};
use zarrs::storage::AsyncReadableWritableListableStorageTraits;

use crate::consolidated::{Consolidated, NodeKind};
use crate::dtype::{zarrs_document, ElementType};
use crate::error::{Error, Result};
use crate::fast::FastChain;
use crate::metadata_checks::not_understood;
use crate::path::NodePath;
use crate::shards::ShardReads;
use crate::store::Store;

/// The zarrs storage type every handle uses.
pub type Storage = dyn AsyncReadableWritableListableStorageTraits;

/// An array: store, path, metadata document and the zarrs array (codec chain) built from it.
#[derive(Clone)]
pub struct ArrayHandle {
    pub(crate) store: Store,
    pub(crate) path: NodePath,
    pub(crate) array: Arc<Array<Storage>>,
    doc: Arc<Value>,
    /// The element type, or why data cannot be moved (an unsupported data type or codec).
    element: std::result::Result<ElementType, Arc<str>>,
    pub(crate) write_empty_chunks: bool,
    /// The chain on the library's own codec path, when it runs it (see [`crate::fast`]).
    pub(crate) fast: Option<Arc<FastChain>>,
    /// How shards are read in part, and the shard indexes read so far (shared by the clones
    /// of this handle; see [`crate::shards`]).
    pub(crate) shards: Option<Arc<ShardReads>>,
}

impl std::fmt::Debug for ArrayHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ArrayHandle({} {})", self.store.url(), self.path)
    }
}

impl ArrayHandle {
    /// Build a handle from a metadata document (`zarr.json`, or `.zarray` with an optional
    /// `attributes` key) with no I/O.
    ///
    /// # Errors
    /// [`Error::Metadata`] for an invalid document, [`Error::Unsupported`] naming the data type
    /// or codec (and the path) when the array's data cannot be moved.
    pub fn from_metadata(store: Store, path: NodePath, doc: Value) -> Result<Self> {
        let handle = Self::listed(store, path, doc)?;
        handle.element()?;
        Ok(handle)
    }

    /// Build a handle as [`ArrayHandle::from_metadata`] does, but keep one whose data type or
    /// codecs are not supported: it has its shape, chunking and metadata, and every data
    /// operation on it raises [`Error::Unsupported`]. Listing a group uses this, so that one
    /// such child never hides the others.
    ///
    /// # Errors
    /// [`Error::Metadata`] for an invalid document.
    #[allow(clippy::needless_pass_by_value)] // the document is the handle's input, taken whole
    pub fn listed(store: Store, path: NodePath, doc: Value) -> Result<Self> {
        let context = format!("array {path}: ");
        let mut element = match ElementType::of_document(&doc) {
            Ok(element) => Ok(element),
            Err(Error::Unsupported(why)) => Err(why),
            Err(e) => return Err(e.context(&context)),
        };
        let transformers = doc.get("storage_transformers").and_then(Value::as_array);
        if transformers.is_some_and(|t| !t.is_empty()) {
            element = Err("storage transformers are not supported".into());
        }
        if let Some(why) = not_understood(&doc, NodeKind::Array) {
            element = Err(why);
        }
        let built = match &element {
            Ok(e) => zarrs_document(&doc, e).and_then(|zdoc| build(&store, &path, &zdoc)),
            Err(why) => Err(Error::Unsupported(why.clone())),
        };
        let array = match built {
            Ok(array) => array,
            // Our table or zarrs does not know the data type or a codec: keep the handle,
            // without its data.
            Err(e) => {
                let why = match (&element, e) {
                    (Err(why), _) => why.clone(),
                    (Ok(_), Error::Unsupported(why)) => why,
                    (Ok(_), e) => return Err(e.context(&context)),
                };
                let array = stand_in(&store, &path, &doc)
                    .ok_or_else(|| Error::Unsupported(why.clone()).context(&context))?;
                element = Err(why);
                array
            }
        };
        let element = element.map_err(|why| -> Arc<str> {
            format!("array {path} in {}: {why}", store.url()).into()
        });
        let fast = if fast_codecs_enabled() {
            detect_fast(&array, element.as_ref().ok())
        } else {
            None
        };
        // Only for data types of fixed size, whose inner chunks decode into place.
        let shards = element
            .as_ref()
            .ok()
            .filter(|e| !e.is_variable())
            .and_then(|_| ShardReads::detect(&array.codecs(), array.shape().len()))
            .map(Arc::new);
        // Keep the document as given: zarrs validated it, but its own serialisation writes
        // name-only codecs as bare strings, which other implementations reject.
        Ok(Self {
            store,
            path,
            array: Arc::new(array),
            doc: Arc::new(doc),
            element,
            write_empty_chunks: false,
            fast,
            shards,
        })
    }

    /// The same handle with the library's own codec path for common chains (bytes + zstd,
    /// alone or inside shards) on or off; off, zarrs runs every codec. On by default unless
    /// the environment sets `ZARRBRIDGE_FAST_CODECS=0`. Both paths read and write the same
    /// bytes; the switch exists to compare them.
    #[must_use]
    pub fn with_fast_codecs(&self, enabled: bool) -> Self {
        Self {
            fast: if enabled {
                detect_fast(&self.array, self.element.as_ref().ok())
            } else {
                None
            },
            ..self.clone()
        }
    }

    /// Drop what the handle remembers of stored chunk `coords` (its shard index), after a
    /// write through it.
    pub(crate) fn forget_shard(&self, coords: &[u64]) {
        if let Some(shards) = &self.shards {
            shards.forget(coords);
        }
    }

    /// Whether this handle's codec chain runs on the library's own path.
    #[must_use]
    pub fn uses_fast_codecs(&self) -> bool {
        self.fast.is_some()
    }

    /// The same handle with another `write_empty_chunks` setting.
    #[must_use]
    pub fn with_write_empty_chunks(&self, write_empty_chunks: bool) -> Self {
        Self {
            write_empty_chunks,
            ..self.clone()
        }
    }

    /// Whether chunks equal to the fill value are stored (else they are erased).
    #[must_use]
    pub fn write_empty_chunks(&self) -> bool {
        self.write_empty_chunks
    }

    /// The store.
    #[must_use]
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The node path.
    #[must_use]
    pub fn path(&self) -> &NodePath {
        &self.path
    }

    /// The metadata document (v2: the `.zarray` fields plus `attributes`).
    #[must_use]
    pub fn metadata(&self) -> &Value {
        &self.doc
    }

    /// 2 or 3.
    #[must_use]
    pub fn zarr_format(&self) -> u8 {
        match self.array.metadata() {
            ArrayMetadata::V3(_) => 3,
            ArrayMetadata::V2(_) => 2,
        }
    }

    /// The array shape.
    #[must_use]
    pub fn shape(&self) -> &[u64] {
        self.array.shape()
    }

    /// The element type, or [`Error::Unsupported`] when the array's data cannot be moved.
    ///
    /// # Errors
    /// [`Error::Unsupported`] naming the data type or codec and the path.
    pub fn element(&self) -> Result<ElementType> {
        self.element
            .clone()
            .map_err(|why| Error::Unsupported(why.to_string()))
    }

    /// numpy type string of decoded data (`"|O"` when the data cannot be moved; see
    /// [`ElementType::numpy_native`]).
    #[must_use]
    pub fn numpy_dtype(&self) -> String {
        self.element
            .as_ref()
            .map_or_else(|_| "|O".to_string(), ElementType::numpy_native)
    }

    /// Shape of one stored chunk (a shard, for sharded arrays).
    #[must_use]
    pub fn chunk_shape(&self) -> Vec<u64> {
        let origin = vec![0; self.shape().len()];
        self.array
            .chunk_shape(&origin)
            .map(|s| s.iter().map(|n| n.get()).collect())
            .unwrap_or_default()
    }

    /// Shape of every stored chunk, for work that splits an array by chunks with arithmetic.
    ///
    /// # Errors
    /// [`Error::Unsupported`] when the chunk grid is not regular (`what` names the work).
    pub(crate) fn regular_chunk_shape(&self, what: &str) -> Result<Vec<u64>> {
        let grid = self
            .doc
            .get("chunk_grid")
            .and_then(|g| g.get("name"))
            .and_then(Value::as_str);
        if self.zarr_format() == 3 && grid != Some("regular") {
            return Err(Error::Unsupported(format!(
                "{what} of array {} needs a regular chunk grid, not {}",
                self.path,
                grid.unwrap_or("an unnamed one")
            )));
        }
        Ok(self.chunk_shape())
    }

    /// Shape of the inner chunks of a sharded array.
    #[must_use]
    pub fn inner_chunk_shape(&self) -> Option<Vec<u64>> {
        self.array
            .subchunk_shape()
            .map(|s| s.iter().map(|n| n.get()).collect())
    }

    /// Number of inner chunks of a sharded array along each dimension (over the array's shape).
    #[must_use]
    pub fn inner_grid_shape(&self) -> Option<Vec<u64>> {
        let inner = self.inner_chunk_shape()?;
        Some(
            self.shape()
                .iter()
                .zip(&inner)
                .map(|(n, i)| n.div_ceil(*i))
                .collect(),
        )
    }

    /// Where the inner chunk `coords` (in [`ArrayHandle::inner_grid_shape`]) of a sharded array
    /// is stored.
    ///
    /// # Errors
    /// [`Error::ChunkIndex`] when the array is not sharded or the coordinates are outside the
    /// grid of inner chunks.
    pub(crate) fn locate_inner(&self, coords: &[u64]) -> Result<InnerChunk> {
        let (Some(inner), Some(grid)) = (self.inner_chunk_shape(), self.inner_grid_shape()) else {
            return Err(Error::ChunkIndex(format!(
                "array {} in {} is not sharded: it has no inner chunks (inner=True)",
                self.path,
                self.store.url()
            )));
        };
        if coords.len() != grid.len() || coords.iter().zip(&grid).any(|(c, g)| c >= g) {
            return Err(Error::ChunkIndex(format!(
                "inner chunk coordinates {coords:?} are outside the grid {grid:?} of inner chunks \
                 of array {} in {}",
                self.path,
                self.store.url()
            )));
        }
        let per_shard: Vec<u64> = self
            .chunk_shape()
            .iter()
            .zip(&inner)
            .map(|(s, i)| s / i)
            .collect();
        let mut index = 0u64;
        for (c, n) in coords.iter().zip(&per_shard) {
            index = index * n + c % n;
        }
        let ranges: Vec<_> = coords
            .iter()
            .zip(&inner)
            .map(|(&c, &n)| c * n..(c + 1) * n)
            .collect();
        Ok(InnerChunk {
            shard: coords.iter().zip(&per_shard).map(|(c, n)| c / n).collect(),
            index: usize::try_from(index).unwrap_or(usize::MAX),
            count: usize::try_from(per_shard.iter().product::<u64>()).unwrap_or(usize::MAX),
            subset: ArraySubset::new_with_ranges(&ranges),
        })
    }

    /// Number of stored chunks along each dimension.
    #[must_use]
    pub fn grid_shape(&self) -> Vec<u64> {
        self.array.chunk_grid_shape().to_vec()
    }

    /// The store key of the stored chunk `coords` (a shard, for a sharded array), from the
    /// array's chunk key encoding and its path.
    ///
    /// # Errors
    /// [`Error::ChunkIndex`] for coordinates outside the chunk grid.
    pub fn chunk_key(&self, coords: &[u64]) -> Result<String> {
        self.check_chunk(coords)?;
        Ok(self.array.chunk_key(coords).as_str().to_owned())
    }

    /// The fill value in native byte order.
    #[must_use]
    pub fn fill_value_bytes(&self) -> &[u8] {
        self.array.fill_value().as_ne_bytes()
    }

    /// Check chunk coordinates against the chunk grid.
    ///
    /// # Errors
    /// [`Error::ChunkIndex`] naming the coordinates and the grid.
    pub fn check_chunk(&self, coords: &[u64]) -> Result<()> {
        let grid = self.array.chunk_grid_shape();
        if coords.len() != grid.len() || coords.iter().zip(grid).any(|(c, g)| c >= g) {
            return Err(Error::ChunkIndex(format!(
                "chunk coordinates {coords:?} are outside the chunk grid {grid:?} of array {} \
                 in {}",
                self.path,
                self.store.url()
            )));
        }
        Ok(())
    }
}

/// Where an inner chunk of a sharded array is stored (see [`ArrayHandle::locate_inner`]).
#[derive(Debug, Clone)]
pub(crate) struct InnerChunk {
    /// The coordinates of its shard.
    pub shard: Vec<u64>,
    /// Its index in the shard (C order).
    pub index: usize,
    /// Inner chunks per shard.
    pub count: usize,
    /// The array region it covers (it may extend past the array's edge).
    pub subset: ArraySubset,
}

fn fast_codecs_enabled() -> bool {
    std::env::var_os("ZARRBRIDGE_FAST_CODECS").is_none_or(|v| v != "0")
}

fn detect_fast(array: &Array<Storage>, element: Option<&ElementType>) -> Option<Arc<FastChain>> {
    let element = element.filter(|e| !e.is_variable())?;
    FastChain::detect(&array.codecs(), element.size, array.shape().len()).map(Arc::new)
}

fn build(store: &Store, path: &NodePath, doc: &Value) -> Result<Array<Storage>> {
    let invalid = |e: serde_json::Error| Error::Metadata {
        message: format!(
            "invalid array metadata for {} in {}: {e}",
            path,
            store.url()
        ),
        source: Some(e.into()),
    };
    let metadata = match doc.get("zarr_format").and_then(Value::as_u64) {
        Some(3) => ArrayMetadata::V3(serde_json::from_value(doc.clone()).map_err(invalid)?),
        Some(2) => ArrayMetadata::V2(serde_json::from_value(doc.clone()).map_err(invalid)?),
        _ => {
            return Err(Error::metadata(format!(
                "array metadata for {path} lacks \"zarr_format\": 2 or 3"
            )))
        }
    };
    Ok(Array::new_with_metadata(
        store.storage().clone(),
        &format!("/{}", path.as_str()),
        metadata,
    )?)
}

/// The array of `doc` with its data type, fill value and codecs replaced by plain bytes, so
/// that its shape and chunk grid (and chunk keys) are known though its data is not; with a
/// chunk grid zarrs does not know either, one chunk. `None` when even that cannot be built.
fn stand_in(store: &Store, path: &NodePath, doc: &Value) -> Option<Array<Storage>> {
    let mut plain = doc.clone();
    let map = plain.as_object_mut()?;
    if map.get("zarr_format").and_then(Value::as_u64) == Some(2) {
        map.insert("dtype".into(), "|u1".into());
        map.insert("filters".into(), Value::Null);
        map.insert("compressor".into(), Value::Null);
    } else {
        map.insert("data_type".into(), "uint8".into());
        map.insert("codecs".into(), serde_json::json!([{"name": "bytes"}]));
        map.remove("storage_transformers");
    }
    map.insert("fill_value".into(), 0.into());
    build(store, path, &plain).ok().or_else(|| {
        let shape = plain.get("shape")?.clone();
        let map = plain.as_object_mut()?;
        if map.contains_key("chunk_grid") {
            map.insert(
                "chunk_grid".into(),
                serde_json::json!({"name": "regular", "configuration": {"chunk_shape": shape}}),
            );
        } else {
            map.insert("chunks".into(), shape);
        }
        build(store, path, &plain).ok()
    })
}

/// A group: store, path and metadata document, and the consolidated metadata of the nodes
/// below it when it was opened with it.
#[derive(Debug, Clone)]
pub struct GroupHandle {
    pub(crate) store: Store,
    pub(crate) path: NodePath,
    doc: Arc<Value>,
    consolidated: Option<Arc<Consolidated>>,
}

impl GroupHandle {
    /// Build a group handle from its metadata document.
    ///
    /// # Errors
    /// [`Error::Metadata`] when the document is not group metadata.
    pub fn from_metadata(store: Store, path: NodePath, doc: Value) -> Result<Self> {
        match (
            doc.get("zarr_format").and_then(Value::as_u64),
            doc.get("node_type"),
        ) {
            (Some(3), Some(Value::String(t))) if t == "group" => {}
            (Some(2), _) => {}
            _ => {
                return Err(Error::metadata(format!(
                    "invalid group metadata for {path} in {}",
                    store.url()
                )))
            }
        }
        // A v3 document carries its consolidated metadata (a v2 group's is in `.zmetadata`).
        // Malformed, it is left out here: opening with `use_consolidated` not false reads it
        // strictly and reports it; with false, it must not stop the group from opening.
        let consolidated = Consolidated::from_v3(&doc).ok().flatten().map(Arc::new);
        Ok(Self {
            store,
            path,
            doc: Arc::new(doc),
            consolidated,
        })
    }

    /// The same handle with other consolidated metadata (`None`: none).
    #[must_use]
    pub fn with_consolidated(self, consolidated: Option<Arc<Consolidated>>) -> Self {
        Self {
            consolidated,
            ..self
        }
    }

    /// The consolidated metadata of the nodes below the group, when it has some.
    #[must_use]
    pub fn consolidated(&self) -> Option<&Consolidated> {
        self.consolidated.as_deref()
    }

    /// The store.
    #[must_use]
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The node path.
    #[must_use]
    pub fn path(&self) -> &NodePath {
        &self.path
    }

    /// The metadata document (v2: `.zgroup` fields plus `attributes`).
    #[must_use]
    pub fn metadata(&self) -> &Value {
        &self.doc
    }

    /// 2 or 3.
    #[must_use]
    pub fn zarr_format(&self) -> u8 {
        if self.doc.get("zarr_format").and_then(Value::as_u64) == Some(2) {
            2
        } else {
            3
        }
    }
}

/// The metadata document of a new group.
#[must_use]
#[allow(clippy::needless_pass_by_value)]
pub fn group_document(zarr_format: u8, attributes: Map<String, Value>) -> Value {
    if zarr_format == 2 {
        serde_json::json!({"zarr_format": 2, "attributes": attributes})
    } else {
        serde_json::json!({"zarr_format": 3, "node_type": "group", "attributes": attributes})
    }
}
