//! Writing data streams into the repository.
//!
//! A `BackupSession` holds a shared lock and the set of chunk ids already
//! stored. Each stream is cut (`chunker`) and hashed with BLAKE3 on a
//! thread of tokio's blocking pool (reused from stream to stream), fed
//! through a bounded channel with blocks of about 1 MiB; new chunks go over
//! a second bounded channel to a pool of compression threads, which append
//! them to the shared open pack. Full packs are written durably, then
//! listed in an index file; the snapshot manifest is written by `commit`,
//! after every pack and index file it depends on. Memory stays bounded by
//! the channel capacities, one window per stream and the open packs,
//! whatever the size of a stream.
//!
//! Bytes are copied twice on their way from the server to a pack: once
//! when COPY's row messages are gathered into a block, once into the
//! stream's window (chunks are split off the window and handed on without
//! a copy); a compressed blob is copied into the pack. How new chunks are
//! stored (`Compression`: zstd at the repository's or a chosen level, or
//! not at all; chunks that do not compress stored raw, see
//! `pack::BlobEncoder`) is the session's choice and changes no reader.
//!
//! The session does not know what a stream holds (COPY data or anything
//! else) nor what goes into a manifest beyond the chunk lists.

use std::collections::HashSet;
use std::io::Read;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt};

use super::backend::{Backend, FileType};
use super::chunker::Cutter;
use super::config::RepoConfig;
use super::error::{RepoError, Result};
use super::id::Id;
use super::index::{IndexFile, IndexPack, MasterIndex};
use super::lock::LockGuard;
use super::pack::{BlobEncoder, Encoded, PackBuilder};
use super::snapshot::{self, Snapshot};

/// Write an index file after this many packs, so a long backup that dies
/// leaves its stored chunks reusable by the next run.
const INDEX_EVERY_PACKS: usize = 64;
/// Bytes the async side gathers before handing them to the chunker: COPY
/// sends one message per row, far too small to pass one by one.
const COALESCE: usize = 1 << 20;
const STREAM_QUEUE: usize = 4;
/// Size of a stream's window buffer: blocks are appended until it is
/// full, so the tail carried to the next buffer (under one chunk) is
/// copied once per few MiB.
const WINDOW: usize = 8 << 20;
/// A stream whose last chunk compressed below this share of its size is
/// taken to be compressible: its next chunk is compressed without a probe.
const COMPRESSIBLE: f64 = 0.9;
/// Pack buffers kept for reuse after their pack is written.
const SPARE_PACK_BUFFERS: usize = 2;

/// How a backup stores the chunks it adds (`pgkeep backup --compress`,
/// pg_dump 16's spelling): `none`, `zstd` (the repository's level) or
/// `zstd:LEVEL` (also `zstd:level=LEVEL`), LEVEL 1–19. Readers need
/// nothing: every chunk records its codec (format-spec/packs.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    /// Every new chunk stored as is (codec 0).
    None,
    /// zstd at this level, or at the repository's configured level.
    Zstd(Option<i32>),
}

impl Compression {
    /// The zstd level this writes with given the repository's configured
    /// level; None: no compression.
    pub fn level(self, configured: i32) -> Option<i32> {
        match self {
            Compression::None => None,
            Compression::Zstd(level) => Some(level.unwrap_or(configured)),
        }
    }
}

impl std::str::FromStr for Compression {
    type Err = RepoError;

    fn from_str(s: &str) -> Result<Compression> {
        let invalid = |problem: String| RepoError::InvalidSetting { name: "compress".into(), problem };
        let (method, detail) = match s.split_once(':') {
            Some((m, d)) => (m, Some(d)),
            None => (s, None),
        };
        match (method.to_ascii_lowercase().as_str(), detail) {
            ("none", None) => Ok(Compression::None),
            ("zstd", None) => Ok(Compression::Zstd(None)),
            ("zstd", Some(d)) => {
                let n = d.strip_prefix("level=").unwrap_or(d);
                match n.parse::<i32>() {
                    Ok(level) if (1..=19).contains(&level) => Ok(Compression::Zstd(Some(level))),
                    _ => Err(invalid(format!("{s:?}: the zstd level must be a whole number from 1 to 19 (zstd:3, zstd:level=3)"))),
                }
            }
            ("none", Some(_)) => Err(invalid(format!("{s:?}: `none` takes no level"))),
            _ => Err(invalid(format!(
                "{s:?}: expected none, zstd or zstd:LEVEL (gzip and lz4 are pg_dump's; pgkeep stores zstd or raw chunks)"
            ))),
        }
    }
}

