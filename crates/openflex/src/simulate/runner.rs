//! openflex's policy through the real engine: the same code path as scheduler mode, in-process.
//!
//! Each shard is its own scratch SQLite database (in memory) holding one sandbox
//! merchant in scheduler mode, with one gateway: the simulated issuer, a connector this module
//! installs in the shard's engine alone — `serve` never registers it, so no merchant can reach
//! it. Each declined card is a vaulted third-party token (`sim-<index>`) the issuer connector
//! maps back to its card. The first attempt is an ordinary `Engine::pay` (merchant-initiated, as
//! a rebill is); the engine answers the decline with its retry date and enqueues the retry job;
//! the runner then moves the merchant's test clock an hour at a time and lets
//! `Engine::run_merchant_jobs` run whatever became due — the scheduled retries, each again an
//! `Engine::pay` through `continue_chain`, `decide` and the recording transaction.
//!
//! The shards run side by side (one per core): cards are independent, and SQLite has one
//! writer per database.

use super::issuer::{Card, Issuer};
use super::policies::Attempt;
use anyhow::{Context, anyhow};
use indicatif::ProgressBar;
use openflex_domain::codes::ResponseCode;
use openflex_domain::retry_policy::Policy as RetryPolicy;
use openflex_engine::connector::{
    BoxFuture, Connector, ConnectorRequest, ConnectorResult, ConnectorSettings, Connectors,
    Initiator, Instrument, VerifyResult,
};
use openflex_engine::gateways::GatewayInput;
use openflex_engine::payment_methods::GatewayCard;
use openflex_engine::payments::{PaymentKind, PaymentRequest, PaymentSource};
use openflex_engine::tenancy::kind::FLEXPAY_API_KEY;
use openflex_engine::{Clock, Engine, EngineConfig, Mode, Tenant, micros};
use openflex_store::Store;
use openflex_vault::{KeyRing, Vault};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use time::{Duration, OffsetDateTime};

/// The gateway type of the simulated issuer (known only to the simulator's engines).
pub const ISSUER_TYPE: &str = "simulated_issuer";
/// How far past the last first attempt the clock runs: the 30-day network window and a day.
const TAIL: Duration = Duration::days(31);

/// The engine's real time: still, so that business time is exactly the test clock's.
struct StillClock(OffsetDateTime);

impl Clock for StillClock {
    fn now(&self) -> OffsetDateTime {
        self.0
    }
}

/// The simulated issuer as a gateway: answers each sale from the issuer model at the merchant's
/// business time, and keeps every call it answered.
struct IssuerConnector {
    issuer: Issuer,
    cards: Arc<Vec<Card>>,
    /// The merchant's business time (µs), set by the runner whenever it moves the test clock.
    now_us: Arc<AtomicI64>,
    /// Every call per card, the first attempt included.
    calls: Mutex<Vec<Vec<Attempt>>>,
}

impl IssuerConnector {
    fn answer(&self, req: &ConnectorRequest<'_>) -> ConnectorResult {
        let index = match &req.instrument {
            Some(Instrument::GatewayToken(token)) => token
                .strip_prefix("sim-")
                .and_then(|i| i.parse::<usize>().ok()),
            _ => None,
        };
        let Some(card) = index.and_then(|i| self.cards.get(i)) else {
            return ConnectorResult::refused(ResponseCode(20056));
        };
        let at = openflex_engine::from_micros(self.now_us.load(Ordering::SeqCst));
        let mut calls = self.calls.lock().unwrap_or_else(|e| e.into_inner());
        let mine = &mut calls[index.unwrap_or_default()];
        let code = if mine.is_empty() {
            card.decline.code
        } else {
            self.issuer.answer(card, at)
        };
        mine.push(Attempt { at, code });
        ConnectorResult {
            gateway_transaction_id: Some(format!("sim_{}", req.reference)),
            ..ConnectorResult::refused(code)
        }
    }
}

