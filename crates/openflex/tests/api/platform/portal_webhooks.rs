//! The portal's webhooks page as a merchant uses it against real receivers: which endpoint each
//! delivery went to, the log filtered by endpoint and status and paged both ways, a failing
//! endpoint flagged with its next automatic attempt, each attempt's cause in words, event types
//! ticked instead of typed, and the signing secret revealed by a POST only and rolled after a
//! confirmation — deliveries then verify with the new key and no longer with the old.

use crate::dual;
use crate::helpers::*;
use crate::platform::portal::{Portal, merchant_get};
use crate::receiver::Receiver;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

dual!(
    deliveries_name_their_endpoint_and_filter_by_endpoint_and_status,
    each_attempt_says_what_started_it,
    the_delivery_log_pages_both_ways_with_its_filters_kept,
    event_types_are_ticked_not_typed,
    the_signing_secret_is_shown_only_to_a_post_and_rolled_after_confirming,
);

fn webhook_key(app: &TestApp) -> String {
    let text = std::fs::read_to_string(app.data_dir.join("sandbox-credentials.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["flexfactor"]["webhookKey"].as_str().unwrap().to_string()
}

/// Runs what is due now and waits until `receiver` has had `n` requests.
async fn settle(app: &TestApp, receiver: &Receiver, n: usize) {
    app.advance_clock(&app.merchant_id, 0).await;
    for _ in 0..200 {
        if receiver.received().len() >= n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!(
        "expected {n} webhook requests, got {}",
        receiver.received().len()
    );
}

/// Waits until the delivery's log shows `attempts` attempts (the request reached the receiver
/// a moment before the attempt was written).
async fn logged(p: &mut Portal<'_>, delivery: &str, attempts: usize) -> String {
    for _ in 0..200 {
        let page = p.get("/portal/webhooks").await.text;
        if let Some(item) = delivery_item(&page, delivery)
            && item.matches("<tr><td><time").count() >= attempts
        {
            return item.to_string();
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("delivery {delivery} never showed {attempts} attempt(s)");
}

/// The `<li>` of the delivery log holding delivery `id` (found by its redeliver form).
fn delivery_item<'a>(html: &'a str, id: &str) -> Option<&'a str> {
    let at = html.find(&format!("/portal/webhooks/deliveries/{id}/redeliver"))?;
    let start = html[..at].rfind("<li>")?;
    let end = at + html[at..].find("</li>")?;
    Some(&html[start..end])
}

/// The text of the first `<code class="secret">` of a page.
fn shown_secret(html: &str) -> String {
    let at = html
        .find("<code class=\"secret\">")
        .expect("a secret shown")
        + 21;
    html[at..at + html[at..].find("</code>").unwrap()].to_string()
}

async fn deliveries_name_their_endpoint_and_filter_by_endpoint_and_status(app: TestApp) {
    let good = Receiver::start(&[]).await;
    let bad = Receiver::start(&[]).await;
    bad.fail_always(500);
    let ep_good = app.add_webhook(&good.url).await;
    let ep_bad = app.add_webhook(&bad.url).await;
    let d_good = app.send_test_webhook(&ep_good).await;
    let d_bad = app.send_test_webhook(&ep_bad).await;
    settle(&app, &good, 1).await;
    settle(&app, &bad, 1).await;
    let mut p = Portal::signed_in(&app).await;
    logged(&mut p, &d_good, 1).await;
    logged(&mut p, &d_bad, 1).await;

    let page = p.get("/portal/webhooks").await.text;
    let item = delivery_item(&page, &d_good).unwrap();
    assert!(
        item.contains(&good.url),
        "the delivery names its endpoint: {item}"
    );
    assert!(item.contains("Succeeded"), "{item}");
    let item = delivery_item(&page, &d_bad).unwrap();
    assert!(item.contains(&bad.url), "{item}");
    assert!(item.contains("Pending"), "retrying: {item}");
    assert!(page.contains("2 matching deliveries."), "{page}");

    // The failing endpoint is flagged, with what it met and the next automatic attempt.
    let row = endpoint_row(&page, &bad.url);
    assert!(row.contains("Failing"), "{row}");
    assert!(row.contains("HTTP 500"), "{row}");
    assert!(row.contains("Next automatic attempt <time"), "{row}");
    let row = endpoint_row(&page, &good.url);
    assert!(row.contains("Enabled") && !row.contains("Failing"), "{row}");
    // Filters: by endpoint, by status, and both; the form keeps what was chosen.
    let page = p
        .get(&format!("/portal/webhooks?endpoint={ep_bad}"))
        .await
        .text;
    assert!(delivery_item(&page, &d_bad).is_some() && delivery_item(&page, &d_good).is_none());
    assert!(page.contains("1 matching delivery."), "{page}");
    assert!(
        page.contains(&format!("<option value=\"{ep_bad}\" selected>")),
        "{page}"
    );
    let page = p.get("/portal/webhooks?state=delivered").await.text;
    assert!(delivery_item(&page, &d_good).is_some() && delivery_item(&page, &d_bad).is_none());
    let page = p.get("/portal/webhooks?state=pending").await.text;
    assert!(delivery_item(&page, &d_bad).is_some() && delivery_item(&page, &d_good).is_none());
    let page = p.get("/portal/webhooks?state=failed").await.text;
    assert!(page.contains("0 matching deliveries."), "{page}");
    let page = p
        .get(&format!(
            "/portal/webhooks?endpoint={ep_good}&state=pending"
        ))
        .await
        .text;
    assert!(page.contains("0 matching deliveries."), "{page}");

    // A disabled endpoint says so.
    let (status, v) = app
        .admin(
            Method::PUT,
            &format!("/admin/merchants/{}/webhooks/{ep_bad}", app.merchant_id),
            Some(json!({"enabled": false})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let page = p.get("/portal/webhooks").await.text;
    let row = endpoint_row(&page, &bad.url);
    assert!(
        row.contains("Disabled") && !row.contains("Failing"),
        "{row}"
    );

    // A delivered event queued again by hand is pending, but says nothing against its endpoint.
    let page = p
        .submit(
            "/portal/webhooks",
            &format!("/portal/webhooks/deliveries/{d_good}/redeliver"),
            &[],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text);
    let page = p.get("/portal/webhooks").await.text;
    let row = endpoint_row(&page, &good.url);
    assert!(row.contains("Enabled") && !row.contains("Failing"), "{row}");
}

/// The endpoint table's row for `url`.
fn endpoint_row<'a>(html: &'a str, url: &str) -> &'a str {
    let table = &html[..html.find("Add endpoint").expect("the add form")];
    let at = table
        .find(&format!("<code class=\"url\">{url}</code>"))
        .unwrap_or_else(|| panic!("{url} in {table}"));
    let end = at + table[at..].find("</tr>").unwrap();
    &table[at..end]
}

async fn each_attempt_says_what_started_it(app: TestApp) {
    let receiver = Receiver::start(&[500]).await;
    let ep = app.add_webhook(&receiver.url).await;
    let delivery = app.send_test_webhook(&ep).await;
    settle(&app, &receiver, 1).await;
    // The scheduler's retry after the backoff, then a redelivery asked for in the portal.
    app.advance_clock(&app.merchant_id, 40).await;
    settle(&app, &receiver, 2).await;
    let mut p = Portal::signed_in(&app).await;
    logged(&mut p, &delivery, 2).await;
    let page = p
        .submit(
            "/portal/webhooks",
            &format!("/portal/webhooks/deliveries/{delivery}/redeliver"),
            &[],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text);
    settle(&app, &receiver, 3).await;
    let item = logged(&mut p, &delivery, 3).await;
    let causes: Vec<usize> = ["First attempt", "Automatic retry", "Manual redelivery"]
        .iter()
        .map(|c| item.find(c).unwrap_or_else(|| panic!("{c} in {item}")))
        .collect();
    assert!(causes.windows(2).all(|w| w[0] < w[1]), "in order: {item}");
    // Attempts within a minute of each other are told apart to the second.
    let times = item.matches(" UTC</time>").count();
    let exact = item
        .split("<tr><td><time datetime=\"")
        .skip(1)
        .filter(|cell| {
            let text = &cell[cell.find("\">").unwrap() + 2..cell.find(" UTC</time>").unwrap()];
            text.len() == "2026-01-01 00:00:00".len()
        })
        .count();
    assert_eq!(exact, 3, "every attempt to the second: {item}");
    assert!(times >= 4, "the delivery's own time too: {item}");
}

async fn the_delivery_log_pages_both_ways_with_its_filters_kept(app: TestApp) {
    let receiver = Receiver::start(&[]).await;
    let ep = app.add_webhook(&receiver.url).await;
    let other = app.add_webhook(&receiver.url).await;
    let mut sent = Vec::new();
    for _ in 0..30 {
        sent.push(app.send_test_webhook(&ep).await);
    }
    let stray = app.send_test_webhook(&other).await;
    let mut p = Portal::signed_in(&app).await;
    let first = p.get(&format!("/portal/webhooks?endpoint={ep}")).await.text;
    assert!(first.contains("30 matching deliveries."), "{first}");
    assert!(delivery_item(&first, &stray).is_none());
    assert!(delivery_item(&first, &sent[29]).is_some(), "newest first");
    assert!(delivery_item(&first, &sent[4]).is_none(), "25 a page");
    assert!(!first.contains("rel=\"prev\""), "nothing newer: {first}");
    let older = link(&first, "next");
    assert!(older.contains(&format!("endpoint={ep}")), "{older}");
    let second = p.get(&older).await.text;
    for d in &sent[..5] {
        assert!(delivery_item(&second, d).is_some(), "{d} on the older page");
    }
    assert!(delivery_item(&second, &sent[5]).is_none());
    assert!(!second.contains("rel=\"next\""), "nothing older: {second}");
    let newer = link(&second, "prev");
    assert!(newer.contains(&format!("endpoint={ep}")), "{newer}");
    let back = p.get(&newer).await.text;
    assert!(delivery_item(&back, &sent[5]).is_some() && delivery_item(&back, &sent[29]).is_some());
    assert!(delivery_item(&back, &sent[4]).is_none(), "{back}");
}

/// The `href` of the pager's `rel` link, unescaped.
fn link(html: &str, rel: &str) -> String {
    let at = html
        .find(&format!("rel=\"{rel}\""))
        .unwrap_or_else(|| panic!("a {rel} link in {html}"));
    let tag = &html[html[..at].rfind("<a ").unwrap()..at];
    let href = &tag[tag.find("href=\"").unwrap() + 6..];
    href[..href.find('"').unwrap()].replace("&amp;", "&")
}

async fn event_types_are_ticked_not_typed(app: TestApp) {
    let receiver = Receiver::start(&[]).await;
    let mut p = Portal::signed_in(&app).await;
    let page = p.get("/portal/webhooks").await.text;
    assert!(
        page.contains("name=\"event:order.completed\" type=\"checkbox\""),
        "{page}"
    );
    assert!(page.contains("<legend>FlexFactor events to send"), "{page}");
    assert!(!page.contains("name=\"events\""), "no free-text field");
    let page = p
        .submit(
            "/portal/webhooks",
            "/portal/webhooks",
            &[
                ("url", &receiver.url),
                ("event:order.completed", "1"),
                ("event:order.refunded", "1"),
                ("event:no.such.event", "1"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text);
    let page = p
        .submit(
            "/portal/webhooks",
            "/portal/webhooks",
            &[("url", &receiver.url)],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text);
    let eps = merchant_get(&app, "/webhooks").await;
    let events: Vec<Value> = eps["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["events"].clone())
        .collect();
    assert_eq!(
        events,
        [json!(["order.completed", "order.refunded"]), json!([])],
        "{eps}"
    );
}

async fn the_signing_secret_is_shown_only_to_a_post_and_rolled_after_confirming(app: TestApp) {
    let old = webhook_key(&app);
    let mut p = Portal::signed_in(&app).await;
    let page = p.get("/portal/webhooks").await.text;
    assert!(!page.contains(&old), "never in a GET-rendered page");
    let tail: String = old
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    assert!(
        page.contains(&tail),
        "the key's last four identify it: {page}"
    );

    // Revealed by a POST with the session's token only.
    let page = p.post("/portal/webhooks/secret", &[]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(!page.text.contains(&old));
    let page = p
        .submit("/portal/webhooks", "/portal/webhooks/secret", &[])
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert_eq!(shown_secret(&page.text), old);
    assert_eq!(
        page.headers.get("cache-control").unwrap().to_str().unwrap(),
        "no-store"
    );

    // Rolling asks first and changes nothing until confirmed.
    let page = p
        .submit("/portal/webhooks", "/portal/webhooks/secret/roll", &[])
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(
        page.text.contains("Roll the signing secret?"),
        "{}",
        page.text
    );
    assert!(page.text.contains(&tail) && !page.text.contains(&old));
    let page = p
        .submit("/portal/webhooks", "/portal/webhooks/secret", &[])
        .await;
    assert_eq!(
        shown_secret(&page.text),
        old,
        "not rolled without confirming"
    );
    let page = p
        .submit(
            "/portal/webhooks",
            "/portal/webhooks/secret/roll",
            &[("confirm", "yes")],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let new = shown_secret(&page.text);
    assert_ne!(new, old);
    assert!(!p.get("/portal/webhooks").await.text.contains(&new));

    // Deliveries from now on verify with the new key, not the old one.
    let receiver = Receiver::start(&[]).await;
    let ep = app.add_webhook(&receiver.url).await;
    app.send_test_webhook(&ep).await;
    settle(&app, &receiver, 1).await;
    let got = &receiver.received()[0];
    got.assert_signed_with(&new);
    let with_old = openflex_vault::webhook::sign(
        &old,
        &got.body,
        &got.header("host"),
        &got.header("x-fc-nonce"),
        &got.header("x-fc-date"),
    );
    assert_ne!(got.header("x-fc-signature"), with_old.signature);

    // The old key is revoked, the new one listed in its place.
    let creds = merchant_get(&app, "/credentials").await;
    let webhook: Vec<&Value> = creds["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "flexfactor_webhook" && c["mode"] == "sandbox")
        .collect();
    assert_eq!(webhook.len(), 2, "{creds}");
    assert_eq!(webhook[0]["revoked"], true, "{creds}");
    assert_eq!(webhook[1]["revoked"], false, "{creds}");
}
