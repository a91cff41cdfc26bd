//! The gateway tables against the gateways' published code lists, row by row.
//!
//! `tests/gateway_codes/<gateway>.tsv` are byte-identical copies of the reference pack's
//! `declines.tsv` files (columns code, meaning, category, field, source), embedded at compile
//! time so the test depends on nothing outside the repository. The category is the pack's
//! judgement of how a code may be retried; the FlexPay code a table picks must be retried (or
//! not) the same way by [`classify`], which is all the retry policy reads.

use openflex_domain::ResponseCode;
use openflex_domain::decline::{Family, classify};
use openflex_domain::gateway_codes::{CodeField, Entry, GatewayKind, lookup, table};
use std::collections::HashSet;

struct Listed<'a> {
    line: usize,
    code: &'a str,
    category: &'a str,
    field: CodeField,
}

fn listed(kind: GatewayKind, tsv: &str) -> Vec<Listed<'_>> {
    let mut lines = tsv.lines().enumerate();
    let header = lines.next().map(|(_, l)| l);
    assert_eq!(
        header,
        Some("code\tmeaning\tcategory\tfield\tsource"),
        "{kind:?}"
    );
    lines
        .map(|(i, line)| {
            let cols: Vec<&str> = line.split('\t').collect();
            assert_eq!(cols.len(), 5, "{kind:?} line {}: {line:?}", i + 1);
            let field = CodeField::ALL
                .into_iter()
                .find(|f| f.gateway() == kind && f.list_name() == cols[3])
                .unwrap_or_else(|| panic!("{kind:?} line {}: no CodeField {:?}", i + 1, cols[3]));
            Listed {
                line: i + 1,
                code: cols[0],
                category: cols[2],
                field,
            }
        })
        .collect()
}

/// Whether the row's FlexPay code is retried the way the list's category says.
fn obeys(category: &str, entry: &Entry) -> Result<(), String> {
    let c = classify(entry.flexpay);
    let ok = match category {
        "approved" => entry.flexpay.is_approved(),
        "soft decline - insufficient funds" => {
            matches!(
                c.family,
                Family::InsufficientFunds | Family::CardholderLimit
            ) && c.retryable
        }
        "soft - issuer unavailable/try again" => {
            c.family == Family::IssuerUnavailable && c.retryable
        }
        "soft - do not honor/generic" => c.retryable,
        // Beyond the lost / stolen / fraud, invalid and expired card families, three more are
        // never retried and fit some network do-not-retry codes better: CvvAvs (the issuer
        // refused the card data: CVV, PIN), Risk (a fraud screen or block list refused it) and
        // Generic, which outside the retried 2xxxx range is FlexPay's "DO NOT RETRY" / "not
        // permitted" issuer instructions (revoked recurring payments, services the card lacks).
        "hard - do not retry (lost/stolen/pickup/fraud/closed/invalid card)" => {
            !c.retryable
                && matches!(
                    c.family,
                    Family::LostStolenFraud
                        | Family::InvalidCard
                        | Family::ExpiredCard
                        | Family::CvvAvs
                        | Family::Risk
                        | Family::Generic
                )
        }
        "invalid request/validation" => !c.retryable && !entry.flexpay.is_approved(),
        // Merchant-side: the merchant's gateway setup (Merchant) or, for a card brand no gateway
        // is configured for, FlexPay's own configuration error (Validation).
        "authentication/config error" => {
            !c.retryable && matches!(c.family, Family::Merchant | Family::Validation)
        }
        // A noted departure may only make the code safer: not retried (a pending payment).
        "processing error/unknown" => match entry.note {
            None => c.family == Family::IssuerUnavailable && c.retryable,
            Some(_) => !c.retryable && !entry.flexpay.is_approved(),
        },
        other => return Err(format!("unknown category {other:?}")),
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{} is {:?}/{:?}, retryable {}: breaks category {category:?}",
            entry.flexpay.0, c.class, c.family, c.retryable
        ))
    }
}

fn check(kind: GatewayKind, tsv: &str, expected: usize) {
    let rows = listed(kind, tsv);
    assert_eq!(rows.len(), expected, "{kind:?}: codes in the list");
    let mut failures = Vec::new();
    for row in &rows {
        let at = format!(
            "line {}: {} {:?}",
            row.line,
            row.field.list_name(),
            row.code
        );
        match lookup(row.field, row.code) {
            None => failures.push(format!("{at}: no row, would fall back")),
            Some(e) if e.code != row.code => {
                failures.push(format!("{at}: answered by the row for {:?}", e.code));
            }
            Some(e) => {
                if let Err(why) = obeys(row.category, e) {
                    failures.push(format!("{at}: {why}"));
                }
            }
        }
    }

    let in_list: HashSet<(CodeField, &str)> = rows.iter().map(|r| (r.field, r.code)).collect();
    let mut seen = HashSet::new();
    for e in table(kind) {
        let at = format!("table row {:?} {:?}", e.field, e.code);
        if !in_list.contains(&(e.field, e.code)) {
            failures.push(format!("{at}: not in the published list"));
        }
        if !seen.insert((e.field, e.code)) {
            failures.push(format!("{at}: duplicate key"));
        }
        if lookup(e.field, e.code) != Some(e) {
            failures.push(format!("{at}: shadowed by another row with the same key"));
        }
        if ResponseCode::known(e.flexpay.0).is_none() {
            failures.push(format!("{at}: {} is not a FlexPay code", e.flexpay.0));
        }
    }
    let table_order: Vec<_> = table(kind).iter().map(|e| (e.field, e.code)).collect();
    let list_order: Vec<_> = rows.iter().map(|r| (r.field, r.code)).collect();
    if table_order != list_order {
        failures.push("table rows are not in the list's order".into());
    }

    assert!(
        failures.is_empty(),
        "{kind:?}, {} listed codes, {} table rows:\n{}",
        rows.len(),
        table(kind).len(),
        failures.join("\n")
    );
}

#[test]
fn stripe_all_273_listed_codes_have_rows_that_obey_their_category() {
    check(
        GatewayKind::Stripe,
        include_str!("gateway_codes/stripe.tsv"),
        273,
    );
}

#[test]
fn adyen_all_113_listed_codes_have_rows_that_obey_their_category() {
    check(
        GatewayKind::Adyen,
        include_str!("gateway_codes/adyen.tsv"),
        113,
    );
}

#[test]
fn nmi_all_45_listed_codes_have_rows_that_obey_their_category() {
    check(GatewayKind::Nmi, include_str!("gateway_codes/nmi.tsv"), 45);
}

#[test]
fn authorizenet_all_462_listed_codes_have_rows_that_obey_their_category() {
    check(
        GatewayKind::AuthorizeNet,
        include_str!("gateway_codes/authorizenet.tsv"),
        462,
    );
}
