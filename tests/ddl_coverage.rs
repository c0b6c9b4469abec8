//! Nothing is left out silently: every object of the fixture database that a
//! dump could hold — found by walking the system catalogs that hold
//! dumpable objects (`pg_class` by relkind, `pg_proc` by prokind, `pg_type`,
//! `pg_language`, `pg_subscription`, `pg_publication`, `pg_default_acl`,
//! `pg_init_privs`, …) with SQL that shares no code with pgkeep — is either
//! rendered (`Rendered::rendered_rows`) or named in a warning.
//!
//! Objects another object creates are not counted on their own: extension
//! members, shell operators, rows with an internal or partition dependency (array and row
//! types, a constraint's index, an identity's sequence, cloned triggers and
//! constraints of partitions), inherited constraints and `_RETURN` rules.
//! Those come back with their owner object, which the round-trip tests
//! (tests/ddl_roundtrip.rs) check.

mod ddl_support;

use std::collections::BTreeSet;

use ddl_support::*;
use pgkeep::catalog::{ObjRef, ReadOptions, ScopeSpec};
use pgkeep_testing::pgcluster::{self, Cluster, ClusterOptions};

fn shared() -> &'static Cluster {
    match pgcluster::shared() {
        Ok(cluster) => cluster,
        Err(e) => panic!("{e}"),
    }
}

