//! Test doubles of the gateways openflex connects to, for tests and the connector benchmark: a
//! local HTTP server per gateway that speaks its wire format as documented, checks every request
//! against the documented fields (a double that accepts anything proves nothing), keeps the
//! gateway's state (payments, captures, refunds, idempotency keys) and misbehaves on demand.
//!
//! This module is the harness the gateway modules share: serving on 127.0.0.1, the request
//! log, the violation list and the fault queue.

pub mod adyen;
pub mod authorizenet;
pub mod nmi;
pub mod stripe;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The four gateways, named as openflex's `gatewayType`, for callers that pick one at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gateway {
    Stripe,
    Adyen,
    Nmi,
    AuthorizeNet,
}

impl Gateway {
    /// The double's routes and its control.
    pub fn app(self) -> (Router, Control) {
        match self {
            Self::Stripe => {
                let (r, c, _) = stripe::app();
                (r, c)
            }
            Self::Adyen => {
                let (r, c, _) = adyen::app();
                (r, c)
            }
            Self::Nmi => {
                let (r, c, _) = nmi::app();
                (r, c)
            }
            Self::AuthorizeNet => {
                let (r, c, _) = authorizenet::app();
                (r, c)
            }
        }
    }

    /// The connector's API root for a double served at `url` (what
    /// `OPENFLEX_GATEWAY_URL_<TYPE>` is set to).
    pub fn api_root(self, url: &str) -> String {
        match self {
            Self::Stripe | Self::Nmi => url.to_string(),
            Self::Adyen => format!("{url}/v71"),
            Self::AuthorizeNet => format!("{url}/xml/v1/request.api"),
        }
    }

    /// The configuration variable that points openflex at this gateway.
    pub fn env_var(self) -> &'static str {
        match self {
            Self::Stripe => "OPENFLEX_GATEWAY_URL_STRIPE",
            Self::Adyen => "OPENFLEX_GATEWAY_URL_ADYEN",
            Self::Nmi => "OPENFLEX_GATEWAY_URL_NMI",
            Self::AuthorizeNet => "OPENFLEX_GATEWAY_URL_AUTHORIZENET",
        }
    }
}

/// One request as the double received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Path and query.
    pub uri: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A misbehaviour for the next matching request.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer after this delay (longer than the client's timeout: the answer is lost).
    Slow(Duration),
    /// Process the request (the payment happens), then close the connection without answering.
    DropAfterProcessing,
    /// Answer this 5xx status without processing.
    ServerError(u16),
    /// Process the request, then answer a body that is not the gateway's format.
    Malformed,
}

struct ControlState {
    requests: Vec<Recorded>,
    /// Whether `requests` keeps each request (tests) or only `received` counts them (a long
    /// benchmark run would otherwise hold every body it was sent).
    keep_requests: bool,
    received: u64,
    violations: Vec<String>,
    faults: VecDeque<(Option<String>, Fault)>,
    latency: Duration,
}

impl Default for ControlState {
    fn default() -> Self {
        Self {
            requests: Vec::new(),
            keep_requests: true,
            received: 0,
            violations: Vec::new(),
            faults: VecDeque::new(),
            latency: Duration::ZERO,
        }
    }
}

/// The test's handle on a running double.
#[derive(Clone, Default)]
pub struct Control(Arc<Mutex<ControlState>>);

impl Control {
    fn lock(&self) -> std::sync::MutexGuard<'_, ControlState> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    /// Requests whose path contains `path`.
    pub fn requests_to(&self, path: &str) -> Vec<Recorded> {
        self.lock()
            .requests
            .iter()
            .filter(|r| r.uri.contains(path))
            .cloned()
            .collect()
    }

    /// What the double found wrong in requests (missing or unknown fields, bad auth, …). A test
    /// asserts this is empty.
    pub fn violations(&self) -> Vec<String> {
        self.lock().violations.clone()
    }

