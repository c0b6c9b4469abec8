//! `pgkeep export` against the server itself: a table of every decoded
//! type (NULLs, extremes, NaN and infinities, negative zero, time zones,
//! empty and multi-dimensional arrays, ranges, enums, domains) is backed
//! up, exported without a server, and compared byte for byte with what
//! `COPY … TO STDOUT (FORMAT csv)` and `row_to_json` print on a session
//! with the documented settings, in several time zones.

mod common;

use futures::StreamExt;
use pgkeep::pg::conn::{process_env, ConnSpec};
use pgkeep::engine::backup::{self, BackupOptions};
use pgkeep::engine::export::{self, ExportFormat, ExportOptions};
use pgkeep_testing::pgcluster;
use pgkeep::progress::Silent;
use pgkeep::repo::{RepoConfig, Repository};

const SETUP: &str = r#"
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy, "very"');
CREATE DOMAIN posint AS int4 CHECK (VALUE > 0);
CREATE DOMAIN money_amount AS numeric(12,2);
CREATE TYPE floatrange AS RANGE (subtype = float8);
CREATE TABLE every_type (
  id int4, i2 int2, i4 int4, i8 int8, o oid, f4 float4, f8 float8, n numeric, n2 numeric(10,3), b bool,
  t text, vc varchar(10), bp char(5), nm name, ch "char", ba bytea,
  d date, tm time, ttz timetz, ts timestamp, tstz timestamptz, iv interval, u uuid,
  j json, jb jsonb, ip inet, cid cidr, mac macaddr, mac8 macaddr8, m money, bt bit(5), vb varbit,
  ai int4[], at text[], af float8[], an numeric[], ats timestamptz[], ab bool[], aby bytea[], ad date[],
  r4 int4range, rn numrange, rts tstzrange, rd daterange, r8 int8range, fr floatrange,
  mr int4multirange, mdr datemultirange, ar int4range[],
  e mood, pi posint, ma money_amount, lsn pg_lsn, x xid
);
INSERT INTO every_type (id) VALUES (0);
INSERT INTO every_type VALUES
 (1, 32767, 2147483647, 9223372036854775807, 4294967295, 3.4028235e38, 1.7976931348623157e308,
  123456789012345678901234567890.123456789, 3.14159, true,
  'plain', 'ab', 'x', 'name', 'a', '\x00ff10',
  '2024-02-29', '24:00:00', '12:34:56.789+05:45', '2024-02-29 23:59:59.999999', '2024-07-01 12:00:00+00',
  '1 year 2 mons 3 days 04:05:06.789', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
  '{"a": [1, 2, {"b": null}], "c" : "d"}', '{"a": [1, 2, {"b": null}], "c" : "d\n"}',
  '192.168.1.1/24', '10.0.0.0/8', '08:00:2b:01:02:03', '08:00:2b:01:02:03:04:05', '92233720368547758.07',
  B'10101', B'1',
  '{1,2,3}', '{"", "NULL", "a b", "a\"b", "a\\b", "{x}", "c,d", null, "é"}', '{NaN, Infinity, -Infinity, -0, 1e-7}',
  '{1.5, NaN, -0.000}', '{"2024-01-01 00:00:00+00", infinity}', '{t,f,null}', '{"\\x00", "\\x"}', '{2024-01-01,-infinity}',
  '[1,10)', '(1.5,2.5]', '[2024-01-01 00:00+00,2024-06-01 00:00+00)', '[2024-01-01,2024-01-31]', '(,100)', '[1.5,2.5e300)',
  '{[1,3),[5,7)}', '{[2024-01-01,2024-01-10)}', '{"[1,2)", empty, NULL}',
  'happy, "very"', 42, 1234.5, '16/B374D848', '12345'),
 (2, -32768, -2147483648, -9223372036854775808, 0, -0, -0, -0.0, -1.5, false,
  '', '', '', '', '', '',
  '4713-01-01 BC', '00:00:00', '00:00:00-15:59', '4713-01-01 00:00:00 BC', '0001-01-01 00:00:00+00 BC',
  '-1 years -2 mons +3 days -04:05:06', '00000000-0000-0000-0000-000000000000',
  '[]', '{}', '::1', '::/0', '00:00:00:00:00:00', '00:00:00:00:00:00:00:00', '-92233720368547758.08',
  B'00000', B'',
  '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}',
  'empty', '(,)', '(,)', 'empty', '[-9223372036854775808,9223372036854775807)', 'empty',
  '{}', '{}', '{}',
  'sad', 1, -0.5, '0/0', '0'),
 (3, 0, 0, 0, 0, 'NaN', 'NaN', 'NaN', 0, null,
  E'multi\nline\r\nwith "quotes", commas\ttabs and \\backslash', 'x,y', 'a"b', 'N', E'\\377', '\x5c2c22',
  'infinity', '12:00:00', '23:59:59.999999+15:59', 'infinity', 'infinity',
  '-178000000 years', 'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '"x"', '"x"', '2001:db8::ff00:42:8329/128', '2001:db8::/32', 'ff:ff:ff:ff:ff:ff', 'ff:ff:ff:ff:ff:ff:ff:ff', '0',
  B'11111', B'1010101010101010101',
  '{{1,2},{3,4}}', '{{"a","b"},{"c",null}}', '{{{1.5}},{{2.5}}}', '[0:1]={1,2}', '{}', '[-2:-1][3:3]={{t},{f}}', '{}', '{}',
  '[,5]', '[0,0]', '(2024-01-01 00:00+05:30,)', '(,2024-01-01]', 'empty', '[-Infinity,Infinity]',
  '{[1,2),[3,4),[10,)}', '{}', '{}',
  'ok', 2147483647, 9999999999.99, 'FFFFFFFF/FFFFFFFF', '4294967295'),
 (4, 1, 1, 1, 1, 'Infinity', '-Infinity', 'Infinity', 0.001, true,
  '\.', ' lead ', 'abcde', 'NULL', 'z', '\x0a0d2c',
  '-infinity', '00:00:00.000001', '00:00:00+00', '-infinity', '-infinity',
  '178000000 years', '12345678-1234-1234-1234-123456789abc',
  'null', 'null', '::ffff:1.2.3.4/120', '::ffff:0.0.0.0/96', '01:02:03:04:05:06', '01:02:03:04:05:06:07:08', '0.01',
  B'00001', B'0000000011',
  '{{{1}},{{2}},{{3}}}', '{"\\.", " ", "\t"}', '{0.1, 1e15, 1e16, 123456789012345.6}', '{1e-20, 1e20}', '{infinity}', '{}', '{}', '{}',
  '[-2147483648,2147483647)', '[-1e-10,1e10]', '[-infinity,infinity]', '[-infinity,infinity)', '[0,1)', '(0,1)',
  '{[1,2]}', '{[-infinity,infinity)}', '{"[5,6)"}',
  'happy, "very"', 7, 0, '1/1', '1'),
 (5, 0, 0, 0, 0, 1e-45, 5e-324, 1e-1000, 0, true,
  'tz edge', 'x', 'y', 'z', 'q', '\x',
  '1999-12-31', '23:59:59', '01:02:03+01:02:03', '1999-12-31 23:59:59', '1800-01-01 00:00:00+00',
  '1 day -00:00:01', '00000000-0000-0000-0000-000000000001',
  '1.5e3', '1.5e3', '0.0.0.0/0', '0.0.0.0/0', '00:00:00:00:00:01', '00:00:00:00:00:00:00:01', '-0.01',
  B'01000', B'11',
  '{-1}', '{" "}', '{1.17549435e-38}', '{-0.0}', '{"1900-03-01 00:00:00+00"}', '{}', '{}', '{}',
  '[1,2)', '[1,1]', '["1900-01-01 00:00+00","2100-07-01 00:00+00"]', '[1999-01-01,)', '[1,2)', '[0,0]',
  '{}', '{}', '{}',
  'sad', 3, 0.01, '0/1', '3'),
 (6, 0, 0, 0, 0, 352.578125, 0.1, 0.1, 0, false,
  'dst', 'x', 'y', 'z', 'q', '\x',
  '2000-01-01', '00:00:01', '00:00:00+14', '2038-01-19 03:14:08', '2038-03-29 01:30:00+00',
  '-1 days +00:00:01', '00000000-0000-0000-0000-000000000002',
  '{}', '{}', '1.2.3.4', '1.2.3.4/32', '00:00:00:00:00:02', '00:00:00:00:00:00:00:02', '1000000',
  B'10000', B'1',
  '{}', '{}', '{}', '{}', '{"2100-06-15 12:00:00+00","9999-12-31 23:59:59+00","10000-06-15 12:00:00+00","294276-06-01 00:00:00+00"}', '{}', '{}', '{}',
  NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL);
