//! The one error type of the core crate.
//!
//! Each variant maps to one Python exception class (see `python/zarrbridge/errors.py`), so the
//! variant is chosen by what the caller can do about it, not by where it happened. Failures of
//! other libraries (zarrs, `object_store`, the file system, a store written in Python) are
//! kept as the variant's `source`, so the binding can chain the Python exception from the real
//! cause, or raise a Python store's own exception again.

use zarrs::array::{ArrayCreateError, ArrayError, CodecError};
use zarrs::plugin::PluginCreateError;
use zarrs::storage::StorageError;

use crate::store::redact::Redactor;

/// The cause of an error: any error of another library, kept whole.
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong in a zarrbridge operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A node path or store key is malformed (`..`, `.`, backslash, control characters).
    #[error("invalid path {path:?}: {reason}")]
    InvalidPath {
        /// The path as given.
        path: String,
        /// Why it was rejected.
        reason: String,
    },
    /// No array or group (of the requested kind) exists at a path.
    #[error("{0}")]
    NodeNotFound(String),
    /// A node already exists where one was to be created.
    #[error("{0}")]
    NodeExists(String),
    /// A metadata document is malformed or describes something invalid.
    #[error("{message}")]
    Metadata {
        /// What is wrong, naming the node.
        message: String,
        /// The parser's or zarrs' own error, when there is one.
        #[source]
        source: Option<Cause>,
    },
    /// Data given for a write does not fit the array (size, shape or type).
    #[error("{0}")]
    InvalidData(String),
    /// Chunk coordinates outside the chunk grid or of the wrong dimensionality.
    #[error("{0}")]
    ChunkIndex(String),
    /// A region selection outside the array or of the wrong dimensionality.
    #[error("{0}")]
    Selection(String),
    /// A store option that does not exist or has a malformed value. Lists the accepted names,
    /// never the values.
    #[error("{0}")]
    InvalidOption(String),
    /// A feature (data type, codec, store scheme) this library does not support.
    #[error("{0}")]
    Unsupported(String),
    /// Encoding or decoding a chunk failed.
    #[error("{message}")]
    Codec {
        /// What failed.
        message: String,
        /// The codec's own error, when there is one.
        #[source]
        source: Option<Cause>,
    },
    /// A stored checksum does not match the bytes it covers (a `crc32c` codec, or a shard
    /// index's): the stored data is damaged.
    #[error("{message}")]
    Checksum {
        /// What failed.
        message: String,
        /// The codec's own error, when there is one.
        #[source]
        source: Option<Cause>,
    },
    /// The store failed (I/O, permissions, network).
    #[error("{message}")]
    Store {
        /// What failed, naming the store (secrets removed) and the key.
        message: String,
        /// The storage's own error (secrets removed from its text, see [`Redacted`]).
        #[source]
        source: Option<Redacted>,
    },
    /// An operation would need more memory at once than it may take (see [`crate::limits`]):
    /// refused before anything is allocated.
    #[error("{0}")]
    Resource(String),
    /// A bug: a panic inside this library or a library below it, caught before it could cross
    /// into Python (see [`crate::panics`]). The message says what panicked.
    #[error("{0}")]
    Internal(String),
}

impl Error {
    /// A metadata error with no underlying error.
    pub fn metadata(message: impl Into<String>) -> Self {
        Self::Metadata {
            message: message.into(),
            source: None,
        }
    }

    /// A codec error with no underlying error.
    pub fn codec(message: impl Into<String>) -> Self {
        Self::Codec {
            message: message.into(),
            source: None,
        }
    }

    /// A store error with no underlying error.
    pub fn store(message: impl Into<String>) -> Self {
        Self::Store {
            message: message.into(),
            source: None,
        }
    }

    /// A store error caused by `cause`: the message is `context: cause`, and both have
    /// `redactor`'s secrets removed.
    pub fn store_caused(context: &str, cause: impl Into<Cause>, redactor: &Redactor) -> Self {
        let cause = Redacted::new(cause.into(), redactor);
        Self::Store {
            message: redactor.redact(&format!("{context}: {cause}")),
            source: Some(cause),
        }
    }

    /// The same error, its operating-system cause (if it is one) tied to the file `path` it
    /// concerned, so the binding can fill `OSError.filename`. Other errors are unchanged.
    #[must_use]
    pub fn at_path(self, path: std::path::PathBuf) -> Self {
        match self {
            Self::Store {
                message,
                source: Some(source),
            } => Self::Store {
                message,
                source: Some(source.at_path(path)),
            },
            other => other,
        }
    }

    /// The same error with `prefix` put before its message (`"array /a: "`).
    #[must_use]
    pub fn context(self, prefix: &str) -> Self {
        match self {
            Self::Metadata { message, source } => Self::Metadata {
                message: format!("{prefix}{message}"),
                source,
            },
            Self::Unsupported(message) => Self::Unsupported(format!("{prefix}{message}")),
            other => other,
        }
    }
}

