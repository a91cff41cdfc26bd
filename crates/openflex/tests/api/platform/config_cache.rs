//! The node's configuration cache (credential → merchant, the routing table) against changes
//! made elsewhere. A second node on the same database — on PostgreSQL another server, on SQLite
//! another store on the same file, as the `openflex` CLI is — must honour a moved test clock, a
//! disabled gateway and a revoked key made on the first before its very next payment, with no
//! partial write.

use crate::helpers::{TestApp, spawn_app_with, token_payment};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

crate::dual!(changes_on_one_node_reach_the_other_before_its_next_payment);

/// Another server on `a`'s database and key ring.
async fn second_node(a: &TestApp) -> TestApp {
    let (dir, url, admin) = (
        a.data_dir.clone(),
        a.database_url.clone(),
        a.admin_token.clone(),
    );
    spawn_app_with(a.backend, move |c| {
        c.data_dir = dir;
        c.database_url = Some(url);
        c.admin_token = Some(admin);
    })
    .await
}

async fn charge(node: &TestApp, key: &str, mtid: &str, pm: &str) -> (StatusCode, Value) {
    node.post_as(key, "/v1/gateways/charge", token_payment(mtid, 1000, pm))
        .await
}

fn day(v: &Value) -> String {
    v["transaction"]["transactionDate"].as_str().unwrap()[..10].to_string()
}

async fn changes_on_one_node_reach_the_other_before_its_next_payment(a: TestApp) {
    let b = second_node(&a).await;
    let key = a.api_key.clone();
    let pm = a.vault_visa().await;

    // b serves (and caches) the key, the merchant and its gateways.
    let (status, first) = charge(&b, &key, "cache-1", &pm).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["transaction"]["responseCode"], "10000", "{first}");
    let (_, again) = charge(&b, &key, "cache-2", &pm).await;
    assert_eq!(again["transaction"]["responseCode"], "10000", "{again}");
    assert_eq!(day(&first), day(&again));

    // A test clock moved on a: b's next payment is on the new day.
    a.advance_clock(&a.merchant_id, 3 * 86_400).await;
    let (_, moved) = charge(&b, &key, "cache-3", &pm).await;
    assert_eq!(moved["transaction"]["responseCode"], "10000", "{moved}");
    assert_ne!(
        day(&moved),
        day(&first),
        "b charged on a stale clock: {moved}"
    );

    // The merchant's only gateway disabled on a: b cannot route to it any more.
    let (_, list) = a.get("/v1/gateways").await;
    let token = list["gateways"][0]["gatewayToken"]
        .as_str()
        .unwrap_or_else(|| panic!("{list}"))
        .to_string();
    let (status, v) = a
        .put(
            &format!("/v1/gateways/{token}"),
            json!({"gateway": {"status": "Disabled"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (_, refused) = charge(&b, &key, "cache-4", &pm).await;
    assert_eq!(refused["transaction"]["responseCode"], "50130", "{refused}");
    let (status, v) = a
        .put(
            &format!("/v1/gateways/{token}"),
            json!({"gateway": {"status": "Available"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (_, back) = charge(&b, &key, "cache-5", &pm).await;
    assert_eq!(back["transaction"]["responseCode"], "10000", "{back}");

    // The key revoked on a: b refuses it at once and writes nothing.
    let path = format!("/admin/merchants/{}/credentials", a.merchant_id);
    let (_, creds) = a.admin(Method::GET, &path, None).await;
    let sandbox_keys: Vec<&Value> = creds["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "flexpay_api_key" && c["mode"] == "sandbox")
        .collect();
    assert_eq!(sandbox_keys.len(), 1, "{creds}");
    let id = sandbox_keys[0]["id"].as_str().unwrap();
    let (status, _) = a.admin(Method::DELETE, &format!("{path}/{id}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, v) = charge(&b, &key, "cache-6", &pm).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{v}");

    let issued = a.issue(&a.merchant_id, "sandbox").await;
    let fresh = issued["flexpay"]["apiKey"].as_str().unwrap();
    let (status, v) = a.get_as(fresh, "/v1/transactions?count=100").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let mtids: Vec<&str> = v["transactions"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"))
        .iter()
        .filter_map(|t| t["merchantTransactionId"].as_str())
        .collect();
    assert!(mtids.contains(&"cache-5"), "{v}");
    assert!(
        !mtids.contains(&"cache-6"),
        "a revoked key wrote a transaction: {v}"
    );
    let (status, v) = charge(&b, fresh, "cache-7", &pm).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["transaction"]["responseCode"], "10000", "{v}");
}
