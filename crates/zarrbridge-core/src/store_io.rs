//! Raw key I/O on a [`Store`]: what the Python store protocols (obspec's `get`, `get_range(s)`,
//! `put`, `delete`, `list`, `list_with_delimiter`, `head`) need, for every kind of store.

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use zarrs::storage::byte_range::ByteRange;
use zarrs::storage::StorePrefix;

use crate::error::{Error, Result};
use crate::io_stats::{Request, RequestKind};
use crate::store::{record_ranges, spans, store_key, Ranged, Store};

/// How many size look-ups a listing runs at once (the zarrs traits list keys without sizes).
const SIZE_LOOKUPS: usize = 16;

/// A key and the size of its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMeta {
    /// The key (no leading `/`).
    pub key: String,
    /// The value's length in bytes.
    pub size: u64,
}

/// One level of a listing: the child "directories" and the keys directly below a prefix.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    /// Child prefixes, without a trailing `/` (as obstore reports them).
    pub common_prefixes: Vec<String>,
    /// Keys directly below the prefix.
    pub objects: Vec<KeyMeta>,
}

/// A listing prefix names a directory, segment-wise as in `object_store`: `"a"` and `"a/"`
/// both list `a/x` but never `ab`.
fn dir_prefix(prefix: &str) -> Result<StorePrefix> {
    let trimmed = prefix.trim_matches('/');
    let text = if trimmed.is_empty() {
        String::new()
    } else {
        format!("{trimmed}/")
    };
    StorePrefix::new(text).map_err(|e| Error::InvalidPath {
        path: prefix.to_string(),
        reason: e.to_string(),
    })
}

fn metas(found: Vec<(String, u64)>) -> Vec<KeyMeta> {
    found
        .into_iter()
        .map(|(key, size)| KeyMeta { key, size })
        .collect()
}

impl Store {
    /// Read byte ranges of one value; `None` when the key is absent. A range that starts past
    /// the end of the value is an error, unless `past_end_is_empty` (zarr-python's stores
    /// answer such a range with no bytes); one that ends past it returns what there is.
    pub async fn get_ranges(
        &self,
        key: &str,
        ranges: &[ByteRange],
        past_end_is_empty: bool,
    ) -> Result<Option<Vec<Bytes>>> {
        store_key(key)?;
        let spans_of = {
            let ranges = ranges.to_vec();
            move |size: u64| spans(&ranges, size, past_end_is_empty)
        };
        if let Some(file) = &self.file {
            // One open: the size and the ranges of the same file.
            let owned = key.to_string();
            let (parts, request) = self
                .on_file(file, key, RequestKind::GetRange, move |f| {
                    f.get_ranges(&owned, spans_of)
                })
                .await?;
            record_ranges(request, parts.as_deref().unwrap_or_default());
            return Ok(parts);
        }
        let Some(size) = self.size_key(key).await? else {
            return Ok(None);
        };
        let spans = spans_of(size).map_err(|e| self.with_context(key, e))?;
        // Empty ranges are answered here: some backends refuse a zero-length range request.
        let wanted: Vec<ByteRange> = spans
            .iter()
            .filter(|(_, len)| *len > 0)
            .map(|&(start, len)| ByteRange::FromStart(start, Some(len)))
            .collect();
        let mut fetched = Vec::new().into_iter();
        if !wanted.is_empty() {
            match self.read_ranges(key, &wanted, None).await? {
                Ranged::Found { parts, .. } => fetched = parts.into_iter(),
                Ranged::Missing | Ranged::Changed => return Ok(None),
            }
        }
        Ok(Some(
            spans
                .iter()
                .map(|(_, len)| {
                    if *len == 0 {
                        Bytes::new()
                    } else {
                        fetched.next().unwrap_or_default()
                    }
                })
                .collect(),
        ))
    }

    /// The size of a value; `None` when the key is absent.
    pub async fn size_key(&self, key: &str) -> Result<Option<u64>> {
        let store_key = store_key(key)?;
        if let Some(file) = &self.file {
            let owned = key.to_string();
            let (size, _request) = self
                .on_file(file, key, RequestKind::Head, move |f| f.size(&owned))
                .await?;
            return Ok(size);
        }
        let _request = Request::begin(RequestKind::Head);
        self.storage
            .size_key(&store_key)
            .await
            .map_err(|e| self.io_error(key, e))
    }

