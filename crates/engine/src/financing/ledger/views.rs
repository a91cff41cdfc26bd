//! Reading the ledger back (one authorization, the two lists): no locks and no rules, so it
//! stays apart from the use cases that move money.

use super::{Authorization, Capture};
use crate::financing::{FxCaller, FxFail, FxResult, Refusal};
use crate::{Engine, Result};
use openflex_store::FxListQuery;

impl Engine {
    async fn fx_capture_views(&self, authorization_id: i64) -> Result<Vec<Capture>> {
        Ok(self
            .store
            .fx_captures_of(authorization_id)
            .await?
            .iter()
            .map(Capture::from)
            .collect())
    }

    /// `GET /authorization/{id}`.
    pub async fn fx_authorization_get(&self, c: &FxCaller, id: i64) -> FxResult<Authorization> {
        let t = &c.tenant;
        let row = self
            .store
            .fx_authorization(&t.merchant_id, t.mode.as_str(), id)
            .await?
            .ok_or(FxFail::Refused(Refusal::on(
                "not_found",
                "authorization_id",
            )))?;
        let captures = self.fx_capture_views(id).await?;
        Ok(Authorization::of(&row, captures))
    }

    /// `GET /authorizations`: a page (newest first) and the total matching.
    pub async fn fx_authorizations(
        &self,
        c: &FxCaller,
        q: &FxListQuery,
    ) -> Result<(Vec<Authorization>, i64)> {
        let t = &c.tenant;
        let (rows, total) = self
            .store
            .fx_authorizations_page(&t.merchant_id, t.mode.as_str(), q)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(Authorization::of(r, self.fx_capture_views(r.id).await?));
        }
        Ok((out, total))
    }

    /// `GET /captures`: a page (newest first) and the total matching.
    pub async fn fx_captures(&self, c: &FxCaller, q: &FxListQuery) -> Result<(Vec<Capture>, i64)> {
        let t = &c.tenant;
        let (rows, total) = self
            .store
            .fx_captures_page(&t.merchant_id, t.mode.as_str(), q)
            .await?;
        Ok((rows.iter().map(Capture::from).collect(), total))
    }
}
