//! Authorize.net through its JSON API (`createTransactionRequest` and the Transaction Details
//! calls), one endpoint for every call.
//!
//! Why it is shaped this way:
//! - Authorize.net keys do not say which environment they belong to, and sandbox keys are
//!   refused by production (and the reverse), so the gateway's settings name the environment:
//!   `"environment": "sandbox" | "production"` (default production). The operator's base-URL
//!   override replaces the whole endpoint URL.
//! - `refId` and `order.invoiceNumber` hold at most 20 characters, and the invoice number is how
//!   a lost answer is found again (there is no idempotency key), so both carry a deterministic
//!   short form of our attempt id ([`short_reference`]).
//! - A refund must name the card's last four digits, which the engine does not hold for a
//!   follow-up: the connector reads them from `getTransactionDetails` first. That read also tells
//!   whether the payment has settled: Authorize.net refuses to refund an unsettled payment
//!   (reason 54), so a full refund of one is sent as a void, which returns the whole amount.
//! - "Test connection" is `authenticateTestRequest`, the call Authorize.net provides for
//!   checking credentials: it moves nothing and answers E00007 for a wrong login or key.
//! - Inquiries look the attempt up by invoice number in the unsettled-transaction list
//!   ([`inquiry`]), never by resending the payment.

mod answer;
mod inquiry;
mod request;

use crate::ConnectorConfig;
use crate::wire::{self, Sent, Wire};
use openflex_domain::Secret;
use openflex_domain::codes::ResponseCode;
use openflex_domain::money::{Currency, decimal_to_minor, minor_to_decimal};
use openflex_engine::connector::{
    Billing, BoxFuture, Connector, ConnectorRequest, ConnectorResult, ConnectorSettings, Initiator,
    Instrument, Operation, SettingField, SettingsError, Text, VerifyResult,
};
use request::*;
use serde::Deserialize;
use serde_json::Value;

pub const PRODUCTION_URL: &str = "https://api.authorize.net/xml/v1/request.api";
pub const SANDBOX_URL: &str = "https://apitest.authorize.net/xml/v1/request.api";

pub struct AuthorizeNetConnector {
    wire: Wire,
    url_override: Option<String>,
}

impl AuthorizeNetConnector {
    pub fn new(config: &ConnectorConfig) -> Self {
        Self {
            wire: Wire::new("authorizenet", config),
            url_override: config.base_urls.authorizenet.clone(),
        }
    }
}

/// The merchant's settings as typed.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Typed {
    api_login_id: Option<Text>,
    transaction_key: Option<Text>,
    /// Only checked to be a string: it signs webhooks, which this connector does not take.
    #[serde(rename = "signatureKey")]
    _signature_key: Option<Text>,
    environment: Option<Text>,
}

/// The merchant's settings, checked for one call.
struct Settings {
    api_login_id: String,
    transaction_key: Secret<String>,
    sandbox: bool,
}

fn settings(value: Option<&ConnectorSettings>) -> Result<Settings, String> {
    let typed = match value.map(ConnectorSettings::parse::<Typed>) {
        None | Some(Err(SettingsError::NotAnObject)) => {
            return Err("settings with apiLoginId and transactionKey are required".into());
        }
        Some(Err(e)) => return Err(e.to_string()),
        Some(Ok(t)) => t,
    };
    let required = |value: Option<Text>, name: &str| {
        value
            .map(|v| v.as_str().trim().to_string())
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("{name} is required"))
    };
    let api_login_id = required(typed.api_login_id, "apiLoginId")?;
    if api_login_id.chars().count() > 25 {
        return Err("apiLoginId must be at most 25 characters".into());
    }
    let transaction_key = Secret::new(required(typed.transaction_key, "transactionKey")?);
    let sandbox = match typed.environment.as_ref().map(Text::as_str) {
        None | Some("production") => false,
        Some("sandbox") => true,
        Some(_) => return Err("environment must be \"sandbox\" or \"production\"".into()),
    };
    Ok(Settings {
        api_login_id,
        transaction_key,
        sandbox,
    })
}

impl Settings {
    fn auth(&self) -> MerchantAuthentication<'_> {
        MerchantAuthentication {
            name: &self.api_login_id,
            transaction_key: self.transaction_key.expose(),
        }
    }
}

