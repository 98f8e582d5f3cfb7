"""zarrbridge: async-first Zarr (v2 and v3) I/O, run in Rust by zarrs.

The functions here are coroutines that work under asyncio and trio; :mod:`zarrbridge.sync` has
the same functions, blocking.

Example:
    >>> import asyncio
    >>> import zarrbridge as zb
    >>> async def main():
    ...     a = await zb.create_array("memory://intro", "a", shape=(4,), dtype="int32")
    ...     await zb.write_region(a, slice(0, 2), [1, 2])
    ...     return await zb.read_region(a)
    >>> asyncio.run(main())
    array([1, 2, 0, 0], dtype=int32)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import numpy.typing as npt

from zarrbridge import _ops, errors, sync
from zarrbridge._convert import CodecsLike, CoordsLike, SelectionLike, ShapeLike
from zarrbridge._handles import Array, Group
from zarrbridge._ops import NodeT
from zarrbridge.limits import memory_limit, set_memory_limit
from zarrbridge.store import Store, StoreLike

try:
    __version__ = version("zarrbridge")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "Array",
    "Group",
    "Store",
    "__version__",
    "create_array",
    "create_group",
    "delete_chunk",
    "delete_node",
    "errors",
    "list_children",
    "memory_limit",
    "open_array",
    "open_group",
    "open_node",
    "read_chunk",
    "read_chunks",
    "read_metadata",
    "read_region",
    "set_memory_limit",
    "sync",
    "update_attributes",
    "write_chunk",
    "write_chunks",
    "write_region",
]


async def create_array(
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
    """Create an array and write its metadata.

    Args:
        store: A :class:`Store`, URL or path.
        path: The array's path in the store (``""``: the root).
        shape: The array shape (required unless ``metadata`` is given).
        dtype: Anything ``np.dtype`` accepts: bool, (u)int8-64, float16/32/64, complex64/128;
            a big-endian dtype such as ``">u2"`` gives big-endian storage (required unless
            ``metadata`` is given).
        chunks: The chunk shape (the inner chunk shape when ``shards`` is given); one int
            means the same length in every dimension; ``None``: one chunk for the whole array.
        shards: The shard shape (Zarr v3 only), or ``None`` for no sharding.
        fill_value: The value of unwritten elements (``None``: zero / False).
        compressors: ``"auto"`` (zstd level 0), ``None`` or ``[]`` (none), a codec or a list
            of codecs: dicts in v3 form ``{"name": ..., "configuration": {...}}`` or numcodecs
            form ``{"id": ...}``, zarr-python codec objects or numcodecs codec objects.
        filters: ``None`` or codecs as for ``compressors``.
        zarr_format: 2 or 3.
        attributes: User attributes (a JSON-able dict).
        dimension_names: One name (or ``None``) per dimension (Zarr v3 only).
        overwrite: Replace an existing node at ``path`` (and everything under it).
        metadata: A full ``zarr.json`` (v3) or ``.zarray`` (v2) document as a dict; it replaces
            all the keywords above except ``overwrite``.
        write_empty_chunks: Store chunks that hold only the fill value (else delete them).

    Returns:
        A handle to the new array.

    Raises:
        NodeExistsError: A node exists at ``path`` and ``overwrite`` is false.
        UnsupportedError: The dtype is not supported.
        MetadataError: The metadata is invalid.
        TypeError: An argument has the wrong type, or ``metadata`` is combined with keywords.

    Example:
        >>> a = await zb.create_array(
        ...     "data.zarr", "temperature", shape=(1000, 1000), dtype="float32", chunks=100
        ... )  # doctest: +SKIP
    """
    return await _ops.create_array(
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
    ).run()


async def create_group(
    store: StoreLike,
    path: str = "",
    *,
    attributes: Mapping[str, Any] | None = None,
    zarr_format: int = 3,
    overwrite: bool = False,
) -> Group:
    """Create a group and write its metadata.

    Args:
        store: A :class:`Store`, URL or path.
        path: The group's path in the store (``""``: the root).
        attributes: User attributes (a JSON-able dict).
        zarr_format: 2 or 3.
        overwrite: Replace an existing node at ``path`` (and everything under it).

    Returns:
        A handle to the new group.

    Raises:
        NodeExistsError: A node exists at ``path`` and ``overwrite`` is false.

    Example:
        >>> g = await zb.create_group("data.zarr", "run1", attributes={"n": 1})  # doctest: +SKIP
    """
    return await _ops.create_group(
        store, path, attributes=attributes, zarr_format=zarr_format, overwrite=overwrite
    ).run()


async def open_array(
    store: StoreLike, path: str = "", *, write_empty_chunks: bool = False
) -> Array:
    """Open an existing array (Zarr v2 or v3).

    Args:
        store: A :class:`Store`, URL or path.
        path: The array's path in the store.
        write_empty_chunks: Store chunks that hold only the fill value (else delete them).

    Returns:
        A handle to the array.

    Raises:
        NodeNotFoundError: No array exists at ``path``.

    Example:
        >>> a = await zb.open_array("data.zarr", "temperature")  # doctest: +SKIP
    """
    return await _ops.open_array(store, path, write_empty_chunks=write_empty_chunks).run()


async def open_group(store: StoreLike, path: str = "") -> Group:
    """Open an existing group (Zarr v2 or v3).

    Args:
        store: A :class:`Store`, URL or path.
        path: The group's path in the store.

    Returns:
        A handle to the group.

    Raises:
        NodeNotFoundError: No group exists at ``path``.

    Example:
        >>> g = await zb.open_group("data.zarr")  # doctest: +SKIP
    """
    return await _ops.open_group(store, path).run()


async def open_node(store: StoreLike, path: str = "") -> Array | Group:
    """Open the array or group at ``path``.

    Args:
        store: A :class:`Store`, URL or path.
        path: The node's path in the store.

    Returns:
        An :class:`Array` or a :class:`Group`.

    Raises:
        NodeNotFoundError: No node exists at ``path``.

    Example:
        >>> node = await zb.open_node("data.zarr", "temperature")  # doctest: +SKIP
    """
    return await _ops.open_node(store, path).run()


async def read_metadata(store: StoreLike, path: str = "") -> dict[str, Any]:
    """Read a node's metadata document without building a handle.

    Args:
        store: A :class:`Store`, URL or path.
        path: The node's path in the store.

    Returns:
        The parsed ``zarr.json`` (v3), or ``.zarray`` / ``.zgroup`` with an ``"attributes"``
        entry holding ``.zattrs`` (v2).

    Raises:
        NodeNotFoundError: No node exists at ``path``.

    Example:
        >>> (await zb.read_metadata("data.zarr", "temperature"))["shape"]  # doctest: +SKIP
        [1000, 1000]
    """
    return await _ops.read_metadata(store, path).run()


async def list_children(store_or_group: StoreLike | Group, path: str = "") -> list[Array | Group]:
    """List the arrays and groups one level below a node, sorted by name.

    Args:
        store_or_group: A :class:`Store`, URL or path, or a :class:`Group` (``path`` is then
            relative to the group).
        path: The parent node's path.

    Returns:
        Handles to the children, metadata included.

    Example:
        >>> [c.name for c in await zb.list_children("data.zarr")]  # doctest: +SKIP
        ['run1', 'temperature']
    """
    return await _ops.list_children(store_or_group, path).run()


async def delete_node(store: StoreLike, path: str) -> None:
    """Delete a node and everything below it.

    Args:
        store: A :class:`Store`, URL or path.
        path: The node's path in the store.

    Raises:
        NodeNotFoundError: No node exists at ``path``.

    Example:
        >>> await zb.delete_node("data.zarr", "run1")  # doctest: +SKIP
    """
    return await _ops.delete_node(store, path).run()


async def update_attributes(node: NodeT, attributes: Mapping[str, Any]) -> NodeT:
    """Merge ``attributes`` into a node's attributes (like ``dict.update``) and store them.

    Args:
        node: An :class:`Array` or :class:`Group`.
        attributes: The attributes to add or replace (a JSON-able dict).

    Returns:
        A new handle of the same kind holding the updated metadata.

    Example:
        >>> a = await zb.update_attributes(a, {"units": "K"})  # doctest: +SKIP
    """
    return await _ops.update_attributes(node, attributes).run()


async def read_chunk(
    array: Array, coords: CoordsLike, *, out: npt.NDArray[Any] | None = None
) -> npt.NDArray[Any]:
    """Read one stored chunk (a whole shard for a sharded array).

    Args:
        array: The array.
        coords: The chunk's coordinates in :attr:`Array.grid_shape`.
        out: A C-contiguous writeable array of exactly ``array.dtype`` and
            ``array.chunk_shape`` to decode into.

    Returns:
        The chunk, of shape ``array.chunk_shape`` (edge chunks are padded with the fill
        value; missing chunks are all fill value); ``out`` when given.

    Raises:
        ChunkIndexError: ``coords`` are outside the chunk grid.
        InvalidDataError: ``out`` does not match.

    Example:
        >>> chunk = await zb.read_chunk(a, (0, 0))  # doctest: +SKIP
    """
    return await _ops.read_chunk(array, coords, out).run()


async def write_chunk(array: Array, coords: CoordsLike, data: npt.ArrayLike) -> None:
    """Write one stored chunk (a whole shard for a sharded array).

    Args:
        array: The array.
        coords: The chunk's coordinates in :attr:`Array.grid_shape`.
        data: Values that broadcast to ``array.chunk_shape`` with a compatible dtype kind.

    Raises:
        ChunkIndexError: ``coords`` are outside the chunk grid.
        InvalidDataError: ``data`` cannot be written (nothing is written).

    Example:
        >>> await zb.write_chunk(a, (0, 0), 1.0)  # doctest: +SKIP
    """
    return await _ops.write_chunk(array, coords, data).run()


async def delete_chunk(array: Array, coords: CoordsLike) -> None:
    """Delete one stored chunk; its elements read as the fill value afterwards.

    Args:
        array: The array.
        coords: The chunk's coordinates in :attr:`Array.grid_shape`.

    Raises:
        ChunkIndexError: ``coords`` are outside the chunk grid.

    Example:
        >>> await zb.delete_chunk(a, (0, 0))  # doctest: +SKIP
    """
    return await _ops.delete_chunk(array, coords).run()


async def read_chunks(array: Array, coords_list: Sequence[CoordsLike]) -> list[npt.NDArray[Any]]:
    """Read several stored chunks in one call (concurrently in Rust).

    Args:
        array: The array.
        coords_list: The chunks' coordinates.

    Returns:
        One array per chunk, in the order of ``coords_list``.

    Raises:
        ChunkIndexError: Some coordinates are outside the chunk grid.

    Example:
        >>> first, second = await zb.read_chunks(a, [(0, 0), (0, 1)])  # doctest: +SKIP
    """
    return await _ops.read_chunks(array, coords_list).run()


async def write_chunks(
    array: Array, coords_list: Sequence[CoordsLike], data_list: Sequence[npt.ArrayLike]
) -> None:
    """Write several stored chunks in one call (concurrently in Rust).

    Args:
        array: The array.
        coords_list: The chunks' coordinates.
        data_list: One value per chunk, as for :func:`write_chunk`.

    Raises:
        ChunkIndexError: Some coordinates are outside the chunk grid.
        InvalidDataError: Some data cannot be written, or the lists differ in length (nothing
            is written).

    Example:
        >>> await zb.write_chunks(a, [(0, 0), (0, 1)], [1.0, 2.0])  # doctest: +SKIP
    """
    return await _ops.write_chunks(array, coords_list, data_list).run()


async def read_region(
    array: Array, selection: SelectionLike = ..., *, out: npt.NDArray[Any] | None = None
) -> npt.NDArray[Any]:
    """Read a region selected like numpy basic indexing.

    Args:
        array: The array.
        selection: An int, a slice (any step, negative too), ``...``, or a tuple of those;
            ints drop their dimension and missing trailing dimensions are full slices.
        out: A C-contiguous writeable array of exactly ``array.dtype`` and the result shape
            to decode into.

    Returns:
        A writeable array in native byte order (its memory is owned by Rust); ``out`` when
        given.

    Raises:
        SelectionError: The selection is out of bounds or malformed.
        UnsupportedError: Fancy, boolean or ``np.newaxis`` indexing.
        InvalidDataError: ``out`` does not match.

    Example:
        >>> block = await zb.read_region(a, (slice(0, 10), 5))  # doctest: +SKIP
    """
    return await _ops.read_region(array, selection, out).run()


async def write_region(array: Array, selection: SelectionLike, data: npt.ArrayLike) -> None:
    """Write a region selected like numpy basic indexing, with numpy broadcasting.

    Args:
        array: The array.
        selection: As for :func:`read_region`.
        data: A numpy array (any order, strides or byte order), scalar or nested list of a
            compatible dtype kind (bool->bool, int->int/float/complex, float->float/complex,
            complex->complex).

    Raises:
        SelectionError: The selection is out of bounds or malformed.
        InvalidDataError: ``data`` cannot be written (nothing is written).

    Example:
        >>> await zb.write_region(a, (slice(0, 10), 5), np.arange(10))  # doctest: +SKIP
    """
    return await _ops.write_region(array, selection, data).run()
