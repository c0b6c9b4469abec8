//! Reading operators, operator families and classes, and access methods.
//!
//! It reads rows into the model and must not render statements (that is
//! `ddl::build`'s job).

use super::*;

impl Reader<'_> {
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
}
