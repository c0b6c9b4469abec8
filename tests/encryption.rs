//! Encrypted repositories against a real PostgreSQL server: a backup and
//! restore round trip with equal rows, nothing of the data or the DDL in
//! the files, content ids that differ between repositories, key files
//! (add, passwd, remove), and every kind of bad input — no or wrong
//! password, missing key files, tampered files — failing with one clear
//! error and writing nothing.

mod common;
mod ddl_support;

use std::path::Path;

use common::{client, conn, exec, fast_tempdir, pgkeep, pgkeep_fails, pgkeep_ok, shared, stderr, tree_state};
use ddl_support::table_hashes;
use pgkeep::engine::backup::{self, BackupOptions};
use pgkeep::engine::restore::{self, RestoreOptions};
use pgkeep::progress::Silent;
use pgkeep::repo::crypto::{KdfParams, PasswordSource, Secret};
use pgkeep::repo::{FileType, Id, RepoConfig, RepoError, Repository};

/// Cheap Argon2id for tests; the default costs half a second a try.
const FAST: KdfParams = KdfParams { memory_kib: 256, iterations: 1, lanes: 1 };
const MARKER: &str = "MARKER-Wh1tcher-078051120";

fn password_file(dir: &Path, name: &str, password: &str) -> PasswordSource {
    let p = dir.join(name);
    std::fs::write(&p, format!("{password}\n")).unwrap();
    PasswordSource { password_file: Some(p), ..Default::default() }
}

fn config() -> RepoConfig {
    RepoConfig::new(Default::default(), Default::default(), 1 << 20).unwrap()
}

fn secret(s: &PasswordSource) -> Secret {
    s.secret().unwrap().unwrap()
}

/// A database with a table whose name, a column default and rows carry MARKER.
async fn marked_db(prefix: &str) -> String {
    let cluster = shared();
    let db = cluster.fresh_database(prefix).await.unwrap();
    let c = client(cluster, &db).await;
    exec(
        &c,
        &format!(
            "CREATE TABLE public.\"{MARKER}_t\" (id int PRIMARY KEY, note text DEFAULT '{MARKER}-default', n numeric); \
             INSERT INTO public.\"{MARKER}_t\" SELECT g, '{MARKER} row ' || g, g * 1.5 FROM generate_series(1, 20000) g; \
             CREATE VIEW public.v AS SELECT id, note FROM public.\"{MARKER}_t\" WHERE note LIKE '{MARKER}%';"
        ),
    )
    .await;
    db
}

async fn backup_db(repo: &Repository, db: &str) -> Id {
    backup::backup(repo, &conn(shared(), db), &BackupOptions::default(), &Silent).await.unwrap().0
}

fn any_file_contains(root: &Path, needle: &[u8]) -> bool {
    tree_state(root).values().any(|b| b.windows(needle.len()).any(|w| w == needle))
}

