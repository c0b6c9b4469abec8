//! `pgkeep serve` against a real server and over real HTTP: schedules and
//! retention across simulated days (an injected clock), the API end to
//! end, a failing tenant raising an alert without stopping the others,
//! and a service killed in the middle of a backup.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use pgkeep_testing::pgcluster::{self, Cluster};
use pgkeep::repo::{RepoConfig, Repository};
use pgkeep::service::config::Config;
use pgkeep::service::jobs::{JobKind, JobStatus};
use pgkeep::service::schedule::ManualClock;
use pgkeep::service::{api, Service};
use serde_json::{json, Value};

const TOKEN: &str = "test-token-0123456789abcdef";

struct Env {
    dir: tempfile::TempDir,
    db: String,
}

async fn tenants_db(cluster: &Cluster, name: &str, tenants: &[&str]) -> String {
    let db = cluster.fresh_database(name).await.unwrap();
    let c = cluster.connect(&db).await.unwrap();
    for t in tenants {
        c.batch_execute(&format!(
            "CREATE SCHEMA {t}; \
             CREATE TABLE {t}.customers (id int PRIMARY KEY, name text NOT NULL); \
             CREATE TABLE {t}.orders (id bigserial PRIMARY KEY, customer int REFERENCES {t}.customers, total numeric(12,2), at timestamptz DEFAULT now()); \
             INSERT INTO {t}.customers SELECT g, '{t} customer ' || g FROM generate_series(1, 200) g; \
             INSERT INTO {t}.orders (customer, total) SELECT 1 + g % 200, g * 1.25 FROM generate_series(1, 3000) g;"
        ))
        .await
        .unwrap();
    }
    db
}

fn write_config(env: &Env, cluster: &Cluster, extra: &str) -> Config {
    let repo = env.dir.path().join("repo");
    if !repo.exists() {
        Repository::init(&repo, RepoConfig::new(Default::default(), Default::default(), 1 << 20).unwrap()).unwrap();
    }
    let token = env.dir.path().join("token");
    std::fs::write(&token, TOKEN).unwrap();
    let text = format!(
        r#"
repository = "{repo}"
admin_token_file = "{token}"
max_concurrent_jobs = 2
min_free_disk = "1MiB"
{extra}
[[sources]]
name = "main"
connection = "{conn}"
tenants = {{ mode = "schema", pattern = "tenant\\_%" }}
"#,
        repo = repo.display(),
        token = token.display(),
        conn = cluster.conninfo(&env.db).replace('\\', "\\\\").replace('"', "\\\""),
    );
    let path = env.dir.path().join("pgkeep.toml");
    std::fs::write(&path, text).unwrap();
    Config::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

async fn wait_for<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn day(d: u32, h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, d, h, m, s).unwrap()
}

/// A daily schedule driven by a hand-moved clock over 8 simulated days:
/// every tenant is backed up once per day, retention keeps exactly what
/// the policy says, prune frees the forgotten data, and every kept
/// snapshot verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schedules_retention_and_prune_over_simulated_days() {
    let cluster = pgcluster::shared().unwrap_or_else(|e| panic!("{e}"));
    let tenants = ["tenant_a", "tenant_b", "tenant_c"];
    let db = tenants_db(cluster, "svc_days", &tenants).await;
    let env = Env { dir: common::fast_tempdir(), db };
    let config = write_config(
        &env,
        cluster,
        r#"
[[schedules]]
name = "nightly"
cron = "0 0 2 * * *"
timezone = "UTC"
source = "main"
retention = { keep_last = 2, keep_daily = 3 }
"#,
    );
    let clock = ManualClock::new(day(1, 1, 0, 0));
    let svc = Service::open(config, Arc::new(clock.clone())).unwrap();
    let sched = tokio::spawn(svc.clone().scheduler(Duration::from_millis(20)));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let c = cluster.connect(&env.db).await.unwrap();
    let mut sizes = Vec::new();
    for d in 1..=8u32 {
        // New rows every day, so each day's snapshot has data of its own
        // that only prune can free.
        for t in &tenants {
            c.batch_execute(&format!("INSERT INTO {t}.orders (customer, total) SELECT 1 + g % 200, g FROM generate_series(1, 2000) g"))
                .await
                .unwrap();
        }
        clock.set(day(d, 2, 0, 0));
        let n_backups = wait_for("the day's backups", Duration::from_secs(120), || {
            let done = svc.jobs.query(usize::MAX, |r| r.kind == JobKind::Backup && r.status == JobStatus::Succeeded);
            (done.len() == 3 * d as usize).then_some(done.len())
        })
        .await;
        assert_eq!(n_backups, 3 * d as usize);
        // Retention (and prune when it forgot something) follow the round.
        wait_for("retention", Duration::from_secs(120), || {
            let r = svc.jobs.query(usize::MAX, |r| r.kind == JobKind::Retention && r.status.is_done());
            (r.len() == d as usize).then_some(())
        })
        .await;
        // From day 4 on retention forgets the oldest day: a prune follows.
        let prunes = d.saturating_sub(3) as usize;
        wait_for("prune", Duration::from_secs(120), || {
            let p = svc.jobs.query(usize::MAX, |r| r.kind == JobKind::Prune && r.status.is_done());
            (p.len() == prunes && svc.running_jobs() == 0).then_some(())
        })
        .await;
        sizes.push(svc.snapshot_list().len());
        clock.set(day(d, 12, 0, 0));
    }
    sched.abort();
    // keep_daily 3 keeps the last three days; keep_last 2 is within them.
    assert_eq!(sizes, vec![3, 6, 9, 9, 9, 9, 9, 9], "snapshots after each day");
    for t in &tenants {
        let mut days: Vec<String> = svc
            .snapshot_list()
            .into_iter()
            .filter(|s| s.tenant.as_deref() == Some(*t))
            .map(|s| s.time.to_string()[..10].to_string())
            .collect();
        days.sort();
        assert_eq!(days, vec!["2026-03-06", "2026-03-07", "2026-03-08"], "{t}");
    }
    let failed = svc.jobs.query(usize::MAX, |r| r.status != JobStatus::Succeeded);
    assert!(failed.is_empty(), "{failed:#?}");
    let prunes = svc.jobs.query(usize::MAX, |r| r.kind == JobKind::Prune);
    assert_eq!(prunes.len(), 5, "a prune after each day that forgot snapshots (days 4 to 8)");
    let freed: u64 = prunes
        .iter()
        .map(|p| p.details["bytes_before"].as_u64().unwrap() - p.details["bytes_after"].as_u64().unwrap())
        .sum();
    assert!(freed > 0, "prune freed nothing: {prunes:#?}");
    let ids: Vec<_> = svc.repo.snapshots().unwrap().into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids.len(), 9);
    let report = pgkeep::engine::verify::verify(&svc.repo, &ids, &pgkeep::engine::verify::VerifyOptions { read_data: true, threads: 2 }).unwrap();
    assert!(report.is_ok(), "{report:#?}");
    // A restarted service knows its history.
    let again = Service::open(svc.config.clone(), Arc::new(clock.clone())).unwrap();
    assert_eq!(again.jobs.all().len(), svc.jobs.all().len());
}

