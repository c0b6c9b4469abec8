//! Restores that a hostile tenant cannot turn against the server, and that
//! cannot lose a tenant (issue 13): every reproduction of the issue is a
//! test here, against a real server.
//!
//! Roles are cluster-wide and the cluster is shared by the tests of this
//! binary, so every test names its roles after its own database.

mod common;

use common::{client, conn, exec, new_repo, shared};

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use pgkeep::catalog::ScopeSpec;
use pgkeep::engine::backup::{self, BackupOptions};
use pgkeep_testing::pgcluster::{self, Cluster};
use pgkeep::progress::Silent;
use pgkeep::repo::{Id, Repository, Snapshot};
use pgkeep::engine::restore::{self, RestoreError, RestoreOptions};
use tokio_postgres::Client;

fn pg_error(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(d) => format!("{}: {}", d.code().code(), d.message()),
        None => e.to_string(),
    }
}

async fn backup_schema(repo: &Repository, cluster: &Cluster, db: &str, schema: &str) -> (Id, Snapshot) {
    let scope = ScopeSpec { include_schemas: vec![schema.into()], ..Default::default() };
    backup::backup(repo, &conn(cluster, db), &BackupOptions { scope, tenant: Some(schema.into()), ..Default::default() }, &Silent)
        .await
        .unwrap_or_else(|e| panic!("backup of {db}.{schema}: {e}"))
}

async fn restore_into(repo: &Repository, id: &Id, cluster: &Cluster, db: &str, opts: RestoreOptions) -> Result<restore::RestoreReport, RestoreError> {
    restore::restore(repo, id, &conn(cluster, db), Some(&conn(cluster, "postgres")), &opts, &Silent).await
}

/// Owner, ACL and comment of every relation, function and type in
/// `pg_catalog`, one line each.
async fn system_objects(c: &Client) -> Vec<String> {
    let rows = c
        .query(
            "SELECT 'class ' || c.oid::regclass::text || ' ' || c.relowner::regrole::text || ' ' || coalesce(c.relacl::text, '-') \
                    || ' ' || coalesce(pg_catalog.obj_description(c.oid, 'pg_class'), '-') \
               FROM pg_catalog.pg_class c WHERE c.relnamespace = 'pg_catalog'::regnamespace \
             UNION ALL SELECT 'proc ' || p.oid::regprocedure::text || ' ' || p.proowner::regrole::text || ' ' || coalesce(p.proacl::text, '-') \
                    || ' ' || coalesce(pg_catalog.obj_description(p.oid, 'pg_proc'), '-') \
               FROM pg_catalog.pg_proc p WHERE p.pronamespace = 'pg_catalog'::regnamespace \
             UNION ALL SELECT 'type ' || t.oid::regtype::text || ' ' || t.typowner::regrole::text || ' ' || coalesce(t.typacl::text, '-') \
                    || ' ' || coalesce(pg_catalog.obj_description(t.oid, 'pg_type'), '-') \
               FROM pg_catalog.pg_type t WHERE t.typnamespace = 'pg_catalog'::regnamespace \
             ORDER BY 1",
            &[],
        )
        .await
        .unwrap();
    rows.iter().map(|r| r.get(0)).collect()
}

fn assert_same_lines(what: &str, a: &[String], b: &[String]) {
    let only_a: Vec<&String> = a.iter().filter(|l| !b.contains(l)).collect();
    let only_b: Vec<&String> = b.iter().filter(|l| !a.contains(l)).collect();
    assert!(only_a.is_empty() && only_b.is_empty(), "{what}:\nbefore only: {only_a:#?}\nafter only: {only_b:#?}");
}

