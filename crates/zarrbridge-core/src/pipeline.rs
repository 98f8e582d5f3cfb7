//! The chunk pipeline shared by chunk and region operations: chunk I/O runs on tokio, codec
//! work on rayon, and decoded data lands straight in the caller's buffer.

use std::borrow::Cow;
use std::sync::Arc;

use futures::{FutureExt, StreamExt, TryStreamExt};
use rayon::prelude::*;
use unsafe_cell_slice::UnsafeCellSlice;
use zarrs::array::{
    ArrayBytes, ArrayBytesDecodeIntoTarget, ArrayBytesFixedDisjointView, ArraySubset,
    ArrayToBytesCodecTraits, BytesPartialDecoderTraits, ChunkShape, CodecChain, CodecOptions,
};
use zarrs::storage::StoreKey;

use crate::chunk_lock::{lock_chunk, ChunkLock};
use crate::compute::{compute_part, compute_threads, in_place_budget, install};
use crate::error::{Error, Result};
use crate::fast::{inner_subsets, overlaps, ReadTarget, WriteSource};
use crate::handle::ArrayHandle;
use crate::io_stats;
use crate::limits::check_len;
use crate::ndcopy::{byte_len, c_strides, copy_block, offset_of, Strided};
use crate::progress;
use crate::shards::{PartRead, ShardReads};
use crate::store::{InPlace, Store};

/// How many chunks one operation keeps in flight (fetching or decoding; see [`Sizing`]).
///
/// [`Sizing`]: crate::sizing::Sizing
pub(crate) fn chunk_concurrency() -> usize {
    crate::sizing::sizing().chunk_concurrency
}

/// Chunk files up to this size are read by the compute job that decodes them (see
/// [`read_into`]); larger ones through tokio's blocking pool.
const COMPUTE_READ_LIMIT: usize = 64 << 20;

/// Memory owned by someone else (a caller's numpy array) that a read may fill.
///
/// # Safety
/// `ptr()` must point to `len()` writable bytes that stay valid, and are not moved, for as long
/// as the value lives. The library writes disjoint parts of it from several threads.
pub unsafe trait ExternalBuffer: Send + Sync + 'static {
    /// Start of the memory.
    fn ptr(&self) -> *mut u8;
    /// Length in bytes.
    fn len(&self) -> usize;
    /// Whether the buffer is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The destination of one read, shared by its compute jobs. Each job writes a disjoint region;
/// the memory lives until the last job lets go, even if the read is cancelled.
pub(crate) struct SharedOut {
    cells: UnsafeCellSlice<'static, u8>,
    owner: Owner,
}

enum Owner {
    Vec(Vec<u8>),
    External(#[allow(dead_code)] Box<dyn ExternalBuffer>),
}

impl SharedOut {
    /// A new, uninitialised buffer of `len` bytes (holding `what`, for the error when that is
    /// more than the memory limit allows); every byte must be written before
    /// [`SharedOut::into_vec`].
    pub(crate) fn owned(len: usize, what: impl FnOnce() -> String) -> Result<Arc<Self>> {
        check_len(len, what)?;
        let mut vec = crate::pages::new_result(len);
        let spare = vec.spare_capacity_mut();
        // SAFETY: the Vec's heap memory does not move when the Vec is moved into `owner`, and
        // it lives as long as `self`; only disjoint regions are written through the cells.
        let cells = unsafe {
            UnsafeCellSlice::new(std::slice::from_raw_parts_mut(
                spare.as_mut_ptr().cast::<u8>(),
                len,
            ))
        };
        Ok(Arc::new(Self {
            cells,
            owner: Owner::Vec(vec),
        }))
    }

    /// Wrap a caller's buffer.
    #[must_use]
    pub(crate) fn external(buffer: Box<dyn ExternalBuffer>) -> Arc<Self> {
        // SAFETY: guaranteed by the `ExternalBuffer` contract.
        let cells = unsafe {
            UnsafeCellSlice::new(std::slice::from_raw_parts_mut(buffer.ptr(), buffer.len()))
        };
        Arc::new(Self {
            cells,
            owner: Owner::External(buffer),
        })
    }

