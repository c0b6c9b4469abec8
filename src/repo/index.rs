//! Index files map chunk ids to their place in packs, so a reader need not
//! open every pack. They are a cache of what the pack tables say: anything
//! here can be rebuilt from the packs alone (`rebuild_from_packs`).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::backend::{Backend, FileType};
use super::envelope::{self, Kind};
use super::error::{RepoError, Result};
use super::id::Id;
use super::pack::{self, Codec, PackEntry};

/// One entry of an index file (a named MessagePack map).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexChunk {
    pub id: Id,
    pub offset: u64,
    pub stored_len: u32,
    pub raw_len: u32,
    pub codec: u8,
}

impl From<&IndexChunk> for PackEntry {
    /// The one conversion from an index row to the pack entry a reader
    /// needs. An unknown codec byte reads as zstd, the only codec written
    /// compressed; the chunk's hash check then decides.
    fn from(c: &IndexChunk) -> PackEntry {
        PackEntry {
            id: c.id,
            offset: c.offset,
            stored_len: c.stored_len,
            raw_len: c.raw_len,
            codec: Codec::from_byte(c.codec).unwrap_or(Codec::Zstd),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexPack {
    pub id: Id,
    /// Size of the pack file in bytes.
    pub size: u64,
    pub chunks: Vec<IndexChunk>,
}

/// The payload of one index file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexFile {
    pub packs: Vec<IndexPack>,
}

impl IndexPack {
    pub fn from_entries(id: Id, size: u64, entries: &[PackEntry]) -> IndexPack {
        IndexPack {
            id,
            size,
            chunks: entries
                .iter()
                .map(|e| IndexChunk {
                    id: e.id,
                    offset: e.offset,
                    stored_len: e.stored_len,
                    raw_len: e.raw_len,
                    codec: e.codec as u8,
                })
                .collect(),
        }
    }
}

impl IndexFile {
    pub fn decode(bytes: &[u8], object: &str) -> Result<IndexFile> {
        let f: IndexFile = envelope::open_value(Kind::Index, bytes, object)?;
        for p in &f.packs {
            for c in &p.chunks {
                if Codec::from_byte(c.codec).is_none() {
                    return Err(RepoError::corrupt(
                        object,
                        format!(
                            "chunk {} in pack {} has unknown codec {}",
                            c.id, p.id, c.codec
                        ),
                    ));
                }
                if c.stored_len > pack::MAX_CHUNK || c.raw_len > pack::MAX_CHUNK {
                    return Err(RepoError::corrupt(
                        object,
                        format!("chunk {} is implausibly large", c.id),
                    ));
                }
                if c.codec == Codec::None as u8 && c.stored_len != c.raw_len {
                    return Err(RepoError::corrupt(
                        object,
                        format!(
                            "chunk {} in pack {} is uncompressed but its lengths differ",
                            c.id, p.id
                        ),
                    ));
                }
                if c.offset < pack::HEADER_LEN as u64
                    || c.offset.saturating_add(c.stored_len as u64) > p.size
                {
                    return Err(RepoError::corrupt(
                        object,
                        format!("chunk {} lies beyond the end of pack {}", c.id, p.id),
                    ));
                }
            }
        }
        Ok(f)
    }

    pub fn encode(&self) -> Vec<u8> {
        envelope::seal_value(Kind::Index, self)
    }

    /// Write durably; the file's name is the BLAKE3 of its bytes.
    pub fn write(&self, backend: &dyn Backend) -> Result<Id> {
        let bytes = self.encode();
        let id = backend.content_id(&bytes);
        backend.write(FileType::Index, &id.to_hex(), &bytes)?;
        Ok(id)
    }
}

/// Where a chunk is: which pack, and the entry describing it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Location {
    pub pack: Id,
    pub entry: PackEntry,
}

/// All index files of a repository, merged in memory.
#[derive(Clone, Default)]
pub struct MasterIndex {
    chunks: HashMap<Id, Location>,
    packs: HashMap<Id, u64>,
    /// The index files it was loaded from.
    pub files: Vec<Id>,
}

impl MasterIndex {
    pub fn load(backend: &dyn Backend) -> Result<MasterIndex> {
        let mut idx = MasterIndex::default();
        for name in backend.list_names(FileType::Index)? {
            idx.read_file(backend, &name)?;
        }
        Ok(idx)
    }

