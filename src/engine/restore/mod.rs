//! The restore engine: a snapshot's DDL replayed in sections, its table
//! data fed back with `COPY … FROM STDIN` by `jobs` sessions, and the
//! post-data section (indexes, constraints, triggers, ...) run by the same
//! pool in dependency order.
//!
//! Data and post-data run as one schedule (`schedule`): a table's indexes
//! and keys build as soon as its own data is in, while bigger tables load.
//! Post-data is where restores spend their hours, so it is scheduled: every
//! index of every table builds at once (an index build takes a SHARE lock,
//! which other index builds share); primary keys and unique constraints
//! build as unique indexes in that pool and are then attached; foreign keys
//! are added `NOT VALID` and validated in parallel. A step that takes a
//! strong lock on a table never starts while another step on that table
//! runs, so workers do not sit in lock queues and steps that lock two
//! tables cannot deadlock each other.
//!
//! Into an older major than the snapshot's source, what the target cannot
//! create is left out with a warning and the rest restored
//! (`cross_major` decides what maps and what is unsupported).
//!
//! It orchestrates; it does not read chunks itself (`repo`), split SQL
//! (`sql::statements`) or print (`progress`).

pub mod cross_major;
mod schedule;

pub use schedule::PartsPolicy;

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Instant;

use bytes::Bytes;
use futures::SinkExt;
use tokio_postgres::Client;

use crate::manifest::EntryKind;
use crate::pg::conn::ResolvedConn;
use crate::copy::{self, RowCounter};
use crate::ddl::script_header;
use crate::progress::Progress;
use crate::repo::snapshot::{DdlEntry, LargeObjects, Section, TableData, SCHEMA_PLACEHOLDER};
use crate::repo::{Id, IndexedRepository, RepoError, Repository, Snapshot};
use crate::pg::error::ServerError;
use crate::pg::sessions::SessionError;
use crate::sql::quote::{quote_ident, quote_literal_std, quote_qualified};
use crate::sql::statements;
use cross_major::Downgrade;

/// The database a restore with `--create` connects to for `CREATE
/// DATABASE`: the same server's `postgres`, as pg_restore's default.
pub const MAINTENANCE_DATABASE: &str = "postgres";

/// `spec` pointed at [`MAINTENANCE_DATABASE`], resolved from the process's
/// environment: the one rule both front ends use for `--create`.
pub fn maintenance_connection(spec: &crate::pg::conn::ConnSpec) -> Result<ResolvedConn, crate::pg::conn::ConnError> {
    let mut m = spec.clone();
    m.set("dbname", MAINTENANCE_DATABASE)?;
    m.resolve(&crate::pg::conn::process_env)
}

#[derive(Clone, Debug, Default)]
pub struct RestoreOptions {
    pub jobs: usize,
    /// Create the target database first (through `maintenance`).
    pub create: bool,
    /// Drop the objects the snapshot is about to create first. An in-place
    /// restore is all or nothing: drops, definitions and data run in one
    /// transaction, so a failure (or a killed pgkeep) leaves the target as
    /// it was.
    pub clean: bool,
    /// With `clean`: also drop objects in the snapshot's schemas that the
    /// snapshot does not contain (otherwise the restore refuses and names
    /// them).
    pub drop_extra: bool,
    /// Everything in one transaction on one session: all or nothing.
    pub single_transaction: bool,
    pub schema_only: bool,
    pub data_only: bool,
    /// Do not restore ownership; data and constraints are then loaded as
    /// the connecting role (with it, owners' code runs with its rights).
    pub no_owner: bool,
    pub no_acl: bool,
    /// Only objects in these schemas (exact names, as in the snapshot).
    pub schemas: Vec<String>,
    /// Only these tables (`name` or `schema.name`, exact): definition and data.
    pub tables: Vec<String>,
    /// Create a single-schema snapshot's schema under this name.
    pub target_schema: Option<String>,
    /// Collect failing statements and go on; fail at the end with a count.
    pub keep_going: bool,
    /// Tables with at least this much data build primary keys, unique
    /// constraints and foreign keys in two steps (None: 16 MiB).
    pub two_step_min_bytes: Option<u64>,
    /// Tables this restore creates with at least this much data load in
    /// one transaction that truncates them first, with COPY FREEZE (None:
    /// 4 MiB).
    pub freeze_min_bytes: Option<u64>,
    /// How the parts of a table split at backup load (Auto: by the
    /// target's version and wal_level).
    pub parts: PartsPolicy,
    /// `maintenance_work_mem` for the restore's sessions (index builds sort
    /// in memory up to this much each), e.g. "256MB"; None keeps the server's.
    pub maintenance_work_mem: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error(transparent)]
    Repo(#[from] RepoError),
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error(transparent)]
    Conn(#[from] crate::pg::conn::ConnError),
    #[error(transparent)]
    Options(#[from] OptionsError),
    #[error("loading the repository's index failed: {0}; run `pgkeep check` on the repository")]
    Index(String),
    #[error("the snapshot's post-data steps wait on each other ({left} left): its dependencies are inconsistent; run `pgkeep verify` on it")]
    InconsistentDependencies { left: usize },
    #[error("{0}")]
    NotEmpty(String),
    #[error("{0}")]
    Unsafe(String),
    #[error("restoring {object}: {error}")]
    Statement { object: String, #[source] error: ServerError },
    /// A table part's (or the large objects') stream was damaged, or the
    /// row count disagrees with the snapshot.
    #[error("restoring the data of table {table}{part}: {message}")]
    Data { table: String, part: String, message: String },
    /// The server failed loading a table part (or the large objects).
    #[error("restoring the data of table {table}{part}: {during}{error}")]
    DataFailed { table: String, part: String, during: String, #[source] error: ServerError },
    #[error("{count} errors during the restore (first: {first})")]
    Failed { count: usize, first: String, errors: Vec<String> },
}

/// Restore options that cannot work together or with this snapshot,
/// found before anything is sent to a server.
#[derive(Debug, thiserror::Error)]
pub enum OptionsError {
    #[error("--schema-only and --data-only cannot be used together")]
    SchemaAndDataOnly,
    #[error("--keep-going cannot go on after an error inside --single-transaction")]
    KeepGoingInOneTransaction,
    #[error("--keep-going cannot be combined with --clean: an in-place restore completes or leaves the target as it was")]
    KeepGoingWithClean,
    #[error("--drop-extra only applies to an in-place restore (--clean)")]
    DropExtraWithoutClean,
    #[error("this snapshot covers {covers}, not exactly one schema: only a snapshot of one schema (backup -n SCHEMA) can be restored under another schema name (asked for {asked:?})")]
    RenameNeedsOneSchema { covers: String, asked: String },
    #[error("the target schema name is empty")]
    EmptyTargetSchema,
    #[error("--create needs a maintenance database to connect to (the server's postgres database)")]
    CreateWithoutMaintenance,
}

#[derive(Clone, Debug, Default)]
pub struct RestoreReport {
    pub snapshot: String,
    pub entries: u64,
    pub tables: u64,
    pub rows: u64,
    pub bytes: u64,
    pub duration_ms: u64,
    /// Errors passed over with `keep_going`.
    pub errors: Vec<String>,
    /// What the restore left out, each naming the object and why (into an
    /// older major: what that server cannot create, and what depends on it).
    pub warnings: Vec<String>,
}

/// `-n SCHEMA` and `-t TABLE` over a snapshot's contents, with exact names
/// as pg_restore takes them (`-t` as `name` or `schema.name`). With `-t`,
/// only tables' definitions (and their data) are selected.
pub struct NameFilter<'a> {
    schemas: HashSet<&'a str>,
    tables: HashSet<&'a str>,
}

impl<'a> NameFilter<'a> {
    pub fn new(schemas: &'a [String], tables: &'a [String]) -> NameFilter<'a> {
        NameFilter {
            schemas: schemas.iter().map(String::as_str).collect(),
            tables: tables.iter().map(String::as_str).collect(),
        }
    }

    fn table_named(&self, schema: &str, name: &str) -> bool {
        self.tables.contains(name) || self.tables.contains(format!("{schema}.{name}").as_str())
    }

    pub fn entry(&self, e: &DdlEntry) -> bool {
        if !self.schemas.is_empty() {
            let s = if e.kind == EntryKind::Schema { Some(e.name.as_str()) } else { e.schema.as_deref() };
            if !s.is_some_and(|s| self.schemas.contains(s)) {
                return false;
            }
        }
        self.tables.is_empty() || (e.kind == EntryKind::Table && self.table_named(e.schema.as_deref().unwrap_or(""), &e.name))
    }

    pub fn table(&self, t: &TableData) -> bool {
        (self.schemas.is_empty() || self.schemas.contains(t.schema.as_str()))
            && (self.tables.is_empty() || self.table_named(&t.schema, &t.name))
    }
}

/// What a restore will do with a snapshot's entries and tables.
struct Plan<'a> {
    snap: &'a Snapshot,
    entries: Vec<&'a DdlEntry>,
    tables: Vec<&'a TableData>,
    /// The schema a relative snapshot's objects land in.
    schema: Option<String>,
    search_path: String,
    opts: &'a RestoreOptions,
    /// Everything in one transaction on one session (`--single-transaction`,
    /// or an in-place `--clean` restore).
    single: bool,
    /// Owner of each DDL entry, by id.
    owners: HashMap<u32, &'a str>,
}

