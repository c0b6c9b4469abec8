//! Damage is found: `check --read-data` reports a flip of any single byte
//! of a repository, naming the damaged object (and chunk); truncated or
//! missing packs, missing index files and chunks missing from the index are
//! reported by name; `rebuild-index` repairs a lost index.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::*;
use pgkeep::repo::check::{check, CheckOptions, CheckReport};
use pgkeep::repo::index::IndexFile;
use pgkeep::repo::pack::{self, PackEntry};
use pgkeep::repo::{Id, Repository};

const READ_DATA: CheckOptions = CheckOptions {
    read_data: true,
    threads: 1,
};
const STRUCTURE: CheckOptions = CheckOptions {
    read_data: false,
    threads: 1,
};

struct Tiny {
    dir: tempfile::TempDir,
    /// What every snapshot must read back as.
    expected: BTreeMap<Id, BTreeMap<String, Vec<u8>>>,
}

impl Tiny {
    fn root(&self) -> &Path {
        self.dir.path()
    }
}

/// Two snapshots of a few small streams (incompressible and compressible,
/// so both chunk codecs occur), sharing some chunks: two packs, two index
/// files, two manifests and the config; about 9 KB in all.
fn tiny_repo() -> Tiny {
    let dir = fast_tempdir();
    let repo = Repository::init(dir.path(), tiny_config()).expect("init");
    let a = random_bytes(1, 2600);
    let b = text_bytes(2, 4000);
    let mut a2 = a.clone();
    a2[1300..1310].copy_from_slice(b"0123456789");
    a2.extend(random_bytes(3, 700));
    let c = text_bytes(4, 1500);
    put(
        &repo,
        "first",
        &[
            ("public.a", &a[..]),
            ("public.b", &b[..]),
            ("public.empty", &[][..]),
        ],
    );
    put(
        &repo,
        "second",
        &[("public.a", &a2[..]), ("public.c", &c[..])],
    );
    let expected = read_everything(&repo);
    let t = Tiny { dir, expected };
    let report = check(&repo, &READ_DATA).expect("check");
    assert!(
        report.is_ok() && report.warnings.is_empty(),
        "fresh repository not clean: {report:?}"
    );
    t
}

fn pack_rel(root: &Path) -> Vec<PathBuf> {
    files_in(root, "data")
}

fn mentions(report: &CheckReport, needle: &str) -> bool {
    report
        .problems
        .iter()
        .any(|p| p.object.contains(needle) || p.message.contains(needle))
}

fn describe(report: &CheckReport) -> String {
    let mut s = String::new();
    for p in &report.problems {
        s.push_str(&format!("  problem: {p}\n"));
    }
    for w in &report.warnings {
        s.push_str(&format!("  warning: {w}\n"));
    }
    s
}

#[derive(Default)]
struct FlipStats {
    total: usize,
    detected: usize,
    undetected: Vec<String>,
    per_kind: BTreeMap<String, (usize, usize)>,
    chunk_flips: usize,
    chunk_named: usize,
    chunk_harmless: usize,
    check_errors: usize,
}

