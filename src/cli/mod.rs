//! The command line: clap definitions and one small function per verb that
//! calls into the library and prints. No logic lives here that a test or
//! the service would need.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};

use crate::repo::check::{self, CheckOptions};
use crate::repo::prune::{self, PruneOptions};
use crate::repo::snapshot::{Part, Scope, TableData, Totals};
use crate::repo::{ChunkerParams, CompressionParams, Id, RepoConfig, Repository, Snapshot};

#[derive(Parser, Debug)]
#[command(
    name = "pgkeep",
    version,
    about = "Native PostgreSQL backups into a deduplicating, verifiable repository"
)]
pub struct Cli {
    /// More log output (-v info, -vv debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct RepoArg {
    /// Repository directory.
    #[arg(long, env = "PGKEEP_REPO")]
    pub repo: PathBuf,
}

/// Which objects a dump covers, with pg_dump's pattern rules.
#[derive(Args, Debug, Clone, Default)]
pub struct FilterArgs {
    /// Dump only schemas matching PATTERN (repeatable).
    #[arg(short = 'n', long = "schema", value_name = "PATTERN")]
    pub schemas: Vec<String>,
    /// Do not dump schemas matching PATTERN (repeatable).
    #[arg(short = 'N', long = "exclude-schema", value_name = "PATTERN")]
    pub exclude_schemas: Vec<String>,
    /// Dump only tables (views, sequences, ...) matching PATTERN (repeatable).
    #[arg(short = 't', long = "table", value_name = "PATTERN")]
    pub tables: Vec<String>,
    /// Do not dump tables matching PATTERN (repeatable).
    #[arg(short = 'T', long = "exclude-table", value_name = "PATTERN")]
    pub exclude_tables: Vec<String>,
}

impl FilterArgs {
    pub fn scope(&self) -> crate::catalog::ScopeSpec {
        crate::catalog::ScopeSpec {
            include_schemas: self.schemas.clone(),
            exclude_schemas: self.exclude_schemas.clone(),
            include_tables: self.tables.clone(),
            exclude_tables: self.exclude_tables.clone(),
        }
    }
}

#[derive(Args, Debug, Clone)]
pub struct DdlArgs {
    /// Print the DDL archived in this snapshot (id, prefix or `latest`)
    /// instead of reading a database; needs --repo. -n/-t then take exact
    /// names.
    pub snapshot: Option<String>,
    /// Repository of SNAPSHOT.
    #[arg(long, env = "PGKEEP_REPO")]
    pub repo: Option<PathBuf>,
    /// Database to read: a conninfo string or a postgres:// URI; PG*
    /// variables, ~/.pgpass and the service file fill in the rest.
    #[arg(long, short = 'd', default_value = "")]
    pub db: String,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Leave out ALTER ... OWNER TO.
    #[arg(long, short = 'O')]
    pub no_owner: bool,
    /// Leave out GRANT/REVOKE and default privileges.
    #[arg(long, short = 'x')]
    pub no_acl: bool,
    /// Leave out COMMENT ON.
    #[arg(long)]
    pub no_comments: bool,
    /// With a single-schema dump: create its objects in this schema instead.
    #[arg(long, value_name = "SCHEMA")]
    pub target_schema: Option<String>,
    /// Only these sections (pre-data, data, post-data; repeatable).
    #[arg(long, value_name = "SECTION")]
    pub section: Vec<String>,
    /// Sessions that read the catalog at once (on one exported snapshot).
    #[arg(long, short = 'j', default_value_t = 2, value_parser = jobs_parser())]
    pub jobs: usize,
    /// Leave out sequence values (setval), as `pg_dump --schema-only` does;
    /// saves reading every sequence on servers before 18.
    #[arg(long)]
    pub no_sequence_values: bool,
}

