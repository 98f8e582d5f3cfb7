//! The data types zarrbridge moves across the boundary: the one table that maps a Zarr data
//! type (v3 name; the v2 name is derived from numpy's) to its element layout (numpy kind, size,
//! buffer-protocol format) and to the kinds of numpy data that may be written to it. A new
//! data type is a new row in [`TYPES`] (and, if its elements are not fixed-size, a new layout).

use zarrs::array::DataType;
use zarrs::plugin::{ExtensionName, ZarrVersion};

use crate::error::{Error, Result};

/// One supported element type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ElementType {
    /// Zarr v3 data type name (`"uint16"`).
    pub zarr_name: &'static str,
    /// numpy kind character (`b`, `i`, `u`, `f`, `c`).
    pub kind: char,
    /// Size of one element in bytes.
    pub size: usize,
    /// PEP 3118 format string in native byte order (`"H"`, `"Zf"`).
    pub buffer_format: &'static str,
    /// numpy kinds of the data that may be written to this type (and of its fill value): a
    /// kind family casts up, never down (int to float is fine, float to int is not).
    pub writable_from: &'static str,
}

/// Every supported element type.
const TYPES: &[ElementType] = &[
    ElementType {
        zarr_name: "bool",
        kind: 'b',
        size: 1,
        buffer_format: "?",
        writable_from: "b",
    },
    ElementType {
        zarr_name: "int8",
        kind: 'i',
        size: 1,
        buffer_format: "b",
        writable_from: "iu",
    },
    ElementType {
        zarr_name: "int16",
        kind: 'i',
        size: 2,
        buffer_format: "h",
        writable_from: "iu",
    },
    ElementType {
        zarr_name: "int32",
        kind: 'i',
        size: 4,
        buffer_format: "i",
        writable_from: "iu",
    },
    ElementType {
        zarr_name: "int64",
        kind: 'i',
        size: 8,
        buffer_format: "q",
        writable_from: "iu",
    },
    ElementType {
        zarr_name: "uint8",
        kind: 'u',
        size: 1,
        buffer_format: "B",
        writable_from: "iu",
    },
    ElementType {
        zarr_name: "uint16",
        kind: 'u',
        size: 2,
        buffer_format: "H",
        writable_from: "iu",
    },
    ElementType {
        zarr_name: "uint32",
        kind: 'u',
        size: 4,
        buffer_format: "I",
        writable_from: "iu",
    },
    ElementType {
        zarr_name: "uint64",
        kind: 'u',
        size: 8,
        buffer_format: "Q",
        writable_from: "iu",
    },
    ElementType {
        zarr_name: "float16",
        kind: 'f',
        size: 2,
        buffer_format: "e",
        writable_from: "iuf",
    },
    ElementType {
        zarr_name: "float32",
        kind: 'f',
        size: 4,
        buffer_format: "f",
        writable_from: "iuf",
    },
    ElementType {
        zarr_name: "float64",
        kind: 'f',
        size: 8,
        buffer_format: "d",
        writable_from: "iuf",
    },
    ElementType {
        zarr_name: "complex64",
        kind: 'c',
        size: 8,
        buffer_format: "Zf",
        writable_from: "iufc",
    },
    ElementType {
        zarr_name: "complex128",
        kind: 'c',
        size: 16,
        buffer_format: "Zd",
        writable_from: "iufc",
    },
];

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

impl ElementType {
    /// The element type of a zarrs data type.
    ///
    /// # Errors
    /// [`Error::Unsupported`] for variable-length and other types not yet supported.
    pub fn of(data_type: &DataType) -> Result<Self> {
        let name = data_type.name(ZarrVersion::V3).unwrap_or_default();
        TYPES
            .iter()
            .find(|t| t.zarr_name == name)
            .copied()
            .ok_or_else(|| {
                Error::Unsupported(format!(
                    "data type {data_type} is not supported yet (supported: bool, int8-64, \
                     uint8-64, float16/32/64, complex64/128)"
                ))
            })
    }

    /// Parse a numpy type string (`"<u2"`, `">f8"`, `"|b1"`) into a type and a byte order.
    ///
    /// # Errors
    /// [`Error::Unsupported`] for anything that is not a supported fixed-size type.
    pub fn from_numpy(typestr: &str) -> Result<(Self, Endian)> {
        let unsupported = || {
            Error::Unsupported(format!(
                "dtype {typestr:?} is not supported (supported: bool, int8-64, uint8-64, \
                 float16/32/64, complex64/128)"
            ))
        };
        let mut chars = typestr.chars();
        let order = chars.next().ok_or_else(unsupported)?;
        let kind = chars.next().ok_or_else(unsupported)?;
        let size: usize = chars.as_str().parse().map_err(|_| unsupported())?;
        let element = TYPES
            .iter()
            .find(|t| t.kind == kind && t.size == size)
            .copied()
            .ok_or_else(unsupported)?;
        let endian = match order {
            '>' => Endian::Big,
            '=' if NATIVE_ORDER == '>' => Endian::Big,
            '<' | '|' | '=' => Endian::Little,
            _ => return Err(unsupported()),
        };
        Ok((element, endian))
    }

    /// Whether data (or a fill value) of numpy kind `kind` may be stored as this type.
    #[must_use]
    pub fn accepts(&self, kind: char) -> bool {
        self.writable_from.contains(kind)
    }

    /// The numpy type string of decoded data (native byte order).
    #[must_use]
    pub fn numpy_native(&self) -> String {
        let order = if self.size == 1 { '|' } else { NATIVE_ORDER };
        format!("{order}{}{}", self.kind, self.size)
    }

    /// The Zarr v2 `dtype` for data stored in `endian` order.
    #[must_use]
    pub fn zarr_v2(&self, endian: Endian) -> String {
        let order = match (self.size, endian) {
            (1, _) => '|',
            (_, Endian::Little) => '<',
            (_, Endian::Big) => '>',
        };
        format!("{order}{}{}", self.kind, self.size)
    }
}

#[cfg(test)]
mod tests {
    use super::{ElementType, Endian};

    #[test]
    fn numpy_round_trip() {
        let (t, e) = ElementType::from_numpy(">u2").unwrap();
        assert_eq!((t.zarr_name, e), ("uint16", Endian::Big));
        assert_eq!(t.zarr_v2(e), ">u2");
        let (t, _) = ElementType::from_numpy("|b1").unwrap();
        assert_eq!(t.zarr_name, "bool");
        assert_eq!(t.numpy_native(), "|b1");
        assert!(ElementType::from_numpy("<U4").is_err());
        assert!(ElementType::from_numpy("|O").is_err());
    }
}
