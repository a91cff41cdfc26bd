//! The recording step: the attempt, the card it brought and what the answer calls for (a
//! scheduled retry, keeping or forgetting card data) are written in one transaction — or, for a
//! vaulted card with nothing else to write, as one statement. A duplicate merchantTransactionId
//! (or a second retry of one decline) loses at the unique index here.

use super::source::{Resolved, Source};
use super::{PaymentRequest, Step};
use crate::connector::ConnectorResult;
use crate::{
    Engine, PaymentMethod, Rejection, Result, ResultDetails, StorageState, Tenant, Transaction,
    micros,
};
use openflex_store::{Store, StoreError, Tx, TxnRow};
use time::OffsetDateTime;

impl Engine {
    /// Writes the attempt before a connector with side effects is called.
    pub(super) async fn write_ahead(
        &self,
        t: &Tenant,
        req: &PaymentRequest,
        source: &Source,
        row: &TxnRow,
        is_retry: bool,
        now: OffsetDateTime,
    ) -> Step<()> {
        if let Resolved::Existing(_) = &source.resolved {
            // A vaulted card: the attempt is the only row, written as one statement (on
            // SQLite, group-committed with its neighbours' like a sandbox attempt).
            return match self.store.insert_txn_alone_guarded(row, t.guard()).await {
                Ok(()) => Ok(()),
                Err(StoreError::Conflict) => {
                    Err(self.duplicate_attempt(t, req, is_retry, now).await?.into())
                }
                Err(e) => Err(e.into()),
            };
        }
        let mut tx = self.store.begin().await?;
        if !self
            .insert_attempt(&mut tx, t, &source.resolved, row)
            .await?
        {
            drop(tx);
            return Err(self.duplicate_attempt(t, req, is_retry, now).await?.into());
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records the answered attempt and what follows from it.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn record_payment(
        &self,
        t: &Tenant,
        req: &PaymentRequest,
        mut source: Source,
        row: TxnRow,
        details: ResultDetails,
        result: &ConnectorResult,
        write_ahead: bool,
        is_retry: bool,
        now: OffsetDateTime,
    ) -> Step<Transaction> {
        let now_us = micros(now);
        let approved = row.status == 1;
        let scheduled_retry = row.retry_date.is_some() && t.retry_policy.scheduler_mode;
        if !write_ahead && source.is_vaulted() && !scheduled_retry && !source.brings_cvv() {
            // The attempt is all there is to write (a vaulted card, nothing scheduled): one
            // statement, no transaction around it.
            return match self.store.insert_txn_alone_guarded(&row, t.guard()).await {
                Ok(()) => Ok(Transaction::from_parts(
                    &row,
                    details,
                    Some(PaymentMethod::from_row(source.row(), now_us)?),
                )?),
                Err(StoreError::Conflict) => {
                    Err(self.duplicate_attempt(t, req, is_retry, now).await?.into())
                }
                Err(e) => Err(e.into()),
            };
        }
        if let (false, Resolved::New(card)) = (write_ahead, &mut source.resolved) {
            card.cvv_ct = None;
            card.cvv_expires_at = None;
        }
        // A card keeps the network id of its first customer-initiated approval only: once it has
        // one, later approvals have nothing to add, and their answer can be written alone.
        let keeps_network_id = source.network_transaction_id.is_none()
            && Self::cit_network_id(&row, &details, result).is_some();
        let answer_only = write_ahead
            && !result.is_unknown()
            && !scheduled_retry
            && matches!(source.resolved, Resolved::Existing(_))
            && !source.brings_cvv()
            && !keeps_network_id;
        if answer_only {
            // The answer is all there is to write: one UPDATE, no transaction around it.
            self.store.finish_txn_alone(&row).await?;
            return Ok(Transaction::from_parts(
                &row,
                details,
                Some(PaymentMethod::from_row(source.row(), now_us)?),
            )?);
        }
        let mut tx = self.store.begin().await?;
        if write_ahead {
            Store::finish_txn(&mut tx, &row).await?;
        } else if !self
            .insert_attempt(&mut tx, t, &source.resolved, &row)
            .await?
        {
            drop(tx);
            return Err(self.duplicate_attempt(t, req, is_retry, now).await?.into());
        }
        let mut pm = source.row().clone();
        if result.is_unknown() {
            self.enqueue_inquiry(&mut tx, t, &row.id, now).await?;
        }
        if keeps_network_id {
            Self::keep_cit_network_id(&mut tx, &row, &details, result, now_us).await?;
        }
        if let Some(at) = row.retry_date.filter(|_| scheduled_retry) {
            // Scheduler mode: the retry is ours to make, enqueued with the decline itself.
            self.enqueue_scheduled_retry(&mut tx, t, &row.id, crate::from_micros(at))
                .await?;
            // A cached (not retained) card stays, encrypted, until the recovery window closes,
            // then expires as usual.
            if pm.storage_state == StorageState::Cached.as_str() {
                let first = row.date_first_attempt.unwrap_or(now_us);
                let window = time::Duration::days(t.retry_policy.window_days.clamp(1, 30));
                let until = micros(crate::from_micros(first) + window);
                if pm.cache_expires_at.is_some_and(|e| e < until) {
                    pm.cache_expires_at = Some(until);
                    pm.updated_at = now_us;
                    Store::update_payment_method_meta(&mut tx, &pm).await?;
                    self.schedule_card_expiry(&mut tx, t, &pm).await?;
                }
            }
        }
        match &source.resolved {
            Resolved::New(_) if approved && source.retain => {
                pm.storage_state = StorageState::Stored.as_str().to_string();
                pm.cache_expires_at = None;
                pm.updated_at = now_us;
                Store::update_payment_method_meta(&mut tx, &pm).await?;
            }
            _ => {}
        }
        // An unknown outcome keeps the CVV: the inquiry may have to send the same request.
        let cvv_held = match &source.resolved {
            Resolved::Existing(_) => source.brings_cvv(),
            Resolved::New(card) => card.cvv_ct.is_some(),
        };
        if cvv_held && !result.is_unknown() {
            Store::purge_cvv(&mut tx, &pm.id).await?;
            pm.cvv_ct = None;
        }
        tx.commit().await?;
        Ok(Transaction::from_parts(
            &row,
            details,
            Some(PaymentMethod::from_row(&pm, now_us)?),
        )?)
    }

    /// Writes a payment attempt (and the card it brought); `false` when a duplicate
    /// merchantTransactionId — or a second retry of the same decline — lost the race.
    async fn insert_attempt(
        &self,
        tx: &mut Tx,
        t: &Tenant,
        resolved: &Resolved,
        row: &TxnRow,
    ) -> Result<bool> {
        if let Resolved::New(pm) = resolved {
            Store::insert_payment_method(tx, pm).await?;
            self.schedule_card_expiry(tx, t, pm).await?;
        }
        match Store::insert_txn_guarded(tx, row, t.guard()).await {
            Ok(()) => Ok(true),
            Err(StoreError::Conflict) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// The refusal of an attempt that lost to an earlier one. Call it after rolling back: a
    /// write transaction held while waiting for another pool connection starves concurrent
    /// writers (SQLite's single lock).
    async fn duplicate_attempt(
        &self,
        t: &Tenant,
        req: &PaymentRequest,
        is_retry: bool,
        now: OffsetDateTime,
    ) -> Result<Rejection> {
        let mtid_taken = self
            .store
            .txn_by_mtid(
                &t.merchant_id,
                t.mode.as_str(),
                &req.merchant_transaction_id,
            )
            .await?
            .is_some();
        Ok(if mtid_taken || !is_retry {
            self.mtid_taken(now)
        } else {
            self.reject_field(
                now,
                50132,
                crate::Field::ReferenceData,
                "this decline was already retried",
            )
        })
    }
}
