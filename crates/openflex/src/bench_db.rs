//! The bench's direct database work: growing the bench merchant's transaction table to a given
//! size (the table-size sweep), and `--compare-pgbench`, which runs `pgbench` with the SQL one
//! operation of a scenario sends, so a run reports openflex's throughput as a fraction of what
//! the same PostgreSQL does with the same statements and no server in between.
//!
//! Why the scripts repeat the server's statements (reads included) instead of only its writes:
//! the reads are the same indexed lookups every request makes, and leaving them out would
//! measure a different workload. The statement list per scenario is written down next to each
//! script; when the engine's SQL changes, the script changes with it.

use anyhow::{Context, anyhow, bail};
use serde_json::Value;
use sqlx::Row;
use std::time::Duration;

use crate::bench::{Baseline, Scenario};

/// What the scripts need to know about the bench merchant's own rows.
pub struct Fixture {
    pub merchant_id: String,
    pub payment_method_id: String,
    /// A transaction the bench made: the template of every row it seeds or pgbench inserts.
    pub template_txn: String,
}

/// Columns of `transactions`, as the store writes them.
fn txn_cols() -> Vec<&'static str> {
    openflex_store::TXN_COLUMNS
        .split(',')
        .map(str::trim)
        .collect()
}

/// Columns whose value is unique per row; seeded and scripted rows derive them from a number.
const UNIQUE_COLS: [&str; 4] = ["id", "merchant_transaction_id", "order_id", "chain_id"];

fn is_pg(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Grows the bench merchant's `transactions` to `total` rows by copying the template row in
/// one statement (ids keep the template's time prefix, so they sort as its neighbours).
/// Returns the ids to start list pages from, spread evenly over the seeded rows.
pub async fn seed(url: &str, f: &Fixture, from: u64, total: u64) -> anyhow::Result<Vec<String>> {
    if total <= from {
        return Ok(positions(&f.template_txn, total));
    }
    let num = if is_pg(url) {
        "lpad(s.n::text, 16, '0')"
    } else {
        "printf('%016d', s.n)"
    };
    let cols = txn_cols();
    let select: Vec<String> = cols
        .iter()
        .map(|c| {
            if UNIQUE_COLS.contains(c) {
                format!("substr(t.id, 1, 10) || {num}")
            } else {
                format!("t.{c}")
            }
        })
        .collect();
    let sql = format!(
        "WITH RECURSIVE s(n) AS (SELECT CAST({lo} AS BIGINT) UNION ALL SELECT n + 1 FROM s WHERE n < {hi}) \
         INSERT INTO transactions ({cols}) SELECT {select} FROM transactions t, s WHERE t.id = $1",
        lo = from + 1,
        hi = total,
        cols = cols.join(", "),
        select = select.join(", "),
    );
    if is_pg(url) {
        let pool = sqlx::PgPool::connect(url).await?;
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&f.template_txn)
            .execute(&pool)
            .await
            .context("seeding transactions")?;
        // What autovacuum would do after a bulk load, before anything is measured.
        sqlx::query("ANALYZE transactions").execute(&pool).await?;
        pool.close().await;
    } else {
        let path = url.strip_prefix("sqlite://").unwrap_or(url);
        let opts = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(path)
            .busy_timeout(Duration::from_secs(30));
        let pool = sqlx::SqlitePool::connect_with(opts).await?;
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&f.template_txn)
            .execute(&pool)
            .await
            .context("seeding transactions")?;
        pool.close().await;
    }
    Ok(positions(&f.template_txn, total))
}

fn positions(template: &str, total: u64) -> Vec<String> {
    let prefix = &template[..10.min(template.len())];
    let step = (total / 97).max(1);
    (1..=total)
        .step_by(step as usize)
        .map(|n| format!("{prefix}{n:016}"))
        .collect()
}

