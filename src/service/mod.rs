//! `pgkeep serve`: the engine run as a service. Schedules back up every
//! tenant of every source, retention forgets what policies no longer
//! keep and prune frees the data, an HTTP API lets an admin run, list,
//! restore, verify and delete backups, and metrics, health and alerts
//! tell someone when something is wrong.
//!
//! This module owns the job runner: every piece of work is a job with a
//! record in the repository (`jobs`), runs under a global concurrency
//! bound, never two at once for one tenant, and never while a prune
//! could remove what it needs. It calls the engines through their library
//! API (`dump`, `restore`, `verify`, `repo::prune`); it never shells out
//! to the CLI.

pub mod alerts;
pub mod api;
pub mod config;
pub mod health;
pub mod jobs;
pub mod metrics;
pub mod retention;
pub mod round;
pub mod schedule;
pub mod tenants;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{Notify, RwLock, Semaphore};

use crate::catalog::ScopeSpec;
use crate::engine::backup::{self, BackupOptions};
use crate::engine::inspect;
use crate::progress::Silent;
use crate::repo::prune::{self, PruneOptions};
use crate::repo::{Id, Repository, Snapshot};

use alerts::{Alert, AlertKind, Alerter};
use config::{Config, DumpConfig, ScheduleConfig};
use jobs::{JobKind, JobRecord, JobStatus, JobStore, TableStat, Trigger};
use schedule::{Clock, Timing};
use tenants::{Place, Tenant};

/// The tag of snapshots kept out of retention until deleted (defined
/// beside the status that names it).
pub use crate::engine::inspect::RESTORE_POINT_TAG;
/// The tag of snapshots made by API or CLI requests.
pub const API_TAG: &str = "api";

pub fn schedule_tag(name: &str) -> String {
    format!("schedule:{name}")
}

/// What a job does.
#[derive(Clone, Debug)]
pub enum JobSpec {
    /// With `round`, the tenant is backed up from its round's shared
    /// snapshot (see [`round`]).
    Backup { tenant: Tenant, dump: DumpConfig, tags: Vec<String>, label: Option<String>, round: Option<Arc<round::Round>> },
    Restore(RestoreSpec),
    Verify { snapshot: Id, read_data: bool },
    /// Apply a policy to the snapshots of `tenants` carrying `tag`.
    Retention { tenants: Vec<String>, tag: String, policy: retention::Policy, tz: chrono_tz::Tz, dry_run: bool },
    Prune { dry_run: bool },
    /// Copy `snapshots` into the `copy_to` target `target`, then apply its
    /// retention (and prune it).
    Copy { target: String, snapshots: Vec<Id> },
}

#[derive(Clone, Debug)]
pub struct RestoreSpec {
    pub snapshot: Id,
    /// Where the snapshot goes (a schema renamed, or another database).
    pub target: Tenant,
    pub clean: bool,
    pub validate_only: bool,
    pub jobs: usize,
    /// The target may be the `postgres` database (asked for explicitly).
    pub allow_postgres: bool,
}

