//! Network transaction ids per card (see migration 0013): written once, by the first approved
//! customer-initiated payment, read by merchant-initiated ones.

use crate::{Result, Store, Tx, on_tx};

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
}
