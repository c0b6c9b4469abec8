//! The resolved connection: [`ResolvedConn`] and its hosts, with the closed
//! sets `sslmode` and `target_session_attrs` take; plain data with
//! accessors.
//!
//! Owns these types and how they describe themselves (never with a
//! password); must not compute them (that is `resolve`) nor connect (that
//! is `connect` and `tls`).

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::error::{invalid, ConnError};

/// `sslmode`, as in libpq.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Never TLS.
    Disable,
    /// Plaintext first; TLS only if the server rejects plaintext.
    Allow,
    /// TLS if the server offers it (falls back to plaintext if the server
    /// refuses TLS or the handshake fails); certificate not verified unless
    /// a root certificate file exists.
    Prefer,
    /// TLS or nothing; certificate not verified unless a root certificate
    /// file exists (then as `verify-ca`).
    Require,
    /// TLS, certificate chain verified against the root certificates; the
    /// host name is not checked.
    VerifyCa,
    /// TLS, chain and host name verified.
    VerifyFull,
}

impl SslMode {
    pub(super) fn parse(v: &str) -> Result<SslMode, ConnError> {
        Ok(match v {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => {
                return Err(invalid(
                    "sslmode",
                    v,
                    "disable, allow, prefer, require, verify-ca or verify-full",
                ))
            }
        })
    }

    /// libpq's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

/// `target_session_attrs`, as in libpq.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetSessionAttrs {
    /// Any server.
    Any,
    /// `transaction_read_only` is off.
    ReadWrite,
    /// `transaction_read_only` is on.
    ReadOnly,
    /// Not in recovery.
    Primary,
    /// In recovery.
    Standby,
    /// A standby if one answers, else any server.
    PreferStandby,
}

impl TargetSessionAttrs {
    pub(super) fn parse(v: &str) -> Result<Self, ConnError> {
        Ok(match v {
            "any" => Self::Any,
            "read-write" => Self::ReadWrite,
            "read-only" => Self::ReadOnly,
            "primary" => Self::Primary,
            "standby" => Self::Standby,
            "prefer-standby" => Self::PreferStandby,
            _ => {
                return Err(invalid(
                    "target_session_attrs",
                    v,
                    "any, read-write, read-only, primary, standby or prefer-standby",
                ))
            }
        })
    }

    pub(super) fn as_str(self) -> &'static str {
        match self {
            Self::Any => "any",
            Self::ReadWrite => "read-write",
            Self::ReadOnly => "read-only",
            Self::Primary => "primary",
            Self::Standby => "standby",
            Self::PreferStandby => "prefer-standby",
        }
    }
}

/// Where one host lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostAddr {
    /// A unix-domain socket in this directory.
    Socket(PathBuf),
    /// TCP to `host` (a name or an IP literal), or to `hostaddr` if given,
    /// in which case `host` (if any) serves TLS name checks and the
    /// password file.
    Tcp {
        /// Host name or IP literal as written.
        host: Option<String>,
        /// Numeric address to connect to without a name lookup.
        hostaddr: Option<IpAddr>,
    },
}

/// One candidate server, with the password that applies to it.
#[derive(Clone)]
pub struct ResolvedHost {
    pub(super) addr: HostAddr,
    pub(super) port: u16,
    pub(super) password: Option<String>,
    pub(super) password_file: Option<PathBuf>,
}

impl fmt::Debug for ResolvedHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResolvedHost")
            .field("addr", &self.addr)
            .field("port", &self.port)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("password_file", &self.password_file)
            .finish()
    }
}

impl ResolvedHost {
    /// Where to connect.
    pub fn addr(&self) -> &HostAddr {
        &self.addr
    }

    /// TCP port, or the socket file's number.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether a password is known for this host (given, or from the
    /// password file).
    pub fn has_password(&self) -> bool {
        self.password.is_some()
    }

    /// The password file the password came from, if it did.
    pub fn password_file(&self) -> Option<&Path> {
        self.password_file.as_deref()
    }

    /// `host:port` (`[v6]:port`), or the socket directory and port.
    pub fn label(&self) -> String {
        match &self.addr {
            HostAddr::Socket(dir) => format!("{}:{}", dir.display(), self.port),
            HostAddr::Tcp { host, hostaddr } => {
                let name = host
                    .clone()
                    .or_else(|| hostaddr.map(|a| a.to_string()))
                    .unwrap_or_default();
                if name.contains(':') {
                    format!("[{name}]:{}", self.port)
                } else {
                    format!("{name}:{}", self.port)
                }
            }
        }
    }

