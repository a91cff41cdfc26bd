//! Signing in and out, and the sandbox/live switch.

use super::{COOKIE, NoFields, Posted, engine_failure, head_tags, problem, redirect_after};
use crate::AppState;
use axum::extract::{Form, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{DOCTYPE, html};
use openflex_domain::Secret;
use openflex_engine::Mode;
use openflex_engine::portal::SESSION_TTL;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only a path inside the portal may be returned to (no open redirect).
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n)
            if n.starts_with("/portal/")
                && !n.contains("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control) =>
        {
            n
        }
        _ => "/portal/",
    }
}

fn login_form(next: &str, error: Option<&str>) -> Html<String> {
    Html(
        html! {
            (DOCTYPE)
            html lang="en" {
                head { (head_tags("Sign in")) }
                body {
                    main class="narrow" id="main" {
                        h1 { "Sign in to openflex" }
                        @if let Some(e) = error {
                            p class="error" role="alert" { (e) }
                        }
                        form method="post" action="/portal/login" class="stack" {
                            input type="hidden" name="next" value=(next);
                            label for="email" { "Email" }
                            input id="email" name="email" type="email" autocomplete="username" required autofocus;
                            label for="password" { "Password" }
                            input id="password" name="password" type="password" autocomplete="current-password" required;
                            button type="submit" { "Sign in" }
                        }
                        p class="hint" { "Users are created with " code { "openflex user create" } "." }
                    }
                }
            }
        }
        .into_string(),
    )
}

pub async fn login_page(Query(q): Query<NextQuery>) -> Response {
    login_form(safe_next(q.next.as_deref()), None).into_response()
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

/// Every attempt counts against the sign-in budgets of the account and the client (not only
/// failures): each one costs an Argon2id hash, which must not become a way to burn the
/// server's CPU.
pub async fn login(State(st): State<AppState>, parts: Parts, Form(f): Form<LoginForm>) -> Response {
    if let Some(wait) = st
        .failed_auth
        .portal_attempt(&f.email, st.client_ip(&parts))
    {
        let resp = problem(
            StatusCode::TOO_MANY_REQUESTS,
            &format!("Too many sign-in attempts; try again in {wait} seconds."),
        );
        return crate::retry_after(resp, wait);
    }
    let next = safe_next(f.next.as_deref()).to_string();
    match st
        .engine
        .portal_login(&f.email, Secret::new(f.password))
        .await
    {
        Ok(Some(token)) => {
            let mut resp = Redirect::to(&next).into_response();
            // Behind a TLS-terminating proxy the cookie is marked Secure.
            let secure = if crate::client::scheme(&parts, &st.trusted_proxies) == "https" {
                "; Secure"
            } else {
                ""
            };
            let cookie = format!(
                "{COOKIE}={token}; Path=/portal; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
                SESSION_TTL.as_secs()
            );
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                resp.headers_mut().insert(header::SET_COOKIE, v);
            }
            resp
        }
        Ok(None) => (
            StatusCode::UNAUTHORIZED,
            login_form(
                &next,
                Some("That email and password do not match a portal user."),
            ),
        )
            .into_response(),
        Err(e) => engine_failure(e),
    }
}

pub async fn logout(State(st): State<AppState>, Posted(s, _): Posted<NoFields>) -> Response {
    if let Err(e) = st.engine.portal_logout(&s).await {
        return engine_failure(e);
    }
    let mut resp = Redirect::to("/portal/login").into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static(
            "openflex_portal=; Path=/portal; HttpOnly; SameSite=Strict; Max-Age=0",
        ),
    );
    resp
}

#[derive(Deserialize)]
pub struct ModeForm {
    #[serde(default)]
    mode: String,
}

pub async fn switch_mode(State(st): State<AppState>, Posted(s, f): Posted<ModeForm>) -> Response {
    let Some(mode) = Mode::parse(&f.mode) else {
        return problem(StatusCode::BAD_REQUEST, "mode must be sandbox or live.");
    };
    redirect_after(st.engine.portal_set_mode(&s, mode).await, "/portal/")
}
