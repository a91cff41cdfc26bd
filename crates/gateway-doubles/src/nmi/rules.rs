//! The double's deterministic rules: amounts, card checks and the outcome each amount gets.

pub(super) fn parse_amount(s: &str) -> Option<i64> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() || int.len() > 12 || frac.len() > 3 {
        return None;
    }
    if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut f = frac.to_string();
    while f.len() < 3 {
        f.push('0');
    }
    Some(int.parse::<i64>().ok()? * 1000 + f.parse::<i64>().ok()?)
}

pub(super) fn decimal(thousandths: i64) -> String {
    format!("{}.{:02}", thousandths / 1000, (thousandths % 1000) / 10)
}

pub(super) fn luhn(digits: &str) -> bool {
    let mut sum = 0;
    for (i, b) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(b - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum % 10 == 0
}

/// The outcome the double's conventions give an amount (see the module doc).
pub(super) fn outcome(amount: i64) -> (u8, &'static str, &'static str) {
    let cents = (amount % 1000) / 10;
    if amount < 1000 {
        let (code, text) = match cents {
            1 => ("201", "Do Not Honor"),
            2 => ("202", "Insufficient funds"),
            3 => ("203", "Over limit"),
            4 => ("204", "Transaction not allowed"),
            20 => ("220", "Incorrect payment information"),
            21 => ("221", "No such card issuer"),
            22 => ("222", "No card number on file with issuer"),
            23 => ("223", "Expired card"),
            24 => ("224", "Invalid expiration date"),
            25 => ("225", "Invalid card security code"),
            40 => ("240", "Call issuer for further information"),
            50 => ("250", "Pick up card"),
            51 => ("251", "Lost card"),
            52 => ("252", "Stolen card"),
            53 => ("253", "Fraudulent card"),
            60 => ("260", "Declined with further instructions available"),
            61 => ("261", "Declined-Stop all recurring payments"),
            62 => ("262", "Declined-Stop this recurring program"),
            63 => ("263", "Declined-Update cardholder data available"),
            64 => ("264", "Declined-Retry in a few days"),
            _ => ("200", "DECLINE"),
        };
        return (2, code, text);
    }
    if amount / 1000 == 4 {
        let hit = match cents {
            0 => Some(("400", "Transaction error returned by processor")),
            10 => Some(("410", "Invalid merchant configuration")),
            11 => Some(("411", "Merchant account is inactive")),
            20 => Some(("420", "Communication error")),
            21 => Some(("421", "Communication error with issuer")),
            30 => Some(("430", "Duplicate transaction at processor")),
            40 => Some(("440", "Processor format error")),
            41 => Some(("441", "Invalid transaction information")),
            60 => Some(("460", "Processor feature not available")),
            61 => Some(("461", "Unsupported card type")),
            _ => None,
        };
        if let Some((code, text)) = hit {
            return (3, code, text);
        }
    }
    (1, "100", "SUCCESS")
}

pub(super) fn card_ok(cc: &str, exp: &str) -> bool {
    let month = exp.get(..2).and_then(|m| m.parse::<u8>().ok());
    (13..=19).contains(&cc.len())
        && cc.bytes().all(|b| b.is_ascii_digit())
        && luhn(cc)
        && exp.len() == 4
        && exp.bytes().all(|b| b.is_ascii_digit())
        && month.is_some_and(|m| (1..=12).contains(&m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_and_outcomes() {
        assert_eq!(parse_amount("10.00"), Some(10_000));
        assert_eq!(parse_amount("0.5"), Some(500));
        assert_eq!(parse_amount("1000"), Some(1_000_000));
        assert_eq!(parse_amount("1,00"), None);
        assert_eq!(parse_amount(""), None);
        assert_eq!(decimal(6_000), "6.00");
        assert_eq!(outcome(10_000), (1, "100", "SUCCESS"));
        assert_eq!(outcome(20).1, "202");
        assert_eq!(outcome(990).1, "200");
        assert_eq!(outcome(4_210).1, "421");
        assert_eq!(outcome(4_990).0, 1);
        assert!(card_ok("4111111111111111", "1025"));
        assert!(!card_ok("4111111111111112", "1025"));
        assert!(!card_ok("4111111111111111", "1325"));
    }
}
