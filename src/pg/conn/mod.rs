//! Connection handling the way libpq users expect it, without libpq.
//!
//! tokio-postgres' own `Config` understands only part of libpq's connection
//! language: it rejects keywords it does not know (`sslrootcert`, `passfile`,
//! `service`, `sslmode=verify-full`), reads no `PG*` environment variables and
//! no password file. This module is the small layer in between:
//!
//! 1. [`ConnSpec::parse`] reads a libpq keyword/value string
//!    (`host=/tmp port=5432 password='it''s'` — single quotes, backslash
//!    escapes) or a `postgres://` / `postgresql://` URI (credentials,
//!    percent-decoding, several `host:port` pairs, `[v6]` literals, socket
//!    directories as percent-encoded hosts or `?host=/path`). Unknown
//!    keywords are an error naming the keyword, as in libpq.
//! 2. [`ConnSpec::resolve`] merges, in libpq's order: explicit values, then
//!    the service file entry (`service`/`PGSERVICE`), then the environment
//!    (`PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`, `PGSSLMODE`,
//!    …), then defaults (the default socket directory, port 5432, the OS user,
//!    database = user). The environment is a closure, so tests never touch
//!    the process environment. Passwords come from the password file
//!    (`passfile`, `PGPASSFILE`, `~/.pgpass`) per host when none was given.
//! 3. [`connect`] tries the hosts in order (or shuffled with
//!    `load_balance_hosts=random`), applies `sslmode` with rustls
//!    (`disable`, `allow`, `prefer`, `require`, `verify-ca`, `verify-full`)
//!    and `target_session_attrs`, and returns a client whose connection task
//!    is already spawned.
//!
//! Deliberate differences from libpq, all on the safe side:
//! - An explicitly given `sslrootcert` that does not exist is an error in
//!   every TLS mode (libpq silently skips verification under `require`).
//! - `sslrootcert=system` uses the platform's trust store (as found by
//!   `rustls-native-certs`, which honours `SSL_CERT_FILE`/`SSL_CERT_DIR`)
//!   and, as in libpq, is only allowed with `sslmode=verify-full`.
//! - `requirepeer`, `require_auth`, `gssencmode=require`, encrypted client
//!   keys (`sslpassword`) and replication connections are not supported and
//!   are rejected with an error rather than silently ignored.
//! - `client_encoding` must be UTF8 (or `auto`): pgkeep always speaks UTF8.
//! - `sslcertmode=require` means "a client certificate must be configured";
//!   whether the server asked for it is not checked.
//!
//! No error message ever contains a password.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{
    CertificateDer, CertificateRevocationListDer, PrivateKeyDer, ServerName, UnixTime,
};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::task::JoinHandle;
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres::SimpleQueryMessage;
use tokio_postgres_rustls::MakeRustlsConnect;

/// Default TCP port.
pub const DEFAULT_PORT: u16 = 5432;

/// Debian's compiled-in socket directory; upstream libpq uses `/tmp`.
const DEBIAN_SOCKET_DIR: &str = "/var/run/postgresql";
const UPSTREAM_SOCKET_DIR: &str = "/tmp";

/// The connection keywords pgkeep accepts (libpq's, as of PostgreSQL 17),
/// each with the environment variable that supplies its default.
const KEYWORDS: &[(&str, Option<&str>)] = &[
    ("host", Some("PGHOST")),
    ("hostaddr", Some("PGHOSTADDR")),
    ("port", Some("PGPORT")),
    ("dbname", Some("PGDATABASE")),
    ("user", Some("PGUSER")),
    ("password", Some("PGPASSWORD")),
    ("passfile", Some("PGPASSFILE")),
    ("service", Some("PGSERVICE")),
    ("channel_binding", Some("PGCHANNELBINDING")),
    ("connect_timeout", Some("PGCONNECT_TIMEOUT")),
    ("client_encoding", Some("PGCLIENTENCODING")),
    ("options", Some("PGOPTIONS")),
    ("application_name", Some("PGAPPNAME")),
    ("fallback_application_name", None),
    ("keepalives", None),
    ("keepalives_idle", None),
    ("keepalives_interval", None),
    ("keepalives_count", None),
    ("tcp_user_timeout", None),
    ("sslmode", Some("PGSSLMODE")),
    ("sslnegotiation", Some("PGSSLNEGOTIATION")),
    ("sslcompression", Some("PGSSLCOMPRESSION")),
    ("sslcert", Some("PGSSLCERT")),
    ("sslkey", Some("PGSSLKEY")),
    ("sslcertmode", Some("PGSSLCERTMODE")),
    ("sslpassword", None),
    ("sslrootcert", Some("PGSSLROOTCERT")),
    ("sslcrl", Some("PGSSLCRL")),
    ("sslcrldir", Some("PGSSLCRLDIR")),
    ("sslsni", Some("PGSSLSNI")),
    ("requirepeer", Some("PGREQUIREPEER")),
    ("require_auth", Some("PGREQUIREAUTH")),
    ("ssl_min_protocol_version", Some("PGSSLMINPROTOCOLVERSION")),
    ("ssl_max_protocol_version", Some("PGSSLMAXPROTOCOLVERSION")),
    ("gssencmode", Some("PGGSSENCMODE")),
    ("krbsrvname", Some("PGKRBSRVNAME")),
    ("gsslib", Some("PGGSSLIB")),
    ("gssdelegation", Some("PGGSSDELEGATION")),
    ("replication", None),
    ("target_session_attrs", Some("PGTARGETSESSIONATTRS")),
    ("load_balance_hosts", Some("PGLOADBALANCEHOSTS")),
];

/// The canonical spelling of a known keyword.
fn keyword(name: &str) -> Option<&'static str> {
    KEYWORDS.iter().find(|(k, _)| *k == name).map(|(k, _)| *k)
}

/// Errors from parsing, resolving and connecting. No variant ever carries a
/// password.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnError {
    /// A keyword libpq does not know (or pgkeep does not accept).
    #[error("invalid connection option \"{0}\"")]
    UnknownOption(String),

    /// A URI query parameter that is not a connection keyword.
    #[error("invalid URI query parameter: \"{0}\"")]
    UnknownUriParameter(String),

    /// Malformed keyword/value connection string.
    #[error("invalid connection string: {0}")]
    Syntax(String),

    /// Malformed `postgres://` URI.
    #[error("invalid connection URI: {0}")]
    Uri(String),

    /// A keyword with a value that cannot be used.
    #[error("invalid {keyword} value: \"{value}\" (expected {expected})")]
    InvalidValue {
        /// The keyword.
        keyword: String,
        /// The offending value (never a password).
        value: String,
        /// What would have been accepted.
        expected: String,
    },

    /// A keyword pgkeep recognises but cannot honour.
    #[error("connection option \"{keyword}\" is not supported by pgkeep: {reason}")]
    Unsupported {
        /// The keyword.
        keyword: String,
        /// Why, and what to do instead.
        reason: String,
    },

    /// Options that contradict each other (host/port counts, sslmode vs
    /// sslrootcert, ...).
    #[error("{0}")]
    Conflict(String),

    /// The connection service file (`pg_service.conf`).
    #[error("{0}")]
    Service(String),

    /// A file could not be read.
    #[error("could not read {what} \"{}\": {source}", path.display())]
    File {
        /// What the file is for, e.g. "root certificate file".
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },

    /// A file was read but cannot be used.
    #[error("{what} \"{}\" {problem}", path.display())]
    BadFile {
        /// What the file is for.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong with it and what to do.
        problem: String,
    },

    /// Connecting to one server failed.
    #[error("connection to server {server} failed: {detail}")]
    Connect {
        /// `at host:port` or `on socket "/dir/.s.PGSQL.port"`.
        server: String,
        /// What went wrong there.
        kind: FailureKind,
        /// SQLSTATE if the server reported the error.
        sqlstate: Option<String>,
        /// The server's or the network's message, with hints.
        detail: String,
    },

    /// Every host was tried; one failure per attempt, in order.
    #[error("{}", render_all(.0))]
    AllHostsFailed(Vec<ConnError>),
}

/// Why one connection attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailureKind {
    /// The server could not be reached (refused, no route, no socket).
    Unreachable,
    /// The attempt exceeded `connect_timeout`.
    Timeout,
    /// TLS could not be established or the certificate was not accepted.
    Tls,
    /// Authentication failed or a password was needed and missing.
    Auth,
    /// The server refused the connection for another reason (no such
    /// database, too many connections, pg_hba rejection, ...).
    Rejected,
    /// The server does not match `target_session_attrs`.
    SessionAttrs,
    /// Anything else (protocol errors, connection lost midway).
    Other,
}

