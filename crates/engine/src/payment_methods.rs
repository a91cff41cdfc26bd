//! Vault use cases: tokenize, list, show, update, redact, recache.
//!
//! The PAN is sealed under a per-record data key and never leaves this module in clear except
//! inside a [`CardData`](crate::connector::CardData) for one processor call. A CVV is held only
//! until its first use or its TTL; a card passed into a payment without `retainOnSuccess` is
//! `Cached` and is redacted after its TTL.

use crate::connector::CardData;
use crate::scheduler::JobResult;
use crate::{
    Engine, EngineError, Holder, MethodType, PaymentMethod, Rejection, Result, StorageState,
    Tenant, Transaction, micros,
};
use openflex_domain::Secret;
use openflex_domain::card::{self, Expiry};
use openflex_domain::codes::ResponseCode;
use openflex_domain::lifecycle::TxnType;
use openflex_store::{PaymentMethodRow, Store, TxnRow};
use openflex_vault::{Field, WrappedKey};
use time::OffsetDateTime;

/// A card as the dialect validated it: digits only, expiry parsed.
pub struct NewCard {
    pub pan: Secret<String>,
    pub cvv: Option<Secret<String>>,
    pub expiry: Expiry,
    pub holder: Holder,
}

/// A card held in a third-party vault, known to us only by its token.
pub struct GatewayCard {
    pub gateway_payment_method_id: String,
    pub merchant_account_reference_id: Option<String>,
    pub first_six: Option<String>,
    pub last_four: Option<String>,
    pub holder: Holder,
}

pub type Outcome = std::result::Result<Transaction, Rejection>;

/// Due time of a card-data expiry, as the merchant's business time.
fn due(us: i64) -> OffsetDateTime {
    crate::from_micros(us)
}

/// An expiry job that found its record due only after `now`: it goes back to that time (the
/// record's TTL is what the job enforces, whenever the job happened to be claimed).
fn not_due_until(expires_at: Option<i64>, now: i64) -> Option<JobResult> {
    expires_at
        .filter(|at| *at > now)
        .map(|at| JobResult::NotDue(due(at)))
}

impl Engine {
    pub(crate) fn reject(
        &self,
        now: OffsetDateTime,
        code: u32,
        detail: impl Into<String>,
    ) -> Rejection {
        Rejection {
            id: self.ids.next(),
            at: now,
            code: ResponseCode(code),
            field: None,
            detail: detail.into(),
        }
    }

    /// The refusal of an attempt whose merchantTransactionId an earlier one took.
    pub(crate) fn mtid_taken(&self, now: OffsetDateTime) -> Rejection {
        self.reject(
            now,
            ResponseCode::MTID_TAKEN.0,
            "merchantTransactionId was already used",
        )
    }

    /// A refusal about one request field.
    pub(crate) fn reject_field(
        &self,
        now: OffsetDateTime,
        code: u32,
        field: crate::Field,
        detail: impl Into<String>,
    ) -> Rejection {
        Rejection {
            field: Some(field),
            ..self.reject(now, code, detail)
        }
    }

    /// Card checks every entry point applies before a card is vaulted or charged.
    pub(crate) fn check_card(
        &self,
        card: &NewCard,
        now: OffsetDateTime,
    ) -> std::result::Result<(), Rejection> {
        if !card::luhn_valid(card.pan.expose()) {
            return Err(self.reject(now, 30002, "creditCardNumber fails the Luhn check"));
        }
        if card.expiry.is_expired(now.date()) {
            return Err(self.reject(now, 30026, "the card's expiry date has passed"));
        }
        Ok(())
    }

