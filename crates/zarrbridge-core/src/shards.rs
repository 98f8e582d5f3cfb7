//! Reading part of a shard: its index with one ranged request (the last bytes of the shard,
//! or the first), then only the inner chunks the read touches, neighbours coalesced into one
//! request, every request of the read at once (the pipeline's `read_part` drives it). Indexes
//! are cached on the array handle.
//!
//! zarrs has the same idea (`Array::async_partial_decoder`, the sharded readable extension),
//! but its shard decoder asks the storage for each inner chunk separately, and the
//! `object_store` adapter asks for the value's size before each of those: zarrista 0.1.0
//! (zarrs over obstore) made 20 requests, 10 round trips of HEAD + GET, to read a 3x3 block of
//! inner chunks of a shard zarr-python wrote; this module made 5 (the index, then the 4 runs of
//! adjacent chunks, at once) in 2 round trips, moving the same bytes as tensorstore
//! (`benches/cloud.py`). The library's own codec path decodes what arrives.
//!
//! A cached index is used with the value's version (`ETag`) where the store has versions: if
//! another writer replaced the shard since, the store refuses the ranges, and the index is
//! read again. Stores without versions (those written in Python) serve the cached index until
//! a write through the same handle replaces it.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use futures::stream::FuturesUnordered;
use futures::StreamExt;
use zarrs::array::{ChunkShape, CodecChain};
use zarrs::metadata::v3::MetadataV3;
use zarrs::storage::byte_range::ByteRange;

use crate::error::{Error, Result};
use crate::fast::shard_index::{Entry, IndexFormat};
use crate::fast::{codec_metadata, configuration, inner_shape};
use crate::limits::check_allocation;
use crate::store::{Ranged, Store};

/// The default largest gap between two inner chunks read in one request: none, only adjacent
/// inner chunks are joined. Every request of a read is made at once, so another request costs
/// its headers, not a round trip, while a gap costs its bytes on the link. zarr-python's 1 MiB
/// (`sharding.read.coalesce_max_gap_bytes`) made a 3x3 block of 64 KiB inner chunks in one of
/// zarr-python's 16 MiB shards (Morton order) move 859 KB instead of 272 KB in 1 request
/// instead of 5, and take 87 ms instead of 62 ms, over 200 Mbit/s with 20 ms per request
/// (`benches/cloud.py`, `--zb-max-gap`); tensorstore joins adjacent chunks only too.
pub const DEFAULT_COALESCE_MAX_GAP: u64 = 0;
/// The default largest request made by joining inner chunks (zarr-python's
/// `sharding.read.coalesce_max_bytes`).
pub const DEFAULT_COALESCE_MAX_BYTES: u64 = 16 << 20;

static COALESCE_MAX_GAP: AtomicU64 = AtomicU64::new(DEFAULT_COALESCE_MAX_GAP);
static COALESCE_MAX_BYTES: AtomicU64 = AtomicU64::new(DEFAULT_COALESCE_MAX_BYTES);

/// How partial shard reads group inner chunks into requests, for this process: two inner
/// chunks go in one request when at most `max_gap` bytes lie between them and the request
/// stays within `max_bytes` (or holds just one chunk).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Coalescing {
    /// The largest gap read and thrown away to save a request.
    pub max_gap: u64,
    /// The largest request made by joining chunks.
    pub max_bytes: u64,
}

impl Coalescing {
    /// The settings now in force.
    #[must_use]
    pub fn current() -> Self {
        Self {
            max_gap: COALESCE_MAX_GAP.load(Ordering::Relaxed),
            max_bytes: COALESCE_MAX_BYTES.load(Ordering::Relaxed),
        }
    }

    /// Put these settings in force for the whole process.
    pub fn install(self) {
        COALESCE_MAX_GAP.store(self.max_gap, Ordering::Relaxed);
        COALESCE_MAX_BYTES.store(self.max_bytes, Ordering::Relaxed);
    }

