"""What crosses the boundary for the data types beyond numbers, and what is refused.

- Writes take ``StringDType``, object arrays of ``str``/``bytes``, ``U``/``S`` arrays and lists;
  a value that cannot be stored (a non-str in a text array, text too long for a fixed width, a
  time that does not convert exactly, NaT where the type has none) raises a typed error and
  writes nothing (the store is compared byte for byte).
- Reads return ``StringDType`` (``vlen="numpy"``) or object arrays (``vlen="object"``), and
  Arrow arrays without a copy (``read_region_arrow``), through the async and blocking APIs and
  the handle methods.
- A group with a child of an unsupported data type or codec still lists every child; opening
  or reading that child raises ``UnsupportedError`` naming the data type or codec and the path.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
import zarrbridge as zb
from zarrbridge import _convert
from zarrbridge import sync as zbs
from zarrbridge.errors import InvalidDataError, MetadataError, UnsupportedError

STRING = np.dtypes.StringDType()


# --------------------------------------------------------------------------------------------
# writes take every form of text and bytes
# --------------------------------------------------------------------------------------------

TEXTS = ["", "a", "é🎉", "a\0b", "\0", "ж" * 40]

TEXT_FORMS = [
    pytest.param(np.array(TEXTS, dtype=STRING), id="StringDType"),
    pytest.param(np.array(TEXTS, dtype=object), id="object"),
    pytest.param(TEXTS, id="list"),
    pytest.param(np.array([t.rstrip("\0") for t in TEXTS]), id="U"),
    pytest.param(np.array([t.rstrip("\0") for t in TEXTS], dtype=">U40"), id="U-big-endian"),
]


@pytest.mark.parametrize("zarr_format", [2, 3])
@pytest.mark.parametrize("values", TEXT_FORMS)
def test_string_arrays_take_every_form_of_text(
    values: Any, zarr_format: int, memory_store: zb.Store
) -> None:
    arr = zbs.create_array(
        memory_store, "s", shape=(6,), chunks=(4,), dtype=str, zarr_format=zarr_format
    )
    zbs.write_region(arr, ..., values)
    expected = [str(v) for v in np.asarray(values, dtype=object)]
    got = zbs.read_region(arr)
    assert got.dtype == STRING
    assert got.tolist() == expected


@pytest.mark.parametrize("values", TEXT_FORMS)
def test_fixed_width_text_takes_every_form_of_text_that_fits(
    values: Any, memory_store: zb.Store
) -> None:
    arr = zbs.create_array(memory_store, "u", shape=(6,), chunks=(4,), dtype="U40")
    zbs.write_region(arr, ..., values)
    expected = np.array([str(v) for v in np.asarray(values, dtype=object)], dtype="U40")
    assert zbs.read_region(arr).tolist() == expected.tolist()


BYTES = [b"", b"a", b"\xff\x00\x01", b"\0x", b"z" * 9]
BYTES_FORMS = [
    pytest.param(np.array(BYTES, dtype=object), id="object"),
    pytest.param(BYTES, id="list"),
    pytest.param(np.array(BYTES), id="S"),
]


@pytest.mark.parametrize("dtype", ["bytes", "S9"])
@pytest.mark.parametrize("values", BYTES_FORMS)
def test_bytes_arrays_take_every_form_of_bytes(
    values: Any, dtype: str, memory_store: zb.Store
) -> None:
    arr = zbs.create_array(memory_store, "b", shape=(5,), chunks=(2,), dtype=dtype)
    zbs.write_region(arr, ..., values)
    # numpy's S type drops trailing NULs, as zarr-python and numpy read them back.
    expected = [bytes(v) for v in np.asarray(values, dtype=object)]
    if dtype == "S9" or (isinstance(values, np.ndarray) and values.dtype.kind == "S"):
        expected = [v.rstrip(b"\0") for v in expected]
    assert zbs.read_region(arr).tolist() == expected


# --------------------------------------------------------------------------------------------
# what cannot be stored is refused, and nothing is written
# --------------------------------------------------------------------------------------------

REFUSED = [
    pytest.param(str, np.array(["a", 1, "c"], dtype=object), "int", id="int-in-string-array"),
    pytest.param(str, ["a", b"b", "c"], "bytes", id="bytes-in-string-array"),
    pytest.param(str, np.array([b"a", b"b", b"c"]), "S", id="S-array-to-string-array"),
    pytest.param("bytes", np.array(["a", "b", "c"], dtype=object), "str", id="str-in-bytes-array"),
    pytest.param(
        "bytes", np.array(["a", "b", "c"], dtype=STRING), "str", id="StringDType-to-bytes"
    ),
    pytest.param("U2", ["ab", "abc", "a"], "longer than the 2", id="text-too-long"),
    pytest.param("U2", np.array(["a", "🎉🎉🎉", ""], dtype=STRING), "longer", id="astral-too-long"),
    pytest.param("S2", [b"ab", b"abc", b""], "3 bytes", id="bytes-too-long"),
    pytest.param(
        "M8[s]", np.array(["2020", "NaT", "2021"], dtype="M8[ms]") + 1, "whole", id="ms-to-s-loses"
    ),
    pytest.param(
        "M8[ns]", np.array(["9999-01-01", "NaT", "2000"], dtype="M8[s]"), "range", id="ns-overflow"
    ),
    pytest.param(
        "M8[s]", np.array([1, 2, 3], dtype="m8[s]"), "timedelta", id="timedelta-to-datetime"
    ),
    pytest.param("M8[s]", [1.5, 2.0, 3.0], "float", id="float-to-datetime"),
    pytest.param(
        "int64", np.array(["NaT", "NaT", "2020"], dtype="M8[s]"), "datetime", id="NaT-to-int"
    ),
    pytest.param("V2", np.zeros(3, dtype="V3"), "V3", id="void-size"),
    pytest.param(
        str,
        np.array(["a", None, "c"], dtype=np.dtypes.StringDType(na_object=None)),
        "missing",
        id="StringDType-na",
    ),
]


@pytest.mark.parametrize("zarr_format", [2, 3])
@pytest.mark.parametrize(("dtype", "values", "words"), REFUSED)
def test_values_that_cannot_be_stored_raise_and_write_nothing(
    dtype: Any,
    values: Any,
    words: str,
    zarr_format: int,
    file_store: zb.Store,
    store_dir: Path,
    tree_snapshot: Any,
) -> None:
    arr = zbs.create_array(
        file_store, "a", shape=(3,), chunks=(2,), dtype=dtype, zarr_format=zarr_format
    )
    before = tree_snapshot(store_dir)
    for write in (
        lambda: zbs.write_region(arr, ..., values),
        lambda: zbs.write_region(arr, slice(None, None, -1), values),
        # Every chunk is checked before any is written; the bad value is in the first.
        lambda: zbs.write_chunks(arr, [(0,), (1,)], [values[0:2], values[1:3]]),
    ):
        with pytest.raises(InvalidDataError) as info:
            write()
        assert words.lower() in str(info.value).lower(), (
            f"message should say {words!r}: {info.value}"
        )
    assert tree_snapshot(store_dir) == before, "a refused write changed the store"


@pytest.mark.parametrize(
    ("dtype", "fill", "words"),
    [
        pytest.param("int64", np.datetime64("NaT"), "datetime", id="NaT-for-int"),
        pytest.param("U2", "abc", "3 characters", id="text-too-long"),
        pytest.param("S2", b"abc", "3 bytes", id="bytes-too-long"),
        pytest.param("V4", b"ab", "2 bytes", id="raw-wrong-size"),
        pytest.param(str, b"x", "bytes", id="bytes-for-string"),
        pytest.param("M8[s]", np.datetime64("2020-01-01T00:00:00.5"), "whole", id="time-loses"),
        pytest.param("M8[s]", np.timedelta64(1, "s"), "timedelta", id="timedelta-for-datetime"),
        pytest.param("M8[D]", np.datetime64("2020-01", "M"), "convert", id="months-to-days"),
    ],
)
def test_fill_values_that_cannot_be_stored_raise_and_create_nothing(
    dtype: Any, fill: Any, words: str, file_store: zb.Store, store_dir: Path, tree_snapshot: Any
) -> None:
    before = tree_snapshot(store_dir)
    with pytest.raises(MetadataError) as info:
        zbs.create_array(file_store, "a", shape=(2,), dtype=dtype, fill_value=fill)
    assert words in str(info.value), f"message should say {words!r}: {info.value}"
    assert tree_snapshot(store_dir) == before


@pytest.mark.parametrize(
    ("dtype", "fill", "expected"),
    [
        pytest.param(
            "M8[ms]",
            np.datetime64("2020-01-02", "D"),
            np.datetime64("2020-01-02", "ms"),
            id="days-to-ms",
        ),
        pytest.param(
            "m8[10s]", np.timedelta64(2, "m"), np.timedelta64(12, "10s"), id="minutes-to-10s"
        ),
        pytest.param("M8[ns]", "NaT", np.datetime64("NaT", "ns"), id="NaT-string"),
        pytest.param("M8[ns]", None, np.datetime64("NaT", "ns"), id="default-NaT"),
        pytest.param(str, None, "", id="default-empty-string"),
        pytest.param("S3", None, b"", id="default-empty-bytes"),
        pytest.param("V2", b"\x01\x02", np.void(b"\x01\x02"), id="raw"),
    ],
)
def test_fill_values_convert_exactly(
    dtype: Any, fill: Any, expected: Any, memory_store: zb.Store
) -> None:
    arr = zbs.create_array(memory_store, "f", shape=(2,), dtype=dtype, fill_value=fill)
    assert np.asarray([arr.fill_value]).tolist() == np.asarray([expected]).tolist()
    assert zbs.read_region(arr).tolist() == np.asarray([expected, expected]).tolist()


def test_out_is_refused_for_variable_length_data(memory_store: zb.Store) -> None:
    arr = zbs.create_array(memory_store, "s", shape=(2,), dtype=str)
    with pytest.raises(InvalidDataError, match="out="):
        zbs.read_region(arr, out=np.empty(2, dtype=STRING))


# --------------------------------------------------------------------------------------------
# reads: StringDType, objects, Arrow; every API
# --------------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_reads_give_stringdtype_objects_or_arrow_through_every_api(
    api: Any, memory_store: zb.Store
) -> None:
    arr = await api.create_array(
        memory_store, "s", shape=(3, 2), chunks=(2, 2), dtype=str, fill_value="-"
    )
    await api.write_region(arr, (slice(0, 2), 0), ["x", "é"])
    numpy = await api.read_region(arr)
    assert numpy.dtype == STRING and numpy.tolist() == [["x", "-"], ["é", "-"], ["-", "-"]]
    objects = await api.read_region(arr, (slice(None, None, -1), 0), vlen="object")
    assert objects.dtype == object and objects.tolist() == ["-", "é", "x"]
    chunk = await api.read_chunk(arr, (1, 0), vlen="object")
    assert chunk.tolist() == [["-", "-"], ["-", "-"]], "an edge chunk is padded with the fill"
    arrow = pa.array(await api.read_region_arrow(arr, (slice(None), 0)))
    assert arrow.type == pa.large_string() and arrow.to_pylist() == ["x", "é", "-"]


@pytest.mark.anyio
async def test_handle_methods_read_and_write_strings(memory_store: zb.Store) -> None:
    arr = await zb.create_array(memory_store, "h", shape=(4,), chunks=(2,), dtype="bytes")
    await arr.write_chunks([(0,), (1,)], [[b"a", b""], np.array([b"c", b"\0"], dtype=object)])
    assert (await arr.read_region()).tolist() == [b"a", b"", b"c", b"\0"]
    arrow = pa.array(await arr.read_region_arrow(slice(1, None)))
    assert arrow.type == pa.large_binary() and arrow.to_pylist() == [b"", b"c", b"\0"]


def test_arrow_output_takes_the_buffers_rust_decoded_into_without_a_copy(
    memory_store: zb.Store,
) -> None:
    arr = zbs.create_array(memory_store, "big", shape=(20_000,), chunks=(5000,), dtype=str)
    values = np.array([f"name-{i}-" * (i % 5) for i in range(20_000)], dtype=STRING)
    zbs.write_region(arr, ..., values)
    result = zbs.read_region_arrow(arr)
    before = pa.total_allocated_bytes()
    arrow = pa.array(result)
    assert pa.total_allocated_bytes() == before, "pyarrow allocated memory: the data was copied"
    assert arrow.to_pylist() == values.tolist()
    del result  # the Arrow array keeps the Rust buffers alive on its own
    assert arrow.to_pylist()[-1] == values[-1]


def test_arrow_output_is_refused_for_numbers(memory_store: zb.Store) -> None:
    arr = zbs.create_array(memory_store, "n", shape=(2,), dtype="int8")
    with pytest.raises(UnsupportedError, match="string and bytes"):
        zbs.read_region_arrow(arr)


def test_without_stringdtype_text_reads_as_objects(
    memory_store: zb.Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    zbs.write_region(zbs.create_array(memory_store, "t", shape=(2,), dtype=str), ..., ["a", "b"])
    monkeypatch.setattr(_convert, "_HAS_STRINGDTYPE", False)  # as with numpy < 2
    arr = zbs.open_array(memory_store, "t")
    assert arr.dtype == object
    got = zbs.read_region(arr)
    assert got.dtype == object and got.tolist() == ["a", "b"]
    zbs.write_region(arr, 0, "c")
    assert zbs.read_region(arr).tolist() == ["c", "b"]


def test_invalid_vlen_mode_is_a_value_error(memory_store: zb.Store) -> None:
    arr = zbs.create_array(memory_store, "v", shape=(1,), dtype=str)
    with pytest.raises(ValueError, match="vlen"):
        zbs.read_region(arr, vlen="arrow")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# unsupported children never hide the others
# --------------------------------------------------------------------------------------------

V3 = {
    "zarr_format": 3,
    "node_type": "array",
    "shape": [4],
    "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [2]}},
    "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
    "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
    "fill_value": 0,
    "attributes": {"note": "kept"},
}
V2 = {
    "zarr_format": 2,
    "shape": [4],
    "chunks": [2],
    "compressor": None,
    "fill_value": None,
    "order": "C",
}

UNSUPPORTED_CHILDREN = {
    "complex-bfloat16": (
        "zarr.json",
        {**V3, "data_type": "complex_bfloat16", "fill_value": [0, 0]},
        "complex_bfloat16",
    ),
    "float8-e4m3fn": ("zarr.json", {**V3, "data_type": "float8_e4m3fn"}, "float8_e4m3fn"),
    "unknown-codec": (
        "zarr.json",
        {**V3, "data_type": "int16", "codecs": [*V3["codecs"], {"name": "no_such_codec"}]},
        "no_such_codec",
    ),
    "transformer": (
        "zarr.json",
        {**V3, "data_type": "int16", "storage_transformers": [{"name": "x"}]},
        "storage transformers",
    ),
    "v2-json-objects": (".zarray", {**V2, "dtype": "|O", "filters": [{"id": "json2"}]}, "json2"),
    "v2-vlen-array": (
        ".zarray",
        {**V2, "dtype": "|O", "filters": [{"id": "vlen-array", "dtype": "<i4"}]},
        "vlen-array",
    ),
    "v2-structured": (
        ".zarray",
        {**V2, "dtype": [["a", "<i4"], ["b", "<f8"]], "filters": None},
        "structured",
    ),
}


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_a_group_lists_every_child_whatever_its_data_type_or_codecs(
    zarr_format: int, file_store: zb.Store, store_dir: Path
) -> None:
    zbs.create_group(file_store, "", zarr_format=zarr_format)
    zbs.write_region(
        zbs.create_array(file_store, "ok", shape=(3,), dtype="int16", zarr_format=zarr_format),
        ...,
        7,
    )
    for name, (doc_name, doc, _) in UNSUPPORTED_CHILDREN.items():
        (store_dir / name).mkdir()
        (store_dir / name / doc_name).write_text(json.dumps(doc))

    children = {c.name: c for c in zbs.list_children(file_store)}
    assert sorted(children) == sorted([*UNSUPPORTED_CHILDREN, "ok"]), f"listed {sorted(children)}"
    assert zbs.read_region(children["ok"]).tolist() == [7, 7, 7]
    for name, (_, _, words) in UNSUPPORTED_CHILDREN.items():
        child = children[name]
        assert isinstance(child, zb.Array) and child.shape == (4,), f"{name}: {child!r}"
        assert child.metadata["shape"] == [4]
        attempts: list[tuple[Any, tuple[Any, ...]]] = [
            (zbs.read_region, (child,)),
            (zbs.read_chunk, (child, (0,))),
            (zbs.write_region, (child, ..., 0)),
            (zbs.open_array, (file_store, name)),
            (zbs.open_node, (file_store, name)),
        ]
        for fn, args in attempts:
            with pytest.raises(UnsupportedError) as info:
                fn(*args)
            assert words in str(info.value) and name in str(info.value), (
                f"{name}: the error should name {words!r} and the path: {info.value}"
            )


def test_xarray_style_group_with_S3_child_lists_and_reads(
    file_store: zb.Store, store_dir: Path
) -> None:
    """The case of the issue: a group holding a v3 ``null_terminated_bytes`` array."""
    zbs.create_group(file_store, "")
    code = zbs.create_array(file_store, "code", shape=(3,), dtype="S3")
    zbs.write_region(code, ..., [b"abc", b"de", b"f"])
    zbs.create_array(file_store, "temp", shape=(3,), dtype="float32")
    names = [c.name for c in zbs.list_children(file_store)]
    assert names == ["code", "temp"]
    doc = json.loads((store_dir / "code" / "zarr.json").read_text())
    assert doc["data_type"] == {
        "name": "null_terminated_bytes",
        "configuration": {"length_bytes": 3},
    }
    assert zbs.read_region(zbs.open_array(file_store, "code")).tolist() == [b"abc", b"de", b"f"]


def test_raw_bits_by_their_core_spec_name_round_trip(file_store: zb.Store, store_dir: Path) -> None:
    arr = zbs.create_array(
        file_store, "r", shape=(4,), chunks=(2,), dtype="r24", fill_value=b"\x01\x02\x03"
    )
    doc = json.loads((store_dir / "r" / "zarr.json").read_text())
    assert doc["data_type"] == "r24" and doc["fill_value"] == [1, 2, 3], doc
    assert arr.dtype == np.dtype("V3")
    zbs.write_region(arr, slice(0, 1), np.array([b"abc"], dtype="V3"))
    assert zbs.read_region(arr).tolist() == [
        b"abc",
        b"\x01\x02\x03",
        b"\x01\x02\x03",
        b"\x01\x02\x03",
    ]


def test_text_arrays_pickle_and_index_like_numeric_ones(file_store: zb.Store) -> None:
    import pickle

    arr = zbs.create_array(file_store, "p", shape=(2, 3), chunks=(1, 2), dtype=str, fill_value="?")
    arr[0, 1:] = ["é", ""]
    again = pickle.loads(pickle.dumps(arr))
    assert again.dtype == STRING and again.fill_value == "?"
    assert again[...].tolist() == [["?", "é", ""], ["?", "?", "?"]]
    assert np.asarray(again)[0, 1] == "é"
