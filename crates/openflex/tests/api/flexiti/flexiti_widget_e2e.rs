//! The hosted widget end to end in headless Chromium (`tests/e2e/widget.mjs`, the portal's
//! tooling): both flows at 1280 and 390 px, audited with axe-core, screenshots left in
//! `target/widget-e2e/`. The outcomes the browser was sent back with are checked here through
//! the merchant's API.

use super::fx::*;
use crate::helpers::*;
use crate::platform::portal_e2e::{e2e_dir, ensure_playwright};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

async fn page(fx: &Fx<'_>, body: Value) -> String {
    let (s, w) = fx.post("/widget/init", body).await;
    assert_eq!(s, StatusCode::OK, "{w}");
    let url = w["redirection_url"].as_str().unwrap();
    url[url.find("/flexiti/widget/").unwrap()..].to_string()
}

fn purchase() -> Value {
    json!({"flow": "purchase", "lang": "en", "amount": "500.00", "reference": "e2e-order",
        "return_url": "https://shop.example/done", "customer_identification": {"account_number": JANE}})
}

fn apply(last: &str, lang: &str) -> Value {
    json!({"flow": "apply", "lang": lang, "amount": "300.00", "return_url": "https://shop.example/done",
        "tos_agreement": true, "email": "ann@example.com", "phone_number": "4165550100",
        "address_1": "1 King St W", "city": "Toronto", "province": "ON",
        "customer_identification": {"personal_information": {"first_name": "Ann",
            "last_name": last, "dob": "1990-04-05", "postal_code": "M5H1A1"}}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shoppers_use_the_widget_in_chromium() {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "{chromium} is missing: install Debian's chromium (apt-get install chromium), as .ci/run does"
    );
    ensure_playwright();
    let app = spawn_app(Backend::Sqlite).await;
    let fx = Fx::merchant(&app).await;
    let sessions = json!({
        "purchase_wide": page(&fx, purchase()).await,
        "purchase_phone": page(&fx, purchase()).await,
        "apply_wide": page(&fx, apply("Lane", "en")).await,
        "apply_phone": page(&fx, apply("Lapointe", "fr")).await,
    });
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/widget-e2e");
    let base = app.base.trim_end_matches('/').to_string();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg("widget.mjs")
            .current_dir(e2e_dir())
            .env("BASE_URL", base)
            .env("SESSIONS", sessions.to_string())
            .env("SHOTS", &shots)
            .env("CHROMIUM", chromium)
            .output()
            .expect("node")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "widget e2e failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("widget e2e: ok"), "{stdout}");
    // Each purchase the browser made is the merchant's to read.
    let results: Vec<(&str, HashMap<String, String>)> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("RESULT "))
        .map(|l| {
            let (flow, query) = l.split_once(' ').unwrap();
            (
                flow,
                form_urlencoded::parse(query.as_bytes())
                    .into_owned()
                    .collect(),
            )
        })
        .collect();
    assert_eq!(results.len(), 4, "{stdout}");
    for (flow, q) in &results {
        let (s, a) = fx
            .get(&format!("/authorization/{}", q["authorization_id"]))
            .await;
        assert_eq!(s, StatusCode::OK, "{a}");
        match *flow {
            "purchase" => {
                assert_eq!(a["account_number"], JANE);
                assert_eq!(a["reference"], "e2e-order");
            }
            _ => assert!(q.contains_key("application_id"), "{q:?}"),
        }
    }
}
