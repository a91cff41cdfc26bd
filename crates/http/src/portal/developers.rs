//! The merchant's webhooks in the portal: endpoints with their health (failing with the next
//! automatic attempt, or disabled), adding one with the event types ticked, the delivery log
//! filtered by endpoint and state and paged both ways, each attempt's cause in words, and the
//! signing secret (`webhook_secret.rs`).
//!
//! Why event types are ticked from the engine's list rather than typed: a typo in a free-text
//! list was refused only after the form was sent, and a merchant had to know the names; the
//! boxes offer exactly what the engine accepts. Why the log is paged by id both ways rather
//! than by page number: deliveries arrive while a merchant reads, and an offset would shift
//! under them.

use super::confirm::{Ask, ask};
use super::{
    NoFields, Posted, Session, at, at_exact, csrf_field, engine_failure, flash, page, pretty,
    redirect_after,
};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use maud::{Markup, html};
use openflex_engine::payments::search::Position;
use openflex_engine::portal::PortalSession;
use openflex_engine::webhooks::{
    AttemptCause, Delivery, DeliveryState, EVENTS_BY_DIALECT, EndpointHealth, EndpointInput,
    LogFilter, WebhookEndpoint,
};
use serde::Deserialize;
use std::collections::HashMap;

/// Deliveries a page shows.
const PAGE: i64 = 25;

/// The page's query string: the log's filters as chosen, a position, a `?msg=` code.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct HooksQuery {
    pub endpoint: String,
    pub state: String,
    pub before: String,
    pub after: String,
    pub msg: Option<String>,
}

impl HooksQuery {
    fn filter(&self) -> LogFilter {
        LogFilter {
            endpoint_id: Some(self.endpoint.trim().to_string()).filter(|e| !e.is_empty()),
            state: DeliveryState::parse(self.state.trim()),
        }
    }

    fn position(&self) -> Position<'_> {
        match (self.before.trim(), self.after.trim()) {
            (b, _) if !b.is_empty() => Position::OlderThan(b),
            (_, a) if !a.is_empty() => Position::NewerThan(a),
            _ => Position::Newest,
        }
    }

    /// This page's link with the filters kept and `extra` (a position) added.
    fn link(&self, extra: (&str, &str)) -> String {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [("endpoint", &self.endpoint), ("state", &self.state)] {
            if !v.trim().is_empty() {
                ser.append_pair(k, v.trim());
            }
        }
        ser.append_pair(extra.0, extra.1);
        format!("/portal/webhooks?{}", ser.finish())
    }
}

/// A delivery's state as the log says it.
fn state_words(state: &str) -> &'static str {
    match DeliveryState::parse(state) {
        Some(DeliveryState::Delivered) => "Succeeded",
        Some(DeliveryState::Failed) => "Failed",
        Some(DeliveryState::Pending) => "Pending",
        None => "Unknown",
    }
}

/// What started an attempt, in words.
fn cause_words(cause: Option<AttemptCause>, first: bool) -> &'static str {
    match cause {
        Some(AttemptCause::First) => "First attempt",
        Some(AttemptCause::Retry) => "Automatic retry",
        Some(AttemptCause::Manual) => "Manual redelivery",
        // Logged before causes were kept: only the first attempt can be told apart.
        None if first => "First attempt",
        None => "Retry or redelivery",
    }
}

/// Endpoints of this mode with their health, the add form, the signing secret, and the
/// delivery log with its filters.
pub async fn webhooks(
    State(st): State<AppState>,
    Session(s): Session,
    Query(q): Query<HooksQuery>,
) -> Response {
    let endpoints = match st.engine.webhook_endpoint_health(&s.tenant).await {
        Ok(e) => e,
        Err(e) => return engine_failure(e),
    };
    let log = match st
        .engine
        .webhook_log(&s.tenant, &q.filter(), q.position(), PAGE)
        .await
    {
        Ok(l) => l,
        Err(e) => return engine_failure(e),
    };
    let urls: HashMap<&str, &str> = endpoints
        .iter()
        .map(|(e, _)| (e.id.as_str(), e.url.as_str()))
        .collect();
    let secret = super::webhook_secret::section(&st, &s).await;
    let body = html! {
        (secret)
        h2 { "Endpoints" }
        (endpoint_table(&s, &endpoints))
        (add_form(&s))
        h2 { "Deliveries" }
        (log_filters(&q, &endpoints))
        p class="count" role="status" {
            (log.matched) @if log.matched >= openflex_engine::webhooks::LOG_COUNT_BOUND { "+" }
            " matching " (if log.matched == 1 { "delivery" } else { "deliveries" }) "."
        }
        ul class="deliveries" {
            @for d in &log.deliveries {
                (delivery_item(&s, d, urls.get(d.endpoint_id.as_str()).copied()))
            }
        }
        @if log.deliveries.is_empty() { p class="hint" { "No deliveries." } }
        nav class="pager" aria-label="Pages" {
            @if let Some(n) = &log.newer { a href=(q.link(("after", n))) rel="prev" { "← Newer" } }
            @if let Some(o) = &log.older { a href=(q.link(("before", o))) rel="next" { "Older →" } }
        }
    };
    page(&s, "webhooks", "Webhooks", flash(q.msg.as_deref()), body)
}

