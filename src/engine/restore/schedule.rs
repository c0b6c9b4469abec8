//! The restore's data and post-data sections as one schedule over the
//! session pool: table loads, then (as soon as its own tables' data is in)
//! each index and constraint, while bigger tables still load.
//!
//! * A table this restore created is loaded in one transaction that first
//!   truncates it and COPYs with `FREEZE`: with `wal_level = minimal` the
//!   load writes no WAL (as `pg_restore -j` arranges), and at any level the
//!   rows are written frozen, so the restored database needs no
//!   anti-wraparound vacuum and no hint-bit writes on first read. Small
//!   tables skip it (a TRUNCATE makes new files, which costs more than
//!   freezing a few pages saves), and so do parts of one big table loaded
//!   by several sessions at once where that is faster (see
//!   [`PartsPolicy`]).
//! * Indexes, primary keys, unique and foreign keys of a table wait only
//!   for the loads of the tables they name; every other post-data entry
//!   (triggers, rules, policies, materialized view data, CHECK
//!   constraints whose code may read other tables, ...) waits for all data,
//!   the large objects and the data section's entries (the end-of-data
//!   step), as before.
//! * A step that takes a strong lock on a table never starts while another
//!   step on that table runs, so workers do not sit in lock queues and
//!   steps that lock two tables cannot deadlock each other.
//!
//! It schedules and loads; it does not read chunks itself (`repo`) or
//! decide what a statement is (`Plan`, the snapshot's entries).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Mutex;
use std::time::Instant;

use futures::stream::FuturesUnordered;
use futures::StreamExt;
use tokio_postgres::Client;

use super::{stmt_err, RestoreError, Run, TWO_STEP_MIN_BYTES};
use crate::manifest::EntryKind;
use crate::repo::snapshot::{DdlEntry, Section, TableData, TwoStepMethod};
use crate::sql::quote::quote_ident;
use crate::sql::statements;

/// Tables with less data than this load without TRUNCATE and FREEZE.
pub(super) const FREEZE_MIN_BYTES: u64 = 4 << 20;

/// Whether the parts of one split table load from several sessions at once
/// (each part its own transaction, no FREEZE) or one after another in the
/// table's one freezing transaction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PartsPolicy {
    /// Chosen from the target: see [`PartsPolicy::parallel`].
    #[default]
    Auto,
    Parallel,
    OneTransaction,
}

impl PartsPolicy {
    /// Whether a split table's parts load in parallel on a server of
    /// `major` with `wal_level`. With `minimal`, one transaction skips the
    /// WAL of the whole load; otherwise one transaction only freezes, and
    /// a big table loaded by one session is the restore's critical path
    /// (benches/e2e_one_table.sh measures both ways on each major; README
    /// "Speed").
    pub fn parallel(self, _major: u32, wal_level: &str) -> bool {
        match self {
            PartsPolicy::Parallel => true,
            PartsPolicy::OneTransaction => false,
            PartsPolicy::Auto => wal_level != "minimal",
        }
    }
}