/// Under another schema name: the entries whose text names an object of
/// the snapshot qualified by the source schema. The server writes such a
/// reference when `pg_catalog` has an object of the same name (a tenant's
/// own `lower(text)`), and a function body may spell its schema; either way
/// the copy keeps pointing at the source schema there, and says so.
fn source_references(plan: &Plan<'_>) -> Vec<String> {
    let (Some(source), Some(target)) = (&plan.snap.relative_schema, &plan.opts.target_schema) else { return Vec::new() };
    if source == target {
        return Vec::new();
    }
    let own: HashSet<&str> = plan
        .snap
        .ddl
        .iter()
        .filter(|e| e.schema.as_deref() == Some(source.as_str()))
        .map(|e| e.name.split_once('(').map_or(e.name.as_str(), |(n, _)| n.trim_end()))
        .collect();
    let mut out = Vec::new();
    for e in &plan.entries {
        let mut names: Vec<String> = crate::sql::statements::qualified_by(&plan.create_sql(e), source)
            .into_iter()
            .filter(|n| own.contains(n.as_str()))
            .collect();
        names.sort();
        names.dedup();
        if !names.is_empty() {
            let list: Vec<String> = names.iter().map(|n| format!("{}.{}", quote_ident(source), quote_ident(n))).collect();
            out.push(format!(
                "{}: refers to {} by the source schema's name (a pg_catalog object has the same name, or a function body spells the schema), so in {} it keeps pointing at {}",
                plan.describe(e),
                list.join(", "),
                quote_ident(target),
                quote_ident(source)
            ));
        }
    }
    out
}

impl<'a> Plan<'a> {
    fn new(snap: &'a Snapshot, opts: &'a RestoreOptions) -> Result<Plan<'a>, RestoreError> {
        if opts.schema_only && opts.data_only {
            return Err(OptionsError::SchemaAndDataOnly.into());
        }
        if opts.single_transaction && opts.keep_going {
            return Err(OptionsError::KeepGoingInOneTransaction.into());
        }
        if opts.clean && opts.keep_going {
            return Err(OptionsError::KeepGoingWithClean.into());
        }
        if opts.drop_extra && !opts.clean {
            return Err(OptionsError::DropExtraWithoutClean.into());
        }
        if let Some(t) = &opts.target_schema {
            if snap.relative_schema.is_none() {
                return Err(OptionsError::RenameNeedsOneSchema { covers: snap.scope.kind.to_string(), asked: t.clone() }.into());
            }
            if t.is_empty() {
                return Err(OptionsError::EmptyTargetSchema.into());
            }
        }
        let schema = opts.target_schema.clone().or_else(|| snap.relative_schema.clone());
        let search_path = match (&opts.target_schema, &snap.relative_schema) {
            (Some(t), Some(_)) => quote_ident(t).into_owned(),
            _ => snap.search_path.clone(),
        };
        let filter = NameFilter::new(&opts.schemas, &opts.tables);
        let entries = snap
            .ddl
            .iter()
            .filter(|e| filter.entry(e))
            .filter(|e| !opts.data_only || e.kind == EntryKind::SequenceSet)
            .collect();
        let data = snap.tables.iter().filter(|_| !opts.schema_only).filter(|t| filter.table(t)).collect();
        let owners = snap.ddl.iter().filter_map(|e| e.owner.as_deref().map(|o| (e.id, o))).collect();
        let single = opts.single_transaction || opts.clean;
        Ok(Plan { snap, entries, tables: data, schema, search_path, opts, single, owners })
    }

    /// The schema a table of the snapshot lands in.
    fn schema_of(&self, schema: &str) -> String {
        match (&self.opts.target_schema, &self.snap.relative_schema) {
            (Some(t), Some(r)) if r == schema => t.clone(),
            _ => schema.to_string(),
        }
    }

    fn fill(&self, template: &str) -> String {
        let name = self.schema.as_deref().unwrap_or_default();
        template.replace(SCHEMA_PLACEHOLDER, &quote_ident(name))
    }

    /// The entry of the `public` schema every database has (changed, not
    /// created, by the snapshot), with its privileges restored.
    fn is_public_schema_entry(&self, e: &DdlEntry) -> bool {
        e.kind == EntryKind::Schema && e.name == "public" && !self.opts.no_acl && !self.renamed() && !e.create_sql.contains("CREATE SCHEMA")
    }

    fn renamed(&self) -> bool {
        self.opts.target_schema.is_some()
    }

    /// The statements that create `e`, as this restore runs them.
    fn create_sql(&self, e: &DdlEntry) -> String {
        let sql = match (&e.schema_template, self.renamed()) {
            (Some(t), true) => self.fill(&t.create_sql),
            _ => e.create_sql.clone(),
        };
        statements::strip(&sql, self.opts.no_owner, self.opts.no_acl)
    }

    fn drop_sql(&self, e: &DdlEntry) -> Option<String> {
        match (&e.schema_template, self.renamed()) {
            (Some(t), true) => t.drop_sql.as_deref().map(|d| self.fill(d)),
            _ => e.drop_sql.clone(),
        }
    }

    /// The role a table's data is loaded as, and the code its CHECK
    /// constraints and generated columns call runs as: its owner, unless
    /// ownership is not restored.
    fn load_role(&self, table_entry: Option<u32>) -> Option<&'a str> {
        if self.opts.no_owner {
            return None;
        }
        table_entry.and_then(|id| self.owners.get(&id).copied())
    }

    /// Whether the snapshot names its objects qualified (see `ddl`); older
    /// single-schema snapshots named them bare under `search_path`.
    fn legacy_relative(&self) -> bool {
        self.snap.relative_schema.is_some() && !self.snap.qualified_names
    }

    /// The large objects' contents this restore writes: all of them unless
    /// only the schema, or only some schemas or tables, are restored.
    fn large_objects(&self) -> Option<&'a LargeObjects> {
        let lo = self.snap.large_objects.as_ref()?;
        let everything = self.opts.schemas.is_empty() && self.opts.tables.is_empty();
        (everything && !self.opts.schema_only && !lo.objects.is_empty()).then_some(lo)
    }

    fn qualified_table(&self, t: &TableData) -> String {
        quote_qualified(&self.schema_of(&t.schema), &t.name)
    }

    fn describe(&self, e: &DdlEntry) -> String {
        match &e.schema {
            Some(s) => format!("{} {}.{}", e.kind, self.schema_of(s), e.name),
            None => format!("{} {}", e.kind, e.name),
        }
    }

    fn session_setup(&self) -> String {
        let mut s = format!(
            "{}SET DateStyle = ISO; SET IntervalStyle = postgres; SET extra_float_digits = 3;",
            script_header(&self.search_path)
        );
        if let Some(m) = &self.opts.maintenance_work_mem {
            s.push_str(&format!(" SELECT pg_catalog.set_config('maintenance_work_mem', {}, false);", quote_literal_std(m)));
        }
        s
    }
}

