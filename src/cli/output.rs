//! What the command line prints that is more than one line of one verb:
//! the progress display, a snapshot's JSON summary (`backup --json`, `show
//! --json`) and the snapshot list (`snapshots`). The list's fields and
//! status are `engine::inspect::summary`'s, the same the service's API
//! returns; sizes are indicatif's `HumanBytes`. Computes nothing of its own
//! and reads no repository.

use anyhow::Result;
use indicatif::HumanBytes;

use crate::engine::inspect;
use crate::repo::{Id, Snapshot};

/// Chooses the progress display: a bar on a terminal, log lines otherwise.
pub fn progress_for_terminal() -> Box<dyn crate::progress::Progress> {
    use std::io::IsTerminal;
    if std::io::stderr().is_terminal() {
        Box::new(crate::progress::Bar::new())
    } else {
        Box::new(crate::progress::LogLines::default())
    }
}

/// The JSON summary of a snapshot, as `backup --json` prints it.
pub fn summary_json(id: &Id, snap: &Snapshot) -> serde_json::Value {
    let t = &snap.totals;
    serde_json::json!({
        "id": id.to_hex(),
        "time_start": snap.time_start, "time_end": snap.time_end,
        "tenant": snap.tenant, "tags": snap.tags, "label": snap.label,
        "database": snap.source.database, "server_version": snap.source.server_version,
        "scope": snap.scope.kind,
        "tables": t.tables, "rows": t.rows, "raw_bytes": t.raw_bytes,
        "new_raw_bytes": t.new_raw_bytes, "new_stored_bytes": t.new_stored_bytes,
        "dedup_raw_bytes": t.dedup_raw_bytes, "compression_ratio": t.compression_ratio(),
        "chunks": t.chunks, "new_chunks": t.new_chunks, "duration_ms": t.duration_ms,
        "warnings": snap.warnings,
        "per_table": snap.tables.iter().map(|x| serde_json::json!({
            "schema": x.schema, "name": x.name, "rows": x.rows, "raw_bytes": x.raw_bytes,
            "new_stored_bytes": x.new_stored_bytes, "parts": x.parts.len(), "duration_ms": x.duration_ms,
            "format": x.format.as_str(),
            "text_reason": x.text_reason,
        })).collect::<Vec<_>>(),
    })
}

/// `pgkeep snapshots`: a table for people, or with `json` the summaries.
pub fn print_snapshot_list(snaps: &[(Id, Snapshot)], json: bool) -> Result<()> {
    let summaries: Vec<inspect::SnapshotSummary> = snaps.iter().map(|(id, s)| inspect::summary(id, s)).collect();
    if json {
        // Through a `Value`, whose keys print sorted.
        println!("{}", serde_json::to_string_pretty(&serde_json::to_value(&summaries)?)?);
        return Ok(());
    }
    println!(
        "{:<10} {:<27} {:<16} {:>7} {:>12} {:>10} {:>10} {:>9}  STATUS",
        "ID", "TIME", "TENANT", "TABLES", "ROWS", "SIZE", "NEW", "DURATION"
    );
    for ((id, _), s) in snaps.iter().zip(&summaries) {
        println!(
            "{:<10} {:<27} {:<16} {:>7} {:>12} {:>10} {:>10} {:>8.1}s  {}",
            id.short(),
            s.time,
            s.tenant.as_deref().unwrap_or("-"),
            s.tables,
            s.rows,
            HumanBytes(s.raw_bytes).to_string(),
            HumanBytes(s.new_stored_bytes).to_string(),
            s.duration_ms as f64 / 1000.0,
            s.status
        );
    }
    Ok(())
}