impl JobSpec {
    fn kind(&self) -> JobKind {
        match self {
            JobSpec::Backup { .. } => JobKind::Backup,
            JobSpec::Restore(_) => JobKind::Restore,
            JobSpec::Verify { .. } => JobKind::Verify,
            JobSpec::Retention { .. } => JobKind::Retention,
            JobSpec::Prune { .. } => JobKind::Prune,
            JobSpec::Copy { .. } => JobKind::Copy,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    Config(#[from] config::ConfigError),
    #[error("repository {path}: {source}")]
    Repo { path: String, source: crate::repo::RepoError },
    #[error("{0}")]
    Jobs(#[from] jobs::JobError),
    #[error("{0}")]
    Alerts(#[from] alerts::AlertError),
    #[error("{0}")]
    AdminToken(#[from] config::AdminTokenError),
    #[error("schedule {name:?}: {source}")]
    Schedule { name: String, source: schedule::ScheduleError },
    #[error("no schedule is named {0:?}")]
    NoSuchSchedule(String),
    #[error("cannot listen on {address}: {source}")]
    Listen { address: String, source: std::io::Error },
    /// A blocking task of the service's stopped before it finished.
    #[error("{during} stopped: {source}")]
    Stopped { during: &'static str, source: tokio::task::JoinError },
    #[error("the service is shutting down and takes no new jobs")]
    ShuttingDown,
}

/// What the service knows of a snapshot without reading it again: the
/// summary every front end lists ([`inspect::summary`], which also sets
/// the status), and what `latest` and `at` pick by.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SnapshotSummary {
    #[serde(flatten)]
    pub summary: inspect::SnapshotSummary,
    /// All of the tenant's definitions and data (not schema-only, data-only
    /// or table-filtered): only these are picked by `latest` and `at`.
    pub full_data: bool,
}

/// The summary's fields read as the service's own.
impl std::ops::Deref for SnapshotSummary {
    type Target = inspect::SnapshotSummary;
    fn deref(&self) -> &inspect::SnapshotSummary {
        &self.summary
    }
}

impl SnapshotSummary {
    fn of(id: &Id, s: &Snapshot) -> SnapshotSummary {
        SnapshotSummary { summary: inspect::summary(id, s), full_data: s.holds_full_data() }
    }

    pub fn start(&self) -> Option<DateTime<Utc>> {
        self.time.get()
    }
}

pub struct Service {
    pub config: Config,
    pub repo: Repository,
    pub jobs: JobStore,
    pub clock: Arc<dyn Clock>,
    pub alerts: Alerter,
    pub instance: String,
    pub token: String,
    slots: Arc<Semaphore>,
    tenant_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Backups, restores and verifies read; prune writes.
    repo_gate: Arc<RwLock<()>>,
    accepting: AtomicBool,
    running: AtomicUsize,
    idle: Notify,
    /// Tenants found by the last discovery of each source, by name.
    tenants: Mutex<BTreeMap<String, Tenant>>,
    snapshots: Mutex<BTreeMap<String, SnapshotSummary>>,
    pub schedules: Vec<(ScheduleConfig, Timing)>,
    /// Alerts already sent for a condition that still holds (missed
    /// schedule per tenant and due time, low disk), so each is sent once.
    alerted: Mutex<std::collections::HashSet<String>>,
    pub started_at: DateTime<Utc>,
    /// The last `/health` probes and when they ran (see `http.health_cache`).
    /// Snapshots that could not be read when the service opened the
    /// repository (each error names the file); `/health` reports them.
    pub unreadable_snapshots: Vec<String>,
    pub(crate) health_cache: tokio::sync::Mutex<Option<(std::time::Instant, bool, Vec<health::Check>)>>,
}

impl Service {
    /// Open the repository, load the job history (marking what a previous
    /// instance left running as interrupted) and the snapshot list.
    pub fn open(config: Config, clock: Arc<dyn Clock>) -> Result<Arc<Service>, ServiceError> {
        let token = config.admin_token()?;
        let secret = crate::repo::crypto::PasswordSource {
            password_file: config.password_file.clone(),
            password_command: config.password_command.clone(),
            key_file: None,
            env_prefix: None,
        };
        let repo = Repository::open_located(&config.repository, &Default::default(), &secret)
            .and_then(|r| if config.require_encryption { r.require_encryption().map(|_| r) } else { Ok(r) })
            .map_err(|source| ServiceError::Repo { path: config.repository.to_string(), source })?;
        let instance = format!("{}-{}-{}", crate::repo::lock::hostname(), std::process::id(), hex::encode(rand::random::<[u8; 4]>()));
        let now = clock.now();
        let (jobs, unreadable) = JobStore::open(&repo, &instance, now)?;
        for u in unreadable {
            tracing::warn!("{u}");
        }
        // A snapshot that cannot be read is reported and left out; the
        // rest are served (`pgkeep check` says more about the damage).
        let (readable, unreadable) = repo
            .snapshots_lenient()
            .map_err(|source| ServiceError::Repo { path: config.repository.to_string(), source })?;
        for e in &unreadable {
            tracing::error!(error = %e, "skipping an unreadable snapshot; run `pgkeep check`");
        }
        let snapshots = readable.iter().map(|(id, s)| (id.to_hex(), SnapshotSummary::of(id, s))).collect();
        let schedules = config
            .schedules
            .iter()
            .map(|s| {
                Timing::new(&s.cron, &s.timezone)
                    .map(|t| (s.clone(), t))
                    .map_err(|source| ServiceError::Schedule { name: s.name.clone(), source })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let alerts = Alerter::start(config.alerts.webhooks.clone(), alerts::DeliveryOptions::default())?;
        Ok(Arc::new(Service {
            slots: Arc::new(Semaphore::new(config.max_concurrent_jobs)),
            config,
            repo,
            jobs,
            clock,
            alerts,
            instance,
            token,
            tenant_locks: Mutex::new(HashMap::new()),
            repo_gate: Arc::new(RwLock::new(())),
            accepting: AtomicBool::new(true),
            running: AtomicUsize::new(0),
            idle: Notify::new(),
            tenants: Mutex::new(BTreeMap::new()),
            snapshots: Mutex::new(snapshots),
            schedules,
            alerted: Mutex::new(Default::default()),
            started_at: now,
            health_cache: tokio::sync::Mutex::new(None),
            unreadable_snapshots: unreadable.iter().map(|e| e.to_string()).collect(),
        }))
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn is_accepting(&self) -> bool {
        self.accepting.load(Ordering::SeqCst)
    }

    /// Snapshots known to the service, oldest first.
    pub fn snapshot_list(&self) -> Vec<SnapshotSummary> {
        self.snapshots_where(|_| true)
    }

    /// The snapshots `keep` accepts, oldest first (filtered before they
    /// are copied: a tenant's list out of 30,000 snapshots copies 30).
    pub fn snapshots_where(&self, keep: impl Fn(&SnapshotSummary) -> bool) -> Vec<SnapshotSummary> {
        let mut v = self.newest_snapshots(usize::MAX, keep);
        v.reverse();
        v
    }

    /// Run `f` over every snapshot (in no order) without copying them.
    pub fn with_snapshots<R>(&self, f: impl FnOnce(&mut dyn Iterator<Item = &SnapshotSummary>) -> R) -> R {
        let snaps = lock(&self.snapshots);
        f(&mut snaps.values())
    }

    /// The newest `limit` snapshots `keep` accepts, newest first; only
    /// those are copied.
    pub fn newest_snapshots(&self, limit: usize, keep: impl Fn(&SnapshotSummary) -> bool) -> Vec<SnapshotSummary> {
        let snaps = lock(&self.snapshots);
        let mut v: Vec<&SnapshotSummary> = snaps.values().filter(|s| keep(s)).collect();
        v.sort_unstable_by(|a, b| b.time.cmp(&a.time).then(b.id.cmp(&a.id)));
        v.into_iter().take(limit).cloned().collect()
    }

    pub fn snapshot_count(&self) -> usize {
        lock(&self.snapshots).len()
    }

    pub fn snapshot_summary(&self, id: &str) -> Option<SnapshotSummary> {
        lock(&self.snapshots).get(id).cloned()
    }

    /// A full id from a full id or an unambiguous prefix (8+ hex digits).
    pub fn resolve_snapshot_id(&self, spec: &str) -> Option<Id> {
        let snaps = lock(&self.snapshots);
        let matches: Vec<&String> = snaps.keys().filter(|k| k.starts_with(spec)).take(2).collect();
        match matches[..] {
            [one] => one.parse::<Id>().ok(),
            _ => None,
        }
    }

    /// The tenants last discovered (rediscovered on every schedule run
    /// and by `refresh_tenants`).
    pub fn known_tenants(&self) -> BTreeMap<String, Tenant> {
        lock(&self.tenants).clone()
    }

    /// Ask every source for its tenants now.
    pub async fn refresh_tenants(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut found = BTreeMap::new();
        for s in &self.config.sources {
            match tenants::discover(s).await {
                Ok(list) => {
                    for t in list {
                        if let Some(other) = found.get(&t.name).map(|o: &Tenant| o.source.clone()) {
                            problems.push(format!("tenant {} is found in sources {other} and {}; using {other}", t.name, s.name));
                            continue;
                        }
                        found.insert(t.name.clone(), t);
                    }
                }
                Err(e) => {
                    // Keep what was known of this source: a source that is
                    // down must not make its tenants unknown to the API.
                    problems.push(e.to_string());
                    for (n, t) in lock(&self.tenants).iter().filter(|(_, t)| t.source == s.name) {
                        found.entry(n.clone()).or_insert_with(|| t.clone());
                    }
                }
            }
        }
        *lock(&self.tenants) = found;
        problems
    }

    /// Queue a job; it runs when a slot (and its tenant) is free.
    pub fn submit(self: &Arc<Self>, spec: JobSpec, tenant: Option<String>, trigger: Trigger) -> Result<JobRecord, ServiceError> {
        if !self.is_accepting() {
            return Err(ServiceError::ShuttingDown);
        }
        let now = self.now();
        let record = JobRecord::new(jobs::new_id(now), spec.kind(), tenant.clone(), trigger, now, &self.instance);
        self.jobs.put(record.clone())?;
        self.running.fetch_add(1, Ordering::SeqCst);
        let svc = self.clone();
        let id = record.id.clone();
        tokio::spawn(async move {
            svc.run_job(&id, spec, tenant).await;
            if svc.running.fetch_sub(1, Ordering::SeqCst) == 1 {
                svc.idle.notify_waiters();
            }
        });
        Ok(record)
    }

    /// Whether a backup of `tenant` is queued or running.
    pub fn backup_pending(&self, tenant: &str) -> bool {
        !self
            .jobs
            .query(1, |r| r.kind == JobKind::Backup && r.tenant.as_deref() == Some(tenant) && !r.status.is_done() && r.instance == self.instance)
            .is_empty()
    }

    fn tenant_lock(&self, tenant: &str) -> Arc<tokio::sync::Mutex<()>> {
        lock(&self.tenant_locks).entry(tenant.to_string()).or_default().clone()
    }

    async fn run_job(self: &Arc<Self>, id: &str, spec: JobSpec, tenant: Option<String>) {
        // However this job ends (or if it never starts), its round knows.
        let _round = match &spec {
            JobSpec::Backup { round: Some(r), .. } => Some(round::JobGuard::new(r)),
            _ => None,
        };
        let Ok(_slot) = self.slots.clone().acquire_owned().await else { return };
        let _tenant = match &tenant {
            Some(t) => Some(self.tenant_lock(t).lock_owned().await),
            None => None,
        };
        // Prune rewrites packs: nothing else may read or write the
        // repository meanwhile. Everything else shares.
        let gate = self.repo_gate.clone();
        let (_read, _write) = match spec {
            JobSpec::Prune { dry_run: false } => (None, Some(gate.write_owned().await)),
            _ => (Some(gate.read_owned().await), None),
        };
        if !self.is_accepting() {
            let _ = self.jobs.update(id, |r| {
                r.status = JobStatus::Interrupted;
                r.ended_at = Some(self.now());
                r.error = Some("the service shut down before the job started".into());
            });
            return;
        }
        let started = self.now();
        let _ = self.jobs.update(id, |r| {
            r.status = JobStatus::Running;
            r.started_at = Some(started);
        });
        tracing::info!(job = id, kind = spec.kind().as_str(), tenant = tenant.as_deref().unwrap_or("-"), "job started");
        let kind = spec.kind();
        let outcome = self.execute(spec, started).await;
        let ended = self.now();
        let record = self.jobs.update(id, |r| {
            r.ended_at = Some(ended);
            match outcome {
                Ok(done) => {
                    r.status = JobStatus::Succeeded;
                    r.snapshot = done.snapshot;
                    r.bytes_read = done.bytes_read;
                    r.bytes_stored = done.bytes_stored;
                    r.rows = done.rows;
                    r.tables = done.tables;
                    r.details = done.details;
                }
                Err(failure) => {
                    r.status = JobStatus::Failed;
                    r.error = Some(failure.message);
                    r.details = failure.details;
                }
            }
        });
        let record = match record {
            Ok(Some(r)) => r,
            Ok(None) => return,
            Err(e) => {
                tracing::error!(job = id, "recording the job's end failed: {e}");
                return;
            }
        };
        match record.status {
            JobStatus::Succeeded => {
                tracing::info!(job = id, kind = kind.as_str(), "job succeeded");
                // A backup asked for through the API falls under the
                // top-level retention (in its own job, after this one
                // gives back its slot).
                if kind == JobKind::Backup && record.trigger == Trigger::Api && !self.config.retention.is_empty() {
                    let svc = self.clone();
                    tokio::spawn(async move { svc.default_retention(Trigger::Api).await });
                }
            }
            _ => {
                let error = record.error.clone().unwrap_or_default();
                tracing::error!(job = id, kind = kind.as_str(), tenant = record.tenant.as_deref().unwrap_or("-"), error = %error, "job failed");
                let alert_kind = if kind == JobKind::Verify { AlertKind::VerifyFailed } else { AlertKind::JobFailed };
                self.alerts.send(Alert {
                    kind: alert_kind,
                    tenant: record.tenant.clone(),
                    job_id: Some(record.id.clone()),
                    message: format!(
                        "{} job {}{} failed: {error}",
                        kind.as_str(),
                        record.id,
                        record.tenant.as_deref().map(|t| format!(" of tenant {t}")).unwrap_or_default()
                    ),
                    time: ended,
                    details: serde_json::json!({ "kind": kind.as_str(), "trigger": record.trigger }),
                });
            }
        }
    }

    async fn execute(self: &Arc<Self>, spec: JobSpec, started: DateTime<Utc>) -> Result<Done, Failure> {
        match spec {
            JobSpec::Backup { tenant, dump, tags, label, round } => self.backup(tenant, dump, tags, label, round, started).await,
            JobSpec::Restore(r) => self.restore(r).await,
            JobSpec::Verify { snapshot, read_data } => {
                let repo = self.repo.clone();
                let report = tokio::task::spawn_blocking(move || {
                    crate::engine::verify::verify(&repo, &[snapshot], &crate::engine::verify::VerifyOptions { read_data, threads: 1 })
                })
                .await
                .map_err(|e| Failure::new(format!("verify stopped: {e}")))?
                .map_err(Failure::new)?;
                let details = serde_json::to_value(&report).unwrap_or_default();
                let problems: Vec<String> = report
                    .snapshots
                    .iter()
                    .flat_map(|s| s.problems.iter().cloned().chain(s.tables.iter().flat_map(|t| t.problems.iter().map(move |p| format!("table {}: {p}", t.table)))))
                    .collect();
                if !problems.is_empty() {
                    return Err(Failure { message: format!("snapshot {} is damaged: {}", snapshot.short(), problems.join("; ")), details });
                }
                Ok(Done { snapshot: Some(snapshot.to_hex()), bytes_read: report.bytes_read, details, ..Done::default() })
            }
            JobSpec::Retention { tenants, tag, policy, tz, dry_run } => self.retention(&tenants, &tag, &policy, tz, dry_run).await,
            JobSpec::Copy { target, snapshots } => self.copy_to(&target, snapshots).await,
            JobSpec::Prune { dry_run } => {
                let repo = self.repo.clone();
                let report = tokio::task::spawn_blocking(move || {
                    prune::prune(&repo, &PruneOptions { dry_run, ..PruneOptions::default() })
                })
                .await
                .map_err(|e| Failure::new(format!("prune stopped: {e}")))?
                .map_err(Failure::new)?;
                Ok(Done {
                    details: serde_json::json!({
                        "dry_run": dry_run,
                        "bytes_before": report.bytes_before,
                        "bytes_after": report.bytes_after,
                        "packs_deleted": report.packs_deleted,
                        "packs_repacked": report.packs_repacked,
                        "chunks_removed": report.chunks_removed,
                    }),
                    ..Done::default()
                })
            }
        }
    }

    async fn backup(
        self: &Arc<Self>,
        tenant: Tenant,
        dump: DumpConfig,
        tags: Vec<String>,
        label: Option<String>,
        round: Option<Arc<round::Round>>,
        started: DateTime<Utc>,
    ) -> Result<Done, Failure> {
        let source = self
            .config
            .source(&tenant.source)
            .ok_or_else(|| Failure::new(format!("source {} is not configured", tenant.source)))?;
        let conn = tenants::connection(source, &tenant).map_err(Failure::new)?;
        // The tenant's one schema, exactly: a quoted pattern keeps case
        // (`Acme` is not `acme`) and makes `.`, `*`, `?` literal.
        let include_schemas = match &tenant.place {
            Place::Schema(s) => vec![tenants::exact_pattern(s)],
            _ => Vec::new(),
        };
        let opts = BackupOptions {
            scope: ScopeSpec {
                include_schemas,
                include_tables: dump.tables.clone(),
                exclude_tables: dump.exclude_tables.clone(),
                ..ScopeSpec::default()
            },
            jobs: dump.jobs.max(1),
            schema_only: dump.schema_only,
            exclude_table_data: dump.exclude_table_data.clone(),
            tenant: Some(tenant.name.clone()),
            tags,
            label,
            lock_wait_timeout: dump.lock_wait_timeout,
            compression_threads: 1,
            start_time: Some(started),
            ..BackupOptions::default()
        };
        let mut shared_details = serde_json::Value::Null;
        let outcome = match (&round, &tenant.place) {
            (Some(round), Place::Schema(schema)) => {
                let failed = |m: String| Failure::new(format!("backup of tenant {}: {m}", tenant.name));
                let (shared, at) = round.snapshot(self.now()).await.map_err(failed)?;
                shared_details = serde_json::json!({ "snapshot": shared.snapshot_name(), "taken_at": at });
                // The data are as of the shared snapshot: its time is the
                // manifest's start, for every tenant of the round.
                let opts = BackupOptions { start_time: Some(at), ..opts };
                shared.backup_schema(schema, &self.repo, &opts, &Silent).await
            }
            _ => backup::backup(&self.repo, &conn, &opts, &Silent).await,
        };
        let (id, snap) = outcome.map_err(|e| Failure {
            message: format!("backup of tenant {}: {e}", tenant.name),
            details: if shared_details.is_null() { serde_json::Value::Null } else { serde_json::json!({ "shared_snapshot": shared_details }) },
        })?;
        lock(&self.snapshots).insert(id.to_hex(), SnapshotSummary::of(&id, &snap));
        Ok(Done {
            snapshot: Some(id.to_hex()),
            bytes_read: snap.totals.raw_bytes,
            bytes_stored: snap.totals.new_stored_bytes,
            rows: snap.totals.rows,
            tables: snap
                .tables
                .iter()
                .map(|t| TableStat { table: Snapshot::describe_table(t), rows: t.rows, bytes: t.raw_bytes })
                .collect(),
            details: {
                let mut d = serde_json::json!({ "dedup_raw_bytes": snap.totals.dedup_raw_bytes, "duration_ms": snap.totals.duration_ms });
                if !shared_details.is_null() {
                    d["shared_snapshot"] = shared_details;
                }
                d
            },
        })
    }

    async fn restore(self: &Arc<Self>, r: RestoreSpec) -> Result<Done, Failure> {
        let snap = self.repo.load_snapshot(&r.snapshot).map_err(Failure::new)?;
        let source = self
            .config
            .source(&r.target.source)
            .ok_or_else(|| Failure::new(format!("source {} is not configured", r.target.source)))?;
        let details = serde_json::json!({
            "snapshot": r.snapshot.to_hex(),
            "from_tenant": snap.tenant,
            "target": r.target,
            "clean": r.clean,
            "validate_only": r.validate_only,
        });
        if r.validate_only {
            // Prove the archive restorable (every chunk read and parsed)
            // without touching the server.
            let repo = self.repo.clone();
            let id = r.snapshot;
            let report = tokio::task::spawn_blocking(move || {
                crate::engine::verify::verify(&repo, &[id], &crate::engine::verify::VerifyOptions { read_data: true, threads: 1 })
            })
            .await
            .map_err(|e| Failure::new(format!("validation stopped: {e}")))?
            .map_err(Failure::new)?;
            if !report.is_ok() {
                return Err(Failure { message: format!("snapshot {} would not restore: it is damaged", r.snapshot.short()), details: serde_json::to_value(&report).unwrap_or_default() });
            }
            return Ok(Done { snapshot: Some(r.snapshot.to_hex()), bytes_read: report.bytes_read, rows: snap.totals.rows, details, ..Done::default() });
        }
        let conn = tenants::connection(source, &r.target).map_err(Failure::new)?;
        let mut opts = crate::engine::restore::RestoreOptions { jobs: r.jobs.max(1), clean: r.clean, ..Default::default() };
        let mut maintenance = None;
        tenants::check_restore_target(&source.tenants, &r.target, r.allow_postgres).map_err(Failure::new)?;
        match &r.target.place {
            Place::Schema(schema) => {
                // A tenant is its schema: a snapshot of another schema (one
                // an old pgkeep case-folded, `Acme` saved as `acme`) is not
                // this tenant's backup.
                if let (Some(rel), Some(t)) = (&snap.relative_schema, &snap.tenant) {
                    if matches!(source.tenants, config::TenantDiscovery::Schema { .. }) && rel != t {
                        return Err(Failure::new(format!(
                            "snapshot {} holds schema {rel:?}, not tenant {t}'s schema {t:?}: refusing to restore it as tenant {}",
                            r.snapshot.short(),
                            r.target.name
                        )));
                    }
                }
                if snap.relative_schema.is_none() {
                    return Err(Failure::new(format!(
                        "snapshot {} is not of one schema; it cannot be restored as tenant {}",
                        r.snapshot.short(),
                        r.target.name
                    )));
                }
                opts.target_schema = Some(schema.clone());
            }
            Place::Database(db) => {
                tenants::check_not_template(source, db).await.map_err(Failure::new)?;
                if !r.clean {
                    opts.create = true;
                    let spec = crate::pg::conn::ConnSpec::parse(&source.connection).map_err(Failure::new)?;
                    maintenance = Some(crate::engine::restore::maintenance_connection(&spec).map_err(Failure::new)?);
                }
            }
            Place::Whole => {}
        }
        let report = crate::engine::restore::restore(&self.repo, &r.snapshot, &conn, maintenance.as_ref(), &opts, &Silent)
            .await
            .map_err(|e| Failure { message: format!("restore of snapshot {} as tenant {}: {e}", r.snapshot.short(), r.target.name), details: details.clone() })?;
        // What the target left out (an older major) goes into the job's
        // record, where the API shows it.
        let mut details = details;
        if !report.warnings.is_empty() {
            if let Some(m) = details.as_object_mut() {
                m.insert("warnings".into(), serde_json::json!(report.warnings));
            }
        }
        Ok(Done {
            snapshot: Some(r.snapshot.to_hex()),
            bytes_read: report.bytes,
            rows: report.rows,
            details,
            ..Done::default()
        })
    }

    async fn retention(
        self: &Arc<Self>,
        tenants: &[String],
        tag: &str,
        policy: &retention::Policy,
        tz: chrono_tz::Tz,
        dry_run: bool,
    ) -> Result<Done, Failure> {
        let now = self.now();
        let mut forget: Vec<Id> = Vec::new();
        let mut per_tenant = serde_json::Map::new();
        for tenant in tenants {
            let items: Vec<(String, DateTime<Utc>, bool)> = self
                .snapshots_where(|s| s.tenant.as_deref() == Some(tenant.as_str()) && s.tags.iter().any(|t| t == tag))
                .into_iter()
                .filter_map(|s| {
                    let pinned = s.tags.iter().any(|t| t == RESTORE_POINT_TAG);
                    s.start().map(|t| (s.id.clone(), t, pinned))
                })
                .collect();
            let decision = policy.apply(&items, now, tz);
            per_tenant.insert(
                tenant.clone(),
                serde_json::json!({
                    "kept": decision.keep.iter().map(|(id, why)| serde_json::json!({"snapshot": id, "reasons": why})).collect::<Vec<_>>(),
                    "forgotten": decision.forget,
                }),
            );
            forget.extend(decision.forget.iter().filter_map(|id| id.parse::<Id>().ok()));
        }
        if !dry_run && !forget.is_empty() {
            let repo = self.repo.clone();
            let ids = forget.clone();
            tokio::task::spawn_blocking(move || repo.forget(&ids))
                .await
                .map_err(|e| Failure::new(format!("forget stopped: {e}")))?
                .map_err(Failure::new)?;
            let mut snaps = lock(&self.snapshots);
            for id in &forget {
                snaps.remove(&id.to_hex());
            }
        }
        Ok(Done {
            details: serde_json::json!({ "tag": tag, "dry_run": dry_run, "forgotten": forget.len(), "tenants": per_tenant }),
            ..Done::default()
        })
    }

    /// Copy snapshots into a `copy_to` repository, then apply its retention
    /// to the copies of the tenants concerned and prune it if that forgot
    /// any. Snapshots forgotten here since they were made are skipped.
    async fn copy_to(self: &Arc<Self>, name: &str, snapshots: Vec<Id>) -> Result<Done, Failure> {
        let target = self
            .config
            .copy_to
            .iter()
            .find(|t| t.name == name)
            .cloned()
            .ok_or_else(|| Failure::new(format!("no copy_to target is named {name:?}")))?;
        let ids: Vec<Id> = snapshots.into_iter().filter(|id| self.snapshot_summary(&id.to_hex()).is_some()).collect();
        let tenants: std::collections::BTreeSet<String> = ids.iter().filter_map(|id| self.snapshot_summary(&id.to_hex()).and_then(|s| s.tenant.clone())).collect();
        let (repo, now) = (self.repo.clone(), self.now());
        let tz = schedule::parse_zone(&self.config.timezone).unwrap_or(chrono_tz::UTC);
        tokio::task::spawn_blocking(move || -> Result<Done, Failure> {
            let dest = Repository::open_located(&target.repository, &Default::default(), &target.secret())
                .map_err(|e| Failure::new(format!("copy_to {}: {e}", target.name)))?;
            let report = crate::engine::copy_snapshots::copy_snapshots(&repo, &dest, &ids)
                .map_err(|e| Failure::new(format!("copy_to {}: {e}", target.name)))?;
            let mut forget = Vec::new();
            if !target.retention.is_empty() {
                let copies = dest.snapshots().map_err(Failure::new)?;
                for tenant in &tenants {
                    let items: Vec<(Id, DateTime<Utc>, bool)> = copies
                        .iter()
                        .filter(|(_, s)| s.original.is_some() && s.tenant.as_deref() == Some(tenant.as_str()))
                        .filter_map(|(id, s)| s.time_start.get().map(|t| (*id, t, s.tags.iter().any(|x| x == RESTORE_POINT_TAG))))
                        .collect();
                    forget.extend(target.retention.apply(&items, now, tz).forget);
                }
                if !forget.is_empty() {
                    dest.forget(&forget).map_err(Failure::new)?;
                }
            }
            let pruned = if target.prune && !forget.is_empty() {
                let r = prune::prune(&dest, &PruneOptions::default()).map_err(Failure::new)?;
                Some(r.packs_deleted)
            } else {
                None
            };
            Ok(Done {
                details: serde_json::json!({
                    "target": target.name,
                    "copied": report.copied.iter().map(|(a, b)| serde_json::json!({"snapshot": a.to_hex(), "copy": b.to_hex()})).collect::<Vec<_>>(),
                    "already_there": report.already_there.len(),
                    "chunks_read": report.chunks_read,
                    "chunks_sent": report.chunks_sent,
                    "bytes_sent": report.bytes_sent,
                    "forgotten": forget.len(),
                    "packs_pruned": pruned,
                }),
                ..Done::default()
            })
        })
        .await
        .map_err(|e| Failure::new(format!("copy stopped: {e}")))?
    }

    /// Forget one snapshot now (its data goes at the next prune).
    pub async fn delete_snapshot(self: &Arc<Self>, id: Id, trigger: Trigger) -> Result<JobRecord, ServiceError> {
        let summary = self.snapshot_summary(&id.to_hex());
        let _gate = self.repo_gate.read().await;
        let now = self.now();
        let repo = self.repo.clone();
        let result = tokio::task::spawn_blocking(move || repo.forget(&[id]))
            .await
            .map_err(|source| ServiceError::Stopped { during: "forget", source })?;
        let record = JobRecord {
            status: if result.is_ok() { JobStatus::Succeeded } else { JobStatus::Failed },
            started_at: Some(now),
            ended_at: Some(self.now()),
            error: result.as_ref().err().map(|e| e.to_string()),
            snapshot: Some(id.to_hex()),
            details: serde_json::to_value(&summary).unwrap_or_default(),
            ..JobRecord::new(jobs::new_id(now), JobKind::Delete, summary.as_ref().and_then(|s| s.tenant.clone()), trigger, now, &self.instance)
        };
        self.jobs.put(record.clone())?;
        if result.is_ok() {
            lock(&self.snapshots).remove(&id.to_hex());
        }
        Ok(record)
    }

    /// Back up every tenant `schedule` covers, then apply its retention
    /// (per tenant) and prune. Returns the backup jobs queued.
    pub async fn run_schedule(self: &Arc<Self>, name: &str, trigger: Trigger) -> Result<Vec<JobRecord>, ServiceError> {
        let (sc, _) = self
            .schedules
            .iter()
            .find(|(s, _)| s.name == name)
            .cloned()
            .ok_or_else(|| ServiceError::NoSuchSchedule(name.into()))?;
        for p in self.refresh_tenants().await {
            tracing::warn!(schedule = name, "{p}");
        }
        let tenants: Vec<Tenant> = self
            .known_tenants()
            .into_values()
            .filter(|t| t.source == sc.source && tenants::like(&sc.tenants, &t.name))
            .collect();
        let (queued, skipped) = self.submit_round(tenants.clone(), &sc.dump, vec![schedule_tag(&sc.name)], None, &trigger)?;
        for t in skipped {
            tracing::warn!(schedule = name, tenant = %t, "a backup of this tenant is still queued or running; not queueing another");
        }
        let svc = self.clone();
        let ids: Vec<String> = queued.iter().map(|r| r.id.clone()).collect();
        let names: Vec<String> = tenants.iter().map(|t| t.name.clone()).collect();
        tokio::spawn(async move { svc.after_round(sc, ids, names).await });
        Ok(queued)
    }

    /// Queue a backup of each of `tenants` (those without one queued or
    /// running; the others are returned by name), as one round: the schema
    /// tenants of each source share one exported snapshot (unless
    /// `round.shared_snapshot` is off), and tenants go in the order of
    /// their newest snapshot, oldest first (never backed up first), so
    /// that a tenant a bounded round left out goes first next time.
    pub fn submit_round(
        self: &Arc<Self>,
        tenants: Vec<Tenant>,
        dump: &DumpConfig,
        tags: Vec<String>,
        label: Option<String>,
        trigger: &Trigger,
    ) -> Result<(Vec<JobRecord>, Vec<String>), ServiceError> {
        let (mut due, skipped): (Vec<Tenant>, Vec<Tenant>) = tenants.into_iter().partition(|t| !self.backup_pending(&t.name));
        let newest: HashMap<String, DateTime<Utc>> = self.with_snapshots(|snaps| {
            let mut m: HashMap<String, DateTime<Utc>> = HashMap::new();
            for s in snaps {
                if let (Some(t), Some(at)) = (s.tenant.as_ref(), s.start()) {
                    let e = m.entry(t.clone()).or_insert(at);
                    *e = (*e).max(at);
                }
            }
            m
        });
        due.sort_by(|a, b| newest.get(&a.name).cmp(&newest.get(&b.name)).then(a.name.cmp(&b.name)));
        let mut rounds: HashMap<String, Arc<round::Round>> = HashMap::new();
        if self.config.round.shared_snapshot {
            let mut by_source: BTreeMap<&str, Vec<&Tenant>> = BTreeMap::new();
            for t in due.iter().filter(|t| matches!(t.place, Place::Schema(_))) {
                by_source.entry(t.source.as_str()).or_default().push(t);
            }
            for (source_name, list) in by_source {
                // One tenant gains nothing from a shared snapshot.
                if list.len() < 2 {
                    continue;
                }
                let Some(source) = self.config.source(source_name) else { continue };
                // A source whose connection cannot be built: each job fails
                // with that error on its own, as without a round.
                let Ok(conn) = tenants::connection(source, list[0]) else { continue };
                let schemas = list.iter().filter_map(|t| match &t.place {
                    Place::Schema(s) => Some(s.clone()),
                    _ => None,
                });
                let opts = backup::SharedOptions {
                    schemas: schemas.collect(),
                    sessions: self.config.max_concurrent_jobs.max(dump.jobs).clamp(1, crate::pg::sessions::MAX_JOBS),
                    lock_wait_timeout: dump.lock_wait_timeout,
                };
                rounds.insert(source_name.to_string(), round::Round::new(source_name, conn, opts, self.config.round.max_duration));
            }
        }
        let mut queued = Vec::new();
        for t in due {
            let round = match t.place {
                Place::Schema(_) => rounds.get(&t.source).cloned(),
                _ => None,
            };
            let spec = JobSpec::Backup { tenant: t.clone(), dump: dump.clone(), tags: tags.clone(), label: label.clone(), round };
            queued.push(self.submit(spec, Some(t.name.clone()), trigger.clone())?);
        }
        Ok((queued, skipped.into_iter().map(|t| t.name).collect()))
    }

    /// Drop job records older than `job_history`, so the audit trail of a
    /// service that runs for years does not grow without end.
    async fn expire_job_records(&self) {
        if self.config.job_history.is_zero() {
            return;
        }
        let Ok(age) = chrono::Duration::from_std(self.config.job_history) else { return };
        let Some(cutoff) = self.now().checked_sub_signed(age) else { return };
        let jobs = self.jobs.clone();
        match tokio::task::spawn_blocking(move || jobs.expire(cutoff)).await {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => tracing::info!(removed = n, "job records older than job_history removed"),
            Ok(Err(e)) => tracing::warn!("removing old job records: {e}"),
            Err(e) => tracing::warn!("removing old job records stopped: {e}"),
        }
    }

    /// When a schedule's backups are done: retention over its tenants,
    /// then prune if anything was forgotten.
    async fn after_round(self: Arc<Self>, sc: ScheduleConfig, ids: Vec<String>, tenants: Vec<String>) {
        loop {
            if ids.iter().all(|id| self.jobs.get(id).is_none_or(|r| r.status.is_done())) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        self.expire_job_records().await;
        // The round's snapshots go to every copy_to target before retention
        // here can forget any of them.
        let made: Vec<Id> = ids.iter().filter_map(|id| self.jobs.get(id)).filter_map(|r| r.snapshot.and_then(|s| s.parse().ok())).collect();
        if !made.is_empty() && self.is_accepting() {
            for t in &self.config.copy_to {
                let spec = JobSpec::Copy { target: t.name.clone(), snapshots: made.clone() };
                let Ok(job) = self.submit(spec, None, Trigger::After(sc.name.clone())) else { continue };
                while self.jobs.get(&job.id).is_some_and(|r| !r.status.is_done()) {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
        if sc.retention.is_empty() || tenants.is_empty() || !self.is_accepting() {
            self.default_retention(Trigger::After(sc.name.clone())).await;
            return;
        }
        let tz = schedule::parse_zone(&sc.timezone).unwrap_or(chrono_tz::UTC);
        let trigger = Trigger::After(sc.name.clone());
        let spec = JobSpec::Retention { tenants, tag: schedule_tag(&sc.name), policy: sc.retention.clone(), tz, dry_run: false };
        let Ok(job) = self.submit(spec, None, trigger.clone()) else { return };
        let done = loop {
            match self.jobs.get(&job.id) {
                Some(r) if r.status.is_done() => break r,
                None => return,
                _ => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        };
        let forgotten = done.details.get("forgotten").and_then(|v| v.as_u64()).unwrap_or(0);
        let pruning = sc.prune && forgotten > 0 && done.status == JobStatus::Succeeded;
        if pruning {
            let _ = self.submit(JobSpec::Prune { dry_run: false }, None, trigger.clone());
        }
        // The default policy only forgets; the schedule's prune (or the
        // next one) frees the data.
        self.default_retention(trigger).await;
    }

    /// The top-level `retention`, in the top-level `timezone`, over the
    /// snapshots API and CLI requests made (tag `api`), per tenant. Runs
    /// after every schedule round and after each API backup; waits for its
    /// job. Nothing happens without a top-level policy.
    pub async fn default_retention(self: &Arc<Self>, trigger: Trigger) -> Option<JobRecord> {
        if self.config.retention.is_empty() || !self.is_accepting() {
            return None;
        }
        let mut tenants: Vec<String> = self
            .snapshots_where(|s| s.tags.iter().any(|t| t == API_TAG))
            .into_iter()
            .filter_map(|s| s.summary.tenant)
            .collect();
        tenants.sort();
        tenants.dedup();
        if tenants.is_empty() {
            return None;
        }
        let tz = schedule::parse_zone(&self.config.timezone).unwrap_or(chrono_tz::UTC);
        let spec = JobSpec::Retention { tenants, tag: API_TAG.into(), policy: self.config.retention.clone(), tz, dry_run: false };
        let job = self.submit(spec, None, trigger).ok()?;
        loop {
            match self.jobs.get(&job.id) {
                Some(r) if r.status.is_done() => return Some(r),
                None => return None,
                _ => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    /// The scheduler: fires each schedule at its times on the service's
    /// clock, and once at start for occurrences missed while it was down
    /// (with `catch_up`). Also raises missed-schedule and low-disk alerts.
    pub async fn scheduler(self: Arc<Self>, tick: Duration) {
        let now = self.now();
        let mut next: Vec<Option<DateTime<Utc>>> = Vec::new();
        for (sc, timing) in &self.schedules {
            let last_run = self
                .jobs
                .query(1, |r| r.trigger == Trigger::Schedule(sc.name.clone()))
                .first()
                .map(|r| r.queued_at);
            let missed = match (last_run, timing.last_at_or_before(now)) {
                (Some(last), Some(due)) => due > last,
                _ => false,
            };
            if self.config.catch_up && missed {
                tracing::info!(schedule = %sc.name, "catching up an occurrence missed while the service was down");
                if let Err(e) = self.run_schedule(&sc.name, Trigger::Schedule(sc.name.clone())).await {
                    tracing::error!(schedule = %sc.name, "{e}");
                }
            }
            next.push(timing.next_after(now));
        }
        while self.is_accepting() {
            let now = self.now();
            for (i, (sc, timing)) in self.schedules.iter().enumerate() {
                if let Some(at) = next[i] {
                    if now >= at {
                        // However many occurrences passed (a clock jump,
                        // a slow host), the schedule runs once.
                        next[i] = timing.next_after(now);
                        if let Err(e) = self.run_schedule(&sc.name, Trigger::Schedule(sc.name.clone())).await {
                            tracing::error!(schedule = %sc.name, "{e}");
                        }
                    }
                }
            }
            self.check_conditions().await;
            tokio::time::sleep(tick).await;
        }
    }

    /// Alerts for conditions rather than jobs: a tenant whose last success
    /// is older than its schedule allows, low disk. Each once while it holds.
    async fn check_conditions(&self) {
        let now = self.now();
        for stale in health::stale_tenants(self, now) {
            let key = format!("stale:{}:{}", stale.tenant, stale.due);
            if lock(&self.alerted).insert(key) {
                self.alerts.send(Alert {
                    kind: AlertKind::BackupTooOld,
                    tenant: Some(stale.tenant.clone()),
                    job_id: None,
                    message: format!(
                        "tenant {} has no successful backup since {} (schedule {} expected one by {})",
                        stale.tenant,
                        stale.last_success.map(|t| t.to_rfc3339()).unwrap_or_else(|| "ever".into()),
                        stale.schedule,
                        stale.due
                    ),
                    time: now,
                    details: serde_json::json!({ "schedule": stale.schedule }),
                });
            }
        }
        if let Some(free) = self.config.repository.local_path().and_then(health::free_disk) {
            let key = "low-disk".to_string();
            if free < self.config.min_free_disk {
                if lock(&self.alerted).insert(key) {
                    self.alerts.send(Alert {
                        kind: AlertKind::LowDisk,
                        tenant: None,
                        job_id: None,
                        message: format!(
                            "the repository's file system has {free} bytes free, below the {} configured",
                            self.config.min_free_disk
                        ),
                        time: now,
                        details: serde_json::json!({ "free_bytes": free }),
                    });
                }
            } else {
                lock(&self.alerted).remove(&key);
            }
        }
    }

    /// Stop taking jobs, wait for running ones up to `timeout`, and mark
    /// what is left as interrupted. The repository stays valid either way
    /// (an unfinished backup never writes its manifest).
    pub async fn shutdown(&self, timeout: Duration) {
        self.accepting.store(false, Ordering::SeqCst);
        let deadline = tokio::time::Instant::now() + timeout;
        while self.running.load(Ordering::SeqCst) > 0 {
            let notified = self.idle.notified();
            if self.running.load(Ordering::SeqCst) == 0 {
                break;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                break;
            }
        }
        let now = self.now();
        for r in self.jobs.query(usize::MAX, |r| !r.status.is_done() && r.instance == self.instance) {
            let _ = self.jobs.update(&r.id, |r| {
                r.status = JobStatus::Interrupted;
                r.ended_at = Some(now);
                r.error = Some("the service shut down before the job finished".into());
            });
        }
        self.alerts.flush(Duration::from_secs(5)).await;
    }

    pub fn running_jobs(&self) -> usize {
        self.running.load(Ordering::SeqCst)
    }
}

#[derive(Debug, Default)]
struct Done {
    snapshot: Option<String>,
    bytes_read: u64,
    bytes_stored: u64,
    rows: u64,
    tables: Vec<TableStat>,
    details: serde_json::Value,
}

#[derive(Debug)]
struct Failure {
    message: String,
    details: serde_json::Value,
}

impl Failure {
    fn new(message: impl std::fmt::Display) -> Failure {
        Failure { message: message.to_string(), details: serde_json::Value::Null }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Run the service until SIGTERM or SIGINT: scheduler, HTTP API.
pub async fn serve(config: Config) -> Result<(), ServiceError> {
    let svc = Service::open(config, Arc::new(schedule::SystemClock))?;
    for p in svc.refresh_tenants().await {
        tracing::warn!("{p}");
    }
    let listener = tokio::net::TcpListener::bind(&svc.config.listen)
        .await
        .map_err(|source| ServiceError::Listen { address: svc.config.listen.clone(), source })?;
    tracing::info!(listen = %svc.config.listen, tenants = svc.known_tenants().len(), schedules = svc.schedules.len(), "pgkeep serve started");
    let scheduler = tokio::spawn(svc.clone().scheduler(Duration::from_millis(500)));
    let stop = Arc::new(Notify::new());
    let server = {
        let stop = stop.clone();
        let app = svc.clone();
        tokio::spawn(async move {
            api::serve(listener, app, async move { stop.notified().await }).await;
        })
    };
    wait_for_signal().await;
    tracing::info!("stopping: no new jobs; waiting up to {:?} for running ones", svc.config.shutdown_timeout);
    svc.shutdown(svc.config.shutdown_timeout).await;
    scheduler.abort();
    stop.notify_waiters();
    let _ = tokio::time::timeout(Duration::from_secs(5), server).await;
    tracing::info!("stopped");
    Ok(())
}

async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) else {
        let _ = tokio::signal::ctrl_c().await;
        return;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}
