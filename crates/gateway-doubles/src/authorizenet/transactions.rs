//! `createTransactionRequest`: the payment calls and their sandbox outcomes (see the module
//! doc of the parent for the triggers).

use super::schema::Node;
use super::{App, Book, PROFILE, REASON_CARD, Txn, messages};
use serde_json::{Value, json};

/// The gateway's text and responseCode for the reason codes the double answers with.
fn reason(code: u16) -> Option<(&'static str, u8)> {
    Some(match code {
        1 => ("This transaction has been approved.", 1),
        2 | 3 | 4 | 44 | 45 | 65 => ("This transaction has been declined.", 2),
        5 => ("A valid amount is required.", 3),
        6 => ("The credit card number is invalid.", 3),
        7 => ("Credit card expiration date is invalid.", 3),
        8 => ("The credit card has expired.", 3),
        16 => ("The transaction cannot be found.", 3),
        19 | 57 => (
            "An error occurred during processing. Please try again in 5 minutes.",
            3,
        ),
        33 => ("A required field was left blank.", 3),
        39 => (
            "The supplied currency code is either invalid, not supported, not allowed for this merchant or doesn't have an exchange rate.",
            3,
        ),
        47 => (
            "The amount requested for settlement cannot be greater than the original amount authorized.",
            3,
        ),
        54 => (
            "The referenced transaction does not meet the criteria for issuing a credit.",
            3,
        ),
        55 => (
            "The sum of credits against the referenced transaction would exceed original debit amount.",
            3,
        ),
        295 => (
            "The amount of this request was only partially approved on the given prepaid card. An additional payment is required to fulfill the balance of this transaction.",
            2,
        ),
        310 => ("This transaction has already been voided.", 1),
        311 => ("This transaction has already been captured.", 1),
        _ => return None,
    })
}

/// What one `transactionResponse` says.
struct Reply<'a> {
    reason: u16,
    trans_id: &'a str,
    ref_trans_id: Option<&'a str>,
    auth_code: &'a str,
    avs: &'a str,
    cvv: &'a str,
    last4: &'a str,
    network_trans_id: Option<&'a str>,
}

fn reply(r: Reply<'_>) -> Value {
    let (text, response_code) = reason(r.reason).unwrap_or(("An error occurred.", 3));
    let mut tr = json!({
        "responseCode": response_code.to_string(),
        "authCode": r.auth_code,
        "avsResultCode": r.avs,
        "cvvResultCode": r.cvv,
        "cavvResultCode": "",
        "transId": r.trans_id,
        "refTransID": r.ref_trans_id.unwrap_or(""),
        "transHash": "",
        "testRequest": "0",
        "accountNumber": if r.last4.is_empty() { String::new() } else { format!("XXXX{}", r.last4) },
        "accountType": if r.last4.is_empty() { "" } else { "Visa" },
    });
    let ok = response_code == 1 || response_code == 4;
    if ok {
        tr["messages"] = json!([{"code": r.reason.to_string(), "description": text}]);
    } else {
        tr["errors"] = json!([{"errorCode": r.reason.to_string(), "errorText": text}]);
    }
    if let Some(id) = r.network_trans_id {
        tr["networkTransId"] = json!(id);
    }
    tr["transHashSha2"] = json!("");
    let messages = if ok {
        messages(true, "I00001", "Successful.")
    } else {
        messages(false, "E00027", "The transaction was unsuccessful.")
    };
    json!({"transactionResponse": tr, "messages": messages})
}

/// A reason with no transaction behind it (`transId` 0).
fn refused(reason: u16, ref_trans_id: Option<&str>) -> Value {
    reply(Reply {
        reason,
        trans_id: "0",
        ref_trans_id,
        auth_code: "",
        avs: "P",
        cvv: "",
        last4: "",
        network_trans_id: None,
    })
}

fn call_error(app: &App, code: &str, text: &str) -> Value {
    app.control.violation(format!("{code}: {text}"));
    json!({"messages": messages(false, code, text)})
}

