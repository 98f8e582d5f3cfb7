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

from importlib.metadata import PackageNotFoundError, version

from zarrbridge import _chunks, _copy, _encoded, _indexing, _nodes, _regions, _resize, errors, sync
from zarrbridge._native import VlenBuffer
from zarrbridge._nodes import Array, Group
from zarrbridge._op import asynchronous
from zarrbridge._progress import Progress
from zarrbridge.io import IoStats, io_stats, read_coalescing, set_read_coalescing
from zarrbridge.limits import memory_limit, set_memory_limit
from zarrbridge.store import Store

try:
    __version__ = version("zarrbridge")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "Array",
    "Group",
    "IoStats",
    "Progress",
    "Store",
    "VlenBuffer",
    "__version__",
    "append",
    "consolidate_metadata",
    "copy",
    "create_array",
    "create_group",
    "delete_chunk",
    "delete_node",
    "errors",
    "io_stats",
    "list_children",
    "memory_limit",
    "open_array",
    "open_group",
    "open_node",
    "read_chunk",
    "read_chunks",
    "read_coalescing",
    "read_encoded_chunk",
    "read_metadata",
    "read_orthogonal",
    "read_region",
    "read_region_arrow",
    "read_vectorized",
    "resize",
    "set_memory_limit",
    "set_read_coalescing",
    "sync",
    "update_attributes",
    "write_chunk",
    "write_chunks",
    "write_encoded_chunk",
    "write_orthogonal",
    "write_region",
    "write_vectorized",
]

# Each coroutine function is made from the one definition of its operation, in the module of
# its family (signature, docstring and argument checks live there; see _op.py).
consolidate_metadata = asynchronous(_nodes.consolidate_metadata)
create_array = asynchronous(_nodes.create_array)
create_group = asynchronous(_nodes.create_group)
open_array = asynchronous(_nodes.open_array)
open_group = asynchronous(_nodes.open_group)
open_node = asynchronous(_nodes.open_node)
read_metadata = asynchronous(_nodes.read_metadata)
list_children = asynchronous(_nodes.list_children)
delete_node = asynchronous(_nodes.delete_node)
update_attributes = asynchronous(_nodes.update_attributes)
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
copy = asynchronous(_copy.copy)
