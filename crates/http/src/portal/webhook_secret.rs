//! The webhook signing secret in the portal: revealed on demand and rolled after a
//! confirmation.
//!
//! Why the secret is only ever in the answer to a POST: a GET-rendered page can be reloaded,
//! prefetched or reopened from history, so the webhooks page shows the key's last four
//! characters only; the full key is the answer to a POST that carries the session's CSRF token,
//! shown that once (portal answers are `no-store`). Nothing here logs it. Unlike issued
//! credentials the key is sealed, not hashed — it must be, to sign — so it can be revealed
//! again whenever needed.
//!
//! The key is the merchant's for the mode, shared by every endpoint of it (FlexFactor signs
//! with the merchant's webhook signing key, see `openflex_engine::webhooks`), and the page says
//! so.

use super::confirm::{Ask, Confirmation, ask};
use super::{NoFields, Posted, csrf_field, engine_failure, page};
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use maud::{Markup, html};
use openflex_domain::Secret;
use openflex_engine::portal::PortalSession;
use openflex_engine::tenancy::kind;

/// The current key's preview ("…abcd"), if the mode has a key.
async fn preview(st: &AppState, s: &PortalSession) -> Option<String> {
    let creds = st.engine.credentials(&s.tenant.merchant_id).await.ok()?;
    creds
        .into_iter()
        .filter(|c| {
            c.kind == kind::FLEXFACTOR_WEBHOOK && c.mode == s.tenant.mode.as_str() && !c.revoked
        })
        .max_by_key(|c| (c.created_at, c.id.clone()))
        .map(|c| c.preview.unwrap_or_else(|| "—".into()))
}

/// The webhooks page's section: which key signs, and the reveal and roll buttons.
pub async fn section(st: &AppState, s: &PortalSession) -> Markup {
    let mode = s.tenant.mode.as_str();
    let current = preview(st, s).await;
    html! {
        h2 { "Signing secret" }
        p {
            "Every " (mode) " delivery, to each endpoint, is signed with this merchant's " (mode)
            " webhook signing key (the " code { "x-fc-signature" } " headers). "
            @if let Some(p) = &current { "The current key ends " code { (p) } "." }
            @else { "This mode has no key yet: issue a set of API credentials to get one." }
        }
        @if current.is_some() {
            div class="actions" {
                form method="post" action="/portal/webhooks/secret" class="inline" {
                    (csrf_field(s))
                    button type="submit" { "Reveal the signing secret" }
                }
                form method="post" action="/portal/webhooks/secret/roll" class="inline" {
                    (csrf_field(s))
                    button type="submit" class="danger" { "Roll the secret…" }
                }
            }
        }
    }
}

/// The key, shown once in the answer to this POST.
fn shown(s: &PortalSession, title: &str, note: &str, key: &Secret<String>) -> Response {
    let body = html! {
        p class="flash" role="status" { (note) }
        dl class="facts" {
            dt { "Webhook signing key (" (s.tenant.mode.as_str()) ")" }
            dd { code class="secret" { (key.expose()) } }
        }
        p class="hint" { "This page is not kept: reloading it or going back does not show the key again." }
        p { a href="/portal/webhooks" { "Back to webhooks" } }
    };
    page(s, "webhooks", title, None, body)
}

/// `POST /portal/webhooks/secret`: reveals the current key.
pub async fn reveal(State(st): State<AppState>, Posted(s, _): Posted<NoFields>) -> Response {
    match st.engine.reveal_webhook_key(&s.tenant).await {
        Ok(key) => shown(
            &s,
            "Webhook signing secret",
            "Receivers verify each delivery's signature with this key.",
            &key,
        ),
        Err(e) => engine_failure(e),
    }
}

/// `POST /portal/webhooks/secret/roll`: after the confirmation, replaces the key.
pub async fn roll(State(st): State<AppState>, Posted(s, f): Posted<Confirmation>) -> Response {
    let mode = s.tenant.mode.as_str();
    if !f.given() {
        let current = preview(&st, &s).await.unwrap_or_else(|| "—".into());
        return ask(
            &s,
            Ask {
                section: "webhooks",
                title: "Roll the signing secret?",
                what: html! {
                    p {
                        "A new " (mode) " webhook signing key replaces the current one (ending "
                        code { (current) } "), which is revoked at once and cannot be restored."
                    }
                    p {
                        "Every " (mode) " endpoint shares the key: from now on all deliveries, retries of "
                        "earlier events included, are signed with the new one, and receivers still "
                        "checking with the old key will reject them until they are given the new one."
                    }
                },
                action: "/portal/webhooks/secret/roll",
                fields: &[],
                button: "Roll the secret",
                back: "/portal/webhooks",
            },
        );
    }
    match st.engine.roll_webhook_key(&s.tenant).await {
        Ok(key) => shown(
            &s,
            "New webhook signing secret",
            "The secret was rolled. Give this key to your receivers: deliveries are signed with it from now on.",
            &key,
        ),
        Err(e) => engine_failure(e),
    }
}
