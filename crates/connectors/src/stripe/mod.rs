//! Stripe through the PaymentIntents API: one form-encoded `POST /v1/payment_intents` that creates
//! and confirms the payment in a single call, so a lost answer leaves exactly one thing to find
//! out about, and the `Idempotency-Key` (our attempt reference) lets [`Connector::inquire`] ask
//! Stripe for that very answer again instead of guessing.
//!
//! Why the request looks the way it does:
//! - `payment_method_types[]=card` keeps a server-side confirm from needing a `return_url`
//!   (redirect-based methods are never offered), and `expand[]=latest_charge` returns the charge
//!   with its outcome, AVS/CVC checks and network transaction id in the same answer.
//! - A `cus_…` token has no payment method of its own: Stripe does not pick the customer's
//!   invoice default for a PaymentIntent, so the connector reads the customer first
//!   (`GET /v1/customers/{id}`, moves no money) and pays with
//!   `invoice_settings.default_payment_method`, else the legacy `default_source`.
//! - `Stripe-Version` is pinned so a dashboard upgrade of the account cannot change the shapes
//!   this module reads.
//! - "Test connection" reads the balance (`GET /v1/balance`): Stripe's zero-amount check is a
//!   SetupIntent, which needs a card the merchant does not type into a settings page, while
//!   any call authenticated by the key proves it, and a balance read moves nothing.

mod answer;
pub mod webhook;

use crate::ConnectorConfig;
use crate::wire::{self, Sent, Wire};
use answer::Read;
use openflex_domain::Secret;
use openflex_domain::money::Currency;
use openflex_engine::connector::{
    BoxFuture, Connector, ConnectorRequest, ConnectorResult, ConnectorSettings, Initiator,
    Instrument, Operation, SettingField, SettingsError, Text, VerifyResult, WebhookBatch,
    WebhookRefusal, WebhookRequest,
};
use serde::Deserialize;

/// The real API root; `ConnectorConfig.base_urls.stripe` replaces it.
pub const BASE_URL: &str = "https://api.stripe.com";
/// The API version every request pins.
pub const API_VERSION: &str = "2024-06-20";

/// Form keys whose values the debug log never shows.
const SENSITIVE: &[&str] = &["[number]", "[cvc]", "[exp_month]", "[exp_year]"];

pub struct StripeConnector {
    wire: Wire,
    base: String,
}

/// `{"secretKey": "sk_test_…", "webhookSecret"?: "whsec_…"}`, as typed.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Typed {
    secret_key: Option<Text>,
    webhook_secret: Option<Text>,
}

/// The settings, checked.
struct Settings {
    secret_key: Secret<String>,
    /// The signing secret of the webhook endpoint registered at Stripe.
    webhook_secret: Option<Secret<String>>,
}

impl Settings {
    fn parse(settings: Option<&ConnectorSettings>) -> Result<Self, String> {
        let typed = match settings.map(ConnectorSettings::parse::<Typed>) {
            None | Some(Err(SettingsError::NotAnObject)) => return Err(REQUIRED.into()),
            Some(Err(e)) => return Err(e.to_string()),
            Some(Ok(t)) => t,
        };
        let key = typed.secret_key.as_ref().ok_or(REQUIRED)?.as_str().trim();
        if key.is_empty() {
            return Err(REQUIRED.into());
        }
        let known = ["sk_test_", "sk_live_", "rk_test_", "rk_live_"];
        if !known.iter().any(|p| key.starts_with(p)) || key.len() < 12 {
            return Err(
                "secretKey must be a Stripe secret or restricted key (sk_… or rk_…)".into(),
            );
        }
        if key.chars().any(|c| !c.is_ascii_alphanumeric() && c != '_') {
            return Err("secretKey has characters a Stripe key never has".into());
        }
        let webhook_secret = match &typed.webhook_secret {
            None => None,
            Some(w) => {
                let w = w.as_str().trim();
                if !w.starts_with("whsec_") || w.len() < 12 {
                    return Err(
                        "webhookSecret must be the endpoint's signing secret (whsec_…)".into(),
                    );
                }
                Some(Secret::new(w.to_string()))
            }
        };
        Ok(Self {
            secret_key: Secret::new(key.to_string()),
            webhook_secret,
        })
    }
}

const REQUIRED: &str = "secretKey is required";

type Form = Vec<(String, String)>;

fn push(form: &mut Form, key: &str, value: impl Into<String>) {
    form.push((key.to_string(), value.into()));
}

