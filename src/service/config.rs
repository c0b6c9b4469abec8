//! The service's configuration file (`pgkeep serve --config pgkeep.toml`):
//! sources and how their tenants are found, schedules with their dump
//! options and retention, the repository, the HTTP listener, the admin
//! token's location, alert webhooks.
//!
//! Unknown keys are errors that name them (serde's `deny_unknown_fields`,
//! with the path toml gives). The admin token is never read from the file
//! itself: only from a file or an environment variable it names. This
//! module parses and validates; it starts nothing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::alerts::WebhookConfig;
use super::retention::{self, Policy};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("reading {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path}: {message}")]
    Parse { path: String, message: String },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

/// The admin token could not be read, or is too short to be one.
#[derive(Debug, thiserror::Error)]
pub enum AdminTokenError {
    #[error("reading the admin token from {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("the admin token variable {0} is not set")]
    Unset(String),
    #[error("the admin token must be at least 16 characters")]
    TooShort,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Repository (created by `pgkeep init`): a directory, or
    /// `s3://bucket/prefix`, `az://container/prefix`, `gs://bucket/prefix`
    /// with credentials from the store's environment variables.
    pub repository: crate::repo::RepoLocation,
    /// HTTP listen address, e.g. "127.0.0.1:8432".
    #[serde(default = "default_listen")]
    pub listen: String,
    /// A file holding the admin token (first line).
    pub admin_token_file: Option<PathBuf>,
    /// An environment variable holding the admin token.
    pub admin_token_env: Option<String>,
    /// An encrypted repository's password: the first line of this file
    /// (or of `password_command`'s output; else PGKEEP_PASSWORD_FILE,
    /// PGKEEP_PASSWORD_COMMAND, PGKEEP_PASSWORD or PGKEEP_KEY_FILE). Never
    /// the password itself in this file.
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    #[serde(default)]
    pub password_command: Option<String>,
    /// Refuse to start on an unencrypted repository: whoever can write to
    /// one controls what a restore executes.
    #[serde(default)]
    pub require_encryption: bool,
    /// The API's limits: a client must send a request's headers within
    /// `header_timeout` (idle keep-alive connections are closed after it
    /// too), a request is answered within `request_timeout`, and at most
    /// `max_connections` connections are open (more wait in the listen
    /// backlog), so idle or half-open connections cannot take the file
    /// descriptors backups need.
    #[serde(default)]
    pub http: HttpConfig,
    /// Jobs (backups, restores, verifies, prunes) running at once.
    #[serde(default = "default_max_jobs")]
    pub max_concurrent_jobs: usize,
    /// After downtime, run each schedule once for the occurrences missed
    /// (at most once, however many were missed).
    #[serde(default = "yes")]
    pub catch_up: bool,
    /// How long a SIGTERM waits for running jobs.
    #[serde(default = "default_shutdown", with = "duration_str")]
    pub shutdown_timeout: Duration,
    /// `/health` fails and an alert is sent below this much free disk in
    /// the repository's file system, e.g. "1GiB".
    #[serde(default = "default_min_free", deserialize_with = "bytes_str")]
    pub min_free_disk: u64,
    /// A tenant's last success may be this much older than its schedule
    /// allows before it counts as missed (health, alerts).
    #[serde(default = "default_grace", with = "duration_str")]
    pub stale_grace: Duration,
    /// Retention for backups not made by a schedule (API and CLI runs);
    /// none keeps them until deleted.
    #[serde(default)]
    pub retention: Policy,
    /// Job records older than this are removed after a schedule's round
    /// (the newest successful backup of each tenant is always kept, for
    /// health and stats). "0s" keeps every record.
    #[serde(default = "default_job_history", with = "duration_str")]
    pub job_history: Duration,
    /// Time zone of the default retention's day/week buckets, and of
    /// schedules that name none.
    #[serde(default = "default_tz")]
    pub timezone: String,
    #[serde(default)]
    pub sources: Vec<SourceConfig>,
    #[serde(default)]
    pub schedules: Vec<ScheduleConfig>,
    /// Repositories every schedule round's new snapshots are copied into
    /// (3-2-1), each with its own retention.
    #[serde(default)]
    pub copy_to: Vec<CopyTarget>,
    #[serde(default)]
    pub alerts: AlertsConfig,
    /// How a round (a schedule's run, `POST /api/v1/backups/run`) reads
    /// its schema tenants: one exported snapshot per source, for at most
    /// `max_duration`.
    #[serde(default)]
    pub round: RoundConfig,
}

