//! Reading casts, transforms and encoding conversions.
//!
//! It reads rows into the model and must not render statements (that is
//! `ddl::build`'s job).

use super::*;

impl Reader<'_> {
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
}
