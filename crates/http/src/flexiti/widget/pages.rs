//! The widget's markup: one function per step, all in the page's language. Every control has
//! a visible label, refusals are announced (`role="alert"`) and tied to their field, and each
//! form works by a plain POST.

use super::super::body::dollars;
use super::super::messages::{self, Lang};
use super::texts::t;
use super::{CSS_PATH, Shown};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};
use openflex_domain::financing::Province;
use openflex_engine::financing::Calculation;
use std::collections::BTreeMap;

/// The application's fields, named as `apply` names them.
pub const APPLY_FIELDS: &[&str] = &[
    "first_name",
    "last_name",
    "dob",
    "email",
    "phone_number",
    "address_1",
    "address_2",
    "city",
    "province",
    "postal_code",
    "annual_income",
];

/// What every step's page needs.
pub struct Page<'a> {
    pub lang: Lang,
    /// This page (forms post here).
    pub href: String,
    /// This page in the other language.
    pub other: String,
    pub csrf: String,
    pub merchant: &'a str,
    pub sandbox: bool,
    pub shown: Shown,
}

impl Page<'_> {
    fn t(&self, key: &str) -> &'static str {
        t(key, self.lang)
    }

    fn ui(&self, key: &str) -> &'static str {
        messages::ui_strings(self.lang)
            .get(key)
            .copied()
            .unwrap_or_default()
    }

    fn money(&self, minor: i64) -> String {
        let d = dollars(minor);
        match self.lang {
            Lang::En => format!("${d}"),
            Lang::Fr => format!("{} $", d.replace('.', ",")),
        }
    }

    /// French puts a space before a colon.
    fn colon(&self) -> &'static str {
        if self.lang == Lang::Fr { " : " } else { ": " }
    }

    fn form_value<'v>(&'v self, key: &str, prefill: Option<&'v str>) -> &'v str {
        self.shown
            .form
            .get(key)
            .map(String::as_str)
            .or(prefill)
            .unwrap_or_default()
    }

    fn field_error(&self, key: &str) -> Option<&str> {
        self.shown
            .field_errors
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, m)| m.as_str())
    }

    /// A POST form to this page, with the CSRF token.
    fn form(&self, class: &str, body: Markup) -> Markup {
        html! {
            form method="post" action=(self.href) class=(class) {
                input type="hidden" name="csrf" value=(self.csrf);
                (body)
            }
        }
    }

    fn cancel(&self) -> Markup {
        self.form(
            "actions",
            html! { button type="submit" class="secondary" name="action" value="cancel" { (self.ui("cancel")) } },
        )
    }

    fn error(&self) -> Markup {
        html! {
            @if let Some(e) = &self.shown.error { p class="error" role="alert" { (e) } }
            @if !self.shown.field_errors.is_empty() && self.shown.error.is_none() {
                p class="error" role="alert" { (messages::message("wrong_inputs", self.lang)) }
            }
        }
    }

    /// A labelled text input; `kind` is its type, `auto` its autocomplete token.
    fn input(
        &self,
        name: &str,
        label: &str,
        kind: &str,
        auto: &str,
        value: &str,
        required: bool,
    ) -> Markup {
        let id = format!("f-{name}");
        let err = self.field_error(name);
        let err_id = format!("e-{name}");
        html! {
            div {
                label for=(id) { (label) @if required { span aria-hidden="true" { " *" } } }
                input id=(id) name=(name) type=(kind) value=(value) autocomplete=(auto)
                    required[required] aria-invalid=[err.map(|_| "true")]
                    aria-describedby=[err.map(|_| err_id.as_str())];
                @if let Some(m) = err { p class="field-error" id=(err_id) { (m) } }
            }
        }
    }

    fn layout(&self, title: &str, body: Markup) -> Markup {
        html! {
            (DOCTYPE)
            html lang=(self.lang.as_str()) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (title) " · " (self.t("brand")) }
                    link rel="stylesheet" href=(CSS_PATH);
                }
                body {
                    header {
                        span class="brand" { (self.t("brand")) }
                        span class="merchant" { (self.merchant) }
                        @let other = if self.lang == Lang::Fr { "en" } else { "fr" };
                        a class="langs" href=(self.other) lang=(other) hreflang=(other) { (self.t("other_language")) }
                    }
                    main { h1 { (title) } (body) }
                }
            }
        }
    }
}