    /// Length in bytes.
    #[must_use]
    pub(crate) fn len(&self) -> usize {
        self.cells.len()
    }

    /// The buffer as the destination of the library's own codec path, holding `subset`.
    pub(crate) fn read_target<'a>(&self, subset: &'a ArraySubset) -> ReadTarget<'a> {
        ReadTarget {
            subset,
            cells: self.cells,
        }
    }

    /// Copy `bytes` into the buffer at byte `at`.
    ///
    /// # Safety
    /// No other job may access those bytes meanwhile.
    ///
    /// # Panics
    /// If the bytes do not fit in the buffer (a bug in the caller).
    pub(crate) unsafe fn write_at(&self, at: usize, bytes: &[u8]) {
        // SAFETY: exclusive access to this range is guaranteed by the caller.
        let dst = unsafe { self.cells.index_mut(at..at + bytes.len()) };
        crate::ndcopy::copy_bytes(dst, bytes);
    }

    /// The filled buffer, once every job is done; `None` for an external buffer.
    ///
    /// # Safety
    /// Every byte must have been written.
    pub(crate) unsafe fn into_vec(self: Arc<Self>) -> Result<Option<Vec<u8>>> {
        let this = Arc::try_unwrap(self)
            .map_err(|_| Error::codec("read buffer still shared after the read"))?;
        let len = this.cells.len();
        Ok(match this.owner {
            Owner::Vec(mut v) => {
                // SAFETY: the caller guarantees all `len` bytes were initialised.
                unsafe { v.set_len(len) };
                Some(v)
            }
            Owner::External(_) => None,
        })
    }
}

// SAFETY: the buffer is only written in disjoint regions by compute jobs (see `SharedOut`).
unsafe impl Send for SharedOut {}
unsafe impl Sync for SharedOut {}

/// Memory lent to one decode by [`decode_in_scratch`].
struct Lent {
    ptr: *mut u8,
    len: usize,
}

// SAFETY: only the decode it is lent to writes through it, on the thread that lent it.
unsafe impl Send for Lent {}
unsafe impl Sync for Lent {}

// SAFETY: `decode_in_scratch` keeps the memory borrowed, unmoved, while this value lives.
unsafe impl ExternalBuffer for Lent {
    fn ptr(&self) -> *mut u8 {
        self.ptr
    }

    fn len(&self) -> usize {
        self.len
    }
}

/// Run `decode` with `len` bytes of this thread's scratch memory as its destination, then
/// `then` on what it wrote: a compute job decodes a chunk there to copy parts of it out (or
/// to change and encode it again) without a new allocation per chunk.
///
/// # Errors
/// What `decode` or `then` return; [`Error::Codec`] if `decode` kept its destination;
/// [`Error::Resource`] if `len` is more than the memory limit allows.
pub(crate) fn decode_in_scratch<R>(
    len: usize,
    decode: impl FnOnce(&Arc<SharedOut>) -> Result<()>,
    then: impl FnOnce(&mut [u8]) -> Result<R>,
) -> Result<R> {
    check_len(len, || format!("decoding a unit of {len} bytes"))?;
    crate::fast::with_scratch(len, |scratch| {
        let out = SharedOut::external(Box::new(Lent {
            ptr: scratch.as_mut_ptr(),
            len: scratch.len(),
        }));
        decode(&out)?;
        // The scratch is used directly below: nothing may still write through `out`.
        Arc::try_unwrap(out)
            .map_err(|_| Error::codec("internal: a decode kept its scratch memory"))?;
        then(scratch)
    })
}

/// Codec options for an operation touching `chunks` chunks: with many chunks, parallelise across
/// chunks; with few, let each chunk's codecs use the threads (as zarrs-python does).
pub(crate) fn codec_options(chunks: usize) -> CodecOptions {
    let threads = compute_threads();
    let target = if chunks >= threads { 1 } else { threads };
    CodecOptions::default().with_concurrent_target(target)
}

