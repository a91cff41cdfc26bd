//! Adyen, through the Checkout API v71 (JSON, `X-API-Key`).
//!
//! Adyen has no "get payment" call: what happened to a request whose answer was lost is learnt
//! by sending the same request again under the same `Idempotency-Key` (our reference), which
//! Adyen answers from its stored result without processing twice. So every body is built
//! deterministically ([`wire`]) and `inquire` is a replay. Modifications (capture, cancel,
//! refund) are asynchronous at Adyen: `201 received` is taken as approved here, the final
//! result arrives by webhook.
//!
//! Base URL: the test platform (`checkout-test.adyen.com/v71`) unless the settings carry a
//! `liveUrlPrefix`, which Adyen gives each live company account and without which a live key
//! cannot be used; the prefix is restricted to letters, digits and `-` so a merchant setting
//! cannot point card data at another host. The operator override replaces the whole API root.
//!
//! "Test connection" lists the payment methods of the merchant account (`POST /paymentMethods`
//! with `merchantAccount` alone): it moves nothing, yet Adyen answers it only for a valid API
//! key that may act for that account, so one call proves both settings that a payment needs.

mod answer;
pub mod webhook;
mod wire;

use crate::ConnectorConfig;
use crate::wire::{Wire, masked_json, not_sent};
use answer::Call;
use openflex_domain::Secret;
use openflex_domain::codes::ResponseCode;
use openflex_engine::connector::{
    BoxFuture, Connector, ConnectorRequest, ConnectorResult, ConnectorSettings, Instrument,
    Operation, SettingField, SettingsError, Text, VerifyResult, WebhookBatch, WebhookRefusal,
    WebhookRequest,
};
use serde::Deserialize;

const TEST_ROOT: &str = "https://checkout-test.adyen.com/v71";

pub struct AdyenConnector {
    wire: Wire,
    base_override: Option<String>,
}

impl AdyenConnector {
    pub fn new(config: &ConnectorConfig) -> Self {
        Self {
            wire: Wire::new("adyen", config),
            base_override: config.base_urls.adyen.clone(),
        }
    }

    fn root(&self, settings: &Settings) -> String {
        let root = match (&self.base_override, &settings.live_url_prefix) {
            (Some(root), _) => root.clone(),
            (None, Some(prefix)) => {
                format!("https://{prefix}-checkout-live.adyenpayments.com/checkout/v71")
            }
            (None, None) => TEST_ROOT.to_string(),
        };
        root.trim_end_matches('/').to_string()
    }

    /// One call (or its replay, when `inquiry`).
    async fn call(&self, req: ConnectorRequest<'_>, inquiry: bool) -> ConnectorResult {
        let settings = match Settings::parse(req.settings) {
            Ok(s) => s,
            Err(why) => {
                return ConnectorResult {
                    gateway_message: Some(why),
                    ..ConnectorResult::refused(SETTINGS_INVALID)
                };
            }
        };
        let merchant = settings.merchant_account.as_str();
        let (path, body, call) = if req.operation.is_payment() {
            match wire::payment(&req, merchant) {
                Ok(body) => ("/payments".to_string(), body, Call::Payment),
                Err(wire::Unbuildable(why)) => return not_sent(why.into()),
            }
        } else {
            let Some(original) = req.original else {
                return not_sent(format!(
                    "adyen: a {} needs the payment",
                    req.operation.as_str()
                ));
            };
            let psp = original.gateway_transaction_id;
            if psp.is_empty() || !psp.chars().all(|c| c.is_ascii_alphanumeric()) {
                return not_sent("adyen: the payment's pspReference is not one".into());
            }
            let (action, body) = match req.operation {
                Operation::Capture => ("captures", wire::modification_with_amount(&req, merchant)),
                Operation::Refund => ("refunds", wire::modification_with_amount(&req, merchant)),
                _ => ("cancels", wire::cancel(&req, merchant)),
            };
            (
                format!("/payments/{psp}/{action}"),
                body,
                Call::Modification,
            )
        };
        let url = format!("{}{path}", self.root(&settings));
        let request = self
            .wire
            .client()
            .post(url)
            .header("X-API-Key", settings.api_key.expose().as_str())
            .header("Idempotency-Key", req.reference)
            .header("Content-Type", "application/json")
            .body(body.to_string());
        let sent = self
            .wire
            .send(request, || masked_json(&body, wire::SENSITIVE))
            .await;
        let mut secrets: Vec<&str> = vec![settings.api_key.expose().as_str()];
        if let Some(Instrument::Card(card)) = &req.instrument {
            secrets.push(card.pan.expose().as_str());
            if let Some(cvv) = &card.cvv {
                secrets.push(cvv.expose().as_str());
            }
        }
        answer::read(call, sent, &secrets, inquiry)
    }
}

