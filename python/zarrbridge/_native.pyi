"""Typed stub of the native extension ``zarrbridge._native`` (see docs/dev/native-contract.md).

Only the Python package uses this module. Every I/O function takes a trailing ``callback``:
with ``callback=None`` it runs to completion with the GIL released and returns its result;
otherwise it returns a :class:`Task` at once and later calls ``callback(result, error)`` exactly
once from a Rust thread (never after ``Task.cancel()``), or, with a :class:`CompletionPort`,
resolves ``Task.future`` on the port's loop (``_bridge`` says more).
"""

import sys
from collections.abc import Callable, Mapping, Sequence
from types import EllipsisType, ModuleType
from typing import Any, TypeAlias, final

import numpy as np
from typing_extensions import Buffer

__all__ = [
    "ArrayHandle",
    "Bytes",
    "CompletionPort",
    "Delivery",
    "GroupHandle",
    "IoStats",
    "NdBuffer",
    "ProgressCounter",
    "Ready",
    "RustError",
    "Selection",
    "Store",
    "Task",
    "VlenBuffer",
    "append",
    "array_from_metadata",
    "consolidate_metadata",
    "copy",
    "create_array",
    "create_group",
    "delete_chunk",
    "delete_node",
    "exceptions",
    "group_from_metadata",
    "group_list_children",
    "group_open_node",
    "io_stats_var",
    "list_children",
    "mark_store_loop_thread",
    "memory_limit",
    "open_array",
    "open_group",
    "open_node",
    "orthogonal_selection",
    "pool_sizes",
    "progress_var",
    "read_chunk",
    "read_chunks",
    "read_coalescing",
    "read_encoded_chunk",
    "read_metadata",
    "read_region",
    "read_selection",
    "resize",
    "selection_shape",
    "set_memory_limit",
    "set_read_coalescing",
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
    "vectorized_selection",
    "write_chunk",
    "write_chunks",
    "write_encoded_chunk",
    "write_region",
    "write_selection",
]

# pyo3-object_store's obstore-compatible builders (S3Store, GCSStore, AzureStore, HTTPStore,
# LocalStore, MemoryStore, from_url) and their exceptions, compiled into this extension.
store: ModuleType
exceptions: ModuleType

_Callback: TypeAlias = Callable[[Any, BaseException | None], None] | CompletionPort
# numpy arrays only satisfy the Buffer protocol for type checkers from Python 3.12 on.
_BufferLike: TypeAlias = Buffer | np.ndarray[Any, Any]
_Selection: TypeAlias = tuple[int | slice | EllipsisType, ...]
# JSON-shaped Python values: dicts with str keys, lists, str, int, finite float, bool, None
# (numpy scalars and enums are taken by value). Rust converts them once, at the call.
_Json: TypeAlias = Any
_JsonDict: TypeAlias = Mapping[str, Any]

class RustError(Exception):
    """An error of a library below zarrbridge, chained as the cause of a zarrbridge error."""

# --- stores (store.rs) ---------------------------------------------------------------------

@final
class Store:
    @staticmethod
    def from_url(url: str, options: _JsonDict | None = None) -> Store: ...
    @staticmethod
    def from_object_store(object_store: Any, declaration: _JsonDict) -> Store: ...
    @staticmethod
    def from_python_store(store: Any, asynchronous: bool, label: str) -> Store: ...
    @staticmethod
    def from_declaration(declaration: _JsonDict) -> Store: ...
    @property
    def declaration(self) -> dict[str, Any]: ...
    @property
    def url(self) -> str: ...

# --- node handles (handles.rs) --------------------------------------------------------------

@final
class ArrayHandle:
    @property
    def store(self) -> Store: ...
    @property
    def path(self) -> str: ...
    @property
    def metadata(self) -> dict[str, Any]: ...
    @property
    def shape(self) -> tuple[int, ...]: ...
    @property
    def dtype(self) -> str:
        """numpy type string of decoded data (``"<u2"``, ``"<M8[10s]"``, ``"<U3"``), ``"T"``
        (``StringDType``), ``"|O"`` (objects; also when the data cannot be moved) or an
        ``ml_dtypes`` name (``"bfloat16"``)."""
    @property
    def writable_kinds(self) -> str: ...
    @property
    def unsupported(self) -> str | None:
        """Why the array's data cannot be read or written, naming the data type or codec and
        the path; ``None`` when it can."""
    @property
    def chunk_shape(self) -> tuple[int, ...]: ...
    @property
    def inner_chunk_shape(self) -> tuple[int, ...] | None: ...
    @property
    def grid_shape(self) -> tuple[int, ...]: ...
    @property
    def inner_grid_shape(self) -> tuple[int, ...] | None: ...
    @property
    def zarr_format(self) -> int: ...
    @property
    def fill_value(self) -> bytes | str | None:
        """Native bytes of the fill value (``str`` for text arrays, the value for
        variable-length bytes; ``None`` when the data cannot be moved)."""
    @property
    def write_empty_chunks(self) -> bool: ...
    def chunk_key(self, coords: Sequence[int]) -> str: ...
    def with_write_empty_chunks(self, flag: bool) -> ArrayHandle: ...

