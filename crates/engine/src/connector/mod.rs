//! The connector port: the one trait every gateway implements (the deterministic sandbox here,
//! Stripe, Adyen, NMI and Authorize.net in `openflex-connectors`), so the payment pipeline,
//! routing, cascade and retries never know which gateway they talk to.
//!
//! A connector answers with a [`ConnectorResult`] whose [`Outcome`] is either decided (a
//! FlexPay response code from the domain's gateway-code tables) or **unknown**: the request may
//! have reached the gateway and no answer came back (a timeout, a reset connection, a 5xx). An
//! unknown outcome is never a decline: the attempt stays open until [`Connector::inquire`]
//! learns what the gateway did, because retrying it blindly could charge a customer twice.

mod sandbox;
mod settings;
mod webhook;

pub use sandbox::SandboxConnector;
pub use settings::{ConnectorSettings, SettingsError, Text};
pub use webhook::{
    EventKind, GatewayEvent, WebhookBatch, WebhookHeaders, WebhookRefusal, WebhookRequest,
};

use openflex_domain::Secret;
use openflex_domain::card::Expiry;
use openflex_domain::codes::ResponseCode;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Authorize and capture at once.
    Sale,
    Authorize,
    Capture,
    Void,
    Refund,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sale => "sale",
            Self::Authorize => "authorize",
            Self::Capture => "capture",
            Self::Void => "void",
            Self::Refund => "refund",
        }
    }

    pub fn is_payment(self) -> bool {
        matches!(self, Self::Sale | Self::Authorize)
    }
}

/// Clear card data, alive only for the duration of one connector call.
pub struct CardData {
    pub pan: Secret<String>,
    pub cvv: Option<Secret<String>>,
    pub expiry: Option<Expiry>,
}

/// What a payment charges.
pub enum Instrument<'a> {
    /// A card we hold (or that the request brought).
    Card(&'a CardData),
    /// The gateway's own token of a card (Stripe `pm_…` / `cus_…`, an NMI customer vault id,
    /// …), passed through as FlexPay's third-party token.
    GatewayToken(&'a str),
}

impl<'a> Instrument<'a> {
    /// The card when we hold one, else the gateway's own token.
    pub fn of(card: Option<&'a CardData>, gateway_token: Option<&'a str>) -> Option<Self> {
        match (card, gateway_token) {
            (Some(card), _) => Some(Self::Card(card)),
            (None, Some(token)) => Some(Self::GatewayToken(token)),
            (None, None) => None,
        }
    }
}

/// Who started the payment, as card-network stored-credential rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Initiator {
    /// The cardholder is present (checkout, FlexFactor CIT).
    Customer,
    /// The merchant charges a stored card without the cardholder: rebills, retries,
    /// scheduler-mode retries, FlexFactor managed MIT.
    Merchant,
}

/// The stored-credential facts a gateway needs to label a payment for the card networks.
#[derive(Debug, Clone, Copy)]
pub struct StoredCredential<'a> {
    pub initiator: Initiator,
    /// The card is kept for later merchant-initiated payments (the first CIT of a vaulted card).
    pub stores_card: bool,
    /// The network transaction id of the first customer-initiated payment, sent with MIT.
    pub network_transaction_id: Option<&'a str>,
}

/// How a payment was labelled for the card networks, kept on the attempt so an inquiry can
/// send the identical request again.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SentAs {
    pub initiator: Initiator,
    pub stores_card: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_transaction_id: Option<String>,
}

impl SentAs {
    pub fn stored_credential(&self) -> StoredCredential<'_> {
        StoredCredential {
            initiator: self.initiator,
            stores_card: self.stores_card,
            network_transaction_id: self.network_transaction_id.as_deref(),
        }
    }
}

/// Billing facts sent for address verification and fraud screening; all optional.
#[derive(Debug, Clone, Copy, Default)]
pub struct Billing<'a> {
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    pub address1: Option<&'a str>,
    pub city: Option<&'a str>,
    pub state: Option<&'a str>,
    pub postal_code: Option<&'a str>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<&'a str>,
    pub email: Option<&'a str>,
    pub ip: Option<&'a str>,
}

impl<'a> Billing<'a> {
    /// The cardholder's details kept with the card, as gateways take them (the country as
    /// ISO 3166-1 alpha-2), and the customer's IP address.
    pub fn of(holder: &'a crate::Holder, ip: Option<&'a str>) -> Self {
        Self {
            first_name: holder.first_name.as_deref(),
            last_name: holder.last_name.as_deref(),
            address1: holder.address1.as_deref(),
            city: holder.city.as_deref(),
            state: holder.state.as_deref(),
            postal_code: holder.postal_code.as_deref(),
            country: holder
                .country
                .as_deref()
                .and_then(openflex_domain::country::to_alpha2),
            email: holder.email.as_deref(),
            ip,
        }
    }
}

