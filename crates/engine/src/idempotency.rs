//! Idempotency keys shared by the dialects: the first request with a key records its payload
//! hash and, once answered, its response; a repeat within the window gets that response. The
//! dialects differ only in what a repeat with another payload means (FlexFactor: a conflict;
//! Flexiti: the first answer with a warning), so the claim reports it and lets them decide.
//!
//! A claim is fenced by a random token (see the store). A use case that moves money takes a
//! [`Seal`] and writes its answer in the transaction of the movement, so "moved" and "answered"
//! commit together: after a crash a key is either answered (a retry replays it) or its movement
//! never happened (a retry, once the lease has passed, performs it), never moved-but-unanswered.

use crate::{Engine, Result, Tenant, micros};
use openflex_store::{KeyRef, Store, Tx};
use std::sync::Arc;
use std::time::Duration;

/// Keys are remembered for 24 hours.
pub const WINDOW: Duration = Duration::from_secs(24 * 3600);

/// A claim not answered within this time is abandoned and the next request with its key is
/// processed: requests time out after 30 s, so an older claim belongs to a request that died
/// (its process was killed, or the timeout dropped it) and would otherwise answer
/// "in progress" for a day. Safe for use cases idempotent by their own key (FlexFactor orders
/// by orderId) and for those that answer under a [`Seal`]; re-processing anything else could
/// move money a second time.
pub const CLAIM_LEASE: Duration = Duration::from_secs(35);

/// What an idempotency key says about a request.
#[derive(Debug, Clone)]
pub enum KeyClaim {
    /// First use: process, then record the answer under this claim.
    Fresh(Claim),
    /// Answered before: this status and body (`same_hash` false: another payload).
    Replay {
        status: u16,
        body: String,
        same_hash: bool,
    },
    /// Seen and still being processed.
    InFlight,
}

/// A request's hold on a key.
#[derive(Debug, Clone)]
pub struct Claim {
    pub scope: String,
    pub key: String,
    token: String,
}

impl Claim {
    fn at<'a>(&'a self, t: &'a Tenant) -> KeyRef<'a> {
        KeyRef {
            merchant_id: &t.merchant_id,
            mode: t.mode.as_str(),
            scope: &self.scope,
            key: &self.key,
        }
    }
}

/// A claim and how to render the answer of the use case it is handed to; the use case writes
/// the answer in its own transaction (status 200).
pub struct Seal<T> {
    pub claim: Claim,
    pub render: Arc<dyn Fn(&T) -> String + Send + Sync>,
}

impl<T> Seal<T> {
    /// Writes the answer for `out` inside `tx`; `false` when the claim was taken over (the
    /// caller must then not commit).
    pub(crate) async fn write(&self, tx: &mut Tx, t: &Tenant, out: &T) -> Result<bool> {
        let body = (self.render)(out);
        Ok(
            Store::seal_idempotency_key(tx, self.claim.at(t), &self.claim.token, 200, &body)
                .await?,
        )
    }
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
        let claim = Claim {
            scope: scope.to_string(),
            key: key.to_string(),
            token: crate::ids::guid(),
        };
        let row = self
            .store
            .claim_idempotency_key(
                claim.at(t),
                &claim.token,
                request_hash,
                micros(self.now()),
                WINDOW.as_micros() as i64,
                abandon_after.unwrap_or(WINDOW).as_micros() as i64,
            )
            .await?;
        Ok(match row {
            None => KeyClaim::Fresh(claim),
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

    /// Records the answer of a request that holds `claim`; `false` when the claim was taken
    /// over meanwhile.
    pub async fn finish_key(
        &self,
        t: &Tenant,
        claim: &Claim,
        status: u16,
        body: &str,
    ) -> Result<bool> {
        Ok(self
            .store
            .complete_idempotency_key(claim.at(t), &claim.token, i64::from(status), body)
            .await?)
    }

    /// Forgets a claim whose request was not answered (so a corrected retry is processed).
    pub async fn release_key(&self, t: &Tenant, claim: &Claim) -> Result<()> {
        Ok(self
            .store
            .release_idempotency_key(claim.at(t), &claim.token)
            .await?)
    }
}
