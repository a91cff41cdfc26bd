//! The merchant portal's pages and actions over real HTTP: every page renders, and what a user does
//! there (redact, redeliver, issue and revoke keys, capture, refund and cancel, advance the clock,
//! search lists) is what the APIs then see; webhooks to this machine are refused as in the API.

use crate::dual;
use crate::helpers::*;
use crate::platform::portal::{Portal, merchant_get};
use crate::receiver::Receiver;
use reqwest::StatusCode;
use serde_json::{Value, json};

dual!(
    every_page_renders_for_the_sandbox_merchant,
    actions_change_what_the_apis_see,
    filtered_lists_search_a_bounded_window_and_resume,
    rescue_orders_are_captured_refunded_and_cancelled_from_the_portal,
    a_recovered_rebill_shows_its_chain_and_counts_as_recovered,
);

dual!(
    config = |c| c.allow_private_webhook_targets = false;
    the_portal_refuses_webhooks_to_this_machine,
);

async fn every_page_renders_for_the_sandbox_merchant(app: TestApp) {
    let approved = app.charge("portal-ok", 1999).await;
    app.charge("portal-declined", 2008).await;
    app.vault_visa().await;
    let mut p = Portal::signed_in(&app).await;
    for path in [
        "/portal/",
        "/portal/transactions",
        "/portal/transactions?type=Charge&outcome=declined",
        "/portal/payment-methods",
        "/portal/orders",
        "/portal/flexiti",
        "/portal/webhooks",
        "/portal/credentials",
        "/portal/settings",
        "/portal/clock",
    ] {
        let page = p.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.text);
        assert!(page.text.starts_with("<!DOCTYPE html>"), "{path}");
        assert!(page.text.contains("<main id=\"main\">"), "{path}");
        // Card numbers never appear in clear.
        assert!(!page.text.contains(VISA), "{path} shows a card number");
    }
    let id = approved["transactionId"].as_str().unwrap();
    let list = p.get("/portal/transactions").await.text;
    assert!(
        list.contains(id) && list.contains("portal-declined"),
        "{list}"
    );
    let declined = p.get("/portal/transactions?outcome=declined").await.text;
    assert!(!declined.contains("portal-ok") && declined.contains("portal-declined"));
    // The search box opens a transaction by merchantTransactionId.
    let page = p.get("/portal/transactions?q=portal-ok").await;
    assert_eq!(page.location(), format!("/portal/transactions/{id}"));
    let detail = p.get(&page.location()).await.text;
    assert!(
        detail.contains("19.99") && detail.contains("portal-ok"),
        "{detail}"
    );
    let flexiti = p.get("/portal/flexiti").await.text;
    assert!(
        flexiti.contains("20076677"),
        "sandbox Flexiti accounts are listed"
    );
    let overview = p.get("/portal/").await.text;
    assert!(overview.contains("19.99"), "approved volume: {overview}");
    assert!(
        overview.contains("50.0%"),
        "one of two approved: {overview}"
    );
    assert_eq!(
        p.get("/portal/transactions/NOPE").await.status,
        StatusCode::NOT_FOUND
    );
}

