//! Routing: which of the merchant's gateways takes a payment — the pinned one, else a weighted
//! choice among the Available gateways that accept the currency and card brand — and, after a
//! decline caused by issuer or processor trouble, which other gateway the retry cascades to.
//! FlexPay payments, scheduled retries and FlexFactor rescue attempts all route here.

use crate::{Engine, Gateway, GatewayStatus, Mode, Result, Tenant, ids};

impl Engine {
    /// After a decline another acquirer may approve (issuer or processor trouble, merchant
    /// configuration), another usable gateway for the next attempt; `None` keeps this one.
    /// Weight-0 gateways are candidates: out of normal rotation is how a failover acquirer is
    /// configured.
    pub(crate) async fn cascade_target(
        &self,
        t: &Tenant,
        current: &str,
        currency: &str,
        card_type: Option<&str>,
        seed: &str,
    ) -> Result<Option<String>> {
        let others: Vec<Gateway> = self
            .store
            .gateways(&t.merchant_id, t.mode.as_str())
            .await?
            .iter()
            .map(Gateway::from_row)
            .filter(|g| {
                g.token != current
                    && g.status == GatewayStatus::Available
                    && g.accept_retries
                    && self.connectors.knows(&g.gateway_type)
                    && g.accepts(currency, card_type)
            })
            .collect();
        let weights: Vec<u64> = others.iter().map(|g| g.weight.max(1) as u64).collect();
        Ok(
            openflex_domain::routing::pick_weighted(&weights, ids::seed_of(seed))
                .map(|i| others[i].token.clone()),
        )
    }

    /// Picks the gateway: the pinned one, else a weighted choice among Available gateways
    /// accepting the currency and brand. A tenant from the node's cache routes on the cached
    /// gateways of the same configuration generation (the payment's guarded write vouches for
    /// both). `Err` carries why none fits (a refusal about the
    /// request's gateway token).
    pub(crate) async fn route(
        &self,
        t: &Tenant,
        pinned: Option<&str>,
        currency: &str,
        card_type: Option<&str>,
        id: &str,
        retry: bool,
    ) -> Result<std::result::Result<Gateway, String>> {
        let usable = |g: &Gateway| {
            g.status == GatewayStatus::Available
                && self.connectors.knows(&g.gateway_type)
                && !(t.mode == Mode::Live && g.gateway_type == "sandbox")
        };
        let cached = match t.guard() {
            Some(generation) => Some(
                self.store
                    .cached_gateways(&t.merchant_id, t.mode.as_str(), generation)
                    .await?
                    .value,
            ),
            None => None,
        };
        if let Some(token) = pinned {
            let row = match &cached {
                Some(table) => table.iter().find(|g| g.token == token).cloned(),
                None => {
                    self.store
                        .gateway(&t.merchant_id, t.mode.as_str(), token)
                        .await?
                }
            };
            let Some(row) = row else {
                return Ok(Err(format!("no gateway with token {token}")));
            };
            let g = Gateway::from_row(&row);
            if !usable(&g) {
                return Ok(Err(format!(
                    "gateway {token} is {} and cannot take payments",
                    g.status.as_str()
                )));
            }
            if !g.accepts(currency, card_type) {
                return Ok(Err(format!(
                    "gateway {token} does not accept {currency} / {}",
                    card_type.unwrap_or("this card")
                )));
            }
            return Ok(Ok(g));
        }
        let table = match cached {
            Some(table) => table,
            None => {
                std::sync::Arc::new(self.store.gateways(&t.merchant_id, t.mode.as_str()).await?)
            }
        };
        let candidates: Vec<Gateway> = table
            .iter()
            .map(Gateway::from_row)
            .filter(|g| {
                usable(g)
                    && g.accepts(currency, card_type)
                    && g.weight > 0
                    && (!retry || g.accept_retries)
            })
            .collect();
        let weights: Vec<u64> = candidates.iter().map(|g| g.weight as u64).collect();
        match openflex_domain::routing::pick_weighted(&weights, ids::seed_of(id)) {
            Some(i) => Ok(Ok(candidates[i].clone())),
            None => Ok(Err(format!(
                "none given, and no available gateway accepts {currency} / {}",
                card_type.unwrap_or("this card")
            ))),
        }
    }
}
