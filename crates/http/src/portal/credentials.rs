//! API credentials in the portal: the list, issuing a new set, and revoking one.
//!
//! Each key is listed with the name its set was given, a preview of its secret's last four
//! characters and when it was last used, and the revoke confirmation repeats them, so a
//! merchant with several sets knows which key a revoke kills. Keys issued before names and
//! previews existed show "—".
//!
//! Issuing is post/redirect/get: the POST mints the set and leaves its secrets, sealed, in the
//! server-side session; the page it redirects to takes them out and shows them once. Reloading
//! that page mints nothing and shows nothing, so a refresh or a back button neither leaks the
//! secrets again nor issues a second set.

use super::confirm::{Ask, Confirmation, ask};
use super::{
    PageQuery, Posted, Session, at, csrf_field, engine_failure, flash, page, redirect_after, when,
};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use openflex_domain::key_label::NAME_MAX;
use openflex_engine::EngineError;
use openflex_engine::tenancy::CredentialInfo;
use serde::Deserialize;

/// The issue form: an optional name for the new set.
#[derive(Deserialize)]
pub struct IssueForm {
    #[serde(default)]
    name: String,
}

/// A credential's name, or "—" for a key issued without one.
fn name_of(c: &CredentialInfo) -> &str {
    c.name.as_deref().unwrap_or("—")
}

/// A credential's secret preview ("…abcd"), or "—" when it has none.
fn preview_of(c: &CredentialInfo) -> &str {
    c.preview.as_deref().unwrap_or("—")
}

/// How the revoke confirmation and the button's label name a key.
fn label(c: &CredentialInfo) -> Markup {
    html! {
        strong { (name_of(c)) } " (" (c.kind) ", secret " code { (preview_of(c)) }
        @if let Some(p) = &c.public_id { ", public id " code { (p) } }
        ")"
    }
}

/// The credentials of this mode (never their secrets), issue and revoke.
pub async fn credentials(
    State(st): State<AppState>,
    Session(s): Session,
    Query(q): Query<PageQuery>,
) -> Response {
    let creds = match st.engine.credentials(&s.tenant.merchant_id).await {
        Ok(c) => c,
        Err(e) => return engine_failure(e),
    };
    let mode = s.tenant.mode.as_str();
    let body = html! {
        form method="post" action="/portal/credentials" {
            (csrf_field(&s))
            label for="key-name" { "Name (optional)" }
            " "
            input id="key-name" name="name" type="text" maxlength=(NAME_MAX) placeholder="e.g. Checkout server";
            " "
            button type="submit" { "Issue new " (mode) " credentials" }
        }
        p class="hint" { "A new set works beside the old one until you revoke it; its secrets are shown once. The name helps you tell sets apart. Last used is updated at most once a minute." }
        div class="scroll" {
            table {
                thead { tr {
                    th scope="col" { "Name" } th scope="col" { "Kind" } th scope="col" { "Secret" }
                    th scope="col" { "Public id" } th scope="col" { "Created" } th scope="col" { "Last used" }
                    th scope="col" { "State" } th scope="col" { span class="sr-only" { "Actions" } }
                } }
                tbody {
                    @for c in creds.iter().filter(|c| c.mode == mode) {
                        tr {
                            td { (name_of(c)) }
                            td { (c.kind) }
                            td { code { (preview_of(c)) } }
                            td { code { (c.public_id.as_deref().unwrap_or("—")) } }
                            td { (at(c.created_at)) }
                            td { @if let Some(t) = c.last_used_at { (at(t)) } @else { "never" } }
                            td { (if c.revoked { "revoked" } else { "active" }) }
                            td {
                                @if !c.revoked {
                                    form method="post" action={ "/portal/credentials/" (c.id) "/revoke" } class="inline" {
                                        (csrf_field(&s))
                                        button type="submit" class="danger" aria-label={ "Revoke " (c.kind) " " (name_of(c)) " " (preview_of(c)) } { "Revoke…" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    page(
        &s,
        "credentials",
        "API credentials",
        flash(q.msg.as_deref()),
        body,
    )
}

/// Issues a full set for this mode under the given name; the page after the redirect shows
/// the secrets.
pub async fn issue(State(st): State<AppState>, Posted(s, f): Posted<IssueForm>) -> Response {
    match st.engine.portal_issue_credentials(&s, Some(&f.name)).await {
        Ok(()) => Redirect::to("/portal/credentials/new").into_response(),
        Err(e) => engine_failure(e),
    }
}

/// The secrets just issued, this once; afterwards the page says they were shown already.
pub async fn issued(State(st): State<AppState>, Session(s): Session) -> Response {
    let c = match st.engine.portal_take_issued(&s).await {
        Ok(c) => c,
        Err(e) => return engine_failure(e),
    };
    let Some(c) = c else {
        let body = html! {
            p class="error" role="alert" {
                "These secrets were already shown and are not stored anywhere, so they cannot be shown again. "
                "Nothing new was issued."
            }
            p { "If they were not copied, issue a new set and revoke the old one." }
            p { a href="/portal/credentials" { "Back to credentials" } }
        };
        return page(&s, "credentials", "Secrets already shown", None, body);
    };
    let row = |k: &str, v: &str| html! { dt { (k) } dd { code class="secret" { (v) } } };
    let body = html! {
        p class="flash" role="status" { "Copy these now: the secrets are not stored and will not be shown again." }
        h2 { "FlexPay" }
        dl class="facts" { (row("API key (HTTP Basic)", &c.flexpay.api_key)) }
        h2 { "FlexFactor" }
        dl class="facts" {
            (row("MID", &c.flexfactor.mid))
            (row("Site id", &c.flexfactor.site_id))
            (row("AppKey", &c.flexfactor.app_key))
            (row("AppSecret", &c.flexfactor.app_secret))
            (row("Tokenization key", &c.flexfactor.tokenization_key))
            (row("Webhook key", &c.flexfactor.webhook_key))
        }
        h2 { "Flexiti" }
        dl class="facts" {
            (row("client_id", &c.flexiti.client_id))
            (row("client_secret", &c.flexiti.client_secret))
        }
        p { a href="/portal/credentials" { "Back to credentials" } }
    };
    page(&s, "credentials", "New credentials", None, body)
}

/// Revokes one credential of this mode, after the confirmation step.
pub async fn revoke(
    State(st): State<AppState>,
    Path(id): Path<String>,
    Posted(s, f): Posted<Confirmation>,
) -> Response {
    let creds = match st.engine.credentials(&s.tenant.merchant_id).await {
        Ok(c) => c,
        Err(e) => return engine_failure(e),
    };
    let mode = s.tenant.mode.as_str();
    let Some(c) = creds.iter().find(|c| c.id == id && c.mode == mode) else {
        return engine_failure(EngineError::NotFound);
    };
    if !f.given() {
        return ask(
            &s,
            Ask {
                section: "credentials",
                title: "Revoke this credential?",
                what: html! {
                    p { "The " (mode) " credential " (label(c)) " will be revoked." }
                    p { "Last used: " (c.last_used_at.map_or_else(|| "never".to_string(), when)) "." }
                    p { "Every request made with it is refused from then on. This cannot be undone." }
                },
                action: &format!("/portal/credentials/{id}/revoke"),
                fields: &[],
                button: "Revoke the credential",
                back: "/portal/credentials",
            },
        );
    }
    redirect_after(
        st.engine
            .revoke_credential(&s.tenant.merchant_id, &id)
            .await,
        "/portal/credentials?msg=revoked",
    )
}
