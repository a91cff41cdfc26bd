//! The merchant's own configuration in the portal: webhooks and their delivery log, API
//! credentials, gateways and retry policy, and the sandbox test clock.

use super::{
    NoFields, PageQuery, Posted, Refused, Session, csrf_field, engine_failure, flash, page, pretty,
    problem, redirect_after, when,
};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use openflex_domain::retry_policy::Policy;
use openflex_engine::Mode;
use openflex_engine::gateways::GatewayInput;
use openflex_engine::webhooks::EndpointInput;
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
                                    button type="submit" class="link" { (if e.enabled { "Disable" } else { "Enable" }) }
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
                            span class={ "state " (d.state) } { (d.state) } " "
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

/// The endpoint, if it belongs to this merchant and mode.
async fn own_endpoint(
    st: &AppState,
    s: &openflex_engine::portal::PortalSession,
    id: &str,
) -> Result<(), Response> {
    let endpoints = st
        .engine
        .webhook_endpoints(&s.tenant.merchant_id)
        .await
        .map_err(engine_failure)?;
    if endpoints
        .iter()
        .any(|e| e.id == id && e.mode == s.tenant.mode.as_str())
    {
        Ok(())
    } else {
        Err(engine_failure(openflex_engine::EngineError::NotFound))
    }
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
}

