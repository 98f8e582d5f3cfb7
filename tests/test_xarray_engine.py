"""xarray's engine="zarrbridge" gives what engine="zarr" gives.

Datasets are written by xarray + zarr-python (Zarr v2 and v3, consolidated or not, sharded,
with variable-length and fixed-width strings, bytes, datetimes, timedeltas, CF packing with
``_FillValue`` and a 0-d variable) and opened by both engines: ``xr.testing.assert_identical``
holds for the dataset (read blocking, with ``load_async`` under asyncio, and through dask with
``chunks={}``), for orthogonal and vectorized selections, and for data trees of nested groups;
from files, from S3 (moto, the very files uploaded; by URL and options, and as an obstore
``S3Store``), and from every kind of store zarrbridge accepts. ``load_async`` overlaps the
reads of every variable (a Python store counts the calls in flight). Lazy variables pickle
without I/O, consolidated metadata opens a group with one request, and ``preferred_chunks`` is
the shard shape.
"""

from __future__ import annotations

import asyncio
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import zarr
import zarrbridge as zb
from obstore.store import S3Store
from pystores import AsyncDictStore, DictStore
from servers import S3Server
from test_xarray_dataset import dataset
from zarrbridge.store import python_store
from zarrbridge.xarray import ZarrbridgeBackendArray
from zarrbridge.zarr import ZarrStore

xr = pytest.importorskip("xarray")

