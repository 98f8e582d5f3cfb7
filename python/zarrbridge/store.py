"""Stores: immutable handles to storage that is rebuilt entirely in Rust from a declaration.

A declaration is a plain JSON-able dict such as ``{"kind": "file", "root": "/abs/dir"}`` or
``{"kind": "memory", "name": "x"}``. Stores compare, hash and pickle by it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any, NoReturn, TypeAlias

from zarrbridge import _native as _ext
from zarrbridge.errors import UnsupportedError

__all__ = ["Store", "StoreLike", "as_store"]

StoreLike: TypeAlias = "Store | str | os.PathLike[str]"
"""Anything a function accepts as a store: a :class:`Store`, a URL or a local path."""


class Store:
    """An immutable handle to a store rebuilt in Rust.

    Make one with :meth:`from_url` or :meth:`from_declaration`; every function that takes a
    store also accepts a URL or path directly.

    Example:
        >>> import zarrbridge as zb
        >>> store = zb.Store.from_url("memory://example")
        >>> store.declaration
        {'kind': 'memory', 'name': 'example'}
    """

    __slots__ = ("_key", "_native")

    _native: _ext.Store
    _key: str | None  # canonical declaration JSON, computed on first comparison or hash

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise TypeError("use Store.from_url(...) or Store.from_declaration(...) to make a Store")

    @classmethod
    def _wrap(cls, native: _ext.Store) -> Store:
        self = object.__new__(cls)
        object.__setattr__(self, "_native", native)
        object.__setattr__(self, "_key", None)
        return self

    @classmethod
    def from_url(cls, url: str | os.PathLike[str]) -> Store:
        """Make a store from a URL or a local path.

        Args:
            url: ``file:///abs/dir``, a plain path (relative paths are made absolute against the
                current directory) or ``memory://NAME`` (a process-global in-memory store: the
                same name gives the same data within one process).

        Returns:
            The store.

        Raises:
            TypeError: ``url`` is neither a string nor a path-like object.
            ValueError: ``url`` is empty.

        Example:
            >>> import zarrbridge as zb
            >>> zb.Store.from_url("/tmp/data.zarr").url
            'file:///tmp/data.zarr'
        """
        if isinstance(url, str):
            text = url
        elif isinstance(url, os.PathLike):
            text = os.fsdecode(url)
        else:
            raise TypeError(
                f"a store URL must be a str or os.PathLike, not {type(url).__qualname__}"
            )
        if not text:
            raise ValueError("a store URL must not be empty")
        if "://" not in text:
            text = os.path.abspath(text)
        return cls._wrap(_ext.Store.from_url(text))

    @classmethod
    def from_declaration(cls, declaration: Mapping[str, Any]) -> Store:
        """Rebuild a store from its declaration (the inverse of :attr:`declaration`).

        Args:
            declaration: A dict as returned by :attr:`declaration`.

        Returns:
            The store.

        Example:
            >>> import zarrbridge as zb
            >>> zb.Store.from_declaration({"kind": "file", "root": "/tmp/data.zarr"}).url
            'file:///tmp/data.zarr'
        """
        if not isinstance(declaration, Mapping):
            raise TypeError(
                f"a store declaration must be a dict, not {type(declaration).__qualname__}"
            )
        return cls._wrap(_ext.Store.from_declaration(json.dumps(dict(declaration))))

    @property
    def declaration(self) -> dict[str, Any]:
        """The JSON-able dict this store is rebuilt from (a fresh copy on each access).

        Example:
            >>> import zarrbridge as zb
            >>> zb.Store.from_url("memory://x").declaration["kind"]
            'memory'
        """
        decl: dict[str, Any] = json.loads(self._native.declaration_json())
        return decl

    @property
    def url(self) -> str:
        """The store's URL (never contains secrets).

        Example:
            >>> import zarrbridge as zb
            >>> zb.Store.from_url("memory://x").url
            'memory://x'
        """
        return self._native.url

    def _canonical(self) -> str:
        key = self._key
        if key is None:
            key = json.dumps(self.declaration, sort_keys=True, separators=(",", ":"))
            object.__setattr__(self, "_key", key)
        return key

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Store):
            return NotImplemented
        return self is other or self._canonical() == other._canonical()

    def __hash__(self) -> int:
        return hash(self._canonical())

    def __repr__(self) -> str:
        return f"<zarrbridge.Store {self.url}>"

    def __reduce__(self) -> tuple[Any, ...]:
        declaration = self.declaration
        if declaration.get("kind") == "memory":
            raise UnsupportedError(
                f"cannot pickle {self!r}: a memory store exists only inside one process; "
                "use a file:// or object-store URL to share data with other processes"
            )
        return (Store.from_declaration, (declaration,))

    # Immutable: copies are the same object (and copying never goes through pickling, which a
    # memory store refuses).
    def __copy__(self) -> Store:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Store:
        return self

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"{type(self).__name__} is immutable")


def as_store(obj: StoreLike) -> Store:
    """Convert anything a function accepts as a store into a :class:`Store`.

    Args:
        obj: A :class:`Store`, a URL string or a path (``str`` or ``os.PathLike``).

    Returns:
        ``obj`` itself if it is a :class:`Store`, else ``Store.from_url(obj)``.

    Raises:
        TypeError: ``obj`` is of a type that cannot describe a store.

    Example:
        >>> from zarrbridge.store import as_store
        >>> as_store("memory://x") == as_store(as_store("memory://x"))
        True
    """
    if isinstance(obj, Store):
        return obj
    if isinstance(obj, (str, os.PathLike)):
        return Store.from_url(obj)
    # Extension point: other kinds of stores (obstore stores, zarr-python stores, objects that
    # implement the store protocols) are converted here, each into its own declaration kind,
    # before the TypeError below.
    raise TypeError(
        f"expected a zarrbridge.Store, a URL string or a path, not {type(obj).__qualname__}"
    )