impl ConnError {
    /// The failure kind of a [`ConnError::Connect`], or of the last attempt
    /// of [`ConnError::AllHostsFailed`].
    pub fn failure_kind(&self) -> Option<FailureKind> {
        match self {
            ConnError::Connect { kind, .. } => Some(*kind),
            ConnError::AllHostsFailed(all) => all.last().and_then(ConnError::failure_kind),
            _ => None,
        }
    }
}

fn render_all(errors: &[ConnError]) -> String {
    let mut out = format!("could not connect to any of {} servers:", errors.len());
    for e in errors {
        out.push_str("\n  ");
        out.push_str(&e.to_string().replace('\n', "\n    "));
    }
    out
}

fn invalid(keyword: &str, value: &str, expected: &str) -> ConnError {
    ConnError::InvalidValue {
        keyword: keyword.to_string(),
        value: value.to_string(),
        expected: expected.to_string(),
    }
}

// ---------------------------------------------------------------------------
// ConnSpec: what the user wrote.
// ---------------------------------------------------------------------------

/// Connection parameters as written by the user: a conninfo string or URI,
/// before environment, service file, password file and defaults are applied.
///
/// `Debug` never shows the password.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ConnSpec {
    params: BTreeMap<&'static str, String>,
}

impl fmt::Debug for ConnSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (k, v) in &self.params {
            if is_secret(k) {
                map.entry(k, &"<redacted>");
            } else {
                map.entry(k, v);
            }
        }
        map.finish()
    }
}

fn is_secret(keyword: &str) -> bool {
    matches!(keyword, "password" | "sslpassword")
}

impl FromStr for ConnSpec {
    type Err = ConnError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ConnSpec::parse(s)
    }
}

impl ConnSpec {
    /// An empty spec: everything comes from the environment and defaults.
    pub fn new() -> ConnSpec {
        ConnSpec::default()
    }

    /// Parse a libpq keyword/value string or a `postgres://` /
    /// `postgresql://` URI. Later keywords override earlier ones.
    pub fn parse(s: &str) -> Result<ConnSpec, ConnError> {
        if uri_prefix_len(s).is_some() {
            parse_uri(s)
        } else {
            parse_conninfo(s)
        }
    }

    /// Set one keyword (validating its name, not its value).
    pub fn set(&mut self, keyword_name: &str, value: impl Into<String>) -> Result<(), ConnError> {
        let k = keyword(keyword_name)
            .ok_or_else(|| ConnError::UnknownOption(keyword_name.to_string()))?;
        self.params.insert(k, value.into());
        Ok(())
    }

    /// The value given for a keyword, if any.
    pub fn get(&self, keyword_name: &str) -> Option<&str> {
        self.params.get(keyword_name).map(String::as_str)
    }

    /// Remove a keyword; returns its value.
    pub fn remove(&mut self, keyword_name: &str) -> Option<String> {
        self.params.remove(keyword_name)
    }

    /// The keywords given, in alphabetical order (values hidden).
    pub fn keywords(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.params.keys().copied()
    }

    /// Render as a keyword/value string that [`ConnSpec::parse`] reads back
    /// to an equal spec. **Includes the password**; use
    /// [`ConnSpec::to_redacted_string`] for anything shown to people.
    pub fn to_conninfo_string(&self) -> String {
        self.render(false)
    }

    /// Like [`ConnSpec::to_conninfo_string`] with secrets replaced by `****`.
    pub fn to_redacted_string(&self) -> String {
        self.render(true)
    }

    fn render(&self, redact: bool) -> String {
        let parts: Vec<String> = self
            .params
            .iter()
            .map(|(k, v)| {
                if redact && is_secret(k) {
                    format!("{k}=****")
                } else {
                    format!("{k}={}", quote_conninfo_value(v))
                }
            })
            .collect();
        parts.join(" ")
    }

    /// Apply service file, environment, password file and defaults, and
    /// validate every value. `env` answers environment lookups (`PGHOST`,
    /// `HOME`, ...); pass [`process_env`] for the real environment.
    pub fn resolve(self, env: &dyn Fn(&str) -> Option<String>) -> Result<ResolvedConn, ConnError> {
        resolve(self, env)
    }
}

/// Read the process environment; the usual argument to
/// [`ConnSpec::resolve`].
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// libpq's `isspace` in the C locale.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c')
}

/// Quote a value for a keyword/value string the way libpq reads it back:
/// bare when safe, otherwise single-quoted with `\'` and `\\` escapes.
pub fn quote_conninfo_value(value: &str) -> String {
    let bare = !value.is_empty() && !value.chars().any(|c| is_space(c) || c == '\'' || c == '\\');
    if bare {
        return value.to_string();
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if c == '\'' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

fn parse_conninfo(s: &str) -> Result<ConnSpec, ConnError> {
    let mut spec = ConnSpec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| is_space(*c)) {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if is_space(c) || c == '=' {
                break;
            }
            key.push(c);
            chars.next();
        }
        while chars.peek().is_some_and(|c| is_space(*c)) {
            chars.next();
        }
        if chars.next() != Some('=') {
            return Err(ConnError::Syntax(format!(
                "missing \"=\" after \"{key}\" in connection info string"
            )));
        }
        // libpq skips whitespace after '=' too, so "host= port=1" sets
        // host to "port=1".
        while chars.peek().is_some_and(|c| is_space(*c)) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'\'') {
            chars.next();
            loop {
                match chars.next() {
                    None => {
                        return Err(ConnError::Syntax(
                            "unterminated quoted string in connection info string".into(),
                        ))
                    }
                    Some('\\') => match chars.next() {
                        Some(c) => value.push(c),
                        None => {
                            return Err(ConnError::Syntax(
                                "unterminated quoted string in connection info string".into(),
                            ))
                        }
                    },
                    Some('\'') => break,
                    Some(c) => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if is_space(c) {
                    break;
                }
                chars.next();
                if c == '\\' {
                    if let Some(next) = chars.next() {
                        value.push(next);
                    }
                } else {
                    value.push(c);
                }
            }
        }
        spec.set(&key, value)?;
    }
    Ok(spec)
}

fn uri_prefix_len(s: &str) -> Option<usize> {
    ["postgresql://", "postgres://"]
        .iter()
        .find(|p| s.starts_with(*p))
        .map(|p| p.len())
}

fn percent_decode(s: &str) -> Result<String, ConnError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .filter(|_| bytes[i + 1].is_ascii_hexdigit() && bytes[i + 2].is_ascii_hexdigit());
            match hex {
                Some(0) => {
                    return Err(ConnError::Uri(format!(
                        "forbidden value %00 in percent-encoded value: \"{s}\""
                    )))
                }
                Some(b) => out.push(b),
                None => {
                    return Err(ConnError::Uri(format!(
                        "invalid percent-encoded token: \"{s}\""
                    )))
                }
            }
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map_err(|_| ConnError::Uri(format!("percent-encoded value is not UTF-8: \"{s}\"")))
}

/// The URI as error messages may show it: the password in the authority
/// part and the value of every secret query parameter replaced by `****`.
pub fn redact_uri(s: &str) -> String {
    let prefix = uri_prefix_len(s).unwrap_or(0);
    let (head, rest) = s.split_at(prefix);
    let mut out = head.to_string();
    // Up to the last '@' before the query, not the first '@' or '/' as the
    // parser reads it: a password holding an unescaped '/' or '@' (the
    // usual way such a URI is malformed) is hidden whole.
    let query_start = rest.find('?').unwrap_or(rest.len());
    let mut rest = rest;
    if let Some(cred_end) = rest[..query_start].rfind('@') {
        let cred = &rest[..cred_end];
        match cred.split_once(':') {
            Some((u, _)) => {
                out.push_str(u);
                out.push_str(":****");
            }
            None => out.push_str(cred),
        }
        out.push('@');
        rest = &rest[cred_end + 1..];
    }
    match rest.split_once('?') {
        None => out.push_str(rest),
        Some((before, query)) => {
            out.push_str(before);
            out.push('?');
            let params: Vec<String> = query
                .split('&')
                .map(|p| match p.split_once('=') {
                    Some((k, _)) if is_secret(&percent_decode(k).unwrap_or_else(|_| k.to_string())) => {
                        format!("{k}=****")
                    }
                    _ => p.to_string(),
                })
                .collect();
            out.push_str(&params.join("&"));
        }
    }
    out
}

