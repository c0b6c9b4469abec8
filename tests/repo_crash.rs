//! Crash safety: writers (`debug put`) and garbage collection (`prune`)
//! killed with SIGKILL at random points, many times over. After every
//! kill the next command runs without `unlock` (the dead process's lock is
//! stale), `check --read-data` finds no error, and every surviving
//! snapshot reads back bit-exact through `debug cat`.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use pgkeep::repo::Repository;

const ITERATIONS: usize = 44;
const SEGMENT: usize = 256 * 1024;
const POOL: usize = 16;

struct World {
    repo: PathBuf,
    inputs: PathBuf,
    rng: SplitMix,
    /// Segments that inputs share, so that they deduplicate.
    pool: Vec<Vec<u8>>,
    next_file: usize,
    /// Every input file (by the path given on the command line): its bytes.
    files: BTreeMap<String, Vec<u8>>,
    /// Snapshots that completed and were not forgotten: they must survive.
    must_survive: BTreeSet<String>,
    /// How long uninterrupted puts took: kills are timed within that, so
    /// that most land while the process is at work, however fast or loaded
    /// the machine is.
    put_ms: Vec<u64>,
    /// How long the prunes that finished before their kill took.
    prune_ms: Vec<u64>,
}

/// Median, clamped to [20, 1000] ms; `default` while nothing was measured.
fn typical_ms(v: &[u64], default: u64) -> u64 {
    if v.is_empty() {
        return default;
    }
    let mut v = v.to_vec();
    v.sort_unstable();
    v[v.len() / 2].clamp(20, 1000)
}

#[derive(Default, Debug)]
struct Counts {
    put_kills: usize,
    put_interrupted: usize,
    put_interrupted_after_writing: usize,
    put_finished: usize,
    killed_put_left_snapshot: usize,
    prune_kills: usize,
    prune_interrupted: usize,
    prune_interrupted_after_writing: usize,
    prune_finished: usize,
    stale_locks_seen: usize,
    unindexed_pack_warnings: usize,
    streams_verified: usize,
}

impl World {
    fn repo_arg(&self) -> String {
        self.repo.display().to_string()
    }

    /// A new input file: segments from the shared pool mixed with fresh
    /// random ones.
    fn new_input(&mut self) -> String {
        let n = self.rng.range(12, 24) as usize;
        let mut data = Vec::with_capacity(n * SEGMENT);
        for _ in 0..n {
            if self.rng.below(5) < 2 {
                let k = self.rng.below(POOL as u64) as usize;
                data.extend_from_slice(&self.pool[k]);
            } else {
                let seed = self.rng.next_u64();
                data.extend(random_bytes(seed, SEGMENT));
            }
        }
        // An odd length, so streams do not all end on a segment boundary.
        data.truncate(data.len() - self.rng.below(SEGMENT as u64 / 2) as usize);
        let path = self.inputs.join(format!("input-{:03}.bin", self.next_file));
        self.next_file += 1;
        std::fs::write(&path, &data).expect("write input");
        let name = path.display().to_string();
        self.files.insert(name.clone(), data);
        name
    }

    fn put_args(&mut self) -> Vec<String> {
        let mut args = vec![
            "debug".into(),
            "put".into(),
            "--repo".into(),
            self.repo_arg(),
        ];
        for _ in 0..3 {
            args.push(self.new_input());
        }
        args
    }

    /// A put that must succeed; its snapshot must survive until forgotten.
    fn good_put(&mut self) -> String {
        let args = self.put_args();
        let args: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        let started = Instant::now();
        let id = pgkeep_ok(&args).trim().to_string();
        self.put_ms.push(started.elapsed().as_millis() as u64);
        assert_eq!(id.len(), 64, "put printed {id:?}");
        self.must_survive.insert(id.clone());
        id
    }

    fn snapshot_ids(&self) -> Vec<String> {
        let out = pgkeep_ok(&["snapshots", "--repo", &self.repo_arg(), "--json"]);
        let v: serde_json::Value = serde_json::from_str(&out).expect("snapshots --json");
        v.as_array()
            .expect("array")
            .iter()
            .map(|s| s["id"].as_str().expect("id").to_string())
            .collect()
    }

    /// Files in data/ and tmp/: what a writer has produced so far.
    fn written_state(&self) -> BTreeSet<PathBuf> {
        files_under(&self.repo)
            .into_iter()
            .filter(|p| p.starts_with("data") || p.starts_with("tmp") || p.starts_with("index"))
            .collect()
    }
}

struct Outcome {
    interrupted: bool,
    stdout: String,
}

