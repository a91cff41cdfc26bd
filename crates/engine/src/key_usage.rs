//! When each credential was last used, recorded without slowing the request that used it.
//!
//! The time lives in `credential_usage`, not on the credential: every write to `credentials`
//! raises the configuration generation and would empty every node's cache. A use is written at
//! most once a minute per credential and node (this map remembers the last write), and the
//! write is spawned, never awaited by the request: a payment pays no extra statement for it,
//! and a failed write costs only a stale "last used".

use crate::{Engine, micros};
use std::collections::HashMap;
use std::sync::Mutex;

/// How long a node waits before recording another use of the same credential, in microseconds.
const THROTTLE_US: i64 = 60_000_000;

/// The last use this node wrote, per credential id.
#[derive(Default)]
pub(crate) struct UseWrites(Mutex<HashMap<String, i64>>);

impl UseWrites {
    /// Whether a use at `now` is due to be written; if so it counts as written from now on.
    fn due(&self, id: &str, now: i64) -> bool {
        let mut last = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match last.get(id) {
            Some(&at) if now - at < THROTTLE_US && now >= at => false,
            _ => {
                last.insert(id.to_string(), now);
                true
            }
        }
    }
}

impl Engine {
    /// Notes that credential `id` authenticated a request now (see the module docs).
    pub(crate) fn note_use(&self, id: &str) {
        let now = micros(self.now());
        if !self.use_writes.due(id, now) {
            return;
        }
        let (store, id) = (self.store.clone(), id.to_string());
        tokio::spawn(async move {
            if let Err(e) = store.record_credential_use(&id, now).await {
                tracing::warn!(credential = %id, error = %e, "recording a credential's last use failed");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_write_a_minute_per_credential() {
        let w = UseWrites::default();
        assert!(w.due("a", 0));
        assert!(!w.due("a", THROTTLE_US - 1));
        assert!(w.due("b", 1), "another credential has its own minute");
        assert!(w.due("a", THROTTLE_US));
        assert!(!w.due("a", THROTTLE_US + 5));
    }

    #[test]
    fn a_clock_moved_back_writes_again() {
        let w = UseWrites::default();
        assert!(w.due("a", 10 * THROTTLE_US));
        assert!(w.due("a", THROTTLE_US));
    }
}
