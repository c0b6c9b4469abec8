//! The verbs that read snapshots without a server: `show`, `diff`,
//! `verify`, `export`. Each resolves its snapshots, calls an engine
//! (`engine::inspect`, `engine::verify`, `engine::export`) and prints the
//! report; what a snapshot's JSON summary holds is `output`'s.

use anyhow::{Context, Result};

use super::args::{DiffArgs, ExportArgs, ShowArgs, VerifyArgs};
use super::output;
use crate::repo::{Id, Repository};

pub fn show(args: ShowArgs) -> Result<i32> {
    let ShowArgs { repo, snapshot, tenant, json } = args;
    let r = Repository::open_at(&repo.repo)?;
    let id = r.resolve_snapshot(&snapshot, tenant.as_deref())?;
    let snap = r.load_snapshot(&id)?;
    let lines = crate::engine::inspect::show(&snap);
    let blobs = snap.large_objects.as_ref().map(|l| serde_json::json!({"count": l.objects.len(), "raw_bytes": l.raw_bytes, "new_stored_bytes": l.new_stored_bytes, "chunks": l.chunks.len()}));
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"summary": output::summary_json(&id, &snap), "tables": lines, "large_objects": blobs, "warnings": snap.warnings}))?
        );
        return Ok(0);
    }
    println!(
        "snapshot {} of {} (PostgreSQL {}), {} to {}, tenant {}, scope {}",
        id.short(), snap.source.database, snap.source.server_version, snap.time_start, snap.time_end,
        snap.tenant.as_deref().unwrap_or("-"), snap.scope.kind
    );
    println!("{:<40} {:>12} {:>14} {:>14} {:>7} {:>5} {:>7}", "TABLE", "ROWS", "RAW BYTES", "NEW STORED", "RATIO", "PARTS", "FORMAT");
    for l in &lines {
        println!(
            "{:<40} {:>12} {:>14} {:>14} {:>7} {:>5} {:>7}",
            l.table, l.rows, l.raw_bytes, l.new_stored_bytes,
            l.ratio.map(|r| format!("{r:.1}x")).unwrap_or_else(|| "dedup".into()), l.parts, l.format
        );
    }
    let t = &snap.totals;
    println!(
        "total: {} tables, {} rows, {} bytes read, {} new bytes stored ({:.1}x), {} bytes deduplicated, {:.1}s",
        t.tables, t.rows, t.raw_bytes, t.new_stored_bytes, t.compression_ratio(), t.dedup_raw_bytes, t.duration_ms as f64 / 1000.0
    );
    if let Some(l) = &snap.large_objects {
        println!("large objects: {} ({} bytes, {} new bytes stored, {} chunks)", l.objects.len(), l.raw_bytes, l.new_stored_bytes, l.chunks.len());
    }
    for w in &snap.warnings {
        println!("warning: {w}");
    }
    Ok(0)
}

pub fn diff(args: DiffArgs) -> Result<i32> {
    let DiffArgs { repo, from, to, json } = args;
    let r = Repository::open_at(&repo.repo)?;
    let (ia, ib) = (r.resolve_snapshot(&from, None)?, r.resolve_snapshot(&to, None)?);
    let d = crate::engine::inspect::diff(&r.load_snapshot(&ia)?, &r.load_snapshot(&ib)?);
    if json {
        println!("{}", serde_json::to_string_pretty(&d)?);
        return Ok(0);
    }
    use crate::engine::inspect::TableChange;
    for (t, c) in &d.tables {
        match c {
            TableChange::Added { rows, raw_bytes } => println!("+ table {t}: {rows} rows, {raw_bytes} bytes"),
            TableChange::Removed { rows, raw_bytes } => println!("- table {t}: {rows} rows, {raw_bytes} bytes"),
            TableChange::Changed { rows_before, rows_after, raw_bytes_before, raw_bytes_after, new_stored_bytes } => println!(
                "~ table {t}: rows {rows_before} -> {rows_after} ({:+}), bytes {raw_bytes_before} -> {raw_bytes_after}, {new_stored_bytes} bytes stored anew",
                *rows_after as i128 - *rows_before as i128
            ),
        }
    }
    for k in &d.ddl_added { println!("+ {k}"); }
    for k in &d.ddl_removed { println!("- {k}"); }
    for k in &d.ddl_changed { println!("~ {k}"); }
    println!(
        "{} tables changed, {} unchanged; {} DDL entries added, {} removed, {} changed; {} bytes stored anew by {}",
        d.tables.len(), d.unchanged, d.ddl_added.len(), d.ddl_removed.len(), d.ddl_changed.len(), d.new_stored_bytes, ib.short()
    );
    Ok(0)
}

