//! What operations cost on the store: requests by kind, bytes each way, and the time spent
//! waiting for the store. A caller opts in by running an operation inside [`scope`] with one
//! or more [`IoStats`]; every request the store layer issues inside it is recorded in each.
//! With no collector in scope, recording costs one task-local look-up per request.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A kind of request issued to a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    /// Read a whole value.
    Get,
    /// Read a byte range of a value (one request per range, after coalescing).
    GetRange,
    /// Look up a value's size.
    Head,
    /// Write a whole value.
    Put,
    /// Delete a value, or every value below a prefix.
    Delete,
    /// List keys.
    List,
}

impl RequestKind {
    /// Every kind, in the order of [`RequestKind::name`]s shown to users.
    pub const ALL: [Self; 6] = [
        Self::Get,
        Self::GetRange,
        Self::Head,
        Self::Put,
        Self::Delete,
        Self::List,
    ];

    /// The kind's name (`"get"`, `"get_range"`, `"head"`, `"put"`, `"delete"`, `"list"`).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Get => "get",
            Self::GetRange => "get_range",
            Self::Head => "head",
            Self::Put => "put",
            Self::Delete => "delete",
            Self::List => "list",
        }
    }

    fn slot(self) -> usize {
        self as usize
    }
}

#[derive(Debug, Default)]
struct Waiting {
    in_flight: usize,
    since: Option<Instant>,
    total: Duration,
}

/// Counters that requests are recorded in. Shared freely; every method is thread-safe.
#[derive(Debug, Default)]
pub struct IoStats {
    requests: [AtomicU64; 6],
    bytes_read: AtomicU64,
    bytes_written: AtomicU64,
    waiting: Mutex<Waiting>,
}

impl IoStats {
    /// New, zeroed counters.
    #[must_use]
    pub fn new() -> Arc<Self> {
        Arc::default()
    }

    /// Requests of `kind` issued so far.
    #[must_use]
    pub fn requests(&self, kind: RequestKind) -> u64 {
        self.requests[kind.slot()].load(Ordering::Relaxed)
    }

    /// Requests of every kind issued so far.
    #[must_use]
    pub fn total_requests(&self) -> u64 {
        RequestKind::ALL.iter().map(|&k| self.requests(k)).sum()
    }

