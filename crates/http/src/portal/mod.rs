//! The merchant portal: server-rendered HTML under `/portal/`, assets compiled into the binary.
//!
//! Why server-rendered with no script: the pages are views over engine use cases the APIs
//! already expose, so HTML forms posting to the same process need no second API, no build
//! step and nothing fetched at run time; a strict Content-Security-Policy (`default-src
//! 'self'`, no inline script) then costs nothing. Charts are SVG drawn on the server, each with
//! a text equivalent.
//!
//! Sessions: an HttpOnly, SameSite=Strict cookie naming a server-side session (stored as its
//! HMAC); every form that changes something carries the session's CSRF token, and any POST
//! whose `Origin` is not this server's own (scheme, host and port) is refused before it reaches
//! a handler.

mod auth;
mod clock;
mod confirm;
mod credentials;
#[cfg(test)]
mod css_tests;
mod developers;
mod export;
mod financing;
mod follow_ups;
mod gateway_edit;
mod gateways;
mod orders;
pub(crate) mod origin;
mod overview;
mod payments;
mod recovery;
mod recovery_panel;
mod rescue;
mod settings;
mod transactions;
mod webhook_secret;
mod words;

use crate::AppState;
use axum::Router;
use axum::extract::{Form, FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{any, get, post};
use maud::{DOCTYPE, Markup, html};
use openflex_domain::money::{Currency, grouped};
use openflex_engine::Mode;
use openflex_engine::portal::PortalSession;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;

/// The session cookie's name.
pub const COOKIE: &str = "openflex_portal";

const CSS: &str = include_str!("portal.css");

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/portal", get(|| async { Redirect::to("/portal/") }))
        .route("/portal/", get(overview::overview))
        .route("/portal/assets/portal.css", get(css))
        .route("/portal/login", get(auth::login_page).post(auth::login))
        .route("/portal/logout", post(auth::logout))
        .route("/portal/mode", post(auth::switch_mode))
        .route("/portal/transactions", get(transactions::transactions))
        .route("/portal/transactions.csv", get(export::transactions_csv))
        .route("/portal/transactions/{id}", get(payments::transaction))
        .route(
            "/portal/transactions/{id}/{action}",
            post(follow_ups::follow_up),
        )
        .route("/portal/payment-methods", get(payments::payment_methods))
        .route(
            "/portal/payment-methods/{id}/redact",
            post(payments::redact),
        )
        .route("/portal/orders", get(orders::orders))
        .route("/portal/orders.csv", get(orders::orders_csv))
        .route("/portal/orders/{id}", get(rescue::order))
        .route("/portal/orders/{id}/{action}", post(rescue::order_action))
        .route("/portal/flexiti", get(financing::flexiti))
        .route(
            "/portal/webhooks",
            get(developers::webhooks).post(developers::add_endpoint),
        )
        .route("/portal/webhooks/secret", post(webhook_secret::reveal))
        .route("/portal/webhooks/secret/roll", post(webhook_secret::roll))
        .route(
            "/portal/webhooks/{id}/test",
            post(developers::test_endpoint),
        )
        .route(
            "/portal/webhooks/{id}/enabled",
            post(developers::set_endpoint_enabled),
        )
        .route("/portal/gateways", post(gateways::create_gateway))
        .route("/portal/gateways/new", get(gateways::new_gateway))
        .route(
            "/portal/gateways/{token}",
            get(gateway_edit::gateway).post(settings::save_gateway),
        )
        .route("/portal/gateways/{token}/edit", post(gateway_edit::save))
        .route("/portal/gateways/{token}/test", post(gateway_edit::test))
        .route(
            "/portal/webhooks/deliveries/{id}/redeliver",
            post(developers::redeliver),
        )
        .route(
            "/portal/credentials",
            get(credentials::credentials).post(credentials::issue),
        )
        .route("/portal/credentials/new", get(credentials::issued))
        .route("/portal/credentials/{id}/revoke", post(credentials::revoke))
        .route(
            "/portal/settings",
            get(settings::settings).post(settings::save_retry_policy),
        )
        .route(
            "/portal/clock",
            get(clock::clock).post(clock::advance_clock),
        )
        .route("/portal/{*rest}", any(no_such_page))
        .layer(middleware::from_fn_with_state(state.clone(), guard))
}

async fn no_such_page() -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "There is no page at this address in the portal.",
    )
}

