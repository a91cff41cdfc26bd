//! The portal's lists as a merchant reads them: amounts in their own currency (sign, decimals,
//! grouping) with totals kept per currency, the status pill first in each row, the recovery
//! panel of a declined payment, and the Flexiti status legend.

use crate::dual;
use crate::helpers::*;
use crate::platform::portal::Portal;
use reqwest::StatusCode;
use serde_json::{Value, json};

dual!(
    amounts_read_in_their_own_currency_and_totals_stay_apart,
    status_pills_lead_the_lists_and_bookkeeping_rows_wait_to_be_asked,
    a_declined_payment_shows_where_its_recovery_stands,
    transactions_are_found_by_what_a_merchant_knows,
    the_list_pages_both_ways_with_a_count_and_exports_what_it_shows,
    rescue_orders_are_found_by_text_and_dates_and_page_both_ways,
);

/// The table row (`<tr>…</tr>`) of `html` that contains `needle`.
fn row_of<'a>(html: &'a str, needle: &str) -> &'a str {
    let at = html
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} in {html}"));
    let start = html[..at].rfind("<tr>").expect("a row");
    let end = at + html[at..].find("</tr>").expect("the row's end");
    &html[start..end]
}

async fn follow_up(
    app: &TestApp,
    of: &Value,
    action: &str,
    mtid: &str,
    amount: Option<i64>,
) -> Value {
    let mut body = json!({"transaction": {"merchantTransactionId": mtid}});
    if let Some(a) = amount {
        body["transaction"]["amount"] = json!(a);
    }
    let (status, v) = app
        .post(
            &format!(
                "/v1/transactions/{}/{action}",
                of["transactionId"].as_str().unwrap()
            ),
            body,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["transaction"]["responseCode"], "10000", "{v}");
    v["transaction"].clone()
}

async fn charge_in(app: &TestApp, mtid: &str, amount: i64, currency: &str) -> Value {
    let mut body = card_payment(mtid, amount);
    body["transaction"]["currencyCode"] = json!(currency);
    let (status, v) = app.post("/v1/gateways/charge", body).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["transaction"]["responseCode"], "10000", "{v}");
    v["transaction"].clone()
}

async fn amounts_read_in_their_own_currency_and_totals_stay_apart(app: TestApp) {
    charge_in(&app, "money-usd", 123_456, "USD").await;
    charge_in(&app, "money-eur", 5_000, "EUR").await;
    let yen = charge_in(&app, "money-jpy", 1_000, "JPY").await;
    let mut p = Portal::signed_in(&app).await;
    let list = p.get("/portal/transactions").await.text;
    for shown in ["$1,234.56 USD", "€50.00 EUR", "¥1,000 JPY"] {
        assert!(list.contains(shown), "{shown} in the list: {list}");
    }
    let detail = p
        .get(&format!(
            "/portal/transactions/{}",
            yen["transactionId"].as_str().unwrap()
        ))
        .await
        .text;
    assert!(detail.contains("¥1,000 JPY"), "{detail}");
    assert!(!detail.contains("10.00"), "yen have no decimals: {detail}");
    let overview = p.get("/portal/").await.text;
    let card = &overview[overview.find("Approved volume").unwrap()..];
    let card = &card[..card.find("Approval rate").unwrap()];
    for shown in ["$1,234.56 USD", "€50.00 EUR", "¥1,000 JPY"] {
        assert!(card.contains(shown), "{shown} in the volume card: {card}");
    }
    // Never one total across currencies (123456 + 5000 + 1000 minor units).
    assert!(!overview.contains("1,294.56"), "{overview}");
    assert!(
        overview.contains("Approved volume per day, EUR")
            && overview.contains("Approved volume per day, JPY"),
        "a chart per currency"
    );
    let flexiti = p.get("/portal/flexiti").await.text;
    assert!(
        flexiti.contains("$10,000.00 CAD"),
        "Jane Doe's limit in Canadian dollars: {flexiti}"
    );
    let legend = &flexiti[flexiti.find("What the account statuses mean").unwrap()..];
    for words in ["Normal", "Arrears", "Frozen", "Charged off", "Closed"] {
        assert!(legend.contains(words), "{words} in the legend");
    }
}

