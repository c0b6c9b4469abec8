//! `GET /health` and the conditions alerts watch: every source reachable,
//! the repository writable, free disk above the threshold, and every
//! tenant with a successful backup as recent as its schedule allows.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::jobs::{JobKind, JobStatus, Trigger};
use super::Service;

#[derive(Clone, Debug, serde::Serialize)]
pub struct Check {
    pub name: String,
    pub ok: bool,
    pub detail: String,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Stale {
    pub tenant: String,
    pub schedule: String,
    /// The occurrence whose backup is missing.
    pub due: DateTime<Utc>,
    pub last_success: Option<DateTime<Utc>>,
}

/// Bytes free for unprivileged users in the file system holding `path`.
pub fn free_disk(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid NUL-terminated path and `st` a valid out pointer.
    let rc = unsafe { libc::statvfs(c.as_ptr(), &mut st) };
    (rc == 0).then(|| st.f_bavail as u64 * st.f_frsize as u64)
}

/// Tenants whose newest successful scheduled backup is older than the
/// occurrence before the latest (the latest may still be running), with
/// the configured grace, counting only occurrences since the service
/// started (a service that was down is not a tenant's fault).
pub fn stale_tenants(svc: &Service, now: DateTime<Utc>) -> Vec<Stale> {
    let grace = chrono::Duration::from_std(svc.config.stale_grace).unwrap_or_default();
    let tenants = svc.known_tenants();
    let mut out = Vec::new();
    for (sc, timing) in &svc.schedules {
        let Some(due) = timing.due_since(now) else { continue };
        if due < svc.started_at || now - due < grace {
            continue;
        }
        for t in tenants.values().filter(|t| t.source == sc.source && super::tenants::like(&sc.tenants, &t.name)) {
            let last = svc
                .jobs
                .query(1, |r| {
                    r.kind == JobKind::Backup
                        && r.status == JobStatus::Succeeded
                        && r.tenant.as_deref() == Some(t.name.as_str())
                        && r.trigger == Trigger::Schedule(sc.name.clone())
                })
                .first()
                .and_then(|r| r.started_at);
            if last.is_none_or(|l| l + grace < due) {
                out.push(Stale { tenant: t.name.clone(), schedule: sc.name.clone(), due, last_success: last });
            }
        }
    }
    out
}

/// The checks, run at most once per `http.health_cache`: `/health` may be
/// polled by every load balancer and monitor there is, and each run logs in
/// to every source. Concurrent callers wait for one run.
pub async fn cached_check(svc: &Service) -> (bool, Vec<Check>) {
    let mut cache = svc.health_cache.lock().await;
    if let Some((at, ok, checks)) = cache.as_ref() {
        if at.elapsed() < svc.config.http.health_cache {
            return (*ok, checks.clone());
        }
    }
    let (ok, checks) = check(svc).await;
    *cache = Some((std::time::Instant::now(), ok, checks.clone()));
    (ok, checks)
}

/// Run every check; healthy when all pass.
pub async fn check(svc: &Service) -> (bool, Vec<Check>) {
    let mut checks = Vec::new();
    for s in &svc.config.sources {
        let outcome = match crate::pg::conn::ConnSpec::parse(&s.connection).and_then(|c| c.resolve(&crate::pg::conn::process_env)) {
            Err(e) => Err(e.to_string()),
            Ok(conn) => match tokio::time::timeout(Duration::from_secs(5), conn.connect()).await {
                Err(_) => Err("no answer within 5 s".to_string()),
                Ok(Err(e)) => Err(e.to_string()),
                Ok(Ok((client, task))) => {
                    let r = client.simple_query("SELECT 1").await.map(|_| ()).map_err(|e| e.to_string());
                    drop(client);
                    task.abort();
                    r
                }
            },
        };
        checks.push(Check {
            name: format!("source {} reachable", s.name),
            ok: outcome.is_ok(),
            detail: outcome.err().unwrap_or_else(|| "ok".into()),
        });
    }
    // A name of its own per probe: two concurrent /health calls (or two
    // services on one repository) never remove each other's file.
    let probe_name = format!("health-{}-{}", svc.instance, hex::encode(rand::random::<[u8; 8]>()));
    let writable = match svc.config.repository.local_path() {
        Some(root) => {
            let probe = root.join("tmp").join(&probe_name);
            crate::repo::backend::private_create_new()
                .open(&probe)
                .and_then(|mut f| std::io::Write::write_all(&mut f, b"pgkeep health probe"))
                .and_then(|_| std::fs::remove_file(&probe))
                .map_err(|e| format!("{}: {e}", probe.display()))
        }
        // On object storage: an object under jobs/ whose name no job
        // listing takes (job names are dates), written and removed.
        None => {
            let b = svc.repo.backend();
            b.write(crate::repo::FileType::Job, &probe_name, b"pgkeep health probe")
                .and_then(|()| b.remove(crate::repo::FileType::Job, &probe_name))
                .map_err(|e| e.to_string())
        }
    };
    checks.push(Check {
        name: "repository writable".into(),
        ok: writable.is_ok(),
        detail: writable.err().unwrap_or_else(|| "ok".into()),
    });
    checks.push(Check {
        name: "snapshots readable".into(),
        ok: svc.unreadable_snapshots.is_empty(),
        detail: if svc.unreadable_snapshots.is_empty() {
            "ok".into()
        } else {
            format!("{} unreadable (run `pgkeep check`): {}", svc.unreadable_snapshots.len(), svc.unreadable_snapshots.join("; "))
        },
    });
    // A bucket has no free space to run out of.
    if let Some(root) = svc.config.repository.local_path() {
        let free = free_disk(root);
        checks.push(Check {
            name: "free disk".into(),
            ok: free.is_some_and(|f| f >= svc.config.min_free_disk),
            detail: match free {
                Some(f) => format!("{f} bytes free, at least {} required", svc.config.min_free_disk),
                None => "cannot read the file system's free space".into(),
            },
        });
    }
    let stale = stale_tenants(svc, svc.now());
    checks.push(Check {
        name: "backups current".into(),
        ok: stale.is_empty(),
        detail: if stale.is_empty() {
            "every tenant has a backup as recent as its schedule allows".into()
        } else {
            stale
                .iter()
                .map(|s| format!("tenant {} missed schedule {} (due {})", s.tenant, s.schedule, s.due.to_rfc3339()))
                .collect::<Vec<_>>()
                .join("; ")
        },
    });
    (checks.iter().all(|c| c.ok), checks)
}
