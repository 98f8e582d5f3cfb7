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

from zarrbridge import _chunks, _copy, _encoded, _indexing, _nodes, _regions, _resize
from zarrbridge._op import blocking

__all__ = [
    "append",
    "consolidate_metadata",
    "copy",
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
    "read_encoded_chunk",
    "read_metadata",
    "read_orthogonal",
    "read_region",
    "read_region_arrow",
    "read_vectorized",
    "resize",
    "update_attributes",
    "write_chunk",
    "write_chunks",
    "write_encoded_chunk",
    "write_orthogonal",
    "write_region",
    "write_vectorized",
]

# Made from the same definitions as the coroutine functions of zarrbridge (see _op.py).
consolidate_metadata = blocking(_nodes.consolidate_metadata)
create_array = blocking(_nodes.create_array)
create_group = blocking(_nodes.create_group)
open_array = blocking(_nodes.open_array)
open_group = blocking(_nodes.open_group)
open_node = blocking(_nodes.open_node)
read_metadata = blocking(_nodes.read_metadata)
list_children = blocking(_nodes.list_children)
delete_node = blocking(_nodes.delete_node)
update_attributes = blocking(_nodes.update_attributes)
read_chunk = blocking(_chunks.read_chunk)
write_chunk = blocking(_chunks.write_chunk)
delete_chunk = blocking(_chunks.delete_chunk)
read_chunks = blocking(_chunks.read_chunks)
write_chunks = blocking(_chunks.write_chunks)
read_region = blocking(_regions.read_region)
read_region_arrow = blocking(_regions.read_region_arrow)
write_region = blocking(_regions.write_region)
read_encoded_chunk = blocking(_encoded.read_encoded_chunk)
write_encoded_chunk = blocking(_encoded.write_encoded_chunk)
read_orthogonal = blocking(_indexing.read_orthogonal)
write_orthogonal = blocking(_indexing.write_orthogonal)
read_vectorized = blocking(_indexing.read_vectorized)
write_vectorized = blocking(_indexing.write_vectorized)
resize = blocking(_resize.resize)
append = blocking(_resize.append)
copy = blocking(_copy.copy)
