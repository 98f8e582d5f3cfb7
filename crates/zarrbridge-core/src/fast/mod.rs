//! The library's own path for the most common codec chains: `bytes` (native byte order) with
//! zstd or no compression, alone or as the inner chunks of `sharding_indexed`.
//!
//! zarrs handles every chain; this path handles these few without its per-chunk costs (a new
//! zstd context per chunk, each intermediate result in a new buffer, a shard decoded or built
//! whole through a shard-sized copy). Data moves once: stored bytes are decompressed straight
//! into the caller's memory (or through a per-thread scratch buffer when the destination is
//! strided), and written data is compressed from the caller's memory or from one per-thread
//! chunk-sized buffer. What it writes is what zarrs writes (standard zstd frames, the same
//! shard index); interoperability tests hold it to that.

mod contexts;
pub(crate) mod shard_index;

use rayon::prelude::*;
use serde_json::Value;
use unsafe_cell_slice::UnsafeCellSlice;
use zarrs::array::codec::api::CodecMetadataOptions;
use zarrs::array::{ArraySubset, CodecChain, FillValue};

use crate::compute::install;
use crate::error::{Error, Result};
use crate::limits::{check_allocation, check_len};
use crate::ndcopy::{byte_len, c_strides, copy_block_into, copy_bytes, offset_of, Sink, Strided};
pub(crate) use contexts::with_scratch;
use contexts::{compress_append, decompress_exact};
use shard_index::{Entry, IndexFormat};

/// The bytes-to-bytes step of a chain this path runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compression {
    /// No compression: the chunk is its elements.
    None,
    /// One zstd frame.
    Zstd { level: i32, checksum: bool },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Layout {
    Plain(Compression),
    Sharded {
        inner_shape: Vec<u64>,
        inner: Compression,
        index: IndexFormat,
    },
}

/// A codec chain this path runs, and the element size of its array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FastChain {
    layout: Layout,
    elem: usize,
}

/// The destination of a read: an array of `target`'s shape (C order) in shared memory that
/// several jobs fill in disjoint parts.
pub(crate) struct ReadTarget<'a> {
    /// The array region the memory holds.
    pub subset: &'a ArraySubset,
    /// The memory.
    pub cells: UnsafeCellSlice<'static, u8>,
}

/// The source of a write: an array of `subset`'s shape (C order), and what counts as empty.
pub(crate) struct WriteSource<'a> {
    /// The array region the data covers.
    pub subset: &'a ArraySubset,
    /// The data.
    pub data: &'a [u8],
    /// The array's fill value.
    pub fill: &'a FillValue,
    /// Store chunks equal to the fill value (else they are not stored).
    pub keep_empty: bool,
}

/// A [`Sink`] writing through shared cells.
struct CellSink<'a>(&'a UnsafeCellSlice<'static, u8>);

impl Sink for CellSink<'_> {
    fn put(&mut self, at: usize, bytes: &[u8]) {
        // SAFETY: a `CellSink` only writes the region of one chunk (see `ReadTarget`), which
        // no other job touches.
        copy_bytes(unsafe { self.0.index_mut(at..at + bytes.len()) }, bytes);
    }
}

/// The configuration of `codec` (a codec's metadata) when it is named `name`.
pub(crate) fn configuration<'a>(codec: &'a Value, name: &str) -> Option<&'a Value> {
    (codec.get("name")?.as_str()? == name)
        .then(|| codec.get("configuration").unwrap_or(&Value::Null))
}

/// `bytes` in native order, then nothing or one zstd codec.
fn plain(codecs: &[Value], elem: usize) -> Option<Compression> {
    let (first, rest) = codecs.split_first()?;
    let endian = configuration(first, "bytes")?
        .get("endian")
        .and_then(Value::as_str);
    let native = match endian {
        None => elem == 1,
        Some("little") => cfg!(target_endian = "little") || elem == 1,
        Some("big") => cfg!(target_endian = "big") || elem == 1,
        Some(_) => false,
    };
    if !native {
        return None;
    }
    match rest {
        [] => Some(Compression::None),
        [zstd] => {
            let config = configuration(zstd, "zstd")?;
            Some(Compression::Zstd {
                level: i32::try_from(config.get("level")?.as_i64()?).ok()?,
                checksum: config.get("checksum")?.as_bool()?,
            })
        }
        _ => None,
    }
}