    /// The index as `backend` holds it now, starting from `previous` (an
    /// earlier result for the same repository): index files are immutable
    /// and named by their content, so only files `previous` has not read
    /// are read. When a file it had read is gone (a prune or a rebuild
    /// rewrote the index) it is loaded from scratch. Without this a service
    /// round of N tenants read N(N+1)/2 index files.
    pub fn refresh(backend: &dyn Backend, previous: Option<Arc<MasterIndex>>) -> Result<Arc<MasterIndex>> {
        let Some(mut idx) = previous else {
            return Ok(Arc::new(MasterIndex::load(backend)?));
        };
        let listed = backend.list_names(FileType::Index)?;
        let ids: HashSet<Id> = listed.iter().filter_map(|n| n.parse().ok()).collect();
        if idx.files.iter().any(|id| !ids.contains(id)) {
            return Ok(Arc::new(MasterIndex::load(backend)?));
        }
        let known: HashSet<Id> = idx.files.iter().copied().collect();
        // A name that is not an id is read too, so that it fails as it
        // would in a full load.
        let new: Vec<String> = listed.into_iter().filter(|n| n.parse::<Id>().map_or(true, |id| !known.contains(&id))).collect();
        if !new.is_empty() {
            let idx = Arc::make_mut(&mut idx);
            for name in new {
                idx.read_file(backend, &name)?;
            }
        }
        Ok(idx)
    }

    /// Read, check and add the index file `name`.
    fn read_file(&mut self, backend: &dyn Backend, name: &str) -> Result<()> {
        let path = backend.relative_path(FileType::Index, name);
        let id: Id = name.parse().map_err(|_| RepoError::corrupt(path.clone(), "bad file name"))?;
        let object = format!("index file {path}");
        let bytes = backend.read(FileType::Index, name)?;
        if backend.content_id(&bytes) != id {
            return Err(RepoError::corrupt(object, "content does not match its name (hash)"));
        }
        self.add_file(&IndexFile::decode(&bytes, &object)?);
        self.files.push(id);
        Ok(())
    }

    pub fn add_file(&mut self, f: &IndexFile) {
        for p in &f.packs {
            self.add_pack(p);
        }
    }

    pub fn add_pack(&mut self, p: &IndexPack) {
        self.packs.insert(p.id, p.size);
        for c in &p.chunks {
            let entry = PackEntry::from(c);
            // A chunk may be in two packs after an interrupted prune; either copy serves.
            self.chunks
                .entry(c.id)
                .or_insert(Location { pack: p.id, entry });
        }
    }

    pub fn get(&self, id: &Id) -> Option<&Location> {
        self.chunks.get(id)
    }

    pub fn contains(&self, id: &Id) -> bool {
        self.chunks.contains_key(id)
    }

    pub fn chunk_count(&self) -> usize {
        self.chunks.len()
    }

    pub fn chunk_ids(&self) -> impl Iterator<Item = &Id> {
        self.chunks.keys()
    }

    pub fn locations(&self) -> impl Iterator<Item = &Location> {
        self.chunks.values()
    }

