"""Typed stub of the native extension ``zarrbridge._native`` (see docs/API.md).

Only the Python package uses this module. Every I/O function takes a trailing ``callback``:
with ``callback=None`` it runs to completion with the GIL released and returns its result;
otherwise it returns a :class:`Task` at once and later calls ``callback(result, error)`` exactly
once from a Rust thread (never after ``Task.cancel()``).
"""

import sys
from collections.abc import Callable, Sequence
from types import EllipsisType, ModuleType
from typing import Any, TypeAlias, final

import numpy as np
from typing_extensions import Buffer

__all__ = [
    "ArrayHandle",
    "Bytes",
    "Delivery",
    "GroupHandle",
    "NdBuffer",
    "Ready",
    "Store",
    "Task",
    "array_from_metadata",
    "create_array",
    "create_group",
    "delete_chunk",
    "delete_node",
    "exceptions",
    "list_children",
    "mark_store_loop_thread",
    "memory_limit",
    "open_array",
    "open_group",
    "open_node",
    "read_chunk",
    "read_chunks",
    "read_metadata",
    "read_region",
    "selection_shape",
    "set_memory_limit",
    "shutdown",
    "store",
    "store_delete",
    "store_get",
    "store_get_ranges",
    "store_head",
    "store_list",
    "store_list_with_delimiter",
    "store_put",
    "update_attributes",
    "write_chunk",
    "write_chunks",
    "write_region",
]

# pyo3-object_store's obstore-compatible builders (S3Store, GCSStore, AzureStore, HTTPStore,
# LocalStore, MemoryStore, from_url) and their exceptions, compiled into this extension.
store: ModuleType
exceptions: ModuleType

_Callback: TypeAlias = Callable[[Any, BaseException | None], None]
# numpy arrays only satisfy the Buffer protocol for type checkers from Python 3.12 on.
_BufferLike: TypeAlias = Buffer | np.ndarray[Any, Any]
_Selection: TypeAlias = tuple[int | slice | EllipsisType, ...]

@final
class Store:
    @staticmethod
    def from_url(url: str, options_json: str | None = None) -> Store: ...
    @staticmethod
    def from_object_store(object_store: Any, decl_json: str) -> Store: ...
    @staticmethod
    def from_python_store(store: Any, asynchronous: bool, label: str) -> Store: ...
    @staticmethod
    def from_declaration(decl_json: str) -> Store: ...
    def declaration_json(self) -> str: ...
    @property
    def url(self) -> str: ...

@final
class ArrayHandle:
    @property
    def store(self) -> Store: ...
    @property
    def path(self) -> str: ...
    def metadata_json(self) -> str: ...
    @property
    def shape(self) -> tuple[int, ...]: ...
    @property
    def dtype(self) -> str: ...
    @property
    def chunk_shape(self) -> tuple[int, ...]: ...
    @property
    def inner_chunk_shape(self) -> tuple[int, ...] | None: ...
    @property
    def grid_shape(self) -> tuple[int, ...]: ...
    @property
    def zarr_format(self) -> int: ...
    @property
    def fill_value(self) -> bytes: ...
    @property
    def write_empty_chunks(self) -> bool: ...
    def with_write_empty_chunks(self, flag: bool) -> ArrayHandle: ...

@final
class GroupHandle:
    @property
    def store(self) -> Store: ...
    @property
    def path(self) -> str: ...
    def metadata_json(self) -> str: ...
    @property
    def zarr_format(self) -> int: ...

@final
class NdBuffer:
    @property
    def nbytes(self) -> int: ...
    if sys.version_info >= (3, 12):
        def __buffer__(self, flags: int, /) -> memoryview: ...

@final
class Task:
    def cancel(self) -> None: ...

@final
class Ready:
    # An async call that completed in its first poll: no callback follows.
    def result(self) -> Any: ...

@final
class Bytes:
    """A stored value owned by Rust: a read-only 1-d byte buffer."""
    def __len__(self) -> int: ...
    if sys.version_info >= (3, 12):
        def __buffer__(self, flags: int, /) -> memoryview: ...

