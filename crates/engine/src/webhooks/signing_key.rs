//! The webhook signing key of a merchant and mode: read to sign each delivery, revealed to the
//! merchant on demand, and rolled.
//!
//! Why one key per merchant and mode rather than one per endpoint: FlexFactor signs every
//! delivery with the merchant's webhook signing key (docs/flexfactor.md §10.3), the key issued
//! with the rest of a credential set, and receivers built on the vendor's SDK verify with that
//! key. Every endpoint of a mode therefore shares it, and rolling it changes it for all of them.
//! Rolling revokes every older key of the mode in the transaction that writes the new one, so
//! from its commit on, deliveries (retries of older events included) are signed with the new
//! key only.

use crate::tenancy::kind;
use crate::{Engine, EngineError, Result, Tenant, micros};
use openflex_domain::Secret;
use openflex_store::{CredentialRow, Store};

impl Engine {
    /// The active signing keys of a merchant's `mode`, newest first (one, unless sets were
    /// issued without rolling).
    async fn webhook_credentials(
        &self,
        merchant_id: &str,
        mode: &str,
    ) -> Result<Vec<CredentialRow>> {
        let mut creds: Vec<CredentialRow> = self
            .store
            .credentials_of(merchant_id)
            .await?
            .into_iter()
            .filter(|c| {
                c.kind == kind::FLEXFACTOR_WEBHOOK && c.mode == mode && c.revoked_at.is_none()
            })
            .collect();
        creds.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
        Ok(creds)
    }

    fn open_webhook_key(&self, c: &CredentialRow) -> Result<Option<Secret<String>>> {
        let (Some(version), Some(sealed)) = (c.kek_version, c.sealed_secret.as_deref()) else {
            return Ok(None);
        };
        Ok(Some(self.vault.open_secret(
            &webhook_key_aad(&c.merchant_id, &c.id),
            version as u32,
            sealed,
        )?))
    }

    /// Seals `key` into the webhook credential `row` (with its preview), as issuing and
    /// rolling both store it.
    pub(crate) fn seal_webhook_key(&self, row: &mut CredentialRow, key: &str) -> Result<()> {
        let (version, sealed) = self
            .vault
            .seal_secret(&webhook_key_aad(&row.merchant_id, &row.id), key)?;
        row.sealed_secret = Some(sealed);
        row.kek_version = Some(i64::from(version));
        row.preview = Some(openflex_domain::key_label::preview(key));
        Ok(())
    }

    /// The merchant's current webhook signing key for `mode` (the newest active one).
    pub(super) async fn webhook_key(
        &self,
        merchant_id: &str,
        mode: &str,
    ) -> Result<Option<Secret<String>>> {
        match self.webhook_credentials(merchant_id, mode).await?.first() {
            Some(c) => self.open_webhook_key(c),
            None => Ok(None),
        }
    }

    /// The key deliveries of the tenant's mode are signed with now.
    pub async fn reveal_webhook_key(&self, t: &Tenant) -> Result<Secret<String>> {
        self.webhook_key(&t.merchant_id, t.mode.as_str())
            .await?
            .ok_or_else(no_key)
    }

    /// Replaces the tenant's signing key with a new one and revokes the old, in one
    /// transaction; refused when another roll got there first.
    pub async fn roll_webhook_key(&self, t: &Tenant) -> Result<Secret<String>> {
        let old = self
            .webhook_credentials(&t.merchant_id, t.mode.as_str())
            .await?;
        let Some(current) = old.first() else {
            return Err(no_key());
        };
        let key = Secret::new(openflex_vault::random_secret_b64()?);
        let now = micros(self.now());
        let id = self.ids.next();
        let mut row = CredentialRow {
            id,
            merchant_id: t.merchant_id.clone(),
            mode: t.mode.as_str().to_string(),
            kind: kind::FLEXFACTOR_WEBHOOK.to_string(),
            public_id: current.public_id.clone(),
            secret_hash: None,
            sealed_secret: None,
            kek_version: None,
            created_at: now.max(current.created_at + 1),
            revoked_at: None,
            trusted_networks: None,
            name: current.name.clone(),
            preview: None,
        };
        self.seal_webhook_key(&mut row, key.expose())?;
        let mut tx = self.store.begin().await?;
        for c in &old {
            let revoked = Store::revoke_credential_in(&mut tx, &t.merchant_id, &c.id, now).await?;
            if !revoked && c.id == current.id {
                // Dropping the transaction rolls it back.
                return Err(EngineError::Invalid(
                    "the webhook signing key was rolled meanwhile; reload the page to see the new one"
                        .into(),
                ));
            }
        }
        Store::insert_credential(&mut tx, &row).await?;
        tx.commit().await?;
        self.store.config_changed();
        Ok(key)
    }
}

fn no_key() -> EngineError {
    EngineError::Invalid(
        "this mode has no webhook signing key; issue a set of credentials to get one".into(),
    )
}

/// The associated data a webhook signing key is sealed under: its merchant and credential, so
/// a sealed key cannot be moved to another row.
pub(crate) fn webhook_key_aad(merchant_id: &str, credential_id: &str) -> String {
    format!("webhook|{merchant_id}|{credential_id}")
}
