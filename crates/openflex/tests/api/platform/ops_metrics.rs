//! `/metrics`: label values come from closed sets (a client cannot mint series), and the
//! endpoint can require a bearer token. No storage is involved, so SQLite alone serves.

use crate::helpers::{Backend, TestApp, spawn_app, spawn_app_with};
use reqwest::{Method, StatusCode};

const STANDARD: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/// The value of label `name` in a Prometheus series line.
fn label<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let start = line.find(&format!("{name}=\""))? + name.len() + 2;
    let len = line[start..].find('"')?;
    Some(&line[start..start + len])
}

/// The `openflex_http_requests_total` series lines of `/metrics`.
async fn request_series(app: &TestApp) -> Vec<String> {
    let resp = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let text = resp.text().await.unwrap();
    text.lines()
        .filter(|l| l.starts_with("openflex_http_requests_total{"))
        .map(str::to_string)
        .collect()
}

/// The series a request with a method outside the standard set can land in. Every app in this
/// test process shares one recorder and other tests add their own series meanwhile, so the
/// count is taken over the series only odd methods produce.
async fn odd_method_series(app: &TestApp) -> usize {
    request_series(app)
        .await
        .iter()
        .filter(|l| label(l, "method").is_some_and(|m| !STANDARD.contains(&m)))
        .count()
}

async fn send(app: &TestApp, method: &str, path: &str) {
    let method = Method::from_bytes(method.as_bytes()).unwrap();
    app.client
        .request(method, app.url(path))
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_odd_methods_add_no_metric_series() {
    let app = spawn_app(Backend::Sqlite).await;
    // A matched route (405) and no route (404), once each so their series exist.
    send(&app, "WARMUP", "/api/test").await;
    send(&app, "WARMUP", "/no-such-page").await;
    let before = odd_method_series(&app).await;
    for i in 0..1000 {
        let path = if i % 2 == 0 {
            "/api/test".to_string()
        } else {
            format!("/no-such-page-{i}")
        };
        send(&app, &format!("ODD{i}"), &path).await;
    }
    let long = "X".repeat(8 * 1024);
    send(&app, &long, "/api/test").await;
    assert_eq!(odd_method_series(&app).await, before);
    let series = request_series(&app).await;
    // Neither a method nor a path the client made up becomes a label value.
    for line in &series {
        let (method, route) = (
            label(line, "method").unwrap(),
            label(line, "route").unwrap(),
        );
        assert!(STANDARD.contains(&method) || method == "other", "{line}");
        assert!(!route.starts_with("/no-such-page"), "{line}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_token_guards_metrics() {
    let token = "scrape-ZmYxNDQ1ZDAtNTY0Ny00Y2M3";
    let app = spawn_app_with(Backend::Sqlite, |c| c.metrics_token = Some(token.into())).await;
    let get = |auth: Option<String>| {
        let mut req = app.client.get(app.url("/metrics"));
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        req.send()
    };
    for auth in [
        None,
        Some("Bearer wrong-token".to_string()),
        Some(format!("Basic {token}")),
        Some(format!("Bearer {token}x")),
    ] {
        let resp = get(auth.clone()).await.unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{auth:?}");
        let text = resp.text().await.unwrap();
        assert!(!text.contains("openflex_http_requests_total"), "{text}");
        assert!(!text.contains(token), "{text}");
    }
    let resp = get(Some(format!("Bearer {token}"))).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("openflex_http_requests_total")
    );
    // Health and readiness stay open to probes.
    let resp = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
}

/// The connector call is timed on its own (`openflex_connector_call_seconds`, by gateway type),
/// so a slow gateway can be told from a slow server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_gateway_call_is_timed_apart_from_its_request() {
    let app = spawn_app(Backend::Sqlite).await;
    let count = || async {
        let text = app
            .client
            .get(app.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .find_map(|l| {
                l.strip_prefix("openflex_connector_call_seconds_count{gateway=\"sandbox\"} ")
            })
            .map_or(0, |n| n.trim().parse::<u64>().unwrap())
    };
    let before = count().await;
    app.charge("metrics-connector-1", 1000).await;
    app.charge("metrics-connector-2", 1000).await;
    assert!(
        count().await >= before + 2,
        "two charges, two timed gateway calls"
    );
}
