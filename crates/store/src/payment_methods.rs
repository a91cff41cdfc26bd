//! Vaulted payment methods. Card data is stored only as ciphertext under a per-record data key,
//! and every way it leaves (CVV purge after use, redaction, cache expiry, key rewrap) is a
//! single statement here, so no caller can half-wipe a card.

use crate::{Result, Store, Tx, on_pool, on_tx, on_write};

/// A vaulted payment method. `pan_ct`/`cvv_ct` are AES-GCM ciphertexts under the record's
/// data key (`wrapped_dek`, wrapped by master key `kek_version`); nothing here is clear card data.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PaymentMethodRow {
    pub id: String,
    pub merchant_id: String,
    pub mode: String,
    pub method_type: String,
    pub storage_state: String,
    pub kek_version: Option<i64>,
    pub wrapped_dek: Option<Vec<u8>>,
    pub pan_ct: Option<Vec<u8>>,
    pub cvv_ct: Option<Vec<u8>>,
    pub cvv_expires_at: Option<i64>,
    pub cache_expires_at: Option<i64>,
    pub fingerprint: Option<String>,
    pub first_six: Option<String>,
    pub last_four: Option<String>,
    pub pan_length: Option<i64>,
    pub card_type: Option<String>,
    pub expiry_month: Option<String>,
    pub expiry_year: Option<String>,
    /// JSON of the non-sensitive holder fields (names, addresses, email, phone, customer id).
    pub holder: String,
    pub gateway_payment_method_id: Option<String>,
    pub merchant_account_reference_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A vaulted card as a token payment reads it (see `Store::payment_method_for_payment`).
#[derive(Debug, sqlx::FromRow)]
pub struct PaymentMethodForPayment {
    #[sqlx(flatten)]
    pub pm: PaymentMethodRow,
    pub declines: i64,
    pub network_transaction_id: Option<String>,
}

impl PaymentMethodRow {
    /// Whether the card data is gone (`redact_payment_method` and `expire_cached_card` write this
    /// state): such a row still answers reads but can no longer pay, evaluate or be used again.
    pub fn is_redacted(&self) -> bool {
        self.storage_state == "Redacted"
    }
}

const COLS: &str = "id, merchant_id, mode, method_type, storage_state, kek_version, wrapped_dek, pan_ct, cvv_ct, \
    cvv_expires_at, cache_expires_at, fingerprint, first_six, last_four, pan_length, card_type, expiry_month, expiry_year, holder, \
    gateway_payment_method_id, merchant_account_reference_id, created_at, updated_at";