#[derive(Args, Debug, Clone)]
pub struct BackupArgs {
    /// Database to back up: a conninfo string or a postgres:// URI; PG*
    /// variables, ~/.pgpass and the service file fill in the rest.
    #[arg(long, short = 'd', default_value = "")]
    pub db: String,
    #[command(flatten)]
    pub repo: RepoArg,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Only the definitions, no table data.
    #[arg(long, short = 's')]
    pub schema_only: bool,
    /// Only table data (and sequence values), no definitions.
    #[arg(long, short = 'a')]
    pub data_only: bool,
    /// Back up the definition but not the data of tables matching PATTERN.
    #[arg(long, value_name = "PATTERN")]
    pub exclude_table_data: Vec<String>,
    /// Label the snapshot with this tenant (for `latest --tenant`, retention).
    #[arg(long)]
    pub tenant: Option<String>,
    /// A tag for the snapshot (repeatable).
    #[arg(long)]
    pub tag: Vec<String>,
    /// A free-text label.
    #[arg(long)]
    pub label: Option<String>,
    /// Sessions copying tables at once.
    #[arg(long, short = 'j', default_value_t = 2, value_parser = jobs_parser())]
    pub jobs: usize,
    /// Seconds to wait for each table's lock before giving up.
    #[arg(long, default_value_t = 30.0)]
    pub lock_wait_timeout: f64,
    /// Split tables larger than this many MiB into parts copied in parallel
    /// (0: never).
    #[arg(long, default_value_t = crate::engine::backup::DEFAULT_SPLIT_BYTES >> 20)]
    pub split_mib: u64,
    /// Leave out sequence values.
    #[arg(long)]
    pub no_sequence_values: bool,
    /// Include large objects even when only some schemas or tables are
    /// backed up (they are included when the whole database is).
    #[arg(long, short = 'b', conflicts_with = "no_blobs")]
    pub blobs: bool,
    /// Leave out large objects (their metadata and contents).
    #[arg(long, short = 'B')]
    pub no_blobs: bool,
    /// Print a JSON summary instead of the snapshot id.
    #[arg(long)]
    pub json: bool,
    /// Test hook: seconds to wait after locking, before copying.
    #[arg(long, hide = true)]
    pub pause_after_locks: Option<f64>,
}

#[derive(Args, Debug, Clone)]
pub struct RestoreArgs {
    /// Snapshot: a full id, an unambiguous prefix, or `latest`.
    pub snapshot: String,
    #[command(flatten)]
    pub repo: RepoArg,
    /// Database to restore into (conninfo or URI; PG* variables apply).
    /// With --create, the database to create.
    #[arg(long, short = 'd', default_value = "")]
    pub db: String,
    /// With `latest`: the newest snapshot of this tenant.
    #[arg(long)]
    pub tenant: Option<String>,
    /// Sessions loading data and building indexes at once.
    #[arg(long, short = 'j', default_value_t = 2, value_parser = jobs_parser())]
    pub jobs: usize,
    /// Create the database first (connecting to the `postgres` database).
    #[arg(long, short = 'C')]
    pub create: bool,
    /// Replace the objects the snapshot creates, in one transaction: the
    /// restore completes or leaves the target as it was.
    #[arg(long, short = 'c')]
    pub clean: bool,
    /// With --clean: also drop objects in the snapshot's schemas that the
    /// snapshot does not contain (without it, the restore names them and
    /// refuses before changing anything).
    #[arg(long)]
    pub drop_extra: bool,
    /// Restore all or nothing, in one transaction (one session).
    #[arg(long, short = '1')]
    pub single_transaction: bool,
    #[arg(long, short = 's')]
    pub schema_only: bool,
    #[arg(long, short = 'a')]
    pub data_only: bool,
    /// Leave out ALTER ... OWNER TO (objects belong to the restoring role).
    #[arg(long, short = 'O')]
    pub no_owner: bool,
    /// Leave out GRANT/REVOKE and default privileges.
    #[arg(long, short = 'x')]
    pub no_acl: bool,
    /// Only objects in this schema (exact name; repeatable).
    #[arg(short = 'n', long = "schema", value_name = "NAME")]
    pub schemas: Vec<String>,
    /// Only this table, definition and data (NAME or SCHEMA.NAME; repeatable).
    #[arg(short = 't', long = "table", value_name = "NAME")]
    pub tables: Vec<String>,
    /// Restore a single-schema snapshot into this schema instead.
    #[arg(long, value_name = "SCHEMA")]
    pub target_schema: Option<String>,
    /// Like --target-schema, naming the snapshot's schema: OLD=NEW.
    #[arg(long, value_name = "OLD=NEW")]
    pub rename_schema: Option<String>,
    /// Print the table of contents instead of restoring.
    #[arg(long, short = 'l')]
    pub list: bool,
    /// Go on after a failing statement; exit non-zero with a count at the end.
    #[arg(long)]
    pub keep_going: bool,
    /// maintenance_work_mem of each restore session (index builds); empty
    /// keeps the server's setting.
    #[arg(long, default_value = "256MB")]
    pub maintenance_work_mem: String,
    #[arg(long)]
    pub json: bool,
}

