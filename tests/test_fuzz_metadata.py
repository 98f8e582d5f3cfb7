"""Coverage-guided fuzzing (hypothesis) of metadata documents and selections, bounded for CI:
``ZARRBRIDGE_FUZZ_EXAMPLES`` (default 200 per target) sets how many inputs each target tries;
run it longer by hand, e.g. ``ZARRBRIDGE_FUZZ_EXAMPLES=20000 pytest tests/test_fuzz_metadata.py``.

Documents are mutations of a valid v3 array document (fields replaced by arbitrary JSON,
dropped, or added), given to ``create_array(metadata=...)`` and planted for ``open_array``.
Every outcome must be success or a typed error from ``zarrbridge.errors``, the store unchanged
after a refused create; a created array must read back as its fill value. Selections are
arbitrary ints, slices (any step, bounds past the shape) and tuples of them: success with
numpy's answer, or ``SelectionError``/``IndexError``-typed errors."""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np
import zarrbridge as zb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from zarrbridge import sync as zbs
from zarrbridge.errors import ZarrBridgeError

EXAMPLES = int(os.environ.get("ZARRBRIDGE_FUZZ_EXAMPLES", "200"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    database=None,
)

BASE: dict[str, Any] = {
    "zarr_format": 3,
    "node_type": "array",
    "shape": [6, 5],
    "data_type": "int16",
    "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [4, 2]}},
    "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
    "fill_value": 7,
    "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
}

json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(["int8", "float32", "regular", "bytes", "sharding_indexed", "zstd", "/"]),
)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.sampled_from(
                ["name", "configuration", "chunk_shape", "codecs", "endian", "must_understand", "x"]
            ),
            inner,
            max_size=4,
        ),
    ),
    max_leaves=12,
)
shape_like = st.lists(st.integers(min_value=-2, max_value=2**40), min_size=0, max_size=3)


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    doc = json.loads(json.dumps(BASE))
    for _ in range(draw(st.integers(1, 3))):
        field = draw(st.sampled_from([*BASE, "extra"]))
        action = draw(st.sampled_from(["replace", "drop", "shape", "chunks", "shard"]))
        if action == "drop":
            doc.pop(field, None)
        elif action == "shape":
            doc["shape"] = draw(shape_like)
        elif action == "chunks":
            doc["chunk_grid"] = {
                "name": "regular",
                "configuration": {"chunk_shape": draw(shape_like)},
            }
        elif action == "shard":
            doc["codecs"] = [
                {
                    "name": "sharding_indexed",
                    "configuration": {
                        "chunk_shape": draw(shape_like),
                        "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
                        "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
                    },
                }
            ]
        else:
            doc[field] = draw(json_value)
    return doc


def snapshot(store: zb.Store) -> dict[str, bytes]:
    return {m["path"]: bytes(store.get(m["path"]).buffer()) for b in store.list() for m in b}


_counter = iter(range(10**9))


@FUZZ
@given(doc=documents())
def test_any_metadata_document_is_accepted_or_refused_typed(doc: dict[str, Any]) -> None:
    store = zb.Store.from_url(f"memory://fuzz-{next(_counter)}")
    zbs.create_group(store, "")
    before = snapshot(store)
    try:
        arr = zbs.create_array(store, "a", metadata=doc)
    except ZarrBridgeError:
        assert snapshot(store) == before
    else:
        # Accepted: a small corner reads as the fill value (or a typed refusal to read it).
        try:
            corner = zbs.read_region(arr, tuple(slice(0, 1) for _ in arr.shape))
        except ZarrBridgeError:
            pass
        else:
            assert corner.size <= 1
    store.put("planted/zarr.json", json.dumps(doc).encode())
    try:
        planted = zbs.open_array(store, "planted")
        zbs.read_region(planted, tuple(slice(0, 1) for _ in planted.shape))
    except ZarrBridgeError:
        pass


index = st.one_of(
    st.integers(min_value=-12, max_value=12),
    st.builds(
        slice,
        st.none() | st.integers(-12, 12),
        st.none() | st.integers(-12, 12),
        st.none() | st.integers(-4, 4),
    ),
)
selections = st.one_of(
    index, st.tuples(index), st.tuples(index, index), st.tuples(index, index, index), st.just(...)
)

ARRAY_STORE = zb.Store.from_url("memory://fuzz-selections")
DATA = np.arange(30, dtype="int16").reshape(6, 5)
ARRAY = zbs.create_array(ARRAY_STORE, "a", shape=(6, 5), chunks=(4, 2), dtype="int16")
zbs.write_region(ARRAY, ..., DATA)


@FUZZ
@given(selection=selections)
def test_any_selection_matches_numpy_or_is_refused_typed(selection: Any) -> None:
    try:
        expected = DATA[selection]
    except (IndexError, ValueError, TypeError):
        expected = None
    try:
        got = zbs.read_region(ARRAY, selection)
    except ZarrBridgeError:
        return  # refusing what numpy takes is allowed (e.g. negative steps), typed
    assert expected is not None, f"{selection!r} accepted where numpy refuses"
    np.testing.assert_array_equal(got, expected)
