//! The `openflex` command line: serving, the worker, migrations, and the operator tasks that must
//! work without a running server or an admin token (merchants and their keys, portal users,
//! webhooks, Flexiti set-up, master-key rotation, benches).
//! Each subcommand only parses its arguments and calls the library or the engine, so the CLI
//! and the admin API cannot disagree on a rule.

use anyhow::Context;
use clap::{Parser, Subcommand};
use openflex::config::{Config, Overrides};
use openflex::{Application, bootstrap, open_engine, telemetry};
use openflex_engine::Mode;
use openflex_vault::KeyRing;
use std::path::PathBuf;

/// A request allocates and frees many small buffers across threads (HTTP, JSON, SQL rows);
/// glibc's allocator spent about a sixth of a live charge's CPU on them (perf, issue 18).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// openflex: a self-hosted payments server speaking FlexPay v1.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// TOML configuration file.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Data directory (SQLite database, vault key ring, admin token). Default ./openflex-data.
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// `postgres://…` selects PostgreSQL; default is SQLite in the data directory.
    #[arg(long, global = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (the default).
    Serve {
        /// Address to listen on. Default 127.0.0.1:8080.
        #[arg(long)]
        bind: Option<String>,
    },
    /// Run only the job worker (scheduled work), no HTTP; any number may run beside `serve`.
    Worker,
    /// Run database migrations and exit.
    Migrate,
    /// Manage merchants.
    Merchant {
        #[command(subcommand)]
        command: MerchantCommand,
    },
    /// Manage credentials and the vault's master keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Manage merchant portal users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage a merchant's webhook endpoints.
    Webhook {
        #[command(subcommand)]
        command: WebhookCommand,
    },
    /// Manage a merchant's Flexiti plans, settings and customer accounts.
    Flexiti {
        #[command(subcommand)]
        command: FlexitiCommand,
    },
    /// Load-test a running server (creates its own merchant via the admin API: sandbox, or live
    /// with a gateway of --gateway's type for flexpay-charge-connector).
    Bench {
        /// Base URL of the server, e.g. http://127.0.0.1:8080.
        #[arg(long)]
        target: String,
        #[arg(long, value_enum)]
        scenario: openflex::bench::Scenario,
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        /// Seconds to run.
        #[arg(long, default_value_t = 10)]
        duration: u64,
        /// Print one JSON object as the last line.
        #[arg(long)]
        json: bool,
        /// Transactions to prepare for the list scenario.
        #[arg(long, default_value_t = 10_000)]
        list_rows: usize,
        /// Run once per concurrency in this list (e.g. 1,8,32,128) and print a table instead;
        /// with --json the last line is a JSON array of the runs.
        #[arg(long, value_delimiter = ',')]
        sweep: Vec<usize>,
        /// Grow the bench merchant's transactions to each of these sizes in turn (seeded in the
        /// database: needs --database-url) and run the scenario at each, e.g. 10000,100000,1000000.
        #[arg(long, value_delimiter = ',')]
        table_sizes: Vec<u64>,
        /// Also run pgbench with the statements of one operation on the same PostgreSQL, same
        /// clients and duration, and report openflex ÷ pgbench.
        #[arg(long)]
        compare_pgbench: bool,
        /// What --compare-pgbench runs: `same` (the statements the server sends for one
        /// operation) or `minimal` (the least any charge must do: read the payment method by id
        /// and insert the attempt, in one transaction; flexpay-charge-token only).
        #[arg(long, value_enum, default_value_t = openflex::bench::Baseline::Same)]
        baseline: openflex::bench::Baseline,
        /// The server's database (postgres://… or a SQLite file), for --table-sizes and
        /// --compare-pgbench.
        #[arg(long)]
        database_url: Option<String>,
        /// The live gateway type flexpay-charge-connector creates (the server must point that
        /// type at a gateway double: see the `fake-gateway` binary of openflex-gateway-doubles).
        #[arg(long, value_enum, default_value_t = openflex::bench::Gateway::Stripe)]
        gateway: openflex::bench::Gateway,
        #[arg(long, env = "OPENFLEX_ADMIN_TOKEN", hide_env_values = true)]
        admin_token: String,
    },
    /// Simulations on a scratch database (nothing touches the data directory).
    Simulate {
        #[command(subcommand)]
        command: SimulateCommand,
    },
}

#[derive(Subcommand)]
enum SimulateCommand {
    /// Compare retry policies' recovery of declined payments against a seeded issuer model
    /// (docs/recovery.md); openflex's policy runs through the engine on a scratch database.
    Recovery(openflex::simulate::RecoveryArgs),
}

