//! The hosted widget's page (docs/flexiti.md "Widget (W1)") driven as a browser without
//! JavaScript would: GETs, form POSTs and 303s. The merchant's side of each outcome is read
//! back through the API.

use super::fx::*;
use crate::dual;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

dual!(
    a_shopper_signs_in_and_buys_on_a_plan,
    a_shopper_applies_and_is_approved_or_declined,
    the_page_refuses_what_is_not_its_session,
    wrong_codes_lock_the_session,
);

/// A browser on the page: no redirects followed, forms posted from the page's own origin.
struct Shopper<'a> {
    app: &'a TestApp,
    client: reqwest::Client,
    /// The page's path and query, as `redirection_url` gave them.
    page: String,
}

struct Answer {
    status: StatusCode,
    location: String,
    text: String,
}

impl Answer {
    /// The CSRF token of the page's forms.
    fn csrf(&self) -> String {
        let at = self.text.find("name=\"csrf\" value=\"").expect("a form") + 19;
        self.text[at..at + self.text[at..].find('"').unwrap()].to_string()
    }
}

impl<'a> Shopper<'a> {
    fn at(app: &'a TestApp, redirection_url: &str) -> Self {
        let at = redirection_url
            .find("/flexiti/widget/")
            .expect("a page path");
        Self {
            app,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            page: redirection_url[at..].to_string(),
        }
    }

    async fn answer(resp: reqwest::Response) -> Answer {
        let status = resp.status();
        let location = resp
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        Answer {
            status,
            location,
            text: resp.text().await.unwrap(),
        }
    }

    async fn get(&self, path: &str) -> Answer {
        Self::answer(self.client.get(self.app.url(path)).send().await.unwrap()).await
    }

    async fn open(&self) -> Answer {
        self.get(&self.page).await
    }

    async fn post_from(&self, origin: &str, form: &[(&str, &str)]) -> Answer {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let resp = self
            .client
            .post(self.app.url(&self.page))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", origin)
            .body(body)
            .send()
            .await
            .unwrap();
        Self::answer(resp).await
    }

    /// Posts `form` with the page's current CSRF token.
    async fn post(&self, form: &[(&str, &str)]) -> Answer {
        let csrf = self.open().await.csrf();
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(form);
        self.post_from(self.app.base.trim_end_matches('/'), &all)
            .await
    }
}

async fn init(fx: &Fx<'_>, body: Value) -> (String, String) {
    let (s, w) = fx.post("/widget/init", body).await;
    assert_eq!(s, StatusCode::OK, "{w}");
    (
        w["redirection_url"].as_str().unwrap().to_string(),
        w["widget_session_id"].as_str().unwrap().to_string(),
    )
}

const SHOP: &str = "https://shop.example/checkout/done?order=42";

