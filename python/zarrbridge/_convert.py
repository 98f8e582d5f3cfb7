"""numpy and Python-type glue: user input as the plain values the native module takes.

No Zarr rule lives here: data types, fill values, specs, metadata and paths are judged in Rust.
What is here turns numpy scalars into Python ones, names numpy dtypes the way the native side
reads them, checks argument types (``TypeError``), brings data to write into the array's dtype
and shape with numpy's broadcasting, and turns decoded buffers into numpy arrays.
"""

from __future__ import annotations

import datetime
import operator
from collections.abc import Mapping, Sequence
from types import EllipsisType, ModuleType
from typing import Any, Literal, SupportsIndex, TypeAlias, cast

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

VlenMode: TypeAlias = 'Literal["numpy", "object"]'
"""How variable-length values (Zarr ``string`` and ``bytes``) are returned: ``"numpy"``, text as
numpy ``StringDType`` (object arrays of ``str`` with numpy < 2) and bytes as object arrays of
``bytes``; ``"object"``, object arrays of ``str`` / ``bytes`` (what xarray and pandas use)."""

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


# --- data types ------------------------------------------------------------------------------

_HAS_STRINGDTYPE = hasattr(np.dtypes, "StringDType")


def _ml_dtypes() -> ModuleType | None:
    try:
        import ml_dtypes  # optional (zarrbridge[ml]), imported when needed

        return ml_dtypes
    except ImportError:
        return None


def _is_ml(dtype: np.dtype[Any]) -> bool:
    return getattr(dtype.type, "__module__", "") == "ml_dtypes"


def _value_kind(dtype: np.dtype[Any]) -> str:
    """numpy's kind of ``dtype``, with an ``ml_dtypes`` type as the number it holds (numpy
    itself calls them ``V``)."""
    if _is_ml(dtype):
        return "u" if dtype.name.startswith("uint") else "i" if "int" in dtype.name else "f"
    return dtype.kind


def dtype_arg(dtype: object) -> str | dict[str, Any] | list[Any]:
    """A dtype as the native side reads it (Rust judges it): a numpy type string (``"<u2"``,
    ``"<M8[10s]"``, ``"|T16"`` for ``StringDType``), an ``ml_dtypes`` name (``"bfloat16"``),
    or a Zarr data type: a name numpy does not know (``"string"``, ``"r16"``) or a v3 data
    type dict. zarr-python's data type objects describe themselves as the latter. A structured
    dtype is its fields, as Zarr v2 writes them.

    Raises:
        TypeError: numpy does not understand ``dtype``.
    """
    if isinstance(dtype, Mapping):
        return dict(dtype)
    to_json = getattr(dtype, "to_json", None)
    if callable(to_json) and not isinstance(dtype, (str, type, np.dtype)):
        described = to_json(zarr_format=3)  # a zarr-python ZDType
        return dict(described) if isinstance(described, Mapping) else str(described)
    if isinstance(dtype, str):
        try:
            numpy_dtype = np.dtype(dtype)
        except TypeError:
            return dtype
    else:
        numpy_dtype = np.dtype(cast("npt.DTypeLike", dtype))
    if numpy_dtype.fields is not None or numpy_dtype.subdtype is not None:
        return [list(field) for field in numpy_dtype.descr]
    if numpy_dtype.kind == "T":  # StringDType, whose .str is its repr
        return "|T16"
    return numpy_dtype.name if _is_ml(numpy_dtype) else numpy_dtype.str


def numpy_dtype(descr: str) -> tuple[np.dtype[Any], str | None]:
    """The numpy dtype of a native type string (see ``ArrayHandle.dtype``), and why data of it
    cannot be used here (``None``: it can)."""
    if descr == "T":
        return (np.dtypes.StringDType() if _HAS_STRINGDTYPE else np.dtype(object)), None
    if descr[:1] in "<>|=":
        return np.dtype(descr), None
    ml = _ml_dtypes()
    if ml is None:
        why = f"data type {descr} needs the ml_dtypes package (pip install 'zarrbridge[ml]')"
        return np.dtype(object), why
    return np.dtype(getattr(ml, descr)), None


def fill_scalar(raw: object, dtype: np.dtype[Any]) -> Any:
    """The fill value as the handle gives it (native bytes, ``str``, ``bytes`` or ``None``) as
    a numpy scalar of ``dtype`` (text: ``str``; variable-length bytes: ``bytes``)."""
    if raw is None or isinstance(raw, str):
        return raw
    if dtype.kind == "O":
        return raw
    return np.frombuffer(cast(bytes, raw), dtype)[0]


