//! How far a long operation has got: chunks and bytes done out of those planned. An operation
//! run inside [`scope`] adds what it plans to do to the totals when it knows it, and what it
//! has done as each chunk completes; the counters are atomics that whoever started it reads
//! whenever it likes (the Python side polls them at a bounded rate). Nothing here calls out:
//! the chunk loops only add to counters.
//!
//! Bytes count array data (elements times their size) of the part of each chunk the operation
//! touches, so a read's total is the size of its result, and a copy's the size of the arrays.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The counters of one operation. Shared freely; every method is thread-safe.
#[derive(Debug, Default)]
pub struct Progress {
    chunks_done: AtomicU64,
    chunks_total: AtomicU64,
    bytes_done: AtomicU64,
    bytes_total: AtomicU64,
}

/// What [`Progress::snapshot`] read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Snapshot {
    /// Chunks finished.
    pub chunks_done: u64,
    /// Chunks planned so far.
    pub chunks_total: u64,
    /// Bytes of array data finished.
    pub bytes_done: u64,
    /// Bytes of array data planned so far.
    pub bytes_total: u64,
}

impl Progress {
    /// New, zeroed counters.
    #[must_use]
    pub fn new() -> Arc<Self> {
        Arc::default()
    }

    /// The counters now (each read on its own: done never runs ahead of its total, since
    /// totals are added before the work they count starts).
    #[must_use]
    pub fn snapshot(&self) -> Snapshot {
        // Done first: a total read after its done count is never smaller than it.
        let (chunks_done, bytes_done) = (
            self.chunks_done.load(Ordering::Acquire),
            self.bytes_done.load(Ordering::Acquire),
        );
        Snapshot {
            chunks_done,
            chunks_total: self.chunks_total.load(Ordering::Acquire),
            bytes_done,
            bytes_total: self.bytes_total.load(Ordering::Acquire),
        }
    }
}

tokio::task_local! {
    static CURRENT: Option<Arc<Progress>>;
}

/// Run `fut` counting its progress in `progress` (`None`: not counted, also for operations
/// that the operation runs inside itself).
pub async fn scope<F: Future>(progress: Option<Arc<Progress>>, fut: F) -> F::Output {
    CURRENT.scope(progress, fut).await
}

fn with_current(f: impl FnOnce(&Progress)) {
    let _ = CURRENT.try_with(|p| {
        if let Some(p) = p {
            f(p);
        }
    });
}

/// The operation of this task is about to do `chunks` more chunks holding `bytes` bytes.
pub(crate) fn plan(chunks: u64, bytes: u64) {
    with_current(|p| {
        p.chunks_total.fetch_add(chunks, Ordering::AcqRel);
        p.bytes_total.fetch_add(bytes, Ordering::AcqRel);
    });
}

/// The operation of this task finished `chunks` more chunks holding `bytes` bytes.
pub(crate) fn done(chunks: u64, bytes: u64) {
    with_current(|p| {
        p.bytes_done.fetch_add(bytes, Ordering::AcqRel);
        p.chunks_done.fetch_add(chunks, Ordering::AcqRel);
    });
}

#[cfg(test)]
mod tests {
    use super::{done, plan, scope, Progress, Snapshot};

    #[tokio::test]
    async fn counts_only_inside_its_scope() {
        let progress = Progress::new();
        plan(1, 1); // no scope: counted nowhere
        scope(Some(progress.clone()), async {
            plan(3, 30);
            done(1, 10);
            // Work the operation runs inside itself can opt out.
            scope(None, async { done(5, 50) }).await;
        })
        .await;
        assert_eq!(
            progress.snapshot(),
            Snapshot {
                chunks_done: 1,
                chunks_total: 3,
                bytes_done: 10,
                bytes_total: 30
            }
        );
    }
}
