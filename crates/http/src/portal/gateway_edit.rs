//! One gateway in the portal: edit it as `PUT /v1/gateways/{token}` allows (status, weight,
//! retries, CVV, currencies, cards, reference, settings), and test its connection.
//!
//! Credentials are write-only here too. The form never holds a stored secret: a credential's
//! input is always empty, and beside it the page says only whether one is stored ("set"),
//! since no hint of a key is kept outside the sealed settings. A credential left empty keeps
//! the sealed value (the engine merges what was typed into the stored settings, then checks
//! and seals the whole as for the API); an optional one can be removed with its own checkbox.
//! "Test connection" asks the gateway, through its connector, with a call that moves no money,
//! and shows the answer in words on this page (a POST answered with the page: the result is
//! the gateway's text, which a redirect's fixed message could not carry, and repeating the
//! test is harmless).

use super::words::status_words;
use super::{PageQuery, Posted, Session, csrf_field, engine_failure, flash, page};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use openflex_domain::card::Brand;
use openflex_engine::connector::VerifyResult;
use openflex_engine::gateways::{GatewayInput, SettingState, SettingsPatch};
use openflex_engine::portal::PortalSession;
use openflex_engine::{EngineError, Gateway};
use serde::Deserialize;
use std::collections::HashMap;

/// Form names of a setting's value and of its "remove" checkbox, and of a card brand's box:
/// prefixed so no settings key can collide with the form's own fields.
const SETTING: &str = "setting.";
const CLEAR: &str = "clear.";
const CARD: &str = "card.";

const STATUSES: [&str; 3] = ["Available", "Disabled", "RefundOnly"];
const BRANDS: [Brand; 6] = [
    Brand::Visa,
    Brand::Mastercard,
    Brand::Amex,
    Brand::Discover,
    Brand::Jcb,
    Brand::Diners,
];

/// The edit form as typed. No `Debug`: `rest` holds credentials in clear.
#[derive(Deserialize, Default)]
pub struct EditForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    weight: String,
    accept_retries: Option<String>,
    cvv_required: Option<String>,
    #[serde(default)]
    currencies: String,
    #[serde(default)]
    reference: String,
    #[serde(flatten)]
    rest: HashMap<String, String>,
}

impl EditForm {
    /// The form filled from the gateway as stored.
    fn of(g: &Gateway) -> Self {
        let mut rest = HashMap::new();
        for c in &g.accepted_cards {
            rest.insert(format!("{CARD}{c}"), "on".to_string());
        }
        Self {
            status: g.status.as_str().to_string(),
            weight: g.weight.to_string(),
            accept_retries: g.accept_retries.then(|| "on".into()),
            cvv_required: g.cvv_required.then(|| "on".into()),
            currencies: g.accepted_currencies.join(", "),
            reference: g.merchant_account_reference_id.clone().unwrap_or_default(),
            rest,
        }
    }

    fn typed(&self, prefix: &str, name: &str) -> Option<&str> {
        self.rest
            .get(&format!("{prefix}{name}"))
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// What a save asks of the engine, or the form field at fault and why.
    fn input(&self, settings: &[SettingState]) -> Result<(GatewayInput, SettingsPatch), String> {
        let weight = self
            .weight
            .trim()
            .parse::<i64>()
            .map_err(|_| "weight: enter a whole number from 0 to 1000.".to_string())?;
        let currencies = self
            .currencies
            .split([',', ' '])
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_ascii_uppercase)
            .collect();
        let cards = BRANDS
            .iter()
            .map(|b| b.wire_name())
            .filter(|name| self.typed(CARD, name).is_some())
            .map(str::to_string)
            .collect();
        let mut patch = SettingsPatch::default();
        for s in settings {
            let name = s.field.name;
            let sent = self.rest.contains_key(&format!("{SETTING}{name}"));
            match self.typed(SETTING, name) {
                Some(v) => patch.set.push((name.to_string(), v.to_string())),
                // A non-secret field sent empty is removed; a credential left empty is kept,
                // and so is any field the form did not send.
                None if sent && !s.field.secret && s.set => patch.remove.push(name.to_string()),
                None if s.field.secret && self.typed(CLEAR, name).is_some() => {
                    patch.remove.push(name.to_string())
                }
                None => {}
            }
        }
        let input = GatewayInput {
            status: Some(self.status.clone()),
            weight: Some(weight),
            accept_retries: Some(self.accept_retries.is_some()),
            cvv_required: Some(self.cvv_required.is_some()),
            accepted_currencies: Some(currencies),
            accepted_cards: Some(cards),
            merchant_account_reference_id: Some(self.reference.trim().to_string()),
            ..GatewayInput::default()
        };
        Ok((input, patch))
    }
}

