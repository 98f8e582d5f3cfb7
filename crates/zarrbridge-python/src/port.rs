//! How an asyncio call's outcome gets back to its event loop without the GIL.
//!
//! A runtime thread that finishes an operation does not call into Python: it queues the Rust
//! outcome on the loop's `CompletionPort` and, if the queue was empty, writes one byte to a
//! socket the loop watches (`loop.add_reader`). The loop's thread, which holds the GIL anyway,
//! then converts every queued outcome and resolves its asyncio future in one pass (`drain`).
//! With hundreds of awaits in flight this replaces one GIL hand-over and one
//! `call_soon_threadsafe` per operation by one wake-up per batch (figures in
//! docs/dev/async-bridge.md), and completions never wait for a GIL the loop holds.

use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex, PoisonError};

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyWeakrefReference;

use crate::gil::GilPy;

/// Converts an operation's Rust outcome to a Python value or exception, on the loop's thread.
pub type Deliver = Box<dyn FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send>;

/// The asyncio future one operation resolves; emptied by whoever gets there first, the
/// delivery or a cancellation.
pub struct Slot(Mutex<Option<GilPy>>);

impl Slot {
    fn take(&self) -> Option<GilPy> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }

    /// The future, unless the operation was cancelled.
    pub fn future<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyAny>> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map(|f| f.bind(py).clone())
    }

    /// Forget the future (under the GIL): the operation was cancelled.
    pub fn cancel(&self, _py: Python<'_>) {
        drop(self.take());
    }
}

#[derive(Default)]
struct Queue {
    done: Vec<(Arc<Slot>, Deliver)>,
    /// A wake-up byte is on its way and `drain` has not run since.
    signalled: bool,
}

/// The shared part of a port: runtime threads hold it while their operation runs.
pub struct PortInner {
    queue: Mutex<Queue>,
    reader: UnixStream,
    writer: UnixStream,
    /// The loop, weakly: the port lives in the loop (as its reader callback).
    event_loop: GilPy,
    /// `submit(coroutine_fn, args, done)`: runs an async Python store's coroutine on the loop.
    pub submitter: GilPy,
}

impl PortInner {
    /// A new asyncio future of the loop, registered for the outcome of one operation.
    pub fn slot(&self, py: Python<'_>) -> PyResult<Arc<Slot>> {
        let event_loop = self
            .event_loop
            .bind(py)
            .cast::<PyWeakrefReference>()?
            .upgrade()
            .ok_or_else(|| PyRuntimeError::new_err("the event loop is gone"))?;
        let future = event_loop.call_method0(pyo3::intern!(py, "create_future"))?;
        Ok(Arc::new(Slot(Mutex::new(Some(GilPy::new(
            future.unbind(),
        ))))))
    }

    /// Queue an outcome (from any thread, without the GIL) and wake the loop if needed.
    pub fn complete(&self, slot: Arc<Slot>, deliver: Deliver) {
        let wake = {
            let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
            queue.done.push((slot, deliver));
            !std::mem::replace(&mut queue.signalled, true)
        };
        if wake {
            // A full socket already holds a wake-up; any other failure means the loop closed
            // the port, and nobody waits any more.
            let _ = (&self.writer).write(&[1]);
        }
    }
}

/// Where the operations started from one asyncio loop report back (see the module docs).
#[pyclass(frozen, module = "zarrbridge._native")]
pub struct CompletionPort {
    pub(crate) inner: Arc<PortInner>,
}

#[pymethods]
impl CompletionPort {
    /// A port for the loop behind `event_loop` (a weak reference); `submitter.submit` runs
    /// Python store coroutines on that loop. Register `drain` with `loop.add_reader(fileno())`.
    #[new]
    fn new(event_loop: Bound<'_, PyWeakrefReference>, submitter: Py<PyAny>) -> PyResult<Self> {
        let (reader, writer) = UnixStream::pair()?;
        reader.set_nonblocking(true)?;
        writer.set_nonblocking(true)?;
        Ok(Self {
            inner: Arc::new(PortInner {
                queue: Mutex::new(Queue::default()),
                reader,
                writer,
                event_loop: GilPy::new(event_loop.into_any().unbind()),
                submitter: GilPy::new(submitter),
            }),
        })
    }

    /// The file descriptor that becomes readable when outcomes are queued.
    fn fileno(&self) -> i32 {
        self.inner.reader.as_raw_fd()
    }

    /// Resolve the futures of every queued outcome (on the loop's thread).
    fn drain(&self, py: Python<'_>) {
        let inner = &self.inner;
        // Consume the wake-ups before taking the queue: an outcome queued after the take
        // writes a new one.
        let mut bytes = [0u8; 64];
        while matches!((&inner.reader).read(&mut bytes), Ok(n) if n > 0) {}
        let done = {
            let mut queue = inner.queue.lock().unwrap_or_else(PoisonError::into_inner);
            queue.signalled = false;
            std::mem::take(&mut queue.done)
        };
        for (slot, deliver) in done {
            // Cancelled: the awaiting task is gone.
            let Some(future) = slot.take() else { continue };
            if let Err(err) = resolve(py, future.bind(py), deliver) {
                err.write_unraisable(py, Some(future.bind(py)));
            }
        }
    }
}

fn resolve(py: Python<'_>, future: &Bound<'_, PyAny>, deliver: Deliver) -> PyResult<()> {
    // Cancelled by asyncio before `Task.cancel` ran (the awaiting task was cancelled).
    if future
        .call_method0(pyo3::intern!(py, "done"))?
        .is_truthy()?
    {
        return Ok(());
    }
    match deliver(py) {
        Ok(value) => future.call_method1(pyo3::intern!(py, "set_result"), (value,))?,
        Err(err) => {
            future.call_method1(pyo3::intern!(py, "set_exception"), (err.into_value(py),))?
        }
    };
    Ok(())
}
