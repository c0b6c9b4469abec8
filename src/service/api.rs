//! The REST admin API (JSON; a bearer token on every route but
//! `/health`). Long operations return 202 with a job id to poll.
//!
//! Every id and name in a path is checked before use: tenants must look
//! like a tenant name, snapshot ids like hex, job ids like job ids — so
//! no path traversal and no SQL can ride in on them. `ROUTES` is the
//! list `openapi.json` is held to by the tests.

// Handlers return a ready response as their error: the idiom of axum.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};

use super::config::DumpConfig;
use super::jobs::{self, Trigger};
use super::tenants::{self, Place, Tenant};
use super::{JobSpec, RestoreSpec, Service, ServiceError, API_TAG, RESTORE_POINT_TAG};
use crate::repo::Id;

/// The OpenAPI document served at `/api/v1/openapi.json`.
pub const OPENAPI: &str = include_str!("openapi.json");

/// Every route: method and path (axum's `{param}` syntax, as OpenAPI's).
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/health"),
    ("GET", "/metrics"),
    ("GET", "/api/v1/openapi.json"),
    ("POST", "/api/v1/backups/run"),
    ("GET", "/api/v1/backups"),
    ("GET", "/api/v1/backups/{id}"),
    ("DELETE", "/api/v1/backups/{id}"),
    ("POST", "/api/v1/backups/{id}/verify"),
    ("GET", "/api/v1/tenants"),
    ("GET", "/api/v1/tenants/{tenant}/backups"),
    ("POST", "/api/v1/tenants/{tenant}/backups"),
    ("POST", "/api/v1/tenants/{tenant}/restore-points"),
    ("POST", "/api/v1/tenants/{tenant}/restore"),
    ("POST", "/api/v1/prune"),
    ("GET", "/api/v1/jobs"),
    ("GET", "/api/v1/jobs/{id}"),
    ("GET", "/api/v1/schedules"),
    ("GET", "/api/v1/stats"),
];

type Svc = State<Arc<Service>>;

/// The value of a `Result<T, Response>`, or return its ready response.
macro_rules! or_respond {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(response) => return response,
        }
    };
}

pub fn router(svc: Arc<Service>) -> Router {
    let authed = Router::new()
        .route("/metrics", get(metrics))
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/backups/run", post(run_all))
        .route("/api/v1/backups", get(list_backups))
        .route("/api/v1/backups/{id}", get(backup_detail).delete(delete_backup))
        .route("/api/v1/backups/{id}/verify", post(verify_backup))
        .route("/api/v1/tenants", get(list_tenants))
        .route("/api/v1/tenants/{tenant}/backups", get(tenant_backups).post(backup_tenant))
        .route("/api/v1/tenants/{tenant}/restore-points", post(restore_point))
        .route("/api/v1/tenants/{tenant}/restore", post(restore_tenant))
        .route("/api/v1/prune", post(prune))
        .route("/api/v1/jobs", get(list_jobs))
        .route("/api/v1/jobs/{id}", get(job_detail))
        .route("/api/v1/schedules", get(schedules))
        .route("/api/v1/stats", get(stats))
        .route_layer(middleware::from_fn_with_state(svc.clone(), auth));
    let request_timeout = svc.config.http.request_timeout;
    Router::new()
        .route("/health", get(health))
        .merge(authed)
        .fallback(|| async { error(StatusCode::NOT_FOUND, "no such route".into()) })
        .layer(middleware::from_fn(move |req: Request, next: Next| async move {
            match tokio::time::timeout(request_timeout, next.run(req)).await {
                Ok(r) => r,
                Err(_) => error(StatusCode::SERVICE_UNAVAILABLE, format!("no answer within {request_timeout:?}")),
            }
        }))
        .with_state(svc)
}

/// Serve the API on `listener` until `shutdown` completes, within the
/// limits of `config.http`: at most `max_connections` connections at once
/// (the listener stops accepting at the cap, so further clients wait in
/// the kernel's backlog and cost no file descriptor here), request
/// headers within `header_timeout` (which also closes idle keep-alive and
/// half-open connections), and answers within `request_timeout` (see
/// [`router`]).
pub async fn serve(listener: tokio::net::TcpListener, svc: Arc<Service>, shutdown: impl std::future::Future<Output = ()>) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::service::TowerToHyperService;
    let limits = svc.config.http.clone();
    let app = router(svc);
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => return },
            _ = &mut shutdown => return,
        };
        let stream = tokio::select! {
            r = listener.accept() => match r {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning.
                    tracing::warn!(error = %e, "API: cannot accept a connection");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut shutdown => return,
        };
        let service = TowerToHyperService::new(app.clone());
        let header_timeout = limits.header_timeout;
        tokio::spawn(async move {
            let _permit = permit;
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .serve_connection(TokioIo::new(stream), service);
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "API connection closed");
            }
        });
    }
}