    /// Every key below `prefix` (a directory, see [`dir_prefix`]), sorted, with sizes.
    pub async fn list(&self, prefix: &str) -> Result<Vec<KeyMeta>> {
        if let Some(found) = self.list_files(prefix).await? {
            // The walk finds the sizes too: one listing, no look-ups.
            return Ok(metas(found));
        }
        let keys = self.list_keys(prefix).await?;
        self.with_sizes(keys).await
    }

    /// Every key below `prefix` (a directory, see [`dir_prefix`]), sorted, without sizes (one
    /// listing, no look-up per key).
    pub(crate) async fn list_keys(&self, prefix: &str) -> Result<Vec<String>> {
        let dir = dir_prefix(prefix)?;
        if let Some(found) = self.list_files(prefix).await? {
            return Ok(found.into_iter().map(|(key, _)| key).collect());
        }
        let keys = {
            let _request = Request::begin(RequestKind::List);
            self.storage
                .list_prefix(&dir)
                .await
                .map_err(|e| self.io_error(prefix, e))?
        };
        Ok(keys.iter().map(|k| self.listed(k.as_str())).collect())
    }

    /// Every file below `prefix`, sorted, with its size, for a file store (`None` for others):
    /// one walk, counted as one listing.
    async fn list_files(&self, prefix: &str) -> Result<Option<Vec<(String, u64)>>> {
        let Some(file) = &self.file else {
            return Ok(None);
        };
        let owned = dir_prefix(prefix)?.as_str().to_string();
        let (found, _request) = self
            .on_file(file, prefix, RequestKind::List, move |f| f.list(&owned))
            .await?;
        Ok(Some(found))
    }

    /// The keys and child prefixes directly below `prefix`.
    pub async fn list_with_delimiter(&self, prefix: &str) -> Result<Listing> {
        let dir = dir_prefix(prefix)?;
        if let Some(file) = &self.file {
            let owned = dir.as_str().to_string();
            let ((found, prefixes), _request) = self
                .on_file(file, prefix, RequestKind::List, move |f| f.list_dir(&owned))
                .await?;
            return Ok(Listing {
                common_prefixes: prefixes
                    .iter()
                    .map(|p| p.trim_end_matches('/').to_string())
                    .collect(),
                objects: metas(found),
            });
        }
        let listing = {
            let _request = Request::begin(RequestKind::List);
            self.storage
                .list_dir(&dir)
                .await
                .map_err(|e| self.io_error(prefix, e))?
        };
        let objects = self
            .with_sizes(
                listing
                    .keys()
                    .iter()
                    .map(|k| self.listed(k.as_str()))
                    .collect(),
            )
            .await?;
        Ok(Listing {
            common_prefixes: listing
                .prefixes()
                .iter()
                .map(|p| self.listed(p.as_str().trim_end_matches('/')))
                .collect(),
            objects,
        })
    }

    /// Look up the sizes of listed keys; a key deleted meanwhile is left out.
    async fn with_sizes(&self, keys: Vec<String>) -> Result<Vec<KeyMeta>> {
        let sized: Vec<Option<KeyMeta>> = futures::stream::iter(keys)
            .map(|key| async move {
                Ok::<_, Error>(self.size_key(&key).await?.map(|size| KeyMeta { key, size }))
            })
            .buffered(SIZE_LOOKUPS)
            .try_collect()
            .await?;
        Ok(sized.into_iter().flatten().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::dir_prefix;

    #[test]
    fn listing_prefixes_are_directories() {
        assert_eq!(dir_prefix("").unwrap().as_str(), "");
        assert_eq!(dir_prefix("/").unwrap().as_str(), "");
        assert_eq!(dir_prefix("a/b").unwrap().as_str(), "a/b/");
        assert_eq!(dir_prefix("a/b/").unwrap().as_str(), "a/b/");
    }
}
