//! NMI Payment API (`transact.php`): `response`, `response_code` and example `responsetext`
//! values, in the order of the reference list (NMI's result-code table as republished; see
//! `tests/gateway_codes/nmi.tsv`).

use super::CodeField::{NmiResponse as Response, NmiResponseCode as Code, NmiResponseText as Text};
use super::notes::*;
use super::{Entry, noted, row};

pub(super) const TABLE: &[Entry] = &[
    row(Response, "1", 10000),
    row(Response, "2", 20022),
    row(Response, "3", 20046),
    row(Code, "100", 10000),
    row(Code, "200", 20022),
    row(Code, "201", 20003),
    row(Code, "202", 20023),
    row(Code, "203", 20081),
    row(Code, "204", 30029),
    row(Code, "220", 30099),
    row(Code, "221", 30012),
    row(Code, "222", 30012),
    row(Code, "223", 30026),
    row(Code, "224", 30055),
    row(Code, "225", 30049),
    row(Code, "240", 20000),
    row(Code, "250", 30000),
    row(Code, "251", 30008),
    row(Code, "252", 30009),
    row(Code, "253", 30031),
    row(Code, "260", 20022),
    noted(Code, "261", 30029, REVOKED),
    noted(Code, "262", 30029, REVOKED),
    noted(Code, "263", 30026, REISSUED),
    noted(Code, "264", 20046, ADVISED_DELAY),
    row(Code, "300", 30016),
    row(Code, "400", 20046),
    row(Code, "410", 30081),
    row(Code, "411", 30081),
    row(Code, "420", 20039),
    row(Code, "421", 20039),
    row(Code, "430", 30044),
    row(Code, "440", 20046),
    row(Code, "441", 30011),
    row(Code, "460", 30081),
    row(Code, "461", 30058),
    row(Text, "SUCCESS", 10000),
    row(Text, "DECLINE", 20022),
    row(Text, "Transaction Void Successful", 10001),
    row(Text, "Customer Added", 10000),
    row(Text, "Invalid Credit Card Number REFID:<n>", 30012),
    row(
        Text,
        "Only transactions pending settlement can be voided REFID:<n>",
        30010,
    ),
    row(Text, "Invalid Transaction ID specified REFID:<n>", 30078),
    row(Text, "Authentication Failed", 30095),
    row(Text, "Duplicate transaction REFID:<n>", 30044),
];
