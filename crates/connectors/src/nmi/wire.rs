//! NMI's two wire formats: the Payment API (`transact.php`) takes and answers
//! `application/x-www-form-urlencoded` name/value pairs, and the Query API (`query.php`) takes
//! the same kind of form and answers XML. Both shapes are kept here, away from the decisions, so
//! the field names can be read side by side with NMI's variable lists.
//!
//! The form holds the PAN, CVV and security key in clear for the length of one call; [`Form`]
//! zeroizes every value when it is dropped and only ever logs through `masked_form`.

use quick_xml::events::Event;
use std::collections::HashMap;
use zeroize::Zeroize;

/// Request variables whose values never reach a log line.
pub const SENSITIVE: &[&str] = &["security_key", "ccnumber", "cvv", "ccexp", "password"];

/// A request body being built; values are wiped on drop.
#[derive(Default)]
pub struct Form(Vec<(String, String)>);

impl Form {
    pub fn push(&mut self, name: &str, value: impl Into<String>) {
        self.0.push((name.to_string(), value.into()));
    }

    /// Adds `name` only when a non-empty value is known.
    pub fn push_opt(&mut self, name: &str, value: Option<&str>) {
        if let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) {
            self.push(name, v);
        }
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// The body for the debug log, with card data and the key masked.
    pub fn logged(&self) -> String {
        crate::wire::masked_form(&self.0, SENSITIVE)
    }
}

impl Drop for Form {
    fn drop(&mut self) {
        for (_, v) in &mut self.0 {
            v.zeroize();
        }
    }
}

/// A `transact.php` answer: `response=1&responsetext=SUCCESS&authcode=…&transactionid=…`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answer {
    /// `1` approved, `2` declined, `3` error.
    pub response: String,
    pub responsetext: String,
    pub authcode: String,
    pub transactionid: String,
    pub avsresponse: String,
    pub cvvresponse: String,
    pub orderid: String,
    pub response_code: String,
    pub customer_vault_id: String,
}

impl Answer {
    /// Reads a form-encoded answer; `None` when it is not one (no `response` variable), which
    /// after a sent request is an unknown outcome, not a decline.
    pub fn parse(body: &str) -> Option<Self> {
        let mut a = Answer::default();
        let mut seen_response = false;
        for (k, v) in form_urlencoded::parse(body.trim().as_bytes()) {
            let v = v.trim().to_string();
            match k.as_ref() {
                "response" => {
                    seen_response = true;
                    a.response = v;
                }
                "responsetext" => a.responsetext = v,
                "authcode" => a.authcode = v,
                "transactionid" => a.transactionid = v,
                "avsresponse" => a.avsresponse = v,
                "cvvresponse" => a.cvvresponse = v,
                "orderid" => a.orderid = v,
                "response_code" => a.response_code = v,
                "customer_vault_id" => a.customer_vault_id = v,
                _ => {}
            }
        }
        (seen_response && !a.response.is_empty()).then_some(a)
    }
}

/// One `<transaction>` of a Query API answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueriedTxn {
    /// Its simple child elements (`transaction_id`, `order_id`, `condition`, `avs_response`, …).
    pub fields: HashMap<String, String>,
    /// Its `<action>` elements in document order (the first is the sale or auth).
    pub actions: Vec<HashMap<String, String>>,
}

impl QueriedTxn {
    pub fn get(&self, name: &str) -> &str {
        self.fields.get(name).map(String::as_str).unwrap_or("")
    }
}

/// A Query API answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryAnswer {
    Transactions(Vec<QueriedTxn>),
    /// `<nm_response><error_response>…</error_response></nm_response>`.
    Error(String),
}