    /// Bytes of values received from the store (bodies only, not protocol overhead).
    #[must_use]
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read.load(Ordering::Relaxed)
    }

    /// Bytes of values sent to the store.
    #[must_use]
    pub fn bytes_written(&self) -> u64 {
        self.bytes_written.load(Ordering::Relaxed)
    }

    /// Wall-clock time during which at least one request was in flight: concurrent requests
    /// count once, so this is what the caller waited for the store, not the sum of latencies.
    #[must_use]
    pub fn wait_time(&self) -> Duration {
        let waiting = self.lock();
        waiting.total + waiting.since.map_or(Duration::ZERO, |s| s.elapsed())
    }

    /// Zero every counter (requests in flight keep being timed).
    pub fn reset(&self) {
        for counter in &self.requests {
            counter.store(0, Ordering::Relaxed);
        }
        self.bytes_read.store(0, Ordering::Relaxed);
        self.bytes_written.store(0, Ordering::Relaxed);
        let mut waiting = self.lock();
        waiting.total = Duration::ZERO;
        if waiting.since.is_some() {
            waiting.since = Some(Instant::now());
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Waiting> {
        self.waiting
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn start(&self, now: Instant) {
        let mut waiting = self.lock();
        if waiting.in_flight == 0 {
            waiting.since = Some(now);
        }
        waiting.in_flight += 1;
    }

    fn stop(&self, now: Instant) {
        let mut waiting = self.lock();
        waiting.in_flight = waiting.in_flight.saturating_sub(1);
        if waiting.in_flight == 0 {
            if let Some(since) = waiting.since.take() {
                waiting.total += now.saturating_duration_since(since);
            }
        }
    }
}

/// The collectors an operation records into.
#[derive(Debug, Clone)]
pub struct Collectors(Arc<[Arc<IoStats>]>);

tokio::task_local! {
    static COLLECTORS: Collectors;
}

/// Run `fut` recording its store requests in each of `stats` (none: no recording).
pub async fn scope<F: Future>(stats: Vec<Arc<IoStats>>, fut: F) -> F::Output {
    if stats.is_empty() {
        fut.await
    } else {
        COLLECTORS.scope(Collectors(stats.into()), fut).await
    }
}

/// The collectors of the operation running in this task, to hand to work that runs elsewhere
/// (a compute job that reads a file).
#[must_use]
pub fn current() -> Option<Collectors> {
    COLLECTORS.try_with(Clone::clone).ok()
}

/// One request being recorded: counted when it ends (successfully, with an error, or dropped
/// when its operation is cancelled), unless [`Request::abandon`]ed because nothing was sent.
#[must_use = "a request is recorded when it is finished or dropped"]
pub(crate) struct Request {
    collectors: Option<Collectors>,
    kind: RequestKind,
    read: u64,
    written: u64,
}

impl Request {
    /// Start recording a request of `kind` for the operation of this task.
    pub(crate) fn begin(kind: RequestKind) -> Self {
        Self::begin_in(current(), kind)
    }

    /// Start recording a request of `kind` in `collectors`.
    pub(crate) fn begin_in(collectors: Option<Collectors>, kind: RequestKind) -> Self {
        if let Some(c) = &collectors {
            let now = Instant::now();
            for stats in c.0.iter() {
                stats.start(now);
            }
        }
        Self {
            collectors,
            kind,
            read: 0,
            written: 0,
        }
    }

    /// `read` more bytes of the value arrived (for a request whose value arrives in parts).
    pub(crate) fn received(&mut self, read: usize) {
        self.read += read as u64;
    }

    /// The request ended, having received `read` and sent `written` bytes of values.
    pub(crate) fn finish(mut self, read: usize, written: usize) {
        self.read = read as u64;
        self.written = written as u64;
    }

    /// Nothing was sent after all (the value is read another way).
    pub(crate) fn abandon(mut self) {
        if let Some(c) = self.collectors.take() {
            let now = Instant::now();
            for stats in c.0.iter() {
                stats.stop(now);
            }
        }
    }
}

impl Drop for Request {
    fn drop(&mut self) {
        let Some(c) = self.collectors.take() else {
            return;
        };
        let now = Instant::now();
        for stats in c.0.iter() {
            stats.requests[self.kind.slot()].fetch_add(1, Ordering::Relaxed);
            stats.bytes_read.fetch_add(self.read, Ordering::Relaxed);
            stats
                .bytes_written
                .fetch_add(self.written, Ordering::Relaxed);
            stats.stop(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{current, scope, IoStats, Request, RequestKind};

    #[tokio::test]
    async fn requests_in_scope_are_counted_in_every_collector() {
        let (outer, inner) = (IoStats::new(), IoStats::new());
        Request::begin(RequestKind::Get).finish(10, 0); // no scope: not recorded anywhere
        scope(vec![outer.clone(), inner.clone()], async {
            Request::begin(RequestKind::Get).finish(5, 0);
            Request::begin(RequestKind::Put).finish(0, 7);
            drop(Request::begin(RequestKind::GetRange)); // failed or cancelled: still a request
            Request::begin(RequestKind::Head).abandon(); // never sent
            let collectors = current();
            std::thread::spawn(move || {
                Request::begin_in(collectors, RequestKind::Get).finish(3, 0);
            })
            .join()
            .unwrap();
        })
        .await;
        for stats in [&outer, &inner] {
            assert_eq!(stats.requests(RequestKind::Get), 2);
            assert_eq!(stats.requests(RequestKind::Put), 1);
            assert_eq!(stats.requests(RequestKind::GetRange), 1);
            assert_eq!(stats.requests(RequestKind::Head), 0);
            assert_eq!(stats.total_requests(), 4);
            assert_eq!((stats.bytes_read(), stats.bytes_written()), (8, 7));
        }
        outer.reset();
        assert_eq!(outer.total_requests(), 0);
        assert_eq!(inner.total_requests(), 4);
    }

    #[tokio::test]
    async fn overlapping_requests_count_their_wall_time_once() {
        let stats = IoStats::new();
        scope(vec![stats.clone()], async {
            let (a, b) = (
                Request::begin(RequestKind::Get),
                Request::begin(RequestKind::Get),
            );
            std::thread::sleep(std::time::Duration::from_millis(30));
            drop((a, b));
        })
        .await;
        let waited = stats.wait_time().as_secs_f64();
        assert!((0.03..0.5).contains(&waited), "waited {waited} s");
    }
}
