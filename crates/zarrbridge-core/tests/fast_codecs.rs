//! The library's own codec path against zarrs' codecs: for every chain it takes, each path reads
//! what the other wrote, whole and in part, and a plain chunk is stored byte for byte alike.

use std::sync::Arc;

use serde_json::{json, Value};
use zarrbridge_core::{
    open_array, read_chunk, read_region, write_chunk, write_region, ArrayHandle, Error, SelItem,
    Store,
};

const ALL: [SelItem; 1] = [SelItem::Ellipsis];

fn zstd(checksum: bool) -> Value {
    json!({"name": "zstd", "configuration": {"level": 3, "checksum": checksum}})
}

fn bytes_codec() -> Value {
    json!({"name": "bytes", "configuration": {"endian": "little"}})
}

fn sharded(inner: &[u64], codecs: &[Value], index: &[Value], location: &str) -> Value {
    json!({"name": "sharding_indexed", "configuration": {
        "chunk_shape": inner, "codecs": codecs, "index_codecs": index,
        "index_location": location}})
}

/// A 2-D uint16 array (shape 37x45, chunks 16x20 so the edges are partial) with `codecs`.
async fn array(store: &Store, name: &str, codecs: &Value, fill: u16) -> ArrayHandle {
    let doc = json!({
        "zarr_format": 3, "node_type": "array", "shape": [37, 45], "data_type": "uint16",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [16, 20]}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
        "fill_value": fill, "codecs": codecs, "attributes": {}
    });
    store
        .set(&format!("{name}/zarr.json"), doc.to_string().into())
        .await
        .unwrap();
    open_array(store, name).await.unwrap()
}

fn bytes_of(values: &[u16]) -> Arc<Vec<u8>> {
    Arc::new(values.iter().flat_map(|v| v.to_ne_bytes()).collect())
}

fn values(bytes: &[u8]) -> Vec<u16> {
    bytes
        .chunks_exact(2)
        .map(|b| u16::from_ne_bytes([b[0], b[1]]))
        .collect()
}

fn slice(start: i64, stop: i64) -> SelItem {
    SelItem::Slice(Some(start), Some(stop), None)
}

/// Writes that cover whole chunks, parts of chunks, edges and a stepped selection, applied to
/// `a` and mirrored in `model`.
async fn apply_writes(a: &ArrayHandle, model: &mut [u16]) {
    let mut seed = 12_345u32;
    let mut next = move || {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        u16::try_from((seed >> 16) % 1000).unwrap()
    };
    for (rows, cols) in [
        ((0, 37), (0, 45)),
        ((3, 20), (5, 44)),
        ((16, 32), (20, 40)),
        ((30, 37), (0, 9)),
    ] {
        let n = (rows.1 - rows.0) * (cols.1 - cols.0);
        let data: Vec<u16> = (0..n).map(|_| next()).collect();
        let sel = [slice(rows.0, rows.1), slice(cols.0, cols.1)];
        write_region(a, &sel, bytes_of(&data)).await.unwrap();
        let mut it = data.iter();
        for r in rows.0..rows.1 {
            for c in cols.0..cols.1 {
                model[usize::try_from(r * 45 + c).unwrap()] = *it.next().unwrap();
            }
        }
    }
    // Back to the fill value (0) in one corner: those (inner) chunks are dropped again.
    let sel = [slice(0, 16), slice(0, 20)];
    write_region(a, &sel, bytes_of(&[0; 320])).await.unwrap();
    for r in 0..16 {
        for c in 0..20 {
            model[r * 45 + c] = 0;
        }
    }
}

