//! Configuration: defaults < TOML file (`--config`) < `OPENFLEX_*` environment < flags.
//! Secrets (admin token) come from the environment or the data directory, never the repo.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Config {
    pub bind: String,
    pub data_dir: PathBuf,
    /// `postgres://…` for PostgreSQL; unset means SQLite in `data_dir`.
    pub database_url: Option<String>,
    /// A PostgreSQL streaming replica for reads that tolerate lag (lists, portal pages);
    /// never for anything that decides money. Needs a PostgreSQL `database_url`.
    pub database_read_url: Option<String>,
    pub admin_token: Option<String>,
    pub max_connections: u32,
    /// `json` (default) or `pretty`.
    pub log_format: String,
    pub cvv_ttl_seconds: u64,
    pub cached_card_ttl_seconds: u64,
    /// Let webhooks (sandbox and live) target private, loopback and other special-purpose
    /// addresses, for a receiver on a developer's machine; the SSRF guard is on by default.
    pub allow_private_webhook_targets: bool,
    /// FlexFactor access-token lifetime.
    pub access_token_ttl_seconds: u64,
    /// FlexFactor capture window before an uncaptured authorization is voided.
    pub capture_window_seconds: u64,
    /// A client must send a request's headers within this time, or its connection is closed
    /// (slow-header / slowloris defence; bodies are bounded by the 30 s request timeout).
    pub header_read_timeout_seconds: u64,
    /// Peers whose `X-Forwarded-For`, `-Host` and `-Proto` are believed: IP addresses or CIDR
    /// blocks, as a list or one comma-separated string (the form an environment variable takes).
    #[serde(deserialize_with = "list_or_string")]
    pub trusted_proxies: Vec<String>,
    /// PEM certificate chain (leaf first) to serve HTTPS with, for a server with no
    /// TLS-terminating proxy in front; needs `tls_key`. Unset: plain HTTP.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of `tls_cert` (PKCS#8, PKCS#1 or SEC1).
    pub tls_key: Option<PathBuf>,
    /// Bearer token `GET /metrics` requires; unset (or blank) leaves the endpoint open.
    pub metrics_token: Option<String>,
    /// Replacement API roots of the live connectors, for tests and private deployments
    /// (`[gateway_base_urls] stripe = "…"`, or `OPENFLEX_GATEWAY_URL_STRIPE`). Unset is the
    /// gateway's real URL. Operator-only: no merchant API or portal page can change them.
    pub gateway_base_urls: GatewayBaseUrls,
    /// Time to open a connection to a gateway.
    pub gateway_connect_timeout_seconds: u64,
    /// Time for a whole gateway call; past it the outcome is unknown and inquired later.
    pub gateway_timeout_seconds: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GatewayBaseUrls {
    pub stripe: Option<String>,
    pub adyen: Option<String>,
    pub nmi: Option<String>,
    pub authorizenet: Option<String>,
}

/// A list, or one string of comma-separated items.
fn list_or_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Items {
        List(Vec<String>),
        Text(String),
    }
    let items = match Items::deserialize(d)? {
        Items::List(list) => list,
        Items::Text(text) => text.split(',').map(str::to_string).collect(),
    };
    Ok(items
        .into_iter()
        .map(|i| i.trim().to_string())
        .filter(|i| !i.is_empty())
        .collect())
}

/// Four database connections per core (at least 4, at most 64). More connections than the
/// machine can run at once only add context switches: on two cores, with 32 clients charging
/// vaulted cards against PostgreSQL, 8 connections served 3925–3930 payments/s with p99 11.7 ms
/// where 16 served 3290–3453 with p99 16.6–18.8 ms (docs/performance.md, optimisation 9).
fn default_pool_size() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get()) as u32;
    (4 * cores).clamp(4, 64)
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("openflex-data"),
            database_url: None,
            database_read_url: None,
            admin_token: None,
            max_connections: default_pool_size(),
            log_format: "json".into(),
            cvv_ttl_seconds: 3600,
            cached_card_ttl_seconds: 24 * 3600,
            allow_private_webhook_targets: false,
            access_token_ttl_seconds: 600,
            capture_window_seconds: 7 * 24 * 3600,
            header_read_timeout_seconds: 30,
            trusted_proxies: Vec::new(),
            tls_cert: None,
            tls_key: None,
            metrics_token: None,
            gateway_base_urls: GatewayBaseUrls::default(),
            gateway_connect_timeout_seconds: 5,
            gateway_timeout_seconds: 30,
        }
    }
}

