"""Progress of long operations: a callback given ``progress=`` is called with a :class:`Progress`
at most every 100 ms while the operation runs, and once more when it has finished.

Rust only adds to counters (a native ``ProgressCounter``, put in the ``progress_var`` context
variable while the native call starts, which ties it to that one operation); the waiting side
polls them here: a blocking call waits for the native completion callback in slices of 100 ms,
an async one awaits the operation beside a poller. So the callback always runs in Python, on the
caller's thread or event loop, never inside Rust's chunk loops, and an exception it raises
cancels the operation and propagates.

Rust side: ``crates/zarrbridge-python/src/progress.rs`` and
``crates/zarrbridge-core/src/progress.rs``.
"""

from __future__ import annotations

import asyncio
import importlib
import threading
from collections.abc import Callable
from typing import Any, Generic, NamedTuple, TypeAlias, TypeVar

import sniffio

from zarrbridge import _native as _ext
from zarrbridge._op import Call, Op

__all__ = ["INTERVAL", "Progress", "ProgressCallback", "tracked"]

T = TypeVar("T")

INTERVAL = 0.1
"""Seconds between two calls of a progress callback while an operation runs."""


class Progress(NamedTuple):
    """How far an operation has got.

    Totals grow while an operation finds out what it has to do (a copy of a group adds each
    array's chunks as it lists them); the last report of a finished operation has every count
    equal to its total.

    Example:
        >>> import zarrbridge as zb
        >>> a = zb.sync.create_array("memory://progress-doc", "a", shape=(8,), dtype="u1", chunks=2)
        >>> seen = []
        >>> zb.sync.write_region(a, ..., 1, progress=seen.append)
        >>> seen[-1]
        Progress(chunks_done=4, chunks_total=4, bytes_done=8, bytes_total=8)
    """

    chunks_done: int
    """Chunks finished."""
    chunks_total: int
    """Chunks planned so far."""
    bytes_done: int
    """Bytes of array data (elements times their size) finished."""
    bytes_total: int
    """Bytes of array data planned so far."""


ProgressCallback: TypeAlias = Callable[[Progress], object]
"""A function called with a :class:`Progress`."""


def tracked(call: Call[T], progress: ProgressCallback | None) -> Op[T]:
    """``call``, reporting its progress to ``progress`` when one is given.

    Raises:
        TypeError: ``progress`` is not callable.
    """
    if progress is None:
        return call
    if not callable(progress):
        raise TypeError(f"progress must be a callable, not {type(progress).__qualname__}")
    return _Tracked(call, progress)


class _Tracked(Generic[T]):
    """An :class:`~zarrbridge._op.Op` that polls its native counter while it runs."""

    __slots__ = ("call", "callback")

    def __init__(self, call: Call[T], callback: ProgressCallback) -> None:
        self.call = call
        self.callback = callback

    def _report(self, counter: _ext.ProgressCounter) -> None:
        self.callback(Progress(*counter.snapshot()))

    def sync(self) -> T:
        counter = _ext.ProgressCounter()
        finished = threading.Event()
        outcome: list[tuple[Any, BaseException | None]] = []

        def deliver(result: Any, error: BaseException | None) -> None:
            outcome.append((result, error))
            finished.set()

        var: Any = _ext.progress_var
        token = var.set(counter)
        try:
            task = self.call.fn(*self.call.args, callback=deliver)
        finally:
            var.reset(token)
        if type(task) is _ext.Ready:  # completed in its first poll: no callback follows
            value = task.result()
        else:
            try:
                while not finished.wait(INTERVAL):
                    self._report(counter)
            except BaseException:  # Ctrl-C, or the callback raised
                task.cancel()
                raise
            value, error = outcome[0]
            if error is not None:
                raise error
        self._report(counter)
        return self.call.finish(value)

    async def run(self) -> T:
        counter = _ext.ProgressCounter()
        if sniffio.current_async_library() == "trio":
            result = await self._run_trio(counter)
        else:
            result = await self._run_asyncio(counter)
        self._report(counter)
        return result

    async def _run_asyncio(self, counter: _ext.ProgressCounter) -> T:
        var: Any = _ext.progress_var
        token = var.set(counter)
        try:
            # The task copies the context now, with the counter in it.
            task = asyncio.get_running_loop().create_task(self.call.run())
        finally:
            var.reset(token)
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=INTERVAL)
                if done:
                    return task.result()
                self._report(counter)
        except BaseException:
            task.cancel()
            raise

    async def _run_trio(self, counter: _ext.ProgressCounter) -> T:
        trio = importlib.import_module("trio")
        var: Any = _ext.progress_var
        outcome: list[T] = []
        # Errors are kept out of the nursery, which would wrap them in an exception group.
        failure: list[BaseException] = []

        async def operation(cancel_scope: Any) -> None:
            try:
                outcome.append(await self.call.run())
            except trio.Cancelled:
                raise
            except BaseException as e:
                failure.append(e)
            cancel_scope.cancel()  # stops the poller

        async with trio.open_nursery() as nursery:
            token = var.set(counter)
            try:
                # The task copies the context now, with the counter in it.
                nursery.start_soon(operation, nursery.cancel_scope)
            finally:
                var.reset(token)
            while not failure:
                await trio.sleep(INTERVAL)
                try:
                    self._report(counter)
                except BaseException as e:
                    failure.append(e)
                    nursery.cancel_scope.cancel()  # stops the operation
        if failure:
            raise failure[0]
        return outcome[0]
