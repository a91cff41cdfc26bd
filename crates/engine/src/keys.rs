//! Master key rotation: every wrapped data key — and every secret sealed directly by a master
//! key (webhook signing keys, gateway settings) — is moved under the active master key, batch
//! by batch, with a compare-and-set so a concurrent writer is never overwritten. Card
//! ciphertexts are not touched.

use crate::{Engine, Result};
use openflex_vault::WrappedKey;

impl Engine {
    /// Moves every data key and sealed secret under the active master key; returns how many
    /// data keys were re-wrapped.
    pub async fn rewrap_all(&self) -> Result<u64> {
        let active = i64::from(self.vault.ring().active_version());
        self.reseal_all(active).await?;
        let mut done = 0;
        loop {
            let batch = self.store.keys_to_rewrap(active, 500).await?;
            if batch.is_empty() {
                return Ok(done);
            }
            for (id, merchant_id, version, blob) in batch {
                let wrapped = WrappedKey {
                    kek_version: version as u32,
                    blob,
                };
                let new = self.vault.rewrap(&merchant_id, &id, &wrapped)?;
                if self
                    .store
                    .replace_wrapped_key(&id, version, i64::from(new.kek_version), &new.blob)
                    .await?
                {
                    done += 1;
                }
            }
        }
    }

    async fn reseal_all(&self, active: i64) -> Result<()> {
        loop {
            let batch = self.store.sealed_credentials_to_reseal(active, 500).await?;
            if batch.is_empty() {
                break;
            }
            for (id, merchant_id, version, blob) in batch {
                let (v, sealed) = self.vault.reseal_secret(
                    &crate::webhooks::signing_key::webhook_key_aad(&merchant_id, &id),
                    version as u32,
                    &blob,
                )?;
                self.store
                    .replace_sealed_credential(&id, version, i64::from(v), &sealed)
                    .await?;
            }
        }
        loop {
            let batch = self.store.gateway_settings_to_reseal(active, 500).await?;
            if batch.is_empty() {
                return Ok(());
            }
            for (token, merchant_id, version, blob) in batch {
                let (v, sealed) = self.vault.reseal_secret(
                    &format!("gateway|{merchant_id}|{token}"),
                    version as u32,
                    &blob,
                )?;
                self.store
                    .replace_gateway_settings(&token, version, i64::from(v), &sealed)
                    .await?;
            }
        }
    }

    /// Master key versions still referenced by stored data.
    pub async fn kek_versions_in_use(&self) -> Result<Vec<u32>> {
        Ok(self
            .store
            .kek_versions_in_use()
            .await?
            .into_iter()
            .map(|v| v as u32)
            .collect())
    }
}
