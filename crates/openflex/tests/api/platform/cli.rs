//! The CLI beside a running server, on one data directory.

use crate::helpers::unique_id;
use crate::process;
use serde_json::Value;

fn data_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(unique_id("openflex-cli"))
}

#[tokio::test]
async fn merchant_create_json_works_while_serve_runs() {
    let dir = data_dir();
    let db = format!("sqlite://{}", dir.join("openflex.db").display());
    let server = process::start(&dir, &db, "info");
    let console = std::fs::read_to_string(&server.stdout).unwrap();
    let sandbox_key = process::sandbox_api_key(&dir);
    assert!(
        console.contains(&sandbox_key),
        "first start prints the sandbox credentials"
    );
    assert!(console.contains("curl -s"), "and curl examples");
    assert!(
        console.contains("Webhooks may target private and loopback addresses"),
        "and that webhooks may reach this machine (the test servers allow it): {console}"
    );

    let (ok, out, err) = process::run(&[
        "--data-dir",
        dir.to_str().unwrap(),
        "merchant",
        "create",
        "--name",
        "Acme",
        "--json",
    ]);
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "exactly one JSON object on stdout: {out}");
    let v: Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(v["mode"], "sandbox");
    for pointer in [
        "/merchantId",
        "/flexpay/apiKey",
        "/flexfactor/mid",
        "/flexfactor/siteId",
        "/flexfactor/appKey",
        "/flexfactor/appSecret",
        "/flexfactor/tokenizationKey",
        "/flexfactor/webhookKey",
        "/flexiti/clientId",
        "/flexiti/clientSecret",
    ] {
        assert!(
            v.pointer(pointer)
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty()),
            "{pointer} in {v}"
        );
    }

    let client = reqwest::Client::new();
    let key = v["flexpay"]["apiKey"].as_str().unwrap();
    let resp = client
        .get(format!("{}/api/test", server.base))
        .header("Authorization", format!("Basic {key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        200,
        "the running server accepts the new merchant's key"
    );

    let (ok, out, _) = process::run(&[
        "--data-dir",
        dir.to_str().unwrap(),
        "merchant",
        "create",
        "--name",
        "Live Co",
        "--json",
        "--live",
    ]);
    assert!(ok);
    let live: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(live["mode"], "live");

    let (ok, out, _) = process::run(&[
        "--data-dir",
        dir.to_str().unwrap(),
        "merchant",
        "list",
        "--json",
    ]);
    assert!(ok);
    let list: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        list.as_array().unwrap().len(),
        3,
        "sandbox merchant, Acme, Live Co: {list}"
    );

    // Revoking the key through the CLI locks it out of the running server.
    let merchant = v["merchantId"].as_str().unwrap();
    let (ok, out, _) = process::run(&[
        "--data-dir",
        dir.to_str().unwrap(),
        "merchant",
        "credentials",
        "--merchant",
        merchant,
    ]);
    assert!(ok);
    let cred = out
        .lines()
        .find(|l| l.contains("flexpay_api_key"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_string();
    let (ok, _, err) = process::run(&[
        "--data-dir",
        dir.to_str().unwrap(),
        "keys",
        "revoke",
        "--merchant",
        merchant,
        "--credential",
        &cred,
    ]);
    assert!(ok, "{err}");
    let resp = client
        .get(format!("{}/api/test", server.base))
        .header("Authorization", format!("Basic {key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
}

#[tokio::test]
async fn second_start_reuses_keys_and_credentials() {
    let dir = data_dir();
    let db = format!("sqlite://{}", dir.join("openflex.db").display());
    let key = {
        let server = process::start(&dir, &db, "info");
        let key = process::sandbox_api_key(&dir);
        let client = reqwest::Client::new();
        let body = serde_json::json!({"paymentMethod": crate::helpers::vault_card(crate::helpers::VISA, "879")});
        let resp = client
            .post(format!("{}/v1/paymentmethods", server.base))
            .header("Authorization", format!("Basic {key}"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        // Checked while the server runs, so the WAL and shared-memory files exist.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |f: &str| {
                let m = std::fs::metadata(dir.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
                m.permissions().mode() & 0o777
            };
            for f in [
                "master.key",
                "sandbox-credentials.json",
                "openflex.db",
                "openflex.db-wal",
                "openflex.db-shm",
            ] {
                assert_eq!(mode(f), 0o600, "{f}");
            }
        }
        let console = std::fs::read_to_string(&server.stdout).unwrap();
        assert!(console.contains(&key), "the first start prints the new key");
        key
    };
    let secrets: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("sandbox-credentials.json")).unwrap(),
    )
    .unwrap();
    let server = process::start(&dir, &db, "info");
    assert_eq!(
        process::sandbox_api_key(&dir),
        key,
        "same credentials on the second start"
    );
    let console = std::fs::read_to_string(&server.stdout).unwrap();
    for secret in [
        "/flexpay/apiKey",
        "/flexfactor/appSecret",
        "/flexfactor/tokenizationKey",
        "/flexfactor/webhookKey",
        "/flexiti/clientSecret",
        "/portal/password",
    ] {
        let value = secrets.pointer(secret).and_then(Value::as_str).unwrap();
        assert!(!console.contains(value), "second start reprinted {secret}");
    }
    assert!(
        console.contains("sandbox-credentials.json"),
        "later starts say where the secrets are kept: {console}"
    );
    let client = reqwest::Client::new();
    let resp = client
        .get(format!("{}/v1/paymentmethods", server.base))
        .header("Authorization", format!("Basic {key}"))
        .send()
        .await
        .unwrap();
    let v: Value = resp.json().await.unwrap();
    let pm = &v["paymentMethods"][0]["paymentMethod"];
    assert_eq!(
        pm["creditCardNumber"], "492020******9560",
        "data and vault key survive a restart: {v}"
    );

    // The vaulted card still charges after a restart (the master key decrypts it).
    let id = pm["paymentMethodId"].as_str().unwrap();
    let resp = client
        .post(format!("{}/v1/gateways/charge", server.base))
        .header("Authorization", format!("Basic {key}"))
        .json(&crate::helpers::token_payment("restart-1", 500, id))
        .send()
        .await
        .unwrap();
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["transaction"]["responseCode"], "10000", "{v}");
}

#[tokio::test]
async fn rotate_master_rewraps_and_a_running_server_follows() {
    let dir = data_dir();
    let db = format!("sqlite://{}", dir.join("openflex.db").display());
    let server = process::start(&dir, &db, "info");
    let key = process::sandbox_api_key(&dir);
    let client = reqwest::Client::new();
    let body = serde_json::json!({"paymentMethod": crate::helpers::vault_card(crate::helpers::VISA, "879")});
    let id = server.vault(&client, &key, &body).await;

    let (ok, out, err) =
        process::run(&["--data-dir", dir.to_str().unwrap(), "keys", "rotate-master"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("master key v2 is active; re-wrapped 1 data keys"),
        "{out}"
    );

    // The running server meets a data key wrapped by v2 and loads the new ring by itself.
    let v: Value = client
        .post(format!("{}/v1/gateways/charge", server.base))
        .header("Authorization", format!("Basic {key}"))
        .json(&crate::helpers::token_payment("rotated-1", 700, &id))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["transaction"]["responseCode"], "10000", "{v}");

    let (ok, out, err) = process::run(&["--data-dir", dir.to_str().unwrap(), "keys", "retire"]);
    assert!(ok, "{err}");
    assert!(out.contains("retired master key versions [1]"), "{out}");
}

/// The Flexiti operator commands, against a running server's data.
#[tokio::test]
async fn flexiti_plans_and_customers_from_the_cli() {
    let dir = data_dir();
    let db = format!("sqlite://{}", dir.join("openflex.db").display());
    let _server = process::start(&dir, &db, "info");
    let creds: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("sandbox-credentials.json")).unwrap(),
    )
    .unwrap();
    let merchant = creds["merchantId"].as_str().unwrap();
    let d = dir.to_str().unwrap();
    let cli = |args: &[&str]| {
        let mut all = vec!["--data-dir", d, "flexiti"];
        all.extend_from_slice(args);
        let (ok, out, err) = process::run(&all);
        assert!(ok, "{args:?}: {err}");
        serde_json::from_str::<Value>(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
    };
    let customers = cli(&["customers", "--merchant", merchant]);
    assert_eq!(customers.as_array().unwrap().len(), 9);
    assert_eq!(customers[0]["accountNumber"], "20076677");

    let plans = dir.join("plans.json");
    std::fs::write(
        &plans,
        r#"[{"planId": 11, "name": "Eleven", "category": "equal_billing", "aprBp": 0, "terms": [10]}]"#,
    )
    .unwrap();
    let v = cli(&[
        "plans",
        "--merchant",
        merchant,
        "--file",
        plans.to_str().unwrap(),
    ]);
    assert_eq!(v[0]["planId"], 11);
    assert_eq!(cli(&["plans", "--merchant", merchant])[0]["planId"], 11);

    let bad = dir.join("bad.json");
    std::fs::write(
        &bad,
        r#"[{"planId": 0, "name": "", "category": "x", "aprBp": 0, "terms": []}]"#,
    )
    .unwrap();
    let (ok, _, _) = process::run(&[
        "--data-dir",
        d,
        "flexiti",
        "plans",
        "--merchant",
        merchant,
        "--file",
        bad.to_str().unwrap(),
    ]);
    assert!(!ok, "an invalid plan list is refused");

    let new = dir.join("customer.json");
    std::fs::write(
        &new,
        r#"{"firstName": "Cli", "lastName": "User", "dob": "1990-01-01", "postalCode": "M5V2T6", "province": "ON", "riskRating": "L", "creditLimit": 100000}"#,
    )
    .unwrap();
    let created = cli(&[
        "create-customer",
        "--merchant",
        merchant,
        "--file",
        new.to_str().unwrap(),
    ]);
    assert_eq!(created["vccNumber"].as_str().unwrap().len(), 16);
    let account = created["accountNumber"].as_str().unwrap();
    let updated = cli(&[
        "update-customer",
        "--merchant",
        merchant,
        "--account",
        account,
        "--status",
        "F",
        "--risk-rating",
        "M",
    ]);
    assert_eq!(
        (updated["status"].clone(), updated["riskRating"].clone()),
        (Value::from("F"), Value::from("M"))
    );
    let settings = cli(&["settings", "--merchant", merchant]);
    assert_eq!(settings["plans"][0]["planId"], 11);
}

