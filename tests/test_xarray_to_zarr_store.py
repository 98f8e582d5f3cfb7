"""xarray's ``to_zarr`` through ``zarrbridge.zarr.ZarrStore`` writes what it writes on a path.

zarr-python encodes in both cases, so the only difference is the store underneath: the files
written through ``ZarrStore`` are byte for byte those zarr-python's ``LocalStore`` writes
(metadata documents compared as parsed JSON: the order of keys is no part of the format; no
directory is left that ``LocalStore`` does not leave), and
``engine="zarr"`` reads back what it reads from the path (the original, but for CF packing's
rounding). Covered: Zarr v2
and v3, consolidated or not, sharded, overwriting an existing dataset (``mode="w"``, which
runs ``ZarrStore.delete_dir``), ``region=`` writes and ``append_dim=`` appends.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_xarray_engine import LAYOUTS, full_dataset
from zarrbridge.zarr import ZarrStore

xr = pytest.importorskip("xarray")

pytestmark = [
    pytest.mark.filterwarnings("ignore:The data type .* does not have a Zarr V3"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore:.*consolidated metadata.*:UserWarning"),
    pytest.mark.filterwarnings("ignore:Failed to open Zarr store with consolidated"),
]

METADATA = ("zarr.json", ".zmetadata", ".zarray", ".zgroup", ".zattrs")


def tree(path: Path) -> dict[str, Any]:
    """Every file below ``path``: parsed JSON for metadata documents, else the bytes."""
    out: dict[str, Any] = {}
    for p in sorted(path.rglob("*")):
        if p.is_file():
            key = p.relative_to(path).as_posix()
            out[key] = json.loads(p.read_bytes()) if key.endswith(METADATA) else p.read_bytes()
    return out


def dirs(path: Path) -> list[str]:
    return sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_dir())


def assert_same_files(ours: Path, theirs: Path) -> None:
    # Directories too: one left empty by a delete is listed as a child, which zarr-python
    # warns of as a node that is none.
    assert dirs(ours) == dirs(theirs), sorted(set(dirs(ours)) ^ set(dirs(theirs)))
    a, b = tree(ours), tree(theirs)
    assert sorted(a) == sorted(b), sorted(set(a) ^ set(b))
    differ = [k for k in a if a[k] != b[k]]
    assert not differ, f"files written differently through ZarrStore: {differ}"


def both(tmp_path: Path, write: Callable[[Any], None]) -> tuple[Path, Path]:
    """``write`` through ZarrStore and on a path (LocalStore); the two directories."""
    ours, theirs = tmp_path / "zarrstore.zarr", tmp_path / "local.zarr"
    write(ZarrStore(str(ours)))
    write(str(theirs))
    return ours, theirs


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_to_zarr_through_zarr_store_writes_the_files_a_path_gets(
    tmp_path: Path, layout: str
) -> None:
    opts = dict(LAYOUTS[layout])
    ds = full_dataset(bool(opts.pop("sharded", False)))
    ours, theirs = both(tmp_path, lambda store: ds.to_zarr(store, mode="w", **opts))
    assert_same_files(ours, theirs)
    got = xr.open_dataset(ours, engine="zarr").load()
    xr.testing.assert_identical(got, xr.open_dataset(theirs, engine="zarr").load())
    xr.testing.assert_allclose(got, ds, atol=0.005)  # "packed": int16 steps of 0.01


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_overwriting_a_dataset_through_zarr_store_leaves_only_the_new_one(
    tmp_path: Path, zarr_format: int
) -> None:
    old = full_dataset()
    new = xr.Dataset({"other": (("k",), np.arange(7.0))}, attrs={"v": 2})

    def write(store: Any) -> None:
        old.to_zarr(store, mode="w", zarr_format=zarr_format, consolidated=True)
        new.to_zarr(store, mode="w", zarr_format=zarr_format, consolidated=True)

    ours, theirs = both(tmp_path, write)
    assert_same_files(ours, theirs)
    xr.testing.assert_identical(xr.open_dataset(ours, engine="zarr").load(), new)


@pytest.mark.parametrize("layout", ["v2", "v3", "v3-sharded"])
def test_region_and_append_writes_through_zarr_store_match_a_path(
    tmp_path: Path, layout: str
) -> None:
    opts = dict(LAYOUTS[layout])
    ds = full_dataset(bool(opts.pop("sharded", False)))
    grid = ds[["grid"]]
    part = (grid.isel(y=slice(16, 32)) * 2).drop_vars("y", errors="ignore")
    more = grid.isel(y=slice(0, 10)) + 100

    def write(store: Any) -> None:
        grid.to_zarr(store, mode="w", **opts)
        part.to_zarr(store, region={"y": slice(16, 32)})
        more.to_zarr(store, append_dim="y")

    ours, theirs = both(tmp_path, write)
    assert_same_files(ours, theirs)
    expected = xr.concat(
        [grid.isel(y=slice(0, 16)), grid.isel(y=slice(16, 32)) * 2, grid.isel(y=slice(32, 50))],
        dim="y",
    )
    expected = xr.concat([expected, more], dim="y")
    got = xr.open_dataset(ours, engine="zarr").load()
    xr.testing.assert_identical(got, expected)
