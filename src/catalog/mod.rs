//! The typed model of what a database's catalog holds, and the batched,
//! version-aware queries that read it (PostgreSQL 13–18).
//!
//! This module owns *reading*: one query per object kind for the whole
//! scope, never one per table. It must not render SQL statements (that is
//! `ddl`'s job); it may keep fragments the server renders for us
//! (`pg_get_indexdef`, `pg_get_expr`, `format_type`, ...), because those
//! are the server's own words for the object.

pub mod model;
pub mod data;
pub mod pattern;
mod read;
pub mod scope;

use std::collections::{BTreeMap, HashMap, HashSet};

use tokio_postgres::Client;

pub use model::*;
pub use scope::{ResolvedScope, ScopeSpec};

/// The oldest server whose catalog we read.
pub const MIN_SERVER_VERSION: i32 = 130000;

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("reading {what} from the catalog failed: {source}")]
    Query {
        what: &'static str,
        #[source]
        source: tokio_postgres::Error,
    },
    #[error(transparent)]
    Pattern(#[from] pattern::PatternError),
    #[error("{0}")]
    Scope(String),
    #[error("server version {found} is not supported: pgkeep reads PostgreSQL 13 and later")]
    UnsupportedServer { found: i32 },
}

impl CatalogError {
    pub(crate) fn query(what: &'static str, source: tokio_postgres::Error) -> CatalogError {
        CatalogError::Query { what, source }
    }
}

/// How much to read besides definitions.
#[derive(Clone, Debug)]
pub struct ReadOptions {
    /// Read each sequence's current value (for `setval`). Before
    /// PostgreSQL 18 a sequence that was never advanced, or was set with
    /// `setval(..., false)`, can only be told apart by reading the sequence
    /// itself, about a quarter of a millisecond each on the server.
    pub sequence_values: bool,
    /// Large objects (`pg_dump --blobs` / `--no-blobs`): None reads them
    /// when the whole database is in scope, as pg_dump does.
    pub large_objects: Option<bool>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions { sequence_values: true, large_objects: None }
    }
}

/// Reads the catalog for `spec` on one connection.
///
/// Run it inside the transaction whose snapshot the dump uses (the caller
/// opens it). It sets `search_path` for the session: to the one schema of a
/// single-schema scope, so the server renders names inside it unqualified,
/// and to nothing otherwise, so every name comes out qualified.
pub async fn read_catalog(
    client: &Client,
    spec: &ScopeSpec,
    opts: &ReadOptions,
) -> Result<Catalog, CatalogError> {
    read_catalog_with(&[client], spec, opts).await
}

