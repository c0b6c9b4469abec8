//! Garbage collection: remove chunks no snapshot references and rewrite
//! packs that are mostly garbage.
//!
//! Runs under the exclusive lock, so no writer is mid-way. The order of
//! steps makes it crash-safe: new packs are written first, then one new
//! index file describing everything kept, then the old index files go, and
//! only then the packs nothing indexes any more. Killed at any point, every
//! snapshot still finds each of its chunks through some index file; what a
//! killed prune leaves behind (unindexed packs, duplicate index entries) is
//! removed by the next one.

use std::collections::{HashMap, HashSet};

use super::backend::FileType;
use super::error::{RepoError, Result};
use super::id::Id;
use super::index::{IndexFile, IndexPack};
use super::pack::{self, PackBuilder, PackEntry};
use super::Repository;

#[derive(Clone, Debug)]
pub struct PruneOptions {
    pub dry_run: bool,
    /// Rewrite a pack when more than this fraction of its bytes is garbage.
    pub repack_threshold: f64,
    /// Packs no index lists are deleted only when older than this: a
    /// backup writes its packs before it indexes them, and one on another
    /// host (or whose lock this prune could not see) may be about to.
    pub unindexed_grace: std::time::Duration,
}

/// Default [`PruneOptions::unindexed_grace`].
pub const UNINDEXED_GRACE: std::time::Duration = std::time::Duration::from_secs(3600);