impl StripeConnector {
    pub fn new(config: &ConnectorConfig) -> Self {
        let base = config
            .base_urls
            .stripe
            .clone()
            .unwrap_or_else(|| BASE_URL.to_string());
        Self {
            wire: Wire::new("stripe", config),
            base: base.trim_end_matches('/').to_string(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn get(&self, settings: &Settings, url: String) -> reqwest::RequestBuilder {
        self.wire
            .client()
            .get(url)
            .basic_auth(settings.secret_key.expose(), None::<&str>)
            .header("Stripe-Version", API_VERSION)
    }

    /// One money-moving POST: form body, Basic auth, the reference as `Idempotency-Key`.
    async fn post(&self, settings: &Settings, path: &str, reference: &str, form: &Form) -> Sent {
        let req = self
            .wire
            .client()
            .post(self.url(path))
            .basic_auth(settings.secret_key.expose(), None::<&str>)
            .header("Stripe-Version", API_VERSION)
            .header("Idempotency-Key", reference)
            .form(form);
        self.wire
            .send(req, || wire::masked_form(form, SENSITIVE))
            .await
    }

    /// The form of a sale or authorization, or the decided result that stops it before Stripe.
    async fn payment_form(
        &self,
        settings: &Settings,
        req: &ConnectorRequest<'_>,
    ) -> Result<Form, ConnectorResult> {
        let currency = Currency::parse(req.currency).map_err(|_| {
            ConnectorResult::refused(openflex_domain::ResponseCode::VALIDATION_ERROR)
        })?;
        let mut f = Form::new();
        push(&mut f, "amount", req.amount.to_string());
        push(&mut f, "currency", currency.code().to_ascii_lowercase());
        push(&mut f, "confirm", "true");
        let capture = match req.operation {
            Operation::Authorize => "manual",
            _ => "automatic",
        };
        push(&mut f, "capture_method", capture);
        push(&mut f, "payment_method_types[]", "card");
        push(&mut f, "metadata[openflex_reference]", req.reference);
        push(&mut f, "expand[]", "latest_charge");
        match req.instrument {
            Some(Instrument::Card(card)) => {
                push(&mut f, "payment_method_data[type]", "card");
                push(
                    &mut f,
                    "payment_method_data[card][number]",
                    card.pan.expose().as_str(),
                );
                if let Some(exp) = card.expiry {
                    push(
                        &mut f,
                        "payment_method_data[card][exp_month]",
                        exp.month.to_string(),
                    );
                    push(
                        &mut f,
                        "payment_method_data[card][exp_year]",
                        exp.year.to_string(),
                    );
                }
                if let Some(cvv) = &card.cvv {
                    push(
                        &mut f,
                        "payment_method_data[card][cvc]",
                        cvv.expose().as_str(),
                    );
                }
                billing_details(&mut f, req);
            }
            Some(Instrument::GatewayToken(token)) if token.starts_with("pm_") => {
                push(&mut f, "payment_method", token);
            }
            Some(Instrument::GatewayToken(token)) if token.starts_with("cus_") => {
                let pm = self.default_payment_method(settings, token).await?;
                push(&mut f, "customer", token);
                push(&mut f, "payment_method", pm);
            }
            Some(Instrument::GatewayToken(_)) => {
                return Err(answer::refusal(
                    "the Stripe token is neither a pm_… payment method nor a cus_… customer",
                ));
            }
            None => return Err(answer::refusal("a Stripe payment needs a card or a token")),
        }
        let sc = req.stored_credential;
        match sc.initiator {
            Initiator::Customer if sc.stores_card => {
                push(&mut f, "setup_future_usage", "off_session");
            }
            Initiator::Customer => {}
            Initiator::Merchant => {
                push(&mut f, "off_session", "true");
                if let Some(ntid) = sc.network_transaction_id {
                    push(
                        &mut f,
                        "payment_method_options[card][mit_exemption][network_transaction_id]",
                        ntid,
                    );
                }
            }
        }
        Ok(f)
    }

    /// The customer's default card: invoice default payment method, else the legacy source.
    async fn default_payment_method(
        &self,
        settings: &Settings,
        customer: &str,
    ) -> Result<String, ConnectorResult> {
        if !customer
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err(answer::refusal("the cus_… token is malformed"));
        }
        let url = self.url(&format!("/v1/customers/{customer}"));
        match self.wire.send(self.get(settings, url), String::new).await {
            Sent::Answered { status: 200, body } => answer::default_payment_method(&body)
                .ok_or_else(|| answer::refusal("the Stripe customer has no default card")),
            Sent::Answered { status, body } => {
                // A failed read moved no money: even a 5xx leaves the payment never sent.
                let r = answer::read(Read::Lookup, status, &body);
                Err(if r.is_unknown() {
                    wire::not_sent(format!(
                        "Stripe could not read the customer (HTTP {status})"
                    ))
                } else {
                    r
                })
            }
            Sent::NotSent(why) | Sent::Lost(why) => Err(wire::not_sent(why)),
        }
    }

    async fn pay(&self, req: ConnectorRequest<'_>) -> ConnectorResult {
        let settings = match Settings::parse(req.settings) {
            Ok(s) => s,
            Err(e) => return answer::config_refusal(e),
        };
        let form = match self.payment_form(&settings, &req).await {
            Ok(f) => f,
            Err(decided) => return decided,
        };
        let sent = self
            .post(&settings, "/v1/payment_intents", req.reference, &form)
            .await;
        answer::sent(Read::Payment(req.operation), sent)
    }

    /// Capture, void or refund: the path, the form and how to read the answer.
    fn follow_up(req: &ConnectorRequest<'_>) -> Result<(String, Form, Read), &'static str> {
        let Some(prior) = req.original else {
            return Err("no Stripe payment to act on");
        };
        let id = prior.gateway_transaction_id;
        if !id.starts_with("pi_") || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err("the payment is not a Stripe PaymentIntent");
        }
        let mut f = Form::new();
        let (path, read) = match req.operation {
            Operation::Capture => {
                push(&mut f, "amount_to_capture", req.amount.to_string());
                push(&mut f, "expand[]", "latest_charge");
                (format!("/v1/payment_intents/{id}/capture"), Read::Capture)
            }
            Operation::Void => {
                push(&mut f, "cancellation_reason", "requested_by_customer");
                (format!("/v1/payment_intents/{id}/cancel"), Read::Void)
            }
            Operation::Refund => {
                push(&mut f, "payment_intent", id);
                push(&mut f, "amount", req.amount.to_string());
                push(&mut f, "metadata[openflex_reference]", req.reference);
                ("/v1/refunds".to_string(), Read::Refund)
            }
            Operation::Sale | Operation::Authorize => {
                return Err("not a follow-up operation");
            }
        };
        Ok((path, f, read))
    }

    async fn act(&self, req: ConnectorRequest<'_>) -> ConnectorResult {
        let settings = match Settings::parse(req.settings) {
            Ok(s) => s,
            Err(e) => return answer::config_refusal(e),
        };
        let (path, form, read) = match Self::follow_up(&req) {
            Ok(x) => x,
            Err(why) => return answer::refusal(why),
        };
        let sent = self.post(&settings, &path, req.reference, &form).await;
        answer::sent(read, sent)
    }

    /// Replays the request under its key; see [`Connector::inquire`] on the trait impl.
    async fn replay(&self, req: ConnectorRequest<'_>) -> ConnectorResult {
        if !req.operation.is_payment() {
            return self.act(req).await;
        }
        let settings = match Settings::parse(req.settings) {
            Ok(s) => s,
            Err(e) => return answer::config_refusal(e),
        };
        let read = Read::Payment(req.operation);
        let result = match self.payment_form(&settings, &req).await {
            Ok(form) => {
                let sent = self
                    .post(&settings, "/v1/payment_intents", req.reference, &form)
                    .await;
                if let Sent::Answered { status: 400, body } = &sent
                    && answer::is_idempotency_error(body)
                {
                    return self.search(&settings, &req).await;
                }
                answer::sent(read, sent)
            }
            // The request cannot be rebuilt (the token's customer lost its default card):
            // what Stripe holds under the reference can still be found.
            Err(_) => return self.search(&settings, &req).await,
        };
        match (&result.gateway_message, &result.gateway_transaction_id) {
            (Some(m), Some(id)) if result.is_unknown() && m == answer::PROCESSING => {
                self.retrieve(&settings, read, id).await
            }
            _ => result,
        }
    }

    /// `GET /v1/balance` with the key: Stripe authenticates it and moves nothing.
    async fn verify_key(&self, settings: Option<&ConnectorSettings>) -> VerifyResult {
        let settings = match Settings::parse(settings) {
            Ok(s) => s,
            Err(e) => return VerifyResult::Refused(e),
        };
        let url = self.url("/v1/balance");
        answer::verified(self.wire.send(self.get(&settings, url), String::new).await)
    }

    /// `GET /v1/payment_intents/{id}`: the current state of a payment Stripe still processes.
    async fn retrieve(&self, settings: &Settings, read: Read, id: &str) -> ConnectorResult {
        let url = self.url(&format!("/v1/payment_intents/{id}?expand[]=latest_charge"));
        answer::sent(
            read,
            self.wire.send(self.get(settings, url), String::new).await,
        )
    }

    /// Finds the attempt by `metadata['openflex_reference']`. Stripe's search index lags writes
    /// (usually under a minute, up to an hour in incidents), so no hit proves nothing: the
    /// outcome stays unknown and a later inquiry asks again.
    async fn search(&self, settings: &Settings, req: &ConnectorRequest<'_>) -> ConnectorResult {
        if req.reference.contains(['\'', '\\']) {
            return ConnectorResult::unknown("the reference cannot be searched at Stripe");
        }
        let query = format!("metadata['openflex_reference']:'{}'", req.reference);
        let encoded: String = form_urlencoded::byte_serialize(query.as_bytes()).collect();
        let url = self.url(&format!(
            "/v1/payment_intents/search?query={encoded}&expand[]=data.latest_charge"
        ));
        match self.wire.send(self.get(settings, url), String::new).await {
            Sent::Answered { status: 200, body } => {
                answer::search_hit(Read::Payment(req.operation), &body)
            }
            Sent::Answered { status, .. } => ConnectorResult::unknown(format!(
                "the Stripe search answered HTTP {status}; the outcome is still unknown"
            )),
            Sent::NotSent(why) | Sent::Lost(why) => ConnectorResult::unknown(why),
        }
    }
}

/// `payment_method_data[billing_details]`: the name, email and address Stripe checks AVS with.
fn billing_details(f: &mut Form, req: &ConnectorRequest<'_>) {
    let b = req.billing;
    let name = [b.first_name, b.last_name]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if !name.is_empty() {
        push(f, "payment_method_data[billing_details][name]", name);
    }
    let fields = [
        ("email", b.email),
        ("address][line1", b.address1),
        ("address][city", b.city),
        ("address][state", b.state),
        ("address][postal_code", b.postal_code),
        ("address][country", b.country),
    ];
    for (key, value) in fields {
        if let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) {
            push(
                f,
                &format!("payment_method_data[billing_details][{key}]"),
                v,
            );
        }
    }
}

impl Connector for StripeConnector {
    fn gateway_type(&self) -> &'static str {
        "stripe"
    }

