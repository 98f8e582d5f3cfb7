//! Byte-range reads of one value, on every kind of store, each range one request, all of them
//! concurrent.
//!
//! Stores built on `object_store` are asked directly, not through `zarrs_object_store`, whose
//! `get_partial_many` first asks for the value's size (a HEAD) and turns a suffix range into a
//! bounded one: every ranged read cost 2 requests in sequence there (zarrista, which reads that
//! way, made 20 requests for 9 inner chunks of one shard in `benches/cloud.py`), 1 here. A
//! store written in Python gets one `get_ranges` call with all the ranges (one `get` with a
//! suffix range for a shard index).

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::{GetOptions, GetRange};
use zarrs::storage::byte_range::ByteRange;

use super::{store_key, Store};
use crate::error::{Error, Result};
use crate::io_stats::{Request, RequestKind};

/// What a ranged read found (see [`Store::read_ranges`]).
#[derive(Debug)]
pub(crate) enum Ranged {
    /// The key is absent.
    Missing,
    /// The value is no longer the version the read asked for.
    Changed,
    /// The bytes of each range, in order, with the value's size and version when the store
    /// tells them.
    Found {
        /// One part per range.
        parts: Vec<Bytes>,
        /// The whole value's size.
        size: Option<u64>,
        /// An opaque version of the value (an `ETag`).
        version: Option<String>,
    },
}

/// A whole value arriving in parts (see [`Store::get_stream`]).
pub(crate) struct Streamed {
    /// An opaque version of the value (an `ETag`), when the store tells it.
    pub(crate) version: Option<String>,
    parts: futures::stream::BoxStream<'static, object_store::Result<Bytes>>,
    request: Request,
    store: Store,
    key: String,
}

impl Streamed {
    /// The next part, or `None` at the end.
    pub(crate) async fn next(&mut self) -> Option<Result<Bytes>> {
        let part = self.parts.next().await?;
        Some(match part {
            Ok(bytes) => {
                self.request.received(bytes.len());
                Ok(bytes)
            }
            Err(e) => Err(self.store.object_error(&self.key, e)),
        })
    }
}

/// Record the ranged reads of one file as object stores' are recorded, one request per range
/// that has bytes (one `pread` each here; `first`, begun before the file was opened, holds the
/// time, and is the one request when no range has bytes).
pub(crate) fn record_ranges(first: Request, parts: &[Bytes]) {
    let mut lens = parts.iter().map(Bytes::len).filter(|&n| n > 0);
    first.finish(lens.next().unwrap_or(0), 0);
    for len in lens {
        Request::begin(RequestKind::GetRange).finish(len, 0);
    }
}

fn get_range(range: ByteRange) -> GetRange {
    match range {
        ByteRange::FromStart(offset, Some(length)) => GetRange::Bounded(offset..offset + length),
        ByteRange::FromStart(offset, None) => GetRange::Offset(offset),
        ByteRange::Suffix(length) => GetRange::Suffix(length),
    }
}

/// `(start, length)` of each range within a value of `size` bytes (see [`Store::get_ranges`]; a start past the end is
/// `(size, 0)` with `past_end_is_empty`, else an error).
/// Checked and clamped here so that every kind of store answers alike.
pub(crate) fn spans(
    ranges: &[ByteRange],
    size: u64,
    past_end_is_empty: bool,
) -> Result<Vec<(u64, u64)>> {
    ranges
        .iter()
        .map(|range| match *range {
            ByteRange::FromStart(start, _) if start > size => {
                if past_end_is_empty {
                    Ok((size, 0))
                } else {
                    Err(Error::store(format!(
                        "range start {start} is past the end of the value ({size} bytes)"
                    )))
                }
            }
            ByteRange::FromStart(start, length) => {
                let end = length.map_or(size, |n| start.saturating_add(n).min(size));
                Ok((start, end - start))
            }
            ByteRange::Suffix(n) => Ok((size - n.min(size), n.min(size))),
        })
        .collect()
}

