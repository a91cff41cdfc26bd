//! NMI (Network Merchants) through its Payment API, `transact.php`, with the Query API,
//! `query.php`, to resolve lost calls.
//!
//! NMI authenticates inside the body (`security_key`), takes raw card data or a customer-vault id
//! as form variables and answers form-encoded `response` / `response_code` / `responsetext`
//! triples, which [`answer`] maps through the domain's NMI table.
//!
//! **Unknown outcomes.** `transact.php` has no idempotency key; replaying a sale could charge
//! twice. So every sale, authorization, capture and refund sends our attempt id as `orderid`,
//! and [`Connector::inquire`] asks the Query API what NMI recorded (see [`query`]) instead of
//! resending anything.
//!
//! **Stored credentials.** NMI's reply carries no card-network transaction id: the gateway keeps
//! the scheme's id itself and expects merchant-initiated payments to name the *initial
//! transaction* by NMI's own `transactionid` (`initial_transaction_id`). So the approved
//! customer-initiated payment's `transactionid` is what this connector returns as
//! `network_transaction_id`, and what it sends back as `initial_transaction_id` on MIT.
//!
//! **Test connection.** A Query API search that can match nothing (an order id openflex never
//! sends, within one second of the year 2000): NMI checks the security key before it searches,
//! so an empty `<nm_response>` proves the key and nothing moved.
//!
//! **Base URL.** `https://secure.nmi.com/api` (NMI's documented live host; `…/transact.php` and
//! `…/query.php` are appended). Test accounts use the same host (or
//! `https://sandbox.nmi.com/api` through the operator's override).

mod answer;
mod query;
mod wire;

use crate::ConnectorConfig;
use crate::wire::{Sent, Wire, not_sent};
use openflex_domain::Secret;
use openflex_domain::codes::ResponseCode;
use openflex_domain::money::{Currency, minor_to_decimal};
use openflex_engine::connector::{
    BoxFuture, Connector, ConnectorRequest, ConnectorResult, ConnectorSettings, Initiator,
    Instrument, Operation, SettingField, SettingsError, Text, VerifyResult,
};
use query::Found;
use serde::Deserialize;
use wire::{Answer, Form, QueryAnswer};

/// NMI's live API root.
pub const DEFAULT_BASE_URL: &str = "https://secure.nmi.com/api";

pub struct NmiConnector {
    wire: Wire,
    root: String,
}

/// The gateway's settings as typed: `{"securityKey": "…"}`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Typed {
    security_key: Option<Text>,
}

/// The settings, checked.
struct Settings {
    security_key: Secret<String>,
}

fn settings(value: Option<&ConnectorSettings>) -> Result<Settings, String> {
    let typed = match value.map(ConnectorSettings::parse::<Typed>) {
        None => return Err("securityKey is required".into()),
        Some(Err(SettingsError::NotAnObject)) => {
            return Err("settings must be an object with securityKey".into());
        }
        Some(Err(e)) => return Err(e.to_string()),
        Some(Ok(t)) => t,
    };
    let key = typed
        .security_key
        .as_ref()
        .map(|k| k.as_str().trim())
        .filter(|k| !k.is_empty())
        .ok_or("securityKey is required")?;
    Ok(Settings {
        security_key: Secret::new(key.to_string()),
    })
}

/// A refusal decided before calling NMI, for a request this connector cannot express.
fn invalid(why: &str) -> ConnectorResult {
    ConnectorResult {
        gateway_message: Some(why.to_string()),
        ..ConnectorResult::refused(ResponseCode::VALIDATION_ERROR)
    }
}

impl NmiConnector {
    pub fn new(config: &ConnectorConfig) -> Self {
        let root = config
            .base_urls
            .nmi
            .as_deref()
            .unwrap_or(DEFAULT_BASE_URL)
            .trim_end_matches('/')
            .to_string();
        Self {
            wire: Wire::new("nmi", config),
            root,
        }
    }

