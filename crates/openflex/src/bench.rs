//! `openflex bench`: drives a running server with C concurrent keep-alive clients for a fixed
//! time and reports throughput, errors, latency percentiles and the server's RSS. It creates
//! its own merchant through the admin API (sandbox, or live for the connector scenario) and
//! prepares the data a scenario needs, so it measures a server exactly as clients use it —
//! nothing is called in-process.

use anyhow::{Context, anyhow, bail};
use serde::Serialize;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// Vault-token charge: one POST /v1/gateways/charge per operation.
    FlexpayChargeToken,
    /// The same vault-token charge by a live merchant, through a live connector to the
    /// gateway the server is pointed at (`OPENFLEX_GATEWAY_URL_<TYPE>`, normally the
    /// `fake-gateway` double): write-ahead attempt, the gateway call, the attempt settled.
    FlexpayChargeConnector,
    /// Authorize then capture: two requests per operation.
    FlexpayAuthCapture,
    /// GET /v1/transactions pages of 100 from keyset positions over the merchant's table.
    FlexpayList,
    /// Sync-MIT /v1/evaluate with bearer tokens refreshed before expiry.
    FlexfactorEvaluate,
    /// Flexiti: authorize 10.00 on a sandbox account, then capture it (two requests per
    /// operation, spread over the five purchasable sandbox accounts, whose limits the bench
    /// raises first).
    FlexitiAuthorizeCapture,
}

/// The live gateway type the connector scenario creates; its settings and approved card are the
/// ones the `fake-gateway` doubles accept (crates/gateway-doubles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Gateway {
    Stripe,
    Adyen,
    Nmi,
    Authorizenet,
}

impl Gateway {
    fn gateway_type(self) -> &'static str {
        match self {
            Self::Stripe => "stripe",
            Self::Adyen => "adyen",
            Self::Nmi => "nmi",
            Self::Authorizenet => "authorizenet",
        }
    }

    /// Test credentials: Stripe takes any `sk_test_` key and Adyen any API key; NMI's and
    /// Authorize.net's doubles check for their published sandbox values.
    fn settings(self) -> Value {
        match self {
            Self::Stripe => json!({"secretKey": "sk_test_openflex_bench"}),
            Self::Adyen => {
                json!({"apiKey": "openflex-bench-key", "merchantAccount": "OpenflexECOM"})
            }
            Self::Nmi => json!({"securityKey": "nmi-double-security-key-0123456789"}),
            Self::Authorizenet => {
                json!({"apiLoginId": "5KP3u95bQpv", "transactionKey": "4Ktq966gC55GAX7S"})
            }
        }
    }

    /// A card the gateway's test platform approves: number, expiry month, expiry year, CVV.
    fn approved_card(self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            Self::Stripe => ("4242424242424242", "12", "2035", "879"),
            // Adyen's test platform approves its test card only with its own expiry and CVC.
            Self::Adyen => ("4111111111111111", "03", "2030", "737"),
            Self::Nmi | Self::Authorizenet => ("4111111111111111", "12", "2035", "879"),
        }
    }
}

/// The sandbox accounts in status N.
const FLEXITI_ACCOUNTS: [&str; 5] = ["20076677", "20076678", "20076679", "20076684", "20076685"];

#[derive(Clone)]
pub struct Options {
    pub target: String,
    pub scenario: Scenario,
    pub concurrency: usize,
    pub duration: Duration,
    pub admin_token: String,
    /// Rows to prepare for the list scenario.
    pub list_rows: usize,
    /// The server's database, for seeding large tables and for `--compare-pgbench`.
    pub database_url: Option<String>,
    pub compare_pgbench: bool,
    /// What pgbench runs for `compare_pgbench`.
    pub baseline: Baseline,
    /// The gateway type of the connector scenario.
    pub gateway: Gateway,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub scenario: String,
    pub concurrency: usize,
    pub duration_s: f64,
    pub ops: u64,
    pub ops_per_sec: f64,
    pub errors: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    pub server_rss_mb: Option<f64>,
    /// Transactions of the bench merchant when the run started (table-size sweeps).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pgbench_tps: Option<f64>,
    /// ops/s ÷ pgbench tps for the same statements, clients and duration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ratio: Option<f64>,
}