async fn a_shopper_signs_in_and_buys_on_a_plan(app: TestApp) {
    let fx = Fx::merchant(&app).await;
    let (url, sid) = init(
        &fx,
        json!({"flow": "purchase", "lang": "en", "amount": "500.00", "return_url": SHOP,
            "reference": "order-42", "customer_identification": {"account_number": JANE}}),
    )
    .await;
    assert!(
        url.contains("/flexiti/widget/") && !url.contains('#'),
        "{url}"
    );
    let shopper = Shopper::at(&app, &url);
    // The page, in English and (by `lang`) in French, served with its protections.
    let resp = app.client.get(app.url(&shopper.page)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let h = resp.headers();
    assert!(h["content-type"].to_str().unwrap().starts_with("text/html"));
    assert_eq!(h["referrer-policy"], "same-origin");
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    let text = resp.text().await.unwrap();
    assert!(
        text.contains("<html lang=\"en\"") && text.contains("Send me a code"),
        "{text}"
    );
    assert!(!text.contains("<script"), "the page needs no script");
    let fr = shopper
        .get(&shopper.page.replace("lang=en", "lang=fr"))
        .await;
    assert_eq!(fr.status, StatusCode::OK);
    assert!(
        fr.text.contains("<html lang=\"fr\"") && fr.text.contains("Numéro de compte"),
        "{}",
        fr.text
    );
    // Sign in: the code goes to the account's phone; a wrong one is refused, 2222 works.
    let sent = shopper
        .post(&[("action", "send_code"), ("account_number", JANE)])
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.text);
    assert!(sent.text.contains("name=\"code\""));
    let wrong = shopper
        .post(&[
            ("action", "sign_in"),
            ("account_number", JANE),
            ("code", "1111"),
        ])
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.text.contains("role=\"alert\""), "{}", wrong.text);
    // Only the account widget/init named may sign in.
    let other = shopper
        .post(&[("action", "send_code"), ("account_number", JEAN)])
        .await;
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY);
    let ok = shopper
        .post(&[
            ("action", "sign_in"),
            ("account_number", JANE),
            ("code", "2222"),
        ])
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text);
    assert!(
        ok.location.starts_with("/flexiti/widget/"),
        "{}",
        ok.location
    );
    // The plans and monthly payments are calculate-interest's for the cart amount.
    let plans = shopper.open().await;
    assert_eq!(plans.status, StatusCode::OK);
    let (s, calc) = fx
        .post(
            &format!("/accounts/{JANE}/calculate-interest"),
            json!({"amount": "500.00"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{calc}");
    let promos = calc["promotional_purchase"].as_array().unwrap();
    assert!(!promos.is_empty());
    for p in promos {
        for t in p["terms"].as_array().unwrap() {
            let payment = format!("data-payment=\"{:.2}\"", t["term_amount"].as_f64().unwrap());
            assert!(plans.text.contains(&payment), "{payment} missing");
        }
    }
    let regular = format!(
        "data-payment=\"{:.2}\"",
        calc["regular_purchase"]["term_amount"].as_f64().unwrap()
    );
    assert!(plans.text.contains(&regular), "{regular} missing");
    // The terms must be accepted.
    let plan_id = promos[0]["plan_id"].as_i64().unwrap();
    let term = promos[0]["terms"][0]["term"].as_i64().unwrap();
    let choice = format!("{plan_id}:{term}");
    let refused = shopper
        .post(&[("action", "accept"), ("plan", &choice)])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    // A form from another site is refused, whatever it carries.
    let csrf = shopper.open().await.csrf();
    let forged = shopper
        .post_from(
            "https://evil.example",
            &[
                ("csrf", &csrf),
                ("action", "accept"),
                ("plan", &choice),
                ("accept_terms", "yes"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let no_csrf = shopper
        .post_from(
            app.base.trim_end_matches('/'),
            &[("csrf", "x"), ("action", "cancel")],
        )
        .await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);
    // Accepted: back to the merchant with the outcome.
    let done = shopper
        .post(&[
            ("action", "accept"),
            ("plan", &choice),
            ("accept_terms", "yes"),
        ])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    let back = reqwest::Url::parse(&done.location).unwrap();
    assert!(
        done.location.starts_with(&format!("{SHOP}&")),
        "{}",
        done.location
    );
    let q: std::collections::HashMap<_, _> = back.query_pairs().into_owned().collect();
    assert_eq!(q["status"], "approved");
    assert_eq!(q["widget_session_id"], sid);
    assert_eq!(q["reference"], "order-42");
    assert_eq!(q["order"], "42");
    // The merchant's server reads the purchase through the API.
    let (s, a) = fx
        .get(&format!("/authorization/{}", q["authorization_id"]))
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    assert_eq!(a["account_number"], JANE);
    assert_eq!(a["plan_id"], plan_id);
    assert_eq!(a["reference"], "order-42");
    // The session is over: the page says so and takes no more actions.
    let again = shopper.open().await;
    assert_eq!(again.status, StatusCode::GONE);
    assert!(again.text.contains(SHOP.split('?').next().unwrap()));
}

fn applicant(last: &str) -> Value {
    json!({"flow": "apply", "lang": "en", "amount": "300.00", "return_url": SHOP,
        "tos_agreement": true, "email": "ann@example.com", "phone_number": "4165550100",
        "address_1": "1 King St W", "city": "Toronto", "province": "ON",
        "customer_identification": {"personal_information": {"first_name": "Ann",
            "last_name": last, "dob": "1990-04-05", "postal_code": "M5H1A1"}}})
}

/// The application form as the shopper completes it.
fn form<'f>(last: &'f str, email: &'f str) -> Vec<(&'f str, &'f str)> {
    vec![
        ("action", "apply"),
        ("first_name", "Ann"),
        ("last_name", last),
        ("dob", "1990-04-05"),
        ("email", email),
        ("phone_number", "4165550100"),
        ("address_1", "1 King St W"),
        ("city", "Toronto"),
        ("province", "ON"),
        ("postal_code", "M5H 1A1"),
        ("annual_income", "80000"),
        ("tos_agreement", "yes"),
    ]
}

async fn a_shopper_applies_and_is_approved_or_declined(app: TestApp) {
    let fx = Fx::merchant(&app).await;
    let (url, _) = init(&fx, applicant("Lane")).await;
    let shopper = Shopper::at(&app, &url);
    let page = shopper.open().await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("value=\"Ann\"") && page.text.contains("value=\"M5H1A1\""));
    // apply's rules and field errors.
    let bad = shopper.post(&form("Lane", "not-an-email")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.contains("aria-invalid=\"true\""), "{}", bad.text);
    // The widget session's applicant only.
    let other = shopper.post(&form("Other", "ann@example.com")).await;
    assert_eq!(
        other.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        other.text
    );
    let approved = shopper.post(&form("Lane", "ann@example.com")).await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER, "{}", approved.text);
    let plans = shopper.open().await;
    assert!(plans.text.contains("value=\"regular\""), "{}", plans.text);
    let done = shopper
        .post(&[
            ("action", "accept"),
            ("plan", "regular"),
            ("accept_terms", "yes"),
        ])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    let back = reqwest::Url::parse(&done.location).unwrap();
    let q: std::collections::HashMap<_, _> = back.query_pairs().into_owned().collect();
    assert_eq!(q["status"], "approved");
    assert!(!q["application_id"].is_empty());
    let (s, a) = fx
        .get(&format!("/authorization/{}", q["authorization_id"]))
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    let (s, found) = fx
        .get("/customers/search?first_name=Ann&last_name=Lane&dob=1990-04-05")
        .await;
    assert_eq!(s, StatusCode::OK, "{found}");
    assert_eq!(found[0]["account_number"], a["account_number"]);
    // A declined application ends the session with that outcome.
    let (url, sid) = init(&fx, applicant("Decline")).await;
    let shopper = Shopper::at(&app, &url);
    let declined = shopper.post(&form("Decline", "ann@example.com")).await;
    assert_eq!(declined.status, StatusCode::SEE_OTHER, "{}", declined.text);
    assert!(
        declined
            .location
            .ends_with(&format!("&status=declined&widget_session_id={sid}")),
        "{}",
        declined.location
    );
    // So does one sent for review, with the application's id.
    let (url, _) = init(&fx, applicant("Pending")).await;
    let pending = Shopper::at(&app, &url)
        .post(&form("Pending", "ann@example.com"))
        .await;
    assert_eq!(pending.status, StatusCode::SEE_OTHER, "{}", pending.text);
    let back = reqwest::Url::parse(&pending.location).unwrap();
    let q: std::collections::HashMap<_, _> = back.query_pairs().into_owned().collect();
    assert_eq!(q["status"], "pending");
    assert!(!q["application_id"].is_empty() && !q.contains_key("authorization_id"));
}

async fn the_page_refuses_what_is_not_its_session(app: TestApp) {
    let fx = Fx::merchant(&app).await;
    let (url, sid) = init(
        &fx,
        json!({"flow": "purchase", "amount": "50.00", "customer_identification": {"account_number": JANE}}),
    )
    .await;
    let shopper = Shopper::at(&app, &url);
    let (_, other_sid) = init(
        &fx,
        json!({"flow": "purchase", "customer_identification": {"account_number": SAM}}),
    )
    .await;
    let token =
        &url[url.find(&format!("/{}/", fx.client_id)).unwrap() + fx.client_id.len() + 2..][..40];
    // Another session's id with this token, a made-up token, another client id: not found.
    for path in [
        shopper.page.replace(&sid, &other_sid),
        shopper.page.replace(token, &"0".repeat(40)),
        shopper.page.replace(&fx.client_id, "someone-else"),
        format!("/flexiti/widget/{}/{token}", fx.client_id),
    ] {
        let r = shopper.get(&path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert!(r.text.contains("<html lang=\"en\""), "{}", r.text);
    }
    // The URL token is no API bearer token.
    let bearer = Fx {
        app: &app,
        client_id: fx.client_id.clone(),
        token: token.into(),
        version: V251,
    };
    let r = bearer
        .get(&format!("/customers/lookup?account_number={JANE}"))
        .await;
    assert_error(&r, StatusCode::UNAUTHORIZED, "invalid_token");
    // A return URL: from the merchant's server only, and a real http(s) URL.
    let customer = Fx::customer(&app).await;
    let r = customer
        .post(
            "/widget/init",
            json!({"flow": "purchase", "return_url": SHOP, "customer_identification": {"account_number": JANE}}),
        )
        .await;
    assert_error(&r, StatusCode::FORBIDDEN, "insufficient_scope");
    for bad in [
        "javascript:alert(1)",
        "/relative",
        "https://user@evil.example/",
        "https://a.example/#x",
    ] {
        let r = fx
            .post(
                "/widget/init",
                json!({"flow": "purchase", "return_url": bad, "customer_identification": {"account_number": JANE}}),
            )
            .await;
        assert_error(&r, StatusCode::CONFLICT, "wrong_inputs");
    }
    // Without a return URL the page ends on its own outcome; cancelling ends the session.
    let cancelled = shopper.post(&[("action", "cancel")]).await;
    assert_eq!(cancelled.status, StatusCode::OK);
    assert!(
        cancelled.text.contains("You cancelled"),
        "{}",
        cancelled.text
    );
    // Past its 30 minutes a session's page is gone.
    let (url, _) = init(
        &fx,
        json!({"flow": "purchase", "customer_identification": {"account_number": JANE}}),
    )
    .await;
    app.advance_clock(&app.merchant_id, 31 * 60).await;
    let r = Shopper::at(&app, &url).open().await;
    assert_eq!(r.status, StatusCode::GONE, "{}", r.text);
}

async fn wrong_codes_lock_the_session(app: TestApp) {
    let fx = Fx::merchant(&app).await;
    let (url, _) = init(
        &fx,
        json!({"flow": "purchase", "return_url": SHOP, "customer_identification": {"account_number": JEAN}}),
    )
    .await;
    let shopper = Shopper::at(&app, &url);
    // Three codes a session at most: each live code is one more a guess may hit.
    for _ in 0..3 {
        let sent = shopper
            .post(&[("action", "send_code"), ("account_number", JEAN)])
            .await;
        assert_eq!(sent.status, StatusCode::OK, "{}", sent.text);
    }
    let fourth = shopper
        .post(&[("action", "send_code"), ("account_number", JEAN)])
        .await;
    assert_eq!(fourth.status, StatusCode::UNPROCESSABLE_ENTITY);
    for _ in 0..4 {
        let r = shopper
            .post(&[
                ("action", "sign_in"),
                ("account_number", JEAN),
                ("code", "9999"),
            ])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let r = shopper
        .post(&[
            ("action", "sign_in"),
            ("account_number", JEAN),
            ("code", "9999"),
        ])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location.contains("status=locked"), "{}", r.location);
    assert_eq!(shopper.open().await.status, StatusCode::GONE);
    // Without an amount, a signed-in shopper is sent back at once.
    let (url, _) = init(
        &fx,
        json!({"flow": "purchase", "return_url": SHOP, "customer_identification": {"account_number": JANE}}),
    )
    .await;
    let shopper = Shopper::at(&app, &url);
    shopper
        .post(&[("action", "send_code"), ("account_number", JANE)])
        .await;
    let r = shopper
        .post(&[
            ("action", "sign_in"),
            ("account_number", JANE),
            ("code", "2222"),
        ])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location.contains("status=approved") && !r.location.contains("authorization_id"));
}
