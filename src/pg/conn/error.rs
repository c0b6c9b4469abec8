//! The error type of connection handling: parsing, resolving and
//! connecting all fail with a [`ConnError`]; [`FailureKind`] says why one
//! connection attempt failed.
//!
//! Owns the types and their messages; must not decide which failure is
//! which (that is `classify`) and never carries a password.

use std::io;
use std::path::PathBuf;

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

pub(super) fn invalid(keyword: &str, value: &str, expected: &str) -> ConnError {
    ConnError::InvalidValue {
        keyword: keyword.to_string(),
        value: value.to_string(),
        expected: expected.to_string(),
    }
}
