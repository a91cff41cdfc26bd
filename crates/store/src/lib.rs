//! Storage behind one API, on SQLite (embedded default) or PostgreSQL (production).
//!
//! Why two typed pools instead of sqlx's `Any` driver: both engines keep their native
//! transaction semantics (SQLite `BEGIN IMMEDIATE` so a read→write upgrade cannot fail with
//! SQLITE_BUSY mid-transaction; PostgreSQL row locks), and the SQL text is shared because both
//! accept `$n` placeholders, `RETURNING` and `ON CONFLICT`. The only per-engine text is the DDL
//! in `migrations/{postgres,sqlite}`.
//!
//! Money invariants are guarded here, not only in the engine: follow-up operations reserve
//! their amount with a conditional `UPDATE … WHERE <invariant still holds>`, so concurrent
//! refunds or captures of one transaction cannot over-spend whatever the interleaving.

mod checkpoint;
mod config_cache;
mod credentials;
mod failover;
mod ff_refresh;
mod flexfactor;
mod flexiti;
mod gateway_events;
mod gateways;
mod group_commit;
mod idempotency;
mod jobs;
mod merchants;
mod network_ids;
mod payment_methods;
mod portal;
mod read_replica;
mod recovery;
mod sqlite_file;
mod transactions;
mod txn_search;
mod webhook_log;
mod webhooks;

pub use config_cache::{CachedCredential, CachedGateways, Versioned};
pub use credentials::CredentialRow;
pub use ff_refresh::Rotation;
pub use flexfactor::{OrderEventRow, OrderQuery, OrderRow};
pub use flexiti::{
    FlexitiAccountKey, FlexitiAccountRow, FlexitiApplicationRow, FlexitiAuthorizationRow,
    FlexitiCaptureRow, FlexitiListQuery, FlexitiTokenAuth, FlexitiTokenRow, FlexitiTransactionRow,
    FlexitiVerificationRow, FlexitiWidgetOutcome, FlexitiWidgetSessionRow,
};
pub use gateway_events::GatewayEventRow;
pub use gateways::GatewayRow;
pub use idempotency::{IdempotencyRow, KeyRef};
pub use jobs::JobRow;
pub use merchants::MerchantRow;
pub use payment_methods::{PaymentMethodForPayment, PaymentMethodRow};
pub use portal::{DayRescuedRow, DayStatsRow, PortalSessionRow, PortalUserRow};
pub use recovery::RecoveryChainRow;
pub use transactions::{ChainEnd, ListQuery, Reservation, TXN_COLUMNS, TxnRow};
pub use txn_search::{FoundCount, FoundPage, From as SearchFrom, TxnFilter};
pub use webhook_log::DeliveryFilter;
pub use webhooks::{WebhookAttemptRow, WebhookDeliveryRow, WebhookEndpointRow};

use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use std::time::Duration;
use thiserror::Error;

#[derive(Debug, Clone, Error)]
pub enum StoreError {
    #[error("a row with the same unique key already exists")]
    Conflict,
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Database(String),
    #[error("migration failed: {0}")]
    Migration(String),
    /// A guarded write found the configuration changed since the answers it relied on were
    /// read (see `config_cache`); nothing was written.
    #[error("the configuration changed while the request was served")]
    ConfigChanged,
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => Self::Conflict,
            _ if database_away(&e) => Self::Unavailable(e.to_string()),
            _ => Self::Database(e.to_string()),
        }
    }
}

