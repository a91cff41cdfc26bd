//! Connection-level abuse: a client that trickles its request headers (slowloris) is cut off
//! after the header-read timeout, while ordinary requests on other connections are served.

use openflex::Application;
use openflex::config::Config;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn server(header_timeout: u64) -> String {
    let dir = std::env::temp_dir().join(crate::helpers::unique_id("openflex-slow"));
    let config = Config {
        bind: "127.0.0.1:0".into(),
        data_dir: dir.clone(),
        database_url: Some(format!("sqlite://{}", dir.join("openflex.db").display())),
        admin_token: Some(crate::helpers::unique_id("admin")),
        header_read_timeout_seconds: header_timeout,
        ..Config::default()
    };
    let app = Application::build(&config)
        .await
        .expect("application builds");
    let addr = app.addr().to_string();
    tokio::spawn(app.run_until(std::future::pending()));
    addr
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
