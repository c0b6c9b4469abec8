//! Job records: every backup, restore, verify, retention and prune the
//! service runs, kept in the repository (`jobs/<id>`, JSON, written
//! atomically; format-spec/jobs.md). They are the audit trail and the
//! source of the API's lists, the metrics and the health checks, so a
//! restarted service still knows its history.
//!
//! This module owns the record type and its store (an in-memory copy of
//! every record, written through to the repository). It runs no job.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::repo::backend::FileType;
use crate::repo::{RepoError, Repository};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    Backup,
    Restore,
    Verify,
    Retention,
    Prune,
    Delete,
    /// Snapshots copied into a `copy_to` repository, and its retention.
    Copy,
}

impl JobKind {
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Backup => "backup",
            JobKind::Restore => "restore",
            JobKind::Verify => "verify",
            JobKind::Retention => "retention",
            JobKind::Prune => "prune",
            JobKind::Delete => "delete",
            JobKind::Copy => "copy",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
    /// The service stopped (killed, crashed, shut down past its timeout)
    /// while the job was queued or running.
    Interrupted,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
            JobStatus::Interrupted => "interrupted",
        }
    }

    pub fn is_done(self) -> bool {
        !matches!(self, JobStatus::Queued | JobStatus::Running)
    }
}

/// What started a job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "by", content = "name")]
pub enum Trigger {
    Schedule(String),
    Api,
    Cli,
    /// Retention and prune run after a schedule's backups.
    After(String),
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableStat {
    pub table: String,
    pub rows: u64,
    pub bytes: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    pub id: String,
    pub kind: JobKind,
    pub tenant: Option<String>,
    pub trigger: Trigger,
    pub status: JobStatus,
    pub queued_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
    /// The snapshot the job made, restored, verified or deleted.
    pub snapshot: Option<String>,
    pub bytes_read: u64,
    pub bytes_stored: u64,
    pub rows: u64,
    #[serde(default)]
    pub tables: Vec<TableStat>,
    /// Kind-specific facts (restore target, prune report, verify problems...).
    #[serde(default)]
    pub details: serde_json::Value,
    /// The service instance that ran it: a record left `running` by
    /// another instance was interrupted.
    pub instance: String,
}

impl JobRecord {
    /// A record queued `now`, with nothing done yet.
    pub fn new(id: String, kind: JobKind, tenant: Option<String>, trigger: Trigger, now: DateTime<Utc>, instance: &str) -> JobRecord {
        JobRecord {
            id,
            kind,
            tenant,
            trigger,
            status: JobStatus::Queued,
            queued_at: now,
            started_at: None,
            ended_at: None,
            error: None,
            snapshot: None,
            bytes_read: 0,
            bytes_stored: 0,
            rows: 0,
            tables: Vec::new(),
            details: serde_json::Value::Null,
            instance: instance.into(),
        }
    }

    pub fn duration_seconds(&self) -> Option<f64> {
        Some((self.ended_at? - self.started_at?).num_milliseconds() as f64 / 1000.0)
    }
}

/// A new job id: the UTC time, then 8 random hex digits (sorts by time).
pub fn new_id(now: DateTime<Utc>) -> String {
    format!("{}-{}", now.format("%Y%m%d-%H%M%S"), hex::encode(rand::random::<[u8; 4]>()))
}

pub fn is_job_id(s: &str) -> bool {
    crate::repo::backend::is_job_name(s)
}

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("job record {id}: {source}")]
    Store { id: String, source: RepoError },
    #[error("job record {id} is unreadable: {message}")]
    Decode { id: String, message: String },
}

/// Every job record, in memory and in the repository.
#[derive(Clone)]
pub struct JobStore {
    repo: Repository,
    records: Arc<Mutex<BTreeMap<String, JobRecord>>>,
}

impl JobStore {
    /// Load the records in the repository. Records another instance left
    /// queued or running are marked interrupted (and written back).
    pub fn open(repo: &Repository, instance: &str, now: DateTime<Utc>) -> Result<(JobStore, Vec<String>), JobError> {
        let backend = repo.backend();
        let names = backend.list(FileType::Job).map_err(|source| JobError::Store { id: "jobs/".into(), source })?;
        let mut records = BTreeMap::new();
        let mut unreadable = Vec::new();
        for f in names {
            let bytes = backend
                .read(FileType::Job, &f.name)
                .map_err(|source| JobError::Store { id: f.name.clone(), source })?;
            match serde_json::from_slice::<JobRecord>(&bytes) {
                Ok(r) => {
                    records.insert(r.id.clone(), r);
                }
                // One damaged record must not stop the service; it is
                // reported and left in place for a human to look at.
                Err(e) => unreadable.push(format!("job record {}: {e}", f.name)),
            }
        }
        let store = JobStore { repo: repo.clone(), records: Arc::new(Mutex::new(records)) };
        let stale: Vec<JobRecord> = store
            .all()
            .into_iter()
            .filter(|r| !r.status.is_done() && r.instance != instance)
            .collect();
        for mut r in stale {
            r.status = JobStatus::Interrupted;
            r.ended_at = Some(now);
            r.error = Some(format!(
                "the service stopped while this job was {}; it did not finish",
                if r.started_at.is_some() { "running" } else { "queued" }
            ));
            store.put(r)?;
        }
        Ok((store, unreadable))
    }

