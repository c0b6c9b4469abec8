//! Reading what hangs off a table after its data (triggers, rules,
//! row-security policies, extended statistics) and event triggers.
//!
//! It reads rows into the model and must not render statements (that is
//! `ddl::build`'s job).

use super::*;

impl Reader<'_> {
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
}
