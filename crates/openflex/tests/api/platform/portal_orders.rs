//! The rescue order list found by what a merchant knows (the card's last four, the payer's
//! email, an amount range) and exported as CSV exactly as filtered, formula cells neutralised;
//! and the portal's one timestamp format (API key times included, never wrapping in a list) and
//! bookkeeping rows' amounts shown as a dash rather than a currency-less `0.00`.

use crate::dual;
use crate::flexfactor::ff::{OTHER, RESCUABLE, evaluate, evaluate_body, token};
use crate::helpers::*;
use crate::platform::portal::Portal;
use reqwest::StatusCode;
use serde_json::json;

dual!(
    rescue_orders_are_found_by_card_email_and_amount,
    the_order_export_is_what_the_filters_show,
    every_page_writes_times_one_way,
    bookkeeping_rows_show_a_dash_for_their_amount,
);

/// Creates a rescue order; the evaluate answer must be a success.
async fn order(app: &TestApp, bearer: &str, id: &str, card: &str, email: &str, amount: i64) {
    let mut body = evaluate_body(id, card);
    body["payer"] = json!({ "email": email });
    body["transaction"]["amount"] = json!(amount);
    let (status, v) = evaluate(app, bearer, body).await;
    assert!(status.is_success(), "{status} {v}");
}

async fn rescue_orders_are_found_by_card_email_and_amount(app: TestApp) {
    let b = token(&app).await;
    order(&app, &b, "ada-order", RESCUABLE, "ada@example.com", 1500).await;
    order(&app, &b, "grace-order", OTHER, "Grace@Example.com", 2500).await;
    let mut p = Portal::signed_in(&app).await;
    let found = |page: &str, ada: bool, grace: bool| {
        assert_eq!(page.contains("<td>ada-order</td>"), ada, "{page}");
        assert_eq!(page.contains("<td>grace-order</td>"), grace, "{page}");
    };
    let page = p.get("/portal/orders?last4=3184").await.text;
    found(&page, true, false);
    assert!(page.contains("1 matching orders."), "{page}");
    let page = p.get("/portal/orders?last4=1111").await.text;
    found(&page, false, true);
    // The email in any case, but the whole address.
    let page = p.get("/portal/orders?email=grace%40EXAMPLE.com").await.text;
    found(&page, false, true);
    assert!(page.contains("<td>Grace@Example.com</td>"), "shown: {page}");
    let page = p.get("/portal/orders?email=example.com").await.text;
    found(&page, false, false);
    let page = p.get("/portal/orders?currency=USD&min=20.00").await.text;
    found(&page, false, true);
    let page = p.get("/portal/orders?currency=USD&max=15").await.text;
    found(&page, true, false);
    let page = p.get("/portal/orders?currency=EUR&min=1").await.text;
    found(&page, false, false);
    // Filters combine; the pager keeps them.
    let page = p
        .get("/portal/orders?last4=3184&email=ada@example.com&currency=USD&min=10&max=15")
        .await
        .text;
    found(&page, true, false);
    assert!(
        page.contains("href=\"/portal/orders.csv?currency=USD&amp;email=ada%40example.com&amp;last4=3184&amp;max=15&amp;min=10\""),
        "the export link carries the filters: {page}"
    );

    // What cannot be read is named beside the form, as typed.
    for (query, field) in [
        ("last4=12", "Last four digits"),
        ("min=20", "Currency"),
        ("currency=USD&min=ten", "Amount from"),
        ("currency=XYZ1&max=1", "Currency"),
    ] {
        let page = p.get(&format!("/portal/orders?{query}")).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{query}");
        assert!(
            page.text.contains(&format!("role=\"alert\">{field}: ")),
            "{query}: {}",
            page.text
        );
    }
    let page = p.get("/portal/orders?currency=USD&min=ten").await.text;
    assert!(
        page.contains("value=\"ten\" inputmode=\"decimal\" aria-invalid=\"true\""),
        "{page}"
    );
    // A full card number in the search box is refused, not shown back, nor put in links; the
    // export refuses it too.
    let page = p.get("/portal/orders?q=5244+2090+8466+5514").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.text);
    assert!(
        page.text.contains("last four digits instead"),
        "{}",
        page.text
    );
    for shown in ["5244209084665514", "5244 2090 8466 5514", "5244+2090"] {
        assert!(!page.text.contains(shown), "{shown} echoed: {}", page.text);
    }
    let csv = p.get("/portal/orders.csv?q=5244209084665514").await;
    assert_eq!(csv.status, StatusCode::BAD_REQUEST, "{}", csv.text);
    assert!(!csv.text.contains("5244209084665514"), "{}", csv.text);
}

