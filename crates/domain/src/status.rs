//! Where a payment stands, in one of a few words a merchant scans a list by (the "status pill"
//! first in the portal's transaction and order lists).
//!
//! Why a rule of its own: the stored facts (response code, captured, refunded, voided, retry
//! date, rescue state) each say part of it, and the list, a detail page and an export must
//! agree; one pure function over those facts decides, and each state is tested below.

use crate::lifecycle::TxnType;
use crate::rescue::OrderState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pill {
    Succeeded,
    /// Declined, and a retry (or a rescue attempt) is still ahead.
    DeclinedRetrying,
    /// Declined with nothing more to try.
    DeclinedFinal,
    Refunded,
    PartiallyRefunded,
    /// Authorized, nothing captured yet.
    Uncaptured,
    Voided,
    /// Cancelled by the merchant before any money moved (a rescue order).
    Cancelled,
    /// Waiting: the gateway has not answered, or the shopper must act.
    Pending,
}

impl Pill {
    /// The words on the pill.
    pub fn words(self) -> &'static str {
        match self {
            Self::Succeeded => "Succeeded",
            Self::DeclinedRetrying => "Declined – retrying",
            Self::DeclinedFinal => "Declined – final",
            Self::Refunded => "Refunded",
            Self::PartiallyRefunded => "Partially refunded",
            Self::Uncaptured => "Uncaptured",
            Self::Voided => "Voided",
            Self::Cancelled => "Cancelled",
            Self::Pending => "Pending",
        }
    }

    /// A stable name for styling and filtering (`declined-retrying`).
    pub fn slug(self) -> &'static str {
        match self {
            Self::Succeeded => "succeeded",
            Self::DeclinedRetrying => "declined-retrying",
            Self::DeclinedFinal => "declined-final",
            Self::Refunded => "refunded",
            Self::PartiallyRefunded => "partially-refunded",
            Self::Uncaptured => "uncaptured",
            Self::Voided => "voided",
            Self::Cancelled => "cancelled",
            Self::Pending => "pending",
        }
    }
}

/// What the pill of a FlexPay transaction is decided from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxnFacts {
    pub kind: TxnType,
    pub approved: bool,
    /// The gateway's answer is not in yet.
    pub pending: bool,
    pub amount: i64,
    pub captured: i64,
    pub refunded: i64,
    pub voided: bool,
    /// A retry of this decline is still ahead: it has a retry date and no later attempt of its
    /// chain exists.
    pub retry_ahead: bool,
}

/// The pill of a FlexPay transaction.
pub fn of_transaction(f: &TxnFacts) -> Pill {
    if f.pending {
        return Pill::Pending;
    }
    if !f.approved {
        return if f.retry_ahead {
            Pill::DeclinedRetrying
        } else {
            Pill::DeclinedFinal
        };
    }
    if f.voided {
        return Pill::Voided;
    }
    // What a refund can return: all that was captured of an authorization, the whole charge.
    let refundable = match f.kind {
        TxnType::Authorize => f.captured,
        _ => f.amount,
    };
    if f.refunded > 0 {
        return if f.refunded >= refundable {
            Pill::Refunded
        } else {
            Pill::PartiallyRefunded
        };
    }
    if f.kind == TxnType::Authorize && f.captured == 0 {
        return Pill::Uncaptured;
    }
    Pill::Succeeded
}