/// The chunks of `array` that intersect `subset`, in C order.
pub(crate) fn chunks_touching(array: &ArrayHandle, subset: &ArraySubset) -> Result<Vec<Vec<u64>>> {
    if subset.num_elements() == 0 {
        return Ok(Vec::new());
    }
    let chunks = array
        .array
        .chunks_in_array_subset(subset)
        .map_err(|e| Error::Selection(e.to_string()))?
        .ok_or_else(|| Error::Selection(format!("region {subset} does not map to chunks")))?;
    Ok(chunks.indices().into_iter().map(|c| c.to_vec()).collect())
}

/// The destination of a read of `len` bytes, a result of `shape`: the caller's buffer when
/// given (it must be exactly that size), else a new one.
pub(crate) fn result_buffer(
    out: Option<Box<dyn ExternalBuffer>>,
    len: usize,
    shape: &[u64],
) -> Result<Arc<SharedOut>> {
    match out {
        None => SharedOut::owned(len, || format!("a result of shape {shape:?}")),
        Some(buffer) if buffer.len() == len => Ok(SharedOut::external(buffer)),
        Some(buffer) => Err(Error::InvalidData(format!(
            "out holds {} bytes, the result needs {len}",
            buffer.len()
        ))),
    }
}

/// Decode the part of chunk `coords` that falls in `target` (array coordinates) into `out`,
/// which holds an array of `target`'s shape. `encoded` is the stored chunk, if any.
pub(crate) fn decode_into_target(
    array: &ArrayHandle,
    coords: &[u64],
    encoded: Option<bytes::Bytes>,
    target: &ArraySubset,
    out: &SharedOut,
    options: &CodecOptions,
) -> Result<()> {
    let za = &array.array;
    let chunk = za.chunk_subset(coords)?;
    if let (Some(fast), Some(encoded)) = (&array.fast, &encoded) {
        let parallel = options.concurrent_target() > 1;
        return fast.decode(
            encoded,
            &chunk,
            &out.read_target(target),
            za.fill_value(),
            parallel,
        );
    }
    let chunk_shape = za.chunk_shape(coords)?;
    decode_with_codecs(
        array,
        &za.codecs(),
        &chunk,
        &chunk_shape,
        encoded,
        target,
        out,
        options,
    )
}

/// Decode the part of one stored piece (a chunk, or an inner chunk of a shard: `piece` its
/// subset, `piece_shape` its shape, `encoded` its bytes or `None` when absent) that falls in
/// `target` into `out` with zarrs' `codecs`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn decode_with_codecs(
    array: &ArrayHandle,
    codecs: &Arc<CodecChain>,
    piece: &ArraySubset,
    piece_shape: &ChunkShape,
    encoded: Option<bytes::Bytes>,
    target: &ArraySubset,
    out: &SharedOut,
    options: &CodecOptions,
) -> Result<()> {
    let za = &array.array;
    let elem = array.element()?.size;
    let overlap = piece
        .overlap(target)
        .map_err(|e| Error::Selection(e.to_string()))?;
    let in_out = overlap
        .relative_to(target.start())
        .map_err(|e| Error::Selection(e.to_string()))?;
    let in_piece = overlap
        .relative_to(piece.start())
        .map_err(|e| Error::Selection(e.to_string()))?;
    let out_shape = target.shape().to_vec();
    // SAFETY: pieces partition the array, so the regions of different jobs are disjoint.
    let mut view = unsafe { ArrayBytesFixedDisjointView::new(out.cells, elem, &out_shape, in_out) }
        .map_err(|e| Error::codec(e.to_string()))?;
    let Some(encoded) = encoded else {
        return view
            .fill(array.fill_value_bytes())
            .map_err(|e| Error::codec(e.to_string()));
    };
    // zarrs decodes the piece whole (compressed chains cannot be decoded in part).
    check_len(byte_len(piece.shape(), elem), || {
        format!("decoding a chunk of shape {:?}", piece.shape())
    })?;
    let whole = in_piece.start().iter().all(|&s| s == 0) && in_piece.shape() == piece.shape();
    if whole {
        codecs.decode_into(
            Cow::Borrowed(&encoded[..]),
            piece_shape,
            za.data_type(),
            za.fill_value(),
            ArrayBytesDecodeIntoTarget::Fixed(&mut view),
            options,
        )?;
    } else {
        let input: Arc<dyn BytesPartialDecoderTraits> = Arc::new(Vec::from(encoded));
        codecs
            .clone()
            .partial_decoder(input, piece_shape, za.data_type(), za.fill_value(), options)?
            .partial_decode_into(
                &in_piece,
                ArrayBytesDecodeIntoTarget::Fixed(&mut view),
                options,
            )?;
    }
    Ok(())
}

