//! Gateway decline, refusal and error codes as FlexPay response codes.
//!
//! A live connector turns whatever its gateway answered into one FlexPay code, and the retry
//! policy ([`crate::retry_policy`]) reads nothing else. A wrong mapping either retries a lost,
//! stolen, closed or invalid card, which card-network rules forbid, or gives up on a customer who
//! was only short of funds. So every code a gateway publishes has an explicit row here, chosen
//! once and tested row by row against the published list (`tests/gateway_codes.rs`), instead of
//! ad-hoc `match`es spread over the connectors.
//!
//! **Keys.** One code string can mean different things in different places (Stripe `error.code`
//! and `error.decline_code` share `expired_card`; Adyen's `"10"` is a refusal reason and a service
//! error), so a row's key is ([`CodeField`], code). A field also names its gateway, so a
//! connector cannot read one gateway's code against another's table. Codes match exactly (after
//! trimming): gateways document one spelling and a case-folded near miss is better reported as
//! unknown than guessed.
//!
//! **Wire text around the code.** A few fields carry more than the code; the lookup compares the
//! part that identifies it, so the connector passes the raw value:
//! - Adyen `merchantAdviceCode` (`"02 : Cannot approve at this time"`) and `refusalReasonRaw`
//!   (`"05 : Do not honor"`, whose text varies by acquirer): the code before the first `:`.
//! - NMI `responsetext`: `REFID:<n>`, a per-request reference, is ignored.
//!
//! **Table layout.** One file per gateway holds its rows in the order of the published list, so a
//! reviewer can read it side by side with the list. The lookup scans linearly: the longest table
//! has 462 rows, it runs once per gateway answer, and a scan of a few hundred short strings costs
//! microseconds next to the network round trip that produced the code, while sorting for binary
//! search would lose the list order and add a sort invariant to maintain.
//!
//! **Unknown codes** ([`map`] with a code no row has) fall back per field, never to an approval:
//! - decline fields (decline / refusal reasons, advice codes, NMI `2xx` response codes and
//!   `responsetext`): 20047 "Other / Unidentified responses", a generic soft decline retried on
//!   the day schedule. Every do-not-retry reason the gateways document has a row, so an unknown
//!   one is most likely a new generic decline, and retrying, capped by the policy, costs less than
//!   losing the rebill;
//! - error fields (error codes, HTTP status, other NMI response codes, Authorize.net message and
//!   reason codes): 20046 "System error", the issuer-unavailable family retried within hours;
//! - outcome fields (Adyen `resultCode`, Stripe `charge.outcome`, NMI `response`, Authorize.net
//!   `responseCode` / `resultCode`): 30091 "DO NOT RETRY - Other / Unidentified responses". An
//!   unknown state of the payment itself may be a pending or approved one, and retrying it could
//!   charge the customer twice.

mod adyen;
mod authorizenet;
mod nmi;
mod notes;
mod stripe;

use crate::codes::ResponseCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GatewayKind {
    Stripe,
    Adyen,
    Nmi,
    AuthorizeNet,
}

/// Where in a gateway's answer a code was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodeField {
    /// `error.decline_code`, or `charge.outcome.reason` on a charge.
    StripeDeclineCode,
    StripeErrorCode,
    StripeErrorType,
    /// `error.type` of the v2 API.
    StripeErrorTypeV2,
    /// `error.advice_code`, or `charge.outcome.advice_code` on a charge.
    StripeAdviceCode,
    StripeHttpStatus,
    StripeOutcomeType,
    StripeNetworkStatus,
    AdyenResultCode,
    AdyenRefusalReasonCode,
    AdyenInferredRefusalReason,
    /// Mastercard's merchant advice code, as Adyen relays it (`"NN : text"`).
    AdyenMerchantAdviceCode,
    /// The acquirer's raw answer (`"05 : Do not honor"`).
    AdyenRefusalReasonRaw,
    /// `errorCode` of a `ServiceError` body.
    AdyenErrorCode,
    /// `errorType` of a `ServiceError` body.
    AdyenErrorType,
    AdyenHttpStatus,
    /// A response header, written `Name: value`.
    AdyenResponseHeader,
    /// `response`: 1 approved, 2 declined, 3 error.
    NmiResponse,
    NmiResponseCode,
    NmiResponseText,
    /// `transactionResponse.responseCode`: 1 approved, 2 declined, 3 error, 4 held for review.
    AuthorizeNetResponseCode,
    /// `messages.resultCode`: `Ok` or `Error`.
    AuthorizeNetResultCode,
    /// `messages.message[].code` (`I00001`, `E00027`, ...).
    AuthorizeNetMessageCode,
    /// The response reason code: `transactionResponse.errors[].errorCode` or
    /// `transactionResponse.messages[].code`.
    AuthorizeNetReasonCode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unknown {
    Decline,
    Error,
    Outcome,
}

