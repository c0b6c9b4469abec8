//! Backup → restore round trips through real servers.
//!
//! The fixture is the DDL fixture (tests/fixtures/ddl) plus table data of
//! every kind (tests/fixtures/data/mixed.sql). A restore is judged by
//! `pg_dump --schema-only` and the catalog oracle (tests/ddl_support) for
//! the schema, and by an order-independent hash of every table's rows
//! computed in SQL for the data.

mod common;

use common::{client, conn, exec, new_repo, shared};
mod ddl_support;

use std::collections::BTreeMap;
use std::time::Duration;

use ddl_support::*;
use pgkeep::engine::backup::{self, BackupOptions, DumpError};
use pgkeep_testing::pgcluster::{self, Cluster};
use pgkeep::progress::Silent;
use pgkeep::repo::{Id, Repository, Snapshot};
use pgkeep::engine::restore::{self, RestoreError, RestoreOptions};

/// The DDL fixture plus the data fixture.
async fn data_fixture(cluster: &Cluster, prefix: &str) -> String {
    let (db, _) = fixture_database(cluster, prefix).await;
    let c = client(cluster, &db).await;
    let sql = std::fs::read_to_string(fixture_dir().parent().unwrap().join("data/mixed.sql")).unwrap();
    exec(&c, &sql).await;
    db
}

/// Every user table (not partitioned parents, which hold no rows of their
/// own) with its row count and an order-independent hash of its rows.
fn assert_same_data(what: &str, a: &BTreeMap<String, (i64, String)>, b: &BTreeMap<String, (i64, String)>) {
    let mut problems = Vec::new();
    for (t, v) in a {
        match b.get(t) {
            None => problems.push(format!("{t}: missing in the restored database")),
            Some(w) if w != v => problems.push(format!("{t}: {} rows {} vs {} rows {}", v.0, v.1, w.0, w.1)),
            _ => {}
        }
    }
    for t in b.keys().filter(|t| !a.contains_key(*t)) {
        problems.push(format!("{t}: only in the restored database"));
    }
    assert!(problems.is_empty(), "{what}: table data differs:\n{}", problems.join("\n"));
}

async fn backup(repo: &Repository, cluster: &Cluster, db: &str, opts: BackupOptions) -> (Id, Snapshot) {
    backup::backup(repo, &conn(cluster, db), &opts, &Silent).await.unwrap_or_else(|e| panic!("backup of {db}: {e}"))
}

async fn restore_into(repo: &Repository, id: &Id, cluster: &Cluster, db: &str, opts: RestoreOptions) -> Result<restore::RestoreReport, RestoreError> {
    let maintenance = conn(cluster, "postgres");
    restore::restore(repo, id, &conn(cluster, db), Some(&maintenance), &opts, &Silent).await
}

