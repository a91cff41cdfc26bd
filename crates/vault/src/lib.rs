//! The card vault's cryptography: envelope encryption, fingerprints and credential hashing.
//!
//! Why envelope encryption: every payment method gets its own random data key (DEK), so one
//! leaked DEK exposes one card, and rotating the master key (KEK) only re-wraps 32-byte DEKs —
//! card ciphertexts are never touched. The additional data binds each ciphertext to its
//! (merchant, payment method, field), so a ciphertext copied onto another row fails to open.
//! This crate holds no database handles: the store persists the opaque blobs it returns.

mod keyring;
pub mod webhook;

pub use keyring::{KeyRing, KeyRingError};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use subtle::ConstantTimeEq;
use thiserror::Error;
use zeroize::Zeroizing;

const NONCE_LEN: usize = 12;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum VaultError {
    #[error("ciphertext could not be opened (wrong key, wrong record, or tampered)")]
    Open,
    #[error("master key version {0} is not in the key ring")]
    UnknownKek(u32),
    #[error("operating system random source failed")]
    Random,
}

/// A data key wrapped by master key `kek_version`.
#[derive(Clone, PartialEq, Eq)]
pub struct WrappedKey {
    pub kek_version: u32,
    pub blob: Vec<u8>,
}

impl std::fmt::Debug for WrappedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WrappedKey(kek v{})", self.kek_version)
    }
}

/// A fresh data key, in memory only while a record is being sealed or opened.
pub struct DataKey(Zeroizing<[u8; 32]>);

pub fn random_bytes<const N: usize>() -> Result<[u8; N], VaultError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|_| VaultError::Random)?;
    Ok(buf)
}

/// A random secret of `n` bytes, base64 encoded (the shape FlexPay API keys have on the wire).
pub fn random_secret_b64() -> Result<String, VaultError> {
    Ok(base64::engine::general_purpose::STANDARD.encode(random_bytes::<32>()?))
}

/// A random URL-safe secret of 32 bytes.
pub fn random_secret_urlsafe() -> Result<String, VaultError> {
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>()?))
}

fn seal_with(key: &[u8; 32], plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, VaultError> {
    let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| VaultError::Open)?;
    let nonce_bytes = random_bytes::<NONCE_LEN>()?;
    let nonce = Nonce::from(nonce_bytes);
    let mut out = nonce_bytes.to_vec();
    let ct = cipher
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| VaultError::Open)?;
    out.extend_from_slice(&ct);
    Ok(out)
}

fn open_with(key: &[u8; 32], blob: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    if blob.len() < NONCE_LEN + 16 {
        return Err(VaultError::Open);
    }
    let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| VaultError::Open)?;
    let nonce_bytes: [u8; NONCE_LEN] =
        blob[..NONCE_LEN].try_into().map_err(|_| VaultError::Open)?;
    let nonce = Nonce::from(nonce_bytes);
    cipher
        .decrypt(
            &nonce,
            Payload {
                msg: &blob[NONCE_LEN..],
                aad,
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| VaultError::Open)
}

fn hmac256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// Which field of a payment method a ciphertext holds; part of the additional data.
#[derive(Debug, Clone, Copy)]
pub enum Field {
    Pan,
    Cvv,
}

impl Field {
    fn label(self) -> &'static str {
        match self {
            Self::Pan => "pan",
            Self::Cvv => "cvv",
        }
    }
}

/// The vault: a key ring plus the operations that use it.
///
/// When the ring was loaded from a file, meeting a master key version it does not know (another
/// process ran `keys rotate-master`) reloads the file once, so running servers follow a
/// rotation without a restart.
#[derive(Clone)]
pub struct Vault {
    ring: Arc<RwLock<Arc<KeyRing>>>,
    file: Option<Arc<PathBuf>>,
}

impl Vault {
    pub fn new(ring: KeyRing) -> Self {
        Self {
            ring: Arc::new(RwLock::new(Arc::new(ring))),
            file: None,
        }
    }

    /// A vault whose key ring came from `path` and may be reloaded from it.
    pub fn from_file(ring: KeyRing, path: PathBuf) -> Self {
        Self {
            ring: Arc::new(RwLock::new(Arc::new(ring))),
            file: Some(Arc::new(path)),
        }
    }

