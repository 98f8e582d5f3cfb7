"""One adapter per library under test, all behind the same small interface.

Every adapter turns a :class:`Location` (where an array lives) into its own store object with
``store_for``: that is the *store factory* each case goes through. ``Location(kind="file")`` is a
local directory; ``Location(kind="s3")`` (case (e)) a bucket and prefix on the local S3 server
(zarrbridge: ``Store.from_url("s3://...")``; zarr-python with any pipeline:
``zarr.storage.ObjectStore(obstore.store.S3Store(...))``; tensorstore: a ``{"driver": "s3"}``
kvstore). Adapters raise :class:`Unsupported` for locations they cannot handle, and the case
then prints the reason instead of a row.

The interface (``h`` is whatever ``create``/``open`` returned):

* ``create(loc, spec) -> h`` / ``open(loc) -> h``: untimed set-up.
* ``write(h, data)``, ``read(h) -> ndarray``: the whole array, blocking.
* ``write_async`` / ``read_async``: the same as coroutines (where the library has them).
* ``read_chunk(h, coords, spec)`` / ``read_chunk_async(...)``: one stored chunk.
* ``read_all_chunks_async(h, coords_list, spec)``: one call per chunk, ``asyncio.gather``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import importlib.metadata
import os
import shutil
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

__all__ = [
    "ArraySpec",
    "Lib",
    "Location",
    "Unsupported",
    "all_libs",
]


class Unsupported(Exception):
    """This library cannot run this case/location; the message says why."""


@dataclasses.dataclass(frozen=True)
class ArraySpec:
    shape: tuple[int, ...]
    dtype: str
    chunks: tuple[int, ...]  # the inner chunk shape when sharded
    shards: tuple[int, ...] | None = None
    zstd_level: int = 1

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape)) * np.dtype(self.dtype).itemsize

    @property
    def stored_chunk(self) -> tuple[int, ...]:
        """The unit of a stored object: the shard when sharded, else the chunk."""
        return self.shards or self.chunks

    @property
    def grid(self) -> tuple[int, ...]:
        return tuple(-(-s // c) for s, c in zip(self.shape, self.stored_chunk, strict=True))

    def chunk_coords(self) -> list[tuple[int, ...]]:
        return [tuple(int(i) for i in c) for c in np.ndindex(*self.grid)]

    def chunk_slices(self, coords: Sequence[int]) -> tuple[slice, ...]:
        return tuple(
            slice(i * c, min((i + 1) * c, s))
            for i, c, s in zip(coords, self.stored_chunk, self.shape, strict=True)
        )

    def zarr_json(self) -> dict[str, Any]:
        """The Zarr v3 metadata document (what zarr-python writes for these settings)."""
        zstd = {"name": "zstd", "configuration": {"level": self.zstd_level, "checksum": False}}
        inner = [{"name": "bytes", "configuration": {"endian": "little"}}, zstd]
        if self.shards:
            codecs: list[dict[str, Any]] = [
                {
                    "name": "sharding_indexed",
                    "configuration": {
                        "chunk_shape": list(self.chunks),
                        "codecs": inner,
                        "index_codecs": [
                            {"name": "bytes", "configuration": {"endian": "little"}},
                            {"name": "crc32c"},
                        ],
                        "index_location": "end",
                    },
                }
            ]
        else:
            codecs = inner
        return {
            "zarr_format": 3,
            "node_type": "array",
            "shape": list(self.shape),
            "data_type": np.dtype(self.dtype).name,
            "chunk_grid": {
                "name": "regular",
                "configuration": {"chunk_shape": list(self.stored_chunk)},
            },
            "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
            "fill_value": 0,
            "codecs": codecs,
            "attributes": {},
        }


@dataclasses.dataclass(frozen=True)
class Location:
    """Where an array lives. ``kind="file"``: ``path`` is a local directory.

    ``kind="s3"`` (case (e)): ``bucket`` and ``prefix`` on the S3 server at ``endpoint`` (plain
    HTTP, path-style requests), with the server's dummy credentials.
    """

    kind: str
    path: str = ""
    bucket: str = ""
    prefix: str = ""
    endpoint: str = ""
    access_key_id: str = ""
    secret_access_key: str = ""
    region: str = "us-east-1"

    def s3_config(self) -> dict[str, Any]:
        """obstore / zarrbridge ``config`` for this S3 location."""
        return {
            "endpoint": self.endpoint,
            "access_key_id": self.access_key_id,
            "secret_access_key": self.secret_access_key,
            "region": self.region,
            "virtual_hosted_style_request": False,
        }

    def obstore(self) -> Any:
        """An ``obstore.store.S3Store`` rooted at this location's prefix."""
        import obstore.store

        return obstore.store.S3Store(
            self.bucket,
            prefix=self.prefix,
            config=self.s3_config(),
            client_options={"allow_http": True},
        )

    def child(self, name: str) -> Location:
        if self.kind == "file":
            return dataclasses.replace(self, path=os.path.join(self.path, name))
        return dataclasses.replace(self, prefix=f"{self.prefix}/{name}".strip("/"))

    def clear(self) -> None:
        if self.kind == "file":
            # Moved aside, not deleted: deleting hundreds of files right before a timed write
            # makes ext4 skip their just-freed inodes while allocating new ones (its
            # "recently deleted" check), which slowed every library's writes 2-3x here and
            # made them depend on the previous run. `purge_trash` deletes after the case.
            if os.path.exists(self.path):
                trash = os.path.join(os.path.dirname(self.path), TRASH)
                os.makedirs(trash, exist_ok=True)
                os.rename(self.path, os.path.join(trash, f"{len(os.listdir(trash))}"))
        elif self.kind == "s3":
            import obstore

            store = self.obstore()
            paths = [m["path"] for m in obstore.list(store).collect()]
            if paths:
                obstore.delete(store, paths)
        else:
            raise Unsupported(f"clearing a {self.kind} location is not implemented")


