//! Pool sizes and concurrency limits, all derived from the cores this process may use, so that
//! nothing assumes a core count and the pools together do not oversubscribe the machine.

use std::num::NonZeroUsize;
use std::sync::OnceLock;

/// Every pool size and concurrency limit of the library, for one core count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizing {
    /// The cores this process may use.
    pub cores: usize,
    /// Threads of the codec pool (rayon): decoding and encoding are CPU work, one per core.
    pub compute_threads: usize,
    /// tokio worker threads. They drive I/O and hand codec work to the codec pool; local files
    /// are read by the codec jobs themselves, so these threads only need enough CPU for network
    /// stores (HTTP parsing, TLS, copies): a quarter of the cores, and at least two, so that
    /// one busy worker never holds up every other operation's I/O (two is also what 2-core
    /// machines had before, where case (e) was measured). With the codec pool saturated they
    /// add at most a quarter to the runnable threads (two on small machines), and only while a
    /// network store keeps them busy; the calling thread is parked in a blocking call and idle
    /// in an event loop that awaits.
    pub io_threads: usize,
    /// File operations in flight at once (each on a tokio blocking thread, which is also the
    /// blocking pool's size). Mostly waiting on the disk, but a write's copy into the page cache
    /// is CPU work: a few per core, never fewer than a disk queue wants.
    pub file_io_concurrency: usize,
    /// Chunks one operation keeps in flight (fetching or decoding): enough to keep every codec
    /// thread fed while the next chunks' I/O is under way, and enough requests in flight to hide
    /// a network store's latency on few cores.
    pub chunk_concurrency: usize,
}

impl Sizing {
    /// The sizes for a machine with `cores` usable cores (0 counts as 1).
    #[must_use]
    pub fn for_cores(cores: usize) -> Self {
        let cores = cores.max(1);
        Self {
            cores,
            compute_threads: cores,
            io_threads: (cores / 4).max(2),
            file_io_concurrency: (4 * cores).clamp(16, 256),
            chunk_concurrency: (4 * cores).max(64),
        }
    }
}

/// The cores this process may use: `std::thread::available_parallelism`, which on Linux takes
/// both the CPU affinity mask (`taskset`, `sched_setaffinity`) and the cgroup CPU quota (v1 and
/// v2 `cpu.max`, as containers set it) into account.
#[must_use]
pub fn usable_cores() -> usize {
    std::thread::available_parallelism().map_or(1, NonZeroUsize::get)
}

/// The sizes of this process, decided once (at the first operation).
pub fn sizing() -> &'static Sizing {
    static SIZING: OnceLock<Sizing> = OnceLock::new();
    SIZING.get_or_init(|| Sizing::for_cores(usable_cores()))
}

#[cfg(test)]
mod tests {
    use super::Sizing;

    const CORES: [usize; 9] = [1, 2, 3, 4, 8, 16, 32, 64, 256];

    #[test]
    fn every_pool_has_at_least_one_thread_even_with_no_cores_reported() {
        let s = Sizing::for_cores(0);
        assert_eq!((s.cores, s.compute_threads, s.io_threads), (1, 1, 2));
    }

    #[test]
    fn the_codec_pool_takes_every_core() {
        for cores in CORES {
            assert_eq!(Sizing::for_cores(cores).compute_threads, cores);
        }
    }

    #[test]
    fn codec_and_io_threads_oversubscribe_by_at_most_a_quarter_or_two() {
        for cores in CORES {
            let s = Sizing::for_cores(cores);
            let runnable = s.compute_threads + s.io_threads;
            assert!(
                runnable <= cores + (cores / 4).max(2),
                "{cores} cores: {s:?}"
            );
        }
    }

    #[test]
    fn io_threads_grow_with_the_machine() {
        let io: Vec<usize> = CORES
            .iter()
            .map(|&c| Sizing::for_cores(c).io_threads)
            .collect();
        assert_eq!(io, [2, 2, 2, 2, 2, 4, 8, 16, 64]);
    }

    #[test]
    fn chunks_in_flight_keep_every_codec_thread_fed() {
        for cores in CORES {
            let s = Sizing::for_cores(cores);
            assert!(
                s.chunk_concurrency >= 4 * s.compute_threads,
                "{cores} cores: {s:?}"
            );
            assert!(s.chunk_concurrency >= 64, "{cores} cores: {s:?}");
        }
    }

    #[test]
    fn file_operations_in_flight_follow_the_cores_within_bounds() {
        let limits: Vec<usize> = CORES
            .iter()
            .map(|&c| Sizing::for_cores(c).file_io_concurrency)
            .collect();
        assert_eq!(limits, [16, 16, 16, 16, 32, 64, 128, 256, 256]);
    }

    #[test]
    fn the_process_sizing_follows_available_parallelism() {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        assert_eq!(*super::sizing(), Sizing::for_cores(cores));
    }
}
