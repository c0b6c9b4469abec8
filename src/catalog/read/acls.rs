//! Reading privileges that are not part of one object's row (default
//! privileges, privileges on extension members and system objects and
//! columns), large objects, and security labels.
//!
//! It reads rows into the model and must not render statements (that is
//! `ddl::build`'s job).

use super::*;

impl Reader<'_> {
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
}
