//! `pgkeep::pg::conn` against a real server: conninfo strings and URIs over the
//! unix socket and TCP, passwords from the connection string, the
//! environment and the password file, error messages, and TLS in every
//! `sslmode` with certificates made at test time.
//!
//! One throwaway cluster serves the whole file. It requires scram-sha-256
//! over TCP (password `s3cret`), has TLS switched on after start (a CA and
//! a server certificate for `localhost` generated here), rejects non-TLS
//! connections to database `sslonly`, and authenticates database `certdb`
//! by client certificate.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use pgkeep::pg::conn::{self, ConnError, ConnSpec, FailureKind, ResolvedConn, SslMode};
use pgkeep_testing::pgcluster::{Cluster, ClusterOptions};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};

const PASSWORD: &str = "s3cret";

struct Fixture {
    port: u16,
    /// `Cluster::conninfo("postgres")`, over the unix socket.
    socket_conninfo: String,
    /// `Cluster::url("postgres")`, over the unix socket.
    socket_url: String,
    /// Private directory for client-side files; removed at exit.
    dir: PathBuf,
    /// An empty home directory: no ~/.pgpass, no ~/.postgresql.
    empty_home: PathBuf,
    ca: PathBuf,
    wrong_ca: PathBuf,
    client_cert: PathBuf,
    client_key: PathBuf,
}

static FIXTURE: OnceLock<Fixture> = OnceLock::new();
/// Statics are never dropped: the cluster lives here so the exit hook can
/// stop it.
static CLUSTER: Mutex<Option<Cluster>> = Mutex::new(None);
static FIXTURE_DIR: Mutex<Option<PathBuf>> = Mutex::new(None);

extern "C" fn cleanup_at_exit() {
    let _ = std::panic::catch_unwind(|| {
        if let Ok(mut slot) = CLUSTER.lock() {
            drop(slot.take());
        }
        if let Ok(mut dir) = FIXTURE_DIR.lock() {
            if let Some(dir) = dir.take() {
                let _ = fs::remove_dir_all(dir);
            }
        }
    });
}

fn fixture() -> &'static Fixture {
    FIXTURE.get_or_init(|| {
        // Set up on a thread of its own: the caller is inside a runtime.
        std::thread::spawn(setup)
            .join()
            .unwrap_or_else(|_| panic!("setting up the TLS test cluster failed"))
    })
}

fn ca(name: &str) -> (String, Issuer<'static, KeyPair>) {
    let key = KeyPair::generate().expect("CA key");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let cert = params.self_signed(&key).expect("self-sign CA");
    (cert.pem(), Issuer::new(params, key))
}

fn leaf(names: &[&str], cn: &str, issuer: &Issuer<'_, KeyPair>) -> (String, String) {
    let key = KeyPair::generate().expect("leaf key");
    let mut params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .expect("leaf params");
    params.distinguished_name.push(DnType::CommonName, cn);
    let cert = params.signed_by(&key, issuer).expect("sign leaf");
    (cert.pem(), key.serialize_pem())
}

