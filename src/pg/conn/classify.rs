//! What a failed connection attempt means: a tokio-postgres error turned
//! into a [`ConnError::Connect`] that names the server, the kind of
//! failure, the SQLSTATE, and what to do about it.
//!
//! Owns the wording and the judgement of failures; must not retry or
//! connect.

use std::io;

use super::error::{ConnError, FailureKind};
use super::resolved::{HostAddr, ResolvedConn, ResolvedHost, RootCerts};

/// Turn a tokio-postgres error into a message that names the server, the
/// user and what to do.
pub(super) fn classify(
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

pub(super) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
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
