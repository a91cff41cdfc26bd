//! Querying a tenant's FlexPay transactions: the portal's search and the API's list pages. The
//! engine's own query types, mapped here to the store's, so no dialect speaks a store type.
//!
//! Why the mapping lives here: what a condition means (bookkeeping rows are the payment-method
//! operations, an email is compared as the holder's JSON spells it) is a rule of the model,
//! not of a page.

use crate::{Engine, Result, Tenant, Transaction, micros};
use openflex_domain::codes::TxnStatus;
use openflex_domain::lifecycle::TxnType;
use openflex_domain::money::Currency;
use openflex_domain::status::Pill;
use openflex_store::{ListQuery, SearchFrom, TxnFilter};
use time::OffsetDateTime;

/// The money-moving types shown unless bookkeeping rows are asked for.
const PAYMENT_TYPES: [TxnType; 5] = [
    TxnType::Charge,
    TxnType::Authorize,
    TxnType::Capture,
    TxnType::Void,
    TxnType::Refund,
];

/// What a search keeps: every condition given holds.
#[derive(Debug, Clone, Default)]
pub struct TxnSearch {
    pub kind: Option<TxnType>,
    pub outcome: Option<TxnStatus>,
    /// Also the payment-method operations (create, update, redact, recache), which move no
    /// money.
    pub bookkeeping: bool,
    /// An order id exactly, or part of a merchantTransactionId in any case.
    pub text: Option<String>,
    pub last_four: Option<String>,
    /// The payer's email (any case).
    pub email: Option<String>,
    pub created_from: Option<OffsetDateTime>,
    pub created_before: Option<OffsetDateTime>,
    /// Amounts in this currency's minor units, within the bounds given.
    pub amount: Option<AmountRange>,
}

#[derive(Debug, Clone, Copy)]
pub struct AmountRange {
    pub currency: Currency,
    pub min: Option<i64>,
    pub max: Option<i64>,
}

/// Where a page of results starts.
#[derive(Debug, Clone, Copy)]
pub enum Position<'a> {
    Newest,
    OlderThan(&'a str),
    NewerThan(&'a str),
}

/// A page of results, newest first, with each transaction's status pill.
#[derive(Debug, Clone)]
pub struct Found {
    pub txns: Vec<Transaction>,
    pub pills: Vec<Pill>,
    /// The window was searched to its end without filling the page: the next window (in the
    /// page's direction) starts after this id.
    pub resume: Option<String>,
}

/// A keyset page of the transaction list (`GET /v1/transactions`), in id order (ids are
/// time-ordered).
#[derive(Debug, Clone, Default)]
pub struct TxnPage {
    /// Starts after this id, in the page's direction.
    pub after: Option<String>,
    pub newest_first: bool,
    pub limit: i64,
    pub created_from: Option<OffsetDateTime>,
    pub created_before: Option<OffsetDateTime>,
}

impl TxnPage {
    pub(crate) fn to_store(&self) -> ListQuery {
        ListQuery {
            after: self.after.clone(),
            descending: self.newest_first,
            limit: self.limit,
            start: self.created_from.map(micros),
            end: self.created_before.map(micros),
        }
    }
}

/// How many transactions match among the newest `seen`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatchCount {
    pub matched: i64,
    pub seen: i64,
}

impl TxnSearch {
    fn to_store(&self) -> TxnFilter {
        let txn_types = match self.kind {
            Some(k) => vec![k.as_str().to_string()],
            None if self.bookkeeping => Vec::new(),
            None => PAYMENT_TYPES
                .iter()
                .map(|k| k.as_str().to_string())
                .collect(),
        };
        let email = self.email.as_deref().map(email_needle);
        TxnFilter {
            txn_types,
            status: self.outcome.map(|s| s as i64),
            order_or_mtid: self.text.clone(),
            last_four: self.last_four.clone(),
            holder_contains: email,
            created_from: self.created_from.map(micros),
            created_before: self.created_before.map(micros),
            currency: self.amount.map(|a| a.currency.code().to_string()),
            min_amount: self.amount.and_then(|a| a.min),
            max_amount: self.amount.and_then(|a| a.max),
        }
    }
}

impl Engine {
    /// Up to `limit` transactions matching `f` among the `window` next to `from`, newest first,
    /// with their status pills (see [`openflex_store::Store::txns_filtered`]).
    pub async fn transactions_filtered(
        &self,
        t: &Tenant,
        from: Position<'_>,
        f: &TxnSearch,
        limit: i64,
        window: i64,
    ) -> Result<Found> {
        let from = match from {
            Position::Newest => SearchFrom::Newest,
            Position::OlderThan(id) => SearchFrom::Before(id),
            Position::NewerThan(id) => SearchFrom::After(id),
        };
        let page = self
            .store
            .txns_filtered(
                &t.merchant_id,
                t.mode.as_str(),
                from,
                &f.to_store(),
                limit,
                window,
            )
            .await?;
        let txns = self.with_pms(t, &page.rows).await?;
        let pills = self.pills(t, &txns).await?;
        Ok(Found {
            txns,
            pills,
            resume: page.resume,
        })
    }

    /// How many of the newest `bound` transactions match `f`.
    pub async fn count_filtered(
        &self,
        t: &Tenant,
        f: &TxnSearch,
        bound: i64,
    ) -> Result<MatchCount> {
        let c = self
            .store
            .txns_filtered_count(&t.merchant_id, t.mode.as_str(), &f.to_store(), bound)
            .await?;
        Ok(MatchCount {
            matched: c.matched,
            seen: c.seen,
        })
    }
}

/// How an email is found in the payer's stored JSON: as its `"email":"…"` member, in lower
/// case (the transaction and order searches both match it this way).
pub(crate) fn email_needle(email: &str) -> String {
    let quoted = serde_json::to_string(&email.to_lowercase()).unwrap_or_default();
    format!("\"email\":{quoted}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bookkeeping_rows_are_left_out_unless_asked_for() {
        let f = TxnSearch::default().to_store();
        assert_eq!(f.txn_types.len(), 5);
        assert!(!f.txn_types.contains(&"CreatePaymentMethod".to_string()));
        let all = TxnSearch {
            bookkeeping: true,
            ..TxnSearch::default()
        };
        assert!(all.to_store().txn_types.is_empty());
        let one = TxnSearch {
            kind: Some(TxnType::Refund),
            ..TxnSearch::default()
        };
        assert_eq!(one.to_store().txn_types, ["Refund"]);
    }

    #[test]
    fn an_email_is_matched_as_the_holder_json_spells_it() {
        let f = TxnSearch {
            email: Some("Ada@Example.com".into()),
            ..TxnSearch::default()
        };
        assert_eq!(
            f.to_store().holder_contains.as_deref(),
            Some("\"email\":\"ada@example.com\"")
        );
    }
}
