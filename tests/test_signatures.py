"""Each operation is defined once: the coroutine function of ``zarrbridge``, its blocking twin
in ``zarrbridge.sync`` and the handle method show the same signature and the same docstring."""

from __future__ import annotations

import inspect

import pytest
import zarrbridge as zb
from zarrbridge import sync

FUNCTIONS = [name for name in sync.__all__]
ARRAY_METHODS = [
    "read_chunk",
    "write_chunk",
    "delete_chunk",
    "read_chunks",
    "write_chunks",
    "read_region",
    "read_region_arrow",
    "write_region",
    "read_encoded_chunk",
    "write_encoded_chunk",
    "read_orthogonal",
    "write_orthogonal",
    "read_vectorized",
    "write_vectorized",
    "resize",
    "append",
    "update_attributes",
]
GROUP_METHODS = ["list_children", "update_attributes"]
GROUP_PATH_METHODS = ["create_array", "create_group", "open_node"]


def test_the_sync_module_has_every_async_function() -> None:
    async_names = {n for n in zb.__all__ if inspect.iscoroutinefunction(getattr(zb, n))}
    assert async_names == set(sync.__all__)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_async_function_and_blocking_twin_have_one_signature(name: str) -> None:
    asynchronous, blocking = getattr(zb, name), getattr(sync, name)
    assert inspect.iscoroutinefunction(asynchronous), f"zarrbridge.{name} is not a coroutine"
    assert not inspect.iscoroutinefunction(blocking), f"zarrbridge.sync.{name} is async"
    assert inspect.signature(asynchronous) == inspect.signature(blocking)
    assert "Op[" not in str(inspect.signature(asynchronous)), "the signature shows the internal Op"
    assert asynchronous.__doc__ and asynchronous.__doc__.strip() in (blocking.__doc__ or "")


@pytest.mark.parametrize(
    ("cls", "name"), [(zb.Array, n) for n in ARRAY_METHODS] + [(zb.Group, n) for n in GROUP_METHODS]
)
def test_handle_methods_have_the_function_signature(cls: type, name: str) -> None:
    method, function = getattr(cls, name), getattr(zb, name)
    assert inspect.iscoroutinefunction(method)
    assert inspect.signature(method) == inspect.signature(function)
    assert method.__doc__ == function.__doc__


@pytest.mark.parametrize("name", GROUP_PATH_METHODS)
def test_group_methods_take_the_function_keywords(name: str) -> None:
    method, function = getattr(zb.Group, name), getattr(zb, name)
    assert inspect.iscoroutinefunction(method)
    own = inspect.signature(function).parameters
    keywords = {n: p for n, p in own.items() if p.kind is inspect.Parameter.KEYWORD_ONLY}
    assert (function.__doc__ or "").strip() in (method.__doc__ or ""), "docstring not carried"
    for keyword in keywords:
        assert keyword in (function.__doc__ or ""), f"{name} does not document {keyword}"
