//! The data types zarrbridge moves across the boundary: the one table that maps a Zarr data
//! type (v3 name and configuration, v2 `dtype` and object codec) to its element layout in
//! memory, to the numpy dtype of that memory, and to the kinds of numpy data that may be written
//! to it.
//!
//! A fixed-size type is moved as bytes (numpy views them as its dtype); `string` and `bytes`
//! are variable-length and move as (offsets, bytes). Four types zarr-python writes are not
//! zarrs types: v3 `null_terminated_bytes` and `raw_bytes`, v2 `|S` and v2 `<M8`/`<m8`. They are
//! fixed-size bytes or 64-bit integers, so [`zarrs_document`] hands zarrs the same array as raw
//! bits (`r*`, `|V*`) or `<i8`, with the fill value in that type's form; the document as
//! written stays the one stored.
//!
//! A new data type is a new row in [`NUMBERS`] or a new [`Kind`].

use std::borrow::Cow;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde_json::{json, Value};

use crate::error::{Error, Result};

/// A numeric type: numpy's own (`b`, `i`, `u`, `f`, `c`) or one numpy knows through `ml_dtypes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Number {
    /// Zarr v3 data type name (`"uint16"`), also numpy's (or `ml_dtypes`') name of the type.
    pub zarr_name: &'static str,
    /// What values it holds: `b`, `i`, `u`, `f`, `c` (an `ml_dtypes` float is `f`).
    pub kind: char,
    /// Size of one element in bytes.
    pub size: usize,
    /// PEP 3118 format string (native byte order) numpy reads back as this type; `None` for the
    /// `ml_dtypes` types, whose data numpy views as the dtype named `zarr_name`.
    pub buffer_format: Option<&'static str>,
}

const fn number(zarr_name: &'static str, kind: char, size: usize, format: &'static str) -> Number {
    Number {
        zarr_name,
        kind,
        size,
        buffer_format: Some(format),
    }
}

const fn ml(zarr_name: &'static str, kind: char, size: usize) -> Number {
    Number {
        zarr_name,
        kind,
        size,
        buffer_format: None,
    }
}

/// Every numeric type: numpy's, then the `ml_dtypes` ones zarrs has. One byte per element in
/// memory for the sub-byte types, as in `ml_dtypes` (their `packbits` encoding is a codec).
pub const NUMBERS: &[Number] = &[
    number("bool", 'b', 1, "?"),
    number("int8", 'i', 1, "b"),
    number("int16", 'i', 2, "h"),
    number("int32", 'i', 4, "i"),
    number("int64", 'i', 8, "q"),
    number("uint8", 'u', 1, "B"),
    number("uint16", 'u', 2, "H"),
    number("uint32", 'u', 4, "I"),
    number("uint64", 'u', 8, "Q"),
    number("float16", 'f', 2, "e"),
    number("float32", 'f', 4, "f"),
    number("float64", 'f', 8, "d"),
    number("complex64", 'c', 8, "Zf"),
    number("complex128", 'c', 16, "Zd"),
    ml("bfloat16", 'f', 2),
    ml("float8_e3m4", 'f', 1),
    ml("float8_e4m3", 'f', 1),
    ml("float8_e4m3b11fnuz", 'f', 1),
    ml("float8_e4m3fnuz", 'f', 1),
    ml("float8_e5m2", 'f', 1),
    ml("float8_e5m2fnuz", 'f', 1),
    ml("float8_e8m0fnu", 'f', 1),
    ml("float6_e2m3fn", 'f', 1),
    ml("float6_e3m2fn", 'f', 1),
    ml("float4_e2m1fn", 'f', 1),
    ml("int2", 'i', 1),
    ml("int4", 'i', 1),
    ml("uint2", 'u', 1),
    ml("uint4", 'u', 1),
];

/// The unit of a `numpy.datetime64` / `numpy.timedelta64` (numpy's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    /// No unit (numpy's `generic`): only `NaT` converts to or from it.
    Generic,
    /// Calendar years.
    Years,
    /// Calendar months.
    Months,
    /// A fixed length: this many attoseconds.
    Fixed(&'static str, i128),
}