/// Another library's error whose text may hold a store's secrets (a URL with a password, a
/// signed request): shown only through the redacted text. The original stays available to
/// programs that inspect it ([`Redacted::original`]); it is deliberately not its `source()`,
/// so that printing an error chain never shows the unredacted text.
#[derive(Debug)]
pub struct Redacted {
    text: String,
    original: Cause,
}

impl Redacted {
    /// Keep `original`, showing its text with `redactor`'s secrets removed.
    #[must_use]
    pub fn new(original: Cause, redactor: &Redactor) -> Self {
        Self {
            text: redactor.redact(&original.to_string()),
            original,
        }
    }

    /// The same error, an `std::io::Error` original replaced by an [`OsErrorAt`] naming `path`.
    #[must_use]
    pub fn at_path(self, path: std::path::PathBuf) -> Self {
        match self.original.downcast::<std::io::Error>() {
            Ok(io) => Self {
                text: self.text,
                original: Box::new(OsErrorAt { path, error: *io }),
            },
            Err(original) => Self {
                text: self.text,
                original,
            },
        }
    }

    /// The error as the other library returned it.
    #[must_use]
    pub fn original(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        &*self.original
    }
}

impl std::fmt::Display for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for Redacted {}

/// An operating-system error and the file it concerned: the binding raises it as an `OSError`
/// with `errno`, `strerror` and `filename` set. Shown as the OS error alone (the store and key
/// are already in the message around it).
#[derive(Debug)]
pub struct OsErrorAt {
    /// The file's path on disk.
    pub path: std::path::PathBuf,
    /// The error.
    pub error: std::io::Error,
}

impl std::fmt::Display for OsErrorAt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for OsErrorAt {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.source()
    }
}

/// Result alias of the core crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<StorageError> for Error {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::InvalidMetadata(ref key, ref msg) => Error::Metadata {
                message: format!("invalid metadata at {key}: {msg}"),
                source: Some(Box::new(e)),
            },
            StorageError::Unsupported(msg) => Error::Unsupported(msg),
            other => Error::Store {
                message: other.to_string(),
                source: Some(Redacted::new(Box::new(other), &Redactor::default())),
            },
        }
    }
}

impl From<CodecError> for Error {
    fn from(e: CodecError) -> Self {
        match e {
            CodecError::StorageError(s) => s.into(),
            CodecError::InvalidChecksum => Error::Checksum {
                message: e.to_string(),
                source: Some(Box::new(e)),
            },
            other => Error::Codec {
                message: other.to_string(),
                source: Some(Box::new(other)),
            },
        }
    }
}

impl From<ArrayError> for Error {
    fn from(e: ArrayError) -> Self {
        match e {
            ArrayError::StorageError(s) => s.into(),
            ArrayError::CodecError(c) => c.into(),
            ArrayError::InvalidChunkGridIndicesError(idx) => Error::ChunkIndex(format!(
                "chunk coordinates {idx:?} are outside the chunk grid"
            )),
            other => Error::Codec {
                message: other.to_string(),
                source: Some(Box::new(other)),
            },
        }
    }
}

/// Whether zarrs could not build a plugin (data type, codec, ...) because it does not know it.
fn plugin_unsupported(e: &PluginCreateError) -> bool {
    matches!(e, PluginCreateError::Unsupported(_))
}

impl From<ArrayCreateError> for Error {
    fn from(e: ArrayCreateError) -> Self {
        let unsupported = match &e {
            ArrayCreateError::AdditionalFieldUnsupportedError(_)
            | ArrayCreateError::UnsupportedZarrV2Array(_)
            | ArrayCreateError::StorageError(StorageError::Unsupported(_)) => true,
            ArrayCreateError::DataTypeCreateError(p)
            | ArrayCreateError::CodecsCreateError(p)
            | ArrayCreateError::StorageTransformersCreateError(p)
            | ArrayCreateError::ChunkGridCreateError(p)
            | ArrayCreateError::ChunkKeyEncodingCreateError(p) => plugin_unsupported(p),
            _ => false,
        };
        if unsupported {
            Error::Unsupported(e.to_string())
        } else {
            Error::Metadata {
                message: e.to_string(),
                source: Some(Box::new(e)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Error;
    use crate::store::redact::Redactor;

    #[test]
    fn a_store_error_keeps_its_cause_with_the_secrets_removed() {
        let redactor = Redactor::new(vec!["hunter2".into()]);
        let cause = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "hunter2 refused");
        let err = Error::store_caused("memory://x (key \"k\")", cause, &redactor);
        assert!(!err.to_string().contains("hunter2"), "{err}");
        let Error::Store {
            source: Some(source),
            ..
        } = &err
        else {
            panic!("expected a store error with a source, got {err:?}");
        };
        assert!(!source.to_string().contains("hunter2"));
        let io = source
            .original()
            .downcast_ref::<std::io::Error>()
            .expect("the original io::Error");
        assert_eq!(io.kind(), std::io::ErrorKind::PermissionDenied);
    }
}