    /// The `transact.php` form of `req`, or why it cannot be sent.
    fn form(&self, req: &ConnectorRequest<'_>, key: &Secret<String>) -> Result<Form, String> {
        let currency = Currency::parse(req.currency).map_err(|_| "unknown currency".to_string())?;
        let amount = minor_to_decimal(req.amount, currency.exponent());
        let mut f = Form::default();
        f.push("security_key", key.expose().as_str());
        match req.operation {
            Operation::Sale | Operation::Authorize => {
                let kind = if req.operation == Operation::Sale {
                    "sale"
                } else {
                    "auth"
                };
                f.push("type", kind);
                f.push("amount", amount);
                f.push("currency", currency.code());
                f.push("orderid", req.reference);
                match req.instrument {
                    Some(Instrument::Card(card)) => {
                        let expiry = card.expiry.ok_or("the card has no expiry date")?;
                        f.push("payment", "creditcard");
                        f.push("ccnumber", card.pan.expose().as_str());
                        f.push(
                            "ccexp",
                            format!("{:02}{:02}", expiry.month, expiry.year % 100),
                        );
                        if let Some(cvv) = &card.cvv {
                            f.push_opt("cvv", Some(cvv.expose().as_str()));
                        }
                    }
                    Some(Instrument::GatewayToken(token)) => {
                        f.push_opt("customer_vault_id", Some(token));
                    }
                    None => return Err("a payment needs a card or a gateway token".into()),
                }
                let b = &req.billing;
                f.push_opt("first_name", b.first_name);
                f.push_opt("last_name", b.last_name);
                f.push_opt("address1", b.address1);
                f.push_opt("city", b.city);
                f.push_opt("state", b.state);
                f.push_opt("zip", b.postal_code);
                f.push_opt("country", b.country);
                f.push_opt("email", b.email);
                f.push_opt("ipaddress", b.ip);
                let sc = &req.stored_credential;
                match (sc.initiator, sc.stores_card) {
                    (Initiator::Customer, true) => {
                        f.push("initiated_by", "customer");
                        f.push("stored_credential_indicator", "stored");
                    }
                    (Initiator::Customer, false) => {}
                    (Initiator::Merchant, stores) => {
                        f.push("initiated_by", "merchant");
                        f.push(
                            "stored_credential_indicator",
                            if stores { "stored" } else { "used" },
                        );
                        if !stores {
                            f.push_opt("initial_transaction_id", sc.network_transaction_id);
                        }
                    }
                }
            }
            Operation::Capture | Operation::Void | Operation::Refund => {
                let original = req
                    .original
                    .ok_or("a capture, void or refund needs the original transaction")?;
                let kind = match req.operation {
                    Operation::Capture => "capture",
                    Operation::Void => "void",
                    _ => "refund",
                };
                f.push("type", kind);
                f.push("transactionid", original.gateway_transaction_id);
                if req.operation != Operation::Void {
                    f.push("amount", amount);
                    f.push("orderid", req.reference);
                }
            }
        }
        Ok(f)
    }

    async fn transact(&self, req: ConnectorRequest<'_>) -> ConnectorResult {
        let s = match settings(req.settings) {
            Ok(s) => s,
            Err(e) => {
                return ConnectorResult {
                    gateway_message: Some(e),
                    ..ConnectorResult::refused(ResponseCode(30081))
                };
            }
        };
        let form = match self.form(&req, &s.security_key) {
            Ok(f) => f,
            Err(why) => return invalid(&why),
        };
        let http = self
            .wire
            .client()
            .post(format!("{}/transact.php", self.root))
            .form(form.pairs());
        let sent = self.wire.send(http, || form.logged()).await;
        drop(form);
        let mut result = match sent {
            Sent::NotSent(why) => return not_sent(why),
            Sent::Lost(why) => return ConnectorResult::unknown(why),
            Sent::Answered { status, .. } if status >= 500 => {
                return ConnectorResult::unknown(format!("nmi answered HTTP {status}"));
            }
            Sent::Answered { status, body } => match Answer::parse(&body) {
                Some(a) => answer::result_of(&a),
                None => {
                    return ConnectorResult::unknown(format!(
                        "nmi answered HTTP {status} with a body that is not a Payment API answer"
                    ));
                }
            },
        };
        keep_network_id(&req, &mut result);
        result
    }

    async fn inquire_impl(&self, req: ConnectorRequest<'_>) -> ConnectorResult {
        let s = match settings(req.settings) {
            Ok(s) => s,
            Err(e) => return ConnectorResult::unknown(format!("cannot query nmi: {e}")),
        };
        let Ok(currency) = Currency::parse(req.currency) else {
            return invalid("unknown currency");
        };
        let mut f = Form::default();
        f.push("security_key", s.security_key.expose().as_str());
        let by_transaction = matches!(req.operation, Operation::Capture | Operation::Void);
        let (order_id, transaction_id) = if by_transaction {
            let Some(original) = req.original else {
                return invalid("a capture or void needs the original transaction");
            };
            f.push("transaction_id", original.gateway_transaction_id);
            (None, Some(original.gateway_transaction_id))
        } else {
            f.push("order_id", req.reference);
            (Some(req.reference), None)
        };
        let http = self
            .wire
            .client()
            .post(format!("{}/query.php", self.root))
            .form(f.pairs());
        let sent = self.wire.send(http, || f.logged()).await;
        drop(f);
        let body = match sent {
            Sent::NotSent(why) | Sent::Lost(why) => {
                return ConnectorResult::unknown(format!("query: {why}"));
            }
            Sent::Answered { status, .. } if status >= 400 => {
                return ConnectorResult::unknown(format!("nmi query answered HTTP {status}"));
            }
            Sent::Answered { body, .. } => body,
        };
        let txns = match wire::parse_query(&body) {
            Some(QueryAnswer::Transactions(t)) => t,
            Some(QueryAnswer::Error(_)) => {
                return ConnectorResult::unknown("nmi refused the transaction query");
            }
            None => return ConnectorResult::unknown("nmi query answer could not be read"),
        };
        let found = query::decide(
            req.operation,
            &txns,
            order_id,
            transaction_id,
            req.amount,
            currency.exponent(),
        );
        match found {
            Found::Decided(mut r) => {
                keep_network_id(&req, &mut r);
                r
            }
            Found::Pending => ConnectorResult::unknown("nmi has not finished the transaction"),
            Found::Nothing => not_sent(format!(
                "nmi has no record of this {}",
                req.operation.as_str()
            )),
        }
    }
}

