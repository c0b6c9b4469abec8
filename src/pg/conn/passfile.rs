//! The password file (`.pgpass`, `passfile`, `PGPASSFILE`): when it is
//! safe to read, how its lines match `host:port:db:user`, and how to
//! escape a field for it.
//!
//! Owns that file's format; problems reading it are warnings, as in libpq.
//! Must not decide whether a password is needed (that is `resolve`).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::resolved::HostAddr;

/// Read the password file if it is safe to; problems become warnings, as
/// in libpq.
pub(super) fn read_passfile(path: &Path, warnings: &mut Vec<String>) -> Option<String> {
    let meta = fs::metadata(path).ok()?;
    if !meta.is_file() {
        warnings.push(format!(
            "password file \"{}\" is not a plain file; ignoring it",
            path.display()
        ));
        return None;
    }
    if meta.permissions().mode() & 0o077 != 0 {
        warnings.push(format!(
            "password file \"{}\" has group or world access; permissions should be u=rw (0600) or less; ignoring it",
            path.display()
        ));
        return None;
    }
    match fs::read(path) {
        Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
        Err(e) => {
            warnings.push(format!(
                "could not read password file \"{}\": {e}",
                path.display()
            ));
            None
        }
    }
}

/// The host name a password-file line is matched against: `localhost`
/// for the default socket directory, as libpq does.
pub(super) fn passfile_host(addr: &HostAddr, default_dir: &Path) -> String {
    match addr {
        HostAddr::Socket(dir) if dir == default_dir => "localhost".into(),
        HostAddr::Socket(dir) => dir.to_string_lossy().into_owned(),
        HostAddr::Tcp { host: Some(h), .. } => h.clone(),
        HostAddr::Tcp {
            host: None,
            hostaddr: Some(a),
        } => a.to_string(),
        HostAddr::Tcp { .. } => "localhost".into(),
    }
}

/// Find the password for `host:port:db:user` in password-file text:
/// the first matching line wins, `*` matches anything, `\:` and `\\` are
/// literal characters, lines starting with `#` are comments.
pub fn pgpass_lookup(
    contents: &str,
    host: &str,
    port: &str,
    db: &str,
    user: &str,
) -> Option<String> {
    'lines: for line in contents.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut rest = line;
        for want in [host, port, db, user] {
            match match_pgpass_field(rest, want) {
                Some(r) => rest = r,
                None => continue 'lines,
            }
        }
        let mut password = String::new();
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                ':' => break,
                '\\' => match chars.next() {
                    Some(n) => password.push(n),
                    None => password.push('\\'),
                },
                c => password.push(c),
            }
        }
        return Some(password);
    }
    None
}

/// If the field at the start of `s` matches `want`, the rest after its `:`.
fn match_pgpass_field<'a>(s: &'a str, want: &str) -> Option<&'a str> {
    if let Some(rest) = s.strip_prefix("*:") {
        return Some(rest);
    }
    let mut want = want.chars();
    let mut it = s.char_indices();
    while let Some((i, c)) = it.next() {
        let literal = match c {
            ':' => {
                return want.next().is_none().then(|| &s[i + 1..]);
            }
            '\\' => it.next()?.1,
            c => c,
        };
        if want.next() != Some(literal) {
            return None;
        }
    }
    None
}

