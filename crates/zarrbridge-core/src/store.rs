//! Stores: a declaration (what the user asked for, JSON-able) and the zarrs storage rebuilt
//! from it. Everything below this module sees only `Store`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::ObjectStore;
use serde_json::{json, Value};
use zarrs::storage::{AsyncReadableWritableListableStorage, StoreKey, StorePrefix};
use zarrs_object_store::AsyncObjectStore;

use crate::error::{Error, Result};
use crate::per_process::PerProcess;

/// File operations in flight at once, per process. `object_store`'s file store runs each one
/// on a tokio blocking thread, and once queued there a cancelled operation still runs later
/// (a cancelled write could then land after a newer one). So operations wait for a permit
/// here, where cancelling drops them before they start, and no more go on than the runtime
/// has blocking threads for. This also bounds the files open at once.
pub const FILE_IO_CONCURRENCY: usize = 32;

/// The permits of [`FILE_IO_CONCURRENCY`]; per process, since a forked child must not inherit
/// permits held by the parent's operations.
fn file_io_gate() -> &'static tokio::sync::Semaphore {
    static GATE: PerProcess<tokio::sync::Semaphore> = PerProcess::new();
    GATE.get_or_init(|| tokio::sync::Semaphore::new(FILE_IO_CONCURRENCY))
}

/// What a store is, as the user declared it. Serialises to a small JSON object.
#[derive(Debug, Clone, PartialEq, Eq)]
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
}

impl StoreDecl {
    /// Parse a URL (`file:///abs`, `memory://name`) or a plain filesystem path.
    ///
    /// # Errors
    /// [`Error::Unsupported`] for an unknown scheme, [`Error::InvalidPath`] for a malformed one.
    pub fn from_url(url: &str) -> Result<Self> {
        let invalid = |reason: &str| Error::InvalidPath {
            path: url.to_string(),
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
            Some((scheme, _)) if is_scheme(scheme) => Err(Error::Unsupported(format!(
                "store URL scheme {scheme:?} is not supported (supported: file://, memory://, \
                 or a plain path)"
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
                        .map_err(|e| Error::Store(format!("cannot resolve {url:?}: {e}")))?
                        .join(path)
                };
                Ok(Self::File {
                    root: normalise_dir(&abs),
                })
            }
        }
    }

    /// The declaration as JSON (`{"kind": "file", "root": ...}`).
    #[must_use]
    pub fn to_json(&self) -> Value {
        match self {
            Self::File { root } => json!({"kind": "file", "root": root.to_string_lossy()}),
            Self::Memory { name } => json!({"kind": "memory", "name": name}),
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
                .ok_or_else(|| Error::Metadata(format!("store declaration lacks {name:?}")))
        };
        match field("kind")? {
            "file" => Self::from_url(&format!("file://{}", field("root")?)),
            "memory" => Self::from_url(&format!("memory://{}", field("name")?)),
            other => Err(Error::Unsupported(format!("unknown store kind {other:?}"))),
        }
    }

    /// A URL naming the store, safe to show (no secrets).
    #[must_use]
    pub fn url(&self) -> String {
        match self {
            Self::File { root } => format!("file://{}", root.to_string_lossy()),
            Self::Memory { name } => format!("memory://{name}"),
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

fn memory_registry() -> &'static Mutex<HashMap<String, Arc<InMemory>>> {
    static REGISTRY: OnceLock<Mutex<HashMap<String, Arc<InMemory>>>> = OnceLock::new();
    REGISTRY.get_or_init(Mutex::default)
}

/// A store: its declaration and the zarrs storage rebuilt from it. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    decl: Arc<StoreDecl>,
    storage: AsyncReadableWritableListableStorage,
    /// Whether operations wait for a [`FILE_IO_CONCURRENCY`] permit.
    gated: bool,
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
                std::fs::create_dir_all(root).map_err(|e| {
                    Error::Store(format!("cannot create store root {}: {e}", root.display()))
                })?;
                Arc::new(
                    LocalFileSystem::new_with_prefix(root)
                        .map_err(|e| Error::Store(e.to_string()))?,
                )
            }
            StoreDecl::Memory { name } => {
                let mut registry = memory_registry()
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                registry.entry(name.clone()).or_default().clone()
            }
        };
        Ok(Self {
            gated: matches!(decl, StoreDecl::File { .. }),
            decl: Arc::new(decl),
            storage: Arc::new(AsyncObjectStore::new(object_store)),
        })
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

    /// Wait until this store may start an operation (see [`FILE_IO_CONCURRENCY`]).
    async fn permit(&self) -> Result<Option<tokio::sync::SemaphorePermit<'static>>> {
        if !self.gated {
            return Ok(None);
        }
        let permit = file_io_gate()
            .acquire()
            .await
            .map_err(|e| Error::Store(format!("file I/O gate: {e}")))?;
        Ok(Some(permit))
    }

    /// Read a whole value; `None` when the key is absent.
    pub(crate) async fn get(&self, key: &str) -> Result<Option<bytes::Bytes>> {
        let _permit = self.permit().await?;
        Ok(self.storage.get(&store_key(key)?).await?)
    }

    /// Write a whole value (atomically for file stores: `object_store` writes a temporary file
    /// and renames it into place).
    pub(crate) async fn set(&self, key: &str, value: bytes::Bytes) -> Result<()> {
        let _permit = self.permit().await?;
        Ok(self.storage.set(&store_key(key)?, value).await?)
    }

    /// Erase a key; erasing an absent key is not an error.
    pub(crate) async fn erase(&self, key: &str) -> Result<()> {
        let _permit = self.permit().await?;
        Ok(self.storage.erase(&store_key(key)?).await?)
    }

    /// Erase every key below `prefix` (`""` or ending in `/`).
    pub(crate) async fn erase_prefix(&self, prefix: &str) -> Result<()> {
        let prefix = StorePrefix::new(prefix).map_err(|e| Error::Store(e.to_string()))?;
        let _permit = self.permit().await?;
        Ok(self.storage.erase_prefix(&prefix).await?)
    }

    /// The child prefixes directly below `prefix` (each ending in `/`).
    pub(crate) async fn list_dir(&self, prefix: &str) -> Result<Vec<String>> {
        let prefix = StorePrefix::new(prefix).map_err(|e| Error::Store(e.to_string()))?;
        let _permit = self.permit().await?;
        let listing = self.storage.list_dir(&prefix).await?;
        Ok(listing
            .prefixes()
            .iter()
            .map(|p| p.as_str().to_string())
            .collect())
    }
}

pub(crate) fn store_key(key: &str) -> Result<StoreKey> {
    StoreKey::new(key).map_err(|e| Error::InvalidPath {
        path: key.to_string(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::StoreDecl;

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
        assert!(StoreDecl::from_url("s3://bucket").is_err());
        assert!(StoreDecl::from_url("file://relative").is_err());
        let decl = StoreDecl::from_url("/tmp/z").unwrap();
        assert_eq!(StoreDecl::from_json(&decl.to_json()).unwrap(), decl);
    }
}
