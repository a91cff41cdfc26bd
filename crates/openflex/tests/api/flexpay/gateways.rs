//! Gateways (docs/flexpay.md §8, appendix 1.11): CRUD under `/v1/gateways`, write-only settings,
//! and routing: pinning, status, weight, accepted currencies and cards, RefundOnly, deletion.

use crate::dual;
use crate::flexpay::lifecycle::{assert_code, follow, id_of};
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashSet;

dual!(
    a_new_sandbox_merchant_has_exactly_one_sandbox_gateway,
    create_show_list_and_update_a_gateway,
    settings_are_write_only,
    invalid_gateway_values_are_refused_with_400,
    unknown_gateway_token_is_404,
    a_pinned_gateway_is_used,
    disabled_gateways_take_no_payments,
    weight_zero_takes_a_gateway_out_of_rotation,
    weights_spread_charges_over_available_gateways,
    accepted_currencies_and_cards_route_around_a_gateway,
    refund_only_gateway_refunds_but_takes_no_new_payments,
    refund_only_gateway_takes_no_voids,
    deleted_gateway_is_gone_but_old_transactions_keep_its_token,
);

async fn gateways(app: &TestApp, key: &str) -> Vec<Value> {
    let (status, v) = app.get_as(key, "/v1/gateways").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v["gateways"]
        .as_array()
        .unwrap_or_else(|| panic!("no gateways array in {v}"))
        .clone()
}

async fn default_gateway(app: &TestApp) -> String {
    let all = gateways(app, &app.api_key).await;
    assert_eq!(all.len(), 1, "{all:?}");
    all[0]["gatewayToken"].as_str().unwrap().to_string()
}

/// Creates a gateway; asserts success and returns the gateway object.
async fn create(app: &TestApp, gateway: Value) -> Value {
    let (status, v) = app
        .post("/v1/gateways", json!({ "gateway": gateway }))
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v["gateway"].clone()
}

