//! `pgkeep demo`: a throwaway cluster with a small multi-tenant dataset,
//! streamed into a repository with `COPY … TO STDOUT (FORMAT binary)`,
//! backed up twice to show deduplication, checked byte for byte, and one
//! tenant's data restored into a new schema and compared in SQL.
//!
//! It owns the demo dataset and the story it tells; the repository work is
//! the library's. It reports through a callback and never prints itself.

use std::path::PathBuf;
use std::time::Instant;

use bytes::Bytes;
use futures::SinkExt;
use tokio_postgres::Client;

use crate::pgcluster::{Cluster, ClusterOptions};
use crate::repo::check::{self, CheckOptions};
use crate::repo::snapshot::{Column, Part, Scope, Source, TableData, Totals};
use crate::repo::{IndexedRepository, RepoConfig, Repository, Snapshot};

pub const TENANTS: [&str; 3] = ["acme", "globex", "initech"];

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("starting the demo cluster: {0}")]
    Cluster(String),
    #[error("{context}: {message}")]
    Postgres { context: String, message: String },
    #[error(transparent)]
    Repo(#[from] crate::repo::RepoError),
    #[error("{0}")]
    Failed(String),
}

type Result<T> = std::result::Result<T, DemoError>;

fn pg(context: impl Into<String>) -> impl FnOnce(tokio_postgres::Error) -> DemoError {
    let context = context.into();
    move |e| DemoError::Postgres {
        context,
        message: match e.as_db_error() {
            Some(db) => format!("{}: {}", db.severity(), db.message()),
            None => e.to_string(),
        },
    }
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
    let repo = Repository::init(
        repo_path,
        RepoConfig::new(
            Default::default(),
            Default::default(),
            crate::repo::config::DEFAULT_PACK_SIZE,
        )?,
    )?;
    say(format!("created repository at {}", repo_path.display()));

    let source = Source {
        host: cluster.host_socket_dir().display().to_string(),
        port: cluster.port(),
        database: "demo".into(),
        server_version: cluster.server_version().to_string(),
        ..Source::default()
    };
    let mut report = DemoReport::default();
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
            let (id, snap) = backup_tenant(&repo, &client, &source, tenant).await?;
            raw += snap.totals.raw_bytes;
            stored += snap.totals.new_stored_bytes;
            say(format!(
                "backup {round}: tenant {tenant}: snapshot {} — {} tables, {} rows, {} bytes of COPY data, {} new bytes stored",
                id.short(),
                snap.totals.tables,
                snap.totals.rows,
                snap.totals.raw_bytes,
                snap.totals.new_stored_bytes
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
        "second round read {} bytes and stored {} new bytes: {:.1}% of what the first round stored",
        report.second_raw_bytes,
        report.second_stored_bytes,
        100.0 * report.second_stored_bytes as f64 / report.first_stored_bytes.max(1) as f64
    ));

    let started = Instant::now();
    let rep = tokio::task::block_in_place(|| {
        check::check(
            &repo,
            &CheckOptions {
                read_data: true,
                threads: 2,
            },
        )
    })?;
    if !rep.is_ok() {
        return Err(DemoError::Failed(format!(
            "check found problems: {:?}",
            rep.problems
        )));
    }
    say(format!(
        "check --read-data: {} snapshots, {} packs, {} chunks, {} bytes re-hashed in {:.2?}: no errors",
        rep.snapshots, rep.packs, rep.chunks, rep.bytes_read, started.elapsed()
    ));

    let latest = repo.resolve_snapshot("latest", Some("acme"))?;
    let snap = repo.load_snapshot(&latest)?;
    let indexed = repo.load_index()?;
    report.restored_tables_identical = restore_into(
        &indexed,
        &client,
        &snap,
        "tenant_acme",
        "tenant_acme_restored",
    )
    .await?;
    say(format!(
        "restored tenant acme's data from snapshot {} into schema tenant_acme_restored: {} tables identical to the source (row hashes compared in SQL)",
        latest.short(),
        report.restored_tables_identical
    ));
    Ok(report)
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

async fn backup_tenant(
    repo: &Repository,
    client: &Client,
    source: &Source,
    tenant: &str,
) -> Result<(crate::repo::Id, Snapshot)> {
    let schema = format!("tenant_{tenant}");
    let started = chrono::Utc::now();
    let t0 = Instant::now();
    let session = repo.begin_backup(&format!("demo backup of {tenant}"), 2)?;
    // One consistent view of the tenant for all its tables.
    client
        .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .await
        .map_err(pg("starting the backup transaction"))?;
    let tables = client
        .query(
            "SELECT c.relname, array_agg(a.attname::text ORDER BY a.attnum),
                    array_agg(format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum),
                    array_agg(a.atttypid::int8 ORDER BY a.attnum)
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
              WHERE n.nspname = $1 AND c.relkind = 'r'
              GROUP BY c.relname ORDER BY c.relname",
            &[&schema],
        )
        .await
        .map_err(pg(format!("listing tables of {schema}")))?;
    let mut out = Vec::new();
    for row in tables {
        let name: String = row.get(0);
        let names: Vec<String> = row.get(1);
        let types: Vec<String> = row.get(2);
        let oids: Vec<i64> = row.get(3);
        let qualified = format!("{}.{}", ident(&schema), ident(&name));
        let t1 = Instant::now();
        let rows: i64 = client
            .query_one(&format!("SELECT count(*) FROM {qualified}"), &[])
            .await
            .map_err(pg(format!("counting {schema}.{name}")))?
            .get(0);
        let copy = client
            .copy_out(&format!("COPY {qualified} TO STDOUT (FORMAT binary)"))
            .await
            .map_err(pg(format!("COPY {schema}.{name}")))?;
        let sum = session
            .write_stream(&format!("{schema}.{name}"), Box::pin(copy))
            .await?;
        out.push(TableData {
            schema: schema.clone(),
            name,
            columns: names
                .into_iter()
                .zip(types)
                .zip(oids)
                .map(|((name, type_name), oid)| Column {
                    name,
                    type_name,
                    type_oid: oid as u32,
                })
                .collect(),
            rows: rows as u64,
            raw_bytes: sum.raw_bytes,
            new_stored_bytes: sum.new_stored_bytes,
            duration_ms: t1.elapsed().as_millis() as u64,
            parts: vec![Part {
                rows: rows as u64,
                raw_bytes: sum.raw_bytes,
                new_stored_bytes: sum.new_stored_bytes,
                chunks: sum.chunks,
                ..Part::default()
            }],
            ..TableData::default()
        });
    }
    client
        .batch_execute("COMMIT")
        .await
        .map_err(pg("ending the backup transaction"))?;
    let stats = session.stats();
    let snap = Snapshot {
        source: source.clone(),
        scope: Scope {
            kind: "schemas".into(),
            include_schemas: vec![schema.clone()],
            ..Scope::default()
        },
        tenant: Some(tenant.into()),
        totals: Totals {
            tables: out.len() as u64,
            rows: out.iter().map(|t| t.rows).sum(),
            raw_bytes: out.iter().map(|t| t.raw_bytes).sum(),
            chunks: out.iter().map(|t| t.parts[0].chunks.len() as u64).sum(),
            new_chunks: stats.new_chunks,
            new_raw_bytes: stats.new_raw_bytes,
            new_stored_bytes: stats.new_stored_bytes,
            duration_ms: t0.elapsed().as_millis() as u64,
            ..Totals::default()
        },
        tables: out,
        ..Snapshot::stamped(started)
    };
    let id = tokio::task::block_in_place(|| session.commit(&snap))?;
    Ok((id, snap))
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

/// Feed each table's archived COPY stream into a copy of the table under
/// `to`, then compare both sides with an order-independent hash in SQL.
async fn restore_into(
    repo: &IndexedRepository,
    client: &Client,
    snap: &Snapshot,
    from: &str,
    to: &str,
) -> Result<usize> {
    client
        .batch_execute(&format!("CREATE SCHEMA {}", ident(to)))
        .await
        .map_err(pg(format!("creating schema {to}")))?;
    let mut identical = 0;
    for t in &snap.tables {
        let (src, dst) = (
            format!("{}.{}", ident(from), ident(&t.name)),
            format!("{}.{}", ident(to), ident(&t.name)),
        );
        client
            .batch_execute(&format!(
                "CREATE TABLE {dst} (LIKE {src} INCLUDING DEFAULTS)"
            ))
            .await
            .map_err(pg(format!("creating {to}.{}", t.name)))?;
        let sink = client
            .copy_in::<_, Bytes>(&format!("COPY {dst} FROM STDIN (FORMAT binary)"))
            .await
            .map_err(pg(format!("COPY into {to}.{}", t.name)))?;
        let mut sink = Box::pin(sink);
        for (i, part) in t.parts.iter().enumerate() {
            // Chunks are read and verified on a blocking thread, one at a time.
            let (tx, mut rx) = tokio::sync::mpsc::channel::<std::result::Result<Bytes, String>>(4);
            let (reader, chunks, who) = (
                repo.chunk_reader(),
                part.chunks.clone(),
                format!("{}.{} part {i}", t.schema, t.name),
            );
            tokio::task::spawn_blocking(move || {
                for c in &chunks {
                    let item = reader
                        .read_chunk(c, &who)
                        .map(Bytes::from)
                        .map_err(|e| e.to_string());
                    let stop = item.is_err();
                    if tx.blocking_send(item).is_err() || stop {
                        return;
                    }
                }
            });
            while let Some(item) = rx.recv().await {
                let data = item.map_err(DemoError::Failed)?;
                sink.send(data)
                    .await
                    .map_err(pg(format!("COPY into {to}.{}", t.name)))?;
            }
        }
        let n = sink
            .as_mut()
            .finish()
            .await
            .map_err(pg(format!("finishing COPY into {to}.{}", t.name)))?;
        if n != t.rows {
            return Err(DemoError::Failed(format!(
                "{to}.{}: restored {n} rows, snapshot says {}",
                t.name, t.rows
            )));
        }
        let (a, b) = (
            table_hash(client, &src).await?,
            table_hash(client, &dst).await?,
        );
        // The source tenant_acme gained rows after the first snapshot only;
        // the latest snapshot must match the live table exactly.
        if a != b {
            return Err(DemoError::Failed(format!(
                "{to}.{} differs from {from}.{}: {b:?} vs {a:?}",
                t.name, t.name
            )));
        }
        identical += 1;
    }
    Ok(identical)
}