    pub fn ring(&self) -> Arc<KeyRing> {
        self.ring.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The ring, reloaded from its file when it lacks `version`.
    fn ring_with(&self, version: u32) -> Arc<KeyRing> {
        let ring = self.ring();
        if ring.kek(version).is_some() {
            return ring;
        }
        let Some(path) = &self.file else { return ring };
        match KeyRing::load(path) {
            Ok(fresh) if fresh.kek(version).is_some() => {
                let fresh = Arc::new(fresh);
                *self.ring.write().unwrap_or_else(|p| p.into_inner()) = fresh.clone();
                fresh
            }
            _ => ring,
        }
    }

    fn dek_aad(merchant_id: &str, record_id: &str) -> Vec<u8> {
        format!("openflex/dek/v1|{merchant_id}|{record_id}").into_bytes()
    }

    fn field_aad(merchant_id: &str, record_id: &str, field: Field) -> Vec<u8> {
        format!("openflex/{}/v1|{merchant_id}|{record_id}", field.label()).into_bytes()
    }

    /// A new data key for a record, wrapped by the active master key.
    pub fn new_data_key(
        &self,
        merchant_id: &str,
        record_id: &str,
    ) -> Result<(DataKey, WrappedKey), VaultError> {
        let dek = Zeroizing::new(random_bytes::<32>()?);
        let ring = self.ring();
        let (version, kek) = ring.active_kek();
        let blob = seal_with(kek, dek.as_ref(), &Self::dek_aad(merchant_id, record_id))?;
        Ok((
            DataKey(dek),
            WrappedKey {
                kek_version: version,
                blob,
            },
        ))
    }

    pub fn unwrap_data_key(
        &self,
        merchant_id: &str,
        record_id: &str,
        wrapped: &WrappedKey,
    ) -> Result<DataKey, VaultError> {
        let ring = self.ring_with(wrapped.kek_version);
        let kek = ring
            .kek(wrapped.kek_version)
            .ok_or(VaultError::UnknownKek(wrapped.kek_version))?;
        let plain = open_with(kek, &wrapped.blob, &Self::dek_aad(merchant_id, record_id))?;
        let bytes: [u8; 32] = plain.as_slice().try_into().map_err(|_| VaultError::Open)?;
        Ok(DataKey(Zeroizing::new(bytes)))
    }

    /// Re-wraps a data key under the active master key (key rotation); the card ciphertexts
    /// it protects are untouched.
    pub fn rewrap(
        &self,
        merchant_id: &str,
        record_id: &str,
        wrapped: &WrappedKey,
    ) -> Result<WrappedKey, VaultError> {
        let dek = self.unwrap_data_key(merchant_id, record_id, wrapped)?;
        let ring = self.ring();
        let (version, kek) = ring.active_kek();
        let blob = seal_with(kek, dek.0.as_ref(), &Self::dek_aad(merchant_id, record_id))?;
        Ok(WrappedKey {
            kek_version: version,
            blob,
        })
    }

    pub fn seal(
        &self,
        dek: &DataKey,
        merchant_id: &str,
        record_id: &str,
        field: Field,
        plaintext: &str,
    ) -> Result<Vec<u8>, VaultError> {
        seal_with(
            &dek.0,
            plaintext.as_bytes(),
            &Self::field_aad(merchant_id, record_id, field),
        )
    }

    pub fn open(
        &self,
        dek: &DataKey,
        merchant_id: &str,
        record_id: &str,
        field: Field,
        blob: &[u8],
    ) -> Result<openflex_secret::Text, VaultError> {
        let plain = open_with(
            &dek.0,
            blob,
            &Self::field_aad(merchant_id, record_id, field),
        )?;
        String::from_utf8(plain.to_vec())
            .map(openflex_secret::Text::new)
            .map_err(|_| VaultError::Open)
    }

    /// Same card, same fingerprint, within one merchant; unrelated across merchants.
    pub fn fingerprint(&self, merchant_id: &str, pan: &str) -> String {
        let mac = hmac256(
            self.ring().fingerprint_key(),
            &[merchant_id.as_bytes(), b"|", pan.as_bytes()],
        );
        data_encoding::BASE32_NOPAD.encode(&mac[..16])
    }

    /// A MAC for tokens this server issues and must later recognise (e.g. FlexPay referenceData).
    pub fn mac(&self, context: &str, data: &[u8]) -> [u8; 32] {
        hmac256(self.ring().signing_key(), &[context.as_bytes(), b"|", data])
    }

    /// Credentials are stored as HMAC-SHA256(pepper, secret): fast to check on every request
    /// (unlike a password hash) and useless without the pepper, which never enters the database.
    pub fn hash_secret(&self, secret: &str) -> String {
        data_encoding::HEXLOWER.encode(&hmac256(self.ring().pepper(), &[secret.as_bytes()]))
    }

    /// Encrypts a server-side secret that must be recoverable (webhook signing keys).
    pub fn seal_secret(&self, context: &str, secret: &str) -> Result<(u32, Vec<u8>), VaultError> {
        let ring = self.ring();
        let (version, kek) = ring.active_kek();
        let aad = format!("openflex/secret/v1|{context}");
        Ok((version, seal_with(kek, secret.as_bytes(), aad.as_bytes())?))
    }

    /// Re-encrypts a sealed secret under the active master key (rotation).
    pub fn reseal_secret(
        &self,
        context: &str,
        version: u32,
        blob: &[u8],
    ) -> Result<(u32, Vec<u8>), VaultError> {
        let plain = self.open_secret(context, version, blob)?;
        self.seal_secret(context, plain.expose())
    }

    pub fn open_secret(
        &self,
        context: &str,
        version: u32,
        blob: &[u8],
    ) -> Result<openflex_secret::Text, VaultError> {
        let ring = self.ring_with(version);
        let kek = ring.kek(version).ok_or(VaultError::UnknownKek(version))?;
        let aad = format!("openflex/secret/v1|{context}");
        let plain = open_with(kek, blob, aad.as_bytes())?;
        String::from_utf8(plain.to_vec())
            .map(openflex_secret::Text::new)
            .map_err(|_| VaultError::Open)
    }
}

/// Secret text as the domain crate defines it.
pub mod openflex_secret {
    pub type Text = openflex_domain::Secret<String>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault() -> Vault {
        Vault::new(KeyRing::generate().unwrap())
    }

