//! `pgkeep serve` at the scale of a thousand tenants.
//!
//! Starts a throwaway cluster (crates/pgkeep-testing) with `PGKEEP_BENCH_TENANTS`
//! tenant schemas (default 1000) of two small tables each (a customers
//! table of 20 rows and an orders table of 200 rows with a foreign key),
//! then, with the service running in this process on a real HTTP socket:
//!
//! 1. one full round of backups of every tenant (`POST /api/v1/backups/run`)
//!    with `max_concurrent_jobs` 2, then 4 (each into a fresh repository),
//!    timed from the request until the last job has finished; peak RSS of
//!    this process (the service; the server is other processes);
//! 2. `PGKEEP_BENCH_DAYS` days (default 30) of history for every tenant,
//!    generated as snapshot manifests and job records (one backup per
//!    tenant per day), then the service's start-up time on that history
//!    and the latency of `GET /api/v1/backups` (all of it), of
//!    `GET /api/v1/tenants/{t}/backups`, `GET /api/v1/jobs?limit=100`,
//!    `GET /api/v1/stats` and `GET /metrics` (median and max of 20 calls).
//!
//! No assertions on durations; it fails only when a job fails.
//! `cargo bench --bench service_scale`; `PGKEEP_BENCH_TENANTS=50
//! PGKEEP_BENCH_DAYS=3 cargo bench --bench service_scale` for a smoke run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use pgkeep_testing::pgcluster::{Cluster, ClusterOptions};
use pgkeep::repo::snapshot::Totals;
use pgkeep::repo::{RepoConfig, Repository, Snapshot};
use pgkeep::service::config::Config;
use pgkeep::service::jobs::{JobKind, JobRecord, JobStatus, Trigger};
use pgkeep::service::schedule::SystemClock;
use pgkeep::service::{api, Service};

const TOKEN: &str = "bench-token-0123456789abcdef";

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Peak resident set of this process, in MiB.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn config(dir: &std::path::Path, conninfo: &str, jobs: usize) -> Config {
    let token = dir.join("token");
    std::fs::write(&token, TOKEN).unwrap();
    let text = format!(
        "repository = \"{}\"\nadmin_token_file = \"{}\"\nmax_concurrent_jobs = {jobs}\nmin_free_disk = \"1MiB\"\n\
         [[sources]]\nname = \"main\"\nconnection = \"{}\"\ntenants = {{ mode = \"schema\", pattern = \"tenant\\\\_%\" }}\n",
        dir.join("repo").display(),
        token.display(),
        conninfo.replace('\\', "\\\\").replace('"', "\\\"")
    );
    Config::parse(&text, "bench").unwrap()
}

async fn serve(svc: Arc<Service>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, api::router(svc)).await.unwrap() });
    format!("http://{addr}")
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