/// Our attempt id in at most 20 characters, the same on every call for one attempt. A short
/// alphanumeric id is kept; a longer one (a 26-character ULID) keeps its last 20 characters,
/// its 80 random bits and the low 20 bits of its timestamp; anything else becomes `H` and the
/// 64-bit FNV-1a hash of it in hex.
pub fn short_reference(reference: &str) -> String {
    let alnum = !reference.is_empty() && reference.bytes().all(|b| b.is_ascii_alphanumeric());
    if alnum && reference.len() <= 20 {
        reference.to_string()
    } else if alnum {
        reference[reference.len() - 20..].to_string()
    } else {
        let hash = reference.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        });
        format!("H{hash:016x}")
    }
}

/// How one call ended: a parsed body, or the result to give the engine.
pub(crate) enum Called {
    Body(Value),
    Done(ConnectorResult),
}

impl AuthorizeNetConnector {
    fn url(&self, s: &Settings) -> &str {
        match &self.url_override {
            Some(u) => u,
            None if s.sandbox => SANDBOX_URL,
            None => PRODUCTION_URL,
        }
    }

    /// Sends one JSON call. An answer lost or unreadable after sending is an unknown outcome.
    async fn call<T: serde::Serialize>(&self, s: &Settings, body: &T) -> Called {
        let Ok(text) = serde_json::to_string(body) else {
            return Called::Done(wire::not_sent(
                "the authorizenet request could not be encoded".into(),
            ));
        };
        let logged = || {
            serde_json::to_value(body)
                .map(|v| wire::masked_json(&v, SENSITIVE))
                .unwrap_or_default()
        };
        let req = self
            .wire
            .client()
            .post(self.url(s))
            .header("content-type", "application/json")
            .body(text);
        match self.wire.send(req, logged).await {
            Sent::NotSent(why) => Called::Done(wire::not_sent(why)),
            Sent::Lost(why) => Called::Done(ConnectorResult::unknown(why)),
            Sent::Answered { status, body } => match answer::parse(status, &body) {
                Ok(v) => Called::Body(v),
                Err(why) => Called::Done(ConnectorResult::unknown(why)),
            },
        }
    }

