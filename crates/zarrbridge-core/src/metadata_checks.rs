//! Zarr v3 rules on metadata documents that zarrs does not apply on the paths this library
//! uses (`Array::new_with_metadata` skips its additional-field check, which only its own
//! `open` runs; the sharding codec checks its inner chunk shape only when it encodes).

use serde_json::Value;

use crate::consolidated::NodeKind;
use crate::error::{Error, Result};

/// The fields of a v3 array document this library understands (zarrs' `ArrayMetadataV3`).
const ARRAY_FIELDS: &[&str] = &[
    "zarr_format",
    "node_type",
    "shape",
    "data_type",
    "chunk_grid",
    "chunk_key_encoding",
    "fill_value",
    "codecs",
    "attributes",
    "storage_transformers",
    "dimension_names",
];

/// The fields of a v3 group document this library understands.
const GROUP_FIELDS: &[&str] = &[
    "zarr_format",
    "node_type",
    "attributes",
    "consolidated_metadata",
];

/// Why a v3 document cannot be used: a field this library does not know whose value is not an
/// object with `"must_understand": false` (the v3 spec: "implementations must fail to open" such
/// a node). `None` for v2 documents and for documents without such a field.
#[must_use]
pub fn not_understood(doc: &Value, kind: NodeKind) -> Option<String> {
    let map = doc.as_object()?;
    if map.get("zarr_format").and_then(Value::as_u64) != Some(3) {
        return None;
    }
    let known = match kind {
        NodeKind::Array => ARRAY_FIELDS,
        NodeKind::Group => GROUP_FIELDS,
    };
    let name = map.iter().find_map(|(name, value)| {
        let optional = value
            .get("must_understand")
            .is_some_and(|m| m == &Value::Bool(false));
        (!known.contains(&name.as_str()) && !optional).then_some(name)
    })?;
    Some(format!(
        "the metadata field {name:?} is not understood by zarrbridge, and is not marked \
         \"must_understand\": false (the Zarr v3 spec requires refusing such a node)"
    ))
}

/// Check that every sharding codec's inner chunk shape divides the chunk it splits (the outer
/// chunk, or the enclosing shard's inner chunk), as the sharding spec requires: zarrs accepts
/// the document, and every write into such an array then fails.
///
/// # Errors
/// [`Error::Metadata`] naming both shapes.
pub fn check_sharding(doc: &Value) -> Result<()> {
    if doc.get("zarr_format").and_then(Value::as_u64) != Some(3) {
        return Ok(());
    }
    let grid = doc.get("chunk_grid");
    if grid.and_then(|g| g.get("name")).and_then(Value::as_str) != Some("regular") {
        return Ok(());
    }
    let Some(chunk) = grid
        .and_then(|g| g.pointer("/configuration/chunk_shape"))
        .and_then(shape_of)
    else {
        return Ok(()); // zarrs reports a malformed chunk grid
    };
    check_codecs(doc.get("codecs"), &chunk)
}

fn shape_of(value: &Value) -> Option<Vec<u64>> {
    value.as_array()?.iter().map(Value::as_u64).collect()
}

fn check_codecs(codecs: Option<&Value>, chunk: &[u64]) -> Result<()> {
    for codec in codecs.and_then(Value::as_array).into_iter().flatten() {
        let name = codec
            .get("name")
            .and_then(Value::as_str)
            .or_else(|| codec.as_str());
        match name {
            Some("sharding_indexed") => {
                let config = codec.get("configuration");
                let inner = config
                    .and_then(|c| c.get("chunk_shape"))
                    .and_then(shape_of)
                    .ok_or_else(|| {
                        Error::metadata(
                            "the sharding codec's \"chunk_shape\" must be a list of \
                             non-negative integers",
                        )
                    })?;
                let divides = inner.len() == chunk.len()
                    && inner.iter().zip(chunk).all(|(&i, &c)| i > 0 && c % i == 0);
                if !divides {
                    return Err(Error::metadata(format!(
                        "the sharding codec's inner chunk shape {inner:?} does not divide the \
                         shard shape {chunk:?} (each inner chunk length must be positive and \
                         divide the shard's length in its dimension)"
                    )));
                }
                return check_codecs(config.and_then(|c| c.get("codecs")), &inner);
            }
            // A codec that reorders dimensions before the sharding codec: its shape is not the
            // chunk's any more, and zarrs checks what follows when it encodes.
            Some("transpose") => return Ok(()),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{check_sharding, not_understood};
    use crate::consolidated::NodeKind;
    use serde_json::json;

    fn sharded(shard: &[u64], inner: &[u64]) -> serde_json::Value {
        json!({"zarr_format": 3, "node_type": "array", "shape": [16],
               "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": shard}},
               "codecs": [{"name": "sharding_indexed", "configuration": {
                   "chunk_shape": inner, "codecs": [{"name": "bytes"}]}}]})
    }

    #[test]
    fn inner_chunks_must_divide_the_shard() {
        assert!(check_sharding(&sharded(&[16], &[4])).is_ok());
        for inner in [&[5u64][..], &[0], &[32], &[4, 4]] {
            assert!(check_sharding(&sharded(&[16], inner)).is_err(), "{inner:?}");
        }
    }

    #[test]
    fn unknown_fields_need_must_understand_false() {
        let doc = |extra: serde_json::Value| {
            let mut d = json!({"zarr_format": 3, "node_type": "group", "attributes": {}});
            d.as_object_mut().unwrap().insert("foo".into(), extra);
            d
        };
        assert!(not_understood(&doc(json!({"must_understand": false})), NodeKind::Group).is_none());
        for extra in [
            json!(1),
            json!({}),
            json!({"must_understand": true}),
            json!([]),
        ] {
            assert!(not_understood(&doc(extra), NodeKind::Group).is_some());
        }
        let v2 = json!({"zarr_format": 2, "foo": 1});
        assert!(not_understood(&v2, NodeKind::Array).is_none());
    }
}