/// The table of contents, like `pg_restore -l`.
pub fn list(snap: &Snapshot, id: &Id, opts: &RestoreOptions) -> Result<String, RestoreError> {
    let plan = Plan::new(snap, opts)?;
    let mut out = String::new();
    out.push_str(&format!(
        ";\n; Snapshot {} of database {} (PostgreSQL {}), taken {}\n; Tenant: {}  Scope: {}  Tables: {}  Rows: {}\n;\n",
        id.to_hex(),
        snap.source.database,
        snap.source.server_version,
        snap.time_start,
        snap.tenant.as_deref().unwrap_or("-"),
        snap.scope.kind,
        snap.totals.tables,
        snap.totals.rows
    ));
    let mut data: HashMap<u32, Vec<&TableData>> = HashMap::new();
    let mut loose = Vec::new();
    for t in &plan.tables {
        match t.ddl_entry {
            Some(id) if plan.entries.iter().any(|e| e.id == id) => data.entry(id).or_default().push(t),
            _ => loose.push(*t),
        }
    }
    let section_name = |s: Section| match s {
        Section::PreData => "pre-data",
        Section::Data => "data",
        Section::PostData => "post-data",
    };
    let line = |t: &TableData| {
        format!(
            "-; data TABLE DATA {} {} ({} rows, {} bytes, {} parts, {})\n",
            plan.schema_of(&t.schema),
            t.name,
            t.rows,
            t.raw_bytes,
            t.parts.len(),
            t.format.as_str()
        )
    };
    for e in &plan.entries {
        out.push_str(&format!(
            "{}; {} {} {} {} {}\n",
            e.id,
            section_name(e.section),
            e.kind,
            e.schema.as_deref().map(|s| plan.schema_of(s)).unwrap_or_else(|| "-".into()),
            e.name,
            e.owner.as_deref().unwrap_or("-")
        ));
        for t in data.get(&e.id).into_iter().flatten() {
            out.push_str(&line(t));
        }
    }
    for t in loose {
        out.push_str(&line(t));
    }
    Ok(out)
}

fn stmt_err(object: String) -> impl FnOnce(tokio_postgres::Error) -> RestoreError {
    move |e| RestoreError::Statement { object, error: e.into() }
}

/// The most sessions a restore opens.
pub const MAX_JOBS: usize = crate::pg::sessions::MAX_JOBS;

/// Restore snapshot `id` into the database `conn` names. With
/// `opts.create`, `maintenance` is where `CREATE DATABASE` runs.
pub async fn restore(
    repo: &Repository,
    id: &Id,
    conn: &ResolvedConn,
    maintenance: Option<&ResolvedConn>,
    opts: &RestoreOptions,
    progress: &dyn Progress,
) -> Result<RestoreReport, RestoreError> {
    let t0 = Instant::now();
    let indexed = {
        let repo = repo.clone();
        tokio::task::spawn_blocking(move || repo.load_index())
            .await
            .map_err(|e| RestoreError::Index(e.to_string()))??
    };
    let snap = repo.load_snapshot(id)?;
    let plan = Plan::new(&snap, opts)?;
    // Every chunk must be there before a byte goes to the server.
    for t in &plan.tables {
        for (i, p) in t.parts.iter().enumerate() {
            if let Some(c) = p.chunks.iter().find(|c| indexed.index.get(c).is_none()) {
                return Err(RepoError::ChunkNotIndexed {
                    chunk: *c,
                    needed_by: format!("table {} part {i} of snapshot {}", Snapshot::describe_table(t), id.short()),
                }
                .into());
            }
        }
    }

    if opts.create {
        let m = maintenance.ok_or(OptionsError::CreateWithoutMaintenance)?;
        progress.phase("creating the database");
        create_database(m, conn.dbname(), &snap).await?;
    }

    let jobs = if plan.single { 1 } else { opts.jobs.clamp(1, MAX_JOBS) };
    if plan.single && opts.clean && opts.jobs > 1 {
        tracing::info!("an in-place (--clean) restore runs in one transaction on one session; -j {} does not apply", opts.jobs);
    }
    progress.phase("connecting");
    let mut clients = Vec::new();
    let mut tasks = Vec::new();
    for _ in 0..jobs {
        let (c, t) = conn.connect().await?;
        c.batch_execute(&plan.session_setup())
            .await
            .map_err(stmt_err(format!("session settings on {}", conn.describe())))?;
        clients.push(c);
        tasks.push(t);
    }
    let downgrade = downgrade_for(&clients[0], &snap, conn).await?;
    if let Some(d) = &downgrade {
        tracing::info!(
            "restoring a snapshot of PostgreSQL {} into PostgreSQL {}: what the older server cannot create is left out with a warning",
            d.source_major,
            d.target_major
        );
    }
    // The mappings are applied once per entry, so what they leave out is
    // said once whichever way the entry then runs.
    let mut mapped_sql = HashMap::new();
    let mut notes = Vec::new();
    if let Some(d) = &downgrade {
        for e in &plan.entries {
            let (sql, n) = d.map_sql(&plan.create_sql(e), plan.is_public_schema_entry(e));
            notes.extend(n.into_iter().map(|n| format!("{}: {n}", plan.describe(e))));
            mapped_sql.insert(e.id, sql);
        }
    }
    notes.extend(source_references(&plan));
    let errors = Mutex::new(Vec::new());
    let warnings = Mutex::new(notes);
    let left_out = Mutex::new(HashMap::new());
    let run = Run {
        plan: &plan,
        clients: &clients,
        indexed: &indexed,
        errors: &errors,
        progress,
        keep_going: opts.keep_going,
        downgrade,
        mapped_sql,
        warnings: &warnings,
        left_out: &left_out,
    };
    let outcome = run.all().await;
    // A failed single transaction rolls back when its session closes.
    drop(clients);
    for t in tasks {
        let _ = t.await;
    }
    let (tables, rows, bytes) = outcome?;
    let errors = errors.into_inner().unwrap_or_else(|e| e.into_inner());
    let warnings = warnings.into_inner().unwrap_or_else(|e| e.into_inner());
    progress.finish();
    if !errors.is_empty() {
        return Err(RestoreError::Failed { count: errors.len(), first: errors[0].clone(), errors });
    }
    Ok(RestoreReport {
        snapshot: id.to_hex(),
        entries: plan.entries.len() as u64,
        tables,
        rows,
        bytes,
        duration_ms: t0.elapsed().as_millis() as u64,
        errors,
        warnings,
    })
}