#[tokio::test(flavor = "multi_thread")]
async fn encrypted_round_trip_hides_the_data_and_keys_the_ids() {
    let cluster = shared();
    let dir = fast_tempdir();
    let db = marked_db("enc_src").await;
    let pw = password_file(dir.path(), "pw", "correct horse battery staple");

    let plain = Repository::init(&dir.path().join("plain"), config()).unwrap();

    let root = dir.path().join("enc");
    let enc = Repository::init_encrypted(&root, config(), &secret(&pw), FAST).unwrap();
    assert!(enc.is_encrypted());
    let id = backup_db(&enc, &db).await;
    // Nothing of the rows, the table name or the DDL in any file (a weak
    // check: zstd hides literals too; every file being sealed is checked in
    // files_of_an_encrypted_repository_are_sealed_and_private).
    assert!(!any_file_contains(&root, MARKER.as_bytes()));
    assert!(!any_file_contains(&root, b"CREATE TABLE"));

    // Reopened with the password: restore and compare rows.
    let reopened = Repository::open_with(&root, &pw).unwrap();
    let target = cluster.fresh_database("enc_dst").await.unwrap();
    restore::restore(&reopened, &id, &conn(cluster, &target), None, &RestoreOptions::default(), &Silent).await.unwrap();
    let want = table_hashes(&client(cluster, &db).await, Some("public")).await;
    assert_eq!(want, table_hashes(&client(cluster, &target).await, Some("public")).await);
    assert!(!want.is_empty());

    // Equal data: the same chunk ids unencrypted, different ones in two
    // encrypted repositories (keyed ids, seeded chunker). The second one
    // uses the other cipher, and round-trips too.
    assert_eq!(enc.config().encryption, "aes-256-gcm", "the default cipher");
    let mut xchacha = config();
    xchacha.encryption = "xchacha20-poly1305".into();
    let enc2 = Repository::init_encrypted(&dir.path().join("enc2"), xchacha, &secret(&pw), FAST).unwrap();
    let id2 = backup_db(&enc2, &db).await;
    let reopened2 = Repository::open_with(&dir.path().join("enc2"), &pw).unwrap();
    assert_eq!(reopened2.config().encryption, "xchacha20-poly1305");
    let target2 = cluster.fresh_database("enc_dst2").await.unwrap();
    restore::restore(&reopened2, &id2, &conn(cluster, &target2), None, &RestoreOptions::default(), &Silent).await.unwrap();
    assert_eq!(want, table_hashes(&client(cluster, &target2).await, Some("public")).await);
    let chunks = |r: &Repository, id: &Id| -> Vec<Id> {
        r.load_snapshot(id).unwrap().tables.iter().flat_map(|t| t.parts.iter().flat_map(|p| p.chunks.clone())).collect()
    };
    let (a, b) = (chunks(&enc, &id), chunks(&enc2, &id2));
    assert!(!a.is_empty() && a.iter().all(|x| !b.contains(x)), "chunk ids must not be shared between encrypted repositories");
    let plain2 = Repository::init(&dir.path().join("plain2"), config()).unwrap();
    let p1 = backup_db(&plain, &db).await;
    let p2 = backup_db(&plain2, &db).await;
    assert_eq!(chunks(&plain, &p1), chunks(&plain2, &p2));

    // verify --read-data and check pass on the encrypted repository.
    let report = pgkeep::engine::verify::verify(&reopened, &[id], &pgkeep::VerifyOptions { read_data: true, threads: 2 }).unwrap();
    assert!(report.is_ok(), "{report:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_secrets_fail_cleanly_and_write_nothing() {
    let dir = fast_tempdir();
    let db = marked_db("enc_bad").await;
    let pw = password_file(dir.path(), "pw", "right");
    let root = dir.path().join("repo");
    let repo = Repository::init_encrypted(&root, config(), &secret(&pw), FAST).unwrap();
    backup_db(&repo, &db).await;
    let before = tree_state(&root);

    let no_secret = PasswordSource { password_file: None, ..Default::default() };
    std::env::remove_var("PGKEEP_PASSWORD");
    let e = Repository::open_with(&root, &no_secret).err().unwrap();
    assert!(matches!(e, RepoError::KeyRequired { .. }), "{e}");
    assert!(e.to_string().contains("--password-file"), "{e}");

    let wrong = password_file(dir.path(), "wrong", "wrong");
    let e = Repository::open_with(&root, &wrong).err().unwrap();
    assert!(matches!(e, RepoError::WrongPassword { tried: 1, .. }), "{e}");
    assert_eq!(before, tree_state(&root), "a wrong password must write nothing (no lock, no key)");

    // The CLI says the same in one line, exit code 1.
    let root_s = root.to_str().unwrap();
    let wrong_s = dir.path().join("wrong");
    let err = pgkeep_fails(&["snapshots", "--repo", root_s, "--password-file", wrong_s.to_str().unwrap()]);
    assert!(err.contains("wrong password"), "{err}");
    let err = pgkeep_fails(&["verify", "--repo", root_s]);
    assert!(err.contains("is encrypted"), "{err}");
    assert_eq!(before, tree_state(&root));

    // A password file that is missing or empty is named.
    let missing = dir.path().join("nope");
    let err = pgkeep_fails(&["snapshots", "--repo", root_s, "--password-file", missing.to_str().unwrap()]);
    assert!(err.contains("nope"), "{err}");

    // Key files gone: a clear refusal.
    let keys: Vec<_> = std::fs::read_dir(root.join("keys")).unwrap().map(|e| e.unwrap().path()).collect();
    let saved: Vec<(std::path::PathBuf, Vec<u8>)> = keys.iter().map(|k| (k.clone(), std::fs::read(k).unwrap())).collect();
    for k in &keys {
        std::fs::remove_file(k).unwrap();
    }
    let e = Repository::open_with(&root, &pw).err().unwrap();
    assert!(matches!(e, RepoError::NoKeys { .. }), "{e}");
    for (k, b) in saved {
        std::fs::write(k, b).unwrap();
    }
    Repository::open_with(&root, &pw).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn tampering_anywhere_is_an_authentication_failure_naming_the_file() {
    let cluster = shared();
    let dir = fast_tempdir();
    let db = marked_db("enc_tamper").await;
    let pw = password_file(dir.path(), "pw", "pw");
    let root = dir.path().join("repo");
    let repo = Repository::init_encrypted(&root, config(), &secret(&pw), FAST).unwrap();
    let id = backup_db(&repo, &db).await;
    let flip = |p: &Path, at: usize| {
        let mut b = std::fs::read(p).unwrap();
        let at = at.min(b.len() - 1);
        b[at] ^= 0x40;
        std::fs::write(p, b).unwrap();
    };

    // A manifest: the snapshot cannot be loaded, and the error names it.
    let snap_file = root.join("snapshots").join(id.to_hex());
    let original = std::fs::read(&snap_file).unwrap();
    flip(&snap_file, 100);
    let e = Repository::open_with(&root, &pw).unwrap().load_snapshot(&id).unwrap_err().to_string();
    assert!(e.contains("failed authentication") && e.contains(&id.to_hex()[..8]), "{e}");
    std::fs::write(&snap_file, &original).unwrap();

    // A pack: verify names it; a restore into a live database in one
    // transaction leaves it as it was.
    let target = cluster.fresh_database("enc_tamper_dst").await.unwrap();
    let r = Repository::open_with(&root, &pw).unwrap();
    restore::restore(&r, &id, &conn(cluster, &target), None, &RestoreOptions::default(), &Silent).await.unwrap();
    let before = table_hashes(&client(cluster, &target).await, None).await;
    let packs: Vec<_> = common::files_in(&root, "data").into_iter().map(|p| root.join(p)).collect();
    let biggest = packs.iter().max_by_key(|p| std::fs::metadata(p).unwrap().len()).unwrap().clone();
    flip(&biggest, 5000);
    let report = pgkeep::engine::verify::verify(&r, &[id], &pgkeep::VerifyOptions { read_data: true, threads: 2 }).unwrap();
    assert!(!report.is_ok());
    let text = format!("{report:?}");
    let pack_name = biggest.file_name().unwrap().to_str().unwrap();
    assert!(text.contains("failed authentication") && text.contains(&pack_name[..8]), "{text}");
    let opts = RestoreOptions { clean: true, single_transaction: true, ..Default::default() };
    let e = restore::restore(&r, &id, &conn(cluster, &target), None, &opts, &Silent).await.unwrap_err().to_string();
    assert!(e.contains("failed authentication"), "{e}");
    assert_eq!(before, table_hashes(&client(cluster, &target).await, None).await, "the target must be unchanged");

    // A file moved under another file's name does not open either.
    let stolen = std::fs::read(&snap_file).unwrap();
    let index = root.join(&common::files_in(&root, "index")[0]);
    std::fs::write(&index, &stolen).unwrap();
    let e = Repository::open_with(&root, &pw).unwrap().load_index().err().unwrap().to_string();
    assert!(e.contains("failed authentication"), "{e}");
}

#[test]
fn key_files_are_added_changed_and_removed_without_touching_data() {
    let dir = fast_tempdir();
    let root = dir.path().join("repo");
    let root_s = root.to_str().unwrap().to_string();
    let file = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, format!("{text}\n")).unwrap();
        p.to_str().unwrap().to_string()
    };
    let (a, b, c) = (file("a", "alpha"), file("b", "bravo"), file("c", "charlie"));
    let kdf = ["--kdf-memory-mib", "1", "--kdf-iterations", "1"];
    let out = pgkeep_ok(&[&["init", "--repo", &root_s, "--encrypt", "--password-file", &a][..], &kdf[..]].concat());
    assert!(out.contains("created encrypted (aes-256-gcm) repository"), "{out}");
    let err = pgkeep_fails(&["init", "--repo", dir.path().join("r2").to_str().unwrap(), "--encrypt"]);
    assert!(err.contains("needs a password"), "{err}");
    let r3 = dir.path().join("r3");
    let out = pgkeep_ok(&[&["init", "--repo", r3.to_str().unwrap(), "--encrypt", "--cipher", "xchacha20-poly1305", "--password-file", &a][..], &kdf[..]].concat());
    assert!(out.contains("created encrypted (xchacha20-poly1305) repository"), "{out}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pgkeep"))
        .args(["init", "--repo", dir.path().join("r4").to_str().unwrap(), "--encrypt", "--cipher", "rot13", "--password-file", &a])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "a usage error: {err}");
    assert!(err.contains("unknown cipher \"rot13\"; one of: aes-256-gcm, xchacha20-poly1305"), "{err}");
    assert!(!dir.path().join("r4").exists());

    let data_before: Vec<_> = tree_state(&root).into_iter().filter(|(p, _)| !p.starts_with("keys")).collect();
    pgkeep_ok(&[&["key", "add", "--repo", &root_s, "--password-file", &a, "--new-password-file", &b][..], &kdf[..]].concat());
    let list = pgkeep_ok(&["key", "list", "--repo", &root_s, "--password-file", &b]);
    assert_eq!(list.lines().count(), 3, "{list}");
    assert_eq!(list.lines().filter(|l| l.starts_with('*')).count(), 1, "{list}");

    // passwd replaces the key that opened: a stops working, c works.
    pgkeep_ok(&[&["key", "passwd", "--repo", &root_s, "--password-file", &a, "--new-password-file", &c][..], &kdf[..]].concat());
    assert!(pgkeep_fails(&["snapshots", "--repo", &root_s, "--password-file", &a]).contains("wrong password"));
    pgkeep_ok(&["snapshots", "--repo", &root_s, "--password-file", &c]);

    // The key that opened cannot be removed; another can.
    let ids: Vec<String> = pgkeep_ok(&["key", "list", "--repo", &root_s, "--password-file", &c])
        .lines()
        .skip(1)
        .map(|l| l.trim_start_matches('*').split_whitespace().next().unwrap().to_string())
        .collect();
    let (mine, theirs): (Vec<_>, Vec<_>) = {
        let list = pgkeep_ok(&["key", "list", "--repo", &root_s, "--password-file", &c]);
        let current = list.lines().find(|l| l.starts_with('*')).unwrap().trim_start_matches('*').split_whitespace().next().unwrap().to_string();
        ids.into_iter().partition(|i| *i == current)
    };
    let err = pgkeep_fails(&["key", "remove", "--repo", &root_s, "--password-file", &c, &mine[0]]);
    assert!(err.contains("opened with"), "{err}");
    pgkeep_ok(&["key", "remove", "--repo", &root_s, "--password-file", &c, &theirs[0]]);
    assert!(pgkeep_fails(&["snapshots", "--repo", &root_s, "--password-file", &b]).contains("wrong password"));

    let data_after: Vec<_> = tree_state(&root).into_iter().filter(|(p, _)| !p.starts_with("keys")).collect();
    assert_eq!(data_before, data_after, "key commands rewrite no data");
    let o = pgkeep(&["key", "list", "--repo", &root_s]);
    assert!(stderr(&o).contains("is encrypted"));
}