fn http_client() -> reqwest::Client {
    // reqwest is built without a crypto provider of its own (pgkeep uses ring).
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// An HTTP client with the admin token.
struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    async fn call(&self, method: &str, path: &str, body: Option<Value>, token: Option<&str>) -> (u16, Value) {
        let mut req = self.http.request(method.parse().unwrap(), format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.call("GET", path, None, Some(TOKEN)).await
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call("POST", path, Some(body), Some(TOKEN)).await
    }

    /// Poll a job until it is done.
    async fn job(&self, id: &str) -> Value {
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        loop {
            let (status, job) = self.get(&format!("/api/v1/jobs/{id}")).await;
            assert_eq!(status, 200, "{job}");
            if !matches!(job["status"].as_str(), Some("queued" | "running")) {
                return job;
            }
            assert!(std::time::Instant::now() < deadline, "job {id} did not finish: {job}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

async fn start_api(svc: Arc<Service>) -> Api {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(api::serve(listener, svc, std::future::pending()));
    Api { base: format!("http://{addr}"), http: http_client() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_end_to_end() {
    let cluster = pgcluster::shared().unwrap_or_else(|e| panic!("{e}"));
    let tenants = ["tenant_a", "tenant_b", "tenant_c"];
    let db = tenants_db(cluster, "svc_api", &tenants).await;
    let env = Env { dir: common::fast_tempdir(), db };
    let config = write_config(&env, cluster, "");
    let svc = Service::open(config, Arc::new(pgkeep::service::schedule::SystemClock)).unwrap();
    svc.refresh_tenants().await;
    let api = start_api(svc.clone()).await;

    // Auth on every route but /health; the routes are the documented ones.
    let (s, _) = api.call("GET", "/api/v1/backups", None, None).await;
    assert_eq!(s, 401);
    let (s, _) = api.call("GET", "/api/v1/backups", None, Some("wrong-token-wrong-token")).await;
    assert_eq!(s, 401);
    // /health without the token: ok or not, nothing else (no hosts,
    // roles, paths or tenants); with it, the checks.
    let (s, health) = api.call("GET", "/health", None, None).await;
    assert!(s == 200 || s == 503, "{health}");
    assert_eq!(health.as_object().unwrap().keys().collect::<Vec<_>>(), vec!["ok"], "{health}");
    let (s, health) = api.call("GET", "/health", None, Some(TOKEN)).await;
    assert!(s == 200 || s == 503, "{health}");
    assert!(health["checks"].as_array().unwrap().iter().any(|c| c["name"] == "source main reachable" && c["ok"] == true), "{health}");
    let doc: Value = serde_json::from_str(api::OPENAPI).unwrap();
    let mut documented: Vec<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(p, ops)| ops.as_object().unwrap().keys().map(move |m| (m.to_uppercase(), p.clone())))
        .collect();
    let mut routes: Vec<(String, String)> = api::ROUTES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    documented.sort();
    routes.sort();
    assert_eq!(documented, routes, "openapi.json and the router disagree");
    let (s, served) = api.get("/api/v1/openapi.json").await;
    assert_eq!((s, served), (200, doc));

    let (s, list) = api.get("/api/v1/tenants").await;
    assert_eq!(s, 200);
    assert_eq!(list["tenants"].as_array().unwrap().len(), 3, "{list}");

    // One tenant now: 202, then the job succeeds with per-table stats.
    let (s, queued) = api.post("/api/v1/tenants/tenant_a/backups", json!({"label": "first"})).await;
    assert_eq!(s, 202, "{queued}");
    let job = api.job(queued["job"].as_str().unwrap()).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["rows"], 3200);
    assert!(job["tables"].as_array().unwrap().iter().any(|t| t["table"] == "tenant_a.orders" && t["rows"] == 3000), "{job}");
    let snap = job["snapshot"].as_str().unwrap().to_string();

    let (s, list) = api.get("/api/v1/tenants/tenant_a/backups").await;
    assert_eq!(s, 200);
    let b = &list["backups"][0];
    assert_eq!((b["id"].as_str(), b["rows"].as_u64(), b["status"].as_str()), (Some(snap.as_str()), Some(3200), Some("complete")));
    assert!(b["raw_bytes"].as_u64().unwrap() > 0 && b["duration_ms"].is_u64(), "{b}");
    let (s, detail) = api.get(&format!("/api/v1/backups/{}", &snap[..12])).await;
    assert_eq!(s, 200, "{detail}");
    assert_eq!(detail["tables"].as_array().unwrap().len(), 2, "{detail}");

    // Verify through the API.
    let (s, v) = api.post(&format!("/api/v1/backups/{snap}/verify"), json!({})).await;
    assert_eq!(s, 202, "{v}");
    let vj = api.job(v["job"].as_str().unwrap()).await;
    assert_eq!(vj["status"], "succeeded", "{vj}");

    // Restore tenant_a as tenant_z while the other tenants are backed up.
    let (s, r) = api.post("/api/v1/tenants/tenant_a/restore", json!({"snapshot": "latest", "target_tenant": "tenant_z"})).await;
    assert_eq!(s, 202, "{r}");
    let (s1, b1) = api.post("/api/v1/tenants/tenant_b/backups", json!({})).await;
    let (s2, b2) = api.post("/api/v1/tenants/tenant_c/backups", json!({})).await;
    assert_eq!((s1, s2), (202, 202));
    let rj = api.job(r["job"].as_str().unwrap()).await;
    assert_eq!(rj["status"], "succeeded", "{rj}");
    for b in [b1, b2] {
        assert_eq!(api.job(b["job"].as_str().unwrap()).await["status"], "succeeded");
    }
    let c = cluster.connect(&env.db).await.unwrap();
    let same: bool = c
        .query_one(
            "SELECT (SELECT array_agg(o ORDER BY id) FROM tenant_a.orders o)::text = (SELECT array_agg(o ORDER BY id) FROM tenant_z.orders o)::text",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(same, "tenant_z's orders differ from tenant_a's");
    // In place without clean is refused; validate-only touches nothing.
    let (s, e) = api.post("/api/v1/tenants/tenant_a/restore", json!({})).await;
    assert_eq!(s, 409, "{e}");
    let (s, vo) = api.post("/api/v1/tenants/tenant_a/restore", json!({"validate_only": true})).await;
    assert_eq!(s, 202, "{vo}");
    assert_eq!(api.job(vo["job"].as_str().unwrap()).await["status"], "succeeded");
    // Restore by time: the newest backup at or before a moment.
    let (s, e) = api.post("/api/v1/tenants/tenant_a/restore", json!({"at": "2000-01-01T00:00:00Z", "validate_only": true})).await;
    assert_eq!(s, 404, "{e}");

    // Restore points are labelled and listed.
    let (s, rp) = api.post("/api/v1/tenants/tenant_b/restore-points", json!({"label": "before migration 42"})).await;
    assert_eq!(s, 202, "{rp}");
    let rpj = api.job(rp["job"].as_str().unwrap()).await;
    assert_eq!(rpj["status"], "succeeded");
    let (_, list) = api.get("/api/v1/tenants/tenant_b/backups").await;
    assert!(list["backups"].as_array().unwrap().iter().any(|b| b["label"] == "before migration 42" && b["status"] == "complete, restore point"), "{list}");

    // Errors: unknown tenant and snapshot, bad ids, traversal, SQL in a name.
    for (method, path, want) in [
        ("POST", "/api/v1/tenants/tenant_nope/backups", 404),
        ("GET", "/api/v1/backups/0123456789abcdef", 404),
        ("GET", "/api/v1/backups/not-hex!", 400),
        ("GET", "/api/v1/jobs/20260101-000000-zzzzzzzz", 400),
        ("GET", "/api/v1/jobs/20260101-000000-00000000", 404),
        ("POST", "/api/v1/tenants/..%2F..%2Fetc/backups", 400),
        ("POST", "/api/v1/tenants/x%27%3B%20DROP%20SCHEMA%20tenant_a%3B--/backups", 400),
        ("GET", "/api/v1/nothing-here", 404),
    ] {
        let (s, body) = api.call(method, path, Some(json!({})), Some(TOKEN)).await;
        assert_eq!(s, want, "{method} {path}: {body}");
        assert!(body["error"].is_string(), "{method} {path}: {body}");
    }
    let (s, e) = api.post("/api/v1/tenants/tenant_a/backups", json!({"dump": {"jobz": 2}})).await;
    assert_eq!(s, 400, "unknown keys in a body are refused: {e}");
    assert!(e["error"].as_str().unwrap().contains("jobz"), "{e}");

    // Delete, prune (dry run and real), lists, stats and metrics.
    let (s, d) = api.call("DELETE", &format!("/api/v1/backups/{snap}"), None, Some(TOKEN)).await;
    assert_eq!(s, 200, "{d}");
    let (s, _) = api.get(&format!("/api/v1/backups/{snap}")).await;
    assert_eq!(s, 404);
    let (s, p) = api.post("/api/v1/prune", json!({"dry_run": true})).await;
    assert_eq!(s, 202);
    assert_eq!(api.job(p["job"].as_str().unwrap()).await["status"], "succeeded");
    let (s, p) = api.post("/api/v1/prune", json!({})).await;
    assert_eq!(s, 202);
    let pj = api.job(p["job"].as_str().unwrap()).await;
    assert_eq!(pj["status"], "succeeded", "{pj}");
    let (s, jobs) = api.get("/api/v1/jobs?kind=backup&tenant=tenant_a").await;
    assert_eq!(s, 200);
    assert_eq!(jobs["jobs"].as_array().unwrap().len(), 1, "{jobs}");
    let (_, stats) = api.get("/api/v1/stats").await;
    assert_eq!(stats["tenants"]["tenant_b"]["snapshots"], 2, "{stats}");
    assert_eq!(stats["tenants"]["tenant_b"]["success_rate"], 1.0, "{stats}");
    let (s, m) = api.get("/metrics").await;
    assert_eq!(s, 200);
    let m = m.as_str().unwrap().to_string();
    for needle in [
        "pgkeep_jobs_total{kind=\"backup\",status=\"succeeded\",tenant=\"tenant_a\"} 1",
        "pgkeep_job_duration_seconds_bucket{kind=\"backup\",le=\"+Inf\"}",
        "pgkeep_last_backup_table_rows{tenant=\"tenant_b\",table=\"tenant_b.orders\"} 3000",
        "pgkeep_last_success_timestamp_seconds{tenant=\"tenant_c\"}",
        "pgkeep_repository_size_bytes",
        "pgkeep_free_disk_bytes",
        "pgkeep_dedup_ratio",
    ] {
        assert!(m.contains(needle), "metrics lack {needle}:\n{m}");
    }
    let (s, sc) = api.get("/api/v1/schedules").await;
    assert_eq!((s, sc["editable"].as_bool()), (200, Some(false)));
    repository_is_private(&env.dir.path().join("repo"));
}

/// After init, backups, restores, job records, locks and prune, no file or
/// directory in the repository is readable, writable or searchable by
/// group or others (whatever the umask the tests run under).
fn repository_is_private(root: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    let mut seen = 0;
    let mut stack = vec![root.to_path_buf()];
    while let Some(p) = stack.pop() {
        let m = std::fs::symlink_metadata(&p).unwrap();
        let mode = m.permissions().mode() & 0o777;
        assert_eq!(mode & 0o077, 0, "{} has mode {mode:o}", p.display());
        seen += 1;
        if m.is_dir() {
            stack.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
        }
    }
    assert!(seen > 260, "{seen} entries");
}

/// A local webhook receiver: collects the JSON bodies it is sent.
async fn webhook_receiver() -> (String, Arc<Mutex<Vec<Value>>>) {
    let got: Arc<Mutex<Vec<Value>>> = Arc::default();
    let sink = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |axum::Json(v): axum::Json<Value>| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push(v);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/hook"), got)
}

/// A tenant whose table is locked fails its backup and raises an alert;
/// the other tenants' backups succeed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_tenant_alerts_and_does_not_stop_the_others() {
    let cluster = pgcluster::shared().unwrap_or_else(|e| panic!("{e}"));
    if std::env::var_os("PGKEEP_DEBUG_TEST").is_some() {
        let _ = tracing_subscriber::fmt().with_env_filter("debug,hyper=info,reqwest=info,tokio_postgres=info").try_init();
    }
    let tenants = ["tenant_ok1", "tenant_locked", "tenant_ok2"];
    let db = tenants_db(cluster, "svc_fail", &tenants).await;
    let env = Env { dir: common::fast_tempdir(), db };
    let (url, got) = webhook_receiver().await;
    let config = write_config(
        &env,
        cluster,
        &format!(
            r#"
[[schedules]]
name = "often"
cron = "*/5 * * * * *"
timezone = "UTC"
source = "main"
dump = {{ lock_wait_timeout = "1s" }}

[[alerts.webhooks]]
url = "{url}"
"#
        ),
    );
    let holder = cluster.connect(&env.db).await.unwrap();
    holder.batch_execute("BEGIN; LOCK TABLE tenant_locked.orders IN ACCESS EXCLUSIVE MODE").await.unwrap();
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 1).unwrap());
    let svc = Service::open(config, Arc::new(clock.clone())).unwrap();
    let sched = tokio::spawn(svc.clone().scheduler(Duration::from_millis(20)));
    // Let the scheduler read the clock before it moves: an occurrence at
    // the very time it starts is not one it missed.
    tokio::time::sleep(Duration::from_millis(300)).await;
    clock.set(Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 5).unwrap());
    let done = wait_for("three finished backups", Duration::from_secs(60), || {
        let d = svc.jobs.query(usize::MAX, |r| r.kind == JobKind::Backup && r.status.is_done());
        if std::env::var_os("PGKEEP_DEBUG_TEST").is_some() {
            eprintln!("{:?}", svc.jobs.all().iter().map(|r| (r.tenant.clone(), r.status, r.error.clone())).collect::<Vec<_>>());
        }
        (d.len() == 3).then_some(d)
    })
    .await;
    sched.abort();
    holder.batch_execute("ROLLBACK").await.unwrap();
    for r in &done {
        let want = if r.tenant.as_deref() == Some("tenant_locked") { JobStatus::Failed } else { JobStatus::Succeeded };
        assert_eq!(r.status, want, "{r:#?}");
    }
    let failed = done.iter().find(|r| r.status == JobStatus::Failed).unwrap();
    assert!(failed.error.as_deref().unwrap().contains("tenant_locked.orders"), "{failed:#?}");
    svc.alerts.flush(Duration::from_secs(10)).await;
    let alerts = got.lock().unwrap().clone();
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0]["kind"], "job_failed");
    assert_eq!(alerts[0]["tenant"], "tenant_locked");
    assert!(alerts[0]["message"].as_str().unwrap().contains("tenant_locked"), "{alerts:#?}");
}