#[derive(Subcommand)]
enum WebhookCommand {
    /// Add an endpoint (sandbox unless --live).
    Add {
        #[arg(long)]
        merchant: String,
        #[arg(long)]
        url: String,
        /// Comma-separated events; all events when absent.
        #[arg(long, value_delimiter = ',')]
        events: Vec<String>,
        #[arg(long)]
        live: bool,
    },
    /// List endpoints.
    List {
        #[arg(long)]
        merchant: String,
    },
    /// Start delivering to an endpoint again.
    Enable {
        #[arg(long)]
        merchant: String,
        #[arg(long)]
        endpoint: String,
    },
    /// Stop delivering to an endpoint.
    Disable {
        #[arg(long)]
        merchant: String,
        #[arg(long)]
        endpoint: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a portal user for a merchant. The password comes from OPENFLEX_USER_PASSWORD or,
    /// when that is unset, from the first line of standard input (never from a flag, which
    /// would leave it in the shell history and the process list).
    Create {
        #[arg(long)]
        merchant: String,
        #[arg(long)]
        email: String,
    },
    /// List a merchant's portal users.
    List {
        #[arg(long)]
        merchant: String,
    },
    /// Remove a portal user (their sessions end at once).
    Delete {
        #[arg(long)]
        merchant: String,
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand)]
enum FlexitiCommand {
    /// Print the merchant's plans, or replace them with the JSON array in --file.
    Plans {
        #[arg(long)]
        merchant: String,
        /// A JSON array of plans (camelCase: planId, name, category, aprBp, adminFee, terms, …).
        #[arg(long)]
        file: Option<std::path::PathBuf>,
    },
    /// Print the merchant's Flexiti settings, or merge in the JSON object in --file.
    Settings {
        #[arg(long)]
        merchant: String,
        #[arg(long)]
        file: Option<std::path::PathBuf>,
    },
    /// List the merchant's Flexiti clients (both modes) with their trusted networks.
    Clients {
        #[arg(long)]
        merchant: String,
    },
    /// Replace the networks a Flexiti client's credentials and merchant tokens may be used from:
    /// IP addresses or CIDR blocks, comma-separated. --clear lets it call from anywhere again.
    TrustedNetworks {
        #[arg(long)]
        merchant: String,
        /// The client id.
        #[arg(long)]
        client: String,
        #[arg(
            long,
            value_delimiter = ',',
            required_unless_present = "clear",
            conflicts_with = "clear"
        )]
        set: Vec<String>,
        #[arg(long)]
        clear: bool,
    },
    /// List customer accounts (sandbox unless --live).
    Customers {
        #[arg(long)]
        merchant: String,
        #[arg(long)]
        live: bool,
    },
    /// Create a customer account from the JSON object in --file; prints its card number once.
    CreateCustomer {
        #[arg(long)]
        merchant: String,
        #[arg(long)]
        file: std::path::PathBuf,
        #[arg(long)]
        live: bool,
    },
    /// Change an account's status (N, A, F, Z, C), credit limit (minor units) or risk rating.
    UpdateCustomer {
        #[arg(long)]
        merchant: String,
        #[arg(long)]
        account: String,
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        credit_limit: Option<i64>,
        #[arg(long)]
        risk_rating: Option<String>,
        #[arg(long)]
        live: bool,
    },
}

