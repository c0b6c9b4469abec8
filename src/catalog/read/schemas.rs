//! Reading schemas (`pg_namespace`).
//!
//! It reads rows into the model and must not render statements (that is
//! `ddl::build`'s job).

use super::*;

impl Reader<'_> {
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
}
