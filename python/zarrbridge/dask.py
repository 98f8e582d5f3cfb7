"""dask arrays over zarrbridge arrays, read and written in Rust, shard by shard.

- :func:`to_dask` makes a dask array whose blocks are the array's shards (its chunks when it is
  not sharded) by default. The graph holds the :class:`zarrbridge.Array` handle once; it pickles
  as (store declaration, path, metadata), so workers read data only, never metadata.
- :func:`store_dask` writes a dask array into a zarrbridge array (or a region of it) one block
  per task. Two tasks writing parts of one shard would each read, change and write the whole
  shard, and one change would be lost: blocks that do not line up with the stored chunks are
  refused with :class:`~zarrbridge.errors.UnalignedWriteError` unless ``lock`` is given.

Tasks call zarrbridge's blocking functions, which release the GIL and work on any thread, even
one running an event loop (distributed's workers, notebooks): each block's chunks are read or
written concurrently in Rust. From async code, compute with an asynchronous distributed client:
``await client.compute(store_dask(x, a, compute=False))``. Each worker process has one tokio
runtime and, per store, one connection pool, made on first use (after a fork too; spawned
workers start from nothing).

Works with the ``dask.array`` module and with the ``dask-array`` package (``import
dask_array``): pass ``module=dask_array`` to :func:`to_dask`; :func:`store_dask` takes an array
of either. Only the public API of :mod:`zarrbridge` is used here.

Example:
    >>> import zarrbridge as zb
    >>> from zarrbridge.dask import store_dask, to_dask
    >>> a = zb.sync.create_array("memory://dask-doc", "a", shape=(8,), dtype="int32", chunks=4)
    >>> a[:] = range(8)
    >>> x = to_dask(a)
    >>> x.chunks, int(x.sum().compute())
    (((4, 4),), 28)
    >>> b = zb.sync.create_array("memory://dask-doc", "b", shape=(8,), dtype="int32", chunks=4)
    >>> store_dask(x * 2, b)
    >>> b[:].tolist()
    [0, 2, 4, 6, 8, 10, 12, 14]
"""

from __future__ import annotations

import contextlib
import importlib
import json
import threading
from collections.abc import Iterator, Sequence
from types import ModuleType
from typing import Any

import numpy as np
from dask.base import tokenize

import zarrbridge as zb
from zarrbridge.errors import UnalignedWriteError

__all__ = ["store_dask", "to_dask"]


def _module(module: ModuleType | None) -> Any:
    return importlib.import_module("dask.array") if module is None else module


def to_dask(
    array: zb.Array,
    chunks: Any = None,
    *,
    name: str | None = None,
    module: ModuleType | None = None,
) -> Any:
    """A dask array reading ``array`` in Rust, block by block.

    Args:
        array: The array.
        chunks: The block shape, in any form dask accepts (``None``: the shard shape when the
            array is sharded, else its chunk shape; blocks that split shards read more than
            they return).
        name: The graph key's prefix (``None``: one derived from the store, path, metadata and
            chunks, so the same array gives the same keys).
        module: ``dask.array`` (``None``) or another module with its ``from_array``, such as
            ``dask_array`` (the ``dask-array`` package).

    Returns:
        The dask array (of ``module``'s kind).

    Example:
        >>> x = to_dask(zb.sync.open_array("s3://bucket/data.zarr", "t"))  # doctest: +SKIP
        >>> x.mean().compute()  # doctest: +SKIP
    """
    if not isinstance(array, zb.Array):
        raise TypeError(f"expected a zarrbridge.Array, not {type(array).__qualname__}")
    if chunks is None:
        chunks = array.shards or array.chunks
    if name is None:
        document = json.dumps(array.metadata, sort_keys=True, default=str)
        name = "zarrbridge-" + tokenize(array.store.url, array.path, document, chunks)
    return _module(module).from_array(
        array,
        chunks=chunks,
        name=name,
        lock=False,
        asarray=False,
        fancy=False,
        inline_array=False,  # one copy of the handle in the graph, sent once to each worker
        meta=np.empty((0,) * array.ndim, dtype=array.dtype),
    )


def _region(array: zb.Array, region: Sequence[slice] | None) -> tuple[slice, ...]:
    if region is None:
        return tuple(slice(0, n) for n in array.shape)
    if not isinstance(region, tuple | list) or len(region) != array.ndim:
        raise TypeError(f"region must be a tuple of {array.ndim} slices, not {region!r}")
    result = []
    for r, n in zip(region, array.shape, strict=True):
        if not isinstance(r, slice) or r.step not in (None, 1):
            raise TypeError(f"region must hold slices with step 1, not {r!r}")
        start, stop, _ = r.indices(n)
        result.append(slice(start, max(start, stop)))
    return tuple(result)


