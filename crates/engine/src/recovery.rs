//! `referenceData`: the opaque, tamper-evident token a declined attempt returns and a retry
//! must send back. It names the attempt it came from and carries a MAC under the server's
//! signing key bound to the merchant and mode, so a client can neither forge one nor reuse
//! another merchant's.

use crate::{Engine, Tenant};
use base64::Engine as _;

const MAC_LEN: usize = 16;

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
}

impl Engine {
    fn reference_mac(&self, t: &Tenant, txn_id: &str) -> [u8; 32] {
        let payload = format!("{}|{}|{txn_id}", t.merchant_id, t.mode.as_str());
        self.vault
            .mac("flexpay/referenceData/v1", payload.as_bytes())
    }

    pub(crate) fn issue_reference_data(&self, t: &Tenant, txn_id: &str) -> String {
        let mut bytes = txn_id.as_bytes().to_vec();
        bytes.extend_from_slice(&self.reference_mac(t, txn_id)[..MAC_LEN]);
        b64().encode(bytes)
    }

    /// The transaction id a valid token was issued for.
    pub fn reference_data_attempt(&self, t: &Tenant, token: &str) -> Option<String> {
        let (id, mac) = split_reference_data(token)?;
        openflex_vault::constant_time_eq(&mac, &self.reference_mac(t, &id)[..MAC_LEN]).then_some(id)
    }
}

/// A referenceData token's parts — the transaction id and its truncated MAC — before the MAC
/// is checked; `None` for anything that is not base64 of a UTF-8 id followed by a MAC.
pub fn split_reference_data(token: &str) -> Option<(String, Vec<u8>)> {
    let bytes = b64().decode(token.trim()).ok()?;
    if bytes.len() <= MAC_LEN {
        return None;
    }
    let (id, mac) = bytes.split_at(bytes.len() - MAC_LEN);
    Some((std::str::from_utf8(id).ok()?.to_string(), mac.to_vec()))
}
