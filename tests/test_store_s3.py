"""S3 stores against a real S3 server (moto, in its own process): the CRUD suite, sharded and
unsharded arrays, interop with zarr-python through obstore, every way of handing over a store,
and failures that must be typed and prompt."""

from __future__ import annotations

import pickle
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import obstore
import pytest
import zarr
import zarr.storage
import zarrbridge as zb
from servers import S3Server
from zarrbridge import sync as zbs
from zarrbridge.errors import InvalidOptionError, NodeNotFoundError, StoreError
from zarrbridge.store import as_store

LAYOUTS = [
    pytest.param({"zarr_format": 3, "chunks": (4, 3)}, id="v3"),
    pytest.param({"zarr_format": 3, "chunks": (2, 3), "shards": (4, 6)}, id="v3-sharded"),
    pytest.param({"zarr_format": 2, "chunks": (4, 3)}, id="v2"),
]


def s3_store(server: S3Server, bucket: str, prefix: str = "root") -> zb.Store:
    options = server.options()
    return zb.Store.from_url(f"s3://{bucket}/{prefix}", **options)


def obstore_store(server: S3Server, bucket: str, prefix: str = "root") -> Any:
    options = server.options()
    return obstore.store.S3Store(
        bucket, prefix=prefix, config=options["config"], client_options=options["client_options"]
    )


def keys_in(server: S3Server, bucket: str) -> list[str]:
    listing = server.client().list_objects_v2(Bucket=bucket)
    return sorted(o["Key"] for o in listing.get("Contents", []))


@pytest.mark.parametrize("layout", LAYOUTS)
def test_crud_suite_on_s3(s3_server: S3Server, layout: dict[str, Any]) -> None:
    bucket = s3_server.new_bucket()
    store = s3_store(s3_server, bucket)
    fmt = layout["zarr_format"]
    zbs.create_group(store, "", zarr_format=fmt, attributes={"title": "root"})
    arr = zbs.create_array(store, "g/a", shape=(13, 7), dtype="int32", fill_value=-1, **layout)
    data = np.arange(13 * 7, dtype="int32").reshape(13, 7)
    zbs.write_region(arr, (slice(0, 12), slice(None)), data[:12])
    expected = data.copy()
    expected[12:] = -1  # never written: reads as the fill value
    np.testing.assert_array_equal(zbs.read_region(arr), expected)
    np.testing.assert_array_equal(zbs.read_region(arr, (slice(11, 2, -3), 1)), expected[11:2:-3, 1])

    assert [c.path for c in zbs.list_children(store)] == ["g"]
    assert [c.path for c in zbs.list_children(store, "g")] == ["g/a"]
    arr = zbs.update_attributes(arr, {"units": "K"})
    assert zbs.read_metadata(store, "g/a")["attributes"] == {"units": "K"}
    reopened = zbs.open_array(store, "g/a")
    assert reopened.shape == (13, 7) and reopened.attrs == {"units": "K"}

    zbs.delete_node(store, "g")
    with pytest.raises(NodeNotFoundError):
        zbs.open_array(store, "g/a")
    assert all(not k.startswith("root/g/") for k in keys_in(s3_server, bucket))


@pytest.mark.parametrize("layout", LAYOUTS)
def test_zarr_python_reads_what_zarrbridge_wrote_on_s3(
    s3_server: S3Server, layout: dict[str, Any]
) -> None:
    bucket = s3_server.new_bucket()
    arr = zbs.create_array(
        s3_store(s3_server, bucket), "a", shape=(13, 7), dtype="float64", fill_value=0.5, **layout
    )
    data = np.random.default_rng(1).random((13, 7))
    zbs.write_region(arr, ..., data)
    theirs = zarr.open_array(
        zarr.storage.ObjectStore(obstore_store(s3_server, bucket), read_only=True), path="a"
    )
    np.testing.assert_array_equal(theirs[...], data)
    assert theirs.fill_value == 0.5