    /// Seals a card into a new payment-method row. The CVV is stored only when `keep_cvv`.
    pub(crate) fn seal_card(
        &self,
        t: &Tenant,
        card: &NewCard,
        state: StorageState,
        keep_cvv: bool,
        now: OffsetDateTime,
    ) -> Result<PaymentMethodRow> {
        let id = self.ids.next();
        let pan = card.pan.expose();
        let (dek, wrapped) = self.vault.new_data_key(&t.merchant_id, &id)?;
        let pan_ct = self
            .vault
            .seal(&dek, &t.merchant_id, &id, Field::Pan, pan)?;
        let cvv_ct = match (&card.cvv, keep_cvv) {
            (Some(cvv), true) => {
                Some(
                    self.vault
                        .seal(&dek, &t.merchant_id, &id, Field::Cvv, cvv.expose())?,
                )
            }
            _ => None,
        };
        let now_us = micros(now);
        let mut holder = card.holder.clone();
        if holder.customer_id.is_none() {
            holder.customer_id = Some(self.ids.next());
        }
        Ok(PaymentMethodRow {
            id,
            merchant_id: t.merchant_id.clone(),
            mode: t.mode.as_str().to_string(),
            method_type: MethodType::CreditCard.as_str().to_string(),
            storage_state: state.as_str().to_string(),
            kek_version: Some(i64::from(wrapped.kek_version)),
            wrapped_dek: Some(wrapped.blob),
            cvv_expires_at: cvv_ct
                .as_ref()
                .map(|_| now_us + self.config.cvv_ttl.as_micros() as i64),
            pan_ct: Some(pan_ct),
            cvv_ct,
            cache_expires_at: (state == StorageState::Cached)
                .then(|| now_us + self.config.cached_card_ttl.as_micros() as i64),
            fingerprint: Some(self.vault.fingerprint(&t.merchant_id, pan)),
            first_six: Some(card::first_six(pan).to_string()),
            last_four: Some(card::last_four(pan).to_string()),
            pan_length: Some(pan.len() as i64),
            card_type: Some(card::brand_of(pan).wire_name().to_string()),
            expiry_month: Some(card.expiry.month_text()),
            expiry_year: Some(card.expiry.year_text()),
            holder: serde_json::to_string(&holder)
                .map_err(|e| EngineError::Internal(e.to_string()))?,
            gateway_payment_method_id: None,
            merchant_account_reference_id: None,
            created_at: now_us,
            updated_at: now_us,
        })
    }

    pub(crate) fn gateway_card_row(
        &self,
        t: &Tenant,
        card: &GatewayCard,
        now: OffsetDateTime,
    ) -> Result<PaymentMethodRow> {
        let now_us = micros(now);
        let mut holder = card.holder.clone();
        if holder.customer_id.is_none() {
            holder.customer_id = Some(self.ids.next());
        }
        Ok(PaymentMethodRow {
            id: self.ids.next(),
            merchant_id: t.merchant_id.clone(),
            mode: t.mode.as_str().to_string(),
            method_type: MethodType::GatewayPaymentMethodId.as_str().to_string(),
            storage_state: StorageState::Cached.as_str().to_string(),
            kek_version: None,
            wrapped_dek: None,
            pan_ct: None,
            cvv_ct: None,
            cvv_expires_at: None,
            cache_expires_at: Some(now_us + self.config.cached_card_ttl.as_micros() as i64),
            fingerprint: None,
            first_six: card.first_six.clone(),
            last_four: card.last_four.clone(),
            pan_length: None,
            card_type: card
                .first_six
                .as_deref()
                .map(|f| card::brand_of(f).wire_name().to_string()),
            expiry_month: None,
            expiry_year: None,
            holder: serde_json::to_string(&holder)
                .map_err(|e| EngineError::Internal(e.to_string()))?,
            gateway_payment_method_id: Some(card.gateway_payment_method_id.clone()),
            merchant_account_reference_id: card.merchant_account_reference_id.clone(),
            created_at: now_us,
            updated_at: now_us,
        })
    }

