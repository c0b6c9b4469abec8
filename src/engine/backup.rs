//! The backup engine: one consistent view of the database, the catalog
//! rendered to DDL entries, every table's rows streamed with
//! `COPY … TO STDOUT (FORMAT binary)` by `jobs` workers into the repository,
//! and a snapshot manifest written last.
//!
//! It orchestrates; it does not read the catalog itself (`catalog`), render
//! SQL (`ddl`), cut or store chunks (`repo`), or print (`progress`).
//!
//! Consistency and locking follow pg_dump's parallel mode: the leader's
//! snapshot is exported and imported by every worker; the leader takes
//! `ACCESS SHARE` on every table in scope (waiting at most the lock
//! timeout, and naming the table it could not lock); each worker takes the
//! same lock again with `NOWAIT` before copying, so an `ACCESS EXCLUSIVE`
//! request queued behind the leader stops the backup with a message
//! instead of a deadlock no one can see.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use tokio_postgres::Client;

use crate::manifest::EntryKind;
use crate::catalog::{self, CatalogError, RelKind, ScopeKind, ScopeSpec};
use crate::pg::conn::ResolvedConn;
use crate::copy::{self, RowCounter};
use crate::sql::quote::{quote_ident, quote_qualified};
use crate::ddl::{self, DdlError, RenderOptions};
use crate::progress::Progress;
use crate::repo::snapshot::{
    Column, CopyFormat, DdlEntry, LargeObjectData, LargeObjects, Part, SchemaTemplate, Scope, Source, TableData, Totals,
    SCHEMA_PLACEHOLDER,
};
use crate::repo::{BackupSession, Id, RepoError, Repository, Snapshot, Timestamp};
use crate::pg::error::ServerError;
use crate::pg::sessions::{SessionError, SnapshotSessions};

mod shared;
pub use shared::{schema_scope, SharedOptions, SharedSnapshot};

/// Tables above this many bytes are split into parts of about this size
/// (smaller when the whole backup is small; see `plan_tables`).
pub const DEFAULT_SPLIT_BYTES: u64 = 256 << 20;
const MIN_SPLIT_BYTES: u64 = 16 << 20;
/// PostgreSQL's default block size; only used to size parts.
const BLOCK_SIZE: u64 = 8192;

#[derive(Clone, Debug)]
pub struct BackupOptions {
    pub scope: ScopeSpec,
    /// Sessions copying at once.
    pub jobs: usize,
    pub schema_only: bool,
    pub data_only: bool,
    /// Patterns of tables whose definition but not data is backed up.
    pub exclude_table_data: Vec<String>,
    pub tenant: Option<String>,
    pub tags: Vec<String>,
    pub label: Option<String>,
    /// How long the leader waits for each table's lock.
    pub lock_wait_timeout: Duration,
    /// Split tables larger than this into parts of about this size
    /// (0: never split). Needs PostgreSQL 14 (TID range scans).
    pub split_bytes: u64,
    /// Threads compressing chunks.
    pub compression_threads: usize,
    /// How new chunks are stored (`--compress`); None: zstd at the
    /// repository's configured level.
    pub compression: Option<crate::repo::Compression>,
    /// Read each sequence's value (for `setval`).
    pub sequence_values: bool,
    /// Large objects, their metadata and contents: None includes them when
    /// the whole database is backed up (pg_dump's rule), Some(true) always
    /// (`--blobs`), Some(false) never (`--no-blobs`).
    pub large_objects: Option<bool>,
    /// The time the snapshot records as its start, when the caller keeps
    /// its own clock (the service's schedules; simulated days in tests).
    /// None: now.
    pub start_time: Option<chrono::DateTime<chrono::Utc>>,
    /// Test hook: wait this long after taking the leader's locks, before
    /// the workers start (to let a test queue a conflicting lock).
    pub pause_after_locks: Option<Duration>,
}

