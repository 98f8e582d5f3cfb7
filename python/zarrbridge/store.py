"""Stores: immutable handles to storage that is rebuilt entirely in Rust from a declaration.

A declaration is a plain JSON-able dict such as ``{"kind": "file", "root": "/abs/dir"}``,
``{"kind": "memory", "name": "x"}`` or ``{"kind": "cloud", "url": "s3://bucket/prefix",
"config": {...}, "client_options": {...}, "retry_config": {...}}``. Stores compare, hash and
pickle by it (a cloud declaration keeps its credentials, which is what a dask worker needs;
``repr``, ``str``, ``url`` and error messages never show them).

The obstore-compatible builders ``S3Store``, ``GCSStore``, ``AzureStore``, ``HTTPStore`` and
``LocalStore`` are exported here: a store built with them and handed to zarrbridge keeps one
connection pool. obstore's own store objects and zarr-python's ``LocalStore``, ``ObjectStore``
and ``FsspecStore`` are accepted wherever a store is, and rebuilt in Rust.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any, NoReturn, TypeAlias

from zarrbridge import _entry
from zarrbridge import _native as _ext
from zarrbridge._foreign import declaration_of, options_document
from zarrbridge._store_io import GetResult, ListResult, ObjectMeta, RawIO
from zarrbridge._zarr_shim import shim
from zarrbridge.errors import InvalidPathError, UnsupportedError
from zarrbridge.protocols import AsyncStore, ReadOnlyAsyncStore, ReadOnlySyncStore, SyncStore

__all__ = [
    "AsyncStore",
    "AzureStore",
    "GCSStore",
    "GetResult",
    "HTTPStore",
    "ListResult",
    "LocalStore",
    "ObjectMeta",
    "ReadOnlyAsyncStore",
    "ReadOnlySyncStore",
    "S3Store",
    "Store",
    "StoreLike",
    "SyncStore",
    "as_store",
    "python_store",
]

StoreLike: TypeAlias = "Store | str | os.PathLike[str] | Any"
"""Anything a function accepts as a store: a :class:`Store`, a URL, a local path, an obstore
store or a zarr-python store."""

# obstore-compatible builders compiled into this extension (shared connection pools).
S3Store: Any = _ext.store.S3Store
GCSStore: Any = _ext.store.GCSStore
AzureStore: Any = _ext.store.AzureStore
HTTPStore: Any = _ext.store.HTTPStore
LocalStore: Any = _ext.store.LocalStore
_OWN_BUILDERS = (S3Store, GCSStore, AzureStore, HTTPStore, LocalStore)


class Store(RawIO):
    """An immutable handle to a store rebuilt in Rust.

    Besides being handed to every zarrbridge function, a store does raw key I/O with obspec's
    method names (``get``, ``get_range(s)``, ``put``, ``delete``, ``list``,
    ``list_with_delimiter``, ``head`` and their ``_async`` twins), so it satisfies
    :class:`SyncStore` and :class:`AsyncStore` itself.

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
    def from_url(
        cls,
        url: str | os.PathLike[str],
        *,
        config: Mapping[str, Any] | None = None,
        client_options: Mapping[str, Any] | None = None,
        retry_config: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> Store:
        """Make a store from a URL or a local path.

        Args:
            url: ``file:///abs/dir``, a plain path (relative paths are made absolute against the
                current directory), ``memory://NAME`` (a process-global in-memory store: the
                same name gives the same data within one process), or an object-store URL:
                ``s3://bucket/prefix`` (``s3a://``), ``gs://``, ``az://`` / ``abfs(s)://``,
                ``http(s)://`` and the https forms object stores are known by. The URL's path
                is the store's prefix.
            config: Service settings with obstore's names (``region``, ``endpoint``,
                ``aws_access_key_id``, ``skip_signature``, ...). Settings not given are read
                from the environment (``AWS_*``, ``GOOGLE_*``, ``AZURE_*``) as obstore does.
            client_options: HTTP client settings (``allow_http``, ``timeout``, ...); durations
                may be ``datetime.timedelta`` or strings like ``"5s"``.
            retry_config: ``{"max_retries", "retry_timeout", "backoff": {"init_backoff",
                "max_backoff", "base"}}`` as in obstore.
            **kwargs: More service settings (merged into ``config``).

        Returns:
            The store.

        Raises:
            TypeError: ``url`` is neither a string nor a path-like object.
            ValueError: ``url`` is empty.
            InvalidOptionError: an unknown option (the message lists the accepted names).

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
            raise InvalidPathError("a store URL must not be empty")
        if "://" not in text:
            text = os.path.abspath(text)
        if config is None and client_options is None and retry_config is None and not kwargs:
            return cls._wrap(_entry.call(_ext.Store.from_url, (text,)))
        options = options_document(config, client_options, retry_config, kwargs)
        return cls._wrap(_entry.call(_ext.Store.from_url, (text, options)))

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
        return cls._wrap(_entry.call(_ext.Store.from_declaration, (dict(declaration),)))

    @property
    def declaration(self) -> dict[str, Any]:
        """The JSON-able dict this store is rebuilt from (a fresh copy on each access).

        Example:
            >>> import zarrbridge as zb
            >>> zb.Store.from_url("memory://x").declaration["kind"]
            'memory'
        """
        return self._native.declaration

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
        if declaration.get("kind") in ("memory", "external"):
            raise UnsupportedError(
                f"cannot pickle {self!r}: a memory store or a store implemented in Python "
                "exists only inside one process; use a file:// or object-store URL to share "
                "data with other processes"
            )
        return (_unpickle, (declaration,))

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


# Stores unpickled in this process, by canonical declaration: every task a dask worker runs
# (and every handle it unpickles) shares one store, so one connection pool per worker process
# rather than one per task. Forgotten in a forked child, whose runtime starts afresh.
_UNPICKLED: dict[str, Store] = {}
_UNPICKLED_MAX = 64


def _unpickle(declaration: dict[str, Any]) -> Store:
    key = json.dumps(declaration, sort_keys=True, separators=(",", ":"))
    store = _UNPICKLED.get(key)
    if store is None:
        store = Store.from_declaration(declaration)
        if len(_UNPICKLED) >= _UNPICKLED_MAX:
            _UNPICKLED.pop(next(iter(_UNPICKLED)))
        _UNPICKLED[key] = store
    return store


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_UNPICKLED.clear)


def _label(obj: Any) -> str:
    return f"python://{type(obj).__qualname__}@{id(obj):x}"


def _python_only_store(obj: Any) -> Store | None:
    """obstore's ``MemoryStore`` and zarr-python's Python-only stores, which no declaration can
    rebuild in Rust: adapted as async Python stores."""
    cls = type(obj)
    module = cls.__module__ or ""
    if cls.__name__ == "MemoryStore" and module.startswith("obstore"):
        return Store._wrap(_ext.Store.from_python_store(obj, True, _label(obj)))
    if module.startswith("zarr.") and cls.__name__ not in _ZARR_REBUILT:
        from zarr.abc.store import Store as ZarrStoreABC

        if isinstance(obj, ZarrStoreABC):
            return Store._wrap(_ext.Store.from_python_store(shim(obj), True, _label(obj)))
    return None


_ZARR_REBUILT = ("LocalStore", "ObjectStore", "FsspecStore")


def python_store(obj: Any) -> Store:
    """A :class:`Store` over a Python object implementing :class:`AsyncStore` or
    :class:`SyncStore` (or their read-only forms).

    An object with the async family's methods gets the async adapter (its coroutines run on the
    caller's event loop); otherwise the sync adapter (called on a worker thread). Never both.
    The store exists only in this process: it does not pickle.

    Raises:
        TypeError: ``obj`` implements neither family.

    Example:
        >>> import zarrbridge as zb
        >>> from zarrbridge.store import python_store
        >>> class Empty:
        ...     def get(self, path, *, options=None): raise FileNotFoundError(path)
        ...     def get_range(self, path, *, start, end=None, length=None): return b""
        ...     def get_ranges(self, path, *, starts, ends=None, lengths=None): return []
        ...     def list(self, prefix=None, *, offset=None): return iter([])
        ...     def list_with_delimiter(self, prefix=None): return {}
        ...     def head(self, path): raise FileNotFoundError(path)
        >>> python_store(Empty()).url.startswith("python://Empty@")
        True
    """
    if isinstance(obj, ReadOnlyAsyncStore):
        return Store._wrap(_ext.Store.from_python_store(obj, True, _label(obj)))
    if isinstance(obj, ReadOnlySyncStore):
        return Store._wrap(_ext.Store.from_python_store(obj, False, _label(obj)))
    raise TypeError(
        f"{type(obj).__qualname__} implements neither the sync nor the async store protocol "
        "(see zarrbridge.store.SyncStore and AsyncStore)"
    )


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
    python_only = _python_only_store(obj)
    if python_only is not None:
        return python_only
    declaration = declaration_of(obj)
    if declaration is not None:
        if isinstance(obj, _OWN_BUILDERS):
            # Built by this extension: use the very object store, and its connection pool.
            return Store._wrap(_ext.Store.from_object_store(obj, declaration))
        return Store.from_declaration(declaration)
    if isinstance(obj, (ReadOnlyAsyncStore, ReadOnlySyncStore)):
        return python_store(obj)
    raise TypeError(
        "expected a zarrbridge.Store, a URL string, a path, an obstore store, a zarr-python "
        f"store or an object implementing a store protocol, not {type(obj).__qualname__}"
    )