def fill_arg(value: object) -> object:
    """A fill value with numpy scalars as Python scalars, and a time as ``(kind, count, unit,
    scale)`` (Rust casts it to the array's type)."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (datetime.datetime, datetime.date)):
        value = np.datetime64(value)
    elif isinstance(value, datetime.timedelta):
        value = np.timedelta64(value)
    if isinstance(value, (np.datetime64, np.timedelta64)):
        unit, scale = np.datetime_data(value.dtype)
        kind = "datetime64" if isinstance(value, np.datetime64) else "timedelta64"
        return (kind, int(value.astype(np.int64)), unit, int(scale))
    if isinstance(value, np.void):
        return value.tobytes()
    if isinstance(value, (np.bytes_, np.str_)):
        return value.item()
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


def _iinfo(dtype: np.dtype[Any]) -> Any:
    ml = _ml_dtypes() if _is_ml(dtype) else None
    return ml.iinfo(dtype) if ml is not None else np.iinfo(dtype)


def _native_buffer(arr: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """``arr`` as the native side takes a buffer of elements: a 0-d array exports no shape
    through the buffer protocol, which it rejects (a 1-element view has the same bytes); times,
    fixed-width text and bytes, void and ``ml_dtypes`` types move as their bytes (numpy exports
    some of them in no buffer format, and Rust checks the length)."""
    if arr.ndim == 0:
        arr = arr.reshape(1)
    return arr.view(np.uint8) if arr.dtype.kind in "MmUSV" or _is_ml(arr.dtype) else arr


def data_for_write(
    value: object, dtype: np.dtype[Any], shape: tuple[int, ...], kinds: str
) -> npt.NDArray[Any]:
    """``value`` as the native side takes data for a write of ``shape`` elements of ``dtype``:
    a C-contiguous buffer of exactly ``dtype`` (see :func:`_native_buffer`) or, for text and
    bytes arrays, a C-contiguous array of text or bytes values (``StringDType``, objects, ``U``
    or ``S`` of another width), which Rust checks value by value.

    ``value`` follows numpy broadcasting and is cast if its dtype kind is one of ``kinds`` (the
    array's rule, from Rust: a kind family casts up, never down; text takes text, bytes take
    bytes; ``O``: values Rust checks one by one). Lists for text and bytes arrays become object
    arrays, so that numpy turns nothing into text on the way.

    Raises:
        InvalidDataError: the dtype kinds are incompatible, an integer does not fit the target
            integer type, a time does not convert exactly, or ``value`` does not broadcast to
            ``shape``.
    """
    values = "O" in kinds
    if type(value) is np.ndarray:
        arr = value
    else:
        try:
            if values and isinstance(value, (list, tuple)):
                arr = np.asarray(value, dtype=object)
            else:
                arr = np.asarray(value)
        except (ValueError, TypeError, OverflowError) as e:  # e.g. ragged nested lists
            raise InvalidDataError(f"cannot make an array of the data to write: {e}") from None
    src = arr.dtype
    if src == dtype and arr.shape == shape and arr.flags.c_contiguous:
        return arr if values and src.kind in "TO" else _native_buffer(arr)
    kind = _value_kind(src)
    if src != dtype:
        # void data only as the very bytes of a void of the same size
        same_raw = src.kind == "V" and dtype.kind == "V" and src.itemsize == dtype.itemsize
        if kind not in kinds or (kind == "V" and not same_raw):
            raise InvalidDataError(f"cannot write data of dtype {src} to an array of dtype {dtype}")
    if kind in "iu" and _value_kind(dtype) in "iu" and arr.size and not np.can_cast(src, dtype):
        info = _iinfo(dtype)
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
    if values and src != dtype:
        if kind in "US" and not src.isnative:
            arr = arr.astype(src.newbyteorder("="))
        return np.ascontiguousarray(arr)
    if kind in "Mm" and src != dtype:
        converted = arr.astype(dtype)
        back = converted.astype(src)
        if not bool(np.all((back == arr) | (np.isnat(back) & np.isnat(arr)))):
            raise InvalidDataError(
                f"cannot write data of dtype {src} to an array of dtype {dtype}: some values "
                f"are not a whole number of {np.datetime_data(dtype)[0]} or are out of range"
            )
        return _native_buffer(np.ascontiguousarray(converted))
    return _native_buffer(np.asarray(arr, dtype=dtype, order="C"))


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


def data_dtype(array: Any) -> np.dtype[Any]:
    """The numpy dtype of ``array``'s data.

    Raises:
        UnsupportedError: its data cannot be read or written (a data type or codec that is not
            supported, or a missing package), naming why and the array.
    """
    why = getattr(array, "_unsupported", None)
    if why:
        raise UnsupportedError(why)
    return cast("np.dtype[Any]", array.dtype)


def as_buffer(arr: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """An ``out=`` array as the native side takes buffers (see :func:`_native_buffer`)."""
    return _native_buffer(arr)


def none(result: object) -> None:
    return None


def vlen_mode(vlen: object) -> VlenMode:
    """The ``vlen=`` argument, checked.

    Raises:
        ValueError: it is not ``"numpy"`` or ``"object"``.
    """
    if vlen == "numpy" or vlen == "object":
        return vlen
    raise ValueError(f'vlen must be "numpy" or "object", not {vlen!r}')


def _vlen_array(buf: _ext.VlenBuffer, vlen: VlenMode) -> npt.NDArray[Any]:
    shape = buf.shape
    if buf.text and vlen == "numpy" and _HAS_STRINGDTYPE:
        strings = np.empty(shape, dtype=np.dtypes.StringDType())
        buf.fill_strings(strings)
        return strings
    objects = np.empty(len(buf), dtype=object)
    objects[:] = buf.to_list()
    return objects.reshape(shape)


def to_numpy(
    dtype: np.dtype[Any], vlen: VlenMode, buf: _ext.NdBuffer | _ext.VlenBuffer
) -> npt.NDArray[Any]:
    """A decoded result as a numpy array of ``dtype``: fixed-size elements zero copy (numpy
    views the Rust-owned buffer), variable-length ones as ``vlen`` says."""
    if isinstance(buf, _ext.VlenBuffer):
        return _vlen_array(buf, vlen)
    arr = np.asarray(cast("npt.ArrayLike", buf))
    if arr.dtype == dtype:
        return arr
    return arr.view(dtype).reshape(arr.shape[:-1])


def to_numpys(
    dtype: np.dtype[Any], vlen: VlenMode, bufs: list[_ext.NdBuffer | _ext.VlenBuffer]
) -> list[npt.NDArray[Any]]:
    return [to_numpy(dtype, vlen, b) for b in bufs]


def filled(out: npt.NDArray[Any], result: object) -> npt.NDArray[Any]:
    return out