    /// Group `spans` (`(offset, length)` of inner chunks in a shard) into requests: each
    /// group is `(start, end, members)`, members being indexes into `spans`.
    #[must_use]
    pub fn group(self, spans: &[(u64, u64)]) -> Vec<(u64, u64, Vec<usize>)> {
        let mut order: Vec<usize> = (0..spans.len()).collect();
        order.sort_by_key(|&i| spans[i].0);
        let mut groups: Vec<(u64, u64, Vec<usize>)> = Vec::new();
        for i in order {
            let (start, end) = (spans[i].0, spans[i].0 + spans[i].1);
            if let Some((g_start, g_end, members)) = groups.last_mut() {
                let gap = start.saturating_sub(*g_end);
                if gap <= self.max_gap && end.max(*g_end) - *g_start <= self.max_bytes {
                    *g_end = end.max(*g_end);
                    members.push(i);
                    continue;
                }
            }
            groups.push((start, end, vec![i]));
        }
        groups
    }
}

/// A parsed shard index and the version of the shard it was read from.
#[derive(Debug)]
pub(crate) struct ShardIndex {
    entries: Vec<Entry>,
    /// The shard's version when read (an `ETag`), for reading its inner chunks.
    pub(crate) version: Option<String>,
}

/// Indexes kept per handle, at most this many bytes of them (an index of 32x32 inner chunks
/// takes 24 KiB here): the least recently used go first.
const INDEX_CACHE_BYTES: usize = 16 << 20;

#[derive(Debug, Default)]
struct IndexCache {
    entries: HashMap<Vec<u64>, (Arc<ShardIndex>, u64)>,
    bytes: usize,
    clock: u64,
}

fn held(index: &ShardIndex) -> usize {
    index.entries.len() * std::mem::size_of::<Entry>()
        + index.version.as_ref().map_or(0, String::len)
}

/// How the shards of an array are laid out, and the indexes read so far.
#[derive(Debug)]
pub(crate) struct ShardReads {
    inner_shape: Vec<u64>,
    inner_chunk_shape: ChunkShape,
    index: IndexFormat,
    /// zarrs' chain for the inner chunks, for chains the library's own path does not run.
    inner_codecs: Arc<CodecChain>,
    cache: Mutex<IndexCache>,
}

