//! SQLite's WAL checkpoints, run beside the writer instead of inside it.
//!
//! Why: by default the connection whose commit pushes the WAL past 1 000 pages copies the WAL
//! back into the database file and syncs it, before its caller hears "committed". With group
//! commit that connection is the one writer every payment waits on, so every few hundred
//! payments a whole batch waited for a checkpoint (docs/performance.md, session 12, has the
//! measurements: a tail effect at most, within run-to-run spread on a quiet machine). Here
//! every connection of the store is opened with automatic checkpoints off, and one connection
//! of its own checkpoints in `PASSIVE` mode on a short interval: a passive checkpoint never
//! waits for the writer nor makes it wait, so commits stay a WAL append.
//!
//! Nothing about durability changes: a commit is durable once in the WAL, checkpointed or not.
//! The WAL may grow while readers hold old snapshots, exactly as with automatic checkpoints,
//! and shrinks back once a checkpoint completes with no reader left on it. The last connection
//! to close still checkpoints the whole WAL, so a closed store leaves one file.

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};
use std::time::Duration;
use tokio::sync::oneshot;

/// How often the WAL is copied back: often enough that it stays a few megabytes at thousands
/// of payments per second, rarely enough that an idle store does nothing measurable.
const INTERVAL: Duration = Duration::from_millis(250);

/// The options every connection of the store uses: automatic checkpoints off.
pub(crate) fn without_auto_checkpoint(opts: SqliteConnectOptions) -> SqliteConnectOptions {
    opts.pragma("wal_autocheckpoint", "0")
}

/// The running checkpointer; [`Checkpointer::close`] stops it and closes its connection.
pub(crate) struct Checkpointer {
    stop: std::sync::Mutex<Option<oneshot::Sender<oneshot::Sender<()>>>>,
}

impl Checkpointer {
    pub(crate) fn start(opts: SqliteConnectOptions) -> Self {
        let (stop, mut stopped) = oneshot::channel::<oneshot::Sender<()>>();
        tokio::spawn(async move {
            let mut conn: Option<SqliteConnection> = None;
            let mut tick = tokio::time::interval(INTERVAL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let ack = loop {
                tokio::select! {
                    ack = &mut stopped => break ack.ok(),
                    _ = tick.tick() => {}
                }
                if conn.is_none() {
                    conn = opts.connect().await.ok();
                }
                if let Some(c) = conn.as_mut()
                    && let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                        .execute(&mut *c)
                        .await
                {
                    tracing::warn!(error = %e, "WAL checkpoint failed; dialling again");
                    conn = None;
                }
            };
            if let Some(c) = conn {
                let _ = c.close().await;
            }
            if let Some(ack) = ack {
                let _ = ack.send(());
            }
        });
        Self {
            stop: std::sync::Mutex::new(Some(stop)),
        }
    }

    /// Stops checkpointing and closes the connection (waits for a checkpoint in progress).
    pub(crate) async fn close(&self) {
        let stop = self.stop.lock().map(|mut s| s.take()).ok().flatten();
        if let Some(stop) = stop {
            let (ack, done) = oneshot::channel();
            if stop.send(ack).is_ok() {
                let _ = done.await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn wal_frames(c: &mut SqliteConnection) -> i64 {
        // (busy, frames in the WAL, frames checkpointed) of a no-op passive checkpoint.
        let row: (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(&mut *c)
            .await
            .unwrap();
        row.1
    }

    #[tokio::test]
    async fn commits_leave_the_wal_to_the_checkpointer() {
        let dir = std::env::temp_dir().join(format!("openflex-checkpoint-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let opts = without_auto_checkpoint(
            SqliteConnectOptions::new()
                .filename(dir.join("c.db"))
                .create_if_missing(true)
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal),
        );
        let mut c = opts.connect().await.unwrap();
        sqlx::query("CREATE TABLE t (v BLOB)")
            .execute(&mut c)
            .await
            .unwrap();
        // 1 500 one-page commits: past the 1 000 pages at which SQLite would checkpoint in
        // the committing connection by default.
        for _ in 0..1500 {
            sqlx::query("INSERT INTO t VALUES (zeroblob(3000))")
                .execute(&mut c)
                .await
                .unwrap();
        }
        let wal = dir.join("c.db-wal");
        let before = std::fs::metadata(&wal).unwrap().len();
        assert!(
            before > 1000 * 4096,
            "no commit checkpointed in line: {before}"
        );
        let cp = Checkpointer::start(opts.clone());
        tokio::time::sleep(INTERVAL * 3).await;
        // Every frame is in the database file now, so the next commit starts the WAL afresh.
        sqlx::query("INSERT INTO t VALUES (1)")
            .execute(&mut c)
            .await
            .unwrap();
        assert!(wal_frames(&mut c).await < 10, "the WAL was not copied back");
        cp.close().await;
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM t")
            .fetch_one(&mut c)
            .await
            .unwrap();
        assert_eq!(n, 1501);
        drop(c);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
