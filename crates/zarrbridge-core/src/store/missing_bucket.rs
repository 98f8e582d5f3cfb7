//! A missing bucket or container is a store failure, not an absent key.
//!
//! Object stores answer 404 both for a missing key and for a missing bucket, and zarrs reads
//! every 404 as "no such key", so a typo in a bucket name would look like an empty store. This
//! wrapper turns a 404 whose body names a missing bucket or container into a store error.

use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use futures::stream::BoxStream;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, Result,
};

/// Error codes services put in the body of a 404 for a missing bucket or container.
const MISSING_BUCKET_CODES: &[&str] = &[
    "NoSuchBucket",
    "ContainerNotFound",
    "The specified bucket does not exist",
];

fn check<T>(result: Result<T>) -> Result<T> {
    match result {
        Err(object_store::Error::NotFound { path, source }) => {
            let text = format!("{source}");
            if MISSING_BUCKET_CODES.iter().any(|code| text.contains(code)) {
                Err(object_store::Error::Generic {
                    store: "bucket",
                    source: format!("the bucket or container does not exist: {text}").into(),
                })
            } else {
                Err(object_store::Error::NotFound { path, source })
            }
        }
        other => other,
    }
}

/// An object store whose missing-bucket 404s are errors.
#[derive(Debug)]
pub struct MissingBucketIsAnError(pub Arc<dyn ObjectStore>);

impl std::fmt::Display for MissingBucketIsAnError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[async_trait::async_trait]
impl ObjectStore for MissingBucketIsAnError {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        check(self.0.put_opts(location, payload, opts).await)
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        check(self.0.put_multipart_opts(location, opts).await)
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        check(self.0.get_opts(location, options).await)
    }

    async fn get_ranges(&self, location: &Path, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        check(self.0.get_ranges(location, ranges).await)
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        self.0.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        self.0.list(prefix)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        check(self.0.list_with_delimiter(prefix).await)
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        check(self.0.copy_opts(from, to, options).await)
    }
}
