//! Many schemas of one database backed up from one exported snapshot: the
//! service's round. One set of sessions is opened and one snapshot
//! exported for the whole round; the leader locks every table of every
//! schema once (each schema inside its own savepoint, so a table that
//! cannot be locked fails only its schema); then each schema is backed up
//! into a snapshot of its own, on sessions leased from the shared pool,
//! with the same catalog reading, planning, copying and manifest as
//! [`super::backup`].
//!
//! Every piece of one schema's work on a session runs inside a savepoint
//! (`SAVEPOINT` … `RELEASE`, or `ROLLBACK TO` on failure): an error — a
//! `LOCK … NOWAIT` that meets a queued exclusive lock, a permission
//! denied, a COPY the server fails — aborts only that subtransaction. The
//! snapshot, the other schemas' locks and the sessions survive, so the
//! other schemas' backups go on. Rolling back a subtransaction does not
//! change a `REPEATABLE READ` transaction's snapshot: every schema's data
//! are as of the one exported snapshot, consistent with one another.
//!
//! Why each schema's catalog is still read on its own (from the shared
//! snapshot, on a leased session): the server renders expressions, index
//! and constraint definitions and type names relative to `search_path`,
//! and a tenant's snapshot must name its own objects relative to its
//! schema so that it restores under another schema name. One read of every
//! schema with an empty `search_path` would qualify them all. What the
//! round saves is everything else per tenant: connecting, exporting a
//! snapshot, resolving and locking the scope.
//!
//! The price: the exported snapshot holds back vacuum's xmin horizon (and
//! the leader's `ACCESS SHARE` locks block DDL that needs an exclusive
//! lock on any tenant's table) for the whole round. The caller bounds the
//! round (the service's `round_max_seconds`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use tokio_postgres::Client;

use super::{
    copy_data, describe, finish, job_queue, snapshot_ddl, plan_tables, read_source, server, shadowed_names,
    shadowing_text, BackupOptions, DumpError,
};
use crate::catalog::{self, ScopeSpec};
use crate::pg::conn::ResolvedConn;
use crate::pg::error::ServerError;
use crate::pg::sessions::{SnapshotSessions, MAX_JOBS};
use crate::progress::Progress;
use crate::repo::snapshot::Source;
use crate::repo::{Id, Repository, Snapshot};
use crate::sql::quote::quote_qualified;

/// The savepoint every piece of one schema's work runs in.
const SCOPE_SAVEPOINT: &str = "pgkeep_scope";

/// What a round covers and how it runs.
#[derive(Clone, Debug)]
pub struct SharedOptions {
    /// The schemas backed up from the snapshot (each into its own).
    pub schemas: Vec<String>,
    /// Sessions besides the leader, leased to the schemas' backups.
    pub sessions: usize,
    /// How long the leader waits for each table's lock.
    pub lock_wait_timeout: Duration,
}

/// One exported snapshot of one database and the sessions in it, from
/// which schemas are backed up one by one or several at once.
pub struct SharedSnapshot {
    sessions: SnapshotSessions,
    source: Source,
    /// Sessions (indexes into `sessions.clients`, never the leader's 0)
    /// no schema is using; `free_count` has a permit for each.
    free: Mutex<Vec<usize>>,
    free_count: Semaphore,
    /// Why a schema's tables could not be locked, by schema.
    lock_failures: Mutex<HashMap<String, DumpError>>,
    /// The tables of each schema, as the leader locked them.
    tables: HashMap<String, Vec<String>>,
    /// Each schema's names that pg_catalog also uses (read once for all).
    shadowed: HashMap<String, Vec<String>>,
    schemas: BTreeSet<String>,
    opened: Instant,
}

