//! The tokio runtime, and the two ways a Python call waits for Rust work: blocking (GIL
//! released, Ctrl-C honoured) or through a completion callback (for asyncio and trio).

use std::cell::Cell;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::IntoPyObjectExt;
use tokio::runtime::{Handle, Runtime};
use zarrbridge_core::{compute, io_stats, progress, PerProcess};

use crate::errors::to_pyerr;

/// How often a blocking call looks for pending signals (Ctrl-C).
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// Upper bound on tokio's blocking threads (tokio's default allows 512). The file store runs
/// every file operation on one, and admits only as many operations at once as this.
const MAX_BLOCKING_THREADS: usize = zarrbridge_core::store::FILE_IO_CONCURRENCY;

/// The runtime of this process, rebuilt in a forked child (see `PerProcess`).
pub fn runtime() -> Handle {
    static RUNTIME: PerProcess<Runtime> = PerProcess::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .thread_name("zarrbridge-io")
                .max_blocking_threads(MAX_BLOCKING_THREADS)
                .build()
                .expect("the tokio runtime can be created")
        })
        .handle()
        .clone()
}

/// Interpreter-exit bookkeeping of this process (a forked child starts afresh: a callback that
/// was running in the parent at the fork must not delay the child's exit).
#[derive(Default)]
struct Lifecycle {
    /// Set at interpreter exit: from then on only the exiting thread enters Python.
    shutting_down: AtomicBool,
    /// Threads between their shutdown check and leaving Python.
    in_python: AtomicUsize,
}

fn lifecycle() -> &'static Lifecycle {
    static LIFECYCLE: PerProcess<Lifecycle> = PerProcess::new();
    LIFECYCLE.get_or_init(Lifecycle::default)
}

tokio::task_local! {
    /// The callback object of the async call this task serves. The Python side gives it a
    /// `submit(coroutine_fn, args, done)` method that runs a coroutine on the caller's event
    /// loop: async Python stores run their coroutines there.
    pub static CALLER_LOOP: GilPy;
}

thread_local! {
    /// Whether this thread runs the private event loop of an async Python store (see
    /// `mark_store_loop_thread`).
    static STORE_LOOP_THREAD: Cell<bool> = const { Cell::new(false) };
    /// Whether this thread called `shutdown` (it runs the interpreter's exit, where entering
    /// Python stays safe).
    static EXITING_THREAD: Cell<bool> = const { Cell::new(false) };
}

