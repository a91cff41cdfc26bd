//! Refresh tokens of both OAuth dialects are one use each: a refresh rotates the token, two
//! parallel refreshes of one token let exactly one through, a FlexFactor token presented again
//! revokes its whole family, and a Flexiti refresh needs the client's credentials.

use crate::dual;
use crate::flexfactor::ff::{self, post_json};
use crate::flexiti::fx::{self, V25, assert_error, token_form};
use crate::helpers::*;
use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

dual!(
    flexfactor_refresh_rotates_and_reuse_revokes_the_family,
    flexfactor_parallel_refreshes_of_one_token_let_one_through,
    flexfactor_expired_refresh_rows_are_swept,
    flexiti_refresh_requires_client_credentials,
    flexiti_parallel_refreshes_of_one_token_let_one_through,
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

async fn flexiti_login(app: &TestApp) -> Value {
    let (id, secret) = fx::creds(app);
    let (status, v) = token_form(app, &[("client_id", &id), ("client_secret", &secret)]).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v
}

async fn flexiti_refresh(
    app: &TestApp,
    refresh: &str,
    client: Option<(&str, &str)>,
) -> (StatusCode, Value) {
    let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", refresh)];
    if let Some((id, secret)) = client {
        form.push(("client_id", id));
        form.push(("client_secret", secret));
    }
    token_form(app, &form).await
}

async fn flexiti_refresh_requires_client_credentials(app: TestApp) {
    let (id, secret) = fx::creds(&app);
    let first = flexiti_login(&app).await;
    let refresh = first["refresh_token"].as_str().unwrap();

    // Without credentials: the client-credentials grant's answer, the fields are required.
    let r = flexiti_refresh(&app, refresh, None).await;
    assert_error(&r, StatusCode::CONFLICT, "wrong_inputs");
    let fields: Vec<&Value> = r.1["field_errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["param"])
        .collect();
    assert_eq!(
        fields,
        [&json!("client_id"), &json!("client_secret")],
        "{}",
        r.1
    );
    assert_error(
        &flexiti_refresh(&app, refresh, Some((&id, "wrong"))).await,
        StatusCode::BAD_REQUEST,
        "invalid_client",
    );
    // Refused attempts did not spend the token: its client may still use it.
    let (status, v) = flexiti_refresh(&app, refresh, Some((&id, &secret))).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_ne!(v["refresh_token"], first["refresh_token"]);

    // HTTP Basic is the other way to authenticate the client.
    let second = v["refresh_token"].as_str().unwrap();
    let resp = app
        .client
        .post(app.url(&format!("{V25}/oauth/token")))
        .basic_auth(&id, Some(&secret))
        .header("x-reference-id", "r")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            form_urlencoded::Serializer::new(String::new())
                .extend_pairs([("grant_type", "refresh_token"), ("refresh_token", second)])
                .finish(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
}

async fn flexiti_parallel_refreshes_of_one_token_let_one_through(app: TestApp) {
    let (id, secret) = fx::creds(&app);
    let first = flexiti_login(&app).await;
    let refresh = first["refresh_token"].as_str().unwrap();
    let answers =
        join_all((0..8).map(|_| flexiti_refresh(&app, refresh, Some((&id, &secret))))).await;
    let statuses: Vec<StatusCode> = answers.iter().map(|(s, _)| *s).collect();
    let won = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!(won, 1, "{statuses:?}");
    for lost in answers.iter().filter(|(s, _)| *s != StatusCode::OK) {
        assert_error(lost, StatusCode::BAD_REQUEST, "invalid_grant");
    }
}
