//! Creating and opening encrypted repositories, and their key files
//! (`pgkeep key list|add|remove|passwd`): which secret opens which key
//! file, and the rule that a repository always keeps at least one.
//!
//! The cryptography itself is `crypto`'s; this module only decides which
//! files to read and write, and wraps the opened repository's storage in
//! the sealing layer.

use std::path::Path;
use std::sync::Arc;

use super::backend::{Backend, FileType, LocalBackend};
use super::config::RepoConfig;
use super::crypto::{self, KdfParams, KeyFile, KeyInfo, MasterKey, PasswordSource, SealedBackend, Secret};
use super::envelope::{self, Kind};
use super::error::{RepoError, Result};
use super::id::Id;
use super::location::RepoLocation;
use super::object::{ObjectBackend, RemoteOptions};
use super::Repository;

/// An opened encrypted repository's master key, and which key file opened it.
#[derive(Debug)]
pub(super) struct Unlocked {
    master: MasterKey,
    key_file: String,
}

impl Repository {
    /// Create an encrypted repository in `path` (a new or empty directory):
    /// a random master key, wrapped in one key file by `secret`.
    pub fn init_encrypted(path: &Path, config: RepoConfig, secret: &Secret, kdf: KdfParams) -> Result<Repository> {
        Self::init_encrypted_at(&RepoLocation::Local(path.to_path_buf()), config, secret, kdf, &RemoteOptions::default())
    }

    /// [`Repository::init_encrypted`] at any location (a directory, or a
    /// prefix of a bucket that holds no object yet).
    pub fn init_encrypted_at(
        location: &RepoLocation,
        mut config: RepoConfig,
        secret: &Secret,
        kdf: KdfParams,
        opts: &RemoteOptions,
    ) -> Result<Repository> {
        // A config that names no cipher gets the default one.
        if config.encryption == "none" {
            config.encryption = crypto::Cipher::default().name().into();
        }
        config.validate()?;
        let (backend, local): (Arc<dyn Backend>, Option<Arc<LocalBackend>>) = match location {
            RepoLocation::Local(path) => {
                let l = Arc::new(LocalBackend::create(path)?);
                (l.clone(), Some(l))
            }
            _ => (Arc::new(ObjectBackend::create(location, opts)?), None),
        };
        let master = MasterKey::random();
        let key = KeyFile::create(&master, secret, kdf, &config.id)?;
        let key_name = Id::random().to_hex();
        // The key first: a config that exists always has a key to open it.
        backend.write(FileType::Key, &key_name, &envelope::seal_value(Kind::Key, &key))?;
        backend
            .write_new(FileType::Config, "config", &envelope::seal_value(Kind::Config, &config))
            .map_err(|e| match e {
                RepoError::ObjectExists { .. } => RepoError::AlreadyExists(location.to_string().into()),
                e => e,
            })?;
        Ok(Repository::unlocked(backend, local, config, master, key_name))
    }

    /// Open the repository in `path`; an encrypted one with the secret
    /// `source` gives (read only when the repository is encrypted).
    pub fn open_with(path: &Path, source: &PasswordSource) -> Result<Repository> {
        Self::open_located(&RepoLocation::Local(path.to_path_buf()), &RemoteOptions::default(), source)
    }

    /// Open the repository at `location` with store settings `opts`; an
    /// encrypted one with the secret `source` gives.
    pub fn open_located(location: &RepoLocation, opts: &RemoteOptions, source: &PasswordSource) -> Result<Repository> {
        let (backend, local): (Arc<dyn Backend>, Option<Arc<LocalBackend>>) = match location {
            RepoLocation::Local(path) => {
                let l = Arc::new(LocalBackend::open(path)?);
                (l.clone(), Some(l))
            }
            _ => (Arc::new(ObjectBackend::open(location, opts)?), None),
        };
        let bytes = backend.read(FileType::Config, "config")?;
        let config: RepoConfig = envelope::open_value(Kind::Config, &bytes, "config")?;
        config.validate_for_reading()?;
        if config.encryption == "none" {
            return Ok(Repository { backend, local, config, unlocked: None, index_cache: Default::default() });
        }
        let secret = source.secret()?.ok_or(RepoError::KeyRequired { location: backend.location() })?;
        let (master, key_name) = unlock(backend.as_ref(), &config.id, &secret)?;
        Ok(Repository::unlocked(backend, local, config, master, key_name))
    }

