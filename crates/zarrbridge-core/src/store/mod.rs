//! Stores: a declaration (what the user asked for, JSON-able) and the zarrs storage rebuilt
//! from it. Everything below this module sees only `Store`.

mod cloud;
mod file;
mod file_traits;
mod file_tree;
mod missing_bucket;
mod options;
mod ranges;
pub(crate) mod redact;
mod timeouts;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

pub use cloud::{CloudDecl, RetrySpec, Service};
pub(crate) use ranges::{record_ranges, spans, Ranged};
pub use redact::Redactor;

use object_store::memory::InMemory;
use object_store::ObjectStore;
use serde_json::{json, Value};
use zarrs::storage::{AsyncReadableWritableListableStorage, StoreKey, StorePrefix};
use zarrs_object_store::AsyncObjectStore;

use crate::error::{Cause, Error, Result};
use crate::io_stats::{self, Request, RequestKind};
use crate::per_process::PerProcess;
use file::FileStore;
use file_traits::FileStorage;

/// File operations in flight at once, per process. Each runs on a tokio blocking thread, and
/// once queued there a cancelled operation still runs later (a cancelled write could then land
/// after a newer one). So operations wait for a permit here, where cancelling drops them before
/// they start, and no more go on than the runtime has blocking threads for. This also bounds
/// the files open at once. A started operation holds its permit until it ends, and none can
/// wait forever (the file store reads only regular files, see [`file`]), so the permits cannot
/// all be pinned. The number follows the machine
/// ([`Sizing::file_io_concurrency`](crate::sizing::Sizing::file_io_concurrency)).
#[must_use]
pub fn file_io_concurrency() -> usize {
    crate::sizing::sizing().file_io_concurrency
}

/// The permits of [`file_io_concurrency`]; per process, since a forked child must not inherit
/// permits held by the parent's operations.
fn file_io_gate() -> &'static tokio::sync::Semaphore {
    static GATE: PerProcess<tokio::sync::Semaphore> = PerProcess::new();
    GATE.get_or_init(|| tokio::sync::Semaphore::new(file_io_concurrency()))
}

/// What a store is, as the user declared it. Serialises to a small JSON object.
#[derive(Debug, Clone, PartialEq)]
pub enum StoreDecl {
    /// A directory on the local filesystem (absolute path).
    File {
        /// Absolute root directory.
        root: PathBuf,
    },
    /// A process-global in-memory store: the same name reaches the same data.
    Memory {
        /// The store's name.
        name: String,
    },
    /// A cloud object store (S3, GCS, Azure, HTTP).
    Cloud(CloudDecl),
    /// Storage built outside the core (a store implemented in Python): it exists only in this
    /// process, so it cannot be rebuilt from its declaration.
    External {
        /// What names the store in messages, e.g. `python://MyStore@7f12ab`.
        label: String,
    },
}

impl StoreDecl {
    /// Parse a URL (`file:///abs`, `memory://name`) or a plain filesystem path.
    ///
    /// # Errors
    /// [`Error::Unsupported`] for an unknown scheme, [`Error::InvalidPath`] for a malformed one.
    pub fn from_url(url: &str) -> Result<Self> {
        let invalid = |reason: &str| Error::InvalidPath {
            // Local paths are shown as given; anything else may carry credentials.
            path: match url.split_once("://") {
                Some(("file" | "memory", _)) | None => url.to_string(),
                Some(_) => Redactor::redact_url(url),
            },
            reason: reason.to_string(),
        };
        if url.chars().any(char::is_control) {
            return Err(invalid(
                "control characters (including NUL) are not allowed",
            ));
        }
        match url.split_once("://") {
            Some(("file", rest)) => {
                if !rest.starts_with('/') {
                    return Err(invalid(
                        "a file:// URL needs an absolute path (file:///dir)",
                    ));
                }
                Ok(Self::File {
                    root: normalise_dir(Path::new(rest)),
                })
            }
            Some(("memory", name)) => {
                let name = name.trim_end_matches('/');
                if name.is_empty() {
                    return Err(invalid("a memory:// URL needs a name (memory://NAME)"));
                }
                Ok(Self::Memory {
                    name: name.to_string(),
                })
            }
            Some((scheme, _)) if cloud::is_cloud_scheme(&scheme.to_ascii_lowercase()) => {
                Ok(Self::Cloud(CloudDecl {
                    url: url.to_string(),
                    ..CloudDecl::default()
                }))
            }
            Some((scheme, _)) if is_scheme(scheme) => Err(Error::Unsupported(format!(
                "store URL scheme {scheme:?} is not supported (supported: file://, memory://, \
                 s3://, s3a://, gs://, az://, abfs(s)://, http(s)://, or a plain path)"
            ))),
            _ => {
                if url.is_empty() {
                    return Err(invalid("an empty path is not a store"));
                }
                let path = Path::new(url);
                let abs = if path.is_absolute() {
                    path.to_path_buf()
                } else {
                    std::env::current_dir()
                        .map_err(|e| {
                            Error::store_caused(
                                &format!("cannot resolve {url:?}"),
                                e,
                                &Redactor::default(),
                            )
                        })?
                        .join(path)
                };
                Ok(Self::File {
                    root: normalise_dir(&abs),
                })
            }
        }
    }

