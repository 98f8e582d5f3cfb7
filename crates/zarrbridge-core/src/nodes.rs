//! Node operations: create, open, list, delete, update attributes.

use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use serde_json::{Map, Value};

pub use crate::consolidated::{NodeDoc, NodeKind};

use crate::consolidated::{Consolidated, ZMETADATA};
use crate::error::{Error, Result};
use crate::handle::{group_document, ArrayHandle, GroupHandle};
use crate::path::NodePath;
use crate::spec::ArraySpec;
use crate::store::Store;

const ZARR_JSON: &str = "zarr.json";
const ZARRAY: &str = ".zarray";
const ZGROUP: &str = ".zgroup";
const ZATTRS: &str = ".zattrs";

/// How many metadata documents are read at once when listing.
const LIST_CONCURRENCY: usize = 32;

/// An array or a group.
#[derive(Debug, Clone)]
pub enum Node {
    /// An array.
    Array(ArrayHandle),
    /// A group.
    Group(GroupHandle),
}

fn parse_json(store: &Store, key: &str, bytes: &[u8]) -> Result<Value> {
    serde_json::from_slice(bytes).map_err(|e| Error::Metadata {
        message: format!("{key} in {} is not valid JSON: {e}", store.url()),
        source: Some(e.into()),
    })
}

/// Read the metadata document of the node at `path`; `None` when there is none.
///
/// # Errors
/// [`Error::Metadata`] for malformed documents, [`Error::Store`] for I/O failures.
pub async fn read_node_doc(store: &Store, path: &NodePath) -> Result<Option<NodeDoc>> {
    Ok(read_node(store, path, Some(false), None)
        .await?
        .map(|(doc, _)| doc))
}

/// A node's document and, for a group, its consolidated metadata.
type Found = Option<(NodeDoc, Option<Consolidated>)>;

/// Read the metadata document of the node at `path` and, for a group, its consolidated
/// metadata as `use_consolidated` says (zarr-python's meaning: `None`, when there is some;
/// `Some(true)`, required; `Some(false)`, not read). `zarr_format` (2 or 3) skips looking for
/// the other format's documents. v3 keeps consolidated metadata in the group's `zarr.json`,
/// so it costs nothing more; v2 reads `.zmetadata` beside the other documents, at once, or,
/// when the format is known to be 2, first and alone: it holds the group's own documents too,
/// so a consolidated v2 group opens with one request.
async fn read_node(
    store: &Store,
    path: &NodePath,
    use_consolidated: Option<bool>,
    zarr_format: Option<u8>,
) -> Result<Found> {
    let wanted = use_consolidated != Some(false);
    let found = match zarr_format {
        Some(3) => read_v3(store, path, wanted).await?,
        Some(2) => read_v2(store, path, wanted, true).await?,
        _ => match read_v3(store, path, wanted).await? {
            Some(found) => Some(found),
            None => read_v2(store, path, wanted, false).await?,
        },
    };
    if let Some((doc, None)) = &found {
        if use_consolidated == Some(true) && doc.kind == NodeKind::Group {
            return Err(Error::metadata(format!(
                "use_consolidated=True, but the group at {path} in {} has no consolidated \
                 metadata (write it with consolidate_metadata)",
                store.url()
            )));
        }
    }
    Ok(found)
}

/// [`read_node`] for Zarr v3: `zarr.json`.
async fn read_v3(store: &Store, path: &NodePath, consolidated: bool) -> Result<Found> {
    let key = path.key(ZARR_JSON);
    let Some(bytes) = store.get(&key).await? else {
        return Ok(None);
    };
    let doc = parse_json(store, &key, &bytes)?;
    let kind = match doc.get("node_type").and_then(Value::as_str) {
        Some("array") => NodeKind::Array,
        Some("group") => NodeKind::Group,
        _ => {
            return Err(Error::metadata(format!(
                "{key} in {} has no valid \"node_type\"",
                store.url()
            )))
        }
    };
    let consolidated = match kind {
        NodeKind::Group if consolidated => Consolidated::from_v3(&doc)
            .map_err(|e| e.context(&format!("{key} in {}: ", store.url())))?,
        _ => None,
    };
    Ok(Some((NodeDoc { kind, doc }, consolidated)))
}