/// Sign in: the account number, then the code sent to its phone.
pub fn sign_in(p: &Page, named: Option<&str>) -> Markup {
    let account = p.form_value("account_number", named);
    let body = if p.shown.code_sent {
        html! {
            (p.error())
            p { (p.t("code_sent")) }
            @if p.sandbox { p class="hint" { (p.t("sandbox_code")) } }
            (p.form("stack", html! {
                input type="hidden" name="account_number" value=(account);
                (p.input("code", p.t("code"), "text", "one-time-code", "", true))
                button type="submit" name="action" value="sign_in" { (p.t("sign_in")) }
            }))
            (p.cancel())
        }
    } else {
        html! {
            (p.error())
            p { (p.t("sign_in_intro")) }
            (p.form("stack", html! {
                (p.input("account_number", p.t("account_number"), "text", "off", account, true))
                button type="submit" name="action" value="send_code" { (p.t("send_code")) }
            }))
            (p.cancel())
        }
    };
    p.layout(p.t("title_purchase"), body)
}

/// The application, prefilled with what `widget/init` was told.
pub fn apply(p: &Page, told: &BTreeMap<String, String>) -> Markup {
    let v = |k: &str| p.form_value(k, told.get(k).map(String::as_str));
    let province = v("province").to_string();
    let (terms_version, terms) = messages::terms(p.lang);
    let body = html! {
        (p.error())
        p class="hint" { (p.t("apply_intro")) }
        (p.form("stack", html! {
            div class="pair" {
                (p.input("first_name", p.ui("first_name"), "text", "given-name", v("first_name"), true))
                (p.input("last_name", p.ui("last_name"), "text", "family-name", v("last_name"), true))
            }
            (p.input("dob", p.ui("date_of_birth"), "date", "bday", v("dob"), true))
            (p.input("email", p.ui("email"), "email", "email", v("email"), true))
            (p.input("phone_number", p.ui("phone"), "tel", "tel-national", v("phone_number"), true))
            p class="hint" { (p.t("phone_hint")) }
            (p.input("address_1", p.ui("address"), "text", "address-line1", v("address_1"), true))
            (p.input("address_2", p.t("address_2"), "text", "address-line2", v("address_2"), false))
            div class="pair" {
                (p.input("city", p.ui("city"), "text", "address-level2", v("city"), true))
                div {
                    label for="f-province" { (p.ui("province")) span aria-hidden="true" { " *" } }
                    select id="f-province" name="province" required autocomplete="address-level1"
                        aria-invalid=[p.field_error("province").map(|_| "true")] {
                        @for pr in Province::ALL {
                            option value=(pr.as_str()) selected[pr.as_str() == province] { (pr.as_str()) }
                        }
                    }
                    @if let Some(m) = p.field_error("province") { p class="field-error" { (m) } }
                }
            }
            (p.input("postal_code", p.ui("postal_code"), "text", "postal-code", v("postal_code"), true))
            (p.input("annual_income", p.ui("income"), "text", "off", v("annual_income"), false))
            p class="hint" { (p.t("income_hint")) }
            h2 { (p.t("terms_heading")) }
            div class="terms" tabindex="0" role="region" aria-label=(p.t("terms_heading")) data-version=(terms_version) { (terms) }
            div class="check" {
                input id="f-tos" type="checkbox" name="tos_agreement" value="yes" required
                    aria-invalid=[p.field_error("tos_agreement").map(|_| "true")];
                label for="f-tos" { (p.ui("tos_consent")) }
            }
            @if let Some(m) = p.field_error("tos_agreement") { p class="field-error" { (m) } }
            button type="submit" name="action" value="apply" { (p.t("apply")) }
        }))
        (p.cancel())
    };
    p.layout(p.t("title_apply"), body)
}

