//! The connection service file (`pg_service.conf`): which files are
//! searched (`PGSERVICEFILE`, `~/.pg_service.conf`, `PGSYSCONFDIR`) and how
//! a service's section is read.
//!
//! Owns that file's format and search order; returns keyword/value pairs
//! and must not decide their precedence (that is `resolve`).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::error::ConnError;
use super::keywords::keyword;

pub(super) fn lookup_service(
    name: &str,
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<&Path>,
) -> Result<Vec<(&'static str, String)>, ConnError> {
    let mut files = Vec::new();
    match env("PGSERVICEFILE").filter(|f| !f.is_empty()) {
        Some(f) => files.push(PathBuf::from(f)),
        None => {
            if let Some(h) = home {
                files.push(h.join(".pg_service.conf"));
            }
        }
    }
    let sysconf = env("PGSYSCONFDIR")
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "/etc/postgresql-common".into());
    files.push(Path::new(&sysconf).join("pg_service.conf"));
    for file in &files {
        let text = match fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(source) => {
                return Err(ConnError::File {
                    what: "service file",
                    path: file.clone(),
                    source,
                })
            }
        };
        if let Some(entries) = parse_service_file(&text, name, file)? {
            return Ok(entries);
        }
    }
    let searched: Vec<String> = files
        .iter()
        .map(|f| format!("\"{}\"", f.display()))
        .collect();
    Err(ConnError::Service(format!(
        "definition of service \"{name}\" not found (searched {})",
        searched.join(", ")
    )))
}

/// The entries of service `name`, or `None` if the file has no such
/// section.
pub fn parse_service_file(
    text: &str,
    name: &str,
    file: &Path,
) -> Result<Option<Vec<(&'static str, String)>>, ConnError> {
    let mut in_group = false;
    let mut found = None::<Vec<(&'static str, String)>>;
    for (no, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(group) = line.strip_prefix('[') {
            if found.is_some() {
                break;
            }
            in_group = group.strip_suffix(']').is_some_and(|g| g.trim() == name);
            if in_group {
                found = Some(Vec::new());
            }
            continue;
        }
        if !in_group {
            continue;
        }
        let syntax = |what: String| {
            ConnError::Service(format!(
                "syntax error in service file \"{}\", line {}: {what}",
                file.display(),
                no + 1
            ))
        };
        let (k, v) = line
            .split_once('=')
            .ok_or_else(|| syntax("expected keyword=value".into()))?;
        let (k, v) = (k.trim(), v.trim());
        if k == "service" {
            return Err(syntax(
                "nested service specifications are not supported".into(),
            ));
        }
        let kw = keyword(k).ok_or_else(|| syntax(format!("invalid connection option \"{k}\"")))?;
        if let Some(entries) = found.as_mut() {
            entries.push((kw, v.to_string()));
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use super::super::spec::ConnSpec;
    use super::super::test_support::env_of;

    #[test]
    fn service_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("svc.conf");
        fs::write(
            &file,
            "# services\n[other]\nhost=nope\n\n[mine]\nhost = svc-host\nport=6000\ndbname=svcdb\n",
        )
        .unwrap();
        let env = env_of(&[
            ("HOME", "/nonexistent-pgkeep-home"),
            ("PGUSER", "alice"),
            ("PGSERVICEFILE", file.to_str().unwrap()),
            ("PGPORT", "1111"),
            ("PGSYSCONFDIR", "/nonexistent-pgkeep-sysconf"),
        ]);
        let r = ConnSpec::parse("service=mine dbname=given")
            .unwrap()
            .resolve(&env)
            .unwrap();
        // Explicit > service > environment.
        assert_eq!(r.describe(), "alice@svc-host:6000/given");
        let e = ConnSpec::parse("service=absent")
            .unwrap()
            .resolve(&env)
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("definition of service \"absent\" not found"),
            "{e}"
        );
        fs::write(&file, "[bad]\nnosuch=1\n").unwrap();
        let e = ConnSpec::parse("service=bad")
            .unwrap()
            .resolve(&env)
            .unwrap_err();
        assert!(
            e.to_string().contains("nosuch") && e.to_string().contains("line 2"),
            "{e}"
        );
    }

}
