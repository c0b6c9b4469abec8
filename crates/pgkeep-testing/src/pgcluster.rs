//! Throwaway PostgreSQL clusters for tests and for `pgkeep demo`.
//!
//! This module owns the whole life of a private server: finding the server
//! binaries, `initdb` into a fresh temporary directory, starting the server on
//! a free 127.0.0.1 port plus a private unix socket, handing out connection
//! details, and stopping the server and deleting its directory again.
//!
//! What it must not do: it is only for the integration tests (one shared
//! cluster per test binary, see [`shared`], one database per test) and for
//! the demo. The backup product itself never starts, stops or configures a
//! server, and nothing here may be reached from backup or restore code paths.
//! It never touches a server it did not create and never uses port 5432.
//!
//! Cleanup happens on three layers, because a test process can end in ways
//! that skip destructors: [`Cluster`]'s `Drop`; an `atexit` hook for the
//! [`shared`] cluster (statics are never dropped); and a small watchdog
//! process per cluster that stops the server and removes the directory when
//! the owning process is gone, even after `SIGKILL`.
//!
//! Environment:
//! - `PGKEEP_PG_BINDIR`: directory holding `initdb`, `pg_ctl` and `postgres`
//!   (otherwise `pg_config --bindir`, then `/usr/lib/postgresql/*/bin`).
//! - `PGKEEP_KEEP_CLUSTER=1`: stop the server but keep its directory (data,
//!   `server.log`) for a post-mortem; the path is printed to stderr.

use std::ffi::CString;
use std::fmt::Write as _;
use std::fs;
use std::io::{self, Read, Seek, SeekFrom, Write as _};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The superuser `initdb` creates; every accessor connects as this role.
pub const SUPERUSER: &str = "postgres";

/// The unprivileged account the server runs as when the tests run as root.
const TEST_USER: &str = "pgkeep-test";

/// The binaries a cluster needs. Client tools (`pg_dump`, `psql`) are
/// deliberately not required: the embedded builds from npm ship without them,
/// and those are exactly the installs pgkeep is meant for.
const REQUIRED_BINARIES: [&str; 3] = ["initdb", "pg_ctl", "postgres"];

/// How many times to pick a new port when another process grabbed ours
/// between probing it and the server binding it.
const PORT_ATTEMPTS: usize = 5;

/// Lines of `server.log` quoted in a start failure.
const LOG_TAIL_LINES: usize = 30;

/// `sun_path` holds 108 bytes including the terminating NUL.
const MAX_SOCKET_PATH: usize = 107;

/// Errors from starting, using or stopping a throwaway cluster.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClusterError {
    /// No directory with `initdb`, `pg_ctl` and `postgres` was found.
    #[error(
        "no PostgreSQL server binaries found (looked at: {searched}); install PostgreSQL \
         server binaries, e.g. `apt-get install -y postgresql`, or set PGKEEP_PG_BINDIR to a \
         directory containing initdb, pg_ctl and postgres"
    )]
    BinariesNotFound {
        /// Every place that was looked at, in order.
        searched: String,
    },

    /// An explicitly configured binary directory lacks a required program.
    #[error(
        "{origin} points at {dir}, which lacks {missing}; set it to a directory containing \
         initdb, pg_ctl and postgres (e.g. /usr/lib/postgresql/15/bin)"
    )]
    IncompleteBindir {
        /// Where the directory came from (`PGKEEP_PG_BINDIR`, options).
        origin: &'static str,
        /// The directory.
        dir: PathBuf,
        /// Missing programs, comma separated.
        missing: String,
    },

    /// Running as root, and no unprivileged account could be found or made.
    #[error(
        "PostgreSQL refuses to run as root and no unprivileged user is available: \
         `useradd --system --no-create-home {TEST_USER}` failed ({detail}) and neither \
         `postgres` nor `nobody` exists; create a user named {TEST_USER} or run the tests \
         as a non-root user"
    )]
    NoUnprivilegedUser {
        /// Why creating the user failed.
        detail: String,
    },

    /// A caller-supplied option cannot be used.
    #[error("invalid throwaway-cluster option: {0}")]
    InvalidOption(String),

    /// A file-system operation failed.
    #[error("could not {action} {path}: {source}")]
    Io {
        /// What was attempted, e.g. "create directory".
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },

    /// A program could not be started at all.
    #[error("could not run {program}: {source}")]
    Spawn {
        /// The program.
        program: PathBuf,
        /// The underlying error.
        source: io::Error,
    },

    /// A program ran and reported failure.
    #[error("{what} failed ({status}):\n{output}")]
    CommandFailed {
        /// What the program was asked to do.
        what: String,
        /// Its exit status.
        status: ExitStatus,
        /// The end of its stderr and stdout.
        output: String,
    },

    /// `postgres --version` printed something unexpected.
    #[error(
        "could not read the server version from `{program} --version`, which printed {output:?}"
    )]
    Version {
        /// The `postgres` binary.
        program: PathBuf,
        /// What it printed.
        output: String,
    },

    /// No free TCP port could be reserved on 127.0.0.1.
    #[error("could not find a free TCP port on 127.0.0.1: {0}")]
    NoFreePort(io::Error),

    /// `pg_ctl start` failed; the server log usually says why.
    #[error(
        "PostgreSQL server in {data_dir} did not start (the directory is removed again; set \
         PGKEEP_KEEP_CLUSTER=1 to keep it): {reason}\n--- last lines of {log} ---\n{tail}"
    )]
    StartFailed {
        /// The data directory.
        data_dir: PathBuf,
        /// The server log.
        log: PathBuf,
        /// What `pg_ctl` reported.
        reason: String,
        /// The end of the server log.
        tail: String,
    },

    /// Connecting to the throwaway cluster failed.
    #[error("could not connect to {target}: {source}")]
    Connect {
        /// Where the connection went.
        target: String,
        /// The underlying error.
        source: tokio_postgres::Error,
    },

    /// A statement the harness runs for the caller failed.
    #[error("{what} failed: {source}")]
    Sql {
        /// The statement's purpose, naming the object.
        what: String,
        /// The underlying error.
        source: tokio_postgres::Error,
    },

    /// The process-wide cluster failed to start earlier in this process.
    #[error("the shared test cluster could not be started: {reason}")]
    SharedUnavailable {
        /// The original start error, rendered.
        reason: String,
    },
}

