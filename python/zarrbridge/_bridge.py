"""Await a native call under asyncio or trio, without a thread per operation.

Under asyncio, a native I/O function called with ``callback=port`` (the loop's
``CompletionPort``) returns a ``Task`` whose ``future`` the loop's thread resolves when the
port's socket wakes it (no GIL hand-over per operation; ``crates/zarrbridge-python/src/port.rs``).
Under trio (and on asyncio loops without ``add_reader``), ``callback=cb`` returns a ``Task``
and later calls ``cb(result, error)`` exactly once from a Rust thread, never after
``Task.cancel()``; the callback hands the outcome to the waiting coroutine's loop. A result may
already be on its way when the wait is cancelled, so every path guards with state. A call that
completes in its first poll returns ``Ready`` instead. docs/dev/async-bridge.md has the why.
"""

from __future__ import annotations

import asyncio
import atexit
import importlib
import os
import weakref
from collections.abc import Callable, Coroutine
from types import ModuleType
from typing import Any

import sniffio

from zarrbridge import _native, _pystore

__all__ = ["run"]

# Callbacks run on Rust threads; at exit, stop them entering an interpreter that is finalising.
atexit.register(_native.shutdown)


def run(fn: Callable[..., Any], args: tuple[Any, ...]) -> Coroutine[Any, Any, Any]:
    """Return a coroutine that calls ``fn(*args, callback=...)`` and awaits what it reports.

    Cancelling the awaiting task cancels the native task.

    Raises:
        sniffio.AsyncLibraryNotFoundError: not called from async code.
        RuntimeError: the running async library is neither asyncio nor trio.
    """
    # Not a coroutine itself: one coroutine layer less per call.
    library = sniffio.current_async_library()
    if library == "asyncio":
        return _run_asyncio(fn, args)
    if library == "trio":
        return _run_trio(fn, args)
    raise RuntimeError(f"zarrbridge supports asyncio and trio, not {library}")


# --- asyncio ---------------------------------------------------------------------------------

# id(loop) -> its port, or None where the loop cannot watch a socket (the callback path then).
# Entries leave with their loop (a weak reference's callback), so ids are never confused.
_PORTS: dict[int, _native.CompletionPort | None] = {}
_LOOP_REFS: dict[int, weakref.ref[asyncio.AbstractEventLoop]] = {}


class _Submitter:
    """Runs an async Python store's coroutines on a loop (held weakly: the port that holds
    this object lives inside the loop)."""

    __slots__ = ("loop",)

    def __init__(self, loop: weakref.ref[asyncio.AbstractEventLoop]) -> None:
        self.loop = loop

    def submit(self, fn: Callable[..., Any], args: Any, done: Any) -> Any:
        loop = self.loop()
        if loop is None:
            raise RuntimeError("the event loop of this operation is gone")
        return _pystore.submit_asyncio(loop, fn, args, done)


def _open_port(loop: asyncio.AbstractEventLoop) -> _native.CompletionPort | None:
    key = id(loop)
    try:
        ref = weakref.ref(loop, lambda _: (_PORTS.pop(key, None), _LOOP_REFS.pop(key, None)))
    except TypeError:  # a loop without weak references: callbacks (a later loop that reuses
        _PORTS[key] = None  # this id gets callbacks too: slower, still correct)
        return None
    port: _native.CompletionPort | None = _native.CompletionPort(ref, _Submitter(ref))
    try:
        loop.add_reader(port.fileno(), port.drain)  # type: ignore[union-attr]
    except NotImplementedError:  # e.g. the proactor loop on Windows
        port = None
    _PORTS[key], _LOOP_REFS[key] = port, ref
    return port


def _forget_ports() -> None:
    # A forked child's loops (if any) start afresh: the parent's tasks never report there.
    _PORTS.clear()
    _LOOP_REFS.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_ports)


