//! A Python object implementing the async store family, as a zarrs async storage. Each storage
//! call schedules one glue coroutine (`zarrbridge._pystore.async_*`) on the caller's event loop
//! (asyncio or trio, found in the task-local `CALLER_LOOP` that `runtime::run` sets), or, for a
//! blocking call that has no loop, on a private loop thread owned by this adapter. The result
//! comes back through a oneshot channel; dropping the Rust future cancels the Python task.
//! Nothing is serialised: every call is its own task on the loop.

use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use tokio::sync::oneshot;
use zarrs::storage::byte_range::ByteRangeIterator;
use zarrs::storage::{
    async_store_set_partial_many, AsyncListableStorageTraits, AsyncMaybeBytesIterator,
    AsyncReadableStorageTraits, AsyncReadableWritableListableStorage, AsyncWritableStorageTraits,
    MaybeBytes, OffsetBytesIterator, StorageError, StoreKey, StoreKeys, StoreKeysPrefixes,
    StorePrefix,
};

use crate::buffer::PyValue;
use crate::gil::{GilPy, PythonEntry};
use crate::pystore::{self, stash};
use crate::runtime::CALLER_LOOP;

/// The result or the exception, each released under the GIL wherever the channel drops it.
type Outcome = Result<GilPy, GilPy>;

/// `done(result, error)`: hands a glue coroutine's outcome to the waiting Rust future.
#[pyclass(frozen, module = "zarrbridge._native")]
pub struct Delivery(Mutex<Option<oneshot::Sender<Outcome>>>);

#[pymethods]
impl Delivery {
    #[pyo3(signature = (result, error))]
    fn __call__(&self, result: Py<PyAny>, error: Option<Bound<'_, PyAny>>) {
        let sender = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(sender) = sender {
            // The receiver is gone when the operation was cancelled: nobody waits any more.
            let _ = sender.send(match error {
                None => Ok(GilPy::new(result)),
                Some(err) => Err(GilPy::new(err.unbind())),
            });
        }
    }
}

/// Cancels the Python task when the Rust future is dropped before the result came.
struct CancelOnDrop {
    handle: GilPy,
    armed: bool,
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        if let Some(_entry) = PythonEntry::acquire() {
            Python::attach(|py| {
                if let Err(err) = self.handle.bind(py).call_method0("cancel") {
                    err.write_unraisable(py, None);
                }
            });
        }
    }
}

/// The async adapter.
pub struct PyAsyncStorage {
    store: GilPy,
    read_only: bool,
    /// The loop for calls made without one (blocking calls), started on first use.
    private_loop: OnceLock<GilPy>,
}

impl PyAsyncStorage {
    /// Adapt `store` (which implements the async family) as a zarrs async storage.
    pub fn storage(store: &Bound<'_, PyAny>) -> PyResult<AsyncReadableWritableListableStorage> {
        Ok(Arc::new(Self {
            read_only: pystore::is_read_only(store, true)?,
            store: GilPy::new(store.clone().unbind()),
            private_loop: OnceLock::new(),
        }))
    }

    fn runner<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let caller = CALLER_LOOP.try_with(|h| h.bind(py).clone()).ok();
        if let Some(caller) = caller {
            if caller.hasattr("submit")? {
                return Ok(caller);
            }
        }
        if let Some(private) = self.private_loop.get() {
            return Ok(private.bind(py).clone());
        }
        let private = pystore::glue(py)?.call_method0("PrivateLoop")?;
        Ok(self
            .private_loop
            .get_or_init(|| GilPy::new(private.unbind()))
            .bind(py)
            .clone())
    }

    /// Run glue coroutine `function(store, *args)` and wait for its result.
    async fn call<T>(
        &self,
        function: &str,
        args: impl for<'py> FnOnce(Python<'py>) -> PyResult<Bound<'py, PyTuple>> + Send,
        convert: impl for<'py> FnOnce(&Bound<'py, PyAny>) -> Result<T, StorageError> + Send,
    ) -> Result<T, StorageError> {
        let (sender, receiver) = oneshot::channel();
        let handle = {
            let Some(_entry) = PythonEntry::acquire() else {
                return Err(StorageError::Other("the interpreter is exiting".into()));
            };
            Python::attach(|py| -> PyResult<Py<PyAny>> {
                let coroutine_fn = pystore::glue(py)?.getattr(function)?;
                let done = Py::new(py, Delivery(Mutex::new(Some(sender))))?;
                let handle = self
                    .runner(py)?
                    .call_method1("submit", (coroutine_fn, args(py)?, done))?;
                Ok(handle.unbind())
            })
            .map_err(stash)?
        };
        let mut guard = CancelOnDrop {
            handle: GilPy::new(handle),
            armed: true,
        };
        let outcome = receiver.await;
        guard.armed = false;
        let result = outcome
            .map_err(|_| {
                StorageError::Other("the Python store's task ended without a result".into())
            })?
            .map_err(|error| {
                stash(Python::attach(move |py| {
                    let err = PyErr::from_value(error.bind(py).clone());
                    drop(error);
                    err
                }))
            })?;
        let Some(_entry) = PythonEntry::acquire() else {
            return Err(StorageError::Other("the interpreter is exiting".into()));
        };
        Python::attach(move |py| {
            let converted = convert(result.bind(py));
            // Released while the GIL is held (taking it again costs a hand-over).
            drop((result, guard));
            converted
        })
    }

    fn writable(&self) -> Result<(), StorageError> {
        if self.read_only {
            Err(StorageError::ReadOnly)
        } else {
            Ok(())
        }
    }

    fn key_args<'py>(&self, py: Python<'py>, key: &str) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(
            py,
            [
                self.store.bind(py).clone(),
                key.into_pyobject(py)?.into_any(),
            ],
        )
    }
}

