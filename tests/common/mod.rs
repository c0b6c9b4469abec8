//! Helpers shared by the integration tests: repositories with small
//! chunks (tests/repo_*.rs), and the shared cluster, connections and
//! repositories of the backup and restore tests.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pgkeep::repo::snapshot::{Part, TableData};
use pgkeep::repo::{
    ChunkerParams, CompressionParams, Id, IndexedRepository, RepoConfig, Repository, Snapshot,
    StreamSummary,
};

/// Small chunks and the smallest allowed packs, so that little data makes
/// many chunks and several packs.
pub fn small_config() -> RepoConfig {
    config(1024, 4096, 16384)
}

/// Tiny chunks (for repositories of a few KB).
pub fn tiny_config() -> RepoConfig {
    config(256, 1024, 4096)
}

pub fn config(min: u32, avg: u32, max: u32) -> RepoConfig {
    RepoConfig::new(
        ChunkerParams {
            min_size: min,
            avg_size: avg,
            max_size: max,
            ..Default::default()
        },
        CompressionParams::default(),
        1 << 20,
    )
    .expect("valid test config")
}

/// A temporary directory, on tmpfs when the machine has one: the tests
/// that run thousands of checks pay for every fsync otherwise.
pub fn fast_tempdir() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        if let Ok(d) = tempfile::Builder::new()
            .prefix("pgkeep-test-")
            .tempdir_in(shm)
        {
            return d;
        }
    }
    tempfile::Builder::new()
        .prefix("pgkeep-test-")
        .tempdir()
        .expect("tempdir")
}

/// splitmix64: a tiny deterministic generator, so failures reproduce.
#[derive(Clone, Debug)]
pub struct SplitMix(pub u64);

impl SplitMix {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in 0..n (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo)
    }

    pub fn fill(&mut self, out: &mut [u8]) {
        for c in out.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            c.copy_from_slice(&v[..c.len()]);
        }
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut v = vec![0u8; n];
        self.fill(&mut v);
        v
    }
}

/// Incompressible bytes from a seed.
pub fn random_bytes(seed: u64, n: usize) -> Vec<u8> {
    SplitMix(seed).bytes(n)
}

/// Compressible, text-like bytes (COPY rows of a made-up table).
pub fn text_bytes(seed: u64, n: usize) -> Vec<u8> {
    let mut r = SplitMix(seed);
    let mut out = Vec::with_capacity(n + 64);
    let words = [
        "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta",
    ];
    while out.len() < n {
        let row = format!(
            "{}\t{}\t{}\t2024-0{}-1{} 12:00:00\n",
            r.below(1_000_000),
            words[r.below(8) as usize],
            words[r.below(8) as usize],
            1 + r.below(9),
            r.below(10)
        );
        out.extend_from_slice(row.as_bytes());
    }
    out.truncate(n);
    out
}

/// A snapshot whose tables are the given streams (one part each).
pub fn snapshot_of(label: &str, streams: &[(&str, &StreamSummary)]) -> Snapshot {
    Snapshot {
        time_start: pgkeep::manifest::Timestamp::now(),
        label: Some(label.to_string()),
        tables: streams
            .iter()
            .map(|(name, s)| TableData {
                name: name.to_string(),
                raw_bytes: s.raw_bytes,
                parts: vec![Part {
                    raw_bytes: s.raw_bytes,
                    chunks: s.chunks.clone(),
                    ..Part::default()
                }],
                ..TableData::default()
            })
            .collect(),
        ..Snapshot::default()
    }
}

/// Write `streams` (name, bytes) as one snapshot with `write_reader`.
pub fn put(repo: &Repository, label: &str, streams: &[(&str, &[u8])]) -> (Id, Vec<StreamSummary>) {
    let session = repo.begin_backup("test", 2).expect("begin_backup");
    let sums: Vec<StreamSummary> = streams
        .iter()
        .map(|(name, data)| session.write_reader(name, *data).expect("write_reader"))
        .collect();
    let named: Vec<(&str, &StreamSummary)> =
        streams.iter().map(|(n, _)| *n).zip(sums.iter()).collect();
    let id = session.commit(&snapshot_of(label, &named)).expect("commit");
    (id, sums)
}

/// Read a chunk list back whole.
pub fn read_chunks(
    ir: &IndexedRepository,
    chunks: &[Id],
    name: &str,
) -> pgkeep::repo::Result<Vec<u8>> {
    let mut out = Vec::new();
    ir.read_stream(chunks.to_vec(), name)
        .read_to_end(&mut out)
        .map_err(|e| pgkeep::repo::RepoError::WriterFailed(format!("read {name}: {e}")))?;
    Ok(out)
}

/// Every stream of every snapshot, read back: snapshot id → (stream → bytes).
pub fn read_everything(repo: &Repository) -> BTreeMap<Id, BTreeMap<String, Vec<u8>>> {
    let ir = repo.load_index().expect("load_index");
    let mut out = BTreeMap::new();
    for (id, snap) in repo.snapshots().expect("snapshots") {
        let mut m = BTreeMap::new();
        for t in &snap.tables {
            let mut data = Vec::new();
            for p in &t.parts {
                data.extend(read_chunks(&ir, &p.chunks, &t.name).expect("read back"));
            }
            m.insert(t.name.clone(), data);
        }
        out.insert(id, m);
    }
    out
}

