"""No torn writes: cancelled writes (thousands, at random moments) and a writer process killed
with SIGKILL at random moments leave every chunk holding exactly one complete write and every
metadata document parseable. See ``_crash_writer`` for the value scheme and the verifier.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import random
import signal
import statistics
import time
import uuid
from pathlib import Path

import _crash_writer as cw  # pytest puts tests/ on sys.path; spawned children inherit it
import anyio
import pytest
import zarrbridge as zb


async def cancel_writes_at_random(
    store: zb.Store, backend: str, count: int, seed: int
) -> tuple[int, int]:
    """``count`` writes, each under a random tiny timeout, 4 at a time; returns how many timed
    out and how many completed."""
    arrays = [await zb.open_array(store, name) for name in cw.ARRAYS]
    rng = random.Random(seed)
    timed_out = completed = 0
    limiter = anyio.Semaphore(4)
    # Timeouts spread log-uniformly over 1/20 to 20 times the median write, measured as the
    # writes below run (4 at a time), so that many writes are cut and many complete however
    # loaded the machine is.
    durations: list[float] = []

    async def timed(k: int) -> None:
        started = time.perf_counter()
        await cw.write_op(arrays[k % len(arrays)], 1, count + 1 + k, rng)
        durations.append(time.perf_counter() - started)

    for batch in range(3):
        async with anyio.create_task_group() as tg:
            for k in range(4):
                tg.start_soon(timed, batch * 4 + k)
    median = statistics.median(durations)

    async def one(k: int) -> None:
        nonlocal timed_out, completed
        op = cw.write_op(rng.choice(arrays), 1, k, rng)
        timeout = median * 20 ** rng.uniform(-1, 1)
        async with limiter:
            if backend == "asyncio":
                try:
                    await asyncio.wait_for(op, timeout)
                except TimeoutError:
                    timed_out += 1
                    return
            else:
                with anyio.move_on_after(timeout) as scope:
                    await op
                if scope.cancelled_caught:
                    timed_out += 1
                    return
            completed += 1

    async with anyio.create_task_group() as tg:
        for k in range(1, count + 1):
            tg.start_soon(one, k)
    return timed_out, completed


@pytest.mark.anyio
@pytest.mark.parametrize("kind", ["file", "memory"])
async def test_thousands_of_cancelled_writes_leave_no_torn_chunk(
    kind: str, store_dir: Path, anyio_backend: str
) -> None:
    if kind == "file":
        store, root = zb.Store.from_url(str(store_dir)), store_dir
    else:
        store, root = zb.Store.from_url(f"memory://crash-{uuid.uuid4().hex}"), None
    cw.create_arrays(store)
    timed_out, completed = await cancel_writes_at_random(store, anyio_backend, 2000, seed=7)
    # Verify at once (a write cancelled mid-rename may still be landing: readers must see old or
    # new), then again once such writes are done, to count abandoned staging files.
    assert cw.verify(store, root, runs=range(1, 2)).problems == []
    await anyio.sleep(0.5)
    verdict = cw.verify(store, root, runs=range(1, 2))
    print(
        f"\n{kind}/{anyio_backend}: {timed_out} writes cancelled, {completed} completed; "
        f"{verdict.chunks} chunks verified ({verdict.fill_chunks} never written), "
        f"{verdict.metadata_docs} metadata documents, {verdict.staging_files} staging files"
    )
    # Both outcomes must occur, or the test did not exercise cancellation mid-write.
    assert timed_out >= 50 and completed >= 50
    assert verdict.problems == []
    assert verdict.staging_files == 0  # cancellation never abandons a staged file


def kill_writers_at_random(root: Path, kills: int) -> cw.Verdict:
    cw.create_arrays(str(root))
    ctx = multiprocessing.get_context("spawn")
    rng = random.Random(11)
    for run in range(1, kills + 1):
        ready = ctx.Event()
        child = ctx.Process(target=cw.child_main, args=(str(root), run, ready), daemon=True)
        child.start()
        assert ready.wait(60), "the writer process did not start"
        # Let it write for a random while: kills land at start-up, mid-batch, mid-rename.
        child.join(rng.uniform(0.02, 0.4))
        assert child.is_alive(), f"the writer died by itself: exit code {child.exitcode}"
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
        child.join(10)
        assert child.exitcode == -signal.SIGKILL
    return cw.verify(zb.Store.from_url(str(root)), root, runs=range(1, kills + 1))


def check_killed_writers(root: Path, kills: int) -> None:
    verdict = kill_writers_at_random(root, kills)
    written = verdict.chunks - verdict.fill_chunks
    print(
        f"\n{kills} writer processes SIGKILLed; {verdict.chunks} chunks verified ({written} "
        f"written), {verdict.metadata_docs} metadata documents parsed, "
        f"{verdict.staging_files} staging files left by killed writes (invisible to readers)"
    )
    assert verdict.problems == []
    assert written > 0


def test_writer_killed_at_random_moments_leaves_no_torn_chunk(store_dir: Path) -> None:
    check_killed_writers(store_dir, kills=6)


@pytest.mark.slow
def test_writer_killed_at_random_moments_many_times(store_dir: Path) -> None:
    check_killed_writers(store_dir, kills=60)


def test_the_verifier_reports_a_torn_chunk_and_a_torn_document(store_dir: Path) -> None:
    """The checks above can fail: a half-written chunk and metadata document are caught."""
    store = zb.Store.from_url(str(store_dir))
    cw.create_arrays(store)
    array = zb.sync.open_array(store, "v3")
    zb.sync.write_chunk(array, (0, 0), cw.chunk_value(1, 1, (0, 0)))
    chunk = store_dir / "v3" / "c" / "0" / "0"
    chunk.write_bytes(chunk.read_bytes()[: chunk.stat().st_size // 2])
    attrs = store_dir / "v2" / ".zattrs"
    attrs.write_text('{"k": 3, "blob": "x')
    problems = cw.verify(store, store_dir, runs=range(1, 2)).problems
    assert any("v3 chunk (0, 0): does not decode" in p for p in problems), problems
    assert any(".zattrs: not JSON" in p for p in problems), problems
