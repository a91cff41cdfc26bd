//! The sandbox test clock: where it stands, and moving it forward with what then ran.

use super::words::status_words;
use super::{Posted, Session, at, csrf_field, engine_failure, page, problem, when};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;
use openflex_engine::portal::PortalSession;
use openflex_engine::scheduler::RanJob;
use openflex_engine::{EngineError, Mode};
use serde::Deserialize;

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
                                    td { (at(j.due_at)) }
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
