//! Bad input gets a clear error that names the object, and costs nothing:
//! newer format versions, damaged or missing files, locks held by others,
//! wrong paths, ambiguous snapshot prefixes. Commands that fail leave the
//! repository exactly as it was, and what is intact still reads back.

mod common;

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use pgkeep::repo::check::{check, CheckOptions};
use pgkeep::repo::envelope::{self, Kind};
use pgkeep::repo::index::IndexFile;
use pgkeep::repo::{Id, RepoConfig, RepoError, Repository};

struct Fixture {
    dir: tempfile::TempDir,
    /// (snapshot id, streams) in the order written.
    snaps: Vec<(Id, BTreeMap<String, Vec<u8>>)>,
}

impl Fixture {
    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn arg(&self) -> String {
        self.root().display().to_string()
    }

    fn snapshot_file(&self, id: &Id) -> PathBuf {
        self.root().join("snapshots").join(id.to_hex())
    }

    /// `debug cat` of one stream; Ok(bytes) or Err(stderr).
    fn cat(&self, snap: &str, stream: &str) -> Result<Vec<u8>, String> {
        let o = pgkeep(&["debug", "cat", "--repo", &self.arg(), snap, stream]);
        if o.status.success() {
            Ok(o.stdout)
        } else {
            let err = stderr(&o);
            assert_eq!(o.status.code(), Some(1), "{err}");
            assert!(!err.contains("panicked"), "{err}");
            Err(err)
        }
    }

    /// Every stream of snapshot `k` reads back as written.
    fn assert_intact(&self, k: usize) {
        let (id, streams) = &self.snaps[k];
        for (name, data) in streams {
            let back = self
                .cat(&id.to_hex(), name)
                .unwrap_or_else(|e| panic!("snapshot {} stream {name}: {e}", id.short()));
            assert!(
                back == *data,
                "snapshot {} stream {name} differs",
                id.short()
            );
        }
    }
}

/// Two snapshots: "public.a" and "public.b" in the first, "public.a" (changed)
/// and "public.c" in the second; several packs.
fn fixture() -> Fixture {
    let dir = fast_tempdir();
    let repo = Repository::init(dir.path(), small_config()).expect("init");
    let a = random_bytes(1, 700_000);
    let b = text_bytes(2, 300_000);
    let mut a2 = a.clone();
    a2.splice(350_000..350_000, random_bytes(3, 5000));
    let c = random_bytes(4, 900_000);
    let mut snaps = Vec::new();
    for streams in [
        vec![("public.a", a), ("public.b", b)],
        vec![("public.a", a2), ("public.c", c)],
    ] {
        let refs: Vec<(&str, &[u8])> = streams.iter().map(|(n, d)| (*n, &d[..])).collect();
        let (id, _) = put(&repo, "fixture", &refs);
        snaps.push((
            id,
            streams
                .into_iter()
                .map(|(n, d)| (n.to_string(), d))
                .collect(),
        ));
    }
    Fixture { dir, snaps }
}

fn check_output(f: &Fixture, read_data: bool) -> (bool, String) {
    let mut args = vec!["check", "--repo"];
    let root = f.arg();
    args.push(&root);
    if read_data {
        args.push("--read-data");
    }
    let o = pgkeep(&args);
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    (o.status.success(), format!("{}{}", stdout(&o), stderr(&o)))
}

/// `prune` refuses and the repository is byte-for-byte unchanged.
fn assert_prune_refuses(f: &Fixture, expect: &[&str]) {
    let before = tree_state(f.root());
    for dry in [true, false] {
        let mut args = vec!["prune", "--repo"];
        let root = f.arg();
        args.push(&root);
        if dry {
            args.push("--dry-run");
        }
        let err = pgkeep_fails(&args);
        for e in expect {
            assert!(err.contains(e), "prune error lacks {e:?}: {err}");
        }
    }
    assert!(
        tree_state(f.root()) == before,
        "a refused prune changed the repository"
    );
}

#[test]
fn snapshot_of_newer_format_version_is_named() {
    let mut f = fixture();
    let (old_id, streams) = f.snaps[1].clone();
    let bytes = std::fs::read(f.snapshot_file(&old_id)).expect("read");
    let newer = reseal_with_version(&bytes, 2);
    let new_id = Id::hash(&newer);
    replace_named_by_hash(
        f.root(),
        &Path::new("snapshots").join(old_id.to_hex()),
        &newer,
    );
    f.snaps[1].0 = new_id;
    let short = new_id.short();

    let err = pgkeep_fails(&["snapshots", "--repo", &f.arg()]);
    for want in [short.as_str(), "version 2", "upgrade"] {
        assert!(err.contains(want), "snapshots: error lacks {want:?}: {err}");
    }
    let err = f
        .cat(&new_id.to_hex(), "public.c")
        .expect_err("cat of a newer snapshot");
    for want in [short.as_str(), "version 2", "upgrade"] {
        assert!(err.contains(want), "cat: error lacks {want:?}: {err}");
    }
    let (ok, out) = check_output(&f, false);
    assert!(!ok);
    assert!(
        out.lines().any(|l| l.starts_with("error:")
            && l.contains(&short)
            && l.contains("version 2")
            && l.contains("upgrade")),
        "check does not name the snapshot's version:\n{out}"
    );
    assert_prune_refuses(&f, &[&short, "version"]);
    // Nothing lost: the other snapshot reads back, and restoring the old
    // version byte brings this one back.
    f.assert_intact(0);
    std::fs::remove_file(f.snapshot_file(&new_id)).expect("remove");
    std::fs::write(f.snapshot_file(&old_id), &bytes).expect("restore");
    f.snaps[1] = (old_id, streams);
    f.assert_intact(1);
}

