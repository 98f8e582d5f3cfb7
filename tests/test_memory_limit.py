"""No allocation larger than the request needs or the memory limit allows is ever attempted.

Requests for more memory than the limit (physical memory by default) raise ``ResourceError``,
which is also a ``MemoryError``, before anything is allocated or written; they once aborted the
interpreter ("memory allocation of 1099511627776 bytes failed"). The repros run in a child
process, so that a regression fails the test instead of killing the test run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import zarrbridge as zb
from zarrbridge import sync as zbs
from zarrbridge.errors import ResourceError

TIB = 1 << 40
ZSTD = {"name": "zstd", "configuration": {"level": 1, "checksum": False}}
GZIP = {"name": "gzip", "configuration": {"level": 1}}  # runs on zarrs' codec path


def run_child(code: str, env: dict[str, str] | None = None) -> str:
    child = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )
    assert child.returncode == 0, f"the child died ({child.returncode}): {child.stderr[-3000:]}"
    return child.stdout


HUGE_REPROS = """
    import numpy as np
    from zarrbridge import sync as zbs
    from zarrbridge.errors import ResourceError

    def refused(call):
        try:
            call()
        except ResourceError as e:
            assert isinstance(e, MemoryError), type(e).__mro__
            assert "memory limit" in str(e), e
            return "refused"
        return "done"

    tib = zbs.create_array("memory://huge-a", "a", shape=(1 << 20, 1 << 20), dtype={dtype},
                           chunks=(1024, 1024), compressors={compressors})
    print("tib-region", refused(lambda: zbs.read_region(tib)))
    print("tib-stepped", refused(lambda: zbs.read_region(tib, (slice(None, None, 2),))))
    huge = zbs.create_array("memory://huge-b", "h", shape=(1 << 31, 1 << 31), dtype={dtype},
                            chunks=(1 << 31, 1 << 31), compressors={compressors})
    print("missing-chunk", refused(lambda: zbs.read_chunk(huge, (0, 0))))
    print("small-write", refused(lambda: zbs.write_region(huge, (slice(0, 2), slice(0, 2)),
                                                         {two_by_two})))
    print("stored", sorted(k["path"] for c in huge.store.list("h") for k in c))
    print("small-read", zbs.read_region(huge, (slice(0, 2), slice(0, 2))).tolist())
"""


def huge_repros(dtype: str, compressors: object, two_by_two: str) -> dict[str, str]:
    """Run the repros in a child, for arrays of ``dtype``; each line's outcome by name."""
    code = (
        HUGE_REPROS.replace("{dtype}", dtype)
        .replace("{compressors}", repr(compressors))
        .replace("{two_by_two}", two_by_two)
    )
    return dict(line.split(" ", 1) for line in run_child(code).splitlines())


@pytest.mark.parametrize("codecs", ["zstd", "gzip"], ids=["own-codec-path", "zarrs-codec-path"])
def test_huge_requests_raise_resource_error_instead_of_aborting(codecs: str) -> None:
    lines = huge_repros('"uint8"', ZSTD if codecs == "zstd" else GZIP, 'np.ones((2, 2), "uint8")')
    assert lines == {
        "tib-region": "refused",  # 1 TiB result
        "tib-stepped": "refused",  # its 1 TiB bounding box
        "missing-chunk": "refused",  # one missing 2**62-byte chunk
        "small-write": "refused",  # a 2x2 write needs the 2**62-byte chunk rebuilt
        "stored": "['h/zarr.json']",  # the refused write wrote nothing
        "small-read": "[[0, 0], [0, 0]]",  # a small read of the missing chunk needs no more
    }


def test_huge_variable_length_requests_raise_resource_error_instead_of_aborting() -> None:
    """Text and bytes arrays allocate an offset per element before their bytes are known (and
    a missing chunk's fill value repeated), through zarrs' codecs always: the same repros on a
    ``string`` array."""
    lines = huge_repros("str", ZSTD, 'np.array([["a", "b"], ["c", "d"]])')
    assert lines == {
        "tib-region": "refused",  # 2**40 elements' offsets
        "tib-stepped": "refused",  # its bounding box
        "missing-chunk": "refused",  # one missing chunk of 2**62 elements
        "small-write": "refused",  # a 2x2 write decodes the whole chunk first
        "stored": "['h/zarr.json']",  # the refused write wrote nothing
        "small-read": "[['', ''], ['', '']]",  # a small read of the missing chunk needs no more
    }