fn write_private(path: &Path, contents: &str, mode: u32) {
    let _ = fs::remove_file(path);
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .and_then(|mut f| f.write_all(contents.as_bytes()))
        .unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

fn setup() -> Fixture {
    let (ca_pem, ca_issuer) = ca("pgkeep test CA");
    let (wrong_pem, _) = ca("some other CA");
    let (server_cert, server_key) = leaf(&["localhost"], "localhost", &ca_issuer);
    let (client_cert, client_key) = leaf(&[], "postgres", &ca_issuer);

    let dir = tempfile::Builder::new()
        .prefix("pgkeep-conn-test-")
        .tempdir()
        .expect("temp dir")
        .keep();
    *FIXTURE_DIR.lock().unwrap() = Some(dir.clone());
    // SAFETY: registers a plain function that captures nothing.
    unsafe {
        libc::atexit(cleanup_at_exit);
    }
    let empty_home = dir.join("home");
    fs::create_dir(&empty_home).unwrap();
    let ca = dir.join("ca.pem");
    let wrong_ca = dir.join("wrong-ca.pem");
    fs::write(&ca, &ca_pem).unwrap();
    fs::write(&wrong_ca, &wrong_pem).unwrap();
    let client_cert_path = dir.join("client.crt");
    let client_key_path = dir.join("client.key");
    fs::write(&client_cert_path, &client_cert).unwrap();
    write_private(&client_key_path, &client_key, 0o600);

    let cluster = Cluster::start(ClusterOptions::default().password(PASSWORD))
        .unwrap_or_else(|e| panic!("{e}"));

    // The server reads these from its data directory; the key must be the
    // server user's and private (the harness runs the server as an
    // unprivileged user when the tests run as root).
    let data = cluster.data_dir().to_path_buf();
    let owner = fs::metadata(&data).expect("stat data dir");
    for (name, contents) in [
        ("server.crt", server_cert.as_str()),
        ("server.key", server_key.as_str()),
        ("root.crt", ca_pem.as_str()),
    ] {
        let path = data.join(name);
        write_private(&path, contents, 0o600);
        std::os::unix::fs::chown(&path, Some(owner.uid()), Some(owner.gid()))
            .unwrap_or_else(|e| panic!("chown {}: {e}", path.display()));
    }
    let hba = data.join("pg_hba.conf");
    let old = fs::read_to_string(&hba).expect("read pg_hba.conf");
    // Rewriting in place keeps the file's owner.
    fs::write(
        &hba,
        format!(
            "hostnossl sslonly all 127.0.0.1/32 reject\n\
             hostssl certdb all 127.0.0.1/32 cert\n\
             {old}"
        ),
    )
    .expect("write pg_hba.conf");

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        cluster.create_database("sslonly").await.unwrap();
        cluster.create_database("certdb").await.unwrap();
        let client = cluster.connect("postgres").await.unwrap();
        for sql in [
            "ALTER SYSTEM SET ssl = on",
            "ALTER SYSTEM SET ssl_ca_file = 'root.crt'",
            "SELECT pg_reload_conf()",
        ] {
            client.batch_execute(sql).await.unwrap();
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let fresh = cluster.connect("postgres").await.unwrap();
            let ssl: String = fresh.query_one("SHOW ssl", &[]).await.unwrap().get(0);
            if ssl == "on" {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "ssl did not come on after reload; see {}",
                cluster.log_file().display()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });

    let fixture = Fixture {
        port: cluster.port(),
        socket_conninfo: cluster.conninfo("postgres"),
        socket_url: cluster.url("postgres"),
        dir,
        empty_home,
        ca,
        wrong_ca,
        client_cert: client_cert_path,
        client_key: client_key_path,
    };
    *CLUSTER.lock().unwrap() = Some(cluster);
    fixture
}

/// An injected environment: `HOME` is the empty home unless overridden.
fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let mut map: BTreeMap<String, String> = BTreeMap::new();
    map.insert(
        "HOME".into(),
        fixture().empty_home.to_string_lossy().into_owned(),
    );
    for (k, v) in pairs {
        map.insert(k.to_string(), v.to_string());
    }
    move |k: &str| map.get(k).cloned()
}

fn resolve(conninfo: &str, env: &dyn Fn(&str) -> Option<String>) -> ResolvedConn {
    ConnSpec::parse(conninfo)
        .unwrap_or_else(|e| panic!("parse {conninfo:?}: {e}"))
        .resolve(env)
        .unwrap_or_else(|e| panic!("resolve {conninfo:?}: {e}"))
}

/// TCP conninfo without password.
fn tcp(extra: &str) -> String {
    format!(
        "host=127.0.0.1 port={} user=postgres dbname=postgres {extra}",
        fixture().port
    )
}

async fn connect_ok(r: &ResolvedConn) -> tokio_postgres::Client {
    match conn::connect(r).await {
        Ok((client, _task)) => client,
        Err(e) => panic!("connect to {} failed: {e}", r.describe()),
    }
}

async fn connect_err(r: &ResolvedConn) -> ConnError {
    match conn::connect(r).await {
        Ok(_) => panic!("connect to {} unexpectedly succeeded", r.describe()),
        Err(e) => e,
    }
}

