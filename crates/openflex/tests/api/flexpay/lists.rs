//! `GET /v1/transactions` and `GET /v1/paymentmethods` (docs/flexpay.md §2 and §6, seed "Order and
//! Pagination"): keyset pages by id, default 20, at most 100, asc/desc, date filters and the
//! simplified item.

use crate::dual;
use crate::flexpay::lifecycle::{follow, id_of};
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

dual!(
    new_merchant_lists_are_empty,
    items_are_flat_and_oldest_first_by_default,
    default_page_is_20_and_count_is_clamped_to_100,
    paging_with_since_token_or_since_transaction_id_visits_every_item_once,
    descending_order_pages_from_the_newest,
    exactly_one_page_then_empty,
    invalid_count_or_order_is_a_400_with_50000,
    unknown_since_token_is_a_position_in_id_order,
    start_and_end_date_filter_by_day,
    simplified_items_have_only_the_slim_fields,
    vault_operations_are_listed_as_transactions,
    payment_methods_list_and_paging,
);

fn items(v: &Value) -> Vec<Value> {
    v["transactions"]
        .as_array()
        .unwrap_or_else(|| panic!("no transactions array in {v}"))
        .clone()
}

fn ids(list: &[Value]) -> Vec<String> {
    list.iter().map(id_of).collect()
}

async fn list(app: &TestApp, query: &str) -> Vec<Value> {
    let (status, v) = app.get(&format!("/v1/transactions{query}")).await;
    assert_eq!(status, StatusCode::OK, "{query}: {v}");
    items(&v)
}

/// Pages with `param`=<last id> until an empty page; returns the page sizes and every id.
async fn page_through(app: &TestApp, base: &str, param: &str) -> (Vec<usize>, Vec<String>) {
    let (mut sizes, mut all) = (Vec::new(), Vec::<String>::new());
    let mut query = base.to_string();
    loop {
        let page = list(app, &query).await;
        sizes.push(page.len());
        if page.is_empty() {
            return (sizes, all);
        }
        all.extend(ids(&page));
        query = format!("{base}&{param}={}", all.last().unwrap());
        assert!(sizes.len() < 50, "paging does not end");
    }
}

/// Creates `n` transactions, alternating charges and vault operations; returns their ids in
/// creation order.
async fn create(app: &TestApp, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for i in 0..n {
        if i % 2 == 0 {
            out.push(id_of(&app.charge(&format!("c-{i}"), 100 + i as i64).await));
        } else {
            let (status, v) = app
                .post(
                    "/v1/paymentmethods",
                    json!({"paymentMethod": vault_card(VISA, "879")}),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{v}");
            out.push(id_of(&v["transaction"]));
        }
    }
    out
}

/// "2026-01-05T…" → "2026-1-5" (the unpadded form seen in the vendor docs).
fn unpadded_day(transaction_date: &Value) -> String {
    let s = transaction_date.as_str().unwrap();
    let parts: Vec<u32> = s[..10].split('-').map(|p| p.parse().unwrap()).collect();
    format!("{}-{}-{}", parts[0], parts[1], parts[2])
}

async fn new_merchant_lists_are_empty(app: TestApp) {
    let m = app.new_merchant("sandbox").await;
    let (status, v) = app.get_as(&m.api_key, "/v1/transactions").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v, json!({"transactions": []}));
    let (status, v) = app.get_as(&m.api_key, "/v1/paymentmethods").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v, json!({"paymentMethods": []}));
    let (status, v) = app
        .get_as(&m.api_key, "/v1/transactions?order=desc&count=5")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v, json!({"transactions": []}));
    // The first-start merchant starts empty as well.
    assert!(list(&app, "").await.is_empty());
}

