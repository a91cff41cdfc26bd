//! Searching a tenant's rescue orders for the portal: the engine's own query type, mapped here
//! to the store's filter as the transaction search is (`payments::search`), so the portal
//! speaks no store type and the meaning of a condition (an email is compared as the payer's
//! JSON spells it) is kept in one place.

use super::Order;
use crate::payments::search::AmountRange;
use crate::{Engine, Result, Tenant, micros};
use openflex_store::OrderQuery;
use time::OffsetDateTime;

/// What an order search keeps: every condition given holds.
#[derive(Debug, Clone, Default)]
pub struct OrderSearch {
    /// Part of the merchant's order id or of the payer's details, in any case.
    pub text: Option<String>,
    pub created_from: Option<OffsetDateTime>,
    pub created_before: Option<OffsetDateTime>,
    /// The card's last four digits.
    pub last_four: Option<String>,
    /// The payer's email, exactly but in any case.
    pub email: Option<String>,
    /// Order amounts in this currency's minor units, within the bounds given.
    pub amount: Option<AmountRange>,
}

impl OrderSearch {
    fn to_store(&self) -> OrderQuery {
        let email = self.email.as_ref().map(|e| {
            let quoted = serde_json::to_string(&e.to_lowercase()).unwrap_or_default();
            format!("\"email\":{quoted}")
        });
        OrderQuery {
            text: self.text.clone(),
            from: self.created_from.map(micros),
            to: self.created_before.map(|t| micros(t) - 1),
            last_four: self.last_four.clone(),
            payer_contains: email,
            currency: self.amount.map(|a| a.currency.code().to_string()),
            min_amount: self.amount.and_then(|a| a.min),
            max_amount: self.amount.and_then(|a| a.max),
            descending: true,
            ..OrderQuery::default()
        }
    }
}

impl Engine {
    /// Orders matching `s`, newest first, `limit` from `offset`, with the count of all matches.
    pub async fn ff_orders_search(
        &self,
        t: &Tenant,
        s: &OrderSearch,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<Order>, i64)> {
        let q = OrderQuery {
            offset,
            limit,
            ..s.to_store()
        };
        self.ff_orders(t, &q).await
    }

    /// Up to `limit` orders matching `s` older than `after` (the last order of the previous
    /// step), newest first, without their event history: the steps of an export.
    pub async fn ff_orders_export(
        &self,
        t: &Tenant,
        s: &OrderSearch,
        after: Option<&Order>,
        limit: i64,
    ) -> Result<Vec<Order>> {
        let q = OrderQuery {
            limit,
            older_than: after.map(|o| (micros(o.created_at), o.id.clone())),
            ..s.to_store()
        };
        Ok(self
            .store
            .orders_only(&t.merchant_id, t.mode.as_str(), &q)
            .await?
            .into_iter()
            .map(|row| self.order_view(row, Vec::new()))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openflex_domain::money::Currency;

    #[test]
    fn an_email_is_matched_as_the_payer_json_spells_it_and_bounds_map_to_minor_units() {
        let s = OrderSearch {
            email: Some("Ann@Shop.Example".into()),
            amount: Some(AmountRange {
                currency: Currency::parse("EUR").unwrap(),
                min: Some(1_000),
                max: None,
            }),
            ..OrderSearch::default()
        };
        let q = s.to_store();
        assert_eq!(
            q.payer_contains.as_deref(),
            Some(r#""email":"ann@shop.example""#)
        );
        assert_eq!(q.currency.as_deref(), Some("EUR"));
        assert_eq!((q.min_amount, q.max_amount), (Some(1_000), None));
        assert!(q.descending);
    }
}
