//! The overview: volumes, approval rate and recovered revenue over a period the merchant picks
//! (7, 30 or 90 days, or any dates), each figure set beside the period of the same length just
//! before it.
//!
//! Why the charts look the way they do: a day is a UTC day (the store groups by UTC day), so
//! the x axis says "UTC"; money is drawn per currency and never added across currencies, so
//! each money chart names its currency in the y axis' unit; the previous period is drawn as a
//! line over this period's bars, day for day, so a week-on-week change reads without a table;
//! and every chart keeps its figures in a table for those who cannot see it. The date picker
//! is a plain GET form: no script, and the period is in the address, so it can be bookmarked.

use super::payments::{day_label, percent};
use super::{Session, engine_failure, in_currency, page};
use crate::AppState;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use openflex_engine::portal::{Activity, CurrencyDays, DayMoney, DayStats};
use serde::Deserialize;

/// The preset periods, in days.
const PRESETS: [i64; 3] = [7, 30, 90];
const DEFAULT_DAYS: i64 = 30;
/// The longest period a picked range may cover.
const MAX_DAYS: i64 = 366;

/// The period as the address gives it: a preset, or two dates.
#[derive(Deserialize, Default)]
pub struct PeriodQuery {
    days: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// UTC days since the Unix epoch, `first..=last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Period {
    first: i64,
    last: i64,
}

impl Period {
    fn ending(last: i64, days: i64) -> Self {
        Self {
            first: last - days + 1,
            last,
        }
    }

    fn days(self) -> i64 {
        self.last - self.first + 1
    }

    /// The period of the same length just before this one.
    fn previous(self) -> Self {
        Self::ending(self.first - 1, self.days())
    }

    fn words(self) -> String {
        format!("{} to {}", day_label(self.first), day_label(self.last))
    }
}

