//! Proving snapshots restorable without a server.
//!
//! Structural checks: the manifest decodes, every chunk it names is in the
//! index, every table's DDL entry is there, part row counts add up. With
//! `read_data`: every chunk is read, decompressed and re-hashed (the
//! reader does that), and every table stream is parsed end to end: field
//! count equal to the table's column count on every row, values of
//! fixed-size types of the right length, the row count equal to the
//! manifest's, and the stream ending with its trailer.
//!
//! It reports per table and never writes to the repository.

use std::collections::HashSet;
use std::sync::Mutex;

use crate::copy::binary::BinaryFraming;
use crate::copy::{RowCounter, TextRows};
use crate::repo::snapshot::{CopyFormat, LargeObjects, TableData, Timestamp};
use crate::repo::{Id, IndexedRepository, RepoError, Repository, Snapshot};

#[derive(Clone, Debug)]
pub struct VerifyOptions {
    pub read_data: bool,
    /// Threads reading table streams at once.
    pub threads: usize,
}

#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct TableReport {
    pub table: String,
    pub parts: usize,
    pub rows_expected: u64,
    /// Rows found by parsing (with `read_data`).
    pub rows_read: Option<u64>,
    pub bytes_read: u64,
    pub problems: Vec<String>,
}

#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct SnapshotReport {
    pub id: String,
    pub tenant: Option<String>,
    pub time: Timestamp,
    pub problems: Vec<String>,
    pub tables: Vec<TableReport>,
}

impl SnapshotReport {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty() && self.tables.iter().all(|t| t.problems.is_empty())
    }
}

#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct VerifyReport {
    pub snapshots: Vec<SnapshotReport>,
    pub read_data: bool,
    pub bytes_read: u64,
}

impl VerifyReport {
    pub fn is_ok(&self) -> bool {
        self.snapshots.iter().all(SnapshotReport::is_ok)
    }
}

/// The exact length of a non-NULL binary value of a built-in type with a
/// fixed-size send format, by type oid.
pub fn fixed_binary_length(type_oid: u32) -> Option<u32> {
    Some(match type_oid {
        16 => 1,           // bool
        18 => 1,           // "char"
        20 => 8,           // int8
        21 => 2,           // int2
        23 => 4,           // int4
        26 => 4,           // oid
        700 => 4,          // float4
        701 => 8,          // float8
        790 => 8,          // money
        829 => 6,          // macaddr
        774 => 8,          // macaddr8
        1082 => 4,         // date
        1083 => 8,         // time
        1114 | 1184 => 8,  // timestamp, timestamptz
        1186 => 16,        // interval
        1266 => 12,        // timetz
        2950 => 16,        // uuid
        600 => 16,         // point
        _ => return None,
    })
}

/// Verify the snapshots `ids`.
pub fn verify(repo: &Repository, ids: &[Id], opts: &VerifyOptions) -> Result<VerifyReport, RepoError> {
    let indexed = repo.load_index()?;
    let mut report = VerifyReport { read_data: opts.read_data, ..VerifyReport::default() };
    for id in ids {
        let mut sr = SnapshotReport { id: id.to_hex(), ..SnapshotReport::default() };
        let snap = match repo.load_snapshot(id) {
            Ok(s) => s,
            Err(e) => {
                sr.problems.push(e.to_string());
                report.snapshots.push(sr);
                continue;
            }
        };
        sr.tenant = snap.tenant.clone();
        sr.time = snap.time_start;
        sr.problems.extend(structure(&snap));
        sr.tables = snap.tables.iter().map(|t| table_structure(&indexed, t)).collect();
        if opts.read_data {
            read_tables(&indexed, &snap, &mut sr.tables, opts.threads.max(1));
        }
        report.bytes_read += sr.tables.iter().map(|t| t.bytes_read).sum::<u64>();
        if let Some(lo) = &snap.large_objects {
            let (problems, read) = large_objects(&indexed, lo, opts.read_data);
            sr.problems.extend(problems);
            report.bytes_read += read;
        }
        report.snapshots.push(sr);
    }
    Ok(report)
}

/// The large objects' stream: lengths add up, every chunk is indexed, and
/// with `read_data` every chunk reads back (hash-checked) to exactly that
/// length. Returns the problems and the bytes read.
fn large_objects(indexed: &IndexedRepository, lo: &LargeObjects, read_data: bool) -> (Vec<String>, u64) {
    let mut problems = Vec::new();
    let sum: u64 = lo.objects.iter().map(|o| o.bytes).sum();
    if sum != lo.raw_bytes {
        problems.push(format!("large objects: their lengths add up to {sum} bytes, the stream records {}", lo.raw_bytes));
    }
    if let Some(c) = lo.chunks.iter().find(|c| indexed.index.get(c).is_none()) {
        problems.push(format!("large objects: chunk {c} is not in the index"));
        return (problems, 0);
    }
    if !read_data {
        return (problems, 0);
    }
    let mut reader = indexed.read_stream(lo.chunks.clone(), "the large objects");
    match std::io::copy(&mut reader, &mut std::io::sink()) {
        Ok(n) if n == lo.raw_bytes => (problems, n),
        Ok(n) => {
            problems.push(format!("large objects: the stream holds {n} bytes, the manifest records {}", lo.raw_bytes));
            (problems, n)
        }
        Err(e) => {
            problems.push(format!("large objects: {e}"));
            (problems, 0)
        }
    }
}

