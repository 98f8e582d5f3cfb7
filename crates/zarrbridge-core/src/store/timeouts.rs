//! Default timeouts of cloud stores, so that an endpoint that accepts connections and never
//! answers fails a call in seconds. With `object_store`'s defaults it took about 181 s: each
//! attempt waited out the 30 s request timeout, and attempts were retried for 180 s.
//!
//! | setting | default | bounds |
//! |---|---|---|
//! | `connect_timeout` | 5 s (`object_store`'s) | opening a connection |
//! | `read_timeout` | 10 s, reads only | a read's wait for the first byte and between bytes |
//! | `timeout` | 30 s (`object_store`'s) | one attempt of a request, body included |
//! | `retry_timeout` | 15 s | starting retries: none starts after this long |
//!
//! So a stalled read fails after about 20 s (two attempts), a stalled write after about
//! 30 s (one), a refused connection after about 15 s of retries. Every setting is overridable
//! per store (`client_options`, `retry_config`).
//!
//! `read_timeout` applies to reads only (GET, HEAD, listings): `reqwest` counts it from the
//! start of a request until the response, so for a write it would include the upload, and a
//! large chunk on a slow link would fail. Reads and writes therefore go through two clients
//! ([`ReadsAndWrites`]); writes are bounded by `timeout`.

use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::stream::BoxStream;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, Result,
};

/// The default `read_timeout` of reads.
pub const READ_TIMEOUT: &str = "10s";

/// The default `retry_timeout`.
pub const RETRY_TIMEOUT: Duration = Duration::from_secs(15);

/// What a client built for a store serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    Reads,
    Writes,
}

/// An object store whose reads and writes go through clients with different timeouts (see
/// the module docs).
#[derive(Debug)]
pub(crate) struct ReadsAndWrites {
    pub reads: Arc<dyn ObjectStore>,
    pub writes: Arc<dyn ObjectStore>,
}

impl std::fmt::Display for ReadsAndWrites {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.reads.fmt(f)
    }
}

#[async_trait::async_trait]
impl ObjectStore for ReadsAndWrites {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        self.writes.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        self.writes.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        self.reads.get_opts(location, options).await
    }

    async fn get_ranges(&self, location: &Path, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        self.reads.get_ranges(location, ranges).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        self.writes.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        self.reads.list(prefix)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        self.reads.list_with_delimiter(prefix).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        self.writes.copy_opts(from, to, options).await
    }
}