/// [`read_node`] for Zarr v2: `.zarray` or `.zgroup`, `.zattrs`, and `.zmetadata` when
/// `consolidated` (`first`: before the others, which it makes unneeded when present).
async fn read_v2(store: &Store, path: &NodePath, consolidated: bool, first: bool) -> Result<Found> {
    let keys = [
        path.key(ZARRAY),
        path.key(ZGROUP),
        path.key(ZATTRS),
        path.key(ZMETADATA),
    ];
    let parse_zmetadata = |bytes: &[u8]| {
        Consolidated::from_v2(&parse_json(store, &keys[3], bytes)?)
            .map_err(|e| e.context(&format!("{} in {}: ", keys[3], store.url())))
    };
    if consolidated && first {
        if let Some(bytes) = store.get(&keys[3]).await? {
            let nodes = parse_zmetadata(&bytes)?;
            if let Some(group) = nodes.get("").filter(|d| d.kind == NodeKind::Group) {
                return Ok(Some((group.clone(), Some(nodes))));
            }
        }
    }
    let zmetadata = async {
        if consolidated && !first {
            store.get(&keys[3]).await
        } else {
            Ok(None)
        }
    };
    let (zarray, zgroup, zattrs, zmetadata) = futures::try_join!(
        store.get(&keys[0]),
        store.get(&keys[1]),
        store.get(&keys[2]),
        zmetadata
    )?;
    let (kind, key, bytes) = match (zarray, zgroup) {
        (Some(b), _) => (NodeKind::Array, &keys[0], b),
        (None, Some(b)) => (NodeKind::Group, &keys[1], b),
        (None, None) => return Ok(None),
    };
    let mut doc = parse_json(store, key, &bytes)?;
    let attributes = match zattrs {
        Some(b) => parse_json(store, &keys[2], &b)?,
        None => Value::Object(Map::new()),
    };
    match &mut doc {
        Value::Object(map) if attributes.is_object() => {
            map.insert("attributes".into(), attributes);
        }
        _ => {
            return Err(Error::metadata(format!(
                "{key} or its .zattrs in {} is not a JSON object",
                store.url()
            )))
        }
    }
    let consolidated = match (kind, zmetadata) {
        (NodeKind::Group, Some(b)) => Some(parse_zmetadata(&b)?),
        _ => None,
    };
    Ok(Some((NodeDoc { kind, doc }, consolidated)))
}

fn pretty(v: &Value) -> Result<bytes::Bytes> {
    serde_json::to_vec_pretty(v)
        .map(bytes::Bytes::from)
        .map_err(|e| Error::metadata(e.to_string()))
}

/// Replace the metadata document of the array at `path` with one write: `zarr.json`, or
/// `.zarray` for v2 (whose attributes, in `.zattrs`, are left as they are). A write is atomic
/// on every store (a file store writes a temporary file and renames it; an object store takes
/// one PUT), so a concurrent reader sees the old document or the new one.
///
/// # Errors
/// Store errors.
pub(crate) async fn write_array_document(
    store: &Store,
    path: &NodePath,
    doc: &Value,
) -> Result<()> {
    if doc.get("zarr_format").and_then(Value::as_u64) == Some(3) {
        return store.set(&path.key(ZARR_JSON), pretty(doc)?).await;
    }
    let mut doc = doc.clone();
    if let Some(map) = doc.as_object_mut() {
        map.remove("attributes");
    }
    store.set(&path.key(ZARRAY), pretty(&doc)?).await
}