/// What the views and column defaults of `schema` refer to, with the
/// schema's own name written as `SELF`: the same in a copy as in its source
/// when the copy's bodies bind to the copy's objects.
async fn bindings(c: &Client, schema: &str) -> Vec<String> {
    let rows = c
        .query(
            "SELECT DISTINCT coalesce(v.relname, t.relname || '.' || a.attname)::text, \
                    CASE WHEN ro.schema = $1 THEN 'SELF' ELSE ro.schema END || ' ' || ro.type || ' ' || ro.name \
             FROM pg_catalog.pg_depend d \
             LEFT JOIN pg_catalog.pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND r.oid = d.objid \
             LEFT JOIN pg_catalog.pg_class v ON v.oid = r.ev_class \
             LEFT JOIN pg_catalog.pg_attrdef ad ON d.classid = 'pg_attrdef'::regclass AND ad.oid = d.objid \
             LEFT JOIN pg_catalog.pg_class t ON t.oid = ad.adrelid \
             LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum \
             CROSS JOIN LATERAL (SELECT x.schema, x.type, coalesce(x.name, x.identity) AS name \
                                 FROM pg_catalog.pg_identify_object(d.refclassid, d.refobjid, 0) x) ro \
             WHERE d.deptype = 'n' AND coalesce(v.relnamespace, t.relnamespace) = $1::text::regnamespace \
               AND NOT (d.refclassid = 'pg_class'::regclass AND d.refobjid = coalesce(v.oid, 0)) \
             ORDER BY 1, 2",
            &[&schema],
        )
        .await
        .unwrap_or_else(|e| panic!("bindings of {schema}: {}", pg_error(&e)));
    rows.iter()
        .map(|r| {
            let (a, b): (String, String) = (r.get(0), r.get(1));
            // Identities of functions name their schema in the text too.
            format!("{a} -> {}", b.replace(&format!("{schema}."), "SELF."))
        })
        .collect()
}

async fn row_hashes(c: &Client, schema: &str) -> BTreeMap<String, String> {
    let rows = c
        .query(
            "SELECT c.relname::text FROM pg_catalog.pg_class c WHERE c.relnamespace = $1::text::regnamespace AND c.relkind = 'r' ORDER BY 1",
            &[&schema],
        )
        .await
        .unwrap();
    let mut out = BTreeMap::new();
    for r in rows {
        let t: String = r.get(0);
        let q = format!("\"{}\".\"{}\"", schema.replace('"', "\"\""), t.replace('"', "\"\""));
        let row = c
            .query_one(&format!("SELECT count(*)::text || ' ' || coalesce(md5(string_agg(md5(x::text), '' ORDER BY md5(x::text))), '') FROM ONLY {q} AS x"), &[])
            .await
            .unwrap_or_else(|e| panic!("{q}: {}", pg_error(&e)));
        out.insert(t, row.get(0));
    }
    out
}

