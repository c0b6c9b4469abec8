//! The throwaway-cluster harness itself, against a real server.
//!
//! Set PGKEEP_PG_BINDIR to run these against another PostgreSQL install.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pgkeep_testing::pgcluster::{self, Cluster, ClusterError, ClusterOptions};

fn shared() -> &'static Cluster {
    match pgcluster::shared() {
        Ok(cluster) => cluster,
        Err(e) => panic!("{e}"),
    }
}

async fn select_one(client: &tokio_postgres::Client) -> i32 {
    let row = client
        .query_one("SELECT 1::int4", &[])
        .await
        .expect("SELECT 1");
    row.get(0)
}

/// Gone means no such process, or a zombie nobody has reaped yet (pid 1 in
/// a container need not reap).
fn process_gone(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

fn postmaster_pid(data_dir: &Path) -> i32 {
    let text =
        std::fs::read_to_string(data_dir.join("postmaster.pid")).expect("read postmaster.pid");
    text.lines()
        .next()
        .and_then(|l| l.trim().parse().ok())
        .expect("pid in postmaster.pid")
}

#[tokio::test]
async fn shared_cluster_answers_over_the_unix_socket() {
    let cluster = shared();
    let client = cluster.connect("postgres").await.expect("connect");
    assert_eq!(select_one(&client).await, 1);

    // The server really is the one on our private socket and port.
    let row = client
        .query_one(
            "SELECT current_setting('unix_socket_directories'), current_setting('port')",
            &[],
        )
        .await
        .expect("settings");
    let socket_dirs: String = row.get(0);
    let port: String = row.get(1);
    assert_eq!(
        Path::new(socket_dirs.trim_matches('"')),
        cluster.host_socket_dir()
    );
    assert_eq!(port, cluster.port().to_string());
    assert_ne!(cluster.port(), 5432);
    let fsync: String = client
        .query_one("SHOW fsync", &[])
        .await
        .expect("SHOW fsync")
        .get(0);
    assert_eq!(fsync, "off");
}

#[tokio::test]
async fn shared_cluster_is_one_per_process() {
    let a = shared();
    let b = shared();
    assert!(std::ptr::eq(a, b));
}

#[tokio::test]
async fn odd_database_names_are_created_and_reachable() {
    let cluster = shared();
    // Quotes, spaces, a backslash and non-ASCII, kept under 63 bytes.
    let name = format!("we\"ird 'db' \\ ünï {}", pgcluster::unique_db_name("x"));
    assert!(name.len() <= 63, "{name} is too long for a test name");
    cluster
        .create_database(&name)
        .await
        .expect("create odd database");

    let via_connect = cluster
        .connect(&name)
        .await
        .expect("connect to odd database");
    let current: String = via_connect
        .query_one("SELECT current_database()", &[])
        .await
        .expect("query")
        .get(0);
    assert_eq!(current, name);

    // The string forms must survive a parser, not just look right.
    for text in [cluster.conninfo(&name), cluster.url(&name)] {
        let config: tokio_postgres::Config = text
            .parse()
            .unwrap_or_else(|e| panic!("parse {text:?}: {e}"));
        let (client, connection) = config
            .connect(tokio_postgres::NoTls)
            .await
            .expect("connect via string");
        tokio::spawn(connection);
        let current: String = client
            .query_one("SELECT current_database()", &[])
            .await
            .expect("query")
            .get(0);
        assert_eq!(current, name, "connected via {text:?}");
    }
}

#[tokio::test]
async fn fresh_databases_are_distinct_and_empty() {
    let cluster = shared();
    let a = cluster.fresh_database("fresh").await.expect("first");
    let b = cluster.fresh_database("fresh").await.expect("second");
    assert_ne!(a, b);
    let client = cluster.connect(&a).await.expect("connect");
    let tables: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace",
            &[],
        )
        .await
        .expect("count")
        .get(0);
    assert_eq!(tables, 0);
}

#[tokio::test]
async fn server_version_matches_the_running_server() {
    let cluster = shared();
    let version = cluster.server_version();
    assert!(cluster.server_major() >= 10, "odd version {version:?}");
    assert!(version.starts_with(&cluster.server_major().to_string()));

    let client = cluster.connect("postgres").await.expect("connect");
    let reported: String = client
        .query_one("SHOW server_version", &[])
        .await
        .expect("SHOW")
        .get(0);
    assert!(
        reported.starts_with(version),
        "server says {reported:?}, harness parsed {version:?}"
    );
    let num: String = client
        .query_one("SHOW server_version_num", &[])
        .await
        .expect("SHOW")
        .get(0);
    assert_eq!(
        num.parse::<u32>().expect("numeric") / 10000,
        cluster.server_major()
    );

    // Tools from the same install run with whatever library path it needs.
    let out = cluster
        .tool_command("postgres")
        .arg("--version")
        .output()
        .expect("run postgres --version");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains(version));
}