/// SIGKILL during a backup: after a restart the job shows as interrupted,
/// the repository checks clean, and the next backup succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_during_a_backup_the_service_recovers() {
    let cluster = pgcluster::shared().unwrap_or_else(|e| panic!("{e}"));
    let db = tenants_db(cluster, "svc_kill", &["tenant_k"]).await;
    let env = Env { dir: common::fast_tempdir(), db };
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    write_config(&env, cluster, &format!("listen = \"127.0.0.1:{port}\"\n"));
    let cfg = env.dir.path().join("pgkeep.toml");
    let start = || {
        std::process::Command::new(common::bin())
            .args(["serve", "--config", cfg.to_str().unwrap()])
            .stderr(std::fs::File::create(env.dir.path().join("serve.log")).unwrap())
            .spawn()
            .unwrap()
    };
    let api = Api { base: format!("http://127.0.0.1:{port}"), http: http_client() };
    let up = |api: &Api| {
        let api = Api { base: api.base.clone(), http: api.http.clone() };
        async move {
            for _ in 0..200 {
                if let Ok(r) = api.http.get(format!("{}/api/v1/tenants", api.base)).bearer_auth(TOKEN).send().await {
                    if r.status() == 200 {
                        return;
                    }
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            panic!("the service did not come up");
        }
    };
    // A lock makes the backup wait mid-way (sessions open, repository
    // locked) long enough to be killed there.
    let holder = cluster.connect(&env.db).await.unwrap();
    holder.batch_execute("BEGIN; LOCK TABLE tenant_k.orders IN ACCESS EXCLUSIVE MODE").await.unwrap();
    let mut child = start();
    up(&api).await;
    let (s, q) = api.post("/api/v1/tenants/tenant_k/backups", json!({"dump": {"lock_wait_timeout": "60s"}})).await;
    assert_eq!(s, 202, "{q}");
    let job = q["job"].as_str().unwrap().to_string();
    wait_for("the backup to start", Duration::from_secs(30), || {
        let rec = std::fs::read(env.dir.path().join("repo/jobs").join(&job)).ok()?;
        let v: Value = serde_json::from_slice(&rec).ok()?;
        (v["status"] == "running").then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    child.kill().unwrap();
    child.wait().unwrap();
    holder.batch_execute("ROLLBACK").await.unwrap();

    let mut child = start();
    up(&api).await;
    let (s, j) = api.get(&format!("/api/v1/jobs/{job}")).await;
    assert_eq!(s, 200);
    assert_eq!(j["status"], "interrupted", "{j}");
    let repo = env.dir.path().join("repo");
    let check = common::pgkeep_ok(&["check", "--read-data", "--repo", repo.to_str().unwrap()]);
    assert!(check.contains("no errors") || check.contains("ok"), "{check}");
    let (s, q) = api.post("/api/v1/tenants/tenant_k/backups", json!({})).await;
    assert_eq!(s, 202, "{q}");
    let done = api.job(q["job"].as_str().unwrap()).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    // SIGTERM: a graceful stop.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}: {}", std::fs::read_to_string(env.dir.path().join("serve.log")).unwrap_or_default());
}

/// `jobs` out of 1..=64 is refused with a message naming it: in the config
/// file, in an API body (2^64−1 once made a backup "succeed" with 0 rows),
/// and on the command line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_out_of_range_is_refused_everywhere() {
    let cluster = pgcluster::shared().unwrap_or_else(|e| panic!("{e}"));
    let db = tenants_db(cluster, "svc_jobs", &["tenant_j"]).await;
    let env = Env { dir: common::fast_tempdir(), db };
    let config = write_config(&env, cluster, "");
    let text = std::fs::read_to_string(env.dir.path().join("pgkeep.toml")).unwrap();
    for n in ["0", "65", "9223372036854775807"] {
        let bad = format!("{text}\n[[schedules]]\nname = \"s\"\ncron = \"0 0 2 * * *\"\ntimezone = \"UTC\"\nsource = \"main\"\ndump = {{ jobs = {n} }}\n");
        let e = Config::parse(&bad, "pgkeep.toml").unwrap_err().to_string();
        assert!(e.contains("jobs must be between 1 and 64") && e.contains(n), "{n}: {e}");
    }
    let svc = Service::open(config, Arc::new(pgkeep::service::schedule::SystemClock)).unwrap();
    svc.refresh_tenants().await;
    let api = start_api(svc.clone()).await;
    for n in [json!(0), json!(65), json!(u64::MAX)] {
        let (s, e) = api.post("/api/v1/tenants/tenant_j/backups", json!({"dump": {"jobs": n}})).await;
        assert_eq!(s, 400, "{e}");
        assert!(e["error"].as_str().unwrap().contains("jobs must be between 1 and 64"), "{e}");
        let (s, e) = api.post("/api/v1/tenants/tenant_j/restore", json!({"jobs": n, "target_tenant": "tenant_j2"})).await;
        assert!(s == 400 || s == 404, "{e}");
    }
    assert!(svc.jobs.all().is_empty(), "no job was queued");
    let (s, q) = api.post("/api/v1/tenants/tenant_j/backups", json!({"dump": {"jobs": 64}})).await;
    assert_eq!(s, 202, "{q}");
    let job = api.job(q["job"].as_str().unwrap()).await;
    assert_eq!((job["status"].as_str(), job["rows"].as_u64()), (Some("succeeded"), Some(3200)), "{job}");
    let (s, e) = api.post("/api/v1/tenants/tenant_j/restore", json!({"jobs": u64::MAX, "target_tenant": "tenant_j2"})).await;
    assert_eq!(s, 400, "{e}");
    let repo = env.dir.path().join("repo");
    for n in ["0", "65", "18446744073709551615"] {
        let o = common::pgkeep(&["backup", "-d", "dbname=nothing", "--repo", repo.to_str().unwrap(), "-j", n]);
        assert!(!o.status.success());
        let err = common::stderr(&o);
        assert!(err.contains("1..=64") && !err.contains("panicked"), "{n}: {err}");
    }
}

/// A restore that fails on a CHECK constraint: the server's DETAIL
/// ("Failing row contains (…)", the tenant's row) reaches neither the job
/// record nor the webhook; the SQLSTATE and message do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_row_contents_stay_out_of_job_records_and_webhooks() {
    let cluster = pgcluster::shared().unwrap_or_else(|e| panic!("{e}"));
    let db = tenants_db(cluster, "svc_rowdata", &["tenant_r"]).await;
    let c = cluster.connect(&db).await.unwrap();
    c.batch_execute(
        "CREATE FUNCTION public.accept(text) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT true'; \
         CREATE TABLE tenant_r.secrets (id int PRIMARY KEY, note text CHECK (public.accept(note))); \
         INSERT INTO tenant_r.secrets VALUES (1, 'SSN 078-05-1120 of Mrs Whitcher');",
    )
    .await
    .unwrap();
    // The server itself puts the row in DETAIL; ServerError does not, and
    // does not hand the client error (which has it) on as its source.
    let e = c.execute("INSERT INTO tenant_r.customers VALUES (1, 'SSN 078-05-1120 dup')", &[]).await.unwrap_err();
    assert!(format!("{e}").contains("078-05-1120") || e.as_db_error().unwrap().detail().is_some_and(|d| d.contains("(id)=(1)")));
    let typed = pgkeep::pg::error::ServerError::from(e);
    assert_eq!(typed.sqlstate(), Some("23505"));
    let m = typed.to_string();
    assert!(m.contains("SQLSTATE 23505") && !m.contains("(id)=(1)"), "{m}");
    assert!(std::error::Error::source(&typed).is_none());
    let chain = format!("{:#}", anyhow::Error::new(typed));
    assert!(!chain.contains("(id)=(1)"), "{chain}");

    let env = Env { dir: common::fast_tempdir(), db };
    let (url, got) = webhook_receiver().await;
    let config = write_config(&env, cluster, &format!("[[alerts.webhooks]]\nurl = \"{url}\"\n"));
    let svc = Service::open(config, Arc::new(pgkeep::service::schedule::SystemClock)).unwrap();
    svc.refresh_tenants().await;
    let api = start_api(svc.clone()).await;
    let (s, q) = api.post("/api/v1/tenants/tenant_r/backups", json!({})).await;
    assert_eq!(s, 202, "{q}");
    assert_eq!(api.job(q["job"].as_str().unwrap()).await["status"], "succeeded");
    // Now the check refuses every row the restore loads.
    c.batch_execute("CREATE OR REPLACE FUNCTION public.accept(text) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT false'")
        .await
        .unwrap();
    let (s, r) = api.post("/api/v1/tenants/tenant_r/restore", json!({"target_tenant": "tenant_r_copy"})).await;
    assert_eq!(s, 202, "{r}");
    let job = api.job(r["job"].as_str().unwrap()).await;
    assert_eq!(job["status"], "failed", "{job}");
    let error = job["error"].as_str().unwrap();
    assert!(error.contains("23514"), "{error}");
    svc.alerts.flush(Duration::from_secs(10)).await;
    let alerts = got.lock().unwrap().clone();
    assert!(!alerts.is_empty());
    let record = std::fs::read_to_string(env.dir.path().join("repo/jobs").join(job["id"].as_str().unwrap())).unwrap();
    for text in [job.to_string(), serde_json::to_string(&alerts).unwrap(), record] {
        assert!(!text.contains("078-05-1120") && !text.contains("Whitcher"), "row contents leaked: {text}");
    }
}

/// A tenant is its schema, matched exactly: backing up `tenant_Acme` saves
/// schema "tenant_Acme", not the case-folded `tenant_acme` next to it.
/// `latest` and `at` skip schema-only and table-filtered snapshots (in the
/// API and in `latest --tenant`); a restore target must be a tenant of the
/// source, never a system schema.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_are_exact_and_latest_picks_only_full_snapshots() {
    let cluster = pgcluster::shared().unwrap_or_else(|e| panic!("{e}"));
    let db = tenants_db(cluster, "svc_exact", &["tenant_a"]).await;
    let c = cluster.connect(&db).await.unwrap();
    c.batch_execute(
        "CREATE SCHEMA \"tenant_Acme\"; CREATE TABLE \"tenant_Acme\".t (id int); INSERT INTO \"tenant_Acme\".t SELECT generate_series(1, 7); \
         CREATE SCHEMA tenant_acme; CREATE TABLE tenant_acme.t (id int); INSERT INTO tenant_acme.t SELECT generate_series(1, 50);",
    )
    .await
    .unwrap();
    let env = Env { dir: common::fast_tempdir(), db };
    let config = write_config(&env, cluster, "");
    let svc = Service::open(config, Arc::new(pgkeep::service::schedule::SystemClock)).unwrap();
    svc.refresh_tenants().await;
    let api = start_api(svc.clone()).await;

    let (s, q) = api.post("/api/v1/tenants/tenant_Acme/backups", json!({})).await;
    assert_eq!(s, 202, "{q}");
    let job = api.job(q["job"].as_str().unwrap()).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["rows"], 7, "{job}");
    let tables: Vec<&str> = job["tables"].as_array().unwrap().iter().map(|t| t["table"].as_str().unwrap()).collect();
    assert_eq!(tables, vec!["tenant_Acme.t"], "{job}");

    // One full backup, then a schema-only and a table-filtered one.
    let mut ids = Vec::new();
    for dump in [json!({}), json!({"schema_only": true}), json!({"tables": ["orders"]})] {
        let (s, q) = api.post("/api/v1/tenants/tenant_a/backups", json!({ "dump": dump })).await;
        assert_eq!(s, 202, "{q}");
        let job = api.job(q["job"].as_str().unwrap()).await;
        assert_eq!(job["status"], "succeeded", "{job}");
        ids.push(job["snapshot"].as_str().unwrap().to_string());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let full = &ids[0];
    let (s, r) = api.post("/api/v1/tenants/tenant_a/restore", json!({"validate_only": true})).await;
    assert_eq!((s, r["snapshot"].as_str()), (202, Some(full.as_str())), "{r}");
    let now = Utc::now().to_rfc3339();
    let (s, r) = api.post("/api/v1/tenants/tenant_a/restore", json!({"validate_only": true, "at": now})).await;
    assert_eq!((s, r["snapshot"].as_str()), (202, Some(full.as_str())), "{r}");
    let (s, r) = api.post("/api/v1/tenants/tenant_a/restore", json!({"validate_only": true, "snapshot": ids[1]})).await;
    assert_eq!((s, r["snapshot"].as_str()), (202, Some(ids[1].as_str())), "a partial snapshot named by id: {r}");
    assert_eq!(svc.repo.resolve_snapshot("latest", Some("tenant_a")).unwrap().to_hex(), *full);
    let repo = env.dir.path().join("repo");
    let shown = common::pgkeep_ok(&["show", "--repo", repo.to_str().unwrap(), "latest", "--tenant", "tenant_a"]);
    assert!(shown.contains(&full[..8]), "{shown}");

    // Targets: only tenants of the source, never system schemas.
    for target in ["information_schema", "pg_catalog", "pg_temp_1", "public", "acme_other"] {
        let (s, e) = api.post("/api/v1/tenants/tenant_a/restore", json!({"target_tenant": target})).await;
        assert_eq!(s, 400, "{target}: {e}");
    }
    let (s, r) = api.post("/api/v1/tenants/tenant_a/restore", json!({"target_tenant": "tenant_a2"})).await;
    assert_eq!(s, 202, "{r}");
    assert_eq!(api.job(r["job"].as_str().unwrap()).await["status"], "succeeded");
}