/// Flip byte `i` of `rel` in the repository at `root`, see whether it is
/// detected (asserting that the report names the damaged object), restore.
fn flip_one(
    root: &Path,
    repo: &Repository,
    rel: &Path,
    original: &[u8],
    entries: &[PackEntry],
    i: usize,
    st: &mut FlipStats,
) {
    let path = root.join(rel);
    let kind = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy()
        .into_owned();
    let rel_s = rel.display().to_string();
    let mut damaged = original.to_vec();
    damaged[i] ^= 0x01;
    std::fs::write(&path, &damaged).expect("write");
    st.total += 1;
    st.per_kind.entry(kind.clone()).or_default().0 += 1;
    let found = if kind == "config" {
        // Opening reads and verifies the config; nothing can work without it.
        match Repository::open(root) {
            Ok(_) => false,
            Err(e) => {
                let msg = e.to_string();
                assert!(
                    msg.contains("config"),
                    "config flip at {i}: error does not name the config: {msg}"
                );
                true
            }
        }
    } else {
        match check(repo, &READ_DATA) {
            Err(e) => {
                st.check_errors += 1;
                eprintln!("check failed outright on flip of {rel_s} at {i}: {e}");
                true
            }
            Ok(report) if report.is_ok() => false,
            Ok(report) => {
                if kind == "data" {
                    assert!(
                        mentions(&report, &rel_s),
                        "flip of {rel_s} at {i}: no problem names the pack\n{}",
                        describe(&report)
                    );
                    if let Some(e) = entries
                        .iter()
                        .find(|e| (e.offset..e.offset + e.stored_len as u64).contains(&(i as u64)))
                    {
                        st.chunk_flips += 1;
                        if mentions(&report, &e.id.to_hex()) {
                            st.chunk_named += 1;
                        } else {
                            // Only acceptable when the damaged stored bytes still decode to the
                            // chunk (e.g. a flip in zstd's window-size field): the chunk is then
                            // intact, and the pack's hash still reports the damage.
                            let stored = &damaged
                                [e.offset as usize..(e.offset + e.stored_len as u64) as usize];
                            assert!(
                                pack::decode_blob(e, stored, &rel_s, pgkeep::repo::Id::hash).is_ok(),
                                "flip of {rel_s} at {i} damages chunk {} but no problem names it\n{}",
                                e.id,
                                describe(&report)
                            );
                            st.chunk_harmless += 1;
                        }
                    }
                } else {
                    let name = rel.file_name().unwrap().to_string_lossy().into_owned();
                    let needle = if kind == "snapshots" {
                        name[..8].to_string()
                    } else {
                        rel_s.clone()
                    };
                    assert!(
                        mentions(&report, &needle),
                        "flip of {rel_s} at {i}: no problem names it\n{}",
                        describe(&report)
                    );
                }
                true
            }
        }
    };
    if found {
        st.detected += 1;
        st.per_kind.get_mut(&kind).unwrap().1 += 1;
    } else {
        st.undetected.push(format!("{rel_s} byte {i}"));
    }
    std::fs::write(&path, original).expect("restore");
}

