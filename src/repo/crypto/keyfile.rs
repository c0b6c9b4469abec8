//! Key files (`keys/<id>`, format-spec/encryption.md "Key files"): the
//! master key sealed under a key derived from a password with Argon2id, or
//! under a raw 32-byte key. Any number of them open the same repository, so
//! a password is added, changed or removed without rewriting any data.
//!
//! Owns the key file's fields, the key derivation and the wrapping. A wrong
//! secret is an AEAD failure, never a partially opened key.

use chacha20poly1305::aead::{AeadInPlace, KeyInit};
use chacha20poly1305::{Tag, XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use super::{MasterKey, Secret};
use crate::manifest::Timestamp;
use crate::repo::error::{RepoError, Result};
use crate::repo::id::Id;

/// Argon2id's cost: memory in KiB, passes, lanes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub lanes: u32,
}

impl Default for KdfParams {
    /// 128 MiB and 4 passes: 0.45–0.49 s to open a repository on the 2-core
    /// machine pgkeep is built on (README "Encryption" has the measurement),
    /// and 128 MiB of memory per guess makes guessing on a GPU costly.
    fn default() -> KdfParams {
        KdfParams { memory_kib: 128 * 1024, iterations: 4, lanes: 1 }
    }
}

impl KdfParams {
    /// The limits a reader accepts, so a hostile key file cannot make it
    /// allocate or spin without bound (1 GiB, 32 passes, 16 lanes).
    fn check(&self, object: &str) -> Result<()> {
        if !(8..=1024 * 1024).contains(&self.memory_kib) || !(1..=32).contains(&self.iterations) || !(1..=16).contains(&self.lanes)
        {
            return Err(RepoError::corrupt(object, format!("Argon2id parameters out of range: {self:?}")));
        }
        Ok(())
    }
}

/// One key file as stored (MessagePack in an envelope of kind `K`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyFile {
    pub version: u32,
    /// "argon2id" (a password) or "none" (a raw key).
    pub kdf: String,
    pub argon2: Option<KdfParams>,
    #[serde(with = "serde_bytes")]
    pub salt: Vec<u8>,
    #[serde(with = "serde_bytes")]
    pub nonce: Vec<u8>,
    /// The master key sealed: 32 bytes and a 16-byte tag.
    #[serde(with = "serde_bytes")]
    pub sealed_key: Vec<u8>,
    pub created: Timestamp,
    pub hostname: String,
    pub username: String,
}

/// What `pgkeep key list` shows of a key file.
#[derive(Clone, Debug, Serialize)]
pub struct KeyInfo {
    pub id: String,
    pub kdf: String,
    pub created: Timestamp,
    pub hostname: String,
    pub username: String,
}

const VERSION: u32 = 1;

impl KeyFile {
    /// Wrap `master` for repository `repo` under `secret`.
    pub fn create(master: &MasterKey, secret: &Secret, kdf: KdfParams, repo: &Id) -> Result<KeyFile> {
        if matches!(secret, Secret::Password(_)) {
            kdf.check("new key file")?;
        }
        let (kdf_name, params, salt) = match secret {
            Secret::Password(_) => ("argon2id", Some(kdf), rand::random::<[u8; 32]>().to_vec()),
            Secret::RawKey(_) => ("none", None, Vec::new()),
        };
        let mut file = KeyFile {
            version: VERSION,
            kdf: kdf_name.into(),
            argon2: params,
            salt,
            nonce: rand::random::<[u8; 24]>().to_vec(),
            sealed_key: Vec::new(),
            created: Timestamp::now(),
            hostname: crate::repo::lock::hostname(),
            username: std::env::var("USER").unwrap_or_default(),
        };
        let mut wrapping = file.wrapping_key(secret, "new key file")?;
        let cipher = XChaCha20Poly1305::new((&wrapping).into());
        wrapping.zeroize();
        let mut buf = master.bytes().to_vec();
        let nonce = XNonce::from_slice(&file.nonce);
        let tag = cipher
            .encrypt_in_place_detached(nonce, &file.aad(repo), &mut buf)
            .map_err(|_| RepoError::corrupt("new key file", "sealing the master key failed"))?;
        buf.extend_from_slice(&tag);
        file.sealed_key = buf;
        Ok(file)
    }

