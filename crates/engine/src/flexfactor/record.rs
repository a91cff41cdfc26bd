//! What an order keeps of the evaluate request besides the card: who paid, where, and the
//! declined transaction it rescues — typed, so the engine reads no dialect's JSON, and stored
//! as JSON in camelCase (the names FlexFactor merchants send and read back). Everything is
//! optional: merchants send what they have.

use serde::{Deserialize, Serialize};

/// The payer and the billing and shipping addresses, as the merchant gave them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct OrderParties {
    pub payer: Option<Payer>,
    pub billing: Option<OrderAddress>,
    pub shipping: Option<OrderAddress>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Payer {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birthdate: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct OrderAddress {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_line1: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_line2: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zip_code: Option<String>,
}

/// The declined transaction and its context, kept for the merchant.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct OrderContext {
    /// The merchant's own id tying the order to its systems (evaluate's `correlationId`).
    pub correlation_id: Option<String>,
    pub transaction: Option<DeclinedTransaction>,
    pub site_id: Option<String>,
    pub site_url: Option<String>,
    pub customer_ip: Option<String>,
    pub order_source: Option<String>,
    pub is_recurring: Option<bool>,
    pub subscription: Option<Subscription>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DeclinedTransaction {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp_utc: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_code_source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processor_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avs_result_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cvv_result_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cavv_result_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dynamic_descriptor: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Subscription {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscription_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
}

/// What `/v1/transmit` keeps of a shared transaction besides its amount (no card numbers).
/// Stored as JSON with the fields in alphabetical order, as it always was.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TransmitSummary {
    #[serde(rename = "isMIT")]
    pub is_mit: Option<bool>,
    pub payment_method: Option<TransmittedCard>,
    pub transaction: Option<TransmittedTransaction>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TransmittedTransaction {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp_utc: Option<String>,
}

/// The card as far as a risk model needs it: brand, BIN, last four digits, country.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TransmittedCard {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_bin_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_brand: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_last4_digits: Option<String>,
}

/// `Some` unless every field is empty: an object the merchant did not fill is not kept.
pub fn given<T: Default + PartialEq>(v: T) -> Option<T> {
    (v != T::default()).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_written_before_the_types_read_back() {
        let stored = r#"{"payer":{"email":"a@b.c"},"billing":null,
            "shipping":{"city":"Paris","zipCode":"75001"}}"#;
        let p: OrderParties = serde_json::from_str(stored).unwrap();
        assert_eq!(p.payer.unwrap().email.as_deref(), Some("a@b.c"));
        assert_eq!(p.billing, None);
        assert_eq!(p.shipping.unwrap().zip_code.as_deref(), Some("75001"));
        let c: OrderContext =
            serde_json::from_str(r#"{"transaction":{"responseCode":"05"},"isRecurring":null}"#)
                .unwrap();
        assert_eq!(c.transaction.unwrap().response_code.as_deref(), Some("05"));
    }

    #[test]
    fn a_transmit_summary_is_stored_in_its_old_shape() {
        let s = TransmitSummary {
            is_mit: None,
            payment_method: given(TransmittedCard {
                card_brand: Some("VISA".into()),
                card_last4_digits: Some("4242".into()),
                ..TransmittedCard::default()
            }),
            transaction: given(TransmittedTransaction::default()),
        };
        assert_eq!(
            serde_json::to_value(&s).unwrap(),
            serde_json::json!({"isMIT": null, "transaction": null,
                "paymentMethod": {"cardBrand": "VISA", "cardLast4Digits": "4242"}})
        );
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"{"isMIT":null,"paymentMethod":{"cardBrand":"VISA","cardLast4Digits":"4242"},"transaction":null}"#
        );
    }

    #[test]
    fn an_unfilled_object_is_not_kept() {
        assert_eq!(given(OrderAddress::default()), None);
        let a = OrderAddress {
            city: Some("Paris".into()),
            ..OrderAddress::default()
        };
        assert_eq!(given(a.clone()), Some(a));
        let json = serde_json::to_value(OrderParties::default()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"payer": null, "billing": null, "shipping": null})
        );
    }
}
