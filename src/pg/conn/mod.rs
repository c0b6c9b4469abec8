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

mod classify;
mod connect;
mod error;
mod keywords;
mod passfile;
mod resolve;
mod resolved;
mod service_file;
mod spec;
mod tls;
mod tls_options;
mod uri;

pub use connect::connect;
pub use error::{ConnError, FailureKind};
pub use passfile::{pgpass_escape, pgpass_lookup};
pub use resolve::{default_socket_dir, DEFAULT_PORT};
pub use resolved::{HostAddr, ResolvedConn, ResolvedHost, SslMode, TargetSessionAttrs};
pub use service_file::parse_service_file;
pub use spec::{process_env, quote_conninfo_value, ConnSpec};
pub use uri::redact_uri;

/// Environments for the unit tests: a closure over fixed pairs, so no test
/// touches the process environment.
#[cfg(test)]
mod test_support {
    use std::collections::BTreeMap;

    pub(super) fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k: &str| map.get(k).cloned()
    }

    pub(super) fn no_env() -> impl Fn(&str) -> Option<String> {
        env_of(&[("HOME", "/nonexistent-pgkeep-home"), ("PGUSER", "alice")])
    }

}
