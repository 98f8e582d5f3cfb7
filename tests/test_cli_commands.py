"""``zarrbridge info``, ``tree`` and ``cat`` and the error contract, run as the installed console
script in a child process (real exit codes) on file and S3 (moto) stores, and through
``zarrbridge.cli.main`` in this process for memory stores (which live in one process). What
they print is checked against zarr-python's view of the same data."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import zarr
import zarrbridge as zb
from cli import env, run, s3_args
from servers import ACCESS_KEY, SECRET_KEY, S3Server, _EchoingHandler
from zarr.codecs import ZstdCodec
from zarrbridge import sync as zbs
from zarrbridge.cli import main


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    """A zarr-python group: a compressed 2-d array with attributes, a sharded one with two of
    its four shards written, a v2 array below a subgroup."""
    root = tmp_path / "data.zarr"
    g = zarr.open_group(zarr.storage.LocalStore(root), mode="w")
    t = g.create_array(
        "temps",
        shape=(6, 8),
        chunks=(3, 4),
        dtype="float32",
        compressors=ZstdCodec(level=3),
        attributes={"units": "K"},
        dimension_names=("y", "x"),
        fill_value=-1.0,
    )
    t[:] = np.arange(48, dtype="float32").reshape(6, 8)
    s = g.create_array("sharded", shape=(8, 8), chunks=(2, 2), shards=(4, 4), dtype="uint8")
    s[:4] = 1
    sub = zarr.open_group(zarr.storage.LocalStore(root / "sub"), mode="w", zarr_format=2)
    v2 = sub.create_array("old", shape=(5,), chunks=(2,), dtype="int16", fill_value=0)
    v2[:] = [1, 2, 3, 4, 5]
    return root


def test_info_json_matches_what_zarr_python_reads_and_counts_stored_chunks(
    dataset: Path,
) -> None:
    done = run("info", f"{dataset}#temps", "--json")
    assert done.returncode == 0, done.stderr
    facts = json.loads(done.stdout)
    z = zarr.open_array(zarr.storage.LocalStore(dataset), path="temps", mode="r")
    assert facts["shape"] == list(z.shape) and facts["chunks"] == list(z.chunks)
    assert facts["dtype"] == str(z.dtype) and facts["fill_value"] == -1.0
    assert facts["attributes"] == {"units": "K"} and facts["dimension_names"] == ["y", "x"]
    assert [c["name"] for c in facts["codecs"]] == ["bytes", "zstd"]
    on_disk = [p for p in (dataset / "temps" / "c").rglob("*") if p.is_file()]
    assert facts["chunks_stored"] == facts["chunks_total"] == len(on_disk) == 4
    assert facts["stored_bytes"] == sum(p.stat().st_size for p in on_disk)
    assert facts["ratio"] == round(6 * 8 * 4 / facts["stored_bytes"], 3)


def test_info_shows_shards_and_the_chunks_present_in_human_form(dataset: Path) -> None:
    done = run("info", f"{dataset}#sharded")
    assert done.returncode == 0, done.stderr
    rows = dict(
        line.strip().split(None, 1) for line in done.stdout.splitlines()[1:] if line.strip()
    )
    assert rows["shape"] == "(8, 8)" and rows["chunks"] == "(2, 2)"
    assert rows["shards"] == "(4, 4)" and rows["dtype"] == "uint8"
    assert rows["stored"].startswith("2/4 chunks")  # two shards written
    assert rows["codecs"].startswith("sharding_indexed(chunks=(2, 2)")


def test_info_of_a_group_lists_its_children(dataset: Path) -> None:
    facts = json.loads(run("info", str(dataset), "--json").stdout)
    assert facts["node_type"] == "group"
    assert facts["arrays"] == ["sharded", "temps"] and facts["groups"] == ["sub"]


def test_tree_shows_every_node_with_shape_and_dtype(dataset: Path) -> None:
    done = run("tree", str(dataset))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "/",
        "├── sharded  uint8 (8, 8) chunks (2, 2) shards (4, 4)",
        "├── sub/",
        "│   └── old  int16 (5,) chunks (2,)",
        "└── temps  float32 (6, 8) chunks (3, 4)",
    ]


@pytest.mark.filterwarnings("ignore:Consolidated metadata is currently not part")
def test_tree_lists_from_consolidated_metadata_when_present(tmp_path: Path) -> None:
    root = tmp_path / "c.zarr"
    g = zarr.open_group(zarr.storage.LocalStore(root), mode="w")
    g.create_array("a", shape=(2,), dtype="i1")
    zarr.consolidate_metadata(zarr.storage.LocalStore(root))
    # The array's own document is gone: only the consolidated metadata still knows it.
    (root / "a" / "zarr.json").unlink()
    done = run("tree", str(root))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["/", "└── a  int8 (2,) chunks (2,)"]


@pytest.mark.parametrize(
    "selection", ["[1:5, ::3]", "[2]", "[..., -1]", "[-2:, 1:7:2]", ""], ids=repr
)
def test_cat_prints_the_selection_as_numpy_does(dataset: Path, selection: str) -> None:
    done = run("cat", f"{dataset}#temps{selection}")
    assert done.returncode == 0, done.stderr
    data = zarr.open_array(zarr.storage.LocalStore(dataset), path="temps", mode="r")[:]
    expected = eval(f"data{selection}") if selection else data  # a literal from this test
    assert done.stdout == f"{expected}\n"


def test_cat_of_a_v2_array_below_a_group(dataset: Path) -> None:
    done = run("cat", f"{dataset}#sub/old")
    assert (done.returncode, done.stdout) == (0, "[1 2 3 4 5]\n"), done.stderr


def test_memory_stores_work_through_main(capsys: pytest.CaptureFixture[str]) -> None:
    a = zbs.create_array("memory://cli-commands", "m", shape=(4,), dtype="int32", chunks=2)
    a[:] = [5, 6, 7, 8]
    assert main(["cat", "memory://cli-commands#m[::2]"]) == 0
    assert capsys.readouterr().out == "[5 7]\n"
    assert main(["cp", "-q", "memory://cli-commands#m", "memory://cli-commands-2#n"]) == 0
    np.testing.assert_array_equal(zbs.open_array("memory://cli-commands-2", "n")[:], a[:])
    assert main(["tree", "memory://cli-commands"]) == 0
    assert "m  int32 (4,) chunks (2,)" in capsys.readouterr().out


def test_info_tree_and_cat_on_s3_with_options(s3_server: S3Server) -> None:
    url = f"s3://{s3_server.new_bucket()}/data"
    store = zb.Store.from_url(url, **s3_server.options())
    a = zbs.create_array(store, "g/a", shape=(3, 3), dtype="float64", chunks=(2, 2))
    a[:] = np.eye(3)  # two of the four chunks hold only the fill value: not stored
    options = s3_args(s3_server)
    facts = json.loads(run("info", f"{url}#g/a", "--json", *options).stdout)
    assert facts["chunks_stored"] == 2 and facts["shape"] == [3, 3]
    assert (
        run("tree", url, *options)
        .stdout.splitlines()[-1]
        .endswith("a  float64 (3, 3) chunks (2, 2)")
    )
    assert run("cat", f"{url}#g/a[1]", *options).stdout == f"{np.eye(3)[1]}\n"


# --------------------------------------------------------------------------------------------
# errors: one line, an exit code per class, --verbose shows the chain, no secrets
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "code", "name"),
    [
        (["info", "{root}#missing"], 3, "NodeNotFoundError"),
        (["cp", "{root}#temps", "{root}#temps"], 4, "NodeExistsError"),
        (["info", "{root}#a/../b"], 5, "InvalidPathError"),
        (["info", "s3://bucket/x", "--option", "no_such_option=1"], 6, "InvalidOptionError"),
        (["cat", "{root}#temps[9]"], 8, "SelectionError"),
        (["cp", "{root}#temps", "{root}#other", "--shards", "5,5"], 7, "MetadataError"),
        (["cat", "{root}#temps[0:1"], 2, "ValueError"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_an_error_is_one_line_with_the_exit_code_of_its_class(
    dataset: Path, args: list[str], code: int, name: str
) -> None:
    done = run(*(a.format(root=dataset) for a in args))
    assert done.returncode == code, done.stderr
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"zarrbridge: {name}: "), done.stderr


def test_a_read_over_the_memory_limit_exits_14(dataset: Path) -> None:
    done = run("cat", f"{dataset}#temps", env=env(ZARRBRIDGE_MEMORY_LIMIT="64"))
    assert done.returncode == 14, done.stderr
    assert done.stderr.startswith("zarrbridge: ResourceError: ")


def test_a_caught_panic_exits_as_a_bug_not_as_a_library_error() -> None:
    from zarrbridge.cli._exit import UNEXPECTED, exit_code
    from zarrbridge.errors import InternalError, ZarrBridgeError

    assert exit_code(InternalError("a panic caught at the boundary")) == UNEXPECTED == 70
    assert exit_code(ZarrBridgeError("another library error")) == 13


def test_usage_errors_exit_2_and_no_command_prints_help() -> None:
    assert run("frobnicate").returncode == 2
    done = run()
    assert done.returncode == 2 and "conformance runner" in done.stderr


def test_verbose_shows_the_chain_of_causes(dataset: Path) -> None:
    (dataset / "temps" / "zarr.json").write_text("{not json")
    quiet, verbose = run("info", f"{dataset}#temps"), run("info", f"{dataset}#temps", "-v")
    assert quiet.returncode == verbose.returncode == 7
    assert len(quiet.stderr.splitlines()) == 1
    causes = verbose.stderr.splitlines()[1:]
    assert causes and all(line.startswith("  caused by ") for line in causes), verbose.stderr


@pytest.fixture
def hostile_server() -> Iterator[str]:
    """servers.py's hostile server, for this test only (no thread outlives it)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _EchoingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_credentials_never_reach_the_error_output(hostile_server: str) -> None:
    # The server answers 503 then 403 and echoes the request's signature and token back.
    secret_token = "TOKEN-SECRET-0123456789"
    for verbose in ([], ["-v"]):
        done = run(
            "info",
            "s3://bucket/data",
            "--option",
            f"endpoint={hostile_server}",
            "--option",
            f"access_key_id={ACCESS_KEY}",
            "--option",
            f"secret_access_key={SECRET_KEY}",
            "--option",
            f"token={secret_token}",
            "--client-option",
            "allow_http=true",
            "--retry",
            "max_retries=0",
            *verbose,
        )
        assert done.returncode == 12, done.stderr
        assert "StoreError" in done.stderr
        for secret in (SECRET_KEY, secret_token, ACCESS_KEY):
            assert secret not in done.stderr + done.stdout
