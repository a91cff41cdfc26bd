//! Reading transactions back (with their payment methods, loaded in one query for a page),
//! the empty attempt row every use case starts from, and the start-up sweep of attempts a
//! crash left pending.

use super::search::TxnPage;
use crate::connector::ConnectorResult;
use crate::{Engine, EngineError, PaymentMethod, Result, Tenant, Transaction, micros};
use openflex_domain::codes::ResponseCode;
use openflex_store::{Store, TxnRow};
use std::collections::HashMap;

impl Engine {
    /// A transaction row with every optional part empty; use cases set what applies.
    pub(crate) fn new_txn(&self, t: &Tenant, created_at: i64) -> TxnRow {
        TxnRow {
            id: self.ids.next(),
            merchant_id: t.merchant_id.clone(),
            mode: t.mode.as_str().to_string(),
            txn_type: String::new(),
            state: "pending".into(),
            status: 3,
            response_code: 0,
            merchant_transaction_id: None,
            order_id: None,
            customer_id: None,
            currency: None,
            amount: 0,
            payment_method_id: None,
            gateway_token: None,
            gateway_type: None,
            gateway_transaction_id: None,
            merchant_account_reference_id: None,
            assigned_gateway_token: None,
            original_id: None,
            captured_amount: 0,
            refunded_amount: 0,
            voided: false,
            retry_date: None,
            retry_count: 0,
            date_first_attempt: None,
            reference_data: None,
            completion_status: None,
            result: "{}".into(),
            details: "{}".into(),
            created_at,
            chain_id: None,
        }
    }

    pub(crate) async fn with_pm(
        &self,
        t: &Tenant,
        row: &TxnRow,
        now_us: i64,
    ) -> Result<Transaction> {
        let pm = match &row.payment_method_id {
            Some(id) => self
                .store
                .payment_method(&t.merchant_id, t.mode.as_str(), id)
                .await?
                .map(|r| PaymentMethod::from_row(&r, now_us))
                .transpose()?,
            None => None,
        };
        Transaction::from_row(row, pm)
    }

    /// Names the gateways the transactions went through (`gateway_name`), with one query for
    /// the merchant's gateways when any is still unnamed.
    pub(crate) async fn name_gateways(&self, t: &Tenant, txns: &mut [Transaction]) -> Result<()> {
        let unnamed = |x: &Transaction| x.gateway_name.is_none() && x.gateway_token.is_some();
        if !txns.iter().any(unnamed) {
            return Ok(());
        }
        let names: HashMap<String, String> = self
            .store
            .gateway_names(&t.merchant_id, t.mode.as_str())
            .await?
            .into_iter()
            .collect();
        for x in txns.iter_mut().filter(|x| unnamed(x)) {
            x.gateway_name = x.gateway_token.as_ref().and_then(|g| names.get(g).cloned());
        }
        Ok(())
    }

    pub async fn transaction(&self, t: &Tenant, id: &str) -> Result<Transaction> {
        let row = self
            .store
            .txn(&t.merchant_id, t.mode.as_str(), id)
            .await?
            .ok_or(EngineError::NotFound)?;
        let mut txn = self.with_pm(t, &row, micros(self.now_for(t))).await?;
        self.name_gateways(t, std::slice::from_mut(&mut txn))
            .await?;
        Ok(txn)
    }

    pub async fn transaction_by_mtid(&self, t: &Tenant, mtid: &str) -> Result<Transaction> {
        let row = self
            .store
            .txn_by_mtid(&t.merchant_id, t.mode.as_str(), mtid)
            .await?
            .ok_or(EngineError::NotFound)?;
        let mut txn = self.with_pm(t, &row, micros(self.now_for(t))).await?;
        self.name_gateways(t, std::slice::from_mut(&mut txn))
            .await?;
        Ok(txn)
    }

    /// A keyset page of transactions, payment methods loaded in one query (and gateway names
    /// in another).
    pub async fn transactions(&self, t: &Tenant, q: &TxnPage) -> Result<Vec<Transaction>> {
        let rows = self
            .store
            .txns_page(&t.merchant_id, t.mode.as_str(), &q.to_store())
            .await?;
        let mut txns = self.with_pms(t, &rows).await?;
        self.name_gateways(t, &mut txns).await?;
        Ok(txns)
    }

    pub(crate) async fn with_pms(&self, t: &Tenant, rows: &[TxnRow]) -> Result<Vec<Transaction>> {
        let mut ids: Vec<String> = rows
            .iter()
            .filter_map(|r| r.payment_method_id.clone())
            .collect();
        ids.sort();
        ids.dedup();
        let now_us = micros(self.now_for(t));
        let pms = self
            .store
            .payment_methods_by_ids(&t.merchant_id, t.mode.as_str(), &ids)
            .await?;
        rows.iter()
            .map(|r| {
                let pm = r
                    .payment_method_id
                    .as_ref()
                    .and_then(|id| pms.iter().find(|p| &p.id == id))
                    .map(|p| PaymentMethod::from_row(p, now_us))
                    .transpose()?;
                Transaction::from_row(r, pm)
            })
            .collect()
    }

    /// Settles attempts a crash left `pending`. The call may have reached the gateway, so such
    /// an attempt becomes `unknown` and its inquiry is scheduled; only a side-effect-free
    /// connector's attempt (the sandbox moves no money) is closed as an error at once, its
    /// reservation given back.
    pub async fn recover_pending(&self, older_than: std::time::Duration) -> Result<u64> {
        let cutoff = micros(self.now()) - older_than.as_micros() as i64;
        let mut fixed = 0;
        for mut row in self.store.stale_pending(cutoff, 500).await? {
            let moves_money = row
                .gateway_type
                .as_deref()
                .and_then(|g| self.connectors.get(g))
                .is_some_and(|c| !c.side_effect_free());
            let tenant = match (moves_money, crate::Mode::parse(&row.mode)) {
                (true, Some(mode)) => self
                    .store
                    .merchant(&row.merchant_id)
                    .await?
                    .map(|m| Tenant::of(&m, mode)),
                _ => None,
            };
            let sent_as = super::stored_details(&row).sent_as;
            let mut tx = self.store.begin().await?;
            if let Some(t) = tenant {
                self.apply_result(
                    &mut row,
                    &ConnectorResult::unknown("the server stopped before the gateway answered"),
                    None,
                    None,
                    sent_as,
                );
                Store::finish_txn(&mut tx, &row).await?;
                self.enqueue_inquiry(&mut tx, &t, &row.id, self.now_for(&t))
                    .await?;
            } else {
                self.apply_result(
                    &mut row,
                    &ConnectorResult::refused(ResponseCode(20046)),
                    Some("the server stopped before the gateway answered".into()),
                    None,
                    sent_as,
                );
                row.status = 3;
                Store::finish_txn(&mut tx, &row).await?;
                if let (Some(orig), Some(r)) = (&row.original_id, super::reservation_of(&row)) {
                    Store::release(&mut tx, orig, r).await?;
                }
            }
            tx.commit().await?;
            fixed += 1;
        }
        Ok(fixed)
    }
}
