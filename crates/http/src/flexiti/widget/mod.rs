//! The Flexiti hosted widget's page, server-rendered like the portal and for the same reasons
//! (no script, nothing fetched at run time, a strict Content-Security-Policy). It is served at
//! `/flexiti/widget/{client_id}/{token}?lang=…&x-reference-id=…&widget_session_id=…`, the
//! vendor's fragment URL turned into a path (docs/flexiti.md "Widget (W1)").
//!
//! Every step is a GET of that URL (which shows what the session is at) or a POST to it (one
//! action, then a 303 back to it, or the page again with the refusal). The URL's token is the
//! only credential: there is no cookie, so a POST carries the session's CSRF token and must come
//! from this server's own origin, and the token is never sent in a `Referer` to another site.

mod pages;
mod texts;

use super::messages::{self, Lang};
use super::request;
use crate::portal::origin;
use crate::{AppState, client};
use axum::Router;
use axum::extract::{Form, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use openflex_domain::Secret;
use openflex_engine::financing::FlexitiFail;
use openflex_engine::financing::widget::{Choice, Widget};
use pages::{Page, Problem};
use serde_json::{Map, Value};
use std::collections::HashMap;

const CSS: &str = include_str!("widget.css");
/// Where the stylesheet is served: outside the page's own path so no URL shape can shadow it.
pub const CSS_PATH: &str = "/flexiti/widget-assets/widget.css";

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/flexiti/widget/{client_id}/{token}", get(page).post(act))
        .route(CSS_PATH, get(css))
        .layer(middleware::from_fn_with_state(state.clone(), guard))
}

/// Refuses cross-site POSTs; every answer is uncacheable, unframeable and sends a referrer
/// only to this server (the URL holds the session's token). Not `no-referrer`: with it
/// browsers send `Origin: null` on the page's own forms, which the origin check must refuse.
/// `form-action` admits any http(s) target because browsers apply it to the 303 that follows a
/// form, and the last one goes to the merchant's return URL.
async fn guard(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let cross_site =
        parts.method == Method::POST && !origin::same_origin(&parts, &st.trusted_proxies);
    let mut resp = if cross_site {
        pages::problem(Problem::Forbidden, Lang::En)
    } else {
        next.run(Request::from_parts(parts, body)).await
    };
    crate::page_headers::secure(
        &mut resp,
        "default-src 'none'; style-src 'self'; form-action 'self' http: https:; frame-ancestors 'none'; base-uri 'none'",
    );
    resp
}

async fn css() -> Response {
    crate::page_headers::stylesheet(CSS)
}

/// The page's URL: path segments and query as `widget/init` gave them, and whether the
/// browser reached it over HTTPS.
struct Address {
    client_id: String,
    token: String,
    query: HashMap<String, String>,
    https: bool,
}

impl Address {
    fn session_id(&self) -> &str {
        self.query
            .get("widget_session_id")
            .map(String::as_str)
            .unwrap_or_default()
    }

    /// The language the URL asks for, else the session's.
    fn lang(&self, w: Option<&Widget>) -> Lang {
        self.query
            .get("lang")
            .and_then(|l| Lang::parse(l))
            .or_else(|| w.and_then(|w| Lang::parse(&w.session.lang)))
            .unwrap_or_default()
    }

    /// The page itself, in `lang` (a relative URL, so it needs no host).
    fn href(&self, lang: Lang) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("lang", lang.as_str());
        if let Some(r) = self.query.get("x-reference-id") {
            q.append_pair("x-reference-id", r);
        }
        q.append_pair("widget_session_id", self.session_id());
        format!(
            "/flexiti/widget/{}/{}?{}",
            enc(&self.client_id),
            enc(&self.token),
            q.finish()
        )
    }
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn open(st: &AppState, a: &Address) -> Result<Widget, Response> {
    match st
        .engine
        .flexiti_widget_open(&a.client_id, a.session_id(), &a.token)
        .await
    {
        // Live pages, like live calls (docs/flexiti.md §2.1), only over HTTPS: the shopper's
        // code and application must not cross the network in clear.
        Ok(w) if w.caller.tenant.mode == openflex_engine::Mode::Live && !a.https => {
            Err(pages::problem(Problem::HttpsRequired, a.lang(Some(&w))))
        }
        Ok(w) => Ok(w),
        Err(FlexitiFail::Refused(r)) if r.code == "widget_expired" => {
            Err(pages::problem(Problem::Expired, a.lang(None)))
        }
        Err(FlexitiFail::Refused(_)) => Err(pages::problem(Problem::NotFound, a.lang(None))),
        Err(FlexitiFail::Engine(e)) => {
            tracing::error!(error = %e, "widget page failed");
            Err(pages::problem(Problem::Internal, a.lang(None)))
        }
    }
}

