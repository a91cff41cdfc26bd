//! The `openflex` binary's library half: configuration, first-start bootstrap and the
//! [`Application`] that the CLI runs and the integration tests spawn on port 0.

pub mod bench;
mod bench_db;
pub mod bootstrap;
pub mod config;
mod serve;
pub mod simulate;
pub mod telemetry;
pub mod tls;

use anyhow::Context;
use config::Config;
use openflex_engine::tenancy::IssuedCredentials;
use openflex_engine::{Clock, Engine, EngineConfig, SystemClock};
use openflex_store::Store;
use openflex_vault::{KeyRing, Vault};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// Opens the store (running migrations) and the vault of a configuration.
pub async fn open_engine(config: &Config) -> anyhow::Result<Engine> {
    open_engine_with_clock(config, Arc::new(SystemClock)).await
}

/// [`open_engine`] on another clock: tests move real time with one.
pub async fn open_engine_with_clock(
    config: &Config,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<Engine> {
    bootstrap::ensure_data_dir(&config.data_dir)?;
    let (ring, _) = KeyRing::load_or_create(&config.key_file()).context("vault key ring")?;
    let mut store = Store::connect(&config.database_url(), config.max_connections)
        .await
        .context("connecting to the database")?;
    if let Some(url) = config
        .database_read_url
        .as_deref()
        .filter(|u| !u.trim().is_empty())
    {
        store = store
            .with_read_replica(url, config.max_connections)
            .context("the read replica")?;
    }
    store.migrate().await.context("running migrations")?;
    Ok(Engine::new(
        store,
        Vault::from_file(ring, config.key_file()),
        clock,
        EngineConfig {
            cvv_ttl: Duration::from_secs(config.cvv_ttl_seconds),
            cached_card_ttl: Duration::from_secs(config.cached_card_ttl_seconds),
            allow_private_webhook_targets: config.allow_private_webhook_targets,
            access_token_ttl: Duration::from_secs(config.access_token_ttl_seconds),
            capture_window: Duration::from_secs(config.capture_window_seconds),
        },
    )
    .with_connectors(openflex_connectors::all(&config.connectors())))
}

pub struct Application {
    listener: TcpListener,
    addr: SocketAddr,
    engine: Engine,
    admin_token: String,
    metrics_token: Option<String>,
    trusted_proxies: openflex_http::client::TrustedProxies,
    tls: Option<tokio_rustls::TlsAcceptor>,
    header_read_timeout: Duration,
    pub sandbox: IssuedCredentials,
    pub sandbox_portal: Option<bootstrap::PortalLogin>,
    pub first_start: bool,
    pub admin_token_created: bool,
}

impl Application {
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        Self::build_with_clock(config, Arc::new(SystemClock)).await
    }

    /// [`Application::build`] on another clock, for tests that move real time.
    pub async fn build_with_clock(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let trusted_proxies =
            openflex_http::client::TrustedProxies::parse(&config.trusted_proxies)?;
        let tls = tls::acceptor(config.tls_cert.as_deref(), config.tls_key.as_deref())?;
        let engine = open_engine_with_clock(config, clock).await?;
        let (admin_token, admin_token_created) = bootstrap::admin_token(config)?;
        let (sandbox, sandbox_portal, first_start) =
            bootstrap::sandbox_merchant(config, &engine).await?;
        let listener = TcpListener::bind(&config.bind)
            .await
            .with_context(|| format!("binding {}", config.bind))?;
        let addr = listener.local_addr()?;
        Ok(Self {
            listener,
            addr,
            engine,
            admin_token,
            metrics_token: config.metrics_token.clone(),
            trusted_proxies,
            tls,
            header_read_timeout: Duration::from_secs(config.header_read_timeout_seconds.max(1)),
            sandbox,
            sandbox_portal,
            first_start,
            admin_token_created,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `https://…` when openflex terminates TLS itself, else `http://…`.
    pub fn base_url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// Serves until `shutdown` resolves, then finishes in-flight requests.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let state = openflex_http::AppState::new(
            self.engine.clone(),
            &self.admin_token,
            self.metrics_token.as_deref(),
            self.trusted_proxies.clone(),
        );
        let budgets = state.failed_auth.clone();
        let app = openflex_http::app(state);
        let housekeeping = tokio::spawn(housekeeping(self.engine.clone(), budgets));
        let worker = tokio::spawn(work(self.engine.clone(), worker_name()));
        serve::serve(
            self.listener,
            app,
            self.header_read_timeout,
            self.tls,
            shutdown,
        )
        .await;
        housekeeping.abort();
        worker.abort();
        self.engine.store().close().await;
        Ok(())
    }
}

/// Settles attempts a crash left pending, publishes queue metrics, sweeps expired portal
/// sessions and FlexFactor refresh-token families, and forgets failed-auth budgets that have
/// refilled.
async fn housekeeping(engine: Engine, budgets: openflex_http::auth_limit::AuthBudgets) {
    let mut tick = tokio::time::interval(Duration::from_secs(30));
    loop {
        tick.tick().await;
        if let Err(e) = engine.record_queue_metrics().await {
            tracing::warn!(error = %e, "queue metrics failed");
        }
        match engine.recover_pending(Duration::from_secs(300)).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(
                count = n,
                "settled attempts left pending by an earlier crash"
            ),
            Err(e) => tracing::warn!(error = %e, "pending recovery failed"),
        }
        if let Err(e) = engine.portal_sweep().await {
            tracing::warn!(error = %e, "portal session sweep failed");
        }
        if let Err(e) = engine.ff_refresh_sweep().await {
            tracing::warn!(error = %e, "FlexFactor refresh-token sweep failed");
        }
        budgets.forget_recovered();
    }
}

/// A name for this process in job leases (host and pid).
pub fn worker_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "local".into());
    format!("{host}:{}", std::process::id())
}

/// The job worker loop: claims due jobs in batches, sleeps briefly when there are none.
pub async fn work(engine: Engine, name: String) {
    loop {
        match engine.run_due_jobs(&name, None, 32).await {
            Ok(ran) if !ran.is_empty() => {
                for r in &ran {
                    tracing::info!(job = %r.id, kind = %r.kind, outcome = %r.outcome, detail = %r.detail, "job ran");
                }
                continue;
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "claiming jobs failed"),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}
