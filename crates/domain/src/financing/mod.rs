//! Consumer-financing rules of the Flexiti POS dialect: risk ratings, account statuses,
//! provinces, plans, amortization and sandbox credit decisions (the sandbox customers, and where
//! a call may come from (`trust`), have modules of their own).
//!
//! Amortization is integer arithmetic on cents: the monthly interest of each month is rounded
//! half-up to the cent and the level payment is the smallest whole-cent payment that retires
//! the loan in the term, so the schedule (level payments plus a smaller final one) sums to
//! principal plus interest exactly — no floating point ever touches an amount.
//!
//! Admin fees are waived in Québec: its Consumer Protection Act counts such fees in the credit
//! rate, so a "0 % plus fee" plan would have to disclose a different APR there; waiving the
//! fee keeps one honest APR per plan across provinces.

mod sandbox_customers;
pub mod trust;

pub use sandbox_customers::{
    SANDBOX_SECURITY_ANSWER, SANDBOX_SECURITY_QID, SANDBOX_SECURITY_QUESTION, SandboxCustomer,
    sandbox_customers, sandbox_vcc,
};

use serde::{Deserialize, Serialize};

/// Flexiti lends in Canadian dollars only (docs/flexiti.md: the dialect is Canadian); its wire
/// carries no currency, so amounts are in CAD cents.
pub const CURRENCY: &str = "CAD";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RiskRating {
    L,
    M,
    H,
    X,
    Y,
    Z,
    N,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    Preferred,
    Premium,
    Standard,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Preferred => "preferred",
            Self::Premium => "premium",
            Self::Standard => "standard",
        }
    }
}

impl RiskRating {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim().to_ascii_uppercase().as_str() {
            "L" => Self::L,
            "M" => Self::M,
            "H" => Self::H,
            "X" => Self::X,
            "Y" => Self::Y,
            "Z" => Self::Z,
            "N" => Self::N,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::L => "L",
            Self::M => "M",
            Self::H => "H",
            Self::X => "X",
            Self::Y => "Y",
            Self::Z => "Z",
            Self::N => "N",
        }
    }

    pub fn category(self) -> Category {
        match self {
            Self::L => Category::Preferred,
            Self::M => Category::Premium,
            _ => Category::Standard,
        }
    }

    /// Annual interest rate of regular (revolving) purchases, in basis points.
    pub fn regular_air_bp(self) -> u32 {
        match self.category() {
            Category::Preferred => 1999,
            Category::Premium => 2499,
            Category::Standard => 2999,
        }
    }
}

/// Where a credit account stands: only a normal account may purchase; an arrears hold
/// (`AuthProhibited`) lifts itself once the account is paid up; a closed one is gone for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountStatus {
    Normal,
    AuthProhibited,
    Frozen,
    ChargedOff,
    Closed,
}

impl AccountStatus {
    /// The one-letter code: the vendor's, which the ledger stores and the Flexiti wire and the
    /// admin API show.
    pub fn code(self) -> &'static str {
        match self {
            Self::Normal => "N",
            Self::AuthProhibited => "A",
            Self::Frozen => "F",
            Self::ChargedOff => "Z",
            Self::Closed => "C",
        }
    }

    /// The status a stored [`code`](Self::code) names.
    pub fn parse(code: &str) -> Option<Self> {
        Some(match code {
            "N" => Self::Normal,
            "A" => Self::AuthProhibited,
            "F" => Self::Frozen,
            "Z" => Self::ChargedOff,
            "C" => Self::Closed,
            _ => return None,
        })
    }

    pub fn may_purchase(self) -> bool {
        self == Self::Normal
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Province {
    AB,
    BC,
    MB,
    NB,
    NL,
    NS,
    NT,
    NU,
    ON,
    PE,
    QC,
    SK,
    YT,
}

impl Province {
    pub const ALL: [Province; 13] = [
        Self::AB,
        Self::BC,
        Self::MB,
        Self::NB,
        Self::NL,
        Self::NS,
        Self::NT,
        Self::NU,
        Self::ON,
        Self::PE,
        Self::QC,
        Self::SK,
        Self::YT,
    ];

    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AB => "AB",
            Self::BC => "BC",
            Self::MB => "MB",
            Self::NB => "NB",
            Self::NL => "NL",
            Self::NS => "NS",
            Self::NT => "NT",
            Self::NU => "NU",
            Self::ON => "ON",
            Self::PE => "PE",
            Self::QC => "QC",
            Self::SK => "SK",
            Self::YT => "YT",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanCategory {
    EqualBilling,
    Deferred,
}

impl PlanCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EqualBilling => "equal_billing",
            Self::Deferred => "deferred",
        }
    }
}