impl std::fmt::Display for Compression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Compression::None => f.write_str("none"),
            Compression::Zstd(None) => f.write_str("zstd"),
            Compression::Zstd(Some(l)) => write!(f, "zstd:{l}"),
        }
    }
}

/// What one stream produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StreamSummary {
    pub chunks: Vec<Id>,
    pub raw_bytes: u64,
    pub new_chunks: u64,
    pub new_raw_bytes: u64,
    /// Bytes the new chunks take in packs.
    pub new_stored_bytes: u64,
}

/// Counters for the whole session.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionStats {
    pub new_chunks: u64,
    pub new_raw_bytes: u64,
    pub new_stored_bytes: u64,
    pub packs_written: u64,
    pub index_files_written: u64,
}

struct StreamState {
    pending: Mutex<u64>,
    done: Condvar,
    stored: AtomicU64,
    /// The stream's last chunk compressed well: skip the probe on the next.
    compressible: AtomicBool,
}

struct Job {
    id: Id,
    data: Bytes,
    stream: Arc<StreamState>,
}

struct Shared {
    backend: Arc<dyn Backend>,
    config: RepoConfig,
    /// zstd level for new chunks; None: stored raw.
    level: Option<i32>,
    /// Buffers of written packs, for the next packs.
    spare_packs: Mutex<Vec<Vec<u8>>>,
    known: Mutex<HashSet<Id>>,
    open_pack: Mutex<PackBuilder>,
    /// Durable packs not yet listed in an index file.
    unindexed: Mutex<Vec<IndexPack>>,
    /// Every pack this session wrote (checked again before the commit).
    written: Mutex<Vec<Id>>,
    error: Mutex<Option<String>>,
    new_chunks: AtomicU64,
    new_raw: AtomicU64,
    new_stored: AtomicU64,
    packs_written: AtomicU64,
    index_files: AtomicU64,
}

impl Shared {
    fn fail(&self, msg: String) {
        let mut e = self.error.lock().unwrap_or_else(|e| e.into_inner());
        if e.is_none() {
            tracing::error!(error = %msg, "repository writer failed");
            *e = Some(msg);
        }
    }

