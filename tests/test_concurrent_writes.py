"""Concurrent partial writes into one chunk or shard compose, within a process, as if applied one
after another: nothing is lost, whoever writes (asyncio tasks, threads, both) through whichever
API (write_region, write_chunk(s), Array methods, sync and async).

The issue's repro: 16 writers each set one row of a 16x1024 int32 array stored as one chunk,
all at once, 20 trials. Each writer reads the chunk, changes its row and writes the chunk back,
so without a per-chunk lock the last one wins (219 of 320 rows were lost). tensorstore loses
none (its cache merges writes to a chunk); zarr-python loses them too.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarrbridge as zb
from zarrbridge import sync as zbs

ROWS, COLS, TRIALS = 16, 1024, 20
ZSTD = {"name": "zstd", "configuration": {"level": 1, "checksum": False}}
GZIP = {"name": "gzip", "configuration": {"level": 1}}  # zarrs' codec path


def row(i: int) -> np.ndarray[Any, Any]:
    return np.full((1, COLS), i + 1, dtype="int32")


def one_chunk_array(kind: str, tmp_path: Path, trial: int, **kwargs: Any) -> zb.Array:
    store = f"memory://concurrent-{uuid.uuid4().hex}" if kind == "memory" else str(tmp_path / "s")
    return zbs.create_array(
        store,
        f"t{trial}",
        shape=(ROWS, COLS),
        dtype=kwargs.pop("dtype", "int32"),
        chunks=kwargs.pop("chunks", (ROWS, COLS)),
        **kwargs,
    )


def rows_lost(array: zb.Array) -> int:
    back = zbs.read_region(array)
    return sum(int(not (back[i] == i + 1).all()) for i in range(ROWS))


def async_writers(array: zb.Array) -> None:
    async def main() -> None:
        writes = [
            zb.write_region(array, (slice(i, i + 1), slice(None)), row(i)) for i in range(ROWS)
        ]
        await asyncio.gather(*writes)

    asyncio.run(main())


def in_threads(write: Callable[[int], None]) -> None:
    """``write(i)`` for every row, each from its own thread, started together."""
    start = threading.Barrier(ROWS)

    def run(i: int) -> None:
        start.wait()
        write(i)

    with ThreadPoolExecutor(ROWS) as pool:
        list(pool.map(run, range(ROWS)))


def thread_writers(array: zb.Array) -> None:
    in_threads(lambda i: zbs.write_region(array, (slice(i, i + 1), slice(None)), row(i)))


def mixed_writers(array: zb.Array) -> None:
    """Half the rows from asyncio tasks, half from threads, through the Array methods and the
    functions, at the same time."""
    start = threading.Barrier(ROWS // 2 + 1)

    def write(i: int) -> None:
        start.wait()
        array[i : i + 1, :] = row(i)  # Array.__setitem__: the blocking write

    async def main() -> None:
        with ThreadPoolExecutor(ROWS // 2) as pool:
            loop = asyncio.get_running_loop()
            threads = [loop.run_in_executor(pool, write, i) for i in range(0, ROWS, 2)]
            await loop.run_in_executor(None, start.wait)
            tasks = [
                array.write_region((slice(i, i + 1), slice(None)), row(i))
                for i in range(1, ROWS, 2)
            ]
            await asyncio.gather(*threads, *tasks)

    asyncio.run(main())


WRITERS: dict[str, Callable[[zb.Array], None]] = {
    "asyncio-gather": async_writers,
    "16-threads": thread_writers,
    "threads-and-tasks": mixed_writers,
}


@pytest.mark.parametrize("writers", sorted(WRITERS))
@pytest.mark.parametrize("kind", ["memory", "file"])
def test_concurrent_row_writes_into_one_chunk_lose_no_row(
    writers: str, kind: str, tmp_path: Path
) -> None:
    lost = 0
    for trial in range(TRIALS):
        array = one_chunk_array(kind, tmp_path, trial, compressors=ZSTD)
        WRITERS[writers](array)
        lost += rows_lost(array)
    assert lost == 0, f"{lost} of {ROWS * TRIALS} rows lost ({writers}, {kind} store)"


@pytest.mark.parametrize(
    "layout",
    [
        {"compressors": GZIP},  # zarrs runs the codecs
        {"chunks": (ROWS, 256), "shards": (ROWS, COLS), "compressors": ZSTD},  # one shard
        {"chunks": (4, COLS), "shards": (ROWS, COLS), "compressors": GZIP},
    ],
    ids=["zarrs-codecs", "shard-own-codecs", "shard-zarrs-codecs"],
)
def test_concurrent_row_writes_compose_for_every_layout(
    layout: dict[str, Any], tmp_path: Path
) -> None:
    lost = 0
    for trial in range(TRIALS // 2):
        array = one_chunk_array("file", tmp_path, trial, **dict(layout))
        (async_writers if trial % 2 else thread_writers)(array)
        lost += rows_lost(array)
    assert lost == 0, f"{lost} rows lost with {layout}"


def test_stepped_and_chunk_writes_compose_with_row_writes(tmp_path: Path) -> None:
    """Stepped writes (every other column of a row), whole-chunk writes and row writes, all
    at once: the result is one some order of them one after another would give."""
    for trial in range(TRIALS // 2):
        array = one_chunk_array("file", tmp_path, trial, compressors=ZSTD)

        async def main(array: zb.Array = array) -> None:
            whole = np.full((ROWS, COLS), 100, dtype="int32")
            writes = [zb.write_chunk(array, (0, 0), whole)]
            for i in range(8):  # rows 0-7: every column
                writes.append(zb.write_region(array, (slice(i, i + 1), slice(None)), row(i)))
            for i in range(8, 12):  # rows 8-11: even columns only
                writes.append(
                    zb.write_region(array, (i, slice(None, None, 2)), np.full(COLS // 2, i + 1))
                )
            await asyncio.gather(*writes)

        asyncio.run(main())
        back = zbs.read_region(array)
        for i in range(8):
            assert (back[i] == i + 1).all() or (back[i] == 100).all(), (trial, i, back[i][:4])
        for i in range(8, 12):
            # Odd columns are the whole write's; even ones this row's or, if the whole write
            # came later, the whole write's.
            assert (back[i, 1::2] == 100).all(), (trial, i, back[i][:4])
            assert (back[i, ::2] == i + 1).all() or (back[i, ::2] == 100).all(), (trial, i)
        assert (back[12:] == 100).all(), f"trial {trial}: the whole-chunk write was lost"


def test_writes_to_different_chunks_do_not_wait_for_each_other(tmp_path: Path) -> None:
    """A writer holding one chunk's lock (a slow read-modify-write) does not hold up writes to
    other chunks: they finish while it is still going."""
    array = zbs.create_array(
        str(tmp_path / "s"),
        "a",
        shape=(64, 4096),
        dtype="int32",
        chunks=(1, 4096),
        compressors=GZIP,
    )

    async def main() -> None:
        others = [
            zb.write_region(array, (slice(i, i + 1), slice(0, 10)), np.ones((1, 10), "int32"))
            for i in range(1, 64)
        ]
        await asyncio.wait_for(asyncio.gather(*others), 30)

    asyncio.run(main())
    assert zbs.read_region(array, (slice(1, 64), slice(0, 10))).sum() == 63 * 10


TEXT = np.dtypes.StringDType()


def text_row(i: int, columns: slice = slice(None)) -> np.ndarray[Any, Any]:
    """Row ``i`` of text, its elements of differing lengths (so a lost update also shifts
    every later element's offset)."""
    return np.array([f"row {i}: " + "x" * ((i + j) % 7) for j in range(COLS)], dtype=TEXT)[columns]


TextWrite = tuple[int, slice]


def text_async_writers(array: zb.Array, writes: list[TextWrite]) -> None:
    async def main() -> None:
        await asyncio.gather(
            *(zb.write_region(array, (i, cols), text_row(i, cols)) for i, cols in writes)
        )

    asyncio.run(main())


def text_thread_writers(array: zb.Array, writes: list[TextWrite]) -> None:
    start = threading.Barrier(len(writes))

    def write(job: TextWrite) -> None:
        i, cols = job
        start.wait()
        zbs.write_region(array, (i, cols), text_row(i, cols))

    with ThreadPoolExecutor(len(writes)) as pool:
        list(pool.map(write, writes))


@pytest.mark.parametrize("writers", ["asyncio-gather", "16-threads"])
@pytest.mark.parametrize("kind", ["memory", "file"])
def test_concurrent_text_row_writes_into_one_chunk_lose_no_row(
    writers: str, kind: str, tmp_path: Path
) -> None:
    """Variable-length data has its own pipeline (zarrs decodes and encodes every chunk): its
    read-modify-writes hold the chunk's lock too, and stepped writes their box's locks. Rows
    0-7 are each written as two stepped halves (even and odd columns) by different writers,
    rows 8-15 whole, all at once."""
    # Both halves of a row from separate writers, and whole rows.
    writes = [(i, slice(start, None, 2)) for i in range(ROWS // 2) for start in (0, 1)]
    writes += [(i, slice(None)) for i in range(ROWS // 2, ROWS)]
    run = text_async_writers if writers == "asyncio-gather" else text_thread_writers
    lost = 0
    for trial in range(TRIALS // 2):
        array = one_chunk_array(kind, tmp_path, trial, dtype=str, compressors=ZSTD)
        run(array, writes)
        back = zbs.read_region(array)
        lost += sum(int(not (back[i] == text_row(i)).all()) for i in range(ROWS))
    assert lost == 0, f"{lost} of {ROWS * (TRIALS // 2)} text rows lost ({writers}, {kind} store)"


def fancy_writers(array: zb.Array) -> None:
    """Half the rows set by orthogonal writes (a row and every column), half by vectorized
    writes (every point of a row), from asyncio tasks, all at once."""
    columns = np.arange(COLS)

    async def main() -> None:
        writes = [
            (
                zb.write_orthogonal(array, ([i], slice(None)), row(i))
                if i % 2
                else zb.write_vectorized(array, (np.full(COLS, i), columns), row(i)[0])
            )
            for i in range(ROWS)
        ]
        await asyncio.gather(*writes)

    asyncio.run(main())


def fancy_thread_writers(array: zb.Array) -> None:
    def write(i: int) -> None:
        if i % 2:
            array.oindex[[i], :] = row(i)
        else:
            array.vindex[np.full(COLS, i), np.arange(COLS)] = row(i)[0]

    in_threads(write)


@pytest.mark.parametrize("writers", ["asyncio-gather", "16-threads"])
@pytest.mark.parametrize(
    "layout",
    [
        {"compressors": ZSTD},
        {"compressors": GZIP},  # zarrs runs the codecs
        {"chunks": (4, COLS), "shards": (ROWS, COLS), "compressors": ZSTD},  # one shard
    ],
    ids=["own-codecs", "zarrs-codecs", "shard"],
)
def test_concurrent_orthogonal_and_vectorized_writes_lose_no_row(
    writers: str, layout: dict[str, Any], tmp_path: Path
) -> None:
    """Orthogonal and vectorized writes read, merge and write back each chunk they touch:
    they hold the chunk's lock as region writes do."""
    run = fancy_writers if writers == "asyncio-gather" else fancy_thread_writers
    lost = 0
    for trial in range(TRIALS // 2):
        array = one_chunk_array("file", tmp_path, trial, **dict(layout))
        run(array)
        lost += rows_lost(array)
    assert lost == 0, f"{lost} of {ROWS * (TRIALS // 2)} rows lost ({writers}, {layout})"


def test_encoded_inner_chunk_writes_compose_with_region_writes(tmp_path: Path) -> None:
    """Writing an inner chunk's encoded bytes rewrites its shard (read, replace, write back):
    under the shard's lock, so encoded writes of other inner chunks and region writes into the
    same shard at the same time are not lost. Rows 0-7 (one inner chunk each) are written as
    encoded bytes, rows 8-15 as regions, all at once."""
    source = zbs.create_array(
        f"memory://encoded-source-{uuid.uuid4().hex}",
        "s",
        shape=(ROWS, COLS),
        dtype="int32",
        chunks=(1, COLS),
        compressors=ZSTD,
    )
    for i in range(ROWS):
        source[i : i + 1, :] = row(i)
    encoded = [zbs.read_encoded_chunk(source, (i, 0)) for i in range(ROWS // 2)]
    for trial in range(TRIALS // 2):
        array = one_chunk_array(
            "file", tmp_path, trial, chunks=(1, COLS), shards=(ROWS, COLS), compressors=ZSTD
        )

        async def main(array: zb.Array = array) -> None:
            writes = [
                zb.write_encoded_chunk(array, (i, 0), encoded[i], inner=True)
                for i in range(ROWS // 2)
            ]
            writes += [
                zb.write_region(array, (slice(i, i + 1), slice(None)), row(i))
                for i in range(ROWS // 2, ROWS)
            ]
            await asyncio.gather(*writes)

        asyncio.run(main())
        assert rows_lost(array) == 0, f"trial {trial}"
