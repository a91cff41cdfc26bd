//! Reasons shared by rows whose FlexPay code is not the plain reading of the gateway code, kept
//! in one place so the same judgement reads the same in every gateway table.

pub(super) const SCA: &str = "needs the cardholder to authenticate (3DS/SCA); FlexPay has no such \
    code, so the nearest soft decline, 'unable to authorize'";
pub(super) const PIN_CHECK: &str =
    "a wrong PIN fails cardholder verification as a wrong CVV does; FlexPay has no PIN code";
pub(super) const PIN_REQUIRED: &str =
    "a card-present PIN requirement that a card-not-present payment cannot meet";
pub(super) const PIN_BLOCKED: &str = "PIN tries used up: the card is restricted";
pub(super) const CLOSED: &str = "FlexPay has no closed-account code; a restricted card is the \
    nearest card status that is never retried";
pub(super) const REISSUED: &str =
    "the card was replaced: like an expired card it needs new card data, never a retry";
pub(super) const REVOKED: &str = "the cardholder stopped this (recurring) payment: FlexPay's \
    'not permitted to that cardholder'";
pub(super) const REENTER: &str = "20012 'Re-enter transaction' reads closer but is a generic \
    decline; the list files this as issuer unavailable, and that decides";
pub(super) const PARTIAL: &str = "approved for part of the amount for lack of balance; 20018 \
    'Completed Partially' is a generic decline, the list's funds category decides";
pub(super) const PENDING: &str = "not final: the payment exists and may still complete, so a \
    retry could charge twice; never retried, the connector follows it up";
pub(super) const CANCELLED: &str = "cancelled by the merchant or the shopper before completion: \
    a retry would override that choice";
pub(super) const NEEDS_PAYER: &str =
    "needs the payer present to consent; a payment without them cannot complete";
pub(super) const ADVISED_DELAY: &str = "the list files this as issuer unavailable (hours \
    schedule), but the gateway advises a longer wait; a connector should hold the advised delay";
pub(super) const BALANCE: &str =
    "the merchant's Stripe balance is short, not the card; it refills, so funds-like";
pub(super) const CURRENCY: &str = "the card cannot pay in this currency; 30061 is a merchant-side \
    currency error, the card-level 'card not supported' is nearer";
pub(super) const VISA_N7: &str = "Visa's N7 is a CVV2 failure, whatever the text says";
pub(super) const AVS_AND_CVV: &str =
    "address and card-code checks both failed; the address decline stands for both";
