//! Bearer authentication for FlexFactor routes: one extractor, so every handler refuses a
//! missing, expired or revoked token with the same 401 codes and counts it against the
//! client's failed-auth budget.

use super::{failure, problem};
use crate::AppState;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use openflex_engine::flexfactor::auth::{BearerError, FfCaller};

/// A caller authenticated by `Authorization: Bearer <accessToken>`.
pub struct FfAuth(pub FfCaller);

impl FromRequestParts<AppState> for FfAuth {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = crate::bearer_token(parts);
        match state.engine.ff_authenticate(token.as_deref()).await {
            Ok(Ok(caller)) => Ok(Self(caller)),
            Ok(Err(why)) => Err(unauthorized(state, parts, why)),
            Err(e) => Err(failure(e)),
        }
    }
}

pub(super) fn unauthorized(state: &AppState, parts: &Parts, why: BearerError) -> Response {
    if let Some(retry_after) = state.failed_auth.api.failed(state.client_ip(parts)) {
        return crate::too_many_failures(retry_after);
    }
    let (code, detail) = match why {
        BearerError::Missing => ("401001", "A bearer access token is required."),
        BearerError::Expired => (
            "401002",
            "The access token has expired; request a new one from /v1/oauth2/token.",
        ),
        BearerError::Invalid => (
            "401003",
            "The access token is invalid or its API client was revoked.",
        ),
    };
    problem(StatusCode::UNAUTHORIZED, code, detail)
}