/// Start pgkeep, and kill it (SIGKILL) after `delay` unless it finished.
/// A run that finished must have succeeded.
fn run_and_kill(args: &[String], delay: Duration) -> Outcome {
    let mut child = Command::new(bin())
        .args(args)
        .env_remove("PGKEEP_REPO")
        .env("PGKEEP_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn pgkeep");
    let deadline = Instant::now() + delay;
    loop {
        if child.try_wait().expect("try_wait").is_some() {
            let out = child.wait_with_output().expect("output");
            assert!(
                out.status.success(),
                "pgkeep {args:?} failed on its own:\nstdout:\n{}\nstderr:\n{}",
                stdout(&out),
                stderr(&out)
            );
            return Outcome {
                interrupted: false,
                stdout: stdout(&out),
            };
        }
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        std::thread::sleep((deadline - now).min(Duration::from_millis(5)));
    }
    child.kill().expect("kill"); // SIGKILL
                                 // Reap it: only then is its pid gone, which is what makes its lock stale.
    let _ = child.wait().expect("wait");
    Outcome {
        interrupted: true,
        stdout: String::new(),
    }
}

/// The repository must be sound and every snapshot complete. Input files
/// no snapshot refers to any more are dropped.
fn verify(w: &mut World, counts: &mut Counts, context: &str) {
    let locks = files_in(&w.repo, "locks").len();
    counts.stale_locks_seen += locks;
    // No `unlock` first: a dead process's lock must not block anyone.
    let out = pgkeep(&["check", "--repo", &w.repo_arg(), "--read-data"]);
    assert!(
        out.status.success(),
        "{context}: check --read-data failed ({} lock files were left)\nstdout:\n{}\nstderr:\n{}",
        locks,
        stdout(&out),
        stderr(&out)
    );
    let text = stdout(&out);
    for line in text.lines().filter(|l| l.starts_with("warning:")) {
        assert!(
            line.contains("not in any index") || line.contains("stale lock"),
            "{context}: unexpected warning: {line}"
        );
        if line.contains("not in any index") {
            counts.unindexed_pack_warnings += 1;
        }
    }

    let ids = w.snapshot_ids();
    for id in &w.must_survive {
        assert!(
            ids.contains(id),
            "{context}: completed snapshot {id} is gone"
        );
    }
    let repo = Repository::open(&w.repo).expect("open");
    let mut referenced = BTreeSet::new();
    for id in &ids {
        let snap = repo
            .load_snapshot(&id.parse().expect("id"))
            .expect("load snapshot");
        assert!(!snap.tables.is_empty());
        for t in &snap.tables {
            let expected = w.files.get(&t.name).unwrap_or_else(|| {
                panic!("{context}: snapshot {id} has unknown stream {}", t.name)
            });
            let out = Command::new(bin())
                .args(["debug", "cat", "--repo", &w.repo_arg(), id, &t.name])
                .env_remove("PGKEEP_REPO")
                .output()
                .expect("cat");
            assert!(
                out.status.success(),
                "{context}: cat {id} {} failed: {}",
                t.name,
                stderr(&out)
            );
            assert!(
                out.stdout == *expected,
                "{context}: snapshot {id} stream {} reads back {} bytes, the file has {}: content differs",
                t.name,
                out.stdout.len(),
                expected.len()
            );
            counts.streams_verified += 1;
            referenced.insert(t.name.clone());
        }
    }
    let unused: Vec<String> = w
        .files
        .keys()
        .filter(|f| !referenced.contains(*f))
        .cloned()
        .collect();
    for f in unused {
        w.files.remove(&f);
        std::fs::remove_file(&f).expect("remove input");
    }
}