/// A literal of a JSON value as PostgreSQL reads it. Colons are spliced in with `chr(58)`:
/// pgbench would read `:name` inside a string as one of its variables.
fn literal(v: &Value) -> String {
    let text = |s: &str| {
        format!(
            "('{}')",
            s.replace('\'', "''").replace(':', "' || chr(58) || '")
        )
    };
    match v {
        Value::Null => "NULL".into(),
        Value::Bool(b) => b.to_string().to_uppercase(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => text(s),
        other => text(&other.to_string()),
    }
}

/// The template row's values as literals, unique columns replaced by `'<tag>' || :r`.
async fn insert_statement(
    pool: &sqlx::PgPool,
    template: &str,
    tag: &str,
    overrides: &[(&str, String)],
) -> anyhow::Result<String> {
    let row: Value = sqlx::query("SELECT row_to_json(t)::text FROM transactions t WHERE id = $1")
        .bind(template)
        .fetch_one(pool)
        .await
        .map(|r| r.get::<String, _>(0))
        .map(|s| serde_json::from_str(&s))??;
    let cols = txn_cols();
    let values: Vec<String> = cols
        .iter()
        .map(|c| {
            if let Some((_, v)) = overrides.iter().find(|(k, _)| k == c) {
                v.clone()
            } else if UNIQUE_COLS.contains(c) {
                format!("('{tag}' || CAST(:r AS text))")
            } else {
                literal(&row[*c])
            }
        })
        .collect();
    Ok(format!(
        "INSERT INTO transactions ({}) VALUES ({});",
        cols.join(", "),
        values.join(", ")
    ))
}

async fn generation(pool: &sqlx::PgPool) -> anyhow::Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT generation FROM config_generation WHERE id = 1")
            .fetch_one(pool)
            .await?,
    )
}

/// `insert` (an `INSERT … VALUES (…);`) as the server sends a payment's first write: made
/// conditional on the configuration generation (see `Store::insert_txn_alone_guarded`).
fn guarded(insert: &str, generation: i64) -> String {
    let select = insert
        .trim_end_matches(';')
        .replacen(") VALUES (", ") SELECT ", 1);
    format!(
        "{} FROM config_generation WHERE id = 1 AND generation = {generation};",
        select.strip_suffix(')').unwrap_or(&select)
    )
}

/// The pgbench script of one operation of `scenario`.
async fn script(
    url: &str,
    scenario: Scenario,
    baseline: Baseline,
    f: &Fixture,
) -> anyhow::Result<String> {
    let pool = sqlx::PgPool::connect(url).await?;
    let m = &f.merchant_id;
    let pm = &f.payment_method_id;
    let read_pm = format!(
        "SELECT * FROM payment_methods WHERE id = '{pm}' AND merchant_id = '{m}' AND mode = 'sandbox';\n"
    );
    if baseline == Baseline::Minimal {
        if scenario != Scenario::FlexpayChargeToken {
            bail!("--baseline minimal is defined for flexpay-charge-token only");
        }
        let insert = insert_statement(&pool, &f.template_txn, "pgb-c-", &[]).await?;
        pool.close().await;
        return Ok(format!(
            "\\set r random(1, 9000000000000000000)\nBEGIN;\n{read_pm}{insert}\nCOMMIT;\n"
        ));
    }
    let hash: String = sqlx::query_scalar(
        "SELECT secret_hash FROM credentials WHERE merchant_id = $1 AND kind = 'flexpay_api_key' AND revoked_at IS NULL LIMIT 1",
    )
    .bind(m)
    .fetch_one(&pool)
    .await
    .context("the bench merchant's FlexPay credential")?;
    // The credential + merchant read of an authenticated FlexPay request outside the payment
    // use cases, and a payment's read of its card with the card-network decline count.
    let auth = format!(
        "SELECT c.id, c.merchant_id, c.mode, c.kind, c.public_id, c.secret_hash, c.sealed_secret, c.kek_version, \
         c.created_at, c.revoked_at, c.trusted_networks, m.name, m.clock_offset_us, m.created_at, m.settings, \
         (SELECT generation FROM config_generation WHERE id = 1) \
         FROM credentials c JOIN merchants m ON m.id = c.merchant_id \
         WHERE c.secret_hash = '{hash}' AND c.revoked_at IS NULL;\n"
    );
    let payment_method = format!(
        "SELECT pm.*, (SELECT COUNT(*) FROM transactions t JOIN payment_methods p ON p.id = t.payment_method_id \
         WHERE t.merchant_id = '{m}' AND t.mode = 'sandbox' AND t.order_id = ('pgb-o-' || CAST(:r AS text)) AND p.fingerprint = pm.fingerprint \
         AND t.txn_type IN ('Charge', 'Authorize') AND t.status = 2 AND t.created_at >= 0) AS declines \
         FROM payment_methods pm WHERE pm.id = '{pm}' AND pm.merchant_id = '{m}' AND pm.mode = 'sandbox';\n"
    );
    let body = match scenario {
        Scenario::FlexpayChargeToken => {
            // A token charge finds its credential and gateways in the node's cache: it reads
            // the payment method with its decline count, then writes its attempt as one
            // statement guarded by the configuration generation
            // (`Store::insert_txn_alone_guarded`).
            let insert = insert_statement(&pool, &f.template_txn, "pgb-c-", &[]).await?;
            let guarded = guarded(&insert, generation(&pool).await?);
            format!("{payment_method}{guarded}\n")
        }
        Scenario::FlexpayAuthCapture => {
            let auth_insert = insert_statement(
                &pool,
                &f.template_txn,
                "pgb-a-",
                &[("txn_type", "'Authorize'".into())],
            )
            .await?;
            let auth_insert = guarded(&auth_insert, generation(&pool).await?);
            let capture_insert = insert_statement(
                &pool,
                &f.template_txn,
                "pgb-p-",
                &[
                    ("txn_type", "'Capture'".into()),
                    ("original_id", "('pgb-a-' || CAST(:r AS text))".into()),
                    ("chain_id", "NULL".into()),
                ],
            )
            .await?;
            format!(
                "{payment_method}{auth_insert}\n\
                 {auth}SELECT * FROM transactions WHERE id = ('pgb-a-' || CAST(:r AS text)) AND merchant_id = '{m}' AND mode = 'sandbox';\n\
                 SELECT * FROM gateways WHERE token = (SELECT gateway_token FROM transactions WHERE id = '{t}') AND merchant_id = '{m}' AND mode = 'sandbox';\n\
                 BEGIN;\n{capture_insert}\n\
                 UPDATE transactions SET captured_amount = amount WHERE id = ('pgb-a-' || CAST(:r AS text)) AND captured_amount = 0 AND voided = FALSE AND status = 1;\n\
                 COMMIT;\n\
                 SELECT * FROM payment_methods WHERE id = '{pm}' AND merchant_id = '{m}' AND mode = 'sandbox';\n",
                t = f.template_txn
            )
        }
        Scenario::FlexpayList => format!(
            "{auth}SELECT * FROM transactions WHERE merchant_id = '{m}' AND mode = 'sandbox' AND id > '{t}' ORDER BY id ASC LIMIT 101;\n",
            t = f.template_txn
        ),
        other => bail!(
            "--compare-pgbench has scripts for flexpay-charge-token, flexpay-auth-capture and flexpay-list, not {other:?}"
        ),
    };
    pool.close().await;
    Ok(format!("\\set r random(1, 9000000000000000000)\n{body}"))
}

