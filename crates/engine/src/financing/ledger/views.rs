//! Reading the ledger back (one authorization, the two lists): no locks and no rules, so it
//! stays apart from the use cases that move money. The lists take the engine's own query type,
//! mapped here to the store's, so no dialect speaks a store type.

use super::{Authorization, Capture, PurchaseType};
use crate::financing::{FlexitiCaller, FlexitiFail, FlexitiResult, Refusal};
use crate::{Engine, Result, micros};
use openflex_store::FlexitiListQuery;
use time::OffsetDateTime;

/// The filters and page of the authorization and capture lists; every filter given holds.
#[derive(Debug, Clone, Default)]
pub struct LedgerQuery {
    pub account_number: Option<String>,
    pub purchase_type: Option<PurchaseType>,
    /// The authorization's status (`opened`, `closed`, `released`, `expired`); authorizations
    /// only.
    pub authorization_status: Option<String>,
    pub external_location_id: Option<String>,
    /// Captures of this authorization only.
    pub authorization_id: Option<i64>,
    pub created_from: Option<OffsetDateTime>,
    /// Created before this instant.
    pub created_before: Option<OffsetDateTime>,
    pub offset: i64,
    pub limit: i64,
}

impl LedgerQuery {
    fn to_store(&self) -> FlexitiListQuery {
        FlexitiListQuery {
            account_number: self.account_number.clone(),
            transaction_type: self.purchase_type.map(|p| p.as_str().to_string()),
            status: self.authorization_status.clone(),
            external_location_id: self.external_location_id.clone(),
            authorization_id: self.authorization_id,
            from: self.created_from.map(micros),
            to: self.created_before.map(micros),
            offset: self.offset,
            limit: self.limit,
        }
    }
}

impl Engine {
    async fn flexiti_capture_views(&self, authorization_id: i64) -> Result<Vec<Capture>> {
        Ok(self
            .store
            .flexiti_captures_of(authorization_id)
            .await?
            .iter()
            .map(Capture::from)
            .collect())
    }

    /// `GET /authorization/{id}`.
    pub async fn flexiti_authorization_get(
        &self,
        c: &FlexitiCaller,
        id: i64,
    ) -> FlexitiResult<Authorization> {
        let t = &c.tenant;
        let row = self
            .store
            .flexiti_authorization(&t.merchant_id, t.mode.as_str(), id)
            .await?
            .ok_or(FlexitiFail::Refused(Refusal::on(
                "not_found",
                "authorization_id",
            )))?;
        let captures = self.flexiti_capture_views(id).await?;
        Ok(Authorization::of(&row, captures))
    }

    /// `GET /authorizations`: a page (newest first) and the total matching.
    pub async fn flexiti_authorizations(
        &self,
        c: &FlexitiCaller,
        q: &LedgerQuery,
    ) -> Result<(Vec<Authorization>, i64)> {
        let t = &c.tenant;
        let (rows, total) = self
            .store
            .flexiti_authorizations_page(&t.merchant_id, t.mode.as_str(), &q.to_store())
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(Authorization::of(
                r,
                self.flexiti_capture_views(r.id).await?,
            ));
        }
        Ok((out, total))
    }

    /// `GET /captures`: a page (newest first) and the total matching.
    pub async fn flexiti_captures(
        &self,
        c: &FlexitiCaller,
        q: &LedgerQuery,
    ) -> Result<(Vec<Capture>, i64)> {
        let t = &c.tenant;
        let (rows, total) = self
            .store
            .flexiti_captures_page(&t.merchant_id, t.mode.as_str(), &q.to_store())
            .await?;
        Ok((rows.iter().map(Capture::from).collect(), total))
    }
}
