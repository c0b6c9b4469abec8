//! `pgkeep verify` on real backups: a sound repository verifies, and each
//! kind of damage is caught with a message that names the table.

mod common;

use pgkeep::pg::conn::{process_env, ConnSpec};
use pgkeep::engine::backup::{self, BackupOptions};
use pgkeep_testing::pgcluster;
use pgkeep::progress::Silent;
use pgkeep::repo::{RepoConfig, Repository};

async fn backed_up(dir: &std::path::Path) -> (Repository, pgkeep::repo::Id) {
    let (repo, id, _) = backed_up_db(dir).await;
    (repo, id)
}

async fn backed_up_db(dir: &std::path::Path) -> (Repository, pgkeep::repo::Id, String) {
    let cluster = pgcluster::shared().unwrap_or_else(|e| panic!("{e}"));
    let db = cluster.fresh_database("verify").await.unwrap();
    let c = cluster.connect(&db).await.unwrap();
    c.batch_execute(
        "CREATE TYPE mood AS ENUM ('a', 'b'); \
         CREATE TABLE kinds (id int8, i2 int2, f8 float8, u uuid, d date, ts timestamptz, b bool, t text, n numeric); \
         INSERT INTO kinds SELECT g, g % 100, g / 3.0, md5(g::text)::uuid, DATE '2020-01-01' + g, now(), g % 2 = 0, repeat('x', g % 40), g * 1.5 \
           FROM generate_series(1, 20000) g; \
         INSERT INTO kinds (id) VALUES (NULL); \
         CREATE TABLE moods (m mood[]); INSERT INTO moods VALUES ('{a,b}'), (NULL);",
    )
    .await
    .unwrap();
    let repo = Repository::init(&dir.join("repo"), RepoConfig::new(Default::default(), Default::default(), 1 << 20).unwrap()).unwrap();
    let conn = ConnSpec::parse(&cluster.conninfo(&db)).unwrap().resolve(&process_env).unwrap();
    let (id, _) = backup::backup(&repo, &conn, &BackupOptions::default(), &Silent).await.unwrap();
    (repo, id, db)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sound_backup_verifies_and_damage_is_named() {
    let dir = common::fast_tempdir();
    let (_repo, id) = backed_up(dir.path()).await;
    let root = dir.path().join("repo");
    let repo = root.to_str().unwrap();

    let out = common::pgkeep_ok(&["verify", "--repo", repo, "--read-data"]);
    assert!(out.contains("2 tables, 20003 rows read and parsed: ok"), "{out}");
    let json = common::pgkeep_ok(&["verify", "--repo", repo, "--read-data", "--json", &id.to_hex()[..10]]);
    assert!(json.contains("\"ok\": true"), "{json}");

    // A flipped byte in a pack: the table whose chunk it was is named.
    let pristine = common::tree_state(&root);
    for rel in common::files_in(&root, "data") {
        let p = root.join(rel);
        let mut b = std::fs::read(&p).unwrap();
        let mid = b.len() / 2;
        b[mid] ^= 0x01;
        std::fs::write(&p, b).unwrap();
    }
    let err = common::pgkeep(&["verify", "--repo", repo, "--read-data"]);
    let text = common::stdout(&err);
    assert_eq!(err.status.code(), Some(1), "{text}");
    assert!(text.contains("table public.kinds") && text.contains("error"), "{text}");
    // Without --read-data the structure still looks fine.
    common::pgkeep_ok(&["verify", "--repo", repo]);

    // Missing index files: every chunk is reported missing, structurally.
    for (p, b) in &pristine {
        std::fs::write(root.join(p), b).unwrap();
    }
    for rel in common::files_in(&root, "index") {
        std::fs::remove_file(root.join(rel)).unwrap();
    }
    let err = common::pgkeep(&["verify", "--repo", repo]);
    let text = common::stdout(&err);
    assert_eq!(err.status.code(), Some(1), "{text}");
    assert!(text.contains("not in the index"), "{text}");
}

/// `show` lists a snapshot's tables; `diff` names what changed between two.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn show_and_diff_describe_snapshots() {
    let dir = common::fast_tempdir();
    let (repo, first, db) = backed_up_db(dir.path()).await;
    let cluster = pgcluster::shared().unwrap();
    // The archived DDL is what `pgkeep ddl` prints for the live database.
    let root = dir.path().join("repo");
    let archived = common::pgkeep_ok(&["ddl", "latest", "--repo", root.to_str().unwrap()]);
    let live = common::pgkeep_ok(&["ddl", "-d", &cluster.conninfo(&db)]);
    assert_eq!(archived, live);
    let post = common::pgkeep_ok(&["ddl", "latest", "--repo", root.to_str().unwrap(), "--section", "post-data", "-O"]);
    assert!(!post.contains("CREATE TABLE") && !post.contains("OWNER TO"), "{post}");
    cluster
        .connect(&db)
        .await
        .unwrap()
        .batch_execute("INSERT INTO kinds (id) SELECT g FROM generate_series(1, 100) g; CREATE TABLE extra (x int); INSERT INTO extra VALUES (1);")
        .await
        .unwrap();
    let conn = ConnSpec::parse(&cluster.conninfo(&db)).unwrap().resolve(&process_env).unwrap();
    let (second, _) = backup::backup(&repo, &conn, &BackupOptions::default(), &Silent).await.unwrap();
    let r = root.to_str().unwrap();

    let out = common::pgkeep_ok(&["show", "--repo", r, &first.to_hex()[..8]]);
    assert!(out.lines().any(|l| l.starts_with("public.kinds") && l.contains(" 20001 ")), "{out}");
    assert!(out.contains("public.moods") && out.contains("text"), "enum arrays go as text:\n{out}");
    let out = common::pgkeep_ok(&["diff", "--repo", r, &first.to_hex(), &second.to_hex()]);
    assert!(out.contains("~ table public.kinds: rows 20001 -> 20101 (+100)"), "{out}");
    assert!(out.contains("+ table public.extra: 1 rows"), "{out}");
    assert!(out.contains("+ TABLE public.extra"), "{out}");
    assert!(out.contains("1 unchanged"), "moods did not change:\n{out}");
    let json = common::pgkeep_ok(&["show", "--repo", r, "latest", "--json"]);
    assert!(json.contains("\"tables\""), "{json}");

    // The listing: one line per snapshot with rows, size, duration, status.
    let list = common::pgkeep_ok(&["snapshots", "--repo", r]);
    let lines: Vec<&str> = list.lines().collect();
    assert!(lines[0].contains("ROWS") && lines[0].contains("DURATION") && lines[0].contains("STATUS"), "{list}");
    assert_eq!(lines.len(), 3, "{list}");
    assert!(lines[2].starts_with(&second.to_hex()[..8]) && lines[2].contains(" 20104 ") && lines[2].ends_with("complete"), "{list}");
    let json: serde_json::Value = serde_json::from_str(&common::pgkeep_ok(&["snapshots", "--repo", r, "--json"])).unwrap();
    assert_eq!(json[1]["rows"], 20104);
    assert!(json[1]["duration_ms"].is_u64() && json[1]["raw_bytes"].as_u64().unwrap() > 100_000, "{json}");
}