TRASH = ".trash"


def purge_trash(root: str) -> None:
    """Delete what ``Location.clear`` moved aside below ``root``, and flush the deletion."""
    for dirpath, dirnames, _ in os.walk(root):
        if TRASH in dirnames:
            shutil.rmtree(os.path.join(dirpath, TRASH), ignore_errors=True)
            dirnames.remove(TRASH)
    os.sync()


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


async def _timed(coro: Any) -> tuple[float, Any]:
    """Await ``coro``, timing only the awaiting (set-up outside is not counted)."""
    import time

    t0 = time.perf_counter()
    result = await coro
    return time.perf_counter() - t0, result


class Lib:
    """Base adapter. ``key`` is stable (used on the command line and in JSON)."""

    key = ""
    label = ""
    has_async = True

    def unavailable(self) -> str | None:
        """A reason this library cannot run here, or None."""
        return None

    def versions(self) -> dict[str, str]:
        return {}

    @contextlib.contextmanager
    def context(self) -> Iterator[None]:
        """Entered around every call of this library (e.g. a zarr.config setting)."""
        yield

    def store_for(self, loc: Location) -> Any:
        raise NotImplementedError

    def create(self, loc: Location, spec: ArraySpec) -> Any:
        raise NotImplementedError

    def open(self, loc: Location) -> Any:
        raise NotImplementedError

    def write(self, h: Any, data: np.ndarray) -> None:
        raise NotImplementedError

    def read(self, h: Any) -> np.ndarray:
        raise NotImplementedError

    async def write_async(self, h: Any, data: np.ndarray) -> None:
        raise Unsupported(f"{self.label} has no async API")

    async def read_async(self, h: Any) -> np.ndarray:
        raise Unsupported(f"{self.label} has no async API")

    def read_chunk(self, h: Any, coords: tuple[int, ...], spec: ArraySpec) -> np.ndarray:
        raise NotImplementedError

    async def read_chunk_async(
        self, h: Any, coords: tuple[int, ...], spec: ArraySpec
    ) -> np.ndarray:
        raise Unsupported(f"{self.label} has no async API")

    async def read_all_chunks_async(
        self, h: Any, coords_list: list[tuple[int, ...]], spec: ArraySpec
    ) -> list[np.ndarray]:
        return list(await asyncio.gather(*(self.read_chunk_async(h, c, spec) for c in coords_list)))