/// Fetch the stored chunk at `key` for an operation on `count` chunks of `bytes` decoded
/// bytes each, and run `decode` on it (`None`: absent) in a compute job (see
/// [`compute_part`]). For a file store the job reads the file itself, sparing a hop through
/// tokio's blocking pool and back per chunk; a file it should not read there (a special file,
/// a large one) hands `decode` back, and is read the async way.
pub(crate) async fn fetch_then<F>(
    store: &Store,
    key: StoreKey,
    count: usize,
    bytes: usize,
    decode: F,
) -> Result<()>
where
    F: FnOnce(Option<bytes::Bytes>) -> Result<()> + Send + 'static,
{
    let decode = if store.reads_now() {
        let (job_store, job_key, stats) = (store.clone(), key.clone(), io_stats::current());
        let left = compute_part(count, bytes, move || {
            let limit = match in_place_budget() {
                0 => COMPUTE_READ_LIMIT,
                budget => budget,
            };
            match job_store.get_now(job_key.as_str(), limit, stats)? {
                InPlace::Read(encoded) => decode(encoded).map(|()| None),
                InPlace::NotHere => Ok(Some(decode)),
            }
        })
        .await?;
        match left {
            Some(decode) => decode,
            None => return Ok(()),
        }
    } else {
        decode
    };
    let encoded = store.get(key.as_str()).await?;
    compute_part(count, bytes, move || decode(encoded)).await
}

/// Whether `target` holds every element of chunk `coords` that lies inside the array.
fn covers(array: &ArrayHandle, coords: &[u64], target: &ArraySubset) -> Result<bool> {
    let bounded = array.array.chunk_subset_bounded(coords)?;
    Ok(bounded
        .overlap(target)
        .map_err(|e| Error::Selection(e.to_string()))?
        == bounded)
}

/// Bytes of the part of chunk `coords` inside `target`, for progress reports.
fn bytes_in(array: &ArrayHandle, coords: &[u64], target: &ArraySubset, elem: usize) -> u64 {
    array
        .array
        .chunk_subset(coords)
        .ok()
        .and_then(|chunk| chunk.overlap(target).ok())
        .map_or(0, |overlap| byte_len(overlap.shape(), elem) as u64)
}

/// Fill `out` (an array of `target`'s shape, C order) with the array's data in `target`, which
/// may extend past the array's edge inside edge chunks. Shards only partly inside `target` are
/// read in part (see [`crate::shards`]).
pub(crate) async fn read_into(
    array: &ArrayHandle,
    target: &ArraySubset,
    out: &Arc<SharedOut>,
) -> Result<()> {
    let elem = array.element()?.size;
    let expected = byte_len(target.shape(), elem);
    if out.len() != expected {
        return Err(Error::InvalidData(format!(
            "output buffer holds {} bytes, the selection needs {expected}",
            out.len()
        )));
    }
    let chunks = chunks_touching(array, target)?;
    let (options, count) = (codec_options(chunks.len()), chunks.len());
    let chunk_bytes = byte_len(&array.chunk_shape(), elem);
    progress::plan(count as u64, expected as u64);
    futures::stream::iter(chunks)
        .map(|coords| {
            let (array, target, out) = (array.clone(), target.clone(), out.clone());
            let covered = covers(&array, &coords, &target)?;
            let done = bytes_in(&array, &coords, &target, elem);
            if let (Some(shards), true) = (&array.shards, !covered || array.store.streams()) {
                let shards = shards.clone();
                return Ok(async move {
                    read_part(
                        &array, &shards, coords, &target, &out, options, count, covered,
                    )
                    .await?;
                    progress::done(1, done);
                    Ok(())
                }
                .boxed());
            }
            Ok(async move {
                let (store, key) = (array.store.clone(), array.array.chunk_key(&coords));
                fetch_then(&store, key, count, chunk_bytes, move |encoded| {
                    decode_into_target(&array, &coords, encoded, &target, &out, &options)
                })
                .await?;
                progress::done(1, done);
                Ok(())
            }
            .boxed())
        })
        .try_buffer_unordered(chunk_concurrency())
        .try_collect::<()>()
        .await
}