/// The pill of a FlexFactor rescue order, from its state and how much of it was refunded.
pub fn of_order(state: OrderState, captured: i64, refunded: i64) -> Pill {
    match state {
        OrderState::Processing => Pill::DeclinedRetrying,
        OrderState::Challenge => Pill::Pending,
        OrderState::Declined | OrderState::Expired => Pill::DeclinedFinal,
        OrderState::CaptureRequired => Pill::Uncaptured,
        OrderState::Cancelled => Pill::Cancelled,
        OrderState::Returned => Pill::Refunded,
        OrderState::Approved | OrderState::Completed => {
            if refunded > 0 && refunded >= captured {
                Pill::Refunded
            } else if refunded > 0 {
                Pill::PartiallyRefunded
            } else {
                Pill::Succeeded
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn charge() -> TxnFacts {
        TxnFacts {
            kind: TxnType::Charge,
            approved: true,
            pending: false,
            amount: 1000,
            captured: 1000,
            refunded: 0,
            voided: false,
            retry_ahead: false,
        }
    }

    #[test]
    fn an_approved_charge_succeeded() {
        assert_eq!(of_transaction(&charge()), Pill::Succeeded);
    }

    #[test]
    fn a_decline_with_a_retry_ahead_is_retrying_else_final() {
        let declined = TxnFacts {
            approved: false,
            captured: 0,
            ..charge()
        };
        assert_eq!(of_transaction(&declined), Pill::DeclinedFinal);
        let retrying = TxnFacts {
            retry_ahead: true,
            ..declined
        };
        assert_eq!(of_transaction(&retrying), Pill::DeclinedRetrying);
    }

    #[test]
    fn refunds_whole_and_partial() {
        let part = TxnFacts {
            refunded: 400,
            ..charge()
        };
        assert_eq!(of_transaction(&part), Pill::PartiallyRefunded);
        let whole = TxnFacts {
            refunded: 1000,
            ..charge()
        };
        assert_eq!(of_transaction(&whole), Pill::Refunded);
        // An authorization is refundable up to what was captured of it.
        let auth = TxnFacts {
            kind: TxnType::Authorize,
            captured: 600,
            refunded: 600,
            ..charge()
        };
        assert_eq!(of_transaction(&auth), Pill::Refunded);
    }

    #[test]
    fn authorizations_uncaptured_captured_and_voided() {
        let auth = TxnFacts {
            kind: TxnType::Authorize,
            captured: 0,
            ..charge()
        };
        assert_eq!(of_transaction(&auth), Pill::Uncaptured);
        let captured = TxnFacts {
            captured: 1000,
            ..auth
        };
        assert_eq!(of_transaction(&captured), Pill::Succeeded);
        let voided = TxnFacts {
            voided: true,
            ..auth
        };
        assert_eq!(of_transaction(&voided), Pill::Voided);
    }

    #[test]
    fn an_unanswered_attempt_is_pending_whatever_its_code() {
        let p = TxnFacts {
            pending: true,
            approved: false,
            retry_ahead: true,
            ..charge()
        };
        assert_eq!(of_transaction(&p), Pill::Pending);
    }

    #[test]
    fn follow_ups_succeed_or_decline() {
        let refund = TxnFacts {
            kind: TxnType::Refund,
            ..charge()
        };
        assert_eq!(of_transaction(&refund), Pill::Succeeded);
        let refused = TxnFacts {
            approved: false,
            ..refund
        };
        assert_eq!(of_transaction(&refused), Pill::DeclinedFinal);
    }

    #[test]
    fn orders_by_state() {
        use OrderState as S;
        assert_eq!(of_order(S::Processing, 0, 0), Pill::DeclinedRetrying);
        assert_eq!(of_order(S::Challenge, 0, 0), Pill::Pending);
        assert_eq!(of_order(S::Declined, 0, 0), Pill::DeclinedFinal);
        assert_eq!(of_order(S::Expired, 0, 0), Pill::DeclinedFinal);
        assert_eq!(of_order(S::CaptureRequired, 0, 0), Pill::Uncaptured);
        assert_eq!(of_order(S::Cancelled, 0, 0), Pill::Cancelled);
        assert_eq!(of_order(S::Returned, 500, 500), Pill::Refunded);
        assert_eq!(of_order(S::Approved, 500, 0), Pill::Succeeded);
        assert_eq!(of_order(S::Completed, 500, 200), Pill::PartiallyRefunded);
        assert_eq!(of_order(S::Completed, 500, 500), Pill::Refunded);
    }

    #[test]
    fn every_pill_has_words_and_a_slug() {
        for p in [
            Pill::Succeeded,
            Pill::DeclinedRetrying,
            Pill::DeclinedFinal,
            Pill::Refunded,
            Pill::PartiallyRefunded,
            Pill::Uncaptured,
            Pill::Voided,
            Pill::Cancelled,
            Pill::Pending,
        ] {
            assert!(!p.words().is_empty());
            assert!(p.slug().chars().all(|c| c.is_ascii_lowercase() || c == '-'));
        }
    }
}