class _AsyncioCallback:
    """Delivers the native result to ``fut``; ``submit`` runs an async Python store's
    coroutines on the same loop (the Rust adapter finds this object in a task-local)."""

    __slots__ = ("fut", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop, fut: asyncio.Future[Any]) -> None:
        self.loop = loop
        self.fut = fut

    def __call__(self, result: Any, error: BaseException | None) -> None:
        try:
            self.loop.call_soon_threadsafe(_resolve, self.fut, result, error)
        except RuntimeError:  # the loop is closed: nobody is waiting any more
            return

    def submit(self, fn: Callable[..., Any], args: Any, done: Any) -> Any:
        return _pystore.submit_asyncio(self.loop, fn, args, done)


def _resolve(fut: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if fut.done():  # cancelled while the callback was in flight
        return
    if error is None:
        fut.set_result(result)
    else:
        fut.set_exception(error)


async def _run_asyncio(fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    loop = asyncio.get_running_loop()
    key = id(loop)
    port = _PORTS[key] if key in _PORTS else _open_port(loop)
    if port is None:
        return await _run_asyncio_callback(loop, fn, args)
    task = fn(*args, callback=port)
    if type(task) is _native.Ready:  # completed in its first poll
        return task.result()
    try:
        return await task.future
    except BaseException:
        task.cancel()
        raise


async def _run_asyncio_callback(
    loop: asyncio.AbstractEventLoop, fn: Callable[..., Any], args: tuple[Any, ...]
) -> Any:
    fut: asyncio.Future[Any] = loop.create_future()

    task = fn(*args, callback=_AsyncioCallback(loop, fut))
    if type(task) is _native.Ready:  # completed in its first poll: no callback will come
        return task.result()
    try:
        return await fut
    except BaseException:
        task.cancel()
        raise


# --- trio ----------------------------------------------------------------------------------------

_trio: ModuleType | None = None
_outcome: ModuleType | None = None

_PENDING, _DONE, _CANCELLED = 0, 1, 2


def _import_trio() -> tuple[ModuleType, ModuleType]:
    # Imported on first use: trio is optional, and asyncio users should not pay for it.
    # import_module (typed as a plain module) keeps type checking independent of whether the
    # installed trio ships type information.
    global _trio, _outcome
    if _trio is None or _outcome is None:
        _outcome = importlib.import_module("outcome")
        _trio = importlib.import_module("trio")
    return _trio, _outcome


class _TrioCallback:
    """Like :class:`_AsyncioCallback`, for a trio run."""

    __slots__ = ("token", "trio", "wake")

    def __init__(self, trio: ModuleType, token: Any, wake: Callable[..., None]) -> None:
        self.trio = trio
        self.token = token
        self.wake = wake

    def __call__(self, result: Any, error: BaseException | None) -> None:
        try:
            self.token.run_sync_soon(self.wake, result, error)
        except self.trio.RunFinishedError:  # the run is over: nobody is waiting any more
            return

    def submit(self, fn: Callable[..., Any], args: Any, done: Any) -> Any:
        return _pystore.submit_trio(self.token, fn, args, done)


async def _run_trio(fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    trio, outcome = _import_trio()
    lowlevel = trio.lowlevel
    token = lowlevel.current_trio_token()
    me = lowlevel.current_task()
    state = [_PENDING]

    def wake(result: Any, error: BaseException | None) -> None:
        # Runs in trio's thread, so it cannot race with `abort`.
        if state[0] != _PENDING:
            return
        state[0] = _DONE
        lowlevel.reschedule(me, outcome.Value(result) if error is None else outcome.Error(error))

    task = fn(*args, callback=_TrioCallback(trio, token, wake))
    if type(task) is _native.Ready:  # completed in its first poll: no callback will come
        return task.result()

    def abort(raise_cancel: Any) -> Any:
        state[0] = _CANCELLED
        task.cancel()
        return lowlevel.Abort.SUCCEEDED

    return await lowlevel.wait_task_rescheduled(abort)
