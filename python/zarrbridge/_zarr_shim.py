"""A zarr-python store that lives in Python (``MemoryStore`` and the like) seen through the async
store family, so the async adapter can use it: ``zb.create_array(zarr.storage.MemoryStore(),
...)`` works, and zarr-python sees the same data.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

__all__ = ["WritableZarrPythonStore", "ZarrPythonStore", "shim"]


class _Result:
    __slots__ = ("_value",)

    def __init__(self, value: Any) -> None:
        self._value = value

    async def buffer_async(self) -> Any:
        return self._value


def _meta(path: str, size: int) -> dict[str, Any]:
    return {"path": path, "last_modified": None, "size": size, "e_tag": None, "version": None}


class ZarrPythonStore:
    """obspec's async read methods over a ``zarr.abc.store.Store``."""

    def __init__(self, store: Any) -> None:
        from zarr.core.buffer import default_buffer_prototype

        self.store = store
        self._prototype = default_buffer_prototype()

    def __repr__(self) -> str:
        return f"ZarrPythonStore({self.store!r})"

    async def _get(self, path: str, byte_range: Any = None) -> Any:
        value = await self.store.get(path, self._prototype, byte_range)
        if value is None:
            raise FileNotFoundError(path)
        return value.as_numpy_array()

    async def get_async(self, path: str, *, options: Any = None) -> _Result:
        return _Result(await self._get(path))

    async def get_range_async(
        self, path: str, *, start: int, end: int | None = None, length: int | None = None
    ) -> Any:
        from zarr.abc.store import RangeByteRequest

        stop = end if end is not None else start + (length or 0)
        return await self._get(path, RangeByteRequest(start, stop))

    async def get_ranges_async(
        self,
        path: str,
        *,
        starts: Sequence[int],
        ends: Sequence[int] | None = None,
        lengths: Sequence[int] | None = None,
    ) -> list[Any]:
        stops = (
            ends
            if ends is not None
            else [s + n for s, n in zip(starts, lengths or [], strict=True)]
        )
        return [
            await self.get_range_async(path, start=s, end=e)
            for s, e in zip(starts, stops, strict=True)
        ]

    async def head_async(self, path: str) -> dict[str, Any]:
        if not await self.store.exists(path):
            raise FileNotFoundError(path)
        return _meta(path, await self.store.getsize(path))

    async def list_async(
        self, prefix: str | None = None, *, offset: str | None = None
    ) -> AsyncIterator[list[dict[str, Any]]]:
        below = f"{prefix.rstrip('/')}/" if prefix else ""
        found = [k async for k in self.store.list_prefix(below)]
        yield [_meta(k, await self.store.getsize(k)) for k in sorted(found)]

    async def list_with_delimiter_async(self, prefix: str | None = None) -> dict[str, Any]:
        below = f"{prefix.rstrip('/')}/" if prefix else ""
        prefixes, objects = [], []
        async for name in self.store.list_dir(below):
            key = below + name
            if await self.store.exists(key):
                objects.append(_meta(key, await self.store.getsize(key)))
            else:
                prefixes.append(key)
        return {"common_prefixes": sorted(prefixes), "objects": objects}


class WritableZarrPythonStore(ZarrPythonStore):
    """obspec's async read and write methods over a writable ``zarr.abc.store.Store``."""

    async def put_async(self, path: str, file: Any, **kwargs: Any) -> dict[str, Any]:
        await self.store.set(path, self._prototype.buffer.from_bytes(bytes(memoryview(file))))
        return {"e_tag": None, "version": None}

    async def delete_async(self, paths: str | Sequence[str]) -> None:
        for path in [paths] if isinstance(paths, str) else paths:
            await self.store.delete(path)


def shim(store: Any) -> ZarrPythonStore:
    """The async-family view of a zarr-python store; read-only stores get no write methods, so
    writes through zarrbridge fail with a clear error instead of deep inside zarr-python."""
    return ZarrPythonStore(store) if store.read_only else WritableZarrPythonStore(store)
