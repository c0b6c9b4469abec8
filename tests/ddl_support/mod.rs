//! Shared code of the DDL tests (tests/ddl_roundtrip.rs, tests/ddl_snapshots.rs):
//!
//! 1. the fixture database (tests/fixtures/ddl/*.sql) and how to apply it
//!    for a given server major;
//! 2. an independent catalog oracle: plain SQL over the system catalogs and
//!    the server's own deparsers (`pg_get_*def`, `pg_get_expr`,
//!    `format_type`, `pg_identify_object`), written without any pgkeep code,
//!    that lists every user object of a database as sorted text lines with
//!    no OIDs in them (objects are named, never numbered; large objects are
//!    the exception because their OID is their name);
//! 3. a pg_dump oracle: `pg_dump --schema-only` of two databases, compared
//!    after removing only what must differ;
//! 4. running `pgkeep ddl` and diffing line sets readably.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use pgkeep_testing::pgcluster::Cluster;
use tokio_postgres::Client;

/// Where the fixture SQL files live.
pub fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ddl")
}

fn read_fixture(name: &str) -> String {
    let path = fixture_dir().join(name);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("read fixture file {}: {e}", path.display()))
}

/// `server_version_num`, e.g. 150014.
pub async fn server_version_num(client: &Client) -> i32 {
    let text: String = client
        .query_one("SELECT current_setting('server_version_num')", &[])
        .await
        .expect("read server_version_num")
        .get(0);
    text.parse().expect("server_version_num is a number")
}

/// Create the fixture's cluster-global roles (idempotent; safe to run from
/// parallel tests).
pub async fn apply_roles(client: &Client) {
    client
        .batch_execute(&read_fixture("roles.sql"))
        .await
        .unwrap_or_else(|e| panic!("applying tests/fixtures/ddl/roles.sql: {}", pg_error(&e)));
}

/// Apply roles.sql, base.sql and every add-on that fits the server:
/// pgNN.sql when the major is >= NN; extensions.sql when btree_gist,
/// pg_trgm, citext and hstore are installable; icu.sql when the server has
/// ICU collations; lz4.sql when the major is >= 14 and lz4 was built in.
/// Returns the names of the files applied, in order.
pub async fn apply_fixture(client: &Client) -> Vec<String> {
    apply_roles(client).await;
    let version = server_version_num(client).await;
    let major = version / 10000;
    let mut files = vec!["base.sql".to_string()];
    for add_on in 14..=18 {
        if major >= add_on {
            files.push(format!("pg{add_on}.sql"));
        }
    }
    let row = client
        .query_one(
            "SELECT (SELECT count(*) FROM pg_available_extensions
                      WHERE name IN ('btree_gist', 'pg_trgm', 'citext', 'hstore')) = 4,
                    EXISTS (SELECT 1 FROM pg_collation WHERE collprovider = 'i'),
                    EXISTS (SELECT 1 FROM pg_settings
                             WHERE name = 'default_toast_compression'
                               AND 'lz4' = ANY (enumvals))",
            &[],
        )
        .await
        .expect("probe optional server features");
    if row.get::<_, bool>(0) {
        files.push("extensions.sql".into());
    }
    if row.get::<_, bool>(1) {
        files.push("icu.sql".into());
    }
    if row.get::<_, bool>(2) {
        files.push("lz4.sql".into());
    }
    for file in &files {
        client
            .batch_execute(&read_fixture(file))
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "applying tests/fixtures/ddl/{file} (server {version}): {}",
                    pg_error(&e)
                )
            });
    }
    // The connection may have changed settings; nothing else to undo.
    files
}

/// A fresh database with the whole fixture in it; returns its name and the
/// fixture files applied.
pub async fn fixture_database(cluster: &Cluster, prefix: &str) -> (String, Vec<String>) {
    let db = cluster
        .fresh_database(prefix)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let client = cluster.connect(&db).await.unwrap_or_else(|e| panic!("{e}"));
    let files = apply_fixture(&client).await;
    (db, files)
}

/// A fresh empty database (plus the fixture roles, which are cluster-wide).
pub async fn empty_database(cluster: &Cluster, prefix: &str) -> String {
    let db = cluster
        .fresh_database(prefix)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let client = cluster.connect(&db).await.unwrap_or_else(|e| panic!("{e}"));
    apply_roles(&client).await;
    db
}

/// An error with the server's message, detail, hint and position.
pub fn pg_error(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut s = format!("{}: {}", db.severity(), db.message());
            if let Some(d) = db.detail() {
                s.push_str(&format!("\nDETAIL: {d}"));
            }
            if let Some(h) = db.hint() {
                s.push_str(&format!("\nHINT: {h}"));
            }
            if let Some(w) = db.where_() {
                s.push_str(&format!("\nWHERE: {w}"));
            }
            if let Some(p) = db.position() {
                s.push_str(&format!("\nPOSITION: {p:?}"));
            }
            s
        }
        None => e.to_string(),
    }
}

// ---------------------------------------------------------------------------
// The catalog oracle
// ---------------------------------------------------------------------------

/// One oracle line and the schema it belongs to ("" for database-level
/// objects), so tests can pick one schema's lines.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Line {
    pub schema: String,
    pub text: String,
}

/// What the oracle compares.
#[derive(Debug, Clone, Copy)]
pub struct OracleOptions {
    /// Compare `last_value`/`is_called` of sequences (the fixture sets some
    /// with setval). A schema-only pg_dump does not carry them.
    pub sequence_state: bool,
}

impl Default for OracleOptions {
    fn default() -> Self {
        OracleOptions {
            sequence_state: true,
        }
    }
}

/// Schemas that belong to the system.
const USER_NS: &str = "{n}.nspname <> 'information_schema' AND {n}.nspname !~ '^pg_'";

fn user_ns(alias: &str) -> String {
    USER_NS.replace("{n}", alias)
}

/// Objects that belong to an extension: direct members and everything that
/// hangs off them (array types, implicit operator families, amop/amproc
/// rows, indexes and constraints of extension tables).
const EXT_CTE: &str = "WITH RECURSIVE extobj(classid, objid) AS (
    SELECT classid, objid FROM pg_depend WHERE deptype = 'e'
  UNION
    SELECT d.classid, d.objid FROM pg_depend d
      JOIN extobj e ON d.refclassid = e.classid AND d.refobjid = e.objid
     WHERE d.deptype IN ('i', 'a')
)";

fn not_ext(catalog: &str, oid_expr: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM extobj x WHERE x.classid = '{catalog}'::regclass AND x.objid = {oid_expr})"
    )
}

/// An ACL as sorted text; `NULL` (built-in default) is spelt out with
/// `acldefault`, so an explicit ACL equal to the default compares equal.
fn acl(col: &str, kind: char, owner: &str) -> String {
    format!(
        "(SELECT string_agg(a::text, ',' ORDER BY a::text) FROM unnest(coalesce({col}, acldefault('{kind}', {owner}))) a)"
    )
}

fn sorted_array(col: &str) -> String {
    format!("(SELECT string_agg(o, ',' ORDER BY o) FROM unnest({col}) o)")
}

fn oneline(expr: &str) -> String {
    format!("replace({expr}, E'\\n', '\\n')")
}

