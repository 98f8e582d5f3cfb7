"""numpy and Python-type glue: user input as the plain values the native module takes.

No Zarr rule lives here: data types, fill values, specs, metadata and paths are judged in Rust.
What is here turns numpy scalars into Python ones, checks argument types (``TypeError``), and
brings data to write into the array's dtype and shape with numpy's broadcasting.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from types import EllipsisType
from typing import Any, SupportsIndex, TypeAlias, cast

import numpy as np
import numpy.typing as npt

from zarrbridge import _native as _ext
from zarrbridge.errors import ChunkIndexError, InvalidDataError, SelectionError, UnsupportedError

ShapeLike: TypeAlias = "SupportsIndex | Sequence[SupportsIndex]"
"""A shape: a sequence of ints, or a single int (for ``chunks``/``shards``: the same length in
every dimension)."""

CodecsLike: TypeAlias = Any
"""``"auto"``, ``None``, a codec (dict, zarr-python codec or numcodecs codec) or a list of them."""

CoordsLike: TypeAlias = "SupportsIndex | Sequence[SupportsIndex]"
"""Chunk coordinates in the stored chunk grid: a sequence of ints (one int for 1-d arrays)."""

IndexLike: TypeAlias = "SupportsIndex | slice | EllipsisType"
SelectionLike: TypeAlias = "IndexLike | tuple[IndexLike, ...]"
"""An int, a slice (any step), ``...``, or a tuple of those."""

NativeSelection: TypeAlias = "tuple[int | slice | EllipsisType, ...]"

# --- shapes ----------------------------------------------------------------------------------


def _index(value: object, what: str) -> int:
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{what} must hold ints, not bool")
    try:
        return operator.index(cast(SupportsIndex, value))
    except TypeError:
        raise TypeError(f"{what} must hold ints, not {type(value).__qualname__}") from None


def shape_arg(value: object, what: str) -> int | list[int] | None:
    """A shape argument as Python ints: one int (the same length in every dimension), a list of
    ints, or ``None`` (checked further in Rust).

    Raises:
        TypeError: an item is not an integer.
    """
    if value is None:
        return None
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [_index(v, what) for v in value]
    return _index(value, what)


def dtype_str(dtype: npt.DTypeLike) -> str:
    """numpy's type string of anything ``np.dtype`` accepts (``"<u2"``), for Rust to judge."""
    return np.dtype(dtype).str


