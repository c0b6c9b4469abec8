//! The repository: a content-addressed store of zstd-compressed chunks in
//! packs, an index over them, snapshot manifests and locks
//! (format-spec/ describes every byte).
//!
//! `Repository` is an opened repository (config read and validated);
//! `IndexedRepository` has also loaded the index, which reading needs, so
//! reading from a repository whose index was never loaded does not compile.
//! This module knows nothing of PostgreSQL.

pub mod backend;
pub mod check;
pub mod chunker;
pub mod config;
pub mod crypto;
pub mod envelope;
pub mod error;
pub use crate::manifest::id;
pub mod index;
mod keyring;
pub mod location;
pub mod lock;
pub mod object;
pub mod pack;
pub mod prune;
pub mod reader;
pub mod snapshot;
pub mod writer;

use std::path::Path;
use std::sync::Arc;

pub use backend::{Backend, FileType, LocalBackend};
pub use config::{ChunkerParams, CompressionParams, RepoConfig};
pub use error::{RepoError, Result};
pub use id::Id;
pub use index::MasterIndex;
pub use location::RepoLocation;
pub use reader::{ChunkReader, StreamReader};
pub use snapshot::{Snapshot, Timestamp};
pub use writer::{BackupSession, Compression, StreamSummary};

use envelope::Kind;

/// An opened repository.
#[derive(Clone)]
pub struct Repository {
    backend: Arc<dyn Backend>,
    local: Option<Arc<LocalBackend>>,
    config: RepoConfig,
    /// An encrypted repository's master key and the key file that opened it.
    unlocked: Option<Arc<keyring::Unlocked>>,
    /// The index as this process last loaded it for a backup, shared by
    /// clones: see [`MasterIndex::refresh`].
    index_cache: IndexCache,
}

/// The last loaded index of a repository, kept between backups of one
/// process (a service round starts a backup per tenant). The price: the
/// memory each backup needed for the index anyway (about 100 bytes per
/// chunk) stays held between backups instead of being freed after each.
pub(crate) type IndexCache = Arc<std::sync::Mutex<Option<Arc<MasterIndex>>>>;

/// A repository with its index loaded: ready to read chunks. Holds a
/// shared lock for as long as it (or a clone) lives, so a prune cannot
/// remove packs under a running restore.
#[derive(Clone)]
pub struct IndexedRepository {
    pub repo: Repository,
    pub index: Arc<MasterIndex>,
    _lock: Arc<lock::LockGuard>,
}

/// The snapshots that could be read, and the error of each one that could
/// not ([`Repository::snapshots_lenient`]).
pub type ReadableSnapshots = (Vec<(Id, Snapshot)>, Vec<RepoError>);

impl Repository {
    /// Create a repository in `path` (a new or empty directory).
    pub fn init(path: &Path, config: RepoConfig) -> Result<Repository> {
        config.validate()?;
        let local = Arc::new(LocalBackend::create(path)?);
        let bytes = envelope::seal_value(Kind::Config, &config);
        local.write_new(FileType::Config, "config", &bytes)?;
        Ok(Repository {
            backend: local.clone(),
            local: Some(local),
            config,
            unlocked: None,
            index_cache: IndexCache::default(),
        })
    }

    /// Open the repository in `path`; an encrypted one with the secret the
    /// environment gives (see [`crypto::PasswordSource`]).
    pub fn open(path: &Path) -> Result<Repository> {
        Repository::open_with(path, &crypto::PasswordSource::default())
    }

    /// Create a repository at `location`: a local directory (as
    /// [`Repository::init`]) or a prefix of an object store bucket, which
    /// must hold no object yet. Store settings and credentials come from
    /// the environment ([`object`]).
    pub fn init_at(location: &RepoLocation, config: RepoConfig) -> Result<Repository> {
        Self::init_at_with(location, config, &object::RemoteOptions::default())
    }

    /// [`Repository::init_at`] with store settings beyond the environment.
    pub fn init_at_with(
        location: &RepoLocation,
        config: RepoConfig,
        opts: &object::RemoteOptions,
    ) -> Result<Repository> {
        if let RepoLocation::Local(path) = location {
            return Self::init(path, config);
        }
        config.validate()?;
        let backend = Arc::new(object::ObjectBackend::create(location, opts)?);
        let bytes = envelope::seal_value(Kind::Config, &config);
        // Create-only: of two racing inits, one fails here.
        backend
            .write_new(FileType::Config, "config", &bytes)
            .map_err(|e| match e {
                RepoError::ObjectExists { .. } => RepoError::AlreadyExists(location.to_string().into()),
                e => e,
            })?;
        Ok(Repository {
            backend,
            local: None,
            config,
            unlocked: None,
            index_cache: IndexCache::default(),
        })
    }

    /// Open the repository at `location` (see [`Repository::init_at`]); an
    /// encrypted one with the secret the environment gives.
    pub fn open_at(location: &RepoLocation) -> Result<Repository> {
        Self::open_at_with(location, &object::RemoteOptions::default())
    }

