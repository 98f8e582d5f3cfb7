//! Per-chunk write locks: writes of one stored chunk (or shard) within a process compose as if
//! applied one after another, whoever makes them (asyncio tasks, threads, both; any API).
//!
//! A partial write reads the stored chunk, merges its part in and writes the chunk back; two at
//! once would each write back what it read, and the last would erase the other's part (16
//! concurrent row writes into one chunk lost 219 of 320 rows in 20 trials). So a partial write
//! holds its chunk's lock from the read to the write-back, and a whole-chunk write or delete
//! holds it only around the store call (its encoding needs no lock), which orders it against
//! the read-modify-writes. Writes to different chunks take different locks and never wait for
//! each other. Locks are async (`tokio::sync::Mutex`): a waiting task yields, and a blocking
//! call waits in its own `block_on`. An operation holding several (a stepped write of a
//! region) takes them in key order, and nothing that holds one waits for another, so locks
//! cannot deadlock.
//!
//! Between processes nothing is locked: see docs/dev/concurrent-writes.md.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::OwnedMutexGuard;

use crate::per_process::PerProcess;
use crate::store::Store;

/// A lock and how many callers hold or wait for it (it leaves the table at zero).
struct Entry {
    lock: Arc<tokio::sync::Mutex<()>>,
    users: usize,
}

type Table = Mutex<HashMap<String, Entry>>;

fn table() -> &'static Table {
    static TABLE: PerProcess<Table> = PerProcess::new();
    TABLE.get_or_init(Table::default)
}

/// Holds or waits for the lock of one key; leaves the table when dropped (also when a
/// cancelled wait drops it).
struct Registration {
    key: String,
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut table = table().lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = table.get_mut(&self.key) {
            entry.users -= 1;
            if entry.users == 0 {
                table.remove(&self.key);
            }
        }
    }
}

/// The held lock of one stored chunk; released when dropped.
pub(crate) struct ChunkLock {
    // Field order: the mutex is released before the registration leaves the table.
    _guard: OwnedMutexGuard<()>,
    _registration: Registration,
}

/// The key of `store`'s chunk `key` in the table: stores with the same URL share locks (two
/// handles on one directory or bucket are one store).
fn table_key(store: &Store, key: &str) -> String {
    format!("{}\u{0}{key}", store.url())
}

/// Wait for the lock of chunk `key` of `store` (cancellable).
pub(crate) async fn lock_chunk(store: &Store, key: &str) -> ChunkLock {
    let key = table_key(store, key);
    let lock = {
        let mut table = table().lock().unwrap_or_else(PoisonError::into_inner);
        let entry = table.entry(key.clone()).or_insert_with(|| Entry {
            lock: Arc::default(),
            users: 0,
        });
        entry.users += 1;
        entry.lock.clone()
    };
    let registration = Registration { key };
    ChunkLock {
        _guard: lock.lock_owned().await,
        _registration: registration,
    }
}

/// Wait for the locks of every chunk in `keys`, in key order (so that two callers locking
/// overlapping sets cannot deadlock).
pub(crate) async fn lock_chunks(store: &Store, keys: &[String]) -> Vec<ChunkLock> {
    let mut sorted: Vec<&String> = keys.iter().collect();
    sorted.sort();
    sorted.dedup();
    let mut held = Vec::with_capacity(sorted.len());
    for key in sorted {
        held.push(lock_chunk(store, key).await);
    }
    held
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::{lock_chunk, table};
    use crate::store::Store;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn one_holder_per_key_and_the_table_empties() {
        let store = Store::from_url("memory://chunk-lock-test").unwrap();
        let inside = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..32)
            .map(|i| {
                let (store, inside) = (store.clone(), inside.clone());
                tokio::spawn(async move {
                    let _held = lock_chunk(&store, if i % 2 == 0 { "a" } else { "b" }).await;
                    assert!(
                        inside.fetch_add(1, Ordering::SeqCst) < 2,
                        "two holders of a key"
                    );
                    tokio::task::yield_now().await;
                    inside.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        // A cancelled wait leaves the table too.
        let held = lock_chunk(&store, "c").await;
        let waiting = tokio::spawn({
            let store = store.clone();
            async move { lock_chunk(&store, "c").await }
        });
        tokio::task::yield_now().await;
        waiting.abort();
        let _ = waiting.await;
        drop(held);
        let keys = table().lock().unwrap().len();
        assert_eq!(keys, 0, "entries left in the lock table");
    }
}