/// How to start a [`Cluster`]. `ClusterOptions::default()` gives a cluster
/// with trust authentication everywhere and the fast-test settings.
#[derive(Debug, Clone, Default)]
pub struct ClusterOptions {
    /// Use these binaries instead of searching (`PGKEEP_PG_BINDIR`, ...).
    pub bindir: Option<PathBuf>,
    /// Extra `postgresql.conf` settings, applied after the harness defaults
    /// so they win. `port` is always chosen by the harness.
    pub settings: Vec<(String, String)>,
    /// If set, TCP connections need this password for `postgres`
    /// (scram-sha-256); the unix socket stays trust, so the harness itself
    /// never needs it.
    pub password: Option<String>,
}

impl ClusterOptions {
    /// Use the server binaries in `dir`.
    pub fn bindir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.bindir = Some(dir.into());
        self
    }

    /// Add a `postgresql.conf` setting.
    pub fn setting(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.settings.push((name.into(), value.into()));
        self
    }

    /// Require `password` for TCP connections as `postgres`.
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(password.into());
        self
    }
}

/// A running throwaway PostgreSQL server. Dropping it stops the server and
/// deletes its directory (unless `PGKEEP_KEEP_CLUSTER=1`).
#[derive(Debug)]
pub struct Cluster {
    root: PathBuf,
    data_dir: PathBuf,
    socket_dir: PathBuf,
    log_file: PathBuf,
    port: u16,
    bin: PgBin,
    run_as: Option<RunAs>,
    version: String,
    password: Option<String>,
    keep: bool,
    shut_down: AtomicBool,
    watchdog: Mutex<Option<Watchdog>>,
}

#[derive(Debug, Clone)]
struct PgBin {
    dir: PathBuf,
    /// Set for self-contained builds whose shared libraries sit in `../lib`.
    lib_dir: Option<PathBuf>,
}

#[derive(Debug, Clone)]
struct RunAs {
    name: String,
    uid: u32,
    gid: u32,
}

#[derive(Debug)]
struct Watchdog {
    child: Child,
    /// The watchdog waits for EOF on this pipe, which the kernel delivers
    /// when we close it or when this process dies, however it dies.
    pipe: Option<ChildStdin>,
}

impl Cluster {
    /// Initialise and start a new cluster in a fresh temporary directory.
    ///
    /// Blocks for the one to few seconds `initdb` and startup take.
    pub fn start(opts: ClusterOptions) -> Result<Cluster, ClusterError> {
        for (name, value) in &opts.settings {
            let name_ok = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
            if !name_ok {
                return Err(ClusterError::InvalidOption(format!(
                    "setting name {name:?} is not a plain identifier"
                )));
            }
            if value.contains(['\n', '\r', '\0']) {
                return Err(ClusterError::InvalidOption(format!(
                    "value of setting {name} contains a line break or NUL"
                )));
            }
        }
        if let Some(pw) = &opts.password {
            if pw.is_empty() || pw.contains(['\n', '\r', '\0']) {
                return Err(ClusterError::InvalidOption(
                    "password must be non-empty and contain no line break or NUL".into(),
                ));
            }
        }

        let bin = PgBin::locate(opts.bindir.as_deref())?;
        let run_as = if is_root() {
            Some(unprivileged_user()?)
        } else {
            None
        };
        if run_as.is_some() {
            ensure_traversable(&bin.dir)?;
        }
        let version = bin.version(run_as.as_ref())?;
        let root = make_root_dir(run_as.as_ref())?;
        let keep = std::env::var_os("PGKEEP_KEEP_CLUSTER").is_some_and(|v| v == "1");

        // From here on the half-built cluster is its own cleanup guard: an
        // early return drops it, which stops whatever started and removes
        // the directory.
        let mut cluster = Cluster {
            data_dir: root.join("data"),
            socket_dir: root.join("sock"),
            log_file: root.join("server.log"),
            root,
            port: 0,
            bin,
            run_as,
            version,
            password: opts.password.clone(),
            keep,
            shut_down: AtomicBool::new(false),
            watchdog: Mutex::new(None),
        };
        cluster.spawn_watchdog()?;
        make_dir_for(&cluster.socket_dir, cluster.run_as.as_ref())?;
        cluster.initdb()?;
        cluster.write_config(&opts.settings)?;
        cluster.start_server()?;
        tracing::debug!(
            root = %cluster.root.display(),
            port = cluster.port,
            version = %cluster.version,
            user = cluster.run_as.as_ref().map_or("(current)", |u| u.name.as_str()),
            "started throwaway PostgreSQL cluster"
        );
        Ok(cluster)
    }