/// A promotional plan a merchant offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Plan {
    pub plan_id: i64,
    pub name: String,
    pub category: PlanCategory,
    pub apr_bp: u32,
    /// Minor units, charged once per purchase.
    #[serde(default)]
    pub admin_fee: i64,
    /// Months.
    pub terms: Vec<u32>,
    #[serde(default)]
    pub min_amount: i64,
    #[serde(default)]
    pub max_amount: Option<i64>,
    /// Empty: every rating.
    #[serde(default)]
    pub risk_ratings: Vec<RiskRating>,
    /// Empty: every province.
    #[serde(default)]
    pub provinces: Vec<Province>,
}

impl Plan {
    /// Checks a plan definition; the message names the field. APRs stop at 60 %, the
    /// Criminal Code's criminal rate.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=9_999_999).contains(&self.plan_id) {
            return Err("planId must be 1 to 9999999".into());
        }
        let n = self.name.trim().chars().count();
        if n == 0 || n > 100 || self.name.contains('\0') {
            return Err(format!(
                "plan {}: name must be 1 to 100 characters",
                self.plan_id
            ));
        }
        if self.terms.is_empty() || self.terms.iter().any(|t| !(1..=120).contains(t)) {
            return Err(format!(
                "plan {}: terms must be 1 to 120 months",
                self.plan_id
            ));
        }
        let mut seen = self.terms.clone();
        seen.sort_unstable();
        seen.dedup();
        if seen.len() != self.terms.len() {
            return Err(format!("plan {}: terms must not repeat", self.plan_id));
        }
        if self.apr_bp > 6000 {
            return Err(format!(
                "plan {}: aprBp must be at most 6000 (60 %)",
                self.plan_id
            ));
        }
        if !(0..=100_000).contains(&self.admin_fee) {
            return Err(format!(
                "plan {}: adminFee must be 0 to 100000",
                self.plan_id
            ));
        }
        if self.min_amount < 0 {
            return Err(format!(
                "plan {}: minAmount must not be negative",
                self.plan_id
            ));
        }
        if self.max_amount.is_some_and(|m| m < self.min_amount) {
            return Err(format!(
                "plan {}: maxAmount must be at least minAmount",
                self.plan_id
            ));
        }
        Ok(())
    }

    pub fn offered_to(&self, rating: RiskRating, province: Province, amount: i64) -> bool {
        (self.risk_ratings.is_empty() || self.risk_ratings.contains(&rating))
            && (self.provinces.is_empty() || self.provinces.contains(&province))
            && amount >= self.min_amount
            && self.max_amount.is_none_or(|m| amount <= m)
    }
}