async fn status_pills_lead_the_lists_and_bookkeeping_rows_wait_to_be_asked(app: TestApp) {
    app.charge("pill-ok", 1500).await;
    app.charge("pill-retrying", 2008).await;
    app.charge("pill-final", 3016).await;
    app.authorize("pill-uncaptured", 1500).await;
    let voided = app.authorize("pill-voided", 1500).await;
    follow_up(&app, &voided, "void", "pill-voided-void", None).await;
    let part = app.charge("pill-part", 1500).await;
    follow_up(&app, &part, "refund", "pill-part-refund", Some(500)).await;
    let whole = app.charge("pill-whole", 1500).await;
    follow_up(&app, &whole, "refund", "pill-whole-refund", Some(1500)).await;
    let pm = app.vault_visa().await;
    let mut p = Portal::signed_in(&app).await;
    let list = p.get("/portal/transactions").await.text;
    for (mtid, pill) in [
        ("pill-ok", "Succeeded"),
        ("pill-retrying", "Declined – retrying"),
        ("pill-final", "Declined – final"),
        ("pill-uncaptured", "Uncaptured"),
        ("pill-voided<", "Voided"),
        ("pill-part<", "Partially refunded"),
        ("pill-whole<", "Refunded"),
        ("pill-whole-refund", "Succeeded"),
    ] {
        let row = row_of(&list, mtid);
        let first_cell = &row[..row.find("</td>").unwrap()];
        assert!(
            first_cell.contains(&format!(">{pill}</span>")),
            "{mtid} leads with {pill}: {row}"
        );
    }
    // Vaulting a card is bookkeeping: hidden until asked for.
    assert!(!list.contains("CreatePaymentMethod"), "{list}");
    let all = p.get("/portal/transactions?bookkeeping=1").await.text;
    assert!(all.contains("CreatePaymentMethod"), "{all}");
    assert!(all.contains("name=\"bookkeeping\" type=\"checkbox\" value=\"1\" checked"));
    let _ = pm;
    // A decline that a retry followed is no longer "retrying".
    let first = app.charge("pill-chain", 2008).await;
    let mut retry = card_payment("pill-chain-1", 1600);
    retry["transaction"]["referenceData"] = first["referenceData"].clone();
    retry["transaction"]["retryCount"] = json!(1);
    retry["transaction"]["orderId"] = json!("order-pill-chain");
    let (_, v) = app.post("/v1/gateways/charge", retry).await;
    assert_eq!(v["transaction"]["responseCode"], "10000", "{v}");
    let list = p.get("/portal/transactions").await.text;
    assert!(row_of(&list, "pill-chain<").contains(">Declined – final</span>"));
    assert!(row_of(&list, "pill-chain-1").contains(">Succeeded</span>"));
    // Rescue orders lead with a pill too.
    use crate::flexfactor::ff::{RESCUABLE, evaluate, evaluate_body, token};
    let mut body = evaluate_body("pill-order", RESCUABLE);
    body["transactionType"] = json!("AUTHORIZATION");
    evaluate(&app, &token(&app).await, body).await;
    let orders = p.get("/portal/orders").await.text;
    let row = row_of(&orders, "pill-order");
    assert!(
        row[..row.find("</td>").unwrap()].contains(">Uncaptured</span>"),
        "{row}"
    );
}

async fn a_declined_payment_shows_where_its_recovery_stands(app: TestApp) {
    let declined = app.charge("panel-1", 2012).await;
    let id = declined["transactionId"].as_str().unwrap().to_string();
    let mut p = Portal::signed_in(&app).await;
    let page = p.get(&format!("/portal/transactions/{id}")).await.text;
    let panel = &page[page
        .find("id=\"recovery-title\"")
        .expect("a recovery panel")..];
    let panel = &panel[..panel.find("</section>").unwrap()];
    assert!(panel.contains("Insufficient funds"), "{panel}");
    assert!(
        panel.contains("next likely pay day"),
        "the policy's rule: {panel}"
    );
    assert!(panel.contains("0 of 15 used, 15 left"), "{panel}");
    assert!(
        panel.contains("Window ends") && panel.contains("30 days"),
        "{panel}"
    );
    assert!(panel.contains("Next retry"), "{panel}");
    // The clock passes the retry date with scheduler mode off: overdue, not a stale date.
    app.advance_clock(&app.merchant_id, 20 * 86_400).await;
    let page = p.get(&format!("/portal/transactions/{id}")).await.text;
    assert!(page.contains("Overdue — scheduler off"), "{page}");
    assert!(!page.contains("Next retry"), "{page}");
    // A retry recovers it: both pages say on which attempt, and each attempt its amount.
    let mut retry = card_payment("panel-2", 2013);
    retry["transaction"]["referenceData"] = declined["referenceData"].clone();
    retry["transaction"]["retryCount"] = json!(1);
    retry["transaction"]["orderId"] = json!("order-panel-1");
    let (_, v) = app.post("/v1/gateways/charge", retry).await;
    assert_eq!(v["transaction"]["responseCode"], "10000", "{v}");
    for of in [
        id.as_str(),
        v["transaction"]["transactionId"].as_str().unwrap(),
    ] {
        let page = p.get(&format!("/portal/transactions/{of}")).await.text;
        assert!(page.contains("Recovered on attempt 2"), "{page}");
        let chain = &page[page.find("Recovery chain").unwrap()..];
        assert!(
            chain.contains("$20.12 USD") && chain.contains("$20.13 USD"),
            "{chain}"
        );
    }
    // An approved payment outside any recovery has no panel.
    let ok = app.charge("panel-ok", 1000).await;
    let page = p
        .get(&format!(
            "/portal/transactions/{}",
            ok["transactionId"].as_str().unwrap()
        ))
        .await
        .text;
    assert!(!page.contains("recovery-title"));
}