CREATE TABLE one_col (v text);
INSERT INTO one_col VALUES ('\.'), (''), (NULL), ('x');
CREATE TYPE pair AS (a int4, b text);
CREATE TABLE composite_rows (id int4, p pair, ps pair[], moods mood[]);
INSERT INTO composite_rows VALUES (1, '(1,"x y")', '{"(2,z)"}', '{sad,ok}'), (2, NULL, '{}', NULL);
CREATE TABLE odd (id int4, v tsvector, pt point);
INSERT INTO odd VALUES (1, 'a fat cat', '(1,2)'), (2, NULL, NULL);
"#;

async fn session_output(c: &tokio_postgres::Client, tz: &str, sql: &str) -> Vec<u8> {
    c.batch_execute(&format!(
        "SET DateStyle = 'ISO, MDY'; SET IntervalStyle = postgres; SET extra_float_digits = 1; \
         SET lc_monetary = 'C'; SET bytea_output = hex; SET TimeZone = '{tz}'"
    ))
    .await
    .unwrap();
    let stream = c.copy_out(sql).await.unwrap();
    let parts: Vec<_> = stream.collect().await;
    parts.into_iter().flat_map(|b| b.unwrap().to_vec()).collect()
}

fn first_difference(ours: &[u8], theirs: &[u8]) -> String {
    let (a, b) = (String::from_utf8_lossy(ours), String::from_utf8_lossy(theirs));
    for (i, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        if x != y {
            let cells = |s: &str| s.split(',').map(str::to_string).collect::<Vec<_>>();
            let (cx, cy) = (cells(x), cells(y));
            let at = cx.iter().zip(&cy).position(|(p, q)| p != q).unwrap_or(0);
            return format!(
                "line {i} differs near field {at}:\n  ours:   {:?}\n  server: {:?}\nfull lines:\n  ours:   {x}\n  server: {y}",
                cx.get(at..(at + 3).min(cx.len())),
                cy.get(at..(at + 3).min(cy.len()))
            );
        }
    }
    format!("line counts differ: ours {}, server {}", a.lines().count(), b.lines().count())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_equals_the_servers_csv_and_json_for_every_type() {
    every_type_matches(pgcluster::shared().unwrap_or_else(|e| panic!("{e}"))).await;
}

/// The same on each server in PGKEEP_PG_EXTRA_BINDIRS (`.ci/run` sets
/// PostgreSQL 17; `tests/pg-matrix.sh` all majors).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_matches_other_majors() {
    let Some(dirs) = std::env::var_os("PGKEEP_PG_EXTRA_BINDIRS").filter(|v| !v.is_empty()) else {
        eprintln!("other majors: PGKEEP_PG_EXTRA_BINDIRS is not set; only the shared cluster's major ran");
        return;
    };
    for dir in std::env::split_paths(&dirs) {
        let cluster = pgcluster::Cluster::start(pgcluster::ClusterOptions::default().bindir(&dir))
            .unwrap_or_else(|e| panic!("start a cluster from {}: {e}", dir.display()));
        every_type_matches(&cluster).await;
        eprintln!("other majors: export matched PostgreSQL {}", cluster.server_version());
    }
}

