//! Listing a tenant's FlexFactor orders (the API's `GET /v1/orders`, the portal's rescue list):
//! the engine's own query type, mapped here to the store's, so no dialect speaks a store type.

use crate::micros;
use openflex_store::OrderQuery;
use time::OffsetDateTime;

/// Which orders, in what order, and which page of them.
#[derive(Debug, Clone, Default)]
pub struct OrderSearch {
    /// Only these statuses (the vendor's order status numbers, 0–7); empty for any.
    pub statuses: Vec<i64>,
    pub created_from: Option<OffsetDateTime>,
    /// Created at or before this instant.
    pub created_until: Option<OffsetDateTime>,
    /// Part of the external order id or of the payer, in any case.
    pub text: Option<String>,
    /// By amount rather than by creation time.
    pub by_amount: bool,
    pub descending: bool,
    pub offset: i64,
    pub limit: i64,
}

impl OrderSearch {
    pub(crate) fn to_store(&self) -> OrderQuery {
        OrderQuery {
            statuses: self.statuses.clone(),
            from: self.created_from.map(micros),
            to: self.created_until.map(micros),
            text: self.text.clone(),
            order_by_amount: self.by_amount,
            descending: self.descending,
            offset: self.offset,
            limit: self.limit,
        }
    }
}
