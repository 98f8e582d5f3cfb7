"""What a command line names: ``URL[#path][SELECTION]`` and the store options.

``URL`` is anything :meth:`zarrbridge.Store.from_url` takes (a path, ``file://``, ``memory://``,
``s3://``, ``gs://``, ``az://``, ``http(s)://``); ``#path`` is the node inside it (the root when
absent); ``SELECTION`` (``cat`` only) is numpy's basic indexing, e.g. ``[0:3, ::2]``.
Options are given as ``--option key=value`` (obstore's config names, as ``Store.from_url``'s
keyword arguments), ``--client-option key=value`` and ``--retry key=value`` (dotted keys for
the nested ``backoff`` settings); settings not given come from the environment.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from types import EllipsisType
from typing import Any

from zarrbridge import Store

__all__ = ["StoreOptions", "Target", "parse_selection", "parse_target"]

# Stores that take no options: the others are object stores.
_LOCAL_SCHEMES = ("file://", "memory://")

Selection = tuple[int | slice | EllipsisType, ...]


@dataclass(frozen=True)
class Target:
    """A store URL and a node path in it (and a selection, for ``cat``)."""

    url: str
    path: str = ""
    selection: Selection | None = None

    def __str__(self) -> str:
        return f"{self.url}#{self.path}" if self.path else self.url


def parse_target(text: str, *, selection: bool = False) -> Target:
    """Split ``URL#path[SELECTION]``.

    Example:
        >>> from zarrbridge.cli._target import parse_target
        >>> parse_target("s3://bucket/data.zarr#group/temps")
        Target(url='s3://bucket/data.zarr', path='group/temps', selection=None)
        >>> parse_target("data.zarr#t[0:2, ::3]", selection=True).selection
        (slice(0, 2, None), slice(None, None, 3))
    """
    url, _, path = text.partition("#")
    if not url:
        raise ValueError(f"no store URL in {text!r}")
    sel: Selection | None = None
    if selection and "[" in path:
        start = path.index("[")
        sel = parse_selection(path[start:])
        path = path[:start]
    return Target(url, path.strip("/"), sel)


def parse_selection(text: str) -> Selection:
    """``[...]`` with ints, slices and ``...`` (numpy's basic indexing) as a tuple.

    Raises:
        ValueError: anything else inside the brackets.
    """
    try:
        node = ast.parse(f"_{text}", mode="eval").body
    except SyntaxError as e:
        raise ValueError(f"cannot parse the selection {text!r}: {e.msg}") from None
    if not isinstance(node, ast.Subscript):
        raise ValueError(f"a selection is written in brackets, e.g. [0:3, ::2], not {text!r}")
    items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
    return tuple(_item(item, text) for item in items)


def _int(node: ast.expr | None, text: str) -> int | None:
    if node is None:
        return None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = _int(node.operand, text)
        return None if value is None else -value
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    raise ValueError(f"a selection holds integers, slices and ..., not {text!r}")


def _item(node: ast.expr, text: str) -> int | slice | EllipsisType:
    if isinstance(node, ast.Slice):
        return slice(_int(node.lower, text), _int(node.upper, text), _int(node.step, text))
    if isinstance(node, ast.Constant) and node.value is Ellipsis:
        return Ellipsis
    value = _int(node, text)
    assert value is not None
    return value


@dataclass
class StoreOptions:
    """``Store.from_url``'s options, from ``key=value`` arguments."""

    config: dict[str, str] = field(default_factory=dict)
    client_options: dict[str, str] = field(default_factory=dict)
    retry_config: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(
        cls, config: list[str], client_options: list[str], retry_config: list[str]
    ) -> StoreOptions:
        """Parse the three lists of ``key=value`` (values are never echoed in errors).

        Example:
            >>> from zarrbridge.cli._target import StoreOptions
            >>> StoreOptions.parse(["region=eu-west-1"], [], ["backoff.base=2"]).retry_config
            {'backoff': {'base': 2}}
        """
        options = cls()
        for item in config:
            key, value = _pair(item, "--option")
            options.config[key] = value
        for item in client_options:
            key, value = _pair(item, "--client-option")
            options.client_options[key] = value
        for item in retry_config:
            key, value = _pair(item, "--retry")
            *parents, last = key.split(".")
            level = options.retry_config
            for name in parents:
                level = level.setdefault(name, {})
            level[last] = _number(value)
        return options

    def open(self, url: str) -> Store:
        """The store at ``url``; the options go to object stores only (file and memory stores
        take none, so one set of options serves ``cp`` from a local path to a bucket)."""
        if "://" not in url or url.startswith(_LOCAL_SCHEMES):
            return Store.from_url(url)
        return Store.from_url(
            url,
            config=self.config or None,
            client_options=self.client_options or None,
            retry_config=self.retry_config or None,
        )


def _number(value: str) -> int | float | str:
    """Retry settings are numbers (counts, seconds)."""
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


def _pair(item: str, flag: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    if not sep or not key.strip():
        # What was given may be a secret: it is not echoed.
        raise ValueError(f"{flag} takes key=value, got an argument without '=' or key")
    return key.strip(), value