impl Store {
    /// Read `ranges` of the value at `key`, one request per range, all at once. With
    /// `version`, a store that versions its values answers [`Ranged::Changed`] when the value
    /// is no longer that version (a store that does not, such as one written in Python, never
    /// does).
    pub(crate) async fn read_ranges(
        &self,
        key: &str,
        ranges: &[ByteRange],
        version: Option<&str>,
    ) -> Result<Ranged> {
        let store_key = store_key(key)?;
        if let Some(file) = &self.file {
            // One open, then the ranges of that file: its version is checked first.
            let (owned, wanted) = (key.to_string(), ranges.to_vec());
            let version = version.map(str::to_string);
            let (found, first) = self
                .on_file(file, key, RequestKind::GetRange, move |f| {
                    f.read_ranges(&owned, &wanted, version.as_deref())
                })
                .await?;
            if let Ranged::Found { parts, .. } = &found {
                record_ranges(first, parts);
            }
            return Ok(found);
        }
        let Some(object) = &self.object else {
            let request = Request::begin(RequestKind::GetRange);
            let parts = self
                .storage
                .get_partial_many(&store_key, Box::new(ranges.iter().copied()))
                .await
                .map_err(|e| self.io_error(key, e))?;
            let Some(parts) = parts else {
                return Ok(Ranged::Missing);
            };
            let parts: Vec<Bytes> = parts
                .try_collect()
                .await
                .map_err(|e| self.io_error(key, e))?;
            request.finish(parts.iter().map(Bytes::len).sum(), 0);
            return Ok(Ranged::Found {
                parts,
                size: None,
                version: None,
            });
        };
        let path = object_store::path::Path::from(key);
        let fetches = ranges.iter().map(|&range| {
            let (path, options) = (
                &path,
                GetOptions {
                    range: Some(get_range(range)),
                    if_match: version.map(str::to_string),
                    ..GetOptions::default()
                },
            );
            async move {
                let request = Request::begin(RequestKind::GetRange);
                let found = match object.get_opts(path, options).await {
                    Ok(found) => found,
                    Err(object_store::Error::NotFound { .. }) => return Ok(None),
                    Err(object_store::Error::Precondition { .. }) => return Ok(Some(None)),
                    Err(e) => return Err(self.object_error(key, e)),
                };
                let meta = found.meta.clone();
                let bytes = found.bytes().await.map_err(|e| self.object_error(key, e))?;
                request.finish(bytes.len(), 0);
                Ok(Some(Some((bytes, meta))))
            }
        });
        let mut parts = Vec::with_capacity(ranges.len());
        let (mut size, mut found_version) = (None, None);
        for fetched in futures::future::try_join_all(fetches).await? {
            match fetched {
                None => return Ok(Ranged::Missing),
                Some(None) => return Ok(Ranged::Changed),
                Some(Some((bytes, meta))) => {
                    // Ranges answered by different versions (a write in between): the parts
                    // do not belong together.
                    if found_version.is_some() && found_version != meta.e_tag {
                        return Ok(Ranged::Changed);
                    }
                    size = Some(meta.size);
                    found_version = meta.e_tag;
                    parts.push(bytes);
                }
            }
        }
        Ok(Ranged::Found {
            parts,
            size,
            version: found_version,
        })
    }

    /// Whether whole values come in parts as they arrive ([`Store::get_stream`]): from a
    /// remote store (a URL); memory and file stores read values in one go, faster.
    pub(crate) fn streams(&self) -> bool {
        self.object.is_some() && matches!(*self.decl, super::StoreDecl::Cloud(_))
    }

    /// Start reading the whole value at `key` (`None`: absent) from a store that
    /// [`Store::streams`].
    pub(crate) async fn get_stream(&self, key: &str) -> Result<Option<Streamed>> {
        store_key(key)?;
        let Some(object) = &self.object else {
            return Err(Error::store(format!("{} cannot stream values", self.url())));
        };
        let request = Request::begin(RequestKind::Get);
        let path = object_store::path::Path::from(key);
        let found = match object.get_opts(&path, GetOptions::default()).await {
            Ok(found) => found,
            Err(object_store::Error::NotFound { .. }) => {
                request.finish(0, 0);
                return Ok(None);
            }
            Err(e) => return Err(self.object_error(key, e)),
        };
        Ok(Some(Streamed {
            version: found.meta.e_tag.clone(),
            parts: found.into_stream(),
            request,
            store: self.clone(),
            key: key.to_string(),
        }))
    }

    fn object_error(&self, key: &str, err: object_store::Error) -> Error {
        Error::store_caused(
            &format!("{} (key {key:?})", self.url()),
            err,
            &self.redactor,
        )
    }
}
