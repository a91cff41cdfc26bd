//! The merchant's webhooks and their delivery log in the portal, and the sandbox test clock.

use super::confirm::{Ask, ask};
use super::words::status_words;
use super::{
    NoFields, PageQuery, Posted, Session, csrf_field, engine_failure, flash, page, pretty, problem,
    redirect_after, when,
};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;
use openflex_engine::portal::PortalSession;
use openflex_engine::scheduler::RanJob;
use openflex_engine::webhooks::EndpointInput;
use openflex_engine::{EngineError, Mode};
use serde::Deserialize;

/// Endpoints of this mode, and the latest deliveries with payloads, every attempt's answer,
/// and a redeliver button.
pub async fn webhooks(
    State(st): State<AppState>,
    Session(s): Session,
    Query(q): Query<PageQuery>,
) -> Response {
    let merchant = &s.tenant.merchant_id;
    let mode = s.tenant.mode.as_str();
    let endpoints = match st.engine.webhook_endpoints(merchant).await {
        Ok(e) => e,
        Err(e) => return engine_failure(e),
    };
    let deliveries = match st
        .engine
        .webhook_deliveries(merchant, q.before.as_deref().filter(|b| !b.is_empty()), 50)
        .await
    {
        Ok(d) => d,
        Err(e) => return engine_failure(e),
    };
    let older = (deliveries.len() == 50)
        .then(|| {
            deliveries
                .last()
                .map(|d| format!("/portal/webhooks?before={}", d.id))
        })
        .flatten();
    let body = html! {
        h2 { "Endpoints" }
        div class="scroll" {
            table {
                thead { tr { th scope="col" { "URL" } th scope="col" { "Events" } th scope="col" { "Enabled" } th scope="col" { "Created" } th scope="col" { span class="sr-only" { "Actions" } } } }
                tbody {
                    @for e in endpoints.iter().filter(|e| e.mode == mode) {
                        tr {
                            td { code { (e.url) } }
                            td { @if e.events.is_empty() { "all" } @else { (e.events.join(", ")) } }
                            td { (if e.enabled { "yes" } else { "no" }) }
                            td { (e.created_at) }
                            td {
                                form method="post" action={ "/portal/webhooks/" (e.id) "/test" } class="inline" {
                                    (csrf_field(&s))
                                    button type="submit" aria-label={ "Send test to " (e.url) } { "Send test" }
                                }
                                " "
                                form method="post" action={ "/portal/webhooks/" (e.id) "/enabled" } class="inline" {
                                    (csrf_field(&s))
                                    input type="hidden" name="enabled" value=(if e.enabled { "false" } else { "true" });
                                    button type="submit" class="link" { (if e.enabled { "Disable…" } else { "Enable" }) }
                                }
                            }
                        }
                    }
                }
            }
        }
        form method="post" action="/portal/webhooks" class="filters" {
            (csrf_field(&s))
            label for="url" { "Endpoint URL" }
            input id="url" name="url" type="url" required placeholder="https://shop.example/hooks";
            label for="events" { "Events (comma-separated; empty for all)" }
            input id="events" name="events";
            button type="submit" { "Add endpoint" }
        }
        h2 { "Deliveries" }
        ul class="deliveries" {
            @for d in deliveries.iter().filter(|d| d.mode == mode) {
                li {
                    details {
                        summary {
                            span class={ "state " (d.state) } { (status_words(&d.state)) } " "
                            strong { (d.event) } " · " (d.created_at) " · " (d.attempts.len()) " attempt(s)"
                        }
                        h3 { "Payload" }
                        pre { (pretty(&d.payload)) }
                        h3 { "Attempts" }
                        table {
                            thead { tr { th scope="col" { "At" } th scope="col" { "Status" } th scope="col" class="num" { "Latency" } th scope="col" { "Response" } } }
                            tbody {
                                @for a in &d.attempts {
                                    tr {
                                        td { (a.attempted_at) @if a.is_resent { " (redelivery)" } }
                                        td { (a.status_code.map(|c| c.to_string()).unwrap_or_else(|| "—".into())) }
                                        td class="num" { (a.latency_ms) " ms" }
                                        td { code { (a.response_snippet.as_deref().or(a.error.as_deref()).unwrap_or("")) } }
                                    }
                                }
                            }
                        }
                        form method="post" action={ "/portal/webhooks/deliveries/" (d.id) "/redeliver" } {
                            (csrf_field(&s))
                            button type="submit" { "Redeliver" }
                        }
                    }
                }
            }
        }
        @if let Some(o) = older {
            p { a href=(o) rel="next" { "Older deliveries →" } }
        }
    };
    page(&s, "webhooks", "Webhooks", flash(q.msg.as_deref()), body)
}

#[derive(Deserialize)]
pub struct EndpointForm {
    #[serde(default)]
    url: String,
    #[serde(default)]
    events: String,
}

