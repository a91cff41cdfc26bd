//! The state rules of docs/flexpay.md §5: which follow-up operation an original transaction still
//! allows, and for how much. The store re-checks the same invariant atomically when it writes
//! (a conditional UPDATE), so these functions decide the *code* and the database decides the
//! race.

use crate::codes::ResponseCode;
use time::{Duration, OffsetDateTime, Time};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxnType {
    Charge,
    Authorize,
    Capture,
    Void,
    Refund,
    CreatePaymentMethod,
    CreateGatewayPaymentMethod,
    UpdatePaymentMethod,
    RedactPaymentMethod,
    RecachePaymentMethod,
}

impl TxnType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Charge => "Charge",
            Self::Authorize => "Authorize",
            Self::Capture => "Capture",
            Self::Void => "Void",
            Self::Refund => "Refund",
            Self::CreatePaymentMethod => "CreatePaymentMethod",
            Self::CreateGatewayPaymentMethod => "CreateGatewayPaymentMethod",
            Self::UpdatePaymentMethod => "UpdatePaymentMethod",
            Self::RedactPaymentMethod => "RedactPaymentMethod",
            Self::RecachePaymentMethod => "RecachePaymentMethod",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Charge,
            Self::Authorize,
            Self::Capture,
            Self::Void,
            Self::Refund,
            Self::CreatePaymentMethod,
            Self::CreateGatewayPaymentMethod,
            Self::UpdatePaymentMethod,
            Self::RedactPaymentMethod,
            Self::RecachePaymentMethod,
        ]
        .into_iter()
        .find(|t| t.as_str().eq_ignore_ascii_case(s))
    }

    /// Operations that move money and can later be captured, voided or refunded.
    pub fn is_payment(self) -> bool {
        matches!(
            self,
            Self::Charge | Self::Authorize | Self::Capture | Self::Refund | Self::Void
        )
    }
}

/// What a follow-up needs to know about the original transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Original {
    pub kind: TxnType,
    pub approved: bool,
    pub amount: i64,
    /// Authorize only: amount captured so far (one capture per authorization).
    pub captured_amount: i64,
    /// Charge/Capture only: amount refunded so far, in-flight refunds included.
    pub refunded_amount: i64,
    pub voided: bool,
    pub settled: bool,
}

/// Amount to capture: absent or 0 means the full authorized amount.
pub fn capture_amount(o: &Original, requested: i64) -> Result<i64, ResponseCode> {
    if o.kind != TxnType::Authorize || !o.approved {
        return Err(ResponseCode(30011));
    }
    if o.voided {
        return Err(ResponseCode(30064));
    }
    if o.captured_amount > 0 {
        return Err(ResponseCode(30079));
    }
    let amount = if requested == 0 { o.amount } else { requested };
    if amount < 0 || amount > o.amount {
        return Err(ResponseCode(30064));
    }
    Ok(amount)
}

pub fn check_void(o: &Original) -> Result<(), ResponseCode> {
    if !o.approved {
        return Err(ResponseCode(30011));
    }
    if o.voided {
        return Err(ResponseCode(30066));
    }
    match o.kind {
        TxnType::Authorize if o.captured_amount > 0 => Err(ResponseCode(30065)),
        TxnType::Authorize => Ok(()),
        TxnType::Charge | TxnType::Capture if o.settled => Err(ResponseCode(30010)),
        TxnType::Charge | TxnType::Capture if o.refunded_amount > 0 => Err(ResponseCode(30010)),
        TxnType::Charge | TxnType::Capture => Ok(()),
        _ => Err(ResponseCode(30011)),
    }
}

/// Amount to refund: absent or 0 means all that remains.
pub fn refund_amount(o: &Original, requested: i64) -> Result<i64, ResponseCode> {
    match o.kind {
        TxnType::Charge | TxnType::Capture => {}
        _ => return Err(ResponseCode(30011)),
    }
    if !o.approved {
        return Err(ResponseCode(30011));
    }
    if o.voided {
        return Err(ResponseCode(30066));
    }
    let remaining = o.amount - o.refunded_amount;
    let amount = if requested == 0 { remaining } else { requested };
    if amount <= 0 || amount > remaining {
        return Err(ResponseCode(30015));
    }
    Ok(amount)
}

/// The follow-ups an original still allows, each asked of the rule that decides it: a capture
/// or refund with the amount an absent amount would take (all that remains), and whether a
/// void would go through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Offers {
    pub capture: Option<i64>,
    pub void: bool,
    pub refund: Option<i64>,
}

pub fn offers(o: &Original) -> Offers {
    Offers {
        capture: capture_amount(o, 0).ok(),
        void: check_void(o).is_ok(),
        refund: refund_amount(o, 0).ok(),
    }
}

