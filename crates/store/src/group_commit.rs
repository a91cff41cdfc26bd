//! Group commit of SQLite payment attempts that are a write of their own.
//!
//! Why: a vaulted-card payment with nothing else to record writes exactly one row, and SQLite
//! has one writer: under load every such payment waited its turn at the writer gate for a
//! statement, a commit and a hand-off to sqlx's connection thread, whatever the row's size.
//! Attempts that arrive while a write is in flight queue here and go to the database together
//! as one multi-row `INSERT … ON CONFLICT DO NOTHING RETURNING id`: one statement, one commit
//! for the lot. A lone attempt goes straight through, so this costs nothing when idle. Measured
//! (docs/performance.md, optimisation 7): about twice the charges per second at c = 32.
//!
//! PostgreSQL goes without: it already lets concurrent commits share a WAL flush, its cost per
//! payment is in the reads, and the same batching there left throughput unchanged while the
//! queueing behind an in-flight batch raised p99 by a third.
//!
//! Money safety is unchanged: each caller is answered only after the statement holding its row
//! has committed, and with its own outcome. A row the statement skipped collided with a unique
//! key (in practice a merchantTransactionId used twice, possibly by two attempts in the same
//! batch — the first in arrival order wins) and its caller gets [`StoreError::Conflict`]
//! exactly as a single INSERT would answer. Any other failure of a batch of several rows
//! (a row the database refuses) is retried row by row, so one bad row cannot fail its
//! neighbours; a database that is away fails them all with `Unavailable`.
//!
//! A live payment's answer, written once the gateway replied, is one UPDATE of its own and
//! queues here too: the answers waiting together are written in one transaction, one commit.
//! Each caller still learns whether its own row was settled (or another settlement won).
//!
//! A row may be guarded by a configuration generation (see `config_cache`): the statement
//! inserts it only while the generation is unchanged, so the check and the write are one
//! atomic step even against another process on the same file.

use crate::{Result, StoreError, TxnRow};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};
use std::sync::Arc;
use tokio::sync::{Mutex, mpsc, oneshot};

/// Rows per statement at most: 31 columns × 64 rows stays far below SQLite's limit on bound
/// parameters, and a batch larger than this is rare below several hundred clients.
const MAX_BATCH: usize = 64;

struct Pending {
    row: TxnRow,
    guard: Option<i64>,
    done: oneshot::Sender<Result<()>>,
}

/// A pending transaction's answer to write (`Store::finish_txn_alone`).
struct Settle {
    row: TxnRow,
    done: oneshot::Sender<Result<()>>,
}

/// What the writer takes in one turn.
#[derive(Default)]
struct Batch {
    inserts: Vec<Pending>,
    settles: Vec<Settle>,
    close: Option<oneshot::Sender<()>>,
}

impl Batch {
    fn full(&self) -> bool {
        self.close.is_some() || self.inserts.len() >= MAX_BATCH || self.settles.len() >= MAX_BATCH
    }

    fn take(&mut self, msg: Msg) {
        match msg {
            Msg::Insert(p) => self.inserts.push(*p),
            Msg::Settle(s) => self.settles.push(*s),
            Msg::Close(ack) => self.close = Some(ack),
        }
    }
}

enum Msg {
    Insert(Box<Pending>),
    Settle(Box<Settle>),
    /// Close the writer's connection (the store is closing), then acknowledge.
    Close(oneshot::Sender<()>),
}

#[derive(Clone)]
pub(crate) struct GroupCommit {
    queue: mpsc::Sender<Msg>,
}

impl GroupCommit {
    /// Starts the writer task; it ends when the last `GroupCommit` handle is dropped. It writes
    /// under `gate`, the store's writer gate, like every other SQLite writer, on a connection of
    /// its own: the statements for each batch size stay prepared on that one connection instead
    /// of on every connection of the pool (a 64-row INSERT is a large prepared statement).
    pub(crate) fn start(opts: SqliteConnectOptions, gate: Arc<Mutex<()>>) -> Self {
        let (queue, mut rx) = mpsc::channel::<Msg>(4 * MAX_BATCH);
        tokio::spawn(async move {
            let mut conn: Option<SqliteConnection> = None;
            while let Some(batch) = next_batch(&mut rx).await {
                if !batch.inserts.is_empty() {
                    conn = run(conn, &opts, batch.inserts, async |c, b| {
                        write(c, &gate, b).await
                    })
                    .await;
                }
                if !batch.settles.is_empty() {
                    conn = run(conn, &opts, batch.settles, async |c, b| {
                        settle(c, &gate, b).await
                    })
                    .await;
                }
                if let Some(ack) = batch.close {
                    if let Some(c) = conn.take() {
                        let _ = c.close().await;
                    }
                    let _ = ack.send(());
                }
            }
            if let Some(c) = conn {
                let _ = c.close().await;
            }
        });
        Self { queue }
    }

