//! Recovery effectiveness from a merchant's real chains, for the portal's recovery view: how
//! much revenue was declined on a first attempt, how much the chain's retries brought back, at
//! what cost in retries, by decline family and by the day of the decline. The simulator
//! (`openflex simulate recovery`) estimates the same figures for policies not yet used; this is
//! what the merchant's own policy did.

use crate::{Engine, Result, Tenant};
use openflex_domain::codes::ResponseCode;
use openflex_domain::decline::classify;
use openflex_store::RecoveryChainRow;

/// Figures of a set of chains of one currency; amounts in its minor units.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecoveryFigures {
    /// Declined first attempts.
    pub declines: i64,
    pub declined: i64,
    /// Chains ended by an approved retry.
    pub recoveries: i64,
    pub recovered: i64,
    pub retries: i64,
}

impl RecoveryFigures {
    fn add(&mut self, row: &RecoveryChainRow) {
        self.declines += 1;
        self.declined += row.amount;
        self.retries += row.retries;
        if row.recovered > 0 {
            self.recoveries += 1;
            self.recovered += row.recovered;
        }
    }

    /// Recovered ÷ declined revenue, in tenths of a percent.
    pub fn share_permille(&self) -> i64 {
        (self.recovered * 1000)
            .checked_div(self.declined)
            .unwrap_or(0)
    }

    /// Retries per recovered payment, in hundredths; `None` before any recovery.
    pub fn retries_per_recovery_centi(&self) -> Option<i64> {
        (self.retries * 100).checked_div(self.recoveries)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryStats {
    /// The chains' currency: figures are never added across currencies.
    pub currency: String,
    pub total: RecoveryFigures,
    /// By the first decline's family (`decline::Family::as_str`), largest declined revenue first.
    pub by_family: Vec<(&'static str, RecoveryFigures)>,
    /// One entry per day of the period (days since the Unix epoch), by the day of the decline.
    pub by_day: Vec<(i64, RecoveryFigures)>,
}

/// The figures of `rows` (all in `currency`), over the days `first..=last`.
pub fn summarise(
    currency: &str,
    rows: &[&RecoveryChainRow],
    first: i64,
    last: i64,
) -> RecoveryStats {
    let mut total = RecoveryFigures::default();
    let mut by_family: Vec<(&'static str, RecoveryFigures)> = Vec::new();
    let mut by_day: Vec<(i64, RecoveryFigures)> = (first..=last)
        .map(|d| (d, RecoveryFigures::default()))
        .collect();
    for row in rows {
        total.add(row);
        let code = ResponseCode(u32::try_from(row.first_code).unwrap_or(0));
        let family = classify(code).family.as_str();
        match by_family.iter_mut().find(|(f, _)| *f == family) {
            Some((_, figures)) => figures.add(row),
            None => {
                let mut figures = RecoveryFigures::default();
                figures.add(row);
                by_family.push((family, figures));
            }
        }
        if let Some((_, figures)) = by_day.iter_mut().find(|(d, _)| *d == row.day) {
            figures.add(row);
        }
    }
    by_family.sort_by(|a, b| b.1.declined.cmp(&a.1.declined).then(a.0.cmp(b.0)));
    RecoveryStats {
        currency: currency.to_string(),
        total,
        by_family,
        by_day,
    }
}

impl Engine {
    /// The recovery figures of the chains that started on the UTC days `first..=last` (days
    /// since the Unix epoch). One set of figures per currency, by currency code.
    pub async fn recovery_stats(
        &self,
        t: &Tenant,
        first: i64,
        last: i64,
    ) -> Result<Vec<RecoveryStats>> {
        const DAY_US: i64 = 86_400_000_000;
        let rows = self
            .store
            .recovery_chains(
                &t.merchant_id,
                t.mode.as_str(),
                first * DAY_US,
                (last + 1) * DAY_US,
            )
            .await?;
        let mut currencies: Vec<&str> = rows
            .iter()
            .map(|r| r.currency.as_deref().unwrap_or(""))
            .collect();
        currencies.sort_unstable();
        currencies.dedup();
        Ok(currencies
            .into_iter()
            .map(|c| {
                let of_c: Vec<&RecoveryChainRow> = rows
                    .iter()
                    .filter(|r| r.currency.as_deref().unwrap_or("") == c)
                    .collect();
                summarise(c, &of_c, first, last)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(code: i64, amount: i64, day: i64, retries: i64, recovered: i64) -> RecoveryChainRow {
        RecoveryChainRow {
            first_code: code,
            amount,
            currency: Some("USD".into()),
            day,
            retries,
            recovered,
        }
    }

    #[test]
    fn chains_are_summed_by_family_and_day() {
        let rows = [
            row(20023, 2000, 10, 3, 2000),
            row(20023, 1000, 11, 5, 0),
            row(20003, 5000, 11, 2, 5000),
            row(30009, 700, 12, 0, 0),
        ];
        let refs: Vec<&RecoveryChainRow> = rows.iter().collect();
        let s = summarise("USD", &refs, 10, 12);
        assert_eq!(s.currency, "USD");
        assert_eq!(s.total.declines, 4);
        assert_eq!(s.total.declined, 8700);
        assert_eq!(s.total.recovered, 7000);
        assert_eq!(s.total.share_permille(), 804);
        assert_eq!(s.total.retries_per_recovery_centi(), Some(500));
        let families: Vec<&str> = s.by_family.iter().map(|(f, _)| *f).collect();
        assert_eq!(
            families,
            ["do_not_honor", "insufficient_funds", "lost_stolen_fraud"]
        );
        assert_eq!(s.by_family[1].1.share_permille(), 666);
        assert_eq!(s.by_family[2].1.retries_per_recovery_centi(), None);
        assert_eq!(s.by_day.len(), 3);
        assert_eq!(s.by_day[1].1.declined, 6000);
        assert_eq!(s.by_day[1].1.recovered, 5000);
        assert_eq!(
            summarise("USD", &[], 1, 2).total,
            RecoveryFigures::default()
        );
    }
}
