"""Path rules and typed errors.

Valid node paths normalise like zarr-python; invalid ones raise InvalidPathError before any I/O,
so the store directory and its parent stay byte-for-byte unchanged. Every failure is a typed
exception from zarrbridge.errors (conftest turns a Rust panic into a test failure).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarrbridge as zb
import zarrbridge.errors as zerr
from zarrbridge import sync as zbs
from zarrbridge.errors import (
    ChunkIndexError,
    CodecError,
    InvalidPathError,
    MetadataError,
    NodeNotFoundError,
    SelectionError,
    UnsupportedError,
    ZarrBridgeError,
)

# --------------------------------------------------------------------------------------------
# error classes
# --------------------------------------------------------------------------------------------

HIERARCHY = [
    ("NodeNotFoundError", FileNotFoundError),
    ("NodeExistsError", FileExistsError),
    ("InvalidPathError", ValueError),
    ("MetadataError", ValueError),
    ("InvalidDataError", ValueError),
    ("ChunkIndexError", IndexError),
    ("SelectionError", IndexError),
    ("UnsupportedError", NotImplementedError),
    ("CodecError", Exception),
    ("ChecksumError", zerr.CodecError),
    ("StoreError", OSError),
    ("ResourceError", MemoryError),
]


@pytest.mark.parametrize(("name", "builtin"), HIERARCHY, ids=[n for n, _ in HIERARCHY])
def test_error_class_is_a_zarrbridge_error_and_its_builtin(name: str, builtin: type) -> None:
    cls = getattr(zerr, name)
    assert issubclass(cls, zerr.ZarrBridgeError), f"{name} should subclass ZarrBridgeError"
    assert issubclass(cls, builtin), f"{name} should subclass {builtin.__name__}"
    err = cls("message naming a/path")
    assert str(err) == "message naming a/path", f"str({name}(msg)) = {str(err)!r}"


def test_base_error_is_an_exception_not_a_base_exception_only() -> None:
    assert issubclass(zerr.ZarrBridgeError, Exception)


def test_node_not_found_is_caught_by_except_file_not_found(memory_store: zb.Store) -> None:
    try:
        zbs.open_array(memory_store, "missing")
    except FileNotFoundError as e:
        assert isinstance(e, NodeNotFoundError), f"caught {type(e).__name__}, not NodeNotFound"
    else:
        pytest.fail("open_array of a missing node did not raise")


# --------------------------------------------------------------------------------------------
# paths
# --------------------------------------------------------------------------------------------

NORMALISED = [
    pytest.param("", "", id="root"),
    pytest.param("a", "a", id="plain"),
    pytest.param("/a/", "a", id="leading-and-trailing-slash"),
    pytest.param("a/b", "a/b", id="nested"),
    pytest.param("/a/b", "a/b", id="leading-slash-nested"),
    pytest.param("a/b/", "a/b", id="trailing-slash-nested"),
]


@pytest.mark.parametrize(("given", "normalised"), NORMALISED)
def test_valid_paths_are_normalised(store: zb.Store, given: str, normalised: str) -> None:
    g = zbs.create_group(store, given, attributes={"p": given})
    assert g.path == normalised, f"create_group({given!r}).path = {g.path!r}, want {normalised!r}"
    again = zbs.open_group(store, normalised)
    assert again.attrs == {"p": given} and again.path == normalised
    again = zbs.open_group(store, given)
    assert again.path == normalised, f"open_group({given!r}).path = {again.path!r}"


@pytest.mark.parametrize(("given", "normalised"), NORMALISED[1:])
def test_normalised_path_is_where_the_metadata_lands_on_disk(
    file_store: zb.Store, store_dir: Path, given: str, normalised: str
) -> None:
    zbs.create_array(file_store, given, shape=(1,), dtype="int8")
    assert (store_dir / normalised / "zarr.json").is_file(), (
        f"create_array({given!r}) should write {normalised}/zarr.json; found "
        f"{sorted(str(p.relative_to(store_dir)) for p in store_dir.rglob('*'))}"
    )


INVALID_PATHS = [
    pytest.param("..", id="dotdot"),
    pytest.param("../escape", id="dotdot-escape"),
    pytest.param("a/../b", id="inner-dotdot"),
    pytest.param("a/..", id="trailing-dotdot"),
    pytest.param(".", id="dot"),
    pytest.param("a/./b", id="inner-dot"),
    pytest.param("a\\b", id="backslash"),
    pytest.param("..\\escape", id="backslash-dotdot"),
    pytest.param("a\x00b", id="nul"),
    pytest.param("a\x01b", id="control-01"),
    pytest.param("a\nb", id="newline"),
    pytest.param("a\x1fb", id="control-1f"),
    pytest.param("a\x7fb", id="del"),
]

META = {
    "zarr_format": 3,
    "node_type": "array",
    "shape": [2],
    "data_type": "int8",
    "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [2]}},
    "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
    "fill_value": 0,
    "codecs": [{"name": "bytes"}],
    "attributes": {},
}

PATH_OPS = {
    "create_array": lambda s, p: zbs.create_array(s, p, shape=(2,), dtype="int8"),
    "create_array_metadata": lambda s, p: zbs.create_array(s, p, metadata=META),
    "create_group": lambda s, p: zbs.create_group(s, p),
    "open_array": lambda s, p: zbs.open_array(s, p),
    "open_group": lambda s, p: zbs.open_group(s, p),
    "open_node": lambda s, p: zbs.open_node(s, p),
    "read_metadata": lambda s, p: zbs.read_metadata(s, p),
    "list_children": lambda s, p: zbs.list_children(s, p),
    "delete_node": lambda s, p: zbs.delete_node(s, p),
    "Array": lambda s, p: zb.Array(s, p, META),
    "Group": lambda s, p: zb.Group(
        s, p, {"zarr_format": 3, "node_type": "group", "attributes": {}}
    ),
}


@pytest.mark.parametrize("op", list(PATH_OPS))
@pytest.mark.parametrize("path", INVALID_PATHS)
def test_invalid_path_raises_and_touches_nothing_in_or_around_the_store(
    file_store: zb.Store,
    store_dir: Path,
    tmp_path: Path,
    tree_snapshot: Any,
    op: str,
    path: str,
) -> None:
    zbs.create_group(file_store, "")
    zbs.create_array(file_store, "a/b", shape=(2,), dtype="int8")
    (tmp_path / "outside.txt").write_text("must survive")
    before = tree_snapshot(tmp_path)
    with pytest.raises(InvalidPathError) as info:
        PATH_OPS[op](file_store, path)
    assert isinstance(info.value, ValueError)
    after = tree_snapshot(tmp_path)
    assert after == before, (
        f"{op}({path!r}) was rejected but the directory tree changed: "
        f"added {sorted(set(after) - set(before))}, removed {sorted(set(before) - set(after))}"
    )


@pytest.mark.parametrize("path", INVALID_PATHS)
def test_invalid_path_is_rejected_on_a_memory_store_too(memory_store: zb.Store, path: str) -> None:
    with pytest.raises(InvalidPathError):
        zbs.create_group(memory_store, path)
    for created in ("", "a", "b"):
        with pytest.raises(NodeNotFoundError):
            zbs.open_node(memory_store, created)


@pytest.mark.anyio
@pytest.mark.parametrize("path", ["..", "a/./b", "a\x00b"], ids=["dotdot", "dot", "nul"])
async def test_invalid_path_raises_invalid_path_error_from_the_async_api(
    api: Any, store: zb.Store, path: str
) -> None:
    with pytest.raises(InvalidPathError):
        await api.create_array(store, path, shape=(1,), dtype="int8")
    with pytest.raises(InvalidPathError):
        await api.open_node(store, path)


# --------------------------------------------------------------------------------------------
# wrong node kind, bad metadata
# --------------------------------------------------------------------------------------------


def test_opening_a_group_as_an_array_raises_a_typed_error_naming_the_path(
    store: zb.Store,
) -> None:
    zbs.create_group(store, "some/grp")
    with pytest.raises((NodeNotFoundError, MetadataError)) as info:
        zbs.open_array(store, "some/grp")
    assert "some/grp" in str(info.value), f"message should name the path: {str(info.value)!r}"


def test_opening_an_array_as_a_group_raises_a_typed_error_naming_the_path(
    store: zb.Store,
) -> None:
    zbs.create_array(store, "some/arr", shape=(1,), dtype="int8")
    with pytest.raises((NodeNotFoundError, MetadataError)) as info:
        zbs.open_group(store, "some/arr")
    assert "some/arr" in str(info.value), f"message should name the path: {str(info.value)!r}"


UNPARSEABLE_DOCUMENTS = [
    pytest.param("zarr.json", b"{not json", id="v3-not-json"),
    pytest.param("zarr.json", b"[1, 2]", id="v3-json-list"),
    pytest.param("zarr.json", b"", id="v3-empty-file"),
    pytest.param(".zarray", b"\x00\xff garbage", id="v2-not-json"),
]
INVALID_DOCUMENTS = [
    pytest.param(
        "zarr.json", {"zarr_format": 3, "node_type": "array"}, id="v3-array-missing-fields"
    ),
    pytest.param("zarr.json", {**META, "shape": [4, 4]}, id="v3-chunk-grid-ndim-mismatch"),
    pytest.param("zarr.json", {**META, "fill_value": "abc"}, id="v3-bad-fill-value"),
    pytest.param("zarr.json", {**META, "node_type": "table"}, id="v3-unknown-node-type"),
    pytest.param(".zarray", {"zarr_format": 2, "shape": [2]}, id="v2-missing-fields"),
]


@pytest.mark.parametrize(("name", "content"), UNPARSEABLE_DOCUMENTS)
@pytest.mark.parametrize("op", ["open_array", "open_node", "read_metadata"])
def test_unparseable_metadata_document_raises_metadata_error_naming_the_path(
    file_store: zb.Store, store_dir: Path, name: str, content: bytes, op: str
) -> None:
    node = store_dir / "bad_node"
    node.mkdir()
    (node / name).write_bytes(content)
    with pytest.raises(MetadataError) as info:
        getattr(zbs, op)(file_store, "bad_node")
    assert "bad_node" in str(info.value), f"message should name the path: {str(info.value)!r}"


@pytest.mark.parametrize(("name", "document"), INVALID_DOCUMENTS)
@pytest.mark.parametrize("op", ["open_array", "open_node"])
def test_invalid_array_metadata_document_raises_metadata_error_naming_the_path(
    file_store: zb.Store, store_dir: Path, name: str, document: dict, op: str
) -> None:
    node = store_dir / "bad_node"
    node.mkdir()
    (node / name).write_text(json.dumps(document))
    with pytest.raises(MetadataError) as info:
        getattr(zbs, op)(file_store, "bad_node")
    assert "bad_node" in str(info.value), f"message should name the path: {str(info.value)!r}"


BAD_METADATA = [
    pytest.param({"zarr_format": 3, "node_type": "array"}, id="missing-fields"),
    pytest.param({**META, "shape": [4, 4]}, id="ndim-mismatch"),
    pytest.param({**META, "data_type": "no_such_type"}, id="unknown-data-type"),
    pytest.param({**META, "fill_value": [1, 2, 3]}, id="bad-fill-value"),
    pytest.param(
        {**META, "chunk_grid": {"name": "regular", "configuration": {}}},
        id="chunk-grid-without-shape",
    ),
]


@pytest.mark.parametrize("metadata", BAD_METADATA)
def test_create_array_with_invalid_metadata_raises_and_writes_nothing(
    file_store: zb.Store, store_dir: Path, tree_snapshot: Any, metadata: dict
) -> None:
    before = tree_snapshot(store_dir)
    with pytest.raises((MetadataError, UnsupportedError)):
        zbs.create_array(file_store, "m", metadata=metadata)
    assert tree_snapshot(store_dir) == before, "a rejected create_array wrote to the store"


@pytest.mark.parametrize("metadata", BAD_METADATA)
def test_array_handle_with_invalid_metadata_raises(file_store: zb.Store, metadata: dict) -> None:
    with pytest.raises((MetadataError, UnsupportedError)):
        zb.Array(file_store, "m", metadata)


def test_unknown_codec_raises_a_typed_error_and_writes_nothing(
    file_store: zb.Store, store_dir: Path, tree_snapshot: Any
) -> None:
    before = tree_snapshot(store_dir)
    with pytest.raises((MetadataError, UnsupportedError, CodecError)):
        zbs.create_array(
            file_store,
            "c",
            shape=(2,),
            dtype="int8",
            compressors=[{"name": "no_such_codec", "configuration": {}}],
        )
    assert tree_snapshot(store_dir) == before


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"shape": (4,), "chunks": (0,)}, id="zero-chunk"),
        pytest.param({"shape": (4, 4), "chunks": (2,)}, id="chunks-ndim-mismatch"),
        pytest.param({"shape": (-1,)}, id="negative-shape"),
        pytest.param({"shape": (8,), "chunks": (2,), "shards": (3,)}, id="shard-not-multiple"),
        pytest.param(
            {"shape": (8,), "chunks": (2,), "shards": (4,), "zarr_format": 2}, id="shards-in-v2"
        ),
        pytest.param({"shape": (8,), "zarr_format": 4}, id="zarr-format-4"),
        pytest.param({"shape": (2,), "fill_value": "abc"}, id="string-fill-for-int"),
        pytest.param({"shape": (2,), "dimension_names": ["a", "b"]}, id="dimension-names-ndim"),
    ],
)
def test_invalid_create_array_arguments_raise_and_write_nothing(
    file_store: zb.Store, store_dir: Path, tree_snapshot: Any, kwargs: dict
) -> None:
    before = tree_snapshot(store_dir)
    with pytest.raises((ValueError, UnsupportedError)):
        zbs.create_array(file_store, "bad", dtype="int16", **kwargs)
    assert tree_snapshot(store_dir) == before, "a rejected create_array wrote to the store"


@pytest.mark.parametrize(
    "dtype",
    [object, [("a", "i4"), ("b", "f8")], "g", "G", "float8_e4m3fn", "complex_bfloat16"],
    ids=["object", "structured", "longdouble", "clongdouble", "ml-type-zarrs-lacks", "zarr-name"],
)
def test_unsupported_dtype_raises_unsupported_error_and_writes_nothing(
    file_store: zb.Store, store_dir: Path, tree_snapshot: Any, dtype: Any
) -> None:
    before = tree_snapshot(store_dir)
    with pytest.raises(UnsupportedError) as info:
        zbs.create_array(file_store, "u", shape=(2,), dtype=dtype)
    assert isinstance(info.value, NotImplementedError)
    assert tree_snapshot(store_dir) == before, "a rejected create_array wrote to the store"


# --------------------------------------------------------------------------------------------
# corrupt chunks
# --------------------------------------------------------------------------------------------


def _corrupt_replace(raw: bytes) -> bytes:
    return b"\x13\x37 definitely not a valid chunk \x00\xff" * 3


def _corrupt_flip_last(raw: bytes) -> bytes:
    return raw[:-1] + bytes([raw[-1] ^ 0xFF])


def _corrupt_truncate(raw: bytes) -> bytes:
    return raw[: len(raw) // 2]


@pytest.mark.parametrize(
    ("kwargs", "corrupt"),
    [
        pytest.param(
            {"compressors": [{"name": "zstd", "configuration": {"level": 1, "checksum": False}}]},
            _corrupt_replace,
            id="v3-zstd-garbage",
        ),
        pytest.param(
            {"compressors": [{"name": "gzip", "configuration": {"level": 1}}]},
            _corrupt_truncate,
            id="v3-gzip-truncated",
        ),
        pytest.param(
            {
                "compressors": [
                    {"name": "zstd", "configuration": {"level": 1, "checksum": False}},
                    {"name": "crc32c"},
                ]
            },
            _corrupt_flip_last,
            id="v3-crc32c-mismatch",
        ),
        pytest.param({"compressors": None}, _corrupt_truncate, id="v3-raw-wrong-size"),
        pytest.param(
            {"compressors": {"id": "zlib", "level": 1}, "zarr_format": 2},
            _corrupt_replace,
            id="v2-zlib-garbage",
        ),
        pytest.param(
            {"compressors": None, "shards": (4,)}, _corrupt_replace, id="v3-shard-garbage"
        ),
    ],
)
def test_corrupt_chunk_raises_codec_error_and_other_chunks_still_read(
    file_store: zb.Store, store_dir: Path, chunk_path: Any, kwargs: dict, corrupt: Any
) -> None:
    chunks = (2,) if "shards" in kwargs else (4,)
    arr = zbs.create_array(
        file_store, "c", shape=(8,), chunks=chunks, dtype="int64", fill_value=0, **kwargs
    )
    zbs.write_region(arr, ..., np.arange(1, 9, dtype=np.int64) * 1000003)
    target = chunk_path(store_dir, "c", (1,))
    assert target.is_file(), f"setup: expected the chunk file {target}"
    target.write_bytes(corrupt(target.read_bytes()))
    with pytest.raises(CodecError):
        zbs.read_chunk(arr, (1,))
    with pytest.raises(CodecError):
        zbs.read_region(arr)
    np.testing.assert_array_equal(
        zbs.read_chunk(arr, (0,)),
        np.arange(1, 1 + arr.chunk_shape[0]) * 1000003,
        err_msg="the intact chunk should still read",
    )


# --------------------------------------------------------------------------------------------
# extreme inputs: typed errors, never a panic or a huge allocation
# --------------------------------------------------------------------------------------------


def test_huge_selection_int_raises_selection_error(memory_store: zb.Store) -> None:
    arr = zbs.create_array(memory_store, "a", shape=(4,), dtype="int8")
    with pytest.raises(SelectionError):
        zbs.read_region(arr, 2**70)
    with pytest.raises(SelectionError):
        zbs.read_region(arr, -(2**70))


def test_huge_chunk_coordinate_raises_chunk_index_error(memory_store: zb.Store) -> None:
    arr = zbs.create_array(memory_store, "a", shape=(4,), chunks=(2,), dtype="int8")
    with pytest.raises(ChunkIndexError):
        zbs.read_chunk(arr, (2**70,))
    with pytest.raises(ChunkIndexError):
        zbs.write_chunk(arr, (2**64,), 1)


def test_huge_sparse_array_reads_and_writes_small_regions(memory_store: zb.Store) -> None:
    n = 2**31
    arr = zbs.create_array(
        memory_store, "big", shape=(n, n), chunks=(64, 64), dtype="uint8", fill_value=3
    )
    zbs.write_region(arr, (slice(n - 2, None), slice(5, 7)), [[1, 2], [3, 4]])
    got = zbs.read_region(arr, (slice(n - 3, None), slice(4, 8)))
    expected = np.full((3, 4), 3, dtype=np.uint8)
    expected[1:, 1:3] = [[1, 2], [3, 4]]
    np.testing.assert_array_equal(got, expected, err_msg="small region of a 2**62-element array")


def test_errors_never_come_from_outside_the_hierarchy_on_closed_over_inputs(
    memory_store: zb.Store,
) -> None:
    """A spread of bad calls: each must raise an exception of zarrbridge.errors or a builtin
    TypeError for a wrong argument type -- not some other class."""
    arr = zbs.create_array(memory_store, "a", shape=(4, 4), chunks=(2, 2), dtype="float32")
    calls = {
        "read_chunk coords not ints": lambda: zbs.read_chunk(arr, ("a", 0)),
        "write_region None data": lambda: zbs.write_region(arr, ..., None),
        "write_chunk dict data": lambda: zbs.write_chunk(arr, (0, 0), {"a": 1}),
        "update_attributes with non-dict": lambda: zbs.update_attributes(arr, [1, 2]),
        "update_attributes not JSON-able": lambda: zbs.update_attributes(arr, {"x": object()}),
        "open_array on non-store": lambda: zbs.open_array(12345, "a"),
    }
    wrong = {}
    for what, call in calls.items():
        try:
            call()
        except (ZarrBridgeError, TypeError):
            pass
        except Exception as e:  # reporting which class escaped is the point
            wrong[what] = f"{type(e).__module__}.{type(e).__name__}: {e}"
        else:
            wrong[what] = "no exception"
    assert not wrong, f"calls that did not raise a zarrbridge error or TypeError: {wrong}"