async fn the_order_export_is_what_the_filters_show(app: TestApp) {
    let b = token(&app).await;
    order(
        &app,
        &b,
        "=HYPERLINK(\"x\")",
        RESCUABLE,
        "ada@example.com",
        1500,
    )
    .await;
    order(&app, &b, "grace-order", OTHER, "grace@example.com", 2500).await;
    let mut p = Portal::signed_in(&app).await;
    let csv = p.get("/portal/orders.csv?email=ada@example.com").await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.text);
    assert_eq!(
        csv.headers.get("content-type").unwrap(),
        "text/csv; charset=utf-8"
    );
    assert!(
        csv.headers
            .get("content-disposition")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("orders.csv")
    );
    let lines: Vec<&str> = csv.text.lines().collect();
    assert_eq!(
        lines[0],
        "created,orderSessionKey,orderId,status,rescueState,amount,currency,captured,refunded,payerEmail"
    );
    assert_eq!(lines.len(), 2, "only the filtered order: {}", csv.text);
    assert!(
        lines[1].contains(",\"'=HYPERLINK(\"\"x\"\")\","),
        "a formula is neutralised: {}",
        lines[1]
    );
    assert!(lines[1].contains(",15.00,USD,"), "{}", lines[1]);
    assert!(lines[1].ends_with(",ada@example.com"), "{}", lines[1]);

    let all = p.get("/portal/orders.csv").await.text;
    assert_eq!(all.lines().count(), 3, "{all}");
    assert!(
        all.find("grace-order").unwrap() < all.find("HYPERLINK").unwrap(),
        "newest first: {all}"
    );
    let bad = p.get("/portal/orders.csv?last4=abcd").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.text.contains("Last four digits: "), "{}", bad.text);
}

/// Every `<time>` of a page, as shown.
fn shown_times(html: &str) -> Vec<String> {
    html.split("<time datetime=\"")
        .skip(1)
        .map(|t| {
            let text = &t[t.find("\">").unwrap() + 2..];
            text[..text.find("</time>").unwrap()].to_string()
        })
        .collect()
}

/// A time as the portal writes it: `YYYY-MM-DD HH:MM UTC` (or with `:SS`).
fn portal_format(t: &str) -> bool {
    let Some(stamp) = t.strip_suffix(" UTC") else {
        return false;
    };
    let shape = |s: &str| {
        s.chars().enumerate().all(|(i, c)| match i {
            4 | 7 => c == '-',
            10 => c == ' ',
            13 | 16 => c == ':',
            _ => c.is_ascii_digit(),
        })
    };
    (stamp.len() == 16 || stamp.len() == 19) && shape(stamp)
}

/// Whether `s` holds an RFC 3339 date-time (`2026-01-31T12:…`).
fn has_rfc3339(s: &str) -> bool {
    s.as_bytes().windows(14).any(|w| {
        w.iter().enumerate().all(|(i, &c)| match i {
            4 | 7 => c == b'-',
            10 => c == b'T',
            13 => c == b':',
            _ => c.is_ascii_digit(),
        })
    })
}

async fn every_page_writes_times_one_way(app: TestApp) {
    app.charge("times-1", 1000).await;
    let b = token(&app).await;
    order(&app, &b, "times-order", RESCUABLE, "ada@example.com", 1500).await;
    // A request with the API key gives it a "last used" time.
    let (status, _) = app
        .post("/v1/gateways/charge", card_payment("times-2", 900))
        .await;
    assert_eq!(status, StatusCode::OK);
    app.add_webhook("https://hooks.example/times").await;
    let mut p = Portal::signed_in(&app).await;
    for path in [
        "/portal/credentials",
        "/portal/transactions",
        "/portal/orders",
        "/portal/payment-methods",
        "/portal/webhooks",
    ] {
        let page = p.get(path).await.text;
        let times = shown_times(&page);
        assert!(!times.is_empty(), "{path} shows times: {page}");
        for t in &times {
            assert!(portal_format(t), "{path}: {t:?}");
        }
        // No RFC 3339 spelling left outside the machine-readable attribute.
        let visible: String = page
            .split("<time datetime=\"")
            .enumerate()
            .map(|(i, part)| {
                if i == 0 {
                    part
                } else {
                    &part[part.find('"').unwrap()..]
                }
            })
            .collect();
        assert!(!has_rfc3339(&visible), "{path}: {visible}");
    }
    let keys = p.get("/portal/credentials").await.text;
    let row = &keys[keys.find("flexpay_api_key").unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert_eq!(shown_times(row).len(), 2, "created and last used: {row}");
    // Times never wrap inside a table cell.
    let css = p.get("/portal/assets/portal.css").await.text;
    assert!(css.contains("time { white-space: nowrap; }"), "{css}");
}

async fn bookkeeping_rows_show_a_dash_for_their_amount(app: TestApp) {
    app.vault_visa().await;
    let mut p = Portal::signed_in(&app).await;
    let page = p.get("/portal/transactions?bookkeeping=1").await.text;
    let at = page
        .find("<td>CreatePaymentMethod</td>")
        .expect("the bookkeeping row");
    let row = &page[at..at + page[at..].find("</tr>").unwrap()];
    assert!(row.contains("<td class=\"num\">—</td>"), "{row}");
    assert!(
        !page.contains(">0.00<"),
        "no amount without a currency: {page}"
    );
}
