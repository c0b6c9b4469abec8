//! The batched catalog queries: one per object kind for the whole scope,
//! issued together so the connection pipelines them.
//!
//! Every query takes the scope as oid arrays joined with `unnest`, so its
//! cost grows with the objects in scope, not with the number of queries.
//! Names the server renders (types, functions, relations in expressions)
//! come out qualified exactly when they are not visible on the reader's
//! `search_path`, which `read_catalog` sets before anything else.

use std::collections::{BTreeMap, HashMap};

use tokio_postgres::{Client, Row};

use super::model::*;
use super::CatalogError;

type R<T> = Result<T, CatalogError>;

/// `LEFT JOIN` of an object's comment.
fn descr(alias: &str, catalog: &str, oid_expr: &str) -> String {
    format!(
        "LEFT JOIN pg_catalog.pg_description {alias} ON {alias}.classoid = 'pg_catalog.{catalog}'::pg_catalog.regclass \
         AND {alias}.objoid = {oid_expr} AND {alias}.objsubid = 0"
    )
}

/// The six leading columns every object query returns, read into `Meta`.
fn meta(row: &Row) -> Meta {
    Meta {
        oid: row.get(0),
        schema: row.get(1),
        name: row.get(2),
        owner: row.get(3),
        acl: row.get(4),
        acl_base: Vec::new(),
        comment: row.get(5),
    }
}

fn char_of(row: &Row, i: usize) -> char {
    row.get::<_, Option<String>>(i)
        .and_then(|s| s.chars().next())
        .unwrap_or('\0')
}

fn opt_char(row: &Row, i: usize) -> Option<char> {
    row.get::<_, Option<String>>(i)
        .and_then(|s| s.chars().next())
        .filter(|c| *c != '\0')
}

/// The SQL name of a catalog row, qualified unless visible.
fn qname(visible: &str, nsp: &str, name: &str) -> String {
    format!(
        "CASE WHEN {visible} THEN pg_catalog.quote_ident({name}) \
         ELSE pg_catalog.quote_ident({nsp}) || '.' || pg_catalog.quote_ident({name}) END"
    )
}

pub(super) struct Reader<'a> {
    /// Connections that share one snapshot; each query goes to one of them
    /// (chosen by the query's name), so the server works on several at once.
    pub clients: &'a [&'a Client],
    pub version: i32,
    pub schemas: Vec<u32>,
    pub relations: Vec<u32>,
    /// Database-level objects (extensions, casts, ...) are in scope.
    pub database_level: bool,
    pub sequence_values: bool,
    /// Large objects are in scope.
    pub large_objects: bool,
}