/// Values given on the command line, applied last.
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
}

impl Config {
    pub fn load(file: Option<&Path>, overrides: Overrides) -> Result<Self, Box<figment::Error>> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        if let Some(f) = file {
            fig = fig.merge(Toml::file_exact(f));
        }
        fig.merge(Env::prefixed("OPENFLEX_"))
            .merge(
                Env::prefixed("OPENFLEX_GATEWAY_URL_")
                    .map(|k| format!("gateway_base_urls.{k}").into()),
            )
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(Box::new)
    }

    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(u) if !u.trim().is_empty() => u.clone(),
            _ => format!("sqlite://{}", self.data_dir.join("openflex.db").display()),
        }
    }

    pub fn key_file(&self) -> PathBuf {
        self.data_dir.join("master.key")
    }

    pub fn connectors(&self) -> openflex_connectors::ConnectorConfig {
        let urls = &self.gateway_base_urls;
        let url = |u: &Option<String>| {
            u.as_deref()
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .map(|u| u.trim_end_matches('/').to_string())
        };
        openflex_connectors::ConnectorConfig {
            base_urls: openflex_connectors::BaseUrls {
                stripe: url(&urls.stripe),
                adyen: url(&urls.adyen),
                nmi: url(&urls.nmi),
                authorizenet: url(&urls.authorizenet),
            },
            connect_timeout: std::time::Duration::from_secs(self.gateway_connect_timeout_seconds),
            timeout: std::time::Duration::from_secs(self.gateway_timeout_seconds),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trusted_proxies_are_a_list_or_a_comma_separated_string() {
        for toml in [
            r#"trusted_proxies = " 10.0.0.0/8, 127.0.0.1,""#,
            r#"trusted_proxies = ["10.0.0.0/8", "127.0.0.1"]"#,
        ] {
            let c: Config = Figment::from(Serialized::defaults(Config::default()))
                .merge(Toml::string(toml))
                .extract()
                .unwrap();
            assert_eq!(c.trusted_proxies, ["10.0.0.0/8", "127.0.0.1"], "{toml}");
        }
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail's own error type
    fn tls_files_come_from_the_file_or_the_environment() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("openflex.toml", "tls_cert = \"/etc/openflex/cert.pem\"")?;
            jail.set_env("OPENFLEX_TLS_KEY", "/etc/openflex/key.pem");
            let c = Config::load(Some(Path::new("openflex.toml")), Overrides::default())
                .map_err(|e| *e)?;
            assert_eq!(
                c.tls_cert.as_deref(),
                Some(Path::new("/etc/openflex/cert.pem"))
            );
            assert_eq!(
                c.tls_key.as_deref(),
                Some(Path::new("/etc/openflex/key.pem"))
            );
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail's own error type
    fn gateway_urls_come_from_the_file_or_the_environment() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "openflex.toml",
                "[gateway_base_urls]\nstripe = \"http://127.0.0.1:1/\"\nnmi = \"http://file\"",
            )?;
            jail.set_env("OPENFLEX_GATEWAY_URL_NMI", "http://env");
            jail.set_env("OPENFLEX_GATEWAY_URL_AUTHORIZENET", " ");
            let c = Config::load(Some(Path::new("openflex.toml")), Overrides::default())
                .map_err(|e| *e)?;
            let urls = c.connectors().base_urls;
            assert_eq!(urls.stripe.as_deref(), Some("http://127.0.0.1:1"));
            assert_eq!(urls.nmi.as_deref(), Some("http://env"));
            assert_eq!(urls.adyen, None);
            assert_eq!(urls.authorizenet, None);
            Ok(())
        });
    }
}