/// A round's shared snapshot (see the README's service section): the
/// schema tenants of one source are backed up from one exported snapshot,
/// consistent with one another and without a connection, a snapshot and a
/// scope lookup per tenant. The snapshot holds back vacuum's xmin horizon
/// (and its locks block DDL that needs an exclusive lock on the tenants'
/// tables) until the round's last backup ends, or `max_duration` after it
/// was taken: a tenant whose backup has not started by then fails with an
/// error saying so, and goes first in the next round.
#[derive(Clone, Debug, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RoundConfig {
    /// false: every tenant's backup takes its own snapshot, as a single
    /// tenant's backup does.
    pub shared_snapshot: bool,
    #[serde(with = "duration_str")]
    pub max_duration: Duration,
}

impl Default for RoundConfig {
    fn default() -> Self {
        RoundConfig { shared_snapshot: true, max_duration: Duration::from_secs(2 * 3600) }
    }
}

#[derive(Clone, Debug, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    #[serde(with = "duration_str")]
    pub header_timeout: Duration,
    #[serde(with = "duration_str")]
    pub request_timeout: Duration,
    pub max_connections: usize,
    /// How long `/health` reuses its last probes (a login to every source).
    #[serde(with = "duration_str")]
    pub health_cache: Duration,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            max_connections: 64,
            health_cache: Duration::from_secs(15),
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsConfig {
    #[serde(default)]
    pub webhooks: Vec<WebhookConfig>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    pub name: String,
    /// A connection string or URI, as `pgkeep backup -d` takes it
    /// (passwords belong in `.pgpass` or `PGPASSWORD`, not here).
    pub connection: String,
    pub tenants: TenantDiscovery,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, tag = "mode", rename_all = "lowercase")]
pub enum TenantDiscovery {
    /// Every schema whose name matches `pattern` (SQL LIKE) is a tenant,
    /// found again on every run.
    Schema { pattern: String },
    /// Every database matching `pattern` is a tenant.
    Database { pattern: String },
    /// The whole database is one tenant, named `name` (default: the source's name).
    Whole { name: Option<String> },
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleConfig {
    pub name: String,
    /// Cron expression, 5 or 6 fields (seconds optional).
    pub cron: String,
    /// IANA time zone the expression (and the schedule's retention) is
    /// read in; default: the top-level `timezone`.
    #[serde(default)]
    pub timezone: String,
    pub source: String,
    /// Which tenants: a SQL LIKE pattern on tenant names ("%" = all).
    #[serde(default = "all_tenants")]
    pub tenants: String,
    #[serde(default)]
    pub dump: DumpConfig,
    #[serde(default)]
    pub retention: Policy,
    /// Prune unreferenced data after retention forgot snapshots.
    #[serde(default = "yes")]
    pub prune: bool,
}

/// A second repository the service copies each round's snapshots into.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CopyTarget {
    pub name: String,
    /// Created beforehand with `pgkeep init` (`--encrypt` advised): a
    /// directory or an object store location, as `repository`.
    pub repository: crate::repo::RepoLocation,
    /// Its password (first line of the file, or the command's output).
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    #[serde(default)]
    pub password_command: Option<String>,
    /// Applied per tenant to the copies in this repository after each copy
    /// (in the top-level `timezone`); empty keeps every copy.
    #[serde(default)]
    pub retention: Policy,
    /// Prune the target after its retention forgot copies.
    #[serde(default = "yes")]
    pub prune: bool,
}

impl CopyTarget {
    pub fn secret(&self) -> crate::repo::crypto::PasswordSource {
        crate::repo::crypto::PasswordSource {
            password_file: self.password_file.clone(),
            password_command: self.password_command.clone(),
            key_file: None,
            env_prefix: None,
        }
    }
}

