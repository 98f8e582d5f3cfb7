//! Raw key I/O on a [`Store`]: what the Python store protocols (obspec's `get`, `get_range(s)`,
//! `put`, `delete`, `list`, `list_with_delimiter`, `head`) need, for every kind of store.

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use zarrs::storage::byte_range::ByteRange;
use zarrs::storage::StorePrefix;

use super::{store_key, Store};
use crate::error::{Error, Result};

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

/// `object_store` percent-encodes characters outside its safe set in the paths it lists (a key
/// `ü/x` is listed as `%C3%BC/x`), while reads and writes encode the key themselves: listed
/// keys must be decoded to be usable. Stores not built on `object_store` list keys verbatim.
fn decode_listed(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(u8::try_from(hi * 16 + lo).unwrap_or(b'?'));
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_string())
}

fn metas(found: Vec<(String, u64)>) -> Vec<KeyMeta> {
    found
        .into_iter()
        .map(|(key, size)| KeyMeta { key, size })
        .collect()
}

/// `(start, length)` of each range within a value of `size` bytes (see [`Store::get_ranges`]).
fn spans(ranges: &[ByteRange], size: u64, past_end_is_empty: bool) -> Result<Vec<(u64, u64)>> {
    ranges
        .iter()
        .map(|range| match *range {
            ByteRange::FromStart(start, _) if start > size => {
                if past_end_is_empty {
                    Ok((size, 0))
                } else {
                    Err(Error::Store(format!(
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
    /// A key or prefix as listed by the storage, as readers and writers name it.
    pub(super) fn listed(&self, text: &str) -> String {
        match *self.decl {
            super::StoreDecl::Memory { .. } | super::StoreDecl::Cloud(_) => decode_listed(text),
            _ => text.to_string(),
        }
    }

    /// Read byte ranges of one value; `None` when the key is absent. A range that starts past
    /// the end of the value is an error, unless `past_end_is_empty` (zarr-python's stores
    /// answer such a range with no bytes); one that ends past it returns what there is.
    pub async fn get_ranges(
        &self,
        key: &str,
        ranges: &[ByteRange],
        past_end_is_empty: bool,
    ) -> Result<Option<Vec<Bytes>>> {
        let store_key = store_key(key)?;
        let spans_of = {
            let ranges = ranges.to_vec();
            move |size: u64| spans(&ranges, size, past_end_is_empty)
        };
        if let Some(file) = &self.file {
            let owned = key.to_string();
            return self
                .on_file(file, key, move |f| f.get_ranges(&owned, spans_of))
                .await;
        }
        let Some(size) = self
            .storage
            .size_key(&store_key)
            .await
            .map_err(|e| self.io_error(key, e))?
        else {
            return Ok(None);
        };
        let spans = spans_of(size).map_err(|e| self.with_context(key, e))?;
        // Empty ranges are answered here: some backends refuse a zero-length range request.
        let wanted: Vec<ByteRange> = spans
            .iter()
            .filter(|(_, len)| *len > 0)
            .map(|&(start, len)| ByteRange::FromStart(start, Some(len)))
            .collect();
        let mut fetched = Vec::with_capacity(wanted.len());
        if !wanted.is_empty() {
            let Some(parts) = self
                .storage
                .get_partial_many(&store_key, Box::new(wanted.into_iter()))
                .await
                .map_err(|e| self.io_error(key, e))?
            else {
                return Ok(None);
            };
            fetched = parts
                .try_collect()
                .await
                .map_err(|e| self.io_error(key, e))?;
        }
        let mut fetched = fetched.into_iter();
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
            return self.on_file(file, key, move |f| f.size(&owned)).await;
        }
        self.storage
            .size_key(&store_key)
            .await
            .map_err(|e| self.io_error(key, e))
    }

    /// Every key below `prefix` (a directory, see [`dir_prefix`]), sorted, with sizes.
    pub async fn list(&self, prefix: &str) -> Result<Vec<KeyMeta>> {
        let dir = dir_prefix(prefix)?;
        if let Some(file) = &self.file {
            let owned = dir.as_str().to_string();
            let found = self.on_file(file, prefix, move |f| f.list(&owned)).await?;
            return Ok(metas(found));
        }
        let keys = self
            .storage
            .list_prefix(&dir)
            .await
            .map_err(|e| self.io_error(prefix, e))?;
        self.with_sizes(keys.iter().map(|k| self.listed(k.as_str())).collect())
            .await
    }

    /// The keys and child prefixes directly below `prefix`.
    pub async fn list_with_delimiter(&self, prefix: &str) -> Result<Listing> {
        let dir = dir_prefix(prefix)?;
        if let Some(file) = &self.file {
            let owned = dir.as_str().to_string();
            let (found, prefixes) = self
                .on_file(file, prefix, move |f| f.list_dir(&owned))
                .await?;
            return Ok(Listing {
                common_prefixes: prefixes
                    .iter()
                    .map(|p| p.trim_end_matches('/').to_string())
                    .collect(),
                objects: metas(found),
            });
        }
        let listing = self
            .storage
            .list_dir(&dir)
            .await
            .map_err(|e| self.io_error(prefix, e))?;
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
    use super::{decode_listed, dir_prefix};

    #[test]
    fn listed_keys_are_percent_decoded() {
        assert_eq!(decode_listed("%C3%BCn%C3%AF/x"), "ünï/x");
        assert_eq!(decode_listed("plain/100%"), "plain/100%");
        assert_eq!(decode_listed("a%2"), "a%2");
    }

    #[test]
    fn listing_prefixes_are_directories() {
        assert_eq!(dir_prefix("").unwrap().as_str(), "");
        assert_eq!(dir_prefix("/").unwrap().as_str(), "");
        assert_eq!(dir_prefix("a/b").unwrap().as_str(), "a/b/");
        assert_eq!(dir_prefix("a/b/").unwrap().as_str(), "a/b/");
    }
}
