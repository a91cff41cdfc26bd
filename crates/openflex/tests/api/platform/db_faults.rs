//! PostgreSQL faults under a running server. The database is reached through a TCP proxy owned
//! by the test (a double at the network edge only), which can cut every connection and refuse
//! new ones (the database went away) or stall them (a hung database / exhausted pool). The
//! server must answer 503 while the database is away, recover by itself, lose nothing it
//! acknowledged, and never hang a request.

use crate::helpers::{Backend, TestApp, spawn_app_with, token_payment};
use reqwest::StatusCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

const UP: u8 = 0;
const DOWN: u8 = 1;
const STALLED: u8 = 2;

struct Proxy {
    port: u16,
    state: Arc<AtomicU8>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(upstream: &'static str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(AtomicU8::new(UP));
        let links: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (st, ls) = (state.clone(), links.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                match st.load(Ordering::SeqCst) {
                    DOWN => drop(client),
                    STALLED => {
                        // Accept and say nothing, like a database that stopped answering.
                        ls.lock().await.push(tokio::spawn(async move {
                            tokio::time::sleep(Duration::from_secs(3600)).await;
                            drop(client);
                        }));
                    }
                    _ => {
                        let st = st.clone();
                        ls.lock().await.push(tokio::spawn(async move {
                            let Ok(server) = TcpStream::connect(upstream).await else {
                                return;
                            };
                            // Relay until either side closes; once stalled, nothing more passes.
                            let (cr, cw) = client.into_split();
                            let (sr, sw) = server.into_split();
                            tokio::select! {
                                () = pump(cr, sw, st.clone()) => {}
                                () = pump(sr, cw, st) => {}
                            }
                        }));
                    }
                }
            }
        });
        Self { port, state, links }
    }

    /// Every open connection is closed and new ones are refused.
    async fn cut(&self) {
        self.state.store(DOWN, Ordering::SeqCst);
        for link in self.links.lock().await.drain(..) {
            link.abort();
        }
    }

    /// Connections stay open but nothing more passes.
    fn stall(&self) {
        self.state.store(STALLED, Ordering::SeqCst);
    }

    async fn restore(&self) {
        self.state.store(UP, Ordering::SeqCst);
        for link in self.links.lock().await.drain(..) {
            link.abort();
        }
    }
}

/// Copies one direction chunk by chunk, checking the proxy's state before forwarding each.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    state: Arc<AtomicU8>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if state.load(Ordering::SeqCst) != UP {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

/// The app on a fresh database reached through `proxy`, with a pool of 4.
async fn app_behind(proxy: &Proxy) -> TestApp {
    let port = proxy.port;
    spawn_app_with(Backend::Postgres, move |c| {
        c.database_url = c
            .database_url
            .take()
            .map(|u| u.replace("127.0.0.1:5432", &format!("127.0.0.1:{port}")));
        c.max_connections = 4;
    })
    .await
}

