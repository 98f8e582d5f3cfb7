"""Remote stores fail in seconds, not minutes, when an endpoint accepts connections and never
answers (about 181 s with object_store's defaults: a 30 s request timeout, retried for 180 s).

The defaults (crates/zarrbridge-core/src/store/timeouts.rs, docs/API.md): connect 5 s; reads
wait at most 10 s for a first byte (``read_timeout``, reads only); an attempt of any request at
most 30 s (``timeout``); no retry starts after 15 s (``retry_timeout``). So a stalled read fails
after about 20 s and a stalled write after about 30 s. Every call here runs under a watchdog
thread, so a regression fails the test instead of hanging the suite.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import zarrbridge as zb
from stalling import StallingServer
from zarrbridge.errors import StoreError

WATCHDOG_S = 90.0
# The documented bounds, with room for a loaded machine.
STALLED_READ_S = 25.0
STALLED_WRITE_S = 35.0


def timed_failures(calls: dict[str, Callable[[], Any]]) -> dict[str, tuple[float, BaseException]]:
    """Run the calls at once, each in a thread; how long each took to fail, and with what."""
    results: dict[str, tuple[float, BaseException]] = {}

    def run(name: str, call: Callable[[], Any]) -> None:
        start = time.monotonic()
        try:
            call()
        except BaseException as e:  # reported to the test below
            results[name] = (time.monotonic() - start, e)
            return
        results[name] = (time.monotonic() - start, AssertionError(f"{name} did not fail"))

    threads = [threading.Thread(target=run, args=(n, c), daemon=True) for n, c in calls.items()]
    for t in threads:
        t.start()
    deadline = time.monotonic() + WATCHDOG_S
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    hung = [n for n, t in zip(calls, threads, strict=True) if t.is_alive()]
    assert not hung, f"{hung} still waiting after {WATCHDOG_S} s"
    return results


@pytest.fixture
def stalled() -> Iterator[StallingServer]:
    with StallingServer() as server:
        yield server


def test_a_stalled_endpoint_fails_within_the_default_timeouts(stalled: StallingServer) -> None:
    http = zb.Store.from_url(stalled.url + "/data", client_options={"allow_http": True})
    s3 = zb.Store.from_url(
        "s3://bucket/p",
        endpoint=stalled.url,
        region="us-east-1",
        access_key_id="AK",
        secret_access_key="SK",
        client_options={"allow_http": True},
    )
    results = timed_failures(
        {
            "http read": lambda: http.get("k"),
            "http write": lambda: http.put("k", b"v"),
            "s3 read": lambda: s3.get("k"),
            "s3 listing": lambda: s3.list_with_delimiter(""),
            "s3 write": lambda: s3.put("k", b"v"),
        }
    )
    report = {name: f"{took:.1f} s: {type(e).__name__}" for name, (took, e) in results.items()}
    print(f"\nstalled endpoint, default settings: {report}")
    for name, (took, error) in results.items():
        assert isinstance(error, StoreError), f"{name}: expected a StoreError, got {error!r}"
        bound = STALLED_WRITE_S if "write" in name else STALLED_READ_S
        assert took < bound, f"{name} took {took:.1f} s to fail (documented: under {bound} s)"
        assert stalled.url in str(error), f"the error should name the endpoint: {error}"
    assert stalled.connections >= len(results)


def test_timeouts_are_overridable_per_store(stalled: StallingServer) -> None:
    store = zb.Store.from_url(
        stalled.url,
        client_options={"allow_http": True, "read_timeout": "1s", "timeout": "1s"},
        retry_config={"retry_timeout": 0.5},
    )
    results = timed_failures({"read": lambda: store.get("k"), "write": lambda: store.put("k", b"")})
    for name, (took, error) in results.items():
        assert isinstance(error, StoreError), f"{name}: {error!r}"
        assert took < 5.0, f"{name} took {took:.1f} s with 1 s timeouts"


def test_the_read_timeout_does_not_cut_writes_that_take_longer() -> None:
    """A server that answers each request after 2 s: with a 1 s read timeout the read fails,
    while the write (bounded by ``timeout``, 30 s) succeeds: an upload is not a stall."""
    with StallingServer(answer_after=2.0) as slow:
        store = zb.Store.from_url(
            slow.url,
            client_options={"allow_http": True, "read_timeout": "1s"},
            retry_config={"max_retries": 0},
        )
        start = time.monotonic()
        store.put("k", b"v" * 1000)
        assert 1.5 < time.monotonic() - start < 10
        with pytest.raises(StoreError):
            store.get("k")
