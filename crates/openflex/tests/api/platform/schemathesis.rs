//! Hostile input at scale: schemathesis (PyPI) generates requests from the served OpenAPI
//! document for every operation of each dialect, with valid credentials, and checks that no
//! answer is a 5xx and none violates its documented schema. Seeded, so a run is repeatable;
//! bounded by `-n` examples per operation. The pinned schemathesis is installed from PyPI
//! (`python3 -m pip`) the first time, so `cargo test` stays the one command that runs everything.

use crate::flexfactor::ff::token;
use crate::flexiti::fx;
use crate::helpers::{Backend, spawn_app};

const SCHEMATHESIS: &str = "schemathesis==4.32.5";

/// The `st` executable of the pinned schemathesis, installed when missing.
async fn executable() -> std::path::PathBuf {
    let scripts = tokio::process::Command::new("python3")
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_path('scripts'))",
        ])
        .output()
        .await
        .expect("python3 is needed for the schemathesis test");
    let st = std::path::PathBuf::from(String::from_utf8_lossy(&scripts.stdout).trim()).join("st");
    let version = tokio::process::Command::new(&st)
        .arg("--version")
        .output()
        .await;
    if !version.is_ok_and(|v| String::from_utf8_lossy(&v.stdout).contains("4.32.5")) {
        let install = tokio::process::Command::new("python3")
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .arg(SCHEMATHESIS)
            .env("PIP_ROOT_USER_ACTION", "ignore")
            .output()
            .await
            .expect("python3 -m pip");
        assert!(
            install.status.success(),
            "installing {SCHEMATHESIS} from PyPI failed: {}",
            String::from_utf8_lossy(&install.stderr)
        );
    }
    st
}

async fn st(base: &str, name: &str, args: &[&str]) {
    let out = tokio::process::Command::new(executable().await)
        .arg("run")
        .arg(format!("{base}/openapi.json"))
        .args(["-c", "not_a_server_error,response_schema_conformance"])
        // One worker: with two, hypothesis parses lambdas' source on two threads at once, and
        // CPython 3.11's AST module can fail that with "AST constructor recursion depth
        // mismatch" — a crash of the tool, reported as an error of the operation it was drawing.
        .args(["-n", "15", "--seed", "1", "--max-failures", "20", "-w", "1"])
        .args(args)
        .env("NO_COLOR", "1")
        // Its example cache and reports stay out of the source tree.
        .current_dir(std::env::temp_dir())
        .output()
        .await
        .unwrap_or_else(|e| panic!("running schemathesis ({SCHEMATHESIS}): {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("generated") || l.contains("ST1") || l.contains("Failures"))
        .collect();
    eprintln!("schemathesis {name}: {}", summary.join(" | "));
    assert!(
        out.status.success(),
        "schemathesis found problems in {name}:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_requests_get_no_5xx_and_schema_conforming_answers() {
    let app = spawn_app(Backend::Postgres).await;
    let basic = format!("Authorization: Basic {}", app.api_key);
    st(
        &app.base,
        "FlexPay",
        &["-H", &basic, "--include-tag-regex", "^FlexPay"],
    )
    .await;

    let bearer = format!("Authorization: Bearer {}", token(&app).await);
    st(
        &app.base,
        "FlexFactor",
        &["-H", &bearer, "--include-tag", "FlexFactor"],
    )
    .await;

    let bearer = format!(
        "Authorization: Bearer {}",
        fx::token(&app, "merchant").await
    );
    st(
        &app.base,
        "Flexiti",
        &[
            "-H",
            &bearer,
            "-H",
            "x-reference-id: schemathesis",
            "--include-tag",
            "Flexiti",
        ],
    )
    .await;
}