/// `(classid, objid, identity)` of every dumpable object of the current
/// database, PostgreSQL 13 and later.
const DUMPABLE: &str = r#"
WITH user_ns AS (
    SELECT oid FROM pg_catalog.pg_namespace
    WHERE nspname NOT IN ('pg_catalog', 'information_schema')
      AND nspname NOT LIKE 'pg\_toast%' AND nspname NOT LIKE 'pg\_temp\_%'
), rows AS (
    SELECT 'pg_namespace'::regclass AS c, oid FROM pg_catalog.pg_namespace WHERE oid IN (SELECT oid FROM user_ns) AND oid >= 16384
    UNION ALL SELECT 'pg_class'::regclass, oid FROM pg_catalog.pg_class
        WHERE relnamespace IN (SELECT oid FROM user_ns) AND relkind IN ('r', 'p', 'v', 'm', 'f', 'S', 'i', 'I', 'c')
    UNION ALL SELECT 'pg_type'::regclass, oid FROM pg_catalog.pg_type WHERE typnamespace IN (SELECT oid FROM user_ns)
    UNION ALL SELECT 'pg_proc'::regclass, oid FROM pg_catalog.pg_proc WHERE pronamespace IN (SELECT oid FROM user_ns)
    UNION ALL SELECT 'pg_constraint'::regclass, c.oid FROM pg_catalog.pg_constraint c
        LEFT JOIN pg_catalog.pg_class r ON r.oid = c.conrelid
        LEFT JOIN pg_catalog.pg_type t ON t.oid = c.contypid
        WHERE coalesce(r.relnamespace, t.typnamespace) IN (SELECT oid FROM user_ns)
          AND c.conislocal AND c.conparentid = 0
    UNION ALL SELECT 'pg_attrdef'::regclass, d.oid FROM pg_catalog.pg_attrdef d JOIN pg_catalog.pg_class r ON r.oid = d.adrelid
        WHERE r.relnamespace IN (SELECT oid FROM user_ns)
    UNION ALL SELECT 'pg_trigger'::regclass, g.oid FROM pg_catalog.pg_trigger g JOIN pg_catalog.pg_class r ON r.oid = g.tgrelid
        WHERE r.relnamespace IN (SELECT oid FROM user_ns) AND NOT g.tgisinternal AND g.tgparentid = 0
    UNION ALL SELECT 'pg_rewrite'::regclass, w.oid FROM pg_catalog.pg_rewrite w JOIN pg_catalog.pg_class r ON r.oid = w.ev_class
        WHERE r.relnamespace IN (SELECT oid FROM user_ns) AND w.rulename <> '_RETURN'
    UNION ALL SELECT 'pg_policy'::regclass, p.oid FROM pg_catalog.pg_policy p JOIN pg_catalog.pg_class r ON r.oid = p.polrelid
        WHERE r.relnamespace IN (SELECT oid FROM user_ns)
    UNION ALL SELECT 'pg_statistic_ext'::regclass, oid FROM pg_catalog.pg_statistic_ext WHERE stxnamespace IN (SELECT oid FROM user_ns)
    UNION ALL SELECT 'pg_collation'::regclass, oid FROM pg_catalog.pg_collation WHERE collnamespace IN (SELECT oid FROM user_ns)
    UNION ALL SELECT 'pg_conversion'::regclass, oid FROM pg_catalog.pg_conversion WHERE connamespace IN (SELECT oid FROM user_ns)
    -- A shell operator (no function yet) is made by the operators that name
    -- it as commutator or negator, as pg_dump leaves it to them too.
    UNION ALL SELECT 'pg_operator'::regclass, oid FROM pg_catalog.pg_operator WHERE oprnamespace IN (SELECT oid FROM user_ns) AND oprcode <> 0
    UNION ALL SELECT 'pg_opclass'::regclass, oid FROM pg_catalog.pg_opclass WHERE opcnamespace IN (SELECT oid FROM user_ns)
    UNION ALL SELECT 'pg_opfamily'::regclass, oid FROM pg_catalog.pg_opfamily WHERE opfnamespace IN (SELECT oid FROM user_ns)
    UNION ALL SELECT 'pg_ts_parser'::regclass, oid FROM pg_catalog.pg_ts_parser WHERE prsnamespace IN (SELECT oid FROM user_ns)
    UNION ALL SELECT 'pg_ts_dict'::regclass, oid FROM pg_catalog.pg_ts_dict WHERE dictnamespace IN (SELECT oid FROM user_ns)
    UNION ALL SELECT 'pg_ts_template'::regclass, oid FROM pg_catalog.pg_ts_template WHERE tmplnamespace IN (SELECT oid FROM user_ns)
    UNION ALL SELECT 'pg_ts_config'::regclass, oid FROM pg_catalog.pg_ts_config WHERE cfgnamespace IN (SELECT oid FROM user_ns)
    UNION ALL SELECT 'pg_extension'::regclass, oid FROM pg_catalog.pg_extension WHERE oid >= 16384
    UNION ALL SELECT 'pg_language'::regclass, oid FROM pg_catalog.pg_language WHERE oid >= 16384
    UNION ALL SELECT 'pg_am'::regclass, oid FROM pg_catalog.pg_am WHERE oid >= 16384
    UNION ALL SELECT 'pg_cast'::regclass, oid FROM pg_catalog.pg_cast WHERE oid >= 16384
    UNION ALL SELECT 'pg_transform'::regclass, oid FROM pg_catalog.pg_transform
    UNION ALL SELECT 'pg_event_trigger'::regclass, oid FROM pg_catalog.pg_event_trigger
    UNION ALL SELECT 'pg_foreign_data_wrapper'::regclass, oid FROM pg_catalog.pg_foreign_data_wrapper
    UNION ALL SELECT 'pg_foreign_server'::regclass, oid FROM pg_catalog.pg_foreign_server
    UNION ALL SELECT 'pg_user_mapping'::regclass, oid FROM pg_catalog.pg_user_mapping
    UNION ALL SELECT 'pg_publication'::regclass, oid FROM pg_catalog.pg_publication
    UNION ALL SELECT 'pg_subscription'::regclass, oid FROM pg_catalog.pg_subscription
        WHERE subdbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())
    UNION ALL SELECT 'pg_default_acl'::regclass, oid FROM pg_catalog.pg_default_acl
    UNION ALL SELECT 'pg_largeobject'::regclass, oid FROM pg_catalog.pg_largeobject_metadata
)
SELECT r.c::oid, r.oid, coalesce(x.type || ' ' || x.identity, r.c::text || ' ' || r.oid)
FROM rows r
LEFT JOIN LATERAL pg_catalog.pg_identify_object(r.c, r.oid, 0) x ON true
WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = r.c AND d.objid = r.oid AND d.objsubid = 0 AND d.deptype IN ('e', 'i', 'P', 'S'))
ORDER BY 3
"#;

