"""The node family: arrays and groups. ``Array`` and ``Group`` are immutable handles binding
(store, path, parsed metadata); the functions create, open, list and delete nodes, read their
metadata and update their attributes.

Each function here is the one definition of an operation (signature, docstring, argument
checks); :mod:`zarrbridge`, :mod:`zarrbridge.sync` and the handle methods are made from it (see
``_op.py``), and so are the methods ``Array`` takes from the chunk and region families. Rust
side: ``crates/zarrbridge-python/src/nodes.rs`` and ``crates/zarrbridge-core/src/nodes.rs``.
"""

from __future__ import annotations

import copy
import math
import operator
from collections.abc import Callable, Coroutine, Mapping, Sequence
from functools import partial
from typing import Any, Concatenate, NoReturn, ParamSpec, Self, TypeVar

import numpy as np
import numpy.typing as npt

from zarrbridge import _chunks, _encoded, _indexing, _regions, _resize
from zarrbridge import _native as _ext
from zarrbridge._convert import (
    CodecsLike,
    SelectionLike,
    ShapeLike,
    codecs_arg,
    dimension_names_arg,
    dtype_arg,
    fill_arg,
    fill_scalar,
    none,
    numpy_dtype,
    shape_arg,
)
from zarrbridge._op import Call, Op, asynchronous, blocking
from zarrbridge.errors import InvalidPathError, MetadataError, NodeNotFoundError
from zarrbridge.store import Store, StoreLike, as_store

__all__ = [
    "Array",
    "Group",
    "NodeT",
    "consolidate_metadata",
    "create_array",
    "create_group",
    "delete_node",
    "join_path",
    "list_children",
    "open_array",
    "open_group",
    "open_node",
    "read_metadata",
    "update_attributes",
]

P = ParamSpec("P")
T = TypeVar("T")


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


NodeT = TypeVar("NodeT", "Array", "Group")
"""An :class:`Array` or a :class:`Group`; functions taking one return the same kind."""


# --- results ---------------------------------------------------------------------------------


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


def _use_consolidated(value: object) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise TypeError(f"use_consolidated must be None, True or False, not {value!r}")


def _document(metadata: object) -> dict[str, Any]:
    if not isinstance(metadata, Mapping):
        raise TypeError(f"metadata must be a dict, not {type(metadata).__qualname__}")
    return dict(metadata)


