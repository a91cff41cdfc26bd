//! The Flexiti POS API v2.5 dialect (docs/flexiti.md, Decisions 1–11), served under both
//! `/flexiti/pos-api/v2.5/` and `/flexiti/pos-api/v2.5.1/`.
//!
//! Every answer that is not a success is `{url, message, error, field_errors?}` with the
//! message in the request's `lang`; HTTP statuses follow the vendor's table (409 for input and
//! business-rule failures), decided in [`status_of`] and nowhere else. Secret fields
//! (client secret, PIN, card number, security answer, government id) are never echoed in a
//! field error's `value`.

pub mod auth;
pub mod body;
pub mod customers;
mod idempotent;
pub mod ledger;
pub mod lists;
pub mod messages;
pub mod onboarding;
pub mod request;
mod routes;
pub mod widget;
pub mod wire;

pub use routes::router;

use crate::AppState;
use axum::Json;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use messages::Lang;
use openflex_engine::financing::{Distrust, FlexitiCaller, FlexitiFail, Origin, Refusal, Scope};
use serde::Serialize;
use std::net::IpAddr;
use utoipa::ToSchema;

/// One failing input.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldError {
    pub param: String,
    pub msg: String,
    /// The value sent (absent for secret fields).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<serde_json::Value>,
}

/// The error body of every failure.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub url: String,
    pub message: String,
    pub error: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub field_errors: Vec<FieldError>,
}

/// A request refused before a handler ran (e.g. for its query string): `general_error`.
pub fn refuse(path: &str, why: &str) -> Response {
    let body = ErrorBody {
        url: path.to_string(),
        message: messages::message("general_error", messages::Lang::En).to_string(),
        error: "general_error".into(),
        field_errors: vec![FieldError {
            param: "query".into(),
            msg: why.into(),
            value: None,
        }],
    };
    (status_of("general_error"), Json(body)).into_response()
}

/// A failure before it is rendered (the renderer knows the url and language).
#[derive(Debug)]
pub struct FlexitiError {
    pub code: &'static str,
    pub field_errors: Vec<FieldError>,
    pub retry_after: Option<u64>,
}

impl FlexitiError {
    pub fn code(code: &'static str) -> Self {
        Self {
            code,
            field_errors: Vec::new(),
            retry_after: None,
        }
    }

    pub fn inputs(field_errors: Vec<FieldError>) -> Self {
        Self {
            code: "wrong_inputs",
            field_errors,
            retry_after: None,
        }
    }
}

impl From<FlexitiFail> for FlexitiError {
    fn from(f: FlexitiFail) -> Self {
        match f {
            FlexitiFail::Refused(r) => r.into(),
            FlexitiFail::Engine(e) if crate::database_away(&e) => {
                tracing::error!(error = %e, "database unavailable");
                Self {
                    retry_after: Some(crate::UNAVAILABLE_RETRY_AFTER),
                    ..Self::code("service_unavailable")
                }
            }
            FlexitiFail::Engine(e) => {
                tracing::error!(error = %e, "flexiti internal error");
                Self::code("internal_error")
            }
        }
    }
}

impl From<Refusal> for FlexitiError {
    fn from(r: Refusal) -> Self {
        let mut e = Self::code(r.code);
        // A refusal for where the call came from says what to change (docs/flexiti.md §2.1).
        let (param, msg, value) = match r.distrust {
            None => return e,
            Some(Distrust::PlainHttp) => ("scheme", "https_required", Some("http".into())),
            Some(Distrust::UntrustedSource) => ("source_address", "untrusted_network", None),
        };
        e.field_errors.push(FieldError {
            param: param.into(),
            msg: msg.into(),
            value,
        });
        e
    }
}

impl From<openflex_engine::EngineError> for FlexitiError {
    fn from(e: openflex_engine::EngineError) -> Self {
        FlexitiFail::Engine(e).into()
    }
}

/// The HTTP status of an error code (docs/flexiti.md §2.7).
pub fn status_of(code: &str) -> StatusCode {
    match code {
        "invalid_token" => StatusCode::UNAUTHORIZED,
        "insufficient_scope" | "client_id_mismatch" => StatusCode::FORBIDDEN,
        "not_found" | "customer_identity_not_found" => StatusCode::NOT_FOUND,
        "invalid_client"
        | "invalid_request"
        | "unsupported_grant_type"
        | "invalid_grant"
        | "general_error"
        | "sms_not_valid_phone" => StatusCode::BAD_REQUEST,
        "method_not_allowed" => StatusCode::METHOD_NOT_ALLOWED,
        "too_many_requests" => StatusCode::TOO_MANY_REQUESTS,
        "internal_error" => StatusCode::INTERNAL_SERVER_ERROR,
        "service_unavailable" => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::CONFLICT,
    }
}

/// What every Flexiti request carries besides its body: the path (for `url`), the language,
/// the reference id, the bearer token, idempotency headers, the client address and the scheme
/// it used (both as a trusted proxy tells, see [`crate::client`]).
pub struct FlexitiCall {
    pub url: String,
    pub lang: Lang,
    lang_given: Option<String>,
    pub reference_id: Option<String>,
    bearer: Option<String>,
    pub idempotency_key: Option<String>,
    pub context_hash: Option<String>,
    pub host: String,
    /// `https` when openflex terminated TLS or a trusted proxy says it did (see
    /// [`crate::client::scheme`]).
    pub scheme: &'static str,
    client: Option<IpAddr>,
    pub headers: HeaderMap,
}