/// `"12.50"` → 1250; at most two decimals, positive.
pub(super) fn minor(text: &str) -> Option<i64> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty()
        || frac.len() > 2
        || !whole
            .bytes()
            .chain(frac.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let cents = format!("{frac:0<2}").parse::<i64>().ok()?;
    let v = whole
        .parse::<i64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(cents)?;
    (v > 0).then_some(v)
}

pub(super) fn decimal(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let d2 = d * 2;
                if d2 > 9 { d2 - 9 } else { d2 }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Today's (year, month) in UTC, from the days since the Unix epoch (Howard Hinnant's
/// civil-from-days).
fn this_month() -> (u16, u8) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year as u16, month as u8)
}

/// `YYYY-MM` or `MMYY` as (year, month).
fn expiry(text: &str) -> Option<(u16, u8)> {
    let (y, m) = match text.len() {
        7 if text.as_bytes()[4] == b'-' => (text[..4].parse().ok()?, text[5..].parse().ok()?),
        4 => (
            2000 + text[2..].parse::<u16>().ok()?,
            text[..2].parse().ok()?,
        ),
        _ => return None,
    };
    (1..=12).contains(&m).then_some((y, m))
}

pub(super) fn create(app: &App, tr: &Node) -> Value {
    let kind = tr.text_at("transactionType").unwrap_or_default();
    if let Some(inv) = tr.text_at("order/invoiceNumber")
        && inv.chars().count() > 20
    {
        return call_error(app, "E00003", "invoiceNumber is longer than 20 characters.");
    }
    match kind.as_str() {
        "authCaptureTransaction" | "authOnlyTransaction" => payment(app, tr, &kind),
        "priorAuthCaptureTransaction" => capture(app, tr),
        "voidTransaction" => void(app, tr),
        "refundTransaction" => refund(app, tr),
        _ => call_error(app, "E00003", "transactionType is not a valid value."),
    }
}

fn payment(app: &App, tr: &Node, kind: &str) -> Value {
    let Some(amount) = tr.text_at("amount").as_deref().and_then(minor) else {
        app.control.violation("amount missing or not a decimal");
        return refused(5, None);
    };
    if tr.text_at("currencyCode").is_some_and(|c| c != "USD") {
        return refused(39, None);
    }
    let (card, cvv_sent) = match (tr.at("payment/creditCard"), tr.get("profile")) {
        (Some(card), None) => {
            let number = card.text_at("cardNumber").unwrap_or_default();
            let Some(exp) = card.text_at("expirationDate").as_deref().and_then(expiry) else {
                app.control
                    .violation("expirationDate is not YYYY-MM or MMYY");
                return refused(7, None);
            };
            if number.len() < 13
                || number.len() > 16
                || !number.bytes().all(|b| b.is_ascii_digit())
                || !luhn(&number)
            {
                return refused(6, None);
            }
            if exp < this_month() {
                return refused(8, None);
            }
            (number, card.text_at("cardCode"))
        }
        (None, Some(p)) => {
            let ids = (
                p.text_at("customerProfileId"),
                p.text_at("paymentProfile/paymentProfileId"),
            );
            if ids != (Some(PROFILE.0.into()), Some(PROFILE.1.into())) {
                return json!({"messages": messages(false, "E00040", "The record cannot be found.")});
            }
            (
                "4111111111111111".to_string(),
                p.text_at("paymentProfile/cardCode"),
            )
        }
        _ => {
            return call_error(
                app,
                "E00003",
                "exactly one of payment and profile is required",
            );
        }
    };
    let mut book = app.ledger.lock();
    if let Some(why) = stored_credential_breach(tr, &book) {
        app.control.violation(why);
    }
    let zip = tr.text_at("billTo/zip");
    let decided = if card == REASON_CARD && amount % 100 == 0 {
        u16::try_from(amount / 100)
            .ok()
            .filter(|r| *r != 1 && reason(*r).is_some())
    } else {
        None
    };
    let code = decided.unwrap_or(if zip.as_deref() == Some("46282") {
        2
    } else {
        1
    });
    let avs = match zip.as_deref() {
        None => "B",
        Some("46201") => "A",
        Some("46203") => "E",
        Some("46204") => "G",
        Some("46205") => "N",
        Some("46206") => "P",
        Some("46207") => "R",
        Some("46208") => "S",
        Some("46209") => "U",
        Some("46211") => "W",
        Some("46214") => "X",
        Some("46217") => "Z",
        Some(_) => "Y",
    };
    let cvv = match cvv_sent.as_deref() {
        None => "P",
        Some("901") => "N",
        Some("902") => "S",
        Some("903") => "U",
        Some("904") => "P",
        Some(_) => "M",
    };
    book.next += 1;
    let seq = book.next;
    let id = (60_000_000_000 + seq).to_string();
    let approved = code == 1;
    let ntid = approved.then(|| format!("{:015}", 400_000_000_000_000 + seq * 7));
    let auth_code = if approved {
        format!("A{:05}", seq % 100_000)
    } else {
        String::new()
    };
    let status = match (approved, kind) {
        (false, _) => "declined",
        (true, "authOnlyTransaction") => "authorizedPendingCapture",
        (true, _) => "capturedPendingSettlement",
    };
    let last4 = card[card.len() - 4..].to_string();
    book.txns.push(Txn {
        id: id.clone(),
        kind: kind.into(),
        status: status.into(),
        response_code: reason(code).map_or(3, |r| r.1),
        reason: code,
        auth_code: auth_code.clone(),
        avs: avs.into(),
        cvv: cvv.into(),
        auth_amount: amount,
        settle_amount: if status == "capturedPendingSettlement" {
            amount
        } else {
            0
        },
        refunded: 0,
        invoice: tr.text_at("order/invoiceNumber"),
        last4: last4.clone(),
        ref_trans_id: None,
        network_trans_id: ntid.clone(),
        first_name: tr.text_at("billTo/firstName"),
        last_name: tr.text_at("billTo/lastName"),
        seq,
    });
    reply(Reply {
        reason: code,
        trans_id: &id,
        ref_trans_id: None,
        auth_code: &auth_code,
        avs,
        cvv,
        last4: &last4,
        network_trans_id: ntid.as_deref(),
    })
}

