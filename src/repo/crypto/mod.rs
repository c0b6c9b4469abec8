//! Encrypted repositories (format-spec/encryption.md): the master key and
//! the keys derived from it, key files that wrap it under a password or a
//! raw key, the secret a user gives to open them, and the sealing layer
//! that encrypts and authenticates every file a repository stores.
//!
//! Owns the cryptography and nothing else: the sealing layer wraps any
//! [`Backend`](super::backend::Backend) and sees opaque bytes, so packs,
//! index files, manifests, locks and job records keep their plaintext
//! layout and their code does not know whether it is encrypted. It must
//! never log or put in an error a key, a password or plaintext.

mod keyfile;
mod sealed;
mod secret;

pub use keyfile::{KdfParams, KeyFile, KeyInfo};
pub use sealed::{SealedBackend, Sealer, SEGMENT};
pub use secret::{PasswordSource, RawKey, Secret};

use zeroize::Zeroize;

/// How an encrypted repository seals its files: the `encryption` value of
/// its config (format-spec/encryption.md, "Ciphers").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Cipher {
    /// AES-256-GCM under a subkey of its own for every file; the default,
    /// as it runs at several GB/s per core on AES instructions.
    #[default]
    Aes256Gcm,
    /// XChaCha20-Poly1305; as fast on CPUs without AES instructions.
    XChaCha20Poly1305,
}

impl Cipher {
    pub const ALL: [Cipher; 2] = [Cipher::Aes256Gcm, Cipher::XChaCha20Poly1305];

    /// Its name in the config and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Cipher::Aes256Gcm => "aes-256-gcm",
            Cipher::XChaCha20Poly1305 => "xchacha20-poly1305",
        }
    }

    pub fn from_name(name: &str) -> Option<Cipher> {
        Cipher::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Byte 7 of a sealed file's header.
    pub(crate) fn header_id(self) -> u8 {
        match self {
            Cipher::XChaCha20Poly1305 => 0,
            Cipher::Aes256Gcm => 1,
        }
    }
}

impl std::fmt::Display for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The 32 random bytes every key file wraps; all keys are derived from it.
pub struct MasterKey([u8; 32]);

impl MasterKey {
    pub fn random() -> MasterKey {
        MasterKey(rand::random())
    }

    /// A master key given whole (test vectors, fuzzing).
    pub fn from_bytes(b: [u8; 32]) -> MasterKey {
        MasterKey(b)
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The keys a repository's readers and writers use.
    pub fn derive(&self) -> RepoKeys {
        let seed = blake3::derive_key("pgkeep 2026-12 chunker seed", &self.0);
        RepoKeys {
            aead: blake3::derive_key("pgkeep 2026-12 object encryption", &self.0),
            content_id: blake3::derive_key("pgkeep 2026-12 content ids", &self.0),
            chunker_seed: u64::from_le_bytes(seed[..8].try_into().unwrap_or_default()),
        }
    }
}

impl Drop for MasterKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(…)")
    }
}

/// What an encrypted repository's readers and writers use: the AEAD key of
/// every file, the BLAKE3 key of content ids (so equal plaintext in two
/// repositories gets different ids), and the chunker's gear-table seed (so
/// chunk boundaries, and the sizes they leak, differ between repositories).
pub struct RepoKeys {
    aead: [u8; 32],
    content_id: [u8; 32],
    pub chunker_seed: u64,
}

impl RepoKeys {
    pub fn content_id(&self, data: &[u8]) -> super::id::Id {
        super::id::Id(*blake3::keyed_hash(&self.content_id, data).as_bytes())
    }
}

impl Drop for RepoKeys {
    fn drop(&mut self) {
        self.aead.zeroize();
        self.content_id.zeroize();
        self.chunker_seed.zeroize();
    }
}

impl std::fmt::Debug for RepoKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RepoKeys(…)")
    }
}
