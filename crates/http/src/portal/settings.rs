//! Settings in the portal: gateway routing of this mode, and the merchant's retry policy.
//!
//! The retry policy is one per merchant (it lives in the merchant's settings, not per mode), so
//! the page says it applies to both modes. A value the policy refuses is answered with the form
//! again, as typed, and the reason beside the field it concerns; the rules themselves stay in
//! the domain crate ([`Policy::validate`]), and only their wording is mapped to a field here.

use super::PageQuery;
use super::words::status_words;
use super::{Posted, Refused, Session, csrf_field, engine_failure, flash, page, redirect_after};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use openflex_domain::retry_policy::Policy;
use openflex_engine::EngineError;
use openflex_engine::gateways::GatewayInput;
use openflex_engine::portal::PortalSession;
use serde::Deserialize;

/// The retry policy form as typed.
#[derive(Deserialize, Default)]
pub struct PolicyForm {
    #[serde(default)]
    max_retries: String,
    #[serde(default)]
    window_days: String,
    #[serde(default)]
    payday_hour: String,
    scheduler_mode: Option<String>,
}

impl PolicyForm {
    fn of(p: &Policy) -> Self {
        Self {
            max_retries: p.max_retries.to_string(),
            window_days: p.window_days.to_string(),
            payday_hour: p.payday_hour.to_string(),
            scheduler_mode: p.scheduler_mode.then(|| "on".into()),
        }
    }
}