/// A Flexiti client's trusted networks set from the CLI bind a running server's token call at
/// once: the server reads them with the credential on every call.
#[tokio::test]
async fn flexiti_trusted_networks_from_the_cli() {
    let dir = data_dir();
    let db = format!("sqlite://{}", dir.join("openflex.db").display());
    let server = process::start(&dir, &db, "info");
    let creds = process::sandbox_credentials(&dir);
    let merchant = creds["merchantId"].as_str().unwrap();
    let client = creds["flexiti"]["clientId"].as_str().unwrap();
    let secret = creds["flexiti"]["clientSecret"].as_str().unwrap();
    let d = dir.to_str().unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["--data-dir", d, "flexiti"];
        all.extend_from_slice(args);
        process::run(&all)
    };
    let cli = |args: &[&str]| {
        let (ok, out, err) = run(args);
        assert!(ok, "{args:?}: {err}");
        serde_json::from_str::<Value>(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
    };
    let http = reqwest::Client::new();
    let token = || async {
        http.post(format!("{}/flexiti/pos-api/v2.5/oauth/token", server.base))
            .header("x-reference-id", "cli-test")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("client_id={client}&client_secret={secret}"))
            .send()
            .await
            .unwrap()
            .status()
    };

    let clients = cli(&["clients", "--merchant", merchant]);
    assert_eq!(clients[0]["clientId"], client, "{clients}");
    assert_eq!(clients[0]["trustedNetworks"], serde_json::json!([]));
    assert_eq!(token().await, 200);

    let set = [
        "trusted-networks",
        "--merchant",
        merchant,
        "--client",
        client,
    ];
    let v = cli(&[&set[..], &["--set", "203.0.113.0/24,2001:db8::/32"]].concat());
    assert_eq!(
        v["trustedNetworks"],
        serde_json::json!(["203.0.113.0/24", "2001:db8::/32"])
    );
    assert_eq!(token().await, 409, "127.0.0.1 is outside the networks");

    let (ok, _, err) = run(&[&set[..], &["--set", "not-a-network"]].concat());
    assert!(!ok && err.contains("\"not-a-network\""), "{err}");
    let (ok, _, _) = run(&set);
    assert!(!ok, "--set or --clear is required");

    let v = cli(&[&set[..], &["--clear"]].concat());
    assert_eq!(v["trustedNetworks"], serde_json::json!([]));
    assert_eq!(token().await, 200);
}

