"""Bad inputs, one call each, that must raise a typed error from ``zarrbridge.errors`` and leave
the store as it was. Used by ``tests/test_hostile_inputs.py`` (each case a test) and by
``scripts/hostile_census.py`` (the counts for the docs: tried, typed, panics, escapes, hangs,
secrets shown).

A case is a function taking a fresh :class:`Env` and making the bad call; ``Env.snapshot()``
before and after proves the store unchanged. Option values carry :data:`SECRET`, which no
message may show.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import zarrbridge as zb
from pystores import AsyncDictStore, DictStore
from zarrbridge import errors
from zarrbridge import sync as zbs
from zarrbridge.store import as_store

SECRET = "SECRETVALUE17"

__all__ = ["CASES", "SECRET", "Case", "Env"]


@dataclass
class Env:
    """A memory store holding one plain array ``a``, one sharded array ``s`` and one group
    ``g``; a Python store over :attr:`data`."""

    name: str
    store: zb.Store = field(init=False)

    def __post_init__(self) -> None:
        self.store = as_store(f"memory://hostile-{self.name}")
        self.plain = zbs.create_array(
            self.store,
            "a",
            shape=(8, 8),
            chunks=(4, 4),
            dtype="int32",
            compressors=[{"name": "zstd", "configuration": {"level": 1, "checksum": False}}],
        )
        zbs.write_region(self.plain, ..., np.arange(64, dtype="int32").reshape(8, 8))
        self.sharded = zbs.create_array(
            self.store, "s", shape=(8, 8), chunks=(2, 2), shards=(4, 4), dtype="int32"
        )
        zbs.write_region(self.sharded, ..., np.arange(64, dtype="int32").reshape(8, 8))
        zbs.create_group(self.store, "g")

    def snapshot(self) -> dict[str, bytes]:
        return {m["path"]: bytes(self.store.get(m["path"]).buffer()) for m in _all(self.store)}

    def corrupt(self, key: str, change: Callable[[bytes], bytes]) -> None:
        self.store.put(key, change(bytes(self.store.get(key).buffer())))


def _all(store: zb.Store) -> Iterator[Any]:
    for batch in store.list():
        yield from batch


@dataclass(frozen=True)
class Case:
    group: str
    name: str
    call: Callable[[Env], Any]
    expect: type[errors.ZarrBridgeError] = errors.ZarrBridgeError
    message: str = ""  # text the message must contain (a method name, a field)
    prepare: Callable[[Env], Any] | None = None  # plants the damage, before the snapshot


CASES: list[Case] = []


def case(
    group: str,
    name: str,
    expect: Any = errors.ZarrBridgeError,
    message: str = "",
    prepare: Callable[[Env], Any] | None = None,
) -> Any:
    def add(call: Callable[[Env], Any]) -> Callable[[Env], Any]:
        CASES.append(Case(group, name, call, expect, message, prepare))
        return call

    return add


# --- store options: malformed endpoints and header values (panicked in object_store) ---------

_S3 = {"access_key_id": "AK", "secret_access_key": SECRET, "region": "us-east-1"}
for _name, _config in {
    "endpoint ht!tp://x": {"endpoint": "ht!tp://x" + SECRET},
    "endpoint with a space in the host": {"endpoint": f"http://exa mple:9/{SECRET}"},
    "empty endpoint": {"endpoint": ""},
    "endpoint without a host": {"endpoint": "http://"},
    "endpoint of another scheme": {"endpoint": f"ftp://{SECRET}"},
    "endpoint with a newline": {"endpoint": f"http://x/{SECRET}\n"},
    "session token with a newline": {"session_token": f"{SECRET}\nX-Evil: 1"},
    "region with a control character": {"region": f"eu\x7f{SECRET}"},
    "access key with a newline": {"access_key_id": f"AK\n{SECRET}"},
    "region of the wrong type": {"region": 5},
    "timeout that is not a duration": {"timeout": SECRET},
}.items():

    def _open(env: Env, config: dict[str, Any] = _config) -> Any:
        options = {"allow_http": True}
        if "timeout" in config:
            options["timeout"] = config["timeout"]
            config = {}
        store = zb.Store.from_url("s3://bucket/p", config={**_S3, **config}, client_options=options)
        return zbs.open_group(store, "")

    case("options", _name, errors.InvalidOptionError)(_open)


# --- Python stores returning what obspec does not allow ----------------------------------------


def _bad_store(method: str, result: Any, asynchronous: bool) -> zb.Store:
    base = DictStore()
    base.data["k"] = b"0123456789"
    base.data["d/x"] = b"1"

    class Bad(DictStore):
        pass

    bad = Bad()
    bad.data = base.data

    def replaced(*args: Any, **kwargs: Any) -> Any:
        if method in ("list",):
            return iter([result])
        return result

    setattr(bad, method, replaced)
    if not asynchronous:
        return zb.store.python_store(bad)
    wrapper = AsyncDictStore()
    wrapper.sync = bad
    return zb.store.python_store(wrapper)


class _NoBuffer:
    pass


class _IntBuffer:
    def buffer(self) -> Any:
        return 5

    async def buffer_async(self) -> Any:
        return 5


_MALFORMED: dict[str, tuple[str, Any, Callable[[zb.Store], Any]]] = {
    "head returns None": ("head", None, lambda s: s.head("k")),
    "head returns a dict without size": ("head", {"path": "k"}, lambda s: s.head("k")),
    "head returns a text size": ("head", {"path": "k", "size": "ten"}, lambda s: s.head("k")),
    "head returns a negative size": ("head", {"path": "k", "size": -1}, lambda s: s.head("k")),
    "get returns None": ("get", None, lambda s: s.get("k").buffer()),
    "get returns no buffer": ("get", _NoBuffer(), lambda s: s.get("k").buffer()),
    "get's buffer is an int": ("get", _IntBuffer(), lambda s: s.get("k").buffer()),
    "get_ranges returns None": (
        "get_ranges",
        None,
        lambda s: s.get_ranges("k", starts=[0, 2], ends=[1, 4]),
    ),
    "get_ranges returns fewer buffers": (
        "get_ranges",
        [b"0"],
        lambda s: s.get_ranges("k", starts=[0, 2], ends=[1, 4]),
    ),
    "get_ranges returns more buffers": (
        "get_ranges",
        [b"0", b"23", b"x"],
        lambda s: s.get_ranges("k", starts=[0, 2], ends=[1, 4]),
    ),
    "get_ranges returns an oversized buffer": (
        "get_ranges",
        [b"0", b"23456"],
        lambda s: s.get_ranges("k", starts=[0, 2], ends=[1, 4]),
    ),
    "get_ranges returns ints": (
        "get_ranges",
        [1, 2],
        lambda s: s.get_ranges("k", starts=[0, 2], ends=[1, 4]),
    ),
    "list yields a non-list": ("list", 5, lambda s: list(s.list())),
    "list yields a meta with an int path": (
        "list",
        [{"path": 5, "size": 1}],
        lambda s: list(s.list()),
    ),
    "list_with_delimiter returns None": (
        "list_with_delimiter",
        None,
        lambda s: s.list_with_delimiter(),
    ),
    "list_with_delimiter returns int prefixes": (
        "list_with_delimiter",
        {"common_prefixes": [1], "objects": []},
        lambda s: s.list_with_delimiter(),
    ),
}

for _name, (_method, _result, _call) in _MALFORMED.items():
    for _asynchronous in (False, True):
        _async_method = _method + "_async" if _asynchronous else _method

        def _run(
            env: Env,
            method: str = _method,
            result: Any = _result,
            call: Callable[[zb.Store], Any] = _call,
            asynchronous: bool = _asynchronous,
        ) -> Any:
            return call(_bad_store(method, result, asynchronous))

        case(
            "python store results",
            f"{_name} ({'async' if _asynchronous else 'sync'} store)",
            errors.StoreError,
            message=_method,
        )(_run)


# --- hostile metadata documents ---------------------------------------------------------------

_GOOD = {
    "zarr_format": 3,
    "node_type": "array",
    "shape": [8],
    "data_type": "int32",
    "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [4]}},
    "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
    "fill_value": 0,
    "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
}


def _nested(depth: int) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


_HOSTILE: dict[str, dict[str, Any]] = {
    "shape past 2**64": {"shape": [2**64]},
    "negative shape": {"shape": [-8]},
    "shape of text": {"shape": ["8"]},
    "shape not a list": {"shape": 8},
    "zero chunk": {"chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [0]}}},
    "chunk of the wrong rank": {
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [4, 4]}}
    },
    "data type of the wrong type": {"data_type": 5},
    "unknown data type": {"data_type": "int33"},
    "codecs not a list": {"codecs": {"name": "bytes"}},
    "no array-to-bytes codec": {"codecs": []},
    "fill value of the wrong type": {"fill_value": "zero"},
    "fill value out of range": {"fill_value": 2**40},
    "zarr_format 4": {"zarr_format": 4},
    "node_type other": {"node_type": "table"},
    "deeply nested attribute": {"attributes": {"x": _nested(100_000)}},
    "deeply nested unknown field": {"extra": _nested(100_000)},
    "unknown field": {"foo": {"x": 1}},
    "unknown field marked must_understand": {"foo": {"must_understand": True}},
    "sharding inner chunk not dividing the shard": {
        "codecs": [
            {
                "name": "sharding_indexed",
                "configuration": {
                    "chunk_shape": [3],
                    "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
                    "index_codecs": [
                        {"name": "bytes", "configuration": {"endian": "little"}},
                        {"name": "crc32c"},
                    ],
                },
            }
        ]
    },
}

for _name, _change in _HOSTILE.items():

    def _create(env: Env, change: dict[str, Any] = _change) -> Any:
        return zbs.create_array(env.store, "new", metadata={**_GOOD, **change})

    def _overwrite(env: Env, change: dict[str, Any] = _change) -> Any:
        return zbs.create_array(env.store, "a", metadata={**_GOOD, **change}, overwrite=True)

    def _plant(env: Env, change: dict[str, Any] = _change) -> None:
        # Planted behind the library's back, as another writer might.
        try:
            text = json.dumps({**_GOOD, **change})
        except (ValueError, RecursionError):
            text = "[" * 100_000
        env.store.put("planted/zarr.json", text.encode())

    def _open(env: Env) -> Any:
        return zbs.read_region(zbs.open_array(env.store, "planted"), ...)

    # A Python int past 64 bits is no JSON value: a TypeError for the argument, by contract.
    if _name != "shape past 2**64":
        case("hostile metadata: create", _name)(_create)
        case("hostile metadata: create over an array", _name)(_overwrite)
    if _name != "sharding inner chunk not dividing the shard":
        case("hostile metadata: open", _name, prepare=_plant)(_open)

for _name, _text in {
    "not JSON": b"{not json",
    "empty": b"",
    "a JSON list": b"[1, 2]",
    "NUL bytes": b"\x00" * 64,
    "deeply nested JSON": b"[" * 100_000,
    "invalid UTF-8": b'{"zarr_format": 3, "node_type": "\xff"}',
}.items():

    def _plant_text(env: Env, text: bytes = _text) -> None:
        env.store.put("planted/zarr.json", text)

    case("hostile metadata: open", _name, prepare=_plant_text)(
        lambda env: zbs.open_node(env.store, "planted")
    )


# --- corrupted chunks and shard indexes ---------------------------------------------------------


def _read_plain(env: Env) -> Any:
    return zbs.read_region(env.plain, ...)


def _read_sharded(env: Env) -> Any:
    return zbs.read_region(env.sharded, ...)


for _name, (_key, _change, _read) in {
    "zstd chunk of garbage": ("a/c/0/0", lambda b: b"\x13" * len(b), _read_plain),
    "truncated zstd chunk": ("a/c/0/0", lambda b: b[: len(b) // 2], _read_plain),
    "empty zstd chunk": ("a/c/0/0", lambda b: b"", _read_plain),
    "shard index of garbage": ("s/c/0/0", lambda b: b[:-68] + b"\xff" * 68, _read_sharded),
    "shard index pointing past the end": (
        "s/c/0/0",
        lambda b: b[:-68] + (10**9).to_bytes(8, "little") * 8 + b[-4:],
        _read_sharded,
    ),
    "shard truncated below its index": ("s/c/0/0", lambda b: b[:10], _read_sharded),
    "shard of one byte": ("s/c/0/0", lambda b: b"x", _read_sharded),
}.items():

    def _corrupt(env: Env, key: str = _key, change: Callable[[bytes], bytes] = _change) -> None:
        env.corrupt(key, change)

    case("corrupted data", _name, prepare=_corrupt)(_read)


# --- paths, regions, selections -----------------------------------------------------------------

for _name, _call in {
    "lone surrogate in create_group": lambda env: zbs.create_group(env.store, "x\udc80"),
    "lone surrogate in open_array": lambda env: zbs.open_array(env.store, "a\ud800"),
    "lone surrogate in delete_node": lambda env: zbs.delete_node(env.store, "\udfff"),
    "lone surrogate in a store key": lambda env: env.store.get("k\udc80"),
    "lone surrogate in a URL": lambda env: zbs.open_group("memory://x\udc80", ""),
    "index out of bounds": lambda env: zbs.read_region(env.plain, (8, 0)),
    "zero step": lambda env: zbs.read_region(env.plain, (slice(None, None, 0),)),
    "region of the wrong rank": lambda env: zbs.read_region(env.plain, (0, 0, 0)),
    "chunk outside the grid": lambda env: zbs.read_chunk(env.plain, (2, 0)),
    "chunk of the wrong rank": lambda env: zbs.read_chunk(env.plain, (0,)),
    "write of the wrong shape": lambda env: zbs.write_region(env.plain, ..., np.zeros(3)),
    "path escaping with ..": lambda env: zbs.create_group(env.store, "../up"),
}.items():
    case("paths and selections", _name)(_call)


for _name, (_shape, _chunks) in {
    "a 2**80-byte region": ((2**40, 2**40), (1, 1)),
    "a 1 TiB region": ((2**40,), (2**20,)),
    "one missing 2**62-byte chunk": ((2**62,), (2**62,)),
}.items():

    def _huge(env: Env, shape: Any = _shape, chunks: Any = _chunks) -> None:
        zbs.create_array(env.store, "huge", shape=shape, chunks=chunks, dtype="u1")

    case("paths and selections", _name, errors.ResourceError, prepare=_huge)(
        lambda env: zbs.read_region(zbs.open_array(env.store, "huge"), ...)
    )