/// An error response: `{"error": "..."}`.
fn error(status: StatusCode, message: String) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

fn bad(message: impl Into<String>) -> Response {
    error(StatusCode::BAD_REQUEST, message.into())
}

fn not_found(message: impl Into<String>) -> Response {
    error(StatusCode::NOT_FOUND, message.into())
}

fn from_service(e: ServiceError) -> Response {
    let status = match e {
        ServiceError::ShuttingDown => StatusCode::SERVICE_UNAVAILABLE,
        ServiceError::NoSuchSchedule(_) => StatusCode::NOT_FOUND,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    error(status, e.to_string())
}

fn accepted(body: Value) -> Response {
    (StatusCode::ACCEPTED, Json(body)).into_response()
}

fn has_token(svc: &Service, headers: &HeaderMap) -> bool {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    constant_time_eq(given.as_bytes(), svc.token.as_bytes())
}

async fn auth(State(svc): Svc, headers: HeaderMap, req: Request, next: Next) -> Response {
    if !has_token(&svc, &headers) {
        let mut r = error(StatusCode::UNAUTHORIZED, "missing or wrong bearer token".into());
        r.headers_mut().insert(header::WWW_AUTHENTICATE, axum::http::HeaderValue::from_static("Bearer"));
        return r;
    }
    next.run(req).await
}

/// Compare without leaking, through timing, how much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for (i, x) in b.iter().enumerate() {
        diff |= (a.get(i).copied().unwrap_or(0) ^ x) as usize;
    }
    diff == 0
}

fn tenant_arg(svc: &Service, name: &str) -> Result<Tenant, Response> {
    if !tenants::is_tenant_name(name) {
        return Err(bad(format!("{name:?} is not a valid tenant name (letters, digits, _ - . ; at most 63)")));
    }
    svc.known_tenants().get(name).cloned().ok_or_else(|| not_found(format!("unknown tenant {name:?}")))
}

fn snapshot_arg(svc: &Service, id: &str) -> Result<Id, Response> {
    if id.len() < 8 || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) {
        return Err(bad(format!("{id:?} is not a snapshot id (8 to 64 lowercase hex digits)")));
    }
    svc.resolve_snapshot_id(id).ok_or_else(|| not_found(format!("no snapshot {id} (or the prefix is ambiguous)")))
}

/// `/health`: without the token only `{"ok": bool}` (and the status
/// code); the checks, which name hosts, roles, paths and tenants, need it.
async fn health(State(svc): Svc, headers: HeaderMap) -> Response {
    let (ok, checks) = super::health::cached_check(&svc).await;
    let status = if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    if !has_token(&svc, &headers) {
        return (status, Json(json!({ "ok": ok }))).into_response();
    }
    let failing: Vec<&str> = checks.iter().filter(|c| !c.ok).map(|c| c.name.as_str()).collect();
    (status, Json(json!({ "ok": ok, "failing": failing, "checks": checks }))).into_response()
}

async fn metrics(State(svc): Svc) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], super::metrics::render(&svc)).into_response()
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct BackupBody {
    /// Dump options; default the schedule's (when `schedule` is given) or defaults.
    dump: Option<DumpConfig>,
    schedule: Option<String>,
    label: Option<String>,
}

fn body_or_default<T: Default + for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, Response> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(bytes).map_err(|e| bad(format!("invalid request body: {e}")))
}

fn dump_for(svc: &Service, body: &BackupBody) -> Result<DumpConfig, Response> {
    if let Some(d) = &body.dump {
        d.validate().map_err(|e| bad(format!("dump: {e}")))?;
        return Ok(d.clone());
    }
    match &body.schedule {
        Some(name) => svc
            .schedules
            .iter()
            .find(|(s, _)| &s.name == name)
            .map(|(s, _)| s.dump.clone())
            .ok_or_else(|| not_found(format!("no schedule is named {name:?}"))),
        None => Ok(DumpConfig::default()),
    }
}

async fn run_all(State(svc): Svc, body: axum::body::Bytes) -> Response {
    let body: BackupBody = or_respond!(body_or_default(&body));
    let dump = or_respond!(dump_for(&svc, &body));
    let problems = svc.refresh_tenants().await;
    let tenants: Vec<Tenant> = svc.known_tenants().into_values().collect();
    let (records, skipped) = match svc.submit_round(tenants, &dump, vec![API_TAG.into()], body.label.clone(), &Trigger::Api) {
        Ok(r) => r,
        Err(e) => return from_service(e),
    };
    let queued: Vec<Value> = records.iter().map(|r| json!({ "tenant": r.tenant, "job": r.id })).collect();
    accepted(json!({ "jobs": queued, "skipped_already_running": skipped, "discovery_problems": problems }))
}

