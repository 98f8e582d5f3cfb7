//! What `create_array` is asked for, and the Zarr rules that turn it into a metadata document:
//! zarr-python's creation keywords (validated here), fill values cast to the array's type,
//! codecs in either form, v2 or v3.
//!
//! Why not zarrs' `ArrayBuilder`: it takes typed codec objects, while the keywords here take
//! codec documents in three forms (v3, numcodecs `{"id": ...}`, zarr-python objects described
//! as dicts) that must be completed the way zarr-python does (zstd's `checksum`, blosc's
//! `typesize` and shuffle names) and written as documents other implementations read: zarrs'
//! own serialisation writes name-only codecs as bare strings, which zarr-python and
//! tensorstore reject (see `handle.rs`). zarrs still validates every document this builds
//! (`Array::new_with_metadata`). Nor its v2-to-v3 conversion: a v2 array is written as v2.

use serde_json::{json, Map, Value};

use crate::dtype::{
    convert_time, fill_bytes, raw_fill_json, ElementType, Endian, Kind, Number, TimeUnit, NAT,
};
use crate::error::{Error, Result};

/// What `create_array` was asked for: zarr-python's keywords, as JSON values.
#[derive(Debug, Clone, Default)]
pub struct ArraySpec {
    /// Array shape.
    pub shape: Vec<u64>,
    /// The data type: a numpy type string (`"<u2"`, `">f8"`, `"<U3"`), a Zarr v3 data type name
    /// (`"string"`, `"bfloat16"`) or a v3 data type object (see [`ElementType::requested`]).
    pub dtype: Value,
    /// Chunk shape (the inner chunk shape when sharded); `None`: one chunk.
    pub chunks: Option<Vec<u64>>,
    /// Shard shape (v3 only).
    pub shards: Option<Vec<u64>>,
    /// Fill value as given; `None`: zero / false / empty / `NaT` (v3), none (`null`, v2).
    pub fill_value: Option<FillArg>,
    /// `"auto"`, `null`, or a list of codec documents (v3 or numcodecs form).
    pub compressors: Value,
    /// `null` or a list of codec documents.
    pub filters: Value,
    /// 2 or 3.
    pub zarr_format: u8,
    /// User attributes.
    pub attributes: Map<String, Value>,
    /// Dimension names (v3 only).
    pub dimension_names: Option<Vec<Option<String>>>,
}

