//! Where repository files live. One small trait, so the format code does
//! not know whether it writes to a directory or an object store; and the
//! local-directory implementation, which makes every write atomic and
//! durable (temporary name, fsync, rename, fsync of the directory). The
//! object store implementation is `super::object`.
//!
//! A backend stores opaque bytes under (type, name); it never interprets them.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::error::{RepoError, Result};
use super::id::Id;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileType {
    Config,
    Pack,
    Index,
    Snapshot,
    Lock,
    /// The service's job records (format-spec/jobs.md).
    Job,
    /// Key files of an encrypted repository (format-spec/encryption.md).
    Key,
}

impl FileType {
    pub const ALL: [FileType; 7] = [
        FileType::Config,
        FileType::Pack,
        FileType::Index,
        FileType::Snapshot,
        FileType::Lock,
        FileType::Job,
        FileType::Key,
    ];

    /// The folder files of this type live in ("" for the config, at the top).
    pub fn dir(self) -> &'static str {
        match self {
            FileType::Config => "",
            FileType::Pack => "data",
            FileType::Index => "index",
            FileType::Snapshot => "snapshots",
            FileType::Lock => "locks",
            FileType::Job => "jobs",
            FileType::Key => "keys",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileInfo {
    pub name: String,
    pub size: u64,
}

pub trait Backend: Send + Sync + 'static {
    /// Where the repository is, for messages.
    fn location(&self) -> String;
    /// The file's path relative to the repository root, for messages.
    fn relative_path(&self, ft: FileType, name: &str) -> String;
    fn list(&self, ft: FileType) -> Result<Vec<FileInfo>>;
    /// The names `list` would give, sorted, without the sizes, which cost
    /// a `stat` per file on a local disk (a service round lists the index
    /// once per tenant).
    fn list_names(&self, ft: FileType) -> Result<Vec<String>> {
        Ok(self.list(ft)?.into_iter().map(|f| f.name).collect())
    }
    fn read(&self, ft: FileType, name: &str) -> Result<Vec<u8>>;
    fn read_at(&self, ft: FileType, name: &str, offset: u64, len: usize) -> Result<Vec<u8>>;
    fn size(&self, ft: FileType, name: &str) -> Result<u64>;
    /// Durable and atomic: after it returns the file is complete on stable
    /// storage; a crash before leaves no file under `name`.
    fn write(&self, ft: FileType, name: &str, data: &[u8]) -> Result<()>;
    /// Like `write`, but create-only: when `name` already holds other
    /// bytes it fails with [`RepoError::ObjectExists`] and changes nothing,
    /// so two writers never overwrite each other (snapshots, locks, the
    /// config). An object already holding exactly `data` is success: a
    /// create retried after its answer was lost finds its own bytes.
    ///
    /// The default checks, then writes: correct for one writer only, for
    /// backends that have nothing better.
    fn write_new(&self, ft: FileType, name: &str, data: &[u8]) -> Result<()> {
        match self.read(ft, name) {
            Ok(existing) if existing == data => Ok(()),
            Ok(_) => Err(RepoError::ObjectExists {
                object: format!("{}/{}", self.location(), self.relative_path(ft, name)),
            }),
            Err(RepoError::Io { source, .. }) if source.kind() == ErrorKind::NotFound => {
                self.write(ft, name, data)
            }
            Err(e) => Err(e),
        }
    }
    /// Whether lock holders must be judged by their lease alone (the lock's
    /// `refreshed` time): true where processes of many hosts share the
    /// repository and no pid can be checked, as on object storage.
    fn lease_locks(&self) -> bool {
        false
    }
    fn remove(&self, ft: FileType, name: &str) -> Result<()>;
    /// When the file was last written, if the backend knows (prune spares
    /// young unindexed packs: a running backup may be about to index them).
    fn modified(&self, _ft: FileType, _name: &str) -> Result<Option<std::time::SystemTime>> {
        Ok(None)
    }
    /// The id of content stored here (chunks, and the files named after
    /// their content): BLAKE3, keyed in an encrypted repository
    /// ([`crate::repo::crypto::SealedBackend`]).
    fn content_id(&self, data: &[u8]) -> Id {
        Id::hash(data)
    }
    /// The seed of the chunker's gear table: 0 (the spec's table) unless
    /// the repository is encrypted.
    fn chunker_seed(&self) -> u64 {
        0
    }
    /// Drop contents kept from earlier reads, so what follows reads the
    /// stored bytes again (each reading operation starts with it: a verify
    /// must see the files as they are now, not as an earlier read found them).
    fn forget_cached(&self) {}
}

/// A repository in a local directory.
pub struct LocalBackend {
    root: PathBuf,
}

const TMP_DIR: &str = "tmp";

impl LocalBackend {
    /// Open an existing repository directory.
    pub fn open(root: &Path) -> Result<LocalBackend> {
        match fs::metadata(root) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(RepoError::NotARepository {
                    path: root.to_path_buf(),
                    why: "it is a file, not a directory".into(),
                })
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(RepoError::NotFound(root.to_path_buf()))
            }
            Err(e) => return Err(RepoError::io("cannot open repository", root, e)),
        }
        if !root.join("config").is_file() {
            return Err(RepoError::NotARepository {
                path: root.to_path_buf(),
                why: "it has no config file".into(),
            });
        }
        Ok(LocalBackend {
            root: root.to_path_buf(),
        })
    }

    /// Create the directory layout of a new repository. The directory must
    /// not exist or be empty.
    pub fn create(root: &Path) -> Result<LocalBackend> {
        match fs::metadata(root) {
            Ok(m) if !m.is_dir() => {
                return Err(RepoError::NotARepository {
                    path: root.to_path_buf(),
                    why: "it is a file, not a directory".into(),
                })
            }
            Ok(_) => {
                let mut entries = fs::read_dir(root)
                    .map_err(|e| RepoError::io("cannot read directory", root, e))?;
                if entries.next().is_some() {
                    return Err(RepoError::AlreadyExists(root.to_path_buf()));
                }
                // An empty directory made by someone else: the repository
                // holds tenants' rows, so only its owner may list it.
                fs::set_permissions(root, fs::Permissions::from_mode(DIR_MODE))
                    .map_err(|e| RepoError::io("cannot restrict permissions of", root, e))?;
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {
                create_private_dir(root)?;
            }
            Err(e) => return Err(RepoError::io("cannot open", root, e)),
        }
        for d in ["data", "index", "snapshots", "locks", "keys", TMP_DIR] {
            create_private_dir(&root.join(d))?;
        }
        for i in 0..=255u8 {
            create_private_dir(&root.join("data").join(hex::encode([i])))?;
        }
        sync_dir(root)?;
        Ok(LocalBackend {
            root: root.to_path_buf(),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, ft: FileType, name: &str) -> PathBuf {
        match ft {
            FileType::Config => self.root.join("config"),
            FileType::Pack => self
                .root
                .join("data")
                .join(name.get(..2).unwrap_or("00"))
                .join(name),
            _ => self.root.join(ft.dir()).join(name),
        }
    }

    /// Write `data` to a new private file in `tmp/` and sync it; returns
    /// its path. On failure nothing is left behind.
    fn write_tmp(&self, name: &str, data: &[u8]) -> Result<PathBuf> {
        let tmp = self.root.join(TMP_DIR).join(format!(
            "{}-{}",
            name.get(..16).unwrap_or(name),
            hex::encode(rand::random::<[u8; 8]>())
        ));
        let result = (|| {
            if let Some(dir) = tmp.parent().filter(|d| !d.exists()) {
                create_private_dir(dir)?;
            }
            let mut f = private_create_new()
                .open(&tmp)
                .map_err(|e| RepoError::io("cannot create", &tmp, e))?;
            f.write_all(data)
                .map_err(|e| RepoError::io("cannot write", &tmp, e))?;
            f.sync_all()
                .map_err(|e| RepoError::io("cannot sync", &tmp, e))
        })();
        if let Err(e) = result {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        Ok(tmp)
    }

    /// Remove temporary files that a crashed writer left behind. Any process
    /// may be writing a lock file through `tmp/` even while prune holds the
    /// exclusive lock (that is how it finds out it is locked out), so only
    /// files untouched for `TMP_GRACE` go, and a file that vanishes first is
    /// not an error.
    pub fn clean_tmp(&self) -> Result<usize> {
        let dir = self.root.join(TMP_DIR);
        let mut n = 0;
        let rd = match fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(RepoError::io("cannot list", &dir, e)),
        };
        let now = std::time::SystemTime::now();
        for entry in rd {
            let entry = entry.map_err(|e| RepoError::io("cannot list", &dir, e))?;
            let p = entry.path();
            let modified = match entry.metadata().and_then(|m| m.modified()) {
                Ok(t) => t,
                Err(e) if e.kind() == ErrorKind::NotFound => continue,
                Err(e) => return Err(RepoError::io("cannot stat", &p, e)),
            };
            if now.duration_since(modified).unwrap_or_default() < TMP_GRACE {
                continue;
            }
            match fs::remove_file(&p) {
                Ok(()) => n += 1,
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(RepoError::io("cannot remove", &p, e)),
            }
        }
        Ok(n)
    }
}

/// How old a temporary file must be before `clean_tmp` takes it for a
/// crashed writer's leftover.
pub const TMP_GRACE: std::time::Duration = std::time::Duration::from_secs(3600);

/// Mode of every directory pgkeep creates in a repository: the owner only.
pub const DIR_MODE: u32 = 0o700;
/// Mode of every file pgkeep writes in a repository: the owner only
/// (snapshots, packs and job records carry tenants' rows and names).
pub const FILE_MODE: u32 = 0o600;

/// `create_dir_all`, each directory it creates made with [`DIR_MODE`]
/// whatever the process umask.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)
        .map_err(|e| RepoError::io("cannot create directory", dir, e))
}

/// Open options for a new private file ([`FILE_MODE`]), failing if it exists.
pub fn private_create_new() -> OpenOptions {
    let mut o = OpenOptions::new();
    o.write(true).create_new(true).mode(FILE_MODE);
    o
}

fn sync_dir(dir: &Path) -> Result<()> {
    let f = File::open(dir).map_err(|e| RepoError::io("cannot open directory", dir, e))?;
    f.sync_all()
        .map_err(|e| RepoError::io("cannot sync directory", dir, e))
}

pub(crate) fn is_object_name(name: &str) -> bool {
    name.len() == 64
        && name
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// Job record names: `YYYYMMDD-HHMMSS-xxxxxxxx` (time, then 8 hex digits).
pub fn is_job_name(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() == 24
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 15 => c == b'-',
            0..=14 => c.is_ascii_digit(),
            _ => c.is_ascii_hexdigit() && !c.is_ascii_uppercase(),
        })
}