fn queries(v: i32) -> Vec<(&'static str, String)> {
    let mut q: Vec<(&'static str, String)> = Vec::new();
    let ns_n = user_ns("n");

    // Every user object, named by the server: catches kinds the detail
    // queries below do not know about.
    let mut catalogs = vec![
        "pg_class",
        "pg_proc",
        "pg_type",
        "pg_constraint",
        "pg_trigger",
        "pg_rewrite",
        "pg_policy",
        "pg_operator",
        "pg_opclass",
        "pg_opfamily",
        "pg_amop",
        "pg_amproc",
        "pg_cast",
        "pg_conversion",
        "pg_collation",
        "pg_ts_parser",
        "pg_ts_dict",
        "pg_ts_template",
        "pg_ts_config",
        "pg_extension",
        "pg_foreign_data_wrapper",
        "pg_foreign_server",
        "pg_user_mapping",
        "pg_event_trigger",
        "pg_publication",
        "pg_publication_rel",
        "pg_statistic_ext",
        "pg_default_acl",
        "pg_language",
        "pg_transform",
        "pg_am",
        "pg_namespace",
    ];
    if v >= 150000 {
        catalogs.push("pg_publication_namespace");
    }
    let union = catalogs
        .iter()
        .map(|c| {
            format!("SELECT '{c}'::regclass AS classid, oid AS objid FROM {c} WHERE oid >= 16384")
        })
        .chain(std::iter::once(
            "SELECT 'pg_largeobject'::regclass, oid FROM pg_largeobject_metadata".to_string(),
        ))
        .collect::<Vec<_>>()
        .join("\n UNION ALL ");
    q.push((
        "objects",
        format!(
            "{EXT_CTE}, objs AS ({union})
             SELECT coalesce(i.schema,
                    -- objects without a namespace of their own belong to their table's
                    CASE o.classid
                      WHEN 'pg_trigger'::regclass THEN (SELECT n.nspname::text
                          FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE t.oid = o.objid)
                      WHEN 'pg_policy'::regclass THEN (SELECT n.nspname::text
                          FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE p.oid = o.objid)
                      WHEN 'pg_rewrite'::regclass THEN (SELECT n.nspname::text
                          FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace WHERE r.oid = o.objid)
                      WHEN 'pg_default_acl'::regclass THEN (SELECT n.nspname::text
                          FROM pg_default_acl a JOIN pg_namespace n ON n.oid = a.defaclnamespace WHERE a.oid = o.objid)
                    END,
                    CASE WHEN o.classid = 'pg_namespace'::regclass THEN i.identity END, ''),
                    concat_ws(' | ', 'object', i.type, i.identity)
               FROM objs o, LATERAL pg_identify_object(o.classid, o.objid, 0) i
              WHERE NOT EXISTS (SELECT 1 FROM extobj x WHERE x.classid = o.classid AND x.objid = o.objid)
                AND coalesce(i.schema, '') !~ '^pg_(toast|temp)'
                AND NOT (o.classid = 'pg_trigger'::regclass
                         AND (SELECT tgisinternal FROM pg_trigger WHERE oid = o.objid))"
        ),
    ));

    q.push((
        "schemas",
        format!(
            "SELECT n.nspname, concat_ws(' | ', 'schema', quote_ident(n.nspname),
                    'owner=' || pg_get_userbyid(n.nspowner), 'acl=' || {acl})
               FROM pg_namespace n WHERE {ns_n}",
            acl = acl("n.nspacl", 'n', "n.nspowner")
        ),
    ));

    q.push((
        "extensions",
        "SELECT '', concat_ws(' | ', 'extension', quote_ident(e.extname), 'version=' || e.extversion,
                'schema=' || quote_ident(n.nspname), 'owner=' || pg_get_userbyid(e.extowner),
                'relocatable=' || e.extrelocatable)
           FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
          WHERE e.oid >= 16384"
            .to_string(),
    ));

    // Relations. relispopulated is left out on purpose: whether a
    // materialized view holds data is data, not schema, and a schema-only
    // dump never refreshes one.
    q.push((
        "relations",
        format!(
            "{EXT_CTE}
             SELECT n.nspname, concat_ws(' | ', 'relation', c.oid::regclass::text,
                    'kind=' || c.relkind::text, 'persistence=' || c.relpersistence::text,
                    'owner=' || pg_get_userbyid(c.relowner),
                    'acl=' || CASE WHEN c.relkind <> 'c' THEN {acl} END,
                    'options=' || {opts},
                    'toast_options=' || (SELECT {topts} FROM pg_class t WHERE t.oid = c.reltoastrelid),
                    'am=' || (SELECT quote_ident(amname) FROM pg_am WHERE oid = c.relam),
                    'replident=' || c.relreplident::text,
                    'rls=' || c.relrowsecurity || '/' || c.relforcerowsecurity,
                    'of=' || CASE WHEN c.reloftype <> 0 THEN c.reloftype::regtype::text END,
                    'partkey=' || pg_get_partkeydef(c.oid),
                    'bound=' || pg_get_expr(c.relpartbound, c.oid),
                    'parents=' || (SELECT string_agg(i.inhparent::regclass::text, ',' ORDER BY i.inhseqno)
                                     FROM pg_inherits i WHERE i.inhrelid = c.oid),
                    'server=' || (SELECT quote_ident(s.srvname) FROM pg_foreign_table ft
                                    JOIN pg_foreign_server s ON s.oid = ft.ftserver WHERE ft.ftrelid = c.oid),
                    'ftoptions=' || (SELECT {ftopts} FROM pg_foreign_table ft WHERE ft.ftrelid = c.oid),
                    'definition=' || CASE WHEN c.relkind IN ('v', 'm') THEN {viewdef} END)
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S', 'c') AND {ns_n}
                AND {not_ext}",
            acl = acl("c.relacl", 'r', "c.relowner"),
            opts = sorted_array("c.reloptions"),
            topts = sorted_array("t.reloptions"),
            ftopts = sorted_array("ft.ftoptions"),
            viewdef = oneline("pg_get_viewdef(c.oid)"),
            not_ext = not_ext("pg_class", "c.oid"),
        ),
    ));

    // Columns by position among live columns (attnums differ after a
    // restore when the source had dropped columns).
    let compression = if v >= 140000 {
        "'compression=' || nullif(a.attcompression::text, '')"
    } else {
        "NULL"
    };
    q.push((
        "columns",
        format!(
            "{EXT_CTE}
             SELECT n.nspname, concat_ws(' | ', 'column', c.oid::regclass::text,
                    lpad((row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum))::text, 3, '0') || ' ' || quote_ident(a.attname),
                    format_type(a.atttypid, a.atttypmod),
                    CASE WHEN a.attnotnull THEN 'not null' END,
                    'default=' || pg_get_expr(ad.adbin, ad.adrelid),
                    'identity=' || nullif(a.attidentity::text, ''),
                    'generated=' || nullif(a.attgenerated::text, ''),
                    'collation=' || CASE WHEN a.attcollation <> 0 THEN
                        (SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname)
                           FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace
                          WHERE co.oid = a.attcollation) END,
                    'storage=' || a.attstorage::text,
                    {compression},
                    'stattarget=' || CASE WHEN a.attstattarget >= 0 THEN a.attstattarget::text END,
                    'local=' || a.attislocal, 'inhcount=' || a.attinhcount,
                    'options=' || {attopts}, 'fdwoptions=' || {fdwopts},
                    'acl=' || (SELECT string_agg(x::text, ',' ORDER BY x::text) FROM unnest(a.attacl) x))
               FROM pg_attribute a
               JOIN pg_class c ON c.oid = a.attrelid
               JOIN pg_namespace n ON n.oid = c.relnamespace
               LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
              WHERE a.attnum > 0 AND NOT a.attisdropped
                AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'c') AND {ns_n}
                AND {not_ext}",
            // pg_attver is a key some 15.x minor releases keep for
            // themselves (set by the server on every column): not user state.
            attopts = "(SELECT string_agg(o, ',' ORDER BY o) FROM unnest(a.attoptions) o WHERE o NOT LIKE 'pg\\_attver=%')",
            fdwopts = sorted_array("a.attfdwoptions"),
            not_ext = not_ext("pg_class", "c.oid"),
        ),
    ));

    // connoinherit is printed for CHECK and NOT NULL constraints only: on
    // other kinds it means nothing, and it differs between a partition's
    // key made by CREATE TABLE ... PARTITION OF (false) and one made by
    // ALTER TABLE ONLY ... ADD PRIMARY KEY + ATTACH, as pg_dump does (true).
    q.push((
        "constraints",
        format!(
            "{EXT_CTE}
             SELECT n.nspname, concat_ws(' | ', 'constraint',
                    CASE WHEN con.conrelid <> 0 THEN con.conrelid::regclass::text
                         ELSE 'domain ' || con.contypid::regtype::text END,
                    quote_ident(con.conname), 'type=' || con.contype::text,
                    {def},
                    'validated=' || con.convalidated,
                    'noinherit=' || CASE WHEN con.contype IN ('c', 'n') THEN con.connoinherit::text END,
                    'local=' || con.conislocal, 'inhcount=' || con.coninhcount,
                    'index=' || CASE WHEN con.conindid <> 0 THEN con.conindid::regclass::text END,
                    'parent=' || (SELECT p.conrelid::regclass::text || ' ' || quote_ident(p.conname)
                                    FROM pg_constraint p WHERE p.oid = con.conparentid))
               FROM pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace
              WHERE {ns_n} AND {not_ext}",
            def = oneline("pg_get_constraintdef(con.oid)"),
            not_ext = not_ext("pg_constraint", "con.oid"),
        ),
    ));

    q.push((
        "indexes",
        format!(
            "{EXT_CTE}
             SELECT n.nspname, concat_ws(' | ', 'index', c.oid::regclass::text,
                    pg_get_indexdef(i.indexrelid),
                    CASE WHEN i.indisclustered THEN 'clustered' END,
                    CASE WHEN i.indisreplident THEN 'replica identity' END,
                    'valid=' || i.indisvalid,
                    'parent=' || (SELECT string_agg(h.inhparent::regclass::text, ',')
                                    FROM pg_inherits h WHERE h.inhrelid = i.indexrelid),
                    'stattargets=' || (SELECT string_agg(ia.attnum || '=' || ia.attstattarget, ',' ORDER BY ia.attnum)
                                         FROM pg_attribute ia
                                        WHERE ia.attrelid = i.indexrelid AND ia.attstattarget > 0))
               FROM pg_index i
               JOIN pg_class c ON c.oid = i.indexrelid
               JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE {ns_n} AND {not_ext}",
            not_ext = not_ext("pg_class", "c.oid"),
        ),
    ));

    q.push((
        "sequences",
        format!(
            "{EXT_CTE}
             SELECT n.nspname, concat_ws(' | ', 'sequence', c.oid::regclass::text,
                    format_type(s.seqtypid, NULL), 'start=' || s.seqstart,
                    'increment=' || s.seqincrement, 'min=' || s.seqmin, 'max=' || s.seqmax,
                    'cache=' || s.seqcache, 'cycle=' || s.seqcycle,
                    'owned_by=' || (SELECT d.refobjid::regclass::text || '.' || quote_ident(a.attname) || ' (' || d.deptype::text || ')'
                                      FROM pg_depend d
                                      JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                                     WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                                       AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')))
               FROM pg_sequence s
               JOIN pg_class c ON c.oid = s.seqrelid
               JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE {ns_n} AND {not_ext}",
            not_ext = not_ext("pg_class", "c.oid"),
        ),
    ));

    let multirange = if v >= 140000 {
        "'multirange=' || r.rngmultitypid::regtype::text"
    } else {
        "NULL"
    };
    q.push((
        "types",
        format!(
            "{EXT_CTE}
             SELECT n.nspname, concat_ws(' | ', 'type', t.oid::regtype::text, 'typtype=' || t.typtype::text,
                    'owner=' || pg_get_userbyid(t.typowner), 'acl=' || {acl},
                    'labels=' || (SELECT string_agg(quote_literal(e.enumlabel), ',' ORDER BY e.enumsortorder)
                                    FROM pg_enum e WHERE e.enumtypid = t.oid),
                    'base=' || CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END,
                    'notnull=' || CASE WHEN t.typtype = 'd' THEN t.typnotnull::text END,
                    'default=' || t.typdefault,
                    'collation=' || CASE WHEN t.typcollation <> 0 THEN
                        (SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname)
                           FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace
                          WHERE co.oid = t.typcollation) END,
                    'range=' || (SELECT concat_ws(',', 'subtype=' || format_type(r.rngsubtype, NULL),
                                     'opclass=' || (SELECT quote_ident(ocn.nspname) || '.' || quote_ident(oc.opcname)
                                                      FROM pg_opclass oc JOIN pg_namespace ocn ON ocn.oid = oc.opcnamespace
                                                     WHERE oc.oid = r.rngsubopc),
                                     'collation=' || (SELECT quote_ident(co.collname) FROM pg_collation co WHERE co.oid = r.rngcollation),
                                     'canonical=' || CASE WHEN r.rngcanonical::oid <> 0 THEN r.rngcanonical::oid::regprocedure::text END,
                                     'subdiff=' || CASE WHEN r.rngsubdiff::oid <> 0 THEN r.rngsubdiff::oid::regprocedure::text END,
                                     {multirange})
                                   FROM pg_range r WHERE r.rngtypid = t.oid),
                    'io=' || CASE WHEN t.typtype = 'b' THEN concat_ws(',',
                        t.typinput::oid::regprocedure::text, t.typoutput::oid::regprocedure::text,
                        CASE WHEN t.typreceive::oid <> 0 THEN t.typreceive::oid::regprocedure::text END,
                        CASE WHEN t.typsend::oid <> 0 THEN t.typsend::oid::regprocedure::text END,
                        CASE WHEN t.typmodin::oid <> 0 THEN t.typmodin::oid::regprocedure::text END,
                        CASE WHEN t.typmodout::oid <> 0 THEN t.typmodout::oid::regprocedure::text END,
                        CASE WHEN t.typanalyze::oid <> 0 THEN t.typanalyze::oid::regprocedure::text END,
                        'len=' || t.typlen, 'byval=' || t.typbyval, 'align=' || t.typalign::text,
                        'storage=' || t.typstorage::text, 'category=' || t.typcategory::text,
                        'preferred=' || t.typispreferred, 'delim=' || t.typdelim::text,
                        'element=' || CASE WHEN t.typelem <> 0 THEN format_type(t.typelem, NULL) END) END)
               FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
              WHERE {ns_n} AND {not_ext}
                AND (t.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
                AND NOT (t.typelem <> 0 AND t.typlen = -1
                         AND EXISTS (SELECT 1 FROM pg_type el WHERE el.oid = t.typelem AND el.typarray = t.oid))",
            acl = acl("t.typacl", 'T', "t.typowner"),
            not_ext = not_ext("pg_type", "t.oid"),
        ),
    ));

    q.push((
        "functions",
        format!(
            "{EXT_CTE}
             SELECT n.nspname, concat_ws(' | ', 'function', p.oid::regprocedure::text, 'kind=' || p.prokind::text,
                    'owner=' || pg_get_userbyid(p.proowner), 'acl=' || {acl},
                    CASE WHEN p.prokind <> 'a' THEN {def} END)
               FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
              WHERE {ns_n} AND {not_ext}",
            acl = acl("p.proacl", 'f', "p.proowner"),
            def = oneline("pg_get_functiondef(p.oid)"),
            not_ext = not_ext("pg_proc", "p.oid"),
        ),
    ));

    let fn_or_null =
        |col: &str| format!("CASE WHEN {col}::oid <> 0 THEN {col}::oid::regprocedure::text END");
    q.push((
        "aggregates",
        format!(
            "{EXT_CTE}
             SELECT n.nspname, concat_ws(' | ', 'aggregate', p.oid::regprocedure::text,
                    'kind=' || a.aggkind::text, 'direct_args=' || a.aggnumdirectargs,
                    'args=' || pg_get_function_arguments(p.oid), 'result=' || pg_get_function_result(p.oid),
                    'sfunc=' || {sfunc}, 'stype=' || format_type(a.aggtranstype, NULL),
                    'sspace=' || a.aggtransspace, 'finalfunc=' || {ffunc},
                    'finalextra=' || a.aggfinalextra, 'finalmodify=' || a.aggfinalmodify::text,
                    'combine=' || {combine}, 'serial=' || {serial}, 'deserial=' || {deserial},
                    'msfunc=' || {msfunc}, 'minvfunc=' || {minvfunc}, 'mfinalfunc=' || {mffunc},
                    'mfinalextra=' || a.aggmfinalextra, 'mfinalmodify=' || a.aggmfinalmodify::text,
                    'mstype=' || CASE WHEN a.aggmtranstype <> 0 THEN format_type(a.aggmtranstype, NULL) END,
                    'msspace=' || a.aggmtransspace,
                    'sortop=' || CASE WHEN a.aggsortop <> 0 THEN a.aggsortop::regoperator::text END,
                    'initcond=' || a.agginitval, 'minitcond=' || a.aggminitval,
                    'parallel=' || p.proparallel::text, 'strict=' || p.proisstrict)
               FROM pg_aggregate a
               JOIN pg_proc p ON p.oid = a.aggfnoid
               JOIN pg_namespace n ON n.oid = p.pronamespace
              WHERE {ns_n} AND {not_ext}",
            sfunc = fn_or_null("a.aggtransfn"),
            ffunc = fn_or_null("a.aggfinalfn"),
            combine = fn_or_null("a.aggcombinefn"),
            serial = fn_or_null("a.aggserialfn"),
            deserial = fn_or_null("a.aggdeserialfn"),
            msfunc = fn_or_null("a.aggmtransfn"),
            minvfunc = fn_or_null("a.aggminvtransfn"),
            mffunc = fn_or_null("a.aggmfinalfn"),
            not_ext = not_ext("pg_proc", "p.oid"),
        ),
    ));

    q.push((
        "operators",
        format!(
            "{EXT_CTE}
             SELECT n.nspname, concat_ws(' | ', 'operator', o.oid::regoperator::text,
                    'result=' || format_type(o.oprresult, NULL),
                    'code=' || {code},
                    'commutator=' || CASE WHEN o.oprcom <> 0 THEN o.oprcom::regoperator::text END,
                    'negator=' || CASE WHEN o.oprnegate <> 0 THEN o.oprnegate::regoperator::text END,
                    'restrict=' || {rest}, 'join=' || {join},
                    'merges=' || o.oprcanmerge, 'hashes=' || o.oprcanhash,
                    'owner=' || pg_get_userbyid(o.oprowner))
               FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace
              WHERE {ns_n} AND {not_ext}",
            code = fn_or_null("o.oprcode"),
            rest = fn_or_null("o.oprrest"),
            join = fn_or_null("o.oprjoin"),
            not_ext = not_ext("pg_operator", "o.oid"),
        ),
    ));

    q.push((
        "opfamilies",
        format!(
            "{EXT_CTE}
             SELECT n.nspname, concat_ws(' | ', 'opfamily',
                    (pg_identify_object('pg_opfamily'::regclass, f.oid, 0)).identity,
                    'owner=' || pg_get_userbyid(f.opfowner))
               FROM pg_opfamily f JOIN pg_namespace n ON n.oid = f.opfnamespace
              WHERE {ns_n} AND {not_ext}",
            not_ext = not_ext("pg_opfamily", "f.oid"),
        ),
    ));
    q.push((
        "opclasses",
        format!(
            "{EXT_CTE}
             SELECT n.nspname, concat_ws(' | ', 'opclass',
                    (pg_identify_object('pg_opclass'::regclass, c.oid, 0)).identity,
                    'family=' || (pg_identify_object('pg_opfamily'::regclass, c.opcfamily, 0)).identity,
                    'type=' || format_type(c.opcintype, NULL), 'default=' || c.opcdefault,
                    'keytype=' || CASE WHEN c.opckeytype <> 0 THEN format_type(c.opckeytype, NULL) END,
                    'owner=' || pg_get_userbyid(c.opcowner))
               FROM pg_opclass c JOIN pg_namespace n ON n.oid = c.opcnamespace
              WHERE {ns_n} AND {not_ext}",
            not_ext = not_ext("pg_opclass", "c.oid"),
        ),
    ));
    for (catalog, label, extra) in [
        (
            "pg_amop",
            "amop",
            "'purpose=' || m.amoppurpose::text, 'sortfamily=' || CASE WHEN m.amopsortfamily <> 0 THEN (pg_identify_object('pg_opfamily'::regclass, m.amopsortfamily, 0)).identity END",
        ),
        ("pg_amproc", "amproc", "NULL"),
    ] {
        let fam = if catalog == "pg_amop" { "m.amopfamily" } else { "m.amprocfamily" };
        q.push((
            label,
            format!(
                "{EXT_CTE}
                 SELECT n.nspname, concat_ws(' | ', '{label}', pg_describe_object('{catalog}'::regclass, m.oid, 0),
                        {extra},
                        'member_of=' || (SELECT string_agg(d.refclassid::regclass::text || ':' || d.deptype::text, ',' ORDER BY 1)
                                           FROM pg_depend d
                                          WHERE d.classid = '{catalog}'::regclass AND d.objid = m.oid
                                            AND d.refclassid IN ('pg_opclass'::regclass, 'pg_opfamily'::regclass)))
                   FROM {catalog} m
                   JOIN pg_opfamily f ON f.oid = {fam}
                   JOIN pg_namespace n ON n.oid = f.opfnamespace
                  WHERE {ns_n} AND {not_ext}",
                not_ext = not_ext(catalog, "m.oid"),
            ),
        ));
    }

    q.push((
        "casts",
        format!(
            "{EXT_CTE}
             SELECT '', concat_ws(' | ', 'cast',
                    format_type(c.castsource, NULL) || ' AS ' || format_type(c.casttarget, NULL),
                    'function=' || CASE WHEN c.castfunc <> 0 THEN c.castfunc::regprocedure::text END,
                    'context=' || c.castcontext::text, 'method=' || c.castmethod::text)
               FROM pg_cast c WHERE c.oid >= 16384 AND {not_ext}",
            not_ext = not_ext("pg_cast", "c.oid"),
        ),
    ));

    q.push((
        "conversions",
        format!(
            "{EXT_CTE}
             SELECT n.nspname, concat_ws(' | ', 'conversion', quote_ident(n.nspname) || '.' || quote_ident(c.conname),
                    pg_encoding_to_char(c.conforencoding) || ' TO ' || pg_encoding_to_char(c.contoencoding),
                    'function=' || c.conproc::oid::regprocedure::text, 'default=' || c.condefault,
                    'owner=' || pg_get_userbyid(c.conowner))
               FROM pg_conversion c JOIN pg_namespace n ON n.oid = c.connamespace
              WHERE {ns_n} AND {not_ext}",
            not_ext = not_ext("pg_conversion", "c.oid"),
        ),
    ));

    let coll_locale = if v >= 170000 {
        "'locale=' || c.colllocale, 'icu_rules=' || c.collicurules"
    } else if v >= 160000 {
        "'locale=' || c.colliculocale, 'icu_rules=' || c.collicurules"
    } else if v >= 150000 {
        "'locale=' || c.colliculocale"
    } else {
        "NULL"
    };
    q.push((
        "collations",
        format!(
            "{EXT_CTE}
             SELECT n.nspname, concat_ws(' | ', 'collation', quote_ident(n.nspname) || '.' || quote_ident(c.collname),
                    'provider=' || c.collprovider::text, 'collate=' || c.collcollate, 'ctype=' || c.collctype,
                    {coll_locale}, 'deterministic=' || c.collisdeterministic,
                    'encoding=' || c.collencoding, 'owner=' || pg_get_userbyid(c.collowner))
               FROM pg_collation c JOIN pg_namespace n ON n.oid = c.collnamespace
              WHERE {ns_n} AND {not_ext}",
            not_ext = not_ext("pg_collation", "c.oid"),
        ),
    ));

    q.push((
        "ts_parsers",
        format!(
            "{EXT_CTE}
             SELECT n.nspname, concat_ws(' | ', 'ts_parser', quote_ident(n.nspname) || '.' || quote_ident(p.prsname),
                    'start=' || p.prsstart::oid::regprocedure::text, 'token=' || p.prstoken::oid::regprocedure::text,
                    'end=' || p.prsend::oid::regprocedure::text,
                    'headline=' || {headline}, 'lextype=' || p.prslextype::oid::regprocedure::text)
               FROM pg_ts_parser p JOIN pg_namespace n ON n.oid = p.prsnamespace
              WHERE {ns_n} AND {not_ext}",
            headline = fn_or_null("p.prsheadline"),
            not_ext = not_ext("pg_ts_parser", "p.oid"),
        ),
    ));
    q.push((
        "ts_templates",
        format!(
            "{EXT_CTE}
             SELECT n.nspname, concat_ws(' | ', 'ts_template', quote_ident(n.nspname) || '.' || quote_ident(t.tmplname),
                    'init=' || {init}, 'lexize=' || t.tmpllexize::oid::regprocedure::text)
               FROM pg_ts_template t JOIN pg_namespace n ON n.oid = t.tmplnamespace
              WHERE {ns_n} AND {not_ext}",
            init = fn_or_null("t.tmplinit"),
            not_ext = not_ext("pg_ts_template", "t.oid"),
        ),
    ));
    q.push((
        "ts_dicts",
        format!(
            "{EXT_CTE}
             SELECT n.nspname, concat_ws(' | ', 'ts_dictionary', quote_ident(n.nspname) || '.' || quote_ident(d.dictname),
                    'template=' || {tmpl}, 'options=' || d.dictinitoption,
                    'owner=' || pg_get_userbyid(d.dictowner))
               FROM pg_ts_dict d JOIN pg_namespace n ON n.oid = d.dictnamespace
              WHERE {ns_n} AND {not_ext}",
            tmpl = "(SELECT quote_ident(tn.nspname) || '.' || quote_ident(t.tmplname) FROM pg_ts_template t JOIN pg_namespace tn ON tn.oid = t.tmplnamespace WHERE t.oid = d.dicttemplate)",
            not_ext = not_ext("pg_ts_dict", "d.oid"),
        ),
    ));
    q.push((
        "ts_configs",
        format!(
            "{EXT_CTE}
             SELECT n.nspname, concat_ws(' | ', 'ts_configuration', quote_ident(n.nspname) || '.' || quote_ident(c.cfgname),
                    'parser=' || (SELECT quote_ident(pn.nspname) || '.' || quote_ident(p.prsname)
                                    FROM pg_ts_parser p JOIN pg_namespace pn ON pn.oid = p.prsnamespace
                                   WHERE p.oid = c.cfgparser),
                    'owner=' || pg_get_userbyid(c.cfgowner),
                    'mapping=' || (SELECT string_agg(t.alias || ':' || m.mapdict::regdictionary::text, ',' ORDER BY m.maptokentype, m.mapseqno)
                                     FROM pg_ts_config_map m JOIN ts_token_type(c.cfgparser) t ON t.tokid = m.maptokentype
                                    WHERE m.mapcfg = c.oid))
               FROM pg_ts_config c JOIN pg_namespace n ON n.oid = c.cfgnamespace
              WHERE {ns_n} AND {not_ext}",
            not_ext = not_ext("pg_ts_config", "c.oid"),
        ),
    ));

    q.push((
        "triggers",
        format!(
            "{EXT_CTE}
             SELECT n.nspname, concat_ws(' | ', 'trigger', t.tgrelid::regclass::text || ' ' || quote_ident(t.tgname),
                    {def}, 'enabled=' || t.tgenabled::text,
                    'parent=' || (SELECT p.tgrelid::regclass::text || ' ' || quote_ident(p.tgname)
                                    FROM pg_trigger p WHERE p.oid = t.tgparentid))
               FROM pg_trigger t
               JOIN pg_class c ON c.oid = t.tgrelid
               JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE NOT t.tgisinternal AND {ns_n} AND {not_ext}",
            def = oneline("pg_get_triggerdef(t.oid)"),
            not_ext = not_ext("pg_trigger", "t.oid"),
        ),
    ));

    q.push((
        "rules",
        format!(
            "{EXT_CTE}
             SELECT n.nspname, concat_ws(' | ', 'rule', r.ev_class::regclass::text || ' ' || quote_ident(r.rulename),
                    {def}, 'enabled=' || r.ev_enabled::text)
               FROM pg_rewrite r
               JOIN pg_class c ON c.oid = r.ev_class
               JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE r.rulename <> '_RETURN' AND {ns_n} AND {not_ext}",
            def = oneline("pg_get_ruledef(r.oid)"),
            not_ext = not_ext("pg_rewrite", "r.oid"),
        ),
    ));

    q.push((
        "policies",
        "SELECT n.nspname, concat_ws(' | ', 'policy', p.polrelid::regclass::text || ' ' || quote_ident(p.polname),
                'command=' || p.polcmd::text, 'permissive=' || p.polpermissive,
                'roles=' || (SELECT string_agg(CASE WHEN r = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(r)) END, ',' ORDER BY 1)
                               FROM unnest(p.polroles) r),
                'using=' || pg_get_expr(p.polqual, p.polrelid),
                'check=' || pg_get_expr(p.polwithcheck, p.polrelid))
           FROM pg_policy p
           JOIN pg_class c ON c.oid = p.polrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace"
            .to_string(),
    ));

    let stat_target = if v >= 170000 {
        "'target=' || coalesce(s.stxstattarget::text, 'default')"
    } else {
        "'target=' || CASE WHEN s.stxstattarget < 0 THEN 'default' ELSE s.stxstattarget::text END"
    };
    q.push((
        "statistics",
        format!(
            "{EXT_CTE}
             SELECT n.nspname, concat_ws(' | ', 'statistics', quote_ident(n.nspname) || '.' || quote_ident(s.stxname),
                    pg_get_statisticsobjdef(s.oid), {stat_target},
                    'owner=' || pg_get_userbyid(s.stxowner))
               FROM pg_statistic_ext s JOIN pg_namespace n ON n.oid = s.stxnamespace
              WHERE {ns_n} AND {not_ext}",
            not_ext = not_ext("pg_statistic_ext", "s.oid"),
        ),
    ));

    q.push((
        "fdws",
        format!(
            "{EXT_CTE}
             SELECT '', concat_ws(' | ', 'foreign_data_wrapper', quote_ident(w.fdwname),
                    'handler=' || {handler}, 'validator=' || {validator},
                    'options=' || {opts}, 'owner=' || pg_get_userbyid(w.fdwowner), 'acl=' || {acl})
               FROM pg_foreign_data_wrapper w WHERE {not_ext}",
            handler = fn_or_null("w.fdwhandler"),
            validator = fn_or_null("w.fdwvalidator"),
            opts = sorted_array("w.fdwoptions"),
            acl = acl("w.fdwacl", 'F', "w.fdwowner"),
            not_ext = not_ext("pg_foreign_data_wrapper", "w.oid"),
        ),
    ));
    q.push((
        "servers",
        format!(
            "{EXT_CTE}
             SELECT '', concat_ws(' | ', 'server', quote_ident(s.srvname),
                    'fdw=' || (SELECT quote_ident(fdwname) FROM pg_foreign_data_wrapper WHERE oid = s.srvfdw),
                    'type=' || s.srvtype, 'version=' || s.srvversion, 'options=' || {opts},
                    'owner=' || pg_get_userbyid(s.srvowner), 'acl=' || {acl})
               FROM pg_foreign_server s WHERE {not_ext}",
            opts = sorted_array("s.srvoptions"),
            acl = acl("s.srvacl", 'S', "s.srvowner"),
            not_ext = not_ext("pg_foreign_server", "s.oid"),
        ),
    ));
    // User mappings: the `password` option is left out. pgkeep must not put
    // secrets into a dump (tests check the script for the password itself),
    // so the restored mapping legitimately lacks it.
    q.push((
        "user_mappings",
        "SELECT '', concat_ws(' | ', 'user_mapping',
                CASE WHEN u.umuser = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(u.umuser)) END
                    || ' SERVER ' || quote_ident(s.srvname),
                'options=' || (SELECT string_agg(o, ',' ORDER BY o) FROM unnest(u.umoptions) o
                                WHERE o NOT LIKE 'password=%'))
           FROM pg_user_mapping u JOIN pg_foreign_server s ON s.oid = u.umserver"
            .to_string(),
    ));

    q.push((
        "event_triggers",
        "SELECT '', concat_ws(' | ', 'event_trigger', quote_ident(e.evtname), 'event=' || e.evtevent,
                'function=' || e.evtfoid::regprocedure::text, 'enabled=' || e.evtenabled::text,
                'tags=' || array_to_string(e.evttags, ','), 'owner=' || pg_get_userbyid(e.evtowner))
           FROM pg_event_trigger e"
            .to_string(),
    ));

    // Every flag column of pg_publication, whatever the version has.
    q.push((
        "publications",
        "SELECT '', concat_ws(' | ', 'publication', quote_ident(p.pubname),
                'owner=' || pg_get_userbyid(p.pubowner),
                (to_jsonb(p) - 'oid' - 'pubowner' - 'pubname')::text)
           FROM pg_publication p"
            .to_string(),
    ));
    let pubrel_extra = if v >= 150000 {
        "'where=' || pg_get_expr(r.prqual, r.prrelid),
         'columns=' || (SELECT string_agg(quote_ident(a.attname), ',' ORDER BY a.attnum)
                          FROM pg_attribute a WHERE a.attrelid = r.prrelid AND a.attnum = ANY (r.prattrs))"
    } else {
        "NULL"
    };
    q.push((
        "publication_rels",
        format!(
            "SELECT n.nspname, concat_ws(' | ', 'publication_table', quote_ident(p.pubname),
                    r.prrelid::regclass::text, {pubrel_extra})
               FROM pg_publication_rel r
               JOIN pg_publication p ON p.oid = r.prpubid
               JOIN pg_class c ON c.oid = r.prrelid
               JOIN pg_namespace n ON n.oid = c.relnamespace"
        ),
    ));
    if v >= 150000 {
        q.push((
            "publication_schemas",
            "SELECT n.nspname, concat_ws(' | ', 'publication_schema', quote_ident(p.pubname), quote_ident(n.nspname))
               FROM pg_publication_namespace pn
               JOIN pg_publication p ON p.oid = pn.pnpubid
               JOIN pg_namespace n ON n.oid = pn.pnnspid"
                .to_string(),
        ));
    }

    q.push((
        "large_objects",
        format!(
            "SELECT '', concat_ws(' | ', 'large_object', m.oid::text,
                    'owner=' || pg_get_userbyid(m.lomowner), 'acl=' || {acl})
               FROM pg_largeobject_metadata m",
            acl = acl("m.lomacl", 'L', "m.lomowner")
        ),
    ));

    q.push((
        "default_acls",
        "SELECT coalesce(n.nspname, ''), concat_ws(' | ', 'default_acl',
                'role=' || quote_ident(pg_get_userbyid(d.defaclrole)),
                'schema=' || coalesce(quote_ident(n.nspname), '-'),
                'type=' || d.defaclobjtype::text,
                'acl=' || (SELECT string_agg(a::text, ',' ORDER BY a::text) FROM unnest(d.defaclacl) a))
           FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace"
            .to_string(),
    ));

    q.push((
        "access_methods",
        "SELECT '', concat_ws(' | ', 'access_method', quote_ident(a.amname), 'type=' || a.amtype::text,
                'handler=' || a.amhandler::oid::regprocedure::text)
           FROM pg_am a WHERE a.oid >= 16384"
            .to_string(),
    ));

    // Procedural languages, built-in and extension ones too (plpgsql): a
    // restore must end with the same handlers, trust, owners and ACLs.
    q.push((
        "languages",
        format!(
            "SELECT '', concat_ws(' | ', 'language', quote_ident(l.lanname), 'trusted=' || l.lanpltrusted,
                    'handler=' || l.lanplcallfoid::regprocedure::text,
                    'inline=' || nullif(l.laninline, 0)::regprocedure::text,
                    'validator=' || nullif(l.lanvalidator, 0)::regprocedure::text,
                    'owner=' || pg_get_userbyid(l.lanowner), 'acl=' || {acl})
               FROM pg_language l WHERE l.lanispl",
            acl = acl("l.lanacl", 'l', "l.lanowner"),
        ),
    ));

    // Subscriptions of this database (pg_subscription is shared by the
    // cluster): every column but the identity ones, whatever the version
    // has. (Their comments are in pg_description, like other objects'.)
    q.push((
        "subscriptions",
        "SELECT '', concat_ws(' | ', 'subscription', quote_ident(s.subname),
                'owner=' || pg_get_userbyid(s.subowner),
                (to_jsonb(s) - 'oid' - 'subdbid' - 'subowner' - 'subname')::text)
           FROM pg_subscription s
          WHERE s.subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
            .to_string(),
    ));

    // Column privileges on system catalogs, and on system columns
    // (tableoid, ctid, ...) of any table: the relations and columns
    // queries see user columns only.
    q.push((
        "system_column_acls",
        "SELECT n.nspname, concat_ws(' | ', 'system_column_acl', c.oid::regclass::text || '.' || quote_ident(a.attname),
                'acl=' || (SELECT string_agg(x::text, ',' ORDER BY x::text) FROM unnest(a.attacl) x))
           FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE a.attacl IS NOT NULL AND NOT a.attisdropped
            AND (a.attnum < 0 OR n.nspname IN ('pg_catalog', 'information_schema'))"
            .to_string(),
    ));

    // Privileges changed on extension members (pg_dump compares them with
    // pg_init_privs; a restore must end with the same ACLs).
    q.push((
        "extension_member_acls",
        format!(
            "{EXT_CTE}
             SELECT n.nspname, concat_ws(' | ', 'extension_member_acl', 'function ' || p.oid::regprocedure::text,
                    'acl=' || {pacl})
               FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
              WHERE p.proacl IS NOT NULL AND NOT {not_ext_p}
             UNION ALL
             SELECT n.nspname, concat_ws(' | ', 'extension_member_acl', 'relation ' || c.oid::regclass::text,
                    'acl=' || {cacl})
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relacl IS NOT NULL AND NOT {not_ext_c}",
            pacl = acl("p.proacl", 'f', "p.proowner"),
            cacl = acl("c.relacl", 'r', "c.relowner"),
            not_ext_p = not_ext("pg_proc", "p.oid"),
            not_ext_c = not_ext("pg_class", "c.oid"),
        ),
    ));

    // Comments on everything, named by the server. Schemas are included
    // whatever their OID (the public schema is pre-made).
    q.push((
        "comments",
        format!(
            "{EXT_CTE}
             SELECT coalesce(i.schema, CASE WHEN d.classoid = 'pg_namespace'::regclass THEN i.identity END, ''),
                    concat_ws(' | ', 'comment', i.type || ' ' || i.identity, {text})
               FROM pg_description d, LATERAL pg_identify_object(d.classoid, d.objoid, d.objsubid) i
              WHERE (d.objoid >= 16384
                     OR (d.classoid = 'pg_namespace'::regclass
                         AND d.objoid IN (SELECT oid FROM pg_namespace n WHERE {ns_n})))
                AND coalesce(i.schema, '') !~ '^pg_(toast|temp)'
                AND NOT EXISTS (SELECT 1 FROM extobj x WHERE x.classid = d.classoid AND x.objid = d.objoid)",
            text = oneline("d.description"),
        ),
    ));

    q
}