async fn check_reads(a: &ArrayHandle, model: &[u16], what: &str) {
    let whole = read_region(a, &ALL, None).await.unwrap().data.unwrap();
    assert_eq!(values(&whole), model, "{what}: whole array");
    let sel = [slice(5, 35), SelItem::Slice(Some(44), Some(2), Some(-3))];
    let part = values(&read_region(a, &sel, None).await.unwrap().data.unwrap());
    let expected: Vec<u16> = (5..35)
        .flat_map(|r| (3..=44).rev().step_by(3).map(move |c| model[r * 45 + c]))
        .collect();
    assert_eq!(part, expected, "{what}: stepped part");
}

fn chains() -> Vec<(&'static str, Value)> {
    let crc = json!({"name": "crc32c"});
    vec![
        ("zstd", json!([bytes_codec(), zstd(false)])),
        ("zstd+checksum", json!([bytes_codec(), zstd(true)])),
        ("uncompressed", json!([bytes_codec()])),
        (
            "shard/end/crc",
            json!([sharded(
                &[8, 10],
                &[bytes_codec(), zstd(false)],
                &[bytes_codec(), crc.clone()],
                "end"
            )]),
        ),
        (
            "shard/start/crc",
            json!([sharded(
                &[4, 5],
                &[bytes_codec(), zstd(true)],
                &[bytes_codec(), crc],
                "start"
            )]),
        ),
        (
            "shard/end/plain",
            json!([sharded(&[16, 4], &[bytes_codec()], &[bytes_codec()], "end")]),
        ),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn each_path_reads_what_the_other_wrote() {
    let store = Store::from_url("memory://fast-codecs-cross").unwrap();
    for (name, codecs) in chains() {
        let fast = array(&store, &format!("fast-{name}"), &codecs, 0).await;
        assert!(
            fast.uses_fast_codecs(),
            "{name} should run on the fast path"
        );
        let zarrs = array(&store, &format!("zarrs-{name}"), &codecs, 0)
            .await
            .with_fast_codecs(false);
        assert!(!zarrs.uses_fast_codecs());
        let mut model = vec![0u16; 37 * 45];
        apply_writes(&fast, &mut model).await;
        apply_writes(&zarrs, &mut vec![0u16; 37 * 45]).await;
        for writer in [&fast, &zarrs] {
            for fast_reader in [true, false] {
                let reader = open_array(&store, writer.path().as_str()).await.unwrap();
                let what = format!(
                    "{name}: written by fast={}, read by fast={fast_reader}",
                    writer.uses_fast_codecs()
                );
                check_reads(&reader.with_fast_codecs(fast_reader), &model, &what).await;
            }
        }
        // Whole stored chunks through the chunk API, both ways.
        for coords in [[0u64, 0], [1, 1], [2, 2]] {
            let a = read_chunk(&fast, &coords, None)
                .await
                .unwrap()
                .data
                .unwrap();
            let b = read_chunk(&zarrs, &coords, None)
                .await
                .unwrap()
                .data
                .unwrap();
            assert_eq!(a, b, "{name}: chunk {coords:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_chunks_are_stored_exactly_as_zarrs_stores_them() {
    let store = Store::from_url("memory://fast-codecs-bytes").unwrap();
    for (name, codecs) in chains().into_iter().take(3) {
        let fast = array(&store, &format!("f-{name}"), &codecs, 7).await;
        let zarrs = array(&store, &format!("z-{name}"), &codecs, 7)
            .await
            .with_fast_codecs(false);
        let data: Vec<u16> = (0..320u16).map(|i| i * 3 % 1000).collect();
        for a in [&fast, &zarrs] {
            write_chunk(a, &[1, 0], bytes_of(&data)).await.unwrap();
            write_region(a, &[slice(30, 37), slice(40, 45)], bytes_of(&[9; 35]))
                .await
                .unwrap();
        }
        for key in ["c/1/0", "c/2/2"] {
            let f = store
                .get(&format!("f-{name}/{key}"))
                .await
                .unwrap()
                .unwrap();
            let z = store
                .get(&format!("z-{name}/{key}"))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(f, z, "{name}: {key}");
        }
        // A chunk equal to the fill value is not stored, by either path.
        for a in [&fast, &zarrs] {
            write_chunk(a, &[0, 1], bytes_of(&[7; 320])).await.unwrap();
        }
        assert!(store
            .get(&format!("f-{name}/c/0/1"))
            .await
            .unwrap()
            .is_none());
        assert!(store
            .get(&format!("z-{name}/c/0/1"))
            .await
            .unwrap()
            .is_none());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn other_chains_stay_on_zarrs() {
    let store = Store::from_url("memory://fast-codecs-other").unwrap();
    let big = json!([{"name": "bytes", "configuration": {"endian": "big"}}, zstd(false)]);
    let gzip = json!([bytes_codec(), {"name": "gzip", "configuration": {"level": 1}}]);
    let transpose =
        json!([{"name": "transpose", "configuration": {"order": [1, 0]}}, bytes_codec()]);
    let two = json!([bytes_codec(), zstd(false), zstd(false)]);
    for (i, codecs) in [big, gzip, transpose, two].iter().enumerate() {
        let a = array(&store, &format!("o{i}"), codecs, 0).await;
        assert!(!a.uses_fast_codecs(), "{codecs}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn damaged_chunks_and_shards_are_errors() {
    let store = Store::from_url("memory://fast-codecs-damaged").unwrap();
    let codecs = &chains()[3].1;
    let a = array(&store, "s", codecs, 0).await;
    write_region(&a, &ALL, bytes_of(&vec![3; 37 * 45]))
        .await
        .unwrap();
    let shard = store.get("s/c/0/0").await.unwrap().unwrap();
    // A flipped bit in the index fails its checksum; a truncated shard cannot hold its index.
    let mut flipped = shard.to_vec();
    let last = flipped.len() - 10;
    flipped[last] ^= 1;
    for (damaged, checksum) in [(flipped, true), (shard[..10].to_vec(), false)] {
        store.set("s/c/0/0", damaged.into()).await.unwrap();
        let err = read_region(&a, &ALL, None).await.unwrap_err();
        if checksum {
            assert!(matches!(err, Error::Checksum { .. }), "{err}");
        } else {
            assert!(matches!(err, Error::Codec { .. }), "{err}");
        }
        // A partial write of the damaged shard fails too, leaving it as it was.
        let before = store.get("s/c/0/0").await.unwrap();
        let err = write_region(&a, &[slice(0, 1), slice(0, 1)], bytes_of(&[1])).await;
        assert!(err.is_err());
        assert_eq!(store.get("s/c/0/0").await.unwrap(), before);
    }
    // A plain chunk holding garbage.
    let p = array(&store, "p", &chains()[0].1, 0).await;
    store
        .set("p/c/0/0", b"not zstd".to_vec().into())
        .await
        .unwrap();
    let err = read_chunk(&p, &[0, 0], None).await.unwrap_err();
    assert!(matches!(err, Error::Codec { .. }), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn default_arrays_of_both_formats_take_the_fast_path() {
    let store = Store::from_url("memory://fast-codecs-defaults").unwrap();
    for (i, spec) in [
        json!({"shape": [10, 7], "dtype": "<u2", "chunks": [4, 3]}),
        json!({"shape": [10, 7], "dtype": "<u2", "chunks": [4, 3], "zarr_format": 2}),
        json!({"shape": [10, 7], "dtype": "<f8", "chunks": [2, 3], "shards": [4, 6]}),
        json!({"shape": [10, 7], "dtype": "|u1", "chunks": [4, 3], "zarr_format": 2}),
    ]
    .iter()
    .enumerate()
    {
        let a = zarrbridge_core::create_array(
            &store,
            &format!("d{i}"),
            zarrbridge_core::CreateSpec::from_json(spec).unwrap(),
            false,
        )
        .await
        .unwrap();
        assert!(a.uses_fast_codecs(), "{spec}: {}", a.metadata());
    }
}
