"""Turning store objects from other libraries into declarations zarrbridge rebuilds in Rust.

obstore stores (and the obstore-compatible builders in :mod:`zarrbridge.store`) describe
themselves through ``__getnewargs_ex__``; zarr-python's ``LocalStore``, ``ObjectStore`` and
``FsspecStore`` through their attributes. Nothing here does I/O, and no object kept from the
caller is called again once the store is built: the data path stays in Rust.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping
from typing import Any

from zarrbridge.errors import InvalidOptionError, UnsupportedError

__all__ = ["declaration_of", "options_document"]

_OBSTORE_CLASSES = {"S3Store", "GCSStore", "AzureStore", "HTTPStore", "LocalStore", "MemoryStore"}

# fsspec (s3fs) storage_options that have an object_store equivalent. Anything else is refused
# by name, so a setting is never silently dropped.
_S3FS_OPTIONS = {
    "key": "aws_access_key_id",
    "secret": "aws_secret_access_key",
    "token": "aws_session_token",
    "endpoint_url": "aws_endpoint",
    "region_name": "aws_region",
}
_S3FS_CLIENT_KWARGS = {"endpoint_url": "aws_endpoint", "region_name": "aws_region"}
# Set by zarr-python on every FsspecStore; they steer fsspec's own event loop, not the data.
_FSSPEC_IGNORED = {"asynchronous", "loop"}


def _option_text(value: Any) -> str:
    """object_store takes options as strings: durations as milliseconds, bools lowercase."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.timedelta):
        return f"{round(value.total_seconds() * 1000)}ms"
    return str(value)


def _option_value(key: str, value: Any) -> Any:
    """An option as a declaration holds it: strings, booleans and numbers as given (Rust checks
    each against the kind its option takes, so ``region=5`` is refused), durations as text.
    Messages name the option and the type, never the value (it may be a secret)."""
    if isinstance(value, datetime.timedelta):
        return f"{round(value.total_seconds() * 1000)}ms"
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidOptionError(f"option {key!r} must be a finite number")
    if isinstance(value, (str, bool, int, float)):
        return value
    raise InvalidOptionError(
        f"option {key!r} must be a string, bool, number or datetime.timedelta, not "
        f"{type(value).__qualname__}"
    )


def _seconds(value: Any) -> float:
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    return float(value)


