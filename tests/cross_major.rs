//! Backups restored on another PostgreSQL major, in both directions.
//!
//! The fixture database (the DDL fixture, tests/fixtures/ddl, plus the data
//! fixture, tests/fixtures/data/mixed.sql) is backed up on one major and
//! restored into a new database on another; every table's rows must be
//! identical by an order-independent hash computed in SQL on each server.
//! Into a newer major the restore must be complete and quiet. Into an
//! older one, what that server cannot create is left out with warnings
//! naming each object (the fixture's objects of newer majors must be among
//! them), `pg_database_owner` maps to the database's owner, and every
//! table that is not named in a warning has its rows.
//!
//! Pairs: 13 -> 15, 15 -> 13, 15 -> 17, 15 -> 18, 17 -> 15, each run when
//! both majors are available: the shared cluster's (PostgreSQL 15 in CI)
//! and those in `PGKEEP_PG_EXTRA_BINDIRS` (17 in CI, so CI runs 15 -> 17
//! and 17 -> 15; `bash tests/pg-matrix.sh` runs them all).

mod ddl_support;

use std::collections::BTreeMap;

use ddl_support::*;
use pgkeep::pg::conn::{process_env, ConnSpec, ResolvedConn};
use pgkeep::engine::backup::{self, BackupOptions};
use pgkeep_testing::pgcluster::{self, Cluster, ClusterOptions};
use pgkeep::progress::Silent;
use pgkeep::repo::{Id, RepoConfig, Repository, Snapshot};
use pgkeep::engine::restore::{self, RestoreOptions, RestoreReport};
use tokio_postgres::Client;

/// (source major, target major), in the order they run.
const PAIRS: &[(u32, u32)] = &[(13, 15), (15, 13), (15, 17), (15, 18), (17, 15)];

fn conn(cluster: &Cluster, db: &str) -> ResolvedConn {
    ConnSpec::parse(&cluster.conninfo(db))
        .unwrap_or_else(|e| panic!("{e}"))
        .resolve(&process_env)
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn client(cluster: &Cluster, db: &str) -> Client {
    cluster.connect(db).await.unwrap_or_else(|e| panic!("{e}"))
}

/// The optional fixture files (as `apply_fixture` chooses them) this
/// server can take: extensions, ICU collations, lz4 are build options.
async fn optional_files(cluster: &Cluster) -> Vec<&'static str> {
    let c = client(cluster, "postgres").await;
    let row = c
        .query_one(
            "SELECT (SELECT pg_catalog.count(*) FROM pg_catalog.pg_available_extensions
                      WHERE name IN ('btree_gist', 'pg_trgm', 'citext', 'hstore')) = 4,
                    EXISTS (SELECT 1 FROM pg_catalog.pg_collation WHERE collprovider = 'i'),
                    EXISTS (SELECT 1 FROM pg_catalog.pg_settings
                             WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals))",
            &[],
        )
        .await
        .unwrap_or_else(|e| panic!("{}", pg_error(&e)));
    [(0, "extensions.sql"), (1, "icu.sql"), (2, "lz4.sql")].into_iter().filter(|(i, _)| row.get::<_, bool>(*i)).map(|(_, f)| f).collect()
}

/// The DDL fixture for the source's major (with only the optional files
/// every target can take too: a server built without lz4 is not an older
/// major), plus the data fixture.
async fn data_fixture(cluster: &Cluster, optional: &[&str]) -> String {
    let db = cluster.fresh_database("xm_src").await.unwrap_or_else(|e| panic!("{e}"));
    let c = client(cluster, &db).await;
    apply_roles(&c).await;
    let mut files = vec!["base.sql".to_string()];
    files.extend((14..=cluster.server_major()).map(|m| format!("pg{m}.sql")));
    files.extend(optional.iter().map(|f| f.to_string()));
    files.push("../data/mixed.sql".into());
    eprintln!("PostgreSQL {}: fixture files {}", cluster.server_version(), files.join(" "));
    for f in &files {
        let path = fixture_dir().join(f);
        let sql = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        c.batch_execute(&sql).await.unwrap_or_else(|e| panic!("applying {}: {}", path.display(), pg_error(&e)));
    }
    db
}