/// Refuses cross-site POSTs, answers every refusal as a portal page, and marks every portal
/// answer uncacheable and unframeable.
async fn guard(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let token = cookie(&parts.headers, COOKIE);
    let mut resp =
        if parts.method == Method::POST && !origin::same_origin(&parts, &st.trusted_proxies) {
            problem(StatusCode::FORBIDDEN, "This form came from another site.")
        } else {
            next.run(Request::from_parts(parts, body)).await
        };
    if resp.status().is_client_error() || resp.status().is_server_error() {
        resp = dress(&st, token.as_deref(), resp).await;
    }
    crate::page_headers::secure(
        &mut resp,
        "default-src 'self'; img-src 'self' data:; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    resp
}

async fn css() -> Response {
    crate::page_headers::stylesheet(CSS)
}

/// What a page's URL may carry: a `?msg=` code after a redirect, and keyset positions.
#[derive(Deserialize, Default)]
pub struct PageQuery {
    pub msg: Option<String>,
    pub after: Option<String>,
    pub before: Option<String>,
}

/// The signed-in user of a page; anyone else is sent to the login page.
pub struct Session(pub PortalSession);

impl FromRequestParts<AppState> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Response> {
        let Some(token) = cookie(&parts.headers, COOKIE) else {
            return Err(to_login(parts));
        };
        match st.engine.portal_session(&token).await {
            Ok(Some(s)) => Ok(Session(s)),
            Ok(None) => Err(to_login(parts)),
            Err(e) => Err(engine_failure(e)),
        }
    }
}

fn to_login(parts: &Parts) -> Response {
    if parts.method == Method::GET {
        let next = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/portal/");
        let next: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
        Redirect::to(&format!("/portal/login?next={next}")).into_response()
    } else {
        Redirect::to("/portal/login").into_response()
    }
}

/// The value of cookie `name`.
pub fn cookie(h: &HeaderMap, name: &str) -> Option<String> {
    h.get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// A request the portal refuses, answered as a page.
#[derive(Debug)]
pub struct Refused {
    pub status: StatusCode,
    pub message: String,
}

impl Refused {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        problem(self.status, &self.message)
    }
}

/// A signed-in user's form, accepted only with the session's CSRF token: the one way a
/// portal handler takes a POST, so no handler can forget the check.
pub struct Posted<T>(pub PortalSession, pub T);

#[derive(Deserialize)]
struct WithCsrf<T> {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    form: T,
}

/// A form with nothing but its CSRF token.
#[derive(Deserialize)]
pub struct NoFields {}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for Posted<T> {
    type Rejection = Response;

    async fn from_request(req: Request, st: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let Session(s) = Session::from_request_parts(&mut parts, st).await?;
        let Form(f) = Form::<WithCsrf<T>>::from_request(Request::from_parts(parts, body), st)
            .await
            .map_err(|e| problem(StatusCode::BAD_REQUEST, &e.body_text()))?;
        csrf(&s, &f.csrf).map_err(IntoResponse::into_response)?;
        Ok(Posted(s, f.form))
    }
}

/// After an action: back to `to` when it worked, else the engine's refusal as a page.
pub fn redirect_after<T>(r: openflex_engine::Result<T>, to: &str) -> Response {
    match r {
        Ok(_) => Redirect::to(to).into_response(),
        Err(e) => engine_failure(e),
    }
}

/// The CSRF token a form carried must be its session's.
fn csrf(s: &PortalSession, given: &str) -> Result<(), Refused> {
    if openflex_vault::constant_time_eq(s.csrf_token.as_bytes(), given.as_bytes()) {
        Ok(())
    } else {
        Err(Refused {
            status: StatusCode::FORBIDDEN,
            message: "This form has expired. Reload the page and try again.".into(),
        })
    }
}

/// A hidden CSRF field for a form of this session.
pub fn csrf_field(s: &PortalSession) -> Markup {
    html! { input type="hidden" name="csrf" value=(s.csrf_token); }
}

/// What a refusal said, kept on its response so [`guard`] can show it inside the portal's own
/// page (navigation and mode switch) when the caller is signed in.
#[derive(Clone)]
struct Problem(String);

/// Turns a refusal into a portal page: the signed-in get the navigation around it; answers
/// made outside the portal's handlers (a method the route lacks, a body too large) get a
/// portal page in place of their plain text. Pages that word their own refusal (the login
/// form, a form shown again with its errors) are HTML already and pass as they are.
async fn dress(st: &AppState, token: Option<&str>, resp: Response) -> Response {
    let status = resp.status();
    let message = match resp.extensions().get::<Problem>() {
        Some(Problem(m)) => m.clone(),
        None if is_html(&resp) => return resp,
        None => match status {
            StatusCode::NOT_FOUND => "There is no page at this address in the portal.".into(),
            StatusCode::METHOD_NOT_ALLOWED => {
                "This address does not take that kind of request.".into()
            }
            StatusCode::PAYLOAD_TOO_LARGE => "That form was too large.".into(),
            _ => status.canonical_reason().unwrap_or("Error").to_string(),
        },
    };
    let session = match token {
        Some(t) => st.engine.portal_session(t).await.ok().flatten(),
        None => None,
    };
    let mut dressed = match session {
        Some(s) => {
            let title = status.canonical_reason().unwrap_or("Error");
            let body = html! {
                p class="error" role="alert" { (message) }
                p { a href="/portal/" { "Back to the overview" } }
            };
            let mut r = page(&s, "", title, None, body);
            *r.status_mut() = status;
            r
        }
        None => problem(status, &message),
    };
    for (name, value) in resp.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            dressed.headers_mut().append(name.clone(), value.clone());
        }
    }
    dressed
}

