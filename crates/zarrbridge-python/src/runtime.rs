//! The tokio runtime, and the two ways a Python call waits for Rust work: blocking (GIL
//! released, Ctrl-C honoured) or through a completion callback (for asyncio and trio).

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::IntoPyObjectExt;
use tokio::runtime::{Handle, Runtime};

use crate::errors::to_pyerr;

/// How often a blocking call looks for pending signals (Ctrl-C).
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// The runtime of this process. A tokio runtime does not survive `fork()`: a child builds its
/// own on first use and leaks the parent's (whose threads are gone).
pub fn runtime() -> Handle {
    static RUNTIME: Mutex<Option<(u32, Runtime)>> = Mutex::new(None);
    let pid = std::process::id();
    let mut slot = RUNTIME.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((owner, rt)) = slot.as_ref() {
        if *owner == pid {
            return rt.handle().clone();
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("zarrbridge-io")
        .build()
        .expect("the tokio runtime can be created");
    let handle = rt.handle().clone();
    if let Some(old) = slot.replace((pid, rt)) {
        std::mem::forget(old);
    }
    handle
}

/// Set when the interpreter exits: from then on no callback enters Python.
static SHUTTING_DOWN: AtomicBool = AtomicBool::new(false);
/// Callbacks between their shutdown check and leaving Python.
static CALLBACKS_RUNNING: AtomicUsize = AtomicUsize::new(0);
/// How long interpreter exit waits for callbacks already inside Python.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Called at interpreter exit (registered with `atexit`): stop delivering callbacks and wait
/// for those already running. A callback can release the GIL (waking an event loop writes to a
/// socket); if the interpreter finalised meanwhile, taking the GIL back would abort the process.
#[pyfunction]
pub fn shutdown(py: Python<'_>) {
    SHUTTING_DOWN.store(true, Ordering::SeqCst);
    let start = Instant::now();
    py.detach(|| {
        while CALLBACKS_RUNNING.load(Ordering::SeqCst) > 0 && start.elapsed() < SHUTDOWN_GRACE {
            std::thread::sleep(Duration::from_millis(1));
        }
    });
}

/// A running operation started with a callback; `cancel()` stops it at its next await point.
#[pyclass(frozen, module = "zarrbridge._native")]
pub struct Task {
    handle: tokio::task::AbortHandle,
}

#[pymethods]
impl Task {
    /// Abort the operation. Its callback will not be called afterwards.
    fn cancel(&self) {
        self.handle.abort();
    }
}

/// Run `fut` either to completion here (no callback) or in the background, reporting through
/// `callback(result, error)`.
pub fn run<F, T>(py: Python<'_>, fut: F, callback: Option<Py<PyAny>>) -> PyResult<Py<PyAny>>
where
    F: Future<Output = zarrbridge_core::Result<T>> + Send + 'static,
    T: for<'py> IntoPyObject<'py> + Send + 'static,
{
    match callback {
        None => block(py, fut)?.into_py_any(py),
        Some(callback) => {
            let task = runtime().spawn(async move {
                let result = fut.await;
                // Announce the callback before checking for shutdown: `shutdown` sets the flag
                // before it counts, so one of the two always sees the other.
                CALLBACKS_RUNNING.fetch_add(1, Ordering::SeqCst);
                if SHUTTING_DOWN.load(Ordering::SeqCst) {
                    CALLBACKS_RUNNING.fetch_sub(1, Ordering::SeqCst);
                    return;
                }
                let _ = Python::try_attach(|py| {
                    let args = match result.map_err(to_pyerr).and_then(|v| v.into_py_any(py)) {
                        Ok(value) => (value, py.None()),
                        Err(err) => (py.None(), err.into_value(py).into_any()),
                    };
                    if let Err(err) = callback.call1(py, args) {
                        err.write_unraisable(py, None);
                    }
                });
                CALLBACKS_RUNNING.fetch_sub(1, Ordering::SeqCst);
            });
            Task {
                handle: task.abort_handle(),
            }
            .into_py_any(py)
        }
    }
}

fn block<F, T>(py: Python<'_>, fut: F) -> PyResult<T>
where
    F: Future<Output = zarrbridge_core::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    if Handle::try_current().is_ok() {
        return Err(PyRuntimeError::new_err(
            "a blocking zarrbridge call was made from a zarrbridge runtime thread; use the async \
             API there",
        ));
    }
    let handle = runtime();
    py.detach(|| {
        handle.block_on(async move {
            let mut fut = std::pin::pin!(fut);
            loop {
                tokio::select! {
                    result = &mut fut => return result.map_err(to_pyerr),
                    () = tokio::time::sleep(SIGNAL_POLL) => {
                        // Dropping `fut` on return cancels the work at its next await point.
                        #[allow(clippy::redundant_closure_for_method_calls)] // the method is not general enough
                        Python::attach(|py| py.check_signals())?;
                    }
                }
            }
        })
    })
}