/// Every user object of the database `client` is connected to, as sorted
/// lines. The session's search_path is set to pg_catalog only, so every
/// name the server prints is schema-qualified.
pub async fn catalog_lines(client: &Client, opts: OracleOptions) -> Vec<Line> {
    let v = server_version_num(client).await;
    client
        .batch_execute(
            "SET search_path = pg_catalog; SET extra_float_digits = 3; SET DateStyle = ISO",
        )
        .await
        .expect("set oracle session settings");
    let mut lines = Vec::new();
    for (name, sql) in queries(v) {
        let rows = client
            .query(sql.as_str(), &[])
            .await
            .unwrap_or_else(|e| panic!("oracle query {name}: {}\n{sql}", pg_error(&e)));
        for row in rows {
            let schema: Option<String> = row.get(0);
            let text: Option<String> = row.get(1);
            lines.push(Line {
                schema: schema.unwrap_or_default(),
                text: text.unwrap_or_else(|| format!("{name}: NULL line")),
            });
        }
    }
    if opts.sequence_state {
        let rows = client
            .query(
                &format!(
                    "{EXT_CTE}
                     SELECT n.nspname, c.oid::regclass::text FROM pg_class c
                       JOIN pg_namespace n ON n.oid = c.relnamespace
                      WHERE c.relkind = 'S' AND {ns} AND {not_ext}",
                    ns = user_ns("n"),
                    not_ext = not_ext("pg_class", "c.oid")
                ),
                &[],
            )
            .await
            .expect("list sequences");
        for row in rows {
            let schema: String = row.get(0);
            let name: String = row.get(1);
            let state = client
                .query_one(
                    &format!("SELECT last_value::text, is_called FROM {name}"),
                    &[],
                )
                .await
                .unwrap_or_else(|e| panic!("read sequence {name}: {}", pg_error(&e)));
            let last: String = state.get(0);
            let called: bool = state.get(1);
            lines.push(Line {
                schema,
                text: format!("sequence_state | {name} | last_value={last} | is_called={called}"),
            });
        }
    }
    lines.sort();
    lines.sort_by(|a, b| a.text.cmp(&b.text));
    lines
}