struct Ctx {
    client: reqwest::Client,
    base: String,
    api_key: String,
    payment_method: String,
    bearer: tokio::sync::RwLock<(String, Instant)>,
    /// FlexFactor app key/secret, or Flexiti client id/secret when `flexiti`.
    app_key: String,
    app_secret: String,
    flexiti: bool,
    /// Keyset positions for the list scenario; replaced when a sweep grows the table.
    positions: std::sync::RwLock<Vec<String>>,
    seq: AtomicU64,
    run: String,
    merchant_id: String,
    /// A charge the bench made: the template of seeded and pgbench rows (FlexPay scenarios).
    template_txn: Option<String>,
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)] as f64 / 1000.0
}

async fn json_call(req: reqwest::RequestBuilder) -> anyhow::Result<Value> {
    let resp = req.send().await?;
    let status = resp.status();
    let v: Value = resp.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        bail!("HTTP {status}: {v}");
    }
    Ok(v)
}

impl Ctx {
    fn next(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed)
    }

    async fn charge(&self, path: &str, amount: i64) -> anyhow::Result<Value> {
        let n = self.next();
        let body = json!({"transaction": {"merchantTransactionId": format!("bench-{}-{n}", self.run), "orderId": format!("o-{n}"),
            "amount": amount, "currencyCode": "USD", "retryCount": 0, "paymentMethodId": self.payment_method}});
        let v = json_call(
            self.client
                .post(format!("{}{path}", self.base))
                .header("Authorization", format!("Basic {}", self.api_key))
                .json(&body),
        )
        .await?;
        if v["transaction"]["responseCode"] != "10000" {
            bail!("not approved: {}", v["transaction"]["responseCode"]);
        }
        Ok(v)
    }

    async fn bearer(&self) -> anyhow::Result<String> {
        {
            let b = self.bearer.read().await;
            if b.1 > Instant::now() {
                return Ok(b.0.clone());
            }
        }
        let mut b = self.bearer.write().await;
        if b.1 <= Instant::now() && self.flexiti {
            let v = json_call(
                self.client
                    .post(format!("{}/flexiti/pos-api/v2.5/oauth/token", self.base))
                    .header("x-reference-id", "bench")
                    .json(&json!({"client_id": self.app_key, "client_secret": self.app_secret})),
            )
            .await?;
            let token = v["access_token"]
                .as_str()
                .ok_or_else(|| anyhow!("no access_token"))?
                .to_string();
            // Flexiti tokens live 20 minutes; refresh after 15.
            *b = (token, Instant::now() + Duration::from_secs(900));
        } else if b.1 <= Instant::now() {
            let v = json_call(
                self.client
                    .post(format!("{}/v1/oauth2/token", self.base))
                    .json(&json!({"AppKey": self.app_key, "AppSecret": self.app_secret})),
            )
            .await?;
            let token = v["accessToken"]
                .as_str()
                .ok_or_else(|| anyhow!("no accessToken"))?
                .to_string();
            // Refresh a minute before the 10-minute expiry, as a well-behaved client does.
            *b = (token, Instant::now() + Duration::from_secs(540));
        }
        Ok(b.0.clone())
    }

    async fn op(&self, scenario: Scenario) -> anyhow::Result<()> {
        match scenario {
            Scenario::FlexpayChargeToken | Scenario::FlexpayChargeConnector => {
                self.charge("/v1/gateways/charge", 1999).await.map(|_| ())
            }
            Scenario::FlexpayAuthCapture => {
                let v = self.charge("/v1/gateways/authorize", 2500).await?;
                let id = v["transaction"]["transactionId"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                let n = self.next();
                let body = json!({"transaction": {"merchantTransactionId": format!("bench-cap-{}-{n}", self.run), "amount": 0}});
                let v = json_call(
                    self.client
                        .post(format!("{}/v1/transactions/{id}/capture", self.base))
                        .header("Authorization", format!("Basic {}", self.api_key))
                        .json(&body),
                )
                .await?;
                if v["transaction"]["responseCode"] != "10000" {
                    bail!("capture not approved");
                }
                Ok(())
            }
            Scenario::FlexpayList => {
                let pos = {
                    let positions = self.positions.read().expect("positions lock");
                    positions[(self.next() as usize) % positions.len().max(1)].clone()
                };
                let v = json_call(
                    self.client
                        .get(format!(
                            "{}/v1/transactions?count=100&sinceToken={pos}",
                            self.base
                        ))
                        .header("Authorization", format!("Basic {}", self.api_key)),
                )
                .await?;
                if !v["transactions"].is_array() {
                    bail!("no list");
                }
                Ok(())
            }
            Scenario::FlexfactorEvaluate => {
                let bearer = self.bearer().await?;
                let n = self.next();
                let body = json!({"orderId": format!("bench-{}-{n}", self.run), "idempotencyKey": format!("k-{}-{n}", self.run), "isMIT": true,
                    "transaction": {"id": "t", "amount": 1500, "currency": "USD", "responseCode": "05", "responseCodeSource": "bench",
                        "avsResultCode": "M", "cvvResultCode": "M", "cavvResultCode": "2"},
                    "payer": {"email": "bench@example.com"},
                    "paymentMethod": {"cardNumber": self.payment_method, "token": true}});
                let v = json_call(
                    self.client
                        .post(format!("{}/v1/evaluate", self.base))
                        .bearer_auth(bearer)
                        .json(&body),
                )
                .await?;
                if v["status"] != "APPROVED" {
                    bail!("evaluate: {}", v["status"]);
                }
                Ok(())
            }
            Scenario::FlexitiAuthorizeCapture => {
                let bearer = self.bearer().await?;
                let account = FLEXITI_ACCOUNTS[(self.next() as usize) % FLEXITI_ACCOUNTS.len()];
                let base = format!(
                    "{}/flexiti/pos-api/v2.5.1/client-id/{}",
                    self.base, self.app_key
                );
                let v = json_call(
                    self.client
                        .post(format!("{base}/authorization"))
                        .bearer_auth(&bearer)
                        .header("x-reference-id", "bench")
                        .json(&json!({"account_number": account, "amount": "10.00", "auto_capture": false,
                            "financing_option": {"transaction_type": "regular_purchase"}})),
                )
                .await?;
                let id = v["authorization_id"]
                    .as_i64()
                    .ok_or_else(|| anyhow!("no authorization_id: {v}"))?;
                let v = json_call(
                    self.client
                        .post(format!("{base}/authorization/{id}/capture"))
                        .bearer_auth(&bearer)
                        .header("x-reference-id", "bench")
                        .json(&json!({"amount": "10.00"})),
                )
                .await?;
                if v["authorization_status"] != "closed" {
                    bail!("capture: {v}");
                }
                Ok(())
            }
        }
    }
}

