"""Object-store declarations offline: URL forms, obstore option names, the environment, errors
that list accepted names, pickling; GCS and Azure have no local server, so their stores are
built (no I/O) and round-tripped here."""

from __future__ import annotations

import datetime
import pickle
from pathlib import Path

import obstore
import pytest
import zarrbridge as zb
from zarrbridge.errors import InvalidOptionError
from zarrbridge.store import as_store


@pytest.mark.parametrize(
    ("url", "options"),
    [
        ("s3://bucket/a/b", {"region": "eu-west-1", "skip_signature": True}),
        ("s3a://bucket", {"aws_region": "eu-west-1", "skip_signature": "true"}),
        ("gs://bucket/prefix", {"skip_signature": True}),
        ("az://container/prefix", {"account_name": "acct", "skip_signature": True}),
        ("abfss://container@acct.dfs.core.windows.net/p", {"skip_signature": True}),
        ("https://acct.blob.core.windows.net/container/p", {"skip_signature": True}),
        ("https://bucket.s3.us-east-1.amazonaws.com/p", {"skip_signature": True}),
        ("https://example.com/data/zarr", {}),
    ],
)
def test_cloud_urls_build_offline_and_pickle_by_declaration(url: str, options: dict) -> None:
    store = zb.Store.from_url(url, **options)
    assert store.declaration["kind"] == "cloud"
    assert store.declaration["url"] == url
    clone = pickle.loads(pickle.dumps(store))
    assert clone == store and clone.url == store.url


def test_options_use_obstore_names_and_types() -> None:
    store = zb.Store.from_url(
        "s3://bucket",
        config={"AWS_REGION": "eu-west-1"},
        skip_signature=True,
        client_options={"timeout": datetime.timedelta(seconds=1.5), "allow_http": True},
        retry_config={
            "max_retries": 3,
            "retry_timeout": datetime.timedelta(seconds=20),
            "backoff": {"init_backoff": datetime.timedelta(milliseconds=50), "base": 3},
        },
    )
    decl = store.declaration
    assert decl["config"] == {"AWS_REGION": "eu-west-1", "skip_signature": "true"}
    assert decl["client_options"] == {"allow_http": "true", "timeout": "1500ms"}
    assert decl["retry_config"] == {
        "max_retries": 3,
        "retry_timeout": 20.0,
        "backoff": {"init_backoff": 0.05, "base": 3.0},
    }


@pytest.mark.parametrize(
    ("url", "options", "named", "listed"),
    [
        ("s3://b", {"regoin": "x"}, "regoin", "aws_region"),
        ("gs://b", {"project": "x"}, "project", "google_service_account"),
        ("az://c", {"account": "x"}, "account", "azure_storage_account_name"),
        ("https://example.com", {"region": "x"}, "region", "accepted"),
        ("s3://b", {"client_options": {"timeuot": "1s"}}, "timeuot", "connect_timeout"),
        ("s3://b", {"retry_config": {"backof": {}}}, "backof", "max_retries"),
    ],
)
def test_unknown_options_are_refused_with_the_accepted_names(
    url: str, options: dict, named: str, listed: str
) -> None:
    with pytest.raises(InvalidOptionError) as info:
        zb.Store.from_url(url, **options)
    assert named in str(info.value) and listed in str(info.value), str(info.value)


def test_local_stores_take_no_options(tmp_path: object) -> None:
    with pytest.raises(InvalidOptionError):
        zb.Store.from_url("memory://x", region="us-east-1")


def test_obstore_objects_become_declarations() -> None:
    gcs = obstore.store.GCSStore("bucket", prefix="p", config={"skip_signature": True})
    azure = obstore.store.AzureStore(
        "container", prefix="p", config={"account_name": "acct", "skip_signature": True}
    )
    http = obstore.store.HTTPStore.from_url("https://example.com/data")
    assert as_store(gcs).declaration["url"] == "gs://bucket/p"
    assert as_store(azure).declaration["url"] == "az://container/p"
    assert as_store(http).declaration["url"] == "https://example.com/data"
    # Python-only: no declaration rebuilds it, so it is used through the async store adapter.
    assert as_store(obstore.store.MemoryStore()).declaration["kind"] == "external"


def test_zarrbridge_builders_are_obstore_compatible(tmp_path: object) -> None:
    own = zb.store.S3Store("bucket", prefix="p", config={"region": "x", "skip_signature": True})
    store = as_store(own)
    assert store.declaration["url"] == "s3://bucket/p"
    assert pickle.loads(pickle.dumps(store)) == store


def test_zarr_python_local_store_is_rebuilt_as_a_file_store(tmp_path: Path) -> None:
    import numpy as np
    import zarr
    import zarr.storage

    theirs = zarr.create_array(
        zarr.storage.LocalStore(tmp_path), name="a", shape=(3,), dtype="i8", chunks=(2,)
    )
    theirs[:] = np.array([4, 5, 6])
    local = zarr.storage.LocalStore(tmp_path)
    assert as_store(local).declaration == {"kind": "file", "root": str(tmp_path)}
    assert zb.sync.read_region(zb.sync.open_array(local, "a")).tolist() == [4, 5, 6]
    # Lives in Python: used through the async store adapter, not rebuilt.
    assert as_store(zarr.storage.MemoryStore()).declaration["kind"] == "external"


SECRET = "S3CR3Tc4n4ryVALUE"


@pytest.mark.parametrize(
    ("options", "named", "needs"),
    [
        ({"client_options": {"timeout": SECRET}}, "timeout", "a duration"),
        ({"client_options": {"connect_timeout": 30}}, "connect_timeout", "a duration"),
        ({"client_options": {"allow_http": SECRET}}, "allow_http", "a boolean"),
        (
            {"client_options": {"pool_max_idle_per_host": SECRET}},
            "pool_max_idle_per_host",
            "integer",
        ),
        ({"region": 5}, "region", "a string"),
        ({"region": True}, "region", "a string"),
        ({"skip_signature": SECRET}, "skip_signature", "a boolean"),
        ({"config": {"aws_endpoint": 8080}}, "aws_endpoint", "a string"),
        ({"checksum_algorithm": SECRET}, "", "refused"),  # an enum the builder parses itself
    ],
)
def test_malformed_option_values_raise_invalid_option_error_without_the_value(
    options: dict, named: str, needs: str
) -> None:
    with pytest.raises(InvalidOptionError) as info:
        zb.Store.from_url("s3://bucket/p", **options)
    text = str(info.value)
    assert not isinstance(info.value, zb.errors.StoreError), "a bad option is not a store failure"
    assert named in text and needs in text, text
    assert SECRET not in text and SECRET not in repr(info.value.__cause__), text


@pytest.mark.parametrize("value", [[1], {"a": 1}, object(), float("nan")])
def test_option_values_of_no_option_type_are_refused_by_name(value: object) -> None:
    with pytest.raises(InvalidOptionError, match="'region'"):
        zb.Store.from_url("s3://bucket", region=value)


def test_well_typed_option_values_are_accepted() -> None:
    store = zb.Store.from_url(
        "s3://bucket",
        region="eu-west-1",
        skip_signature="yes",
        client_options={
            "allow_http": True,
            "timeout": "90s",
            "read_timeout": datetime.timedelta(seconds=3),
            "pool_max_idle_per_host": 4,
            "http2_max_frame_size": "16384",
        },
    )
    assert store.declaration["client_options"] == {
        "allow_http": "true",
        "timeout": "90s",
        "read_timeout": "3000ms",
        "pool_max_idle_per_host": "4",
        "http2_max_frame_size": "16384",
    }
    assert pickle.loads(pickle.dumps(store)) == store