/// Connect to `db` and take the oracle's lines. With PGKEEP_DDL_ORACLE_OUT
/// set to a directory, the lines are also written to `<dir>/<db>.txt`.
pub async fn catalog_of(cluster: &Cluster, db: &str, opts: OracleOptions) -> Vec<Line> {
    let client = cluster.connect(db).await.unwrap_or_else(|e| panic!("{e}"));
    let lines = catalog_lines(&client, opts).await;
    if let Some(dir) = std::env::var_os("PGKEEP_DDL_ORACLE_OUT").filter(|v| !v.is_empty()) {
        let dir = PathBuf::from(dir);
        let _ = std::fs::create_dir_all(&dir);
        let text: String = lines.iter().map(|l| format!("{}\n", l.text)).collect();
        let _ = std::fs::write(dir.join(format!("{db}.txt")), text);
    }
    lines
}

pub fn texts(lines: &[Line]) -> Vec<String> {
    let mut v: Vec<String> = lines.iter().map(|l| l.text.clone()).collect();
    v.sort();
    v
}

/// Lines of one schema (objects in it, and their columns, constraints,
/// indexes, triggers, policies, comments, default privileges ...).
pub fn schema_lines(lines: &[Line], schema: &str) -> Vec<String> {
    let mut v: Vec<String> = lines
        .iter()
        .filter(|l| l.schema == schema)
        .map(|l| l.text.clone())
        .collect();
    v.sort();
    v
}

