//! One error type for the non-dialect parts (admin, ops) and for engine failures, mapped to
//! HTTP in one place. Dialect business outcomes never come through here: they are rendered
//! by their dialect with HTTP 200 as the contracts require.

use crate::flexpay::wire::MessageBody;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use openflex_engine::EngineError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("Unauthorized")]
    Unauthorized,
    /// Unauthorized, saying why (a webhook whose signature cannot be verified).
    #[error("{0}")]
    Unauthenticated(String),
    #[error("Not Found")]
    NotFound,
    #[error("{0}")]
    BadRequest(String),
    #[error("service unavailable")]
    Unavailable,
    #[error("internal error")]
    Internal(String),
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        if let Some(m) = e.unavailable() {
            tracing::error!(error = %m, "database unavailable");
            return Self::Unavailable;
        }
        match e {
            EngineError::NotFound => Self::NotFound,
            EngineError::Unauthorized => Self::Unauthorized,
            EngineError::Invalid(m) => Self::BadRequest(m),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message) = match &self {
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, "Unauthorized".to_string()),
            Self::Unauthenticated(m) => (StatusCode::UNAUTHORIZED, m.clone()),
            Self::NotFound => (StatusCode::NOT_FOUND, "Not Found".to_string()),
            Self::BadRequest(m) => (StatusCode::BAD_REQUEST, m.clone()),
            Self::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Service temporarily unavailable; retry later.".to_string(),
            ),
            Self::Internal(detail) => {
                tracing::error!(error = %detail, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal Server Error".to_string(),
                )
            }
        };
        let resp = (status, Json(MessageBody { message })).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            return crate::retry_after(resp, crate::UNAVAILABLE_RETRY_AFTER);
        }
        resp
    }
}
