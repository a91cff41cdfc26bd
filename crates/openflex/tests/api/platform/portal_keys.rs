//! API keys on the portal's credentials page over real HTTP: each key's name and the preview of
//! its secret's last four characters, when it was last used (recorded off the payment's path),
//! a revoke confirmation that names the key it kills, and no secret ever shown in full.

use crate::dual;
use crate::flexfactor::ff::token_with;
use crate::helpers::*;
use crate::platform::portal::{Portal, merchant_get};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;

dual!(
    keys_are_listed_by_name_preview_and_last_use,
    the_admin_api_names_a_set_and_refuses_a_bad_name,
);

/// Issues a named set through the portal and returns its FlexPay API key, read from the
/// one-time page.
async fn issue_named(p: &mut Portal<'_>, name: &str) -> String {
    let page = p
        .submit(
            "/portal/credentials",
            "/portal/credentials",
            &[("name", name)],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text);
    let shown = p.get("/portal/credentials/new").await;
    let marker = "API key (HTTP Basic)</dt><dd><code class=\"secret\">";
    let at = shown.text.find(marker).expect("the new API key") + marker.len();
    shown.text[at..].split('<').next().unwrap().to_string()
}

/// The table row of the FlexPay API key named `name`.
fn api_key_row<'t>(page: &'t str, name: &str) -> &'t str {
    page.split("<tr>")
        .find(|r| r.starts_with(&format!("<td>{name}</td><td>flexpay_api_key</td>")))
        .unwrap_or_else(|| panic!("a row for {name}: {page}"))
}

fn last_four(key: &str) -> String {
    format!("…{}", &key[key.len() - 4..])
}

async fn keys_are_listed_by_name_preview_and_last_use(app: TestApp) {
    let mut p = Portal::signed_in(&app).await;
    let checkout = issue_named(&mut p, "  Checkout server ").await;
    let office = issue_named(&mut p, "Back office").await;
    let page = p.get("/portal/credentials").await;
    assert_eq!(page.status, StatusCode::OK);
    for (name, key) in [("Checkout server", &checkout), ("Back office", &office)] {
        let row = api_key_row(&page.text, name);
        assert!(
            row.contains(&format!("<code>{}</code>", last_four(key))),
            "{row}"
        );
        assert!(row.contains("<td>never</td>"), "not used yet: {row}");
        assert!(!page.text.contains(key.as_str()), "no secret in full");
    }
    // The set issued with the merchant has no name: a dash, not an error.
    assert!(
        page.text.contains("<td>—</td><td>flexpay_api_key</td>"),
        "{}",
        page.text
    );

    // A payment with one key: its row shows a time (recorded off the payment's path, so
    // looked for a few times); the other key stays unused.
    let (status, v) = app
        .post_as(
            &checkout,
            "/v1/gateways/charge",
            card_payment("keys-last-used", 1000),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let mut page = p.get("/portal/credentials").await;
    for _ in 0..50 {
        if !api_key_row(&page.text, "Checkout server").contains("<td>never</td>") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        page = p.get("/portal/credentials").await;
    }
    let used = api_key_row(&page.text, "Checkout server");
    assert!(!used.contains("<td>never</td>"), "{used}");
    // In the portal's one format (issue 21), no longer RFC 3339.
    assert!(used.contains(" UTC</time></td>"), "a time: {used}");
    assert!(
        api_key_row(&page.text, "Back office").contains("<td>never</td>"),
        "{}",
        page.text
    );
    let listed = merchant_get(&app, "/credentials").await;
    let with_use: Vec<_> = listed["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| !c["lastUsedAt"].is_null())
        .collect();
    assert_eq!(with_use.len(), 1, "{listed}");
    assert_eq!(with_use[0]["name"], "Checkout server");
    assert_eq!(with_use[0]["preview"], last_four(&checkout).as_str());

    // The revoke confirmation names the key it kills; nothing changes until it is confirmed.
    let id = listed["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "Back office" && c["kind"] == "flexpay_api_key")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let action = format!("/portal/credentials/{id}/revoke");
    let ask = p.submit("/portal/credentials", &action, &[]).await;
    assert_eq!(ask.status, StatusCode::OK, "{}", ask.text);
    assert!(
        ask.text
            .contains("<strong>Back office</strong> (flexpay_api_key, secret <code>")
            && ask.text.contains(&last_four(&office))
            && !ask.text.contains("Checkout server")
            && !ask.text.contains(office.as_str()),
        "{}",
        ask.text
    );
    assert_eq!(app.get_as(&office, "/api/test").await.0, StatusCode::OK);
    let done = p
        .submit("/portal/credentials", &action, &[("confirm", "yes")])
        .await;
    assert_eq!(done.location(), "/portal/credentials?msg=revoked");
    assert_eq!(
        app.get_as(&office, "/api/test").await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.get_as(&checkout, "/api/test").await.0, StatusCode::OK);
}

async fn the_admin_api_names_a_set_and_refuses_a_bad_name(app: TestApp) {
    let path = format!("/admin/merchants/{}/credentials", app.merchant_id);
    let (status, v) = app
        .admin(Method::POST, &path, Some(json!({"name": "Reporting job"})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let key = v["flexpay"]["apiKey"].as_str().unwrap().to_string();
    let listed = merchant_get(&app, "/credentials").await;
    let named: Vec<_> = listed["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["name"] == "Reporting job")
        .collect();
    assert_eq!(named.len(), 7, "the whole set carries the name: {listed}");
    let api = named
        .iter()
        .find(|c| c["kind"] == "flexpay_api_key")
        .unwrap();
    assert_eq!(api["preview"], last_four(&key).as_str());
    assert!(!listed.to_string().contains(&key), "no secret in full");
    let before = listed["credentials"].as_array().unwrap().len();
    for bad in [json!("x".repeat(101)), json!("two\nlines")] {
        let (status, v) = app
            .admin(Method::POST, &path, Some(json!({ "name": bad })))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
        assert!(v.to_string().contains("name"), "names the field: {v}");
    }
    let after = merchant_get(&app, "/credentials").await;
    assert_eq!(after["credentials"].as_array().unwrap().len(), before);

    // A FlexFactor token exchange counts as a use of the AppKey/AppSecret credential.
    token_with(&app, &v["flexfactor"]).await;
    let mut used = Vec::new();
    for _ in 0..50 {
        let listed = merchant_get(&app, "/credentials").await;
        used = listed["credentials"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["name"] == "Reporting job" && !c["lastUsedAt"].is_null())
            .map(|c| c["kind"].as_str().unwrap().to_string())
            .collect();
        if !used.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(used, ["flexfactor_app"]);
}
