"""``zarrbridge tree URL[#path]``: the hierarchy below a node, with shapes and dtypes.

A group with consolidated metadata is listed from it (no request per node); otherwise each
group is listed in the store.
"""

from __future__ import annotations

import sys

from zarrbridge import Array, Group
from zarrbridge import sync as zbs
from zarrbridge.cli._target import StoreOptions, Target

__all__ = ["lines", "run"]


def _label(node: Array | Group) -> str:
    name = node.name or "/"
    if isinstance(node, Group):
        return f"{name}/" if node.name else "/"
    shards = f" shards {node.shards}" if node.shards is not None else ""
    return f"{name}  {node.dtype} {node.shape} chunks {node.chunks}{shards}"


def lines(node: Array | Group, *, ascii_only: bool = False, depth: int | None = None) -> list[str]:
    """The tree below ``node``, one line per node.

    Example:
        >>> import zarrbridge as zb
        >>> from zarrbridge.cli.tree import lines
        >>> g = zb.sync.create_group("memory://tree-doc")
        >>> _ = zb.sync.create_array("memory://tree-doc", "t", shape=(4,), dtype="i2", chunks=2)
        >>> print("\\n".join(lines(g)))
        /
        └── t  int16 (4,) chunks (2,)
    """
    branch, last, pipe, gap = (
        ("|-- ", "`-- ", "|   ", "    ")
        if ascii_only
        else (
            "├── ",
            "└── ",
            "│   ",
            "    ",
        )
    )
    out = [_label(node)]

    def walk(group: Group, prefix: str, level: int) -> None:
        if depth is not None and level >= depth:
            return
        children = zbs.list_children(group)
        for i, child in enumerate(children):
            end = i == len(children) - 1
            out.append(prefix + (last if end else branch) + _label(child))
            if isinstance(child, Group):
                walk(child, prefix + (gap if end else pipe), level + 1)

    if isinstance(node, Group):
        walk(node, "", 0)
    return out


def run(target: Target, options: StoreOptions, *, depth: int | None) -> int:
    node = zbs.open_node(options.open(target.url), target.path)
    encoding = sys.stdout.encoding or "ascii"
    try:
        "└│├".encode(encoding)
        ascii_only = False
    except UnicodeEncodeError:
        ascii_only = True
    for line in lines(node, ascii_only=ascii_only, depth=depth):
        print(line)
    return 0