    /// Opens a vaulted card for one processor call. The CVV comes along only while it is held.
    pub(crate) fn open_card(
        &self,
        row: &PaymentMethodRow,
        now_us: i64,
    ) -> Result<Option<CardData>> {
        let (Some(version), Some(blob), Some(pan_ct)) =
            (row.kek_version, &row.wrapped_dek, &row.pan_ct)
        else {
            return Ok(None);
        };
        let wrapped = WrappedKey {
            kek_version: version as u32,
            blob: blob.clone(),
        };
        let dek = self
            .vault
            .unwrap_data_key(&row.merchant_id, &row.id, &wrapped)?;
        let pan = self
            .vault
            .open(&dek, &row.merchant_id, &row.id, Field::Pan, pan_ct)?;
        let cvv = match (&row.cvv_ct, row.cvv_expires_at) {
            (Some(ct), exp) if exp.is_none_or(|e| e > now_us) => {
                Some(
                    self.vault
                        .open(&dek, &row.merchant_id, &row.id, Field::Cvv, ct)?,
                )
            }
            _ => None,
        };
        let expiry = match (&row.expiry_month, &row.expiry_year) {
            (Some(m), Some(y)) => card::parse_month(m)
                .zip(card::parse_year(y))
                .map(|(month, year)| Expiry { month, year }),
            _ => None,
        };
        Ok(Some(CardData { pan, cvv, expiry }))
    }

    /// A vault-operation transaction (approved, no money).
    fn vault_txn(
        &self,
        t: &Tenant,
        kind: TxnType,
        pm: &PaymentMethodRow,
        now: OffsetDateTime,
    ) -> Result<TxnRow> {
        let holder: Holder = serde_json::from_str(&pm.holder).unwrap_or_default();
        Ok(TxnRow {
            txn_type: kind.as_str().to_string(),
            state: "done".into(),
            status: 1,
            response_code: i64::from(ResponseCode::APPROVED.0),
            customer_id: holder.customer_id,
            payment_method_id: Some(pm.id.clone()),
            merchant_account_reference_id: pm.merchant_account_reference_id.clone(),
            details: serde_json::to_string(&crate::Details::default())
                .map_err(|e| EngineError::Internal(e.to_string()))?,
            ..self.new_txn(t, micros(now))
        })
    }

    fn view(&self, row: &TxnRow, pm: &PaymentMethodRow, now_us: i64) -> Result<Transaction> {
        Transaction::from_row(row, Some(PaymentMethod::from_row(pm, now_us)?))
    }

    /// Enqueues the expiry of what the record holds only for a while: its CVV, and the card
    /// itself when it is `Cached`.
    pub(crate) async fn schedule_card_expiry(
        &self,
        tx: &mut openflex_store::Tx,
        t: &Tenant,
        pm: &PaymentMethodRow,
    ) -> Result<()> {
        use crate::scheduler::kind;
        let payload = serde_json::json!({"paymentMethodId": pm.id});
        if let Some(at) = pm.cvv_expires_at.filter(|_| pm.cvv_ct.is_some()) {
            self.enqueue(tx, t, kind::EXPIRE_CVV, payload.clone(), due(at))
                .await?;
        }
        if let Some(at) = pm
            .cache_expires_at
            .filter(|_| pm.storage_state == StorageState::Cached.as_str())
        {
            self.enqueue(tx, t, kind::EXPIRE_CACHED_CARD, payload, due(at))
                .await?;
        }
        Ok(())
    }

    pub(crate) async fn expire_cached_card(&self, t: &Tenant, id: &str) -> Result<JobResult> {
        let now = micros(self.now_for(t));
        if self
            .store
            .expire_cached_card(&t.merchant_id, t.mode.as_str(), id, now)
            .await?
        {
            return Ok(JobResult::Done(format!(
                "payment method {id} redacted: cached and not retained"
            )));
        }
        let later = self
            .store
            .payment_method(&t.merchant_id, t.mode.as_str(), id)
            .await?
            .filter(|pm| pm.storage_state == StorageState::Cached.as_str())
            .and_then(|pm| pm.cache_expires_at);
        Ok(not_due_until(later, now).unwrap_or_else(|| {
            JobResult::Done(format!(
                "payment method {id} kept: retained or redacted already"
            ))
        }))
    }

