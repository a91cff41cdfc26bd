//! Live processing end to end: a live merchant creates a gateway of a live type through the
//! FlexPay API and pays through it, against a test double of the gateway started by the test
//! (crates/gateway-doubles) — the only fake in the path. Each test runs per gateway and per
//! backend.

mod bench;
mod declines;
mod flexfactor;
mod flexpay;
mod webhook_events;
mod webhook_side;
mod webhooks;

use crate::helpers::*;
use openflex_gateway_doubles::{Control, Double};
use serde_json::{Value, json};

/// One gateway as the tests drive it.
#[derive(Clone, Copy)]
pub(crate) enum Gw {
    Stripe,
    Adyen,
    Nmi,
    AuthorizeNet,
}

/// A double, and how to count the payments it holds.
pub(crate) struct Running {
    pub double: Double,
    payments: Box<dyn Fn() -> usize + Send + Sync>,
    settle: Box<dyn Fn() + Send + Sync>,
    money: Box<MoneyView>,
}

/// Reads what the double holds for a payment, by the gateway's id of it.
type MoneyView = dyn Fn(&str) -> Option<Money> + Send + Sync;

/// What the gateway holds for one payment (minor units).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Money {
    pub captured: i64,
    pub refunded: i64,
    pub voided: bool,
}

/// NMI's decimal amounts ("12.00") in cents.
fn cents(decimal: &str) -> i64 {
    openflex_domain::money::decimal_to_minor(decimal, 2).unwrap_or_else(|_| panic!("{decimal}"))
}

impl Running {
    pub fn control(&self) -> &Control {
        &self.double.control
    }

    /// Payments (sales and authorizations) the gateway holds.
    pub fn payments(&self) -> usize {
        (self.payments)()
    }

    /// What the gateway holds for the payment it knows as `gateway_id`.
    pub fn money(&self, gateway_id: &str) -> Option<Money> {
        (self.money)(gateway_id)
    }

    /// Runs the gateway's settlement batch where refunds need one (Authorize.net).
    pub fn settle(&self) {
        (self.settle)()
    }
}

impl Gw {
    pub fn gateway_type(self) -> &'static str {
        match self {
            Self::Stripe => "stripe",
            Self::Adyen => "adyen",
            Self::Nmi => "nmi",
            Self::AuthorizeNet => "authorizenet",
        }
    }

    pub fn settings(self) -> Value {
        match self {
            Self::Stripe => json!({"secretKey": "sk_test_openflex_e2e"}),
            Self::Adyen => json!({"apiKey": "adyen-e2e-key", "merchantAccount": "OpenflexECOM"}),
            Self::Nmi => json!({"securityKey": openflex_gateway_doubles::nmi::SECURITY_KEY}),
            Self::AuthorizeNet => json!({
                "apiLoginId": openflex_gateway_doubles::authorizenet::API_LOGIN_ID,
                "transactionKey": openflex_gateway_doubles::authorizenet::TRANSACTION_KEY,
            }),
        }
    }

    /// The path of the gateway's payment call (for faults).
    pub fn payment_path(self) -> &'static str {
        match self {
            Self::Stripe => "/v1/payment_intents",
            Self::Adyen => "/v71/payments",
            Self::Nmi => "/transact.php",
            Self::AuthorizeNet => "/xml/v1/request.api",
        }
    }

    /// A card the double approves: number, expiry month, CVV.
    pub fn approved_card(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Self::Stripe => ("4242424242424242", "12", "879"),
            // Adyen's test platform approves only the test card's own expiry and CVC.
            Self::Adyen => ("4111111111111111", "03", "737"),
            Self::Nmi | Self::AuthorizeNet => ("4111111111111111", "12", "879"),
        }
    }

    pub async fn spawn(self) -> Running {
        match self {
            Self::Stripe => {
                let (double, state) = openflex_gateway_doubles::stripe::spawn_with_state().await;
                let view = state.clone();
                Running {
                    double,
                    payments: Box::new(move || state.payments().len()),
                    settle: Box::new(|| {}),
                    money: Box::new(move |id| {
                        view.payments()
                            .into_iter()
                            .find(|p| p.id == id)
                            .map(|p| Money {
                                captured: p.captured,
                                refunded: p.refunded,
                                voided: p.status == "canceled",
                            })
                    }),
                }
            }
            Self::Adyen => {
                let (double, ledger) = openflex_gateway_doubles::adyen::spawn_with_ledger().await;
                let view = ledger.clone();
                Running {
                    double,
                    payments: Box::new(move || ledger.payment_count()),
                    settle: Box::new(|| {}),
                    money: Box::new(move |id| {
                        view.amounts(id)
                            .map(|(_, captured, refunded, voided)| Money {
                                captured,
                                refunded,
                                voided,
                            })
                    }),
                }
            }
            Self::Nmi => {
                let (double, state) = openflex_gateway_doubles::nmi::spawn_with_state().await;
                let view = state.clone();
                Running {
                    double,
                    payments: Box::new(move || state.payments()),
                    settle: Box::new(|| {}),
                    money: Box::new(move |id| {
                        view.transaction(id).map(|t| Money {
                            captured: cents(&t.captured),
                            refunded: cents(&t.refunded),
                            voided: t.condition == "canceled",
                        })
                    }),
                }
            }
            Self::AuthorizeNet => {
                let (double, ledger) = openflex_gateway_doubles::authorizenet::start().await;
                let (batch, view) = (ledger.clone(), ledger.clone());
                Running {
                    double,
                    payments: Box::new(move || ledger.payments()),
                    settle: Box::new(move || batch.settle()),
                    money: Box::new(move |id| {
                        view.transaction(id)
                            .map(|(status, captured, refunded)| Money {
                                captured,
                                refunded,
                                voided: status == "voided",
                            })
                    }),
                }
            }
        }
    }

    /// The server, pointed at `double`.
    pub async fn app(self, backend: Backend, double: &Running) -> TestApp {
        let url = double.double.url.clone();
        spawn_app_with(backend, |c| {
            let urls = &mut c.gateway_base_urls;
            match self {
                Self::Stripe => urls.stripe = Some(url),
                Self::Adyen => urls.adyen = Some(format!("{url}/v71")),
                Self::Nmi => urls.nmi = Some(url),
                Self::AuthorizeNet => urls.authorizenet = Some(format!("{url}/xml/v1/request.api")),
            }
        })
        .await
    }
}

