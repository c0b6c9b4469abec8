//! Writing data streams into the repository.
//!
//! A `BackupSession` holds a shared lock and the set of chunk ids already
//! stored. Each stream gets its own chunker thread (content-defined cutting
//! and BLAKE3), fed through a bounded channel; new chunks go over a second
//! bounded channel to a pool of compression threads, which append them to
//! the shared open pack. Full packs are written durably, then listed in an
//! index file; the snapshot manifest is written by `commit`, after every
//! pack and index file it depends on. Memory stays bounded by the channel
//! capacities, one chunker buffer per stream and the open packs, whatever
//! the size of a stream.
//!
//! The session does not know what a stream holds (COPY data or anything
//! else) nor what goes into a manifest beyond the chunk lists.

use std::collections::HashSet;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt};

use super::backend::{Backend, FileType};
use super::config::RepoConfig;
use super::error::{RepoError, Result};
use super::id::Id;
use super::index::{IndexFile, IndexPack, MasterIndex};
use super::lock::LockGuard;
use super::pack::{self, PackBuilder};
use super::snapshot::{self, Snapshot};

/// Write an index file after this many packs, so a long backup that dies
/// leaves its stored chunks reusable by the next run.
const INDEX_EVERY_PACKS: usize = 64;
/// Bytes the async side gathers before handing them to the chunker: COPY
/// sends one message per row, far too small to pass one by one.
const COALESCE: usize = 1 << 20;
const STREAM_QUEUE: usize = 4;

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
}

struct Job {
    id: Id,
    data: Vec<u8>,
    stream: Arc<StreamState>,
}

struct Shared {
    backend: Arc<dyn Backend>,
    config: RepoConfig,
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

    fn write_pack(&self, builder: PackBuilder) -> Result<()> {
        let (id, bytes, entries) = builder.finish(|d| self.backend.content_id(d));
        self.backend.write(FileType::Pack, &id.to_hex(), &bytes)?;
        self.packs_written.fetch_add(1, Ordering::Relaxed);
        lock_ignoring_poison(&self.written).push(id);
        let batch = {
            let mut u = self.unindexed.lock().unwrap_or_else(|e| e.into_inner());
            u.push(IndexPack::from_entries(id, bytes.len() as u64, &entries));
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
        let mut compressor = match zstd::bulk::Compressor::new(self.config.compression.level) {
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
            let (codec, stored) = pack::encode_blob(&mut compressor, &job.data);
            let stored_len = stored.len() as u64;
            let full = {
                let mut open = self.open_pack.lock().unwrap_or_else(|e| e.into_inner());
                open.add(job.id, job.data.len() as u32, codec, &stored);
                if open.len() as u64 >= self.config.pack_size {
                    Some(std::mem::take(&mut *open))
                } else {
                    None
                }
            };
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
    ) -> Result<BackupSession> {
        let shared = Arc::new(Shared {
            backend,
            config,
            known: Mutex::new(index.chunk_ids().copied().collect()),
            open_pack: Mutex::new(PackBuilder::new()),
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

    /// Chunk, deduplicate and store everything `reader` yields. Blocking:
    /// call it from a thread of its own (or use `write_stream`).
    pub fn write_reader<R: Read>(&self, stream_name: &str, reader: R) -> Result<StreamSummary> {
        let jobs = self
            .jobs
            .clone()
            .ok_or_else(|| RepoError::WriterFailed("session already finished".into()))?;
        chunk_stream(&self.shared, jobs, stream_name, reader)
    }

    /// Deduplicate and store chunks already cut (by another repository's
    /// chunker: `pgkeep copy` keeps their boundaries). Blocking.
    pub fn write_chunks(&self, chunks: impl Iterator<Item = Result<Vec<u8>>>) -> Result<StreamSummary> {
        let jobs = self
            .jobs
            .clone()
            .ok_or_else(|| RepoError::WriterFailed("session already finished".into()))?;
        store_chunks(&self.shared, jobs, chunks)
    }

    /// Chunk, deduplicate and store an async byte stream (such as COPY
    /// output). CPU work runs on a dedicated thread; this future only
    /// gathers bytes and waits.
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
        let (done_tx, done_rx) = tokio::sync::oneshot::channel();
        let shared = self.shared.clone();
        let name = stream_name.to_string();
        std::thread::Builder::new()
            .name("pgkeep-chunker".into())
            .spawn(move || {
                let reader = ChannelReader {
                    rx,
                    current: Bytes::new(),
                };
                let _ = done_tx.send(chunk_stream(&shared, jobs, &name, reader));
            })
            .map_err(|e| RepoError::WriterFailed(format!("cannot start chunker thread: {e}")))?;

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
        let result = done_rx.await.map_err(|_| {
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
        let last = std::mem::take(
            &mut *self
                .shared
                .open_pack
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
        );
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

fn chunk_stream<R: Read>(
    shared: &Arc<Shared>,
    jobs: crossbeam_channel::Sender<Job>,
    stream_name: &str,
    reader: R,
) -> Result<StreamSummary> {
    let c = &shared.config.chunker;
    let level = match c.normalization {
        0 => fastcdc::v2020::Normalization::Level0,
        1 => fastcdc::v2020::Normalization::Level1,
        2 => fastcdc::v2020::Normalization::Level2,
        _ => fastcdc::v2020::Normalization::Level3,
    };
    let cdc = fastcdc::v2020::StreamCDC::with_level_and_seed(
        reader,
        c.min_size as usize,
        c.avg_size as usize,
        c.max_size as usize,
        level,
        shared.backend.chunker_seed(),
    );
    let chunks = cdc.map(|chunk| {
        chunk.map(|c| c.data).map_err(|e| RepoError::Source {
            stream: stream_name.into(),
            message: std::io::Error::from(e).to_string(),
        })
    });
    store_chunks(shared, jobs, chunks)
}

/// Deduplicate and store chunks as they come (cut by the chunker, or
/// taken whole from another repository by `pgkeep copy`), in order.
fn store_chunks(
    shared: &Arc<Shared>,
    jobs: crossbeam_channel::Sender<Job>,
    chunks: impl Iterator<Item = Result<Vec<u8>>>,
) -> Result<StreamSummary> {
    let state = Arc::new(StreamState {
        pending: Mutex::new(0),
        done: Condvar::new(),
        stored: AtomicU64::new(0),
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
            data: data,
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

/// Presents the chunks of bytes arriving over a channel as a `Read`.
struct ChannelReader {
    rx: tokio::sync::mpsc::Receiver<std::result::Result<Bytes, String>>,
    current: Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(b)) => self.current = b,
                Some(Err(msg)) => return Err(std::io::Error::other(msg)),
                None => return Ok(0),
            }
        }
        let n = out.len().min(self.current.len());
        out[..n].copy_from_slice(&self.current[..n]);
        let _ = self.current.split_to(n);
        Ok(n)
    }
}

fn lock_ignoring_poison<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
