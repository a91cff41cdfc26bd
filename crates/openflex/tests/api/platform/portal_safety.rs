//! The portal's guard rails over real HTTP: new secrets shown once after a redirect, a
//! confirmation step before anything irreversible, refusals that read as refusals, order actions
//! offered only where the order's state allows them, errors as portal pages, and forms that
//! keep what was typed beside the reason it was refused.

use crate::dual;
use crate::flexfactor::ff::{RESCUABLE, evaluate, evaluate_body, get_json, token};
use crate::helpers::*;
use crate::platform::portal::{Portal, merchant_get};
use crate::receiver::Receiver;
use reqwest::StatusCode;
use serde_json::json;

dual!(
    new_credentials_are_shown_once_after_a_redirect,
    irreversible_actions_change_nothing_until_confirmed,
    order_actions_are_offered_as_the_order_state_allows,
    errors_are_portal_pages_with_their_status,
    the_retry_policy_form_keeps_what_was_typed_and_says_why,
    the_test_clock_refuses_a_zero_move_and_shows_what_ran,
);

async fn credential_count(app: &TestApp) -> usize {
    merchant_get(app, "/credentials").await["credentials"]
        .as_array()
        .unwrap()
        .len()
}

const NAV: &str = "aria-label=\"Portal\"";

async fn new_credentials_are_shown_once_after_a_redirect(app: TestApp) {
    let mut p = Portal::signed_in(&app).await;
    let before = credential_count(&app).await;
    let page = p
        .submit("/portal/credentials", "/portal/credentials", &[])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text);
    assert_eq!(page.location(), "/portal/credentials/new");
    assert!(
        !page.text.contains("class=\"secret\""),
        "the POST shows nothing"
    );
    let issued = credential_count(&app).await;
    assert!(issued > before, "a set was issued");
    let first = p.get("/portal/credentials/new").await;
    assert_eq!(first.status, StatusCode::OK);
    let marker = "API key (HTTP Basic)</dt><dd><code class=\"secret\">";
    let at = first.text.find(marker).expect("the new API key") + marker.len();
    let key = first.text[at..].split('<').next().unwrap().to_string();
    assert_eq!(app.get_as(&key, "/api/test").await.0, StatusCode::OK);
    // A reload shows nothing and mints nothing.
    let again = p.get("/portal/credentials/new").await;
    assert_eq!(again.status, StatusCode::OK);
    assert!(again.text.contains("already shown"), "{}", again.text);
    assert!(!again.text.contains("class=\"secret\""), "{}", again.text);
    assert!(!again.text.contains(&key));
    assert_eq!(credential_count(&app).await, issued);
    // Another session cannot take them either.
    let page = p
        .submit("/portal/credentials", "/portal/credentials", &[])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let mut other = Portal::signed_in(&app).await;
    let theirs = other.get("/portal/credentials/new").await;
    assert!(!theirs.text.contains("class=\"secret\""), "{}", theirs.text);
    assert!(
        p.get("/portal/credentials/new")
            .await
            .text
            .contains("class=\"secret\"")
    );
}