impl AdyenConnector {
    /// `POST /paymentMethods` for the merchant account; no idempotency key, as nothing changes.
    async fn verify_account(&self, settings: Option<&ConnectorSettings>) -> VerifyResult {
        let settings = match Settings::parse(settings) {
            Ok(s) => s,
            Err(why) => return VerifyResult::Refused(why),
        };
        let body = serde_json::json!({ "merchantAccount": settings.merchant_account });
        let request = self
            .wire
            .client()
            .post(format!("{}/paymentMethods", self.root(&settings)))
            .header("X-API-Key", settings.api_key.expose().as_str())
            .header("Content-Type", "application/json")
            .body(body.to_string());
        let sent = self.wire.send(request, || body.to_string()).await;
        answer::verified(
            sent,
            &settings.merchant_account,
            &[settings.api_key.expose().as_str()],
        )
    }
}

/// Settings that cannot be used: the merchant's API credentials are wrong, nothing was sent.
const SETTINGS_INVALID: ResponseCode = ResponseCode(30096);

/// The gateway's settings as typed: `{"apiKey", "merchantAccount", "liveUrlPrefix"?,
/// "hmacKey"?}`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Typed {
    api_key: Option<Text>,
    merchant_account: Option<Text>,
    live_url_prefix: Option<Text>,
    hmac_key: Option<Text>,
}

/// The settings, checked.
struct Settings {
    api_key: Secret<String>,
    merchant_account: String,
    live_url_prefix: Option<String>,
    /// The webhook HMAC key, hex-decoded.
    hmac_key: Option<Secret<Vec<u8>>>,
}

/// A value that is not blank.
fn filled(t: &Option<Text>) -> Option<&str> {
    t.as_ref()
        .map(Text::as_str)
        .filter(|v| !v.trim().is_empty())
}

impl Settings {
    fn parse(settings: Option<&ConnectorSettings>) -> Result<Self, String> {
        let typed = match settings.map(ConnectorSettings::parse::<Typed>) {
            None | Some(Err(SettingsError::NotAnObject)) => return Err("apiKey is required".into()),
            Some(Err(e)) => return Err(e.to_string()),
            Some(Ok(t)) => t,
        };
        let api_key = filled(&typed.api_key).ok_or("apiKey is required")?;
        let merchant_account =
            filled(&typed.merchant_account).ok_or("merchantAccount is required")?;
        let live_url_prefix = filled(&typed.live_url_prefix);
        if let Some(p) = live_url_prefix
            && !p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err("liveUrlPrefix must be the prefix Adyen gives (letters, digits, -)".into());
        }
        let hmac_key = match filled(&typed.hmac_key) {
            Some(h) => Some(Secret::new(
                data_encoding::HEXLOWER_PERMISSIVE
                    .decode(h.trim().as_bytes())
                    .map_err(|_| "hmacKey must be the hexadecimal key from the Customer Area")?,
            )),
            None => None,
        };
        Ok(Self {
            hmac_key,
            api_key: Secret::new(api_key.to_string()),
            merchant_account: merchant_account.to_string(),
            live_url_prefix: live_url_prefix.map(str::to_string),
        })
    }
}

impl Connector for AdyenConnector {
    fn gateway_type(&self) -> &'static str {
        "adyen"
    }

    fn check_settings(&self, settings: Option<&ConnectorSettings>) -> Result<(), String> {
        Settings::parse(settings).map(|_| ())
    }

    fn settings_fields(&self) -> &'static [SettingField] {
        const FIELDS: &[SettingField] = &[
            SettingField::secret("apiKey", "API key"),
            SettingField::text("merchantAccount", "Merchant account"),
            SettingField::text("liveUrlPrefix", "Live URL prefix (live accounts only)").optional(),
            SettingField::secret("hmacKey", "Webhook HMAC key").optional(),
        ];
        FIELDS
    }

    fn process<'a>(&'a self, req: ConnectorRequest<'a>) -> BoxFuture<'a, ConnectorResult> {
        Box::pin(self.call(req, false))
    }

    /// The same request under the same `Idempotency-Key`: Adyen answers the stored result of
    /// the first one. Had Adyen never seen it, the replay is that request's one processing.
    fn inquire<'a>(&'a self, req: ConnectorRequest<'a>) -> BoxFuture<'a, ConnectorResult> {
        Box::pin(self.call(req, true))
    }

    fn verify<'a>(
        &'a self,
        settings: Option<&'a ConnectorSettings>,
    ) -> BoxFuture<'a, VerifyResult> {
        Box::pin(self.verify_account(settings))
    }

    fn webhook(&self, req: WebhookRequest<'_>) -> Result<WebhookBatch, WebhookRefusal> {
        let settings = Settings::parse(req.settings).map_err(WebhookRefusal::NotConfigured)?;
        let key = settings.hmac_key.ok_or_else(|| {
            WebhookRefusal::NotConfigured(
                "the gateway's settings have no hmacKey (the webhook's HMAC key)".into(),
            )
        })?;
        webhook::read(req.body, key.expose())
    }
}