impl FromRequestParts<AppState> for FlexitiCall {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let h = &parts.headers;
        let text = |name: &str| {
            h.get(name)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        let lang_given = parts.uri.query().and_then(|q| {
            form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "lang")
                .map(|(_, v)| v.into_owned())
        });
        let bearer = text("authorization").and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| token.trim().to_string())
        });
        // Routes are nested under the version prefix: the original URI carries the full path.
        let url = parts
            .extensions
            .get::<axum::extract::OriginalUri>()
            .map(|u| u.0.path().to_string())
            .unwrap_or_else(|| parts.uri.path().to_string());
        Ok(Self {
            url,
            lang: lang_given
                .as_deref()
                .and_then(Lang::parse)
                .unwrap_or_default(),
            lang_given,
            reference_id: text("x-reference-id"),
            bearer,
            // The merchant's own text, so UTF-8 (`to_str` takes visible ASCII only and would
            // drop "café" — the request would run unkeyed), and in NFC like every id.
            idempotency_key: h
                .get("x-idempotency-key")
                .and_then(|v| std::str::from_utf8(v.as_bytes()).ok())
                .map(|s| crate::nfc(s.trim()))
                .filter(|s| !s.is_empty()),
            context_hash: text("x-context-hash"),
            host: text("host").unwrap_or_else(|| "localhost".into()),
            scheme: crate::client::scheme(parts, &state.trusted_proxies),
            client: state.client_ip(parts),
            headers: parts.headers.clone(),
        })
    }
}

/// Which tokens may call an endpoint (docs/flexiti.md §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Merchant and customer tokens.
    Customer,
    /// Merchant tokens only.
    Merchant,
}

impl FlexitiCall {
    /// Renders a result: the success as is, a failure as the dialect's error body.
    pub fn finish(&self, r: Result<Response, FlexitiError>) -> Response {
        match r {
            Ok(resp) => resp,
            Err(e) => self.error(e),
        }
    }

    pub fn error(&self, e: FlexitiError) -> Response {
        let status = status_of(e.code);
        metrics::counter!("openflex_flexiti_errors_total", "code" => e.code).increment(1);
        let msg_lang = self.lang;
        let field_errors = e
            .field_errors
            .into_iter()
            .map(|f| FieldError {
                msg: messages::field_message(&f.msg, msg_lang).to_string(),
                ..f
            })
            .collect();
        let body = ErrorBody {
            url: self.url.clone(),
            message: messages::message(e.code, self.lang).to_string(),
            error: e.code.to_string(),
            field_errors,
        };
        let resp = (status, Json(body)).into_response();
        match e.retry_after {
            Some(s) => crate::retry_after(resp, s),
            None => resp,
        }
    }

    /// A failed credential check: counts against the client's API budget (429 past it).
    pub fn auth_failure(&self, state: &AppState, code: &'static str) -> FlexitiError {
        match state.failed_auth.api.failed(self.client) {
            Some(retry_after) => FlexitiError {
                retry_after: Some(retry_after),
                ..FlexitiError::code("too_many_requests")
            },
            None => FlexitiError::code(code),
        }
    }

    /// How the call reached the server, for the client's trust rule.
    pub fn origin(&self) -> Origin {
        Origin {
            address: self.client,
            https: self.scheme == "https",
        }
    }

    /// `lang` must be `en` or `fr` when given.
    pub fn check_lang(&self) -> Result<(), FlexitiError> {
        match &self.lang_given {
            Some(l) if Lang::parse(l).is_none() => Err(FlexitiError::inputs(vec![FieldError {
                param: "lang".into(),
                msg: "invalid".into(),
                value: Some(serde_json::json!(l)),
            }])),
            _ => Ok(()),
        }
    }

    /// Bearer token → caller, then the reference id, the path's client id, and the scope.
    pub async fn auth(
        &self,
        state: &AppState,
        client_id: &str,
        access: Access,
    ) -> Result<FlexitiCaller, FlexitiError> {
        let Some(bearer) = &self.bearer else {
            return Err(self.auth_failure(state, "invalid_token"));
        };
        let caller = match state
            .engine
            .flexiti_authenticate(bearer, self.origin())
            .await
        {
            Ok(c) => c,
            Err(FlexitiFail::Refused(r)) if r.code == "invalid_token" => {
                return Err(self.auth_failure(state, "invalid_token"));
            }
            Err(e) => return Err(e.into()),
        };
        self.check_reference()?;
        self.check_lang()?;
        if caller.client_id != client_id {
            return Err(FlexitiError::code("client_id_mismatch"));
        }
        if access == Access::Merchant && caller.scope == Scope::Customer {
            return Err(FlexitiError::code("insufficient_scope"));
        }
        Ok(caller)
    }

    /// `x-reference-id`: required. The vendor documents a GUID of at most 32 characters; the
    /// dashed form (36) is accepted too, since that is what most GUID libraries print.
    pub fn check_reference(&self) -> Result<(), FlexitiError> {
        let bad = |msg: &str, v: Option<&str>| {
            Err(FlexitiError::inputs(vec![FieldError {
                param: "x-reference-id".into(),
                msg: msg.into(),
                value: v.map(|v| serde_json::json!(v)),
            }]))
        };
        match &self.reference_id {
            None => bad("required", None),
            Some(r) if r.chars().count() > 36 => bad("too_long", Some(r)),
            Some(r) if r.chars().any(|c| c.is_control()) => bad("invalid", None),
            Some(_) => Ok(()),
        }
    }
}