async fn irreversible_actions_change_nothing_until_confirmed(app: TestApp) {
    let mut p = Portal::signed_in(&app).await;
    // Redact.
    let pm = app.vault_visa().await;
    let action = format!("/portal/payment-methods/{pm}/redact");
    let page = p.submit("/portal/payment-methods", &action, &[]).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(
        page.text.contains("Redact this payment method?")
            && page.text.contains("cannot be undone")
            && page.text.contains("name=\"confirm\" value=\"yes\"")
            && page.text.contains("href=\"/portal/payment-methods\""),
        "{}",
        page.text
    );
    let (_, v) = app.get(&format!("/v1/paymentmethods/{pm}")).await;
    assert_ne!(v["paymentMethod"]["storageState"], "Redacted", "{v}");
    let page = p
        .submit("/portal/payment-methods", &action, &[("confirm", "yes")])
        .await;
    assert_eq!(page.location(), "/portal/payment-methods?msg=redacted");
    let (_, v) = app.get(&format!("/v1/paymentmethods/{pm}")).await;
    assert_eq!(v["paymentMethod"]["storageState"], "Redacted", "{v}");
    // Revoke.
    let creds = merchant_get(&app, "/credentials").await;
    let key = creds["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "flexpay_api_key" && c["mode"] == "sandbox")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let action = format!("/portal/credentials/{key}/revoke");
    let page = p.submit("/portal/credentials", &action, &[]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("Revoke this credential?"),
        "{}",
        page.text
    );
    assert_eq!(app.get("/api/test").await.0, StatusCode::OK, "still works");
    // Disable a webhook endpoint.
    let receiver = Receiver::start(&[]).await;
    let endpoint = app.add_webhook(&receiver.url).await;
    let action = format!("/portal/webhooks/{endpoint}/enabled");
    let page = p
        .submit("/portal/webhooks", &action, &[("enabled", "false")])
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("Disable this endpoint?") && page.text.contains(&receiver.url),
        "{}",
        page.text
    );
    let eps = merchant_get(&app, "/webhooks").await;
    assert!(!eps.to_string().contains("\"enabled\":false"), "{eps}");
    // Refund and cancel an order: the page names the amount and currency.
    let b = token(&app).await;
    let mut body = evaluate_body("confirm-1", RESCUABLE);
    body["transactionType"] = json!("AUTHORIZATION");
    let (_, v) = evaluate(&app, &b, body).await;
    let id = v["orderId"].as_str().unwrap().to_string();
    let detail = format!("/portal/orders/{id}");
    let page = p.submit(&detail, &format!("{detail}/cancel"), &[]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("Cancel this order?")
            && page.text.contains("authorization of $15.00 USD is voided"),
        "{}",
        page.text
    );
    let page = p
        .submit(
            &detail,
            &format!("{detail}/capture"),
            &[("amount", "15.00")],
        )
        .await;
    assert_eq!(page.location(), format!("{detail}?msg=captured"));
    let page = p
        .submit(&detail, &format!("{detail}/refund"), &[("amount", "4.00")])
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("Refund this order?") && page.text.contains("4.00 USD"),
        "{}",
        page.text
    );
    let (_, o) = get_json(&app, &format!("/v1/orders/{id}"), &b).await;
    assert_eq!(o["statusName"], "COMPLETED", "{o}");
    assert_eq!(o["refundedAmount"], 0, "{o}");
}

async fn order_actions_are_offered_as_the_order_state_allows(app: TestApp) {
    let b = token(&app).await;
    let mut p = Portal::signed_in(&app).await;
    let order = |name: &str| {
        let mut body = evaluate_body(name, RESCUABLE);
        body["transactionType"] = json!("AUTHORIZATION");
        body
    };
    let (_, v) = evaluate(&app, &b, order("state-1")).await;
    let detail = format!("/portal/orders/{}", v["orderId"].as_str().unwrap());
    let offered = |text: &str| {
        ["/capture\"", "/refund\"", "/cancel\""].map(|a| text.contains(&format!("{detail}{a}")))
    };
    let page = p.get(&detail).await.text;
    assert!(page.contains("Capture required"), "plain words: {page}");
    assert_eq!(offered(&page), [true, false, true], "CAPTUREREQUIRED");
    p.submit(
        &detail,
        &format!("{detail}/capture"),
        &[("amount", "15.00")],
    )
    .await;
    let page = p.get(&detail).await.text;
    assert_eq!(
        offered(&page),
        [false, true, false],
        "COMPLETED: refund only"
    );
    p.submit(
        &detail,
        &format!("{detail}/refund"),
        &[("amount", "15.00"), ("confirm", "yes")],
    )
    .await;
    let page = p.get(&detail).await.text;
    assert_eq!(offered(&page), [false, false, false], "fully refunded");
    // A refused action still reads as a refusal, from the engine's own rules.
    let page = p
        .submit(&detail, &format!("{detail}/cancel"), &[("confirm", "yes")])
        .await;
    assert_eq!(page.status, StatusCode::CONFLICT, "{}", page.text);
    assert!(
        page.text.contains("role=\"alert\"") && page.text.contains("cannot be cancelled"),
        "{}",
        page.text
    );
    let (_, v) = evaluate(&app, &b, order("state-2")).await;
    let detail = format!("/portal/orders/{}", v["orderId"].as_str().unwrap());
    p.submit(&detail, &format!("{detail}/cancel"), &[("confirm", "yes")])
        .await;
    let page = p.get(&detail).await.text;
    assert_eq!(offered(&page), [false, false, false], "CANCELLED: nothing");
    assert!(page.contains("No action is possible"), "{page}");
}

