"""Every call into the native extension goes through :func:`call`.

Two things are checked at the boundary, once, for every operation:

- Text arguments (paths, keys, URLs) must be encodable as UTF-8: a lone surrogate
  (``"a\\udc80"``, what ``os.fsdecode`` makes of undecodable bytes) would otherwise fail inside
  pyo3's argument conversion with a bare ``UnicodeEncodeError``. It raises
  :class:`~zarrbridge.errors.InvalidPathError` instead. ``str.isascii`` is O(1), so ASCII text
  costs nothing.
- A panic in synchronous native code (outside the futures the runtime drives, which the Rust side
  already turns into ``InternalError``) arrives as pyo3's ``PanicException``, a
  ``BaseException`` that ``except Exception`` misses: it becomes
  :class:`~zarrbridge.errors.InternalError`, chained from it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from zarrbridge.errors import InternalError, InvalidPathError

__all__ = ["call", "check_text"]


def check_text(args: tuple[Any, ...]) -> None:
    """Raise :class:`InvalidPathError` for a ``str`` argument that is not valid Unicode text."""
    for arg in args:
        if isinstance(arg, str) and not arg.isascii():
            try:
                arg.encode("utf-8")
            except UnicodeEncodeError as e:
                raise InvalidPathError(
                    f"{arg!r} is not valid Unicode text ({e.reason} at position {e.start}): "
                    "paths, keys and URLs must be encodable as UTF-8"
                ) from None


def _is_panic(error: BaseException) -> bool:
    kind = type(error)
    return kind.__name__ == "PanicException" and kind.__module__ == "pyo3_runtime"


def call(fn: Callable[..., Any], args: tuple[Any, ...], **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)``, with text arguments checked and panics typed (see above)."""
    check_text(args)
    try:
        return fn(*args, **kwargs)
    except BaseException as error:
        if _is_panic(error):
            raise InternalError(
                "internal error (a bug in zarrbridge or a library it uses; please report it): "
                f"{error}"
            ) from error
        raise
