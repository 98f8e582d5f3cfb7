//! The most memory one allocation of an operation may take (a result, a chunk or shard being
//! decoded or encoded, a value read from a file), checked before allocating, so that a request
//! for more is refused with [`Error::Resource`] instead of aborting the process ("memory
//! allocation of N bytes failed" cannot be caught).
//!
//! The limit defaults to the machine's physical memory: a single buffer larger than that could
//! not be filled anyway. `ZARRBRIDGE_MEMORY_LIMIT` (bytes, read once per process) or
//! [`set_memory_limit`] change it.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};

/// The environment variable that sets the limit (in bytes) for a process.
pub const MEMORY_LIMIT_ENV: &str = "ZARRBRIDGE_MEMORY_LIMIT";

/// 0: not set yet (the default applies).
static LIMIT: AtomicU64 = AtomicU64::new(0);

fn default_limit() -> u64 {
    if let Some(bytes) = std::env::var(MEMORY_LIMIT_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|&b| b > 0)
    {
        return bytes;
    }
    physical_memory().unwrap_or(u64::MAX)
}

fn physical_memory() -> Option<u64> {
    // SAFETY: sysconf only reads system configuration.
    let (pages, page_size) = unsafe {
        (
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    let pages = u64::try_from(pages).ok().filter(|&p| p > 0)?;
    let page_size = u64::try_from(page_size).ok().filter(|&p| p > 0)?;
    Some(pages.saturating_mul(page_size))
}

/// The current limit in bytes.
#[must_use]
pub fn memory_limit() -> u64 {
    match LIMIT.load(Ordering::Relaxed) {
        0 => {
            let limit = default_limit();
            // A concurrent set_memory_limit wins over the default.
            let _ = LIMIT.compare_exchange(0, limit, Ordering::Relaxed, Ordering::Relaxed);
            LIMIT.load(Ordering::Relaxed)
        }
        limit => limit,
    }
}

/// Set the limit in bytes for this process; `None` restores the default. Returns the limit
/// now in force.
pub fn set_memory_limit(bytes: Option<u64>) -> u64 {
    let limit = bytes.filter(|&b| b > 0).unwrap_or_else(default_limit);
    LIMIT.store(limit, Ordering::Relaxed);
    limit
}

/// Refuse an allocation of `bytes` for `what` (e.g. "the result of shape [1048576, 1048576]")
/// when it exceeds the limit.
///
/// # Errors
/// [`Error::Resource`] naming what needed the memory, how much, and the limit.
pub fn check_allocation(bytes: u64, what: impl FnOnce() -> String) -> Result<()> {
    let limit = memory_limit();
    if bytes <= limit {
        return Ok(());
    }
    Err(Error::Resource(format!(
        "{} needs {bytes} bytes at once, more than the memory limit of {limit} bytes (set \
         {MEMORY_LIMIT_ENV} or zarrbridge.set_memory_limit to change it)",
        what()
    )))
}

/// [`check_allocation`] for a size given as `usize` (a saturated size is refused too).
///
/// # Errors
/// As [`check_allocation`].
pub fn check_len(bytes: usize, what: impl FnOnce() -> String) -> Result<()> {
    check_allocation(u64::try_from(bytes).unwrap_or(u64::MAX), what)
}

#[cfg(test)]
mod tests {
    use super::{check_allocation, memory_limit};

    #[test]
    fn the_default_is_the_physical_memory_and_more_is_refused() {
        let limit = memory_limit();
        assert!(limit > 1 << 20, "limit {limit}");
        assert!(check_allocation(1 << 20, String::new).is_ok());
        let err = check_allocation(u64::MAX, || "a test buffer".into()).unwrap_err();
        assert!(matches!(err, crate::Error::Resource(_)), "{err}");
        assert!(err.to_string().contains("a test buffer"), "{err}");
    }
}
