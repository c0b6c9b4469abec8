//! Resolution's TLS step: `sslmode`, `sslrootcert`, the client certificate
//! and key, CRLs, `sslcertmode`, protocol versions, SNI and
//! `sslnegotiation`, validated together, with libpq's defaults under
//! `~/.postgresql/`.
//!
//! Owns what the TLS keywords mean and which combinations are refused; it
//! reads no file (the certificates are loaded by `tls` when connecting).

use std::path::{Path, PathBuf};

use super::error::{invalid, ConnError};
use super::resolve::Merged;
use super::resolved::{CertMode, RootCerts, SslMode, TlsSettings};

/// Step 6: `sslmode` and the TLS settings, with libpq's defaults under
/// `~/.postgresql/`.
pub(super) fn tls_settings(m: &Merged, home: Option<&Path>) -> Result<(SslMode, TlsSettings), ConnError> {
    let sslmode = SslMode::parse(m.get("sslmode").unwrap_or("prefer"))?;
    let pg_dir = home.map(|h| h.join(".postgresql"));
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
    let min = tls_version(m, "ssl_min_protocol_version")?;
    let max = tls_version(m, "ssl_max_protocol_version")?;
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
    Ok((sslmode, tls))
}

fn tls_version<'a>(m: &'a Merged, k: &str) -> Result<Option<&'a str>, ConnError> {
    match m.get(k) {
        None => Ok(None),
        Some(v @ ("TLSv1" | "TLSv1.1" | "TLSv1.2" | "TLSv1.3")) => Ok(Some(v)),
        Some(v) => Err(invalid(k, v, "TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3")),
    }
}