    async fn authenticate(&self, settings_json: Option<&ConnectorSettings>) -> VerifyResult {
        let s = match settings(settings_json) {
            Ok(s) => s,
            Err(e) => return VerifyResult::Refused(e),
        };
        let body = AuthenticateTest {
            request: AuthenticateTestRequest {
                merchant_authentication: s.auth(),
            },
        };
        let environment = if s.sandbox { "sandbox" } else { "production" };
        match self.call(&s, &body).await {
            Called::Done(r) => VerifyResult::Unavailable(
                r.gateway_message
                    .unwrap_or_else(|| "authorizenet did not answer".into()),
            ),
            Called::Body(v) => {
                let env = answer::envelope(&v);
                let said = [env.code.as_deref(), env.text.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                if env.ok {
                    VerifyResult::Accepted(format!(
                        "Authorize.net ({environment}) accepted the API login id and the \
                         transaction key; nothing was charged."
                    ))
                } else {
                    VerifyResult::Refused(format!(
                        "Authorize.net ({environment}) refused the credentials: {}",
                        wire::scrub(&said, &[s.transaction_key.expose().as_str()])
                    ))
                }
            }
        }
    }

    async fn create(
        &self,
        s: &Settings,
        reference: &str,
        tr: TransactionRequest<'_>,
    ) -> ConnectorResult {
        let body = CreateTransaction {
            request: CreateTransactionRequest {
                merchant_authentication: s.auth(),
                ref_id: reference,
                transaction_request: tr,
            },
        };
        match self.call(s, &body).await {
            Called::Done(r) => r,
            Called::Body(v) => answer::create_result(&v),
        }
    }

    async fn payment(&self, req: ConnectorRequest<'_>, kind: &'static str) -> ConnectorResult {
        let s = match settings(req.settings) {
            Ok(s) => s,
            Err(e) => return invalid(e),
        };
        let amount = match decimal(req.amount, req.currency) {
            Ok(a) => a,
            Err(e) => return invalid(e),
        };
        let short = short_reference(req.reference);
        let (payment, profile) = match paying_with(req.instrument.as_ref()) {
            Ok(x) => x,
            Err(e) => return invalid(e),
        };
        let b = &req.billing;
        let (processing_options, subsequent) = stored_credential(&req, profile.is_some());
        let tr = TransactionRequest {
            transaction_type: kind,
            amount: Some(amount),
            currency_code: Some(req.currency),
            payment,
            profile,
            order: Some(Order {
                invoice_number: &short,
            }),
            customer: b.email.map(|email| Customer { email }),
            bill_to: bill_to(b),
            customer_ip: b.ip,
            processing_options,
            subsequent_auth_information: subsequent,
            ..TransactionRequest::default()
        };
        self.create(&s, &short, tr).await
    }

    async fn capture_(&self, req: ConnectorRequest<'_>) -> ConnectorResult {
        let (s, original) = match follow_up(&req) {
            Ok(x) => x,
            Err(e) => return invalid(e),
        };
        let amount = match decimal(req.amount, req.currency) {
            Ok(a) => a,
            Err(e) => return invalid(e),
        };
        let short = short_reference(req.reference);
        let tr = TransactionRequest {
            transaction_type: "priorAuthCaptureTransaction",
            amount: Some(amount),
            ref_trans_id: Some(original),
            ..TransactionRequest::default()
        };
        self.create(&s, &short, tr).await
    }

    async fn void_(&self, s: &Settings, reference: &str, original: &str) -> ConnectorResult {
        let short = short_reference(reference);
        let tr = TransactionRequest {
            transaction_type: "voidTransaction",
            ref_trans_id: Some(original),
            ..TransactionRequest::default()
        };
        self.create(s, &short, tr).await
    }

    async fn refund_(&self, req: ConnectorRequest<'_>) -> ConnectorResult {
        let (s, original) = match follow_up(&req) {
            Ok(x) => x,
            Err(e) => return invalid(e),
        };
        let amount = match decimal(req.amount, req.currency) {
            Ok(a) => a,
            Err(e) => return invalid(e),
        };
        // Only a read so far: whatever goes wrong here, nothing was refunded.
        let found = match inquiry::details(self, &s, original).await {
            inquiry::Details::Found(t) => t,
            inquiry::Details::Missing(r) => return r,
            inquiry::Details::Failed(r) => {
                let why = r.gateway_message.unwrap_or_default();
                return wire::not_sent(format!("the payment to refund could not be read: {why}"));
            }
        };
        let settled_amount = found
            .settle_amount
            .as_deref()
            .zip(Currency::parse(req.currency).ok())
            .and_then(|(a, c)| decimal_to_minor(a, c.exponent()).ok());
        if inquiry::UNSETTLED_CAPTURE.contains(&found.status.as_str())
            && settled_amount == Some(req.amount)
        {
            return self.void_(&s, req.reference, original).await;
        }
        let Some(last_four) = found.last_four else {
            return wire::not_sent("the payment to refund has no card number on record".into());
        };
        let short = short_reference(req.reference);
        let tr = TransactionRequest {
            transaction_type: "refundTransaction",
            amount: Some(amount),
            payment: Some(Payment {
                credit_card: CreditCard {
                    card_number: &last_four,
                    expiration_date: "XXXX".into(),
                    card_code: None,
                },
            }),
            ref_trans_id: Some(original),
            order: Some(Order {
                invoice_number: &short,
            }),
            ..TransactionRequest::default()
        };
        self.create(&s, &short, tr).await
    }
}

/// The card (expiry `YYYY-MM`) or the payment profile a gateway token names.
fn paying_with<'a>(
    instrument: Option<&Instrument<'a>>,
) -> Result<(Option<Payment<'a>>, Option<Profile<'a>>), String> {
    match instrument {
        Some(Instrument::Card(card)) => {
            let expiry = card
                .expiry
                .ok_or_else(|| "the card's expiry date is required".to_string())?;
            let credit_card = CreditCard {
                card_number: card.pan.expose(),
                expiration_date: format!("{}-{}", expiry.year_text(), expiry.month_text()),
                card_code: card.cvv.as_ref().map(|c| c.expose().as_str()),
            };
            Ok((Some(Payment { credit_card }), None))
        }
        Some(Instrument::GatewayToken(token)) => {
            let (customer, payment) = token
                .split_once('/')
                .filter(|(c, p)| !c.is_empty() && !p.is_empty())
                .ok_or_else(|| {
                    "an authorizenet token is customerProfileId/paymentProfileId".to_string()
                })?;
            let profile = Profile {
                customer_profile_id: customer,
                payment_profile: PaymentProfile {
                    payment_profile_id: payment,
                },
            };
            Ok((None, Some(profile)))
        }
        None => Err("a card or gateway token is required".into()),
    }
}

