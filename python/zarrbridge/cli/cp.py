"""``zarrbridge cp SRC DST``: an array or a group between any two stores, with
:func:`zarrbridge.copy` (stored chunks copied untouched unless ``--chunks``, ``--shards``,
``--codecs`` or ``--zarr-format`` ask for re-encoding; concurrent; ``--resume`` finishes an
interrupted copy).

Ctrl-C cancels the copy at the library's next await point: every store writes a value whole
(a file store renames a finished temporary file, an object store takes one PUT), so each chunk
at the destination is one complete version, and ``--resume`` picks up from there.
"""

from __future__ import annotations

import json
import time
from typing import Any

from zarrbridge import Array, Progress, io_stats
from zarrbridge import sync as zbs
from zarrbridge.cli._progress import Display, human_bytes
from zarrbridge.cli._target import StoreOptions, Target

__all__ = ["parse_codecs", "parse_shape", "run"]


def parse_shape(text: str | None, flag: str) -> Any:
    """``"keep"`` when not given, ``None`` for ``none``, else a tuple of ints (``"8,8"``).

    Example:
        >>> from zarrbridge.cli.cp import parse_shape
        >>> parse_shape("100,200", "--chunks"), parse_shape("none", "--shards")
        ((100, 200), None)
    """
    if text is None:
        return "keep"
    if text.lower() == "none":
        return None
    try:
        return tuple(int(part) for part in text.replace("x", ",").split(","))
    except ValueError:
        raise ValueError(f"{flag} takes sizes such as 64,64 (or none), not {text!r}") from None


def parse_codecs(text: str | None) -> Any:
    """``"keep"`` when not given; ``none``; JSON (a codec or a list of them); or
    ``name[:key=value,...]`` (``zstd:level=3``, ``gzip``).

    Example:
        >>> from zarrbridge.cli.cp import parse_codecs
        >>> parse_codecs("zstd:level=3")
        {'name': 'zstd', 'configuration': {'level': 3}}
    """
    if text is None:
        return "keep"
    if text.lower() == "none":
        return None
    if text.lstrip().startswith(("[", "{")):
        try:
            return json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"--codecs is not valid JSON: {e}") from None
    name, _, settings = text.partition(":")
    config: dict[str, Any] = {}
    for item in filter(None, settings.split(",")):
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--codecs settings are key=value, not {item!r}")
        try:
            config[key] = json.loads(value)
        except json.JSONDecodeError:
            config[key] = value
    return {"name": name, "configuration": config} if config else {"name": name}


def run(
    source: Target,
    destination: Target,
    options: StoreOptions,
    *,
    chunks: str | None,
    shards: str | None,
    codecs: str | None,
    zarr_format: int | None,
    overwrite: bool,
    resume: bool,
    display: Display,
) -> int:
    changes = {
        "chunks": parse_shape(chunks, "--chunks"),
        "shards": parse_shape(shards, "--shards"),
        "compressors": parse_codecs(codecs),
    }
    node = zbs.open_node(options.open(source.url), source.path)
    dest = options.open(destination.url)
    last = [Progress(0, 0, 0, 0)]

    def progress(p: Progress) -> None:
        last[0] = p
        display(p)

    start = time.perf_counter()
    with io_stats() as stats:
        try:
            copied = zbs.copy(
                node,
                dest,
                destination.path,
                zarr_format=zarr_format,
                overwrite=overwrite,
                resume=resume,
                progress=progress,
                **changes,
            )
        except BaseException:
            display.abandon()
            raise
    seconds = time.perf_counter() - start
    display.finish(last[0])
    p = last[0]
    kind = "array" if isinstance(copied, Array) else "group"
    print(
        f"copied {kind} {source} -> {destination}: {p.chunks_done} chunks, "
        f"{human_bytes(p.bytes_done)} of data ({human_bytes(stats.bytes_written)} written) "
        f"in {seconds:.2f} s ({human_bytes(p.bytes_done / max(seconds, 1e-9))}/s)"
    )
    return 0