/// The fixture database, backed up with parts and restored with the
/// parallel schedule into a new database: schema identical by pg_dump and
/// the catalog oracle, every table's rows identical.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixture_round_trip_is_identical() {
    let cluster = shared();
    let source = data_fixture(cluster, "br_fix_src").await;
    let dir = common::fast_tempdir();
    let repo = new_repo(dir.path());
    let (id, snap) = backup(&repo, cluster, &source, BackupOptions { jobs: 2, split_bytes: 256 << 10, ..BackupOptions::default() }).await;

    let lines = snap.tables.iter().find(|t| t.schema == "data_mix" && t.name == "lines").expect("lines in the manifest");
    assert!(lines.parts.len() > 1, "data_mix.lines should be split, has {} parts", lines.parts.len());
    let text_only = snap.tables.iter().find(|t| t.name == "text_only").unwrap();
    assert_eq!(text_only.format, pgkeep::repo::snapshot::CopyFormat::Text, "enum arrays and composites go as text");
    assert!(snap.tables.iter().all(|t| t.name != "events" && t.name != "events_2024"), "partitioned parents hold no data");
    assert!(snap.tables.iter().any(|t| t.name == "events_2024_a"), "leaf partitions are copied");
    let kinds = snap.tables.iter().find(|t| t.name == "kinds").unwrap();
    assert_eq!(kinds.rows, 3003);
    assert!(kinds.columns.iter().all(|c| c.name != "twice"), "generated columns are not copied");
    assert_eq!(snap.totals.rows, snap.tables.iter().map(|t| t.rows).sum::<u64>());
    assert!(snap.ddl.iter().any(|e| e.two_step.as_ref().is_some_and(|t| t.method == pgkeep::manifest::snapshot::TwoStepMethod::UniqueIndex)));
    assert!(snap.ddl.iter().any(|e| e.two_step.as_ref().is_some_and(|t| t.method == pgkeep::manifest::snapshot::TwoStepMethod::NotValid)));

    let target = pgcluster::unique_db_name("br_fix_dst");
    apply_roles(&client(cluster, "postgres").await).await;
    // Every constraint that has a two-step form uses it (normally only
    // tables of 16 MiB and more do), so both paths are proven here.
    let report = restore_into(&repo, &id, cluster, &target, RestoreOptions { jobs: 2, create: true, two_step_min_bytes: Some(0), ..RestoreOptions::default() })
        .await
        .unwrap_or_else(|e| panic!("restore: {e}"));
    assert_eq!(report.rows, snap.totals.rows);

    let want = texts(&catalog_of(cluster, &source, OracleOptions::default()).await);
    let got = texts(&catalog_of(cluster, &target, OracleOptions::default()).await);
    assert_same("backup -> restore --create", &source, &want, &target, &got);
    if let Some((pg_dump, _)) = find_pg_dump(cluster) {
        assert_same_pg_dump(&pg_dump, cluster, &source, &target);
    }
    assert_same_data("fixture", &table_hashes(&client(cluster, &source).await, None).await, &table_hashes(&client(cluster, &target).await, None).await);
    // Sequence positions came back.
    let c = client(cluster, &target).await;
    let v: i64 = c.query_one("SELECT last_value FROM data_mix.counter", &[]).await.unwrap().get(0);
    assert_eq!(v, 4242);
    // Foreign keys were validated after their NOT VALID add.
    let invalid: i64 = c.query_one("SELECT count(*) FROM pg_constraint WHERE NOT convalidated AND contype = 'f' AND connamespace = 'data_mix'::regnamespace", &[]).await.unwrap().get(0);
    assert_eq!(invalid, 0);
}

/// A table split into parts restores identical to the same table copied
/// whole; the part boundaries cover every block.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn split_table_restores_like_whole_table() {
    let cluster = shared();
    let source = cluster.fresh_database("br_split_src").await.unwrap();
    let c = client(cluster, &source).await;
    exec(&c, "CREATE TABLE t (id int PRIMARY KEY, v text); \
              INSERT INTO t SELECT g, repeat(md5(g::text), 1 + g % 5) FROM generate_series(1, 40000) g; \
              DELETE FROM t WHERE id % 7 = 0; INSERT INTO t SELECT g, 'late' FROM generate_series(40001, 41000) g;").await;
    let dir = common::fast_tempdir();
    let repo = new_repo(dir.path());
    let (whole, ws) = backup(&repo, cluster, &source, BackupOptions { split_bytes: 0, ..BackupOptions::default() }).await;
    let (split, ss) = backup(&repo, cluster, &source, BackupOptions { split_bytes: 64 << 10, jobs: 3, ..BackupOptions::default() }).await;
    assert_eq!(ws.tables[0].parts.len(), 1);
    let parts = &ss.tables[0].parts;
    assert!(parts.len() >= 4, "expected several parts, got {}", parts.len());
    assert_eq!(parts[0].block_range.unwrap().0, 0);
    assert_eq!(parts.last().unwrap().block_range.unwrap().1, u64::MAX);
    for w in parts.windows(2) {
        assert_eq!(w[0].block_range.unwrap().1, w[1].block_range.unwrap().0, "parts must be contiguous");
    }
    assert_eq!(ss.tables[0].rows, ws.tables[0].rows);
    let a = pgcluster::unique_db_name("br_split_whole");
    let b = pgcluster::unique_db_name("br_split_parts");
    restore_into(&repo, &whole, cluster, &a, RestoreOptions { create: true, jobs: 2, ..Default::default() }).await.unwrap();
    restore_into(&repo, &split, cluster, &b, RestoreOptions { create: true, jobs: 3, ..Default::default() }).await.unwrap();
    let src = table_hashes(&client(cluster, &source).await, None).await;
    assert_same_data("whole", &src, &table_hashes(&client(cluster, &a).await, None).await);
    assert_same_data("parts", &src, &table_hashes(&client(cluster, &b).await, None).await);
}