#[derive(Subcommand)]
enum MerchantCommand {
    /// Create a merchant and print its credentials (shown once).
    Create {
        #[arg(long)]
        name: String,
        /// Print exactly one JSON object.
        #[arg(long)]
        json: bool,
        /// Issue live credentials instead of sandbox ones.
        #[arg(long)]
        live: bool,
    },
    /// List merchants.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Issue another set of credentials for a merchant (rotation without downtime).
    Issue {
        #[arg(long)]
        merchant: String,
        #[arg(long)]
        live: bool,
        /// A name for the set, shown beside each key so a revoke names the right one.
        #[arg(long)]
        name: Option<String>,
    },
    /// List a merchant's credentials (never the secrets).
    Credentials {
        #[arg(long)]
        merchant: String,
    },
    /// Show or change a merchant's retry policy (within the card-network limits).
    RetryPolicy {
        #[arg(long)]
        merchant: String,
        #[arg(long)]
        max_retries: Option<i64>,
        #[arg(long)]
        window_days: Option<i64>,
        #[arg(long)]
        payday_hour: Option<u8>,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Revoke one credential of a merchant.
    Revoke {
        #[arg(long)]
        merchant: String,
        #[arg(long)]
        credential: String,
    },
    /// Add a new vault master key, make it active and re-wrap every data key under it.
    RotateMaster,
    /// Remove master key versions no stored data uses any more.
    Retire,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let bind = match &cli.command {
        Some(Command::Serve { bind }) => bind.clone(),
        _ => None,
    };
    let config = Config::load(
        cli.config.as_deref(),
        Overrides {
            bind,
            data_dir: cli.data_dir.clone(),
            database_url: cli.database_url.clone(),
        },
    )
    .map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(run(
        cli.command.unwrap_or(Command::Serve { bind: None }),
        config,
    ))
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve { .. } => {
            telemetry::init(&config.log_format);
            let app = Application::build(&config).await?;
            let admin = app
                .admin_token_created
                .then(|| app.admin_token().to_string());
            println!(
                "{}",
                bootstrap::banner(
                    &app.base_url(),
                    &app.sandbox,
                    app.sandbox_portal.as_ref(),
                    admin.as_deref(),
                    app.first_start,
                    &bootstrap::credentials_file(&config),
                    config.allow_private_webhook_targets,
                )
            );
            tracing::info!(addr = %app.addr(), first_start = app.first_start, "openflex listening");
            app.run_until(openflex::shutdown_signal()).await
        }
        Command::Worker => {
            telemetry::init(&config.log_format);
            let engine = open_engine(&config).await?;
            let name = openflex::worker_name();
            tracing::info!(worker = %name, "openflex worker started");
            tokio::select! {
                _ = openflex::work(engine.clone(), name) => {},
                _ = openflex::shutdown_signal() => {},
            }
            engine.store().close().await;
            Ok(())
        }
        Command::Migrate => {
            open_engine(&config).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Merchant { command } => merchant(command, &config).await,
        Command::Keys { command } => keys(command, &config).await,
        Command::User { command } => user(command, &config).await,
        Command::Webhook { command } => webhook(command, &config).await,
        Command::Flexiti { command } => flexiti(command, &config).await,
        Command::Simulate {
            command: SimulateCommand::Recovery(args),
        } => openflex::simulate::recovery(args).await,
        Command::Bench {
            target,
            scenario,
            concurrency,
            duration,
            json,
            list_rows,
            sweep,
            table_sizes,
            compare_pgbench,
            baseline,
            database_url,
            gateway,
            admin_token,
        } => {
            let opts = openflex::bench::Options {
                target,
                scenario,
                concurrency,
                duration: std::time::Duration::from_secs(duration),
                admin_token,
                list_rows,
                database_url,
                compare_pgbench,
                baseline,
                gateway,
            };
            if !sweep.is_empty() || !table_sizes.is_empty() {
                let mut reports = Vec::new();
                for c in if sweep.is_empty() {
                    vec![concurrency]
                } else {
                    sweep
                } {
                    let opts = openflex::bench::Options {
                        concurrency: c,
                        ..opts.clone()
                    };
                    if table_sizes.is_empty() {
                        reports.push(openflex::bench::run(opts).await?);
                    } else {
                        reports.extend(openflex::bench::run_sizes(opts, &table_sizes).await?);
                    }
                }
                openflex::bench::print_table(&reports);
                if json {
                    println!("{}", serde_json::to_string(&reports)?);
                }
                return Ok(());
            }
            let report = openflex::bench::run(opts).await?;
            openflex::bench::print_human(&report);
            if json {
                println!("{}", serde_json::to_string(&report)?);
            }
            Ok(())
        }
    }
}

async fn flexiti(command: FlexitiCommand, config: &Config) -> anyhow::Result<()> {
    use openflex_engine::Mode;
    use openflex_engine::financing::onboarding::AccountChange;
    use openflex_http::admin::accounts::{self, AccountView, NewCustomerBody};
    let engine = open_engine(config).await?;
    let mode = |live: bool| if live { Mode::Live } else { Mode::Sandbox };
    let read = |path: &std::path::Path| -> anyhow::Result<serde_json::Value> {
        Ok(serde_json::from_str(&std::fs::read_to_string(path)?)?)
    };
    let out = match command {
        FlexitiCommand::Plans { merchant, file } => {
            let mut settings = engine.flexiti_settings(&merchant).await?;
            if let Some(f) = file {
                settings.plans = serde_json::from_value(read(&f)?)?;
                settings = engine.set_flexiti_settings(&merchant, settings).await?;
            }
            serde_json::to_string_pretty(&settings.plans)?
        }
        FlexitiCommand::Settings { merchant, file } => {
            let mut settings = engine.flexiti_settings(&merchant).await?;
            if let Some(f) = file {
                let patch = match read(&f)? {
                    serde_json::Value::Object(p) => p,
                    _ => serde_json::Map::new(),
                };
                let merged = openflex_engine::settings::merge(&settings, &patch)?;
                settings = engine.set_flexiti_settings(&merchant, merged).await?;
            }
            serde_json::to_string_pretty(&settings)?
        }
        FlexitiCommand::Clients { merchant } => {
            serde_json::to_string_pretty(&engine.flexiti_clients(&merchant).await?)?
        }
        FlexitiCommand::TrustedNetworks {
            merchant,
            client,
            set,
            clear: _,
        } => serde_json::to_string_pretty(
            &engine
                .set_flexiti_trusted_networks(&merchant, &client, &set)
                .await?,
        )?,
        FlexitiCommand::Customers { merchant, live } => {
            let list = engine.flexiti_admin_accounts(&merchant, mode(live)).await?;
            let views: Vec<AccountView> = list.into_iter().map(AccountView::from).collect();
            serde_json::to_string_pretty(&views)?
        }
        FlexitiCommand::CreateCustomer {
            merchant,
            file,
            live,
        } => {
            let new = serde_json::from_value::<NewCustomerBody>(read(&file)?)?
                .into_request()
                .map_err(anyhow::Error::msg)?;
            let account = engine
                .flexiti_admin_create_account(&merchant, mode(live), new)
                .await?;
            serde_json::to_string_pretty(&AccountView::from(account))?
        }
        FlexitiCommand::UpdateCustomer {
            merchant,
            account,
            status,
            credit_limit,
            risk_rating,
            live,
        } => {
            let risk_rating = risk_rating
                .map(|r| {
                    openflex_domain::financing::RiskRating::parse(&r).ok_or_else(|| {
                        anyhow::anyhow!("risk rating must be one of L, M, H, X, Y, Z, N")
                    })
                })
                .transpose()?;
            let status = status
                .as_deref()
                .map(accounts::parse_status)
                .transpose()
                .map_err(anyhow::Error::msg)?;
            let change = AccountChange {
                status,
                credit_limit,
                risk_rating,
            };
            let account = engine
                .flexiti_admin_update_account(&merchant, mode(live), &account, change)
                .await?;
            serde_json::to_string_pretty(&AccountView::from(account))?
        }
    };
    println!("{out}");
    Ok(())
}

async fn webhook(command: WebhookCommand, config: &Config) -> anyhow::Result<()> {
    use openflex_engine::webhooks::EndpointInput;
    let engine = open_engine(config).await?;
    let show = |e: &openflex_engine::webhooks::WebhookEndpoint| {
        let events = if e.events.is_empty() {
            "all events".to_string()
        } else {
            e.events.join(",")
        };
        println!(
            "{}  {:7}  {}  {}  {}",
            e.id,
            e.mode,
            if e.enabled { "enabled " } else { "disabled" },
            e.url,
            events
        );
    };
    match command {
        WebhookCommand::Add {
            merchant,
            url,
            events,
            live,
        } => {
            let e = engine
                .create_webhook_endpoint(
                    &merchant,
                    EndpointInput {
                        url: Some(url),
                        events: Some(events),
                        enabled: Some(true),
                        mode: Some(if live { "live" } else { "sandbox" }.into()),
                    },
                )
                .await?;
            show(&e);
        }
        WebhookCommand::List { merchant } => engine
            .webhook_endpoints(&merchant)
            .await?
            .iter()
            .for_each(show),
        WebhookCommand::Enable { merchant, endpoint } => {
            let input = EndpointInput {
                enabled: Some(true),
                ..EndpointInput::default()
            };
            show(
                &engine
                    .update_webhook_endpoint(&merchant, &endpoint, input)
                    .await?,
            );
        }
        WebhookCommand::Disable { merchant, endpoint } => {
            let input = EndpointInput {
                enabled: Some(false),
                ..EndpointInput::default()
            };
            show(
                &engine
                    .update_webhook_endpoint(&merchant, &endpoint, input)
                    .await?,
            );
        }
    }
    Ok(())
}

async fn user(command: UserCommand, config: &Config) -> anyhow::Result<()> {
    let engine = open_engine(config).await?;
    match command {
        UserCommand::Create { merchant, email } => {
            let password = match std::env::var("OPENFLEX_USER_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_string()
                }
            };
            let id = engine
                .create_portal_user(&merchant, &email, openflex_domain::Secret::new(password))
                .await?;
            println!("{id}");
            eprintln!("Portal user {email} can sign in at /portal/.");
        }
        UserCommand::List { merchant } => {
            for (email, created) in engine.portal_users(&merchant).await? {
                println!(
                    "{email}  created {}",
                    openflex_domain::time::rfc3339(created)
                );
            }
        }
        UserCommand::Delete { merchant, email } => {
            engine.delete_portal_user(&merchant, &email).await?;
            eprintln!("Portal user {email} removed; their sessions have ended.");
        }
    }
    Ok(())
}

