//! Authorize.net validates JSON requests against its XML schema, where every element has a
//! fixed place in a sequence: a key out of order or unknown is refused (E00003) even when its
//! value is right. `serde_json::Value` forgets key order, so requests are read into [`Node`],
//! which keeps it, and checked against the sequences below (element names and order from the
//! schema as the public SDKs carry it; only the parts openflex and its tests may send).

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;

/// A JSON value whose objects keep their key order.
#[derive(Debug, Clone)]
pub enum Node {
    Object(Vec<(String, Node)>),
    Other(Value),
}

impl Node {
    pub fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            Node::Other(_) => None,
        }
    }

    /// A path of keys, `"a/b/c"`.
    pub fn at(&self, path: &str) -> Option<&Node> {
        path.split('/').try_fold(self, |n, k| n.get(k))
    }

    /// The text of a string, number or boolean.
    pub fn text(&self) -> Option<String> {
        match self {
            Node::Other(Value::String(s)) => Some(s.clone()),
            Node::Other(Value::Number(n)) => Some(n.to_string()),
            Node::Other(Value::Bool(b)) => Some(b.to_string()),
            _ => None,
        }
    }

    pub fn text_at(&self, path: &str) -> Option<String> {
        self.at(path).and_then(Node::text)
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Node;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
                let mut entries = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Node>()? {
                    entries.push((k, v));
                }
                Ok(Node::Object(entries))
            }
            fn visit_str<E>(self, v: &str) -> Result<Node, E> {
                Ok(Node::Other(Value::String(v.into())))
            }
            fn visit_string<E>(self, v: String) -> Result<Node, E> {
                Ok(Node::Other(Value::String(v)))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
                Ok(Node::Other(Value::Bool(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
                Ok(Node::Other(Value::from(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
                Ok(Node::Other(Value::from(v)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
                Ok(Node::Other(Value::from(v)))
            }
            fn visit_unit<E>(self) -> Result<Node, E> {
                Ok(Node::Other(Value::Null))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
                let mut items = Vec::new();
                while let Some(v) = seq.next_element::<Value>()? {
                    items.push(v);
                }
                Ok(Node::Other(Value::Array(items)))
            }
        }
        d.deserialize_any(V)
    }
}

/// The element sequence of a complex element, by its key.
fn sequence(name: &str) -> Option<&'static [&'static str]> {
    Some(match name {
        "createTransactionRequest" => &[
            "merchantAuthentication",
            "clientId",
            "refId",
            "transactionRequest",
        ],
        "authenticateTestRequest" => &["merchantAuthentication", "clientId", "refId"],
        "getTransactionDetailsRequest" => {
            &["merchantAuthentication", "clientId", "refId", "transId"]
        }
        "getUnsettledTransactionListRequest" => &[
            "merchantAuthentication",
            "clientId",
            "refId",
            "status",
            "sorting",
            "paging",
        ],
        "merchantAuthentication" => &["name", "transactionKey"],
        "transactionRequest" => &[
            "transactionType",
            "amount",
            "currencyCode",
            "payment",
            "profile",
            "solution",
            "callId",
            "terminalNumber",
            "authCode",
            "refTransId",
            "splitTenderId",
            "order",
            "lineItems",
            "tax",
            "duty",
            "shipping",
            "taxExempt",
            "poNumber",
            "customer",
            "billTo",
            "shipTo",
            "customerIP",
            "cardholderAuthentication",
            "retail",
            "employeeId",
            "transactionSettings",
            "userFields",
            "surcharge",
            "merchantDescriptor",
            "subMerchant",
            "tip",
            "processingOptions",
            "subsequentAuthInformation",
            "otherTax",
            "shipFrom",
            "authorizationIndicatorType",
        ],
        "payment" => &[
            "creditCard",
            "bankAccount",
            "trackData",
            "encryptedTrackData",
            "payPal",
            "opaqueData",
            "emv",
            "dataSource",
        ],
        "creditCard" => &[
            "cardNumber",
            "expirationDate",
            "cardCode",
            "isPaymentToken",
            "cryptogram",
            "tokenRequestorName",
            "tokenRequestorId",
            "tokenRequestorEci",
        ],
        "profile" => &[
            "createProfile",
            "customerProfileId",
            "paymentProfile",
            "shippingProfileId",
        ],
        "paymentProfile" => &["paymentProfileId", "cardCode"],
        "order" => &["invoiceNumber", "description"],
        "customer" => &["type", "id", "email"],
        "billTo" => &[
            "firstName",
            "lastName",
            "company",
            "address",
            "city",
            "state",
            "zip",
            "country",
            "phoneNumber",
            "faxNumber",
        ],
        "processingOptions" => &[
            "isFirstRecurringPayment",
            "isFirstSubsequentAuth",
            "isSubsequentAuth",
            "isStoredCredentials",
        ],
        "subsequentAuthInformation" => &["originalNetworkTransId", "originalAuthAmount", "reason"],
        "sorting" => &["orderBy", "orderDescending"],
        "paging" => &["limit", "offset"],
        _ => return None,
    })
}

/// The first schema breach in `node` (named `name`), as the gateway's E00003 text words it.
pub fn breach(name: &str, node: &Node) -> Option<String> {
    let Node::Object(entries) = node else {
        return None;
    };
    if let Some(order) = sequence(name) {
        let mut last = None;
        for (key, _) in entries {
            match order.iter().position(|k| k == key) {
                None => {
                    return Some(format!(
                        "The element '{name}' has invalid child element '{key}'."
                    ));
                }
                Some(i) if last.is_some_and(|l| i <= l) => {
                    return Some(format!(
                        "The element '{name}' has invalid child element '{key}' (out of schema order)."
                    ));
                }
                Some(i) => last = Some(i),
            }
        }
    }
    entries.iter().find_map(|(k, v)| breach(k, v))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(text: &str) -> Node {
        serde_json::from_str(text).expect("JSON")
    }

    #[test]
    fn keys_out_of_schema_order_or_unknown_are_breaches() {
        let good = node(
            r#"{"merchantAuthentication":{"name":"a","transactionKey":"b"},"refId":"1","transactionRequest":{"transactionType":"authCaptureTransaction","amount":"1.00"}}"#,
        );
        assert_eq!(breach("createTransactionRequest", &good), None);
        let swapped = node(
            r#"{"merchantAuthentication":{"name":"a","transactionKey":"b"},"transactionRequest":{"amount":"1.00","transactionType":"authCaptureTransaction"}}"#,
        );
        assert!(
            breach("createTransactionRequest", &swapped)
                .is_some_and(|b| b.contains("transactionType"))
        );
        let unknown =
            node(r#"{"merchantAuthentication":{"name":"a","transactionKey":"b","password":"c"}}"#);
        assert!(
            breach("createTransactionRequest", &unknown).is_some_and(|b| b.contains("password"))
        );
    }
}
