//! The credit ledger: authorizations hold credit, captures turn holds into balance, releases
//! and expiry give holds back, returns and refunds credit the account, in-store payments pay
//! it down. Each use case is one database transaction that locks the rows it changes (capture
//! → authorization → account), re-checks every rule on the locked values, and writes.
//!
//! Financing cost: a promotional purchase holds its amount plus the plan's total cost of
//! borrowing (interest and admin fee) so the customer can never be approved for more than they
//! can repay within the limit. Partial captures and releases take a proportional share of that
//! cost (`cost_share`), and the one that completes the authorization takes what is left, so
//! the shares always add up to the cent.

mod credits;
mod purchases;
mod types;
mod views;

pub use types::{
    Authorization, AuthorizeRequest, Authorized, Capture, Captured, InStore, OpaqueJson, Posted,
    PurchaseType, RefundRequest, Released, ReturnRequest, Returned, SideKind, SideRequest,
};
pub use views::LedgerQuery;

use super::{FlexitiCaller, FlexitiFail, FlexitiResult, Refusal, refuse};
use crate::idempotency::{self, Committed, Seal};
use crate::{Engine, Result, Tenant, micros};
use openflex_domain::Secret;
use openflex_domain::financing::{self as fin};
use openflex_store::{FlexitiAccountRow, Store, Tx};

/// Commits `tx` with the answer for `out` when the request came with an idempotency key; a
/// claim taken over by a retry meanwhile rolls the movement back.
async fn commit_answering<T>(
    tx: Tx,
    t: &Tenant,
    seal: Option<&Seal<T>>,
    out: &T,
) -> FlexitiResult<()> {
    match idempotency::commit_answering(tx, t, seal, out).await? {
        Committed::Yes => Ok(()),
        Committed::TakenOver => refuse("idempotency_in_progress"),
    }
}

async fn capture_views_in(tx: &mut Tx, authorization_id: i64) -> Result<Vec<Capture>> {
    Ok(Store::flexiti_captures_in(tx, authorization_id)
        .await?
        .iter()
        .map(Capture::from)
        .collect())
}

fn store_json(v: &Option<OpaqueJson>) -> Option<String> {
    v.as_ref().map(OpaqueJson::text)
}

async fn lock_account(tx: &mut Tx, t: &Tenant, account: &str) -> FlexitiResult<FlexitiAccountRow> {
    Store::flexiti_lock_account(tx, &t.merchant_id, t.mode.as_str(), account)
        .await?
        .ok_or_else(|| FlexitiFail::Refused(Refusal::new("not_found")))
}

/// Moves `by` of credit: positive holds/debits reduce availability, negative ones restore it.
fn apply(a: &mut FlexitiAccountRow, d_held: i64, d_balance: i64, now: i64) -> FlexitiResult<()> {
    let held = a.held + d_held;
    let balance = a.balance + d_balance;
    let available = a.credit_limit - held - balance;
    if held < 0 || available < 0 {
        return refuse("credit_exceeded");
    }
    a.held = held;
    a.balance = balance;
    a.available_credit = available;
    a.updated_at = now;
    Ok(())
}

impl Engine {
    fn flexiti_in_store_checks(&self, c: &FlexitiCaller, s: &InStore) -> FlexitiResult<()> {
        if !c
            .tenant
            .flexiti
            .location_known(s.external_location_id.as_deref())
        {
            return Err(
                Refusal::on("external_location_id_not_found", "external_location_id").into(),
            );
        }
        Ok(())
    }

    fn flexiti_account_type_ok(&self, c: &FlexitiCaller, account_type: &str) -> FlexitiResult<()> {
        if c.tenant
            .flexiti
            .account_types
            .iter()
            .any(|t| t == account_type)
        {
            Ok(())
        } else {
            refuse("account_type_not_permitted")
        }
    }

    /// Finds the verification a PIN belongs to (before the write transaction consumes it).
    pub(crate) async fn flexiti_match_pin(
        &self,
        c: &FlexitiCaller,
        account_number: &str,
        code: Option<&Secret<String>>,
        request_id: Option<&str>,
        purchase: Option<(PurchaseType, i64)>,
    ) -> FlexitiResult<String> {
        let Some(code) = code.filter(|c| !c.expose().trim().is_empty()) else {
            return Err(Refusal::on("verification_code_required", "verification_code").into());
        };
        let now = micros(self.now_for(&c.tenant));
        let hash = self.pin_hash(account_number, code.expose());
        let live = self
            .store
            .flexiti_live_verifications(
                &c.tenant.merchant_id,
                c.tenant.mode.as_str(),
                account_number,
                now,
            )
            .await?;
        let matching: Vec<_> = live
            .into_iter()
            .filter(|v| openflex_vault::constant_time_eq(v.code_hash.as_bytes(), hash.as_bytes()))
            .collect();
        if matching.is_empty() {
            self.store
                .flexiti_pin_failed(
                    &c.tenant.merchant_id,
                    c.tenant.mode.as_str(),
                    account_number,
                    now,
                    super::PIN_MAX_FAILURES,
                )
                .await?;
            return Err(Refusal::on("wrong_verification_code", "verification_code").into());
        }
        let Some(v) = matching
            .into_iter()
            .find(|v| v.request_id.as_deref() == request_id)
        else {
            return Err(Refusal::on("not_verified", "request_id").into());
        };
        if v.format == "regular_purchase_bypass" {
            let ok = matches!(purchase, Some((PurchaseType::Regular, amount)) if fin::regular_bypass_allowed(0, amount));
            if !ok {
                return Err(Refusal::on("not_verified", "verification_code").into());
            }
        }
        Ok(v.id)
    }
}