    /// Directory holding the server's unix socket (the libpq `host`).
    pub fn host_socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    /// TCP port on 127.0.0.1; the unix socket uses the same number.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Directory of the server binaries this cluster runs.
    pub fn bindir(&self) -> &Path {
        &self.bin.dir
    }

    /// Server version as `postgres --version` prints it, e.g. `"15.14"` or
    /// `"18beta1"`.
    pub fn server_version(&self) -> &str {
        &self.version
    }

    /// Major version, e.g. 15.
    pub fn server_major(&self) -> u32 {
        major_of(&self.version)
    }

    /// The cluster's data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The server log, worth quoting when a test fails oddly.
    pub fn log_file(&self) -> &Path {
        &self.log_file
    }

    /// The TCP password, if the cluster was started with one.
    pub fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    /// libpq key=value connection string over the unix socket.
    pub fn conninfo(&self, dbname: &str) -> String {
        format!(
            "host={} port={} user={} dbname={}",
            conninfo_value(&self.socket_dir.to_string_lossy()),
            self.port,
            SUPERUSER,
            conninfo_value(dbname)
        )
    }

    /// libpq key=value connection string over TCP to 127.0.0.1, without a
    /// password (callers testing authentication add their own).
    pub fn tcp_conninfo(&self, dbname: &str) -> String {
        format!(
            "host=127.0.0.1 port={} user={} dbname={}",
            self.port,
            SUPERUSER,
            conninfo_value(dbname)
        )
    }

    /// `postgresql://` URL over the unix socket (socket directory
    /// percent-encoded as the host, which libpq and tokio-postgres accept).
    pub fn url(&self, dbname: &str) -> String {
        format!(
            "postgresql://{}@{}:{}/{}",
            SUPERUSER,
            percent_encode(&self.socket_dir.to_string_lossy()),
            self.port,
            percent_encode(dbname)
        )
    }

    /// tokio-postgres configuration over the unix socket.
    pub fn tokio_config(&self, dbname: &str) -> tokio_postgres::Config {
        let mut config = tokio_postgres::Config::new();
        config
            .host_path(&self.socket_dir)
            .port(self.port)
            .user(SUPERUSER)
            .dbname(dbname)
            .application_name("pgkeep-test-harness");
        config
    }

