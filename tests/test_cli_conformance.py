"""The conformance-runner mode, called exactly as Bisaloo/zarr-conformance-tests' ``tests.bats``
calls an implementation (``$ZARR_CLI --array_path=$ZARR_CONFORMANCE_DATA/<name>.zarr``, through
a shell, success = exit 0), on arrays made by zarr-python like that suite's data: Zarr v2 int64
(F order, zlib), int32, float32, float64 (no compressor, 3-d, a partial edge), bool (zstd), and
v3 int32 (zstd). The elements printed (C order, one per line, Zarr's JSON form, as zarrs'
runner prints them) are zarr-python's."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr
from cli import env, script
from numcodecs import Zlib, Zstd
from zarr.codecs import ZstdCodec

CASES: dict[str, dict[str, Any]] = {
    "int64": {
        "shape": (4, 4),
        "chunks": (2, 2),
        "dtype": "<i8",
        "order": "F",
        "compressors": Zlib(level=6),
        "zarr_format": 2,
    },
    "int32": {
        "shape": (30, 20, 10),
        "chunks": (10, 10, 5),
        "dtype": "<i4",
        "compressors": None,
        "zarr_format": 2,
    },
    "float32": {
        "shape": (30, 20, 10),
        "chunks": (10, 10, 5),
        "dtype": "<f4",
        "compressors": None,
        "zarr_format": 2,
    },
    "float64": {
        "shape": (30, 20, 10),
        "chunks": (10, 10, 5),
        "dtype": "<f8",
        "compressors": None,
        "zarr_format": 2,
    },
    "bool": {
        "shape": (2, 2),
        "chunks": (2, 2),
        "dtype": "|b1",
        "compressors": Zstd(level=0),
        "zarr_format": 2,
    },
    "int32_v3": {
        "shape": (2, 2),
        "chunks": (2, 2),
        "dtype": "int32",
        "compressors": ZstdCodec(level=0),
        "zarr_format": 3,
    },
}


def printed_values(lines: list[str], dtype: np.dtype[Any]) -> np.ndarray:
    """The printed elements read back (floats in their shortest form, which must round-trip
    to the very value of their precision)."""
    if dtype.kind == "b":
        assert set(lines) <= {"true", "false"}, lines
        return np.array([line == "true" for line in lines])
    if dtype.kind == "f":
        assert all(re.fullmatch(r"-?\d+\.\d+(e[-+]\d+)?", line) for line in lines), lines[:5]
    return np.array([dtype.type(line) for line in lines], dtype=dtype)


@pytest.fixture(scope="module")
def conformance_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("conformance-data")
    rng = np.random.default_rng(7)
    for name, spec in CASES.items():
        spec = dict(spec)
        order = spec.pop("order", None)
        z = zarr.create_array(
            zarr.storage.LocalStore(root / f"{name}.zarr"),
            fill_value=0,
            **({"order": order} if order else {}),
            **spec,
        )
        dtype = np.dtype(spec["dtype"])
        if dtype.kind == "b":
            z[:] = np.array([[True, False], [False, True]])
        elif dtype.kind == "f":
            z[:25] = rng.normal(size=(25, *spec["shape"][1:])).astype(dtype)  # an edge unwritten
        else:
            z[:] = rng.integers(-1000, 1000, spec["shape"]).astype(dtype)
    return root


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("cli", ["{script}", "{script} conformance"])
def test_the_conformance_contract_reads_each_array(
    conformance_data: Path, name: str, cli: str
) -> None:
    done = subprocess.run(
        ["bash", "-c", "$ZARR_CLI --array_path=$ZARR_CONFORMANCE_DATA/" + f"{name}.zarr"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env(ZARR_CLI=cli.format(script=script()), ZARR_CONFORMANCE_DATA=str(conformance_data)),
    )
    assert done.returncode == 0, done.stderr
    data = zarr.open_array(zarr.storage.LocalStore(conformance_data / f"{name}.zarr"), mode="r")[:]
    printed = printed_values(done.stdout.splitlines(), data.dtype)
    np.testing.assert_array_equal(printed, data.ravel(order="C"), strict=True)


def test_a_path_without_an_array_fails_the_contract(tmp_path: Path) -> None:
    done = subprocess.run(
        [script(), f"--array_path={tmp_path}"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env(),
    )
    assert done.returncode == 3 and done.stdout == ""
    assert done.stderr.startswith("zarrbridge: NodeNotFoundError: ")