@final
class Delivery:
    """Hands a Python store coroutine's outcome to the Rust future waiting for it."""
    def __call__(self, result: Any, error: BaseException | None) -> None: ...

def mark_store_loop_thread() -> None: ...

# Raw key I/O (Store.get etc.). Ranges are (offset, length): offset None is a suffix of
# `length` bytes, length None reads to the end.
def store_get(store: Store, key: str, callback: _Callback | None = None) -> Bytes | Task | None: ...
def memory_limit() -> int: ...
def set_memory_limit(limit: int | None) -> int: ...
def store_get_ranges(
    store: Store,
    key: str,
    ranges: Sequence[tuple[int | None, int | None]],
    callback: _Callback | None = None,
    *,
    past_end_is_empty: bool = False,
) -> list[Bytes] | Task | None: ...
def store_put(
    store: Store, key: str, data: _BufferLike, callback: _Callback | None = None
) -> Task | None: ...
def store_delete(store: Store, key: str, callback: _Callback | None = None) -> Task | None: ...
def store_list(
    store: Store, prefix: str, callback: _Callback | None = None
) -> list[tuple[str, int]] | Task: ...
def store_list_with_delimiter(
    store: Store, prefix: str, callback: _Callback | None = None
) -> tuple[list[str], list[tuple[str, int]]] | Task: ...
def store_head(store: Store, key: str, callback: _Callback | None = None) -> int | Task | None: ...
def array_from_metadata(store: Store, path: str, metadata_json: str) -> ArrayHandle: ...
def shutdown() -> None: ...
def selection_shape(array: ArrayHandle, selection: _Selection) -> tuple[int, ...]: ...
def create_array(
    store: Store,
    path: str,
    spec_json: str,
    overwrite: bool,
    callback: _Callback | None = None,
) -> ArrayHandle | Task: ...
def create_group(
    store: Store,
    path: str,
    attributes_json: str,
    zarr_format: int,
    overwrite: bool,
    callback: _Callback | None = None,
) -> GroupHandle | Task: ...
def open_array(
    store: Store, path: str, callback: _Callback | None = None
) -> ArrayHandle | Task: ...
def open_group(
    store: Store, path: str, callback: _Callback | None = None
) -> GroupHandle | Task: ...
def open_node(
    store: Store, path: str, callback: _Callback | None = None
) -> ArrayHandle | GroupHandle | Task: ...
def read_metadata(store: Store, path: str, callback: _Callback | None = None) -> str | Task: ...
def list_children(
    store: Store, path: str, callback: _Callback | None = None
) -> list[ArrayHandle | GroupHandle] | Task: ...
def delete_node(store: Store, path: str, callback: _Callback | None = None) -> Task | None: ...
def update_attributes(
    handle: ArrayHandle | GroupHandle,
    attributes_json: str,
    callback: _Callback | None = None,
) -> ArrayHandle | GroupHandle | Task: ...
def read_chunk(
    array: ArrayHandle,
    coords: Sequence[int],
    out: _BufferLike | None = None,
    callback: _Callback | None = None,
) -> NdBuffer | Task | None: ...
def read_chunks(
    array: ArrayHandle,
    coords_list: Sequence[Sequence[int]],
    callback: _Callback | None = None,
) -> list[NdBuffer] | Task: ...
def write_chunk(
    array: ArrayHandle,
    coords: Sequence[int],
    data: _BufferLike,
    callback: _Callback | None = None,
) -> Task | None: ...
def write_chunks(
    array: ArrayHandle,
    coords_list: Sequence[Sequence[int]],
    data_list: Sequence[_BufferLike],
    callback: _Callback | None = None,
) -> Task | None: ...
def delete_chunk(
    array: ArrayHandle, coords: Sequence[int], callback: _Callback | None = None
) -> Task | None: ...
def read_region(
    array: ArrayHandle,
    selection: _Selection,
    out: _BufferLike | None = None,
    callback: _Callback | None = None,
) -> NdBuffer | Task | None: ...
def write_region(
    array: ArrayHandle,
    selection: _Selection,
    data: _BufferLike,
    callback: _Callback | None = None,
) -> Task | None: ...
