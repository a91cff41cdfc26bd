//! The two ledger lists (authorizations, captures): read-only, paged, filtered the same way,
//! so they share one query reader and live apart from the money-moving routes.

use super::request;
use super::routes::ok;
use super::wire::{AuthorizationList, CaptureList};
use super::{Access, ErrorBody, FlexitiCall};
use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;

/// List authorizations (newest first) with filters and paging.
#[utoipa::path(get, path = "/flexiti/pos-api/v2.5.1/client-id/{client_id}/authorizations", tag = "Flexiti",
    params(("client_id" = String, Path), ("account_number" = Option<String>, Query), ("transaction_type" = Option<String>, Query),
        ("authorization_status" = Option<String>, Query, description = "opened | closed | released | expired"),
        ("external_location_id" = Option<String>, Query), ("creation_date_from" = Option<String>, Query), ("creation_date_to" = Option<String>, Query),
        ("page_number" = Option<i64>, Query, description = "from 1"), ("page_size" = Option<i64>, Query, description = "1–100, default 20"), ("lang" = Option<String>, Query)),
    responses((status = 200, body = AuthorizationList), (status = 409, description = "wrong_inputs", body = ErrorBody)),
    security(("flexiti_bearer" = [])))]
pub async fn list_authorizations(
    State(st): State<AppState>,
    call: FlexitiCall,
    Path(client_id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let r = async {
        let c = call.auth(&st, &client_id, Access::Merchant).await?;
        let l = request::list(q, true)?;
        let (rows, total) = st.engine.flexiti_authorizations(&c, &l.query).await?;
        ok(&AuthorizationList::of(&rows, total, l.page, l.size))
    }
    .await;
    call.finish(r)
}

/// List captures (newest first): per store with `external_location_id`, per account, by dates.
#[utoipa::path(get, path = "/flexiti/pos-api/v2.5/client-id/{client_id}/captures", tag = "Flexiti",
    params(("client_id" = String, Path), ("account_number" = Option<String>, Query), ("transaction_type" = Option<String>, Query),
        ("external_location_id" = Option<String>, Query), ("authorization_id" = Option<i64>, Query),
        ("creation_date_from" = Option<String>, Query), ("creation_date_to" = Option<String>, Query),
        ("page_number" = Option<i64>, Query), ("page_size" = Option<i64>, Query), ("lang" = Option<String>, Query)),
    responses((status = 200, body = CaptureList), (status = 409, description = "wrong_inputs", body = ErrorBody)),
    security(("flexiti_bearer" = [])))]
pub async fn list_captures(
    State(st): State<AppState>,
    call: FlexitiCall,
    Path(client_id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let r = async {
        let c = call.auth(&st, &client_id, Access::Merchant).await?;
        let l = request::list(q, false)?;
        let (rows, total) = st.engine.flexiti_captures(&c, &l.query).await?;
        ok(&CaptureList::of(&rows, total, l.page, l.size))
    }
    .await;
    call.finish(r)
}