#[tokio::test]
async fn connection_strings_name_socket_port_and_database() {
    let cluster = shared();
    let info = cluster.conninfo("some db");
    assert!(info.contains(&format!("port={}", cluster.port())), "{info}");
    assert!(
        info.contains(&format!("host='{}'", cluster.host_socket_dir().display())),
        "{info}"
    );
    assert!(info.contains("user=postgres"), "{info}");
    assert!(info.contains("dbname='some db'"), "{info}");
    assert!(cluster.tcp_conninfo("x").contains("host=127.0.0.1"));
    assert!(cluster.url("x").starts_with("postgresql://postgres@%2F"));
    // A unix socket path must fit in sun_path.
    let socket = cluster
        .host_socket_dir()
        .join(format!(".s.PGSQL.{}", cluster.port()));
    assert!(socket.as_os_str().len() < 108, "{}", socket.display());
}

#[tokio::test]
async fn tcp_listens_on_loopback() {
    let cluster = shared();
    let config: tokio_postgres::Config = cluster.tcp_conninfo("postgres").parse().expect("parse");
    let (client, connection) = config
        .connect(tokio_postgres::NoTls)
        .await
        .expect("connect over TCP");
    tokio::spawn(connection);
    assert_eq!(select_one(&client).await, 1);
    let addr: Option<String> = client
        .query_one("SELECT host(inet_server_addr())", &[])
        .await
        .expect("addr")
        .get(0);
    assert_eq!(addr.as_deref(), Some("127.0.0.1"));
}

#[tokio::test]
async fn independent_cluster_gets_its_own_port_and_both_work() {
    let shared = shared();
    let own = Cluster::start(ClusterOptions::default()).expect("start second cluster");
    assert_ne!(own.port(), shared.port());
    assert_ne!(own.host_socket_dir(), shared.host_socket_dir());

    let db = own
        .fresh_database("own")
        .await
        .expect("create db on own cluster");
    let a = shared.connect("postgres").await.expect("connect shared");
    let b = own.connect(&db).await.expect("connect own");
    assert_eq!(select_one(&a).await, 1);
    assert_eq!(select_one(&b).await, 1);

    // Really two servers: a database on one is not on the other.
    let exists: bool = a
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)",
            &[&db],
        )
        .await
        .expect("query")
        .get(0);
    assert!(!exists);
}

#[tokio::test]
async fn dropping_a_cluster_stops_the_server_and_removes_its_directory() {
    let cluster = Cluster::start(ClusterOptions::default()).expect("start");
    let client = cluster.connect("postgres").await.expect("connect");
    assert_eq!(select_one(&client).await, 1);
    drop(client);

    let root = cluster
        .data_dir()
        .parent()
        .expect("data dir has a parent")
        .to_path_buf();
    let pid = postmaster_pid(cluster.data_dir());
    let config = cluster.tokio_config("postgres");
    let tcp: tokio_postgres::Config = cluster.tcp_conninfo("postgres").parse().expect("parse");
    let port = cluster.port();
    assert!(root.exists());
    assert!(!process_gone(pid));

    drop(cluster);

    assert!(!root.exists(), "{} still exists", root.display());
    assert!(process_gone(pid), "postmaster {pid} still runs");
    assert!(
        config.connect(tokio_postgres::NoTls).await.is_err(),
        "unix socket still answers"
    );
    // The port is free for anyone now; only our server answering is a bug.
    if let Ok((client, connection)) = tcp.connect(tokio_postgres::NoTls).await {
        tokio::spawn(connection);
        let who: String = client
            .query_one("SHOW data_directory", &[])
            .await
            .map(|r| r.get(0))
            .unwrap_or_default();
        assert!(
            !Path::new(&who).starts_with(&root),
            "TCP port {port} still served from {who}"
        );
    }
}