    /// Parse a URL with store options (`config`, `client_options`, `retry_config`, as in
    /// obstore). Only cloud stores take options.
    ///
    /// # Errors
    /// As [`StoreDecl::from_url`]; [`Error::InvalidOption`] for options on a local store.
    pub fn from_url_with_options(url: &str, options: &Value) -> Result<Self> {
        let decl = Self::from_url(url)?;
        let given = options
            .as_object()
            .is_some_and(|m| m.values().any(|v| !v.is_null()));
        match decl {
            Self::Cloud(_) => {
                let mut doc = options.clone();
                if !doc.is_object() {
                    doc = json!({});
                }
                doc["url"] = json!(url);
                Ok(Self::Cloud(CloudDecl::from_json(&doc)?))
            }
            _ if given => Err(Error::InvalidOption(format!(
                "{} stores take no options",
                decl.url()
            ))),
            _ => Ok(decl),
        }
    }

    /// The declaration as JSON (`{"kind": "file", "root": ...}`). For cloud stores this holds
    /// the credentials given (a worker needs them): show [`StoreDecl::url`] instead.
    #[must_use]
    pub fn to_json(&self) -> Value {
        match self {
            Self::File { root } => json!({"kind": "file", "root": root.to_string_lossy()}),
            Self::Memory { name } => json!({"kind": "memory", "name": name}),
            Self::Cloud(cloud) => cloud.to_json(),
            Self::External { label } => json!({"kind": "external", "label": label}),
        }
    }

    /// Rebuild a declaration from [`StoreDecl::to_json`]'s output.
    ///
    /// # Errors
    /// [`Error::Metadata`] when the document is not a declaration.
    pub fn from_json(value: &Value) -> Result<Self> {
        let field = |name: &str| {
            value
                .get(name)
                .and_then(Value::as_str)
                .ok_or_else(|| Error::metadata(format!("store declaration lacks {name:?}")))
        };
        match field("kind")? {
            "file" => Self::from_url(&format!("file://{}", field("root")?)),
            "memory" => Self::from_url(&format!("memory://{}", field("name")?)),
            "cloud" => Ok(Self::Cloud(CloudDecl::from_json(value)?)),
            "external" => Err(Error::Unsupported(format!(
                "store {} exists only in the process that made it and cannot be rebuilt from \
                 its declaration",
                field("label")?
            ))),
            other => Err(Error::Unsupported(format!("unknown store kind {other:?}"))),
        }
    }

    /// A URL naming the store, safe to show (no secrets).
    #[must_use]
    pub fn url(&self) -> String {
        match self {
            Self::File { root } => format!("file://{}", root.to_string_lossy()),
            Self::Memory { name } => format!("memory://{name}"),
            Self::Cloud(cloud) => Redactor::redact_url(&cloud.url),
            Self::External { label } => label.clone(),
        }
    }

    /// What keeps this store's secrets out of messages.
    #[must_use]
    pub fn redactor(&self) -> Redactor {
        match self {
            Self::Cloud(cloud) => cloud.redactor(),
            _ => Redactor::default(),
        }
    }
}

fn is_scheme(s: &str) -> bool {
    !s.is_empty()
        && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
}

/// Lexically normalise an absolute directory path (drop `.`, resolve `..`, trailing `/`).
fn normalise_dir(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// What a read in place found (see [`Store::get_now`]).
pub(crate) enum InPlace {
    /// The value, or `None` for an absent key.
    Read(Option<bytes::Bytes>),
    /// Not read here (a larger value, or not a file store): read it through the async path.
    NotHere,
}

fn memory_registry() -> &'static Mutex<HashMap<String, Arc<InMemory>>> {
    static REGISTRY: OnceLock<Mutex<HashMap<String, Arc<InMemory>>>> = OnceLock::new();
    REGISTRY.get_or_init(Mutex::default)
}