@pytest.fixture
def limit() -> Iterator[None]:
    yield
    zb.set_memory_limit(None)


def test_a_small_write_into_a_huge_shard_needs_only_its_inner_chunk(limit: None) -> None:
    """Shards are rebuilt piece by piece on the library's codec path: untouched inner chunks
    keep their stored bytes, so a 4 GiB shard takes a 2x2 write under a 16 MiB limit. zarrs'
    sharding codec (``ZARRBRIDGE_FAST_CODECS=0``) rebuilds the whole shard: the write is
    refused there, and nothing is written."""
    store = f"memory://huge-shard-{uuid.uuid4().hex}"
    a = zbs.create_array(
        store,
        "a",
        shape=(1 << 16, 1 << 16),
        dtype="uint8",
        chunks=(256, 256),
        shards=(1 << 16, 1 << 16),
        compressors=ZSTD,
    )
    zb.set_memory_limit(16 << 20)
    if os.environ.get("ZARRBRIDGE_FAST_CODECS") == "0":
        with pytest.raises(ResourceError, match="shape"):
            zbs.write_region(a, (slice(300, 302), slice(5, 7)), np.full((2, 2), 7, "uint8"))
        assert [m["path"] for c in a.store.list("a") for m in c] == ["a/zarr.json"]
        return
    zbs.write_region(a, (slice(300, 302), slice(5, 7)), np.full((2, 2), 7, "uint8"))
    zbs.write_region(a, (slice(0, 1), slice(0, 3)), np.array([[1, 2, 3]], "uint8"))
    np.testing.assert_array_equal(
        zbs.read_region(a, (slice(299, 303), slice(4, 8))),
        [[0, 0, 0, 0], [0, 7, 7, 0], [0, 7, 7, 0], [0, 0, 0, 0]],
    )
    assert zbs.read_region(a, (0, slice(0, 4))).tolist() == [1, 2, 3, 0]
    with pytest.raises(ResourceError, match="shape"):
        zbs.read_region(a, (slice(0, 4096), slice(None)))  # 256 MiB result


def test_the_limit_is_configurable_and_checked_before_allocating(limit: None) -> None:
    default = zb.memory_limit()
    assert default > 1 << 20
    a = zbs.create_array(
        f"memory://limit-{uuid.uuid4().hex}", "a", shape=(4096, 1024), dtype="uint8"
    )
    assert zb.set_memory_limit(1 << 20) == 1 << 20 == zb.memory_limit()
    with pytest.raises(ResourceError, match="4194304 bytes"):
        zbs.read_region(a)  # 4 MiB
    assert zbs.read_region(a, slice(0, 512)).shape == (512, 1024)  # 512 KiB
    with pytest.raises(MemoryError):
        zbs.read_chunks(a, [(0, 0)])
    assert zb.set_memory_limit(None) == default
    assert zbs.read_region(a).nbytes == 4 << 20
    with pytest.raises(ValueError):
        zb.set_memory_limit(0)
    with pytest.raises(TypeError):
        zb.set_memory_limit("1GB")  # type: ignore[arg-type]


def test_a_file_value_larger_than_the_limit_is_refused_before_reading(
    file_store: zb.Store, store_dir: Path, limit: None
) -> None:
    (store_dir / "big").write_bytes(b"x" * (2 << 20))
    zb.set_memory_limit(1 << 20)
    with pytest.raises(ResourceError, match="big"):
        file_store.get("big")
    assert len(bytes(file_store.get_range("big", start=0, length=1000))) == 1000


def test_the_environment_sets_the_limit_for_a_process() -> None:
    out = run_child(
        """
        import zarrbridge as zb
        from zarrbridge import sync as zbs
        print(zb.memory_limit())
        a = zbs.create_array("memory://env", "a", shape=(2 << 20,), dtype="uint8")
        try:
            zbs.read_region(a)
        except MemoryError as e:
            print(type(e).__name__)
        """,
        env={"ZARRBRIDGE_MEMORY_LIMIT": str(1 << 20)},
    )
    assert out.split() == [str(1 << 20), "ResourceError"]