async fn transactions_are_found_by_what_a_merchant_knows(app: TestApp) {
    app.charge("Find-ABC-1", 1500).await;
    app.charge("find-other", 2500).await;
    let mut mc = card_payment("find-mc", 3500);
    mc["transaction"]["paymentMethod"]["creditCardNumber"] = json!("5244209084665514");
    mc["transaction"]["paymentMethod"]["cvv"] = json!("010");
    mc["transaction"]["paymentMethod"]["email"] = json!("Ada@Example.com");
    let (_, v) = app.post("/v1/gateways/charge", mc).await;
    assert_eq!(v["transaction"]["responseCode"], "10000", "{v}");
    let mut p = Portal::signed_in(&app).await;
    let shows = |html: &str, mtid: &str| html.contains(&format!("<td>{mtid}</td>"));
    let check = |html: &str, want: &[&str], not: &[&str]| {
        for m in want {
            assert!(shows(html, m), "{m} expected: {html}");
        }
        for m in not {
            assert!(!shows(html, m), "{m} not expected: {html}");
        }
    };
    let all = ["Find-ABC-1", "find-other", "find-mc"];
    // Part of a merchantTransactionId, in any case.
    let page = p.get("/portal/transactions?q=abc").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    check(&page.text, &["Find-ABC-1"], &["find-other", "find-mc"]);
    // An order id exactly.
    let page = p.get("/portal/transactions?q=order-find-other").await.text;
    check(&page, &["find-other"], &["Find-ABC-1", "find-mc"]);
    // The card's last four, and the payer's email in any case.
    let page = p.get("/portal/transactions?last4=5514").await.text;
    check(&page, &["find-mc"], &["Find-ABC-1", "find-other"]);
    let page = p
        .get("/portal/transactions?email=ada%40example.COM")
        .await
        .text;
    check(&page, &["find-mc"], &["Find-ABC-1", "find-other"]);
    // Amounts, in a currency's decimals.
    let page = p
        .get("/portal/transactions?currency=usd&min=20.00&max=30")
        .await
        .text;
    check(&page, &["find-other"], &["Find-ABC-1", "find-mc"]);
    // Dates.
    let page = p.get("/portal/transactions?from=2000-01-01").await.text;
    check(&page, &all, &[]);
    let page = p.get("/portal/transactions?to=2000-01-01").await.text;
    check(&page, &[], &all);
    // A full card number in the search box is refused and not shown back, nor put in links.
    let page = p.get("/portal/transactions?q=5244+2090+8466+5514").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.text);
    assert!(
        page.text.contains("last four digits instead"),
        "{}",
        page.text
    );
    for shown in ["5244209084665514", "5244 2090 8466 5514", "5244+2090"] {
        assert!(!page.text.contains(shown), "{shown} echoed: {}", page.text);
    }
    // What cannot be read is named, and the form keeps what was typed.
    for (query, field) in [
        ("last4=55a4", "Last four digits"),
        ("min=5", "Currency"),
        ("currency=usd&min=1.234", "Amount from"),
        ("currency=XYZ", "Currency"),
        ("from=yesterday", "Created from"),
    ] {
        let page = p.get(&format!("/portal/transactions?{query}")).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{query}");
        assert!(
            page.text.contains(&format!("role=\"alert\">{field}: ")),
            "{query}: {}",
            page.text
        );
        assert!(page.text.contains("aria-invalid=\"true\""), "{query}");
    }
    let page = p.get("/portal/transactions?last4=55a4").await.text;
    assert!(page.contains("value=\"55a4\""));
}