/// What a step does.
enum Work<'a> {
    /// A post-data entry's statements (or one of a two-step entry's two).
    Sql(&'a DdlEntry, String),
    /// All of a table's parts, on one session; `fresh`: in one transaction
    /// that first truncates the table, with COPY FREEZE.
    Load { table: &'a TableData, fresh: bool },
    /// One part of a table whose parts load in parallel.
    LoadPart(&'a TableData, usize),
    /// After every load: the large objects, the data section's entries
    /// (sequence values), and forced row security back on.
    EndOfData,
}

/// One step of the schedule.
struct Step<'a> {
    work: Work<'a>,
    /// Steps that must finish first.
    after: Vec<usize>,
    /// Tables (entry ids) it locks, and whether strongly.
    tables: Vec<u32>,
    exclusive: bool,
    weight: u64,
    label: &'static str,
}

/// Post-data kinds that need only their own tables' data: building them
/// runs no code of the tenant's that could read another table.
fn needs_only_own_tables(kind: &EntryKind) -> bool {
    matches!(kind, EntryKind::Index | EntryKind::IndexAttach | EntryKind::Constraint | EntryKind::FkConstraint | EntryKind::Statistics)
}

/// The tables whose data is part of each table's: inheritance children
/// (their entries depend on the parent) and partitions (created on their
/// own, then attached by an entry named like the partition).
fn children_of(ddl: &[DdlEntry]) -> HashMap<u32, Vec<u32>> {
    let by_id: HashMap<u32, &DdlEntry> = ddl.iter().map(|e| (e.id, e)).collect();
    let is_table = |d: &u32| by_id.get(d).is_some_and(|t| t.kind == EntryKind::Table);
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for e in ddl {
        let tables = e.deps.iter().copied().filter(is_table);
        match e.kind {
            EntryKind::Table => tables.for_each(|parent| children.entry(parent).or_default().push(e.id)),
            EntryKind::TableAttach => {
                let (child, parents): (Vec<u32>, Vec<u32>) =
                    tables.partition(|d| by_id.get(d).is_some_and(|t| t.name == e.name && t.schema == e.schema));
                for parent in parents {
                    children.entry(parent).or_default().extend(child.iter().copied());
                }
            }
            _ => {}
        }
    }
    children
}

/// What the target is: decides how tables load.
pub(super) struct Target {
    pub major: u32,
    pub wal_level: String,
    /// Tables (qualified, as the restore names them) that are plain tables
    /// on the target (relkind `r`): only those can be truncated and frozen.
    pub plain_tables: HashSet<String>,
}

impl Run<'_> {
    /// The target's version, `wal_level`, and which of `tables` are plain.
    pub(super) async fn target(&self, client: &Client, tables: &[&TableData]) -> Result<Target, RestoreError> {
        let names: Vec<String> = tables.iter().map(|t| self.plan.qualified_table(t)).collect();
        let row = client
            .query_one(
                "SELECT pg_catalog.current_setting('server_version_num')::pg_catalog.int4 / 10000, \
                        pg_catalog.current_setting('wal_level'), \
                        pg_catalog.array_agg(n.name) FILTER (WHERE c.relkind OPERATOR(pg_catalog.=) 'r') \
                 FROM pg_catalog.unnest($1::pg_catalog.text[]) AS n(name) \
                 LEFT JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) pg_catalog.to_regclass(n.name)",
                &[&names],
            )
            .await
            .map_err(stmt_err("the target's version, wal_level and tables".into()))?;
        let plain: Option<Vec<String>> = row.get(2);
        Ok(Target {
            major: row.get::<_, i32>(0).max(0) as u32,
            wal_level: row.get(1),
            plain_tables: plain.unwrap_or_default().into_iter().collect(),
        })
    }

    /// The steps: loads, the end of data, and post-data.
    fn steps<'s>(&'s self, tables: &[&'s TableData], target: &Target) -> Vec<Step<'s>> {
        let plan = self.plan;
        let two_step = !plan.single;
        // Tables this restore creates (in its pre-data): theirs to truncate.
        let created: HashSet<u32> = if plan.single || plan.opts.data_only {
            HashSet::new()
        } else {
            plan.entries.iter().filter(|e| e.section == Section::PreData && e.kind == EntryKind::Table).map(|e| e.id).collect()
        };
        let parallel_parts = self.clients.len() > 1 && plan.opts.parts.parallel(target.major, &target.wal_level);
        let mut steps: Vec<Step> = Vec::new();
        let mut loads_of: HashMap<u32, Vec<usize>> = HashMap::new();
        for &t in tables {
            let ids: Vec<u32> = t.ddl_entry.into_iter().collect();
            let fresh = t.ddl_entry.is_some_and(|id| created.contains(&id))
                && t.raw_bytes >= plan.opts.freeze_min_bytes.unwrap_or(FREEZE_MIN_BYTES)
                && target.plain_tables.contains(&plan.qualified_table(t));
            let first = steps.len();
            if t.parts.len() > 1 && parallel_parts {
                for i in 0..t.parts.len() {
                    steps.push(Step { work: Work::LoadPart(t, i), after: vec![], tables: ids.clone(), exclusive: false, weight: t.parts[i].raw_bytes, label: "" });
                }
            } else {
                // A TRUNCATE holds the table's strongest lock to the end.
                steps.push(Step { work: Work::Load { table: t, fresh }, after: vec![], tables: ids.clone(), exclusive: fresh, weight: t.raw_bytes, label: "" });
            }
            if let Some(id) = t.ddl_entry {
                loads_of.entry(id).or_default().extend(first..steps.len());
            }
        }
        let all_loads: Vec<usize> = (0..steps.len()).collect();
        let forced: Vec<u32> = self.forced_row_security().into_iter().filter_map(|(id, _)| id).collect();
        steps.push(Step { work: Work::EndOfData, after: all_loads, tables: forced, exclusive: true, weight: 0, label: "end of data" });
        let end_of_data = steps.len() - 1;

        let post: Vec<&DdlEntry> = plan.entries.iter().copied().filter(|e| e.section == Section::PostData).collect();
        let kind_of: HashMap<u32, &EntryKind> = plan.snap.ddl.iter().map(|e| (e.id, &e.kind)).collect();
        let size_of: HashMap<u32, u64> = plan.snap.tables.iter().filter_map(|t| t.ddl_entry.map(|id| (id, t.raw_bytes))).collect();
        // A partitioned (or inheritance) parent's data is in its children:
        // a step on the parent waits for their loads too.
        let children_of = children_of(&plan.snap.ddl);
        let with_descendants = |tables: &[u32]| -> BTreeSet<u32> {
            let mut all: BTreeSet<u32> = BTreeSet::new();
            let mut todo: Vec<u32> = tables.to_vec();
            while let Some(t) = todo.pop() {
                if all.insert(t) {
                    todo.extend(children_of.get(&t).into_iter().flatten().copied());
                }
            }
            all
        };
        let mut last_step: HashMap<u32, usize> = HashMap::new();
        let mut attaches: Vec<usize> = Vec::new();
        let mut foreign_keys: Vec<usize> = Vec::new();
        for e in &post {
            let tables: Vec<u32> = e.deps.iter().copied().filter(|d| kind_of.get(d) == Some(&&EntryKind::Table)).collect();
            let weight = tables.iter().map(|t| size_of.get(t).copied().unwrap_or(0)).max().unwrap_or(0);
            let mut after: Vec<usize> = e.deps.iter().filter_map(|d| last_step.get(d).copied()).collect();
            if needs_only_own_tables(&e.kind) {
                after.extend(with_descendants(&tables).iter().filter_map(|t| loads_of.get(t)).flatten().copied());
            } else {
                after.push(end_of_data);
            }
            // On a small table the second statement costs more than the
            // parallelism gains.
            let split = e
                .two_step
                .as_ref()
                .filter(|t| two_step && weight >= plan.opts.two_step_min_bytes.unwrap_or(TWO_STEP_MIN_BYTES) && t.method != TwoStepMethod::Unknown);
            match split {
                Some(ts) => {
                    let strip = |s: &str| self.mapped(e, statements::strip(s, plan.opts.no_owner, plan.opts.no_acl));
                    let shared_first = ts.method == TwoStepMethod::UniqueIndex;
                    steps.push(Step { work: Work::Sql(e, strip(&ts.first)), after, tables: tables.clone(), exclusive: !shared_first, weight, label: if shared_first { "unique index" } else { "foreign key (not valid)" } });
                    let a = steps.len() - 1;
                    steps.push(Step { work: Work::Sql(e, strip(&ts.second)), after: vec![a], tables, exclusive: true, weight, label: if shared_first { "attach constraint" } else { "validate" } });
                }
                None => {
                    let exclusive = e.kind != EntryKind::Index;
                    let mut sql = self.entry_sql(e);
                    // Validating a CHECK constraint runs its code on every
                    // row: as the table's owner. (Index builds, foreign key
                    // checks and refreshes already run as the owner in
                    // the server.)
                    if e.kind == EntryKind::CheckConstraint {
                        if let Some(r) = self.load_role(Some(e.id)) {
                            sql = format!("SET ROLE {};\n{sql}RESET ROLE;\n", quote_ident(r));
                        }
                    }
                    steps.push(Step { work: Work::Sql(e, sql), after, tables, exclusive, weight, label: "" });
                }
            }
            last_step.insert(e.id, steps.len() - 1);
            match e.kind {
                EntryKind::IndexAttach => attaches.push(steps.len() - 1),
                EntryKind::FkConstraint => foreign_keys.push(steps.len() - 1),
                _ => {}
            }
        }
        // A partitioned table's unique index is valid, and so can be
        // referenced by a foreign key, only once every partition's index
        // is attached: foreign keys wait for all attaches (cheap steps
        // right after the partitions' own index builds).
        if !attaches.is_empty() {
            for &f in &foreign_keys {
                let first = match &steps[f].work {
                    Work::Sql(..) if steps[f].label == "validate" => f - 1,
                    _ => f,
                };
                steps[first].after.extend(attaches.iter().copied().filter(|&a| a < first || a > f));
            }
        }
        steps
    }

    /// Load `tables` and run post-data, each step on the first free session
    /// once what it waits for is done. Returns (tables, rows, bytes).
    pub(super) async fn data_and_post_data(&self, tables: &[&TableData]) -> Result<(u64, u64, u64), RestoreError> {
        let target = self.target(&self.clients[0], tables).await?;
        let steps = self.steps(tables, &target);
        let parts: u64 = tables.iter().map(|t| t.parts.len() as u64).sum();
        self.progress.plan(parts, tables.iter().map(|t| t.raw_bytes).sum());
        let mut loads_left = steps.iter().filter(|s| matches!(s.work, Work::Load { .. } | Work::LoadPart(..))).count();
        if loads_left == 0 {
            self.progress.phase("post-data");
        }
        let totals = Mutex::new((0u64, 0u64));

        let mut waiting: Vec<usize> = steps.iter().map(|s| s.after.len()).collect();
        let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); steps.len()];
        for (i, s) in steps.iter().enumerate() {
            for &a in &s.after {
                dependents[a].push(i);
            }
        }
        let rank = |s: &Step| -> (u8, std::cmp::Reverse<u64>) {
            // Loads and index builds biggest first, so the pool is never
            // left with one huge table or index at the end; short
            // strong-lock steps as soon as ready; validations last.
            match s.work {
                Work::Load { .. } | Work::LoadPart(..) => (1, std::cmp::Reverse(s.weight)),
                _ if !s.exclusive => (1, std::cmp::Reverse(s.weight)),
                _ if s.label == "validate" => (2, std::cmp::Reverse(s.weight)),
                _ => (0, std::cmp::Reverse(0)),
            }
        };
        let mut ready: BTreeSet<(u8, std::cmp::Reverse<u64>, usize)> = BTreeSet::new();
        for (i, s) in steps.iter().enumerate() {
            if waiting[i] == 0 {
                let (a, b) = rank(s);
                ready.insert((a, b, i));
            }
        }
        let mut free: Vec<usize> = (0..self.clients.len()).rev().collect();
        // Per table: steps running with a shared lock, or one exclusive.
        let mut shared: HashMap<u32, usize> = HashMap::new();
        let mut exclusive: HashSet<u32> = HashSet::new();
        let mut running = FuturesUnordered::new();
        let mut done = 0usize;
        while done < steps.len() {
            // Start every ready step that can run without waiting on a lock.
            let mut started = Vec::new();
            for &(a, b, i) in ready.iter() {
                if free.is_empty() {
                    break;
                }
                let s = &steps[i];
                let blocked = s.tables.iter().any(|t| exclusive.contains(t) || (s.exclusive && shared.get(t).copied().unwrap_or(0) > 0));
                if blocked {
                    continue;
                }
                for t in &s.tables {
                    if s.exclusive {
                        exclusive.insert(*t);
                    } else {
                        *shared.entry(*t).or_insert(0) += 1;
                    }
                }
                let c = free.pop().unwrap_or(0);
                started.push((a, b, i));
                let client = &self.clients[c];
                let totals = &totals;
                running.push(async move {
                    let t0 = Instant::now();
                    let r = self.run_step(client, s, totals).await;
                    tracing::debug!(session = c, ms = t0.elapsed().as_secs_f64() * 1000.0, "step {i}");
                    (i, c, r)
                });
            }
            for k in started {
                ready.remove(&k);
            }
            let Some((i, c, outcome)) = running.next().await else {
                // Nothing runs and nothing can start: a dependency loop.
                return Err(RestoreError::InconsistentDependencies { left: steps.len() - done });
            };
            outcome?;
            done += 1;
            free.push(c);
            let s = &steps[i];
            if matches!(s.work, Work::Load { .. } | Work::LoadPart(..)) {
                loads_left -= 1;
                if loads_left == 0 {
                    self.progress.phase("post-data");
                }
            }
            for t in &s.tables {
                if s.exclusive {
                    exclusive.remove(t);
                } else if let Some(n) = shared.get_mut(t) {
                    *n -= 1;
                }
            }
            for &d in &dependents[i] {
                waiting[d] -= 1;
                if waiting[d] == 0 {
                    let (a, b) = rank(&steps[d]);
                    ready.insert((a, b, d));
                }
            }
        }
        let (rows, bytes) = *totals.lock().unwrap_or_else(|p| p.into_inner());
        Ok((tables.len() as u64, rows, bytes))
    }

    async fn run_step(&self, client: &Client, s: &Step<'_>, totals: &Mutex<(u64, u64)>) -> Result<(), RestoreError> {
        let plan = self.plan;
        let count = |rows: u64, bytes: u64| {
            let mut t = totals.lock().unwrap_or_else(|p| p.into_inner());
            t.0 += rows;
            t.1 += bytes;
        };
        match &s.work {
            Work::Sql(e, sql) => {
                let object = if s.label.is_empty() { plan.describe(e) } else { format!("{} ({})", plan.describe(e), s.label) };
                self.run_entry(client, e, object, sql).await
            }
            Work::Load { table, fresh } => match self.load_table(client, table, *fresh).await {
                Ok(rows) => {
                    count(rows, table.raw_bytes);
                    Ok(())
                }
                Err(e) => self.failed(e),
            },
            Work::LoadPart(t, i) => match self.copy_part(client, t, *i, false).await {
                Ok(rows) => {
                    count(rows, t.parts[*i].raw_bytes);
                    Ok(())
                }
                Err(e) => self.failed(e),
            },
            Work::EndOfData => self.end_of_data(client, totals).await,
        }
    }

    /// A table's parts one after another; `fresh` (a table this restore
    /// created): in one transaction that first truncates it, each COPY
    /// with FREEZE. A failure rolls the whole table back.
    async fn load_table(&self, client: &Client, t: &TableData, fresh: bool) -> Result<u64, RestoreError> {
        let mut rows = 0;
        if !fresh {
            for i in 0..t.parts.len() {
                rows += self.copy_part(client, t, i, false).await?;
            }
            return Ok(rows);
        }
        let table = self.plan.qualified_table(t);
        let failed = |during: &str, e: tokio_postgres::Error| RestoreError::DataFailed {
            table: table.clone(),
            part: String::new(),
            during: during.to_string(),
            error: e.into(),
        };
        client
            .batch_execute(&format!("BEGIN; TRUNCATE ONLY {table};"))
            .await
            .map_err(|e| failed("truncating the new table before its load: ", e))?;
        for i in 0..t.parts.len() {
            match self.copy_part(client, t, i, true).await {
                Ok(n) => rows += n,
                Err(e) => {
                    let _ = client.batch_execute("ROLLBACK").await;
                    return Err(e);
                }
            }
        }
        client.batch_execute("COMMIT").await.map_err(|e| failed("committing the load: ", e))?;
        Ok(rows)
    }

    /// Large objects, the data section's entries, and forced row security
    /// back on: once every table is loaded.
    async fn end_of_data(&self, client: &Client, totals: &Mutex<(u64, u64)>) -> Result<(), RestoreError> {
        let plan = self.plan;
        if let Some(lo) = plan.large_objects() {
            self.progress.phase("large objects");
            let bytes = self.large_objects(client, lo).await?;
            totals.lock().unwrap_or_else(|p| p.into_inner()).1 += bytes;
        }
        for (_, t) in self.forced_row_security() {
            self.exec(client, format!("TABLE {t} (row security back on)"), &format!("ALTER TABLE {t} FORCE ROW LEVEL SECURITY;")).await?;
        }
        for e in plan.entries.iter().filter(|e| e.section == Section::Data) {
            self.run_entry(client, e, plan.describe(e), &self.entry_sql(e)).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: u32, kind: EntryKind, name: &str, deps: &[u32]) -> DdlEntry {
        DdlEntry { id, kind, schema: Some("s".into()), name: name.into(), deps: deps.to_vec(), ..DdlEntry::default() }
    }

    /// A partitioned table's data is in its partitions, at any depth, and
    /// an inheritance parent's children hold rows of it too: a step on
    /// the parent must wait for all of their loads.
    #[test]
    fn partitions_and_inheritance_children_are_a_tables_children() {
        let ddl = vec![
            entry(1, EntryKind::Table, "events", &[]),
            entry(2, EntryKind::Table, "events_2023", &[]),
            entry(3, EntryKind::Table, "events_2024", &[]),
            entry(4, EntryKind::Table, "events_2024_a", &[]),
            // ATTACH PARTITION entries, named like the partition; the
            // order of their dependencies says nothing.
            entry(5, EntryKind::TableAttach, "events_2023", &[1, 2]),
            entry(6, EntryKind::TableAttach, "events_2024", &[3, 1]),
            entry(7, EntryKind::TableAttach, "events_2024_a", &[4, 3]),
            entry(8, EntryKind::Table, "animals", &[]),
            entry(9, EntryKind::Table, "birds", &[8]),
            entry(10, EntryKind::Index, "events_2023_idx", &[2]),
        ];
        let mut children = children_of(&ddl);
        children.values_mut().for_each(|v| v.sort_unstable());
        assert_eq!(children.get(&1), Some(&vec![2, 3]));
        assert_eq!(children.get(&3), Some(&vec![4]));
        assert_eq!(children.get(&8), Some(&vec![9]));
        assert_eq!(children.get(&2), None, "a partition is nobody's parent");
        assert_eq!(children.len(), 3);
    }
}