impl ArraySpec {
    /// Read a spec from its JSON form (the keys are the field names). `chunks` and `shards`
    /// may be one integer: that length in every dimension.
    ///
    /// # Errors
    /// [`Error::Metadata`] when a key has the wrong type.
    pub fn from_json(value: &Value) -> Result<Self> {
        let bad = |key: &str, why: &str| Error::metadata(format!("array spec {key:?}: {why}"));
        let shape_of = |key: &str, ndim: usize| -> Result<Option<Vec<u64>>> {
            match value.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Number(n)) => n
                    .as_u64()
                    .map(|n| Some(vec![n; ndim]))
                    .ok_or_else(|| bad(key, "expected a non-negative integer")),
                Some(v) => serde_json::from_value(v.clone())
                    .map(Some)
                    .map_err(|_| bad(key, "expected a list of non-negative integers")),
            }
        };
        let shape = match value.get("shape") {
            Some(Value::Number(_)) => shape_of("shape", 1)?,
            _ => shape_of("shape", 0)?,
        }
        .ok_or_else(|| bad("shape", "is required"))?;
        let ndim = shape.len();
        let zarr_format = match value
            .get("zarr_format")
            .and_then(Value::as_u64)
            .unwrap_or(3)
        {
            2 => 2,
            3 => 3,
            other => return Err(bad("zarr_format", &format!("must be 2 or 3, not {other}"))),
        };
        let attributes = match value.get("attributes") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(map)) => map.clone(),
            Some(_) => return Err(bad("attributes", "expected a JSON object")),
        };
        let dimension_names = match value.get("dimension_names") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                serde_json::from_value(v.clone())
                    .map_err(|_| bad("dimension_names", "expected a list of strings or nulls"))?,
            ),
        };
        Ok(Self {
            shape,
            dtype: value
                .get("dtype")
                .filter(|d| !d.is_null())
                .ok_or_else(|| bad("dtype", "is required"))?
                .clone(),
            chunks: shape_of("chunks", ndim)?,
            shards: shape_of("shards", ndim)?,
            fill_value: value
                .get("fill_value")
                .filter(|v| !v.is_null())
                .map(FillArg::from_json),
            compressors: value.get("compressors").cloned().unwrap_or(json!("auto")),
            filters: value.get("filters").cloned().unwrap_or(Value::Null),
            zarr_format,
            attributes,
            dimension_names,
        })
    }

    /// The metadata document (`zarr.json`, or `.zarray` with an `attributes` key) this spec
    /// describes. zarrs validates it when the array handle is built.
    ///
    /// # Errors
    /// [`Error::Metadata`] for inconsistent shapes, [`Error::Unsupported`] for an unsupported
    /// dtype or a v3-only feature on v2.
    pub fn to_metadata(&self) -> Result<Value> {
        let (element, endian) = ElementType::requested(&self.dtype)?;
        let ndim = self.shape.len();
        let chunks = self
            .chunks
            .clone()
            .unwrap_or_else(|| self.shape.iter().map(|&s| s.max(1)).collect());
        check_shape("chunks", &chunks, ndim)?;
        let fill_value = match &self.fill_value {
            // Zarr v2 has no fill value (`null`) when none is given, as zarr-python writes it
            // for `fill_value=None` and xarray asks for: xarray takes a v2 fill value for its
            // `_FillValue`. Reads give the type's zero (or NaT) either way.
            None if self.zarr_format == 2 => Value::Null,
            None => element.default_fill(),
            Some(given) => given.cast(element, &element.describe())?,
        };
        if self.zarr_format == 2 {
            return self.to_v2(element, endian, &chunks, &fill_value);
        }
        let bytes = element.v3_serializer(endian);
        // blosc's typesize: the element size (1 for variable-length data, which is bytes).
        let typesize = element.size.max(1);
        let mut inner: Vec<Value> = codec_list(&self.filters, "filters")?
            .into_iter()
            .map(|c| to_v3_codec(c, typesize))
            .collect();
        inner.push(bytes);
        inner.extend(
            compressors(&self.compressors, 3)?
                .into_iter()
                .map(|c| to_v3_codec(c, typesize)),
        );
        let (grid_chunks, codecs) = match &self.shards {
            None => (chunks, inner),
            Some(shards) => {
                check_shape("shards", shards, ndim)?;
                if let Some(d) = (0..ndim).find(|&d| shards[d] % chunks[d] != 0) {
                    return Err(Error::metadata(format!(
                        "shard shape {shards:?} is not a multiple of chunk shape {chunks:?} \
                         (dimension {d})"
                    )));
                }
                let sharding = json!({"name": "sharding_indexed", "configuration": {
                    "chunk_shape": chunks,
                    "codecs": inner,
                    "index_codecs": [
                        {"name": "bytes", "configuration": {"endian": "little"}},
                        {"name": "crc32c"}
                    ],
                    "index_location": "end"
                }});
                (shards.clone(), vec![sharding])
            }
        };
        let mut doc = json!({
            "zarr_format": 3,
            "node_type": "array",
            "shape": self.shape,
            "data_type": element.v3_data_type(),
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": grid_chunks}},
            "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
            "fill_value": fill_value,
            "codecs": codecs,
            "attributes": self.attributes,
        });
        if let Some(names) = &self.dimension_names {
            if names.len() != ndim {
                return Err(Error::metadata(format!(
                    "{} dimension names for a {ndim}-dimensional array",
                    names.len()
                )));
            }
            doc["dimension_names"] = json!(names);
        }
        Ok(doc)
    }

    fn to_v2(
        &self,
        element: ElementType,
        endian: Endian,
        chunks: &[u64],
        fill_value: &Value,
    ) -> Result<Value> {
        if self.shards.is_some() {
            return Err(Error::Unsupported("sharding needs zarr_format=3".into()));
        }
        if self.dimension_names.is_some() {
            return Err(Error::Unsupported(
                "dimension_names needs zarr_format=3".into(),
            ));
        }
        let mut compressors = compressors(&self.compressors, 2)?;
        if compressors.len() > 1 {
            return Err(Error::metadata(format!(
                "zarr_format=2 takes at most one compressor, got {}",
                compressors.len()
            )));
        }
        let (dtype, object_codec) = element.v2_dtype(endian)?;
        let filters: Vec<Value> = object_codec
            .into_iter()
            .chain(
                codec_list(&self.filters, "filters")?
                    .into_iter()
                    .map(to_v2_codec),
            )
            .collect();
        Ok(json!({
            "zarr_format": 2,
            "shape": self.shape,
            "chunks": chunks,
            "dtype": dtype,
            "compressor": compressors.pop().map(to_v2_codec),
            "fill_value": fill_value,
            "order": "C",
            "filters": if filters.is_empty() { Value::Null } else { json!(filters) },
            "dimension_separator": ".",
            "attributes": self.attributes,
        }))
    }
}