/// Whether a warning names the table `schema.name` (as the restore names
/// it: quoted where needed).
fn names_table(warnings: &[String], key: &str) -> bool {
    let (s, t) = key.split_once('.').unwrap_or(("", key));
    let quoted = |x: &str| {
        if x.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
            x.to_string()
        } else {
            format!("\"{}\"", x.replace('"', "\"\""))
        }
    };
    let name = format!("{}.{}", quoted(s), quoted(t));
    warnings.iter().any(|w| w.contains(&name))
}

/// Objects of the fixture's newer-major files that an older target cannot
/// create: each must be named in a warning.
fn expected_left_out(source: u32, target: u32) -> Vec<&'static str> {
    let mut v = Vec::new();
    if source >= 14 && target < 14 {
        // pg14.sql: SQL-standard bodies, a named multirange, statistics on
        // expressions.
        v.extend(["shared.std_add", "shared.std_log", "shared.int_span", "shared.currencies_expr"]);
    }
    if source >= 15 && target < 15 {
        // pg15.sql: NULLS NOT DISTINCT, security_invoker, ON DELETE SET
        // NULL (column), publication row filters and column lists.
        v.extend(["select_user_nnd", "currencies_symbol_nnd", "shared.invoker_view", "fk15"]);
    }
    if source >= 16 && target < 16 {
        // pg16.sql: SQL/JSON constructors in views.
        v.extend(["shared.json16", "shared.json16_agg"]);
    }
    if source >= 17 && target < 17 {
        // pg17.sql: the MAINTAIN privilege, JSON_TABLE.
        v.extend(["GRANT MAINTAIN ON TABLE shared.currencies", "shared.jt17"]);
    }
    v
}

struct Server {
    major: u32,
    cluster: Option<Cluster>,
}

impl Server {
    fn cluster(&self) -> &Cluster {
        match &self.cluster {
            Some(c) => c,
            None => pgcluster::shared().unwrap_or_else(|e| panic!("{e}")),
        }
    }
}

