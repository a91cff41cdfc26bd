//! Gateway connectors: the engine's [`Connector`] trait spoken in each gateway's own public API.
//! Each gateway lives in one module with its wire types, its request building and its answer
//! reading; the FlexPay code every answer maps to comes from the domain's gateway-code tables,
//! so retry behaviour is decided in one place, not per connector.
//!
//! Base URLs are the gateways' real ones. Only the operator overrides them (the TOML file or
//! `OPENFLEX_GATEWAY_URL_*`), for tests and private deployments: a merchant setting could send
//! card data anywhere.

pub mod adyen;
pub mod authorizenet;
pub mod nmi;
mod signature;
pub mod stripe;
pub mod wire;

use openflex_engine::connector::{Connector, Connectors};
use std::sync::Arc;
use std::time::Duration;

/// Operator settings of every connector.
#[derive(Debug, Clone)]
pub struct ConnectorConfig {
    pub base_urls: BaseUrls,
    /// Time to open a connection to a gateway.
    pub connect_timeout: Duration,
    /// Time for a whole call, from sending the request to the last byte of the answer.
    pub timeout: Duration,
}

impl Default for ConnectorConfig {
    fn default() -> Self {
        Self {
            base_urls: BaseUrls::default(),
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(30),
        }
    }
}

/// Replacement API roots, per gateway type; `None` is the gateway's real URL.
#[derive(Debug, Clone, Default)]
pub struct BaseUrls {
    pub stripe: Option<String>,
    pub adyen: Option<String>,
    pub nmi: Option<String>,
    pub authorizenet: Option<String>,
}

/// The sandbox and every live connector.
pub fn all(config: &ConnectorConfig) -> Connectors {
    let mut connectors = Connectors::default();
    for c in live(config) {
        connectors.add(c);
    }
    connectors
}

fn live(config: &ConnectorConfig) -> Vec<Arc<dyn Connector>> {
    vec![
        Arc::new(stripe::StripeConnector::new(config)),
        Arc::new(adyen::AdyenConnector::new(config)),
        Arc::new(nmi::NmiConnector::new(config)),
        Arc::new(authorizenet::AuthorizeNetConnector::new(config)),
    ]
}
