//! Flexiti OAuth: client credentials (or a refresh token) → an opaque 40-hex bearer token that
//! lives 20 minutes. Why opaque and stored (unlike FlexFactor's JWTs): the vendor documents
//! opaque tokens, and a stored token can be revoked one by one; it is kept only as an HMAC, so
//! a database dump holds no usable token. A refresh rotates the pair (the old one is revoked)
//! and is refused once the access token expired, as the vendor's rule says. A refresh also
//! authenticates the client, as OAuth 2 requires of confidential clients (RFC 6749 §6): a
//! refresh token alone, leaked from a log or a proxy, mints nothing.
//!
//! Every way in also passes the client's trust rule (`openflex_domain::financing::trust`):
//! HTTPS in live mode, and the client's trusted networks for its credentials and merchant
//! tokens. It runs after the credentials are known good, because the mode and the networks are
//! the credential's, and before anything is minted.

use super::{FlexitiCaller, FlexitiResult, Origin, Refusal, Scope, clients};
use crate::tenancy::kind;
use crate::{Engine, Mode, Tenant, micros};
use openflex_domain::financing::trust::{self, Presented};
use openflex_store::FlexitiTokenRow;
use std::time::Duration;

/// Token lifetime (docs/flexiti.md Decision 2).
pub const TOKEN_TTL: Duration = Duration::from_secs(20 * 60);

/// A token pair as issued.
#[derive(Debug, Clone)]
pub struct FlexitiTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u64,
    pub scope: Scope,
}

pub(super) fn hex_token() -> crate::Result<String> {
    Ok(data_encoding::HEXLOWER.encode(&openflex_vault::random_bytes::<20>()?))
}

/// An active Flexiti client credential.
struct Client {
    credential_id: String,
    tenant: Tenant,
    /// As stored (see [`clients`]).
    trusted_networks: Option<String>,
}

impl Client {
    /// The trust rule for a call made with the client's own credentials.
    fn admit(&self, client_id: &str, origin: Origin) -> FlexitiResult<()> {
        admit(
            &self.tenant,
            client_id,
            self.trusted_networks.as_deref(),
            Presented::MerchantPowers,
            origin,
        )
    }
}

/// The client's trust rule for a call that `presented` these powers from `origin`.
fn admit(
    tenant: &Tenant,
    client_id: &str,
    trusted_networks: Option<&str>,
    presented: Presented,
    origin: Origin,
) -> FlexitiResult<()> {
    let networks = clients::stored_networks(trusted_networks)?;
    trust::admit(tenant.mode == Mode::Live, &networks, presented, origin).map_err(|why| {
        tracing::info!(client_id, ?why, address = ?origin.address, "Flexiti call refused for where it came from");
        Refusal::distrusted(why).into()
    })
}

impl Engine {
    /// The active Flexiti client credential with this id and secret.
    async fn flexiti_client(&self, client_id: &str, secret: &str) -> crate::Result<Option<Client>> {
        if client_id.is_empty() || client_id.len() > 200 || secret.len() > 512 {
            return Ok(None);
        }
        let given = self.vault.hash_secret(secret);
        for cred in self
            .store
            .credentials_by_public_id(kind::FLEXITI_CLIENT, client_id)
            .await?
        {
            let stored = cred.secret_hash.as_deref().unwrap_or_default();
            if openflex_vault::constant_time_eq(stored.as_bytes(), given.as_bytes()) {
                let Some(merchant) = self.store.merchant(&cred.merchant_id).await? else {
                    return Ok(None);
                };
                let mode = Mode::parse(&cred.mode).unwrap_or(Mode::Live);
                return Ok(Some(Client {
                    credential_id: cred.id,
                    tenant: Tenant::of(&merchant, mode),
                    trusted_networks: cred.trusted_networks,
                }));
            }
        }
        Ok(None)
    }

    async fn flexiti_mint(
        &self,
        credential_id: &str,
        scope: Scope,
    ) -> crate::Result<FlexitiTokens> {
        let access_token = hex_token()?;
        let refresh_token = hex_token()?;
        let now = micros(self.now());
        self.store
            .purge_flexiti_tokens(credential_id, now - 24 * 3600 * 1_000_000)
            .await?;
        self.store
            .insert_flexiti_token(&FlexitiTokenRow {
                token_hash: self.vault.hash_secret(&access_token),
                refresh_hash: self.vault.hash_secret(&refresh_token),
                credential_id: credential_id.to_string(),
                scope: scope.as_str().to_string(),
                expires_at: now + TOKEN_TTL.as_micros() as i64,
                revoked_at: None,
                created_at: now,
            })
            .await?;
        Ok(FlexitiTokens {
            access_token,
            refresh_token,
            expires_in: TOKEN_TTL.as_secs(),
            scope,
        })
    }

