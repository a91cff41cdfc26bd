//! Capture / void / refund (docs/flexpay.md §2 and §5, docs/sandbox.md "FlexPay sandbox
//! processor"): each follow-up is a new transaction linked to its original; the state rules decide
//! the declines, which are persisted like any other declined operation.

use crate::dual;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

dual!(
    capture_creates_a_new_linked_transaction,
    capture_amount_absent_or_zero_is_the_full_authorization,
    capture_state_rules,
    void_state_rules,
    void_after_settlement_is_refused_but_refund_still_works,
    refund_partial_then_remainder,
    refund_over_the_remainder_wins_over_trigger_amounts,
    refund_of_a_capture_is_limited_to_the_captured_amount,
    refund_of_an_authorization_is_an_invalid_transaction,
    trigger_amounts_apply_to_follow_ups_and_give_the_reservation_back,
    follow_ups_of_declined_or_non_payment_transactions_are_invalid,
    unknown_original_is_50131_and_not_persisted,
    merchant_transaction_id_is_unique_across_types,
    follow_up_bodies_are_validated_and_lenient,
);

// ---------------------------------------------------------------------------------------------
// Shared with the other test modules.

/// `{"transaction":{"merchantTransactionId":…, "amount":…}}`; `amount: None` leaves it out.
pub(crate) fn follow_body(mtid: &str, amount: Option<i64>) -> Value {
    let mut t = json!({ "merchantTransactionId": mtid });
    if let Some(a) = amount {
        t["amount"] = json!(a);
    }
    json!({ "transaction": t })
}

