//! Resolution: a [`ConnSpec`] merged, in libpq's order, with the service
//! file entry, the `PG*` environment and the defaults, every value
//! validated, and the password file consulted per host.
//!
//! Owns the order of the sources and the rules for each value; reads files
//! only through `service_file` and `passfile`, and must not connect.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::error::{invalid, ConnError};
use super::keywords::KEYWORDS;
use super::passfile::{passfile_host, pgpass_lookup, read_passfile};
use super::resolved::{HostAddr, ResolvedConn, ResolvedHost, TargetSessionAttrs};
use super::service_file::lookup_service;
use super::spec::ConnSpec;
use super::tls_options::tls_settings;

/// Default TCP port.
pub const DEFAULT_PORT: u16 = 5432;

/// Debian's compiled-in socket directory; upstream libpq uses `/tmp`.
const DEBIAN_SOCKET_DIR: &str = "/var/run/postgresql";
const UPSTREAM_SOCKET_DIR: &str = "/tmp";

/// Value lookup over the merged parameters; empty counts as unset, as it
/// does for most libpq options.
pub(super) struct Merged(BTreeMap<&'static str, String>);

impl Merged {
    pub(super) fn get(&self, k: &str) -> Option<&str> {
        self.0.get(k).map(String::as_str).filter(|v| !v.is_empty())
    }

    pub(super) fn int(&self, k: &str) -> Result<Option<i64>, ConnError> {
        self.get(k)
            .map(|v| {
                v.trim()
                    .parse::<i64>()
                    .map_err(|_| invalid(k, v, "an integer"))
            })
            .transpose()
    }

    pub(super) fn seconds(&self, k: &str) -> Result<Option<Duration>, ConnError> {
        Ok(self
            .int(k)?
            .filter(|n| *n > 0)
            .map(|n| Duration::from_secs(n as u64)))
    }

    pub(super) fn bool01(&self, k: &str) -> Result<Option<bool>, ConnError> {
        match self.int(k)? {
            None => Ok(None),
            Some(0) => Ok(Some(false)),
            Some(1) => Ok(Some(true)),
            Some(_) => Err(invalid(k, self.get(k).unwrap_or(""), "0 or 1")),
        }
    }
}

/// The default socket directory: Debian's if it exists, else `/tmp`.
pub fn default_socket_dir() -> PathBuf {
    if Path::new(DEBIAN_SOCKET_DIR).is_dir() {
        PathBuf::from(DEBIAN_SOCKET_DIR)
    } else {
        PathBuf::from(UPSTREAM_SOCKET_DIR)
    }
}

pub(super) fn resolve(
    spec: ConnSpec,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ResolvedConn, ConnError> {
    let home = env("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .or_else(|| os_user().map(|u| u.1));
    let m = merge_sources(spec.params, env, home.as_deref())?;
    reject_unsupported(&m)?;
    let default_dir = default_socket_dir();
    let targets = host_targets(&m, &default_dir)?;
    let user = user_name(&m)?;
    let dbname = m.get("dbname").unwrap_or(&user).to_string();
    let passfile = passfile_path(&m, home.as_deref());
    let mut warnings = Vec::new();
    let login = Login {
        user: &user,
        dbname: &dbname,
        password: m.get("password"),
        passfile: &passfile,
    };
    let hosts = attach_passwords(targets, &login, &default_dir, &mut warnings);
    let (sslmode, tls) = tls_settings(&m, home.as_deref())?;
    let session = session_options(&m)?;

    for w in &warnings {
        tracing::warn!("{w}");
    }
    Ok(ResolvedConn {
        hosts,
        user,
        dbname,
        passfile,
        sslmode,
        tls,
        application_name: m
            .get("application_name")
            .or_else(|| m.get("fallback_application_name"))
            .map(str::to_string),
        options: m.get("options").map(str::to_string),
        connect_timeout: session.connect_timeout,
        keepalives: m.bool01("keepalives")?,
        keepalives_idle: m.seconds("keepalives_idle")?,
        keepalives_interval: m.seconds("keepalives_interval")?,
        keepalives_count: session.keepalives_count,
        tcp_user_timeout: session.tcp_user_timeout,
        channel_binding: session.channel_binding,
        target_session_attrs: session.target_session_attrs,
        load_balance_hosts: session.load_balance_hosts,
        warnings,
    })
}

/// Steps 1 and 2: the service file, then the environment, fill what the
/// spec did not give.
fn merge_sources(
    mut params: BTreeMap<&'static str, String>,
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<&Path>,
) -> Result<Merged, ConnError> {
    // 1. Service file fills what was not given.
    let service = params
        .get("service")
        .cloned()
        .or_else(|| env("PGSERVICE"))
        .filter(|s| !s.is_empty());
    if let Some(name) = service {
        for (k, v) in lookup_service(&name, env, home)? {
            params.entry(k).or_insert(v);
        }
    }

    // 2. Environment fills what is still missing.
    for (k, var) in KEYWORDS {
        if let Some(var) = var {
            if !params.contains_key(k) {
                if let Some(v) = env(var) {
                    params.insert(k, v);
                }
            }
        }
    }
    Ok(Merged(params))
}

/// Step 3: unsupported features fail loudly rather than weakening security.
fn reject_unsupported(m: &Merged) -> Result<(), ConnError> {
    if m.get("requirepeer").is_some() {
        return Err(ConnError::Unsupported {
            keyword: "requirepeer".into(),
            reason: "pgkeep cannot check the peer of a unix socket; remove the option".into(),
        });
    }
    if m.get("require_auth").is_some() {
        return Err(ConnError::Unsupported {
            keyword: "require_auth".into(),
            reason: "remove the option (pgkeep supports password, md5 and SCRAM authentication)"
                .into(),
        });
    }
    match m.get("gssencmode") {
        None | Some("disable") | Some("prefer") => {}
        Some("require") => {
            return Err(ConnError::Unsupported {
                keyword: "gssencmode".into(),
                reason: "GSSAPI encryption is not available; use sslmode instead".into(),
            })
        }
        Some(v) => return Err(invalid("gssencmode", v, "disable, prefer or require")),
    }
    if m.get("sslpassword").is_some() {
        return Err(ConnError::Unsupported {
            keyword: "sslpassword".into(),
            reason: "encrypted client keys cannot be read; decrypt the key file \
                     (e.g. `openssl pkey -in key.enc -out key.pem`) and keep it mode 0600"
                .into(),
        });
    }
    match m.get("replication") {
        None | Some("0" | "off" | "false" | "no") => {}
        Some(_) => {
            return Err(ConnError::Unsupported {
                keyword: "replication".into(),
                reason: "pgkeep uses ordinary connections; remove the option".into(),
            })
        }
    }
    if let Some(enc) = m.get("client_encoding") {
        let e = enc.to_ascii_lowercase().replace(['-', '_'], "");
        if e != "utf8" && e != "auto" && e != "unicode" {
            return Err(invalid(
                "client_encoding",
                enc,
                "UTF8 or auto; pgkeep always uses UTF8",
            ));
        }
    }
    for k in ["sslcompression", "sslsni"] {
        m.bool01(k)?;
    }
    match m.get("gsslib") {
        None | Some("gssapi") => {}
        Some(v) => return Err(invalid("gsslib", v, "gssapi")),
    }
    Ok(())
}

/// Step 4: hosts, addresses and ports, matched up as libpq does.
fn host_targets(m: &Merged, default_dir: &Path) -> Result<Vec<(HostAddr, u16)>, ConnError> {
    let split = |k: &str| -> Vec<String> {
        m.get(k)
            .map(|v| v.split(',').map(|s| s.trim().to_string()).collect())
            .unwrap_or_default()
    };
    let host_list = split("host");
    let addr_list = split("hostaddr");
    let port_list = split("port");
    let n = if !addr_list.is_empty() {
        if !host_list.is_empty() && host_list.len() != addr_list.len() {
            return Err(ConnError::Conflict(format!(
                "could not match {} host names to {} hostaddr values",
                host_list.len(),
                addr_list.len()
            )));
        }
        addr_list.len()
    } else {
        host_list.len().max(1)
    };
    if port_list.len() > 1 && port_list.len() != n {
        return Err(ConnError::Conflict(format!(
            "could not match {} port numbers to {} hosts",
            port_list.len(),
            n
        )));
    }
    let mut targets = Vec::with_capacity(n);
    for i in 0..n {
        let host = host_list.get(i).filter(|h| !h.is_empty()).cloned();
        let hostaddr = match addr_list.get(i).filter(|a| !a.is_empty()) {
            Some(a) => Some(
                a.parse::<IpAddr>()
                    .map_err(|_| invalid("hostaddr", a, "a numeric IPv4 or IPv6 address"))?,
            ),
            None => None,
        };
        let port_text = port_list
            .get(i)
            .or_else(|| port_list.first().filter(|_| port_list.len() == 1))
            .filter(|p| !p.is_empty());
        let port = match port_text {
            None => DEFAULT_PORT,
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| invalid("port", p, "a number from 1 to 65535"))?,
        };
        let addr = match (&host, hostaddr) {
            (_, Some(a)) => HostAddr::Tcp {
                host: host.clone().filter(|h| !h.starts_with('/')),
                hostaddr: Some(a),
            },
            (Some(h), None) if h.starts_with('/') => HostAddr::Socket(PathBuf::from(h)),
            (Some(h), None) if h.starts_with('@') => {
                return Err(ConnError::Unsupported {
                    keyword: "host".into(),
                    reason: format!(
                        "abstract unix sockets (\"{h}\") are not supported; use a socket directory"
                    ),
                })
            }
            (Some(h), None) => HostAddr::Tcp {
                host: Some(h.clone()),
                hostaddr: None,
            },
            (None, None) => HostAddr::Socket(default_dir.to_path_buf()),
        };
        targets.push((addr, port));
    }
    Ok(targets)
}

/// Step 5a: the role name, else the operating-system user's.
fn user_name(m: &Merged) -> Result<String, ConnError> {
    Ok(match m.get("user") {
        Some(u) => u.to_string(),
        None => os_user().map(|u| u.0).ok_or_else(|| {
            ConnError::Conflict(
                "could not determine the operating-system user name; set user or PGUSER".into(),
            )
        })?,
    })
}

/// Step 5b: the password file to consult: `passfile`/`PGPASSFILE`, else
/// `~/.pgpass`.
fn passfile_path(m: &Merged, home: Option<&Path>) -> PathBuf {
    match m.get("passfile") {
        Some(p) => PathBuf::from(p),
        None => home
            .map(|h| h.join(".pgpass"))
            .unwrap_or_else(|| PathBuf::from(".pgpass")),
    }
}

/// Who logs in where, and with what: what [`attach_passwords`] needs.
struct Login<'a> {
    user: &'a str,
    dbname: &'a str,
    password: Option<&'a str>,
    passfile: &'a Path,
}

/// Step 5c: each host's password, the given one or its line of the
/// password file (read only when no password was given).
fn attach_passwords(
    targets: Vec<(HostAddr, u16)>,
    login: &Login<'_>,
    default_dir: &Path,
    warnings: &mut Vec<String>,
) -> Vec<ResolvedHost> {
    let Login {
        user,
        dbname,
        password,
        passfile,
    } = *login;
    let pgpass = if password.is_none() {
        read_passfile(passfile, warnings)
    } else {
        None
    };
    targets
        .into_iter()
        .map(|(addr, port)| {
            let (pw, from) = match (&password, &pgpass) {
                (Some(p), _) => (Some(p.to_string()), None),
                (None, Some(contents)) => {
                    let key = passfile_host(&addr, default_dir);
                    match pgpass_lookup(contents, &key, &port.to_string(), dbname, user) {
                        Some(p) if !p.is_empty() => (Some(p), Some(passfile.to_path_buf())),
                        _ => (None, None),
                    }
                }
                (None, None) => (None, None),
            };
            ResolvedHost {
                addr,
                port,
                password: pw,
                password_file: from,
            }
        })
        .collect()
}

/// What step 7 validates: the session's timeouts, keepalives, channel
/// binding and host choice.
struct SessionOptions {
    connect_timeout: Option<Duration>,
    channel_binding: tokio_postgres::config::ChannelBinding,
    target_session_attrs: TargetSessionAttrs,
    load_balance_hosts: bool,
    keepalives_count: Option<u32>,
    tcp_user_timeout: Option<Duration>,
}

/// Step 7: the rest (`keepalives`, `keepalives_idle` and
/// `keepalives_interval` are read last, in [`resolve`]).
fn session_options(m: &Merged) -> Result<SessionOptions, ConnError> {
    let connect_timeout = match m.int("connect_timeout")? {
        Some(n) if n > 0 => Some(Duration::from_secs(n.max(2) as u64)),
        _ => None,
    };
    let channel_binding = match m.get("channel_binding").unwrap_or("prefer") {
        "disable" => tokio_postgres::config::ChannelBinding::Disable,
        "prefer" => tokio_postgres::config::ChannelBinding::Prefer,
        "require" => tokio_postgres::config::ChannelBinding::Require,
        v => return Err(invalid("channel_binding", v, "disable, prefer or require")),
    };
    let target_session_attrs =
        TargetSessionAttrs::parse(m.get("target_session_attrs").unwrap_or("any"))?;
    let load_balance_hosts = match m.get("load_balance_hosts").unwrap_or("disable") {
        "disable" => false,
        "random" => true,
        v => return Err(invalid("load_balance_hosts", v, "disable or random")),
    };
    let keepalives_count = match m.int("keepalives_count")? {
        Some(n) if n > 0 => Some(
            u32::try_from(n)
                .map_err(|_| invalid("keepalives_count", &n.to_string(), "a small count"))?,
        ),
        _ => None,
    };
    let tcp_user_timeout = m
        .int("tcp_user_timeout")?
        .filter(|n| *n > 0)
        .map(|ms| Duration::from_millis(ms as u64));
    Ok(SessionOptions {
        connect_timeout,
        channel_binding,
        target_session_attrs,
        load_balance_hosts,
        keepalives_count,
        tcp_user_timeout,
    })
}

/// `(name, home directory)` of the effective user.
fn os_user() -> Option<(String, PathBuf)> {
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    // SAFETY: passwd is plain data; getpwuid_r fills it with pointers into
    // buf, which outlives every use below.
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    let rc = unsafe {
        libc::getpwuid_r(
            libc::geteuid(),
            &mut pwd,
            buf.as_mut_ptr(),
            buf.len(),
            &mut result,
        )
    };
    if rc != 0 || result.is_null() || pwd.pw_name.is_null() {
        return None;
    }
    // SAFETY: non-null, NUL-terminated strings inside buf.
    let name = unsafe { std::ffi::CStr::from_ptr(pwd.pw_name) }
        .to_string_lossy()
        .into_owned();
    let home = if pwd.pw_dir.is_null() {
        PathBuf::new()
    } else {
        // SAFETY: as above.
        PathBuf::from(
            unsafe { std::ffi::CStr::from_ptr(pwd.pw_dir) }
                .to_string_lossy()
                .into_owned(),
        )
    };
    Some((name, home))
}

#[cfg(test)]
mod tests {
    use super::*;
    use super::super::test_support::{env_of, no_env};
    use super::super::resolved::SslMode;

    #[test]
    fn environment_fills_gaps_and_conninfo_wins() {
        let env = env_of(&[
            ("HOME", "/nonexistent-pgkeep-home"),
            ("PGHOST", "envhost"),
            ("PGPORT", "7777"),
            ("PGUSER", "envuser"),
            ("PGDATABASE", "envdb"),
            ("PGSSLMODE", "disable"),
            ("PGAPPNAME", "envapp"),
            ("PGCONNECT_TIMEOUT", "1"),
        ]);
        let r = ConnSpec::parse("host=given user=bob")
            .unwrap()
            .resolve(&env)
            .unwrap();
        assert_eq!(r.describe(), "bob@given:7777/envdb");
        assert_eq!(r.sslmode(), SslMode::Disable);
        assert_eq!(r.application_name(), Some("envapp"));
        assert_eq!(r.connect_timeout, Some(Duration::from_secs(2)));
    }

    #[test]
    fn defaults() {
        let r = ConnSpec::new().resolve(&no_env()).unwrap();
        assert_eq!(r.user(), "alice");
        assert_eq!(r.dbname(), "alice");
        assert_eq!(r.hosts().len(), 1);
        assert_eq!(r.hosts()[0].addr(), &HostAddr::Socket(default_socket_dir()));
        assert_eq!(r.hosts()[0].port(), 5432);
        assert_eq!(r.sslmode(), SslMode::Prefer);
    }

    #[test]
    fn host_lists_and_port_matching() {
        let r = ConnSpec::parse("host=a,b,/sock port=1,2,3")
            .unwrap()
            .resolve(&no_env())
            .unwrap();
        assert_eq!(r.describe(), "alice@a:1,b:2,/sock:3/alice");
        let r = ConnSpec::parse("host=a,b port=9")
            .unwrap()
            .resolve(&no_env())
            .unwrap();
        assert_eq!(r.describe(), "alice@a:9,b:9/alice");
        let e = ConnSpec::parse("host=a,b port=1,2,3")
            .unwrap()
            .resolve(&no_env())
            .unwrap_err();
        assert_eq!(e.to_string(), "could not match 3 port numbers to 2 hosts");
        let r = ConnSpec::parse("host=db hostaddr=127.0.0.1")
            .unwrap()
            .resolve(&no_env())
            .unwrap();
        assert_eq!(
            r.hosts()[0].addr(),
            &HostAddr::Tcp {
                host: Some("db".into()),
                hostaddr: Some("127.0.0.1".parse().unwrap())
            }
        );
        let e = ConnSpec::parse("hostaddr=notanip")
            .unwrap()
            .resolve(&no_env())
            .unwrap_err();
        assert!(e.to_string().contains("hostaddr"), "{e}");
        let e = ConnSpec::parse("port=99999")
            .unwrap()
            .resolve(&no_env())
            .unwrap_err();
        assert!(
            e.to_string().contains("invalid port value: \"99999\""),
            "{e}"
        );
    }

    #[test]
    fn invalid_values_are_named() {
        for (s, word) in [
            ("sslmode=verify", "sslmode"),
            ("target_session_attrs=x", "target_session_attrs"),
            ("connect_timeout=soon", "connect_timeout"),
            ("keepalives=2", "keepalives"),
            ("client_encoding=LATIN1", "client_encoding"),
        ] {
            let e = ConnSpec::parse(s).unwrap().resolve(&no_env()).unwrap_err();
            assert!(e.to_string().contains(word), "{s}: {e}");
        }
        let e = ConnSpec::parse("sslmode=require sslrootcert=system")
            .unwrap()
            .resolve(&no_env())
            .unwrap_err();
        assert!(e.to_string().contains("verify-full"), "{e}");
        let e = ConnSpec::parse("requirepeer=postgres")
            .unwrap()
            .resolve(&no_env())
            .unwrap_err();
        assert!(e.to_string().contains("requirepeer"), "{e}");
    }

}