# --- zarrbridge ----------------------------------------------------------------------------------


class ZarrBridge(Lib):
    key = "zarrbridge"
    label = "zarrbridge"

    def unavailable(self) -> str | None:
        try:
            import zarrbridge  # noqa: F401
        except ImportError as e:
            return f"cannot import zarrbridge: {e}"
        return None

    def versions(self) -> dict[str, str]:
        import hashlib

        import zarrbridge as zb
        from zarrbridge import _native

        with open(_native.__file__, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()[:12]
        return {
            "zarrbridge": f"{zb.__version__} ({os.path.dirname(zb.__file__)}, "
            f"_native sha256 {digest})"
        }

    def store_for(self, loc: Location) -> Any:
        if loc.kind == "file":
            return loc.path
        if loc.kind == "s3":
            import zarrbridge as zb

            return zb.Store.from_url(
                f"s3://{loc.bucket}/{loc.prefix}",
                config=loc.s3_config(),
                client_options={"allow_http": True},
            )
        raise Unsupported(f"zarrbridge: {loc.kind} stores are not supported")

    def _create_kwargs(self, spec: ArraySpec) -> dict[str, Any]:
        return {
            "shape": spec.shape,
            "dtype": spec.dtype,
            "chunks": spec.chunks,
            "shards": spec.shards,
            "compressors": {
                "name": "zstd",
                "configuration": {"level": spec.zstd_level, "checksum": False},
            },
            "fill_value": 0,
            "overwrite": True,
        }

    def create(self, loc: Location, spec: ArraySpec) -> Any:
        import zarrbridge as zb

        return zb.sync.create_array(self.store_for(loc), **self._create_kwargs(spec))

    def open(self, loc: Location) -> Any:
        import zarrbridge as zb

        return zb.sync.open_array(self.store_for(loc))

    def write(self, h: Any, data: np.ndarray) -> None:
        import zarrbridge as zb

        zb.sync.write_region(h, ..., data)

    def read(self, h: Any) -> np.ndarray:
        import zarrbridge as zb

        return zb.sync.read_region(h)

    async def write_async(self, h: Any, data: np.ndarray) -> None:
        import zarrbridge as zb

        await zb.write_region(h, ..., data)

    async def read_async(self, h: Any) -> np.ndarray:
        import zarrbridge as zb

        return await zb.read_region(h)

    def read_chunk(self, h: Any, coords: tuple[int, ...], spec: ArraySpec) -> np.ndarray:
        import zarrbridge as zb

        return zb.sync.read_chunk(h, coords)

    async def read_chunk_async(
        self, h: Any, coords: tuple[int, ...], spec: ArraySpec
    ) -> np.ndarray:
        import zarrbridge as zb

        return await zb.read_chunk(h, coords)


class ZarrBridgeRegion(ZarrBridge):
    """zarrbridge reading single chunks through ``read_region`` (slices), as the others do."""

    key = "zarrbridge-region"
    label = "zarrbridge (read_region)"

    def read_chunk(self, h: Any, coords: tuple[int, ...], spec: ArraySpec) -> np.ndarray:
        import zarrbridge as zb

        return zb.sync.read_region(h, spec.chunk_slices(coords))

    async def read_chunk_async(
        self, h: Any, coords: tuple[int, ...], spec: ArraySpec
    ) -> np.ndarray:
        import zarrbridge as zb

        return await zb.read_region(h, spec.chunk_slices(coords))


class ZarrBridgeUnsigned(ZarrBridge):
    """zarrbridge on S3 with ``unsigned_payload`` (its default over HTTPS; here over HTTP)."""

    key = "zarrbridge-unsigned"
    label = "zarrbridge (unsigned_payload=True, its HTTPS default)"

    def store_for(self, loc: Location) -> Any:
        if loc.kind != "s3":
            return super().store_for(loc)
        import zarrbridge as zb

        return zb.Store.from_url(
            f"s3://{loc.bucket}/{loc.prefix}",
            config={**loc.s3_config(), "unsigned_payload": True},
            client_options={"allow_http": True},
        )


class ZarrBridgeBatched(ZarrBridge):
    """zarrbridge reading all chunks with one ``read_chunks`` call (one FFI crossing)."""

    key = "zarrbridge-batched"
    label = "zarrbridge (read_chunks, 1 call)"

    async def read_all_chunks_async(
        self, h: Any, coords_list: list[tuple[int, ...]], spec: ArraySpec
    ) -> list[np.ndarray]:
        import zarrbridge as zb

        return await zb.read_chunks(h, coords_list)


# --- zarr-python ---------------------------------------------------------------------------------


class ZarrPython(Lib):
    key = "zarr"
    label = "zarr-python"
    pipeline: str | None = None  # None: zarr-python's default pipeline

    def unavailable(self) -> str | None:
        try:
            import zarr
        except ImportError as e:
            return f"cannot import zarr: {e}"
        if not zarr.__version__.startswith("3.1."):
            return f"zarr-python 3.1.x expected, found {zarr.__version__}"
        return None

    def versions(self) -> dict[str, str]:
        return {"zarr": _version("zarr"), "numcodecs": _version("numcodecs")}

    @contextlib.contextmanager
    def context(self) -> Iterator[None]:
        import zarr

        # The pipeline is chosen when an array object is made, so the setting is in force for
        # the open/create as well as for the I/O. Pinned explicitly for the default too, so a
        # stray setting cannot leak from one adapter into another.
        path = self.pipeline or "zarr.core.codec_pipeline.BatchedCodecPipeline"
        with zarr.config.set({"codec_pipeline.path": path}):
            yield

    def store_for(self, loc: Location, read_only: bool = False) -> Any:
        if loc.kind == "file":
            from zarr.storage import LocalStore

            return LocalStore(loc.path, read_only=read_only)
        if loc.kind == "s3":
            from zarr.storage import ObjectStore

            return ObjectStore(loc.obstore(), read_only=read_only)
        raise Unsupported(f"{self.label}: {loc.kind} locations not wired up yet")

    def create(self, loc: Location, spec: ArraySpec) -> Any:
        import zarr
        from zarr.codecs import ZstdCodec

        return zarr.create_array(
            store=self.store_for(loc),
            shape=spec.shape,
            dtype=spec.dtype,
            chunks=spec.chunks,
            shards=spec.shards,
            compressors=ZstdCodec(level=spec.zstd_level, checksum=False),
            fill_value=0,
            overwrite=True,
        )

    def open(self, loc: Location) -> Any:
        import zarr

        return zarr.open_array(store=self.store_for(loc, read_only=True), mode="r")

    def write(self, h: Any, data: np.ndarray) -> None:
        h[...] = data

    def read(self, h: Any) -> np.ndarray:
        return h[...]

    async def write_async(self, h: Any, data: np.ndarray) -> None:
        await h._async_array.setitem(..., data)

    async def read_async(self, h: Any) -> np.ndarray:
        return await h._async_array.getitem(...)

    def read_chunk(self, h: Any, coords: tuple[int, ...], spec: ArraySpec) -> np.ndarray:
        return h[spec.chunk_slices(coords)]

    async def read_chunk_async(
        self, h: Any, coords: tuple[int, ...], spec: ArraySpec
    ) -> np.ndarray:
        # zarr.Array is a thin synchronous wrapper of AsyncArray; this is its async API.
        return await h._async_array.getitem(spec.chunk_slices(coords))


class ZarrPythonZarrs(ZarrPython):
    key = "zarr-zarrs"
    label = "zarr-python + zarrs pipeline"
    pipeline = "zarrs.ZarrsCodecPipeline"

    def unavailable(self) -> str | None:
        reason = super().unavailable()
        if reason:
            return reason
        try:
            import zarrs  # noqa: F401
        except ImportError as e:
            return f"cannot import zarrs (PyPI zarrs): {e}"
        return None

    def versions(self) -> dict[str, str]:
        return {**super().versions(), "zarrs (zarrs-python)": _version("zarrs")}


# --- tensorstore ---------------------------------------------------------------------------------


class TensorStore(Lib):
    """tensorstore's zarr3 driver. ``file_io_sync`` is turned off: by default tensorstore
    fsyncs every file it writes, which none of the other libraries does."""

    key = "tensorstore"
    label = "tensorstore"
    _context: Any = None

    def ts_context(self) -> Any:
        import tensorstore as ts

        if self._context is None:
            self._context = ts.Context({"file_io_sync": False})
        return self._context

    def unavailable(self) -> str | None:
        try:
            import tensorstore  # noqa: F401
        except ImportError as e:
            return f"cannot import tensorstore: {e}"
        return None

    def versions(self) -> dict[str, str]:
        return {"tensorstore": _version("tensorstore")}

    def store_for(self, loc: Location) -> Any:
        if loc.kind == "file":
            return {"driver": "file", "path": loc.path}
        if loc.kind == "s3":
            # Credentials: tensorstore reads AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (case (e)
            # sets them to the server's dummy keys). Request concurrency: its default.
            os.environ.setdefault("AWS_ACCESS_KEY_ID", loc.access_key_id)
            os.environ.setdefault("AWS_SECRET_ACCESS_KEY", loc.secret_access_key)
            return {
                "driver": "s3",
                "bucket": loc.bucket,
                "path": loc.prefix.rstrip("/") + "/",
                "endpoint": loc.endpoint,
                "aws_region": loc.region,
                "aws_credentials": {"type": "environment"},
            }
        raise Unsupported(f"tensorstore: {loc.kind} locations not wired up yet")

    def create(self, loc: Location, spec: ArraySpec) -> Any:
        import tensorstore as ts

        meta = spec.zarr_json()
        metadata = {
            k: meta[k]
            for k in ("shape", "data_type", "chunk_grid", "chunk_key_encoding", "fill_value")
        }
        metadata["codecs"] = meta["codecs"]
        return ts.open(
            {
                "driver": "zarr3",
                "kvstore": self.store_for(loc),
                "metadata": metadata,
                "create": True,
                "delete_existing": True,
            },
            context=self.ts_context(),
        ).result()

    def open(self, loc: Location) -> Any:
        import tensorstore as ts

        return ts.open(
            {"driver": "zarr3", "kvstore": self.store_for(loc), "open": True},
            read=True,
            context=self.ts_context(),
        ).result()

    def write(self, h: Any, data: np.ndarray) -> None:
        h.write(data).result()

    def read(self, h: Any) -> np.ndarray:
        return h.read().result()

    async def write_async(self, h: Any, data: np.ndarray) -> None:
        await h.write(data)

    async def read_async(self, h: Any) -> np.ndarray:
        return await h.read()

    def read_chunk(self, h: Any, coords: tuple[int, ...], spec: ArraySpec) -> np.ndarray:
        return h[spec.chunk_slices(coords)].read().result()

    async def read_chunk_async(
        self, h: Any, coords: tuple[int, ...], spec: ArraySpec
    ) -> np.ndarray:
        return await h[spec.chunk_slices(coords)].read()


# --- zarrista --------------------------------------------------------------------------------


class Zarrista(Lib):
    """zarrista (PyPI, zarrs bound to Python): the sync ``Array`` over its ``FilesystemStore``
    for whole reads and writes and single chunks; the ``AsyncArray`` over an obstore
    ``LocalStore`` for the async calls (obstore stores are its async stores). Results are
    zarrista tensors, viewed by numpy (``np.asarray``) as the other libraries' arrays are.
    Local files only, here."""

    key = "zarrista"
    label = "zarrista"

    def unavailable(self) -> str | None:
        try:
            import zarrista  # noqa: F401
        except ImportError as e:
            return f"cannot import zarrista: {e}"
        return None

    def versions(self) -> dict[str, str]:
        return {"zarrista": _version("zarrista")}

    def store_for(self, loc: Location) -> Any:
        import zarrista.store

        if loc.kind == "file":
            return zarrista.store.FilesystemStore(loc.path)
        raise Unsupported(f"zarrista: {loc.kind} locations not wired up here")

    def _async_store(self, loc: Location) -> Any:
        import obstore.store

        return obstore.store.LocalStore(loc.path)

    def create(self, loc: Location, spec: ArraySpec) -> Any:
        import zarrista

        os.makedirs(loc.path, exist_ok=True)
        array = zarrista.Array.from_metadata(spec.zarr_json(), self.store_for(loc), "/")
        array.store_metadata()
        return self.open(loc)

    def open(self, loc: Location) -> Any:
        import zarrista

        # Both kinds, opened here (untimed): the sync Array for whole reads and writes and
        # single chunks, the AsyncArray for the async calls.
        async def open_async() -> Any:
            return await zarrista.AsyncArray.open(self._async_store(loc), "/")

        return _ZarristaHandle(
            zarrista.Array.open(self.store_for(loc), "/"), asyncio.run(open_async())
        )

    def write(self, h: Any, data: np.ndarray) -> None:
        h.array.store_array_subset(h.array.subset_all, data)

    def read(self, h: Any) -> np.ndarray:
        return np.asarray(h.array.retrieve_array_subset(h.array.subset_all))

    async def write_async(self, h: Any, data: np.ndarray) -> None:
        await h.async_array.store_array_subset(h.async_array.subset_all, data)

    async def read_async(self, h: Any) -> np.ndarray:
        return np.asarray(await h.async_array.retrieve_array_subset(h.async_array.subset_all))

    def read_chunk(self, h: Any, coords: tuple[int, ...], spec: ArraySpec) -> np.ndarray:
        return np.asarray(h.array.retrieve_chunk(list(coords)))

    async def read_chunk_async(
        self, h: Any, coords: tuple[int, ...], spec: ArraySpec
    ) -> np.ndarray:
        return np.asarray(await h.async_array.retrieve_chunk(list(coords)))


@dataclasses.dataclass(frozen=True)
class _ZarristaHandle:
    array: Any
    async_array: Any


# --- newest zarr-python, fused pipeline (Python >= 3.12; runs in a child, see remote.py) --------


class ZarrPythonFused(ZarrPython):
    """The newest zarr-python with its opt-in ``FusedCodecPipeline``.

    Needs Python >= 3.12, so the benchmark runs this adapter in a separate interpreter
    (``remote.py``); here it is the adapter that child uses.
    """

    key = "zarr-fused"
    label = "zarr-python newest, fused pipeline"
    pipeline = "zarr.core.codec_pipeline.FusedCodecPipeline"

    def unavailable(self) -> str | None:
        try:
            import zarr
            import zarr.core.codec_pipeline as cp
        except ImportError as e:
            return f"cannot import zarr: {e}"
        if not hasattr(cp, "FusedCodecPipeline"):
            return f"zarr {zarr.__version__} has no FusedCodecPipeline"
        return None


def all_libs(local_only: bool = False) -> list[Lib]:
    """The in-process adapters; with ``local_only`` also those normally run in a child."""
    libs: list[Lib] = [
        ZarrBridge(),
        ZarrBridgeRegion(),
        ZarrBridgeBatched(),
        ZarrBridgeUnsigned(),
        ZarrPython(),
        ZarrPythonZarrs(),
        TensorStore(),
        Zarrista(),
    ]
    if local_only:
        libs.append(ZarrPythonFused())
    return libs
