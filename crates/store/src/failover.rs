//! Several PostgreSQL hosts in one URL, as libpq accepts them
//! (`postgres://u@h1:5433,h2:5434/db?target_session_attrs=read-write`), so that a node finds a
//! promoted standby by itself instead of waiting for someone to edit its configuration.
//!
//! sqlx dials one host per pool, but re-reads the pool's connect options before every dial
//! and retries when `after_connect` refuses a connection. So the pool always dials "the current
//! host", and a monitor task owned by the store decides which host that is: it keeps one
//! connection to the current host, asks it every [`TICK`] whether it still accepts writes and,
//! when it does not (or is gone), walks the list in order and points the pool at the first
//! host that does. Dials already waiting on the dead host land on the new one at their next
//! retry. Connections made before a switch are dropped when next acquired, and a new
//! connection that lands on a read-only server is refused (and wakes the monitor), so no
//! statement runs on a standby.

use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// How often the monitor asks the current host whether it still takes writes: the bound on
/// how long a node keeps dialling a dead primary after a standby was promoted.
const TICK: Duration = Duration::from_millis(250);
/// How long one host may take to accept a connection, or to answer the check, during a walk.
const DIAL: Duration = Duration::from_secs(2);

/// libpq's `target_session_attrs`, the two values openflex can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SessionAttrs {
    /// The first host that accepts a connection.
    Any,
    /// The first host that accepts writes (libpq's `read-write`, and `primary`).
    ReadWrite,
}

/// A PostgreSQL URL split into one connect option per host. No `Debug` derive: the options
/// hold the password (see the manual impl below).
pub(crate) struct Target {
    pub hosts: Vec<PgConnectOptions>,
    pub attrs: SessionAttrs,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hosts: Vec<String> = self
            .hosts
            .iter()
            .map(|h| format!("{}:{}", h.get_host(), h.get_port()))
            .collect();
        f.debug_struct("Target")
            .field("hosts", &hosts)
            .field("attrs", &self.attrs)
            .finish()
    }
}

impl Target {
    /// Whether this URL needs the monitor: a plain single-host URL keeps sqlx's own behaviour.
    pub fn needs_monitor(&self) -> bool {
        self.hosts.len() > 1 || self.attrs == SessionAttrs::ReadWrite
    }
}

