//! FlexFactor decline rescue: the order state machine (numeric status of the vendor's order
//! enum, the upper-case names clients compare, the `/evaluate` status) and the sandbox's
//! deterministic rescue decisions (docs/sandbox.md).

/// Where a FlexFactor order is. Transitions are checked by [`OrderState::can`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderState {
    /// Managed MIT: attempts are scheduled until approval or expiry.
    Processing,
    /// CIT: rescuable if the shopper completes a challenge.
    Challenge,
    /// Rescued (purchase).
    Approved,
    /// Not rescuable.
    Declined,
    /// Authorized, waiting for `/capture`.
    CaptureRequired,
    /// Authorized and captured.
    Completed,
    /// Cancelled by the merchant or auto-voided at the end of the capture window.
    Cancelled,
    /// Managed MIT not rescued by its expiry.
    Expired,
    /// Fully refunded.
    Returned,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Capture,
    Cancel,
    Refund,
    Attempt,
}

impl OrderState {
    /// The vendor's numeric order status (docs/flexfactor.md §8.1).
    pub fn code(self) -> i64 {
        match self {
            Self::Processing => 4,
            Self::Challenge => 1,
            Self::Approved | Self::Completed => 7,
            Self::Declined | Self::Cancelled | Self::Expired => 2,
            Self::CaptureRequired => 5,
            Self::Returned => 6,
        }
    }

    /// Upper-case name, as clients compare it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Processing => "PROCESSING",
            Self::Challenge => "CHALLENGE",
            Self::Approved => "APPROVED",
            Self::Declined => "DECLINED",
            Self::CaptureRequired => "CAPTUREREQUIRED",
            Self::Completed => "COMPLETED",
            Self::Cancelled => "CANCELLED",
            Self::Expired => "EXPIRED",
            Self::Returned => "RETURNED",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        [
            Self::Processing,
            Self::Challenge,
            Self::Approved,
            Self::Declined,
            Self::CaptureRequired,
            Self::Completed,
            Self::Cancelled,
            Self::Expired,
            Self::Returned,
        ]
        .into_iter()
        .find(|s| s.name().eq_ignore_ascii_case(name))
    }

    /// The `/outcome` status of this state, within the vendor's documented set (`APPROVED`,
    /// `DECLINED`, `EXPIRED`, `CANCELLED`, `SUBMITTED`, `NOTFOUND`, and `PROCESSING` for MIT).
    /// A challenge is not a decline: the shopper may still answer it, so its order is reported
    /// as accepted and undecided, `SUBMITTED` (docs/flexfactor.md §7).
    pub fn outcome(self) -> &'static str {
        match self {
            Self::Approved | Self::Completed | Self::CaptureRequired | Self::Returned => "APPROVED",
            Self::Challenge => "SUBMITTED",
            Self::Declined => "DECLINED",
            Self::Cancelled => "CANCELLED",
            Self::Expired => "EXPIRED",
            Self::Processing => "PROCESSING",
        }
    }

    /// Whether `action` is allowed in this state (docs/flexfactor.md §8.4, §8.5, Decisions 8–9).
    pub fn can(self, action: Action) -> bool {
        match action {
            Action::Capture => self == Self::CaptureRequired,
            Action::Cancel => matches!(
                self,
                Self::Processing | Self::CaptureRequired | Self::Cancelled
            ),
            Action::Refund => matches!(self, Self::Approved | Self::Completed | Self::Returned),
            Action::Attempt => self == Self::Processing,
        }
    }
}

/// How the merchant asked FlexFactor to rescue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Customer-initiated: decided now.
    Cit,
    /// Merchant-initiated, merchant keeps its schedule: decided now, retries by orderId.
    SyncMit,
    /// Merchant-initiated with `expiryDateUtc`: attempts scheduled until expiry.
    ManagedMit,
}

impl Flow {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cit => "cit",
            Self::SyncMit => "sync_mit",
            Self::ManagedMit => "managed_mit",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "cit" => Some(Self::Cit),
            "sync_mit" => Some(Self::SyncMit),
            "managed_mit" => Some(Self::ManagedMit),
            _ => None,
        }
    }
}

pub const DECLINED_CARD: &str = "4000300011112220";
pub const RESCUABLE_CARD: &str = "4000002760003184";

/// Original decline codes meaning "never retry": lost, stolen, pick up, fraud, closed account
/// (ISO 8583 and common processor spellings).
pub fn never_retry(code: &str) -> bool {
    let c = code.trim().to_ascii_lowercase();
    matches!(
        c.as_str(),
        "04" | "07"
            | "14"
            | "15"
            | "41"
            | "43"
            | "46"
            | "57"
            | "59"
            | "62"
            | "r0"
            | "r1"
            | "r3"
            | "lost"
            | "stolen"
            | "pickup"
            | "pick_up"
            | "fraud"
            | "closed"
            | "lost_card"
            | "stolen_card"
            | "pick_up_card"
            | "fraudulent"
            | "account_closed"
    ) || c.contains("stolen")
        || c.contains("lost")
        || c.contains("fraud")
        || c.contains("pick")
        || c.contains("closed")
}

/// The sandbox's answer to `/evaluate`: the order's first state.
pub fn sandbox_decision(
    pan: &str,
    flow: Flow,
    authorization: bool,
    payer_phone: bool,
    original_code: &str,
) -> OrderState {
    if never_retry(original_code) || pan == DECLINED_CARD {
        return OrderState::Declined;
    }
    let rescuable = pan == RESCUABLE_CARD;
    match (flow, rescuable) {
        (Flow::ManagedMit, _) => OrderState::Processing,
        (Flow::SyncMit, true) => OrderState::Approved,
        (Flow::SyncMit, false) => OrderState::Declined,
        (Flow::Cit, true) if authorization => OrderState::CaptureRequired,
        (Flow::Cit, true) => OrderState::Approved,
        (Flow::Cit, false) if payer_phone => OrderState::Challenge,
        (Flow::Cit, false) => OrderState::Declined,
    }
}

