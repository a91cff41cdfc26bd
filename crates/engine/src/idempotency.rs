//! Idempotency keys, one use case for every dialect ([`Engine::run_keyed`]): the first request
//! with a key records its payload hash and, once answered, its response; a repeat within the
//! window gets that response. The dialects differ only in what a repeat with another payload
//! means (FlexFactor: a conflict; Flexiti: the first answer with a warning), so the use case
//! reports it and lets them decide.
//!
//! A claim is fenced by a random token (see the store). A use case that moves something
//! (Flexiti's ledger, FlexFactor's orders) takes a [`Seal`] and writes its answer in the
//! transaction of the movement, so "moved" and "answered" commit together: after a crash a key
//! is either answered (a retry replays it) or its movement never happened (a retry, once the
//! lease has passed, performs it), never moved-but-unanswered.

use crate::{Engine, Result, Tenant, micros};
use openflex_store::{KeyRef, Store, Tx};
use sha2::{Digest, Sha256};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
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

/// What running a use case under an idempotency key gave.
#[derive(Debug)]
pub enum Keyed<T> {
    /// First use of the key: the use case ran and this is its result. Its answer is stored
    /// when it succeeded (with its change, when it wrote it under the [`Seal`]); a failure
    /// frees the key, so a corrected retry is processed.
    Ran(T),
    /// Answered before: this status and body (`same_hash` false: another payload). What a
    /// repeat with another payload means is the dialect's to say (FlexFactor: a conflict;
    /// Flexiti: the first answer with a warning).
    Replay {
        status: u16,
        body: String,
        same_hash: bool,
    },
    /// Seen and still being processed, or taken over by a retry while this request ran.
    InFlight,
}

/// A request's hold on a key.
#[derive(Debug, Clone)]
struct Claim {
    scope: String,
    key: String,
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

/// What became of a seal while its use case ran.
const UNUSED: u8 = 0;
const WRITTEN: u8 = 1;
const LOST: u8 = 2;

/// A claim and how to render the answer of the use case it is handed to: the use case writes
/// the answer in the transaction of its change with [`commit_answering`] (status 200).
pub struct Seal<T> {
    claim: Claim,
    render: Arc<dyn Fn(&T) -> String + Send + Sync>,
    state: Arc<AtomicU8>,
}

/// Whether [`commit_answering`] committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Committed {
    Yes,
    /// The claim was taken over by a retry meanwhile: the change was rolled back, and
    /// [`Engine::run_keyed`] answers "in progress".
    TakenOver,
}

/// Commits `tx` and, when the request came with an idempotency key, its answer for `out` in
/// the same transaction; a claim taken over by a retry meanwhile rolls the change back.
pub(crate) async fn commit_answering<T>(
    mut tx: Tx,
    t: &Tenant,
    seal: Option<&Seal<T>>,
    out: &T,
) -> Result<Committed> {
    if let Some(s) = seal {
        let body = (s.render)(out);
        if !Store::seal_idempotency_key(&mut tx, s.claim.at(t), &s.claim.token, 200, &body).await? {
            s.state.store(LOST, Ordering::SeqCst);
            return Ok(Committed::TakenOver);
        }
        tx.commit().await?;
        s.state.store(WRITTEN, Ordering::SeqCst);
        return Ok(Committed::Yes);
    }
    tx.commit().await?;
    Ok(Committed::Yes)
}

/// The hash a repeated request's payload is compared with: SHA-256 of its canonical text.
pub fn payload_hash(text: &str) -> String {
    data_encoding::HEXLOWER.encode(&Sha256::digest(text.as_bytes()))
}

/// A key to run a use case under: its scope (the operation), the key the caller sent, and
/// the hash of the payload it came with.
pub struct KeyRequest<'a> {
    pub scope: &'a str,
    pub key: &'a str,
    pub payload_hash: &'a str,
}

impl Engine {
    /// Runs `work` under an idempotency key, the one idempotency use case of every dialect:
    /// claims the key (or reports a replay or a request in flight), hands `work` a [`Seal`]
    /// so it can commit its answer with its change, stores the answer itself when `work`
    /// succeeded without writing it (an answer decided outside any transaction, such as a
    /// refusal or a state already reached), and frees the key when `work` failed.
    ///
    /// An unanswered claim lapses after [`CLAIM_LEASE`]: every keyed use case either answers
    /// under its seal or is idempotent by its own key (an order moves once), so the request
    /// that held it died before its change committed or the change cannot happen twice.
    pub async fn run_keyed<T, E, F, Fut>(
        &self,
        t: &Tenant,
        k: KeyRequest<'_>,
        render: Arc<dyn Fn(&T) -> String + Send + Sync>,
        work: F,
    ) -> Result<Keyed<std::result::Result<T, E>>>
    where
        F: FnOnce(Seal<T>) -> Fut,
        Fut: Future<Output = std::result::Result<T, E>>,
    {
        let claim = Claim {
            scope: k.scope.to_string(),
            key: k.key.to_string(),
            token: crate::ids::guid(),
        };
        let row = self
            .store
            .claim_idempotency_key(
                claim.at(t),
                &claim.token,
                k.payload_hash,
                micros(self.now()),
                WINDOW.as_micros() as i64,
                CLAIM_LEASE.as_micros() as i64,
            )
            .await?;
        if let Some(r) = row {
            return Ok(match (r.response_status, r.response_body) {
                (Some(status), Some(body)) => Keyed::Replay {
                    status: u16::try_from(status).unwrap_or(200),
                    body,
                    same_hash: r.request_hash == k.payload_hash,
                },
                _ => Keyed::InFlight,
            });
        }
        let state = Arc::new(AtomicU8::new(UNUSED));
        let seal = Seal {
            claim: claim.clone(),
            render: render.clone(),
            state: state.clone(),
        };
        let result = work(seal).await;
        match (state.load(Ordering::SeqCst), &result) {
            (LOST, _) => return Ok(Keyed::InFlight),
            (WRITTEN, _) => {}
            (_, Ok(out)) => {
                // `false` (a retry took the lapsed claim over) needs nothing more: the use
                // case's change is idempotent by its own key, and this answer describes it.
                self.store
                    .complete_idempotency_key(claim.at(t), &claim.token, 200, &render(out))
                    .await?;
            }
            (_, Err(_)) => {
                // Not answered (a refusal or a failure): the key may be used again. Should
                // freeing it fail, the claim lapses after the lease; the caller still gets
                // the answer that says why its request failed.
                if let Err(e) = self
                    .store
                    .release_idempotency_key(claim.at(t), &claim.token)
                    .await
                {
                    tracing::warn!(error = %e, "idempotency key not released");
                }
            }
        }
        Ok(Keyed::Ran(result))
    }
}
