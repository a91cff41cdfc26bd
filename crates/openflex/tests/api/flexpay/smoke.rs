use crate::dual;
use crate::helpers::*;
use reqwest::StatusCode;

dual!(
    connectivity_check,
    charge_with_pass_in_card_is_approved_and_stored,
    soft_declines_get_a_retry_date_and_hard_ones_do_not
);

async fn connectivity_check(app: TestApp) {
    let (status, v) = app.get("/api/test").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        v["message"],
        "Your client successfully connects with FlexPay!"
    );
    let (status, v) = app.get_as("not-a-key", "/api/test").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(v["message"], "Unauthorized");
}

async fn charge_with_pass_in_card_is_approved_and_stored(app: TestApp) {
    let t = app.charge("smoke-1", 1999).await;
    assert_eq!(t["transactionStatus"], 1);
    assert_eq!(t["responseCode"], "10000");
    assert_eq!(t["message"], "Approved.");
    assert_eq!(t["transactionType"], "Charge");
    assert_eq!(t["amount"], 1999);
    assert_eq!(t["paymentMethod"]["storageState"], "Stored");
    assert_eq!(t["paymentMethod"]["creditCardNumber"], "492020******9560");
    let id = t["transactionId"].as_str().unwrap();
    assert_eq!(id.len(), 26);
    let (status, v) = app.get(&format!("/v1/transactions/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["transaction"]["transactionId"], id);
}

fn parse(t: &serde_json::Value) -> time::OffsetDateTime {
    time::OffsetDateTime::parse(
        t.as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap()
}

async fn soft_declines_get_a_retry_date_and_hard_ones_do_not(app: TestApp) {
    let soft = app.charge("soft-1", 2008).await;
    assert_eq!(soft["responseCode"], "20003");
    let (retry, declined) = (parse(&soft["retryDate"]), parse(&soft["transactionDate"]));
    assert!(
        retry > declined && retry <= declined + time::Duration::days(2),
        "do not honor: about a day later"
    );
    assert!(
        soft["referenceData"]
            .as_str()
            .is_some_and(|r| !r.is_empty())
    );
    let why = soft["retryExplanation"].as_str().unwrap_or_default();
    assert!(why.contains("do_not_honor"), "{soft}");

    let funds = app.charge("funds-1", 2012).await;
    assert_eq!(funds["responseCode"], "20023");
    assert_eq!(
        parse(&funds["retryDate"]).hour(),
        6,
        "funds declines retry in the early hours of a pay day"
    );

    for (mtid, amount) in [("hard-1", 3016), ("risk-1", 4018), ("ok-1", 1000)] {
        let t = app.charge(mtid, amount).await;
        assert_eq!(t["retryDate"], serde_json::Value::Null, "{mtid}: {t}");
        if amount != 1000 {
            let why = t["retryExplanation"].as_str().unwrap_or_default();
            assert!(why.contains("not allow"), "says why there is no retry: {t}");
        }
    }
}
