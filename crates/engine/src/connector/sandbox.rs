//! The deterministic sandbox gateway: outcomes from docs/sandbox.md, no network, no money. It is
//! sandbox-only and side-effect free, so the pipeline asks it before writing the attempt.

use super::{
    Billing, BoxFuture, Connector, ConnectorRequest, ConnectorResult, ConnectorSettings,
    Instrument, Operation, Outcome, VerifyResult,
};
use openflex_domain::codes::ResponseCode;
use openflex_domain::sandbox::{self, CvvResult};
use serde::Deserialize;
use serde::de::IgnoredAny;
use std::collections::HashMap;

pub struct SandboxConnector;

impl SandboxConnector {
    fn answer(req: &ConnectorRequest<'_>) -> ConnectorResult {
        let reference = Some(format!("sbx_{}", ulid::Ulid::new()));
        match (req.operation, &req.instrument) {
            (Operation::Sale | Operation::Authorize, Some(Instrument::Card(card))) => {
                let d = sandbox::decide_card(
                    card.pan.expose(),
                    card.cvv.as_ref().map(|c| c.expose().as_str()),
                    req.amount,
                );
                let code = match override_code(req.settings, req.amount) {
                    Some(forced)
                        if d.code.is_approved() || sandbox::trigger(req.amount).is_some() =>
                    {
                        forced
                    }
                    _ => d.code,
                };
                let mut r = result(code, Some(d.cvv), reference);
                if req.billing.postal_code == Some(sandbox::AVS_MISMATCH_POSTAL_CODE) {
                    r.avs_code = Some("N".into());
                    r.avs_message = Some("Address and postal code do not match.".into());
                }
                no_address_no_avs(r, &req.billing)
            }
            (Operation::Sale | Operation::Authorize, _) => no_address_no_avs(
                result(
                    override_code(req.settings, req.amount)
                        .unwrap_or_else(|| sandbox::decide_gateway_token(req.amount)),
                    None,
                    reference,
                ),
                &req.billing,
            ),
            (Operation::Void, _) => result(ResponseCode::APPROVED, None, reference),
            (Operation::Capture | Operation::Refund, _) => {
                result(sandbox::decide_follow_up(req.amount), None, reference)
            }
        }
    }
}

impl Connector for SandboxConnector {
    fn gateway_type(&self) -> &'static str {
        "sandbox"
    }

    fn live(&self) -> bool {
        false
    }

    fn check_settings(&self, _settings: Option<&ConnectorSettings>) -> Result<(), String> {
        Ok(())
    }

    fn process<'a>(&'a self, req: ConnectorRequest<'a>) -> BoxFuture<'a, ConnectorResult> {
        Box::pin(async move { Self::answer(&req) })
    }

    /// The sandbox always answers, so there is never anything to learn: the same decision.
    fn inquire<'a>(&'a self, req: ConnectorRequest<'a>) -> BoxFuture<'a, ConnectorResult> {
        Box::pin(async move { Self::answer(&req) })
    }

    /// There is no gateway behind the sandbox and nothing to authenticate: ok, without I/O.
    fn verify<'a>(
        &'a self,
        _settings: Option<&'a ConnectorSettings>,
    ) -> BoxFuture<'a, VerifyResult> {
        Box::pin(async {
            VerifyResult::Accepted(
                "The sandbox gateway needs no credentials: it answers from the test card table \
                 and nothing was sent anywhere."
                    .into(),
            )
        })
    }

    fn side_effect_free(&self) -> bool {
        true
    }
}

/// A sandbox gateway's own outcome table, from its settings: `{"outcomes": {"<amount>": code}}`
/// for given amounts and/or `{"declineCode": code}` for every other payment — so a merchant can
/// have gateways that behave differently and see cascading work. The sandbox takes any
/// settings, so a value of another kind counts as no code rather than as an error.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Overrides {
    outcomes: Option<Lenient<HashMap<String, Lenient<u64>>>>,
    decline_code: Option<Lenient<u64>>,
}

/// A value of the expected kind, or anything else.
#[derive(Deserialize)]
#[serde(untagged)]
enum Lenient<T> {
    Is(T),
    Not(IgnoredAny),
}

impl<T> Lenient<T> {
    fn get(&self) -> Option<&T> {
        match self {
            Self::Is(v) => Some(v),
            Self::Not(_) => None,
        }
    }
}

fn override_code(settings: Option<&ConnectorSettings>, amount: i64) -> Option<ResponseCode> {
    let o: Overrides = settings?.parse().ok()?;
    let for_amount = o
        .outcomes
        .as_ref()
        .and_then(Lenient::get)
        .and_then(|table| table.get(&amount.to_string()));
    let code = match for_amount {
        Some(code) => code.get()?,
        None => o.decline_code.as_ref()?.get()?,
    };
    ResponseCode::known(u32::try_from(*code).ok()?)
}

/// A card sent without a street address or postal code (docs/flexpay.md §3) has nothing for
/// AVS to compare: the result says "no data" instead of the sandbox's usual one.
fn no_address_no_avs(mut r: ConnectorResult, billing: &Billing<'_>) -> ConnectorResult {
    if billing.address1.is_none() && billing.postal_code.is_none() {
        r.avs_code = Some(sandbox::AVS_NO_DATA_CODE.to_string());
        r.avs_message = Some(sandbox::AVS_NO_DATA_MESSAGE.to_string());
    }
    r
}

fn result(
    code: ResponseCode,
    cvv: Option<CvvResult>,
    reference: Option<String>,
) -> ConnectorResult {
    ConnectorResult {
        outcome: Outcome::Decided,
        avs_code: Some(sandbox::AVS_CODE.to_string()),
        avs_message: Some(sandbox::AVS_MESSAGE.to_string()),
        cvv_code: cvv.map(|c| c.code().to_string()),
        cvv_message: cvv.map(|c| c.message().to_string()),
        gateway_transaction_id: reference,
        ..ConnectorResult::refused(code)
    }
}