/// Drop what `--no-owner --no-acl` leaves out: `owner=` and `acl=` fields,
/// default privileges, and changed privileges of extension members.
pub fn without_owners_and_acls(lines: &[String]) -> Vec<String> {
    let mut v: Vec<String> = lines
        .iter()
        .filter(|l| {
            !l.starts_with("default_acl |")
                && !l.starts_with("extension_member_acl |")
                && !l.starts_with("system_column_acl |")
                && !l.starts_with("object | default acl |")
        })
        .map(|l| {
            l.split(" | ")
                .filter(|f| !f.starts_with("owner=") && !f.starts_with("acl="))
                .collect::<Vec<_>>()
                .join(" | ")
        })
        .collect();
    v.sort();
    v
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

/// Replace the identifier `from` by `to` wherever it stands as a whole
/// word (not inside a longer identifier). Used to compare a schema dumped
/// with `--target-schema` against the original: both are plain lower-case
/// names that need no quoting, so the spelling is the same in every place
/// the server prints them (qualified names, regclass/regtype text, view
/// and function bodies, ACL-free identities).
pub fn rename_word(text: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut prev: Option<char> = None;
    while let Some(pos) = rest.find(from) {
        let before = rest[..pos].chars().next_back().or(prev);
        let after = rest[pos + from.len()..].chars().next();
        out.push_str(&rest[..pos]);
        if before.is_some_and(is_ident_char) || after.is_some_and(is_ident_char) {
            out.push_str(from);
        } else {
            out.push_str(to);
        }
        prev = from.chars().next_back();
        rest = &rest[pos + from.len()..];
    }
    out.push_str(rest);
    out
}

/// Compare two line multisets; `None` when equal, else a readable report:
/// lines only on the left (`-`) and only on the right (`+`), grouped by
/// object kind, at most `MAX` of them.
pub fn diff_lines(
    left_name: &str,
    left: &[String],
    right_name: &str,
    right: &[String],
) -> Option<String> {
    const MAX: usize = 200;
    let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
    for l in left {
        *counts.entry(l.as_str()).or_default() += 1;
    }
    for r in right {
        *counts.entry(r.as_str()).or_default() -= 1;
    }
    let mut diffs: Vec<(char, &str)> = Vec::new();
    for (line, n) in &counts {
        for _ in 0..n.abs() {
            diffs.push((if *n > 0 { '-' } else { '+' }, line));
        }
    }
    if diffs.is_empty() {
        return None;
    }
    // Sort by the line text so that a changed object shows its old (-)
    // and new (+) line next to each other.
    diffs.sort_by(|a, b| a.1.cmp(b.1).then(a.0.cmp(&b.0)));
    let mut report = format!(
        "{} differing line(s): '-' only in {left_name} ({} lines), '+' only in {right_name} ({} lines)\n",
        diffs.len(),
        left.len(),
        right.len()
    );
    for (sign, line) in diffs.iter().take(MAX) {
        report.push_str(&format!("{sign} {line}\n"));
    }
    if diffs.len() > MAX {
        report.push_str(&format!("... and {} more\n", diffs.len() - MAX));
    }
    Some(report)
}

/// Panic with the diff when the two line sets differ.
pub fn assert_same(
    what: &str,
    left_name: &str,
    left: &[String],
    right_name: &str,
    right: &[String],
) {
    if let Some(report) = diff_lines(left_name, left, right_name, right) {
        panic!("{what}: the catalogs differ\n{report}");
    }
}

// ---------------------------------------------------------------------------
// pgkeep ddl
// ---------------------------------------------------------------------------

/// Run `pgkeep ddl --db CONNINFO ARGS...`; returns (stdout, stderr) and
/// panics with both when the exit status is not 0.
pub fn pgkeep_ddl(conninfo: &str, args: &[&str]) -> (String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pgkeep"))
        .arg("ddl")
        .arg("--db")
        .arg(conninfo)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run pgkeep ddl");
    let stdout = String::from_utf8(out.stdout).expect("pgkeep ddl prints UTF-8");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        panic!(
            "pgkeep ddl {args:?} failed ({}):\n--- stderr ---\n{stderr}\n--- stdout (first 2000 bytes) ---\n{}",
            out.status,
            stdout.chars().take(2000).collect::<String>()
        );
    }
    (stdout, stderr)
}

