use crate::dual;
use crate::helpers::*;
use reqwest::StatusCode;

dual!(
    connectivity_check,
    charge_with_pass_in_card_is_approved_and_stored
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