/// Write the metadata document(s) of a node: `zarr.json`, or `.zarray` / `.zgroup` and
/// `.zattrs` (erased when there are no attributes) for v2.
///
/// # Errors
/// Store and metadata errors.
pub(crate) async fn write_node_doc(
    store: &Store,
    path: &NodePath,
    kind: NodeKind,
    doc: &Value,
) -> Result<()> {
    if doc.get("zarr_format").and_then(Value::as_u64) == Some(3) {
        return store.set(&path.key(ZARR_JSON), pretty(doc)?).await;
    }
    let mut doc = doc.clone();
    let attributes = doc
        .as_object_mut()
        .and_then(|m| m.remove("attributes"))
        .unwrap_or_else(|| Value::Object(Map::new()));
    let name = if kind == NodeKind::Array {
        ZARRAY
    } else {
        ZGROUP
    };
    store.set(&path.key(name), pretty(&doc)?).await?;
    if attributes.as_object().is_some_and(|m| !m.is_empty()) {
        store.set(&path.key(ZATTRS), pretty(&attributes)?).await?;
    } else {
        store.erase(&path.key(ZATTRS)).await?;
    }
    Ok(())
}

/// The node of a document; an array whose data cannot be moved (a data type or codec that is
/// not supported) is refused when `strict`, else kept (see [`ArrayHandle::listed`]).
fn node_from_doc(store: &Store, path: NodePath, doc: NodeDoc, strict: bool) -> Result<Node> {
    node_with(store, path, doc, None, strict)
}

/// [`node_from_doc`]; a group gets `consolidated` as its consolidated metadata.
fn node_with(
    store: &Store,
    path: NodePath,
    doc: NodeDoc,
    consolidated: Option<Consolidated>,
    strict: bool,
) -> Result<Node> {
    Ok(match doc.kind {
        NodeKind::Array if strict => {
            Node::Array(ArrayHandle::from_metadata(store.clone(), path, doc.doc)?)
        }
        NodeKind::Array => Node::Array(ArrayHandle::listed(store.clone(), path, doc.doc)?),
        NodeKind::Group => Node::Group(
            GroupHandle::from_metadata(store.clone(), path, doc.doc)?
                .with_consolidated(consolidated.map(Arc::new)),
        ),
    })
}

fn not_found(store: &Store, path: &NodePath, what: &str) -> Error {
    Error::NodeNotFound(format!("no {what} at {path} in {}", store.url()))
}

/// Make room for a new node at `path`: refuse to nest it in an array, refuse to replace an
/// existing node unless `overwrite`, and create missing parent groups.
pub(crate) async fn prepare_slot(
    store: &Store,
    path: &NodePath,
    zarr_format: u8,
    overwrite: bool,
) -> Result<()> {
    let ancestors = path.ancestors();
    let reads: Vec<_> = ancestors
        .iter()
        .chain([path])
        .map(|p| read_node_doc(store, p))
        .collect();
    let docs = futures::future::try_join_all(reads).await?;
    let (existing, parents) = docs.split_last().expect("path itself is in the list");
    for (ancestor, doc) in ancestors.iter().zip(parents) {
        if doc.as_ref().is_some_and(|d| d.kind == NodeKind::Array) {
            return Err(Error::NodeExists(format!(
                "cannot create {path} in {}: {ancestor} is an array",
                store.url()
            )));
        }
    }
    if existing.is_some() && !overwrite {
        return Err(Error::NodeExists(format!(
            "a node already exists at {path} in {} (pass overwrite=True to replace it)",
            store.url()
        )));
    }
    if overwrite {
        delete_subtree(store, path).await?;
    }
    for (ancestor, doc) in ancestors.iter().zip(parents) {
        if doc.is_none() {
            let group = group_document(zarr_format, Map::new());
            write_node_doc(store, ancestor, NodeKind::Group, &group).await?;
        }
    }
    Ok(())
}

async fn delete_subtree(store: &Store, path: &NodePath) -> Result<()> {
    store.erase_prefix(&path.prefix()).await
}

/// What an array is created from: zarr-python's keywords, or a whole metadata document.
#[derive(Debug, Clone)]
pub enum CreateSpec {
    /// The creation keywords.
    Keywords(Box<ArraySpec>),
    /// A `zarr.json` or `.zarray` document (with `attributes`), used as given.
    Metadata(Value),
}