const FIXED_UNITS: &[(&str, i128)] = &[
    ("W", 604_800 * 1_000_000_000_000_000_000),
    ("D", 86_400 * 1_000_000_000_000_000_000),
    ("h", 3_600 * 1_000_000_000_000_000_000),
    ("m", 60 * 1_000_000_000_000_000_000),
    ("s", 1_000_000_000_000_000_000),
    ("ms", 1_000_000_000_000_000),
    ("us", 1_000_000_000_000),
    ("ns", 1_000_000_000),
    ("ps", 1_000_000),
    ("fs", 1_000),
    ("as", 1),
];

impl TimeUnit {
    /// numpy's name of a unit (`"ns"`; `"μs"` is read as `"us"`).
    ///
    /// # Errors
    /// [`Error::Unsupported`] for a name numpy does not have.
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "generic" | "" => Ok(Self::Generic),
            "Y" => Ok(Self::Years),
            "M" => Ok(Self::Months),
            "μs" => Ok(Self::Fixed("us", 1_000_000_000_000)),
            _ => FIXED_UNITS
                .iter()
                .find(|(n, _)| *n == name)
                .map(|&(n, a)| Self::Fixed(n, a))
                .ok_or_else(|| Error::Unsupported(format!("time unit {name:?} is not supported"))),
        }
    }

    /// numpy's name of the unit.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Generic => "generic",
            Self::Years => "Y",
            Self::Months => "M",
            Self::Fixed(name, _) => name,
        }
    }

    /// The length of `scale` of these units, in a common base unit of its family (attoseconds,
    /// or months for calendar units), with the family.
    fn span(self, scale: u32) -> (u8, i128) {
        match self {
            Self::Generic => (0, i128::from(scale)),
            Self::Years => (1, 12 * i128::from(scale)),
            Self::Months => (1, i128::from(scale)),
            Self::Fixed(_, atto) => (2, atto * i128::from(scale)),
        }
    }
}

/// `NaT` (not a time): the smallest `i64`, as in numpy.
pub const NAT: i64 = i64::MIN;

/// Convert `count` steps of (`from`, `from_scale`) to steps of (`to`, `to_scale`), exactly.
///
/// # Errors
/// [`Error::InvalidData`] when the value is not a whole number of the target steps, overflows,
/// or the units do not convert (calendar months to days, a unit to `generic`).
pub fn convert_time(
    count: i64,
    (from, from_scale): (TimeUnit, u32),
    (to, to_scale): (TimeUnit, u32),
) -> Result<i64> {
    if count == NAT {
        return Ok(NAT);
    }
    let ((ff, fspan), (tf, tspan)) = (from.span(from_scale), to.span(to_scale));
    let refuse = |why: &str| {
        Error::InvalidData(format!(
            "{count} x {from_scale}{} cannot be stored in units of {to_scale}{}: {why}",
            from.name(),
            to.name()
        ))
    };
    if ff != tf || (ff == 0 && fspan != tspan) {
        return Err(refuse("the units do not convert"));
    }
    let total = i128::from(count) * fspan;
    if total % tspan != 0 {
        return Err(refuse("it is not a whole number of them"));
    }
    i64::try_from(total / tspan)
        .ok()
        .filter(|&v| v != NAT)
        .ok_or_else(|| refuse("it is out of range"))
}

/// What an element is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A number or boolean.
    Number(Number),
    /// Fixed-width UTF-32 text of `chars` code points, NUL-padded (Zarr `fixed_length_utf32`,
    /// v2 `<U`; numpy `U`).
    Text {
        /// Capacity in code points.
        chars: usize,
    },
    /// Fixed-width bytes, NUL-padded (zarr-python's `null_terminated_bytes`, v2 `|S`; numpy `S`).
    FixedBytes {
        /// Capacity in bytes.
        len: usize,
    },
    /// Opaque bytes (Zarr `r*`, zarr-python's `raw_bytes`, v2 `|V`; numpy `V`).
    Raw {
        /// Size in bytes.
        len: usize,
        /// Named the core spec's way (`r16`) rather than zarr-python's (`raw_bytes`).
        bits_name: bool,
    },
    /// `numpy.datetime64` (`delta`: `numpy.timedelta64`), a 64-bit count of `scale` units.
    Time {
        /// A duration rather than a point in time.
        delta: bool,
        /// The unit.
        unit: TimeUnit,
        /// How many units one step is.
        scale: u32,
    },
    /// Variable-length UTF-8 text (Zarr `string`, v2 `|O` with `vlen-utf8`).
    String,
    /// Variable-length bytes (Zarr `bytes`, v2 `|O` with `vlen-bytes`).
    Bytes,
}

