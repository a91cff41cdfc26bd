//! The sandbox test clock moves sandbox work only: a live merchant's scheduled expiries (a
//! Flexiti hold, a CVV) ignore a jump of its sandbox clock and run when real time reaches them,
//! and a job found early goes back to its due time without spending an attempt. Real time is
//! moved through the engine's clock. 127.0.0.1 is a trusted proxy here, so the live Flexiti
//! client's calls count as HTTPS (see `flexiti/fx.rs`).

use crate::flexiti::fx::*;
use crate::helpers::*;
use openflex_engine::{Clock, ShiftedClock};
use openflex_store::{JobRow, Pool};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

const DAY: i64 = 86_400;

macro_rules! dual_clocked {
    ($($name:ident),* $(,)?) => { $(
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let clock = Arc::new(ShiftedClock::default());
                super::$name(spawn_app_on(Backend::Sqlite, proxied, clock.clone()).await, clock).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let clock = Arc::new(ShiftedClock::default());
                super::$name(spawn_app_on(Backend::Postgres, proxied, clock.clone()).await, clock).await
            }
        }
    )* };
}

fn proxied(c: &mut openflex::config::Config) {
    c.trusted_proxies = vec!["127.0.0.1/32".into()];
}

dual_clocked!(
    live_expiries_ignore_the_sandbox_clock_and_run_on_real_time,
    a_job_found_early_goes_back_to_its_due_time_without_spending_an_attempt,
);

/// A live merchant with a Flexiti customer, an open 100.00 authorization on it, and a vaulted
/// card holding a CVV.
struct Live<'a> {
    app: &'a TestApp,
    merchant: Merchant,
    account: String,
    authorization: i64,
    card: String,
}

/// A Flexiti client of `merchant` with a fresh token (tokens live 20 minutes of real time, and
/// these tests move real time by days).
async fn flexiti<'a>(app: &'a TestApp, merchant: &Merchant) -> Fx<'a> {
    Fx::client(app, &merchant.raw).await
}

