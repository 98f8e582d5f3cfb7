"""mypy checks a user's class against the store protocols: conforming classes, obstore's stores
and zarrbridge's own Store pass; a class missing a capability is reported."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import zarrbridge

SNIPPET = """
from collections.abc import Iterator, Sequence
from typing import Any

import obstore.store
import zarrbridge as zb
from typing_extensions import Buffer
from zarrbridge.store import AsyncStore, ReadOnlySyncStore, SyncStore


class Conforming:
    def get(self, path: str, *, options: Any = None) -> Any:
        return None

    def get_range(
        self, path: str, *, start: int, end: int | None = None, length: int | None = None
    ) -> bytes:
        return b""

    def get_ranges(
        self,
        path: str,
        *,
        starts: Sequence[int],
        ends: Sequence[int] | None = None,
        lengths: Sequence[int] | None = None,
    ) -> list[bytes]:
        return []

    def put(self, path: str, file: Buffer) -> None:
        pass

    def delete(self, paths: str | Sequence[str]) -> None:
        pass

    def list(self, prefix: str | None = None, *, offset: str | None = None) -> Iterator[Any]:
        return iter([])

    def list_with_delimiter(self, prefix: str | None = None) -> Any:
        return {}

    def head(self, path: str) -> Any:
        return {}


class NoHead:
    def get(self, path: str, *, options: Any = None) -> Any:
        return None


ok_sync: SyncStore = Conforming()
ok_native_sync: SyncStore = zb.Store.from_url("memory://x")
ok_native_async: AsyncStore = zb.Store.from_url("memory://x")
ok_obstore_sync: SyncStore = obstore.store.MemoryStore()
ok_obstore_async: AsyncStore = obstore.store.MemoryStore()
missing: ReadOnlySyncStore = NoHead()
"""


@pytest.mark.slow
def test_mypy_checks_classes_against_the_store_protocols(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mypy import api

    # This checkout's package, whatever else is installed.
    monkeypatch.setenv("MYPYPATH", str(Path(zarrbridge.__file__).parent.parent))
    snippet = tmp_path / "snippet.py"
    snippet.write_text(textwrap.dedent(SNIPPET))
    out, _, _ = api.run(
        ["--strict", "--ignore-missing-imports", "--cache-dir", str(tmp_path / "c"), str(snippet)]
    )
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert len(errors) == 1, out
    assert '"NoHead"' in errors[0] and '"ReadOnlySyncStore"' in errors[0], out