impl Reader<'_> {
    async fn q(&self, what: &'static str, sql: &str, params: &[&(dyn tokio_postgres::types::ToSql + Sync)]) -> R<Vec<Row>> {
        self.run(pick(what, self.clients.len()), what, sql, params).await
    }

    /// A parameterless query on session `k` (modulo the sessions there are).
    async fn q_on(&self, k: usize, what: &'static str, sql: &str) -> R<Vec<Row>> {
        self.run(k % self.clients.len().max(1), what, sql, &[]).await
    }

    async fn run(
        &self,
        slot: usize,
        what: &'static str,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> R<Vec<Row>> {
        let started = std::time::Instant::now();
        let rows = self.clients[slot]
            .query(sql, params)
            .await
            .map_err(|e| CatalogError::query(what, e))?;
        tracing::debug!(what, slot, rows = rows.len(), ms = started.elapsed().as_millis() as u64, "catalog query");
        Ok(rows)
    }

    /// Every extension member, with the extension it belongs to.
    pub async fn extension_members(&self) -> R<HashMap<ObjRef, u32>> {
        let rows = self
            .q(
                "extension members",
                "SELECT classid, objid, refobjid FROM pg_catalog.pg_depend WHERE deptype = 'e'",
                &[],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| (ObjRef { classid: r.get(0), objid: r.get(1) }, r.get(2)))
            .collect())
    }

    pub async fn schemas(&self) -> R<Vec<Schema>> {
        let sql = format!(
            "SELECT n.oid, NULL::text, n.nspname, pg_catalog.pg_get_userbyid(n.nspowner), \
               n.nspacl::text[], d.description, \
               pg_catalog.acldefault('n', n.nspowner)::text[], \
               (SELECT ip.initprivs::text[] FROM pg_catalog.pg_init_privs ip \
                 WHERE ip.objoid = n.oid AND ip.classoid = 'pg_catalog.pg_namespace'::pg_catalog.regclass \
                   AND ip.objsubid = 0) \
             FROM pg_catalog.unnest($1::oid[]) AS s(oid) JOIN pg_catalog.pg_namespace n ON n.oid = s.oid \
             {} ORDER BY n.nspname",
            descr("d", "pg_namespace", "n.oid")
        );
        let rows = self.q("schemas", &sql, &[&self.schemas]).await?;
        Ok(rows.iter().map(|r| Schema { meta: with_base(meta(r), base_acl(r, 6, 7)) }).collect())
    }

    pub async fn extensions(&self) -> R<Vec<Extension>> {
        if !self.database_level {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT x.oid, NULL::text, x.extname, NULL::text, NULL::text[], d.description, \
               n.nspname, x.extversion \
             FROM pg_catalog.pg_extension x JOIN pg_catalog.pg_namespace n ON n.oid = x.extnamespace \
             {} WHERE x.extname <> 'plpgsql' ORDER BY x.extname",
            descr("d", "pg_extension", "x.oid")
        );
        let rows = self.q("extensions", &sql, &[]).await?;
        Ok(rows
            .iter()
            .map(|r| Extension { meta: meta(r), in_schema: r.get(6), version: r.get(7) })
            .collect())
    }

    pub async fn collations(&self) -> R<Vec<Collation>> {
        let v = self.version;
        let locale = if v >= 170000 {
            "c.colllocale"
        } else if v >= 150000 {
            "c.colliculocale"
        } else {
            "NULL::text"
        };
        let rules = if v >= 160000 { "c.collicurules" } else { "NULL::text" };
        let sql = format!(
            "SELECT c.oid, n.nspname, c.collname, pg_catalog.pg_get_userbyid(c.collowner), NULL::text[], \
               d.description, c.collprovider::text, c.collisdeterministic, c.collcollate, c.collctype, \
               {locale}, {rules}, c.collencoding = -1 \
             FROM pg_catalog.unnest($1::oid[]) AS s(oid) JOIN pg_catalog.pg_collation c ON c.collnamespace = s.oid \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.collnamespace {}",
            descr("d", "pg_collation", "c.oid")
        );
        let rows = self.q("collations", &sql, &[&self.schemas]).await?;
        Ok(rows
            .iter()
            .map(|r| Collation {
                meta: meta(r),
                provider: r.get(6),
                deterministic: r.get(7),
                collate: r.get(8),
                ctype: r.get(9),
                locale: r.get(10),
                icu_rules: r.get(11),
                any_encoding: r.get(12),
            })
            .collect())
    }

    /// Enum, composite, domain and range types; base types are reported.
    pub async fn types(
        &self,
        aliases: &mut BTreeMap<ObjRef, ObjRef>,
        warnings: &mut Vec<String>,
        members: &HashMap<ObjRef, u32>,
    ) -> R<Vec<TypeDef>> {
        let v = self.version;
        let multirange = if v >= 140000 {
            format!(
                "(SELECT {} FROM pg_catalog.pg_type mt JOIN pg_catalog.pg_namespace mn ON mn.oid = mt.typnamespace \
                  WHERE mt.oid = rg.rngmultitypid), rg.rngmultitypid",
                qname("pg_catalog.pg_type_is_visible(mt.oid)", "mn.nspname", "mt.typname")
            )
        } else {
            "NULL::text, 0::oid".into()
        };
        let mr_comment = if v >= 140000 {
            "(SELECT md.description FROM pg_catalog.pg_description md WHERE md.objoid = rg.rngmultitypid \
               AND md.classoid = 'pg_catalog.pg_type'::pg_catalog.regclass AND md.objsubid = 0)"
        } else {
            "NULL::text"
        };
        let subscript = if v >= 140000 {
            "NULLIF(t.typsubscript, 0)::pg_catalog.regproc::text"
        } else {
            "NULL::text"
        };
        let sql = format!(
            "SELECT t.oid, n.nspname, t.typname, pg_catalog.pg_get_userbyid(t.typowner), t.typacl::text[], \
               d.description, pg_catalog.acldefault('T', t.typowner)::text[], \
               t.typtype::text, t.typarray, t.typrelid, \
               CASE WHEN t.typtype = 'e' THEN ARRAY(SELECT e.enumlabel::text FROM pg_catalog.pg_enum e \
                   WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder) END, \
               CASE WHEN t.typtype = 'd' THEN pg_catalog.format_type(t.typbasetype, t.typtypmod) END, \
               CASE WHEN t.typtype = 'd' AND t.typcollation <> bt.typcollation THEN t.typcollation::pg_catalog.regcollation::text END, \
               CASE WHEN t.typdefaultbin IS NOT NULL THEN pg_catalog.pg_get_expr(t.typdefaultbin, 0) ELSE t.typdefault END, \
               t.typnotnull, \
               pg_catalog.format_type(rg.rngsubtype, NULL), \
               CASE WHEN rg.rngsubopc IS NOT NULL AND NOT oc.opcdefault THEN {} END, \
               CASE WHEN rg.rngcollation <> 0 AND rg.rngcollation <> st.typcollation THEN rg.rngcollation::pg_catalog.regcollation::text END, \
               NULLIF(rg.rngcanonical, 0)::pg_catalog.regproc::text, NULLIF(rg.rngsubdiff, 0)::pg_catalog.regproc::text, \
               {multirange}, \
               COALESCE(trel.relkind = 'c', false), \
               t.typinput::pg_catalog.regproc::text, t.typoutput::pg_catalog.regproc::text, \
               NULLIF(t.typreceive, 0)::pg_catalog.regproc::text, NULLIF(t.typsend, 0)::pg_catalog.regproc::text, \
               NULLIF(t.typmodin, 0)::pg_catalog.regproc::text, NULLIF(t.typmodout, 0)::pg_catalog.regproc::text, \
               NULLIF(t.typanalyze, 0)::pg_catalog.regproc::text, {subscript}, \
               t.typlen, t.typbyval, t.typalign::text, t.typstorage::text, t.typcategory::text, t.typispreferred, \
               CASE WHEN t.typelem <> 0 THEN pg_catalog.format_type(t.typelem, NULL) END, t.typdelim::text, \
               t.typcollation <> 0, \
               ARRAY[t.typinput, t.typoutput, t.typreceive, t.typsend, t.typmodin, t.typmodout, t.typanalyze]::oid[], \
               t.typisdefined, {mr_comment} \
             FROM pg_catalog.unnest($1::oid[]) AS s(oid) JOIN pg_catalog.pg_type t ON t.typnamespace = s.oid \
             JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace \
             LEFT JOIN pg_catalog.pg_type bt ON bt.oid = t.typbasetype \
             LEFT JOIN pg_catalog.pg_range rg ON rg.rngtypid = t.oid \
             LEFT JOIN pg_catalog.pg_type st ON st.oid = rg.rngsubtype \
             LEFT JOIN pg_catalog.pg_opclass oc ON oc.oid = rg.rngsubopc \
             LEFT JOIN pg_catalog.pg_namespace ocn ON ocn.oid = oc.opcnamespace \
             LEFT JOIN pg_catalog.pg_class trel ON trel.oid = t.typrelid \
             LEFT JOIN pg_catalog.pg_type elem ON elem.oid = t.typelem {} \
             WHERE (t.typtype IN ('e','c','d','r','b') OR (t.typtype = 'p' AND NOT t.typisdefined)) \
               AND (t.typtype <> 'c' OR trel.relkind = 'c') \
               AND NOT (t.typtype = 'b' AND t.typlen = -1 AND elem.typarray IS NOT DISTINCT FROM t.oid AND t.typelem <> 0)",
            qname("pg_catalog.pg_opclass_is_visible(oc.oid)", "ocn.nspname", "oc.opcname"),
            descr("d", "pg_type", "t.oid")
        );
        let rows = self.q("types", &sql, &[&self.schemas]).await?;
        let mut composites = Vec::new();
        let mut out = Vec::new();
        for r in &rows {
            let mut m = meta(r);
            let base = base_acl(r, 6, 999);
            let typtype: String = r.get(7);
            let typarray: u32 = r.get(8);
            let typrelid: u32 = r.get(9);
            let key = ObjRef { classid: class::PG_TYPE, objid: m.oid };
            if typarray != 0 {
                aliases.insert(ObjRef { classid: class::PG_TYPE, objid: typarray }, key);
            }
            let kind = match typtype.as_str() {
                "e" => TypeKind::Enum { labels: r.get(10) },
                "p" => TypeKind::Shell,
                "c" => {
                    let standalone: bool = r.get(22);
                    if !standalone {
                        continue; // a table's row type: the table stands for it
                    }
                    aliases.insert(ObjRef { classid: class::PG_CLASS, objid: typrelid }, key);
                    composites.push((out.len(), typrelid));
                    TypeKind::Composite { attributes: Vec::new(), relid: typrelid }
                }
                "d" => TypeKind::Domain {
                    base: r.get(11),
                    collation: r.get(12),
                    default: r.get(13),
                    not_null: r.get(14),
                    constraints: Vec::new(),
                },
                "r" => {
                    let mr: u32 = r.get(21);
                    if mr != 0 {
                        aliases.insert(ObjRef { classid: class::PG_TYPE, objid: mr }, key);
                    }
                    let canonical: Option<String> = r.get(18);
                    if canonical.is_some() {
                        warnings.push(format!(
                            "range type {}.{} has a canonical function (a C function): it is dumped without it",
                            m.schema.as_deref().unwrap_or(""),
                            m.name
                        ));
                    }
                    TypeKind::Range {
                        subtype: r.get(15),
                        subtype_opclass: r.get(16),
                        collation: r.get(17),
                        canonical,
                        subtype_diff: r.get(19),
                        multirange_name: r.get(20),
                        multirange_comment: r.get(42),
                    }
                }
                _ => {
                    if members.contains_key(&key) {
                        continue;
                    }
                    let opt = |i: usize| -> Option<String> { r.get(i) };
                    TypeKind::Base(BaseType {
                        input: r.get(23),
                        output: r.get(24),
                        receive: opt(25),
                        send: opt(26),
                        typmod_in: opt(27),
                        typmod_out: opt(28),
                        analyze: opt(29),
                        subscript: opt(30),
                        length: r.get(31),
                        by_value: r.get(32),
                        alignment: char_of(r, 33),
                        storage: char_of(r, 34),
                        category: char_of(r, 35),
                        preferred: r.get(36),
                        default: r.get(13),
                        element: opt(37),
                        delimiter: char_of(r, 38),
                        collatable: r.get(39),
                        io_functions: r.get::<_, Vec<u32>>(40).into_iter().filter(|o| *o != 0).collect(),
                    })
                }
            };
            m.acl_base = base;
            out.push(TypeDef { meta: m, kind });
        }
        if !composites.is_empty() {
            let relids: Vec<u32> = composites.iter().map(|c| c.1).collect();
            let rows = self
                .q(
                    "composite type attributes",
                    "SELECT a.attrelid, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), \
                       CASE WHEN a.attcollation <> t.typcollation THEN a.attcollation::pg_catalog.regcollation::text END, \
                       d.description \
                     FROM pg_catalog.unnest($1::oid[]) AS s(oid) JOIN pg_catalog.pg_attribute a ON a.attrelid = s.oid \
                     JOIN pg_catalog.pg_type t ON t.oid = a.atttypid \
                     LEFT JOIN pg_catalog.pg_description d ON d.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass \
                       AND d.objoid = a.attrelid AND d.objsubid = a.attnum \
                     WHERE a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attrelid, a.attnum",
                    &[&relids],
                )
                .await?;
            let mut by_rel: HashMap<u32, Vec<Attribute>> = HashMap::new();
            for r in rows {
                by_rel.entry(r.get(0)).or_default().push(Attribute {
                    name: r.get(1),
                    type_name: r.get(2),
                    collation: r.get(3),
                    comment: r.get(4),
                });
            }
            for (idx, relid) in composites {
                if let TypeKind::Composite { attributes, .. } = &mut out[idx].kind {
                    *attributes = by_rel.remove(&relid).unwrap_or_default();
                }
            }
        }
        // Domain constraints, all domains at once.
        let domain_oids: Vec<u32> = out
            .iter()
            .filter(|t| matches!(t.kind, TypeKind::Domain { .. }))
            .map(|t| t.meta.oid)
            .collect();
        if !domain_oids.is_empty() {
            // From 17 on a domain's NOT NULL is a constraint row with a
            // name (and maybe a comment) of its own, as pg_dump reads it.
            let kinds = if v >= 170000 { "'c', 'n'" } else { "'c'" };
            let sql = format!(
                "SELECT c.contypid, c.oid, c.conname, pg_catalog.pg_get_constraintdef(c.oid), c.convalidated, d.description, \
                   c.contype::text \
                 FROM pg_catalog.unnest($1::oid[]) AS s(oid) JOIN pg_catalog.pg_constraint c ON c.contypid = s.oid {} \
                 WHERE c.contype IN ({kinds}) ORDER BY c.contypid, c.conname",
                descr("d", "pg_constraint", "c.oid")
            );
            let rows = self.q("domain constraints", &sql, &[&domain_oids]).await?;
            let pos: HashMap<u32, usize> = out.iter().enumerate().map(|(i, t)| (t.meta.oid, i)).collect();
            for r in rows {
                let typ: u32 = r.get(0);
                if let Some(TypeKind::Domain { constraints, .. }) = pos.get(&typ).map(|&i| &mut out[i].kind) {
                    constraints.push(DomainConstraint {
                        oid: r.get(1),
                        kind: char_of(&r, 6),
                        name: r.get(2),
                        definition: r.get(3),
                        validated: r.get(4),
                        comment: r.get(5),
                    });
                }
            }
        }
        Ok(out)
    }

    pub async fn sequences(&self) -> R<Vec<Sequence>> {
        let last = if !self.sequence_values {
            "NULL::int8, NULL::int8"
        } else if self.version >= 180000 {
            "(SELECT CASE WHEN sd.is_called THEN sd.last_value END FROM pg_catalog.pg_get_sequence_data(c.oid) sd), \
             (SELECT CASE WHEN NOT sd.is_called THEN sd.last_value END FROM pg_catalog.pg_get_sequence_data(c.oid) sd)"
        } else {
            "pg_catalog.pg_sequence_last_value(c.oid), NULL::int8"
        };
        let sql = format!(
            "SELECT c.oid, n.nspname, c.relname, pg_catalog.pg_get_userbyid(c.relowner), c.relacl::text[], \
               d.description, pg_catalog.acldefault('s', c.relowner)::text[], \
               pg_catalog.format_type(q.seqtypid, NULL), q.seqstart, q.seqincrement, q.seqmin, q.seqmax, \
               q.seqcache, q.seqcycle, c.relpersistence = 'u', dep.refobjid, a.attname, dep.deptype::text, {last} \
             FROM pg_catalog.unnest($1::oid[]) AS s(oid) JOIN pg_catalog.pg_class c ON c.oid = s.oid \
             JOIN pg_catalog.pg_sequence q ON q.seqrelid = c.oid \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             LEFT JOIN pg_catalog.pg_depend dep ON dep.classid = 'pg_catalog.pg_class'::pg_catalog.regclass \
               AND dep.objid = c.oid AND dep.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass \
               AND dep.deptype IN ('a','i') \
             LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = dep.refobjid AND a.attnum = dep.refobjsubid {} \
             WHERE c.relkind = 'S'",
            descr("d", "pg_class", "c.oid")
        );
        let rows = self.q("sequences", &sql, &[&self.relations]).await?;
        let mut seqs: Vec<Sequence> = rows
            .iter()
            .map(|r| {
                let owner_rel: Option<u32> = r.get(15);
                let col: Option<String> = r.get(16);
                let deptype: Option<String> = r.get(17);
                let link = owner_rel.zip(col);
                let identity = deptype.as_deref() == Some("i");
                Sequence {
                    meta: with_base(meta(r), base_acl(r, 6, 999)),
                    options: SequenceOptions {
                        data_type: r.get(7),
                        start: r.get(8),
                        increment: r.get(9),
                        min: r.get(10),
                        max: r.get(11),
                        cache: r.get(12),
                        cycle: r.get(13),
                    },
                    unlogged: r.get(14),
                    owned_by: if identity { None } else { link.clone() },
                    identity_of: if identity { link } else { None },
                    last_value: r.get(18),
                    uncalled_value: r.get(19),
                }
            })
            .collect();
        if self.sequence_values && self.version < 180000 {
            self.uncalled_sequence_values(&mut seqs).await?;
        }
        Ok(seqs)
    }

    /// Before 18 the server exposes a sequence's state only by reading the
    /// sequence itself, and `pg_sequence_last_value` hides the value of a
    /// `setval(..., false)`. Read those sequences directly, many per query.
    async fn uncalled_sequence_values(&self, seqs: &mut [Sequence]) -> R<()> {
        use crate::sql::quote::quote_qualified;
        let todo: Vec<usize> = (0..seqs.len()).filter(|&i| seqs[i].last_value.is_none()).collect();
        let queries: Vec<String> = todo
            .chunks(500)
            .map(|chunk| {
                chunk
                    .iter()
                    .map(|&i| {
                        let m = &seqs[i].meta;
                        format!(
                            "SELECT {}::int4, last_value, is_called FROM {}",
                            i,
                            quote_qualified(m.schema.as_deref().unwrap_or_default(), &m.name)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(" UNION ALL ")
            })
            .collect();
        // Spread over every session: this is most of the cost of a dump of
        // many small tables.
        let results = futures::future::try_join_all(
            queries.iter().enumerate().map(|(k, sql)| self.q_on(k, "sequence values", sql)),
        )
        .await?;
        for r in results.iter().flatten() {
            let i: i32 = r.get(0);
            let (value, called): (i64, bool) = (r.get(1), r.get(2));
            let s = &mut seqs[i as usize];
            if called {
                s.last_value = Some(value);
            } else if value != s.options.start {
                s.uncalled_value = Some(value);
            }
        }
        Ok(())
    }

    pub async fn relations(&self, aliases: &mut BTreeMap<ObjRef, ObjRef>) -> R<Vec<Relation>> {
        let v = self.version;
        let am = "CASE WHEN am.amname IS NOT NULL AND (am.amname <> 'heap' OR c.relkind = 'p') THEN am.amname END";
        let sql = format!(
            "SELECT c.oid, n.nspname, c.relname, pg_catalog.pg_get_userbyid(c.relowner), c.relacl::text[], \
               d.description, pg_catalog.acldefault('r', c.relowner)::text[], \
               c.relkind::text, c.relpersistence::text, c.reloptions, tc.reloptions, {am}, ts.spcname, \
               c.relreplident::text, c.relrowsecurity, c.relforcerowsecurity, \
               CASE WHEN c.reloftype <> 0 THEN pg_catalog.format_type(c.reloftype, NULL) END, \
               CASE WHEN c.relkind IN ('v','m') THEN pg_catalog.pg_get_viewdef(c.oid) END, \
               c.relispopulated, \
               CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END, \
               CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END, \
               ARRAY(SELECT i.inhparent FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid ORDER BY i.inhseqno), \
               fs.srvname, ft.ftoptions, c.reltype, \
               (SELECT r.oid FROM pg_catalog.pg_rewrite r WHERE r.ev_class = c.oid AND r.rulename = '_RETURN'), \
               (SELECT t.typarray FROM pg_catalog.pg_type t WHERE t.oid = c.reltype) \
             FROM pg_catalog.unnest($1::oid[]) AS s(oid) JOIN pg_catalog.pg_class c ON c.oid = s.oid \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             LEFT JOIN pg_catalog.pg_class tc ON tc.oid = c.reltoastrelid \
             LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam AND c.relkind IN ('r','m','p') \
             LEFT JOIN pg_catalog.pg_tablespace ts ON ts.oid = c.reltablespace \
             LEFT JOIN pg_catalog.pg_foreign_table ft ON ft.ftrelid = c.oid \
             LEFT JOIN pg_catalog.pg_foreign_server fs ON fs.oid = ft.ftserver {} \
             WHERE c.relkind IN ('r','p','f','v','m')",
            descr("d", "pg_class", "c.oid")
        );
        let _ = v;
        let rows = self.q("relations", &sql, &[&self.relations]).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let m = meta(r);
            let key = ObjRef { classid: class::PG_CLASS, objid: m.oid };
            let kind = match r.get::<_, String>(7).as_str() {
                "r" => RelKind::Table,
                "p" => RelKind::PartitionedTable,
                "f" => RelKind::ForeignTable,
                "v" => RelKind::View,
                _ => RelKind::MaterializedView,
            };
            let row_type: u32 = r.get(24);
            aliases.insert(ObjRef { classid: class::PG_TYPE, objid: row_type }, key);
            if let Some(arr) = r.get::<_, Option<u32>>(26) {
                if arr != 0 {
                    aliases.insert(ObjRef { classid: class::PG_TYPE, objid: arr }, key);
                }
            }
            let view_rule: Option<u32> = r.get(25);
            if let Some(rule) = view_rule {
                aliases.insert(ObjRef { classid: class::PG_REWRITE, objid: rule }, key);
            }
            out.push(Relation {
                meta: with_base(m, base_acl(r, 6, 999)),
                kind,
                unlogged: r.get::<_, String>(8) == "u",
                columns: Vec::new(),
                reloptions: r.get::<_, Option<Vec<String>>>(9).unwrap_or_default(),
                toast_options: r.get::<_, Option<Vec<String>>>(10).unwrap_or_default(),
                access_method: r.get(11),
                tablespace: r.get(12),
                replica_identity: char_of(r, 13),
                row_security: r.get(14),
                force_row_security: r.get(15),
                of_type: r.get(16),
                view_definition: r.get(17),
                populated: r.get(18),
                partition_bound: r.get(19),
                partition_key: r.get(20),
                parents: r.get(21),
                foreign_server: r.get(22),
                foreign_options: r.get::<_, Option<Vec<String>>>(23).unwrap_or_default(),
                row_type,
                view_rule,
            });
        }
        self.columns(&mut out).await?;
        Ok(out)
    }

    async fn columns(&self, rels: &mut [Relation]) -> R<()> {
        let v = self.version;
        let compression = if v >= 140000 {
            "NULLIF(a.attcompression::text, '')"
        } else {
            "NULL::text"
        };
        let stat = if v >= 170000 {
            "a.attstattarget::int4"
        } else {
            "NULLIF(a.attstattarget, -1)::int4"
        };
        let oids: Vec<u32> = rels.iter().map(|r| r.meta.oid).collect();
        let sql = format!(
            "SELECT a.attrelid, a.attnum, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.atttypid, \
               a.attnotnull, pg_catalog.pg_get_expr(ad.adbin, ad.adrelid), ad.oid, \
               NULLIF(a.attidentity::text, ''), NULLIF(a.attgenerated::text, ''), \
               CASE WHEN a.attcollation <> t.typcollation AND a.attcollation <> 0 \
                    THEN a.attcollation::pg_catalog.regcollation::text END, \
               CASE WHEN a.attstorage <> t.typstorage THEN a.attstorage::text END, \
               {compression}, {stat}, a.attoptions, a.attfdwoptions, a.attislocal, a.attinhcount > 0, \
               a.attacl::text[], d.description \
             FROM pg_catalog.unnest($1::oid[]) AS s(oid) JOIN pg_catalog.pg_attribute a ON a.attrelid = s.oid \
             JOIN pg_catalog.pg_type t ON t.oid = a.atttypid \
             LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum \
             LEFT JOIN pg_catalog.pg_description d ON d.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass \
               AND d.objoid = a.attrelid AND d.objsubid = a.attnum \
             WHERE a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attrelid, a.attnum"
        );
        let rows = self.q("columns", &sql, &[&oids]).await?;
        let pos: HashMap<u32, usize> = rels.iter().enumerate().map(|(i, r)| (r.meta.oid, i)).collect();
        for r in rows {
            let rel: u32 = r.get(0);
            let Some(&i) = pos.get(&rel) else { continue };
            rels[i].columns.push(Column {
                num: r.get(1),
                name: r.get(2),
                type_name: r.get(3),
                type_oid: r.get(4),
                not_null: r.get(5),
                default: r.get(6),
                default_oid: r.get(7),
                identity: opt_char(&r, 8),
                generated: opt_char(&r, 9),
                collation: r.get(10),
                storage: opt_char(&r, 11),
                compression: opt_char(&r, 12),
                statistics: r.get(13),
                options: r
                    .get::<_, Option<Vec<String>>>(14)
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|o| !is_server_managed_attoption(o))
                    .collect(),
                fdw_options: r.get::<_, Option<Vec<String>>>(15).unwrap_or_default(),
                is_local: r.get(16),
                inherited: r.get(17),
                acl: r.get(18),
                comment: r.get(19),
            });
        }
        Ok(())
    }

    pub async fn constraints(&self) -> R<Vec<Constraint>> {
        let sql = format!(
            "SELECT c.oid, c.conrelid, c.conname, c.contype::text, pg_catalog.pg_get_constraintdef(c.oid), \
               c.convalidated, c.conislocal, NULLIF(c.conparentid, 0), NULLIF(c.conindid, 0), d.description, \
               CASE WHEN c.contype = 'n' THEN (SELECT a.attname::text FROM pg_catalog.pg_attribute a \
                   WHERE a.attrelid = c.conrelid AND a.attnum = c.conkey[1]) END \
             FROM pg_catalog.unnest($1::oid[]) AS s(oid) JOIN pg_catalog.pg_constraint c ON c.conrelid = s.oid {} \
             WHERE c.contype IN ({kinds}) ORDER BY c.conrelid, c.conname",
            descr("d", "pg_constraint", "c.oid"),
            // 18 catalogs NOT NULL as constraints, with names of their own.
            kinds = if self.version >= 180000 { "'c','f','p','u','x','n'" } else { "'c','f','p','u','x'" }
        );
        let rows = self.q("constraints", &sql, &[&self.relations]).await?;
        Ok(rows
            .iter()
            .map(|r| {
                let kind = char_of(r, 3);
                Constraint {
                    oid: r.get(0),
                    table: r.get(1),
                    name: r.get(2),
                    kind,
                    definition: r.get(4),
                    validated: r.get(5),
                    is_local: r.get(6),
                    parent: r.get(7),
                    index: if matches!(kind, 'p' | 'u' | 'x') { r.get(8) } else { None },
                    comment: r.get(9),
                    column: r.get(10),
                }
            })
            .collect())
    }

    pub async fn indexes(&self) -> R<Vec<Index>> {
        let stat = if self.version >= 170000 {
            "ia.attstattarget::int4"
        } else {
            "NULLIF(ia.attstattarget, -1)::int4"
        };
        let sql = format!(
            "SELECT ic.oid, n.nspname, ic.relname, NULL::text, NULL::text[], d.description, \
               i.indrelid, pg_catalog.pg_get_indexdef(i.indexrelid), i.indisclustered, i.indisreplident, \
               h.inhparent, COALESCE(st.cols, '{{}}'), COALESCE(st.targets, '{{}}'), ts.spcname, k.oid, ic.reloptions \
             FROM pg_catalog.unnest($1::oid[]) AS s(oid) JOIN pg_catalog.pg_index i ON i.indrelid = s.oid \
             JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid \
             JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace \
             LEFT JOIN pg_catalog.pg_inherits h ON h.inhrelid = i.indexrelid \
             LEFT JOIN pg_catalog.pg_constraint k ON k.conindid = i.indexrelid AND k.conrelid = i.indrelid \
               AND k.contype IN ('p','u','x') \
             LEFT JOIN (SELECT ia.attrelid, pg_catalog.array_agg(ia.attnum::int4 ORDER BY ia.attnum) AS cols, \
                          pg_catalog.array_agg({stat} ORDER BY ia.attnum) AS targets \
                        FROM pg_catalog.pg_attribute ia JOIN pg_catalog.pg_class x ON x.oid = ia.attrelid AND x.relkind IN ('i','I') \
                        WHERE {stat} IS NOT NULL GROUP BY ia.attrelid) st ON st.attrelid = i.indexrelid \
             LEFT JOIN pg_catalog.pg_tablespace ts ON ts.oid = ic.reltablespace {} \
             ORDER BY i.indrelid, ic.relname",
            descr("d", "pg_class", "ic.oid")
        );
        let rows = self.q("indexes", &sql, &[&self.relations]).await?;
        Ok(rows
            .iter()
            .map(|r| {
                let cols: Vec<i32> = r.get(11);
                let targets: Vec<i32> = r.get(12);
                Index {
                    meta: meta(r),
                    table: r.get(6),
                    definition: r.get(7),
                    clustered: r.get(8),
                    replica_identity: r.get(9),
                    parent: r.get(10),
                    statistics: cols.into_iter().map(|c| c as i16).zip(targets).collect(),
                    tablespace: r.get(13),
                    constraint: r.get(14),
                    reloptions: r.get::<_, Option<Vec<String>>>(15).unwrap_or_default(),
                }
            })
            .collect())
    }

    pub async fn functions(&self) -> R<Vec<Function>> {
        let body = if self.version >= 140000 {
            "CASE WHEN p.prosqlbody IS NOT NULL THEN pg_catalog.pg_get_function_sqlbody(p.oid) END"
        } else {
            "NULL::text"
        };
        let sql = format!(
            "SELECT p.oid, n.nspname, p.proname, pg_catalog.pg_get_userbyid(p.proowner), p.proacl::text[], \
               d.description, pg_catalog.acldefault('f', p.proowner)::text[], \
               p.prokind::text, pg_catalog.pg_get_function_arguments(p.oid), \
               pg_catalog.pg_get_function_identity_arguments(p.oid), \
               CASE WHEN p.prokind <> 'p' THEN pg_catalog.pg_get_function_result(p.oid) END, \
               l.lanname, p.provolatile::text, p.proisstrict, p.prosecdef, p.proleakproof, p.proparallel::text, \
               p.procost, p.prorows, p.proretset, NULLIF(p.prosupport, 0)::pg_catalog.regproc::text, \
               p.proconfig, p.prosrc, NULLIF(p.probin, '-'), {body}, \
               (SELECT pg_catalog.string_agg('FOR TYPE ' || pg_catalog.format_type(tt, NULL), ', ') \
                  FROM pg_catalog.unnest(p.protrftypes) AS tt) \
             FROM pg_catalog.unnest($1::oid[]) AS s(oid) JOIN pg_catalog.pg_proc p ON p.pronamespace = s.oid \
             JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace \
             JOIN pg_catalog.pg_language l ON l.oid = p.prolang {} \
             WHERE p.prokind IN ('f','p','w') \
               AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend i \
                   WHERE i.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND i.objid = p.oid AND i.deptype = 'i')",
            descr("d", "pg_proc", "p.oid")
        );
        let rows = self.q("functions", &sql, &[&self.schemas]).await?;
        Ok(rows
            .iter()
            .map(|r| {
                let lang: String = r.get(11);
                Function {
                    meta: with_base(meta(r), base_acl(r, 6, 999)),
                    kind: char_of(r, 7),
                    arguments: r.get(8),
                    identity_arguments: r.get(9),
                    result: r.get(10),
                    default_cost: if lang == "c" || lang == "internal" { 1.0 } else { 100.0 },
                    language: lang,
                    volatility: char_of(r, 12),
                    strict: r.get(13),
                    security_definer: r.get(14),
                    leakproof: r.get(15),
                    parallel: char_of(r, 16),
                    cost: r.get(17),
                    rows: r.get(18),
                    returns_set: r.get(19),
                    support: r.get(20),
                    config: r.get::<_, Option<Vec<String>>>(21).unwrap_or_default(),
                    source: r.get(22),
                    bin: r.get(23),
                    sql_body: r.get(24),
                    transforms: r.get(25),
                }
            })
            .collect())
    }

    pub async fn aggregates(&self) -> R<Vec<Aggregate>> {
        let rp = |c: &str| format!("NULLIF(a.{c}, 0)::pg_catalog.regproc::text");
        let sql = format!(
            "SELECT p.oid, n.nspname, p.proname, pg_catalog.pg_get_userbyid(p.proowner), p.proacl::text[], \
               d.description, pg_catalog.acldefault('f', p.proowner)::text[], \
               pg_catalog.pg_get_function_arguments(p.oid), pg_catalog.pg_get_function_identity_arguments(p.oid), \
               a.aggkind::text, a.aggtransfn::pg_catalog.regproc::text, pg_catalog.format_type(a.aggtranstype, NULL), \
               a.aggtransspace, {}, a.aggfinalextra, a.aggfinalmodify::text, {}, {}, {}, a.agginitval, \
               {}, {}, CASE WHEN a.aggmtranstype <> 0 THEN pg_catalog.format_type(a.aggmtranstype, NULL) END, \
               a.aggmtransspace, {}, a.aggmfinalextra, a.aggmfinalmodify::text, a.aggminitval, \
               NULLIF(a.aggsortop, 0)::pg_catalog.regoper::text, p.proparallel::text, p.proisstrict \
             FROM pg_catalog.unnest($1::oid[]) AS s(oid) JOIN pg_catalog.pg_proc p ON p.pronamespace = s.oid \
             JOIN pg_catalog.pg_aggregate a ON a.aggfnoid = p.oid \
             JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace {} \
             WHERE p.prokind = 'a'",
            rp("aggfinalfn"),
            rp("aggcombinefn"),
            rp("aggserialfn"),
            rp("aggdeserialfn"),
            rp("aggmtransfn"),
            rp("aggminvtransfn"),
            rp("aggmfinalfn"),
            descr("d", "pg_proc", "p.oid")
        );
        let rows = self.q("aggregates", &sql, &[&self.schemas]).await?;
        Ok(rows
            .iter()
            .map(|r| Aggregate {
                meta: with_base(meta(r), base_acl(r, 6, 999)),
                arguments: r.get(7),
                identity_arguments: r.get(8),
                kind: char_of(r, 9),
                sfunc: r.get(10),
                stype: r.get(11),
                sspace: r.get(12),
                finalfunc: r.get(13),
                finalextra: r.get(14),
                finalmodify: char_of(r, 15),
                combinefunc: r.get(16),
                serialfunc: r.get(17),
                deserialfunc: r.get(18),
                initcond: r.get(19),
                msfunc: r.get(20),
                minvfunc: r.get(21),
                mstype: r.get(22),
                msspace: r.get(23),
                mfinalfunc: r.get(24),
                mfinalextra: r.get(25),
                mfinalmodify: char_of(r, 26),
                minitcond: r.get(27),
                sortop: r.get(28),
                parallel: char_of(r, 29),
                strict: r.get(30),
            })
            .collect())
    }

    pub async fn operators(&self) -> R<Vec<Operator>> {
        let sql = format!(
            "SELECT o.oid, n.nspname, o.oprname, pg_catalog.pg_get_userbyid(o.oprowner), NULL::text[], d.description, \
               CASE WHEN o.oprleft <> 0 THEN pg_catalog.format_type(o.oprleft, NULL) END, \
               CASE WHEN o.oprright <> 0 THEN pg_catalog.format_type(o.oprright, NULL) END, \
               o.oprcode::pg_catalog.regproc::text, NULLIF(o.oprcom, 0)::pg_catalog.regoper::text, \
               NULLIF(o.oprnegate, 0)::pg_catalog.regoper::text, NULLIF(o.oprrest, 0)::pg_catalog.regproc::text, \
               NULLIF(o.oprjoin, 0)::pg_catalog.regproc::text, o.oprcanhash, o.oprcanmerge \
             FROM pg_catalog.unnest($1::oid[]) AS s(oid) JOIN pg_catalog.pg_operator o ON o.oprnamespace = s.oid \
             JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace {} \
             WHERE o.oprcode <> 0",
            descr("d", "pg_operator", "o.oid")
        );
        let rows = self.q("operators", &sql, &[&self.schemas]).await?;
        Ok(rows
            .iter()
            .map(|r| Operator {
                meta: meta(r),
                left: r.get(6),
                right: r.get(7),
                function: r.get(8),
                commutator: r.get(9),
                negator: r.get(10),
                restrict: r.get(11),
                join: r.get(12),
                hashes: r.get(13),
                merges: r.get(14),
            })
            .collect())
    }

    /// Operator families and classes, with their members (pg_amop and
    /// pg_amproc rows are bound to a class or, when "loose", to a family).
    pub async fn opfamilies_and_classes(&self) -> R<(Vec<OpFamily>, Vec<OpClass>)> {
        let fam_sql = format!(
            "SELECT f.oid, n.nspname, f.opfname, pg_catalog.pg_get_userbyid(f.opfowner), NULL::text[], d.description, \
               am.amname \
             FROM pg_catalog.unnest($1::oid[]) AS s(oid) JOIN pg_catalog.pg_opfamily f ON f.opfnamespace = s.oid \
             JOIN pg_catalog.pg_namespace n ON n.oid = f.opfnamespace \
             JOIN pg_catalog.pg_am am ON am.oid = f.opfmethod {}",
            descr("d", "pg_opfamily", "f.oid")
        );
        let cls_sql = format!(
            "SELECT c.oid, n.nspname, c.opcname, pg_catalog.pg_get_userbyid(c.opcowner), NULL::text[], d.description, \
               am.amname, c.opcdefault, pg_catalog.format_type(c.opcintype, NULL), {}, c.opcfamily, \
               CASE WHEN c.opckeytype <> 0 THEN pg_catalog.format_type(c.opckeytype, NULL) END \
             FROM pg_catalog.unnest($1::oid[]) AS s(oid) JOIN pg_catalog.pg_opclass c ON c.opcnamespace = s.oid \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.opcnamespace \
             JOIN pg_catalog.pg_am am ON am.oid = c.opcmethod \
             JOIN pg_catalog.pg_opfamily f ON f.oid = c.opcfamily \
             JOIN pg_catalog.pg_namespace fn ON fn.oid = f.opfnamespace {}",
            qname("pg_catalog.pg_opfamily_is_visible(f.oid)", "fn.nspname", "f.opfname"),
            descr("d", "pg_opclass", "c.oid")
        );
        let fams = self.q("operator families", &fam_sql, &[&self.schemas]).await?;
        let clss = self.q("operator classes", &cls_sql, &[&self.schemas]).await?;
        let mut families: Vec<OpFamily> = fams
            .iter()
            .map(|r| OpFamily { meta: meta(r), method: r.get(6), loose_members: Vec::new() })
            .collect();
        let mut classes: Vec<OpClass> = clss
            .iter()
            .map(|r| OpClass {
                meta: meta(r),
                method: r.get(6),
                default: r.get(7),
                input_type: r.get(8),
                family: r.get(9),
                family_oid: r.get(10),
                storage: r.get(11),
                members: Vec::new(),
            })
            .collect();
        let fam_oids: Vec<u32> = families.iter().map(|f| f.meta.oid).collect();
        let cls_oids: Vec<u32> = classes.iter().map(|c| c.meta.oid).collect();
        if fam_oids.is_empty() && cls_oids.is_empty() {
            return Ok((families, classes));
        }
        // Members: an amop/amproc row depends on its class (bound) or on its
        // family (loose).
        let sql = "SELECT dep.refclassid, dep.refobjid, m.kind, m.num, m.text FROM ( \
               SELECT 'pg_catalog.pg_amop'::pg_catalog.regclass AS cls, o.oid, 'OPERATOR' AS kind, o.amopstrategy::int4 AS num, \
                 'OPERATOR ' || o.amopstrategy || ' ' || o.amopopr::pg_catalog.regoperator::text || \
                 CASE WHEN o.amoppurpose = 'o' THEN ' FOR ORDER BY ' || \
                   (SELECT CASE WHEN pg_catalog.pg_opfamily_is_visible(sf.oid) THEN pg_catalog.quote_ident(sf.opfname) \
                      ELSE pg_catalog.quote_ident(sn.nspname) || '.' || pg_catalog.quote_ident(sf.opfname) END \
                    FROM pg_catalog.pg_opfamily sf JOIN pg_catalog.pg_namespace sn ON sn.oid = sf.opfnamespace \
                    WHERE sf.oid = o.amopsortfamily) ELSE '' END AS text \
               FROM pg_catalog.pg_amop o WHERE o.amopfamily = ANY($1::oid[]) \
               UNION ALL \
               SELECT 'pg_catalog.pg_amproc'::pg_catalog.regclass, p.oid, 'FUNCTION', p.amprocnum::int4, \
                 'FUNCTION ' || p.amprocnum || ' (' || pg_catalog.format_type(p.amproclefttype, NULL) || ', ' || \
                 pg_catalog.format_type(p.amprocrighttype, NULL) || ') ' || p.amproc::pg_catalog.regprocedure::text \
               FROM pg_catalog.pg_amproc p WHERE p.amprocfamily = ANY($1::oid[]) \
             ) m JOIN pg_catalog.pg_depend dep ON dep.classid = m.cls AND dep.objid = m.oid \
               AND dep.refclassid IN ('pg_catalog.pg_opclass'::pg_catalog.regclass, 'pg_catalog.pg_opfamily'::pg_catalog.regclass) \
             ORDER BY m.kind DESC, m.num, m.text";
        let mut all_fams: Vec<u32> = fam_oids.clone();
        all_fams.extend(classes.iter().map(|c| c.family_oid));
        let rows = self.q("operator class members", sql, &[&all_fams]).await?;
        let cpos: HashMap<u32, usize> = classes.iter().enumerate().map(|(i, c)| (c.meta.oid, i)).collect();
        let fpos: HashMap<u32, usize> = families.iter().enumerate().map(|(i, f)| (f.meta.oid, i)).collect();
        for r in rows {
            let refclass: u32 = r.get(0);
            let refobj: u32 = r.get(1);
            let text: String = r.get(4);
            if refclass == class::PG_OPCLASS {
                if let Some(&i) = cpos.get(&refobj) {
                    classes[i].members.push(text);
                }
            } else if let Some(&i) = fpos.get(&refobj) {
                families[i].loose_members.push(text);
            }
        }
        Ok((families, classes))
    }

    pub async fn access_methods(&self) -> R<Vec<AccessMethod>> {
        if !self.database_level {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT a.oid, a.amname, a.amtype::text, a.amhandler::pg_catalog.regproc::text, d.description \
             FROM pg_catalog.pg_am a {} WHERE a.oid >= 16384",
            descr("d", "pg_am", "a.oid")
        );
        let rows = self.q("access methods", &sql, &[]).await?;
        Ok(rows
            .iter()
            .map(|r| AccessMethod {
                oid: r.get(0),
                name: r.get(1),
                kind: char_of(r, 2),
                handler: r.get(3),
                comment: r.get(4),
            })
            .collect())
    }

    pub async fn transforms(&self) -> R<Vec<Transform>> {
        if !self.database_level {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT t.oid, pg_catalog.format_type(t.trftype, NULL), l.lanname, \
               NULLIF(t.trffromsql, 0)::pg_catalog.regprocedure::text, NULLIF(t.trftosql, 0)::pg_catalog.regprocedure::text, \
               d.description \
             FROM pg_catalog.pg_transform t JOIN pg_catalog.pg_language l ON l.oid = t.trflang {} WHERE t.oid >= 16384",
            descr("d", "pg_transform", "t.oid")
        );
        let rows = self.q("transforms", &sql, &[]).await?;
        Ok(rows
            .iter()
            .map(|r| Transform {
                oid: r.get(0),
                type_name: r.get(1),
                language: r.get(2),
                from_sql: r.get(3),
                to_sql: r.get(4),
                comment: r.get(5),
            })
            .collect())
    }

    pub async fn casts(&self) -> R<Vec<Cast>> {
        if !self.database_level {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT c.oid, pg_catalog.format_type(c.castsource, NULL), pg_catalog.format_type(c.casttarget, NULL), \
               NULLIF(c.castfunc, 0)::pg_catalog.regprocedure::text, c.castmethod::text, c.castcontext::text, d.description \
             FROM pg_catalog.pg_cast c {} WHERE c.oid >= 16384 \
               AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend i WHERE i.classid = 'pg_catalog.pg_cast'::pg_catalog.regclass \
                   AND i.objid = c.oid AND i.deptype = 'i')",
            descr("d", "pg_cast", "c.oid")
        );
        let rows = self.q("casts", &sql, &[]).await?;
        Ok(rows
            .iter()
            .map(|r| Cast {
                oid: r.get(0),
                source: r.get(1),
                target: r.get(2),
                function: r.get(3),
                method: char_of(r, 4),
                context: char_of(r, 5),
                comment: r.get(6),
            })
            .collect())
    }

    pub async fn conversions(&self) -> R<Vec<Conversion>> {
        let sql = format!(
            "SELECT c.oid, n.nspname, c.conname, pg_catalog.pg_get_userbyid(c.conowner), NULL::text[], d.description, \
               pg_catalog.pg_encoding_to_char(c.conforencoding)::text, pg_catalog.pg_encoding_to_char(c.contoencoding)::text, \
               c.conproc::pg_catalog.regproc::text, c.condefault \
             FROM pg_catalog.unnest($1::oid[]) AS s(oid) JOIN pg_catalog.pg_conversion c ON c.connamespace = s.oid \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.connamespace {}",
            descr("d", "pg_conversion", "c.oid")
        );
        let rows = self.q("conversions", &sql, &[&self.schemas]).await?;
        Ok(rows
            .iter()
            .map(|r| Conversion {
                meta: meta(r),
                source_encoding: r.get(6),
                target_encoding: r.get(7),
                function: r.get(8),
                default: r.get(9),
            })
            .collect())
    }

    pub async fn text_search(&self) -> R<Vec<TextSearchObject>> {
        let rp = |c: &str| format!("{c}::pg_catalog.regproc::text");
        let parsers = format!(
            "SELECT p.oid, n.nspname, p.prsname, NULL::text, NULL::text[], d.description, \
               {}, {}, {}, {}, NULLIF(p.prsheadline, 0)::pg_catalog.regproc::text \
             FROM pg_catalog.unnest($1::oid[]) AS s(oid) JOIN pg_catalog.pg_ts_parser p ON p.prsnamespace = s.oid \
             JOIN pg_catalog.pg_namespace n ON n.oid = p.prsnamespace {}",
            rp("p.prsstart"),
            rp("p.prstoken"),
            rp("p.prsend"),
            rp("p.prslextype"),
            descr("d", "pg_ts_parser", "p.oid")
        );
        let templates = format!(
            "SELECT t.oid, n.nspname, t.tmplname, NULL::text, NULL::text[], d.description, \
               NULLIF(t.tmplinit, 0)::pg_catalog.regproc::text, {} \
             FROM pg_catalog.unnest($1::oid[]) AS s(oid) JOIN pg_catalog.pg_ts_template t ON t.tmplnamespace = s.oid \
             JOIN pg_catalog.pg_namespace n ON n.oid = t.tmplnamespace {}",
            rp("t.tmpllexize"),
            descr("d", "pg_ts_template", "t.oid")
        );
        let dicts = format!(
            "SELECT t.oid, n.nspname, t.dictname, pg_catalog.pg_get_userbyid(t.dictowner), NULL::text[], d.description, \
               {}, t.dictinitoption \
             FROM pg_catalog.unnest($1::oid[]) AS s(oid) JOIN pg_catalog.pg_ts_dict t ON t.dictnamespace = s.oid \
             JOIN pg_catalog.pg_namespace n ON n.oid = t.dictnamespace \
             JOIN pg_catalog.pg_ts_template tt ON tt.oid = t.dicttemplate \
             JOIN pg_catalog.pg_namespace tn ON tn.oid = tt.tmplnamespace {}",
            qname("pg_catalog.pg_ts_template_is_visible(tt.oid)", "tn.nspname", "tt.tmplname"),
            descr("d", "pg_ts_dict", "t.oid")
        );
        let configs = format!(
            "SELECT c.oid, n.nspname, c.cfgname, pg_catalog.pg_get_userbyid(c.cfgowner), NULL::text[], d.description, \
               {}, \
               ARRAY(SELECT tt.alias || '=' || pg_catalog.array_to_string(ARRAY( \
                   SELECT m2.mapdict::pg_catalog.regdictionary::text FROM pg_catalog.pg_ts_config_map m2 \
                   WHERE m2.mapcfg = c.oid AND m2.maptokentype = m.maptokentype ORDER BY m2.mapseqno), ',') \
                 FROM (SELECT DISTINCT maptokentype FROM pg_catalog.pg_ts_config_map WHERE mapcfg = c.oid) m \
                 JOIN pg_catalog.ts_token_type(c.cfgparser) tt ON tt.tokid = m.maptokentype \
                 ORDER BY m.maptokentype) \
             FROM pg_catalog.unnest($1::oid[]) AS s(oid) JOIN pg_catalog.pg_ts_config c ON c.cfgnamespace = s.oid \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.cfgnamespace \
             JOIN pg_catalog.pg_ts_parser p ON p.oid = c.cfgparser \
             JOIN pg_catalog.pg_namespace pn ON pn.oid = p.prsnamespace {}",
            qname("pg_catalog.pg_ts_parser_is_visible(p.oid)", "pn.nspname", "p.prsname"),
            descr("d", "pg_ts_config", "c.oid")
        );
        let mut out = Vec::new();
        for r in self.q("text search parsers", &parsers, &[&self.schemas]).await? {
            out.push(TextSearchObject {
                meta: meta(&r),
                kind: TextSearch::Parser {
                    start: r.get(6),
                    gettoken: r.get(7),
                    end: r.get(8),
                    lextypes: r.get(9),
                    headline: r.get(10),
                },
            });
        }
        for r in self.q("text search templates", &templates, &[&self.schemas]).await? {
            out.push(TextSearchObject {
                meta: meta(&r),
                kind: TextSearch::Template { init: r.get(6), lexize: r.get(7) },
            });
        }
        for r in self.q("text search dictionaries", &dicts, &[&self.schemas]).await? {
            out.push(TextSearchObject {
                meta: meta(&r),
                kind: TextSearch::Dictionary { template: r.get(6), options: r.get(7) },
            });
        }
        for r in self.q("text search configurations", &configs, &[&self.schemas]).await? {
            // Token aliases are plain words, dictionary names are regdictionary
            // output (already quoted): split on the first '='.
            let maps: Vec<String> = r.get(7);
            let mappings = maps
                .into_iter()
                .filter_map(|m| {
                    let (alias, dicts) = m.split_once('=')?;
                    Some((alias.to_string(), split_name_list(dicts)))
                })
                .collect();
            out.push(TextSearchObject {
                meta: meta(&r),
                kind: TextSearch::Configuration { parser: r.get(6), mappings },
            });
        }
        Ok(out)
    }

    pub async fn triggers(&self) -> R<Vec<Trigger>> {
        let sql = format!(
            "SELECT t.oid, t.tgrelid, t.tgname, pg_catalog.pg_get_triggerdef(t.oid, true), t.tgenabled::text, \
               NULLIF(t.tgconstraint, 0), d.description, NULLIF(t.tgparentid, 0) \
             FROM pg_catalog.unnest($1::oid[]) AS s(oid) JOIN pg_catalog.pg_trigger t ON t.tgrelid = s.oid {} \
             LEFT JOIN pg_catalog.pg_trigger pt ON pt.oid = t.tgparentid \
             WHERE NOT t.tgisinternal AND (t.tgparentid = 0 OR t.tgenabled <> pt.tgenabled) \
             ORDER BY t.tgrelid, t.tgname",
            descr("d", "pg_trigger", "t.oid")
        );
        let rows = self.q("triggers", &sql, &[&self.relations]).await?;
        Ok(rows
            .iter()
            .map(|r| Trigger {
                oid: r.get(0),
                table: r.get(1),
                name: r.get(2),
                definition: r.get(3),
                enabled: char_of(r, 4),
                constraint: r.get(5),
                comment: r.get(6),
                parent: r.get(7),
            })
            .collect())
    }

    pub async fn event_triggers(&self) -> R<Vec<EventTrigger>> {
        if !self.database_level {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT e.oid, NULL::text, e.evtname, pg_catalog.pg_get_userbyid(e.evtowner), NULL::text[], d.description, \
               e.evtevent::text, e.evtfoid::pg_catalog.regproc::text, COALESCE(e.evttags, '{{}}'), e.evtenabled::text \
             FROM pg_catalog.pg_event_trigger e {}",
            descr("d", "pg_event_trigger", "e.oid")
        );
        let rows = self.q("event triggers", &sql, &[]).await?;
        Ok(rows
            .iter()
            .map(|r| EventTrigger {
                meta: meta(r),
                event: r.get(6),
                function: r.get(7),
                tags: r.get(8),
                enabled: char_of(r, 9),
            })
            .collect())
    }

    pub async fn rules(&self) -> R<Vec<Rule>> {
        let sql = format!(
            "SELECT r.oid, r.ev_class, r.rulename, pg_catalog.pg_get_ruledef(r.oid, true), r.ev_enabled::text, d.description \
             FROM pg_catalog.unnest($1::oid[]) AS s(oid) JOIN pg_catalog.pg_rewrite r ON r.ev_class = s.oid {} \
             WHERE r.rulename <> '_RETURN' ORDER BY r.ev_class, r.rulename",
            descr("d", "pg_rewrite", "r.oid")
        );
        let rows = self.q("rules", &sql, &[&self.relations]).await?;
        Ok(rows
            .iter()
            .map(|r| Rule {
                oid: r.get(0),
                table: r.get(1),
                name: r.get(2),
                definition: r.get(3),
                enabled: char_of(r, 4),
                comment: r.get(5),
            })
            .collect())
    }

    pub async fn policies(&self) -> R<Vec<Policy>> {
        let sql = format!(
            "SELECT p.oid, p.polrelid, p.polname, p.polcmd::text, p.polpermissive, \
               ARRAY(SELECT pg_catalog.pg_get_userbyid(x) FROM pg_catalog.unnest(p.polroles) AS x WHERE x <> 0::pg_catalog.oid ORDER BY 1), \
               pg_catalog.pg_get_expr(p.polqual, p.polrelid), pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid), \
               d.description \
             FROM pg_catalog.unnest($1::oid[]) AS s(oid) JOIN pg_catalog.pg_policy p ON p.polrelid = s.oid {} \
             ORDER BY p.polrelid, p.polname",
            descr("d", "pg_policy", "p.oid")
        );
        let rows = self.q("policies", &sql, &[&self.relations]).await?;
        Ok(rows
            .iter()
            .map(|r| Policy {
                oid: r.get(0),
                table: r.get(1),
                name: r.get(2),
                command: char_of(r, 3),
                permissive: r.get(4),
                roles: r.get(5),
                using: r.get(6),
                with_check: r.get(7),
                comment: r.get(8),
            })
            .collect())
    }

    pub async fn statistics(&self) -> R<Vec<Statistics>> {
        let target = if self.version >= 170000 {
            "x.stxstattarget::int4"
        } else {
            "NULLIF(x.stxstattarget, -1)::int4"
        };
        // pg_get_statisticsobjdef always qualifies the object's own name:
        // cut it off and keep the rest, which follows search_path.
        let sql = format!(
            "SELECT x.oid, n.nspname, x.stxname, pg_catalog.pg_get_userbyid(x.stxowner), NULL::text[], d.description, \
               x.stxrelid, \
               pg_catalog.substr(pg_catalog.pg_get_statisticsobjdef(x.oid), \
                 pg_catalog.length('CREATE STATISTICS ' || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(x.stxname)) + 1), \
               {target} \
             FROM pg_catalog.unnest($1::oid[]) AS s(oid) JOIN pg_catalog.pg_statistic_ext x ON x.stxrelid = s.oid \
             JOIN pg_catalog.pg_namespace n ON n.oid = x.stxnamespace {}",
            descr("d", "pg_statistic_ext", "x.oid")
        );
        let rows = self.q("extended statistics", &sql, &[&self.relations]).await?;
        Ok(rows
            .iter()
            .map(|r| Statistics {
                meta: meta(r),
                table: r.get(6),
                definition_tail: r.get(7),
                target: r.get(8),
            })
            .collect())
    }

    pub async fn foreign(&self, warnings: &mut Vec<String>) -> R<(Vec<ForeignDataWrapper>, Vec<ForeignServer>, Vec<UserMapping>)> {
        if !self.database_level {
            return Ok(Default::default());
        }
        let fdw_sql = format!(
            "SELECT w.oid, NULL::text, w.fdwname, pg_catalog.pg_get_userbyid(w.fdwowner), w.fdwacl::text[], d.description, \
               pg_catalog.acldefault('F', w.fdwowner)::text[], \
               NULLIF(w.fdwhandler, 0)::pg_catalog.regproc::text, NULLIF(w.fdwvalidator, 0)::pg_catalog.regproc::text, \
               w.fdwoptions \
             FROM pg_catalog.pg_foreign_data_wrapper w {}",
            descr("d", "pg_foreign_data_wrapper", "w.oid")
        );
        let srv_sql = format!(
            "SELECT s.oid, NULL::text, s.srvname, pg_catalog.pg_get_userbyid(s.srvowner), s.srvacl::text[], d.description, \
               pg_catalog.acldefault('S', s.srvowner)::text[], \
               w.fdwname, s.srvtype, s.srvversion, s.srvoptions \
             FROM pg_catalog.pg_foreign_server s JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw {}",
            descr("d", "pg_foreign_server", "s.oid")
        );
        let um_sql = "SELECT u.umid, CASE WHEN u.umuser <> 0 THEN u.usename::text END, u.srvname, u.umoptions \
                      FROM pg_catalog.pg_user_mappings u";
        let mut fdws = Vec::new();
        let members = self.extension_members().await?;
        for r in self.q("foreign data wrappers", &fdw_sql, &[]).await? {
            let m = meta(&r);
            if members.contains_key(&ObjRef { classid: class::PG_FOREIGN_DATA_WRAPPER, objid: m.oid }) {
                continue;
            }
            fdws.push(ForeignDataWrapper {
                meta: with_base(m, base_acl(&r, 6, 999)),
                handler: r.get(7),
                validator: r.get(8),
                options: r.get::<_, Option<Vec<String>>>(9).unwrap_or_default(),
            });
        }
        let servers = self
            .q("foreign servers", &srv_sql, &[])
            .await?
            .iter()
            .map(|r| ForeignServer {
                meta: with_base(meta(r), base_acl(r, 6, 999)),
                wrapper: r.get(7),
                server_type: r.get(8),
                version: r.get(9),
                options: r.get::<_, Option<Vec<String>>>(10).unwrap_or_default(),
            })
            .collect();
        let mut mappings = Vec::new();
        for r in self.q("user mappings", um_sql, &[]).await? {
            let role: Option<String> = r.get(1);
            let server: String = r.get(2);
            let options: Vec<String> = r.get::<_, Option<Vec<String>>>(3).unwrap_or_default();
            let (secret, kept): (Vec<String>, Vec<String>) =
                options.into_iter().partition(|o| o.starts_with("password="));
            if !secret.is_empty() {
                warnings.push(format!(
                    "user mapping for {} on server {server}: its password option is not dumped (set it again after restore)",
                    role.as_deref().unwrap_or("PUBLIC")
                ));
            }
            mappings.push(UserMapping { oid: r.get(0), role, server, options: kept });
        }
        Ok((fdws, servers, mappings))
    }

    pub async fn publications(&self) -> R<Vec<Publication>> {
        if !self.database_level {
            return Ok(Vec::new());
        }
        let v15 = self.version >= 150000;
        let sql = format!(
            "SELECT p.oid, NULL::text, p.pubname, pg_catalog.pg_get_userbyid(p.pubowner), NULL::text[], d.description, \
               p.puballtables, \
               pg_catalog.concat_ws(', ', CASE WHEN p.pubinsert THEN 'insert' END, CASE WHEN p.pubupdate THEN 'update' END, \
                 CASE WHEN p.pubdelete THEN 'delete' END, CASE WHEN p.pubtruncate THEN 'truncate' END), \
               p.pubviaroot, {} \
             FROM pg_catalog.pg_publication p {}",
            if v15 {
                "ARRAY(SELECT pg_catalog.quote_ident(n.nspname) FROM pg_catalog.pg_publication_namespace pn \
                   JOIN pg_catalog.pg_namespace n ON n.oid = pn.pnnspid WHERE pn.pnpubid = p.oid ORDER BY 1)"
            } else {
                "ARRAY[]::text[]"
            },
            descr("d", "pg_publication", "p.oid")
        );
        let rel_sql = format!(
            "SELECT pr.prpubid, pr.prrelid, {} FROM pg_catalog.pg_publication_rel pr ORDER BY pr.prrelid",
            if v15 {
                "(SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY a.attnum) \
                   FROM pg_catalog.pg_attribute a WHERE a.attrelid = pr.prrelid AND a.attnum = ANY(pr.prattrs)), \
                 pg_catalog.pg_get_expr(pr.prqual, pr.prrelid)"
            } else {
                "NULL::text, NULL::text"
            }
        );
        let mut pubs: Vec<Publication> = self
            .q("publications", &sql, &[])
            .await?
            .iter()
            .map(|r| Publication {
                meta: meta(r),
                all_tables: r.get(6),
                publish: r.get(7),
                via_root: r.get(8),
                schemas: r.get(9),
                tables: Vec::new(),
            })
            .collect();
        let pos: HashMap<u32, usize> = pubs.iter().enumerate().map(|(i, p)| (p.meta.oid, i)).collect();
        for r in self.q("publication tables", &rel_sql, &[]).await? {
            let p: u32 = r.get(0);
            if let Some(&i) = pos.get(&p) {
                pubs[i].tables.push((r.get(1), r.get(2), r.get(3)));
            }
        }
        Ok(pubs)
    }

    /// Procedural languages with a handler of their own. Built-in and
    /// extension languages are left to initdb and CREATE EXTENSION (their
    /// changed privileges are read with the extension members').
    pub async fn languages(&self) -> R<Vec<Language>> {
        if !self.database_level {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT l.oid, NULL::text, l.lanname, pg_catalog.pg_get_userbyid(l.lanowner), l.lanacl::text[], d.description, \
               pg_catalog.acldefault('l', l.lanowner)::text[], l.lanpltrusted, \
               hn.nspname, h.proname, h.oid, inn.nspname, ip.proname, ip.oid, vn.nspname, vp.proname, vp.oid \
             FROM pg_catalog.pg_language l \
             JOIN pg_catalog.pg_proc h ON h.oid = l.lanplcallfoid \
             JOIN pg_catalog.pg_namespace hn ON hn.oid = h.pronamespace \
             LEFT JOIN pg_catalog.pg_proc ip ON ip.oid = l.laninline \
             LEFT JOIN pg_catalog.pg_namespace inn ON inn.oid = ip.pronamespace \
             LEFT JOIN pg_catalog.pg_proc vp ON vp.oid = l.lanvalidator \
             LEFT JOIN pg_catalog.pg_namespace vn ON vn.oid = vp.pronamespace {} \
             WHERE l.lanispl AND l.oid >= 16384 ORDER BY l.lanname",
            descr("d", "pg_language", "l.oid")
        );
        let rows = self.q("languages", &sql, &[]).await?;
        let func = |r: &Row, i: usize| -> Option<(String, String, u32)> {
            let schema: Option<String> = r.get(i);
            let name: Option<String> = r.get(i + 1);
            let oid: Option<u32> = r.get(i + 2);
            Some((schema?, name?, oid?))
        };
        rows.iter()
            .map(|r| {
                let meta = with_base(meta(r), base_acl(r, 6, 999));
                let handler = func(r, 8).ok_or_else(|| {
                    CatalogError::Scope(format!("procedural language {} has no call handler in pg_proc", meta.name))
                })?;
                Ok(Language { meta, trusted: r.get(7), handler, inline: func(r, 11), validator: func(r, 14) })
            })
            .collect()
    }

    /// Grants on system columns (`GRANT SELECT (ctid) ON t ...`): pg_dump
    /// reads every column ACL, whatever the column's number.
    pub async fn system_column_acls(&self) -> R<Vec<SystemColumnAcl>> {
        let rows = self
            .q(
                "system column privileges",
                "SELECT a.attrelid, a.attname, a.attacl::text[] \
                 FROM pg_catalog.unnest($1::oid[]) AS s(oid) JOIN pg_catalog.pg_attribute a ON a.attrelid = s.oid \
                 WHERE a.attnum < 0 AND a.attacl IS NOT NULL ORDER BY a.attrelid, a.attnum DESC",
                &[&self.relations],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| SystemColumnAcl { table: r.get(0), column: r.get(1), acl: r.get(2) })
            .collect())
    }

    /// Subscriptions of the current database, read as pg_dump reads them.
    /// Their connection strings are readable by superusers only
    /// (`subconninfo` is not granted to PUBLIC): without that privilege
    /// the subscriptions are named in a warning instead, never skipped
    /// silently. Warnings never quote a connection string.
    pub async fn subscriptions(&self) -> R<(Vec<Subscription>, Vec<String>)> {
        if !self.database_level {
            return Ok((Vec::new(), Vec::new()));
        }
        let this_db = "s.subdbid = (SELECT db.oid FROM pg_catalog.pg_database db \
                       WHERE db.datname = pg_catalog.current_database())";
        let probe = self
            .q(
                "subscription privileges",
                &format!(
                    "SELECT pg_catalog.has_column_privilege('pg_catalog.pg_subscription'::pg_catalog.regclass, 'subconninfo', 'SELECT'), \
                       ARRAY(SELECT pg_catalog.quote_ident(s.subname) FROM pg_catalog.pg_subscription s WHERE {this_db} ORDER BY 1)"
                ),
                &[],
            )
            .await?;
        let (readable, names): (bool, Vec<String>) = match probe.first() {
            Some(r) => (r.get(0), r.get(1)),
            None => (false, Vec::new()),
        };
        if names.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        if !readable {
            return Ok((
                Vec::new(),
                vec![format!(
                    "subscriptions not dumped ({}): their connection strings are readable by superusers only: {}",
                    names.len(),
                    names.join(", ")
                )],
            ));
        }
        let v = self.version;
        // substream is a boolean before 16 and a "char" ('f', 't', 'p') from 16 on.
        let streaming = if v >= 160000 {
            "s.substream::text"
        } else if v >= 140000 {
            "CASE WHEN s.substream THEN 't' ELSE 'f' END"
        } else {
            "NULL::text"
        };
        let binary = if v >= 140000 { "s.subbinary" } else { "false" };
        let v15 = if v >= 150000 { "s.subtwophasestate <> 'd', s.subdisableonerr" } else { "false, false" };
        let v16 = if v >= 160000 {
            "s.subpasswordrequired, s.subrunasowner, s.suborigin"
        } else {
            "true, false, NULL::text"
        };
        let v17 = if v >= 170000 { "s.subfailover" } else { "false" };
        let sql = format!(
            "SELECT s.oid, NULL::text, s.subname, pg_catalog.pg_get_userbyid(s.subowner), NULL::text[], d.description, \
               s.subconninfo, s.subslotname, s.subpublications::text[], s.subsynccommit, \
               {binary}, {streaming}, {v15}, {v16}, {v17} \
             FROM pg_catalog.pg_subscription s {} \
             WHERE {this_db} ORDER BY s.subname",
            // pg_subscription is a shared catalog, but COMMENT keeps
            // shared comments only for databases, tablespaces and roles.
            descr("d", "pg_subscription", "s.oid")
        );
        let rows = self.q("subscriptions", &sql, &[]).await?;
        let mut warnings = Vec::new();
        let subs = rows
            .iter()
            .map(|r| {
                let conninfo = SecretText::new(r.get(6));
                if conninfo_has_password(conninfo.expose()) {
                    let m = meta(r);
                    warnings.push(format!(
                        "subscription {} has a password in its connection string: the script holds it, as pg_dump's does",
                        crate::sql::quote::quote_ident(&m.name)
                    ));
                }
                Subscription {
                    meta: meta(r),
                    conninfo,
                    slot_name: r.get(7),
                    publications: r.get(8),
                    synchronous_commit: r.get(9),
                    binary: r.get(10),
                    streaming: opt_char(r, 11),
                    two_phase: r.get(12),
                    disable_on_error: r.get(13),
                    password_required: r.get(14),
                    run_as_owner: r.get(15),
                    origin: r.get(16),
                    failover: r.get(17),
                }
            })
            .collect();
        Ok((subs, warnings))
    }

    pub async fn large_objects(&self) -> R<Vec<LargeObject>> {
        if !self.large_objects {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT l.oid, NULL::text, l.oid::text, pg_catalog.pg_get_userbyid(l.lomowner), l.lomacl::text[], d.description, \
               pg_catalog.acldefault('L', l.lomowner)::text[] \
             FROM pg_catalog.pg_largeobject_metadata l {} ORDER BY l.oid",
            descr("d", "pg_largeobject", "l.oid")
        );
        let rows = self.q("large objects", &sql, &[]).await?;
        Ok(rows
            .iter()
            .map(|r| LargeObject { meta: with_base(meta(r), base_acl(r, 6, 999)) })
            .collect())
    }

    pub async fn default_acls(&self) -> R<Vec<DefaultAcl>> {
        let sql = "SELECT a.oid, pg_catalog.pg_get_userbyid(a.defaclrole), n.nspname, a.defaclobjtype::text, \
                     a.defaclacl::text[], \
                     CASE WHEN a.defaclnamespace = 0 THEN pg_catalog.acldefault( \
                       CASE a.defaclobjtype WHEN 'S' THEN 's' ELSE a.defaclobjtype END, a.defaclrole)::text[] \
                     ELSE ARRAY[]::text[] END \
                   FROM pg_catalog.pg_default_acl a \
                   LEFT JOIN pg_catalog.pg_namespace n ON n.oid = a.defaclnamespace \
                   WHERE ($2 AND a.defaclnamespace = 0) OR a.defaclnamespace = ANY($1::oid[])";
        let rows = self
            .q("default privileges", sql, &[&self.schemas, &self.database_level])
            .await?;
        Ok(rows
            .iter()
            .map(|r| DefaultAcl {
                oid: r.get(0),
                role: r.get(1),
                schema: r.get(2),
                object_type: char_of(r, 3),
                acl: r.get(4),
                base: r.get(5),
            })
            .collect())
    }

    pub async fn extension_acls(&self) -> R<Vec<ExtensionMemberAcl>> {
        if !self.database_level {
            return Ok(Vec::new());
        }
        let sql = "SELECT dep.refobjid, \
               CASE dep.classid \
                 WHEN 'pg_catalog.pg_proc'::pg_catalog.regclass THEN (SELECT CASE p.prokind WHEN 'p' THEN 'PROCEDURE ' ELSE 'FUNCTION ' END \
                     || p.oid::pg_catalog.regprocedure::text FROM pg_catalog.pg_proc p WHERE p.oid = dep.objid) \
                 WHEN 'pg_catalog.pg_class'::pg_catalog.regclass THEN (SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE ' ELSE 'TABLE ' END \
                     || c.oid::pg_catalog.regclass::text FROM pg_catalog.pg_class c WHERE c.oid = dep.objid) \
                 WHEN 'pg_catalog.pg_type'::pg_catalog.regclass THEN 'TYPE ' || pg_catalog.format_type(dep.objid, NULL) \
                 WHEN 'pg_catalog.pg_foreign_data_wrapper'::pg_catalog.regclass THEN (SELECT 'FOREIGN DATA WRAPPER ' \
                     || pg_catalog.quote_ident(w.fdwname) FROM pg_catalog.pg_foreign_data_wrapper w WHERE w.oid = dep.objid) \
                 WHEN 'pg_catalog.pg_language'::pg_catalog.regclass THEN (SELECT 'LANGUAGE ' \
                     || pg_catalog.quote_ident(l.lanname) FROM pg_catalog.pg_language l WHERE l.oid = dep.objid) \
               END, \
               NULL::text, \
               CASE dep.classid \
                 WHEN 'pg_catalog.pg_proc'::pg_catalog.regclass THEN (SELECT p.proacl::text[] FROM pg_catalog.pg_proc p WHERE p.oid = dep.objid) \
                 WHEN 'pg_catalog.pg_class'::pg_catalog.regclass THEN (SELECT c.relacl::text[] FROM pg_catalog.pg_class c WHERE c.oid = dep.objid) \
                 WHEN 'pg_catalog.pg_type'::pg_catalog.regclass THEN (SELECT t.typacl::text[] FROM pg_catalog.pg_type t WHERE t.oid = dep.objid) \
                 WHEN 'pg_catalog.pg_foreign_data_wrapper'::pg_catalog.regclass THEN (SELECT w.fdwacl::text[] \
                     FROM pg_catalog.pg_foreign_data_wrapper w WHERE w.oid = dep.objid) \
                 WHEN 'pg_catalog.pg_language'::pg_catalog.regclass THEN (SELECT l.lanacl::text[] \
                     FROM pg_catalog.pg_language l WHERE l.oid = dep.objid) \
               END, \
               COALESCE(ip.initprivs::text[], CASE dep.classid \
                 WHEN 'pg_catalog.pg_proc'::pg_catalog.regclass THEN (SELECT pg_catalog.acldefault('f', p.proowner)::text[] \
                     FROM pg_catalog.pg_proc p WHERE p.oid = dep.objid) \
                 WHEN 'pg_catalog.pg_class'::pg_catalog.regclass THEN (SELECT pg_catalog.acldefault( \
                     (CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END)::pg_catalog.\"char\", c.relowner)::text[] FROM pg_catalog.pg_class c WHERE c.oid = dep.objid) \
                 WHEN 'pg_catalog.pg_type'::pg_catalog.regclass THEN (SELECT pg_catalog.acldefault('T', t.typowner)::text[] \
                     FROM pg_catalog.pg_type t WHERE t.oid = dep.objid) \
                 WHEN 'pg_catalog.pg_foreign_data_wrapper'::pg_catalog.regclass THEN (SELECT pg_catalog.acldefault('F', w.fdwowner)::text[] \
                     FROM pg_catalog.pg_foreign_data_wrapper w WHERE w.oid = dep.objid) \
                 WHEN 'pg_catalog.pg_language'::pg_catalog.regclass THEN (SELECT pg_catalog.acldefault('l', l.lanowner)::text[] \
                     FROM pg_catalog.pg_language l WHERE l.oid = dep.objid) END) \
             FROM pg_catalog.pg_depend dep \
             LEFT JOIN pg_catalog.pg_init_privs ip ON ip.classoid = dep.classid AND ip.objoid = dep.objid AND ip.objsubid = 0 \
             WHERE dep.deptype = 'e' AND dep.classid IN ('pg_catalog.pg_proc'::pg_catalog.regclass, 'pg_catalog.pg_class'::pg_catalog.regclass, \
               'pg_catalog.pg_type'::pg_catalog.regclass, 'pg_catalog.pg_foreign_data_wrapper'::pg_catalog.regclass, \
               'pg_catalog.pg_language'::pg_catalog.regclass) \
             ORDER BY 2";
        let rows = self.q("extension member privileges", sql, &[]).await?;
        let mut out = Vec::new();
        for r in rows {
            let on: Option<String> = r.get(1);
            let acl: Option<Vec<String>> = r.get(3);
            let initial: Vec<String> = r.get::<_, Option<Vec<String>>>(4).unwrap_or_default();
            let (Some(on), Some(acl)) = (on, acl) else { continue };
            let mut a = acl.clone();
            let mut b = initial.clone();
            a.sort();
            b.sort();
            if a != b {
                out.push(ExtensionMemberAcl { extension: r.get(0), on, column: r.get(2), acl, initial });
            }
        }
        Ok(out)
    }

    /// Privileges on built-in objects (system catalogs and their columns,
    /// system columns such as `tableoid` included, as pg_dump reads them;
    /// pg_catalog functions) changed from what initdb set (`pg_init_privs`).
    pub async fn system_acls(&self) -> R<Vec<ExtensionMemberAcl>> {
        if !self.database_level {
            return Ok(Vec::new());
        }
        // Names are spelt out qualified: regclass/regprocedure leave
        // pg_catalog's unqualified, and the script names everything.
        let sql = "SELECT 'TABLE ' || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname), \
                 NULL::text, c.relacl::text[], \
                 COALESCE(ip.initprivs::text[], pg_catalog.acldefault('r', c.relowner)::text[]) \
               FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
               LEFT JOIN pg_catalog.pg_init_privs ip ON ip.objoid = c.oid \
                 AND ip.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND ip.objsubid = 0 \
               WHERE c.relnamespace IN ('pg_catalog'::pg_catalog.regnamespace, 'information_schema'::pg_catalog.regnamespace) \
                 AND c.relacl IS NOT NULL AND c.relkind IN ('r','v','m','S','f','p') \
             UNION ALL \
             SELECT 'TABLE ' || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname), \
                 pg_catalog.quote_ident(a.attname), a.attacl::text[], \
                 COALESCE(ip.initprivs::text[], ARRAY[]::text[]) \
               FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
               JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
               LEFT JOIN pg_catalog.pg_init_privs ip ON ip.objoid = c.oid \
                 AND ip.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND ip.objsubid = a.attnum \
               WHERE c.relnamespace IN ('pg_catalog'::pg_catalog.regnamespace, 'information_schema'::pg_catalog.regnamespace) \
                 AND a.attacl IS NOT NULL AND a.attnum <> 0 AND NOT a.attisdropped \
             UNION ALL \
             SELECT 'FUNCTION pg_catalog.' || pg_catalog.quote_ident(p.proname) || '(' \
                 || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')', NULL::text, p.proacl::text[], \
                 COALESCE(ip.initprivs::text[], pg_catalog.acldefault('f', p.proowner)::text[]) \
               FROM pg_catalog.pg_proc p \
               LEFT JOIN pg_catalog.pg_init_privs ip ON ip.objoid = p.oid \
                 AND ip.classoid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND ip.objsubid = 0 \
               WHERE p.pronamespace = 'pg_catalog'::pg_catalog.regnamespace AND p.proacl IS NOT NULL \
             ORDER BY 1, 2";
        let rows = self.q("system object privileges", sql, &[]).await?;
        let mut out = Vec::new();
        for r in rows {
            let acl: Vec<String> = r.get(2);
            let initial: Vec<String> = r.get(3);
            let (mut a, mut b) = (acl.clone(), initial.clone());
            a.sort();
            b.sort();
            if a != b {
                out.push(ExtensionMemberAcl { extension: 0, on: r.get(0), column: r.get(1), acl, initial });
            }
        }
        Ok(out)
    }

    pub async fn security_labels(&self) -> R<Vec<String>> {
        let rows = self
            .q(
                "security labels",
                "SELECT pg_catalog.pg_describe_object(classoid, objoid, objsubid) || ' (provider ' || provider || ')' \
                 FROM pg_catalog.pg_seclabel ORDER BY 1",
                &[],
            )
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// `pg_depend` rows leaving any of `keys`, to user objects.
    pub async fn dependencies(&self, keys: &[ObjRef]) -> R<Vec<Dependency>> {
        let classes: Vec<u32> = keys.iter().map(|k| k.classid).collect();
        let objs: Vec<u32> = keys.iter().map(|k| k.objid).collect();
        let rows = self
            .q(
                "dependencies",
                "SELECT d.classid, d.objid, d.refclassid, d.refobjid \
                 FROM ROWS FROM (pg_catalog.unnest($1::oid[]), pg_catalog.unnest($2::oid[])) AS k(c, o) \
                 JOIN pg_catalog.pg_depend d ON d.classid = k.c AND d.objid = k.o \
                 WHERE d.deptype NOT IN ('p','e') AND d.refobjid >= 16384",
                &[&classes, &objs],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| Dependency {
                from: ObjRef { classid: r.get(0), objid: r.get(1) },
                to: ObjRef { classid: r.get(2), objid: r.get(3) },
            })
            .collect())
    }
}