fn endpoint_table(s: &PortalSession, endpoints: &[(WebhookEndpoint, EndpointHealth)]) -> Markup {
    html! {
        div class="scroll" tabindex="0" role="region" aria-label="Endpoints" {
            table {
                thead { tr {
                    th scope="col" { "URL" } th scope="col" { "Events" } th scope="col" { "Status" }
                    th scope="col" { "Created" } th scope="col" { span class="sr-only" { "Actions" } }
                } }
                tbody {
                    @if endpoints.is_empty() { tr { td colspan="5" { "No endpoints yet." } } }
                    @for (e, health) in endpoints {
                        tr {
                            td { code class="url" { (e.url) } }
                            td { @if e.events.is_empty() { "all" } @else { (e.events.join(", ")) } }
                            td { (health_cell(health)) }
                            td { (at(e.created_at)) }
                            td {
                                form method="post" action={ "/portal/webhooks/" (e.id) "/test" } class="inline" {
                                    (csrf_field(s))
                                    button type="submit" aria-label={ "Send test to " (e.url) } { "Send test" }
                                }
                                " "
                                form method="post" action={ "/portal/webhooks/" (e.id) "/enabled" } class="inline" {
                                    (csrf_field(s))
                                    input type="hidden" name="enabled" value=(if e.enabled { "false" } else { "true" });
                                    button type="submit" class="link" { (if e.enabled { "Disable…" } else { "Enable" }) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn health_cell(h: &EndpointHealth) -> Markup {
    html! {
        @match h {
            EndpointHealth::Healthy => { span class="pill succeeded" { "Enabled" } }
            EndpointHealth::Disabled => {
                span class="pill cancelled" { "Disabled" }
                br; small { "Nothing is sent to it." }
            }
            EndpointHealth::Failing { error, at: when, next_attempt } => {
                span class="pill declined-final" { "Failing" }
                br; small { "Last attempt " (at(*when)) ": " (error) "." }
                br; small {
                    @if let Some(n) = next_attempt { "Next automatic attempt " (at(*n)) "." }
                    @else { "No automatic attempt is waiting." }
                }
            }
        }
    }
}

/// The add form: the URL, and the event types to send ticked (none ticked: every event).
fn add_form(s: &PortalSession) -> Markup {
    html! {
        h3 { "Add an endpoint" }
        form method="post" action="/portal/webhooks" class="stack" {
            (csrf_field(s))
            label for="url" { "Endpoint URL" }
            input id="url" name="url" type="url" required placeholder="https://shop.example/hooks";
            @for (dialect, events) in EVENTS_BY_DIALECT {
                fieldset class="events" {
                    legend { (dialect) " events to send (none ticked: every event)" }
                    @for e in *events {
                        @let id = format!("ev-{}", e.replace('.', "-"));
                        div class="check" {
                            input id=(id) name={ "event:" (e) } type="checkbox" value="1";
                            label for=(id) { code { (e) } }
                        }
                    }
                }
            }
            button type="submit" { "Add endpoint" }
        }
    }
}

fn log_filters(q: &HooksQuery, endpoints: &[(WebhookEndpoint, EndpointHealth)]) -> Markup {
    html! {
        form method="get" action="/portal/webhooks" class="filters" role="search" {
            div class="field" {
                label for="endpoint" { "Endpoint" }
                select id="endpoint" name="endpoint" {
                    option value="" { "Any" }
                    @for (e, _) in endpoints {
                        option value=(e.id) selected[q.endpoint == e.id] { (e.url) }
                    }
                }
            }
            div class="field" {
                label for="state" { "Status" }
                select id="state" name="state" {
                    option value="" { "Any" }
                    @for d in DeliveryState::ALL {
                        option value=(d.as_str()) selected[q.state == d.as_str()] { (state_words(d.as_str())) }
                    }
                }
            }
            button type="submit" { "Filter" }
        }
    }
}

fn delivery_item(s: &PortalSession, d: &Delivery, url: Option<&str>) -> Markup {
    html! {
        li {
            details {
                summary {
                    span class={ "state " (d.state) } { (state_words(&d.state)) } " "
                    strong { (d.event) } " · " (at(d.created_at)) " · " (d.attempts.len()) " attempt(s)"
                    br; small { "To " code class="url" { (url.unwrap_or("a deleted endpoint")) } }
                }
                h3 { "Payload" }
                pre { (pretty(&d.payload)) }
                h3 { "Attempts" }
                div class="scroll" tabindex="0" role="region" aria-label="Attempts" {
                    table {
                        thead { tr {
                            th scope="col" { "At" } th scope="col" { "Cause" } th scope="col" { "Status" }
                            th scope="col" class="num" { "Latency" } th scope="col" { "Response" }
                        } }
                        tbody {
                            @if d.attempts.is_empty() { tr { td colspan="5" { "Not tried yet." } } }
                            @for (i, a) in d.attempts.iter().enumerate() {
                                tr {
                                    td { (at_exact(a.attempted_at)) }
                                    td { (cause_words(a.cause, i == 0)) }
                                    td { (a.status_code.map(|c| c.to_string()).unwrap_or_else(|| "—".into())) }
                                    td class="num" { (a.latency_ms) " ms" }
                                    td { code { (a.response_snippet.as_deref().or(a.error.as_deref()).unwrap_or("")) } }
                                }
                            }
                        }
                    }
                }
                form method="post" action={ "/portal/webhooks/deliveries/" (d.id) "/redeliver" } {
                    (csrf_field(s))
                    button type="submit" { "Redeliver" }
                }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct EndpointForm {
    #[serde(default)]
    url: String,
    /// The ticked boxes, `event:<type>`, among whatever else the form carried.
    #[serde(flatten)]
    ticked: HashMap<String, String>,
}

/// Adds an endpoint in the session's mode (live URLs must be public HTTPS, as for the API),
/// sending the event types ticked, or every event when none is.
pub async fn add_endpoint(
    State(st): State<AppState>,
    Posted(s, f): Posted<EndpointForm>,
) -> Response {
    let events: Vec<String> = EVENTS_BY_DIALECT
        .iter()
        .flat_map(|(_, events)| events.iter())
        .filter(|e| f.ticked.contains_key(&format!("event:{e}")))
        .map(|e| e.to_string())
        .collect();
    let input = EndpointInput {
        url: Some(f.url.trim().to_string()),
        events: Some(events),
        enabled: Some(true),
        mode: Some(s.tenant.mode.as_str().to_string()),
    };
    redirect_after(
        st.engine
            .create_webhook_endpoint(&s.tenant.merchant_id, input)
            .await,
        "/portal/webhooks?msg=saved",
    )
}

/// The endpoint's URL, if it belongs to this merchant and mode.
async fn own_endpoint(st: &AppState, s: &PortalSession, id: &str) -> Result<String, Response> {
    let endpoints = st
        .engine
        .webhook_endpoints(&s.tenant.merchant_id)
        .await
        .map_err(engine_failure)?;
    endpoints
        .into_iter()
        .find(|e| e.id == id && e.mode == s.tenant.mode.as_str())
        .map(|e| e.url)
        .ok_or_else(|| engine_failure(openflex_engine::EngineError::NotFound))
}

pub async fn test_endpoint(
    State(st): State<AppState>,
    Path(id): Path<String>,
    Posted(s, _): Posted<NoFields>,
) -> Response {
    if let Err(r) = own_endpoint(&st, &s, &id).await {
        return r;
    }
    redirect_after(
        st.engine
            .send_test_webhook(&s.tenant.merchant_id, &id)
            .await,
        "/portal/webhooks?msg=test-sent",
    )
}

#[derive(Deserialize)]
pub struct EnabledForm {
    #[serde(default)]
    enabled: String,
    #[serde(flatten)]
    confirm: super::confirm::Confirmation,
}

/// Enables an endpoint at once; disabling it goes through the confirmation step, since the
/// events it misses meanwhile are never sent to it.
pub async fn set_endpoint_enabled(
    State(st): State<AppState>,
    Path(id): Path<String>,
    Posted(s, f): Posted<EnabledForm>,
) -> Response {
    let url = match own_endpoint(&st, &s, &id).await {
        Ok(url) => url,
        Err(r) => return r,
    };
    let enabled = f.enabled == "true";
    if !enabled && !f.confirm.given() {
        return ask(
            &s,
            Ask {
                section: "webhooks",
                title: "Disable this endpoint?",
                what: html! {
                    p { "The endpoint " code { (url) } " will be disabled." }
                    p {
                        "Nothing is sent to it while it is disabled, deliveries already waiting included; "
                        "events raised meanwhile are not sent to it later, even once it is enabled again."
                    }
                },
                action: &format!("/portal/webhooks/{id}/enabled"),
                fields: &[("enabled", "false")],
                button: "Disable the endpoint",
                back: "/portal/webhooks",
            },
        );
    }
    let input = EndpointInput {
        enabled: Some(enabled),
        ..EndpointInput::default()
    };
    redirect_after(
        st.engine
            .update_webhook_endpoint(&s.tenant.merchant_id, &id, input)
            .await,
        if enabled {
            "/portal/webhooks?msg=saved"
        } else {
            "/portal/webhooks?msg=disabled"
        },
    )
}

pub async fn redeliver(
    State(st): State<AppState>,
    Path(id): Path<String>,
    Posted(s, _): Posted<NoFields>,
) -> Response {
    redirect_after(
        st.engine
            .redeliver_webhook(&s.tenant.merchant_id, &id)
            .await,
        "/portal/webhooks?msg=redelivered",
    )
}
