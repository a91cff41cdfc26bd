//! FlexFactor authentication: `POST /v1/oauth2/token` exchanges an AppKey/AppSecret (or a
//! refresh token) for a 10-minute HS256 JWT carrying `custom:mid`. Every bearer request checks
//! the signature and expiry, then that the app credential is still active, so revoking it
//! locks the token out at once.
//!
//! Refresh tokens are JWTs too, but one use each: a stolen refresh token replayed for ever
//! would outlive every access token. Each carries its family (the login it descends from) and
//! its jti; the store keeps the family's one unspent jti, a refresh rotates it, and a spent
//! token presented again revokes the family, so of a thief and the rightful client, whoever
//! refreshes second ends the thief's chain too.

use crate::tenancy::kind;
use crate::{Engine, EngineError, Mode, Result, Tenant};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use openflex_store::Rotation;
use serde::{Deserialize, Serialize};

pub const ISSUER: &str = "openflex";
const REFRESH_TTL_SECONDS: i64 = 24 * 3600;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    jti: String,
    iat: i64,
    nbf: i64,
    exp: i64,
    iss: String,
    aud: Vec<String>,
    #[serde(rename = "custom:mid")]
    mid: String,
    token_use: String,
    /// The refresh-token family (refresh tokens only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fam: Option<String>,
}

/// A freshly issued token pair.
#[derive(Debug, Clone)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    /// Access-token expiry in Unix epoch milliseconds.
    pub expires_ms: i64,
    /// The API client (app credential) id.
    pub client_id: String,
}

/// Why a bearer token was refused (each has its own error code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BearerError {
    Missing,
    Expired,
    Invalid,
}

/// An authenticated FlexFactor caller.
#[derive(Debug, Clone)]
pub struct FfCaller {
    pub tenant: Tenant,
    pub mid: String,
}

impl Engine {
    fn jwt_keys(&self) -> (EncodingKey, DecodingKey) {
        let ring = self.vault.ring();
        let key = ring.signing_key();
        (EncodingKey::from_secret(key), DecodingKey::from_secret(key))
    }

