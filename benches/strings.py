"""Case (s): variable-length strings — 10^6 short names and 10^5 long texts, write and read.

Zarr v3 ``string`` (``vlen-utf8``, then zstd level 1), one dimension, 10 chunks. Every writer
gets a numpy ``StringDType`` array (zarrbridge also an object array); readers return what they
return by default (zarrbridge: ``StringDType``; also its object and Arrow outputs), checked
against the data in the warm-up. Libraries: zarrbridge, zarr-python (default pipeline and the
zarrs pipeline), zarrista (reads; it writes no numpy strings) and, for the record, tensorstore
(no variable-length strings in its Zarr drivers). Rows give MB/s of UTF-8 text and, in the
notes, strings/s.

A last table measures ways of making a numpy ``StringDType`` array from decoded values
(offsets and UTF-8 bytes, as zarrs gives them), which is what a ``StringDType`` read costs
beyond decoding: zarrbridge's fill through numpy's C API, a list of ``str`` given to numpy,
pyarrow's conversion, and numpy's own vectorised functions.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from report import Row, Table, Target

Rep = Callable[[bool], float]
STRING = np.dtypes.StringDType()
WORDS = ["north", "süd", "東京", "station", "río", "ветер", "🌧", "data", "x"]


def names(n: int) -> np.ndarray:
    """Short names, 6-30 bytes: ``name-000123-süd`` and the like."""
    rng = np.random.default_rng(1)
    pick = rng.integers(0, len(WORDS), size=n)
    reps = rng.integers(0, 3, size=n)
    return np.array(
        [f"name-{i:06d}-" + WORDS[p] * r for i, (p, r) in enumerate(zip(pick, reps, strict=True))],
        dtype=STRING,
    )


def texts(n: int) -> np.ndarray:
    """Long texts, 100 B to 3 KB: words drawn at random, a few of them not ASCII."""
    rng = np.random.default_rng(2)
    lengths = rng.integers(15, 400, size=n)
    return np.array(
        [" ".join(WORDS[k] for k in rng.integers(0, len(WORDS), size=m)) for m in lengths],
        dtype=STRING,
    )


def utf8_bytes(values: np.ndarray) -> int:
    return int(np.strings.str_len(np.strings.encode(values, "utf-8")).sum())


def same(got: Any, want: np.ndarray, what: str) -> None:
    got_list = got.tolist() if hasattr(got, "tolist") else got.to_pylist()
    if got_list != want.tolist():
        raise AssertionError(f"{what}: values differ")


def timed(f: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = f()
    return time.perf_counter() - t0, out


# --- the libraries -------------------------------------------------------------------------------


class Writer:
    def __init__(self, label: str, write: Callable[[str, np.ndarray, int], Callable[[], None]]):
        self.label, self.write = label, write


def zarrbridge_writer(objects: bool) -> Callable[[str, np.ndarray, int], Callable[[], None]]:
    def prepare(path: str, data: np.ndarray, chunk: int) -> Callable[[], None]:
        import zarrbridge as zb

        arr = zb.sync.create_array(
            path, shape=data.shape, chunks=(chunk,), dtype=str,
            compressors=[{"name": "zstd", "configuration": {"level": 1, "checksum": False}}],
        )  # fmt: skip
        given = data.astype(object) if objects else data
        return lambda: zb.sync.write_region(arr, ..., given)

    return prepare


def zarr_python_writer(
    pipeline: str | None,
) -> Callable[[str, np.ndarray, int], Callable[[], None]]:
    def prepare(path: str, data: np.ndarray, chunk: int) -> Callable[[], None]:
        import zarr
        from zarr.codecs import ZstdCodec

        with zarr.config.set({"codec_pipeline.path": pipeline or _DEFAULT_PIPELINE}):
            arr = zarr.create_array(
                path, shape=data.shape, chunks=(chunk,), dtype=str,
                compressors=ZstdCodec(level=1, checksum=False),
            )  # fmt: skip

        def write() -> None:
            with zarr.config.set({"codec_pipeline.path": pipeline or _DEFAULT_PIPELINE}):
                arr[...] = data

        return write

    return prepare


_DEFAULT_PIPELINE = "zarr.core.codec_pipeline.BatchedCodecPipeline"


def zarrbridge_reader(mode: str) -> Callable[[str], Callable[[], Any]]:
    def prepare(path: str) -> Callable[[], Any]:
        import zarrbridge as zb

        arr = zb.sync.open_array(path)
        if mode == "arrow":
            import pyarrow as pa

            return lambda: pa.array(zb.sync.read_region_arrow(arr))
        return lambda: zb.sync.read_region(arr, vlen=mode)  # type: ignore[arg-type]

    return prepare


def zarr_python_reader(pipeline: str | None) -> Callable[[str], Callable[[], Any]]:
    def prepare(path: str) -> Callable[[], Any]:
        import zarr

        with zarr.config.set({"codec_pipeline.path": pipeline or _DEFAULT_PIPELINE}):
            arr = zarr.open_array(path, mode="r")

        def read() -> Any:
            with zarr.config.set({"codec_pipeline.path": pipeline or _DEFAULT_PIPELINE}):
                return arr[...]

        return read

    return prepare


def zarrista_reader(arrow: bool) -> Callable[[str], Callable[[], Any]]:
    def prepare(path: str) -> Callable[[], Any]:
        import zarrista

        arr = zarrista.Array.open(zarrista.store.FilesystemStore(path), "/")
        if arrow:
            import pyarrow as pa

            return lambda: pa.array(arr[...])
        return lambda: arr[...].to_numpy()

    return prepare


def available(module: str) -> str | None:
    try:
        __import__(module)
    except ImportError as e:
        return f"cannot import {module}: {e}"
    return None


# --- the case ------------------------------------------------------------------------------------


def _rows_write(work: str, data: np.ndarray, chunk: int, nbytes: int) -> list[tuple[Row, Rep]]:
    import zarr

    writers = [
        ("zarrbridge", "zarrbridge (StringDType data)", zarrbridge_writer(False), None),
        ("zarrbridge-objects", "zarrbridge (object data)", zarrbridge_writer(True), None),
        ("zarr", "zarr-python", zarr_python_writer(None), available("zarr")),
        (
            "zarr-zarrs",
            "zarr-python + zarrs pipeline",
            zarr_python_writer("zarrs.ZarrsCodecPipeline"),
            available("zarrs"),
        ),
    ]
    out: list[tuple[Row, Rep]] = []
    for key, label, prepare, missing in writers:
        row = Row(key=key, label=label, nbytes=nbytes, error=missing)
        path = os.path.join(work, f"w-{key}")

        def rep(check: bool, prepare: Any = prepare, path: str = path) -> float:
            shutil.rmtree(path, ignore_errors=True)
            write = prepare(path, data, chunk)
            t, _ = timed(write)
            if check:
                same(zarr.open_array(path, mode="r")[...], data, f"{path} read by zarr-python")
            return t

        out.append((row, rep))
    for key, label, why in [
        ("zarrista", "zarrista", "zarrista 0.1.0 writes no numpy strings"),
        ("tensorstore", "tensorstore", "no variable-length strings in tensorstore's Zarr drivers"),
    ]:
        out.append((Row(key=key, label=label, error=why), lambda check: 0.0))
    return out


def _rows_read(path: str, data: np.ndarray, nbytes: int) -> list[tuple[Row, Rep]]:
    readers = [
        ("zarrbridge", "zarrbridge -> StringDType", zarrbridge_reader("numpy"), None),
        ("zarrbridge-objects", "zarrbridge -> objects (vlen='object')", zarrbridge_reader("object"), None),
        ("zarrbridge-arrow", "zarrbridge -> Arrow (read_region_arrow)", zarrbridge_reader("arrow"), available("pyarrow")),
        ("zarr", "zarr-python -> StringDType", zarr_python_reader(None), available("zarr")),
        ("zarr-zarrs", "zarr-python + zarrs pipeline -> StringDType", zarr_python_reader("zarrs.ZarrsCodecPipeline"), available("zarrs")),
        ("zarrista", "zarrista -> to_numpy()", zarrista_reader(False), available("zarrista")),
        ("zarrista-arrow", "zarrista -> Arrow", zarrista_reader(True), available("zarrista") or available("pyarrow")),
    ]  # fmt: skip
    out: list[tuple[Row, Rep]] = []
    for key, label, prepare, missing in readers:
        row = Row(key=key, label=label, nbytes=nbytes, error=missing)

        def rep(check: bool, prepare: Any = prepare, label: str = label) -> float:
            read = prepare(path)
            t, got = timed(read)
            if check:
                same(got, data, label)
            return t

        out.append((row, rep))
    out.append(
        (
            Row(key="tensorstore", label="tensorstore", error="no variable-length strings"),
            lambda check: 0.0,
        )
    )
    return out


def _rows_construct(data: np.ndarray, nbytes: int) -> list[tuple[Row, Rep]]:
    """Ways of making a StringDType array from (offsets, UTF-8 bytes) already in memory."""
    import zarrbridge as zb

    arr = zb.sync.create_array("memory://bench-s-construct", "a", shape=data.shape, dtype=str)
    zb.sync.write_region(arr, ..., data)
    buf = zb.sync.read_region_arrow(arr)  # the decoded values, owned by Rust

    def fill() -> np.ndarray:
        out = np.empty(len(buf), dtype=STRING)
        buf.fill_strings(out)
        return out

    def via_list() -> np.ndarray:
        return np.array(buf.to_list(), dtype=STRING)

    def via_pyarrow() -> np.ndarray:
        import pyarrow as pa

        return pa.array(buf).to_numpy(zero_copy_only=False).astype(STRING)

    def via_numpy_vectorised() -> np.ndarray:
        import pyarrow as pa

        # Only to get at the offsets and bytes as numpy arrays (no copy).
        a = pa.array(buf)
        offsets = np.frombuffer(a.buffers()[1], dtype=np.int64)[: len(a) + 1]
        raw = np.frombuffer(a.buffers()[2], dtype=np.uint8)
        lengths = np.diff(offsets)
        width = int(lengths.max()) if len(lengths) else 1
        cols = np.arange(width)
        take = np.minimum(offsets[:-1, None] + cols, max(len(raw) - 1, 0))
        matrix = np.where(cols < lengths[:, None], raw[take], 0).astype(np.uint8)
        fixed = matrix.view(f"S{width}")[:, 0]  # trailing NULs of a value are lost here
        return np.strings.decode(fixed, "utf-8").astype(STRING)

    ways = [
        ("fill", "zarrbridge: numpy C API (NpyString_pack), no Python objects", fill),
        ("list", "list of str, then np.array(..., StringDType)", via_list),
        ("pyarrow", "pyarrow: to_numpy(zero_copy_only=False).astype(StringDType)", via_pyarrow),
        ("numpy", "numpy vectorised: bytes matrix -> S -> np.strings.decode -> StringDType", via_numpy_vectorised),
    ]  # fmt: skip
    out: list[tuple[Row, Rep]] = []
    for key, label, make in ways:
        row = Row(key=key, label=label, kind="reference", nbytes=nbytes)

        def rep(check: bool, make: Any = make, label: str = label) -> float:
            t, got = timed(make)
            if check:
                same(got, data, label)
            return t

        out.append((row, rep))
    return out


def case_s(ctx: Any, run_table: Callable[[Any, Table, list[tuple[Row, Rep]]], Table]) -> None:
    quick = ctx.args.quick
    datasets = [
        ("names", names(10**5 if quick else 10**6), 10**4 if quick else 10**5),
        ("texts", texts(10**4 if quick else 10**5), 10**3 if quick else 10**4),
    ]
    ratios: dict[str, float] = {}
    for name, data, chunk in datasets:
        n, nbytes = len(data), utf8_bytes(data)
        desc = f"{n:,} strings ({nbytes / 1e6:.1f} MB of UTF-8), chunks of {chunk:,}, zstd 1"
        work = os.path.join(ctx.work, f"s-{name}")
        os.makedirs(work, exist_ok=True)
        reference = os.path.join(work, "reference")
        zarr_python_writer(None)(reference, data, chunk)()
        tables = [
            (f"s-write-{name}", f"write {name} — {desc}", _rows_write(work, data, chunk, nbytes)),
            (f"s-read-{name}", f"read {name} written by zarr-python — {desc}", _rows_read(reference, data, nbytes)),
        ]  # fmt: skip
        if name == "names":
            tables.append(
                (
                    "s-numpy",
                    f"a numpy StringDType array from decoded (offsets, UTF-8 bytes) — {desc}",
                    _rows_construct(data, nbytes),
                )
            )
        for key, title, entries in tables:
            table = Table(key, title)
            table.notes.append("one call per run; data generated before, outside the timer")
            run_table(ctx, table, entries)
            rates = [
                f"{r.label}: {n / r.median / 1e6:.2f} M strings/s, {nbytes / r.median / 1e6:.0f} MB/s"
                for r in table.rows
                if r.ok
            ]
            table.notes.append("strings/s and MB/s (medians): " + "; ".join(rates))
            print("- " + table.notes[-1], flush=True)
            ours, theirs = table.row("zarrbridge"), table.row("zarr")
            if ours and theirs:
                ratios[key] = theirs.median / ours.median
        shutil.rmtree(work, ignore_errors=True)
    for key, ratio in ratios.items():
        ctx.targets.append(
            Target("s", f"{key}: zarrbridge >= 5x zarr-python", ratio >= 5, f"{ratio:.1f}x")
        )
