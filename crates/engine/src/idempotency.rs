//! Idempotency keys shared by the dialects: the first request with a key records its payload
//! hash and, once answered, its response; a repeat within the window gets that response. The
//! dialects differ only in what a repeat with another payload means (FlexFactor: a conflict;
//! Flexiti: the first answer with a warning), so the claim reports it and lets them decide.

use crate::{Engine, Result, Tenant, micros};
use std::time::Duration;

/// Keys are remembered for 24 hours.
pub const WINDOW: Duration = Duration::from_secs(24 * 3600);

/// A claim not answered within this time is abandoned and the next request with its key is
/// processed: requests time out after 30 s, so an older claim belongs to a request that died
/// (its process was killed, or the timeout dropped it) and would otherwise answer
/// "in progress" for a day. Only for use cases idempotent by their own key (FlexFactor orders
/// by orderId): re-processing anything else could move money a second time.
pub const CLAIM_LEASE: Duration = Duration::from_secs(35);

/// What an idempotency key says about a request.
#[derive(Debug, Clone)]
pub enum KeyClaim {
    /// First use: process, then record the answer.
    Fresh,
    /// Answered before: this status and body (`same_hash` false: another payload).
    Replay {
        status: u16,
        body: String,
        same_hash: bool,
    },
    /// Seen and still being processed.
    InFlight,
}

impl Engine {
    /// `abandon_after`: see [`CLAIM_LEASE`]; `None` keeps an unanswered claim for the window.
    pub async fn claim_key(
        &self,
        t: &Tenant,
        scope: &str,
        key: &str,
        request_hash: &str,
        abandon_after: Option<Duration>,
    ) -> Result<KeyClaim> {
        let row = self
            .store
            .claim_idempotency_key(
                &t.merchant_id,
                t.mode.as_str(),
                scope,
                key,
                request_hash,
                micros(self.now()),
                WINDOW.as_micros() as i64,
                abandon_after.unwrap_or(WINDOW).as_micros() as i64,
            )
            .await?;
        Ok(match row {
            None => KeyClaim::Fresh,
            Some(r) => match (r.response_status, r.response_body) {
                (Some(status), Some(body)) => KeyClaim::Replay {
                    status: u16::try_from(status).unwrap_or(200),
                    body,
                    same_hash: r.request_hash == request_hash,
                },
                _ => KeyClaim::InFlight,
            },
        })
    }

    /// Records the answer of a request that claimed `key`.
    pub async fn finish_key(
        &self,
        t: &Tenant,
        scope: &str,
        key: &str,
        status: u16,
        body: &str,
    ) -> Result<()> {
        Ok(self
            .store
            .complete_idempotency_key(
                &t.merchant_id,
                t.mode.as_str(),
                scope,
                key,
                i64::from(status),
                body,
            )
            .await?)
    }

    /// Forgets a key whose request was not answered (so a corrected retry is processed).
    pub async fn release_key(&self, t: &Tenant, scope: &str, key: &str) -> Result<()> {
        Ok(self
            .store
            .release_idempotency_key(&t.merchant_id, t.mode.as_str(), scope, key)
            .await?)
    }
}
