//! Running codec work on the rayon pool so tokio's I/O threads only do I/O.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, PoisonError};

use crate::error::{Error, Result};

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

/// The compute pool of this process. Threads do not survive `fork()`, so a child process gets
/// a pool of its own the first time it needs one (the parent's is leaked, never joined).
fn pool() -> Arc<rayon::ThreadPool> {
    static POOL: Mutex<Option<(u32, Arc<rayon::ThreadPool>)>> = Mutex::new(None);
    let pid = std::process::id();
    let mut slot = POOL.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((owner, pool)) = slot.as_ref() {
        if *owner == pid {
            return pool.clone();
        }
    }
    let pool = Arc::new(
        rayon::ThreadPoolBuilder::new()
            .thread_name(|i| format!("zarrbridge-compute-{i}"))
            .build()
            .expect("the compute thread pool can be created"),
    );
    if let Some(old) = slot.replace((pid, pool.clone())) {
        // Dropping a pool inherited across fork would wait for threads that do not exist.
        std::mem::forget(old);
    }
    pool
}