    #[test]
    fn seal_and_open_round_trip() {
        let v = vault();
        let (dek, wrapped) = v.new_data_key("m1", "pm1").unwrap();
        let ct = v
            .seal(&dek, "m1", "pm1", Field::Pan, "4920201996449560")
            .unwrap();
        assert!(!ct.windows(4).any(|w| w == b"4920"));
        let dek2 = v.unwrap_data_key("m1", "pm1", &wrapped).unwrap();
        assert_eq!(
            v.open(&dek2, "m1", "pm1", Field::Pan, &ct)
                .unwrap()
                .expose(),
            "4920201996449560"
        );
    }

    #[test]
    fn ciphertext_is_bound_to_its_record_and_field() {
        let v = vault();
        let (dek, _) = v.new_data_key("m1", "pm1").unwrap();
        let ct = v
            .seal(&dek, "m1", "pm1", Field::Pan, "4920201996449560")
            .unwrap();
        assert_eq!(
            v.open(&dek, "m2", "pm1", Field::Pan, &ct).unwrap_err(),
            VaultError::Open
        );
        assert_eq!(
            v.open(&dek, "m1", "pm2", Field::Pan, &ct).unwrap_err(),
            VaultError::Open
        );
        assert_eq!(
            v.open(&dek, "m1", "pm1", Field::Cvv, &ct).unwrap_err(),
            VaultError::Open
        );
        let mut tampered = ct.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert_eq!(
            v.open(&dek, "m1", "pm1", Field::Pan, &tampered)
                .unwrap_err(),
            VaultError::Open
        );
    }

    #[test]
    fn rotation_rewraps_without_touching_ciphertext() {
        let mut ring = KeyRing::generate().unwrap();
        let v1 = Vault::new(ring.clone());
        let (dek, wrapped) = v1.new_data_key("m1", "pm1").unwrap();
        let ct = v1
            .seal(&dek, "m1", "pm1", Field::Pan, "5244209084665514")
            .unwrap();
        ring.rotate().unwrap();
        let v2 = Vault::new(ring);
        let rewrapped = v2.rewrap("m1", "pm1", &wrapped).unwrap();
        assert_eq!(rewrapped.kek_version, wrapped.kek_version + 1);
        let dek2 = v2.unwrap_data_key("m1", "pm1", &rewrapped).unwrap();
        assert_eq!(
            v2.open(&dek2, "m1", "pm1", Field::Pan, &ct)
                .unwrap()
                .expose(),
            "5244209084665514"
        );
    }

    #[test]
    fn fingerprints_are_per_merchant() {
        let v = vault();
        let a = v.fingerprint("m1", "4920201996449560");
        assert_eq!(a.len(), 26);
        assert_eq!(a, v.fingerprint("m1", "4920201996449560"));
        assert_ne!(a, v.fingerprint("m2", "4920201996449560"));
    }

    #[test]
    fn secret_hash_is_stable_and_peppered() {
        let v = vault();
        assert_eq!(v.hash_secret("abc"), v.hash_secret("abc"));
        assert_ne!(v.hash_secret("abc"), vault().hash_secret("abc"));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
    }
}
