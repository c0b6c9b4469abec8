//! How a backup stores its chunks, through real servers: `--compress none`
//! stores every chunk raw (codec 0) and restores identical rows; zstd
//! levels change the stored size; a table of random bytes is stored raw
//! (no growth) whatever the level, and round-trips.

mod common;

use common::{client, conn, exec, new_repo, shared};

use pgkeep::engine::backup::{self, BackupOptions};
use pgkeep::engine::restore::{self, RestoreOptions};
use pgkeep::progress::Silent;
use pgkeep::repo::pack::Codec;
use pgkeep::repo::{Compression, Id, Repository, Snapshot};
use pgkeep_testing::pgcluster::{self, Cluster};

async fn backup(repo: &Repository, cluster: &Cluster, db: &str, compression: Option<Compression>) -> (Id, Snapshot) {
    let opts = BackupOptions { jobs: 2, compression, ..BackupOptions::default() };
    backup::backup(repo, &conn(cluster, db), &opts, &Silent).await.unwrap_or_else(|e| panic!("backup of {db}: {e}"))
}

/// Row count and an order-fixed hash of every row of `table`.
async fn rows_hash(cluster: &Cluster, db: &str, table: &str) -> (i64, String) {
    let c = client(cluster, db).await;
    let row = c
        .query_one(&format!("SELECT count(*), coalesce(md5(string_agg(md5(t::text), '' ORDER BY id)), '') FROM {table} t"), &[])
        .await
        .unwrap();
    (row.get(0), row.get(1))
}

async fn restore_new(repo: &Repository, id: &Id, cluster: &Cluster, prefix: &str) -> String {
    let target = pgcluster::unique_db_name(prefix);
    let maintenance = conn(cluster, "postgres");
    restore::restore(repo, id, &conn(cluster, &target), Some(&maintenance), &RestoreOptions { jobs: 2, create: true, ..RestoreOptions::default() }, &Silent)
        .await
        .unwrap_or_else(|e| panic!("restore into {target}: {e}"));
    target
}

/// Codec, stored and raw length of every chunk a table's parts name.
fn chunk_entries(repo: &Repository, snap: &Snapshot, table: &str) -> Vec<(Codec, u32, u32)> {
    let idx = repo.load_index().unwrap();
    let t = snap.tables.iter().find(|t| t.name == table).unwrap_or_else(|| panic!("{table} in the manifest"));
    t.parts
        .iter()
        .flat_map(|p| p.chunks.iter())
        .map(|c| {
            let e = idx.index.get(c).unwrap_or_else(|| panic!("chunk {c} of {table} in the index")).entry;
            (e.codec, e.stored_len, e.raw_len)
        })
        .collect()
}