impl ShardReads {
    /// The partial-read layout of `chain` for an array of `ndim` dimensions: `None` unless
    /// its only codec is `sharding_indexed` with an index this library parses (`bytes`,
    /// optionally `crc32c`), which is what every writer uses by default.
    pub(crate) fn detect(chain: &CodecChain, ndim: usize) -> Option<Self> {
        let codecs = codec_metadata(chain)?;
        let [one] = codecs.as_slice() else {
            return None;
        };
        let config = configuration(one, "sharding_indexed")?;
        let inner_shape = inner_shape(config, ndim)?;
        let inner: Vec<MetadataV3> = serde_json::from_value(config.get("codecs")?.clone()).ok()?;
        Some(Self {
            inner_chunk_shape: inner_shape
                .iter()
                .map(|&n| std::num::NonZeroU64::new(n))
                .collect::<Option<_>>()?,
            index: IndexFormat::from_config(config)?,
            inner_codecs: Arc::new(CodecChain::from_metadata(&inner).ok()?),
            inner_shape,
            cache: Mutex::default(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, IndexCache> {
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn cached(&self, coords: &[u64]) -> Option<Arc<ShardIndex>> {
        let mut cache = self.lock();
        cache.clock += 1;
        let clock = cache.clock;
        let (index, used) = cache.entries.get_mut(coords)?;
        *used = clock;
        Some(index.clone())
    }

    fn remember(&self, coords: &[u64], index: Arc<ShardIndex>) {
        let size = held(&index);
        if size > INDEX_CACHE_BYTES {
            return;
        }
        let mut cache = self.lock();
        cache.clock += 1;
        let clock = cache.clock;
        if let Some((old, _)) = cache.entries.insert(coords.to_vec(), (index, clock)) {
            cache.bytes -= held(&old);
        }
        cache.bytes += size;
        while cache.bytes > INDEX_CACHE_BYTES {
            let Some(oldest) = cache
                .entries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some((gone, _)) = cache.entries.remove(&oldest) {
                cache.bytes -= held(&gone);
            }
        }
    }

    /// Drop the cached index of shard `coords` (a write through this handle replaced it).
    pub(crate) fn forget(&self, coords: &[u64]) {
        let mut cache = self.lock();
        if let Some((gone, _)) = cache.entries.remove(coords) {
            cache.bytes -= held(&gone);
        }
    }

    /// Indexes cached now.
    #[cfg(test)]
    fn cached_count(&self) -> usize {
        self.lock().entries.len()
    }

    /// The shape of the inner chunks.
    pub(crate) fn inner_shape(&self) -> &[u64] {
        &self.inner_shape
    }

    /// zarrs' codec chain of the inner chunks, and their shape.
    pub(crate) fn inner_codecs(&self) -> (&Arc<CodecChain>, &ChunkShape) {
        (&self.inner_codecs, &self.inner_chunk_shape)
    }

    /// The index of shard `coords` (at `key`, holding `chunks` inner chunks): the cached one
    /// unless `fresh`, else read with one ranged request and cached. `None`: no shard there.
    pub(crate) async fn index(
        &self,
        store: &Store,
        key: &str,
        coords: &[u64],
        chunks: usize,
        fresh: bool,
    ) -> Result<Option<Arc<ShardIndex>>> {
        if !fresh {
            if let Some(index) = self.cached(coords) {
                return Ok(Some(index));
            }
        }
        let range = self.index.range(chunks);
        let (mut parts, size, version) = match store.read_ranges(key, &[range], None).await? {
            Ranged::Missing | Ranged::Changed => return Ok(None),
            Ranged::Found {
                parts,
                size,
                version,
            } => (parts, size, version),
        };
        let bytes = parts.pop().unwrap_or_default();
        let entries = self
            .index
            .parse_index(&bytes, chunks, size)
            .map_err(|e| in_shard(store, key, e))?;
        let index = Arc::new(ShardIndex { entries, version });
        self.remember(coords, index.clone());
        Ok(Some(index))
    }
}

impl ShardReads {
    /// The stored bytes of inner chunk `i` of the shard at `key` (`None`: not stored, or no
    /// shard): its index (cached, or one ranged request), then one ranged request.
    pub(crate) async fn read_piece(
        &self,
        store: &Store,
        key: &str,
        coords: &[u64],
        count: usize,
        i: usize,
    ) -> Result<Option<Bytes>> {
        let found = Mutex::new(None);
        let sink = |mut batch: Vec<(usize, Option<Bytes>)>| {
            *lock(&found) = batch.pop().and_then(|(_, bytes)| bytes);
            std::future::ready(Ok(()))
        };
        if self
            .read_pieces(store, key, coords, count, &[i], sink)
            .await?
            == PartRead::Done
        {
            return Ok(found.into_inner().unwrap_or_else(PoisonError::into_inner));
        }
        // Replaced while being read, twice: take it from the whole shard.
        match store.get(key).await? {
            Some(shard) => self.piece_of(store, key, &shard, count, i),
            None => Ok(None),
        }
    }

    /// Inner chunk `i` of `shard` (whole, `count` inner chunks), without a copy.
    fn piece_of(
        &self,
        store: &Store,
        key: &str,
        shard: &Bytes,
        count: usize,
        i: usize,
    ) -> Result<Option<Bytes>> {
        let entries = self
            .index
            .parse(shard, count)
            .map_err(|e| in_shard(store, key, e))?;
        Ok(entries[i].map(|(offset, len)| shard.slice(offset..offset + len)))
    }

    /// `shard` (whole, `count` inner chunks; `None`: not stored) with inner chunk `i` stored
    /// as `piece` (`None`: not stored), the others as they were; `None` when no inner chunk
    /// is left stored and `keep_empty` is false.
    ///
    /// # Errors
    /// [`Error::Resource`] when the new shard and its index bookkeeping exceed the memory
    /// limit; [`Error::Codec`] for a damaged index.
    pub(crate) fn replace_piece(
        &self,
        shard: Option<&[u8]>,
        count: usize,
        i: usize,
        piece: Option<&[u8]>,
        keep_empty: bool,
    ) -> Result<Option<Vec<u8>>> {
        let len = |b: Option<&[u8]>| b.map_or(0, <[u8]>::len) as u64;
        let entries_bytes = (count as u64).saturating_mul(2 * std::mem::size_of::<Entry>() as u64);
        let needed = (self.index.data_start(count) as u64)
            .saturating_add(len(shard))
            .saturating_add(len(piece))
            .saturating_add(entries_bytes);
        check_allocation(needed, || {
            format!("rebuilding a shard of {count} inner chunks")
        })?;
        let old = shard.map(|s| self.index.parse(s, count)).transpose()?;
        let mut out = vec![0u8; self.index.data_start(count)];
        let mut entries: Vec<Entry> = Vec::with_capacity(count);
        for j in 0..count {
            let bytes = if j == i {
                piece
            } else {
                old.as_ref()
                    .and_then(|entries| entries[j])
                    .zip(shard)
                    .map(|((offset, len), shard)| &shard[offset..offset + len])
            };
            entries.push(bytes.map(|b| {
                let start = out.len();
                out.extend_from_slice(b);
                (start, b.len())
            }));
        }
        if !keep_empty && entries.iter().all(Option::is_none) {
            return Ok(None);
        }
        self.index.write(&entries, &mut out);
        Ok(Some(out))
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// How a read of inner chunks ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PartRead {
    /// Every inner chunk asked for went to the sink.
    Done,
    /// The shard was replaced while being read, twice: read it whole instead.
    Replaced,
}

impl ShardReads {
    /// Read the inner chunks `wanted` (indexes into the shard's `count` inner chunks, C
    /// order) of the shard at `key`: the index (cached, or one ranged request), then the
    /// stored ones, neighbours joined, all at once. `sink` gets every one of them once, as
    /// `(index, bytes)`, `None` for one not stored (or no shard at all).
    pub(crate) async fn read_pieces<F, Fut>(
        &self,
        store: &Store,
        key: &str,
        coords: &[u64],
        count: usize,
        wanted: &[usize],
        mut sink: F,
    ) -> Result<PartRead>
    where
        F: FnMut(Vec<(usize, Option<Bytes>)>) -> Fut,
        Fut: Future<Output = Result<()>>,
    {
        for fresh in [false, true] {
            let mut found = HashMap::new();
            if let Some(index) = self.index(store, key, coords, count, fresh).await? {
                let plan = Plan::new(&index, wanted);
                if !plan.ranges.is_empty() {
                    let version = index.version.as_deref();
                    let Ranged::Found { parts, .. } =
                        store.read_ranges(key, &plan.ranges, version).await?
                    else {
                        // Replaced or deleted since its index was read: read the index again.
                        self.forget(coords);
                        continue;
                    };
                    found = plan.split(&parts).map_err(|e| in_shard(store, key, e))?;
                }
            }
            sink(wanted.iter().map(|&i| (i, found.remove(&i))).collect()).await?;
            return Ok(PartRead::Done);
        }
        Ok(PartRead::Replaced)
    }

    /// Read the whole shard at `key` from a store that streams values (see
    /// [`Store::streams`]): its body and its index are asked for at once, and each inner
    /// chunk goes to `sink` (as in [`ShardReads::read_pieces`]) as soon as its bytes have
    /// arrived, so decoding overlaps the download. The index is used only when it and the
    /// body are the same version of the shard.
    ///
    /// Downloading a shard of 7.5 MB over 200 Mbit/s takes about 0.3 s and decoding it about
    /// 20-40 ms here: decoding after the download adds that to every shard read whole.
    pub(crate) async fn stream_pieces<F, Fut>(
        &self,
        store: &Store,
        key: &str,
        coords: &[u64],
        count: usize,
        mut sink: F,
    ) -> Result<PartRead>
    where
        F: FnMut(Vec<(usize, Option<Bytes>)>) -> Fut,
        Fut: Future<Output = Result<()>>,
    {
        let (index, body) = futures::try_join!(
            self.index(store, key, coords, count, false),
            store.get_stream(key)
        )?;
        let Some(mut body) = body else {
            sink((0..count).map(|i| (i, None)).collect()).await?;
            return Ok(PartRead::Done);
        };
        let index = match index {
            Some(index) if index.version.is_some() && index.version == body.version => index,
            _ => {
                // Another version (a cached index, or a write in between): read it again.
                self.forget(coords);
                return Ok(PartRead::Replaced);
            }
        };
        let mut order: Vec<(u64, u64, usize)> = Vec::with_capacity(count);
        let mut absent = Vec::new();
        for (i, entry) in index.entries.iter().enumerate() {
            match entry {
                Some((offset, len)) => order.push((*offset as u64, *len as u64, i)),
                None => absent.push((i, None)),
            }
        }
        order.sort_unstable();
        let mut pending = FuturesUnordered::new();
        if !absent.is_empty() {
            pending.push(sink(absent));
        }
        let mut received = Received::default();
        let mut next = 0;
        loop {
            tokio::select! {
                chunk = body.next() => {
                    let Some(chunk) = chunk else { break };
                    received.push(chunk?);
                    let mut batch = Vec::new();
                    while let Some(&(offset, len, i)) = order.get(next) {
                        let Some(bytes) = received.take(offset, len) else { break };
                        batch.push((i, Some(bytes)));
                        next += 1;
                    }
                    if !batch.is_empty() {
                        pending.push(sink(batch));
                    }
                }
                Some(done) = pending.next(), if !pending.is_empty() => done?,
            }
        }
        while let Some(done) = pending.next().await {
            done?;
        }
        if next < order.len() {
            return Err(in_shard(
                store,
                key,
                Error::codec(format!(
                    "invalid shard: it ended after {} bytes, before its inner chunks",
                    received.end
                )),
            ));
        }
        Ok(PartRead::Done)
    }
}

/// The bytes of a value received so far, in arrival order, from the first not yet taken.
#[derive(Default)]
struct Received {
    parts: std::collections::VecDeque<(u64, Bytes)>,
    end: u64,
}

impl Received {
    fn push(&mut self, part: Bytes) {
        let start = self.end;
        self.end += part.len() as u64;
        self.parts.push_back((start, part));
    }

    /// Bytes `offset..offset + len`, once they have all arrived (a slice when they came in
    /// one part, else a copy); parts before `offset` are dropped.
    fn take(&mut self, offset: u64, len: u64) -> Option<Bytes> {
        let end = offset + len;
        if end > self.end {
            return None;
        }
        while self
            .parts
            .front()
            .is_some_and(|(start, part)| start + part.len() as u64 <= offset)
        {
            self.parts.pop_front();
        }
        let to_usize = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        let (first, part) = self.parts.front()?;
        if first + part.len() as u64 >= end {
            return Some(part.slice(to_usize(offset - first)..to_usize(end - first)));
        }
        let mut out = Vec::with_capacity(to_usize(len));
        for (start, part) in &self.parts {
            let from = to_usize(offset.saturating_sub(*start)).min(part.len());
            let to = to_usize(end.saturating_sub(*start)).min(part.len());
            out.extend_from_slice(&part[from..to]);
            if start + part.len() as u64 >= end {
                break;
            }
        }
        Some(Bytes::from(out))
    }
}

/// A codec error naming the shard's store and key.
fn in_shard(store: &Store, key: &str, err: Error) -> Error {
    match err {
        Error::Codec { message, source } => Error::Codec {
            message: format!("{} (key {key:?}): {message}", store.url()),
            source,
        },
        Error::Checksum { message, source } => Error::Checksum {
            message: format!("{} (key {key:?}): {message}", store.url()),
            source,
        },
        other => other,
    }
}

/// The requests that read some inner chunks of a shard.
#[derive(Debug)]
struct Plan {
    /// One range per request.
    ranges: Vec<ByteRange>,
    /// Per request: the inner chunks it holds, as `(piece, offset in the request, length)`.
    members: Vec<Vec<(usize, usize, usize)>>,
}

impl Plan {
    /// The requests for the stored ones of inner chunks `wanted` (indexes into the shard's
    /// inner chunks, C order), grouped as [`Coalescing::current`] says.
    fn new(index: &ShardIndex, wanted: &[usize]) -> Self {
        let stored: Vec<(usize, (u64, u64))> = wanted
            .iter()
            .filter_map(|&i| index.entries[i].map(|(o, l)| (i, (o as u64, l as u64))))
            .collect();
        let spans: Vec<(u64, u64)> = stored.iter().map(|(_, span)| *span).collect();
        let groups = Coalescing::current().group(&spans);
        let to_usize = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        Self {
            ranges: groups
                .iter()
                .map(|(start, end, _)| ByteRange::FromStart(*start, Some(end - start)))
                .collect(),
            members: groups
                .iter()
                .map(|(start, _, members)| {
                    members
                        .iter()
                        .map(|&m| {
                            let (piece, (offset, len)) = stored[m];
                            (piece, to_usize(offset - start), to_usize(len))
                        })
                        .collect()
                })
                .collect(),
        }
    }

    /// The bytes of each inner chunk read, from the requests' answers (`parts`, in order).
    ///
    /// # Errors
    /// [`Error::Codec`] when an answer is shorter than asked for (a shard that ended early).
    fn split(&self, parts: &[Bytes]) -> Result<HashMap<usize, Bytes>> {
        let mut found = HashMap::new();
        for ((range, members), part) in self.ranges.iter().zip(&self.members).zip(parts) {
            for &(piece, at, len) in members {
                if at + len > part.len() {
                    return Err(Error::codec(format!(
                        "invalid shard: a range of {range} came back with {} bytes",
                        part.len()
                    )));
                }
                found.insert(piece, part.slice(at..at + len));
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bytes::Bytes;

    use super::{Coalescing, Received, ShardIndex, ShardReads, INDEX_CACHE_BYTES};

    #[test]
    fn pieces_are_taken_once_their_bytes_have_arrived() {
        let mut received = Received::default();
        received.push(Bytes::from_static(b"abcd"));
        assert_eq!(received.take(1, 2).as_deref(), Some(&b"bc"[..])); // inside one part
        assert_eq!(received.take(3, 3), None); // not all there yet
        received.push(Bytes::from_static(b"ef"));
        received.push(Bytes::from_static(b"ghij"));
        assert_eq!(received.take(3, 5).as_deref(), Some(&b"defgh"[..])); // across three
        assert_eq!(received.parts.len(), 3);
        assert_eq!(received.take(8, 2).as_deref(), Some(&b"ij"[..]));
        assert_eq!(received.parts.len(), 1); // earlier parts dropped
        assert_eq!(received.take(9, 2), None);
    }

    #[test]
    fn neighbours_join_within_the_gap_and_size_limits() {
        let limits = Coalescing {
            max_gap: 10,
            max_bytes: 100,
        };
        // Out of order on purpose: grouping follows offsets.
        let spans = [(50, 10), (0, 10), (15, 10), (200, 10), (80, 30)];
        let groups = limits.group(&spans);
        assert_eq!(
            groups,
            vec![
                (0, 25, vec![1, 2]),
                (50, 60, vec![0]),
                (80, 110, vec![4]),
                (200, 210, vec![3])
            ]
        );
        // Adjacent chunks join even with no gap allowed; a chunk larger than the size limit
        // is still read whole.
        let tight = Coalescing {
            max_gap: 0,
            max_bytes: 15,
        };
        assert_eq!(
            tight.group(&[(0, 5), (5, 5), (10, 40), (51, 1)]),
            vec![(0, 10, vec![0, 1]), (10, 50, vec![2]), (51, 52, vec![3])]
        );
    }

    #[test]
    fn the_index_cache_is_bounded_and_forgets_written_shards() {
        let chain = zarrs::array::CodecChain::from_metadata(&[serde_json::from_value(
            serde_json::json!({"name": "sharding_indexed", "configuration": {
                "chunk_shape": [2], "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
                "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}},
                                 {"name": "crc32c"}],
                "index_location": "end"}}),
        )
        .unwrap()])
        .unwrap();
        let shards = ShardReads::detect(&chain, 1).expect("a layout this module reads");
        let big = || {
            Arc::new(ShardIndex {
                entries: vec![None; INDEX_CACHE_BYTES * 2 / 5 / 24],
                version: None,
            })
        };
        for i in 0..4 {
            shards.remember(&[i], big());
            // Keep shard 0 in use: it is the most recently used when the cache overflows.
            assert!(shards.cached(&[0]).is_some());
        }
        assert_eq!(shards.cached_count(), 2);
        assert!(shards.cached(&[0]).is_some() && shards.cached(&[3]).is_some());
        shards.forget(&[0]);
        assert!(shards.cached(&[0]).is_none());
        // Not sharded, or an index codec this module does not read: no partial reads.
        let plain = zarrs::array::CodecChain::from_metadata(&[serde_json::from_value(
            serde_json::json!({"name": "bytes", "configuration": {"endian": "little"}}),
        )
        .unwrap()])
        .unwrap();
        assert!(ShardReads::detect(&plain, 1).is_none());
    }
}
