//! Values given for a write: elements of the array's fixed-size type, or variable-length values
//! (text as UTF-8, bytes as they are) with their offsets. Variable-length values are written to
//! `string` and `bytes` arrays as they are, and packed into fixed-width text (UTF-32) and bytes
//! arrays, where one that does not fit is refused before anything is written.

use std::sync::Arc;

use zarrs::array::{ArrayBytes, ArrayBytesOffsets, ArraySubset};

use crate::dtype::{ElementType, Kind};
use crate::error::{Error, Result};
use crate::ndcopy::byte_len;

/// Bytes given for a write, kept alive (a caller's buffer or an owned copy) until it is done.
pub type WriteData = Arc<dyn AsRef<[u8]> + Send + Sync>;

/// Variable-length values in C order: element `i` is `bytes[offsets[i]..offsets[i + 1]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VlenValues {
    /// The elements' bytes, one after the other.
    pub bytes: Vec<u8>,
    /// Where each element starts, and the end of the last (one more entry than elements).
    pub offsets: Vec<usize>,
}

impl Default for VlenValues {
    fn default() -> Self {
        Self {
            bytes: Vec::new(),
            offsets: vec![0],
        }
    }
}

impl VlenValues {
    /// Values from their bytes and offsets.
    ///
    /// # Errors
    /// [`Error::InvalidData`] unless the offsets start at 0, never decrease and end at the
    /// length of `bytes`.
    pub fn new(bytes: Vec<u8>, offsets: Vec<usize>) -> Result<Self> {
        let valid = offsets.first() == Some(&0)
            && offsets.last() == Some(&bytes.len())
            && offsets.windows(2).all(|w| w[0] <= w[1]);
        if !valid {
            return Err(Error::InvalidData(
                "variable-length values need offsets from 0 to the length of their bytes, \
                 never decreasing"
                    .into(),
            ));
        }
        Ok(Self { bytes, offsets })
    }

    /// `n` copies of `value`.
    #[must_use]
    pub fn repeat(value: &[u8], n: usize) -> Self {
        Self {
            bytes: value.repeat(n),
            offsets: (0..=n).map(|i| i * value.len()).collect(),
        }
    }

    /// The number of elements.
    #[must_use]
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Whether there are no elements.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether every element is valid UTF-8: the whole is, and every offset falls on a
    /// character boundary. (simdutf8: std's `from_utf8` took a third of the time of reading
    /// long non-ASCII texts, 12 MB, in benches/strings.py.)
    #[must_use]
    pub fn is_utf8(&self) -> bool {
        simdutf8::basic::from_utf8(&self.bytes)
            .is_ok_and(|text| self.offsets.iter().all(|&o| text.is_char_boundary(o)))
    }

    /// Whether every element is `value`. (zarrs' `ArrayBytes::is_fill_value` compares the
    /// concatenated bytes only, so `["fill", "fill", ""]` passes for the fill value `"fill"`.)
    #[must_use]
    pub fn all_equal(&self, value: &[u8]) -> bool {
        self.bytes.len() == value.len() * self.len()
            && self
                .offsets
                .windows(2)
                .all(|w| &self.bytes[w[0]..w[1]] == value)
    }

    /// Element `i`.
    #[must_use]
    pub fn get(&self, i: usize) -> &[u8] {
        &self.bytes[self.offsets[i]..self.offsets[i + 1]]
    }