/// Creates the merchant and the data the scenario needs.
async fn prepare(opts: &Options, client: &reqwest::Client) -> anyhow::Result<Ctx> {
    let base = opts.target.trim_end_matches('/').to_string();
    let live = opts.scenario == Scenario::FlexpayChargeConnector;
    let m = json_call(
        client
            .post(format!("{base}/admin/merchants"))
            .bearer_auth(&opts.admin_token)
            .json(&json!({"name": "bench", "mode": if live { "live" } else { "sandbox" }})),
    )
    .await
    .context("creating the bench merchant (is OPENFLEX_ADMIN_TOKEN right?)")?;
    let api_key = m["flexpay"]["apiKey"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    if live {
        let gw = opts.gateway;
        json_call(
            client
                .post(format!("{base}/v1/gateways"))
                .header("Authorization", format!("Basic {api_key}"))
                .json(
                    &json!({"gateway": {"name": format!("bench-{}", gw.gateway_type()),
                    "gatewayType": gw.gateway_type(), "settings": gw.settings()}}),
                ),
        )
        .await
        .context("creating the live gateway")?;
    }
    let flexiti = opts.scenario == Scenario::FlexitiAuthorizeCapture;
    let (app_key, app_secret) = if flexiti {
        (
            m["flexiti"]["clientId"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            m["flexiti"]["clientSecret"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        )
    } else {
        (
            m["flexfactor"]["appKey"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            m["flexfactor"]["appSecret"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        )
    };
    let mut card = json!({"paymentMethod": {"creditCard": {"creditCardNumber": "4920201996449560", "expiryMonth": "12", "expiryYear": "2035",
        "firstName": "Bench", "lastName": "Mark", "address1": "1 Main St", "postalCode": "10001", "city": "New York", "state": "NY", "country": "USA"}}});
    let cc = &mut card["paymentMethod"]["creditCard"];
    if opts.scenario == Scenario::FlexfactorEvaluate {
        cc["creditCardNumber"] = json!("4000002760003184");
    } else if live {
        // Vaulted with its CVV, as at a customer's first checkout: the first charge (below) is
        // customer-initiated and keeps the card's network transaction id; the measured ones are
        // the merchant-initiated charges of a stored card that follow (subscriptions, rebills).
        let (pan, month, year, cvv) = opts.gateway.approved_card();
        cc["creditCardNumber"] = json!(pan);
        cc["expiryMonth"] = json!(month);
        cc["expiryYear"] = json!(year);
        cc["cvv"] = json!(cvv);
    }
    let v = json_call(
        client
            .post(format!("{base}/v1/paymentmethods"))
            .header("Authorization", format!("Basic {api_key}"))
            .json(&card),
    )
    .await?;
    let payment_method = v["transaction"]["paymentMethod"]["paymentMethodId"]
        .as_str()
        .ok_or_else(|| anyhow!("vaulting failed: {v}"))?
        .to_string();
    let ctx = Ctx {
        client: client.clone(),
        base,
        api_key,
        payment_method,
        bearer: tokio::sync::RwLock::new((String::new(), Instant::now())),
        app_key,
        app_secret,
        flexiti,
        positions: Default::default(),
        seq: AtomicU64::new(0),
        run: ulid::Ulid::new().to_string(),
        merchant_id: m["merchantId"].as_str().unwrap_or_default().to_string(),
        template_txn: None,
    };
    let mut ctx = ctx;
    if matches!(
        opts.scenario,
        Scenario::FlexpayChargeToken
            | Scenario::FlexpayChargeConnector
            | Scenario::FlexpayAuthCapture
            | Scenario::FlexpayList
    ) {
        let v = ctx.charge("/v1/gateways/charge", 1999).await?;
        ctx.template_txn = v["transaction"]["transactionId"].as_str().map(String::from);
    }
    if flexiti {
        let merchant = m["merchantId"].as_str().unwrap_or_default();
        for account in FLEXITI_ACCOUNTS {
            json_call(
                client
                    .patch(format!(
                        "{}/admin/merchants/{merchant}/flexiti/customers/{account}",
                        ctx.base
                    ))
                    .bearer_auth(&opts.admin_token)
                    .json(&json!({"creditLimit": 1_000_000_000})),
            )
            .await
            .context("raising the sandbox accounts' limits")?;
        }
    }
    if opts.scenario != Scenario::FlexpayList || opts.list_rows == 0 {
        return Ok(ctx);
    }
    // The list scenario pages over a table of `list_rows` charges, from positions spread over it.
    let ctx = Arc::new(ctx);
    let mut tasks = Vec::new();
    for _ in 0..opts.concurrency.max(4) {
        let c = ctx.clone();
        let per = opts.list_rows / opts.concurrency.max(4) + 1;
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for _ in 0..per {
                if let Ok(v) = c.charge("/v1/gateways/charge", 1999).await {
                    ids.push(
                        v["transaction"]["transactionId"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string(),
                    );
                }
            }
            ids
        }));
    }
    let mut positions = Vec::new();
    for t in tasks {
        positions.extend(t.await?);
    }
    positions.sort();
    let ctx = Arc::try_unwrap(ctx).map_err(|_| anyhow!("preparation still running"))?;
    let positions: Vec<String> = positions.into_iter().step_by(97).collect();
    if positions.is_empty() {
        bail!("could not prepare list data");
    }
    *ctx.positions.write().expect("positions lock") = positions;
    Ok(ctx)
}

fn client(concurrency: usize) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency.max(1))
        .timeout(Duration::from_secs(30))
        .build()?)
}