/// The sandbox settles a charge or capture at the next 00:00 UTC after it happened.
pub fn settles_at(at: OffsetDateTime) -> OffsetDateTime {
    let at = at.to_offset(time::UtcOffset::UTC);
    (at.date() + Duration::days(1))
        .with_time(Time::MIDNIGHT)
        .assume_utc()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::datetime;

    fn charge(amount: i64) -> Original {
        Original {
            kind: TxnType::Charge,
            approved: true,
            amount,
            captured_amount: 0,
            refunded_amount: 0,
            voided: false,
            settled: false,
        }
    }

    fn auth(amount: i64) -> Original {
        Original {
            kind: TxnType::Authorize,
            ..charge(amount)
        }
    }

    #[test]
    fn offers_follow_the_rules() {
        let a = offers(&auth(1000));
        assert_eq!((a.capture, a.void, a.refund), (Some(1000), true, None));
        let captured = Original {
            captured_amount: 1000,
            ..auth(1000)
        };
        assert_eq!(offers(&captured), Offers::default());
        let c = offers(&charge(1000));
        assert_eq!((c.capture, c.void, c.refund), (None, true, Some(1000)));
        let part = Original {
            refunded_amount: 400,
            ..charge(1000)
        };
        assert_eq!(
            offers(&part),
            Offers {
                refund: Some(600),
                ..Offers::default()
            }
        );
        let all = Original {
            refunded_amount: 1000,
            ..charge(1000)
        };
        assert_eq!(offers(&all), Offers::default());
        let declined = Original {
            approved: false,
            ..charge(1000)
        };
        assert_eq!(offers(&declined), Offers::default());
    }

    #[test]
    fn capture_rules() {
        assert_eq!(capture_amount(&auth(1000), 0), Ok(1000));
        assert_eq!(capture_amount(&auth(1000), 400), Ok(400));
        assert_eq!(capture_amount(&auth(1000), 1001), Err(ResponseCode(30064)));
        let captured = Original {
            captured_amount: 400,
            ..auth(1000)
        };
        assert_eq!(capture_amount(&captured, 0), Err(ResponseCode(30079)));
        let voided = Original {
            voided: true,
            ..auth(1000)
        };
        assert_eq!(capture_amount(&voided, 0), Err(ResponseCode(30064)));
        assert_eq!(capture_amount(&charge(1000), 0), Err(ResponseCode(30011)));
        let declined = Original {
            approved: false,
            ..auth(1000)
        };
        assert_eq!(capture_amount(&declined, 0), Err(ResponseCode(30011)));
    }

    #[test]
    fn void_rules() {
        assert_eq!(check_void(&auth(1000)), Ok(()));
        assert_eq!(check_void(&charge(1000)), Ok(()));
        let settled = Original {
            settled: true,
            ..charge(1000)
        };
        assert_eq!(check_void(&settled), Err(ResponseCode(30010)));
        let voided = Original {
            voided: true,
            ..charge(1000)
        };
        assert_eq!(check_void(&voided), Err(ResponseCode(30066)));
        let captured = Original {
            captured_amount: 1,
            ..auth(1000)
        };
        assert_eq!(check_void(&captured), Err(ResponseCode(30065)));
        let refund = Original {
            kind: TxnType::Refund,
            ..charge(1000)
        };
        assert_eq!(check_void(&refund), Err(ResponseCode(30011)));
    }

    #[test]
    fn refund_rules() {
        assert_eq!(refund_amount(&charge(1000), 0), Ok(1000));
        assert_eq!(refund_amount(&charge(1000), 300), Ok(300));
        let part = Original {
            refunded_amount: 300,
            ..charge(1000)
        };
        assert_eq!(refund_amount(&part, 0), Ok(700));
        assert_eq!(refund_amount(&part, 701), Err(ResponseCode(30015)));
        let full = Original {
            refunded_amount: 1000,
            ..charge(1000)
        };
        assert_eq!(refund_amount(&full, 0), Err(ResponseCode(30015)));
        assert_eq!(refund_amount(&auth(1000), 0), Err(ResponseCode(30011)));
        let voided = Original {
            voided: true,
            ..charge(1000)
        };
        assert_eq!(refund_amount(&voided, 0), Err(ResponseCode(30066)));
    }

    #[test]
    fn settlement_is_next_midnight_utc() {
        assert_eq!(
            settles_at(datetime!(2026-11-24 19:02 UTC)),
            datetime!(2026-11-25 00:00 UTC)
        );
        assert_eq!(
            settles_at(datetime!(2026-11-24 00:00 UTC)),
            datetime!(2026-11-25 00:00 UTC)
        );
    }

    proptest! {
        /// However refunds are split, their total never exceeds the charge.
        #[test]
        fn refunds_never_exceed_the_charge(amount in 1i64..1_000_000, asks in proptest::collection::vec(0i64..1_000_000, 1..20)) {
            let mut o = charge(amount);
            for ask in asks {
                if let Ok(a) = refund_amount(&o, ask) {
                    o.refunded_amount += a;
                }
                prop_assert!(o.refunded_amount <= amount);
            }
        }
    }
}