/// Manifest-level consistency.
fn structure(snap: &Snapshot) -> Vec<String> {
    let mut problems = Vec::new();
    let ids: HashSet<u32> = snap.ddl.iter().map(|e| e.id).collect();
    if ids.len() != snap.ddl.len() {
        problems.push("two DDL entries share an id".to_string());
    }
    if !snap.scope.data_only {
        for t in &snap.tables {
            match t.ddl_entry {
                Some(e) if ids.contains(&e) => {}
                Some(e) => problems.push(format!("table {}: its DDL entry {e} is missing", Snapshot::describe_table(t))),
                None => problems.push(format!("table {}: no DDL entry creates it", Snapshot::describe_table(t))),
            }
        }
    }
    let rows: u64 = snap.tables.iter().map(|t| t.rows).sum();
    if rows != snap.totals.rows {
        problems.push(format!("the totals say {} rows, the tables hold {rows}", snap.totals.rows));
    }
    problems
}

fn table_structure(indexed: &IndexedRepository, t: &TableData) -> TableReport {
    let mut r = TableReport {
        table: Snapshot::describe_table(t),
        parts: t.parts.len(),
        rows_expected: t.rows,
        ..TableReport::default()
    };
    let part_rows: u64 = t.parts.iter().map(|p| p.rows).sum();
    if part_rows != t.rows {
        r.problems.push(format!("its parts hold {part_rows} rows, the table says {}", t.rows));
    }
    for (i, p) in t.parts.iter().enumerate() {
        let missing: Vec<&Id> = p.chunks.iter().filter(|c| indexed.index.get(c).is_none()).collect();
        if let Some(c) = missing.first() {
            r.problems.push(format!("part {i}: {} chunk(s) not in the index, first {}", missing.len(), c.short()));
        }
    }
    r
}

/// Read and parse every part of every table, `threads` parts at a time
/// (a big table split into parts is read by all threads at once).
fn read_tables(indexed: &IndexedRepository, snap: &Snapshot, reports: &mut [TableReport], threads: usize) {
    // Largest parts first, so one big part does not finish alone at the end.
    let mut work: Vec<(usize, usize)> = snap
        .tables
        .iter()
        .enumerate()
        .flat_map(|(t, table)| (0..table.parts.len()).map(move |p| (t, p)))
        .collect();
    work.sort_by_key(|&(t, p)| std::cmp::Reverse(snap.tables[t].parts[p].raw_bytes));
    let next = Mutex::new(0usize);
    let results: Mutex<Vec<PartOutcome>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..threads.min(work.len().max(1)) {
            s.spawn(|| loop {
                let i = {
                    let mut n = next.lock().unwrap_or_else(|e| e.into_inner());
                    let i = *n;
                    *n += 1;
                    i
                };
                let Some(&(t, p)) = work.get(i) else { return };
                let outcome = read_part(indexed, snap, t, p);
                results.lock().unwrap_or_else(|e| e.into_inner()).push(outcome);
            });
        }
    });
    let mut outcomes = results.into_inner().unwrap_or_else(|e| e.into_inner());
    outcomes.sort_by_key(|o| (o.table, o.part));
    for r in reports.iter_mut() {
        r.rows_read = Some(0);
    }
    for o in outcomes {
        let r = &mut reports[o.table];
        r.rows_read = Some(r.rows_read.unwrap_or(0) + o.rows);
        r.bytes_read += o.bytes;
        r.problems.extend(o.problems);
    }
}

struct PartOutcome {
    table: usize,
    part: usize,
    rows: u64,
    bytes: u64,
    problems: Vec<String>,
}

fn read_part(indexed: &IndexedRepository, snap: &Snapshot, table: usize, i: usize) -> PartOutcome {
    let t = &snap.tables[table];
    let p = &t.parts[i];
    let mut problems = Vec::new();
    let mut counter = match t.format {
        CopyFormat::Binary => RowCounter::Binary(
            BinaryFraming::new(u16::try_from(t.columns.len()).ok())
                .with_fixed_lengths(t.columns.iter().map(|c| fixed_binary_length(c.type_oid)).collect()),
        ),
        CopyFormat::Text => RowCounter::Text(TextRows::default()),
    };
    let mut reader = indexed.read_stream(p.chunks.clone(), format!("table {} part {i}", Snapshot::describe_table(t)));
    let mut bytes = 0u64;
    // Chunk by chunk, as the reader verified them: no copy into a buffer.
    let outcome: Result<u64, String> = loop {
        match reader.next_chunk() {
            Ok(None) => break counter.finish().map_err(|e| e.to_string()),
            Ok(Some(chunk)) => {
                bytes += chunk.len() as u64;
                if let Err(e) = counter.feed(&chunk) {
                    break Err(e.to_string());
                }
            }
            Err(e) => break Err(e.to_string()),
        }
    };
    let mut rows = 0;
    match outcome {
        Ok(n) => {
            rows = n;
            if n != p.rows {
                problems.push(format!("part {i}: {n} rows in the data, the manifest says {}", p.rows));
            }
            if bytes != p.raw_bytes {
                problems.push(format!("part {i}: {bytes} bytes of data, the manifest says {}", p.raw_bytes));
            }
        }
        Err(e) => problems.push(format!("part {i}: {e}")),
    }
    PartOutcome { table, part: i, rows, bytes, problems }
}
