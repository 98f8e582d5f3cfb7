"""Operations defined once, and the surfaces made from them.

Each public operation is one function in its family module (``_nodes``, ``_chunks``,
``_regions``) with the public signature and docstring: it checks and converts its arguments and
returns an :class:`Op` (the native call, its arguments, and how the native result becomes the
public one). From that one definition:

- :func:`asynchronous` makes the coroutine function of :mod:`zarrbridge`,
- :func:`blocking` makes its twin in :mod:`zarrbridge.sync`,
- a handle method is the same coroutine function as a class attribute (``Array.read_chunk``).

``ParamSpec`` carries the signature through, so mypy checks every surface against the one
definition, and ``tests/test_signatures.py`` checks what ``inspect.signature`` shows.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Coroutine
from typing import Any, Generic, ParamSpec, Protocol, TypeVar

from zarrbridge import _bridge, _entry

__all__ = ["Call", "Op", "asynchronous", "blocking"]

P = ParamSpec("P")
T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class Op(Protocol[T_co]):
    """A prepared operation: run it blocking or await it."""

    def sync(self) -> T_co: ...

    def run(self) -> Coroutine[Any, Any, T_co]: ...


class Call(Generic[T]):
    """One native call: ``finish(fn(*args))``."""

    __slots__ = ("args", "finish", "fn")

    def __init__(
        self, fn: Callable[..., Any], args: tuple[Any, ...], finish: Callable[[Any], T]
    ) -> None:
        self.fn = fn
        self.args = args
        self.finish = finish

    def sync(self) -> T:
        return self.finish(_entry.call(self.fn, self.args))

    async def run(self) -> T:
        return self.finish(await _bridge.run(self.fn, self.args))


def asynchronous(prepare: Callable[P, Op[T]]) -> Callable[P, Coroutine[Any, Any, T]]:
    """The coroutine function of an operation: same name, signature and docstring."""

    async def call(*args: P.args, **kwargs: P.kwargs) -> T:
        return await prepare(*args, **kwargs).run()

    return _like(call, prepare)


def _like(call: Callable[P, T], prepare: Callable[P, Op[Any]]) -> Callable[P, T]:
    """``call`` named, documented and signed as ``prepare``, returning what the op gives."""
    functools.update_wrapper(call, prepare)
    signature = inspect.signature(prepare)
    returns = str(signature.return_annotation)
    if returns.startswith("Op[") and returns.endswith("]"):
        signature = signature.replace(return_annotation=returns[3:-1])
    call.__signature__ = signature  # type: ignore[attr-defined]
    return call


_BLOCKING = (
    "Blocking twin of :func:`zarrbridge.{name}`: the same arguments; runs to completion in Rust "
    "with the GIL released (Ctrl-C raises ``KeyboardInterrupt``).\n\n"
)


def blocking(prepare: Callable[P, Op[T]]) -> Callable[P, T]:
    """The blocking function of an operation: same name and signature."""

    def call(*args: P.args, **kwargs: P.kwargs) -> T:
        return prepare(*args, **kwargs).sync()

    _like(call, prepare)
    call.__doc__ = _BLOCKING.format(name=prepare.__name__) + (prepare.__doc__ or "")
    call.__module__ = "zarrbridge.sync"
    return call
