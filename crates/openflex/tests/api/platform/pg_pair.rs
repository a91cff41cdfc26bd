//! A real PostgreSQL primary with a synchronous streaming standby, built from Debian's server
//! binaries in a temporary directory on two free loopback ports, for the failover test.
//!
//! The servers run as the `postgres` user when the tests run as root (initdb refuses root),
//! each in its own process group so that killing the group is the whole server dying at once,
//! as when its machine is lost. Dropping the pair kills whatever is left and removes the
//! directory, also when the test failed.

use crate::helpers::unique_id;
use sqlx::Connection;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The directory of the newest installed server version (`initdb`, `postgres`,
/// `pg_basebackup`), if any.
pub fn server_binaries() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let e = e.ok()?;
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

/// The uid and gid to run the servers as: `postgres` when we are root, else ourselves.
fn server_user() -> Option<(u32, u32)> {
    let id = |flag: &str, user: Option<&str>| -> u32 {
        let out = Command::new("id").arg(flag).args(user).output().unwrap();
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
    };
    (id("-u", None) == 0).then(|| (id("-u", Some("postgres")), id("-g", Some("postgres"))))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Server {
    pub port: u16,
    child: Option<Child>,
}

impl Server {
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// SIGKILL to the server's whole process group: postmaster and backends die together.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub struct Pair {
    root: PathBuf,
    bin: PathBuf,
    user: Option<(u32, u32)>,
    pub primary: Server,
    pub standby: Server,
}

impl Pair {
    /// initdb, start the primary, copy it with pg_basebackup, start the standby streaming from
    /// it, then make the standby synchronous and wait until the primary reports it so.
    pub async fn start(bin: PathBuf) -> Self {
        let root = std::env::temp_dir().join(unique_id("openflex-pgpair"));
        std::fs::create_dir_all(&root).unwrap();
        let user = server_user();
        if let Some((uid, gid)) = user {
            std::os::unix::fs::chown(&root, Some(uid), Some(gid)).unwrap();
        }
        let mut pair = Self {
            root,
            bin,
            user,
            primary: Server {
                port: free_port(),
                child: None,
            },
            standby: Server {
                port: free_port(),
                child: None,
            },
        };
        let primary_dir = pair.root.join("primary");
        let standby_dir = pair.root.join("standby");
        pair.run(
            "initdb",
            &[
                "-D",
                primary_dir.to_str().unwrap(),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
        );
        let port = pair.primary.port;
        pair.primary.child = Some(pair.postgres(&primary_dir, port, &[]));
        wait_ready(&pair.primary.url()).await;

        pair.run(
            "pg_basebackup",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-U",
                "postgres",
                "-D",
                standby_dir.to_str().unwrap(),
                "-X",
                "stream",
                "--no-sync",
            ],
        );
        pair.create_as_server(&standby_dir.join("standby.signal"));
        let conninfo = format!(
            "primary_conninfo=host=127.0.0.1 port={port} user=postgres application_name=standby1"
        );
        let standby_port = pair.standby.port;
        pair.standby.child = Some(pair.postgres(&standby_dir, standby_port, &[&conninfo]));
        wait_ready(&pair.standby.url()).await;

        // Synchronous from now on; the setting lives in the primary's own auto.conf, which the
        // standby's copy predates, so the standby, once promoted, waits for no one.
        let mut db = sqlx::PgConnection::connect(&pair.primary.url())
            .await
            .unwrap();
        for sql in [
            "ALTER SYSTEM SET synchronous_standby_names = 'standby1'",
            "ALTER SYSTEM SET synchronous_commit = 'on'",
            "SELECT pg_reload_conf()",
        ] {
            sqlx::query(sql).execute(&mut db).await.unwrap();
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let state: Option<String> = sqlx::query_scalar(
                "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby1'",
            )
            .fetch_optional(&mut db)
            .await
            .unwrap();
            if state.as_deref() == Some("sync") {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the standby never became synchronous ({state:?}): {}",
                pair.logs()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        pair
    }

    /// Promotes the standby and waits until it accepts writes.
    pub async fn promote(&self) {
        let mut db = sqlx::PgConnection::connect(&self.standby.url())
            .await
            .unwrap();
        let done: bool = sqlx::query_scalar("SELECT pg_promote(true, 30)")
            .fetch_one(&mut db)
            .await
            .unwrap();
        assert!(done, "promotion did not finish: {}", self.logs());
    }

    /// Both servers' logs, for a failure message.
    pub fn logs(&self) -> String {
        ["primary.log", "standby.log"]
            .iter()
            .map(|f| {
                let text = std::fs::read_to_string(self.root.join(f)).unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(30).collect();
                format!(
                    "--- {f}\n{}",
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(self.bin.join(program));
        cmd.current_dir(&self.root).stdin(Stdio::null());
        if let Some((uid, gid)) = self.user {
            cmd.uid(uid).gid(gid);
        }
        cmd
    }

    /// Runs a setup tool to completion; a failure fails the test with its output.
    fn run(&self, program: &str, args: &[&str]) {
        let out = self.command(program).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{program} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Creates an empty file owned by the servers' user.
    fn create_as_server(&self, path: &Path) {
        std::fs::write(path, b"").unwrap();
        if let Some((uid, gid)) = self.user {
            std::os::unix::fs::chown(path, Some(uid), Some(gid)).unwrap();
        }
    }

    /// `postgres` on `port`, loopback only, in its own process group, logging to
    /// `<data dir name>.log` beside the data directory.
    fn postgres(&self, dir: &Path, port: u16, extra: &[&str]) -> Child {
        let name = dir.file_name().unwrap().to_str().unwrap();
        let log = std::fs::File::create(self.root.join(format!("{name}.log"))).unwrap();
        let mut cmd = self.command("postgres");
        cmd.args(["-D", dir.to_str().unwrap(), "-p", &port.to_string()])
            .args(["-c", "listen_addresses=127.0.0.1"])
            .args([
                "-c",
                &format!("unix_socket_directories={}", self.root.display()),
            ])
            .args(["-c", "wal_level=replica", "-c", "max_wal_senders=5"])
            .args(["-c", "shared_buffers=32MB", "-c", "max_connections=60"]);
        for e in extra {
            cmd.args(["-c", e]);
        }
        cmd.stdout(log.try_clone().unwrap())
            .stderr(log)
            .process_group(0)
            .spawn()
            .expect("start postgres")
    }
}

async fn wait_ready(url: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match sqlx::PgConnection::connect(url).await {
            Ok(c) => {
                let _ = c.close().await;
                return;
            }
            Err(e) => assert!(Instant::now() < deadline, "{url} never came up: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        self.primary.kill();
        self.standby.kill();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}