/// The plans and monthly payments for the cart (`calculate-interest`), and the terms to accept.
pub fn choose(p: &Page, c: &Calculation) -> Markup {
    let (terms_version, terms) = messages::terms(p.lang);
    let apr = |bp: u32| format!("{}.{:02} %", bp / 100, bp % 100);
    let body = html! {
        (p.error())
        p class="cart" { (p.ui("amount")) (p.colon()) strong { (p.money(c.amount)) } }
        p class="hint" { (p.ui("available_credit")) (p.colon()) (p.money(c.account.available_credit)) }
        p { (p.t("choose_intro")) }
        (p.form("", html! {
            fieldset {
                legend { (p.ui("plan")) }
                @for o in &c.offers {
                    @for q in &o.quotes {
                        @let id = format!("plan-{}-{}", o.plan.plan_id, q.term);
                        div class="option" {
                            input type="radio" id=(id) name="plan" value=(format!("{}:{}", o.plan.plan_id, q.term)) required;
                            label for=(id) {
                                (o.plan.name) " — " (q.term) " " (p.ui("months")) (p.colon())
                                span class="payment" data-payment=(dollars(q.payment)) { (p.money(q.payment)) " " (p.t("per_month")) }
                                br;
                                span class="hint" { (p.t("apr")) " " (apr(q.apr_bp)) " · " (p.t("cost_of_borrowing")) " " (p.money(q.financing_cost)) }
                            }
                        }
                    }
                }
                @if c.offers.is_empty() { p class="hint" { (p.t("no_plans")) } }
                div class="option" {
                    input type="radio" id="plan-regular" name="plan" value="regular" required;
                    label for="plan-regular" {
                        (p.t("regular")) (p.colon())
                        span class="payment" data-payment=(dollars(c.regular.payment)) { (p.money(c.regular.payment)) " " (p.t("per_month")) }
                        br;
                        span class="hint" { (p.t("apr")) " " (apr(c.regular.apr_bp)) }
                    }
                }
            }
            h2 { (p.t("terms_heading")) }
            div class="terms" tabindex="0" role="region" aria-label=(p.t("terms_heading")) data-version=(terms_version) { (terms) }
            div class="check" {
                input id="f-accept" type="checkbox" name="accept_terms" value="yes" required;
                label for="f-accept" { (p.t("accept_terms")) }
            }
            div class="actions" {
                button type="submit" name="action" value="accept" { (p.t("confirm")) }
            }
        }))
        (p.cancel())
    };
    p.layout(p.t("title_choose"), body)
}

/// A session with an outcome: what happened, and the way back to the merchant.
pub fn finished(p: &Page, outcome: &str, back: Option<&str>) -> Markup {
    let key = format!("outcome_{outcome}");
    let title = if outcome == "approved" {
        p.t("title_done")
    } else {
        p.t("title_closed")
    };
    p.layout(
        title,
        html! {
            p role="status" class=[(outcome == "approved").then_some("ok")] { (p.t(&key)) }
            @if let Some(url) = back { p { a href=(url) { (p.t("back_to_merchant")) } } }
        },
    )
}

/// Pages without a session to show.
#[derive(Debug, Clone, Copy)]
pub enum Problem {
    NotFound,
    Expired,
    Forbidden,
    HttpsRequired,
    Internal,
}

pub fn problem(kind: Problem, lang: Lang) -> Response {
    let (status, title, text) = match kind {
        Problem::NotFound => (StatusCode::NOT_FOUND, "title_not_found", "not_found"),
        Problem::Expired => (StatusCode::GONE, "title_expired", "expired"),
        Problem::Forbidden => (StatusCode::FORBIDDEN, "title_error", "form_expired"),
        Problem::HttpsRequired => (StatusCode::FORBIDDEN, "title_https", "https_required"),
        Problem::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "title_error", "error"),
    };
    let body = html! {
        (DOCTYPE)
        html lang=(lang.as_str()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (t(title, lang)) " · " (t("brand", lang)) }
                link rel="stylesheet" href=(CSS_PATH);
            }
            body {
                header { span class="brand" { (t("brand", lang)) } }
                main { h1 { (t(title, lang)) } p role="alert" { (t(text, lang)) } }
            }
        }
    };
    (status, Html(body.into_string())).into_response()
}