impl SharedSnapshot {
    /// Open the leader and `opts.sessions` sessions on `conn` in one
    /// exported snapshot, and lock the tables of every schema in
    /// `opts.schemas`. A schema whose tables cannot all be locked is
    /// remembered: its [`SharedSnapshot::backup_schema`] fails with that
    /// error, the others go on. Fails only when the round cannot start at
    /// all (no connection, no snapshot).
    pub async fn open(conn: &ResolvedConn, opts: &SharedOptions) -> Result<SharedSnapshot, DumpError> {
        let n = opts.sessions.clamp(1, MAX_JOBS);
        let sessions = SnapshotSessions::open(conn, n + 1).await?;
        let opened = Instant::now();
        let leader = &sessions.clients[0];
        let source = match read_source(leader, conn).await {
            Ok(s) => s,
            Err(e) => {
                sessions.close().await;
                return Err(e);
            }
        };
        let (lock_failures, tables) = match lock_schemas(leader, &opts.schemas, opts.lock_wait_timeout).await {
            Ok(f) => f,
            Err(e) => {
                sessions.close().await;
                return Err(e);
            }
        };
        let shadowed = match shadowed_names(leader, &opts.schemas).await {
            Ok(s) => s,
            Err(e) => {
                sessions.close().await;
                return Err(e);
            }
        };
        Ok(SharedSnapshot {
            shadowed,
            tables,
            free: Mutex::new((1..=n).rev().collect()),
            free_count: Semaphore::new(n),
            sessions,
            source,
            lock_failures: Mutex::new(lock_failures),
            schemas: opts.schemas.iter().cloned().collect(),
            opened,
        })
    }

    /// The exported snapshot's name (`pg_export_snapshot()`).
    pub fn snapshot_name(&self) -> &str {
        &self.sessions.snapshot
    }

    /// How long ago the snapshot was exported.
    pub fn age(&self) -> Duration {
        self.opened.elapsed()
    }

    /// End the transactions (releasing the snapshot and the locks) and
    /// close the sessions. Dropping a `SharedSnapshot` closes them too.
    pub async fn close(self) {
        self.sessions.close().await;
    }

    /// Back up `schema` (one of the round's) into a snapshot of its own:
    /// `opts.scope` must select it (and may narrow it with table
    /// patterns); `opts.jobs` sessions at most copy its tables.
    /// `opts.start_time` is the time its manifest records as its start
    /// (the service's time of the exported snapshot); its end is that time
    /// plus how long ago the snapshot was exported.
    pub async fn backup_schema(
        &self,
        schema: &str,
        repo: &Repository,
        opts: &BackupOptions,
        progress: &dyn Progress,
    ) -> Result<(Id, Snapshot), DumpError> {
        if !self.schemas.contains(schema) {
            return Err(DumpError::NotInRound { schema: schema.to_string() });
        }
        if let Some(e) = lock_ignoring_poison(&self.lock_failures).remove(schema) {
            return Err(e);
        }
        if opts.schema_only && opts.data_only {
            return Err(DumpError::SchemaAndDataOnly);
        }
        let t0 = Instant::now();
        let mut lease = Lease { snapshot: self, sessions: Vec::new(), failed: false };
        if let Err(e) = lease.take(1, true).await {
            lease.failed = true;
            lease.give_back().await;
            return Err(e);
        }
        let result = self.run_schema(schema, &mut lease, repo, opts, progress, t0).await;
        lease.failed = result.is_err();
        lease.give_back().await;
        progress.finish();
        result
    }

