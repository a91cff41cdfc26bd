//! The simulated issuer: decides each attempt on a declined card from a seeded probability model,
//! one behaviour per decline family (`openflex_domain::decline`). Every policy — openflex's,
//! through the engine, and the fixed baselines — is answered by this one model, so the policies
//! differ only in *when* they ask.
//!
//! Each card gets its hidden state once (drawn from the run's seed and the card's index), and
//! every answer is a pure function of that state and the attempt's time: the same seed gives the
//! same answers whatever order the attempts come in. Draws that depend on the day (a deposit, a
//! do-not-honor's daily chance) are keyed by the day, so asking twice the same day gets the same
//! answer and hammering a card within a day buys nothing.
//!
//! The numbers and where they come from: docs/recovery.md §2.

use super::population::Decline;
use openflex_domain::codes::ResponseCode;
use openflex_domain::decline::{Family, classify};
use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use time::{Date, Duration, OffsetDateTime, Weekday};

/// Chance that one payday's deposit covers the charge (for the days of [`FUNDED_DAYS`]).
pub const P_PAYDAY: f64 = 0.30;
/// Chance, per business day, of other income covering the charge.
pub const P_OTHER_INCOME: f64 = 0.01;
/// Days a covering deposit keeps the account funded before it is spent down.
pub const FUNDED_DAYS: i64 = 4;
/// Business days per month, to spread paydays evenly when the payday effect is off.
const BUSINESS_DAYS_PER_MONTH: f64 = 21.7;
/// Share of issuer-unavailable declines that are a momentary glitch (a timeout, a dropped
/// connection), over in minutes.
pub const P_MOMENTARY: f64 = 0.30;
/// Mean length of a momentary glitch, in minutes (exponential).
pub const GLITCH_MEAN_MINUTES: f64 = 2.0;
/// Mean outage of an unavailable issuer otherwise, in hours (exponential).
pub const OUTAGE_MEAN_HOURS: f64 = 3.0;
/// Chance the payment goes through once the issuer is back (else the card declines as
/// do-not-honor would).
pub const P_AFTER_OUTAGE: f64 = 0.80;
/// Do-not-honor: chance of approval on a day, before decay.
pub const P_DO_NOT_HONOR: f64 = 0.08;
/// Refer-to-issuer and other generic declines: chance of approval on a day, before decay.
pub const P_GENERIC: f64 = 0.06;
/// Decay (days) of the do-not-honor and generic daily chance: p·e^(−day/τ).
pub const DECAY_DAYS: f64 = 7.0;
/// Expired card (a soft decline): chance the network's account updater links the reissued
/// card within [`UPDATER_MAX_DAYS`].
pub const P_UPDATER: f64 = 0.30;
pub const UPDATER_MAX_DAYS: i64 = 20;
/// Chance per 30 days that the account is closed.
pub const P_CLOSURE_PER_30_DAYS: f64 = 0.015;
/// A card's life in months: its expiry month is uniform over this many months ahead.
pub const CARD_LIFE_MONTHS: u32 = 48;
/// Answer after the account was closed: a do-not-retry decline.
pub const CLOSED: ResponseCode = ResponseCode(30080);
/// Answer after the card expired during the recovery: a hard decline.
pub const EXPIRED: ResponseCode = ResponseCode(30026);
/// What an issuer that stays unavailable past its outage then declines with.
const DO_NOT_HONOR: ResponseCode = ResponseCode(20003);

/// The model's tunable parameters (the sensitivity table moves them).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// Deposits land on the customer's paydays (on), or evenly over business days (off).
    pub payday_effect: bool,
    /// Multiplies every base recovery chance (1.0 = the documented values).
    pub base_scale: f64,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            payday_effect: true,
            base_scale: 1.0,
        }
    }
}

/// How often a customer is paid (for funds declines).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cadence {
    /// Every Friday.
    Weekly,
    /// Every other Friday (`phase` picks which).
    Biweekly { phase: bool },
    /// The 1st and the 15th.
    SemiMonthly,
    /// The 1st.
    Monthly,
}

/// Share of each cadence among customers: weekly, biweekly, semi-monthly, monthly (BLS, private
/// businesses by length of pay period, March 2013; docs/recovery.md §2).
pub const CADENCE_SHARES: [f64; 4] = [0.324, 0.365, 0.198, 0.113];

impl Cadence {
    fn paydays_per_month(self) -> f64 {
        match self {
            Self::Weekly => 4.33,
            Self::Biweekly { .. } => 2.17,
            Self::SemiMonthly => 2.0,
            Self::Monthly => 1.0,
        }
    }