#[tokio::test]
async fn password_option_guards_tcp_but_not_the_socket() {
    let cluster = Cluster::start(ClusterOptions::default().password("s3cr'et pw")).expect("start");
    assert_eq!(cluster.password(), Some("s3cr'et pw"));

    // The harness's own path needs no password.
    let client = cluster
        .connect("postgres")
        .await
        .expect("socket connect is trust");
    assert_eq!(select_one(&client).await, 1);

    let mut config: tokio_postgres::Config =
        cluster.tcp_conninfo("postgres").parse().expect("parse");
    config.password("s3cr'et pw");
    let (client, connection) = config
        .connect(tokio_postgres::NoTls)
        .await
        .expect("right password");
    tokio::spawn(connection);
    assert_eq!(select_one(&client).await, 1);

    config.password("wrong");
    let err = config
        .connect(tokio_postgres::NoTls)
        .await
        .err()
        .expect("wrong password must fail");
    assert_eq!(
        err.code(),
        Some(&tokio_postgres::error::SqlState::INVALID_PASSWORD),
        "{err}"
    );

    let bare: tokio_postgres::Config = cluster.tcp_conninfo("postgres").parse().expect("parse");
    assert!(
        bare.connect(tokio_postgres::NoTls).await.is_err(),
        "TCP without password must fail"
    );
}

#[test]
fn incomplete_bindir_is_a_clear_error() {
    let err = Cluster::start(ClusterOptions::default().bindir("/nonexistent/pg/bin"))
        .expect_err("must fail");
    assert!(
        matches!(err, ClusterError::IncompleteBindir { .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("/nonexistent/pg/bin") && text.contains("initdb, pg_ctl, postgres"),
        "{text}"
    );
}

#[test]
fn bad_setting_names_are_rejected_before_anything_starts() {
    let err = Cluster::start(ClusterOptions::default().setting("fsync = on\nport", "1"))
        .expect_err("must fail");
    assert!(matches!(err, ClusterError::InvalidOption(_)), "{err:?}");
}

#[tokio::test]
async fn extra_settings_reach_the_server() {
    let cluster = Cluster::start(
        ClusterOptions::default()
            .setting("work_mem", "7MB")
            .setting("pgkeep.note", "it's set"),
    )
    .expect("start");
    let client = cluster.connect("postgres").await.expect("connect");
    let work_mem: String = client
        .query_one("SHOW work_mem", &[])
        .await
        .expect("SHOW")
        .get(0);
    assert_eq!(work_mem, "7MB");
    let note: String = client
        .query_one("SHOW pgkeep.note", &[])
        .await
        .expect("SHOW")
        .get(0);
    assert_eq!(note, "it's set");
}

const HELPER_ENV: &str = "PGKEEP_HARNESS_HANG_HELPER";

/// In the child process (HELPER_ENV set), the kill test below starts the
/// shared cluster, reports where it is, and hangs until it is killed.
fn start_shared_cluster_and_hang() -> ! {
    let cluster = shared();
    println!(
        "ROOT={}",
        cluster.data_dir().parent().expect("parent").display()
    );
    println!("PID={}", postmaster_pid(cluster.data_dir()));
    loop {
        std::thread::sleep(Duration::from_secs(1));
    }
}

#[test]
fn killed_test_process_leaves_no_cluster_behind() {
    if std::env::var_os(HELPER_ENV).is_some() {
        start_shared_cluster_and_hang();
    }
    let exe = std::env::current_exe().expect("current test binary");
    let mut child = Command::new(exe)
        .args([
            "--exact",
            "killed_test_process_leaves_no_cluster_behind",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(HELPER_ENV, "1")
        .env_remove("PGKEEP_KEEP_CLUSTER")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn helper");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut root = None;
    let mut pid = None;
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line.expect("read helper output");
        // libtest may have printed "test name ... " on the same line.
        if let Some((_, r)) = line.split_once("ROOT=") {
            root = Some(PathBuf::from(r));
        } else if let Some((_, p)) = line.split_once("PID=") {
            pid = Some(p.parse::<i32>().expect("pid"));
            break;
        }
    }
    let (Some(root), Some(pid)) = (root, pid) else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("helper exited without starting a cluster");
    };
    assert!(root.exists() && !process_gone(pid));

    child.kill().expect("SIGKILL helper");
    child.wait().expect("reap helper");

    // The watchdog notices within moments; allow a slow machine plenty.
    let deadline = Instant::now() + Duration::from_secs(60);
    while (root.exists() || !process_gone(pid)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        process_gone(pid),
        "postmaster {pid} outlived its killed test process"
    );
    assert!(
        !root.exists(),
        "{} outlived its killed test process",
        root.display()
    );
}

#[test]
fn start_failure_quotes_the_server_log() {
    let err = Cluster::start(ClusterOptions::default().setting("shared_buffers", "lots"))
        .expect_err("must fail");
    let text = err.to_string();
    assert!(matches!(err, ClusterError::StartFailed { .. }), "{err:?}");
    assert!(
        text.contains("last lines of") && text.contains("shared_buffers"),
        "{text}"
    );
}