/// What the page reports above the form.
enum Notice<'a> {
    None,
    Refused(&'a str),
    Tested(&'a VerifyResult),
}

/// The gateway's page: its facts, the edit form and the test button.
pub async fn gateway(
    State(st): State<AppState>,
    Session(s): Session,
    Path(token): Path<String>,
    Query(q): Query<PageQuery>,
) -> Response {
    let (g, settings) = match st.engine.gateway_for_edit(&s.tenant, &token).await {
        Ok(x) => x,
        Err(e) => return engine_failure(e),
    };
    let form = EditForm::of(&g);
    edit_page(
        &s,
        &g,
        &settings,
        &form,
        Notice::None,
        flash(q.msg.as_deref()),
    )
}

/// Saves the form; a refusal comes back on the form as typed, credentials excepted.
pub async fn save(
    State(st): State<AppState>,
    Path(token): Path<String>,
    Posted(s, f): Posted<EditForm>,
) -> Response {
    let (g, settings) = match st.engine.gateway_for_edit(&s.tenant, &token).await {
        Ok(x) => x,
        Err(e) => return engine_failure(e),
    };
    let refused = |why: &str| {
        let mut r = edit_page(&s, &g, &settings, &f, Notice::Refused(why), None);
        *r.status_mut() = StatusCode::BAD_REQUEST;
        r
    };
    let (input, patch) = match f.input(&settings) {
        Ok(x) => x,
        Err(why) => return refused(&why),
    };
    match st
        .engine
        .edit_gateway(&s.tenant, &token, input, &patch)
        .await
    {
        Ok(_) => {
            Redirect::to(&format!("/portal/gateways/{token}?msg=gateway-saved")).into_response()
        }
        Err(EngineError::Invalid(why)) => refused(&why),
        Err(e) => engine_failure(e),
    }
}

/// Tests the connection and shows the gateway's answer on the gateway's page.
pub async fn test(
    State(st): State<AppState>,
    Path(token): Path<String>,
    Posted(s, _): Posted<super::NoFields>,
) -> Response {
    let result = match st.engine.verify_gateway(&s.tenant, &token).await {
        Ok(r) => r,
        Err(e) => return engine_failure(e),
    };
    let (g, settings) = match st.engine.gateway_for_edit(&s.tenant, &token).await {
        Ok(x) => x,
        Err(e) => return engine_failure(e),
    };
    let form = EditForm::of(&g);
    edit_page(&s, &g, &settings, &form, Notice::Tested(&result), None)
}

fn edit_page(
    s: &PortalSession,
    g: &Gateway,
    settings: &[SettingState],
    form: &EditForm,
    notice: Notice<'_>,
    done: Option<&str>,
) -> Response {
    let action = format!("/portal/gateways/{}", g.token);
    let body = html! {
        (notice_box(&notice))
        dl class="facts" {
            dt { "Name" } dd { (g.name) }
            dt { "Type" } dd { (super::gateways::label(&g.gateway_type)) }
            dt { "Token" } dd { code { (g.token) } }
        }
        p class="hint" { "Name and type are set when a gateway is created; everything below can be changed." }
        h2 { "Test connection" }
        p { "Asks the gateway whether the stored settings work, with a call that moves no money." }
        form method="post" action={ (action) "/test" } class="inline" {
            (csrf_field(s))
            button type="submit" { "Test connection" }
        }
        h2 { "Edit" }
        form method="post" action={ (action) "/edit" } class="stack" autocomplete="off" {
            (csrf_field(s))
            label for="status" { "Status" }
            select id="status" name="status" {
                @for st in STATUSES {
                    option value=(st) selected[form.status == st] { (status_words(st)) }
                }
            }
            label for="weight" { "Routing weight (0 to 1000; 0 takes no new payments by draw)" }
            input id="weight" name="weight" type="number" min="0" max="1000" value=(form.weight) required;
            label class="check" {
                input type="checkbox" name="accept_retries" value="on" checked[form.accept_retries.is_some()];
                " Accepts retries of declined payments"
            }
            label class="check" {
                input type="checkbox" name="cvv_required" value="on" checked[form.cvv_required.is_some()];
                " Requires the card's security code"
            }
            label for="currencies" { "Accepted currencies (ISO codes, comma separated; empty accepts all)" }
            input id="currencies" name="currencies" value=(form.currencies);
            fieldset {
                legend { "Accepted cards (none ticked accepts all)" }
                @for b in BRANDS {
                    @let id = format!("card-{}", b.wire_name().replace(' ', "-"));
                    label class="check" for=(id) {
                        input id=(id) type="checkbox" name={ (CARD) (b.wire_name()) } value="on"
                            checked[form.typed(CARD, b.wire_name()).is_some()];
                        " " (b.wire_name())
                    }
                }
            }
            label for="reference" { "Merchant account reference id (optional)" }
            input id="reference" name="reference" maxlength="50" value=(form.reference);
            @if !settings.is_empty() {
                fieldset {
                    legend { "Settings" }
                    p class="hint" { "Credentials are write-only: leave one empty to keep the stored value." }
                    @for st in settings { (setting_input(st, form)) }
                }
            }
            button type="submit" { "Save gateway" }
        }
        p { a href="/portal/settings" { "Back to settings" } }
    };
    let mut resp = page(s, "settings", &format!("Gateway {}", g.name), done, body);
    if let Notice::Refused(_) = notice {
        *resp.status_mut() = StatusCode::BAD_REQUEST;
    }
    resp
}

fn notice_box(notice: &Notice<'_>) -> Markup {
    html! {
        @match notice {
            Notice::None => {}
            Notice::Refused(why) => {
                p class="error" role="alert" { "Not saved: " (why) }
            }
            Notice::Tested(VerifyResult::Accepted(m)) => {
                p class="flash" role="status" { strong { "Connection works. " } (m) }
            }
            Notice::Tested(VerifyResult::Refused(m)) => {
                p class="error" role="alert" { strong { "The gateway refused the settings. " } (m) }
            }
            Notice::Tested(VerifyResult::Unavailable(m)) => {
                p class="error" role="alert" { strong { "The gateway could not be asked. " } (m) }
            }
        }
    }
}

/// One settings field: a choice or text with its stored (or typed) value, or a credential's
/// empty password input with whether one is stored.
fn setting_input(st: &SettingState, form: &EditForm) -> Markup {
    let f = &st.field;
    let id = format!("setting-{}", f.name);
    let name = format!("{SETTING}{}", f.name);
    let hint = format!("{id}-stored");
    html! {
        label for=(id) { (f.label) @if !f.required { " (optional)" } " " code { (f.name) } }
        @if f.secret {
            p class="hint" id=(hint) {
                "Stored: " strong { (if st.set { "set" } else { "not set" }) }
                @if st.set { " — leave empty to keep it" }
            }
            input id=(id) name=(name) type="password" autocomplete="new-password" aria-describedby=(hint);
            @if st.set && !f.required {
                label class="check" {
                    input type="checkbox" name={ (CLEAR) (f.name) } value="on";
                    " Remove the stored " (f.name)
                }
            }
        } @else {
            @let value = form.typed(SETTING, f.name).or(st.value.as_deref()).unwrap_or("");
            @if !f.choices.is_empty() {
                select id=(id) name=(name) {
                    @if !f.required { option value="" { "—" } }
                    @for c in f.choices {
                        option value=(c) selected[value == *c] { (c) }
                    }
                }
            } @else {
                input id=(id) name=(name) value=(value) required[f.required];
            }
        }
    }
}