/// A field of the form and why its value was refused.
type FieldErrors = Vec<(&'static str, String)>;

/// Gateways of this mode, and the merchant's retry policy.
pub async fn settings(
    State(st): State<AppState>,
    Session(s): Session,
    Query(q): Query<PageQuery>,
) -> Response {
    let p = match st.engine.retry_policy(&s.tenant.merchant_id).await {
        Ok(p) => p,
        Err(e) => return engine_failure(e),
    };
    settings_page(&st, &s, flash(q.msg.as_deref()), &PolicyForm::of(&p), &[]).await
}

async fn settings_page(
    st: &AppState,
    s: &PortalSession,
    done: Option<&str>,
    form: &PolicyForm,
    errors: &[(&'static str, String)],
) -> Response {
    let gateways = match st.engine.gateways(&s.tenant).await {
        Ok(g) => g,
        Err(e) => return engine_failure(e),
    };
    let field = |name: &'static str,
                 label: &str,
                 value: &str,
                 min: i64,
                 max: Option<i64>|
     -> Markup {
        let error = errors.iter().find(|(f, _)| *f == name).map(|(_, m)| m);
        html! {
            label for=(name) { (label) }
            @if let Some(m) = error {
                p class="field-error" id={ (name) "-error" } { (m) }
                input id=(name) name=(name) type="number" min=(min) max=[max] value=(value) required
                    aria-invalid="true" aria-describedby={ (name) "-error" };
            } @else {
                input id=(name) name=(name) type="number" min=(min) max=[max] value=(value) required;
            }
        }
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
                            td { a href={ "/portal/gateways/" (g.token) } { (g.name) } }
                            td { code { (g.token) } }
                            td { (g.gateway_type) }
                            td { (status_words(g.status.as_str())) }
                            td { (g.accepted_currencies.join(", ")) }
                            td { (g.accepted_cards.join(", ")) }
                            td {
                                form method="post" action={ "/portal/gateways/" (g.token) } class="inline" {
                                    (csrf_field(s))
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
        p class="hint" { "Gateways are created here or through the FlexPay gateway API. Open a gateway by its name to edit its settings or test its connection; routing can also be changed in this table." }
        h2 { "Retry policy" }
        p class="hint" { "One policy per merchant: it applies to both modes, sandbox and live." }
        @if !errors.is_empty() {
            p class="error" role="alert" { "The retry policy was not saved: correct the fields marked below." }
        }
        form method="post" action="/portal/settings" class="stack" {
            (csrf_field(s))
            (field("max_retries", "Most retries of one declined payment", &form.max_retries, 0, Some(openflex_domain::retry_policy::MAX_RETRIES)))
            (field("window_days", "Retry window (days)", &form.window_days, 1, Some(30)))
            (field("payday_hour", "Hour (UTC) for pay-day retries", &form.payday_hour, 0, Some(23)))
            label class="check" {
                input type="checkbox" name="scheduler_mode" value="on" checked[form.scheduler_mode.is_some()];
                " Scheduler mode: openflex performs the retries itself at their retry date"
            }
            button type="submit" { "Save retry policy" }
        }
    };
    let mut resp = page(s, "settings", "Settings", done, body);
    if !errors.is_empty() {
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    resp
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

/// The policy a form describes, or why each field was refused.
fn policy_of(f: &PolicyForm) -> Result<Policy, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut num = |name: &'static str, v: &str| match v.trim().parse::<i64>() {
        Ok(n) => n,
        Err(_) => {
            errors.push((name, "Enter a whole number.".into()));
            0
        }
    };
    let max_retries = num("max_retries", &f.max_retries);
    let window_days = num("window_days", &f.window_days);
    let payday_hour = num("payday_hour", &f.payday_hour);
    if !errors.is_empty() {
        return Err(errors);
    }
    let policy = Policy {
        max_retries,
        window_days,
        payday_hour: u8::try_from(payday_hour).unwrap_or(u8::MAX),
        scheduler_mode: f.scheduler_mode.is_some(),
    };
    match policy.validate() {
        Ok(()) => Ok(policy),
        Err(m) => Err(vec![field_of(&m)]),
    }
}

/// The form field a [`Policy::validate`] message is about ("maxRetries must be between 0 and
/// 15" → `max_retries`, "Must be between 0 and 15.").
fn field_of(message: &str) -> (&'static str, String) {
    let (name, rest) = message.split_once(' ').unwrap_or(("", message));
    let field = match name {
        "maxRetries" => "max_retries",
        "windowDays" => "window_days",
        "paydayHour" => "payday_hour",
        _ => "max_retries",
    };
    let mut words = rest.chars();
    let said = match words.next() {
        Some(c) => format!("{}{}.", c.to_uppercase(), words.as_str()),
        None => message.to_string(),
    };
    (field, said)
}

pub async fn save_retry_policy(
    State(st): State<AppState>,
    Posted(s, f): Posted<PolicyForm>,
) -> Response {
    let policy = match policy_of(&f) {
        Ok(p) => p,
        Err(errors) => return settings_page(&st, &s, None, &f, &errors).await,
    };
    match st
        .engine
        .set_retry_policy(&s.tenant.merchant_id, policy)
        .await
    {
        Err(EngineError::Invalid(m)) => settings_page(&st, &s, None, &f, &[field_of(&m)]).await,
        r => redirect_after(r, "/portal/settings?msg=saved"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_messages_land_on_their_field() {
        let p = |m: &str, w: &str, h: &str| PolicyForm {
            max_retries: m.into(),
            window_days: w.into(),
            payday_hour: h.into(),
            scheduler_mode: None,
        };
        let errors = policy_of(&p("99", "10", "7")).unwrap_err();
        assert_eq!(errors[0].0, "max_retries");
        assert!(
            errors[0].1.starts_with("Must be between 0 and"),
            "{errors:?}"
        );
        assert_eq!(
            policy_of(&p("3", "31", "7")).unwrap_err()[0].0,
            "window_days"
        );
        assert_eq!(
            policy_of(&p("3", "10", "300")).unwrap_err()[0].0,
            "payday_hour"
        );
        let errors = policy_of(&p("x", "", "7")).unwrap_err();
        assert_eq!(
            errors.iter().map(|e| e.0).collect::<Vec<_>>(),
            ["max_retries", "window_days"]
        );
        assert_eq!(policy_of(&p("3", "10", "7")).unwrap().window_days, 10);
    }
}
