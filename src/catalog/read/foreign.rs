//! Reading foreign-data wrappers, foreign servers and user mappings.
//!
//! It reads rows into the model and must not render statements (that is
//! `ddl::build`'s job).

use super::*;

impl Reader<'_> {
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
}