async fn backup_tenant(State(svc): Svc, Path(tenant): Path<String>, body: axum::body::Bytes) -> Response {
    let t = or_respond!(tenant_arg(&svc, &tenant));
    let body: BackupBody = or_respond!(body_or_default(&body));
    let dump = or_respond!(dump_for(&svc, &body));
    submit_backup(&svc, t, dump, vec![API_TAG.into()], body.label)
}

fn submit_backup(svc: &Arc<Service>, t: Tenant, dump: DumpConfig, tags: Vec<String>, label: Option<String>) -> Response {
    if svc.backup_pending(&t.name) {
        return error(StatusCode::CONFLICT, format!("a backup of tenant {} is already queued or running", t.name));
    }
    let name = t.name.clone();
    match svc.submit(JobSpec::Backup { tenant: t, dump, tags, label, round: None }, Some(name.clone()), Trigger::Api) {
        Ok(r) => accepted(json!({ "job": r.id, "tenant": name, "status": r.status })),
        Err(e) => from_service(e),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RestorePointBody {
    label: Option<String>,
}

async fn restore_point(State(svc): Svc, Path(tenant): Path<String>, body: axum::body::Bytes) -> Response {
    let t = or_respond!(tenant_arg(&svc, &tenant));
    let body: RestorePointBody = or_respond!(body_or_default(&body));
    let label = body.label.or_else(|| Some(format!("restore point {}", svc.now().to_rfc3339())));
    submit_backup(&svc, t, DumpConfig::default(), vec![RESTORE_POINT_TAG.into()], label)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct ListQuery {
    tenant: Option<String>,
    limit: Option<usize>,
    kind: Option<String>,
    status: Option<String>,
}

async fn list_backups(State(svc): Svc, Query(q): Query<ListQuery>) -> Response {
    if let Some(t) = &q.tenant {
        if !tenants::is_tenant_name(t) {
            return bad(format!("{t:?} is not a valid tenant name"));
        }
    }
    backups_of(&svc, q.tenant.as_deref(), q.limit)
}

fn backups_of(svc: &Service, tenant: Option<&str>, limit: Option<usize>) -> Response {
    let list = svc.newest_snapshots(limit.unwrap_or(usize::MAX), |s| tenant.is_none() || s.tenant.as_deref() == tenant);
    Json(json!({ "backups": list })).into_response()
}

async fn tenant_backups(State(svc): Svc, Path(tenant): Path<String>, Query(q): Query<ListQuery>) -> Response {
    if !tenants::is_tenant_name(&tenant) {
        return bad(format!("{tenant:?} is not a valid tenant name"));
    }
    let known = svc.known_tenants().contains_key(&tenant)
        || !svc.snapshots_where(|s| s.tenant.as_deref() == Some(tenant.as_str())).is_empty();
    if !known {
        return not_found(format!("unknown tenant {tenant:?}"));
    }
    backups_of(&svc, Some(&tenant), q.limit)
}

async fn backup_detail(State(svc): Svc, Path(id): Path<String>) -> Response {
    let id = or_respond!(snapshot_arg(&svc, &id));
    let repo = svc.repo.clone();
    let loaded = tokio::task::spawn_blocking(move || repo.load_snapshot(&id)).await;
    match loaded {
        Ok(Ok(snap)) => Json(json!({
            "summary": svc.snapshot_summary(&id.to_hex()),
            "source": { "database": snap.source.database, "server_version": snap.source.server_version },
            "tables": crate::engine::inspect::show(&snap),
        }))
        .into_response(),
        Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

async fn delete_backup(State(svc): Svc, Path(id): Path<String>) -> Response {
    let id = or_respond!(snapshot_arg(&svc, &id));
    match svc.delete_snapshot(id, Trigger::Api).await {
        Ok(r) if r.status == jobs::JobStatus::Succeeded => {
            Json(json!({ "deleted": id.to_hex(), "job": r.id, "note": "its data is freed by the next prune" })).into_response()
        }
        Ok(r) => error(StatusCode::INTERNAL_SERVER_ERROR, r.error.unwrap_or_default()),
        Err(e) => from_service(e),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct VerifyBody {
    /// Read and parse every chunk (default true).
    read_data: Option<bool>,
}

async fn verify_backup(State(svc): Svc, Path(id): Path<String>, body: axum::body::Bytes) -> Response {
    let id = or_respond!(snapshot_arg(&svc, &id));
    let body: VerifyBody = or_respond!(body_or_default(&body));
    let tenant = svc.snapshot_summary(&id.to_hex()).and_then(|s| s.summary.tenant);
    match svc.submit(JobSpec::Verify { snapshot: id, read_data: body.read_data.unwrap_or(true) }, tenant, Trigger::Api) {
        Ok(r) => accepted(json!({ "job": r.id, "snapshot": id.to_hex() })),
        Err(e) => from_service(e),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RestoreBody {
    /// A snapshot id (or prefix), or "latest" (the default).
    snapshot: Option<String>,
    /// The newest snapshot at or before this time (RFC 3339).
    at: Option<DateTime<Utc>>,
    /// Restore as this tenant (another schema or database); default: in place.
    target_tenant: Option<String>,
    /// Drop the objects the snapshot creates first (needed in place).
    clean: bool,
    /// Check the snapshot is restorable (every chunk read and parsed) without touching the server.
    validate_only: bool,
    jobs: Option<usize>,
    /// Allow the `postgres` database as the target (database tenants).
    allow_postgres: bool,
}

async fn restore_tenant(State(svc): Svc, Path(tenant): Path<String>, body: axum::body::Bytes) -> Response {
    if !tenants::is_tenant_name(&tenant) {
        return bad(format!("{tenant:?} is not a valid tenant name"));
    }
    let body: RestoreBody = or_respond!(body_or_default(&body));
    let jobs = or_respond!(crate::pg::sessions::check_jobs(body.jobs.unwrap_or(2)).map_err(|e| bad(e.to_string())));
    let snaps = svc.snapshots_where(|s| s.tenant.as_deref() == Some(tenant.as_str()));
    let source_tenant = svc.known_tenants().get(&tenant).cloned();
    if snaps.is_empty() && source_tenant.is_none() {
        return not_found(format!("unknown tenant {tenant:?}"));
    }
    // `latest` and `at` pick only snapshots with all of the tenant's
    // definitions and data; a schema-only or table-filtered one is
    // restored only when named by id.
    let full = |s: &&super::SnapshotSummary| s.full_data;
    let chosen = match (&body.snapshot, body.at) {
        (Some(_), Some(_)) => return bad("give either snapshot or at, not both"),
        (Some(s), None) if s != "latest" => match snapshot_arg(&svc, s) {
            Ok(id) => {
                if !snaps.iter().any(|x| x.id == id.to_hex()) {
                    return not_found(format!("snapshot {s} is not a backup of tenant {tenant}"));
                }
                id
            }
            Err(r) => return r,
        },
        (_, Some(at)) => match snaps.iter().rev().filter(full).find(|s| s.start().is_some_and(|t| t <= at)) {
            Some(s) => s.id.parse::<Id>().unwrap_or_default(),
            None => {
                return not_found(format!(
                    "tenant {tenant} has no complete backup (all definitions and data) at or before {}",
                    at.to_rfc3339()
                ))
            }
        },
        _ => match snaps.iter().rev().find(full) {
            Some(s) => s.id.parse::<Id>().unwrap_or_default(),
            None => {
                return not_found(format!(
                    "tenant {tenant} has no complete backup (all definitions and data); name a partial one by id"
                ))
            }
        },
    };
    let target_name = body.target_tenant.clone().unwrap_or_else(|| tenant.clone());
    if !tenants::is_tenant_name(&target_name) {
        return bad(format!("{target_name:?} is not a valid tenant name"));
    }
    // The target lives in the source tenant's source, in the place that
    // source keeps its tenants; it need not exist yet. A tenant no longer
    // discovered has no source to fall back on, unless only one source is
    // configured (then there is no other).
    let source = match &source_tenant {
        Some(t) => svc.config.source(&t.source),
        None if svc.config.sources.len() == 1 => svc.config.sources.first(),
        None => {
            return error(
                StatusCode::CONFLICT,
                format!(
                    "tenant {tenant} is not discovered in any source now, and more than one source is configured: \
                     recreate its schema or database so discovery finds it, or restore with the command line"
                ),
            )
        }
    };
    let Some(source) = source else {
        return bad("no source is configured to restore into");
    };
    let target = Tenant {
        name: target_name.clone(),
        source: source.name.clone(),
        place: match &source.tenants {
            super::config::TenantDiscovery::Schema { .. } => Place::Schema(target_name.clone()),
            super::config::TenantDiscovery::Database { .. } => Place::Database(target_name.clone()),
            super::config::TenantDiscovery::Whole { .. } => Place::Whole,
        },
    };
    if let Err(e) = tenants::check_restore_target(&source.tenants, &target, body.allow_postgres) {
        return bad(e.to_string());
    }
    if target_name == tenant && !body.clean && !body.validate_only {
        return error(
            StatusCode::CONFLICT,
            format!("restoring tenant {tenant} in place replaces its objects: set \"clean\": true, or give a target_tenant"),
        );
    }
    let spec = RestoreSpec {
        snapshot: chosen,
        target,
        clean: body.clean,
        validate_only: body.validate_only,
        jobs,
        allow_postgres: body.allow_postgres,
    };
    match svc.submit(JobSpec::Restore(spec), Some(target_name.clone()), Trigger::Api) {
        Ok(r) => accepted(json!({ "job": r.id, "snapshot": chosen.to_hex(), "target_tenant": target_name })),
        Err(e) => from_service(e),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct PruneBody {
    dry_run: bool,
}

async fn prune(State(svc): Svc, body: axum::body::Bytes) -> Response {
    let body: PruneBody = or_respond!(body_or_default(&body));
    match svc.submit(JobSpec::Prune { dry_run: body.dry_run }, None, Trigger::Api) {
        Ok(r) => accepted(json!({ "job": r.id, "dry_run": body.dry_run })),
        Err(e) => from_service(e),
    }
}

async fn list_jobs(State(svc): Svc, Query(q): Query<ListQuery>) -> Response {
    let list = svc.jobs.query(q.limit.unwrap_or(100), |r| {
        q.tenant.as_deref().is_none_or(|t| r.tenant.as_deref() == Some(t))
            && q.kind.as_deref().is_none_or(|k| r.kind.as_str() == k)
            && q.status.as_deref().is_none_or(|s| r.status.as_str() == s)
    });
    Json(json!({ "jobs": list })).into_response()
}

async fn job_detail(State(svc): Svc, Path(id): Path<String>) -> Response {
    if !jobs::is_job_id(&id) {
        return bad(format!("{id:?} is not a job id (YYYYMMDD-HHMMSS-xxxxxxxx)"));
    }
    match svc.jobs.get(&id) {
        Some(r) => Json(r).into_response(),
        None => not_found(format!("no job {id}")),
    }
}

async fn list_tenants(State(svc): Svc) -> Response {
    let tenants: Vec<Tenant> = svc.known_tenants().into_values().collect();
    Json(json!({ "tenants": tenants })).into_response()
}

async fn schedules(State(svc): Svc) -> Response {
    let now = svc.now();
    let list: Vec<Value> = svc
        .schedules
        .iter()
        .map(|(s, t)| {
            json!({
                "name": s.name, "cron": s.cron, "timezone": s.timezone, "source": s.source, "tenants": s.tenants,
                "dump": s.dump, "retention": s.retention, "prune": s.prune, "next_run": t.next_after(now),
            })
        })
        .collect();
    Json(json!({ "schedules": list, "editable": false })).into_response()
}

async fn stats(State(svc): Svc) -> Response {
    use std::collections::BTreeMap;
    #[derive(Default, serde::Serialize)]
    struct TenantStats {
        snapshots: u64,
        raw_bytes: u64,
        stored_bytes: u64,
        last_success: Option<DateTime<Utc>>,
        backups_succeeded: u64,
        backups_failed: u64,
        success_rate: Option<f64>,
    }
    let mut by: BTreeMap<String, TenantStats> = BTreeMap::new();
    svc.with_snapshots(|all| {
        for s in all {
            let e = by.entry(s.tenant.clone().unwrap_or_default()).or_default();
            e.snapshots += 1;
            e.raw_bytes += s.raw_bytes;
            e.stored_bytes += s.new_stored_bytes;
        }
    });
    svc.jobs.with_all(|all| {
        for j in all.filter(|j| j.kind == jobs::JobKind::Backup) {
            let e = by.entry(j.tenant.clone().unwrap_or_default()).or_default();
            match j.status {
                jobs::JobStatus::Succeeded => {
                    e.backups_succeeded += 1;
                    if e.last_success < j.ended_at {
                        e.last_success = j.ended_at;
                    }
                }
                jobs::JobStatus::Failed | jobs::JobStatus::Interrupted => e.backups_failed += 1,
                _ => {}
            }
        }
    });
    for e in by.values_mut() {
        let n = e.backups_succeeded + e.backups_failed;
        e.success_rate = (n > 0).then(|| e.backups_succeeded as f64 / n as f64);
    }
    Json(json!({ "tenants": by })).into_response()
}
