//! The overview's recovery view over HTTP: figures from the merchant's real recovery chains.

use crate::dual;
use crate::helpers::*;
use crate::platform::portal::Portal;
use reqwest::StatusCode;
use serde_json::{Value, json};

dual!(the_overview_shows_what_the_chains_recovered);

async fn charge(app: &TestApp, mtid: &str, order: &str, amount: i64, pm: &str) -> Value {
    let mut body = token_payment(mtid, amount, pm);
    body["transaction"]["orderId"] = json!(order);
    let (_, v) = app.post("/v1/gateways/charge", body).await;
    v["transaction"].clone()
}

async fn the_overview_shows_what_the_chains_recovered(app: TestApp) {
    let pm = app.vault_visa().await;
    // A do-not-honor decline recovered by its first retry, and an insufficient-funds decline
    // not retried yet.
    let a0 = charge(&app, "rec-a0", "rebill-a", 2008, &pm).await;
    assert_eq!(a0["responseCode"], "20003", "{a0}");
    let mut body = token_payment("rec-a1", 2009, &pm);
    body["transaction"]["orderId"] = json!("rebill-a");
    body["transaction"]["referenceData"] = a0["referenceData"].clone();
    body["transaction"]["retryCount"] = json!(1);
    let (_, v) = app.post("/v1/gateways/charge", body).await;
    assert_eq!(v["transaction"]["responseCode"], "10000", "{v}");
    let b0 = charge(&app, "rec-b0", "rebill-b", 2012, &pm).await;
    assert_eq!(b0["responseCode"], "20023", "{b0}");
    // An approved first attempt is no decline.
    let c0 = charge(&app, "rec-c0", "rebill-c", 1000, &pm).await;
    assert_eq!(c0["responseCode"], "10000", "{c0}");

    let mut portal = Portal::signed_in(&app).await;
    let page = portal.get("/portal/").await;
    assert_eq!(page.status, StatusCode::OK);
    let text = &page.text;
    let section = &text[text
        .find("Recovery of declined payments")
        .expect("the recovery view")..];
    for want in [
        "Declined revenue",
        "40.20",
        "2 declined first attempts",
        "Recovered revenue",
        "20.09",
        "49.9% of declined revenue; 1 of 2 chains recovered",
        "Retries per recovery",
        "1.00",
        "1 retries in all",
        "do not honor",
        "insufficient funds",
        "100.0%",
        "0.0%",
        "amount per day",
        "day of the first attempt (UTC)",
        "<polyline",
    ] {
        assert!(section.contains(want), "{want} in {section}");
    }
}