fn is_html(resp: &Response) -> bool {
    resp.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}

/// A page that failed because the engine did (the database is away, or a bug).
pub fn engine_failure(e: openflex_engine::EngineError) -> Response {
    use openflex_engine::EngineError as E;
    if e.unavailable().is_some() {
        return problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "The database is unavailable; try again shortly.",
        );
    }
    match e {
        E::NotFound => problem(StatusCode::NOT_FOUND, "Not found."),
        E::Invalid(m) => problem(StatusCode::BAD_REQUEST, &m),
        other => {
            tracing::error!(error = %other, "portal page failed");
            problem(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong.")
        }
    }
}

/// A bare error page (no navigation: the caller may not be signed in).
pub fn problem(status: StatusCode, message: &str) -> Response {
    let body = html! {
        (DOCTYPE)
        html lang="en" {
            head { (head_tags("Error")) }
            body {
                main class="narrow" {
                    h1 { (status.canonical_reason().unwrap_or("Error")) }
                    p role="alert" { (message) }
                    p { a href="/portal/" { "Back to the portal" } }
                }
            }
        }
    };
    let mut resp = (status, Html(body.into_string())).into_response();
    resp.extensions_mut().insert(Problem(message.to_string()));
    resp
}

fn head_tags(title: &str) -> Markup {
    html! {
        meta charset="utf-8";
        meta name="viewport" content="width=device-width, initial-scale=1";
        title { (title) " · openflex" }
        link rel="icon" href="data:,";
        link rel="stylesheet" href="/portal/assets/portal.css";
    }
}

const NAV: &[(&str, &str, &str)] = &[
    ("overview", "/portal/", "Overview"),
    ("transactions", "/portal/transactions", "Transactions"),
    (
        "payment-methods",
        "/portal/payment-methods",
        "Payment methods",
    ),
    ("orders", "/portal/orders", "Rescue orders"),
    ("flexiti", "/portal/flexiti", "Financing"),
    ("webhooks", "/portal/webhooks", "Webhooks"),
    ("credentials", "/portal/credentials", "API credentials"),
    ("settings", "/portal/settings", "Settings"),
    ("clock", "/portal/clock", "Test clock"),
];