/// A live merchant with one gateway of `gw`'s type; returns its FlexPay key.
pub(crate) async fn live_merchant(app: &TestApp, gw: Gw) -> String {
    live_merchant_with(app, gw).await.0
}

/// A live merchant with one gateway of `gw`'s type: its FlexPay key and all its credentials.
pub(crate) async fn live_merchant_with(app: &TestApp, gw: Gw) -> (String, Merchant) {
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
    (m.api_key.clone(), m)
}

/// A sandbox merchant whose only gateway is of `gw`'s type with test keys: how a merchant
/// stages live processing, with the sandbox's test clock.
pub(crate) async fn staged_sandbox_merchant(app: &TestApp, gw: Gw) -> Merchant {
    staged_sandbox_merchant_with(app, gw, gw.settings()).await.0
}

/// [`staged_sandbox_merchant`] whose gateway has `settings`; returns the gateway's token too.
pub(crate) async fn staged_sandbox_merchant_with(
    app: &TestApp,
    gw: Gw,
    settings: Value,
) -> (Merchant, String) {
    let m = app.new_merchant("sandbox").await;
    let (_, list) = app.get_as(&m.api_key, "/v1/gateways").await;
    for g in list["gateways"].as_array().into_iter().flatten() {
        let token = g["gatewayToken"].as_str().unwrap();
        let resp = app
            .client
            .delete(app.url(&format!("/v1/gateways/{token}")))
            .header("Authorization", TestApp::basic(&m.api_key))
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "{}", resp.status());
    }
    let (status, v) = app
        .post_as(
            &m.api_key,
            "/v1/gateways",
            json!({"gateway": {"name": "test keys", "gatewayType": gw.gateway_type(),
                "settings": settings}}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{v}");
    let token = v["gateway"]["gatewayToken"]
        .as_str()
        .expect("gatewayToken")
        .to_string();
    (m, token)
}

/// Declares each named `async fn(Gw, Backend)` as one test per gateway and backend: all four
/// gateways, or those listed first (`live!([stripe: Stripe, adyen: Adyen]; name, …)`).
#[macro_export]
macro_rules! live {
    (@one $name:ident; [$($gw:ident: $variant:ident),* $(,)?]) => { $(
        mod $gw {
            use $crate::helpers::Backend;
            use $crate::live::Gw;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() { super::super::$name(Gw::$variant, Backend::Sqlite).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() { super::super::$name(Gw::$variant, Backend::Postgres).await }
        }
    )* };
    ($gateways:tt; $($name:ident),* $(,)?) => { $(
        mod $name {
            $crate::live!(@one $name; $gateways);
        }
    )* };
    ($($name:ident),* $(,)?) => {
        $crate::live!([stripe: Stripe, adyen: Adyen, nmi: Nmi, authorizenet: AuthorizeNet];
            $($name),*);
    };
}
