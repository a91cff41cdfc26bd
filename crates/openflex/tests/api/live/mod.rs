//! Live processing end to end: a live merchant creates a gateway of a live type through the
//! FlexPay API and pays through it, against a test double of the gateway started by the test
//! (crates/gateway-doubles) — the only fake in the path. Each test runs per gateway and per
//! backend.

mod flexpay;

use crate::helpers::*;
use openflex_gateway_doubles::{Control, Double};
use serde_json::{Value, json};

/// One gateway as the tests drive it.
#[derive(Clone, Copy)]
pub(crate) enum Gw {
    Stripe,
    Nmi,
}

/// A double, and how to count the payments it holds.
pub(crate) struct Running {
    pub double: Double,
    payments: Box<dyn Fn() -> usize + Send + Sync>,
}

impl Running {
    pub fn control(&self) -> &Control {
        &self.double.control
    }

    /// Payments (sales and authorizations) the gateway holds.
    pub fn payments(&self) -> usize {
        (self.payments)()
    }
}

impl Gw {
    pub fn gateway_type(self) -> &'static str {
        match self {
            Self::Stripe => "stripe",
            Self::Nmi => "nmi",
        }
    }

    pub fn settings(self) -> Value {
        match self {
            Self::Stripe => json!({"secretKey": "sk_test_openflex_e2e"}),
            Self::Nmi => json!({"securityKey": openflex_gateway_doubles::nmi::SECURITY_KEY}),
        }
    }

    /// The path of the gateway's payment call (for faults).
    pub fn payment_path(self) -> &'static str {
        match self {
            Self::Stripe => "/v1/payment_intents",
            Self::Nmi => "/transact.php",
        }
    }

    /// A card the double approves.
    pub fn approved_card(self) -> &'static str {
        match self {
            Self::Stripe => "4242424242424242",
            Self::Nmi => "4111111111111111",
        }
    }

    pub async fn spawn(self) -> Running {
        match self {
            Self::Stripe => {
                let (double, state) = openflex_gateway_doubles::stripe::spawn_with_state().await;
                Running {
                    double,
                    payments: Box::new(move || state.payments().len()),
                }
            }
            Self::Nmi => {
                let (double, state) = openflex_gateway_doubles::nmi::spawn_with_state().await;
                Running {
                    double,
                    payments: Box::new(move || state.payments()),
                }
            }
        }
    }

    /// The server, pointed at `double`.
    pub async fn app(self, backend: Backend, double: &Running) -> TestApp {
        let url = double.double.url.clone();
        spawn_app_with(backend, |c| match self {
            Self::Stripe => c.gateway_base_urls.stripe = Some(url),
            Self::Nmi => c.gateway_base_urls.nmi = Some(url),
        })
        .await
    }
}

/// A live merchant with one gateway of `gw`'s type; returns its FlexPay key.
pub(crate) async fn live_merchant(app: &TestApp, gw: Gw) -> String {
    let m = app.new_merchant("live").await;
    let (status, v) = app
        .post_as(
            &m.api_key,
            "/v1/gateways",
            json!({"gateway": {"name": gw.gateway_type(), "gatewayType": gw.gateway_type(),
                "settings": gw.settings()}}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{v}");
    assert_eq!(v["gateway"]["gatewayType"], gw.gateway_type(), "{v}");
    m.api_key
}

/// Declares each named `async fn(Gw, Backend)` as one test per gateway and backend.
#[macro_export]
macro_rules! live {
    ($($name:ident),* $(,)?) => { $(
        mod $name {
            use $crate::helpers::Backend;
            use $crate::live::Gw;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn stripe_sqlite() { super::$name(Gw::Stripe, Backend::Sqlite).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn stripe_postgres() { super::$name(Gw::Stripe, Backend::Postgres).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn nmi_sqlite() { super::$name(Gw::Nmi, Backend::Sqlite).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn nmi_postgres() { super::$name(Gw::Nmi, Backend::Postgres).await }
        }
    )* };
}