async fn update(app: &TestApp, token: &str, patch: Value) -> Value {
    let (status, v) = app
        .put(
            &format!("/v1/gateways/{token}"),
            json!({ "gateway": patch }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v["gateway"].clone()
}

fn token_of(g: &Value) -> String {
    g["gatewayToken"].as_str().unwrap().to_string()
}

fn pinned(mtid: &str, amount: i64, token: &str) -> Value {
    let mut body = card_payment(mtid, amount);
    body["transaction"]["gatewayToken"] = json!(token);
    body
}

async fn charge_body(app: &TestApp, body: Value) -> Value {
    let (status, v) = app.post("/v1/gateways/charge", body).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v["transaction"].clone()
}

#[track_caller]
fn assert_no_route(t: &Value) {
    assert_code(t, "50130");
    assert_eq!(t["gatewayToken"], "AAAAAAAAAAAAAAAAAAAAAAAAAA", "{t}");
    assert_eq!(t["gatewayType"], "flexpay_declined", "{t}");
}

async fn a_new_sandbox_merchant_has_exactly_one_sandbox_gateway(app: TestApp) {
    for key in [
        app.api_key.clone(),
        app.new_merchant("sandbox").await.api_key,
    ] {
        let all = gateways(&app, &key).await;
        assert_eq!(all.len(), 1, "{all:?}");
        let g = &all[0];
        assert_eq!(g["gatewayType"], "sandbox");
        assert_eq!(g["status"], "Available");
        assert_eq!(g["weight"], 1);
        assert_eq!(g["gatewayToken"].as_str().unwrap().len(), 26);
        // Charges go there.
        let (_, v) = app
            .post_as(&key, "/v1/gateways/charge", card_payment("first", 1000))
            .await;
        assert_code(&v["transaction"], "10000");
        assert_eq!(v["transaction"]["gatewayToken"], g["gatewayToken"]);
        assert_eq!(v["transaction"]["gatewayType"], "sandbox");
    }
}

async fn create_show_list_and_update_a_gateway(app: TestApp) {
    let default = default_gateway(&app).await;
    let g = create(
        &app,
        json!({
            "name": "Second", "gatewayType": "sandbox", "merchantAccountReferenceId": "mid-2",
            "status": "Available", "acceptedCurrencyCodes": ["USD", "CAD"],
            "acceptedCards": ["VISA", "amex"], "weight": 3, "acceptRetries": false,
            "cvvRequired": true
        }),
    )
    .await;
    let token = token_of(&g);
    assert_eq!(token.len(), 26);
    assert_ne!(token, default);
    assert_eq!(g["name"], "Second");
    assert_eq!(g["gatewayType"], "sandbox");
    assert_eq!(g["merchantAccountReferenceId"], "mid-2");
    assert_eq!(g["status"], "Available");
    assert_eq!(g["acceptedCurrencyCodes"], json!(["USD", "CAD"]));
    assert_eq!(g["acceptedCards"], json!(["VISA", "AMERICAN EXPRESS"]));
    assert_eq!(g["weight"], 3);
    assert_eq!(g["acceptRetries"], false);
    assert_eq!(g["cvvRequired"], true);
    assert_eq!(g["hasSettings"], false);

    // Defaults: type sandbox, Available, weight 1, any currency and card.
    let minimal = create(&app, json!({"name": "Minimal"})).await;
    assert_eq!(minimal["gatewayType"], "sandbox");
    assert_eq!(minimal["status"], "Available");
    assert_eq!(minimal["weight"], 1);
    assert_eq!(minimal["acceptedCurrencyCodes"], json!([]));
    assert_eq!(minimal["acceptedCards"], json!([]));

    let (status, v) = app.get(&format!("/v1/gateways/{token}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["gateway"], g);
    let all = gateways(&app, &app.api_key).await;
    let tokens: Vec<String> = all.iter().map(token_of).collect();
    assert_eq!(tokens.len(), 3);
    assert!(tokens.contains(&token) && tokens.contains(&default));

    // PUT changes only the fields it carries; repeating the same name is allowed.
    let u = update(
        &app,
        &token,
        json!({"name": "Second", "weight": 5, "status": "Disabled", "acceptedCurrencyCodes": ["EUR"]}),
    )
    .await;
    assert_eq!(u["weight"], 5);
    assert_eq!(u["status"], "Disabled");
    assert_eq!(u["acceptedCurrencyCodes"], json!(["EUR"]));
    assert_eq!(u["acceptedCards"], json!(["VISA", "AMERICAN EXPRESS"]));
    assert_eq!(u["merchantAccountReferenceId"], "mid-2");
    assert_eq!(u["cvvRequired"], true);
    let (_, v) = app.get(&format!("/v1/gateways/{token}")).await;
    assert_eq!(v["gateway"], u);
}

async fn settings_are_write_only(app: TestApp) {
    let secret = "sk_live_do_not_echo_7f3a9c";
    let (status, v) = app
        .post(
            "/v1/gateways",
            json!({"gateway": {"name": "With settings", "settings": {"apiKey": secret}}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let token = token_of(&v["gateway"]);
    assert_eq!(v["gateway"]["hasSettings"], true);
    assert!(v["gateway"].get("settings").is_none(), "{v}");
    assert!(!v.to_string().contains(secret));

    let (_, v) = app.get(&format!("/v1/gateways/{token}")).await;
    assert_eq!(v["gateway"]["hasSettings"], true);
    assert!(v["gateway"].get("settings").is_none(), "{v}");
    let (_, list) = app.get("/v1/gateways").await;
    assert!(!list.to_string().contains(secret), "{list}");

    // Replacing them keeps them hidden; other updates keep them.
    let other = "sk_live_rotated_1b2c3d";
    let (_, v) = app
        .put(
            &format!("/v1/gateways/{token}"),
            json!({"gateway": {"settings": {"apiKey": other}}}),
        )
        .await;
    assert_eq!(v["gateway"]["hasSettings"], true);
    assert!(!v.to_string().contains(other));
    let u = update(&app, &token, json!({"weight": 2})).await;
    assert_eq!(u["hasSettings"], true);
    assert!(!u.to_string().contains(other) && !u.to_string().contains(secret));
}

async fn invalid_gateway_values_are_refused_with_400(app: TestApp) {
    let default = default_gateway(&app).await;
    let invalid = [
        json!({"gateway": {"name": "W", "weight": -1}}),
        json!({"gateway": {"name": "S", "status": "Bogus"}}),
        json!({"gateway": {"name": "C", "acceptedCurrencyCodes": ["ZZZ"]}}),
        json!({"gateway": {"name": "K", "acceptedCards": ["FOO"]}}),
        json!({"gateway": {"gatewayType": "sandbox"}}),
        json!({"gateway": {"name": ""}}),
        json!({"gateway": {"name": "T", "gatewayType": "no-such-processor"}}),
        json!({"name": "no root"}),
    ];
    for body in invalid {
        let (status, v) = app.post("/v1/gateways", body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {v}");
        assert!(
            v["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{body}: {v}"
        );
    }
    let (status, v) = app.post_raw("/v1/gateways", "{not json").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert!(v["message"].is_string(), "{v}");
    assert_eq!(
        gateways(&app, &app.api_key).await.len(),
        1,
        "nothing created"
    );

    // On update: bad values, a new name or a new type are refused and nothing changes.
    let before = app.get(&format!("/v1/gateways/{default}")).await.1;
    for patch in [
        json!({"weight": -1}),
        json!({"status": "Bogus"}),
        json!({"acceptedCurrencyCodes": ["ZZZ"]}),
        json!({"acceptedCards": ["FOO"]}),
        json!({"name": "Renamed"}),
        json!({"gatewayType": "no-such-processor"}),
        json!({"weight": 7, "status": "Bogus"}),
    ] {
        let (status, v) = app
            .put(
                &format!("/v1/gateways/{default}"),
                json!({ "gateway": patch }),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{patch}: {v}");
        assert!(v["message"].is_string(), "{patch}: {v}");
    }
    let after = app.get(&format!("/v1/gateways/{default}")).await.1;
    assert_eq!(before, after);
}

async fn unknown_gateway_token_is_404(app: TestApp) {
    let unknown = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
    let (status, v) = app.get(&format!("/v1/gateways/{unknown}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{v}");
    assert!(v["message"].is_string(), "{v}");
    let (status, _) = app
        .put(
            &format!("/v1/gateways/{unknown}"),
            json!({"gateway": {"weight": 2}}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.delete(&format!("/v1/gateways/{unknown}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn a_pinned_gateway_is_used(app: TestApp) {
    let default = default_gateway(&app).await;
    let second = token_of(&create(&app, json!({"name": "Second", "weight": 1000})).await);

    for i in 0..5 {
        let t = charge_body(&app, pinned(&format!("pin-default-{i}"), 1000, &default)).await;
        assert_code(&t, "10000");
        assert_eq!(t["gatewayToken"], default.as_str());
    }
    let t = charge_body(&app, pinned("pin-second", 1000, &second)).await;
    assert_code(&t, "10000");
    assert_eq!(t["gatewayToken"], second.as_str());

    // Authorize honours the pin too, and follow-ups stay on the original's gateway.
    let (_, v) = app
        .post("/v1/gateways/authorize", pinned("pin-auth", 700, &default))
        .await;
    let auth = v["transaction"].clone();
    assert_eq!(auth["gatewayToken"], default.as_str());
    let cap = follow(&app, "capture", &id_of(&auth), "pin-cap", None).await;
    assert_code(&cap, "10000");
    assert_eq!(cap["gatewayToken"], default.as_str());

    // The seed's body definition calls the field assignedGatewayToken: it pins as well.
    let mut body = card_payment("pin-assigned", 1000);
    body["transaction"]["assignedGatewayToken"] = json!(default);
    let t = charge_body(&app, body).await;
    assert_code(&t, "10000");
    assert_eq!(t["gatewayToken"], default.as_str());

    // An unknown gateway → 50130.
    let t = charge_body(
        &app,
        pinned("pin-unknown", 1000, "01ARZ3NDEKTSV4RRFFQ69G5FAV"),
    )
    .await;
    assert_no_route(&t);
}

async fn disabled_gateways_take_no_payments(app: TestApp) {
    let default = default_gateway(&app).await;
    let second = token_of(&create(&app, json!({"name": "Second"})).await);
    update(&app, &second, json!({"status": "Disabled"})).await;

    // Pinned to a Disabled gateway → 50130; unpinned charges avoid it.
    let t = charge_body(&app, pinned("pin-disabled", 1000, &second)).await;
    assert_no_route(&t);
    for i in 0..8 {
        let t = app.charge(&format!("free-{i}"), 1000).await;
        assert_code(&t, "10000");
        assert_eq!(t["gatewayToken"], default.as_str());
    }

    // Every gateway Disabled → 50130 for charges and authorizations.
    update(&app, &default, json!({"status": "Disabled"})).await;
    let t = charge_body(&app, card_payment("all-disabled", 1000)).await;
    assert_no_route(&t);
    let (_, v) = app
        .post(
            "/v1/gateways/authorize",
            card_payment("all-disabled-auth", 1000),
        )
        .await;
    assert_no_route(&v["transaction"]);
    // A 50130 is not persisted.
    let (status, _) = app
        .get("/v1/transactions/byMerchantTransactionId/all-disabled")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Enabled again, payments flow again.
    update(&app, &second, json!({"status": "Available"})).await;
    let t = app.charge("enabled-again", 1000).await;
    assert_code(&t, "10000");
    assert_eq!(t["gatewayToken"], second.as_str());
}

async fn weight_zero_takes_a_gateway_out_of_rotation(app: TestApp) {
    let default = default_gateway(&app).await;
    update(&app, &default, json!({"weight": 0})).await;
    let second = token_of(&create(&app, json!({"name": "Second", "weight": 1})).await);
    for i in 0..10 {
        let t = app.charge(&format!("w-{i}"), 1000).await;
        assert_code(&t, "10000");
        assert_eq!(t["gatewayToken"], second.as_str(), "{t}");
    }
    let a = app.authorize("w-auth", 1000).await;
    assert_eq!(a["gatewayToken"], second.as_str());
    // A weight-0 gateway can still be pinned (it is Available).
    let t = charge_body(&app, pinned("w-pinned", 1000, &default)).await;
    assert_code(&t, "10000");
    assert_eq!(t["gatewayToken"], default.as_str());
}

async fn weights_spread_charges_over_available_gateways(app: TestApp) {
    let default = default_gateway(&app).await;
    let second = token_of(&create(&app, json!({"name": "Second", "weight": 1})).await);
    let mut used = HashSet::new();
    for i in 0..40 {
        let t = app.charge(&format!("spread-{i}"), 1000).await;
        assert_code(&t, "10000");
        used.insert(t["gatewayToken"].as_str().unwrap().to_string());
    }
    assert_eq!(used, HashSet::from([default, second]));
}

async fn accepted_currencies_and_cards_route_around_a_gateway(app: TestApp) {
    let default = default_gateway(&app).await;
    let cad = token_of(
        &create(
            &app,
            json!({"name": "Canada", "acceptedCurrencyCodes": ["CAD"], "weight": 1000}),
        )
        .await,
    );
    let mc = token_of(
        &create(
            &app,
            json!({"name": "MC only", "acceptedCards": ["MASTERCARD"], "weight": 1000}),
        )
        .await,
    );

    // USD Visa charges fit neither special gateway, however heavy they are.
    for i in 0..10 {
        let t = app.charge(&format!("usd-{i}"), 1000).await;
        assert_code(&t, "10000");
        assert_eq!(t["gatewayToken"], default.as_str(), "{t}");
    }

    // Pinned with what they accept, they take the payment.
    let mut body = pinned("cad-pinned", 1000, &cad);
    body["transaction"]["currencyCode"] = json!("CAD");
    let t = charge_body(&app, body).await;
    assert_code(&t, "10000");
    assert_eq!(t["gatewayToken"], cad.as_str());
    assert_eq!(t["currencyCode"], "CAD");
    let mut body = pinned("mc-pinned", 1000, &mc);
    body["transaction"]["paymentMethod"]["creditCardNumber"] = json!(MASTERCARD);
    body["transaction"]["paymentMethod"]["cvv"] = json!("010");
    let t = charge_body(&app, body).await;
    assert_code(&t, "10000");
    assert_eq!(t["gatewayToken"], mc.as_str());

    // Server's choice (spec silent): a pinned gateway that does not accept the currency or
    // the brand is no route (50130) rather than a silent re-route.
    let t = charge_body(&app, pinned("cad-usd", 1000, &cad)).await;
    assert_no_route(&t);
    let t = charge_body(&app, pinned("mc-visa", 1000, &mc)).await;
    assert_no_route(&t);

    // With only the CAD gateway available, a USD charge has no route.
    update(&app, &default, json!({"status": "Disabled"})).await;
    update(&app, &mc, json!({"status": "Disabled"})).await;
    let t = charge_body(&app, card_payment("usd-no-route", 1000)).await;
    assert_no_route(&t);
}

async fn refund_only_gateway_refunds_but_takes_no_new_payments(app: TestApp) {
    let default = default_gateway(&app).await;
    let charge = app.charge("before", 1000).await;
    let auth = app.authorize("before-auth", 600).await;
    let g = update(&app, &default, json!({"status": "RefundOnly"})).await;
    assert_eq!(g["status"], "RefundOnly");

    let t = charge_body(&app, card_payment("after", 1000)).await;
    assert_no_route(&t);
    let t = charge_body(&app, pinned("after-pinned", 1000, &default)).await;
    assert_no_route(&t);
    let (_, v) = app
        .post("/v1/gateways/authorize", card_payment("after-auth", 1000))
        .await;
    assert_no_route(&v["transaction"]);

    // A refund of the earlier charge is approved on that gateway.
    let r = follow(&app, "refund", &id_of(&charge), "refund", Some(400)).await;
    assert_code(&r, "10000");
    assert_eq!(r["gatewayToken"], default.as_str());
    let r = follow(&app, "refund", &id_of(&charge), "refund-rest", None).await;
    assert_code(&r, "10000");
    assert_eq!(r["amount"], 600);

    // "RefundOnly gateways take refunds only": a capture is refused (the server says 50130).
    let c = follow(&app, "capture", &id_of(&auth), "capture", None).await;
    assert_ne!(c["responseCode"], "10000", "{c}");
    assert_no_route(&c);
}

/// docs/flexpay.md §8: "RefundOnly gateways take refunds only." A void is not a refund: voiding an
/// authorization or an unsettled charge on a RefundOnly gateway is refused, and the original
/// stays as it was (the charge is still refundable).
async fn refund_only_gateway_takes_no_voids(app: TestApp) {
    let default = default_gateway(&app).await;
    let charge = app.charge("before", 1000).await;
    let auth = app.authorize("before-auth", 600).await;
    update(&app, &default, json!({"status": "RefundOnly"})).await;

    let v = follow(&app, "void", &id_of(&auth), "void-auth", None).await;
    assert_ne!(v["responseCode"], "10000", "void of an authorization: {v}");
    let v = follow(&app, "void", &id_of(&charge), "void-charge", None).await;
    assert_ne!(v["responseCode"], "10000", "void of a charge: {v}");
    let r = follow(&app, "refund", &id_of(&charge), "refund", None).await;
    assert_code(&r, "10000");
    assert_eq!(r["amount"], 1000);
}

async fn deleted_gateway_is_gone_but_old_transactions_keep_its_token(app: TestApp) {
    let default = default_gateway(&app).await;
    let second = token_of(&create(&app, json!({"name": "Doomed"})).await);
    let t = charge_body(&app, pinned("on-doomed", 1000, &second)).await;
    assert_code(&t, "10000");
    assert_eq!(t["gatewayToken"], second.as_str());

    let (status, v) = app.delete(&format!("/v1/gateways/{second}")).await;
    assert!(status.is_success(), "{status}: {v}");
    let (status, _) = app.get(&format!("/v1/gateways/{second}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.delete(&format!("/v1/gateways/{second}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .put(
            &format!("/v1/gateways/{second}"),
            json!({"gateway": {"weight": 2}}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let tokens: Vec<String> = gateways(&app, &app.api_key)
        .await
        .iter()
        .map(token_of)
        .collect();
    assert_eq!(tokens, vec![default.clone()]);

    // The old transaction still names the deleted gateway, in show and in the list.
    let (_, v) = app.get(&format!("/v1/transactions/{}", id_of(&t))).await;
    assert_eq!(v["transaction"]["gatewayToken"], second.as_str());
    assert_eq!(v["transaction"]["gatewayType"], "sandbox");
    let (_, list) = app.get("/v1/transactions").await;
    assert_eq!(list["transactions"][0]["gatewayToken"], second.as_str());

    // It can no longer be pinned; unpinned charges use what is left.
    let t = charge_body(&app, pinned("pin-deleted", 1000, &second)).await;
    assert_no_route(&t);
    let t = app.charge("after-delete", 1000).await;
    assert_eq!(t["gatewayToken"], default.as_str());
}
