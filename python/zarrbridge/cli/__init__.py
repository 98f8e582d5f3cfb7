"""The ``zarrbridge`` console script: inspect, copy, verify and print Zarr data in any store.

A thin layer over the public API (:func:`zarrbridge.open_node`, :func:`zarrbridge.copy`,
:func:`zarrbridge.read_chunk`, progress callbacks, :func:`zarrbridge.io_stats`): every Zarr
rule lives in the library. ``zarrbridge --help`` lists the commands; docs/cli.md has the
details and the exit codes.

Example:
    >>> from zarrbridge.cli import main
    >>> import zarrbridge as zb
    >>> _ = zb.sync.create_array("memory://cli-doc", "a", shape=(3,), dtype="i1", fill_value=7)
    >>> main(["cat", "memory://cli-doc#a[1:]"])
    [7 7]
    0
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from zarrbridge.cli import _exit
from zarrbridge.cli._progress import Display
from zarrbridge.cli._target import StoreOptions, parse_target

__all__ = ["main"]

_EPILOG = """\
URL is a path, file://, memory://, s3://, gs://, az:// or http(s):// URL; #path names a node
inside it (the root when absent). Credentials come from --option or the environment
(AWS_*, GOOGLE_*, AZURE_*), as in zarrbridge.Store.from_url.

exit codes: 0 ok, 1 verify found problems, 2 usage, 3 node not found, 4 node exists,
5 invalid path, 6 invalid option, 7 metadata, 8 chunk index/selection, 9 unsupported,
10 codec or checksum, 11 invalid data, 12 store, 13 other zarrbridge error,
14 memory limit, 70 unexpected error, 130 interrupted (Ctrl-C).

conformance runner (Bisaloo/zarr-conformance-tests): zarrbridge --array_path=PATH prints
the array's elements in C order, one per line.
"""


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-o",
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an object-store setting (obstore's config names: region, endpoint, ...)",
    )
    common.add_argument(
        "--client-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an HTTP client setting (allow_http, timeout, ...)",
    )
    common.add_argument(
        "--retry",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a retry setting (max_retries, retry_timeout, backoff.base, ...)",
    )
    common.add_argument("-v", "--verbose", action="store_true", help="show an error's causes")
    long_running = argparse.ArgumentParser(add_help=False)
    long_running.add_argument("-q", "--quiet", action="store_true", help="no progress display")
    long_running.add_argument(
        "--progress-interval",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="seconds between progress lines when stderr is not a terminal (default 5)",
    )

    parser = argparse.ArgumentParser(
        prog="zarrbridge",
        description="Inspect, copy, verify and print Zarr (v2 and v3) data in any store.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument("--array_path", metavar="PATH", help="conformance-runner mode (see below)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    info = commands.add_parser("info", parents=[common], help="one node's metadata")
    info.add_argument("target", metavar="URL[#path]")
    info.add_argument("--json", action="store_true", help="print JSON")

    tree = commands.add_parser("tree", parents=[common], help="the hierarchy below a node")
    tree.add_argument("target", metavar="URL[#path]")
    tree.add_argument("--depth", type=int, default=None, help="levels of groups to descend")

    cp = commands.add_parser(
        "cp", parents=[common, long_running], help="copy an array or a group to another store"
    )
    cp.add_argument("source", metavar="SRC[#path]")
    cp.add_argument("destination", metavar="DST[#path]")
    cp.add_argument("--chunks", metavar="N,N,...", help="re-chunk (inner chunks when sharded)")
    cp.add_argument("--shards", metavar="N,N,...|none", help="re-shard, or none")
    cp.add_argument(
        "--codecs",
        metavar="SPEC",
        help="new compressors: none, NAME[:key=value,...] (zstd:level=3) or JSON",
    )
    cp.add_argument("--zarr-format", type=int, choices=(2, 3), help="write Zarr v2 or v3")
    cp.add_argument("--overwrite", action="store_true", help="replace a node at DST")
    cp.add_argument(
        "--resume", action="store_true", help="finish an interrupted copy (skip stored chunks)"
    )

    verify = commands.add_parser(
        "verify", parents=[common, long_running], help="read every chunk and report failures"
    )
    verify.add_argument("target", metavar="URL[#path]")
    verify.add_argument(
        "--sample",
        type=float,
        default=None,
        metavar="N|FRACTION",
        help="read N chunks per array (or a fraction of them), chosen at random",
    )
    verify.add_argument("--seed", type=int, default=0, help="seed of --sample's choice")
    verify.add_argument(
        "--concurrency", type=int, default=32, help="chunks read at once (default 32)"
    )
    verify.add_argument(
        "--require-all",
        action="store_true",
        help="a chunk the store does not hold (read as the fill value) is a failure",
    )

    cat = commands.add_parser("cat", parents=[common], help="print a selection of an array")
    cat.add_argument("target", metavar="URL#path[SELECTION]")
    cat.add_argument("--full", action="store_true", help="print every element (no '...')")

    commands.add_parser("conformance", help="same as --array_path").add_argument(
        "--array_path", metavar="PATH", required=True, dest="conformance_path"
    )
    return parser


def _run(args: argparse.Namespace) -> int:
    from zarrbridge.cli import cat, cp, info, tree, verify

    if args.command == "conformance":
        return cat.conformance(args.conformance_path)
    options = StoreOptions.parse(args.option, args.client_option, args.retry)
    if args.command == "info":
        return info.run(parse_target(args.target), options, as_json=args.json)
    if args.command == "tree":
        return tree.run(parse_target(args.target), options, depth=args.depth)
    if args.command == "cat":
        return cat.run(parse_target(args.target, selection=True), options, full=args.full)
    label = "copy" if args.command == "cp" else "verify"
    display = Display(label, interval=args.progress_interval, enabled=not args.quiet)
    if args.command == "cp":
        return cp.run(
            parse_target(args.source),
            parse_target(args.destination),
            options,
            chunks=args.chunks,
            shards=args.shards,
            codecs=args.codecs,
            zarr_format=args.zarr_format,
            overwrite=args.overwrite,
            resume=args.resume,
            display=display,
        )
    return verify.run(
        parse_target(args.target),
        options,
        sample=args.sample,
        seed=args.seed,
        concurrency=args.concurrency,
        require_all=args.require_all,
        display=display,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (``sys.argv[1:]`` when ``None``); return the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    verbose = bool(getattr(args, "verbose", False))
    try:
        if args.version:
            import zarrbridge

            print(f"zarrbridge {zarrbridge.__version__}")
            return 0
        if args.command is None:
            if args.array_path is None:
                parser.print_help(sys.stderr)
                return _exit.USAGE
            from zarrbridge.cli.cat import conformance

            return conformance(args.array_path)
        return _run(args)
    except KeyboardInterrupt:
        print("zarrbridge: interrupted", file=sys.stderr)
        return _exit.INTERRUPTED
    except BrokenPipeError:
        # `zarrbridge cat ... | head`: the reader left; nothing more to say.
        sys.stderr.close()
        return 0
    except Exception as error:
        return _exit.report(error, verbose=verbose)


def console() -> None:
    """The installed script's entry point."""
    code = main()
    if code == _exit.INTERRUPTED:
        # After Ctrl-C, the interpreter's normal finalization (freeing every module) took
        # 50-220 ms on a busy 2-core machine, 20 ms without it; the operation is cancelled
        # already and every store writes values whole, so nothing is left to finish.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