    /// The nominal payday, before weekends move it.
    fn nominal(self, day: Date) -> bool {
        match self {
            Self::Weekly => day.weekday() == Weekday::Friday,
            Self::Biweekly { phase } => {
                day.weekday() == Weekday::Friday && ((day.to_julian_day() / 7) % 2 == 0) == phase
            }
            Self::SemiMonthly => day.day() == 1 || day.day() == 15,
            Self::Monthly => day.day() == 1,
        }
    }

    /// Money arrives on this business day: the payday itself, or the Friday before a payday
    /// that falls on a weekend.
    fn deposits_on(self, day: Date) -> bool {
        !is_weekend(day)
            && (self.nominal(day)
                || (day.weekday() == Weekday::Friday
                    && [1, 2]
                        .iter()
                        .any(|n| self.nominal(day + Duration::days(*n)))))
    }
}

fn is_weekend(day: Date) -> bool {
    matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// One declined card: the decline and the hidden state the model drew for it.
#[derive(Debug, Clone)]
pub struct Card {
    pub decline: Decline,
    pub family: Family,
    key: u64,
    cadence: Cadence,
    /// When an unavailable issuer answers again.
    back_at: OffsetDateTime,
    approves_after_outage: bool,
    /// When the account updater links a reissued card (expired-card declines).
    updated_at: Option<OffsetDateTime>,
    /// When the card stops working for good, and what it answers then.
    end: Option<(OffsetDateTime, ResponseCode)>,
}

/// The issuer of one run: a seed and the model's parameters.
#[derive(Debug, Clone, Copy)]
pub struct Issuer {
    seed: u64,
    params: Params,
}

impl Issuer {
    pub fn new(seed: u64, params: Params) -> Self {
        Self { seed, params }
    }

    pub fn params(&self) -> Params {
        self.params
    }

    fn scaled(&self, p: f64) -> f64 {
        (p * self.params.base_scale).clamp(0.0, 1.0)
    }

    /// Draws the hidden state of the `index`-th declined card.
    pub fn card(&self, index: u64, decline: &Decline) -> Card {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed ^ index.wrapping_mul(GOLDEN));
        let key = rng.next_u64();
        let first = decline.first_at;
        let cadence = match pick(&mut rng, &CADENCE_SHARES) {
            0 => Cadence::Weekly,
            1 => Cadence::Biweekly {
                phase: rng.random_bool(0.5),
            },
            2 => Cadence::SemiMonthly,
            _ => Cadence::Monthly,
        };
        let mean_seconds = if rng.random::<f64>() < P_MOMENTARY {
            GLITCH_MEAN_MINUTES * 60.0
        } else {
            OUTAGE_MEAN_HOURS * 3600.0
        };
        let back_at =
            first + Duration::seconds_f64(-mean_seconds * (1.0 - rng.random::<f64>()).ln());
        let approves_after_outage = rng.random::<f64>() < self.scaled(P_AFTER_OUTAGE);
        let updater = rng.random::<f64>() < self.scaled(P_UPDATER);
        let updater_days = rng.random_range(1..=UPDATER_MAX_DAYS);
        let closure_days = -30.0 / P_CLOSURE_PER_30_DAYS * (1.0 - rng.random::<f64>()).ln();
        let expiry_months = rng.random_range(0..CARD_LIFE_MONTHS);
        let family = classify(decline.code).family;
        let closed_at = first + Duration::seconds_f64(closure_days * 86_400.0);
        let expires_at = first_of_month_after(first.date(), expiry_months)
            .with_hms(0, 0, 0)
            .map(|d| d.assume_utc())
            .unwrap_or(closed_at);
        let end = match family {
            Family::LostStolenFraud | Family::InvalidCard => None,
            _ if expires_at < closed_at => Some((expires_at, EXPIRED)),
            _ => Some((closed_at, CLOSED)),
        };
        Card {
            decline: decline.clone(),
            family,
            key,
            cadence,
            back_at,
            approves_after_outage,
            updated_at: updater.then(|| first + Duration::days(updater_days)),
            end,
        }
    }

    /// The issuer's answer to a retry of `card` at `at` (the first attempt's answer is the
    /// decline itself).
    pub fn answer(&self, card: &Card, at: OffsetDateTime) -> ResponseCode {
        let declined = card.decline.code;
        if let Some((end, code)) = card.end
            && at >= end
        {
            return code;
        }
        let approved = |yes: bool, no: ResponseCode| if yes { ResponseCode::APPROVED } else { no };
        match card.family {
            Family::InsufficientFunds | Family::CardholderLimit => {
                approved(self.funded(card, at), declined)
            }
            Family::IssuerUnavailable if at < card.back_at => declined,
            Family::IssuerUnavailable if card.approves_after_outage => ResponseCode::APPROVED,
            Family::IssuerUnavailable => {
                approved(self.daily_chance(card, at, P_DO_NOT_HONOR), DO_NOT_HONOR)
            }
            Family::DoNotHonor => approved(self.daily_chance(card, at, P_DO_NOT_HONOR), declined),
            Family::Generic => approved(self.daily_chance(card, at, P_GENERIC), declined),
            Family::ExpiredCard => approved(card.updated_at.is_some_and(|u| at >= u), declined),
            // Hard, fraud, invalid-card, CVV/AVS, merchant-side, risk and validation outcomes
            // never turn into an approval by asking again.
            _ => declined,
        }
    }

    /// A uniform draw in [0, 1) for one named event of one card on one day.
    fn draw(&self, card: &Card, event: u64, day: i64) -> f64 {
        let key = card
            .key
            .wrapping_add(event.wrapping_mul(GOLDEN))
            .wrapping_add((day as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F));
        ChaCha8Rng::seed_from_u64(key).random::<f64>()
    }

    /// Whether a deposit in the last [`FUNDED_DAYS`] covers the charge. Deposits count from the
    /// day after the decline (the decline saw that day's balance).
    fn funded(&self, card: &Card, at: OffsetDateTime) -> bool {
        let first = card.decline.first_at.date();
        let mut day = at.date();
        for _ in 0..FUNDED_DAYS {
            if day <= first {
                return false;
            }
            if self.deposit_covers(card, day, (day - first).whole_days()) {
                return true;
            }
            day = day.previous_day().unwrap_or(day);
        }
        false
    }

    fn deposit_covers(&self, card: &Card, day: Date, n: i64) -> bool {
        if is_weekend(day) {
            return false;
        }
        let p = if !self.params.payday_effect {
            P_PAYDAY * card.cadence.paydays_per_month() / BUSINESS_DAYS_PER_MONTH + P_OTHER_INCOME
        } else if card.cadence.deposits_on(day) {
            P_PAYDAY
        } else {
            P_OTHER_INCOME
        };
        self.draw(card, DEPOSIT, n) < self.scaled(p)
    }

    /// A daily chance decaying with the days since the decline; none on the decline's own day
    /// (the issuer answers the same within it).
    fn daily_chance(&self, card: &Card, at: OffsetDateTime, p: f64) -> bool {
        let day = (at - card.decline.first_at).whole_days();
        day >= 1
            && self.draw(card, DAILY, day) < self.scaled(p * (-(day as f64) / DECAY_DAYS).exp())
    }
}

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;
const DEPOSIT: u64 = 1;
const DAILY: u64 = 2;

