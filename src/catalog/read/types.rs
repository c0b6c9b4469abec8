//! Reading types (base, composite, enum, range, multirange, shell) with
//! domains and their constraints, and collations.
//!
//! It reads rows into the model and must not render statements (that is
//! `ddl::build`'s job).

use super::*;

impl Reader<'_> {
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
}