/// Whether `e` says the database is away rather than the request wrong: PostgreSQL shutting
/// down or restarting (57P01 admin shutdown, 57P03 cannot connect now), connection trouble
/// (08xxx), exhausted resources (53xxx), a write that met a server gone read-only (25006, a
/// demoted primary), or no connection at all. Callers answer 503 and the pool reconnects.
pub(crate) fn database_away(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => db.code().is_some_and(|c| {
            c.starts_with("57") || c.starts_with("08") || c.starts_with("53") || c == "25006"
        }),
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => true,
        _ => false,
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

#[derive(Clone)]
pub enum Pool {
    Pg(PgPool),
    Sqlite(SqlitePool),
}

/// A write transaction. Commit explicitly; dropping it rolls back.
///
/// On SQLite the transaction also holds the process's writer gate (see [`Store::begin`]); it is
/// declared after the transaction so it is released after it.
pub enum Tx {
    Pg(sqlx::Transaction<'static, sqlx::Postgres>),
    Sqlite(
        sqlx::Transaction<'static, sqlx::Sqlite>,
        tokio::sync::OwnedMutexGuard<()>,
    ),
}

/// Runs `$body` with `$c` bound to the backend's executor; the SQL inside is shared.
macro_rules! on_pool {
    ($pool:expr, $c:ident => $body:expr) => {
        match $pool {
            $crate::Pool::Pg($c) => $body,
            $crate::Pool::Sqlite($c) => $body,
        }
    };
}

/// [`on_pool!`] for a statement that writes outside a [`Tx`]: on SQLite it queues at the
/// writer gate first. An autocommit write that met a gated transaction's lock instead would
/// sleep in SQLite's busy handler (1, 2, 5 … 100 ms steps) — the tail latency the gate exists
/// to remove. Never call it while holding a `Tx` (the gate is not reentrant).
macro_rules! on_write {
    ($store:expr, $c:ident => $body:expr) => {
        match &$store.pool {
            $crate::Pool::Pg($c) => $body,
            $crate::Pool::Sqlite($c) => {
                let _gate = $store.writer.lock().await;
                $body
            }
        }
    };
}

macro_rules! on_tx {
    ($tx:expr, $c:ident => $body:expr) => {
        match $tx {
            $crate::Tx::Pg(t) => {
                let $c = &mut **t;
                $body
            }
            $crate::Tx::Sqlite(t, _) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}

pub(crate) use read_replica::on_read;
pub(crate) use {on_pool, on_tx, on_write};

#[derive(Clone)]
pub struct Store {
    pool: Pool,
    /// SQLite has one writer per database. Writers queue here, in FIFO order, instead of
    /// colliding in `BEGIN IMMEDIATE`, where the loser sleeps in SQLite's busy handler (1, 2, 5,
    /// 10 … 100 ms steps) however soon the lock frees: that sleeping was most of the embedded
    /// backend's tail latency. Other processes on the same file still meet `busy_timeout`.
    writer: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// SQLite's group commit (see `group_commit` for why PostgreSQL goes without).
    group: Option<group_commit::GroupCommit>,
    /// SQLite's WAL checkpoints, off the writer's path (see `checkpoint`).
    checkpointer: Option<std::sync::Arc<checkpoint::Checkpointer>>,
    /// Credentials and gateways as last read (see `config_cache`).
    cache: std::sync::Arc<config_cache::ConfigCache>,
    /// PostgreSQL with several hosts or `target_session_attrs`: whether a primary answers.
    failover: Option<std::sync::Arc<failover::Failover>>,
    /// A streaming replica for reads that tolerate lag (see `read_replica`).
    replica: Option<std::sync::Arc<read_replica::Replica>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Store {
    /// `postgres://…` selects PostgreSQL; `sqlite://path` (or a bare path) selects SQLite.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self> {
        let mut failover = None;
        let pool = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let (pool, fo) = connect_pg(url, max_connections).await?;
            failover = fo;
            Pool::Pg(pool)
        } else {
            let path = url.strip_prefix("sqlite://").unwrap_or(url);
            sqlite_file::restrict(path.split('?').next().unwrap_or(path))
                .map_err(|e| StoreError::Unavailable(format!("database file: {e}")))?;
            let opts = checkpoint::without_auto_checkpoint(
                SqliteConnectOptions::new()
                    .filename(path)
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true),
            );
            Pool::Sqlite(
                SqlitePoolOptions::new()
                    .max_connections(max_connections)
                    .acquire_timeout(Duration::from_secs(10))
                    // A file cannot hang up: the per-acquire ping was a worker-thread round trip
                    // for nothing.
                    .test_before_acquire(false)
                    .connect_with(opts)
                    .await?,
            )
        };
        Ok(Self::with_pool(pool, failover, true))
    }

    /// A private SQLite database in memory, gone when the store closes: for scratch work such
    /// as the recovery simulator's shards. The schema, the statements, the writer gate and the
    /// group commit are a file database's; only durability is dropped, since nothing in it
    /// outlives the run — no file and no journal to write, and one page cache shared by every
    /// connection (a file database's connections each drop theirs whenever another writes).
    pub async fn connect_scratch(max_connections: u32) -> Result<Self> {
        static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let opts = SqliteConnectOptions::new()
            .filename(format!("file:openflex-scratch-{}-{n}", std::process::id()))
            .in_memory(true)
            .shared_cache(true)
            .journal_mode(SqliteJournalMode::Memory)
            .synchronous(SqliteSynchronous::Off)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .test_before_acquire(false)
            // The database lives as long as one connection to it is open.
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(opts)
            .await?;
        // No WAL, so nothing to checkpoint.
        Ok(Self::with_pool(Pool::Sqlite(pool), None, false))
    }

    fn with_pool(
        pool: Pool,
        failover: Option<std::sync::Arc<failover::Failover>>,
        wal: bool,
    ) -> Self {
        let writer: std::sync::Arc<tokio::sync::Mutex<()>> = Default::default();
        let store = Self {
            group: match &pool {
                Pool::Sqlite(p) => Some(group_commit::GroupCommit::start(
                    (*p.connect_options()).clone(),
                    writer.clone(),
                )),
                Pool::Pg(_) => None,
            },
            checkpointer: match &pool {
                Pool::Sqlite(p) if wal => Some(std::sync::Arc::new(
                    checkpoint::Checkpointer::start((*p.connect_options()).clone()),
                )),
                _ => None,
            },
            pool,
            writer,
            cache: Default::default(),
            failover,
            replica: None,
        };
        store.listen_for_config_changes();
        store
    }

    /// Sends the reads that tolerate lag (lists, portal pages) to the PostgreSQL replica at
    /// `url` (see `read_replica`). Only beside a PostgreSQL primary.
    pub fn with_read_replica(mut self, url: &str, max_connections: u32) -> Result<Self> {
        if self.backend() != Backend::Postgres {
            return Err(StoreError::Unavailable(
                "database_read_url: a read replica needs a PostgreSQL database_url".into(),
            ));
        }
        self.replica = Some(std::sync::Arc::new(read_replica::Replica::new(
            url,
            max_connections,
        )?));
        Ok(self)
    }

    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Pg(_) => Backend::Postgres,
            Pool::Sqlite(_) => Backend::Sqlite,
        }
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    pub async fn migrate(&self) -> Result<()> {
        match &self.pool {
            Pool::Pg(p) => sqlx::migrate!("./migrations/postgres")
                .run(p)
                .await
                .map_err(|e| StoreError::Migration(e.to_string())),
            Pool::Sqlite(p) => sqlx::migrate!("./migrations/sqlite")
                .run(p)
                .await
                .map_err(|e| StoreError::Migration(e.to_string())),
        }
    }

    /// Whether the database answers; with a host list, whether a primary does (known at once
    /// from the failover monitor, so a readiness probe does not wait out a dial).
    pub async fn ping(&self) -> Result<()> {
        if let Some(f) = self.failover.as_ref().filter(|f| f.lost()) {
            return Err(StoreError::Unavailable(f.none_suits().into()));
        }
        on_pool!(&self.pool, p => sqlx::query("SELECT 1").execute(p).await.map(|_| ()).map_err(Into::into))
    }

    pub async fn begin(&self) -> Result<Tx> {
        Ok(match &self.pool {
            Pool::Pg(p) => Tx::Pg(p.begin().await?),
            Pool::Sqlite(p) => {
                let gate = self.writer.clone().lock_owned().await;
                Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?, gate)
            }
        })
    }

    pub async fn close(&self) {
        self.cache.stop_listening();
        if let Some(group) = &self.group {
            group.close().await;
        }
        if let Some(c) = &self.checkpointer {
            c.close().await;
        }
        if let Some(r) = &self.replica {
            r.close().await;
        }
        on_pool!(&self.pool, p => p.close().await)
    }
}