#[tokio::test]
async fn portal_users_from_the_cli_sign_in() {
    use std::io::Write;
    let dir = data_dir();
    let db = format!("sqlite://{}", dir.join("openflex.db").display());
    let server = process::start(&dir, &db, "info");
    let console = std::fs::read_to_string(&server.stdout).unwrap();
    let creds = process::sandbox_credentials(&dir);
    let sandbox_password = creds["portal"]["password"].as_str().unwrap();
    assert!(
        console.contains("/portal/") && console.contains(sandbox_password),
        "first start prints the portal sign-in: {console}"
    );
    let merchant = creds["merchantId"].as_str().unwrap();
    let dir_arg = dir.to_str().unwrap();
    // The password from standard input.
    let mut child = std::process::Command::new(process::binary())
        .args([
            "--data-dir",
            dir_arg,
            "user",
            "create",
            "--merchant",
            merchant,
        ])
        .args(["--email", "Ops@Shop.example"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a passphrase from stdin\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("usr_"));
    // Too short: refused, naming the rule.
    let out = std::process::Command::new(process::binary())
        .args([
            "--data-dir",
            dir_arg,
            "user",
            "create",
            "--merchant",
            merchant,
        ])
        .args(["--email", "short@shop.example"])
        .env("OPENFLEX_USER_PASSWORD", "short")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("password must be"));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = |email: &'static str, password: &'static str| {
        client
            .post(format!("{}/portal/login", server.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("email={email}&password={password}"))
            .send()
    };
    let resp = login("ops%40shop.example", "a+passphrase+from+stdin")
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        reqwest::StatusCode::SEE_OTHER,
        "emails match regardless of case"
    );
    let cookie = resp
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let resp = login("short%40shop.example", "short").await.unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::UNAUTHORIZED);
    let (ok, out, err) = process::run(&[
        "--data-dir",
        dir_arg,
        "user",
        "list",
        "--merchant",
        merchant,
    ]);
    assert!(ok, "{err}");
    assert!(
        out.contains("ops@shop.example") && out.contains("sandbox+"),
        "{out}"
    );
    assert!(
        !out.contains("argon2"),
        "no password hashes in the listing: {out}"
    );
    let page = |cookie: String| {
        client
            .get(format!("{}/portal/", server.base))
            .header("cookie", cookie)
            .send()
    };
    assert_eq!(
        page(cookie.clone()).await.unwrap().status(),
        reqwest::StatusCode::OK
    );
    let (ok, _, err) = process::run(&[
        "--data-dir",
        dir_arg,
        "user",
        "delete",
        "--merchant",
        merchant,
        "--email",
        "ops@shop.example",
    ]);
    assert!(ok, "{err}");
    assert_eq!(
        page(cookie).await.unwrap().status(),
        reqwest::StatusCode::SEE_OTHER,
        "a removed user's session ends at once"
    );
    let (ok, _, err) = process::run(&[
        "--data-dir",
        dir_arg,
        "user",
        "delete",
        "--merchant",
        merchant,
        "--email",
        "ops@shop.example",
    ]);
    assert!(!ok && err.contains("not found"), "{err}");
}