async fn the_list_pages_both_ways_with_a_count_and_exports_what_it_shows(app: TestApp) {
    for i in 0..53 {
        app.charge(&format!("page-{i:02}"), 1000 + i).await;
    }
    app.charge("+csv-injection", 1000).await;
    app.charge("elsewhere", 1000).await;
    let mut p = Portal::signed_in(&app).await;
    let first = p.get("/portal/transactions?q=page-").await.text;
    assert!(first.contains("53 matching transactions"), "{first}");
    assert!(first.contains("<td>page-52</td>") && first.contains("<td>page-03</td>"));
    assert!(!first.contains("<td>page-02</td>") && !first.contains("elsewhere"));
    assert!(
        !first.contains("rel=\"prev\""),
        "nothing newer on the first page"
    );
    let href = |html: &str, rel: &str| {
        let at = html.find(&format!("rel=\"{rel}\"")).expect(rel);
        let start = html[..at].rfind("href=\"").unwrap() + 6;
        html[start..start + html[start..].find('"').unwrap()].replace("&amp;", "&")
    };
    let older = p.get(&href(&first, "next")).await.text;
    assert!(older.contains("53 matching transactions"));
    for i in 0..3 {
        assert!(older.contains(&format!("<td>page-{i:02}</td>")), "{older}");
    }
    assert!(!older.contains("<td>page-03</td>"));
    let newer = p.get(&href(&older, "prev")).await.text;
    assert!(
        newer.contains("<td>page-03</td>") && newer.contains("<td>page-52</td>"),
        "back to the first page: {newer}"
    );
    assert!(!newer.contains("<td>page-02</td>"));
    // The export is what the filter shows: every match, no other row.
    let csv_link =
        href(&first, "next").replace("/portal/transactions?", "/portal/transactions.csv?");
    let csv_link = csv_link[..csv_link.find("&before=").unwrap()].to_string();
    let page = p.get(&csv_link).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.headers["content-type"].to_str().unwrap(),
        "text/csv; charset=utf-8"
    );
    let lines: Vec<&str> = page.text.lines().collect();
    assert!(lines[0].starts_with("created,transactionId,status,type,amount,currency"));
    assert_eq!(lines.len(), 54, "a header and 53 rows: {}", page.text);
    assert!(
        lines
            .iter()
            .any(|l| l.contains(",page-00,") && l.contains(",10.00,USD,"))
    );
    assert!(!page.text.contains("elsewhere"));
    // A cell a spreadsheet would run is written inert.
    let page = p.get("/portal/transactions.csv?q=csv-injection").await.text;
    assert!(page.contains(",'+csv-injection,"), "{page}");
    assert!(!page.contains(",+csv-injection,"));
}

async fn rescue_orders_are_found_by_text_and_dates_and_page_both_ways(app: TestApp) {
    use crate::flexfactor::ff::{RESCUABLE, evaluate, evaluate_body, token};
    let b = token(&app).await;
    evaluate(&app, &b, evaluate_body("dated-order", RESCUABLE)).await;
    let mut p = Portal::signed_in(&app).await;
    let page = p.get("/portal/orders?q=dated&from=2000-01-01").await.text;
    assert!(
        page.contains("dated-order") && page.contains("1 matching orders."),
        "{page}"
    );
    let page = p.get("/portal/orders?q=dated&to=2000-01-01").await.text;
    assert!(
        !page.contains("<td>dated-order</td>") && page.contains("0 matching orders."),
        "{page}"
    );
    let page = p.get("/portal/orders?from=01/02/2026").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(
        page.text.contains("role=\"alert\">Created from: "),
        "{}",
        page.text
    );
    assert!(
        page.text.contains("value=\"01/02/2026\""),
        "the form keeps what was typed"
    );
    // A later page links back to newer orders, filters kept.
    let page = p.get("/portal/orders?q=dated&page=1").await.text;
    assert!(
        page.contains("rel=\"prev\" href=\"/portal/orders?q=dated&amp;page=0\""),
        "{page}"
    );
}