    /// Inserts `row`, answering once it is committed; with a `guard`, only while the
    /// configuration generation is still that one (else [`StoreError::ConfigChanged`]).
    pub(crate) async fn insert(&self, row: TxnRow, guard: Option<i64>) -> Result<()> {
        let (done, answer) = oneshot::channel();
        self.queue
            .send(Msg::Insert(Box::new(Pending { row, guard, done })))
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    /// Writes a pending transaction's answer ([`crate::Store::finish_txn`]), answering once it
    /// is committed: `Conflict` when the row was not pending any more (another settlement won).
    pub(crate) async fn finish(&self, row: TxnRow) -> Result<()> {
        let (done, answer) = oneshot::channel();
        self.queue
            .send(Msg::Settle(Box::new(Settle { row, done })))
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    /// Writes what is queued and closes the writer's connection, so that closing the store
    /// leaves no SQLite connection open (the last one to close checkpoints the WAL).
    pub(crate) async fn close(&self) {
        let (ack, done) = oneshot::channel();
        if self.queue.send(Msg::Close(ack)).await.is_ok() {
            let _ = done.await;
        }
    }
}

/// A queued write whose caller waits for its outcome.
trait Answered {
    fn answer(self, outcome: Result<()>);
}

impl Answered for Pending {
    fn answer(self, outcome: Result<()>) {
        let _ = self.done.send(outcome);
    }
}

impl Answered for Settle {
    fn answer(self, outcome: Result<()>) {
        let _ = self.done.send(outcome);
    }
}

/// Writes `items` with `write` on `conn`, connecting first when there is none (a failed
/// connect answers every item with its error); returns the connection if it is still fit for
/// the next batch.
async fn run<T: Answered>(
    conn: Option<SqliteConnection>,
    opts: &SqliteConnectOptions,
    items: Vec<T>,
    write: impl AsyncFnOnce(&mut SqliteConnection, Vec<T>) -> bool,
) -> Option<SqliteConnection> {
    let connected = match conn {
        Some(c) => Ok(c),
        None => opts.connect().await.map_err(StoreError::from),
    };
    match connected {
        Ok(mut c) => write(&mut c, items).await.then_some(c),
        Err(e) => {
            for item in items {
                item.answer(Err(e.clone()));
            }
            None
        }
    }
}

/// Writes the answers in one transaction and tells each caller its own outcome once it has
/// committed; if the transaction fails, each is written alone so one bad row cannot fail the
/// rest. False when the connection should be replaced.
async fn settle(conn: &mut SqliteConnection, gate: &Mutex<()>, settles: Vec<Settle>) -> bool {
    let answers = if settles.len() == 1 {
        settle_alone(conn, gate, &settles).await
    } else {
        match settle_together(conn, gate, &settles).await {
            Ok(answers) => answers,
            Err(StoreError::Unavailable(why)) => {
                for s in settles {
                    s.answer(Err(StoreError::Unavailable(why.clone())));
                }
                return false;
            }
            Err(_) => settle_alone(conn, gate, &settles).await,
        }
    };
    let healthy = !answers
        .iter()
        .any(|a| matches!(a, Err(StoreError::Unavailable(_))));
    for (s, answer) in settles.into_iter().zip(answers) {
        s.answer(answer);
    }
    healthy
}

/// Each of `settles` as a statement (and commit) of its own.
async fn settle_alone(
    conn: &mut SqliteConnection,
    gate: &Mutex<()>,
    settles: &[Settle],
) -> Vec<Result<()>> {
    let mut answers = Vec::with_capacity(settles.len());
    for s in settles {
        let _gate = gate.lock().await;
        let n = crate::transactions::finish_query!(s.row)
            .execute(&mut *conn)
            .await
            .map(|r| r.rows_affected());
        answers.push(match n {
            Ok(n) => crate::transactions::settled_once(n),
            Err(e) => Err(e.into()),
        });
    }
    answers
}

/// All of `settles` in one transaction; each row's own outcome, valid only once this returns
/// `Ok` (the commit succeeded).
async fn settle_together(
    conn: &mut SqliteConnection,
    gate: &Mutex<()>,
    settles: &[Settle],
) -> Result<Vec<Result<()>>> {
    let _gate = gate.lock().await;
    // IMMEDIATE as every write transaction here (see `Store::begin`): another process on the
    // same file then waits in the busy handler for the lock instead of failing an upgrade.
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    let mut answers = Vec::with_capacity(settles.len());
    for s in settles {
        let n = crate::transactions::finish_query!(s.row)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        answers.push(crate::transactions::settled_once(n));
    }
    tx.commit().await?;
    Ok(answers)
}

fn stopped() -> StoreError {
    StoreError::Unavailable("the transaction writer has stopped".into())
}

/// Waits for one message, then takes whatever is already queued, stopping at a close request.
async fn next_batch(rx: &mut mpsc::Receiver<Msg>) -> Option<Batch> {
    let mut batch = Batch::default();
    batch.take(rx.recv().await?);
    while !batch.full() {
        match rx.try_recv() {
            Ok(msg) => batch.take(msg),
            Err(_) => break,
        }
    }
    Some(batch)
}

/// Writes one batch and answers its callers; false when the connection should be replaced.
async fn write(conn: &mut SqliteConnection, gate: &Mutex<()>, batch: Vec<Pending>) -> bool {
    let rows: Vec<(&TxnRow, Option<i64>)> = batch.iter().map(|p| (&p.row, p.guard)).collect();
    let outcome = insert_many(conn, gate, &rows).await;
    let healthy = !matches!(outcome, Err(StoreError::Unavailable(_)));
    match outcome {
        Ok(inserted) => {
            let mut generation = None;
            for p in batch {
                let answer = if inserted.contains(&p.row.id) {
                    Ok(())
                } else {
                    skipped(conn, p.guard, &mut generation).await
                };
                p.answer(answer);
            }
        }
        Err(StoreError::Unavailable(why)) => {
            for p in batch {
                p.answer(Err(StoreError::Unavailable(why.clone())));
            }
        }
        Err(e) if batch.len() == 1 => {
            for p in batch {
                p.answer(Err(e.clone()));
            }
        }
        Err(_) => {
            for p in batch {
                let answer = match insert_many(conn, gate, &[(&p.row, p.guard)]).await {
                    Ok(ids) if ids.is_empty() => skipped(conn, p.guard, &mut None).await,
                    Ok(_) => Ok(()),
                    Err(e) => Err(e),
                };
                p.answer(answer);
            }
        }
    }
    healthy
}

/// Why a row was not inserted: the generation its guard named is gone, else a unique key
/// (the generation is read once per batch, and only when a guarded row was skipped).
async fn skipped(
    conn: &mut SqliteConnection,
    guard: Option<i64>,
    generation: &mut Option<i64>,
) -> Result<()> {
    let Some(guard) = guard else {
        return Err(StoreError::Conflict);
    };
    let now = match *generation {
        Some(g) => g,
        None => {
            let g = sqlx::query_scalar::<_, i64>(
                "SELECT generation FROM config_generation WHERE id = 1",
            )
            .fetch_one(&mut *conn)
            .await?;
            *generation = Some(g);
            g
        }
    };
    if now == guard {
        Err(StoreError::Conflict)
    } else {
        Err(StoreError::ConfigChanged)
    }
}

/// Columns of `transactions`, each bound once per row below.
const COLUMNS: usize = 31;

/// One statement inserting `rows` (each with its guard, bound after its columns); returns the
/// ids it inserted (the others hit a unique key or a changed generation).
async fn insert_many(
    conn: &mut SqliteConnection,
    gate: &Mutex<()>,
    rows: &[(&TxnRow, Option<i64>)],
) -> Result<Vec<String>> {
    const N: usize = COLUMNS + 1;
    let mut sql = format!("INSERT INTO transactions ({}) SELECT ", crate::TXN_COLUMNS);
    for c in 1..N {
        if c > 1 {
            sql.push_str(", ");
        }
        sql.push_str("column");
        sql.push_str(&c.to_string());
    }
    sql.push_str(" FROM (VALUES ");
    for i in 0..rows.len() {
        sql.push_str(if i == 0 { "(" } else { ", (" });
        for c in 1..=N {
            if c > 1 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&(i * N + c).to_string());
        }
        sql.push(')');
    }
    sql.push_str(&format!(
        ") WHERE column{N} IS NULL OR column{N} = (SELECT generation FROM config_generation WHERE id = 1) \
         ON CONFLICT DO NOTHING RETURNING id"
    ));
    let sql = sqlx::AssertSqlSafe(sql);
    let _gate = gate.lock().await;
    let mut q = sqlx::query_scalar::<_, String>(sql);
    for (r, guard) in rows {
        q = crate::transactions::bind_txn!(q, *r).bind(*guard);
    }
    Ok(q.fetch_all(conn).await?)
}

#[cfg(test)]
mod tests {
    use crate::{MerchantRow, Store, StoreError, TxnRow};