/// Options of the backups a schedule (or an API call) runs.
#[derive(Clone, Debug, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DumpConfig {
    pub jobs: usize,
    /// Only these tables (patterns, as `-t`), e.g. the critical ones.
    pub tables: Vec<String>,
    pub exclude_tables: Vec<String>,
    pub exclude_table_data: Vec<String>,
    pub schema_only: bool,
    #[serde(with = "duration_str")]
    pub lock_wait_timeout: Duration,
}

impl DumpConfig {
    /// Settings a backup can run with: `jobs` within 1 ..= 64.
    pub fn validate(&self) -> Result<(), crate::pg::sessions::JobsOutOfRange> {
        crate::pg::sessions::check_jobs(self.jobs)?;
        Ok(())
    }
}

impl Default for DumpConfig {
    fn default() -> Self {
        DumpConfig {
            jobs: 2,
            tables: Vec::new(),
            exclude_tables: Vec::new(),
            exclude_table_data: Vec::new(),
            schema_only: false,
            lock_wait_timeout: Duration::from_secs(30),
        }
    }
}

fn default_listen() -> String {
    "127.0.0.1:8432".into()
}
fn default_max_jobs() -> usize {
    2
}
fn yes() -> bool {
    true
}
fn default_shutdown() -> Duration {
    Duration::from_secs(300)
}
fn default_job_history() -> Duration {
    Duration::from_secs(90 * 86_400)
}

fn default_grace() -> Duration {
    Duration::from_secs(3600)
}
fn default_min_free() -> u64 {
    1 << 30
}
fn default_tz() -> String {
    "UTC".into()
}
fn all_tenants() -> String {
    "%".into()
}

/// Durations as "90s", "5m", "1h30m", "2d" (retention's syntax).
mod duration_str {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let s = String::deserialize(d)?;
        super::retention::parse_duration(&s)
            .ok()
            .and_then(|d| d.to_std().ok())
            .ok_or_else(|| serde::de::Error::custom(format!("invalid duration {s:?} (use e.g. \"90s\", \"5m\", \"1h30m\", \"2d\")")))
    }

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{}s", d.as_secs()))
    }
}

/// Sizes as "500MB", "1GiB", "1073741824".
fn bytes_str<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let s = String::deserialize(d)?;
    parse_bytes(&s).ok_or_else(|| serde::de::Error::custom(format!("invalid size {s:?} (use e.g. \"500MB\", \"1GiB\")")))
}

