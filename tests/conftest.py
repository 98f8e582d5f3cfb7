"""Shared fixtures and pytest configuration for the zarrbridge test suites.

Oracles are zarr-python, tensorstore and numpy; the library never checks itself.

Fixtures:
- ``store_dir``: an empty directory (``tmp_path / "store"``) that zarr-python can open with
  ``zarr.storage.LocalStore(store_dir)``; its parent (``tmp_path``) holds nothing else, so a
  test can prove that nothing was written outside the store.
- ``file_store``: ``zb.Store.from_url`` on ``store_dir``.
- ``memory_store``: a ``memory://`` store with a name unique to the test.
- ``sync_python_store`` / ``async_python_store``: a dict behind the sync / async store protocol
  (``tests/pystores.py``), through zarrbridge's Python store adapters.
- ``store``: parametrised over all four (ids ``file``, ``memory``, ``sync_python``,
  ``async_python``).
- ``anyio_backend``: parametrised over asyncio and trio, so every ``@pytest.mark.anyio`` test runs
  on both.
- ``api``: calls ``zarrbridge.<name>`` (awaited, id ``async``) or ``zarrbridge.sync.<name>`` (in a
  worker thread with no event loop, id ``sync``) so one test body covers both APIs. The sync
  variant runs under asyncio only (the event loop is irrelevant to it).
- ``tree_snapshot``: a function returning every file (relative path -> bytes) and directory under
  a directory, to prove that a rejected operation wrote nothing.
"""

from __future__ import annotations

import functools
import os
import uuid
from pathlib import Path
from typing import Any

import anyio
import pytest
import zarrbridge as zb

# Session-wide real servers (S3, WebDAV, a hostile HTTP server) for the store tests.
from servers import hostile_server, s3_server, webdav_server  # noqa: F401
from zarrbridge import sync as zbs

# --------------------------------------------------------------------------------------------
# configuration
# --------------------------------------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slow: takes more than a few seconds (deselect with -m 'not slow')"
    )


def _panic_in_chain(exc: BaseException | None) -> BaseException | None:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if type(exc).__name__ == "PanicException":
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    """A Rust panic must never reach Python: turn one into a clear test failure.

    pyo3's PanicException derives from BaseException, so ``pytest.raises(SomeError)`` lets it
    through and it ends up here.
    """
    try:
        return (yield)
    except BaseException as exc:
        panic = _panic_in_chain(exc)
        if panic is not None:
            raise AssertionError(
                f"expected a typed zarrbridge error, got a Rust panic (PanicException): {panic!r}"
            ) from exc
        raise


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Drop the sync-API x trio combination: the sync API never touches the event loop, so
    running it under a second backend only doubles the time."""
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if params.get("api") == "sync" and params.get("anyio_backend") == "trio":
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


# --------------------------------------------------------------------------------------------
# stores
# --------------------------------------------------------------------------------------------


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    d = tmp_path / "store"
    d.mkdir()
    return d


@pytest.fixture
def file_store(store_dir: Path) -> zb.Store:
    return zb.Store.from_url(str(store_dir))


@pytest.fixture
def memory_store() -> zb.Store:
    return zb.Store.from_url(f"memory://zbtest-{uuid.uuid4().hex}")


@pytest.fixture
def sync_python_store() -> zb.Store:
    from pystores import DictStore

    return zb.store.python_store(DictStore())


@pytest.fixture
def async_python_store() -> zb.Store:
    from pystores import AsyncDictStore

    return zb.store.python_store(AsyncDictStore())


@pytest.fixture(params=["file", "memory", "sync_python", "async_python"])
def store(request: pytest.FixtureRequest) -> zb.Store:
    """Every store kind the CRUD suite runs on: native file and memory stores, and a dict behind
    the sync and the async Python store adapters."""
    return request.getfixturevalue(f"{request.param}_store")


# --------------------------------------------------------------------------------------------
# async / sync
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return request.param


class Api:
    """``await api.<name>(...)`` calls ``zb.<name>`` or ``zbs.<name>`` with the same arguments.

    The sync variant runs in a worker thread, where no event loop is running, as a user of the
    blocking API would call it.
    """

    def __init__(self, mode: str) -> None:
        self.mode = mode

    def __repr__(self) -> str:
        return f"Api({self.mode!r})"

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if self.mode == "async":
            fn = getattr(zb, name)

            async def call_async(*args: Any, **kwargs: Any) -> Any:
                return await fn(*args, **kwargs)

            return call_async

        fn = getattr(zbs, name)

        async def call_sync(*args: Any, **kwargs: Any) -> Any:
            return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs))

        return call_sync


@pytest.fixture(params=["async", "sync"])
def api(request: pytest.FixtureRequest, anyio_backend: str) -> Api:
    return Api(request.param)


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def snapshot_tree(root: Path) -> dict[str, bytes | None]:
    """Every entry under ``root``: files map to their bytes, directories to None."""
    out: dict[str, bytes | None] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            out[os.path.relpath(os.path.join(dirpath, d), root) + "/"] = None
        for f in filenames:
            p = os.path.join(dirpath, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, root)] = fh.read()
    return out


@pytest.fixture
def tree_snapshot():
    return snapshot_tree


def chunk_file(root: Path, node_path: str, coords: tuple[int, ...]) -> Path:
    """Where the chunk (or shard) at ``coords`` of the array at ``node_path`` lives on disk,
    following the chunk key encoding recorded in the array's metadata document."""
    import json

    node_dir = root / node_path if node_path else root
    if (node_dir / "zarr.json").exists():
        meta = json.loads((node_dir / "zarr.json").read_text())
        enc = meta.get("chunk_key_encoding", {"name": "default"})
        sep = enc.get("configuration", {}).get("separator")
        if enc["name"] == "default":
            key = "c" if not coords else "c" + (sep or "/") + (sep or "/").join(map(str, coords))
        else:  # "v2"
            key = "0" if not coords else (sep or ".").join(map(str, coords))
    else:
        meta = json.loads((node_dir / ".zarray").read_text())
        sep = meta.get("dimension_separator") or "."
        key = "0" if not coords else sep.join(map(str, coords))
    return node_dir / key


@pytest.fixture
def chunk_path():
    return chunk_file


@pytest.fixture
def zarr_store(store_dir: Path):
    """zarr-python's view of ``store_dir`` (the directory behind ``file_store``)."""
    from zarr.storage import LocalStore

    return LocalStore(str(store_dir))
