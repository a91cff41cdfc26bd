//! Master key rotation: every wrapped data key is re-wrapped under the active master key,
//! batch by batch, with a compare-and-set so a concurrent writer is never overwritten. Card
//! ciphertexts are not touched.

use crate::{Engine, Result};
use openflex_vault::WrappedKey;

impl Engine {
    /// Re-wraps every data key not under the active master key; returns how many.
    pub async fn rewrap_all(&self) -> Result<u64> {
        let active = i64::from(self.vault.ring().active_version());
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