/// The target's version and database owner, and from them whether this is
/// a restore into an older major than the snapshot's source.
async fn downgrade_for(client: &Client, snap: &Snapshot, conn: &ResolvedConn) -> Result<Option<Downgrade>, RestoreError> {
    let row = client
        .query_one(
            "SELECT pg_catalog.current_setting('server_version_num')::pg_catalog.int4, pg_catalog.pg_get_userbyid(d.datdba)::pg_catalog.text \
             FROM pg_catalog.pg_database d WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database()",
            &[],
        )
        .await
        .map_err(stmt_err(format!("reading the server version and database owner of {}", conn.describe())))?;
    let target: i32 = row.get(0);
    Ok(Downgrade::new(snap.source.server_version_num, u32::try_from(target).unwrap_or(0), row.get(1)))
}

async fn create_database(m: &ResolvedConn, name: &str, snap: &Snapshot) -> Result<(), RestoreError> {
    let (client, task) = m.connect().await?;
    let encoding = if snap.source.encoding.is_empty() { "UTF8" } else { snap.source.encoding.as_str() };
    let sql = format!(
        "CREATE DATABASE {} WITH TEMPLATE = template0 ENCODING = {}",
        quote_ident(name),
        quote_literal_std(encoding)
    );
    let r = client.batch_execute(&sql).await.map_err(stmt_err(format!("DATABASE {name}")));
    drop(client);
    let _ = task.await;
    r
}

/// Tables below this much data build their constraints in one statement.
const TWO_STEP_MIN_BYTES: u64 = 16 << 20;

struct Run<'a> {
    plan: &'a Plan<'a>,
    clients: &'a [Client],
    indexed: &'a IndexedRepository,
    errors: &'a Mutex<Vec<String>>,
    progress: &'a dyn Progress,
    keep_going: bool,
    /// Set when the target is an older major than the snapshot's source.
    downgrade: Option<Downgrade>,
    /// Each entry's statements with the downgrade's mappings applied.
    mapped_sql: HashMap<u32, String>,
    warnings: &'a Mutex<Vec<String>>,
    /// Entries left out (into an older major), by id, with their names.
    left_out: &'a Mutex<HashMap<u32, String>>,
}

