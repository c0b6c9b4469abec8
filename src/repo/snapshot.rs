//! Storing snapshot manifests (the types are `crate::manifest`): sealing
//! and opening them, writing them under their content address, listing and
//! resolving them by id prefix, `latest` or tenant.
//!
//! Manifests are written last, after the packs and index files they point
//! at are durable; a manifest that exists is therefore complete.

pub use crate::manifest::snapshot::*;
pub use crate::manifest::Timestamp;

use super::backend::{Backend, FileType};
use super::envelope::{self, Kind};
use super::error::{RepoError, Result};
use super::id::Id;

impl Snapshot {
    /// A manifest stamped with what every snapshot records about its run:
    /// start and end time (now), pgkeep's version and this machine's name.
    pub fn stamped(started: chrono::DateTime<chrono::Utc>) -> Snapshot {
        Snapshot {
            time_start: Timestamp::at(started),
            time_end: Timestamp::now(),
            pgkeep_version: env!("CARGO_PKG_VERSION").into(),
            hostname: super::lock::hostname(),
            ..Snapshot::default()
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        envelope::seal_value(Kind::Snapshot, self)
    }

    pub fn decode(bytes: &[u8], object: &str) -> Result<Snapshot> {
        envelope::open_value(Kind::Snapshot, bytes, object)
    }
}

/// Write a manifest durably; its name is the BLAKE3 of its bytes.
/// Create-only: a manifest is never overwritten (the same name holds the
/// same bytes, which counts as written).
pub fn save(backend: &dyn Backend, snap: &Snapshot) -> Result<Id> {
    let bytes = snap.encode();
    let id = backend.content_id(&bytes);
    backend.write_new(FileType::Snapshot, &id.to_hex(), &bytes)?;
    Ok(id)
}

pub fn load(backend: &dyn Backend, id: &Id) -> Result<Snapshot> {
    let name = id.to_hex();
    let object = format!("snapshot {}", id.short());
    let bytes = match backend.read(FileType::Snapshot, &name) {
        Err(RepoError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            return Err(RepoError::SnapshotNotFound(name))
        }
        r => r?,
    };
    if backend.content_id(&bytes) != *id {
        return Err(RepoError::corrupt(
            object,
            "content does not match its name (hash)",
        ));
    }
    Snapshot::decode(&bytes, &object)
}

/// Ids of all snapshots, without reading them.
pub fn list_ids(backend: &dyn Backend) -> Result<Vec<Id>> {
    Ok(backend
        .list_names(FileType::Snapshot)?
        .into_iter()
        .filter_map(|n| n.parse().ok())
        .collect())
}

/// Resolve what a user typed: a full id, an unambiguous prefix, or
/// `latest` (the newest by start time, optionally within one tenant).
pub fn resolve(backend: &dyn Backend, spec: &str, tenant: Option<&str>) -> Result<Id> {
    let ids = list_ids(backend)?;
    if spec == "latest" {
        let mut best: Option<(Timestamp, Id)> = None;
        for id in ids {
            let s = load(backend, &id)?;
            // A tenant's latest is the newest snapshot that can bring the
            // tenant back: a schema-only or table-filtered one cannot.
            if tenant.is_some() && (s.tenant.as_deref() != tenant || !s.holds_full_data()) {
                continue;
            }
            let t = s.time_start;
            if best.as_ref().is_none_or(|(b, _)| t > *b) {
                best = Some((t, id));
            }
        }
        return best.map(|(_, id)| id).ok_or_else(|| {
            RepoError::SnapshotNotFound(match tenant {
                Some(t) => format!(
                    "latest (tenant {t}; only snapshots with all of the tenant's definitions and data count, name others by id)"
                ),
                None => "latest".into(),
            })
        });
    }
    let lower = spec.to_ascii_lowercase();
    if lower.is_empty() || !lower.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(RepoError::SnapshotNotFound(spec.into()));
    }
    let matches: Vec<Id> = ids
        .into_iter()
        .filter(|id| id.to_hex().starts_with(&lower))
        .collect();
    match matches.len() {
        0 => Err(RepoError::SnapshotNotFound(spec.into())),
        1 => Ok(matches[0]),
        n => Err(RepoError::AmbiguousSnapshot {
            prefix: spec.into(),
            count: n,
        }),
    }
}