/// Adds an endpoint in the session's mode (live URLs must be public HTTPS, as for the API).
pub async fn add_endpoint(
    State(st): State<AppState>,
    Posted(s, f): Posted<EndpointForm>,
) -> Response {
    let events: Vec<String> = f
        .events
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_string)
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
async fn own_endpoint(
    st: &AppState,
    s: &openflex_engine::portal::PortalSession,
    id: &str,
) -> Result<String, Response> {
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

/// The live mode has no test clock: a direct visit is told so, inside the portal.
fn sandbox_only() -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "The test clock exists in the sandbox only: live payments follow real time. Switch to sandbox to use it.",
    )
}

/// The sandbox clock: where it stands, and moving it forward (due jobs run at once).
pub async fn clock(State(st): State<AppState>, Session(s): Session) -> Response {
    if s.tenant.mode != Mode::Sandbox {
        return sandbox_only();
    }
    clock_page(&st, &s, &ClockForm::default(), Moved::Not)
}

/// What the last move of the clock did.
enum Moved {
    Not,
    Refused(String),
    Ran(Vec<RanJob>),
}

fn clock_page(st: &AppState, s: &PortalSession, f: &ClockForm, moved: Moved) -> Response {
    let now = st.engine.now_for(&s.tenant);
    let offset = s.tenant.clock_offset_us / 1_000_000;
    let days = if f.days.is_empty() {
        "1"
    } else {
        f.days.as_str()
    };
    let hours = if f.hours.is_empty() {
        "0"
    } else {
        f.hours.as_str()
    };
    let invalid = matches!(moved, Moved::Refused(_));
    let body = html! {
        @if let Moved::Refused(why) = &moved {
            p class="error" role="alert" id="move-error" { (why) }
        }
        @if let Moved::Ran(ran) = &moved {
            p class="flash" role="status" {
                "The test clock moved forward; " (ran.len()) " scheduled job(s) fell due and ran."
            }
        }
        dl class="facts" {
            dt { "Sandbox time" } dd { output id="sandbox-now" { (when(now)) } }
            dt { "Ahead of real time" } dd { (offset / 86_400) " days " ((offset % 86_400) / 3600) " hours" }
        }
        @if let Moved::Ran(ran) = &moved {
            @if !ran.is_empty() {
                h2 { "What ran" }
                div class="scroll" {
                    table {
                        thead { tr { th scope="col" { "Job" } th scope="col" { "Due" } th scope="col" { "Outcome" } th scope="col" { "Detail" } } }
                        tbody {
                            @for j in ran {
                                tr {
                                    td { (status_words(&j.kind)) }
                                    td { (j.due_at) }
                                    td { (status_words(&j.outcome)) }
                                    td { (j.detail) }
                                }
                            }
                        }
                    }
                }
            }
        }
        form method="post" action="/portal/clock" class="stack" {
            (csrf_field(s))
            label for="days" { "Days to move forward" }
            @if invalid {
                input id="days" name="days" type="number" min="0" max="366" value=(days) required aria-invalid="true" aria-describedby="move-error";
            } @else {
                input id="days" name="days" type="number" min="0" max="366" value=(days) required;
            }
            label for="hours" { "Hours to move forward" }
            input id="hours" name="hours" type="number" min="0" max="23" value=(hours) required;
            button type="submit" { "Advance the clock" }
        }
        p class="hint" { "Scheduled retries, rescue attempts, expiries and webhook deliveries that fall due run at once." }
    };
    let mut resp = page(s, "clock", "Test clock", None, body);
    if invalid {
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    resp
}

#[derive(Deserialize, Default)]
pub struct ClockForm {
    #[serde(default)]
    days: String,
    #[serde(default)]
    hours: String,
}

/// Moves the clock and answers with what ran (a page, not a redirect: what ran exists only
/// now). A move of nothing is refused, as are negative or non-numeric values.
pub async fn advance_clock(
    State(st): State<AppState>,
    Posted(mut s, f): Posted<ClockForm>,
) -> Response {
    if s.tenant.mode != Mode::Sandbox {
        return sandbox_only();
    }
    let parse = |v: &str| v.trim().parse::<i64>().ok().filter(|n| *n >= 0);
    let seconds = match (parse(&f.days), parse(&f.hours)) {
        (Some(d), Some(h)) => d
            .saturating_mul(86_400)
            .saturating_add(h.saturating_mul(3600)),
        _ => {
            let why = "Days and hours: enter whole numbers, 0 or more.".to_string();
            return clock_page(&st, &s, &f, Moved::Refused(why));
        }
    };
    if seconds == 0 {
        let why = "Move the clock forward by at least one hour; 0 days and 0 hours moves nothing.";
        return clock_page(&st, &s, &f, Moved::Refused(why.into()));
    }
    match st
        .engine
        .advance_clock(&s.tenant.merchant_id, seconds)
        .await
    {
        Ok(offset) => s.tenant.clock_offset_us = offset.saturating_mul(1_000_000),
        Err(EngineError::Invalid(_)) => {
            let why = "Move the clock forward by at most 366 days at a time.".to_string();
            return clock_page(&st, &s, &f, Moved::Refused(why));
        }
        Err(e) => return engine_failure(e),
    }
    let ran = match st.engine.run_merchant_jobs(&s.tenant.merchant_id).await {
        Ok(r) => r,
        Err(e) => return engine_failure(e),
    };
    clock_page(&st, &s, &ClockForm::default(), Moved::Ran(ran))
}