impl Run<'_> {
    /// Record a failure, or return it when not keeping going.
    fn failed(&self, e: RestoreError) -> Result<(), RestoreError> {
        if self.keep_going {
            tracing::warn!("{e}");
            self.errors.lock().unwrap_or_else(|p| p.into_inner()).push(e.to_string());
            Ok(())
        } else {
            Err(e)
        }
    }

    /// Record a warning for the report. Logged at info level only: the
    /// CLI prints the report's warnings once at the end, and the service
    /// keeps them in the job's record.
    fn warn(&self, w: String) {
        tracing::info!("{w}");
        self.warnings.lock().unwrap_or_else(|p| p.into_inner()).push(w);
    }

    /// The statements that create `e`, with the exact mappings onto an
    /// older target major applied.
    fn entry_sql(&self, e: &DdlEntry) -> String {
        match self.mapped_sql.get(&e.id) {
            Some(sql) => sql.clone(),
            None => self.plan.create_sql(e),
        }
    }

    /// `sql` (a two-step form of `e`) with the downgrade's mappings.
    fn mapped(&self, e: &DdlEntry, sql: String) -> String {
        match &self.downgrade {
            None => sql,
            Some(d) => d.map_sql(&sql, self.plan.is_public_schema_entry(e)).0,
        }
    }

    /// `Plan::load_role` as the target knows the role.
    fn load_role(&self, table_entry: Option<u32>) -> Option<&str> {
        let role = self.plan.load_role(table_entry)?;
        Some(match &self.downgrade {
            Some(d) => d.role(role),
            None => role,
        })
    }

    fn is_left_out(&self, id: u32) -> bool {
        self.left_out.lock().unwrap_or_else(|p| p.into_inner()).contains_key(&id)
    }

    fn depends_on_left_out(&self, e: &DdlEntry) -> bool {
        self.downgrade.is_some() && {
            let lo = self.left_out.lock().unwrap_or_else(|p| p.into_inner());
            lo.contains_key(&e.id) || e.deps.iter().any(|d| lo.contains_key(d))
        }
    }

    /// Run an entry's statements. Into an older major, a statement the
    /// target does not know (`Downgrade::unsupported`) is left out with a
    /// warning: the first one (which creates the object) takes the object
    /// and, through their dependencies, its dependents with it; a later
    /// one (a privilege, a property) only itself. Same and newer majors
    /// run `exec` unchanged.
    async fn run_entry(&self, client: &Client, e: &DdlEntry, object: String, sql: &str) -> Result<(), RestoreError> {
        let Some(dg) = &self.downgrade else { return self.exec(client, object, sql).await };
        if sql.trim().is_empty() {
            return Ok(());
        }
        {
            let mut lo = self.left_out.lock().unwrap_or_else(|p| p.into_inner());
            // The second step of a two-step entry whose first was left out.
            if lo.contains_key(&e.id) {
                return Ok(());
            }
            if let Some(dep) = e.deps.iter().find_map(|d| lo.get(d).cloned()) {
                lo.insert(e.id, self.plan.describe(e));
                drop(lo);
                self.warn(format!("{object}: left out, it depends on {dep}, which was left out"));
                return Ok(());
            }
        }
        let err = match self.try_sql(client, sql).await {
            Ok(()) => return Ok(()),
            Err(err) => err,
        };
        if dg.unsupported(&err).is_none() {
            return self.failed(stmt_err(object)(err));
        }
        // Statement by statement, each with the role switch around it that
        // the entry has (a CHECK validated as the table's owner), so the
        // owner's code never runs as the restoring role and a failed
        // statement never leaves the session in another role.
        let stmts: Vec<&str> = statements::split(sql).into_iter().filter(|s| !s.trim().is_empty()).collect();
        let is_role = |s: &str| {
            let t = s.trim_start();
            t.starts_with("SET ROLE ") || t.starts_with("RESET ROLE")
        };
        let prefix: String = stmts.iter().take_while(|s| is_role(s)).copied().collect();
        let mut suffix: Vec<&str> = stmts.iter().rev().take_while(|s| is_role(s)).copied().collect();
        suffix.reverse();
        let suffix: String = suffix.concat();
        for (i, stmt) in stmts.iter().filter(|s| !is_role(s)).enumerate() {
            let one = format!("{prefix}{stmt}{suffix}");
            let Err(err) = self.try_sql(client, &one).await else { continue };
            // An extension at a version the target does not ship: at the
            // target's own version, said in a warning.
            if let (0, "EXTENSION", Some(_), Some((plain, version))) =
                (i, e.kind.as_str(), dg.unsupported(&err), cross_major::without_extension_version(stmt))
            {
                if self.try_sql(client, &plain).await.is_ok() {
                    let created = client
                        .query_opt("SELECT e.extversion::pg_catalog.text FROM pg_catalog.pg_extension e WHERE e.extname OPERATOR(pg_catalog.=) $1", &[&e.name])
                        .await
                        .ok()
                        .flatten()
                        .map(|r| r.get::<_, String>(0))
                        .unwrap_or_else(|| "?".into());
                    self.warn(format!(
                        "{object}: created at version {created}, the one PostgreSQL {} ships, not the snapshot's {version} (from PostgreSQL {})",
                        dg.target_major, dg.source_major
                    ));
                    continue;
                }
            }
            match dg.unsupported(&err) {
                Some(why) if i == 0 => {
                    self.left_out.lock().unwrap_or_else(|p| p.into_inner()).insert(e.id, self.plan.describe(e));
                    self.warn(dg.left_out(&object, &why));
                    return Ok(());
                }
                Some(why) => self.warn(dg.statement_left_out(&object, stmt, &why)),
                None => return self.failed(stmt_err(object)(err)),
            }
        }
        Ok(())
    }

    /// `sql` in one implicit transaction, or inside the restore's single
    /// transaction under a savepoint, so a statement the target rejects
    /// leaves nothing behind and the transaction goes on.
    async fn try_sql(&self, client: &Client, sql: &str) -> Result<(), tokio_postgres::Error> {
        if !self.plan.single {
            return client.batch_execute(sql).await;
        }
        client.batch_execute("SAVEPOINT pgkeep_entry").await?;
        match client.batch_execute(sql).await {
            Ok(()) => client.batch_execute("RELEASE SAVEPOINT pgkeep_entry").await,
            Err(e) => {
                client.batch_execute("ROLLBACK TO SAVEPOINT pgkeep_entry").await?;
                Err(e)
            }
        }
    }

    async fn exec(&self, client: &Client, object: String, sql: &str) -> Result<(), RestoreError> {
        if sql.trim().is_empty() {
            return Ok(());
        }
        match client.batch_execute(sql).await {
            Ok(()) => Ok(()),
            Err(e) => self.failed(stmt_err(object)(e)),
        }
    }

    async fn all(&self) -> Result<(u64, u64, u64), RestoreError> {
        let plan = self.plan;
        let first = &self.clients[0];
        if plan.legacy_relative() {
            self.check_legacy_names(first).await?;
        }
        if plan.single {
            first.batch_execute("BEGIN").await.map_err(stmt_err("BEGIN".into()))?;
        }
        if !plan.opts.clean && !plan.opts.data_only {
            self.check_empty(first).await?;
        }
        if plan.opts.clean {
            let extra = self.check_extra(first).await?;
            self.progress.phase("dropping existing objects");
            // What the snapshot does not know goes with its schema, only
            // when asked (check_extra refused otherwise, and refuses objects
            // elsewhere that depend on it, which CASCADE would take along).
            for s in extra {
                let sql = format!("DROP SCHEMA IF EXISTS {} CASCADE;\n", quote_ident(&s));
                self.exec(first, format!("schema {s} (dropping what the snapshot does not contain)"), &sql).await?;
            }
            for e in plan.entries.iter().rev() {
                if let Some(d) = plan.drop_sql(e) {
                    self.exec(first, format!("{} (dropping)", plan.describe(e)), &d).await?;
                }
            }
        }
        self.progress.phase("pre-data");
        let pre: Vec<&DdlEntry> = plan.entries.iter().copied().filter(|e| e.section == Section::PreData).collect();
        self.pre_data(first, &pre).await?;
        self.progress.phase("data");
        for (_, t) in self.forced_row_security() {
            self.exec(first, format!("TABLE {t} (row security off for the load)"), &format!("ALTER TABLE {t} NO FORCE ROW LEVEL SECURITY;")).await?;
        }
        let tables = self.tables_to_load();
        let moved = self.data_and_post_data(&tables).await?;
        if plan.single {
            first.batch_execute("COMMIT").await.map_err(stmt_err("COMMIT".into()))?;
        }
        Ok(moved)
    }

    /// Pre-data in order. Outside a single transaction, runs of entries go
    /// to the server as one multi-statement query (one round trip, one
    /// implicit transaction); when one fails, nothing of it stays, and its
    /// entries run again one by one so the error names its object.
    async fn pre_data(&self, client: &Client, entries: &[&DdlEntry]) -> Result<(), RestoreError> {
        // Not more: many DDL statements in one transaction get slower each.
        const BATCH_ENTRIES: usize = 50;
        const BATCH_BYTES: usize = 1 << 20;
        let plan = self.plan;
        if plan.single {
            for e in entries {
                self.run_entry(client, e, plan.describe(e), &self.entry_sql(e)).await?;
            }
            return Ok(());
        }
        let mut start = 0;
        while start < entries.len() {
            let mut sql = String::new();
            let mut end = start;
            while end < entries.len() && end - start < BATCH_ENTRIES && sql.len() < BATCH_BYTES {
                // Into an older major, an entry that depends on one left
                // out goes alone, to be left out too (run_entry).
                if end > start && self.depends_on_left_out(entries[end]) {
                    break;
                }
                let one = self.entry_sql(entries[end]);
                sql.push_str(&one);
                if !one.ends_with('\n') {
                    sql.push('\n');
                }
                end += 1;
            }
            let t = Instant::now();
            let batch = if end - start == 1 { None } else { Some(client.batch_execute(&sql).await) };
            tracing::debug!(entries = end - start, ms = t.elapsed().as_secs_f64() * 1000.0, ok = matches!(batch, Some(Ok(()))), "pre-data batch");
            let batch_ok = match batch {
                Some(Ok(())) => true,
                Some(Err(e)) => {
                    tracing::debug!("pre-data batch failed, entries one by one: {}", ServerError::from(e));
                    false
                }
                None => false,
            };
            if !batch_ok {
                for e in &entries[start..end] {
                    self.run_entry(client, e, plan.describe(e), &self.entry_sql(e)).await?;
                }
            }
            start = end;
        }
        Ok(())
    }

    /// A snapshot taken before names were qualified (see `ddl`) runs its
    /// statements with bare names, which PostgreSQL looks up in
    /// `pg_catalog` first: refuse it when any of its objects shares a name
    /// with a system object, where a bare statement would act on the
    /// system object instead.
    async fn check_legacy_names(&self, client: &Client) -> Result<(), RestoreError> {
        let plan = self.plan;
        let rel = plan.snap.relative_schema.as_deref().unwrap_or_default();
        let mut names: Vec<String> = plan
            .entries
            .iter()
            .filter(|e| e.schema.as_deref() == Some(rel))
            .flat_map(|e| {
                let base = e.name.split('(').next().unwrap_or(&e.name);
                base.split(' ').map(str::to_string).collect::<Vec<_>>()
            })
            .collect();
        names.sort();
        names.dedup();
        let rows = client
            .query(
                "SELECT w.n FROM pg_catalog.unnest($1::pg_catalog.text[]) AS w(n) WHERE                    EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.relnamespace OPERATOR(pg_catalog.=) 'pg_catalog'::pg_catalog.regnamespace AND c.relname OPERATOR(pg_catalog.=) w.n)                    OR EXISTS (SELECT 1 FROM pg_catalog.pg_proc p WHERE p.pronamespace OPERATOR(pg_catalog.=) 'pg_catalog'::pg_catalog.regnamespace AND p.proname OPERATOR(pg_catalog.=) w.n)                    OR EXISTS (SELECT 1 FROM pg_catalog.pg_type t WHERE t.typnamespace OPERATOR(pg_catalog.=) 'pg_catalog'::pg_catalog.regnamespace AND t.typname OPERATOR(pg_catalog.=) w.n)                    OR EXISTS (SELECT 1 FROM pg_catalog.pg_operator o WHERE o.oprnamespace OPERATOR(pg_catalog.=) 'pg_catalog'::pg_catalog.regnamespace AND o.oprname OPERATOR(pg_catalog.=) w.n)                  ORDER BY 1",
                &[&names],
            )
            .await
            .map_err(stmt_err("checking the snapshot's names against pg_catalog".into()))?;
        if rows.is_empty() {
            return Ok(());
        }
        let found: Vec<String> = rows.iter().take(5).map(|r| quote_ident(r.get::<_, &str>(0)).into_owned()).collect();
        Err(RestoreError::Unsafe(format!(
            "snapshot of schema {} was taken by a pgkeep that named objects without their schema, and {} of its objects share a name with a system object ({}{}): restoring it would act on pg_catalog's objects; take a new backup with this version and restore that",
            quote_ident(rel),
            rows.len(),
            found.join(", "),
            if rows.len() > 5 { ", ..." } else { "" }
        )))
    }

    /// Before an in-place restore drops anything: the objects in the
    /// snapshot's schemas that the snapshot does not contain. Without
    /// `drop_extra` the restore refuses and names them; with it, returns
    /// the schemas to drop with everything in them, after making sure
    /// nothing outside them depends on what they hold (CASCADE would take
    /// it along).
    async fn check_extra(&self, client: &Client) -> Result<Vec<String>, RestoreError> {
        let plan = self.plan;
        let mut schemas: Vec<String> = Vec::new();
        let mut snap_schemas: Vec<String> = Vec::new();
        let mut names: Vec<String> = Vec::new();
        for e in &plan.entries {
            if e.kind == EntryKind::Schema {
                schemas.push(plan.schema_of(&e.name));
                snap_schemas.push(e.name.clone());
            }
        }
        for e in &plan.entries {
            if let Some(s) = e.schema.as_deref().filter(|s| snap_schemas.iter().any(|x| x == *s)) {
                names.push(format!("{}\u{1f}{}", plan.schema_of(s), e.name));
            }
        }
        if schemas.is_empty() {
            return Ok(Vec::new());
        }
        let rows = client
            .query(
                "SELECT o.kind, n.nspname::pg_catalog.text, o.name FROM pg_catalog.pg_namespace n, LATERAL (                    SELECT 'relation' AS kind, c.relname::pg_catalog.text AS name FROM pg_catalog.pg_class c                      WHERE c.relnamespace OPERATOR(pg_catalog.=) n.oid AND c.relkind OPERATOR(pg_catalog.=) ANY (ARRAY['r','p','v','m','S','f']::pg_catalog.\"char\"[]) AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid OPERATOR(pg_catalog.=) c.oid AND d.deptype OPERATOR(pg_catalog.=) ANY (ARRAY['i','e']::pg_catalog.\"char\"[]))                    UNION ALL SELECT 'function', p.proname::pg_catalog.text OPERATOR(pg_catalog.||) '(' OPERATOR(pg_catalog.||) pg_catalog.pg_get_function_identity_arguments(p.oid) OPERATOR(pg_catalog.||) ')'                      FROM pg_catalog.pg_proc p WHERE p.pronamespace OPERATOR(pg_catalog.=) n.oid AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objid OPERATOR(pg_catalog.=) p.oid AND d.deptype OPERATOR(pg_catalog.=) ANY (ARRAY['i','e']::pg_catalog.\"char\"[]))                    UNION ALL SELECT 'type', t.typname::pg_catalog.text FROM pg_catalog.pg_type t                      WHERE t.typnamespace OPERATOR(pg_catalog.=) n.oid AND t.typcategory OPERATOR(pg_catalog.<>) 'A'                        AND t.typtype OPERATOR(pg_catalog.=) ANY (ARRAY['b','d','e','r','c']::pg_catalog.\"char\"[]) AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_type'::pg_catalog.regclass AND d.objid OPERATOR(pg_catalog.=) t.oid AND d.deptype OPERATOR(pg_catalog.=) ANY (ARRAY['i','e']::pg_catalog.\"char\"[]))                        AND (t.typrelid OPERATOR(pg_catalog.=) 0 OR EXISTS (SELECT 1 FROM pg_catalog.pg_class r WHERE r.oid OPERATOR(pg_catalog.=) t.typrelid AND r.relkind OPERATOR(pg_catalog.=) 'c'))                  ) o WHERE n.nspname OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[])                    AND NOT (n.nspname::pg_catalog.text OPERATOR(pg_catalog.||) E'\\x1f' OPERATOR(pg_catalog.||) o.name OPERATOR(pg_catalog.=) ANY ($2::pg_catalog.text[]))                  ORDER BY 2, 1, 3",
                &[&schemas, &names],
            )
            .await
            .map_err(stmt_err("listing what the target holds that the snapshot does not".into()))?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let extra: Vec<String> =
            rows.iter().map(|r| format!("{} {}.{}", r.get::<_, &str>(0), quote_ident(r.get::<_, &str>(1)), r.get::<_, &str>(2))).collect();
        if !plan.opts.drop_extra {
            let n = extra.len();
            return Err(RestoreError::NotEmpty(format!(
                "the target holds {n} object{} that the snapshot does not contain ({}{}): nothing was changed; pass --drop-extra to drop them with the restore, or restore under another name (--target-schema)",
                if n == 1 { "" } else { "s" },
                extra.iter().take(5).cloned().collect::<Vec<_>>().join(", "),
                if n > 5 { ", ..." } else { "" }
            )));
        }
        let mut with_extra: Vec<String> = rows.iter().map(|r| r.get::<_, String>(1)).collect();
        with_extra.dedup();
        let outside = client
            .query(
                "WITH ns AS (SELECT n.oid FROM pg_catalog.pg_namespace n WHERE n.nspname OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[])),                  inside AS (                    SELECT 'pg_catalog.pg_class'::pg_catalog.regclass AS cls, c.oid FROM pg_catalog.pg_class c WHERE c.relnamespace IN (SELECT oid FROM ns)                    UNION ALL SELECT 'pg_catalog.pg_proc'::pg_catalog.regclass, p.oid FROM pg_catalog.pg_proc p WHERE p.pronamespace IN (SELECT oid FROM ns)                    UNION ALL SELECT 'pg_catalog.pg_type'::pg_catalog.regclass, t.oid FROM pg_catalog.pg_type t WHERE t.typnamespace IN (SELECT oid FROM ns))                  SELECT DISTINCT pg_catalog.pg_describe_object(d.classid, d.objid, 0) FROM pg_catalog.pg_depend d                  JOIN inside i ON i.cls OPERATOR(pg_catalog.=) d.refclassid AND i.oid OPERATOR(pg_catalog.=) d.refobjid                  WHERE d.deptype OPERATOR(pg_catalog.=) 'n' AND COALESCE(CASE d.classid                    WHEN 'pg_catalog.pg_class'::pg_catalog.regclass THEN (SELECT c.relnamespace FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) d.objid)                    WHEN 'pg_catalog.pg_proc'::pg_catalog.regclass THEN (SELECT p.pronamespace FROM pg_catalog.pg_proc p WHERE p.oid OPERATOR(pg_catalog.=) d.objid)                    WHEN 'pg_catalog.pg_type'::pg_catalog.regclass THEN (SELECT t.typnamespace FROM pg_catalog.pg_type t WHERE t.oid OPERATOR(pg_catalog.=) d.objid)                    WHEN 'pg_catalog.pg_rewrite'::pg_catalog.regclass THEN (SELECT c.relnamespace FROM pg_catalog.pg_rewrite r JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) r.ev_class WHERE r.oid OPERATOR(pg_catalog.=) d.objid)                    WHEN 'pg_catalog.pg_constraint'::pg_catalog.regclass THEN (SELECT COALESCE(c.relnamespace, k.connamespace) FROM pg_catalog.pg_constraint k LEFT JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) k.conrelid WHERE k.oid OPERATOR(pg_catalog.=) d.objid)                    WHEN 'pg_catalog.pg_attrdef'::pg_catalog.regclass THEN (SELECT c.relnamespace FROM pg_catalog.pg_attrdef a JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) a.adrelid WHERE a.oid OPERATOR(pg_catalog.=) d.objid)                    WHEN 'pg_catalog.pg_trigger'::pg_catalog.regclass THEN (SELECT c.relnamespace FROM pg_catalog.pg_trigger g JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) g.tgrelid WHERE g.oid OPERATOR(pg_catalog.=) d.objid)                    WHEN 'pg_catalog.pg_policy'::pg_catalog.regclass THEN (SELECT c.relnamespace FROM pg_catalog.pg_policy y JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) y.polrelid WHERE y.oid OPERATOR(pg_catalog.=) d.objid)                    END, 0) NOT IN (SELECT oid FROM ns) ORDER BY 1",
                &[&with_extra],
            )
            .await
            .map_err(stmt_err("looking for objects elsewhere that depend on the target's schemas".into()))?;
        if !outside.is_empty() {
            let names: Vec<String> = outside.iter().take(5).map(|r| r.get::<_, String>(0)).collect();
            return Err(RestoreError::NotEmpty(format!(
                "{} object{} outside the restored schema{} depend on what --drop-extra would drop ({}{}): nothing was changed; drop or change them first",
                outside.len(),
                if outside.len() == 1 { "" } else { "s" },
                if with_extra.len() == 1 { "" } else { "s" },
                names.join(", "),
                if outside.len() > 5 { ", ..." } else { "" }
            )));
        }
        Ok(with_extra)
    }

    /// Tables whose owner is subject to their row-level security
    /// (`FORCE ROW LEVEL SECURITY`): loading them as the owner with
    /// `row_security = off` would fail, so the force is lifted for the
    /// load and set again before post-data (in the single transaction of
    /// an in-place restore, or on tables this restore just created).
    /// Tables whose owner is subject to their row security (FORCE), each
    /// with its entry id and its name as the restore writes it: that is
    /// turned off for the load and back on after it.
    fn forced_row_security(&self) -> Vec<(Option<u32>, String)> {
        let plan = self.plan;
        let by_id: HashMap<u32, &DdlEntry> = plan.entries.iter().map(|e| (e.id, *e)).collect();
        let mut out = Vec::new();
        for t in &plan.tables {
            let (Some(id), Some(_)) = (t.ddl_entry, plan.load_role(t.ddl_entry)) else { continue };
            if self.is_left_out(id) {
                continue;
            }
            let Some(e) = by_id.get(&id) else { continue };
            if !e.create_sql.contains(" FORCE ROW LEVEL SECURITY;") {
                continue;
            }
            let q = plan.qualified_table(t);
            let sql = plan.create_sql(e);
            let forced = [q.clone(), quote_ident(&t.name).into_owned()]
                .iter()
                .any(|n| sql.lines().any(|l| l == format!("ALTER TABLE {n} FORCE ROW LEVEL SECURITY;")));
            if forced {
                out.push((t.ddl_entry, q));
            }
        }
        out
    }

    /// Refuse to create objects where objects of those names exist.
    async fn check_empty(&self, client: &Client) -> Result<(), RestoreError> {
        let plan = self.plan;
        let mut schemas = Vec::new();
        let mut names = Vec::new();
        for e in &plan.entries {
            let relation = e.kind.is_relation();
            if let (true, Some(s)) = (relation, &e.schema) {
                schemas.push(plan.schema_of(s));
                names.push(e.name.clone());
            }
        }
        let rows = client
            .query(
                "SELECT n.nspname::text, c.relname::text FROM ROWS FROM (pg_catalog.unnest($1::text[]), pg_catalog.unnest($2::text[])) AS w(s, r) \
                 JOIN pg_catalog.pg_namespace n ON n.nspname = w.s \
                 JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.r ORDER BY 1, 2",
                &[&schemas, &names],
            )
            .await
            .map_err(stmt_err("checking the target for existing objects".into()))?;
        let mut found: Vec<String> = rows.iter().map(|r| quote_qualified(r.get(0), r.get(1))).collect();
        if let (Some(s), true) = (&plan.schema, plan.entries.iter().any(|e| e.kind == EntryKind::Schema && e.create_sql.contains("CREATE SCHEMA"))) {
            let exists = client
                .query_opt("SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1", &[s])
                .await
                .map_err(stmt_err("checking the target schema".into()))?;
            if exists.is_some() && (plan.renamed() || s != "public") {
                found.insert(0, format!("schema {}", quote_ident(s)));
            }
        }
        if found.is_empty() {
            return Ok(());
        }
        let n = found.len();
        found.truncate(5);
        Err(RestoreError::NotEmpty(format!(
            "the target database already has {} that this snapshot creates ({}{}): restore into an empty database, use --clean to drop them first, --create for a new database, or --target-schema to restore under another name",
            if n == 1 { "an object".to_string() } else { format!("{n} objects") },
            found.join(", "),
            if n > 5 { ", ..." } else { "" }
        )))
    }

    /// The tables whose data this restore loads. Into an older major: the
    /// data of a table that was left out is not restored, and says so.
    fn tables_to_load(&self) -> Vec<&TableData> {
        let plan = self.plan;
        plan.tables
            .iter()
            .copied()
            .filter(|t| match t.ddl_entry.filter(|id| self.is_left_out(*id)) {
                Some(_) => {
                    self.warn(format!(
                        "data of table {} ({} rows): not restored, its table was left out",
                        plan.qualified_table(t),
                        t.rows
                    ));
                    false
                }
                None => true,
            })
            .collect()
    }

    /// Write the large objects' contents (created, with their owners and
    /// privileges, by pre-data) in pieces: chunks are read, checked and
    /// decompressed on a thread of their own; every object must get exactly
    /// its recorded length and the stream must end there.
    async fn large_objects(&self, client: &Client, lo: &LargeObjects) -> Result<u64, RestoreError> {
        const PIECE: usize = 1 << 20;
        let err = |message: String| RestoreError::Data { table: "large objects".into(), part: String::new(), message };
        let failed = |oid: u32, e: tokio_postgres::Error| RestoreError::DataFailed {
            table: "large objects".into(),
            part: String::new(),
            during: format!("large object {oid}: "),
            error: e.into(),
        };
        let mut reader = self.indexed.read_stream(lo.chunks.clone(), "the large objects");
        let objects = lo.objects.clone();
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<(u32, i64, Vec<u8>), String>>(4);
        let feeder = std::thread::Builder::new()
            .name("pgkeep-restore-lo".into())
            .spawn(move || {
                use std::io::Read;
                for o in &objects {
                    let mut off = 0u64;
                    while off < o.bytes {
                        let n = (o.bytes - off).min(PIECE as u64) as usize;
                        let mut buf = vec![0u8; n];
                        if let Err(e) = reader.read_exact(&mut buf) {
                            let _ = tx.blocking_send(Err(format!("large object {}: {e}", o.oid)));
                            return;
                        }
                        if tx.blocking_send(Ok((o.oid, off as i64, buf))).is_err() {
                            return;
                        }
                        off += n as u64;
                    }
                }
                let mut rest = [0u8; 1];
                if !matches!(reader.read(&mut rest), Ok(0)) {
                    let _ = tx.blocking_send(Err("the stream is longer than its objects' recorded lengths".into()));
                }
            })
            .map_err(|e| err(format!("cannot start a reader thread: {e}")))?;
        let stmt = "SELECT pg_catalog.lo_put($1::pg_catalog.oid, $2::pg_catalog.int8, $3::pg_catalog.bytea)";
        let mut written = 0u64;
        let mut failure = None;
        while let Some(item) = rx.recv().await {
            match item {
                Ok((oid, off, buf)) => {
                    if let Err(e) = client.execute(stmt, &[&oid, &off, &buf]).await {
                        failure = Some(failed(oid, e));
                        break;
                    }
                    written += buf.len() as u64;
                    self.progress.bytes(buf.len() as u64);
                }
                Err(e) => {
                    failure = Some(err(e));
                    break;
                }
            }
        }
        drop(rx);
        let _ = tokio::task::spawn_blocking(move || feeder.join()).await;
        match failure {
            Some(f) => self.failed(f).map(|_| written),
            None => Ok(written),
        }
    }

    /// Feed one part to `COPY FROM`; chunks are read, checked and
    /// decompressed on a thread of their own. The server's row count must
    /// equal the manifest's, and a part whose data is damaged is aborted
    /// (its rows are never committed).
    async fn copy_part(&self, client: &Client, t: &TableData, i: usize, freeze: bool) -> Result<u64, RestoreError> {
        let plan = self.plan;
        let part = &t.parts[i];
        let label = if t.parts.len() > 1 { format!(" part {i}") } else { String::new() };
        let table = plan.qualified_table(t);
        let err = |message: String| RestoreError::Data { table: table.clone(), part: label.clone(), message };
        let failed = |during: String, e: tokio_postgres::Error| RestoreError::DataFailed {
            table: table.clone(),
            part: label.clone(),
            during,
            error: e.into(),
        };
        let columns: Vec<String> = t.columns.iter().map(|c| c.name.clone()).collect();
        let sql = copy::copy_in_sql(&table, &columns, t.format, freeze);
        // The table's CHECK constraints, generated columns and partition
        // keys run the owner's code for every row: as the owner, not as the
        // (usually superuser) role restoring.
        let role = self.load_role(t.ddl_entry);
        if let Some(r) = role {
            client
                .batch_execute(&format!("SET ROLE {}", quote_ident(r)))
                .await
                .map_err(|e| failed(format!("cannot load as the table's owner {}: ", quote_ident(r)), e))?;
        }
        let reset = if role.is_some() { "RESET ROLE" } else { "SELECT 1" };
        let sink = match client.copy_in::<_, Bytes>(sql.as_str()).await {
            Ok(s) => s,
            Err(e) => {
                let _ = client.batch_execute(reset).await;
                return Err(failed(String::new(), e));
            }
        };
        let mut sink = Box::pin(sink);

        let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Bytes, String>>(4);
        let mut reader = self.indexed.read_stream(part.chunks.clone(), format!("table {} part {i}", Snapshot::describe_table(t)));
        let format = t.format;
        let ncols = columns.len();
        let feeder = std::thread::Builder::new()
            .name("pgkeep-restore-read".into())
            .spawn(move || {
                use std::io::Read;
                let mut counter = RowCounter::new(format, ncols);
                loop {
                    let mut buf = vec![0u8; 1 << 20];
                    let mut filled = 0;
                    let result = loop {
                        match reader.read(&mut buf[filled..]) {
                            Ok(0) => break Ok(()),
                            Ok(n) => {
                                filled += n;
                                if filled == buf.len() {
                                    break Ok(());
                                }
                            }
                            Err(e) => break Err(e.to_string()),
                        }
                    };
                    if let Err(e) = result {
                        let _ = tx.blocking_send(Err(e));
                        return;
                    }
                    buf.truncate(filled);
                    if let Err(e) = counter.feed(&buf) {
                        let _ = tx.blocking_send(Err(e.to_string()));
                        return;
                    }
                    let end = filled == 0;
                    if !end && tx.blocking_send(Ok(Bytes::from(buf))).is_err() {
                        return;
                    }
                    if end {
                        if let Err(e) = counter.finish() {
                            let _ = tx.blocking_send(Err(e.to_string()));
                        }
                        return;
                    }
                }
            })
            .map_err(|e| err(format!("cannot start a reader thread: {e}")))?;
        let mut failure = None;
        while let Some(item) = rx.recv().await {
            match item {
                Ok(b) => {
                    let n = b.len() as u64;
                    if let Err(e) = sink.send(b).await {
                        failure = Some(failed(String::new(), e));
                        break;
                    }
                    self.progress.bytes(n);
                }
                Err(e) => {
                    failure = Some(err(e));
                    break;
                }
            }
        }
        drop(rx);
        let _ = tokio::task::spawn_blocking(move || feeder.join()).await;
        if let Some(f) = failure {
            // Dropping the sink unfinished makes the server abort the COPY.
            drop(sink);
            // The session stays usable: wait for the abort to finish.
            let _ = client.batch_execute(reset).await;
            return Err(f);
        }
        let finished = sink.as_mut().finish().await;
        if role.is_some() {
            let reset_result = client.batch_execute(reset).await;
            if finished.is_ok() {
                reset_result.map_err(|e| failed("resetting the role after the load: ".into(), e))?;
            }
        }
        let rows = finished.map_err(|e| failed(String::new(), e))?;
        if rows != part.rows {
            return Err(err(format!("the server stored {rows} rows, the snapshot records {}", part.rows)));
        }
        self.progress.stream_done(&table, rows, part.raw_bytes);
        Ok(rows)
    }
}