    pub(crate) async fn expire_cvv(&self, t: &Tenant, id: &str) -> Result<JobResult> {
        let now = micros(self.now_for(t));
        if self
            .store
            .expire_cvv(&t.merchant_id, t.mode.as_str(), id, now)
            .await?
        {
            return Ok(JobResult::Done(format!(
                "CVV of payment method {id} purged"
            )));
        }
        let later = self
            .store
            .payment_method(&t.merchant_id, t.mode.as_str(), id)
            .await?
            .filter(|pm| pm.cvv_ct.is_some())
            .and_then(|pm| pm.cvv_expires_at);
        Ok(not_due_until(later, now).unwrap_or_else(|| {
            JobResult::Done(format!("CVV of payment method {id}: nothing to purge"))
        }))
    }

    /// `POST /paymentmethods`: vault a card (Stored), CVV held until first use or TTL.
    pub async fn create_payment_method(&self, t: &Tenant, card: NewCard) -> Result<Outcome> {
        let now = self.now_for(t);
        if let Err(r) = self.check_card(&card, now) {
            return Ok(Err(r));
        }
        let pm = self.seal_card(t, &card, StorageState::Stored, true, now)?;
        let txn = self.vault_txn(t, TxnType::CreatePaymentMethod, &pm, now)?;
        let mut tx = self.store.begin().await?;
        Store::insert_payment_method(&mut tx, &pm).await?;
        Store::insert_txn(&mut tx, &txn).await?;
        self.schedule_card_expiry(&mut tx, t, &pm).await?;
        tx.commit().await?;
        Ok(Ok(self.view(&txn, &pm, micros(now))?))
    }

    /// Vaults a third-party gateway token (`CreateGatewayPaymentMethod`).
    pub async fn create_gateway_payment_method(
        &self,
        t: &Tenant,
        card: GatewayCard,
    ) -> Result<Outcome> {
        let now = self.now_for(t);
        let mut pm = self.gateway_card_row(t, &card, now)?;
        pm.storage_state = StorageState::Stored.as_str().to_string();
        pm.cache_expires_at = None;
        let txn = self.vault_txn(t, TxnType::CreateGatewayPaymentMethod, &pm, now)?;
        let mut tx = self.store.begin().await?;
        Store::insert_payment_method(&mut tx, &pm).await?;
        Store::insert_txn(&mut tx, &txn).await?;
        tx.commit().await?;
        Ok(Ok(self.view(&txn, &pm, micros(now))?))
    }

    pub async fn payment_method(&self, t: &Tenant, id: &str) -> Result<PaymentMethod> {
        let row = self
            .store
            .payment_method(&t.merchant_id, t.mode.as_str(), id)
            .await?
            .ok_or(EngineError::NotFound)?;
        PaymentMethod::from_row(&row, micros(self.now_for(t)))
    }

    pub async fn payment_methods(
        &self,
        t: &Tenant,
        after: Option<&str>,
        descending: bool,
        count: i64,
    ) -> Result<Vec<PaymentMethod>> {
        let now_us = micros(self.now_for(t));
        self.store
            .payment_methods_page(&t.merchant_id, t.mode.as_str(), after, descending, count)
            .await?
            .iter()
            .map(|r| PaymentMethod::from_row(r, now_us))
            .collect()
    }

    async fn usable_payment_method(
        &self,
        t: &Tenant,
        id: &str,
        now: OffsetDateTime,
    ) -> Result<std::result::Result<PaymentMethodRow, Rejection>> {
        match self
            .store
            .payment_method(&t.merchant_id, t.mode.as_str(), id)
            .await?
        {
            Some(row) if !row.is_redacted() => Ok(Ok(row)),
            Some(_) => Ok(Err(self.reject_field(
                now,
                50134,
                crate::Field::PaymentMethodId,
                "the payment method is redacted",
            ))),
            None => Ok(Err(self.reject_field(
                now,
                50134,
                crate::Field::PaymentMethodId,
                "no payment method with this id",
            ))),
        }
    }

