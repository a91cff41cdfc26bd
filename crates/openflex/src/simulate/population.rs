//! The declines a simulation recovers: a synthetic mix (seeded), or a merchant's own history read
//! from CSV. Either way only the first attempt is given; the issuer model supplies every later
//! answer.
//!
//! The simulation runs on an hourly grid (the engine's test clock moves an hour at a time), so
//! first attempts are taken at the start of their hour.

use super::issuer::pick;
use openflex_domain::codes::ResponseCode;
use openflex_domain::decline::classify;
use openflex_domain::money::{Currency, decimal_to_minor};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::Path;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

/// A declined first attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct Decline {
    pub first_at: OffsetDateTime,
    /// Minor units of `currency`.
    pub amount: i64,
    pub currency: Currency,
    pub code: ResponseCode,
}

/// Decline codes of the synthetic mix and their shares (docs/recovery.md §3).
pub const MIX: [(u32, f64); 8] = [
    (20023, 0.45), // insufficient funds
    (20050, 0.05), // over a cardholder limit
    (20003, 0.20), // do not honor
    (20000, 0.08), // refer to card issuer (generic)
    (20046, 0.06), // issuer / system unavailable
    (20080, 0.08), // expired card (soft)
    (30009, 0.05), // stolen card: pick up (do not retry)
    (30012, 0.03), // invalid card number (do not retry)
];

/// Subscription prices (USD cents) and their shares.
pub const PRICES: [(i64, f64); 5] = [
    (999, 0.30),
    (1499, 0.25),
    (2999, 0.25),
    (4999, 0.15),
    (9900, 0.05),
];

/// First attempts are spread over this many days from the start.
pub const SPREAD_DAYS: i64 = 30;

/// The synthetic population: `size` declines from `start`, seeded.
pub fn synthetic(size: usize, seed: u64, start: OffsetDateTime) -> Vec<Decline> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x005E_ED0F_DEC1);
    let usd = Currency::parse("USD").expect("USD is an ISO 4217 currency");
    let code_shares: Vec<f64> = MIX.iter().map(|(_, s)| *s).collect();
    let price_shares: Vec<f64> = PRICES.iter().map(|(_, s)| *s).collect();
    let mut out: Vec<Decline> = (0..size)
        .map(|_| {
            let hour = rng.random_range(0..SPREAD_DAYS * 24);
            Decline {
                first_at: start + Duration::hours(hour),
                amount: PRICES[pick(&mut rng, &price_shares)].0,
                currency: usd,
                code: ResponseCode(MIX[pick(&mut rng, &code_shares)].0),
            }
        })
        .collect();
    out.sort_by_key(|d| d.first_at);
    out
}

/// A `--history` file that cannot be used: the line and column at fault.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum HistoryError {
    #[error("{path}: {why}")]
    File { path: String, why: String },
    #[error("{path}, line {line}, column {column}: {why}")]
    Field {
        path: String,
        line: u64,
        column: &'static str,
        why: String,
    },
    #[error("{path}: no declines in the file")]
    Empty { path: String },
}

/// The header a history file must start with.
pub const COLUMNS: [&str; 4] = ["first_attempt", "amount", "currency", "decline_code"];

/// Reads a merchant's declines: `first_attempt` (RFC 3339), `amount` (decimal in the currency's
/// units), `currency` (ISO 4217) and `decline_code` (a FlexPay response code that is a decline).
pub fn history(path: &Path) -> Result<Vec<Decline>, HistoryError> {
    let name = path.display().to_string();
    let file_error = |why: String| HistoryError::File {
        path: name.clone(),
        why,
    };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| file_error(e.to_string()))?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| file_error(e.to_string()))?
        .iter()
        .map(str::to_ascii_lowercase)
        .collect();
    if header != COLUMNS {
        return Err(file_error(format!(
            "the header must be {} (found {})",
            COLUMNS.join(","),
            header.join(",")
        )));
    }
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, csv::Position::line);
            HistoryError::Field {
                path: name.clone(),
                line,
                column: "(row)",
                why: e.to_string(),
            }
        })?;
        let line = record.position().map_or(0, csv::Position::line);
        let field = |column: &'static str, why: String| HistoryError::Field {
            path: name.clone(),
            line,
            column,
            why,
        };
        out.push(row(&record).map_err(|(column, why)| field(column, why))?);
    }
    if out.is_empty() {
        return Err(HistoryError::Empty { path: name });
    }
    out.sort_by_key(|d| d.first_at);
    Ok(out)
}

