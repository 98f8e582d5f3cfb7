//! The shard index of the `sharding_indexed` codec: one (offset, length) pair of little-endian
//! u64 per inner chunk in C order, `u64::MAX` twice for a missing chunk, optionally followed by
//! a crc32c of those bytes, at the start or the end of the shard.

use serde_json::Value;
use zarrs::storage::byte_range::ByteRange;

use super::configuration;
use crate::error::{Error, Result};

fn invalid(what: &str) -> Error {
    Error::codec(format!("invalid shard: {what}"))
}

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

    /// The index format of a `sharding_indexed` codec's configuration, if it is one this
    /// module reads (`bytes` little-endian, optionally then `crc32c`).
    pub(crate) fn from_config(config: &Value) -> Option<Self> {
        let little = |c: &Value| {
            configuration(c, "bytes")
                .is_some_and(|c| c.get("endian").and_then(Value::as_str) == Some("little"))
        };
        let crc32c = match config.get("index_codecs")?.as_array()?.as_slice() {
            [bytes] if little(bytes) => false,
            [bytes, crc] if little(bytes) && configuration(crc, "crc32c").is_some() => true,
            _ => return None,
        };
        let at_start = match config.get("index_location").and_then(Value::as_str) {
            None | Some("end") => false,
            Some("start") => true,
            Some(_) => return None,
        };
        Some(Self { crc32c, at_start })
    }

    /// Where the index lies in a shard of `chunks` inner chunks: its first or last bytes.
    pub(crate) fn range(self, chunks: usize) -> ByteRange {
        let size = self.size(chunks) as u64;
        if self.at_start {
            ByteRange::FromStart(0, Some(size))
        } else {
            ByteRange::Suffix(size)
        }
    }

    /// Parse the index of a shard of `chunks` inner chunks, checking every entry lies inside
    /// the shard.
    pub(crate) fn parse(self, shard: &[u8], chunks: usize) -> Result<Vec<Entry>> {
        let size = self.size(chunks);
        if shard.len() < size {
            return Err(invalid(&format!(
                "{} bytes cannot hold an index of {size} bytes",
                shard.len()
            )));
        }
        let index = if self.at_start {
            &shard[..size]
        } else {
            &shard[shard.len() - size..]
        };
        self.parse_index(index, chunks, Some(shard.len() as u64))
    }

    /// Parse the index bytes alone (read by themselves from a shard of `shard_len` bytes,
    /// when that is known), checking every entry lies inside the shard.
    pub(crate) fn parse_index(
        self,
        index: &[u8],
        chunks: usize,
        shard_len: Option<u64>,
    ) -> Result<Vec<Entry>> {
        if index.len() != self.size(chunks) {
            return Err(invalid(&format!(
                "its index holds {} bytes, {chunks} inner chunks need {}",
                index.len(),
                self.size(chunks)
            )));
        }
        let (entries, checksum) = index.split_at(chunks * 16);
        if self.crc32c {
            let stored = u32::from_le_bytes(checksum.try_into().expect("4 bytes"));
            let actual = crc32c::crc32c(entries);
            if stored != actual {
                return Err(Error::Checksum {
                    message: format!(
                        "invalid shard: index checksum {stored:#010x} does not match its \
                         content ({actual:#010x})"
                    ),
                    source: None,
                });
            }
        }
        let limit = shard_len.unwrap_or(u64::MAX);
        entries
            .chunks_exact(16)
            .map(|pair| {
                let word = |i: usize| u64::from_le_bytes(pair[i..i + 8].try_into().expect("8"));
                let (offset, len) = (word(0), word(8));
                if offset == u64::MAX && len == u64::MAX {
                    return Ok(None);
                }
                let inside = offset.checked_add(len).is_some_and(|end| end <= limit);
                match (usize::try_from(offset), usize::try_from(len)) {
                    (Ok(o), Ok(l)) if inside && o.checked_add(l).is_some() => Ok(Some((o, l))),
                    _ => Err(invalid(&format!(
                        "an inner chunk at {offset} of {len} bytes lies outside the shard"
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