/// Objects whose privileges differ from their initial ones (`pg_init_privs`:
/// system objects and extension members): `(identity, name)`.
const CHANGED_INITIAL_PRIVILEGES: &str = r#"
WITH objects AS (
    SELECT 'pg_class'::regclass AS c, oid, 0 AS sub, relacl AS acl, relname::text AS name, NULL::text AS col,
           relnamespace = 'pg_catalog'::regnamespace AS system FROM pg_catalog.pg_class
    UNION ALL SELECT 'pg_class'::regclass, a.attrelid, a.attnum, a.attacl, r.relname::text, a.attname::text,
           r.relnamespace = 'pg_catalog'::regnamespace
        FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class r ON r.oid = a.attrelid WHERE NOT a.attisdropped
    UNION ALL SELECT 'pg_proc'::regclass, oid, 0, proacl, proname::text, NULL, pronamespace = 'pg_catalog'::regnamespace FROM pg_catalog.pg_proc
    UNION ALL SELECT 'pg_namespace'::regclass, oid, 0, nspacl, nspname::text, NULL, oid < 16384 FROM pg_catalog.pg_namespace
    UNION ALL SELECT 'pg_type'::regclass, oid, 0, typacl, typname::text, NULL, typnamespace = 'pg_catalog'::regnamespace FROM pg_catalog.pg_type
    UNION ALL SELECT 'pg_language'::regclass, oid, 0, lanacl, lanname::text, NULL, oid < 16384 FROM pg_catalog.pg_language
)
SELECT coalesce(x.type || ' ' || x.identity, o.name), o.name, o.col
FROM objects o
LEFT JOIN pg_catalog.pg_init_privs i ON i.classoid = o.c AND i.objoid = o.oid AND i.objsubid = o.sub
LEFT JOIN LATERAL pg_catalog.pg_identify_object(o.c, o.oid, o.sub) x ON true
WHERE (i.objoid IS NOT NULL OR (o.system AND o.name NOT IN ('pg_catalog', 'information_schema')))
  AND o.acl IS DISTINCT FROM i.initprivs
  AND NOT (i.objoid IS NULL AND o.acl IS NULL)
  AND o.name NOT LIKE 'pg\_toast%'
ORDER BY 1
"#;

#[tokio::test]
async fn every_dumpable_object_is_rendered_or_warned_about() {
    coverage(shared()).await;
}

/// The same walk on every major in PGKEEP_PG_EXTRA_BINDIRS (CI: 17; the
/// matrix script: 13, 14, 16, 17, 18): each major adds catalogs and kinds.
#[tokio::test]
async fn every_dumpable_object_is_rendered_or_warned_about_on_other_majors() {
    let Some(dirs) = std::env::var_os("PGKEEP_PG_EXTRA_BINDIRS").filter(|v| !v.is_empty()) else {
        eprintln!("other majors: PGKEEP_PG_EXTRA_BINDIRS is not set; only the shared cluster's major ran");
        return;
    };
    for dir in std::env::split_paths(&dirs) {
        let cluster = Cluster::start(ClusterOptions::default().bindir(&dir))
            .unwrap_or_else(|e| panic!("start a cluster from {}: {e}", dir.display()));
        coverage(&cluster).await;
    }
}