#[async_trait::async_trait]
impl AsyncReadableStorageTraits for PyAsyncStorage {
    async fn get(&self, key: &StoreKey) -> Result<MaybeBytes, StorageError> {
        self.call(
            "async_get",
            |py| self.key_args(py, key.as_str()),
            pystore::maybe_value,
        )
        .await
    }

    async fn get_partial_many<'a>(
        &'a self,
        key: &StoreKey,
        byte_ranges: ByteRangeIterator<'a>,
    ) -> Result<AsyncMaybeBytesIterator<'a>, StorageError> {
        let ranges = pystore::ranges_arg(&byte_ranges.collect::<Vec<_>>());
        let parts: Option<Vec<Bytes>> = self
            .call(
                "async_get_ranges",
                |py| (self.store.bind(py), key.as_str(), ranges).into_pyobject(py),
                pystore::maybe_values,
            )
            .await?;
        Ok(parts.map(
            |p| -> futures::stream::BoxStream<'a, Result<Bytes, StorageError>> {
                Box::pin(futures::stream::iter(p.into_iter().map(Ok)))
            },
        ))
    }

    async fn size_key(&self, key: &StoreKey) -> Result<Option<u64>, StorageError> {
        self.call(
            "async_head",
            |py| self.key_args(py, key.as_str()),
            pystore::maybe_size,
        )
        .await
    }

    fn supports_get_partial(&self) -> bool {
        true
    }
}

#[async_trait::async_trait]
impl AsyncListableStorageTraits for PyAsyncStorage {
    async fn list(&self) -> Result<StoreKeys, StorageError> {
        self.list_prefix(&StorePrefix::root()).await
    }

    async fn list_prefix(&self, prefix: &StorePrefix) -> Result<StoreKeys, StorageError> {
        self.call(
            "async_list",
            |py| self.key_args(py, prefix.as_str()),
            pystore::keys,
        )
        .await
    }

    async fn list_dir(&self, prefix: &StorePrefix) -> Result<StoreKeysPrefixes, StorageError> {
        self.call(
            "async_list_dir",
            |py| self.key_args(py, prefix.as_str()),
            pystore::keys_prefixes,
        )
        .await
    }

    async fn size_prefix(&self, prefix: &StorePrefix) -> Result<u64, StorageError> {
        let sized = self
            .call(
                "async_list",
                |py| self.key_args(py, prefix.as_str()),
                pystore::sized_keys,
            )
            .await?;
        Ok(sized.iter().map(|(_, size)| size).sum())
    }
}

#[async_trait::async_trait]
impl AsyncWritableStorageTraits for PyAsyncStorage {
    async fn set(&self, key: &StoreKey, value: Bytes) -> Result<(), StorageError> {
        self.writable()?;
        self.call(
            "async_put",
            |py| {
                let value = Py::new(py, PyValue(value.clone()))?;
                (self.store.bind(py), key.as_str(), value).into_pyobject(py)
            },
            |_| Ok(()),
        )
        .await
    }

    async fn set_partial_many<'a>(
        &'a self,
        key: &StoreKey,
        offset_values: OffsetBytesIterator<'a>,
    ) -> Result<(), StorageError> {
        async_store_set_partial_many(self, key, offset_values).await
    }

    async fn erase(&self, key: &StoreKey) -> Result<(), StorageError> {
        self.writable()?;
        self.call(
            "async_delete",
            |py| self.key_args(py, key.as_str()),
            |_| Ok(()),
        )
        .await
    }

    async fn erase_prefix(&self, prefix: &StorePrefix) -> Result<(), StorageError> {
        self.writable()?;
        self.call(
            "async_delete_prefix",
            |py| self.key_args(py, prefix.as_str()),
            |_| Ok(()),
        )
        .await
    }

    fn supports_set_partial(&self) -> bool {
        false
    }
}