pub async fn set_endpoint_enabled(
    State(st): State<AppState>,
    Path(id): Path<String>,
    Posted(s, f): Posted<EnabledForm>,
) -> Response {
    if let Err(r) = own_endpoint(&st, &s, &id).await {
        return r;
    }
    let input = EndpointInput {
        enabled: Some(f.enabled == "true"),
        ..EndpointInput::default()
    };
    redirect_after(
        st.engine
            .update_webhook_endpoint(&s.tenant.merchant_id, &id, input)
            .await,
        "/portal/webhooks?msg=saved",
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
            button type="submit" { "Issue new " (mode) " credentials" }
        }
        p class="hint" { "A new set works beside the old one until you revoke it; its secrets are shown once." }
        div class="scroll" {
            table {
                thead { tr { th scope="col" { "Kind" } th scope="col" { "Public id" } th scope="col" { "Created" } th scope="col" { "State" } th scope="col" { span class="sr-only" { "Actions" } } } }
                tbody {
                    @for c in creds.iter().filter(|c| c.mode == mode) {
                        tr {
                            td { (c.kind) }
                            td { code { (c.public_id.as_deref().unwrap_or("—")) } }
                            td { (c.created_at) }
                            td { (if c.revoked { "revoked" } else { "active" }) }
                            td {
                                @if !c.revoked {
                                    form method="post" action={ "/portal/credentials/" (c.id) "/revoke" } class="inline" {
                                        (csrf_field(&s))
                                        button type="submit" class="danger" aria-label={ "Revoke " (c.kind) " " (c.id) } { "Revoke" }
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

/// Issues a full set for this mode and shows the secrets this once.
pub async fn issue(State(st): State<AppState>, Posted(s, _): Posted<NoFields>) -> Response {
    let c = match st
        .engine
        .issue_credentials(&s.tenant.merchant_id, s.tenant.mode)
        .await
    {
        Ok(c) => c,
        Err(e) => return engine_failure(e),
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

pub async fn revoke(
    State(st): State<AppState>,
    Path(id): Path<String>,
    Posted(s, _): Posted<NoFields>,
) -> Response {
    redirect_after(
        st.engine
            .revoke_credential(&s.tenant.merchant_id, &id)
            .await,
        "/portal/credentials?msg=revoked",
    )
}

/// Gateways of this mode, and the merchant's retry policy.
pub async fn settings(
    State(st): State<AppState>,
    Session(s): Session,
    Query(q): Query<PageQuery>,
) -> Response {
    let gateways = match st.engine.gateways(&s.tenant).await {
        Ok(g) => g,
        Err(e) => return engine_failure(e),
    };
    let p = match st.engine.retry_policy(&s.tenant.merchant_id).await {
        Ok(p) => p,
        Err(e) => return engine_failure(e),
    };
    let body = html! {
        h2 { "Gateways" }
        div class="scroll" {
            table {
                thead { tr {
                    th scope="col" { "Name" } th scope="col" { "Token" } th scope="col" { "Type" } th scope="col" { "Status" }
                    th scope="col" { "Currencies" } th scope="col" { "Cards" } th scope="col" { "Routing" }
                } }
                tbody {
                    @if gateways.is_empty() { tr { td colspan="7" { "No gateways." } } }
                    @for g in &gateways {
                        tr {
                            td { (g.name) }
                            td { code { (g.token) } }
                            td { (g.gateway_type) }
                            td { (g.status.as_str()) }
                            td { (g.accepted_currencies.join(", ")) }
                            td { (g.accepted_cards.join(", ")) }
                            td {
                                form method="post" action={ "/portal/gateways/" (g.token) } class="inline" {
                                    (csrf_field(&s))
                                    label for={ "status-" (g.token) } class="sr-only" { "Status of " (g.name) }
                                    select id={ "status-" (g.token) } name="status" {
                                        @for st in ["Available", "Disabled", "RefundOnly"] {
                                            option value=(st) selected[g.status.as_str() == st] { (st) }
                                        }
                                    }
                                    label for={ "weight-" (g.token) } { "Weight" }
                                    input id={ "weight-" (g.token) } name="weight" type="number" min="0" value=(g.weight) size="4";
                                    label class="check" {
                                        input type="checkbox" name="accept_retries" value="on" checked[g.accept_retries];
                                        " Retries"
                                    }
                                    button type="submit" aria-label={ "Save " (g.name) } { "Save" }
                                }
                            }
                        }
                    }
                }
            }
        }
        p { a href="/portal/gateways/new" { "Add a gateway" } }
        p class="hint" { "Gateways are created here or through the FlexPay gateway API; routing is changed here." }
        h2 { "Retry policy" }
        form method="post" action="/portal/settings" class="stack" {
            (csrf_field(&s))
            label for="max_retries" { "Most retries of one declined payment" }
            input id="max_retries" name="max_retries" type="number" min="0" value=(p.max_retries) required;
            label for="window_days" { "Retry window (days)" }
            input id="window_days" name="window_days" type="number" min="1" value=(p.window_days) required;
            label for="payday_hour" { "Hour (UTC) for pay-day retries" }
            input id="payday_hour" name="payday_hour" type="number" min="0" max="23" value=(p.payday_hour) required;
            label class="check" {
                input type="checkbox" name="scheduler_mode" value="on" checked[p.scheduler_mode];
                " Scheduler mode: openflex performs the retries itself at their retry date"
            }
            button type="submit" { "Save retry policy" }
        }
    };
    page(&s, "settings", "Settings", flash(q.msg.as_deref()), body)
}

#[derive(Deserialize)]
pub struct GatewayForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    weight: String,
    accept_retries: Option<String>,
}

pub async fn save_gateway(
    State(st): State<AppState>,
    Path(token): Path<String>,
    Posted(s, f): Posted<GatewayForm>,
) -> Response {
    let Ok(weight) = f.weight.trim().parse::<i64>() else {
        return Refused::bad_request("weight: enter a whole number.").into_response();
    };
    let input = GatewayInput {
        status: Some(f.status),
        weight: Some(weight),
        accept_retries: Some(f.accept_retries.is_some()),
        ..GatewayInput::default()
    };
    redirect_after(
        st.engine.update_gateway(&s.tenant, &token, input).await,
        "/portal/settings?msg=saved",
    )
}

#[derive(Deserialize)]
pub struct PolicyForm {
    #[serde(default)]
    max_retries: String,
    #[serde(default)]
    window_days: String,
    #[serde(default)]
    payday_hour: String,
    scheduler_mode: Option<String>,
}

pub async fn save_retry_policy(
    State(st): State<AppState>,
    Posted(s, f): Posted<PolicyForm>,
) -> Response {
    let num = |name: &str, v: &str| {
        v.trim()
            .parse::<i64>()
            .map_err(|_| Refused::bad_request(format!("{name}: enter a whole number.")))
    };
    let policy = (|| {
        Ok::<_, Refused>(Policy {
            max_retries: num("max_retries", &f.max_retries)?,
            window_days: num("window_days", &f.window_days)?,
            payday_hour: u8::try_from(num("payday_hour", &f.payday_hour)?)
                .map_err(|_| Refused::bad_request("payday_hour: 0 to 23."))?,
            scheduler_mode: f.scheduler_mode.is_some(),
        })
    })();
    let policy = match policy {
        Ok(p) => p,
        Err(r) => return r.into_response(),
    };
    redirect_after(
        st.engine
            .set_retry_policy(&s.tenant.merchant_id, policy)
            .await,
        "/portal/settings?msg=saved",
    )
}

/// The sandbox clock: where it stands, and moving it forward (due jobs run at once).
pub async fn clock(
    State(st): State<AppState>,
    Session(s): Session,
    Query(q): Query<PageQuery>,
) -> Response {
    if s.tenant.mode != Mode::Sandbox {
        return problem(
            StatusCode::NOT_FOUND,
            "The test clock exists in the sandbox only.",
        );
    }
    let now = st.engine.now_for(&s.tenant);
    let offset = s.tenant.clock_offset_us / 1_000_000;
    let body = html! {
        dl class="facts" {
            dt { "Sandbox time" } dd { output id="sandbox-now" { (when(now)) } }
            dt { "Ahead of real time" } dd { (offset / 86_400) " days " ((offset % 86_400) / 3600) " hours" }
        }
        form method="post" action="/portal/clock" class="stack" {
            (csrf_field(&s))
            label for="days" { "Days to move forward" }
            input id="days" name="days" type="number" min="0" max="366" value="1" required;
            label for="hours" { "Hours to move forward" }
            input id="hours" name="hours" type="number" min="0" max="23" value="0" required;
            button type="submit" { "Advance the clock" }
        }
        p class="hint" { "Scheduled retries, rescue attempts, expiries and webhook deliveries that fall due run at once." }
    };
    page(&s, "clock", "Test clock", flash(q.msg.as_deref()), body)
}

#[derive(Deserialize)]
pub struct ClockForm {
    #[serde(default)]
    days: String,
    #[serde(default)]
    hours: String,
}

pub async fn advance_clock(
    State(st): State<AppState>,
    Posted(s, f): Posted<ClockForm>,
) -> Response {
    if s.tenant.mode != Mode::Sandbox {
        return problem(
            StatusCode::NOT_FOUND,
            "The test clock exists in the sandbox only.",
        );
    }
    let parse = |v: &str| v.trim().parse::<i64>().ok().filter(|n| *n >= 0);
    let (Some(days), Some(hours)) = (parse(&f.days), parse(&f.hours)) else {
        return problem(
            StatusCode::BAD_REQUEST,
            "days and hours: enter whole numbers, 0 or more.",
        );
    };
    let seconds = days
        .saturating_mul(86_400)
        .saturating_add(hours.saturating_mul(3600));
    if let Err(e) = st
        .engine
        .advance_clock(&s.tenant.merchant_id, seconds)
        .await
    {
        return engine_failure(e);
    }
    if let Err(e) = st.engine.run_merchant_jobs(&s.tenant.merchant_id).await {
        return engine_failure(e);
    }
    Redirect::to("/portal/clock?msg=advanced").into_response()
}