/// A store: its declaration and the zarrs storage rebuilt from it. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pub(crate) decl: Arc<StoreDecl>,
    pub(crate) storage: AsyncReadableWritableListableStorage,
    redactor: Redactor,
    /// For a file store, the store itself: the library's operations call it directly, on
    /// tokio's blocking pool or in place (see [`Store::on_file`], [`Store::get_now`]).
    pub(crate) file: Option<Arc<FileStore>>,
    /// The object store under `storage`, when there is one: ranged reads go to it directly
    /// (see [`Store::read_ranges`]).
    object: Option<Arc<dyn ObjectStore>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store({})", self.decl.url())
    }
}

impl Store {
    /// Build the storage a declaration describes.
    ///
    /// # Errors
    /// [`Error::Store`] when the storage cannot be set up (a file root that cannot be created).
    pub fn new(decl: StoreDecl) -> Result<Self> {
        let object_store: Arc<dyn ObjectStore> = match &decl {
            StoreDecl::File { root } => {
                let failed = |e: Cause| {
                    let context = format!("cannot create store root {}", root.display());
                    Error::store_caused(&context, e, &Redactor::default())
                };
                std::fs::create_dir_all(root).map_err(|e| failed(e.into()))?;
                return Ok(Self::over_files(decl.clone()));
            }
            StoreDecl::Memory { name } => {
                let mut registry = memory_registry()
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                registry.entry(name.clone()).or_default().clone()
            }
            StoreDecl::Cloud(cloud) => cloud.build()?,
            StoreDecl::External { label } => {
                return Err(Error::Unsupported(format!(
                    "store {label} cannot be rebuilt from its declaration"
                )))
            }
        };
        Ok(Self::with_object_store(decl, object_store))
    }

    /// A store over an object store built elsewhere (so its connection pool is shared), with
    /// the declaration it was built from. A file store is rebuilt from its declaration
    /// instead: `object_store`'s `LocalFileSystem` follows links out of the root.
    #[must_use]
    pub fn with_object_store(decl: StoreDecl, object_store: Arc<dyn ObjectStore>) -> Self {
        let object_store: Arc<dyn ObjectStore> = match decl {
            StoreDecl::Cloud(_) => Arc::new(missing_bucket::MissingBucketIsAnError(object_store)),
            StoreDecl::File { .. } => return Self::over_files(decl),
            _ => object_store,
        };
        Self {
            file: None,
            redactor: decl.redactor(),
            decl: Arc::new(decl),
            storage: Arc::new(AsyncObjectStore::new(object_store.clone())),
            object: Some(object_store),
        }
    }

    /// A file store (the root is made on the first write if it is missing).
    fn over_files(decl: StoreDecl) -> Self {
        let StoreDecl::File { root } = &decl else {
            unreachable!("only file declarations have a root");
        };
        let file = Arc::new(FileStore::new(root.clone()));
        Self {
            storage: Arc::new(FileStorage(file.clone())),
            file: Some(file),
            object: None,
            redactor: Redactor::default(),
            decl: Arc::new(decl),
        }
    }

    /// A store over storage built elsewhere (a store implemented in Python), declared as
    /// [`StoreDecl::External`] so that it is never rebuilt from its declaration.
    #[must_use]
    pub fn with_storage(label: String, storage: AsyncReadableWritableListableStorage) -> Self {
        Self {
            file: None,
            redactor: Redactor::default(),
            decl: Arc::new(StoreDecl::External { label }),
            storage,
            object: None,
        }
    }

    /// A store error naming this store and key, with secrets removed; the storage's error is
    /// kept as its cause.
    pub(crate) fn io_error(&self, key: &str, err: zarrs::storage::StorageError) -> Error {
        match err {
            zarrs::storage::StorageError::InvalidMetadata(..)
            | zarrs::storage::StorageError::Unsupported(_) => match Error::from(err) {
                Error::Metadata { message, source } => Error::Metadata {
                    message: self.redactor.redact(&message),
                    source,
                },
                other => other,
            },
            other => Error::store_caused(
                &format!("{} (key {key:?})", self.url()),
                other,
                &self.redactor,
            ),
        }
    }

    /// Parse a URL or path and build the store.
    ///
    /// # Errors
    /// See [`StoreDecl::from_url`] and [`Store::new`].
    pub fn from_url(url: &str) -> Result<Self> {
        Self::new(StoreDecl::from_url(url)?)
    }

    /// The declaration this store was built from.
    #[must_use]
    pub fn decl(&self) -> &StoreDecl {
        &self.decl
    }

    /// The zarrs storage.
    #[must_use]
    pub fn storage(&self) -> &AsyncReadableWritableListableStorage {
        &self.storage
    }

    /// A URL naming the store, safe to show.
    #[must_use]
    pub fn url(&self) -> String {
        self.decl.url()
    }