    fn failed(&self) -> Option<String> {
        self.error.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn new_pack(&self) -> PackBuilder {
        match lock_ignoring_poison(&self.spare_packs).pop() {
            Some(buf) => PackBuilder::with_buffer(buf),
            None => PackBuilder::with_buffer(Vec::with_capacity(pack_capacity(&self.config))),
        }
    }

    fn write_pack(&self, builder: PackBuilder) -> Result<()> {
        let (id, bytes, entries) = builder.finish(|d| self.backend.content_id(d));
        let pack_len = bytes.len() as u64;
        self.backend.write(FileType::Pack, &id.to_hex(), &bytes)?;
        {
            let mut spare = lock_ignoring_poison(&self.spare_packs);
            if spare.len() < SPARE_PACK_BUFFERS {
                spare.push(bytes);
            }
        }
        self.packs_written.fetch_add(1, Ordering::Relaxed);
        lock_ignoring_poison(&self.written).push(id);
        let batch = {
            let mut u = self.unindexed.lock().unwrap_or_else(|e| e.into_inner());
            u.push(IndexPack::from_entries(id, pack_len, &entries));
            if u.len() >= INDEX_EVERY_PACKS {
                std::mem::take(&mut *u)
            } else {
                Vec::new()
            }
        };
        if !batch.is_empty() {
            self.write_index(batch)?;
        }
        Ok(())
    }

    /// List every durable pack not yet in an index file.
    fn index_unindexed(&self) -> Result<()> {
        let rest = std::mem::take(&mut *self.unindexed.lock().unwrap_or_else(|e| e.into_inner()));
        if rest.is_empty() {
            return Ok(());
        }
        self.write_index(rest)
    }

    fn write_index(&self, packs: Vec<IndexPack>) -> Result<()> {
        IndexFile { packs }.write(self.backend.as_ref())?;
        self.index_files.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn compress_loop(&self, rx: crossbeam_channel::Receiver<Job>) {
        let mut encoder = match BlobEncoder::new(self.level) {
            Ok(c) => c,
            Err(e) => {
                self.fail(format!("cannot create zstd compressor: {e}"));
                // Keep draining so that streams waiting on their chunks wake.
                for job in rx {
                    job.stream.finish_one(0);
                }
                return;
            }
        };
        for job in rx {
            if self.failed().is_some() {
                job.stream.finish_one(0);
                continue;
            }
            let probe = !job.stream.compressible.load(Ordering::Relaxed);
            let (codec, stored, how) = encoder.encode(&job.data, probe);
            let stored_len = stored.len() as u64;
            job.stream.compressible.store(
                how == Encoded::Compressed && (stored.len() as f64) < job.data.len() as f64 * COMPRESSIBLE,
                Ordering::Relaxed,
            );
            let full = {
                let mut open = self.open_pack.lock().unwrap_or_else(|e| e.into_inner());
                open.add(job.id, job.data.len() as u32, codec, stored);
                if open.len() as u64 >= self.config.pack_size {
                    Some(std::mem::replace(&mut *open, self.new_pack()))
                } else {
                    None
                }
            };
            drop(job.data);
            self.new_stored.fetch_add(stored_len, Ordering::Relaxed);
            // Written outside the lock: other workers keep filling the next pack.
            if let Some(full) = full {
                if let Err(e) = self.write_pack(full) {
                    self.fail(e.to_string());
                }
            }
            job.stream.finish_one(stored_len);
        }
    }
}

impl StreamState {
    fn finish_one(&self, stored: u64) {
        self.stored.fetch_add(stored, Ordering::Relaxed);
        let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        *p -= 1;
        if *p == 0 {
            self.done.notify_all();
        }
    }
}

/// A running backup: streams go in, `commit` writes the snapshot.
pub struct BackupSession {
    shared: Arc<Shared>,
    jobs: Option<crossbeam_channel::Sender<Job>>,
    workers: Vec<JoinHandle<()>>,
    _lock: LockGuard,
}

impl BackupSession {
    pub(crate) fn start(
        backend: Arc<dyn Backend>,
        config: RepoConfig,
        index: &MasterIndex,
        lock: LockGuard,
        threads: usize,
        compression: Option<Compression>,
    ) -> Result<BackupSession> {
        let level = compression.unwrap_or(Compression::Zstd(None)).level(config.compression.level);
        if let Some(l) = level {
            if !(1..=19).contains(&l) {
                return Err(RepoError::InvalidSetting { name: "compress".into(), problem: format!("zstd level {l} must be 1–19") });
            }
        }
        let first_pack = PackBuilder::with_buffer(Vec::with_capacity(pack_capacity(&config)));
        let shared = Arc::new(Shared {
            backend,
            config,
            level,
            spare_packs: Mutex::new(Vec::new()),
            known: Mutex::new(index.chunk_ids().copied().collect()),
            open_pack: Mutex::new(first_pack),
            unindexed: Mutex::new(Vec::new()),
            error: Mutex::new(None),
            new_chunks: AtomicU64::new(0),
            new_raw: AtomicU64::new(0),
            new_stored: AtomicU64::new(0),
            packs_written: AtomicU64::new(0),
            written: Mutex::new(Vec::new()),
            index_files: AtomicU64::new(0),
        });
        let threads = threads.max(1);
        let (tx, rx) = crossbeam_channel::bounded::<Job>(threads * 2);
        let mut workers = Vec::with_capacity(threads);
        for i in 0..threads {
            let (s, rx) = (shared.clone(), rx.clone());
            let h = std::thread::Builder::new()
                .name(format!("pgkeep-zstd-{i}"))
                .spawn(move || s.compress_loop(rx))
                .map_err(|e| {
                    RepoError::WriterFailed(format!("cannot start compression thread: {e}"))
                })?;
            workers.push(h);
        }
        Ok(BackupSession {
            shared,
            jobs: Some(tx),
            workers,
            _lock: lock,
        })
    }

    pub fn config(&self) -> &RepoConfig {
        &self.shared.config
    }

    /// The zstd level new chunks are compressed with; None: stored raw.
    pub fn compression_level(&self) -> Option<i32> {
        self.shared.level
    }

    /// Chunk, deduplicate and store everything `reader` yields. Blocking:
    /// call it from a thread of its own (or use `write_stream`).
    pub fn write_reader<R: Read>(&self, stream_name: &str, reader: R) -> Result<StreamSummary> {
        let jobs = self
            .jobs
            .clone()
            .ok_or_else(|| RepoError::WriterFailed("session already finished".into()))?;
        let mut reader = reader;
        let blocks = std::iter::from_fn(move || {
            let mut block = BytesMut::zeroed(COALESCE);
            let mut filled = 0;
            while filled < block.len() {
                match reader.read(&mut block[filled..]) {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Some(Err(e.to_string())),
                }
            }
            (filled > 0).then(|| {
                block.truncate(filled);
                Ok(block.freeze())
            })
        });
        chunk_stream(&self.shared, jobs, stream_name, blocks)
    }

    /// Deduplicate and store chunks already cut (by another repository's
    /// chunker: `pgkeep copy` keeps their boundaries). Blocking.
    pub fn write_chunks(&self, chunks: impl Iterator<Item = Result<Vec<u8>>>) -> Result<StreamSummary> {
        let jobs = self
            .jobs
            .clone()
            .ok_or_else(|| RepoError::WriterFailed("session already finished".into()))?;
        store_chunks(&self.shared, jobs, chunks.map(|c| c.map(Bytes::from)))
    }

    /// Chunk, deduplicate and store an async byte stream (such as COPY
    /// output). CPU work runs on a thread of tokio's blocking pool (reused
    /// from stream to stream); this future only gathers bytes and waits.
    pub async fn write_stream<S, E>(
        &self,
        stream_name: &str,
        mut stream: S,
    ) -> Result<StreamSummary>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let jobs = self
            .jobs
            .clone()
            .ok_or_else(|| RepoError::WriterFailed("session already finished".into()))?;
        let (tx, rx) =
            tokio::sync::mpsc::channel::<std::result::Result<Bytes, String>>(STREAM_QUEUE);
        let shared = self.shared.clone();
        let name = stream_name.to_string();
        let mut rx = rx;
        let chunker = tokio::task::spawn_blocking(move || {
            chunk_stream(&shared, jobs, &name, std::iter::from_fn(|| rx.blocking_recv()))
        });

        let mut buf = BytesMut::with_capacity(COALESCE);
        let mut source_error = None;
        while let Some(item) = stream.next().await {
            match item {
                Ok(b) => {
                    if buf.is_empty() && b.len() >= COALESCE {
                        if tx.send(Ok(b)).await.is_err() {
                            break; // chunker stopped; its result says why
                        }
                        continue;
                    }
                    buf.extend_from_slice(&b);
                    if buf.len() >= COALESCE {
                        let full = std::mem::replace(&mut buf, BytesMut::with_capacity(COALESCE));
                        if tx.send(Ok(full.freeze())).await.is_err() {
                            break;
                        }
                    }
                }
                Err(e) => {
                    source_error = Some(e.to_string());
                    let _ = tx.send(Err(e.to_string())).await;
                    break;
                }
            }
        }
        if source_error.is_none() && !buf.is_empty() {
            let _ = tx.send(Ok(buf.freeze())).await;
        }
        drop(tx);
        let result = chunker.await.map_err(|_| {
            RepoError::WriterFailed(format!("chunker thread for {stream_name} died"))
        })?;
        match source_error {
            Some(message) => Err(RepoError::Source {
                stream: stream_name.into(),
                message,
            }),
            None => result,
        }
    }

    pub fn stats(&self) -> SessionStats {
        let s = &self.shared;
        SessionStats {
            new_chunks: s.new_chunks.load(Ordering::Relaxed),
            new_raw_bytes: s.new_raw.load(Ordering::Relaxed),
            new_stored_bytes: s.new_stored.load(Ordering::Relaxed),
            packs_written: s.packs_written.load(Ordering::Relaxed),
            index_files_written: s.index_files.load(Ordering::Relaxed),
        }
    }

    /// Stop the workers and make every stored chunk durable and indexed.
    fn drain(&mut self) -> Result<()> {
        self.jobs = None;
        for w in self.workers.drain(..) {
            if w.join().is_err() {
                self.shared.fail("a compression thread panicked".into());
            }
        }
        if let Some(e) = self.shared.failed() {
            // Packs already written stay listed so the next run can reuse them.
            let _ = self.shared.index_unindexed();
            return Err(RepoError::WriterFailed(e));
        }
        let last = std::mem::take(&mut *lock_ignoring_poison(&self.shared.open_pack));
        lock_ignoring_poison(&self.shared.spare_packs).clear();
        if !last.is_empty() {
            self.shared.write_pack(last)?;
        }
        self.shared.index_unindexed()
    }

    /// Finish: flush packs and index, then write the manifest. Returns the
    /// snapshot id. Refuses a manifest that names a chunk not stored.
    pub fn commit(mut self, snap: &Snapshot) -> Result<Id> {
        self.drain()?;
        {
            let known = self.shared.known.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((s, c)) = snap.chunk_refs().find(|(_, c)| !known.contains(c)) {
                return Err(RepoError::ChunkNotIndexed {
                    chunk: *c,
                    needed_by: format!("{s} of the new snapshot"),
                });
            }
        }
        // Before the manifest makes them needed: still locked (a prune on
        // a host that took our lock for stale removes it first), and every
        // pack this session wrote still there.
        self._lock.verify()?;
        let written: Vec<Id> = lock_ignoring_poison(&self.shared.written).clone();
        for id in written {
            match self.shared.backend.size(FileType::Pack, &id.to_hex()) {
                Ok(_) => {}
                Err(RepoError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                    return Err(RepoError::PackGone { pack: self.shared.backend.relative_path(FileType::Pack, &id.to_hex()) })
                }
                Err(e) => return Err(e),
            }
        }
        snapshot::save(self.shared.backend.as_ref(), snap)
    }

    /// Give up without a snapshot. Stored chunks stay indexed (the next run
    /// reuses them; `prune` removes them if nothing does).
    pub fn abort(mut self) -> Result<()> {
        self.drain()
    }
}

impl Drop for BackupSession {
    fn drop(&mut self) {
        if !self.workers.is_empty() {
            let _ = self.drain();
        }
    }
}

/// Cut the blocks of a stream into chunks and store them. Blocks are
/// appended to one window; each chunk is split off its front without a
/// copy (`Cutter` decides where, exactly as fastcdc's `StreamCDC` would).
fn chunk_stream(
    shared: &Arc<Shared>,
    jobs: crossbeam_channel::Sender<Job>,
    stream_name: &str,
    mut blocks: impl Iterator<Item = std::result::Result<Bytes, String>>,
) -> Result<StreamSummary> {
    let cutter = Cutter::new(&shared.config.chunker, shared.backend.chunker_seed());
    let mut window = BytesMut::new();
    let mut eof = false;
    let chunks = std::iter::from_fn(|| loop {
        if let Some(n) = cutter.next_cut(&window, eof) {
            return Some(Ok(window.split_to(n).freeze()));
        }
        if eof {
            return None;
        }
        match blocks.next() {
            None => eof = true,
            Some(Ok(block)) => {
                // Chunks split off the window still share its buffer, so
                // it is never grown in place: when the block does not fit,
                // a new buffer takes the tail (less than one chunk) and
                // the blocks of the next few MiB.
                if window.capacity() - window.len() < block.len() {
                    // Small streams (a table of a few rows) get a small
                    // buffer; big ones a WINDOW.
                    let need = window.len() + block.len();
                    let mut fresh = BytesMut::with_capacity(need.max(WINDOW.min(4 * need)));
                    fresh.extend_from_slice(&window);
                    window = fresh;
                }
                window.extend_from_slice(&block);
            }
            Some(Err(message)) => {
                return Some(Err(RepoError::Source { stream: stream_name.into(), message }));
            }
        }
    });
    store_chunks(shared, jobs, chunks)
}

/// Deduplicate and store chunks as they come (cut by the chunker, or
/// taken whole from another repository by `pgkeep copy`), in order.
fn store_chunks(
    shared: &Arc<Shared>,
    jobs: crossbeam_channel::Sender<Job>,
    chunks: impl Iterator<Item = Result<Bytes>>,
) -> Result<StreamSummary> {
    let state = Arc::new(StreamState {
        pending: Mutex::new(0),
        done: Condvar::new(),
        stored: AtomicU64::new(0),
        compressible: AtomicBool::new(false),
    });
    let mut summary = StreamSummary::default();
    let mut outcome = Ok(());
    for chunk in chunks {
        let data = match chunk {
            Ok(c) => c,
            Err(e) => {
                outcome = Err(e);
                break;
            }
        };
        let id = shared.backend.content_id(&data);
        summary.raw_bytes += data.len() as u64;
        summary.chunks.push(id);
        let is_new = shared
            .known
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id);
        if !is_new {
            continue;
        }
        summary.new_chunks += 1;
        summary.new_raw_bytes += data.len() as u64;
        shared.new_chunks.fetch_add(1, Ordering::Relaxed);
        shared
            .new_raw
            .fetch_add(data.len() as u64, Ordering::Relaxed);
        *state.pending.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        let job = Job {
            id,
            data,
            stream: state.clone(),
        };
        if jobs.send(job).is_err() {
            outcome = Err(RepoError::WriterFailed(
                "compression workers stopped".into(),
            ));
            *state.pending.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
            break;
        }
        if let Some(e) = shared.failed() {
            outcome = Err(RepoError::WriterFailed(e));
            break;
        }
    }
    // Our chunks must be in a pack (at least the open one) before we report.
    let mut p = state.pending.lock().unwrap_or_else(|e| e.into_inner());
    while *p > 0 {
        p = state.done.wait(p).unwrap_or_else(|e| e.into_inner());
    }
    drop(p);
    outcome?;
    if let Some(e) = shared.failed() {
        return Err(RepoError::WriterFailed(e));
    }
    summary.new_stored_bytes = state.stored.load(Ordering::Relaxed);
    Ok(summary)
}