def _retry_document(retry: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if retry is None:
        return None
    if not isinstance(retry, Mapping):
        raise TypeError(f"retry_config must be a dict, not {type(retry).__qualname__}")
    doc: dict[str, Any] = {}
    for key, value in retry.items():
        if key == "backoff" and isinstance(value, Mapping):
            doc["backoff"] = {
                k: (float(v) if k == "base" else _seconds(v)) for k, v in value.items()
            }
        elif key == "retry_timeout":
            doc[key] = _seconds(value)
        else:
            doc[key] = value  # checked in Rust, which lists the accepted keys
    return doc


def options_document(
    config: Mapping[str, Any] | None,
    client_options: Mapping[str, Any] | None,
    retry_config: Mapping[str, Any] | None,
    kwargs: Mapping[str, Any],
) -> dict[str, Any]:
    """The ``{"config", "client_options", "retry_config"}`` document of obstore-style options.

    Keyword arguments are config keys, as in obstore's ``from_url``.
    """
    merged: dict[str, Any] = {}
    for source in (config or {}, kwargs):
        if not isinstance(source, Mapping):
            raise TypeError(f"config must be a dict, not {type(source).__qualname__}")
        merged.update({str(k): _option_value(str(k), v) for k, v in source.items()})
    if client_options is not None and not isinstance(client_options, Mapping):
        raise TypeError(f"client_options must be a dict, not {type(client_options).__qualname__}")
    client = {str(k): _option_value(str(k), v) for k, v in (client_options or {}).items()}
    return {
        "config": merged,
        "client_options": client,
        "retry_config": _retry_document(retry_config),
    }


def _obstore_declaration(obj: Any) -> dict[str, Any]:
    kind = type(obj).__name__
    if kind == "MemoryStore":
        raise UnsupportedError(
            "an obstore MemoryStore lives in Python and cannot be rebuilt in Rust; use "
            "zarrbridge's memory:// stores instead"
        )
    args, kwargs = obj.__getnewargs_ex__()
    if kwargs.get("credential_provider") is not None:
        raise UnsupportedError(
            f"{kind} with a credential_provider calls back into Python for credentials, "
            "which zarrbridge does not do; pass credentials in config or the environment"
        )
    if kind == "LocalStore":
        return {"kind": "file", "root": str(args[0] if args else kwargs["prefix"])}
    config = {str(k): _option_text(v) for k, v in (kwargs.get("config") or {}).items()}
    prefix = str(kwargs.get("prefix") or "").strip("/")
    if kind == "HTTPStore":
        url = str(args[0])
    else:
        scheme, bucket_key = {
            "S3Store": ("s3", "bucket"),
            "GCSStore": ("gs", "bucket"),
            "AzureStore": ("az", "container_name"),
        }[kind]
        bucket = config.get(bucket_key) or (str(args[0]) if args else "")
        if not bucket:
            raise InvalidOptionError(f"{kind} has no {bucket_key}")
        url = f"{scheme}://{bucket}/{prefix}" if prefix else f"{scheme}://{bucket}"
    return {
        "kind": "cloud",
        "url": url,
        "config": config,
        "client_options": {
            str(k): _option_text(v) for k, v in (kwargs.get("client_options") or {}).items()
        },
        "retry_config": _retry_document(kwargs.get("retry_config")),
    }


def _fsspec_declaration(store: Any) -> dict[str, Any]:
    fs = store.fs
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    path = str(store.path).strip("/")
    options = dict(getattr(fs, "storage_options", {}) or {})
    for key in _FSSPEC_IGNORED:
        options.pop(key, None)
    config: dict[str, str] = {}
    client: dict[str, str] = {}
    if protocol in ("s3", "s3a"):
        for key, value in options.items():
            if key == "anon":
                config["aws_skip_signature"] = _option_text(bool(value))
            elif key == "client_kwargs" and isinstance(value, Mapping):
                for ck, cv in value.items():
                    if ck not in _S3FS_CLIENT_KWARGS:
                        raise InvalidOptionError(
                            f"FsspecStore client_kwargs option {ck!r} has no zarrbridge "
                            f"equivalent (supported: {', '.join(sorted(_S3FS_CLIENT_KWARGS))})"
                        )
                    config[_S3FS_CLIENT_KWARGS[ck]] = _option_text(cv)
            elif key in _S3FS_OPTIONS:
                config[_S3FS_OPTIONS[key]] = _option_text(value)
            else:
                supported = sorted([*_S3FS_OPTIONS, "anon", "client_kwargs"])
                raise InvalidOptionError(
                    f"FsspecStore storage option {key!r} has no zarrbridge equivalent "
                    f"(supported for s3: {', '.join(supported)})"
                )
        url = f"s3://{path}"
        if config.get("aws_endpoint", "").startswith("http://"):
            # s3fs talks plain HTTP to an http:// endpoint; object_store needs to be told.
            client["allow_http"] = "true"
    elif protocol in ("gs", "gcs"):
        for key, value in options.items():
            if key == "token" and value == "anon":
                config["google_skip_signature"] = "true"
            elif key == "token" and isinstance(value, str):
                config["google_service_account"] = value
            else:
                raise InvalidOptionError(
                    f"FsspecStore storage option {key!r} has no zarrbridge equivalent "
                    "(supported for gcs: token='anon' or a service-account file path)"
                )
        url = f"gs://{path}"
    elif protocol in ("http", "https"):
        if options:
            raise InvalidOptionError(
                f"FsspecStore storage options {sorted(options)} have no zarrbridge equivalent "
                "for http(s)"
            )
        url = str(store.path)
        if "://" not in url:
            url = f"{protocol}://{url}"
    else:
        raise UnsupportedError(f"FsspecStore with protocol {protocol!r} is not supported")
    return {"kind": "cloud", "url": url, "config": config, "client_options": client}


def declaration_of(obj: Any) -> dict[str, Any] | None:
    """The declaration of a foreign store object, or ``None`` when it is not one we know.

    Raises:
        UnsupportedError: a store kind that cannot be rebuilt in Rust (Python-only stores).
        InvalidOptionError: a setting with no object_store equivalent (named in the message).
    """
    cls = type(obj)
    module = cls.__module__ or ""
    if cls.__name__ in _OBSTORE_CLASSES and module.startswith(("obstore", "zarrbridge")):
        return _obstore_declaration(obj)
    if not module.startswith("zarr."):
        return None
    if cls.__name__ == "LocalStore":
        return {"kind": "file", "root": str(obj.root)}
    if cls.__name__ == "ObjectStore":
        return _obstore_declaration(obj.store)
    if cls.__name__ == "FsspecStore":
        return _fsspec_declaration(obj)
    raise UnsupportedError(
        f"zarr-python's {cls.__name__} lives in Python and cannot be rebuilt in Rust yet"
    )