    /// [`Repository::open_at`] with store settings beyond the environment.
    pub fn open_at_with(location: &RepoLocation, opts: &object::RemoteOptions) -> Result<Repository> {
        Self::open_located(location, opts, &crypto::PasswordSource::default())
    }

    pub fn config(&self) -> &RepoConfig {
        &self.config
    }

    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.backend
    }

    pub fn location(&self) -> String {
        self.backend.location()
    }

    pub(crate) fn local(&self) -> Option<&LocalBackend> {
        self.local.as_deref()
    }

    /// Take a shared lock and load the index, for reading.
    pub fn load_index(&self) -> Result<IndexedRepository> {
        let lock = lock::acquire(self.backend.clone(), false, "read")?;
        self.backend.forget_cached();
        Ok(IndexedRepository {
            repo: self.clone(),
            index: Arc::new(MasterIndex::load(self.backend.as_ref())?),
            _lock: Arc::new(lock),
        })
    }

    /// Start writing a snapshot: takes a shared lock and loads the index
    /// (for deduplication). `threads` compression threads.
    pub fn begin_backup(&self, purpose: &str, threads: usize) -> Result<BackupSession> {
        self.begin_backup_with(purpose, threads, None)
    }

    /// `begin_backup`, storing new chunks as `compression` says instead of
    /// at the repository's configured level (None: the configured level).
    pub fn begin_backup_with(
        &self,
        purpose: &str,
        threads: usize,
        compression: Option<Compression>,
    ) -> Result<BackupSession> {
        self.config.validate()?;
        let lock = lock::acquire(self.backend.clone(), false, purpose)?;
        let index = {
            // Under the shared lock, so no prune rewrites the index while
            // it is read; the mutex keeps two backups of this process from
            // reading the same new files twice.
            let mut cache = self.index_cache.lock().unwrap_or_else(|e| e.into_inner());
            let index = MasterIndex::refresh(self.backend.as_ref(), cache.take())?;
            *cache = Some(index.clone());
            index
        };
        BackupSession::start(
            self.backend.clone(),
            self.config.clone(),
            &index,
            lock,
            threads,
            compression,
        )
    }

    pub fn lock_shared(&self, purpose: &str) -> Result<lock::LockGuard> {
        lock::acquire(self.backend.clone(), false, purpose)
    }

    pub fn lock_exclusive(&self, purpose: &str) -> Result<lock::LockGuard> {
        lock::acquire(self.backend.clone(), true, purpose)
    }

    /// All snapshots, oldest first. Fails on the first unreadable one.
    pub fn snapshots(&self) -> Result<Vec<(Id, Snapshot)>> {
        let mut out = Vec::new();
        for id in snapshot::list_ids(self.backend.as_ref())? {
            out.push((id, snapshot::load(self.backend.as_ref(), &id)?));
        }
        out.sort_by(|a, b| a.1.time_start.cmp(&b.1.time_start).then(a.0.cmp(&b.0)));
        Ok(out)
    }

    /// All snapshots that can be read, oldest first, and the error of each
    /// one that cannot (naming its file): one damaged or hostile manifest
    /// must not hide the others from a long-running reader such as `serve`.
    pub fn snapshots_lenient(&self) -> Result<ReadableSnapshots> {
        let mut out = Vec::new();
        let mut bad = Vec::new();
        for id in snapshot::list_ids(self.backend.as_ref())? {
            match snapshot::load(self.backend.as_ref(), &id) {
                Ok(s) => out.push((id, s)),
                // Forgotten between the listing and the read.
                Err(RepoError::SnapshotNotFound(_)) => {}
                Err(e) => bad.push(e),
            }
        }
        out.sort_by(|a, b| a.1.time_start.cmp(&b.1.time_start).then(a.0.cmp(&b.0)));
        Ok((out, bad))
    }

    pub fn load_snapshot(&self, id: &Id) -> Result<Snapshot> {
        snapshot::load(self.backend.as_ref(), id)
    }

    /// Full id, unambiguous prefix, or `latest` (within `tenant` if given).
    pub fn resolve_snapshot(&self, spec: &str, tenant: Option<&str>) -> Result<Id> {
        snapshot::resolve(self.backend.as_ref(), spec, tenant)
    }

    /// Remove snapshot manifests. Their data stays until `prune`.
    pub fn forget(&self, ids: &[Id]) -> Result<()> {
        let _lock = self.lock_shared("forget")?;
        for id in ids {
            // Reading first makes a typo an error instead of a silent no-op.
            snapshot::load(self.backend.as_ref(), id)?;
            self.backend.remove(FileType::Snapshot, &id.to_hex())?;
        }
        Ok(())
    }

    pub fn rebuild_index(&self) -> Result<index::RebuildReport> {
        let _lock = self.lock_exclusive("rebuild-index")?;
        index::rebuild_from_packs(self.backend.as_ref())
    }
}

impl IndexedRepository {
    pub fn chunk_reader(&self) -> ChunkReader {
        ChunkReader::new(self.repo.backend.clone(), self.index.clone())
    }

    /// A reader over one table part's data.
    pub fn read_stream(&self, chunks: Vec<Id>, needed_by: impl Into<String>) -> StreamReader {
        self.chunk_reader().stream(chunks, needed_by)
    }
}
