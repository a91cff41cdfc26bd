//! The `openflex` binary as a child process: for what only a real process shows (its console
//! output, its logs, the CLI working beside a running server).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Server {
    child: Child,
    pub base: String,
    pub stdout: PathBuf,
    pub stderr: PathBuf,
}

impl Server {
    /// Vaults `body` (a `POST /v1/paymentmethods` body) with FlexPay key `api_key`; returns the
    /// payment method id.
    pub async fn vault(
        &self,
        client: &reqwest::Client,
        api_key: &str,
        body: &serde_json::Value,
    ) -> String {
        let v: serde_json::Value = client
            .post(format!("{}/v1/paymentmethods", self.base))
            .header("Authorization", format!("Basic {api_key}"))
            .json(body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["transaction"]["paymentMethod"]["paymentMethodId"]
            .as_str()
            .unwrap_or_else(|| panic!("vault: {v}"))
            .to_string()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_openflex")
}

/// `openflex <global args> serve --bind 127.0.0.1:0`, logs at `log_level` into files.
pub fn start(data_dir: &Path, database_url: &str, log_level: &str) -> Server {
    start_with_env(data_dir, database_url, log_level, &[])
}

/// [`start`] with more `OPENFLEX_*` settings in the environment.
// The child is reaped by `Server`'s Drop (or before the panic when it never starts).
#[allow(clippy::zombie_processes)]
pub fn start_with_env(
    data_dir: &Path,
    database_url: &str,
    log_level: &str,
    env: &[(&str, &str)],
) -> Server {
    std::fs::create_dir_all(data_dir).unwrap();
    let stdout = data_dir.join("console.out");
    let stderr = data_dir.join("server.log");
    let mut child = Command::new(binary())
        .args([
            "--data-dir",
            data_dir.to_str().unwrap(),
            "--database-url",
            database_url,
        ])
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("RUST_LOG", log_level)
        .env("OPENFLEX_ADMIN_TOKEN", "leak-test-admin-token")
        // The test receivers listen on 127.0.0.1, as on a developer's machine.
        .env("OPENFLEX_ALLOW_PRIVATE_WEBHOOK_TARGETS", "true")
        .envs(env.iter().copied())
        .stdout(std::fs::File::create(&stdout).unwrap())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .stdin(Stdio::null())
        .spawn()
        .expect("spawn openflex");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let text = std::fs::read_to_string(&stdout).unwrap_or_default();
        if let Some(line) = BufReader::new(text.as_bytes())
            .lines()
            .map_while(Result::ok)
            .find(|l| l.contains("openflex is listening on http://"))
        {
            let url = line
                .split_whitespace()
                .find(|w| w.starts_with("http://"))
                .unwrap()
                .to_string();
            return Server {
                child,
                base: url,
                stdout,
                stderr,
            };
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "server did not start: {}",
                std::fs::read_to_string(&stderr).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs a one-shot CLI command and returns (exit success, stdout, stderr).
pub fn run(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(binary())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run openflex");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The sandbox merchant's credentials the first start wrote into the data directory.
pub fn sandbox_credentials(data_dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(data_dir.join("sandbox-credentials.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The sandbox FlexPay key the first start wrote into the data directory.
pub fn sandbox_api_key(data_dir: &Path) -> String {
    sandbox_credentials(data_dir)["flexpay"]["apiKey"]
        .as_str()
        .unwrap()
        .to_string()
}