/// The card-network stored-credential labels: the first customer-initiated payment that stores
/// the card opens the series (`isFirstSubsequentAuth`); a later customer-initiated payment with
/// a stored card (a payment profile, or a card with a network id) is `isStoredCredentials`; a
/// merchant-initiated one is `isSubsequentAuth` with the first payment's network id.
fn stored_credential<'a>(
    req: &ConnectorRequest<'a>,
    profile: bool,
) -> (
    Option<ProcessingOptions>,
    Option<SubsequentAuthInformation<'a>>,
) {
    let sc = &req.stored_credential;
    let yes = Some(true);
    match sc.initiator {
        Initiator::Customer if sc.stores_card => {
            let o = ProcessingOptions {
                is_first_subsequent_auth: yes,
                ..ProcessingOptions::default()
            };
            (Some(o), None)
        }
        Initiator::Customer if profile || sc.network_transaction_id.is_some() => {
            let o = ProcessingOptions {
                is_stored_credentials: yes,
                ..ProcessingOptions::default()
            };
            (Some(o), None)
        }
        Initiator::Customer => (None, None),
        Initiator::Merchant => {
            let o = ProcessingOptions {
                is_subsequent_auth: yes,
                ..ProcessingOptions::default()
            };
            let info = sc
                .network_transaction_id
                .map(|id| SubsequentAuthInformation {
                    original_network_trans_id: id,
                });
            (Some(o), info)
        }
    }
}

/// `billTo` when any billing fact is known.
fn bill_to<'a>(b: &Billing<'a>) -> Option<BillTo<'a>> {
    let any = [
        b.first_name,
        b.last_name,
        b.address1,
        b.city,
        b.state,
        b.postal_code,
        b.country,
    ]
    .iter()
    .any(Option::is_some);
    any.then_some(BillTo {
        first_name: b.first_name,
        last_name: b.last_name,
        address: b.address1,
        city: b.city,
        state: b.state,
        zip: b.postal_code,
        country: b.country,
    })
}

fn invalid(why: String) -> ConnectorResult {
    ConnectorResult {
        gateway_message: Some(why),
        ..ConnectorResult::refused(ResponseCode::VALIDATION_ERROR)
    }
}

/// The amount as Authorize.net's decimal string (`12.50`).
fn decimal(amount: i64, currency: &str) -> Result<String, String> {
    let currency =
        Currency::parse(currency).map_err(|_| format!("unknown currency {currency:?}"))?;
    if amount <= 0 {
        return Err("the amount must be positive".into());
    }
    Ok(minor_to_decimal(amount, currency.exponent()))
}

/// Settings and the prior transaction id of a capture, void or refund.
fn follow_up<'a>(req: &ConnectorRequest<'a>) -> Result<(Settings, &'a str), String> {
    let s = settings(req.settings)?;
    let original = req
        .original
        .map(|o| o.gateway_transaction_id)
        .filter(|id| !id.is_empty())
        .ok_or_else(|| "the original transId is required".to_string())?;
    Ok((s, original))
}

