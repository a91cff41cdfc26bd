//! An optional PostgreSQL read replica for reads that tolerate lag (`database_read_url`).
//!
//! Why: lists and dashboards are most of a busy merchant's reads and none of them decides
//! money, so a streaming standby can serve them and leave the primary's connections to
//! payments. Only the store methods that list (FlexPay's transaction list, FlexFactor's order
//! list, Flexiti's ledger lists) or draw portal pages (search, overview, recovery view) read
//! through [`on_read!`]; everything that decides — a payment method before a charge, a
//! transaction before a refund, an idempotency key — reads the primary, so a lagging replica
//! can show a list a moment old but never make a payment act on a stale row.
//!
//! The replica's sessions are read-only (`default_transaction_read_only`), so a URL that names
//! a primary by mistake still cannot be written through. A replica that cannot answer (down,
//! restarting, a query cancelled by a conflict with recovery) is not an outage: the read runs
//! on the primary instead, and the replica rests for a few seconds before it is tried again,
//! so that each read does not pay a connect timeout while it is away.

use crate::{Pool, Result, StoreError};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a replica that failed is passed over.
const REST: Duration = Duration::from_secs(5);

pub(crate) struct Replica {
    pool: Pool,
    resting_until: Mutex<Option<Instant>>,
}

impl Replica {
    /// A lazily connected, read-only pool on `url`; nothing is dialled until the first read.
    pub(crate) fn new(url: &str, max_connections: u32) -> Result<Self> {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(StoreError::Unavailable(
                "database_read_url: must be a postgres:// URL".into(),
            ));
        }
        let opts = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(format!("database_read_url: {e}")))?
            .options([("default_transaction_read_only", "on")]);
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(2))
            .connect_lazy_with(opts);
        Ok(Self {
            pool: Pool::Pg(pool),
            resting_until: Mutex::new(None),
        })
    }

    /// The replica's pool, unless it is resting after a failure.
    pub(crate) fn pool(&self) -> Option<&Pool> {
        let mut resting = self.resting_until.lock().ok()?;
        match *resting {
            Some(until) if Instant::now() < until => None,
            Some(_) => {
                *resting = None;
                Some(&self.pool)
            }
            None => Some(&self.pool),
        }
    }

    /// Notes a read the replica could not answer; it rests for [`REST`].
    pub(crate) fn failed(&self, e: &sqlx::Error) {
        tracing::warn!(error = %e, "read replica unavailable; reading from the primary");
        if let Ok(mut resting) = self.resting_until.lock() {
            *resting = Some(Instant::now() + REST);
        }
    }

    pub(crate) async fn close(&self) {
        if let Pool::Pg(p) = &self.pool {
            p.close().await;
        }
    }
}

/// Whether a failed read says the replica could not answer, rather than that the query is
/// wrong (which the primary would refuse as well): the database is away
/// ([`crate::database_away`]), or a standby cancelled the query for a conflict with recovery
/// (40001).
pub(crate) fn unanswered(e: &sqlx::Error) -> bool {
    crate::database_away(e)
        || matches!(e, sqlx::Error::Database(d) if d.code().as_deref() == Some("40001"))
}

/// [`on_pool!`] for a read that tolerates lag: on the read replica when one is configured and
/// answering, else (or when it fails to answer) on the primary. `$store` is a `&Store`.
macro_rules! on_read {
    ($store:expr, $c:ident => $body:expr) => {{
        let store: &$crate::Store = $store;
        match store.replica.as_ref().and_then(|r| r.pool()) {
            Some(replica) => match $crate::on_pool!(replica, $c => $body) {
                Err(e) if $crate::read_replica::unanswered(&e) => {
                    if let Some(r) = &store.replica {
                        r.failed(&e);
                    }
                    $crate::on_pool!(&store.pool, $c => $body)
                }
                other => other,
            },
            None => $crate::on_pool!(&store.pool, $c => $body),
        }
    }};
}

pub(crate) use on_read;