/// ~300 idle, half-open connections to the API of a `pgkeep serve` whose
/// file descriptors are limited (256): the connection cap keeps them from
/// taking the descriptors a backup needs, the header timeout closes them,
/// and a backup round still completes and /health answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_do_not_starve_backups() {
    use std::os::unix::process::CommandExt;
    let cluster = pgcluster::shared().unwrap_or_else(|e| panic!("{e}"));
    let db = tenants_db(cluster, "svc_idle", &["tenant_i1", "tenant_i2"]).await;
    let env = Env { dir: common::fast_tempdir(), db };
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    write_config(&env, cluster, &format!("listen = \"127.0.0.1:{port}\"\nhttp = {{ header_timeout = \"2s\", max_connections = 32 }}\n"));
    let cfg = env.dir.path().join("pgkeep.toml");
    let mut cmd = std::process::Command::new(common::bin());
    cmd.args(["serve", "--config", cfg.to_str().unwrap()])
        .stderr(std::fs::File::create(env.dir.path().join("serve.log")).unwrap());
    // SAFETY: setrlimit is async-signal-safe; nothing else runs in the child before exec.
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit { rlim_cur: 256, rlim_max: 256 };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    /// Kills the service if the test fails before it stops it.
    struct KillOnDrop(Option<std::process::Child>);
    impl Drop for KillOnDrop {
        fn drop(&mut self) {
            if let Some(c) = self.0.as_mut() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }
    let mut guard = KillOnDrop(Some(cmd.spawn().unwrap()));
    let api = Api { base: format!("http://127.0.0.1:{port}"), http: http_client() };
    let mut up = false;
    for _ in 0..200 {
        if let Ok(r) = api.http.get(format!("{}/health", api.base)).send().await {
            up = r.status() == 200 || r.status() == 503;
            if up {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "the service did not come up");
    // Connect and say nothing.
    let mut idle = Vec::new();
    for _ in 0..300 {
        idle.push(tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap());
    }
    let (s, q) = tokio::time::timeout(Duration::from_secs(90), api.post("/api/v1/backups/run", json!({})))
        .await
        .expect("the API answered within 90 s despite 300 idle connections");
    assert_eq!(s, 202, "{q}");
    let ids: Vec<String> = q["jobs"].as_array().unwrap().iter().map(|j| j["job"].as_str().unwrap().to_string()).collect();
    assert_eq!(ids.len(), 2, "{q}");
    for id in &ids {
        let status = wait_for("the backup round", Duration::from_secs(120), || {
            let rec = std::fs::read(env.dir.path().join("repo/jobs").join(id)).ok()?;
            let v: Value = serde_json::from_slice(&rec).ok()?;
            matches!(v["status"].as_str(), Some("succeeded" | "failed")).then(|| v)
        })
        .await;
        assert_eq!(status["status"], "succeeded", "{status}");
    }
    let (s, h) = tokio::time::timeout(Duration::from_secs(90), api.call("GET", "/health", None, None))
        .await
        .expect("/health answered");
    assert!(s == 200 || s == 503, "{h}");
    assert!(h["ok"].is_boolean(), "{h}");
    drop(idle);
    let mut child = guard.0.take().unwrap();
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}: {}", std::fs::read_to_string(env.dir.path().join("serve.log")).unwrap_or_default());
}

/// One unreadable manifest (garbage, or a hostile size) does not stop the
/// service: it opens, serves the other snapshots, and /health names the
/// bad file (to the token holder).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_manifest_is_reported_and_the_rest_served() {
    let cluster = pgcluster::shared().unwrap_or_else(|e| panic!("{e}"));
    let db = tenants_db(cluster, "svc_badmanifest", &["tenant_m"]).await;
    let env = Env { dir: common::fast_tempdir(), db };
    let config = write_config(&env, cluster, "");
    let repo = Repository::open(&env.dir.path().join("repo")).unwrap();
    let (good, _) = common::put(&repo, "good", &[("public.t", &b"rows"[..])]);
    let hostile = pgkeep::repo::envelope::seal(pgkeep::repo::envelope::Kind::Snapshot, &[0xdd, 0xff, 0xff, 0xff, 0xff, 0x80]);
    let bad = pgkeep::repo::Id::hash(&hostile);
    std::fs::write(env.dir.path().join("repo/snapshots").join(bad.to_hex()), &hostile).unwrap();
    let svc = Service::open(config, Arc::new(pgkeep::service::schedule::SystemClock)).unwrap();
    let ids: Vec<String> = svc.snapshot_list().into_iter().map(|s| s.summary.id).collect();
    assert_eq!(ids, vec![good.to_hex()]);
    let api = start_api(svc.clone()).await;
    let (_, h) = api.call("GET", "/health", None, Some(TOKEN)).await;
    let check = h["checks"].as_array().unwrap().iter().find(|c| c["name"] == "snapshots readable").cloned().unwrap();
    assert_eq!(check["ok"], false, "{h}");
    assert!(check["detail"].as_str().unwrap().contains(&bad.short()), "{check}");
    let (s, list) = api.get("/api/v1/backups").await;
    assert_eq!(s, 200);
    assert_eq!(list["backups"].as_array().unwrap().len(), 1, "{list}");
}

