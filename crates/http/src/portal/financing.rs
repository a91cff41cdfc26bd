//! Flexiti financing in the portal: the merchant's customer accounts, with a legend for the
//! one-letter account statuses, and the latest authorizations with their captures.
//!
//! Why a legend and words both: the status letter (N, A, F, Z, C) is what the Flexiti wire and
//! the merchant's support staff quote, so the table keeps it beside the words.

use super::words::{account_status_words, status_words};
use super::{Session, at, engine_failure, in_currency, page};
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use maud::{Markup, html};
use openflex_domain::financing::{AccountStatus, CURRENCY};
use openflex_domain::money::decimal_to_minor;
use openflex_engine::financing::ledger::LedgerQuery;
use openflex_engine::financing::{FlexitiCaller, Scope};

const PAGE: i64 = 50;

/// Every account status, in the order the legend lists them.
const STATUSES: [AccountStatus; 5] = [
    AccountStatus::Normal,
    AccountStatus::AuthProhibited,
    AccountStatus::Frozen,
    AccountStatus::ChargedOff,
    AccountStatus::Closed,
];

fn cad(minor: i64) -> String {
    in_currency(minor, CURRENCY)
}

/// An account figure the engine gives as decimal dollars ("10000.00"), shown as money.
fn cad_text(decimal: &str) -> String {
    decimal_to_minor(decimal, 2).map_or_else(|_| decimal.to_string(), cad)
}

fn status_cell(st: AccountStatus) -> Markup {
    let (name, meaning) = account_status_words(st);
    html! { abbr title=(meaning) { (st.code()) } " " (name) }
}

fn legend() -> Markup {
    html! {
        details class="legend" open {
            summary { "What the account statuses mean" }
            dl class="facts" {
                @for st in STATUSES {
                    @let (name, meaning) = account_status_words(st);
                    dt { code { (st.code()) } " " (name) }
                    dd { (meaning) }
                }
            }
        }
    }
}

/// Flexiti: the merchant's customer accounts and its latest authorizations with captures.
pub async fn flexiti(State(st): State<AppState>, Session(s): Session) -> Response {
    let accounts = match st
        .engine
        .flexiti_admin_accounts(&s.tenant.merchant_id, s.tenant.mode)
        .await
    {
        Ok(a) => a,
        Err(e) => return engine_failure(e),
    };
    let caller = FlexitiCaller {
        tenant: s.tenant.clone(),
        client_id: "portal".into(),
        scope: Scope::Merchant,
        merchant_name: s.merchant_name.clone(),
    };
    let q = LedgerQuery {
        limit: PAGE,
        ..LedgerQuery::default()
    };
    let (auths, total) = match st.engine.flexiti_authorizations(&caller, &q).await {
        Ok(r) => r,
        Err(e) => return engine_failure(e),
    };
    let body = html! {
        h2 { "Accounts" }
        p class="hint" { "Amounts in Canadian dollars." }
        div class="scroll" tabindex="0" role="region" aria-label="Accounts" {
            table {
                thead { tr {
                    th scope="col" { "Account" } th scope="col" { "Customer" } th scope="col" { "Status" } th scope="col" { "Type" }
                    th scope="col" class="num" { "Limit" } th scope="col" class="num" { "Available" } th scope="col" class="num" { "Held" } th scope="col" class="num" { "Balance" }
                } }
                tbody {
                    @if accounts.is_empty() { tr { td colspan="8" { "No accounts." } } }
                    @for a in &accounts {
                        tr {
                            td { (a.account_number) }
                            td { (a.first_name) " " (a.last_name) }
                            td { (status_cell(a.status)) }
                            td { (status_words(&a.account_type)) }
                            td class="num" { (cad_text(&a.credit_limit)) }
                            td class="num" { (cad_text(&a.available_credit)) }
                            td class="num" { (cad_text(&a.held)) }
                            td class="num" { (cad_text(&a.balance)) }
                        }
                    }
                }
            }
        }
        (legend())
        h2 { "Authorizations" }
        p { (total) " authorizations; the latest " (auths.len()) " below." }
        div class="scroll" tabindex="0" role="region" aria-label="Authorizations" {
            table {
                thead { tr {
                    th scope="col" { "Created" } th scope="col" { "Authorization" } th scope="col" { "Account" } th scope="col" { "Type" }
                    th scope="col" class="num" { "Amount" } th scope="col" class="num" { "Captured" } th scope="col" class="num" { "Released" } th scope="col" { "Status" } th scope="col" { "Captures" }
                } }
                tbody {
                    @if auths.is_empty() { tr { td colspan="9" { "No authorizations." } } }
                    @for a in &auths {
                        tr {
                            td { (at(a.created_at)) }
                            td { (a.id) }
                            td { (a.account_number) }
                            td { (status_words(&a.transaction_type)) }
                            td class="num" { (cad(a.amount)) }
                            td class="num" { (cad(a.captured_amount)) }
                            td class="num" { (cad(a.released_amount)) }
                            td { (status_words(&a.status)) }
                            td { @for c in &a.captures { (c.id) " (" (cad(c.amount)) ") " } }
                        }
                    }
                }
            }
        }
    };
    page(&s, "flexiti", "Financing", None, body)
}