/// Escape a value so a password-file field matches exactly it: `:` and
/// `\` always, and `*` and `#` too, so that neither a lone `*` (wildcard)
/// nor a leading `#` (comment) changes the meaning.
pub fn pgpass_escape(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    for c in field.chars() {
        if matches!(c, ':' | '\\' | '*' | '#') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use super::super::spec::ConnSpec;
    use super::super::test_support::env_of;

    #[test]
    fn pgpass_matching() {
        let file = "# comment\n\
                    other:5432:*:alice:nope\n\
                    db\\:x:5432:*:alice:colon\n\
                    *:5432:sales:*:wild\\:card\\\\\n\
                    localhost:*:*:alice:sock\n";
        assert_eq!(
            pgpass_lookup(file, "db:x", "5432", "d", "alice").as_deref(),
            Some("colon")
        );
        assert_eq!(
            pgpass_lookup(file, "h", "5432", "sales", "bob").as_deref(),
            Some("wild:card\\")
        );
        assert_eq!(
            pgpass_lookup(file, "localhost", "1", "d", "alice").as_deref(),
            Some("sock")
        );
        assert_eq!(pgpass_lookup(file, "h", "5433", "sales", "bob"), None);
        // First match wins.
        let file = "h:*:*:*:first\nh:*:*:*:second\n";
        assert_eq!(
            pgpass_lookup(file, "h", "1", "d", "u").as_deref(),
            Some("first")
        );
        // A literal '*' must be escaped to not be a wildcard.
        assert_eq!(pgpass_lookup("\\*:*:*:*:x\n", "h", "1", "d", "u"), None);
        assert_eq!(
            pgpass_lookup("\\*:*:*:*:x\n", "*", "1", "d", "u").as_deref(),
            Some("x")
        );
        assert_eq!(pgpass_escape("a:b\\c"), "a\\:b\\\\c");
        let line = format!("{}:*:*:*:pw\n", pgpass_escape("#h"));
        assert_eq!(
            pgpass_lookup(&line, "#h", "1", "d", "u").as_deref(),
            Some("pw")
        );
        let line = format!("{}:*:*:*:pw\n", pgpass_escape("*"));
        assert_eq!(pgpass_lookup(&line, "other", "1", "d", "u"), None);
    }

    #[test]
    fn pgpass_used_per_host_and_socket_matches_localhost() {
        let dir = tempfile::tempdir().unwrap();
        let pass = dir.path().join("pgpass");
        fs::write(
            &pass,
            "localhost:5432:*:alice:viasocket\nremote:5432:*:alice:viatcp\n",
        )
        .unwrap();
        fs::set_permissions(&pass, fs::Permissions::from_mode(0o600)).unwrap();
        let env = env_of(&[
            ("HOME", "/nonexistent-pgkeep-home"),
            ("PGUSER", "alice"),
            ("PGPASSFILE", pass.to_str().unwrap()),
        ]);
        let r = ConnSpec::parse("host=,remote,elsewhere")
            .unwrap()
            .resolve(&env)
            .unwrap();
        assert_eq!(r.hosts()[0].password.as_deref(), Some("viasocket"));
        assert_eq!(r.hosts()[1].password.as_deref(), Some("viatcp"));
        assert_eq!(r.hosts()[2].password, None);
        assert_eq!(r.hosts()[1].password_file(), Some(pass.as_path()));
        // An explicit password wins over the file.
        let r = ConnSpec::parse("host=remote password=given")
            .unwrap()
            .resolve(&env)
            .unwrap();
        assert_eq!(r.hosts()[0].password.as_deref(), Some("given"));
        assert!(!format!("{r:?}").contains("given"));
        // Group/world-readable: ignored with a warning.
        fs::set_permissions(&pass, fs::Permissions::from_mode(0o644)).unwrap();
        let r = ConnSpec::parse("host=remote")
            .unwrap()
            .resolve(&env)
            .unwrap();
        assert_eq!(r.hosts()[0].password, None);
        assert!(
            r.warnings()[0].contains("group or world access"),
            "{:?}",
            r.warnings()
        );
    }


    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn pgpass_escaping_round_trips(
                host in "[^\n\r]*", db in "[^\n\r]*", user in "[^\n\r]*", pw in "[^\n\r]*",
            ) {
                let line = format!(
                    "{}:5432:{}:{}:{}\n",
                    pgpass_escape(&host), pgpass_escape(&db), pgpass_escape(&user), pgpass_escape(&pw)
                );
                let found = pgpass_lookup(&line, &host, "5432", &db, &user);
                prop_assert_eq!(found, Some(pw));
            }
        }
    }
}
