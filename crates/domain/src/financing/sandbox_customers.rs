//! The sandbox's fixed customers (docs/sandbox.md): test data rather than rules, kept apart so
//! the financing rules read without two hundred lines of fixtures in the middle.

use super::{AccountStatus, Province, RiskRating};

#[derive(Debug, Clone)]
pub struct SandboxCustomer {
    pub account_number: &'static str,
    pub customer_id: &'static str,
    pub first_name: &'static str,
    pub last_name: &'static str,
    pub dob: &'static str,
    pub postal_code: &'static str,
    pub province: Province,
    pub risk_rating: RiskRating,
    pub status: AccountStatus,
    pub account_type: &'static str,
    pub credit_limit: i64,
    pub phone: Option<&'static str>,
    pub email: &'static str,
    pub language: &'static str,
    pub address_1: &'static str,
    pub city: &'static str,
}

pub const SANDBOX_SECURITY_QID: i64 = 1;
pub const SANDBOX_SECURITY_QUESTION: &str = "What is your mother's maiden name?";
pub const SANDBOX_SECURITY_ANSWER: &str = "flexiti";

/// The sandbox customers of docs/sandbox.md: one per account status, several ratings and provinces.
pub fn sandbox_customers() -> Vec<SandboxCustomer> {
    use AccountStatus::*;
    use Province::*;
    use RiskRating::*;
    #[allow(clippy::type_complexity)]
    let rows: [(
        &str,
        &str,
        &str,
        &str,
        &str,
        &str,
        Province,
        RiskRating,
        AccountStatus,
        &str,
        i64,
        Option<&str>,
        &str,
        &str,
        &str,
    ); 9] = [
        (
            "20076677",
            "100001",
            "Jane",
            "Doe",
            "1985-04-12",
            "M5V2T6",
            ON,
            L,
            Normal,
            "consumer",
            1_000_000,
            Some("4165550101"),
            "jane.doe@example.com",
            "en-CA",
            "Toronto",
        ),
        (
            "20076678",
            "100002",
            "Jean",
            "Tremblay",
            "1979-11-30",
            "H2X1Y4",
            QC,
            M,
            Normal,
            "consumer",
            500_000,
            Some("5145550102"),
            "jean.tremblay@example.com",
            "fr-CA",
            "Montréal",
        ),
        (
            "20076679",
            "100003",
            "Sam",
            "Smith",
            "1990-01-15",
            "V6B1A1",
            BC,
            H,
            Normal,
            "consumer",
            100_000,
            Some("6045550103"),
            "sam.smith@example.com",
            "en-CA",
            "Vancouver",
        ),
        (
            "20076680",
            "100004",
            "Alex",
            "Arrears",
            "1982-06-01",
            "T2P1J9",
            AB,
            H,
            AuthProhibited,
            "consumer",
            200_000,
            Some("4035550104"),
            "alex.arrears@example.com",
            "en-CA",
            "Calgary",
        ),
        (
            "20076681",
            "100005",
            "Fran",
            "Frozen",
            "1975-03-03",
            "K1P5G4",
            ON,
            M,
            Frozen,
            "consumer",
            300_000,
            Some("6135550105"),
            "fran.frozen@example.com",
            "en-CA",
            "Ottawa",
        ),
        (
            "20076682",
            "100006",
            "Zed",
            "Chargedoff",
            "1988-08-08",
            "B3H1A1",
            NS,
            X,
            ChargedOff,
            "consumer",
            150_000,
            Some("9025550106"),
            "zed.chargedoff@example.com",
            "en-CA",
            "Halifax",
        ),
        (
            "20076683",
            "100007",
            "Cora",
            "Closed",
            "1970-12-24",
            "R3C0A1",
            MB,
            Y,
            Closed,
            "consumer",
            250_000,
            Some("2045550107"),
            "cora.closed@example.com",
            "en-CA",
            "Winnipeg",
        ),
        (
            "20076684",
            "100008",
            "Bea",
            "Business",
            "1980-02-02",
            "M4W1A8",
            ON,
            L,
            Normal,
            "business",
            2_500_000,
            Some("4165550108"),
            "bea.business@example.com",
            "en-CA",
            "Toronto",
        ),
        (
            "20076685",
            "100009",
            "Noah",
            "Nophone",
            "1995-05-05",
            "S4P3Y2",
            SK,
            RiskRating::N,
            Normal,
            "consumer",
            300_000,
            None,
            "noah.nophone@example.com",
            "en-CA",
            "Regina",
        ),
    ];
    rows.into_iter()
        .map(|r| SandboxCustomer {
            account_number: r.0,
            customer_id: r.1,
            first_name: r.2,
            last_name: r.3,
            dob: r.4,
            postal_code: r.5,
            province: r.6,
            risk_rating: r.7,
            status: r.8,
            account_type: r.9,
            credit_limit: r.10,
            phone: r.11,
            email: r.12,
            language: r.13,
            address_1: "100 Main Street",
            city: r.14,
        })
        .collect()
}

/// The sandbox card number of an account: "5299990" + the 8-digit account number + a Luhn
/// check digit.
pub fn sandbox_vcc(account_number: &str) -> String {
    let body = format!("5299990{account_number:0>8}");
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}