/// A `YYYY-MM-DD` date as days since the Unix epoch.
fn parse_day(text: &str) -> Option<i64> {
    let mut parts = text.trim().splitn(3, '-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let day: u8 = parts.next()?.parse().ok()?;
    let date =
        time::Date::from_calendar_date(year, time::Month::try_from(month).ok()?, day).ok()?;
    let epoch = time::OffsetDateTime::UNIX_EPOCH.date();
    Some(i64::from(date.to_julian_day() - epoch.to_julian_day()))
}

/// The period asked for, or why it is refused (the field named first); `today` is the
/// tenant's UTC day.
fn period_of(q: &PeriodQuery, today: i64) -> Result<Period, String> {
    fn given(v: &Option<String>) -> Option<&str> {
        v.as_deref().map(str::trim).filter(|v| !v.is_empty())
    }
    if let Some(days) = given(&q.days) {
        return match days.parse::<i64>() {
            Ok(d) if PRESETS.contains(&d) => Ok(Period::ending(today, d)),
            _ => Err("days: choose 7, 30 or 90.".into()),
        };
    }
    let (from, to) = match (given(&q.from), given(&q.to)) {
        (None, None) => return Ok(Period::ending(today, DEFAULT_DAYS)),
        (Some(f), Some(t)) => (f, t),
        (None, Some(_)) => return Err("from: enter the first day of the period.".into()),
        (Some(_), None) => return Err("to: enter the last day of the period.".into()),
    };
    let first = parse_day(from).ok_or("from: enter a date as YYYY-MM-DD.")?;
    let last = parse_day(to).ok_or("to: enter a date as YYYY-MM-DD.")?;
    if last < first {
        return Err("to: the last day comes before the first.".into());
    }
    if last > today {
        return Err(format!(
            "to: the period cannot end after today ({}, UTC).",
            day_label(today)
        ));
    }
    if last - first + 1 > MAX_DAYS {
        return Err(format!("from: a period covers at most {MAX_DAYS} days."));
    }
    Ok(Period { first, last })
}

/// "last 30 days" for a preset ending today, else the dates.
fn period_name(p: Period, today: i64) -> String {
    if p.last == today && PRESETS.contains(&p.days()) {
        format!("last {} days", p.days())
    } else {
        p.words()
    }
}

/// The overview of the period asked for; a period refused is said beside the picker, and the
/// default period shown (answered 400).
pub async fn overview(
    State(st): State<AppState>,
    Session(s): Session,
    Query(q): Query<PeriodQuery>,
) -> Response {
    let today = st.engine.today_for(&s.tenant);
    let (period, refused) = match period_of(&q, today) {
        Ok(p) => (p, None),
        Err(why) => (Period::ending(today, DEFAULT_DAYS), Some(why)),
    };
    let before = period.previous();
    let now = match st
        .engine
        .day_stats(&s.tenant, period.first, period.last)
        .await
    {
        Ok(d) => d,
        Err(e) => return engine_failure(e),
    };
    let then = match st
        .engine
        .day_stats(&s.tenant, before.first, before.last)
        .await
    {
        Ok(d) => d,
        Err(e) => return engine_failure(e),
    };
    let recovery = match st
        .engine
        .recovery_stats(&s.tenant, period.first, period.last)
        .await
    {
        Ok(r) => r,
        Err(e) => return engine_failure(e),
    };
    let name = period_name(period, today);
    let body = html! {
        (picker(period, today, refused.as_deref(), &q))
        p class="hint" { "Days are UTC days. Each figure is compared with the previous " (period.days()) " days (" (before.words()) ")." }
        (cards(&now, &then, &name))
        (charts(&now, &then, period, before))
        (super::recovery::section(&recovery, &name))
    };
    let mut resp = page(&s, "overview", "Overview", None, body);
    if refused.is_some() {
        *resp.status_mut() = StatusCode::BAD_REQUEST;
    }
    resp
}

fn picker(p: Period, today: i64, refused: Option<&str>, q: &PeriodQuery) -> Markup {
    // A refused date is shown back as typed, so it can be corrected.
    let typed = |v: &Option<String>, fallback: i64| {
        v.as_deref()
            .filter(|_| refused.is_some())
            .map(str::to_string)
            .unwrap_or_else(|| day_label(fallback))
    };
    html! {
        section class="period" aria-labelledby="period-title" {
            h2 id="period-title" class="sr-only" { "Period" }
            @if let Some(why) = refused {
                p class="error" role="alert" id="period-error" { "That period cannot be shown: " (why) }
            }
            form method="get" action="/portal/" class="range-picker" {
                label for="from" { "From (UTC)" }
                input id="from" name="from" type="date" value=(typed(&q.from, p.first)) max=(day_label(today));
                label for="to" { "To (UTC)" }
                input id="to" name="to" type="date" value=(typed(&q.to, p.last)) max=(day_label(today));
                button type="submit" { "Show period" }
            }
            p class="presets" {
                "Quick periods: "
                @for (i, d) in PRESETS.iter().enumerate() {
                    @if i > 0 { " · " }
                    @if p.last == today && p.days() == *d {
                        a href={ "/portal/?days=" (d) } aria-current="true" { "Last " (d) " days" }
                    } @else {
                        a href={ "/portal/?days=" (d) } { "Last " (d) " days" }
                    }
                }
            }
        }
    }
}

/// "up 12.5% on the previous period", in words.
fn change_words(now: i64, then: i64) -> String {
    if now == then {
        return "the same as the previous period".into();
    }
    if then == 0 {
        return "none in the previous period".into();
    }
    let permille = ((now - then) * 1000) / then;
    let direction = if now > then { "up" } else { "down" };
    format!(
        "{direction} {} on the previous period",
        percent(permille.abs())
    )
}

/// An approval-rate change, in percentage points (rates are per mille).
fn points_words(now: i64, then: i64) -> String {
    let diff = now - then;
    if diff == 0 {
        return "the same as the previous period".into();
    }
    let direction = if diff > 0 { "up" } else { "down" };
    let d = diff.abs();
    format!(
        "{direction} {}.{} points on the previous period",
        d / 10,
        d % 10
    )
}

fn rate(approved: i64, attempts: i64) -> i64 {
    (approved * 1000).checked_div(attempts).unwrap_or(0)
}

/// One currency's money in another period (zeros when it had none).
fn same_currency<'a>(then: &'a Activity, currency: &str) -> Option<&'a CurrencyDays> {
    then.currencies.iter().find(|c| c.currency == currency)
}