/// Apply a script with one simple-query batch, the way the contract says it
/// must work; on failure, show the server's error and where the script is.
pub async fn apply_script(cluster: &Cluster, db: &str, script: &str, what: &str) {
    let client = cluster.connect(db).await.unwrap_or_else(|e| panic!("{e}"));
    if let Err(e) = client.batch_execute(script).await {
        let dir = std::env::temp_dir().join("pgkeep-ddl-failures");
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join(format!("{db}.sql"));
        let _ = std::fs::write(&path, script);
        panic!(
            "applying {what} to {db} failed: {}\n(the script is saved at {})",
            pg_error(&e),
            path.display()
        );
    }
}

// ---------------------------------------------------------------------------
// The pg_dump oracle
// ---------------------------------------------------------------------------

fn tool_major(path: &Path) -> Option<u32> {
    let out = Command::new(path)
        .arg("--version")
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let version = text
        .split("(PostgreSQL)")
        .nth(1)?
        .split_whitespace()
        .next()?;
    version
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect::<String>()
        .parse()
        .ok()
}

/// A pg_dump that can dump `cluster`: the cluster's own bindir first, then
/// Debian's /usr/lib/postgresql/*/bin, the highest major first. pg_dump
/// refuses servers newer than itself, so its major must be >= the server's.
pub fn find_pg_dump(cluster: &Cluster) -> Option<(PathBuf, u32)> {
    let mut candidates = vec![cluster.bindir().join("pg_dump")];
    if let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") {
        let mut dirs: Vec<(u32, PathBuf)> = entries
            .flatten()
            .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path())))
            .collect();
        dirs.sort_by_key(|d| std::cmp::Reverse(d.0));
        candidates.extend(dirs.into_iter().map(|(_, d)| d.join("bin/pg_dump")));
    }
    let server = cluster.server_major();
    candidates
        .into_iter()
        .filter(|p| p.is_file())
        .find_map(|p| tool_major(&p).filter(|m| *m >= server).map(|m| (p, m)))
}