pub fn parse_bytes(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().ok()?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1000,
        "kib" | "k" => 1 << 10,
        "mb" => 1_000_000,
        "mib" | "m" => 1 << 20,
        "gb" => 1_000_000_000,
        "gib" | "g" => 1 << 30,
        "tb" => 1_000_000_000_000,
        "tib" | "t" => 1 << 40,
        _ => return None,
    };
    n.checked_mul(mult)
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { path: path.display().to_string(), source })?;
        let mut config = Config::parse(&text, &path.display().to_string())?;
        // A relative repository (or password file) is relative to the
        // configuration file.
        if let Some(dir) = path.parent() {
            let relative = |p: &mut PathBuf| {
                if p.is_relative() {
                    *p = dir.join(&*p);
                }
            };
            config.password_file.iter_mut().for_each(relative);
            for t in &mut config.copy_to {
                t.repository = t.repository.clone().relative_to(dir);
                t.password_file.iter_mut().for_each(relative);
            }
            config.repository = config.repository.relative_to(dir);
        }
        Ok(config)
    }

    pub fn parse(text: &str, origin: &str) -> Result<Config, ConfigError> {
        let mut config: Config =
            toml::from_str(text).map_err(|e| ConfigError::Parse { path: origin.to_string(), message: e.to_string() })?;
        for sc in &mut config.schedules {
            if sc.timezone.is_empty() {
                sc.timezone = config.timezone.clone();
            }
        }
        config.validate(origin)?;
        Ok(config)
    }

    fn validate(&self, origin: &str) -> Result<(), ConfigError> {
        let bad = |message: String| ConfigError::Invalid { path: origin.to_string(), message };
        if self.max_concurrent_jobs == 0 {
            return Err(bad("max_concurrent_jobs must be at least 1".into()));
        }
        if !(1..=10_000).contains(&self.http.max_connections) {
            return Err(bad("http.max_connections must be between 1 and 10000".into()));
        }
        if self.round.max_duration.is_zero() {
            return Err(bad("round.max_duration must be more than 0s".into()));
        }
        if self.http.header_timeout.is_zero() || self.http.request_timeout.is_zero() {
            return Err(bad("http.header_timeout and http.request_timeout must be more than 0s".into()));
        }
        if self.admin_token_file.is_some() == self.admin_token_env.is_some() {
            return Err(bad(
                "give exactly one of admin_token_file or admin_token_env (the token itself never goes in this file)".into(),
            ));
        }
        super::schedule::parse_zone(&self.timezone).map_err(|e| bad(format!("timezone: {e}")))?;
        self.retention.validate().map_err(|e| bad(format!("retention: {e}")))?;
        let mut names = BTreeSet::new();
        for s in &self.sources {
            if !names.insert(s.name.as_str()) {
                return Err(bad(format!("two sources are named {:?}", s.name)));
            }
            crate::pg::conn::ConnSpec::parse(&s.connection)
                .map_err(|e| bad(format!("source {:?}: connection: {e}", s.name)))?;
            match &s.tenants {
                TenantDiscovery::Schema { pattern } | TenantDiscovery::Database { pattern } if pattern.is_empty() => {
                    return Err(bad(format!("source {:?}: an empty tenant pattern matches nothing", s.name)));
                }
                _ => {}
            }
        }
        let mut targets = BTreeSet::new();
        for t in &self.copy_to {
            if !targets.insert(t.name.as_str()) {
                return Err(bad(format!("two copy_to targets are named {:?}", t.name)));
            }
            if t.repository == self.repository {
                return Err(bad(format!("copy_to {:?}: the target is the service's own repository", t.name)));
            }
            t.retention.validate().map_err(|e| bad(format!("copy_to {:?}: retention: {e}", t.name)))?;
        }
        let mut schedules = BTreeSet::new();
        for sc in &self.schedules {
            if !schedules.insert(sc.name.as_str()) {
                return Err(bad(format!("two schedules are named {:?}", sc.name)));
            }
            if !names.contains(sc.source.as_str()) {
                return Err(bad(format!("schedule {:?}: no source is named {:?}", sc.name, sc.source)));
            }
            super::schedule::parse_cron(&sc.cron).map_err(|e| bad(format!("schedule {:?}: {e}", sc.name)))?;
            super::schedule::parse_zone(&sc.timezone).map_err(|e| bad(format!("schedule {:?}: {e}", sc.name)))?;
            sc.retention.validate().map_err(|e| bad(format!("schedule {:?}: retention: {e}", sc.name)))?;
            sc.dump.validate().map_err(|e| bad(format!("schedule {:?}: dump: {e}", sc.name)))?;
        }
        Ok(())
    }

    /// The admin token, from the file or environment variable configured.
    pub fn admin_token(&self) -> Result<String, AdminTokenError> {
        let token = if let Some(path) = &self.admin_token_file {
            std::fs::read_to_string(path)
                .map_err(|source| AdminTokenError::Read { path: path.display().to_string(), source })?
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_string()
        } else if let Some(var) = &self.admin_token_env {
            std::env::var(var).map_err(|_| AdminTokenError::Unset(var.clone()))?.trim().to_string()
        } else {
            String::new()
        };
        if token.len() < 16 {
            return Err(AdminTokenError::TooShort);
        }
        Ok(token)
    }

    pub fn source(&self, name: &str) -> Option<&SourceConfig> {
        self.sources.iter().find(|s| s.name == name)
    }
}