async fn restore_pair(repo: &Repository, repo_path: &std::path::Path, id: &Id, snap: &Snapshot, source: &Server, source_db: &str, target: &Server) {
    let (from, to) = (source.major, target.major);
    let dst = target.cluster();
    let db = pgcluster::unique_db_name("xm_dst");
    apply_roles(&client(dst, "postgres").await).await;
    let maintenance = conn(dst, "postgres");
    let report: RestoreReport = restore::restore(
        repo,
        id,
        &conn(dst, &db),
        Some(&maintenance),
        &RestoreOptions { jobs: 2, create: true, ..RestoreOptions::default() },
        &Silent,
    )
    .await
    .unwrap_or_else(|e| panic!("restore of a PostgreSQL {from} backup into PostgreSQL {to}: {e}"));
    eprintln!(
        "{from} -> {to}: {} tables, {} rows restored (snapshot: {} tables, {} rows), {} warnings",
        report.tables,
        report.rows,
        snap.totals.tables,
        snap.totals.rows,
        report.warnings.len()
    );
    for w in &report.warnings {
        eprintln!("  warning: {w}");
    }

    let want = table_hashes(&client(source.cluster(), source_db).await, None).await;
    assert_data(from, to, &want, &table_hashes(&client(dst, &db).await, None).await, &report.warnings);

    if from <= to {
        assert!(report.warnings.is_empty(), "{from} -> {to}: a restore into a newer major warns:\n{}", report.warnings.join("\n"));
        assert_eq!(report.rows, snap.totals.rows, "{from} -> {to}: every row is restored");
        return;
    }
    check_downgrade(from, to, dst, &db, &report.warnings).await;

    // The same through the command line, all in one transaction: each
    // refused statement rolls back to its savepoint and the transaction
    // goes on; the warnings are printed and in the JSON report.
    let db1 = pgcluster::unique_db_name("xm_dst1");
    let repo_path = repo_path.to_string_lossy().into_owned();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pgkeep"))
        .args(["restore", &id.to_hex(), "--repo", &repo_path, "-d", &dst.conninfo(&db1), "--create", "--single-transaction", "--json"])
        .output()
        .unwrap_or_else(|e| panic!("running pgkeep: {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{from} -> {to}: pgkeep restore --single-transaction failed:\n{stderr}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    let mut cli: Vec<String> = json["warnings"].as_array().map(|a| a.iter().filter_map(|w| w.as_str().map(str::to_string)).collect()).unwrap_or_default();
    let printed = stderr.lines().filter(|l| l.starts_with("warning: ")).count();
    assert_eq!(printed, cli.len(), "{from} -> {to}: every warning is printed:\n{stderr}");
    let mut lib = report.warnings.clone();
    cli.sort();
    lib.sort();
    assert_eq!(cli, lib, "{from} -> {to}: one transaction or many, the same objects are left out");
    assert_data(from, to, &want, &table_hashes(&client(dst, &db1).await, None).await, &cli);
    check_downgrade(from, to, dst, &db1, &cli).await;
    eprintln!("{from} -> {to}: the same through `pgkeep restore --single-transaction --json`: {} warnings, data identical", cli.len());
}

/// Every table of the source has the same rows on the target, or (into
/// an older major) is named in a warning.
fn assert_data(from: u32, to: u32, want: &BTreeMap<String, (i64, String)>, got: &BTreeMap<String, (i64, String)>, warnings: &[String]) {
    let mut problems = Vec::new();
    let mut compared = (0usize, 0i64);
    for (t, v) in want {
        match got.get(t) {
            Some(w) if w == v => {
                compared.0 += 1;
                compared.1 += v.0;
            }
            Some(w) => problems.push(format!("{t}: {} rows {} on {from}, {} rows {} on {to}", v.0, v.1, w.0, w.1)),
            None if from > to && names_table(warnings, t) => {}
            None => problems.push(format!("{t}: missing on PostgreSQL {to} and named in no warning")),
        }
    }
    for t in got.keys().filter(|t| !want.contains_key(*t)) {
        problems.push(format!("{t}: only on PostgreSQL {to}"));
    }
    assert!(problems.is_empty(), "{from} -> {to}: table data differs:\n{}", problems.join("\n"));
    eprintln!("{from} -> {to}: {} tables identical by row hashes ({} rows)", compared.0, compared.1);
}

/// A restore into an older major: the warnings name the fixture's newer
/// objects, and only refusals of the target or left-out dependencies;
/// `pg_database_owner` mapped; the public schema's privileges as on 15.
async fn check_downgrade(from: u32, to: u32, dst: &Cluster, db: &str, warnings: &[String]) {
    let missing: Vec<&str> = expected_left_out(from, to)
        .into_iter()
        .filter(|o| !warnings.iter().any(|w| w.contains(o)))
        .collect();
    assert!(missing.is_empty(), "{from} -> {to}: no warning names {missing:?}; warnings:\n{}", warnings.join("\n"));
    for w in warnings {
        assert!(
            w.contains(&format!("PostgreSQL {to} ")) || w.contains("which was left out") || w.contains("its table was left out"),
            "{from} -> {to}: a warning that names neither the target's refusal nor a left-out dependency: {w}"
        );
        assert!(!w.contains("pg_database_owner"), "{from} -> {to}: pg_database_owner maps exactly, yet: {w}");
    }
    if from >= 15 && to < 15 {
        // The public schema as on the source: owned by the database's
        // owner (pg_database_owner on 14+), no CREATE for PUBLIC.
        let c = client(dst, db).await;
        let row = c
            .query_one(
                "SELECT n.nspowner = d.datdba, NOT EXISTS (SELECT 1 FROM pg_catalog.aclexplode(n.nspacl) a WHERE a.grantee = 0 AND a.privilege_type = 'CREATE') \
                 FROM pg_catalog.pg_namespace n, pg_catalog.pg_database d WHERE n.nspname = 'public' AND d.datname = pg_catalog.current_database()",
                &[],
            )
            .await
            .unwrap_or_else(|e| panic!("{}", pg_error(&e)));
        assert!(row.get::<_, bool>(0), "{from} -> {to}: schema public is not owned by the database's owner");
        assert!(row.get::<_, bool>(1), "{from} -> {to}: PUBLIC may create in schema public, as on PostgreSQL {to}'s default but not {from}'s");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_across_majors() {
    let Some(dirs) = std::env::var_os("PGKEEP_PG_EXTRA_BINDIRS").filter(|v| !v.is_empty()) else {
        eprintln!("across majors: PGKEEP_PG_EXTRA_BINDIRS is not set; no second major, no pair ran");
        return;
    };
    let primary = pgcluster::shared().unwrap_or_else(|e| panic!("{e}"));
    let mut servers = vec![Server { major: primary.server_major(), cluster: None }];
    for dir in std::env::split_paths(&dirs) {
        let c = Cluster::start(ClusterOptions::default().bindir(&dir))
            .unwrap_or_else(|e| panic!("start a cluster from {}: {e}", dir.display()));
        if servers.iter().any(|s| s.major == c.server_major()) {
            continue;
        }
        servers.push(Server { major: c.server_major(), cluster: Some(c) });
    }
    let majors: Vec<u32> = servers.iter().map(|s| s.major).collect();
    let pairs: Vec<(u32, u32)> = PAIRS.iter().copied().filter(|(a, b)| majors.contains(a) && majors.contains(b)).collect();
    if pairs.is_empty() {
        eprintln!("across majors: PostgreSQL {majors:?} make none of the pairs {PAIRS:?}");
        return;
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let repo = Repository::init(
        &dir.path().join("repo"),
        RepoConfig::new(Default::default(), Default::default(), 1 << 20).unwrap_or_else(|e| panic!("{e}")),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    // One backup per source major, restored into each of its targets.
    let mut backups: BTreeMap<u32, (String, Id, Snapshot)> = BTreeMap::new();
    for &(from, to) in &pairs {
        let source = servers.iter().find(|s| s.major == from).expect("source server");
        let target = servers.iter().find(|s| s.major == to).expect("target server");
        if let std::collections::btree_map::Entry::Vacant(slot) = backups.entry(from) {
            let mut optional = optional_files(source.cluster()).await;
            for (_, to) in pairs.iter().filter(|(a, _)| *a == from) {
                let t = optional_files(servers.iter().find(|s| s.major == *to).expect("target server").cluster()).await;
                optional.retain(|f| t.contains(f));
            }
            let db = data_fixture(source.cluster(), &optional).await;
            let (id, snap) = backup::backup(&repo, &conn(source.cluster(), &db), &BackupOptions { jobs: 2, ..BackupOptions::default() }, &Silent)
                .await
                .unwrap_or_else(|e| panic!("backup on PostgreSQL {from}: {e}"));
            assert_eq!(pgkeep::engine::restore::cross_major::major_of(snap.source.server_version_num), from);
            slot.insert((db, id, snap));
        }
        let (db, id, snap) = &backups[&from];
        restore_pair(&repo, &dir.path().join("repo"), id, snap, source, db, target).await;
    }
    eprintln!("across majors: {}", pairs.iter().map(|(a, b)| format!("{a} -> {b}")).collect::<Vec<_>>().join(", "));
}