    /// `grant_type=client_credentials`, from `origin`.
    pub async fn flexiti_token(
        &self,
        client_id: &str,
        secret: &str,
        scope: Scope,
        origin: Origin,
    ) -> FlexitiResult<FlexitiTokens> {
        let Some(client) = self.flexiti_client(client_id, secret).await? else {
            return Err(Refusal::new("invalid_client").into());
        };
        if !client.tenant.flexiti.enabled {
            return Err(Refusal::new("invalid_role").into());
        }
        client.admit(client_id, origin)?;
        // A use is a call that got in: a right secret from an untrusted network is not one.
        self.note_use(&client.credential_id);
        Ok(self.flexiti_mint(&client.credential_id, scope).await?)
    }

    /// `grant_type=refresh_token`: the client's own credentials and a refresh token issued to
    /// it, only while the access token is still valid.
    pub async fn flexiti_refresh(
        &self,
        refresh_token: &str,
        client_id: &str,
        secret: &str,
        origin: Origin,
    ) -> FlexitiResult<FlexitiTokens> {
        let Some(client) = self.flexiti_client(client_id, secret).await? else {
            return Err(Refusal::new("invalid_client").into());
        };
        let credential_id = client.credential_id.clone();
        let hash = self.vault.hash_secret(refresh_token);
        let now = micros(self.now());
        let Some(found) = self.store.flexiti_token(true, &hash).await? else {
            return Err(Refusal::on("invalid_grant", "refresh_token").into());
        };
        if found.token.revoked_at.is_some()
            || found.token.expires_at <= now
            || found.token.credential_id != credential_id
        {
            return Err(Refusal::on("invalid_grant", "refresh_token").into());
        }
        let mode = Mode::parse(&found.mode).unwrap_or(Mode::Live);
        if !Tenant::of(&found.merchant, mode).flexiti.enabled {
            return Err(Refusal::new("invalid_role").into());
        }
        client.admit(client_id, origin)?;
        self.note_use(&credential_id);
        if !self
            .store
            .revoke_flexiti_token(&found.token.token_hash, now)
            .await?
        {
            return Err(Refusal::on("invalid_grant", "refresh_token").into());
        }
        let scope = Scope::parse(&found.token.scope).unwrap_or(Scope::Customer);
        Ok(self.flexiti_mint(&found.token.credential_id, scope).await?)
    }

    /// Checks a bearer token: unknown, expired, revoked, or of a revoked client → `invalid_token`;
    /// then the client's trust rule for a call from `origin`.
    pub async fn flexiti_authenticate(
        &self,
        bearer: &str,
        origin: Origin,
    ) -> FlexitiResult<FlexitiCaller> {
        if bearer.is_empty() || bearer.len() > 200 {
            return Err(Refusal::new("invalid_token").into());
        }
        let hash = self.vault.hash_secret(bearer);
        let Some(found) = self.store.flexiti_token(false, &hash).await? else {
            return Err(Refusal::new("invalid_token").into());
        };
        if found.token.revoked_at.is_some() || found.token.expires_at <= micros(self.now()) {
            return Err(Refusal::new("invalid_token").into());
        }
        let mode = Mode::parse(&found.mode).unwrap_or(Mode::Live);
        let tenant = Tenant::of(&found.merchant, mode);
        if !tenant.flexiti.enabled {
            return Err(Refusal::new("invalid_role").into());
        }
        let scope = Scope::parse(&found.token.scope).unwrap_or(Scope::Customer);
        let presented = match scope {
            Scope::Merchant => Presented::MerchantPowers,
            Scope::Customer => Presented::CustomerToken,
        };
        admit(
            &tenant,
            &found.client_id,
            found.trusted_networks.as_deref(),
            presented,
            origin,
        )?;
        Ok(FlexitiCaller {
            tenant,
            client_id: found.client_id,
            scope,
            merchant_name: found.merchant.name,
        })
    }

    /// Whether `client_id`/`secret` are an active Flexiti client of `merchant_id`.
    pub(crate) async fn flexiti_client_matches(
        &self,
        client_id: &str,
        secret: &str,
        merchant_id: &str,
    ) -> crate::Result<bool> {
        Ok(self
            .flexiti_client(client_id, secret)
            .await?
            .is_some_and(|c| c.tenant.merchant_id == merchant_id))
    }

    /// Revokes a bearer token (logout); false when it was not active.
    pub async fn flexiti_revoke(&self, bearer: &str) -> crate::Result<bool> {
        let hash = self.vault.hash_secret(bearer);
        Ok(self
            .store
            .revoke_flexiti_token(&hash, micros(self.now()))
            .await?)
    }
}