/// The gateway's earlier transaction a capture, void or refund acts on.
#[derive(Debug, Clone, Copy)]
pub struct PriorTxn<'a> {
    /// The gateway's id of it (Stripe PaymentIntent, Adyen pspReference, NMI transactionid,
    /// Authorize.net transId).
    pub gateway_transaction_id: &'a str,
    /// Its full amount (minor units): some gateways need it to tell a partial operation.
    pub amount: i64,
}

/// One call to a gateway.
pub struct ConnectorRequest<'a> {
    pub operation: Operation,
    /// Our attempt id: unique per attempt, stable across an inquiry. Connectors send it as the
    /// idempotency key and as the merchant reference / order id the gateway can be searched by.
    pub reference: &'a str,
    pub amount: i64,
    /// ISO 4217 alphabetic code.
    pub currency: &'a str,
    /// The card or gateway token, for sales and authorizations.
    pub instrument: Option<Instrument<'a>>,
    pub billing: Billing<'a>,
    pub stored_credential: StoredCredential<'a>,
    /// For captures, voids and refunds.
    pub original: Option<PriorTxn<'a>>,
    /// The gateway's connector settings (unsealed for this call only).
    pub settings: Option<&'a ConnectorSettings>,
}

/// Whether the gateway decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Approved or refused, as `code` says.
    Decided,
    /// The request may have reached the gateway and no answer came back: inquire, never retry.
    Unknown,
}

#[derive(Debug, Clone)]
pub struct ConnectorResult {
    pub outcome: Outcome,
    pub code: ResponseCode,
    pub avs_code: Option<String>,
    pub avs_message: Option<String>,
    pub cvv_code: Option<String>,
    pub cvv_message: Option<String>,
    pub gateway_transaction_id: Option<String>,
    /// The gateway's own code and message, kept on the attempt (e.g. Stripe
    /// `insufficient_funds`, Adyen `Refused`, NMI `200`, Authorize.net `2`/`E00027`).
    pub gateway_code: Option<String>,
    pub gateway_message: Option<String>,
    /// The card network's id of this payment (Visa TID, Mastercard trace id), kept per card for
    /// later merchant-initiated payments.
    pub network_transaction_id: Option<String>,
}

/// Code of an attempt whose outcome is not known yet: "Response timeout".
pub const UNKNOWN_OUTCOME_CODE: ResponseCode = ResponseCode(20039);

impl ConnectorResult {
    /// An answer decided before (or instead of) a gateway: a code and nothing else.
    pub fn refused(code: ResponseCode) -> Self {
        Self {
            outcome: Outcome::Decided,
            code,
            avs_code: None,
            avs_message: None,
            cvv_code: None,
            cvv_message: None,
            gateway_transaction_id: None,
            gateway_code: None,
            gateway_message: None,
            network_transaction_id: None,
        }
    }

    /// The request may have reached the gateway; `why` says what went wrong (no card data).
    pub fn unknown(why: impl Into<String>) -> Self {
        Self {
            outcome: Outcome::Unknown,
            gateway_message: Some(why.into()),
            ..Self::refused(UNKNOWN_OUTCOME_CODE)
        }
    }

    pub fn is_unknown(&self) -> bool {
        self.outcome == Outcome::Unknown
    }
}

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a gateway said when asked whether a merchant's settings work, by a call that moves no
/// money ([`Connector::verify`]). Each text is in words a merchant can act on and never holds
/// a secret: a gateway's message is scrubbed of keys before it lands here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyResult {
    /// The gateway accepted the credentials; what the call proved.
    Accepted(String),
    /// The gateway refused them, or the settings cannot even make the call: why.
    Refused(String),
    /// No usable answer (not reached, too slow, a 5xx, a body that is not the gateway's API):
    /// says nothing either way about the credentials.
    Unavailable(String),
}

impl VerifyResult {
    /// The outcome as one word, for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Accepted(_) => "accepted",
            Self::Refused(_) => "refused",
            Self::Unavailable(_) => "unavailable",
        }
    }

    /// The words of the result, whatever it was.
    pub fn message(&self) -> &str {
        match self {
            Self::Accepted(m) | Self::Refused(m) | Self::Unavailable(m) => m,
        }
    }
}

/// One field of a gateway type's `settings`, as a form offers it (the portal): the connector
/// knows its own settings, so no page keeps a second list that could drift from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettingField {
    /// The key in the `settings` object.
    pub name: &'static str,
    pub label: &'static str,
    pub required: bool,
    /// A credential: typed into a password input and never shown again, not even on a form
    /// that comes back with an error.
    pub secret: bool,
    /// The only values allowed, when it is a choice.
    pub choices: &'static [&'static str],
}

