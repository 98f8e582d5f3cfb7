//! A Python object implementing the sync store family, as a zarrs sync storage. zarrs reaches
//! it through `SyncToAsyncStorageAdapter` on tokio's blocking pool, so a slow Python method
//! never holds up a tokio I/O worker; the GIL is taken once per call.

use std::sync::Arc;

use bytes::Bytes;
use pyo3::prelude::*;
use zarrs::storage::byte_range::ByteRangeIterator;
use zarrs::storage::storage_adapter::sync_to_async::{
    SyncToAsyncSpawnBlocking, SyncToAsyncStorageAdapter,
};
use zarrs::storage::{
    AsyncReadableWritableListableStorage, ListableStorageTraits, MaybeBytes, MaybeBytesIterator,
    MaybeSend, ReadableStorageTraits, StorageError, StoreKey, StoreKeys, StoreKeysPrefixes,
    StorePrefix, WritableStorageTraits,
};

use crate::buffer::PyValue;
use crate::gil::{GilPy, PythonEntry};
use crate::pystore::{self, stash};
use zarrbridge_core::PerProcess;

/// Sync Python store calls running at once, per process. They hold the GIL, so more would not
/// go faster; and a call handed to tokio's blocking pool runs even if its operation is
/// cancelled meanwhile, so calls wait for a permit first, where cancelling drops them unrun
/// (a cancelled write never lands late).
const PYTHON_CALLS: usize = 8;

fn python_call_gate() -> &'static tokio::sync::Semaphore {
    static GATE: PerProcess<tokio::sync::Semaphore> = PerProcess::new();
    GATE.get_or_init(|| tokio::sync::Semaphore::new(PYTHON_CALLS))
}

/// Runs the sync storage's calls on tokio's blocking pool, at most [`PYTHON_CALLS`] at once.
pub struct TokioBlocking;

impl SyncToAsyncSpawnBlocking for TokioBlocking {
    #[allow(clippy::manual_async_fn)] // the trait's signature asks for this form
    fn spawn_blocking<F, R>(&self, f: F) -> impl std::future::Future<Output = R> + MaybeSend
    where
        F: FnOnce() -> R + MaybeSend + 'static,
        R: MaybeSend + 'static,
    {
        async move {
            // The semaphore is never closed, so acquiring cannot fail. The permit goes with the
            // call: it is released when the call ends, not when its caller stops waiting.
            let permit = python_call_gate().acquire().await.ok();
            let call = move || {
                let result = f();
                drop(permit);
                result
            };
            match tokio::task::spawn_blocking(call).await {
                Ok(value) => value,
                Err(err) => std::panic::resume_unwind(err.into_panic()),
            }
        }
    }
}

/// The sync adapter: each method calls one function of `zarrbridge._pystore` with the store.
pub struct PySyncStorage {
    store: GilPy,
    read_only: bool,
}

impl PySyncStorage {
    /// Adapt `store` (which implements the sync family) as an async zarrs storage.
    pub fn storage(store: &Bound<'_, PyAny>) -> PyResult<AsyncReadableWritableListableStorage> {
        let sync = Arc::new(Self {
            read_only: pystore::is_read_only(store, false)?,
            store: GilPy::new(store.clone().unbind()),
        });
        Ok(Arc::new(SyncToAsyncStorageAdapter::new(
            sync,
            TokioBlocking,
        )))
    }

    fn call<T>(
        function: &str,
        args: impl for<'py> FnOnce(Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyTuple>>,
        convert: impl for<'py> FnOnce(&Bound<'py, PyAny>) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        let Some(_entry) = PythonEntry::acquire() else {
            return Err(StorageError::Other("the interpreter is exiting".into()));
        };
        Python::attach(|py| {
            let result = pystore::glue(py)
                .and_then(|glue| glue.getattr(function))
                .and_then(|f| f.call1(args(py)?))
                .map_err(stash)?;
            convert(&result)
        })
    }

    fn writable(&self) -> Result<(), StorageError> {
        if self.read_only {
            Err(StorageError::ReadOnly)
        } else {
            Ok(())
        }
    }
}

