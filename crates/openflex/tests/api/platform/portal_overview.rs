//! The overview's period over HTTP: a preset or picked dates, each figure compared with the
//! period of the same length before it (on the test clock, so the days are known), charts whose
//! axes name their unit and UTC days, and a refused period named beside the picker.

use crate::dual;
use crate::helpers::*;
use crate::platform::portal::Portal;
use reqwest::StatusCode;

dual!(the_overview_compares_a_picked_period_with_the_one_before);

/// The `YYYY-MM-DD` that follows `marker` in `page`.
fn date_after(page: &str, marker: &str) -> String {
    let at = page
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in {page}"))
        + marker.len();
    page[at..at + 10].to_string()
}

/// The volume card: from its title to the next card's.
fn volume_card(page: &str) -> &str {
    let card = &page[page.find("Approved volume").expect("the volume card")..];
    &card[..card.find("Approval rate").expect("the rate card")]
}

async fn the_overview_compares_a_picked_period_with_the_one_before(app: TestApp) {
    app.charge("period-old", 1000).await;
    app.advance_clock(&app.merchant_id, 7 * 86_400).await;
    app.charge("period-new", 1500).await;
    let mut p = Portal::signed_in(&app).await;

    // The last 7 days hold the new charge; the 7 days before them the old one.
    let page = p.get("/portal/?days=7").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let text = &page.text;
    let card = volume_card(text);
    for want in [
        "$15.00 USD",
        "up 50.0% on the previous period",
        "($10.00 USD)",
    ] {
        assert!(card.contains(want), "{want} in {card}");
    }
    for want in [
        "Approved volume per day, USD",
        "USD per day",
        "% of attempts approved",
        "attempts per day",
        "day (UTC)",
        "previous period, day for day",
        "<polyline",
        "$15.00 USD in all against $10.00 USD in the previous period: up 50.0% on the previous period.",
        "Recovery of declined payments, last 7 days",
        r#"href="/portal/?days=7" aria-current="true""#,
        "From (UTC)",
        "To (UTC)",
    ] {
        assert!(text.contains(want), "{want} in {text}");
    }
    let today = date_after(text, r#"id="to" name="to" type="date" value=""#);
    let first = date_after(text, r#"id="from" name="from" type="date" value=""#);
    assert!(first < today, "{first} .. {today}");
    assert!(
        text.contains("previous 7 days ("),
        "the previous period is named: {text}"
    );

    // The default is the last 30 days, both charges in it and nothing before.
    let page = p.get("/portal/").await;
    assert_eq!(page.status, StatusCode::OK);
    let card = volume_card(&page.text);
    assert!(
        card.contains("$25.00 USD") && card.contains("none in the previous period"),
        "{card}"
    );
    assert!(
        page.text
            .contains("Recovery of declined payments, last 30 days")
    );

    // A picked day: today alone, against yesterday.
    let page = p.get(&format!("/portal/?from={today}&to={today}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let card = volume_card(&page.text);
    assert!(
        card.contains("$15.00 USD") && !card.contains("$25.00"),
        "{card}"
    );
    assert!(
        page.text.contains(&format!(
            "Recovery of declined payments, {today} to {today}"
        )),
        "{}",
        page.text
    );

    // Refused periods are named beside the picker, the default period shown, the typed kept.
    for (query, field) in [
        ("?days=8".to_string(), "days: choose 7, 30 or 90."),
        (
            "?from=2026-02-30&to=2026-03-01".to_string(),
            "from: enter a date as YYYY-MM-DD.",
        ),
        (format!("?from={today}"), "to: enter the last day"),
        (
            format!("?from={today}&to={first}"),
            "to: the last day comes before the first.",
        ),
        (
            format!("?from={first}&to=2999-01-01"),
            "to: the period cannot end after today",
        ),
    ] {
        let page = p.get(&format!("/portal/{query}")).await;
        assert_eq!(
            page.status,
            StatusCode::BAD_REQUEST,
            "{query}: {}",
            page.text
        );
        assert!(
            page.text
                .contains(&format!("That period cannot be shown: {field}")),
            "{query}: {}",
            page.text
        );
        assert!(page.text.contains("Approved volume"), "{}", page.text);
    }
    let page = p.get("/portal/?from=2026-02-30&to=2026-03-01").await;
    assert!(page.text.contains(r#"value="2026-02-30""#), "{}", page.text);
}