/// Each kind of damage is caught by `verify` (with `--read-data` where the
/// structure is intact), naming the table: a truncated pack, an index entry
/// gone, a manifest whose row counts were edited.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_damage_is_named() {
    use pgkeep::repo::index::IndexFile;
    use pgkeep::repo::snapshot;
    let dir = common::fast_tempdir();
    let (repo, id) = backed_up(dir.path()).await;
    let root = dir.path().join("repo");
    let r = root.to_str().unwrap();
    let pristine = common::tree_state(&root);
    let restore = || {
        for p in common::files_under(&root) {
            if !pristine.contains_key(&p) {
                std::fs::remove_file(root.join(&p)).unwrap();
            }
        }
        for (p, b) in &pristine {
            std::fs::write(root.join(p), b).unwrap();
        }
    };
    let fails = |args: &[&str], want: &[&str]| {
        let o = common::pgkeep(args);
        let text = common::stdout(&o);
        assert_eq!(o.status.code(), Some(1), "{args:?} should fail:\n{text}{}", common::stderr(&o));
        for w in want {
            assert!(text.contains(w), "{args:?}: expected {w:?} in:\n{text}");
        }
    };

    // A pack cut in half.
    for rel in common::files_in(&root, "data") {
        let p = root.join(rel);
        let b = std::fs::read(&p).unwrap();
        std::fs::write(&p, &b[..b.len() / 2]).unwrap();
    }
    fails(&["verify", "--repo", r, "--read-data"], &["table public.kinds", "error"]);
    restore();

    // One pack's entries removed from the index.
    for rel in common::files_in(&root, "index") {
        let p = root.join(&rel);
        let mut f = IndexFile::decode(&std::fs::read(&p).unwrap(), "index").unwrap();
        f.packs.remove(0);
        f.write(repo.backend().as_ref()).unwrap();
        std::fs::remove_file(&p).unwrap();
    }
    fails(&["verify", "--repo", r], &["not in the index"]);
    restore();

    // A manifest whose row counts say one row more than its data holds.
    let mut snap = repo.load_snapshot(&id).unwrap();
    let t = snap.tables.iter_mut().find(|t| t.name == "kinds").unwrap();
    t.rows += 1;
    t.parts[0].rows += 1;
    snap.totals.rows += 1;
    let edited = snapshot::save(repo.backend().as_ref(), &snap).unwrap();
    repo.forget(&[id]).unwrap();
    common::pgkeep_ok(&["verify", "--repo", r]);
    fails(&["verify", "--repo", r, "--read-data", &edited.to_hex()], &["table public.kinds", "20001 rows in the data, the manifest says 20002"]);
    restore();
    common::pgkeep_ok(&["verify", "--repo", r, "--read-data"]);
}