pub fn verify(args: VerifyArgs) -> Result<i32> {
    let VerifyArgs { repo, snapshots, all, latest, tenant, read_data, jobs, json } = args;
    let r = Repository::open_at(&repo.repo)?;
    let ids: Vec<Id> = if latest {
        vec![r.resolve_snapshot("latest", tenant.as_deref())?]
    } else if snapshots.is_empty() || all {
        r.snapshots()?
            .into_iter()
            .filter(|(_, s)| tenant.is_none() || s.tenant == tenant)
            .map(|(id, _)| id)
            .collect()
    } else {
        snapshots.iter().map(|s| r.resolve_snapshot(s, tenant.as_deref())).collect::<Result<_, _>>()?
    };
    let rep = crate::engine::verify::verify(&r, &ids, &crate::engine::verify::VerifyOptions { read_data, threads: jobs })?;
    if json {
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({"ok": rep.is_ok(), "report": rep}))?);
    } else {
        for s in &rep.snapshots {
            for p in &s.problems {
                println!("snapshot {}: error: {p}", &s.id[..8]);
            }
            for t in &s.tables {
                for p in &t.problems {
                    println!("snapshot {}: table {}: error: {p}", &s.id[..8], t.table);
                }
            }
            let tables = s.tables.len();
            let rows: u64 = s.tables.iter().map(|t| t.rows_read.unwrap_or(t.rows_expected)).sum();
            println!(
                "snapshot {} {} {}: {} tables, {} rows{}: {}",
                &s.id[..8],
                s.time,
                s.tenant.as_deref().unwrap_or("-"),
                tables,
                rows,
                if read_data { " read and parsed" } else { "" },
                if s.is_ok() { "ok" } else { "FAILED" }
            );
        }
        println!(
            "verified {} snapshots{}: {}",
            rep.snapshots.len(),
            if read_data { format!(", {} bytes of table data read", rep.bytes_read) } else { String::new() },
            if rep.is_ok() { "all well".to_string() } else { format!("{} failed", rep.snapshots.iter().filter(|s| !s.is_ok()).count()) }
        );
    }
    Ok(if rep.is_ok() { 0 } else { 1 })
}

pub fn export(args: ExportArgs) -> Result<i32> {
    let ExportArgs { repo, snapshot, table, format, output, timezone, header, tenant } = args;
    let r = Repository::open_at(&repo.repo)?;
    let id = r.resolve_snapshot(&snapshot, tenant.as_deref())?;
    let snap = r.load_snapshot(&id)?;
    let t = crate::engine::export::find_table(&snap, &table).with_context(|| format!("snapshot {}", id.short()))?;
    let indexed = r.load_index()?;
    let opts = crate::engine::export::ExportOptions { format, timezone, header };
    let mut warn = |m: String| eprintln!("warning: {m}");
    let stats = match output {
        None => crate::engine::export::export(&indexed, t, &opts, &mut std::io::stdout().lock(), &mut warn)?,
        Some(path) => {
            // Written beside the target and renamed, so a failed
            // export never leaves a file that looks complete.
            let tmp = path.with_extension(format!("pgkeep-tmp-{}", std::process::id()));
            let file = {
                use std::os::unix::fs::OpenOptionsExt;
                // Tenants' rows: readable by the owner only.
                std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)
            }
            .with_context(|| format!("creating {}", tmp.display()))?;
            let mut file = std::io::BufWriter::new(file);
            let res = crate::engine::export::export(&indexed, t, &opts, &mut file, &mut warn);
            let res = res.map_err(anyhow::Error::from).and_then(|s| {
                file.into_inner().map_err(|e| e.into_error())?.sync_all()?;
                std::fs::rename(&tmp, &path)?;
                Ok(s)
            });
            if res.is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
            res.with_context(|| format!("exporting to {}", path.display()))?
        }
    };
    eprintln!(
        "exported {} rows of {} from snapshot {} ({} bytes of COPY data, {} bytes written)",
        stats.rows, crate::repo::Snapshot::describe_table(t), id.short(), stats.bytes_read, stats.bytes_written
    );
    Ok(0)
}
