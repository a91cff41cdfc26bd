//! First start: the data directory, the vault key ring, the admin token and the sandbox
//! merchant whose credentials the developer copies from the console. Later starts reuse all
//! of them. Files holding secrets are created with mode 0600 in a 0700 directory.

use crate::config::Config;
use anyhow::Context;
use openflex_engine::tenancy::IssuedCredentials;
use openflex_engine::{Engine, Mode};
use serde::Deserialize;
use std::io::Write;
use std::path::Path;

pub fn ensure_data_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("securing {}", dir.display()))?;
    }
    Ok(())
}

pub fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    Ok(())
}

/// The admin token: from config/env, else from `admin.token` in the data directory (created
/// and shown once on first start). Returns the token and whether it was just created.
pub fn admin_token(config: &Config) -> anyhow::Result<(String, bool)> {
    if let Some(t) = config.admin_token.as_ref().filter(|t| !t.trim().is_empty()) {
        return Ok((t.trim().to_string(), false));
    }
    let path = config.data_dir.join("admin.token");
    if path.exists() {
        let t = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        return Ok((t.trim().to_string(), false));
    }
    let t = openflex_vault::random_secret_urlsafe().context("random source")?;
    write_private(&path, &t)?;
    Ok((t, true))
}

/// The sandbox merchant's portal user, as written to `sandbox-credentials.json`.
#[derive(Debug, Clone)]
pub struct PortalLogin {
    pub email: String,
    pub password: String,
}

/// The sandbox merchant of this data directory and its portal user, created on first start.
pub async fn sandbox_merchant(
    config: &Config,
    engine: &Engine,
) -> anyhow::Result<(IssuedCredentials, Option<PortalLogin>, bool)> {
    let path = credentials_file(config);
    if path.exists() {
        let text = std::fs::read_to_string(&path)?;
        let v: serde_json::Value =
            serde_json::from_str(&text).context("sandbox-credentials.json")?;
        let portal = match (v.pointer("/portal/email"), v.pointer("/portal/password")) {
            (Some(e), Some(p)) => e.as_str().zip(p.as_str()).map(|(e, p)| PortalLogin {
                email: e.to_string(),
                password: p.to_string(),
            }),
            _ => None,
        };
        return Ok((
            IssuedCredentials::deserialize(&v).context("sandbox-credentials.json is incomplete")?,
            portal,
            false,
        ));
    }
    let issued = engine
        .create_merchant("Sandbox merchant", Mode::Sandbox)
        .await?;
    // Emails are unique across the database, and several data directories (one per node) may
    // share one: each sandbox merchant's user is named after the merchant.
    let email = format!(
        "sandbox+{}@openflex.test",
        issued.merchant_id.to_lowercase()
    );
    let password = openflex_vault::random_secret_urlsafe().context("random source")?;
    engine
        .create_portal_user(
            &issued.merchant_id,
            &email,
            openflex_domain::Secret::new(password.clone()),
        )
        .await?;
    let mut file = serde_json::to_value(&issued)?;
    file["portal"] = serde_json::json!({"email": email, "password": password});
    write_private(&path, &serde_json::to_string_pretty(&file)?)?;
    let portal = PortalLogin { email, password };
    Ok((issued, Some(portal), true))
}

/// Where the sandbox merchant's credentials are kept (mode 0600).
pub fn credentials_file(config: &Config) -> std::path::PathBuf {
    config.data_dir.join("sandbox-credentials.json")
}