/// Permission for a Rust thread to enter Python, held until it has left again.
pub struct PythonEntry(&'static Lifecycle);

impl PythonEntry {
    /// `None` once the interpreter exits (except on the exiting thread). Announce first, check
    /// second: `shutdown` sets the flag first, counts second, so one always sees the other.
    pub fn acquire() -> Option<Self> {
        let state = lifecycle();
        state.in_python.fetch_add(1, Ordering::SeqCst);
        if state.shutting_down.load(Ordering::SeqCst) && !EXITING_THREAD.get() {
            state.in_python.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        Some(Self(state))
    }
}

impl Drop for PythonEntry {
    fn drop(&mut self) {
        self.0.in_python.fetch_sub(1, Ordering::SeqCst);
    }
}

/// How long interpreter exit waits for threads already inside Python.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Called at interpreter exit (registered with `atexit`): stop Rust threads entering Python and
/// wait for those already inside. Once the interpreter finalises, a thread that takes the GIL
/// is killed inside Rust frames (or the process aborts), so callbacks are dropped from now on
/// and blocking calls on other (daemon) threads never return (the process is exiting).
#[pyfunction]
pub fn shutdown(py: Python<'_>) {
    let state = lifecycle();
    EXITING_THREAD.set(true);
    state.shutting_down.store(true, Ordering::SeqCst);
    let start = Instant::now();
    py.detach(|| {
        while state.in_python.load(Ordering::SeqCst) > 0 && start.elapsed() < SHUTDOWN_GRACE {
            std::thread::sleep(Duration::from_millis(1));
        }
    });
}

/// A running operation started with a callback; `cancel()` stops it at its next await point.
#[pyclass(frozen, module = "zarrbridge._native")]
pub struct Task {
    handle: tokio::task::AbortHandle,
    /// The process whose runtime runs the task: in a forked child that runtime has no threads,
    /// and touching its scheduler could wait on a lock held by a thread that is gone.
    pid: u32,
}

#[pymethods]
impl Task {
    /// Abort the operation. Its callback will not be called afterwards.
    fn cancel(&self) {
        if self.pid == std::process::id() {
            self.handle.abort();
        }
    }
}

/// Run `fut` either to completion here (no callback) or in the background, reporting through
/// `callback(result, error)`.
pub fn run<F, T>(py: Python<'_>, fut: F, callback: Option<Py<PyAny>>) -> PyResult<Py<PyAny>>
where
    F: Future<Output = zarrbridge_core::Result<T>> + Send + 'static,
    T: for<'py> IntoPyObject<'py> + Send + 'static,
{
    // The I/O statistics active in the caller's context record this operation's requests, and
    // its progress counter (if the caller asked for progress) counts its chunks.
    let fut = io_stats::scope(crate::io::active(py)?, fut);
    let fut = progress::scope(crate::progress::active(py)?, fut);
    match callback {
        None => block(py, fut)?.into_py_any(py),
        Some(callback) => {
            let handle = runtime();
            // Poll once here, on the event loop's thread with the GIL released, letting small
            // work run in place: a read of a small chunk from memory or the page cache then
            // completes without a callback and an event-loop wake-up. If not ready, the same
            // future moves to the runtime, which polls a new task at once (so the wake-up
            // registered with the no-op waker here is not lost).
            let caller = GilPy::new(callback.clone_ref(py));
            // Released under the GIL even when the task is aborted (see `GilPy`).
            let callback = GilPy::new(callback);
            let mut fut = Box::pin(CALLER_LOOP.scope(caller, fut));
            let first = py.detach(|| {
                let _context = handle.enter();
                compute::with_in_place_budget(compute::EVENT_LOOP_BUDGET, || {
                    let waker = std::task::Waker::noop();
                    fut.as_mut()
                        .poll(&mut std::task::Context::from_waker(waker))
                })
            });
            if let std::task::Poll::Ready(result) = first {
                let outcome = result.map_err(to_pyerr).and_then(|v| v.into_py_any(py));
                return Ready(Mutex::new(Some(outcome))).into_py_any(py);
            }
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
                    // Released here, while the GIL is held: taking it again just to drop them
                    // would wait for the event loop's thread to hand it over.
                    drop((caller, callback));
                });
            });
            Task {
                handle: task.abort_handle(),
                pid: std::process::id(),
            }
            .into_py_any(py)
        }
    }
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

/// A Python reference released with the GIL held, wherever it is dropped: dropping a `Py`
/// without the GIL parks the decref in pyo3's global pool behind a lock, and a fork while a
/// Rust thread holds that lock would hang the child. Leaked once the interpreter exits.
pub struct GilPy(std::mem::ManuallyDrop<Py<PyAny>>);

impl GilPy {
    /// Own `obj`.
    pub fn new(obj: Py<PyAny>) -> Self {
        Self(std::mem::ManuallyDrop::new(obj))
    }

    /// The object, bound to the GIL.
    pub fn bind<'py>(&self, py: Python<'py>) -> &Bound<'py, PyAny> {
        self.0.bind(py)
    }
}

impl Drop for GilPy {
    fn drop(&mut self) {
        // SAFETY: taken once, here; `self.0` is not used afterwards.
        let obj = unsafe { std::mem::ManuallyDrop::take(&mut self.0) };
        match PythonEntry::acquire() {
            Some(_entry) => Python::attach(|_py| drop(obj)),
            None => std::mem::forget(obj),
        }
    }
}
