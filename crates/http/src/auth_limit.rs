//! Rate limiting of failed authentication (docs/platform.md §3), with a budget per surface.
//!
//! Only failures are counted on the APIs and the admin API: a request with valid credentials is
//! never delayed or refused, whatever its address did before, so good clients are not slowed.
//! Past a budget, a failed attempt gets 429 with `Retry-After` instead of 401.
//!
//! Why one budget per surface: with a single budget per address, a client sending bad API keys
//! locked the portal's users and the operator out too — behind a proxy, everyone, since every
//! request then comes from one address (hence `trusted_proxies`, see [`crate::client`]). Portal
//! sign-in is kept per account *and* address, so guessing at one account neither locks out the
//! other accounts at that address nor the account's owner elsewhere; a looser per-address
//! ceiling stops a client from cycling through made-up emails, each of which costs an Argon2id
//! hash. The limiters are in memory and per node; idle keys are dropped by
//! [`AuthBudgets::forget_recovered`], so made-up addresses and emails do not pile up.

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

/// One budget of failed attempts per key.
#[derive(Clone)]
pub struct FailedAuthLimiter<K: Hash + Eq + Clone> {
    limiter: Arc<DefaultKeyedRateLimiter<K>>,
    /// The surface's name in `openflex_auth_rate_limited_total`.
    surface: &'static str,
}

impl<K: Hash + Eq + Clone> FailedAuthLimiter<K> {
    /// `burst` failures at once, then one per `period`.
    fn new(surface: &'static str, burst: u32, period: Duration) -> Self {
        let quota = Quota::with_period(period)
            .expect("non-zero period")
            .allow_burst(NonZeroU32::new(burst).expect("non-zero burst"));
        Self {
            limiter: Arc::new(RateLimiter::keyed(quota)),
            surface,
        }
    }

    /// Records a failed attempt by `key`; `Some(seconds)` when over budget. Without a key (no
    /// connect info, as in unit tests of the router) nothing is counted.
    pub fn failed(&self, key: Option<K>) -> Option<u64> {
        match self.limiter.check_key(&key?) {
            Ok(()) => None,
            Err(not_until) => {
                metrics::counter!("openflex_auth_rate_limited_total", "surface" => self.surface)
                    .increment(1);
                Some(
                    not_until
                        .wait_time_from(DefaultClock::default().now())
                        .as_secs()
                        .max(1),
                )
            }
        }
    }

    fn forget_recovered(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

/// The budgets of every surface that checks a secret.
#[derive(Clone)]
pub struct AuthBudgets {
    /// FlexPay API keys, FlexFactor tokens and client credentials, Flexiti OAuth: per client.
    pub api: FailedAuthLimiter<IpAddr>,
    /// The admin token and the `/metrics` token: per client.
    pub operator: FailedAuthLimiter<IpAddr>,
    portal_account: FailedAuthLimiter<(String, IpAddr)>,
    portal_client: FailedAuthLimiter<IpAddr>,
}

impl Default for AuthBudgets {
    /// 30 failures in a burst, then one every two seconds; a portal client may try about three
    /// accounts' worth before its own ceiling.
    fn default() -> Self {
        let two_seconds = Duration::from_secs(2);
        Self {
            api: FailedAuthLimiter::new("api", 30, two_seconds),
            operator: FailedAuthLimiter::new("admin", 30, two_seconds),
            portal_account: FailedAuthLimiter::new("portal", 30, two_seconds),
            portal_client: FailedAuthLimiter::new("portal", 100, Duration::from_secs(1)),
        }
    }
}

/// Emails longer than this are refused at sign-in anyway; the key need not hold more.
const EMAIL_KEY_LEN: usize = 254;

impl AuthBudgets {
    /// Records a portal sign-in attempt — every attempt, not only failures, since each costs
    /// an Argon2id hash — for `email` (any case) from `client`; `Some(seconds)` when over
    /// either budget.
    pub fn portal_attempt(&self, email: &str, client: Option<IpAddr>) -> Option<u64> {
        let mut account = email.trim().to_lowercase();
        if account.len() > EMAIL_KEY_LEN {
            let mut end = EMAIL_KEY_LEN;
            while !account.is_char_boundary(end) {
                end -= 1;
            }
            account.truncate(end);
        }
        let per_client = self.portal_client.failed(client);
        let per_account = self.portal_account.failed(client.map(|ip| (account, ip)));
        per_client.max(per_account)
    }

    /// Drops the keys whose budget has refilled (call now and then: every key held is memory).
    pub fn forget_recovered(&self) {
        self.api.forget_recovered();
        self.operator.forget_recovered();
        self.portal_account.forget_recovered();
        self.portal_client.forget_recovered();
    }
}