/// A table this restore creates loads in one transaction that truncates
/// it first and COPYs with FREEZE: every page comes out all-frozen, split
/// parts one after another in that transaction or from several sessions at
/// once, with the same rows either way; a damaged part rolls the whole
/// table back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_tables_load_frozen_and_parts_load_either_way() {
    use pgkeep::engine::restore::PartsPolicy;
    let cluster = shared();
    let source = cluster.fresh_database("br_freeze_src").await.unwrap();
    let c = client(cluster, &source).await;
    exec(&c, "CREATE TABLE big (id int PRIMARY KEY, v text); \
              INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 30000) g; \
              CREATE TABLE small (id int PRIMARY KEY); INSERT INTO small VALUES (1), (2); \
              CREATE TABLE ref (id int PRIMARY KEY, big_id int REFERENCES big); INSERT INTO ref SELECT g, g FROM generate_series(1, 100) g;").await;
    let dir = common::fast_tempdir();
    let repo = new_repo(dir.path());
    let (id, snap) = backup(&repo, cluster, &source, BackupOptions { split_bytes: 256 << 10, jobs: 2, ..BackupOptions::default() }).await;
    let parts = snap.tables.iter().find(|t| t.name == "big").unwrap().parts.len();
    assert!(parts >= 3, "big should be split, has {parts} parts");
    let src = table_hashes(&client(cluster, &source).await, None).await;
    // (frozen pages, all pages) of a table.
    async fn frozen(c: &tokio_postgres::Client, table: &str) -> (i64, i64) {
        exec(c, "CREATE EXTENSION IF NOT EXISTS pg_visibility").await;
        let r = c
            .query_one(
                "SELECT (SELECT all_frozen FROM pg_visibility_map_summary($1::text::regclass)),                         pg_relation_size($1::text::regclass) / current_setting('block_size')::int",
                &[&table],
            )
            .await
            .unwrap();
        (r.get(0), r.get(1))
    }
    for (name, policy, freeze_min) in [
        ("one_txn", PartsPolicy::OneTransaction, Some(0)),
        ("parallel", PartsPolicy::Parallel, Some(0)),
        ("unfrozen", PartsPolicy::OneTransaction, Some(u64::MAX)),
    ] {
        let target = pgcluster::unique_db_name(&format!("br_freeze_{name}"));
        let opts = RestoreOptions { create: true, jobs: 2, parts: policy, freeze_min_bytes: freeze_min, ..Default::default() };
        restore_into(&repo, &id, cluster, &target, opts).await.unwrap();
        let t = client(cluster, &target).await;
        assert_same_data(name, &src, &table_hashes(&t, None).await);
        let (all_frozen, pages) = frozen(&t, "public.big").await;
        assert!(pages > 10, "{name}: {pages} pages");
        match name {
            "one_txn" => {
                assert_eq!(all_frozen, pages, "{name}: every page of a table loaded with FREEZE is all-frozen");
                assert_eq!(frozen(&t, "public.small").await.0, frozen(&t, "public.small").await.1, "{name}: small");
            }
            // Parts loaded by several sessions, or below the threshold: plain loads.
            _ => assert_eq!(all_frozen, 0, "{name}: not loaded with FREEZE"),
        }
        // Constraints built as soon as their tables were in: all valid.
        let invalid: i64 = t.query_one("SELECT count(*) FROM pg_constraint WHERE NOT convalidated", &[]).await.unwrap().get(0);
        assert_eq!(invalid, 0, "{name}");
    }

    // A damaged pack under the one-transaction load: no row of big stays,
    // not even those of the parts before the damage.
    let root = dir.path().join("repo");
    let big = snap.tables.iter().find(|t| t.name == "big").unwrap();
    let last_chunk = *big.parts.last().unwrap().chunks.last().unwrap();
    let (pack, offset) = {
        let index = repo.load_index().unwrap();
        let loc = index.index.get(&last_chunk).unwrap();
        (loc.pack, loc.entry.offset)
    };
    let rel = common::files_in(&root, "data").into_iter().find(|r| r.to_str().unwrap().ends_with(&pack.to_hex())).unwrap();
    let path = root.join(rel);
    let mut bytes = std::fs::read(&path).unwrap();
    let at = offset as usize + 8;
    bytes[at] ^= 0x55;
    std::fs::write(&path, bytes).unwrap();
    let target = pgcluster::unique_db_name("br_freeze_damaged");
    let opts = RestoreOptions { create: true, jobs: 2, parts: PartsPolicy::OneTransaction, freeze_min_bytes: Some(0), ..Default::default() };
    let err = restore_into(&repo, &id, cluster, &target, opts).await.unwrap_err();
    assert!(err.to_string().contains("big"), "{err}");
    let rows: i64 = client(cluster, &target).await.query_one("SELECT count(*) FROM big", &[]).await.unwrap().get(0);
    assert_eq!(rows, 0, "a table loaded in one transaction keeps none of its parts when one is damaged");
}