/// A page of the signed-in portal: header (merchant, mode switch, sign out), navigation, body.
pub fn page(
    s: &PortalSession,
    active: &str,
    title: &str,
    flash: Option<&str>,
    body: Markup,
) -> Response {
    let live = s.tenant.mode == Mode::Live;
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head { (head_tags(title)) }
            body class=(if live { "live" } else { "sandbox" }) {
                a class="skip" href="#main" { "Skip to content" }
                header class="top" {
                    span class="brand" { "openflex" }
                    span class="merchant" { (s.merchant_name) }
                    span class={ "mode " (s.tenant.mode.as_str()) } { (if live { "Live" } else { "Sandbox" }) }
                    form method="post" action="/portal/mode" class="inline" {
                        (csrf_field(s))
                        input type="hidden" name="mode" value=(if live { "sandbox" } else { "live" });
                        button type="submit" class="link" { "Switch to " (if live { "sandbox" } else { "live" }) }
                    }
                    span class="user" { (s.email) }
                    form method="post" action="/portal/logout" class="inline" {
                        (csrf_field(s))
                        button type="submit" class="link" { "Sign out" }
                    }
                }
                div class="shell" {
                    nav aria-label="Portal" {
                        ul {
                            @for (key, href, label) in NAV {
                                @if *key != "clock" || !live {
                                    li {
                                        @if *key == active {
                                            a href=(href) aria-current="page" { (label) }
                                        } @else {
                                            a href=(href) { (label) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    main id="main" {
                        h1 { (title) }
                        @if let Some(f) = flash {
                            p class="flash" role="status" { (f) }
                        }
                        (body)
                    }
                }
            }
        }
    };
    Html(markup.into_string()).into_response()
}

/// Decimal places of a currency code (2 for a code it does not know): what an amount field
/// of a form is filled and read with.
pub fn exponent_of(currency: &str) -> u32 {
    Currency::parse(currency).map_or(2, |c| c.exponent())
}

/// An amount with its currency as people read it, by the currency's own sign and decimals
/// ([`Currency::display`]): `$1,234.56 USD`, `¥100 JPY`. A code the currency table does not
/// know keeps two decimals and is written as given.
pub fn in_currency(minor: i64, currency: &str) -> String {
    match Currency::parse(currency) {
        Ok(c) => c.display(minor),
        Err(_) => format!("{} {currency}", grouped(minor, 2))
            .trim_end()
            .to_string(),
    }
}

/// [`in_currency`] for an amount that may have no currency: a payment-method operation (the
/// bookkeeping rows) moves no money, and its zero is shown as a dash rather than a bare `0.00`.
pub fn money_or_dash(minor: i64, currency: Option<&str>) -> String {
    match currency.filter(|c| !c.is_empty()) {
        Some(c) => in_currency(minor, c),
        None => "—".into(),
    }
}

/// The portal's one spelling of an instant, to the minute: `2026-03-01 14:05 UTC`.
pub fn when(t: OffsetDateTime) -> String {
    stamp(t, false)
}

/// [`when`] to the second (`2026-03-01 14:05:09 UTC`), for lists of attempts, which can
/// follow each other within a minute.
pub fn when_exact(t: OffsetDateTime) -> String {
    stamp(t, true)
}

fn stamp(t: OffsetDateTime, seconds: bool) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let mut out = format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    );
    if seconds {
        out.push_str(&format!(":{:02}", t.second()));
    }
    out.push_str(" UTC");
    out
}

/// [`when`] as a `<time>` element (machine-readable, and never wrapped inside a table cell).
pub fn at(t: OffsetDateTime) -> Markup {
    html! { time datetime=(utc_rfc3339(t)) { (when(t)) } }
}

/// [`when_exact`] as a `<time>` element.
pub fn at_exact(t: OffsetDateTime) -> Markup {
    html! { time datetime=(utc_rfc3339(t)) { (when_exact(t)) } }
}

fn utc_rfc3339(t: OffsetDateTime) -> String {
    openflex_domain::time::rfc3339(t.to_offset(time::UtcOffset::UTC))
}

/// Pretty JSON for display.
pub fn pretty<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// A fixed message for a `?msg=` code after a redirect (never text taken from the URL).
pub fn flash(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "redacted" => "The payment method was redacted.",
        "redelivered" => "The delivery was queued again.",
        "test-sent" => "A test event was queued.",
        "revoked" => "The credential was revoked.",
        "disabled" => "The endpoint was disabled; it receives no events until enabled again.",
        "saved" => "Saved.",
        "gateway-created" => "The gateway was created.",
        "gateway-saved" => "The gateway was saved.",
        "captured" => "The order was captured.",
        "cancelled" => "The order was cancelled.",
        "refunded" => "The refund was accepted.",
        "follow-up-captured" => "The capture was approved.",
        "follow-up-voided" => "The void was approved.",
        "follow-up-refunded" => "The refund was approved.",
        "follow-up-pending" => {
            "The gateway has not answered yet; this page shows the result once it does."
        }
        _ => return None,
    })
}

#[cfg(test)]
mod when_tests {
    use time::macros::datetime;

    #[test]
    fn one_format_to_the_minute_or_the_second_in_utc() {
        let t = datetime!(2026-03-01 14:05:09.5 +02:00);
        assert_eq!(super::when(t), "2026-03-01 12:05 UTC");
        assert_eq!(super::when_exact(t), "2026-03-01 12:05:09 UTC");
        assert_eq!(
            super::at(t).into_string(),
            r#"<time datetime="2026-03-01T12:05:09.5Z">2026-03-01 12:05 UTC</time>"#
        );
    }
}

#[cfg(test)]
mod amount_tests {
    #[test]
    fn amounts_use_the_currencys_own_decimals() {
        assert_eq!(super::in_currency(123_456, "USD"), "$1,234.56 USD");
        assert_eq!(super::in_currency(100, "JPY"), "¥100 JPY");
        assert_eq!(super::in_currency(1_000, "KWD"), "1.000 KWD");
        assert_eq!(super::in_currency(123_456, "ZZZ"), "1,234.56 ZZZ");
        assert_eq!(super::in_currency(5, ""), "0.05");
        assert_eq!(super::money_or_dash(0, None), "—");
        assert_eq!(super::money_or_dash(0, Some("")), "—");
        assert_eq!(super::money_or_dash(1_250, Some("EUR")), "€12.50 EUR");
    }
}