/// Recovery without a restart: the pool reconnects by itself and payments are approved.
async fn recovers(app: &TestApp, pm: &str, mtid: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, v) = app
            .post("/v1/gateways/charge", token_payment(mtid, 1200, pm))
            .await;
        if status == StatusCode::OK {
            assert_eq!(v["transaction"]["responseCode"], "10000", "{v}");
            return;
        }
        assert!(
            status == StatusCode::SERVICE_UNAVAILABLE || status == StatusCode::REQUEST_TIMEOUT,
            "{status} {v}"
        );
        assert!(Instant::now() < deadline, "no recovery within 30 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_outage_gives_503_then_recovers_without_restart_and_loses_nothing() {
    let proxy = Proxy::start("127.0.0.1:5432").await;
    let app = app_behind(&proxy).await;
    let pm = app.vault_visa().await;
    let (status, v) = app
        .post("/v1/gateways/charge", token_payment("before-1", 1000, &pm))
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");

    proxy.cut().await;
    let started = Instant::now();
    let (status, v) = app
        .post("/v1/gateways/charge", token_payment("during-1", 1100, &pm))
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    assert!(started.elapsed() < Duration::from_secs(15), "503 came late");
    let (status, _) = app.get("/v1/transactions?count=10").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);

    proxy.restore().await;
    recovers(&app, &pm, "after-1").await;

    // The acknowledged charge survived; the refused one was not recorded and may be retried.
    let (status, v) = app
        .get("/v1/transactions/byMerchantTransactionId/before-1")
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["transaction"]["amount"], 1000);
    let (status, v) = app
        .post("/v1/gateways/charge", token_payment("during-1", 1100, &pm))
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["transaction"]["responseCode"], "10000");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_database_gives_timeouts_not_hangs() {
    let proxy = Proxy::start("127.0.0.1:5432").await;
    let app = Arc::new(app_behind(&proxy).await);
    let pm = app.vault_visa().await;
    proxy.stall();
    // More requests than pool connections: some wait on stalled queries, the rest on the pool.
    let started = Instant::now();
    let mut calls = Vec::new();
    for i in 0..8 {
        let (app, pm) = (app.clone(), pm.clone());
        calls.push(tokio::spawn(async move {
            app.post(
                "/v1/gateways/charge",
                token_payment(&format!("hung-{i}"), 500, &pm),
            )
            .await
            .0
        }));
    }
    for c in calls {
        let status = c.await.unwrap();
        assert!(
            status == StatusCode::SERVICE_UNAVAILABLE || status == StatusCode::REQUEST_TIMEOUT,
            "{status}"
        );
    }
    // Bounded by the 30 s request timeout (plus scheduling), never by the database.
    assert!(started.elapsed() < Duration::from_secs(45));
    proxy.restore().await;
    recovers(&app, &pm, "after-hang").await;
}

/// A request's answer with its `Retry-After` header.
async fn answer(req: reqwest::RequestBuilder) -> (StatusCode, Option<String>, serde_json::Value) {
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let retry_after = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    (status, retry_after, resp.json().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_the_database_is_away_every_dialect_answers_503_with_retry_after_in_its_format() {
    use crate::flexiti::fx::{self, Fx};
    let proxy = Proxy::start("127.0.0.1:5432").await;
    let app = app_behind(&proxy).await;
    let pm = app.vault_visa().await;
    let ff_bearer = crate::flexfactor::ff::token(&app).await;
    let fx = Fx::merchant(&app).await;
    proxy.cut().await;

    let (status, retry, v) = answer(
        app.client
            .post(app.url("/v1/gateways/charge"))
            .header("Authorization", format!("Basic {}", app.api_key))
            .json(&token_payment("away-1", 1000, &pm)),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    assert_eq!(retry.as_deref(), Some("2"));
    assert!(v["message"].as_str().unwrap().contains("retry"), "{v}");

    let (status, retry, v) = answer(
        app.client
            .get(app.url("/v1/orders?pageSize=5"))
            .header("Authorization", format!("Bearer {ff_bearer}")),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    assert_eq!(retry.as_deref(), Some("2"));
    assert_eq!(v["errorCode"], "503001", "{v}");
    assert_eq!(v["status"], 503, "{v}");
    assert!(v["traceId"].is_string(), "{v}");

    let (status, retry, v) = answer(
        app.client
            .get(app.url(&fx.path("/authorizations")))
            .header("Authorization", format!("Bearer {}", fx.token))
            .header("x-reference-id", "0f8fad5bd9cb469fa16570867728950e")
            .header(fx::PROXIED_HTTPS.0, fx::PROXIED_HTTPS.1),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    assert_eq!(retry.as_deref(), Some("2"));
    assert_eq!(v["error"], "service_unavailable", "{v}");
    assert!(
        v["url"].as_str().unwrap().ends_with("/authorizations"),
        "{v}"
    );

    let (status, retry, v) = answer(app.client.get(app.url("/readyz"))).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    assert_eq!(retry.as_deref(), Some("2"));
    assert_eq!(v["status"], "degraded", "{v}");

    proxy.restore().await;
    recovers(&app, &pm, "away-1").await;
}
