//! zarrbridge-core: Zarr stores, nodes, chunks and regions on zarrs and tokio, with no Python.
//!
//! Every operation is an `async fn` taking a [`Store`] or a handle. I/O runs on the caller's
//! tokio runtime; codec work runs on the rayon pool ([`compute`]).

pub mod chunk;
mod chunk_lock;
pub mod compute;
pub mod dtype;
pub mod error;
mod fast;
pub mod handle;
mod io;
pub mod limits;
pub mod ndcopy;
pub mod node;
pub mod path;
pub mod per_process;
pub mod region;
pub mod spec;
pub mod store;

pub use chunk::{
    delete_chunk, read_chunk, read_chunks, write_chunk, write_chunks, Decoded, WriteData,
};
pub use dtype::ElementType;
pub use error::{Error, Result};
pub use handle::{ArrayHandle, GroupHandle};
pub use io::ExternalBuffer;
pub use node::{
    create_array, create_group, delete_node, list_children, open_array, open_group, open_node,
    read_metadata, update_attributes, Node,
};
pub use path::NodePath;
pub use per_process::PerProcess;
pub use region::{read_region, selection_shape, write_region, SelItem};
pub use store::{Store, StoreDecl};
