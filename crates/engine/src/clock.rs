//! Time is a port: nothing in the engine calls `now()` directly, so the sandbox test clock and
//! tests can move it.

use std::sync::atomic::{AtomicI64, Ordering};
use time::OffsetDateTime;

pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// Real time shifted forward by however far a test has moved it. Tests use it to check what
/// happens when real time (not a merchant's sandbox clock) reaches a due date; it keeps
/// ticking meanwhile, so leases and token lifetimes behave as they do in production.
#[derive(Default)]
pub struct ShiftedClock {
    shift_us: AtomicI64,
}

impl ShiftedClock {
    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: std::time::Duration) {
        let us = i64::try_from(by.as_micros()).unwrap_or(i64::MAX);
        self.shift_us.fetch_add(us, Ordering::SeqCst);
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
            + time::Duration::microseconds(self.shift_us.load(Ordering::SeqCst))
    }
}
