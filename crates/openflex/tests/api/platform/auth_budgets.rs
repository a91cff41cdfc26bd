//! Failed-authentication budgets: one per surface (API credentials of the three dialects, the
//! admin token, portal sign-in per account and address), and the client address they are kept
//! by — the peer, or the `X-Forwarded-For` client when the peer is a trusted proxy.

use crate::dual;
use crate::helpers::*;
use crate::platform::portal::{Portal, sandbox_login};
use openflex_domain::Secret;
use reqwest::{Client, StatusCode};

dual!(
    bad_api_keys_lock_out_neither_the_portal_nor_the_admin,
    bad_passwords_for_one_account_do_not_block_another,
);

dual!(
    config = |c| c.trusted_proxies = vec!["127.0.0.1/32".into()];
    forwarded_for_names_the_client_only_behind_a_trusted_proxy,
    a_guessed_account_still_signs_in_from_another_address,
);

/// The address a second, untrusted peer connects from (all of 127/8 is loopback on Linux).
pub const STRANGER: std::net::IpAddr = std::net::IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 2));

/// A client connecting from `STRANGER`.
pub fn stranger() -> Client {
    Client::builder()
        .local_address(STRANGER)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A browser-like client connecting from 127.0.0.1 (the trusted proxy in the tests that
/// configure one).
pub fn proxy() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A FlexPay request with a wrong key, sent by `client` with `X-Forwarded-For: xff` if given.
async fn bad_key(app: &TestApp, client: &Client, xff: Option<&str>) -> StatusCode {
    let mut req = client
        .get(app.url("/api/test"))
        .header("Authorization", "Basic not-a-key-AAAAAAAAAAAAAAAAAAAAAAAA=");
    if let Some(xff) = xff {
        req = req.header("x-forwarded-for", xff);
    }
    let status = req.send().await.unwrap().status();
    assert!(
        [StatusCode::UNAUTHORIZED, StatusCode::TOO_MANY_REQUESTS].contains(&status),
        "{status}"
    );
    status
}

/// Sends `n` bad keys; how many were answered 429.
async fn bad_keys(app: &TestApp, client: &Client, xff: Option<&str>, n: usize) -> usize {
    let mut limited = 0;
    for _ in 0..n {
        if bad_key(app, client, xff).await == StatusCode::TOO_MANY_REQUESTS {
            limited += 1;
        }
    }
    limited
}

/// A portal sign-in by `client` with `X-Forwarded-For: xff` if given; the status.
async fn sign_in(
    app: &TestApp,
    client: &Client,
    xff: Option<&str>,
    email: &str,
    password: &str,
) -> StatusCode {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([("email", email), ("password", password)])
        .finish();
    let mut req = client
        .post(app.url("/portal/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body);
    if let Some(xff) = xff {
        req = req.header("x-forwarded-for", xff);
    }
    req.send().await.unwrap().status()
}

/// The report: 40 bad FlexPay keys from one address, then the right portal password
/// got 429. API credentials, the admin token and portal sign-in now keep separate budgets.
async fn bad_api_keys_lock_out_neither_the_portal_nor_the_admin(app: TestApp) {
    assert!(bad_keys(&app, &app.client, None, 40).await > 0);
    // The API budget covers every dialect: a bad FlexFactor token is refused the same way.
    let resp = app
        .client
        .get(app.url("/v1/orders"))
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);

    // The portal: a wrong password is just wrong, and the right one signs in.
    let (email, password) = sandbox_login(&app);
    let mut p = Portal::new(&app);
    assert_eq!(
        p.login(&email, "not the password at all").await.status,
        StatusCode::UNAUTHORIZED
    );
    let page = p.login(&email, &password).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text);

    // The admin token: a wrong one is a plain 401, not 429.
    let resp = app
        .client
        .get(app.url("/admin/merchants"))
        .bearer_auth("not-the-admin-token")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}

/// Guessing at one account's password spends that account's budget (at this address), not the
/// budget of every portal user at the address.
async fn bad_passwords_for_one_account_do_not_block_another(app: TestApp) {
    let (email, password) = sandbox_login(&app);
    app.engine
        .create_portal_user(
            &app.merchant_id,
            "second@shop.example",
            Secret::new("another long passphrase".into()),
        )
        .await
        .unwrap();
    let client = proxy();
    let mut limited = None;
    for i in 0..40 {
        // The account is the same whatever the case of its email.
        let as_typed = if i % 2 == 0 {
            email.to_uppercase()
        } else {
            email.clone()
        };
        match sign_in(&app, &client, None, &as_typed, "wrong password").await {
            StatusCode::UNAUTHORIZED => {}
            StatusCode::TOO_MANY_REQUESTS => {
                limited = Some(std::time::Instant::now());
                break;
            }
            other => panic!("a wrong password got {other}"),
        }
    }
    let limited = limited.expect("40 wrong passwords were never answered 429");
    // That account stays closed to this address for now, even with its password: until the
    // budget refills one attempt (one every two seconds) the right password is refused too.
    let status = sign_in(&app, &client, None, &email, &password).await;
    assert!(
        status == StatusCode::TOO_MANY_REQUESTS
            || (status == StatusCode::SEE_OTHER
                && limited.elapsed() >= std::time::Duration::from_secs(2)),
        "the right password got {status} {:?} after the account's budget ran out",
        limited.elapsed()
    );
    // ...while another account signs in from the same address.
    assert_eq!(
        sign_in(
            &app,
            &client,
            None,
            "second@shop.example",
            "another long passphrase"
        )
        .await,
        StatusCode::SEE_OTHER
    );
}

/// `trusted_proxies = ["127.0.0.1/32"]`: requests from 127.0.0.1 are "proxied", and their
/// client is the right-most `X-Forwarded-For` entry that is not itself a trusted proxy.
async fn forwarded_for_names_the_client_only_behind_a_trusted_proxy(app: TestApp) {
    let proxy = proxy();
    assert!(bad_keys(&app, &proxy, Some("198.51.100.7"), 40).await > 0);
    // Another client behind the same proxy has its own budget.
    assert_eq!(
        bad_key(&app, &proxy, Some("198.51.100.8")).await,
        StatusCode::UNAUTHORIZED
    );
    // What the client itself wrote to the left of its address changes nothing...
    assert_eq!(
        bad_key(&app, &proxy, Some("203.0.113.9, 198.51.100.7")).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // ...and trusted hops to the right of it are skipped.
    assert_eq!(
        bad_key(&app, &proxy, Some("198.51.100.7, 127.0.0.1")).await,
        StatusCode::TOO_MANY_REQUESTS
    );

    // A peer that is not a trusted proxy is its own client: forging a new X-Forwarded-For on
    // every request does not buy it a new budget.
    let stranger = stranger();
    let mut limited = 0;
    for i in 0..40 {
        let forged = format!("192.0.2.{i}");
        if bad_key(&app, &stranger, Some(&forged)).await == StatusCode::TOO_MANY_REQUESTS {
            limited += 1;
        }
    }
    assert!(limited > 0, "forged X-Forwarded-For escaped the budget");
}

/// Behind a trusted proxy, someone guessing at an account from one address does not lock its
/// owner out at another.
async fn a_guessed_account_still_signs_in_from_another_address(app: TestApp) {
    let (email, password) = sandbox_login(&app);
    let proxy = proxy();
    let mut limited = false;
    for _ in 0..40 {
        let status = sign_in(&app, &proxy, Some("203.0.113.50"), &email, "guess").await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            break;
        }
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert!(limited, "40 guesses were never answered 429");
    assert_eq!(
        sign_in(&app, &proxy, Some("198.51.100.20"), &email, &password).await,
        StatusCode::SEE_OTHER
    );
}