    fn row(id: &str, mtid: &str, amount: i64) -> TxnRow {
        TxnRow {
            id: id.into(),
            merchant_id: "m1".into(),
            mode: "sandbox".into(),
            txn_type: "Charge".into(),
            state: "done".into(),
            status: 1,
            response_code: 10000,
            merchant_transaction_id: Some(mtid.into()),
            order_id: Some("o1".into()),
            customer_id: None,
            currency: Some("USD".into()),
            amount,
            payment_method_id: None,
            gateway_token: None,
            gateway_type: None,
            gateway_transaction_id: None,
            merchant_account_reference_id: None,
            assigned_gateway_token: None,
            original_id: None,
            captured_amount: 0,
            refunded_amount: 0,
            voided: false,
            retry_date: None,
            retry_count: 0,
            date_first_attempt: None,
            reference_data: None,
            completion_status: None,
            result: "{}".into(),
            details: "{}".into(),
            created_at: 1,
            chain_id: None,
        }
    }

    async fn store() -> (Store, std::path::PathBuf) {
        let path = std::env::temp_dir().join(format!(
            "openflex-group-commit-{}-{:?}.db",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_file(&path);
        let store = Store::connect(path.to_str().unwrap(), 4).await.unwrap();
        store.migrate().await.unwrap();
        let mut tx = store.begin().await.unwrap();
        let m = MerchantRow {
            id: "m1".into(),
            name: "m".into(),
            clock_offset_us: 0,
            created_at: 0,
            settings: "{}".into(),
        };
        Store::insert_merchant(&mut tx, &m).await.unwrap();
        tx.commit().await.unwrap();
        (store, path)
    }

    /// Calls made together on a current-thread runtime are all queued before the writer runs,
    /// so each of these lands in one batch.
    async fn together(store: &Store, rows: &[TxnRow]) -> Vec<crate::Result<()>> {
        futures::future::join_all(rows.iter().map(|r| store.insert_txn_alone(r))).await
    }

    #[tokio::test]
    async fn one_batch_answers_each_row_with_its_own_outcome() {
        let (store, path) = store().await;
        let answers = together(
            &store,
            &[
                row("t1", "a", 100),
                row("t2", "a", 200),
                row("t3", "b", 300),
            ],
        )
        .await;
        assert!(answers[0].is_ok(), "{answers:?}");
        assert!(
            matches!(answers[1], Err(StoreError::Conflict)),
            "{answers:?}"
        );
        assert!(answers[2].is_ok(), "{answers:?}");
        let a = store
            .txn_by_mtid("m1", "sandbox", "a")
            .await
            .unwrap()
            .unwrap();
        assert_eq!((a.id.as_str(), a.amount), ("t1", 100));
        let b = store
            .txn_by_mtid("m1", "sandbox", "b")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(b.amount, 300);

        // A row the database refuses fails alone; its neighbours still commit.
        let answers = together(
            &store,
            &[
                row("t4", "c", 100),
                row("t5", "d", -1),
                row("t6", "a", 5),
                row("t7", "e", 7),
            ],
        )
        .await;
        assert!(answers[0].is_ok(), "{answers:?}");
        assert!(
            matches!(answers[1], Err(StoreError::Database(_))),
            "{answers:?}"
        );
        assert!(
            matches!(answers[2], Err(StoreError::Conflict)),
            "{answers:?}"
        );
        assert!(answers[3].is_ok(), "{answers:?}");
        assert!(
            store
                .txn_by_mtid("m1", "sandbox", "c")
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            store
                .txn_by_mtid("m1", "sandbox", "d")
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            store
                .txn_by_mtid("m1", "sandbox", "e")
                .await
                .unwrap()
                .is_some()
        );
        let a = store
            .txn_by_mtid("m1", "sandbox", "a")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(a.id, "t1");
        store.close().await;
        let wal = std::path::PathBuf::from(format!("{}-wal", path.display()));
        assert!(
            !wal.exists(),
            "closing the store closes the writer's connection too, so the WAL is checkpointed"
        );
        let _ = std::fs::remove_file(&path);
    }

    #[tokio::test]
    async fn a_guarded_row_is_written_only_while_its_generation_holds() {
        let (store, path) = store().await;
        let now = store.config_generation().await.unwrap();
        let rows = [
            row("g1", "a", 100),
            row("g2", "b", 200),
            row("g3", "a", 300),
        ];
        let answers = futures::future::join_all([
            store.insert_txn_alone_guarded(&rows[0], Some(now)),
            store.insert_txn_alone_guarded(&rows[1], Some(now - 1)),
            store.insert_txn_alone_guarded(&rows[2], Some(now)),
        ])
        .await;
        assert!(answers[0].is_ok(), "{answers:?}");
        assert!(
            matches!(answers[1], Err(StoreError::ConfigChanged)),
            "a row guarded by a past generation is not written: {answers:?}"
        );
        assert!(
            matches!(answers[2], Err(StoreError::Conflict)),
            "a guarded row that lost at the unique key is a conflict: {answers:?}"
        );
        assert!(store.txn("m1", "sandbox", "g2").await.unwrap().is_none());

        // A change to what nodes cache moves the generation, in the changing statement.
        assert!(store.set_merchant_settings("m1", "{}").await.unwrap());
        assert_eq!(store.config_generation().await.unwrap(), now + 1);
        let late = store
            .insert_txn_alone_guarded(&row("g4", "c", 1), Some(now))
            .await;
        assert!(matches!(late, Err(StoreError::ConfigChanged)), "{late:?}");
        store.close().await;
        let _ = std::fs::remove_file(&path);
    }

    #[tokio::test]
    async fn answers_settled_together_each_learn_their_own_outcome() {
        let (store, path) = store().await;
        let pending = |id: &str, mtid: &str| TxnRow {
            state: "pending".into(),
            status: 0,
            response_code: 0,
            ..row(id, mtid, 100)
        };
        let rows = [pending("s1", "a"), pending("s2", "b"), pending("s3", "c")];
        for r in &rows {
            store.insert_txn_alone(r).await.unwrap();
        }
        let settled = |r: &TxnRow, code: i64| TxnRow {
            state: "done".into(),
            status: 1,
            response_code: code,
            ..r.clone()
        };
        // s2 is settled first (an inquiry won the race): its second answer must not land.
        store
            .finish_txn_alone(&settled(&rows[1], 10001))
            .await
            .unwrap();
        let answers = futures::future::join_all([
            store.finish_txn_alone(&settled(&rows[0], 10000)),
            store.finish_txn_alone(&settled(&rows[1], 10000)),
            store.finish_txn_alone(&settled(&rows[2], 10000)),
        ])
        .await;
        assert!(answers[0].is_ok(), "{answers:?}");
        assert!(
            matches!(answers[1], Err(StoreError::Conflict)),
            "{answers:?}"
        );
        assert!(answers[2].is_ok(), "{answers:?}");
        for (id, code) in [("s1", 10000), ("s2", 10001), ("s3", 10000)] {
            let r = store.txn("m1", "sandbox", id).await.unwrap().unwrap();
            assert_eq!((r.state.as_str(), r.response_code), ("done", code), "{id}");
        }
        store.close().await;
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn a_row_binds_as_many_values_as_there_are_columns() {
        assert_eq!(crate::TXN_COLUMNS.split(',').count(), super::COLUMNS);
    }
}
