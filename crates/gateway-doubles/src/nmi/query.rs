//! The Query API: the book's transactions as NMI's `<nm_response>` XML, filtered by
//! `order_id`, `transaction_id` and the `start_date` / `end_date` window (`YYYYMMDDhhmmss`,
//! UTC; every action of the double is dated [`ACTION_DATE`]).

use super::*;

/// The date of every action the double records.
const ACTION_DATE: &str = "20261130120000";

fn is_query_date(v: &str) -> bool {
    v.len() == 14 && v.bytes().all(|b| b.is_ascii_digit())
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub(super) async fn query(State((control, nmi)): St, headers: HeaderMap, body: String) -> Response {
    let f = form(&control, &headers, &body);
    check_known(&control, &f, &[QUERY], "query");
    let xml = |body: String| ([("content-type", "text/xml; charset=UTF-8")], body).into_response();
    if get(&f, "security_key") != SECURITY_KEY {
        control.violation("nmi query: missing or wrong security_key");
        return xml("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<nm_response>\n\t<error_response>Invalid Security Key REFID:3161856100</error_response>\n</nm_response>\n".into());
    }
    let (order, txid) = (get(&f, "order_id"), get(&f, "transaction_id"));
    let (start, end) = (get(&f, "start_date"), get(&f, "end_date"));
    for (name, v) in [("start_date", start), ("end_date", end)] {
        if !v.is_empty() && !is_query_date(v) {
            control.violation(format!("nmi query: {name} {v:?} is not YYYYMMDDhhmmss"));
            return xml(format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<nm_response>\n\t<error_response>Invalid {name} REFID:3161856101</error_response>\n</nm_response>\n"
            ));
        }
    }
    let in_window =
        (start.is_empty() || ACTION_DATE >= start) && (end.is_empty() || ACTION_DATE <= end);
    let b = nmi.book();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<nm_response>\n");
    for t in
        b.txns.iter().filter(|_| in_window).filter(|t| {
            (order.is_empty() || t.order_id == order) && (txid.is_empty() || t.id == txid)
        })
    {
        out.push_str("\t<transaction>\n");
        let mut field =
            |k: &str, v: &str| out.push_str(&format!("\t\t<{k}>{}</{k}>\n", xml_escape(v)));
        field("transaction_id", &t.id);
        field("partial_payment_id", "");
        field("platform_id", "");
        field("transaction_type", "cc");
        field("condition", t.condition);
        field("order_id", &t.order_id);
        field("authorization_code", &t.authcode);
        field("cc_number", "4xxxxxxxxxxx1111");
        field("avs_response", &t.avs);
        field("csc_response", &t.cvv);
        field("currency", &t.currency);
        field(
            "original_transaction_id",
            t.original.as_deref().unwrap_or(""),
        );
        for a in &t.actions {
            out.push_str("\t\t<action>\n");
            let mut af =
                |k: &str, v: &str| out.push_str(&format!("\t\t\t<{k}>{}</{k}>\n", xml_escape(v)));
            af("amount", &a.amount);
            af("action_type", a.kind);
            af("date", ACTION_DATE);
            af("success", if a.success { "1" } else { "0" });
            af("source", "api");
            af("response_text", &a.text);
            af("batch_id", "0");
            af("response_code", &a.code);
            out.push_str("\t\t</action>\n");
        }
        out.push_str("\t</transaction>\n");
    }
    out.push_str("</nm_response>\n");
    xml(out)
}