    /// Records a request that breaks the gateway's documented contract.
    pub fn violation(&self, what: impl Into<String>) {
        let what = what.into();
        tracing::warn!(violation = %what, "gateway double refused a request");
        self.lock().violations.push(what);
    }

    /// The next request whose path contains `path` (any request when `None`) misbehaves.
    pub fn fail_next(&self, path: Option<&str>, fault: Fault) {
        self.lock()
            .faults
            .push_back((path.map(str::to_string), fault));
    }

    /// How many requests arrived, whether kept or not.
    pub fn received(&self) -> u64 {
        self.lock().received
    }

    /// Stops (or resumes) keeping each request for [`Control::requests`]; they are still
    /// counted by [`Control::received`].
    pub fn keep_requests(&self, keep: bool) {
        self.lock().keep_requests = keep;
    }

    /// Every answer waits this long (the benchmark's gateway latency).
    pub fn set_latency(&self, latency: Duration) {
        self.lock().latency = latency;
    }

    fn take_fault(&self, uri: &str) -> Option<Fault> {
        let mut s = self.lock();
        let at = s
            .faults
            .iter()
            .position(|(p, _)| p.as_deref().is_none_or(|p| uri.contains(p)))?;
        s.faults.remove(at).map(|(_, f)| f)
    }
}

/// A running double.
pub struct Double {
    /// `http://127.0.0.1:<port>`, no trailing slash.
    pub url: String,
    pub control: Control,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Double {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves `router` on a free loopback port, with the request log and faults of `control`.
pub async fn serve(router: Router, control: Control) -> Double {
    serve_at("127.0.0.1:0", router, control)
        .await
        .expect("a loopback port")
}

/// [`serve`] on a given address (the `fake-gateway` binary, for the connector benchmark).
pub async fn serve_at(addr: &str, router: Router, control: Control) -> std::io::Result<Double> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let url = format!("http://{}", listener.local_addr()?);
    let ctl = control.clone();
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let router = router.clone();
            let ctl = ctl.clone();
            tokio::spawn(async move {
                let service =
                    hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                        handle(router.clone(), ctl.clone(), req)
                    });
                let _ = hyper_util::server::conn::auto::Builder::new(
                    hyper_util::rt::TokioExecutor::new(),
                )
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
            });
        }
    });
    Ok(Double { url, control, task })
}

/// The connection is closed without an answer.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}

impl std::error::Error for Dropped {}

async fn handle(
    router: Router,
    control: Control,
    req: Request<hyper::body::Incoming>,
) -> Result<Response<Body>, Dropped> {
    use tower::ServiceExt;
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(Body::new(body), 1 << 20)
        .await
        .unwrap_or_default();
    let uri = parts.uri.to_string();
    let recorded = Recorded {
        method: parts.method.to_string(),
        uri: uri.clone(),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect(),
        body: String::from_utf8_lossy(&bytes).into_owned(),
    };
    let latency = {
        let mut s = control.lock();
        s.received += 1;
        if s.keep_requests {
            s.requests.push(recorded);
        }
        s.latency
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let fault = control.take_fault(&uri);
    if let Some(Fault::ServerError(status)) = fault {
        return Ok(Response::builder()
            .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
            .body(Body::from("upstream error"))
            .expect("a response"));
    }
    let response: Result<Response<Body>, Infallible> = router
        .oneshot(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let response = match response {
        Ok(r) => r,
        Err(never) => match never {},
    };
    match fault {
        Some(Fault::DropAfterProcessing) => Err(Dropped),
        Some(Fault::Slow(d)) => {
            tokio::time::sleep(d).await;
            Ok(response)
        }
        Some(Fault::Malformed) => Ok(Response::builder()
            .status(StatusCode::OK)
            .header("content-type", "application/json")
            .body(Body::from("{\"unterminated"))
            .expect("a response")),
        _ => Ok(response),
    }
}
