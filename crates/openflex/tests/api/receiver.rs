//! A real webhook receiver on 127.0.0.1 for the tests: records every request and answers
//! with a scripted status (e.g. fail twice, then accept) and a body the server must not keep
//! (the receiver is on a private address).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    /// Recomputes the x-fc-* headers with `key` and compares them with what arrived.
    pub fn assert_signed_with(&self, key: &str) {
        let expected = openflex_vault::webhook::sign(
            key,
            &self.body,
            &self.header("host"),
            &self.header("x-fc-nonce"),
            &self.header("x-fc-date"),
        );
        assert_eq!(self.header("x-fc-nonce").len(), 32);
        assert!(
            self.header("x-fc-date").ends_with(" GMT"),
            "{}",
            self.header("x-fc-date")
        );
        assert_eq!(self.header("x-fc-content-sha512"), expected.content_sha512);
        assert_eq!(self.header("x-fc-signature"), expected.signature);
        assert_eq!(self.header("x-fc-authorization"), expected.authorization);
    }
}

#[derive(Clone, Default)]
struct Shared {
    received: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<VecDeque<u16>>>,
}

pub struct Receiver {
    pub url: String,
    shared: Shared,
}

/// What every receiver answers: an internal service's reply, as far as the server knows.
pub const ANSWER: &str = "internal-receiver-answer";

async fn hook(
    State(s): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    s.received.lock().unwrap().push(Received { headers, body });
    let code = s.script.lock().unwrap().pop_front().unwrap_or(200);
    (StatusCode::from_u16(code).unwrap(), ANSWER)
}

impl Receiver {
    /// Answers the statuses in `script` in order, then 200.
    pub async fn start(script: &[u16]) -> Self {
        let shared = Shared::default();
        shared.script.lock().unwrap().extend(script.iter().copied());
        let app = axum::Router::new()
            .route("/hook", post(hook))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { url, shared }
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// Keeps failing with `code` from now on.
    pub fn fail_always(&self, code: u16) {
        self.shared
            .script
            .lock()
            .unwrap()
            .extend(std::iter::repeat_n(code, 1000));
    }
}