fn tuple<'py>(
    py: Python<'py>,
    items: impl IntoPyObject<
        'py,
        Target = pyo3::types::PyTuple,
        Output = Bound<'py, pyo3::types::PyTuple>,
    >,
) -> PyResult<Bound<'py, pyo3::types::PyTuple>> {
    let _ = py;
    items.into_pyobject(py).map_err(Into::into)
}

impl ReadableStorageTraits for PySyncStorage {
    fn get(&self, key: &StoreKey) -> Result<MaybeBytes, StorageError> {
        Self::call(
            "sync_get",
            |py| tuple(py, (self.store.bind(py), key.as_str())),
            pystore::maybe_value,
        )
    }

    fn get_partial_many<'a>(
        &'a self,
        key: &StoreKey,
        byte_ranges: ByteRangeIterator<'a>,
    ) -> Result<MaybeBytesIterator<'a>, StorageError> {
        let ranges: Vec<_> = byte_ranges.collect();
        let parts: Option<Vec<Bytes>> = Self::call(
            "sync_get_ranges",
            |py| {
                tuple(
                    py,
                    (
                        self.store.bind(py),
                        key.as_str(),
                        pystore::ranges_arg(&ranges),
                    ),
                )
            },
            pystore::maybe_values,
        )?;
        Ok(parts.map(|p| Box::new(p.into_iter().map(Ok)) as _))
    }

    fn size_key(&self, key: &StoreKey) -> Result<Option<u64>, StorageError> {
        Self::call(
            "sync_head",
            |py| tuple(py, (self.store.bind(py), key.as_str())),
            pystore::maybe_size,
        )
    }

    fn supports_get_partial(&self) -> bool {
        true
    }
}

impl ListableStorageTraits for PySyncStorage {
    fn list(&self) -> Result<StoreKeys, StorageError> {
        self.list_prefix(&StorePrefix::root())
    }

    fn list_prefix(&self, prefix: &StorePrefix) -> Result<StoreKeys, StorageError> {
        Self::call(
            "sync_list",
            |py| tuple(py, (self.store.bind(py), prefix.as_str())),
            pystore::keys,
        )
    }

    fn list_dir(&self, prefix: &StorePrefix) -> Result<StoreKeysPrefixes, StorageError> {
        Self::call(
            "sync_list_dir",
            |py| tuple(py, (self.store.bind(py), prefix.as_str())),
            pystore::keys_prefixes,
        )
    }

    fn size_prefix(&self, prefix: &StorePrefix) -> Result<u64, StorageError> {
        let sized = Self::call(
            "sync_list",
            |py| tuple(py, (self.store.bind(py), prefix.as_str())),
            pystore::sized_keys,
        )?;
        Ok(sized.iter().map(|(_, size)| size).sum())
    }
}

impl WritableStorageTraits for PySyncStorage {
    fn set(&self, key: &StoreKey, value: Bytes) -> Result<(), StorageError> {
        self.writable()?;
        Self::call(
            "sync_put",
            |py| {
                let value = Py::new(py, PyValue(value.clone()))?;
                tuple(py, (self.store.bind(py), key.as_str(), value))
            },
            |_| Ok(()),
        )
    }

    fn set_partial_many(
        &self,
        key: &StoreKey,
        offset_values: zarrs::storage::OffsetBytesIterator,
    ) -> Result<(), StorageError> {
        zarrs::storage::store_set_partial_many(self, key, offset_values)
    }

    fn erase(&self, key: &StoreKey) -> Result<(), StorageError> {
        self.writable()?;
        Self::call(
            "sync_delete",
            |py| tuple(py, (self.store.bind(py), key.as_str())),
            |_| Ok(()),
        )
    }

    fn erase_prefix(&self, prefix: &StorePrefix) -> Result<(), StorageError> {
        self.writable()?;
        Self::call(
            "sync_delete_prefix",
            |py| tuple(py, (self.store.bind(py), prefix.as_str())),
            |_| Ok(()),
        )
    }

    fn supports_set_partial(&self) -> bool {
        false
    }
}
