//! Network transaction ids per card (see migration 0013): written once, by the first approved
//! customer-initiated payment, read by merchant-initiated ones.

use crate::{Result, Store, Tx, on_pool, on_tx};

impl Store {
    /// Keeps `network_transaction_id` for the card unless one is kept already.
    pub async fn keep_network_id(
        tx: &mut Tx,
        payment_method_id: &str,
        network_transaction_id: &str,
        transaction_id: &str,
        now: i64,
    ) -> Result<()> {
        on_tx!(tx, c => sqlx::query(
            "INSERT INTO card_network_ids (payment_method_id, network_transaction_id, transaction_id, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (payment_method_id) DO NOTHING")
            .bind(payment_method_id).bind(network_transaction_id).bind(transaction_id).bind(now)
            .execute(c).await.map(|_| ()))?;
        Ok(())
    }

    /// The card's network transaction id, when a customer-initiated payment brought one.
    pub async fn network_id(&self, payment_method_id: &str) -> Result<Option<String>> {
        Ok(on_pool!(&self.pool, p => sqlx::query_scalar::<_, String>(
            "SELECT network_transaction_id FROM card_network_ids WHERE payment_method_id = $1")
            .bind(payment_method_id).fetch_optional(p).await)?)
    }
}