/// One element type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ElementType {
    /// What the element is.
    pub kind: Kind,
    /// Size of one element in memory in bytes; 0 for the variable-length types.
    pub size: usize,
}

const NATIVE_ORDER: char = if cfg!(target_endian = "little") {
    '<'
} else {
    '>'
};

/// Byte order of stored data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endian {
    /// Little-endian.
    Little,
    /// Big-endian.
    Big,
}

const SUPPORTED: &str = "supported: bool, (u)int2/4/8/16/32/64, float16/32/64, complex64/128, \
    bfloat16 and the float8/6/4 types of ml_dtypes, fixed-width text (U) and bytes (S), raw \
    bytes (V), datetime64, timedelta64, variable-length str and bytes";

fn unsupported(what: &str) -> Error {
    Error::Unsupported(format!("data type {what} is not supported ({SUPPORTED})"))
}

fn length_config(value: &Value) -> Option<usize> {
    let len = value.get("configuration")?.get("length_bytes")?.as_u64()?;
    usize::try_from(len).ok().filter(|&n| n > 0)
}

impl ElementType {
    fn new(kind: Kind) -> Self {
        let size = match kind {
            Kind::Number(n) => n.size,
            Kind::Text { chars } => 4 * chars,
            Kind::FixedBytes { len } | Kind::Raw { len, .. } => len,
            Kind::Time { .. } => 8,
            Kind::String | Kind::Bytes => 0,
        };
        Self { kind, size }
    }

    fn number(zarr_name: &str) -> Option<Self> {
        NUMBERS
            .iter()
            .find(|n| n.zarr_name == zarr_name)
            .map(|&n| Self::new(Kind::Number(n)))
    }

    fn time(delta: bool, unit: &str, scale: u64) -> Result<Self> {
        let scale = u32::try_from(scale)
            .ok()
            .filter(|&s| s > 0 && s < 1 << 31)
            .ok_or_else(|| Error::metadata(format!("time scale factor {scale} is out of range")))?;
        Ok(Self::new(Kind::Time {
            delta,
            unit: TimeUnit::parse(unit)?,
            scale,
        }))
    }

    /// The element type of a v3 `data_type` (a name, or an object with a configuration).
    ///
    /// # Errors
    /// [`Error::Unsupported`] naming the data type; [`Error::Metadata`] for a malformed one.
    pub fn of_v3(data_type: &Value) -> Result<Self> {
        let name = match data_type {
            Value::String(name) => name.as_str(),
            Value::Object(map) => map.get("name").and_then(Value::as_str).unwrap_or_default(),
            _ => "",
        };
        let bad = || Error::metadata(format!("invalid data type {data_type}"));
        if let Some(t) = Self::number(name) {
            return Ok(t);
        }
        match name {
            "string" => Ok(Self::new(Kind::String)),
            "bytes" | "variable_length_bytes" | "binary" => Ok(Self::new(Kind::Bytes)),
            "fixed_length_utf32" => {
                let len = length_config(data_type)
                    .filter(|n| n % 4 == 0)
                    .ok_or_else(bad)?;
                Ok(Self::new(Kind::Text { chars: len / 4 }))
            }
            "null_terminated_bytes" => Ok(Self::new(Kind::FixedBytes {
                len: length_config(data_type).ok_or_else(bad)?,
            })),
            "raw_bytes" => Ok(Self::new(Kind::Raw {
                len: length_config(data_type).ok_or_else(bad)?,
                bits_name: false,
            })),
            "numpy.datetime64" | "numpy.timedelta64" => {
                let config = data_type.get("configuration").ok_or_else(bad)?;
                let unit = config.get("unit").and_then(Value::as_str).ok_or_else(bad)?;
                let scale = config
                    .get("scale_factor")
                    .and_then(Value::as_u64)
                    .ok_or_else(bad)?;
                Self::time(name == "numpy.timedelta64", unit, scale)
            }
            _ => match name.strip_prefix('r').map(str::parse::<usize>) {
                Some(Ok(bits)) if bits > 0 && bits % 8 == 0 => Ok(Self::new(Kind::Raw {
                    len: bits / 8,
                    bits_name: true,
                })),
                _ => Err(unsupported(&data_type.to_string())),
            },
        }
    }