/// Whether this session uses TLS, and the server address (None = socket).
async fn session(client: &tokio_postgres::Client) -> (bool, Option<String>) {
    let row = client
        .query_one(
            "SELECT ssl, host(inet_server_addr()) FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .expect("query pg_stat_ssl");
    (row.get(0), row.get(1))
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

// ---------------------------------------------------------------------------
// Plain connections and passwords.
// ---------------------------------------------------------------------------

#[tokio::test]
async fn conninfo_over_the_unix_socket() {
    let f = fixture();
    let r = resolve(
        &f.socket_conninfo,
        &env(&[("PGAPPNAME", "pgkeep-conn-test")]),
    );
    assert!(r.describe().starts_with("postgres@/"), "{}", r.describe());
    assert!(
        r.describe().ends_with(&format!(":{}/postgres", f.port)),
        "{}",
        r.describe()
    );
    let client = connect_ok(&r).await;
    assert_eq!(session(&client).await, (false, None));
    let app: String = client
        .query_one("SHOW application_name", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(app, "pgkeep-conn-test");
}

#[tokio::test]
async fn url_over_the_unix_socket_even_with_verify_full() {
    // TLS is never used over a unix socket, so verify-full without any
    // root certificate still connects there, as with libpq.
    let f = fixture();
    let r = resolve(&f.socket_url, &env(&[("PGSSLMODE", "verify-full")]));
    let client = connect_ok(&r).await;
    assert_eq!(session(&client).await, (false, None));
}

#[tokio::test]
async fn uri_over_tcp_with_the_password_in_it() {
    let f = fixture();
    let uri = format!(
        "postgresql://postgres:{PASSWORD}@127.0.0.1:{}/postgres?sslmode=disable&application_name=uri%20test",
        f.port
    );
    let r = resolve(&uri, &env(&[]));
    assert_eq!(
        r.describe(),
        format!("postgres@127.0.0.1:{}/postgres", f.port)
    );
    assert!(!format!("{r:?}").contains(PASSWORD));
    let client = connect_ok(&r).await;
    assert_eq!(
        session(&client).await,
        (false, Some("127.0.0.1".to_string()))
    );
    let app: String = client
        .query_one("SHOW application_name", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(app, "uri test");
}

#[tokio::test]
async fn password_from_injected_environment() {
    let f = fixture();
    let r = resolve(
        "",
        &env(&[
            ("PGHOST", "127.0.0.1"),
            ("PGPORT", &f.port.to_string()),
            ("PGUSER", "postgres"),
            ("PGDATABASE", "postgres"),
            ("PGPASSWORD", PASSWORD),
            ("PGSSLMODE", "disable"),
        ]),
    );
    let client = connect_ok(&r).await;
    assert_eq!(
        session(&client).await,
        (false, Some("127.0.0.1".to_string()))
    );
}

#[tokio::test]
async fn password_file_in_home_with_a_wildcard_line() {
    let home = tempfile::tempdir().unwrap();
    let pgpass = home.path().join(".pgpass");
    write_private(
        &pgpass,
        &format!(
            "# comments and non-matching lines first\n\
             127.0.0.1:{}:otherdb:postgres:wrong\n\
             *:*:*:postgres:{PASSWORD}\n",
            fixture().port
        ),
        0o600,
    );
    let home_str = home.path().to_str().unwrap();
    let r = resolve(&tcp("sslmode=disable"), &env(&[("HOME", home_str)]));
    assert_eq!(r.hosts()[0].password_file(), Some(pgpass.as_path()));
    connect_ok(&r).await;
}

#[tokio::test]
async fn password_file_named_by_passfile_and_pgpassfile() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("my pass file");
    write_private(
        &file,
        &format!(
            "127.0.0.1:{}:postgres:postgres:{PASSWORD}\n",
            fixture().port
        ),
        0o600,
    );
    let quoted = conn::quote_conninfo_value(file.to_str().unwrap());
    let r = resolve(
        &tcp(&format!("passfile={quoted} sslmode=disable")),
        &env(&[]),
    );
    connect_ok(&r).await;
    let r = resolve(
        &tcp("sslmode=disable"),
        &env(&[("PGPASSFILE", file.to_str().unwrap())]),
    );
    connect_ok(&r).await;
}

#[tokio::test]
async fn world_readable_password_file_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pgpass");
    write_private(&file, &format!("*:*:*:*:{PASSWORD}\n"), 0o644);
    // Umask may have narrowed the mode at creation.
    fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
    let r = resolve(
        &tcp("sslmode=disable"),
        &env(&[("PGPASSFILE", file.to_str().unwrap())]),
    );
    assert_eq!(r.hosts()[0].password_file(), None);
    assert!(
        r.warnings()
            .iter()
            .any(|w| w.contains("group or world access")),
        "{:?}",
        r.warnings()
    );
    let e = connect_err(&r).await;
    assert_eq!(e.failure_kind(), Some(FailureKind::Auth), "{e}");
    let text = e.to_string();
    assert!(
        text.contains("requested a password for user \"postgres\""),
        "{text}"
    );
    assert!(text.contains("group or world access"), "{text}");
    assert!(!text.contains(PASSWORD), "{text}");
}

#[tokio::test]
async fn wrong_password_names_the_user_and_hides_the_password() {
    let r = resolve(&tcp("password=Wr0ngPassw0rd sslmode=disable"), &env(&[]));
    let e = connect_err(&r).await;
    let text = e.to_string();
    assert_eq!(e.failure_kind(), Some(FailureKind::Auth), "{text}");
    assert!(
        text.contains("password authentication failed for user \"postgres\""),
        "{text}"
    );
    assert!(
        text.contains(&format!("127.0.0.1:{}", fixture().port)),
        "{text}"
    );
    assert!(!text.contains("Wr0ngPassw0rd"), "{text}");
    assert!(!format!("{e:?}").contains("Wr0ngPassw0rd"));

    // From a password file, the message says where the password came from.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pgpass");
    write_private(&file, "*:*:*:postgres:Wr0ngPassw0rd\n", 0o600);
    let r = resolve(
        &tcp("sslmode=disable"),
        &env(&[("PGPASSFILE", file.to_str().unwrap())]),
    );
    let text = connect_err(&r).await.to_string();
    assert!(text.contains("password retrieved from file"), "{text}");
    assert!(!text.contains("Wr0ngPassw0rd"), "{text}");
}

#[tokio::test]
async fn unknown_keyword_is_named() {
    let e = ConnSpec::parse(&format!("{} frobnicate=1", fixture().socket_conninfo)).unwrap_err();
    assert_eq!(e.to_string(), "invalid connection option \"frobnicate\"");
    let e = ConnSpec::parse("postgresql://h/db?frobnicate=1").unwrap_err();
    assert!(e.to_string().contains("\"frobnicate\""), "{e}");
}

#[tokio::test]
async fn unreachable_port_is_named_and_next_host_is_tried() {
    let dead = free_port();
    let r = resolve(
        &format!("host=127.0.0.1 port={dead} user=postgres password={PASSWORD}"),
        &env(&[]),
    );
    let e = connect_err(&r).await;
    let text = e.to_string();
    assert_eq!(e.failure_kind(), Some(FailureKind::Unreachable), "{text}");
    assert!(text.contains(&format!("127.0.0.1:{dead}")), "{text}");
    assert!(text.contains("accepting TCP/IP connections"), "{text}");

    // Several hosts: tried in order, the live one wins.
    let live = fixture().port;
    let r = resolve(
        &format!(
            "host=127.0.0.1,127.0.0.1 port={dead},{live} user=postgres dbname=postgres password={PASSWORD}"
        ),
        &env(&[]),
    );
    connect_ok(&r).await;

    // All dead: every attempt is reported.
    let dead2 = free_port();
    let r = resolve(
        &format!("postgresql://127.0.0.1:{dead},127.0.0.1:{dead2}/postgres?user=postgres"),
        &env(&[]),
    );
    let text = connect_err(&r).await.to_string();
    assert!(text.contains(&format!("127.0.0.1:{dead}")), "{text}");
    assert!(text.contains(&format!("127.0.0.1:{dead2}")), "{text}");
}

#[tokio::test]
async fn connect_timeout_covers_a_server_that_never_answers() {
    // The kernel completes the TCP handshake for a listener nobody
    // accepts on, so only a timeout over the whole attempt ends this.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let r = resolve(
        &format!("host=127.0.0.1 port={port} user=postgres connect_timeout=1"),
        &env(&[]),
    );
    let started = Instant::now();
    let e = connect_err(&r).await;
    assert_eq!(e.failure_kind(), Some(FailureKind::Timeout), "{e}");
    let text = e.to_string();
    assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
    assert!(text.contains("timeout expired after 2 s"), "{text}");
    assert!(started.elapsed() >= Duration::from_secs(2));
    drop(silent);
}

#[tokio::test]
async fn target_session_attrs_checks_the_server() {
    let r = resolve(
        &tcp(&format!(
            "password={PASSWORD} target_session_attrs=read-write"
        )),
        &env(&[]),
    );
    connect_ok(&r).await;
    let r = resolve(
        &tcp(&format!("password={PASSWORD} target_session_attrs=standby")),
        &env(&[]),
    );
    let e = connect_err(&r).await;
    assert_eq!(e.failure_kind(), Some(FailureKind::SessionAttrs), "{e}");
    assert!(e.to_string().contains("not in hot standby"), "{e}");
}

#[tokio::test]
async fn tokio_config_with_make_tls_connects() {
    let f = fixture();
    let r = resolve(
        &format!(
            "host=localhost hostaddr=127.0.0.1 port={} user=postgres dbname=postgres password={PASSWORD} sslmode=verify-full sslrootcert={}",
            f.port,
            f.ca.display()
        ),
        &env(&[]),
    );
    let cfg = r.to_tokio_config();
    let (client, connection) = cfg.connect(r.make_tls().unwrap()).await.expect("connect");
    tokio::spawn(connection);
    assert!(session(&client).await.0);
}

// ---------------------------------------------------------------------------
// TLS.
// ---------------------------------------------------------------------------

fn tls(extra: &str) -> String {
    tcp(&format!("password={PASSWORD} {extra}"))
}

#[tokio::test]
async fn sslmode_require_accepts_the_servers_certificate_unverified() {
    let r = resolve(&tls("sslmode=require"), &env(&[]));
    assert_eq!(r.sslmode(), SslMode::Require);
    let client = connect_ok(&r).await;
    assert!(session(&client).await.0, "expected a TLS session");
}

#[tokio::test]
async fn default_sslmode_prefer_uses_tls() {
    let r = resolve(&tls(""), &env(&[]));
    assert_eq!(r.sslmode(), SslMode::Prefer);
    let client = connect_ok(&r).await;
    assert!(session(&client).await.0, "expected a TLS session");
}

#[tokio::test]
async fn verify_ca_with_the_right_root_ignores_the_host_name() {
    // The certificate names "localhost"; 127.0.0.1 does not match, which
    // verify-ca does not care about.
    let f = fixture();
    let r = resolve(
        &tls(&format!("sslmode=verify-ca sslrootcert={}", f.ca.display())),
        &env(&[]),
    );
    let client = connect_ok(&r).await;
    assert!(session(&client).await.0);
}

#[tokio::test]
async fn verify_ca_with_a_wrong_root_fails() {
    let f = fixture();
    let r = resolve(
        &tls(&format!(
            "sslmode=verify-ca sslrootcert={}",
            f.wrong_ca.display()
        )),
        &env(&[]),
    );
    let e = connect_err(&r).await;
    let text = e.to_string();
    assert_eq!(e.failure_kind(), Some(FailureKind::Tls), "{text}");
    assert!(text.contains("UnknownIssuer"), "{text}");
    assert!(text.contains(&format!("127.0.0.1:{}", f.port)), "{text}");
}

#[tokio::test]
async fn sslmode_require_with_a_root_certificate_verifies_like_verify_ca() {
    let f = fixture();
    let r = resolve(
        &tls(&format!(
            "sslmode=require sslrootcert={}",
            f.wrong_ca.display()
        )),
        &env(&[]),
    );
    let e = connect_err(&r).await;
    assert_eq!(e.failure_kind(), Some(FailureKind::Tls), "{e}");
    let r = resolve(
        &tls(&format!("sslmode=require sslrootcert={}", f.ca.display())),
        &env(&[]),
    );
    connect_ok(&r).await;
}

#[tokio::test]
async fn verify_full_rejects_a_host_name_mismatch() {
    let f = fixture();
    let r = resolve(
        &tls(&format!(
            "sslmode=verify-full sslrootcert={}",
            f.ca.display()
        )),
        &env(&[]),
    );
    let e = connect_err(&r).await;
    let text = e.to_string();
    assert_eq!(e.failure_kind(), Some(FailureKind::Tls), "{text}");
    assert!(text.contains("not valid for name \"127.0.0.1\""), "{text}");
}

#[tokio::test]
async fn verify_full_accepts_the_matching_host_name() {
    let f = fixture();
    // By name (resolved by the system) and by name plus hostaddr.
    for conninfo in [
        format!(
            "host=localhost port={} user=postgres dbname=postgres password={PASSWORD} sslmode=verify-full sslrootcert={}",
            f.port,
            f.ca.display()
        ),
        format!(
            "host=localhost hostaddr=127.0.0.1 port={} user=postgres dbname=postgres password={PASSWORD} sslmode=verify-full channel_binding=require",
            f.port
        ),
    ] {
        let r = resolve(
            &conninfo,
            &env(&[("PGSSLROOTCERT", f.ca.to_str().unwrap())]),
        );
        let client = connect_ok(&r).await;
        assert!(session(&client).await.0);
    }
}

#[tokio::test]
async fn verify_full_without_a_root_certificate_says_what_to_do() {
    let r = resolve(&tls("sslmode=verify-full"), &env(&[]));
    let text = connect_err(&r).await.to_string();
    assert!(text.contains("root.crt"), "{text}");
    assert!(text.contains("sslrootcert=system"), "{text}");
}

#[tokio::test]
async fn default_root_certificate_in_home_is_used() {
    // ~/.postgresql/root.crt makes even sslmode=require verify the chain;
    // with the wrong CA there, prefer falls back to plaintext (libpq).
    let f = fixture();
    let home = tempfile::tempdir().unwrap();
    fs::create_dir(home.path().join(".postgresql")).unwrap();
    fs::copy(&f.wrong_ca, home.path().join(".postgresql/root.crt")).unwrap();
    let e = env(&[("HOME", home.path().to_str().unwrap())]);
    let r = resolve(&tls("sslmode=require"), &e);
    assert_eq!(connect_err(&r).await.failure_kind(), Some(FailureKind::Tls));
    let r = resolve(&tls("sslmode=prefer"), &e);
    let client = connect_ok(&r).await;
    assert!(!session(&client).await.0, "prefer should have fallen back");

    fs::copy(&f.ca, home.path().join(".postgresql/root.crt")).unwrap();
    let r = resolve(&tls("sslmode=verify-ca"), &e);
    connect_ok(&r).await;
}

#[tokio::test]
async fn sslmode_disable_against_a_hostssl_only_database_fails_clearly() {
    let r = resolve(
        &tcp(&format!(
            "password={PASSWORD} dbname=sslonly sslmode=disable"
        )),
        &env(&[]),
    );
    let e = connect_err(&r).await;
    let text = e.to_string();
    assert_eq!(e.failure_kind(), Some(FailureKind::Auth), "{text}");
    assert!(text.contains("pg_hba.conf rejects connection"), "{text}");
    assert!(text.contains("no encryption"), "{text}");

    // allow: plaintext first, then TLS after the rejection.
    let r = resolve(
        &tcp(&format!("password={PASSWORD} dbname=sslonly sslmode=allow")),
        &env(&[]),
    );
    let client = connect_ok(&r).await;
    assert!(session(&client).await.0);
}

#[tokio::test]
async fn client_certificate_authentication() {
    let f = fixture();
    let conninfo = format!(
        "host=localhost hostaddr=127.0.0.1 port={} user=postgres dbname=certdb sslmode=verify-full sslrootcert={} sslcert={} sslkey={}",
        f.port,
        f.ca.display(),
        f.client_cert.display(),
        f.client_key.display()
    );
    // No password: the certificate is the credential.
    let client = connect_ok(&resolve(&conninfo, &env(&[]))).await;
    assert!(session(&client).await.0);

    // Without the certificate the server refuses.
    let r = resolve(&format!("{conninfo} sslcertmode=disable"), &env(&[]));
    let e = connect_err(&r).await;
    assert_eq!(e.failure_kind(), Some(FailureKind::Auth), "{e}");

    // A readable private key is refused before connecting, as in libpq.
    let loose = f.dir.join("loose.key");
    fs::copy(&f.client_key, &loose).unwrap();
    fs::set_permissions(&loose, fs::Permissions::from_mode(0o644)).unwrap();
    let r = resolve(
        &conninfo.replace(f.client_key.to_str().unwrap(), loose.to_str().unwrap()),
        &env(&[]),
    );
    let text = connect_err(&r).await.to_string();
    assert!(text.contains("group or world access"), "{text}");
    assert!(text.contains("loose.key"), "{text}");
}

/// A malformed URI never echoes its password, whole or in pieces: not when
/// the parser names the URI (IPv6 bracket), nor when an unescaped '/' or
/// '@' in the password makes part of it look like a port or host.
#[test]
fn malformed_uri_does_not_echo_its_password() {
    for (uri, secret) in [
        ("postgresql://app:Hunter2Secret@[::1/db", "Hunter2Secret"),
        ("postgresql://app:Hunter2Secret@[]/db", "Hunter2Secret"),
        ("postgresql://app:Hunter2Secret@[::1]x/db", "Hunter2Secret"),
        ("postgresql://app:Hun/ter2Secret@host/db", "ter2Secret"),
        ("postgresql://app:Hun/ter2Secret@host/db", "Hun"),
        ("postgresql://app:abc:Hunter2Secret@host:notaport/db", "Hunter2Secret"),
        ("postgresql://h/db?password=Hunter2Secret&port=x", "Hunter2Secret"),
        ("postgresql://h/db?password=Hunter2Secret&nosuch=1", "Hunter2Secret"),
    ] {
        let Err(e) = ConnSpec::parse(uri).and_then(|s| s.resolve(&env(&[]))) else {
            continue;
        };
        let text = e.to_string();
        assert!(!text.contains(secret), "{uri}: {text}");
        assert!(!format!("{e:?}").contains(secret), "{uri}: {e:?}");
    }
    assert_eq!(
        conn::redact_uri("postgres://u:p%40ss@h:5/d?sslmode=disable&password=x"),
        "postgres://u:****@h:5/d?sslmode=disable&password=****"
    );
}

/// A role (or server) with standard_conforming_strings off: every session
/// pgkeep opens turns it on before it sends any literal.
#[tokio::test]
async fn sessions_turn_standard_conforming_strings_on() {
    let f = fixture();
    let admin = connect_ok(&resolve(&f.socket_conninfo, &env(&[]))).await;
    admin
        .batch_execute(
            "DROP ROLE IF EXISTS scs_off; CREATE ROLE scs_off LOGIN; \
             ALTER ROLE scs_off SET standard_conforming_strings = off",
        )
        .await
        .unwrap();
    let r = resolve(&format!("{} user=scs_off", f.socket_conninfo), &env(&[]));
    let client = connect_ok(&r).await;
    let scs: String = client.query_one("SHOW standard_conforming_strings", &[]).await.unwrap().get(0);
    assert_eq!(scs, "on");
    // A literal quoted the standard way means what it says.
    let v: String = client.simple_query("SELECT 'a\\b'").await.unwrap().into_iter().find_map(|m| match m {
        tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
        _ => None,
    }).unwrap();
    assert_eq!(v, "a\\b");
}
