//! `/v1/oauth2/token`: the only unauthenticated FlexFactor route besides `/tokenize` with a
//! tokenization key, so bad credentials count against the caller's failed-auth budget here.

use super::request::{self, Credentials};
use super::wire::{Envelope, TokenResponse};
use super::{BadRequest, failure, problem};
use crate::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// Obtain a 10-minute access token (`{AppKey, AppSecret}`), or refresh one (`{refreshToken}`;
/// each refresh token works once, and a spent one presented again revokes every token refreshed
/// from the same login).
#[utoipa::path(post, path = "/v1/oauth2/token", tag = "FlexFactor",
    request_body(content = Object, description = "`{\"AppKey\",\"AppSecret\"}` (also `client_id`/`client_secret`), or `{\"refreshToken\"}`"),
    responses((status = 200, body = TokenResponse), (status = 400, description = "Bad credentials (400001) or missing fields", body = BadRequest)))]
pub async fn token(
    State(s): State<AppState>,
    parts: axum::http::request::Parts,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let v = match request::json_body(body) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let pair = match request::credentials(&v) {
        Ok(Credentials::Refresh(refresh)) => s.engine.ff_refresh(&refresh).await,
        Ok(Credentials::Login { key, secret }) => s.engine.ff_token(&key, &secret).await,
        Err(r) => return *r,
    };
    match pair {
        Ok(Some(p)) => {
            let ttl = (p.expires_ms / 1000 - s.engine.now().unix_timestamp()).max(0);
            Json(TokenResponse {
                access_token: p.access_token,
                refresh_token: p.refresh_token,
                expires: p.expires_ms,
                id: p.client_id,
                token_type: "Bearer".into(),
                expires_in: ttl,
                session: None,
                days_to_enforce_mfa: None,
                skip_available: None,
                envelope: Envelope {
                    result: None,
                    ..Envelope::ok(None)
                },
            })
            .into_response()
        }
        Ok(None) => match s.failed_auth.api.failed(s.client_ip(&parts)) {
            Some(retry_after) => crate::too_many_failures(retry_after),
            None => problem(
                StatusCode::BAD_REQUEST,
                "400001",
                "Invalid client credentials or refresh token.",
            ),
        },
        Err(e) => failure(e),
    }
}
