//! The README's first command: `pgkeep demo` must work on a machine with
//! PostgreSQL server binaries, end to end.

use std::process::Command;

#[test]
fn demo_runs_end_to_end() {
    let repo = tempfile::tempdir().expect("tempdir");
    let path = repo.path().join("repo");
    let out = Command::new(env!("CARGO_BIN_EXE_pgkeep"))
        .args(["demo", "--orders", "20000", "--repo"])
        .arg(&path)
        .output()
        .expect("run pgkeep demo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "demo failed:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("demo finished: 7 snapshots written"),
        "{stdout}"
    );
    assert!(
        stdout.contains("2 tables identical to the source"),
        "{stdout}"
    );
    assert!(stdout.contains("into a new database demo_copy"), "{stdout}");
    assert!(stdout.contains("copied 7 snapshots into it"), "{stdout}");
    assert!(stdout.contains("from the encrypted copy"), "{stdout}");
    // The encrypted copy opens with the demo's password only.
    let encrypted = repo.path().join("repo-encrypted");
    let pw = repo.path().join("pw");
    std::fs::write(&pw, "pgkeep demo password\n").unwrap();
    let check = Command::new(env!("CARGO_BIN_EXE_pgkeep"))
        .args(["check", "--read-data", "--password-file"])
        .arg(&pw)
        .arg("--repo")
        .arg(&encrypted)
        .output()
        .expect("run pgkeep check");
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stderr));
    assert!(String::from_utf8_lossy(&check.stdout).contains("checked 7 snapshots"));
    // The kept repository is sound on its own, checked by a separate process.
    let check = Command::new(env!("CARGO_BIN_EXE_pgkeep"))
        .args(["check", "--read-data", "--repo"])
        .arg(&path)
        .output()
        .expect("run pgkeep check");
    let report = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "{report}");
    assert!(report.contains("checked 7 snapshots"), "{report}");
    let list = Command::new(env!("CARGO_BIN_EXE_pgkeep"))
        .args(["snapshots", "--tenant", "acme", "--repo"])
        .arg(&path)
        .output()
        .expect("run pgkeep snapshots");
    assert_eq!(
        String::from_utf8_lossy(&list.stdout).lines().count(),
        3,
        "header + 2 acme snapshots"
    );
}