def _misaligned(
    array: zb.Array, region: tuple[slice, ...], chunks: tuple[tuple[int, ...], ...]
) -> str | None:
    """Why the blocks, placed at ``region``, split stored chunks (``None``: they do not)."""
    for dim, (r, sizes, unit, n) in enumerate(
        zip(region, chunks, array.chunk_shape, array.shape, strict=True)
    ):
        edge = r.start
        for size in (0, *sizes):
            edge += size
            if edge % unit and edge != n:
                return (
                    f"a block edge at {edge} along dimension {dim} splits a stored chunk of "
                    f"{unit} (stored chunks of {array.path!r}: {array.chunk_shape})"
                )
    return None


# Process-wide locks by stored chunk, for lock=True without a distributed client.
_LOCKS: dict[tuple[str, str, tuple[int, ...]], threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


class _Target:
    """What ``da.store`` writes into: blocking region writes, under per-chunk locks when the
    caller opted into them."""

    __slots__ = ("array", "lock")

    def __init__(self, array: zb.Array, lock: Any) -> None:
        self.array = array
        self.lock = lock

    def __setitem__(self, key: tuple[slice, ...], value: Any) -> None:
        if self.lock is None or self.lock is False:
            zb.sync.write_region(self.array, key, value)
            return
        with self._locked(key):
            zb.sync.write_region(self.array, key, value)

    @contextlib.contextmanager
    def _locked(self, key: tuple[slice, ...]) -> Iterator[None]:
        if self.lock is not True:  # a lock object of the caller's: one for every write
            with self.lock:
                yield
            return
        ranges = [
            range(k.start // c, -(-k.stop // c))
            for k, c in zip(key, self.array.chunk_shape, strict=True)
        ]
        held = [self._chunk_lock(tuple(i)) for i in np.ndindex(*(len(r) for r in ranges))]
        with contextlib.ExitStack() as stack:
            for lock in held:  # in grid order: never two tasks waiting for each other
                stack.enter_context(lock)
            yield

    def _chunk_lock(self, index: tuple[int, ...]) -> Any:
        ident = (self.array.store.url, self.array.path, index)
        try:
            from distributed import Lock, get_client

            get_client()
        except (ImportError, ValueError):
            with _LOCKS_GUARD:
                return _LOCKS.setdefault(ident, threading.Lock())
        return Lock("zarrbridge-" + tokenize(*ident))  # type: ignore[no-untyped-call]


def store_dask(
    source: Any,
    array: zb.Array,
    *,
    region: Sequence[slice] | None = None,
    lock: Any = False,
    compute: bool = True,
    return_stored: bool = False,
    **compute_kwargs: Any,
) -> Any:
    """Write a dask array into ``array`` (or into ``region`` of it), one block per task.

    Args:
        source: A dask array (``dask.array`` or ``dask_array``) of the region's shape.
        array: The array written.
        region: Slices (step 1), one per dimension, placing ``source`` in ``array`` (``None``:
            the whole array).
        lock: ``False``: every block must cover whole stored chunks (shards, when sharded;
            partial ones only at the array's end), else nothing is written and
            :class:`~zarrbridge.errors.UnalignedWriteError` is raised. ``True``: blocks may
            split stored chunks; each write holds a lock per stored chunk it touches (a
            ``distributed.Lock`` when a distributed client is active, else a lock of this
            process: threads only). Or any lock object (``with lock:``), held for every write.
        compute: Write now (``True``) or return the delayed write (``False``).
        return_stored: Return a dask array of ``array``'s region after the write, as
            ``dask.array.store`` does.
        compute_kwargs: Passed to ``compute``.

    Returns:
        ``None``, or what ``dask.array.store`` returns for ``compute`` / ``return_stored``.

    Raises:
        UnalignedWriteError: Blocks split stored chunks and ``lock`` is ``False``.
        TypeError: ``array`` is not a zarrbridge array, or ``region`` is malformed.
        ValueError: ``source``'s shape is not the region's.

    Example:
        >>> store_dask(x.rechunk(a.shards), a)  # doctest: +SKIP
    """
    if not isinstance(array, zb.Array):
        raise TypeError(f"expected a zarrbridge.Array, not {type(array).__qualname__}")
    where = _region(array, region)
    shape = tuple(r.stop - r.start for r in where)
    if tuple(source.shape) != shape:
        raise ValueError(f"source of shape {tuple(source.shape)} for a region of shape {shape}")
    if lock is False:
        why = _misaligned(array, where, tuple(source.chunks))
        if why is not None:
            raise UnalignedWriteError(
                f"cannot write {source.chunks} blocks into {array!r} at {where} without a "
                f"lock: {why}; rechunk to multiples of {array.chunk_shape} "
                "(source.rechunk(...)) or pass lock=True"
            )
    module = "dask_array" if type(source).__module__.startswith("dask_array") else "dask.array"
    return importlib.import_module(module).store(
        source,
        _Target(array, lock),
        lock=False,
        regions=where,
        compute=compute,
        return_stored=return_stored,
        **compute_kwargs,
    )
