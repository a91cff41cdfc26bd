//! Use cases of openflex. Dialects (HTTP wire formats) call in with plain Rust requests and get
//! plain Rust results back; the engine never sees a JSON shape of a dialect, so a fourth
//! dialect does not touch this crate. Rules come from `openflex-domain`, persistence from
//! `openflex-store`, card crypto from `openflex-vault`, time from the [`Clock`].

pub mod clock;
pub mod connector;
pub mod financing;
pub mod flexfactor;
pub mod gateway_webhooks;
pub mod gateways;
pub mod idempotency;
pub mod ids;
mod key_usage;
pub mod keys;
pub mod model;
pub mod payment_methods;
pub mod payments;
pub mod portal;
pub mod recovery;
pub mod recovery_stats;
mod routing;
pub mod scheduler;
pub mod settings;
pub mod tenancy;
pub mod webhooks;

pub use clock::{Clock, ShiftedClock, SystemClock};
pub use model::*;

use openflex_store::{Store, StoreError};
use openflex_vault::{Vault, VaultError};
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;
use time::OffsetDateTime;

#[derive(Debug, Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("vault: {0}")]
    Vault(#[from] VaultError),
    #[error("not found")]
    NotFound,
    #[error("invalid input: {0}")]
    Invalid(String),
    #[error("internal: {0}")]
    Internal(String),
    /// The caller's credential stopped being valid while its request was served (revoked on
    /// another node a moment ago).
    #[error("unauthorized")]
    Unauthorized,
}

impl EngineError {
    /// Why the database cannot be reached, when that is the failure (every caller answers it
    /// 503, not as a fault of the request); callers ask this instead of matching store errors.
    pub fn unavailable(&self) -> Option<&str> {
        match self {
            Self::Store(StoreError::Unavailable(m)) => Some(m),
            _ => None,
        }
    }
}

pub type Result<T> = std::result::Result<T, EngineError>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    Sandbox,
    Live,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sandbox => "sandbox",
            Self::Live => "live",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "sandbox" => Some(Self::Sandbox),
            "live" => Some(Self::Live),
            _ => None,
        }
    }
}

/// Who is calling: one merchant in one mode. Every query is scoped by both.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub merchant_id: String,
    pub mode: Mode,
    /// Sandbox test clock offset; always 0 in live mode.
    pub clock_offset_us: i64,
    /// The merchant's retry policy (the documented defaults unless configured).
    pub retry_policy: openflex_domain::retry_policy::Policy,
    /// The merchant's risk rules (all off unless configured).
    pub risk_rules: openflex_domain::risk::RiskRules,
    /// The merchant's Flexiti plans, locations and permissions.
    pub flexiti: financing::FlexitiSettings,
    /// Set when this tenant came from the node's configuration cache (see
    /// [`Engine::authenticate_for_payment`]).
    pub(crate) cached: Option<CachedAuth>,
}

/// How a tenant read from the node's cache is checked again: the configuration generation its
/// answers were read at, which a payment's first write must still find, and the credential to
/// read afresh when it does not.
#[derive(Clone)]
pub(crate) struct CachedAuth {
    kind: &'static str,
    secret_hash: String,
    generation: i64,
}

impl std::fmt::Debug for CachedAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedAuth")
            .field("generation", &self.generation)
            .finish_non_exhaustive()
    }
}

/// Merchant settings kept as JSON on the merchant row.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MerchantSettings {
    pub retry_policy: openflex_domain::retry_policy::Policy,
    pub risk_rules: openflex_domain::risk::RiskRules,
    pub flexiti: financing::FlexitiSettings,
}

impl Tenant {
    /// A merchant in `mode`; only the sandbox follows the merchant's test clock.
    pub(crate) fn of(merchant: &openflex_store::MerchantRow, mode: Mode) -> Self {
        let settings: MerchantSettings =
            serde_json::from_str(&merchant.settings).unwrap_or_default();
        Self {
            merchant_id: merchant.id.clone(),
            mode,
            clock_offset_us: if mode == Mode::Sandbox {
                merchant.clock_offset_us
            } else {
                0
            },
            retry_policy: settings.retry_policy,
            risk_rules: settings.risk_rules,
            flexiti: settings.flexiti,
            cached: None,
        }
    }

    /// The configuration generation a payment's first write must still find, when this tenant
    /// came from the cache.
    pub(crate) fn guard(&self) -> Option<i64> {
        self.cached.as_ref().map(|c| c.generation)
    }
}

#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// How long a CVV stays in the vault when no transaction uses it.
    pub cvv_ttl: Duration,
    /// How long a card passed in without `retainOnSuccess` stays before it is redacted.
    pub cached_card_ttl: Duration,
    /// Let webhooks of either mode target private, loopback and other special-purpose addresses
    /// (a developer's local receiver). Off, the default: the SSRF guard of `webhooks::target`.
    pub allow_private_webhook_targets: bool,
    /// Lifetime of FlexFactor access tokens (10 minutes, as the vendor's).
    pub access_token_ttl: Duration,
    /// FlexFactor capture window: uncaptured authorizations are voided after it.
    pub capture_window: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            cvv_ttl: Duration::from_secs(3600),
            cached_card_ttl: Duration::from_secs(24 * 3600),
            allow_private_webhook_targets: false,
            access_token_ttl: Duration::from_secs(600),
            capture_window: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

#[derive(Clone)]
pub struct Engine {
    pub(crate) store: Store,
    pub(crate) vault: Vault,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) config: EngineConfig,
    pub(crate) ids: Arc<ids::IdGen>,
    pub(crate) connectors: connector::Connectors,
    pub(crate) http: reqwest::Client,
    pub(crate) geo: Arc<dyn openflex_domain::risk::GeoLookup>,
    /// When this node last wrote each credential's use (see `key_usage`).
    pub(crate) use_writes: Arc<key_usage::UseWrites>,
}

impl Engine {
    pub fn new(store: Store, vault: Vault, clock: Arc<dyn Clock>, config: EngineConfig) -> Self {
        let http = webhooks::http_client(config.allow_private_webhook_targets);
        Self {
            store,
            vault,
            clock,
            config,
            ids: Arc::new(ids::IdGen::default()),
            connectors: connector::Connectors::default(),
            http,
            geo: Arc::new(openflex_domain::risk::SandboxGeo),
            use_writes: Arc::default(),
        }
    }

    /// The gateway connectors (the sandbox alone unless given).
    pub fn with_connectors(mut self, connectors: connector::Connectors) -> Self {
        self.connectors = connectors;
        self
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    /// Real time (for things that are not a merchant's business clock).
    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// Id and time for a request a dialect refuses before calling a use case (it still gets a
    /// transaction id and the merchant's business time, like every other answer).
    /// A fresh id and the clock's time, for answers given before a tenant is known.
    pub fn untenanted_stamp(&self) -> (String, OffsetDateTime) {
        (self.ids.next(), self.clock.now())
    }

    pub fn stamp(&self, tenant: &Tenant) -> (String, OffsetDateTime) {
        (self.ids.next(), self.now_for(tenant))
    }

    /// The merchant's business time: real time plus the sandbox test-clock offset.
    pub fn now_for(&self, tenant: &Tenant) -> OffsetDateTime {
        self.clock.now() + time::Duration::microseconds(tenant.clock_offset_us)
    }
}

pub fn micros(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1000) as i64
}

pub fn from_micros(us: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}