/// Card-network stored-credential rules as the gateway would see them.
fn stored_credential_breach(tr: &Node, book: &Book) -> Option<String> {
    let flag = |k: &str| tr.text_at(&format!("processingOptions/{k}")).as_deref() == Some("true");
    let flags = [
        "isFirstRecurringPayment",
        "isFirstSubsequentAuth",
        "isSubsequentAuth",
        "isStoredCredentials",
    ];
    if flags.iter().filter(|k| flag(k)).count() > 1 {
        return Some("more than one processingOptions flag".into());
    }
    let ntid = tr.text_at("subsequentAuthInformation/originalNetworkTransId");
    match (flag("isSubsequentAuth"), ntid) {
        (false, Some(_)) => Some("subsequentAuthInformation without isSubsequentAuth".into()),
        (true, None) => Some("merchant-initiated payment without originalNetworkTransId".into()),
        (true, Some(id))
            if !book
                .txns
                .iter()
                .any(|t| t.network_trans_id.as_deref() == Some(&id)) =>
        {
            Some("originalNetworkTransId was not issued by this gateway".into())
        }
        _ => None,
    }
}

fn prior<'a>(app: &App, tr: &Node, book: &'a mut Book) -> Result<&'a mut Txn, Value> {
    let Some(id) = tr.text_at("refTransId") else {
        app.control.violation("refTransId is required");
        return Err(refused(33, None));
    };
    book.txns
        .iter_mut()
        .find(|t| t.id == id && t.kind != "refundTransaction")
        .ok_or_else(|| refused(16, Some(&id)))
}

fn done(t: &Txn, reason: u16, trans_id: &str) -> Value {
    reply(Reply {
        reason,
        trans_id,
        ref_trans_id: Some(&t.id),
        auth_code: &t.auth_code,
        avs: "P",
        cvv: "",
        last4: &t.last4,
        network_trans_id: None,
    })
}