@pytest.mark.parametrize("layout", LAYOUTS)
def test_zarrbridge_reads_what_zarr_python_wrote_on_s3(
    s3_server: S3Server, layout: dict[str, Any]
) -> None:
    bucket = s3_server.new_bucket()
    theirs = zarr.create_array(
        zarr.storage.ObjectStore(obstore_store(s3_server, bucket)),
        name="a",
        shape=(13, 7),
        dtype="uint16",
        fill_value=7,
        **layout,
    )
    data = np.arange(13 * 7, dtype="uint16").reshape(13, 7)
    theirs[:] = data
    ours = zbs.open_array(s3_store(s3_server, bucket), "a")
    np.testing.assert_array_equal(zbs.read_region(ours), data)


def test_every_way_of_giving_an_s3_store_reaches_the_same_data(s3_server: S3Server) -> None:
    bucket = s3_server.new_bucket()
    arr = zbs.create_array(s3_store(s3_server, bucket), "a", shape=(4,), dtype="i2", chunks=(2,))
    zbs.write_region(arr, ..., np.array([1, 2, 3, 4], dtype="i2"))
    options = s3_server.options()
    given = {
        "obstore S3Store": obstore_store(s3_server, bucket),
        "zarr-python ObjectStore": zarr.storage.ObjectStore(obstore_store(s3_server, bucket)),
        "zarrbridge.store.S3Store": zb.store.S3Store(
            bucket,
            prefix="root",
            config=options["config"],
            client_options=options["client_options"],
        ),
    }
    for label, store in given.items():
        found = zbs.read_region(zbs.open_array(store, "a"))
        assert found.tolist() == [1, 2, 3, 4], f"{label}: read {found.tolist()}"


def test_fsspec_s3_store_maps_its_storage_options(s3_server: S3Server) -> None:
    pytest.importorskip("s3fs")
    bucket = s3_server.new_bucket()
    arr = zbs.create_array(s3_store(s3_server, bucket), "a", shape=(3,), dtype="u1")
    zbs.write_region(arr, ..., np.array([5, 6, 7], dtype="u1"))
    storage_options = {
        "key": "AKIATESTKEY0000",
        "secret": "test-secret-key",
        "client_kwargs": {"endpoint_url": s3_server.endpoint, "region_name": "us-east-1"},
    }
    fsspec_store = zarr.storage.FsspecStore.from_url(
        f"s3://{bucket}/root", storage_options=storage_options
    )
    assert as_store(fsspec_store).declaration["config"]["aws_access_key_id"] == "AKIATESTKEY0000"
    found = zbs.read_region(zbs.open_array(fsspec_store, "a"))
    assert found.tolist() == [5, 6, 7]

    unknown = zarr.storage.FsspecStore.from_url(
        f"s3://{bucket}/root", storage_options={**storage_options, "use_ssl": False}
    )
    with pytest.raises(InvalidOptionError, match="use_ssl"):
        zbs.open_array(unknown, "a")