async fn live_merchant(app: &TestApp) -> Live<'_> {
    let merchant = app.new_merchant("live").await;
    let (s, created) = app
        .admin(
            Method::POST,
            &format!(
                "/admin/merchants/{}/flexiti/customers?mode=live",
                merchant.merchant_id
            ),
            Some(json!({"firstName": "Liv", "lastName": "Holder", "dob": "1980-08-08",
                "postalCode": "M5V2T6", "province": "ON", "riskRating": "L", "creditLimit": 500000})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let account = created["accountNumber"].as_str().unwrap().to_string();
    let (s, a) = flexiti(app, &merchant)
        .await
        .post(
            "/authorization",
            json!({"account_number": account, "amount": "100.00", "auto_capture": false,
                "financing_option": {"transaction_type": "regular_purchase"}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    let authorization = a["authorization_id"].as_i64().unwrap();
    let (s, v) = app
        .post_as(
            &merchant.api_key,
            "/v1/paymentmethods",
            json!({"paymentMethod": vault_card(VISA, "879")}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["transaction"]["responseCode"], "10000", "{v}");
    let card = v["transaction"]["paymentMethod"]["paymentMethodId"]
        .as_str()
        .unwrap()
        .to_string();
    Live {
        app,
        merchant,
        account,
        authorization,
        card,
    }
}

impl Live<'_> {
    async fn authorization_status(&self) -> Value {
        let (s, v) = flexiti(self.app, &self.merchant)
            .await
            .get(&format!("/authorization/{}", self.authorization))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["authorization_status"].clone()
    }

    /// The account's held amount, in cents, as the admin API shows it.
    async fn held(&self) -> i64 {
        let (s, list) = self
            .app
            .admin(
                Method::GET,
                &format!(
                    "/admin/merchants/{}/flexiti/customers?mode=live",
                    self.merchant.merchant_id
                ),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{list}");
        let acct = list
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["accountNumber"] == self.account.as_str())
            .unwrap_or_else(|| panic!("{list}"))
            .clone();
        cents(&acct["held"])
    }

    /// Whether the CVV is still in the database (not merely hidden by its TTL).
    async fn cvv_stored(&self) -> bool {
        self.app
            .engine
            .store()
            .payment_method(&self.merchant.merchant_id, "live", &self.card)
            .await
            .unwrap()
            .unwrap()
            .cvv_ct
            .is_some()
    }

    async fn cvv_shown(&self) -> Value {
        let (_, v) = self
            .app
            .get_as(
                &self.merchant.api_key,
                &format!("/v1/paymentmethods/{}", self.card),
            )
            .await;
        v["paymentMethod"]["cvv"].clone()
    }

    async fn job(&self, kind: &str) -> JobRow {
        jobs_of(self.app, &self.merchant.merchant_id)
            .await
            .into_iter()
            .find(|j| j.kind == kind)
            .unwrap_or_else(|| panic!("no {kind} job"))
    }
}

async fn jobs_of(app: &TestApp, merchant_id: &str) -> Vec<JobRow> {
    let sql = "SELECT id, kind, merchant_id, mode, payload, run_at, state, attempts, locked_until, \
               locked_by, last_error, created_at, updated_at FROM jobs WHERE merchant_id = $1 \
               ORDER BY run_at, id";
    match app.engine.store().pool() {
        Pool::Pg(p) => sqlx::query_as(sql).bind(merchant_id).fetch_all(p).await,
        Pool::Sqlite(p) => sqlx::query_as(sql).bind(merchant_id).fetch_all(p).await,
    }
    .unwrap()
}

fn now_us(clock: &ShiftedClock) -> i64 {
    (clock.now().unix_timestamp_nanos() / 1000) as i64
}

/// Moves real time to `seconds` from `due_us` (negative: before it).
fn move_to(clock: &ShiftedClock, due_us: i64, seconds: i64) {
    let target = due_us + seconds * 1_000_000;
    let by = target - now_us(clock);
    assert!(by > 0, "the clock only moves forward");
    clock.advance(Duration::from_micros(by as u64));
}

async fn live_expiries_ignore_the_sandbox_clock_and_run_on_real_time(
    app: TestApp,
    clock: Arc<ShiftedClock>,
) {
    let live = live_merchant(&app).await;
    assert_eq!(live.held().await, 10_000);
    assert_eq!(live.cvv_shown().await, "***");
    let expiry = live.job("flexiti_authorization_expiry").await;
    let cvv = live.job("expire_cvv").await;
    assert_eq!(expiry.mode.as_deref(), Some("live"));

    // 31 days of sandbox time run none of the live work.
    let moved = app
        .advance_clock(&live.merchant.merchant_id, 31 * DAY)
        .await;
    assert_eq!(moved["ran"], json!([]), "{moved}");
    assert_eq!(live.authorization_status().await, "opened");
    assert_eq!(live.held().await, 10_000, "the hold still counts");
    assert_eq!(live.cvv_shown().await, "***");
    assert!(live.cvv_stored().await);
    for before in [&expiry, &cvv] {
        let now = live.job(&before.kind).await;
        assert_eq!(
            (now.state.as_str(), now.attempts, now.run_at),
            ("pending", 0, before.run_at),
            "{now:?}"
        );
    }

    // Real time reaches the CVV's TTL: purged then, not a second before.
    move_to(&clock, cvv.run_at, -10);
    app.engine
        .run_merchant_jobs(&live.merchant.merchant_id)
        .await
        .unwrap();
    assert!(live.cvv_stored().await, "purged before its TTL");
    assert_eq!(live.job("expire_cvv").await.attempts, 0);
    move_to(&clock, cvv.run_at, 10);
    app.engine
        .run_merchant_jobs(&live.merchant.merchant_id)
        .await
        .unwrap();
    assert!(!live.cvv_stored().await, "CVV kept past its TTL");
    assert_eq!(live.cvv_shown().await, Value::Null);
    let done = live.job("expire_cvv").await;
    assert_eq!(
        (done.state.as_str(), done.attempts),
        ("done", 1),
        "{done:?}"
    );
    assert_eq!(live.authorization_status().await, "opened");

    // Real time reaches the 30 days: the hold is given back then, not before.
    move_to(&clock, expiry.run_at, -10);
    app.engine
        .run_merchant_jobs(&live.merchant.merchant_id)
        .await
        .unwrap();
    assert_eq!(live.authorization_status().await, "opened");
    assert_eq!(live.held().await, 10_000);
    move_to(&clock, expiry.run_at, 10);
    app.engine
        .run_merchant_jobs(&live.merchant.merchant_id)
        .await
        .unwrap();
    assert_eq!(live.authorization_status().await, "expired");
    assert_eq!(live.held().await, 0, "the hold is released");
    let done = live.job("flexiti_authorization_expiry").await;
    assert_eq!(
        (done.state.as_str(), done.attempts),
        ("done", 1),
        "{done:?}"
    );
}

/// A second copy, due now, of each expiry job (a live hold, a live CVV, a sandbox cached card,
/// a sandbox FlexFactor capture window): each handler finds its record not due yet and puts
/// the copy back at the record's own due time, attempts unspent, touching nothing.
async fn a_job_found_early_goes_back_to_its_due_time_without_spending_an_attempt(
    app: TestApp,
    clock: Arc<ShiftedClock>,
) {
    let live = live_merchant(&app).await;
    let mut body = card_payment("cached-early", 1000);
    body["transaction"]["retainOnSuccess"] = json!(false);
    let (s, v) = app.post("/v1/gateways/charge", body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let cached = v["transaction"]["paymentMethod"]["paymentMethodId"]
        .as_str()
        .unwrap()
        .to_string();
    let bearer = crate::flexfactor::ff::token(&app).await;
    let mut auth =
        crate::flexfactor::ff::evaluate_body("early-auth", crate::flexfactor::ff::RESCUABLE);
    auth["transactionType"] = json!("AUTHORIZATION");
    let (_, v) = crate::flexfactor::ff::evaluate(&app, &bearer, auth).await;
    assert_eq!(v["status"], "CAPTUREREQUIRED", "{v}");
    let order = v["orderId"].as_str().unwrap().to_string();

    let sandbox = jobs_of(&app, &app.merchant_id).await;
    let sandbox_job = |kind: &str| {
        sandbox
            .iter()
            .find(|j| j.kind == kind)
            .unwrap_or_else(|| panic!("no {kind} job: {sandbox:?}"))
            .clone()
    };
    let originals = [
        live.job("flexiti_authorization_expiry").await,
        live.job("expire_cvv").await,
        sandbox_job("expire_cached_card"),
        sandbox_job("ff_capture_expiry"),
    ];
    let now = now_us(&clock);
    let mut tx = app.engine.store().begin().await.unwrap();
    for original in &originals {
        let early = JobRow {
            id: format!("{}-early", original.id),
            run_at: now,
            ..original.clone()
        };
        openflex_store::Store::insert_job(&mut tx, &early)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();

    let mut ran = app
        .engine
        .run_merchant_jobs(&live.merchant.merchant_id)
        .await
        .unwrap();
    ran.extend(
        app.engine
            .run_merchant_jobs(&app.merchant_id)
            .await
            .unwrap(),
    );
    for original in &originals {
        let id = format!("{}-early", original.id);
        let r = ran
            .iter()
            .find(|r| r.id == id)
            .unwrap_or_else(|| panic!("{id} did not run: {ran:?}"));
        assert_eq!(r.outcome, "not_due", "{r:?}");
        let early = app.engine.store().job(&id).await.unwrap().unwrap();
        assert_eq!(
            (
                early.state.as_str(),
                early.attempts,
                early.run_at,
                early.locked_until
            ),
            ("pending", 0, original.run_at, None),
            "{early:?}"
        );
    }
    assert_eq!(live.authorization_status().await, "opened");
    assert_eq!(live.held().await, 10_000);
    assert!(live.cvv_stored().await);
    let (_, v) = app.get(&format!("/v1/paymentmethods/{cached}")).await;
    assert_eq!(v["paymentMethod"]["storageState"], "Cached", "{v}");
    let (_, v) =
        crate::flexfactor::ff::get_json(&app, &format!("/v1/orders/{order}"), &bearer).await;
    assert_eq!(v["statusName"], "CAPTUREREQUIRED", "{v}");
}