@final
class GroupHandle:
    @property
    def store(self) -> Store: ...
    @property
    def path(self) -> str: ...
    @property
    def metadata(self) -> dict[str, Any]: ...
    @property
    def zarr_format(self) -> int: ...

# --- data and the runtime (buffer.rs, runtime.rs, store_io.rs, pystore*.rs) ---------------

@final
class NdBuffer:
    @property
    def nbytes(self) -> int: ...
    if sys.version_info >= (3, 12):
        def __buffer__(self, flags: int, /) -> memoryview: ...

@final
class VlenBuffer:
    """Variable-length values (text or bytes) owned by Rust, in C order."""
    @property
    def shape(self) -> tuple[int, ...]: ...
    @property
    def text(self) -> bool: ...
    @property
    def nbytes(self) -> int: ...
    def __len__(self) -> int: ...
    def fill_strings(self, out: np.ndarray[Any, Any]) -> None: ...
    def to_list(self) -> list[str] | list[bytes]: ...
    def __arrow_c_array__(
        self, requested_schema: object | None = None
    ) -> tuple[object, object]: ...

@final
class Task:
    def cancel(self) -> None: ...
    @property
    def future(self) -> Any: ...

@final
class CompletionPort:
    """Where operations started from one asyncio loop report back (``_bridge``)."""
    def __new__(cls, event_loop: Any, submitter: Any) -> CompletionPort: ...
    def fileno(self) -> int: ...
    def drain(self) -> None: ...

def pool_sizes() -> dict[str, int]: ...

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

# --- store I/O (store_io.rs) ------------------------------------------------------------------
# Raw key I/O (Store.get etc.). Ranges are (offset, length): offset None is a suffix of
# `length` bytes, length None reads to the end.
def store_get(store: Store, key: str, callback: _Callback | None = None) -> Bytes | Task | None: ...
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
def shutdown() -> None: ...

# --- nodes (nodes.rs) ------------------------------------------------------------------------
def array_from_metadata(store: Store, path: str, metadata: _JsonDict) -> ArrayHandle: ...
def group_from_metadata(store: Store, path: str, metadata: _JsonDict) -> GroupHandle: ...

# spec: the creation keywords of zarrbridge.create_array (shape and dtype as numpy's type string
# required; chunks, shards, fill_value, compressors, filters, zarr_format, attributes,
# dimension_names), or {"metadata": document}.
def create_array(
    store: Store,
    path: str,
    spec: dict[str, Any],
    overwrite: bool,
    callback: _Callback | None = None,
) -> ArrayHandle | Task: ...
def create_group(
    store: Store,
    path: str,
    attributes: _JsonDict | None,
    zarr_format: int,
    overwrite: bool,
    callback: _Callback | None = None,
) -> GroupHandle | Task: ...
def open_array(
    store: Store, path: str, callback: _Callback | None = None
) -> ArrayHandle | Task: ...

# use_consolidated: None uses a group's consolidated metadata when present, True requires it,
# False ignores it (zarr-python's meaning).
def open_group(
    store: Store,
    path: str,
    use_consolidated: bool | None,
    zarr_format: int | None,
    callback: _Callback | None = None,
) -> GroupHandle | Task: ...
def open_node(
    store: Store, path: str, use_consolidated: bool | None, callback: _Callback | None = None
) -> ArrayHandle | GroupHandle | Task: ...
def group_open_node(
    group: GroupHandle,
    path: str,
    use_consolidated: bool | None,
    callback: _Callback | None = None,
) -> ArrayHandle | GroupHandle | Task: ...
def read_metadata(
    store: Store, path: str, callback: _Callback | None = None
) -> dict[str, Any] | Task: ...
def list_children(
    store: Store, path: str, use_consolidated: bool | None, callback: _Callback | None = None
) -> list[ArrayHandle | GroupHandle] | Task: ...
def group_list_children(
    group: GroupHandle,
    path: str,
    use_consolidated: bool | None,
    callback: _Callback | None = None,
) -> list[ArrayHandle | GroupHandle] | Task: ...
def consolidate_metadata(
    store: Store, path: str, callback: _Callback | None = None
) -> GroupHandle | Task: ...
def delete_node(store: Store, path: str, callback: _Callback | None = None) -> Task | None: ...
def update_attributes(
    store: Store,
    path: str,
    attributes: _JsonDict,
    callback: _Callback | None = None,
) -> ArrayHandle | GroupHandle | Task: ...

# --- I/O statistics and read coalescing (io.rs) ------------------------------------------------
@final
class IoStats:
    def __init__(self) -> None: ...
    @property
    def requests(self) -> dict[str, int]: ...
    @property
    def total_requests(self) -> int: ...
    @property
    def bytes_read(self) -> int: ...
    @property
    def bytes_written(self) -> int: ...
    @property
    def wait_seconds(self) -> float: ...
    def reset(self) -> None: ...