def test_settings_come_from_the_environment_like_obstore(
    s3_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = s3_server.new_bucket()
    arr = zbs.create_array(s3_store(s3_server, bucket), "a", shape=(2,), dtype="u1")
    zbs.write_region(arr, ..., np.array([3, 4], dtype="u1"))
    for name, value in {
        "AWS_ENDPOINT": s3_server.endpoint,
        "AWS_ACCESS_KEY_ID": "AKIATESTKEY0000",
        "AWS_SECRET_ACCESS_KEY": "test-secret-key",
        "AWS_REGION": "us-east-1",
        "AWS_ALLOW_HTTP": "true",
    }.items():
        monkeypatch.setenv(name, value)
    from_env = zb.Store.from_url(f"s3://{bucket}/root")  # no options at all
    assert zbs.read_region(zbs.open_array(from_env, "a")).tolist() == [3, 4]


def test_pickled_s3_store_and_array_work_in_a_worker(s3_server: S3Server) -> None:
    bucket = s3_server.new_bucket()
    store = s3_store(s3_server, bucket)
    arr = zbs.create_array(store, "a", shape=(4,), dtype="u1")
    zbs.write_region(arr, ..., np.array([9, 8, 7, 6], dtype="u1"))
    clone = pickle.loads(pickle.dumps(arr))
    assert zbs.read_region(clone).tolist() == [9, 8, 7, 6]
    assert pickle.loads(pickle.dumps(store)) == store


def _python_calls_during(action: Callable[[], object]) -> list[tuple[str, str]]:
    """Every Python function called, on any thread, while `action` runs."""
    calls: list[tuple[str, str]] = []
    lock = threading.Lock()

    def profiler(frame: Any, event: str, arg: Any) -> None:
        if event == "call":
            with lock:
                calls.append((threading.current_thread().name, frame.f_code.co_qualname))

    threading.setprofile(profiler)
    sys.setprofile(profiler)
    try:
        action()
    finally:
        sys.setprofile(None)
        threading.setprofile(None)  # type: ignore[arg-type]
    return calls


def test_no_python_runs_on_the_data_path(s3_server: S3Server) -> None:
    bucket = s3_server.new_bucket()
    store = s3_store(s3_server, bucket)
    small = zbs.create_array(store, "small", shape=(8, 8), dtype="u2", chunks=(4, 4))
    large = zbs.create_array(store, "large", shape=(64, 64), dtype="u2", chunks=(4, 4))
    me = threading.current_thread().name

    def calls(arr: zb.Array) -> list[tuple[str, str]]:
        data = np.ones(arr.shape, dtype="u2")
        return _python_calls_during(
            lambda: (zbs.write_region(arr, ..., data), zbs.read_region(arr))
        )

    few, many = calls(small), calls(large)  # 4 chunks, then 256 chunks
    assert all(thread == me for thread, _ in many), (
        f"Python ran on other threads: {sorted({c for c in many if c[0] != me})}"
    )
    assert len(many) == len(few), (
        f"Python calls grew with the chunk count ({len(few)} for 4 chunks, {len(many)} for 256): "
        f"{sorted(set(many) - set(few))}"
    )


def test_missing_bucket_is_a_store_error(s3_server: S3Server) -> None:
    store = s3_store(s3_server, "zb-no-such-bucket")
    with pytest.raises(StoreError, match="zb-no-such-bucket"):
        zbs.open_array(store, "a")
    with pytest.raises(StoreError):
        zbs.create_group(store, "g")


@pytest.mark.parametrize(
    "endpoint", ["http://127.0.0.1:1", "http://name.invalid:9000"], ids=["refused", "bad-host"]
)
def test_unreachable_endpoint_fails_within_the_configured_timeouts(endpoint: str) -> None:
    store = zb.Store.from_url(
        "s3://bucket/p",
        endpoint=endpoint,
        access_key_id="AK",
        secret_access_key="SK",
        region="us-east-1",
        client_options={"allow_http": True, "connect_timeout": "1s", "timeout": "2s"},
        retry_config={"max_retries": 2, "retry_timeout": 3},
    )
    started = time.monotonic()
    with pytest.raises(StoreError) as info:
        zbs.open_array(store, "a")
    elapsed = time.monotonic() - started
    assert elapsed < 10, f"took {elapsed:.1f} s with a 3 s retry timeout"
    assert "s3://bucket/p" in str(info.value)


@pytest.mark.anyio
async def test_s3_async_api_overlaps_many_reads(s3_server: S3Server) -> None:
    bucket = s3_server.new_bucket()
    arr = await zb.create_array(
        s3_store(s3_server, bucket), "a", shape=(32, 32), dtype="i4", chunks=(8, 8)
    )
    data = np.arange(32 * 32, dtype="i4").reshape(32, 32)
    await zb.write_region(arr, ..., data)
    coords = [(i, j) for i in range(4) for j in range(4)]
    chunks = await zb.read_chunks(arr, coords)
    for (i, j), chunk in zip(coords, chunks, strict=True):
        np.testing.assert_array_equal(chunk, data[i * 8 : i * 8 + 8, j * 8 : j * 8 + 8])
