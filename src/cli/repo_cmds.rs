//! The verbs that manage a repository as a whole: `init`, `snapshots`,
//! `forget`, `prune`, `check`, `rebuild-index`, `unlock`. Each opens the
//! repository, calls one `repo` operation and prints its report; the
//! snapshot list's lines come from `output`. No repository logic here.

use anyhow::{bail, Result};

use super::args::{CheckArgs, ForgetArgs, InitArgs, PruneArgs, RepoArg, SnapshotsArgs};
use super::output;
use crate::repo::check::{self, CheckOptions};
use crate::repo::prune::{self, PruneOptions};
use crate::repo::{ChunkerParams, CompressionParams, Id, RepoConfig, Repository, Snapshot};

pub fn init(args: InitArgs) -> Result<i32> {
    let InitArgs { repo, compression_level, chunk_avg_kib, pack_size_mib } = args;
    let avg = chunk_avg_kib.saturating_mul(1024);
    let chunker = ChunkerParams {
        min_size: avg / 4,
        avg_size: avg,
        max_size: avg.saturating_mul(4),
        ..ChunkerParams::default()
    };
    let compression = CompressionParams {
        level: compression_level,
        ..CompressionParams::default()
    };
    let config = RepoConfig::new(chunker, compression, (pack_size_mib as u64) << 20)?;
    let r = Repository::init_at(&repo.repo, config)?;
    println!(
        "created repository {} at {}",
        r.config().id.short(),
        repo.repo
    );
    Ok(0)
}

pub fn snapshots(args: SnapshotsArgs) -> Result<i32> {
    let SnapshotsArgs { repo, tenant, json } = args;
    let r = Repository::open_at(&repo.repo)?;
    let snaps: Vec<(Id, Snapshot)> = r
        .snapshots()?
        .into_iter()
        .filter(|(_, s)| tenant.is_none() || s.tenant == tenant)
        .collect();
    output::print_snapshot_list(&snaps, json)?;
    Ok(0)
}

pub fn forget(args: ForgetArgs) -> Result<i32> {
    let ForgetArgs { repo, snapshots, tenant } = args;
    let r = Repository::open_at(&repo.repo)?;
    let ids = snapshots
        .iter()
        .map(|s| r.resolve_snapshot(s, tenant.as_deref()))
        .collect::<Result<Vec<_>, _>>()?;
    r.forget(&ids)?;
    for id in ids {
        println!("removed snapshot {}", id.short());
    }
    Ok(0)
}

pub fn prune(args: PruneArgs) -> Result<i32> {
    let PruneArgs { repo, dry_run, max_unused_percent, unindexed_grace } = args;
    if !(0.0..=100.0).contains(&max_unused_percent) {
        bail!("--max-unused-percent must be between 0 and 100, got {max_unused_percent}");
    }
    let r = Repository::open_at(&repo.repo)?;
    let rep = prune::prune(
        &r,
        &PruneOptions {
            dry_run,
            repack_threshold: max_unused_percent / 100.0,
            unindexed_grace,
        },
    )?;
    println!(
        "{}{} snapshots; packs: {} before, {} deleted, {} repacked into {}, {} unindexed removed; chunks: {} kept, {} removed; bytes: {} -> {}",
        if dry_run { "dry run: " } else { "" },
        rep.snapshots,
        rep.packs_before,
        rep.packs_deleted,
        rep.packs_repacked,
        rep.packs_written,
        rep.unindexed_packs_deleted,
        rep.chunks_kept,
        rep.chunks_removed,
        rep.bytes_before,
        rep.bytes_after
    );
    Ok(0)
}

pub fn check(args: CheckArgs) -> Result<i32> {
    let CheckArgs { repo, read_data, jobs, json } = args;
    let r = Repository::open_at(&repo.repo)?;
    let rep = check::check(
        &r,
        &CheckOptions {
            read_data,
            threads: jobs,
        },
    )?;
    if json {
        let v = serde_json::json!({
            "ok": rep.is_ok(),
            "problems": rep.problems.iter().map(|p| serde_json::json!({"object": p.object, "message": p.message})).collect::<Vec<_>>(),
            "warnings": rep.warnings,
            "snapshots": rep.snapshots, "index_files": rep.index_files, "packs": rep.packs,
            "chunks": rep.chunks, "bytes_read": rep.bytes_read,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        for w in &rep.warnings {
            println!("warning: {w}");
        }
        for p in &rep.problems {
            println!("error: {p}");
        }
        println!(
            "checked {} snapshots, {} index files, {} packs, {} chunks{}: {}",
            rep.snapshots,
            rep.index_files,
            rep.packs,
            rep.chunks,
            if read_data {
                format!(", {} bytes read", rep.bytes_read)
            } else {
                String::new()
            },
            if rep.is_ok() {
                "no errors".to_string()
            } else {
                format!("{} errors", rep.problems.len())
            }
        );
    }
    Ok(if rep.is_ok() { 0 } else { 1 })
}

pub fn rebuild_index(repo: RepoArg) -> Result<i32> {
    let r = Repository::open_at(&repo.repo)?;
    let rep = r.rebuild_index()?;
    for (pack, err) in &rep.unreadable {
        println!("warning: skipped {pack}: {err}");
    }
    println!(
        "indexed {} chunks in {} packs; replaced {} index files",
        rep.chunks_indexed, rep.packs_indexed, rep.removed_index_files
    );
    Ok(if rep.unreadable.is_empty() { 0 } else { 1 })
}

pub fn unlock(repo: RepoArg, all: bool) -> Result<i32> {
    let r = Repository::open_at(&repo.repo)?;
    let removed = crate::repo::lock::unlock(r.backend().as_ref(), all)?;
    for d in &removed {
        println!("removed lock of {d}");
    }
    if removed.is_empty() {
        println!("no locks removed");
    }
    Ok(0)
}