impl Backend for LocalBackend {
    fn location(&self) -> String {
        self.root.display().to_string()
    }

    fn relative_path(&self, ft: FileType, name: &str) -> String {
        let p = self.path(ft, name);
        p.strip_prefix(&self.root)
            .map(|r| r.display().to_string())
            .unwrap_or_else(|_| p.display().to_string())
    }

    fn list_names(&self, ft: FileType) -> Result<Vec<String>> {
        if matches!(ft, FileType::Config | FileType::Pack) {
            return Ok(self.list(ft)?.into_iter().map(|f| f.name).collect());
        }
        let dir = self.root.join(ft.dir());
        let rd = match fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(RepoError::io("cannot list", &dir, e)),
        };
        let mut out = Vec::new();
        for entry in rd {
            let entry = entry.map_err(|e| RepoError::io("cannot list", &dir, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let ours = if ft == FileType::Job { is_job_name(&name) } else { is_object_name(&name) };
            if ours {
                out.push(name);
            }
        }
        out.sort();
        Ok(out)
    }

    fn list(&self, ft: FileType) -> Result<Vec<FileInfo>> {
        let dirs: Vec<PathBuf> = match ft {
            FileType::Config => {
                let p = self.path(ft, "config");
                return Ok(match fs::metadata(&p) {
                    Ok(m) => vec![FileInfo {
                        name: "config".into(),
                        size: m.len(),
                    }],
                    Err(_) => vec![],
                });
            }
            FileType::Pack => (0..=255u8)
                .map(|i| self.root.join("data").join(hex::encode([i])))
                .collect(),
            _ => vec![self.root.join(ft.dir())],
        };
        let mut out = Vec::new();
        for dir in dirs {
            let rd = match fs::read_dir(&dir) {
                Ok(rd) => rd,
                Err(e) if e.kind() == ErrorKind::NotFound => continue,
                Err(e) => return Err(RepoError::io("cannot list", &dir, e)),
            };
            for entry in rd {
                let entry = entry.map_err(|e| RepoError::io("cannot list", &dir, e))?;
                let name = entry.file_name().to_string_lossy().into_owned();
                // Anything else (editor backups, stray files) is not ours.
                let ours = if ft == FileType::Job { is_job_name(&name) } else { is_object_name(&name) };
                if !ours {
                    continue;
                }
                // Lock files come and go while we list: one released since
                // read_dir is simply not there any more.
                let size = match entry.metadata() {
                    Ok(m) => m.len(),
                    Err(e) if e.kind() == ErrorKind::NotFound => continue,
                    Err(e) => return Err(RepoError::io("cannot stat", entry.path(), e)),
                };
                out.push(FileInfo { name, size });
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn read(&self, ft: FileType, name: &str) -> Result<Vec<u8>> {
        let p = self.path(ft, name);
        fs::read(&p).map_err(|e| RepoError::io("cannot read", p, e))
    }

    fn read_at(&self, ft: FileType, name: &str, offset: u64, len: usize) -> Result<Vec<u8>> {
        let p = self.path(ft, name);
        let mut f = File::open(&p).map_err(|e| RepoError::io("cannot open", &p, e))?;
        f.seek(SeekFrom::Start(offset))
            .map_err(|e| RepoError::io("cannot seek in", &p, e))?;
        let mut buf = vec![0u8; len];
        f.read_exact(&mut buf).map_err(|e| {
            if e.kind() == ErrorKind::UnexpectedEof {
                RepoError::corrupt(
                    self.relative_path(ft, name),
                    format!("truncated: cannot read {len} bytes at offset {offset}"),
                )
            } else {
                RepoError::io("cannot read", &p, e)
            }
        })?;
        Ok(buf)
    }

    fn size(&self, ft: FileType, name: &str) -> Result<u64> {
        let p = self.path(ft, name);
        fs::metadata(&p)
            .map(|m| m.len())
            .map_err(|e| RepoError::io("cannot stat", p, e))
    }

    fn write(&self, ft: FileType, name: &str, data: &[u8]) -> Result<()> {
        let dest = self.path(ft, name);
        let tmp = self.write_tmp(name, data)?;
        let result = (|| {
            let parent = dest.parent().expect("repository files have a parent");
            if let Err(e) = fs::rename(&tmp, &dest) {
                // A repository copied by a tool that drops empty directories
                // (git, some sync tools) lacks some data/XX: recreate it.
                if e.kind() != ErrorKind::NotFound || parent.exists() {
                    return Err(RepoError::io("cannot rename into", &dest, e));
                }
                create_private_dir(parent)?;
                fs::rename(&tmp, &dest)
                    .map_err(|e| RepoError::io("cannot rename into", &dest, e))?;
            }
            sync_dir(parent)
        })();
        if result.is_err() {
            // Best effort: a full disk must not also leave a partial file behind.
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    /// Create-only through a hard link: the complete, synced temporary
    /// file is linked under its name, which fails if the name exists.
    fn write_new(&self, ft: FileType, name: &str, data: &[u8]) -> Result<()> {
        let dest = self.path(ft, name);
        let tmp = self.write_tmp(name, data)?;
        let parent = dest.parent().expect("repository files have a parent");
        let mut linked = fs::hard_link(&tmp, &dest);
        if matches!(&linked, Err(e) if e.kind() == ErrorKind::NotFound) && !parent.exists() {
            linked = create_private_dir(parent)
                .map_err(|_| std::io::Error::from(ErrorKind::NotFound))
                .and_then(|()| fs::hard_link(&tmp, &dest));
        }
        let linked = match linked {
            // A file system without hard links (some FUSE and network
            // ones): check, then rename, which is create-only for one
            // writer at a time only.
            Err(e) if matches!(e.raw_os_error(), Some(libc::EPERM | libc::ENOTSUP | libc::EXDEV)) => {
                if dest.exists() {
                    Err(std::io::Error::from(ErrorKind::AlreadyExists))
                } else {
                    fs::rename(&tmp, &dest)
                }
            }
            other => other,
        };
        let _ = fs::remove_file(&tmp);
        match linked {
            Ok(()) => sync_dir(parent),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => match fs::read(&dest) {
                Ok(existing) if existing == data => Ok(()),
                _ => Err(RepoError::ObjectExists {
                    object: dest.display().to_string(),
                }),
            },
            Err(e) => Err(RepoError::io("cannot create", &dest, e)),
        }
    }

    fn modified(&self, ft: FileType, name: &str) -> Result<Option<std::time::SystemTime>> {
        let p = self.path(ft, name);
        match fs::metadata(&p).and_then(|m| m.modified()) {
            Ok(t) => Ok(Some(t)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(RepoError::io("cannot stat", p, e)),
        }
    }

    fn remove(&self, ft: FileType, name: &str) -> Result<()> {
        let p = self.path(ft, name);
        match fs::remove_file(&p) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(RepoError::io("cannot remove", p, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Create-only writes on a local repository: of writers racing for one
    /// name exactly one wins, the winner's bytes stay, a create that finds
    /// its own bytes succeeds, and nothing is left in `tmp/`.
    #[test]
    fn write_new_is_create_only() {
        let dir = tempfile::tempdir().unwrap();
        let b = std::sync::Arc::new(LocalBackend::create(&dir.path().join("repo")).unwrap());
        for round in 0..20u8 {
            let name = hex::encode([round; 32]);
            let barrier = std::sync::Arc::new(std::sync::Barrier::new(4));
            let results: Vec<(Vec<u8>, Result<()>)> = std::thread::scope(|s| {
                let hs: Vec<_> = (0..4u8)
                    .map(|w| {
                        let (b, barrier, name) = (b.clone(), barrier.clone(), name.clone());
                        s.spawn(move || {
                            let data = vec![w; 100];
                            barrier.wait();
                            let r = b.write_new(FileType::Snapshot, &name, &data);
                            (data, r)
                        })
                    })
                    .collect();
                hs.into_iter().map(|h| h.join().unwrap()).collect()
            });
            let won: Vec<&Vec<u8>> = results.iter().filter(|(_, r)| r.is_ok()).map(|(d, _)| d).collect();
            assert_eq!(won.len(), 1, "round {round}");
            assert!(results.iter().filter_map(|(_, r)| r.as_ref().err()).all(|e| matches!(e, RepoError::ObjectExists { .. })));
            assert_eq!(&b.read(FileType::Snapshot, &name).unwrap(), won[0]);
            b.write_new(FileType::Snapshot, &name, won[0]).unwrap();
            let mode = fs::metadata(b.path(FileType::Snapshot, &name)).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, FILE_MODE, "created private");
        }
        assert_eq!(fs::read_dir(dir.path().join("repo/tmp")).unwrap().count(), 0, "no temporary file left");
    }
}
