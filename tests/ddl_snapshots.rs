//! Snapshots of the SQL `pgkeep ddl` renders for the fixture database
//! (tests/fixtures/ddl), compared with tests/expected/ddl/*.sql.
//!
//! `PGKEEP_BLESS=1 cargo test --test ddl_snapshots` rewrites the expected
//! files; review the diff before committing it.
//!
//! The snapshots are taken on PostgreSQL 15 only (the server's deparsers
//! change between majors); on another major the tests say so and pass.
//!
//! Normalised before comparing, because it varies between runs or
//! machines and nothing else does:
//! * the source database's name (unique per test run) -> `<DATABASE>`;
//! * version numbers in `--` comment lines that mention a version (server
//!   minor release, pgkeep version) -> `<VERSION>`;
//! * `\restrict KEY` / `\unrestrict KEY` lines, should the script carry
//!   them: the key is random -> `<KEY>`.
//!
//! The first line of each expected file, written by this test and not by
//! pgkeep, lists the fixture files that were applied (optional ones depend
//! on the install), so a mismatch caused by a different install is obvious.

mod ddl_support;

use std::path::PathBuf;

use ddl_support::*;
use pgkeep_testing::pgcluster::{self, Cluster};

const SNAPSHOT_MAJOR: u32 = 15;

fn shared() -> &'static Cluster {
    match pgcluster::shared() {
        Ok(cluster) => cluster,
        Err(e) => panic!("{e}"),
    }
}

fn expected_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/expected/ddl")
        .join(name)
}

/// Replace every run like `15.18`, `0.1.0` or `17beta1` by `<VERSION>`.
fn mask_versions(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len());
    let mut i = 0;
    while i < chars.len() {
        let starts_number =
            chars[i].is_ascii_digit() && (i == 0 || !chars[i - 1].is_alphanumeric());
        if starts_number {
            let mut j = i;
            while j < chars.len()
                && (chars[j].is_ascii_alphanumeric()
                    || (chars[j] == '.'
                        && j + 1 < chars.len()
                        && chars[j + 1].is_ascii_alphanumeric()))
            {
                j += 1;
            }
            let token: String = chars[i..j].iter().collect();
            if token.contains('.')
                || token.contains("beta")
                || token.contains("rc")
                || token.contains("devel")
            {
                out.push_str("<VERSION>");
            } else {
                out.push_str(&token);
            }
            i = j;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

fn normalize(script: &str, db: &str) -> String {
    let mut out = String::with_capacity(script.len());
    for line in script.lines() {
        let line = line.replace(db, "<DATABASE>");
        let line = if line.starts_with("\\restrict ") {
            "\\restrict <KEY>".to_string()
        } else if line.starts_with("\\unrestrict ") {
            "\\unrestrict <KEY>".to_string()
        } else if line.starts_with("--") && line.to_ascii_lowercase().contains("version") {
            mask_versions(&line)
        } else {
            line
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

async fn snapshot(name: &str, args: &[&str]) {
    let cluster = shared();
    if cluster.server_major() != SNAPSHOT_MAJOR {
        eprintln!(
            "snapshot {name} skipped: the snapshots are of PostgreSQL {SNAPSHOT_MAJOR}, this cluster is {}",
            cluster.server_version()
        );
        return;
    }
    let (db, files) = fixture_database(cluster, "ddl_snapshot").await;
    let (script, _) = pgkeep_ddl(&cluster.conninfo(&db), args);
    let actual = format!(
        "-- fixture files: {} (written by tests/ddl_snapshots.rs)\n{}",
        files.join(" "),
        normalize(&script, &db)
    );
    let path = expected_path(name);
    if std::env::var_os("PGKEEP_BLESS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("create tests/expected/ddl");
        std::fs::write(&path, &actual).expect("write snapshot");
        eprintln!("blessed {}", path.display());
        return;
    }
    let expected = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => panic!(
            "no snapshot at {} ({e}); run `PGKEEP_BLESS=1 cargo test --test ddl_snapshots` \
             and review the file",
            path.display()
        ),
    };
    if expected != actual {
        let a: Vec<String> = expected.lines().map(str::to_string).collect();
        let b: Vec<String> = actual.lines().map(str::to_string).collect();
        panic!(
            "pgkeep ddl {args:?} differs from {} (- expected, + actual); \
             if the change is intended, rerun with PGKEEP_BLESS=1:\n{}",
            path.display(),
            unified_diff(&a, &b)
        );
    }
}

#[tokio::test]
async fn whole_database_snapshot() {
    snapshot("whole_database.sql", &[]).await;
}

#[tokio::test]
async fn tenant_a_snapshot() {
    snapshot("tenant_a.sql", &["-n", "tenant_a"]).await;
}

#[test]
fn version_masking() {
    assert_eq!(
        mask_versions("-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)"),
        "-- Dumped from database version <VERSION> (Debian <VERSION>-0+deb12u1)"
    );
    assert_eq!(
        mask_versions("-- pgkeep 0.1.0, server 18beta1"),
        "-- pgkeep <VERSION>, server <VERSION>"
    );
    assert_eq!(mask_versions("-- 3 tables"), "-- 3 tables");
}