impl Ctx {
    fn fixture(&self) -> anyhow::Result<crate::bench_db::Fixture> {
        Ok(crate::bench_db::Fixture {
            merchant_id: self.merchant_id.clone(),
            payment_method_id: self.payment_method.clone(),
            template_txn: self
                .template_txn
                .clone()
                .ok_or_else(|| anyhow!("this scenario makes no FlexPay transactions"))?,
        })
    }
}

/// What `--compare-pgbench` measures openflex against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Baseline {
    /// The statements the server sends for one operation.
    Same,
    /// The least a token charge must do: read the payment method, insert the attempt, in one
    /// transaction.
    Minimal,
}

/// One run: prepare, drive, and with `compare_pgbench` run pgbench on the same database.
pub async fn run(opts: Options) -> anyhow::Result<Report> {
    let ctx = Arc::new(prepare(&opts, &client(opts.concurrency)?).await?);
    let mut report = drive(&ctx, &opts).await?;
    compare(&ctx, &opts, &mut report).await?;
    Ok(report)
}

async fn compare(ctx: &Ctx, opts: &Options, report: &mut Report) -> anyhow::Result<()> {
    if !opts.compare_pgbench {
        return Ok(());
    }
    let url = opts
        .database_url
        .as_deref()
        .ok_or_else(|| anyhow!("--compare-pgbench needs --database-url"))?;
    let tps = crate::bench_db::compare(
        url,
        opts.scenario,
        opts.baseline,
        &ctx.fixture()?,
        opts.concurrency,
        opts.duration,
    )
    .await?;
    report.pgbench_tps = Some(tps);
    report.ratio = Some(report.ops_per_sec / tps);
    Ok(())
}