    fn unlocked(
        inner: Arc<dyn Backend>,
        local: Option<Arc<LocalBackend>>,
        config: RepoConfig,
        master: MasterKey,
        key_file: String,
    ) -> Repository {
        // validate_for_reading accepted the name, so it is a known cipher.
        let cipher = crypto::Cipher::from_name(&config.encryption).unwrap_or_default();
        let sealed = SealedBackend::new(inner, Arc::new(master.derive()), cipher);
        Repository {
            backend: Arc::new(sealed),
            local,
            config,
            unlocked: Some(Arc::new(Unlocked { master, key_file })),
            index_cache: Default::default(),
        }
    }

    pub fn is_encrypted(&self) -> bool {
        self.unlocked.is_some()
    }

    /// Refuse an unencrypted repository (the service's `require_encryption`).
    pub fn require_encryption(&self) -> Result<()> {
        match self.is_encrypted() {
            true => Ok(()),
            false => Err(RepoError::NotEncrypted { location: self.location() }),
        }
    }

    /// The key files, and which one opened this repository.
    pub fn list_keys(&self) -> Result<(Vec<KeyInfo>, Option<String>)> {
        let mut out = Vec::new();
        for f in self.backend.list(FileType::Key)? {
            out.push(read_key(self.backend.as_ref(), &f.name)?.info(&f.name));
        }
        Ok((out, self.unlocked.as_ref().map(|u| u.key_file.clone())))
    }

    /// Add a key file that `secret` opens; returns its id. No data is
    /// rewritten.
    pub fn add_key(&self, secret: &Secret, kdf: KdfParams) -> Result<String> {
        let u = self.unlocked.as_ref().ok_or_else(|| self.not_encrypted())?;
        let key = KeyFile::create(&u.master, secret, kdf, &self.config.id)?;
        let name = Id::random().to_hex();
        self.backend.write(FileType::Key, &name, &envelope::seal_value(Kind::Key, &key))?;
        Ok(name)
    }

    /// Remove the key file `id` (a unique prefix will do). The last key
    /// file, and the one this repository was opened with, are kept: without
    /// them it could not be opened again by this secret.
    pub fn remove_key(&self, id: &str) -> Result<String> {
        let u = self.unlocked.as_ref().ok_or_else(|| self.not_encrypted())?;
        let files = self.backend.list(FileType::Key)?;
        let matches: Vec<&str> = files.iter().map(|f| f.name.as_str()).filter(|n| n.starts_with(id)).collect();
        let name = match matches.as_slice() {
            [one] => one.to_string(),
            [] => return Err(RepoError::InvalidSetting { name: "key".into(), problem: format!("no key file matches {id:?}; `pgkeep key list` shows them") }),
            _ => return Err(RepoError::InvalidSetting { name: "key".into(), problem: format!("{id:?} matches {} key files; give more digits", matches.len()) }),
        };
        if name == u.key_file {
            return Err(RepoError::InvalidSetting {
                name: "key".into(),
                problem: format!("{} is the key this command was opened with: open with another key to remove it (or use `pgkeep key passwd`)", &name[..8]),
            });
        }
        self.backend.remove(FileType::Key, &name)?;
        Ok(name)
    }

    /// Replace the key file this repository was opened with by one that
    /// `secret` opens: the new one is written before the old one goes.
    pub fn change_password(&self, secret: &Secret, kdf: KdfParams) -> Result<String> {
        let u = self.unlocked.as_ref().ok_or_else(|| self.not_encrypted())?;
        let new = self.add_key(secret, kdf)?;
        self.backend.remove(FileType::Key, &u.key_file)?;
        Ok(new)
    }

    fn not_encrypted(&self) -> RepoError {
        RepoError::NotEncrypted { location: self.location() }
    }
}

fn read_key(backend: &dyn Backend, name: &str) -> Result<KeyFile> {
    let object = backend.relative_path(FileType::Key, name);
    let bytes = backend.read(FileType::Key, name)?;
    envelope::open_value(Kind::Key, &bytes, &object)
}

/// The master key from the first key file `secret` opens.
fn unlock(backend: &dyn Backend, repo: &Id, secret: &Secret) -> Result<(MasterKey, String)> {
    let files = backend.list(FileType::Key)?;
    if files.is_empty() {
        return Err(RepoError::NoKeys { location: backend.location() });
    }
    for f in &files {
        let key = read_key(backend, &f.name)?;
        if let Some(master) = key.open(secret, repo, &backend.relative_path(FileType::Key, &f.name))? {
            return Ok((master, f.name.clone()));
        }
    }
    Err(RepoError::WrongPassword { location: backend.location(), tried: files.len() })
}