    /// Connect over the unix socket. The connection task is spawned on the
    /// current tokio runtime, so this must be awaited inside one.
    pub async fn connect(&self, dbname: &str) -> Result<tokio_postgres::Client, ClusterError> {
        let (client, connection) = self
            .tokio_config(dbname)
            .connect(tokio_postgres::NoTls)
            .await
            .map_err(|source| ClusterError::Connect {
                target: format!(
                    "database {dbname:?} on the throwaway cluster at {} (port {}, log {})",
                    self.socket_dir.display(),
                    self.port,
                    self.log_file.display()
                ),
                source,
            })?;
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "throwaway-cluster connection ended with an error");
            }
        });
        Ok(client)
    }

    /// Create database `name` (any string PostgreSQL accepts; it is quoted).
    pub async fn create_database(&self, name: &str) -> Result<(), ClusterError> {
        let client = self.connect("postgres").await?;
        // template0, because CREATE DATABASE fails while anyone is connected
        // to its template, and tests may well connect to template1.
        let sql = format!("CREATE DATABASE {} TEMPLATE template0", quote_ident(name));
        client
            .batch_execute(&sql)
            .await
            .map_err(|source| ClusterError::Sql {
                what: format!("creating database {name:?} on the throwaway cluster"),
                source,
            })
    }

    /// Create a database with a fresh [`unique_db_name`] and return its name:
    /// the one-liner for "one database per test".
    pub async fn fresh_database(&self, prefix: &str) -> Result<String, ClusterError> {
        let name = unique_db_name(prefix);
        self.create_database(&name).await?;
        Ok(name)
    }

    /// A command for another program from this cluster's binary directory
    /// (e.g. `pg_dump`, if the install has it), with the library path the
    /// install needs. It runs as the current user.
    pub fn tool_command(&self, program: &str) -> Command {
        self.bin.command(program, None)
    }

    fn pg_command(&self, program: &str) -> Command {
        let mut cmd = self.bin.command(program, self.run_as.as_ref());
        cmd.current_dir(&self.root);
        cmd
    }

    fn spawn_watchdog(&mut self) -> Result<(), ClusterError> {
        // Paths travel as positional parameters, so no quoting is involved.
        // Signals from the terminal or the test runner are ignored: the
        // watchdog exists precisely to outlive an interrupted test process.
        const SCRIPT: &str = r#"trap '' HUP INT TERM PIPE
while read -r _; do :; done
"$1" stop -D "$2" -m immediate -w -t 30 >/dev/null 2>&1
[ "$4" = 1 ] || rm -rf -- "$3"
"#;
        let mut cmd = Command::new("/bin/sh");
        cmd.arg("-c")
            .arg(SCRIPT)
            .arg("pgkeep-cluster-watchdog")
            .arg(self.bin.dir.join("pg_ctl"))
            .arg(&self.data_dir)
            .arg(&self.root)
            .arg(if self.keep { "1" } else { "0" })
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .current_dir("/")
            // Own process group: Ctrl-C goes to the foreground group only.
            .process_group(0);
        self.bin.set_env(&mut cmd);
        if let Some(user) = &self.run_as {
            // pg_ctl refuses root, and the directory is the user's anyway.
            cmd.uid(user.uid).gid(user.gid);
        }
        let mut child = cmd.spawn().map_err(|source| ClusterError::Spawn {
            program: PathBuf::from("/bin/sh"),
            source,
        })?;
        let pipe = child.stdin.take();
        *lock(&self.watchdog) = Some(Watchdog { child, pipe });
        Ok(())
    }

    fn initdb(&self) -> Result<(), ClusterError> {
        let mut cmd = self.pg_command("initdb");
        cmd.arg("-D").arg(&self.data_dir).args([
            "-U",
            SUPERUSER,
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
        ]);
        let pwfile = self.root.join("pwfile");
        if let Some(password) = &self.password {
            write_file_for(
                &pwfile,
                format!("{password}\n").as_bytes(),
                self.run_as.as_ref(),
            )?;
            cmd.args(["--auth-local=trust", "--auth-host=scram-sha-256"])
                .arg(format!("--pwfile={}", pwfile.display()));
        } else {
            cmd.args(["-A", "trust"]);
        }
        let result = run("initdb", cmd);
        if self.password.is_some() {
            let _ = fs::remove_file(&pwfile);
        }
        result.map(|_| ())
    }

    fn write_config(&self, extra: &[(String, String)]) -> Result<(), ClusterError> {
        let mut conf =
            String::from("\n# Added by pgkeep's throwaway-cluster harness (src/pgcluster.rs).\n");
        // The setting is a comma-separated list; a quoted element survives
        // a temp path with commas or spaces.
        let socket_dir = format!(
            "\"{}\"",
            self.socket_dir.to_string_lossy().replace('"', "\"\"")
        );
        let defaults: [(&str, &str); 7] = [
            ("listen_addresses", "127.0.0.1"),
            ("unix_socket_directories", &socket_dir),
            // Durability is worthless for a throwaway cluster and costly.
            ("fsync", "off"),
            ("synchronous_commit", "off"),
            ("full_page_writes", "off"),
            ("max_connections", "100"),
            // Predictable messages, which the start-retry logic matches on.
            ("lc_messages", "C"),
        ];
        let all = defaults
            .iter()
            .map(|(k, v)| (*k, *v))
            .chain(extra.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        for (name, value) in all {
            let _ = writeln!(conf, "{name} = '{}'", value.replace('\'', "''"));
        }
        let path = self.data_dir.join("postgresql.conf");
        // Appending keeps the file the server user's.
        fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(conf.as_bytes()))
            .map_err(|source| ClusterError::Io {
                action: "append settings to",
                path,
                source,
            })
    }

    fn start_server(&mut self) -> Result<(), ClusterError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let port = free_port()?;
            // Only this attempt's log matters when deciding why it failed.
            if let Ok(f) = fs::OpenOptions::new().write(true).open(&self.log_file) {
                let _ = f.set_len(0);
            }
            let mut cmd = self.pg_command("pg_ctl");
            cmd.arg("start")
                .arg("-D")
                .arg(&self.data_dir)
                .arg("-l")
                .arg(&self.log_file)
                .args(["-w", "-t", "60", "-o"])
                // The port goes on the command line so a retry needs no
                // config rewrite; a number needs no quoting.
                .arg(format!("-p {port}"));
            let failure = match run("pg_ctl start", cmd) {
                Ok(_) => {
                    self.port = port;
                    return Ok(());
                }
                Err(ClusterError::CommandFailed { output, .. }) => output,
                Err(other) => return Err(other),
            };
            // A timed-out start may have left a postmaster behind.
            self.stop_server();
            let tail = log_tail(&self.log_file, LOG_TAIL_LINES);
            if tail.contains("Address already in use") && attempt < PORT_ATTEMPTS {
                tracing::debug!(port, "port taken between probe and bind; retrying");
                continue;
            }
            return Err(ClusterError::StartFailed {
                data_dir: self.data_dir.clone(),
                log: self.log_file.clone(),
                reason: failure,
                tail,
            });
        }
    }

    /// Stop the server if it runs. Best effort: never fails, never panics.
    fn stop_server(&self) {
        let pid_file = self.data_dir.join("postmaster.pid");
        let Some(pid) = read_postmaster_pid(&pid_file) else {
            return;
        };
        // Immediate is safe for data nobody keeps; a kept cluster gets a
        // clean shutdown so it can be started again without recovery.
        let mode = if self.keep { "fast" } else { "immediate" };
        let mut cmd = self.pg_command("pg_ctl");
        cmd.arg("stop")
            .arg("-D")
            .arg(&self.data_dir)
            .args(["-m", mode, "-w", "-t", "60"]);
        match run("pg_ctl stop", cmd) {
            Ok(_) => return,
            Err(error) => tracing::warn!(%error, "pg_ctl stop failed; signalling the postmaster"),
        }
        // SIGQUIT is what "-m immediate" sends.
        // SAFETY: kill(2) with a pid read from our own cluster's pid file.
        unsafe {
            libc::kill(pid, libc::SIGQUIT);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while pid_alive(pid) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        if pid_alive(pid) {
            // SAFETY: as above.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
    }

    /// Stop the server, remove the directory, retire the watchdog. Runs at
    /// most once; safe from `Drop` and from the `atexit` hook.
    fn shutdown(&self) {
        if self.shut_down.swap(true, Ordering::SeqCst) {
            return;
        }
        self.stop_server();
        if self.keep {
            eprintln!(
                "pgkeep: kept throwaway cluster at {} (PGKEEP_KEEP_CLUSTER=1; log: {})",
                self.root.display(),
                self.log_file.display()
            );
        } else {
            remove_dir_with_retries(&self.root);
        }
        // Closed only now, so the watchdog finds nothing left to do.
        if let Some(mut watchdog) = lock(&self.watchdog).take() {
            drop(watchdog.pipe.take());
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                match watchdog.child.try_wait() {
                    Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                    _ => break,
                }
            }
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.shutdown();
    }
}

static SHARED: OnceLock<Result<Cluster, String>> = OnceLock::new();

/// The process-wide cluster: started on first use, shared by every test in
/// the test binary (each test makes its own database), stopped at exit.
pub fn shared() -> Result<&'static Cluster, ClusterError> {
    let slot = SHARED.get_or_init(|| {
        let started = Cluster::start(ClusterOptions::default()).map_err(|e| e.to_string());
        if started.is_ok() {
            // Statics are never dropped, so without this the server would
            // outlive the test binary until the watchdog noticed.
            // SAFETY: registers a plain function that captures nothing.
            let rc = unsafe { libc::atexit(stop_shared_cluster_at_exit) };
            if rc != 0 {
                tracing::warn!(
                    "atexit registration failed; the watchdog will stop the shared cluster"
                );
            }
        }
        started
    });
    match slot {
        Ok(cluster) => Ok(cluster),
        Err(reason) => Err(ClusterError::SharedUnavailable {
            reason: reason.clone(),
        }),
    }
}

