"""dask over zarrbridge arrays, on a real distributed cluster of spawned worker processes.

- A sum over an S3 array (moto, behind the counting proxy of tests/wire.py) on
  ``LocalCluster(n_workers=2, threads_per_worker=1, processes=True)`` is right, and the workers
  read chunks only: no metadata document crosses the wire while it runs.
- A computed array stored into a sharded array, block per shard, reads back right through
  zarr-python; blocks that split shards are refused with ``UnalignedWriteError`` before anything
  is written, and written correctly with ``lock=True`` (distributed locks per shard).
- A distributed cluster of threads (one process), the threaded scheduler, dask's process pool
  with forked workers (after the parent has used zarrbridge), an asynchronous distributed
  client, and the ``dask-array`` package (threads and the process cluster).
- A store unpickled twice in one process is one store (one connection pool per worker).

Workers are spawned and import this module again: cluster code lives inside functions only.
"""

from __future__ import annotations

import asyncio
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr
import zarrbridge as zb
from servers import S3Server
from wire import CountingProxy, s3_kind
from zarrbridge.dask import store_dask, to_dask

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")

METADATA_KEYS = ("zarr.json", ".zarray", ".zgroup", ".zattrs", ".zmetadata")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as c:
        yield c


def data(shape: tuple[int, ...] = (120, 90)) -> np.ndarray:
    return np.random.default_rng(5).random(shape).astype("float32")


def sharded(store: Any, path: str, shape: tuple[int, ...] = (120, 90)) -> zb.Array:
    return zb.sync.create_array(
        store, path, shape=shape, dtype="float32", chunks=(10, 15), shards=(40, 45)
    )


def test_to_dask_blocks_are_shards_else_chunks(tmp_path: Path) -> None:
    a = sharded(str(tmp_path), "a")
    assert to_dask(a).chunksize == (40, 45)
    b = zb.sync.create_array(str(tmp_path), "b", shape=(100,), dtype="int8", chunks=30)
    assert to_dask(b).chunks == ((30, 30, 30, 10),)
    assert to_dask(b, chunks=50).chunks == ((50, 50),)
    assert to_dask(a).name == to_dask(zb.sync.open_array(str(tmp_path), "a")).name


@pytest.mark.slow
def test_sum_over_s3_on_a_process_cluster_reads_no_metadata_on_workers(
    s3_server: S3Server, cluster: Any
) -> None:
    host, port = s3_server.endpoint.removeprefix("http://").split(":")
    bucket = s3_server.new_bucket()
    values = data()
    options = s3_server.options()
    written = sharded(zb.Store.from_url(f"s3://{bucket}/d", **options), "a")
    written[...] = values
    with CountingProxy(host, int(port)) as proxy:
        options["config"]["endpoint"] = proxy.endpoint
        counted = zb.sync.open_array(zb.Store.from_url(f"s3://{bucket}/d", **options), "a")
        assert [e.path.rsplit("/", 1)[-1] for e in proxy.exchanges] == ["zarr.json"]
        proxy.reset()
        with distributed.Client(cluster) as client:
            total = to_dask(counted).sum(dtype="float64").compute()
            assert len(client.scheduler_info()["workers"]) == 2
        np.testing.assert_allclose(total, values.sum(dtype="float64"), rtol=1e-6)
        keys = [e.path for e in proxy.exchanges]
        assert keys, "the workers read nothing through the proxy"
        assert not [k for k in keys if k.endswith(METADATA_KEYS)], keys
        assert {s3_kind(e) for e in proxy.exchanges} <= {"get", "get_range"}
        # Every shard was read, by both workers' processes together.
        shards = {k.split("/a/", 1)[1] for k in keys}
        assert len(shards) == 3 * 2, shards


@pytest.mark.slow
def test_store_of_a_computed_array_into_a_sharded_array_on_a_process_cluster(
    tmp_path: Path, cluster: Any
) -> None:
    values = data()
    source = zb.sync.create_array(str(tmp_path), "src", shape=values.shape, dtype="float32")
    source[...] = values
    target = sharded(str(tmp_path), "dst")
    with distributed.Client(cluster):
        computed = np.sqrt(to_dask(source, chunks=(20, 45))) * 2 + 1
        store_dask(computed.rechunk(target.shards), target)
    expected = np.sqrt(values) * 2 + 1
    np.testing.assert_allclose(zarr.open_array(str(tmp_path / "dst"))[...], expected, rtol=1e-6)


@pytest.mark.slow
def test_blocks_splitting_shards_need_a_lock_and_are_right_with_one(
    tmp_path: Path, cluster: Any
) -> None:
    values = data()
    target = sharded(str(tmp_path), "t")
    split = da.from_array(values, chunks=(20, 30))  # 40x45 shards: split both ways
    before = sorted(p.name for p in (tmp_path / "t").rglob("*"))
    with pytest.raises(zb.errors.UnalignedWriteError, match="splits a stored chunk"):
        store_dask(split, target)
    assert sorted(p.name for p in (tmp_path / "t").rglob("*")) == before, "something was written"
    with distributed.Client(cluster):
        store_dask(split, target, lock=True)
    np.testing.assert_array_equal(target[...], values)