#[test]
fn config_of_newer_format_version_is_named() {
    let f = fixture();
    let path = f.root().join("config");
    let original = std::fs::read(&path).expect("read");
    // Once in the envelope's version byte, once in the config's own field.
    let mut cfg: RepoConfig =
        envelope::open_value(Kind::Config, &original, "config").expect("decode");
    cfg.version = 2;
    for (what, bytes) in [
        ("envelope", reseal_with_version(&original, 2)),
        ("payload", envelope::seal_value(Kind::Config, &cfg)),
    ] {
        std::fs::write(&path, &bytes).expect("write");
        let before = tree_state(f.root());
        let err = Repository::open(f.root())
            .err()
            .unwrap_or_else(|| panic!("{what}: open succeeded"));
        assert!(
            matches!(err, RepoError::UnsupportedVersion { found: 2, .. }),
            "{what}: {err:?}"
        );
        let root = f.arg();
        let id = f.snaps[0].0.to_hex();
        for args in [
            vec!["snapshots", "--repo", &root],
            vec!["check", "--repo", &root, "--read-data"],
            vec!["debug", "cat", "--repo", &root, &id, "public.a"],
            vec!["debug", "put", "--repo", &root, "/dev/null"],
            vec!["prune", "--repo", &root],
            vec!["rebuild-index", "--repo", &root],
        ] {
            let err = pgkeep_fails(&args);
            for want in ["config", "version 2", "upgrade"] {
                assert!(
                    err.contains(want),
                    "{what}: {args:?}: error lacks {want:?}: {err}"
                );
            }
        }
        assert!(
            tree_state(f.root()) == before,
            "{what}: a failed command changed the repository"
        );
    }
    std::fs::write(&path, &original).expect("restore");
    f.assert_intact(0);
    f.assert_intact(1);
}

#[test]
fn pack_of_newer_format_version_is_named() {
    let f = fixture();
    let root = f.root();
    let packs = files_in(root, "data");
    let victim = &packs[0];
    let bytes = std::fs::read(root.join(victim)).expect("read");
    let mut newer = bytes.clone();
    newer[8..10].copy_from_slice(&2u16.to_le_bytes());
    let old_id: Id = victim
        .file_name()
        .unwrap()
        .to_string_lossy()
        .parse()
        .expect("pack id");
    let new_path = replace_named_by_hash(root, victim, &newer);
    let new_id = Id::hash(&newer);
    // The index follows, so that only the version is wrong.
    for rel in files_in(root, "index") {
        let p = root.join(&rel);
        let mut file =
            IndexFile::decode(&std::fs::read(&p).expect("read"), "index").expect("decode");
        let mut changed = false;
        for pk in &mut file.packs {
            if pk.id == old_id {
                pk.id = new_id;
                changed = true;
            }
        }
        if changed {
            std::fs::remove_file(&p).expect("remove");
            let repo = Repository::open(root).expect("open");
            file.write(repo.backend().as_ref()).expect("write index");
        }
    }
    let rel = new_path.strip_prefix(root).unwrap().display().to_string();
    let repo = Repository::open(root).expect("open");
    for read_data in [false, true] {
        let report = check(
            &repo,
            &CheckOptions {
                read_data,
                threads: 1,
            },
        )
        .expect("check");
        assert!(
            report.problems.iter().any(|p| p.object.contains(&rel)
                && p.message.contains("version 2")
                && p.message.contains("upgrade")),
            "read_data {read_data}: {:?}",
            report.problems
        );
        let (ok, out) = check_output(&f, read_data);
        assert!(
            !ok && out.contains(&rel) && out.contains("upgrade"),
            "{out}"
        );
    }
}