async fn actions_change_what_the_apis_see(app: TestApp) {
    let mut p = Portal::signed_in(&app).await;
    // Redact a payment method.
    let pm = app.vault_visa().await;
    let page = p
        .submit(
            "/portal/payment-methods",
            &format!("/portal/payment-methods/{pm}/redact"),
            &[("confirm", "yes")],
        )
        .await;
    assert_eq!(page.location(), "/portal/payment-methods?msg=redacted");
    let (_, v) = app.get(&format!("/v1/paymentmethods/{pm}")).await;
    assert_eq!(v["paymentMethod"]["storageState"], "Redacted", "{v}");
    // Issue a key: shown once, and it works.
    let page = p
        .submit("/portal/credentials", "/portal/credentials", &[])
        .await;
    assert_eq!(page.location(), "/portal/credentials/new", "{}", page.text);
    let page = p.get("/portal/credentials/new").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let marker = "API key (HTTP Basic)</dt><dd><code class=\"secret\">";
    let at = page.text.find(marker).expect("the new API key") + marker.len();
    let key = page.text[at..].split('<').next().unwrap().to_string();
    let (status, _) = app.get_as(&key, "/api/test").await;
    assert_eq!(status, StatusCode::OK);
    // Revoke it again.
    let creds = merchant_get(&app, "/credentials").await;
    let newest = creds["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "flexpay_api_key")
        .max_by_key(|c| c["createdAt"].as_str().unwrap().to_string())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let page = p
        .submit(
            "/portal/credentials",
            &format!("/portal/credentials/{newest}/revoke"),
            &[("confirm", "yes")],
        )
        .await;
    assert_eq!(page.location(), "/portal/credentials?msg=revoked");
    let (status, _) = app.get_as(&key, "/api/test").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Redeliver a webhook.
    let receiver = Receiver::start(&[200]).await;
    let endpoint = app.add_webhook(&receiver.url).await;
    let delivery = app.send_test_webhook(&endpoint).await;
    let log = p.get("/portal/webhooks").await.text;
    assert!(log.contains("webhook.test"), "{log}");
    let page = p
        .submit(
            "/portal/webhooks",
            &format!("/portal/webhooks/deliveries/{delivery}/redeliver"),
            &[],
        )
        .await;
    assert_eq!(page.location(), "/portal/webhooks?msg=redelivered");
    // Add an endpoint from the portal, send it a test event, then disable it.
    let hook = Receiver::start(&[]).await;
    let page = p
        .submit(
            "/portal/webhooks",
            "/portal/webhooks",
            &[("url", &hook.url), ("events", "")],
        )
        .await;
    assert_eq!(
        page.location(),
        "/portal/webhooks?msg=saved",
        "{}",
        page.text
    );
    let eps = merchant_get(&app, "/webhooks").await;
    let added = eps["endpoints"]
        .as_array()
        .or(eps.as_array())
        .unwrap()
        .iter()
        .find(|e| e["url"] == hook.url.as_str())
        .unwrap_or_else(|| panic!("{eps}"))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let page = p
        .submit(
            "/portal/webhooks",
            &format!("/portal/webhooks/{added}/test"),
            &[],
        )
        .await;
    assert_eq!(page.location(), "/portal/webhooks?msg=test-sent");
    let page = p
        .submit(
            "/portal/webhooks",
            &format!("/portal/webhooks/{added}/enabled"),
            &[("enabled", "false"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(page.location(), "/portal/webhooks?msg=disabled");
    let eps = merchant_get(&app, "/webhooks").await;
    assert!(eps.to_string().contains("\"enabled\":false"), "{eps}");
    let page = p
        .submit(
            "/portal/webhooks",
            "/portal/webhooks",
            &[("url", "not a url"), ("events", "")],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    // Gateway routing.
    let settings = p.get("/portal/settings").await.text;
    let at = settings.find("/portal/gateways/").expect("a gateway form") + 17;
    let token = settings[at..].split('"').next().unwrap().to_string();
    let page = p
        .submit(
            "/portal/settings",
            &format!("/portal/gateways/{token}"),
            &[
                ("status", "Available"),
                ("weight", "7"),
                ("accept_retries", "on"),
            ],
        )
        .await;
    assert_eq!(
        page.location(),
        "/portal/settings?msg=saved",
        "{}",
        page.text
    );
    assert!(p.get("/portal/settings").await.text.contains("value=\"7\""));
    // Retry policy.
    let page = p
        .submit(
            "/portal/settings",
            "/portal/settings",
            &[
                ("max_retries", "5"),
                ("window_days", "20"),
                ("payday_hour", "7"),
            ],
        )
        .await;
    assert_eq!(page.location(), "/portal/settings?msg=saved");
    let policy = merchant_get(&app, "/retry-policy").await;
    assert_eq!(policy["maxRetries"], 5, "{policy}");
    assert_eq!(policy["windowDays"], 20, "{policy}");
    // Advance the test clock by a day.
    let page = p
        .submit(
            "/portal/clock",
            "/portal/clock",
            &[("days", "1"), ("hours", "2")],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("moved forward"), "{}", page.text);
    let m = merchant_get(&app, "").await;
    assert_eq!(m["clockOffsetSeconds"], 93_600, "{m}");
    // Bad input is the portal's own error, and changes nothing.
    let page = p
        .submit(
            "/portal/clock",
            "/portal/clock",
            &[("days", "-1"), ("hours", "0")],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(merchant_get(&app, "").await["clockOffsetSeconds"], 93_600);
    // Live mode: the switch, and no test clock there.
    let page = p
        .submit("/portal/", "/portal/mode", &[("mode", "live")])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let overview = p.get("/portal/").await.text;
    assert!(overview.contains("class=\"mode live\""), "{overview}");
    let clock = p.get("/portal/clock").await;
    assert_eq!(clock.status, StatusCode::NOT_FOUND);
    assert!(
        clock.text.contains("sandbox only") && clock.text.contains("aria-label=\"Portal\""),
        "a portal page that explains: {}",
        clock.text
    );
    assert!(
        !clock.text.contains("href=\"/portal/clock\""),
        "{}",
        clock.text
    );
}

async fn filtered_lists_search_a_bounded_window_and_resume(app: TestApp) {
    use openflex_domain::codes::TxnStatus;
    use openflex_engine::payments::search::{Position, TxnSearch};
    let declined = app.charge("window-declined", 2008).await;
    let mut approved = Vec::new();
    for i in 0..4 {
        approved.push(app.charge(&format!("window-ok-{i}"), 1000 + i).await);
    }
    let p = Portal::signed_in(&app).await;
    let s = app
        .engine
        .portal_session(p.cookie().unwrap())
        .await
        .unwrap()
        .unwrap();
    let only_declined = TxnSearch {
        outcome: Some(TxnStatus::Declined),
        ..TxnSearch::default()
    };
    // The three newest are approved: no match in the window, and where to go on.
    let found = app
        .engine
        .transactions_filtered(&s.tenant, Position::Newest, &only_declined, 50, 3)
        .await
        .unwrap();
    assert!(found.txns.is_empty());
    assert_eq!(
        found.resume.as_deref(),
        approved[1]["transactionId"].as_str()
    );
    let resume = found.resume.unwrap();
    let found = app
        .engine
        .transactions_filtered(
            &s.tenant,
            Position::OlderThan(&resume),
            &only_declined,
            50,
            3,
        )
        .await
        .unwrap();
    let (rows, resume) = (found.txns, found.resume);
    assert_eq!(rows.len(), 1);
    assert_eq!(
        Some(rows[0].id.as_str()),
        declined["transactionId"].as_str()
    );
    assert_eq!(resume, None, "the window was not full: nothing older");
}

async fn rescue_orders_are_captured_refunded_and_cancelled_from_the_portal(app: TestApp) {
    use crate::flexfactor::ff::{RESCUABLE, evaluate, evaluate_body, get_json, token};
    let b = token(&app).await;
    let mut auth = evaluate_body("portal-auth-1", RESCUABLE);
    auth["transactionType"] = json!("AUTHORIZATION");
    let (_, v) = evaluate(&app, &b, auth).await;
    assert_eq!(v["status"], "CAPTUREREQUIRED", "{v}");
    let id = v["orderId"].as_str().unwrap().to_string();
    let mut p = Portal::signed_in(&app).await;
    let list = p.get("/portal/orders").await.text;
    assert!(list.contains("portal-auth-1"), "{list}");
    let detail = format!("/portal/orders/{id}");
    let page = p
        .submit(
            &detail,
            &format!("{detail}/capture"),
            &[("amount", "12.00")],
        )
        .await;
    assert_eq!(
        page.location(),
        format!("{detail}?msg=captured"),
        "{}",
        page.text
    );
    let page = p
        .submit(
            &detail,
            &format!("{detail}/refund"),
            &[("amount", "2.50"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(
        page.location(),
        format!("{detail}?msg=refunded"),
        "{}",
        page.text
    );
    let (_, o) = get_json(&app, &format!("/v1/orders/{id}"), &b).await;
    assert_eq!(o["capturedAmount"], 1200, "{o}");
    assert_eq!(o["statusName"], "COMPLETED", "{o}");
    let history = p.get(&detail).await.text;
    assert!(
        history.contains("12.00") && history.contains("2.50"),
        "{history}"
    );
    // More than is left to refund: the order refuses, the page says why, nothing moves.
    let page = p
        .submit(
            &detail,
            &format!("{detail}/refund"),
            &[("amount", "100.00"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(page.status, StatusCode::CONFLICT, "{}", page.text);
    assert!(
        page.text.contains("role=\"alert\"")
            && page
                .text
                .contains("$100.00 USD is more than the $9.50 USD left to refund"),
        "{}",
        page.text
    );
    assert!(!page.text.contains("class=\"flash\""), "{}", page.text);
    assert_eq!(
        page.text.matches("<strong>refund</strong>").count(),
        1,
        "the history holds the one refund made: {}",
        page.text
    );
    let page = p
        .submit(&detail, &format!("{detail}/refund"), &[("amount", "lots")])
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.text.contains("Refund amount: enter"), "{}", page.text);
    // A second order, cancelled.
    let (_, v) = evaluate(&app, &b, {
        let mut body = evaluate_body("portal-auth-2", RESCUABLE);
        body["transactionType"] = json!("AUTHORIZATION");
        body
    })
    .await;
    let other = v["orderId"].as_str().unwrap().to_string();
    let detail = format!("/portal/orders/{other}");
    let page = p
        .submit(&detail, &format!("{detail}/cancel"), &[("confirm", "yes")])
        .await;
    assert_eq!(page.location(), format!("{detail}?msg=cancelled"));
    let (_, o) = get_json(&app, &format!("/v1/orders/{other}"), &b).await;
    assert_eq!(o["statusName"], "CANCELLED", "{o}");
}

async fn a_recovered_rebill_shows_its_chain_and_counts_as_recovered(app: TestApp) {
    let pm = app.vault_visa().await;
    let charge = |mtid: &str, amount: i64, reference: Option<&Value>, retry: i64| {
        let mut body = token_payment(mtid, amount, &pm);
        body["transaction"]["orderId"] = json!("portal-rebill");
        body["transaction"]["retryCount"] = json!(retry);
        if let Some(r) = reference {
            body["transaction"]["referenceData"] = r.clone();
        }
        body
    };
    let (_, first) = app
        .post("/v1/gateways/charge", charge("rebill-a0", 2008, None, 0))
        .await;
    let first = first["transaction"].clone();
    assert_eq!(first["responseCode"], "20003", "{first}");
    let (_, second) = app
        .post(
            "/v1/gateways/charge",
            charge("rebill-a1", 2009, Some(&first["referenceData"]), 1),
        )
        .await;
    let second = second["transaction"].clone();
    assert_eq!(second["responseCode"], "10000", "{second}");
    let mut p = Portal::signed_in(&app).await;
    let page = p
        .get(&format!(
            "/portal/transactions/{}",
            second["transactionId"].as_str().unwrap()
        ))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let timeline = &page.text[page.text.find("Recovery chain").unwrap()..];
    let a0 = timeline
        .find(first["transactionId"].as_str().unwrap())
        .expect("first attempt listed");
    let a1 = timeline
        .find(second["transactionId"].as_str().unwrap())
        .expect("retry listed");
    assert!(a0 < a1, "oldest first");
    assert!(
        timeline.contains("attempt 1: 20003") && timeline.contains("attempt 2: 10000"),
        "{timeline}"
    );
    assert!(
        timeline.contains("next retry"),
        "the decline's retry date: {timeline}"
    );
    let overview = p.get("/portal/").await.text;
    let card = &overview[overview.find("Recovered revenue").unwrap()..];
    assert!(
        card.contains("20.09"),
        "the approved retry is recovered revenue: {card}"
    );
}

/// A portal user (of any merchant: each has a sandbox) cannot point a webhook at the server's
/// own network to read the answers in the delivery log.
async fn the_portal_refuses_webhooks_to_this_machine(app: TestApp) {
    let receiver = Receiver::start(&[]).await;
    let mut p = Portal::signed_in(&app).await;
    for url in [
        receiver.url.as_str(),
        "http://localhost./hook",
        "http://intranet/hook",
    ] {
        let page = p
            .submit(
                "/portal/webhooks",
                "/portal/webhooks",
                &[("url", url), ("events", "")],
            )
            .await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{url}: {}", page.text);
        assert!(page.text.contains("webhook targets must"), "{}", page.text);
    }
    let eps = merchant_get(&app, "/webhooks").await;
    assert_eq!(eps["endpoints"], json!([]), "{eps}");
    assert!(receiver.received().is_empty());
}
