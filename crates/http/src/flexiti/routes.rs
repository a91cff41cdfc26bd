//! The Flexiti route table, in one place so both versions serve the same catalogue
//! (docs/flexiti.md Decision 1) and every unknown path, and every method a path does not take,
//! answers in the dialect's error shape.

use super::{FlexitiCall, FlexitiError, auth, customers, ledger, lists, onboarding};
use crate::AppState;
use axum::Json;
use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

fn routes() -> Router<AppState> {
    Router::new()
        .route("/oauth/token", post(auth::token))
        .route(
            "/client-id/{client_id}/merchants/login",
            post(auth::merchant_login),
        )
        .route(
            "/client-id/{client_id}/i18n",
            get(onboarding::i18n).post(onboarding::i18n),
        )
        .route(
            "/client-id/{client_id}/terms-and-conditions",
            get(onboarding::terms),
        )
        .route(
            "/client-id/{client_id}/customers/search",
            get(customers::search),
        )
        .route(
            "/client-id/{client_id}/customers/lookup",
            get(customers::lookup),
        )
        .route(
            "/client-id/{client_id}/customers/driverslicense",
            post(customers::drivers_licence),
        )
        .route(
            "/client-id/{client_id}/account/{account_number}/verify",
            post(customers::verify),
        )
        .route(
            "/client-id/{client_id}/accounts/{account_number}/calculate-interest",
            post(customers::calculate).get(customers::calculate),
        )
        .route(
            "/client-id/{client_id}/accounts/{account_number}/close",
            post(customers::close),
        )
        .route(
            "/client-id/{client_id}/accounts/{account_number}/refund",
            post(ledger::refund),
        )
        .route(
            "/client-id/{client_id}/widget/init",
            post(onboarding::widget_init),
        )
        .route("/client-id/{client_id}/apply", post(onboarding::apply))
        .route(
            "/client-id/{client_id}/transactions",
            post(ledger::transactions),
        )
        .route(
            "/client-id/{client_id}/authorization",
            post(ledger::authorize),
        )
        .route(
            "/client-id/{client_id}/authorization/{authorization_id}",
            get(ledger::show_authorization),
        )
        .route(
            "/client-id/{client_id}/authorization/{authorization_id}/release",
            post(ledger::release),
        )
        .route(
            "/client-id/{client_id}/authorization/{authorization_id}/capture",
            post(ledger::capture),
        )
        .route(
            "/client-id/{client_id}/authorization/{authorization_id}/capture/{capture_id}/return",
            post(ledger::return_capture),
        )
        .route(
            "/client-id/{client_id}/authorizations",
            get(lists::list_authorizations),
        )
        .route("/client-id/{client_id}/captures", get(lists::list_captures))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
}

/// Every route under both versions (docs/flexiti.md Decision 1).
pub fn router() -> Router<AppState> {
    Router::new()
        .nest("/flexiti/pos-api/v2.5", routes())
        .nest("/flexiti/pos-api/v2.5.1", routes())
}

async fn not_found(call: FlexitiCall) -> Response {
    call.error(FlexitiError::code("not_found"))
}

/// A method the path does not take: `method_not_allowed` in the dialect's error body (the
/// framework adds the `Allow` header listing the methods the path does take).
async fn method_not_allowed(call: FlexitiCall) -> Response {
    call.error(FlexitiError::code("method_not_allowed"))
}

/// A success answer: the view as JSON, HTTP 200.
pub fn ok<T: serde::Serialize>(body: &T) -> Result<Response, FlexitiError> {
    Ok(Json(body).into_response())
}