fn cards(now: &Activity, then: &Activity, name: &str) -> Markup {
    let attempts = |a: &Activity| a.days.iter().map(|d| d.attempts).sum::<i64>();
    let approved = |a: &Activity| a.days.iter().map(|d| d.approved).sum::<i64>();
    let (r_now, r_then) = (
        rate(approved(now), attempts(now)),
        rate(approved(then), attempts(then)),
    );
    let money_card = |title: &str, pick: fn(&CurrencyDays) -> i64, note: &str| {
        html! {
            div class="card" {
                h2 { (title) }
                @if now.currencies.is_empty() { p class="figure" { "None" } }
                @for c in &now.currencies {
                    @let before = same_currency(then, &c.currency).map_or(0, pick);
                    p class="figure" { (in_currency(pick(c), &c.currency)) }
                    p class="compare" { (change_words(pick(c), before)) " (" (in_currency(before, &c.currency)) ")" }
                }
                @if !note.is_empty() { p { (note) } }
            }
        }
    };
    html! {
        section class="cards" aria-label=(format!("Totals, {name}")) {
            (money_card("Approved volume", CurrencyDays::volume, ""))
            div class="card" {
                h2 { "Approval rate" }
                p class="figure" { (percent(r_now)) }
                p class="compare" { (points_words(r_now, r_then)) " (" (percent(r_then)) ")" }
                p { (approved(now)) " of " (attempts(now)) " charges and authorizations" }
            }
            (money_card("Recovered revenue", CurrencyDays::recovered, "approved FlexPay retries and FlexFactor rescues"))
        }
    }
}

/// A day's figure in a period, by the day's place in it.
type Points = Vec<(i64, i64)>;

fn money_points(c: Option<&CurrencyDays>, p: Period, pick: fn(&DayMoney) -> i64) -> Points {
    (p.first..=p.last)
        .map(|day| {
            let v = c
                .and_then(|c| c.days.iter().find(|d| d.day == day))
                .map_or(0, pick);
            (day, v)
        })
        .collect()
}

fn day_points(a: &Activity, p: Period, pick: fn(&DayStats) -> i64) -> Points {
    (p.first..=p.last)
        .map(|day| {
            let v = a.days.iter().find(|d| d.day == day).map_or(0, pick);
            (day, v)
        })
        .collect()
}

fn charts(now: &Activity, then: &Activity, p: Period, before: Period) -> Markup {
    let count = |v: i64| v.to_string();
    let day_rate = |d: &DayStats| rate(d.approved, d.attempts);
    let attempts = |a: &Activity| a.days.iter().map(|d| d.attempts).sum::<i64>();
    let approved = |a: &Activity| a.days.iter().map(|d| d.approved).sum::<i64>();
    let rates = Compare {
        now: rate(approved(now), attempts(now)),
        then: rate(approved(then), attempts(then)),
        points: true,
    };
    html! {
        @for c in &now.currencies {
            @let fmt = |v: i64| in_currency(v, &c.currency);
            @let old = same_currency(then, &c.currency);
            (chart(&Chart {
                title: &format!("Approved volume per day, {}", c.currency),
                unit: &format!("{} per day", c.currency),
                now: money_points(Some(c), p, |d| d.volume),
                then: money_points(old, before, |d| d.volume),
                fmt: &fmt,
                compare: Compare { now: c.volume(), then: old.map_or(0, CurrencyDays::volume), points: false },
            }))
        }
        (chart(&Chart {
            title: "Approval rate per day",
            unit: "% of attempts approved",
            now: day_points(now, p, day_rate),
            then: day_points(then, before, day_rate),
            fmt: &percent,
            compare: rates,
        }))
        @for c in &now.currencies {
            @let fmt = |v: i64| in_currency(v, &c.currency);
            @let old = same_currency(then, &c.currency);
            (chart(&Chart {
                title: &format!("Recovered revenue per day, {}", c.currency),
                unit: &format!("{} per day", c.currency),
                now: money_points(Some(c), p, |d| d.recovered + d.rescued),
                then: money_points(old, before, |d| d.recovered + d.rescued),
                fmt: &fmt,
                compare: Compare { now: c.recovered(), then: old.map_or(0, CurrencyDays::recovered), points: false },
            }))
        }
        (chart(&Chart {
            title: "Attempts per day",
            unit: "attempts per day",
            now: day_points(now, p, |d| d.attempts),
            then: day_points(then, before, |d| d.attempts),
            fmt: &count,
            compare: Compare { now: attempts(now), then: attempts(then), points: false },
        }))
    }
}

