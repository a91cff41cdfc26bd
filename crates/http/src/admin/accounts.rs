//! The admin API's JSON for Flexiti customer accounts, which the CLI reads and prints too. The
//! engine holds an account's status as an enum; its one-letter code is written and read here,
//! at the wire, with the message the operator has always had for a wrong one.

use openflex_domain::financing::{AccountStatus, Province, RiskRating};
use openflex_engine::financing::onboarding::{AccountChange, AdminAccount, NewCustomer};
use serde::{Deserialize, Serialize};

const BAD_STATUS: &str = "status must be one of N, A, F, Z, C";

/// A status letter as the API and the CLI read one.
pub fn parse_status(code: &str) -> Result<AccountStatus, String> {
    AccountStatus::parse(code).ok_or_else(|| BAD_STATUS.to_string())
}

/// An account as the operator sees it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    pub account_number: String,
    pub customer_id: String,
    pub first_name: String,
    pub last_name: String,
    pub dob: String,
    pub postal_code: String,
    pub province: String,
    pub risk_rating: String,
    /// `N`, `A`, `F`, `Z` or `C`.
    pub status: &'static str,
    pub account_type: String,
    pub credit_limit: String,
    pub available_credit: String,
    pub held: String,
    pub balance: String,
    pub card_ending_in: Option<String>,
    /// Sandbox seed accounts only: their published test card number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vcc_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

impl From<AdminAccount> for AccountView {
    fn from(a: AdminAccount) -> Self {
        Self {
            account_number: a.account_number,
            customer_id: a.customer_id,
            first_name: a.first_name,
            last_name: a.last_name,
            dob: a.dob,
            postal_code: a.postal_code,
            province: a.province,
            risk_rating: a.risk_rating,
            status: a.status.code(),
            account_type: a.account_type,
            credit_limit: a.credit_limit,
            available_credit: a.available_credit,
            held: a.held,
            balance: a.balance,
            card_ending_in: a.card_ending_in,
            vcc_number: a.vcc_number,
            phone: a.phone,
        }
    }
}

/// The body that creates an account.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewCustomerBody {
    first_name: String,
    last_name: String,
    dob: String,
    postal_code: String,
    province: Province,
    risk_rating: RiskRating,
    #[serde(default = "default_status")]
    status: String,
    #[serde(default = "default_type")]
    account_type: String,
    /// Minor units.
    credit_limit: i64,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    city: Option<String>,
    #[serde(default)]
    address1: Option<String>,
    #[serde(default = "default_language")]
    preferred_language: String,
}

fn default_status() -> String {
    AccountStatus::Normal.code().into()
}
fn default_type() -> String {
    "consumer".into()
}
fn default_language() -> String {
    "en-CA".into()
}

impl NewCustomerBody {
    /// The engine's request; the error names the field.
    pub fn into_request(self) -> Result<NewCustomer, String> {
        Ok(NewCustomer {
            status: parse_status(&self.status)?,
            first_name: self.first_name,
            last_name: self.last_name,
            dob: self.dob,
            postal_code: self.postal_code,
            province: self.province,
            risk_rating: self.risk_rating,
            account_type: self.account_type,
            credit_limit: self.credit_limit,
            phone: self.phone,
            email: self.email,
            city: self.city,
            address1: self.address1,
            preferred_language: self.preferred_language,
        })
    }
}

/// The body that changes an account's status, credit limit or risk rating.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountChangeBody {
    status: Option<String>,
    credit_limit: Option<i64>,
    risk_rating: Option<RiskRating>,
}

impl AccountChangeBody {
    /// The engine's request; the error names the field.
    pub fn into_request(self) -> Result<AccountChange, String> {
        Ok(AccountChange {
            status: self.status.as_deref().map(parse_status).transpose()?,
            credit_limit: self.credit_limit,
            risk_rating: self.risk_rating,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_letter_is_read_and_a_wrong_one_named() {
        let change: AccountChangeBody = serde_json::from_str(r#"{"status": "C"}"#).unwrap();
        assert_eq!(
            change.into_request().unwrap().status,
            Some(AccountStatus::Closed)
        );
        let bad: AccountChangeBody = serde_json::from_str(r#"{"status": "Q"}"#).unwrap();
        assert_eq!(bad.into_request().unwrap_err(), BAD_STATUS);
        let new: NewCustomerBody = serde_json::from_str(
            r#"{"firstName": "A", "lastName": "B", "dob": "1990-01-01", "postalCode": "M5V1J1",
                "province": "ON", "riskRating": "L", "creditLimit": 100}"#,
        )
        .unwrap();
        assert_eq!(new.into_request().unwrap().status, AccountStatus::Normal);
    }
}