/// Whether a write takes its chunks' locks (see [`crate::chunk_lock`]) or its caller already
/// holds them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Locks {
    Take,
    Held,
}

/// Store `data` (C order, `target`'s shape, native byte order) into the array region `target`.
/// Chunks only partly covered are read, merged and rewritten under their chunk's lock: one read
/// and one write of each stored chunk. Chunks left equal to the fill value are erased unless
/// the handle writes empty chunks.
pub(crate) async fn write_from(
    array: &ArrayHandle,
    target: &ArraySubset,
    data: Arc<dyn AsRef<[u8]> + Send + Sync>,
    locks: Locks,
) -> Result<()> {
    let elem = array.element()?.size;
    let expected = byte_len(target.shape(), elem);
    let given = (*data).as_ref().len();
    if given != expected {
        return Err(Error::InvalidData(format!(
            "data holds {given} bytes, the selection of shape {:?} needs {expected}",
            target.shape()
        )));
    }
    let chunks = chunks_touching(array, target)?;
    let (options, count) = (codec_options(chunks.len()), chunks.len());
    let chunk_bytes = byte_len(&array.chunk_shape(), elem);
    progress::plan(count as u64, expected as u64);
    futures::stream::iter(chunks)
        .map(|coords| {
            let (array, target, data) = (array.clone(), target.clone(), data.clone());
            async move {
                let key = array.array.chunk_key(&coords);
                let done = bytes_in(&array, &coords, &target, elem);
                let covered = covers(&array, &coords, &target)?;
                let (held, locks, existing) = read_to_merge(&array, &key, covered, locks).await?;
                let (job_array, job_coords) = (array.clone(), coords.clone());
                let encoded = compute_part(count, chunk_bytes, move || {
                    merge_and_encode(
                        &job_array,
                        &job_coords,
                        existing,
                        &target,
                        (*data).as_ref(),
                        &options,
                    )
                })
                .await;
                let written = store_encoded(&array, &coords, &key, encoded, locks).await;
                drop(held);
                progress::done(1, done);
                written
            }
        })
        .buffer_unordered(chunk_concurrency())
        .try_collect::<()>()
        .await
}

/// The lock a write of chunk `key` takes, and the chunk's stored bytes when the write merges
/// into them: a read-modify-write (the write does not cover the chunk) holds the lock from this
/// read to its write-back, a whole-chunk write reads nothing and locks only around its store
/// call (in [`store_encoded`]), unless the caller holds the locks already (`locks`). Returns
/// the lock held, the `locks` to give [`store_encoded`], and the stored bytes (`None` when
/// covered or not stored).
pub(crate) async fn read_to_merge(
    array: &ArrayHandle,
    key: &StoreKey,
    covered: bool,
    locks: Locks,
) -> Result<(Option<ChunkLock>, Locks, Option<bytes::Bytes>)> {
    if covered {
        return Ok((None, locks, None));
    }
    let (held, locks) = match locks {
        Locks::Take => (
            Some(lock_chunk(&array.store, key.as_str()).await),
            Locks::Held,
        ),
        Locks::Held => (None, locks),
    };
    Ok((held, locks, array.store.get(key.as_str()).await?))
}