/// Writers move money between accounts and log every move while the
/// backup runs. Each transaction keeps two invariants: the balances sum to
/// zero, and each account's balance equals the sum of its ledger lines.
/// The two tables are copied by different sessions at different moments;
/// only one snapshot for both keeps the invariants in the restored copy,
/// and the copy must equal the source as of some committed state.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_is_consistent_under_concurrent_writes() {
    let cluster = shared();
    let source = cluster.fresh_database("br_ledger").await.unwrap();
    let c = client(cluster, &source).await;
    exec(&c, "CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL); \
              CREATE TABLE ledger (id bigserial PRIMARY KEY, account int NOT NULL, delta bigint NOT NULL, pad text); \
              INSERT INTO accounts SELECT g, 0 FROM generate_series(1, 200) g; \
              INSERT INTO ledger (account, delta, pad) SELECT 1 + g % 200, 0, repeat('p', 200) FROM generate_series(1, 100000) g;").await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..2u32 {
        let stop = stop.clone();
        let w_client = client(cluster, &source).await;
        writers.push(tokio::spawn(async move {
            let mut n = 0u64;
            let mut k = w;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                k = k.wrapping_mul(1103515245).wrapping_add(12345);
                let (a, b, amount) = (1 + (k % 200) as i32, 1 + ((k / 200) % 200) as i32, (k % 1000) as i64 + 1);
                let sql = format!(
                    "BEGIN; UPDATE accounts SET balance = balance - {amount} WHERE id = {a}; \
                     UPDATE accounts SET balance = balance + {amount} WHERE id = {b}; \
                     INSERT INTO ledger (account, delta, pad) VALUES ({a}, -{amount}, 'x'), ({b}, {amount}, 'y'); COMMIT;"
                );
                if w_client.batch_execute(&sql).await.is_ok() {
                    n += 1;
                } else {
                    let _ = w_client.batch_execute("ROLLBACK").await;
                }
            }
            n
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let dir = common::fast_tempdir();
    let repo = new_repo(dir.path());
    let (id, _) = backup(&repo, cluster, &source, BackupOptions { jobs: 2, split_bytes: 512 << 10, ..BackupOptions::default() }).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut moves = 0;
    for w in writers {
        moves += w.await.unwrap();
    }
    assert!(moves > 10, "the writers should have committed transfers during the test ({moves})");
    let target = pgcluster::unique_db_name("br_ledger_dst");
    restore_into(&repo, &id, cluster, &target, RestoreOptions { create: true, jobs: 2, ..Default::default() }).await.unwrap();
    let t = client(cluster, &target).await;
    let sum: i64 = t.query_one("SELECT sum(balance)::int8 FROM accounts", &[]).await.unwrap().get(0);
    assert_eq!(sum, 0, "balances must sum to zero in the restored copy");
    let off: i64 = t
        .query_one(
            "SELECT count(*) FROM accounts a LEFT JOIN (SELECT account, sum(delta) AS s FROM ledger GROUP BY account) l \
             ON l.account = a.id WHERE a.balance <> coalesce(l.s, 0)",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(off, 0, "every balance must equal its ledger in the restored copy");
    let lines: i64 = t.query_one("SELECT count(*) FROM ledger", &[]).await.unwrap().get(0);
    assert!(lines > 100_000, "the copy should include transfers made before the backup started");
}

/// A tenant's schema restored under a new name in the same database while
/// the original is live; the two then differ only by name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_tenant_restore_next_to_the_source() {
    let cluster = shared();
    let source = data_fixture(cluster, "br_tenant").await;
    let dir = common::fast_tempdir();
    let repo = new_repo(dir.path());
    let scope = pgkeep::catalog::ScopeSpec { include_schemas: vec!["tenant_a".into()], ..Default::default() };
    let (id, snap) = backup(&repo, cluster, &source, BackupOptions { scope, tenant: Some("a".into()), ..Default::default() }).await;
    assert_eq!(snap.relative_schema.as_deref(), Some("tenant_a"));
    assert_eq!(snap.tenant.as_deref(), Some("a"));
    // latest within the tenant resolves to it.
    assert_eq!(repo.resolve_snapshot("latest", Some("a")).unwrap(), id);
    let before = catalog_of(cluster, &source, OracleOptions::default()).await;

    // Restoring over the live schema without --clean is refused.
    let err = restore_into(&repo, &id, cluster, &source, RestoreOptions::default()).await.unwrap_err();
    assert!(matches!(err, RestoreError::NotEmpty(_)), "{err}");
    assert!(err.to_string().contains("tenant_a"), "{err}");

    restore_into(&repo, &id, cluster, &source, RestoreOptions { target_schema: Some("tenant_z".into()), jobs: 2, ..Default::default() })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let after = catalog_of(cluster, &source, OracleOptions::default()).await;
    let want: Vec<String> = schema_lines(&after, "tenant_a").iter().map(|l| rename_word(l, "tenant_a", "tenant_z")).collect();
    let got = schema_lines(&after, "tenant_z");
    assert_same("tenant_a restored as tenant_z", &source, &want, &source, &got);
    let unchanged: Vec<String> = texts(&before);
    let others: Vec<String> = texts(&after).into_iter().filter(|l| !l.contains("tenant_z")).collect();
    assert_same("everything but tenant_z is unchanged", &source, &unchanged, &source, &others);
    let a = table_hashes(&client(cluster, &source).await, Some("tenant_a")).await;
    let z = table_hashes(&client(cluster, &source).await, Some("tenant_z")).await;
    let renamed: BTreeMap<String, (i64, String)> = a.into_iter().map(|(k, v)| (k.replacen("tenant_a.", "tenant_z.", 1), v)).collect();
    assert_same_data("tenant_z vs tenant_a", &renamed, &z);

    // --clean drops and recreates just that schema's objects.
    restore_into(&repo, &id, cluster, &source, RestoreOptions { target_schema: Some("tenant_z".into()), clean: true, ..Default::default() })
        .await
        .unwrap_or_else(|e| panic!("--clean: {e}"));
    assert_same_data("after --clean", &renamed, &table_hashes(&client(cluster, &source).await, Some("tenant_z")).await);
}

/// A single-transaction restore that fails late (an index name is taken)
/// leaves the target exactly as it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_transaction_failure_changes_nothing() {
    let cluster = shared();
    let source = cluster.fresh_database("br_1tx_src").await.unwrap();
    let c = client(cluster, &source).await;
    exec(&c, "CREATE TABLE t (id int PRIMARY KEY, v text); CREATE INDEX t_v ON t (v); \
              INSERT INTO t SELECT g, g::text FROM generate_series(1, 1000) g;").await;
    let dir = common::fast_tempdir();
    let repo = new_repo(dir.path());
    let (id, _) = backup(&repo, cluster, &source, BackupOptions::default()).await;
    let target = cluster.fresh_database("br_1tx_dst").await.unwrap();
    let tc = client(cluster, &target).await;
    exec(&tc, "CREATE TABLE t_v (x int); INSERT INTO t_v VALUES (1);").await;
    let before = table_hashes(&client(cluster, &target).await, None).await;
    let err = restore_into(&repo, &id, cluster, &target, RestoreOptions { single_transaction: true, ..Default::default() })
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("INDEX public.t_v") && msg.contains("already exists"), "{msg}");
    assert_eq!(before, table_hashes(&client(cluster, &target).await, None).await, "the target must be unchanged");
    let n: i64 = tc.query_one("SELECT count(*) FROM pg_class WHERE relname = 't'", &[]).await.unwrap().get(0);
    assert_eq!(n, 0, "table t must not exist after the rolled-back restore");

    // Without a single transaction, --keep-going collects the error and
    // restores the rest.
    let target2 = cluster.fresh_database("br_keep_going").await.unwrap();
    exec(&client(cluster, &target2).await, "CREATE TABLE t_v (x int);").await;
    let err = restore_into(&repo, &id, cluster, &target2, RestoreOptions { keep_going: true, ..Default::default() }).await.unwrap_err();
    match err {
        RestoreError::Failed { count, .. } => assert_eq!(count, 1),
        other => panic!("expected a counted failure, got {other}"),
    }
    let rows: i64 = client(cluster, &target2).await.query_one("SELECT count(*) FROM t", &[]).await.unwrap().get(0);
    assert_eq!(rows, 1000);
}

