"""Raw key I/O on a native :class:`~zarrbridge.Store`, with obspec's method names and signatures.

Every native store (file, memory, cloud, or one built over a Python store) gets these methods
through :class:`RawIO`, so one conformance suite can test every kind of store. Values come back
as read-only buffers owned by Rust (``bytes(v)`` or ``memoryview(v)``; no copy until then).
Listings report ``path`` and ``size``; ``last_modified``, ``e_tag`` and ``version`` are ``None``
because zarrs' storage traits do not carry them.
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any, TypedDict

from typing_extensions import Buffer

from zarrbridge import _bridge, _entry
from zarrbridge import _native as _ext

__all__ = ["GetResult", "ListResult", "ObjectMeta", "RawIO"]


class ObjectMeta(TypedDict):
    """What a listing or ``head`` tells about one key (obspec's ``ObjectMeta``)."""

    path: str
    last_modified: datetime.datetime | None
    size: int
    e_tag: str | None
    version: str | None


class ListResult(TypedDict):
    """One level of a listing (obspec's ``ListResult``): child prefixes, no trailing ``/``."""

    common_prefixes: list[str]
    objects: list[ObjectMeta]


def _meta(path: str, size: int) -> ObjectMeta:
    return {"path": path, "last_modified": None, "size": size, "e_tag": None, "version": None}


class GetResult:
    """The result of ``get`` / ``get_async`` (obspec's ``GetResult`` and ``GetResultAsync``).

    Example:
        >>> import zarrbridge as zb
        >>> s = zb.Store.from_url("memory://doc-get")
        >>> _ = s.put("k", b"abc")
        >>> s.get("k").bytes()
        b'abc'
    """

    __slots__ = ("_value", "meta")

    def __init__(self, path: str, value: Buffer) -> None:
        self._value = value
        self.meta: ObjectMeta = _meta(path, len(memoryview(value)))

    @property
    def attributes(self) -> dict[str, str]:
        return {}

    @property
    def range(self) -> tuple[int, int]:
        return (0, self.meta["size"])

    def buffer(self) -> Buffer:
        """The value as a read-only buffer owned by Rust (no copy)."""
        return self._value

    async def buffer_async(self) -> Buffer:
        return self._value

    def bytes(self) -> bytes:
        """The value copied into ``bytes``."""
        return bytes(memoryview(self._value))

    def __iter__(self) -> Iterator[Buffer]:
        yield self._value

    async def __aiter__(self) -> AsyncIterator[Buffer]:
        yield self._value


def _call(fn: Any, *args: Any) -> Any:
    """A native call without a callback (so never a ``Task``)."""
    return _entry.call(fn, args)


def _missing(url: str, path: str) -> FileNotFoundError:
    return FileNotFoundError(f"no value at key {path!r} in {url}")


def _ranges(
    starts: Sequence[int], ends: Sequence[int] | None, lengths: Sequence[int] | None
) -> list[tuple[int | None, int | None]]:
    if (ends is None) == (lengths is None):
        raise ValueError("give exactly one of end(s) and length(s)")
    if ends is not None:
        if len(ends) != len(starts):
            raise ValueError("starts and ends differ in length")
        spans = [(s, e - s) for s, e in zip(starts, ends, strict=True)]
    else:
        assert lengths is not None
        if len(lengths) != len(starts):
            raise ValueError("starts and lengths differ in length")
        spans = list(zip(starts, lengths, strict=True))
    for start, length in spans:
        if start < 0 or length < 0:
            raise ValueError(f"invalid byte range: start {start}, length {length}")
    return [(s, n) for s, n in spans]


def _put_data(file: Any) -> Any:
    if isinstance(file, (bytes, bytearray, memoryview)):
        return memoryview(file).cast("B") if isinstance(file, memoryview) else file
    if hasattr(file, "read"):
        return file.read()
    return memoryview(file).cast("B")


def _listing(result: tuple[list[str], list[tuple[str, int]]]) -> ListResult:
    prefixes, objects = result
    return {"common_prefixes": prefixes, "objects": [_meta(k, n) for k, n in objects]}


class RawIO:
    """obspec's sync and async methods, on a native store (mixed into :class:`Store`)."""

    __slots__ = ()
    _native: _ext.Store

    # --- get -------------------------------------------------------------------------------

    def get(self, path: str, *, options: Any = None) -> GetResult:
        """The value at ``path``; ``FileNotFoundError`` when there is none."""
        return self._get_result(path, _call(_ext.store_get, self._native, path))

    async def get_async(self, path: str, *, options: Any = None) -> GetResult:
        return self._get_result(path, await _bridge.run(_ext.store_get, (self._native, path)))

    def _get_result(self, path: str, value: Buffer | None) -> GetResult:
        if value is None:
            raise _missing(self._native.url, path)
        return GetResult(path, value)

    def get_range(
        self, path: str, *, start: int, end: int | None = None, length: int | None = None
    ) -> Buffer:
        """Bytes ``[start, end)`` (or ``length`` bytes from ``start``) of the value at ``path``.

        A range that starts past the end of the value raises ``StoreError``; one that ends past
        it returns what there is.
        """
        ranges = _ranges(
            [start], None if end is None else [end], None if length is None else [length]
        )
        return self._ranges_result(path, _call(_ext.store_get_ranges, self._native, path, ranges))[
            0
        ]

    async def get_range_async(
        self, path: str, *, start: int, end: int | None = None, length: int | None = None
    ) -> Buffer:
        ranges = _ranges(
            [start], None if end is None else [end], None if length is None else [length]
        )
        result = await _bridge.run(_ext.store_get_ranges, (self._native, path, ranges))
        return self._ranges_result(path, result)[0]

    def get_ranges(
        self,
        path: str,
        *,
        starts: Sequence[int],
        ends: Sequence[int] | None = None,
        lengths: Sequence[int] | None = None,
    ) -> list[Buffer]:
        """Several byte ranges of the value at ``path`` (as :meth:`get_range`)."""
        ranges = _ranges(starts, ends, lengths)
        return self._ranges_result(path, _call(_ext.store_get_ranges, self._native, path, ranges))

    async def get_ranges_async(
        self,
        path: str,
        *,
        starts: Sequence[int],
        ends: Sequence[int] | None = None,
        lengths: Sequence[int] | None = None,
    ) -> list[Buffer]:
        ranges = _ranges(starts, ends, lengths)
        result = await _bridge.run(_ext.store_get_ranges, (self._native, path, ranges))
        return self._ranges_result(path, result)

    def get_suffix(self, path: str, length: int) -> Buffer:
        """The last ``length`` bytes of the value at ``path`` (all of it if shorter)."""
        result = _call(_ext.store_get_ranges, self._native, path, [(None, length)])
        return self._ranges_result(path, result)[0]

    async def get_suffix_async(self, path: str, length: int) -> Buffer:
        result = await _bridge.run(_ext.store_get_ranges, (self._native, path, [(None, length)]))
        return self._ranges_result(path, result)[0]

    def _ranges_result(self, path: str, parts: list[Buffer] | None) -> list[Buffer]:
        if parts is None:
            raise _missing(self._native.url, path)
        return parts

    # --- put / delete ----------------------------------------------------------------------

    def put(self, path: str, file: Any, **kwargs: Any) -> dict[str, str | None]:
        """Write a value (bytes, a buffer or a binary file object) at ``path``."""
        _call(_ext.store_put, self._native, path, _put_data(file))
        return {"e_tag": None, "version": None}

    async def put_async(self, path: str, file: Any, **kwargs: Any) -> dict[str, str | None]:
        await _bridge.run(_ext.store_put, (self._native, path, _put_data(file)))
        return {"e_tag": None, "version": None}

    def delete(self, paths: str | Sequence[str]) -> None:
        """Erase one key or several (absent keys are not an error)."""
        for path in [paths] if isinstance(paths, str) else paths:
            _call(_ext.store_delete, self._native, path)

    async def delete_async(self, paths: str | Sequence[str]) -> None:
        for path in [paths] if isinstance(paths, str) else paths:
            await _bridge.run(_ext.store_delete, (self._native, path))

    # --- list / head -----------------------------------------------------------------------

    def list(
        self, prefix: str | None = None, *, offset: str | None = None
    ) -> Iterator[list[ObjectMeta]]:
        """Every key below the directory ``prefix`` (``"a"`` lists ``a/x``, never ``ab``), sorted,
        in one chunk; ``offset`` skips keys up to and including it."""
        found = _call(_ext.store_list, self._native, prefix or "")
        return iter([[_meta(k, n) for k, n in found if offset is None or k > offset]])

    async def list_async(
        self, prefix: str | None = None, *, offset: str | None = None
    ) -> AsyncIterator[Sequence[ObjectMeta]]:
        found = await _bridge.run(_ext.store_list, (self._native, prefix or ""))
        yield [_meta(k, n) for k, n in found if offset is None or k > offset]

    def list_with_delimiter(self, prefix: str | None = None) -> ListResult:
        """The child prefixes and the keys directly below the directory ``prefix``."""
        result = _call(_ext.store_list_with_delimiter, self._native, prefix or "")
        return _listing(result)

    async def list_with_delimiter_async(self, prefix: str | None = None) -> ListResult:
        result = await _bridge.run(_ext.store_list_with_delimiter, (self._native, prefix or ""))
        return _listing(result)

    def head(self, path: str) -> ObjectMeta:
        """The size of the value at ``path``; ``FileNotFoundError`` when there is none."""
        return self._head_result(path, _call(_ext.store_head, self._native, path))

    async def head_async(self, path: str) -> ObjectMeta:
        return self._head_result(path, await _bridge.run(_ext.store_head, (self._native, path)))

    def _head_result(self, path: str, size: int | None) -> ObjectMeta:
        if size is None:
            raise _missing(self._native.url, path)
        return _meta(path, size)