/// The console banner: where it listens (`base`, e.g. `http://127.0.0.1:8080`), the sandbox
/// credentials, whether webhooks may reach this machine's network, and curl examples. Secrets
/// are printed only by the start that created them (`first_start`); later starts say where they
/// are kept, so a console log or a terminal scrollback does not hold them for every restart.
pub fn banner(
    base: &str,
    creds: &IssuedCredentials,
    portal: Option<&PortalLogin>,
    admin: Option<&str>,
    first_start: bool,
    file: &std::path::Path,
    allow_private_webhooks: bool,
) -> String {
    let file = file.display();
    // Later starts' curl examples read the secrets from the file instead of showing them.
    let (key, cs, read_secrets) = if first_start {
        (
            creds.flexpay.api_key.clone(),
            creds.flexiti.client_secret.clone(),
            String::new(),
        )
    } else {
        let read = |var: &str, field: &str| {
            format!(r#"{var}=$(sed -n 's/.*"{field}": "\([^"]*\)".*/\1/p' {file})"#)
        };
        (
            "$KEY".to_string(),
            "$CS".to_string(),
            format!(
                "\x20 {}; {}\n",
                read("KEY", "apiKey"),
                read("CS", "clientSecret")
            ),
        )
    };
    let mut out = format!(
        "\nopenflex is listening on {base}  (API docs: {base}/docs)\n\n\
         Sandbox merchant {merchant}\n",
        merchant = creds.merchant_id,
    );
    if first_start {
        out.push_str(&format!(
            "\x20 FlexPay      apiKey          {key}\n\
             \x20 FlexFactor   mid             {mid}\n\
             \x20              siteId          {site}\n\
             \x20              appKey          {app_key}\n\
             \x20              appSecret       {app_secret}\n\
             \x20              tokenizationKey {tok}\n\
             \x20              webhookKey      {wh}\n\
             \x20 Flexiti      clientId        {cid}\n\
             \x20              clientSecret    {cs}\n\
             These secrets are printed once; they are kept in {file} (mode 0600).\n",
            mid = creds.flexfactor.mid,
            site = creds.flexfactor.site_id,
            app_key = creds.flexfactor.app_key,
            app_secret = creds.flexfactor.app_secret,
            tok = creds.flexfactor.tokenization_key,
            wh = creds.flexfactor.webhook_key,
            cid = creds.flexiti.client_id,
        ));
    } else {
        out.push_str(&format!(
            "\x20 FlexFactor   mid {mid}  siteId {site}  appKey {app_key}\n\
             \x20 Flexiti      clientId {cid}\n\
             \x20 Secrets (FlexPay apiKey, FlexFactor appSecret and keys, Flexiti clientSecret, portal\n\
             \x20 password) were printed at first start and are kept in {file} (mode 0600).\n",
            mid = creds.flexfactor.mid,
            site = creds.flexfactor.site_id,
            app_key = creds.flexfactor.app_key,
            cid = creds.flexiti.client_id,
        ));
    }
    match portal {
        Some(p) if first_start => out.push_str(&format!(
            "\nPortal {base}/portal/  email {}  password {}\n",
            p.email, p.password
        )),
        Some(p) => out.push_str(&format!(
            "\nPortal {base}/portal/  email {}  (password in the credentials file)\n",
            p.email
        )),
        None => out.push_str(&format!(
            "\nPortal {base}/portal/  (add a user: openflex user create --merchant {} --email you@example.com)\n",
            creds.merchant_id
        )),
    }
    if let Some(admin) = admin {
        out.push_str(&format!(
            "\nAdmin token (shown once; also in the data directory's admin.token): {admin}\n"
        ));
    }
    out.push_str(if allow_private_webhooks {
        "\nWebhooks may target private and loopback addresses (allow_private_webhook_targets):\n\
         \x20 fine for a receiver on this machine; turn it off on a server others can reach.\n"
    } else {
        "\nWebhooks to private, loopback and link-local addresses are refused (SSRF guard).\n\
         \x20 For a receiver on this machine: allow_private_webhook_targets = true\n\
         \x20 (or OPENFLEX_ALLOW_PRIVATE_WEBHOOK_TARGETS=true), on a developer's machine only.\n"
    });
    out.push_str(&format!(
        "\nTry it:\n{read_secrets}\
         \x20 curl -s {base}/api/test -H \"Authorization: Basic {key}\"\n\n\
         \x20 curl -s {base}/v1/gateways/charge -H \"Authorization: Basic {key}\" \\\n\
         \x20   -H 'Content-Type: application/json' -d '{{\"transaction\":{{\"merchantTransactionId\":\"order-1-try-1\",\
         \"orderId\":\"order-1\",\"amount\":1999,\"currencyCode\":\"USD\",\"retryCount\":0,\"retainOnSuccess\":true,\
         \"paymentMethod\":{{\"creditCardNumber\":\"4920201996449560\",\"expiryMonth\":\"12\",\"expiryYear\":\"2030\",\
         \"cvv\":\"879\",\"fullName\":\"Ada Lovelace\",\"postalCode\":\"10001\",\"city\":\"New York\",\"state\":\"NY\"}}}}}}'\n\n"
    ));
    out.push_str(&format!(
        "\x20 # Flexiti: a token, then a quote for sandbox customer Jane Doe (account 20076677)\n\
         \x20 curl -s {base}/flexiti/pos-api/v2.5/oauth/token -H 'x-reference-id: demo' \\\n\
         \x20   -d client_id={cid} -d \"client_secret={cs}\"\n\
         \x20 curl -s {base}/flexiti/pos-api/v2.5.1/client-id/{cid}/accounts/20076677/calculate-interest \\\n\
         \x20   -H 'Authorization: Bearer <access_token>' -H 'x-reference-id: demo' \\\n\
         \x20   -H 'Content-Type: application/json' -d '{{\"amount\": 600.00}}'\n\n",
        cid = creds.flexiti.client_id,
    ));
    out
}