/// The table-size sweep: grows the bench merchant's transactions to each size in turn (seeded
/// in the database, `--database-url`) and runs the scenario at each.
pub async fn run_sizes(opts: Options, sizes: &[u64]) -> anyhow::Result<Vec<Report>> {
    let url = opts
        .database_url
        .clone()
        .ok_or_else(|| anyhow!("--table-sizes needs --database-url to seed the rows"))?;
    let prep = Options {
        list_rows: 0,
        ..opts.clone()
    };
    let ctx = Arc::new(prepare(&prep, &client(opts.concurrency)?).await?);
    let fixture = ctx.fixture()?;
    let mut reports = Vec::new();
    let mut have = 0;
    for &size in sizes {
        let positions = crate::bench_db::seed(&url, &fixture, have, size).await?;
        have = have.max(size);
        *ctx.positions.write().expect("positions lock") = positions;
        let mut report = drive(&ctx, &opts).await?;
        report.rows = Some(size);
        compare(&ctx, &opts, &mut report).await?;
        reports.push(report);
    }
    Ok(reports)
}

async fn drive(ctx: &Arc<Ctx>, opts: &Options) -> anyhow::Result<Report> {
    let errors = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + opts.duration;
    let mut tasks = Vec::new();
    for _ in 0..opts.concurrency.max(1) {
        let (ctx, errors, scenario) = (Arc::clone(ctx), errors.clone(), opts.scenario);
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(4096);
            while Instant::now() < deadline {
                let t = Instant::now();
                match ctx.op(scenario).await {
                    Ok(()) => lat.push(t.elapsed().as_micros() as u64),
                    Err(_) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await?);
    }
    let elapsed = start.elapsed().as_secs_f64();
    all.sort_unstable();
    let ops = all.len() as u64;
    Ok(Report {
        scenario: format!("{:?}", opts.scenario),
        concurrency: opts.concurrency,
        duration_s: elapsed,
        ops,
        ops_per_sec: ops as f64 / elapsed,
        errors: errors.load(Ordering::Relaxed),
        p50_ms: percentile(&all, 0.50),
        p90_ms: percentile(&all, 0.90),
        p99_ms: percentile(&all, 0.99),
        p999_ms: percentile(&all, 0.999),
        max_ms: all.last().map(|m| *m as f64 / 1000.0).unwrap_or(0.0),
        server_rss_mb: server_rss_mb(&opts.target),
        rows: None,
        pgbench_tps: None,
        ratio: None,
    })
}

/// RSS of the process listening on the target's port, when it runs on this machine.
pub fn server_rss_mb(target: &str) -> Option<f64> {
    let url = reqwest::Url::parse(target).ok()?;
    let host = url.host_str()?;
    if !(host == "127.0.0.1" || host == "localhost" || host == "[::1]") {
        return None;
    }
    let port = url.port_or_known_default()?;
    let inode = ["/proc/net/tcp", "/proc/net/tcp6"].iter().find_map(|f| {
        std::fs::read_to_string(f)
            .ok()?
            .lines()
            .skip(1)
            .find_map(|l| {
                let cols: Vec<&str> = l.split_whitespace().collect();
                let local_port = u16::from_str_radix(cols.get(1)?.rsplit(':').next()?, 16).ok()?;
                (local_port == port && cols.get(3)? == &"0A")
                    .then(|| cols.get(9).map(|s| s.to_string()))?
            })
    })?;
    let needle = format!("socket:[{inode}]");
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let pid = entry.file_name();
        if !pid.to_string_lossy().bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) else {
            continue;
        };
        if fds
            .flatten()
            .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|l| l.to_string_lossy() == needle))
        {
            let status = std::fs::read_to_string(entry.path().join("status")).ok()?;
            let kb: f64 = status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))?
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            return Some(kb / 1024.0);
        }
    }
    None
}

