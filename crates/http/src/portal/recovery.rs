//! The overview's recovery view: what the merchant's own retry policy recovered from the
//! chains of the overview's period — declined and recovered revenue, the recovered share, retries per
//! recovery, by decline family and by day, with a chart drawn here as inline SVG (the portal
//! sends no script). The figures come from `Engine::recovery_stats`.

use super::in_currency;
use super::payments::{day_label, percent};
use maud::{Markup, html};
use openflex_engine::recovery_stats::{RecoveryFigures, RecoveryStats};

/// Chart geometry (SVG user units): the plot area and the margins holding the axes' labels.
const W: i64 = 640;
const H: i64 = 180;
const LEFT: i64 = 72;
const BOTTOM: i64 = 36;
const TOP: i64 = 12;

fn per_recovery(f: &RecoveryFigures) -> String {
    f.retries_per_recovery_centi()
        .map_or("–".into(), |c| format!("{}.{:02}", c / 100, c % 100))
}

/// The recovery section of the overview: one block per currency (amounts are never added
/// across currencies). `period` names the overview's period ("last 30 days").
pub fn section(all: &[RecoveryStats], period: &str) -> Markup {
    html! {
        section class="recovery" aria-labelledby="recovery-title" {
            h2 id="recovery-title" { "Recovery of declined payments, " (period) }
            @for stats in all {
                (in_one_currency(stats))
            }
            @if all.is_empty() {
                p { "No declined payments in this period." }
            }
        }
    }
}

fn in_one_currency(stats: &RecoveryStats) -> Markup {
    let t = &stats.total;
    let money = |v: i64| in_currency(v, &stats.currency);
    html! {
        h3 { (stats.currency) }
        div class="cards" {
            div class="card" { h2 { "Declined revenue" } p class="figure" { (money(t.declined)) } p { (t.declines) " declined first attempts" } }
            div class="card" { h2 { "Recovered revenue" } p class="figure" { (money(t.recovered)) } p { (percent(t.share_permille())) " of declined revenue; " (t.recoveries) " of " (t.declines) " chains recovered" } }
            div class="card" { h2 { "Retries per recovery" } p class="figure" { (per_recovery(t)) } p { (t.retries) " retries in all" } }
        }
        (chart(stats))
        div class="scroll" tabindex="0" role="region" aria-label={ "By decline family, " (stats.currency) } { table class="recovery-families" {
            caption { "By decline family (of the first attempt)" }
            thead { tr {
                th scope="col" { "Family" } th scope="col" { "Declines" } th scope="col" { "Declined" }
                th scope="col" { "Recovered" } th scope="col" { "Share" } th scope="col" { "Retries per recovery" }
            } }
            tbody {
                @for (family, f) in &stats.by_family {
                    tr {
                        td { (family.replace('_', " ")) } td class="num" { (f.declines) } td class="num" { (money(f.declined)) }
                        td class="num" { (money(f.recovered)) } td class="num" { (percent(f.share_permille())) } td class="num" { (per_recovery(f)) }
                    }
                }
            }
        } }
    }
}

/// Declined and recovered revenue per day of the decline, as two lines over labelled axes.
fn chart(stats: &RecoveryStats) -> Markup {
    let money = |v: i64| in_currency(v, &stats.currency);
    let days = &stats.by_day;
    let top = days
        .iter()
        .map(|(_, f)| f.declined)
        .max()
        .unwrap_or(0)
        .max(1);
    let n = (days.len() as i64 - 1).max(1);
    let x = |i: usize| LEFT + (i as i64 * (W - LEFT)) / n;
    let y = |v: i64| TOP + (H - TOP) - (v * (H - TOP)) / top;
    let line = |pick: fn(&RecoveryFigures) -> i64| -> String {
        days.iter()
            .enumerate()
            .map(|(i, (_, f))| format!("{},{}", x(i), y(pick(f))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let label = "Declined and recovered revenue by day of the decline";
    html! {
        figure class="chart recovery-chart" {
            figcaption { (label) }
            svg viewBox={ "0 0 " (W + 8) " " (H + BOTTOM) } role="img" aria-label=(label) {
                line x1=(LEFT) y1=(H) x2=(W) y2=(H) class="axis" {}
                line x1=(LEFT) y1=(TOP) x2=(LEFT) y2=(H) class="axis" {}
                @for (v, at) in [(0, y(0)), (top / 2, y(top / 2)), (top, y(top))] {
                    text x=(LEFT - 6) y=(at + 4) text-anchor="end" class="tick" { (money(v)) }
                }
                text x="12" y=((H + TOP) / 2) transform={ "rotate(-90 12 " ((H + TOP) / 2) ")" } text-anchor="middle" class="unit" { "amount per day" }
                @for i in [0, days.len() / 2, days.len().saturating_sub(1)] {
                    @if let Some((day, _)) = days.get(i) {
                        text x=(x(i)) y=(H + 16) text-anchor="middle" class="tick" { (day_label(*day)) }
                    }
                }
                text x=((W + LEFT) / 2) y=(H + BOTTOM - 2) text-anchor="middle" class="unit" { "day of the first attempt (UTC)" }
                polyline points=(line(|f| f.declined)) class="declined" fill="none" {}
                polyline points=(line(|f| f.recovered)) class="recovered" fill="none" {}
            }
            p class="range" {
                span class="legend-declined" { "— declined" }
                span class="legend-recovered" { "— recovered" }
                span { "highest " (money(top)) " a day" }
            }
            details {
                summary { "Figures" }
                table {
                    thead { tr { th scope="col" { "Day" } th scope="col" { "Declined" } th scope="col" { "Recovered" } } }
                    tbody {
                        @for (day, f) in days {
                            tr { td { (day_label(*day)) } td class="num" { (money(f.declined)) } td class="num" { (money(f.recovered)) } }
                        }
                    }
                }
            }
        }
    }
}
