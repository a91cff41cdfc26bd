//! FlexFactor authentication: `POST /v1/oauth2/token` exchanges an AppKey/AppSecret (or a
//! refresh token) for a 10-minute HS256 JWT carrying `custom:mid`. Every bearer request checks
//! the signature and expiry, then that the app credential is still active, so revoking it
//! locks the token out at once.

use crate::tenancy::kind;
use crate::{Engine, EngineError, Mode, Result, Tenant};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
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

    fn mint(&self, client_id: &str, mid: &str, token_use: &str, ttl: i64) -> Result<(String, i64)> {
        let now = self.now().unix_timestamp();
        let claims = Claims {
            sub: client_id.to_string(),
            jti: crate::ids::guid(),
            iat: now,
            nbf: now,
            exp: now + ttl,
            iss: ISSUER.into(),
            aud: vec!["payments".into(), "orders".into()],
            mid: mid.to_string(),
            token_use: token_use.to_string(),
        };
        let token =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.jwt_keys().0)
                .map_err(|e| EngineError::Internal(format!("signing a token: {e}")))?;
        Ok((token, (now + ttl) * 1000))
    }

    fn pair(&self, client_id: &str, mid: &str) -> Result<TokenPair> {
        let (access_token, expires_ms) = self.mint(
            client_id,
            mid,
            "access",
            self.config.access_token_ttl.as_secs() as i64,
        )?;
        let (refresh_token, _) = self.mint(client_id, mid, "refresh", REFRESH_TTL_SECONDS)?;
        Ok(TokenPair {
            access_token,
            refresh_token,
            expires_ms,
            client_id: client_id.to_string(),
        })
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
                let mid = self.mid_of(&cred.merchant_id, &cred.mode).await?;
                return self.pair(&cred.id, &mid).map(Some);
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

    /// A refresh token → a new token pair, while the app credential is active.
    pub async fn ff_refresh(&self, refresh_token: &str) -> Result<Option<TokenPair>> {
        let Ok(claims) = self.verify(refresh_token, "refresh") else {
            return Ok(None);
        };
        match self.active_app(&claims.sub).await? {
            Some(_) => self.pair(&claims.sub, &claims.mid).map(Some),
            None => Ok(None),
        }
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