extern "C" fn stop_shared_cluster_at_exit() {
    // Unwinding out of an extern "C" function aborts; swallow any panic.
    let _ = std::panic::catch_unwind(|| {
        if let Some(Ok(cluster)) = SHARED.get() {
            cluster.shutdown();
        }
    });
}

/// A database name unique within this process, built from `prefix`
/// (lower-cased, non-alphanumerics replaced by `_`, shortened so the whole
/// name fits PostgreSQL's 63-byte limit).
pub fn unique_db_name(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let salt: u32 = rand::random();
    let suffix = format!("_{n}_{:06x}", salt & 0x00ff_ffff);
    let mut name: String = prefix
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() {
        name.push_str("db");
    }
    // ASCII only by now, so truncating at a byte count is a char boundary.
    name.truncate(63 - suffix.len());
    name + &suffix
}

impl PgBin {
    fn locate(explicit: Option<&Path>) -> Result<PgBin, ClusterError> {
        if let Some(dir) = explicit {
            return PgBin::require(dir, "ClusterOptions::bindir");
        }
        if let Some(dir) = std::env::var_os("PGKEEP_PG_BINDIR").filter(|v| !v.is_empty()) {
            return PgBin::require(Path::new(&dir), "PGKEEP_PG_BINDIR");
        }
        let mut searched = vec!["PGKEEP_PG_BINDIR (unset)".to_string()];
        match Command::new("pg_config")
            .arg("--bindir")
            .stdin(Stdio::null())
            .output()
        {
            Ok(out) if out.status.success() => {
                let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
                if missing_binaries(&dir).is_empty() {
                    return Ok(PgBin::new(dir));
                }
                searched.push(format!(
                    "pg_config --bindir ({}, incomplete)",
                    dir.display()
                ));
            }
            Ok(_) => searched.push("pg_config --bindir (failed)".into()),
            Err(_) => searched.push("pg_config (not on PATH)".into()),
        }
        for dir in debian_bindirs() {
            if missing_binaries(&dir).is_empty() {
                return Ok(PgBin::new(dir));
            }
            searched.push(dir.display().to_string());
        }
        searched.push("/usr/lib/postgresql/*/bin".into());
        Err(ClusterError::BinariesNotFound {
            searched: searched.join(", "),
        })
    }

