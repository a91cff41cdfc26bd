//! Generated from seed 003 (FlexPay v1 "Transaction Response" tables) by a one-off script and
//! kept in the repository so it stands alone. Each description becomes the wire `message` with
//! three changes only (docs/flexpay.md §3): the quote marks around field names removed, white
//! space folded, a final period added. Every other character is the seed's — its en dash in
//! 40006, its apostrophes — and `seed_diff` below checks all of them against the seed.

pub(crate) const CODES: &[(u32, &str)] = &[
    (10000, "Approved."),
    (10001, "The reversal was processed successfully."),
    (20000, "You need to refer to the Card Issuer."),
    (20002, "Invalid or inactive merchant."),
    (20003, "Declined - do not honor."),
    (
        20012,
        "Re-enter transaction or transaction has been expired.",
    ),
    (20013, "Invalid response."),
    (20018, "Completed Partially."),
    (20022, "Bank decline."),
    (
        20023,
        "The card has been declined due to insufficient funds.",
    ),
    (20039, "Response timeout."),
    (20043, "Transaction cannot be completed."),
    (20046, "System error."),
    (20047, "Other / Unidentified responses."),
    (20048, "Unable to authorize."),
    (20050, "Over daily limit."),
    (20056, "Customer token/Id is incorrect or invalid."),
    (20057, "Your merchant account authentication failed."),
    (20068, "Invalid API access token."),
    (20073, "Batch data is missing or Invalid."),
    (20075, "Transaction limit for merchant exceeded."),
    (20076, "Transaction required data are missing or invalid."),
    (20077, "RETRY - Not a credit account."),
    (20078, "RETRY - Not a cheque account."),
    (20079, "RETRY - Not a savings account."),
    (20080, "RETRY - Expired card."),
    (20081, "RETRY - Limit exceeded. Enter a lesser value."),
    (20082, "RETRY - Invalid transaction date."),
    (20083, "RETRY - Invalid expiry date format."),
    (
        20084,
        "RETRY - You submitted an unsupported card type with your request.",
    ),
    (20085, "RETRY - Gateway declined - Invalid transaction."),
    (20086, "RETRY - Billing address is missing."),
    (
        20087,
        "RETRY - Gateway declined - Blacklist transaction cannot be processed.",
    ),
    (
        20088,
        "RETRY - Gateway declined - Postal code failed The card’s postal code failed validation.",
    ),
    (
        20089,
        "RETRY - Gateway declined - Missing required data. Please make sure all required data is sent, such as: CVV, Expiry date, Cardholder name, Billing address, Postalcode etc.",
    ),
    (
        20090,
        "RETRY - Declined - AVS(Address) not matched the transaction payment method.",
    ),
    (
        20091,
        "RETRY - Mismatch - Shipping to billing shipping country does not match billing country.",
    ),
    (
        20092,
        "RETRY - Mismatch - Shipping to BIN shipping country does not match bin country.",
    ),
    (
        20093,
        "RETRY - Mismatch - Shipping to IP shipping country does not match IP country.",
    ),
    (
        20094,
        "RETRY - Mismatch - Billing to BIN billing country does not match bin country.",
    ),
    (
        20095,
        "RETRY - Mismatch - Billing to IP billing country does not match IP country.",
    ),
    (
        20096,
        "RETRY - Mismatch - BIN to IP BIN country does not match IP country.",
    ),
    (
        20097,
        "RETRY - Gateway declined - Card number is blacklisted.",
    ),
    (
        20098,
        "RETRY - Gateway declined - IP address is blacklisted.",
    ),
    (20099, "RETRY - Gateway declined - Email is blacklisted."),
    (
        20100,
        "RETRY - Gateway declined - Phone number is Blacklisted.",
    ),
    (
        20101,
        "RETRY - The bank has requested that you retrieve the card from the cardholder - validate with the bank.",
    ),
    (20102, "RETRY - Expired Card - Pick Up."),
    (20103, "RETRY - Invalid card number."),
    (
        20104,
        "RETRY - No gateways are configured to process the submitted card type.",
    ),
    (
        30000,
        "The bank has requested that you retrieve the card from the cardholder - validate with the bank.",
    ),
    (
        30001,
        "The bank has requested that you retrieve the card from the cardholder - it may be a lost or stolen card.",
    ),
    (30002, "Invalid card: Luhn algorithm failed (MOD - 10)."),
    (30003, "Expired Card - Pick Up."),
    (30004, "Suspected Fraud - Pick Up."),
    (30006, "Restricted Card - Pick Up."),
    (
        30008,
        "The bank has requested that you retrieve the card from the cardholder - it may be a lost card.",
    ),
    (
        30009,
        "The bank has requested that you retrieve the card from the cardholder - it may be a stolen card.",
    ),
    (30010, "The void request failed."),
    (30011, "Invalid transaction."),
    (30012, "Invalid card number."),
    (30013, "The reversal request failed."),
    (
        30015,
        "The external gateway has reported that you have submitted an invalid amount with your request.",
    ),
    (30016, "Error / Invalid parameters in the request."),
    (30017, "Format Error."),
    (30019, "Not a credit account."),
    (30024, "Not a cheque account."),
    (30025, "Not a savings account."),
    (30026, "Expired card."),
    (30029, "Transaction not permitted to that cardholder."),
    (30031, "Suspected fraud."),
    (30034, "Restricted card."),
    (30044, "Duplicate transaction."),
    (30049, "Decline for CVV2 failure."),
    (30051, "Limit exceeded. Enter a lesser value."),
    (30052, "Invalid transaction date."),
    (30053, "Card not supported."),
    (30055, "Invalid expiry date format."),
    (
        30058,
        "You submitted an unsupported card type with your request.",
    ),
    (30059, "Gateway declined - Invalid transaction."),
    (
        30061,
        "The external gateway has reported that you have submitted an invalid currency with your request.",
    ),
    (30062, "Billing address is missing."),
    (
        30064,
        "Authorisation already reversed (voided) or capture is larger than initial authorised value.",
    ),
    (30065, "Authorization is completed."),
    (30066, "Transaction already reversed."),
    (30071, "Invalid API version."),
    (30074, "Invalid customer/user."),
    (30077, "This processor does not accept partial reversals."),
    (30078, "Original transaction for reversal not found."),
    (30079, "This transaction has already been captured."),
    (
        30080,
        "DO NOT RETRY - You need to refer to the Card Issuer.",
    ),
    (30081, "DO NOT RETRY - Invalid or inactive merchant."),
    (30082, "DO NOT RETRY - Do not honor."),
    (
        30083,
        "DO NOT RETRY - Re-enter transaction or transaction has been expired.",
    ),
    (30084, "DO NOT RETRY - Invalid response."),
    (30085, "DO NOT RETRY - Completed partially."),
    (30086, "DO NOT RETRY - Bank decline."),
    (
        30087,
        "DO NOT RETRY - The card has been declined due to insufficient funds.",
    ),
    (30088, "DO NOT RETRY - Response timeout."),
    (30089, "DO NOT RETRY - Transaction cannot be completed."),
    (30090, "DO NOT RETRY - System error."),
    (30091, "DO NOT RETRY - Other / Unidentified responses."),
    (30092, "DO NOT RETRY - Over daily limit."),
    (
        30093,
        "DO NOT RETRY - Customer token/Id is incorrect or invalid.",
    ),
    (
        30094,
        "DO NOT RETRY - Customer token/Id is incorrect or invalid.",
    ),
    (
        30095,
        "DO NOT RETRY - Your merchant account authentication failed.",
    ),
    (30096, "DO NOT RETRY - Invalid API access token."),
    (30097, "DO NOT RETRY - Batch data is missing or Invalid."),
    (
        30098,
        "DO NOT RETRY - Transaction limit for merchant exceeded.",
    ),
    (
        30099,
        "DO NOT RETRY - Transaction required data are missing or invalid.",
    ),
    (30100, "DO NOT RETRY - Retry limit reached."),
    (40000, "Risk Blocked Transaction refused due to risk model."),
    (
        40002,
        "Gateway declined - Blacklist transaction cannot be processed.",
    ),
    (
        40003,
        "Gateway declined - CVV is missing or incorrect. The merchant’s configuration requires a CVV to be entered, but no CVV was provided with this transaction or CVV is incorrect.",
    ),
    (
        40004,
        "Gateway declined - Postal code failed The card’s postal code failed validation.",
    ),
    (
        40005,
        "Gateway declined - Missing required data. Please make sure all required data is sent, such as: CVV, Expiry date, Cardholder name, Billing address, Postalcode etc.",
    ),
    (
        40006,
        "Declined – AVS (Address) not matched the transaction payment method.",
    ),
    (
        40007,
        "Mismatch - Shipping to billing shipping country does not match billing country.",
    ),
    (
        40008,
        "Mismatch - Shipping to BIN shipping country does not match bin country.",
    ),
    (
        40009,
        "Mismatch - Shipping to IP shipping country does not match IP country.",
    ),
    (
        40010,
        "Mismatch - Billing to BIN billing country does not match bin country.",
    ),
    (
        40011,
        "Mismatch - Billing to IP billing country does not match IP country.",
    ),
    (
        40012,
        "Mismatch - BIN to IP BIN country does not match IP country.",
    ),
    (40030, "Gateway declined - Card number is blacklisted."),
    (40031, "Gateway declined - IP address is blacklisted."),
    (40032, "Gateway declined - Email is blacklisted."),
    (40033, "Gateway declined - Phone number is Blacklisted."),
    (50000, "Validation error."),
    (
        50002,
        "An error was experienced while parsing the payload. Please ensure that the structure is correct.",
    ),
    (50003, "No parameters were found."),
    (50005, "Authorization has been denied for this request."),
    (50014, "Invalid CustomerToken length."),
    (50015, "Invalid Email length."),
    (50020, "Invalid PhoneNumber length."),
    (50028, "Invalid FullName length."),
    (50029, "Invalid ProvinceStateCode length."),
    (50037, "Invalid CustomerIp length."),
    (50039, "Invalid value for CountryCode."),
    (50045, "Field CurrencyCode is required."),
    (50048, "Field CustomerToken or email are required."),
    (50055, "Field Month is required."),
    (50056, "Invalid value for Month."),
    (50057, "Field Year is required."),
    (50058, "Invalid value for Year."),
    (50059, "Field CreditCardNumber is required."),
    (50060, "Invalid CreditCardNumber Length."),
    (50068, "Invalid MerchantDescriptor length."),
    (50073, "Invalid CurrencyCode length."),
    (50088, "Field FirstName is required."),
    (50089, "Field LastName is required."),
    (
        50090,
        "Fields FullName or FirstName and LastName are required.",
    ),
    (50091, "Invalid FirstName length."),
    (50092, "Invalid LastName length."),
    (50093, "Field CountryCode is required."),
    (50094, "Field PostalCode is required."),
    (50095, "Invalid PostalCode length."),
    (50096, "Field ProvinceStateCode is required."),
    (50097, "Field City is required."),
    (50098, "Invalid City length."),
    (50099, "Field Address1 is required."),
    (50100, "Invalid Address1 length."),
    (50103, "Field MerchantTransactionReferenceId is required."),
    (50104, "Invalid MerchantTransactionReferenceId length."),
    (50105, "Invalid TransactionType."),
    (50106, "Invalid CustomField1 length."),
    (50107, "Invalid CustomField2 length."),
    (50108, "Invalid CustomField3 length."),
    (50109, "Invalid CustomField4 length."),
    (50110, "Invalid CustomField5 length."),
    (50111, "Invalid ReferenceData length."),
    (50112, "Invalid ShippingPhoneNumber length."),
    (50113, "Invalid ShippingCountryCode length."),
    (50114, "Invalid ShippingPostalCode length."),
    (50115, "Invalid ShippingProvinceStateCode length."),
    (50116, "Invalid ShippingCity length."),
    (50117, "Invalid ShippingAddress2 length."),
    (50118, "Invalid ShippingAddress1 length."),
    (50119, "Invalid Address2 length."),
    (50120, "Invalid BillingPlanCode length."),
    (50121, "Invalid ProductCategoryName length."),
    (50122, "Invalid ProductSku length."),
    (50123, "Invalid MerchantLocation length."),
    (50124, "Invalid Description length."),
    (50125, "invalid GatewayTransactionToken length."),
    (50126, "Field OrderId is required."),
    (50127, "Invalid OrderId length."),
    (50128, "Invalid GatewayToken length."),
    (
        50129,
        "Field MerchantTransactionReferenceId must be unique.",
    ),
    (
        50130,
        "No gateways are configured to process the submitted card type.",
    ),
    (
        50131,
        "Original transaction not found using the field TransactionReferenceId.",
    ),
    (50132, "Invalid value for ReferenceData."),
    (50133, "Field PaymentToken is required."),
    (50134, "Invalid value for PaymentToken."),
    (
        50135,
        "Fields PaymentToken or PaymentMethod values are required.",
    ),
    (50136, "Invalid PaymentMethod values."),
    (50138, "Missing value for gatewayPaymentMethodId."),
];

