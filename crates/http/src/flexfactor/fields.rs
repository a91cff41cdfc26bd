//! How FlexFactor words what the engine decides: the field paths and messages of evaluate
//! refusals, the codes and messages of refused order actions, and the `/evaluate` status. The
//! engine returns meanings; this dialect's clients parse these exact strings.

use openflex_domain::money::minor_to_decimal;
use openflex_domain::rescue::{Action, AmountRefusal, OrderState};
use openflex_engine::flexfactor::{EvaluateRefusal, Evaluated, OrderRefusal};

/// The validation-map path and message of an evaluate refusal.
pub fn evaluate_refusal(r: EvaluateRefusal) -> (&'static str, &'static str) {
    match r {
        EvaluateRefusal::UnknownToken => (
            "PaymentMethod.CardNumber",
            "The token is unknown or was redacted.",
        ),
        EvaluateRefusal::TokenWithoutCard => (
            "PaymentMethod.CardNumber",
            "The token does not hold a card number.",
        ),
        EvaluateRefusal::InvalidCardNumber => (
            "PaymentMethod.CardNumber",
            "The CardNumber field is not a valid card number.",
        ),
        EvaluateRefusal::ExpiryPassed => (
            "ExpiryDateUtc",
            "The field ExpiryDateUtc must be in the future.",
        ),
        EvaluateRefusal::ExpiryTooFar => (
            "ExpiryDateUtc",
            "The field ExpiryDateUtc must be at most 21 days ahead.",
        ),
    }
}

/// The message of a refused `Transaction.Amount`.
pub fn amount_refusal(r: AmountRefusal) -> &'static str {
    match r {
        AmountRefusal::OutsideSandboxRange => {
            "In the sandbox the field Amount must be greater than 10 and less than 20000 cents."
        }
        AmountRefusal::NotPositive => "The field Amount must be positive.",
    }
}

/// The `status` of an `/evaluate` answer: a new order waiting for rescue attempts is
/// `SUBMITTED`; otherwise the order's state name.
pub fn evaluate_status(ev: &Evaluated) -> &'static str {
    if ev.created && ev.state == OrderState::Processing {
        "SUBMITTED"
    } else {
        ev.state.name()
    }
}

fn action_word(a: Action) -> &'static str {
    match a {
        Action::Capture => "capture the order",
        Action::Cancel => "void the order's authorization",
        Action::Refund => "refund the order",
        Action::Attempt => "charge the card",
    }
}

/// The error code and message of a refused cancel, capture or refund.
pub fn order_refusal(r: &OrderRefusal) -> (&'static str, String) {
    match r {
        OrderRefusal::NotCancellable(state) => (
            "400002",
            format!(
                "An order in state {} cannot be cancelled; refund captured money instead.",
                state.name()
            ),
        ),
        OrderRefusal::NotCapturable(state) => (
            "400003",
            format!(
                "Only orders in CAPTUREREQUIRED can be captured; this one is {}.",
                state.name()
            ),
        ),
        OrderRefusal::CaptureCurrency { order, requested } => (
            "400004",
            format!(
                "The order was authorized in {}, not {}.",
                order,
                requested.code()
            ),
        ),
        OrderRefusal::CaptureAmount { amount, authorized } => (
            "400005",
            format!("Amount {amount} is outside 1..{authorized} (the authorized amount)."),
        ),
        OrderRefusal::ChangedMeanwhile => ("400003", "The order changed state meanwhile.".into()),
        OrderRefusal::NotRefundable(state) => (
            "2002",
            format!("An order in state {} cannot be refunded.", state.name()),
        ),
        OrderRefusal::Gateway { action, detail } => (
            if *action == Action::Refund {
                "2003"
            } else {
                "400006"
            },
            format!("The gateway did not {}: {detail}", action_word(*action)),
        ),
        OrderRefusal::OverRefund {
            amount,
            refundable,
            exponent,
        } => (
            "2001",
            format!(
                "Amount to refund ({}) is greater than maximum refund amount in ({}))",
                minor_to_decimal(*amount, *exponent),
                minor_to_decimal(*refundable, *exponent)
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openflex_domain::money::Currency;

    #[test]
    fn order_refusals_keep_their_codes_and_words() {
        let cases = [
            (
                OrderRefusal::NotCancellable(OrderState::Completed),
                "400002",
                "An order in state COMPLETED cannot be cancelled; refund captured money instead.",
            ),
            (
                OrderRefusal::NotCapturable(OrderState::Declined),
                "400003",
                "Only orders in CAPTUREREQUIRED can be captured; this one is DECLINED.",
            ),
            (
                OrderRefusal::CaptureCurrency {
                    order: "USD".into(),
                    requested: Currency::parse("EUR").unwrap(),
                },
                "400004",
                "The order was authorized in USD, not EUR.",
            ),
            (
                OrderRefusal::CaptureAmount {
                    amount: 500,
                    authorized: 400,
                },
                "400005",
                "Amount 500 is outside 1..400 (the authorized amount).",
            ),
            (
                OrderRefusal::ChangedMeanwhile,
                "400003",
                "The order changed state meanwhile.",
            ),
            (
                OrderRefusal::NotRefundable(OrderState::Declined),
                "2002",
                "An order in state DECLINED cannot be refunded.",
            ),
            (
                OrderRefusal::OverRefund {
                    amount: 1250,
                    refundable: 1000,
                    exponent: 2,
                },
                "2001",
                "Amount to refund (12.50) is greater than maximum refund amount in (10.00))",
            ),
        ];
        for (reason, code, message) in cases {
            assert_eq!(order_refusal(&reason), (code, message.to_string()));
        }
    }

    #[test]
    fn evaluate_refusals_name_their_fields() {
        assert_eq!(
            evaluate_refusal(EvaluateRefusal::ExpiryTooFar),
            (
                "ExpiryDateUtc",
                "The field ExpiryDateUtc must be at most 21 days ahead."
            )
        );
        assert_eq!(
            evaluate_refusal(EvaluateRefusal::UnknownToken).0,
            "PaymentMethod.CardNumber"
        );
    }

    #[test]
    fn only_a_new_order_in_processing_is_submitted() {
        let ev = |state, created| Evaluated {
            order_id: "o".into(),
            state,
            created,
            sense_key: None,
        };
        assert_eq!(
            evaluate_status(&ev(OrderState::Processing, true)),
            "SUBMITTED"
        );
        assert_eq!(
            evaluate_status(&ev(OrderState::Processing, false)),
            "PROCESSING"
        );
        assert_eq!(evaluate_status(&ev(OrderState::Approved, true)), "APPROVED");
    }
}