/// Store chunk `coords`' new encoded form, or erase it (`None`: all fill value), holding its
/// lock around the store call unless the caller holds it (`locks`), and forget its cached shard
/// index. An encoding error (`encoded`) writes nothing and is returned.
pub(crate) async fn store_encoded(
    array: &ArrayHandle,
    coords: &[u64],
    key: &StoreKey,
    encoded: Result<Option<bytes::Bytes>>,
    locks: Locks,
) -> Result<()> {
    let encoded = encoded?;
    let held = match locks {
        Locks::Take => Some(lock_chunk(&array.store, key.as_str()).await),
        Locks::Held => None,
    };
    let written = match encoded {
        Some(bytes) => array.store.set(key.as_str(), bytes).await,
        None => array.store.erase(key.as_str()).await,
    };
    array.forget_shard(coords);
    drop(held);
    written
}

/// Fill `out` (an array of `target`'s shape) with the part of shard `coords` inside `target`:
/// only its index and the inner chunks the target touches, or, with `whole`, the whole shard
/// streamed from a remote store and decoded as it arrives (see [`crate::shards`]).
#[allow(clippy::too_many_arguments)]
async fn read_part(
    array: &ArrayHandle,
    shards: &ShardReads,
    coords: Vec<u64>,
    target: &ArraySubset,
    out: &Arc<SharedOut>,
    options: CodecOptions,
    count: usize,
    whole: bool,
) -> Result<()> {
    let (store, key) = (&array.store, array.array.chunk_key(&coords));
    let pieces = inner_subsets(&array.array.chunk_subset(&coords)?, shards.inner_shape())?;
    let wanted: Vec<usize> = (0..pieces.len())
        .filter(|&i| overlaps(&pieces[i], target))
        .collect();
    let elem = array.element()?.size;
    let sink = |batch: Vec<(usize, Option<bytes::Bytes>)>| {
        let jobs: Vec<(ArraySubset, Option<bytes::Bytes>)> = batch
            .into_iter()
            .map(|(i, bytes)| (pieces[i].clone(), bytes))
            .collect();
        let bytes = jobs.iter().map(|(p, _)| byte_len(p.shape(), elem)).sum();
        let (job_array, job_target, job_out) = (array.clone(), target.clone(), out.clone());
        compute_part(count, bytes, move || {
            decode_pieces(&job_array, jobs, &job_target, &job_out, &options)
        })
    };
    let read = if whole {
        shards
            .stream_pieces(store, key.as_str(), &coords, pieces.len(), sink)
            .await?
    } else {
        shards
            .read_pieces(store, key.as_str(), &coords, pieces.len(), &wanted, sink)
            .await?
    };
    if read == PartRead::Done {
        return Ok(());
    }
    // Replaced while being read, again: read the whole shard.
    let chunk_bytes = byte_len(&array.chunk_shape(), elem);
    let (job_array, job_target, job_out) = (array.clone(), target.clone(), out.clone());
    fetch_then(store, key, count, chunk_bytes, move |encoded| {
        decode_into_target(
            &job_array,
            &coords,
            encoded,
            &job_target,
            &job_out,
            &options,
        )
    })
    .await
}

/// Decode inner chunks of a shard (`None`: not stored, the fill value) into the target,
/// several at once when the read has few shards to spread over the threads.
pub(crate) fn decode_pieces(
    array: &ArrayHandle,
    jobs: Vec<(ArraySubset, Option<bytes::Bytes>)>,
    target: &ArraySubset,
    out: &SharedOut,
    options: &CodecOptions,
) -> Result<()> {
    let Some(shards) = &array.shards else {
        return Err(Error::codec("internal: inner chunks of an unsharded array"));
    };
    let (codecs, shape) = shards.inner_codecs();
    let fill = array.array.fill_value();
    let one = |(piece, encoded): (ArraySubset, Option<bytes::Bytes>)| match &array.fast {
        Some(fast) => fast.decode_inner(encoded.as_deref(), &piece, &out.read_target(target), fill),
        None => decode_with_codecs(array, codecs, &piece, shape, encoded, target, out, options),
    };
    if options.concurrent_target() > 1 && jobs.len() > 1 {
        install(|| jobs.into_par_iter().try_for_each(one))
    } else {
        jobs.into_iter().try_for_each(one)
    }
}

