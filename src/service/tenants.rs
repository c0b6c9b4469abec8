//! Finding a source's tenants: schemas or databases whose names match a
//! pattern (asked of the server on every run, so new tenants are picked
//! up), or the whole database as one tenant.
//!
//! Tenant names are data: they reach SQL only as bound parameters or
//! quoted identifiers, and the API accepts only names that look like one.

use crate::pg::conn::{process_env, ConnSpec, ResolvedConn};

use super::config::{SourceConfig, TenantDiscovery};

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
pub fn connection(source: &SourceConfig, tenant: &Tenant) -> Result<ResolvedConn, String> {
    let mut spec = ConnSpec::parse(&source.connection).map_err(|e| format!("source {}: {e}", source.name))?;
    if let Place::Database(db) = &tenant.place {
        spec.set("dbname", db.clone()).map_err(|e| format!("source {}: {e}", source.name))?;
    }
    spec.resolve(&process_env).map_err(|e| format!("source {}: {e}", source.name))
}

pub async fn discover(source: &SourceConfig) -> Result<Vec<Tenant>, String> {
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
    let conn = ConnSpec::parse(&source.connection)
        .and_then(|s| s.resolve(&process_env))
        .map_err(|e| format!("source {}: {e}", source.name))?;
    let (client, task) = conn.connect().await.map_err(|e| format!("source {}: {e}", source.name))?;
    let rows = client
        .query(sql, &[pattern])
        .await
        .map_err(|e| format!("source {}: listing tenants: {}", source.name, crate::pg::sessions::server_message(&e)));
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
pub fn check_restore_target(discovery: &TenantDiscovery, target: &Tenant, allow_postgres: bool) -> Result<(), String> {
    let name = target.name.as_str();
    match (discovery, &target.place) {
        (TenantDiscovery::Schema { pattern }, Place::Schema(schema)) => {
            let lower = schema.to_ascii_lowercase();
            if lower.starts_with("pg_") || lower == "information_schema" {
                return Err(format!("schema {schema:?} is a system schema: it cannot be a restore target"));
            }
            if schema != name || !like(pattern, schema) {
                return Err(format!(
                    "target tenant {name:?} does not match the source's tenant pattern {pattern:?}: restores go only into tenants of the source"
                ));
            }
        }
        (TenantDiscovery::Database { pattern }, Place::Database(db)) => {
            if matches!(db.as_str(), "template0" | "template1") {
                return Err(format!("database {db:?} is a template: it cannot be a restore target"));
            }
            if db == "postgres" && !allow_postgres {
                return Err(
                    "database \"postgres\" is a restore target only when asked for explicitly (\"allow_postgres\": true)".into(),
                );
            }
            if db != name || !like(pattern, db) {
                return Err(format!(
                    "target tenant {name:?} does not match the source's tenant pattern {pattern:?}: restores go only into tenants of the source"
                ));
            }
        }
        (TenantDiscovery::Whole { name: whole }, Place::Whole) => {
            let whole = whole.as_deref().unwrap_or(&target.source);
            if name != whole {
                return Err(format!("the source's only tenant is {whole:?}; {name:?} is not a restore target"));
            }
        }
        _ => return Err(format!("target tenant {name:?} is not where the source keeps its tenants")),
    }
    Ok(())
}

/// Refuse a database that the server marks as a template.
pub async fn check_not_template(source: &SourceConfig, db: &str) -> Result<(), String> {
    let conn = ConnSpec::parse(&source.connection)
        .and_then(|s| s.resolve(&process_env))
        .map_err(|e| format!("source {}: {e}", source.name))?;
    let (client, task) = conn.connect().await.map_err(|e| format!("source {}: {e}", source.name))?;
    let row = client
        .query_opt("SELECT datistemplate FROM pg_catalog.pg_database WHERE datname = $1", &[&db])
        .await
        .map_err(|e| format!("source {}: checking database {db:?}: {}", source.name, crate::pg::sessions::server_message(&e)));
    drop(client);
    task.abort();
    if row?.is_some_and(|r| r.get::<_, bool>(0)) {
        return Err(format!("database {db:?} is a template: it cannot be a restore target"));
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
