//! Running codec work on the rayon pool so tokio's I/O threads only do I/O.

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::{Error, Result};
use crate::per_process::PerProcess;

/// Run `job` on the rayon pool and await its result.
///
/// If the awaiting future is dropped (cancelled) before the job starts, the job is skipped. A
/// panic inside the job becomes an [`Error::Codec`] instead of unwinding into the caller.
pub async fn spawn_compute<T, F>(job: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T> + Send + 'static,
{
    let (tx, rx) = tokio::sync::oneshot::channel();
    pool().spawn(move || {
        if tx.is_closed() {
            return;
        }
        let _ = tx.send(run_caught(job));
    });
    rx.await
        .map_err(|_| Error::codec("codec work was dropped before it finished"))?
}

/// How much work (bytes of one decoded chunk, or of one small file) a blocking call may do in
/// place on its own thread: a few milliseconds at most, so Ctrl-C is still noticed promptly.
pub const CALLER_THREAD_BUDGET: usize = 4 << 20;

/// The same for the first poll of an async call on the event loop's thread: tens of
/// microseconds at most, so the loop is never held up noticeably.
pub const EVENT_LOOP_BUDGET: usize = 64 << 10;

/// Run the codec work of one chunk (of `bytes` decoded bytes) of an operation on `chunks`
/// chunks: a single chunk within this thread's in-place budget (see [`in_place_budget`]) runs
/// right here, saving the hop to the pool and back; anything else on the pool, so that chunks
/// decode in parallel and the driving thread stays free.
pub async fn compute_part<T, F>(chunks: usize, bytes: usize, job: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T> + Send + 'static,
{
    if chunks == 1 && bytes <= in_place_budget() {
        run_caught(job)
    } else {
        spawn_compute(job).await
    }
}

/// Bytes of work this thread may do in place; 0 on the runtime's and the pool's threads.
#[must_use]
pub fn in_place_budget() -> usize {
    IN_PLACE_BUDGET.get()
}

thread_local! {
    static IN_PLACE_BUDGET: Cell<usize> = const { Cell::new(0) };
}

/// Run `f`, which drives an operation on a thread that is not one of tokio's I/O threads (a
/// blocking call's own thread, or an event loop's thread for a first poll), letting small
/// single-chunk work run in place within `budget` bytes.
pub fn with_in_place_budget<R>(budget: usize, f: impl FnOnce() -> R) -> R {
    struct Restore(usize);
    impl Drop for Restore {
        fn drop(&mut self) {
            IN_PLACE_BUDGET.set(self.0);
        }
    }
    let _restore = Restore(IN_PLACE_BUDGET.replace(budget));
    f()
}

fn run_caught<T>(job: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(job)).unwrap_or_else(|panic| {
        let msg = panic
            .downcast_ref::<&str>()
            .map(ToString::to_string)
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        Err(Error::codec(format!("internal error in codec work: {msg}")))
    })
}

/// Run `f` inside the compute pool, so rayon's parallel iterators in it use the pool's
/// threads (from any thread: a pool thread runs it in place, another thread waits for it).
pub(crate) fn install<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    pool().install(f)
}

/// Number of threads codec work can use.
#[must_use]
pub fn compute_threads() -> usize {
    pool().current_num_threads()
}

/// The compute pool of this process, rebuilt in a forked child (see [`PerProcess`]).
fn pool() -> &'static rayon::ThreadPool {
    static POOL: PerProcess<rayon::ThreadPool> = PerProcess::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(crate::sizing::sizing().compute_threads)
            .thread_name(|i| format!("zarrbridge-compute-{i}"))
            .build()
            .expect("the compute thread pool can be created")
    })
}