/// The order id of "test connection"'s search: never one of ours (attempt ids are ULIDs).
const VERIFY_ORDER_ID: &str = "openflex-connection-test";
/// The search's window: one second long and before any NMI account existed.
const VERIFY_WINDOW: &str = "20000101000000";

impl NmiConnector {
    async fn verify_key(&self, settings: Option<&ConnectorSettings>) -> VerifyResult {
        let s = match self::settings(settings) {
            Ok(s) => s,
            Err(e) => return VerifyResult::Refused(e),
        };
        let mut f = Form::default();
        f.push("security_key", s.security_key.expose().as_str());
        f.push("order_id", VERIFY_ORDER_ID);
        f.push("start_date", VERIFY_WINDOW);
        f.push("end_date", VERIFY_WINDOW);
        let http = self
            .wire
            .client()
            .post(format!("{}/query.php", self.root))
            .form(f.pairs());
        let sent = self.wire.send(http, || f.logged()).await;
        drop(f);
        let body = match sent {
            Sent::NotSent(why) | Sent::Lost(why) => return VerifyResult::Unavailable(why),
            Sent::Answered { status, .. } if status >= 400 => {
                return VerifyResult::Unavailable(format!("nmi answered HTTP {status}"));
            }
            Sent::Answered { body, .. } => body,
        };
        match wire::parse_query(&body) {
            Some(QueryAnswer::Transactions(_)) => VerifyResult::Accepted(
                "NMI accepted the security key: its Query API answered a search that matches \
                 no transaction; nothing was charged."
                    .into(),
            ),
            Some(QueryAnswer::Error(text)) => VerifyResult::Refused(format!(
                "NMI refused the security key: {}",
                crate::wire::scrub(&text, &[s.security_key.expose().as_str()])
            )),
            None => VerifyResult::Unavailable(
                "nmi answered a body that is not a Query API answer".into(),
            ),
        }
    }
}

/// An approved customer-initiated payment's `transactionid` is what later MIT name as their
/// initial transaction (see the module doc).
fn keep_network_id(req: &ConnectorRequest<'_>, r: &mut ConnectorResult) {
    if req.operation.is_payment()
        && r.code.is_approved()
        && req.stored_credential.initiator == Initiator::Customer
    {
        r.network_transaction_id = r.gateway_transaction_id.clone();
    }
}

impl Connector for NmiConnector {
    fn gateway_type(&self) -> &'static str {
        "nmi"
    }

    fn check_settings(&self, settings: Option<&ConnectorSettings>) -> Result<(), String> {
        self::settings(settings).map(|_| ())
    }

    fn settings_fields(&self) -> &'static [SettingField] {
        const FIELDS: &[SettingField] = &[SettingField::secret("securityKey", "Security key")];
        FIELDS
    }

    fn process<'a>(&'a self, req: ConnectorRequest<'a>) -> BoxFuture<'a, ConnectorResult> {
        Box::pin(self.transact(req))
    }

    fn inquire<'a>(&'a self, req: ConnectorRequest<'a>) -> BoxFuture<'a, ConnectorResult> {
        Box::pin(self.inquire_impl(req))
    }

    fn verify<'a>(
        &'a self,
        settings: Option<&'a ConnectorSettings>,
    ) -> BoxFuture<'a, VerifyResult> {
        Box::pin(self.verify_key(settings))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_name_the_field() {
        let bad = |v: serde_json::Value| {
            let v = ConnectorSettings::from_json(v.to_string()).unwrap();
            settings(Some(&v)).err().unwrap()
        };
        assert_eq!(settings(None).err().unwrap(), "securityKey is required");
        assert_eq!(bad(serde_json::json!({})), "securityKey is required");
        assert_eq!(
            bad(serde_json::json!({"securityKey": " "})),
            "securityKey is required"
        );
        assert_eq!(
            bad(serde_json::json!({"securityKey": 5})),
            "securityKey must be a string"
        );
        let good = ConnectorSettings::from_json(r#"{"securityKey": "k"}"#).unwrap();
        assert!(settings(Some(&good)).is_ok());
    }
}