    /// The master key, if `secret` is this key file's; `object` names the
    /// file in errors. `Ok(None)`: another secret's file.
    pub fn open(&self, secret: &Secret, repo: &Id, object: &str) -> Result<Option<MasterKey>> {
        if self.version != VERSION {
            return Err(RepoError::UnsupportedVersion { object: object.into(), found: self.version, supported: VERSION });
        }
        match (self.kdf.as_str(), secret) {
            ("argon2id", Secret::Password(_)) | ("none", Secret::RawKey(_)) => {}
            ("argon2id" | "none", _) => return Ok(None),
            (other, _) => {
                return Err(RepoError::UnsupportedFeature { object: object.into(), feature: format!("key derivation {other:?}") })
            }
        }
        if self.nonce.len() != 24 || self.sealed_key.len() != 48 {
            return Err(RepoError::corrupt(object, "nonce or sealed key of the wrong length"));
        }
        let mut wrapping = self.wrapping_key(secret, object)?;
        let cipher = XChaCha20Poly1305::new((&wrapping).into());
        wrapping.zeroize();
        let mut key = [0u8; 32];
        key.copy_from_slice(&self.sealed_key[..32]);
        let opened = cipher.decrypt_in_place_detached(
            XNonce::from_slice(&self.nonce),
            &self.aad(repo),
            &mut key,
            Tag::from_slice(&self.sealed_key[32..]),
        );
        let master = MasterKey::from_bytes(key);
        key.zeroize();
        Ok(opened.ok().map(|_| master))
    }

    pub fn info(&self, id: &str) -> KeyInfo {
        KeyInfo {
            id: id.into(),
            kdf: self.kdf.clone(),
            created: self.created,
            hostname: self.hostname.clone(),
            username: self.username.clone(),
        }
    }

    /// Binds the sealed key to its repository and to this file's KDF
    /// settings, so neither can be swapped.
    fn aad(&self, repo: &Id) -> Vec<u8> {
        let mut a = b"pgkeep key file v1".to_vec();
        a.extend_from_slice(&repo.0);
        a.extend_from_slice(self.kdf.as_bytes());
        a.push(0);
        if let Some(p) = &self.argon2 {
            for v in [p.memory_kib, p.iterations, p.lanes] {
                a.extend_from_slice(&v.to_le_bytes());
            }
        }
        a.extend_from_slice(&self.salt);
        a
    }

    fn wrapping_key(&self, secret: &Secret, object: &str) -> Result<[u8; 32]> {
        match secret {
            Secret::RawKey(k) => Ok(*k.bytes()),
            Secret::Password(p) => {
                let params = self.argon2.ok_or_else(|| RepoError::corrupt(object, "an Argon2id key file without its parameters"))?;
                params.check(object)?;
                if self.salt.len() < 16 {
                    return Err(RepoError::corrupt(object, "the salt is shorter than 16 bytes"));
                }
                let a = argon2::Params::new(params.memory_kib, params.iterations, params.lanes, Some(32))
                    .map_err(|e| RepoError::corrupt(object, format!("Argon2id parameters: {e}")))?;
                let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, a);
                let mut out = [0u8; 32];
                argon
                    .hash_password_into(p.expose(), &self.salt, &mut out)
                    .map_err(|e| RepoError::corrupt(object, format!("Argon2id: {e}")))?;
                Ok(out)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAST: KdfParams = KdfParams { memory_kib: 64, iterations: 1, lanes: 1 };

    #[test]
    fn a_key_file_opens_with_its_secret_only() {
        let repo = Id::random();
        let master = MasterKey::random();
        let pw = Secret::password("correct horse".into());
        let f = KeyFile::create(&master, &pw, FAST, &repo).unwrap();
        let got = f.open(&pw, &repo, "keys/x").unwrap().unwrap();
        assert_eq!(got.bytes(), master.bytes());
        assert!(f.open(&Secret::password("wrong".into()), &repo, "keys/x").unwrap().is_none());
        assert!(f.open(&pw, &Id::random(), "keys/x").unwrap().is_none(), "bound to its repository");
        let mut tampered = f.clone();
        tampered.argon2 = Some(KdfParams { memory_kib: 128, ..FAST });
        assert!(tampered.open(&pw, &repo, "keys/x").unwrap().is_none(), "bound to its parameters");
        let raw = Secret::RawKey(super::super::secret::RawKey::from_bytes([7; 32]));
        assert!(f.open(&raw, &repo, "keys/x").unwrap().is_none());
        let r = KeyFile::create(&master, &raw, FAST, &repo).unwrap();
        assert_eq!(r.open(&raw, &repo, "keys/y").unwrap().unwrap().bytes(), master.bytes());
        let mut hostile = f.clone();
        hostile.argon2 = Some(KdfParams { memory_kib: u32::MAX, ..FAST });
        assert!(hostile.open(&pw, &repo, "keys/x").unwrap_err().to_string().contains("keys/x"));
    }
}