    async fn run_schema(
        &self,
        schema: &str,
        lease: &mut Lease<'_>,
        repo: &Repository,
        opts: &BackupOptions,
        progress: &dyn Progress,
        t0: Instant,
    ) -> Result<(Id, Snapshot), DumpError> {
        let started = opts.start_time.unwrap_or_else(chrono::Utc::now);
        let primary = &self.sessions.clients[lease.sessions[0]];
        // This session takes the schema's locks too, without waiting: the
        // size and catalog functions lock what they read, and an exclusive
        // lock queued behind the leader's would make them wait for the
        // round's end. It fails the schema instead, naming the table.
        progress.phase("locking tables");
        let own: &[String] = self.tables.get(schema).map(Vec::as_slice).unwrap_or_default();
        let outcomes = futures::future::join_all(
            own.iter().map(|t| async move { (t, primary.batch_execute(&format!("LOCK TABLE {t} IN ACCESS SHARE MODE NOWAIT")).await) }),
        )
        .await;
        if let Some((t, Err(e))) = outcomes.into_iter().find(|(_, o)| o.is_err()) {
            let error = ServerError::from(e);
            return Err(match error.is("55P03") {
                true => DumpError::LockConflict { table: t.clone(), error },
                false => DumpError::Server { context: format!("locking table {t}"), error },
            });
        }
        progress.phase("reading the catalog");
        let read = catalog::ReadOptions { sequence_values: opts.sequence_values, large_objects: opts.large_objects };
        let cat = catalog::read_catalog_with(&[primary], &opts.scope, &read).await?;
        let mut rendered = snapshot_ddl(&cat, opts)?;
        let entries = std::mem::take(&mut rendered.entries);
        let no_data: BTreeSet<u32> = if opts.exclude_table_data.is_empty() {
            BTreeSet::new()
        } else {
            catalog::scope::matching_relations(primary, &opts.exclude_table_data, &self.source.database).await?
        };
        let tables = if opts.schema_only {
            Vec::new()
        } else {
            plan_tables(primary, &cat, &entries, &no_data, opts, self.source.server_version_num).await?
        };
        let queue = job_queue(&tables);
        // More sessions only when there is more than one stream, and only
        // those free now: a schema never waits for a second session.
        let want = opts.jobs.clamp(1, MAX_JOBS).min(queue.len().max(1));
        if want > 1 {
            lease.take(want - 1, false).await?;
        }
        let session = super::start_writing(repo, opts).await?;
        let workers: Vec<&Client> = lease.sessions.iter().map(|&i| &self.sessions.clients[i]).collect();
        let large_objects: Vec<u32> = cat.large_objects.iter().map(|l| l.meta.oid).collect();
        let (session, mut snap) =
            copy_data(&workers, primary, session, &tables, queue, &large_objects, opts.schema_only, progress).await?;
        snap.source = self.source.clone();
        describe(&mut snap, &cat.scope, opts);
        snap.ddl = entries;
        snap.relative_schema = cat.relative_schema.clone();
        snap.search_path = std::mem::take(&mut rendered.search_path);
        snap.qualified_names = true;
        snap.warnings = std::mem::take(&mut rendered.warnings);
        if let Some(rel) = &cat.relative_schema {
            if let Some(w) = shadowing_text(rel, self.shadowed.get(rel).map(Vec::as_slice).unwrap_or_default()) {
                snap.warnings.push(w);
            }
        }
        finish(session, snap, started, opts.start_time, self.opened.elapsed(), t0, progress).await
    }
}

/// Sessions one schema's backup holds, each inside the schema's savepoint.
struct Lease<'a> {
    snapshot: &'a SharedSnapshot,
    sessions: Vec<usize>,
    failed: bool,
}

impl Lease<'_> {
    /// Take `n` more sessions: waiting for the first when `wait`, else
    /// only those free now. Each enters the savepoint.
    async fn take(&mut self, n: usize, wait: bool) -> Result<(), DumpError> {
        let pool = self.snapshot;
        for k in 0..n {
            let permit = if wait && k == 0 {
                match pool.free_count.acquire().await {
                    Ok(p) => p,
                    Err(_) => break,
                }
            } else {
                match pool.free_count.try_acquire() {
                    Ok(p) => p,
                    Err(_) => break,
                }
            };
            permit.forget();
            let Some(i) = lock_ignoring_poison(&pool.free).pop() else {
                pool.free_count.add_permits(1);
                break;
            };
            self.sessions.push(i);
            pool.sessions.clients[i]
                .batch_execute(&format!("SAVEPOINT {SCOPE_SAVEPOINT}"))
                .await
                .map_err(server("starting a savepoint on a session of the shared snapshot"))?;
        }
        if self.sessions.is_empty() {
            return Err(DumpError::Writer { during: "leasing a session", message: "no session of the shared snapshot is left".into() });
        }
        Ok(())
    }

    /// Leave the savepoint (rolled back when the schema's backup failed,
    /// which also releases its locks) and return the sessions to the pool.
    async fn give_back(mut self) {
        let pool = self.snapshot;
        let sql = if self.failed {
            format!("ROLLBACK TO SAVEPOINT {SCOPE_SAVEPOINT}; RELEASE SAVEPOINT {SCOPE_SAVEPOINT}")
        } else {
            format!("RELEASE SAVEPOINT {SCOPE_SAVEPOINT}")
        };
        for i in std::mem::take(&mut self.sessions) {
            if let Err(e) = pool.sessions.clients[i].batch_execute(&sql).await {
                // The session's transaction is gone (its connection broke):
                // whoever leases it next fails on it with the server's error.
                tracing::warn!(session = i, error = %ServerError::from(e), "a session of the shared snapshot could not leave its savepoint");
            }
            lock_ignoring_poison(&pool.free).push(i);
            pool.free_count.add_permits(1);
        }
    }
}