/// `pg_dump --schema-only` of `db`, as lines, normalised:
/// * `\restrict KEY` / `\unrestrict KEY` lines (pg_dump 13.22+, 14.19+,
///   15.14+, 16.10+, 17.6+, 18+) carry a random key per run: removed;
/// * a user mapping's `password '...'` option is removed, because pgkeep
///   deliberately does not dump it (the catalog oracle ignores it too).
///
/// Nothing else: both databases are on the same server and dumped by the
/// same pg_dump, so version headers are equal, and a dump without
/// `--create` never names its database.
pub fn pg_dump_lines(pg_dump: &Path, cluster: &Cluster, db: &str) -> Vec<String> {
    let out = Command::new(pg_dump)
        .args(["--schema-only", "--no-password", "-d"])
        .arg(cluster.conninfo(db))
        .env("LC_ALL", "C")
        .env("PGOPTIONS", "")
        .stdin(Stdio::null())
        .output()
        .expect("run pg_dump");
    if !out.status.success() {
        panic!(
            "pg_dump --schema-only of {db} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    normalize_pg_dump(&String::from_utf8(out.stdout).expect("pg_dump output is UTF-8"))
}

pub fn normalize_pg_dump(text: &str) -> Vec<String> {
    let lines: Vec<String> = text
        .lines()
        .filter(|l| !l.starts_with("\\restrict ") && !l.starts_with("\\unrestrict "))
        .map(str::to_string)
        .collect();
    strip_user_mapping_passwords(lines)
}

/// pg_dump prints a user mapping's options one per line:
/// ```text
/// CREATE USER MAPPING FOR ddl_app SERVER ddl_srv OPTIONS (
///     password 'hunter2-secret',
///     "user" 'remote_app'
/// );
/// ```
/// Drop the `password` line; fix the comma of the line before when it was
/// the last option; collapse `OPTIONS ( )` when it was the only one.
fn strip_user_mapping_passwords(lines: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    let mut in_mapping = false;
    for line in lines {
        if line.starts_with("CREATE USER MAPPING ") && line.ends_with(" OPTIONS (") {
            in_mapping = true;
            out.push(line);
            continue;
        }
        if in_mapping {
            if line == ");" {
                in_mapping = false;
                let last = out.last_mut().expect("mapping header");
                if last.starts_with("CREATE USER MAPPING ") {
                    // Every option was a password.
                    *last = format!("{};", last.trim_end_matches(" OPTIONS ("));
                    continue;
                }
                if last.ends_with(',') {
                    last.pop();
                }
                out.push(line);
                continue;
            }
            if line.trim_start().starts_with("password '") {
                continue;
            }
        }
        out.push(line);
    }
    out
}

/// Compare the pg_dump oracle of two databases; panics with the diff.
pub fn assert_same_pg_dump(pg_dump: &Path, cluster: &Cluster, source: &str, target: &str) {
    let a = pg_dump_lines(pg_dump, cluster, source);
    let b = pg_dump_lines(pg_dump, cluster, target);
    if a != b {
        let report = unified_diff(&a, &b);
        panic!("pg_dump --schema-only differs between {source} (-) and {target} (+):\n{report}");
    }
}

/// A small line diff (longest common subsequence), enough for dumps of a
/// few thousand lines; prints differing lines with 2 lines of context.
pub fn unified_diff(a: &[String], b: &[String]) -> String {
    let n = a.len();
    let m = b.len();
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut ops: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            ops.push((' ', &a[i]));
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            ops.push(('+', &b[j]));
            j += 1;
        } else {
            ops.push(('-', &a[i]));
            i += 1;
        }
    }
    // Print each change with up to 2 unchanged lines before it.
    let mut out = String::new();
    let mut next_unprinted = 0usize;
    let mut changes = 0usize;
    for k in 0..ops.len() {
        if ops[k].0 == ' ' {
            continue;
        }
        let from = k.saturating_sub(2).max(next_unprinted);
        if from > next_unprinted || (next_unprinted == 0 && from > 0) {
            out.push_str("@@\n");
        }
        for op in &ops[from..=k] {
            out.push_str(&format!("{}{}\n", op.0, op.1));
        }
        next_unprinted = k + 1;
        changes += 1;
        if changes > 300 {
            out.push_str("... (diff truncated)\n");
            break;
        }
    }
    out
}

