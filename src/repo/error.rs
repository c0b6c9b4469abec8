//! Errors of the repository layer. Every variant names the object it is
//! about (repository path, pack, index file, snapshot, chunk, lock) so a
//! message can be acted on without a debugger.

use std::path::PathBuf;

use super::id::Id;

#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("no repository at {0}: run `pgkeep init --repo {0}` first")]
    NotFound(PathBuf),

    #[error("{path} is not a pgkeep repository: {why}")]
    NotARepository { path: PathBuf, why: String },

    #[error("{0} already holds a repository (or other files); choose an empty or new directory (or prefix)")]
    AlreadyExists(PathBuf),

    /// A create-only write (`Backend::write_new`) found the object there,
    /// holding other bytes: another writer created it first.
    #[error("{object} already exists with other content: another writer created it first; nothing was overwritten")]
    ObjectExists { object: String },

    /// An object store operation failed for good (after its retries).
    /// `object` is the full location (`s3://bucket/prefix/snapshots/…`);
    /// `message` never holds credentials or query strings.
    #[error("{action} {object}: {message}; {hint}")]
    Remote {
        action: &'static str,
        object: String,
        message: String,
        hint: String,
    },

    #[error("{object} is corrupt: {problem}")]
    Corrupt { object: String, problem: String },

    #[error("{object} has format version {found}, but this pgkeep reads only up to version {supported}: upgrade pgkeep")]
    UnsupportedVersion {
        object: String,
        found: u32,
        supported: u32,
    },

    #[error("{object} uses {feature}, which this pgkeep does not support: upgrade pgkeep")]
    UnsupportedFeature { object: String, feature: String },

    #[error("repository is locked {mode} by {holder} (lock file {file}); wait for it to finish, or run `pgkeep unlock` if that process is gone")]
    Locked {
        mode: &'static str,
        holder: String,
        file: String,
    },

    #[error("the repository lock {file} is no longer held: {why}; the snapshot was not written (its data may have been pruned): run the backup again")]
    LockLost { file: String, why: String },

    #[error("pack {pack} that the new snapshot needs is gone (a prune may have removed it); the snapshot was not written: run the backup again")]
    PackGone { pack: String },

    #[error("no snapshot matches {0:?}; `pgkeep snapshots` lists them")]
    SnapshotNotFound(String),

    #[error(
        "snapshot prefix {prefix:?} is ambiguous: it matches {count} snapshots; give more digits"
    )]
    AmbiguousSnapshot { prefix: String, count: usize },

    #[error("chunk {chunk} is not in the repository index (needed by {needed_by}); run `pgkeep check` and `pgkeep rebuild-index`")]
    ChunkNotIndexed { chunk: Id, needed_by: String },

    #[error("stream {stream}: the source failed: {message}")]
    Source { stream: String, message: String },

    #[error("invalid setting {name}: {problem}")]
    InvalidSetting { name: String, problem: String },

    #[error("repository writer stopped: {0}")]
    WriterFailed(String),

    #[error("{object} failed authentication: {problem}; it was changed, damaged or belongs to another repository, and nothing of it was used")]
    Unauthentic { object: String, problem: String },

    #[error("repository {location} is encrypted: give its password with --password-file FILE, --password-command CMD, PGKEEP_PASSWORD_FILE or PGKEEP_PASSWORD (or a raw key with --key-file / PGKEEP_KEY_FILE)")]
    KeyRequired { location: String },

    #[error("wrong password: none of the {tried} key files of repository {location} opens with it; nothing was read or written")]
    WrongPassword { location: String, tried: usize },

    #[error("repository {location} is encrypted but has no key file in keys/: it cannot be opened (restore keys/ from a copy of the repository)")]
    NoKeys { location: String },

    #[error("repository {location} is not encrypted, and encryption is required here (anyone who can write to it controls what a restore runs)")]
    NotEncrypted { location: String },

    #[error("{source_name}: {problem}")]
    SecretSource { source_name: String, problem: String },
}

pub type Result<T, E = RepoError> = std::result::Result<T, E>;

impl RepoError {
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        RepoError::Io {
            action,
            path: path.into(),
            source,
        }
    }

    pub fn corrupt(object: impl Into<String>, problem: impl Into<String>) -> Self {
        RepoError::Corrupt {
            object: object.into(),
            problem: problem.into(),
        }
    }
}
