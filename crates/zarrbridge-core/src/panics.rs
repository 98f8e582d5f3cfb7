//! The last line against panics: a future driven to completion here never unwinds into its
//! caller (for the binding, across the FFI boundary, where pyo3 would raise `PanicException`, a
//! `BaseException` that `except Exception` misses, and an abandoned async task would leave its
//! caller waiting for good). The panic becomes [`Error::Internal`]. Known panics are fixed where
//! they start (malformed endpoints are refused as options, a Python store's `get_ranges` result
//! is checked); this catches the ones nobody has found yet.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures::FutureExt;

use crate::error::{Error, Result};

/// `fut`'s outcome, with a panic while polling it turned into [`Error::Internal`].
///
/// `AssertUnwindSafe` is sound here: after a panic the future is dropped, never polled again,
/// and the state it shares (locks, caches) is either poison-tolerant or rebuilt per call.
///
/// # Errors
/// `fut`'s own errors; [`Error::Internal`] naming the panic's message.
pub async fn contained<T>(fut: impl Future<Output = Result<T>>) -> Result<T> {
    match AssertUnwindSafe(fut).catch_unwind().await {
        Ok(result) => result,
        Err(payload) => Err(internal(&*payload)),
    }
}

/// `f()`, with a panic turned into [`Error::Internal`] (for synchronous entry points).
///
/// # Errors
/// `f`'s own errors; [`Error::Internal`] naming the panic's message.
pub fn contained_sync<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    std::panic::catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| Err(internal(&*payload)))
}

fn internal(payload: &(dyn Any + Send)) -> Error {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into());
    Error::Internal(format!(
        "internal error (a bug in zarrbridge or a library it uses; please report it): {what}"
    ))
}

#[cfg(test)]
mod tests {
    use super::{contained, contained_sync};
    use crate::Error;

    #[test]
    fn a_panicking_future_becomes_an_internal_error() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let err = rt
            .block_on(contained(async {
                assert!(!std::hint::black_box(true), "deliberate test panic {}", 42);
                Ok(())
            }))
            .unwrap_err();
        assert!(matches!(&err, Error::Internal(m) if m.contains("deliberate test panic 42")));
        let ok = rt.block_on(contained(async { Ok::<_, Error>(7) })).unwrap();
        assert_eq!(ok, 7);
    }

    #[test]
    fn a_panicking_call_becomes_an_internal_error() {
        let err = contained_sync(|| -> crate::Result<()> { panic!("deliberate") }).unwrap_err();
        assert!(matches!(&err, Error::Internal(m) if m.contains("deliberate")));
        let kept = contained_sync(|| -> crate::Result<()> { Err(Error::Selection("s".into())) });
        assert!(matches!(kept, Err(Error::Selection(_))));
    }
}
