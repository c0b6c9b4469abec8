//! Finding a source's tenants: schemas or databases whose names match a
//! pattern (asked of the server on every run, so new tenants are picked
//! up), or the whole database as one tenant.
//!
//! Tenant names are data: they reach SQL only as bound parameters or
//! quoted identifiers, and the API accepts only names that look like one.

use crate::pg::conn::{process_env, ConnError, ConnSpec, ResolvedConn};
use crate::pg::error::ServerError;

use super::config::{SourceConfig, TenantDiscovery};

/// Why a source's tenants could not be listed, or a tenant is not a
/// place a restore may go.
#[derive(Debug, thiserror::Error)]
pub enum TenantError {
    #[error("source {source_name}: {error}")]
    Conn { source_name: String, #[source] error: ConnError },
    #[error("source {source_name}: {during}: {error}")]
    Server { source_name: String, during: String, #[source] error: ServerError },
    #[error("schema {0:?} is a system schema: it cannot be a restore target")]
    SystemSchema(String),
    #[error("database {0:?} is a template: it cannot be a restore target")]
    Template(String),
    #[error("database \"postgres\" is a restore target only when asked for explicitly (\"allow_postgres\": true)")]
    PostgresNotAsked,
    #[error("target tenant {name:?} does not match the source's tenant pattern {pattern:?}: restores go only into tenants of the source")]
    OutsidePattern { name: String, pattern: String },
    #[error("the source's only tenant is {whole:?}; {name:?} is not a restore target")]
    NotTheWhole { whole: String, name: String },
    #[error("target tenant {0:?} is not where the source keeps its tenants")]
    WrongPlace(String),
}

fn conn_err(source: &SourceConfig) -> impl Fn(ConnError) -> TenantError + '_ {
    |error| TenantError::Conn { source_name: source.name.clone(), error }
}

/// The source's own connection (its `connection`, the environment).
fn source_connection(source: &SourceConfig) -> Result<ResolvedConn, TenantError> {
    ConnSpec::parse(&source.connection).and_then(|s| s.resolve(&process_env)).map_err(conn_err(source))
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Tenant {
    pub name: String,
    pub source: String,
    #[serde(flatten)]
    pub place: Place,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "mode", content = "in", rename_all = "lowercase")]
pub enum Place {
    Schema(String),
    Database(String),
    Whole,
}

/// Whether `s` may name a tenant in an API path: 1–63 bytes (an
/// identifier's length) of letters, digits, `_`, `-` and `.`, not
/// starting with a dot (so never `.` or `..`).
pub fn is_tenant_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && !s.starts_with('.')
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// The connection to a tenant's database.
pub fn connection(source: &SourceConfig, tenant: &Tenant) -> Result<ResolvedConn, TenantError> {
    let mut spec = ConnSpec::parse(&source.connection).map_err(conn_err(source))?;
    if let Place::Database(db) = &tenant.place {
        spec.set("dbname", db.clone()).map_err(conn_err(source))?;
    }
    spec.resolve(&process_env).map_err(conn_err(source))
}

pub async fn discover(source: &SourceConfig) -> Result<Vec<Tenant>, TenantError> {
    let (pattern, sql) = match &source.tenants {
        TenantDiscovery::Whole { name } => {
            return Ok(vec![Tenant {
                name: name.clone().unwrap_or_else(|| source.name.clone()),
                source: source.name.clone(),
                place: Place::Whole,
            }])
        }
        TenantDiscovery::Schema { pattern } => (
            pattern,
            "SELECT nspname::text FROM pg_catalog.pg_namespace WHERE nspname LIKE $1 \
             AND nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' ORDER BY 1",
        ),
        TenantDiscovery::Database { pattern } => (
            pattern,
            "SELECT datname::text FROM pg_catalog.pg_database WHERE datname LIKE $1 \
             AND datallowconn AND NOT datistemplate ORDER BY 1",
        ),
    };
    let (client, task) = source_connection(source)?.connect().await.map_err(conn_err(source))?;
    let rows = client.query(sql, &[pattern]).await.map_err(|e| TenantError::Server {
        source_name: source.name.clone(),
        during: "listing tenants".into(),
        error: e.into(),
    });
    drop(client);
    task.abort();
    let mut out = Vec::new();
    for r in rows? {
        let name: String = r.get(0);
        if !is_tenant_name(&name) {
            tracing::warn!(source = %source.name, name = %name, "skipping a tenant whose name has characters the API cannot carry");
            continue;
        }
        let place = match source.tenants {
            TenantDiscovery::Schema { .. } => Place::Schema(name.clone()),
            _ => Place::Database(name.clone()),
        };
        out.push(Tenant { name, source: source.name.clone(), place });
    }
    Ok(out)
}

/// A `-n` pattern that matches exactly the schema `name` (quoted, so case
/// is kept and no character is special).
pub fn exact_pattern(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Whether `target` may receive a restore from the API: the place the
/// source's tenants live, under a name the source's tenant pattern
/// matches; never a system schema (`pg_*`, `information_schema`), never a
/// template database, and the `postgres` database only when asked for.
pub fn check_restore_target(discovery: &TenantDiscovery, target: &Tenant, allow_postgres: bool) -> Result<(), TenantError> {
    let name = target.name.as_str();
    match (discovery, &target.place) {
        (TenantDiscovery::Schema { pattern }, Place::Schema(schema)) => {
            let lower = schema.to_ascii_lowercase();
            if lower.starts_with("pg_") || lower == "information_schema" {
                return Err(TenantError::SystemSchema(schema.clone()));
            }
            if schema != name || !like(pattern, schema) {
                return Err(TenantError::OutsidePattern { name: name.into(), pattern: pattern.clone() });
            }
        }
        (TenantDiscovery::Database { pattern }, Place::Database(db)) => {
            if matches!(db.as_str(), "template0" | "template1") {
                return Err(TenantError::Template(db.clone()));
            }
            if db == "postgres" && !allow_postgres {
                return Err(TenantError::PostgresNotAsked);
            }
            if db != name || !like(pattern, db) {
                return Err(TenantError::OutsidePattern { name: name.into(), pattern: pattern.clone() });
            }
        }
        (TenantDiscovery::Whole { name: whole }, Place::Whole) => {
            let whole = whole.as_deref().unwrap_or(&target.source);
            if name != whole {
                return Err(TenantError::NotTheWhole { whole: whole.into(), name: name.into() });
            }
        }
        _ => return Err(TenantError::WrongPlace(name.into())),
    }
    Ok(())
}

/// Refuse a database that the server marks as a template.
pub async fn check_not_template(source: &SourceConfig, db: &str) -> Result<(), TenantError> {
    let (client, task) = source_connection(source)?.connect().await.map_err(conn_err(source))?;
    let row = client
        .query_opt("SELECT datistemplate FROM pg_catalog.pg_database WHERE datname = $1", &[&db])
        .await
        .map_err(|e| TenantError::Server {
            source_name: source.name.clone(),
            during: format!("checking database {db:?}"),
            error: e.into(),
        });
    drop(client);
    task.abort();
    if row?.is_some_and(|r| r.get::<_, bool>(0)) {
        return Err(TenantError::Template(db.into()));
    }
    Ok(())
}

/// SQL LIKE matching (`%`, `_`, `\` escapes) for schedule tenant filters.
pub fn like(pattern: &str, s: &str) -> bool {
    fn go(p: &[char], s: &[char]) -> bool {
        match p.split_first() {
            None => s.is_empty(),
            Some(('%', rest)) => (0..=s.len()).any(|i| go(rest, &s[i..])),
            Some(('_', rest)) => !s.is_empty() && go(rest, &s[1..]),
            Some(('\\', rest)) if !rest.is_empty() => s.first() == rest.first() && go(&rest[1..], &s[1..]),
            Some((c, rest)) => s.first() == Some(c) && go(rest, &s[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = s.chars().collect();
    go(&p, &s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns() {
        assert!(like("tenant_%", "tenant_acme"));
        assert!(like("%", ""));
        assert!(!like("tenant\\_%", "tenantXacme"));
        assert!(like("t_n%", "tenant"));
        assert!(!like("acme", "acme2"));
    }

    #[test]
    fn restore_targets() {
        let schema = TenantDiscovery::Schema { pattern: "%".into() };
        let t = |n: &str| Tenant { name: n.into(), source: "s".into(), place: Place::Schema(n.into()) };
        assert!(check_restore_target(&schema, &t("tenant_a"), false).is_ok());
        for bad in ["pg_catalog", "pg_toast", "PG_x", "information_schema"] {
            assert!(check_restore_target(&schema, &t(bad), false).is_err(), "{bad}");
        }
        let narrow = TenantDiscovery::Schema { pattern: "tenant\\_%".into() };
        assert!(check_restore_target(&narrow, &t("tenant_b"), false).is_ok());
        assert!(check_restore_target(&narrow, &t("public"), false).is_err());
        let dbs = TenantDiscovery::Database { pattern: "%".into() };
        let d = |n: &str| Tenant { name: n.into(), source: "s".into(), place: Place::Database(n.into()) };
        assert!(check_restore_target(&dbs, &d("shop"), false).is_ok());
        assert!(check_restore_target(&dbs, &d("template1"), true).is_err());
        assert!(check_restore_target(&dbs, &d("template0"), true).is_err());
        assert!(check_restore_target(&dbs, &d("postgres"), false).is_err());
        assert!(check_restore_target(&dbs, &d("postgres"), true).is_ok());
        assert!(check_restore_target(&schema, &d("shop"), false).is_err(), "place must be the source's");
        assert_eq!(exact_pattern("Acme"), "\"Acme\"");
        assert_eq!(exact_pattern("a\"b"), "\"a\"\"b\"");
    }

    #[test]
    fn tenant_names_in_paths() {
        assert!(is_tenant_name("tenant_acme"));
        assert!(!is_tenant_name(".."));
        assert!(!is_tenant_name("a/b"));
        assert!(!is_tenant_name("x'; DROP TABLE t; --"));
        assert!(!is_tenant_name(""));
    }
}
