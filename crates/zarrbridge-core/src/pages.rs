//! Memory for large results: fresh buffers on small pages, and the last freed result buffer
//! kept for the next read of the same size.
//!
//! Faulting in a large fresh buffer costs about as much as decoding into it. Huge pages
//! (`MADV_HUGEPAGE`, as numpy asks for) cut the faults 512-fold, but a huge page is a whole
//! 2 MiB block of the kernel's free memory, and under a hypervisor that reclaims a guest's idle
//! memory (this project's Firecracker VMs) the first write to a block the host no longer backs
//! stalls while the host backs it again: measured here, 3-5 ms to zero one huge page against
//! 0.3 ms for a recently used one. A fresh process's first read of 256 MiB then ran 2-5x
//! slower one time in three or four (`clear_page_erms` 42% of its samples against 2%, with the
//! same 128 huge-page faults); numpy's own huge-page arrays showed the same spread. 4 KiB
//! pages come from recently freed memory and were never slowed that way (0.12 s of system time
//! per 256 MiB, every time). So fresh results use small pages, and the cost that huge pages
//! saved on repeated reads is saved instead by not giving the memory back: the last large
//! result buffer freed is kept (its pages marked `MADV_FREE`, so the kernel may still take them
//! under memory pressure) and a read of the same size reuses it with no fault at all.

use std::sync::atomic::{AtomicPtr, Ordering};

/// Results from this size up are kept for reuse.
const KEEP_FROM: usize = 4 << 20;

/// The last freed large result buffer (a leaked `Box<Vec<u8>>`), or null. Lock-free, so a fork
/// while another thread holds it cannot hang the child (which may reuse the buffer: its copy of
/// the memory is its own).
static KEPT: AtomicPtr<Vec<u8>> = AtomicPtr::new(std::ptr::null_mut());

/// The largest buffer kept: an eighth of the machine's memory.
fn keep_limit() -> usize {
    #[cfg(unix)]
    {
        // SAFETY: sysconf has no preconditions.
        let (pages, size) = unsafe {
            (
                libc::sysconf(libc::_SC_PHYS_PAGES),
                libc::sysconf(libc::_SC_PAGESIZE),
            )
        };
        usize::try_from(pages.saturating_mul(size) / 8).unwrap_or(0)
    }
    #[cfg(not(unix))]
    {
        0
    }
}

fn take_kept() -> Option<Vec<u8>> {
    let ptr = KEPT.swap(std::ptr::null_mut(), Ordering::AcqRel);
    // SAFETY: a non-null pointer in KEPT came from `Box::into_raw` in `result_freed`, and the
    // swap made this thread its only owner.
    (!ptr.is_null()).then(|| *unsafe { Box::from_raw(ptr) })
}

/// A new buffer with room for exactly `len` bytes (its contents undefined): the kept one when
/// it has that capacity.
pub(crate) fn new_result(len: usize) -> Vec<u8> {
    if len >= KEEP_FROM {
        if let Some(mut kept) = take_kept() {
            if kept.capacity() == len {
                kept.clear();
                return kept;
            }
        }
    }
    Vec::with_capacity(len)
}

/// A result buffer is no longer needed: keep it for the next read of its size (see the module
/// docs), or free it.
pub fn result_freed(buffer: Vec<u8>) {
    if buffer.capacity() < KEEP_FROM || buffer.capacity() > keep_limit() {
        return;
    }
    #[cfg(target_os = "linux")]
    {
        const PAGE: usize = 4096;
        let start = (buffer.as_ptr() as usize).next_multiple_of(PAGE);
        let end = (buffer.as_ptr() as usize + buffer.capacity()) / PAGE * PAGE;
        if end > start {
            // SAFETY: the range lies inside the buffer, which nobody reads again before
            // writing it; MADV_FREE only lets the kernel drop the pages' contents.
            unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_FREE) };
        }
    }
    let old = KEPT.swap(Box::into_raw(Box::new(buffer)), Ordering::AcqRel);
    if !old.is_null() {
        // SAFETY: as in `take_kept`.
        drop(unsafe { Box::from_raw(old) });
    }
}

#[cfg(test)]
mod tests {
    use super::{new_result, result_freed, KEEP_FROM};

    #[test]
    fn the_last_freed_large_buffer_is_reused_for_the_same_size_only() {
        // One test only touches the process-wide slot, so the order below holds.
        let mut first = new_result(KEEP_FROM);
        first.resize(KEEP_FROM, 7);
        let address = first.as_ptr();
        result_freed(first);
        let other = new_result(2 * KEEP_FROM);
        assert_ne!(
            other.as_ptr(),
            address,
            "a different size gets a new buffer"
        );
        result_freed(new_result(KEEP_FROM)); // put one back
        let small = new_result(KEEP_FROM - 1);
        assert!(small.capacity() >= KEEP_FROM - 1);
        let again = new_result(KEEP_FROM);
        assert_eq!((again.len(), again.capacity()), (0, KEEP_FROM));
        result_freed(again);
        let reused = new_result(KEEP_FROM);
        assert_eq!(reused.capacity(), KEEP_FROM);
        result_freed(vec![0u8; 16]); // small buffers are simply freed
        assert_eq!(new_result(KEEP_FROM).capacity(), KEEP_FROM);
    }
}
