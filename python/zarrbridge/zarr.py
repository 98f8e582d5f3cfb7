"""zarr-python's ``Store`` interface over zarrbridge's native stores: zarr-python reads and
writes through Rust (object_store) storage with :class:`ZarrStore`.

Example:
    >>> import zarr
    >>> from zarrbridge.zarr import ZarrStore
    >>> z = zarr.create_array(ZarrStore("memory://zarr-doc"), shape=(4,), dtype="i2")
    >>> z[:] = 7
    >>> z[...].tolist()
    [7, 7, 7, 7]
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Iterable
from typing import Any

# Absolute imports: this module is zarrbridge.zarr; `zarr` is zarr-python.
from zarr.abc.store import (
    ByteRequest,
    OffsetByteRequest,
    RangeByteRequest,
    Store,
    SuffixByteRequest,
)
from zarr.core.buffer import Buffer, BufferPrototype, default_buffer_prototype

from zarrbridge import _bridge
from zarrbridge import _native as _ext
from zarrbridge.store import Store as NativeStore
from zarrbridge.store import StoreLike, as_store

__all__ = ["ZarrStore"]

# zarr-python's stores answer a range that starts past the end of a value with no bytes.
_get_ranges = functools.partial(_ext.store_get_ranges, past_end_is_empty=True)


def _range(byte_range: ByteRequest | None) -> tuple[int | None, int | None] | None:
    """A zarr byte request as the native ``(offset, length)``; ``None`` for the whole value."""
    if byte_range is None:
        return None
    if isinstance(byte_range, RangeByteRequest):
        return (byte_range.start, max(byte_range.end - byte_range.start, 0))
    if isinstance(byte_range, OffsetByteRequest):
        return (byte_range.offset, None)
    if isinstance(byte_range, SuffixByteRequest):
        return (None, byte_range.suffix)
    raise TypeError(f"Unexpected byte_range, got {byte_range!r}")


class ZarrStore(Store):
    """A zarr-python store whose I/O runs in zarrbridge's Rust stores.

    Args:
        store: A :class:`zarrbridge.Store` or anything ``as_store`` accepts (URL, path, ...).
        read_only: Refuse writes (zarr-python's ``read_only``).

    Pickles as the native store's declaration (so a memory store, which exists in one process
    only, does not pickle).
    """

    supports_writes = True
    supports_deletes = True
    supports_partial_writes = False
    supports_listing = True

    def __init__(self, store: StoreLike, *, read_only: bool = False) -> None:
        super().__init__(read_only=read_only)
        self.store: NativeStore = as_store(store)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ZarrStore)
            and self.store == other.store
            and self.read_only == other.read_only
        )

    def __hash__(self) -> int:
        return hash((self.store, self.read_only))

    def __repr__(self) -> str:
        return f"ZarrStore({self.store.url!r})"

    def __str__(self) -> str:
        return f"zarrbridge+{self.store.url}"

    def __getstate__(self) -> dict[str, Any]:
        return {"store": self.store, "read_only": self.read_only}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["store"], read_only=state["read_only"])  # type: ignore[misc]

    def with_read_only(self, read_only: bool = False) -> ZarrStore:
        return ZarrStore(self.store, read_only=read_only)

    # --- reads -----------------------------------------------------------------------------

    def _buffer(self, prototype: BufferPrototype | None, value: Any) -> Buffer:
        # np.frombuffer inside from_bytes views the Rust-owned value: no copy.
        return (prototype or default_buffer_prototype()).buffer.from_bytes(value)

    async def get(
        self, key: str, prototype: BufferPrototype, byte_range: ByteRequest | None = None
    ) -> Buffer | None:
        if not self._is_open:
            await self._open()
        span = _range(byte_range)
        native = self.store._native
        if span is None:
            value = await _bridge.run(_ext.store_get, (native, key))
            return None if value is None else self._buffer(prototype, value)
        parts = await _bridge.run(_get_ranges, (native, key, [span]))
        return None if parts is None else self._buffer(prototype, parts[0])

    def get_sync(
        self,
        key: str,
        *,
        prototype: BufferPrototype | None = None,
        byte_range: ByteRequest | None = None,
    ) -> Buffer | None:
        span = _range(byte_range)
        native = self.store._native
        if span is None:
            value: Any = _ext.store_get(native, key)
            return None if value is None else self._buffer(prototype, value)
        parts: Any = _get_ranges(native, key, [span])
        return None if parts is None else self._buffer(prototype, parts[0])

    async def get_partial_values(
        self,
        prototype: BufferPrototype,
        key_ranges: Iterable[tuple[str, ByteRequest | None]],
    ) -> list[Buffer | None]:
        return list(await asyncio.gather(*(self.get(k, prototype, r) for k, r in key_ranges)))

    async def exists(self, key: str) -> bool:
        size = await _bridge.run(_ext.store_head, (self.store._native, key))
        return size is not None

    async def getsize(self, key: str) -> int:
        return int((await self.store.head_async(key))["size"])

    # --- writes ----------------------------------------------------------------------------

    async def set(self, key: str, value: Buffer) -> None:
        self._check_writable()
        if not self._is_open:
            await self._open()
        if not isinstance(value, Buffer):
            raise TypeError(f"expected a zarr Buffer, not {type(value).__qualname__}")
        await _bridge.run(_ext.store_put, (self.store._native, key, value.as_numpy_array()))

    def set_sync(self, key: str, value: Buffer) -> None:
        self._check_writable()
        _ext.store_put(self.store._native, key, value.as_numpy_array())

    async def set_if_not_exists(self, key: str, value: Buffer) -> None:
        # Not atomic: zarrs' storage traits have no conditional put.
        if not await self.exists(key):
            await self.set(key, value)

    async def delete(self, key: str) -> None:
        self._check_writable()
        await _bridge.run(_ext.store_delete, (self.store._native, key))

    def delete_sync(self, key: str) -> None:
        self._check_writable()
        _ext.store_delete(self.store._native, key)

    # --- listing ---------------------------------------------------------------------------

    async def list(self) -> AsyncIterator[str]:
        for key, _ in await _bridge.run(_ext.store_list, (self.store._native, "")):
            yield key

    async def list_prefix(self, prefix: str) -> AsyncIterator[str]:
        # zarr's prefixes are plain string prefixes: list the directory holding it, then filter.
        directory = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        for key, _ in await _bridge.run(_ext.store_list, (self.store._native, directory)):
            if key.startswith(prefix):
                yield key

    async def list_dir(self, prefix: str) -> AsyncIterator[str]:
        directory = prefix.rstrip("/")
        result = await _bridge.run(_ext.store_list_with_delimiter, (self.store._native, directory))
        prefixes, objects = result
        for name in sorted(
            {p.rsplit("/", 1)[-1] for p in prefixes} | {k.rsplit("/", 1)[-1] for k, _ in objects}
        ):
            yield name