impl CreateSpec {
    /// `{"metadata": doc}` or the creation keywords, as JSON.
    ///
    /// # Errors
    /// As [`ArraySpec::from_json`].
    pub fn from_json(value: &Value) -> Result<Self> {
        match value.get("metadata") {
            Some(doc) => Ok(Self::Metadata(doc.clone())),
            None => ArraySpec::from_json(value).map(|s| Self::Keywords(Box::new(s))),
        }
    }
}

/// Create an array from a creation spec or a full metadata document.
///
/// Everything is validated before the store is touched.
///
/// # Errors
/// [`Error::NodeExists`], [`Error::Metadata`], [`Error::Unsupported`], [`Error::Store`].
pub async fn create_array(
    store: &Store,
    path: &str,
    spec: CreateSpec,
    overwrite: bool,
) -> Result<ArrayHandle> {
    let path = NodePath::parse(path)?;
    let doc = match spec {
        CreateSpec::Metadata(doc) => doc,
        CreateSpec::Keywords(spec) => spec.to_metadata()?,
    };
    let handle = ArrayHandle::from_metadata(store.clone(), path.clone(), doc)?;
    prepare_slot(store, &path, handle.zarr_format(), overwrite).await?;
    write_node_doc(store, &path, NodeKind::Array, handle.metadata()).await?;
    Ok(handle)
}

/// Create a group.
///
/// # Errors
/// [`Error::NodeExists`], [`Error::Metadata`], [`Error::Store`].
pub async fn create_group(
    store: &Store,
    path: &str,
    attributes: Map<String, Value>,
    zarr_format: u8,
    overwrite: bool,
) -> Result<GroupHandle> {
    let path = NodePath::parse(path)?;
    if zarr_format != 2 && zarr_format != 3 {
        return Err(Error::metadata(format!(
            "zarr_format must be 2 or 3, not {zarr_format}"
        )));
    }
    let doc = group_document(zarr_format, attributes);
    let handle = GroupHandle::from_metadata(store.clone(), path.clone(), doc)?;
    prepare_slot(store, &path, zarr_format, overwrite).await?;
    write_node_doc(store, &path, NodeKind::Group, handle.metadata()).await?;
    Ok(handle)
}

/// Open the node at `path`; a group with consolidated metadata as `use_consolidated` says
/// (see [`read_node`]).
///
/// # Errors
/// [`Error::NodeNotFound`] when nothing is there; [`Error::Metadata`] when consolidated
/// metadata is required and missing.
pub async fn open_node(store: &Store, path: &str, use_consolidated: Option<bool>) -> Result<Node> {
    open_node_as(store, path, use_consolidated, None).await
}

async fn open_node_as(
    store: &Store,
    path: &str,
    use_consolidated: Option<bool>,
    zarr_format: Option<u8>,
) -> Result<Node> {
    let path = NodePath::parse(path)?;
    if zarr_format.is_some_and(|f| f != 2 && f != 3) {
        return Err(Error::metadata(format!(
            "zarr_format must be 2 or 3, not {}",
            zarr_format.unwrap_or_default()
        )));
    }
    let (doc, consolidated) = read_node(store, &path, use_consolidated, zarr_format)
        .await?
        .ok_or_else(|| not_found(store, &path, "array or group"))?;
    node_with(store, path, doc, consolidated, true)
}

/// Open the array at `path`.
///
/// # Errors
/// [`Error::NodeNotFound`] when there is no array there (nothing, or a group).
pub async fn open_array(store: &Store, path: &str) -> Result<ArrayHandle> {
    match open_node(store, path, Some(false)).await? {
        Node::Array(a) => Ok(a),
        Node::Group(g) => Err(Error::NodeNotFound(format!(
            "{} in {} is a group, not an array",
            g.path,
            store.url()
        ))),
    }
}

