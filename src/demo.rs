//! `pgkeep demo`: a throwaway cluster with a small multi-tenant dataset,
//! backed up whole and per tenant (twice, to show deduplication) by the
//! backup engine, checked byte for byte, one tenant restored under a new
//! name next to the live one and compared in SQL, and the whole database
//! restored into a new database.
//!
//! It owns the demo dataset and the story it tells; the repository work is
//! the library's. It reports through a callback and never prints itself.

use std::path::PathBuf;
use std::time::Instant;

use tokio_postgres::Client;

use pgkeep_testing::pgcluster::{Cluster, ClusterOptions};
use crate::repo::check::{self, CheckOptions};
use crate::catalog::ScopeSpec;
use crate::engine::backup::{self, BackupOptions};
use crate::engine::copy_snapshots::copy_snapshots;
use crate::repo::crypto::{KdfParams, Secret};
use crate::repo::{RepoConfig, Repository};
use crate::engine::restore::{self, RestoreOptions};

pub const TENANTS: [&str; 3] = ["acme", "globex", "initech"];

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Backup(#[from] crate::engine::backup::DumpError),
    #[error(transparent)]
    Restore(#[from] crate::engine::restore::RestoreError),
    #[error("starting the demo cluster: {0}")]
    Cluster(String),
    #[error("{context}: {error}")]
    Postgres { context: String, #[source] error: crate::pg::error::ServerError },
    #[error(transparent)]
    Repo(#[from] crate::repo::RepoError),
    #[error("{0}")]
    Failed(String),
}

type Result<T> = std::result::Result<T, DemoError>;

fn pg(context: impl Into<String>) -> impl FnOnce(tokio_postgres::Error) -> DemoError {
    let context = context.into();
    move |e| DemoError::Postgres { context, error: e.into() }
}

/// Always-quoted identifier: names here are data, never SQL.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub struct DemoOptions {
    /// Keep the repository here instead of a temporary directory.
    pub repo: Option<PathBuf>,
    /// Orders per tenant (customers are a tenth of that).
    pub orders_per_tenant: u64,
}

#[derive(Debug, Default)]
pub struct DemoReport {
    pub snapshots: Vec<String>,
    pub first_raw_bytes: u64,
    pub first_stored_bytes: u64,
    pub second_raw_bytes: u64,
    pub second_stored_bytes: u64,
    pub restored_tables_identical: usize,
    /// Snapshots copied into the encrypted second repository.
    pub copied_snapshots: usize,
}

pub async fn run(opts: DemoOptions, say: &mut (dyn FnMut(String) + Send)) -> Result<DemoReport> {
    let cluster =
        Cluster::start(ClusterOptions::default()).map_err(|e| DemoError::Cluster(e.to_string()))?;
    say(format!(
        "started a throwaway PostgreSQL {} cluster (socket {}, port {})",
        cluster.server_version(),
        cluster.host_socket_dir().display(),
        cluster.port()
    ));
    cluster
        .create_database("demo")
        .await
        .map_err(|e| DemoError::Cluster(e.to_string()))?;
    let client = cluster
        .connect("demo")
        .await
        .map_err(|e| DemoError::Cluster(e.to_string()))?;
    load_dataset(&client, opts.orders_per_tenant).await?;
    say(format!(
        "loaded {} tenant schemas ({} orders each)",
        TENANTS.len(),
        opts.orders_per_tenant
    ));

    // A temporary repository goes away however the demo ends.
    let _cleanup;
    let repo_path: PathBuf = match &opts.repo {
        Some(p) => p.clone(),
        None => {
            let p = std::env::temp_dir().join(format!("pgkeep-demo-repo-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&p);
            _cleanup = RemoveOnDrop(p.clone());
            p
        }
    };
    let repo_path = repo_path.as_path();
    let kept = opts.repo.is_some();
    let repo = Repository::init(
        repo_path,
        RepoConfig::new(
            Default::default(),
            Default::default(),
            crate::repo::config::DEFAULT_PACK_SIZE,
        )?,
    )?;
    say(format!("created repository at {}", repo_path.display()));

    let conn = demo_conn(&cluster, "demo")?;
    let progress = crate::progress::Silent;
    let mut report = DemoReport::default();

    // 1. The whole database, every table copied by two sessions on one snapshot.
    let (id, snap) = backup::backup(&repo, &conn, &BackupOptions { jobs: 2, ..BackupOptions::default() }, &progress).await?;
    say(format!(
        "backup of the whole database: snapshot {} — {} tables, {} rows, {} bytes of COPY data, {} bytes stored ({:.1}x compression) in {:.2}s",
        id.short(), snap.totals.tables, snap.totals.rows, snap.totals.raw_bytes, snap.totals.new_stored_bytes,
        snap.totals.compression_ratio(), snap.totals.duration_ms as f64 / 1000.0
    ));
    report.snapshots.push(id.to_hex());
    let whole = id;

    // 2. Each tenant on its own, twice, with changes in between.
    for round in 1..=2 {
        if round == 2 {
            client
                .batch_execute(
                    "INSERT INTO tenant_acme.orders (customer_id, ordered_at, total, status, items)
                       SELECT 1 + g % 100, now(), g, 'new', '{\"sku\": 1}' FROM generate_series(1, 500) g;
                     UPDATE tenant_globex.customers SET active = NOT active WHERE id % 97 = 0;",
                )
                .await
                .map_err(pg("changing the demo data"))?;
            say("changed some rows (500 new acme orders, a few globex customers updated)".into());
        }
        let (mut raw, mut stored) = (0, 0);
        for tenant in TENANTS {
            let opts = BackupOptions {
                scope: ScopeSpec { include_schemas: vec![format!("tenant_{tenant}")], ..ScopeSpec::default() },
                tenant: Some(tenant.to_string()),
                jobs: 2,
                ..BackupOptions::default()
            };
            let (id, snap) = backup::backup(&repo, &conn, &opts, &progress).await?;
            raw += snap.totals.raw_bytes;
            stored += snap.totals.new_stored_bytes;
            say(format!(
                "backup {round} of tenant {tenant}: snapshot {} — {} tables, {} rows, {} bytes of COPY data, {} new bytes stored",
                id.short(), snap.totals.tables, snap.totals.rows, snap.totals.raw_bytes, snap.totals.new_stored_bytes
            ));
            report.snapshots.push(id.to_hex());
        }
        if round == 1 {
            (report.first_raw_bytes, report.first_stored_bytes) = (raw, stored);
        } else {
            (report.second_raw_bytes, report.second_stored_bytes) = (raw, stored);
        }
    }
    say(format!(
        "the tenant backups read {} + {} bytes and stored {} + {} new bytes: the rest was already in the repository",
        report.first_raw_bytes, report.second_raw_bytes, report.first_stored_bytes, report.second_stored_bytes
    ));

    // 3. Every chunk read back and re-hashed.
    let started = Instant::now();
    let rep = tokio::task::block_in_place(|| check::check(&repo, &CheckOptions { read_data: true, threads: 2 }))?;
    if !rep.is_ok() {
        return Err(DemoError::Failed(format!("check found problems: {:?}", rep.problems)));
    }
    say(format!(
        "check --read-data: {} snapshots, {} packs, {} chunks, {} bytes re-hashed in {:.2?}: no errors",
        rep.snapshots, rep.packs, rep.chunks, rep.bytes_read, started.elapsed()
    ));

    // 4. One tenant restored under a new name next to the live one.
    let latest = repo.resolve_snapshot("latest", Some("acme"))?;
    let opts = RestoreOptions { jobs: 2, target_schema: Some("tenant_acme_restored".into()), ..RestoreOptions::default() };
    restore::restore(&repo, &latest, &conn, None, &opts, &progress).await?;
    let identical = same_as_acme(&client, "tenant_acme_restored").await?;
    report.restored_tables_identical = identical;
    say(format!(
        "restored tenant acme from snapshot {} into schema tenant_acme_restored, next to the live tenant_acme: {identical} tables identical to the source (row hashes compared in SQL)",
        latest.short()
    ));

    // 5. The whole database into a new one.
    let copy_conn = demo_conn(&cluster, "demo_copy")?;
    let maintenance = demo_conn(&cluster, "postgres")?;
    let opts = RestoreOptions { jobs: 2, create: true, ..RestoreOptions::default() };
    let r = restore::restore(&repo, &whole, &copy_conn, Some(&maintenance), &opts, &progress).await?;
    say(format!(
        "restored the whole-database snapshot {} into a new database demo_copy: {} tables, {} rows in {:.2}s (indexes and foreign keys built in parallel)",
        whole.short(), r.tables, r.rows, r.duration_ms as f64 / 1000.0
    ));

    // 6. An encrypted second repository, filled by a copy (3-2-1).
    let _cleanup_offsite;
    let offsite_path = {
        let mut name = repo_path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
        name.push("-encrypted");
        repo_path.with_file_name(name)
    };
    if !kept {
        _cleanup_offsite = RemoveOnDrop(offsite_path.clone());
    }
    let secret = Secret::password(DEMO_PASSWORD.into());
    let offsite = Repository::init_encrypted(
        &offsite_path,
        RepoConfig::new(Default::default(), Default::default(), crate::repo::config::DEFAULT_PACK_SIZE)?,
        &secret,
        KdfParams::default(),
    )?;
    let ids: Vec<crate::repo::Id> = report.snapshots.iter().filter_map(|s| s.parse().ok()).collect();
    let copied = tokio::task::block_in_place(|| copy_snapshots(&repo, &offsite, &ids))?;
    report.copied_snapshots = copied.copied.len();
    say(format!(
        "created an encrypted repository at {} (password {DEMO_PASSWORD:?}; XChaCha20-Poly1305, keyed ids) and copied {} snapshots into it: {} chunks read, {} sent ({} bytes), every one proved on the way",
        offsite_path.display(), copied.copied.len(), copied.chunks_read, copied.chunks_sent, copied.bytes_sent
    ));
    let (_, offsite_latest) = copied
        .copied
        .iter()
        .copied()
        .find(|(src, _)| *src == latest)
        .ok_or_else(|| DemoError::Failed("the copy lacks tenant acme's latest snapshot".into()))?;
    let opts = RestoreOptions { jobs: 2, target_schema: Some("tenant_acme_offsite".into()), ..RestoreOptions::default() };
    restore::restore(&offsite, &offsite_latest, &conn, None, &opts, &progress).await?;
    same_as_acme(&client, "tenant_acme_offsite").await?;
    say(format!(
        "restored tenant acme from the encrypted copy {} into schema tenant_acme_offsite: identical to the source",
        offsite_latest.short()
    ));
    Ok(report)
}

/// Whether the restored `schema` holds tenant acme's tables row for row;
/// how many tables were compared.
async fn same_as_acme(client: &Client, schema: &str) -> Result<usize> {
    let tables = ["customers", "orders"];
    for table in tables {
        let (a, b) = (
            table_hash(client, &format!("tenant_acme.{table}")).await?,
            table_hash(client, &format!("{schema}.{table}")).await?,
        );
        if a != b {
            return Err(DemoError::Failed(format!("{schema}.{table} differs from tenant_acme.{table}: {b:?} vs {a:?}")));
        }
    }
    Ok(tables.len())
}

/// The encrypted demo repository's password (a demo: never do this).
pub const DEMO_PASSWORD: &str = "pgkeep demo password";

fn demo_conn(cluster: &Cluster, db: &str) -> Result<crate::pg::conn::ResolvedConn> {
    crate::pg::conn::ConnSpec::parse(&cluster.conninfo(db))
        .and_then(|c| c.resolve(&crate::pg::conn::process_env))
        .map_err(|e| DemoError::Failed(format!("connection settings of the demo cluster: {e}")))
}

async fn load_dataset(client: &Client, orders: u64) -> Result<()> {
    for (k, tenant) in TENANTS.iter().enumerate() {
        let k = k + 2;
        let s = ident(&format!("tenant_{tenant}"));
        let customers = (orders / 10).max(100);
        client
            .batch_execute(&format!(
                "CREATE SCHEMA {s};
                 CREATE TABLE {s}.customers (
                     id bigint PRIMARY KEY, name text NOT NULL, email text,
                     created timestamptz NOT NULL, balance numeric(12,2), active boolean);
                 CREATE TABLE {s}.orders (
                     id bigserial PRIMARY KEY, customer_id bigint NOT NULL REFERENCES {s}.customers,
                     ordered_at timestamptz NOT NULL, total numeric(12,2), status text, items jsonb);
                 INSERT INTO {s}.customers
                     SELECT g, 'customer ' || g, 'c' || g || '@{tenant}.example',
                            timestamptz '2024-01-01' + g * interval '37 minutes',
                            (g::bigint * 7919 * {k} % 100000) / 100.0, g % 3 <> 0
                       FROM generate_series(1, {customers}) g;
                 INSERT INTO {s}.orders (customer_id, ordered_at, total, status, items)
                     SELECT 1 + g % {customers}, timestamptz '2024-01-01' + g * {k} * interval '5 minutes',
                            (g::bigint * 104729 * {k} % 1000000) / 100.0,
                            (ARRAY['new','paid','shipped','returned'])[1 + g % 4],
                            jsonb_build_object('sku', g * {k} % 500, 'qty', 1 + g % 5)
                       FROM generate_series(1, {orders}) g;"
            ))
            .await
            .map_err(pg(format!("loading tenant {tenant}")))?;
    }
    Ok(())
}

/// Row count and an order-independent hash of every row's text form.
async fn table_hash(client: &Client, table: &str) -> Result<(i64, i64)> {
    let sql =
        format!("SELECT count(*), coalesce(sum(hashtext(x::text)::int8), 0)::int8 FROM {table} x");
    let row = client
        .query_one(&sql, &[])
        .await
        .map_err(pg(format!("hashing {table}")))?;
    let (n, h) = (row.try_get(0), row.try_get(1));
    match (n, h) {
        (Ok(n), Ok(h)) => Ok((n, h)),
        _ => Err(DemoError::Failed(format!(
            "hashing {table}: unexpected result types"
        ))),
    }
}
