"""Glue between the Rust store adapters and Python stores that speak obspec.

The Rust adapters (``crates/zarrbridge-python/src/pystore_{sync,async}.rs``) call the
``sync_*`` functions here (on tokio's blocking pool) or run the ``async_*`` coroutines (on the
caller's event loop, through ``submit``), always with the store first. Each one turns obspec's
calling conventions into what zarrs needs: a missing key (``FileNotFoundError``) becomes
``None``, listings become ``[(key, size)]``, byte ranges become one ``get_ranges`` call. Any
other exception propagates, and reaches the zarrbridge caller with its own type.

Also here: the ``submit`` side of the callbacks ``_bridge`` passes to native calls (so async
stores run on the caller's asyncio or trio loop), and :class:`PrivateLoop`, where a blocking
call runs an async store's coroutines.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import weakref
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from zarrbridge import _native

_Spans = list[tuple[int, int]]
_Done = Callable[[Any, BaseException | None], None]


def _dir(prefix: str) -> str | None:
    """zarrs' prefix (``""`` or ending in ``/``) as an obspec prefix."""
    return prefix.rstrip("/") or None


def _spans(ranges: Sequence[tuple[int | None, int | None]], size: int | None) -> _Spans:
    """``(offset, length)`` (offset None: suffix; length None: to the end) as [start, end)."""
    spans = []
    for offset, length in ranges:
        if offset is None:
            assert size is not None and length is not None
            spans.append((max(size - length, 0), size))
        elif length is None:
            assert size is not None
            spans.append((offset, size))
        else:
            spans.append((offset, offset + length))
    return spans


def _open_ended(ranges: Sequence[tuple[int | None, int | None]]) -> bool:
    return any(offset is None or length is None for offset, length in ranges)


def _suffix(ranges: Sequence[tuple[int | None, int | None]]) -> int | None:
    """The length of the one suffix range asked for (a shard index), else None. It is read
    with one ``get`` and obspec's ``{"suffix": n}`` range instead of ``head`` + ``get_ranges``:
    one request, not two in sequence."""
    if len(ranges) == 1 and ranges[0][0] is None and ranges[0][1] is not None:
        return ranges[0][1]
    return None


def _last(value: Any, length: int) -> memoryview:
    """The last ``length`` bytes: a store that ignores the range option returns the whole
    value."""
    view = memoryview(value)
    return view[max(len(view) - length, 0) :]


def _keys_below(method: str, prefix: str, metas: Any) -> list[tuple[str, int]]:
    if not isinstance(metas, (list, tuple)):
        raise MalformedResult(method, f"a batch that is a {_kind(metas)}, not a list")
    found = [(_path(method, m), _size(method, m)) for m in metas]
    return [(p, n) for p, n in found if p.startswith(prefix)]


def _one_level(method: str, prefix: str, listing: Any) -> tuple[list[str], list[str]]:
    common, objects = _listing(method, listing)
    prefixes = [p.rstrip("/") + "/" for p in common]
    keys = [_path(method, m) for m in objects]
    return prefixes, [k for k in keys if k.startswith(prefix)]


# --- results checked against obspec -------------------------------------------------------------


class MalformedResult(Exception):
    """A Python store's method returned something obspec does not allow. The Rust adapter turns
    it into a ``StoreError`` naming the method (the store's own exceptions, by contrast, reach
    the caller with their own type)."""

    def __init__(self, method: str, what: str) -> None:
        super().__init__(f"the Python store's {method}() returned {what}")


def _kind(value: Any) -> str:
    return type(value).__name__


def _result(method: str, value: Any) -> Any:
    """A ``get`` result: something with ``buffer()`` (sync) or ``buffer_async()``."""
    if not (hasattr(value, "buffer") or hasattr(value, "buffer_async")):
        raise MalformedResult(method, f"a {_kind(value)}, not a GetResult with buffer()")
    return value


def _size(method: str, meta: Any) -> int:
    """The ``size`` of an ``ObjectMeta``: a non-negative int."""
    try:
        size = meta["size"]
    except (TypeError, KeyError, IndexError):
        raise MalformedResult(method, f"a {_kind(meta)} without a 'size'") from None
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise MalformedResult(method, f"a 'size' that is a {_kind(size)}, not an int >= 0")
    return size


def _path(method: str, meta: Any) -> str:
    try:
        path = meta["path"]
    except (TypeError, KeyError, IndexError):
        raise MalformedResult(method, f"a {_kind(meta)} without a 'path'") from None
    if not isinstance(path, str):
        raise MalformedResult(method, f"a 'path' that is a {_kind(path)}, not a str")
    return path


def _buffers(method: str, value: Any) -> list[Any]:
    if not isinstance(value, (list, tuple)):
        raise MalformedResult(method, f"a {_kind(value)}, not a list of buffers")
    return list(value)


