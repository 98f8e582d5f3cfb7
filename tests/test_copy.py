"""copy: an array or a whole group between any two stores (memory, file, a store written in
Python, a zarr-python store, S3 on moto). Kept codecs copy every stored chunk byte for byte
(compared with the source's raw values); new chunks, shards, compressors or format re-encode,
and zarr-python reads every copy identically. Consolidated metadata is written again for the
copy; ``resume`` copies only what is missing (a Python store logs the writes); existing nodes
are refused unless ``overwrite``; bad changes fail before anything is written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr
import zarrbridge as zb
from conftest import Api
from pystores import DictStore
from servers import S3Server
from zarr.codecs import BloscCodec, GzipCodec, ZstdCodec
from zarrbridge import sync as zbs
from zarrbridge.errors import MetadataError, NodeExistsError
from zarrbridge.store import python_store


def raw_values(store: zb.Store, prefix: str) -> dict[str, bytes]:
    """Every key below ``prefix`` (relative to it) and its stored bytes."""
    out = {}
    for page in store.list(prefix):
        for meta in page:
            out[meta["path"][len(prefix) :]] = store.get(meta["path"]).bytes()
    return out


def chunk_values(store: zb.Store, prefix: str) -> dict[str, bytes]:
    return {
        k: v
        for k, v in raw_values(store, prefix).items()
        if k.rsplit("/", 1)[-1] not in ("zarr.json", ".zarray", ".zattrs", ".zgroup")
    }


def filled(store: zb.Store, path: str, **kw: Any) -> tuple[zb.Array, np.ndarray]:
    kw.setdefault("shape", (30, 20))
    kw.setdefault("dtype", "float64")
    kw.setdefault("chunks", (8, 8))
    arr = zbs.create_array(store, path, fill_value=-1, **kw)
    data = np.arange(np.prod(kw["shape"]), dtype=kw["dtype"]).reshape(kw["shape"])
    data[:8, :8] = -1  # one chunk of fill values: not stored
    arr[:] = data
    return arr, data


@pytest.mark.anyio
@pytest.mark.parametrize("target", ["memory", "file", "sync_python", "zarr_python", "obstore"])
async def test_kept_codecs_copy_stored_chunks_byte_for_byte(
    api: Api, store_dir: Path, target: str, request: pytest.FixtureRequest
) -> None:
    source_store = zb.Store.from_url(f"memory://copy-src-{request.node.name}")
    src, data = filled(source_store, "a", shards=(16, 16), chunks=(8, 8))
    dest: Any
    if target == "zarr_python":
        dest = zarr.storage.LocalStore(store_dir)
    elif target == "obstore":
        import obstore.store

        dest = obstore.store.LocalStore(store_dir)
    else:
        dest = request.getfixturevalue(f"{target}_store")
    copied = await api.copy(src, dest, "x/y")
    assert isinstance(copied, zb.Array) and copied.metadata == src.metadata
    copied_store = zb.store.as_store(dest)
    source_chunks = chunk_values(source_store, "a/")
    assert chunk_values(copied_store, "x/y/") == source_chunks and len(source_chunks) == 4
    np.testing.assert_array_equal(await api.read_region(copied), data)
    if target in ("file", "zarr_python", "obstore"):
        z = zarr.open_array(zarr.storage.LocalStore(store_dir), path="x/y", mode="r")
        np.testing.assert_array_equal(z[:], data)


@pytest.mark.parametrize(
    "changes",
    [
        {"chunks": (5, 7), "shards": None},
        {"shards": (16, 24), "chunks": (4, 8)},
        {"compressors": BloscCodec(cname="lz4")},
        {"compressors": None, "filters": None},
        {"zarr_format": 2, "chunks": 6, "shards": None},
    ],
    ids=repr,
)
def test_new_codecs_re_encode_and_read_identically_in_zarr_python(
    store_dir: Path, file_store: zb.Store, memory_store: zb.Store, changes: dict[str, Any]
) -> None:
    src, data = filled(memory_store, "a", shards=(16, 16), chunks=(8, 8), dimension_names=None)
    copied = zbs.copy(src, file_store, "b", **changes)
    z = zarr.open_array(zarr.storage.LocalStore(store_dir), path="b", mode="r")
    np.testing.assert_array_equal(z[:], data)
    assert z.fill_value == -1
    if "chunks" in changes:
        chunks = changes["chunks"]
        assert copied.chunks == (chunks, chunks) if isinstance(chunks, int) else chunks
    if "shards" in changes:
        assert copied.shards == changes["shards"]
    assert copied.zarr_format == changes.get("zarr_format", 3)
    # A chunk of fill values is not stored in the copy either.
    assert not (np.asarray(zbs.read_region(copied, (slice(0, 4), slice(0, 4)))) != -1).any()


def test_groups_copy_recursively_with_attributes_and_consolidated_metadata(
    store_dir: Path, file_store: zb.Store, memory_store: zb.Store
) -> None:
    zbs.create_group(memory_store, "", attributes={"title": "root"})
    zbs.create_group(memory_store, "g/h", attributes={"deep": True})
    expected = {}
    for path in ("a", "g/b", "g/h/c"):
        _, expected[path] = filled(memory_store, path, shape=(9, 9), chunks=(4, 4))
    zbs.consolidate_metadata(memory_store)
    root = zbs.open_group(memory_store, "", use_consolidated=True)
    copied = zbs.copy(root, file_store, "copy", compressors=GzipCodec())
    assert isinstance(copied, zb.Group)
    zroot = zarr.open_group(zarr.storage.LocalStore(store_dir), path="copy", use_consolidated=True)
    assert zroot.attrs["title"] == "root" and zroot["g/h"].attrs["deep"] is True
    for path, data in expected.items():
        z = zroot[path]
        np.testing.assert_array_equal(z[:], data)
        assert any(type(c).__name__ == "GzipCodec" for c in z.compressors), path
    # Without consolidated metadata the source is listed; the copy has none either.
    plain = zbs.open_group(memory_store, "g", use_consolidated=False)
    copied = zbs.copy(plain, file_store, "plain")
    assert not (store_dir / "plain" / "zarr.json").read_text().count("consolidated_metadata")
    np.testing.assert_array_equal(zbs.open_array(file_store, "plain/h/c")[:], expected["g/h/c"])


class Unlisted(DictStore):
    """A store that cannot list (as a plain HTTP server)."""

    def list(self, prefix: str | None = None, *, offset: str | None = None) -> Any:
        raise NotImplementedError("no listing here")

    def list_with_delimiter(self, prefix: str | None = None) -> Any:
        raise NotImplementedError("no listing here")


def test_a_source_that_cannot_list_is_asked_for_every_chunk(memory_store: zb.Store) -> None:
    unlisted = Unlisted()
    src, data = filled(python_store(unlisted), "a")
    copied = zbs.copy(src, memory_store, "b")
    np.testing.assert_array_equal(copied[:], data)
    assert chunk_values(memory_store, "b/") == {
        k[2:]: v for k, v in unlisted.data.items() if k.startswith("a/c/")
    }


class LoggedPuts(DictStore):
    def __init__(self) -> None:
        super().__init__()
        self.puts: list[str] = []

    def put(self, path: str, file: Any, **kwargs: Any) -> dict[str, Any]:
        self.puts.append(path)
        return super().put(path, file, **kwargs)


@pytest.mark.parametrize("changes", [{}, {"chunks": (10, 10)}], ids=["raw", "re-encoded"])
def test_resume_copies_only_what_is_missing(
    memory_store: zb.Store, changes: dict[str, Any]
) -> None:
    src, data = filled(memory_store, "a")
    logged = LoggedPuts()
    dest = python_store(logged)
    zbs.copy(src, dest, "a", **changes)
    chunks = sorted(k for k in logged.data if "/c/" in k)
    # An interrupted copy: some chunks never made it.
    for key in chunks[::2]:
        del logged.data[key]
    logged.puts.clear()
    with pytest.raises(NodeExistsError):
        zbs.copy(src, dest, "a", **changes)
    copied = zbs.copy(src, dest, "a", resume=True, **changes)
    assert sorted(logged.puts) == chunks[::2]
    np.testing.assert_array_equal(copied[:], data)
    # Resuming into an array the copy would not have written is refused.
    with pytest.raises(MetadataError, match="resume"):
        zbs.copy(src, dest, "a", resume=True, chunks=(3, 3))


def test_overwrite_replaces_and_bad_changes_write_nothing(
    memory_store: zb.Store, file_store: zb.Store, tree_snapshot: Any
) -> None:
    src, data = filled(memory_store, "a")
    zbs.create_group(file_store, "a/old", attributes={"stale": 1})
    root = Path(file_store.declaration["root"])
    before = tree_snapshot(root)
    with pytest.raises(MetadataError):
        zbs.copy(src, file_store, "a", overwrite=True, shards=(7, 7))  # not a multiple of 8
    assert tree_snapshot(root) == before
    copied = zbs.copy(src, file_store, "a", overwrite=True)
    assert not (root / "a" / "old" / "zarr.json").exists()
    np.testing.assert_array_equal(copied[:], data)


def test_copy_reports_progress_of_every_chunk(memory_store: zb.Store) -> None:
    src, _ = filled(memory_store, "a")  # 12 chunks, 11 stored
    seen: list[zb.Progress] = []
    zbs.copy(src, zb.Store.from_url("memory://copy-progress"), "a", progress=seen.append)
    stored_bytes = (30 * 20 - 8 * 8) * 8  # every chunk but the one of fill values, in bounds
    assert seen[-1] == zb.Progress(11, 11, stored_bytes, stored_bytes)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Consolidated metadata is currently not part")
def test_a_group_of_200_arrays_goes_file_to_s3_to_file_intact(
    tmp_path: Path, s3_server: S3Server
) -> None:
    source_dir, back_dir = tmp_path / "source", tmp_path / "back"
    group = zarr.open_group(zarr.storage.LocalStore(source_dir), mode="w")
    codecs: list[dict[str, Any]] = [
        {"compressors": ZstdCodec(level=3)},
        {"compressors": BloscCodec(cname="lz4")},
        {"compressors": GzipCodec()},
        {"compressors": None},
        {"compressors": ZstdCodec(level=1), "shards": (8, 16)},
    ]
    expected = {}
    rng = np.random.default_rng(0)
    for i in range(200):
        dtype = ["int16", "float32", "uint8", "float64"][i % 4]
        data = (rng.random((12, 16)) * 100).astype(dtype)
        kw = codecs[i % len(codecs)]
        name = f"set{i // 50}/array{i:03d}"
        z = group.create_array(name, shape=data.shape, chunks=(4, 8), dtype=dtype, **kw)
        z[:] = data
        expected[name] = data
    zarr.consolidate_metadata(zarr.storage.LocalStore(source_dir))
    s3 = zb.Store.from_url(f"s3://{s3_server.new_bucket()}/copy", **s3_server.options())
    up = zbs.copy(zbs.open_group(source_dir), s3, "g")
    down = zbs.copy(up, back_dir, "")
    assert isinstance(down, zb.Group)
    back = zarr.open_group(zarr.storage.LocalStore(back_dir), mode="r", use_consolidated=True)
    for name, data in expected.items():
        np.testing.assert_array_equal(back[name][:], data, err_msg=name)
    # Every stored chunk made the round trip untouched.
    source, returned = zb.Store.from_url(str(source_dir)), zb.Store.from_url(str(back_dir))
    assert chunk_values(returned, "") == chunk_values(source, "")
