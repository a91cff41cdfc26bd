//! Becoming a customer: the localised texts and terms of the apply flow, the hosted widget's
//! session and the credit application itself (docs/flexiti.md §2.5).

use super::body::FlexitiBody;
use super::routes::ok;
use super::wire::{ApplyResponse, I18nResponse, TermsResponse, WidgetResponse, widget_url};
use super::{Access, ErrorBody, FlexitiCall, messages, request};
use crate::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::json;

/// Localisation strings of the customer-facing flows, in `lang` (GET, or POST without a body).
#[utoipa::path(method(get, post), path = "/flexiti/pos-api/v2.5/client-id/{client_id}/i18n", tag = "Flexiti",
    params(("client_id" = String, Path), ("lang" = Option<String>, Query, description = "en (default) or fr")),
    responses((status = 200, body = I18nResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("flexiti_bearer" = [])))]
pub async fn i18n(
    State(st): State<AppState>,
    call: FlexitiCall,
    Path(client_id): Path<String>,
) -> Response {
    let r = async {
        call.auth(&st, &client_id, Access::Customer).await?;
        ok(&I18nResponse {
            lang: call.lang.as_str(),
            strings: json!(messages::ui_strings(call.lang)),
        })
    }
    .await;
    call.finish(r)
}

/// The terms and conditions shown in the apply flow, in `lang`.
#[utoipa::path(get, path = "/flexiti/pos-api/v2.5/client-id/{client_id}/terms-and-conditions", tag = "Flexiti",
    params(("client_id" = String, Path), ("lang" = Option<String>, Query)),
    responses((status = 200, body = TermsResponse), (status = 401, body = ErrorBody)),
    security(("flexiti_bearer" = [])))]
pub async fn terms(
    State(st): State<AppState>,
    call: FlexitiCall,
    Path(client_id): Path<String>,
) -> Response {
    let r = async {
        call.auth(&st, &client_id, Access::Customer).await?;
        let (version, text) = messages::terms(call.lang);
        ok(&TermsResponse {
            lang: call.lang.as_str(),
            version,
            terms_and_conditions: text,
        })
    }
    .await;
    call.finish(r)
}

/// Start a hosted widget session (apply or purchase); answers the URL of its page
/// (`widget::router`).
#[utoipa::path(post, path = "/flexiti/pos-api/v2.5/client-id/{client_id}/widget/init", tag = "Flexiti",
    params(("client_id" = String, Path), ("lang" = Option<String>, Query)),
    request_body(content = Object, description = "`flow` (purchase | apply), `lang`, `customer_identification{account_number | vcc_number | personal_information{first_name,last_name,dob,postal_code}, account_type}`, and for apply `tos_agreement`, `email`, `phone_number`, `address_1`, `address_2`, `city`, `province`; openflex also reads `amount` (the cart, quoted on the page), `return_url` (absolute http(s); merchant-scope tokens only) and `reference` (the order, ≤40, carried to the authorization)"),
    responses((status = 200, body = WidgetResponse), (status = 403, description = "insufficient_scope (a return_url from a customer-scope token)", body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, description = "wrong_inputs, vcc_account_mismatch", body = ErrorBody)),
    security(("flexiti_bearer" = [])))]
pub async fn widget_init(
    State(st): State<AppState>,
    call: FlexitiCall,
    Path(client_id): Path<String>,
    body: FlexitiBody,
) -> Response {
    let r = async {
        let c = call.auth(&st, &client_id, Access::Customer).await?;
        let (init, lang) = request::widget(&body.object()?)?;
        let session = st.engine.flexiti_widget_init(&c, init).await?;
        let url = widget_url(
            call.scheme,
            &call.host,
            &client_id,
            &session.token,
            lang,
            call.reference_id.as_deref().unwrap_or_default(),
            &session.session_id,
        );
        ok(&WidgetResponse {
            redirection_url: url,
            widget_session_id: session.session_id,
        })
    }
    .await;
    call.finish(r)
}

/// Submit a credit application: approved (the account and its card number, shown once),
/// pending review, or declined.
#[utoipa::path(post, path = "/flexiti/pos-api/v2.5/client-id/{client_id}/apply", tag = "Flexiti",
    params(("client_id" = String, Path), ("lang" = Option<String>, Query)),
    request_body(content = Object, description = "`first_name`, `last_name`, `dob`, `email`, `phone_number`, `address_1`, `address_2`, `city`, `province`, `postal_code`, `annual_income`, `tos_agreement` (must be true), `account_type`, `salutation`, `govid_type`, `govid_number`, `security_qid`, `security_answer`, `preferred_language`, `widget_session_id` (online), `request_id`, `external_location_id`, `external_employee_id` (in-store)"),
    responses((status = 200, body = ApplyResponse), (status = 400, description = "general_error (unreadable body)", body = ErrorBody),
        (status = 409, description = "application_create_error, tos_agreement_required, customer_already_exists, application_declined, not_verified, external_location_id_not_found, account_type_not_permitted, wrong_inputs", body = ErrorBody)),
    security(("flexiti_bearer" = [])))]
pub async fn apply(
    State(st): State<AppState>,
    call: FlexitiCall,
    Path(client_id): Path<String>,
    body: FlexitiBody,
) -> Response {
    let r = async {
        let c = call.auth(&st, &client_id, Access::Customer).await?;
        let application = request::application(&body.object()?)?;
        let out = st.engine.flexiti_apply(&c, application).await?;
        ok(&ApplyResponse::from(out))
    }
    .await;
    call.finish(r)
}