/// Open the group at `path` (with consolidated metadata as `use_consolidated` says); with
/// `zarr_format`, only a group of that format.
///
/// # Errors
/// [`Error::NodeNotFound`] when there is no group there (nothing, or an array).
pub async fn open_group(
    store: &Store,
    path: &str,
    use_consolidated: Option<bool>,
    zarr_format: Option<u8>,
) -> Result<GroupHandle> {
    match open_node_as(store, path, use_consolidated, zarr_format).await? {
        Node::Group(g) => Ok(g),
        Node::Array(a) => Err(Error::NodeNotFound(format!(
            "{} in {} is an array, not a group",
            a.path,
            store.url()
        ))),
    }
}

/// Open the node at `path` below `group` (`""`: the group itself), from the group's
/// consolidated metadata when it has some and `use_consolidated` allows (a node missing from
/// it is looked for in the store).
///
/// # Errors
/// As [`open_node`].
pub async fn open_in_group(
    group: &GroupHandle,
    path: &str,
    use_consolidated: Option<bool>,
) -> Result<Node> {
    let full = group.path.join(path)?;
    let relative = relative_to(&group.path, &full);
    if use_consolidated != Some(false) {
        if relative.is_empty() {
            return Ok(Node::Group(group.clone()));
        }
        if let Some(consolidated) = group.consolidated() {
            if let Some(doc) = consolidated.get(&relative) {
                let below = consolidated.below(&relative);
                return node_with(&group.store, full, doc.clone(), Some(below), true);
            }
        }
    }
    open_node(&group.store, full.as_str(), use_consolidated).await
}

/// The path of `node` relative to `group`, an ancestor of it or itself (`""`).
fn relative_to(group: &NodePath, node: &NodePath) -> String {
    let (g, n) = (group.as_str(), node.as_str());
    if g.is_empty() {
        return n.to_string();
    }
    n.strip_prefix(g)
        .and_then(|r| r.strip_prefix('/'))
        .unwrap_or_default()
        .to_string()
}

/// The metadata document of the node at `path`, as stored (v2: with `attributes`).
///
/// # Errors
/// [`Error::NodeNotFound`] when nothing is there.
pub async fn read_metadata(store: &Store, path: &str) -> Result<Value> {
    let path = NodePath::parse(path)?;
    read_node_doc(store, &path)
        .await?
        .map(|d| d.doc)
        .ok_or_else(|| not_found(store, &path, "array or group"))
}

/// The arrays and groups directly below `path`, sorted by name: from the consolidated
/// metadata of the group there when it has some and `use_consolidated` allows (one request in
/// all for v3), else from a listing and each child's metadata. An array whose data type or
/// codecs are not supported is listed too, with its metadata; reading it raises
/// [`Error::Unsupported`].
///
/// # Errors
/// [`Error::Store`] for I/O failures, [`Error::Metadata`] for a child with bad metadata or
/// consolidated metadata required and missing.
pub async fn list_children(
    store: &Store,
    path: &str,
    use_consolidated: Option<bool>,
) -> Result<Vec<Node>> {
    let path = NodePath::parse(path)?;
    if use_consolidated != Some(false) {
        match read_node(store, &path, use_consolidated, None).await? {
            Some((_, Some(consolidated))) => {
                return children_from(store, &path, &consolidated);
            }
            None if use_consolidated == Some(true) => {
                return Err(not_found(store, &path, "group"));
            }
            _ => {}
        }
    }
    list_stored_children(store, &path).await
}

