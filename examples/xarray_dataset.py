"""xarray with zarrbridge: open with engine="zarrbridge", and the fastest correct way to write
regions and appends.

1. xarray + zarr-python write a dataset (CF-packed, with times) through
   ``zarrbridge.zarr.ZarrStore``, so zarr-python's I/O runs in Rust.
2. ``xr.open_dataset(..., engine="zarrbridge")``: lazy variables read in Rust; ``chunks={}``
   gives dask chunks of the stored shards; ``await ds.load_async()`` reads every variable at
   once.
3. Region writes: xarray's own CF encoding (``encode_zarr_variable``, with the encodings of the
   stored variables) on threads, and ``zarrbridge.write_region`` of each variable as soon as it
   is encoded: the data never passes through zarr-python's codecs (benches/xarray_dask.py,
   case ``region``: 1.5x ``to_zarr(region=...)``, 1.1x with the zarrs pipeline).
4. Appends: xarray resizes the arrays and writes the new index values (``to_zarr(append_dim=...,
   compute=False)`` on a dask-backed dataset writes metadata only), then the data goes in as a
   region write (3).

Every result is checked against ``engine="zarr"``. Usage: python examples/xarray_dataset.py [DIR]
"""

import asyncio
import sys
import tempfile
import time
import warnings

import numpy as np
import pandas as pd
import xarray as xr
import zarrbridge as zb
from xarray.backends.zarr import encode_zarr_variable
from zarrbridge.zarr import ZarrStore

warnings.filterwarnings("ignore", message=".*consolidated.*")


def make(start: str, hours: int) -> xr.Dataset:
    """A day-by-hour temperature and pressure dataset over a 180 x 360 grid."""
    rng = np.random.default_rng(hours)
    time_ = pd.date_range(start, periods=hours, freq="h")
    shape = (hours, 180, 360)
    t, lat, lon = np.ogrid[:hours, :180, :360]
    field = np.sin(lat / 30 + t / 12) + np.cos(lon / 45)  # smooth, as weather is
    ds = xr.Dataset(
        {
            "t2m": (
                ("time", "lat", "lon"),
                285 + 10 * field + rng.normal(0, 0.1, shape),
                {"units": "K"},
            ),
            "sp": (("time", "lat", "lon"), (1e5 + 800 * field).astype("float32"), {"units": "Pa"}),
        },
        coords={"time": time_, "lat": np.linspace(-89.5, 89.5, 180)},
    )
    # CF packing into int16, as netCDF users do.
    ds["t2m"].encoding = {
        "dtype": "int16",
        "scale_factor": 0.01,
        "add_offset": 280.0,
        "_FillValue": -32768,
        "chunks": (24, 90, 90),
        "shards": (24, 180, 360),
    }
    ds["sp"].encoding = {"chunks": (24, 90, 90), "shards": (24, 180, 360)}
    return ds


async def write_dataset_region(url: str, part: xr.Dataset, region: dict[str, slice]) -> None:
    """Write ``part`` into the stored dataset at ``region``: each variable CF-encoded by xarray
    (with the stored variable's encoding) on a thread, and written by zarrbridge as soon as it
    is encoded, every variable at once."""
    stored = xr.open_dataset(url, engine="zarrbridge")
    group = await zb.open_group(url)

    async def write(name: str, var: xr.Variable) -> None:
        var = var.copy(deep=False)
        var.encoding = dict(stored[name].encoding)  # units, scale_factor, _FillValue, dtype
        encoded = await asyncio.to_thread(encode_zarr_variable, var, name=name)
        selection = tuple(region.get(dim, slice(None)) for dim in var.dims)
        await zb.write_region(await zb.open_node(group, name), selection, encoded.values)

    await asyncio.gather(*(write(str(name), v.variable) for name, v in part.data_vars.items()))


async def main(directory: str) -> None:
    url = f"{directory}/weather.zarr"
    first = make("2026-01-01", 48)
    first.to_zarr(ZarrStore(url), zarr_format=3, consolidated=True, mode="w")

    # Read: lazy, in Rust; chunks={} follows the shards.
    ds = xr.open_dataset(url, engine="zarrbridge", chunks={})
    print(ds)
    print("dask chunks of t2m:", ds["t2m"].data.chunksize)
    loaded = await xr.open_dataset(url, engine="zarrbridge").load_async()
    xr.testing.assert_identical(loaded, xr.open_dataset(url, engine="zarr").load())

    # Region write: replace the second day.
    day2 = make("2026-01-02", 24)
    t0 = time.perf_counter()
    await write_dataset_region(url, day2.drop_vars("time"), {"time": slice(24, 48)})
    ours = time.perf_counter() - t0
    expected = xr.concat([first.isel(time=slice(0, 24)), day2], dim="time")
    got = xr.open_dataset(url, engine="zarr").load()
    xr.testing.assert_allclose(got, expected, atol=0.006)  # int16 packing: 0.01 K steps

    # The same through xarray + zarr-python (region=), for comparison.
    t0 = time.perf_counter()
    day2.drop_vars(["time", "lat"]).to_zarr(ZarrStore(url), region={"time": slice(24, 48)})
    theirs = time.perf_counter() - t0
    xr.testing.assert_identical(xr.open_dataset(url, engine="zarr").load(), got)
    print(f"region write: zarrbridge {ours:.3f} s, to_zarr(region=...) {theirs:.3f} s")

    # Append a third day: xarray resizes (metadata and the time index), zarrbridge writes data.
    day3 = make("2026-01-03", 24)
    day3.chunk().to_zarr(ZarrStore(url), append_dim="time", compute=False)
    await write_dataset_region(url, day3.drop_vars(["time", "lat"]), {"time": slice(48, 72)})
    got = xr.open_dataset(url, engine="zarrbridge").load()
    assert got.sizes["time"] == 72
    xr.testing.assert_allclose(got.isel(time=slice(48, 72)), day3, atol=0.006)
    xr.testing.assert_identical(got, xr.open_dataset(url, engine="zarr").load())
    print("appended: time runs", str(got.time.values[0])[:13], "to", str(got.time.values[-1])[:13])


if __name__ == "__main__":
    if len(sys.argv) > 1:
        asyncio.run(main(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            asyncio.run(main(tmp))
