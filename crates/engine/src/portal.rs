//! The merchant portal's users and sessions, and the figures its overview draws.
//!
//! Passwords are chosen by people, so unlike API secrets (256-bit random, stored as an HMAC)
//! they are hashed with Argon2id, on a blocking thread so a login never stalls the request
//! workers. An unknown email costs the same hash as a wrong password, so timing does not tell
//! which emails exist. A session cookie is 256 bits of randomness stored as its HMAC; each
//! session carries its own CSRF token and the mode (sandbox or live) the user is looking at.

use crate::{Engine, EngineError, Mode, Result, Tenant, ids, micros};
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use openflex_domain::Secret;
use openflex_store::{PortalUserRow, StoreError};
use std::time::Duration;
use time::OffsetDateTime;

/// A session lasts this long from login.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);

/// Shortest password accepted (NIST SP 800-63B asks for at least 8; a payments dashboard asks
/// for more).
pub const MIN_PASSWORD: usize = 12;

/// A signed-in portal user looking at one mode of their merchant.
#[derive(Debug, Clone)]
pub struct PortalSession {
    pub user_id: String,
    pub email: String,
    pub merchant_name: String,
    pub tenant: Tenant,
    pub csrf_token: String,
    /// The HMAC of the cookie: names the session in the store.
    pub token_hash: String,
}

/// The overview's figures over a run of days: counts per day, and money per currency per day
/// (amounts of different currencies are never added together).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    pub days: Vec<DayStats>,
    /// One entry per currency seen in the period, by code; each has every day of the period.
    pub currencies: Vec<CurrencyDays>,
}

/// One day of FlexPay charges and authorizations, all currencies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayStats {
    /// Days since the Unix epoch.
    pub day: i64,
    pub attempts: i64,
    pub approved: i64,
}

/// The money of one currency, day by day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrencyDays {
    pub currency: String,
    pub days: Vec<DayMoney>,
}

/// One day of one currency, in its minor units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayMoney {
    pub day: i64,
    pub volume: i64,
    /// Approved FlexPay retries of declined payments.
    pub recovered: i64,
    /// FlexFactor orders rescued (approved or completed).
    pub rescued: i64,
}

impl CurrencyDays {
    pub fn volume(&self) -> i64 {
        self.days.iter().map(|d| d.volume).sum()
    }

    pub fn recovered(&self) -> i64 {
        self.days.iter().map(|d| d.recovered + d.rescued).sum()
    }
}

/// Hashed once per process: what an unknown email is checked against.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        Argon2::default()
            .hash_password(b"openflex decoy password")
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

/// Binds a sealed flash to its session: another session's row cannot open it.
fn flash_context(s: &PortalSession) -> String {
    format!("portal-flash|{}", s.token_hash)
}

const DAY_US: i64 = 86_400_000_000;

fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    email.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

