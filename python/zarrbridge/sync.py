"""Blocking twins of the async functions of :mod:`zarrbridge`: same names, same signatures.

Each call runs to completion in Rust with the GIL released; Ctrl-C raises KeyboardInterrupt.
See the async function of the same name for the arguments.

Example:
    >>> import zarrbridge as zb
    >>> a = zb.sync.create_array("memory://sync-intro", "a", shape=(4,), dtype="int32")
    >>> zb.sync.write_region(a, slice(0, 2), [1, 2])
    >>> zb.sync.read_region(a)
    array([1, 2, 0, 0], dtype=int32)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy.typing as npt

from zarrbridge import _ops
from zarrbridge._convert import CodecsLike, CoordsLike, SelectionLike, ShapeLike
from zarrbridge._handles import Array, Group
from zarrbridge._ops import NodeT
from zarrbridge.store import StoreLike

__all__ = [
    "create_array",
    "create_group",
    "delete_chunk",
    "delete_node",
    "list_children",
    "open_array",
    "open_group",
    "open_node",
    "read_chunk",
    "read_chunks",
    "read_metadata",
    "read_region",
    "update_attributes",
    "write_chunk",
    "write_chunks",
    "write_region",
]


def create_array(
    store: StoreLike,
    path: str = "",
    *,
    shape: ShapeLike | None = None,
    dtype: npt.DTypeLike | None = None,
    chunks: ShapeLike | None = None,
    shards: ShapeLike | None = None,
    fill_value: object = None,
    compressors: CodecsLike = "auto",
    filters: CodecsLike = None,
    zarr_format: int = 3,
    attributes: Mapping[str, Any] | None = None,
    dimension_names: Sequence[str | None] | None = None,
    overwrite: bool = False,
    metadata: Mapping[str, Any] | None = None,
    write_empty_chunks: bool = False,
) -> Array:
    """Create an array and write its metadata; blocking :func:`zarrbridge.create_array`.

    Example:
        >>> import zarrbridge as zb
        >>> zb.sync.create_array("memory://s", "a", shape=(10, 10), dtype="u2", chunks=5).grid_shape
        (2, 2)
    """
    return _ops.create_array(
        store,
        path,
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
        overwrite=overwrite,
        metadata=metadata,
        write_empty_chunks=write_empty_chunks,
    ).sync()


def create_group(
    store: StoreLike,
    path: str = "",
    *,
    attributes: Mapping[str, Any] | None = None,
    zarr_format: int = 3,
    overwrite: bool = False,
) -> Group:
    """Create a group and write its metadata; blocking :func:`zarrbridge.create_group`.

    Example:
        >>> import zarrbridge as zb
        >>> zb.sync.create_group("memory://s", "g", attributes={"n": 1}).attrs
        {'n': 1}
    """
    return _ops.create_group(
        store, path, attributes=attributes, zarr_format=zarr_format, overwrite=overwrite
    ).sync()


def open_array(store: StoreLike, path: str = "", *, write_empty_chunks: bool = False) -> Array:
    """Open an existing array; blocking :func:`zarrbridge.open_array`.

    Example:
        >>> import zarrbridge as zb
        >>> _ = zb.sync.create_array("memory://s", "oa", shape=(3,), dtype="f8")
        >>> zb.sync.open_array("memory://s", "oa").shape
        (3,)
    """
    return _ops.open_array(store, path, write_empty_chunks=write_empty_chunks).sync()


def open_group(store: StoreLike, path: str = "") -> Group:
    """Open an existing group; blocking :func:`zarrbridge.open_group`.

    Example:
        >>> import zarrbridge as zb
        >>> _ = zb.sync.create_group("memory://s", "og")
        >>> zb.sync.open_group("memory://s", "og").name
        'og'
    """
    return _ops.open_group(store, path).sync()


def open_node(store: StoreLike, path: str = "") -> Array | Group:
    """Open the array or group at ``path``; blocking :func:`zarrbridge.open_node`.

    Example:
        >>> import zarrbridge as zb
        >>> _ = zb.sync.create_group("memory://s", "on")
        >>> type(zb.sync.open_node("memory://s", "on")).__name__
        'Group'
    """
    return _ops.open_node(store, path).sync()


def read_metadata(store: StoreLike, path: str = "") -> dict[str, Any]:
    """Read a node's metadata document; blocking :func:`zarrbridge.read_metadata`.

    Example:
        >>> import zarrbridge as zb
        >>> _ = zb.sync.create_group("memory://s", "rm")
        >>> zb.sync.read_metadata("memory://s", "rm")["node_type"]
        'group'
    """
    return _ops.read_metadata(store, path).sync()


def list_children(store_or_group: StoreLike | Group, path: str = "") -> list[Array | Group]:
    """List the nodes one level below a node; blocking :func:`zarrbridge.list_children`.

    Example:
        >>> import zarrbridge as zb
        >>> g = zb.sync.create_group("memory://lc")
        >>> _ = zb.sync.create_group("memory://lc", "b")
        >>> [child.name for child in zb.sync.list_children(g)]
        ['b']
    """
    return _ops.list_children(store_or_group, path).sync()


def delete_node(store: StoreLike, path: str) -> None:
    """Delete a node and everything below it; blocking :func:`zarrbridge.delete_node`.

    Example:
        >>> import zarrbridge as zb
        >>> _ = zb.sync.create_group("memory://s", "dn")
        >>> zb.sync.delete_node("memory://s", "dn")
    """
    return _ops.delete_node(store, path).sync()


def update_attributes(node: NodeT, attributes: Mapping[str, Any]) -> NodeT:
    """Merge attributes into a node's; blocking :func:`zarrbridge.update_attributes`.

    Example:
        >>> import zarrbridge as zb
        >>> g = zb.sync.create_group("memory://s", "ua", attributes={"a": 1})
        >>> zb.sync.update_attributes(g, {"b": 2}).attrs
        {'a': 1, 'b': 2}
    """
    return _ops.update_attributes(node, attributes).sync()


def read_chunk(
    array: Array, coords: CoordsLike, *, out: npt.NDArray[Any] | None = None
) -> npt.NDArray[Any]:
    """Read one stored chunk; blocking :func:`zarrbridge.read_chunk`.

    Example:
        >>> import zarrbridge as zb
        >>> a = zb.sync.create_array("memory://s", "rc", shape=(5,), dtype="i1", chunks=2)
        >>> zb.sync.read_chunk(a, (2,))
        array([0, 0], dtype=int8)
    """
    return _ops.read_chunk(array, coords, out).sync()


def write_chunk(array: Array, coords: CoordsLike, data: npt.ArrayLike) -> None:
    """Write one stored chunk; blocking :func:`zarrbridge.write_chunk`.

    Example:
        >>> import zarrbridge as zb
        >>> a = zb.sync.create_array("memory://s", "wc", shape=(4,), dtype="i1", chunks=2)
        >>> zb.sync.write_chunk(a, (1,), [5, 6])
        >>> a[:]
        array([0, 0, 5, 6], dtype=int8)
    """
    return _ops.write_chunk(array, coords, data).sync()


def delete_chunk(array: Array, coords: CoordsLike) -> None:
    """Delete one stored chunk; blocking :func:`zarrbridge.delete_chunk`.

    Example:
        >>> import zarrbridge as zb
        >>> a = zb.sync.create_array("memory://s", "dc", shape=(4,), dtype="i1", chunks=2)
        >>> a[:] = 1
        >>> zb.sync.delete_chunk(a, (0,))
        >>> a[:]
        array([0, 0, 1, 1], dtype=int8)
    """
    return _ops.delete_chunk(array, coords).sync()


def read_chunks(array: Array, coords_list: Sequence[CoordsLike]) -> list[npt.NDArray[Any]]:
    """Read several stored chunks in one call; blocking :func:`zarrbridge.read_chunks`.

    Example:
        >>> import zarrbridge as zb
        >>> a = zb.sync.create_array("memory://s", "rcs", shape=(4,), dtype="i1", chunks=2)
        >>> [c.tolist() for c in zb.sync.read_chunks(a, [(0,), (1,)])]
        [[0, 0], [0, 0]]
    """
    return _ops.read_chunks(array, coords_list).sync()


def write_chunks(
    array: Array, coords_list: Sequence[CoordsLike], data_list: Sequence[npt.ArrayLike]
) -> None:
    """Write several stored chunks in one call; blocking :func:`zarrbridge.write_chunks`.

    Example:
        >>> import zarrbridge as zb
        >>> a = zb.sync.create_array("memory://s", "wcs", shape=(4,), dtype="i1", chunks=2)
        >>> zb.sync.write_chunks(a, [(0,), (1,)], [1, 2])
        >>> a[:]
        array([1, 1, 2, 2], dtype=int8)
    """
    return _ops.write_chunks(array, coords_list, data_list).sync()


def read_region(
    array: Array, selection: SelectionLike = ..., *, out: npt.NDArray[Any] | None = None
) -> npt.NDArray[Any]:
    """Read a region selected like numpy basic indexing; blocking :func:`zarrbridge.read_region`.

    Example:
        >>> import zarrbridge as zb
        >>> a = zb.sync.create_array("memory://s", "rr", shape=(3, 3), dtype="i1", fill_value=4)
        >>> zb.sync.read_region(a, (1, slice(None, None, 2)))
        array([4, 4], dtype=int8)
    """
    return _ops.read_region(array, selection, out).sync()


def write_region(array: Array, selection: SelectionLike, data: npt.ArrayLike) -> None:
    """Write a region with numpy broadcasting; blocking :func:`zarrbridge.write_region`.

    Example:
        >>> import zarrbridge as zb
        >>> a = zb.sync.create_array("memory://s", "wr", shape=(2, 2), dtype="i1")
        >>> zb.sync.write_region(a, (slice(None), 1), [7, 8])
        >>> a[:]
        array([[0, 7],
               [0, 8]], dtype=int8)
    """
    return _ops.write_region(array, selection, data).sync()
