"""``to_dask`` and ``store_dask`` against dask's own Zarr functions on the same arrays.

- Arrays zarr-python writes (Zarr v2 and v3, sharded, edge chunks, chunks never written, a
  fill value, several dtypes): ``to_dask`` gives what ``dask.array.from_zarr`` gives (values
  and dtype) for the whole array, strided and offset selections and reductions.
- The same dask computation stored with ``store_dask`` into one array and with
  ``dask.array.to_zarr`` into a twin array of the same metadata (both made by zarr-python):
  zarr-python reads the same values from both.

The threaded scheduler runs these (the distributed cluster is tests/test_dask_cluster.py's).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr
import zarrbridge as zb
from zarrbridge.dask import store_dask, to_dask

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")

# dask's to_zarr rechunks blocks that end at the array's end but are no multiple of the stored
# chunk (store_dask takes them as they are), and says so.
pytestmark = pytest.mark.filterwarnings("ignore:The input Dask array will be rechunked")

SHAPE = (70, 45)  # edge chunks both ways

LAYOUTS: dict[str, dict[str, Any]] = {
    "v2": {"zarr_format": 2, "chunks": (16, 10)},
    "v3": {"zarr_format": 3, "chunks": (16, 10)},
    "v3-sharded": {"zarr_format": 3, "chunks": (8, 5), "shards": (32, 20)},
}
DTYPES = ["int16", "float64", "bool", "uint8"]


def values(dtype: str) -> np.ndarray:
    rng = np.random.default_rng(11)
    return (rng.random(SHAPE) * 200).astype(dtype)


def create(path: Path, layout: str, dtype: str) -> Any:
    fill = False if dtype == "bool" else 7
    return zarr.create_array(
        str(path), shape=SHAPE, dtype=dtype, fill_value=fill, overwrite=True, **LAYOUTS[layout]
    )


@pytest.fixture(autouse=True)
def threads() -> Any:
    with dask.config.set(scheduler="threads"):
        yield


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_to_dask_gives_what_from_zarr_gives(tmp_path: Path, layout: str, dtype: str) -> None:
    path = tmp_path / "a.zarr"
    z = create(path, layout, dtype)
    z[:50, :30] = values(dtype)[:50, :30]  # the rest: chunks never written (fill value)
    ours = to_dask(zb.sync.open_array(str(path)))
    theirs = da.from_zarr(str(path))
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    for sel in [
        (...,),
        (slice(3, 67, 4), slice(None, None, -2)),
        (slice(45, 70), 44),
        (slice(10, 11), slice(0, 45, 9)),
    ]:
        np.testing.assert_array_equal(ours[sel].compute(), theirs[sel].compute(), err_msg=str(sel))
    if dtype != "bool":
        assert ours.sum(dtype="float64").compute() == theirs.sum(dtype="float64").compute()
        np.testing.assert_array_equal(ours.max(axis=0).compute(), theirs.max(axis=0).compute())


@pytest.mark.parametrize("dtype", ["int16", "float64"])
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_store_dask_writes_what_to_zarr_writes(tmp_path: Path, layout: str, dtype: str) -> None:
    source = da.from_array(values(dtype), chunks=(35, 45))
    computed = (source * 3 - 1).astype(dtype)
    ours_path, theirs_path = tmp_path / "ours.zarr", tmp_path / "theirs.zarr"
    ours_z, theirs_z = create(ours_path, layout, dtype), create(theirs_path, layout, dtype)
    target = zb.sync.open_array(str(ours_path))
    blocks = target.shards or target.chunks
    store_dask(computed.rechunk(blocks), target)
    da.to_zarr(computed.rechunk(blocks), theirs_z)
    np.testing.assert_array_equal(ours_z[...], theirs_z[...])
    # A region, aligned to the stored chunks, over what is there.
    region = (slice(blocks[0], 2 * blocks[0]), slice(0, SHAPE[1]))
    part = da.zeros((blocks[0], SHAPE[1]), dtype=dtype, chunks=blocks)
    store_dask(part, target, region=region)
    da.to_zarr(part, theirs_z, region=region)
    np.testing.assert_array_equal(
        zarr.open_array(str(ours_path))[...], zarr.open_array(str(theirs_path))[...]
    )
