//! The one error type of the core crate.
//!
//! Each variant maps to one Python exception class (see `python/zarrbridge/errors.py`), so the
//! variant is chosen by what the caller can do about it, not by where it happened.

use zarrs::array::{ArrayCreateError, ArrayError, CodecError};
use zarrs::storage::StorageError;

/// Everything that can go wrong in a zarrbridge operation.
#[derive(Debug, thiserror::Error)]
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
    #[error("{0}")]
    Metadata(String),
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
    #[error("{0}")]
    Codec(String),
    /// The store failed (I/O, permissions, network).
    #[error("{0}")]
    Store(String),
    /// An operation would need more memory at once than it may take (see [`crate::limits`]):
    /// refused before anything is allocated.
    #[error("{0}")]
    Resource(String),
}

/// Result alias of the core crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<StorageError> for Error {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::InvalidMetadata(key, msg) => {
                Error::Metadata(format!("invalid metadata at {key}: {msg}"))
            }
            StorageError::Unsupported(msg) => Error::Unsupported(msg),
            other => Error::Store(other.to_string()),
        }
    }
}

impl From<CodecError> for Error {
    fn from(e: CodecError) -> Self {
        match e {
            CodecError::StorageError(s) => s.into(),
            other => Error::Codec(other.to_string()),
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
            other => Error::Codec(other.to_string()),
        }
    }
}

impl From<ArrayCreateError> for Error {
    fn from(e: ArrayCreateError) -> Self {
        let msg = e.to_string();
        let lower = msg.to_lowercase();
        if lower.contains("unsupported") || lower.contains("not supported") {
            Error::Unsupported(msg)
        } else {
            Error::Metadata(msg)
        }
    }
}
