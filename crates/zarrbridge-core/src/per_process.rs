//! A lazily built value owned by one process, rebuilt in a forked child.
//!
//! Thread pools and runtimes do not survive `fork()`: the child has only the forking thread.
//! A `Mutex` guarding such a value is not enough either: if another thread of the parent held
//! it at the moment of the fork, the child inherits it locked by a thread that does not exist
//! and hangs on first use. So the slot is lock-free: its state records which process owns the
//! value and whether it is still being built, and a child simply claims the slot for itself.
//! Values of earlier processes are leaked, never dropped (dropping would wait for their threads).

use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

const EMPTY: u64 = 0;
const BUILDING: u64 = 1;
const READY: u64 = 2;

fn state(pid: u32, phase: u64) -> u64 {
    (u64::from(pid) << 2) | phase
}

/// A value built on first use in each process (see the module docs).
pub struct PerProcess<T: 'static> {
    /// `pid << 2 | phase`, where phase is `EMPTY`, `BUILDING` or `READY`.
    state: AtomicU64,
    value: AtomicPtr<T>,
}

impl<T: Send + Sync + 'static> PerProcess<T> {
    /// An empty slot, for a `static`.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            state: AtomicU64::new(EMPTY),
            value: AtomicPtr::new(std::ptr::null_mut()),
        }
    }

    /// This process's value, built with `init` if this process has none yet. Concurrent first
    /// callers in one process wait for one of them to build it; `init` runs at most once per
    /// process unless it panics (the slot is then released for the next caller).
    pub fn get_or_init(&self, init: impl FnOnce() -> T) -> &'static T {
        let pid = std::process::id();
        let ready = state(pid, READY);
        let building = state(pid, BUILDING);
        loop {
            let current = self.state.load(Ordering::Acquire);
            if current == ready {
                // SAFETY: READY for this pid is only stored after `value` holds a leaked box
                // built in this process, which is never freed.
                return unsafe { &*self.value.load(Ordering::Acquire) };
            }
            if current == building {
                // Another thread of this process is building it; it exists, so it will finish.
                std::thread::yield_now();
                continue;
            }
            // Empty, or owned by another process (we are a forked child): claim it.
            if self
                .state
                .compare_exchange(current, building, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                break;
            }
        }
        let release = Release(&self.state, building);
        let value: &'static T = Box::leak(Box::new(init()));
        std::mem::forget(release);
        self.value
            .store(std::ptr::from_ref(value).cast_mut(), Ordering::Release);
        self.state.store(ready, Ordering::Release);
        value
    }
}

impl<T: Send + Sync + 'static> Default for PerProcess<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// Frees the slot if building panics, so other threads do not wait forever.
struct Release<'a>(&'a AtomicU64, u64);

impl Drop for Release<'_> {
    fn drop(&mut self) {
        let _ = self
            .0
            .compare_exchange(self.1, EMPTY, Ordering::AcqRel, Ordering::Acquire);
    }
}

#[cfg(test)]
mod tests {
    use super::PerProcess;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn builds_once_under_contention() {
        static SLOT: PerProcess<usize> = PerProcess::new();
        static BUILDS: AtomicUsize = AtomicUsize::new(0);
        let values: Vec<usize> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|i| {
                    s.spawn(move || {
                        *SLOT.get_or_init(|| {
                            BUILDS.fetch_add(1, Ordering::SeqCst);
                            std::thread::sleep(std::time::Duration::from_millis(20));
                            i
                        })
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(BUILDS.load(Ordering::SeqCst), 1);
        assert!(values.iter().all(|v| *v == values[0]));
    }

    #[test]
    fn a_panicking_build_releases_the_slot() {
        static SLOT: PerProcess<u8> = PerProcess::new();
        let failed = std::panic::catch_unwind(|| SLOT.get_or_init(|| panic!("no"))).is_err();
        assert!(failed);
        assert_eq!(*SLOT.get_or_init(|| 7), 7);
    }

    #[test]
    fn a_slot_owned_by_another_process_is_claimed() {
        static SLOT: PerProcess<u32> = PerProcess::new();
        // What a forked child sees when the parent was building at the moment of the fork.
        let parent = std::process::id().wrapping_add(1);
        SLOT.state
            .store(super::state(parent, super::BUILDING), Ordering::SeqCst);
        assert_eq!(*SLOT.get_or_init(|| 42), 42);
    }
}