/// The metadata of each codec of `chain`, as JSON.
pub(crate) fn codec_metadata(chain: &CodecChain) -> Option<Vec<Value>> {
    chain
        .create_metadatas(&CodecMetadataOptions::default())
        .iter()
        .map(serde_json::to_value)
        .collect::<std::result::Result<_, _>>()
        .ok()
}

/// The inner chunk shape of a `sharding_indexed` codec's configuration for an array of
/// `ndim` dimensions.
pub(crate) fn inner_shape(config: &Value, ndim: usize) -> Option<Vec<u64>> {
    let shape: Vec<u64> = config
        .get("chunk_shape")?
        .as_array()?
        .iter()
        .map(Value::as_u64)
        .collect::<Option<_>>()?;
    (shape.len() == ndim && !shape.contains(&0)).then_some(shape)
}

fn sharded(config: &Value, elem: usize, ndim: usize) -> Option<Layout> {
    Some(Layout::Sharded {
        inner: plain(config.get("codecs")?.as_array()?, elem)?,
        inner_shape: inner_shape(config, ndim)?,
        index: IndexFormat::from_config(config)?,
    })
}

impl FastChain {
    /// The fast form of `chain` for an array of `ndim` dimensions and `elem`-byte elements, if
    /// this path runs it.
    pub(crate) fn detect(chain: &CodecChain, elem: usize, ndim: usize) -> Option<Self> {
        let codecs = codec_metadata(chain)?;
        let layout = match codecs.as_slice() {
            [one] if configuration(one, "sharding_indexed").is_some() => {
                sharded(configuration(one, "sharding_indexed")?, elem, ndim)?
            }
            _ => Layout::Plain(plain(&codecs, elem)?),
        };
        Some(Self { layout, elem })
    }

    /// Write the part of the stored chunk `chunk` (its whole subset, `encoded` its stored
    /// bytes) that falls inside the read's target into the target. With `parallel`, the inner
    /// chunks of a shard are decoded on several threads.
    pub(crate) fn decode(
        &self,
        encoded: &[u8],
        chunk: &ArraySubset,
        target: &ReadTarget<'_>,
        fill: &FillValue,
        parallel: bool,
    ) -> Result<()> {
        match &self.layout {
            Layout::Plain(compression) => {
                self.decode_piece(*compression, Some(encoded), chunk, target, fill)
            }
            Layout::Sharded {
                inner_shape,
                inner,
                index,
            } => {
                let pieces = inner_subsets(chunk, inner_shape)?;
                let entries = index.parse(encoded, pieces.len())?;
                let one = |(piece, entry): (&ArraySubset, &Entry)| {
                    let bytes = entry.map(|(offset, len)| &encoded[offset..offset + len]);
                    self.decode_piece(*inner, bytes, piece, target, fill)
                };
                let wanted: Vec<_> = pieces
                    .iter()
                    .zip(&entries)
                    .filter(|(piece, _)| overlaps(piece, target.subset))
                    .collect();
                if parallel && wanted.len() > 1 {
                    install(|| wanted.into_par_iter().try_for_each(one))
                } else {
                    wanted.into_iter().try_for_each(one)
                }
            }
        }
    }

    /// Write the part of one inner chunk of a shard (`piece`, its subset; `encoded`, its
    /// stored bytes, `None` when absent) that falls inside the read's target into the target.
    pub(crate) fn decode_inner(
        &self,
        encoded: Option<&[u8]>,
        piece: &ArraySubset,
        target: &ReadTarget<'_>,
        fill: &FillValue,
    ) -> Result<()> {
        match &self.layout {
            Layout::Sharded { inner, .. } => {
                self.decode_piece(*inner, encoded, piece, target, fill)
            }
            Layout::Plain(_) => Err(Error::codec(
                "internal: an inner chunk of an unsharded array",
            )),
        }
    }

