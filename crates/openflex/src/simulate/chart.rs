//! The recovery curve of every policy as an SVG chart: recovered share of declined revenue by
//! day since the first attempt.

use super::report::{CURVE_DAYS, Report};
use plotters::prelude::*;

/// The chart as an SVG document.
pub fn svg(report: &Report) -> anyhow::Result<String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (900, 540)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        let top = report
            .policies
            .iter()
            .flat_map(|p| p.curve.iter().copied())
            .fold(0.0f64, f64::max);
        let y_max = ((top * 100.0 / 10.0).ceil() * 10.0).max(10.0);
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!(
                    "Recovery of {} declines by day (seed {})",
                    report.declines, report.seed
                ),
                ("sans-serif", 20),
            )
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(60)
            .build_cartesian_2d(0i64..CURVE_DAYS, 0f64..y_max)
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .x_desc("days since the first attempt")
            .y_desc("recovered share of declined revenue (%)")
            .draw()
            .map_err(plot_error)?;
        for (i, p) in report.policies.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            chart
                .draw_series(LineSeries::new(
                    p.curve
                        .iter()
                        .enumerate()
                        .map(|(day, share)| (day as i64, share * 100.0)),
                    color.stroke_width(2),
                ))
                .map_err(plot_error)?
                .label(p.policy)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .border_style(BLACK)
            .background_style(WHITE.mix(0.9))
            .draw()
            .map_err(plot_error)?;
        root.present().map_err(plot_error)?;
    }
    Ok(out)
}

fn plot_error(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("drawing the chart: {e}")
}