def _listing(method: str, value: Any) -> tuple[list[str], list[Any]]:
    try:
        prefixes, objects = value["common_prefixes"], value["objects"]
    except (TypeError, KeyError, IndexError):
        raise MalformedResult(
            method, f"a {_kind(value)}, not a dict with 'common_prefixes' and 'objects'"
        ) from None
    if not isinstance(prefixes, (list, tuple)) or not all(isinstance(p, str) for p in prefixes):
        raise MalformedResult(method, "'common_prefixes' that are not a list of str")
    if not isinstance(objects, (list, tuple)):
        raise MalformedResult(method, f"'objects' that are a {_kind(objects)}, not a list")
    return list(prefixes), list(objects)


# --- sync family -------------------------------------------------------------------------------


def sync_get(store: Any, key: str) -> Any:
    try:
        return _result("get", store.get(key)).buffer()
    except FileNotFoundError:
        return None


def sync_head(store: Any, key: str) -> int | None:
    try:
        return _size("head", store.head(key))
    except FileNotFoundError:
        return None


def sync_get_ranges(store: Any, key: str, ranges: list[tuple[int | None, int | None]]) -> Any:
    try:
        if ranges == [(0, None)]:
            # A whole value (how zarrs' sync-to-async adapter asks for one): one ``get``, not
            # ``head`` + ``get_ranges``.
            return [_result("get", store.get(key)).buffer()]
        if (suffix := _suffix(ranges)) is not None:
            result = _result("get", store.get(key, options={"range": {"suffix": suffix}}))
            return [_last(result.buffer(), suffix)]
        size = _size("head", store.head(key)) if _open_ended(ranges) else None
        spans = _spans(ranges, size)
        if not hasattr(store, "get_ranges"):
            return [store.get_range(key, start=s, end=e) for s, e in spans]
        starts, ends = [s for s, _ in spans], [e for _, e in spans]
        return _buffers("get_ranges", store.get_ranges(key, starts=starts, ends=ends))
    except FileNotFoundError:
        return None


def sync_list(store: Any, prefix: str) -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []
    for chunk in store.list(_dir(prefix)):
        found.extend(_keys_below("list", prefix, chunk))
    return sorted(found)


def sync_list_dir(store: Any, prefix: str) -> tuple[list[str], list[str]]:
    return _one_level("list_with_delimiter", prefix, store.list_with_delimiter(_dir(prefix)))


def sync_put(store: Any, key: str, value: Any) -> None:
    store.put(key, value)


def sync_delete(store: Any, key: str) -> None:
    store.delete(key)


def sync_delete_prefix(store: Any, prefix: str) -> None:
    keys = [k for k, _ in sync_list(store, prefix)]
    if keys:
        store.delete(keys)


# --- async family ------------------------------------------------------------------------------


async def async_get(store: Any, key: str) -> Any:
    try:
        result = _result("get_async", await store.get_async(key))
        return await result.buffer_async()
    except FileNotFoundError:
        return None


async def async_head(store: Any, key: str) -> int | None:
    try:
        return _size("head_async", await store.head_async(key))
    except FileNotFoundError:
        return None


async def async_get_ranges(
    store: Any, key: str, ranges: list[tuple[int | None, int | None]]
) -> Any:
    try:
        if ranges == [(0, None)]:
            return [await _result("get_async", await store.get_async(key)).buffer_async()]
        if (suffix := _suffix(ranges)) is not None:
            result = await store.get_async(key, options={"range": {"suffix": suffix}})
            return [_last(await _result("get_async", result).buffer_async(), suffix)]
        size = _size("head_async", await store.head_async(key)) if _open_ended(ranges) else None
        spans = _spans(ranges, size)
        if not hasattr(store, "get_ranges_async"):
            return [await store.get_range_async(key, start=s, end=e) for s, e in spans]
        starts, ends = [s for s, _ in spans], [e for _, e in spans]
        return _buffers(
            "get_ranges_async", await store.get_ranges_async(key, starts=starts, ends=ends)
        )
    except FileNotFoundError:
        return None


async def async_list(store: Any, prefix: str) -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []
    if hasattr(store, "list_async"):
        async for chunk in store.list_async(_dir(prefix)):
            found.extend(_keys_below("list_async", prefix, chunk))
        return sorted(found)
    # No async listing: walk the levels.
    pending = [prefix]
    while pending:
        level = pending.pop()
        common, objects = _listing(
            "list_with_delimiter_async", await store.list_with_delimiter_async(_dir(level))
        )
        found.extend(_keys_below("list_with_delimiter_async", prefix, objects))
        pending.extend(p.rstrip("/") + "/" for p in common)
    return sorted(found)


async def async_list_dir(store: Any, prefix: str) -> tuple[list[str], list[str]]:
    listing = await store.list_with_delimiter_async(_dir(prefix))
    return _one_level("list_with_delimiter_async", prefix, listing)