    /// The new stored form of chunk `chunk`: `source` where they overlap, the chunk's
    /// `existing` stored bytes (or the fill value) elsewhere. `None` when every element equals
    /// the fill value and empty chunks are not kept.
    pub(crate) fn encode(
        &self,
        chunk: &ArraySubset,
        existing: Option<&[u8]>,
        source: &WriteSource<'_>,
        parallel: bool,
    ) -> Result<Option<bytes::Bytes>> {
        match &self.layout {
            Layout::Plain(compression) => {
                let mut out = Vec::new();
                let keep = source.keep_empty;
                let kept =
                    self.encode_piece(*compression, chunk, existing, source, keep, &mut out)?;
                Ok(kept.then(|| bytes::Bytes::from(out)))
            }
            Layout::Sharded {
                inner_shape,
                inner,
                index,
            } => {
                let shard = Shard {
                    pieces: inner_subsets(chunk, inner_shape)?,
                    compression: *inner,
                    index: *index,
                };
                self.encode_shard(&shard, existing, source, parallel)
            }
        }
    }

    /// [`FastChain::encode`] for a shard: inner chunks the write does not touch keep their
    /// stored bytes as they are; the others are rebuilt.
    fn encode_shard(
        &self,
        shard: &Shard,
        existing: Option<&[u8]>,
        source: &WriteSource<'_>,
        parallel: bool,
    ) -> Result<Option<bytes::Bytes>> {
        let count = shard.pieces.len();
        let old_entries = existing.map(|e| shard.index.parse(e, count)).transpose()?;
        let old_piece = |i: usize| -> Option<&[u8]> {
            let (offset, len) = old_entries.as_ref()?[i]?;
            existing.map(|bytes| &bytes[offset..offset + len])
        };
        // Append inner chunk `i`'s new stored bytes to `out`; false when it is not stored.
        let rebuild = |i: usize, out: &mut Vec<u8>| -> Result<bool> {
            let (piece, old) = (&shard.pieces[i], old_piece(i));
            if overlaps(piece, source.subset) {
                self.encode_piece(shard.compression, piece, old, source, false, out)
            } else {
                out.extend_from_slice(old.unwrap_or_default());
                Ok(old.is_some())
            }
        };
        let mut out = vec![0u8; shard.index.data_start(count)];
        let mut entries: Vec<Entry> = Vec::with_capacity(count);
        if parallel && count > 1 {
            let encoded: Vec<Option<Vec<u8>>> = install(|| {
                (0..count)
                    .into_par_iter()
                    .map(|i| {
                        let mut bytes = Vec::new();
                        Ok(rebuild(i, &mut bytes)?.then_some(bytes))
                    })
                    .collect::<Result<_>>()
            })?;
            out.reserve(encoded.iter().flatten().map(Vec::len).sum::<usize>());
            for piece in encoded {
                let start = out.len();
                entries.push(piece.map(|p| {
                    out.extend_from_slice(&p);
                    (start, p.len())
                }));
            }
        } else {
            let inner_bytes = shard
                .pieces
                .first()
                .map_or(0, |p| byte_len(p.shape(), self.elem));
            // Room for the kept pieces as stored and the rewritten ones at their worst.
            let rewritten = shard
                .pieces
                .iter()
                .filter(|p| overlaps(p, source.subset))
                .count();
            let worst = zstd::zstd_safe::compress_bound(inner_bytes).saturating_mul(rewritten);
            out.reserve(existing.map_or(0, <[u8]>::len).saturating_add(worst));
            for i in 0..count {
                let start = out.len();
                let kept = rebuild(i, &mut out)?;
                entries.push(kept.then(|| (start, out.len() - start)));
            }
        }
        if !source.keep_empty && entries.iter().all(Option::is_none) {
            return Ok(None);
        }
        shard.index.write(&entries, &mut out);
        Ok(Some(bytes::Bytes::from(out)))
    }

