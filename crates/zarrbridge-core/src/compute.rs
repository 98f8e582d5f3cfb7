//! Running codec work on the rayon pool so tokio's I/O threads only do I/O.

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
        let result = catch_unwind(AssertUnwindSafe(job)).unwrap_or_else(|panic| {
            let msg = panic
                .downcast_ref::<&str>()
                .map(ToString::to_string)
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            Err(Error::Codec(format!("internal error in codec work: {msg}")))
        });
        let _ = tx.send(result);
    });
    rx.await
        .map_err(|_| Error::Codec("codec work was dropped before it finished".into()))?
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