/// A tenant whose objects are named like catalog objects, owned by an
/// unprivileged role, restored in place with `--clean` and under a new
/// name: no object of `pg_catalog` changes owner, privileges or comment
/// (before, `ALTER VIEW pg_stat_activity OWNER TO tenant` gave the tenant
/// the system view, and `GRANT … ON FUNCTION pg_read_file(text)` granted the
/// system function), and the copy's views and defaults bind to the copy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalog_named_tenant_objects_never_touch_pg_catalog() {
    let cluster = shared();
    let db = cluster.fresh_database("safe_names").await.unwrap();
    let role = format!("{db}_owner");
    let c = client(cluster, &db).await;
    exec(&c, &format!("CREATE ROLE \"{role}\" NOLOGIN NOSUPERUSER; CREATE SCHEMA t1 AUTHORIZATION \"{role}\";")).await;
    exec(
        &c,
        &format!(
            "SET ROLE \"{role}\";
             CREATE VIEW t1.pg_stat_activity AS SELECT 1 AS pid;
             COMMENT ON VIEW t1.pg_stat_activity IS 'tenant view';
             CREATE VIEW t1.pg_stat_ssl AS SELECT 2 AS pid;
             CREATE FUNCTION t1.now() RETURNS timestamptz LANGUAGE sql AS 'SELECT timestamptz ''2000-01-01 00:00+00''';
             CREATE FUNCTION t1.lower(text) RETURNS text LANGUAGE sql AS 'SELECT ''tenant-lower''';
             CREATE FUNCTION t1.pg_read_file(text) RETURNS text LANGUAGE sql AS 'SELECT ''nothing''';
             REVOKE ALL ON FUNCTION t1.pg_read_file(text) FROM PUBLIC;
             GRANT EXECUTE ON FUNCTION t1.pg_read_file(text) TO PUBLIC;
             COMMENT ON FUNCTION t1.pg_read_file(text) IS 'tenant function';
             CREATE DOMAIN t1.int4 AS pg_catalog.int8 CHECK (VALUE >= 0);
             COMMENT ON DOMAIN t1.int4 IS 'tenant type';
             CREATE TABLE t1.pg_class (id int PRIMARY KEY, n t1.int4, v text);
             COMMENT ON TABLE t1.pg_class IS 'tenant table';
             GRANT SELECT ON t1.pg_class TO PUBLIC;
             CREATE TABLE t1.accounts (id serial PRIMARY KEY, label text DEFAULT t1.lower('X'), created timestamptz DEFAULT t1.now());
             CREATE FUNCTION t1.label_of(int) RETURNS text LANGUAGE sql AS 'SELECT label FROM t1.accounts WHERE id = $1';
             CREATE VIEW t1.summary AS SELECT a.id, t1.label_of(a.id) AS l FROM t1.accounts a;
             INSERT INTO t1.pg_class SELECT g, g, 'row ' || g FROM generate_series(1, 100) g;
             INSERT INTO t1.accounts (label) SELECT 'a' || g FROM generate_series(1, 50) g;
             RESET ROLE;"
        ),
    )
    .await;
    let dir = common::fast_tempdir();
    let repo = new_repo(dir.path());
    let (id, snap) = backup_schema(&repo, cluster, &db, "t1").await;
    assert!(snap.qualified_names);
    assert!(snap.warnings.iter().any(|w| w.contains("pg_catalog also uses") && w.contains("pg_class") && w.contains("lower")), "{:?}", snap.warnings);
    // Every statement of the snapshot names t1's objects qualified.
    for e in &snap.ddl {
        for stmt in ["ALTER VIEW pg_stat", "ALTER TABLE pg_class", "ON FUNCTION pg_read_file", "COMMENT ON VIEW pg_stat", "ON TABLE pg_class", "DOMAIN int4"] {
            assert!(!e.create_sql.contains(stmt), "{} {}: bare name in {:?}", e.kind, e.name, e.create_sql);
        }
    }
    let system_before = system_objects(&c).await;
    let rows_before = row_hashes(&c, "t1").await;
    let source_bindings = bindings(&c, "t1").await;
    assert!(source_bindings.iter().any(|l| l.starts_with("summary -> SELF function")), "{source_bindings:#?}");

    // In place, with --clean.
    restore_into(&repo, &id, cluster, &db, RestoreOptions { clean: true, ..Default::default() }).await.unwrap_or_else(|e| panic!("in place: {e}"));
    assert_same_lines("pg_catalog after an in-place restore", &system_before, &system_objects(&c).await);
    assert_eq!(rows_before, row_hashes(&c, "t1").await);
    assert_eq!(source_bindings, bindings(&c, "t1").await);
    let n: i64 = c.query_one("SELECT count(*) FROM pg_catalog.pg_class WHERE relname = 'pg_stat_ssl' AND relnamespace = 'pg_catalog'::regnamespace", &[]).await.unwrap().get(0);
    assert_eq!(n, 1, "pg_catalog.pg_stat_ssl must survive a clean restore of a tenant with a view of that name");

    // Under a new name, next to the source.
    let report = restore_into(&repo, &id, cluster, &db, RestoreOptions { target_schema: Some("t1_copy".into()), jobs: 2, ..Default::default() })
        .await
        .unwrap_or_else(|e| panic!("renamed: {e}"));
    // References the server wrote qualified by the source schema (the
    // names pg_catalog shadows) are named in warnings, never silent.
    for name in ["t1.lower", "t1.now", "t1.int4"] {
        assert!(report.warnings.iter().any(|w| w.contains(name) && w.contains("t1_copy")), "{name}: {:#?}", report.warnings);
    }
    // label_of's body spells its schema (text the server does not rewrite);
    // the view, whose references the server wrote bare, binds to the copy.
    assert!(report.warnings.iter().any(|w| w.contains("label_of") && w.contains("t1.accounts")), "{:#?}", report.warnings);
    assert!(!report.warnings.iter().any(|w| w.contains("summary")), "{:#?}", report.warnings);
    assert_eq!(report.warnings.len(), 3, "{:#?}", report.warnings);
    assert_same_lines("pg_catalog after a renamed restore", &system_before, &system_objects(&c).await);
    assert_eq!(rows_before, row_hashes(&c, "t1_copy").await);
    let copy_bindings = bindings(&c, "t1_copy").await;
    // Bindings to objects that no pg_catalog object shadows are the copy's
    // own; see the README (Security model) for names that shadow.
    let plain = |v: &[String]| -> Vec<String> { v.iter().filter(|l| l.starts_with("summary") || l.starts_with("accounts.id")).cloned().collect() };
    assert_eq!(plain(&source_bindings), plain(&copy_bindings));
    // A snapshot as pgkeep 0.1.0 wrote it (names bare, run under
    // search_path) is refused, naming the names pg_catalog shares.
    let mut legacy = snap.clone();
    legacy.qualified_names = false;
    let session = repo.begin_backup("legacy", 1).unwrap();
    let legacy_id = session.commit(&legacy).unwrap();
    let err = restore_into(&repo, &legacy_id, cluster, &db, RestoreOptions { target_schema: Some("t1_legacy".into()), ..Default::default() })
        .await
        .unwrap_err();
    assert!(matches!(err, RestoreError::Unsafe(_)) && err.to_string().contains("pg_class"), "{err}");
    assert_same_lines("pg_catalog after a refused legacy restore", &system_before, &system_objects(&c).await);
    let owner: String = c
        .query_one("SELECT pg_catalog.pg_get_userbyid(relowner)::text FROM pg_catalog.pg_class WHERE oid = 't1_copy.pg_stat_activity'::regclass", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(owner, role);
}

