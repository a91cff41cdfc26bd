//! Merchant risk rules → 40xxx codes, off by default, recorded as declines.

use crate::dual;
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

dual!(
    risk_rules_are_off_by_default_and_each_one_fires,
    risk_rule_settings_are_validated
);

/// A change to the charge body that should trip the rule under test.
type Edit = Box<dyn Fn(&mut Value) + Send + Sync>;

async fn rules(app: &TestApp, patch: Value) {
    let path = format!("/admin/merchants/{}/risk-rules", app.merchant_id);
    let (status, v) = app.admin(Method::PUT, &path, Some(patch)).await;
    assert_eq!(status, StatusCode::OK, "{v}");
}

async fn charge_with(app: &TestApp, mtid: &str, edit: impl FnOnce(&mut Value)) -> Value {
    let mut body = card_payment(mtid, 1000);
    body["transaction"]["customerIp"] = json!("8.8.8.8");
    body["transaction"]["paymentMethod"]["email"] = json!("ada@example.com");
    body["transaction"]["paymentMethod"]["phoneNumber"] = json!("5551234567");
    body["transaction"]["shippingAddress"] = json!({"country": "US"});
    edit(&mut body);
    let (status, v) = app.post("/v1/gateways/charge", body).await;
    assert_eq!(status, StatusCode::OK);
    v["transaction"].clone()
}

async fn risk_rules_are_off_by_default_and_each_one_fires(app: TestApp) {
    let t = charge_with(&app, "baseline", |b| {
        b["transaction"]["customerIp"] = json!("81.2.3.4");
        b["transaction"]["shippingAddress"] = json!({"country": "CA"});
        b["transaction"]["paymentMethod"]["postalCode"] = json!("99999");
        b["transaction"]["paymentMethod"]
            .as_object_mut()
            .unwrap()
            .remove("cvv");
    })
    .await;
    assert_eq!(t["responseCode"], "10000", "no rule is on by default: {t}");
    assert_eq!(
        t["response"]["avsCode"], "N",
        "sandbox AVS mismatch postal code"
    );
    // The Mastercard test card's fingerprint, to block a card other than the baseline's.
    let mc = charge_with(&app, "mc", |b| {
        b["transaction"]["paymentMethod"]["creditCardNumber"] = json!(MASTERCARD);
        b["transaction"]["paymentMethod"]["cvv"] = json!("010");
    })
    .await;
    let blocked_card = mc["paymentMethod"]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();

    let cases: Vec<(Value, &str, Edit)> = vec![
        (
            json!({"blockedFingerprints": [blocked_card]}),
            "40030",
            Box::new(|b| {
                b["transaction"]["paymentMethod"]["creditCardNumber"] = json!(MASTERCARD);
                b["transaction"]["paymentMethod"]["cvv"] = json!("010");
            }),
        ),
        (
            json!({"blockedIps": ["9.9.9.9"]}),
            "40031",
            Box::new(|b| b["transaction"]["customerIp"] = json!("9.9.9.9")),
        ),
        (
            json!({"blockedEmails": ["FRAUD@example.com"]}),
            "40032",
            Box::new(|b| b["transaction"]["paymentMethod"]["email"] = json!("fraud@example.com")),
        ),
        (
            json!({"blockedPhones": ["5550000000"]}),
            "40033",
            Box::new(|b| b["transaction"]["paymentMethod"]["phoneNumber"] = json!("5550000000")),
        ),
        (
            json!({"cvvRequired": true}),
            "40003",
            Box::new(|b| {
                b["transaction"]["paymentMethod"]
                    .as_object_mut()
                    .unwrap()
                    .remove("cvv");
            }),
        ),
        (
            json!({"cvvRequired": true}),
            "40003",
            Box::new(|b| b["transaction"]["paymentMethod"]["cvv"] = json!("000")),
        ),
        (
            json!({"avsMatchRequired": true}),
            "40006",
            Box::new(|b| b["transaction"]["paymentMethod"]["postalCode"] = json!("99999")),
        ),
        (
            json!({"shippingBillingCountry": true}),
            "40007",
            Box::new(|b| b["transaction"]["shippingAddress"] = json!({"country": "CAN"})),
        ),
        (
            json!({"shippingBinCountry": true}),
            "40008",
            Box::new(|b| b["transaction"]["shippingAddress"] = json!({"country": "GB"})),
        ),
        (
            json!({"shippingIpCountry": true}),
            "40009",
            Box::new(|b| b["transaction"]["customerIp"] = json!("75.1.1.1")),
        ),
        (
            json!({"billingBinCountry": true}),
            "40010",
            Box::new(|b| b["transaction"]["paymentMethod"]["country"] = json!("JPN")),
        ),
        (
            json!({"billingIpCountry": true}),
            "40011",
            Box::new(|b| b["transaction"]["customerIp"] = json!("81.2.3.4")),
        ),
        (
            json!({"binIpCountry": true}),
            "40012",
            Box::new(|b| b["transaction"]["customerIp"] = json!("126.0.0.1")),
        ),
    ];
    for (i, (rule, code, edit)) in cases.into_iter().enumerate() {
        let off: Value = json!({
            "blockedFingerprints": [], "blockedIps": [], "blockedEmails": [], "blockedPhones": [],
            "cvvRequired": false, "avsMatchRequired": false, "shippingBillingCountry": false, "shippingBinCountry": false,
            "shippingIpCountry": false, "billingBinCountry": false, "billingIpCountry": false, "binIpCountry": false
        });
        rules(&app, off).await;
        // Consistent facts pass even with the rule on.
        rules(&app, rule.clone()).await;
        let ok = charge_with(&app, &format!("ok-{i}"), |_| {}).await;
        assert_eq!(
            ok["responseCode"], "10000",
            "{rule} blocked a consistent payment: {ok}"
        );
        let t = charge_with(&app, &format!("risk-{i}"), |b| edit(b)).await;
        assert_eq!(t["responseCode"], code, "{rule}: {t}");
        if code == "40006" {
            // The seed's en dash, not a hyphen (the table is diffed against seed 003).
            assert_eq!(
                t["message"],
                "Declined \u{2013} AVS (Address) not matched the transaction payment method.",
                "{t}"
            );
        }
        assert_eq!(t["transactionStatus"], 2);
        assert_eq!(t["retryDate"], Value::Null, "risk declines are not retried");
        let (status, _) = app
            .get(&format!(
                "/v1/transactions/{}",
                t["transactionId"].as_str().unwrap()
            ))
            .await;
        assert_eq!(status, StatusCode::OK, "risk declines are recorded");
    }
}

async fn risk_rule_settings_are_validated(app: TestApp) {
    let path = format!("/admin/merchants/{}/risk-rules", app.merchant_id);
    for bad in [
        json!({"cvvRequierd": true}),
        json!({"blockedIps": "8.8.8.8"}),
        json!({"blockedEmails": [""]}),
    ] {
        let (status, v) = app.admin(Method::PUT, &path, Some(bad.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {v}");
    }
    let (status, v) = app.admin(Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["cvvRequired"], false);
    assert_eq!(v["blockedIps"], json!([]));
}