async fn items_are_flat_and_oldest_first_by_default(app: TestApp) {
    let created = create(&app, 4).await;
    let page = list(&app, "").await;
    assert_eq!(ids(&page), created);
    assert_eq!(ids(&list(&app, "?order=asc").await), created);
    // Items are flat transaction objects, not wrapped in {"transaction": …}.
    let first = &page[0];
    assert!(first.get("transaction").is_none(), "{first}");
    assert_eq!(first["transactionType"], "Charge");
    assert_eq!(first["merchantTransactionId"], "c-0");
    assert_eq!(first["responseCode"], "10000");
    assert_eq!(
        first["paymentMethod"]["creditCardNumber"],
        "492020******9560"
    );
    assert_eq!(page[1]["transactionType"], "CreatePaymentMethod");
}

async fn default_page_is_20_and_count_is_clamped_to_100(app: TestApp) {
    let created = create(&app, 105).await;
    assert_eq!(ids(&list(&app, "").await), created[..20]);
    assert_eq!(ids(&list(&app, "?count=7").await), created[..7]);
    assert_eq!(ids(&list(&app, "?count=100").await), created[..100]);
    assert_eq!(ids(&list(&app, "?count=101").await), created[..100]);
    assert_eq!(ids(&list(&app, "?count=500").await), created[..100]);
    let (sizes, all) = page_through(&app, "?count=500", "sinceToken").await;
    assert_eq!(sizes, vec![100, 5, 0]);
    assert_eq!(all, created);
}

async fn paging_with_since_token_or_since_transaction_id_visits_every_item_once(app: TestApp) {
    let created = create(&app, 45).await;
    for param in ["sinceToken", "sinceTransactionId"] {
        let (sizes, all) = page_through(&app, "?count=20", param).await;
        assert_eq!(sizes, vec![20, 20, 5, 0], "{param}");
        assert_eq!(all, created, "{param}");
    }
    // Default page size with continuation.
    let (sizes, all) = page_through(&app, "?order=asc", "sinceToken").await;
    assert_eq!(sizes, vec![20, 20, 5, 0]);
    assert_eq!(all, created);
    // Starting after a given item returns exactly the items created after it.
    let after = list(&app, &format!("?count=3&sinceToken={}", created[9])).await;
    assert_eq!(ids(&after), created[10..13]);
}

async fn descending_order_pages_from_the_newest(app: TestApp) {
    let created = create(&app, 25).await;
    let mut newest_first = created.clone();
    newest_first.reverse();
    assert_eq!(ids(&list(&app, "?order=desc").await), newest_first[..20]);
    assert_eq!(
        ids(&list(&app, "?order=DESC&count=3").await),
        newest_first[..3]
    );
    for param in ["sinceToken", "sinceTransactionId"] {
        let (sizes, all) = page_through(&app, "?order=desc&count=10", param).await;
        assert_eq!(sizes, vec![10, 10, 5, 0], "{param}");
        assert_eq!(all, newest_first, "{param}");
    }
}

async fn exactly_one_page_then_empty(app: TestApp) {
    let created = create(&app, 5).await;
    let page = list(&app, "?count=5").await;
    assert_eq!(ids(&page), created);
    let next = list(&app, &format!("?count=5&sinceToken={}", created[4])).await;
    assert!(next.is_empty(), "{next:?}");
    let (sizes, all) = page_through(&app, "?count=5", "sinceTransactionId").await;
    assert_eq!(sizes, vec![5, 0]);
    assert_eq!(all, created);
    let (sizes, _) = page_through(&app, "?count=6", "sinceToken").await;
    assert_eq!(sizes, vec![5, 0]);
}

async fn invalid_count_or_order_is_a_400_with_50000(app: TestApp) {
    create(&app, 2).await;
    for query in [
        "?count=abc",
        "?count=0",
        "?count=-1",
        "?count=1.5",
        "?order=sideways",
    ] {
        for path in ["/v1/transactions", "/v1/paymentmethods"] {
            let (status, v) = app.get(&format!("{path}{query}")).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path}{query}: {v}");
            assert_eq!(
                v["transaction"]["responseCode"], "50000",
                "{path}{query}: {v}"
            );
            assert_eq!(
                v["transaction"]["transactionStatus"], 3,
                "{path}{query}: {v}"
            );
        }
    }
}