/// The PostgreSQL pool. Several hosts, or `target_session_attrs=read-write`, bring in the
/// failover monitor (see `failover`): the pool starts on the first suitable host and follows
/// the primary from then on.
async fn connect_pg(
    url: &str,
    max_connections: u32,
) -> Result<(PgPool, Option<std::sync::Arc<failover::Failover>>)> {
    let target = failover::parse(url).map_err(StoreError::Unavailable)?;
    let watch = target.needs_monitor();
    let fo = failover::Failover::new(target);
    let (first, monitor_conn) = if watch {
        let (i, conn) = fo
            .walk()
            .await
            .ok_or_else(|| StoreError::Unavailable(fo.none_suits().into()))?;
        (i, Some(conn))
    } else {
        // One plain host: sqlx's own dialling and errors, as before.
        (0, None)
    };
    let (after, before) = (fo.clone(), fo.clone());
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .after_connect(move |conn, _| {
            let fo = after.clone();
            Box::pin(async move {
                if watch && !failover::suits(conn, fo.attrs()).await? {
                    fo.suspect();
                    return Err(sqlx::Error::Protocol(
                        "the server does not accept writes (target_session_attrs)".into(),
                    ));
                }
                Ok(())
            })
        })
        // sqlx pings every connection it hands out, one extra round trip per query. A
        // connection used within the last second is known alive; only older idle ones are
        // tested, so a database restart still costs no failed request.
        .test_before_acquire(false)
        .before_acquire(move |conn, meta| {
            let fo = before.clone();
            Box::pin(async move {
                if watch && fo.predates_switch(meta.age) {
                    return Ok(false);
                }
                if meta.idle_for > Duration::from_secs(1) {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
        .connect_with(fo.host(first).clone())
        .await?;
    match monitor_conn {
        Some(conn) => {
            tokio::spawn(fo.clone().monitor(pool.clone(), first, conn));
            Ok((pool, Some(fo)))
        }
        None => Ok((pool, None)),
    }
}

impl Tx {
    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Pg(t) => t.commit().await?,
            Tx::Sqlite(t, _gate) => t.commit().await?,
        }
        Ok(())
    }
}
