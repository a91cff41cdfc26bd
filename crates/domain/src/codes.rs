//! FlexPay response codes. The table is the seed's, so a code and its wire `message` can never
//! drift apart; the class comes from the code's range (docs/flexpay.md §7).

use crate::codes_table::CODES;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResponseCode(pub u32);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeClass {
    Approved,
    Soft,
    Hard,
    Risk,
    Validation,
}

/// `transactionStatus` on the wire: 1 approved, 2 declined, 3 error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxnStatus {
    Approved = 1,
    Declined = 2,
    Error = 3,
}

impl TxnStatus {
    pub fn from_i64(v: i64) -> Self {
        match v {
            1 => Self::Approved,
            2 => Self::Declined,
            _ => Self::Error,
        }
    }
}

impl ResponseCode {
    pub const APPROVED: Self = Self(10000);
    pub const VALIDATION_ERROR: Self = Self(50000);
    pub const PARSE_ERROR: Self = Self(50002);
    pub const NO_PARAMETERS: Self = Self(50003);
    /// The merchantTransactionId was already used: the answer to a second attempt with it.
    pub const MTID_TAKEN: Self = Self(50129);

    pub fn known(code: u32) -> Option<Self> {
        CODES
            .binary_search_by_key(&code, |(c, _)| *c)
            .ok()
            .map(|_| Self(code))
    }

    pub fn message(self) -> &'static str {
        CODES
            .binary_search_by_key(&self.0, |(c, _)| *c)
            .map(|i| CODES[i].1)
            .unwrap_or("Validation error.")
    }

    pub fn class(self) -> CodeClass {
        match self.0 {
            10000..=19999 => CodeClass::Approved,
            20000..=29999 => CodeClass::Soft,
            30000..=39999 => CodeClass::Hard,
            40000..=49999 => CodeClass::Risk,
            _ => CodeClass::Validation,
        }
    }

    pub fn status(self) -> TxnStatus {
        match self.class() {
            CodeClass::Approved => TxnStatus::Approved,
            CodeClass::Validation => TxnStatus::Error,
            _ => TxnStatus::Declined,
        }
    }

    pub fn is_approved(self) -> bool {
        self.class() == CodeClass::Approved
    }

    pub fn as_string(self) -> String {
        self.0.to_string()
    }

    pub fn all() -> impl Iterator<Item = Self> {
        CODES.iter().map(|(c, _)| Self(*c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_follow_the_contract_examples() {
        assert_eq!(ResponseCode(10000).message(), "Approved.");
        assert_eq!(ResponseCode(20003).message(), "Declined - do not honor.");
        assert_eq!(
            ResponseCode(30016).message(),
            "Error / Invalid parameters in the request."
        );
        assert_eq!(
            ResponseCode(50131).message(),
            "Original transaction not found using the field TransactionReferenceId."
        );
        assert_eq!(
            ResponseCode(50129).message(),
            "Field MerchantTransactionReferenceId must be unique."
        );
        assert_eq!(
            ResponseCode(40006).message(),
            "Declined \u{2013} AVS (Address) not matched the transaction payment method."
        );
    }

    #[test]
    fn table_is_sorted_and_every_message_ends_with_a_period() {
        assert!(CODES.windows(2).all(|w| w[0].0 < w[1].0));
        for (code, msg) in CODES {
            assert!(msg.ends_with('.'), "{code}");
            assert!(!msg.contains('\''), "{code}");
        }
    }

    #[test]
    fn classes_come_from_ranges() {
        assert_eq!(ResponseCode(20023).class(), CodeClass::Soft);
        assert_eq!(ResponseCode(30011).class(), CodeClass::Hard);
        assert_eq!(ResponseCode(40000).class(), CodeClass::Risk);
        assert_eq!(ResponseCode(50000).status(), TxnStatus::Error);
        assert_eq!(ResponseCode(30011).status(), TxnStatus::Declined);
        assert_eq!(ResponseCode(10000).status(), TxnStatus::Approved);
    }
}