/// Splits `postgres://[userinfo@]h1[:p1],h2[:p2]/db?params` into one URL per host;
/// `target_session_attrs` is taken out of the query (sqlx does not know it).
pub(crate) fn parse(url: &str) -> Result<Target, String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| "database_url: missing scheme".to_string())?;
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (userinfo, hostlist) = match authority.rsplit_once('@') {
        Some((u, h)) => (format!("{u}@"), h),
        None => (String::new(), authority),
    };
    let (path, query) = tail.split_once('?').unwrap_or((tail, ""));
    let mut attrs = SessionAttrs::Any;
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("target_session_attrs", v)) => {
                attrs = match v {
                    "any" => SessionAttrs::Any,
                    "read-write" | "primary" => SessionAttrs::ReadWrite,
                    other => {
                        return Err(format!(
                            "database_url: target_session_attrs={other} is not supported \
                             (use any or read-write)"
                        ));
                    }
                }
            }
            _ => kept.push(pair),
        }
    }
    let query = if kept.is_empty() {
        String::new()
    } else {
        format!("?{}", kept.join("&"))
    };
    let hosts = hostlist
        .split(',')
        .map(|host| {
            if host.is_empty() && hostlist.contains(',') {
                return Err("database_url: empty host in the host list".to_string());
            }
            PgConnectOptions::from_str(&format!("{scheme}://{userinfo}{host}{path}{query}"))
                .map_err(|e| format!("database_url: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Target { hosts, attrs })
}

/// Whether the server behind `conn` is what `attrs` asks for.
pub(crate) async fn suits(conn: &mut PgConnection, attrs: SessionAttrs) -> sqlx::Result<bool> {
    match attrs {
        SessionAttrs::Any => conn.ping().await.map(|()| true),
        SessionAttrs::ReadWrite => {
            let read_only: bool = sqlx::query_scalar(
                "SELECT pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on'",
            )
            .fetch_one(&mut *conn)
            .await?;
            Ok(!read_only)
        }
    }
}

/// Shared between the pool's callbacks and the monitor.
pub(crate) struct Failover {
    target: Target,
    /// When the pool was last pointed at another host: connections older than that are dropped.
    switched: Mutex<Instant>,
    wake: Notify,
    /// Set while no host suits the attributes (the monitor's last walk found none).
    lost: AtomicBool,
}

impl Failover {
    pub fn new(target: Target) -> Arc<Self> {
        Arc::new(Self {
            target,
            switched: Mutex::new(Instant::now()),
            wake: Notify::new(),
            lost: AtomicBool::new(false),
        })
    }

    pub fn lost(&self) -> bool {
        self.lost.load(Ordering::Relaxed)
    }

    pub fn attrs(&self) -> SessionAttrs {
        self.target.attrs
    }

    /// What to say when no host suits the attributes.
    pub fn none_suits(&self) -> &'static str {
        match self.attrs() {
            SessionAttrs::ReadWrite => "no PostgreSQL host in database_url accepts writes",
            SessionAttrs::Any => "no PostgreSQL host in database_url accepts connections",
        }
    }

    /// Whether a pooled connection of `age` was made before the last switch of host.
    pub fn predates_switch(&self, age: Duration) -> bool {
        let switched = *self.switched.lock().unwrap_or_else(|e| e.into_inner());
        age > switched.elapsed()
    }

    /// Asks the monitor to check the current host now.
    pub fn suspect(&self) {
        self.wake.notify_one();
    }

    /// The first host, in the URL's order, that accepts a connection suiting the attributes,
    /// with that connection.
    pub async fn walk(&self) -> Option<(usize, PgConnection)> {
        for (i, opts) in self.target.hosts.iter().enumerate() {
            let Ok(Ok(mut conn)) =
                tokio::time::timeout(DIAL, PgConnection::connect_with(opts)).await
            else {
                continue;
            };
            if let Ok(Ok(true)) = tokio::time::timeout(DIAL, suits(&mut conn, self.attrs())).await {
                return Some((i, conn));
            }
            let _ = conn.close_hard().await;
        }
        None
    }

    pub fn host(&self, i: usize) -> &PgConnectOptions {
        &self.target.hosts[i]
    }

    fn describe(&self, i: usize) -> String {
        let h = &self.target.hosts[i];
        format!("{}:{}", h.get_host(), h.get_port())
    }

    /// Keeps the pool on a host that suits the attributes until the pool is closed. `current`
    /// is the host the pool dials now and `conn` the monitor's connection to it.
    pub async fn monitor(self: Arc<Self>, pool: PgPool, mut current: usize, conn: PgConnection) {
        let mut conn = Some(conn);
        loop {
            tokio::select! {
                () = tokio::time::sleep(TICK) => {}
                () = self.wake.notified() => {}
            }
            if pool.is_closed() {
                break;
            }
            if let Some(c) = conn.as_mut()
                && let Ok(Ok(true)) = tokio::time::timeout(DIAL, suits(c, self.attrs())).await
            {
                continue;
            }
            if let Some(c) = conn.take() {
                let _ = c.close_hard().await;
            }
            let Some((i, c)) = self.walk().await else {
                // Said once per outage, not once per tick.
                if !self.lost.swap(true, Ordering::Relaxed) {
                    tracing::error!("{}", self.none_suits());
                }
                continue;
            };
            self.lost.store(false, Ordering::Relaxed);
            conn = Some(c);
            if i != current {
                tracing::warn!(
                    from = %self.describe(current),
                    to = %self.describe(i),
                    "PostgreSQL primary moved; the pool now dials the new host"
                );
                pool.set_connect_options(self.host(i).clone());
                *self.switched.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
                current = i;
            }
        }
        if let Some(c) = conn {
            let _ = c.close().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_list_becomes_one_option_per_host_in_order() {
        let t = parse(
            "postgres://app:s3cret@h1:5433,h2:5434,h3/pay?sslmode=disable&target_session_attrs=read-write",
        )
        .unwrap();
        assert_eq!(t.attrs, SessionAttrs::ReadWrite);
        let hosts: Vec<_> = t
            .hosts
            .iter()
            .map(|h| (h.get_host().to_string(), h.get_port(), h.get_database()))
            .collect();
        assert_eq!(
            hosts,
            vec![
                ("h1".to_string(), 5433, Some("pay")),
                ("h2".to_string(), 5434, Some("pay")),
                ("h3".to_string(), 5432, Some("pay")),
            ]
        );
        assert!(t.hosts.iter().all(|h| h.get_username() == "app"));
        assert!(t.needs_monitor());
    }

    #[test]
    fn a_plain_url_is_one_host_without_monitor() {
        let t = parse("postgres://postgres@127.0.0.1:5432/openflex").unwrap();
        assert_eq!(t.hosts.len(), 1);
        assert_eq!(t.attrs, SessionAttrs::Any);
        assert!(!t.needs_monitor());
        let t = parse("postgresql://db.internal/openflex?target_session_attrs=primary").unwrap();
        assert_eq!(t.attrs, SessionAttrs::ReadWrite);
        assert!(t.needs_monitor());
    }

    #[test]
    fn unsupported_attributes_and_empty_hosts_are_named() {
        let e = parse("postgres://h1,h2/db?target_session_attrs=standby").unwrap_err();
        assert!(e.contains("target_session_attrs=standby"), "{e}");
        let e = parse("postgres://h1,,h2/db").unwrap_err();
        assert!(e.contains("empty host"), "{e}");
    }
}
