//! `openflex simulate recovery` as an operator runs it: the binary, its JSON report, the chart
//! file, a merchant's history file and its errors, and no trace in the data directory.

use crate::helpers::unique_id;
use crate::process;
use serde_json::Value;

fn scratch() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(unique_id("openflex-sim"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_small_run_prints_its_report_and_draws_its_chart() {
    let dir = scratch();
    let data = dir.join("data");
    let chart = dir.join("recovery.svg");
    let (ok, out, err) = process::run(&[
        "--data-dir",
        data.to_str().unwrap(),
        "simulate",
        "recovery",
        "--size",
        "200",
        "--seed",
        "5",
        "--json",
        "--chart",
        chart.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let report: Value = serde_json::from_str(&out).expect("stdout is one JSON document");
    let names: Vec<&str> = report["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["policy"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "openflex",
            "daily8",
            "stripe-like",
            "killbill",
            "immediate3"
        ]
    );
    let openflex = &report["policies"][0];
    assert_eq!(openflex["violationsTotal"], 0);
    assert!(openflex["recovered"].as_u64().unwrap() > 0, "{openflex}");
    assert_eq!(openflex["curve"].as_array().unwrap().len(), 31);
    assert_eq!(report["sensitivity"].as_array().unwrap().len(), 4);
    assert!(
        err.contains("simulated 200 declines x 5 policies in"),
        "{err}"
    );
    let svg = std::fs::read_to_string(&chart).unwrap();
    assert!(svg.starts_with("<svg"), "{svg}");
    for name in names {
        assert!(svg.contains(name), "the legend names {name}");
    }
    assert!(svg.contains("days since the first attempt"));
    assert!(
        !data.exists(),
        "a simulation leaves the data directory alone"
    );
}

/// Writes a history file: the header, then `rows`.
fn history_file(path: &std::path::Path, rows: &str) {
    std::fs::write(
        path,
        format!("first_attempt,amount,currency,decline_code\n{rows}"),
    )
    .unwrap();
}

#[test]
fn a_history_file_is_simulated_and_its_bad_rows_named() {
    let dir = scratch();
    let history = dir.join("declines.csv");
    history_file(
        &history,
        "2026-02-02T09:15:00Z,19.99,USD,20023\n\
         2026-02-03T10:00:00Z,49.99,USD,20003\n\
         2026-02-03T11:00:00Z,2500,JPY,20046\n",
    );
    let (ok, out, err) = process::run(&[
        "simulate",
        "recovery",
        "--history",
        history.to_str().unwrap(),
        "--policies",
        "openflex,killbill",
        "--no-sensitivity",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("Recovery of 3 declines"), "{out}");
    assert!(
        out.contains("openflex") && out.contains("killbill"),
        "{out}"
    );
    assert!(
        !out.contains("daily8") && !out.contains("Sensitivity"),
        "{out}"
    );

    history_file(
        &history,
        "2026-02-02T09:15:00Z,19.99,USD,20023\n\
         2026-02-03T10:00:00Z,ten,USD,20003\n",
    );
    let (ok, out, err) = process::run(&[
        "simulate",
        "recovery",
        "--history",
        history.to_str().unwrap(),
    ]);
    assert!(!ok, "{out}");
    assert!(err.contains("line 3, column amount"), "{err}");
}
