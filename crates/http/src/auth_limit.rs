//! Rate limiting of failed authentication, per client address (docs/platform.md §3).
//!
//! Only failures are counted: a request with valid credentials is never delayed or refused,
//! whatever its address did before, so good clients are not slowed. Past the budget, a failed
//! attempt gets 429 with `Retry-After` instead of 401. The limiter is in memory and per node.

use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

#[derive(Clone)]
pub struct FailedAuthLimiter {
    limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

impl Default for FailedAuthLimiter {
    /// 30 failures in a burst, then one every two seconds.
    fn default() -> Self {
        let quota = Quota::with_period(std::time::Duration::from_secs(2))
            .expect("non-zero period")
            .allow_burst(NonZeroU32::new(30).expect("non-zero burst"));
        Self {
            limiter: Arc::new(RateLimiter::keyed(quota)),
        }
    }
}

/// The peer address of a request (the server runs with connect info).
pub fn peer_ip(parts: &Parts) -> Option<IpAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

impl FailedAuthLimiter {
    /// Records a failed attempt from the request's peer; `Some(seconds)` when over budget.
    pub fn failed(&self, parts: &Parts) -> Option<u64> {
        self.failed_from(peer_ip(parts))
    }

    /// Records a failed attempt from `ip`; `Some(seconds)` when over budget.
    pub fn failed_from(&self, ip: Option<IpAddr>) -> Option<u64> {
        let ip = ip?;
        match self.limiter.check_key(&ip) {
            Ok(()) => None,
            Err(not_until) => {
                metrics::counter!("openflex_auth_rate_limited_total").increment(1);
                Some(
                    not_until
                        .wait_time_from(DefaultClock::default().now())
                        .as_secs()
                        .max(1),
                )
            }
        }
    }
}