fn parse_uri(s: &str) -> Result<ConnSpec, ConnError> {
    // Messages quote the URI without its secrets.
    let shown = redact_uri(s);
    // libpq reads the credentials up to the first '@' or '/': a password
    // with an unescaped '/' or a second '@' would be split into a host, a
    // port and a database name, and some later message (an invalid port, a
    // failed connection) would show a piece of it. Refuse such a URI here.
    {
        let rest = &s[uri_prefix_len(s).unwrap_or(0)..];
        let query_start = rest.find('?').unwrap_or(rest.len());
        let strict = rest.find(['@', '/']).filter(|&i| rest[i..].starts_with('@'));
        let generous = rest[..query_start].rfind('@');
        if let Some(g) = generous {
            if strict != Some(g) && rest[..g].contains(':') {
                return Err(ConnError::Uri(format!(
                    "malformed URI \"{shown}\": the user name or password holds an unescaped '@' or '/'; \
                     percent-encode them (%40, %2F)"
                )));
            }
        }
    }
    parse_uri_inner(s, &shown).map_err(|e| {
        // A malformed URI may have been split where the password holds a
        // delimiter, so a piece of the password can surface as a host, a
        // port or a database name in the message: if any piece of what
        // may be the password shows, say less.
        let text = e.to_string();
        if uri_secret_pieces(s).iter().any(|p| text.contains(p.as_str())) {
            ConnError::Uri(format!(
                "malformed URI \"{shown}\" (details withheld: they would show part of the password; \
                 percent-encode reserved characters such as '@', '/', ':', '?' in the user name and password)"
            ))
        } else {
            e
        }
    })
}

/// What in a URI may be a secret (the password, read generously, and the
/// values of secret query parameters), cut at URI delimiters into the
/// pieces a parser could have taken for other fields.
fn uri_secret_pieces(s: &str) -> Vec<String> {
    let rest = &s[uri_prefix_len(s).unwrap_or(0)..];
    let query_start = rest.find('?').unwrap_or(rest.len());
    let mut secrets = Vec::new();
    if let Some(cred_end) = rest[..query_start].rfind('@') {
        if let Some((_, pw)) = rest[..cred_end].split_once(':') {
            secrets.push(pw.to_string());
        }
    }
    for p in rest[query_start..].trim_start_matches('?').split('&') {
        if let Some((k, v)) = p.split_once('=') {
            if is_secret(&percent_decode(k).unwrap_or_else(|_| k.to_string())) {
                secrets.push(v.to_string());
            }
        }
    }
    let mut pieces = Vec::new();
    for secret in secrets {
        if let Ok(d) = percent_decode(&secret) {
            pieces.push(d);
        }
        pieces.extend(secret.split([':', '/', '?', ',', '@', '[', ']', '&', '=']).map(str::to_string));
        pieces.push(secret);
    }
    pieces.retain(|p| !p.is_empty());
    pieces
}

fn parse_uri_inner(s: &str, shown: &str) -> Result<ConnSpec, ConnError> {
    let mut spec = ConnSpec::new();
    let prefix = uri_prefix_len(s).unwrap_or(0);
    let mut rest = &s[prefix..];

    // Credentials: everything before an '@' that comes before the first '/'.
    let cred_end = rest.find(['@', '/']).unwrap_or(rest.len());
    if rest[cred_end..].starts_with('@') {
        let cred = &rest[..cred_end];
        let (user, password) = match cred.split_once(':') {
            Some((u, p)) => (u, Some(p)),
            None => (cred, None),
        };
        if !user.is_empty() {
            spec.set("user", percent_decode(user)?)?;
        }
        if let Some(p) = password {
            // Decoded without echoing it in an error.
            let decoded = percent_decode(p)
                .map_err(|_| ConnError::Uri("invalid percent-encoding in the password".into()))?;
            spec.set("password", decoded)?;
        }
        rest = &rest[cred_end + 1..];
    }

    // Hosts and ports, comma separated; kept as comma-joined lists like
    // libpq does, so "?host=" and the authority part mean the same.
    let mut hosts: Vec<String> = Vec::new();
    let mut ports: Vec<String> = Vec::new();
    let delim;
    loop {
        let host;
        if let Some(after) = rest.strip_prefix('[') {
            let close = after.find(']').ok_or_else(|| {
                ConnError::Uri(format!(
                    "end of string reached when looking for matching \"]\" in IPv6 host address in URI: \"{shown}\""
                ))
            })?;
            if close == 0 {
                return Err(ConnError::Uri(format!(
                    "IPv6 host address may not be empty in URI: \"{shown}\""
                )));
            }
            host = &after[..close];
            rest = &after[close + 1..];
            if let Some(c) = rest.chars().next() {
                if !matches!(c, ':' | '/' | '?' | ',') {
                    let pos = s.len() - rest.len() + 1;
                    return Err(ConnError::Uri(format!(
                        "unexpected character \"{c}\" at position {pos} in URI (expected \":\" or \"/\"): \"{shown}\""
                    )));
                }
            }
        } else {
            let end = rest.find([':', '/', '?', ',']).unwrap_or(rest.len());
            host = &rest[..end];
            rest = &rest[end..];
        }
        hosts.push(host.to_string());
        let mut port = "";
        if let Some(after) = rest.strip_prefix(':') {
            let end = after.find(['/', '?', ',']).unwrap_or(after.len());
            port = &after[..end];
            rest = &after[end..];
        }
        ports.push(port.to_string());
        match rest.strip_prefix(',') {
            Some(after) => rest = after,
            None => {
                delim = rest.chars().next();
                break;
            }
        }
    }
    let host_list = hosts.join(",");
    if !host_list.is_empty() {
        spec.set("host", percent_decode(&host_list)?)?;
    }
    let port_list = ports.join(",");
    if !port_list.is_empty() {
        spec.set("port", percent_decode(&port_list)?)?;
    }

    let mut query = None;
    match delim {
        Some('/') => {
            let after = &rest[1..];
            let (db, q) = match after.split_once('?') {
                Some((d, q)) => (d, Some(q)),
                None => (after, None),
            };
            if !db.is_empty() {
                spec.set("dbname", percent_decode(db)?)?;
            }
            query = q;
        }
        Some('?') => query = Some(&rest[1..]),
        _ => {}
    }
    if let Some(q) = query {
        for param in q.split('&').filter(|p| !p.is_empty()) {
            let Some((k, v)) = param.split_once('=') else {
                return Err(ConnError::Uri(format!(
                    "missing key/value separator \"=\" in URI query parameter: \"{param}\""
                )));
            };
            if v.contains('=') {
                return Err(ConnError::Uri(format!(
                    "extra key/value separator \"=\" in URI query parameter: \"{k}\""
                )));
            }
            let k = percent_decode(k)?;
            let v = if is_secret(&k) {
                percent_decode(v).map_err(|_| {
                    ConnError::Uri(format!("invalid percent-encoding in the value of \"{k}\""))
                })?
            } else {
                percent_decode(v)?
            };
            // JDBC compatibility, as in libpq.
            if k == "ssl" && v == "true" {
                spec.set("sslmode", "require")?;
                continue;
            }
            match keyword(&k) {
                Some(kw) => {
                    spec.params.insert(kw, v);
                }
                None => return Err(ConnError::UnknownUriParameter(k)),
            }
        }
    }
    Ok(spec)
}