async fn coverage(cluster: &Cluster) {
    let (db, files) = fixture_database(cluster, "ddl_coverage").await;
    eprintln!("PostgreSQL {}: fixture files applied: {}", cluster.server_version(), files.join(" "));
    let client = cluster.connect(&db).await.unwrap_or_else(|e| panic!("{e}"));
    let rows = client
        .query(DUMPABLE, &[])
        .await
        .unwrap_or_else(|e| panic!("dumpable objects: {}", pg_error(&e)));
    assert!(rows.len() > 300, "the walk found only {} objects: is the fixture applied?", rows.len());
    let changed: Vec<(String, String, Option<String>)> = client
        .query(CHANGED_INITIAL_PRIVILEGES, &[])
        .await
        .unwrap_or_else(|e| panic!("changed initial privileges: {}", pg_error(&e)))
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert!(!changed.is_empty(), "the fixture changes privileges of system objects and extension members");

    client.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await.unwrap();
    let cat = pgkeep::catalog::read_catalog(&client, &ScopeSpec::default(), &ReadOptions::default())
        .await
        .unwrap_or_else(|e| panic!("read the catalog: {e}"));
    let rendered = pgkeep::ddl::render(&cat, &Default::default()).unwrap_or_else(|e| panic!("render: {e}"));
    client.batch_execute("COMMIT").await.unwrap();

    let warned = |what: &str| rendered.warnings.iter().any(|w| w.contains(what));
    let mut silent = BTreeSet::new();
    for r in &rows {
        let (classid, objid, identity): (u32, u32, String) = (r.get(0), r.get(1), r.get(2));
        if rendered.rendered_rows.contains(&ObjRef { classid, objid }) {
            continue;
        }
        // A warning names the object by its name (the last part of the
        // identity, which is what pgkeep's warnings quote).
        let name = identity.rsplit(['.', ' ']).next().unwrap_or(&identity).to_string();
        if !warned(&name) {
            silent.insert(identity);
        }
    }
    // A privilege change on a system object or an extension member is
    // rendered as an ACL entry naming the object.
    for (identity, name, column) in &changed {
        // ACL entries are named like `TABLE pg_catalog.pg_proc (tableoid)`.
        let names_it = |entry: &str| {
            entry.contains(name.as_str()) && column.as_ref().is_none_or(|c| entry.contains(&format!("({c})")))
        };
        let shown = rendered.entries.iter().any(|e| e.create_sql.contains(" ON ") && names_it(&e.name));
        if !shown && !warned(name) {
            silent.insert(format!("privileges of {identity}"));
        }
    }
    // Publication members are entries of their own, named after the
    // publication and the table or schema.
    let members_sql = if cluster.server_major() >= 15 {
        "SELECT p.pubname || ' ' || c.relname FROM pg_catalog.pg_publication_rel r JOIN pg_catalog.pg_publication p ON p.oid = r.prpubid \
           JOIN pg_catalog.pg_class c ON c.oid = r.prrelid \
         UNION ALL SELECT p.pubname || ' ' || pg_catalog.quote_ident(n.nspname) FROM pg_catalog.pg_publication_namespace r \
           JOIN pg_catalog.pg_publication p ON p.oid = r.pnpubid JOIN pg_catalog.pg_namespace n ON n.oid = r.pnnspid"
    } else {
        "SELECT p.pubname || ' ' || c.relname FROM pg_catalog.pg_publication_rel r JOIN pg_catalog.pg_publication p ON p.oid = r.prpubid \
           JOIN pg_catalog.pg_class c ON c.oid = r.prrelid"
    };
    let members: Vec<String> = client.query(members_sql, &[]).await.unwrap_or_else(|e| panic!("{}", pg_error(&e))).iter().map(|r| r.get(0)).collect();
    for m in &members {
        if !rendered.entries.iter().any(|e| e.kind.as_str().starts_with("PUBLICATION ") && &e.name == m) && !warned(m) {
            silent.insert(format!("publication member {m}"));
        }
    }
    assert!(
        silent.is_empty(),
        "{} object(s) neither rendered nor named in a warning (of {} walked):\n{}",
        silent.len(),
        rows.len(),
        silent.iter().cloned().collect::<Vec<_>>().join("\n")
    );
    eprintln!(
        "{} dumpable objects walked, {} privilege changes on system objects and extension members: all rendered or warned about",
        rows.len(),
        changed.len()
    );
}
