//! The core API end to end on an in-memory store.

use std::sync::Arc;

use serde_json::json;
use zarrbridge_core::{
    create_array, create_group, delete_chunk, delete_node, list_children, open_array, open_node,
    read_chunk, read_chunks, read_metadata, read_region, update_attributes, write_chunk,
    write_chunks, write_region, CreateSpec, Error, Node, NodePath, SelItem, Store,
};

fn store(name: &str) -> Store {
    Store::from_url(&format!("memory://core-test-{name}")).unwrap()
}

fn u16_bytes(values: impl IntoIterator<Item = u16>) -> Vec<u8> {
    values.into_iter().flat_map(u16::to_ne_bytes).collect()
}

fn as_u16(bytes: &[u8]) -> Vec<u16> {
    bytes
        .chunks_exact(2)
        .map(|b| u16::from_ne_bytes([b[0], b[1]]))
        .collect()
}

const ALL: [SelItem; 1] = [SelItem::Ellipsis];

#[tokio::test(flavor = "multi_thread")]
async fn region_round_trip_with_steps_and_edge_chunks() {
    let s = store("region");
    for spec in [
        json!({"shape": [10, 7], "dtype": "<u2", "chunks": [4, 3], "fill_value": 5}),
        json!({"shape": [10, 7], "dtype": ">u2", "chunks": [2, 3], "shards": [4, 6]}),
        json!({"shape": [10, 7], "dtype": "<u2", "chunks": [4, 3], "zarr_format": 2}),
    ] {
        let a = create_array(&s, "a", CreateSpec::from_json(&spec).unwrap(), true)
            .await
            .unwrap();
        let data: Vec<u16> = (0..70).collect();
        write_region(&a, &ALL, Arc::new(u16_bytes(data.clone())))
            .await
            .unwrap();
        let whole = read_region(&a, &ALL, None).await.unwrap();
        assert_eq!(as_u16(&whole.data.unwrap()), data, "spec {spec}");

        // rows 8, 5, 2 (step -3), columns 1, 3, 5 (step 2)
        let sel = [
            SelItem::Slice(Some(8), None, Some(-3)),
            SelItem::Slice(Some(1), None, Some(2)),
        ];
        let part = read_region(&a, &sel, None).await.unwrap();
        assert_eq!(part.shape, [3, 3]);
        let expected: Vec<u16> = [8u16, 5, 2]
            .iter()
            .flat_map(|r| [1u16, 3, 5].map(|c| r * 7 + c))
            .collect();
        assert_eq!(as_u16(&part.data.unwrap()), expected, "spec {spec}");

        // a stepped write keeps everything it does not select
        write_region(&a, &sel, Arc::new(u16_bytes([900; 9])))
            .await
            .unwrap();
        let after = as_u16(&read_region(&a, &ALL, None).await.unwrap().data.unwrap());
        for (i, v) in after.iter().enumerate() {
            let (r, c) = (i / 7, i % 7);
            let selected = [8, 5, 2].contains(&r) && [1, 3, 5].contains(&c);
            assert_eq!(
                *v,
                if selected { 900 } else { data[i] },
                "element ({r}, {c})"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_chunks_read_as_fill_and_fill_chunks_are_not_stored() {
    let s = store("fill");
    let spec = json!({"shape": [6], "dtype": "<u2", "chunks": [3], "fill_value": 7});
    let a = create_array(&s, "f", CreateSpec::from_json(&spec).unwrap(), false)
        .await
        .unwrap();
    let r = read_region(&a, &ALL, None).await.unwrap();
    assert_eq!(as_u16(&r.data.unwrap()), [7; 6]);
    write_chunk(&a, &[0], Arc::new(u16_bytes([7, 7, 7])))
        .await
        .unwrap();
    assert!(s
        .storage()
        .get(&"f/c/0".try_into().unwrap())
        .await
        .unwrap()
        .is_none());
    write_chunk(&a, &[1], Arc::new(u16_bytes([1, 2, 3])))
        .await
        .unwrap();
    let chunk = read_chunk(&a, &[1], None).await.unwrap();
    assert_eq!(as_u16(&chunk.data.unwrap()), [1, 2, 3]);
    delete_chunk(&a, &[1]).await.unwrap();
    let chunk = read_chunk(&a, &[1], None).await.unwrap();
    assert_eq!(as_u16(&chunk.data.unwrap()), [7, 7, 7]);
    let keep = a.with_write_empty_chunks(true);
    write_chunk(&keep, &[0], Arc::new(u16_bytes([7, 7, 7])))
        .await
        .unwrap();
    assert!(s
        .storage()
        .get(&"f/c/0".try_into().unwrap())
        .await
        .unwrap()
        .is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn many_chunks_in_one_call_and_bad_coordinates() {
    let s = store("chunks");
    let spec = json!({"shape": [4, 4], "dtype": "<u2", "chunks": [2, 2]});
    let a = create_array(&s, "c", CreateSpec::from_json(&spec).unwrap(), false)
        .await
        .unwrap();
    let coords: Vec<Vec<u64>> = vec![vec![0, 0], vec![1, 1], vec![0, 1]];
    let data = coords
        .iter()
        .map(|c| -> zarrbridge_core::WriteData {
            let base = u16::try_from(c[0] * 10 + c[1]).unwrap();
            Arc::new(u16_bytes([base; 4]))
        })
        .collect();
    write_chunks(&a, &coords, data).await.unwrap();
    let back = read_chunks(&a, &coords).await.unwrap();
    for (c, d) in coords.iter().zip(back) {
        let base = u16::try_from(c[0] * 10 + c[1]).unwrap();
        assert_eq!(as_u16(&d.data.unwrap()), [base; 4]);
    }
    assert!(matches!(
        read_chunk(&a, &[2, 0], None).await,
        Err(Error::ChunkIndex(_))
    ));
    assert!(matches!(
        read_chunk(&a, &[0], None).await,
        Err(Error::ChunkIndex(_))
    ));
    let short = write_chunk(&a, &[0, 0], Arc::new(vec![0u8; 3])).await;
    assert!(matches!(short, Err(Error::InvalidData(_))));
}

#[tokio::test(flavor = "multi_thread")]
async fn hierarchy_create_list_update_delete() {
    let s = store("tree");
    create_group(&s, "", serde_json::Map::new(), 3, false)
        .await
        .unwrap();
    let spec = json!({"shape": [2], "dtype": "|u1"});
    create_array(&s, "g/x", CreateSpec::from_json(&spec).unwrap(), false)
        .await
        .unwrap();
    create_group(&s, "g/sub", serde_json::Map::new(), 3, false)
        .await
        .unwrap();
    let again = create_array(&s, "g/x", CreateSpec::from_json(&spec).unwrap(), false).await;
    assert!(matches!(again, Err(Error::NodeExists(_))));
    let inside = create_array(&s, "g/x/y", CreateSpec::from_json(&spec).unwrap(), false).await;
    assert!(matches!(inside, Err(Error::NodeExists(_))));

    let names: Vec<String> = list_children(&s, "g", None)
        .await
        .unwrap()
        .iter()
        .map(|n| match n {
            Node::Array(a) => format!("array {}", a.path().as_str()),
            Node::Group(g) => format!("group {}", g.path().as_str()),
        })
        .collect();
    assert_eq!(names, ["group g/sub", "array g/x"]);

    let path = NodePath::parse("g/x").unwrap();
    let attrs = json!({"units": "m"}).as_object().unwrap().clone();
    update_attributes(&s, path.as_str(), attrs).await.unwrap();
    let doc = read_metadata(&s, "g/x").await.unwrap();
    assert_eq!(doc["attributes"]["units"], "m");

    delete_node(&s, "g").await.unwrap();
    assert!(matches!(
        open_node(&s, "g/x", None).await,
        Err(Error::NodeNotFound(_))
    ));
    assert!(matches!(
        delete_node(&s, "g").await,
        Err(Error::NodeNotFound(_))
    ));
    assert!(matches!(
        open_array(&s, "").await,
        Err(Error::NodeNotFound(_))
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_paths_and_specs_touch_nothing() {
    let s = store("bad");
    let spec = json!({"shape": [2], "dtype": "|u1"});
    for bad in ["..", "a/../b", "a\\b", "a\0b"] {
        let r = create_array(&s, bad, CreateSpec::from_json(&spec).unwrap(), false).await;
        assert!(matches!(r, Err(Error::InvalidPath { .. })), "{bad:?}");
    }
    let objects = json!({"shape": [2], "dtype": "|O"});
    assert!(matches!(
        create_array(&s, "s", CreateSpec::from_json(&objects).unwrap(), false).await,
        Err(Error::Unsupported(_))
    ));
    let too_long = json!({"shape": [2], "dtype": "<U2", "fill_value": "abc"});
    assert!(matches!(
        create_array(&s, "t", CreateSpec::from_json(&too_long).unwrap(), false).await,
        Err(Error::Metadata { .. })
    ));
    let keys = s.storage().list().await.unwrap();
    assert!(keys.is_empty(), "store holds {keys:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn variable_length_text_round_trips_through_chunks_and_regions() {
    use zarrbridge_core::VlenValues;
    let s = store("vlen");
    let spec = json!({"shape": [5], "dtype": "string", "chunks": [2], "fill_value": "-"});
    let a = create_array(&s, "t", CreateSpec::from_json(&spec).unwrap(), false)
        .await
        .unwrap();
    let text = |items: &[&str]| {
        let mut offsets = vec![0];
        let bytes: Vec<u8> = items.iter().flat_map(|t| t.bytes()).collect();
        for t in items {
            offsets.push(offsets.last().unwrap() + t.len());
        }
        VlenValues::new(bytes, offsets).unwrap()
    };
    let sel = [SelItem::Slice(Some(1), Some(4), None)];
    write_region(&a, &sel, text(&["é", "", "🎉x"]))
        .await
        .unwrap();
    let got = read_region(&a, &ALL, None).await.unwrap();
    let values = VlenValues::new(got.data.unwrap(), got.offsets.unwrap()).unwrap();
    assert_eq!(values, text(&["-", "é", "", "🎉x", "-"]));
    // The edge chunk (index 4 and its padding) was never written: it reads as the fill value.
    let edge = read_chunk(&a, &[2], None).await.unwrap();
    assert_eq!(edge.data.unwrap(), b"--");
    // A value that is not UTF-8 is refused, and nothing is written.
    let bad = VlenValues::new(vec![0xff], vec![0, 1]).unwrap();
    assert!(matches!(
        write_chunk(
            &a,
            &[2],
            VlenValues::new(vec![0xff, b'a'], vec![0, 1, 2]).unwrap()
        )
        .await,
        Err(Error::InvalidData(_))
    ));
    assert!(write_region(&a, &[SelItem::Index(4)], bad).await.is_err());
    let edge = read_chunk(&a, &[2], None).await.unwrap();
    assert_eq!(edge.data.unwrap(), b"--");
}
