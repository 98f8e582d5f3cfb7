//! The chunk pipeline shared by chunk and region operations: chunk I/O runs on tokio, codec
//! work on rayon, and decoded data lands straight in the caller's buffer.

use std::borrow::Cow;
use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use unsafe_cell_slice::UnsafeCellSlice;
use zarrs::array::{
    ArrayBytes, ArrayBytesDecodeIntoTarget, ArrayBytesFixedDisjointView, ArraySubset,
    ArrayToBytesCodecTraits, BytesPartialDecoderTraits, CodecOptions,
};
use zarrs::storage::StoreKey;

use crate::chunk_lock::lock_chunk;
use crate::compute::{compute_part, compute_threads, in_place_budget};
use crate::error::{Error, Result};
use crate::fast::{ReadTarget, WriteSource};
use crate::handle::ArrayHandle;
use crate::limits::check_len;
use crate::ndcopy::{c_strides, copy_block, offset_of, Strided};
use crate::store::{InPlace, Store};

/// How many chunks one operation keeps in flight (fetching or decoding).
pub(crate) const CHUNK_CONCURRENCY: usize = 64;

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

/// Results from this size up are backed by transparent huge pages where the system allows it
/// (as numpy does): faulting in a large fresh buffer 4 KiB at a time costs about as much as
/// decoding into it.
const HUGE_PAGE_THRESHOLD: usize = 4 << 20;

