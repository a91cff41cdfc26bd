//! The key ring: versioned master keys (KEKs), the fingerprint key and the credential pepper.
//!
//! It lives in a file outside the database (mode 0600), so a database dump alone never
//! decrypts a card. Rotation adds a version and makes it active; older versions stay until no
//! wrapped data key refers to them, then `retire` removes them.

use base64::Engine;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use thiserror::Error;
use zeroize::Zeroizing;

#[derive(Debug, Error)]
pub enum KeyRingError {
    #[error("key file {0}: {1}")]
    Io(String, std::io::Error),
    #[error("key file {0} is not a valid openflex key ring: {1}")]
    Format(String, String),
    #[error("random source failed")]
    Random,
}

#[derive(Clone)]
pub struct KeyRing {
    active: u32,
    keks: BTreeMap<u32, Zeroizing<[u8; 32]>>,
    fingerprint_key: Zeroizing<[u8; 32]>,
    pepper: Zeroizing<[u8; 32]>,
    signing_key: Zeroizing<[u8; 32]>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeyFile {
    format: u32,
    active_kek: u32,
    keks: BTreeMap<String, String>,
    fingerprint_key: String,
    pepper: String,
    signing_key: String,
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

fn key32(text: &str, what: &str, path: &str) -> Result<Zeroizing<[u8; 32]>, KeyRingError> {
    let bytes = Zeroizing::new(
        b64()
            .decode(text)
            .map_err(|_| KeyRingError::Format(path.into(), format!("{what} is not base64")))?,
    );
    let arr: [u8; 32] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| KeyRingError::Format(path.into(), format!("{what} is not 32 bytes")))?;
    Ok(Zeroizing::new(arr))
}

fn fresh() -> Result<Zeroizing<[u8; 32]>, KeyRingError> {
    crate::random_bytes::<32>()
        .map(Zeroizing::new)
        .map_err(|_| KeyRingError::Random)
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "KeyRing(active kek v{}, {} versions)",
            self.active,
            self.keks.len()
        )
    }
}

impl KeyRing {
    pub fn generate() -> Result<Self, KeyRingError> {
        let mut keks = BTreeMap::new();
        keks.insert(1, fresh()?);
        Ok(Self {
            active: 1,
            keks,
            fingerprint_key: fresh()?,
            pepper: fresh()?,
            signing_key: fresh()?,
        })
    }

    /// Loads the key file, creating it (mode 0600) on first start. Returns whether it was created.
    pub fn load_or_create(path: &Path) -> Result<(Self, bool), KeyRingError> {
        if path.exists() {
            return Ok((Self::load(path)?, false));
        }
        let ring = Self::generate()?;
        ring.save(path)?;
        Ok((ring, true))
    }

    pub fn load(path: &Path) -> Result<Self, KeyRingError> {
        let name = path.display().to_string();
        let text = Zeroizing::new(
            std::fs::read_to_string(path).map_err(|e| KeyRingError::Io(name.clone(), e))?,
        );
        let file: KeyFile = serde_json::from_str(&text)
            .map_err(|e| KeyRingError::Format(name.clone(), e.to_string()))?;
        let mut keks = BTreeMap::new();
        for (version, key) in &file.keks {
            let v: u32 = version
                .parse()
                .map_err(|_| KeyRingError::Format(name.clone(), "bad kek version".into()))?;
            keks.insert(v, key32(key, "kek", &name)?);
        }
        if !keks.contains_key(&file.active_kek) {
            return Err(KeyRingError::Format(name, "active kek missing".into()));
        }
        Ok(Self {
            active: file.active_kek,
            keks,
            fingerprint_key: key32(&file.fingerprint_key, "fingerprintKey", &name)?,
            pepper: key32(&file.pepper, "pepper", &name)?,
            signing_key: key32(&file.signing_key, "signingKey", &name)?,
        })
    }

    /// Writes the ring atomically (temp file + rename), readable by the owner only.
    pub fn save(&self, path: &Path) -> Result<(), KeyRingError> {
        let name = path.display().to_string();
        let file = KeyFile {
            format: 1,
            active_kek: self.active,
            keks: self
                .keks
                .iter()
                .map(|(v, k)| (v.to_string(), b64().encode(k.as_ref())))
                .collect(),
            fingerprint_key: b64().encode(self.fingerprint_key.as_ref()),
            pepper: b64().encode(self.pepper.as_ref()),
            signing_key: b64().encode(self.signing_key.as_ref()),
        };
        let text = Zeroizing::new(serde_json::to_string_pretty(&file).expect("serializable"));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| KeyRingError::Io(name.clone(), e))?;
        }
        let tmp = path.with_extension("tmp");
        write_private(&tmp, text.as_bytes()).map_err(|e| KeyRingError::Io(name.clone(), e))?;
        std::fs::rename(&tmp, path).map_err(|e| KeyRingError::Io(name, e))
    }

    /// Adds a new master key version and makes it active.
    pub fn rotate(&mut self) -> Result<u32, KeyRingError> {
        let next = self.keks.keys().max().copied().unwrap_or(0) + 1;
        self.keks.insert(next, fresh()?);
        self.active = next;
        Ok(next)
    }

    /// Drops master key versions that are neither active nor in `in_use`.
    pub fn retire_unused(&mut self, in_use: &[u32]) -> Vec<u32> {
        let gone: Vec<u32> = self
            .keks
            .keys()
            .copied()
            .filter(|v| *v != self.active && !in_use.contains(v))
            .collect();
        for v in &gone {
            self.keks.remove(v);
        }
        gone
    }

    pub fn active_version(&self) -> u32 {
        self.active
    }

    pub fn versions(&self) -> Vec<u32> {
        self.keks.keys().copied().collect()
    }

    pub(crate) fn active_kek(&self) -> (u32, &[u8; 32]) {
        (self.active, &self.keks[&self.active])
    }

    pub(crate) fn kek(&self, version: u32) -> Option<&[u8; 32]> {
        self.keks.get(&version).map(|k| &**k)
    }

    pub(crate) fn fingerprint_key(&self) -> &[u8; 32] {
        &self.fingerprint_key
    }

    pub(crate) fn pepper(&self) -> &[u8; 32] {
        &self.pepper
    }

    /// Key for signing bearer tokens (FlexFactor / Flexiti JWTs).
    pub fn signing_key(&self) -> &[u8; 32] {
        &self.signing_key
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_file_is_private_and_reloads() {
        let dir = std::env::temp_dir().join(format!("openflex-ring-{}", std::process::id()));
        let path = dir.join("master.key");
        let _ = std::fs::remove_file(&path);
        let (ring, created) = KeyRing::load_or_create(&path).unwrap();
        assert!(created);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let (again, created) = KeyRing::load_or_create(&path).unwrap();
        assert!(!created);
        assert_eq!(again.pepper(), ring.pepper());
        assert_eq!(again.active_version(), 1);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn retire_keeps_active_and_in_use() {
        let mut ring = KeyRing::generate().unwrap();
        ring.rotate().unwrap();
        ring.rotate().unwrap();
        assert_eq!(ring.retire_unused(&[2]), vec![1]);
        assert_eq!(ring.versions(), vec![2, 3]);
    }
}