impl CodeField {
    pub const ALL: [Self; 24] = [
        Self::StripeDeclineCode,
        Self::StripeErrorCode,
        Self::StripeErrorType,
        Self::StripeErrorTypeV2,
        Self::StripeAdviceCode,
        Self::StripeHttpStatus,
        Self::StripeOutcomeType,
        Self::StripeNetworkStatus,
        Self::AdyenResultCode,
        Self::AdyenRefusalReasonCode,
        Self::AdyenInferredRefusalReason,
        Self::AdyenMerchantAdviceCode,
        Self::AdyenRefusalReasonRaw,
        Self::AdyenErrorCode,
        Self::AdyenErrorType,
        Self::AdyenHttpStatus,
        Self::AdyenResponseHeader,
        Self::NmiResponse,
        Self::NmiResponseCode,
        Self::NmiResponseText,
        Self::AuthorizeNetResponseCode,
        Self::AuthorizeNetResultCode,
        Self::AuthorizeNetMessageCode,
        Self::AuthorizeNetReasonCode,
    ];

    pub fn gateway(self) -> GatewayKind {
        use CodeField::*;
        match self {
            StripeDeclineCode | StripeErrorCode | StripeErrorType | StripeErrorTypeV2
            | StripeAdviceCode | StripeHttpStatus | StripeOutcomeType | StripeNetworkStatus => {
                GatewayKind::Stripe
            }
            AdyenResultCode
            | AdyenRefusalReasonCode
            | AdyenInferredRefusalReason
            | AdyenMerchantAdviceCode
            | AdyenRefusalReasonRaw
            | AdyenErrorCode
            | AdyenErrorType
            | AdyenHttpStatus
            | AdyenResponseHeader => GatewayKind::Adyen,
            NmiResponse | NmiResponseCode | NmiResponseText => GatewayKind::Nmi,
            AuthorizeNetResponseCode
            | AuthorizeNetResultCode
            | AuthorizeNetMessageCode
            | AuthorizeNetReasonCode => GatewayKind::AuthorizeNet,
        }
    }