/// Runs pgbench for `duration` with `clients` clients and returns its transactions per second,
/// then deletes the rows its script inserted.
pub async fn compare(
    url: &str,
    scenario: Scenario,
    baseline: Baseline,
    f: &Fixture,
    clients: usize,
    duration: Duration,
) -> anyhow::Result<f64> {
    if !is_pg(url) {
        bail!("--compare-pgbench needs a postgres:// --database-url");
    }
    // Fresh statistics, so pgbench's generic plans are the indexed ones the server uses.
    let pool = sqlx::PgPool::connect(url).await?;
    sqlx::query("ANALYZE transactions, payment_methods, credentials, gateways")
        .execute(&pool)
        .await?;
    pool.close().await;
    let text = script(url, scenario, baseline, f).await?;
    let file = std::env::temp_dir().join(format!("openflex-pgbench-{}.sql", std::process::id()));
    std::fs::write(&file, text)?;
    let out = tokio::process::Command::new("pgbench")
        .args(["-n", "-r", "-M", "prepared", "-c"])
        .arg(clients.max(1).to_string())
        .args(["-j", "2", "-T"])
        .arg(duration.as_secs().max(1).to_string())
        .arg("-f")
        .arg(&file)
        .arg(url)
        .output()
        .await
        .context("running pgbench (is it installed? Debian: postgresql-client)")?;
    let _ = std::fs::remove_file(&file);
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!(
            "pgbench failed: {}{}",
            stdout,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The per-statement latencies (-r) go to stderr: they show where the database spends.
    eprintln!("{stdout}");
    let tps = stdout
        .lines()
        .find_map(|l| {
            l.strip_prefix("tps = ")
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|n| n.parse::<f64>().ok())
        })
        .ok_or_else(|| anyhow!("no tps in pgbench's output: {stdout}"))?;
    let pool = sqlx::PgPool::connect(url).await?;
    sqlx::query("DELETE FROM transactions WHERE id LIKE 'pgb-%'")
        .execute(&pool)
        .await?;
    pool.close().await;
    Ok(tps)
}
