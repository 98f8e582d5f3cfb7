"""Property tests of orthogonal and vectorized selections, reads and writes, against numpy and
zarr-python.

Every example builds a fresh array (random shape, chunking, v2, v3 or sharded v3, dtype and
fill value; ``test_regions_properties``' strategies) on a memory store, applies random
orthogonal / vectorized writes to it and to a numpy reference, and checks that reads agree with
numpy. zarr-python reads the same store (through ``zarrbridge.zarr.ZarrStore``, its own codecs)
and must see the reference too, and its own ``oindex`` / ``vindex`` must return what ours do.
"""

from __future__ import annotations

from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
import zarr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_regions_properties import Spec, assert_matches, data_for, make, specs
from zarrbridge import sync as zbs
from zarrbridge.zarr import ZarrStore

SETTINGS = settings(
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def axis_items(draw: st.DrawFn, n: int, *, negative_steps: bool) -> Any:
    """One item of an orthogonal selection of a dimension of length ``n``."""
    kinds = ["slice", "mask", "list"] + (["int"] if n else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "int":
        return draw(st.integers(-n, n - 1))
    if kind == "mask":
        return np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    if kind == "list":
        if not n:
            return np.array([], dtype=np.int64)
        positions = draw(st.lists(st.integers(-n, n - 1), max_size=8))
        dtype = draw(st.sampled_from([np.int64, np.int32, np.intp]))
        return np.array(positions, dtype=dtype)
    steps = st.integers(-4, 4).filter(bool) if negative_steps else st.integers(1, 4)
    bound = st.none() | st.integers(-n - 2, n + 2)
    return slice(draw(bound), draw(bound), draw(st.none() | steps))


@st.composite
def orthogonal(draw: st.DrawFn, shape: tuple[int, ...], *, negative_steps: bool = True) -> Any:
    """A tuple of per-dimension items, possibly fewer than dimensions."""
    count = draw(st.integers(0, len(shape)))
    return tuple(draw(axis_items(n, negative_steps=negative_steps)) for n in shape[:count])


@st.composite
def vectorized(draw: st.DrawFn, shape: tuple[int, ...]) -> Any:
    """One int array per dimension, broadcastable together; or a boolean mask of ``shape``."""
    if draw(st.booleans()):
        return draw(hnp.arrays(bool, shape))
    if 0 in shape:
        points = (0,)
    else:
        points = draw(st.lists(st.integers(1, 4), min_size=0, max_size=2).map(tuple))
    arrays = []
    for n in shape:
        if 0 in shape:
            arrays.append(np.zeros(0, dtype=np.int64))
            continue
        # Some dimensions of each array are 1 (broadcast), some leading ones dropped.
        own = tuple(draw(st.sampled_from([1, p])) for p in points)
        own = own[draw(st.integers(0, len(own))) :]
        arrays.append(draw(hnp.arrays(np.int64, own, elements=st.integers(-n, n - 1))))
    return tuple(arrays)


def reference_orthogonal(
    shape: tuple[int, ...], sel: tuple[Any, ...]
) -> tuple[tuple[Any, ...], tuple[bool, ...]]:
    """numpy positions for ``sel``: an ``np.ix_`` index of every dimension, and which are
    kept (ints are dropped)."""
    if any(item is Ellipsis for item in sel):
        at = next(k for k, item in enumerate(sel) if item is Ellipsis)
        sel = sel[:at] + (slice(None),) * (len(shape) - len(sel) + 1) + sel[at + 1 :]
    positions, kept = [], []
    for d, n in enumerate(shape):
        item = sel[d] if d < len(sel) else slice(None)
        if isinstance(item, list):
            item = np.asarray(item)
        if isinstance(item, slice):
            positions.append(np.arange(n)[item])
        elif isinstance(item, np.ndarray) and item.dtype == bool:
            positions.append(np.nonzero(item)[0])
        else:
            positions.append(np.atleast_1d(np.asarray(item).astype(np.int64)) % max(n, 1))
        kept.append(isinstance(item, slice) or np.ndim(item) > 0)
    return np.ix_(*positions), tuple(kept)


def read_reference(reference: np.ndarray, sel: tuple[Any, ...]) -> np.ndarray:
    index, kept = reference_orthogonal(reference.shape, sel)
    block = reference[index] if reference.ndim else reference
    return block.reshape(tuple(n for n, k in zip(block.shape, kept, strict=True) if k))


def write_reference(reference: np.ndarray, sel: tuple[Any, ...], value: Any) -> None:
    index, kept = reference_orthogonal(reference.shape, sel)
    if not reference.ndim:
        reference[()] = value
        return
    full = tuple(len(np.ravel(i)) for i in index)
    shaped = np.broadcast_to(
        np.asarray(value, dtype=reference.dtype),
        tuple(n for n, k in zip(full, kept, strict=True) if k),
    ).reshape(full)
    reference[index] = shaped


def zarr_python(arr: Any) -> Any:
    """zarr-python's view of ``arr``: its own codecs over the same native store."""
    return zarr.open_array(ZarrStore(arr.store, read_only=True), path=arr.path, mode="r")


def no_negative_steps(sel: tuple[Any, ...]) -> bool:
    return not any(isinstance(i, slice) and (i.step or 1) < 0 for i in sel)


@SETTINGS
@given(spec=specs(), data=st.data())
def test_orthogonal_writes_then_reads_match_numpy_and_zarr_python(
    spec: Spec, data: st.DataObject
) -> None:
    arr, reference = make(spec)
    for _ in range(data.draw(st.integers(1, 3), label="writes")):
        sel = data.draw(orthogonal(spec.shape), label="write selection")
        value = data_for(data.draw, spec.dtype, read_reference(reference, sel).shape)
        zbs.write_orthogonal(arr, sel, value)
        write_reference(reference, sel, value)
    z = zarr_python(arr)
    assert_matches(np.asarray(z[...]), reference, spec, "zarr-python's read after the writes")
    for _ in range(data.draw(st.integers(1, 3), label="reads")):
        sel = data.draw(orthogonal(spec.shape), label="read selection")
        got = zbs.read_orthogonal(arr, sel)
        assert_matches(got, read_reference(reference, sel), spec, f"read_orthogonal({sel!r})")
        assert_matches(arr.oindex[sel], got, spec, f"arr.oindex[{sel!r}]")
        # zarr-python fails on dimensions of length 0 (an empty mask's chunk count).
        if no_negative_steps(sel) and sel and spec.shape and 0 not in spec.shape:
            assert_matches(got, z.oindex[sel], spec, f"zarr-python's oindex[{sel!r}]")


@SETTINGS
@given(spec=specs(), data=st.data())
def test_vectorized_writes_then_reads_match_numpy_and_zarr_python(
    spec: Spec, data: st.DataObject
) -> None:
    arr, reference = make(spec)
    for _ in range(data.draw(st.integers(1, 3), label="writes")):
        sel = data.draw(vectorized(spec.shape), label="write selection")
        value = data_for(data.draw, spec.dtype, reference[sel].shape)
        zbs.write_vectorized(arr, sel, value)
        reference[sel] = value
    z = zarr_python(arr)
    assert_matches(np.asarray(z[...]), reference, spec, "zarr-python's read after the writes")
    for _ in range(data.draw(st.integers(1, 3), label="reads")):
        sel = data.draw(vectorized(spec.shape), label="read selection")
        got = zbs.read_vectorized(arr, sel)
        assert_matches(got, reference[sel], spec, f"read_vectorized({sel!r})")
        assert_matches(arr.vindex[sel], got, spec, f"arr.vindex[{sel!r}]")
        whole = isinstance(sel, np.ndarray) or all(np.ndim(s) >= 1 for s in sel)
        if spec.shape and 0 not in spec.shape and whole:
            assert_matches(got, z.vindex[sel], spec, f"zarr-python's vindex[{sel!r}]")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=specs(), data=st.data())
def test_out_arrays_are_filled_with_the_selection(spec: Spec, data: st.DataObject) -> None:
    arr, reference = make(spec)
    value = data.draw(hnp.arrays(spec.dtype, spec.shape))
    zbs.write_region(arr, ..., value)
    reference[...] = value
    sel = data.draw(orthogonal(spec.shape), label="orthogonal")
    expected = read_reference(reference, sel)
    out = np.empty(expected.shape, dtype=spec.dtype)
    assert zbs.read_orthogonal(arr, sel, out=out) is out
    assert_matches(out, expected, spec, f"read_orthogonal({sel!r}, out=...)")
    points = data.draw(vectorized(spec.shape), label="vectorized")
    out = np.empty(reference[points].shape, dtype=spec.dtype)
    assert zbs.read_vectorized(arr, points, out=out) is out
    assert_matches(out, reference[points], spec, f"read_vectorized({points!r}, out=...)")