#[test]
fn truncated_pack_is_named_and_other_data_still_reads() {
    let f = fixture();
    let root = f.root();
    let repo = Repository::open(root).expect("open");
    let ir = repo.load_index().expect("load_index");
    // The pack holding the most of the second snapshot's "public.c".
    let snap = repo.load_snapshot(&f.snaps[1].0).expect("snapshot");
    let c_chunks = &snap
        .tables
        .iter()
        .find(|t| t.name == "public.c")
        .unwrap()
        .parts[0]
        .chunks;
    let pack = ir
        .index
        .get(&c_chunks[c_chunks.len() / 2])
        .expect("indexed")
        .pack;
    drop(ir);
    let rel = PathBuf::from("data")
        .join(&pack.to_hex()[..2])
        .join(pack.to_hex());
    let path = root.join(&rel);
    let len = std::fs::metadata(&path).expect("stat").len();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .expect("open");
    file.set_len(len / 2).expect("truncate");
    drop(file);
    let rel_s = rel.display().to_string();

    let err = f
        .cat(&f.snaps[1].0.to_hex(), "public.c")
        .expect_err("cat through a truncated pack");
    assert!(err.contains(&rel_s) && err.contains("truncated"), "{err}");
    assert!(
        err.contains("public.c"),
        "the error does not say which stream: {err}"
    );
    for read_data in [false, true] {
        let (ok, out) = check_output(&f, read_data);
        assert!(!ok, "{out}");
        assert!(
            out.lines()
                .any(|l| l.starts_with("error:") && l.contains(&rel_s)),
            "check does not name the pack:\n{out}"
        );
    }
    // Streams with no chunk in that pack still read back.
    let ir = repo.load_index().expect("load_index");
    let mut intact = 0;
    for (id, streams) in &f.snaps {
        let s = repo.load_snapshot(id).expect("snapshot");
        for t in &s.tables {
            if t.parts[0]
                .chunks
                .iter()
                .all(|c| ir.index.get(c).unwrap().pack != pack)
            {
                assert!(f.cat(&id.to_hex(), &t.name).expect("cat") == streams[&t.name]);
                intact += 1;
            }
        }
    }
    drop(ir);
    assert!(
        intact > 0,
        "test setup: every stream touches the truncated pack"
    );
}

#[test]
fn flipped_byte_in_snapshot_is_named() {
    let f = fixture();
    let (id, _) = &f.snaps[1];
    let path = f.snapshot_file(id);
    let mut bytes = std::fs::read(&path).expect("read");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x10;
    std::fs::write(&path, &bytes).expect("write");
    let err = f
        .cat(&id.to_hex(), "public.a")
        .expect_err("cat of a damaged snapshot");
    assert!(
        err.contains(&format!("snapshot {}", id.short())) && err.contains("corrupt"),
        "{err}"
    );
    let (ok, out) = check_output(&f, true);
    assert!(
        !ok && out
            .lines()
            .any(|l| l.starts_with("error:") && l.contains(&id.short())),
        "{out}"
    );
    assert_prune_refuses(&f, &[&id.short()]);
    f.assert_intact(0);
}

#[test]
fn missing_index_is_reported_and_rebuilt() {
    let f = fixture();
    let root = f.root();
    for rel in files_in(root, "index") {
        std::fs::remove_file(root.join(rel)).expect("remove");
    }
    let err = f
        .cat(&f.snaps[0].0.to_hex(), "public.b")
        .expect_err("cat without index");
    assert!(
        err.contains("not in the repository index")
            && err.contains("public.b")
            && err.contains("rebuild-index"),
        "{err}"
    );
    let (ok, out) = check_output(&f, false);
    assert!(!ok);
    for (id, _) in &f.snaps {
        assert!(
            out.lines().any(|l| l.starts_with("error:")
                && l.contains(&id.short())
                && l.contains("not in the index")),
            "check does not report snapshot {}'s chunks:\n{out}",
            id.short()
        );
    }
    // With no index, every pack looks unreferenced: prune must not touch them.
    assert_prune_refuses(&f, &["not in the repository index", "prune refuses"]);
    let out = pgkeep_ok(&["rebuild-index", "--repo", &f.arg()]);
    assert!(out.contains("indexed"), "{out}");
    let (ok, out) = check_output(&f, true);
    assert!(ok, "{out}");
    f.assert_intact(0);
    f.assert_intact(1);
}

/// Reads lines from a child's stdout until one equals `want`.
fn wait_for_line(child: &mut std::process::Child, want: &str) {
    let out = child.stdout.as_mut().expect("piped stdout");
    let mut lines = std::io::BufReader::new(out).lines();
    loop {
        match lines.next() {
            Some(Ok(l)) if l.trim() == want => return,
            Some(Ok(_)) => continue,
            other => panic!("holder exited before printing {want:?}: {other:?}"),
        }
    }
}

fn hold_lock(f: &Fixture, exclusive: bool) -> std::process::Child {
    let mut args = vec![
        "debug".to_string(),
        "hold-lock".into(),
        "--repo".into(),
        f.arg(),
        "--seconds".into(),
        "30".into(),
    ];
    if exclusive {
        args.push("--exclusive".into());
    }
    let mut child = Command::new(bin())
        .args(&args)
        .env_remove("PGKEEP_REPO")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn hold-lock");
    wait_for_line(&mut child, "locked");
    child
}