/// Build the new content of chunk `coords`: the existing chunk (or the fill value), with the
/// part of `data` that falls in it copied over; encode it, or `None` to erase it.
fn merge_and_encode(
    array: &ArrayHandle,
    coords: &[u64],
    existing: Option<bytes::Bytes>,
    target: &ArraySubset,
    data: &[u8],
    options: &CodecOptions,
) -> Result<Option<bytes::Bytes>> {
    let za = &array.array;
    let elem = array.element()?.size;
    let chunk = za.chunk_subset(coords)?;
    if let Some(fast) = &array.fast {
        let source = WriteSource {
            subset: target,
            data,
            fill: za.fill_value(),
            keep_empty: array.write_empty_chunks,
        };
        let parallel = options.concurrent_target() > 1;
        return fast.encode(&chunk, existing.as_deref(), &source, parallel);
    }
    let chunk_shape = za.chunk_shape(coords)?;
    // The chunk is rebuilt whole in memory: zarrs has no partial encoder for plain chunks.
    check_len(byte_len(chunk.shape(), elem), || {
        format!("writing into chunk {coords:?} of shape {:?}", chunk.shape())
    })?;
    let mut buffer: Vec<u8> = match existing {
        Some(encoded) => za
            .codecs()
            .decode(
                Cow::Borrowed(&encoded[..]),
                &chunk_shape,
                za.data_type(),
                za.fill_value(),
                options,
            )?
            .into_fixed()
            .map_err(|e| Error::codec(e.to_string()))?
            .into_owned(),
        // Every element is overwritten below: skip the fill-value pass (zeroed memory is
        // handed out lazily by the allocator).
        None if chunk.overlap(target).is_ok_and(|o| o == chunk) => {
            vec![0u8; usize::try_from(chunk.num_elements()).unwrap_or(usize::MAX) * elem]
        }
        None => array
            .fill_value_bytes()
            .repeat(usize::try_from(chunk.num_elements()).unwrap_or(usize::MAX)),
    };
    let overlap = chunk
        .overlap(target)
        .map_err(|e| Error::Selection(e.to_string()))?;
    let src_strides = c_strides(target.shape());
    let dst_strides = c_strides(chunk.shape());
    let rel = |origin: &[u64]| -> Vec<u64> {
        overlap
            .start()
            .iter()
            .zip(origin)
            .map(|(a, b)| a - b)
            .collect()
    };
    copy_block(
        data,
        Strided {
            offset: offset_of(&rel(target.start()), &src_strides),
            strides: &src_strides,
        },
        &mut buffer,
        Strided {
            offset: offset_of(&rel(chunk.start()), &dst_strides),
            strides: &dst_strides,
        },
        overlap.shape(),
        elem,
    );
    encode_chunk(array, coords, &buffer, options)
}

/// Encode a whole chunk, or `None` when it equals the fill value and empty chunks are not kept.
pub(crate) fn encode_chunk(
    array: &ArrayHandle,
    coords: &[u64],
    decoded: &[u8],
    options: &CodecOptions,
) -> Result<Option<bytes::Bytes>> {
    let za = &array.array;
    if let Some(fast) = &array.fast {
        let chunk = za.chunk_subset(coords)?;
        let source = WriteSource {
            subset: &chunk,
            data: decoded,
            fill: za.fill_value(),
            keep_empty: array.write_empty_chunks,
        };
        let parallel = options.concurrent_target() > 1;
        return fast.encode(&chunk, None, &source, parallel);
    }
    if !array.write_empty_chunks && za.fill_value().equals_all(decoded) {
        return Ok(None);
    }
    let chunk_shape = za.chunk_shape(coords)?;
    let encoded = za.codecs().encode(
        ArrayBytes::new_flen(Cow::Borrowed(decoded)),
        &chunk_shape,
        za.data_type(),
        za.fill_value(),
        options,
    )?;
    Ok(Some(bytes::Bytes::from(encoded.into_owned())))
}