/// A period's total against the previous one's.
struct Compare {
    now: i64,
    then: i64,
    /// A rate: the change is in percentage points, not a percentage of a percentage.
    points: bool,
}

struct Chart<'a> {
    title: &'a str,
    /// The y axis' unit, e.g. "USD per day".
    unit: &'a str,
    now: Points,
    then: Points,
    fmt: &'a dyn Fn(i64) -> String,
    compare: Compare,
}

/// Chart geometry (SVG user units): the plot area and the margins holding the axes' labels.
const W: i64 = 640;
const H: i64 = 170;
const LEFT: i64 = 100;
const TOP: i64 = 10;
const BOTTOM: i64 = 36;

/// This period's days as bars and the previous period's as a line, day for day, over a y axis
/// in the chart's unit and an x axis of UTC days; the totals compared in words below.
fn chart(c: &Chart<'_>) -> Markup {
    let fmt = c.fmt;
    let top = c
        .now
        .iter()
        .chain(&c.then)
        .map(|p| p.1)
        .max()
        .unwrap_or(0)
        .max(1);
    let n = c.now.len().max(1) as i64;
    let step = (W - LEFT) / n;
    let bar = (step - 2).max(1);
    let y = |v: i64| H - (v * (H - TOP)) / top;
    let mid = |i: usize| LEFT + i as i64 * step + step / 2;
    let line = c
        .then
        .iter()
        .enumerate()
        .map(|(i, (_, v))| format!("{},{}", mid(i), y(*v)))
        .collect::<Vec<_>>()
        .join(" ");
    let summary = if c.compare.points {
        format!(
            "{} against {} in the previous period: {}.",
            fmt(c.compare.now),
            fmt(c.compare.then),
            points_words(c.compare.now, c.compare.then)
        )
    } else {
        format!(
            "{} in all against {} in the previous period: {}.",
            fmt(c.compare.now),
            fmt(c.compare.then),
            change_words(c.compare.now, c.compare.then)
        )
    };
    let label = format!("{} (y: {}; x: day, UTC)", c.title, c.unit);
    let days = c.now.len();
    html! {
        figure class="chart period-chart" {
            figcaption { (c.title) }
            svg viewBox={ "0 0 " (W + 8) " " (H + BOTTOM) } role="img" aria-label=(label) {
                @for v in [0, top / 2, top] {
                    line x1=(LEFT) y1=(y(v)) x2=(W) y2=(y(v)) class="grid" {}
                    text x=(LEFT - 6) y=(y(v) + 4) text-anchor="end" class="tick" { (fmt(v)) }
                }
                line x1=(LEFT) y1=(H) x2=(W) y2=(H) class="axis" {}
                line x1=(LEFT) y1=(TOP) x2=(LEFT) y2=(H) class="axis" {}
                text x="12" y=((H + TOP) / 2) transform={ "rotate(-90 12 " ((H + TOP) / 2) ")" } text-anchor="middle" class="unit" { (c.unit) }
                @for (i, (day, v)) in c.now.iter().enumerate() {
                    @let h = H - y(*v);
                    rect x=(LEFT + i as i64 * step + 1) y=(y(*v)) width=(bar) height=(h.max(if *v > 0 { 1 } else { 0 })) class="bar" {
                        title { (day_label(*day)) ": " (fmt(*v)) }
                    }
                }
                polyline points=(line) class="previous" fill="none" {}
                @for i in [0, days / 2, days.saturating_sub(1)] {
                    @if let Some((day, _)) = c.now.get(i) {
                        text x=(mid(i)) y=(H + 16) text-anchor="middle" class="tick" { (day_label(*day)) }
                    }
                }
                text x=((W + LEFT) / 2) y=(H + BOTTOM - 2) text-anchor="middle" class="unit" { "day (UTC)" }
            }
            p class="range" {
                span class="legend-now" { "▮ this period" }
                span class="legend-then" { "— previous period, day for day" }
            }
            p class="compare" { (summary) }
            details {
                summary { "Figures" }
                div class="scroll" tabindex="0" role="region" aria-label={ "Figures: " (c.title) } {
                    table {
                        thead { tr {
                            th scope="col" { "Day (UTC)" } th scope="col" { "This period" }
                            th scope="col" { "Day before (UTC)" } th scope="col" { "Previous period" }
                        } }
                        tbody {
                            @for (i, (day, v)) in c.now.iter().enumerate() {
                                tr {
                                    td { (day_label(*day)) } td class="num" { (fmt(*v)) }
                                    @match c.then.get(i) {
                                        Some((d, w)) => { td { (day_label(*d)) } td class="num" { (fmt(*w)) } }
                                        None => { td { "—" } td { "—" } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(days: Option<&str>, from: Option<&str>, to: Option<&str>) -> PeriodQuery {
        PeriodQuery {
            days: days.map(str::to_string),
            from: from.map(str::to_string),
            to: to.map(str::to_string),
        }
    }

    #[test]
    fn periods_are_presets_or_checked_dates() {
        let today = parse_day("2026-03-31").unwrap();
        assert_eq!(day_label(today), "2026-03-31");
        let p = period_of(&q(None, None, None), today).unwrap();
        assert_eq!((p.days(), p.last), (30, today));
        assert_eq!(period_name(p, today), "last 30 days");
        let p = period_of(&q(Some("7"), None, None), today).unwrap();
        assert_eq!(day_label(p.first), "2026-03-25");
        assert_eq!(p.previous().words(), "2026-03-18 to 2026-03-24");
        let p = period_of(&q(None, Some("2026-02-01"), Some("2026-02-28")), today).unwrap();
        assert_eq!(p.days(), 28);
        assert_eq!(period_name(p, today), "2026-02-01 to 2026-02-28");
        assert_eq!(p.previous().words(), "2026-01-04 to 2026-01-31");
        let refused = |days, from, to| period_of(&q(days, from, to), today).unwrap_err();
        assert!(refused(Some("8"), None, None).starts_with("days:"));
        assert!(refused(None, Some("2026-02-30"), Some("2026-03-01")).starts_with("from:"));
        assert!(refused(None, Some("2026-03-02"), Some("2026-03-01")).starts_with("to:"));
        assert!(refused(None, Some("2026-03-02"), Some("2026-04-01")).contains("after today"));
        assert!(refused(None, Some("2024-01-01"), Some("2026-03-01")).contains("366"));
        assert!(refused(None, Some("2026-03-01"), None).starts_with("to:"));
    }

    #[test]
    fn changes_are_worded() {
        assert_eq!(change_words(1125, 1000), "up 12.5% on the previous period");
        assert_eq!(change_words(500, 1000), "down 50.0% on the previous period");
        assert_eq!(change_words(5, 0), "none in the previous period");
        assert_eq!(change_words(0, 0), "the same as the previous period");
        assert_eq!(
            points_words(875, 850),
            "up 2.5 points on the previous period"
        );
    }
}
