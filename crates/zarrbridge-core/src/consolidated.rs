//! Consolidated metadata: the metadata of every node below a group, in one document, in the
//! formats zarr-python reads and writes. Zarr v2: `.zmetadata` in the group
//! (`{"metadata": {".zgroup": .., "a/.zarray": .., "a/.zattrs": ..}, "zarr_consolidated_format":
//! 1}`). Zarr v3: the group's `zarr.json` holds `"consolidated_metadata": {"kind": "inline",
//! "must_understand": false, "metadata": {"a": <a's zarr.json>, "g/b": ..}}`, every descendant
//! by its path relative to the group; a descendant group's own entry holds an empty
//! `consolidated_metadata`.
//!
//! It is a snapshot: nodes created, changed or deleted afterwards are not in it (or are stale)
//! until it is written again, and readers that use it see the old view.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::error::{Error, Result};

/// The kind of a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// An array.
    Array,
    /// A group.
    Group,
}

/// A metadata document as stored, with its kind (v2 attributes merged in as `attributes`).
#[derive(Debug, Clone, PartialEq)]
pub struct NodeDoc {
    /// Array or group.
    pub kind: NodeKind,
    /// The document.
    pub doc: Value,
}

/// The key of a v2 group's consolidated metadata.
pub(crate) const ZMETADATA: &str = ".zmetadata";

/// The metadata documents of the nodes below a group, by path relative to it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Consolidated {
    nodes: BTreeMap<String, NodeDoc>,
}

fn malformed(what: &str) -> Error {
    Error::metadata(format!("malformed consolidated metadata: {what}"))
}

fn kind_of(doc: &Value, path: &str) -> Result<NodeKind> {
    match doc.get("node_type").and_then(Value::as_str) {
        Some("array") => Ok(NodeKind::Array),
        Some("group") => Ok(NodeKind::Group),
        _ => Err(malformed(&format!("{path:?} has no valid \"node_type\""))),
    }
}

impl Consolidated {
    /// The consolidated metadata held in a v3 group document, if it holds any.
    ///
    /// # Errors
    /// [`Error::Metadata`] when it is there but malformed.
    pub fn from_v3(group: &Value) -> Result<Option<Self>> {
        let Some(section) = group.get("consolidated_metadata").filter(|v| !v.is_null()) else {
            return Ok(None);
        };
        if section.get("kind").and_then(Value::as_str) != Some("inline") {
            return Err(malformed("\"kind\" must be \"inline\""));
        }
        let entries = section
            .get("metadata")
            .and_then(Value::as_object)
            .ok_or_else(|| malformed("\"metadata\" must be an object"))?;
        let mut nodes = BTreeMap::new();
        for (path, doc) in entries {
            let kind = kind_of(doc, path)?;
            nodes.insert(
                path.trim_matches('/').to_string(),
                NodeDoc {
                    kind,
                    doc: doc.clone(),
                },
            );
        }
        Ok(Some(Self { nodes }))
    }

    /// The nodes of a v2 `.zmetadata` document, and the group's own document from it.
    ///
    /// # Errors
    /// [`Error::Metadata`] when the document is malformed.
    pub fn from_v2(zmetadata: &Value) -> Result<Self> {
        let entries = zmetadata
            .get("metadata")
            .and_then(Value::as_object)
            .ok_or_else(|| malformed("\"metadata\" must be an object"))?;
        let attributes = |path: &str| -> Value {
            let key = if path.is_empty() {
                ".zattrs".to_string()
            } else {
                format!("{path}/.zattrs")
            };
            entries
                .get(&key)
                .filter(|v| v.is_object())
                .cloned()
                .unwrap_or_else(|| json!({}))
        };
        let mut nodes = BTreeMap::new();
        for (key, doc) in entries {
            let (path, name) = key.rsplit_once('/').unwrap_or(("", key));
            let kind = match name {
                ".zarray" => NodeKind::Array,
                ".zgroup" => NodeKind::Group,
                _ => continue,
            };
            let mut doc = doc
                .as_object()
                .cloned()
                .ok_or_else(|| malformed(&format!("{key:?} is not an object")))?;
            doc.insert("attributes".into(), attributes(path));
            nodes.insert(
                path.to_string(),
                NodeDoc {
                    kind,
                    doc: Value::Object(doc),
                },
            );
        }
        Ok(Self { nodes })
    }

    /// The document of the node at `path` (relative to the group; `""`: the group itself,
    /// which only v2's `.zmetadata` holds).
    #[must_use]
    pub fn get(&self, path: &str) -> Option<&NodeDoc> {
        self.nodes.get(path)
    }

    /// Every node below the group (not the group itself), by path relative to it.
    #[must_use]
    pub fn descendants(&self) -> Vec<(String, NodeDoc)> {
        self.nodes
            .iter()
            .filter(|(p, _)| !p.is_empty())
            .map(|(p, d)| (p.clone(), d.clone()))
            .collect()
    }

    /// The nodes directly below `path` (relative; `""`: the group's children), by name.
    #[must_use]
    pub fn children(&self, path: &str) -> Vec<(String, NodeDoc)> {
        let prefix = if path.is_empty() {
            String::new()
        } else {
            format!("{path}/")
        };
        self.nodes
            .range(prefix.clone()..)
            .take_while(|(p, _)| p.starts_with(&prefix))
            .filter(|(p, _)| !p[prefix.len()..].is_empty() && !p[prefix.len()..].contains('/'))
            .map(|(p, d)| (p[prefix.len()..].to_string(), d.clone()))
            .collect()
    }