    /// The element type of a v2 `dtype`, whose object codec (`vlen-utf8`, `vlen-bytes`) is the
    /// first of `filters` for object arrays.
    ///
    /// # Errors
    /// [`Error::Unsupported`] naming the data type or object codec.
    pub fn of_v2(dtype: &Value, filters: &Value) -> Result<Self> {
        let Some(typestr) = dtype.as_str() else {
            return Err(unsupported(&format!("{dtype} (structured)")));
        };
        if typestr == "|O" {
            let codec = filters
                .as_array()
                .and_then(|f| f.first())
                .and_then(|c| c.get("id"))
                .and_then(Value::as_str);
            return match codec {
                Some("vlen-utf8") => Ok(Self::new(Kind::String)),
                Some("vlen-bytes") => Ok(Self::new(Kind::Bytes)),
                Some(id) => Err(Error::Unsupported(format!(
                    "object arrays encoded with the {id:?} codec are not supported (supported \
                     object codecs: vlen-utf8, vlen-bytes)"
                ))),
                None => Err(unsupported("|O without an object codec")),
            };
        }
        Self::from_numpy(typestr).map(|(t, _)| t)
    }

    /// The element type of an array metadata document (v3 `zarr.json`, or v2 `.zarray`).
    ///
    /// # Errors
    /// As [`ElementType::of_v3`] and [`ElementType::of_v2`].
    pub fn of_document(doc: &Value) -> Result<Self> {
        let v2 = doc.get("zarr_format").and_then(Value::as_u64) == Some(2);
        let key = if v2 { "dtype" } else { "data_type" };
        let Some(data_type) = doc.get(key).filter(|d| !d.is_null()) else {
            return Err(Error::metadata(format!("array metadata has no {key:?}")));
        };
        if v2 {
            Self::of_v2(data_type, doc.get("filters").unwrap_or(&Value::Null))
        } else {
            Self::of_v3(data_type)
        }
    }

    /// A type asked for by `create_array`: a Zarr v3 data type (name or object), or a numpy type
    /// string (`"<u2"`, `"<M8[10s]"`, `"|S3"`, `"|T16"`), with its byte order. An unsized numpy
    /// text type (`str`: `"<U0"`, `bytes`: `"|S0"`) is the variable-length one.
    ///
    /// # Errors
    /// [`Error::Unsupported`] for a type that is not supported.
    pub fn requested(dtype: &Value) -> Result<(Self, Endian)> {
        match dtype {
            Value::String(name) if !name.starts_with(['<', '>', '|', '=']) => {
                Self::of_v3(dtype).map(|t| (t, Endian::Little))
            }
            Value::String(typestr) => Self::from_numpy(typestr),
            Value::Object(_) => Self::of_v3(dtype).map(|t| (t, Endian::Little)),
            Value::Array(_) => Err(unsupported(&format!("{dtype} (structured)"))),
            other => Err(unsupported(&other.to_string())),
        }
    }

