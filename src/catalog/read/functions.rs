//! Reading functions and procedures, aggregates and procedural languages.
//!
//! It reads rows into the model and must not render statements (that is
//! `ddl::build`'s job).

use super::*;

impl Reader<'_> {
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
}