/// Like [`read_catalog`], spreading the queries over `clients`, which must
/// all be in transactions on the same snapshot (`pg_export_snapshot` /
/// `SET TRANSACTION SNAPSHOT`). The first one resolves the scope.
pub async fn read_catalog_with(
    clients: &[&Client],
    spec: &ScopeSpec,
    opts: &ReadOptions,
) -> Result<Catalog, CatalogError> {
    let client = *clients.first().ok_or_else(|| CatalogError::Scope("no connection to read the catalog on".into()))?;
    let row = client
        .query_one(
            "SELECT pg_catalog.current_setting('server_version_num')::int4, pg_catalog.current_database()::text, \
               pg_catalog.pg_encoding_to_char(d.encoding)::text \
             FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()",
            &[],
        )
        .await
        .map_err(|e| CatalogError::query("server version", e))?;
    let version: i32 = row.get(0);
    if version < MIN_SERVER_VERSION {
        return Err(CatalogError::UnsupportedServer { found: version });
    }
    let database: String = row.get(1);
    let resolved = scope::resolve(client, spec, &database).await?;
    let search_path = match &resolved.relative_schema {
        Some(s) => crate::sql::quote::quote_ident(s).into_owned(),
        None => String::new(),
    };
    for c in clients {
        c.query("SELECT pg_catalog.set_config('search_path', $1, false)", &[&search_path])
            .await
            .map_err(|e| CatalogError::query("search_path", e))?;
    }

    let database_level = resolved.kind == ScopeKind::Database;
    let reader = read::Reader {
        clients,
        version,
        schemas: resolved.schemas.iter().map(|s| s.0).collect(),
        relations: resolved.relations.clone(),
        database_level,
        sequence_values: opts.sequence_values,
        large_objects: opts.large_objects.unwrap_or(database_level),
    };
    let mut aliases = BTreeMap::new();
    let mut warnings = resolved.warnings.clone();
    let mut type_warnings = Vec::new();
    let mut fdw_warnings = Vec::new();

    let members = reader.extension_members().await?;
    // Issued together: tokio-postgres pipelines them on each connection,
    // and the heavy ones (server-rendered definitions) land on different
    // connections when there are several.
    let mut rel_aliases = BTreeMap::new();
    let (heavy, light) = futures::try_join!(
        async {
            futures::try_join!(
                reader.sequences(),
                reader.constraints(),
                reader.indexes(),
                reader.relations(&mut rel_aliases),
                reader.types(&mut aliases, &mut type_warnings, &members),
            )
        },
        async {
            futures::try_join!(
                reader.schemas(),
                reader.extensions(),
                reader.collations(),
                reader.functions(),
                reader.aggregates(),
                reader.operators(),
                reader.opfamilies_and_classes(),
                reader.casts(),
                reader.conversions(),
            )
        },
    )?;
    let (sequences, constraints, indexes, relations, types) = heavy;
    let (schemas, extensions, collations, functions, aggregates, operators, opfam, casts, conversions) = light;
    let (text_search, triggers, event_triggers) =
        futures::try_join!(reader.text_search(), reader.triggers(), reader.event_triggers())?;
    aliases.extend(rel_aliases);
    let (access_methods, transforms, extension_acls, rules, policies, statistics, foreign, publications, large_objects, default_acls, labels) = futures::try_join!(
        reader.access_methods(),
        reader.transforms(),
        async { Ok((reader.extension_acls().await?, reader.system_acls().await?)) },
        reader.rules(),
        reader.policies(),
        reader.statistics(),
        reader.foreign(&mut fdw_warnings),
        reader.publications(),
        reader.large_objects(),
        reader.default_acls(),
        reader.security_labels(),
    )?;
    // Database-level kinds of their own (languages with a handler,
    // subscriptions); empty unless the whole database is in scope.
    let (languages, (subscriptions, subscription_warnings), system_column_acls) =
        futures::try_join!(reader.languages(), reader.subscriptions(), reader.system_column_acls())?;
    warnings.extend(type_warnings);
    warnings.extend(fdw_warnings);
    if !labels.is_empty() {
        warnings.push(format!(
            "security labels are not dumped ({}): {}",
            labels.len(),
            labels.join("; ")
        ));
    }

    let (opfamilies, opclasses) = opfam;
    let (fdws, servers, user_mappings) = foreign;
    let mut cat = Catalog {
        server_version_num: version,
        database,
        encoding: String::new(),
        scope: resolved.kind.clone(),
        relative_schema: resolved.relative_schema.clone(),
        schemas,
        extensions,
        collations,
        types,
        sequences,
        relations,
        constraints,
        indexes,
        functions,
        aggregates,
        operators,
        access_methods,
        transforms,
        opfamilies,
        opclasses,
        casts,
        conversions,
        text_search,
        triggers,
        event_triggers,
        rules,
        policies,
        statistics,
        fdws,
        servers,
        user_mappings,
        publications,
        languages,
        subscriptions,
        system_column_acls,
        large_objects,
        default_acls,
        extension_acls: {
            let (mut e, s) = extension_acls;
            e.extend(s);
            e
        },
        dependencies: Vec::new(),
        aliases,
        warnings,
    };
    cat.encoding = row.get(2);
    cat.warnings.extend(subscription_warnings);
    drop_extension_members(&mut cat, &members);
    add_structural_aliases(&mut cat);

    let mut keys: Vec<ObjRef> = cat.object_keys();
    keys.extend(cat.aliases.keys().copied());
    keys.sort_unstable();
    keys.dedup();
    cat.dependencies = reader.dependencies(&keys).await?;
    Ok(cat)
}