fn advise_huge_pages(vec: &mut Vec<u8>) {
    #[cfg(target_os = "linux")]
    if vec.capacity() >= HUGE_PAGE_THRESHOLD {
        const HUGE: usize = 2 << 20;
        let start = vec.as_mut_ptr() as usize;
        let aligned = start.next_multiple_of(HUGE);
        let end = (start + vec.capacity()) / HUGE * HUGE;
        if end > aligned {
            // SAFETY: the range lies inside the Vec's allocation; MADV_HUGEPAGE only changes
            // how the kernel backs it, never its contents. Failure (no THP) is harmless.
            unsafe {
                libc::madvise(
                    aligned as *mut libc::c_void,
                    end - aligned,
                    libc::MADV_HUGEPAGE,
                );
            }
        }
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
        let mut vec = Vec::with_capacity(len);
        advise_huge_pages(&mut vec);
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

    /// The whole buffer as one mutable slice.
    ///
    /// # Safety
    /// No other job may access the buffer while the slice lives, and for an owned buffer the
    /// slice must be fully written before it is read.
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn slice_mut(&self) -> &mut [u8] {
        // SAFETY: exclusive access is guaranteed by the caller.
        unsafe { self.cells.index_mut(..) }
    }

    /// The filled buffer, once every job is done; `None` for an external buffer.
    ///
    /// # Safety
    /// Every byte must have been written.
    pub(crate) unsafe fn into_vec(self: Arc<Self>) -> Result<Option<Vec<u8>>> {
        let this = Arc::try_unwrap(self)
            .map_err(|_| Error::Codec("read buffer still shared after the read".into()))?;
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

/// Bytes of `shape` elements of `elem` bytes each (saturating: an impossible size fails later,
/// at allocation or at the length check, instead of wrapping).
pub(crate) fn byte_len(shape: &[u64], elem: usize) -> usize {
    usize::try_from(shape.iter().product::<u64>())
        .unwrap_or(usize::MAX)
        .saturating_mul(elem)
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
    let elem = array.element()?.size;
    let chunk = za.chunk_subset(coords)?;
    if let (Some(fast), Some(encoded)) = (&array.fast, &encoded) {
        let target = ReadTarget {
            subset: target,
            cells: out.cells,
        };
        let parallel = options.concurrent_target() > 1;
        return fast.decode(encoded, &chunk, &target, za.fill_value(), parallel);
    }
    let overlap = chunk
        .overlap(target)
        .map_err(|e| Error::Selection(e.to_string()))?;
    let in_out = overlap
        .relative_to(target.start())
        .map_err(|e| Error::Selection(e.to_string()))?;
    let in_chunk = overlap
        .relative_to(chunk.start())
        .map_err(|e| Error::Selection(e.to_string()))?;
    let out_shape = target.shape().to_vec();
    // SAFETY: chunks partition the array, so the regions of different jobs are disjoint.
    let mut view = unsafe { ArrayBytesFixedDisjointView::new(out.cells, elem, &out_shape, in_out) }
        .map_err(|e| Error::Codec(e.to_string()))?;
    let Some(encoded) = encoded else {
        return view
            .fill(array.fill_value_bytes())
            .map_err(|e| Error::Codec(e.to_string()));
    };
    let chunk_shape = za.chunk_shape(coords)?;
    // zarrs decodes the chunk whole (compressed chains cannot be decoded in part).
    check_len(byte_len(chunk.shape(), elem), || {
        format!("decoding chunk {coords:?} of shape {:?}", chunk.shape())
    })?;
    let whole = in_chunk.start().iter().all(|&s| s == 0) && in_chunk.shape() == chunk.shape();
    let codecs = za.codecs();
    if whole {
        codecs.decode_into(
            Cow::Borrowed(&encoded[..]),
            &chunk_shape,
            za.data_type(),
            za.fill_value(),
            ArrayBytesDecodeIntoTarget::Fixed(&mut view),
            options,
        )?;
    } else {
        let input: Arc<dyn BytesPartialDecoderTraits> = Arc::new(Vec::from(encoded));
        codecs
            .partial_decoder(
                input,
                &chunk_shape,
                za.data_type(),
                za.fill_value(),
                options,
            )?
            .partial_decode_into(
                &in_chunk,
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
        let (job_store, job_key) = (store.clone(), key.clone());
        let left = compute_part(count, bytes, move || {
            let limit = match in_place_budget() {
                0 => COMPUTE_READ_LIMIT,
                budget => budget,
            };
            match job_store.get_now(job_key.as_str(), limit)? {
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

/// Fill `out` (an array of `target`'s shape, C order) with the array's data in `target`, which
/// may extend past the array's edge inside edge chunks.
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
    futures::stream::iter(chunks)
        .map(|coords| {
            let (array, target, out) = (array.clone(), target.clone(), out.clone());
            async move {
                let (store, key) = (array.store.clone(), array.array.chunk_key(&coords));
                fetch_then(&store, key, count, chunk_bytes, move |encoded| {
                    decode_into_target(&array, &coords, encoded, &target, &out, &options)
                })
                .await
            }
        })
        .buffer_unordered(CHUNK_CONCURRENCY)
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
/// Chunks only partly covered are read, merged and rewritten under their chunk's lock; chunks
/// left equal to the fill value are erased unless the handle writes empty chunks.
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
    futures::stream::iter(chunks)
        .map(|coords| {
            let (array, target, data) = (array.clone(), target.clone(), data.clone());
            async move {
                let za = &array.array;
                let key = za.chunk_key(&coords);
                let bounded = za.chunk_subset_bounded(&coords)?;
                let covered = bounded
                    .overlap(&target)
                    .map_err(|e| Error::Selection(e.to_string()))?
                    == bounded;
                // A read-modify-write holds the chunk's lock throughout; a whole-chunk write
                // only around its store call (below).
                let mut held = match locks {
                    Locks::Take if !covered => Some(lock_chunk(&array.store, key.as_str()).await),
                    _ => None,
                };
                let existing = if covered {
                    None
                } else {
                    array.store.get(key.as_str()).await?
                };
                let job_array = array.clone();
                let encoded = compute_part(count, chunk_bytes, move || {
                    merge_and_encode(
                        &job_array,
                        &coords,
                        existing,
                        &target,
                        (*data).as_ref(),
                        &options,
                    )
                })
                .await?;
                if held.is_none() && locks == Locks::Take {
                    held = Some(lock_chunk(&array.store, key.as_str()).await);
                }
                let stored = store_encoded(&array, &key, encoded).await;
                drop(held);
                stored
            }
        })
        .buffer_unordered(CHUNK_CONCURRENCY)
        .try_collect::<()>()
        .await
}

/// Store a chunk's new encoded form, or erase it (`None`: all fill value).
pub(crate) async fn store_encoded(
    array: &ArrayHandle,
    key: &StoreKey,
    encoded: Option<bytes::Bytes>,
) -> Result<()> {
    match encoded {
        Some(bytes) => array.store.set(key.as_str(), bytes).await,
        None => array.store.erase(key.as_str()).await,
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
            .map_err(|e| Error::Codec(e.to_string()))?
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