impl Connector for IssuerConnector {
    fn gateway_type(&self) -> &'static str {
        ISSUER_TYPE
    }

    fn live(&self) -> bool {
        false
    }

    fn check_settings(&self, _settings: Option<&ConnectorSettings>) -> Result<(), String> {
        Ok(())
    }

    fn process<'a>(&'a self, req: ConnectorRequest<'a>) -> BoxFuture<'a, ConnectorResult> {
        Box::pin(async move { self.answer(&req) })
    }

    fn inquire<'a>(&'a self, req: ConnectorRequest<'a>) -> BoxFuture<'a, ConnectorResult> {
        Box::pin(async move { self.answer(&req) })
    }

    /// A model in memory has no credentials to check.
    fn verify<'a>(
        &'a self,
        _settings: Option<&'a ConnectorSettings>,
    ) -> BoxFuture<'a, VerifyResult> {
        Box::pin(async {
            VerifyResult::Accepted("the simulated issuer needs no credentials".into())
        })
    }

    /// A model in memory: no network, no money.
    fn side_effect_free(&self) -> bool {
        true
    }
}

/// Runs openflex's policy (the merchant's `policy` settings, in scheduler mode) on every card,
/// over `shards` engines in parallel. Returns each card's retries, in card order.
pub async fn run(
    issuer: Issuer,
    cards: Arc<Vec<Card>>,
    policy: RetryPolicy,
    shards: usize,
    progress: ProgressBar,
) -> anyhow::Result<Vec<Vec<Attempt>>> {
    let shards = shards.clamp(1, cards.len().max(1));
    let mut tasks = Vec::new();
    for shard in 0..shards {
        let mine: Vec<usize> = (shard..cards.len()).step_by(shards).collect();
        let (cards, policy, progress) = (cards.clone(), policy.clone(), progress.clone());
        tasks.push(tokio::spawn(async move {
            run_shard(issuer, cards, mine, policy, progress).await
        }));
    }
    let mut out = vec![Vec::new(); cards.len()];
    for task in tasks {
        for (index, retries) in task.await.context("simulation shard")?? {
            out[index] = retries;
        }
    }
    Ok(out)
}

/// One shard: `mine` are card indices in first-attempt order.
async fn run_shard(
    issuer: Issuer,
    cards: Arc<Vec<Card>>,
    mine: Vec<usize>,
    policy: RetryPolicy,
    progress: ProgressBar,
) -> anyhow::Result<Vec<(usize, Vec<Attempt>)>> {
    let Some(first) = mine.first().map(|i| cards[*i].decline.first_at) else {
        return Ok(Vec::new());
    };
    let last = mine
        .iter()
        .map(|i| cards[*i].decline.first_at)
        .max()
        .unwrap_or(first);
    let start = first
        .replace_minute(0)
        .and_then(|t| t.replace_second(0))
        .and_then(|t| t.replace_nanosecond(0))
        .map_err(|e| anyhow!("start of the simulation: {e}"))?;
    let now_us = Arc::new(AtomicI64::new(micros(start)));
    let connector = Arc::new(IssuerConnector {
        issuer,
        cards: cards.clone(),
        now_us: now_us.clone(),
        calls: Mutex::new(vec![Vec::new(); cards.len()]),
    });
    let engine = scratch_engine(start, connector.clone()).await?;
    let (merchant, api_key) = merchant(&engine, policy).await?;
    let tenant = |engine: Engine, key: String| async move {
        engine
            .authenticate(FLEXPAY_API_KEY, &key)
            .await?
            .ok_or_else(|| anyhow!("the simulation merchant's key"))
    };
    let mut tokens = Vec::with_capacity(mine.len());
    let t = tenant(engine.clone(), api_key.clone()).await?;
    for index in &mine {
        tokens.push(vault_card(&engine, &t, *index).await?);
    }
    let mut now = start;
    let mut next = 0;
    loop {
        if next < mine.len() && cards[mine[next]].decline.first_at <= now {
            let t = tenant(engine.clone(), api_key.clone()).await?;
            while next < mine.len() && cards[mine[next]].decline.first_at <= now {
                first_attempt(&engine, &t, mine[next], &cards[mine[next]], &tokens[next]).await?;
                next += 1;
                progress.inc(1);
            }
        }
        if now >= last + TAIL {
            break;
        }
        engine.advance_clock(&merchant, 3600).await?;
        now += Duration::hours(1);
        now_us.store(micros(now), Ordering::SeqCst);
        engine.run_merchant_jobs(&merchant).await?;
    }
    engine.store().close().await;
    let mut calls = connector.calls.lock().unwrap_or_else(|e| e.into_inner());
    Ok(mine
        .into_iter()
        .map(|i| {
            (
                i,
                std::mem::take(&mut calls[i]).into_iter().skip(1).collect(),
            )
        })
        .collect())
}

