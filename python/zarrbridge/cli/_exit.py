"""Exit codes, one per error class, and the one-line error report.

The message printed is the exception's own (the library removes credentials from every
message it makes); ``--verbose`` adds the chain of causes below it.
"""

from __future__ import annotations

import sys
import traceback
from typing import TextIO

from zarrbridge import errors

__all__ = ["EXIT_CODES", "INTERRUPTED", "PROBLEMS_FOUND", "USAGE", "exit_code", "report"]

PROBLEMS_FOUND = 1
"""``verify`` found damaged (or, with ``--require-all``, missing) chunks."""
USAGE = 2
"""Bad command-line arguments (argparse's own code)."""
INTERRUPTED = 130
"""Ctrl-C (128 + SIGINT, as shells report it)."""
UNEXPECTED = 70
"""An exception no error class covers: a bug (sysexits' ``EX_SOFTWARE``)."""

# Most specific first: the first class an error is an instance of gives its code.
EXIT_CODES: tuple[tuple[type[BaseException], int], ...] = (
    (errors.NodeNotFoundError, 3),
    (errors.NodeExistsError, 4),
    (errors.InvalidPathError, 5),
    (errors.InvalidOptionError, 6),
    (errors.MetadataError, 7),
    (errors.SelectionError, 8),
    (errors.ChunkIndexError, 8),
    (errors.UnsupportedError, 9),
    (errors.ChecksumError, 10),
    (errors.CodecError, 10),
    (errors.InvalidDataError, 11),
    (errors.StoreError, 12),
    (errors.ResourceError, 14),
    # A panic caught at the boundary is a bug, like an exception no class covers.
    (errors.InternalError, UNEXPECTED),
    (errors.ZarrBridgeError, 13),
    (FileNotFoundError, 3),
    (FileExistsError, 4),
    (OSError, 12),
    # Arguments the library refuses before doing anything (a bad shape, a bad codec name).
    (ValueError, USAGE),
    (TypeError, USAGE),
)


def exit_code(error: BaseException) -> int:
    """The exit code for ``error``.

    Example:
        >>> from zarrbridge.cli._exit import exit_code
        >>> from zarrbridge.errors import NodeNotFoundError
        >>> exit_code(NodeNotFoundError("no array at 'a'"))
        3
    """
    for cls, code in EXIT_CODES:
        if isinstance(error, cls):
            return code
    return UNEXPECTED


def _chain(error: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and all(current is not e for e in seen):
        seen.append(current)
        if current.__cause__ is not None:
            current = current.__cause__
        elif current.__suppress_context__:
            current = None
        else:
            current = current.__context__
    return seen


def report(error: BaseException, *, verbose: bool, stream: TextIO | None = None) -> int:
    """Print ``error`` as one line (and its causes with ``verbose``); return its exit code."""
    out = sys.stderr if stream is None else stream
    code = exit_code(error)
    first = " ".join(str(error).split()) or "(no message)"
    print(f"zarrbridge: {type(error).__name__}: {first}", file=out)
    if verbose:
        for cause in _chain(error)[1:]:
            text = " ".join(str(cause).split()) or "(no message)"
            print(f"  caused by {type(cause).__name__}: {text}", file=out)
        if code == UNEXPECTED:
            traceback.print_exception(error, file=out)
    elif code == UNEXPECTED:
        print("  (an unexpected error: run again with --verbose for the traceback)", file=out)
    return code
