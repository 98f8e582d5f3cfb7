"""dask on a process cluster with zarrbridge: shard-sized blocks read in Rust on the workers,
and a computed array stored shard by shard.

1. A sharded array is written with zarrbridge.
2. ``to_dask`` gives a dask array whose blocks are its shards; the graph carries the array
   handle (store declaration, path, metadata), so the workers read only data.
3. A computation is stored into another sharded array with ``store_dask``: each task writes
   whole shards, so no two workers ever write into the same shard. Blocks that would split
   shards are refused (``UnalignedWriteError``) unless ``lock=True``.

Usage: python examples/dask_cluster.py [DIRECTORY]   (default: a fresh temporary directory)
Workers are spawned processes that import this file again: everything runs under ``__main__``.
"""

import sys
import tempfile

import dask.array as da
import numpy as np
import zarrbridge as zb
from distributed import Client, LocalCluster
from zarrbridge.dask import store_dask, to_dask


def main(directory: str) -> None:
    store = zb.Store.from_url(directory)
    source = zb.sync.create_array(
        store,
        "elevation",
        shape=(2000, 3000),
        dtype="float32",
        chunks=(250, 250),
        shards=(1000, 1000),
        compressors={"name": "zstd"},
    )
    y, x = np.ogrid[:2000, :3000]
    source[...] = (np.sin(y / 200) * np.cos(x / 300) * 1000).astype("float32")

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster),
    ):
        elevation = to_dask(source)
        print("blocks:", elevation.chunksize, "=", source.shards, "(the shards)")
        print("mean elevation:", float(elevation.mean().compute()))

        slope = zb.sync.create_array(
            store,
            "slope",
            shape=source.shape,
            dtype="float32",
            chunks=(250, 250),
            shards=(500, 500),
        )
        gradient = np.hypot(*da.gradient(elevation))
        try:
            store_dask(gradient.rechunk((300, 300)), slope)
        except zb.errors.UnalignedWriteError as e:
            print("refused:", type(e).__name__, str(e).split("without a lock: ")[1].split(";")[0])
        store_dask(gradient.rechunk(slope.shards), slope)  # whole shards: no lock needed

    expected = np.hypot(*np.gradient(source[...]))
    np.testing.assert_allclose(slope[...], expected, rtol=1e-5, atol=1e-3)
    print("slope stored in", slope.grid_shape, "shards; max slope", float(slope[...].max()))


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(sys.argv[1])
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(tmp)