    /// Decode one stored piece (a chunk, or an inner chunk of a shard) covering `piece` into
    /// the target; a missing piece is the fill value.
    fn decode_piece(
        &self,
        compression: Compression,
        encoded: Option<&[u8]>,
        piece: &ArraySubset,
        target: &ReadTarget<'_>,
        fill: &FillValue,
    ) -> Result<()> {
        let Some(overlap) = overlap(piece, target.subset)? else {
            return Ok(());
        };
        let out_strides = c_strides(target.subset.shape());
        let out_at = offset_of(&relative(&overlap, target.subset), &out_strides);
        let elem = self.elem;
        let mut sink = CellSink(&target.cells);
        // Copy the overlap, laid out in `src` as `src_at` says, to its place in the target.
        let mut scatter = |src: &[u8], src_at: Strided<'_>| {
            let out_at = Strided {
                offset: out_at,
                strides: &out_strides,
            };
            copy_block_into(src, src_at, &mut sink, out_at, overlap.shape(), elem);
        };
        let Some(encoded) = encoded else {
            let count = usize::try_from(overlap.shape().iter().product::<u64>()).unwrap_or(0);
            let strides = c_strides(overlap.shape());
            let at = Strided {
                offset: 0,
                strides: &strides,
            };
            scatter(&fill.as_ne_bytes().repeat(count), at);
            return Ok(());
        };
        let piece_len = byte_len(piece.shape(), elem);
        if overlap == *piece && contiguous(overlap.shape(), target.subset.shape()) {
            let start = usize::try_from(out_at).unwrap_or(usize::MAX) * elem;
            // SAFETY: this piece's region of the target, which no other job writes.
            let dst = unsafe { target.cells.index_mut(start..start + piece_len) };
            return decompress_exact(compression, encoded, dst);
        }
        check_len(piece_len, || {
            format!("decoding a chunk of shape {:?}", piece.shape())
        })?;
        with_scratch(piece_len, |decoded| {
            decompress_exact(compression, encoded, decoded)?;
            let piece_strides = c_strides(piece.shape());
            let at = Strided {
                offset: offset_of(&relative(&overlap, piece), &piece_strides),
                strides: &piece_strides,
            };
            scatter(decoded, at);
            Ok(())
        })
    }

    /// Append the encoded form of one piece (`source` over `existing`/the fill value) to
    /// `out`; `false` (nothing appended) when it is all fill value and not kept.
    fn encode_piece(
        &self,
        compression: Compression,
        piece: &ArraySubset,
        existing: Option<&[u8]>,
        source: &WriteSource<'_>,
        keep_empty: bool,
        out: &mut Vec<u8>,
    ) -> Result<bool> {
        let (elem, fill) = (self.elem, source.fill);
        if source.subset == piece {
            if !keep_empty && fill.equals_all(source.data) {
                return Ok(false);
            }
            compress_append(compression, source.data, out)?;
            return Ok(true);
        }
        let Some(overlap) = overlap(piece, source.subset)? else {
            return Err(Error::Selection(format!(
                "internal: a write touched chunk {piece}, outside its region {}",
                source.subset
            )));
        };
        let piece_len = byte_len(piece.shape(), elem);
        check_len(piece_len, || {
            format!("writing into a chunk of shape {:?}", piece.shape())
        })?;
        with_scratch(piece_len, |buffer| {
            if overlap != *piece {
                match existing {
                    Some(encoded) => decompress_exact(compression, encoded, buffer)?,
                    None => fill_with(buffer, fill.as_ne_bytes()),
                }
            }
            let (src_strides, dst_strides) =
                (c_strides(source.subset.shape()), c_strides(piece.shape()));
            copy_block_into(
                source.data,
                Strided {
                    offset: offset_of(&relative(&overlap, source.subset), &src_strides),
                    strides: &src_strides,
                },
                buffer,
                Strided {
                    offset: offset_of(&relative(&overlap, piece), &dst_strides),
                    strides: &dst_strides,
                },
                overlap.shape(),
                elem,
            );
            if !keep_empty && fill.equals_all(buffer) {
                return Ok(false);
            }
            compress_append(compression, buffer, out)?;
            Ok(true)
        })
    }
}