    /// The nodes below `path`, relative to it: the consolidated metadata of that group.
    #[must_use]
    pub fn below(&self, path: &str) -> Self {
        let prefix = format!("{path}/");
        Self {
            nodes: self
                .nodes
                .range(prefix.clone()..)
                .take_while(|(p, _)| p.starts_with(&prefix))
                .map(|(p, d)| (p[prefix.len()..].to_string(), d.clone()))
                .collect(),
        }
    }

    /// Build from descendants' documents (paths relative to the group, any order).
    #[must_use]
    pub fn from_nodes(nodes: Vec<(String, NodeDoc)>) -> Self {
        Self {
            nodes: nodes.into_iter().collect(),
        }
    }

    /// The v3 `consolidated_metadata` section, as zarr-python writes it.
    #[must_use]
    pub fn to_v3(&self) -> Value {
        let metadata: Map<String, Value> = self
            .nodes
            .iter()
            .filter(|(path, _)| !path.is_empty())
            .map(|(path, node)| {
                let mut doc = node.doc.clone();
                if node.kind == NodeKind::Group {
                    doc["consolidated_metadata"] = empty_v3();
                }
                (path.clone(), doc)
            })
            .collect();
        json!({"kind": "inline", "must_understand": false, "metadata": metadata})
    }

    /// The v2 `.zmetadata` document for a group whose own document is `group` (with
    /// `attributes`), as zarr-python writes it.
    #[must_use]
    pub fn to_v2(&self, group: &Value) -> Value {
        let mut metadata = Map::new();
        let mut put = |path: &str, doc: &Value, name: &str| {
            let mut doc = doc.as_object().cloned().unwrap_or_default();
            let attributes = doc.remove("attributes").unwrap_or_else(|| json!({}));
            let key = |file: &str| {
                if path.is_empty() {
                    file.to_string()
                } else {
                    format!("{path}/{file}")
                }
            };
            metadata.insert(key(name), Value::Object(doc));
            metadata.insert(key(".zattrs"), attributes);
        };
        put("", group, ".zgroup");
        for (path, node) in self.nodes.iter().filter(|(p, _)| !p.is_empty()) {
            let name = match node.kind {
                NodeKind::Array => ".zarray",
                NodeKind::Group => ".zgroup",
            };
            put(path, &node.doc, name);
        }
        json!({"metadata": metadata, "zarr_consolidated_format": 1})
    }
}

/// The `consolidated_metadata` of a v3 group below a consolidated one: its nodes are listed in
/// the top group's (as zarr-python writes them).
fn empty_v3() -> Value {
    json!({"kind": "inline", "must_understand": false, "metadata": {}})
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{Consolidated, NodeKind};

    #[test]
    fn v2_and_v3_documents_round_trip_and_nest() {
        let v3 = json!({"zarr_format": 3, "node_type": "group", "consolidated_metadata": {
            "kind": "inline", "must_understand": false, "metadata": {
                "a": {"zarr_format": 3, "node_type": "array", "shape": [1]},
                "g": {"zarr_format": 3, "node_type": "group", "attributes": {}},
                "g/b": {"zarr_format": 3, "node_type": "array", "shape": [2]}}}});
        let c = Consolidated::from_v3(&v3).unwrap().unwrap();
        let names = |c: &Consolidated, p: &str| -> Vec<String> {
            c.children(p).into_iter().map(|(n, _)| n).collect()
        };
        assert_eq!(names(&c, ""), ["a", "g"]);
        assert_eq!(names(&c, "g"), ["b"]);
        assert_eq!(names(&c.below("g"), ""), ["b"]);
        assert_eq!(c.get("g").unwrap().kind, NodeKind::Group);
        let section = c.to_v3();
        assert_eq!(
            section["metadata"]["g"]["consolidated_metadata"]["metadata"],
            json!({})
        );
        assert_eq!(
            section["metadata"]["a"],
            v3["consolidated_metadata"]["metadata"]["a"]
        );
        assert!(
            Consolidated::from_v3(&json!({"consolidated_metadata": null}))
                .unwrap()
                .is_none()
        );
        assert!(Consolidated::from_v3(&json!({"consolidated_metadata": {"kind": "x"}})).is_err());

        let v2 = json!({"zarr_consolidated_format": 1, "metadata": {
            ".zgroup": {"zarr_format": 2}, ".zattrs": {"t": 1},
            "a/.zarray": {"zarr_format": 2, "shape": [1]}, "a/.zattrs": {"u": "m"},
            "g/.zgroup": {"zarr_format": 2}}});
        let c = Consolidated::from_v2(&v2).unwrap();
        assert_eq!(names(&c, ""), ["a", "g"]);
        assert_eq!(c.get("").unwrap().doc["attributes"], json!({"t": 1}));
        assert_eq!(c.get("a").unwrap().doc["attributes"], json!({"u": "m"}));
        assert_eq!(c.get("g").unwrap().doc["attributes"], json!({}));
        let back = c.to_v2(&c.get("").unwrap().doc);
        assert_eq!(
            back["metadata"]["a/.zarray"],
            json!({"zarr_format": 2, "shape": [1]})
        );
        assert_eq!(back["metadata"]["g/.zattrs"], json!({}));
        assert_eq!(back["metadata"][".zattrs"], json!({"t": 1}));
    }
}
