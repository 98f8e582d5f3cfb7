//! Node operations: create, open, list, delete, update attributes.

use futures::{StreamExt, TryStreamExt};
use serde_json::{Map, Value};

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

/// The kind of a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// An array.
    Array,
    /// A group.
    Group,
}

/// A metadata document as stored, with its kind (v2 attributes merged in as `attributes`).
#[derive(Debug, Clone)]
pub struct NodeDoc {
    /// Array or group.
    pub kind: NodeKind,
    /// The document.
    pub doc: Value,
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
    let key = path.key(ZARR_JSON);
    if let Some(bytes) = store.get(&key).await? {
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
        return Ok(Some(NodeDoc { kind, doc }));
    }
    let keys = [path.key(ZARRAY), path.key(ZGROUP), path.key(ZATTRS)];
    let (zarray, zgroup, zattrs) = futures::try_join!(
        store.get(&keys[0]),
        store.get(&keys[1]),
        store.get(&keys[2])
    )?;
    let (kind, key, bytes) = match (zarray, zgroup) {
        (Some(b), _) => (NodeKind::Array, path.key(ZARRAY), b),
        (None, Some(b)) => (NodeKind::Group, path.key(ZGROUP), b),
        (None, None) => return Ok(None),
    };
    let mut doc = parse_json(store, &key, &bytes)?;
    let attributes = match zattrs {
        Some(b) => parse_json(store, &path.key(ZATTRS), &b)?,
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
    Ok(Some(NodeDoc { kind, doc }))
}

async fn write_node_doc(store: &Store, path: &NodePath, kind: NodeKind, doc: &Value) -> Result<()> {
    let pretty = |v: &Value| -> Result<bytes::Bytes> {
        serde_json::to_vec_pretty(v)
            .map(bytes::Bytes::from)
            .map_err(|e| Error::metadata(e.to_string()))
    };
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
    Ok(match doc.kind {
        NodeKind::Array if strict => {
            Node::Array(ArrayHandle::from_metadata(store.clone(), path, doc.doc)?)
        }
        NodeKind::Array => Node::Array(ArrayHandle::listed(store.clone(), path, doc.doc)?),
        NodeKind::Group => Node::Group(GroupHandle::from_metadata(store.clone(), path, doc.doc)?),
    })
}

fn not_found(store: &Store, path: &NodePath, what: &str) -> Error {
    Error::NodeNotFound(format!("no {what} at {path} in {}", store.url()))
}

/// Make room for a new node at `path`: refuse to nest it in an array, refuse to replace an
/// existing node unless `overwrite`, and create missing parent groups.
async fn prepare_slot(
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

/// Open the node at `path`.
///
/// # Errors
/// [`Error::NodeNotFound`] when nothing is there.
pub async fn open_node(store: &Store, path: &str) -> Result<Node> {
    let path = NodePath::parse(path)?;
    let doc = read_node_doc(store, &path)
        .await?
        .ok_or_else(|| not_found(store, &path, "array or group"))?;
    node_from_doc(store, path, doc, true)
}

/// Open the array at `path`.
///
/// # Errors
/// [`Error::NodeNotFound`] when there is no array there (nothing, or a group).
pub async fn open_array(store: &Store, path: &str) -> Result<ArrayHandle> {
    match open_node(store, path).await? {
        Node::Array(a) => Ok(a),
        Node::Group(g) => Err(Error::NodeNotFound(format!(
            "{} in {} is a group, not an array",
            g.path,
            store.url()
        ))),
    }
}

/// Open the group at `path`.
///
/// # Errors
/// [`Error::NodeNotFound`] when there is no group there (nothing, or an array).
pub async fn open_group(store: &Store, path: &str) -> Result<GroupHandle> {
    match open_node(store, path).await? {
        Node::Group(g) => Ok(g),
        Node::Array(a) => Err(Error::NodeNotFound(format!(
            "{} in {} is an array, not a group",
            a.path,
            store.url()
        ))),
    }
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

/// The arrays and groups directly below `path`, sorted by name. An array whose data type or
/// codecs are not supported is listed too, with its metadata; reading it raises
/// [`Error::Unsupported`].
///
/// # Errors
/// [`Error::Store`] for I/O failures, [`Error::Metadata`] for a child with bad metadata.
pub async fn list_children(store: &Store, path: &str) -> Result<Vec<Node>> {
    let path = NodePath::parse(path)?;
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
    if names.is_empty() && !path.is_root() && read_node_doc(store, &path).await?.is_none() {
        return Err(not_found(store, &path, "array or group"));
    }
    let children: Vec<Option<Node>> = futures::stream::iter(names)
        .map(|name| {
            let path = path.clone();
            async move {
                let Ok(child) = path.join(&name) else {
                    return Ok(None);
                };
                match read_node_doc(store, &child).await? {
                    Some(doc) => node_from_doc(store, child, doc, false).map(Some),
                    None => Ok(None),
                }
            }
        })
        .buffered(LIST_CONCURRENCY)
        .try_collect()
        .await?;
    Ok(children.into_iter().flatten().collect())
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