/// Validates a plan list: each plan valid, ids unique, at most 50 plans.
pub fn validate_plans(plans: &[Plan]) -> Result<(), String> {
    if plans.len() > 50 {
        return Err("plans: at most 50".into());
    }
    for p in plans {
        p.validate()?;
    }
    let mut ids: Vec<i64> = plans.iter().map(|p| p.plan_id).collect();
    ids.sort_unstable();
    if ids.windows(2).any(|w| w[0] == w[1]) {
        return Err("planId must be unique".into());
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub payment: i64,
    pub final_payment: i64,
    pub total_interest: i64,
}

/// Monthly interest on `balance`, rounded half-up to the cent.
fn monthly_interest(balance: i64, apr_bp: u32) -> i64 {
    let num = i128::from(balance) * i128::from(apr_bp);
    ((num + 60_000) / 120_000) as i64
}

/// The textbook level payment P·i / (1 − (1 + i)^−n), rounded half-up to the cent. The
/// factor is computed in f64 (relative error ~1e-15, i.e. under a millionth of a cent on any
/// amount this server accepts); the schedule itself is integer and its final payment absorbs
/// the rounding, so the payments always sum exactly.
fn level_payment(principal: i64, apr_bp: u32, months: u32) -> i64 {
    let n = i64::from(months);
    if apr_bp == 0 {
        return (principal + n - 1) / n;
    }
    let i = f64::from(apr_bp) / 120_000.0;
    let factor = i / (1.0 - (1.0 + i).powi(-(months as i32)));
    (principal as f64 * factor).round() as i64
}

/// The amortization of `principal` at `apr_bp` over `months` monthly payments: a level payment
/// each month, monthly interest rounded half-up to the cent, and a final payment that settles
/// the balance exactly.
///
/// The level payment is the annuity payment rounded half-up. Over long terms at high rates the
/// half-cent of rounding compounds (a small principal at 46 % over 120 months overpays by
/// dollars), which would leave nothing — or less than nothing — for the final payment; the
/// level payment then comes down a cent at a time until the final payment is positive.
pub fn amortize(principal: i64, apr_bp: u32, months: u32) -> Schedule {
    if principal <= 0 || months == 0 {
        return Schedule {
            payment: 0,
            final_payment: 0,
            total_interest: 0,
        };
    }
    let mut payment = level_payment(principal, apr_bp, months).max(1);
    loop {
        let s = schedule(principal, apr_bp, months, payment);
        if s.final_payment > 0 || payment == 1 {
            return s;
        }
        payment -= 1;
    }
}

fn schedule(principal: i64, apr_bp: u32, months: u32, payment: i64) -> Schedule {
    let mut balance = principal;
    let mut total_interest = 0;
    for _ in 1..months {
        let interest = monthly_interest(balance, apr_bp);
        total_interest += interest;
        balance = balance + interest - payment;
    }
    let interest = monthly_interest(balance.max(0), apr_bp);
    total_interest += interest;
    Schedule {
        payment,
        final_payment: balance + interest,
        total_interest,
    }
}

/// A quote for one plan term (or the regular purchase).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    pub term: u32,
    pub apr_bp: u32,
    pub payment: i64,
    pub final_payment: i64,
    pub total_interest: i64,
    /// After the Québec waiver.
    pub admin_fee: i64,
    /// Interest plus admin fee: what an authorization holds on top of the amount.
    pub financing_cost: i64,
    pub total_repayable: i64,
}

pub fn quote(plan: &Plan, term: u32, amount: i64, province: Province) -> Quote {
    let s = amortize(amount, plan.apr_bp, term);
    let admin_fee = if province == Province::QC {
        0
    } else {
        plan.admin_fee
    };
    let financing_cost = s.total_interest + admin_fee;
    Quote {
        term,
        apr_bp: plan.apr_bp,
        payment: s.payment,
        final_payment: s.final_payment,
        total_interest: s.total_interest,
        admin_fee,
        financing_cost,
        total_repayable: amount + financing_cost,
    }
}

/// A regular purchase is revolving credit at the account's AIR: interest accrues on
/// statements, not at purchase, so nothing beyond the amount is held (`financing_cost` 0).
/// The payment and interest shown are a 12-month illustration at that rate.
pub fn regular_quote(rating: RiskRating, amount: i64) -> Quote {
    let apr_bp = rating.regular_air_bp();
    let s = amortize(amount, apr_bp, 12);
    Quote {
        term: 12,
        apr_bp,
        payment: s.payment,
        final_payment: s.final_payment,
        total_interest: s.total_interest,
        admin_fee: 0,
        financing_cost: 0,
        total_repayable: amount,
    }
}

/// `regular_purchase.verify`: at most 3 regular purchases in 24 h and at most 200.00.
pub fn regular_bypass_allowed(regular_purchases_24h: u32, amount: i64) -> bool {
    regular_purchases_24h <= 3 && amount <= 20_000
}

/// floor(total_cost × part / whole); the caller gives the remainder to the last part.
pub fn cost_share(total_cost: i64, part: i64, whole: i64) -> i64 {
    if whole <= 0 {
        return 0;
    }
    (i128::from(total_cost) * i128::from(part) / i128::from(whole)) as i64
}

