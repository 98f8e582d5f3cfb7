//! zarrbridge-core: Zarr stores, nodes, chunks and regions on zarrs and tokio, with no Python.
//!
//! Every operation is an `async fn` taking a [`Store`] or a handle. I/O runs on the caller's
//! tokio runtime; codec work runs on the rayon pool ([`compute`]).

mod chunk_lock;
pub mod chunks;
pub mod compute;
pub mod consolidated;
pub mod copy;
pub mod dtype;
pub mod encoded;
pub mod error;
mod fast;
pub mod gather;
pub mod handle;
pub mod indexing;
pub mod io_stats;
pub mod limits;
pub mod ndcopy;
pub mod nodes;
pub mod pages;
pub mod path;
pub mod per_process;
mod pipeline;
pub mod progress;
pub mod regions;
pub mod resize;
pub mod shards;
pub mod sizing;
pub mod spec;
pub mod store;
pub mod store_io;
pub mod values;
mod vlen;

pub use chunks::{
    delete_chunk, read_chunk, read_chunks, read_inner_chunk, write_chunk, write_chunks,
    write_inner_chunk, Decoded, Values, VlenValues, WriteData,
};
pub use copy::{copy, CopyOptions};
pub use dtype::ElementType;
pub use encoded::{read_encoded_chunk, write_encoded_chunk};
pub use error::{Error, Result};
pub use gather::{read_selection, write_selection};
pub use handle::{ArrayHandle, GroupHandle};
pub use indexing::{AxisItem, FancySelection};
pub use nodes::{
    consolidate_metadata, create_array, create_group, delete_node, list_children,
    list_group_children, open_array, open_group, open_in_group, open_node, read_metadata,
    update_attributes, CreateSpec, Node,
};
pub use path::NodePath;
pub use per_process::PerProcess;
pub use pipeline::ExternalBuffer;
pub use regions::{read_region, selection_shape, write_region, SelItem};
pub use resize::{append, resize};
pub use store::{Store, StoreDecl};
pub use store_io::{KeyMeta, Listing};