    fn sign(&self, claims: &Claims) -> Result<String> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.jwt_keys().0)
            .map_err(|e| EngineError::Internal(format!("signing a token: {e}")))
    }

    /// An access token and the refresh token `refresh_jti` of `family`, issued at `now` (Unix
    /// seconds).
    fn pair(
        &self,
        client_id: &str,
        mid: &str,
        family: &str,
        refresh_jti: &str,
        now: i64,
    ) -> Result<TokenPair> {
        let claims = |jti: String, token_use: &str, ttl: i64, fam: Option<String>| Claims {
            sub: client_id.to_string(),
            jti,
            iat: now,
            nbf: now,
            exp: now + ttl,
            iss: ISSUER.into(),
            aud: vec!["payments".into(), "orders".into()],
            mid: mid.to_string(),
            token_use: token_use.to_string(),
            fam,
        };
        let access_ttl = self.config.access_token_ttl.as_secs() as i64;
        let access_token = self.sign(&claims(crate::ids::guid(), "access", access_ttl, None))?;
        let refresh_token = self.sign(&claims(
            refresh_jti.to_string(),
            "refresh",
            REFRESH_TTL_SECONDS,
            Some(family.to_string()),
        ))?;
        Ok(TokenPair {
            access_token,
            refresh_token,
            expires_ms: (now + access_ttl) * 1000,
            client_id: client_id.to_string(),
        })
    }

    /// When a refresh token minted at `now` expires, in the store's microseconds.
    fn refresh_expiry_us(now: i64) -> i64 {
        (now + REFRESH_TTL_SECONDS) * 1_000_000
    }

    /// The merchant's FlexFactor MID for a mode.
    async fn mid_of(&self, merchant_id: &str, mode: &str) -> Result<String> {
        self.store
            .credentials_of(merchant_id)
            .await?
            .into_iter()
            .filter(|c| c.kind == kind::FLEXFACTOR_MID && c.mode == mode && c.revoked_at.is_none())
            .filter_map(|c| c.public_id)
            .next()
            .ok_or_else(|| EngineError::Internal("merchant has no FlexFactor MID".into()))
    }

    /// `AppKey`/`AppSecret` → tokens; `None` for unknown, revoked or wrong credentials.
    pub async fn ff_token(&self, app_key: &str, app_secret: &str) -> Result<Option<TokenPair>> {
        if app_key.len() > 200 || app_secret.len() > 512 {
            return Ok(None);
        }
        let given = self.vault.hash_secret(app_secret);
        for cred in self
            .store
            .credentials_by_public_id(kind::FLEXFACTOR_APP, app_key)
            .await?
        {
            let stored = cred.secret_hash.as_deref().unwrap_or_default();
            if openflex_vault::constant_time_eq(stored.as_bytes(), given.as_bytes()) {
                self.note_use(&cred.id);
                let mid = self.mid_of(&cred.merchant_id, &cred.mode).await?;
                let now = self.now().unix_timestamp();
                let (family, jti) = (crate::ids::guid(), crate::ids::guid());
                self.store
                    .insert_ff_refresh_family(
                        &family,
                        &cred.id,
                        &jti,
                        Self::refresh_expiry_us(now),
                        now * 1_000_000,
                    )
                    .await?;
                return self.pair(&cred.id, &mid, &family, &jti, now).map(Some);
            }
        }
        Ok(None)
    }

    fn verify(&self, token: &str, token_use: &str) -> std::result::Result<Claims, BearerError> {
        let mut v = Validation::new(Algorithm::HS256);
        v.set_issuer(&[ISSUER]);
        v.set_audience(&["payments"]);
        v.leeway = 0;
        let data = jsonwebtoken::decode::<Claims>(token, &self.jwt_keys().1, &v).map_err(|e| {
            match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => BearerError::Expired,
                _ => BearerError::Invalid,
            }
        })?;
        if data.claims.token_use != token_use {
            return Err(BearerError::Invalid);
        }
        Ok(data.claims)
    }

    /// A refresh token → a new token pair, while the app credential is active. The token is
    /// spent; presenting a spent one revokes its family.
    pub async fn ff_refresh(&self, refresh_token: &str) -> Result<Option<TokenPair>> {
        let Ok(claims) = self.verify(refresh_token, "refresh") else {
            return Ok(None);
        };
        // Tokens signed before families existed have none: refused, the client logs in again.
        let Some(family) = claims.fam.as_deref() else {
            return Ok(None);
        };
        if self.active_app(&claims.sub).await?.is_none() {
            return Ok(None);
        }
        let now = self.now().unix_timestamp();
        let next = crate::ids::guid();
        let rotation = self
            .store
            .rotate_ff_refresh(
                family,
                &claims.jti,
                &next,
                Self::refresh_expiry_us(now),
                now * 1_000_000,
            )
            .await?;
        match rotation {
            Rotation::Rotated => self
                .pair(&claims.sub, &claims.mid, family, &next, now)
                .map(Some),
            Rotation::ReuseRevoked => {
                tracing::warn!(
                    credential = %claims.sub,
                    family,
                    "a spent FlexFactor refresh token was presented again; its family is revoked"
                );
                Ok(None)
            }
            Rotation::Refused => Ok(None),
        }
    }

    /// Forgets refresh-token families past their expiry (the housekeeping loop calls this).
    pub async fn ff_refresh_sweep(&self) -> Result<u64> {
        Ok(self
            .store
            .delete_expired_ff_refresh_families(crate::micros(self.now()))
            .await?)
    }

    async fn active_app(&self, credential_id: &str) -> Result<Option<Tenant>> {
        let Some((cred, merchant)) = self.store.credential_by_id(credential_id).await? else {
            return Ok(None);
        };
        if cred.kind != kind::FLEXFACTOR_APP || cred.revoked_at.is_some() {
            return Ok(None);
        }
        let mode = Mode::parse(&cred.mode).unwrap_or(Mode::Live);
        Ok(Some(Tenant::of(&merchant, mode)))
    }

    /// Checks a bearer access token.
    pub async fn ff_authenticate(
        &self,
        bearer: Option<&str>,
    ) -> Result<std::result::Result<FfCaller, BearerError>> {
        let Some(token) = bearer.filter(|t| !t.is_empty()) else {
            return Ok(Err(BearerError::Missing));
        };
        let claims = match self.verify(token, "access") {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        Ok(match self.active_app(&claims.sub).await? {
            Some(tenant) => Ok(FfCaller {
                tenant,
                mid: claims.mid,
            }),
            None => Err(BearerError::Invalid),
        })
    }

    /// `?mid=&environment=<tokenization key>` for `/v1/tokenize`.
    pub async fn ff_tokenization_auth(&self, mid: &str, key: &str) -> Result<Option<FfCaller>> {
        let Some(tenant) = self
            .authenticate(kind::FLEXFACTOR_TOKENIZATION, key)
            .await?
        else {
            return Ok(None);
        };
        let own = self
            .mid_of(&tenant.merchant_id, tenant.mode.as_str())
            .await?;
        let matches = own.eq_ignore_ascii_case(mid.trim());
        Ok(matches.then_some(FfCaller { tenant, mid: own }))
    }
}