fn capture(app: &App, tr: &Node) -> Value {
    let amount = tr.text_at("amount");
    let amount = match amount.as_deref().map(minor) {
        Some(None) => {
            app.control.violation("amount is not a decimal");
            return refused(5, None);
        }
        Some(Some(a)) => Some(a),
        None => None,
    };
    let mut book = app.ledger.lock();
    let t = match prior(app, tr, &mut book) {
        Ok(t) => t,
        Err(v) => return v,
    };
    match t.status.as_str() {
        "authorizedPendingCapture" => {
            let amount = amount.unwrap_or(t.auth_amount);
            if amount > t.auth_amount {
                return refused(47, Some(&t.id));
            }
            t.status = "capturedPendingSettlement".into();
            t.settle_amount = amount;
            done(t, 1, &t.id.clone())
        }
        "capturedPendingSettlement" | "settledSuccessfully" => done(t, 311, &t.id.clone()),
        _ => refused(16, Some(&t.id)),
    }
}

fn void(app: &App, tr: &Node) -> Value {
    let mut book = app.ledger.lock();
    let t = match prior(app, tr, &mut book) {
        Ok(t) => t,
        Err(v) => return v,
    };
    match t.status.as_str() {
        "authorizedPendingCapture" | "capturedPendingSettlement" => {
            t.status = "voided".into();
            done(t, 1, &t.id.clone())
        }
        "voided" => done(t, 310, &t.id.clone()),
        _ => refused(16, Some(&t.id)),
    }
}

fn refund(app: &App, tr: &Node) -> Value {
    let Some(amount) = tr.text_at("amount").as_deref().and_then(minor) else {
        app.control.violation("amount missing or not a decimal");
        return refused(5, None);
    };
    let card = tr.text_at("payment/creditCard/cardNumber");
    let exp = tr.text_at("payment/creditCard/expirationDate");
    if card.is_none()
        || !(exp.as_deref() == Some("XXXX") || exp.as_deref().and_then(expiry).is_some())
    {
        app.control
            .violation("a refund needs payment.creditCard cardNumber and expirationDate");
        return refused(33, None);
    }
    let invoice = tr.text_at("order/invoiceNumber");
    let mut book = app.ledger.lock();
    book.next += 1;
    let seq = book.next;
    let t = match prior(app, tr, &mut book) {
        Ok(t) => t,
        Err(v) => return v,
    };
    if card.as_deref() != Some(t.last4.as_str())
        && card.as_deref() != Some(&format!("XXXX{}", t.last4))
    {
        return refused(54, Some(&t.id));
    }
    if t.status != "settledSuccessfully" {
        return refused(54, Some(&t.id));
    }
    if t.refunded + amount > t.settle_amount {
        return refused(55, Some(&t.id));
    }
    t.refunded += amount;
    let refund = Txn {
        id: (60_000_000_000 + seq).to_string(),
        kind: "refundTransaction".into(),
        status: "refundPendingSettlement".into(),
        response_code: 1,
        reason: 1,
        auth_code: String::new(),
        avs: "P".into(),
        cvv: String::new(),
        auth_amount: amount,
        settle_amount: amount,
        refunded: 0,
        invoice,
        last4: t.last4.clone(),
        ref_trans_id: Some(t.id.clone()),
        network_trans_id: None,
        first_name: t.first_name.clone(),
        last_name: t.last_name.clone(),
        seq,
    };
    let answer = done(t, 1, &refund.id);
    book.txns.push(refund);
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_amounts_and_card_numbers_read_as_the_gateway_does() {
        let (y, m) = this_month();
        assert!(y >= 2025 && (1..=12).contains(&m));
        assert_eq!(expiry("2030-12"), Some((2030, 12)));
        assert_eq!(expiry("1230"), Some((2030, 12)));
        assert_eq!(expiry("2030-13"), None);
        assert_eq!(minor("12.5"), Some(1250));
        assert_eq!(minor("0.00"), None);
        assert_eq!(minor("1.005"), None);
        assert!(luhn("4111111111111111") && !luhn("4111111111111112"));
    }
}
