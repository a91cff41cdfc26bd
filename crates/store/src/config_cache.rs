//! What a node keeps of the rarely changing configuration a payment reads — credential →
//! merchant, and a merchant's gateways — so a charge does not ask the database for them every
//! time.
//!
//! Correctness does not rest on invalidation. Every cached answer carries the *configuration
//! generation* it was read at (a counter that triggers raise on any change to credentials,
//! merchants or gateways, in the changing transaction), and a payment that used cached answers
//! makes its first write conditional on that generation being unchanged, in the same statement
//! ([`Store::insert_txn_alone_guarded`], [`Store::insert_txn_guarded`]). A change this node has
//! not heard of — made by another node, by the CLI on the same SQLite file, or while the
//! notification channel was down — makes that write fail with [`StoreError::ConfigChanged`]
//! before any money moves; the engine then reads everything afresh.
//!
//! Invalidation keeps that rare: this node's own changes drop the entries at once, and on
//! PostgreSQL a listener on the `openflex_config` channel drops them when another node commits
//! a change (and whenever its connection was lost, since notifications may have been missed).
//!
//! [`StoreError::ConfigChanged`]: crate::StoreError::ConfigChanged

use crate::{CredentialRow, GatewayRow, MerchantRow, Pool, Result, Store, on_pool};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Entries kept at most per map; past that the map starts over (a bound, not an eviction
/// policy: a node serves far fewer merchants than this).
const MAX_ENTRIES: usize = 10_000;

/// A cached answer with the configuration generation it was read at.
#[derive(Debug, Clone)]
pub struct Versioned<T> {
    pub value: T,
    pub generation: i64,
}

/// A credential with its merchant, as cached.
pub type CachedCredential = Versioned<Arc<(CredentialRow, MerchantRow)>>;
/// A merchant's gateways in one mode, as cached.
pub type CachedGateways = Versioned<Arc<Vec<GatewayRow>>>;

#[derive(Default)]
pub(crate) struct ConfigCache {
    /// Raised by every invalidation; an answer read before a raise is not kept.
    epoch: AtomicU64,
    credentials: Mutex<HashMap<String, CachedCredential>>,
    gateways: Mutex<HashMap<(String, String), CachedGateways>>,
    listener: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl ConfigCache {
    pub(crate) fn invalidate(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        lock(&self.credentials).clear();
        lock(&self.gateways).clear();
    }

    fn keep<K: std::hash::Hash + Eq, V>(
        &self,
        map: &Mutex<HashMap<K, V>>,
        read_at_epoch: u64,
        key: K,
        value: V,
    ) {
        let mut map = lock(map);
        // An invalidation while the answer was being read may have been about it.
        if self.epoch.load(Ordering::SeqCst) != read_at_epoch {
            return;
        }
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(key, value);
    }

    pub(crate) fn stop_listening(&self) {
        if let Some(task) = lock(&self.listener).take() {
            task.abort();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

const GENERATION: &str = "(SELECT generation FROM config_generation WHERE id = 1)";

impl Store {
    /// [`Store::credential_by_secret`] through the cache, with the generation it was read at.
    pub async fn cached_credential(
        &self,
        kind: &str,
        secret_hash: &str,
    ) -> Result<Option<CachedCredential>> {
        if let Some(hit) = lock(&self.cache.credentials).get(secret_hash) {
            return Ok((hit.value.0.kind == kind).then(|| hit.clone()));
        }
        let epoch = self.cache.epoch.load(Ordering::SeqCst);
        let Some((found, generation)) = self.credential_with_generation(secret_hash).await? else {
            return Ok(None);
        };
        let entry = Versioned {
            value: Arc::new(found),
            generation,
        };
        self.cache.keep(
            &self.cache.credentials,
            epoch,
            secret_hash.to_string(),
            entry.clone(),
        );
        Ok((entry.value.0.kind == kind).then_some(entry))
    }

    /// The merchant's gateways in `mode` (as [`Store::gateways`]) through the cache. An entry
    /// read at another generation than `generation` is read again: a payment's answers must all
    /// come from one generation for its guarded write to vouch for them.
    pub async fn cached_gateways(
        &self,
        merchant_id: &str,
        mode: &str,
        generation: i64,
    ) -> Result<CachedGateways> {
        let key = (merchant_id.to_string(), mode.to_string());
        if let Some(hit) = lock(&self.cache.gateways).get(&key)
            && hit.generation == generation
        {
            return Ok(hit.clone());
        }
        let epoch = self.cache.epoch.load(Ordering::SeqCst);
        let (rows, read_at) = self.gateways_with_generation(merchant_id, mode).await?;
        let entry = Versioned {
            value: Arc::new(rows),
            generation: read_at,
        };
        self.cache
            .keep(&self.cache.gateways, epoch, key, entry.clone());
        Ok(entry)
    }

    /// Drops every cached answer: this node changed the configuration, or learned that it may
    /// have changed.
    pub fn config_changed(&self) {
        self.cache.invalidate();
    }

    /// The configuration generation now.
    pub async fn config_generation(&self) -> Result<i64> {
        Ok(on_pool!(&self.pool, p => sqlx::query_scalar::<_, i64>(
            "SELECT generation FROM config_generation WHERE id = 1")
            .fetch_one(p).await)?)
    }

    /// On PostgreSQL, listens for other nodes' changes (see the module docs). A second
    /// connection, outside the pool, so the listener never takes a request's connection.
    pub(crate) fn listen_for_config_changes(&self) {
        let Pool::Pg(pool) = &self.pool else {
            return;
        };
        let pool = pool.clone();
        let cache = Arc::downgrade(&self.cache);
        let task = tokio::spawn(async move {
            loop {
                // Dialled afresh each time from the pool's current options: after a failover
                // they name the new primary.
                let own = sqlx::postgres::PgPoolOptions::new()
                    .max_connections(1)
                    .connect_lazy_with((*pool.connect_options()).clone());
                let listener = async {
                    let mut l = sqlx::postgres::PgListener::connect_with(&own).await?;
                    l.listen("openflex_config").await?;
                    Ok::<_, sqlx::Error>(l)
                };
                if let Ok(mut listener) = listener.await {
                    // Changes made before the LISTEN took effect were not announced.
                    match cache.upgrade() {
                        Some(c) => c.invalidate(),
                        None => return,
                    }
                    loop {
                        let heard = listener.try_recv().await;
                        let Some(c) = cache.upgrade() else { return };
                        c.invalidate();
                        if !matches!(heard, Ok(Some(_))) {
                            // The connection was lost (notifications with it): dial again.
                            break;
                        }
                    }
                }
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
        });
        *lock(&self.cache.listener) = Some(task);
    }

    /// The active credential whose secret hashes to `secret_hash`, with its merchant and the
    /// configuration generation, in one statement.
    pub(crate) async fn credential_with_generation(
        &self,
        secret_hash: &str,
    ) -> Result<Option<((CredentialRow, MerchantRow), i64)>> {
        #[derive(sqlx::FromRow)]
        struct Joined {
            #[sqlx(flatten)]
            cred: CredentialRow,
            m_name: String,
            m_clock_offset_us: i64,
            m_created_at: i64,
            m_settings: String,
            generation: i64,
        }
        let row = on_pool!(&self.pool, p => sqlx::query_as::<_, Joined>(sqlx::AssertSqlSafe(format!(
            "SELECT c.id, c.merchant_id, c.mode, c.kind, c.public_id, c.secret_hash, c.sealed_secret, c.kek_version, \
             c.created_at, c.revoked_at, c.trusted_networks, c.name, c.preview, m.name AS m_name, m.clock_offset_us AS m_clock_offset_us, \
             m.created_at AS m_created_at, m.settings AS m_settings, {GENERATION} AS generation \
             FROM credentials c JOIN merchants m ON m.id = c.merchant_id \
             WHERE c.secret_hash = $1 AND c.revoked_at IS NULL")))
            .bind(secret_hash).fetch_optional(p).await)?;
        Ok(row.map(|j| {
            let merchant = MerchantRow {
                id: j.cred.merchant_id.clone(),
                name: j.m_name,
                clock_offset_us: j.m_clock_offset_us,
                created_at: j.m_created_at,
                settings: j.m_settings,
            };
            ((j.cred, merchant), j.generation)
        }))
    }

    /// The generation is read first: the gateways read after it are at least that new, so an
    /// entry can only claim an older generation than its data, which fails the guard safely.
    async fn gateways_with_generation(
        &self,
        merchant_id: &str,
        mode: &str,
    ) -> Result<(Vec<GatewayRow>, i64)> {
        let generation = self.config_generation().await?;
        Ok((self.gateways(merchant_id, mode).await?, generation))
    }
}