/// A retention policy's parse of a duration, for callers outside.
pub fn duration(s: &str) -> Option<Duration> {
    retention::parse_duration(s).ok().and_then(|d| d.to_std().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
repository = "/tmp/repo"
admin_token_env = "PGKEEP_TOKEN"
max_concurrent_jobs = 4
min_free_disk = "2GiB"

[[sources]]
name = "main"
connection = "host=/tmp port=5432 dbname=app"
tenants = { mode = "schema", pattern = "tenant_%" }

[[schedules]]
name = "nightly"
cron = "0 0 2 * * *"
timezone = "Europe/Paris"
source = "main"
retention = { keep_last = 3, keep_daily = 7, keep_weekly = 4 }
dump = { jobs = 2, tables = ["orders"] }

[[alerts.webhooks]]
url = "http://127.0.0.1:9/hook"
format = "slack"
"#;

    #[test]
    fn a_full_config_parses() {
        let c = Config::parse(GOOD, "test.toml").unwrap();
        assert_eq!(c.max_concurrent_jobs, 4);
        assert_eq!(c.min_free_disk, 2 << 30);
        assert_eq!(c.sources[0].tenants, TenantDiscovery::Schema { pattern: "tenant_%".into() });
        assert_eq!(c.schedules[0].retention.keep_last, Some(3));
        assert_eq!(c.schedules[0].dump.tables, vec!["orders".to_string()]);
        assert!(c.catch_up);
    }

    #[test]
    fn the_repository_may_be_an_object_store_location() {
        let c = Config::parse(&GOOD.replace("\"/tmp/repo\"", "\"s3://backups/pgkeep/prod\""), "t.toml").unwrap();
        assert_eq!(c.repository.to_string(), "s3://backups/pgkeep/prod");
        assert!(c.repository.is_remote());
        let e = Config::parse(&GOOD.replace("\"/tmp/repo\"", "\"s4://backups\""), "t.toml").unwrap_err();
        assert!(e.to_string().contains("unknown scheme s4://"), "{e}");
        // Config::load resolves a relative directory against the file's; a
        // remote location stays as it is.
        let dir = tempfile::tempdir().unwrap();
        for (repo, want) in [("rel/repo", dir.path().join("rel/repo").display().to_string()), ("az://c/p", "az://c/p".to_string())] {
            let file = dir.path().join("pgkeep.toml");
            std::fs::write(&file, GOOD.replace("/tmp/repo", repo)).unwrap();
            assert_eq!(Config::load(&file).unwrap().repository.to_string(), want);
        }
    }

    #[test]
    fn the_shipped_example_parses() {
        let c = Config::parse(include_str!("../../deploy/pgkeep.toml.example"), "pgkeep.toml.example").unwrap();
        assert_eq!((c.sources.len(), c.schedules.len(), c.alerts.webhooks.len()), (2, 3, 2));
    }

    #[test]
    fn unknown_keys_are_named() {
        let e = Config::parse(&GOOD.replace("max_concurrent_jobs", "max_concurent_jobs"), "t.toml").unwrap_err();
        assert!(e.to_string().contains("max_concurent_jobs"), "{e}");
        let e = Config::parse(&GOOD.replace("keep_daily", "keep_dayly"), "t.toml").unwrap_err();
        assert!(e.to_string().contains("keep_dayly"), "{e}");
        let e = Config::parse(&GOOD.replace("format = \"slack\"", "format = \"slack\"\nretries = 3"), "t.toml").unwrap_err();
        assert!(e.to_string().contains("retries"), "{e}");
    }

    #[test]
    fn invalid_values_are_named() {
        for (from, to, needle) in [
            ("0 0 2 * * *", "0 0 25 * * *", "nightly"),
            ("Europe/Paris", "Mars/Olympus", "Mars/Olympus"),
            ("source = \"main\"", "source = \"other\"", "other"),
            ("admin_token_env = \"PGKEEP_TOKEN\"", "admin_token = \"secret\"", "admin_token"),
            ("\"2GiB\"", "\"lots\"", "lots"),
        ] {
            let e = Config::parse(&GOOD.replace(from, to), "t.toml").unwrap_err();
            assert!(e.to_string().contains(needle), "{from} -> {to}: {e}");
        }
    }
}