    /// The values as zarrs' array bytes, borrowed.
    pub(crate) fn as_array_bytes(&self) -> ArrayBytes<'_> {
        // SAFETY: `new` (and every other constructor) keeps the offsets increasing and ending
        // at the length of the bytes.
        unsafe {
            ArrayBytes::new_vlen_unchecked(
                &self.bytes[..],
                ArrayBytesOffsets::new_unchecked(&self.offsets[..]),
            )
        }
    }

    /// Values from zarrs' variable-length array bytes.
    pub(crate) fn from_array_bytes(bytes: ArrayBytes<'_>) -> Result<Self> {
        let (bytes, offsets) = bytes
            .into_variable()
            .map_err(|e| Error::codec(e.to_string()))?
            .into_parts();
        let (bytes, offsets) = (bytes.into_owned(), offsets.to_vec());
        // zarrs' own offsets start at 0 and end at the length of the bytes; a decoder's
        // offsets into a larger buffer would not, and are rebased.
        match (offsets.first(), offsets.last()) {
            (Some(0), Some(&end)) if end == bytes.len() => Ok(Self { bytes, offsets }),
            _ => {
                let mut rebased = Self::default();
                for w in offsets.windows(2) {
                    rebased.bytes.extend_from_slice(&bytes[w[0]..w[1]]);
                    rebased.offsets.push(rebased.bytes.len());
                }
                Ok(rebased)
            }
        }
    }

    /// The elements of `subset` of an array of `shape` whose elements these are (C order).
    ///
    /// # Errors
    /// [`Error::Selection`] when `subset` is not inside `shape`.
    pub(crate) fn extract(&self, shape: &[u64], subset: &ArraySubset) -> Result<Self> {
        let runs = subset
            .contiguous_linearised_indices(shape)
            .map_err(|e| Error::Selection(e.to_string()))?;
        let mut out = Self::default();
        for (start, count) in &runs {
            let (start, count) = (to_usize(start), to_usize(count));
            let (from, to) = (self.offsets[start], self.offsets[start + count]);
            let base = out.bytes.len();
            out.bytes.extend_from_slice(&self.bytes[from..to]);
            out.offsets.extend(
                self.offsets[start + 1..=start + count]
                    .iter()
                    .map(|o| o - from + base),
            );
        }
        Ok(out)
    }

    /// Assemble an array of `shape` (C order) from pieces that cover it exactly, each the
    /// elements of a subset of it.
    ///
    /// # Errors
    /// [`Error::Selection`] when a subset is not inside `shape`.
    pub(crate) fn merge(pieces: &[(Self, ArraySubset)], shape: &[u64]) -> Result<Self> {
        if let Some(joined) = Self::join(pieces, shape)? {
            return Ok(joined);
        }
        let n = to_usize(shape.iter().product::<u64>());
        let mut sizes = vec![0usize; n];
        let mut all_runs = Vec::with_capacity(pieces.len());
        for (values, subset) in pieces {
            let runs = subset
                .contiguous_linearised_indices(shape)
                .map_err(|e| Error::Selection(e.to_string()))?;
            let mut k = 0;
            for (start, count) in &runs {
                let (start, count) = (to_usize(start), to_usize(count));
                for (size, w) in sizes[start..start + count]
                    .iter_mut()
                    .zip(values.offsets[k..=k + count].windows(2))
                {
                    *size = w[1] - w[0];
                }
                k += count;
            }
            all_runs.push(runs);
        }
        let mut offsets = Vec::with_capacity(n + 1);
        offsets.push(0);
        let mut total = 0;
        for size in sizes {
            total += size;
            offsets.push(total);
        }
        let mut bytes = vec![0u8; total];
        for ((values, _), runs) in pieces.iter().zip(all_runs) {
            let mut k = 0;
            for (start, count) in &runs {
                let (start, count) = (to_usize(start), to_usize(count));
                let src = &values.bytes[values.offsets[k]..values.offsets[k + count]];
                bytes[offsets[start]..offsets[start + count]].copy_from_slice(src);
                k += count;
            }
        }
        Ok(Self { bytes, offsets })
    }

    /// [`VlenValues::merge`] when every piece is one run of the result (1-d arrays, chunks of
    /// whole rows): the pieces in order, one after the other, with no per-element pass.
    fn join(pieces: &[(Self, ArraySubset)], shape: &[u64]) -> Result<Option<Self>> {
        let mut starts = Vec::with_capacity(pieces.len());
        for (i, (_, subset)) in pieces.iter().enumerate() {
            let runs = subset
                .contiguous_linearised_indices(shape)
                .map_err(|e| Error::Selection(e.to_string()))?;
            match runs.iter().next() {
                Some((start, _)) if runs.len() == 1 => starts.push((start, i)),
                _ => return Ok(None),
            }
        }
        starts.sort_unstable();
        let total = pieces.iter().map(|(v, _)| v.bytes.len()).sum();
        let mut out = Self {
            bytes: Vec::with_capacity(total),
            offsets: Vec::with_capacity(pieces.iter().map(|(v, _)| v.len()).sum::<usize>() + 1),
        };
        out.offsets.push(0);
        for (_, i) in starts {
            let values = &pieces[i].0;
            let base = out.bytes.len();
            out.bytes.extend_from_slice(&values.bytes);
            out.offsets
                .extend(values.offsets[1..].iter().map(|o| o + base));
        }
        Ok(Some(out))
    }

    /// The elements at `indices`, in that order.
    pub(crate) fn gather(&self, indices: impl Iterator<Item = usize>) -> Self {
        let mut out = Self::default();
        for i in indices {
            out.bytes.extend_from_slice(self.get(i));
            out.offsets.push(out.bytes.len());
        }
        out
    }

    /// These values with element `at[j]` replaced by element `j` of `with`.
    pub(crate) fn scatter(&self, at: impl Iterator<Item = usize>, with: &Self) -> Self {
        let mut source: Vec<Option<usize>> = vec![None; self.len()];
        for (j, i) in at.enumerate() {
            source[i] = Some(j);
        }
        let mut out = Self::default();
        for (i, from) in source.into_iter().enumerate() {
            out.bytes.extend_from_slice(match from {
                Some(j) => with.get(j),
                None => self.get(i),
            });
            out.offsets.push(out.bytes.len());
        }
        out
    }
}

fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// Values given for a write.
#[derive(Clone)]
pub enum Values {
    /// Elements of the array's fixed-size type (C order, native byte order).
    Fixed(WriteData),
    /// Variable-length values (C order): for `string` arrays and fixed-width text, UTF-8; for
    /// `bytes` arrays and fixed-width bytes, bytes.
    Variable(Arc<VlenValues>),
}

impl From<WriteData> for Values {
    fn from(data: WriteData) -> Self {
        Self::Fixed(data)
    }
}

impl<T: AsRef<[u8]> + Send + Sync + 'static> From<Arc<T>> for Values {
    fn from(data: Arc<T>) -> Self {
        Self::Fixed(data)
    }
}

impl From<VlenValues> for Values {
    fn from(values: VlenValues) -> Self {
        Self::Variable(Arc::new(values))
    }
}

impl Values {
    /// Bytes held: the elements, or the variable-length values' bytes (offsets not counted).
    pub(crate) fn byte_len(&self) -> usize {
        match self {
            Self::Fixed(data) => (**data).as_ref().len(),
            Self::Variable(values) => values.bytes.len(),
        }
    }

    /// The values checked against `count` elements of `element`, in the form the pipeline
    /// writes: variable-length ones for `string` and `bytes` arrays, fixed-size elements for
    /// every other type (text and bytes packed to the type's width).
    ///
    /// # Errors
    /// [`Error::InvalidData`] for the wrong number of elements, a form the type does not take,
    /// text that is not UTF-8 or a value that does not fit the type's width.
    pub(crate) fn prepare(self, element: ElementType, shape: &[u64]) -> Result<Self> {
        let count = to_usize(shape.iter().product::<u64>());
        let what = element.describe();
        match (self, element.is_variable()) {
            (Self::Fixed(data), false) => {
                let (given, needed) = ((*data).as_ref().len(), byte_len(shape, element.size));
                if given != needed {
                    return Err(Error::InvalidData(format!(
                        "data holds {given} bytes, {count} elements of {what} (shape {shape:?}) \
                         need {needed}"
                    )));
                }
                Ok(Self::Fixed(data))
            }
            (Self::Variable(values), variable) => {
                if values.len() != count {
                    return Err(Error::InvalidData(format!(
                        "{} values given for {count} elements (shape {shape:?})",
                        values.len()
                    )));
                }
                if variable {
                    if element.kind == Kind::String {
                        check_utf8(&values)?;
                    }
                    return Ok(Self::Variable(values));
                }
                let packed = pack(element, &values)?;
                Ok(Self::Fixed(Arc::new(packed)))
            }
            (Self::Fixed(_), true) => Err(Error::InvalidData(format!(
                "{what} arrays take variable-length values (text or bytes), not a buffer"
            ))),
        }
    }
}