/// Reads the Query API's XML; `None` when it is not an `<nm_response>` document.
pub fn parse_query(xml: &str) -> Option<QueryAnswer> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut path: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut txns: Vec<QueriedTxn> = Vec::new();
    let mut current: Option<QueriedTxn> = None;
    let mut action: Option<HashMap<String, String>> = None;
    let mut error: Option<String> = None;
    let mut root_seen = false;
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if path.is_empty() {
                    if name != "nm_response" {
                        return None;
                    }
                    root_seen = true;
                }
                match (path.len(), name.as_str()) {
                    (1, "transaction") => current = Some(QueriedTxn::default()),
                    (2, "action") if current.is_some() => action = Some(HashMap::new()),
                    _ => {}
                }
                path.push(name);
                text.clear();
            }
            Event::Empty(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if path.is_empty() {
                    return (name == "nm_response").then(|| QueryAnswer::Transactions(Vec::new()));
                }
                store(&path, &name, "", &mut current, &mut action, &mut error);
            }
            Event::Text(t) => text.push_str(&t.decode().ok()?),
            Event::CData(t) => text.push_str(&t.decode().ok()?),
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref().ok()? {
                    Some(c) => c,
                    None => match r.decode().ok()?.as_ref() {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        _ => return None,
                    },
                };
                text.push(resolved);
            }
            Event::End(_) => {
                let name = path.pop()?;
                match (path.len(), name.as_str()) {
                    (1, "transaction") => txns.push(current.take()?),
                    (2, "action") => {
                        let done = action.take()?;
                        current.as_mut()?.actions.push(done);
                    }
                    _ => store(&path, &name, &text, &mut current, &mut action, &mut error),
                }
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !root_seen || !path.is_empty() {
        return None;
    }
    Some(match error {
        Some(e) => QueryAnswer::Error(e),
        None => QueryAnswer::Transactions(txns),
    })
}

fn store(
    path: &[String],
    name: &str,
    text: &str,
    current: &mut Option<QueriedTxn>,
    action: &mut Option<HashMap<String, String>>,
    error: &mut Option<String>,
) {
    let value = text.trim().to_string();
    match path.len() {
        1 if name == "error_response" => *error = Some(value),
        2 => {
            if let Some(t) = current.as_mut() {
                t.fields.insert(name.to_string(), value);
            }
        }
        3 if path[2] == "action" => {
            if let Some(a) = action.as_mut() {
                a.insert(name.to_string(), value);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_parse_like_the_transcripts() {
        let a = Answer::parse("response=2&responsetext=DECLINE&authcode=&transactionid=2762766725&avsresponse=N&cvvresponse=N&orderid=f4bd&type=&response_code=200").unwrap();
        assert_eq!(a.response, "2");
        assert_eq!(a.response_code, "200");
        assert_eq!(a.transactionid, "2762766725");
        let e = Answer::parse("response=3&responsetext=Invalid Credit Card Number REFID:3162207528&authcode=&transactionid=&response_code=300").unwrap();
        assert_eq!(
            e.responsetext,
            "Invalid Credit Card Number REFID:3162207528"
        );
        assert!(Answer::parse("{\"unterminated").is_none());
        assert!(Answer::parse("").is_none());
    }

    #[test]
    fn query_xml_reads_transactions_actions_and_errors() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<nm_response>
  <transaction>
    <transaction_id>1177101697</transaction_id>
    <condition>pendingsettlement</condition>
    <order_id>A&amp;B</order_id>
    <avs_response>Y</avs_response>
    <product><sku>x</sku></product>
    <action>
      <amount>100.00</amount>
      <action_type>sale</action_type>
      <success>1</success>
      <response_text>SUCCESS</response_text>
      <response_code>100</response_code>
    </action>
  </transaction>
</nm_response>"#;
        let Some(QueryAnswer::Transactions(t)) = parse_query(xml) else {
            panic!("parsed")
        };
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].get("transaction_id"), "1177101697");
        assert_eq!(t[0].get("order_id"), "A&B");
        assert_eq!(t[0].actions.len(), 1);
        assert_eq!(t[0].actions[0]["action_type"], "sale");
        assert_eq!(
            parse_query("<nm_response>\n</nm_response>"),
            Some(QueryAnswer::Transactions(vec![]))
        );
        assert_eq!(
            parse_query(
                "<nm_response><error_response>Invalid Username/Password REFID:1</error_response></nm_response>"
            ),
            Some(QueryAnswer::Error(
                "Invalid Username/Password REFID:1".into()
            ))
        );
        assert!(parse_query("{\"unterminated").is_none());
        assert!(parse_query("<nm_response><transaction>").is_none());
        assert!(parse_query("<other/>").is_none());
    }
}