    /// The field as the gateway reference lists (`declines.tsv`, column `field`) name it.
    pub fn list_name(self) -> &'static str {
        use CodeField::*;
        match self {
            StripeDeclineCode => "error.decline_code / charge.outcome.reason",
            StripeErrorCode => "error.code",
            StripeErrorType => "error.type",
            StripeErrorTypeV2 => "error.type (API v2)",
            StripeAdviceCode => "error.advice_code / charge.outcome.advice_code",
            StripeHttpStatus | AdyenHttpStatus => "HTTP status",
            StripeOutcomeType => "charge.outcome.type",
            StripeNetworkStatus => "charge.outcome.network_status",
            AdyenResultCode => "resultCode",
            AdyenRefusalReasonCode => "refusalReasonCode (+ refusalReason text)",
            AdyenInferredRefusalReason => "additionalData.inferredRefusalReason",
            AdyenMerchantAdviceCode => "additionalData.merchantAdviceCode (format \"NN : text\")",
            AdyenRefusalReasonRaw => "additionalData.refusalReasonRaw (example values)",
            AdyenErrorCode => "errorCode (ServiceError)",
            AdyenErrorType => "errorType (ServiceError)",
            AdyenResponseHeader => "HTTP response header",
            NmiResponse => "response",
            NmiResponseCode => "response_code",
            NmiResponseText => "responsetext (examples)",
            AuthorizeNetResponseCode => "transactionResponse.responseCode",
            AuthorizeNetResultCode => "messages.resultCode",
            AuthorizeNetMessageCode => "messages.message[].code",
            AuthorizeNetReasonCode => {
                "transactionResponse.errors[].errorCode or transactionResponse.messages[].code"
            }
        }
    }

    fn unknown(self, code: &str) -> Unknown {
        use CodeField::*;
        match self {
            StripeDeclineCode
            | StripeAdviceCode
            | AdyenRefusalReasonCode
            | AdyenInferredRefusalReason
            | AdyenMerchantAdviceCode
            | AdyenRefusalReasonRaw
            | NmiResponseText => Unknown::Decline,
            // NMI numbers its codes by kind: 1xx approved, 2xx declined, 3xx gateway and 4xx
            // processor errors.
            NmiResponseCode if code.len() == 3 && code.starts_with('2') => Unknown::Decline,
            StripeOutcomeType
            | StripeNetworkStatus
            | AdyenResultCode
            | NmiResponse
            | AuthorizeNetResponseCode
            | AuthorizeNetResultCode => Unknown::Outcome,
            _ => Unknown::Error,
        }
    }

    /// The FlexPay code for a code of this field that no row lists (see the module doc).
    pub fn fallback(self, code: &str) -> ResponseCode {
        match self.unknown(key(self, code)) {
            Unknown::Decline => ResponseCode(20047),
            Unknown::Error => ResponseCode(20046),
            Unknown::Outcome => ResponseCode(30091),
        }
    }
}

/// One row of a gateway table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub field: CodeField,
    /// The code exactly as the gateway's published list spells it.
    pub code: &'static str,
    pub flexpay: ResponseCode,
    /// Why the FlexPay code is not the plain reading of the code, where it is not.
    pub note: Option<&'static str>,
}

const fn row(field: CodeField, code: &'static str, flexpay: u32) -> Entry {
    Entry {
        field,
        code,
        flexpay: ResponseCode(flexpay),
        note: None,
    }
}

const fn noted(field: CodeField, code: &'static str, flexpay: u32, note: &'static str) -> Entry {
    Entry {
        field,
        code,
        flexpay: ResponseCode(flexpay),
        note: Some(note),
    }
}

/// A gateway code read as FlexPay's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mapped {
    pub code: ResponseCode,
    /// False when no row lists the code and the field's fallback answered: worth a log line, so
    /// the table can learn the new code.
    pub listed: bool,
}

/// Every row for one gateway, in the order of its published list.
pub fn table(kind: GatewayKind) -> &'static [Entry] {
    match kind {
        GatewayKind::Stripe => stripe::TABLE,
        GatewayKind::Adyen => adyen::TABLE,
        GatewayKind::Nmi => nmi::TABLE,
        GatewayKind::AuthorizeNet => authorizenet::TABLE,
    }
}

/// The part of a wire value that identifies the code (see the module doc).
fn key(field: CodeField, code: &str) -> &str {
    let code = code.trim();
    match field {
        CodeField::AdyenMerchantAdviceCode | CodeField::AdyenRefusalReasonRaw => {
            code.split(':').next().unwrap_or(code).trim()
        }
        CodeField::NmiResponseText => code.split("REFID:").next().unwrap_or(code).trim(),
        _ => code,
    }
}

/// The row for `code` read from `field`, if the gateway's list has it.
pub fn lookup(field: CodeField, code: &str) -> Option<&'static Entry> {
    let wanted = key(field, code);
    table(field.gateway())
        .iter()
        .find(|e| e.field == field && key(field, e.code) == wanted)
}

