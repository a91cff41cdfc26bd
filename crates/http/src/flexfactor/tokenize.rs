//! `/v1/tokenize`: vaults a card for `/evaluate`, authenticated either by a bearer token or by
//! the merchant's tokenization key (a browser form holds no bearer token).

use super::auth::unauthorized;
use super::body::Errors;
use super::request;
use super::wire::{Envelope, TokenizeResponse, TokenizeTransaction, TokenizedCard};
use super::{BadRequest, ProblemDetails, failure, internal, validation};
use crate::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use openflex_engine::flexfactor::auth::{BearerError, FfCaller};
use openflex_engine::{Mode, PaymentMethod};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct TokenizeQuery {
    mid: Option<String>,
    environment: Option<String>,
}

/// Vault a card; the token goes in `paymentMethod.cardNumber` of `/evaluate` (and works as a
/// FlexPay `paymentMethodId` of the same merchant and mode).
#[utoipa::path(post, path = "/v1/tokenize", tag = "FlexFactor",
    params(("mid" = Option<String>, Query), ("environment" = Option<String>, Query, description = "The tokenization key (instead of a bearer token)")),
    request_body(content = Object, description = "`{\"payment_method\":{\"email\",\"credit_card\":{\"first_name\",\"last_name\",\"number\",\"verification_value\",\"month\",\"year\"}}}` (camelCase `creditCard` accepted)"),
    responses((status = 200, body = TokenizeResponse), (status = 400, description = "Validation map", body = BadRequest), (status = 401, body = ProblemDetails)))]
pub async fn tokenize(
    State(s): State<AppState>,
    parts: Parts,
    query: Result<Query<TokenizeQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let caller = match caller(&s, &parts, query).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let new = match request::json_body(body).and_then(|v| request::tokenize(&v)) {
        Ok(new) => new,
        Err(r) => return *r,
    };
    let email = new.holder.email.clone();
    match s.engine.create_payment_method(&caller.tenant, new).await {
        Ok(Ok(t)) => {
            let Some(p) = t.payment_method else {
                return internal("tokenize: no payment method");
            };
            let at = openflex_domain::time::rfc3339(t.created_at);
            Json(tokenized(&caller, &p, at, email)).into_response()
        }
        Ok(Err(rejection)) => {
            let mut errors = Errors::default();
            let path = if rejection.code.0 == 30026 {
                "PaymentMethod.CreditCard.Year"
            } else {
                "PaymentMethod.CreditCard.Number"
            };
            errors.add(path, rejection.code.message());
            validation(errors)
        }
        Err(e) => failure(e),
    }
}

/// The merchant behind a bearer token, or behind `?mid=&environment=` (the tokenization key).
async fn caller(
    s: &AppState,
    parts: &Parts,
    query: Result<Query<TokenizeQuery>, QueryRejection>,
) -> Result<FfCaller, Response> {
    let q = query.map(|Query(q)| q).unwrap_or(TokenizeQuery {
        mid: None,
        environment: None,
    });
    match (crate::bearer_token(parts), q.mid, q.environment) {
        (Some(token), _, _) => match s.engine.ff_authenticate(Some(&token)).await {
            Ok(Ok(c)) => Ok(c),
            Ok(Err(why)) => Err(unauthorized(s, parts, why)),
            Err(e) => Err(failure(e)),
        },
        (None, Some(mid), Some(key)) => match s.engine.ff_tokenization_auth(&mid, &key).await {
            Ok(Some(c)) => Ok(c),
            Ok(None) => Err(unauthorized(s, parts, BearerError::Invalid)),
            Err(e) => Err(failure(e)),
        },
        _ => Err(unauthorized(s, parts, BearerError::Missing)),
    }
}

/// The vendor's answer for a stored card.
fn tokenized(
    caller: &FfCaller,
    p: &PaymentMethod,
    at: String,
    email: Option<String>,
) -> TokenizeResponse {
    TokenizeResponse {
        transaction: TokenizeTransaction {
            on_test_gateway: caller.tenant.mode == Mode::Sandbox,
            created_at: at.clone(),
            updated_at: at.clone(),
            succeeded: true,
            transaction_type: "Store".into(),
            amount: 0,
            payment_method_added: true,
            message: "Succeeded!".into(),
            payment_method: TokenizedCard {
                token: p.id.clone(),
                created_at: at.clone(),
                updated_at: at,
                email,
                storage_state: "retained".into(),
                test: caller.tenant.mode == Mode::Sandbox,
                last_four_digits: p.last_four.clone(),
                first_six_digits: p.first_six.clone(),
                card_type: p.card_type.as_deref().map(str::to_ascii_lowercase),
                first_name: p.holder.first_name.clone(),
                last_name: p.holder.last_name.clone(),
                month: p.expiry_month.as_deref().and_then(|m| m.parse().ok()),
                year: p.expiry_year.as_deref().and_then(|y| y.parse().ok()),
                full_name: p.holder.full_name.clone(),
                payment_method_type: "credit_card".into(),
                fingerprint: p.fingerprint.clone(),
                verification_value: p.has_cvv.then(|| "***".to_string()),
                number: p.masked_number.clone(),
            },
        },
        card_bin_info: None,
        envelope: Envelope {
            result: None,
            ..Envelope::ok(None)
        },
    }
}