async fn merchant(command: MerchantCommand, config: &Config) -> anyhow::Result<()> {
    let engine = open_engine(config).await?;
    match command {
        MerchantCommand::Create { name, json, live } => {
            let mode = if live { Mode::Live } else { Mode::Sandbox };
            let issued = engine.create_merchant(&name, mode).await?;
            if json {
                println!("{}", serde_json::to_string(&issued)?);
            } else {
                println!("{}", serde_json::to_string_pretty(&issued)?);
                eprintln!("These secrets are shown once; store them now.");
            }
        }
        MerchantCommand::List { json } => {
            let merchants = engine.merchants().await?;
            if json {
                println!("{}", serde_json::to_string(&merchants)?);
            } else {
                for m in merchants {
                    println!("{}  {}  created {}", m.merchant_id, m.name, m.created_at);
                }
            }
        }
        MerchantCommand::Issue {
            merchant,
            live,
            name,
        } => {
            let mode = if live { Mode::Live } else { Mode::Sandbox };
            let issued = engine
                .issue_credentials(&merchant, mode, name.as_deref())
                .await?;
            println!("{}", serde_json::to_string_pretty(&issued)?);
        }
        MerchantCommand::RetryPolicy {
            merchant,
            max_retries,
            window_days,
            payday_hour,
        } => {
            let mut policy = engine.retry_policy(&merchant).await?;
            if max_retries.is_some() || window_days.is_some() || payday_hour.is_some() {
                policy.max_retries = max_retries.unwrap_or(policy.max_retries);
                policy.window_days = window_days.unwrap_or(policy.window_days);
                policy.payday_hour = payday_hour.unwrap_or(policy.payday_hour);
                policy = engine.set_retry_policy(&merchant, policy).await?;
            }
            println!("{}", serde_json::to_string_pretty(&policy)?);
        }
        MerchantCommand::Credentials { merchant } => {
            for c in engine.credentials(&merchant).await? {
                println!(
                    "{}  {:7}  {:24}  {}  {}  {}{}",
                    c.id,
                    c.mode,
                    c.kind,
                    c.public_id.as_deref().unwrap_or("—"),
                    c.preview.as_deref().unwrap_or("—"),
                    c.name.as_deref().unwrap_or("—"),
                    if c.revoked { "  (revoked)" } else { "" }
                );
            }
        }
    }
    Ok(())
}

async fn keys(command: KeysCommand, config: &Config) -> anyhow::Result<()> {
    match command {
        KeysCommand::Revoke {
            merchant,
            credential,
        } => {
            let engine = open_engine(config).await?;
            engine
                .revoke_credential(&merchant, &credential)
                .await
                .with_context(|| format!("revoking {credential}"))?;
            println!("revoked {credential}");
        }
        KeysCommand::RotateMaster => {
            let path = config.key_file();
            let mut ring = KeyRing::load(&path)?;
            let version = ring.rotate()?;
            ring.save(&path)?;
            let engine = open_engine(config).await?;
            let n = engine.rewrap_all().await?;
            println!("master key v{version} is active; re-wrapped {n} data keys");
            println!(
                "running servers load the new ring when they meet it; once every node has, `openflex keys retire` drops unused versions"
            );
        }
        KeysCommand::Retire => {
            let engine = open_engine(config).await?;
            let in_use = engine.kek_versions_in_use().await?;
            let path = config.key_file();
            let mut ring = KeyRing::load(&path)?;
            let gone = ring.retire_unused(&in_use);
            ring.save(&path)?;
            println!("retired master key versions {gone:?}; in use: {in_use:?}");
        }
    }
    Ok(())
}