/// Objects an extension created are the extension's: CREATE EXTENSION
/// makes them again.
fn drop_extension_members(cat: &mut Catalog, members: &HashMap<ObjRef, u32>) {
    // What depends on a member depends on its extension.
    let dumped: HashSet<u32> = cat.extensions.iter().map(|x| x.meta.oid).collect();
    for (member, ext) in members {
        if dumped.contains(ext) {
            cat.aliases.insert(*member, ObjRef { classid: class::PG_EXTENSION, objid: *ext });
        }
    }
    let has = |classid: u32, oid: u32| members.contains_key(&ObjRef { classid, objid: oid });
    cat.collations.retain(|x| !has(class::PG_COLLATION, x.meta.oid));
    cat.types.retain(|x| !has(class::PG_TYPE, x.meta.oid));
    cat.sequences.retain(|x| !has(class::PG_CLASS, x.meta.oid));
    cat.relations.retain(|x| !has(class::PG_CLASS, x.meta.oid));
    let rels: HashSet<u32> = cat.relations.iter().map(|r| r.meta.oid).collect();
    cat.constraints.retain(|x| rels.contains(&x.table));
    cat.indexes.retain(|x| rels.contains(&x.table));
    cat.triggers.retain(|x| rels.contains(&x.table));
    cat.rules.retain(|x| rels.contains(&x.table));
    cat.policies.retain(|x| rels.contains(&x.table));
    cat.statistics.retain(|x| rels.contains(&x.table));
    cat.system_column_acls.retain(|x| rels.contains(&x.table));
    cat.functions.retain(|x| !has(class::PG_PROC, x.meta.oid));
    cat.aggregates.retain(|x| !has(class::PG_PROC, x.meta.oid));
    cat.operators.retain(|x| !has(class::PG_OPERATOR, x.meta.oid));
    cat.opfamilies.retain(|x| !has(class::PG_OPFAMILY, x.meta.oid));
    cat.opclasses.retain(|x| !has(class::PG_OPCLASS, x.meta.oid));
    cat.casts.retain(|x| !has(class::PG_CAST, x.oid));
    cat.access_methods.retain(|x| !has(class::PG_AM, x.oid));
    cat.transforms.retain(|x| !has(class::PG_TRANSFORM, x.oid));
    cat.conversions.retain(|x| !has(class::PG_CONVERSION, x.meta.oid));
    cat.text_search.retain(|x| {
        let c = match x.kind {
            TextSearch::Parser { .. } => class::PG_TS_PARSER,
            TextSearch::Template { .. } => class::PG_TS_TEMPLATE,
            TextSearch::Dictionary { .. } => class::PG_TS_DICT,
            TextSearch::Configuration { .. } => class::PG_TS_CONFIG,
        };
        !has(c, x.meta.oid)
    });
    cat.event_triggers.retain(|x| !has(class::PG_EVENT_TRIGGER, x.meta.oid));
    cat.servers.retain(|x| !has(class::PG_FOREIGN_SERVER, x.meta.oid));
    cat.languages.retain(|x| !has(class::PG_LANGUAGE, x.meta.oid));
}

/// Rows that are part of another object: a constraint's index, a column
/// default, an identity sequence.
fn add_structural_aliases(cat: &mut Catalog) {
    for c in &cat.constraints {
        if let Some(ix) = c.index {
            cat.aliases.insert(
                ObjRef { classid: class::PG_CLASS, objid: ix },
                ObjRef { classid: class::PG_CONSTRAINT, objid: c.oid },
            );
        }
    }
    for s in &cat.sequences {
        if let Some((table, _)) = &s.identity_of {
            cat.aliases.insert(
                ObjRef { classid: class::PG_CLASS, objid: s.meta.oid },
                ObjRef { classid: class::PG_CLASS, objid: *table },
            );
        }
    }
    for r in &cat.relations {
        for c in &r.columns {
            if let Some(d) = c.default_oid {
                cat.aliases.insert(
                    ObjRef { classid: class::PG_ATTRDEF, objid: d },
                    ObjRef { classid: class::PG_CLASS, objid: r.meta.oid },
                );
            }
        }
    }
}

