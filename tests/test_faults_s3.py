"""The fault suite for remote stores: a fault-injecting proxy (``tests/faultproxy.py``) between
the library and moto. After each fault: the error is a typed ``StoreError`` (never a panic or a
builtin), the call ends within a bound (a watchdog thread fails the test instead of hanging the
suite), no chunk is torn (read directly from moto, each chunk is wholly the old or wholly the
new data), the request count at the proxy is what the retry settings allow, and the store works
again once the fault is gone."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
import zarrbridge as zb
from faultproxy import FaultProxy, closed_port
from servers import S3Server
from zarrbridge import sync as zbs
from zarrbridge.errors import StoreError, ZarrBridgeError

WATCHDOG_S = 60.0
BOUND_S = 20.0  # each faulty call: a 2 s attempt timeout, at most 2 retries, on a loaded machine
RETRIES = 1


def bounded(call: Callable[[], Any]) -> tuple[float, BaseException | None, Any]:
    """``call()`` in a thread under a watchdog: (seconds, error or None, result)."""
    out: dict[str, Any] = {}

    def run() -> None:
        start = time.monotonic()
        try:
            out["result"] = call()
        except BaseException as e:  # reported to the test
            out["error"] = e
        out["time"] = time.monotonic() - start

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(WATCHDOG_S)
    assert not thread.is_alive(), f"still waiting after {WATCHDOG_S} s: a hang"
    return out["time"], out.get("error"), out.get("result")


def store_at(endpoint: str, server: S3Server, bucket: str) -> zb.Store:
    options = server.options()
    options["config"] = {**options["config"], "endpoint": endpoint}
    options["client_options"] = {
        **options["client_options"],
        "timeout": "2s",
        "connect_timeout": "1s",
        "read_timeout": "2s",
    }
    retry = {"max_retries": RETRIES, "retry_timeout": 10, "backoff": {"init_backoff": 0.05}}
    return zb.Store.from_url(f"s3://{bucket}/data", retry_config=retry, **options)


OLD = np.arange(64, dtype="int32").reshape(8, 8)
NEW = -OLD - 1


@pytest.fixture
def setup(s3_server: S3Server) -> Iterator[tuple[FaultProxy, zb.Array, zb.Array]]:
    """(proxy, the array through the proxy, the same array straight to moto), holding OLD."""
    bucket = s3_server.new_bucket()
    direct = store_at(s3_server.endpoint, s3_server, bucket)
    arr = zbs.create_array(direct, "a", shape=(8, 8), chunks=(4, 4), dtype="int32")
    zbs.write_region(arr, ..., OLD)
    host, port = s3_server.endpoint.removeprefix("http://").split(":")
    with FaultProxy(host, int(port)) as proxy:
        through = zbs.open_array(store_at(proxy.endpoint, s3_server, bucket), "a")
        proxy.requests.clear()
        proxy.forwarded = 0
        yield proxy, through, arr


def assert_no_torn_chunk(direct: zb.Array) -> None:
    data = zbs.read_region(direct, ...)
    for i in range(2):
        for j in range(2):
            block = data[4 * i : 4 * i + 4, 4 * j : 4 * j + 4]
            old = OLD[4 * i : 4 * i + 4, 4 * j : 4 * j + 4]
            new = NEW[4 * i : 4 * i + 4, 4 * j : 4 * j + 4]
            assert np.array_equal(block, old) or np.array_equal(block, new), (i, j, block)


FAULTS = ["stall", "drip", "reset", "error"]


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("operation", ["read", "write"])
def test_a_faulty_endpoint_gives_a_typed_error_in_bounded_time_and_tears_nothing(
    setup: tuple[FaultProxy, zb.Array, zb.Array], fault: str, operation: str
) -> None:
    proxy, through, direct = setup
    proxy.fault = fault
    proxy.errors_left = 1000  # a burst longer than the retries
    proxy.drip_interval = 0.5  # slower than the 2 s attempt timeout allows for a chunk
    if operation == "read":
        seconds, error, _ = bounded(lambda: zbs.read_region(through, ...))
    else:
        seconds, error, _ = bounded(lambda: zbs.write_region(through, ..., NEW))
    assert isinstance(error, StoreError), repr(error)
    assert seconds < BOUND_S, seconds
    # Each chunk is tried at most 1 + RETRIES times (4 chunks; a reset or a drip may be cut
    # after the server saw the request, so the proxy's count is the upper bound).
    assert 1 <= proxy.count() <= 4 * (1 + RETRIES), proxy.requests
    proxy.fault = "pass"
    assert_no_torn_chunk(direct)
    # The store works again once the fault is gone.
    _, error, _ = bounded(lambda: zbs.write_region(through, ..., NEW))
    assert error is None, repr(error)
    assert np.array_equal(zbs.read_region(direct, ...), NEW)


def test_a_short_burst_of_errors_is_retried_and_counted_at_the_proxy(
    setup: tuple[FaultProxy, zb.Array, zb.Array],
) -> None:
    proxy, through, _ = setup
    proxy.fault = "error"
    proxy.errors_left = RETRIES  # every request after these succeeds
    _, error, result = bounded(lambda: zbs.read_chunk(through, (0, 0)))
    assert error is None, repr(error)
    assert np.array_equal(result, OLD[:4, :4])
    # The two 503s, then the request that succeeded.
    assert proxy.count("GET") == RETRIES + 1
    assert proxy.forwarded == 1


@pytest.mark.anyio
async def test_faults_reach_async_callers_typed_too(
    setup: tuple[FaultProxy, zb.Array, zb.Array],
) -> None:
    proxy, through, _ = setup
    for fault in FAULTS:
        proxy.fault, proxy.errors_left, proxy.drip_interval = fault, 1000, 0.5
        start = time.monotonic()
        with pytest.raises(StoreError):
            await zb.read_chunk(through, (1, 1))
        assert time.monotonic() - start < BOUND_S


def test_a_refused_connection_is_a_typed_error_at_once(s3_server: S3Server) -> None:
    store = store_at(f"http://127.0.0.1:{closed_port()}", s3_server, "nobucket")
    seconds, error, _ = bounded(lambda: zbs.open_group(store, ""))
    assert isinstance(error, StoreError), repr(error)
    assert isinstance(error, ZarrBridgeError)
    assert seconds < BOUND_S