/// Flip every byte of every file, one at a time, and require `check
/// --read-data` (or, for the config, opening the repository) to notice.
/// Two workers, each on its own copy of the repository, share the flips.
#[test]
fn every_single_byte_flip_is_detected() {
    let t = tiny_repo();
    let root = t.root().to_path_buf();
    let files = files_under(&root);
    for dir in ["locks", "tmp"] {
        assert!(
            files_in(&root, dir).is_empty(),
            "{dir}/ is not empty at rest: {files:?}"
        );
    }
    for k in ["config", "index", "snapshots", "data"] {
        assert!(
            files.iter().any(|f| f.starts_with(k)),
            "no {k} file in the test repository: {files:?}"
        );
    }
    assert!(pack_rel(&root).len() >= 2, "expected at least two packs");
    let contents: Vec<(PathBuf, Vec<u8>, Vec<PackEntry>)> = files
        .iter()
        .map(|rel| {
            let bytes = std::fs::read(root.join(rel)).expect("read");
            let entries = if rel.starts_with("data") {
                pack::parse_pack(&bytes, "pack").expect("pristine pack parses")
            } else {
                Vec::new()
            };
            (rel.clone(), bytes, entries)
        })
        .collect();
    let flips: Vec<(usize, usize)> = contents
        .iter()
        .enumerate()
        .flat_map(|(f, (_, bytes, _))| (0..bytes.len()).map(move |i| (f, i)))
        .collect();

    const WORKERS: usize = 2;
    let copies: Vec<tempfile::TempDir> = (0..WORKERS)
        .map(|_| {
            let d = fast_tempdir();
            copy_tree(&root, d.path());
            d
        })
        .collect();
    let results: Vec<FlipStats> = std::thread::scope(|s| {
        let handles: Vec<_> = copies
            .iter()
            .enumerate()
            .map(|(w, copy)| {
                let (contents, flips, expected) = (&contents, &flips, &t.expected);
                s.spawn(move || {
                    let repo = Repository::open(copy.path()).expect("open copy");
                    let mut st = FlipStats::default();
                    for &(f, i) in flips.iter().skip(w).step_by(WORKERS) {
                        let (rel, bytes, entries) = &contents[f];
                        flip_one(copy.path(), &repo, rel, bytes, entries, i, &mut st);
                    }
                    // Everything restored: clean again, and every stream as written.
                    let report = check(&repo, &READ_DATA).expect("check");
                    assert!(report.is_ok(), "{}", describe(&report));
                    assert_eq!(read_everything(&repo), *expected);
                    st
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("flip worker"))
            .collect()
    });
    let mut st = FlipStats::default();
    for r in results {
        st.total += r.total;
        st.detected += r.detected;
        st.undetected.extend(r.undetected);
        for (k, (n, d)) in r.per_kind {
            let e = st.per_kind.entry(k).or_default();
            e.0 += n;
            e.1 += d;
        }
        st.chunk_flips += r.chunk_flips;
        st.chunk_named += r.chunk_named;
        st.chunk_harmless += r.chunk_harmless;
        st.check_errors += r.check_errors;
    }
    println!(
        "byte flips detected: {} / {} ({:.1} %) in {} files",
        st.detected,
        st.total,
        100.0 * st.detected as f64 / st.total as f64,
        files.len()
    );
    for (k, (n, d)) in &st.per_kind {
        println!("  {k}: {d} / {n}");
    }
    println!(
        "  flips inside chunk data: {}, chunk named: {}, chunk still intact (only the pack reported): {}; check errors: {}",
        st.chunk_flips, st.chunk_named, st.chunk_harmless, st.check_errors
    );
    assert!(
        st.undetected.is_empty(),
        "{} flips not detected, e.g. {:?}",
        st.undetected.len(),
        &st.undetected[..st.undetected.len().min(20)]
    );
    assert_eq!(st.total, flips.len());
    assert_eq!(st.detected, st.total);
    assert!(
        st.total > 4_000,
        "repository unexpectedly small: {} bytes",
        st.total
    );
    assert!(st.chunk_named > 0);
}

#[test]
fn truncated_packs_are_named() {
    let t = tiny_repo();
    let root = t.root();
    let repo = Repository::open(root).expect("open");
    for rel in pack_rel(root) {
        let path = root.join(&rel);
        let original = std::fs::read(&path).expect("read");
        let rel_s = rel.display().to_string();
        let len = original.len();
        for cut in [
            0,
            1,
            pack::HEADER_LEN,
            len / 2,
            len - pack::FOOTER_LEN,
            len - 1,
        ] {
            std::fs::write(&path, &original[..cut]).expect("truncate");
            for opts in [&READ_DATA, &STRUCTURE] {
                let report = check(&repo, opts).expect("check");
                assert!(
                    mentions(&report, &rel_s),
                    "{rel_s} truncated to {cut} of {len} bytes (read_data {}): not reported by name\n{}",
                    opts.read_data,
                    describe(&report)
                );
                assert!(
                    report
                        .problems
                        .iter()
                        .any(|p| p.message.contains(&format!("{cut} bytes"))
                            || p.message.contains("truncated")),
                    "truncation to {cut} not described\n{}",
                    describe(&report)
                );
            }
        }
        std::fs::write(&path, &original).expect("restore");
    }
    assert!(check(&repo, &READ_DATA).expect("check").is_ok());
}

#[test]
fn deleted_pack_is_named() {
    let t = tiny_repo();
    let root = t.root();
    let repo = Repository::open(root).expect("open");
    for rel in pack_rel(root) {
        let path = root.join(&rel);
        let original = std::fs::read(&path).expect("read");
        std::fs::remove_file(&path).expect("remove");
        let rel_s = rel.display().to_string();
        for opts in [&READ_DATA, &STRUCTURE] {
            let report = check(&repo, opts).expect("check");
            assert!(
                report
                    .problems
                    .iter()
                    .any(|p| p.object.contains(&rel_s) && p.message.contains("missing")),
                "deleted {rel_s} not reported as missing\n{}",
                describe(&report)
            );
        }
        std::fs::write(&path, &original).expect("restore");
    }
    assert!(check(&repo, &READ_DATA).expect("check").is_ok());
}

/// The ids of every chunk each snapshot names, by short snapshot id.
fn snapshot_chunks(repo: &Repository) -> Vec<(String, Vec<Id>)> {
    repo.snapshots()
        .expect("snapshots")
        .into_iter()
        .map(|(id, s)| (id.short(), s.chunk_refs().map(|(_, c)| *c).collect()))
        .collect()
}

#[test]
fn deleted_index_file_is_reported_and_rebuild_index_repairs_it() {
    let t = tiny_repo();
    let root = t.root();
    let repo = Repository::open(root).expect("open");
    let index_files = files_in(root, "index");
    assert_eq!(index_files.len(), 2);
    let snaps = snapshot_chunks(&repo);
    // Delete the index file of the first backup: the chunks only it lists
    // are lost to the index (the packs still hold them).
    for victim in &index_files {
        let path = root.join(victim);
        let original = std::fs::read(&path).expect("read");
        let listed: Vec<Id> = IndexFile::decode(&original, "x")
            .expect("decode")
            .packs
            .iter()
            .flat_map(|p| p.chunks.iter().map(|c| c.id))
            .collect();
        std::fs::remove_file(&path).expect("remove");
        let remaining = repo.load_index().expect("load_index");
        let lost: Vec<Id> = listed
            .iter()
            .filter(|c| !remaining.index.contains(c))
            .copied()
            .collect();
        drop(remaining);
        assert!(!lost.is_empty());
        for opts in [&READ_DATA, &STRUCTURE] {
            let report = check(&repo, opts).expect("check");
            assert!(!report.is_ok());
            for (snap, chunks) in &snaps {
                for c in chunks.iter().filter(|c| lost.contains(c)) {
                    assert!(
                        report
                            .problems
                            .iter()
                            .any(|p| p.object.contains(snap.as_str())
                                && p.message.contains(&c.to_hex())
                                && p.message.contains("not in the index")),
                        "snapshot {snap}: lost chunk {c} not reported\n{}",
                        describe(&report)
                    );
                }
            }
            assert!(
                report
                    .warnings
                    .iter()
                    .any(|w| w.contains("not in any index")),
                "the orphaned pack is not mentioned\n{}",
                describe(&report)
            );
        }
        std::fs::write(&path, &original).expect("restore");
    }

    // Now lose both, and rebuild from the packs alone.
    for f in &index_files {
        std::fs::remove_file(root.join(f)).expect("remove");
    }
    assert!(!check(&repo, &STRUCTURE).expect("check").is_ok());
    let rebuilt = repo.rebuild_index().expect("rebuild_index");
    assert!(rebuilt.unreadable.is_empty(), "{:?}", rebuilt.unreadable);
    assert_eq!(rebuilt.packs_indexed, pack_rel(root).len());
    let report = check(&repo, &READ_DATA).expect("check");
    assert!(
        report.is_ok() && report.warnings.is_empty(),
        "after rebuild-index:\n{}",
        describe(&report)
    );
    assert_eq!(read_everything(&repo), t.expected);
}

/// An index rewritten without one chunk a snapshot needs: check names the
/// snapshot and the chunk (and the pack whose table now differs).
#[test]
fn chunk_missing_from_index_is_named() {
    let t = tiny_repo();
    let root = t.root();
    let repo = Repository::open(root).expect("open");
    let snaps = snapshot_chunks(&repo);
    let (snap, chunks) = &snaps[0];
    let victim = chunks[chunks.len() / 2];
    let mut done = false;
    for rel in files_in(root, "index") {
        let path = root.join(&rel);
        let mut file =
            IndexFile::decode(&std::fs::read(&path).expect("read"), "x").expect("decode");
        let mut pack_id = None;
        for p in &mut file.packs {
            if let Some(pos) = p.chunks.iter().position(|c| c.id == victim) {
                p.chunks.remove(pos);
                pack_id = Some(p.id);
            }
        }
        if let Some(pack_id) = pack_id {
            std::fs::remove_file(&path).expect("remove");
            file.write(repo.backend().as_ref()).expect("write index");
            done = true;
            for opts in [&READ_DATA, &STRUCTURE] {
                let report = check(&repo, opts).expect("check");
                assert!(
                    report
                        .problems
                        .iter()
                        .any(|p| p.object.contains(snap.as_str())
                            && p.message.contains(&victim.to_hex())
                            && p.message.contains("not in the index")),
                    "missing chunk {victim} of snapshot {snap} not reported\n{}",
                    describe(&report)
                );
                assert!(
                    mentions(&report, &pack_id.to_hex()),
                    "the pack whose table no longer matches the index is not named\n{}",
                    describe(&report)
                );
            }
        }
    }
    assert!(done, "victim chunk not found in any index file");
    // The data is still there: rebuild-index brings it back.
    repo.rebuild_index().expect("rebuild_index");
    assert!(check(&repo, &READ_DATA).expect("check").is_ok());
    assert_eq!(read_everything(&repo), t.expected);
}