/// `POST /v1/transactions/{id}/{op}` with `key`; asserts HTTP 200 and returns the transaction.
pub(crate) async fn follow_as(
    app: &TestApp,
    key: &str,
    op: &str,
    id: &str,
    mtid: &str,
    amount: Option<i64>,
) -> Value {
    let (status, v) = app
        .post_as(
            key,
            &format!("/v1/transactions/{id}/{op}"),
            follow_body(mtid, amount),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{op} of {id}: {v}");
    v["transaction"].clone()
}

/// `follow_as` with the sandbox merchant's key.
pub(crate) async fn follow(
    app: &TestApp,
    op: &str,
    id: &str,
    mtid: &str,
    amount: Option<i64>,
) -> Value {
    follow_as(app, &app.api_key, op, id, mtid, amount).await
}

pub(crate) fn id_of(t: &Value) -> String {
    t["transactionId"]
        .as_str()
        .unwrap_or_else(|| panic!("no transactionId in {t}"))
        .to_string()
}

/// Asserts the response code (a string on the wire) and the status that goes with it.
#[track_caller]
pub(crate) fn assert_code(t: &Value, code: &str) {
    assert_eq!(t["responseCode"], code, "{t}");
    let status = match code.as_bytes()[0] {
        b'1' => 1,
        b'5' => 3,
        _ => 2,
    };
    assert_eq!(t["transactionStatus"], status, "{t}");
}

// ---------------------------------------------------------------------------------------------

/// docs/platform.md §5: FlexPay ids are 26 upper-case characters (Crockford base32 ULIDs).
#[track_caller]
fn assert_flexpay_id(id: &Value) {
    let s = id.as_str().unwrap_or_else(|| panic!("not an id: {id}"));
    assert_eq!(s.len(), 26, "{s}");
    assert!(
        s.chars()
            .all(|c| c.is_ascii_digit() || (c.is_ascii_uppercase() && !"ILOU".contains(c))),
        "{s}"
    );
}

async fn get_txn(app: &TestApp, id: &str) -> Value {
    let (status, v) = app.get(&format!("/v1/transactions/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v["transaction"].clone()
}

/// A declined follow-up is stored: it can be fetched and keeps its link to the original.
async fn assert_persisted_decline(app: &TestApp, t: &Value, kind: &str, original: &str) {
    let stored = get_txn(app, &id_of(t)).await;
    assert_eq!(stored["transactionType"], kind, "{stored}");
    assert_eq!(stored["transactionStatus"], 2, "{stored}");
    assert_eq!(stored["responseCode"], t["responseCode"], "{stored}");
    assert_eq!(stored["originalTransactionId"], original, "{stored}");
}

async fn capture_creates_a_new_linked_transaction(app: TestApp) {
    let auth = app.authorize("auth-1", 1000).await;
    assert_code(&auth, "10000");
    assert_eq!(auth["transactionType"], "Authorize");
    let auth_id = id_of(&auth);

    let cap = follow(&app, "capture", &auth_id, "cap-1", Some(1000)).await;
    assert_code(&cap, "10000");
    assert_eq!(cap["message"], "Approved.");
    assert_eq!(cap["transactionType"], "Capture");
    assert_ne!(id_of(&cap), auth_id, "a capture is a new transaction");
    for id in [
        &auth["transactionId"],
        &cap["transactionId"],
        &auth["gatewayToken"],
        &auth["paymentMethod"]["paymentMethodId"],
    ] {
        assert_flexpay_id(id);
    }
    assert!(id_of(&cap) > auth_id, "ids are time-ordered");
    assert_eq!(cap["merchantTransactionId"], "cap-1");
    assert_eq!(cap["orderId"], auth["orderId"]);
    assert_eq!(cap["orderId"], "order-auth-1");
    assert_eq!(cap["originalTransactionId"], auth_id);
    assert_eq!(cap["amount"], 1000);
    assert_eq!(cap["currencyCode"], "USD");
    assert_eq!(cap["gatewayToken"], auth["gatewayToken"]);

    // Both are stored, and the authorization itself is unchanged.
    let stored = get_txn(&app, &id_of(&cap)).await;
    assert_eq!(stored["transactionType"], "Capture");
    assert_eq!(stored["originalTransactionId"], auth_id);
    assert_eq!(stored["amount"], 1000);
    let stored_auth = get_txn(&app, &auth_id).await;
    assert_eq!(stored_auth["transactionType"], "Authorize");
    assert_eq!(stored_auth["amount"], 1000);
    assert_eq!(stored_auth["merchantTransactionId"], "auth-1");
    assert_code(&stored_auth, "10000");

    // Refund and void are new transactions too, with the original's orderId.
    let charge = app.charge("ch-1", 700).await;
    let refund = follow(&app, "refund", &id_of(&charge), "ref-1", Some(200)).await;
    assert_code(&refund, "10000");
    assert_eq!(refund["transactionType"], "Refund");
    assert_eq!(refund["orderId"], "order-ch-1");
    assert_eq!(refund["originalTransactionId"], id_of(&charge));
    assert_eq!(refund["amount"], 200);
    assert_ne!(id_of(&refund), id_of(&charge));

    let auth2 = app.authorize("auth-2", 300).await;
    let void = follow(&app, "void", &id_of(&auth2), "void-1", None).await;
    assert_code(&void, "10000");
    assert_eq!(void["transactionType"], "Void");
    assert_eq!(void["orderId"], "order-auth-2");
    assert_eq!(void["originalTransactionId"], id_of(&auth2));
    assert_ne!(id_of(&void), id_of(&auth2));
}

async fn capture_amount_absent_or_zero_is_the_full_authorization(app: TestApp) {
    let a1 = app.authorize("auth-absent", 1234).await;
    let cap = follow(&app, "capture", &id_of(&a1), "cap-absent", None).await;
    assert_code(&cap, "10000");
    assert_eq!(cap["amount"], 1234);

    let a2 = app.authorize("auth-zero", 4321).await;
    let cap = follow(&app, "capture", &id_of(&a2), "cap-zero", Some(0)).await;
    assert_code(&cap, "10000");
    assert_eq!(cap["amount"], 4321);

    let a3 = app.authorize("auth-partial", 1000).await;
    let cap = follow(&app, "capture", &id_of(&a3), "cap-partial", Some(400)).await;
    assert_code(&cap, "10000");
    assert_eq!(cap["amount"], 400);
}

async fn capture_state_rules(app: TestApp) {
    // More than authorized → 30064, persisted; a valid capture still works afterwards.
    let auth = app.authorize("auth", 1000).await;
    let auth_id = id_of(&auth);
    let over = follow(&app, "capture", &auth_id, "cap-over", Some(1001)).await;
    assert_code(&over, "30064");
    assert_eq!(over["transactionType"], "Capture");
    assert_persisted_decline(&app, &over, "Capture", &auth_id).await;
    let ok = follow(&app, "capture", &auth_id, "cap-ok", Some(600)).await;
    assert_code(&ok, "10000");
    assert_eq!(ok["amount"], 600);

    // One capture per authorization: a second one (even of the rest) → 30079.
    let again = follow(&app, "capture", &auth_id, "cap-again", Some(400)).await;
    assert_code(&again, "30079");
    assert_persisted_decline(&app, &again, "Capture", &auth_id).await;
    let again = follow(&app, "capture", &auth_id, "cap-again-full", None).await;
    assert_code(&again, "30079");

    // Capture of a voided authorization → 30064.
    let voided = app.authorize("auth-voided", 500).await;
    let v = follow(&app, "void", &id_of(&voided), "void-it", None).await;
    assert_code(&v, "10000");
    let cap = follow(&app, "capture", &id_of(&voided), "cap-voided", None).await;
    assert_code(&cap, "30064");
    assert_persisted_decline(&app, &cap, "Capture", &id_of(&voided)).await;

    // Capture of a Charge → 30011.
    let charge = app.charge("charge", 800).await;
    let cap = follow(&app, "capture", &id_of(&charge), "cap-charge", None).await;
    assert_code(&cap, "30011");
    assert_persisted_decline(&app, &cap, "Capture", &id_of(&charge)).await;
}

async fn void_state_rules(app: TestApp) {
    // Void of an authorization; a second void → 30066.
    let auth = app.authorize("auth", 1000).await;
    let v = follow(&app, "void", &id_of(&auth), "void-1", None).await;
    assert_code(&v, "10000");
    let v2 = follow(&app, "void", &id_of(&auth), "void-2", None).await;
    assert_code(&v2, "30066");
    assert_persisted_decline(&app, &v2, "Void", &id_of(&auth)).await;

    // Void of a captured authorization → 30065.
    let auth = app.authorize("auth-cap", 1000).await;
    let cap = follow(&app, "capture", &id_of(&auth), "cap", None).await;
    assert_code(&cap, "10000");
    let v = follow(&app, "void", &id_of(&auth), "void-captured", None).await;
    assert_code(&v, "30065");
    assert_persisted_decline(&app, &v, "Void", &id_of(&auth)).await;

    // A capture not yet settled can be voided; it can then no longer be refunded.
    let v = follow(&app, "void", &id_of(&cap), "void-capture", None).await;
    assert_code(&v, "10000");
    assert_eq!(v["originalTransactionId"], id_of(&cap));
    let r = follow(&app, "refund", &id_of(&cap), "refund-voided-capture", None).await;
    assert_code(&r, "30066");

    // A charge not yet settled can be voided once; refund of the voided charge → 30066.
    let charge = app.charge("charge", 900).await;
    let v = follow(&app, "void", &id_of(&charge), "void-charge", None).await;
    assert_code(&v, "10000");
    let v = follow(&app, "void", &id_of(&charge), "void-charge-again", None).await;
    assert_code(&v, "30066");
    let r = follow(&app, "refund", &id_of(&charge), "refund-voided", Some(100)).await;
    assert_code(&r, "30066");
    assert_persisted_decline(&app, &r, "Refund", &id_of(&charge)).await;
    let r = follow(&app, "refund", &id_of(&charge), "refund-voided-all", None).await;
    assert_code(&r, "30066");
}

async fn void_after_settlement_is_refused_but_refund_still_works(app: TestApp) {
    let charge = app.charge("charge", 1500).await;
    let auth = app.authorize("auth", 700).await;
    let auth_captured = app.authorize("auth-captured", 900).await;
    let cap = follow(&app, "capture", &id_of(&auth_captured), "cap", None).await;
    assert_code(&cap, "10000");

    // The sandbox settles charges and captures at the next 00:00 UTC of the merchant clock.
    app.advance_clock(&app.merchant_id, 86_400).await;

    let v = follow(&app, "void", &id_of(&charge), "void-settled", None).await;
    assert_code(&v, "30010");
    assert_persisted_decline(&app, &v, "Void", &id_of(&charge)).await;
    let v = follow(&app, "void", &id_of(&cap), "void-settled-capture", None).await;
    assert_code(&v, "30010");

    // A settled charge or capture is still refundable.
    let r = follow(&app, "refund", &id_of(&charge), "refund-settled", None).await;
    assert_code(&r, "10000");
    assert_eq!(r["amount"], 1500);
    let r = follow(&app, "refund", &id_of(&cap), "refund-settled-capture", None).await;
    assert_code(&r, "10000");
    assert_eq!(r["amount"], 900);

    // An authorization does not settle: it can still be voided the next day.
    let v = follow(&app, "void", &id_of(&auth), "void-auth", None).await;
    assert_code(&v, "10000");
}

async fn refund_partial_then_remainder(app: TestApp) {
    let charge = app.charge("charge", 1000).await;
    let cid = id_of(&charge);

    let r1 = follow(&app, "refund", &cid, "r1", Some(300)).await;
    assert_code(&r1, "10000");
    assert_eq!(r1["amount"], 300);
    let r2 = follow(&app, "refund", &cid, "r2", Some(200)).await;
    assert_code(&r2, "10000");
    assert_eq!(r2["amount"], 200);

    // 500 remain: 501 is over the remainder → 30015, persisted, and nothing is taken.
    let over = follow(&app, "refund", &cid, "r-over", Some(501)).await;
    assert_code(&over, "30015");
    assert_eq!(over["transactionType"], "Refund");
    assert_persisted_decline(&app, &over, "Refund", &cid).await;

    // Absent amount = all that remains.
    let rest = follow(&app, "refund", &cid, "r-rest", None).await;
    assert_code(&rest, "10000");
    assert_eq!(rest["amount"], 500);

    // Nothing remains now: neither "all that remains" nor a single cent.
    let none = follow(&app, "refund", &cid, "r-none", Some(0)).await;
    assert_code(&none, "30015");
    let cent = follow(&app, "refund", &cid, "r-cent", Some(1)).await;
    assert_code(&cent, "30015");

    // Amount 0 is also "all that remains" on a fresh charge.
    let charge = app.charge("charge-2", 2500).await;
    let all = follow(&app, "refund", &id_of(&charge), "r-zero", Some(0)).await;
    assert_code(&all, "10000");
    assert_eq!(all["amount"], 2500);
}

async fn refund_over_the_remainder_wins_over_trigger_amounts(app: TestApp) {
    // docs/sandbox.md: state and amount rules come before the trigger amounts.
    let charge = app.charge("charge", 2000).await;
    let r = follow(&app, "refund", &id_of(&charge), "r-2008", Some(2008)).await;
    assert_code(&r, "30015");
    let charge = app.charge("charge-2", 3000).await;
    let r = follow(&app, "refund", &id_of(&charge), "r-3016", Some(3016)).await;
    assert_code(&r, "30015");
    // Nothing was reserved by those declines: the full refunds still work.
    let r = follow(&app, "refund", &id_of(&charge), "r-full", None).await;
    assert_code(&r, "10000");
    assert_eq!(r["amount"], 3000);
}

async fn refund_of_a_capture_is_limited_to_the_captured_amount(app: TestApp) {
    let auth = app.authorize("auth", 1000).await;
    let cap = follow(&app, "capture", &id_of(&auth), "cap", Some(600)).await;
    assert_code(&cap, "10000");
    let cap_id = id_of(&cap);

    let over = follow(&app, "refund", &cap_id, "r-over", Some(601)).await;
    assert_code(&over, "30015");
    let part = follow(&app, "refund", &cap_id, "r-part", Some(100)).await;
    assert_code(&part, "10000");
    assert_eq!(part["originalTransactionId"], cap_id);
    assert_eq!(part["orderId"], "order-auth");
    let rest = follow(&app, "refund", &cap_id, "r-rest", None).await;
    assert_code(&rest, "10000");
    assert_eq!(rest["amount"], 500);
    let more = follow(&app, "refund", &cap_id, "r-more", Some(1)).await;
    assert_code(&more, "30015");
}

async fn refund_of_an_authorization_is_an_invalid_transaction(app: TestApp) {
    let auth = app.authorize("auth", 1000).await;
    let r = follow(&app, "refund", &id_of(&auth), "r-auth", Some(100)).await;
    assert_code(&r, "30011");
    assert_persisted_decline(&app, &r, "Refund", &id_of(&auth)).await;
    let r = follow(&app, "refund", &id_of(&auth), "r-auth-all", None).await;
    assert_code(&r, "30011");
    // Still capturable in full: the refund attempts reserved nothing.
    let cap = follow(&app, "capture", &id_of(&auth), "cap", None).await;
    assert_code(&cap, "10000");
    assert_eq!(cap["amount"], 1000);
}

async fn trigger_amounts_apply_to_follow_ups_and_give_the_reservation_back(app: TestApp) {
    // Refund of 2008 cents on a large charge → 20003 (soft: do not honor).
    let charge = app.charge("charge", 10_000).await;
    let cid = id_of(&charge);
    let r = follow(&app, "refund", &cid, "r-2008", Some(2008)).await;
    assert_code(&r, "20003");
    assert_eq!(r["transactionType"], "Refund");
    assert_persisted_decline(&app, &r, "Refund", &cid).await;
    let r = follow(&app, "refund", &cid, "r-3016", Some(3016)).await;
    assert_code(&r, "30011");
    // The declined refunds gave their reservation back: the whole charge is refundable.
    let r = follow(&app, "refund", &cid, "r-all", None).await;
    assert_code(&r, "10000");
    assert_eq!(r["amount"], 10_000);

    // Capture of 2012 cents → 20023 (insufficient funds); the authorization stays capturable.
    let auth = app.authorize("auth", 5000).await;
    let aid = id_of(&auth);
    let c = follow(&app, "capture", &aid, "c-2012", Some(2012)).await;
    assert_code(&c, "20023");
    assert_persisted_decline(&app, &c, "Capture", &aid).await;
    let c = follow(&app, "capture", &aid, "c-2005", Some(2005)).await;
    assert_code(&c, "20000");
    let c = follow(&app, "capture", &aid, "c-full", None).await;
    assert_code(&c, "10000");
    assert_eq!(c["amount"], 5000);
}

/// The spec gives no code for a follow-up of a declined original or of a transaction that is
/// not a payment; the server answers 30011 "Invalid transaction", which is defensible.
async fn follow_ups_of_declined_or_non_payment_transactions_are_invalid(app: TestApp) {
    let declined = app.charge("declined", 2008).await;
    assert_code(&declined, "20003");
    let r = follow(&app, "refund", &id_of(&declined), "r-declined", None).await;
    assert_code(&r, "30011");
    let declined_auth = app.authorize("declined-auth", 2008).await;
    assert_code(&declined_auth, "20003");
    let c = follow(&app, "capture", &id_of(&declined_auth), "c-declined", None).await;
    assert_code(&c, "30011");

    // A refund cannot itself be refunded or captured.
    let charge = app.charge("charge", 1000).await;
    let refund = follow(&app, "refund", &id_of(&charge), "r", Some(100)).await;
    assert_code(&refund, "10000");
    let rr = follow(&app, "refund", &id_of(&refund), "rr", None).await;
    assert_code(&rr, "30011");
    let rc = follow(&app, "capture", &id_of(&refund), "rc", None).await;
    assert_code(&rc, "30011");

    // A vault operation is a transaction, but not one that moves money.
    let (status, v) = app
        .post(
            "/v1/paymentmethods",
            json!({"paymentMethod": vault_card(VISA, "879")}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let vault_txn = id_of(&v["transaction"]);
    let r = follow(&app, "refund", &vault_txn, "r-vault", None).await;
    assert_code(&r, "30011");
}

async fn unknown_original_is_50131_and_not_persisted(app: TestApp) {
    for (op, kind) in [
        ("capture", "Capture"),
        ("void", "Void"),
        ("refund", "Refund"),
    ] {
        for original in ["01ARZ3NDEKTSV4RRFFQ69G5FAV", "no-such-transaction"] {
            let mtid = format!("{op}-{original}");
            let t = follow(&app, op, original, &mtid, None).await;
            assert_code(&t, "50131");
            assert_eq!(
                t["message"],
                "Original transaction not found using the field TransactionReferenceId."
            );
            assert_eq!(t["transactionType"], kind, "{t}");
            assert_eq!(t["gatewayToken"], "AAAAAAAAAAAAAAAAAAAAAAAAAA", "{t}");
            assert_eq!(t["gatewayType"], "flexpay_declined", "{t}");
            assert_eq!(t["amount"], 0, "{t}");
            assert_eq!(t["currencyCode"], Value::Null, "{t}");
            assert_eq!(t["merchantTransactionId"], mtid.as_str(), "{t}");
            // Not persisted: the id is unknown and the merchantTransactionId is still free.
            let (status, _) = app.get(&format!("/v1/transactions/{}", id_of(&t))).await;
            assert_eq!(status, StatusCode::NOT_FOUND);
            let (status, _) = app
                .get(&format!("/v1/transactions/byMerchantTransactionId/{mtid}"))
                .await;
            assert_eq!(status, StatusCode::NOT_FOUND);
        }
    }
    let (_, list) = app.get("/v1/transactions").await;
    assert_eq!(list["transactions"], json!([]), "{list}");

    let reuse = app.charge("refund-no-such-transaction", 500).await;
    assert_code(&reuse, "10000");
}

async fn merchant_transaction_id_is_unique_across_types(app: TestApp) {
    let charge = app.charge("m-1", 1000).await;
    assert_code(&charge, "10000");
    let cid = id_of(&charge);

    // A second charge or an authorize with the same id → 50129, nothing created.
    let (status, v) = app
        .post("/v1/gateways/charge", card_payment("m-1", 1000))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_code(&v["transaction"], "50129");
    assert_ne!(id_of(&v["transaction"]), cid);
    let (status, v) = app
        .post("/v1/gateways/authorize", card_payment("m-1", 300))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_code(&v["transaction"], "50129");

    // A refund reusing the charge's id → 50129, and no money moved.
    let r = follow(&app, "refund", &cid, "m-1", None).await;
    assert_code(&r, "50129");
    let r = follow(&app, "refund", &cid, "m-1-refund", None).await;
    assert_code(&r, "10000");
    assert_eq!(
        r["amount"], 1000,
        "the 50129 refund must not have reserved anything"
    );
    // The refund's own id is taken now too, by any type.
    let auth = app.authorize("m-2", 500).await;
    let c = follow(&app, "capture", &id_of(&auth), "m-1-refund", None).await;
    assert_code(&c, "50129");
    let c = follow(&app, "capture", &id_of(&auth), "m-2", None).await;
    assert_code(&c, "50129");
    let v = follow(&app, "void", &id_of(&auth), "m-1", None).await;
    assert_code(&v, "50129");
    let c = follow(&app, "capture", &id_of(&auth), "m-2-capture", None).await;
    assert_code(&c, "10000");
    assert_eq!(
        c["amount"], 500,
        "the 50129 capture must not have reserved anything"
    );

    // A declined follow-up is persisted, so its id is used as well.
    let over = follow(&app, "refund", &id_of(&c), "m-over", Some(501)).await;
    assert_code(&over, "30015");
    let again = follow(&app, "refund", &id_of(&c), "m-over", Some(100)).await;
    assert_code(&again, "50129");

    // Exactly one transaction per id, found by byMerchantTransactionId.
    let (status, v) = app
        .get("/v1/transactions/byMerchantTransactionId/m-1")
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["transaction"]["transactionId"], cid);
    assert_eq!(v["transaction"]["transactionType"], "Charge");
    let (status, v) = app
        .get("/v1/transactions/byMerchantTransactionId/m-1-refund")
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["transaction"]["transactionType"], "Refund");
    assert_eq!(v["transaction"]["originalTransactionId"], cid);
    let (status, v) = app
        .get("/v1/transactions/byMerchantTransactionId/never-used")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{v}");

    let (_, list) = app.get("/v1/transactions?count=100").await;
    let items = list["transactions"].as_array().unwrap();
    for mtid in ["m-1", "m-1-refund", "m-2", "m-2-capture", "m-over"] {
        let n = items
            .iter()
            .filter(|t| t["merchantTransactionId"] == mtid)
            .count();
        assert_eq!(n, 1, "{mtid} in {list}");
    }
    assert_eq!(items.len(), 5, "{list}");
}

async fn follow_up_bodies_are_validated_and_lenient(app: TestApp) {
    let charge = app.charge("charge", 1000).await;
    let path = format!("/v1/transactions/{}/refund", id_of(&charge));

    // merchantTransactionId is required (50103), HTTP 200 with the envelope.
    let (status, v) = app
        .post(&path, json!({"transaction": {"amount": 100}}))
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_code(&v["transaction"], "50103");

    // The amount may be a numeric string; a different orderId in the body is ignored.
    let (status, v) = app
        .post(
            &path,
            json!({"transaction": {"merchantTransactionId": "r-str", "amount": "250", "orderId": "other"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_code(&v["transaction"], "10000");
    assert_eq!(v["transaction"]["amount"], 250);
    assert_eq!(v["transaction"]["orderId"], "order-charge");

    // No root object → 400/50003; not JSON → 400/50002.
    let (status, v) = app
        .post(&path, json!({"merchantTransactionId": "r-noroot"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["transaction"]["responseCode"], "50003", "{v}");
    let (status, v) = app.post_raw(&path, "{not json").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["transaction"]["responseCode"], "50002", "{v}");

    // Only the one valid refund moved money.
    let rest = follow(&app, "refund", &id_of(&charge), "r-rest", None).await;
    assert_code(&rest, "10000");
    assert_eq!(rest["amount"], 750);
}
