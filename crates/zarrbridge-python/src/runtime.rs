//! The tokio runtime, and the ways a Python call waits for Rust work: blocking (GIL released,
//! Ctrl-C honoured); for asyncio, through the loop's completion port (`port.rs`); for trio (and
//! loops without `add_reader`), through a completion callback. docs/dev/async-bridge.md says
//! why this and not `pyo3-async-runtimes`, with the figures.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::Poll;
use std::time::{Duration, Instant};

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3::IntoPyObjectExt;
use tokio::runtime::{Handle, Runtime};
use zarrbridge_core::{compute, io_stats, progress, PerProcess};

use crate::errors::to_pyerr;
use crate::gil;
use crate::gil::{GilPy, PythonEntry};
use crate::port::{CompletionPort, PortInner, Slot};

/// How often a blocking call looks for pending signals (Ctrl-C).
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// The runtime of this process, rebuilt in a forked child (see `PerProcess`). Its sizes follow
/// the machine (`zarrbridge_core::sizing`): worker threads only drive I/O, and the blocking
/// threads (tokio's default allows 512) run file operations, which the file store admits only
/// as many at once as there are such threads.
pub fn runtime() -> Handle {
    static RUNTIME: PerProcess<Runtime> = PerProcess::new();
    RUNTIME
        .get_or_init(|| {
            let sizing = zarrbridge_core::sizing::sizing();
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .thread_name("zarrbridge-io")
                .worker_threads(sizing.io_threads)
                .max_blocking_threads(sizing.file_io_concurrency)
                .build()
                .expect("the tokio runtime can be created")
        })
        .handle()
        .clone()
}

/// The pool sizes and concurrency limits of this process, which follow its usable cores
/// (CPU affinity and cgroup quota): `zarrbridge_core::sizing::Sizing` as a dict.
#[pyfunction]
pub fn pool_sizes(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let s = zarrbridge_core::sizing::sizing();
    let sizes = PyDict::new(py);
    sizes.set_item("cores", s.cores)?;
    sizes.set_item("compute_threads", s.compute_threads)?;
    sizes.set_item("io_threads", s.io_threads)?;
    sizes.set_item("file_io_concurrency", s.file_io_concurrency)?;
    sizes.set_item("chunk_concurrency", s.chunk_concurrency)?;
    Ok(sizes)
}

/// What an async call reports to: the loop's completion port, or a callback object.
pub enum CallerLoop {
    /// An asyncio loop's port.
    Port(Arc<PortInner>),
    /// A callback (trio, or an asyncio loop without `add_reader`).
    Callback(GilPy),
}

impl CallerLoop {
    /// The object whose `submit(coroutine_fn, args, done)` runs a coroutine on the caller's
    /// event loop: async Python stores run their coroutines there.
    pub fn bind<'py>(&self, py: Python<'py>) -> &Bound<'py, PyAny> {
        match self {
            Self::Port(port) => port.submitter.bind(py),
            Self::Callback(callback) => callback.bind(py),
        }
    }
}

tokio::task_local! {
    /// The caller of the async call this task serves.
    pub static CALLER_LOOP: CallerLoop;
}

/// Whether async calls are polled once on the caller's thread first (`ZARRBRIDGE_FIRST_POLL=0`
/// turns it off, to measure the bridge on its own: `scripts/measure_bridge.py`; read once).
fn first_poll_enabled() -> bool {
    static ENABLED: OnceLock<bool> = OnceLock::new();
    *ENABLED.get_or_init(|| std::env::var("ZARRBRIDGE_FIRST_POLL").as_deref() != Ok("0"))
}

thread_local! {
    /// Whether this thread runs the private event loop of an async Python store (see
    /// `mark_store_loop_thread`).
    static STORE_LOOP_THREAD: Cell<bool> = const { Cell::new(false) };
}

/// How long interpreter exit waits for threads already inside Python.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Called at interpreter exit (registered with `atexit`): stop Rust threads entering Python and
/// wait for those already inside. Once the interpreter finalises, a thread that takes the GIL
/// is killed inside Rust frames (or the process aborts), so callbacks are dropped from now on
/// and blocking calls on other (daemon) threads never return (the process is exiting).
#[pyfunction]
pub fn shutdown(py: Python<'_>) {
    let start = Instant::now();
    let inside = gil::begin_shutdown();
    py.detach(|| {
        while inside() > 0 && start.elapsed() < SHUTDOWN_GRACE {
            std::thread::sleep(Duration::from_millis(1));
        }
    });
}

