//! The merchant portal over real HTTP: sign-in and its cookie, CSRF and cross-site refusal, who
//! may become a user, and that a user sees only their own merchant; and the browser-like client
//! (`Portal`) that every portal test drives (`portal_actions.rs` has the pages and actions).

use crate::dual;
use crate::helpers::*;
use openflex_domain::Secret;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::Value;
dual!(
    sign_in_sets_a_strict_session_cookie_and_sign_out_ends_it,
    wrong_passwords_and_strangers_are_turned_away,
    forms_need_the_session_token_and_this_origin,
    a_user_sees_only_their_own_merchant,
    users_are_created_with_strong_passwords_only,
);

/// A browser-like client: no redirects followed, one session cookie.
pub struct Portal<'a> {
    app: &'a TestApp,
    client: reqwest::Client,
    cookie: Option<String>,
}

pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Page {
    /// The CSRF token of the page's first form.
    pub fn csrf(&self) -> String {
        let at = self
            .text
            .find("name=\"csrf\" value=\"")
            .expect("a form with a CSRF token")
            + 19;
        self.text[at..at + 64].to_string()
    }

    pub fn location(&self) -> String {
        self.headers
            .get(LOCATION)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    }
}

/// `GET /admin/merchants/{sandbox merchant}{suffix}`.
pub async fn merchant_get(app: &TestApp, suffix: &str) -> Value {
    let (status, v) = app
        .admin(
            Method::GET,
            &format!("/admin/merchants/{}{suffix}", app.merchant_id),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v
}

pub fn sandbox_login(app: &TestApp) -> (String, String) {
    let text = std::fs::read_to_string(app.data_dir.join("sandbox-credentials.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    (
        v["portal"]["email"].as_str().unwrap().to_string(),
        v["portal"]["password"].as_str().unwrap().to_string(),
    )
}

impl<'a> Portal<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookie: None,
        }
    }

    /// The session cookie's value, once signed in.
    pub fn cookie(&self) -> Option<&str> {
        self.cookie.as_deref()
    }

    pub async fn signed_in(app: &'a TestApp) -> Self {
        let (email, password) = sandbox_login(app);
        let mut p = Self::new(app);
        let page = p.login(&email, &password).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text);
        p
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> Page {
        let req = match &self.cookie {
            Some(c) => req.header("Cookie", format!("openflex_portal={c}")),
            None => req,
        };
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let headers = resp.headers().clone();
        if let Some(set) = headers.get(SET_COOKIE).and_then(|v| v.to_str().ok()) {
            let value = set
                .split(';')
                .next()
                .unwrap()
                .trim_start_matches("openflex_portal=");
            self.cookie = (!value.is_empty()).then(|| value.to_string());
        }
        let text = resp.text().await.unwrap_or_default();
        Page {
            status,
            headers,
            text,
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let req = self.client.get(self.app.url(path));
        self.send(req).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let req = self
            .client
            .post(self.app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", self.app.base.trim_end_matches('/'))
            .body(body);
        self.send(req).await
    }

    pub async fn login(&mut self, email: &str, password: &str) -> Page {
        self.post(
            "/portal/login",
            &[
                ("email", email),
                ("password", password),
                ("next", "/portal/"),
            ],
        )
        .await
    }

    /// POSTs a form of the page at `from` with its CSRF token.
    pub async fn submit(&mut self, from: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let page = self.get(from).await;
        assert_eq!(page.status, StatusCode::OK, "{from}: {}", page.text);
        let csrf = page.csrf();
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        self.post(action, &form).await
    }
}

async fn sign_in_sets_a_strict_session_cookie_and_sign_out_ends_it(app: TestApp) {
    let mut p = Portal::new(&app);
    let page = p.get("/portal/transactions?type=Charge").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        page.location(),
        "/portal/login?next=%2Fportal%2Ftransactions%3Ftype%3DCharge"
    );
    let (email, password) = sandbox_login(&app);
    let page = p.login(&email, &password).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text);
    assert_eq!(page.location(), "/portal/");
    let cookie = page
        .headers
        .get(SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    for attr in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/portal",
        "Max-Age=43200",
    ] {
        assert!(cookie.contains(attr), "{cookie} lacks {attr}");
    }
    let page = p.get("/portal/").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("Approved volume"), "{}", page.text);
    assert!(page.text.contains(&email));
    let csp = page
        .headers
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(page.headers.get("cache-control").unwrap(), "no-store");
    let old = p.cookie.clone().unwrap();
    // The session's cookie (and the password) are not stored in clear.
    if app.backend == Backend::Sqlite {
        let db = app.database_url.trim_start_matches("sqlite://").to_string();
        for file in [db.clone(), format!("{db}-wal")] {
            let bytes = std::fs::read(&file).unwrap_or_default();
            for secret in [old.as_str(), password.as_str()] {
                assert!(
                    !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                    "{file} holds a portal secret in clear"
                );
            }
        }
    }
    let page = p.submit("/portal/", "/portal/logout", &[]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/portal/login");
    // The old cookie no longer opens anything.
    p.cookie = Some(old);
    let page = p.get("/portal/").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
}

