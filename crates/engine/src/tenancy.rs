//! Merchants, their credentials per mode, authentication, and the sandbox test clock.
//!
//! Secrets are random 256-bit values shown once at issue time and stored as
//! HMAC-SHA256(pepper, secret); lookup is by that hash, so a request costs one indexed read and
//! no password hashing. The webhook signing key must be recoverable to sign, so it is sealed
//! by the vault's master key instead.

use crate::{Engine, EngineError, Mode, Result, Tenant, ids, micros};
use openflex_domain::time::rfc3339;
use openflex_store::{CredentialRow, GatewayRow, MerchantRow, Store};
use serde::{Deserialize, Serialize};

pub mod kind {
    pub const FLEXPAY_API_KEY: &str = "flexpay_api_key";
    pub const FLEXFACTOR_MID: &str = "flexfactor_mid";
    pub const FLEXFACTOR_SITE: &str = "flexfactor_site";
    pub const FLEXFACTOR_APP: &str = "flexfactor_app";
    pub const FLEXFACTOR_TOKENIZATION: &str = "flexfactor_tokenization";
    pub const FLEXFACTOR_WEBHOOK: &str = "flexfactor_webhook";
    pub const FLEXITI_CLIENT: &str = "flexiti_client";
}

/// Credentials as issued: the only time the secrets exist outside the caller's hands. Their
/// Debug names the merchant and mode only, so no `{:?}` can print a secret.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuedCredentials {
    pub merchant_id: String,
    pub mode: String,
    pub flexpay: FlexPayCredentials,
    pub flexfactor: FlexFactorCredentials,
    pub flexiti: FlexitiCredentials,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlexPayCredentials {
    pub api_key: String,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlexFactorCredentials {
    pub mid: String,
    pub site_id: String,
    pub app_key: String,
    pub app_secret: String,
    pub tokenization_key: String,
    pub webhook_key: String,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlexitiCredentials {
    pub client_id: String,
    pub client_secret: String,
}

impl std::fmt::Debug for IssuedCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedCredentials")
            .field("merchant_id", &self.merchant_id)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

/// A credential as listed (never the secret).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialInfo {
    pub id: String,
    pub mode: String,
    pub kind: String,
    pub public_id: Option<String>,
    /// The name given when its set was issued; `None` for none (and for older credentials).
    pub name: Option<String>,
    /// The secret's last four characters ("…abcd"); `None` without a secret or for older
    /// credentials.
    pub preview: Option<String>,
    #[serde(serialize_with = "openflex_domain::time::as_rfc3339")]
    pub created_at: time::OffsetDateTime,
    /// When it last authenticated a request, to within a minute; `None` when never.
    #[serde(serialize_with = "openflex_domain::time::as_rfc3339_opt")]
    pub last_used_at: Option<time::OffsetDateTime>,
    pub revoked: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MerchantInfo {
    pub merchant_id: String,
    pub name: String,
    pub created_at: String,
    pub clock_offset_seconds: i64,
}

impl Engine {
    /// Creates a merchant and issues its credentials for `mode`. A sandbox merchant also gets
    /// its default sandbox gateway.
    pub async fn create_merchant(&self, name: &str, mode: Mode) -> Result<IssuedCredentials> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 || name.contains('\0') {
            return Err(EngineError::Invalid(
                "name must be 1 to 200 characters".into(),
            ));
        }
        let now = micros(self.now());
        let merchant = MerchantRow {
            id: ids::guid(),
            name: name.to_string(),
            clock_offset_us: 0,
            created_at: now,
            settings: "{}".into(),
        };
        let mut tx = self.store.begin().await?;
        Store::insert_merchant(&mut tx, &merchant).await?;
        let issued = self.issue_into(&mut tx, &merchant.id, mode, None).await?;
        tx.commit().await?;
        Ok(issued)
    }

    /// Issues a fresh set of credentials for an existing merchant (rotation: the old set stays
    /// valid until revoked), under the name the merchant gives it, if any.
    pub async fn issue_credentials(
        &self,
        merchant_id: &str,
        mode: Mode,
        name: Option<&str>,
    ) -> Result<IssuedCredentials> {
        let name = openflex_domain::key_label::name(name).map_err(EngineError::Invalid)?;
        if self.store.merchant(merchant_id).await?.is_none() {
            return Err(EngineError::NotFound);
        }
        let mut tx = self.store.begin().await?;
        let issued = self.issue_into(&mut tx, merchant_id, mode, name).await?;
        tx.commit().await?;
        // A first sandbox set also gives the merchant its sandbox gateway.
        self.store.config_changed();
        Ok(issued)
    }

    async fn issue_into(
        &self,
        tx: &mut openflex_store::Tx,
        merchant_id: &str,
        mode: Mode,
        name: Option<String>,
    ) -> Result<IssuedCredentials> {
        let now = micros(self.now());
        let api_key = openflex_vault::random_secret_b64()?;
        let app_secret = openflex_vault::random_secret_urlsafe()?;
        let tokenization_key = openflex_vault::random_secret_urlsafe()?;
        let webhook_key = openflex_vault::random_secret_b64()?;
        let client_secret = openflex_vault::random_secret_urlsafe()?;
        let (mid, site_id, app_key, client_id) =
            (ids::guid(), ids::guid(), ids::guid(), ids::guid());
        let row = |kind: &str, public_id: Option<&str>, secret: Option<&str>| CredentialRow {
            id: self.ids.next(),
            merchant_id: merchant_id.to_string(),
            mode: mode.as_str().to_string(),
            kind: kind.to_string(),
            public_id: public_id.map(str::to_string),
            secret_hash: secret.map(|s| self.vault.hash_secret(s)),
            sealed_secret: None,
            kek_version: None,
            created_at: now,
            revoked_at: None,
            trusted_networks: None,
            name: name.clone(),
            preview: secret.map(openflex_domain::key_label::preview),
        };
        let mut rows = vec![
            row(kind::FLEXPAY_API_KEY, None, Some(&api_key)),
            row(kind::FLEXFACTOR_MID, Some(&mid), None),
            row(kind::FLEXFACTOR_SITE, Some(&site_id), None),
            row(kind::FLEXFACTOR_APP, Some(&app_key), Some(&app_secret)),
            row(
                kind::FLEXFACTOR_TOKENIZATION,
                Some(&mid),
                Some(&tokenization_key),
            ),
            row(kind::FLEXITI_CLIENT, Some(&client_id), Some(&client_secret)),
        ];
        let mut webhook = row(kind::FLEXFACTOR_WEBHOOK, Some(&mid), None);
        self.seal_webhook_key(&mut webhook, &webhook_key)?;
        rows.push(webhook);
        for r in &rows {
            Store::insert_credential(tx, r).await?;
        }
        if mode == Mode::Sandbox {
            let merchant = MerchantRow {
                id: merchant_id.to_string(),
                name: String::new(),
                clock_offset_us: 0,
                created_at: now,
                settings: "{}".into(),
            };
            self.seed_sandbox_customers(tx, &Tenant::of(&merchant, mode))
                .await?;
        }
        if mode == Mode::Sandbox && !self.has_sandbox_gateway(merchant_id).await? {
            Store::insert_gateway(
                tx,
                &GatewayRow {
                    token: self.ids.next(),
                    merchant_id: merchant_id.to_string(),
                    mode: Mode::Sandbox.as_str().to_string(),
                    name: "Sandbox".to_string(),
                    gateway_type: "sandbox".to_string(),
                    merchant_account_reference_id: Some("sandbox".to_string()),
                    status: "Available".to_string(),
                    accepted_currencies: String::new(),
                    accepted_cards: String::new(),
                    weight: 1,
                    accept_retries: true,
                    cvv_required: false,
                    settings_kek_version: None,
                    settings_sealed: None,
                    created_at: now,
                },
            )
            .await?;
        }
        Ok(IssuedCredentials {
            merchant_id: merchant_id.to_string(),
            mode: mode.as_str().to_string(),
            flexpay: FlexPayCredentials { api_key },
            flexfactor: FlexFactorCredentials {
                mid,
                site_id,
                app_key,
                app_secret,
                tokenization_key,
                webhook_key,
            },
            flexiti: FlexitiCredentials {
                client_id,
                client_secret,
            },
        })
    }

    async fn has_sandbox_gateway(&self, merchant_id: &str) -> Result<bool> {
        Ok(!self
            .store
            .gateways(merchant_id, Mode::Sandbox.as_str())
            .await?
            .is_empty())
    }

    pub async fn merchants(&self) -> Result<Vec<MerchantInfo>> {
        Ok(self
            .store
            .merchants()
            .await?
            .into_iter()
            .map(|m| MerchantInfo {
                merchant_id: m.id,
                name: m.name,
                created_at: rfc3339(crate::from_micros(m.created_at)),
                clock_offset_seconds: m.clock_offset_us / 1_000_000,
            })
            .collect())
    }

    pub async fn merchant(&self, id: &str) -> Result<MerchantInfo> {
        let m = self
            .store
            .merchant(id)
            .await?
            .ok_or(EngineError::NotFound)?;
        Ok(MerchantInfo {
            merchant_id: m.id,
            name: m.name,
            created_at: rfc3339(crate::from_micros(m.created_at)),
            clock_offset_seconds: m.clock_offset_us / 1_000_000,
        })
    }

    pub async fn credentials(&self, merchant_id: &str) -> Result<Vec<CredentialInfo>> {
        if self.store.merchant(merchant_id).await?.is_none() {
            return Err(EngineError::NotFound);
        }
        let used: std::collections::HashMap<String, i64> = self
            .store
            .credential_last_used(merchant_id)
            .await?
            .into_iter()
            .collect();
        Ok(self
            .store
            .credentials_of(merchant_id)
            .await?
            .into_iter()
            .map(|c| CredentialInfo {
                last_used_at: used.get(&c.id).map(|&t| crate::from_micros(t)),
                id: c.id,
                mode: c.mode,
                kind: c.kind,
                public_id: c.public_id,
                name: c.name,
                preview: c.preview,
                created_at: crate::from_micros(c.created_at),
                revoked: c.revoked_at.is_some(),
            })
            .collect())
    }

    pub async fn revoke_credential(&self, merchant_id: &str, credential_id: &str) -> Result<()> {
        if self
            .store
            .revoke_credential(merchant_id, credential_id, micros(self.now()))
            .await?
        {
            Ok(())
        } else {
            Err(EngineError::NotFound)
        }
    }

    /// Resolves a secret of `kind` to its merchant and mode; `None` for unknown or revoked.
    pub async fn authenticate(&self, kind: &str, secret: &str) -> Result<Option<Tenant>> {
        if secret.is_empty() || secret.len() > 512 {
            return Ok(None);
        }
        self.authenticate_hash(kind, &self.vault.hash_secret(secret))
            .await
    }

    async fn authenticate_hash(&self, kind: &str, hash: &str) -> Result<Option<Tenant>> {
        let Some((cred, merchant)) = self.store.credential_by_secret(kind, hash).await? else {
            return Ok(None);
        };
        let tenant = tenant_of(&cred, &merchant, hash)?;
        if tenant.is_some() {
            self.note_use(&cred.id);
        }
        Ok(tenant)
    }

    /// [`Engine::authenticate`] through the node's configuration cache, for the payment use
    /// cases only: their first write checks that nothing changed since the cache read its
    /// answers (see `openflex_store::config_cache`), and a payment refused before writing
    /// checks it too, so a key revoked on another node a moment ago is never honoured.
    pub async fn authenticate_for_payment(
        &self,
        kind: &'static str,
        secret: &str,
    ) -> Result<Option<Tenant>> {
        if secret.is_empty() || secret.len() > 512 {
            return Ok(None);
        }
        let hash = self.vault.hash_secret(secret);
        let Some(hit) = self.store.cached_credential(kind, &hash).await? else {
            return Ok(None);
        };
        let (cred, merchant) = &*hit.value;
        let Some(mut tenant) = tenant_of(cred, merchant, &hash)? else {
            return Ok(None);
        };
        self.note_use(&cred.id);
        tenant.cached = Some(crate::CachedAuth {
            kind,
            secret_hash: hash,
            generation: hit.generation,
        });
        Ok(Some(tenant))
    }

    /// The tenant of a cached one, read afresh (not through the cache); `Unauthorized` when
    /// its credential is no longer valid.
    pub(crate) async fn reauthenticate(&self, t: &Tenant) -> Result<Tenant> {
        let Some(c) = &t.cached else {
            return Ok(t.clone());
        };
        self.store.config_changed();
        self.authenticate_hash(c.kind, &c.secret_hash)
            .await?
            .ok_or(EngineError::Unauthorized)
    }

    /// Whether the configuration a cached tenant was read at is still current.
    pub(crate) async fn config_unchanged(&self, t: &Tenant) -> Result<bool> {
        match &t.cached {
            Some(c) => Ok(self.store.config_generation().await? == c.generation),
            None => Ok(true),
        }
    }

    /// Moves a merchant's sandbox clock forward by `seconds`; returns the new offset in seconds.
    pub async fn advance_clock(&self, merchant_id: &str, seconds: i64) -> Result<i64> {
        if !(0..=366 * 24 * 3600).contains(&seconds) {
            return Err(EngineError::Invalid(
                "advanceSeconds must be between 0 and 31622400".into(),
            ));
        }
        let offset = self
            .store
            .advance_clock(merchant_id, seconds * 1_000_000)
            .await?
            .ok_or(EngineError::NotFound)?;
        Ok(offset / 1_000_000)
    }
}

/// Merchant settings (retry policy, risk rules): one JSON document on the merchant row.
impl Engine {
    pub(crate) async fn settings_of(&self, merchant_id: &str) -> Result<crate::MerchantSettings> {
        let m = self
            .store
            .merchant(merchant_id)
            .await?
            .ok_or(EngineError::NotFound)?;
        Ok(serde_json::from_str(&m.settings).unwrap_or_default())
    }

    pub(crate) async fn change_settings(
        &self,
        merchant_id: &str,
        change: impl FnOnce(&mut crate::MerchantSettings),
    ) -> Result<()> {
        let mut settings = self.settings_of(merchant_id).await?;
        change(&mut settings);
        let text =
            serde_json::to_string(&settings).map_err(|e| EngineError::Internal(e.to_string()))?;
        self.store.set_merchant_settings(merchant_id, &text).await?;
        Ok(())
    }

    /// A merchant's retry policy.
    pub async fn retry_policy(
        &self,
        merchant_id: &str,
    ) -> Result<openflex_domain::retry_policy::Policy> {
        Ok(self.settings_of(merchant_id).await?.retry_policy)
    }

    /// Replaces a merchant's retry policy (within the card-network ceilings).
    pub async fn set_retry_policy(
        &self,
        merchant_id: &str,
        policy: openflex_domain::retry_policy::Policy,
    ) -> Result<openflex_domain::retry_policy::Policy> {
        policy.validate().map_err(EngineError::Invalid)?;
        let stored = policy.clone();
        self.change_settings(merchant_id, |s| s.retry_policy = stored)
            .await?;
        Ok(policy)
    }

    /// A merchant's risk rules.
    pub async fn risk_rules(&self, merchant_id: &str) -> Result<openflex_domain::risk::RiskRules> {
        Ok(self.settings_of(merchant_id).await?.risk_rules)
    }

    /// Replaces a merchant's risk rules.
    pub async fn set_risk_rules(
        &self,
        merchant_id: &str,
        rules: openflex_domain::risk::RiskRules,
    ) -> Result<openflex_domain::risk::RiskRules> {
        for list in [
            &rules.blocked_fingerprints,
            &rules.blocked_ips,
            &rules.blocked_emails,
            &rules.blocked_phones,
        ] {
            if list.len() > 10_000
                || list
                    .iter()
                    .any(|v| v.is_empty() || v.len() > 256 || v.contains('\0'))
            {
                return Err(EngineError::Invalid(
                    "block lists take at most 10000 non-empty entries of at most 256 characters"
                        .into(),
                ));
            }
        }
        let stored = rules.clone();
        self.change_settings(merchant_id, |s| s.risk_rules = stored)
            .await?;
        Ok(rules)
    }
}

/// The tenant a credential row speaks for, once its hash is confirmed in constant time.
fn tenant_of(
    cred: &openflex_store::CredentialRow,
    merchant: &openflex_store::MerchantRow,
    hash: &str,
) -> Result<Option<Tenant>> {
    let stored = cred.secret_hash.as_deref().unwrap_or_default();
    if !openflex_vault::constant_time_eq(stored.as_bytes(), hash.as_bytes()) {
        return Ok(None);
    }
    let mode = Mode::parse(&cred.mode)
        .ok_or_else(|| EngineError::Internal(format!("credential {} has bad mode", cred.id)))?;
    Ok(Some(Tenant::of(merchant, mode)))
}
