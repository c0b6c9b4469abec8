//! `pgkeep copy`: snapshots from one repository into another (local to
//! remote, encrypted with other keys, or not encrypted at all), for the
//! 3-2-1 rule.
//!
//! Every chunk is read from the source and proved there (its id, and in an
//! encrypted source its authentication) before it is offered to the
//! target, which stores only the chunks it lacks (its own content ids: keyed
//! in an encrypted target). The copy keeps the source's chunk boundaries,
//! and its manifest records the source snapshot (`original`), so copying
//! again skips what is already there. The target's manifest is written last,
//! as every backup's is: a copy that fails leaves no snapshot.
//!
//! Owns the order of that work; reading and writing are `repo`'s. It never
//! changes the source.

use std::collections::{HashMap, HashSet};

use crate::repo::{BackupSession, Id, IndexedRepository, RepoError, Repository, Snapshot};

/// What a copy did.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct CopyReport {
    /// (source id, new id in the target) of each snapshot copied.
    pub copied: Vec<(Id, Id)>,
    /// Source snapshots the target already had a copy of.
    pub already_there: Vec<Id>,
    /// Chunks read from the source, and how many of them the target lacked.
    pub chunks_read: u64,
    pub chunks_sent: u64,
    /// Bytes the target stored anew (compressed, before sealing).
    pub bytes_sent: u64,
}

/// Copy the snapshots `ids` of `from` into `to`.
pub fn copy_snapshots(from: &Repository, to: &Repository, ids: &[Id]) -> Result<CopyReport, RepoError> {
    let mut report = CopyReport::default();
    let present: HashSet<Id> = to.snapshots()?.iter().filter_map(|(_, s)| s.original).collect();
    let source = from.load_index()?;
    // Source chunk id → target chunk id, over all the snapshots copied (they
    // share most of their chunks).
    let mut mapped: HashMap<Id, Id> = HashMap::new();
    for id in ids {
        if present.contains(id) {
            report.already_there.push(*id);
            continue;
        }
        let snap = from.load_snapshot(id)?;
        let session = to.begin_backup("copy", 2)?;
        match copy_one(&source, &session, &snap, *id, &mut mapped, &mut report) {
            Ok(copy) => {
                let new_id = session.commit(&copy)?;
                report.copied.push((*id, new_id));
            }
            Err(e) => {
                let _ = session.abort();
                return Err(e);
            }
        }
    }
    Ok(report)
}

fn copy_one(
    source: &IndexedRepository,
    session: &BackupSession,
    snap: &Snapshot,
    id: Id,
    mapped: &mut HashMap<Id, Id>,
    report: &mut CopyReport,
) -> Result<Snapshot, RepoError> {
    let mut copy = snap.clone();
    copy.original = Some(id);
    let what = format!("snapshot {}", id.short());
    for t in &mut copy.tables {
        let needed_by = format!("{what} table {}", Snapshot::describe_table(t));
        for part in &mut t.parts {
            part.chunks = copy_chunks(source, session, &part.chunks, &needed_by, mapped, report)?;
        }
    }
    if let Some(lo) = &mut copy.large_objects {
        lo.chunks = copy_chunks(source, session, &lo.chunks, &format!("{what} large objects"), mapped, report)?;
    }
    Ok(copy)
}

/// The target's ids of `chunks`, storing those the target lacks. Chunks
/// already mapped (by an earlier part or snapshot of this copy) are not
/// read again.
fn copy_chunks(
    source: &IndexedRepository,
    session: &BackupSession,
    chunks: &[Id],
    needed_by: &str,
    mapped: &mut HashMap<Id, Id>,
    report: &mut CopyReport,
) -> Result<Vec<Id>, RepoError> {
    // In stream order, each once: chunks written together sit together in
    // the source's packs, so reading them in this order reads packs mostly
    // front to back.
    let mut seen = HashSet::new();
    let todo: Vec<Id> = chunks.iter().filter(|c| !mapped.contains_key(c) && seen.insert(**c)).copied().collect();
    if !todo.is_empty() {
        let reader = source.chunk_reader();
        let data = todo.iter().map(|c| reader.read_chunk(c, needed_by));
        let summary = session.write_chunks(data)?;
        report.chunks_read += todo.len() as u64;
        report.chunks_sent += summary.new_chunks;
        report.bytes_sent += summary.new_stored_bytes;
        for (src, dst) in todo.iter().zip(&summary.chunks) {
            mapped.insert(*src, *dst);
        }
    }
    Ok(chunks.iter().map(|c| mapped[c]).collect())
}