async fn is_superuser(c: &Client, role: &str) -> bool {
    c.query_one("SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = $1", &[&role]).await.unwrap().get(0)
}

/// A tenant's CHECK constraint calls a function of its owner that tries to
/// make the owner superuser; restoring the data must not run it as the
/// restoring superuser (before: the owner became superuser).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_code_runs_as_its_owner_during_restore() {
    let cluster = shared();
    let db = cluster.fresh_database("safe_owner").await.unwrap();
    let role = format!("{db}_owner");
    let c = client(cluster, &db).await;
    exec(&c, &format!("CREATE ROLE \"{role}\" NOLOGIN NOSUPERUSER; CREATE SCHEMA t2 AUTHORIZATION \"{role}\";")).await;
    exec(
        &c,
        &format!(
            "SET ROLE \"{role}\";
             CREATE FUNCTION t2.escalate(int) RETURNS boolean LANGUAGE plpgsql AS $f$
             BEGIN
               BEGIN EXECUTE 'ALTER ROLE \"{role}\" SUPERUSER'; EXCEPTION WHEN OTHERS THEN NULL; END;
               RETURN true;
             END $f$;
             CREATE TABLE t2.items (id int PRIMARY KEY, v int CHECK (t2.escalate(v)));
             INSERT INTO t2.items SELECT g, g FROM generate_series(1, 20) g;
             CREATE TABLE t2.private (id int, who text);
             ALTER TABLE t2.private ENABLE ROW LEVEL SECURITY;
             ALTER TABLE t2.private FORCE ROW LEVEL SECURITY;
             CREATE POLICY mine ON t2.private USING (true);
             INSERT INTO t2.private SELECT g, 'x' FROM generate_series(1, 10) g;
             RESET ROLE;"
        ),
    )
    .await;
    assert!(!is_superuser(&c, &role).await);
    let dir = common::fast_tempdir();
    let repo = new_repo(dir.path());
    let (id, _) = backup_schema(&repo, cluster, &db, "t2").await;
    let before = row_hashes(&c, "t2").await;

    restore_into(&repo, &id, cluster, &db, RestoreOptions { target_schema: Some("t2_copy".into()), jobs: 2, ..Default::default() })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!is_superuser(&c, &role).await, "restoring the data ran the tenant's CHECK as superuser");
    assert_eq!(before, row_hashes(&c, "t2_copy").await);
    let forced: bool = c.query_one("SELECT relforcerowsecurity FROM pg_catalog.pg_class WHERE oid = 't2_copy.private'::regclass", &[]).await.unwrap().get(0);
    assert!(forced, "FORCE ROW LEVEL SECURITY must be back after the load");

    restore_into(&repo, &id, cluster, &db, RestoreOptions { clean: true, ..Default::default() }).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(!is_superuser(&c, &role).await, "an in-place restore ran the tenant's CHECK as superuser");
}

