"""``zarrbridge verify`` finds the chunks a test damages on disk (garbage for a zstd chunk, a
flipped byte under a crc32c checksum, a flipped byte in a shard's index, a deleted chunk) and
reports each by its key, with a non-zero exit; an intact hierarchy verifies clean."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import zarr
from cli import run
from zarr.codecs import Crc32cCodec, ZstdCodec


@pytest.fixture
def hierarchy(tmp_path: Path) -> Path:
    root = tmp_path / "h.zarr"
    g = zarr.open_group(zarr.storage.LocalStore(root), mode="w")
    g.create_array("z", shape=(8, 8), chunks=(4, 4), dtype="float32", compressors=ZstdCodec())[
        :
    ] = np.arange(64).reshape(8, 8) + 1
    g.create_array("sub/crc", shape=(8,), chunks=(4,), dtype="int32", compressors=[Crc32cCodec()])[
        :
    ] = np.arange(8) + 1
    g.create_array("s", shape=(8, 8), chunks=(2, 2), shards=(4, 4), dtype="uint8")[:] = 1
    return root


def flip(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0xFF
    path.write_bytes(bytes(data))


def problems(stdout: str) -> dict[str, str]:
    """Key -> kind of each problem line."""
    found = {}
    for line in stdout.splitlines():
        m = re.match(r"(CHECKSUM|UNDECODABLE|UNREADABLE|MISSING)\s+(\S+)  ", line)
        if m:
            found[m.group(2)] = m.group(1)
    return found


def test_an_intact_hierarchy_verifies_clean(hierarchy: Path) -> None:
    done = run("verify", str(hierarchy))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == (
        "verified 3 array(s), 10 chunk(s) read: 0 checksum, 0 undecodable, 0 unreadable, 0 missing"
    )


def test_verify_reports_each_damaged_chunk_by_key_and_fails(hierarchy: Path) -> None:
    (hierarchy / "z" / "c" / "1" / "0").write_bytes(b"not zstd at all")
    flip(hierarchy / "sub" / "crc" / "c" / "1", 2)  # a data byte under the checksum
    flip(hierarchy / "s" / "c" / "1" / "1", -6)  # inside the shard's index (at its end)
    (hierarchy / "z" / "c" / "0" / "1").unlink()
    done = run("verify", str(hierarchy))
    assert done.returncode == 1, done.stdout + done.stderr
    assert problems(done.stdout) == {
        "z/c/1/0": "UNDECODABLE",
        "sub/crc/c/1": "CHECKSUM",
        "s/c/1/1": "CHECKSUM",
    }
    assert done.stdout.splitlines()[-1].endswith(
        "2 checksum, 1 undecodable, 0 unreadable, 1 missing"
    )
    # A missing chunk reads as the fill value: a failure only when every chunk must be there.
    strict = run("verify", "--require-all", f"{hierarchy}#z")
    assert strict.returncode == 1
    assert problems(strict.stdout) == {"z/c/1/0": "UNDECODABLE", "z/c/0/1": "MISSING"}


def test_a_missing_chunk_alone_fails_only_with_require_all(hierarchy: Path) -> None:
    (hierarchy / "z" / "c" / "0" / "1").unlink()
    assert run("verify", f"{hierarchy}#z").returncode == 0
    assert run("verify", "--require-all", f"{hierarchy}#z").returncode == 1


def test_sample_reads_only_that_many_chunks_per_array(hierarchy: Path) -> None:
    done = run("verify", "--sample", "2", "--seed", "3", str(hierarchy))
    assert done.returncode == 0, done.stderr
    assert "verified 3 array(s), 6 chunk(s) read" in done.stdout
    half = run("verify", "--sample", "0.5", f"{hierarchy}#z")
    assert "verified 1 array(s), 2 chunk(s) read" in half.stdout