/// The top-level `retention` applies to backups made through the API, in
/// the top-level `timezone` (keep_daily counts Berlin's days, not UTC's),
/// and a schedule without a time zone takes the top-level one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn top_level_retention_and_timezone_take_effect() {
    let cluster = pgcluster::shared().unwrap_or_else(|e| panic!("{e}"));
    let db = tenants_db(cluster, "svc_toplevel", &["tenant_t"]).await;
    let env = Env { dir: common::fast_tempdir(), db };
    let config = write_config(
        &env,
        cluster,
        r#"
timezone = "Europe/Berlin"
retention = { keep_daily = 2 }

[[schedules]]
name = "nightly"
cron = "0 0 2 * * *"
source = "main"
"#,
    );
    assert_eq!(config.schedules[0].timezone, "Europe/Berlin");
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 3, 1, 22, 30, 0).unwrap());
    let svc = Service::open(config, Arc::new(clock.clone())).unwrap();
    svc.refresh_tenants().await;
    let api = start_api(svc.clone()).await;
    let (_, sc) = api.get("/api/v1/schedules").await;
    assert_eq!(sc["schedules"][0]["timezone"], "Europe/Berlin", "{sc}");
    // 22:30 and 23:30 UTC are 23:30 on March 1st and 00:30 on March 2nd in
    // Berlin; 23:45 UTC is March 2nd there too.
    let mut ids = Vec::new();
    for (n, (h, m)) in [(22, 30), (23, 30), (23, 45)].into_iter().enumerate() {
        clock.set(Utc.with_ymd_and_hms(2026, 3, 1, h, m, 0).unwrap());
        let (s, q) = api.post("/api/v1/tenants/tenant_t/backups", json!({})).await;
        assert_eq!(s, 202, "{q}");
        let job = api.job(q["job"].as_str().unwrap()).await;
        assert_eq!(job["status"], "succeeded", "{job}");
        ids.push(job["snapshot"].as_str().unwrap().to_string());
        wait_for("retention after the API backup", Duration::from_secs(60), || {
            let r = svc.jobs.query(usize::MAX, |r| r.kind == JobKind::Retention && r.status.is_done());
            (r.len() == n + 1 && svc.running_jobs() == 0).then_some(())
        })
        .await;
    }
    let mut left: Vec<String> = svc.snapshot_list().into_iter().map(|s| s.summary.id).collect();
    left.sort();
    let mut want = vec![ids[0].clone(), ids[2].clone()];
    want.sort();
    assert_eq!(left, want, "keep_daily 2 in Berlin keeps the newest of March 1st and of March 2nd");
    let failed = svc.jobs.query(usize::MAX, |r| r.status != JobStatus::Succeeded);
    assert!(failed.is_empty(), "{failed:#?}");
}

