//! Flexiti clients as the operator manages them: the networks each may call from (the vendor's
//! "trust URL (or IP)", docs/flexiti.md §2.1). A client is the `flexiti_client` credential that
//! every issued set of credentials holds, one per mode; its networks are stored on that row, as
//! a JSON array of canonical CIDR blocks, so the token check that enforces them reads them with
//! the credential it already fetches.

use crate::tenancy::kind;
use crate::{Engine, EngineError, Result};
use openflex_domain::cidr::{self, IpNet};
use openflex_domain::time::rfc3339;
use openflex_store::CredentialRow;
use serde::Serialize;

/// Networks one client may list: enough for any set of offices and data centres, while the
/// check on every call stays a short scan.
pub const MAX_TRUSTED_NETWORKS: usize = 100;

/// A Flexiti client as the admin API and the CLI show it (never the secret).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FlexitiClientInfo {
    pub client_id: String,
    pub mode: String,
    /// CIDR blocks the client's credentials and merchant tokens may be used from; empty: any.
    pub trusted_networks: Vec<String>,
    pub created_at: String,
    pub revoked: bool,
}

/// A client's networks as stored: `None` is any address. A value that does not parse was not
/// written by [`Engine::set_flexiti_trusted_networks`]; the call fails rather than run unchecked.
pub(crate) fn stored_networks(text: Option<&str>) -> Result<Vec<IpNet>> {
    let Some(text) = text else {
        return Ok(Vec::new());
    };
    let entries: Vec<String> = serde_json::from_str(text)
        .map_err(|e| EngineError::Internal(format!("stored trusted networks: {e}")))?;
    cidr::parse_all(&entries)
        .map_err(|e| EngineError::Internal(format!("stored trusted network {e:?}")))
}

fn info(c: CredentialRow) -> Result<FlexitiClientInfo> {
    Ok(FlexitiClientInfo {
        trusted_networks: stored_networks(c.trusted_networks.as_deref())?
            .iter()
            .map(ToString::to_string)
            .collect(),
        client_id: c.public_id.unwrap_or_default(),
        mode: c.mode,
        created_at: rfc3339(crate::from_micros(c.created_at)),
        revoked: c.revoked_at.is_some(),
    })
}

impl Engine {
    /// The merchant's Flexiti clients, oldest first.
    pub async fn flexiti_clients(&self, merchant_id: &str) -> Result<Vec<FlexitiClientInfo>> {
        if self.store.merchant(merchant_id).await?.is_none() {
            return Err(EngineError::NotFound);
        }
        self.store
            .credentials_of(merchant_id)
            .await?
            .into_iter()
            .filter(|c| c.kind == kind::FLEXITI_CLIENT)
            .map(info)
            .collect()
    }

    /// Replaces the trusted networks of the merchant's active client `client_id`: IP addresses
    /// or CIDR blocks, kept as canonical blocks without repeats; an empty list lets the client
    /// call from anywhere again.
    pub async fn set_flexiti_trusted_networks(
        &self,
        merchant_id: &str,
        client_id: &str,
        entries: &[String],
    ) -> Result<FlexitiClientInfo> {
        if entries.len() > MAX_TRUSTED_NETWORKS {
            return Err(EngineError::Invalid(format!(
                "trustedNetworks: at most {MAX_TRUSTED_NETWORKS} networks"
            )));
        }
        let mut nets = cidr::parse_all(entries).map_err(|bad| {
            EngineError::Invalid(format!(
                "trustedNetworks: {bad:?} is neither an IP address nor a CIDR block"
            ))
        })?;
        let mut seen = std::collections::HashSet::new();
        nets.retain(|n| seen.insert(*n));
        let stored = (!nets.is_empty())
            .then(|| {
                let text: Vec<String> = nets.iter().map(ToString::to_string).collect();
                serde_json::to_string(&text)
            })
            .transpose()
            .map_err(|e| EngineError::Internal(e.to_string()))?;
        let client = self
            .store
            .credentials_of(merchant_id)
            .await?
            .into_iter()
            .find(|c| {
                c.kind == kind::FLEXITI_CLIENT
                    && c.public_id.as_deref() == Some(client_id)
                    && c.revoked_at.is_none()
            })
            .ok_or(EngineError::NotFound)?;
        if !self
            .store
            .set_trusted_networks(merchant_id, &client.id, stored.as_deref())
            .await?
        {
            return Err(EngineError::NotFound);
        }
        info(CredentialRow {
            trusted_networks: stored,
            ..client
        })
    }
}