fn row(record: &csv::StringRecord) -> Result<Decline, (&'static str, String)> {
    let get = |i: usize| record.get(i).unwrap_or_default();
    let first_at = OffsetDateTime::parse(get(0), &Rfc3339).map_err(|e| {
        (
            COLUMNS[0],
            format!("{:?} is not an RFC 3339 time ({e})", get(0)),
        )
    })?;
    let first_at = first_at.to_offset(time::UtcOffset::UTC);
    let first_at = first_at
        - Duration::seconds(i64::from(first_at.minute()) * 60)
        - Duration::seconds(i64::from(first_at.second()))
        - Duration::nanoseconds(i64::from(first_at.nanosecond()));
    let currency = Currency::parse(get(2))
        .map_err(|_| (COLUMNS[2], format!("{:?} is not an ISO 4217 code", get(2))))?;
    let amount = decimal_to_minor(get(1), currency.exponent())
        .ok()
        .filter(|a| *a > 0)
        .ok_or_else(|| {
            (
                COLUMNS[1],
                format!(
                    "{:?} is not a positive amount with at most {} decimals",
                    get(1),
                    currency.exponent()
                ),
            )
        })?;
    let code = get(3)
        .parse::<u32>()
        .ok()
        .and_then(ResponseCode::known)
        .ok_or_else(|| {
            (
                COLUMNS[3],
                format!("{:?} is not a FlexPay response code", get(3)),
            )
        })?;
    if code.is_approved() || classify(code).class == openflex_domain::codes::CodeClass::Validation {
        return Err((COLUMNS[3], format!("{} is not a card decline", code.0)));
    }
    Ok(Decline {
        first_at,
        amount,
        currency,
        code,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn file(text: &str) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), text).unwrap();
        f
    }

    #[test]
    fn the_synthetic_mix_is_seeded_and_on_the_hour() {
        let start = datetime!(2026-03-01 00:00 UTC);
        let a = synthetic(2000, 1, start);
        assert_eq!(a, synthetic(2000, 1, start));
        assert_ne!(a, synthetic(2000, 2, start));
        assert!(a.windows(2).all(|w| w[0].first_at <= w[1].first_at));
        assert!(a.iter().all(|d| d.first_at.minute() == 0));
        let funds = a.iter().filter(|d| d.code.0 == 20023).count();
        assert!((800..1000).contains(&funds), "{funds}");
    }

    #[test]
    fn a_history_file_is_read() {
        let f = file(
            "first_attempt,amount,currency,decline_code\n\
             2026-03-02T09:41:00Z,19.99,USD,20023\n\
             2026-03-01T08:00:00+01:00,1500,JPY,20003\n",
        );
        let got = history(f.path()).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].first_at, datetime!(2026-03-01 07:00 UTC));
        assert_eq!(got[0].amount, 1500);
        assert_eq!(got[1].first_at, datetime!(2026-03-02 09:00 UTC));
        assert_eq!(got[1].amount, 1999);
    }

    #[test]
    fn bad_rows_name_their_line_and_column() {
        let cases = [
            ("2026-03-02,19.99,USD,20023", "line 3, column first_attempt"),
            ("2026-03-02T09:00:00Z,-1,USD,20023", "line 3, column amount"),
            (
                "2026-03-02T09:00:00Z,1.999,USD,20023",
                "line 3, column amount",
            ),
            (
                "2026-03-02T09:00:00Z,1.99,XXY,20023",
                "line 3, column currency",
            ),
            (
                "2026-03-02T09:00:00Z,1.99,USD,10000",
                "line 3, column decline_code",
            ),
            (
                "2026-03-02T09:00:00Z,1.99,USD,abc",
                "line 3, column decline_code",
            ),
            ("2026-03-02T09:00:00Z,1.99,USD", "line 3"),
        ];
        for (bad, want) in cases {
            let f = file(&format!(
                "first_attempt,amount,currency,decline_code\n\
                 2026-03-02T09:00:00Z,19.99,USD,20023\n{bad}\n"
            ));
            let err = history(f.path()).unwrap_err().to_string();
            assert!(err.contains(want), "{bad}: {err}");
        }
        let f = file("when,amount,currency,code\n");
        assert!(
            history(f.path())
                .unwrap_err()
                .to_string()
                .contains("header")
        );
        let f = file("first_attempt,amount,currency,decline_code\n");
        assert!(matches!(history(f.path()), Err(HistoryError::Empty { .. })));
    }
}