    /// Parse a numpy type string (`"<u2"`, `">f8"`, `"|b1"`, `"<U3"`, `"<M8[ns]"`) into a type
    /// and a byte order.
    ///
    /// # Errors
    /// [`Error::Unsupported`] for anything that is not a supported type.
    pub fn from_numpy(typestr: &str) -> Result<(Self, Endian)> {
        let fail = || unsupported(&format!("{typestr:?}"));
        let mut chars = typestr.chars();
        let order = chars.next().ok_or_else(fail)?;
        let kind = chars.next().ok_or_else(fail)?;
        let rest = chars.as_str();
        let endian = match order {
            '>' => Endian::Big,
            '=' if NATIVE_ORDER == '>' => Endian::Big,
            '<' | '|' | '=' => Endian::Little,
            _ => return Err(fail()),
        };
        let size = || rest.parse::<usize>().map_err(|_| fail());
        let element = match kind {
            'M' | 'm' => {
                let unit = match rest.strip_prefix('8') {
                    Some("") => "",
                    Some(u) => u
                        .strip_prefix('[')
                        .and_then(|u| u.strip_suffix(']'))
                        .ok_or_else(fail)?,
                    None => return Err(fail()),
                };
                let digits = unit
                    .find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(unit.len());
                let scale = if digits == 0 {
                    1
                } else {
                    unit[..digits].parse().map_err(|_| fail())?
                };
                Self::time(kind == 'm', &unit[digits..], scale)?
            }
            'U' => match size()? {
                0 => Self::new(Kind::String),
                n => Self::new(Kind::Text { chars: n }),
            },
            'S' => match size()? {
                0 => Self::new(Kind::Bytes),
                n => Self::new(Kind::FixedBytes { len: n }),
            },
            'T' => Self::new(Kind::String),
            'V' => match size()? {
                0 => return Err(fail()),
                n => Self::new(Kind::Raw {
                    len: n,
                    bits_name: false,
                }),
            },
            'O' => {
                return Err(Error::Unsupported(format!(
                    "dtype {typestr:?} (object) is ambiguous: use str (or \"string\") for \
                     variable-length text, \"bytes\" for variable-length bytes"
                )))
            }
            _ => {
                let size = size()?;
                NUMBERS
                    .iter()
                    .find(|n| n.kind == kind && n.size == size && n.buffer_format.is_some())
                    .map(|&n| Self::new(Kind::Number(n)))
                    .ok_or_else(fail)?
            }
        };
        Ok((element, endian))
    }

    /// Whether elements vary in length (moved as offsets and bytes).
    #[must_use]
    pub fn is_variable(&self) -> bool {
        matches!(self.kind, Kind::String | Kind::Bytes)
    }

    /// What values the type holds, as a numpy kind (`b i u f c U S V M m T O`; an `ml_dtypes`
    /// float is `f`): the rules of casts and fill values use it.
    #[must_use]
    pub fn value_kind(&self) -> char {
        match self.kind {
            Kind::Number(n) => n.kind,
            Kind::Text { .. } => 'U',
            Kind::FixedBytes { .. } => 'S',
            Kind::Raw { .. } => 'V',
            Kind::Time { delta, .. } => {
                if delta {
                    'm'
                } else {
                    'M'
                }
            }
            Kind::String => 'T',
            Kind::Bytes => 'O',
        }
    }