async fn page(
    State(st): State<AppState>,
    parts: Parts,
    Path((client_id, token)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let a = Address {
        client_id,
        token,
        query,
        https: client::scheme(&parts, &st.trusted_proxies) == "https",
    };
    match open(&st, &a).await {
        Ok(w) => current(&st, &a, &w, Shown::default()).await,
        Err(r) => r,
    }
}

/// What a re-rendered step shows besides the session: the refusal and the values sent.
#[derive(Default)]
pub(super) struct Shown {
    pub error: Option<String>,
    pub field_errors: Vec<(String, String)>,
    pub form: HashMap<String, String>,
    /// The code was sent: the sign-in step asks for it.
    pub code_sent: bool,
}

/// The page for where the session is.
async fn current(st: &AppState, a: &Address, w: &Widget, shown: Shown) -> Response {
    let lang = a.lang(Some(w));
    let status = if shown.error.is_some() || !shown.field_errors.is_empty() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let p = page_of(st, a, w, shown);
    let markup = if let Some(outcome) = &w.session.outcome {
        return (
            StatusCode::GONE,
            Html(pages::finished(&p, outcome, return_to(w).as_deref()).into_string()),
        )
            .into_response();
    } else if w.session.verified_account.is_some() {
        match st.engine.flexiti_widget_quote(w).await {
            Ok(Some(calc)) => pages::choose(&p, &calc),
            Ok(None) => pages::finished(&p, "approved", return_to(w).as_deref()),
            Err(e) => return failure(e, lang),
        }
    } else if w.session.flow == "apply" {
        pages::apply(&p, &w.applicant())
    } else {
        pages::sign_in(&p, w.session.account_number.as_deref())
    };
    (status, Html(markup.into_string())).into_response()
}

fn page_of<'a>(st: &AppState, a: &Address, w: &'a Widget, shown: Shown) -> Page<'a> {
    let lang = a.lang(Some(w));
    Page {
        lang,
        href: a.href(lang),
        other: a.href(if lang == Lang::Fr { Lang::En } else { Lang::Fr }),
        csrf: st.engine.flexiti_widget_csrf(w),
        merchant: &w.caller.merchant_name,
        sandbox: w.caller.tenant.mode == openflex_engine::Mode::Sandbox,
        shown,
    }
}

/// The merchant's return URL with the session's outcome in its query, once there is one.
fn return_to(w: &Widget) -> Option<String> {
    let s = &w.session;
    let (Some(url), Some(outcome)) = (&s.return_url, &s.outcome) else {
        return None;
    };
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("status", outcome);
    q.append_pair("widget_session_id", &s.id);
    if let Some(id) = s.authorization_id {
        q.append_pair("authorization_id", &id.to_string());
    }
    if let Some(id) = &s.application_id {
        q.append_pair("application_id", id);
    }
    if let Some(r) = &s.reference {
        q.append_pair("reference", r);
    }
    let sep = if url.contains('?') { '&' } else { '?' };
    Some(format!("{url}{sep}{}", q.finish()))
}

fn failure(e: FlexitiFail, lang: Lang) -> Response {
    match e {
        FlexitiFail::Refused(_) => pages::problem(Problem::NotFound, lang),
        FlexitiFail::Engine(e) => {
            tracing::error!(error = %e, "widget page failed");
            pages::problem(Problem::Internal, lang)
        }
    }
}

