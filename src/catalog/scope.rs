//! Which schemas and relations a dump covers: pg_dump's `-n`/`-N`/`-t`/`-T`
//! patterns resolved against the server, in one query per pattern kind.
//!
//! Owns the choice of what is in scope and whether names can be rendered
//! relative to a single schema. It must not read object definitions.

use std::collections::BTreeSet;

use tokio_postgres::Client;

use super::pattern::{self, NamePattern, PatternKind};
use super::{CatalogError, ScopeKind};

/// What the user asked for (patterns as typed on the command line).
#[derive(Clone, Debug, Default)]
pub struct ScopeSpec {
    pub include_schemas: Vec<String>,
    pub exclude_schemas: Vec<String>,
    pub include_tables: Vec<String>,
    pub exclude_tables: Vec<String>,
}

/// The resolved scope.
#[derive(Clone, Debug, Default)]
pub struct ResolvedScope {
    pub kind: ScopeKind,
    /// Schemas whose objects are dumped (all kinds). Empty for a table scope.
    pub schemas: Vec<(u32, String)>,
    /// Every relation (tables, views, sequences, ...) in scope.
    pub relations: Vec<u32>,
    /// The schema names are rendered relative to, when the scope is exactly
    /// one schema.
    pub relative_schema: Option<String>,
    pub warnings: Vec<String>,
}

/// Schemas that are never user data.
const SYSTEM_SCHEMA_FILTER: &str = "n.nspname <> 'information_schema' \
     AND n.nspname !~ '^pg_' \
     AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e \
                     WHERE e.classid = 'pg_catalog.pg_namespace'::pg_catalog.regclass \
                       AND e.objid = n.oid AND e.deptype = 'e')";

fn parse_all(
    patterns: &[String],
    kind: PatternKind,
    database: &str,
) -> Result<Vec<NamePattern>, CatalogError> {
    patterns
        .iter()
        .map(|p| {
            let parsed = pattern::parse(p, kind).map_err(CatalogError::Pattern)?;
            if let Some(db) = &parsed.database {
                if db != database {
                    return Err(CatalogError::Scope(format!(
                        "pattern {p:?} names database {db:?}, but the connection is to {database:?}: \
                         cross-database references are not supported"
                    )));
                }
            }
            Ok(parsed)
        })
        .collect()
}

/// Matches schema patterns server-side (the server's regex engine is the
/// one psql and pg_dump rely on). Returns, per pattern, the matching
/// schema oids.
async fn match_schemas(
    client: &Client,
    patterns: &[NamePattern],
) -> Result<Vec<Vec<(u32, String)>>, CatalogError> {
    if patterns.is_empty() {
        return Ok(Vec::new());
    }
    let regexes: Vec<&str> = patterns.iter().map(|p| p.name_regex.as_str()).collect();
    let sql = format!(
        "SELECT p.i::int4, n.oid, n.nspname \
         FROM pg_catalog.unnest($1::text[]) WITH ORDINALITY AS p(re, i) \
         JOIN pg_catalog.pg_namespace n ON n.nspname OPERATOR(pg_catalog.~) p.re COLLATE pg_catalog.default \
         WHERE {SYSTEM_SCHEMA_FILTER} ORDER BY n.nspname"
    );
    let rows = client
        .query(&sql, &[&regexes])
        .await
        .map_err(|e| CatalogError::query("schema patterns", e))?;
    let mut out = vec![Vec::new(); patterns.len()];
    for r in rows {
        let i: i32 = r.get(0);
        out[(i - 1) as usize].push((r.get(1), r.get(2)));
    }
    Ok(out)
}

async fn match_relations(
    client: &Client,
    patterns: &[NamePattern],
) -> Result<Vec<Vec<u32>>, CatalogError> {
    if patterns.is_empty() {
        return Ok(Vec::new());
    }
    let schema_res: Vec<Option<&str>> = patterns.iter().map(|p| p.schema_regex.as_deref()).collect();
    let name_res: Vec<&str> = patterns.iter().map(|p| p.name_regex.as_str()).collect();
    let sql = format!(
        "SELECT p.i::int4, c.oid \
         FROM ROWS FROM (pg_catalog.unnest($1::text[]), pg_catalog.unnest($2::text[])) WITH ORDINALITY AS p(sre, nre, i) \
         JOIN pg_catalog.pg_class c ON c.relname OPERATOR(pg_catalog.~) p.nre COLLATE pg_catalog.default \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r','p','f','v','m','S') \
           AND (p.sre IS NULL OR n.nspname OPERATOR(pg_catalog.~) p.sre COLLATE pg_catalog.default) \
           AND {SYSTEM_SCHEMA_FILTER}"
    );
    let rows = client
        .query(&sql, &[&schema_res, &name_res])
        .await
        .map_err(|e| CatalogError::query("table patterns", e))?;
    let mut out = vec![Vec::new(); patterns.len()];
    for r in rows {
        let i: i32 = r.get(0);
        out[(i - 1) as usize].push(r.get(1));
    }
    Ok(out)
}

/// Oids of the relations matching any of `patterns` (psql's rules), as
/// `--exclude-table-data` takes them. No match is not an error.
pub async fn matching_relations(client: &Client, patterns: &[String], database: &str) -> Result<BTreeSet<u32>, CatalogError> {
    let parsed = parse_all(patterns, PatternKind::Relation, database)?;
    Ok(match_relations(client, &parsed).await?.into_iter().flatten().collect())
}