impl Default for PruneOptions {
    fn default() -> Self {
        PruneOptions {
            dry_run: false,
            repack_threshold: 0.5,
            unindexed_grace: UNINDEXED_GRACE,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct PruneReport {
    pub snapshots: usize,
    pub packs_before: usize,
    pub packs_deleted: usize,
    pub packs_repacked: usize,
    pub packs_written: usize,
    pub unindexed_packs_deleted: usize,
    /// Unindexed packs younger than the grace period, left alone.
    pub unindexed_packs_spared: usize,
    pub chunks_kept: usize,
    pub chunks_removed: usize,
    pub bytes_before: u64,
    pub bytes_after: u64,
    pub tmp_files_removed: usize,
}

struct PackPlan {
    id: Id,
    size: u64,
    entries: Vec<PackEntry>,
    /// Entries this pack keeps (used, and not kept by an earlier pack).
    keep: Vec<usize>,
    kept_bytes: u64,
}

pub fn prune(repo: &Repository, opts: &PruneOptions) -> Result<PruneReport> {
    let _lock = repo.lock_exclusive("prune")?;
    let backend = repo.backend().as_ref();
    let mut report = PruneReport::default();

    // What is needed. Any unreadable snapshot stops prune: we could not
    // know which chunks it needs.
    let mut used: HashSet<Id> = HashSet::new();
    let snapshots = repo.snapshots()?;
    report.snapshots = snapshots.len();
    for (_, s) in &snapshots {
        used.extend(s.chunk_refs().map(|(_, c)| *c));
    }

    // What is there, pack by pack, from every index file.
    let index_files: Vec<String> = backend
        .list(FileType::Index)?
        .into_iter()
        .map(|f| f.name)
        .collect();
    let mut packs: HashMap<Id, (u64, Vec<PackEntry>)> = HashMap::new();
    for name in &index_files {
        let object = format!(
            "index file {}",
            backend.relative_path(FileType::Index, name)
        );
        let bytes = backend.read(FileType::Index, name)?;
        if backend.content_id(&bytes).to_hex() != *name {
            return Err(RepoError::corrupt(
                object,
                "content does not match its name (hash); run `pgkeep rebuild-index`",
            ));
        }
        for p in IndexFile::decode(&bytes, &object)?.packs {
            packs.entry(p.id).or_insert_with(|| {
                let entries = p
                    .chunks
                    .iter()
                    .map(PackEntry::from)
                    .collect();
                (p.size, entries)
            });
        }
    }
    let on_disk: HashMap<Id, u64> = backend
        .list(FileType::Pack)?
        .into_iter()
        .filter_map(|f| f.name.parse().ok().map(|id| (id, f.size)))
        .collect();
    report.packs_before = on_disk.len();
    report.bytes_before = on_disk.values().sum();

    // Prefer keeping chunks where they are: fuller packs claim first.
    let mut order: Vec<(Id, u64, Vec<PackEntry>)> = packs
        .into_iter()
        .filter(|(id, _)| on_disk.contains_key(id))
        .map(|(id, (size, e))| (id, size, e))
        .collect();
    order.sort_by_key(|(id, _, e)| {
        let used_n = e.iter().filter(|x| used.contains(&x.id)).count();
        (std::cmp::Reverse(used_n * 1000 / e.len().max(1)), *id)
    });
    let mut claimed: HashSet<Id> = HashSet::new();
    let mut plans = Vec::new();
    for (id, size, entries) in order {
        let mut keep = Vec::new();
        let mut kept_bytes = 0;
        for (i, e) in entries.iter().enumerate() {
            if used.contains(&e.id) && claimed.insert(e.id) {
                keep.push(i);
                kept_bytes += e.stored_len as u64;
            }
        }
        plans.push(PackPlan {
            id,
            size,
            entries,
            keep,
            kept_bytes,
        });
    }
    if let Some(missing) = used.iter().find(|c| !claimed.contains(c)) {
        let holder = snapshots
            .iter()
            .find(|(_, s)| s.chunk_refs().any(|(_, c)| c == missing))
            .map(|(id, _)| id.short())
            .unwrap_or_default();
        return Err(RepoError::ChunkNotIndexed {
            chunk: *missing,
            needed_by: format!("snapshot {holder}; prune refuses to run on a damaged repository"),
        });
    }

    let indexed: HashSet<Id> = plans.iter().map(|p| p.id).collect();
    let now = std::time::SystemTime::now();
    let mut unindexed: Vec<Id> = Vec::new();
    for id in on_disk.keys().filter(|id| !indexed.contains(id)) {
        // Young (or of unknown age): a writer may be about to index it.
        let old_enough = opts.unindexed_grace.is_zero()
            || backend
                .modified(FileType::Pack, &id.to_hex())?
                .is_some_and(|t| now.duration_since(t).unwrap_or_default() >= opts.unindexed_grace);
        if old_enough {
            unindexed.push(*id);
        } else {
            report.unindexed_packs_spared += 1;
        }
    }
    report.unindexed_packs_deleted = unindexed.len();

    let mut keep_as_is = Vec::new();
    let mut to_repack = Vec::new();
    let mut to_delete = Vec::new();
    for p in plans {
        let data_bytes: u64 = p.entries.iter().map(|e| e.stored_len as u64).sum();
        let garbage = data_bytes - p.kept_bytes;
        report.chunks_kept += p.keep.len();
        report.chunks_removed += p.entries.len() - p.keep.len();
        if p.keep.is_empty() {
            to_delete.push(p);
        } else if garbage as f64 > opts.repack_threshold * data_bytes as f64 {
            to_repack.push(p);
        } else {
            keep_as_is.push(p);
        }
    }
    report.packs_deleted = to_delete.len();
    report.packs_repacked = to_repack.len();
    let kept_size: u64 = keep_as_is.iter().map(|p| p.size).sum();
    if opts.dry_run {
        let repacked: u64 = to_repack.iter().map(|p| p.kept_bytes).sum();
        report.bytes_after = kept_size + repacked;
        return Ok(report);
    }

    // 1. Copy the live chunks of sparse packs into new packs (verified,
    //    not recompressed).
    let mut new_packs: Vec<IndexPack> = Vec::new();
    let mut builder = PackBuilder::new();
    for p in &to_repack {
        let name = p.id.to_hex();
        let object = backend.relative_path(FileType::Pack, &name);
        for &i in &p.keep {
            let e = &p.entries[i];
            let stored = backend.read_at(FileType::Pack, &name, e.offset, e.stored_len as usize)?;
            pack::decode_blob(e, &stored, &object, |d| backend.content_id(d))?;
            builder.add(e.id, e.raw_len, e.codec, &stored);
            if builder.len() as u64 >= repo.config().pack_size {
                new_packs.push(write_pack(repo, std::mem::take(&mut builder))?);
            }
        }
    }
    if !builder.is_empty() {
        new_packs.push(write_pack(repo, builder)?);
    }
    report.packs_written = new_packs.len();

    // 2. One index for everything kept; durable before anything goes.
    let mut all = IndexFile::default();
    for p in &keep_as_is {
        all.packs
            .push(IndexPack::from_entries(p.id, p.size, &p.entries));
    }
    all.packs.extend(new_packs.iter().cloned());
    let new_index = all.write(backend)?.to_hex();

    // 3. Old index files, 4. packs nothing indexes any more. A pack the
    //    new index lists is never removed: a prune killed after step 1
    //    leaves its repacked packs unindexed, and this prune rewrites the
    //    same bytes under the same name.
    for name in index_files.iter().filter(|n| **n != new_index) {
        backend.remove(FileType::Index, name)?;
    }
    let listed: HashSet<Id> = all.packs.iter().map(|p| p.id).collect();
    for id in to_delete
        .iter()
        .map(|p| p.id)
        .chain(to_repack.iter().map(|p| p.id))
        .chain(unindexed)
        .filter(|id| !listed.contains(id))
    {
        backend.remove(FileType::Pack, &id.to_hex())?;
    }
    if let Some(local) = repo.local() {
        report.tmp_files_removed = local.clean_tmp()?;
    }
    report.bytes_after = backend.list(FileType::Pack)?.iter().map(|f| f.size).sum();
    Ok(report)
}

fn write_pack(repo: &Repository, b: PackBuilder) -> Result<IndexPack> {
    let (id, bytes, entries) = b.finish(|d| repo.backend().content_id(d));
    repo.backend().write(FileType::Pack, &id.to_hex(), &bytes)?;
    Ok(IndexPack::from_entries(id, bytes.len() as u64, &entries))
}