/// A running operation started with a callback or a completion port; `cancel()` stops it at
/// its next await point.
#[pyclass(frozen, module = "zarrbridge._native")]
pub struct Task {
    handle: tokio::task::AbortHandle,
    /// The process whose runtime runs the task: in a forked child that runtime has no threads,
    /// and touching its scheduler could wait on a lock held by a thread that is gone.
    pid: u32,
    /// The future a completion port resolves (`None` with a callback).
    slot: Option<Arc<Slot>>,
}

#[pymethods]
impl Task {
    /// Abort the operation. Its callback will not be called afterwards, nor its future resolved.
    fn cancel(&self, py: Python<'_>) {
        if let Some(slot) = &self.slot {
            slot.cancel(py);
        }
        if self.pid == std::process::id() {
            self.handle.abort();
        }
    }

    /// The asyncio future that receives the outcome (operations started with a port).
    #[getter]
    fn future<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.slot
            .as_ref()
            .and_then(|slot| slot.future(py))
            .ok_or_else(|| {
                PyRuntimeError::new_err("this task has no future (a callback task, or cancelled)")
            })
    }
}

/// Poll `fut` once here, on the event loop's thread with the GIL released, letting small work
/// run in place: a read of a small chunk from memory or the page cache then completes without
/// a runtime task and an event-loop wake-up. If not ready, the same future moves to the
/// runtime, which polls a new task at once (so the wake-up registered with the no-op waker
/// here is not lost).
fn first_poll<T: Send>(
    py: Python<'_>,
    handle: &Handle,
    fut: Pin<&mut (dyn Future<Output = zarrbridge_core::Result<T>> + Send)>,
) -> Poll<zarrbridge_core::Result<T>> {
    if !first_poll_enabled() {
        return Poll::Pending;
    }
    py.detach(|| {
        let _context = handle.enter();
        compute::with_in_place_budget(compute::EVENT_LOOP_BUDGET, || {
            fut.poll(&mut std::task::Context::from_waker(std::task::Waker::noop()))
        })
    })
}

/// Run `fut` to completion here (no callback), or in the background, reporting to `callback`:
/// a `CompletionPort` (asyncio) or a callable `callback(result, error)`.
pub fn run<F, T>(py: Python<'_>, fut: F, callback: Option<Py<PyAny>>) -> PyResult<Py<PyAny>>
where
    F: Future<Output = zarrbridge_core::Result<T>> + Send + 'static,
    T: for<'py> IntoPyObject<'py> + Send + 'static,
{
    // The I/O statistics active in the caller's context record this operation's requests, and
    // its progress counter (if the caller asked for progress) counts its chunks.
    let fut = io_stats::scope(crate::io::active(py)?, fut);
    let fut = progress::scope(crate::progress::active(py)?, fut);
    let Some(callback) = callback else {
        return block(py, fut)?.into_py_any(py);
    };
    let handle = runtime();
    let port = callback
        .bind(py)
        .cast::<CompletionPort>()
        .ok()
        .map(|port| port.get().inner.clone());
    let caller = match &port {
        Some(port) => CallerLoop::Port(port.clone()),
        None => CallerLoop::Callback(GilPy::new(callback.clone_ref(py))),
    };
    let mut fut = Box::pin(CALLER_LOOP.scope(caller, fut));
    if let Poll::Ready(result) = first_poll(py, &handle, fut.as_mut()) {
        let outcome = result.map_err(to_pyerr).and_then(|v| v.into_py_any(py));
        return Ready(Mutex::new(Some(outcome))).into_py_any(py);
    }
    if let Some(port) = port {
        let slot = port.slot(py)?;
        let done = slot.clone();
        let task = handle.spawn(async move {
            let result = fut.await;
            port.complete(
                done,
                Box::new(move |py| result.map_err(to_pyerr).and_then(|v| v.into_py_any(py))),
            );
        });
        return Task {
            handle: task.abort_handle(),
            pid: std::process::id(),
            slot: Some(slot),
        }
        .into_py_any(py);
    }
    // Released under the GIL even when the task is aborted (see `GilPy`).
    let callback = GilPy::new(callback);
    let task = handle.spawn(async move {
        let result = fut.as_mut().await;
        let caller = fut.as_mut().take_value();
        let Some(_entry) = PythonEntry::acquire() else {
            return;
        };
        let _ = Python::try_attach(move |py| {
            let args = match result.map_err(to_pyerr).and_then(|v| v.into_py_any(py)) {
                Ok(value) => (value, py.None()),
                Err(err) => (py.None(), err.into_value(py).into_any()),
            };
            if let Err(err) = callback.bind(py).call1(args) {
                err.write_unraisable(py, None);
            }
            // Released here, while the GIL is held: taking it again just to drop them would
            // wait for the event loop's thread to hand it over.
            drop((caller, callback));
        });
    });
    Task {
        handle: task.abort_handle(),
        pid: std::process::id(),
        slot: None,
    }
    .into_py_any(py)
}

/// The outcome of an async call that completed in its first poll: `result()` returns its value
/// or raises its error (once).
#[pyclass(frozen, module = "zarrbridge._native")]
pub struct Ready(Mutex<Option<PyResult<Py<PyAny>>>>);

#[pymethods]
impl Ready {
    /// The value, or raise the error.
    fn result(&self) -> PyResult<Py<PyAny>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
            .unwrap_or_else(|| Err(PyRuntimeError::new_err("result() was already taken")))
    }
}