impl Catalog {
    /// The identity of every object this catalog would dump.
    pub fn object_keys(&self) -> Vec<ObjRef> {
        let mut k = Vec::new();
        let mut add = |classid: u32, objid: u32| k.push(ObjRef { classid, objid });
        self.schemas.iter().for_each(|x| add(class::PG_NAMESPACE, x.meta.oid));
        self.extensions.iter().for_each(|x| add(class::PG_EXTENSION, x.meta.oid));
        self.collations.iter().for_each(|x| add(class::PG_COLLATION, x.meta.oid));
        self.types.iter().for_each(|x| {
            add(class::PG_TYPE, x.meta.oid);
            if let TypeKind::Domain { constraints, .. } = &x.kind {
                constraints.iter().for_each(|c| add(class::PG_CONSTRAINT, c.oid));
            }
        });
        self.sequences.iter().for_each(|x| add(class::PG_CLASS, x.meta.oid));
        self.relations.iter().for_each(|x| add(class::PG_CLASS, x.meta.oid));
        self.constraints.iter().for_each(|x| add(class::PG_CONSTRAINT, x.oid));
        self.indexes.iter().for_each(|x| add(class::PG_CLASS, x.meta.oid));
        self.functions.iter().for_each(|x| add(class::PG_PROC, x.meta.oid));
        self.aggregates.iter().for_each(|x| add(class::PG_PROC, x.meta.oid));
        self.operators.iter().for_each(|x| add(class::PG_OPERATOR, x.meta.oid));
        self.opfamilies.iter().for_each(|x| add(class::PG_OPFAMILY, x.meta.oid));
        self.opclasses.iter().for_each(|x| add(class::PG_OPCLASS, x.meta.oid));
        self.casts.iter().for_each(|x| add(class::PG_CAST, x.oid));
        self.access_methods.iter().for_each(|x| add(class::PG_AM, x.oid));
        self.transforms.iter().for_each(|x| add(class::PG_TRANSFORM, x.oid));
        self.conversions.iter().for_each(|x| add(class::PG_CONVERSION, x.meta.oid));
        self.text_search.iter().for_each(|x| {
            let c = match x.kind {
                TextSearch::Parser { .. } => class::PG_TS_PARSER,
                TextSearch::Template { .. } => class::PG_TS_TEMPLATE,
                TextSearch::Dictionary { .. } => class::PG_TS_DICT,
                TextSearch::Configuration { .. } => class::PG_TS_CONFIG,
            };
            add(c, x.meta.oid)
        });
        self.triggers.iter().for_each(|x| add(class::PG_TRIGGER, x.oid));
        self.event_triggers.iter().for_each(|x| add(class::PG_EVENT_TRIGGER, x.meta.oid));
        self.rules.iter().for_each(|x| add(class::PG_REWRITE, x.oid));
        self.policies.iter().for_each(|x| add(class::PG_POLICY, x.oid));
        self.statistics.iter().for_each(|x| add(class::PG_STATISTIC_EXT, x.meta.oid));
        self.fdws.iter().for_each(|x| add(class::PG_FOREIGN_DATA_WRAPPER, x.meta.oid));
        self.servers.iter().for_each(|x| add(class::PG_FOREIGN_SERVER, x.meta.oid));
        self.publications.iter().for_each(|x| add(class::PG_PUBLICATION, x.meta.oid));
        self.languages.iter().for_each(|x| add(class::PG_LANGUAGE, x.meta.oid));
        self.subscriptions.iter().for_each(|x| add(class::PG_SUBSCRIPTION, x.meta.oid));
        k
    }
}
