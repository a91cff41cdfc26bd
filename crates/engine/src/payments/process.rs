//! The processing step: the merchant's risk rules decide before any gateway sees the payment,
//! then the gateway's connector answers, then the risk rules that read the gateway's AVS / CVV
//! results may still refuse an approval. After a decline, the retry policy decides when (and
//! where: a cascade to another gateway) the next attempt may go.

use super::source::Source;
use super::{PaymentKind, PaymentRequest, Step, count_outcome};
use crate::connector::{
    Billing, Connector, ConnectorRequest, ConnectorResult, ConnectorSettings, Initiator,
    Instrument, Operation, SentAs,
};
use crate::{Engine, Gateway, Result, ResultDetails, Tenant, micros};
use openflex_domain::codes::ResponseCode;
use openflex_domain::decline::{self, Family};
use openflex_store::TxnRow;
use time::OffsetDateTime;

impl Engine {
    /// Risk rules, then the connector, then the risk rules on the gateway's AVS / CVV results.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn process_payment(
        &self,
        t: &Tenant,
        req: &PaymentRequest,
        source: &Source,
        gateway: &Gateway,
        connector: &dyn Connector,
        attempt: &TxnRow,
        sent_as: &SentAs,
    ) -> Step<ConnectorResult> {
        let pm = source.row();
        let holder = &source.holder;
        let settings = self.gateway_settings(t, gateway)?;
        let shipping_country = req
            .details
            .shipping_address
            .as_ref()
            .and_then(|a| a.country.as_deref())
            .and_then(openflex_domain::country::to_alpha3);
        let facts = openflex_domain::risk::Facts {
            fingerprint: pm.fingerprint.as_deref(),
            ip: req.details.customer_ip.as_deref(),
            email: holder.email.as_deref(),
            phone: holder.phone_number.as_deref(),
            cvv_given: source.brings_cvv(),
            first_six: pm.first_six.as_deref(),
            billing_country: holder.country.as_deref(),
            shipping_country,
        };
        let blocked = openflex_domain::risk::check(&t.risk_rules, self.geo.as_ref(), &facts)
            .or_else(|| {
                (gateway.cvv_required && source.card.as_ref().is_some_and(|c| c.cvv.is_none()))
                    .then_some(40003)
            });
        let mut result = match blocked {
            Some(code) => ConnectorResult::refused(ResponseCode(code)),
            None => {
                let started = std::time::Instant::now();
                let answer = connector
                    .process(ConnectorRequest {
                        operation: match req.kind {
                            PaymentKind::Charge => Operation::Sale,
                            PaymentKind::Authorize => Operation::Authorize,
                        },
                        reference: &attempt.id,
                        amount: req.amount,
                        currency: req.currency.code(),
                        instrument: Instrument::of(
                            source.card.as_ref(),
                            pm.gateway_payment_method_id.as_deref(),
                        ),
                        billing: Billing::of(holder, req.details.customer_ip.as_deref()),
                        stored_credential: sent_as.stored_credential(),
                        original: None,
                        settings: settings.as_ref(),
                    })
                    .await;
                // How long the gateway (and the way to it) took, apart from everything around
                // it: the figure that tells a slow gateway from a slow server.
                metrics::histogram!("openflex_connector_call_seconds", "gateway" => gateway.gateway_type.clone())
                    .record(started.elapsed().as_secs_f64());
                answer
            }
        };
        if result.code.is_approved()
            && let Some(code) = openflex_domain::risk::check_results(
                &t.risk_rules,
                result.cvv_code.as_deref(),
                result.avs_code.as_deref(),
            )
        {
            result.code = ResponseCode(code);
        }
        count_outcome(&result);
        Ok(result)
    }

    /// Writes the answer onto the attempt and, after a decline, what may follow it: the
    /// referenceData a retry must present, the retry date and its explanation, and another
    /// gateway when issuer or processor trouble makes a cascade worth it.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn after_answer(
        &self,
        t: &Tenant,
        req: &PaymentRequest,
        source: &Source,
        gateway: &Gateway,
        row: &mut TxnRow,
        result: &ConnectorResult,
        sent_as: Option<&SentAs>,
        prior_declines: i64,
        now: OffsetDateTime,
    ) -> Step<ResultDetails> {
        let sent_as = sent_as.cloned();
        if result.code.is_approved() {
            return Ok(self.apply_result(row, result, None, None, sent_as));
        }
        row.reference_data = Some(self.issue_reference_data(t, &row.id));
        if result.is_unknown() {
            // No retry date: a retry now could charge twice. The inquiry settles the attempt,
            // and a retry that presents this referenceData asks the gateway first.
            let why = "the outcome is not known yet; a retry first asks the gateway what happened";
            return Ok(self.apply_result(row, result, None, Some(why.into()), sent_as));
        }
        if req.details.rescue_order.is_some() {
            let why = "a rescue attempt: the order schedules what follows";
            return Ok(self.apply_result(row, result, None, Some(why.into()), sent_as));
        }
        let decision = self.retry_decision(t, row, result.code, prior_declines, now);
        if matches!(
            decline::classify(result.code).family,
            Family::IssuerUnavailable | Family::Merchant
        ) && decision.retry_at.is_some()
            && let Some(next) = self
                .cascade_target(
                    t,
                    &gateway.token,
                    req.currency.code(),
                    source.row().card_type.as_deref(),
                    &row.id,
                )
                .await?
        {
            row.assigned_gateway_token = Some(next);
        }
        Ok(self.apply_result(row, result, None, Some(decision.explain), sent_as))
    }

    /// What the retry policy says of a decline of `code` on this attempt (`prior_declines`: the
    /// card's declines for the order the network limits counted); sets the attempt's retry date.
    pub(crate) fn retry_decision(
        &self,
        t: &Tenant,
        row: &mut TxnRow,
        code: ResponseCode,
        prior_declines: i64,
        now: OffsetDateTime,
    ) -> openflex_domain::retry_policy::Decision {
        let first = row
            .date_first_attempt
            .map(crate::from_micros)
            .unwrap_or(now);
        let decision = openflex_domain::retry_policy::decide(
            &t.retry_policy,
            code,
            now,
            first,
            row.retry_count.max(prior_declines),
        );
        row.retry_date = decision.retry_at.map(micros);
        decision
    }

    /// A gateway's connector settings, unsealed for one processor call.
    pub(crate) fn gateway_settings(
        &self,
        t: &Tenant,
        g: &Gateway,
    ) -> Result<Option<ConnectorSettings>> {
        let Some(sealed) = &g.sealed_settings else {
            return Ok(None);
        };
        let text = self.vault.open_secret(
            &format!("gateway|{}|{}", t.merchant_id, g.token),
            sealed.kek_version,
            &sealed.blob,
        )?;
        Ok(ConnectorSettings::from_json(text.expose().as_str()).ok())
    }

    /// Writes a connector's answer onto the attempt, with why the retry policy chose what it
    /// chose, and returns the details it wrote (so nothing reads back the JSON just written).
    /// `sent_as`: how the attempt was sent, kept with the answer (a write-ahead payment's). An
    /// unknown outcome leaves the attempt `pending` (status error, "Response timeout") for an
    /// inquiry to settle.
    pub(crate) fn apply_result(
        &self,
        row: &mut TxnRow,
        result: &ConnectorResult,
        detail: Option<String>,
        retry_explanation: Option<String>,
        sent_as: Option<SentAs>,
    ) -> ResultDetails {
        row.state = if result.is_unknown() {
            "pending".into()
        } else {
            "done".into()
        };
        row.status = if result.is_unknown() {
            openflex_domain::codes::TxnStatus::Error as i64
        } else {
            result.code.status() as i64
        };
        row.response_code = i64::from(result.code.0);
        row.gateway_transaction_id = result.gateway_transaction_id.clone();
        let details = ResultDetails {
            avs_code: result.avs_code.clone(),
            avs_message: result.avs_message.clone(),
            cvv_code: result.cvv_code.clone(),
            cvv_message: result.cvv_message.clone(),
            error_code: (!result.code.is_approved()).then(|| result.code.as_string()),
            error_detail: if result.is_unknown() {
                Some(
                    "the gateway's answer was lost; openflex is confirming the outcome with the \
                     gateway and will not charge twice"
                        .into(),
                )
            } else if result.code.is_approved() {
                None
            } else {
                Some(detail.unwrap_or_else(|| result.code.message().to_string()))
            },
            retry_explanation,
            gateway_code: result.gateway_code.clone(),
            gateway_message: result
                .gateway_message
                .as_deref()
                .map(|m| openflex_domain::card::mask_card_numbers(m).into_owned()),
            sent_as,
        };
        row.result = serde_json::to_string(&details).unwrap_or_else(|_| "{}".into());
        details
    }
}

/// Card-network stored-credential rules: a retry of a decline, a later billing cycle or a
/// vaulted card charged without its CVV is merchant-initiated, and carries the network
/// transaction id of the card's first customer-initiated payment; a card the customer brings
/// (or re-confirms with its CVV) is customer-initiated, and stores the card when it is kept.
pub(super) fn sent_as(req: &PaymentRequest, source: &Source) -> SentAs {
    let initiator = initiator_of(req, source);
    SentAs {
        initiator,
        stores_card: initiator == Initiator::Customer && (source.retain || source.is_vaulted()),
        network_transaction_id: source
            .network_transaction_id
            .clone()
            .filter(|_| initiator == Initiator::Merchant),
    }
}

fn initiator_of(req: &PaymentRequest, source: &Source) -> Initiator {
    if let Some(known) = req.initiator {
        return known;
    }
    let rebill = req.retry_count > 0
        || req.reference_data.is_some()
        || req
            .details
            .payment_plan
            .as_ref()
            .and_then(|p| p.billing_cycle)
            .is_some_and(|c| c > 1);
    if rebill || (source.is_vaulted() && !source.brings_cvv()) {
        Initiator::Merchant
    } else {
        Initiator::Customer
    }
}