    /// numpy kinds of the data that may be written to this type (and of its fill value): a
    /// numeric kind family casts up, never down (int to float is fine, float to int is not);
    /// text takes text, bytes take bytes (`O`: objects, each checked to be `str` or `bytes`).
    #[must_use]
    pub fn writable_from(&self) -> &'static str {
        match self.kind {
            Kind::Number(n) => match n.kind {
                'b' => "b",
                'i' | 'u' => "iu",
                'f' => "iuf",
                _ => "iufc",
            },
            Kind::Text { .. } | Kind::String => "UTO",
            Kind::FixedBytes { .. } | Kind::Bytes => "SO",
            Kind::Raw { .. } => "V",
            Kind::Time { delta: false, .. } => "M",
            Kind::Time { delta: true, .. } => "m",
        }
    }

    /// Whether data (or a fill value) of numpy kind `kind` may be stored as this type.
    #[must_use]
    pub fn accepts(&self, kind: char) -> bool {
        self.writable_from().contains(kind)
    }

    /// PEP 3118 format string numpy reads back as this type; `None`: the buffer holds bytes
    /// (`size` per element) that numpy views as [`ElementType::numpy_native`].
    #[must_use]
    pub fn buffer_format(&self) -> Option<&'static str> {
        match self.kind {
            Kind::Number(n) => n.buffer_format,
            _ => None,
        }
    }

    /// The numpy dtype of decoded data (native byte order): a type string (`"<u2"`,
    /// `"<M8[10s]"`, `"<U3"`, `"|S3"`, `"|V4"`), `"T"` (numpy's `StringDType`), `"|O"`
    /// (objects) or an `ml_dtypes` name (`"bfloat16"`).
    #[must_use]
    pub fn numpy_native(&self) -> String {
        let order = if self.size <= 1 { '|' } else { NATIVE_ORDER };
        match self.kind {
            Kind::Number(n) if n.buffer_format.is_none() => n.zarr_name.to_string(),
            Kind::Number(n) => format!("{order}{}{}", n.kind, n.size),
            Kind::Text { chars } => format!("{NATIVE_ORDER}U{chars}"),
            Kind::FixedBytes { len } => format!("|S{len}"),
            Kind::Raw { len, .. } => format!("|V{len}"),
            Kind::Time { .. } => format!("{NATIVE_ORDER}{}", self.v2_time_code()),
            Kind::String => "T".to_string(),
            Kind::Bytes => "|O".to_string(),
        }
    }

    fn v2_time_code(&self) -> String {
        let Kind::Time { delta, unit, scale } = self.kind else {
            return String::new();
        };
        let kind = if delta { 'm' } else { 'M' };
        match (unit, scale) {
            (TimeUnit::Generic, _) => format!("{kind}8"),
            (_, 1) => format!("{kind}8[{}]", unit.name()),
            _ => format!("{kind}8[{scale}{}]", unit.name()),
        }
    }

    /// The v3 `data_type` of this type.
    #[must_use]
    pub fn v3_data_type(&self) -> Value {
        let sized =
            |name: &str, len: usize| json!({"name": name, "configuration": {"length_bytes": len}});
        match self.kind {
            Kind::Number(n) => json!(n.zarr_name),
            Kind::Text { chars } => sized("fixed_length_utf32", 4 * chars),
            Kind::FixedBytes { len } => sized("null_terminated_bytes", len),
            Kind::Raw {
                len,
                bits_name: true,
            } => json!(format!("r{}", 8 * len)),
            Kind::Raw { len, .. } => sized("raw_bytes", len),
            Kind::Time { delta, unit, scale } => json!({
                "name": if delta { "numpy.timedelta64" } else { "numpy.datetime64" },
                "configuration": {"unit": unit.name(), "scale_factor": scale},
            }),
            Kind::String => json!("string"),
            Kind::Bytes => json!("bytes"),
        }
    }

    /// The v3 array-to-bytes codec of this type: `bytes` (with `endian` where byte order
    /// applies) or the variable-length codec zarr-python writes.
    #[must_use]
    pub fn v3_serializer(&self, endian: Endian) -> Value {
        match self.kind {
            Kind::String => json!({"name": "vlen-utf8", "configuration": {}}),
            Kind::Bytes => json!({"name": "vlen-bytes", "configuration": {}}),
            _ if self.swap_unit() > 1 => {
                let endian = if endian == Endian::Big {
                    "big"
                } else {
                    "little"
                };
                json!({"name": "bytes", "configuration": {"endian": endian}})
            }
            _ => json!({"name": "bytes"}),
        }
    }

    /// How many bytes byte order swaps as one (1: byte order does not apply).
    fn swap_unit(&self) -> usize {
        match self.kind {
            Kind::Number(n) if n.kind == 'c' => n.size / 2,
            Kind::Number(n) => n.size,
            Kind::Text { .. } => 4,
            Kind::Time { .. } => 8,
            _ => 1,
        }
    }

    /// The v2 `dtype` for data stored in `endian` order, and the object codec that goes first
    /// among the filters of variable-length types.
    ///
    /// # Errors
    /// [`Error::Unsupported`] for types Zarr v2 has no name for (the `ml_dtypes` types, `r*`).
    pub fn v2_dtype(&self, endian: Endian) -> Result<(String, Option<Value>)> {
        let order = match (self.swap_unit(), endian) {
            (1, _) => '|',
            (_, Endian::Little) => '<',
            (_, Endian::Big) => '>',
        };
        Ok(match self.kind {
            Kind::Number(n) if n.buffer_format.is_none() => {
                return Err(Error::Unsupported(format!(
                    "data type {} needs zarr_format=3 (Zarr v2 has no name for it)",
                    n.zarr_name
                )))
            }
            Kind::Number(n) => (format!("{order}{}{}", n.kind, n.size), None),
            Kind::Text { chars } => (format!("{order}U{chars}"), None),
            Kind::FixedBytes { len } => (format!("|S{len}"), None),
            Kind::Raw { len, .. } => (format!("|V{len}"), None),
            Kind::Time { .. } => (format!("{order}{}", self.v2_time_code()), None),
            Kind::String => ("|O".into(), Some(json!({"id": "vlen-utf8"}))),
            Kind::Bytes => ("|O".into(), Some(json!({"id": "vlen-bytes"}))),
        })
    }

    /// The fill value of an array created without one, as zarr-python writes it: zero, false,
    /// the empty string, zero bytes, or `NaT` for times.
    #[must_use]
    pub fn default_fill(&self) -> Value {
        match self.kind {
            Kind::Number(n) => match n.kind {
                'b' => json!(false),
                'f' => json!(0.0),
                'c' => json!([0.0, 0.0]),
                _ => json!(0),
            },
            Kind::Text { .. } | Kind::String | Kind::FixedBytes { .. } | Kind::Bytes => json!(""),
            Kind::Raw { len, bits_name } => raw_fill_json(&vec![0; len], bits_name),
            Kind::Time { .. } => json!(NAT),
        }
    }

    /// The Zarr v3 name of the type, for messages.
    #[must_use]
    pub fn describe(&self) -> String {
        match self.v3_data_type() {
            Value::String(s) => s,
            other => other.to_string(),
        }
    }
}

