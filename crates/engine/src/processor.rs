//! The processor port: one trait every gateway connector implements, returning a normalised
//! result. Only the deterministic sandbox exists today; live connectors plug in by
//! `gatewayType` without touching the payment flows.

use openflex_domain::Secret;
use openflex_domain::card::Expiry;
use openflex_domain::codes::ResponseCode;
use openflex_domain::sandbox::{self, CvvResult};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Purchase,
    Authorize,
    Capture,
    Void,
    Refund,
}

/// Clear card data, alive only for the duration of one processor call.
pub struct CardData {
    pub pan: Secret<String>,
    pub cvv: Option<Secret<String>>,
    pub expiry: Option<Expiry>,
}

pub struct ProcessorRequest<'a> {
    pub operation: Operation,
    pub amount: i64,
    pub currency: &'a str,
    /// Present for purchases/authorizations on a card we hold.
    pub card: Option<&'a CardData>,
    /// Billing postal code, for address verification.
    pub postal_code: Option<&'a str>,
    /// The gateway's own reference of the original, for follow-ups.
    pub original_reference: Option<&'a str>,
    /// The gateway's connector settings (unsealed for this call only).
    pub settings: Option<&'a serde_json::Value>,
}

#[derive(Debug, Clone)]
pub struct ProcessorResult {
    pub code: ResponseCode,
    pub avs_code: Option<String>,
    pub avs_message: Option<String>,
    pub cvv_code: Option<String>,
    pub cvv_message: Option<String>,
    pub gateway_transaction_id: Option<String>,
}

impl ProcessorResult {
    /// An answer decided before (or instead of) a gateway: a code and nothing else.
    pub fn refused(code: ResponseCode) -> Self {
        Self {
            code,
            avs_code: None,
            avs_message: None,
            cvv_code: None,
            cvv_message: None,
            gateway_transaction_id: None,
        }
    }
}

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

pub trait Processor: Send + Sync {
    fn process<'a>(&'a self, req: ProcessorRequest<'a>) -> BoxFuture<'a, ProcessorResult>;

    /// True when a call moves nothing outside this process (no network, no money), so it may
    /// be made before the attempt is written. Connectors to real acquirers keep the default.
    fn side_effect_free(&self) -> bool {
        false
    }
}

/// The sandbox: outcomes from docs/sandbox.md, no network.
pub struct SandboxProcessor;

impl Processor for SandboxProcessor {
    fn process<'a>(&'a self, req: ProcessorRequest<'a>) -> BoxFuture<'a, ProcessorResult> {
        Box::pin(async move {
            let reference = Some(format!("sbx_{}", ulid::Ulid::new()));
            match (req.operation, req.card) {
                (Operation::Purchase | Operation::Authorize, Some(card)) => {
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
                    if req.postal_code == Some(sandbox::AVS_MISMATCH_POSTAL_CODE) {
                        r.avs_code = Some("N".into());
                        r.avs_message = Some("Address and postal code do not match.".into());
                    }
                    r
                }
                (Operation::Purchase | Operation::Authorize, None) => result(
                    override_code(req.settings, req.amount)
                        .unwrap_or_else(|| sandbox::decide_gateway_token(req.amount)),
                    None,
                    reference,
                ),
                (Operation::Void, _) => result(ResponseCode::APPROVED, None, reference),
                (Operation::Capture | Operation::Refund, _) => {
                    result(sandbox::decide_follow_up(req.amount), None, reference)
                }
            }
        })
    }

    fn side_effect_free(&self) -> bool {
        true
    }
}

/// A sandbox gateway's own outcome table, from its settings: `{"outcomes": {"<amount>": code}}`
/// for given amounts and/or `{"declineCode": code}` for every other payment — so a merchant can
/// have gateways that behave differently and see cascading work.
fn override_code(settings: Option<&serde_json::Value>, amount: i64) -> Option<ResponseCode> {
    let s = settings?;
    let code = s
        .get("outcomes")
        .and_then(|o| o.get(amount.to_string()))
        .or_else(|| s.get("declineCode"))?
        .as_u64()?;
    ResponseCode::known(u32::try_from(code).ok()?)
}

fn result(
    code: ResponseCode,
    cvv: Option<CvvResult>,
    reference: Option<String>,
) -> ProcessorResult {
    ProcessorResult {
        code,
        avs_code: Some(sandbox::AVS_CODE.to_string()),
        avs_message: Some(sandbox::AVS_MESSAGE.to_string()),
        cvv_code: cvv.map(|c| c.code().to_string()),
        cvv_message: cvv.map(|c| c.message().to_string()),
        gateway_transaction_id: reference,
    }
}

/// Connectors by `gatewayType`.
#[derive(Clone)]
pub struct Processors {
    by_type: HashMap<&'static str, Arc<dyn Processor>>,
}

impl Default for Processors {
    fn default() -> Self {
        let mut by_type: HashMap<&'static str, Arc<dyn Processor>> = HashMap::new();
        by_type.insert("sandbox", Arc::new(SandboxProcessor));
        Self { by_type }
    }
}

impl Processors {
    pub fn get(&self, gateway_type: &str) -> Option<Arc<dyn Processor>> {
        self.by_type.get(gateway_type).cloned()
    }

    pub fn knows(&self, gateway_type: &str) -> bool {
        self.by_type.contains_key(gateway_type)
    }
}