/// An in-place restore that fails — an object added since the backup, a
/// CHECK that rejects a row during COPY — leaves the tenant as it was
/// (before: its tables were already dropped). Objects the snapshot does not
/// contain are named and kept unless `drop_extra` is given.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_in_place_restore_leaves_the_tenant_as_it_was() {
    let cluster = shared();
    let db = cluster.fresh_database("safe_inplace").await.unwrap();
    let c = client(cluster, &db).await;
    exec(
        &c,
        "CREATE FUNCTION public.acceptable(int) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT true';
         CREATE SCHEMA t3;
         CREATE TABLE t3.orders (id int PRIMARY KEY, qty int CHECK (public.acceptable(qty)));
         CREATE TABLE t3.lines (order_id int REFERENCES t3.orders, n int);
         INSERT INTO t3.orders SELECT g, g FROM generate_series(1, 500) g;
         INSERT INTO t3.lines SELECT g, g FROM generate_series(1, 500) g;",
    )
    .await;
    let dir = common::fast_tempdir();
    let repo = new_repo(dir.path());
    let (id, _) = backup_schema(&repo, cluster, &db, "t3").await;
    exec(&c, "DELETE FROM t3.lines WHERE n > 100; INSERT INTO t3.orders VALUES (1000, 7);").await;

    // 1. An object added since the backup: named, nothing changed.
    exec(&c, "CREATE TABLE t3.added_later (x int); INSERT INTO t3.added_later VALUES (1);").await;
    let before = row_hashes(&c, "t3").await;
    let err = restore_into(&repo, &id, cluster, &db, RestoreOptions { clean: true, ..Default::default() }).await.unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("added_later") && msg.contains("--drop-extra") && msg.contains("nothing was changed"), "{msg}");
    assert_eq!(before, row_hashes(&c, "t3").await);

    // 2. A CHECK that rejects rows during COPY: the whole restore rolls back.
    exec(&c, "DROP TABLE t3.added_later; CREATE OR REPLACE FUNCTION public.acceptable(int) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1 < 400';").await;
    let before = row_hashes(&c, "t3").await;
    let err = restore_into(&repo, &id, cluster, &db, RestoreOptions { clean: true, jobs: 2, ..Default::default() }).await.unwrap_err();
    assert!(err.to_string().contains("orders"), "{err}");
    assert_eq!(before, row_hashes(&c, "t3").await, "a failed in-place restore changed the tenant");

    // 3. With the function fixed and an extra object, --drop-extra replaces
    // everything, the extra object included.
    exec(&c, "CREATE OR REPLACE FUNCTION public.acceptable(int) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT true'; CREATE VIEW t3.extra_view AS SELECT 1 AS one;").await;
    restore_into(&repo, &id, cluster, &db, RestoreOptions { clean: true, drop_extra: true, ..Default::default() })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let rows: i64 = c.query_one("SELECT count(*) FROM t3.lines", &[]).await.unwrap().get(0);
    assert_eq!(rows, 500);
    let extra: i64 = c.query_one("SELECT count(*) FROM pg_catalog.pg_class WHERE relname = 'extra_view'", &[]).await.unwrap().get(0);
    assert_eq!(extra, 0);

    // 4. Something outside the tenant depends on an object that would be
    // dropped with the extras: refused, nothing changed.
    exec(&c, "CREATE TABLE t3.extra2 (x int); CREATE VIEW public.watcher AS SELECT x FROM t3.extra2;").await;
    let before = row_hashes(&c, "t3").await;
    let err = restore_into(&repo, &id, cluster, &db, RestoreOptions { clean: true, drop_extra: true, ..Default::default() }).await.unwrap_err();
    assert!(err.to_string().contains("watcher"), "{err}");
    assert_eq!(before, row_hashes(&c, "t3").await);
}