/// A raw-bytes fill value as zarr-python writes it (base64) or, for `r*`, as the core spec does
/// (a list of byte values).
#[must_use]
pub fn raw_fill_json(bytes: &[u8], bits_name: bool) -> Value {
    if bits_name {
        json!(bytes)
    } else {
        json!(BASE64.encode(bytes))
    }
}

/// The bytes of a bytes-like fill value: base64 text (zarr-python) or a list of byte values.
///
/// # Errors
/// [`Error::Metadata`] for anything else.
pub fn fill_bytes(fill: &Value) -> Result<Vec<u8>> {
    let bad = || {
        Error::metadata(format!(
            "fill value {fill} is not base64 text or a list of bytes"
        ))
    };
    match fill {
        Value::String(text) => BASE64.decode(text).map_err(|_| bad()),
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_u64().and_then(|b| u8::try_from(b).ok()))
            .collect::<Option<_>>()
            .ok_or_else(bad),
        _ => Err(bad()),
    }
}

/// The document to build zarrs' array from: `doc` itself, or for the types zarrs does not know
/// by their name (see the module docs) the same array as raw bits or 64-bit integers, with its
/// fill value in that type's form. A `null` v2 fill value becomes the type's default (zarrs
/// would take `0`, which no text or bytes type accepts).
///
/// # Errors
/// [`Error::Metadata`] for a fill value the type cannot hold.
pub fn zarrs_document<'a>(doc: &'a Value, element: &ElementType) -> Result<Cow<'a, Value>> {
    let v2 = doc.get("zarr_format").and_then(Value::as_u64) == Some(2);
    let fill = doc.get("fill_value").unwrap_or(&Value::Null);
    let padded_bytes = |len: usize| -> Result<Value> {
        let mut bytes = if fill.is_null() {
            Vec::new()
        } else {
            fill_bytes(fill)?
        };
        if bytes.len() > len {
            return Err(Error::metadata(format!(
                "fill value {fill} is longer than the data type's {len} bytes"
            )));
        }
        bytes.resize(len, 0);
        Ok(json!(bytes))
    };
    let (data_type, new_fill) = match (element.kind, v2) {
        (
            Kind::FixedBytes { len }
            | Kind::Raw {
                len,
                bits_name: false,
            },
            false,
        ) => (json!(format!("r{}", 8 * len)), padded_bytes(len)?),
        (Kind::FixedBytes { len }, true) => (json!(format!("|V{len}")), padded_bytes(len)?),
        (Kind::Raw { len, .. }, true) if fill.is_null() => {
            (json!(format!("|V{len}")), padded_bytes(len)?)
        }
        (Kind::Time { .. }, true) => {
            let order = match doc.get("dtype").and_then(Value::as_str) {
                Some(t) if t.starts_with('>') => '>',
                _ => '<',
            };
            let fill = match fill {
                Value::Null => json!(NAT),
                Value::String(s) if s == "NaT" => json!(NAT),
                other => other.clone(),
            };
            (json!(format!("{order}i8")), fill)
        }
        (Kind::Bytes, true) => {
            let fill = if fill.is_null() {
                json!("")
            } else {
                fill.clone()
            };
            (json!("|VX"), fill)
        }
        (Kind::Text { .. } | Kind::String, true) if fill.is_null() => {
            (doc["dtype"].clone(), json!(""))
        }
        _ => return Ok(Cow::Borrowed(doc)),
    };
    let mut doc = doc.clone();
    doc[if v2 { "dtype" } else { "data_type" }] = data_type;
    doc["fill_value"] = new_fill;
    Ok(Cow::Owned(doc))
}

