//! Listing and searching a tenant's FlexFactor orders (the API's `GET /v1/orders`, the
//! portal's rescue list, search and export): the engine's own query type, mapped here to the
//! store's filter as the transaction search is (`payments::search`), so no dialect speaks a
//! store type and the meaning of a condition (an email is compared as the payer's JSON spells
//! it) is kept in one place.

use super::Order;
use crate::payments::search::{AmountRange, email_needle};
use crate::{Engine, Result, Tenant, micros};
use openflex_store::OrderQuery;
use time::OffsetDateTime;

/// Which orders (every condition given holds), in what order, and which page of them.
#[derive(Debug, Clone, Default)]
pub struct OrderSearch {
    /// Only these statuses (the vendor's order status numbers, 0–7); empty for any.
    pub statuses: Vec<i64>,
    /// Part of the merchant's order id or of the payer's details, in any case.
    pub text: Option<String>,
    pub created_from: Option<OffsetDateTime>,
    /// Created at or before this instant.
    pub created_until: Option<OffsetDateTime>,
    /// The card's last four digits.
    pub last_four: Option<String>,
    /// The payer's email, exactly but in any case.
    pub email: Option<String>,
    /// Order amounts in this currency's minor units, within the bounds given.
    pub amount: Option<AmountRange>,
    /// By amount rather than by creation time.
    pub by_amount: bool,
    pub descending: bool,
    pub offset: i64,
    pub limit: i64,
}

impl OrderSearch {
    pub(crate) fn to_store(&self) -> OrderQuery {
        let email = self.email.as_deref().map(email_needle);
        OrderQuery {
            statuses: self.statuses.clone(),
            text: self.text.clone(),
            from: self.created_from.map(micros),
            to: self.created_until.map(micros),
            last_four: self.last_four.clone(),
            payer_contains: email,
            currency: self.amount.map(|a| a.currency.code().to_string()),
            min_amount: self.amount.and_then(|a| a.min),
            max_amount: self.amount.and_then(|a| a.max),
            order_by_amount: self.by_amount,
            descending: self.descending,
            offset: self.offset,
            limit: self.limit,
            ..OrderQuery::default()
        }
    }
}

impl Engine {
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
            offset: 0,
            descending: true,
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
            descending: true,
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
