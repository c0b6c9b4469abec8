//! `pgkeep backup`: checks the arguments, builds `BackupOptions`, runs
//! `engine::backup` on its runtime and prints the snapshot id, a summary
//! line or the JSON summary (`output`). No backup logic here.

use anyhow::{bail, Context, Result};

use super::args::BackupArgs;
use super::output;

pub fn run(args: BackupArgs) -> Result<i32> {
    if !(args.lock_wait_timeout > 0.0 && args.lock_wait_timeout.is_finite()) {
        bail!("--lock-wait-timeout must be a positive number of seconds");
    }
    let conn = crate::pg::conn::ConnSpec::parse(&args.db)?.resolve(&crate::pg::conn::process_env)?;
    let repo = args.repo.open()
        .with_context(|| format!("opening repository {}", args.repo.repo))?;
    let opts = crate::engine::backup::BackupOptions {
        scope: args.filter.scope(),
        jobs: args.jobs.max(1),
        schema_only: args.schema_only,
        data_only: args.data_only,
        exclude_table_data: args.exclude_table_data.clone(),
        tenant: args.tenant.clone(),
        tags: args.tag.clone(),
        label: args.label.clone(),
        lock_wait_timeout: std::time::Duration::from_secs_f64(args.lock_wait_timeout),
        split_bytes: args.split_mib << 20,
        sequence_values: !args.no_sequence_values,
        large_objects: if args.blobs { Some(true) } else if args.no_blobs { Some(false) } else { None },
        pause_after_locks: args.pause_after_locks.map(std::time::Duration::from_secs_f64),
        compression: args.compress,
        ..crate::engine::backup::BackupOptions::default()
    };
    // One thread for the async side: the CPU work (chunking, hashing,
    // compression) has threads of its own, and COPY's message-per-row
    // traffic costs fewer wake-ups on one thread (measured: half the
    // system time of a multi-threaded runtime, same or better wall time).
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let progress = output::progress_for_terminal();
    let (id, snap) = rt.block_on(crate::engine::backup::backup(&repo, &conn, &opts, progress.as_ref()))?;
    for w in &snap.warnings {
        eprintln!("pgkeep: warning: {w}");
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&output::summary_json(&id, &snap))?);
    } else {
        let t = &snap.totals;
        eprintln!(
            "snapshot {}: {} tables, {} rows, {} bytes read, {} new bytes stored ({:.1}x compression, {} bytes deduplicated) in {:.1}s",
            id.short(), t.tables, t.rows, t.raw_bytes, t.new_stored_bytes, t.compression_ratio(), t.dedup_raw_bytes,
            t.duration_ms as f64 / 1000.0
        );
        println!("{id}");
    }
    Ok(0)
}