#[cfg(test)]
mod tests {
    use super::{convert_time, ElementType, Endian, Kind, TimeUnit, NAT};
    use serde_json::json;

    #[test]
    fn numpy_round_trip() {
        let (t, e) = ElementType::from_numpy(">u2").unwrap();
        assert_eq!((t.describe().as_str(), e), ("uint16", Endian::Big));
        assert_eq!(t.v2_dtype(e).unwrap().0, ">u2");
        let (t, _) = ElementType::from_numpy("|b1").unwrap();
        assert_eq!(t.describe(), "bool");
        assert_eq!(t.numpy_native(), "|b1");
        assert!(ElementType::from_numpy("|O").is_err());
    }

    #[test]
    fn text_bytes_and_times_from_numpy() {
        let (t, e) = ElementType::from_numpy(">U3").unwrap();
        assert_eq!(
            (t.kind, t.size, e),
            (Kind::Text { chars: 3 }, 12, Endian::Big)
        );
        assert_eq!(t.v2_dtype(e).unwrap().0, ">U3");
        assert_eq!(ElementType::from_numpy("<U0").unwrap().0.kind, Kind::String);
        assert_eq!(ElementType::from_numpy("|S0").unwrap().0.kind, Kind::Bytes);
        assert_eq!(
            ElementType::from_numpy("|T16").unwrap().0.kind,
            Kind::String
        );
        let (t, _) = ElementType::from_numpy("<M8[10s]").unwrap();
        assert_eq!(
            t.v3_data_type(),
            json!({"name": "numpy.datetime64", "configuration": {"unit": "s", "scale_factor": 10}})
        );
        assert_eq!(t.v2_dtype(Endian::Little).unwrap().0, "<M8[10s]");
        let (t, _) = ElementType::from_numpy("<m8").unwrap();
        assert_eq!(t.numpy_native()[1..], *"m8");
    }

    #[test]
    fn v2_object_arrays_need_a_known_object_codec() {
        let s = ElementType::of_v2(&json!("|O"), &json!([{"id": "vlen-utf8"}])).unwrap();
        assert_eq!(s.kind, Kind::String);
        let err = ElementType::of_v2(&json!("|O"), &json!([{"id": "json2"}])).unwrap_err();
        assert!(err.to_string().contains("json2"), "{err}");
    }

    #[test]
    fn times_convert_exactly_or_not_at_all() {
        let (s, ns) = (
            TimeUnit::parse("s").unwrap(),
            TimeUnit::parse("ns").unwrap(),
        );
        assert_eq!(convert_time(3, (s, 1), (ns, 1)).unwrap(), 3_000_000_000);
        assert_eq!(convert_time(20, (s, 1), (s, 10)).unwrap(), 2);
        assert!(convert_time(21, (s, 1), (s, 10)).is_err());
        assert!(convert_time(i64::MAX, (s, 1), (ns, 1)).is_err());
        assert_eq!(convert_time(NAT, (s, 1), (ns, 1)).unwrap(), NAT);
        let months = TimeUnit::parse("M").unwrap();
        assert!(convert_time(1, (months, 1), (s, 1)).is_err());
    }
}
