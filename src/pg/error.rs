//! One error from a PostgreSQL server or from the client talking to it:
//! [`ServerError`] keeps the SQLSTATE, severity, message and hint, and the
//! client's original error, and prints itself the way psql does.
//!
//! It owns the rule of what of a server error may leave the process (a
//! DETAIL that may quote row contents never does). It does not know which
//! object the failing statement was about: the error variant that wraps it
//! names that.

use std::fmt;

/// A server (or client-side connection) error, with its SQLSTATE kept.
///
/// Its `Display` is what job records, webhooks, logs and terminals see:
/// severity, message, SQLSTATE, hint, and the DETAIL only when it cannot
/// hold row data. The original [`tokio_postgres::Error`] is kept
/// ([`ServerError::client_error`]) but deliberately **not** returned by
/// [`std::error::Error::source`]: its `Display` carries the DETAIL verbatim
/// ("Failing row contains (…)"), and every error reporter that walks the
/// source chain (anyhow's `{:#}`, tracing's error fields) would print it.
#[derive(Debug)]
pub struct ServerError {
    sqlstate: Option<String>,
    text: String,
    error: tokio_postgres::Error,
}

impl ServerError {
    /// The SQLSTATE, when the server sent one (a lost connection has none).
    pub fn sqlstate(&self) -> Option<&str> {
        self.sqlstate.as_deref()
    }

    /// Whether the server reported this SQLSTATE.
    pub fn is(&self, code: &str) -> bool {
        self.sqlstate.as_deref() == Some(code)
    }

    /// The client library's error, for callers that need more than the
    /// message (it may quote row contents: never print it).
    pub fn client_error(&self) -> &tokio_postgres::Error {
        &self.error
    }
}

impl From<tokio_postgres::Error> for ServerError {
    fn from(error: tokio_postgres::Error) -> ServerError {
        ServerError { sqlstate: error.code().map(|c| c.code().to_string()), text: message(&error), error }
    }
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for ServerError {}

/// A server error as psql would print it — severity, message, SQLSTATE,
/// hint — but without a DETAIL that may carry row contents. These messages
/// end up in job records, webhooks and logs, which are not allowed to see
/// tenants' rows: a constraint violation's "Failing row contains (…)" or
/// "Key (email)=(…) already exists" stays on the server (its log has it).
fn message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut m = format!("{}: {} (SQLSTATE {})", db.severity(), db.message(), db.code().code());
            if let Some(d) = db.detail().filter(|d| !detail_may_hold_row_data(db.code().code(), d)) {
                m.push_str(&format!(" (DETAIL: {d})"));
            }
            if let Some(h) = db.hint() {
                m.push_str(&format!(" (HINT: {h})"));
            }
            m
        }
        None => {
            // tokio-postgres puts the useful part in the source chain.
            let mut m = e.to_string();
            let mut src = std::error::Error::source(e);
            while let Some(s) = src {
                m.push_str(&format!(": {s}"));
                src = s.source();
            }
            m
        }
    }
}

/// Whether a server DETAIL may quote row contents: every detail of a data
/// exception (class 22) or an integrity constraint violation (class 23),
/// and any detail that looks like a row or key image.
pub fn detail_may_hold_row_data(sqlstate: &str, detail: &str) -> bool {
    sqlstate.starts_with("22")
        || sqlstate.starts_with("23")
        || detail.contains("row contains")
        || detail.contains(")=(")
        || detail.starts_with("Key ")
        || detail.contains("Array value")
}
