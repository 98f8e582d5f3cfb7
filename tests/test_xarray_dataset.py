"""An ordinary xarray dataset, both ways, Zarr v2 and v3, with consolidated metadata.

The dataset has a float32 and an int32 variable, a bool mask, a CF-packed variable (int16 with
``scale_factor``, ``add_offset`` and ``_FillValue``), a datetime coordinate and a timedelta
variable (CF-encoded by xarray), a station coordinate of Python strings (fixed-width ``U``), a
label of Python strings (object: variable-length), free text of any length, and a 3-byte code
(``S3``: ``null_terminated_bytes`` in v3).

- xarray + zarr-python write it; zarrbridge lists the root and reads every variable identically
  to zarr-python (values and dtype).
- zarrbridge writes the same arrays (data type, chunks, fill value, attributes, dimension names)
  and xarray + zarr-python read back a dataset identical to the original.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import zarr
import zarrbridge as zb
from zarrbridge import sync as zbs

xr = pytest.importorskip("xarray")

pytestmark = [
    pytest.mark.filterwarnings("ignore:The data type .* does not have a Zarr V3"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore:.*consolidated metadata.*:UserWarning"),
]


def dataset() -> xr.Dataset:
    rng = np.random.default_rng(12)
    time = pd.date_range("2020-01-01", periods=6, freq="6h")
    stations = ["alpha", "beta", "gamma", "δέλτα"]
    ds = xr.Dataset(
        {
            "temp": (("time", "station"), rng.random((6, 4)).astype("float32")),
            "count": (("time", "station"), np.arange(24, dtype="int32").reshape(6, 4)),
            "mask": (("time", "station"), rng.random((6, 4)) > 0.5),
            "packed": (("time", "station"), rng.random((6, 4)) * 10),
            "label": (("station",), np.array(["north", "", "süd 🎉", "a\0b"], dtype=object)),
            "note": (("time",), np.array(["x" * i for i in range(6)], dtype=object)),
            "code": (("station",), np.array([b"abc", b"de", b"f", b""], dtype="S3")),
            "lag": (("time",), np.array([1, 2, 3, 4, 5, 6], dtype="m8[s]")),
        },
        coords={"time": time, "station": stations},
        attrs={"title": "a dataset", "version": 2},
    )
    ds["packed"].encoding = {
        "dtype": "int16",
        "scale_factor": 0.01,
        "add_offset": 1.0,
        "_FillValue": -9999,
    }
    ds["packed"][0, 0] = np.nan
    return ds


@pytest.fixture(params=[2, 3], ids=["v2", "v3"])
def zarr_format(request: pytest.FixtureRequest) -> int:
    return int(request.param)


@pytest.fixture
def written_by_xarray(tmp_path: Path, zarr_format: int) -> Path:
    path = tmp_path / "xr.zarr"
    dataset().to_zarr(path, zarr_format=zarr_format, consolidated=True)
    return path


def test_zarrbridge_lists_and_reads_every_variable_xarray_wrote(written_by_xarray: Path) -> None:
    group = zarr.open_group(str(written_by_xarray), mode="r")
    expected_names = sorted(group.array_keys())
    children = zbs.list_children(str(written_by_xarray))
    assert sorted(c.name for c in children) == expected_names
    assert zbs.open_group(str(written_by_xarray)).attrs == dict(group.attrs)
    for child in children:
        assert isinstance(child, zb.Array)
        theirs = group[child.name][...]
        ours = zbs.read_region(child)
        assert ours.dtype == theirs.dtype, (
            f"{child.name}: {ours.dtype} vs zarr-python's {theirs.dtype}"
        )
        assert ours.tolist() == theirs.tolist() or np.array_equal(ours, theirs, equal_nan=True), (
            f"{child.name}: zarrbridge read {ours!r}, zarr-python {theirs!r}"
        )
        assert child.attrs == dict(group[child.name].attrs), f"{child.name}: attributes differ"


def copy_through_zarrbridge(source: Path, target: Path, zarr_format: int) -> None:
    """Write every array of ``source`` anew with zarrbridge's keywords (no metadata copied)."""
    group = zarr.open_group(str(source), mode="r")
    zbs.create_group(str(target), "", zarr_format=zarr_format, attributes=dict(group.attrs))
    for name in group.array_keys():
        za = group[name]
        data = za[...]
        extra = {}
        if zarr_format == 3:
            extra["dimension_names"] = za.metadata.dimension_names
        # v2: no fill value where xarray wrote none (xarray reads a v2 fill value as _FillValue)
        fill = za.metadata.fill_value if zarr_format == 2 else za.fill_value
        arr = zbs.create_array(
            str(target),
            name,
            shape=za.shape,
            chunks=za.chunks,
            dtype=data.dtype,
            fill_value=fill,
            attributes=dict(za.attrs),
            zarr_format=zarr_format,
            **extra,
        )
        zbs.write_region(arr, ..., data)


def test_xarray_reads_the_dataset_zarrbridge_wrote_identically(
    written_by_xarray: Path, tmp_path: Path, zarr_format: int
) -> None:
    ours = tmp_path / "zb.zarr"
    copy_through_zarrbridge(written_by_xarray, ours, zarr_format)
    expected = xr.open_zarr(written_by_xarray, zarr_format=zarr_format).load()
    got = xr.open_zarr(ours, zarr_format=zarr_format, consolidated=False).load()
    xr.testing.assert_identical(got, expected)