    fn require(dir: &Path, origin: &'static str) -> Result<PgBin, ClusterError> {
        let missing = missing_binaries(dir);
        if missing.is_empty() {
            Ok(PgBin::new(dir.to_path_buf()))
        } else {
            Err(ClusterError::IncompleteBindir {
                origin,
                dir: dir.to_path_buf(),
                missing: missing.join(", "),
            })
        }
    }

    fn new(dir: PathBuf) -> PgBin {
        // Self-contained builds (e.g. npm's @embedded-postgres) keep their
        // own libpq, ICU and OpenSSL in ../lib. A distribution's ../lib holds
        // only unversioned extension modules, so versioned sonames are the
        // telling sign.
        let lib_dir = dir.parent().map(|p| p.join("lib")).filter(|lib| {
            fs::read_dir(lib).is_ok_and(|entries| {
                entries.flatten().any(|e| {
                    let name = e.file_name();
                    let name = name.to_string_lossy();
                    name.starts_with("lib") && name.contains(".so.")
                })
            })
        });
        PgBin { dir, lib_dir }
    }

    fn set_env(&self, cmd: &mut Command) {
        if let Some(lib) = &self.lib_dir {
            let mut paths = vec![lib.clone()];
            if let Some(existing) = std::env::var_os("LD_LIBRARY_PATH") {
                paths.extend(std::env::split_paths(&existing));
            }
            if let Ok(joined) = std::env::join_paths(paths) {
                cmd.env("LD_LIBRARY_PATH", joined);
            }
        }
        // Untranslated client messages, so errors read the same everywhere.
        cmd.env("LC_ALL", "C");
    }

    fn command(&self, program: &str, run_as: Option<&RunAs>) -> Command {
        let mut cmd = Command::new(self.dir.join(program));
        self.set_env(&mut cmd);
        cmd.stdin(Stdio::null());
        if let Some(user) = run_as {
            cmd.uid(user.uid).gid(user.gid);
        }
        cmd
    }

    fn version(&self, run_as: Option<&RunAs>) -> Result<String, ClusterError> {
        let mut cmd = self.command("postgres", run_as);
        cmd.arg("--version").current_dir("/");
        let out = run("postgres --version", cmd)?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        parse_version(&text).ok_or_else(|| ClusterError::Version {
            program: self.dir.join("postgres"),
            output: text.trim().to_string(),
        })
    }
}

fn missing_binaries(dir: &Path) -> Vec<&'static str> {
    REQUIRED_BINARIES
        .iter()
        .copied()
        .filter(|name| {
            !fs::metadata(dir.join(name))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
        .collect()
}

/// `/usr/lib/postgresql/<major>/bin`, highest major first.
fn debian_bindirs() -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir("/usr/lib/postgresql") else {
        return Vec::new();
    };
    let mut majors: Vec<(u32, PathBuf)> = entries
        .flatten()
        .filter_map(|e| {
            let major = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((major, e.path().join("bin")))
        })
        .collect();
    majors.sort_by_key(|(major, _)| std::cmp::Reverse(*major));
    majors.into_iter().map(|(_, dir)| dir).collect()
}

/// From `postgres (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)` take `15.14`.
fn parse_version(text: &str) -> Option<String> {
    let rest = text.split("(PostgreSQL)").nth(1)?;
    let version = rest.split_whitespace().next()?;
    version
        .starts_with(|c: char| c.is_ascii_digit())
        .then(|| version.to_string())
}