    /// `PUT /paymentmethods/{id}`: non-sensitive fields only; absent fields are kept.
    pub async fn update_payment_method(
        &self,
        t: &Tenant,
        id: &str,
        patch: Holder,
        expiry_month: Option<u8>,
        expiry_year: Option<u16>,
    ) -> Result<Outcome> {
        let now = self.now_for(t);
        let mut pm = match self.usable_payment_method(t, id, now).await? {
            Ok(pm) => pm,
            Err(r) => return Ok(Err(r)),
        };
        let mut holder: Holder = serde_json::from_str(&pm.holder).unwrap_or_default();
        holder.merge(patch);
        pm.holder =
            serde_json::to_string(&holder).map_err(|e| EngineError::Internal(e.to_string()))?;
        if let Some(m) = expiry_month {
            pm.expiry_month = Some(format!("{m:02}"));
        }
        if let Some(y) = expiry_year {
            pm.expiry_year = Some(format!("{y:04}"));
        }
        pm.updated_at = micros(now);
        let txn = self.vault_txn(t, TxnType::UpdatePaymentMethod, &pm, now)?;
        let mut tx = self.store.begin().await?;
        Store::update_payment_method_meta(&mut tx, &pm).await?;
        Store::insert_txn(&mut tx, &txn).await?;
        tx.commit().await?;
        Ok(Ok(self.view(&txn, &pm, micros(now))?))
    }

    /// `PUT /paymentmethods/{id}/redact`: wipes the sensitive parts; idempotent.
    pub async fn redact_payment_method(&self, t: &Tenant, id: &str) -> Result<Outcome> {
        let now = self.now_for(t);
        let Some(_) = self
            .store
            .payment_method(&t.merchant_id, t.mode.as_str(), id)
            .await?
        else {
            return Ok(Err(self.reject_field(
                now,
                50134,
                crate::Field::PaymentMethodId,
                "no payment method with this id",
            )));
        };
        let mut tx = self.store.begin().await?;
        Store::redact_payment_method(&mut tx, &t.merchant_id, t.mode.as_str(), id, micros(now))
            .await?;
        tx.commit().await?;
        let pm = self
            .store
            .payment_method(&t.merchant_id, t.mode.as_str(), id)
            .await?
            .ok_or(EngineError::NotFound)?;
        let txn = self.vault_txn(t, TxnType::RedactPaymentMethod, &pm, now)?;
        let mut tx = self.store.begin().await?;
        Store::insert_txn(&mut tx, &txn).await?;
        tx.commit().await?;
        Ok(Ok(self.view(&txn, &pm, micros(now))?))
    }

    /// `PUT /paymentmethods/{id}/recache`: holds a new CVV until first use or TTL.
    pub async fn recache_payment_method(
        &self,
        t: &Tenant,
        id: &str,
        cvv: Secret<String>,
    ) -> Result<Outcome> {
        let now = self.now_for(t);
        let mut pm = match self.usable_payment_method(t, id, now).await? {
            Ok(pm) => pm,
            Err(r) => return Ok(Err(r)),
        };
        let (Some(version), Some(blob)) = (pm.kek_version, pm.wrapped_dek.clone()) else {
            return Ok(Err(self.reject(
                now,
                50136,
                "only card payment methods hold a CVV",
            )));
        };
        let wrapped = WrappedKey {
            kek_version: version as u32,
            blob,
        };
        let dek = self
            .vault
            .unwrap_data_key(&pm.merchant_id, &pm.id, &wrapped)?;
        let ct = self
            .vault
            .seal(&dek, &pm.merchant_id, &pm.id, Field::Cvv, cvv.expose())?;
        let now_us = micros(now);
        let expires = now_us + self.config.cvv_ttl.as_micros() as i64;
        let txn = self.vault_txn(t, TxnType::RecachePaymentMethod, &pm, now)?;
        let mut tx = self.store.begin().await?;
        Store::set_cvv(
            &mut tx,
            &t.merchant_id,
            t.mode.as_str(),
            id,
            &ct,
            expires,
            now_us,
        )
        .await?;
        self.enqueue(
            &mut tx,
            t,
            crate::scheduler::kind::EXPIRE_CVV,
            serde_json::json!({"paymentMethodId": id}),
            due(expires),
        )
        .await?;
        Store::insert_txn(&mut tx, &txn).await?;
        tx.commit().await?;
        pm.cvv_ct = Some(ct);
        pm.cvv_expires_at = Some(expires);
        Ok(Ok(self.view(&txn, &pm, now_us)?))
    }
}