async fn every_type_matches(cluster: &pgcluster::Cluster) {
    let db = cluster.fresh_database("export").await.unwrap();
    let c = cluster.connect(&db).await.unwrap();
    if cluster.server_major() >= 14 {
        c.batch_execute(SETUP).await.unwrap();
    } else {
        // No multiranges and no numeric infinity before PostgreSQL 14.
        let setup = SETUP
            .replace("mr int4multirange, mdr datemultirange", "mr text, mdr text")
            .replace("'Infinity', '-Infinity', 'Infinity', 0.001", "'Infinity', '-Infinity', 'NaN', 0.001");
        c.batch_execute(&setup).await.unwrap();
    }
    if cluster.server_major() >= 17 {
        // Infinite intervals exist from PostgreSQL 17.
        c.batch_execute("INSERT INTO every_type (id, iv) VALUES (7, 'infinity'), (8, '-infinity')").await.unwrap();
    }
    let dir = common::fast_tempdir();
    let repo = Repository::init(&dir.path().join("repo"), RepoConfig::new(Default::default(), Default::default(), 1 << 20).unwrap())
        .unwrap();
    let conn = ConnSpec::parse(&cluster.conninfo(&db)).unwrap().resolve(&process_env).unwrap();
    let (_, snap) = backup::backup(&repo, &conn, &BackupOptions::default(), &Silent).await.unwrap();
    let indexed = repo.load_index().unwrap();

    let run = |table: &str, format: ExportFormat, tz: &str| {
        let t = export::find_table(&snap, table).unwrap();
        let opts = ExportOptions { format, timezone: tz.to_string(), header: false };
        let mut out = Vec::new();
        let mut warnings = Vec::new();
        export::export(&indexed, t, &opts, &mut out, &mut |w| warnings.push(w)).unwrap();
        (out, warnings)
    };

    let mut compared = 0;
    for tz in ["UTC", "America/New_York", "Asia/Kathmandu", "Europe/London", "Australia/Lord_Howe"] {
        for table in ["every_type", "one_col"] {
            let theirs = session_output(&c, tz, &format!("COPY public.{table} TO STDOUT (FORMAT csv)")).await;
            let (ours, warnings) = run(table, ExportFormat::Csv, tz);
            assert!(warnings.is_empty(), "{warnings:?}");
            assert!(ours == theirs, "CSV of {table} in {tz}: {}", first_difference(&ours, &theirs));
            compared += theirs.len();

            let theirs = session_output(
                &c,
                tz,
                &format!("COPY (SELECT row_to_json(_row) FROM public.{table} _row) TO STDOUT (FORMAT csv, DELIMITER e'\\x02', QUOTE e'\\x01')"),
            )
            .await;
            let (ours, _) = run(table, ExportFormat::Jsonl, tz);
            assert!(ours == theirs, "JSON of {table} in {tz}: {}", first_difference(&ours, &theirs));
        }
    }
    assert!(compared > 10_000, "compared only {compared} bytes");

    // Tables the backup copied as text (a composite, arrays of user
    // types) come out as the server printed them.
    let theirs = session_output(&c, "UTC", "COPY public.composite_rows TO STDOUT (FORMAT csv)").await;
    let (ours, _) = run("composite_rows", ExportFormat::Csv, "UTC");
    assert!(ours == theirs, "{}", first_difference(&ours, &theirs));

    // A type pgkeep cannot decode is written as hex, with one warning for
    // the column however many rows it has.
    let (ours, warnings) = run("odd", ExportFormat::Csv, "UTC");
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].contains("column v") && warnings[0].contains("tsvector"), "{warnings:?}");
    let text = String::from_utf8(ours).unwrap();
    assert!(text.starts_with("1,\\x"), "{text}");
    assert!(text.ends_with("2,,\n"), "{text}");
}

