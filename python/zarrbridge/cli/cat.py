"""``zarrbridge cat URL#path[SELECTION]``: a selection of an array printed as numpy prints it;
and the conformance-runner mode, ``zarrbridge --array_path=PATH``.

The conformance mode follows the contract of Bisaloo/zarr-conformance-tests (``tests.bats``:
``$ZARR_CLI --array_path=$ZARR_CONFORMANCE_DATA/<name>.zarr`` must exit 0 after reading the
whole array) and prints what zarrs' runner prints: every element in C order, one per line, in
Zarr's JSON form of a fill value (``NaN``, ``Infinity`` for those floats).
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any

import numpy as np

from zarrbridge import Array, Store
from zarrbridge import sync as zbs
from zarrbridge.cli._target import StoreOptions, Target

__all__ = ["conformance", "element_json", "run"]


def run(target: Target, options: StoreOptions, *, full: bool) -> int:
    node = zbs.open_array(options.open(target.url), target.path)
    selection: Any = ... if target.selection is None else target.selection
    data = zbs.read_region(node, selection)
    with np.printoptions(threshold=sys.maxsize if full else 1000):
        print(data)
    return 0


def element_json(value: Any) -> str:
    """One element (a numpy or Python scalar) as Zarr writes a fill value in JSON; floats in
    the shortest form that reads back as the same value of their own precision.

    Example:
        >>> import numpy as np
        >>> from zarrbridge.cli.cat import element_json
        >>> values = (np.bool_(True), np.int64(3), np.float32(0.1), np.float64("nan"), -np.inf)
        >>> [element_json(v) for v in values] + [element_json(np.complex64(2 + 1j))]
        ['true', '3', '0.1', '"NaN"', '"-Infinity"', '[2.0, 1.0]']
    """
    if isinstance(value, (complex, np.complexfloating)):
        return f"[{element_json(value.real)}, {element_json(value.imag)}]"
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return '"NaN"'
        if math.isinf(value):
            return '"Infinity"' if value > 0 else '"-Infinity"'
        text = str(value)
        return text if any(c in text for c in ".en") else f"{text}.0"
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return json.dumps(value)


def conformance(array_path: str) -> int:
    """Read the whole array stored at the directory ``array_path`` and print its elements."""
    array: Array = zbs.open_array(Store.from_url(array_path), "")
    data = zbs.read_region(array)
    out = sys.stdout
    out.writelines(element_json(value) + "\n" for value in data.ravel(order="C"))
    return 0
