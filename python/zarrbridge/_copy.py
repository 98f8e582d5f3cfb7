"""The copy family: an array, or a group with everything below it, copied to any store.

Each function here is the one definition of an operation (see ``_op.py``). Rust side:
``crates/zarrbridge-python/src/copy.rs`` and ``crates/zarrbridge-core/src/copy.rs``.
"""

from __future__ import annotations

import operator
from typing import Any, Literal

from zarrbridge import _native as _ext
from zarrbridge._convert import CodecsLike, ShapeLike, codecs_arg, shape_arg
from zarrbridge._nodes import Array, Group, _node
from zarrbridge._op import Call, Op
from zarrbridge._progress import ProgressCallback, tracked
from zarrbridge.store import StoreLike, as_store

__all__ = ["copy"]

Keep = Literal["keep"]


def _changes(
    chunks: ShapeLike | Keep,
    shards: ShapeLike | Keep | None,
    compressors: CodecsLike,
    filters: CodecsLike,
    zarr_format: int | None,
) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if not (isinstance(chunks, str) and chunks == "keep"):
        changes["chunks"] = shape_arg(chunks, "chunks")
    if not (isinstance(shards, str) and shards == "keep"):
        changes["shards"] = shape_arg(shards, "shards")
    if not (isinstance(compressors, str) and compressors == "keep"):
        changes["compressors"] = codecs_arg(compressors, "compressors", allow_auto=True)
    if not (isinstance(filters, str) and filters == "keep"):
        changes["filters"] = codecs_arg(filters, "filters", allow_auto=False)
    if zarr_format is not None:
        zarr_format = operator.index(zarr_format)
        if zarr_format not in (2, 3):
            raise ValueError(f"zarr_format must be 2, 3 or None, not {zarr_format}")
        changes["zarr_format"] = zarr_format
    return changes


def copy(
    source: Array | Group,
    destination: StoreLike,
    path: str = "",
    *,
    chunks: ShapeLike | Keep = "keep",
    shards: ShapeLike | Keep | None = "keep",
    compressors: CodecsLike = "keep",
    filters: CodecsLike = "keep",
    zarr_format: int | None = None,
    overwrite: bool = False,
    resume: bool = False,
    progress: ProgressCallback | None = None,
) -> Op[Array | Group]:
    """Copy an array, or a group with everything below it, to ``path`` in ``destination``.

    Any two stores work (URLs, obstore and zarr-python stores, stores written in Python). With
    every encoding keyword left at ``"keep"``, stored chunks are copied byte for byte, never
    decoded; changing ``chunks``, ``shards``, ``compressors``, ``filters`` or ``zarr_format``
    re-encodes every array (each chunk of the copy is read from the source as a region). Chunks
    of all arrays are copied concurrently, about 256 MiB of chunk data in flight at most. Only
    stored chunks are copied (found with one listing per array; a store that cannot list is
    asked for every chunk). A group's consolidated metadata, when it has some, is used to find
    the nodes and is written again for the copy.

    Args:
        source: An :class:`Array` or a :class:`Group` (opened with consolidated metadata, its
            nodes are found without listing).
        destination: A :class:`Store`, URL or path.
        path: Where the copy goes in ``destination`` (``""``: the root).
        chunks: The copy's chunk shape (the inner chunk shape when sharded), or ``"keep"``.
        shards: The copy's shard shape, ``None`` for no sharding, or ``"keep"``.
        compressors: As for :func:`~zarrbridge.create_array`, or ``"keep"``.
        filters: As for :func:`~zarrbridge.create_array`, or ``"keep"``.
        zarr_format: 2 or 3 to write the copy in that format (re-encoding it), or ``None``.
        overwrite: Replace a node at ``path`` (and everything below it).
        resume: Finish an interrupted copy: nodes at the destination are kept (their metadata
            must be what this copy would write) and chunks they already hold are skipped (a
            stored chunk is always complete: every store writes a value whole or not at all).
        progress: Called with a :class:`~zarrbridge.Progress` (chunks and bytes of array data)
            at most every 100 ms, and once at the end.

    Returns:
        A handle of the copy, of the source's kind.

    Raises:
        NodeExistsError: A node is at ``path`` (and neither ``overwrite`` nor ``resume``).
        MetadataError: The changes make an invalid array (checked before anything is written),
            or, with ``resume``, an array at the destination differs from the copy's.

    Example:
        >>> import zarrbridge as zb
        >>> a = zb.sync.create_array("memory://copy-doc", "a", shape=(4,), dtype="i2", chunks=2)
        >>> a[:] = [1, 2, 3, 4]
        >>> b = zb.sync.copy(a, "memory://copy-doc-2", "b", chunks=4)
        >>> b.chunks, b[:]
        ((4,), array([1, 2, 3, 4], dtype=int16))
    """
    if not isinstance(source, (Array, Group)):
        raise TypeError(f"expected a zarrbridge.Array or Group, not {type(source).__qualname__}")
    changes = _changes(chunks, shards, compressors, filters, zarr_format)
    store = as_store(destination)._native
    args = (source._native, store, path, changes, bool(overwrite), bool(resume))
    return tracked(Call(_ext.copy, args, _copied(source)), progress)


def _copied(source: Array | Group) -> Any:
    """How the copy's handle is made: an array keeps the source's ``write_empty_chunks``."""
    if isinstance(source, Array):
        return source._with_handle
    return _node