/// Whether a libpq connection string (keyword/value or URI) names a
/// password. A string our parser cannot read counts as one: the warning
/// then errs on the side of telling.
fn conninfo_has_password(conninfo: &str) -> bool {
    match crate::pg::conn::ConnSpec::parse(conninfo) {
        Ok(spec) => spec.get("password").is_some(),
        Err(_) => true,
    }
}

/// Attribute options the server sets itself: some 15.x minor releases keep
/// a column version under the reserved key `pg_attver`; setting it by hand
/// is pointless (the server writes its own) and older servers reject it.
fn is_server_managed_attoption(o: &str) -> bool {
    o.starts_with("pg_attver=")
}

/// Which connection runs a query. The expensive ones (the server renders
/// every index, view, constraint and default) are spread by hand so they
/// run at once; the rest follow a stable hash of their name.
fn pick(what: &str, n: usize) -> usize {
    let n = n.max(1);
    let slot = match what {
        "indexes" | "sequences" | "constraints" => 0,
        "relations" | "types" | "dependencies" => 1,
        "columns" => 2,
        _ => what.bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32)) as usize,
    };
    slot % n
}

fn with_base(mut m: Meta, base: Vec<String>) -> Meta {
    m.acl_base = base;
    m
}

/// The privileges an object starts with: `pg_init_privs` when the server
/// recorded some (the `public` schema), else `acldefault`.
fn base_acl(row: &Row, default_col: usize, init_col: usize) -> Vec<String> {
    if init_col < row.len() {
        if let Some(init) = row.get::<_, Option<Vec<String>>>(init_col) {
            return init;
        }
    }
    row.get::<_, Option<Vec<String>>>(default_col).unwrap_or_default()
}

/// Splits `a,"b,c",d` (already-quoted names) on the commas between names.
fn split_name_list(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for ch in s.chars() {
        match ch {
            '"' => {
                quoted = !quoted;
                cur.push(ch);
            }
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(ch),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_passwords_in_connection_strings() {
        assert!(super::conninfo_has_password("host=h password=x dbname=d"));
        assert!(super::conninfo_has_password("postgresql://u:x@h/d"));
        assert!(!super::conninfo_has_password("host=h user=u dbname=d"));
        assert!(!super::conninfo_has_password("postgresql://u@h:1/d"));
        // Unreadable: counted as holding one, so the warning errs on telling.
        assert!(super::conninfo_has_password("host='unterminated"));
    }

    #[test]
    fn splits_quoted_name_lists() {
        assert_eq!(
            super::split_name_list(r#"simple,"a,b",x."y""z""#),
            vec!["simple", "\"a,b\"", "x.\"y\"\"z\""]
        );
    }
}
