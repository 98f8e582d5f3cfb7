"""Property tests: any text and any bytes round-trip, and zarr-python reads them the same.

Hypothesis draws values from all of Unicode (empty strings, astral-plane characters, NUL
anywhere in a value; surrogates cannot be UTF-8 and are left out), array shapes, chunkings and
shardings, fill values and stepped selections; numpy on an in-memory copy is the reference, and
zarr-python reads every array written.
"""

from __future__ import annotations

import uuid
from typing import Any

import numpy as np
import pyarrow as pa
import zarr
import zarrbridge as zb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from zarrbridge import sync as zbs

STRING = np.dtypes.StringDType()
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@st.composite
def layouts(draw: st.DrawFn) -> dict[str, Any]:
    """A 1-d or 2-d shape, a chunking, maybe shards (v3), and a Zarr format."""
    ndim = draw(st.integers(1, 2))
    shape = tuple(draw(st.integers(1, 9)) for _ in range(ndim))
    chunks = tuple(draw(st.integers(1, n)) for n in shape)
    zarr_format = draw(st.sampled_from([2, 3]))
    shards = None
    if zarr_format == 3 and draw(st.booleans()):
        shards = tuple(c * draw(st.integers(1, 2)) for c in chunks)
    return {"shape": shape, "chunks": chunks, "shards": shards, "zarr_format": zarr_format}


def steps(shape: tuple[int, ...]) -> st.SearchStrategy[tuple[slice, ...]]:
    return st.tuples(
        *[
            st.builds(
                slice,
                st.one_of(st.none(), st.integers(-n - 1, n + 1)),
                st.one_of(st.none(), st.integers(-n - 1, n + 1)),
                st.sampled_from([None, 1, 2, -1, -3]),
            )
            for n in shape
        ]
    )


def fresh_store(tmp_path_factory: Any) -> tuple[zb.Store, str]:
    root = str(tmp_path_factory.mktemp(f"strings-{uuid.uuid4().hex[:8]}"))
    return zb.Store.from_url(root), root


@SETTINGS
@given(data=st.data(), layout=layouts(), fill=TEXT)
def test_any_text_round_trips_and_zarr_python_reads_it(
    tmp_path_factory: Any, data: st.DataObject, layout: dict[str, Any], fill: str
) -> None:
    shape = layout["shape"]
    n = int(np.prod(shape))
    values = np.array(data.draw(st.lists(TEXT, min_size=n, max_size=n)), dtype=STRING)
    values = values.reshape(shape)
    store, root = fresh_store(tmp_path_factory)
    arr = zbs.create_array(store, "t", dtype=str, fill_value=fill, **layout)
    sel = data.draw(steps(shape))
    expected = np.full(shape, fill, dtype=STRING)
    expected[sel] = values[sel]
    zbs.write_region(arr, sel, values[sel])

    got = zbs.read_region(arr)
    assert got.dtype == STRING and got.tolist() == expected.tolist()
    assert zbs.read_region(arr, vlen="object").tolist() == expected.tolist()
    read_sel = data.draw(steps(shape))
    assert zbs.read_region(arr, read_sel).tolist() == expected[read_sel].tolist()
    flat = zbs.read_region_arrow(arr)
    assert flat.shape == shape
    assert pa.array(flat).to_pylist() == expected.reshape(-1).tolist()
    zp = zarr.open_array(root, path="t", mode="r")
    assert zp[...].tolist() == expected.tolist(), "zarr-python reads other text"


@SETTINGS
@given(data=st.data(), layout=layouts())
def test_any_bytes_round_trip_and_zarr_python_reads_them(
    tmp_path_factory: Any, data: st.DataObject, layout: dict[str, Any]
) -> None:
    shape = layout["shape"]
    n = int(np.prod(shape))
    items = data.draw(st.lists(st.binary(max_size=10), min_size=n, max_size=n))
    values = np.empty(n, dtype=object)
    values[:] = items
    values = values.reshape(shape)
    fill = data.draw(st.binary(max_size=4))
    store, root = fresh_store(tmp_path_factory)
    arr = zbs.create_array(store, "b", dtype="bytes", fill_value=fill, **layout)
    sel = data.draw(steps(shape))
    expected = np.empty(n, dtype=object)
    expected[:] = [fill] * n
    expected = expected.reshape(shape)
    expected[sel] = values[sel]
    zbs.write_region(arr, sel, values[sel])
    assert zbs.read_region(arr).tolist() == expected.tolist()
    zp = zarr.open_array(root, path="b", mode="r")
    assert zp[...].tolist() == expected.tolist(), "zarr-python reads other bytes"


@SETTINGS
@given(data=st.data(), layout=layouts())
def test_any_text_that_fits_round_trips_in_fixed_width(
    tmp_path_factory: Any, data: st.DataObject, layout: dict[str, Any]
) -> None:
    shape = layout["shape"]
    n = int(np.prod(shape))
    # numpy's U type cannot hold trailing NULs: they are its padding.
    texts = [t.rstrip("\0") for t in data.draw(st.lists(TEXT, min_size=n, max_size=n))]
    width = max([len(t) for t in texts] + [1])
    values = np.array(texts, dtype=f"U{width}").reshape(shape)
    store, root = fresh_store(tmp_path_factory)
    arr = zbs.create_array(store, "u", dtype=f"U{width}", **layout)
    zbs.write_region(arr, ..., np.array(texts, dtype=STRING).reshape(shape))
    assert zbs.read_region(arr).tolist() == values.tolist()
    zp = zarr.open_array(root, path="u", mode="r")
    assert zp[...].tolist() == values.tolist(), "zarr-python reads other fixed-width text"