async fn unknown_since_token_is_a_position_in_id_order(app: TestApp) {
    let created = create(&app, 6).await;
    let zeros = "00000000000000000000000000";
    let top = "ZZZZZZZZZZZZZZZZZZZZZZZZZZ";
    assert_eq!(
        ids(&list(&app, &format!("?sinceToken={zeros}")).await),
        created
    );
    assert!(list(&app, &format!("?sinceToken={top}")).await.is_empty());
    assert!(
        list(&app, &format!("?sinceTransactionId={top}"))
            .await
            .is_empty()
    );
    // In descending order the same positions mean the opposite ends.
    let mut newest_first = created.clone();
    newest_first.reverse();
    assert_eq!(
        ids(&list(&app, &format!("?order=desc&sinceToken={top}")).await),
        newest_first
    );
    assert!(
        list(&app, &format!("?order=desc&sinceToken={zeros}"))
            .await
            .is_empty()
    );
}

async fn start_and_end_date_filter_by_day(app: TestApp) {
    // Three transactions two days apart on the merchant's test clock.
    let a = app.charge("day-a", 100).await;
    app.advance_clock(&app.merchant_id, 2 * 86_400).await;
    let b = app.charge("day-b", 200).await;
    app.advance_clock(&app.merchant_id, 2 * 86_400).await;
    let c = app.charge("day-c", 300).await;
    let (a_day, b_day, c_day) = (
        unpadded_day(&a["transactionDate"]),
        unpadded_day(&b["transactionDate"]),
        unpadded_day(&c["transactionDate"]),
    );
    assert!(a_day != b_day && b_day != c_day, "{a_day} {b_day} {c_day}");
    let (a, b, c) = (id_of(&a), id_of(&b), id_of(&c));

    // endDate includes its whole day.
    let q = format!("?startDate={b_day}&endDate={b_day}");
    assert_eq!(ids(&list(&app, &q).await), vec![b.clone()]);
    let q = format!("?startDate={b_day}");
    assert_eq!(ids(&list(&app, &q).await), vec![b.clone(), c.clone()]);
    let q = format!("?endDate={b_day}");
    assert_eq!(ids(&list(&app, &q).await), vec![a.clone(), b.clone()]);
    let q = format!("?endDate={a_day}");
    assert_eq!(ids(&list(&app, &q).await), vec![a.clone()]);
    let q = format!("?startDate={a_day}&endDate={c_day}&order=desc");
    assert_eq!(ids(&list(&app, &q).await), vec![c.clone(), b, a]);
    let q = format!("?startDate={c_day}&endDate={a_day}");
    assert!(list(&app, &q).await.is_empty());

    // The zero-padded form is accepted too; an unparsable date is a 400 (server's choice).
    let padded = c_day
        .split('-')
        .map(|p| format!("{p:0>2}"))
        .collect::<Vec<_>>()
        .join("-");
    let q = format!("?startDate={padded}");
    assert_eq!(ids(&list(&app, &q).await), vec![c]);
    let (status, v) = app.get("/v1/transactions?startDate=yesterday").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["transaction"]["responseCode"], "50000", "{v}");
}

