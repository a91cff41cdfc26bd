//! The seed's `Gateway` element (`token`, `gatewayType`, `name`, `referenceId`) on list and show
//! answers, beside the flat gateway fields (docs/flexpay.md §4).

use crate::dual;
use crate::flexpay::fp::*;
use crate::flexpay::lifecycle::{follow, id_of};
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

dual!(
    list_and_show_carry_the_gateway_element,
    a_deleted_gateway_keeps_its_name_on_old_transactions,
);

async fn get_ok(app: &TestApp, path: &str) -> Value {
    let (status, v) = app.get(path).await;
    assert_eq!(status, StatusCode::OK, "{path}: {v}");
    v
}

/// Creates a sandbox gateway; returns its token.
async fn gateway(app: &TestApp, name: &str, mid: &str) -> String {
    let (status, v) = app
        .post(
            "/v1/gateways",
            json!({"gateway": {"name": name, "merchantAccountReferenceId": mid, "weight": 0}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v["gateway"]["gatewayToken"].as_str().unwrap().to_string()
}

fn pinned(mtid: &str, token: &str) -> Value {
    let mut body = card_payment(mtid, 1500);
    set(&mut body, &tx("gatewayToken"), json!(token));
    body
}

#[track_caller]
fn assert_element(t: &Value, token: &str, name: &str, mid: &str) {
    assert_eq!(
        t["Gateway"],
        json!({"token": token, "gatewayType": "sandbox", "name": name, "referenceId": mid}),
        "{t}"
    );
    // The flat fields stay.
    assert_eq!(t["gatewayToken"], token, "{t}");
    assert_eq!(t["gatewayType"], "sandbox", "{t}");
    assert_eq!(t["merchantAccountReferenceId"], mid, "{t}");
}

async fn list_and_show_carry_the_gateway_element(app: TestApp) {
    let token = gateway(&app, "Acquirer East", "MID-EAST").await;
    let charge = post_txn(&app, "/v1/gateways/charge", pinned("element-1", &token)).await;
    assert_element(&charge, &token, "Acquirer East", "MID-EAST");
    let id = id_of(&charge);
    let refund = follow(&app, "refund", &id, "element-1-refund", Some(500)).await;
    assert_element(&refund, &token, "Acquirer East", "MID-EAST");

    let shown = get_ok(&app, &format!("/v1/transactions/{id}")).await;
    assert_element(&shown["transaction"], &token, "Acquirer East", "MID-EAST");
    let by_mtid = get_ok(&app, "/v1/transactions/byMerchantTransactionId/element-1").await;
    assert_element(&by_mtid["transaction"], &token, "Acquirer East", "MID-EAST");
    let chain = get_ok(&app, &format!("/v1/transactions/{id}/chain")).await;
    assert_element(
        &chain["transactions"][0],
        &token,
        "Acquirer East",
        "MID-EAST",
    );

    let list = get_ok(&app, "/v1/transactions").await;
    let items = list["transactions"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{list}");
    for item in items {
        assert_element(item, &token, "Acquirer East", "MID-EAST");
    }
    let slim = get_ok(&app, "/v1/transactions?responseType=simplified").await;
    for item in slim["transactions"].as_array().unwrap() {
        assert_eq!(
            item["Gateway"],
            json!({"token": token, "gatewayType": "sandbox", "name": "Acquirer East", "referenceId": "MID-EAST"}),
            "{item}"
        );
    }

    // The default gateway, chosen by routing, is named too.
    let routed = app.charge("element-routed", 1500).await;
    let shown = get_ok(&app, &format!("/v1/transactions/{}", id_of(&routed))).await;
    assert_eq!(
        shown["transaction"]["Gateway"]["name"], "Sandbox",
        "{shown}"
    );
    assert_eq!(
        shown["transaction"]["Gateway"]["token"], routed["gatewayToken"],
        "{shown}"
    );

    // No gateway saw a vault operation; a refused request shows the sentinel.
    app.vault_visa().await;
    let list = get_ok(&app, "/v1/transactions?order=desc&count=1").await;
    let vaulted = &list["transactions"][0];
    assert_eq!(
        vaulted["transactionType"], "CreatePaymentMethod",
        "{vaulted}"
    );
    assert_eq!(vaulted["Gateway"], Value::Null, "{vaulted}");
    let mut body = card_payment("element-refused", 1500);
    remove(&mut body, &tx("currencyCode"));
    let refused = post_txn(&app, "/v1/gateways/charge", body).await;
    assert_eq!(
        refused["Gateway"],
        json!({"token": SENTINEL, "gatewayType": "flexpay_declined", "name": null, "referenceId": null}),
        "{refused}"
    );
}

async fn a_deleted_gateway_keeps_its_name_on_old_transactions(app: TestApp) {
    let token = gateway(&app, "Retired", "MID-OLD").await;
    let charge = post_txn(&app, "/v1/gateways/charge", pinned("retired-1", &token)).await;
    let (status, v) = app.delete(&format!("/v1/gateways/{token}")).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let shown = get_ok(&app, &format!("/v1/transactions/{}", id_of(&charge))).await;
    assert_element(&shown["transaction"], &token, "Retired", "MID-OLD");
}