#[test]
fn live_lock_blocks_with_its_holder_named_and_dead_lock_does_not() {
    let f = fixture();
    let input = f.dir.path().join("input.bin");
    std::fs::write(&input, random_bytes(9, 100_000)).expect("write input");
    let input = input.display().to_string();
    let root = f.arg();

    // Exclusive holder: writers, checks and prunes are refused, naming it.
    let mut holder = hold_lock(&f, true);
    let pid = holder.id().to_string();
    let before = tree_state(f.root());
    for args in [
        vec!["debug", "put", "--repo", &root, &input],
        vec!["check", "--repo", &root],
        vec!["prune", "--repo", &root],
    ] {
        let err = pgkeep_fails(&args);
        for want in ["locked", &format!("pid {pid}"), "debug hold-lock"] {
            assert!(err.contains(want), "{args:?}: error lacks {want:?}: {err}");
        }
    }
    assert!(
        tree_state(f.root()) == before,
        "refused commands changed the repository"
    );
    holder.kill().expect("kill holder");
    holder.wait().expect("reap holder");
    // Its lock file is still there, but its process is gone: stale.
    assert_eq!(
        files_in(f.root(), "locks").len(),
        1,
        "the killed holder's lock file should remain"
    );
    let id = pgkeep_ok(&["debug", "put", "--repo", &root, &input])
        .trim()
        .to_string();
    assert!(
        files_in(f.root(), "locks").is_empty(),
        "stale lock not removed"
    );
    assert!(f.cat(&id, &input).expect("cat") == std::fs::read(&input).unwrap());

    // Shared holder: writers go ahead, prune (exclusive) is refused.
    let mut holder = hold_lock(&f, false);
    let pid = holder.id().to_string();
    pgkeep_ok(&["debug", "put", "--repo", &root, &input]);
    let err = pgkeep_fails(&["prune", "--repo", &root]);
    assert!(
        err.contains("locked") && err.contains(&format!("pid {pid}")),
        "{err}"
    );
    holder.kill().expect("kill holder");
    holder.wait().expect("reap holder");
    pgkeep_ok(&["prune", "--repo", &root]);
    assert!(files_in(f.root(), "locks").is_empty());
    f.assert_intact(0);
    f.assert_intact(1);
}

/// Locks held only for an instant are released at once. (The lock
/// refresher once missed a stop request that came before its first wait,
/// and every release then hung for the 5-minute refresh interval.)
#[test]
fn short_lived_locks_release_promptly() {
    let f = fixture();
    let repo = Repository::open(f.root()).expect("open");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for i in 0..300 {
            let g = if i % 10 == 0 {
                repo.lock_exclusive("test")
            } else {
                repo.lock_shared("test")
            };
            drop(g.expect("lock"));
        }
        let _ = tx.send(());
    });
    // Not a timing assertion: 300 acquire/release pairs take well under a
    // second; 120 s without an answer means a release hung.
    rx.recv_timeout(Duration::from_secs(120))
        .expect("lock release hung (lost wakeup in the lock refresher?)");
    assert!(files_in(f.root(), "locks").is_empty());
}

#[test]
fn repository_path_that_is_a_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"precious").expect("write");
    let p = file.display().to_string();
    for args in [
        vec!["init", "--repo", &p],
        vec!["check", "--repo", &p],
        vec!["snapshots", "--repo", &p],
        vec!["debug", "put", "--repo", &p, "/dev/null"],
    ] {
        let err = pgkeep_fails(&args);
        assert!(
            err.contains(&p),
            "{args:?}: error does not name the path: {err}"
        );
        assert!(
            err.contains("is a file") || err.contains("not a directory"),
            "{args:?}: {err}"
        );
    }
    assert_eq!(std::fs::read(&file).unwrap(), b"precious");
}

#[test]
fn init_refuses_a_non_empty_directory_and_an_existing_repository() {
    let dir = tempfile::tempdir().expect("tempdir");
    let target = dir.path().join("stuff");
    std::fs::create_dir_all(target.join("sub")).expect("mkdir");
    std::fs::write(target.join("notes.txt"), b"keep me").expect("write");
    std::fs::write(target.join("sub/data"), b"and me").expect("write");
    let before = tree_state(&target);
    let p = target.display().to_string();
    let err = pgkeep_fails(&["init", "--repo", &p]);
    assert!(err.contains(&p) && err.contains("already holds"), "{err}");
    assert!(
        tree_state(&target) == before,
        "init touched a non-empty directory"
    );

    let f = fixture();
    let before = tree_state(f.root());
    let err = pgkeep_fails(&["init", "--repo", &f.arg()]);
    assert!(err.contains("already holds"), "{err}");
    assert!(
        tree_state(f.root()) == before,
        "init touched an existing repository"
    );
    f.assert_intact(0);
}