pytestmark = [
    pytest.mark.filterwarnings("ignore:The data type .* does not have a Zarr V3"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore:.*consolidated metadata.*:UserWarning"),
    pytest.mark.filterwarnings("ignore:Failed to open Zarr store with consolidated"),
]

LAYOUTS = {
    "v2": {"zarr_format": 2, "consolidated": True},
    "v2-unconsolidated": {"zarr_format": 2, "consolidated": False},
    "v3": {"zarr_format": 3, "consolidated": True},
    "v3-unconsolidated": {"zarr_format": 3, "consolidated": False},
    "v3-sharded": {"zarr_format": 3, "consolidated": True, "sharded": True},
}


def full_dataset(sharded: bool = False) -> xr.Dataset:
    """The dataset of test_xarray_dataset plus a larger gridded variable with edge chunks."""
    ds = dataset()
    rng = np.random.default_rng(3)
    grid = rng.random((50, 30)).astype("float32")
    grid[3, 4] = np.nan
    ds["grid"] = (("y", "x"), grid, {"units": "K", "long_name": "a grid"})
    ds["grid"].encoding = {"chunks": (8, 7)}
    if sharded:
        ds["grid"].encoding = {"chunks": (8, 7), "shards": (16, 14)}
    ds["when"] = (("y",), pd.date_range("2001-01-01", periods=50, freq="D").values)
    ds["scalar"] = ((), np.float64(2.5), {"note": "0-d"})
    return ds


def write(path: Path, layout: str) -> Path:
    opts = dict(LAYOUTS[layout])
    ds = full_dataset(bool(opts.pop("sharded", False)))
    ds.to_zarr(path, mode="w", **opts)
    return path


@pytest.fixture(params=sorted(LAYOUTS), scope="module")
def written(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    layout = str(request.param)
    return write(tmp_path_factory.mktemp(layout) / "ds.zarr", layout)


def expected(path: Path, **kw: Any) -> xr.Dataset:
    return xr.open_dataset(path, engine="zarr", **kw).load()


def test_open_dataset_is_identical_to_the_zarr_engine(written: Path) -> None:
    got = xr.open_dataset(written, engine="zarrbridge")
    assert all(not isinstance(v._data, np.ndarray) for v in got.variables.values() if v.ndim > 1)
    xr.testing.assert_identical(got.load(), expected(written))


def test_load_async_under_asyncio_is_identical(written: Path) -> None:
    async def main() -> xr.Dataset:
        ds = xr.open_dataset(written, engine="zarrbridge")
        return await ds.load_async()

    xr.testing.assert_identical(asyncio.run(main()), expected(written))


def test_chunks_from_preferred_chunks_through_dask_are_identical(written: Path) -> None:
    got = xr.open_dataset(written, engine="zarrbridge", chunks={})
    array = zb.sync.open_array(str(written), "grid")
    assert got["grid"].encoding["preferred_chunks"] == dict(
        zip(("y", "x"), array.shards or array.chunks, strict=True)
    )
    assert got["grid"].data.chunksize == (array.shards or array.chunks)
    xr.testing.assert_identical(got.compute(), expected(written))


def test_undecoded_variables_are_identical(written: Path) -> None:
    kw = {"decode_cf": False}
    got = xr.open_dataset(written, engine="zarrbridge", **kw).load()
    xr.testing.assert_identical(got, expected(written, **kw))


def points(y: Any, x: Any, dims: Any = "p") -> dict[str, Any]:
    return {"y": xr.DataArray(y, dims=dims), "x": xr.DataArray(x, dims=dims)}


SELECTIONS: dict[str, dict[str, Any]] = {
    "outer": {"y": [49, 0, 7, 7, 20], "x": [3, 29, 1], "time": [5, 0], "station": [2, 0, 3]},
    "outer-negative-and-stepped": {"y": [-1, -50, 3], "x": slice(29, 0, -4), "time": [-2]},
    "outer-mask": {"y": np.arange(50) % 7 == 3, "station": [True, False, False, True]},
    "outer-empty": {"y": np.array([], dtype=int), "x": [1, 2]},
    "outer-int": {"y": [4, 2], "x": 5, "time": 0},
    "points": points([1, 40, 9, 49], [0, 29, 5, 5]),
    "points-2d": points([[1, 40], [9, -1]], [[0, 29], [5, 5]], ("p", "q")),
    # One 2-d indexer and a dimension left whole: a vectorized key with a slice in it.
    "points-and-a-slice": {"y": xr.DataArray([[3, 1], [40, 3]], dims=("p", "q"))},
    "points-stations": {
        "time": xr.DataArray([5, 0, 2], dims="p"),
        "station": xr.DataArray([3, 3, 0], dims="p"),
    },
    "basic": {"y": slice(45, 2, -3), "x": 4, "time": slice(1, 4)},
}


@pytest.mark.parametrize("name", sorted(SELECTIONS))
def test_orthogonal_and_vectorized_selections_are_identical(written: Path, name: str) -> None:
    selection = SELECTIONS[name]
    got = xr.open_dataset(written, engine="zarrbridge").isel(selection)
    ref = xr.open_dataset(written, engine="zarr").isel(selection).load()
    xr.testing.assert_identical(got.load(), ref)

    async def main() -> xr.Dataset:
        ds = xr.open_dataset(written, engine="zarrbridge").isel(selection)
        return await ds.load_async()

    xr.testing.assert_identical(asyncio.run(main()), ref)


def test_fixed_size_variables_take_outer_and_vectorized_keys_whole(tmp_path: Path) -> None:
    path = write(tmp_path / "f.zarr", "v3")
    group = zb.sync.open_group(str(path))
    support = {
        a.name: ZarrbridgeBackendArray(a).support
        for a in zb.sync.list_children(group)
        if isinstance(a, zb.Array)
    }
    fixed = {"grid", "temp", "count", "mask", "packed", "code", "station", "scalar", "when"}
    for name in fixed:
        assert support[name] is xr.core.indexing.IndexingSupport.VECTORIZED, name
    # read_orthogonal / read_vectorized take fixed-size data types only: text of any length
    # is read as the bounding slices and indexed in numpy.
    for name in ("label", "note"):
        assert support[name] is xr.core.indexing.IndexingSupport.BASIC, name


def grid_chunks_read(store: LoggingStore, ds: xr.Dataset) -> set[str]:
    store.keys.clear()
    ds["grid"].load()
    return {k for k in store.keys if k.startswith("grid/c/")}


def test_outer_and_vectorized_keys_read_only_the_chunks_they_touch(tmp_path: Path) -> None:
    # grid is 50x30 in 8x7 chunks (7x5 of them): the corners' bounding slices would be all 35.
    store = LoggingStore(write(tmp_path / "c.zarr", "v3"))
    ds = xr.open_dataset(python_store(store), engine="zarrbridge")
    corners = grid_chunks_read(store, ds.isel(y=[0, 49], x=[0, 29]))
    assert corners == {"grid/c/0/0", "grid/c/0/4", "grid/c/6/0", "grid/c/6/4"}
    diagonal = grid_chunks_read(store, ds.isel(points([0, 20, 49], [0, 15, 29])))
    assert diagonal == {"grid/c/0/0", "grid/c/2/2", "grid/c/6/4"}


def test_sharded_variables_prefer_the_shard_shape(tmp_path: Path) -> None:
    path = write(tmp_path / "s.zarr", "v3-sharded")
    ds = xr.open_dataset(path, engine="zarrbridge")
    assert ds["grid"].encoding["preferred_chunks"] == {"y": 16, "x": 14}
    assert ds["grid"].encoding["chunks"] == (8, 7)
    assert ds["grid"].encoding["shards"] == (16, 14)
    assert xr.open_dataset(path, engine="zarrbridge", chunks={})["grid"].data.chunksize == (16, 14)


def test_lazy_variables_pickle_without_reading_anything(tmp_path: Path) -> None:
    path = write(tmp_path / "p.zarr", "v3")
    ds = xr.open_dataset(path, engine="zarrbridge")
    with zb.io_stats() as stats:
        blob = pickle.dumps(ds)
        again = pickle.loads(blob)
    assert stats.total_requests == 0
    xr.testing.assert_identical(again.load(), expected(path))


class LoggingStore(DictStore):
    """Records the key of every read."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.data.update(files(path))
        self.keys: list[str] = []

    def get(self, path: str, **kw: Any) -> Any:
        self.keys.append(path)
        return super().get(path, **kw)

    def get_range(self, path: str, **kw: Any) -> Any:
        self.keys.append(path)
        return super().get_range(path, **kw)

    def get_ranges(self, path: str, **kw: Any) -> Any:
        self.keys.append(path)
        return super().get_ranges(path, **kw)


METADATA_KEYS = ("zarr.json", ".zmetadata", ".zarray", ".zgroup", ".zattrs")


@pytest.mark.parametrize(("layout", "fmt"), [("v3", None), ("v3", 3), ("v2", 2)])
def test_consolidated_metadata_opens_a_dataset_with_one_document_read(
    tmp_path: Path, layout: str, fmt: int | None
) -> None:
    # One document: zarr.json (v3) or .zmetadata (v2, given zarr_format=2). The only data
    # read are those xarray reads on open: index coordinates, and the first and last values
    # of a CF time variable ("when") to choose its dtype.
    store = LoggingStore(write(tmp_path / "c.zarr", layout))
    ds = xr.open_dataset(python_store(store), engine="zarrbridge", zarr_format=fmt)
    documents = ["zarr.json"] if layout == "v3" else [".zmetadata"]
    assert [k for k in store.keys if k.endswith(METADATA_KEYS)] == documents
    assert {k.split("/")[0] for k in store.keys if "/" in k} <= set(ds.indexes) | {"when"}


def test_consolidated_true_without_consolidated_metadata_is_a_metadata_error(
    tmp_path: Path,
) -> None:
    path = write(tmp_path / "u.zarr", "v3-unconsolidated")
    with pytest.raises(zb.errors.MetadataError):
        xr.open_dataset(path, engine="zarrbridge", consolidated=True)
    xr.testing.assert_identical(
        xr.open_dataset(path, engine="zarrbridge", consolidated=False).load(), expected(path)
    )


def test_fill_value_as_mask_follows_the_zarr_engine(tmp_path: Path) -> None:
    path = write(tmp_path / "m.zarr", "v3")
    for flag in (True, False):
        got = xr.open_dataset(path, engine="zarrbridge", use_zarr_fill_value_as_mask=flag)
        # xarray's zarr data store itself: the zarr engine's open_dataset (and so open_zarr)
        # does not pass the flag on to it.
        store = xr.backends.ZarrStore.open_group(
            str(path), mode="r", use_zarr_fill_value_as_mask=flag
        )
        ref = xr.open_dataset(store)
        xr.testing.assert_identical(got.load(), ref.load())


def nested(path: Path, zarr_format: int) -> Path:
    tree = xr.DataTree.from_dict(
        {
            "/": xr.Dataset(attrs={"title": "tree"}),
            "/a": full_dataset(),
            "/a/b": xr.Dataset({"z": (("k",), np.arange(5, dtype="int16"))}),
            "/c": xr.Dataset({"w": (("k",), np.linspace(0, 1, 5))}),
        }
    )
    tree.to_zarr(path, zarr_format=zarr_format, consolidated=True, mode="w")
    return path


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_open_datatree_and_groups_are_identical(tmp_path: Path, zarr_format: int) -> None:
    path = nested(tmp_path / "t.zarr", zarr_format)
    got = xr.open_datatree(path, engine="zarrbridge")
    xr.testing.assert_identical(got.load(), xr.open_datatree(path, engine="zarr").load())
    sub = xr.open_datatree(path, engine="zarrbridge", group="a")
    xr.testing.assert_identical(sub.load(), xr.open_datatree(path, engine="zarr", group="a").load())
    groups = xr.open_groups(path, engine="zarrbridge")
    assert sorted(groups) == sorted(xr.open_groups(path, engine="zarr"))
    one = xr.open_dataset(path, engine="zarrbridge", group="a/b")
    xr.testing.assert_identical(
        one.load(), xr.open_dataset(path, engine="zarr", group="a/b").load()
    )


def files(path: Path) -> dict[str, bytes]:
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in path.rglob("*") if p.is_file()}


def test_every_kind_of_store_gives_the_same_dataset(tmp_path: Path) -> None:
    path = write(tmp_path / "k.zarr", "v3")
    ref = expected(path)
    sync_dict, async_dict = DictStore(), AsyncDictStore()
    sync_dict.data.update(files(path))
    async_dict.sync.data.update(files(path))
    stores = {
        "path": path,
        "url": path.as_uri(),
        "Store": zb.Store.from_url(str(path)),
        "zarr LocalStore": zarr.storage.LocalStore(str(path)),
        "zarrbridge ZarrStore": ZarrStore(str(path)),
        "sync Python store": python_store(sync_dict),
        "async Python store": async_dict,
    }
    for name, store in stores.items():
        got = xr.open_dataset(store, engine="zarrbridge")
        try:
            xr.testing.assert_identical(got.load(), ref)
        except AssertionError as e:
            raise AssertionError(f"through {name}: {e}") from e


def test_load_async_reads_every_variable_at_once(tmp_path: Path) -> None:
    path = write(tmp_path / "a.zarr", "v3")
    store = AsyncDictStore(delay=0.05)
    store.sync.data.update(files(path))
    ds = xr.open_dataset(store, engine="zarrbridge")
    store.max_in_flight = 0

    async def main() -> xr.Dataset:
        return await ds.load_async()

    loaded = asyncio.run(main())
    xr.testing.assert_identical(loaded, expected(path))
    # Every data variable and coordinate that is not an index already in memory.
    lazy = [k for k, v in ds.variables.items() if k not in ds.indexes]
    assert store.max_in_flight >= len(lazy), (store.max_in_flight, lazy)


@pytest.mark.slow
@pytest.mark.parametrize("layout", ["v2", "v3-sharded"])
def test_from_s3_is_identical_to_the_zarr_engine_on_the_same_files(
    s3_server: S3Server, tmp_path: Path, layout: str
) -> None:
    path = write(tmp_path / "s3.zarr", layout)
    bucket = s3_server.new_bucket()
    client = s3_server.client()
    for key, value in files(path).items():
        client.put_object(Bucket=bucket, Key=f"ds.zarr/{key}", Body=value)
    options = s3_server.options()
    url = f"s3://{bucket}/ds.zarr"
    got = xr.open_dataset(url, engine="zarrbridge", storage_options=options)
    xr.testing.assert_identical(got.load(), expected(path))

    async def main() -> xr.Dataset:
        ds = xr.open_dataset(url, engine="zarrbridge", storage_options=options)
        return await ds.load_async()

    xr.testing.assert_identical(asyncio.run(main()), expected(path))
    chunked = xr.open_dataset(url, engine="zarrbridge", storage_options=options, chunks={})
    xr.testing.assert_identical(chunked.compute(), expected(path))
    config = options["config"]
    obstore_s3 = S3Store(
        bucket,
        prefix="ds.zarr",
        endpoint=config["endpoint"],
        access_key_id=config["access_key_id"],
        secret_access_key=config["secret_access_key"],
        region=config["region"],
        virtual_hosted_style_request=False,
        client_options={"allow_http": True},
    )
    got = xr.open_dataset(obstore_s3, engine="zarrbridge")
    xr.testing.assert_identical(got.load(), expected(path))


def test_storage_options_with_a_store_object_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "o.zarr", "v3")
    with pytest.raises(TypeError, match="storage_options"):
        xr.open_dataset(zb.Store.from_url(str(path)), engine="zarrbridge", storage_options={"a": 1})


def test_the_engine_is_never_guessed(tmp_path: Path) -> None:
    path = write(tmp_path / "g.zarr", "v3")
    assert xr.backends.list_engines()["zarrbridge"].guess_can_open(str(path)) is False