/// [`list_children`] of the node at `path` below `group`, from the group's consolidated
/// metadata when it has some and `use_consolidated` allows.
///
/// # Errors
/// As [`list_children`].
pub async fn list_group_children(
    group: &GroupHandle,
    path: &str,
    use_consolidated: Option<bool>,
) -> Result<Vec<Node>> {
    let full = group.path.join(path)?;
    let relative = relative_to(&group.path, &full);
    if use_consolidated != Some(false) {
        if let Some(consolidated) = group.consolidated() {
            if relative.is_empty() {
                return children_from(&group.store, &full, consolidated);
            }
            match consolidated.get(&relative).map(|d| d.kind) {
                Some(NodeKind::Group) => {
                    return children_from(&group.store, &full, &consolidated.below(&relative));
                }
                Some(NodeKind::Array) => return Ok(Vec::new()),
                None => {}
            }
        } else if use_consolidated == Some(true) && relative.is_empty() {
            return Err(Error::metadata(format!(
                "use_consolidated=True, but the group at {} in {} has no consolidated metadata \
                 (write it with consolidate_metadata)",
                group.path,
                group.store.url()
            )));
        }
    }
    list_children(&group.store, full.as_str(), use_consolidated).await
}

/// The children of the group at `path` whose consolidated metadata is `consolidated`.
fn children_from(store: &Store, path: &NodePath, consolidated: &Consolidated) -> Result<Vec<Node>> {
    consolidated
        .children("")
        .into_iter()
        .filter_map(|(name, doc)| {
            let child = path.join(&name).ok()?;
            let below = consolidated.below(&name);
            Some(node_with(store, child, doc, Some(below), false))
        })
        .collect()
}

/// The children of `path` found by listing the store and reading each one's metadata.
async fn list_stored_children(store: &Store, path: &NodePath) -> Result<Vec<Node>> {
    let prefix = path.prefix();
    let mut names: Vec<String> = store
        .list_dir(&prefix)
        .await?
        .into_iter()
        .filter_map(|p| {
            p.strip_prefix(&prefix)
                .map(|n| n.trim_end_matches('/').to_string())
        })
        .collect();
    names.sort();
    if names.is_empty() && !path.is_root() && read_node_doc(store, path).await?.is_none() {
        return Err(not_found(store, path, "array or group"));
    }
    let docs = stored_child_docs(store, path, names).await?;
    docs.into_iter()
        .map(|(child, doc)| node_from_doc(store, child, doc, false))
        .collect()
}

/// The metadata documents of the children `names` of `path` (those that have one).
async fn stored_child_docs(
    store: &Store,
    path: &NodePath,
    names: Vec<String>,
) -> Result<Vec<(NodePath, NodeDoc)>> {
    let children: Vec<Option<(NodePath, NodeDoc)>> = futures::stream::iter(names)
        .map(|name| async move {
            let Ok(child) = path.join(&name) else {
                return Ok::<_, Error>(None);
            };
            Ok(read_node_doc(store, &child).await?.map(|doc| (child, doc)))
        })
        .buffered(LIST_CONCURRENCY)
        .try_collect()
        .await?;
    Ok(children.into_iter().flatten().collect())
}

/// Write the consolidated metadata of the group at `path`: every node below it, read from the
/// store, in the group's `zarr.json` (v3) or in `.zmetadata` (v2), as zarr-python writes them.
/// Nodes of the other Zarr format below the group are left out (zarr-python's readers of each
/// format ignore them).
///
/// # Errors
/// [`Error::NodeNotFound`] when there is no group at `path`; store and metadata errors.
pub async fn consolidate_metadata(store: &Store, path: &str) -> Result<GroupHandle> {
    let path = NodePath::parse(path)?;
    let Some(group) = read_node_doc(store, &path).await? else {
        return Err(not_found(store, &path, "group"));
    };
    if group.kind != NodeKind::Group {
        return Err(Error::NodeNotFound(format!(
            "{path} in {} is an array, not a group",
            store.url()
        )));
    }
    let format = group.doc.get("zarr_format").and_then(Value::as_u64);
    let nodes = descendants(store, &path, format).await?;
    store_consolidated(store, path, group.doc, nodes).await
}

