//! `check`: is every snapshot complete and every stored byte intact?
//!
//! Without `read_data` it proves structure: index files and manifests
//! decode and match their names, every chunk a snapshot names is indexed,
//! every indexed pack exists with the indexed size and a sound table. With
//! `read_data` it also reads every pack whole, checks its hash against its
//! name, and decompresses and re-hashes every chunk. It reports every
//! problem it finds, each naming the snapshot, pack or chunk, and never
//! changes the repository.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use super::backend::FileType;
use super::error::Result;
use super::id::Id;
use super::index::{read_pack_table, IndexFile};
use super::lock;
use super::pack::{self, PackEntry};
use super::snapshot;
use super::Repository;

/// A pack as the index files describe it: size, entries, and which index
/// file said so.
type IndexedPack = (u64, Vec<PackEntry>, String);

#[derive(Clone, Debug, Default)]
pub struct CheckOptions {
    pub read_data: bool,
    /// Threads reading packs (with `read_data`).
    pub threads: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// "snapshot 1a2b3c4d", "pack data/ab/ab…", "index file index/…"
    pub object: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.object, self.message)
    }
}

#[derive(Clone, Debug, Default)]
pub struct CheckReport {
    pub problems: Vec<Problem>,
    pub warnings: Vec<String>,
    pub snapshots: usize,
    pub index_files: usize,
    pub packs: usize,
    pub chunks: usize,
    pub bytes_read: u64,
}

impl CheckReport {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }

    fn problem(&mut self, object: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            object: object.into(),
            message: message.into(),
        });
    }
}

pub fn check(repo: &Repository, opts: &CheckOptions) -> Result<CheckReport> {
    let _lock = repo.lock_shared("check")?;
    let backend = repo.backend().as_ref();
    let mut r = CheckReport::default();

    // Index files, read one by one so one bad file does not hide the rest.
    let mut indexed: HashMap<Id, IndexedPack> = HashMap::new();
    let mut chunk_home: HashMap<Id, Id> = HashMap::new();
    for f in backend.list(FileType::Index)? {
        r.index_files += 1;
        let object = format!(
            "index file {}",
            backend.relative_path(FileType::Index, &f.name)
        );
        let bytes = match backend.read(FileType::Index, &f.name) {
            Ok(b) => b,
            Err(e) => {
                r.problem(object, e.to_string());
                continue;
            }
        };
        if backend.content_id(&bytes).to_hex() != f.name {
            r.problem(object, "content does not match its name (hash)");
            continue;
        }
        let file = match IndexFile::decode(&bytes, &object) {
            Ok(x) => x,
            Err(e) => {
                r.problem(object, e.to_string());
                continue;
            }
        };
        for p in file.packs {
            let entries: Vec<PackEntry> = p
                .chunks
                .iter()
                .map(PackEntry::from)
                .collect();
            for e in &entries {
                chunk_home.entry(e.id).or_insert(p.id);
            }
            indexed
                .entry(p.id)
                .or_insert((p.size, entries, object.clone()));
        }
    }

    // Snapshots: decode, and every chunk they name must be indexed.
    let mut users: HashMap<Id, Vec<String>> = HashMap::new();
    for id in snapshot::list_ids(backend)? {
        r.snapshots += 1;
        let object = format!("snapshot {}", id.short());
        let snap = match snapshot::load(backend, &id) {
            Ok(s) => s,
            Err(e) => {
                r.problem(object, e.to_string());
                continue;
            }
        };
        let mut missing = 0usize;
        for (stream, c) in snap.chunk_refs() {
            let who = format!("snapshot {} {stream}", id.short());
            if !chunk_home.contains_key(c) {
                missing += 1;
                if missing <= 20 {
                    r.problem(&object, format!("chunk {c} of {stream} is not in the index"));
                }
            }
            let u = users.entry(*c).or_default();
            if u.len() < 3 && !u.contains(&who) {
                u.push(who);
            }
        }
        if missing > 20 {
            r.problem(
                &object,
                format!("{} more chunks are not in the index", missing - 20),
            );
        }
    }

    // Packs: the files on disk against the index.
    let on_disk: HashMap<Id, u64> = backend
        .list(FileType::Pack)?
        .into_iter()
        .filter_map(|f| f.name.parse().ok().map(|id| (id, f.size)))
        .collect();
    r.packs = on_disk.len();
    let mut sorted: Vec<(&Id, &IndexedPack)> = indexed.iter().collect();
    sorted.sort_by_key(|(id, _)| **id);
    for (id, (size, _, from)) in &sorted {
        let object = format!(
            "pack {}",
            backend.relative_path(FileType::Pack, &id.to_hex())
        );
        match on_disk.get(id) {
            None => r.problem(object, format!("is missing (listed in {from})")),
            Some(s) if s != size => r.problem(object, format!("has {s} bytes, {from} says {size}")),
            Some(_) => {}
        }
    }
    let mut unindexed: Vec<&Id> = on_disk
        .keys()
        .filter(|id| !indexed.contains_key(id))
        .collect();
    unindexed.sort();
    for id in &unindexed {
        r.warnings.push(format!(
            "pack {} is not in any index (left by an interrupted run: `pgkeep prune` removes it, `pgkeep rebuild-index` adopts it)",
            backend.relative_path(FileType::Pack, &id.to_hex())
        ));
    }

    let now = chrono::Utc::now();
    for f in backend.list(FileType::Lock)? {
        if let Ok(info) = lock::read_lock(backend, &f.name) {
            if lock::is_stale_on(backend, &f.name, &info, now) {
                r.warnings
                    .push(format!("stale lock {} held by {}", f.name, info.describe()));
            }
        }
    }

    let packs_to_read: Vec<Id> = sorted
        .iter()
        .map(|(id, _)| **id)
        .filter(|id| on_disk.contains_key(id))
        .chain(unindexed.iter().map(|id| **id))
        .collect();
    if !opts.read_data {
        // Structure only: each pack's table, a few small reads per pack.
        for id in &packs_to_read {
            let object = format!(
                "pack {}",
                backend.relative_path(FileType::Pack, &id.to_hex())
            );
            match read_pack_table(backend, id) {
                Ok((_, entries)) => {
                    r.chunks += entries.len();
                    if let Some((_, ie, from)) = indexed.get(id) {
                        if !same_entries(&entries, ie) {
                            r.problem(&object, format!("its chunk table differs from {from}"));
                        }
                    }
                }
                Err(e) => r.problem(object, e.to_string()),
            }
        }
        sort(&mut r);
        return Ok(r);
    }

    let threads = opts.threads.max(1);
    let next = Mutex::new(packs_to_read.iter());
    let results = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let Some(id) = next
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .next()
                    .copied()
                else {
                    return;
                };
                let out = read_pack(repo, &id, indexed.get(&id), &users);
                results.lock().unwrap_or_else(|e| e.into_inner()).push(out);
            });
        }
    });
    for out in results.into_inner().unwrap_or_else(|e| e.into_inner()) {
        r.chunks += out.chunks;
        r.bytes_read += out.bytes;
        r.problems.extend(out.problems);
    }
    sort(&mut r);
    Ok(r)
}