/// The creation keywords (in [`ArraySpec::from_json`]'s form) that describe the array of
/// metadata document `doc`, whose elements are `element`: its shape, data type (in its stored
/// byte order), chunks and shards, filters and compressors, fill value, attributes and
/// dimension names. Changing some of them and building the document again re-encodes the
/// array's layout while keeping its content (what `copy` does when asked for new codecs).
///
/// # Errors
/// [`Error::Metadata`] for a document this cannot take apart (a codec chain without a `bytes`
/// codec, an irregular chunk grid).
pub fn keywords_of(doc: &Value, element: ElementType) -> Result<Value> {
    let bad = |why: &str| Error::metadata(format!("cannot take the array's metadata apart: {why}"));
    let mut keywords = json!({
        "shape": doc.get("shape").cloned().unwrap_or(Value::Null),
        "fill_value": doc.get("fill_value").cloned().unwrap_or(Value::Null),
        "attributes": doc.get("attributes").cloned().unwrap_or_else(|| json!({})),
    });
    if doc.get("zarr_format").and_then(Value::as_u64) == Some(2) {
        keywords["zarr_format"] = json!(2);
        keywords["dtype"] = doc.get("dtype").cloned().unwrap_or(Value::Null);
        keywords["chunks"] = doc.get("chunks").cloned().unwrap_or(Value::Null);
        keywords["compressors"] = match doc.get("compressor") {
            None | Some(Value::Null) => Value::Null,
            Some(c) => json!([c]),
        };
        keywords["filters"] = doc.get("filters").cloned().unwrap_or(Value::Null);
        return Ok(keywords);
    }
    keywords["zarr_format"] = json!(3);
    let grid = doc.get("chunk_grid").unwrap_or(&Value::Null);
    if grid.get("name").and_then(Value::as_str) != Some("regular") {
        return Err(bad("its chunk grid is not regular"));
    }
    let grid_chunks = grid
        .get("configuration")
        .and_then(|c| c.get("chunk_shape"))
        .cloned()
        .unwrap_or(Value::Null);
    let codecs = doc
        .get("codecs")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let name = |c: &Value| c.get("name").and_then(Value::as_str).map(str::to_string);
    let sharding = match codecs.as_slice() {
        [one] if name(one).as_deref() == Some("sharding_indexed") => one.get("configuration"),
        _ => None,
    };
    let inner = if let Some(config) = sharding {
        keywords["shards"] = grid_chunks;
        keywords["chunks"] = config.get("chunk_shape").cloned().unwrap_or(Value::Null);
        config
            .get("codecs")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    } else {
        keywords["chunks"] = grid_chunks;
        codecs
    };
    let at = inner
        .iter()
        .position(|c| name(c).as_deref() == Some("bytes"))
        .ok_or_else(|| bad("its codecs have no \"bytes\" codec"))?;
    let big = inner[at]
        .get("configuration")
        .and_then(|c| c.get("endian"))
        .and_then(Value::as_str)
        == Some("big");
    let endian = if big { Endian::Big } else { Endian::Little };
    // A v3 data type name reads as little-endian; a big-endian array keeps its order through
    // the numpy type string.
    keywords["dtype"] = match endian {
        Endian::Big => json!(element.v2_dtype(endian)?.0),
        Endian::Little => element.v3_data_type(),
    };
    keywords["filters"] = json!(inner[..at]);
    keywords["compressors"] = json!(inner[at + 1..]);
    if let Some(names) = doc.get("dimension_names") {
        keywords["dimension_names"] = names.clone();
    }
    Ok(keywords)
}

fn check_shape(what: &str, shape: &[u64], ndim: usize) -> Result<()> {
    if shape.len() != ndim {
        return Err(Error::metadata(format!(
            "{what} {shape:?} has {} dimensions, the array has {ndim}",
            shape.len()
        )));
    }
    if shape.contains(&0) {
        return Err(Error::metadata(format!(
            "{what} {shape:?} must be positive"
        )));
    }
    Ok(())
}