/// `/health` probes are cached: five calls in a row log in to the source
/// once (counted by a TCP listener standing in for it), not five times.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_probes_are_cached() {
    let dir = common::fast_tempdir();
    let repo = dir.path().join("repo");
    Repository::init(&repo, RepoConfig::new(Default::default(), Default::default(), 1 << 20).unwrap()).unwrap();
    std::fs::write(dir.path().join("token"), TOKEN).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        loop {
            let Ok((s, _)) = listener.accept().await else { return };
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            drop(s);
        }
    });
    let text = format!(
        "repository = \"{}\"\nadmin_token_file = \"{}\"\nmin_free_disk = \"1MiB\"\n\
         [[sources]]\nname = \"main\"\nconnection = \"host=127.0.0.1 port={port} dbname=x user=x sslmode=disable connect_timeout=2\"\n\
         tenants = {{ mode = \"whole\" }}\n",
        repo.display(),
        dir.path().join("token").display()
    );
    let config = Config::parse(&text, "pgkeep.toml").unwrap();
    let svc = Service::open(config, Arc::new(pgkeep::service::schedule::SystemClock)).unwrap();
    let api = start_api(svc.clone()).await;
    for _ in 0..5 {
        let (s, h) = api.call("GET", "/health", None, Some(TOKEN)).await;
        assert_eq!(s, 503, "{h}");
        assert!(h["failing"].as_array().unwrap().iter().any(|f| f == "source main reachable"), "{h}");
    }
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1, "one probe for five calls");
    // The probe files are gone (each had a name of its own).
    assert_eq!(std::fs::read_dir(repo.join("tmp")).unwrap().count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_encrypted_repository_is_served_and_encryption_can_be_required() {
    let cluster = pgcluster::shared().unwrap_or_else(|e| panic!("{e}"));
    let db = tenants_db(cluster, "svc_enc", &["tenant_e"]).await;
    // require_encryption refuses the unencrypted repository write_config makes.
    let plain = Env { dir: common::fast_tempdir(), db: db.clone() };
    let config = write_config(&plain, cluster, "require_encryption = true\n");
    let e = Service::open(config, Arc::new(pgkeep::service::schedule::SystemClock)).err().unwrap().to_string();
    assert!(e.contains("not encrypted"), "{e}");

    let env = Env { dir: common::fast_tempdir(), db };
    let pw = env.dir.path().join("repo-password");
    std::fs::write(&pw, "service password\n").unwrap();
    let kdf = pgkeep::repo::crypto::KdfParams { memory_kib: 256, iterations: 1, lanes: 1 };
    let secret = pgkeep::repo::crypto::Secret::password("service password".into());
    let cfg = RepoConfig::new(Default::default(), Default::default(), 1 << 20).unwrap();
    Repository::init_encrypted(&env.dir.path().join("repo"), cfg, &secret, kdf).unwrap();
    // Without the password the service does not start, and says why.
    let config = write_config(&env, cluster, "require_encryption = true\n");
    let e = Service::open(config, Arc::new(pgkeep::service::schedule::SystemClock)).err().unwrap().to_string();
    assert!(e.contains("is encrypted"), "{e}");
    // A relative password_file is relative to the configuration file.
    let config = write_config(&env, cluster, "require_encryption = true\npassword_file = \"repo-password\"\n");
    let svc = Service::open(config, Arc::new(pgkeep::service::schedule::SystemClock)).unwrap();
    svc.refresh_tenants().await;
    let api = start_api(svc.clone()).await;
    let (s, q) = api.post("/api/v1/tenants/tenant_e/backups", json!({})).await;
    assert_eq!(s, 202, "{q}");
    let job = api.job(q["job"].as_str().unwrap()).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    // Job records are sealed like everything else.
    let jobs = common::files_in(&env.dir.path().join("repo"), "jobs");
    assert!(!jobs.is_empty());
    for rel in jobs {
        let b = std::fs::read(env.dir.path().join("repo").join(rel)).unwrap();
        assert_eq!(&b[..6], b"PGKSEA");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_round_is_copied_to_an_encrypted_target_with_its_own_retention() {
    let cluster = pgcluster::shared().unwrap_or_else(|e| panic!("{e}"));
    let db = tenants_db(cluster, "svc_copy", &["tenant_a", "tenant_b"]).await;
    let env = Env { dir: common::fast_tempdir(), db };
    let offsite = env.dir.path().join("offsite");
    std::fs::write(env.dir.path().join("offsite-password"), "offsite\n").unwrap();
    let kdf = pgkeep::repo::crypto::KdfParams { memory_kib: 256, iterations: 1, lanes: 1 };
    let cfg = RepoConfig::new(Default::default(), Default::default(), 1 << 20).unwrap();
    Repository::init_encrypted(&offsite, cfg, &pgkeep::repo::crypto::Secret::password("offsite".into()), kdf).unwrap();
    let config = write_config(
        &env,
        cluster,
        r#"
[[copy_to]]
name = "offsite"
repository = "offsite"
password_file = "offsite-password"
retention = { keep_last = 1 }

[[schedules]]
name = "nightly"
cron = "0 0 2 * * *"
timezone = "UTC"
source = "main"
"#,
    );
    let svc = Service::open(config, Arc::new(pgkeep::service::schedule::SystemClock)).unwrap();
    let c = cluster.connect(&env.db).await.unwrap();
    for round in 1..=2usize {
        c.batch_execute("INSERT INTO tenant_a.orders (customer, total) SELECT 1 + g % 20, g FROM generate_series(1, 500) g").await.unwrap();
        svc.run_schedule("nightly", pgkeep::service::jobs::Trigger::Api).await.unwrap();
        let copy = wait_for("the copy", Duration::from_secs(120), || {
            let done = svc.jobs.query(usize::MAX, |r| r.kind == JobKind::Copy && r.status.is_done());
            (done.len() == round).then(|| done.into_iter().max_by_key(|r| r.queued_at).unwrap())
        })
        .await;
        assert_eq!(copy.status, JobStatus::Succeeded, "{copy:?}");
        assert_eq!(copy.details["copied"].as_array().unwrap().len(), 2, "{:?}", copy.details);
        if round == 2 {
            assert_eq!(copy.details["forgotten"], 2, "keep_last = 1 per tenant: {:?}", copy.details);
            assert!(copy.details["chunks_sent"].as_u64().unwrap() < copy.details["chunks_read"].as_u64().unwrap());
        }
    }
    // The target holds the latest copy of each tenant, each naming its original.
    let pw = pgkeep::repo::crypto::PasswordSource {
        password_file: Some(env.dir.path().join("offsite-password")),
        ..Default::default()
    };
    let target = Repository::open_with(&offsite, &pw).unwrap();
    let copies = target.snapshots().unwrap();
    assert_eq!(copies.len(), 2);
    for (_, s) in &copies {
        let original = s.original.unwrap().to_hex();
        assert!(svc.snapshot_summary(&original).is_some(), "{original} is a snapshot of the service's repository");
    }
}

/// Tenants whose money moves between one another while a round runs.
async fn bank_db(cluster: &Cluster, name: &str, tenants: &[&str]) -> String {
    let db = cluster.fresh_database(name).await.unwrap();
    let c = cluster.connect(&db).await.unwrap();
    for t in tenants {
        c.batch_execute(&format!(
            "CREATE SCHEMA {t}; \
             CREATE TABLE {t}.accounts (id int PRIMARY KEY, balance bigint NOT NULL); \
             INSERT INTO {t}.accounts SELECT g, 1000 FROM generate_series(1, 50) g; \
             CREATE TABLE {t}.history (id bigserial PRIMARY KEY, note text NOT NULL); \
             INSERT INTO {t}.history (note) SELECT md5(g::text) FROM generate_series(1, 20000) g;"
        ))
        .await
        .unwrap();
    }
    db
}

/// Writers moving money between the tenants' accounts until `stop`; each
/// transfer is one transaction across two tenants. Returns how many
/// committed.
fn start_transfers(cluster: &'static Cluster, db: &str, tenants: &[&str], stop: Arc<std::sync::atomic::AtomicBool>) -> Vec<tokio::task::JoinHandle<u64>> {
    (0..2u64)
        .map(|w| {
            let (db, tenants, stop) = (db.to_string(), tenants.iter().map(|t| t.to_string()).collect::<Vec<_>>(), stop.clone());
            tokio::spawn(async move {
                let c = cluster.connect(&db).await.unwrap();
                let mut n = 0u64;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    let from = &tenants[((n + w) % tenants.len() as u64) as usize];
                    let to = &tenants[((n * 7 + w + 1) % tenants.len() as u64) as usize];
                    let (a, b, amount) = (1 + (n * 13 + w) % 50, 1 + (n * 17) % 50, 1 + (n % 90));
                    c.batch_execute(&format!(
                        "BEGIN; UPDATE {from}.accounts SET balance = balance - {amount} WHERE id = {a}; \
                         UPDATE {to}.accounts SET balance = balance + {amount} WHERE id = {b}; COMMIT"
                    ))
                    .await
                    .unwrap();
                    n += 1;
                }
                n
            })
        })
        .collect()
}

/// One round over several tenant schemas: one shared snapshot, one
/// snapshot in the repository per tenant, and the tenants' restored copies
/// add up to the money there always is although transfers between tenants
/// committed all through the round. A tenant whose table another session
/// holds ACCESS EXCLUSIVE fails alone (its own job record naming the table),
/// and the snapshot is released when the round is over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_round_shares_one_snapshot_and_one_tenant_fails_alone() {
    let cluster = pgcluster::shared().unwrap_or_else(|e| panic!("{e}"));
    let moving = ["tenant_bank1", "tenant_bank2", "tenant_bank3", "tenant_bank4", "tenant_bank5"];
    let mut all = moving.to_vec();
    all.push("tenant_banklocked");
    let db = bank_db(cluster, "svc_round", &all).await;
    let env = Env { dir: common::fast_tempdir(), db };
    let config = write_config(&env, cluster, "");
    let holder = cluster.connect(&env.db).await.unwrap();
    holder.batch_execute("BEGIN; LOCK TABLE tenant_banklocked.accounts IN ACCESS EXCLUSIVE MODE").await.unwrap();
    let svc = Service::open(config, Arc::new(pgkeep::service::schedule::SystemClock)).unwrap();
    svc.refresh_tenants().await;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writers = start_transfers(cluster, &env.db, &moving, stop.clone());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let dump = pgkeep::service::config::DumpConfig { lock_wait_timeout: Duration::from_secs(1), ..Default::default() };
    let tenants: Vec<_> = svc.known_tenants().into_values().collect();
    assert_eq!(tenants.len(), all.len());
    let (queued, skipped) = svc.submit_round(tenants, &dump, vec!["api".into()], None, &pgkeep::service::jobs::Trigger::Api).unwrap();
    assert_eq!((queued.len(), skipped.len()), (all.len(), 0));
    let ids: Vec<String> = queued.iter().map(|r| r.id.clone()).collect();
    let done = wait_for("the round's backups", Duration::from_secs(120), || {
        let d: Vec<_> = ids.iter().filter_map(|id| svc.jobs.get(id)).filter(|r| r.status.is_done()).collect();
        (d.len() == ids.len()).then_some(d)
    })
    .await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut transfers = 0;
    for w in writers {
        transfers += w.await.unwrap();
    }
    holder.batch_execute("ROLLBACK").await.unwrap();
    assert!(transfers > 0);

    let mut shared = std::collections::BTreeSet::new();
    for r in &done {
        if r.tenant.as_deref() == Some("tenant_banklocked") {
            assert_eq!(r.status, JobStatus::Failed, "{r:#?}");
            let e = r.error.as_deref().unwrap();
            assert!(e.contains("tenant_banklocked.accounts") && e.contains("could not lock"), "{e}");
        } else {
            assert_eq!(r.status, JobStatus::Succeeded, "{r:#?}");
            shared.insert(r.details["shared_snapshot"]["snapshot"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(shared.len(), 1, "every tenant of the round read the same exported snapshot: {shared:?}");
    let snaps = svc.repo.snapshots().unwrap();
    assert_eq!(snaps.len(), moving.len(), "one snapshot per tenant that succeeded");
    let starts: std::collections::BTreeSet<_> = snaps.iter().map(|(_, s)| s.time_start.get()).collect();
    assert_eq!(starts.len(), 1, "the snapshots of a round start when its shared snapshot was taken");

    // Each tenant's snapshot restored under another schema name: the copies
    // hold exactly the money the tenants always hold together.
    let mut restores = Vec::new();
    for (id, s) in &snaps {
        let tenant = s.tenant.clone().unwrap();
        assert_eq!(s.relative_schema.as_deref(), Some(tenant.as_str()));
        let target = tenant.replace("tenant_bank", "tenant_copy");
        let spec = pgkeep::service::RestoreSpec {
            snapshot: *id,
            target: pgkeep::service::tenants::Tenant {
                name: target.clone(),
                source: "main".into(),
                place: pgkeep::service::tenants::Place::Schema(target.clone()),
            },
            clean: false,
            validate_only: false,
            jobs: 2,
            allow_postgres: false,
        };
        restores.push(svc.submit(pgkeep::service::JobSpec::Restore(spec), Some(target), pgkeep::service::jobs::Trigger::Api).unwrap().id);
    }
    for id in &restores {
        let r = wait_for("a restore", Duration::from_secs(120), || svc.jobs.get(id).filter(|r| r.status.is_done())).await;
        assert_eq!(r.status, JobStatus::Succeeded, "{r:#?}");
    }
    let c = cluster.connect(&env.db).await.unwrap();
    let sum = |schemas: Vec<String>| {
        schemas.iter().map(|s| format!("(SELECT sum(balance) FROM {s}.accounts)")).collect::<Vec<_>>().join(" + ")
    };
    let copies: Vec<String> = moving.iter().map(|t| t.replace("tenant_bank", "tenant_copy")).collect();
    let restored: i64 = c.query_one(&format!("SELECT ({})::int8", sum(copies.clone())), &[]).await.unwrap().get(0);
    let live: i64 = c.query_one(&format!("SELECT ({})::int8", sum(moving.iter().map(|s| s.to_string()).collect())), &[]).await.unwrap().get(0);
    assert_eq!(live, 50 * 1000 * moving.len() as i64);
    assert_eq!(restored, live, "the restored tenants are one consistent state ({transfers} transfers ran during the round)");
    // The copies are their tenants' own: defaults name the copy's sequence.
    let default: String = c
        .query_one("SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef WHERE adrelid = 'tenant_copy1.history'::regclass", &[])
        .await
        .unwrap()
        .get(0);
    assert!(default.contains("tenant_copy1.history_id_seq"), "{default}");
    // The round is over: its sessions are gone.
    wait_sql(
        &c,
        "the shared snapshot's sessions to end",
        "SELECT count(*) = 0 FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'",
    )
    .await;
}

/// Poll `sql` (one boolean) until it is true.
async fn wait_sql(c: &tokio_postgres::Client, what: &str, sql: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !c.query_one(sql, &[]).await.unwrap().get::<_, bool>(0) {
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// In one shared snapshot, a `LOCK … NOWAIT` that meets an exclusive lock
/// queued behind the round's own fails that schema's backup only; the
/// other schemas are backed up from the same snapshot afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nowait_conflict_in_a_shared_snapshot_fails_only_its_schema() {
    use pgkeep::engine::backup::{schema_scope, BackupOptions, SharedOptions, SharedSnapshot};
    let cluster = pgcluster::shared().unwrap_or_else(|e| panic!("{e}"));
    let tenants = ["tenant_n1", "tenant_n2", "tenant_n3"];
    let db = tenants_db(cluster, "svc_nowait", &tenants).await;
    let dir = common::fast_tempdir();
    let repo = Repository::init(&dir.path().join("repo"), RepoConfig::new(Default::default(), Default::default(), 1 << 20).unwrap()).unwrap();
    let conn = common::conn(cluster, &db);
    let opts = SharedOptions { schemas: tenants.iter().map(|t| t.to_string()).collect(), sessions: 2, lock_wait_timeout: Duration::from_secs(5) };
    let shared = SharedSnapshot::open(&conn, &opts).await.unwrap();
    // An ALTER queued behind the shared snapshot's ACCESS SHARE lock.
    let alter_client = cluster.connect(&db).await.unwrap();
    let alter = tokio::spawn(async move { alter_client.batch_execute("ALTER TABLE tenant_n2.orders ADD COLUMN note text").await });
    let c = cluster.connect(&db).await.unwrap();
    wait_sql(&c, "the ALTER to wait for its lock", "SELECT count(*) > 0 FROM pg_locks WHERE NOT granted AND mode = 'AccessExclusiveLock' AND relation = 'tenant_n2.orders'::regclass").await;
    let backup = |t: &str| BackupOptions { scope: schema_scope(t, &[], &[]), tenant: Some(t.to_string()), jobs: 2, ..BackupOptions::default() };
    let e = shared.backup_schema("tenant_n2", &repo, &backup("tenant_n2"), &pgkeep::progress::Silent).await.unwrap_err();
    assert!(e.to_string().contains("tenant_n2.orders") && e.to_string().contains("exclusive lock"), "{e}");
    for t in ["tenant_n1", "tenant_n3"] {
        let (_, snap) = shared.backup_schema(t, &repo, &backup(t), &pgkeep::progress::Silent).await.unwrap_or_else(|e| panic!("{t}: {e}"));
        assert_eq!(snap.totals.rows, 3200, "{t}");
        assert_eq!(snap.relative_schema.as_deref(), Some(t));
    }
    let e = shared.backup_schema("tenant_other", &repo, &backup("tenant_other"), &pgkeep::progress::Silent).await.unwrap_err();
    assert!(e.to_string().contains("not one of the shared snapshot's schemas"), "{e}");
    assert!(!alter.is_finished(), "the round's locks hold the ALTER back while the round runs");
    shared.close().await;
    alter.await.unwrap().unwrap();
    assert_eq!(repo.snapshots().unwrap().len(), 2);
}
