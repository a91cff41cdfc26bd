//! Identifiers. FlexPay ids are 26 upper-case characters and sort by creation time (ULIDs from
//! a monotonic generator), which is what keyset pagination orders by. FlexFactor ids are GUIDs.

use std::sync::Mutex;

#[derive(Default)]
pub struct IdGen {
    inner: Mutex<ulid::Generator>,
}

impl IdGen {
    /// A time-ordered, 26-character id; strictly increasing within this process.
    pub fn next(&self) -> String {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        g.generate()
            .unwrap_or_else(|_| ulid::Ulid::new())
            .to_string()
    }
}

/// A 26-character id whose 80 low bits are fresh randomness, never a neighbour of another id
/// (the monotonic [`IdGen`] increments them within a millisecond): for ids that are also
/// secrets, such as a gateway token in its webhook URL.
pub fn unguessable() -> String {
    ulid::Ulid::new().to_string()
}

pub fn guid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A seed for weighted routing drawn from the id's random part, so a retried request routes
/// the same way as its first attempt would have.
pub fn seed_of(id: &str) -> u64 {
    id.parse::<ulid::Ulid>()
        .map(|u| u.random() as u64)
        .unwrap_or(0)
}