fn major_of(version: &str) -> u32 {
    let digits: String = version.chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().unwrap_or(0)
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn lookup_user(name: &str) -> Option<RunAs> {
    let cname = CString::new(name).ok()?;
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    // SAFETY: passwd is plain data; getpwnam_r fills it, pointing into buf,
    // and we copy out the ids before buf goes away.
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    let rc = unsafe {
        libc::getpwnam_r(
            cname.as_ptr(),
            &mut pwd,
            buf.as_mut_ptr(),
            buf.len(),
            &mut result,
        )
    };
    if rc != 0 || result.is_null() {
        return None;
    }
    Some(RunAs {
        name: name.to_string(),
        uid: pwd.pw_uid,
        gid: pwd.pw_gid,
    })
}

/// The account the server runs as when we are root; resolved once per
/// process so every cluster uses the same one and concurrent starts do not
/// race each other in `useradd`.
fn unprivileged_user() -> Result<RunAs, ClusterError> {
    static USER: Mutex<Option<RunAs>> = Mutex::new(None);
    let mut cached = lock(&USER);
    if let Some(user) = cached.as_ref() {
        return Ok(user.clone());
    }
    let user = find_or_create_user()?;
    *cached = Some(user.clone());
    Ok(user)
}

fn find_or_create_user() -> Result<RunAs, ClusterError> {
    let mut detail = String::new();
    for attempt in 0..3 {
        if let Some(user) = lookup_user(TEST_USER) {
            return Ok(user);
        }
        if attempt > 0 {
            // Another test binary may hold the passwd lock mid-useradd.
            std::thread::sleep(Duration::from_millis(300));
        }
        match Command::new("useradd")
            .args(["--system", "--no-create-home", TEST_USER])
            .stdin(Stdio::null())
            .output()
        {
            Ok(out) if out.status.success() => {}
            Ok(out) => detail = String::from_utf8_lossy(&out.stderr).trim().to_string(),
            // No useradd at all: retrying will not help.
            Err(e) => {
                detail = format!("could not run useradd: {e}");
                break;
            }
        }
    }
    if let Some(user) = lookup_user(TEST_USER) {
        return Ok(user);
    }
    for fallback in ["postgres", "nobody"] {
        if let Some(user) = lookup_user(fallback) {
            tracing::warn!(user = fallback, %detail, "could not create {TEST_USER}; running PostgreSQL as a fallback user");
            return Ok(user);
        }
    }
    Err(ClusterError::NoUnprivilegedUser { detail })
}

/// When root runs the server as another user, that user must be able to
/// reach `path`: grant search (not read) permission on every ancestor that
/// lacks it for others, e.g. `/root` when binaries are cached under `$HOME`.
fn ensure_traversable(path: &Path) -> Result<(), ClusterError> {
    let path = fs::canonicalize(path).map_err(|source| ClusterError::Io {
        action: "resolve",
        path: path.to_path_buf(),
        source,
    })?;
    for dir in path.ancestors() {
        let meta = fs::metadata(dir).map_err(|source| ClusterError::Io {
            action: "inspect",
            path: dir.to_path_buf(),
            source,
        })?;
        let mode = meta.permissions().mode();
        if meta.is_dir() && mode & 0o001 == 0 {
            tracing::warn!(dir = %dir.display(), "granting others search permission so the PostgreSQL test user can reach it");
            fs::set_permissions(dir, fs::Permissions::from_mode((mode & 0o7777) | 0o001)).map_err(
                |source| ClusterError::Io {
                    action: "grant search permission (chmod o+x) on",
                    path: dir.to_path_buf(),
                    source,
                },
            )?;
        }
    }
    Ok(())
}

/// Create the cluster's private directory with a random name.
fn make_root_dir(run_as: Option<&RunAs>) -> Result<PathBuf, ClusterError> {
    let mut base = std::env::temp_dir();
    // The socket lives at <root>/sock/.s.PGSQL.<port>; a long TMPDIR would
    // overflow sun_path, and /tmp always fits.
    let longest_socket = base.as_os_str().len() + "/pgkeep-0123456789/sock/.s.PGSQL.65535".len();
    if longest_socket > MAX_SOCKET_PATH {
        base = PathBuf::from("/tmp");
    }
    if run_as.is_some() {
        ensure_traversable(&base)?;
    }
    for _ in 0..16 {
        let name: u64 = rand::random();
        let root = base.join(format!("pgkeep-{:010x}", name & 0xff_ffff_ffff));
        match fs::create_dir(&root) {
            Ok(()) => {
                let prepared = fs::set_permissions(&root, fs::Permissions::from_mode(0o700))
                    .and_then(|()| chown_to(&root, run_as));
                if let Err(source) = prepared {
                    let _ = fs::remove_dir(&root);
                    return Err(ClusterError::Io {
                        action: "prepare directory",
                        path: root,
                        source,
                    });
                }
                return Ok(root);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(source) => {
                return Err(ClusterError::Io {
                    action: "create directory",
                    path: root,
                    source,
                })
            }
        }
    }
    Err(ClusterError::Io {
        action: "create a uniquely named directory in",
        path: base,
        source: io::Error::new(
            io::ErrorKind::AlreadyExists,
            "16 random names were all taken",
        ),
    })
}

fn chown_to(path: &Path, run_as: Option<&RunAs>) -> io::Result<()> {
    match run_as {
        Some(user) => std::os::unix::fs::chown(path, Some(user.uid), Some(user.gid)),
        None => Ok(()),
    }
}

fn make_dir_for(path: &Path, run_as: Option<&RunAs>) -> Result<(), ClusterError> {
    fs::create_dir(path)
        .and_then(|()| fs::set_permissions(path, fs::Permissions::from_mode(0o700)))
        .and_then(|()| chown_to(path, run_as))
        .map_err(|source| ClusterError::Io {
            action: "create directory",
            path: path.to_path_buf(),
            source,
        })
}

fn write_file_for(
    path: &Path,
    contents: &[u8],
    run_as: Option<&RunAs>,
) -> Result<(), ClusterError> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(contents))
        .and_then(|()| chown_to(path, run_as))
        .map_err(|source| ClusterError::Io {
            action: "write",
            path: path.to_path_buf(),
            source,
        })
}

