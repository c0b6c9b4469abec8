//! The verbs that manage a repository as a whole: `init`, `snapshots`,
//! `forget`, `prune`, `check`, `rebuild-index`, `unlock`. Each opens the
//! repository, calls one `repo` operation and prints its report; the
//! snapshot list's lines come from `output`. No repository logic here.

use anyhow::{bail, Result};

use super::args::{CheckArgs, CopyArgs, ForgetArgs, InitArgs, KeyCommand, NewKeyArgs, PruneArgs, RepoArg, SnapshotsArgs};
use crate::repo::crypto::{PasswordSource, Secret};
use super::output;
use crate::repo::check::{self, CheckOptions};
use crate::repo::prune::{self, PruneOptions};
use crate::repo::{ChunkerParams, CompressionParams, Id, RepoConfig, Repository, Snapshot};

pub fn init(args: InitArgs) -> Result<i32> {
    let InitArgs { repo, compression_level, chunk_avg_kib, pack_size_mib, encrypt, cipher, kdf } = args;
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
    let mut config = RepoConfig::new(chunker, compression, (pack_size_mib as u64) << 20)?;
    let r = if encrypt {
        config.encryption = cipher.unwrap_or_default().name().into();
        let Some(secret) = repo.secret.source().secret()? else {
            bail!("--encrypt needs a password: give --password-file FILE, --password-command CMD or --key-file FILE (or PGKEEP_PASSWORD_FILE / PGKEEP_PASSWORD)");
        };
        Repository::init_encrypted_at(&repo.repo, config, &secret, kdf.params(), &Default::default())?
    } else {
        Repository::init_at(&repo.repo, config)?
    };
    println!(
        "created {}repository {} at {}",
        if encrypt { format!("encrypted ({}) ", r.config().encryption) } else { String::new() },
        r.config().id.short(),
        repo.repo
    );
    if encrypt {
        println!("keep the password safe: without it the repository cannot be read (add a second one with `pgkeep key add`)");
    }
    Ok(0)
}

/// `pgkeep copy`.
pub fn copy(args: CopyArgs) -> Result<i32> {
    let from_secret = PasswordSource {
        key_file: args.from_key_file.clone(),
        password_file: args.from_password_file.clone(),
        password_command: args.from_password_command.clone(),
        env_prefix: Some("PGKEEP_FROM_"),
    };
    let to_secret = PasswordSource {
        key_file: args.to_key_file.clone(),
        password_file: args.to_password_file.clone(),
        password_command: args.to_password_command.clone(),
        env_prefix: None,
    };
    let from = Repository::open_located(&args.from, &Default::default(), &from_secret)?;
    let to = Repository::open_located(&args.to, &Default::default(), &to_secret)?;
    let ids: Vec<Id> = match (args.all, args.snapshots.is_empty()) {
        (true, true) => from
            .snapshots()?
            .into_iter()
            .filter(|(_, s)| args.tenant.is_none() || s.tenant == args.tenant)
            .map(|(id, _)| id)
            .collect(),
        (false, false) => args
            .snapshots
            .iter()
            .map(|s| from.resolve_snapshot(s, args.tenant.as_deref()))
            .collect::<Result<_, _>>()?,
        (true, false) => bail!("give snapshots or --all, not both"),
        (false, true) => bail!("which snapshots? give their ids (or `latest`), or --all"),
    };
    let report = crate::engine::copy_snapshots::copy_snapshots(&from, &to, &ids)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(0);
    }
    for (src, dst) in &report.copied {
        println!("copied {} -> {}", src.short(), dst.short());
    }
    for id in &report.already_there {
        println!("{} is already in the target", id.short());
    }
    println!(
        "{} copied, {} already there; {} chunks read, {} sent ({})",
        report.copied.len(),
        report.already_there.len(),
        report.chunks_read,
        report.chunks_sent,
        indicatif::HumanBytes(report.bytes_sent)
    );
    Ok(0)
}

/// `pgkeep key list|add|remove|passwd`.
pub fn key(cmd: KeyCommand) -> Result<i32> {
    match cmd {
        KeyCommand::List { repo } => {
            let r = repo.open()?;
            let (keys, current) = r.list_keys()?;
            if !r.is_encrypted() {
                bail!("repository {} is not encrypted: it has no keys", repo.repo);
            }
            println!("{:<2} {:<10} {:<9} {:<28} {}", "", "ID", "KDF", "CREATED", "USER@HOST");
            for k in keys {
                let mark = if current.as_deref() == Some(k.id.as_str()) { "*" } else { "" };
                println!("{:<2} {:<10} {:<9} {:<28} {}@{}", mark, &k.id[..8], k.kdf, k.created, k.username, k.hostname);
            }
            Ok(0)
        }
        KeyCommand::Add(a) => {
            let r = a.repo.open()?;
            let id = r.add_key(&new_secret(&a)?, a.kdf.params())?;
            println!("added key {}", &id[..8]);
            Ok(0)
        }
        KeyCommand::Remove { repo, id } => {
            let r = repo.open()?;
            let removed = r.remove_key(&id)?;
            println!("removed key {}", &removed[..8]);
            Ok(0)
        }
        KeyCommand::Passwd(a) => {
            let r = a.repo.open()?;
            let id = r.change_password(&new_secret(&a)?, a.kdf.params())?;
            println!("password changed: key {} replaces the one used to open", &id[..8]);
            Ok(0)
        }
    }
}

/// The new secret of `key add`/`key passwd`: from its own flags only (never
/// the environment, which holds the current one).
fn new_secret(a: &NewKeyArgs) -> Result<Secret> {
    let source = PasswordSource {
        key_file: a.new_key_file.clone(),
        password_file: a.new_password_file.clone(),
        password_command: a.new_password_command.clone(),
        env_prefix: None,
    };
    if source == PasswordSource::default() {
        bail!("give the new password with --new-password-file FILE or --new-password-command CMD (or a raw key with --new-key-file FILE)");
    }
    source.explicit_secret()?.ok_or_else(|| anyhow::anyhow!("no new password given"))
}

pub fn snapshots(args: SnapshotsArgs) -> Result<i32> {
    let SnapshotsArgs { repo, tenant, json } = args;
    let r = repo.open()?;
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
    let r = repo.open()?;
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
    let r = repo.open()?;
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
    let r = repo.open()?;
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
    let r = repo.open()?;
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
    let r = repo.open()?;
    let removed = crate::repo::lock::unlock(r.backend().as_ref(), all)?;
    for d in &removed {
        println!("removed lock of {d}");
    }
    if removed.is_empty() {
        println!("no locks removed");
    }
    Ok(0)
}
