"""Credentials never show: not in repr, str, url, exception messages (with their causes and
tracebacks) or logs, on success and on failure paths. A canary string sits in every credential
field; the failure paths include a server that echoes credentials back in its error body."""

from __future__ import annotations

import logging
import pickle
import traceback
from collections.abc import Callable
from typing import Any

import pytest
import zarrbridge as zb
from zarrbridge import sync as zbs
from zarrbridge.errors import ZarrBridgeError

CANARY = "CANARYc4n4ry"


def s3_with_canaries(endpoint: str, **extra: Any) -> zb.Store:
    return zb.Store.from_url(
        "s3://bucket/prefix",
        endpoint=endpoint,
        access_key_id=f"AKIA{CANARY}ID",
        secret_access_key=f"{CANARY}/secret+key",
        session_token=f"{CANARY}-session-token",
        region="us-east-1",
        client_options={"allow_http": True, "connect_timeout": "1s", "timeout": "2s"},
        retry_config={"max_retries": 2, "retry_timeout": 3, "backoff": {"init_backoff": 0.01}},
        **extra,
    )


def everything_shown(err: BaseException) -> str:
    parts = ["".join(traceback.format_exception(err))]
    seen: BaseException | None = err
    while seen is not None:
        parts += [str(seen), repr(seen), *map(str, seen.args)]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


def assert_no_canary(text: str, where: str) -> None:
    assert CANARY not in text, f"a credential leaked into {where}: {text[:2000]}"


def fail_and_collect(action: Callable[[], object]) -> str:
    with pytest.raises(ZarrBridgeError) as info:
        action()
    return everything_shown(info.value)


def test_store_repr_str_url_hide_every_credential(hostile_server: str) -> None:
    stores = [
        s3_with_canaries(hostile_server),
        zb.Store.from_url(f"http://user:{CANARY}@127.0.0.1:1/data"),
        zb.Store.from_url(
            "az://container/p",
            account_name="acct",
            account_key=f"{CANARY}AAAA",
            sas_key=f"sv=2020&sig={CANARY}",
        ),
        zb.Store.from_url("gs://bucket/p", bearer_token=f"ya29.{CANARY}"),
    ]
    for store in stores:
        for shown in (repr(store), str(store), store.url):
            assert_no_canary(shown, f"the repr/str/url of {store.url}")
    # pickling keeps them: that is what a dask worker needs
    clone = pickle.loads(pickle.dumps(stores[0]))
    assert CANARY in str(clone.declaration)
    assert_no_canary(repr(clone), "the repr of an unpickled store")


def test_failures_against_a_server_that_echoes_credentials(
    hostile_server: str, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    store = s3_with_canaries(hostile_server)
    shown = [
        fail_and_collect(lambda: zbs.open_array(store, "a")),  # 503 retried, then 403
        fail_and_collect(lambda: zbs.create_group(store, "g")),
        fail_and_collect(lambda: zbs.list_children(store, "")),
    ]
    for text in shown:
        assert "403" in text or "AccessDenied" in text, f"expected the 403 to be reported: {text}"
        assert_no_canary(text, "an error message")
    out, err = capfd.readouterr()
    assert_no_canary(out + err + caplog.text, "the output or the logs")


def test_failures_on_refused_connections_and_bad_urls(hostile_server: str) -> None:
    refused = s3_with_canaries("http://127.0.0.1:1")
    assert_no_canary(fail_and_collect(lambda: zbs.open_array(refused, "a")), "a refused request")
    http = zb.Store.from_url(
        f"http://user:{CANARY}@127.0.0.1:1/data",
        client_options={"allow_http": True, "connect_timeout": "1s"},
        retry_config={"max_retries": 0},
    )
    assert_no_canary(fail_and_collect(lambda: zbs.open_array(http, "a")), "an http error")


@pytest.mark.parametrize("option", ["regoin", "client_options", "retry_config"])
def test_bad_options_are_named_but_their_values_are_not_echoed(option: str) -> None:
    kwargs: dict[str, Any] = {
        "regoin": {"regoin": CANARY},
        "client_options": {"client_options": {"timeuot": CANARY}},
        "retry_config": {"retry_config": {"retries": CANARY}},
    }[option]
    with pytest.raises(zb.errors.InvalidOptionError) as info:
        zb.Store.from_url("s3://bucket", **kwargs)
    text = everything_shown(info.value)
    assert_no_canary(text, "an unknown-option error")
    assert "accepted" in text, f"the error should list the accepted names: {text}"