async fn wrong_passwords_and_strangers_are_turned_away(app: TestApp) {
    let (email, _) = sandbox_login(&app);
    let mut p = Portal::new(&app);
    let page = p.login(&email, "not the password at all").await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(page.headers.get(SET_COOKIE).is_none());
    assert!(page.text.contains("do not match"));
    let page = p
        .login("nobody@example.com", "not the password at all")
        .await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    // A forged cookie is a stranger.
    p.cookie = Some("forged".into());
    assert_eq!(p.get("/portal/").await.status, StatusCode::SEE_OTHER);
    // An open redirect is not offered.
    let (email, password) = sandbox_login(&app);
    let mut p = Portal::new(&app);
    let page = p
        .post(
            "/portal/login",
            &[
                ("email", &email),
                ("password", &password),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(page.location(), "/portal/");
}

async fn forms_need_the_session_token_and_this_origin(app: TestApp) {
    let mut p = Portal::signed_in(&app).await;
    let page = p.post("/portal/credentials", &[("csrf", "0000")]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let page = p.post("/portal/credentials", &[]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let csrf = p.get("/portal/credentials").await.csrf();
    let resp = p
        .client
        .post(app.url("/portal/credentials"))
        .header(
            "Cookie",
            format!("openflex_portal={}", p.cookie.clone().unwrap()),
        )
        .header("origin", "http://evil.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={csrf}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    // X-Forwarded-Host counts only from a trusted proxy (none is configured here), so a client
    // cannot name the origin it is checked against (portal_origin covers the trusted case).
    let resp = p
        .client
        .post(app.url("/portal/mode"))
        .header(
            "Cookie",
            format!("openflex_portal={}", p.cookie.clone().unwrap()),
        )
        .header("origin", "https://pay.shop.example")
        .header("x-forwarded-host", "pay.shop.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={csrf}&mode=sandbox"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    // Nothing was issued by the refused forms.
    let creds = merchant_get(&app, "/credentials").await;
    let keys = creds["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "flexpay_api_key")
        .count();
    assert_eq!(keys, 1, "{creds}");
}

async fn a_user_sees_only_their_own_merchant(app: TestApp) {
    let theirs = app.charge("their-charge", 1500).await;
    let their_pm = app.vault_visa().await;
    let other = app.new_merchant("sandbox").await;
    app.engine
        .create_portal_user(
            &other.merchant_id,
            "other@shop.example",
            Secret::new("correct horse battery".into()),
        )
        .await
        .unwrap();
    let mut p = Portal::new(&app);
    assert_eq!(
        p.login("other@shop.example", "correct horse battery")
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let id = theirs["transactionId"].as_str().unwrap();
    assert_eq!(
        p.get(&format!("/portal/transactions/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    let page = p.get("/portal/transactions?q=their-charge").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.text.contains(id));
    assert!(
        !p.get("/portal/payment-methods")
            .await
            .text
            .contains(&their_pm)
    );
    let page = p
        .submit(
            "/portal/payment-methods",
            &format!("/portal/payment-methods/{their_pm}/redact"),
            &[],
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let (_, v) = app.get(&format!("/v1/paymentmethods/{their_pm}")).await;
    assert_ne!(v["paymentMethod"]["storageState"], "Redacted");
    let creds = p.get("/portal/credentials").await.text;
    let sandbox_creds: Value = serde_json::from_str(
        &std::fs::read_to_string(app.data_dir.join("sandbox-credentials.json")).unwrap(),
    )
    .unwrap();
    assert!(!creds.contains(sandbox_creds["flexfactor"]["mid"].as_str().unwrap()));
}

async fn users_are_created_with_strong_passwords_only(app: TestApp) {
    let short = app
        .engine
        .create_portal_user(
            &app.merchant_id,
            "a@shop.example",
            Secret::new("short".into()),
        )
        .await;
    assert!(short.is_err());
    let (email, _) = sandbox_login(&app);
    let again = app
        .engine
        .create_portal_user(
            &app.merchant_id,
            &email.to_uppercase(),
            Secret::new("a long enough password".into()),
        )
        .await;
    assert!(again.is_err(), "emails are unique regardless of case");
    let nobody = app
        .engine
        .create_portal_user(
            "no-such-merchant",
            "b@shop.example",
            Secret::new("a long enough password".into()),
        )
        .await;
    assert!(nobody.is_err());
}