fn check_utf8(values: &VlenValues) -> Result<()> {
    if values.is_utf8() {
        Ok(())
    } else {
        Err(Error::InvalidData(
            "text for a string array must be valid UTF-8".into(),
        ))
    }
}

/// Variable-length values packed into the fixed width of `element` (fixed-width text: UTF-32
/// code points, NUL-padded; fixed-width bytes: NUL-padded).
fn pack(element: ElementType, values: &VlenValues) -> Result<Vec<u8>> {
    let mut out = vec![0u8; values.len() * element.size];
    match element.kind {
        Kind::Text { chars } => {
            for (i, slot) in out.chunks_exact_mut(element.size.max(1)).enumerate() {
                let text = std::str::from_utf8(values.get(i)).map_err(|_| {
                    Error::InvalidData(format!("value {i} is not valid UTF-8 text"))
                })?;
                for (n, c) in text.chars().enumerate() {
                    if n == chars {
                        return Err(Error::InvalidData(format!(
                            "value {i} ({:?}) is longer than the {chars} characters of {}",
                            truncated(text),
                            element.describe()
                        )));
                    }
                    slot[4 * n..4 * n + 4].copy_from_slice(&u32::from(c).to_ne_bytes());
                }
            }
        }
        Kind::FixedBytes { len } | Kind::Raw { len, .. } => {
            for (i, slot) in out.chunks_exact_mut(len.max(1)).enumerate() {
                let value = values.get(i);
                let fits = match element.kind {
                    Kind::Raw { .. } => value.len() == len,
                    _ => value.len() <= len,
                };
                if !fits {
                    return Err(Error::InvalidData(format!(
                        "value {i} holds {} bytes, {} holds {len}",
                        value.len(),
                        element.describe()
                    )));
                }
                slot[..value.len()].copy_from_slice(value);
            }
        }
        _ => {
            return Err(Error::InvalidData(format!(
                "text or bytes cannot be written to an array of {}",
                element.describe()
            )))
        }
    }
    Ok(out)
}

fn truncated(text: &str) -> String {
    match text.char_indices().nth(20) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::{pack, VlenValues};
    use crate::dtype::ElementType;
    use zarrs::array::ArraySubset;

    fn values(items: &[&str]) -> VlenValues {
        let mut v = VlenValues::default();
        for item in items {
            v.bytes.extend_from_slice(item.as_bytes());
            v.offsets.push(v.bytes.len());
        }
        v
    }

    #[test]
    fn extract_and_merge_are_inverse() {
        let all = values(&["a", "bb", "", "dddd", "e", "ff"]); // shape (2, 3)
        let left = ArraySubset::new_with_ranges(&[0..2, 0..1]);
        let right = ArraySubset::new_with_ranges(&[0..2, 1..3]);
        let pieces = vec![
            (all.extract(&[2, 3], &left).unwrap(), left),
            (all.extract(&[2, 3], &right).unwrap(), right),
        ];
        assert_eq!(pieces[0].0, values(&["a", "dddd"]));
        assert_eq!(VlenValues::merge(&pieces, &[2, 3]).unwrap(), all);
    }

    #[test]
    fn an_empty_value_among_fill_values_is_not_all_fill() {
        assert!(values(&["fill", "fill"]).all_equal(b"fill"));
        assert!(!values(&["fill", "fill", ""]).all_equal(b"fill"));
        assert!(!values(&["ab", "ab"]).all_equal(b"abab"));
        assert!(values(&["", ""]).all_equal(b""));
    }

    #[test]
    fn packing_refuses_what_does_not_fit() {
        let (u2, _) = ElementType::from_numpy("<U2").unwrap();
        let packed = pack(u2, &values(&["é", "ab"])).unwrap();
        assert_eq!(&packed[..4], &u32::from('é').to_ne_bytes());
        assert!(pack(u2, &values(&["abc"])).is_err());
        let (s2, _) = ElementType::from_numpy("|S2").unwrap();
        assert_eq!(pack(s2, &values(&["a", ""])).unwrap(), b"a\0\0\0");
        assert!(pack(s2, &values(&["abc"])).is_err());
    }
}