/// The nodes below the group at `path`, by path relative to it, found by listing the store
/// level by level. With `format`, nodes of another Zarr format are left out (and not looked
/// into), as zarr-python's readers of each format ignore them.
///
/// # Errors
/// Store and metadata errors.
pub(crate) async fn descendants(
    store: &Store,
    path: &NodePath,
    format: Option<u64>,
) -> Result<Vec<(String, NodeDoc)>> {
    let mut nodes = Vec::new();
    let mut level = vec![path.clone()];
    while !level.is_empty() {
        let listings = level.iter().map(|group| async move {
            let prefix = group.prefix();
            let names: Vec<String> = store
                .list_dir(&prefix)
                .await?
                .into_iter()
                .filter_map(|p| {
                    p.strip_prefix(&prefix)
                        .map(|n| n.trim_end_matches('/').to_string())
                })
                .collect();
            stored_child_docs(store, group, names).await
        });
        let mut next = Vec::new();
        for (child, doc) in futures::future::try_join_all(listings)
            .await?
            .into_iter()
            .flatten()
        {
            if format.is_some() && doc.doc.get("zarr_format").and_then(Value::as_u64) != format {
                continue;
            }
            if doc.kind == NodeKind::Group {
                next.push(child.clone());
            }
            nodes.push((relative_to(path, &child), doc));
        }
        level = next;
    }
    Ok(nodes)
}

/// Write the consolidated metadata of the group at `path` (document `doc`) holding `nodes`
/// (paths relative to it; those of the other Zarr format are left out), as zarr-python
/// writes it: in the group's `zarr.json` (v3) or in `.zmetadata` (v2).
///
/// # Errors
/// Store and metadata errors.
pub(crate) async fn store_consolidated(
    store: &Store,
    path: NodePath,
    mut doc: Value,
    nodes: Vec<(String, NodeDoc)>,
) -> Result<GroupHandle> {
    let format = doc.get("zarr_format").and_then(Value::as_u64);
    let nodes = nodes
        .into_iter()
        .filter(|(_, d)| d.doc.get("zarr_format").and_then(Value::as_u64) == format)
        .collect();
    let consolidated = Consolidated::from_nodes(nodes);
    if format == Some(3) {
        doc["consolidated_metadata"] = consolidated.to_v3();
        write_node_doc(store, &path, NodeKind::Group, &doc).await?;
    } else {
        let zmetadata = serde_json::to_vec(&consolidated.to_v2(&doc))
            .map_err(|e| Error::metadata(e.to_string()))?;
        store.set(&path.key(ZMETADATA), zmetadata.into()).await?;
    }
    Ok(GroupHandle::from_metadata(store.clone(), path, doc)?
        .with_consolidated(Some(Arc::new(consolidated))))
}

/// Delete the node at `path` and everything below it.
///
/// # Errors
/// [`Error::NodeNotFound`] when nothing is there.
pub async fn delete_node(store: &Store, path: &str) -> Result<()> {
    let path = NodePath::parse(path)?;
    if read_node_doc(store, &path).await?.is_none() {
        return Err(not_found(store, &path, "array or group"));
    }
    delete_subtree(store, &path).await
}

/// Merge `attributes` into the attributes of the node at `path` as stored (like
/// `dict.update`) and return the updated node. The document is read first, so keys another
/// handle added meanwhile are kept.
///
/// # Errors
/// [`Error::NodeNotFound`] when the node has gone.
pub async fn update_attributes(
    store: &Store,
    path: &str,
    attributes: Map<String, Value>,
) -> Result<Node> {
    let path = &NodePath::parse(path)?;
    let mut current = read_node_doc(store, path)
        .await?
        .ok_or_else(|| not_found(store, path, "array or group"))?;
    let map = current
        .doc
        .as_object_mut()
        .ok_or_else(|| Error::metadata(format!("metadata of {path} is not a JSON object")))?;
    let attrs = map
        .entry("attributes")
        .or_insert_with(|| Value::Object(Map::new()));
    match attrs {
        Value::Object(existing) => existing.extend(attributes),
        _ => {
            return Err(Error::metadata(format!(
                "attributes of {path} are not a JSON object"
            )))
        }
    }
    let node = node_from_doc(store, path.clone(), current.clone(), false)?;
    write_node_doc(store, path, current.kind, &current.doc).await?;
    Ok(node)
}