impl Default for BackupOptions {
    fn default() -> Self {
        BackupOptions {
            scope: ScopeSpec::default(),
            jobs: 2,
            schema_only: false,
            data_only: false,
            exclude_table_data: Vec::new(),
            tenant: None,
            tags: Vec::new(),
            label: None,
            lock_wait_timeout: Duration::from_secs(30),
            split_bytes: DEFAULT_SPLIT_BYTES,
            compression_threads: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2),
            compression: None,
            sequence_values: true,
            large_objects: None,
            pause_after_locks: None,
            start_time: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DumpError {
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Ddl(#[from] DdlError),
    #[error(transparent)]
    Repo(#[from] RepoError),
    #[error("{context}: {error}")]
    Server { context: String, #[source] error: ServerError },
    #[error(
        "could not lock table {table} within {timeout:?}: another session holds a conflicting lock \
         (ALTER/DROP/TRUNCATE/VACUUM FULL in progress?); retry later or raise --lock-wait-timeout"
    )]
    LockTimeout { table: String, timeout: Duration },
    #[error(
        "table {table}: another session is waiting for an exclusive lock on it ({error}); \
         the backup stops here rather than deadlock behind it — retry when that DDL is done"
    )]
    LockConflict { table: String, error: ServerError },
    /// The stream of one table part broke: its framing, or the repository.
    #[error("table {table}{part}: {message}")]
    Copy { table: String, part: String, message: String },
    /// The server failed one table part's COPY.
    #[error("table {table}{part}: {error}")]
    CopyFailed { table: String, part: String, #[source] error: ServerError },
    /// The server failed reading a large object's contents.
    #[error("reading large object {oid}: {error}")]
    LargeObject { oid: u32, #[source] error: ServerError },
    #[error("--schema-only and --data-only cannot be used together")]
    SchemaAndDataOnly,
    /// The repository's writer thread stopped (a panic or a lost channel).
    #[error("the repository writer {during} failed: {message}; nothing was committed")]
    Writer { during: &'static str, message: String },
    #[error("the backup copied {copied} of {planned} planned table parts; no snapshot was written")]
    Incomplete { copied: usize, planned: usize },
    #[error("read {read} of {expected} large objects: the backup did not copy everything; no snapshot was written")]
    LargeObjectsIncomplete { read: usize, expected: usize },
    /// A schema asked of a shared snapshot that did not lock it.
    #[error("schema {schema} is not one of the shared snapshot's schemas: its tables were not locked when the snapshot was taken")]
    NotInRound { schema: String },
}

fn server(context: impl Into<String>) -> impl FnOnce(tokio_postgres::Error) -> DumpError {
    let context = context.into();
    move |e| DumpError::Server { context, error: e.into() }
}

/// One stream to copy: a whole table or one block range of it.
#[derive(Clone, Debug)]
struct Job {
    table: usize,
    part: usize,
    blocks: Option<(u64, u64)>,
    weight: u64,
}

struct PlannedTable {
    schema: String,
    name: String,
    ddl_entry: Option<u32>,
    columns: Vec<Column>,
    format: CopyFormat,
    text_reason: Option<String>,
    parts: Vec<Option<(u64, u64)>>,
    bytes: u64,
}

struct PartResult {
    table: usize,
    part: usize,
    rows: u64,
    summary: crate::repo::StreamSummary,
    duration: Duration,
}

/// Back up what `opts` selects from `conn` into `repo`. Returns the new
/// snapshot's id and manifest.
pub async fn backup(
    repo: &Repository,
    conn: &ResolvedConn,
    opts: &BackupOptions,
    progress: &dyn Progress,
) -> Result<(Id, Snapshot), DumpError> {
    if opts.schema_only && opts.data_only {
        return Err(DumpError::SchemaAndDataOnly);
    }
    let started = opts.start_time.unwrap_or_else(chrono::Utc::now);
    let t0 = Instant::now();
    // Bounded: each session is a connection slot on the server (and
    // `jobs + 1` must not overflow into a pool without workers).
    let jobs = opts.jobs.clamp(1, crate::pg::sessions::MAX_JOBS);
    progress.phase("connecting");
    let sessions = SnapshotSessions::open(conn, jobs + 1).await?;
    let result = run(repo, conn, opts, progress, &sessions, started, t0).await;
    sessions.close().await;
    progress.finish();
    result
}

#[allow(clippy::too_many_arguments)]
async fn run(
    repo: &Repository,
    conn: &ResolvedConn,
    opts: &BackupOptions,
    progress: &dyn Progress,
    sessions: &SnapshotSessions,
    started: chrono::DateTime<chrono::Utc>,
    t0: Instant,
) -> Result<(Id, Snapshot), DumpError> {
    let leader = &sessions.clients[0];
    let source = read_source(leader, conn).await?;

    progress.phase("locking tables");
    let resolved = catalog::scope::resolve(leader, &opts.scope, &source.database).await?;
    lock_tables(leader, &resolved.relations, opts.lock_wait_timeout).await?;
    if let Some(p) = opts.pause_after_locks {
        tokio::time::sleep(p).await;
    }

    progress.phase("reading the catalog");
    let read = catalog::ReadOptions { sequence_values: opts.sequence_values, large_objects: opts.large_objects };
    let cat = catalog::read_catalog_with(&sessions.refs(), &opts.scope, &read).await?;
    let ddl::Rendered { entries, warnings: render_warnings, search_path, .. } = snapshot_ddl(&cat, opts)?;

    let no_data: BTreeSet<u32> = if opts.exclude_table_data.is_empty() {
        BTreeSet::new()
    } else {
        catalog::scope::matching_relations(leader, &opts.exclude_table_data, &source.database).await?
    };
    let tables = if opts.schema_only {
        Vec::new()
    } else {
        plan_tables(leader, &cat, &entries, &no_data, opts, source.server_version_num).await?
    };
    // The catalog model is not needed past planning; what is, is kept.
    let large_object_oids: Vec<u32> = cat.large_objects.iter().map(|l| l.meta.oid).collect();
    let relative_schema = cat.relative_schema.clone();
    drop(cat);
    let queue = job_queue(&tables);
    let session = start_writing(repo, opts).await?;
    let workers: Vec<&Client> = sessions.clients[1..].iter().collect();
    let (session, mut snap) =
        copy_data(&workers, leader, session, &tables, queue, &large_object_oids, opts.schema_only, progress).await?;
    snap.source = source;
    describe(&mut snap, &resolved.kind, opts);
    snap.ddl = entries;
    snap.search_path = search_path;
    snap.relative_schema = relative_schema.clone();
    snap.qualified_names = true;
    snap.warnings = render_warnings;
    if let Some(rel) = &relative_schema {
        if let Some(w) = shadowing_warning(leader, rel).await? {
            snap.warnings.push(w);
        }
    }
    finish(session, snap, started, opts.start_time, t0.elapsed(), t0, progress).await
}

/// The DDL a snapshot of `cat` records: rendered, with the schema
/// templates of a one-schema snapshot, only the sequence values when data
/// only (as pg_dump --data-only). The entries are moved, never copied: at
/// tens of thousands of tables their text is the backup's biggest
/// allocation.
fn snapshot_ddl(cat: &catalog::Catalog, opts: &BackupOptions) -> Result<ddl::Rendered, DumpError> {
    let mut rendered = ddl::render(cat, &RenderOptions::default())?;
    if cat.relative_schema.is_some() {
        attach_schema_templates(cat, &mut rendered.entries)?;
    }
    if opts.data_only {
        rendered.entries.retain(|e| e.kind == EntryKind::SequenceSet);
    }
    Ok(rendered)
}

/// Every part of every table, largest first: the longest stream starts at
/// once instead of last.
fn job_queue(tables: &[PlannedTable]) -> Vec<Job> {
    let mut queue: Vec<Job> = Vec::new();
    for (ti, t) in tables.iter().enumerate() {
        let n = t.parts.len() as u64;
        for (pi, blocks) in t.parts.iter().enumerate() {
            queue.push(Job { table: ti, part: pi, blocks: *blocks, weight: t.bytes / n.max(1) });
        }
    }
    queue.sort_by(|a, b| b.weight.cmp(&a.weight).then(a.table.cmp(&b.table)).then(a.part.cmp(&b.part)));
    queue
}

/// Copy `queue` with one worker per client in `clients`, then the large
/// objects `large_objects` on `leader`, into `session`, and build the
/// snapshot's data part. Every planned part must have been copied exactly
/// once: a backup that did not copy everything fails loudly (a worker pool
/// that never ran, say with no sessions, must not "succeed" with 0 rows).
/// On any failure the session is aborted: chunks already stored stay
/// indexed for the next run, and no manifest is written.
#[allow(clippy::too_many_arguments)]
async fn copy_data(
    clients: &[&Client],
    leader: &Client,
    session: BackupSession,
    tables: &[PlannedTable],
    queue: Vec<Job>,
    large_objects: &[u32],
    schema_only: bool,
    progress: &dyn Progress,
) -> Result<(BackupSession, Snapshot), DumpError> {
    progress.phase("copying data");
    progress.plan(queue.len() as u64, queue.iter().map(|j| j.weight).sum());
    let queue = Arc::new(Mutex::new(VecDeque::from(queue)));
    let workers = clients.iter().map(|client| worker(client, &session, tables, &queue, progress));
    let results = match futures::future::try_join_all(workers).await {
        Ok(r) => r,
        Err(e) => {
            let _ = tokio::task::spawn_blocking(move || session.abort()).await;
            return Err(e);
        }
    };
    let planned: usize = tables.iter().map(|t| t.parts.len()).sum();
    let copied: BTreeSet<(usize, usize)> = results.iter().flatten().map(|r| (r.table, r.part)).collect();
    let copied_count: usize = results.iter().map(Vec::len).sum();
    if copied.len() != planned || copied_count != planned {
        let _ = tokio::task::spawn_blocking(move || session.abort()).await;
        return Err(DumpError::Incomplete { copied: copied_count, planned });
    }
    let blobs = if large_objects.is_empty() || schema_only {
        None
    } else {
        progress.phase("copying large objects");
        match copy_large_objects(leader, &session, large_objects).await {
            Ok(b) => Some(b),
            Err(e) => {
                let _ = tokio::task::spawn_blocking(move || session.abort()).await;
                return Err(e);
            }
        }
    };
    let mut snap = manifest(tables, results.into_iter().flatten().collect(), &session);
    if let Some(b) = &blobs {
        snap.totals.raw_bytes += b.raw_bytes;
        snap.totals.dedup_raw_bytes = snap.totals.raw_bytes.saturating_sub(snap.totals.new_raw_bytes);
    }
    snap.large_objects = blobs;
    Ok((session, snap))
}

/// What a snapshot records of the options it was taken with: the scope,
/// the tenant, tags and label.
fn describe(snap: &mut Snapshot, kind: &ScopeKind, opts: &BackupOptions) {
    snap.scope = Scope {
        kind: match kind {
            ScopeKind::Database => crate::manifest::snapshot::ScopeKind::Database,
            ScopeKind::Schemas => crate::manifest::snapshot::ScopeKind::Schemas,
            ScopeKind::Tables => crate::manifest::snapshot::ScopeKind::Tables,
        },
        include_schemas: opts.scope.include_schemas.clone(),
        exclude_schemas: opts.scope.exclude_schemas.clone(),
        include_tables: opts.scope.include_tables.clone(),
        exclude_tables: opts.scope.exclude_tables.clone(),
        exclude_table_data: opts.exclude_table_data.clone(),
        schema_only: opts.schema_only,
        data_only: opts.data_only,
    };
    snap.tenant = opts.tenant.clone();
    snap.tags = opts.tags.clone();
    snap.label = opts.label.clone();
}

/// Stamp the snapshot (its start, its end: `start_time` plus `held` when
/// the caller gives the start time, else now; this pgkeep and host; how
/// long since `t0`) and commit it: the manifest is written last.
async fn finish(
    session: BackupSession,
    mut snap: Snapshot,
    started: chrono::DateTime<chrono::Utc>,
    start_time: Option<chrono::DateTime<chrono::Utc>>,
    held: Duration,
    t0: Instant,
    progress: &dyn Progress,
) -> Result<(Id, Snapshot), DumpError> {
    let stamped = Snapshot::stamped(started);
    snap.time_start = stamped.time_start;
    snap.time_end = match start_time {
        Some(t) => Timestamp::at(t + chrono::Duration::from_std(held).unwrap_or_default()),
        None => stamped.time_end,
    };
    snap.pgkeep_version = stamped.pgkeep_version;
    snap.hostname = stamped.hostname;
    snap.totals.duration_ms = t0.elapsed().as_millis() as u64;
    progress.phase("writing the manifest");
    let (id, snap) = tokio::task::spawn_blocking(move || session.commit(&snap).map(|id| (id, snap)))
        .await
        .map_err(|e| DumpError::Writer { during: "commit", message: e.to_string() })??;
    Ok((id, snap))
}

/// A backup session of the repository's writer, with the options'
/// compression threads and codec (started off the async threads: it may
/// read the index).
pub(crate) async fn start_writing(repo: &Repository, opts: &BackupOptions) -> Result<BackupSession, DumpError> {
    let threads = opts.compression_threads.max(1);
    let compression = opts.compression;
    let repo = repo.clone();
    tokio::task::spawn_blocking(move || repo.begin_backup_with("backup", threads, compression))
        .await
        .map_err(|e| DumpError::Writer { during: "start", message: e.to_string() })?
        .map_err(DumpError::from)
}

/// Read every large object's contents in the backup's snapshot, in pieces
/// (memory stays bounded whatever their size), into one repository stream.
async fn copy_large_objects(leader: &Client, session: &BackupSession, oids: &[u32]) -> Result<LargeObjects, DumpError> {
    const PIECE: i32 = 1 << 20;
    let stmt = leader
        .prepare("SELECT pg_catalog.lo_get($1::pg_catalog.oid, $2::pg_catalog.int8, $3::pg_catalog.int4)")
        .await
        .map_err(server("preparing to read large objects"))?;
    let lengths = Mutex::new(Vec::with_capacity(oids.len()));
    // The repository sees only the text; the typed error is kept here.
    let failure: Mutex<Option<DumpError>> = Mutex::new(None);
    // (index of the object, offset within it)
    let stream = futures::stream::unfold((0usize, 0i64), |(i, off)| {
        let stmt = &stmt;
        let lengths = &lengths;
        let failure = &failure;
        async move {
            let mut i = i;
            let mut off = off;
            loop {
                let oid = *oids.get(i)?;
                let row = match leader.query_one(stmt, &[&oid, &off, &PIECE]).await {
                    Ok(r) => r,
                    Err(e) => {
                        let error = DumpError::LargeObject { oid, error: e.into() };
                        let text = error.to_string();
                        *failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(error);
                        return Some((Err(text), (oids.len(), 0)));
                    }
                };
                let piece: Vec<u8> = row.get(0);
                let n = piece.len() as i64;
                if n < PIECE as i64 {
                    lengths.lock().unwrap_or_else(|p| p.into_inner()).push(LargeObjectData { oid, bytes: (off + n) as u64 });
                    i += 1;
                    off = 0;
                } else {
                    off += n;
                }
                if n > 0 {
                    return Some((Ok(Bytes::from(piece)), (i, off)));
                }
            }
        }
    });
    let summary = session.write_stream("large objects", Box::pin(stream)).await;
    if let Some(error) = failure.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(error);
    }
    let summary = summary?;
    let objects = lengths.into_inner().unwrap_or_else(|p| p.into_inner());
    if objects.len() != oids.len() {
        return Err(DumpError::LargeObjectsIncomplete { read: objects.len(), expected: oids.len() });
    }
    Ok(LargeObjects { objects, raw_bytes: summary.raw_bytes, new_stored_bytes: summary.new_stored_bytes, chunks: summary.chunks })
}

/// Objects of the one schema of a relative snapshot whose names are also
/// `pg_catalog` objects' names: the server writes references to them in
/// view bodies, defaults and expressions qualified with the schema's name
/// (the bare name would find the system object), so a restore under
/// another name keeps pointing those references at this schema. Said in
/// the snapshot rather than found out later.
async fn shadowing_warning(leader: &Client, schema: &str) -> Result<Option<String>, DumpError> {
    let mut found = shadowed_names(leader, &[schema.to_string()]).await?;
    Ok(shadowing_text(schema, &found.remove(schema).unwrap_or_default()))
}

/// The object names of each of `schemas` (relations, functions, types,
/// operators) that `pg_catalog` also uses, sorted, by schema. One scan of
/// each catalog for any number of schemas (hash joins on the names).
async fn shadowed_names(leader: &Client, schemas: &[String]) -> Result<HashMap<String, Vec<String>>, DumpError> {
    let rows = leader
        .query(
            "WITH sys AS ( \
               SELECT c.relname::pg_catalog.text AS name FROM pg_catalog.pg_class c WHERE c.relnamespace OPERATOR(pg_catalog.=) 'pg_catalog'::pg_catalog.regnamespace \
               UNION SELECT p.proname::pg_catalog.text FROM pg_catalog.pg_proc p WHERE p.pronamespace OPERATOR(pg_catalog.=) 'pg_catalog'::pg_catalog.regnamespace \
               UNION SELECT t.typname::pg_catalog.text FROM pg_catalog.pg_type t WHERE t.typnamespace OPERATOR(pg_catalog.=) 'pg_catalog'::pg_catalog.regnamespace \
               UNION SELECT o.oprname::pg_catalog.text FROM pg_catalog.pg_operator o WHERE o.oprnamespace OPERATOR(pg_catalog.=) 'pg_catalog'::pg_catalog.regnamespace), \
             mine AS (SELECT n.oid, n.nspname::pg_catalog.text AS nspname FROM pg_catalog.pg_namespace n WHERE n.nspname::pg_catalog.text OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[])) \
             SELECT DISTINCT m.nspname, x.name FROM ( \
               SELECT c.relname::pg_catalog.text AS name, c.relnamespace AS ns FROM pg_catalog.pg_class c \
               UNION ALL SELECT p.proname::pg_catalog.text, p.pronamespace FROM pg_catalog.pg_proc p \
               UNION ALL SELECT t.typname::pg_catalog.text, t.typnamespace FROM pg_catalog.pg_type t \
               UNION ALL SELECT o.oprname::pg_catalog.text, o.oprnamespace FROM pg_catalog.pg_operator o) x \
             JOIN mine m ON m.oid OPERATOR(pg_catalog.=) x.ns \
             JOIN sys ON sys.name OPERATOR(pg_catalog.=) x.name \
             ORDER BY 1, 2",
            &[&schemas],
        )
        .await
        .map_err(|e| {
            let what = match schemas {
                [one] => format!("schema {}", quote_ident(one)),
                _ => format!("{} schemas", schemas.len()),
            };
            DumpError::Server { context: format!("{what}: names shared with pg_catalog"), error: e.into() }
        })?;
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for r in rows {
        out.entry(r.get(0)).or_default().push(r.get(1));
    }
    Ok(out)
}

/// The snapshot's warning about `names` (sorted) of `schema` that
/// `pg_catalog` also uses; None without any.
fn shadowing_text(schema: &str, names: &[String]) -> Option<String> {
    if names.is_empty() {
        return None;
    }
    let shown: Vec<String> = names.iter().take(8).map(|n| quote_ident(n).into_owned()).collect();
    Some(format!(
        "schema {} has {} object name{} that pg_catalog also uses ({}{}): references to them in view bodies, defaults and expressions name schema {} explicitly, so a restore under another schema name keeps pointing them at {}",
        quote_ident(schema),
        names.len(),
        if names.len() == 1 { "" } else { "s" },
        shown.join(", "),
        if names.len() > 8 { ", ..." } else { "" },
        quote_ident(schema),
        quote_ident(schema)
    ))
}

async fn read_source(leader: &Client, conn: &ResolvedConn) -> Result<Source, DumpError> {
    let row = leader
        .query_one(
            "SELECT pg_catalog.current_setting('server_version'), pg_catalog.current_setting('server_version_num')::int4, \
               pg_catalog.current_database()::text, \
               (SELECT pg_catalog.pg_encoding_to_char(encoding)::text FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database()), \
               CASE WHEN pg_catalog.has_function_privilege('pg_catalog.pg_control_system()', 'EXECUTE') \
                 THEN (SELECT system_identifier::text FROM pg_catalog.pg_control_system()) END",
            &[],
        )
        .await
        .map_err(server("reading the server's version"))?;
    let version: String = row.get(0);
    let host = conn.hosts().first().map(|h| h.label()).unwrap_or_default();
    Ok(Source {
        port: conn.hosts().first().map(|h| h.port()).unwrap_or(0),
        host,
        database: row.get(2),
        server_version: version.split_whitespace().next().unwrap_or("").to_string(),
        server_version_num: row.get::<_, i32>(1) as u32,
        system_identifier: row.get(4),
        encoding: row.get::<_, Option<String>>(3).unwrap_or_default(),
    })
}

/// `ACCESS SHARE` on every table, view-less relation and sequence-less
/// relation in scope, each statement waiting at most `timeout`. Statements
/// are pipelined, so thousands of tables cost about one round trip each
/// way; the first failure names its table.
async fn lock_tables(leader: &Client, relations: &[u32], timeout: Duration) -> Result<(), DumpError> {
    let rows = leader
        .query(
            "SELECT n.nspname::text, c.relname::text FROM pg_catalog.unnest($1::oid[]) AS s(oid) \
             JOIN pg_catalog.pg_class c ON c.oid = s.oid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r','p') ORDER BY c.oid",
            &[&relations],
        )
        .await
        .map_err(server("listing the tables to lock"))?;
    let names: Vec<String> = rows.iter().map(|r| quote_qualified(r.get(0), r.get(1))).collect();
    let ms = timeout.as_millis().max(1);
    leader
        .batch_execute(&format!("SET lock_timeout = {ms}"))
        .await
        .map_err(server("setting lock_timeout"))?;
    for batch in names.chunks(1000) {
        let stmts: Vec<String> = batch.iter().map(|n| format!("LOCK TABLE {n} IN ACCESS SHARE MODE")).collect();
        let futs = stmts.iter().map(|s| leader.batch_execute(s));
        let outcomes = futures::future::join_all(futs).await;
        for (name, outcome) in batch.iter().zip(outcomes) {
            if let Err(e) = outcome {
                let error = ServerError::from(e);
                return Err(match error.is("55P03") {
                    true => DumpError::LockTimeout { table: name.clone(), timeout },
                    false => DumpError::Server { context: format!("locking table {name}"), error },
                });
            }
        }
    }
    leader.batch_execute("SET lock_timeout = 0").await.map_err(server("resetting lock_timeout"))?;
    Ok(())
}

/// Which tables have data to copy, in which format, in how many parts.
async fn plan_tables(
    leader: &Client,
    cat: &catalog::Catalog,
    entries: &[DdlEntry],
    no_data: &BTreeSet<u32>,
    opts: &BackupOptions,
    server_version_num: u32,
) -> Result<Vec<PlannedTable>, DumpError> {
    let rels: Vec<&catalog::Relation> =
        cat.relations.iter().filter(|r| r.kind == RelKind::Table && !no_data.contains(&r.meta.oid)).collect();
    let oids: Vec<u32> = rels.iter().map(|r| r.meta.oid).collect();
    let mut types: Vec<u32> = rels.iter().flat_map(|r| r.columns.iter().map(|c| c.type_oid)).collect();
    types.sort_unstable();
    types.dedup();
    let (sizes, text_types, value_types) = futures::try_join!(
        catalog::data::table_sizes(leader, &oids),
        catalog::data::text_only_types(leader, &types),
        catalog::data::value_types(leader, &types, server_version_num)
    )?;
    let entry_of: HashMap<(&str, &str), u32> = entries
        .iter()
        .filter(|e| e.kind == EntryKind::Table)
        .filter_map(|e| e.schema.as_deref().map(|s| ((s, e.name.as_str()), e.id)))
        .collect();
    // Parts small enough that the largest table does not finish alone
    // long after the others: about a quarter of each session's share, but
    // never above the user's size, nor below 16 MiB unless the user asks.
    let total: u64 = sizes.values().map(|s| s.blocks * BLOCK_SIZE).sum();
    let split_bytes = if opts.split_bytes == 0 {
        0
    } else {
        (total / (opts.jobs.clamp(1, crate::pg::sessions::MAX_JOBS) as u64 * 4)).clamp(MIN_SPLIT_BYTES.min(opts.split_bytes), opts.split_bytes)
    };
    let mut out = Vec::new();
    for r in rels {
        let schema = r.meta.schema.clone().unwrap_or_default();
        let columns: Vec<&catalog::Column> = r.columns.iter().filter(|c| c.generated.is_none()).collect();
        let text_reason = columns
            .iter()
            .find_map(|c| text_types.get(&c.type_oid).map(|why| format!("column {}: {why}", c.name)));
        let size = sizes.get(&r.meta.oid).cloned().unwrap_or_default();
        let parts = split(size.blocks, BLOCK_SIZE, split_bytes, server_version_num);
        out.push(PlannedTable {
            ddl_entry: entry_of.get(&(schema.as_str(), r.meta.name.as_str())).copied(),
            schema,
            name: r.meta.name.clone(),
            columns: columns
                .iter()
                .map(|c| {
                    let v = value_types.get(&c.type_oid).cloned().unwrap_or_default();
                    Column {
                        name: c.name.clone(),
                        type_name: c.type_name.clone(),
                        type_oid: c.type_oid,
                        base_type_oid: v.base_type_oid,
                        type_kind: v.kind,
                        range_subtype_oid: v.range_subtype_oid,
                    }
                })
                .collect(),
            format: if text_reason.is_some() { CopyFormat::Text } else { CopyFormat::Binary },
            text_reason,
            parts,
            bytes: size.bytes.max(1),
        });
    }
    Ok(out)
}

/// Block ranges of about `split_bytes` each; the last one is open-ended so
/// rows in blocks added since the size was read are not missed.
fn split(blocks: u64, block_size: u64, split_bytes: u64, server_version_num: u32) -> Vec<Option<(u64, u64)>> {
    let bytes = blocks.saturating_mul(block_size);
    if split_bytes == 0 || bytes <= split_bytes || server_version_num < 140000 {
        return vec![None];
    }
    let n = bytes.div_ceil(split_bytes);
    let per = blocks.div_ceil(n).max(1);
    let mut parts = Vec::new();
    let mut start = 0;
    while start < blocks {
        let end = start + per;
        if end >= blocks {
            parts.push(Some((start, u64::MAX)));
            break;
        }
        parts.push(Some((start, end)));
        start = end;
    }
    parts
}

async fn worker(
    client: &Client,
    session: &BackupSession,
    tables: &[PlannedTable],
    queue: &Mutex<VecDeque<Job>>,
    progress: &dyn Progress,
) -> Result<Vec<PartResult>, DumpError> {
    let mut done = Vec::new();
    let mut locked: Option<usize> = None;
    loop {
        let job = queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
        let Some(job) = job else { break };
        let t = &tables[job.table];
        let name = quote_qualified(&t.schema, &t.name);
        let part_label = if t.parts.len() > 1 { format!(" part {}", job.part) } else { String::new() };
        if locked != Some(job.table) {
            if let Err(e) = client.batch_execute(&format!("LOCK TABLE {name} IN ACCESS SHARE MODE NOWAIT")).await {
                let error = ServerError::from(e);
                return Err(match error.is("55P03") {
                    true => DumpError::LockConflict { table: name, error },
                    false => DumpError::Server { context: format!("locking table {name}"), error },
                });
            }
            locked = Some(job.table);
        }
        let started = Instant::now();
        let columns: Vec<String> = t.columns.iter().map(|c| c.name.clone()).collect();
        let sql = copy::copy_out_sql(&t.schema, &t.name, &columns, t.format, job.blocks);
        let copy_err = |message: String| DumpError::Copy { table: name.clone(), part: part_label.clone(), message };
        let failed = |e: tokio_postgres::Error| DumpError::CopyFailed { table: name.clone(), part: part_label.clone(), error: e.into() };
        let stream = client.copy_out(sql.as_str()).await.map_err(failed)?;
        let mut counter = RowCounter::new(t.format, columns.len());
        let mut framing_error = None;
        // The repository sees only the text; the typed error is kept here.
        let mut server_error = None;
        // COPY sends a message per row: report progress in larger steps.
        let mut unreported = 0u64;
        let stream = stream.map(|item| match item {
            Ok(bytes) => {
                if let Err(e) = counter.feed(&bytes) {
                    framing_error = Some(e.to_string());
                    return Err(e.to_string());
                }
                unreported += bytes.len() as u64;
                if unreported >= 1 << 20 {
                    progress.bytes(std::mem::take(&mut unreported));
                }
                Ok(bytes)
            }
            Err(e) => {
                let error = ServerError::from(e);
                let text = error.to_string();
                server_error = Some(error);
                Err(text)
            }
        });
        let stream_name = format!("{}.{}{}", t.schema, t.name, part_label);
        let summary = session.write_stream(&stream_name, Box::pin(stream)).await;
        if let Some(e) = framing_error {
            return Err(copy_err(e));
        }
        if let Some(error) = server_error {
            return Err(DumpError::CopyFailed { table: name, part: part_label, error });
        }
        let summary = summary.map_err(|e| match e {
            RepoError::Source { message, .. } => copy_err(message),
            other => DumpError::Repo(other),
        })?;
        progress.bytes(unreported);
        let rows = counter.finish().map_err(|e| copy_err(e.to_string()))?;
        progress.stream_done(&stream_name, rows, summary.raw_bytes);
        done.push(PartResult { table: job.table, part: job.part, rows, summary, duration: started.elapsed() });
    }
    Ok(done)
}

fn manifest(tables: &[PlannedTable], results: Vec<PartResult>, session: &BackupSession) -> Snapshot {
    let mut by_table: HashMap<usize, Vec<PartResult>> = HashMap::new();
    for r in results {
        by_table.entry(r.table).or_default().push(r);
    }
    let mut out = Vec::with_capacity(tables.len());
    let mut totals = Totals::default();
    for (ti, t) in tables.iter().enumerate() {
        let mut parts = by_table.remove(&ti).unwrap_or_default();
        parts.sort_by_key(|p| p.part);
        let mut td = TableData {
            schema: t.schema.clone(),
            name: t.name.clone(),
            ddl_entry: t.ddl_entry,
            columns: t.columns.clone(),
            format: t.format,
            text_reason: t.text_reason.clone(),
            ..TableData::default()
        };
        for p in parts {
            td.rows += p.rows;
            td.raw_bytes += p.summary.raw_bytes;
            td.new_stored_bytes += p.summary.new_stored_bytes;
            td.duration_ms = td.duration_ms.max(p.duration.as_millis() as u64);
            totals.chunks += p.summary.chunks.len() as u64;
            td.parts.push(Part {
                block_range: t.parts[p.part],
                rows: p.rows,
                raw_bytes: p.summary.raw_bytes,
                new_stored_bytes: p.summary.new_stored_bytes,
                chunks: p.summary.chunks,
            });
        }
        totals.tables += 1;
        totals.rows += td.rows;
        totals.raw_bytes += td.raw_bytes;
        out.push(td);
    }
    let stats = session.stats();
    totals.new_chunks = stats.new_chunks;
    totals.new_raw_bytes = stats.new_raw_bytes;
    totals.new_stored_bytes = stats.new_stored_bytes;
    totals.dedup_raw_bytes = totals.raw_bytes.saturating_sub(stats.new_raw_bytes);
    Snapshot { tables: out, totals, ..Snapshot::default() }
}

/// Render the entries that name the relative schema once more, with the
/// placeholder in its place, and keep that text beside them.
fn attach_schema_templates(cat: &catalog::Catalog, entries: &mut [DdlEntry]) -> Result<(), DumpError> {
    let placeholder_name = SCHEMA_PLACEHOLDER.trim_matches('"').to_string();
    let templated = ddl::render(cat, &RenderOptions { target_schema: Some(placeholder_name), ..RenderOptions::default() })?;
    let mut by_key: HashMap<(EntryKind, Option<String>, String), &DdlEntry> = HashMap::new();
    for e in &templated.entries {
        if e.create_sql.contains(SCHEMA_PLACEHOLDER) || e.drop_sql.as_deref().is_some_and(|d| d.contains(SCHEMA_PLACEHOLDER)) {
            by_key.insert((e.kind.clone(), e.schema.clone(), e.name.clone()), e);
        }
    }
    for e in entries.iter_mut() {
        if let Some(t) = by_key.get(&(e.kind.clone(), e.schema.clone(), e.name.clone())) {
            e.schema_template = Some(SchemaTemplate { create_sql: t.create_sql.clone(), drop_sql: t.drop_sql.clone() });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn splits_cover_every_block_and_end_open() {
        assert_eq!(split(100, 8192, 0, 150000), vec![None]);
        assert_eq!(split(100, 8192, 1 << 30, 150000), vec![None]);
        assert_eq!(split(1000, 8192, 8192 * 400, 130000), vec![None]);
        let p = split(1000, 8192, 8192 * 400, 150000);
        assert_eq!(p, vec![Some((0, 334)), Some((334, 668)), Some((668, u64::MAX))]);
    }
}