#[test]
fn missing_repository_says_to_run_init() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("nowhere").join("repo");
    let p = missing.display().to_string();
    for args in [
        vec!["check", "--repo", &p],
        vec!["snapshots", "--repo", &p],
        vec!["prune", "--repo", &p],
        vec!["debug", "put", "--repo", &p, "/dev/null"],
        vec!["debug", "cat", "--repo", &p, "latest", "x"],
    ] {
        let err = pgkeep_fails(&args);
        assert!(
            err.contains(&format!("no repository at {p}")) && err.contains("pgkeep init"),
            "{args:?}: {err}"
        );
    }
    assert!(
        !dir.path().join("nowhere").exists(),
        "a failed command created the directory"
    );
    // An empty directory is not a repository either.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    let err = pgkeep_fails(&["check", "--repo", &empty.display().to_string()]);
    assert!(err.contains("not a pgkeep repository"), "{err}");
}

#[test]
fn snapshot_prefix_ambiguous_or_not_found() {
    let dir = fast_tempdir();
    let repo = Repository::init(dir.path(), small_config()).expect("init");
    // Empty snapshots until two share their first hex digit (at most 17).
    let mut ids: Vec<Id> = Vec::new();
    let shared = loop {
        let (id, _) = put(&repo, &format!("s{}", ids.len()), &[("t", &b"x"[..])]);
        if let Some(prev) = ids.iter().find(|p| p.to_hex()[..1] == id.to_hex()[..1]) {
            let _ = prev;
            break id.to_hex()[..1].to_string();
        }
        ids.push(id);
    };
    let count = Repository::open(dir.path())
        .unwrap()
        .snapshots()
        .unwrap()
        .iter()
        .filter(|(i, _)| i.to_hex().starts_with(&shared))
        .count();
    let root = dir.path().display().to_string();
    let before = tree_state(dir.path());
    for args in [
        vec!["debug", "cat", "--repo", &root, &shared, "t"],
        vec!["forget", "--repo", &root, &shared],
    ] {
        let err = pgkeep_fails(&args);
        assert!(
            err.contains(&format!("{shared:?}"))
                && err.contains("ambiguous")
                && err.contains(&format!("{count} snapshots")),
            "{args:?}: {err}"
        );
    }
    assert!(
        tree_state(dir.path()) == before,
        "an ambiguous forget removed something"
    );
    assert!(matches!(
        repo.resolve_snapshot(&shared, None),
        Err(RepoError::AmbiguousSnapshot { .. })
    ));

    // A prefix no snapshot has, and text that is no prefix at all.
    let all: Vec<String> = repo
        .snapshots()
        .unwrap()
        .iter()
        .map(|(i, _)| i.to_hex())
        .collect();
    let absent = (0..16u8)
        .map(|d| format!("{:x}{}", d, "0".repeat(7)))
        .find(|p| !all.iter().any(|i| i.starts_with(p.as_str())))
        .expect("some prefix is free");
    for spec in [absent.as_str(), "xyz", ""] {
        let err = pgkeep_fails(&["debug", "cat", "--repo", &root, spec, "t"]);
        assert!(err.contains("no snapshot matches"), "{spec:?}: {err}");
        let err = pgkeep_fails(&["forget", "--repo", &root, spec]);
        assert!(err.contains("no snapshot matches"), "{spec:?}: {err}");
    }
    assert!(tree_state(dir.path()) == before);
    // A unique prefix works.
    let unique = all
        .iter()
        .find(|i| all.iter().filter(|j| j.starts_with(&i[..6])).count() == 1)
        .expect("a unique id");
    assert_eq!(
        pgkeep_ok(&["debug", "cat", "--repo", &root, &unique[..6], "t"]),
        "x"
    );
}

#[test]
fn prune_refuses_when_a_needed_chunk_is_missing_from_the_index() {
    let f = fixture();
    let root = f.root();
    // Something for prune to delete: the first snapshot, forgotten.
    let repo = Repository::open(root).expect("open");
    repo.forget(&[f.snaps[0].0]).expect("forget");
    let needed = repo.load_snapshot(&f.snaps[1].0).expect("snapshot");
    let victim = needed.tables[1].parts[0].chunks[3];
    let mut removed = false;
    for rel in files_in(root, "index") {
        let p = root.join(&rel);
        let mut file =
            IndexFile::decode(&std::fs::read(&p).expect("read"), "index").expect("decode");
        let n: usize = file.packs.iter().map(|pk| pk.chunks.len()).sum();
        for pk in &mut file.packs {
            pk.chunks.retain(|c| c.id != victim);
        }
        if file.packs.iter().map(|pk| pk.chunks.len()).sum::<usize>() != n {
            std::fs::remove_file(&p).expect("remove");
            file.write(repo.backend().as_ref()).expect("write");
            removed = true;
        }
    }
    assert!(removed);
    assert_prune_refuses(
        &f,
        &[&victim.to_hex(), &f.snaps[1].0.short(), "prune refuses"],
    );
    // The library says the same.
    let err =
        pgkeep::repo::prune::prune(&repo, &Default::default()).expect_err("prune must refuse");
    assert!(
        matches!(err, RepoError::ChunkNotIndexed { chunk, .. } if chunk == victim),
        "{err:?}"
    );
    // And after rebuild-index all is well again.
    pgkeep_ok(&["rebuild-index", "--repo", &f.arg()]);
    pgkeep_ok(&["prune", "--repo", &f.arg()]);
    f.assert_intact(1);
    let (ok, out) = check_output(&f, true);
    assert!(ok, "{out}");
}