#[test]
fn killed_writers_and_prunes_lose_nothing() {
    let seed: u64 = std::env::var("PGKEEP_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_cafe);
    println!("seed {seed} (set PGKEEP_CRASH_SEED to replay)");
    // A real disk, not tmpfs: writes and fsyncs take the time they take.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rng = SplitMix(seed);
    let pool = (0..POOL)
        .map(|_| random_bytes(rng.next_u64(), SEGMENT))
        .collect();
    let mut w = World {
        repo: dir.path().join("repo"),
        inputs: dir.path().join("inputs"),
        rng,
        pool,
        next_file: 0,
        files: BTreeMap::new(),
        must_survive: BTreeSet::new(),
        put_ms: Vec::new(),
        prune_ms: Vec::new(),
    };
    std::fs::create_dir(&w.inputs).expect("mkdir");
    pgkeep_ok(&[
        "init",
        "--repo",
        &w.repo_arg(),
        "--chunk-avg-kib",
        "64",
        "--pack-size-mib",
        "1",
    ]);
    w.good_put();
    let mut counts = Counts::default();

    for it in 0..ITERATIONS {
        let prune = w.rng.below(5) < 2;
        // Uniform over 0..the median duration of the uninterrupted runs of
        // that kind (300 ms until one finished). Durations vary enough
        // that some kills still land in a run's last steps; the longest
        // run as the bound let most kills land after a fast prune had
        // finished (prunes take 20–50 ms here).
        let typical = if prune { typical_ms(&w.prune_ms, 300) } else { typical_ms(&w.put_ms, 300) };
        let delay = Duration::from_millis(w.rng.below(typical + 1));
        let context;
        if !prune {
            context = format!("iteration {it}: put killed after {delay:?}");
            let args = w.put_args();
            let before = w.written_state();
            let out = run_and_kill(&args, delay);
            counts.put_kills += 1;
            if out.interrupted {
                counts.put_interrupted += 1;
                if w.written_state() != before {
                    counts.put_interrupted_after_writing += 1;
                }
            } else {
                counts.put_finished += 1;
                let id = out.stdout.trim().to_string();
                w.must_survive.insert(id);
            }
        } else {
            context = format!("iteration {it}: prune killed after {delay:?}");
            // A known-good snapshot first, then forget some older ones so
            // that prune has packs to delete and to rewrite.
            let keep = w.good_put();
            let ids = w.snapshot_ids();
            let mut candidates: Vec<String> = ids.into_iter().filter(|i| *i != keep).collect();
            // Keep few snapshots: every one is read back after every kill.
            let n = candidates
                .len()
                .saturating_sub(3)
                .max(1)
                .min(candidates.len());
            let mut forget = vec!["forget".to_string(), "--repo".into(), w.repo_arg()];
            let mut chosen = BTreeSet::new();
            for _ in 0..n {
                let k = w.rng.below(candidates.len() as u64) as usize;
                chosen.insert(candidates.swap_remove(k));
            }
            for id in &chosen {
                w.must_survive.remove(id);
                forget.push(id.clone());
            }
            if !chosen.is_empty() {
                let f: Vec<&str> = forget.iter().map(|s| s.as_str()).collect();
                pgkeep_ok(&f);
            }
            let threshold = w.rng.below(25).to_string();
            let args: Vec<String> = vec![
                "prune".into(),
                "--repo".into(),
                w.repo_arg(),
                "--max-unused-percent".into(),
                threshold,
            ];
            let before = w.written_state();
            let started = Instant::now();
            let out = run_and_kill(&args, delay);
            counts.prune_kills += 1;
            if out.interrupted {
                counts.prune_interrupted += 1;
                if w.written_state() != before {
                    counts.prune_interrupted_after_writing += 1;
                }
            } else {
                counts.prune_finished += 1;
                w.prune_ms.push(started.elapsed().as_millis() as u64);
            }
        }
        // Snapshots nobody saw complete: written by a put killed after its
        // manifest was durable. They must be complete like any other.
        let unseen: Vec<String> = w
            .snapshot_ids()
            .into_iter()
            .filter(|i| !w.must_survive.contains(i))
            .collect();
        assert!(
            prune || unseen.len() <= 1,
            "{context}: more than one unknown snapshot: {unseen:?}"
        );
        assert!(
            !prune || unseen.is_empty(),
            "{context}: unknown snapshots appeared: {unseen:?}"
        );
        counts.killed_put_left_snapshot += unseen.len();
        w.must_survive.extend(unseen);
        verify(&mut w, &mut counts, &context);
    }

    // Finally: a prune that completes leaves no trace of the crashes.
    // (No grace for unindexed packs: every writer is gone.)
    pgkeep_ok(&["prune", "--unindexed-grace", "0s", "--repo", &w.repo_arg()]);
    let out = pgkeep_ok(&["check", "--repo", &w.repo_arg(), "--read-data"]);
    assert!(
        !out.contains("not in any index"),
        "unindexed packs after the final prune:\n{out}"
    );
    assert!(
        !out.contains("warning"),
        "warnings after the final prune:\n{out}"
    );
    // (Files left in tmp/ are not checked: harmless, and whether prune
    // removes very recent ones is its own business.)
    assert!(
        files_in(&w.repo, "locks").is_empty(),
        "locks after the final prune"
    );
    verify(&mut w, &mut counts, "after the final prune");

    println!("{counts:#?}");
    println!("uninterrupted puts took (ms): {:?}", w.put_ms);
    println!(
        "prunes that finished before their kill took (ms): {:?}",
        w.prune_ms
    );
    let kills = counts.put_kills + counts.prune_kills;
    let interrupted = counts.put_interrupted + counts.prune_interrupted;
    println!(
        "kills: {kills}, of which interrupted a running process: {interrupted} (after it had written files: {})",
        counts.put_interrupted_after_writing + counts.prune_interrupted_after_writing
    );
    assert!(kills >= 30, "too few kills: {kills}");
    assert!(
        interrupted * 2 >= kills,
        "only {interrupted} of {kills} kills interrupted a running process: the work is too short for the delays"
    );
    assert!(
        counts.put_interrupted_after_writing > 0,
        "no put was killed after it had started writing"
    );
    assert!(counts.prune_interrupted > 0, "no prune was interrupted");
}