/// A managed-MIT attempt in the sandbox: the rescuable card is recovered at the first attempt
/// once 24 hours of merchant clock have passed since the order; other cards never are.
pub fn sandbox_attempt_succeeds(pan: &str, hours_since_order: i64) -> bool {
    pan == RESCUABLE_CARD && hours_since_order >= 24
}

/// The `/evaluate` amounts (minor units) the sandbox accepts: more than 10 and less than 20000
/// cents (docs/sandbox.md).
pub const SANDBOX_AMOUNTS: std::ops::Range<i64> = 11..20000;

/// Why an `/evaluate` amount is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountRefusal {
    /// In the sandbox, outside [`SANDBOX_AMOUNTS`].
    OutsideSandboxRange,
    /// Zero or negative.
    NotPositive,
}

/// Checks the declined amount of an `/evaluate`; `sandbox` for a sandbox merchant.
pub fn check_evaluate_amount(amount: i64, sandbox: bool) -> Result<(), AmountRefusal> {
    if sandbox && !SANDBOX_AMOUNTS.contains(&amount) {
        Err(AmountRefusal::OutsideSandboxRange)
    } else if amount <= 0 {
        Err(AmountRefusal::NotPositive)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evaluate_amounts_in_and_out_of_the_sandbox() {
        use AmountRefusal::*;
        assert_eq!(check_evaluate_amount(10, true), Err(OutsideSandboxRange));
        assert_eq!(check_evaluate_amount(11, true), Ok(()));
        assert_eq!(check_evaluate_amount(19_999, true), Ok(()));
        assert_eq!(
            check_evaluate_amount(20_000, true),
            Err(OutsideSandboxRange)
        );
        assert_eq!(check_evaluate_amount(0, true), Err(OutsideSandboxRange));
        assert_eq!(check_evaluate_amount(20_000, false), Ok(()));
        assert_eq!(check_evaluate_amount(1, false), Ok(()));
        assert_eq!(check_evaluate_amount(0, false), Err(NotPositive));
        assert_eq!(check_evaluate_amount(-5, false), Err(NotPositive));
    }

    #[test]
    fn sandbox_table() {
        use OrderState::*;
        let d = sandbox_decision;
        assert_eq!(d(DECLINED_CARD, Flow::Cit, false, true, "05"), Declined);
        assert_eq!(
            d(RESCUABLE_CARD, Flow::SyncMit, false, false, "05"),
            Approved
        );
        assert_eq!(
            d(RESCUABLE_CARD, Flow::ManagedMit, false, false, "05"),
            Processing
        );
        assert_eq!(
            d(RESCUABLE_CARD, Flow::Cit, true, false, "05"),
            CaptureRequired
        );
        assert_eq!(d(RESCUABLE_CARD, Flow::Cit, false, false, "05"), Approved);
        assert_eq!(
            d("4111111111111111", Flow::Cit, false, true, "05"),
            Challenge
        );
        assert_eq!(
            d("4111111111111111", Flow::Cit, false, false, "05"),
            Declined
        );
        assert_eq!(
            d("4111111111111111", Flow::ManagedMit, false, false, "05"),
            Processing
        );
        assert_eq!(
            d("4111111111111111", Flow::SyncMit, false, false, "05"),
            Declined
        );
        assert_eq!(
            d(RESCUABLE_CARD, Flow::Cit, false, false, "43"),
            Declined,
            "stolen: never retry"
        );
        assert_eq!(
            d(RESCUABLE_CARD, Flow::ManagedMit, false, false, "lost_card"),
            Declined
        );
    }

    #[test]
    fn managed_attempts() {
        assert!(!sandbox_attempt_succeeds(RESCUABLE_CARD, 23));
        assert!(sandbox_attempt_succeeds(RESCUABLE_CARD, 24));
        assert!(!sandbox_attempt_succeeds("4111111111111111", 500));
    }

    #[test]
    fn transitions() {
        use OrderState::*;
        assert!(CaptureRequired.can(Action::Capture));
        assert!(!Approved.can(Action::Capture));
        assert!(Processing.can(Action::Cancel));
        assert!(Cancelled.can(Action::Cancel), "cancel is idempotent");
        assert!(
            !Approved.can(Action::Cancel),
            "captured money is refunded, not cancelled"
        );
        assert!(Approved.can(Action::Refund));
        assert!(!Declined.can(Action::Refund));
        assert_eq!(Approved.code(), 7);
        assert_eq!(CaptureRequired.name(), "CAPTUREREQUIRED");
        assert_eq!(OrderState::parse("capturerequired"), Some(CaptureRequired));
    }

    #[test]
    fn outcomes_stay_within_the_documented_set() {
        use OrderState::*;
        let cases = [
            (Processing, "PROCESSING"),
            (Challenge, "SUBMITTED"),
            (Approved, "APPROVED"),
            (Declined, "DECLINED"),
            (CaptureRequired, "APPROVED"),
            (Completed, "APPROVED"),
            (Cancelled, "CANCELLED"),
            (Expired, "EXPIRED"),
            (Returned, "APPROVED"),
        ];
        for (state, outcome) in cases {
            assert_eq!(state.outcome(), outcome, "{state:?}");
        }
    }
}