/// A fill value as the caller gave it, before it is cast to the array's type.
#[derive(Debug, Clone, PartialEq)]
pub enum FillArg {
    /// `True` / `False`.
    Bool(bool),
    /// An integer (any size an integer type can hold).
    Int(i128),
    /// A real number (NaN and infinities included).
    Float(f64),
    /// A complex number (real, imaginary).
    Complex(f64, f64),
    /// Bytes (for bytes types).
    Bytes(Vec<u8>),
    /// A time: `count` steps of `scale` `unit`s (`NAT`: not a time).
    Time {
        /// A duration (`numpy.timedelta64`) rather than a point in time.
        delta: bool,
        /// The count ([`crate::dtype::NAT`] for `NaT`).
        count: i64,
        /// numpy's name of the unit.
        unit: String,
        /// Units per step.
        scale: u32,
    },
    /// Zarr's own JSON form, left for zarrs to judge (`"NaN"`, `"0x7fc00000"`, `[re, im]`), or
    /// a string (text for text types).
    Json(Value),
}

/// A float as Zarr JSON: NaN and the infinities as strings.
fn float_json(x: f64) -> Value {
    if x.is_nan() {
        json!("NaN")
    } else if x.is_infinite() {
        json!(if x > 0.0 { "Infinity" } else { "-Infinity" })
    } else {
        json!(x)
    }
}

/// The bit width of an integer type (the sub-byte ones hold fewer bits than their byte).
fn int_bits(number: Number) -> u32 {
    match number.zarr_name {
        "int2" | "uint2" => 2,
        "int4" | "uint4" => 4,
        _ => 8 * u32::try_from(number.size).unwrap_or(8),
    }
}

impl FillArg {
    /// The numpy kind of the value (`'b'`, `'i'`, `'f'`, `'c'`, `'S'`, `'M'`, `'m'`); `None`
    /// for Zarr JSON and strings.
    fn kind(&self) -> Option<char> {
        match self {
            Self::Bool(_) => Some('b'),
            Self::Int(_) => Some('i'),
            Self::Float(_) => Some('f'),
            Self::Complex(..) => Some('c'),
            Self::Bytes(_) => Some('S'),
            Self::Time { delta, .. } => Some(if *delta { 'm' } else { 'M' }),
            Self::Json(_) => None,
        }
    }

    /// A fill value given as JSON: numbers and booleans are cast like the caller's, anything
    /// else is Zarr JSON.
    #[must_use]
    pub fn from_json(value: &Value) -> Self {
        match value {
            Value::Bool(b) => Self::Bool(*b),
            Value::Number(n) => n
                .as_i64()
                .map(|i| Self::Int(i.into()))
                .or_else(|| n.as_u64().map(|u| Self::Int(u.into())))
                .or_else(|| n.as_f64().map(Self::Float))
                .unwrap_or_else(|| Self::Json(value.clone())),
            other => Self::Json(other.clone()),
        }
    }

    /// The value as Zarr JSON, uncast (for a fill value inside a user's metadata document):
    /// bytes as base64 (zarr-python's form), times as their count.
    #[must_use]
    pub fn to_json(&self) -> Value {
        match self {
            Self::Bool(b) => json!(b),
            Self::Int(i) => u64::try_from(*i)
                .map(|u| json!(u))
                .or_else(|_| i64::try_from(*i).map(|i| json!(i)))
                .unwrap_or_else(|_| json!(i.to_string())),
            Self::Float(x) => float_json(*x),
            Self::Complex(re, im) => json!([float_json(*re), float_json(*im)]),
            Self::Bytes(b) => raw_fill_json(b, false),
            Self::Time { count, .. } => json!(count),
            Self::Json(v) => v.clone(),
        }
    }

