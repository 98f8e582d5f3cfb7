//! The asyncio bridge of `pyo3-async-runtimes`, selected with
//! `ZARRBRIDGE_ASYNC_BRIDGE=pyo3-async-runtimes` (docs/dev/async-bridge.md compares it with
//! the native bridge). It runs on this process's runtime through the library's generic
//! interface: its own tokio runtime is a process-wide `OnceCell`, which a forked child would
//! inherit without threads.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;

use pyo3::prelude::*;
use pyo3_async_runtimes::generic::{self, ContextExt, JoinError, Runtime};
use pyo3_async_runtimes::TaskLocals;

use crate::runtime::runtime;

/// This process's runtime (see `runtime::runtime`), as the library sees it.
pub struct ProcessRuntime;

/// A task that panicked or was aborted.
pub struct Joined(tokio::task::JoinError);

impl JoinError for Joined {
    fn is_panic(&self) -> bool {
        self.0.is_panic()
    }

    fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        self.0.into_panic()
    }
}

tokio::task_local! {
    /// The event loop and context of the awaiting coroutine.
    static LOCALS: TaskLocals;
}

type Joining = Pin<Box<dyn Future<Output = Result<(), Joined>> + Send>>;

impl Runtime for ProcessRuntime {
    type JoinError = Joined;
    type JoinHandle = Joining;

    fn spawn<F>(fut: F) -> Self::JoinHandle
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let task = runtime().spawn(fut);
        Box::pin(async move { task.await.map_err(Joined) })
    }

    fn spawn_blocking<F>(f: F) -> Self::JoinHandle
    where
        F: FnOnce() + Send + 'static,
    {
        let task = runtime().spawn_blocking(f);
        Box::pin(async move { task.await.map_err(Joined) })
    }
}

impl ContextExt for ProcessRuntime {
    fn scope<F, R>(locals: TaskLocals, fut: F) -> Pin<Box<dyn Future<Output = R> + Send>>
    where
        F: Future<Output = R> + Send + 'static,
    {
        Box::pin(LOCALS.scope(locals, fut))
    }

    fn get_task_locals() -> Option<TaskLocals> {
        LOCALS.try_with(Clone::clone).ok()
    }
}

/// `fut` as an asyncio future of the running loop; cancelling that future drops `fut`.
pub fn future_into_py<F, T>(py: Python<'_>, fut: F) -> PyResult<Py<PyAny>>
where
    F: Future<Output = PyResult<T>> + Send + 'static,
    T: for<'py> IntoPyObject<'py> + Send + 'static,
{
    let locals = generic::get_current_locals::<ProcessRuntime>(py)?;
    Ok(generic::future_into_py_with_locals::<ProcessRuntime, _, _>(py, locals, fut)?.unbind())
}

/// The loop of the asyncio call this task serves, when it came through this bridge.
pub fn current_locals() -> Option<TaskLocals> {
    ProcessRuntime::get_task_locals()
}

/// Await `coroutine` on the loop of `locals` (`into_future_with_locals`).
pub fn await_coroutine(
    locals: &TaskLocals,
    coroutine: Bound<'_, PyAny>,
) -> PyResult<impl Future<Output = PyResult<Py<PyAny>>> + Send> {
    pyo3_async_runtimes::into_future_with_locals(locals, coroutine)
}