/// Called by the thread that runs an async Python store's private event loop, as it starts.
#[pyfunction]
pub fn mark_store_loop_thread() {
    STORE_LOOP_THREAD.set(true);
}

/// Refuse at once a blocking call that would deadlock: a call from a runtime thread (a
/// callback), which would wait for work that may need the very thread it blocks; and a call
/// from the private loop of an async Python store (inside one of its coroutines), which would
/// wait for that loop, which cannot run while it waits.
fn check_may_block() -> PyResult<()> {
    if STORE_LOOP_THREAD.get() {
        return Err(PyRuntimeError::new_err(
            "a blocking zarrbridge call was made from inside an async Python store's coroutine \
             (on its private event loop); it would deadlock: use the async API there",
        ));
    }
    if Handle::try_current().is_ok() {
        return Err(PyRuntimeError::new_err(
            "a blocking zarrbridge call was made from a zarrbridge runtime thread (inside a \
             callback); it would deadlock: use the async API there",
        ));
    }
    Ok(())
}

/// Park this thread for good: the interpreter is exiting and taking the GIL back would kill
/// the thread inside Rust frames. Only daemon threads get here; the process exit ends them.
fn park_forever() -> ! {
    loop {
        std::thread::park();
    }
}

fn block<F, T>(py: Python<'_>, fut: F) -> PyResult<T>
where
    F: Future<Output = zarrbridge_core::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    check_may_block()?;
    let handle = runtime();
    let (result, entry) = py.detach(|| {
        // The future is polled right here, on the caller's thread: single-chunk codec work may
        // run in place instead of hopping to the compute pool and back.
        let drive = || {
            handle.block_on(async move {
                let mut fut = std::pin::pin!(fut);
                loop {
                    tokio::select! {
                        // Core errors become Python exceptions once the GIL is back.
                        result = &mut fut => return Ok(result),
                        () = tokio::time::sleep(SIGNAL_POLL) => {
                            // Dropping `fut` on return cancels the work at its next await point.
                            if let Some(_entry) = PythonEntry::acquire() {
                                #[allow(clippy::redundant_closure_for_method_calls)] // the method is not general enough
                                Python::attach(|py| py.check_signals())?;
                            }
                        }
                    }
                }
            })
        };
        let result: PyResult<zarrbridge_core::Result<T>> =
            compute::with_in_place_budget(compute::CALLER_THREAD_BUDGET, drive);
        // Held until the GIL is back, so interpreter exit waits for this thread to return.
        let Some(entry) = PythonEntry::acquire() else {
            park_forever();
        };
        (result, entry)
    });
    drop(entry);
    result?.map_err(to_pyerr)
}
