"""Stores written in Python for the store-protocol tests: a dict behind the sync family and the
same dict behind the async family. They follow obspec's semantics (a missing key raises
``FileNotFoundError``; ranges are ``[start, end)``; prefixes are directories)."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import anyio


def _meta(path: str, value: bytes) -> dict[str, Any]:
    return {"path": path, "last_modified": None, "size": len(value), "e_tag": None, "version": None}


class _Result:
    def __init__(self, value: bytes) -> None:
        self.value = value

    def buffer(self) -> bytes:
        return self.value

    async def buffer_async(self) -> bytes:
        return self.value


def _below(prefix: str | None) -> str:
    return f"{prefix.strip('/')}/" if prefix and prefix.strip("/") else ""


class DictStore:
    """The sync family over a dict (thread-safe: the adapter calls it from worker threads)."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}
        self.lock = threading.Lock()

    def _value(self, path: str) -> bytes:
        with self.lock:
            if path not in self.data:
                raise FileNotFoundError(path)
            return self.data[path]

    def get(self, path: str, *, options: Any = None) -> _Result:
        return _Result(self._value(path))

    def get_range(
        self, path: str, *, start: int, end: int | None = None, length: int | None = None
    ) -> bytes:
        stop = end if end is not None else start + (length or 0)
        return self._value(path)[start:stop]

    def get_ranges(
        self,
        path: str,
        *,
        starts: Sequence[int],
        ends: Sequence[int] | None = None,
        lengths: Sequence[int] | None = None,
    ) -> list[bytes]:
        if ends is None:
            ends = [s + n for s, n in zip(starts, lengths or [], strict=True)]
        stops = ends
        value = self._value(path)
        return [value[s:e] for s, e in zip(starts, stops, strict=False)]

    def put(self, path: str, file: Any, **kwargs: Any) -> dict[str, Any]:
        with self.lock:
            self.data[path] = bytes(memoryview(file))
        return {"e_tag": None, "version": None}

    def delete(self, paths: str | Sequence[str]) -> None:
        with self.lock:
            for path in [paths] if isinstance(paths, str) else paths:
                self.data.pop(path, None)

    def list(self, prefix: str | None = None, *, offset: str | None = None) -> Iterator[Any]:
        below = _below(prefix)
        with self.lock:
            yield [_meta(k, v) for k, v in sorted(self.data.items()) if k.startswith(below)]

    def list_with_delimiter(self, prefix: str | None = None) -> dict[str, Any]:
        below = _below(prefix)
        prefixes: set[str] = set()
        objects = []
        with self.lock:
            for key, value in sorted(self.data.items()):
                if not key.startswith(below):
                    continue
                rest = key[len(below) :]
                if "/" in rest:
                    prefixes.add(below + rest.split("/", 1)[0])
                else:
                    objects.append(_meta(key, value))
        return {"common_prefixes": sorted(prefixes), "objects": objects}

    def head(self, path: str) -> dict[str, Any]:
        return _meta(path, self._value(path))


class ReadOnlyDictStore(DictStore):
    """The read half of the sync family only."""

    put = None  # type: ignore[assignment]
    delete = None  # type: ignore[assignment]

    def __getattribute__(self, name: str) -> Any:
        if name in ("put", "delete"):
            raise AttributeError(name)
        return super().__getattribute__(name)


class AsyncDictStore:
    """The async family over a dict. Every call yields to the event loop once (so concurrent
    calls interleave), and ``delay`` makes each call take that long; ``in_flight`` and
    ``max_in_flight`` count calls running at once, ``cancelled`` those cancelled."""

    def __init__(self, delay: float = 0.0) -> None:
        self.sync = DictStore()
        self.delay = delay
        self.in_flight = 0
        self.max_in_flight = 0
        self.cancelled = 0

    async def _pause(self) -> None:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await anyio.sleep(self.delay)
        except anyio.get_cancelled_exc_class():
            self.cancelled += 1
            raise
        finally:
            self.in_flight -= 1

    async def get_async(self, path: str, *, options: Any = None) -> _Result:
        await self._pause()
        return self.sync.get(path)

    async def get_range_async(
        self, path: str, *, start: int, end: int | None = None, length: int | None = None
    ) -> bytes:
        await self._pause()
        return self.sync.get_range(path, start=start, end=end, length=length)

    async def get_ranges_async(
        self,
        path: str,
        *,
        starts: Sequence[int],
        ends: Sequence[int] | None = None,
        lengths: Sequence[int] | None = None,
    ) -> list[bytes]:
        await self._pause()
        return self.sync.get_ranges(path, starts=starts, ends=ends, lengths=lengths)

    async def put_async(self, path: str, file: Any, **kwargs: Any) -> dict[str, Any]:
        await self._pause()
        return self.sync.put(path, file)

    async def delete_async(self, paths: str | Sequence[str]) -> None:
        await self._pause()
        self.sync.delete(paths)

    async def list_async(
        self, prefix: str | None = None, *, offset: str | None = None
    ) -> AsyncIterator[Any]:
        await self._pause()
        for chunk in self.sync.list(prefix):
            yield chunk

    async def list_with_delimiter_async(self, prefix: str | None = None) -> dict[str, Any]:
        await self._pause()
        return self.sync.list_with_delimiter(prefix)

    async def head_async(self, path: str) -> dict[str, Any]:
        await self._pause()
        return self.sync.head(path)
