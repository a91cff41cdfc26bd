//! The portal's cross-site refusal compares the whole origin (scheme, host and port) with the
//! server's own, and forwarded headers (`X-Forwarded-Host`, `X-Forwarded-Proto`) count only
//! from a trusted proxy — for the Origin check and for the cookie's `Secure` flag alike.

use crate::dual;
use crate::helpers::*;
use crate::platform::auth_budgets::{proxy, stranger};
use crate::platform::portal::{Portal, sandbox_login};
use reqwest::header::SET_COOKIE;
use reqwest::{Client, Method, StatusCode};

dual!(origin_must_match_scheme_host_and_port);

dual!(
    config = |c| c.trusted_proxies = vec!["127.0.0.1/32".into()];
    forwarded_host_and_proto_count_only_from_a_trusted_proxy,
);

/// How many FlexPay keys the sandbox merchant has (each accepted "issue" form adds one).
async fn api_keys(app: &TestApp) -> usize {
    let (status, v) = app
        .admin(
            Method::GET,
            &format!("/admin/merchants/{}/credentials", app.merchant_id),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "flexpay_api_key")
        .count()
}

/// A signed-in session: its cookie and CSRF token.
async fn session(app: &TestApp) -> (String, String) {
    let mut p = Portal::signed_in(app).await;
    let csrf = p.get("/portal/credentials").await.csrf();
    (p.cookie().unwrap().to_string(), csrf)
}

/// Posts the "issue a key" form of `session` with the given headers (303 to the new key's page).
async fn issue_key(
    app: &TestApp,
    (cookie, csrf): &(String, String),
    client: &Client,
    headers: &[(&str, &str)],
) -> StatusCode {
    let mut req = client
        .post(app.url("/portal/credentials"))
        .header("cookie", format!("openflex_portal={cookie}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={csrf}"));
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.send().await.unwrap().status()
}

/// Whether signing in with these headers sets a `Secure` cookie.
async fn secure_cookie(app: &TestApp, client: &Client, headers: &[(&str, &str)]) -> bool {
    let (email, password) = sandbox_login(app);
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([("email", email.as_str()), ("password", password.as_str())])
        .finish();
    let mut req = client
        .post(app.url("/portal/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let resp = req.send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let cookie = resp.headers().get(SET_COOKIE).unwrap().to_str().unwrap();
    cookie.contains("; Secure")
}

/// No proxy is trusted: the server's origin is `http://` + its Host, port included.
async fn origin_must_match_scheme_host_and_port(app: TestApp) {
    let port = app.base.rsplit(':').next().unwrap().to_string();
    let s = session(&app).await;
    let client = proxy();
    for origin in [
        format!("https://127.0.0.1:{port}"),
        "http://127.0.0.1:1".to_string(),
        "http://127.0.0.1".to_string(),
        format!("http://localhost:{port}"),
        format!("http://127.0.0.1:{port}/path"),
        "null".to_string(),
    ] {
        let status = issue_key(&app, &s, &client, &[("origin", &origin)]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{origin} was let in");
    }
    // Forwarded headers from a peer that is not a trusted proxy are its own claims.
    let status = issue_key(
        &app,
        &s,
        &client,
        &[
            ("origin", "https://pay.shop.example"),
            ("x-forwarded-host", "pay.shop.example"),
            ("x-forwarded-proto", "https"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!secure_cookie(&app, &client, &[("x-forwarded-proto", "https")]).await);
    // Nothing was issued by the refused forms; the same form from this origin goes through.
    assert_eq!(api_keys(&app).await, 1);
    let status = issue_key(&app, &s, &client, &[("origin", &app.base)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(api_keys(&app).await, 2);
}

/// `trusted_proxies = ["127.0.0.1/32"]`: the proxy at 127.0.0.1 says which scheme and host the
/// browser used; the same headers from 127.0.0.2 are ignored.
async fn forwarded_host_and_proto_count_only_from_a_trusted_proxy(app: TestApp) {
    let behind_proxy = [
        ("origin", "https://pay.shop.example"),
        ("x-forwarded-host", "pay.shop.example"),
        ("x-forwarded-proto", "https"),
    ];
    let s = session(&app).await;
    let proxy = proxy();
    let stranger = stranger();
    assert_eq!(
        issue_key(&app, &s, &stranger, &behind_proxy).await,
        StatusCode::FORBIDDEN
    );
    assert!(!secure_cookie(&app, &stranger, &[("x-forwarded-proto", "https")]).await);
    // The scheme and the port count, not only the host.
    for (origin, host) in [
        ("http://pay.shop.example", "pay.shop.example"),
        ("https://pay.shop.example:8443", "pay.shop.example"),
        ("https://evil.example", "pay.shop.example"),
    ] {
        let headers = [
            ("origin", origin),
            ("x-forwarded-host", host),
            ("x-forwarded-proto", "https"),
        ];
        assert_eq!(
            issue_key(&app, &s, &proxy, &headers).await,
            StatusCode::FORBIDDEN,
            "{origin} was let in as {host}"
        );
    }
    assert_eq!(api_keys(&app).await, 1);

    assert_eq!(
        issue_key(&app, &s, &proxy, &behind_proxy).await,
        StatusCode::SEE_OTHER
    );
    let on_port = [
        ("origin", "https://pay.shop.example:8443"),
        ("x-forwarded-host", "pay.shop.example:8443"),
        ("x-forwarded-proto", "https"),
    ];
    assert_eq!(
        issue_key(&app, &s, &proxy, &on_port).await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(api_keys(&app).await, 3);
    assert!(secure_cookie(&app, &proxy, &[("x-forwarded-proto", "https")]).await);
}