    /// Write a record (new or updated) through to the repository.
    pub fn put(&self, record: JobRecord) -> Result<(), JobError> {
        let bytes = serde_json::to_vec_pretty(&record).map_err(|e| JobError::Decode { id: record.id.clone(), message: e.to_string() })?;
        self.repo
            .backend()
            .write(FileType::Job, &record.id, &bytes)
            .map_err(|source| JobError::Store { id: record.id.clone(), source })?;
        self.lock().insert(record.id.clone(), record);
        Ok(())
    }

    /// Change a record with `f` and write it.
    pub fn update(&self, id: &str, f: impl FnOnce(&mut JobRecord)) -> Result<Option<JobRecord>, JobError> {
        let Some(mut r) = self.get(id) else { return Ok(None) };
        f(&mut r);
        self.put(r.clone())?;
        Ok(Some(r))
    }

    pub fn get(&self, id: &str) -> Option<JobRecord> {
        self.lock().get(id).cloned()
    }

    /// Every record, oldest first.
    pub fn all(&self) -> Vec<JobRecord> {
        self.lock().values().cloned().collect()
    }

    /// Remove the finished records that ended before `cutoff`, except each
    /// tenant's newest successful backup (the health check and the stats
    /// need it however old it is). Returns how many went.
    pub fn expire(&self, cutoff: DateTime<Utc>) -> Result<usize, JobError> {
        let doomed: Vec<String> = {
            let g = self.lock();
            let mut newest_success: BTreeMap<&str, &str> = BTreeMap::new();
            for r in g.values() {
                if let (JobKind::Backup, JobStatus::Succeeded, Some(t)) = (r.kind, r.status, r.tenant.as_deref()) {
                    // Ids sort by time, so the last one seen is the newest.
                    newest_success.insert(t, &r.id);
                }
            }
            let kept: std::collections::HashSet<&str> = newest_success.into_values().collect();
            g.values()
                .filter(|r| r.status.is_done() && r.ended_at.is_some_and(|e| e < cutoff) && !kept.contains(r.id.as_str()))
                .map(|r| r.id.clone())
                .collect()
        };
        for id in &doomed {
            self.repo
                .backend()
                .remove(FileType::Job, id)
                .map_err(|source| JobError::Store { id: id.clone(), source })?;
            self.lock().remove(id);
        }
        Ok(doomed.len())
    }

    /// Run `f` over every record (oldest first) without copying them.
    pub fn with_all<R>(&self, f: impl FnOnce(&mut dyn Iterator<Item = &JobRecord>) -> R) -> R {
        let g = self.lock();
        f(&mut g.values())
    }

    /// Records matching `keep`, newest first, at most `limit`.
    pub fn query(&self, limit: usize, keep: impl Fn(&JobRecord) -> bool) -> Vec<JobRecord> {
        self.lock().values().rev().filter(|r| keep(r)).take(limit).cloned().collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, JobRecord>> {
        self.records.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repo::config::{RepoConfig, DEFAULT_PACK_SIZE};
    use chrono::TimeZone;

    fn record(id: &str, kind: JobKind, tenant: &str, status: JobStatus, ended: Option<DateTime<Utc>>) -> JobRecord {
        let queued = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        JobRecord { status, ended_at: ended, ..JobRecord::new(id.into(), kind, Some(tenant.into()), Trigger::Cli, queued, "me") }
    }

    #[test]
    fn expire_keeps_recent_running_and_each_tenants_last_success() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(
            &dir.path().join("r"),
            RepoConfig::new(Default::default(), Default::default(), DEFAULT_PACK_SIZE).unwrap(),
        )
        .unwrap();
        let at = |d: u32| Some(Utc.with_ymd_and_hms(2026, 1, d, 3, 0, 0).unwrap());
        let (store, _) = JobStore::open(&repo, "me", at(1).unwrap()).unwrap();
        let ok = JobStatus::Succeeded;
        for r in [
            record("20260101-030000-00000001", JobKind::Backup, "a", ok, at(1)),
            record("20260102-030000-00000002", JobKind::Backup, "a", ok, at(2)), // a's last success
            record("20260103-030000-00000003", JobKind::Backup, "a", JobStatus::Failed, at(3)),
            record("20260101-030000-00000004", JobKind::Backup, "b", ok, at(1)),
            record("20260102-030000-00000005", JobKind::Verify, "b", ok, at(2)),
            record("20260102-030000-00000006", JobKind::Restore, "b", JobStatus::Running, None),
            record("20260110-030000-00000007", JobKind::Backup, "b", JobStatus::Failed, at(10)), // recent
        ] {
            store.put(r).unwrap();
        }
        let removed = store.expire(at(5).unwrap()).unwrap();
        let left: Vec<String> = store.all().into_iter().map(|r| r.id).collect();
        assert_eq!(
            left,
            ["20260101-030000-00000004", "20260102-030000-00000002", "20260102-030000-00000006", "20260110-030000-00000007"]
        );
        assert_eq!(removed, 3);
        // Gone from the repository too: a restarted service agrees.
        let (again, _) = JobStore::open(&repo, "me", at(11).unwrap()).unwrap();
        assert_eq!(again.all().len(), 4);
    }
}