# --- the operations ----------------------------------------------------------------------------


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
) -> Op[Array]:
    """Create an array and write its metadata.

    Args:
        store: A :class:`Store`, URL or path.
        path: The array's path in the store (``""``: the root).
        shape: The array shape (required unless ``metadata`` is given).
        dtype: Anything ``np.dtype`` accepts: bool, (u)int8-64, float16/32/64, complex64/128,
            ``datetime64``/``timedelta64`` with any unit, fixed-width text (``"U8"``) and bytes
            (``"S8"``), void (``"V4"``), ``str`` / ``StringDType`` / ``"string"`` for
            variable-length text and ``"bytes"`` for variable-length bytes, and the
            ``ml_dtypes`` types zarrs has (``"bfloat16"``, ``"float8_e4m3"``, ``"int4"``, ...;
            Zarr v3 only); a Zarr v3 data type name or dict (``"r16"``, ``{"name":
            "numpy.datetime64", "configuration": {...}}``) or a zarr-python data type object;
            a big-endian dtype such as ``">u2"`` gives big-endian storage (required unless
            ``metadata`` is given).
        chunks: The chunk shape (the inner chunk shape when ``shards`` is given); one int
            means the same length in every dimension; ``None``: one chunk for the whole array.
        shards: The shard shape (Zarr v3 only), or ``None`` for no sharding.
        fill_value: The value of unwritten elements (``None``: zero, False, the empty string or
            bytes, NaT for times; in Zarr v2 written as ``null``, as zarr-python does, which
            xarray reads as "no ``_FillValue``"), of the array's kind: a number, ``str``,
            ``bytes``, a ``datetime64``/``timedelta64`` (converted exactly to the array's
            unit) or ``"NaT"``.
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
    spec: dict[str, object]
    if metadata is not None:
        given = [
            name
            for name, value in (
                ("shape", shape),
                ("dtype", dtype),
                ("chunks", chunks),
                ("shards", shards),
                ("fill_value", fill_value),
                ("filters", filters),
                ("attributes", attributes),
                ("dimension_names", dimension_names),
            )
            if value is not None
        ]
        if not (isinstance(compressors, str) and compressors == "auto"):
            given.append("compressors")
        document = _document(metadata)
        if zarr_format != 3 and zarr_format != document.get("zarr_format"):
            given.append("zarr_format")
        if given:
            raise TypeError(f"metadata= replaces the array keywords; do not also pass {given}")
        spec = {"metadata": document}
    else:
        if shape is None:
            raise TypeError("create_array() missing required keyword argument: 'shape'")
        if dtype is None:
            raise TypeError("create_array() missing required keyword argument: 'dtype'")
        spec = {
            "shape": shape_arg(shape, "shape"),
            "dtype": dtype_arg(dtype),
            "chunks": shape_arg(chunks, "chunks"),
            "shards": shape_arg(shards, "shards"),
            "fill_value": fill_arg(fill_value),
            "compressors": codecs_arg(compressors, "compressors", allow_auto=True),
            "filters": codecs_arg(filters, "filters", allow_auto=False),
            "zarr_format": operator.index(zarr_format),
            "attributes": attributes,
            "dimension_names": dimension_names_arg(dimension_names),
        }
    return Call(
        _ext.create_array,
        (as_store(store)._native, path, spec, bool(overwrite)),
        partial(_array, bool(write_empty_chunks)),
    )


def create_group(
    store: StoreLike,
    path: str = "",
    *,
    attributes: Mapping[str, Any] | None = None,
    zarr_format: int = 3,
    overwrite: bool = False,
) -> Op[Group]:
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
    native = as_store(store)._native
    args = (native, path, attributes, operator.index(zarr_format), bool(overwrite))
    return Call(_ext.create_group, args, Group._wrap)


def open_array(store: StoreLike, path: str = "", *, write_empty_chunks: bool = False) -> Op[Array]:
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
    return Call(
        _ext.open_array, (as_store(store)._native, path), partial(_array, bool(write_empty_chunks))
    )


def open_group(
    store: StoreLike,
    path: str = "",
    *,
    use_consolidated: bool | None = None,
    zarr_format: int | None = None,
) -> Op[Group]:
    """Open an existing group (Zarr v2 or v3).

    Args:
        store: A :class:`Store`, URL or path.
        path: The group's path in the store.
        use_consolidated: See :func:`list_children`.
        zarr_format: 2 or 3 to open only a group of that format, without looking for the
            other's documents (``None``: either, v3 first). A consolidated v2 group then opens
            with one request (``.zmetadata`` holds the group's own documents too).

    Returns:
        A handle to the group. With consolidated metadata, listing it and opening the nodes
        below it (:func:`list_children`, :func:`open_node` given the group) need no requests.

    Raises:
        NodeNotFoundError: No group exists at ``path``.
        MetadataError: ``use_consolidated=True`` and the group has no consolidated metadata.

    Example:
        >>> g = await zb.open_group("data.zarr")  # doctest: +SKIP
    """
    if zarr_format is not None:
        zarr_format = operator.index(zarr_format)
        if zarr_format not in (2, 3):
            raise ValueError(f"zarr_format must be 2, 3 or None, not {zarr_format}")
    native = as_store(store)._native
    args = (native, path, _use_consolidated(use_consolidated), zarr_format)
    return Call(_ext.open_group, args, Group._wrap)


def open_node(
    store: StoreLike | Group, path: str = "", *, use_consolidated: bool | None = None
) -> Op[Array | Group]:
    """Open the array or group at ``path``.

    Args:
        store: A :class:`Store`, URL or path, or a :class:`Group` (``path`` is then relative
            to it, and the node comes from the group's consolidated metadata when it has some;
            a node missing from it is looked for in the store).
        path: The node's path.
        use_consolidated: See :func:`list_children`.

    Returns:
        An :class:`Array` or a :class:`Group`.

    Raises:
        NodeNotFoundError: No node exists at ``path``.

    Example:
        >>> node = await zb.open_node("data.zarr", "temperature")  # doctest: +SKIP
    """
    use = _use_consolidated(use_consolidated)
    if isinstance(store, Group):
        return Call(_ext.group_open_node, (store._native, path, use), _node)
    return Call(_ext.open_node, (as_store(store)._native, path, use), _node)


def read_metadata(store: StoreLike, path: str = "") -> Op[dict[str, Any]]:
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
    return Call(_ext.read_metadata, (as_store(store)._native, path), _metadata)


def _metadata(document: dict[str, Any]) -> dict[str, Any]:
    return document


def list_children(
    store_or_group: StoreLike | Group, path: str = "", *, use_consolidated: bool | None = None
) -> Op[list[Array | Group]]:
    """List the arrays and groups one level below a node, sorted by name.

    Args:
        store_or_group: A :class:`Store`, URL or path, or a :class:`Group` (``path`` is then
            relative to the group).
        path: The parent node's path.
        use_consolidated: Whether to use consolidated metadata (``.zmetadata`` in Zarr v2,
            ``consolidated_metadata`` in the group's ``zarr.json`` in v3), with zarr-python's
            meaning: ``None`` uses it when present, ``True`` requires it
            (:class:`~zarrbridge.errors.MetadataError` when missing), ``False`` ignores it and
            lists the store. A :class:`Group` opened with it lists with no request at all;
            given a store, the group's metadata is read first (one request for v3). Like
            zarr-python's, it is a snapshot taken by :func:`consolidate_metadata`: nodes
            created, changed or deleted since are missing or stale in it until it is written
            again (pass ``False`` to see the store as it is).

    Returns:
        Handles to the children, metadata included.

    Example:
        >>> [c.name for c in await zb.list_children("data.zarr")]  # doctest: +SKIP
        ['run1', 'temperature']
    """
    use = _use_consolidated(use_consolidated)
    if isinstance(store_or_group, Group):
        return Call(_ext.group_list_children, (store_or_group._native, path, use), _nodes)
    return Call(_ext.list_children, (as_store(store_or_group)._native, path, use), _nodes)


def consolidate_metadata(store: StoreLike | Group, path: str = "") -> Op[Group]:
    """Write a group's consolidated metadata: the metadata of every node below it, in one
    document, so that opening the group and listing or opening its nodes takes one request.

    The format is zarr-python's (it reads it, and this library reads what it writes):
    ``.zmetadata`` in the group for Zarr v2, ``consolidated_metadata`` in the group's
    ``zarr.json`` for v3. Nodes of the other Zarr format below the group are left out. It is a
    snapshot: run it again after creating, changing or deleting nodes, or readers that use it
    (the default, see :func:`list_children`) see the old view.

    Args:
        store: A :class:`Store`, URL or path, or a :class:`Group` (``path`` is then relative
            to it).
        path: The group's path.

    Returns:
        The group, holding the consolidated metadata just written.

    Raises:
        NodeNotFoundError: No group exists at ``path``.

    Example:
        >>> g = await zb.consolidate_metadata("data.zarr")  # doctest: +SKIP
    """
    if isinstance(store, Group):
        native, path = store.store._native, join_path(store.path, path)
    else:
        native = as_store(store)._native
    return Call(_ext.consolidate_metadata, (native, path), Group._wrap)


def delete_node(store: StoreLike, path: str) -> Op[None]:
    """Delete a node and everything below it.

    Args:
        store: A :class:`Store`, URL or path.
        path: The node's path in the store.

    Raises:
        NodeNotFoundError: No node exists at ``path``.

    Example:
        >>> await zb.delete_node("data.zarr", "run1")  # doctest: +SKIP
    """
    return Call(_ext.delete_node, (as_store(store)._native, path), none)


def update_attributes(node: NodeT, attributes: Mapping[str, Any]) -> Op[NodeT]:
    """Merge ``attributes`` into a node's attributes (like ``dict.update``) and store them.

    Args:
        node: An :class:`Array` or :class:`Group`.
        attributes: The attributes to add or replace (a JSON-able dict).

    The merge happens in Rust against the attributes as stored, so keys that another handle
    added meanwhile are kept.

    Returns:
        A new handle of the same kind holding the updated metadata.

    Example:
        >>> a = await zb.update_attributes(a, {"units": "K"})  # doctest: +SKIP
    """
    if isinstance(node, Array):
        args = (node.store._native, node.path, attributes)
        return Call(_ext.update_attributes, args, partial(_array, node.write_empty_chunks))
    if isinstance(node, Group):
        return Call(_ext.update_attributes, (node.store._native, node.path, attributes), _group)
    raise TypeError(f"expected a zarrbridge.Array or Group, not {type(node).__qualname__}")


def _group(handle: _ext.ArrayHandle | _ext.GroupHandle) -> Group:
    node = _node(handle)
    if not isinstance(node, Group):
        raise NodeNotFoundError(f"{node.path} in {node.store.url} is an array, not a group")
    return node


def _in_group(
    prepare: Callable[Concatenate[StoreLike, str, P], Op[T]], *, action: str
) -> Callable[Concatenate[Group, str, P], Coroutine[Any, Any, T]]:
    """A group method from a function taking ``(store, path, ...)``: ``name`` is relative to
    the group and must not be empty (``action`` names what is refused)."""

    async def call(group: Group, name: str, /, *args: P.args, **kwargs: P.kwargs) -> T:
        path = group._child(name, action)
        return await prepare(group.store, path, *args, **kwargs).run()

    call.__name__ = call.__qualname__ = prepare.__name__
    call.__doc__ = (
        f"{prepare.__name__} inside this group: ``name`` is relative to the group; the other "
        f"arguments are those of :func:`zarrbridge.{prepare.__name__}`.\n\n"
        f"{prepare.__doc__ or ''}"
    )
    return call


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
        dtype: The numpy dtype of values in memory (native byte order): ``StringDType`` for
            variable-length text (object with numpy < 2), object for variable-length bytes
            (and for data types that are not supported).
        chunks: The chunk shape (the inner chunk shape when sharded).
        shards: The shard shape, or ``None`` when not sharded.
        chunk_shape: The shape of a stored chunk (the shard shape when sharded, else
            ``chunks``); the unit of :func:`~zarrbridge.read_chunk`.
        grid_shape: The number of stored chunks along each dimension.
        inner_grid_shape: The number of inner chunks (of shape ``chunks``) along each
            dimension of a sharded array, which ``inner=True`` coordinates index; ``None``
            when not sharded.
        fill_value: The fill value as a numpy scalar (``str`` / ``bytes`` for variable-length
            text / bytes; ``None`` when the data type is not supported).
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
        "_unsupported",
        "chunk_shape",
        "chunks",
        "dimension_names",
        "dtype",
        "fill_value",
        "grid_shape",
        "inner_grid_shape",
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
    _unsupported: str | None
    store: Store
    path: str
    shape: tuple[int, ...]
    dtype: np.dtype[Any]
    chunks: tuple[int, ...]
    shards: tuple[int, ...] | None
    chunk_shape: tuple[int, ...]
    grid_shape: tuple[int, ...]
    inner_grid_shape: tuple[int, ...] | None
    fill_value: Any
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
        handle = _ext.array_from_metadata(store_._native, path, _document(metadata))
        if handle.write_empty_chunks != bool(write_empty_chunks):
            handle = handle.with_write_empty_chunks(bool(write_empty_chunks))
        self._setup(handle, store_)

    @classmethod
    def _wrap(cls, handle: _ext.ArrayHandle) -> Array:
        self = object.__new__(cls)
        self._setup(handle, Store._wrap(handle.store))
        return self

    def _setup(self, handle: _ext.ArrayHandle, store: Store) -> None:
        metadata: dict[str, Any] = handle.metadata
        dtype, missing = numpy_dtype(handle.dtype)
        unsupported = handle.unsupported or missing
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
        set_(self, "_unsupported", unsupported)
        set_(self, "store", store)
        set_(self, "path", path)
        set_(self, "shape", shape)
        set_(self, "dtype", dtype)
        set_(self, "chunk_shape", chunk_shape)
        set_(self, "chunks", chunk_shape if inner is None else tuple(inner))
        set_(self, "shards", None if inner is None else chunk_shape)
        set_(self, "grid_shape", tuple(handle.grid_shape))
        inner_grid = handle.inner_grid_shape
        set_(self, "inner_grid_shape", None if inner_grid is None else tuple(inner_grid))
        set_(self, "fill_value", None if missing else fill_scalar(handle.fill_value, dtype))
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

    def chunk_key(self, coords: Sequence[int]) -> str:
        """The store key of the stored chunk at ``coords`` (a shard, for a sharded array), as
        the array's chunk key encoding names it. No I/O.

        Raises:
            ChunkIndexError: ``coords`` are outside :attr:`grid_shape`.

        Example:
            >>> import zarrbridge as zb
            >>> a = zb.sync.create_array("memory://doc", "k", shape=(4, 4), dtype="u1", chunks=2)
            >>> a.chunk_key((1, 0))
            'k/c/1/0'
        """
        return self._native.chunk_key([operator.index(c) for c in coords])

    def _with_handle(self, handle: _ext.ArrayHandle) -> Array:
        """A handle of another state of this array (resized, copied), keeping its settings."""
        return _array(self.write_empty_chunks, handle)

    @property
    def oindex(self) -> _indexing.OIndex:
        """Orthogonal selections: ``a.oindex[sel]``, ``a.oindex[sel] = v`` (blocking), ``await
        a.oindex.getitem(sel)``, ``await a.oindex.setitem(sel, v)``; see
        :func:`zarrbridge.read_orthogonal`.

        Example:
            >>> import zarrbridge as zb
            >>> a = zb.sync.create_array("memory://doc", "oi", shape=(3,), dtype="int8")
            >>> a.oindex[[2, 0]] = [1, 2]
            >>> a.oindex[[True, False, True]]
            array([2, 1], dtype=int8)
        """
        return _indexing.OIndex(self)

    @property
    def vindex(self) -> _indexing.VIndex:
        """Vectorized selections: ``a.vindex[sel]``, ``a.vindex[sel] = v`` (blocking), ``await
        a.vindex.getitem(sel)``, ``await a.vindex.setitem(sel, v)``; see
        :func:`zarrbridge.read_vectorized`.

        Example:
            >>> import zarrbridge as zb
            >>> a = zb.sync.create_array("memory://doc", "vi", shape=(2, 2), dtype="int8")
            >>> a.vindex[[0, 1], [1, 0]] = 5
            >>> a.vindex[[0, 0], [1, 0]]
            array([5, 0], dtype=int8)
        """
        return _indexing.VIndex(self)

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
        return _read_region(self, selection)

    def __setitem__(self, selection: SelectionLike, value: npt.ArrayLike) -> None:
        """Write a region, blocking: ``a[sel] = v`` is ``zarrbridge.sync.write_region(a, sel, v)``.

        Example:
            >>> import zarrbridge as zb
            >>> a = zb.sync.create_array("memory://doc", "s", shape=(4,), dtype="int8")
            >>> a[:2] = 7
            >>> a[:]
            array([7, 7, 0, 0], dtype=int8)
        """
        _write_region(self, selection, value)

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
        data = _read_region(self, ...)
        return data if dtype is None else data.astype(dtype, copy=False)

    # --- async methods: the functions of the chunk, region, encoded, indexing and resize
    # families -------------------------------------------------------------------------------

    read_chunk = asynchronous(_chunks.read_chunk)
    write_chunk = asynchronous(_chunks.write_chunk)
    delete_chunk = asynchronous(_chunks.delete_chunk)
    read_chunks = asynchronous(_chunks.read_chunks)
    write_chunks = asynchronous(_chunks.write_chunks)
    read_region = asynchronous(_regions.read_region)
    read_region_arrow = asynchronous(_regions.read_region_arrow)
    write_region = asynchronous(_regions.write_region)
    read_encoded_chunk = asynchronous(_encoded.read_encoded_chunk)
    write_encoded_chunk = asynchronous(_encoded.write_encoded_chunk)
    read_orthogonal = asynchronous(_indexing.read_orthogonal)
    write_orthogonal = asynchronous(_indexing.write_orthogonal)
    read_vectorized = asynchronous(_indexing.read_vectorized)
    write_vectorized = asynchronous(_indexing.write_vectorized)
    resize = asynchronous(_resize.resize)
    append = asynchronous(_resize.append)
    update_attributes = asynchronous(update_attributes)


_read_region = blocking(_regions.read_region)
_write_region = blocking(_regions.write_region)


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

    _native: _ext.GroupHandle
    _metadata: dict[str, Any]
    _attrs: dict[str, Any]
    store: Store
    path: str
    zarr_format: int
    name: str

    def __init__(self, store: StoreLike, path: str, metadata: Mapping[str, Any]) -> None:
        if not isinstance(path, str):
            raise TypeError(f"a node path must be a str, not {type(path).__qualname__}")
        zarr_format = metadata.get("zarr_format") if isinstance(metadata, Mapping) else None
        if zarr_format not in (2, 3):
            raise MetadataError(f"group metadata needs zarr_format 2 or 3, got {zarr_format!r}")
        store_ = as_store(store)
        self._setup(_ext.group_from_metadata(store_._native, path, _document(metadata)), store_)

    @classmethod
    def _wrap(cls, handle: _ext.GroupHandle) -> Group:
        self = object.__new__(cls)
        self._setup(handle, Store._wrap(handle.store))
        return self

    def _setup(self, handle: _ext.GroupHandle, store: Store) -> None:
        metadata: dict[str, Any] = handle.metadata
        path, zarr_format = handle.path, handle.zarr_format
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

    # --- async methods: the functions of the node family --------------------------------------

    list_children = asynchronous(list_children)
    update_attributes = asynchronous(update_attributes)
    create_array = _in_group(create_array, action="create")
    create_group = _in_group(create_group, action="create")
    open_node = asynchronous(open_node)


def _rebuild_array(
    store: Store, path: str, metadata: dict[str, Any], write_empty_chunks: bool
) -> Array:
    return Array(store, path, metadata, write_empty_chunks=write_empty_chunks)