/// An index drawn with the given shares (which sum to 1).
pub fn pick(rng: &mut ChaCha8Rng, shares: &[f64]) -> usize {
    let u = rng.random::<f64>();
    let mut acc = 0.0;
    for (i, s) in shares.iter().enumerate() {
        acc += s;
        if u < acc {
            return i;
        }
    }
    shares.len() - 1
}

/// The 1st of the month `months` months after `day`'s month, plus one (a card "expiring" in a
/// month works until that month's end).
fn first_of_month_after(day: Date, months: u32) -> Date {
    let total = day.year() * 12 + i32::from(u8::from(day.month())) - 1 + months as i32 + 1;
    let (year, month) = (total.div_euclid(12), (total.rem_euclid(12) + 1) as u8);
    time::Month::try_from(month)
        .ok()
        .and_then(|m| Date::from_calendar_date(year, m, 1).ok())
        .unwrap_or(day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use openflex_domain::money::Currency;
    use time::macros::datetime;

    fn decline(code: u32, at: OffsetDateTime) -> Decline {
        Decline {
            first_at: at,
            amount: 1999,
            currency: Currency::parse("USD").unwrap(),
            code: ResponseCode(code),
        }
    }

    /// Approvals among `n` cards of one code retried once at `after`.
    fn approvals(issuer: &Issuer, code: u32, after: Duration, n: u64) -> usize {
        let first = datetime!(2026-03-03 10:00 UTC);
        (0..n)
            .filter(|i| {
                let card = issuer.card(*i, &decline(code, first));
                issuer.answer(&card, first + after).is_approved()
            })
            .count()
    }

    #[test]
    fn the_same_seed_gives_the_same_answers_and_another_seed_others() {
        let a = Issuer::new(7, Params::default());
        let b = Issuer::new(8, Params::default());
        let first = datetime!(2026-03-03 10:00 UTC);
        let answers = |issuer: &Issuer| {
            (0..400u64)
                .flat_map(|i| {
                    let card = issuer.card(i, &decline(20023, first));
                    (1..30).map(move |d| (card.clone(), first + Duration::days(d)))
                })
                .map(|(card, at)| issuer.answer(&card, at).0)
                .collect::<Vec<_>>()
        };
        assert_eq!(answers(&a), answers(&a));
        assert_ne!(answers(&a), answers(&b));
    }

    #[test]
    fn hard_declines_never_recover() {
        let issuer = Issuer::new(1, Params::default());
        for code in [30009, 30004, 30012, 20101] {
            for days in [0, 1, 5, 29] {
                assert_eq!(approvals(&issuer, code, Duration::days(days), 300), 0);
            }
        }
    }

    #[test]
    fn an_unavailable_issuer_is_mostly_back_within_hours() {
        let issuer = Issuer::new(2, Params::default());
        let soon = approvals(&issuer, 20046, Duration::minutes(3), 1000);
        let later = approvals(&issuer, 20046, Duration::hours(12), 1000);
        assert!(
            (100..300).contains(&soon),
            "minutes later only the glitches are over: {soon}"
        );
        assert!(later > 700, "half a day later most go through: {later}");
    }

    #[test]
    fn do_not_honor_has_a_low_decaying_chance_and_none_the_same_day() {
        let issuer = Issuer::new(3, Params::default());
        assert_eq!(approvals(&issuer, 20003, Duration::hours(2), 2000), 0);
        let day1 = approvals(&issuer, 20003, Duration::days(1), 4000);
        let day20 = approvals(&issuer, 20003, Duration::days(20), 4000);
        assert!((150..500).contains(&day1), "{day1}");
        assert!(day20 < day1 / 3, "{day20} vs {day1}");
    }

    #[test]
    fn funds_come_back_on_paydays_more_than_between_them() {
        let issuer = Issuer::new(4, Params::default());
        // 2026-03-03 is a Tuesday; Friday the 6th is every weekly and half the biweekly
        // customers' payday, Thursday the 5th nobody's.
        let friday = approvals(&issuer, 20023, Duration::days(3), 4000);
        let thursday = approvals(&issuer, 20023, Duration::days(2), 4000);
        assert!(friday > 3 * thursday, "{friday} vs {thursday}");
        let flat = Issuer::new(
            4,
            Params {
                payday_effect: false,
                base_scale: 1.0,
            },
        );
        let flat_friday = approvals(&flat, 20023, Duration::days(3), 4000);
        let flat_thursday = approvals(&flat, 20023, Duration::days(2), 4000);
        assert!(
            flat_friday < 2 * flat_thursday.max(1),
            "without the payday effect no day stands out: {flat_friday} vs {flat_thursday}"
        );
    }

    #[test]
    fn the_base_scale_moves_recovery() {
        let at = |scale| {
            let issuer = Issuer::new(
                5,
                Params {
                    payday_effect: true,
                    base_scale: scale,
                },
            );
            approvals(&issuer, 20003, Duration::days(2), 4000)
        };
        assert!(at(0.5) < at(1.0) && at(1.0) < at(1.5));
    }

    #[test]
    fn cards_end_by_expiry_or_closure_with_a_do_not_retry_code() {
        let issuer = Issuer::new(6, Params::default());
        let first = datetime!(2026-03-31 10:00 UTC);
        let ended = (0..3000u64)
            .map(|i| issuer.card(i, &decline(20023, first)))
            .filter(|card| issuer.answer(card, first + Duration::days(29)) == EXPIRED)
            .count();
        // About one card in 48 expires at the end of March.
        assert!((20..120).contains(&ended), "{ended}");
        assert!(!classify(EXPIRED).retryable && !classify(CLOSED).retryable);
    }

    #[test]
    fn weekend_paydays_arrive_the_friday_before() {
        // 2026-08-01 is a Saturday.
        let friday = time::macros::date!(2026 - 07 - 31);
        assert!(Cadence::Monthly.deposits_on(friday));
        assert!(!Cadence::Monthly.deposits_on(time::macros::date!(2026 - 08 - 01)));
        assert_eq!(
            first_of_month_after(time::macros::date!(2026 - 11 - 20), 1),
            time::macros::date!(2027 - 01 - 01)
        );
    }
}