/// Lock paths: a table someone holds exclusively makes the backup fail
/// after the lock timeout, naming the table; an exclusive request queued
/// after the leader's lock stops a worker's NOWAIT lock. The repository
/// stays valid in both cases.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_conflicts_fail_clearly() {
    let cluster = shared();
    let source = cluster.fresh_database("br_locks").await.unwrap();
    let c = client(cluster, &source).await;
    exec(&c, "CREATE TABLE busy (id int); CREATE TABLE calm (id int); INSERT INTO busy VALUES (1); INSERT INTO calm VALUES (1);").await;
    let dir = common::fast_tempdir();
    let repo = new_repo(dir.path());

    let holder = client(cluster, &source).await;
    exec(&holder, "BEGIN; LOCK TABLE busy IN ACCESS EXCLUSIVE MODE;").await;
    let err = backup::backup(&repo, &conn(cluster, &source), &BackupOptions { lock_wait_timeout: Duration::from_millis(300), ..Default::default() }, &Silent)
        .await
        .unwrap_err();
    assert!(matches!(err, DumpError::LockTimeout { .. }), "{err}");
    assert!(err.to_string().contains("public.busy"), "{err}");
    exec(&holder, "ROLLBACK").await;

    // The leader locks, then pauses; a DROP queues behind it; the worker's
    // NOWAIT lock must fail instead of waiting behind the DROP.
    let opts = BackupOptions { pause_after_locks: Some(Duration::from_millis(1500)), jobs: 1, ..Default::default() };
    let conn_ = conn(cluster, &source);
    let run = tokio::spawn({
        let repo = repo.clone();
        async move { backup::backup(&repo, &conn_, &opts, &Silent).await }
    });
    tokio::time::sleep(Duration::from_millis(700)).await;
    let dropper = client(cluster, &source).await;
    let drop_task = tokio::spawn(async move { dropper.batch_execute("DROP TABLE busy").await });
    let err = run.await.unwrap().unwrap_err();
    assert!(matches!(err, DumpError::LockConflict { .. }), "{err}");
    assert!(err.to_string().contains("busy"), "{err}");
    drop_task.await.unwrap().expect("the DROP goes through once the backup gave up");

    let report = pgkeep::repo::check::check(&repo, &pgkeep::repo::check::CheckOptions { read_data: true, threads: 2 }).unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    assert!(repo.snapshots().unwrap().is_empty(), "a failed backup writes no snapshot");
    backup(&repo, cluster, &source, BackupOptions::default()).await;
}