/// Chooses the progress display: a bar on a terminal, log lines otherwise.
pub fn progress_for_terminal() -> Box<dyn crate::progress::Progress> {
    use std::io::IsTerminal;
    if std::io::stderr().is_terminal() {
        Box::new(crate::progress::Bar::new())
    } else {
        Box::new(crate::progress::LogLines::default())
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Back up a database, schemas or tables into the repository.
    Backup(BackupArgs),
    /// Restore a snapshot into a database (or list its contents).
    Restore(RestoreArgs),
    /// A snapshot's tables: rows, bytes, compression, parts.
    Show {
        #[command(flatten)]
        repo: RepoArg,
        /// Snapshot id, prefix or `latest`.
        snapshot: String,
        #[arg(long)]
        tenant: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// One table of a snapshot as CSV (what `COPY … (FORMAT csv)` prints) or JSON lines, without a server.
    Export {
        #[command(flatten)]
        repo: RepoArg,
        /// Snapshot id, prefix or `latest`.
        snapshot: String,
        /// `schema.table`, or a table name unique in the snapshot.
        table: String,
        #[arg(long, value_enum, default_value = "csv")]
        format: crate::engine::export::ExportFormat,
        /// Write here instead of standard output (replaced only when complete).
        #[arg(long, short = 'o')]
        output: Option<PathBuf>,
        /// Time zone `timestamptz` values are shown in (IANA name).
        #[arg(long, default_value = "UTC")]
        timezone: String,
        /// CSV: start with a line of column names.
        #[arg(long)]
        header: bool,
        #[arg(long)]
        tenant: Option<String>,
    },
    /// What changed between two snapshots: tables, rows, bytes stored anew, DDL.
    Diff {
        #[command(flatten)]
        repo: RepoArg,
        from: String,
        to: String,
        #[arg(long)]
        json: bool,
    },
    /// Prove snapshots restorable without a server (all of them by default).
    Verify {
        #[command(flatten)]
        repo: RepoArg,
        /// Snapshot ids, prefixes or `latest`.
        snapshots: Vec<String>,
        /// Every snapshot (the default when none is named).
        #[arg(long)]
        all: bool,
        /// The newest snapshot (of --tenant, if given).
        #[arg(long)]
        latest: bool,
        #[arg(long)]
        tenant: Option<String>,
        /// Read every chunk and parse every table's data.
        #[arg(long)]
        read_data: bool,
        /// Tables read at once.
        #[arg(short = 'j', long, default_value_t = default_threads(), value_parser = jobs_parser())]
        jobs: usize,
        #[arg(long)]
        json: bool,
    },
    /// Create a new repository.
    Init {
        #[command(flatten)]
        repo: RepoArg,
        /// zstd level for table data (1–19).
        #[arg(long, default_value_t = CompressionParams::default().level)]
        compression_level: i32,
        /// Average chunk size in KiB (a power of two); min is a quarter, max four times.
        #[arg(long, default_value_t = ChunkerParams::default().avg_size / 1024)]
        chunk_avg_kib: u32,
        /// Target pack size in MiB.
        #[arg(long, default_value_t = (crate::repo::config::DEFAULT_PACK_SIZE >> 20) as u32)]
        pack_size_mib: u32,
    },
    /// List snapshots.
    Snapshots {
        #[command(flatten)]
        repo: RepoArg,
        /// Only this tenant's snapshots.
        #[arg(long)]
        tenant: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Remove snapshots (their data goes with the next `prune`).
    Forget {
        #[command(flatten)]
        repo: RepoArg,
        /// Snapshot ids, unambiguous prefixes, or `latest`.
        #[arg(required = true)]
        snapshots: Vec<String>,
        /// With `latest`: the newest snapshot of this tenant.
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Remove data no snapshot references; rewrite mostly-empty packs.
    Prune {
        #[command(flatten)]
        repo: RepoArg,
        /// Only report what would be removed.
        #[arg(long)]
        dry_run: bool,
        /// Rewrite packs whose garbage exceeds this percentage.
        #[arg(long, default_value_t = 50.0)]
        max_unused_percent: f64,
        /// Delete packs no index lists only when older than this ("1h",
        /// "30m", "0s"): a running backup indexes its packs after writing them.
        #[arg(long, default_value = "1h", value_parser = parse_grace)]
        unindexed_grace: std::time::Duration,
    },
    /// Check the repository's structure, and with --read-data every byte.
    Check {
        #[command(flatten)]
        repo: RepoArg,
        #[arg(long)]
        read_data: bool,
        /// Threads reading packs.
        #[arg(short = 'j', long, default_value_t = default_threads(), value_parser = jobs_parser())]
        jobs: usize,
        #[arg(long)]
        json: bool,
    },
    /// Rebuild the index from the packs alone.
    RebuildIndex {
        #[command(flatten)]
        repo: RepoArg,
    },
    /// Remove locks whose process is gone (with --all, every lock).
    Unlock {
        #[command(flatten)]
        repo: RepoArg,
        #[arg(long)]
        all: bool,
    },
    /// Run the multi-tenant backup service: schedules, retention, REST admin API, metrics, alerts.
    Serve {
        /// The service's configuration file (TOML; see pgkeep.toml.example).
        #[arg(long, short = 'c')]
        config: PathBuf,
        /// Check the configuration and exit.
        #[arg(long)]
        check: bool,
    },
    /// Run the built-in demo: a throwaway cluster with three tenants, two
    /// backups into a repository, a full check and a restore of one tenant.
    Demo {
        /// Keep the repository in this directory (default: a temporary one).
        #[arg(long)]
        repo: Option<PathBuf>,
        /// Orders per tenant.
        #[arg(long, default_value_t = 200_000)]
        orders: u64,
    },
    /// Print the database's schema as SQL (like `pg_dump --schema-only`),
    /// read from the catalog without pg_dump.
    Ddl(DdlArgs),
    /// Tools for developers and tests.
    #[command(hide = true, subcommand)]
    Debug(DebugCommand),
}

#[derive(Subcommand, Debug)]
pub enum DebugCommand {
    /// Store files as the streams of a new snapshot.
    Put {
        #[command(flatten)]
        repo: RepoArg,
        #[arg(long)]
        tenant: Option<String>,
        #[arg(long)]
        tag: Vec<String>,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Write one stream of a snapshot to stdout.
    Cat {
        #[command(flatten)]
        repo: RepoArg,
        snapshot: String,
        stream: String,
    },
    /// Take a lock and hold it.
    HoldLock {
        #[command(flatten)]
        repo: RepoArg,
        #[arg(long)]
        exclusive: bool,
        #[arg(long, default_value_t = 60)]
        seconds: u64,
    },
    /// Decode a repository object file and print it as JSON.
    Decode {
        /// config, index, snapshot or lock
        kind: String,
        file: PathBuf,
    },
}

fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .min(crate::pg::sessions::MAX_JOBS)
}

fn parse_grace(s: &str) -> std::result::Result<std::time::Duration, String> {
    crate::service::retention::parse_duration(s)
        .ok()
        .and_then(|d| d.to_std().ok())
        .ok_or_else(|| format!("invalid duration {s:?} (use e.g. \"0s\", \"30m\", \"1h\")"))
}

/// `-j`/`--jobs`: 1 ..= 64 (a huge count would overflow session and split
/// arithmetic rather than go faster).
fn jobs_parser() -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::<usize>::new().range(1..=crate::pg::sessions::MAX_JOBS as u64)
}

pub fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Init {
            repo,
            compression_level,
            chunk_avg_kib,
            pack_size_mib,
        } => {
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
            let r = Repository::init(&repo.repo, config)?;
            println!(
                "created repository {} at {}",
                r.config().id.short(),
                repo.repo.display()
            );
            Ok(0)
        }
        Command::Snapshots { repo, tenant, json } => {
            let r = Repository::open(&repo.repo)?;
            let snaps: Vec<(Id, Snapshot)> = r
                .snapshots()?
                .into_iter()
                .filter(|(_, s)| tenant.is_none() || s.tenant == tenant)
                .collect();
            if json {
                let list: Vec<serde_json::Value> = snaps
                    .iter()
                    .map(|(id, s)| {
                        serde_json::json!({
                            "id": id.to_hex(), "time": s.time_start, "time_end": s.time_end, "tenant": s.tenant,
                            "label": s.label, "tags": s.tags, "tables": s.totals.tables, "rows": s.totals.rows,
                            "raw_bytes": s.totals.raw_bytes, "new_stored_bytes": s.totals.new_stored_bytes,
                            "duration_ms": s.totals.duration_ms, "status": snapshot_status(s),
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                println!(
                    "{:<10} {:<27} {:<16} {:>7} {:>12} {:>10} {:>10} {:>9}  STATUS",
                    "ID", "TIME", "TENANT", "TABLES", "ROWS", "SIZE", "NEW", "DURATION"
                );
                for (id, s) in &snaps {
                    println!(
                        "{:<10} {:<27} {:<16} {:>7} {:>12} {:>10} {:>10} {:>8.1}s  {}",
                        id.short(),
                        s.time_start,
                        s.tenant.as_deref().unwrap_or("-"),
                        s.totals.tables,
                        s.totals.rows,
                        human_bytes(s.totals.raw_bytes),
                        human_bytes(s.totals.new_stored_bytes),
                        s.totals.duration_ms as f64 / 1000.0,
                        snapshot_status(s)
                    );
                }
            }
            Ok(0)
        }
        Command::Forget { repo, snapshots, tenant } => {
            let r = Repository::open(&repo.repo)?;
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
        Command::Prune {
            repo,
            dry_run,
            max_unused_percent,
            unindexed_grace,
        } => {
            if !(0.0..=100.0).contains(&max_unused_percent) {
                bail!("--max-unused-percent must be between 0 and 100, got {max_unused_percent}");
            }
            let r = Repository::open(&repo.repo)?;
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
        Command::Check {
            repo,
            read_data,
            jobs,
            json,
        } => {
            let r = Repository::open(&repo.repo)?;
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
        Command::RebuildIndex { repo } => {
            let r = Repository::open(&repo.repo)?;
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
        Command::Unlock { repo, all } => {
            let r = Repository::open(&repo.repo)?;
            let removed = crate::repo::lock::unlock(r.backend().as_ref(), all)?;
            for d in &removed {
                println!("removed lock of {d}");
            }
            if removed.is_empty() {
                println!("no locks removed");
            }
            Ok(0)
        }
        Command::Serve { config, check } => {
            let cfg = crate::service::config::Config::load(&config)?;
            if check {
                cfg.admin_token().map_err(anyhow::Error::msg)?;
                println!(
                    "{}: ok ({} sources, {} schedules, {} webhooks)",
                    config.display(), cfg.sources.len(), cfg.schedules.len(), cfg.alerts.webhooks.len()
                );
                return Ok(0);
            }
            let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            rt.block_on(crate::service::serve(cfg))?;
            Ok(0)
        }
        Command::Demo { repo, orders } => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            let mut say = |line: String| println!("{line}");
            let report = rt.block_on(crate::demo::run(
                crate::demo::DemoOptions {
                    repo,
                    orders_per_tenant: orders,
                },
                &mut say,
            ))?;
            println!(
                "demo finished: {} snapshots written, all checks passed",
                report.snapshots.len()
            );
            Ok(0)
        }
        Command::Ddl(args) => run_ddl(args),
        Command::Backup(args) => run_backup(args),
        Command::Restore(args) => run_restore(args),
        Command::Export { repo, snapshot, table, format, output, timezone, header, tenant } => {
            let r = Repository::open(&repo.repo)?;
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
        Command::Show { repo, snapshot, tenant, json } => {
            let r = Repository::open(&repo.repo)?;
            let id = r.resolve_snapshot(&snapshot, tenant.as_deref())?;
            let snap = r.load_snapshot(&id)?;
            let lines = crate::engine::inspect::show(&snap);
            let blobs = snap.large_objects.as_ref().map(|l| serde_json::json!({"count": l.objects.len(), "raw_bytes": l.raw_bytes, "new_stored_bytes": l.new_stored_bytes, "chunks": l.chunks.len()}));
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({"summary": summary_json(&id, &snap), "tables": lines, "large_objects": blobs, "warnings": snap.warnings}))?
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
        Command::Diff { repo, from, to, json } => {
            let r = Repository::open(&repo.repo)?;
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
        Command::Verify { repo, snapshots, all, latest, tenant, read_data, jobs, json } => {
            let r = Repository::open(&repo.repo)?;
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
        Command::Debug(d) => run_debug(d),
    }
}

fn parse_section(s: &str) -> Result<crate::repo::snapshot::Section> {
    use crate::repo::snapshot::Section;
    Ok(match s {
        "pre-data" => Section::PreData,
        "data" => Section::Data,
        "post-data" => Section::PostData,
        other => bail!("unknown section {other:?}: use pre-data, data or post-data"),
    })
}

fn run_ddl(args: DdlArgs) -> Result<i32> {
    let sections = args
        .section
        .iter()
        .map(|s| parse_section(s))
        .collect::<Result<Vec<_>>>()?;
    if let Some(spec) = &args.snapshot {
        return print_archived_ddl(&args, spec, &sections);
    }
    let conn = crate::pg::conn::ConnSpec::parse(&args.db)?.resolve(&crate::pg::conn::process_env)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let rendered = rt.block_on(async {
        // One snapshot for every catalog query, shared by `jobs` sessions.
        let sessions = crate::pg::sessions::SnapshotSessions::open(&conn, args.jobs.max(1)).await?;
        let read = crate::catalog::ReadOptions {
            sequence_values: !args.no_sequence_values,
            large_objects: None,
        };
        let cat = crate::catalog::read_catalog_with(&sessions.refs(), &args.filter.scope(), &read).await;
        sessions.close().await;
        let cat = cat?;
        let opts = crate::ddl::RenderOptions {
            no_owner: args.no_owner,
            no_acl: args.no_acl,
            no_comments: args.no_comments,
            target_schema: args.target_schema.clone(),
        };
        anyhow::Ok(crate::ddl::render(&cat, &opts)?)
    })?;
    for w in &rendered.warnings {
        eprintln!("pgkeep: warning: {w}");
    }
    let mut out = std::io::stdout().lock();
    out.write_all(rendered.script(&sections).as_bytes())?;
    out.flush()?;
    Ok(0)
}

/// `pgkeep ddl SNAPSHOT`: the archived DDL as one script, like
/// `pg_restore -f -`.
fn print_archived_ddl(args: &DdlArgs, spec: &str, sections: &[crate::repo::snapshot::Section]) -> Result<i32> {
    let Some(repo) = &args.repo else {
        bail!("pgkeep ddl SNAPSHOT needs --repo (or PGKEEP_REPO)");
    };
    if args.target_schema.is_some() || !args.filter.exclude_schemas.is_empty() || !args.filter.exclude_tables.is_empty() {
        bail!("with a snapshot, pgkeep ddl takes -n, -t, --section, -O, -x and --no-comments only (use restore --target-schema to rename)");
    }
    let r = Repository::open(repo).with_context(|| format!("opening repository {}", repo.display()))?;
    let id = r.resolve_snapshot(spec, None)?;
    let snap = r.load_snapshot(&id)?;
    let filter = crate::engine::restore::NameFilter::new(&args.filter.schemas, &args.filter.tables);
    let entries = snap
        .ddl
        .iter()
        .filter(|e| filter.entry(e))
        .map(|e| {
            let mut e = e.clone();
            e.create_sql = crate::sql::statements::strip(&e.create_sql, args.no_owner, args.no_acl);
            if args.no_comments {
                e.create_sql = crate::sql::statements::split(&e.create_sql)
                    .into_iter()
                    .filter(|s| !s.trim_start().starts_with("COMMENT ON "))
                    .collect();
            }
            e
        })
        .collect();
    let rendered = crate::ddl::Rendered {
        entries,
        warnings: snap.warnings.clone(),
        search_path: snap.search_path.clone(),
        database: snap.source.database.clone(),
        server_version_num: snap.source.server_version_num as i32,
        rendered_rows: Default::default(),
    };
    let mut out = std::io::stdout().lock();
    out.write_all(rendered.script(sections).as_bytes())?;
    out.flush()?;
    Ok(0)
}

fn run_backup(args: BackupArgs) -> Result<i32> {
    if !(args.lock_wait_timeout > 0.0 && args.lock_wait_timeout.is_finite()) {
        bail!("--lock-wait-timeout must be a positive number of seconds");
    }
    let conn = crate::pg::conn::ConnSpec::parse(&args.db)?.resolve(&crate::pg::conn::process_env)?;
    let repo = Repository::open(&args.repo.repo)
        .with_context(|| format!("opening repository {}", args.repo.repo.display()))?;
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
        ..crate::engine::backup::BackupOptions::default()
    };
    // One thread for the async side: the CPU work (chunking, hashing,
    // compression) has threads of its own, and COPY's message-per-row
    // traffic costs fewer wake-ups on one thread (measured: half the
    // system time of a multi-threaded runtime, same or better wall time).
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let progress = progress_for_terminal();
    let (id, snap) = rt.block_on(crate::engine::backup::backup(&repo, &conn, &opts, progress.as_ref()))?;
    for w in &snap.warnings {
        eprintln!("pgkeep: warning: {w}");
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary_json(&id, &snap))?);
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

fn run_restore(args: RestoreArgs) -> Result<i32> {
    let repo = Repository::open(&args.repo.repo)
        .with_context(|| format!("opening repository {}", args.repo.repo.display()))?;
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
    };
    if args.list {
        let snap = repo.load_snapshot(&id)?;
        print!("{}", crate::engine::restore::list(&snap, &id, &opts)?);
        return Ok(0);
    }
    let spec = crate::pg::conn::ConnSpec::parse(&args.db)?;
    let conn = spec.clone().resolve(&crate::pg::conn::process_env)?;
    let maintenance = if args.create {
        let mut m = spec.clone();
        m.set("dbname", "postgres")?;
        Some(m.resolve(&crate::pg::conn::process_env)?)
    } else {
        None
    };
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let progress = progress_for_terminal();
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

fn run_debug(cmd: DebugCommand) -> Result<i32> {
    match cmd {
        DebugCommand::Put {
            repo,
            tenant,
            tag,
            files,
        } => {
            let r = Repository::open(&repo.repo)?;
            let started = chrono::Utc::now();
            let session = r.begin_backup("debug put", default_threads())?;
            let tables: Vec<TableData> = std::thread::scope(|s| {
                let handles: Vec<_> = files
                    .iter()
                    .map(|f| {
                        let session = &session;
                        s.spawn(move || -> Result<TableData> {
                            let name = f.display().to_string();
                            let file = std::fs::File::open(f)
                                .with_context(|| format!("cannot open {name}"))?;
                            let sum = session.write_reader(
                                &name,
                                std::io::BufReader::with_capacity(1 << 20, file),
                            )?;
                            Ok(TableData {
                                name,
                                raw_bytes: sum.raw_bytes,
                                new_stored_bytes: sum.new_stored_bytes,
                                parts: vec![Part {
                                    raw_bytes: sum.raw_bytes,
                                    new_stored_bytes: sum.new_stored_bytes,
                                    chunks: sum.chunks,
                                    ..Part::default()
                                }],
                                ..TableData::default()
                            })
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| {
                        h.join()
                            .map_err(|_| anyhow::anyhow!("writer thread panicked"))?
                    })
                    .collect::<Result<Vec<_>>>()
            })?;
            let stats = session.stats();
            let snap = Snapshot {
                scope: Scope {
                    kind: "files".into(),
                    ..Scope::default()
                },
                tenant,
                tags: tag,
                totals: Totals {
                    tables: tables.len() as u64,
                    raw_bytes: tables.iter().map(|t| t.raw_bytes).sum(),
                    chunks: tables.iter().map(|t| t.parts[0].chunks.len() as u64).sum(),
                    new_chunks: stats.new_chunks,
                    new_raw_bytes: stats.new_raw_bytes,
                    new_stored_bytes: stats.new_stored_bytes,
                    ..Totals::default()
                },
                tables,
                ..Snapshot::stamped(started)
            };
            let id = session.commit(&snap)?;
            println!("{id}");
            Ok(0)
        }
        DebugCommand::Cat {
            repo,
            snapshot,
            stream,
        } => {
            let r = Repository::open(&repo.repo)?;
            let id = r.resolve_snapshot(&snapshot, None)?;
            let snap = r.load_snapshot(&id)?;
            let t = snap
                .tables
                .iter()
                .find(|t| Snapshot::describe_table(t) == stream)
                .with_context(|| format!("snapshot {} has no stream {stream:?}", id.short()))?;
            let ir = r.load_index()?;
            let mut out = std::io::stdout().lock();
            for (i, p) in t.parts.iter().enumerate() {
                let mut rd = ir.read_stream(p.chunks.clone(), format!("{stream} part {i}"));
                std::io::copy(&mut rd, &mut out)
                    .with_context(|| format!("reading {stream} part {i}"))?;
            }
            out.flush()?;
            Ok(0)
        }
        DebugCommand::HoldLock {
            repo,
            exclusive,
            seconds,
        } => {
            let r = Repository::open(&repo.repo)?;
            let _g = if exclusive {
                r.lock_exclusive("debug hold-lock")?
            } else {
                r.lock_shared("debug hold-lock")?
            };
            println!("locked");
            std::io::stdout().flush()?;
            std::thread::sleep(std::time::Duration::from_secs(seconds));
            Ok(0)
        }
        DebugCommand::Decode { kind, file } => {
            use crate::repo::envelope::{self, Kind};
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let obj = file.display().to_string();
            let value: serde_json::Value = match kind.as_str() {
                "config" => serde_json::to_value(envelope::open_value::<RepoConfig>(
                    Kind::Config,
                    &bytes,
                    &obj,
                )?)?,
                "index" => serde_json::to_value(envelope::open_value::<
                    crate::repo::index::IndexFile,
                >(Kind::Index, &bytes, &obj)?)?,
                "snapshot" => serde_json::to_value(Snapshot::decode(&bytes, &obj)?)?,
                "lock" => serde_json::to_value(
                    envelope::open_value::<crate::repo::lock::LockInfo>(Kind::Lock, &bytes, &obj)?,
                )?,
                other => {
                    bail!("unknown object kind {other:?}: expected config, index, snapshot or lock")
                }
            };
            println!("{}", serde_json::to_string_pretty(&value)?);
            Ok(0)
        }
    }
}

/// What a listed snapshot holds. Only complete backups are ever written
/// (a failed one leaves no manifest), so this says how much it covers.
fn snapshot_status(s: &Snapshot) -> &'static str {
    match (s.scope.schema_only, s.scope.data_only) {
        (true, _) => "complete, schema only",
        (_, true) => "complete, data only",
        _ => "complete",
    }
}

/// Bytes in binary units, as `du -h` writes them.
fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

