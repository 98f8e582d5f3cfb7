"""``zarrbridge info URL[#path]``: one node's metadata, for people or (``--json``) programs."""

from __future__ import annotations

import itertools
import json
import math
from typing import Any

from zarrbridge import Array, Group, errors
from zarrbridge import sync as zbs
from zarrbridge.cli._progress import human_bytes
from zarrbridge.cli._target import StoreOptions, Target
from zarrbridge.store import Store

__all__ = ["StoredSize", "describe", "run", "stored_size"]

# Above this many chunks in the grid, ``info`` does not count the stored ones (one key per
# chunk is made to match the listing: about 1 µs each).
COUNT_LIMIT = 4_000_000


class StoredSize:
    """What an array holds in its store: chunks present and their bytes."""

    def __init__(self, present: int, total: int, stored_bytes: int) -> None:
        self.present = present
        self.total = total
        self.stored_bytes = stored_bytes


def listed(store: Store, prefix: str) -> dict[str, int]:
    """Every key below ``prefix`` and its size (one listing).

    Raises:
        ZarrBridgeError: the store cannot list (an HTTP store without WebDAV, ...).
    """
    sizes: dict[str, int] = {}
    for page in store.list(prefix or None):
        for meta in page:
            sizes[meta["path"]] = meta["size"]
    return sizes


def stored_size(array: Array) -> StoredSize | None:
    """Chunks of ``array`` present in its store and their size; ``None`` when the store cannot
    list or the grid is too large to count."""
    total = math.prod(array.grid_shape)
    if total > COUNT_LIMIT:
        return None
    try:
        sizes = listed(array.store, f"{array.path}/" if array.path else "")
    except errors.ZarrBridgeError:
        return None
    present = stored = 0
    for coords in itertools.product(*(range(n) for n in array.grid_shape)):
        size = sizes.get(array.chunk_key(coords))
        if size is not None:
            present += 1
            stored += size
    return StoredSize(present, total, stored)


def _codecs(metadata: dict[str, Any]) -> list[Any]:
    if metadata.get("zarr_format") == 2:
        chain = list(metadata.get("filters") or [])
        if metadata.get("compressor"):
            chain.append(metadata["compressor"])
        return chain
    return list(metadata.get("codecs") or [])


def _codec_text(codec: Any) -> str:
    if not isinstance(codec, dict):
        return str(codec)
    name = codec.get("name") or codec.get("id") or "?"
    config = codec.get("configuration")
    if config is None:  # v2: the settings sit beside "id"
        config = {k: v for k, v in codec.items() if k != "id"}
    if name == "sharding_indexed":
        inner = " -> ".join(_codec_text(c) for c in config.get("codecs", []))
        return f"sharding_indexed(chunks={tuple(config.get('chunk_shape', ()))}, inner: {inner})"
    settings = ", ".join(f"{k}={json.dumps(v)}" for k, v in config.items())
    return f"{name}({settings})" if settings else str(name)


def describe(node: Array | Group, *, count: bool = True) -> dict[str, Any]:
    """The facts ``info`` prints, as a JSON-able dict."""
    metadata = node.metadata
    facts: dict[str, Any] = {
        "url": node.store.url,
        "path": node.path,
        "node_type": "array" if isinstance(node, Array) else "group",
        "zarr_format": node.zarr_format,
        "attributes": node.attrs,
    }
    if isinstance(node, Group):
        children = zbs.list_children(node)
        facts["arrays"] = sorted(c.name for c in children if isinstance(c, Array))
        facts["groups"] = sorted(c.name for c in children if isinstance(c, Group))
        return facts
    facts.update(
        shape=list(node.shape),
        dtype=str(node.dtype),
        chunks=list(node.chunks),
        shards=None if node.shards is None else list(node.shards),
        codecs=_codecs(metadata),
        fill_value=metadata.get("fill_value"),
        dimension_names=node.dimension_names and list(node.dimension_names),
        nbytes=node.nbytes,
        chunks_total=math.prod(node.grid_shape),
        chunks_stored=None,
        stored_bytes=None,
        ratio=None,
    )
    sizes = stored_size(node) if count else None
    if sizes is not None:
        facts["chunks_stored"] = sizes.present
        facts["stored_bytes"] = sizes.stored_bytes
        if sizes.stored_bytes:
            facts["ratio"] = round(node.nbytes / sizes.stored_bytes, 3)
    return facts


def _human(facts: dict[str, Any]) -> str:
    where = f"{facts['url']}#{facts['path']}" if facts["path"] else facts["url"]
    rows: list[tuple[str, str]] = [("node", f"{facts['node_type']} (zarr v{facts['zarr_format']})")]
    if facts["node_type"] == "group":
        rows += [
            ("arrays", ", ".join(facts["arrays"]) or "-"),
            ("groups", ", ".join(facts["groups"]) or "-"),
        ]
    else:
        stored = "not counted (the store cannot list, or the grid is too large)"
        if facts["chunks_stored"] is not None:
            stored = (
                f"{facts['chunks_stored']}/{facts['chunks_total']} chunks, "
                f"{human_bytes(facts['stored_bytes'])}"
            )
            if facts["ratio"] is not None:
                stored += f" (ratio {facts['ratio']:.2f}: {human_bytes(facts['nbytes'])} of data)"
        rows += [
            ("shape", str(tuple(facts["shape"]))),
            ("dtype", facts["dtype"]),
            ("chunks", str(tuple(facts["chunks"]))),
            ("shards", "-" if facts["shards"] is None else str(tuple(facts["shards"]))),
            ("codecs", " -> ".join(_codec_text(c) for c in facts["codecs"]) or "-"),
            ("fill value", json.dumps(facts["fill_value"])),
            ("dimensions", ", ".join(map(str, facts["dimension_names"] or [])) or "-"),
            ("stored", stored),
        ]
    if facts["attributes"]:
        rows.append(("attributes", json.dumps(facts["attributes"], sort_keys=True)))
    width = max(len(k) for k, _ in rows)
    return "\n".join([where, *(f"  {k:<{width}}  {v}" for k, v in rows)])


def run(target: Target, options: StoreOptions, *, as_json: bool) -> int:
    node = zbs.open_node(options.open(target.url), target.path)
    facts = describe(node)
    print(json.dumps(facts, indent=2) if as_json else _human(facts))
    return 0