impl Engine {
    /// Creates a portal user for `merchant_id`; returns the user id.
    pub async fn create_portal_user(
        &self,
        merchant_id: &str,
        email: &str,
        password: Secret<String>,
    ) -> Result<String> {
        let email = email.trim().to_lowercase();
        if !valid_email(&email) {
            return Err(EngineError::Invalid("email is not an email address".into()));
        }
        let n = password.expose().chars().count();
        if !(MIN_PASSWORD..=1024).contains(&n) {
            return Err(EngineError::Invalid(format!(
                "password must be {MIN_PASSWORD} to 1024 characters"
            )));
        }
        self.store
            .merchant(merchant_id)
            .await?
            .ok_or(EngineError::NotFound)?;
        let hash = tokio::task::spawn_blocking(move || {
            Argon2::default()
                .hash_password(password.expose().as_bytes())
                .map(|h| h.to_string())
        })
        .await
        .map_err(|e| EngineError::Internal(e.to_string()))?
        .map_err(|e| EngineError::Internal(format!("argon2: {e}")))?;
        let id = format!("usr_{}", ids::guid().replace('-', ""));
        let row = PortalUserRow {
            id: id.clone(),
            merchant_id: merchant_id.to_string(),
            email,
            password_hash: hash,
            created_at: micros(self.now()),
        };
        match self.store.insert_portal_user(&row).await {
            Ok(()) => Ok(id),
            Err(StoreError::Conflict) => Err(EngineError::Invalid(
                "a portal user with this email exists".into(),
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// Checks a password; on success opens a sandbox session and returns its cookie value.
    pub async fn portal_login(
        &self,
        email: &str,
        password: Secret<String>,
    ) -> Result<Option<String>> {
        let email = email.trim().to_lowercase();
        if email.len() > 254 || password.expose().len() > 4096 {
            return Ok(None);
        }
        let user = self.store.portal_user_by_email(&email).await?;
        let hash = user
            .as_ref()
            .map(|u| u.password_hash.clone())
            .unwrap_or_else(|| decoy_hash().to_string());
        let ok = tokio::task::spawn_blocking(move || {
            Argon2::default()
                .verify_password(password.expose().as_bytes(), hash.as_str())
                .is_ok()
        })
        .await
        .map_err(|e| EngineError::Internal(e.to_string()))?;
        let Some(user) = user.filter(|_| ok) else {
            return Ok(None);
        };
        let token = data_encoding::BASE64URL_NOPAD.encode(&openflex_vault::random_bytes::<32>()?);
        let csrf = data_encoding::HEXLOWER.encode(&openflex_vault::random_bytes::<32>()?);
        let now = micros(self.now());
        self.store
            .insert_portal_session(
                &self.vault.hash_secret(&token),
                &user.id,
                &csrf,
                Mode::Sandbox.as_str(),
                now,
                now + SESSION_TTL.as_micros() as i64,
            )
            .await?;
        Ok(Some(token))
    }

    /// The live session a cookie names, if any.
    pub async fn portal_session(&self, token: &str) -> Result<Option<PortalSession>> {
        if token.is_empty() || token.len() > 128 {
            return Ok(None);
        }
        let token_hash = self.vault.hash_secret(token);
        let Some(s) = self
            .store
            .portal_session(&token_hash, micros(self.now()))
            .await?
        else {
            return Ok(None);
        };
        let Some(merchant) = self.store.merchant(&s.merchant_id).await? else {
            return Ok(None);
        };
        let mode = Mode::parse(&s.mode).unwrap_or(Mode::Sandbox);
        Ok(Some(PortalSession {
            user_id: s.user_id,
            email: s.email,
            merchant_name: merchant.name.clone(),
            tenant: Tenant::of(&merchant, mode),
            csrf_token: s.csrf_token,
            token_hash,
        }))
    }

    /// Switches what a session looks at between sandbox and live.
    pub async fn portal_set_mode(&self, s: &PortalSession, mode: Mode) -> Result<()> {
        Ok(self
            .store
            .set_portal_session_mode(&s.token_hash, mode.as_str())
            .await?)
    }

    /// Issues a full set of credentials for the session's mode and leaves them, sealed, in the
    /// session for the next page to show once (post/redirect/get: a reload cannot mint more).
    /// `name` labels the set on the credentials page.
    pub async fn portal_issue_credentials(
        &self,
        s: &PortalSession,
        name: Option<&str>,
    ) -> Result<()> {
        let issued = self
            .issue_credentials(&s.tenant.merchant_id, s.tenant.mode, name)
            .await?;
        let json = serde_json::to_string(&issued)
            .map_err(|e| EngineError::Internal(format!("issued credentials: {e}")))?;
        let (version, sealed) = self.vault.seal_secret(&flash_context(s), &json)?;
        Ok(self
            .store
            .set_portal_flash(&s.token_hash, i64::from(version), &sealed)
            .await?)
    }

    /// The credentials a session was just issued, once: the first call clears them. A flash
    /// that cannot be opened is an error (logged by the page), not "already shown": its key
    /// version counts as in use, so rotation cannot have retired it.
    pub async fn portal_take_issued(
        &self,
        s: &PortalSession,
    ) -> Result<Option<crate::tenancy::IssuedCredentials>> {
        let Some((version, sealed)) = self.store.take_portal_flash(&s.token_hash).await? else {
            return Ok(None);
        };
        let version = u32::try_from(version)
            .map_err(|_| EngineError::Internal(format!("flash key version {version}")))?;
        let json = self
            .vault
            .open_secret(&flash_context(s), version, &sealed)?;
        serde_json::from_str(json.expose())
            .map(Some)
            // serde's message quotes the offending value, here a secret: say where, never what.
            .map_err(|e| {
                EngineError::Internal(format!(
                    "flashed credentials unreadable ({:?} at line {} column {})",
                    e.classify(),
                    e.line(),
                    e.column()
                ))
            })
    }

    /// Ends a session (and sweeps expired ones).
    pub async fn portal_logout(&self, s: &PortalSession) -> Result<()> {
        Ok(self
            .store
            .delete_portal_session(&s.token_hash, micros(self.now()))
            .await?)
    }

    /// Forgets sessions past their expiry (the housekeeping loop calls this).
    pub async fn portal_sweep(&self) -> Result<u64> {
        Ok(self
            .store
            .delete_expired_portal_sessions(micros(self.now()))
            .await?)
    }

    /// A merchant's portal users: (email, created).
    pub async fn portal_users(&self, merchant_id: &str) -> Result<Vec<(String, OffsetDateTime)>> {
        if self.store.merchant(merchant_id).await?.is_none() {
            return Err(EngineError::NotFound);
        }
        Ok(self
            .store
            .portal_users_of(merchant_id)
            .await?
            .into_iter()
            .map(|u| (u.email, crate::from_micros(u.created_at)))
            .collect())
    }

    /// Removes a portal user and signs them out everywhere.
    pub async fn delete_portal_user(&self, merchant_id: &str, email: &str) -> Result<()> {
        let email = email.trim().to_lowercase();
        if self.store.delete_portal_user(merchant_id, &email).await? {
            Ok(())
        } else {
            Err(EngineError::NotFound)
        }
    }

    /// The UTC day of the tenant's clock (days since the Unix epoch): where the overview's
    /// periods end by default.
    pub fn today_for(&self, t: &Tenant) -> i64 {
        micros(self.now_for(t)).div_euclid(DAY_US)
    }

    /// FlexPay charges and authorizations, and FlexFactor rescues, per UTC day over the days
    /// `first..=today` (days since the Unix epoch), money kept per currency; days without
    /// activity are present with zeros.
    pub async fn day_stats(&self, t: &Tenant, first: i64, today: i64) -> Result<Activity> {
        let (merchant, mode) = (&t.merchant_id, t.mode.as_str());
        let (since, until) = (first * DAY_US, (today + 1) * DAY_US);
        let rows = self.store.day_stats(merchant, mode, since, until).await?;
        let rescued = self.store.day_rescued(merchant, mode, since, until).await?;
        let mut codes: Vec<String> = rows
            .iter()
            .filter_map(|r| r.currency.clone())
            .chain(rescued.iter().map(|r| r.currency.clone()))
            .collect();
        codes.sort();
        codes.dedup();
        let stats = (first..=today)
            .map(|day| {
                let of_day = rows.iter().filter(|r| r.day == day);
                DayStats {
                    day,
                    attempts: of_day.clone().map(|r| r.attempts).sum(),
                    approved: of_day.map(|r| r.approved).sum(),
                }
            })
            .collect();
        let currencies = codes
            .into_iter()
            .map(|code| {
                let days = (first..=today)
                    .map(|day| {
                        let r = rows
                            .iter()
                            .find(|r| r.day == day && r.currency.as_deref() == Some(code.as_str()));
                        DayMoney {
                            day,
                            volume: r.map_or(0, |r| r.volume),
                            recovered: r.map_or(0, |r| r.recovered),
                            rescued: rescued
                                .iter()
                                .find(|x| x.day == day && x.currency == code)
                                .map_or(0, |x| x.rescued),
                        }
                    })
                    .collect();
                CurrencyDays {
                    currency: code,
                    days,
                }
            })
            .collect();
        Ok(Activity {
            days: stats,
            currencies,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::valid_email;

    #[test]
    fn emails() {
        assert!(valid_email("ops@shop.example"));
        assert!(!valid_email("ops@localhost"));
        assert!(!valid_email("@shop.example"));
        assert!(!valid_email("ops shop@x.example"));
        assert!(!valid_email("ops@.example"));
    }
}
