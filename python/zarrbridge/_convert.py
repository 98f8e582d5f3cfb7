"""Pure-Python conversion of user input into what the native module accepts.

No Zarr logic lives here beyond building the JSON spec of ``create_array``: metadata
validation, selection normalisation and path rules are done in Rust.
"""

from __future__ import annotations

import enum
import json
import math
import operator
from collections.abc import Mapping, Sequence
from types import EllipsisType
from typing import Any, SupportsIndex, TypeAlias, cast

import numpy as np
import numpy.typing as npt

from zarrbridge.errors import (
    ChunkIndexError,
    InvalidDataError,
    MetadataError,
    SelectionError,
    UnsupportedError,
)

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

# dtypes zarrbridge stores, as (kind, itemsize); strings, objects, datetimes, structured types
# and extended precision are not supported (yet).
_SUPPORTED_DTYPES = frozenset(
    [("b", 1)]
    + [(k, n) for k in "iu" for n in (1, 2, 4, 8)]
    + [("f", 2), ("f", 4), ("f", 8), ("c", 8), ("c", 16)]
)

# Source dtype kind -> target dtype kinds it may be written to.
_WRITABLE_KINDS = {
    "b": "b",
    "i": "iufc",
    "u": "iufc",
    "f": "fc",
    "c": "c",
}


# --- JSON ---------------------------------------------------------------------------------


def _json_default(obj: object) -> object:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, enum.Enum):  # zarr-python codec configurations hold enums
        return obj.value
    raise TypeError(f"{type(obj).__qualname__} is not JSON serialisable")


def to_json(obj: object, what: str) -> str:
    """Encode ``obj`` as strict JSON (numpy scalars allowed; NaN and infinities are not).

    Raises:
        TypeError: ``obj`` cannot be encoded; the message names ``what``.
    """
    try:
        return json.dumps(obj, allow_nan=False, default=_json_default)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{what} must be JSON-serialisable: {e}") from None


def attributes_dict(attributes: object, what: str = "attributes") -> dict[str, Any]:
    """Check that ``attributes`` is a JSON-able dict with string keys and return a plain copy."""
    if not isinstance(attributes, Mapping):
        raise TypeError(f"{what} must be a dict, not {type(attributes).__qualname__}")
    for key in attributes:
        if not isinstance(key, str):
            raise TypeError(f"{what} keys must be str, not {type(key).__qualname__}")
    result: dict[str, Any] = json.loads(to_json(dict(attributes), what))
    return result


def attributes_json(attributes: object, what: str = "attributes") -> str:
    """JSON text of a user attributes dict (``None`` means no attributes: ``{}``)."""
    if attributes is None:
        return "{}"
    return to_json(attributes_dict(attributes, what), what)


def metadata_json(metadata: object) -> str:
    """JSON text of a user-given Zarr metadata document (``zarr.json`` or ``.zarray`` dict).

    A non-finite or complex ``fill_value`` given as a number (as in zarr-python's metadata
    dicts) is encoded the Zarr way (``"NaN"``, ``"Infinity"``, ``[re, im]``).
    """
    if not isinstance(metadata, Mapping):
        raise TypeError(f"metadata must be a dict, not {type(metadata).__qualname__}")
    doc = dict(metadata)
    fill = doc.get("fill_value")
    if fill is not None and not isinstance(fill, (str, list)):
        doc["fill_value"] = fill_value_json(fill)
    return to_json(doc, "metadata")


# --- create_array spec --------------------------------------------------------------------


def _index(value: object, what: str) -> int:
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{what} must hold ints, not bool")
    try:
        return operator.index(cast(SupportsIndex, value))
    except TypeError:
        raise TypeError(f"{what} must hold ints, not {type(value).__qualname__}") from None


def shape_list(value: ShapeLike, what: str, ndim: int | None = None) -> list[int]:
    """A shape as a list of ints; a single int is repeated ``ndim`` times (1 if unknown)."""
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [_index(v, what) for v in value]
    if isinstance(value, np.ndarray):
        return [_index(v, what) for v in value.tolist()]
    return [_index(value, what)] * (1 if ndim is None else ndim)


def native_dtype(dtype: npt.DTypeLike) -> np.dtype[Any]:
    """``np.dtype(dtype)``, rejecting the dtypes zarrbridge cannot store.

    Raises:
        UnsupportedError: strings, bytes, objects, datetimes, structured or extended types.
    """
    dt = np.dtype(dtype)
    if (dt.kind, dt.itemsize) not in _SUPPORTED_DTYPES or dt.fields is not None:
        raise UnsupportedError(
            f"dtype {dt} is not supported; use bool, (u)int8-64, float16/32/64 or complex64/128"
        )
    return dt