/// `pgkeep restore --clean` killed with SIGKILL at 24 points of its run:
/// after each kill the tenant's tables hold either exactly the old rows or
/// exactly the snapshot's, never a mix and never nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_in_place_restore_leaves_old_or_new_state() {
    let cluster = shared();
    let db = cluster.fresh_database("safe_kill").await.unwrap();
    let c = client(cluster, &db).await;
    exec(
        &c,
        "CREATE SCHEMA t4;
         CREATE TABLE t4.a (id int PRIMARY KEY, v text);
         CREATE TABLE t4.b (id int PRIMARY KEY, a_id int REFERENCES t4.a, w text);
         CREATE INDEX ON t4.b (w);
         INSERT INTO t4.a SELECT g, repeat('v', 50) || g FROM generate_series(1, 100000) g;
         INSERT INTO t4.b SELECT g, g, md5(g::text) FROM generate_series(1, 100000) g;",
    )
    .await;
    let dir = common::fast_tempdir();
    let repo = new_repo(dir.path());
    let (id, _) = backup_schema(&repo, cluster, &db, "t4").await;
    let new_state = row_hashes(&c, "t4").await;
    let diverge = "DELETE FROM t4.b WHERE id % 3 = 0; UPDATE t4.a SET v = 'changed' WHERE id < 100;";
    exec(&c, diverge).await;
    let old_state = row_hashes(&c, "t4").await;
    assert_ne!(old_state, new_state);

    let bin = env!("CARGO_BIN_EXE_pgkeep");
    let repo_dir = dir.path().join("repo");
    let run = || {
        std::process::Command::new(bin)
            .args(["restore", &id.to_hex(), "--clean", "--repo"])
            .arg(&repo_dir)
            .args(["-d", &cluster.conninfo(&db)])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    // How long a whole run takes here, to spread the kills over it.
    let t = Instant::now();
    let out = run().wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let full = t.elapsed();
    assert_eq!(new_state, row_hashes(&c, "t4").await);
    exec(&c, diverge).await;

    let mut rng = common::SplitMix(13);
    let (mut old, mut new) = (0, 0);
    for _ in 0..24 {
        let mut child = run();
        let at = Duration::from_micros(rng.below(full.as_micros() as u64 + 1));
        std::thread::sleep(at);
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        // The server notices the closed connection and rolls back (or has
        // committed): wait until the killed session is gone, so the state
        // read is one or the other, not a read racing the commit.
        let gone = Instant::now();
        loop {
            let others: i64 = c
                .query_one(
                    "SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
                    &[],
                )
                .await
                .unwrap()
                .get(0);
            if others == 0 {
                break;
            }
            assert!(gone.elapsed() < Duration::from_secs(60), "the killed restore's session did not end");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let state = row_hashes(&c, "t4").await;
        if state == old_state {
            old += 1;
        } else if state == new_state {
            new += 1;
            exec(&c, diverge).await;
        } else {
            panic!(
                "after a kill at {at:?} ({}) the tenant is neither its old state nor the snapshot: {state:?}; pgkeep said: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    eprintln!("24 kills: {old} left the old state, {new} the restored one (a run takes {full:?})");
    assert!(old > 0, "no kill interrupted a restore; the test proves nothing");
}

/// `-j` is bounded: 0 and 2^64-1 are refused with a message, not accepted
/// (before, a backup with jobs = 2^64-1 "succeeded" with 0 rows).
#[test]
fn jobs_are_bounded() {
    let bin = env!("CARGO_BIN_EXE_pgkeep");
    for bad in ["0", "18446744073709551615", "65"] {
        for verb in ["backup", "restore"] {
            let mut cmd = std::process::Command::new(bin);
            cmd.arg(verb);
            if verb == "restore" {
                cmd.arg("latest");
            }
            let out = cmd.args(["--repo", "/nonexistent", "-d", "dbname=x", "-j", bad]).output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{verb} -j {bad}: {err}");
            assert!(err.contains("1..=64") && err.contains("--jobs"), "{verb} -j {bad}: {err}");
        }
    }
}

async fn large_object_state(c: &Client) -> Vec<String> {
    let rows = c
        .query(
            "SELECT l.oid::text || ' ' || pg_catalog.pg_get_userbyid(l.lomowner) || ' ' || coalesce(l.lomacl::text, '-') || ' ' \
                    || coalesce(pg_catalog.obj_description(l.oid, 'pg_largeobject'), '-') || ' ' \
                    || length(pg_catalog.lo_get(l.oid))::text || ' ' || md5(pg_catalog.lo_get(l.oid)) \
             FROM pg_catalog.pg_largeobject_metadata l ORDER BY l.oid",
            &[],
        )
        .await
        .unwrap();
    rows.iter().map(|r| r.get(0)).collect()
}

/// Large objects come back with their contents (before: metadata only, the
/// contents empty), owners, privileges and comments; `--no-blobs` leaves
/// them out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_objects_round_trip_with_contents() {
    let cluster = shared();
    let db = cluster.fresh_database("safe_lo").await.unwrap();
    let role = format!("{db}_owner");
    let c = client(cluster, &db).await;
    exec(
        &c,
        &format!(
            "CREATE ROLE \"{role}\" NOLOGIN;
             CREATE TABLE docs (id int PRIMARY KEY, body oid);
             INSERT INTO docs VALUES
               (1, lo_from_bytea(0, decode(repeat('0123456789abcdef', 200000), 'hex'))),
               (2, lo_from_bytea(0, convert_to('a small one', 'UTF8'))),
               (3, lo_from_bytea(0, '')),
               (4, lo_from_bytea(0, decode(repeat('00ff', 1048576), 'hex')));
             SELECT lo_put(body, 5000000, convert_to('after a hole', 'UTF8')) FROM docs WHERE id = 2;"
        ),
    )
    .await;
    // ALTER/GRANT/COMMENT take a literal oid.
    let oid: u32 = c.query_one("SELECT body FROM docs WHERE id = 1", &[]).await.unwrap().get(0);
    exec(
        &c,
        &format!("ALTER LARGE OBJECT {oid} OWNER TO \"{role}\"; GRANT SELECT ON LARGE OBJECT {oid} TO PUBLIC; COMMENT ON LARGE OBJECT {oid} IS 'the big one';"),
    )
    .await;
    let want = large_object_state(&c).await;
    assert_eq!(want.len(), 4, "{want:?}");
    let dir = common::fast_tempdir();
    let repo = new_repo(dir.path());
    let (id, snap) = backup::backup(&repo, &conn(cluster, &db), &BackupOptions { jobs: 2, ..Default::default() }, &Silent).await.unwrap();
    let lo = snap.large_objects.as_ref().expect("large objects in the manifest");
    assert_eq!(lo.objects.len(), 4);
    assert_eq!(lo.raw_bytes, 1_600_000 + 5_000_012 + 2_097_152);
    assert!(snap.chunk_refs().any(|(s, _)| matches!(s, pgkeep::repo::snapshot::StreamRef::LargeObjects)));
    let report = pgkeep::engine::verify::verify(&repo, &[id], &pgkeep::engine::verify::VerifyOptions { read_data: true, threads: 2 }).unwrap();
    assert!(report.snapshots.iter().all(|s| s.problems.is_empty()) && report.bytes_read >= lo.raw_bytes, "{report:?}");

    let target = pgcluster::unique_db_name("safe_lo_dst");
    restore_into(&repo, &id, cluster, &target, RestoreOptions { create: true, jobs: 2, ..Default::default() }).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(want, large_object_state(&client(cluster, &target).await).await);

    // --no-blobs: neither metadata nor contents.
    let (_, snap) = backup::backup(&repo, &conn(cluster, &db), &BackupOptions { large_objects: Some(false), ..Default::default() }, &Silent).await.unwrap();
    assert!(snap.large_objects.is_none());
    assert!(!snap.ddl.iter().any(|e| e.kind.as_str() == "LARGE OBJECT"));
}

/// A backup asked for 2^64-1 sessions copies every row (before: the session
/// count overflowed to a pool without workers and the backup "succeeded"
/// with 0 rows).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absurd_job_counts_still_copy_everything() {
    let cluster = shared();
    let db = cluster.fresh_database("safe_jobs").await.unwrap();
    let c = client(cluster, &db).await;
    exec(&c, "CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 1000);").await;
    let dir = common::fast_tempdir();
    let repo = new_repo(dir.path());
    let (_, snap) = backup::backup(&repo, &conn(cluster, &db), &BackupOptions { jobs: usize::MAX, ..Default::default() }, &Silent)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(snap.totals.rows, 1000);
}

/// A tenant schema full of traps for pgkeep's own catalog queries —
/// functions and operators that match their arguments better than
/// `pg_catalog`'s polymorphic ones (`unnest(oid[])`, `length(text)`,
/// `substr(text, int)`, `<>(oid, int)`) and try to make their owner
/// superuser — backed up with `-n` and restored: pgkeep never calls them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_functions_never_capture_pgkeeps_own_queries() {
    let cluster = shared();
    let db = cluster.fresh_database("safe_traps").await.unwrap();
    let role = format!("{db}_owner");
    let c = client(cluster, &db).await;
    exec(&c, &format!("CREATE ROLE \"{role}\" NOLOGIN NOSUPERUSER; CREATE SCHEMA t5 AUTHORIZATION \"{role}\";")).await;
    let trap = format!("BEGIN EXECUTE 'ALTER ROLE \"{role}\" SUPERUSER'; EXCEPTION WHEN OTHERS THEN NULL; END;");
    exec(
        &c,
        &format!(
            "SET ROLE \"{role}\";
             CREATE FUNCTION t5.unnest(oid[]) RETURNS SETOF oid LANGUAGE plpgsql AS $f$ BEGIN {trap} RETURN QUERY SELECT pg_catalog.unnest($1); END $f$;
             CREATE FUNCTION t5.unnest(text[]) RETURNS SETOF text LANGUAGE plpgsql AS $f$ BEGIN {trap} RETURN QUERY SELECT pg_catalog.unnest($1); END $f$;
             CREATE FUNCTION t5.length(text) RETURNS int LANGUAGE plpgsql AS $f$ BEGIN {trap} RETURN pg_catalog.length($1); END $f$;
             CREATE FUNCTION t5.substr(text, int) RETURNS text LANGUAGE plpgsql AS $f$ BEGIN {trap} RETURN pg_catalog.substr($1, $2); END $f$;
             CREATE FUNCTION t5.ne(oid, int) RETURNS boolean LANGUAGE plpgsql AS $f$ BEGIN {trap} RETURN $1 OPERATOR(pg_catalog.<>) $2::pg_catalog.oid; END $f$;
             CREATE OPERATOR t5.<> (LEFTARG = oid, RIGHTARG = int, FUNCTION = t5.ne);
             CREATE TABLE t5.items (id int PRIMARY KEY, v text);
             CREATE STATISTICS t5.items_stats ON id, v FROM t5.items;
             CREATE POLICY p ON t5.items TO PUBLIC USING (true);
             INSERT INTO t5.items SELECT g, 'x' FROM generate_series(1, 10) g;
             RESET ROLE;"
        ),
    )
    .await;
    let dir = common::fast_tempdir();
    let repo = new_repo(dir.path());
    let (id, _) = backup_schema(&repo, cluster, &db, "t5").await;
    assert!(!is_superuser(&c, &role).await, "the backup ran a tenant function as superuser");
    let err = restore_into(&repo, &id, cluster, &db, RestoreOptions::default()).await.unwrap_err();
    assert!(matches!(err, RestoreError::NotEmpty(_)), "{err}");
    restore_into(&repo, &id, cluster, &db, RestoreOptions { target_schema: Some("t5_copy".into()), ..Default::default() }).await.unwrap_or_else(|e| panic!("{e}"));
    restore_into(&repo, &id, cluster, &db, RestoreOptions { clean: true, ..Default::default() }).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(!is_superuser(&c, &role).await, "a restore ran a tenant function as superuser");
}