    fn check_settings(&self, settings: Option<&ConnectorSettings>) -> Result<(), String> {
        Settings::parse(settings).map(|_| ())
    }

    fn settings_fields(&self) -> &'static [SettingField] {
        const FIELDS: &[SettingField] = &[
            SettingField::secret("secretKey", "Secret key (sk_… or rk_…)"),
            SettingField::secret("webhookSecret", "Webhook signing secret (whsec_…)").optional(),
        ];
        FIELDS
    }

    fn process<'a>(&'a self, req: ConnectorRequest<'a>) -> BoxFuture<'a, ConnectorResult> {
        if req.operation.is_payment() {
            Box::pin(self.pay(req))
        } else {
            Box::pin(self.act(req))
        }
    }

    /// Sends the identical request under the same `Idempotency-Key`: Stripe answers what it
    /// answered the first time (a stored 5xx included, which stays unknown). If Stripe never saw
    /// the first call, the replay is that call, executed once now. When the replay cannot be
    /// identical (the CVV left the vault since, so Stripe refuses it with `idempotency_error`),
    /// the attempt is looked up by its reference in Stripe's search, which may lag.
    fn inquire<'a>(&'a self, req: ConnectorRequest<'a>) -> BoxFuture<'a, ConnectorResult> {
        Box::pin(self.replay(req))
    }

    fn verify<'a>(
        &'a self,
        settings: Option<&'a ConnectorSettings>,
    ) -> BoxFuture<'a, VerifyResult> {
        Box::pin(self.verify_key(settings))
    }

    fn webhook(&self, req: WebhookRequest<'_>) -> Result<WebhookBatch, WebhookRefusal> {
        let settings = Settings::parse(req.settings).map_err(WebhookRefusal::NotConfigured)?;
        let secret = settings.webhook_secret.ok_or_else(|| {
            WebhookRefusal::NotConfigured(
                "the gateway's settings have no webhookSecret (the endpoint's whsec_… secret)"
                    .into(),
            )
        })?;
        webhook::verify(
            req.headers.get("stripe-signature"),
            req.body,
            secret.expose(),
            req.now,
        )?;
        webhook::parse(req.body)
    }
}