/// The CLI: `--output` writes a file (and nothing when it fails), errors
/// name the table, `--header` adds COPY's header line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_cli_writes_files_and_names_bad_input() {
    let cluster = pgcluster::shared().unwrap_or_else(|e| panic!("{e}"));
    let db = cluster.fresh_database("export_cli").await.unwrap();
    let c = cluster.connect(&db).await.unwrap();
    c.batch_execute(
        "CREATE SCHEMA a; CREATE SCHEMA b; CREATE TABLE a.t (id int4, \"odd, name\" text); CREATE TABLE b.t (id int4); \
         INSERT INTO a.t SELECT g, 'v' || g FROM generate_series(1, 1000) g;",
    )
    .await
    .unwrap();
    let dir = common::fast_tempdir();
    let root = dir.path().join("repo");
    let repo = Repository::init(&root, RepoConfig::new(Default::default(), Default::default(), 1 << 20).unwrap()).unwrap();
    let conn = ConnSpec::parse(&cluster.conninfo(&db)).unwrap().resolve(&process_env).unwrap();
    backup::backup(&repo, &conn, &BackupOptions::default(), &Silent).await.unwrap();
    let r = root.to_str().unwrap();

    let out = dir.path().join("a.csv");
    common::pgkeep_ok(&["export", "--repo", r, "latest", "a.t", "--header", "-o", out.to_str().unwrap()]);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("id,\"odd, name\"\n1,v1\n"), "{text}");
    assert_eq!(text.lines().count(), 1001);

    let jsonl = common::pgkeep_ok(&["export", "--repo", r, "latest", "a.t", "--format", "jsonl"]);
    assert!(jsonl.starts_with("{\"id\":1,\"odd, name\":\"v1\"}\n"), "{jsonl}");

    let err = common::pgkeep_fails(&["export", "--repo", r, "latest", "t"]);
    assert!(err.contains("more than one table") && err.contains("a.t") && err.contains("b.t"), "{err}");
    let err = common::pgkeep_fails(&["export", "--repo", r, "latest", "nope"]);
    assert!(err.contains("no table \"nope\""), "{err}");
    let err = common::pgkeep_fails(&["export", "--repo", r, "latest", "a.t", "--timezone", "Mars/Olympus"]);
    assert!(err.contains("Mars/Olympus"), "{err}");

    // Damaged data: the export fails naming the table, and the output
    // file is not left behind.
    for rel in common::files_in(&root, "data") {
        let p = root.join(rel);
        let mut b = std::fs::read(&p).unwrap();
        let mid = b.len() / 2;
        b[mid] ^= 0x10;
        std::fs::write(&p, b).unwrap();
    }
    let broken = dir.path().join("broken.csv");
    let err = common::pgkeep_fails(&["export", "--repo", r, "latest", "a.t", "-o", broken.to_str().unwrap()]);
    assert!(err.contains("a.t"), "{err}");
    assert!(!broken.exists());
    assert!(std::fs::read_dir(dir.path()).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().contains("pgkeep-tmp")));
}
