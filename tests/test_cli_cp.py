"""``zarrbridge cp`` run as the console script: arrays and groups between file and S3 (moto)
stores, stored chunks copied byte for byte unless asked to re-encode; zarr-python reads every
copy identically; ``--resume`` copies only what is missing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import zarr
from cli import run, s3_args
from servers import ACCESS_KEY, REGION, SECRET_KEY, S3Server
from zarr.codecs import BloscCodec, ZstdCodec


def chunk_files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and p.name not in ("zarr.json", ".zarray", ".zattrs", ".zgroup")
    }


@pytest.fixture
def source(tmp_path: Path) -> tuple[Path, dict[str, np.ndarray]]:
    root = tmp_path / "src.zarr"
    g = zarr.open_group(zarr.storage.LocalStore(root), mode="w")
    rng = np.random.default_rng(1)
    data = {
        "a": (rng.random((20, 30)) * 100).astype("float32"),
        "grp/b": rng.integers(0, 1000, (50,), dtype="int64"),
        "grp/c": (rng.random((16, 16)) * 10).astype("uint16"),
    }
    g.create_array(
        "a", shape=(20, 30), chunks=(8, 8), dtype="float32", compressors=ZstdCodec(level=2)
    )[:] = data["a"]
    g.create_array(
        "grp/b", shape=(50,), chunks=(7,), dtype="int64", compressors=BloscCodec(cname="lz4")
    )[:] = data["grp/b"]
    g.create_array("grp/c", shape=(16, 16), chunks=(4, 4), shards=(8, 8), dtype="uint16")[:] = data[
        "grp/c"
    ]
    return root, data


def assert_reads(root: Path, data: dict[str, np.ndarray], prefix: str = "") -> None:
    store = zarr.storage.LocalStore(root)
    for name, values in data.items():
        z = zarr.open_array(store, path=f"{prefix}{name}", mode="r")
        np.testing.assert_array_equal(z[:], values, err_msg=name)


def test_cp_of_a_group_copies_stored_chunks_byte_for_byte(
    source: tuple[Path, dict[str, np.ndarray]], tmp_path: Path
) -> None:
    root, data = source
    dest = tmp_path / "dest.zarr"
    done = run("cp", str(root), f"{dest}#copy")
    assert done.returncode == 0, done.stderr
    count = len(chunk_files(root))
    assert done.stdout.startswith(f"copied group {root} -> {dest}#copy: {count} chunks")
    assert_reads(dest, data, "copy/")
    assert chunk_files(dest / "copy") == chunk_files(root)


def test_cp_re_encodes_when_asked(
    source: tuple[Path, dict[str, np.ndarray]], tmp_path: Path
) -> None:
    root, data = source
    dest = tmp_path / "dest.zarr"
    done = run(
        "cp",
        f"{root}#a",
        str(dest),
        "--chunks",
        "10,10",
        "--shards",
        "20,30",
        "--codecs",
        "gzip:level=5",
    )
    assert done.returncode == 0, done.stderr
    z = zarr.open_array(zarr.storage.LocalStore(dest), mode="r")
    assert z.chunks == (10, 10) and z.shards == (20, 30)
    assert z.metadata.codecs[0].codecs[-1].to_dict()["name"] == "gzip"
    np.testing.assert_array_equal(z[:], data["a"])


def test_cp_to_zarr_v2_and_without_compression(
    source: tuple[Path, dict[str, np.ndarray]], tmp_path: Path
) -> None:
    root, data = source
    dest = tmp_path / "v2.zarr"
    done = run("cp", f"{root}#grp/b", str(dest), "--zarr-format", "2", "--codecs", "none")
    assert done.returncode == 0, done.stderr
    z = zarr.open_array(zarr.storage.LocalStore(dest), mode="r", zarr_format=2)
    assert z.metadata.compressor is None
    np.testing.assert_array_equal(z[:], data["grp/b"])


def test_cp_resume_copies_only_the_missing_chunks(
    source: tuple[Path, dict[str, np.ndarray]], tmp_path: Path
) -> None:
    root, data = source
    dest = tmp_path / "dest.zarr"
    assert run("cp", f"{root}#a", str(dest)).returncode == 0
    removed = sorted((dest / "c").rglob("*"))[-1]
    assert removed.is_file()
    size = removed.stat().st_size  # < 1 KiB: an 8x8 chunk of float32
    removed.unlink()
    done = run("cp", "--resume", f"{root}#a", str(dest))
    assert done.returncode == 0, done.stderr
    # Every chunk is accounted for; only the missing one was written (no metadata either).
    assert f"({size} B written)" in done.stdout
    np.testing.assert_array_equal(
        zarr.open_array(zarr.storage.LocalStore(dest), mode="r")[:], data["a"]
    )


@pytest.mark.slow
def test_cp_file_to_s3_and_back_is_identical(
    source: tuple[Path, dict[str, np.ndarray]], tmp_path: Path, s3_server: S3Server
) -> None:
    root, data = source
    url = f"s3://{s3_server.new_bucket()}/up"
    up = run("cp", str(root), f"{url}#g", *s3_args(s3_server))
    assert up.returncode == 0, up.stderr
    # zarr-python reads the S3 copy itself, through s3fs.
    s3 = zarr.storage.FsspecStore.from_url(
        url,
        read_only=True,
        storage_options={
            "key": ACCESS_KEY,
            "secret": SECRET_KEY,
            "client_kwargs": {"endpoint_url": s3_server.endpoint, "region_name": REGION},
        },
    )
    for name, values in data.items():
        np.testing.assert_array_equal(zarr.open_array(s3, path=f"g/{name}", mode="r")[:], values)
    back = tmp_path / "back.zarr"
    down = run("cp", f"{url}#g", str(back), *s3_args(s3_server))
    assert down.returncode == 0, down.stderr
    assert_reads(back, data)
    assert chunk_files(back) == chunk_files(root)