def test_async_reads_are_refused_too(limit: None) -> None:
    import asyncio

    a = zbs.create_array(f"memory://async-limit-{uuid.uuid4().hex}", "a", shape=(TIB,), dtype="u1")

    async def read() -> None:
        await zb.read_region(a)

    with pytest.raises(ResourceError):
        asyncio.run(read())


def test_huge_orthogonal_and_vectorized_reads_raise_resource_error_instead_of_aborting() -> None:
    """An orthogonal or vectorized read needs its result, and one decoded chunk per compute
    thread: both are checked before they are allocated. (A vectorized result has as many
    elements as the index arrays given, which Python holds already: see the next test.)"""
    out = run_child(
        """
        import numpy as np
        from zarrbridge import sync as zbs
        from zarrbridge.errors import ResourceError

        def refused(call):
            try:
                call()
            except ResourceError as e:
                assert isinstance(e, MemoryError) and "memory limit" in str(e), e
                return "refused"
            return "done"

        tib = zbs.create_array("memory://huge-o", "a", shape=(1 << 20, 1 << 20), dtype="uint8",
                               chunks=(1024, 1024))
        rows = np.arange(0, 1 << 20, 2)
        print("oindex-result", refused(lambda: tib.oindex[rows, :]))
        huge = zbs.create_array("memory://huge-p", "h", shape=(1 << 31, 1 << 31), dtype="uint8",
                                chunks=(1 << 31, 1 << 31))
        print("oindex-chunk", refused(lambda: huge.oindex[[0, 5], [1, 2]]))
        print("vindex-chunk", refused(lambda: huge.vindex[[0, 5], [1, 2]]))
        def write():
            huge.oindex[[0, 5], [1, 2]] = 1
        print("oindex-write", refused(write))
        print("stored", sorted(k["path"] for c in huge.store.list("h") for k in c))
        """
    )
    assert dict(line.split(" ", 1) for line in out.splitlines()) == {
        "oindex-result": "refused",  # 512 GiB result
        "oindex-chunk": "refused",  # 4 elements, but the missing chunk decodes whole: 4 EiB
        "vindex-chunk": "refused",
        "oindex-write": "refused",  # the chunk is rebuilt whole
        "stored": "['h/zarr.json']",  # the refused write wrote nothing
    }


def test_new_verbs_check_their_buffers_against_the_limit(limit: None) -> None:
    """Under a 1 MiB limit: a 4 MiB oindex result, a 4 MiB chunk an element of which is read
    or written through oindex/vindex, and growing into a 4 MiB edge chunk, are refused, and
    the refused writes change nothing; small selections of small chunks still work."""
    store = zb.Store.from_url(f"memory://limit-verbs-{uuid.uuid4().hex}")
    small = zbs.create_array(store, "s", shape=(4096, 1024), dtype="uint8", chunks=(256, 256))
    big = zbs.create_array(store, "b", shape=(4000, 1024), dtype="uint8", chunks=(4096, 1024))
    zb.set_memory_limit(1 << 20)
    with pytest.raises(ResourceError, match="shape"):
        small.oindex[:, :]
    points = np.arange(2 << 20)
    with pytest.raises(ResourceError, match="shape"):
        small.vindex[points % 4096, points % 1024]  # 2 MiB result
    small.oindex[[1, 4000], [3, 1000]] = 7
    assert small.vindex[[1, 4000, 2], [3, 1000, 3]].tolist() == [7, 7, 0]
    with pytest.raises(ResourceError):
        big.oindex[[1], [2]]
    with pytest.raises(ResourceError):
        big.vindex[[1], [2]] = 3
    with pytest.raises(ResourceError):
        zbs.resize(big, (4090, 1024))  # rows 4000-4089 of the 4 MiB chunk reset to the fill
    assert zbs.open_array(store, "b").shape == (4000, 1024)  # the refused resize changed nothing
    assert [m["path"] for c in store.list("b") for m in c] == ["b/zarr.json"]
