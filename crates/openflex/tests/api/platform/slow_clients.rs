//! Connection-level abuse: a client that trickles its request headers (slowloris) is cut off
//! after the header-read timeout, while ordinary requests on other connections are served.

use crate::helpers::{Backend, spawn_app_with};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A server whose header-read timeout is `seconds`; its address.
async fn server(seconds: u64) -> String {
    let app = spawn_app_with(Backend::Sqlite, |c| c.header_read_timeout_seconds = seconds).await;
    app.base.trim_start_matches("http://").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_trickling_headers_is_disconnected_after_the_header_timeout() {
    let addr = server(1).await;
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    // Keep trickling a header byte now and then; the server must still close within ~1 s.
    let mut closed = false;
    for _ in 0..40 {
        let mut buf = [0u8; 256];
        match tokio::time::timeout(Duration::from_millis(100), slow.read(&mut buf)).await {
            Ok(Ok(_)) | Ok(Err(_)) => {
                closed = true;
                break;
            }
            Err(_) => {
                let _ = slow.write_all(b"X").await;
            }
        }
    }
    assert!(closed, "a slow-header client kept its connection for 4 s");
    assert!(started.elapsed() >= Duration::from_millis(900));

    // Meanwhile the server answers a normal client.
    let resp = reqwest::get(format!("http://{addr}/healthz"))
        .await
        .unwrap();
    assert!(resp.status().is_success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_alive_requests_are_not_cut_by_the_header_timeout() {
    let addr = server(1).await;
    let client = reqwest::Client::new();
    for _ in 0..3 {
        let resp = client
            .get(format!("http://{addr}/healthz"))
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success());
        tokio::time::sleep(Duration::from_millis(600)).await;
    }
}