/// The FlexPay code for `code` read from `field`: the row's, or the field's fallback.
pub fn map(field: CodeField, code: &str) -> Mapped {
    match lookup(field, code) {
        Some(e) => Mapped {
            code: e.flexpay,
            listed: true,
        },
        None => Mapped {
            code: field.fallback(code),
            listed: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decline::{Family, classify};

    #[test]
    fn the_brief_examples_map_as_asked() {
        use CodeField::*;
        let code = |f, c| map(f, c).code;
        assert_eq!(code(StripeDeclineCode, "expired_card"), ResponseCode(30026));
        assert_eq!(
            code(StripeDeclineCode, "incorrect_cvc"),
            ResponseCode(30049)
        );
        assert_eq!(code(StripeDeclineCode, "stolen_card"), ResponseCode(30009));
        assert_eq!(
            code(StripeDeclineCode, "insufficient_funds"),
            ResponseCode(20023)
        );
        for c in ["processing_error", "issuer_not_available"] {
            let family = classify(code(StripeDeclineCode, c)).family;
            assert_eq!(family, Family::IssuerUnavailable, "{c}");
        }
    }

    #[test]
    fn the_same_string_in_two_fields_is_two_keys() {
        use CodeField::*;
        assert_eq!(map(AdyenRefusalReasonCode, "10").code, ResponseCode(30029));
        assert_eq!(map(AdyenErrorCode, "10").code, ResponseCode(30095));
        assert_eq!(map(AdyenErrorCode, "010").code, ResponseCode(30095));
        assert!(lookup(StripeErrorType, "expired_card").is_none());
    }

    #[test]
    fn wire_text_around_the_code_is_ignored() {
        use CodeField::*;
        let advice = lookup(
            AdyenMerchantAdviceCode,
            "01 : New account information available",
        );
        assert_eq!(advice.map(|e| e.code), Some("01"));
        let raw = lookup(AdyenRefusalReasonRaw, "05 : Do Not Honour (acquirer X)");
        assert_eq!(raw.map(|e| e.code), Some("05 : Do not honor"));
        let text = lookup(
            NmiResponseText,
            "Invalid Credit Card Number REFID:3154867621",
        );
        assert_eq!(text.map(|e| e.flexpay), Some(ResponseCode(30012)));
        assert_eq!(
            map(StripeDeclineCode, " lost_card\n").code,
            ResponseCode(30008)
        );
        assert!(
            !map(StripeDeclineCode, "LOST_CARD").listed,
            "codes match exactly"
        );
    }

    #[test]
    fn unknown_codes_fall_back_per_field_and_never_approve() {
        use CodeField::*;
        let unknown = |f, c| {
            let m = map(f, c);
            assert!(!m.listed, "{f:?} {c}");
            assert!(!m.code.is_approved(), "{f:?} {c}");
            m.code
        };
        assert_eq!(
            unknown(StripeDeclineCode, "brand_new_reason"),
            ResponseCode(20047)
        );
        assert_eq!(unknown(AdyenRefusalReasonCode, "99"), ResponseCode(20047));
        assert_eq!(unknown(NmiResponseCode, "299"), ResponseCode(20047));
        assert_eq!(unknown(NmiResponseCode, "499"), ResponseCode(20046));
        assert_eq!(
            unknown(StripeErrorCode, "brand_new_error"),
            ResponseCode(20046)
        );
        assert_eq!(unknown(AuthorizeNetReasonCode, "9999"), ResponseCode(20046));
        assert_eq!(unknown(StripeHttpStatus, "418"), ResponseCode(20046));
        assert_eq!(unknown(AdyenResultCode, "Authorized"), ResponseCode(30091));
        assert_eq!(unknown(AuthorizeNetResponseCode, "5"), ResponseCode(30091));
        assert_eq!(classify(ResponseCode(20047)).family, Family::Generic);
        assert_eq!(
            classify(ResponseCode(20046)).family,
            Family::IssuerUnavailable
        );
        assert!(classify(ResponseCode(20047)).retryable);
        assert!(classify(ResponseCode(20046)).retryable);
        assert!(!classify(ResponseCode(30091)).retryable);
    }

    #[test]
    fn every_field_belongs_to_one_gateway_and_has_rows() {
        for field in CodeField::ALL {
            let rows = table(field.gateway()).iter().filter(|e| e.field == field);
            assert!(rows.count() > 0, "{field:?}");
        }
        for kind in [
            GatewayKind::Stripe,
            GatewayKind::Adyen,
            GatewayKind::Nmi,
            GatewayKind::AuthorizeNet,
        ] {
            assert!(
                table(kind).iter().all(|e| e.field.gateway() == kind),
                "{kind:?}"
            );
        }
    }
}