async fn latency(http: &reqwest::Client, url: &str) -> (f64, f64, usize) {
    let mut times = Vec::new();
    let mut size = 0;
    for _ in 0..20 {
        let t = Instant::now();
        let r = http.get(url).bearer_auth(TOKEN).send().await.unwrap();
        assert!(r.status().is_success(), "{url}: {}", r.status());
        size = r.bytes().await.unwrap().len();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], times[times.len() - 1], size)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let tenants = env_usize("PGKEEP_BENCH_TENANTS", 1000);
    let days = env_usize("PGKEEP_BENCH_DAYS", 30);
    let cluster = Cluster::start(ClusterOptions::default().setting("max_locks_per_transaction", "1024")).unwrap();
    let db = cluster.fresh_database("scale").await.unwrap();
    let c = cluster.connect(&db).await.unwrap();
    let t0 = Instant::now();
    c.batch_execute(&format!(
        "DO $$ BEGIN FOR i IN 1..{tenants} LOOP \
           EXECUTE format('CREATE SCHEMA tenant_%s', lpad(i::text, 4, '0')); \
           EXECUTE format('CREATE TABLE tenant_%s.customers (id int PRIMARY KEY, name text)', lpad(i::text, 4, '0')); \
           EXECUTE format('CREATE TABLE tenant_%s.orders (id int PRIMARY KEY, customer int REFERENCES tenant_%s.customers, total numeric(12,2))', lpad(i::text, 4, '0'), lpad(i::text, 4, '0')); \
           EXECUTE format('INSERT INTO tenant_%s.customers SELECT g, ''c'' || g FROM generate_series(1, 20) g', lpad(i::text, 4, '0')); \
           EXECUTE format('INSERT INTO tenant_%s.orders SELECT g, 1 + g %% 20, g * 1.5 FROM generate_series(1, 200) g', lpad(i::text, 4, '0')); \
         END LOOP; END $$;"
    ))
    .await
    .unwrap();
    c.batch_execute("VACUUM ANALYZE").await.unwrap();
    println!("service_scale: {tenants} tenant schemas built in {:.1} s", t0.elapsed().as_secs_f64());
    let http = client();

    for jobs in [2usize, 4] {
        let dir = tempfile::tempdir().unwrap();
        Repository::init(&dir.path().join("repo"), RepoConfig::new(Default::default(), Default::default(), 1 << 20).unwrap()).unwrap();
        let svc = Service::open(config(dir.path(), &cluster.conninfo(&db), jobs), Arc::new(SystemClock)).unwrap();
        let base = serve(svc.clone()).await;
        let t = Instant::now();
        let r = http.post(format!("{base}/api/v1/backups/run")).bearer_auth(TOKEN).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 202);
        loop {
            let done = svc.jobs.query(usize::MAX, |r| r.kind == JobKind::Backup && r.status.is_done());
            if done.len() == tenants {
                let failed: Vec<_> = done.iter().filter(|r| r.status != JobStatus::Succeeded).collect();
                assert!(failed.is_empty(), "{} backups failed, first: {:?}", failed.len(), failed[0].error);
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let secs = t.elapsed().as_secs_f64();
        println!(
            "service_scale: round of {tenants} tenant backups, max_concurrent_jobs {jobs}: {secs:.1} s ({:.1} tenants/s), peak RSS so far {:.0} MiB",
            tenants as f64 / secs,
            peak_rss_mib()
        );
    }

    // History: `days` daily snapshots and job records per tenant.
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init(&dir.path().join("repo"), RepoConfig::new(Default::default(), Default::default(), 1 << 20).unwrap()).unwrap();
    let t = Instant::now();
    let start = chrono::Utc::now() - chrono::Duration::days(days as i64);
    let jobs_dir = dir.path().join("repo").join("jobs");
    std::fs::create_dir_all(&jobs_dir).unwrap();
    let mut n = 0;
    for d in 0..days {
        for i in 1..=tenants {
            let tenant = format!("tenant_{i:04}");
            let when = start + chrono::Duration::days(d as i64) + chrono::Duration::seconds(i as i64);
            let mut snap = Snapshot::stamped(when);
            snap.time_end = pgkeep::manifest::Timestamp::at(when + chrono::Duration::milliseconds(80));
            snap.tenant = Some(tenant.clone());
            snap.tags = vec!["schedule:nightly".into()];
            snap.totals = Totals { tables: 2, rows: 220, raw_bytes: 9_000, new_stored_bytes: 300, duration_ms: 80, ..Totals::default() };
            let session = repo.begin_backup("bench history", 1).unwrap();
            let id = session.commit(&snap).unwrap();
            let record = JobRecord {
                status: JobStatus::Succeeded,
                started_at: Some(when),
                ended_at: Some(when + chrono::Duration::milliseconds(80)),
                snapshot: Some(id.to_hex()),
                bytes_read: 9_000,
                bytes_stored: 300,
                rows: 220,
                ..JobRecord::new(
                    format!("{}-{:08x}", when.format("%Y%m%d-%H%M%S"), n),
                    JobKind::Backup,
                    Some(tenant),
                    Trigger::Schedule("nightly".into()),
                    when,
                    "bench",
                )
            };
            std::fs::write(jobs_dir.join(&record.id), serde_json::to_vec(&record).unwrap()).unwrap();
            n += 1;
        }
    }
    println!("service_scale: generated {n} snapshots and job records in {:.1} s", t.elapsed().as_secs_f64());
    let rss_before = peak_rss_mib();
    let t = Instant::now();
    let svc = Service::open(config(dir.path(), &cluster.conninfo(&db), 2), Arc::new(SystemClock)).unwrap();
    svc.refresh_tenants().await;
    println!(
        "service_scale: service start on {n} snapshots + {n} job records: {:.2} s; peak RSS {:.0} MiB (before: {rss_before:.0} MiB)",
        t.elapsed().as_secs_f64(),
        peak_rss_mib()
    );
    let base = serve(svc.clone()).await;
    for path in [
        "/api/v1/backups".to_string(),
        "/api/v1/backups?limit=100".to_string(),
        format!("/api/v1/tenants/tenant_{:04}/backups", tenants / 2),
        "/api/v1/jobs?limit=100".to_string(),
        format!("/api/v1/jobs?tenant=tenant_{:04}&limit=30", tenants / 2),
        "/api/v1/stats".to_string(),
        "/metrics".to_string(),
    ] {
        let (median, max, size) = latency(&http, &format!("{base}{path}")).await;
        println!("service_scale: GET {path:<42} median {median:>8.1} ms, max {max:>8.1} ms, {size} bytes");
    }
    println!("service_scale: peak RSS at the end {:.0} MiB", peak_rss_mib());
}