#[test]
fn files_of_an_encrypted_repository_are_sealed_and_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = fast_tempdir();
    let pw = password_file(dir.path(), "pw", "pw");
    let root = dir.path().join("repo");
    let repo = Repository::init_encrypted(&root, config(), &secret(&pw), FAST).unwrap();
    common::put(&repo, "x", &[("s", MARKER.as_bytes())]);
    for (rel, bytes) in tree_state(&root) {
        let mode = std::fs::metadata(root.join(&rel)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", rel.display());
        if rel == Path::new("config") || rel.starts_with("keys") {
            continue;
        }
        assert_eq!(&bytes[..6], b"PGKSEA", "{} is not sealed", rel.display());
    }
    assert_eq!(repo.backend().list(FileType::Key).unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn copies_send_only_missing_chunks_between_any_two_repositories() {
    use pgkeep::engine::copy_snapshots::copy_snapshots;
    let cluster = shared();
    let dir = fast_tempdir();
    let db = marked_db("enc_copy").await;
    let plain = Repository::init(&dir.path().join("plain"), config()).unwrap();
    let first = backup_db(&plain, &db).await;
    exec(&client(cluster, &db).await, &format!("UPDATE public.\"{MARKER}_t\" SET n = n + 1 WHERE id <= 50")).await;
    let second = backup_db(&plain, &db).await;

    // plain -> encrypted: one snapshot, then the other in a second run.
    let pw = password_file(dir.path(), "pw", "target");
    let enc_root = dir.path().join("enc");
    let enc = Repository::init_encrypted(&enc_root, config(), &secret(&pw), FAST).unwrap();
    let r1 = copy_snapshots(&plain, &enc, &[first]).unwrap();
    assert_eq!(r1.copied.len(), 1);
    assert_eq!(r1.chunks_sent, r1.chunks_read);
    let r2 = copy_snapshots(&plain, &enc, &[first, second]).unwrap();
    assert_eq!(r2.already_there, vec![first]);
    assert_eq!(r2.copied.len(), 1);
    assert!(r2.chunks_sent < r2.chunks_read, "unchanged chunks are not sent again: {r2:?}");
    assert!(!any_file_contains(&enc_root, b"CREATE TABLE"));

    // The copy restores to the same rows, and records where it came from.
    let copied = r2.copied[0].1;
    let enc = Repository::open_with(&enc_root, &pw).unwrap();
    assert_eq!(enc.load_snapshot(&copied).unwrap().original, Some(second));
    let target = cluster.fresh_database("enc_copy_dst").await.unwrap();
    restore::restore(&enc, &copied, &conn(cluster, &target), None, &RestoreOptions::default(), &Silent).await.unwrap();
    assert_eq!(
        table_hashes(&client(cluster, &db).await, Some("public")).await,
        table_hashes(&client(cluster, &target).await, Some("public")).await
    );

    // encrypted -> encrypted under another key, through the CLI.
    let other_pw = password_file(dir.path(), "pw2", "other");
    let other_root = dir.path().join("other");
    Repository::init_encrypted(&other_root, config(), &secret(&other_pw), FAST).unwrap();
    let (from, to) = (enc_root.to_str().unwrap(), other_root.to_str().unwrap());
    let (pw_s, other_s) = (dir.path().join("pw"), dir.path().join("pw2"));
    let (pw_s, other_s) = (pw_s.to_str().unwrap(), other_s.to_str().unwrap());
    let out = pgkeep_ok(&["copy", "--all", "--from", from, "--to", to, "--from-password-file", pw_s, "--to-password-file", other_s]);
    assert!(out.contains("2 copied, 0 already there"), "{out}");
    let out = pgkeep_ok(&["copy", "--all", "--from", from, "--to", to, "--from-password-file", pw_s, "--to-password-file", other_s]);
    assert!(out.contains("0 copied, 2 already there"), "{out}");
    let err = pgkeep_fails(&["copy", "--all", "--from", from, "--to", to, "--from-password-file", other_s, "--to-password-file", other_s]);
    assert!(err.contains("wrong password"), "{err}");

    // A damaged source chunk stops the copy, names the pack, and leaves no
    // snapshot in the target.
    let third = Repository::init(&dir.path().join("third"), config()).unwrap();
    let pack = common::files_in(&dir.path().join("plain"), "data")[0].clone();
    let p = dir.path().join("plain").join(&pack);
    let mut b = std::fs::read(&p).unwrap();
    b[100] ^= 0xff;
    std::fs::write(&p, b).unwrap();
    let e = copy_snapshots(&plain, &third, &[first]).err().unwrap().to_string();
    assert!(e.contains(&pack.file_name().unwrap().to_str().unwrap()[..8]), "{e}");
    assert!(third.snapshots().unwrap().is_empty());
}
