//! zarrs' async storage traits over a [`FileStore`], for zarrs' own use of a file store's
//! storage. The library's operations call the file store directly (see `Store::on_file`),
//! which keeps their errors typed; here errors become zarrs' `StorageError`.

use std::sync::Arc;

use futures::StreamExt;
use zarrs::storage::byte_range::{ByteRange, ByteRangeIterator};
use zarrs::storage::{
    async_store_set_partial_many, AsyncListableStorageTraits, AsyncMaybeBytesIterator,
    AsyncReadableStorageTraits, AsyncWritableStorageTraits, Bytes, MaybeBytes, OffsetBytesIterator,
    StorageError, StoreKey, StoreKeys, StoreKeysPrefixes, StorePrefix,
};

use super::file::FileStore;
use crate::error::{Error, Result};

/// A [`FileStore`] as zarrs storage.
#[derive(Debug)]
pub(crate) struct FileStorage(pub Arc<FileStore>);

impl FileStorage {
    /// Run `job` on tokio's blocking pool.
    async fn blocking<T: Send + 'static>(
        &self,
        job: impl FnOnce(&FileStore) -> Result<T> + Send + 'static,
    ) -> Result<T, StorageError> {
        let store = self.0.clone();
        tokio::task::spawn_blocking(move || job(&store))
            .await
            .map_err(|e| StorageError::Other(e.to_string()))?
            .map_err(|e| StorageError::Other(e.to_string()))
    }
}

fn keys(found: Vec<(String, u64)>) -> StoreKeys {
    found
        .into_iter()
        .filter_map(|(k, _)| StoreKey::new(k).ok())
        .collect()
}

#[async_trait::async_trait]
impl AsyncReadableStorageTraits for FileStorage {
    async fn get(&self, key: &StoreKey) -> Result<MaybeBytes, StorageError> {
        let key = key.as_str().to_string();
        self.blocking(move |f| f.get(&key)).await
    }

    async fn get_partial_many<'a>(
        &'a self,
        key: &StoreKey,
        byte_ranges: ByteRangeIterator<'a>,
    ) -> Result<AsyncMaybeBytesIterator<'a>, StorageError> {
        let ranges: Vec<ByteRange> = byte_ranges.collect();
        let key = key.as_str().to_string();
        let parts = self
            .blocking(move |f| {
                f.get_ranges(&key, |size| {
                    ranges
                        .iter()
                        .map(|r| {
                            let span = r.to_range(size);
                            if span.start > span.end || span.end > size {
                                return Err(Error::store(format!(
                                    "byte range {r} is outside the value ({size} bytes)"
                                )));
                            }
                            Ok((span.start, span.end - span.start))
                        })
                        .collect()
                })
            })
            .await?;
        Ok(parts.map(|p| futures::stream::iter(p.into_iter().map(Ok)).boxed()))
    }

    async fn size_key(&self, key: &StoreKey) -> Result<Option<u64>, StorageError> {
        let key = key.as_str().to_string();
        self.blocking(move |f| f.size(&key)).await
    }

    fn supports_get_partial(&self) -> bool {
        true
    }
}

#[async_trait::async_trait]
impl AsyncWritableStorageTraits for FileStorage {
    async fn set(&self, key: &StoreKey, value: Bytes) -> Result<(), StorageError> {
        let key = key.as_str().to_string();
        self.blocking(move |f| f.set(&key, &value)).await
    }

    async fn set_partial_many<'a>(
        &'a self,
        key: &StoreKey,
        offset_values: OffsetBytesIterator<'a>,
    ) -> Result<(), StorageError> {
        async_store_set_partial_many(self, key, offset_values).await
    }

    async fn erase(&self, key: &StoreKey) -> Result<(), StorageError> {
        let key = key.as_str().to_string();
        self.blocking(move |f| f.erase(&key)).await
    }

    async fn erase_prefix(&self, prefix: &StorePrefix) -> Result<(), StorageError> {
        let prefix = prefix.as_str().to_string();
        self.blocking(move |f| f.erase_prefix(&prefix)).await
    }

    fn supports_set_partial(&self) -> bool {
        false
    }
}

#[async_trait::async_trait]
impl AsyncListableStorageTraits for FileStorage {
    async fn list(&self) -> Result<StoreKeys, StorageError> {
        self.list_prefix(&StorePrefix::root()).await
    }

    async fn list_prefix(&self, prefix: &StorePrefix) -> Result<StoreKeys, StorageError> {
        let prefix = prefix.as_str().to_string();
        Ok(keys(self.blocking(move |f| f.list(&prefix)).await?))
    }

    async fn list_dir(&self, prefix: &StorePrefix) -> Result<StoreKeysPrefixes, StorageError> {
        let prefix = prefix.as_str().to_string();
        let (found, prefixes) = self.blocking(move |f| f.list_dir(&prefix)).await?;
        let prefixes = prefixes
            .into_iter()
            .filter_map(|p| StorePrefix::new(p).ok())
            .collect();
        Ok(StoreKeysPrefixes::new(keys(found), prefixes))
    }

    async fn size_prefix(&self, prefix: &StorePrefix) -> Result<u64, StorageError> {
        let prefix = prefix.as_str().to_string();
        let found = self.blocking(move |f| f.list(&prefix)).await?;
        Ok(found.iter().map(|(_, size)| size).sum())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use zarrs_storage::store_test;

    use super::{FileStorage, FileStore};

    /// zarrs' own conformance suite for storage, on a file store.
    #[tokio::test(flavor = "multi_thread")]
    async fn passes_zarrs_storage_conformance() {
        let root = std::env::temp_dir().join(format!(
            "zarrbridge-file-traits-{}-{:?}",
            std::process::id(),
            std::time::SystemTime::now()
        ));
        let store = FileStorage(Arc::new(FileStore::new(root.clone())));
        store_test::async_store_write(&store).await.unwrap();
        store_test::async_store_read(&store).await.unwrap();
        store_test::async_store_list(&store).await.unwrap();
        store_test::async_store_list_size(&store).await.unwrap();
        std::fs::remove_dir_all(root).unwrap();
    }
}
