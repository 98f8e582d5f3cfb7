//! Copying N-dimensional blocks of fixed-size elements between C-ordered buffers, with steps.

/// The number of elements of `shape`, saturating at `u64::MAX`: `iter().product()` wraps in
/// release builds, and a wrapped count (2**40 x 2**40 is 0) once let a too-big region pass the
/// memory limit as an empty buffer.
#[must_use]
pub fn element_count(shape: &[u64]) -> u64 {
    if shape.contains(&0) {
        return 0;
    }
    shape
        .iter()
        .try_fold(1u64, |n, &d| n.checked_mul(d))
        .unwrap_or(u64::MAX)
}

/// Bytes of `shape` elements of `elem` bytes each (saturating: an impossible size fails later,
/// at allocation or at the length check, instead of wrapping).
pub(crate) fn byte_len(shape: &[u64], elem: usize) -> usize {
    usize::try_from(element_count(shape))
        .unwrap_or(usize::MAX)
        .saturating_mul(elem)
}

/// One side of a copy: a buffer, the element offset of the first element, and the stride (in
/// elements, possibly negative) of each dimension of the copied block.
#[derive(Debug, Clone, Copy)]
pub struct Strided<'a> {
    /// Element offset of the block's first element.
    pub offset: isize,
    /// Stride of each dimension in elements.
    pub strides: &'a [isize],
}

/// C-order strides (in elements) of a buffer of `shape`.
#[must_use]
pub fn c_strides(shape: &[u64]) -> Vec<isize> {
    let mut strides = vec![1isize; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        strides[d] = strides[d + 1] * isize::try_from(shape[d + 1]).unwrap_or(isize::MAX);
    }
    strides
}

/// Offset (in elements) of `index` in a C-ordered buffer with `strides`.
#[must_use]
pub fn offset_of(index: &[u64], strides: &[isize]) -> isize {
    index
        .iter()
        .zip(strides)
        .map(|(&i, &s)| isize::try_from(i).unwrap_or(isize::MAX) * s)
        .sum()
}

/// Where a block copy writes: `put(at, bytes)` stores `bytes` at byte offset `at`.
pub trait Sink {
    /// Store `bytes` at byte offset `at`.
    fn put(&mut self, at: usize, bytes: &[u8]);
}

impl Sink for [u8] {
    fn put(&mut self, at: usize, bytes: &[u8]) {
        copy_bytes(&mut self[at..at + bytes.len()], bytes);
    }
}

/// `dst.copy_from_slice(src)`, with the row lengths of common chunk shapes copied inline: a
/// chunk's rows are often tens of bytes, where calling `memcpy` costs more than the copy.
#[inline]
pub(crate) fn copy_bytes(dst: &mut [u8], src: &[u8]) {
    macro_rules! fixed {
        ($($n:literal),*) => {
            match src.len() {
                $($n => dst[..$n].copy_from_slice(&src[..$n]),)*
                _ => dst.copy_from_slice(src),
            }
        };
    }
    fixed!(16, 32, 64, 128, 256);
}

/// Copy a block of `shape` elements of `elem` bytes from `src` to `dst`.
///
/// # Panics
/// Panics if an element of the block falls outside either buffer (a bug in the caller).
pub fn copy_block(
    src: &[u8],
    src_at: Strided<'_>,
    dst: &mut [u8],
    dst_at: Strided<'_>,
    shape: &[u64],
    elem: usize,
) {
    copy_block_into(src, src_at, dst, dst_at, shape, elem);
}

/// [`copy_block`] into any [`Sink`]: contiguous rows are stored with one `put` each.
///
/// # Panics
/// As [`copy_block`].
pub fn copy_block_into<S: Sink + ?Sized>(
    src: &[u8],
    src_at: Strided<'_>,
    dst: &mut S,
    dst_at: Strided<'_>,
    shape: &[u64],
    elem: usize,
) {
    if shape.contains(&0) {
        return;
    }
    let ndim = shape.len();
    if ndim == 0 {
        let (s, d) = (to_byte(src_at.offset, elem), to_byte(dst_at.offset, elem));
        dst.put(d, &src[s..s + elem]);
        return;
    }
    let inner = usize::try_from(shape[ndim - 1]).expect("block fits in memory");
    let contiguous = src_at.strides[ndim - 1] == 1 && dst_at.strides[ndim - 1] == 1;
    let (ss, ds) = (src_at.strides[ndim - 1], dst_at.strides[ndim - 1]);
    let mut index = vec![0u64; ndim - 1];
    // Offsets of the current row, kept up to date as the outer index advances.
    let (mut s0, mut d0) = (src_at.offset, dst_at.offset);
    loop {
        if contiguous {
            let (s, d) = (to_byte(s0, elem), to_byte(d0, elem));
            dst.put(d, &src[s..s + inner * elem]);
        } else {
            for i in 0..isize::try_from(inner).expect("block fits in memory") {
                let (s, d) = (to_byte(s0 + i * ss, elem), to_byte(d0 + i * ds, elem));
                dst.put(d, &src[s..s + elem]);
            }
        }
        // Advance the outer index like an odometer.
        let mut d = ndim - 1;
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            index[d] += 1;
            s0 += src_at.strides[d];
            d0 += dst_at.strides[d];
            if index[d] < shape[d] {
                break;
            }
            index[d] = 0;
            let n = isize::try_from(shape[d]).expect("block fits in memory");
            s0 -= src_at.strides[d] * n;
            d0 -= dst_at.strides[d] * n;
        }
    }
}

fn to_byte(offset: isize, elem: usize) -> usize {
    usize::try_from(offset).expect("element offset is non-negative") * elem
}

#[cfg(test)]
mod tests {
    use super::{c_strides, copy_block, Strided};

    #[test]
    fn copies_reversed_and_stepped_blocks() {
        // src is a 3x4 array of u8 0..12; take rows [2, 0] (step -2) and columns [1, 3].
        let src: Vec<u8> = (0..12).collect();
        let src_strides = c_strides(&[3, 4]);
        let steps = [-2 * src_strides[0], 2 * src_strides[1]];
        let mut dst = vec![0u8; 4];
        let dst_strides = c_strides(&[2, 2]);
        copy_block(
            &src,
            Strided {
                offset: 2 * 4 + 1,
                strides: &steps,
            },
            &mut dst,
            Strided {
                offset: 0,
                strides: &dst_strides,
            },
            &[2, 2],
            1,
        );
        assert_eq!(dst, [9, 11, 1, 3]);
    }

    #[test]
    fn copies_contiguous_rows_of_wide_elements() {
        let src: Vec<u8> = (0..24).collect(); // 3x4 of u16
        let mut dst = vec![0u8; 8]; // 2x2 of u16
        copy_block(
            &src,
            Strided {
                offset: 4 + 1,
                strides: &c_strides(&[3, 4]),
            },
            &mut dst,
            Strided {
                offset: 0,
                strides: &c_strides(&[2, 2]),
            },
            &[2, 2],
            2,
        );
        assert_eq!(dst, [10, 11, 12, 13, 18, 19, 20, 21]);
    }
}
