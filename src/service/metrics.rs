//! `GET /metrics` in the Prometheus text format, computed from the job
//! records and the snapshot list (so a restarted service reports its
//! history too): job counts by kind, status and tenant, job durations as
//! histograms, bytes read and stored, the dedup ratio, rows per table of
//! each tenant's last backup, last success per tenant, repository size,
//! free disk, alert delivery counts.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::jobs::{JobKind, JobRecord, JobStatus};
use super::Service;

const BUCKETS: [f64; 12] = [0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0, 14400.0];

/// A label value escaped for the exposition format.
fn esc(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

pub fn render(svc: &Service) -> String {
    let mut out = String::with_capacity(1 << 14);
    // Over the records in place: with 30,000 of them a copy costs more
    // than the counting.
    svc.jobs.with_all(|all| {
        let jobs: Vec<&JobRecord> = all.collect();
        job_metrics(&mut out, &jobs);
    });
    repository_metrics(&mut out, svc);
    out
}

fn job_metrics(out: &mut String, jobs: &[&JobRecord]) {

    header(out, "pgkeep_jobs_total", "counter", "Jobs by kind, status and tenant.");
    let mut counts: BTreeMap<(&str, &str, String), u64> = BTreeMap::new();
    for j in jobs {
        *counts.entry((j.kind.as_str(), j.status.as_str(), j.tenant.clone().unwrap_or_default())).or_default() += 1;
    }
    for ((kind, status, tenant), n) in &counts {
        let _ = writeln!(out, "pgkeep_jobs_total{{kind=\"{kind}\",status=\"{status}\",tenant=\"{}\"}} {n}", esc(tenant));
    }

    header(out, "pgkeep_job_duration_seconds", "histogram", "Durations of finished jobs by kind.");
    let mut by_kind: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for j in jobs {
        if let Some(d) = j.duration_seconds() {
            by_kind.entry(j.kind.as_str()).or_default().push(d);
        }
    }
    for (kind, ds) in &by_kind {
        for b in BUCKETS {
            let n = ds.iter().filter(|d| **d <= b).count();
            let _ = writeln!(out, "pgkeep_job_duration_seconds_bucket{{kind=\"{kind}\",le=\"{b}\"}} {n}");
        }
        let _ = writeln!(out, "pgkeep_job_duration_seconds_bucket{{kind=\"{kind}\",le=\"+Inf\"}} {}", ds.len());
        let _ = writeln!(out, "pgkeep_job_duration_seconds_sum{{kind=\"{kind}\"}} {}", ds.iter().sum::<f64>());
        let _ = writeln!(out, "pgkeep_job_duration_seconds_count{{kind=\"{kind}\"}} {}", ds.len());
    }

    let backups: Vec<_> = jobs.iter().filter(|j| j.kind == JobKind::Backup && j.status == JobStatus::Succeeded).collect();
    header(out, "pgkeep_backup_bytes_read_total", "counter", "COPY bytes read by successful backups, by tenant.");
    header(out, "pgkeep_backup_bytes_stored_total", "counter", "Bytes newly stored by successful backups, by tenant.");
    let mut per_tenant: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for j in &backups {
        let e = per_tenant.entry(j.tenant.clone().unwrap_or_default()).or_default();
        e.0 += j.bytes_read;
        e.1 += j.bytes_stored;
    }
    for (t, (read, stored)) in &per_tenant {
        let _ = writeln!(out, "pgkeep_backup_bytes_read_total{{tenant=\"{}\"}} {read}", esc(t));
        let _ = writeln!(out, "pgkeep_backup_bytes_stored_total{{tenant=\"{}\"}} {stored}", esc(t));
    }
    let (read, stored): (u64, u64) = per_tenant.values().fold((0, 0), |a, v| (a.0 + v.0, a.1 + v.1));
    header(out, "pgkeep_dedup_ratio", "gauge", "COPY bytes read over bytes stored, over all successful backups.");
    let _ = writeln!(out, "pgkeep_dedup_ratio {}", if stored > 0 { read as f64 / stored as f64 } else { 0.0 });

    header(out, "pgkeep_last_success_timestamp_seconds", "gauge", "End of each tenant's newest successful backup.");
    header(out, "pgkeep_last_backup_table_rows", "gauge", "Rows per table in each tenant's newest successful backup.");
    let mut last: BTreeMap<String, &super::jobs::JobRecord> = BTreeMap::new();
    for j in &backups {
        let t = j.tenant.clone().unwrap_or_default();
        if last.get(&t).is_none_or(|p| p.ended_at < j.ended_at) {
            last.insert(t, j);
        }
    }
    for (t, j) in &last {
        if let Some(end) = j.ended_at {
            let _ = writeln!(out, "pgkeep_last_success_timestamp_seconds{{tenant=\"{}\"}} {}", esc(t), end.timestamp());
        }
        for table in &j.tables {
            let _ = writeln!(out, "pgkeep_last_backup_table_rows{{tenant=\"{}\",table=\"{}\"}} {}", esc(t), esc(&table.table), table.rows);
        }
    }

}

fn repository_metrics(out: &mut String, svc: &Service) {
    header(out, "pgkeep_snapshots", "gauge", "Snapshots in the repository.");
    let _ = writeln!(out, "pgkeep_snapshots {}", svc.snapshot_count());
    // On object storage neither is reported: the size would cost a listing
    // of every pack per scrape, and a bucket has no free space to run out of.
    if let Some(root) = svc.config.repository.local_path() {
        header(out, "pgkeep_repository_size_bytes", "gauge", "Bytes of the repository's files on disk.");
        let _ = writeln!(out, "pgkeep_repository_size_bytes {}", repository_size(root));
    }
    if let Some(free) = svc.config.repository.local_path().and_then(super::health::free_disk) {
        header(out, "pgkeep_free_disk_bytes", "gauge", "Free bytes in the repository's file system.");
        let _ = writeln!(out, "pgkeep_free_disk_bytes {free}");
    }
    let a = svc.alerts.stats();
    header(out, "pgkeep_alerts_total", "counter", "Alerts by delivery outcome.");
    let _ = writeln!(out, "pgkeep_alerts_total{{outcome=\"delivered\"}} {}", a.delivered);
    let _ = writeln!(out, "pgkeep_alerts_total{{outcome=\"failed\"}} {}", a.failed);
    let _ = writeln!(out, "pgkeep_alerts_total{{outcome=\"dropped\"}} {}", a.dropped);
    header(out, "pgkeep_jobs_running", "gauge", "Jobs queued or running now.");
    let _ = writeln!(out, "pgkeep_jobs_running {}", svc.running_jobs());
}

fn repository_size(root: &std::path::Path) -> u64 {
    fn walk(p: &std::path::Path) -> u64 {
        let Ok(rd) = std::fs::read_dir(p) else { return 0 };
        rd.flatten()
            .map(|e| match e.metadata() {
                Ok(m) if m.is_dir() => walk(&e.path()),
                Ok(m) => m.len(),
                Err(_) => 0,
            })
            .sum()
    }
    walk(root)
}