fn run(what: &str, mut cmd: Command) -> Result<Output, ClusterError> {
    let program = PathBuf::from(cmd.get_program());
    let out = cmd
        .output()
        .map_err(|source| ClusterError::Spawn { program, source })?;
    if out.status.success() {
        return Ok(out);
    }
    let mut text = String::from_utf8_lossy(&out.stderr).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stdout));
    Err(ClusterError::CommandFailed {
        what: what.to_string(),
        status: out.status,
        output: last_lines(&text, LOG_TAIL_LINES),
    })
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.trim_end().lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

fn log_tail(path: &Path, n: usize) -> String {
    // The log of a crash loop can be large; the end is what matters.
    let read = || -> io::Result<String> {
        let mut f = fs::File::open(path)?;
        let len = f.metadata()?.len();
        f.seek(SeekFrom::Start(len.saturating_sub(64 * 1024)))?;
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    };
    match read() {
        Ok(text) if text.trim().is_empty() => "(server log is empty)".into(),
        Ok(text) => last_lines(&text, n),
        Err(e) => format!("(could not read server log: {e})"),
    }
}

fn read_postmaster_pid(pid_file: &Path) -> Option<libc::pid_t> {
    let text = fs::read_to_string(pid_file).ok()?;
    text.lines()
        .next()?
        .trim()
        .parse()
        .ok()
        .filter(|pid: &libc::pid_t| *pid > 0)
}

fn pid_alive(pid: libc::pid_t) -> bool {
    // SAFETY: signal 0 only checks for existence.
    unsafe { libc::kill(pid, 0) == 0 }
}

fn remove_dir_with_retries(dir: &Path) {
    // A just-stopped server may still be unlinking its last files.
    for attempt in 0..5 {
        match fs::remove_dir_all(dir) {
            Ok(()) => return,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return,
            Err(e) if attempt == 4 => {
                eprintln!(
                    "pgkeep: could not remove throwaway cluster directory {}: {e}",
                    dir.display()
                );
            }
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

fn free_port() -> Result<u16, ClusterError> {
    for _ in 0..20 {
        let listener = TcpListener::bind(("127.0.0.1", 0)).map_err(ClusterError::NoFreePort)?;
        let port = listener
            .local_addr()
            .map_err(ClusterError::NoFreePort)?
            .port();
        // The kernel's ephemeral range rarely includes 5432, but a local
        // server there must never be mistaken for ours.
        if port != 5432 {
            return Ok(port);
        }
    }
    Err(ClusterError::NoFreePort(io::Error::new(
        io::ErrorKind::AddrInUse,
        "only port 5432 was offered",
    )))
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Cleanup must still run after a panicking test poisoned the lock.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// A conninfo value, always quoted (libpq's rules: backslash escapes the
/// quote and itself).
fn conninfo_value(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions() {
        assert_eq!(
            parse_version("postgres (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)\n").as_deref(),
            Some("15.14")
        );
        assert_eq!(
            parse_version("postgres (PostgreSQL) 17.9\n").as_deref(),
            Some("17.9")
        );
        assert_eq!(
            parse_version("postgres (PostgreSQL) 18beta1").as_deref(),
            Some("18beta1")
        );
        assert_eq!(parse_version("something else"), None);
        assert_eq!(major_of("18beta1"), 18);
        assert_eq!(major_of("15.14"), 15);
    }

    #[test]
    fn quotes_conninfo_values() {
        assert_eq!(conninfo_value("plain"), "'plain'");
        assert_eq!(conninfo_value(""), "''");
        assert_eq!(conninfo_value("a b'c\\d"), r"'a b\'c\\d'");
    }

    #[test]
    fn unique_names_fit_and_differ() {
        let long = "x".repeat(200);
        let a = unique_db_name(&long);
        let b = unique_db_name(&long);
        assert!(a.len() <= 63, "{a}");
        assert_ne!(a, b);
        assert!(unique_db_name("Héllo World").starts_with("h_llo_world_"));
        assert!(unique_db_name("").starts_with("db_"));
    }

    #[test]
    fn quotes_identifiers() {
        assert_eq!(quote_ident(r#"a"b"#), r#""a""b""#);
    }
}
