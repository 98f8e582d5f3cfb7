//! Entering Python from Rust threads safely: interpreter-exit bookkeeping ([`PythonEntry`])
//! and Python references released only with the GIL held ([`GilPy`]). Shared by the runtime,
//! the completion port and the Python store adapters.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use pyo3::prelude::*;
use zarrbridge_core::PerProcess;

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

thread_local! {
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

/// Mark interpreter exit from the exiting thread (see `runtime::shutdown`): from now on only
/// this thread enters Python. Returns how to count the threads still inside.
pub fn begin_shutdown() -> impl Fn() -> usize {
    let state = lifecycle();
    EXITING_THREAD.set(true);
    state.shutting_down.store(true, Ordering::SeqCst);
    move || state.in_python.load(Ordering::SeqCst)
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