impl Connector for AuthorizeNetConnector {
    fn gateway_type(&self) -> &'static str {
        "authorizenet"
    }

    fn check_settings(&self, value: Option<&ConnectorSettings>) -> Result<(), String> {
        settings(value).map(|_| ())
    }

    fn settings_fields(&self) -> &'static [SettingField] {
        const FIELDS: &[SettingField] = &[
            SettingField::text("apiLoginId", "API login id"),
            SettingField::secret("transactionKey", "Transaction key"),
            SettingField::secret("signatureKey", "Signature key").optional(),
            SettingField::text("environment", "Environment")
                .optional()
                .choice(&["production", "sandbox"]),
        ];
        FIELDS
    }

    fn process<'a>(&'a self, req: ConnectorRequest<'a>) -> BoxFuture<'a, ConnectorResult> {
        match req.operation {
            Operation::Sale => Box::pin(self.payment(req, "authCaptureTransaction")),
            Operation::Authorize => Box::pin(self.payment(req, "authOnlyTransaction")),
            Operation::Capture => Box::pin(self.capture_(req)),
            Operation::Void => Box::pin(async move {
                match follow_up(&req) {
                    Ok((s, original)) => self.void_(&s, req.reference, original).await,
                    Err(e) => invalid(e),
                }
            }),
            Operation::Refund => Box::pin(self.refund_(req)),
        }
    }

    fn verify<'a>(
        &'a self,
        settings: Option<&'a ConnectorSettings>,
    ) -> BoxFuture<'a, VerifyResult> {
        Box::pin(self.authenticate(settings))
    }

    fn inquire<'a>(&'a self, req: ConnectorRequest<'a>) -> BoxFuture<'a, ConnectorResult> {
        Box::pin(async move {
            let s = match settings(req.settings) {
                Ok(s) => s,
                Err(e) => return invalid(e),
            };
            match req.operation {
                Operation::Sale | Operation::Authorize => {
                    inquiry::by_invoice(self, &s, req.reference, None).await
                }
                Operation::Refund => {
                    let original = req.original.map(|o| o.gateway_transaction_id);
                    inquiry::by_invoice(self, &s, req.reference, original).await
                }
                Operation::Capture | Operation::Void => {
                    let Some(original) = req.original.map(|o| o.gateway_transaction_id) else {
                        return invalid("the original transId is required".into());
                    };
                    inquiry::follow_up(self, &s, req.operation, original).await
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_references_fit_and_are_stable() {
        assert_eq!(short_reference("ABC123"), "ABC123");
        let ulid = "01JDQ7Z5V3K8M2N4P6R8T0W2Y4";
        assert_eq!(short_reference(ulid), "Z5V3K8M2N4P6R8T0W2Y4");
        let odd = short_reference("order#42/retry-1");
        assert_eq!(odd.len(), 17);
        assert_eq!(odd, short_reference("order#42/retry-1"));
        assert_ne!(odd, short_reference("order#42/retry-2"));
    }

    #[test]
    fn the_environment_setting_picks_the_endpoint_unless_the_operator_overrides_it() {
        let real = AuthorizeNetConnector::new(&ConnectorConfig::default());
        let pick = |c: &AuthorizeNetConnector, env: Value| {
            let v =
                serde_json::json!({"apiLoginId": "a", "transactionKey": "k", "environment": env});
            let v = ConnectorSettings::from_json(v.to_string()).unwrap();
            c.url(&settings(Some(&v)).expect("valid")).to_string()
        };
        assert_eq!(pick(&real, Value::Null), PRODUCTION_URL);
        assert_eq!(pick(&real, "production".into()), PRODUCTION_URL);
        assert_eq!(pick(&real, "sandbox".into()), SANDBOX_URL);
        let mut config = ConnectorConfig::default();
        config.base_urls.authorizenet = Some("http://127.0.0.1:9/xml/v1/request.api".into());
        let local = AuthorizeNetConnector::new(&config);
        assert_eq!(
            pick(&local, "sandbox".into()),
            "http://127.0.0.1:9/xml/v1/request.api"
        );
    }

    #[test]
    fn settings_errors_name_the_field() {
        let check = |v: Value| {
            let v = ConnectorSettings::from_json(v.to_string()).unwrap();
            settings(Some(&v)).err()
        };
        assert_eq!(
            check(serde_json::json!({"transactionKey": "k"})).as_deref(),
            Some("apiLoginId is required")
        );
        assert_eq!(
            check(serde_json::json!({"apiLoginId": "a"})).as_deref(),
            Some("transactionKey is required")
        );
        assert!(
            check(
                serde_json::json!({"apiLoginId": "a", "transactionKey": "k", "environment": "test"})
            )
            .is_some()
        );
        assert!(settings(None).is_err());
    }
}