async fn errors_are_portal_pages_with_their_status(app: TestApp) {
    let mut p = Portal::signed_in(&app).await;
    for (path, status) in [
        ("/portal/nope", StatusCode::NOT_FOUND),
        ("/portal/orders/x/y/z", StatusCode::NOT_FOUND),
        ("/portal/transactions/NOPE", StatusCode::NOT_FOUND),
        ("/portal/orders?page=many", StatusCode::BAD_REQUEST),
    ] {
        let page = p.get(path).await;
        assert_eq!(page.status, status, "{path}: {}", page.text);
        assert!(
            page.text.starts_with("<!DOCTYPE html>")
                && page.text.contains(NAV)
                && page.text.contains("Switch to live")
                && page.text.contains("role=\"alert\""),
            "{path}: {}",
            page.text
        );
    }
    let page = p.post("/portal/credentials", &[("csrf", "0000")]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.text.contains(NAV), "{}", page.text);
    let page = p.get("/portal/logout").await;
    assert_eq!(page.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(page.text.contains(NAV), "{}", page.text);
    // Signed out: still HTML, never JSON, and no navigation to a portal the caller cannot see.
    let mut stranger = Portal::new(&app);
    let page = stranger.post("/portal/nope", &[]).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.text.starts_with("<!DOCTYPE html>") && !page.text.contains(NAV));
    // The live mode: no clock in the navigation, and a visit is told why.
    p.submit("/portal/", "/portal/mode", &[("mode", "live")])
        .await;
    let page = p.get("/portal/clock").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(
        page.text.contains("sandbox only") && page.text.contains("Switch to sandbox"),
        "{}",
        page.text
    );
    assert!(!page.text.contains("href=\"/portal/clock\""));
}

async fn the_retry_policy_form_keeps_what_was_typed_and_says_why(app: TestApp) {
    let mut p = Portal::signed_in(&app).await;
    let before = merchant_get(&app, "/retry-policy").await;
    let settings = p.get("/portal/settings").await.text;
    assert!(settings.contains("applies to both modes"), "{settings}");
    let page = p
        .submit(
            "/portal/settings",
            "/portal/settings",
            &[
                ("max_retries", "99"),
                ("window_days", "12"),
                ("payday_hour", "7"),
            ],
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.text
    );
    assert!(
        page.text.contains("id=\"max_retries-error\"")
            && page.text.contains("Must be between 0 and")
            && page.text.contains("value=\"99\"")
            && page.text.contains("value=\"12\"")
            && page.text.contains("aria-invalid=\"true\"")
            && page.text.contains("role=\"alert\""),
        "{}",
        page.text
    );
    let page = p
        .submit(
            "/portal/settings",
            "/portal/settings",
            &[
                ("max_retries", "three"),
                ("window_days", "12"),
                ("payday_hour", "7"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.text.contains("value=\"three\"") && page.text.contains("Enter a whole number."),
        "{}",
        page.text
    );
    assert_eq!(merchant_get(&app, "/retry-policy").await, before);
}

async fn the_test_clock_refuses_a_zero_move_and_shows_what_ran(app: TestApp) {
    let mut p = Portal::signed_in(&app).await;
    let page = p
        .submit(
            "/portal/clock",
            "/portal/clock",
            &[("days", "0"), ("hours", "0")],
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.text
    );
    assert!(page.text.contains("at least one hour"), "{}", page.text);
    assert_eq!(merchant_get(&app, "").await["clockOffsetSeconds"], 0);
    // A webhook delivery that fails waits for its retry; moving the clock runs it.
    let receiver = Receiver::start(&[500]).await;
    let endpoint = app.add_webhook(&receiver.url).await;
    app.send_test_webhook(&endpoint).await;
    let page = p
        .submit(
            "/portal/clock",
            "/portal/clock",
            &[("days", "1"), ("hours", "0")],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(
        page.text.contains("What ran") && page.text.contains("job(s) fell due and ran"),
        "{}",
        page.text
    );
    assert!(page.text.contains("1 days 0 hours"), "{}", page.text);
}