async def async_put(store: Any, key: str, value: Any) -> None:
    await store.put_async(key, value)


async def async_delete(store: Any, key: str) -> None:
    await store.delete_async(key)


async def async_delete_prefix(store: Any, prefix: str) -> None:
    keys = [k for k, _ in await async_list(store, prefix)]
    if keys:
        await store.delete_async(keys)


# --- running the coroutines --------------------------------------------------------------------


async def _drive(fn: Callable[..., Coroutine[Any, Any, Any]], args: Any, done: _Done) -> None:
    try:
        result = await fn(*args)
    except asyncio.CancelledError:
        raise  # cancelled by the Rust side, which no longer waits
    except BaseException as error:
        done(None, error)
    else:
        done(result, None)


class AsyncioHandle:
    """Cancels a coroutine submitted to an asyncio loop, from any thread."""

    __slots__ = ("cancelled", "loop", "task")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.task: asyncio.Task[None] | None = None
        self.cancelled = False

    def _cancel(self) -> None:
        self.cancelled = True
        if self.task is not None:
            self.task.cancel()

    def cancel(self) -> None:
        # A closed loop (RuntimeError) has no task left to cancel.
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self._cancel)


def submit_asyncio(
    loop: asyncio.AbstractEventLoop, fn: Callable[..., Any], args: Any, done: _Done
) -> AsyncioHandle:
    """Run ``fn(*args)`` as a task of ``loop`` (called from a Rust thread)."""
    handle = AsyncioHandle(loop)

    def start() -> None:
        if not handle.cancelled:
            handle.task = loop.create_task(_drive(fn, args, done))

    loop.call_soon_threadsafe(start)
    return handle


class TrioHandle:
    """Cancels a coroutine submitted to a trio run, from any thread."""

    __slots__ = ("cancelled", "scope", "token")

    def __init__(self, token: Any) -> None:
        self.token = token
        self.scope: Any = None
        self.cancelled = False

    def _cancel(self) -> None:
        self.cancelled = True
        if self.scope is not None:
            self.scope.cancel()

    def cancel(self) -> None:
        import trio

        with contextlib.suppress(trio.RunFinishedError):
            self.token.run_sync_soon(self._cancel)


_ASYNCIO_ONLY: list[PrivateLoop] = []


def _asyncio_only(store: Any) -> bool:
    """obstore's coroutines are asyncio futures (pyo3-async-runtimes): trio cannot await them."""
    return (type(store).__module__ or "").startswith("obstore")


def submit_trio(token: Any, fn: Callable[..., Any], args: Any, done: _Done) -> Any:
    """Run ``fn(*args)`` as a system task of the trio run behind ``token`` (or, for a store
    whose coroutines need asyncio, on a private asyncio loop)."""
    import trio

    if _asyncio_only(args[0]):
        if not _ASYNCIO_ONLY:
            _ASYNCIO_ONLY.append(PrivateLoop())
        return _ASYNCIO_ONLY[0].submit(fn, args, done)

    handle = TrioHandle(token)

    async def drive() -> None:
        with trio.CancelScope() as scope:
            handle.scope = scope
            if handle.cancelled:
                scope.cancel()
            try:
                result = await fn(*args)
            except trio.Cancelled:
                raise
            except BaseException as error:
                done(None, error)
            else:
                done(result, None)

    def start() -> None:
        if not handle.cancelled:
            trio.lowlevel.spawn_system_task(drive)

    token.run_sync_soon(start)
    return handle


def _serve(loop: asyncio.AbstractEventLoop, started: threading.Event) -> None:
    # A blocking zarrbridge call from this thread would wait for this very loop: refuse it.
    _native.mark_store_loop_thread()
    asyncio.set_event_loop(loop)
    loop.call_soon(started.set)
    try:
        loop.run_forever()
    finally:
        loop.close()


class PrivateLoop:
    """An asyncio loop on a daemon thread of its own: where a blocking call (no caller loop)
    runs an async store's coroutines. Made by the Rust adapter on first need, one per adapter;
    the thread ends when the adapter (the only holder of this object) is dropped."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        started = threading.Event()
        # The thread holds the loop, not this object, so dropping this object stops it.
        threading.Thread(
            target=_serve, args=(self.loop, started), name="zarrbridge-store-loop", daemon=True
        ).start()
        started.wait()
        weakref.finalize(self, _stop, self.loop)

    def submit(self, fn: Callable[..., Any], args: Any, done: _Done) -> AsyncioHandle:
        return submit_asyncio(self.loop, fn, args, done)


def _stop(loop: asyncio.AbstractEventLoop) -> None:
    with contextlib.suppress(RuntimeError):  # already closed
        loop.call_soon_threadsafe(loop.stop)
