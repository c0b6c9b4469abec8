//! The command line's arguments: the clap structs and enums, and the value
//! parsers behind them. What each verb does with them is in its own file
//! (`repo_cmds`, `backup_cmd`, ...); nothing here opens a repository,
//! connects to a server or prints.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::repo::{ChunkerParams, CompressionParams, RepoLocation};

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
    /// Repository: a directory, or s3://BUCKET/PREFIX, az://CONTAINER/PREFIX,
    /// gs://BUCKET/PREFIX (credentials and endpoints from the store's
    /// environment variables).
    #[arg(long, env = "PGKEEP_REPO", value_name = "LOCATION")]
    pub repo: RepoLocation,
    #[command(flatten)]
    pub secret: SecretArgs,
}

/// Where an encrypted repository's password (or raw key) comes from. Also
/// from the environment: PGKEEP_PASSWORD_FILE, PGKEEP_PASSWORD_COMMAND,
/// PGKEEP_PASSWORD, PGKEEP_KEY_FILE. Never the password itself as an
/// argument: other users can read a process's arguments.
#[derive(Args, Debug, Clone, Default)]
pub struct SecretArgs {
    /// File whose first line is the repository's password.
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// Shell command that prints the repository's password.
    #[arg(long, value_name = "CMD")]
    pub password_command: Option<String>,
    /// File holding a raw 256-bit key (64 hex digits) instead of a password.
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
}

impl SecretArgs {
    pub fn source(&self) -> crate::repo::crypto::PasswordSource {
        crate::repo::crypto::PasswordSource {
            key_file: self.key_file.clone(),
            password_file: self.password_file.clone(),
            password_command: self.password_command.clone(),
            env_prefix: None,
        }
    }
}