impl Store {
    pub async fn insert_payment_method(tx: &mut Tx, r: &PaymentMethodRow) -> Result<()> {
        on_tx!(tx, c => sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO payment_methods ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)")))
            .bind(&r.id).bind(&r.merchant_id).bind(&r.mode).bind(&r.method_type).bind(&r.storage_state)
            .bind(r.kek_version).bind(&r.wrapped_dek).bind(&r.pan_ct).bind(&r.cvv_ct)
            .bind(r.cvv_expires_at).bind(r.cache_expires_at).bind(&r.fingerprint).bind(&r.first_six)
            .bind(&r.last_four).bind(r.pan_length).bind(&r.card_type).bind(&r.expiry_month).bind(&r.expiry_year)
            .bind(&r.holder).bind(&r.gateway_payment_method_id).bind(&r.merchant_account_reference_id)
            .bind(r.created_at).bind(r.updated_at)
            .execute(c).await.map(|_| ()))?;
        Ok(())
    }

    /// A payment method as a token payment needs it, in one round trip: the row, its card's
    /// declined payment attempts for `order_id` since `since` (the card-network retry limit),
    /// and the network transaction id a merchant-initiated payment must send.
    pub async fn payment_method_for_payment(
        &self,
        merchant_id: &str,
        mode: &str,
        id: &str,
        order_id: &str,
        since: i64,
    ) -> Result<Option<PaymentMethodForPayment>> {
        let cols = COLS
            .split(", ")
            .map(|c| format!("pm.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, PaymentMethodForPayment>(sqlx::AssertSqlSafe(format!(
            "SELECT {cols}, (SELECT COUNT(*) FROM transactions t JOIN payment_methods p ON p.id = t.payment_method_id \
             WHERE t.merchant_id = $2 AND t.mode = $3 AND t.order_id = $4 AND p.fingerprint = pm.fingerprint \
             AND t.txn_type IN ('Charge', 'Authorize') AND t.status = 2 AND t.created_at >= $5) AS declines, \
             (SELECT n.network_transaction_id FROM card_network_ids n WHERE n.payment_method_id = pm.id) \
             AS network_transaction_id \
             FROM payment_methods pm WHERE pm.id = $1 AND pm.merchant_id = $2 AND pm.mode = $3")))
            .bind(id).bind(merchant_id).bind(mode).bind(order_id).bind(since).fetch_optional(p).await)?,
        )
    }

    pub async fn payment_method(
        &self,
        merchant_id: &str,
        mode: &str,
        id: &str,
    ) -> Result<Option<PaymentMethodRow>> {
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, PaymentMethodRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM payment_methods WHERE id = $1 AND merchant_id = $2 AND mode = $3")))
            .bind(id).bind(merchant_id).bind(mode).fetch_optional(p).await)?,
        )
    }

    pub async fn payment_methods_by_ids(
        &self,
        merchant_id: &str,
        mode: &str,
        ids: &[String],
    ) -> Result<Vec<PaymentMethodRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(on_pool!(&self.pool, p => {
            let mut qb = sqlx::QueryBuilder::new(format!(
                "SELECT {COLS} FROM payment_methods WHERE merchant_id = "
            ));
            qb.push_bind(merchant_id.to_string()).push(" AND mode = ").push_bind(mode.to_string())
                .push(" AND id IN (");
            let mut list = qb.separated(", ");
            for id in ids {
                list.push_bind(id.clone());
            }
            qb.push(")");
            qb.build_query_as::<PaymentMethodRow>().fetch_all(p).await
        })?)
    }

    /// Keyset page: `after` is the last id of the previous page.
    pub async fn payment_methods_page(
        &self,
        merchant_id: &str,
        mode: &str,
        after: Option<&str>,
        descending: bool,
        limit: i64,
    ) -> Result<Vec<PaymentMethodRow>> {
        let (cmp, dir) = if descending {
            ("<", "DESC")
        } else {
            (">", "ASC")
        };
        let sql = match after {
            Some(_) => format!(
                "SELECT {COLS} FROM payment_methods WHERE merchant_id = $1 AND mode = $2 AND id {cmp} $3 ORDER BY id {dir} LIMIT $4"
            ),
            None => format!(
                "SELECT {COLS} FROM payment_methods WHERE merchant_id = $1 AND mode = $2 ORDER BY id {dir} LIMIT $3"
            ),
        };
        Ok(on_pool!(&self.pool, p => {
            let q = sqlx::query_as::<_, PaymentMethodRow>(sqlx::AssertSqlSafe(sql.clone())).bind(merchant_id).bind(mode);
            match after {
                Some(a) => q.bind(a).bind(limit).fetch_all(p).await,
                None => q.bind(limit).fetch_all(p).await,
            }
        })?)
    }

    /// Writes the mutable, non-secret fields (holder, expiry, state, cache expiry).
    pub async fn update_payment_method_meta(tx: &mut Tx, r: &PaymentMethodRow) -> Result<bool> {
        let n = on_tx!(tx, c => sqlx::query(
            "UPDATE payment_methods SET holder = $1, expiry_month = $2, expiry_year = $3, storage_state = $4, \
             cache_expires_at = $5, updated_at = $6 WHERE id = $7 AND merchant_id = $8 AND mode = $9")
            .bind(&r.holder).bind(&r.expiry_month).bind(&r.expiry_year).bind(&r.storage_state)
            .bind(r.cache_expires_at).bind(r.updated_at).bind(&r.id).bind(&r.merchant_id).bind(&r.mode)
            .execute(c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Puts a CVV ciphertext back (recache) until `expires_at`.
    pub async fn set_cvv(
        tx: &mut Tx,
        merchant_id: &str,
        mode: &str,
        id: &str,
        cvv_ct: &[u8],
        expires_at: i64,
        at: i64,
    ) -> Result<bool> {
        let n = on_tx!(tx, c => sqlx::query(
            "UPDATE payment_methods SET cvv_ct = $1, cvv_expires_at = $2, updated_at = $3 \
             WHERE id = $4 AND merchant_id = $5 AND mode = $6 AND storage_state <> 'Redacted'")
            .bind(cvv_ct).bind(expires_at).bind(at).bind(id).bind(merchant_id).bind(mode)
            .execute(c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// The CVV is single-use: purged after the first transaction that uses it.
    pub async fn purge_cvv(tx: &mut Tx, id: &str) -> Result<()> {
        on_tx!(tx, c => sqlx::query("UPDATE payment_methods SET cvv_ct = NULL, cvv_expires_at = NULL WHERE id = $1")
            .bind(id).execute(c).await.map(|_| ()))?;
        Ok(())
    }

    /// Wipes every sensitive part; metadata (masked number, names) stays for history.
    pub async fn redact_payment_method(
        tx: &mut Tx,
        merchant_id: &str,
        mode: &str,
        id: &str,
        at: i64,
    ) -> Result<bool> {
        let n = on_tx!(tx, c => sqlx::query(
            "UPDATE payment_methods SET storage_state = 'Redacted', wrapped_dek = NULL, pan_ct = NULL, cvv_ct = NULL, \
             cvv_expires_at = NULL, cache_expires_at = NULL, kek_version = NULL, updated_at = $1 \
             WHERE id = $2 AND merchant_id = $3 AND mode = $4")
            .bind(at).bind(id).bind(merchant_id).bind(mode)
            .execute(c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Redacts a `Cached` card whose TTL has passed by `now` (the merchant's time); false when
    /// it was retained, redacted already, or its TTL is later.
    pub async fn expire_cached_card(
        &self,
        merchant_id: &str,
        mode: &str,
        id: &str,
        now: i64,
    ) -> Result<bool> {
        let n = on_write!(self, p => sqlx::query(
            "UPDATE payment_methods SET storage_state = 'Redacted', wrapped_dek = NULL, pan_ct = NULL, cvv_ct = NULL, \
             cvv_expires_at = NULL, cache_expires_at = NULL, kek_version = NULL, updated_at = $1 \
             WHERE id = $2 AND merchant_id = $3 AND mode = $4 AND storage_state = 'Cached' \
             AND cache_expires_at IS NOT NULL AND cache_expires_at <= $1")
            .bind(now).bind(id).bind(merchant_id).bind(mode).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Purges a CVV whose TTL has passed by `now`; a CVV recached since (later TTL) stays.
    pub async fn expire_cvv(
        &self,
        merchant_id: &str,
        mode: &str,
        id: &str,
        now: i64,
    ) -> Result<bool> {
        let n = on_write!(self, p => sqlx::query(
            "UPDATE payment_methods SET cvv_ct = NULL, cvv_expires_at = NULL \
             WHERE id = $1 AND merchant_id = $2 AND mode = $3 AND cvv_expires_at IS NOT NULL AND cvv_expires_at <= $4")
            .bind(id).bind(merchant_id).bind(mode).bind(now).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Wrapped data keys not under `active` (for master key rotation), a batch at a time.
    pub async fn keys_to_rewrap(
        &self,
        active: i64,
        limit: i64,
    ) -> Result<Vec<(String, String, i64, Vec<u8>)>> {
        Ok(
            on_pool!(&self.pool, p => sqlx::query_as::<_, (String, String, i64, Vec<u8>)>(
            "SELECT id, merchant_id, kek_version, wrapped_dek FROM payment_methods \
             WHERE kek_version IS NOT NULL AND kek_version <> $1 AND wrapped_dek IS NOT NULL ORDER BY id LIMIT $2")
            .bind(active).bind(limit).fetch_all(p).await)?,
        )
    }

    /// Replaces a wrapped key only if it is still the one that was read (no lost update).
    pub async fn replace_wrapped_key(
        &self,
        id: &str,
        old_version: i64,
        version: i64,
        blob: &[u8],
    ) -> Result<bool> {
        let n = on_write!(self, p => sqlx::query(
            "UPDATE payment_methods SET kek_version = $1, wrapped_dek = $2 WHERE id = $3 AND kek_version = $4")
            .bind(version).bind(blob).bind(id).bind(old_version)
            .execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Master key versions still referenced by any wrapped key or sealed secret.
    pub async fn kek_versions_in_use(&self) -> Result<Vec<i64>> {
        Ok(on_pool!(&self.pool, p => sqlx::query_scalar::<_, i64>(
            "SELECT kek_version FROM payment_methods WHERE kek_version IS NOT NULL \
             UNION SELECT kek_version FROM credentials WHERE kek_version IS NOT NULL \
             UNION SELECT settings_kek_version FROM gateways WHERE settings_kek_version IS NOT NULL \
             UNION SELECT flash_kek_version FROM portal_sessions WHERE flash_kek_version IS NOT NULL")
            .fetch_all(p).await)?)
    }
}
