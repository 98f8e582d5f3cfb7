"""The store protocols: two families, sync and async, split by capability, with obspec's method
names and signatures (so obstore stores, and any obspec-conformant object, satisfy them).

A Python object implementing :class:`SyncStore` (or :class:`ReadOnlySyncStore`) becomes a zarrs
sync storage, called on tokio's blocking pool with the GIL taken per call. One implementing
:class:`AsyncStore` (or :class:`ReadOnlyAsyncStore`) becomes a zarrs async storage whose calls
run its coroutines on the caller's event loop (asyncio or trio; a blocking call uses a private
loop thread). An object with both families is adapted as async (see ``as_store``). A missing
key is ``FileNotFoundError``; any other exception reaches the caller with its own type.

Example:
    >>> from zarrbridge.protocols import SyncStore
    >>> class DictStore:  # doctest: +SKIP
    ...     def get(self, path, *, options=None): ...
    >>> isinstance(DictStore(), SyncStore)  # doctest: +SKIP
    False
"""

from __future__ import annotations

# Why not obspec's own protocol classes (PyPI ``obspec``): the store families here require only
# what zarrbridge calls, while obspec's mirror obstore's full signatures (``put``'s mode,
# attributes, use_multipart, ...) and its ``GetResult`` more than ``buffer()``, so a minimal
# user store would not conform; the method names and signatures are obspec's, so obstore and any
# obspec-conformant object still satisfy these structurally (tests/test_store_protocol_typing.py).
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any, Protocol, runtime_checkable

from typing_extensions import Buffer

__all__ = [
    "AsyncStore",
    "Delete",
    "DeleteAsync",
    "Get",
    "GetAsync",
    "GetRange",
    "GetRangeAsync",
    "GetRanges",
    "GetRangesAsync",
    "Head",
    "HeadAsync",
    "List",
    "ListAsync",
    "ListWithDelimiter",
    "ListWithDelimiterAsync",
    "Put",
    "PutAsync",
    "ReadOnlyAsyncStore",
    "ReadOnlySyncStore",
    "SyncStore",
]

# Results are described by what the adapters use of them: obspec's GetResult (``buffer()`` /
# ``buffer_async()``), ObjectMeta (``path``, ``size``) and ListResult (``common_prefixes``,
# ``objects``); ``Any`` keeps obstore's and obspec's concrete types acceptable.


# --- sync family -------------------------------------------------------------------------------


@runtime_checkable
class Get(Protocol):
    def get(self, path: str, *, options: Any = None) -> Any: ...


@runtime_checkable
class GetRange(Protocol):
    def get_range(
        self, path: str, *, start: int, end: int | None = None, length: int | None = None
    ) -> Buffer: ...


@runtime_checkable
class GetRanges(Protocol):
    def get_ranges(
        self,
        path: str,
        *,
        starts: Sequence[int],
        ends: Sequence[int] | None = None,
        lengths: Sequence[int] | None = None,
    ) -> Sequence[Buffer]: ...


@runtime_checkable
class Put(Protocol):
    # Only what zarrbridge passes: obspec's optional keywords (mode, attributes, ...) are not
    # required, so obstore's `put` and a minimal one both conform.
    def put(self, path: str, file: Buffer) -> Any: ...


@runtime_checkable
class Delete(Protocol):
    def delete(self, paths: str | Sequence[str]) -> None: ...


@runtime_checkable
class List(Protocol):
    def list(self, prefix: str | None = None, *, offset: str | None = None) -> Iterator[Any]: ...


@runtime_checkable
class ListWithDelimiter(Protocol):
    def list_with_delimiter(self, prefix: str | None = None) -> Any: ...


@runtime_checkable
class Head(Protocol):
    def head(self, path: str) -> Any: ...


@runtime_checkable
class ReadOnlySyncStore(Get, GetRange, GetRanges, List, ListWithDelimiter, Head, Protocol):
    """A sync store that can be read (writes through it raise ``StoreError``)."""


@runtime_checkable
class SyncStore(ReadOnlySyncStore, Put, Delete, Protocol):
    """A sync store that can be read and written."""


# --- async family ------------------------------------------------------------------------------


@runtime_checkable
class GetAsync(Protocol):
    async def get_async(self, path: str, *, options: Any = None) -> Any: ...


@runtime_checkable
class GetRangeAsync(Protocol):
    async def get_range_async(
        self, path: str, *, start: int, end: int | None = None, length: int | None = None
    ) -> Buffer: ...


@runtime_checkable
class GetRangesAsync(Protocol):
    async def get_ranges_async(
        self,
        path: str,
        *,
        starts: Sequence[int],
        ends: Sequence[int] | None = None,
        lengths: Sequence[int] | None = None,
    ) -> Sequence[Buffer]: ...


@runtime_checkable
class PutAsync(Protocol):
    async def put_async(self, path: str, file: Buffer) -> Any: ...


@runtime_checkable
class DeleteAsync(Protocol):
    async def delete_async(self, paths: str | Sequence[str]) -> None: ...


@runtime_checkable
class ListAsync(Protocol):
    """Optional in the async family: without it, listings walk ``list_with_delimiter_async``."""

    def list_async(
        self, prefix: str | None = None, *, offset: str | None = None
    ) -> AsyncIterator[Any]: ...


@runtime_checkable
class ListWithDelimiterAsync(Protocol):
    async def list_with_delimiter_async(self, prefix: str | None = None) -> Any: ...


@runtime_checkable
class HeadAsync(Protocol):
    async def head_async(self, path: str) -> Any: ...


@runtime_checkable
class ReadOnlyAsyncStore(
    GetAsync, GetRangeAsync, GetRangesAsync, ListWithDelimiterAsync, HeadAsync, Protocol
):
    """An async store that can be read (writes through it raise ``StoreError``)."""


@runtime_checkable
class AsyncStore(ReadOnlyAsyncStore, PutAsync, DeleteAsync, Protocol):
    """An async store that can be read and written."""
