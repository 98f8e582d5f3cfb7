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
        .map_err(|_| Error::Codec("codec work was dropped before it finished".into()))?
}

/// Largest decoded chunk whose codec work may run in place on a caller's thread: a few
/// milliseconds of work, so that Ctrl-C is still noticed promptly.
pub const IN_PLACE_LIMIT: usize = 4 << 20;

/// Run the codec work of one chunk (of `bytes` decoded bytes) of an operation on `chunks`
/// chunks: a single small chunk as [`compute_one`]; anything else on the pool, so that chunks
/// decode in parallel and the caller's thread stays free.
pub async fn compute_part<T, F>(chunks: usize, bytes: usize, job: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T> + Send + 'static,
{
    if chunks == 1 && bytes <= IN_PLACE_LIMIT {
        compute_one(job).await
    } else {
        spawn_compute(job).await
    }
}

/// Run the codec work of a single-chunk operation: in place when the operation is being driven
/// on a caller's own thread (see [`on_caller_thread`]), else on the rayon pool. A hop to the
/// pool and back costs more than decoding a small chunk, and a caller's thread is not one of
/// tokio's I/O threads, so nothing is starved.
pub async fn compute_one<T, F>(job: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T> + Send + 'static,
{
    if ON_CALLER_THREAD.get() {
        run_caught(job)
    } else {
        spawn_compute(job).await
    }
}

/// Whether this thread is a caller's own, driving an operation (see [`on_caller_thread`]).
#[must_use]
pub fn is_caller_thread() -> bool {
    ON_CALLER_THREAD.get()
}

thread_local! {
    static ON_CALLER_THREAD: Cell<bool> = const { Cell::new(false) };
}

/// Run `f` (which drives an operation to completion with `block_on`) marking this thread as a
/// caller's own: single-chunk codec work then runs here instead of on the pool.
pub fn on_caller_thread<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            ON_CALLER_THREAD.set(self.0);
        }
    }
    let _restore = Restore(ON_CALLER_THREAD.replace(true));
    f()
}

fn run_caught<T>(job: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(job)).unwrap_or_else(|panic| {
        let msg = panic
            .downcast_ref::<&str>()
            .map(ToString::to_string)
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        Err(Error::Codec(format!("internal error in codec work: {msg}")))
    })
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
            .thread_name(|i| format!("zarrbridge-compute-{i}"))
            .build()
            .expect("the compute thread pool can be created")
    })
}