    /// The value cast to `element` by the rules of writes (a kind family casts up, never down:
    /// an integer fits any number type if in range, a real any float or complex type; text
    /// takes text that fits, bytes take bytes that fit, a time converts exactly to the array's
    /// unit), as Zarr JSON; `dtype` names the type in messages.
    ///
    /// # Errors
    /// [`Error::Metadata`] when the value cannot be stored as `element`.
    pub fn cast(&self, element: ElementType, dtype: &str) -> Result<Value> {
        let refuse = |why: &str| {
            Error::metadata(format!(
                "fill_value {} cannot be stored as {dtype}: {why}",
                self.to_json()
            ))
        };
        let mismatch = || {
            refuse(&format!(
                "a {} value does not cast to a {} type",
                self.kind().map_or("text", kind_name),
                kind_name(element.value_kind())
            ))
        };
        match element.kind {
            Kind::Number(number) => self.cast_number(number, element, &refuse, mismatch),
            Kind::Text { chars } => match self {
                Self::Json(Value::String(s)) if s.chars().count() <= chars => Ok(json!(s)),
                Self::Json(Value::String(s)) => Err(refuse(&format!(
                    "{} characters do not fit in {chars}",
                    s.chars().count()
                ))),
                _ => Err(mismatch()),
            },
            Kind::String => match self {
                Self::Json(Value::String(s)) => Ok(json!(s)),
                _ => Err(mismatch()),
            },
            Kind::FixedBytes { .. } | Kind::Raw { .. } | Kind::Bytes => {
                let bytes = match self {
                    Self::Bytes(b) => b.clone(),
                    Self::Json(v @ (Value::String(_) | Value::Array(_))) => {
                        fill_bytes(v).map_err(|e| refuse(&e.to_string()))?
                    }
                    _ => return Err(mismatch()),
                };
                match element.kind {
                    Kind::FixedBytes { len } if bytes.len() > len => Err(refuse(&format!(
                        "{} bytes do not fit in {len}",
                        bytes.len()
                    ))),
                    Kind::Raw { len, .. } if bytes.len() != len => Err(refuse(&format!(
                        "{} bytes given for a {len}-byte type",
                        bytes.len()
                    ))),
                    Kind::Raw { bits_name, .. } => Ok(raw_fill_json(&bytes, bits_name)),
                    _ => Ok(raw_fill_json(&bytes, false)),
                }
            }
            Kind::Time { delta, unit, scale } => match self {
                Self::Time {
                    delta: given,
                    count,
                    unit: from,
                    scale: from_scale,
                } if *given == delta => {
                    let from = TimeUnit::parse(from).map_err(|e| refuse(&e.to_string()))?;
                    convert_time(*count, (from, *from_scale), (unit, scale))
                        .map(|c| json!(c))
                        .map_err(|e| refuse(&e.to_string()))
                }
                Self::Int(i) => i64::try_from(*i)
                    .map(|c| json!(c))
                    .map_err(|_| refuse("it is outside the 64-bit range")),
                Self::Json(Value::String(s)) if s == "NaT" => Ok(json!(NAT)),
                _ => Err(mismatch()),
            },
        }
    }

    #[allow(clippy::cast_precision_loss)] // an integer fill value for a float array, as numpy
    fn cast_number(
        &self,
        number: Number,
        element: ElementType,
        refuse: &dyn Fn(&str) -> Error,
        mismatch: impl Fn() -> Error,
    ) -> Result<Value> {
        let Some(kind) = self.kind() else {
            return Ok(self.to_json());
        };
        if !element.accepts(kind) {
            return Err(mismatch());
        }
        Ok(match (self, number.kind) {
            (&Self::Int(i), 'i' | 'u') => {
                let bits = int_bits(number);
                let (lo, hi) = if number.kind == 'u' {
                    (0, (1i128 << bits) - 1)
                } else {
                    (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
                };
                if i < lo || i > hi {
                    return Err(refuse(&format!("it is outside [{lo}, {hi}]")));
                }
                self.to_json()
            }
            (&Self::Int(i), 'f') => float_json(i as f64),
            (&Self::Int(i), 'c') => json!([float_json(i as f64), 0.0]),
            (&Self::Float(x), 'c') => json!([float_json(x), 0.0]),
            _ => self.to_json(),
        })
    }
}

fn kind_name(kind: char) -> &'static str {
    match kind {
        'b' => "boolean",
        'i' | 'u' => "integer",
        'f' => "real",
        'c' => "complex",
        'S' | 'V' | 'O' => "bytes",
        'U' | 'T' => "text",
        'M' => "datetime",
        'm' => "timedelta",
        _ => "other",
    }
}

fn codec_list(value: &Value, what: &str) -> Result<Vec<Value>> {
    match value {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => Ok(items.clone()),
        Value::Object(_) => Ok(vec![value.clone()]),
        _ => Err(Error::metadata(format!(
            "{what} must be a codec or a list of codecs"
        ))),
    }
}

fn compressors(value: &Value, zarr_format: u8) -> Result<Vec<Value>> {
    if value.as_str() == Some("auto") {
        return Ok(vec![if zarr_format == 3 {
            json!({"name": "zstd", "configuration": {"level": 0, "checksum": false}})
        } else {
            json!({"id": "zstd", "level": 0})
        }]);
    }
    codec_list(value, "compressors")
}

const BLOSC_SHUFFLES: [&str; 3] = ["noshuffle", "shuffle", "bitshuffle"];