    /// A store error naming the store and the key (its cause kept).
    pub(crate) fn with_context(&self, key: &str, err: Error) -> Error {
        match err {
            Error::Store { message, source } => Error::Store {
                message: format!("{} (key {key:?}): {message}", self.url()),
                source,
            },
            other => other,
        }
    }

    /// Run a file store operation on tokio's blocking pool, once a [`file_io_concurrency`]
    /// permit is free (waiting for it can be cancelled; the operation holds it until it ends).
    /// The operation is recorded as one request of `kind` (see [`crate::io_stats`]), handed
    /// back for the caller to finish with the bytes it moved; dropped, it counts none.
    pub(crate) async fn on_file<T: Send + 'static>(
        &self,
        file: &Arc<FileStore>,
        key: &str,
        kind: RequestKind,
        job: impl FnOnce(&FileStore) -> Result<T> + Send + 'static,
    ) -> Result<(T, Request)> {
        let permit = file_io_gate()
            .acquire()
            .await
            .map_err(|e| Error::store(format!("file I/O gate: {e}")))?;
        let request = Request::begin(kind);
        let file = file.clone();
        let done = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            job(&file)
        })
        .await
        .map_err(|e| Error::store(format!("a file operation failed: {e}")))?
        .map_err(|e| self.with_context(key, e))?;
        Ok((done, request))
    }

    /// Read a whole value; `None` when the key is absent.
    pub async fn get(&self, key: &str) -> Result<Option<bytes::Bytes>> {
        let store_key = store_key(key)?;
        if let Some(file) = &self.file {
            let budget = crate::compute::in_place_budget();
            if budget > 0 {
                if let InPlace::Read(found) = self.get_now(key, budget, io_stats::current())? {
                    return Ok(found);
                }
            }
            let owned = key.to_string();
            let (found, request) = self
                .on_file(file, key, RequestKind::Get, move |f| f.get(&owned))
                .await?;
            request.finish(found.as_ref().map_or(0, bytes::Bytes::len), 0);
            return Ok(found);
        }
        let request = Request::begin(RequestKind::Get);
        let found = self
            .storage
            .get(&store_key)
            .await
            .map_err(|e| self.io_error(key, e))?;
        request.finish(found.as_ref().map_or(0, bytes::Bytes::len), 0);
        Ok(found)
    }

    /// For a file store, read `key` on this thread if it holds at most `limit` bytes (or is
    /// absent), recording the read in `stats`; `NotHere` when that cannot be done here (another
    /// kind of store, a larger value): use [`Store::get`]. Compute jobs use it to read a chunk
    /// and decode it in one go, with no hop through tokio's blocking pool; blocking calls and
    /// an event loop's first poll use it within their budgets. Nothing here can stall: the file
    /// store opens files without blocking and reads only regular ones.
    pub(crate) fn get_now(
        &self,
        key: &str,
        limit: usize,
        stats: Option<io_stats::Collectors>,
    ) -> Result<InPlace> {
        let Some(file) = &self.file else {
            return Ok(InPlace::NotHere);
        };
        let request = Request::begin_in(stats, RequestKind::Get);
        let found = match file.open(key) {
            Ok(None) => None,
            Ok(Some(value)) if value.len <= limit as u64 => Some(value.read_all(key)),
            Ok(Some(_)) => {
                request.abandon();
                return Ok(InPlace::NotHere);
            }
            Err(e) => Some(Err(e)),
        };
        let found = found.transpose().map_err(|e| self.with_context(key, e))?;
        request.finish(found.as_ref().map_or(0, bytes::Bytes::len), 0);
        Ok(InPlace::Read(found))
    }

    /// Whether [`Store::get_now`] can read this store's values.
    pub(crate) fn reads_now(&self) -> bool {
        self.file.is_some()
    }

    /// Write a whole value (atomically for file stores: a temporary file renamed into place).
    pub async fn set(&self, key: &str, value: bytes::Bytes) -> Result<()> {
        let store_key = store_key(key)?;
        let len = value.len();
        if let Some(file) = &self.file {
            let owned = key.to_string();
            let ((), request) = self
                .on_file(file, key, RequestKind::Put, move |f| f.set(&owned, &value))
                .await?;
            request.finish(0, len);
            return Ok(());
        }
        let mut attempts = 0;
        loop {
            let request = Request::begin(RequestKind::Put);
            let done = self.storage.set(&store_key, value.clone()).await;
            request.finish(0, len);
            match done {
                Ok(()) => return Ok(()),
                // Concurrent puts into a new WebDAV directory race to create it; the losers'
                // MKCOL gets 405 (RFC 4918: the collection exists) and object_store gives up.
                // The directory is there now, so the put succeeds when tried again.
                Err(e) if attempts < 2 && self.lost_mkcol_race(&e) => attempts += 1,
                Err(e) => return Err(self.io_error(key, e)),
            }
        }
    }

    fn lost_mkcol_race(&self, err: &zarrs::storage::StorageError) -> bool {
        let StoreDecl::Cloud(cloud) = self.decl.as_ref() else {
            return false;
        };
        let text = err.to_string();
        cloud.url.starts_with("http") && text.contains("MKCOL") && text.contains("405")
    }

    /// Erase a key; erasing an absent key is not an error.
    pub async fn erase(&self, key: &str) -> Result<()> {
        let store_key = store_key(key)?;
        if let Some(file) = &self.file {
            let owned = key.to_string();
            let ((), _request) = self
                .on_file(file, key, RequestKind::Delete, move |f| f.erase(&owned))
                .await?;
            return Ok(());
        }
        let _request = Request::begin(RequestKind::Delete);
        self.storage
            .erase(&store_key)
            .await
            .map_err(|e| self.io_error(key, e))
    }

    /// Erase every key below `prefix` (`""` or ending in `/`).
    pub(crate) async fn erase_prefix(&self, prefix: &str) -> Result<()> {
        let key = StorePrefix::new(prefix).map_err(|e| Error::store(e.to_string()))?;
        // A listing, then deletes (batched by the store): recorded as one of each.
        let _list = Request::begin(RequestKind::List);
        if let Some(file) = &self.file {
            let owned = prefix.to_string();
            let ((), _delete) = self
                .on_file(file, prefix, RequestKind::Delete, move |f| {
                    f.erase_prefix(&owned)
                })
                .await?;
            return Ok(());
        }
        let _delete = Request::begin(RequestKind::Delete);
        self.storage
            .erase_prefix(&key)
            .await
            .map_err(|e| self.io_error(prefix, e))
    }

    /// A key or prefix as listed by the storage, as readers and writers name it.
    pub(crate) fn listed(&self, text: &str) -> String {
        match *self.decl {
            StoreDecl::Memory { .. } | StoreDecl::Cloud(_) => decode_listed(text),
            // File stores list file names as they are; stores written in Python, their keys.
            StoreDecl::File { .. } | StoreDecl::External { .. } => text.to_string(),
        }
    }

    /// The child prefixes directly below `prefix` (each ending in `/`).
    pub(crate) async fn list_dir(&self, prefix: &str) -> Result<Vec<String>> {
        let key = StorePrefix::new(prefix).map_err(|e| Error::store(e.to_string()))?;
        if let Some(file) = &self.file {
            let owned = prefix.to_string();
            let ((_, prefixes), _request) = self
                .on_file(file, prefix, RequestKind::List, move |f| f.list_dir(&owned))
                .await?;
            return Ok(prefixes);
        }
        let _request = Request::begin(RequestKind::List);
        let listing = self
            .storage
            .list_dir(&key)
            .await
            .map_err(|e| self.io_error(prefix, e))?;
        Ok(listing
            .prefixes()
            .iter()
            .map(|p| self.listed(p.as_str()))
            .collect())
    }
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