/// An engine on a scratch database in memory (`Store::connect_scratch`): the same engine and
/// statements as on a file, without the durability nothing in a simulation needs.
async fn scratch_engine(
    start: OffsetDateTime,
    issuer: Arc<IssuerConnector>,
) -> anyhow::Result<Engine> {
    let store = Store::connect_scratch(4)
        .await
        .context("scratch database")?;
    store.migrate().await.context("scratch database")?;
    let vault = Vault::new(KeyRing::generate().context("scratch key ring")?);
    let mut connectors = Connectors::default();
    connectors.add(issuer);
    Ok(Engine::new(
        store,
        vault,
        Arc::new(StillClock(start)),
        EngineConfig::default(),
    )
    .with_connectors(connectors))
}

/// A sandbox merchant in scheduler mode whose one gateway is the simulated issuer.
async fn merchant(engine: &Engine, policy: RetryPolicy) -> anyhow::Result<(String, String)> {
    let issued = engine
        .create_merchant("recovery simulation", Mode::Sandbox)
        .await?;
    let merchant = issued.merchant_id.clone();
    engine
        .set_retry_policy(
            &merchant,
            RetryPolicy {
                scheduler_mode: true,
                ..policy
            },
        )
        .await?;
    let t = engine
        .authenticate(FLEXPAY_API_KEY, &issued.flexpay.api_key)
        .await?
        .ok_or_else(|| anyhow!("the simulation merchant's key"))?;
    for gateway in engine.gateways(&t).await? {
        engine.delete_gateway(&t, &gateway.token).await?;
    }
    engine
        .create_gateway(
            &t,
            GatewayInput {
                name: Some("simulated issuer".into()),
                gateway_type: Some(ISSUER_TYPE.into()),
                ..GatewayInput::default()
            },
        )
        .await?;
    Ok((merchant, issued.flexpay.api_key))
}

/// Vaults card `index` as a third-party token the issuer connector knows.
async fn vault_card(engine: &Engine, t: &Tenant, index: usize) -> anyhow::Result<String> {
    let vaulted = engine
        .create_gateway_payment_method(
            t,
            GatewayCard {
                gateway_payment_method_id: format!("sim-{index}"),
                merchant_account_reference_id: None,
                first_six: None,
                last_four: None,
                holder: Default::default(),
            },
        )
        .await?
        .map_err(|r| anyhow!("vaulting card {index}: {} {}", r.code.0, r.detail))?;
    vaulted
        .payment_method_id
        .ok_or_else(|| anyhow!("vaulting card {index}: no payment method id"))
}

/// The rebill that declines: an ordinary merchant-initiated charge of the vaulted card.
async fn first_attempt(
    engine: &Engine,
    t: &Tenant,
    index: usize,
    card: &Card,
    token: &str,
) -> anyhow::Result<()> {
    let request = PaymentRequest {
        kind: PaymentKind::Charge,
        merchant_transaction_id: format!("rebill-{index}"),
        order_id: format!("order-{index}"),
        currency: card.decline.currency,
        amount: card.decline.amount,
        customer_id: None,
        source: PaymentSource::Token(token.to_string()),
        gateway_token: None,
        retry_count: 0,
        date_first_attempt: None,
        reference_data: None,
        details: Default::default(),
        initiator: Some(Initiator::Merchant),
    };
    match engine.pay(t, request).await? {
        Ok(txn) if txn.code == card.decline.code => Ok(()),
        Ok(txn) => Err(anyhow!(
            "card {index}: the first attempt answered {} instead of the decline {}",
            txn.code.0,
            card.decline.code.0
        )),
        Err(r) => Err(anyhow!(
            "card {index}: the first attempt was refused: {} {}",
            r.code.0,
            r.detail
        )),
    }
}
