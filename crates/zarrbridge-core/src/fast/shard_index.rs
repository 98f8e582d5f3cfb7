//! The shard index of the `sharding_indexed` codec: one (offset, length) pair of little-endian
//! u64 per inner chunk in C order, `u64::MAX` twice for a missing chunk, optionally followed by
//! a crc32c of those bytes, at the start or the end of the shard.

use crate::error::{Error, Result};

/// How a shard's index is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IndexFormat {
    /// A crc32c follows the index entries.
    pub crc32c: bool,
    /// The index precedes the chunks (else it ends the shard).
    pub at_start: bool,
}

/// Where one inner chunk lives in the shard.
pub(crate) type Entry = Option<(usize, usize)>;

impl IndexFormat {
    /// Bytes of the index of `chunks` inner chunks.
    pub(crate) fn size(self, chunks: usize) -> usize {
        chunks * 16 + if self.crc32c { 4 } else { 0 }
    }

    /// Where the chunks start in a shard being built.
    pub(crate) fn data_start(self, chunks: usize) -> usize {
        if self.at_start {
            self.size(chunks)
        } else {
            0
        }
    }

    /// Parse the index of a shard of `chunks` inner chunks, checking every entry lies inside
    /// the shard.
    pub(crate) fn parse(self, shard: &[u8], chunks: usize) -> Result<Vec<Entry>> {
        let size = self.size(chunks);
        let bad = |what: String| Error::codec(format!("invalid shard: {what}"));
        if shard.len() < size {
            return Err(bad(format!(
                "{} bytes cannot hold an index of {size} bytes",
                shard.len()
            )));
        }
        let index = if self.at_start {
            &shard[..size]
        } else {
            &shard[shard.len() - size..]
        };
        let (entries, checksum) = index.split_at(chunks * 16);
        if self.crc32c {
            let stored = u32::from_le_bytes(checksum.try_into().expect("4 bytes"));
            let actual = crc32c::crc32c(entries);
            if stored != actual {
                return Err(bad(format!(
                    "index checksum {stored:#010x} does not match its content ({actual:#010x})"
                )));
            }
        }
        entries
            .chunks_exact(16)
            .map(|pair| {
                let word = |i: usize| u64::from_le_bytes(pair[i..i + 8].try_into().expect("8"));
                let (offset, len) = (word(0), word(8));
                if offset == u64::MAX && len == u64::MAX {
                    return Ok(None);
                }
                let (offset, len) = (usize::try_from(offset), usize::try_from(len));
                match (offset, len) {
                    (Ok(o), Ok(l)) if o.checked_add(l).is_some_and(|end| end <= shard.len()) => {
                        Ok(Some((o, l)))
                    }
                    _ => Err(bad(format!(
                        "an inner chunk at {offset:?} of {len:?} bytes lies outside the shard"
                    ))),
                }
            })
            .collect()
    }

    /// Write the index for `entries` into the finished `shard` (whose first
    /// [`IndexFormat::data_start`] bytes were reserved for it when it starts the shard).
    pub(crate) fn write(self, entries: &[Entry], shard: &mut Vec<u8>) {
        let mut index = Vec::with_capacity(self.size(entries.len()));
        for entry in entries {
            let (offset, len) = entry.map_or((u64::MAX, u64::MAX), |(o, l)| (o as u64, l as u64));
            index.extend_from_slice(&offset.to_le_bytes());
            index.extend_from_slice(&len.to_le_bytes());
        }
        if self.crc32c {
            let checksum = crc32c::crc32c(&index);
            index.extend_from_slice(&checksum.to_le_bytes());
        }
        if self.at_start {
            shard[..index.len()].copy_from_slice(&index);
        } else {
            shard.extend_from_slice(&index);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::IndexFormat;

    #[test]
    fn round_trips_and_rejects_bad_indexes() {
        for (crc32c, at_start) in [(true, false), (false, false), (true, true), (false, true)] {
            let format = IndexFormat { crc32c, at_start };
            let start = format.data_start(3);
            let mut shard = vec![0u8; start];
            shard.extend_from_slice(b"abcdefgh");
            let entries = [Some((start, 5)), None, Some((start + 5, 3))];
            format.write(&entries, &mut shard);
            assert_eq!(shard.len(), 8 + format.size(3));
            assert_eq!(format.parse(&shard, 3).unwrap(), entries);
            // Too short, or an entry pointing past the end.
            assert!(format.parse(&shard[..4], 3).is_err());
            let mut far = vec![0u8; start];
            far.extend_from_slice(b"abcdefgh");
            format.write(&[Some((start, 500)), None, None], &mut far);
            assert!(format.parse(&far, 3).is_err());
        }
        // A flipped index bit fails the checksum.
        let format = IndexFormat {
            crc32c: true,
            at_start: false,
        };
        let mut shard = b"abc".to_vec();
        format.write(&[Some((0, 3))], &mut shard);
        shard[4] ^= 1;
        assert!(format.parse(&shard, 1).is_err());
    }
}