def _float_json(x: float) -> float | str:
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def fill_value_json(value: object, dtype: np.dtype[Any] | None = None) -> object:
    """A fill value as JSON: NaN/infinities as strings, complex as ``[re, im]``.

    With ``dtype``, a number is first cast to it by the rules of writes (within the dtype kind
    family, integers in range), so e.g. ``0`` for a complex array becomes ``[0.0, 0.0]``.
    Strings pass through unchanged, for Rust to interpret.

    Raises:
        MetadataError: the number cannot be stored in ``dtype``.
        TypeError: the value is not a number, bool, string or None.
    """
    if value is None or isinstance(value, str):
        return value
    if dtype is not None:
        try:
            value = data_for_write(value, dtype, ())
        except InvalidDataError as e:
            raise MetadataError(f"fill_value {value!r} cannot be stored as {dtype}: {e}") from None
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, bool):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return _float_json(float(value))
    if isinstance(value, (complex, np.complexfloating)):
        c = complex(value)
        return [_float_json(c.real), _float_json(c.imag)]
    raise TypeError(f"fill_value must be a number, bool or None, not {type(value).__qualname__}")


def _codec_dict(codec: object, what: str) -> dict[str, Any]:
    if isinstance(codec, Mapping):
        config = dict(codec)
    elif callable(getattr(codec, "to_dict", None)):  # zarr-python codec
        config = codec.to_dict()  # type: ignore[attr-defined]
    elif callable(getattr(codec, "get_config", None)):  # numcodecs codec
        config = codec.get_config()  # type: ignore[attr-defined]
    else:
        raise TypeError(
            f"{what} must hold dicts, zarr-python codecs or numcodecs codecs, "
            f"not {type(codec).__qualname__}"
        )
    if not isinstance(config, dict):
        raise TypeError(f"{what}: {type(codec).__qualname__} did not describe itself as a dict")
    return config


def codecs_json(codecs: CodecsLike, what: str, *, allow_auto: bool) -> object:
    """``"auto"`` (if allowed), ``None`` for no codecs, else a list of codec dicts."""
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


def dimension_names_json(names: object) -> list[str | None] | None:
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


def spec_json(
    *,
    shape: ShapeLike | None,
    dtype: npt.DTypeLike | None,
    chunks: ShapeLike | None,
    shards: ShapeLike | None,
    fill_value: object,
    compressors: CodecsLike,
    filters: CodecsLike,
    zarr_format: int,
    attributes: Mapping[str, Any] | None,
    dimension_names: Sequence[str | None] | None,
    metadata: Mapping[str, Any] | None,
) -> str:
    """The ``spec_json`` argument of native ``create_array`` (see docs/API.md).

    Raises:
        TypeError: a required keyword is missing, ``metadata`` is combined with array keywords,
            or an argument has the wrong type.
        UnsupportedError: the dtype is not supported.
    """
    if metadata is not None:
        given = [
            name
            for name, value in (
                ("shape", shape),
                ("dtype", dtype),
                ("chunks", chunks),
                ("shards", shards),
                ("fill_value", fill_value),
                ("filters", filters),
                ("attributes", attributes),
                ("dimension_names", dimension_names),
            )
            if value is not None
        ]
        if not (isinstance(compressors, str) and compressors == "auto"):
            given.append("compressors")
        if zarr_format != 3 and zarr_format != metadata.get("zarr_format"):
            given.append("zarr_format")
        if given:
            raise TypeError(f"metadata= replaces the array keywords; do not also pass {given}")
        return '{"metadata":' + metadata_json(metadata) + "}"
    if shape is None:
        raise TypeError("create_array() missing required keyword argument: 'shape'")
    if dtype is None:
        raise TypeError("create_array() missing required keyword argument: 'dtype'")
    shape_ = shape_list(shape, "shape")
    ndim = len(shape_)
    dt = native_dtype(dtype)
    spec = {
        "shape": shape_,
        "dtype": dt.str,
        "chunks": None if chunks is None else shape_list(chunks, "chunks", ndim),
        "shards": None if shards is None else shape_list(shards, "shards", ndim),
        "fill_value": fill_value_json(fill_value, dt),
        "compressors": codecs_json(compressors, "compressors", allow_auto=True),
        "filters": codecs_json(filters, "filters", allow_auto=False),
        "zarr_format": _index(zarr_format, "zarr_format"),
        "attributes": None if attributes is None else attributes_dict(attributes),
        "dimension_names": dimension_names_json(dimension_names),
    }
    return to_json(spec, "create_array arguments")


# --- data, selections, coordinates ---------------------------------------------------------


def data_for_write(value: object, dtype: np.dtype[Any], shape: tuple[int, ...]) -> npt.NDArray[Any]:
    """A C-contiguous array of exactly ``dtype`` and ``shape`` holding ``value``.

    ``value`` follows numpy broadcasting and is cast within its dtype kind family (bool->bool,
    int->int/float/complex, float->float/complex, complex->complex).

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
    if dtype.kind not in _WRITABLE_KINDS.get(src.kind, ""):
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