def test_a_region_aligned_to_shards_is_written_and_the_rest_untouched(tmp_path: Path) -> None:
    target = sharded(str(tmp_path), "r")
    block = data((40, 45))
    store_dask(da.from_array(block, chunks=(40, 45)), target, region=(slice(40, 80), slice(45, 90)))
    got = target[...]
    np.testing.assert_array_equal(got[40:80, 45:90], block)
    got[40:80, 45:90] = 0
    assert not got.any()
    with pytest.raises(zb.errors.UnalignedWriteError):
        store_dask(
            da.from_array(block, chunks=(40, 45)), target, region=(slice(39, 79), slice(0, 45))
        )
    with pytest.raises(ValueError, match="shape"):
        store_dask(da.from_array(block), target, region=(slice(0, 10), slice(0, 45)))


def test_edge_blocks_may_end_at_the_array_end(tmp_path: Path) -> None:
    target = zb.sync.create_array(
        str(tmp_path), "e", shape=(100,), dtype="int32", chunks=(10,), shards=(30,)
    )
    store_dask(da.arange(100, chunks=30, dtype="int32"), target)
    np.testing.assert_array_equal(target[...], np.arange(100))


def test_threaded_scheduler_and_forked_process_pool(tmp_path: Path) -> None:
    values = data()
    a = sharded(str(tmp_path), "a")
    a[...] = values  # the runtime is running in this process before the fork
    with dask.config.set(scheduler="threads"):
        np.testing.assert_array_equal(to_dask(a).compute(), values)
    with dask.config.set({"scheduler": "processes", "multiprocessing.context": "fork"}):
        total = to_dask(a).sum(dtype="float64").compute(num_workers=2)
        b = sharded(str(tmp_path), "b")
        store_dask(to_dask(a) * 3, b, num_workers=2)
    np.testing.assert_allclose(total, values.sum(dtype="float64"), rtol=1e-6)
    np.testing.assert_array_equal(b[...], values * 3)


@pytest.mark.slow
def test_a_threaded_distributed_cluster_reads_and_stores(tmp_path: Path) -> None:
    values = data()
    a = sharded(str(tmp_path), "a")
    a[...] = values
    b = sharded(str(tmp_path), "b")
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as threads,
        distributed.Client(threads),
    ):
        store_dask(to_dask(a) - 1, b)
        total = float(to_dask(b).sum(dtype="float64").compute())
    np.testing.assert_array_equal(zarr.open_array(str(tmp_path / "b"))[...], values - 1)
    np.testing.assert_allclose(total, (values - 1).sum(dtype="float64"), rtol=1e-6)


@pytest.mark.slow
def test_an_asynchronous_client_awaits_a_store(tmp_path: Path, cluster: Any) -> None:
    values = data()
    a = sharded(str(tmp_path), "a")
    a[...] = values
    b = sharded(str(tmp_path), "b")

    async def main() -> float:
        async with distributed.Client(cluster.scheduler_address, asynchronous=True) as client:
            await client.compute(store_dask(to_dask(a) + 1, b, compute=False))
            return float(await client.compute(to_dask(b).sum(dtype="float64")))

    total = asyncio.run(main())
    np.testing.assert_array_equal(b[...], values + 1)
    np.testing.assert_allclose(total, (values + 1).sum(dtype="float64"), rtol=1e-6)


def test_dask_array_package_reads_and_stores(tmp_path: Path) -> None:
    dask_array = pytest.importorskip("dask_array")
    values = data()
    a = sharded(str(tmp_path), "a")
    a[...] = values
    x = to_dask(a, module=dask_array)
    assert type(x).__module__.startswith("dask_array")
    np.testing.assert_allclose(float(x.sum().compute()), values.sum(dtype="float64"), rtol=1e-5)
    b = sharded(str(tmp_path), "b")
    store_dask(x * 2, b)
    np.testing.assert_array_equal(zarr.open_array(str(tmp_path / "b"))[...], values * 2)


@pytest.mark.slow
def test_dask_array_package_on_a_process_cluster(tmp_path: Path, cluster: Any) -> None:
    dask_array = pytest.importorskip("dask_array")
    values = data()
    a = sharded(str(tmp_path), "a")
    a[...] = values
    b = sharded(str(tmp_path), "b")
    with distributed.Client(cluster):
        x = to_dask(a, module=dask_array)
        total = float(x.sum(dtype="float64").compute())
        with pytest.raises(zb.errors.UnalignedWriteError):
            store_dask(x.rechunk((20, 45)), b)
        store_dask(x + 5, b)
    np.testing.assert_allclose(total, values.sum(dtype="float64"), rtol=1e-6)
    np.testing.assert_array_equal(zarr.open_array(str(tmp_path / "b"))[...], values + 5)


def test_a_store_unpickled_twice_in_one_process_is_one_store(tmp_path: Path) -> None:
    a = sharded(str(tmp_path), "a")
    first, second = pickle.loads(pickle.dumps(a)), pickle.loads(pickle.dumps(a))
    assert first.store is second.store
    graph = pickle.loads(pickle.dumps(to_dask(a)))
    assert graph.sum().compute() == 0


def test_to_dask_refuses_what_is_not_a_zarrbridge_array() -> None:
    with pytest.raises(TypeError, match=r"zarrbridge\.Array"):
        to_dask(np.zeros(3))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"zarrbridge\.Array"):
        store_dask(da.zeros(3), np.zeros(3))  # type: ignore[arg-type]
