//! `pgkeep restore`: resolves the snapshot and the target (and the
//! maintenance database for `--create`), builds `RestoreOptions`, runs
//! `engine::restore` or prints its table of contents, and reports. No
//! restore logic here.

use anyhow::{bail, Context, Result};

use super::args::RestoreArgs;
use super::output;

pub fn run(args: RestoreArgs) -> Result<i32> {
    let repo = args.repo.open()
        .with_context(|| format!("opening repository {}", args.repo.repo))?;
    let id = repo.resolve_snapshot(&args.snapshot, args.tenant.as_deref())?;
    let mut target_schema = args.target_schema.clone();
    if let Some(r) = &args.rename_schema {
        let (old, new) = r.split_once('=').with_context(|| format!("--rename-schema takes OLD=NEW, got {r:?}"))?;
        let snap = repo.load_snapshot(&id)?;
        match snap.relative_schema.as_deref() {
            Some(rel) if rel == old => {}
            Some(rel) => bail!("snapshot {} holds schema {rel:?}, not {old:?}", id.short()),
            None => bail!("snapshot {} is not a snapshot of one schema: --rename-schema needs a backup made with one -n", id.short()),
        }
        if target_schema.as_deref().is_some_and(|t| t != new) {
            bail!("--target-schema and --rename-schema name different schemas");
        }
        target_schema = Some(new.to_string());
    }
    let opts = crate::engine::restore::RestoreOptions {
        jobs: args.jobs.max(1),
        create: args.create,
        clean: args.clean,
        drop_extra: args.drop_extra,
        single_transaction: args.single_transaction,
        schema_only: args.schema_only,
        data_only: args.data_only,
        no_owner: args.no_owner,
        no_acl: args.no_acl,
        schemas: args.schemas.clone(),
        tables: args.tables.clone(),
        target_schema,
        keep_going: args.keep_going,
        maintenance_work_mem: Some(args.maintenance_work_mem.clone()).filter(|m| !m.is_empty()),
        two_step_min_bytes: None,
        parts: args.load_parts.into(),
        freeze_min_bytes: None,
    };
    if args.list {
        let snap = repo.load_snapshot(&id)?;
        print!("{}", crate::engine::restore::list(&snap, &id, &opts)?);
        return Ok(0);
    }
    let spec = crate::pg::conn::ConnSpec::parse(&args.db)?;
    let conn = spec.clone().resolve(&crate::pg::conn::process_env)?;
    let maintenance = if args.create { Some(crate::engine::restore::maintenance_connection(&spec)?) } else { None };
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let progress = output::progress_for_terminal();
    let report = rt.block_on(crate::engine::restore::restore(&repo, &id, &conn, maintenance.as_ref(), &opts, progress.as_ref()));
    let report = match report {
        Ok(r) => r,
        Err(crate::engine::restore::RestoreError::Failed { count, errors, .. }) => {
            for e in &errors {
                eprintln!("error: {e}");
            }
            eprintln!("pgkeep: {count} errors ignored during the restore (--keep-going)");
            return Ok(1);
        }
        Err(e) => return Err(e.into()),
    };
    // What was left out (into an older major) is said on stderr whatever
    // the output format, and is part of the JSON report.
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    if args.json {
        println!("{}", serde_json::json!({
            "snapshot": report.snapshot, "entries": report.entries, "tables": report.tables,
            "rows": report.rows, "bytes": report.bytes, "duration_ms": report.duration_ms,
            "warnings": report.warnings,
        }));
    } else {
        eprintln!(
            "restored snapshot {} into {}: {} DDL entries, {} tables, {} rows, {} bytes in {:.1}s",
            id.short(), conn.describe(), report.entries, report.tables, report.rows, report.bytes,
            report.duration_ms as f64 / 1000.0
        );
        if !report.warnings.is_empty() {
            eprintln!("pgkeep: {} warnings (above): the target left those objects out", report.warnings.len());
        }
    }
    Ok(0)
}
