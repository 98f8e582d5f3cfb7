"""Credentials never show: not in repr, str, url, exception messages (with their causes and
tracebacks) or logs, on success and on failure paths. A canary string sits in every credential
field; the failure paths include a server that echoes credentials back in its error body."""

from __future__ import annotations

import logging
import pickle
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np
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


# Credentials in URL query strings: SAS tokens, presigned URLs, tokens of HTTP endpoints.
QUERY_URLS = {
    "azure-sas": f"https://acct.blob.core.windows.net/container/p?sv=2022-11-02&sp=r&sig={CANARY}",
    "presigned-s3": (
        "https://bucket.s3.us-east-1.amazonaws.com/p?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        f"&X-Amz-Credential=AKIA{CANARY}%2F20260101&X-Amz-Signature={CANARY}0f9e"
    ),
    "http-token": f"http://127.0.0.1:1/data?token={CANARY}&v=1",
    "s3-sig": f"s3://bucket/prefix?sig={CANARY}",
    "gcs-access-token": f"gs://bucket/p?access_token={CANARY}",
}
LOCAL_OPTIONS: dict[str, Any] = {
    "client_options": {"allow_http": True, "connect_timeout": "1s", "timeout": "2s"},
    "retry_config": {"max_retries": 0},
}
ARRAY_METADATA = {
    "zarr_format": 3,
    "node_type": "array",
    "shape": [4],
    "data_type": "uint8",
    "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [4]}},
    "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
    "fill_value": 0,
    "codecs": [{"name": "bytes"}],
    "attributes": {},
}


def query_store(name: str) -> zb.Store:
    extra: dict[str, Any] = {}
    if name == "s3-sig":
        extra = {"endpoint": "http://127.0.0.1:1", "skip_signature": True}
    elif name in ("gcs-access-token", "azure-sas"):
        extra = {"skip_signature": True}
    return zb.Store.from_url(QUERY_URLS[name], **LOCAL_OPTIONS, **extra)


@pytest.mark.parametrize("name", sorted(QUERY_URLS))
def test_query_string_secrets_are_not_shown_by_any_repr(name: str) -> None:
    from zarrbridge.zarr import ZarrStore

    store = query_store(name)
    array = zb.Array(store, "a", ARRAY_METADATA)
    group = zb.Group(store, "g", {"zarr_format": 3, "node_type": "group", "attributes": {}})
    zarr_store = ZarrStore(store)
    clone = pickle.loads(pickle.dumps(store))
    shown = {
        "url": store.url,
        "repr": repr(store),
        "str": str(store),
        "array repr": repr(array),
        "array str": str(array),
        "array store url": array.store.url,
        "group repr": repr(group),
        "ZarrStore repr": repr(zarr_store),
        "ZarrStore str": str(zarr_store),
        "unpickled repr": repr(clone),
    }
    for where, text in shown.items():
        assert_no_canary(text, f"the {where} of a store from a URL with a query string")
    assert "***" in store.url, f"the query should show its names with hidden values: {store.url}"
    assert CANARY in QUERY_URLS[name] and CANARY in str(clone.declaration), "pickles keep it"


@pytest.mark.parametrize("name", ["http-token", "s3-sig"])
def test_query_string_secrets_are_not_shown_by_failing_calls(name: str) -> None:
    store = query_store(name)
    array = zb.Array(store, "a", ARRAY_METADATA)
    for action in (
        lambda: zbs.open_array(store, "a"),
        lambda: zbs.read_chunk(array, (0,)),
        lambda: zbs.write_chunk(array, (0,), np.zeros(4, "uint8")),
        lambda: zbs.create_group(store, "g"),
        lambda: store.get("k"),
        lambda: store.list_with_delimiter(""),
    ):
        assert_no_canary(fail_and_collect(action), f"a failing call on {name}")


@pytest.mark.parametrize("name", sorted(QUERY_URLS))
def test_query_string_secrets_are_not_shown_by_rejected_urls_and_options(name: str) -> None:
    url = QUERY_URLS[name]
    for action in (
        lambda: zb.Store.from_url(url + "\n"),  # a control character: InvalidPathError
        lambda: zb.Store.from_url(url.replace("://", "://[bad", 1)),  # a URL that does not parse
        lambda: zb.Store.from_url(url, regoin="x"),  # an unknown option
        lambda: zb.Store.from_url(url, client_options={"timeout": CANARY}),  # a bad value
    ):
        with pytest.raises((ZarrBridgeError, ValueError)) as info:
            action()
        assert_no_canary(everything_shown(info.value), f"a rejected URL or option ({name})")