/// Returns are accepted for 100 days after the capture.
pub const RETURN_WINDOW_DAYS: i64 = 100;

pub fn return_allowed(captured_at: time::OffsetDateTime, now: time::OffsetDateTime) -> bool {
    now - captured_at <= time::Duration::days(RETURN_WINDOW_DAYS)
}

/// In-store payments and trade-ins: at most 10 000.00 per 24 h per account.
pub const DAILY_PAYMENT_LIMIT: i64 = 1_000_000;
/// Uncaptured authorizations expire after 30 days.
pub const AUTHORIZATION_TTL_DAYS: i64 = 30;

/// The plans every merchant starts with (docs/sandbox.md).
pub fn default_plans() -> Vec<Plan> {
    let plan = |plan_id, name: &str, category, apr_bp, admin_fee, terms: &[u32], min_amount| Plan {
        plan_id,
        name: name.into(),
        category,
        apr_bp,
        admin_fee,
        terms: terms.to_vec(),
        min_amount,
        max_amount: None,
        risk_ratings: Vec::new(),
        provinces: Vec::new(),
    };
    let mut low_rate = plan(
        4,
        "Low Rate 9.99%",
        PlanCategory::EqualBilling,
        999,
        4_999,
        &[3, 6, 12],
        5_000,
    );
    low_rate.risk_ratings = vec![RiskRating::L, RiskRating::M];
    let mut deferred = plan(
        5,
        "No Payments 12 Months",
        PlanCategory::Deferred,
        0,
        0,
        &[12],
        50_000,
    );
    deferred.provinces = Province::ALL
        .into_iter()
        .filter(|p| *p != Province::QC)
        .collect();
    vec![
        plan(
            2,
            "Equal Payments 0%",
            PlanCategory::EqualBilling,
            0,
            0,
            &[6, 12, 24],
            10_000,
        ),
        plan(
            3,
            "Equal Payments 0% + Admin Fee",
            PlanCategory::EqualBilling,
            0,
            4_999,
            &[6, 12, 24],
            30_000,
        ),
        low_rate,
        deferred,
    ]
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplicationDecision {
    Approved {
        credit_limit: i64,
        risk_rating: RiskRating,
    },
    Pending,
    Declined,
    ProviderError,
}

/// Sandbox credit decisions (docs/sandbox.md): by last name, else approved with a limit of 10 % of
/// the declared income in whole hundreds, between 500.00 and 25 000.00.
pub fn sandbox_decision(last_name: &str, annual_income: Option<i64>) -> ApplicationDecision {
    match last_name.trim().to_ascii_lowercase().as_str() {
        "decline" => return ApplicationDecision::Declined,
        "pending" => return ApplicationDecision::Pending,
        "timeout" => return ApplicationDecision::ProviderError,
        _ => {}
    }
    let income = annual_income.unwrap_or(0).max(0);
    let credit_limit = (income / 10 / 10_000 * 10_000).clamp(50_000, 2_500_000);
    let risk_rating = if income >= 10_000_000 {
        RiskRating::L
    } else if income >= 5_000_000 {
        RiskRating::M
    } else {
        RiskRating::H
    };
    ApplicationDecision::Approved {
        credit_limit,
        risk_rating,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn plan4() -> Plan {
        default_plans()
            .into_iter()
            .find(|p| p.plan_id == 4)
            .unwrap()
    }

    #[test]
    fn vendor_example_plan_4_term_3() {
        let q = quote(&plan4(), 3, 6_000, Province::ON);
        assert_eq!(q.payment, 2_033);
        assert_eq!(q.admin_fee, 4_999);
        assert_eq!(q.payment * 2 + q.final_payment, 6_000 + q.total_interest);
    }

    #[test]
    fn zero_apr_spreads_the_remainder_to_the_last_payment() {
        let s = amortize(10_000, 0, 3);
        assert_eq!(
            (s.payment, s.final_payment, s.total_interest),
            (3_334, 3_332, 0)
        );
    }

    #[test]
    fn quebec_waives_admin_fees() {
        let q = quote(&plan4(), 3, 6_000, Province::QC);
        assert_eq!(q.admin_fee, 0);
        assert_eq!(q.financing_cost, q.total_interest);
    }

    #[test]
    fn offers_follow_rating_province_and_amount() {
        let plans = default_plans();
        let p4 = &plans[2];
        assert!(p4.offered_to(RiskRating::L, Province::ON, 5_000));
        assert!(!p4.offered_to(RiskRating::H, Province::ON, 5_000));
        assert!(!p4.offered_to(RiskRating::L, Province::ON, 4_999));
        let p5 = &plans[3];
        assert!(!p5.offered_to(RiskRating::H, Province::QC, 60_000));
        assert!(p5.offered_to(RiskRating::H, Province::ON, 60_000));
    }

    #[test]
    fn plan_validation_names_the_field() {
        let mut p = plan4();
        p.apr_bp = 6001;
        assert!(p.validate().unwrap_err().contains("aprBp"));
        let mut p = plan4();
        p.terms = vec![3, 3];
        assert!(p.validate().unwrap_err().contains("terms"));
        let mut p = plan4();
        p.max_amount = Some(1);
        assert!(p.validate().unwrap_err().contains("maxAmount"));
        assert!(
            validate_plans(&[plan4(), plan4()])
                .unwrap_err()
                .contains("unique")
        );
        assert!(validate_plans(&default_plans()).is_ok());
    }

    #[test]
    fn return_window_is_100_days() {
        let t = time::OffsetDateTime::UNIX_EPOCH;
        assert!(return_allowed(t, t + time::Duration::days(100)));
        assert!(!return_allowed(
            t,
            t + time::Duration::days(100) + time::Duration::seconds(1)
        ));
    }

    #[test]
    fn sandbox_cards_are_luhn_valid() {
        for c in sandbox_customers() {
            let v = sandbox_vcc(c.account_number);
            assert_eq!(v.len(), 16);
            assert!(crate::card::luhn_valid(&v), "{v}");
        }
    }

    #[test]
    fn sandbox_decisions() {
        assert_eq!(
            sandbox_decision(" decline ", None),
            ApplicationDecision::Declined
        );
        assert_eq!(
            sandbox_decision("Pending", None),
            ApplicationDecision::Pending
        );
        assert_eq!(
            sandbox_decision("TIMEOUT", None),
            ApplicationDecision::ProviderError
        );
        assert_eq!(
            sandbox_decision("Doe", None),
            ApplicationDecision::Approved {
                credit_limit: 50_000,
                risk_rating: RiskRating::H
            }
        );
        assert_eq!(
            sandbox_decision("Doe", Some(7_599_900)),
            ApplicationDecision::Approved {
                credit_limit: 750_000,
                risk_rating: RiskRating::M
            }
        );
        assert_eq!(
            sandbox_decision("Doe", Some(100_000_000)),
            ApplicationDecision::Approved {
                credit_limit: 2_500_000,
                risk_rating: RiskRating::L
            }
        );
    }

    #[test]
    fn bypass_boundaries() {
        assert!(regular_bypass_allowed(3, 20_000));
        assert!(!regular_bypass_allowed(4, 20_000));
        assert!(!regular_bypass_allowed(3, 20_001));
    }

    proptest! {
        #[test]
        fn schedules_sum_exactly(principal in 12_000i64..=10_000_000, apr in 0u32..=6000, months in 1u32..=120) {
            let s = amortize(principal, apr, months);
            prop_assert_eq!(s.payment * (i64::from(months) - 1) + s.final_payment, principal + s.total_interest);
            prop_assert!(s.final_payment > 0);

        }

        #[test]
        fn cost_shares_sum_to_the_total(total in 0i64..1_000_000, parts in proptest::collection::vec(1i64..100_000, 1..10)) {
            let whole: i64 = parts.iter().sum();
            let mut given = 0;
            for p in &parts[..parts.len() - 1] {
                given += cost_share(total, *p, whole);
            }
            let last = total - given;
            prop_assert!(last >= 0);
            prop_assert_eq!(given + last, total);
        }
    }
}