/// Taking a lock while a prune finishes gets the lock or "locked", never
/// an I/O error, and the prune itself succeeds. Prune empties tmp/ at its
/// end (`LocalBackend::clean_tmp`), while other processes may be writing
/// their lock files through tmp/ at that very moment.
#[test]
fn lock_attempts_racing_a_prune_never_fail_with_io_errors() {
    use std::sync::atomic::{AtomicBool, Ordering};
    // A real disk: fsync takes long enough for the race to show.
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = Repository::init(dir.path(), small_config()).expect("init");
    put(&repo, "one", &[("t", &random_bytes(1, 50_000)[..])]);
    let done = AtomicBool::new(false);
    let ((prunes, prune_errors), lock_errors) = std::thread::scope(|s| {
        let pruner = s.spawn(|| {
            let (mut ok, mut errors) = (0, Vec::new());
            for _ in 0..300 {
                match pgkeep::repo::prune::prune(&repo, &Default::default()) {
                    Ok(_) => ok += 1,
                    Err(RepoError::Locked { .. }) => {}
                    Err(e) => errors.push(e.to_string()),
                }
            }
            done.store(true, Ordering::SeqCst);
            (ok, errors)
        });
        let locker = s.spawn(|| {
            let mut errors = Vec::new();
            while !done.load(Ordering::SeqCst) {
                match repo.lock_shared("test") {
                    Ok(g) => drop(g),
                    Err(RepoError::Locked { .. }) => {}
                    Err(e) => errors.push(e.to_string()),
                }
            }
            errors
        });
        (
            pruner.join().expect("pruner"),
            locker.join().expect("locker"),
        )
    });
    println!(
        "prunes completed: {prunes}, failed: {}; lock attempts failed: {}",
        prune_errors.len(),
        lock_errors.len()
    );
    assert!(prunes > 0);
    assert!(
        lock_errors.is_empty(),
        "{} lock attempts failed with I/O errors, e.g. {}",
        lock_errors.len(),
        lock_errors[0]
    );
    assert!(
        prune_errors.is_empty(),
        "{} prunes failed, e.g. {}",
        prune_errors.len(),
        prune_errors[0]
    );
    assert_eq!(read_everything(&repo).len(), 1);
}

/// Regression: a prune killed after writing its repacked packs (before the
/// new index) leaves them unindexed. The next prune writes the same bytes
/// under the same names and lists them in its new index; it must not then
/// delete them as "unindexed" (found by tests/repo_crash.rs, seed
/// 1592642302: "pack … is missing (listed in index file …)").
#[test]
fn prune_keeps_a_repacked_pack_a_killed_prune_left_unindexed() {
    use pgkeep::repo::prune::{prune, PruneOptions};
    let f = fixture();
    // Forget the first snapshot so that its packs become sparse.
    let first = f.snaps[0].0.to_hex();
    pgkeep_ok(&["forget", "--repo", &f.arg(), &first]);
    let opts = PruneOptions {
        dry_run: false,
        repack_threshold: 0.0,
        unindexed_grace: std::time::Duration::ZERO,
    };
    // What a prune would write, made on a copy of the repository.
    let copy = fast_tempdir();
    copy_tree(f.root(), copy.path());
    let before: std::collections::BTreeSet<PathBuf> = files_in(copy.path(), "data").into_iter().collect();
    let report = prune(&Repository::open(copy.path()).expect("open copy"), &opts).expect("prune the copy");
    assert!(report.packs_written > 0, "the fixture must need repacking: {report:?}");
    let written: Vec<PathBuf> = files_in(copy.path(), "data")
        .into_iter()
        .filter(|p| !before.contains(p))
        .collect();
    assert!(!written.is_empty());
    // Plant them in the original as a killed prune would have left them.
    for rel in &written {
        let dest = f.root().join(rel);
        std::fs::create_dir_all(dest.parent().expect("parent")).expect("mkdir");
        std::fs::copy(copy.path().join(rel), &dest).expect("copy pack");
    }
    prune(&Repository::open(f.root()).expect("open"), &opts).expect("prune after the planted packs");
    let report = check(
        &Repository::open(f.root()).expect("open"),
        &CheckOptions {
            read_data: true,
            threads: 2,
        },
    )
    .expect("check runs");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    f.assert_intact(1);
}

