"""No ``PanicException`` leaves the extension (it is a ``BaseException``: ``except Exception``
misses it, and a panic in a spawned task left an async caller waiting for good).

The panics found are fixed where they start, and each repro here raises a typed error: a
malformed S3 endpoint (object_store's signer unwrapped it), a Python store whose ``get_ranges``
returns fewer or more buffers than ranges (zarrs indexed them). The last line, turning any other
panic into ``InternalError``, is ``zarrbridge_core::panics`` (its Rust tests panic on purpose;
no panic switch ships in the wheel) and ``zarrbridge._entry`` for synchronous native code.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
import zarrbridge as zb
from pystores import AsyncDictStore, DictStore
from zarrbridge import _entry
from zarrbridge import sync as zbs
from zarrbridge.errors import (
    InternalError,
    InvalidOptionError,
    StoreError,
    UnsupportedError,
    ZarrBridgeError,
)
from zarrbridge.store import python_store

BAD_ENDPOINTS = ["ht!tp://x", "http://exa mple:9", ""]
CREDENTIALS = {"access_key_id": "AK", "secret_access_key": "SK", "region": "us-east-1"}


def s3(endpoint: str) -> zb.Store:
    return zb.Store.from_url(
        "s3://bucket/p",
        config={**CREDENTIALS, "endpoint": endpoint},
        client_options={"allow_http": True},
    )


@pytest.mark.parametrize("endpoint", BAD_ENDPOINTS)
def test_a_malformed_s3_endpoint_is_an_invalid_option_before_any_request(endpoint: str) -> None:
    with pytest.raises(InvalidOptionError, match="endpoint"):
        zbs.open_group(s3(endpoint), "")
    # obstore's builder (compiled in) takes it; handing it to zarrbridge refuses it.
    builder = zb.store.S3Store("bucket", endpoint=endpoint, **CREDENTIALS)
    with pytest.raises(InvalidOptionError, match="endpoint"):
        zbs.open_group(builder, "")


@pytest.mark.anyio
@pytest.mark.parametrize("endpoint", BAD_ENDPOINTS)
async def test_a_malformed_s3_endpoint_reaches_an_async_caller_typed(endpoint: str) -> None:
    with pytest.raises(InvalidOptionError):
        await zb.open_group(s3(endpoint), "")


def test_a_malformed_endpoint_from_the_environment_is_refused_too() -> None:
    code = (
        "import zarrbridge as zb, zarrbridge.sync as zbs\n"
        "from zarrbridge.errors import InvalidOptionError\n"
        "try:\n"
        "    s = zb.Store.from_url('s3://bucket/p', config={'access_key_id': 'AK', "
        "'secret_access_key': 'SK', 'region': 'us-east-1'})\n"
        "    zbs.open_group(s, '')\n"
        "except InvalidOptionError as e:\n    print('typed', 'aws_endpoint' in str(e))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "AWS_ENDPOINT": "ht!tp://x"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.stdout.strip() == "typed True", proc.stdout + proc.stderr
    assert "panicked" not in proc.stderr


class ShortRanges(DictStore):
    """``get_ranges`` drops its last buffer (or, with ``extra``, adds one)."""

    extra = False

    def get_ranges(self, path: str, **kwargs: Any) -> list[bytes]:
        parts = super().get_ranges(path, **kwargs)
        return [*parts, b"x"] if self.extra else parts[:-1]


@pytest.mark.parametrize("extra", [False, True], ids=["fewer", "more"])
@pytest.mark.parametrize("family", ["sync", "async"])
def test_get_ranges_with_the_wrong_number_of_buffers_is_a_store_error(
    extra: bool, family: str
) -> None:
    inner = ShortRanges()
    inner.extra = extra
    if family == "sync":
        store = python_store(inner)
    else:
        outer = AsyncDictStore()
        outer.sync = inner
        store = python_store(outer)
    arr = zbs.create_array(store, "a", shape=(16,), chunks=(4,), shards=(16,), dtype="int32")
    zbs.write_region(arr, ..., np.arange(16, dtype="int32"))
    before = dict(inner.data)
    with pytest.raises(StoreError, match=r"get_ranges\(\) returned \d+ buffers for \d+ ranges"):
        zbs.read_region(arr, slice(0, 2))
    assert inner.data == before


def test_internal_error_is_a_zarrbridge_error_and_a_runtime_error() -> None:
    assert issubclass(InternalError, ZarrBridgeError)
    assert issubclass(InternalError, RuntimeError)


def test_the_entry_guard_types_a_panic_of_synchronous_native_code() -> None:
    # pyo3 raises its PanicException, class ``pyo3_runtime.PanicException``; none can be made
    # on purpose from the shipped extension, so a class of the same module and name stands in.
    panic = type("PanicException", (BaseException,), {"__module__": "pyo3_runtime"})

    def native() -> None:
        raise panic("index out of bounds")

    with pytest.raises(InternalError, match="index out of bounds") as info:
        _entry.call(native, ())
    assert isinstance(info.value.__cause__, panic)
    with pytest.raises(KeyboardInterrupt):  # other BaseExceptions pass untouched
        _entry.call(lambda: (_ for _ in ()).throw(KeyboardInterrupt()), ())


ARRAY = {
    "zarr_format": 3,
    "node_type": "array",
    "shape": [4],
    "data_type": "int8",
    "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [4]}},
    "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
    "fill_value": 0,
    "codecs": [{"name": "bytes"}],
}


def test_unknown_fields_are_refused_unless_must_understand_is_false(tmp_path: Any) -> None:
    import json

    import zarr

    store = zb.Store.from_url(str(tmp_path))
    with pytest.raises(UnsupportedError, match='"ext"'):
        zbs.create_array(store, "a", metadata={**ARRAY, "ext": {"x": 1}})
    assert not (tmp_path / "a").exists()
    ok = zbs.create_array(store, "b", metadata={**ARRAY, "ext": {"x": 1, "must_understand": False}})
    zbs.write_region(ok, ..., np.arange(4, dtype="int8"))
    # zarr-python reads what was accepted.
    assert zarr.open_array(str(tmp_path / "b"), mode="r")[:].tolist() == [0, 1, 2, 3]
    # Planted by another writer: refused on open, arrays and groups alike.
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "zarr.json").write_text(json.dumps({**ARRAY, "ext": 1}))
    with pytest.raises(UnsupportedError, match='"ext"'):
        zbs.open_array(store, "c")
    (tmp_path / "g").mkdir()
    group = {"zarr_format": 3, "node_type": "group", "attributes": {}}
    (tmp_path / "g" / "zarr.json").write_text(json.dumps({**group, "ext": [1]}))
    with pytest.raises(UnsupportedError, match='"ext"'):
        zbs.open_group(store, "g")
    (tmp_path / "h").mkdir()
    (tmp_path / "h" / "zarr.json").write_text(
        json.dumps({**group, "ext": {"must_understand": False}})
    )
    assert zbs.open_group(store, "h").path == "h"
    # Listing the root still shows every child (one it cannot use never hides the others).
    names = sorted(c.name for c in zbs.list_children(store, use_consolidated=False))
    assert names == ["b", "c", "g", "h"]


def test_a_sharding_inner_chunk_that_does_not_divide_the_shard_is_refused(tmp_path: Any) -> None:
    store = zb.Store.from_url(str(tmp_path))
    sharded = {
        **ARRAY,
        "shape": [16],
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [16]}},
        "codecs": [
            {
                "name": "sharding_indexed",
                "configuration": {
                    "chunk_shape": [5],
                    "codecs": [{"name": "bytes"}],
                    "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
                },
            }
        ],
    }
    with pytest.raises(zb.errors.MetadataError, match=r"\[5\] does not divide the shard shape"):
        zbs.create_array(store, "s", metadata=sharded)
    assert list(tmp_path.iterdir()) == []