# A contextvars.ContextVar[tuple[IoStats, ...]]: the counters every native call records into.
io_stats_var: Any

def read_coalescing() -> tuple[int, int]: ...
def set_read_coalescing(max_gap_bytes: int, max_bytes: int) -> None: ...

# --- memory limit (limits.rs) ---------------------------------------------------------------
def memory_limit() -> int: ...
def set_memory_limit(limit: int | None) -> int: ...

# --- chunks (chunks.rs) ----------------------------------------------------------------------
# inner=True: coordinates in the grid of inner chunks of a sharded array.
def read_chunk(
    array: ArrayHandle,
    coords: Sequence[int],
    out: _BufferLike | None = None,
    inner: bool = False,
    callback: _Callback | None = None,
) -> NdBuffer | VlenBuffer | Task | None: ...
def read_chunks(
    array: ArrayHandle,
    coords_list: Sequence[Sequence[int]],
    callback: _Callback | None = None,
) -> list[NdBuffer | VlenBuffer] | Task: ...
def write_chunk(
    array: ArrayHandle,
    coords: Sequence[int],
    data: _BufferLike,
    inner: bool = False,
    callback: _Callback | None = None,
) -> Task | None: ...
def write_chunks(
    array: ArrayHandle,
    coords_list: Sequence[Sequence[int]],
    data_list: Sequence[_BufferLike],
    callback: _Callback | None = None,
) -> Task | None: ...
def delete_chunk(
    array: ArrayHandle,
    coords: Sequence[int],
    inner: bool = False,
    callback: _Callback | None = None,
) -> Task | None: ...

# --- regions (regions.rs) --------------------------------------------------------------------
def selection_shape(array: ArrayHandle, selection: _Selection) -> tuple[int, ...]: ...
def read_region(
    array: ArrayHandle,
    selection: _Selection,
    out: _BufferLike | None = None,
    callback: _Callback | None = None,
) -> NdBuffer | VlenBuffer | Task | None: ...
def write_region(
    array: ArrayHandle,
    selection: _Selection,
    data: _BufferLike,
    callback: _Callback | None = None,
) -> Task | None: ...

# --- encoded chunks (encoded.rs) -----------------------------------------------------------
# inner=True: coordinates in the grid of inner chunks of a sharded array. data: a 1-d buffer
# of bytes (itemsize 1), held without a copy until written.
def read_encoded_chunk(
    array: ArrayHandle,
    coords: Sequence[int],
    inner: bool = False,
    callback: _Callback | None = None,
) -> Bytes | Task | None: ...
def write_encoded_chunk(
    array: ArrayHandle,
    coords: Sequence[int],
    data: _BufferLike,
    inner: bool = False,
    validate: bool = True,
    callback: _Callback | None = None,
) -> Task | None: ...

# --- indexing (indexing.rs) ------------------------------------------------------------------
@final
class Selection:
    """An orthogonal or vectorized selection resolved against an array's shape."""
    @property
    def shape(self) -> tuple[int, ...]: ...

# Items: int, slice, Ellipsis, a 1-d int64 buffer (positions) or a 1-d uint8 buffer (a mask).
def orthogonal_selection(
    array: ArrayHandle, selection: tuple[int | slice | EllipsisType | _BufferLike, ...]
) -> Selection: ...

# One 1-d int64 buffer per dimension, each one position per point of a result of `shape`.
def vectorized_selection(
    array: ArrayHandle, coords: Sequence[_BufferLike], shape: Sequence[int]
) -> Selection: ...
def read_selection(
    array: ArrayHandle,
    selection: Selection,
    out: _BufferLike | None = None,
    callback: _Callback | None = None,
) -> NdBuffer | Task | None: ...
def write_selection(
    array: ArrayHandle,
    selection: Selection,
    data: _BufferLike,
    callback: _Callback | None = None,
) -> Task | None: ...

# --- resize (resize.rs) ----------------------------------------------------------------------
def resize(
    array: ArrayHandle, shape: Sequence[int], callback: _Callback | None = None
) -> ArrayHandle | Task: ...
def append(
    array: ArrayHandle,
    data: _BufferLike,
    data_shape: Sequence[int],
    axis: int,
    callback: _Callback | None = None,
) -> ArrayHandle | Task: ...

# --- copy (copy.rs) --------------------------------------------------------------------------
# changes: creation keywords to change ("chunks", "shards", "compressors", "filters",
# "zarr_format"); empty: stored chunks are copied untouched.
def copy(
    source: ArrayHandle | GroupHandle,
    store: Store,
    path: str,
    changes: _JsonDict,
    overwrite: bool,
    resume: bool,
    callback: _Callback | None = None,
) -> ArrayHandle | GroupHandle | Task: ...

# --- progress (progress.rs) ------------------------------------------------------------------
@final
class ProgressCounter:
    def __init__(self) -> None: ...
    # (chunks_done, chunks_total, bytes_done, bytes_total)
    def snapshot(self) -> tuple[int, int, int, int]: ...

# A contextvars.ContextVar[ProgressCounter | None]: the counter of the native call starting now.
progress_var: Any
