//! FlexFactor refresh tokens are one use each: a refresh rotates the token, two parallel
//! refreshes of one token let exactly one through, and a spent token presented again revokes
//! its whole family.

use crate::dual;
use crate::ff::{self, post_json};
use crate::helpers::*;
use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

dual!(
    flexfactor_refresh_rotates_and_reuse_revokes_the_family,
    flexfactor_parallel_refreshes_of_one_token_let_one_through,
    flexfactor_expired_refresh_rows_are_swept,
);

/// A fresh FlexFactor token pair from the sandbox merchant's AppKey/AppSecret.
async fn ff_login(app: &TestApp) -> Value {
    let c = ff::creds(app);
    let (status, v) = post_json(
        app,
        "/v1/oauth2/token",
        None,
        json!({"AppKey": c["appKey"], "AppSecret": c["appSecret"]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v
}

async fn ff_refresh(app: &TestApp, refresh: &str) -> (StatusCode, Value) {
    post_json(
        app,
        "/v1/oauth2/token",
        None,
        json!({"refreshToken": refresh}),
    )
    .await
}

fn refused(got: &(StatusCode, Value)) {
    assert_eq!(got.0, StatusCode::BAD_REQUEST, "{}", got.1);
    assert_eq!(got.1["errorCode"], "400001", "{}", got.1);
}

fn refresh_of(v: &Value) -> String {
    v["refreshToken"].as_str().unwrap().to_string()
}

async fn flexfactor_refresh_rotates_and_reuse_revokes_the_family(app: TestApp) {
    let first = refresh_of(&ff_login(&app).await);
    let (status, v) = ff_refresh(&app, &first).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let second = refresh_of(&v);
    assert_ne!(second, first, "a refresh rotates the refresh token");
    let (status, v) = ff_refresh(&app, &second).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let third = refresh_of(&v);

    // The spent first token again: refused, and the family is revoked, so the live third one
    // (the one a thief or the rightful client holds) no longer works either.
    refused(&ff_refresh(&app, &first).await);
    refused(&ff_refresh(&app, &third).await);
    refused(&ff_refresh(&app, &second).await);

    // Another login is another family, untouched by the revocation.
    let other = refresh_of(&ff_login(&app).await);
    let (status, v) = ff_refresh(&app, &other).await;
    assert_eq!(status, StatusCode::OK, "{v}");
}

async fn flexfactor_parallel_refreshes_of_one_token_let_one_through(app: TestApp) {
    let refresh = refresh_of(&ff_login(&app).await);
    let answers = join_all((0..8).map(|_| ff_refresh(&app, &refresh))).await;
    let won: Vec<&Value> = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::OK)
        .map(|(_, v)| v)
        .collect();
    let statuses: Vec<StatusCode> = answers.iter().map(|(s, _)| *s).collect();
    assert_eq!(won.len(), 1, "{statuses:?}");
    for lost in answers.iter().filter(|(s, _)| *s != StatusCode::OK) {
        refused(lost);
    }
    // The losers presented a spent token: the winner's new token went with the family.
    refused(&ff_refresh(&app, &refresh_of(won[0])).await);
}

async fn flexfactor_expired_refresh_rows_are_swept(app: TestApp) {
    let refresh = refresh_of(&ff_login(&app).await);
    let now_us = (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1000) as i64;
    let store = app.engine.store();
    assert_eq!(
        store
            .delete_expired_ff_refresh_families(now_us)
            .await
            .unwrap(),
        0,
        "a live family stays"
    );
    let day_after = now_us + 25 * 3600 * 1_000_000;
    assert!(
        store
            .delete_expired_ff_refresh_families(day_after)
            .await
            .unwrap()
            >= 1
    );
    // Without its row a token cannot be refreshed, even with a valid signature.
    refused(&ff_refresh(&app, &refresh).await);
}