/// Seal `payload` as a snapshot and store it under its hash, as a hostile
/// writer with access to the repository could.
fn plant_snapshot(root: &Path, payload: &[u8]) -> Id {
    let bytes = envelope::seal(Kind::Snapshot, payload);
    let id = Id::hash(&bytes);
    std::fs::write(root.join("snapshots").join(id.to_hex()), &bytes).unwrap();
    id
}

/// Tiny manifests that declare huge arrays, strings, maps or binaries, or
/// decompress into a flood of empty structs, fail with an error naming the
/// file, without the reader allocating for what they declare (a 236-byte
/// manifest once made the decoder take 1.5 GB, a 1.9 KB one over 4 GB);
/// the intact snapshots still read.
#[test]
fn hostile_manifest_sizes_are_refused_without_allocating() {
    let f = fixture();
    let mut flood = vec![0x81, 0xa6];
    flood.extend_from_slice(b"tables");
    flood.extend_from_slice(&[0xdd, 0x02, 0x00, 0x00, 0x00]);
    flood.extend(std::iter::repeat_n(0x80u8, 32 << 20));
    let hostile: Vec<(&str, Vec<u8>)> = vec![
        ("array of 2^32-1 tables", [&[0x81, 0xa6][..], b"tables", &[0xdd, 0xff, 0xff, 0xff, 0xff, 0x80, 0x80]].concat()),
        ("string of 4 GiB", [&[0x81, 0xa5][..], b"label", &[0xdb, 0xff, 0xff, 0xff, 0xf0, b'x']].concat()),
        ("map of 2^32-1 entries", vec![0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, b'a', 0xc0]),
        ("binary of 4 GiB", [&[0x81, 0xa6][..], b"parent", &[0xc6, 0xff, 0xff, 0xff, 0xf0, 0]].concat()),
        ("32 MiB of empty structs in a few KiB", flood),
    ];
    for (what, payload) in hostile {
        let id = plant_snapshot(f.root(), &payload);
        let size = std::fs::metadata(f.snapshot_file(&id)).unwrap().len();
        assert!(size < 16 << 10, "{what}: the planted manifest is {size} bytes");
        let repo = Repository::open(f.root()).unwrap();
        let err = repo.load_snapshot(&id).expect_err(what).to_string();
        assert!(err.contains(&format!("snapshot {}", id.short())), "{what}: {err}");
        let shown = pgkeep(&["show", "--repo", &f.arg(), &id.to_hex()]);
        assert!(!shown.status.success(), "{what}");
        assert!(stderr(&shown).contains(&id.short()), "{what}: {}", stderr(&shown));
        std::fs::remove_file(f.snapshot_file(&id)).unwrap();
    }
    // No `pgkeep show` above (nor any child of this test binary) grew
    // anywhere near what the manifests declared.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid out pointer.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) };
    assert!(ru.ru_maxrss < 512 * 1024, "a child used {} KiB", ru.ru_maxrss);
    f.assert_intact(0);
    f.assert_intact(1);
}

/// A dead-looking pid proves nothing unless the lock comes from this host,
/// this boot and this pid namespace: two containers with one host name
/// once made a prune delete a running backup's packs. Locks without boot
/// id and namespace (pgkeep 0.1.0's) are judged by age only.
#[test]
fn lock_liveness_needs_host_boot_and_pid_namespace() {
    use pgkeep::repo::lock::{self, LockInfo};
    let now = chrono::Utc::now();
    let fresh = now.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let old = (now - chrono::TimeDelta::hours(2)).to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    // A pid that is not running here.
    let dead = {
        let mut c = Command::new("true").spawn().unwrap();
        let pid = c.id();
        c.wait().unwrap();
        pid
    };
    let here = LockInfo {
        hostname: lock::hostname(),
        pid: dead,
        boot_id: lock::boot_id(),
        pid_namespace: lock::pid_namespace(),
        created: fresh.clone(),
        refreshed: fresh.clone(),
        purpose: "backup".into(),
        ..LockInfo::default()
    };
    assert!(here.boot_id.is_some() && here.pid_namespace.is_some(), "this test needs Linux /proc");
    assert!(lock::is_stale(&here, now), "same host, boot and namespace, dead pid: stale");
    let other_container = LockInfo { pid_namespace: Some("pid:[1]".into()), ..here.clone() };
    assert!(!lock::is_stale(&other_container, now), "another pid namespace: the pid proves nothing");
    let other_boot = LockInfo { boot_id: Some("00000000-0000-0000-0000-000000000000".into()), ..here.clone() };
    assert!(!lock::is_stale(&other_boot, now), "another boot: the pid proves nothing");
    let old_format = LockInfo { boot_id: None, pid_namespace: None, ..here.clone() };
    assert!(!lock::is_stale(&old_format, now), "an old lock, refreshed just now, is alive");
    assert!(lock::is_stale(&LockInfo { refreshed: old.clone(), ..old_format.clone() }, now), "not refreshed for 2 h: stale");
    assert!(lock::is_stale(&LockInfo { refreshed: old, ..other_container.clone() }, now));

    // In a repository: a lock from "another container" blocks prune; the
    // old format still reads.
    let f = fixture();
    let bytes = envelope::seal_value(Kind::Lock, &other_container);
    std::fs::write(f.root().join("locks").join(Id::hash(&bytes).to_hex()), &bytes).unwrap();
    let err = pgkeep_fails(&["prune", "--repo", &f.arg()]);
    assert!(err.contains("locked"), "{err}");
    let shown = pgkeep_ok(&["unlock", "--repo", &f.arg()]);
    assert!(!shown.contains(&dead.to_string()), "unlock removed a live-looking lock: {shown}");
    std::fs::remove_file(f.root().join("locks").join(Id::hash(&bytes).to_hex())).unwrap();
    let old_bytes = envelope::seal_value(Kind::Lock, &old_format);
    let read: LockInfo = envelope::open_value(Kind::Lock, &old_bytes, "lock").unwrap();
    assert_eq!(read, old_format);
}