// ---------------------------------------------------------------------------
// Resolution.
// ---------------------------------------------------------------------------

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
    fn parse(v: &str) -> Result<SslMode, ConnError> {
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
    fn parse(v: &str) -> Result<Self, ConnError> {
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

    fn as_str(self) -> &'static str {
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
    addr: HostAddr,
    port: u16,
    password: Option<String>,
    password_file: Option<PathBuf>,
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
    fn server_phrase(&self) -> String {
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
enum RootCerts {
    /// A PEM file; `explicit` if the user named it.
    File { path: PathBuf, explicit: bool },
    /// `sslrootcert=system`.
    System,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CertMode {
    Disable,
    Allow,
    Require,
}

#[derive(Debug, Clone)]
struct TlsSettings {
    /// Explicit root, `system`, or the default `~/.postgresql/root.crt`.
    root: Option<RootCerts>,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
    crl: Option<PathBuf>,
    crldir: Option<PathBuf>,
    certmode: CertMode,
    sni: bool,
    min_tls13: bool,
    max_tls12: bool,
    direct: bool,
}

/// Everything needed to connect: the spec merged with service file,
/// environment, password file and defaults, validated.
///
/// `Debug` never shows passwords.
#[derive(Clone)]
pub struct ResolvedConn {
    hosts: Vec<ResolvedHost>,
    user: String,
    dbname: String,
    passfile: PathBuf,
    sslmode: SslMode,
    tls: TlsSettings,
    application_name: Option<String>,
    options: Option<String>,
    connect_timeout: Option<Duration>,
    keepalives: Option<bool>,
    keepalives_idle: Option<Duration>,
    keepalives_interval: Option<Duration>,
    keepalives_count: Option<u32>,
    tcp_user_timeout: Option<Duration>,
    channel_binding: tokio_postgres::config::ChannelBinding,
    target_session_attrs: TargetSessionAttrs,
    load_balance_hosts: bool,
    warnings: Vec<String>,
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

/// Value lookup over the merged parameters; empty counts as unset, as it
/// does for most libpq options.
struct Merged(BTreeMap<&'static str, String>);

impl Merged {
    fn get(&self, k: &str) -> Option<&str> {
        self.0.get(k).map(String::as_str).filter(|v| !v.is_empty())
    }

    fn int(&self, k: &str) -> Result<Option<i64>, ConnError> {
        self.get(k)
            .map(|v| {
                v.trim()
                    .parse::<i64>()
                    .map_err(|_| invalid(k, v, "an integer"))
            })
            .transpose()
    }

    fn seconds(&self, k: &str) -> Result<Option<Duration>, ConnError> {
        Ok(self
            .int(k)?
            .filter(|n| *n > 0)
            .map(|n| Duration::from_secs(n as u64)))
    }

    fn bool01(&self, k: &str) -> Result<Option<bool>, ConnError> {
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

fn resolve(
    spec: ConnSpec,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ResolvedConn, ConnError> {
    let mut params = spec.params;
    let home = env("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .or_else(|| os_user().map(|u| u.1));

    // 1. Service file fills what was not given.
    let service = params
        .get("service")
        .cloned()
        .or_else(|| env("PGSERVICE"))
        .filter(|s| !s.is_empty());
    if let Some(name) = service {
        for (k, v) in lookup_service(&name, env, home.as_deref())? {
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
    let m = Merged(params);

    // 3. Unsupported features fail loudly rather than weakening security.
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

    // 4. Hosts, addresses, ports.
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
    let default_dir = default_socket_dir();
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
            (None, None) => HostAddr::Socket(default_dir.clone()),
        };
        targets.push((addr, port));
    }

    // 5. User, database, password.
    let user = match m.get("user") {
        Some(u) => u.to_string(),
        None => os_user().map(|u| u.0).ok_or_else(|| {
            ConnError::Conflict(
                "could not determine the operating-system user name; set user or PGUSER".into(),
            )
        })?,
    };
    let dbname = m.get("dbname").unwrap_or(&user).to_string();
    let password = m.get("password").map(str::to_string);
    let passfile = match m.get("passfile") {
        Some(p) => PathBuf::from(p),
        None => home
            .as_deref()
            .map(|h| h.join(".pgpass"))
            .unwrap_or_else(|| PathBuf::from(".pgpass")),
    };
    let mut warnings = Vec::new();
    let pgpass = if password.is_none() {
        read_passfile(&passfile, &mut warnings)
    } else {
        None
    };
    let hosts = targets
        .into_iter()
        .map(|(addr, port)| {
            let (pw, from) = match (&password, &pgpass) {
                (Some(p), _) => (Some(p.clone()), None),
                (None, Some(contents)) => {
                    let key = passfile_host(&addr, &default_dir);
                    match pgpass_lookup(contents, &key, &port.to_string(), &dbname, &user) {
                        Some(p) if !p.is_empty() => (Some(p), Some(passfile.clone())),
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
        .collect();

    // 6. TLS.
    let sslmode = SslMode::parse(m.get("sslmode").unwrap_or("prefer"))?;
    let pg_dir = home.as_deref().map(|h| h.join(".postgresql"));
    let root = match m.get("sslrootcert") {
        Some("system") => {
            if sslmode != SslMode::VerifyFull {
                return Err(ConnError::Conflict(format!(
                    "weak sslmode \"{}\" may not be used with sslrootcert=system (use \"verify-full\")",
                    sslmode.as_str()
                )));
            }
            Some(RootCerts::System)
        }
        Some(p) => Some(RootCerts::File {
            path: PathBuf::from(p),
            explicit: true,
        }),
        None => pg_dir.as_ref().map(|d| RootCerts::File {
            path: d.join("root.crt"),
            explicit: false,
        }),
    };
    let certmode = match m.get("sslcertmode").unwrap_or("allow") {
        "disable" => CertMode::Disable,
        "allow" => CertMode::Allow,
        "require" => CertMode::Require,
        v => return Err(invalid("sslcertmode", v, "disable, allow or require")),
    };
    fn tls_version<'a>(m: &'a Merged, k: &str) -> Result<Option<&'a str>, ConnError> {
        match m.get(k) {
            None => Ok(None),
            Some(v @ ("TLSv1" | "TLSv1.1" | "TLSv1.2" | "TLSv1.3")) => Ok(Some(v)),
            Some(v) => Err(invalid(k, v, "TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3")),
        }
    }
    let min = tls_version(&m, "ssl_min_protocol_version")?;
    let max = tls_version(&m, "ssl_max_protocol_version")?;
    if let (Some(lo), Some(hi)) = (min, max) {
        if lo > hi {
            return Err(ConnError::Conflict(format!(
                "invalid SSL protocol version range: ssl_min_protocol_version={lo} is above ssl_max_protocol_version={hi}"
            )));
        }
    }
    if matches!(max, Some("TLSv1" | "TLSv1.1")) {
        return Err(ConnError::Unsupported {
            keyword: "ssl_max_protocol_version".into(),
            reason: "TLS versions below 1.2 are not available; use TLSv1.2 or TLSv1.3".into(),
        });
    }
    let direct = match m.get("sslnegotiation").unwrap_or("postgres") {
        "postgres" => false,
        "direct" => {
            if matches!(sslmode, SslMode::Disable | SslMode::Allow | SslMode::Prefer) {
                return Err(ConnError::Conflict(format!(
                    "weak sslmode \"{}\" may not be used with sslnegotiation=direct (use \"require\", \"verify-ca\", or \"verify-full\")",
                    sslmode.as_str()
                )));
            }
            true
        }
        v => return Err(invalid("sslnegotiation", v, "postgres or direct")),
    };
    let tls = TlsSettings {
        root,
        cert: m
            .get("sslcert")
            .map(PathBuf::from)
            .or_else(|| pg_dir.as_ref().map(|d| d.join("postgresql.crt"))),
        key: m
            .get("sslkey")
            .map(PathBuf::from)
            .or_else(|| pg_dir.as_ref().map(|d| d.join("postgresql.key"))),
        crl: m.get("sslcrl").map(PathBuf::from),
        crldir: m.get("sslcrldir").map(PathBuf::from),
        certmode,
        sni: m.bool01("sslsni")?.unwrap_or(true),
        min_tls13: min == Some("TLSv1.3"),
        max_tls12: max == Some("TLSv1.2"),
        direct,
    };

    // 7. The rest.
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
        connect_timeout,
        keepalives: m.bool01("keepalives")?,
        keepalives_idle: m.seconds("keepalives_idle")?,
        keepalives_interval: m.seconds("keepalives_interval")?,
        keepalives_count,
        tcp_user_timeout,
        channel_binding,
        target_session_attrs,
        load_balance_hosts,
        warnings,
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

// ---------------------------------------------------------------------------
// Service file.
// ---------------------------------------------------------------------------

fn lookup_service(
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

// ---------------------------------------------------------------------------
// Password file.
// ---------------------------------------------------------------------------

/// Read the password file if it is safe to; problems become warnings, as
/// in libpq.
fn read_passfile(path: &Path, warnings: &mut Vec<String>) -> Option<String> {
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
fn passfile_host(addr: &HostAddr, default_dir: &Path) -> String {
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

// ---------------------------------------------------------------------------
// TLS.
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verify {
    /// Accept any certificate (handshake signatures are still checked).
    Nothing,
    /// Chain to a trusted root, any host name.
    Chain,
    /// Chain and host name.
    Full,
}

/// Certificate verifier for the modes rustls' own does not cover.
#[derive(Debug)]
struct PgVerifier {
    verify: Verify,
    webpki: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PgVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(webpki) = self
            .webpki
            .as_ref()
            .filter(|_| self.verify != Verify::Nothing)
        else {
            return Ok(ServerCertVerified::assertion());
        };
        let result =
            webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now);
        match (self.verify, result) {
            // rustls checks the chain (and revocation) before the name, so
            // a name error means the chain was fine.
            (
                Verify::Chain,
                Err(rustls::Error::InvalidCertificate(
                    CertificateError::NotValidForName
                    | CertificateError::NotValidForNameContext { .. },
                )),
            ) => Ok(ServerCertVerified::assertion()),
            (_, r) => r,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

fn load_root_store(root: &RootCerts) -> Result<RootCertStore, ConnError> {
    let mut store = RootCertStore::empty();
    match root {
        RootCerts::System => {
            let found = rustls_native_certs::load_native_certs();
            let (added, _) = store.add_parsable_certificates(found.certs);
            if added == 0 {
                let why = found
                    .errors
                    .first()
                    .map(|e| e.to_string())
                    .unwrap_or_else(|| "none found".into());
                return Err(ConnError::Conflict(format!(
                    "sslrootcert=system: could not load the system's trusted root certificates ({why}); \
                     install ca-certificates or set SSL_CERT_FILE"
                )));
            }
        }
        RootCerts::File { path, .. } => {
            let what = "root certificate file";
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| pem_error(what, path, e))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| pem_error(what, path, e))?;
            let (added, _) = store.add_parsable_certificates(certs);
            if added == 0 {
                return Err(ConnError::BadFile {
                    what,
                    path: path.clone(),
                    problem: "contains no usable PEM certificate".into(),
                });
            }
        }
    }
    Ok(store)
}

fn pem_error(what: &'static str, path: &Path, e: rustls::pki_types::pem::Error) -> ConnError {
    match e {
        rustls::pki_types::pem::Error::Io(source) => ConnError::File {
            what,
            path: path.to_path_buf(),
            source,
        },
        other => ConnError::BadFile {
            what,
            path: path.to_path_buf(),
            problem: format!("is not valid PEM: {other:?}"),
        },
    }
}

fn load_crls(tls: &TlsSettings) -> Result<Vec<CertificateRevocationListDer<'static>>, ConnError> {
    let what = "certificate revocation list";
    let mut files = Vec::new();
    if let Some(f) = &tls.crl {
        files.push(f.clone());
    }
    if let Some(dir) = &tls.crldir {
        let entries = fs::read_dir(dir).map_err(|source| ConnError::File {
            what: "certificate revocation list directory",
            path: dir.clone(),
            source,
        })?;
        for e in entries.flatten() {
            if e.path().is_file() {
                files.push(e.path());
            }
        }
    }
    let mut crls = Vec::new();
    for f in files {
        for crl in
            CertificateRevocationListDer::pem_file_iter(&f).map_err(|e| pem_error(what, &f, e))?
        {
            crls.push(crl.map_err(|e| pem_error(what, &f, e))?);
        }
    }
    Ok(crls)
}

/// The client certificate and key, if configured and present.
fn load_client_cert(
    tls: &TlsSettings,
) -> Result<Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>, ConnError> {
    if tls.certmode == CertMode::Disable {
        return Ok(None);
    }
    let cert_path = match &tls.cert {
        Some(p) if p.exists() => p,
        _ => {
            if tls.certmode == CertMode::Require {
                return Err(ConnError::Conflict(
                    "sslcertmode=require, but no client certificate file was found (set sslcert and sslkey)"
                        .into(),
                ));
            }
            return Ok(None);
        }
    };
    let what = "certificate file";
    let chain = CertificateDer::pem_file_iter(cert_path)
        .map_err(|e| pem_error(what, cert_path, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error(what, cert_path, e))?;
    if chain.is_empty() {
        return Err(ConnError::BadFile {
            what,
            path: cert_path.clone(),
            problem: "contains no PEM certificate".into(),
        });
    }
    let key_path = tls.key.clone().ok_or_else(|| {
        ConnError::Conflict("a client certificate is configured but no sslkey".into())
    })?;
    let what = "private key file";
    let meta = fs::metadata(&key_path).map_err(|source| ConnError::File {
        what,
        path: key_path.clone(),
        source,
    })?;
    if !meta.is_file() {
        return Err(ConnError::BadFile {
            what,
            path: key_path,
            problem: "is not a regular file".into(),
        });
    }
    let mode = meta.permissions().mode();
    // SAFETY: geteuid has no preconditions.
    let me = unsafe { libc::geteuid() };
    let too_open =
        (meta.uid() == me && mode & 0o077 != 0) || (meta.uid() == 0 && mode & 0o037 != 0);
    if too_open {
        return Err(ConnError::BadFile {
            what,
            path: key_path,
            problem: "has group or world access; file must have permissions u=rw (0600) or less \
                      if owned by the current user, or permissions u=rw,g=r (0640) or less if owned by root"
                .into(),
        });
    }
    let key = PrivateKeyDer::from_pem_file(&key_path).map_err(|e| pem_error(what, &key_path, e))?;
    Ok(Some((chain, key)))
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

    /// A tokio-postgres configuration with every host. Limits: one password
    /// for all hosts (the explicit one, else the first host's from the
    /// password file); `sslmode` maps to tokio-postgres' three modes
    /// (`allow`/`prefer` → prefer, `require`/`verify-*` → require: pair it
    /// with [`ResolvedConn::make_tls`] for the verification);
    /// `target_session_attrs` beyond read-write/read-only is approximated.
    /// [`connect`] has none of these limits.
    pub fn to_tokio_config(&self) -> tokio_postgres::Config {
        let mut cfg = self.base_config();
        let all_have_addr = self.hosts.iter().all(|h| {
            matches!(
                h.addr,
                HostAddr::Tcp {
                    hostaddr: Some(_),
                    ..
                }
            )
        });
        for h in &self.hosts {
            match &h.addr {
                HostAddr::Socket(dir) => {
                    cfg.host_path(dir);
                }
                HostAddr::Tcp { host, hostaddr } => {
                    if let Some(name) = host {
                        cfg.host(name);
                    } else if let Some(a) = hostaddr {
                        cfg.host(a.to_string());
                    }
                    if all_have_addr {
                        if let Some(a) = hostaddr {
                            cfg.hostaddr(*a);
                        }
                    }
                }
            }
            cfg.port(h.port);
        }
        if let Some(pw) = self.hosts.iter().find_map(|h| h.password.as_ref()) {
            cfg.password(pw.as_bytes());
        }
        cfg.ssl_mode(match self.sslmode {
            SslMode::Disable => tokio_postgres::config::SslMode::Disable,
            SslMode::Allow | SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
            _ => tokio_postgres::config::SslMode::Require,
        });
        cfg.target_session_attrs(match self.target_session_attrs {
            TargetSessionAttrs::ReadWrite | TargetSessionAttrs::Primary => {
                tokio_postgres::config::TargetSessionAttrs::ReadWrite
            }
            TargetSessionAttrs::ReadOnly | TargetSessionAttrs::Standby => {
                tokio_postgres::config::TargetSessionAttrs::ReadOnly
            }
            _ => tokio_postgres::config::TargetSessionAttrs::Any,
        });
        if self.load_balance_hosts {
            cfg.load_balance_hosts(tokio_postgres::config::LoadBalanceHosts::Random);
        }
        cfg
    }

    /// Everything but hosts, ports, password and sslmode.
    fn base_config(&self) -> tokio_postgres::Config {
        let mut cfg = tokio_postgres::Config::new();
        cfg.user(&self.user).dbname(&self.dbname);
        if let Some(a) = &self.application_name {
            cfg.application_name(a);
        }
        if let Some(o) = &self.options {
            cfg.options(o);
        }
        if let Some(t) = self.connect_timeout {
            cfg.connect_timeout(t);
        }
        if let Some(k) = self.keepalives {
            cfg.keepalives(k);
        }
        if let Some(d) = self.keepalives_idle {
            cfg.keepalives_idle(d);
        }
        if let Some(d) = self.keepalives_interval {
            cfg.keepalives_interval(d);
        }
        if let Some(n) = self.keepalives_count {
            cfg.keepalives_retries(n);
        }
        if let Some(d) = self.tcp_user_timeout {
            cfg.tcp_user_timeout(d);
        }
        cfg.channel_binding(self.channel_binding);
        if self.tls.direct {
            cfg.ssl_negotiation(tokio_postgres::config::SslNegotiation::Direct);
        }
        cfg
    }

    /// How strictly the server certificate is checked, and against what.
    fn verification(&self) -> Result<(Verify, Option<&RootCerts>), ConnError> {
        let root = self.tls.root.as_ref();
        let root_present = match root {
            Some(RootCerts::System) => true,
            Some(RootCerts::File { path, explicit }) => {
                let exists = path.exists();
                if !exists
                    && (*explicit
                        || matches!(self.sslmode, SslMode::VerifyCa | SslMode::VerifyFull))
                {
                    return Err(ConnError::BadFile {
                        what: "root certificate file",
                        path: path.clone(),
                        problem: "does not exist; either provide the file, use the system's trusted roots with \
                                  sslrootcert=system (with sslmode=verify-full), or change sslmode to disable \
                                  server certificate verification"
                            .into(),
                    });
                }
                exists
            }
            None => false,
        };
        Ok(match self.sslmode {
            SslMode::VerifyFull => (Verify::Full, root),
            SslMode::VerifyCa => (Verify::Chain, root),
            _ if root_present => (Verify::Chain, root),
            _ => (Verify::Nothing, None),
        })
    }

    /// The rustls client configuration for this connection's TLS settings
    /// (root certificates, verification level, client certificate, CRLs,
    /// protocol versions, SNI, ALPN).
    pub fn rustls_config(&self) -> Result<rustls::ClientConfig, ConnError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let (verify, root) = self.verification()?;
        let webpki = match (verify, root) {
            (Verify::Nothing, _) | (_, None) => None,
            (_, Some(root)) => {
                let store = load_root_store(root)?;
                let crls = load_crls(&self.tls)?;
                let verifier =
                    WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider.clone())
                        .with_crls(crls)
                        .build()
                        .map_err(|e| {
                            ConnError::Conflict(format!(
                                "could not set up certificate verification: {e}"
                            ))
                        })?;
                Some(verifier)
            }
        };
        let versions: &[&'static rustls::SupportedProtocolVersion] = if self.tls.min_tls13 {
            &[&rustls::version::TLS13]
        } else if self.tls.max_tls12 {
            &[&rustls::version::TLS12]
        } else {
            rustls::DEFAULT_VERSIONS
        };
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(versions)
            .map_err(|e| ConnError::Conflict(format!("unusable TLS protocol versions: {e}")))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(PgVerifier {
                verify,
                webpki,
                provider,
            }));
        let mut config = match load_client_cert(&self.tls)? {
            Some((chain, key)) => {
                builder
                    .with_client_auth_cert(chain, key)
                    .map_err(|e| ConnError::BadFile {
                        what: "certificate file",
                        path: self.tls.cert.clone().unwrap_or_default(),
                        problem: format!("does not match its private key or is unusable: {e}"),
                    })?
            }
            None => builder.with_no_client_auth(),
        };
        config.enable_sni = self.tls.sni;
        // What libpq 17 sends; required by servers for direct negotiation.
        config.alpn_protocols = vec![b"postgresql".to_vec()];
        Ok(config)
    }

    /// Connect; see [`connect`].
    pub async fn connect(&self) -> Result<(tokio_postgres::Client, JoinHandle<()>), ConnError> {
        connect(self).await
    }

    /// A TLS connector for [`ResolvedConn::to_tokio_config`].
    pub fn make_tls(&self) -> Result<MakeRustlsConnect, ConnError> {
        Ok(MakeRustlsConnect::new(self.rustls_config()?))
    }

    fn host_order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.hosts.len()).collect();
        if self.load_balance_hosts {
            use rand::seq::SliceRandom;
            order.shuffle(&mut rand::rng());
        }
        order
    }
}

// ---------------------------------------------------------------------------
// Connecting.
// ---------------------------------------------------------------------------

/// Wraps the rustls connector to notice failed handshakes, which decide
/// `sslmode=prefer`'s fallback and the error classification.
#[derive(Clone)]
struct TrackedTls {
    inner: MakeRustlsConnect,
    failed: Arc<AtomicBool>,
}

struct TrackedConnect<T> {
    inner: T,
    failed: Arc<AtomicBool>,
}

impl<S> MakeTlsConnect<S> for TrackedTls
where
    MakeRustlsConnect: MakeTlsConnect<S>,
    <MakeRustlsConnect as MakeTlsConnect<S>>::TlsConnect: Send + 'static,
    <<MakeRustlsConnect as MakeTlsConnect<S>>::TlsConnect as TlsConnect<S>>::Future: Send + 'static,
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = <MakeRustlsConnect as MakeTlsConnect<S>>::Stream;
    type TlsConnect = TrackedConnect<<MakeRustlsConnect as MakeTlsConnect<S>>::TlsConnect>;
    type Error = <MakeRustlsConnect as MakeTlsConnect<S>>::Error;

    fn make_tls_connect(&mut self, domain: &str) -> Result<Self::TlsConnect, Self::Error> {
        let inner =
            <MakeRustlsConnect as MakeTlsConnect<S>>::make_tls_connect(&mut self.inner, domain)?;
        Ok(TrackedConnect {
            inner,
            failed: self.failed.clone(),
        })
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, T> TlsConnect<S> for TrackedConnect<T>
where
    T: TlsConnect<S>,
    T::Future: Send + 'static,
{
    type Stream = T::Stream;
    type Error = T::Error;
    type Future = BoxFuture<Result<T::Stream, T::Error>>;

    fn connect(self, stream: S) -> Self::Future {
        let failed = self.failed;
        let fut = self.inner.connect(stream);
        Box::pin(async move {
            let result = fut.await;
            if result.is_err() {
                failed.store(true, Ordering::SeqCst);
            }
            result
        })
    }
}

/// Connect to the first host that accepts (in order, or shuffled with
/// `load_balance_hosts=random`), honouring `sslmode` and
/// `target_session_attrs`. The connection task is spawned on the current
/// tokio runtime; its handle ends when the connection closes.
pub async fn connect(
    conn: &ResolvedConn,
) -> Result<(tokio_postgres::Client, JoinHandle<()>), ConnError> {
    // TLS is never used over unix sockets, so a socket-only connection
    // needs no TLS setup (and cannot fail on it), as in libpq.
    let any_tcp = conn
        .hosts
        .iter()
        .any(|h| matches!(h.addr, HostAddr::Tcp { .. }));
    let tls = if conn.sslmode != SslMode::Disable && any_tcp {
        Some(conn.make_tls()?)
    } else {
        None
    };
    let passes = match conn.target_session_attrs {
        TargetSessionAttrs::PreferStandby => {
            vec![TargetSessionAttrs::Standby, TargetSessionAttrs::Any]
        }
        other => vec![other],
    };
    let mut failures = Vec::new();
    for attrs in passes {
        for i in conn.host_order() {
            match connect_host(conn, &conn.hosts[i], tls.as_ref(), attrs).await {
                Ok(ok) => return Ok(ok),
                Err(e) => {
                    tracing::debug!(error = %e, "connection attempt failed");
                    failures.push(e);
                }
            }
        }
    }
    if failures.len() == 1 {
        Err(failures.remove(0))
    } else {
        Err(ConnError::AllHostsFailed(failures))
    }
}

enum Plain {
    Disable,
    Prefer,
    Require,
}

async fn connect_host(
    conn: &ResolvedConn,
    host: &ResolvedHost,
    tls: Option<&MakeRustlsConnect>,
    attrs: TargetSessionAttrs,
) -> Result<(tokio_postgres::Client, JoinHandle<()>), ConnError> {
    let mut cfg = conn.base_config();
    match &host.addr {
        HostAddr::Socket(dir) => {
            cfg.host_path(dir);
        }
        HostAddr::Tcp {
            host: name,
            hostaddr,
        } => {
            // The name given (or the address) is what TLS checks.
            match (name, hostaddr) {
                (Some(n), _) => cfg.host(n),
                (None, Some(a)) => cfg.host(a.to_string()),
                (None, None) => cfg.host("localhost"),
            };
            if let Some(a) = hostaddr {
                cfg.hostaddr(*a);
            }
        }
    }
    cfg.port(host.port);
    if let Some(pw) = &host.password {
        cfg.password(pw.as_bytes());
    }
    // TLS is never used over unix sockets, whatever sslmode says (libpq).
    let tls = tls.filter(|_| !matches!(host.addr, HostAddr::Socket(_)));
    let only_error = |r: Result<_, (ConnError, bool)>| r.map_err(|(e, _)| e);
    let (client, handle) = match (conn.sslmode, tls) {
        (SslMode::Disable, _) | (_, None) => {
            only_error(attempt(conn, host, &cfg, Plain::Disable, None).await)?
        }
        (SslMode::Allow, Some(t)) => {
            match attempt(conn, host, &cfg, Plain::Disable, Some(t)).await {
                Ok(ok) => ok,
                Err((e, _)) if is_server_rejection(&e) => {
                    only_error(attempt(conn, host, &cfg, Plain::Require, Some(t)).await)?
                }
                Err((e, _)) => return Err(e),
            }
        }
        (SslMode::Prefer, Some(t)) => {
            match attempt(conn, host, &cfg, Plain::Prefer, Some(t)).await {
                Ok(ok) => ok,
                Err((_, true)) => {
                    only_error(attempt(conn, host, &cfg, Plain::Disable, Some(t)).await)?
                }
                Err((e, false)) => return Err(e),
            }
        }
        (_, Some(t)) => only_error(attempt(conn, host, &cfg, Plain::Require, Some(t)).await)?,
    };
    // Before any statement that carries a literal, in a round trip of its
    // own: with standard_conforming_strings off (a server or role default,
    // or a pooler's) backslashes in '…' literals are escapes, and every
    // literal pgkeep quotes assumes they are not.
    client
        .simple_query("SET standard_conforming_strings = on")
        .await
        .map_err(|e| ConnError::Connect {
            server: host.server_phrase(),
            kind: FailureKind::Other,
            sqlstate: e.as_db_error().map(|d| d.code().code().to_string()),
            detail: format!("could not set standard_conforming_strings: {}", error_chain(&e)),
        })?;
    check_session_attrs(&client, host, attrs).await?;
    Ok((client, handle))
}

fn is_server_rejection(e: &ConnError) -> bool {
    matches!(
        e,
        ConnError::Connect {
            kind: FailureKind::Rejected | FailureKind::Auth,
            sqlstate: Some(_),
            ..
        }
    )
}

/// One connection attempt. On failure also says whether the TLS handshake
/// was what failed.
async fn attempt(
    conn: &ResolvedConn,
    host: &ResolvedHost,
    cfg: &tokio_postgres::Config,
    mode: Plain,
    tls: Option<&MakeRustlsConnect>,
) -> Result<(tokio_postgres::Client, JoinHandle<()>), (ConnError, bool)> {
    let mut cfg = cfg.clone();
    cfg.ssl_mode(match mode {
        Plain::Disable => tokio_postgres::config::SslMode::Disable,
        Plain::Prefer => tokio_postgres::config::SslMode::Prefer,
        Plain::Require => tokio_postgres::config::SslMode::Require,
    });
    let failed = Arc::new(AtomicBool::new(false));
    let fut = async {
        match tls {
            Some(t) => {
                let tracked = TrackedTls {
                    inner: t.clone(),
                    failed: failed.clone(),
                };
                let (client, connection) = cfg.connect(tracked).await?;
                Ok::<_, tokio_postgres::Error>((client, spawn_connection(connection)))
            }
            None => {
                let (client, connection) = cfg.connect(tokio_postgres::NoTls).await?;
                Ok((client, spawn_connection(connection)))
            }
        }
    };
    let result = match conn.connect_timeout {
        // tokio-postgres' own timeout covers only the TCP connect; libpq's
        // covers the whole attempt.
        Some(limit) => match tokio::time::timeout(limit, fut).await {
            Ok(r) => r,
            Err(_) => {
                return Err((
                    ConnError::Connect {
                        server: host.server_phrase(),
                        kind: FailureKind::Timeout,
                        sqlstate: None,
                        detail: format!(
                            "timeout expired after {} s (connect_timeout)",
                            limit.as_secs()
                        ),
                    },
                    false,
                ))
            }
        },
        None => fut.await,
    };
    result.map_err(|e| {
        let tls_failed = failed.load(Ordering::SeqCst);
        (classify(conn, host, &e, tls_failed), tls_failed)
    })
}

fn spawn_connection<S, T>(connection: tokio_postgres::Connection<S, T>) -> JoinHandle<()>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%error, "database connection ended with an error");
        }
    })
}

/// Turn a tokio-postgres error into a message that names the server, the
/// user and what to do.
fn classify(
    conn: &ResolvedConn,
    host: &ResolvedHost,
    e: &tokio_postgres::Error,
    tls_failed: bool,
) -> ConnError {
    let server = host.server_phrase();
    if let Some(db) = e.as_db_error() {
        let code = db.code().code().to_string();
        let mut detail = format!("{}:  {}", db.severity(), db.message());
        if let Some(d) = db.detail() {
            detail.push_str(&format!("\nDETAIL:  {d}"));
        }
        if let Some(h) = db.hint() {
            detail.push_str(&format!("\nHINT:  {h}"));
        }
        let kind = if code.starts_with("28") {
            FailureKind::Auth
        } else {
            FailureKind::Rejected
        };
        if code == "28P01" {
            if let Some(file) = &host.password_file {
                detail.push_str(&format!(
                    "\npassword retrieved from file \"{}\"",
                    file.display()
                ));
            }
        }
        return ConnError::Connect {
            server,
            kind,
            sqlstate: Some(code),
            detail,
        };
    }
    let chain = error_chain(e);
    if chain.contains("password missing") {
        let mut detail = format!(
            "the server requested a password for user \"{}\", but none was given; set it in the \
             connection string, in PGPASSWORD, or in a line of the password file \"{}\"",
            conn.user,
            conn.passfile.display()
        );
        for w in &conn.warnings {
            detail.push_str(&format!("\n({w})"));
        }
        return ConnError::Connect {
            server,
            kind: FailureKind::Auth,
            sqlstate: None,
            detail,
        };
    }
    let io_kind = find_io_kind(e);
    let socket = matches!(host.addr, HostAddr::Socket(_));
    let (kind, hint) = if tls_failed || chain.starts_with("error performing TLS handshake") {
        (FailureKind::Tls, tls_hint(conn, &chain))
    } else if chain.contains("authentication")
        || chain.contains("SCRAM")
        || chain.contains("channel binding")
    {
        (FailureKind::Auth, String::new())
    } else if io_kind == Some(io::ErrorKind::ConnectionRefused) && !socket {
        (
            FailureKind::Unreachable,
            "\n\tIs the server running on that host and accepting TCP/IP connections?".into(),
        )
    } else if socket
        && matches!(
            io_kind,
            Some(io::ErrorKind::ConnectionRefused | io::ErrorKind::NotFound)
        )
    {
        (
            FailureKind::Unreachable,
            "\n\tIs the server running locally and accepting connections on that socket?".into(),
        )
    } else if io_kind == Some(io::ErrorKind::TimedOut) || chain.contains("timeout") {
        (FailureKind::Timeout, String::new())
    } else if io_kind.is_some() || chain.starts_with("error connecting") {
        (FailureKind::Unreachable, String::new())
    } else {
        (FailureKind::Other, String::new())
    };
    ConnError::Connect {
        server,
        kind,
        sqlstate: None,
        detail: format!("{chain}{hint}"),
    }
}

/// What to do about a failed TLS setup, judged from rustls' message.
fn tls_hint(conn: &ResolvedConn, chain: &str) -> String {
    let roots = match &conn.tls.root {
        Some(RootCerts::System) => "the system's trusted root certificates".to_string(),
        Some(RootCerts::File { path, .. }) => format!("\"{}\"", path.display()),
        None => "the root certificate file".to_string(),
    };
    if chain.contains("server does not support TLS") {
        format!(
            "\n(the server has TLS switched off; enable ssl on the server or use a weaker sslmode than \"{}\")",
            conn.sslmode.as_str()
        )
    } else if chain.contains("UnknownIssuer") {
        format!(
            "\n(the server's certificate is not signed by a certificate in {roots}; point sslrootcert at the CA that issued it)"
        )
    } else if chain.contains("not valid for name") {
        "\n(sslmode=verify-full requires the certificate to name the host connected to; connect by a name the \
         certificate lists, e.g. host=NAME hostaddr=IP, or use sslmode=verify-ca)"
            .to_string()
    } else if chain.contains("Expired") || chain.contains("NotValidYet") {
        "\n(the server's certificate is outside its validity period; check the server's certificate and this machine's clock)"
            .to_string()
    } else {
        String::new()
    }
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cur = s.source();
    }
    out
}

fn find_io_kind(e: &(dyn std::error::Error + 'static)) -> Option<io::ErrorKind> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = cur {
        if let Some(io) = s.downcast_ref::<io::Error>() {
            return Some(io.kind());
        }
        cur = s.source();
    }
    None
}

async fn check_session_attrs(
    client: &tokio_postgres::Client,
    host: &ResolvedHost,
    attrs: TargetSessionAttrs,
) -> Result<(), ConnError> {
    let (sql, want_on) = match attrs {
        TargetSessionAttrs::Any | TargetSessionAttrs::PreferStandby => return Ok(()),
        TargetSessionAttrs::ReadWrite => ("SHOW transaction_read_only", false),
        TargetSessionAttrs::ReadOnly => ("SHOW transaction_read_only", true),
        TargetSessionAttrs::Primary => ("SELECT pg_catalog.pg_is_in_recovery()", false),
        TargetSessionAttrs::Standby => ("SELECT pg_catalog.pg_is_in_recovery()", true),
    };
    let fail = |detail: String, kind| ConnError::Connect {
        server: host.server_phrase(),
        kind,
        sqlstate: None,
        detail,
    };
    let rows = client.simple_query(sql).await.map_err(|e| {
        fail(
            format!("could not check target_session_attrs: {}", error_chain(&e)),
            FailureKind::Other,
        )
    })?;
    let value = rows.iter().find_map(|m| match m {
        SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
        _ => None,
    });
    let on = matches!(value.as_deref(), Some("on" | "t" | "true"));
    if on == want_on {
        return Ok(());
    }
    let what = match attrs {
        TargetSessionAttrs::ReadWrite => "server is read-only",
        TargetSessionAttrs::ReadOnly => "server is not read-only",
        TargetSessionAttrs::Primary => "server is in hot standby mode",
        _ => "server is not in hot standby mode",
    };
    Err(fail(
        format!("{what} (target_session_attrs={})", attrs.as_str()),
        FailureKind::SessionAttrs,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k: &str| map.get(k).cloned()
    }

    fn no_env() -> impl Fn(&str) -> Option<String> {
        env_of(&[("HOME", "/nonexistent-pgkeep-home"), ("PGUSER", "alice")])
    }

    #[test]
    fn parses_conninfo_with_quotes_and_escapes() {
        let s = ConnSpec::parse(
            r"host=/tmp port = 5433 dbname='my db' password='it\'s \\ x' user=a\ b application_name=",
        )
        .unwrap();
        assert_eq!(s.get("host"), Some("/tmp"));
        assert_eq!(s.get("port"), Some("5433"));
        assert_eq!(s.get("dbname"), Some("my db"));
        assert_eq!(s.get("password"), Some(r"it's \ x"));
        assert_eq!(s.get("user"), Some("a b"));
        assert_eq!(s.get("application_name"), Some(""));
        assert!(!format!("{s:?}").contains("it's"));
    }

    #[test]
    fn libpq_quirk_whitespace_after_equals() {
        let s = ConnSpec::parse("host= port=5").unwrap();
        assert_eq!(s.get("host"), Some("port=5"));
        assert_eq!(s.get("port"), None);
    }

    #[test]
    fn conninfo_errors_name_the_problem() {
        let e = ConnSpec::parse("host=x bogus=1").unwrap_err();
        assert_eq!(e.to_string(), "invalid connection option \"bogus\"");
        let e = ConnSpec::parse("host").unwrap_err();
        assert!(
            e.to_string().contains("missing \"=\" after \"host\""),
            "{e}"
        );
        let e = ConnSpec::parse("password='abc").unwrap_err();
        assert!(e.to_string().contains("unterminated quoted string"), "{e}");
        assert!(!e.to_string().contains("abc"));
    }

    #[test]
    fn parses_uris() {
        let s = ConnSpec::parse(
            "postgresql://us%40er:p%3Ass@db.example.com:6543/my%20db?sslmode=verify-full&application_name=x",
        )
        .unwrap();
        assert_eq!(s.get("user"), Some("us@er"));
        assert_eq!(s.get("password"), Some("p:ss"));
        assert_eq!(s.get("host"), Some("db.example.com"));
        assert_eq!(s.get("port"), Some("6543"));
        assert_eq!(s.get("dbname"), Some("my db"));
        assert_eq!(s.get("sslmode"), Some("verify-full"));

        let s = ConnSpec::parse("postgres://h1:5432,h2,[::1]:7/db").unwrap();
        assert_eq!(s.get("host"), Some("h1,h2,::1"));
        assert_eq!(s.get("port"), Some("5432,,7"));

        let s = ConnSpec::parse("postgresql://%2Fvar%2Frun%2Fpostgresql:5433/db").unwrap();
        assert_eq!(s.get("host"), Some("/var/run/postgresql"));

        let s = ConnSpec::parse("postgresql:///db?host=/tmp/sock&port=7").unwrap();
        assert_eq!(s.get("host"), Some("/tmp/sock"));
        assert_eq!(s.get("dbname"), Some("db"));

        let s = ConnSpec::parse("postgresql://").unwrap();
        assert_eq!(s, ConnSpec::new());

        let s = ConnSpec::parse("postgres://u@h?ssl=true").unwrap();
        assert_eq!(s.get("sslmode"), Some("require"));

        let s = ConnSpec::parse("postgresql://user@?dbname=x").unwrap();
        assert_eq!(s.get("user"), Some("user"));
        assert_eq!(s.get("host"), None);
    }

    #[test]
    fn uri_errors() {
        let e = ConnSpec::parse("postgresql://h/db?foo=1").unwrap_err();
        assert_eq!(e.to_string(), "invalid URI query parameter: \"foo\"");
        assert!(ConnSpec::parse("postgresql://h/db?sslmode").is_err());
        assert!(ConnSpec::parse("postgresql://[::1/db").is_err());
        assert!(ConnSpec::parse("postgresql://h/%zz").is_err());
        let e = ConnSpec::parse("postgresql://u:sec%zzret@h/db").unwrap_err();
        assert!(!e.to_string().contains("sec"), "{e}");
    }

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

    #[test]
    fn redaction() {
        let s = ConnSpec::parse("user=u password=topsecret host=h").unwrap();
        assert!(!s.to_redacted_string().contains("topsecret"));
        assert!(s.to_conninfo_string().contains("topsecret"));
        let r = s.resolve(&no_env()).unwrap();
        assert_eq!(r.describe(), "u@h:5432/u");
        assert!(!format!("{r:?}").contains("topsecret"));
    }

    #[test]
    fn verify_modes_need_a_root() {
        let r = ConnSpec::parse("host=h sslmode=verify-full")
            .unwrap()
            .resolve(&no_env())
            .unwrap();
        let e = r.rustls_config().unwrap_err();
        assert!(
            e.to_string().contains("root.crt") && e.to_string().contains("does not exist"),
            "{e}"
        );
        let r = ConnSpec::parse("host=h sslmode=require")
            .unwrap()
            .resolve(&no_env())
            .unwrap();
        assert!(r.rustls_config().is_ok());
        let r = ConnSpec::parse("host=h sslmode=require sslrootcert=/nonexistent/ca.pem")
            .unwrap()
            .resolve(&no_env())
            .unwrap();
        let e = r.rustls_config().unwrap_err();
        assert!(e.to_string().contains("/nonexistent/ca.pem"), "{e}");
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn any_value_round_trips(value in any::<String>()) {
                let text = format!("password={} dbname={}", quote_conninfo_value(&value), quote_conninfo_value(&value));
                let spec = ConnSpec::parse(&text).unwrap();
                prop_assert_eq!(spec.get("password"), Some(value.as_str()));
                prop_assert_eq!(spec.get("dbname"), Some(value.as_str()));
            }

            #[test]
            fn specs_round_trip(
                entries in proptest::collection::btree_map(
                    proptest::sample::select(KEYWORDS.iter().map(|(k, _)| *k).collect::<Vec<_>>()),
                    any::<String>(),
                    0..8,
                )
            ) {
                let mut spec = ConnSpec::new();
                for (k, v) in &entries {
                    spec.set(k, v.clone()).unwrap();
                }
                let text = spec.to_conninfo_string();
                prop_assert_eq!(ConnSpec::parse(&text).unwrap(), spec);
            }

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

            #[test]
            fn parser_never_panics(s in any::<String>()) {
                let _ = ConnSpec::parse(&s);
                let _ = ConnSpec::parse(&format!("postgresql://{s}"));
            }
        }
    }
}
