"""``Array`` and ``Group``: immutable handles binding (store, path, parsed metadata).

The object layer sits on the functional core: async methods delegate to the functions of
``zarrbridge`` and the blocking conveniences to ``zarrbridge.sync`` (imported on use, since
those modules import this one).
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn, Self

import numpy as np
import numpy.typing as npt

from zarrbridge import _native as _ext
from zarrbridge._convert import CoordsLike, SelectionLike, metadata_json
from zarrbridge.errors import InvalidPathError, MetadataError
from zarrbridge.store import Store, StoreLike, as_store

__all__ = ["Array", "Group", "join_path"]


def join_path(base: str, name: str) -> str:
    """Join a node path and a child name with ``/`` (validation happens in Rust)."""
    if not isinstance(name, str):
        raise TypeError(f"a node name must be a str, not {type(name).__qualname__}")
    base, name = base.rstrip("/"), name.lstrip("/")
    if not base:
        return name
    if not name:
        return base
    return f"{base}/{name}"


class _Immutable:
    __slots__ = ()

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"{type(self).__name__} handles are immutable")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"{type(self).__name__} handles are immutable")

    # Immutable: a copy is the object itself (and copying never re-parses metadata).
    def __copy__(self) -> Self:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        return self


class Array(_Immutable):
    """A handle to a Zarr array: store, path and parsed metadata. Making one does no I/O.

    Usually made by :func:`zarrbridge.open_array` or :func:`zarrbridge.create_array`; it can
    also be made directly from a metadata document (``zarr.json`` or ``.zarray`` as a dict),
    which is how it is unpickled on dask workers.

    Args:
        store: The store (a :class:`~zarrbridge.Store`, URL or path).
        path: The array's path inside the store (``""`` for the root).
        metadata: The array's metadata document.
        write_empty_chunks: Store chunks that hold only the fill value (otherwise they are
            deleted on write).

    Attributes:
        store: The :class:`~zarrbridge.Store` holding the array.
        path: The array's normalised path in the store.
        shape: The array shape.
        dtype: The numpy dtype of values in memory (native byte order).
        chunks: The chunk shape (the inner chunk shape when sharded).
        shards: The shard shape, or ``None`` when not sharded.
        chunk_shape: The shape of a stored chunk (the shard shape when sharded, else
            ``chunks``); the unit of :func:`~zarrbridge.read_chunk`.
        grid_shape: The number of stored chunks along each dimension.
        fill_value: The fill value as a numpy scalar.
        zarr_format: 2 or 3.
        ndim: The number of dimensions.
        size: The number of elements.
        nbytes: The size of the whole array in memory, in bytes.
        dimension_names: The dimension names (v3), or ``None``.
        name: The last segment of ``path``.
        write_empty_chunks: Whether chunks holding only the fill value are stored.

    Example:
        >>> import zarrbridge as zb
        >>> a = zb.sync.create_array("memory://doc", "a", shape=(4, 4), dtype="uint16", chunks=2)
        >>> a.shape, a.chunks, a.grid_shape
        ((4, 4), (2, 2), (2, 2))
    """

    __slots__ = (
        "_attrs",
        "_metadata",
        "_native",
        "chunk_shape",
        "chunks",
        "dimension_names",
        "dtype",
        "fill_value",
        "grid_shape",
        "name",
        "nbytes",
        "ndim",
        "path",
        "shape",
        "shards",
        "size",
        "store",
        "write_empty_chunks",
        "zarr_format",
    )

    _native: _ext.ArrayHandle
    _metadata: dict[str, Any]
    _attrs: dict[str, Any]
    store: Store
    path: str
    shape: tuple[int, ...]
    dtype: np.dtype[Any]
    chunks: tuple[int, ...]
    shards: tuple[int, ...] | None
    chunk_shape: tuple[int, ...]
    grid_shape: tuple[int, ...]
    fill_value: np.generic
    zarr_format: int
    ndim: int
    size: int
    nbytes: int
    dimension_names: tuple[str | None, ...] | None
    name: str
    write_empty_chunks: bool

    def __init__(
        self,
        store: StoreLike,
        path: str,
        metadata: Mapping[str, Any],
        *,
        write_empty_chunks: bool = False,
    ) -> None:
        store_ = as_store(store)
        handle = _ext.array_from_metadata(store_._native, path, metadata_json(metadata))
        if handle.write_empty_chunks != bool(write_empty_chunks):
            handle = handle.with_write_empty_chunks(bool(write_empty_chunks))
        self._setup(handle, store_)

    @classmethod
    def _wrap(cls, handle: _ext.ArrayHandle) -> Array:
        self = object.__new__(cls)
        self._setup(handle, Store._wrap(handle.store))
        return self

    def _setup(self, handle: _ext.ArrayHandle, store: Store) -> None:
        metadata: dict[str, Any] = json.loads(handle.metadata_json())
        dtype = np.dtype(handle.dtype)
        shape = tuple(handle.shape)
        chunk_shape = tuple(handle.chunk_shape)
        inner = handle.inner_chunk_shape
        names = metadata.get("dimension_names")
        size = math.prod(shape)
        path = handle.path
        set_ = object.__setattr__
        set_(self, "_native", handle)
        set_(self, "_metadata", metadata)
        set_(self, "_attrs", metadata.get("attributes") or {})
        set_(self, "store", store)
        set_(self, "path", path)
        set_(self, "shape", shape)
        set_(self, "dtype", dtype)
        set_(self, "chunk_shape", chunk_shape)
        set_(self, "chunks", chunk_shape if inner is None else tuple(inner))
        set_(self, "shards", None if inner is None else chunk_shape)
        set_(self, "grid_shape", tuple(handle.grid_shape))
        set_(self, "fill_value", np.frombuffer(handle.fill_value, dtype)[0])
        set_(self, "zarr_format", handle.zarr_format)
        set_(self, "ndim", len(shape))
        set_(self, "size", size)
        set_(self, "nbytes", size * dtype.itemsize)
        set_(self, "dimension_names", None if names is None else tuple(names))
        set_(self, "name", path.rsplit("/", 1)[-1])
        set_(self, "write_empty_chunks", handle.write_empty_chunks)

    @property
    def metadata(self) -> dict[str, Any]:
        """The array's metadata document (a copy: handles are immutable).

        Example:
            >>> import zarrbridge as zb
            >>> a = zb.sync.create_array("memory://doc", "m", shape=(3,), dtype="int8")
            >>> a.metadata["zarr_format"]
            3
        """
        return copy.deepcopy(self._metadata)

    @property
    def attrs(self) -> dict[str, Any]:
        """The user attributes (a copy; change them with :meth:`update_attributes`).

        Example:
            >>> import zarrbridge as zb
            >>> a = zb.sync.create_array(
            ...     "memory://doc", "t", shape=(3,), dtype="int8", attributes={"units": "m"}
            ... )
            >>> a.attrs
            {'units': 'm'}
        """
        return copy.deepcopy(self._attrs)

    def __repr__(self) -> str:
        return (
            f"<zarrbridge.Array {self.store.url} path={self.path!r} shape={self.shape} "
            f"dtype={self.dtype}>"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_array, (self.store, self.path, self._metadata, self.write_empty_chunks))

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d array")
        return self.shape[0]

    # --- blocking conveniences -------------------------------------------------------------

    def __getitem__(self, selection: SelectionLike) -> npt.NDArray[Any]:
        """Read a region, blocking: ``a[sel]`` is ``zarrbridge.sync.read_region(a, sel)``.

        Example:
            >>> import zarrbridge as zb
            >>> a = zb.sync.create_array("memory://doc", "g", shape=(4,), dtype="int8")
            >>> a[1:3]
            array([0, 0], dtype=int8)
        """
        from zarrbridge import sync

        return sync.read_region(self, selection)

    def __setitem__(self, selection: SelectionLike, value: npt.ArrayLike) -> None:
        """Write a region, blocking: ``a[sel] = v`` is ``zarrbridge.sync.write_region(a, sel, v)``.

        Example:
            >>> import zarrbridge as zb
            >>> a = zb.sync.create_array("memory://doc", "s", shape=(4,), dtype="int8")
            >>> a[:2] = 7
            >>> a[:]
            array([7, 7, 0, 0], dtype=int8)
        """
        from zarrbridge import sync

        sync.write_region(self, selection, value)

    def __array__(
        self, dtype: npt.DTypeLike | None = None, copy: bool | None = None
    ) -> npt.NDArray[Any]:
        """Read the whole array, blocking (``np.asarray(a)``).

        Example:
            >>> import numpy as np
            >>> import zarrbridge as zb
            >>> a = zb.sync.create_array("memory://doc", "n", shape=(2,), dtype="int8")
            >>> np.asarray(a)
            array([0, 0], dtype=int8)
        """
        if copy is False:
            raise ValueError("reading a zarrbridge.Array always makes a new array: copy=False")
        from zarrbridge import sync

        data = sync.read_region(self, ...)
        return data if dtype is None else data.astype(dtype, copy=False)

    # --- async methods: delegate to the functions ---------------------------------------------

    async def read_chunk(
        self, coords: CoordsLike, *, out: npt.NDArray[Any] | None = None
    ) -> npt.NDArray[Any]:
        """Read one stored chunk; see :func:`zarrbridge.read_chunk`.

        Example:
            >>> chunk = await array.read_chunk((0, 0))  # doctest: +SKIP
        """
        from zarrbridge import read_chunk

        return await read_chunk(self, coords, out=out)

    async def write_chunk(self, coords: CoordsLike, data: npt.ArrayLike) -> None:
        """Write one stored chunk; see :func:`zarrbridge.write_chunk`.

        Example:
            >>> await array.write_chunk((0, 0), 1)  # doctest: +SKIP
        """
        from zarrbridge import write_chunk

        await write_chunk(self, coords, data)

    async def delete_chunk(self, coords: CoordsLike) -> None:
        """Delete one stored chunk; see :func:`zarrbridge.delete_chunk`.

        Example:
            >>> await array.delete_chunk((0, 0))  # doctest: +SKIP
        """
        from zarrbridge import delete_chunk

        await delete_chunk(self, coords)

    async def read_chunks(self, coords_list: Sequence[CoordsLike]) -> list[npt.NDArray[Any]]:
        """Read several stored chunks at once; see :func:`zarrbridge.read_chunks`.

        Example:
            >>> a, b = await array.read_chunks([(0, 0), (0, 1)])  # doctest: +SKIP
        """
        from zarrbridge import read_chunks

        return await read_chunks(self, coords_list)

    async def write_chunks(
        self, coords_list: Sequence[CoordsLike], data_list: Sequence[npt.ArrayLike]
    ) -> None:
        """Write several stored chunks at once; see :func:`zarrbridge.write_chunks`.

        Example:
            >>> await array.write_chunks([(0, 0), (0, 1)], [1, 2])  # doctest: +SKIP
        """
        from zarrbridge import write_chunks

        await write_chunks(self, coords_list, data_list)

    async def read_region(
        self, selection: SelectionLike = ..., *, out: npt.NDArray[Any] | None = None
    ) -> npt.NDArray[Any]:
        """Read a region; see :func:`zarrbridge.read_region`.

        Example:
            >>> block = await array.read_region((slice(0, 10), 3))  # doctest: +SKIP
        """
        from zarrbridge import read_region

        return await read_region(self, selection, out=out)

    async def write_region(self, selection: SelectionLike, data: npt.ArrayLike) -> None:
        """Write a region; see :func:`zarrbridge.write_region`.

        Example:
            >>> await array.write_region((slice(0, 10), 3), 1.5)  # doctest: +SKIP
        """
        from zarrbridge import write_region

        await write_region(self, selection, data)

    async def update_attributes(self, attributes: Mapping[str, Any]) -> Array:
        """Merge ``attributes`` into the stored ones; see :func:`zarrbridge.update_attributes`.

        Example:
            >>> array = await array.update_attributes({"units": "m"})  # doctest: +SKIP
        """
        from zarrbridge import update_attributes

        return await update_attributes(self, attributes)


class Group(_Immutable):
    """A handle to a Zarr group: store, path and parsed metadata. Making one does no I/O.

    Args:
        store: The store (a :class:`~zarrbridge.Store`, URL or path).
        path: The group's path inside the store (``""`` for the root).
        metadata: The group's metadata document (``zarr.json``, or ``.zgroup`` plus
            ``"attributes"``).

    Attributes:
        store: The :class:`~zarrbridge.Store` holding the group.
        path: The group's path in the store.
        zarr_format: 2 or 3.
        name: The last segment of ``path``.

    Example:
        >>> import zarrbridge as zb
        >>> g = zb.sync.create_group("memory://doc", "grp", attributes={"title": "demo"})
        >>> g.attrs, g.zarr_format
        ({'title': 'demo'}, 3)
    """

    __slots__ = ("_attrs", "_metadata", "_native", "name", "path", "store", "zarr_format")

    # None when made from explicit metadata: operations that need one open the group first.
    _native: _ext.GroupHandle | None
    _metadata: dict[str, Any]
    _attrs: dict[str, Any]
    store: Store
    path: str
    zarr_format: int
    name: str

    def __init__(self, store: StoreLike, path: str, metadata: Mapping[str, Any]) -> None:
        doc: dict[str, Any] = json.loads(metadata_json(metadata))
        zarr_format = doc.get("zarr_format")
        if zarr_format not in (2, 3):
            raise MetadataError(f"group metadata needs zarr_format 2 or 3, got {zarr_format!r}")
        store_ = as_store(store)
        self._setup(None, store_, _normalised_path(store_, path), doc, zarr_format)

    @classmethod
    def _wrap(cls, handle: _ext.GroupHandle) -> Group:
        self = object.__new__(cls)
        metadata = json.loads(handle.metadata_json())
        self._setup(handle, Store._wrap(handle.store), handle.path, metadata, handle.zarr_format)
        return self

    def _setup(
        self,
        handle: _ext.GroupHandle | None,
        store: Store,
        path: str,
        metadata: dict[str, Any],
        zarr_format: int,
    ) -> None:
        set_ = object.__setattr__
        set_(self, "_native", handle)
        set_(self, "_metadata", metadata)
        set_(self, "_attrs", metadata.get("attributes") or {})
        set_(self, "store", store)
        set_(self, "path", path)
        set_(self, "zarr_format", zarr_format)
        set_(self, "name", path.rsplit("/", 1)[-1])

    @property
    def metadata(self) -> dict[str, Any]:
        """The group's metadata document (a copy: handles are immutable).

        Example:
            >>> import zarrbridge as zb
            >>> zb.sync.create_group("memory://doc", "gm").metadata["node_type"]
            'group'
        """
        return copy.deepcopy(self._metadata)

    @property
    def attrs(self) -> dict[str, Any]:
        """The user attributes (a copy; change them with :meth:`update_attributes`).

        Example:
            >>> import zarrbridge as zb
            >>> zb.sync.create_group("memory://doc", "ga", attributes={"a": 1}).attrs
            {'a': 1}
        """
        return copy.deepcopy(self._attrs)

    def __repr__(self) -> str:
        return f"<zarrbridge.Group {self.store.url} path={self.path!r}>"

    def __reduce__(self) -> tuple[Any, ...]:
        metadata = {"zarr_format": self.zarr_format, **self._metadata}
        return (Group, (self.store, self.path, metadata))

    def _child(self, name: str, action: str) -> str:
        path = join_path(self.path, name)
        if path == self.path:
            raise InvalidPathError(f"cannot {action} a node with an empty name in {self!r}")
        return path

    async def list_children(self) -> list[Array | Group]:
        """List the arrays and groups directly inside this group, sorted by name.

        Example:
            >>> names = [child.name for child in await group.list_children()]  # doctest: +SKIP
        """
        from zarrbridge import list_children

        return await list_children(self)

    async def update_attributes(self, attributes: Mapping[str, Any]) -> Group:
        """Merge ``attributes`` into the stored ones; see :func:`zarrbridge.update_attributes`.

        Example:
            >>> group = await group.update_attributes({"title": "x"})  # doctest: +SKIP
        """
        from zarrbridge import update_attributes

        return await update_attributes(self, attributes)

    async def create_array(self, name: str, **kwargs: Any) -> Array:
        """Create an array inside this group; keywords as :func:`zarrbridge.create_array`.

        Example:
            >>> a = await group.create_array("a", shape=(10,), dtype="f4")  # doctest: +SKIP
        """
        from zarrbridge import create_array

        return await create_array(self.store, self._child(name, "create"), **kwargs)

    async def create_group(self, name: str, **kwargs: Any) -> Group:
        """Create a group inside this group; keywords as :func:`zarrbridge.create_group`.

        Example:
            >>> sub = await group.create_group("sub")  # doctest: +SKIP
        """
        from zarrbridge import create_group

        return await create_group(self.store, self._child(name, "create"), **kwargs)

    async def open_node(self, name: str) -> Array | Group:
        """Open the array or group ``name`` inside this group (``""``: this group).

        Example:
            >>> node = await group.open_node("a")  # doctest: +SKIP
        """
        from zarrbridge import open_node

        return await open_node(self.store, join_path(self.path, name))


# The smallest valid array document; see _normalised_path.
_PATH_PROBE = json.dumps(
    {
        "zarr_format": 3,
        "node_type": "array",
        "shape": [1],
        "data_type": "uint8",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [1]}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
        "fill_value": 0,
        "codecs": [{"name": "bytes"}],
        "attributes": {},
    }
)


def _normalised_path(store: Store, path: str) -> str:
    # The native module has no group counterpart of array_from_metadata. Borrow that (it does
    # no I/O) so that a Group made from metadata validates and normalises its path by the same
    # Rust rules as every other call, instead of a second copy of them here.
    if not isinstance(path, str):
        raise TypeError(f"a node path must be a str, not {type(path).__qualname__}")
    return _ext.array_from_metadata(store._native, path, _PATH_PROBE).path


def _rebuild_array(
    store: Store, path: str, metadata: dict[str, Any], write_empty_chunks: bool
) -> Array:
    return Array(store, path, metadata, write_empty_chunks=write_empty_chunks)