/// A backup whose lock was removed (a prune elsewhere took it for stale)
/// or whose packs are gone does not write its snapshot.
#[test]
fn writer_rechecks_its_lock_and_packs_before_committing() {
    let f = fixture();
    let repo = Repository::open(f.root()).unwrap();
    let before = repo.snapshots().unwrap().len();
    // Lock lost.
    let session = repo.begin_backup("test", 2).unwrap();
    let sum = session.write_reader("public.x", &random_bytes(9, 300_000)[..]).unwrap();
    for l in files_in(f.root(), "locks") {
        std::fs::remove_file(f.root().join(l)).unwrap();
    }
    let err = session.commit(&snapshot_of("lost lock", &[("public.x", &sum)])).unwrap_err();
    assert!(matches!(err, RepoError::LockLost { .. }), "{err}");
    // Packs gone.
    let packs_before: std::collections::BTreeSet<PathBuf> = files_in(f.root(), "data").into_iter().collect();
    let session = repo.begin_backup("test", 2).unwrap();
    let sum = session.write_reader("public.y", &random_bytes(10, 300_000)[..]).unwrap();
    let mut snap = snapshot_of("lost packs", &[("public.y", &sum)]);
    snap.tables[0].name = "y".into();
    // Enough data that full packs go out before the commit; then remove
    // them, as a prune that ignored the session's lock would.
    let _ = session.write_reader("public.z", &random_bytes(11, 2_000_000)[..]).unwrap();
    let new: Vec<PathBuf> = files_in(f.root(), "data").into_iter().filter(|p| !packs_before.contains(p)).collect();
    assert!(!new.is_empty(), "a full pack is written before the commit");
    for p in &new {
        std::fs::remove_file(f.root().join(p)).unwrap();
    }
    let err = session.commit(&snap).unwrap_err();
    assert!(matches!(err, RepoError::PackGone { .. } | RepoError::ChunkNotIndexed { .. }), "{err}");
    assert_eq!(repo.snapshots().unwrap().len(), before, "no snapshot was written");
}

/// Prune leaves unindexed packs younger than the grace period alone (a
/// running backup indexes its packs after writing them) and removes them
/// once they are older, or with no grace.
#[test]
fn prune_spares_young_unindexed_packs() {
    use pgkeep::repo::prune::{prune, PruneOptions};
    let f = fixture();
    // An unindexed pack, just written: one of another repository's.
    let other = fast_tempdir();
    let repo2 = Repository::init(other.path(), small_config()).unwrap();
    put(&repo2, "other", &[("public.o", &random_bytes(77, 400_000)[..])]);
    let rel = files_in(other.path(), "data").into_iter().next().unwrap();
    std::fs::copy(other.path().join(&rel), f.root().join(&rel)).unwrap();
    let repo = Repository::open(f.root()).unwrap();
    let r = prune(&repo, &PruneOptions::default()).unwrap();
    assert_eq!((r.unindexed_packs_deleted, r.unindexed_packs_spared), (0, 1), "{r:?}");
    assert!(f.root().join(&rel).exists());
    let out = pgkeep_ok(&["prune", "--unindexed-grace", "0s", "--repo", &f.arg()]);
    assert!(out.contains("1 unindexed removed"), "{out}");
    assert!(!f.root().join(&rel).exists());
    f.assert_intact(0);
    f.assert_intact(1);
}
