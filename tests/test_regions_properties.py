"""Property tests: random arrays, chunkings, fill values and selections, against numpy.

Every example builds a fresh array on a memory store, applies random ``write_region`` /
``write_chunk`` calls to it and to a numpy reference initialised to the fill value, and checks
that ``read_region`` / ``read_chunk`` agree with the reference. Zarr v3 (plain and sharded) and
v2 arrays are covered. The sync API is used for speed.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
import zarrbridge as zb
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from zarrbridge import sync as zbs

DTYPES = [
    np.dtype(d)
    for d in (
        "bool",
        "int8",
        "uint8",
        "int16",
        "uint32",
        "int64",
        "uint64",
        "float16",
        "float32",
        "float64",
        "complex64",
        "complex128",
    )
]

SETTINGS = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def values(dtype: np.dtype) -> st.SearchStrategy[Any]:
    """Any value of ``dtype``, NaN and infinities included."""
    if dtype.kind == "b":
        return st.booleans()
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return st.integers(int(info.min), int(info.max))
    if dtype.kind == "f":
        return st.floats(width=dtype.itemsize * 8)
    return st.complex_numbers(width=dtype.itemsize * 8)


@dataclass
class Spec:
    shape: tuple[int, ...]
    chunks: tuple[int, ...]
    shards: tuple[int, ...] | None
    zarr_format: int
    dtype: np.dtype
    fill: Any
    compressors: str | None

    @property
    def chunk_shape(self) -> tuple[int, ...]:
        return self.shards if self.shards is not None else self.chunks

    @property
    def grid(self) -> tuple[int, ...]:
        return tuple(-(-n // c) for n, c in zip(self.shape, self.chunk_shape, strict=True))

    def __repr__(self) -> str:
        return (
            f"Spec(shape={self.shape}, chunks={self.chunks}, shards={self.shards}, "
            f"zarr_format={self.zarr_format}, dtype={self.dtype}, fill={self.fill!r}, "
            f"compressors={self.compressors!r})"
        )


@st.composite
def specs(draw: st.DrawFn) -> Spec:
    ndim = draw(st.integers(1, 3))
    shape = tuple(draw(st.lists(st.integers(0, 20), min_size=ndim, max_size=ndim)))
    # At most ~7 chunks per dimension keeps an example fast; chunks may exceed the shape.
    chunks = tuple(draw(st.integers(max(1, n // 7), max(1, n) + 3)) for n in shape)
    layout = draw(st.sampled_from(["v3", "v3-sharded", "v2"]))
    shards = None
    if layout == "v3-sharded":
        shards = tuple(c * draw(st.integers(1, 3)) for c in chunks)
    dtype = draw(st.sampled_from(DTYPES))
    fill = draw(values(dtype))
    compressors = draw(st.sampled_from([None, "auto"]))
    return Spec(shape, chunks, shards, 2 if layout == "v2" else 3, dtype, fill, compressors)


def make(spec: Spec) -> tuple[Any, np.ndarray]:
    store = zb.Store.from_url(f"memory://props-{uuid.uuid4().hex}")
    arr = zbs.create_array(
        store,
        "a",
        shape=spec.shape,
        chunks=spec.chunks,
        shards=spec.shards,
        dtype=spec.dtype,
        fill_value=spec.fill,
        zarr_format=spec.zarr_format,
        compressors=spec.compressors,
    )
    reference = np.full(spec.shape, spec.fill, dtype=spec.dtype)
    return arr, reference


def selections(shape: tuple[int, ...]) -> st.SearchStrategy[Any]:
    """ints (negative too), slices with any step (negative too), Ellipsis; possibly fewer
    items than dimensions, possibly not wrapped in a tuple."""
    return hnp.basic_indices(shape, min_dims=0, allow_newaxis=False, allow_ellipsis=True)


def data_for(draw: st.DrawFn, dtype: np.dtype, shape: tuple[int, ...]) -> Any:
    """Data for a write of ``shape``: a full array, a broadcastable array or a scalar."""
    kind = draw(st.sampled_from(["full", "broadcast", "scalar"]))
    if kind == "scalar":
        return draw(values(dtype))
    if kind == "broadcast" and shape:
        bshape = tuple(draw(st.sampled_from([1, n])) for n in shape)
        bshape = bshape[draw(st.integers(0, len(bshape))) :]
        return draw(hnp.arrays(dtype, bshape, elements=values(dtype)))
    return draw(hnp.arrays(dtype, shape, elements=values(dtype)))


def assert_matches(got: np.ndarray, expected: Any, spec: Spec, what: str) -> None:
    expected = np.asarray(expected)
    assert isinstance(got, np.ndarray), f"{what}: returned {type(got)}, expected numpy array"
    assert got.shape == expected.shape, f"{what}: shape {got.shape}, expected {expected.shape}"
    assert got.dtype == spec.dtype, f"{what}: dtype {got.dtype}, expected {spec.dtype}"
    np.testing.assert_array_equal(
        got, expected, err_msg=f"{what} on {spec!r}: values differ (left: read, right: numpy)"
    )


@SETTINGS
@given(spec=specs(), data=st.data())
def test_random_region_writes_then_reads_match_numpy(spec: Spec, data: st.DataObject) -> None:
    arr, reference = make(spec)
    for _ in range(data.draw(st.integers(1, 4), label="writes")):
        sel = data.draw(selections(spec.shape), label="write selection")
        target_shape = np.shape(reference[sel])
        value = data_for(data.draw, spec.dtype, target_shape)
        zbs.write_region(arr, sel, value)
        reference[sel] = value
    assert_matches(zbs.read_region(arr), reference, spec, "read of the whole array")
    for _ in range(data.draw(st.integers(1, 3), label="reads")):
        sel = data.draw(selections(spec.shape), label="read selection")
        assert_matches(zbs.read_region(arr, sel), reference[sel], spec, f"read_region({sel!r})")


@SETTINGS
@given(spec=specs(), data=st.data())
def test_read_chunk_after_region_writes_matches_reference_block_padded_with_fill(
    spec: Spec, data: st.DataObject
) -> None:
    arr, reference = make(spec)
    for _ in range(data.draw(st.integers(0, 3), label="writes")):
        sel = data.draw(selections(spec.shape), label="write selection")
        target_shape = np.shape(reference[sel])
        value = data_for(data.draw, spec.dtype, target_shape)
        zbs.write_region(arr, sel, value)
        reference[sel] = value
    assert arr.grid_shape == spec.grid, f"grid_shape {arr.grid_shape}, expected {spec.grid}"
    assert arr.chunk_shape == spec.chunk_shape
    cs = spec.chunk_shape
    padded = np.full(
        tuple(g * c for g, c in zip(spec.grid, cs, strict=True)), spec.fill, dtype=spec.dtype
    )
    padded[tuple(slice(0, n) for n in spec.shape)] = reference
    all_coords = list(itertools.product(*(range(g) for g in spec.grid)))
    assume(all_coords)
    picked = data.draw(
        st.lists(st.sampled_from(all_coords), min_size=1, max_size=6, unique=True), label="chunks"
    )
    for coords in picked:
        block = padded[tuple(slice(i * c, (i + 1) * c) for i, c in zip(coords, cs, strict=True))]
        assert_matches(zbs.read_chunk(arr, coords), block, spec, f"read_chunk({coords})")
    got = zbs.read_chunks(arr, picked)
    assert len(got) == len(picked), f"read_chunks returned {len(got)} arrays for {len(picked)}"
    for coords, chunk in zip(picked, got, strict=True):
        block = padded[tuple(slice(i * c, (i + 1) * c) for i, c in zip(coords, cs, strict=True))]
        assert_matches(chunk, block, spec, f"read_chunks item {coords}")


@SETTINGS
@given(spec=specs(), data=st.data())
def test_write_chunk_then_read_region_shows_the_in_bounds_part(
    spec: Spec, data: st.DataObject
) -> None:
    arr, reference = make(spec)
    all_coords = list(itertools.product(*(range(g) for g in spec.grid)))
    assume(all_coords)
    cs = spec.chunk_shape
    for _ in range(data.draw(st.integers(1, 3), label="chunk writes")):
        coords = data.draw(st.sampled_from(all_coords), label="coords")
        value = data_for(data.draw, spec.dtype, cs)
        zbs.write_chunk(arr, coords, value)
        block = np.broadcast_to(np.asarray(value, dtype=spec.dtype), cs)
        region = tuple(
            slice(i * c, min((i + 1) * c, n))
            for i, c, n in zip(coords, cs, spec.shape, strict=True)
        )
        inside = tuple(slice(0, r.stop - r.start) for r in region)
        reference[region] = block[inside]
    assert_matches(zbs.read_region(arr), reference, spec, "whole array after write_chunk")


@SETTINGS
@given(spec=specs(), data=st.data())
def test_unwritten_array_reads_fill_value_everywhere(spec: Spec, data: st.DataObject) -> None:
    arr, reference = make(spec)
    sel = data.draw(selections(spec.shape), label="read selection")
    assert_matches(zbs.read_region(arr, sel), reference[sel], spec, f"read_region({sel!r})")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=specs(), data=st.data())
def test_getitem_setitem_and_out_match_numpy(spec: Spec, data: st.DataObject) -> None:
    arr, reference = make(spec)
    sel = data.draw(selections(spec.shape), label="write selection")
    value = data_for(data.draw, spec.dtype, np.shape(reference[sel]))
    arr[sel] = value
    reference[sel] = value
    sel = data.draw(selections(spec.shape), label="read selection")
    assert_matches(arr[sel], reference[sel], spec, f"arr[{sel!r}]")
    out = np.empty(np.shape(reference[sel]), dtype=spec.dtype)
    returned = zbs.read_region(arr, sel, out=out)
    assert returned is out, "read_region(out=...) should return the very array it was given"
    assert_matches(out, reference[sel], spec, f"read_region({sel!r}, out=...)")
    assert_matches(np.asarray(arr), reference, spec, "np.asarray(arr)")