/// Every ordinary table's and populated materialized view's row count and
/// an order-independent hash of its rows (as text, in UTC and ISO styles),
/// keyed `schema.table`; extension members and system schemas left out.
/// With `schema`, only that schema's.
pub async fn table_hashes(c: &Client, schema: Option<&str>) -> BTreeMap<String, (i64, String)> {
    c.batch_execute("SET TimeZone = 'UTC'; SET extra_float_digits = 3; SET DateStyle = ISO; SET IntervalStyle = postgres")
        .await
        .unwrap_or_else(|e| panic!("{}", pg_error(&e)));
    let rows = c
        .query(
            "SELECT n.nspname::text, c.relname::text FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE (c.relkind = 'r' OR (c.relkind = 'm' AND c.relispopulated)) AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' \
               AND ($1::text IS NULL OR n.nspname = $1) \
               AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid AND d.deptype = 'e') \
             ORDER BY 1, 2",
            &[&schema],
        )
        .await
        .unwrap_or_else(|e| panic!("{}", pg_error(&e)));
    let mut out = BTreeMap::new();
    for r in rows {
        let (s, t): (String, String) = (r.get(0), r.get(1));
        let q = format!("\"{}\".\"{}\"", s.replace('"', "\"\""), t.replace('"', "\"\""));
        let row = c
            .query_one(
                &format!(
                    "SELECT pg_catalog.count(*), COALESCE(pg_catalog.md5(pg_catalog.string_agg(pg_catalog.md5(x::text), '' ORDER BY pg_catalog.md5(x::text))), '') FROM ONLY {q} AS x"
                ),
                &[],
            )
            .await
            .unwrap_or_else(|e| panic!("hashing {q}: {}", pg_error(&e)));
        out.insert(format!("{s}.{t}"), (row.get(0), row.get(1)));
    }
    out
}
