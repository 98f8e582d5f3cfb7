"""Argument preparation and result wrapping shared by the async API and ``zarrbridge.sync``.

Each function here checks and converts its arguments and returns an :class:`Op`: the native
function to call, its arguments, and how to turn the native result into the public one. The
async API awaits ``op.run()``; ``zarrbridge.sync`` calls ``op.sync()``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, Generic, Protocol, TypeVar, cast

import numpy as np
import numpy.typing as npt

from zarrbridge import _bridge
from zarrbridge import _native as _ext
from zarrbridge._convert import (
    CodecsLike,
    SelectionLike,
    ShapeLike,
    attributes_dict,
    attributes_json,
    check_out,
    coords_list,
    data_for_write,
    selection_tuple,
    spec_json,
    to_json,
)
from zarrbridge._handles import Array, Group, join_path
from zarrbridge.errors import InvalidDataError
from zarrbridge.store import StoreLike, as_store

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
U = TypeVar("U")
NodeT = TypeVar("NodeT", Array, Group)
"""An :class:`Array` or a :class:`Group`; functions taking one return the same kind."""


class Op(Protocol[T_co]):
    """A prepared operation: run it blocking or await it."""

    def sync(self) -> T_co: ...

    async def run(self) -> T_co: ...


class Call(Generic[T]):
    """One native call: ``finish(fn(*args))``."""

    __slots__ = ("args", "finish", "fn")

    def __init__(
        self, fn: Callable[..., Any], args: tuple[Any, ...], finish: Callable[[Any], T]
    ) -> None:
        self.fn = fn
        self.args = args
        self.finish = finish

    def sync(self) -> T:
        return self.finish(self.fn(*self.args))

    async def run(self) -> T:
        return self.finish(await _bridge.run(self.fn, self.args))


class Then(Generic[U, T]):
    """Two operations in sequence: the second is built from the result of the first."""

    __slots__ = ("first", "then")

    def __init__(self, first: Op[U], then: Callable[[U], Op[T]]) -> None:
        self.first = first
        self.then = then

    def sync(self) -> T:
        return self.then(self.first.sync()).sync()

    async def run(self) -> T:
        return await self.then(await self.first.run()).run()


# --- result wrapping -------------------------------------------------------------------------


def _none(result: object) -> None:
    return None


def _ndarray(buf: _ext.NdBuffer) -> npt.NDArray[Any]:
    # Zero copy: numpy views the Rust-owned buffer through the buffer protocol.
    return np.asarray(cast("npt.ArrayLike", buf))


def _ndarrays(bufs: list[_ext.NdBuffer]) -> list[npt.NDArray[Any]]:
    return [np.asarray(cast("npt.ArrayLike", b)) for b in bufs]


def _filled(out: npt.NDArray[Any], result: object) -> npt.NDArray[Any]:
    return out


def _array(write_empty_chunks: bool, handle: _ext.ArrayHandle) -> Array:
    if handle.write_empty_chunks != write_empty_chunks:
        handle = handle.with_write_empty_chunks(write_empty_chunks)
    return Array._wrap(handle)


def _node(handle: _ext.ArrayHandle | _ext.GroupHandle) -> Array | Group:
    if isinstance(handle, _ext.ArrayHandle):
        return Array._wrap(handle)
    return Group._wrap(handle)


def _nodes(handles: list[_ext.ArrayHandle | _ext.GroupHandle]) -> list[Array | Group]:
    return [_node(h) for h in handles]


def _metadata(text: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(text)
    return result


# --- nodes -----------------------------------------------------------------------------------


def create_array(
    store: StoreLike,
    path: str,
    *,
    shape: ShapeLike | None,
    dtype: npt.DTypeLike | None,
    chunks: ShapeLike | None,
    shards: ShapeLike | None,
    fill_value: object,
    compressors: CodecsLike,
    filters: CodecsLike,
    zarr_format: int,
    attributes: Mapping[str, Any] | None,
    dimension_names: Sequence[str | None] | None,
    overwrite: bool,
    metadata: Mapping[str, Any] | None,
    write_empty_chunks: bool,
) -> Call[Array]:
    spec = spec_json(
        shape=shape,
        dtype=dtype,
        chunks=chunks,
        shards=shards,
        fill_value=fill_value,
        compressors=compressors,
        filters=filters,
        zarr_format=zarr_format,
        attributes=attributes,
        dimension_names=dimension_names,
        metadata=metadata,
    )
    return Call(
        _ext.create_array,
        (as_store(store)._native, path, spec, bool(overwrite)),
        partial(_array, bool(write_empty_chunks)),
    )


def create_group(
    store: StoreLike,
    path: str,
    *,
    attributes: Mapping[str, Any] | None,
    zarr_format: int,
    overwrite: bool,
) -> Call[Group]:
    return Call(
        _ext.create_group,
        (
            as_store(store)._native,
            path,
            attributes_json(attributes),
            int(zarr_format),
            bool(overwrite),
        ),
        Group._wrap,
    )


def open_array(store: StoreLike, path: str, *, write_empty_chunks: bool) -> Call[Array]:
    return Call(
        _ext.open_array, (as_store(store)._native, path), partial(_array, bool(write_empty_chunks))
    )


def open_group(store: StoreLike, path: str) -> Call[Group]:
    return Call(_ext.open_group, (as_store(store)._native, path), Group._wrap)


def open_node(store: StoreLike, path: str) -> Call[Array | Group]:
    return Call(_ext.open_node, (as_store(store)._native, path), _node)


def read_metadata(store: StoreLike, path: str) -> Call[dict[str, Any]]:
    return Call(_ext.read_metadata, (as_store(store)._native, path), _metadata)


def list_children(store_or_group: StoreLike | Group, path: str) -> Call[list[Array | Group]]:
    if isinstance(store_or_group, Group):
        store, path = store_or_group.store, join_path(store_or_group.path, path)
    else:
        store = as_store(store_or_group)
    return Call(_ext.list_children, (store._native, path), _nodes)


def delete_node(store: StoreLike, path: str) -> Call[None]:
    return Call(_ext.delete_node, (as_store(store)._native, path), _none)


def update_attributes(node: NodeT, attributes: Mapping[str, Any]) -> Op[NodeT]:
    # Merged here (dict.update on the handle's attributes) so the result is the same whether
    # the native side replaces or merges the attributes document.
    merged = node.attrs
    merged.update(attributes_dict(attributes))
    text = to_json(merged, "attributes")
    if isinstance(node, Array):
        return Call(
            _ext.update_attributes, (node._native, text), partial(_array, node.write_empty_chunks)
        )
    handle = node._native
    if handle is None:
        # A Group made from explicit metadata has no native handle yet: open it first.
        return Then(
            open_group(node.store, node.path),
            lambda group: Call(_ext.update_attributes, (group._native, text), Group._wrap),
        )
    return Call(_ext.update_attributes, (handle, text), Group._wrap)


# --- chunks ----------------------------------------------------------------------------------


def read_chunk(array: Array, coords: object, out: object) -> Call[npt.NDArray[Any]]:
    coords_ = coords_list(coords)
    if out is None:
        return Call(_ext.read_chunk, (_array_native(array), coords_), _ndarray)
    checked = check_out(out, array.dtype, array.chunk_shape)
    return Call(
        _ext.read_chunk,
        (_array_native(array), coords_, _buffer(checked)),
        partial(_filled, checked),
    )


def read_chunks(array: Array, coords_list_: Sequence[object]) -> Call[list[npt.NDArray[Any]]]:
    coords = [coords_list(c) for c in coords_list_]
    return Call(_ext.read_chunks, (_array_native(array), coords), _ndarrays)


def write_chunk(array: Array, coords: object, data: object) -> Call[None]:
    native = _array_native(array)
    buf = _buffer(data_for_write(data, array.dtype, array.chunk_shape))
    return Call(_ext.write_chunk, (native, coords_list(coords), buf), _none)


def write_chunks(
    array: Array, coords_list_: Sequence[object], data_list: Sequence[object]
) -> Call[None]:
    native = _array_native(array)
    if len(coords_list_) != len(data_list):
        raise InvalidDataError(
            f"got {len(coords_list_)} chunk coordinates but {len(data_list)} data items"
        )
    coords = [coords_list(c) for c in coords_list_]
    bufs = [_buffer(data_for_write(d, array.dtype, array.chunk_shape)) for d in data_list]
    return Call(_ext.write_chunks, (native, coords, bufs), _none)


def delete_chunk(array: Array, coords: object) -> Call[None]:
    return Call(_ext.delete_chunk, (_array_native(array), coords_list(coords)), _none)


# --- regions ---------------------------------------------------------------------------------


def read_region(array: Array, selection: SelectionLike, out: object) -> Call[npt.NDArray[Any]]:
    native = _array_native(array)
    sel = selection_tuple(selection)
    if out is None:
        return Call(_ext.read_region, (native, sel), _ndarray)
    checked = check_out(out, array.dtype, tuple(_ext.selection_shape(native, sel)))
    return Call(_ext.read_region, (native, sel, _buffer(checked)), partial(_filled, checked))


def write_region(array: Array, selection: SelectionLike, data: object) -> Call[None]:
    native = _array_native(array)
    sel = selection_tuple(selection)
    buf = _buffer(data_for_write(data, array.dtype, tuple(_ext.selection_shape(native, sel))))
    return Call(_ext.write_region, (native, sel, buf), _none)


def _buffer(arr: npt.NDArray[Any]) -> npt.NDArray[Any]:
    # The native side takes C-contiguous buffers of the exact byte size. A 0-d array exports no
    # shape through the buffer protocol, which it rejects; a 1-element view has the same bytes.
    return arr.reshape(1) if arr.ndim == 0 else arr


def _array_native(array: object) -> _ext.ArrayHandle:
    if not isinstance(array, Array):
        raise TypeError(f"expected a zarrbridge.Array, not {type(array).__qualname__}")
    return array._native
