//! What every connector does on the wire the same way: one pooled HTTP client per connector, the
//! line between "never sent" (safe to call a failure) and "sent, answer lost" (an unknown
//! outcome), and request / response bodies at debug level with card data and keys masked.

use crate::ConnectorConfig;
use openflex_domain::codes::ResponseCode;
use openflex_engine::connector::ConnectorResult;

/// A connector's HTTP client: rustls, pooled, with the operator's timeouts.
#[derive(Clone)]
pub struct Wire {
    client: reqwest::Client,
    gateway: &'static str,
}

/// How a call ended.
#[derive(Debug)]
pub enum Sent {
    /// The gateway answered with a complete body.
    Answered { status: u16, body: String },
    /// No connection was made: the gateway never saw the request.
    NotSent(String),
    /// The request went out and no usable answer came back (timeout, reset, a body cut short).
    Lost(String),
}

impl Wire {
    pub fn new(gateway: &'static str, config: &ConnectorConfig) -> Self {
        let client = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .pool_idle_timeout(std::time::Duration::from_secs(90))
            .user_agent(concat!("openflex/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("a TLS client builds with the bundled roots");
        Self { client, gateway }
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Sends `req`. `logged_body` gives the request body as the debug log may show it, already
    /// masked ([`masked_form`], [`masked_json`]); `tracing` evaluates it only when that log line
    /// is enabled, so the masking costs nothing on the payment path otherwise.
    pub async fn send(
        &self,
        req: reqwest::RequestBuilder,
        logged_body: impl FnOnce() -> String,
    ) -> Sent {
        let gateway = self.gateway;
        tracing::debug!(gateway, body = logged_body(), "gateway request");
        let response = match req.send().await {
            Ok(r) => r,
            Err(e) if e.is_connect() => {
                tracing::warn!(gateway, error = %e, "gateway not reached");
                return Sent::NotSent(format!("{gateway} could not be reached"));
            }
            Err(e) => {
                tracing::warn!(gateway, error = %e, "gateway answer lost");
                return Sent::Lost(lost_reason(gateway, &e));
            }
        };
        let status = response.status().as_u16();
        match response.text().await {
            Ok(body) => {
                tracing::debug!(gateway, status, "gateway answer");
                Sent::Answered { status, body }
            }
            Err(e) => {
                tracing::warn!(gateway, status, error = %e, "gateway answer cut short");
                Sent::Lost(lost_reason(gateway, &e))
            }
        }
    }
}

fn lost_reason(gateway: &str, e: &reqwest::Error) -> String {
    if e.is_timeout() {
        format!("{gateway} did not answer in time")
    } else {
        format!("the connection to {gateway} ended before its answer")
    }
}

/// A call the gateway never saw: a refusal the retry policy may retry within hours ("System
/// error"), because nothing was charged.
pub fn not_sent(why: String) -> ConnectorResult {
    ConnectorResult {
        gateway_message: Some(why),
        ..ConnectorResult::refused(ResponseCode(20046))
    }
}

/// A form body for the debug log, with the values of `sensitive` keys masked.
/// `message` (a gateway's own words) with every secret in `secrets` replaced by `[masked]`:
/// some gateways quote what they were sent back in an error.
pub fn scrub(message: &str, secrets: &[&str]) -> String {
    secrets
        .iter()
        .filter(|s| s.len() >= 3)
        .fold(message.to_string(), |m, s| m.replace(s, "[masked]"))
}

pub fn masked_form(pairs: &[(String, String)], sensitive: &[&str]) -> String {
    form_urlencoded_like(pairs.iter().map(|(k, v)| {
        let hidden = sensitive.iter().any(|name| k.contains(name));
        (k.as_str(), if hidden { MASK } else { v.as_str() })
    }))
}

/// A JSON body for the debug log, with the values of `sensitive` keys (at any depth) masked.
pub fn masked_json(value: &serde_json::Value, sensitive: &[&str]) -> String {
    fn walk(v: &serde_json::Value, sensitive: &[&str]) -> serde_json::Value {
        match v {
            serde_json::Value::Object(map) => serde_json::Value::Object(
                map.iter()
                    .map(|(k, v)| {
                        let hidden = sensitive.iter().any(|name| k == name);
                        let v = if hidden {
                            serde_json::Value::String(MASK.into())
                        } else {
                            walk(v, sensitive)
                        };
                        (k.clone(), v)
                    })
                    .collect(),
            ),
            serde_json::Value::Array(items) => {
                serde_json::Value::Array(items.iter().map(|i| walk(i, sensitive)).collect())
            }
            other => other.clone(),
        }
    }
    walk(value, sensitive).to_string()
}

const MASK: &str = "[masked]";

fn form_urlencoded_like<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    pairs
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_hides_sensitive_values_only() {
        let pairs = vec![
            ("ccnumber".to_string(), "4111111111111111".to_string()),
            ("cvv".to_string(), "123".to_string()),
            ("amount".to_string(), "10.00".to_string()),
        ];
        let s = masked_form(&pairs, &["ccnumber", "cvv"]);
        assert_eq!(s, "ccnumber=[masked]&cvv=[masked]&amount=10.00");
        let j =
            serde_json::json!({"card": {"number": "4111111111111111", "cvc": "123"}, "amount": 5});
        let s = masked_json(&j, &["number", "cvc"]);
        assert!(!s.contains("4111") && !s.contains("123") && s.contains("\"amount\":5"));
    }
}