/// Text that compresses well, a few MiB of it.
async fn compressible_db(cluster: &Cluster, prefix: &str) -> String {
    let db = cluster.fresh_database(prefix).await.unwrap();
    exec(
        &client(cluster, &db).await,
        "CREATE TABLE notes (id int PRIMARY KEY, body text, n numeric);
         INSERT INTO notes SELECT g, 'note ' || g || ' ' || repeat(md5((g % 97)::text), 1 + g % 5), g * 1.25
           FROM generate_series(1, 40000) g;",
    )
    .await;
    db
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compress_none_stores_raw_chunks_and_restores_identical_rows() {
    let cluster = shared();
    let db = compressible_db(cluster, "cmp_none").await;
    let dir = common::fast_tempdir();
    let root = dir.path().join("repo");
    let repo_arg = root.to_str().unwrap();
    common::pgkeep_ok(&["init", "--repo", repo_arg]);
    // The CLI's spelling (pg_dump 16's), end to end.
    let out = common::pgkeep_ok(&["backup", "--repo", repo_arg, "--compress", "none", "-d", &cluster.conninfo(&db)]);
    let repo = Repository::open(&root).unwrap();
    let id = repo.resolve_snapshot(out.trim(), None).unwrap();
    let snap = repo.load_snapshot(&id).unwrap();

    let entries = chunk_entries(&repo, &snap, "notes");
    assert!(!entries.is_empty());
    assert!(entries.iter().all(|(codec, stored, raw)| *codec == Codec::None && stored == raw), "{entries:?}");
    let notes = snap.tables.iter().find(|t| t.name == "notes").unwrap();
    assert_eq!(notes.new_stored_bytes, notes.raw_bytes, "raw chunks take exactly their size");

    // Readers need nothing new: verify reads every stored chunk, and a
    // restore brings back the same rows.
    let verified = common::pgkeep_ok(&["verify", "--repo", repo_arg, "--read-data"]);
    assert!(verified.contains("ok"), "{verified}");
    let target = restore_new(&repo, &id, cluster, "cmp_none_dst").await;
    assert_eq!(rows_hash(cluster, &target, "notes").await, rows_hash(cluster, &db, "notes").await);

    // A level outside zstd's range, or another method, is a usage error
    // that says what to write instead.
    for (value, says) in [("zstd:42", "1 to 19"), ("gzip:5", "none, zstd or zstd:LEVEL")] {
        let o = common::pgkeep(&["backup", "--repo", repo_arg, "--compress", value, "-d", &cluster.conninfo(&db)]);
        let err = common::stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains(says) && err.contains("--compress"), "{err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zstd_levels_change_the_stored_size() {
    let cluster = shared();
    let db = compressible_db(cluster, "cmp_levels").await;
    let mut stored = Vec::new();
    for compression in [Some(Compression::Zstd(Some(3))), Some(Compression::Zstd(Some(19))), Some(Compression::Zstd(None)), None] {
        let dir = common::fast_tempdir();
        let repo = new_repo(dir.path());
        let (_, snap) = backup(&repo, cluster, &db, compression).await;
        let entries = chunk_entries(&repo, &snap, "notes");
        assert!(entries.iter().all(|(codec, _, _)| *codec == Codec::Zstd), "{compression:?}: {entries:?}");
        stored.push(snap.totals.new_stored_bytes);
    }
    let [level3, level19, zstd, default] = stored[..] else { unreachable!() };
    assert!(level19 < level3, "zstd:19 stores {level19} bytes, zstd:3 {level3}");
    // `zstd` alone is the repository's level, which is also the default.
    assert_eq!(zstd, default);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_bytes_are_stored_raw_and_round_trip() {
    let cluster = shared();
    let db = cluster.fresh_database("cmp_random").await.unwrap();
    let c = client(cluster, &db).await;
    exec(&c, "CREATE TABLE blobs (id int PRIMARY KEY, b bytea); ALTER TABLE blobs ALTER b SET STORAGE EXTERNAL;").await;
    for i in 0..400 {
        let data = common::random_bytes(i, 8192);
        c.execute("INSERT INTO blobs VALUES ($1, $2)", &[&(i as i32), &data]).await.unwrap();
    }
    drop(c);
    for (level, prefix) in [(None, "cmp_random_dflt"), (Some(Compression::Zstd(Some(19))), "cmp_random_19")] {
        let dir = common::fast_tempdir();
        let repo = new_repo(dir.path());
        let (id, snap) = backup(&repo, cluster, &db, level).await;
        let blobs = snap.tables.iter().find(|t| t.name == "blobs").unwrap();
        assert!(blobs.raw_bytes > 3 << 20);
        // Stored raw: no zstd frame around bytes it cannot shrink.
        assert_eq!(blobs.new_stored_bytes, blobs.raw_bytes, "{level:?}: random bytes must not grow");
        let entries = chunk_entries(&repo, &snap, "blobs");
        assert!(entries.len() > 1, "{entries:?}");
        assert!(entries.iter().all(|(codec, stored, raw)| *codec == Codec::None && stored == raw), "{level:?}: {entries:?}");
        let target = restore_new(&repo, &id, cluster, prefix).await;
        assert_eq!(rows_hash(cluster, &target, "blobs").await, rows_hash(cluster, &db, "blobs").await);
    }
}