/// numcodecs form (`{"id": ..., ...}`) to Zarr v3 form, filling in the configuration fields the
/// v3 spec requires but zarr-python lets users omit (zstd's checksum, blosc's typesize, ...).
fn to_v3_codec(codec: Value, element_size: usize) -> Value {
    let Value::Object(mut map) = codec else {
        return codec;
    };
    let (name, mut config) = match map.remove("id") {
        Some(Value::String(id)) => (id, map),
        _ => match (map.remove("name"), map.remove("configuration")) {
            (Some(Value::String(name)), Some(Value::Object(config))) => (name, config),
            (Some(Value::String(name)), None) => (name, Map::new()),
            (name, config) => {
                map.extend(name.map(|n| ("name".to_string(), n)));
                map.extend(config.map(|c| ("configuration".to_string(), c)));
                return Value::Object(map);
            }
        },
    };
    match name.as_str() {
        "zstd" => {
            config.entry("level").or_insert(json!(0));
            config.entry("checksum").or_insert(json!(false));
        }
        "gzip" => {
            config.entry("level").or_insert(json!(5));
        }
        "blosc" => {
            if let Some(n) = config.get("shuffle").and_then(Value::as_i64) {
                let shuffle = usize::try_from(n).ok().and_then(|i| BLOSC_SHUFFLES.get(i));
                config.insert(
                    "shuffle".into(),
                    json!(shuffle.copied().unwrap_or("shuffle")),
                );
            }
            config.entry("cname").or_insert(json!("zstd"));
            config.entry("clevel").or_insert(json!(5));
            config.entry("shuffle").or_insert(json!("shuffle"));
            config.entry("typesize").or_insert(json!(element_size));
            config.entry("blocksize").or_insert(json!(0));
        }
        _ => {}
    }
    if config.is_empty() {
        json!({"name": name})
    } else {
        json!({"name": name, "configuration": config})
    }
}

/// Zarr v3 form to numcodecs form; numcodecs documents pass through.
fn to_v2_codec(codec: Value) -> Value {
    let Value::Object(mut map) = codec else {
        return codec;
    };
    let Some(Value::String(name)) = map.remove("name") else {
        return Value::Object(map);
    };
    let mut out = match map.remove("configuration") {
        Some(Value::Object(config)) => config,
        _ => Map::new(),
    };
    if name == "blosc" {
        out.remove("typesize");
        if let Some(s) = out.get("shuffle").and_then(Value::as_str) {
            let n = BLOSC_SHUFFLES.iter().position(|x| *x == s).unwrap_or(1);
            out.insert("shuffle".into(), json!(n));
        }
    }
    out.insert("id".into(), json!(name));
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::ArraySpec;
    use serde_json::json;

    #[test]
    fn sharded_v3_document() {
        let spec = ArraySpec::from_json(&json!({
            "shape": [10, 10], "dtype": "<u2", "chunks": [2, 5], "shards": [4, 10]
        }))
        .unwrap();
        let doc = spec.to_metadata().unwrap();
        assert_eq!(
            doc["chunk_grid"]["configuration"]["chunk_shape"],
            json!([4, 10])
        );
        assert_eq!(doc["codecs"][0]["name"], "sharding_indexed");
        assert_eq!(
            doc["codecs"][0]["configuration"]["chunk_shape"],
            json!([2, 5])
        );
    }

    #[test]
    fn rejects_uneven_shards_and_v2_sharding() {
        let bad = ArraySpec::from_json(&json!({
            "shape": [10], "dtype": "<u2", "chunks": [3], "shards": [4]
        }))
        .unwrap();
        assert!(bad.to_metadata().is_err());
        let v2 = ArraySpec::from_json(&json!({
            "shape": [10], "dtype": "<u2", "chunks": [2], "shards": [4], "zarr_format": 2
        }))
        .unwrap();
        assert!(v2.to_metadata().is_err());
    }

    #[test]
    fn numcodecs_blosc_becomes_v3() {
        let spec = ArraySpec::from_json(&json!({
            "shape": [4], "dtype": ">f8",
            "compressors": [{"id": "blosc", "cname": "lz4", "clevel": 5, "shuffle": 2}]
        }))
        .unwrap();
        let doc = spec.to_metadata().unwrap();
        assert_eq!(doc["codecs"][0]["configuration"]["endian"], "big");
        let blosc = &doc["codecs"][1];
        assert_eq!(blosc["name"], "blosc");
        assert_eq!(blosc["configuration"]["shuffle"], "bitshuffle");
        assert_eq!(blosc["configuration"]["typesize"], 8);
    }
}
