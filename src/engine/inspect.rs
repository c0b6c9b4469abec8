//! Looking inside snapshots without a server: the line a list of
//! snapshots shows of each (`summary`, shared by `pgkeep snapshots` and the
//! service's API), one snapshot's tables (`show`) and what changed between
//! two (`diff`). Reads manifests only; formats nothing for a terminal.

use std::collections::BTreeMap;

use crate::manifest::Timestamp;
use crate::repo::{Id, Snapshot};

/// The tag of snapshots kept out of retention until deleted (the
/// service's restore points).
pub const RESTORE_POINT_TAG: &str = "restore-point";

/// What a list of snapshots says of one, without its tables: `pgkeep
/// snapshots --json` prints these, the service keeps them in memory and
/// its API returns them.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SnapshotSummary {
    pub id: String,
    pub tenant: Option<String>,
    pub time: Timestamp,
    pub time_end: Timestamp,
    pub tags: Vec<String>,
    pub label: Option<String>,
    pub tables: u64,
    pub rows: u64,
    pub raw_bytes: u64,
    pub new_stored_bytes: u64,
    pub duration_ms: u64,
    /// See [`status`].
    pub status: &'static str,
}

pub fn summary(id: &Id, s: &Snapshot) -> SnapshotSummary {
    SnapshotSummary {
        id: id.to_hex(),
        tenant: s.tenant.clone(),
        time: s.time_start,
        time_end: s.time_end,
        tags: s.tags.clone(),
        label: s.label.clone(),
        tables: s.totals.tables,
        rows: s.totals.rows,
        raw_bytes: s.totals.raw_bytes,
        new_stored_bytes: s.totals.new_stored_bytes,
        duration_ms: s.totals.duration_ms,
        status: status(s),
    }
}

/// A listed snapshot's status. Only complete backups are ever written (a
/// failed one leaves no manifest), so it says what the snapshot covers and
/// whether retention keeps it.
///
/// The command line used to say only the first (schema only, data only)
/// and the service only the second (restore point). This is the CLI's
/// rule, the stricter one — a schema-only snapshot restores no rows, and
/// whoever picks a snapshot from a list must see that — with the
/// service's restore point added after it, so neither front end says less
/// than it did.
pub fn status(s: &Snapshot) -> &'static str {
    let restore_point = s.tags.iter().any(|t| t == RESTORE_POINT_TAG);
    match (s.scope.schema_only, s.scope.data_only, restore_point) {
        (true, _, false) => "complete, schema only",
        (true, _, true) => "complete, schema only, restore point",
        (_, true, false) => "complete, data only",
        (_, true, true) => "complete, data only, restore point",
        (_, _, false) => "complete",
        (_, _, true) => "complete, restore point",
    }
}

/// One table of `show`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct TableLine {
    pub table: String,
    pub rows: u64,
    pub raw_bytes: u64,
    pub new_stored_bytes: u64,
    /// Raw bytes over the bytes this snapshot stored for the table (new
    /// chunks only; deduplicated data costs nothing).
    pub ratio: Option<f64>,
    pub parts: usize,
    pub format: String,
    pub duration_ms: u64,
}

pub fn show(snap: &Snapshot) -> Vec<TableLine> {
    snap.tables
        .iter()
        .map(|t| TableLine {
            table: Snapshot::describe_table(t),
            rows: t.rows,
            raw_bytes: t.raw_bytes,
            new_stored_bytes: t.new_stored_bytes,
            ratio: (t.new_stored_bytes > 0).then(|| t.raw_bytes as f64 / t.new_stored_bytes as f64),
            parts: t.parts.len(),
            format: t.format.as_str().into(),
            duration_ms: t.duration_ms,
        })
        .collect()
}

/// How one table differs between two snapshots.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum TableChange {
    Added { rows: u64, raw_bytes: u64 },
    Removed { rows: u64, raw_bytes: u64 },
    Changed { rows_before: u64, rows_after: u64, raw_bytes_before: u64, raw_bytes_after: u64, new_stored_bytes: u64 },
}

#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Diff {
    pub tables: BTreeMap<String, TableChange>,
    pub unchanged: usize,
    /// Bytes the second snapshot had to store anew.
    pub new_stored_bytes: u64,
    pub ddl_added: Vec<String>,
    pub ddl_removed: Vec<String>,
    pub ddl_changed: Vec<String>,
}

/// What changed from `a` to `b`. A table is changed when its data's chunks
/// differ (so equal bytes are unchanged even if stored twice).
pub fn diff(a: &Snapshot, b: &Snapshot) -> Diff {
    let index = |s: &Snapshot| -> BTreeMap<String, usize> {
        s.tables.iter().enumerate().map(|(i, t)| (Snapshot::describe_table(t), i)).collect()
    };
    let (ia, ib) = (index(a), index(b));
    let mut d = Diff { new_stored_bytes: b.totals.new_stored_bytes, ..Diff::default() };
    for (name, &i) in &ia {
        let ta = &a.tables[i];
        match ib.get(name) {
            None => {
                d.tables.insert(name.clone(), TableChange::Removed { rows: ta.rows, raw_bytes: ta.raw_bytes });
            }
            Some(&j) => {
                let tb = &b.tables[j];
                let chunks = |t: &crate::repo::snapshot::TableData| t.parts.iter().flat_map(|p| p.chunks.iter().copied()).collect::<Vec<_>>();
                if chunks(ta) == chunks(tb) && ta.rows == tb.rows {
                    d.unchanged += 1;
                } else {
                    d.tables.insert(
                        name.clone(),
                        TableChange::Changed {
                            rows_before: ta.rows,
                            rows_after: tb.rows,
                            raw_bytes_before: ta.raw_bytes,
                            raw_bytes_after: tb.raw_bytes,
                            new_stored_bytes: tb.new_stored_bytes,
                        },
                    );
                }
            }
        }
    }
    for (name, &j) in &ib {
        if !ia.contains_key(name) {
            let tb = &b.tables[j];
            d.tables.insert(name.clone(), TableChange::Added { rows: tb.rows, raw_bytes: tb.raw_bytes });
        }
    }
    let key = |e: &crate::repo::snapshot::DdlEntry| format!("{} {}{}", e.kind, e.schema.as_deref().map(|s| format!("{s}.")).unwrap_or_default(), e.name);
    let da: BTreeMap<String, &str> = a.ddl.iter().map(|e| (key(e), e.create_sql.as_str())).collect();
    let db: BTreeMap<String, &str> = b.ddl.iter().map(|e| (key(e), e.create_sql.as_str())).collect();
    for (k, sql) in &da {
        match db.get(k) {
            None => d.ddl_removed.push(k.clone()),
            Some(other) if other != sql => d.ddl_changed.push(k.clone()),
            _ => {}
        }
    }
    d.ddl_added = db.keys().filter(|k| !da.contains_key(*k)).cloned().collect();
    d
}