/// Bad input through the command line: each a clear error, exit code 1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_clear_errors() {
    let cluster = shared();
    let source = cluster.fresh_database("br_bad").await.unwrap();
    let c = client(cluster, &source).await;
    exec(&c, "CREATE TABLE open_t (id int); CREATE TABLE closed_t (id int); INSERT INTO closed_t VALUES (1); \
              DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'br_limited') THEN CREATE ROLE br_limited LOGIN; END IF; END $$; \
              GRANT SELECT ON open_t TO br_limited; REVOKE ALL ON closed_t FROM br_limited;").await;
    let dir = common::fast_tempdir();
    let repo_dir = dir.path().join("repo");
    let repo = repo_dir.to_str().unwrap();
    common::pgkeep_ok(&["init", "--repo", repo]);

    // Nothing listens on this port.
    let err = common::pgkeep_fails(&["backup", "--repo", repo, "-d", &format!("host={} port=1 dbname=x", cluster.host_socket_dir().display())]);
    assert!(err.contains("connect") || err.contains("No such file"), "{err}");

    // A role that does not exist, a password that is wrong.
    let err = common::pgkeep_fails(&["backup", "--repo", repo, "-d", &format!("{} user=nobody_here", cluster.conninfo(&source))]);
    assert!(err.contains("nobody_here"), "{err}");

    // Permission denied on one table names it.
    let err = common::pgkeep_fails(&["backup", "--repo", repo, "-d", &format!("{} user=br_limited", cluster.conninfo(&source))]);
    assert!(err.contains("closed_t") && err.contains("permission denied"), "{err}");

    // Missing snapshot.
    let err = common::pgkeep_fails(&["restore", "deadbeef", "--repo", repo, "-d", &cluster.conninfo(&source)]);
    assert!(err.contains("deadbeef"), "{err}");
    let err = common::pgkeep_fails(&["restore", "latest", "--repo", repo, "-d", &cluster.conninfo(&source)]);
    assert!(err.contains("latest"), "{err}");

    // --target-schema on a database-wide snapshot.
    let id = common::pgkeep_ok(&["backup", "--repo", repo, "-d", &cluster.conninfo(&source)]);
    let err = common::pgkeep_fails(&["restore", id.trim(), "--repo", repo, "-d", &cluster.conninfo(&source), "--target-schema", "x"]);
    assert!(err.contains("one schema"), "{err}");
    // Restoring over existing tables without --clean is refused.
    let err = common::pgkeep_fails(&["restore", id.trim(), "--repo", repo, "-d", &cluster.conninfo(&source)]);
    assert!(err.contains("already has") && err.contains("--clean"), "{err}");
    // --list works without a server.
    let toc = common::pgkeep_ok(&["restore", &id.trim()[..8], "--repo", repo, "--list"]);
    assert!(toc.contains("TABLE DATA public closed_t"), "{toc}");

}