/// One line per run: a sweep's table.
pub fn print_table(reports: &[Report]) {
    let opt = |v: Option<f64>, digits: usize| {
        v.map(|v| format!("{v:.digits$}"))
            .unwrap_or_else(|| "-".into())
    };
    println!(
        "{:>9} {:>11} {:>10} {:>7} {:>9} {:>9} {:>9} {:>9} {:>8} {:>9} {:>6}",
        "rows",
        "concurrency",
        "ops/s",
        "errors",
        "p50 ms",
        "p99 ms",
        "p99.9 ms",
        "max ms",
        "RSS MB",
        "pgbench",
        "ratio"
    );
    for r in reports {
        println!(
            "{:>9} {:>11} {:>10.0} {:>7} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>8} {:>9} {:>6}",
            r.rows.map(|n| n.to_string()).unwrap_or_else(|| "-".into()),
            r.concurrency,
            r.ops_per_sec,
            r.errors,
            r.p50_ms,
            r.p99_ms,
            r.p999_ms,
            r.max_ms,
            opt(r.server_rss_mb, 0),
            opt(r.pgbench_tps, 0),
            opt(r.ratio, 2),
        );
    }
}

pub fn print_human(r: &Report) {
    println!(
        "{} c={} {:.1}s: {} ops, {:.0} ops/s, {} errors | p50 {:.2} ms  p90 {:.2} ms  p99 {:.2} ms  p99.9 {:.2} ms  max {:.2} ms | server RSS {}",
        r.scenario,
        r.concurrency,
        r.duration_s,
        r.ops,
        r.ops_per_sec,
        r.errors,
        r.p50_ms,
        r.p90_ms,
        r.p99_ms,
        r.p999_ms,
        r.max_ms,
        r.server_rss_mb
            .map(|m| format!("{m:.0} MB"))
            .unwrap_or_else(|| "n/a".into())
    );
    if let (Some(tps), Some(ratio)) = (r.pgbench_tps, r.ratio) {
        println!("pgbench, same statements: {tps:.0} tps | openflex ÷ pgbench = {ratio:.2}");
    }
}
