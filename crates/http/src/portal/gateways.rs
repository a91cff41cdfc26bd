//! Creating a gateway from the portal, as `POST /v1/gateways` does: pick a type, type its
//! settings, and the engine checks and seals them exactly as for the API.
//!
//! Why one form per type, built from the connector's own field list
//! (`Connector::settings_fields`): the fields differ per gateway and a page with no script
//! cannot show and hide them, and a second list kept here could drift from what the connector
//! checks. Settings are write-only: credentials go in password inputs, and no page — not even
//! the form sent back with an error — ever renders a secret typed into it. The sandbox type is
//! offered in sandbox mode only (the engine refuses it for live credentials anyway).

use super::{Posted, Session, csrf_field, engine_failure, page};
use crate::AppState;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use openflex_engine::EngineError;
use openflex_engine::connector::ConnectorSettings;
use openflex_engine::gateways::{GatewayInput, GatewayType};
use openflex_engine::portal::PortalSession;
use serde::Deserialize;
use std::collections::HashMap;

/// Prefix of a settings field's form name (`setting.secretKey`), so a settings key can never
/// collide with the form's own fields.
const SETTING: &str = "setting.";

#[derive(Deserialize, Default)]
pub struct NewQuery {
    #[serde(rename = "type")]
    gateway_type: Option<String>,
}

/// The type picker, or the chosen type's form.
pub async fn new_gateway(
    State(st): State<AppState>,
    Session(s): Session,
    Query(q): Query<NewQuery>,
) -> Response {
    let types = st.engine.gateway_types(s.tenant.mode);
    let chosen = q
        .gateway_type
        .as_deref()
        .and_then(|t| types.iter().find(|g| g.gateway_type == t));
    match chosen {
        Some(g) => form_page(&s, g, &Typed::default(), None, StatusCode::OK),
        None => {
            let body = html! {
                p { "Choose the gateway type. Its credentials are sealed when saved and never shown again." }
                ul class="types" {
                    @for g in &types {
                        li { a href={ "/portal/gateways/new?type=" (g.gateway_type) } { (label(g.gateway_type)) } }
                    }
                }
                p { a href="/portal/settings" { "Back to settings" } }
            };
            page(&s, "settings", "Add a gateway", None, body)
        }
    }
}

/// What the user typed, minus the CSRF token.
#[derive(Deserialize, Default)]
pub struct Typed {
    #[serde(default)]
    gateway_type: String,
    #[serde(default)]
    name: String,
    #[serde(flatten)]
    rest: HashMap<String, String>,
}

impl Typed {
    fn setting(&self, name: &str) -> &str {
        self.rest
            .get(&format!("{SETTING}{name}"))
            .map(|v| v.trim())
            .unwrap_or("")
    }
}

/// Creates the gateway; on a refusal the form comes back naming the field, with the name and
/// the non-secret settings as typed and every credential input empty.
pub async fn create_gateway(State(st): State<AppState>, Posted(s, f): Posted<Typed>) -> Response {
    let types = st.engine.gateway_types(s.tenant.mode);
    let Some(g) = types.iter().find(|g| g.gateway_type == f.gateway_type) else {
        return super::problem(
            StatusCode::BAD_REQUEST,
            "gatewayType: choose one of the types offered for this mode.",
        );
    };
    let mut settings = Vec::new();
    for field in g.settings {
        let v = f.setting(field.name);
        if !v.is_empty() {
            settings.push((field.name, v));
        }
    }
    let input = GatewayInput {
        name: Some(f.name.trim().to_string()),
        gateway_type: Some(g.gateway_type.to_string()),
        settings: (!settings.is_empty()).then(|| ConnectorSettings::from_fields(settings)),
        ..GatewayInput::default()
    };
    match st.engine.create_gateway(&s.tenant, input).await {
        Ok(_) => Redirect::to("/portal/settings?msg=gateway-created").into_response(),
        Err(EngineError::Invalid(why)) => form_page(&s, g, &f, Some(&why), StatusCode::BAD_REQUEST),
        Err(e) => engine_failure(e),
    }
}

pub(super) fn label(gateway_type: &str) -> &str {
    match gateway_type {
        "stripe" => "Stripe",
        "adyen" => "Adyen",
        "nmi" => "NMI",
        "authorizenet" => "Authorize.net",
        "sandbox" => "Sandbox (test cards, no money moves)",
        other => other,
    }
}

fn form_page(
    s: &PortalSession,
    g: &GatewayType,
    typed: &Typed,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let body = html! {
        @if let Some(e) = error {
            p class="error" role="alert" { (e) }
        }
        form method="post" action="/portal/gateways" class="stack" autocomplete="off" {
            (csrf_field(s))
            input type="hidden" name="gateway_type" value=(g.gateway_type);
            label for="name" { "Name" }
            input id="name" name="name" required maxlength="100" value=(typed.name);
            @for field in g.settings {
                (setting_input(field, typed))
            }
            button type="submit" { "Create gateway" }
        }
        p class="hint" { "Settings are write-only: they are sealed when saved and never shown again." }
        p { a href="/portal/gateways/new" { "Choose another type" } }
    };
    let mut resp = page(
        s,
        "settings",
        &format!("Add a {} gateway", label(g.gateway_type)),
        None,
        body,
    );
    *resp.status_mut() = status;
    resp
}

fn setting_input(field: &openflex_engine::connector::SettingField, typed: &Typed) -> Markup {
    let id = format!("setting-{}", field.name);
    let name = format!("{SETTING}{}", field.name);
    let kept = if field.secret {
        ""
    } else {
        typed.setting(field.name)
    };
    html! {
        label for=(id) { (field.label) @if !field.required { " (optional)" } " " code { (field.name) } }
        @if !field.choices.is_empty() {
            select id=(id) name=(name) {
                @if !field.required { option value="" { "—" } }
                @for c in field.choices {
                    option value=(c) selected[kept == *c] { (c) }
                }
            }
        } @else if field.secret {
            input id=(id) name=(name) type="password" autocomplete="new-password" required[field.required];
        } @else {
            input id=(id) name=(name) value=(kept) required[field.required];
        }
    }
}