def fill_arg(value: object) -> object:
    """A fill value with numpy scalars as Python scalars (Rust casts it to the array's type)."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    return value.item() if isinstance(value, np.generic) else value


def _codec_dict(codec: object, what: str) -> object:
    if isinstance(codec, Mapping):
        return dict(codec)
    if callable(getattr(codec, "to_dict", None)):  # zarr-python codec
        return codec.to_dict()  # type: ignore[attr-defined]
    if callable(getattr(codec, "get_config", None)):  # numcodecs codec
        return codec.get_config()  # type: ignore[attr-defined]
    raise TypeError(
        f"{what} must hold dicts, zarr-python codecs or numcodecs codecs, "
        f"not {type(codec).__qualname__}"
    )


def codecs_arg(codecs: CodecsLike, what: str, *, allow_auto: bool) -> object:
    """``"auto"`` (if allowed), ``None`` for no codecs, else a list of codec configurations
    (zarr-python's and numcodecs' codec objects describe themselves as dicts)."""
    if isinstance(codecs, str):
        if allow_auto and codecs == "auto":
            return "auto"
        expected = '"auto", None' if allow_auto else "None"
        raise TypeError(f"{what} must be {expected} or codecs, not {codecs!r}")
    if codecs is None:
        return None
    if isinstance(codecs, (list, tuple)):
        return [_codec_dict(c, what) for c in codecs] or None
    return [_codec_dict(codecs, what)]


def dimension_names_arg(names: object) -> list[str | None] | None:
    """Dimension names as a list of ``str | None``."""
    if names is None:
        return None
    if isinstance(names, (str, bytes)) or not isinstance(names, Sequence):
        raise TypeError(
            f"dimension_names must be a sequence of str or None, not {type(names).__qualname__}"
        )
    for name in names:
        if name is not None and not isinstance(name, str):
            raise TypeError(f"dimension_names must hold str or None, not {type(name).__qualname__}")
    return list(names)


# --- data, selections, coordinates ---------------------------------------------------------


def data_for_write(
    value: object, dtype: np.dtype[Any], shape: tuple[int, ...], kinds: str
) -> npt.NDArray[Any]:
    """A C-contiguous array of exactly ``dtype`` and ``shape`` holding ``value``.

    ``value`` follows numpy broadcasting and is cast if its dtype kind is one of ``kinds`` (the
    array's rule, from Rust: a kind family casts up, never down).

    Raises:
        InvalidDataError: the dtype kinds are incompatible, an integer does not fit the target
            integer type, or ``value`` does not broadcast to ``shape``.
    """
    if type(value) is np.ndarray:
        arr = value
    else:
        try:
            arr = np.asarray(value)
        except (ValueError, TypeError, OverflowError) as e:  # e.g. ragged nested lists
            raise InvalidDataError(f"cannot make an array of the data to write: {e}") from None
    src = arr.dtype
    if src == dtype and arr.shape == shape and arr.flags.c_contiguous:
        return arr
    if src.kind not in kinds:
        raise InvalidDataError(f"cannot write data of dtype {src} to an array of dtype {dtype}")
    if src.kind in "iu" and dtype.kind in "iu" and arr.size and not np.can_cast(src, dtype):
        info = np.iinfo(dtype)
        lo, hi = int(arr.min()), int(arr.max())
        if lo < info.min or hi > info.max:
            raise InvalidDataError(
                f"cannot write data of dtype {src} to an array of dtype {dtype}: values "
                f"[{lo}, {hi}] are outside [{info.min}, {info.max}]"
            )
    if arr.shape != shape:
        try:
            arr = np.broadcast_to(arr, shape)
        except ValueError:
            raise InvalidDataError(
                f"cannot broadcast data of shape {arr.shape} to the target shape {shape}"
            ) from None
    return np.asarray(arr, dtype=dtype, order="C")


def check_out(out: object, dtype: np.dtype[Any], shape: tuple[int, ...]) -> npt.NDArray[Any]:
    """Validate an ``out=`` array: C-contiguous, writeable, exactly ``dtype`` and ``shape``.

    Raises:
        TypeError: ``out`` is not a numpy array.
        InvalidDataError: ``out`` does not match.
    """
    if not isinstance(out, np.ndarray):
        raise TypeError(f"out must be a numpy array, not {type(out).__qualname__}")
    if out.dtype != dtype or out.shape != shape:
        raise InvalidDataError(
            f"out has dtype {out.dtype} and shape {out.shape}; expected dtype {dtype} "
            f"and shape {shape}"
        )
    if not out.flags.c_contiguous:
        raise InvalidDataError("out must be C-contiguous")
    if not out.flags.writeable:
        raise InvalidDataError("out must be writeable")
    return out


# Indices are passed to Rust as 64-bit integers. An index beyond that range is out of bounds of
# any array, and a slice bound beyond it selects the same as the largest 64-bit bound does.
_I64_MAX = 2**63 - 1


def _checked_index(index: int) -> int:
    if -_I64_MAX <= index <= _I64_MAX:
        return index
    raise SelectionError(f"index {index} is out of bounds")


def _slice_bound(value: object) -> int | None:
    if value is None:
        return None
    bound = _index(value, "slice bounds")
    return max(-_I64_MAX, min(bound, _I64_MAX))


def _selection_item(item: object) -> int | slice | EllipsisType:
    if type(item) is int:
        return _checked_index(item)
    if isinstance(item, slice):
        bounds = (item.start, item.stop, item.step)
        if all(v is None or (type(v) is int and -_I64_MAX <= v <= _I64_MAX) for v in bounds):
            return item
        return slice(*[_slice_bound(v) for v in bounds])
    if item is Ellipsis:
        return ...
    if item is None:
        raise UnsupportedError("np.newaxis (None) in a selection is not supported")
    if isinstance(item, (bool, np.bool_)):
        raise UnsupportedError("boolean indexing is not supported; use ints, slices and ...")
    if isinstance(item, np.ndarray) and item.ndim == 0 and item.dtype.kind in "iu":
        return _checked_index(int(item))
    if isinstance(item, (list, tuple, range, np.ndarray)):
        raise UnsupportedError(
            "fancy indexing (lists and arrays) is not supported; use ints, slices and ..."
        )
    try:
        return _checked_index(operator.index(cast(SupportsIndex, item)))
    except TypeError:
        raise TypeError(
            f"only ints, slices and ... are valid in a selection, not {type(item).__qualname__}"
        ) from None


def selection_tuple(selection: object) -> NativeSelection:
    """A selection as a tuple of Python ints, slices and Ellipsis (checked further in Rust).

    Raises:
        UnsupportedError: fancy indexing, boolean indexing or ``None``/``np.newaxis``.
        SelectionError: an int beyond the 64-bit range (out of bounds of any array).
        TypeError: any other non-index item.
    """
    items = selection if type(selection) is tuple else (selection,)
    return tuple([_selection_item(item) for item in items])


def coords_list(coords: object) -> list[int]:
    """Chunk coordinates (a sequence of ints, or one int) as a list of Python ints.

    Raises:
        TypeError: an item is not an integer.
        ChunkIndexError: a coordinate is negative (the grid has no negative indexing) or
            beyond any grid.
    """
    if isinstance(coords, (tuple, list)):
        result = [_index(c, "chunk coordinates") for c in coords]
    elif isinstance(coords, np.ndarray):
        result = [_index(c, "chunk coordinates") for c in coords.tolist()]
    else:
        result = [_index(coords, "chunk coordinates")]
    for c in result:
        if not 0 <= c <= _I64_MAX:
            raise ChunkIndexError(f"chunk coordinates {tuple(result)} are outside the chunk grid")
    return result


# --- native arguments and results ------------------------------------------------------------


def native_array(array: object) -> _ext.ArrayHandle:
    """The native handle of a :class:`zarrbridge.Array`.

    Raises:
        TypeError: ``array`` is not an Array.
    """
    native = getattr(array, "_native", None)
    if not isinstance(native, _ext.ArrayHandle):
        raise TypeError(f"expected a zarrbridge.Array, not {type(array).__qualname__}")
    return native


def as_buffer(arr: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """``arr`` as the native side takes buffers: C-contiguous, of the exact byte size. A 0-d
    array exports no shape through the buffer protocol, which it rejects; a 1-element view has
    the same bytes."""
    return arr.reshape(1) if arr.ndim == 0 else arr


def none(result: object) -> None:
    return None


def ndarray(buf: _ext.NdBuffer) -> npt.NDArray[Any]:
    """A decoded result as numpy array, zero copy (numpy views the Rust-owned buffer)."""
    return np.asarray(cast("npt.ArrayLike", buf))


def ndarrays(bufs: list[_ext.NdBuffer]) -> list[npt.NDArray[Any]]:
    return [np.asarray(cast("npt.ArrayLike", b)) for b in bufs]


def filled(out: npt.NDArray[Any], result: object) -> npt.NDArray[Any]:
    return out