/// The repository's disk fills up mid-backup: the error says so and the
/// repository stays valid, and the next backup (with room) succeeds. A
/// real 3 MiB tmpfs when this process may mount one (root); otherwise a
/// file-size limit stands in (SIGXFSZ ignored, so writes fail with EFBIG).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_disk_is_reported_and_the_repository_stays_valid() {
    let cluster = shared();
    let source = cluster.fresh_database("br_full").await.unwrap();
    exec(&client(cluster, &source).await,
        "CREATE TABLE small AS SELECT 1 AS x;          CREATE TABLE bulk AS SELECT g, md5(g::text) || md5((g*7)::text) AS v FROM generate_series(1, 300000) g").await;
    let dir = common::fast_tempdir();
    let mount = dir.path().join("small-disk");
    std::fs::create_dir(&mount).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=3m", "tmpfs"])
        .arg(&mount)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    struct Unmount(Option<std::path::PathBuf>);
    impl Drop for Unmount {
        fn drop(&mut self) {
            if let Some(m) = &self.0 {
                let _ = std::process::Command::new("umount").arg(m).status();
            }
        }
    }
    let _guard = Unmount(mounted.then(|| mount.clone()));
    let repo_dir = mount.join("repo");
    let repo = repo_dir.to_str().unwrap();
    common::pgkeep_ok(&["init", "--repo", repo]);
    let conninfo = cluster.conninfo(&source);
    let out = if mounted {
        eprintln!("repository on a 3 MiB tmpfs");
        common::pgkeep(&["backup", "--repo", repo, "-d", &conninfo])
    } else {
        eprintln!("cannot mount a tmpfs here: a file-size limit stands in for a full disk");
        std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("trap '' XFSZ; ulimit -f 512; exec \"$0\" backup --repo {repo} -d '{conninfo}'"))
            .arg(common::bin())
            .output()
            .unwrap()
    };
    let err = common::stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains("No space left on device") || err.contains("File too large"), "{err}");
    let check = common::pgkeep_ok(&["check", "--repo", repo, "--read-data"]);
    assert!(check.contains("no errors"), "{check}");
    // With room again (the large table left out), the next backup works.
    let id = common::pgkeep_ok(&["backup", "--repo", repo, "-d", &conninfo, "--exclude-table-data", "bulk"]);
    assert_eq!(id.trim().len(), 64, "{id}");
}