/// Every regular file under `root`, sorted, with paths relative to it.
pub fn files_under(root: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("read_dir")
            .map(|e| e.expect("entry").path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, root, out);
            } else {
                out.push(p.strip_prefix(root).expect("under root").to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out
}

/// Every file under `root` with its bytes: compare two of these to prove
/// that nothing changed.
pub fn tree_state(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    files_under(root)
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(root.join(&p)).expect("read");
            (p, bytes)
        })
        .collect()
}

/// Paths (relative) of the files of one kind: "data", "index", "snapshots", "locks".
pub fn files_in(root: &Path, dir: &str) -> Vec<PathBuf> {
    files_under(root)
        .into_iter()
        .filter(|p| p.starts_with(dir))
        .collect()
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_pgkeep")
}

/// Run the binary to completion.
pub fn pgkeep(args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .env_remove("PGKEEP_REPO")
        .env("PGKEEP_LOG", "warn")
        .output()
        .expect("run pgkeep")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Run and require success; returns stdout.
#[track_caller]
pub fn pgkeep_ok(args: &[&str]) -> String {
    let o = pgkeep(args);
    assert!(
        o.status.success(),
        "pgkeep {args:?} failed ({:?})\nstdout:\n{}\nstderr:\n{}",
        o.status,
        stdout(&o),
        stderr(&o)
    );
    stdout(&o)
}

/// Run and require failure with exit code 1 and no panic; returns stderr.
#[track_caller]
pub fn pgkeep_fails(args: &[&str]) -> String {
    let o = pgkeep(args);
    let err = stderr(&o);
    assert_eq!(
        o.status.code(),
        Some(1),
        "pgkeep {args:?} should fail with exit code 1\nstdout:\n{}\nstderr:\n{err}",
        stdout(&o)
    );
    assert!(
        !err.contains("panicked"),
        "pgkeep {args:?} panicked:\n{err}"
    );
    err
}

/// Replace the envelope version byte of a sealed object and recompute its
/// trailing BLAKE3, so that only the version is wrong.
pub fn reseal_with_version(bytes: &[u8], version: u8) -> Vec<u8> {
    use pgkeep::repo::envelope::CHECKSUM_LEN;
    let mut b = bytes.to_vec();
    b[7] = version;
    let n = b.len() - CHECKSUM_LEN;
    let sum = blake3::hash(&b[..n]);
    b[n..].copy_from_slice(sum.as_bytes());
    b
}

/// Overwrite the content-addressed file `rel` (under `root`) with `bytes`,
/// renaming it to the BLAKE3 of the new bytes. Returns the new path.
pub fn replace_named_by_hash(root: &Path, rel: &Path, bytes: &[u8]) -> PathBuf {
    let old = root.join(rel);
    let name = Id::hash(bytes).to_hex();
    let dir = if rel.starts_with("data") {
        root.join("data").join(&name[..2])
    } else {
        old.parent().expect("parent").to_path_buf()
    };
    let new = dir.join(&name);
    std::fs::remove_file(&old).expect("remove old");
    std::fs::write(&new, bytes).expect("write new");
    new
}

/// Copy every file under `from` to `to` (directories included, empty ones too).
pub fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let dest = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            std::fs::create_dir_all(&dest).expect("mkdir");
            copy_tree(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), &dest).expect("copy");
        }
    }
}

/// The shared throwaway cluster of this test binary.
pub fn shared() -> &'static pgkeep_testing::pgcluster::Cluster {
    pgkeep_testing::pgcluster::shared().unwrap_or_else(|e| panic!("{e}"))
}

/// A resolved connection to `db` on `cluster`, as the CLI would make it.
pub fn conn(cluster: &pgkeep_testing::pgcluster::Cluster, db: &str) -> pgkeep::pg::conn::ResolvedConn {
    pgkeep::pg::conn::ConnSpec::parse(&cluster.conninfo(db)).unwrap().resolve(&pgkeep::pg::conn::process_env).unwrap()
}

/// A new repository under `dir` with 1 MiB packs.
pub fn new_repo(dir: &Path) -> Repository {
    Repository::init(&dir.join("repo"), RepoConfig::new(Default::default(), Default::default(), 1 << 20).unwrap()).unwrap()
}

pub async fn client(cluster: &pgkeep_testing::pgcluster::Cluster, db: &str) -> tokio_postgres::Client {
    cluster.connect(db).await.unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `sql`, panicking with the server's SQLSTATE and message.
pub async fn exec(c: &tokio_postgres::Client, sql: &str) {
    c.batch_execute(sql).await.unwrap_or_else(|e| match e.as_db_error() {
        Some(d) => panic!("{sql}: {}: {}", d.code().code(), d.message()),
        None => panic!("{sql}: {e}"),
    });
}
