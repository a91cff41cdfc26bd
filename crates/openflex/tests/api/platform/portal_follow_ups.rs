//! FlexPay transaction actions in the portal over real HTTP: capture, void and refund offered as
//! the lifecycle rules allow, each only after its confirmation, refusals shown as refusals, and
//! the "Related" list linking a transaction and its follow-ups both ways.

use crate::dual;
use crate::flexpay::lifecycle::follow;
use crate::helpers::*;
use crate::platform::portal::{Page, Portal};
use reqwest::StatusCode;
use serde_json::Value;

dual!(
    flexpay_actions_are_offered_as_the_transaction_state_allows,
    an_unconfirmed_follow_up_changes_nothing,
    a_confirmed_partial_refund_is_related_both_ways,
    an_over_refund_is_refused_and_writes_no_approved_refund,
    an_authorization_is_captured_then_refunded_from_the_portal,
);

fn page_of(id: &str) -> String {
    format!("/portal/transactions/{id}")
}

fn id_of(t: &Value) -> String {
    t["transactionId"].as_str().unwrap().to_string()
}

/// Which of capture, void and refund the page offers.
async fn offered(p: &mut Portal<'_>, id: &str) -> [bool; 3] {
    let page = p.get(&page_of(id)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    ["capture", "void", "refund"].map(|a| {
        page.text
            .contains(&format!("action=\"/portal/transactions/{id}/{a}\""))
    })
}

/// The follow-ups of `original` the API lists, as (type, amount, response code).
async fn follow_ups(app: &TestApp, original: &str) -> Vec<(String, i64, String)> {
    let (status, v) = app.get("/v1/transactions?count=100").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["originalTransactionId"] == original)
        .map(|t| {
            (
                t["transactionType"].as_str().unwrap().to_string(),
                t["amount"].as_i64().unwrap(),
                t["responseCode"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The value of the hidden field `name` of a confirmation page.
fn hidden(page: &Page, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = page
        .text
        .find(&marker)
        .unwrap_or_else(|| panic!("{name}: {}", page.text))
        + marker.len();
    page.text[at..].split('"').next().unwrap().to_string()
}

/// Asks for the action on the transaction's page, then confirms what the confirmation page
/// re-posts; returns the confirmation page and the answer to Confirm.
async fn confirmed(
    p: &mut Portal<'_>,
    id: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> (Page, Page) {
    let post = format!("{}/{action}", page_of(id));
    let ask = p.submit(&page_of(id), &post, fields).await;
    assert_eq!(ask.status, StatusCode::OK, "{}", ask.text);
    let mtid = hidden(&ask, "mtid");
    let csrf = ask.csrf();
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("mtid", mtid.as_str()),
        ("confirm", "yes"),
    ];
    form.extend_from_slice(fields);
    let answer = p.post(&post, &form).await;
    (ask, answer)
}

async fn flexpay_actions_are_offered_as_the_transaction_state_allows(app: TestApp) {
    let mut p = Portal::signed_in(&app).await;
    let auth = id_of(&app.authorize("offers-auth", 2500).await);
    assert_eq!(
        offered(&mut p, &auth).await,
        [true, true, false],
        "authorization"
    );
    let page = p.get(&page_of(&auth)).await.text;
    assert!(
        page.contains("value=\"25.00\""),
        "the capture defaults to all: {page}"
    );
    let declined = id_of(&app.charge("offers-declined", 2008).await);
    assert_eq!(offered(&mut p, &declined).await, [false; 3], "declined");
    assert!(
        p.get(&page_of(&declined))
            .await
            .text
            .contains("No capture, void or refund is possible")
    );
    // Captured: the authorization allows nothing more, its capture a refund (and, unsettled, a
    // void).
    let capture = id_of(&follow(&app, "capture", &auth, "offers-capture", None).await);
    assert_eq!(
        offered(&mut p, &auth).await,
        [false; 3],
        "captured authorization"
    );
    assert_eq!(
        offered(&mut p, &capture).await,
        [false, true, true],
        "capture"
    );
    // A charge partly refunded offers what remains; fully refunded, nothing.
    let charge = id_of(&app.charge("offers-charge", 1999).await);
    assert_eq!(
        offered(&mut p, &charge).await,
        [false, true, true],
        "charge"
    );
    follow(&app, "refund", &charge, "offers-part", Some(999)).await;
    assert_eq!(
        offered(&mut p, &charge).await,
        [false, false, true],
        "partly refunded"
    );
    assert!(
        p.get(&page_of(&charge))
            .await
            .text
            .contains("value=\"10.00\"")
    );
    follow(&app, "refund", &charge, "offers-rest", None).await;
    assert_eq!(offered(&mut p, &charge).await, [false; 3], "fully refunded");
}

async fn an_unconfirmed_follow_up_changes_nothing(app: TestApp) {
    let mut p = Portal::signed_in(&app).await;
    let auth = id_of(&app.authorize("unconfirmed-auth", 2500).await);
    let charge = id_of(&app.charge("unconfirmed-charge", 1999).await);
    for (id, action, fields, says) in [
        (&auth, "capture", vec![("amount", "20.00")], "20.00 USD"),
        (&auth, "void", vec![], "25.00 USD"),
        (
            &charge,
            "refund",
            vec![("amount", "5.00"), ("reason", "damaged")],
            "5.00 USD",
        ),
    ] {
        let page = p
            .submit(&page_of(id), &format!("{}/{action}", page_of(id)), &fields)
            .await;
        assert_eq!(page.status, StatusCode::OK, "{action}: {}", page.text);
        assert!(
            page.text.contains("name=\"confirm\" value=\"yes\""),
            "{action}: {}",
            page.text
        );
        assert!(
            page.text.contains(says) && page.text.contains(id.as_str()),
            "{action}: {}",
            page.text
        );
        assert!(hidden(&page, "mtid").starts_with("portal-"));
    }
    assert!(follow_ups(&app, &auth).await.is_empty());
    assert!(follow_ups(&app, &charge).await.is_empty());
    // Without the session's token nothing runs either.
    let page = p
        .post(
            &format!("{}/refund", page_of(&charge)),
            &[("csrf", "forged"), ("amount", "5.00"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    // An amount that is not one is refused naming the field, before anything is asked.
    let page = p
        .submit(
            &page_of(&charge),
            &format!("{}/refund", page_of(&charge)),
            &[("amount", "lots")],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(
        page.text.contains("role=\"alert\">Refund amount:"),
        "{}",
        page.text
    );
    assert!(follow_ups(&app, &charge).await.is_empty());
}

async fn a_confirmed_partial_refund_is_related_both_ways(app: TestApp) {
    let mut p = Portal::signed_in(&app).await;
    let charge = id_of(&app.charge("related-charge", 1999).await);
    let fields = [("amount", "5.00"), ("reason", "Damaged in transit")];
    let (ask, done) = confirmed(&mut p, &charge, "refund", &fields).await;
    assert!(ask.text.contains("5.00 USD") && ask.text.contains("Damaged in transit"));
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    let to = done.location();
    assert!(to.ends_with("?msg=follow-up-refunded"), "{to}");
    let refund = to
        .trim_start_matches("/portal/transactions/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(
        follow_ups(&app, &charge).await,
        [("Refund".into(), 500, "10000".into())]
    );
    let page = p.get(&to).await.text;
    assert!(
        page.contains("role=\"status\">The refund was approved."),
        "{page}"
    );
    assert!(
        page.contains(&format!(
            "<h2>Related</h2><p>Made of the charge <a href=\"{}\">",
            page_of(&charge)
        )),
        "{page}"
    );
    let original = p.get(&page_of(&charge)).await.text;
    let related = &original[original.find("<h2>Related</h2>").expect("Related")..];
    assert!(
        related.contains(&format!("href=\"{}\"", page_of(&refund))),
        "{related}"
    );
    assert!(
        related.contains("5.00 USD") && related.contains("Damaged in transit"),
        "{related}"
    );
    // The refund form now offers what remains.
    assert!(
        original
            .contains("id=\"refund-amount\" name=\"amount\" inputmode=\"decimal\" value=\"14.99\""),
        "{original}"
    );
    // Confirm pressed twice makes one refund.
    let mtid = hidden(&ask, "mtid");
    let csrf = ask.csrf();
    let again = p
        .post(
            &format!("{}/refund", page_of(&charge)),
            &[
                ("csrf", &csrf),
                ("mtid", &mtid),
                ("amount", "5.00"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(again.location(), page_of(&refund), "{}", again.text);
    assert_eq!(follow_ups(&app, &charge).await.len(), 1);
}

async fn an_over_refund_is_refused_and_writes_no_approved_refund(app: TestApp) {
    let mut p = Portal::signed_in(&app).await;
    let charge = id_of(&app.charge("over-charge", 1000).await);
    let (_, answer) = confirmed(&mut p, &charge, "refund", &[("amount", "10.01")]).await;
    assert_eq!(answer.status, StatusCode::CONFLICT, "{}", answer.text);
    assert!(
        answer
            .text
            .contains("role=\"alert\">The refund was refused: 30015"),
        "{}",
        answer.text
    );
    assert!(
        !answer.text.contains("role=\"status\""),
        "no success: {}",
        answer.text
    );
    let refunds = follow_ups(&app, &charge).await;
    assert!(refunds.iter().all(|r| r.2 != "10000"), "{refunds:?}");
    // Still refundable in full.
    assert!(
        p.get(&page_of(&charge))
            .await
            .text
            .contains("value=\"10.00\"")
    );
}

async fn an_authorization_is_captured_then_refunded_from_the_portal(app: TestApp) {
    let mut p = Portal::signed_in(&app).await;
    let auth = id_of(&app.authorize("flow-auth", 2500).await);
    let (ask, done) = confirmed(&mut p, &auth, "capture", &[("amount", "20.00")]).await;
    assert!(
        ask.text.contains("20.00 USD") && ask.text.contains("flow-auth"),
        "{}",
        ask.text
    );
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    assert!(done.location().ends_with("?msg=follow-up-captured"));
    let capture = done
        .location()
        .trim_start_matches("/portal/transactions/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(
        follow_ups(&app, &auth).await,
        [("Capture".into(), 2000, "10000".into())]
    );
    assert_eq!(offered(&mut p, &capture).await, [false, true, true]);
    let (_, done) = confirmed(&mut p, &capture, "refund", &[("amount", "7.50")]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    let refund = done
        .location()
        .trim_start_matches("/portal/transactions/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(
        follow_ups(&app, &capture).await,
        [("Refund".into(), 750, "10000".into())]
    );
    // The capture links to its authorization and its refund; each of those back to it.
    let page = p.get(&page_of(&capture)).await.text;
    let related = &page[page.find("<h2>Related</h2>").expect("Related")..];
    assert!(
        related.contains(&format!("href=\"{}\"", page_of(&auth))),
        "{related}"
    );
    assert!(
        related.contains(&format!("href=\"{}\"", page_of(&refund))),
        "{related}"
    );
    for other in [&auth, &refund] {
        let page = p.get(&page_of(other)).await.text;
        let related = &page[page.find("<h2>Related</h2>").expect("Related")..];
        assert!(
            related.contains(&format!("href=\"{}\"", page_of(&capture))),
            "{related}"
        );
    }
    // A void of the captured authorization is refused as a refusal, not a success.
    let page = p
        .submit(&page_of(&auth), &format!("{}/void", page_of(&auth)), &[])
        .await;
    assert_eq!(page.status, StatusCode::CONFLICT, "{}", page.text);
    assert!(
        page.text.contains("role=\"alert\">A void is not possible"),
        "{}",
        page.text
    );
}