pub(crate) fn store_key(key: &str) -> Result<StoreKey> {
    StoreKey::new(key).map_err(|e| Error::InvalidPath {
        path: key.to_string(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::{decode_listed, StoreDecl};

    #[test]
    fn listed_keys_are_percent_decoded() {
        assert_eq!(decode_listed("%C3%BCn%C3%AF/x"), "ünï/x");
        assert_eq!(decode_listed("plain/100%"), "plain/100%");
        assert_eq!(decode_listed("a%2"), "a%2");
    }

    #[test]
    fn parses_urls_and_paths() {
        assert_eq!(
            StoreDecl::from_url("file:///tmp/x/../y/").unwrap(),
            StoreDecl::File {
                root: "/tmp/y".into()
            }
        );
        assert_eq!(
            StoreDecl::from_url("memory://abc").unwrap(),
            StoreDecl::Memory { name: "abc".into() }
        );
        assert!(matches!(
            StoreDecl::from_url("s3://bucket").unwrap(),
            StoreDecl::Cloud(_)
        ));
        assert!(StoreDecl::from_url("ftp://host").is_err());
        assert!(StoreDecl::from_url("file://relative").is_err());
        let decl = StoreDecl::from_url("/tmp/z").unwrap();
        assert_eq!(StoreDecl::from_json(&decl.to_json()).unwrap(), decl);
    }
}