/// Lock every table of every schema in `schemas` (`ACCESS SHARE`, each
/// waiting at most `timeout`), one savepoint per schema: a table that
/// cannot be locked rolls back its schema's locks and is reported for its
/// schema; the others keep theirs. Statements are pipelined until the
/// first failure.
#[allow(clippy::type_complexity)]
async fn lock_schemas(
    leader: &Client,
    schemas: &[String],
    timeout: Duration,
) -> Result<(HashMap<String, DumpError>, HashMap<String, Vec<String>>), DumpError> {
    let rows = leader
        .query(
            "SELECT n.nspname::text, c.relname::text FROM pg_catalog.pg_class c \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r','p') \
               AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e \
                   WHERE e.classid = 'pg_catalog.pg_class'::pg_catalog.regclass \
                     AND e.objid = c.oid AND e.deptype = 'e') \
             ORDER BY 1, c.oid",
            &[&schemas],
        )
        .await
        .map_err(server("listing the tables of the round's schemas"))?;
    let mut by_schema: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in &rows {
        by_schema.entry(r.get(0)).or_default().push(quote_qualified(r.get(0), r.get(1)));
    }
    let ms = timeout.as_millis().max(1);
    leader.batch_execute(&format!("SET lock_timeout = {ms}")).await.map_err(server("setting lock_timeout"))?;
    let groups: Vec<(&String, &Vec<String>)> = by_schema.iter().collect();
    let mut failures = HashMap::new();
    let mut next = 0;
    // Pipelined a few thousand statements at a time; after a failure the
    // rest of the pipeline fails as "transaction aborted" and is sent again
    // once the failed schema's savepoint is rolled back.
    while next < groups.len() {
        let mut stmts: Vec<(usize, Option<&str>, String)> = Vec::new();
        let mut end = next;
        while end < groups.len() && (end == next || stmts.len() < 4000) {
            let (_, tables) = groups[end];
            stmts.push((end, None, format!("SAVEPOINT {SCOPE_SAVEPOINT}")));
            for t in tables {
                stmts.push((end, Some(t.as_str()), format!("LOCK TABLE {t} IN ACCESS SHARE MODE")));
            }
            stmts.push((end, None, format!("RELEASE SAVEPOINT {SCOPE_SAVEPOINT}")));
            end += 1;
        }
        let outcomes = futures::future::join_all(stmts.iter().map(|(_, _, s)| leader.batch_execute(s))).await;
        let first_failure = stmts.iter().zip(outcomes).find_map(|((g, table, _), o)| o.err().map(|e| (*g, *table, e)));
        match first_failure {
            None => next = end,
            Some((g, table, e)) => {
                let error = ServerError::from(e);
                let failure = match (table, error.is("55P03")) {
                    (Some(t), true) => DumpError::LockTimeout { table: t.to_string(), timeout },
                    (Some(t), false) => DumpError::Server { context: format!("locking table {t}"), error },
                    (None, _) => return Err(DumpError::Server { context: "a savepoint of the shared snapshot".into(), error }),
                };
                leader
                    .batch_execute(&format!("ROLLBACK TO SAVEPOINT {SCOPE_SAVEPOINT}; RELEASE SAVEPOINT {SCOPE_SAVEPOINT}"))
                    .await
                    .map_err(server("rolling back a schema's locks"))?;
                failures.insert(groups[g].0.clone(), failure);
                next = g + 1;
            }
        }
    }
    leader.batch_execute("SET lock_timeout = 0").await.map_err(server("resetting lock_timeout"))?;
    Ok((failures, by_schema.into_iter().collect()))
}

fn lock_ignoring_poison<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The scope of one schema exactly (a quoted pattern keeps case and makes
/// `.`, `*`, `?` literal), narrowed by table patterns.
pub fn schema_scope(schema: &str, include_tables: &[String], exclude_tables: &[String]) -> ScopeSpec {
    ScopeSpec {
        include_schemas: vec![format!("\"{}\"", schema.replace('"', "\"\""))],
        include_tables: include_tables.to_vec(),
        exclude_tables: exclude_tables.to_vec(),
        ..ScopeSpec::default()
    }
}