/// A pack's usual largest size: the target plus one chunk (zstd's bound
/// for incompressible bytes) and a table. Reserved at once so a pack's
/// buffer is not regrown and copied as it fills; pages not written cost
/// no memory.
fn pack_capacity(config: &RepoConfig) -> usize {
    let chunk = config.chunker.max_size as usize;
    config.pack_size as usize + chunk + chunk / 64 + (1 << 16)
}

fn lock_ignoring_poison<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::Compression;

    #[test]
    fn compress_takes_pg_dump_16_spelling() {
        assert_eq!("none".parse::<Compression>().unwrap(), Compression::None);
        assert_eq!("zstd".parse::<Compression>().unwrap(), Compression::Zstd(None));
        assert_eq!("zstd:3".parse::<Compression>().unwrap(), Compression::Zstd(Some(3)));
        assert_eq!("ZSTD:level=19".parse::<Compression>().unwrap(), Compression::Zstd(Some(19)));
        for bad in ["zstd:0", "zstd:20", "zstd:x", "zstd:", "none:1", "gzip", "lz4:3", ""] {
            assert!(bad.parse::<Compression>().is_err(), "{bad}");
        }
        assert_eq!(Compression::Zstd(Some(3)).to_string(), "zstd:3");
        assert_eq!(Compression::Zstd(None).level(1), Some(1));
        assert_eq!(Compression::None.level(1), None);
    }
}
