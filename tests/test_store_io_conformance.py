"""One store conformance suite for every kind of store: the raw key I/O of a zarrbridge ``Store``
(obspec's methods) over memory, file, S3 (moto), HTTP (WebDAV), a sync Python store, an async
Python store, obstore's ``MemoryStore`` and zarr-python's ``MemoryStore`` (both through the
async adapter). Python stores are so tested through the adapters, as zarrs uses them."""

from __future__ import annotations

import uuid
from pathlib import Path

import obstore
import pytest
import zarr.storage
import zarrbridge as zb
from pystores import AsyncDictStore, DictStore
from servers import S3Server, WebDavServer
from zarrbridge.errors import StoreError
from zarrbridge.store import as_store

KINDS = ["memory", "file", "s3", "http", "sync-python", "async-python", "obstore", "zarr-memory"]


def make_store(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> zb.Store:
    if kind == "memory":
        return zb.Store.from_url(f"memory://conformance-{uuid.uuid4().hex}")
    if kind == "file":
        return zb.Store.from_url(str(tmp_path / "store"))
    if kind == "s3":
        s3: S3Server = request.getfixturevalue("s3_server")
        return zb.Store.from_url(f"s3://{s3.new_bucket()}/root", **s3.options())
    if kind == "http":
        dav: WebDavServer = request.getfixturevalue("webdav_server")
        url, _ = dav.new_dir()
        return zb.Store.from_url(url + "/", client_options={"allow_http": True})
    if kind == "sync-python":
        return as_store(DictStore())
    if kind == "async-python":
        return as_store(AsyncDictStore())
    if kind == "obstore":
        return as_store(obstore.store.MemoryStore())
    if kind == "zarr-memory":
        return as_store(zarr.storage.MemoryStore())
    raise AssertionError(kind)


@pytest.fixture(params=KINDS)
def raw(request: pytest.FixtureRequest, tmp_path: Path) -> zb.Store:
    return make_store(request.param, request, tmp_path)


def keys(store: zb.Store, prefix: str | None = None) -> list[str]:
    return sorted(m["path"] for chunk in store.list(prefix) for m in chunk)


def test_missing_key_raises_file_not_found_for_every_read(raw: zb.Store) -> None:
    with pytest.raises(FileNotFoundError):
        raw.get("absent")
    with pytest.raises(FileNotFoundError):
        raw.get_range("absent", start=0, end=1)
    with pytest.raises(FileNotFoundError):
        raw.get_ranges("absent", starts=[0], ends=[1])
    with pytest.raises(FileNotFoundError):
        raw.head("absent")


def test_put_then_get_returns_the_same_bytes_and_size(raw: zb.Store) -> None:
    raw.put("a/b/value", b"hello world")
    assert raw.get("a/b/value").bytes() == b"hello world"
    assert bytes(memoryview(raw.get("a/b/value").buffer())) == b"hello world"
    assert raw.head("a/b/value")["size"] == 11


def test_empty_value_round_trips(raw: zb.Store) -> None:
    raw.put("empty", b"")
    assert raw.get("empty").bytes() == b""
    assert raw.head("empty")["size"] == 0
    assert keys(raw) == ["empty"]


def test_ranges_bounded_suffix_past_end_and_many(raw: zb.Store) -> None:
    raw.put("r", bytes(range(100)))
    assert bytes(raw.get_range("r", start=10, end=20)) == bytes(range(10, 20))
    assert bytes(raw.get_range("r", start=95, length=3)) == bytes(range(95, 98))
    # A range ending past the value returns what there is.
    assert bytes(raw.get_range("r", start=90, end=200)) == bytes(range(90, 100))
    assert bytes(raw.get_suffix("r", 5)) == bytes(range(95, 100))
    assert bytes(raw.get_suffix("r", 500)) == bytes(range(100))
    parts = raw.get_ranges("r", starts=[0, 50, 99], lengths=[2, 0, 1])
    assert [bytes(p) for p in parts] == [b"\x00\x01", b"", b"\x63"]


def test_range_starting_past_the_end_is_a_store_error(raw: zb.Store) -> None:
    raw.put("r", b"abc")
    with pytest.raises(StoreError, match="past the end"):
        raw.get_range("r", start=10, end=12)


def test_overwrite_replaces_the_value(raw: zb.Store) -> None:
    raw.put("k", b"first value, longer")
    raw.put("k", b"second")
    assert raw.get("k").bytes() == b"second"
    assert raw.head("k")["size"] == 6


def test_delete_removes_and_deleting_absent_keys_is_fine(raw: zb.Store) -> None:
    raw.put("d/1", b"1")
    raw.put("d/2", b"2")
    raw.delete("d/1")
    raw.delete("never/was")
    with pytest.raises(FileNotFoundError):
        raw.get("d/1")
    assert keys(raw) == ["d/2"]
    raw.delete(["d/2"])
    assert keys(raw) == []


def test_listing_recursive_and_one_level_with_prefixes(raw: zb.Store) -> None:
    for key in ["top", "a/x", "a/y", "a/b/z", "ab/w"]:
        raw.put(key, key.encode())
    assert keys(raw) == ["a/b/z", "a/x", "a/y", "ab/w", "top"]
    # A prefix is a directory: "a" never matches "ab/...".
    assert keys(raw, "a") == ["a/b/z", "a/x", "a/y"]
    assert keys(raw, "a/") == ["a/b/z", "a/x", "a/y"]
    assert keys(raw, "nothing") == []
    root = raw.list_with_delimiter()
    assert sorted(root["common_prefixes"]) == ["a", "ab"]
    assert [o["path"] for o in root["objects"]] == ["top"]
    level = raw.list_with_delimiter("a")
    assert sorted(level["common_prefixes"]) == ["a/b"]
    assert sorted(o["path"] for o in level["objects"]) == ["a/x", "a/y"]
    assert {o["path"]: o["size"] for o in level["objects"]} == {"a/x": 3, "a/y": 3}


def test_large_value_round_trips(raw: zb.Store) -> None:
    value = bytes(uuid.uuid4().bytes * (3 * 2**20 // 16))  # 3 MiB
    raw.put("big", value)
    assert raw.get("big").bytes() == value
    assert bytes(raw.get_range("big", start=2**20, length=10)) == value[2**20 : 2**20 + 10]


def test_unicode_keys(raw: zb.Store) -> None:
    raw.put("ünï/cødé/ключ", b"u")
    assert raw.get("ünï/cødé/ключ").bytes() == b"u"
    assert keys(raw, "ünï") == ["ünï/cødé/ключ"]


@pytest.mark.anyio
async def test_async_twins_agree_with_the_sync_methods(raw: zb.Store) -> None:
    await raw.put_async("x/1", b"one")
    assert (await raw.get_async("x/1")).bytes() == b"one"
    assert bytes(await raw.get_range_async("x/1", start=1, end=3)) == b"ne"
    parts = await raw.get_ranges_async("x/1", starts=[0, 2], ends=[1, 3])
    assert [bytes(p) for p in parts] == [b"o", b"e"]
    assert (await raw.head_async("x/1"))["size"] == 3
    listing = await raw.list_with_delimiter_async()
    assert listing["common_prefixes"] == ["x"]
    found = [m["path"] async for chunk in raw.list_async("x") for m in chunk]
    assert found == ["x/1"]
    await raw.delete_async("x/1")
    with pytest.raises(FileNotFoundError):
        await raw.get_async("x/1")