fn fill_with(buffer: &mut [u8], value: &[u8]) {
    if value.iter().all(|&b| b == value[0]) {
        buffer.fill(value[0]);
    } else {
        for element in buffer.chunks_exact_mut(value.len()) {
            element.copy_from_slice(value);
        }
    }
}

/// Whether two subsets share an element.
pub(crate) fn overlaps(a: &ArraySubset, b: &ArraySubset) -> bool {
    a.start()
        .iter()
        .zip(a.shape())
        .zip(b.start().iter().zip(b.shape()))
        .all(|((&a0, &an), (&b0, &bn))| a0 < b0 + bn && b0 < a0 + an)
}

fn overlap(a: &ArraySubset, b: &ArraySubset) -> Result<Option<ArraySubset>> {
    if !overlaps(a, b) {
        return Ok(None);
    }
    a.overlap(b)
        .map(Some)
        .map_err(|e| Error::Selection(e.to_string()))
}

/// `inner`'s start relative to `outer`'s.
fn relative(inner: &ArraySubset, outer: &ArraySubset) -> Vec<u64> {
    inner
        .start()
        .iter()
        .zip(outer.start())
        .map(|(a, b)| a - b)
        .collect()
}

/// Whether a block of `shape` inside a C-ordered array of `outer` shape is one run of memory.
fn contiguous(shape: &[u64], outer: &[u64]) -> bool {
    // Past the first dimension longer than 1, every dimension must be whole.
    match shape.iter().position(|&n| n > 1) {
        None => true,
        Some(first) => shape[first + 1..] == outer[first + 1..],
    }
}

/// The inner chunks of the shard `shard`, in C order.
pub(crate) fn inner_subsets(shard: &ArraySubset, inner_shape: &[u64]) -> Result<Vec<ArraySubset>> {
    let counts: Vec<u64> = shard
        .shape()
        .iter()
        .zip(inner_shape)
        .map(|(s, i)| if s % i == 0 { Ok(s / i) } else { Err(()) })
        .collect::<std::result::Result<_, _>>()
        .map_err(|()| {
            Error::codec(format!(
                "inner chunks {inner_shape:?} do not divide the shard {:?}",
                shard.shape()
            ))
        })?;
    let total = usize::try_from(counts.iter().product::<u64>()).unwrap_or(usize::MAX);
    // Each inner chunk costs its subset, its index entry and its place in the shard index.
    let per_chunk = 64 + 16 * inner_shape.len() as u64;
    check_allocation((total as u64).saturating_mul(per_chunk), || {
        format!(
            "the index of a shard of {total} inner chunks (shard {:?}, inner chunks \
             {inner_shape:?})",
            shard.shape()
        )
    })?;
    let mut subsets = Vec::with_capacity(total);
    let mut index = vec![0u64; counts.len()];
    for _ in 0..total {
        let ranges: Vec<_> = index
            .iter()
            .zip(inner_shape)
            .zip(shard.start())
            .map(|((&i, &n), &s)| s + i * n..s + (i + 1) * n)
            .collect();
        subsets.push(ArraySubset::new_with_ranges(&ranges));
        for d in (0..index.len()).rev() {
            index[d] += 1;
            if index[d] < counts[d] {
                break;
            }
            index[d] = 0;
        }
    }
    Ok(subsets)
}

/// The inner chunks of one shard and how they are stored.
struct Shard {
    pieces: Vec<ArraySubset>,
    compression: Compression,
    index: IndexFormat,
}