impl RepoArg {
    /// Open the repository (an encrypted one with the secret given).
    pub fn open(&self) -> Result<crate::repo::Repository, crate::repo::RepoError> {
        crate::repo::Repository::open_located(&self.repo, &Default::default(), &self.secret.source())
    }
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
    /// Repository of SNAPSHOT (a directory or an object store location).
    #[arg(long, env = "PGKEEP_REPO", value_name = "LOCATION")]
    pub repo: Option<RepoLocation>,
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
    /// How to store this backup's new chunks: `zstd` (the repository's
    /// level), `zstd:LEVEL` (1–19) or `none` (pg_dump 16's spelling).
    /// Chunks that do not compress are stored raw whatever the setting.
    /// Default: the repository's level (`init --compression-level`).
    #[arg(long, value_name = "METHOD[:LEVEL]")]
    pub compress: Option<crate::repo::Compression>,
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
    /// How the parts of a big table (split at backup) load: `parallel` from
    /// several sessions at once, `one-transaction` one after another in a
    /// transaction that truncates the new table and COPYs with FREEZE (no
    /// WAL with wal_level = minimal), or `auto`: parallel on PostgreSQL 16
    /// and later unless wal_level is minimal.
    #[arg(long, value_enum, default_value = "auto")]
    pub load_parts: LoadParts,
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum LoadParts {
    Auto,
    Parallel,
    OneTransaction,
}

impl From<LoadParts> for crate::engine::restore::PartsPolicy {
    fn from(p: LoadParts) -> Self {
        match p {
            LoadParts::Auto => Self::Auto,
            LoadParts::Parallel => Self::Parallel,
            LoadParts::OneTransaction => Self::OneTransaction,
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Back up a database, schemas or tables into the repository.
    Backup(BackupArgs),
    /// Restore a snapshot into a database (or list its contents).
    Restore(RestoreArgs),
    /// A snapshot's tables: rows, bytes, compression, parts.
    Show(ShowArgs),
    /// One table of a snapshot as CSV (what `COPY … (FORMAT csv)` prints) or JSON lines, without a server.
    Export(ExportArgs),
    /// What changed between two snapshots: tables, rows, bytes stored anew, DDL.
    Diff(DiffArgs),
    /// Prove snapshots restorable without a server (all of them by default).
    Verify(VerifyArgs),
    /// Create a new repository.
    Init(InitArgs),
    /// Copy snapshots into another repository, sending only the chunks it lacks.
    Copy(CopyArgs),
    /// Manage an encrypted repository's key files.
    #[command(subcommand)]
    Key(KeyCommand),
    /// List snapshots.
    Snapshots(SnapshotsArgs),
    /// Remove snapshots (their data goes with the next `prune`).
    Forget(ForgetArgs),
    /// Remove data no snapshot references; rewrite mostly-empty packs.
    Prune(PruneArgs),
    /// Check the repository's structure, and with --read-data every byte.
    Check(CheckArgs),
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

// The arguments of the verbs below carry no `///` of their own: on an
// `Args` struct it would replace the verb's help, which is the doc comment
// of its `Command` variant.

#[derive(Args, Debug, Clone)]
pub struct ShowArgs {
    #[command(flatten)]
    pub repo: RepoArg,
    /// Snapshot id, prefix or `latest`.
    pub snapshot: String,
    #[arg(long)]
    pub tenant: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug, Clone)]
pub struct ExportArgs {
    #[command(flatten)]
    pub repo: RepoArg,
    /// Snapshot id, prefix or `latest`.
    pub snapshot: String,
    /// `schema.table`, or a table name unique in the snapshot.
    pub table: String,
    #[arg(long, value_enum, default_value = "csv")]
    pub format: crate::engine::export::ExportFormat,
    /// Write here instead of standard output (replaced only when complete).
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
    /// Time zone `timestamptz` values are shown in (IANA name).
    #[arg(long, default_value = "UTC")]
    pub timezone: String,
    /// CSV: start with a line of column names.
    #[arg(long)]
    pub header: bool,
    #[arg(long)]
    pub tenant: Option<String>,
}

#[derive(Args, Debug, Clone)]
pub struct DiffArgs {
    #[command(flatten)]
    pub repo: RepoArg,
    pub from: String,
    pub to: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug, Clone)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub repo: RepoArg,
    /// Snapshot ids, prefixes or `latest`.
    pub snapshots: Vec<String>,
    /// Every snapshot (the default when none is named).
    #[arg(long)]
    pub all: bool,
    /// The newest snapshot (of --tenant, if given).
    #[arg(long)]
    pub latest: bool,
    #[arg(long)]
    pub tenant: Option<String>,
    /// Read every chunk and parse every table's data.
    #[arg(long)]
    pub read_data: bool,
    /// Tables read at once.
    #[arg(short = 'j', long, default_value_t = default_threads(), value_parser = jobs_parser())]
    pub jobs: usize,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug, Clone)]
pub struct InitArgs {
    #[command(flatten)]
    pub repo: RepoArg,
    /// zstd level for table data (1–19).
    #[arg(long, default_value_t = CompressionParams::default().level)]
    pub compression_level: i32,
    /// Average chunk size in KiB (a power of two); min is a quarter, max four times.
    #[arg(long, default_value_t = ChunkerParams::default().avg_size / 1024)]
    pub chunk_avg_kib: u32,
    /// Target pack size in MiB.
    #[arg(long, default_value_t = (crate::repo::config::DEFAULT_PACK_SIZE >> 20) as u32)]
    pub pack_size_mib: u32,
    /// Encrypt and authenticate everything stored (AES-256-GCM, keyed
    /// content ids); the password (or raw key) comes from --password-file,
    /// --password-command, --key-file or the environment.
    #[arg(long)]
    pub encrypt: bool,
    /// The cipher of an encrypted repository: aes-256-gcm (fastest with AES
    /// instructions) or xchacha20-poly1305 (as fast without them).
    #[arg(long, requires = "encrypt", value_parser = parse_cipher)]
    pub cipher: Option<crate::repo::crypto::Cipher>,
    #[command(flatten)]
    pub kdf: KdfArgs,
}

fn parse_cipher(s: &str) -> Result<crate::repo::crypto::Cipher, String> {
    crate::repo::crypto::Cipher::from_name(s).ok_or_else(|| {
        let names: Vec<&str> = crate::repo::crypto::Cipher::ALL.iter().map(|c| c.name()).collect();
        format!("unknown cipher {s:?}; one of: {}", names.join(", "))
    })
}

/// Argon2id's cost for a new password's key file.
#[derive(Args, Debug, Clone)]
pub struct KdfArgs {
    /// Argon2id memory in MiB.
    #[arg(long, default_value_t = crate::repo::crypto::KdfParams::default().memory_kib / 1024)]
    pub kdf_memory_mib: u32,
    /// Argon2id passes.
    #[arg(long, default_value_t = crate::repo::crypto::KdfParams::default().iterations)]
    pub kdf_iterations: u32,
}

impl KdfArgs {
    pub fn params(&self) -> crate::repo::crypto::KdfParams {
        crate::repo::crypto::KdfParams {
            memory_kib: self.kdf_memory_mib.saturating_mul(1024),
            iterations: self.kdf_iterations,
            ..crate::repo::crypto::KdfParams::default()
        }
    }
}

#[derive(Args, Debug, Clone)]
pub struct CopyArgs {
    /// The repository to copy from (a directory or an object store location).
    #[arg(long, value_name = "LOCATION")]
    pub from: RepoLocation,
    /// The repository to copy into (created beforehand with `pgkeep init`).
    #[arg(long, value_name = "LOCATION")]
    pub to: RepoLocation,
    /// Snapshots (ids, unique prefixes or `latest`); none with --all.
    pub snapshots: Vec<String>,
    /// Every snapshot of the source (of --tenant's, with it).
    #[arg(long)]
    pub all: bool,
    #[arg(long)]
    pub tenant: Option<String>,
    /// The source's password file (or PGKEEP_FROM_PASSWORD_FILE, PGKEEP_FROM_PASSWORD, …).
    #[arg(long, value_name = "FILE")]
    pub from_password_file: Option<PathBuf>,
    #[arg(long, value_name = "CMD")]
    pub from_password_command: Option<String>,
    #[arg(long, value_name = "FILE")]
    pub from_key_file: Option<PathBuf>,
    /// The target's password file (or PGKEEP_PASSWORD_FILE, PGKEEP_PASSWORD, …).
    #[arg(long, value_name = "FILE")]
    pub to_password_file: Option<PathBuf>,
    #[arg(long, value_name = "CMD")]
    pub to_password_command: Option<String>,
    #[arg(long, value_name = "FILE")]
    pub to_key_file: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Subcommand, Debug, Clone)]