/// Resolves the spec against the connected database.
pub async fn resolve(
    client: &Client,
    spec: &ScopeSpec,
    database: &str,
) -> Result<ResolvedScope, CatalogError> {
    let inc_s = parse_all(&spec.include_schemas, PatternKind::Schema, database)?;
    let exc_s = parse_all(&spec.exclude_schemas, PatternKind::Schema, database)?;
    let inc_t = parse_all(&spec.include_tables, PatternKind::Relation, database)?;
    let exc_t = parse_all(&spec.exclude_tables, PatternKind::Relation, database)?;
    let mut warnings = Vec::new();

    let excluded_schemas: BTreeSet<u32> = match_schemas(client, &exc_s)
        .await?
        .into_iter()
        .flatten()
        .map(|(oid, _)| oid)
        .collect();
    let excluded_rels: BTreeSet<u32> = match_relations(client, &exc_t)
        .await?
        .into_iter()
        .flatten()
        .collect();

    let mut out = ResolvedScope::default();
    if !inc_t.is_empty() {
        out.kind = ScopeKind::Tables;
        let matched = match_relations(client, &inc_t).await?;
        let mut rels = BTreeSet::new();
        for (p, m) in inc_t.iter().zip(&matched) {
            if m.is_empty() {
                warnings.push(format!("no relation matches pattern {:?}", p.original));
            }
            rels.extend(m.iter().copied());
        }
        if rels.is_empty() {
            return Err(CatalogError::Scope("no matching tables were found".into()));
        }
        // -n narrows -t to those schemas, as in pg_dump.
        let schema_filter: Option<BTreeSet<u32>> = if inc_s.is_empty() {
            None
        } else {
            Some(
                match_schemas(client, &inc_s)
                    .await?
                    .into_iter()
                    .flatten()
                    .map(|(o, _)| o)
                    .collect(),
            )
        };
        let rows = client
            .query(
                "SELECT c.oid, c.relnamespace FROM pg_catalog.unnest($1::oid[]) AS s(oid) \
                 JOIN pg_catalog.pg_class c ON c.oid = s.oid",
                &[&rels.iter().copied().collect::<Vec<u32>>()],
            )
            .await
            .map_err(|e| CatalogError::query("table scope", e))?;
        for r in rows {
            let (oid, nsp): (u32, u32) = (r.get(0), r.get(1));
            if excluded_rels.contains(&oid) || excluded_schemas.contains(&nsp) {
                continue;
            }
            if schema_filter.as_ref().is_some_and(|f| !f.contains(&nsp)) {
                continue;
            }
            out.relations.push(oid);
        }
        // A table's own sequences (serial, identity) come with it, as in pg_dump.
        let owned = client
            .query(
                "SELECT d.objid FROM pg_catalog.unnest($1::oid[]) AS s(oid) \
                 JOIN pg_catalog.pg_depend d ON d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass \
                   AND d.refobjid = s.oid AND d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass \
                   AND d.deptype IN ('a','i') \
                 JOIN pg_catalog.pg_class c ON c.oid = d.objid AND c.relkind = 'S'",
                &[&out.relations],
            )
            .await
            .map_err(|e| CatalogError::query("owned sequences", e))?;
        out.relations.extend(owned.iter().map(|r| r.get::<_, u32>(0)));
        out.relations.sort_unstable();
        out.relations.dedup();
        if out.relations.is_empty() {
            return Err(CatalogError::Scope(
                "every matching table is excluded by -T/-N".into(),
            ));
        }
        out.warnings = warnings;
        return Ok(out);
    }

    let schemas: Vec<(u32, String)> = if inc_s.is_empty() {
        out.kind = ScopeKind::Database;
        let sql = format!(
            "SELECT n.oid, n.nspname FROM pg_catalog.pg_namespace n WHERE {SYSTEM_SCHEMA_FILTER} \
             ORDER BY n.nspname"
        );
        client
            .query(&sql, &[])
            .await
            .map_err(|e| CatalogError::query("schemas", e))?
            .into_iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect()
    } else {
        out.kind = ScopeKind::Schemas;
        let matched = match_schemas(client, &inc_s).await?;
        let mut all = std::collections::BTreeMap::new();
        for (p, m) in inc_s.iter().zip(matched) {
            if m.is_empty() {
                warnings.push(format!("no schema matches pattern {:?}", p.original));
            }
            all.extend(m);
        }
        if all.is_empty() {
            return Err(CatalogError::Scope("no matching schemas were found".into()));
        }
        let mut v: Vec<(u32, String)> = all.into_iter().collect();
        v.sort_by(|a, b| a.1.cmp(&b.1));
        v
    };
    out.schemas = schemas
        .into_iter()
        .filter(|(oid, _)| !excluded_schemas.contains(oid))
        .collect();
    if out.kind == ScopeKind::Schemas && out.schemas.is_empty() {
        return Err(CatalogError::Scope(
            "every matching schema is excluded by -N".into(),
        ));
    }
    if out.kind == ScopeKind::Schemas && out.schemas.len() == 1 {
        out.relative_schema = Some(out.schemas[0].1.clone());
    }
    let schema_oids: Vec<u32> = out.schemas.iter().map(|s| s.0).collect();
    let rows = client
        .query(
            "SELECT c.oid FROM pg_catalog.unnest($1::oid[]) AS s(oid) \
             JOIN pg_catalog.pg_class c ON c.relnamespace = s.oid \
             WHERE c.relkind IN ('r','p','f','v','m','S') \
               AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e \
                   WHERE e.classid = 'pg_catalog.pg_class'::pg_catalog.regclass \
                     AND e.objid = c.oid AND e.deptype = 'e') \
             ORDER BY c.oid",
            &[&schema_oids],
        )
        .await
        .map_err(|e| CatalogError::query("relations in scope", e))?;
    out.relations = rows
        .into_iter()
        .map(|r| r.get::<_, u32>(0))
        .filter(|o| !excluded_rels.contains(o))
        .collect();
    out.warnings = warnings;
    Ok(out)
}