async fn simplified_items_have_only_the_slim_fields(app: TestApp) {
    let charge = app.charge("slim", 1500).await;
    let declined = app.charge("slim-declined", 2008).await;
    let refund = follow(&app, "refund", &id_of(&charge), "slim-refund", Some(500)).await;

    let page = list(&app, "?responseType=simplified").await;
    assert_eq!(page.len(), 3);
    let expected_keys = [
        "Gateway",
        "amount",
        "completionStatus",
        "initialMerchantTransactionId",
        "message",
        "paymentMethodStorageState",
        "retryDate",
        "transactionDate",
        "transactionId",
        "transactionStatus",
        "transactionType",
    ];
    for item in &page {
        let mut keys: Vec<&str> = item
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort();
        assert_eq!(keys, expected_keys, "{item}");
    }
    let first = &page[0];
    assert_eq!(first["transactionId"], id_of(&charge));
    assert_eq!(first["transactionType"], "Charge");
    assert_eq!(first["transactionStatus"], 1);
    assert_eq!(first["message"], "Approved.");
    assert_eq!(first["amount"], 1500);
    assert_eq!(first["initialMerchantTransactionId"], "slim");
    assert_eq!(first["paymentMethodStorageState"], "Stored");
    assert_eq!(first["completionStatus"], Value::Null);
    assert_eq!(first["retryDate"], Value::Null);
    assert_eq!(first["transactionDate"], charge["transactionDate"]);

    let second = &page[1];
    assert_eq!(second["transactionId"], id_of(&declined));
    assert_eq!(second["transactionStatus"], 2);
    assert_eq!(second["paymentMethodStorageState"], "Cached");
    assert_eq!(second["retryDate"], declined["retryDate"]);

    assert_eq!(page[2]["transactionId"], id_of(&refund));
    assert_eq!(page[2]["transactionType"], "Refund");
    assert_eq!(page[2]["amount"], 500);

    // Paging works the same with the slim items.
    let next = list(
        &app,
        &format!(
            "?responseType=simplified&count=1&sinceToken={}",
            id_of(&charge)
        ),
    )
    .await;
    assert_eq!(ids(&next), vec![id_of(&declined)]);
}

async fn vault_operations_are_listed_as_transactions(app: TestApp) {
    let pm = app.vault_visa().await;
    let (status, v) = app
        .put(
            &format!("/v1/paymentmethods/{pm}"),
            json!({"paymentMethod": {"firstName": "Grace"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (status, v) = app
        .put(
            &format!("/v1/paymentmethods/{pm}/recache"),
            json!({"paymentMethod": {"cvv": "879"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (status, v) = app
        .put(&format!("/v1/paymentmethods/{pm}/redact"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");

    let page = list(&app, "").await;
    let types: Vec<&str> = page
        .iter()
        .map(|t| t["transactionType"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        vec![
            "CreatePaymentMethod",
            "UpdatePaymentMethod",
            "RecachePaymentMethod",
            "RedactPaymentMethod"
        ]
    );
    for t in &page {
        assert_eq!(t["paymentMethod"]["paymentMethodId"], pm, "{t}");
        assert_eq!(t["transactionStatus"], 1, "{t}");
    }
}

async fn payment_methods_list_and_paging(app: TestApp) {
    let mut created = Vec::new();
    for _ in 0..25 {
        created.push(app.vault_visa().await);
    }
    let pm_ids = |v: &Value| -> Vec<String> {
        v["paymentMethods"]
            .as_array()
            .unwrap_or_else(|| panic!("no paymentMethods in {v}"))
            .iter()
            .map(|p| {
                p["paymentMethod"]["paymentMethodId"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };

    let (status, v) = app.get("/v1/paymentmethods").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(pm_ids(&v), created[..20]);
    let first = &v["paymentMethods"][0]["paymentMethod"];
    assert_eq!(first["creditCardNumber"], "492020******9560");
    assert_eq!(first["storageState"], "Stored");
    assert_eq!(first["paymentMethodType"], "CreditCard");

    for param in ["sinceToken", "sincePaymentMethodId"] {
        let (_, v) = app
            .get(&format!("/v1/paymentmethods?{param}={}", created[19]))
            .await;
        assert_eq!(pm_ids(&v), created[20..], "{param}");
        let (_, v) = app
            .get(&format!("/v1/paymentmethods?{param}={}", created[24]))
            .await;
        assert!(pm_ids(&v).is_empty(), "{param}");
    }
    let (_, v) = app.get("/v1/paymentmethods?count=500").await;
    assert_eq!(pm_ids(&v), created);
    let (_, v) = app.get("/v1/paymentmethods?count=4&order=desc").await;
    let mut newest_first = created.clone();
    newest_first.reverse();
    assert_eq!(pm_ids(&v), newest_first[..4]);
    let (_, v) = app
        .get(&format!(
            "/v1/paymentmethods?order=desc&count=4&sinceToken={}",
            newest_first[3]
        ))
        .await;
    assert_eq!(pm_ids(&v), newest_first[4..8]);
}