pub enum KeyCommand {
    /// List the key files (which one opened the repository is marked).
    List {
        #[command(flatten)]
        repo: RepoArg,
    },
    /// Add a key file for another password or raw key.
    Add(NewKeyArgs),
    /// Remove a key file (not the one used to open the repository).
    Remove {
        #[command(flatten)]
        repo: RepoArg,
        /// The key file's id (a unique prefix will do).
        id: String,
    },
    /// Change the password: a new key file replaces the one used to open.
    Passwd(NewKeyArgs),
}

#[derive(Args, Debug, Clone)]
pub struct NewKeyArgs {
    #[command(flatten)]
    pub repo: RepoArg,
    /// File whose first line is the new password.
    #[arg(long, value_name = "FILE")]
    pub new_password_file: Option<PathBuf>,
    /// Shell command that prints the new password.
    #[arg(long, value_name = "CMD")]
    pub new_password_command: Option<String>,
    /// File holding the new raw 256-bit key (64 hex digits).
    #[arg(long, value_name = "FILE")]
    pub new_key_file: Option<PathBuf>,
    #[command(flatten)]
    pub kdf: KdfArgs,
}

#[derive(Args, Debug, Clone)]
pub struct SnapshotsArgs {
    #[command(flatten)]
    pub repo: RepoArg,
    /// Only this tenant's snapshots.
    #[arg(long)]
    pub tenant: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug, Clone)]
pub struct ForgetArgs {
    #[command(flatten)]
    pub repo: RepoArg,
    /// Snapshot ids, unambiguous prefixes, or `latest`.
    #[arg(required = true)]
    pub snapshots: Vec<String>,
    /// With `latest`: the newest snapshot of this tenant.
    #[arg(long)]
    pub tenant: Option<String>,
}

#[derive(Args, Debug, Clone)]
pub struct PruneArgs {
    #[command(flatten)]
    pub repo: RepoArg,
    /// Only report what would be removed.
    #[arg(long)]
    pub dry_run: bool,
    /// Rewrite packs whose garbage exceeds this percentage.
    #[arg(long, default_value_t = 50.0)]
    pub max_unused_percent: f64,
    /// Delete packs no index lists only when older than this ("1h",
    /// "30m", "0s"): a running backup indexes its packs after writing them.
    #[arg(long, default_value = "1h", value_parser = parse_grace)]
    pub unindexed_grace: std::time::Duration,
}

#[derive(Args, Debug, Clone)]
pub struct CheckArgs {
    #[command(flatten)]
    pub repo: RepoArg,
    #[arg(long)]
    pub read_data: bool,
    /// Threads reading packs.
    #[arg(short = 'j', long, default_value_t = default_threads(), value_parser = jobs_parser())]
    pub jobs: usize,
    #[arg(long)]
    pub json: bool,
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

pub(super) fn default_threads() -> usize {
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
