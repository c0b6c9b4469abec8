//! What users read when something is wrong, snapshotted so a change to a
//! message is a visible diff (tests/expected/error_messages.txt;
//! `PGKEEP_BLESS=1 cargo test --test error_messages` rewrites it — review
//! the diff). Each message must name the object and, where there is one,
//! what to do next. No server is needed: these are the errors of input a
//! user gives before any connection.

use std::path::PathBuf;

use pgkeep::engine::export::find_table;
use pgkeep::engine::restore::{self, RestoreOptions};
use pgkeep::manifest::snapshot::{Scope, TableData};
use pgkeep::manifest::{Id, Snapshot};
use pgkeep::pg::conn::ConnSpec;
use pgkeep::repo::{RepoConfig, Repository};
use pgkeep::service::config::Config;

fn expected_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/expected/error_messages.txt")
}

#[test]
fn error_messages_name_the_object_and_the_way_out() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().display().to_string();
    let mut cases: Vec<(&str, String)> = Vec::new();

    // Repository.
    let missing = dir.path().join("no-such-repo");
    cases.push(("open a folder that is not a repository", Repository::open(&missing).err().map(|e| e.to_string()).unwrap_or_default()));
    let repo = Repository::init(&dir.path().join("repo"), RepoConfig::new(Default::default(), Default::default(), 1 << 20).unwrap()).unwrap();
    cases.push(("init over an existing repository", Repository::init(&dir.path().join("repo"), RepoConfig::new(Default::default(), Default::default(), 1 << 20).unwrap()).err().map(|e| e.to_string()).unwrap_or_default()));
    cases.push(("an unknown snapshot", repo.resolve_snapshot("abcdef12", None).err().map(|e| e.to_string()).unwrap_or_default()));
    cases.push(("latest with no snapshots", repo.resolve_snapshot("latest", Some("acme")).err().map(|e| e.to_string()).unwrap_or_default()));
    cases.push(("a repository location with an unknown scheme", pgkeep::repo::RepoLocation::parse("s4://bucket/prefix").err().map(|e| e.to_string()).unwrap_or_default()));
    cases.push(("credentials in a repository location", pgkeep::repo::RepoLocation::parse("s3://AKIAKEY:s3cret@bucket/prefix").err().map(|e| e.to_string()).unwrap_or_default()));

    // Restore options checked before connecting.
    let whole = Snapshot { scope: Scope { kind: pgkeep::manifest::snapshot::ScopeKind::Database, ..Default::default() }, ..Default::default() };
    let id = Id::hash(b"x");
    let list = |opts: RestoreOptions| restore::list(&whole, &id, &opts).err().map(|e| e.to_string()).unwrap_or_default();
    cases.push(("schema-only with data-only", list(RestoreOptions { schema_only: true, data_only: true, ..Default::default() })));
    cases.push(("clean with keep-going", list(RestoreOptions { clean: true, keep_going: true, ..Default::default() })));
    cases.push(("another schema name for a whole database", list(RestoreOptions { target_schema: Some("acme_copy".into()), ..Default::default() })));

    // Export.
    let snap = Snapshot {
        tables: vec![TableData { schema: "acme".into(), name: "orders".into(), ..Default::default() }],
        ..Default::default()
    };
    cases.push(("export of a table the snapshot lacks", find_table(&snap, "acme.invoices").err().map(|e| e.to_string()).unwrap_or_default()));

    // Connection strings.
    cases.push(("an unknown conninfo keyword", ConnSpec::parse("host=db1 colour=blue").err().map(|e| e.to_string()).unwrap_or_default()));
    cases.push(("a malformed URI with a password", ConnSpec::parse("postgresql://app:s3cret@[db1/shop").err().map(|e| e.to_string()).unwrap_or_default()));

    // Service configuration.
    cases.push(("a config with an unknown time zone", Config::parse("repository = \"/r\"\nadmin_token_env = \"PGKEEP_TOKEN\"\ntimezone = \"Mars/Olympus\"\n", "pgkeep.toml").err().map(|e| e.to_string()).unwrap_or_default()));

    let mut got = String::new();
    for (what, message) in &cases {
        assert!(!message.is_empty(), "{what}: no error");
        assert!(!message.contains("s3cret"), "{what}: the password is in the message: {message}");
        got.push_str(&format!("## {what}\n{}\n\n", message.replace(&root, "<TMP>")));
    }
    let path = expected_path();
    if std::env::var_os("PGKEEP_BLESS").is_some() {
        std::fs::write(&path, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        want == got,
        "error messages changed (PGKEEP_BLESS=1 to accept, after reading them):\n--- expected\n{want}\n--- got\n{got}"
    );
}