    pub fn packs(&self) -> &HashMap<Id, u64> {
        &self.packs
    }
}

/// Read a pack's footer and table from the backend (two small reads, not the
/// whole pack) and check them.
pub fn read_pack_table(backend: &dyn Backend, pack_id: &Id) -> Result<(u64, Vec<PackEntry>)> {
    let name = pack_id.to_hex();
    let object = format!("pack {}", backend.relative_path(FileType::Pack, &name));
    let len = backend.size(FileType::Pack, &name)?;
    if len < (pack::HEADER_LEN + pack::FOOTER_LEN) as u64 {
        return Err(RepoError::corrupt(
            &object,
            format!("{len} bytes is shorter than an empty pack: truncated"),
        ));
    }
    let header = backend.read_at(FileType::Pack, &name, 0, pack::HEADER_LEN)?;
    pack::check_header(&header, &object)?;
    let footer = backend.read_at(
        FileType::Pack,
        &name,
        len - pack::FOOTER_LEN as u64,
        pack::FOOTER_LEN,
    )?;
    let (count, hash) = pack::parse_footer(&footer, len, &object)?;
    let start = pack::table_offset(len, count);
    let table = backend.read_at(
        FileType::Pack,
        &name,
        start,
        count as usize * pack::ENTRY_LEN,
    )?;
    Ok((len, pack::parse_table(&table, &hash, start, &object)?))
}

/// What `rebuild_from_packs` did.
#[derive(Debug, Default)]
pub struct RebuildReport {
    pub packs_indexed: usize,
    pub chunks_indexed: usize,
    /// Packs whose table could not be read: (pack, error).
    pub unreadable: Vec<(String, String)>,
    pub new_index: Option<Id>,
    pub removed_index_files: usize,
}

/// Write one index file describing every readable pack, then remove the old
/// index files. The new file is durable before any old one goes, so a crash
/// leaves at worst duplicate entries, which readers accept.
pub fn rebuild_from_packs(backend: &dyn Backend) -> Result<RebuildReport> {
    let mut report = RebuildReport::default();
    let mut file = IndexFile::default();
    for info in backend.list(FileType::Pack)? {
        let Ok(id) = info.name.parse::<Id>() else {
            continue;
        };
        match read_pack_table(backend, &id) {
            Ok((size, entries)) => {
                report.packs_indexed += 1;
                report.chunks_indexed += entries.len();
                file.packs.push(IndexPack::from_entries(id, size, &entries));
            }
            Err(e) => report.unreadable.push((
                backend.relative_path(FileType::Pack, &info.name),
                e.to_string(),
            )),
        }
    }
    let old = backend.list(FileType::Index)?;
    let new_id = file.write(backend)?;
    report.new_index = Some(new_id);
    for f in old {
        if f.name != new_id.to_hex() {
            backend.remove(FileType::Index, &f.name)?;
            report.removed_index_files += 1;
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repo::backend::LocalBackend;

    fn file(n: u8) -> IndexFile {
        let chunk = IndexChunk { id: Id::hash(&[n, 1]), offset: pack::HEADER_LEN as u64, stored_len: 10, raw_len: 10, codec: 0 };
        IndexFile { packs: vec![IndexPack { id: Id::hash(&[n]), size: 1000, chunks: vec![chunk] }] }
    }

    fn summary(idx: &MasterIndex) -> (Vec<Id>, usize) {
        let mut files = idx.files.clone();
        files.sort();
        (files, idx.chunk_count())
    }

    /// A refresh reads only new index files, and loads from scratch when
    /// one it had read is gone (a prune rewrote the index): either way it
    /// equals a full load.
    #[test]
    fn refresh_reads_new_files_and_reloads_after_a_rewrite() {
        let dir = tempfile::tempdir().unwrap();
        let backend = LocalBackend::create(&dir.path().join("r")).unwrap();
        let first = file(1).write(&backend).unwrap();
        let cached = MasterIndex::refresh(&backend, None).unwrap();
        assert_eq!(summary(&cached), (vec![first], 1));

        file(2).write(&backend).unwrap();
        let grown = MasterIndex::refresh(&backend, Some(cached.clone())).unwrap();
        assert_eq!(summary(&grown), summary(&MasterIndex::load(&backend).unwrap()));
        assert_eq!(grown.chunk_count(), 2);
        assert_eq!(cached.chunk_count(), 1, "the earlier index is not changed under its other holders");

        backend.remove(FileType::Index, &first.to_hex()).unwrap();
        let rewritten = MasterIndex::refresh(&backend, Some(grown)).unwrap();
        assert_eq!(summary(&rewritten), summary(&MasterIndex::load(&backend).unwrap()));
        assert_eq!(rewritten.chunk_count(), 1);
        assert!(rewritten.get(&Id::hash(&[1, 1])).is_none(), "a chunk of a removed index file is forgotten");
    }
}