impl SettingField {
    /// A required credential.
    pub const fn secret(name: &'static str, label: &'static str) -> Self {
        Self {
            name,
            label,
            required: true,
            secret: true,
            choices: &[],
        }
    }

    /// A required value that is not a secret (an account name).
    pub const fn text(name: &'static str, label: &'static str) -> Self {
        Self {
            secret: false,
            ..Self::secret(name, label)
        }
    }

    pub const fn optional(self) -> Self {
        Self {
            required: false,
            ..self
        }
    }

    pub const fn choice(self, choices: &'static [&'static str]) -> Self {
        Self { choices, ..self }
    }
}

pub trait Connector: Send + Sync {
    /// The `gatewayType` this connector serves.
    fn gateway_type(&self) -> &'static str;

    /// Whether live merchants may create gateways of this type (the sandbox may not).
    fn live(&self) -> bool {
        true
    }

    /// Checks a gateway's `settings` when it is created or changed; the error names the field.
    fn check_settings(&self, settings: Option<&ConnectorSettings>) -> Result<(), String>;

    /// The fields of this type's `settings`, for forms (none for the sandbox).
    fn settings_fields(&self) -> &'static [SettingField] {
        &[]
    }

    /// Makes the call `req.operation` names: a sale, an authorization, or a capture, void or
    /// refund of `req.original`. One entry point rather than one method per operation: the
    /// operation is part of the request (it is stored with the attempt and replayed by
    /// [`Connector::inquire`]), so a second source of truth could only disagree with it.
    fn process<'a>(&'a self, req: ConnectorRequest<'a>) -> BoxFuture<'a, ConnectorResult>;

    /// Learns what the gateway did with an attempt whose answer was lost: `req` is the same
    /// request, with the same `reference`. Stripe and Adyen replay it under its idempotency key
    /// (a request they never received is processed then, once); NMI and Authorize.net look the
    /// reference up, and one they have no record of is a decided refusal the retry policy may
    /// retry. Still [`Outcome::Unknown`] when the gateway cannot tell yet.
    fn inquire<'a>(&'a self, req: ConnectorRequest<'a>) -> BoxFuture<'a, ConnectorResult>;

    /// Asks the gateway whether `settings` work ("test connection"), with a call that moves no
    /// money: a read of the account, a list of payment methods, a query that matches nothing,
    /// an authentication test. No default: a connector that answered "ok" without asking its
    /// gateway would make the button lie.
    fn verify<'a>(&'a self, settings: Option<&'a ConnectorSettings>)
    -> BoxFuture<'a, VerifyResult>;

    /// True when a call moves nothing outside this process (no network, no money), so it may
    /// be made before the attempt is written. Connectors to real gateways keep the default.
    fn side_effect_free(&self) -> bool {
        false
    }

    /// Verifies one webhook delivery against the secret in the gateway's settings and reads
    /// its events. A gateway whose settings hold no webhook secret refuses every delivery: an
    /// unverified event is never applied. The default: this gateway sends no webhooks.
    fn webhook(&self, req: WebhookRequest<'_>) -> Result<WebhookBatch, WebhookRefusal> {
        let _ = req;
        Err(WebhookRefusal::Unsupported(format!(
            "{} gateways send no webhooks openflex can verify",
            self.gateway_type()
        )))
    }
}

/// Connectors by `gatewayType`.
#[derive(Clone)]
pub struct Connectors {
    by_type: HashMap<&'static str, Arc<dyn Connector>>,
}

impl Default for Connectors {
    /// The sandbox alone.
    fn default() -> Self {
        let mut me = Self {
            by_type: HashMap::new(),
        };
        me.add(Arc::new(SandboxConnector));
        me
    }
}

impl Connectors {
    pub fn add(&mut self, connector: Arc<dyn Connector>) {
        self.by_type.insert(connector.gateway_type(), connector);
    }

    pub fn get(&self, gateway_type: &str) -> Option<Arc<dyn Connector>> {
        self.by_type.get(gateway_type).cloned()
    }

    pub fn knows(&self, gateway_type: &str) -> bool {
        self.by_type.contains_key(gateway_type)
    }

    /// Every connector, sorted by type.
    pub fn all(&self) -> Vec<Arc<dyn Connector>> {
        let mut v: Vec<_> = self.by_type.values().cloned().collect();
        v.sort_unstable_by_key(|c| c.gateway_type());
        v
    }

    /// The known types, sorted (for error messages).
    pub fn types(&self) -> Vec<&'static str> {
        let mut v: Vec<_> = self.by_type.keys().copied().collect();
        v.sort_unstable();
        v
    }
}