async fn act(
    State(st): State<AppState>,
    parts: Parts,
    Path((client_id, token)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let a = Address {
        client_id,
        token,
        query,
        https: client::scheme(&parts, &st.trusted_proxies) == "https",
    };
    let w = match open(&st, &a).await {
        Ok(w) => w,
        Err(r) => return r,
    };
    let lang = a.lang(Some(&w));
    let csrf = st.engine.flexiti_widget_csrf(&w);
    let given = form.get("csrf").map(String::as_str).unwrap_or_default();
    if !openflex_vault::constant_time_eq(csrf.as_bytes(), given.as_bytes()) {
        return pages::problem(Problem::Forbidden, lang);
    }
    if !w.is_open() {
        return current(&st, &a, &w, Shown::default()).await;
    }
    let field = |k: &str| {
        form.get(k)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let engine = &st.engine;
    let done = match field("action").as_str() {
        "send_code" => {
            let account = field("account_number");
            match engine.flexiti_widget_send_code(&w, &account).await {
                Ok(()) => {
                    let shown = Shown {
                        code_sent: true,
                        form: form.clone(),
                        ..Default::default()
                    };
                    return current(&st, &a, &w, shown).await;
                }
                Err(e) => Err(e),
            }
        }
        "sign_in" => {
            let code = Secret::new(field("code"));
            engine
                .flexiti_widget_sign_in(&w, &field("account_number"), &code)
                .await
        }
        "apply" => match request::application(&application_body(&form, lang)) {
            Ok(app) => engine.flexiti_widget_apply(&w, app).await,
            Err(e) => {
                let shown = Shown {
                    field_errors: e
                        .field_errors
                        .iter()
                        .map(|f| {
                            (
                                f.param.clone(),
                                messages::field_message(&f.msg, lang).into(),
                            )
                        })
                        .collect(),
                    form: form.clone(),
                    ..Default::default()
                };
                return current(&st, &a, &w, shown).await;
            }
        },
        "accept" => match choice(&form) {
            Err(key) => Err(FlexitiFail::Refused(
                openflex_engine::financing::Refusal::new(key),
            )),
            Ok(c) => engine.flexiti_widget_accept(&w, c).await.map(|_| ()),
        },
        "cancel" => engine.flexiti_widget_end(&w, "cancelled", None).await,
        _ => return pages::problem(Problem::Forbidden, lang),
    };
    // What the session is now: ended (back to the merchant), moved on (the next step), or
    // unchanged with the refusal shown.
    let now = match open(&st, &a).await {
        Ok(w) => w,
        Err(r) => return r,
    };
    if now.session.outcome.as_deref().is_some_and(|o| o != "busy") {
        return match return_to(&now) {
            Some(url) => Redirect::to(&url).into_response(),
            None => {
                let p = page_of(&st, &a, &now, Shown::default());
                let outcome = now.session.outcome.as_deref().unwrap_or_default();
                Html(pages::finished(&p, outcome, None).into_string()).into_response()
            }
        };
    }
    match done {
        Ok(()) => Redirect::to(&a.href(lang)).into_response(),
        Err(FlexitiFail::Refused(r)) => {
            let shown = Shown {
                error: Some(refusal_text(r.code, lang).into()),
                code_sent: field("action") == "sign_in",
                form,
                ..Default::default()
            };
            current(&st, &a, &now, shown).await
        }
        Err(FlexitiFail::Engine(e)) => failure(FlexitiFail::Engine(e), lang),
    }
}

/// The page's words for a refusal: its own for what only the page checks, else the API's.
fn refusal_text(code: &str, lang: Lang) -> &'static str {
    match code {
        "choose_plan_required" | "terms_required" => texts::t(code, lang),
        _ => messages::message(code, lang),
    }
}

/// The plan picked (`regular` or `plan_id:term`) and the terms accepted.
fn choice(form: &HashMap<String, String>) -> Result<Choice, &'static str> {
    let picked = form.get("plan").map(String::as_str).unwrap_or_default();
    let c = if picked == "regular" {
        Choice::Regular
    } else {
        let (plan, term) = picked.split_once(':').ok_or("choose_plan_required")?;
        Choice::Promotional {
            plan_id: plan.parse().map_err(|_| "choose_plan_required")?,
            term: term.parse().map_err(|_| "choose_plan_required")?,
        }
    };
    if form.get("accept_terms").map(String::as_str) != Some("yes") {
        return Err("terms_required");
    }
    Ok(c)
}

/// The application form as the body `apply` reads: the same fields, so the same rules and the
/// same field errors. Empty optional fields are left out; a checked consent is `true`; the
/// page's language is the applicant's.
fn application_body(form: &HashMap<String, String>, lang: Lang) -> Value {
    let mut body = Map::new();
    for k in pages::APPLY_FIELDS {
        if let Some(v) = form.get(*k).map(|v| v.trim()).filter(|v| !v.is_empty()) {
            body.insert((*k).to_string(), Value::String(v.to_string()));
        }
    }
    body.insert(
        "tos_agreement".into(),
        Value::Bool(form.get("tos_agreement").map(String::as_str) == Some("yes")),
    );
    let language = if lang == Lang::Fr { "fr-CA" } else { "en-CA" };
    body.insert("preferred_language".into(), Value::String(language.into()));
    Value::Object(body)
}