/// A damaged pack is reported with the table it belongs to, and the
/// table's rows are not committed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damaged_data_is_reported_not_restored() {
    let cluster = shared();
    let source = cluster.fresh_database("br_damage").await.unwrap();
    exec(&client(cluster, &source).await, "CREATE TABLE victim AS SELECT g, md5(g::text) v FROM generate_series(1, 50000) g").await;
    let dir = common::fast_tempdir();
    let repo = new_repo(dir.path());
    let (id, _) = backup(&repo, cluster, &source, BackupOptions::default()).await;
    let root = dir.path().join("repo");
    for rel in common::files_in(&root, "data") {
        let pack = root.join(rel);
        let mut bytes = std::fs::read(&pack).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x55;
        std::fs::write(&pack, bytes).unwrap();
    }
    let target = pgcluster::unique_db_name("br_damage_dst");
    let err = restore_into(&repo, &id, cluster, &target, RestoreOptions { create: true, ..Default::default() }).await.unwrap_err();
    assert!(err.to_string().contains("victim"), "{err}");
    let rows: i64 = client(cluster, &target).await.query_one("SELECT count(*) FROM victim", &[]).await.unwrap().get(0);
    assert_eq!(rows, 0, "a damaged stream's rows must not be committed");
}

/// `--exclude-table-data`, `--schema-only` and `--data-only` shape the
/// snapshot; a schema-only restore followed by a data-only restore rebuilds
/// the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_only_then_data_only_rebuilds_the_database() {
    let cluster = shared();
    let source = cluster.fresh_database("br_filters").await.unwrap();
    exec(&client(cluster, &source).await,
        "CREATE TABLE keep (id serial PRIMARY KEY, v text); CREATE TABLE audit (id int, note text); \
         INSERT INTO keep (v) SELECT g::text FROM generate_series(1, 500) g; INSERT INTO audit VALUES (1, 'x');").await;
    let dir = common::fast_tempdir();
    let repo = new_repo(dir.path());
    let (_, excl) = backup(&repo, cluster, &source, BackupOptions { exclude_table_data: vec!["audit".into()], ..Default::default() }).await;
    assert!(excl.tables.iter().all(|t| t.name != "audit"), "audit's data is excluded");
    assert!(excl.ddl.iter().any(|e| e.kind.as_str() == "TABLE" && e.name == "audit"), "audit's definition is kept");
    let (schema_id, schema) = backup(&repo, cluster, &source, BackupOptions { schema_only: true, ..Default::default() }).await;
    assert!(schema.tables.is_empty());
    let (data_id, data) = backup(&repo, cluster, &source, BackupOptions { data_only: true, ..Default::default() }).await;
    assert!(data.ddl.iter().all(|e| e.kind.as_str() == "SEQUENCE SET"), "a data-only snapshot keeps only sequence values");
    assert_eq!(data.totals.rows, 501);

    let target = pgcluster::unique_db_name("br_filters_dst");
    restore_into(&repo, &schema_id, cluster, &target, RestoreOptions { create: true, ..Default::default() }).await.unwrap();
    restore_into(&repo, &data_id, cluster, &target, RestoreOptions { data_only: true, ..Default::default() }).await.unwrap();
    assert_same_data("schema-only + data-only", &table_hashes(&client(cluster, &source).await, None).await, &table_hashes(&client(cluster, &target).await, None).await);
    let next: i32 = client(cluster, &target).await.query_one("SELECT nextval('keep_id_seq')::int", &[]).await.unwrap().get(0);
    assert_eq!(next, 501, "the sequence continues where the source stood");
}
