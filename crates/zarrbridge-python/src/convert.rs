//! Python values to the core's types and back, once, at the boundary: JSON-shaped arguments
//! (attributes, metadata documents, codec configurations, store options and declarations),
//! fill values, and metadata documents returned as dicts.
//!
//! Input is converted by hand rather than with `pythonize::depythonize` into
//! `serde_json::Value`: that maps NaN and the infinities to `null` without a word (the JSON
//! value type has no NaN), and refuses numpy scalars and enums, which users' attributes and
//! zarr-python's codec configurations hold. Output goes through `pythonize`.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyComplex, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Value};
use zarrbridge_core::spec::FillArg;

/// A JSON value given from Python: dicts with `str` keys, lists and tuples, `str`, `int`,
/// finite `float`, `bool` and `None`; numpy scalars and arrays, and enums (by value), too.
pub struct Json(pub Value);

fn not_json(obj: &Bound<'_, PyAny>, why: &str) -> PyErr {
    let name = obj
        .get_type()
        .qualname()
        .map_or_else(|_| "object".to_string(), |n| n.to_string());
    PyTypeError::new_err(format!("{name} is not JSON-serialisable{why}"))
}

/// `obj` as JSON (see [`Json`]).
pub fn to_json(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(i.into());
        }
        return obj
            .extract::<u64>()
            .map(Value::from)
            .map_err(|_| not_json(obj, ": integers must fit 64 bits"));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        let x = f.value();
        return serde_json::Number::from_f64(x)
            .map(Value::Number)
            .ok_or_else(|| not_json(obj, &format!(" ({x} is not a JSON number)")));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::String(s.to_str()?.to_string()));
    }
    if let Ok(dict) = obj.cast::<PyDict>() {
        let mut map = Map::new();
        for (key, value) in dict.iter() {
            let key = key.cast::<PyString>().map_err(|_| {
                PyTypeError::new_err(format!(
                    "keys must be str, not {}",
                    key.get_type()
                        .qualname()
                        .map_or_else(|_| "?".into(), |n| n.to_string())
                ))
            })?;
            map.insert(key.to_str()?.to_string(), to_json(&value)?);
        }
        return Ok(Value::Object(map));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        return obj
            .try_iter()?
            .map(|item| to_json(&item?))
            .collect::<PyResult<Vec<_>>>()
            .map(Value::Array);
    }
    let py = obj.py();
    // numpy scalars and arrays become Python values (`tolist`), enums their value.
    let numpy_type = obj
        .get_type()
        .module()
        .is_ok_and(|m| m.to_str().is_ok_and(|m| m == "numpy"));
    if numpy_type && obj.hasattr("tolist")? {
        return to_json(&obj.call_method0("tolist")?);
    }
    let enum_type = py.import("enum")?.getattr("Enum")?;
    if obj.is_instance(&enum_type)? {
        return to_json(&obj.getattr("value")?);
    }
    if obj.hasattr("keys")? && obj.hasattr("__getitem__")? {
        // Any other mapping, as a dict.
        return to_json(PyDict::from_sequence(&obj.call_method0("items")?)?.as_any());
    }
    Err(not_json(obj, ""))
}

impl<'a, 'py> FromPyObject<'a, 'py> for Json {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        to_json(&obj).map(Self)
    }
}

/// A JSON object (a dict); `None` is an empty one.
pub struct JsonObject(pub Map<String, Value>);

impl<'a, 'py> FromPyObject<'a, 'py> for JsonObject {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        match to_json(&obj)? {
            Value::Object(map) => Ok(Self(map)),
            Value::Null => Ok(Self(Map::new())),
            _ => Err(PyTypeError::new_err(format!(
                "expected a dict, not {}",
                obj.get_type().qualname()?
            ))),
        }
    }
}

/// A fill value as given: `bool`, `int`, `float`, `complex` (numpy scalars of those kinds
/// too), `str` (text, or Zarr's JSON form such as `"NaN"`), `bytes`, a list (`[re, im]`, byte
/// values), or a time as the Python glue gives it: `("datetime64" | "timedelta64", count,
/// unit, scale)`.
pub struct Fill(pub FillArg);

impl<'a, 'py> FromPyObject<'a, 'py> for Fill {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        let numpy_type = obj
            .get_type()
            .module()
            .is_ok_and(|m| m.to_str().is_ok_and(|m| m == "numpy"));
        if numpy_type && obj.hasattr("item")? {
            return obj.call_method0("item")?.extract();
        }
        if let Ok(b) = obj.cast::<PyBool>() {
            return Ok(Self(FillArg::Bool(b.is_true())));
        }
        if obj.is_instance_of::<PyInt>() {
            return obj
                .extract::<i128>()
                .map(|i| Self(FillArg::Int(i)))
                .map_err(|_| {
                    PyValueError::new_err(format!(
                        "fill_value {} does not fit any integer type",
                        obj.as_any()
                    ))
                });
        }
        if let Ok(f) = obj.cast::<PyFloat>() {
            return Ok(Self(FillArg::Float(f.value())));
        }
        if let Ok(c) = obj.cast::<PyComplex>() {
            return Ok(Self(FillArg::Complex(c.real(), c.imag())));
        }
        if obj.is_instance_of::<PyString>() || obj.is_instance_of::<PyList>() {
            return Ok(Self(FillArg::Json(to_json(&obj)?)));
        }
        if let Ok(b) = obj.cast::<PyBytes>() {
            return Ok(Self(FillArg::Bytes(b.as_bytes().to_vec())));
        }
        if let Ok((kind, count, unit, scale)) = obj.extract::<(String, i64, String, u32)>() {
            if kind == "datetime64" || kind == "timedelta64" {
                return Ok(Self(FillArg::Time {
                    delta: kind == "timedelta64",
                    count,
                    unit,
                    scale,
                }));
            }
        }
        Err(PyTypeError::new_err(format!(
            "fill_value must be a number, bool, str, bytes, a time or None, not {}",
            obj.get_type().qualname()?
        )))
    }
}

/// A metadata document given as a dict (`zarr.json`, or `.zarray` / `.zgroup` with
/// `attributes`): its `fill_value` may be any [`Fill`] and is written the Zarr way.
pub struct Document(pub Value);

impl<'a, 'py> FromPyObject<'a, 'py> for Document {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        let dict = obj.cast::<PyDict>().map_err(|_| {
            PyTypeError::new_err(format!(
                "metadata must be a dict, not {}",
                obj.get_type()
                    .qualname()
                    .map_or_else(|_| "?".into(), |n| n.to_string())
            ))
        })?;
        let copy = dict.copy()?;
        let fill = match copy.get_item("fill_value")? {
            Some(value) if !value.is_none() => {
                copy.del_item("fill_value")?;
                Some(value.extract::<Fill>()?.0.to_json())
            }
            _ => None,
        };
        let mut doc = to_json(copy.as_any())?;
        if let (Some(fill), Value::Object(map)) = (fill, &mut doc) {
            map.insert("fill_value".into(), fill);
        }
        Ok(Self(doc))
    }
}

/// A JSON value as the Python value `json.loads` would give.
pub fn to_python<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    pythonize::pythonize(py, value).map_err(PyErr::from)
}
