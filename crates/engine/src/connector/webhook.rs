//! The webhook half of the connector port. A gateway tells us later what it decided
//! asynchronously (an Adyen capture, a Stripe refund that failed days after it was accepted, a
//! chargeback). Each connector verifies its gateway's signature and reads its wire into these
//! wire-free events; the engine (`gateway_webhooks`) applies them. Nothing here trusts an event
//! for money: an attempt whose outcome is unknown is still settled by asking the gateway.

use time::OffsetDateTime;

/// What happened, as the engine acts on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    PaymentApproved,
    PaymentDeclined,
    Captured,
    CaptureFailed,
    Cancelled,
    CancelFailed,
    Refunded,
    /// A refund the gateway had accepted failed (or its money came back).
    RefundFailed,
    Chargeback,
    ChargebackReversed,
    /// A verified event the engine does not act on; recorded and acknowledged.
    Other,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PaymentApproved => "payment_approved",
            Self::PaymentDeclined => "payment_declined",
            Self::Captured => "captured",
            Self::CaptureFailed => "capture_failed",
            Self::Cancelled => "cancelled",
            Self::CancelFailed => "cancel_failed",
            Self::Refunded => "refunded",
            Self::RefundFailed => "refund_failed",
            Self::Chargeback => "chargeback",
            Self::ChargebackReversed => "chargeback_reversed",
            Self::Other => "other",
        }
    }

    /// The failure of a follow-up the gateway had accepted asynchronously.
    pub fn is_follow_up_failure(self) -> bool {
        matches!(
            self,
            Self::CaptureFailed | Self::CancelFailed | Self::RefundFailed
        )
    }
}

/// One verified gateway event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayEvent {
    /// The gateway's id of the event, unique per gateway (Stripe `evt_…`; Adyen has none, so
    /// `pspReference:eventCode:success`, the key Adyen documents for deduplication).
    pub id: String,
    pub kind: EventKind,
    /// The gateway's own name of the event (`charge.dispute.created`, `CHARGEBACK`), kept with
    /// the record.
    pub gateway_kind: String,
    /// The gateway's id of what the event is about (Stripe PaymentIntent or refund, Adyen
    /// pspReference).
    pub gateway_transaction_id: Option<String>,
    /// The payment a modification acts on (Adyen `originalReference`, a refund's PaymentIntent).
    pub original_gateway_transaction_id: Option<String>,
    /// Our attempt id where the gateway echoes it (Adyen `merchantReference`, Stripe
    /// `metadata.openflex_reference`): the only handle on an attempt whose answer was lost.
    pub reference: Option<String>,
    /// Minor units.
    pub amount: Option<i64>,
    /// ISO 4217, upper case.
    pub currency: Option<String>,
    pub success: bool,
    /// The gateway's reason (a dispute reason, a refund failure reason, a refusal reason).
    pub reason: Option<String>,
}

/// The verified events of one delivery and the answer the gateway expects.
#[derive(Debug, Clone)]
pub struct WebhookBatch {
    pub events: Vec<GatewayEvent>,
    /// Items of the delivery whose own signature failed (Adyen signs each item): not applied.
    pub refused: usize,
    /// The acknowledgement body (Adyen: `[accepted]`).
    pub ack: &'static str,
}

/// Why a delivery is refused; nothing of it is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookRefusal {
    /// The gateway type receives no webhooks.
    Unsupported(String),
    /// The gateway's settings hold no webhook secret: no event can be verified.
    NotConfigured(String),
    /// Missing, stale or wrong signature.
    BadSignature(String),
    /// The body is not the gateway's event format.
    Malformed(String),
}

impl std::fmt::Display for WebhookRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unsupported(m)
            | Self::NotConfigured(m)
            | Self::BadSignature(m)
            | Self::Malformed(m) => f.write_str(m),
        }
    }
}

/// The request headers a connector may read, names in lower case.
#[derive(Debug, Clone, Default)]
pub struct WebhookHeaders(Vec<(String, String)>);

impl WebhookHeaders {
    pub fn new<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
                .collect(),
        )
    }

    /// The first value of `name` (any case).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One delivery handed to [`Connector::webhook`](super::Connector::webhook).
pub struct WebhookRequest<'a> {
    pub headers: &'a WebhookHeaders,
    /// The raw body, exactly as received (signatures cover bytes, not a re-serialisation).
    pub body: &'a [u8],
    /// The gateway's settings (unsealed for this call only).
    pub settings: Option<&'a super::ConnectorSettings>,
    pub now: OffsetDateTime,
}