#[cfg(test)]
mod seed_diff {
    use super::CODES;
    use std::path::Path;

    /// The shared folder beside the repository; CI lays it there too, so its absence is a
    /// failure, not a reason to skip.
    const SEEDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/seeds");

    fn seed_003() -> String {
        let dir = Path::new(SEEDS);
        let entries = std::fs::read_dir(dir).unwrap_or_else(|e| {
            panic!(
                "seed 003 (003_*.txt) is needed to check the response-code messages; looked in {}: {e}",
                dir.display()
            )
        });
        let path = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("003_") && n.ends_with(".txt"))
            })
            .unwrap_or_else(|| panic!("no seed 003 (003_*.txt) in {}", dir.display()));
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading seed 003 at {}: {e}", path.display()))
    }

    /// The seed's code tables: after its "Transaction Response" heading, from the first `CODE`
    /// header on, each five-digit line is a code and the line after it its description. (The
    /// range table between the two names 10000…50000 as ranges, not as codes.)
    fn seed_codes(text: &str) -> Vec<(u32, String)> {
        let lines: Vec<&str> = text.lines().collect();
        let heading = lines
            .iter()
            .position(|l| l.trim() == "Transaction Response")
            .expect("seed 003 has a \"Transaction Response\" heading");
        let first = heading
            + lines[heading..]
                .iter()
                .position(|l| l.trim() == "CODE")
                .expect("seed 003's response-code tables start with a CODE header");
        let mut codes = Vec::new();
        let mut i = first;
        while i + 1 < lines.len() {
            let line = lines[i].trim();
            if line.len() == 5 && line.bytes().all(|b| b.is_ascii_digit()) {
                codes.push((line.parse().expect("five digits"), lines[i + 1].to_string()));
                i += 2;
            } else {
                i += 1;
            }
        }
        codes
    }

    /// The seed's description as the wire message: quote marks around field names dropped
    /// (`'Email'`, `‘TransactionReferenceId'`), white space (the seed's no-break spaces too)
    /// folded, a final period added.
    fn as_message(description: &str) -> String {
        let unquoted: String = description
            .chars()
            .filter(|c| !matches!(c, '\'' | '\u{2018}'))
            .collect();
        let mut message = unquoted.split_whitespace().collect::<Vec<_>>().join(" ");
        if !message.ends_with('.') {
            message.push('.');
        }
        message
    }

    #[test]
    fn every_message_is_the_seeds() {
        let seed = seed_codes(&seed_003());
        assert_eq!(seed.len(), 196, "seed 003 lists 196 response codes");
        let mut differences = Vec::new();
        for (code, description) in &seed {
            let expected = as_message(description);
            match CODES.iter().find(|(c, _)| c == code) {
                Some((_, message)) if *message == expected => {}
                Some((_, message)) => {
                    differences.push(format!("{code}: table {message:?}, seed {expected:?}"))
                }
                None => differences.push(format!("{code}: missing from the table")),
            }
        }
        for (code, _) in CODES {
            if !seed.iter().any(|(c, _)| c == code) {
                differences.push(format!("{code}: in the table, not in seed 003"));
            }
        }
        assert!(
            differences.is_empty(),
            "messages differ from seed 003:\n{}",
            differences.join("\n")
        );
    }

    #[test]
    fn the_normalisation_keeps_the_seeds_characters() {
        assert_eq!(
            as_message("Declined \u{2013} AVS (Address) not matched"),
            "Declined \u{2013} AVS (Address) not matched."
        );
        assert_eq!(
            as_message("Invalid 'Email' length \u{a0} \u{a0}"),
            "Invalid Email length."
        );
        assert_eq!(
            as_message("The card\u{2019}s postal code failed validation."),
            "The card\u{2019}s postal code failed validation."
        );
    }
}
