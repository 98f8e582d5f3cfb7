"""Errors keep their causes: each zarrbridge exception is chained (``__cause__``) from the
error that led to it (an ``OSError`` of the right subclass, the JSON parser's or zarrs' own
error), and a Python store's exception is raised again as the very object the store raised."""

from __future__ import annotations

from pathlib import Path

import pytest
import zarrbridge as zb
from pystores import AsyncDictStore, DictStore
from zarrbridge import sync as zbs
from zarrbridge.errors import CodecError, MetadataError, StoreError
from zarrbridge.store import as_store


def test_a_store_root_that_is_a_file_raises_store_error_caused_by_the_os_error(
    tmp_path: Path,
) -> None:
    blocker = tmp_path / "file"
    blocker.write_bytes(b"not a directory")
    with pytest.raises(StoreError) as info:
        zb.Store.from_url(str(blocker / "store"))
    cause = info.value.__cause__
    assert isinstance(cause, OSError), f"cause {cause!r} should be the OSError"
    assert isinstance(cause, NotADirectoryError), f"cause {cause!r} keeps its errno kind"
    assert str(blocker) in str(info.value), f"message should name the root: {info.value}"


def test_unparseable_metadata_raises_metadata_error_caused_by_the_parser_error(
    tmp_path: Path,
) -> None:
    (tmp_path / "n").mkdir()
    (tmp_path / "n" / "zarr.json").write_bytes(b"{not json")
    with pytest.raises(MetadataError) as info:
        zbs.read_metadata(str(tmp_path), "n")
    cause = info.value.__cause__
    assert type(cause).__name__ == "RustError", f"cause {cause!r} should be the parser's error"
    assert "key must be a string" in str(cause), f"parser message lost: {cause}"


def test_a_corrupt_chunk_raises_codec_error_caused_by_the_codec_error(tmp_path: Path) -> None:
    arr = zbs.create_array(
        str(tmp_path), "a", shape=(4,), chunks=(4,), dtype="int32", compressors=[{"id": "gzip"}]
    )
    zbs.write_region(arr, ..., [1, 2, 3, 4])
    (tmp_path / "a" / "c" / "0").write_bytes(b"garbage, not gzip")
    with pytest.raises(CodecError) as info:
        zbs.read_region(arr)
    assert info.value.__cause__ is not None, "the codec's own error should be the cause"
    assert str(info.value.__cause__) in str(info.value)


class Boom(Exception):
    pass


class FailingStore(DictStore):
    def __init__(self, error: BaseException) -> None:
        super().__init__()
        self.error = error

    def _value(self, path: str) -> bytes:
        if "/c/" in path:
            raise self.error
        return super()._value(path)


class AsyncFailingStore(AsyncDictStore):
    def __init__(self, error: BaseException) -> None:
        super().__init__()
        self.sync = FailingStore(error)


@pytest.mark.parametrize("store_cls", [FailingStore, AsyncFailingStore])
def test_a_python_store_exception_is_raised_as_the_same_object(store_cls: type) -> None:
    raised = Boom("the very object")
    store = as_store(store_cls(raised))
    arr = zbs.create_array(store, "a", shape=(4,), dtype="int8", chunks=(2,))
    with pytest.raises(Boom) as info:
        zbs.read_chunk(arr, (0,))
    assert info.value is raised, "the store's exception should be raised again, not a copy"
    assert isinstance(info.value.__cause__, StoreError)
    assert "Boom: the very object" in str(info.value.__cause__)


def test_many_python_store_failures_each_raise_their_own_exception() -> None:
    """Nothing is kept in a table between the failure and the raise: 600 failures (more than
    any table size) each come back as their own object."""
    store_obj = FailingStore(Boom("first"))
    store = as_store(store_obj)
    arr = zbs.create_array(store, "a", shape=(4,), dtype="int8", chunks=(2,))
    for i in range(600):
        store_obj.error = Boom(f"failure {i}")
        with pytest.raises(Boom) as info:
            zbs.read_chunk(arr, (i % 2,))
        assert info.value is store_obj.error
