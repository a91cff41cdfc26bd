//! The first steps of a payment: where the card comes from (a vaulted token, a card passed in,
//! a third-party token), whether card-network limits still allow charging it for this order,
//! and the attempt row that will record what happens.

use super::{PaymentKind, PaymentRequest, PaymentSource, Step, json};
use crate::connector::CardData;
use crate::recovery::Chain;
use crate::{Engine, Field, Gateway, StorageState, Tenant, micros};
use openflex_domain::lifecycle::TxnType;
use openflex_domain::retry_policy::{MAX_RETRIES, MAX_WINDOW};
use openflex_store::{PaymentMethodRow, TxnRow};
use time::OffsetDateTime;

/// Where the card for a payment comes from, once resolved.
pub(super) enum Resolved {
    /// A payment method already in the vault.
    Existing(PaymentMethodRow),
    /// A card this payment brings; written with the attempt.
    New(PaymentMethodRow),
}

/// A resolved payment source.
pub(super) struct Source {
    pub resolved: Resolved,
    /// The clear card for the connector, when we hold one (not for third-party tokens).
    pub card: Option<CardData>,
    /// Keep a new card (`Stored`) when the payment is approved.
    pub retain: bool,
    /// The card's declines for this order within the network window, when the lookup that
    /// found the card counted them already.
    pub known_declines: Option<i64>,
    /// The cardholder details kept with the card, read once for every later step.
    pub holder: crate::Holder,
    /// The network transaction id of the card's first customer-initiated payment, sent with
    /// merchant-initiated ones.
    pub network_transaction_id: Option<String>,
}

impl Source {
    fn new(
        resolved: Resolved,
        card: Option<CardData>,
        retain: bool,
        known_declines: Option<i64>,
    ) -> Self {
        let row = match &resolved {
            Resolved::Existing(r) | Resolved::New(r) => r,
        };
        let holder = serde_json::from_str(&row.holder).unwrap_or_default();
        Self {
            resolved,
            card,
            retain,
            known_declines,
            holder,
            network_transaction_id: None,
        }
    }

    pub fn row(&self) -> &PaymentMethodRow {
        match &self.resolved {
            Resolved::Existing(r) | Resolved::New(r) => r,
        }
    }

    pub fn is_vaulted(&self) -> bool {
        matches!(self.resolved, Resolved::Existing(_))
    }

    pub fn brings_cvv(&self) -> bool {
        self.card.as_ref().is_some_and(|c| c.cvv.is_some())
    }
}

impl Engine {
    /// Resolves the payment source: opens a vaulted card (refusing a redacted or unknown one,
    /// or an expired card), or checks and seals a card passed in.
    pub(super) async fn resolve_source(
        &self,
        t: &Tenant,
        req: &PaymentRequest,
        now: OffsetDateTime,
    ) -> Step<Source> {
        match &req.source {
            PaymentSource::Token(id) => {
                let found = self
                    .store
                    .payment_method_for_payment(
                        &t.merchant_id,
                        t.mode.as_str(),
                        id,
                        &req.order_id,
                        micros(now - MAX_WINDOW),
                    )
                    .await?;
                let (row, declines, network_id) = match found {
                    Some(f) if !f.pm.is_redacted() => (f.pm, f.declines, f.network_transaction_id),
                    Some(_) => {
                        return Err(self
                            .reject_field(
                                now,
                                50134,
                                Field::PaymentMethodId,
                                "the payment method is redacted",
                            )
                            .into());
                    }
                    None => {
                        return Err(self
                            .reject_field(
                                now,
                                50134,
                                Field::PaymentMethodId,
                                "no payment method with this id",
                            )
                            .into());
                    }
                };
                let card = self.open_card(&row, micros(now))?;
                if let Some(exp) = card.as_ref().and_then(|c| c.expiry)
                    && exp.is_expired(now.date())
                {
                    return Err(self
                        .reject(now, 30026, "the card's expiry date has passed")
                        .into());
                }
                let mut source = Source::new(Resolved::Existing(row), card, false, Some(declines));
                source.network_transaction_id = network_id;
                Ok(source)
            }
            PaymentSource::Card { card, retain } => {
                self.check_card(card, now)?;
                // The CVV is sealed with the card only for as long as a gateway's answer may
                // have to be asked for again with the identical request; the recording step
                // drops it once the outcome is known (and a side-effect-free connector's
                // attempt is written with its answer, so never with the CVV).
                let row = self.seal_card(t, card, StorageState::Cached, card.cvv.is_some(), now)?;
                let data = CardData {
                    pan: card.pan.clone(),
                    cvv: card.cvv.clone(),
                    expiry: Some(card.expiry),
                };
                Ok(Source::new(Resolved::New(row), Some(data), *retain, None))
            }
            PaymentSource::GatewayToken { card, retain } => Ok(Source::new(
                Resolved::New(self.gateway_card_row(t, card, now)?),
                None,
                *retain,
                None,
            )),
        }
    }

    /// Card-network limit across chains: at most 15 retries in 30 days per card and order.
    /// Returns the card's declines for the order in that window.
    pub(super) async fn within_network_limits(
        &self,
        t: &Tenant,
        req: &PaymentRequest,
        source: &Source,
        now: OffsetDateTime,
    ) -> Step<i64> {
        let prior_declines = match (source.known_declines, &source.row().fingerprint) {
            (Some(n), _) => n,
            (None, Some(fp)) => {
                self.store
                    .declined_attempts(
                        &t.merchant_id,
                        t.mode.as_str(),
                        &req.order_id,
                        fp,
                        micros(now - MAX_WINDOW),
                    )
                    .await?
            }
            (None, None) => 0,
        };
        if prior_declines > MAX_RETRIES {
            return Err(self.reject(
                now,
                30100,
                format!(
                    "card-network limits: this card was declined {prior_declines} times for order {} in 30 days",
                    req.order_id
                ),
            ).into());
        }
        Ok(prior_declines)
    }

    /// The attempt row, `pending` until the connector answers.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new_attempt(
        &self,
        t: &Tenant,
        req: &PaymentRequest,
        source: &Source,
        gateway: &Gateway,
        chain: Option<&Chain>,
        id: String,
        now: OffsetDateTime,
    ) -> Step<TxnRow> {
        let now_us = micros(now);
        let pm = source.row();
        let mut row = TxnRow {
            id,
            txn_type: match req.kind {
                PaymentKind::Charge => TxnType::Charge,
                PaymentKind::Authorize => TxnType::Authorize,
            }
            .as_str()
            .to_string(),
            state: "pending".into(),
            merchant_transaction_id: Some(req.merchant_transaction_id.clone()),
            order_id: Some(req.order_id.clone()),
            customer_id: req
                .customer_id
                .clone()
                .or(source.holder.customer_id.clone()),
            currency: Some(req.currency.code().to_string()),
            amount: req.amount,
            payment_method_id: Some(pm.id.clone()),
            gateway_token: Some(gateway.token.clone()),
            gateway_type: Some(gateway.gateway_type.clone()),
            merchant_account_reference_id: gateway.merchant_account_reference_id.clone(),
            assigned_gateway_token: Some(gateway.token.clone()),
            retry_count: req.retry_count,
            date_first_attempt: Some(
                chain
                    .map(|c| c.first_attempt)
                    .or(req.date_first_attempt.map(micros))
                    .unwrap_or(now_us),
            ),
            details: json(&req.details)?,
            ..self.new_txn(t, now_us)
        };
        row.chain_id = Some(
            chain
                .map(|c| c.id.clone())
                .unwrap_or_else(|| row.id.clone()),
        );
        Ok(row)
    }
}
