//! Reading logical replication: publications (with their tables and schemas)
//! and subscriptions.
//!
//! It reads rows into the model and must not render statements (that is
//! `ddl::build`'s job).

use super::*;

impl Reader<'_> {
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
}
