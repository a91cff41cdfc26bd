//! Built-in TLS (`tls_cert` / `tls_key`): a self-hoster with no proxy in front lets openflex
//! terminate TLS itself, and a live Flexiti client's calls over it meet the HTTPS rule with no
//! forwarded header at all (nobody is a trusted proxy here). A real TLS client — reqwest with
//! rustls, trusting only the test's self-signed certificate — makes the calls; a plain-HTTP
//! request to the same port gets no HTTP answer.

use crate::dual;
use crate::flexiti::fx::*;
use crate::helpers::*;
use openflex::config::Config;
use reqwest::StatusCode;
use std::net::SocketAddr;

// (`dual!` puts each test in a module of its own, hence `super::`.)
dual!(config = super::serve_tls; live_flexiti_calls_over_builtin_tls);

/// The name the certificate is for; the client resolves it to the server's address.
const HOST: &str = "openflex.test";

/// A fresh self-signed certificate for [`HOST`] in the data directory, and the settings that
/// serve it.
fn serve_tls(c: &mut Config) {
    std::fs::create_dir_all(&c.data_dir).unwrap();
    let issued = rcgen::generate_simple_self_signed(vec![HOST.into()]).unwrap();
    let cert = c.data_dir.join("tls-cert.pem");
    let key = c.data_dir.join("tls-key.pem");
    std::fs::write(&cert, issued.cert.pem()).unwrap();
    std::fs::write(&key, issued.signing_key.serialize_pem()).unwrap();
    c.tls_cert = Some(cert);
    c.tls_key = Some(key);
}

async fn live_flexiti_calls_over_builtin_tls(app: TestApp) {
    let addr: SocketAddr = app
        .base
        .strip_prefix("https://")
        .expect("the server says it speaks HTTPS")
        .parse()
        .unwrap();
    let pem = std::fs::read(app.data_dir.join("tls-cert.pem")).unwrap();
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&pem).unwrap()])
        .resolve(HOST, addr)
        .build()
        .unwrap();
    let app = TestApp {
        client,
        base: format!("https://{HOST}:{}", addr.port()),
        ..app
    };

    // The admin API, a live merchant, its token and a live call: all over TLS.
    let live = app.new_merchant("live").await;
    let fx = Fx::client(&app, &live.raw).await;
    let (s, v) = fx.get("/authorizations").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["total_count"], 0, "{v}");

    // The same call in plain HTTP to the same port: the TLS handshake fails, nothing answers.
    let plain = reqwest::Client::new()
        .get(format!(
            "http://{addr}{V25}/client-id/{}/authorizations",
            fx.client_id
        ))
        .header("Authorization", format!("Bearer {}", fx.token))
        .header("x-reference-id", "tls-test")
        .send()
        .await;
    assert!(plain.is_err(), "plain HTTP got an answer: {plain:?}");
}
