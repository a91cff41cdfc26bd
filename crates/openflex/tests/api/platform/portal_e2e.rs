//! The portal end to end in headless Chromium (Debian's `chromium`, driven by `playwright-core`
//! from npm): `tests/e2e/portal.mjs` signs in, finds a transaction, redelivers a webhook,
//! filters the delivery log, reveals and rolls the webhook signing secret, finds a rescue order
//! by its card and email, issues an API key, meets the confirmation steps and the refusals, captures and over-refunds
//! a rescue order, captures a FlexPay authorization from its page, and advances the test clock against a real server seeded here.
//! Screenshots of every step are left in `target/portal-e2e/`.

use crate::helpers::*;
use crate::platform::portal::sandbox_login;
use crate::receiver::Receiver;
use std::path::{Path, PathBuf};
use std::process::Command;

pub(crate) fn e2e_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e")
}

/// Installs the pinned playwright-core from the lock file when it is not there yet.
pub(crate) fn ensure_playwright() {
    let dir = e2e_dir();
    if dir
        .join("node_modules/playwright-core/package.json")
        .exists()
    {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&dir)
        .status()
        .expect("npm (Node.js) is needed for the portal's browser tests");
    assert!(status.success(), "npm ci in {} failed", dir.display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merchant_uses_the_portal_in_chromium() {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "{chromium} is missing: install Debian's chromium (apt-get install chromium), as .ci/run does"
    );
    ensure_playwright();
    let app = spawn_app(Backend::Sqlite).await;
    app.charge("e2e-charge-1", 4200).await;
    app.charge("e2e-declined-1", 2012).await;
    let auth = app.authorize("e2e-auth-1", 3000).await["transactionId"]
        .as_str()
        .unwrap()
        .to_string();
    let voidable = app.authorize("e2e-auth-2", 1200).await["transactionId"]
        .as_str()
        .unwrap()
        .to_string();
    app.vault_visa().await;
    let order = {
        use crate::flexfactor::ff::{RESCUABLE, evaluate, evaluate_body, token};
        let mut body = evaluate_body("e2e-order-1", RESCUABLE);
        body["transactionType"] = serde_json::json!("AUTHORIZATION");
        let (_, v) = evaluate(&app, &token(&app).await, body).await;
        v["orderId"].as_str().unwrap().to_string()
    };
    let receiver = Receiver::start(&[]).await;
    let endpoint = app.add_webhook(&receiver.url).await;
    app.send_test_webhook(&endpoint).await;
    let (email, password) = sandbox_login(&app);
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/portal-e2e");
    let base = app.base.trim_end_matches('/').to_string();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg("portal.mjs")
            .current_dir(e2e_dir())
            .env("BASE_URL", base)
            .env("EMAIL", email)
            .env("PASSWORD", password)
            .env("MTID", "e2e-charge-1")
            .env("ORDER", format!("/portal/orders/{order}"))
            .env("AUTH", format!("/portal/transactions/{auth}"))
            .env("VOIDABLE", format!("/portal/transactions/{voidable}"))
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
        "portal e2e failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("portal e2e: ok"), "{stdout}");
}
