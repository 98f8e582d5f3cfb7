//! Per-thread zstd contexts and scratch memory, reused from chunk to chunk.
//!
//! zarrs' zstd codec builds a new (de)compression context for every chunk and returns each
//! result in a new allocation; for chunks of tens of KiB that setup costs as much as the
//! (de)compression. Each compute thread here keeps one of each and a scratch buffer.

use std::cell::RefCell;
use std::io::Cursor;

use zstd::bulk::{Compressor, Decompressor};

use crate::error::{Error, Result};

use super::Compression;

/// Scratch buffers up to this size are kept for the thread's next chunk; larger ones are freed.
/// Callers' threads keep one too (small reads decode in place there), so a process with many
/// threads keeps at most this much per thread that has read a strided chunk region.
const SCRATCH_KEEP_LIMIT: usize = 8 << 20;

thread_local! {
    static DECOMPRESSOR: RefCell<Option<Decompressor<'static>>> = const { RefCell::new(None) };
    static COMPRESSOR: RefCell<Option<(i32, bool, Compressor<'static>)>> =
        const { RefCell::new(None) };
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

fn zstd_error(e: &std::io::Error) -> Error {
    Error::codec(format!("zstd: {e}"))
}

/// Decode `src` into `dst`, which it must fill exactly.
pub(crate) fn decompress_exact(compression: Compression, src: &[u8], dst: &mut [u8]) -> Result<()> {
    let written = match compression {
        Compression::None => {
            if src.len() == dst.len() {
                dst.copy_from_slice(src);
            }
            src.len()
        }
        Compression::Zstd { .. } => DECOMPRESSOR.with_borrow_mut(|slot| {
            let decompressor = match slot {
                Some(d) => d,
                None => slot.insert(Decompressor::new().map_err(|e| zstd_error(&e))?),
            };
            decompressor
                .decompress_to_buffer(src, dst)
                .map_err(|e| zstd_error(&e))
        })?,
    };
    if written == dst.len() {
        Ok(())
    } else {
        Err(Error::codec(format!(
            "a stored chunk decodes to {written} bytes, its shape needs {}",
            dst.len()
        )))
    }
}

/// Encode `src` and append the result to `out`.
pub(crate) fn compress_append(
    compression: Compression,
    src: &[u8],
    out: &mut Vec<u8>,
) -> Result<()> {
    let Compression::Zstd { level, checksum } = compression else {
        out.extend_from_slice(src);
        return Ok(());
    };
    COMPRESSOR.with_borrow_mut(|slot| {
        let compressor = match slot {
            Some((l, c, compressor)) if *l == level && *c == checksum => compressor,
            _ => {
                let mut compressor = Compressor::new(level).map_err(|e| zstd_error(&e))?;
                compressor
                    .include_checksum(checksum)
                    .map_err(|e| zstd_error(&e))?;
                &mut slot.insert((level, checksum, compressor)).2
            }
        };
        let start = out.len();
        out.reserve(zstd::zstd_safe::compress_bound(src.len()));
        let mut cursor = Cursor::new(&mut *out);
        cursor.set_position(start as u64);
        compressor
            .compress_to_buffer(src, &mut cursor)
            .map_err(|e| zstd_error(&e))?;
        Ok(())
    })
}

/// Run `f` with `len` bytes of this thread's scratch memory (contents unspecified).
pub(crate) fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [u8]) -> R) -> R {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut scratch) if len <= SCRATCH_KEEP_LIMIT => {
            if scratch.len() < len {
                scratch.resize(len, 0);
            }
            f(&mut scratch[..len])
        }
        // Too large to keep, or already in use further up this thread's stack.
        _ => f(&mut vec![0u8; len]),
    })
}

#[cfg(test)]
mod tests {
    use super::{compress_append, decompress_exact, with_scratch, Compression};

    #[test]
    fn zstd_round_trips_appending_after_existing_bytes() {
        let zstd = Compression::Zstd {
            level: 1,
            checksum: true,
        };
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let mut out = b"prefix".to_vec();
        compress_append(zstd, &data, &mut out).unwrap();
        assert_eq!(&out[..6], b"prefix");
        // The frame is a standard one: the zstd crate's own decoder reads it.
        assert_eq!(zstd::decode_all(&out[6..]).unwrap(), data);
        let mut back = vec![0u8; data.len()];
        decompress_exact(zstd, &out[6..], &mut back).unwrap();
        assert_eq!(back, data);
        // A second level on the same thread rebuilds the context.
        let mut other = Vec::new();
        let level_5 = Compression::Zstd {
            level: 5,
            checksum: false,
        };
        compress_append(level_5, &data, &mut other).unwrap();
        assert_eq!(zstd::decode_all(&other[..]).unwrap(), data);
    }

    #[test]
    fn wrong_sizes_are_errors_not_panics() {
        let zstd = Compression::Zstd {
            level: 1,
            checksum: false,
        };
        let mut encoded = Vec::new();
        compress_append(zstd, &[7u8; 1000], &mut encoded).unwrap();
        assert!(decompress_exact(zstd, &encoded, &mut [0u8; 999]).is_err());
        assert!(decompress_exact(zstd, &encoded, &mut [0u8; 1001]).is_err());
        assert!(decompress_exact(zstd, b"not zstd", &mut [0u8; 8]).is_err());
        assert!(decompress_exact(Compression::None, &[1, 2, 3], &mut [0u8; 4]).is_err());
    }

    #[test]
    fn nested_scratch_gets_its_own_memory() {
        with_scratch(16, |outer| {
            outer.fill(1);
            with_scratch(16, |inner| inner.fill(2));
            assert!(outer.iter().all(|&b| b == 1));
        });
    }
}