fn sort(r: &mut CheckReport) {
    r.problems
        .sort_by(|a, b| (&a.object, &a.message).cmp(&(&b.object, &b.message)));
}

fn same_entries(in_pack: &[PackEntry], in_index: &[PackEntry]) -> bool {
    let a: HashSet<_> = in_pack.iter().collect();
    let b: HashSet<_> = in_index.iter().collect();
    a == b
}

struct PackOutcome {
    chunks: usize,
    bytes: u64,
    problems: Vec<Problem>,
}

fn read_pack(
    repo: &Repository,
    id: &Id,
    indexed: Option<&IndexedPack>,
    users: &HashMap<Id, Vec<String>>,
) -> PackOutcome {
    let backend = repo.backend().as_ref();
    let name = id.to_hex();
    let object = format!("pack {}", backend.relative_path(FileType::Pack, &name));
    let mut out = PackOutcome {
        chunks: 0,
        bytes: 0,
        problems: Vec::new(),
    };
    let problem = |m: String| Problem {
        object: object.clone(),
        message: m,
    };
    let bytes = match backend.read(FileType::Pack, &name) {
        Ok(b) => b,
        Err(e) => {
            out.problems.push(problem(e.to_string()));
            return out;
        }
    };
    out.bytes = bytes.len() as u64;
    if backend.content_id(&bytes) != *id {
        out.problems.push(problem(
            "content does not match its name (hash): the pack was damaged".into(),
        ));
    }
    // Even when the pack's own table is damaged, the index still says where
    // each chunk is, so the damage can be pinned to chunks.
    let entries = match pack::parse_pack(&bytes, &object) {
        Ok(e) => {
            if let Some((_, ie, from)) = indexed {
                if !same_entries(&e, ie) {
                    out.problems
                        .push(problem(format!("its chunk table differs from {from}")));
                }
            }
            e
        }
        Err(e) => {
            out.problems.push(problem(e.to_string()));
            match indexed {
                Some((_, ie, _)) => ie.clone(),
                None => return out,
            }
        }
    };
    for e in &entries {
        out.chunks += 1;
        let end = e.offset.saturating_add(e.stored_len as u64);
        let stored = match bytes.get(e.offset as usize..end.min(usize::MAX as u64) as usize) {
            Some(s) => s,
            None => {
                out.problems.push(problem(format!(
                    "chunk {} lies beyond the end of the pack (truncated)",
                    e.id
                )));
                continue;
            }
        };
        if let Err(err) = pack::decode_blob(e, stored, &object, |d| backend.content_id(d)) {
            let used_by = users
                .get(&e.id)
                .map(|u| format!("; used by {}", u.join(", ")))
                .unwrap_or_default();
            out.problems.push(Problem {
                object: format!("chunk {} in {object}", e.id),
                message: format!("{err}{used_by}"),
            });
        }
    }
    out
}