    /// How error messages name this server.
    pub(super) fn server_phrase(&self) -> String {
        match &self.addr {
            HostAddr::Socket(dir) => format!(
                "on socket \"{}\"",
                dir.join(format!(".s.PGSQL.{}", self.port)).display()
            ),
            HostAddr::Tcp {
                host: Some(_),
                hostaddr: Some(a),
            } => format!("at {} ({a})", self.label()),
            HostAddr::Tcp { .. } => format!("at {}", self.label()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum RootCerts {
    /// A PEM file; `explicit` if the user named it.
    File { path: PathBuf, explicit: bool },
    /// `sslrootcert=system`.
    System,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CertMode {
    Disable,
    Allow,
    Require,
}

#[derive(Debug, Clone)]
pub(super) struct TlsSettings {
    /// Explicit root, `system`, or the default `~/.postgresql/root.crt`.
    pub(super) root: Option<RootCerts>,
    pub(super) cert: Option<PathBuf>,
    pub(super) key: Option<PathBuf>,
    pub(super) crl: Option<PathBuf>,
    pub(super) crldir: Option<PathBuf>,
    pub(super) certmode: CertMode,
    pub(super) sni: bool,
    pub(super) min_tls13: bool,
    pub(super) max_tls12: bool,
    pub(super) direct: bool,
}

/// Everything needed to connect: the spec merged with service file,
/// environment, password file and defaults, validated.
///
/// `Debug` never shows passwords.
#[derive(Clone)]
pub struct ResolvedConn {
    pub(super) hosts: Vec<ResolvedHost>,
    pub(super) user: String,
    pub(super) dbname: String,
    pub(super) passfile: PathBuf,
    pub(super) sslmode: SslMode,
    pub(super) tls: TlsSettings,
    pub(super) application_name: Option<String>,
    pub(super) options: Option<String>,
    pub(super) connect_timeout: Option<Duration>,
    pub(super) keepalives: Option<bool>,
    pub(super) keepalives_idle: Option<Duration>,
    pub(super) keepalives_interval: Option<Duration>,
    pub(super) keepalives_count: Option<u32>,
    pub(super) tcp_user_timeout: Option<Duration>,
    pub(super) channel_binding: tokio_postgres::config::ChannelBinding,
    pub(super) target_session_attrs: TargetSessionAttrs,
    pub(super) load_balance_hosts: bool,
    pub(super) warnings: Vec<String>,
}

impl fmt::Debug for ResolvedConn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResolvedConn")
            .field("hosts", &self.hosts)
            .field("user", &self.user)
            .field("dbname", &self.dbname)
            .field("sslmode", &self.sslmode)
            .field("application_name", &self.application_name)
            .field("target_session_attrs", &self.target_session_attrs)
            .field("warnings", &self.warnings)
            .finish_non_exhaustive()
    }
}

impl ResolvedConn {
    /// The candidate servers, in the order they are tried (unless
    /// `load_balance_hosts=random`).
    pub fn hosts(&self) -> &[ResolvedHost] {
        &self.hosts
    }

    /// Role name.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// Database name.
    pub fn dbname(&self) -> &str {
        &self.dbname
    }

    /// Effective `sslmode`.
    pub fn sslmode(&self) -> SslMode {
        self.sslmode
    }

    /// `application_name` (or `fallback_application_name`).
    pub fn application_name(&self) -> Option<&str> {
        self.application_name.as_deref()
    }

    /// `target_session_attrs`.
    pub fn target_session_attrs(&self) -> TargetSessionAttrs {
        self.target_session_attrs
    }

    /// The password file consulted (or that would be).
    pub fn passfile(&self) -> &Path {
        &self.passfile
    }

    /// Problems noticed while resolving that did not stop it (e.g. an
    /// ignored, world-readable password file). Also logged as warnings.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// `user@host:port/db` (hosts comma separated); never the password.
    pub fn describe(&self) -> String {
        let hosts: Vec<String> = self.hosts.iter().map(ResolvedHost::label).collect();
        format!("{}@{}/{}", self.user, hosts.join(","), self.dbname)
    }

}
