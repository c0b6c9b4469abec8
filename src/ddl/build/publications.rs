//! Rendering logical replication: publications (with their tables and
//! schemas) and subscriptions.
//!
//! It renders statements from the model into items and must not query the
//! server or decide the order items run in (that is `resolve` in `mod.rs` and
//! `ddl::sort`).

use crate::manifest::kind::EntryKind;
use super::*;

impl Builder<'_> {
    pub(super) fn publications(&mut self) {
        for p in &self.cat.publications {
            let m = &p.meta;
            let name = quote_ident(&m.name).into_owned();
            let mut sql = format!("CREATE PUBLICATION {name}");
            if p.all_tables {
                sql.push_str(" FOR ALL TABLES");
            }
            sql.push_str(&format!(" WITH (publish = {}", quote_literal_std(&p.publish)));
            if p.via_root {
                sql.push_str(", publish_via_partition_root = true");
            }
            sql.push_str(");\n");
            self.decorate(&mut sql, &format!("PUBLICATION {name}"), None, m);
            let pkey = key(class::PG_PUBLICATION, m.oid);
            let mut it = self.item(pkey, EntryKind::Publication, Section::PostData, prio::PUBLICATION, None, &m.name);
            it.owner = m.owner.clone();
            it.sql = sql;
            it.drop = Some(format!("DROP PUBLICATION IF EXISTS {name};\n"));
            self.push(it);
            for (table, cols, filter) in &p.tables {
                let Some(rel) = self.rel_by_oid.get(table).copied() else { continue };
                let mut s = format!("ALTER PUBLICATION {name} ADD TABLE ONLY {}", self.names.of(&rel.meta));
                if let Some(c) = cols {
                    s.push_str(&format!(" ({c})"));
                }
                if let Some(f) = filter {
                    s.push_str(&format!(" WHERE ({f})"));
                }
                s.push_str(";\n");
                let mut it = self.item(key(synth::PUBLICATION_TABLE, m.oid ^ table.rotate_left(16)), EntryKind::PublicationTable, Section::PostData, prio::PUBLICATION_MEMBER, rel.meta.schema.as_deref(), &format!("{} {}", m.name, rel.meta.name));
                it.sql = s;
                it.deps.push(pkey);
                it.deps.push(key(class::PG_CLASS, *table));
                self.push(it);
            }
            for (i, sch) in p.schemas.iter().enumerate() {
                let mut it = self.item(key(synth::PUBLICATION_SCHEMA, m.oid.wrapping_mul(1000).wrapping_add(i as u32)), EntryKind::PublicationTablesInSchema, Section::PostData, prio::PUBLICATION_MEMBER, None, &format!("{} {}", m.name, sch));
                it.sql = format!("ALTER PUBLICATION {name} ADD TABLES IN SCHEMA {sch};\n");
                it.deps.push(pkey);
                if let Some(s) = self.cat.schemas.iter().find(|s| quote_ident(&s.meta.name) == *sch) {
                    it.deps.push(key(class::PG_NAMESPACE, s.meta.oid));
                }
                self.push(it);
            }
        }
    }

    /// `CREATE SUBSCRIPTION ... WITH (connect = false, ...)`, as pg_dump
    /// writes it: the copy neither connects nor creates a slot, and stays
    /// disabled until someone enables it. Options are spelt out when they
    /// differ from the defaults of the source's major, `streaming` always
    /// (its default changed in 18).
    pub(super) fn subscriptions(&mut self) {
        for sub in &self.cat.subscriptions {
            let m = &sub.meta;
            let name = quote_ident(&m.name).into_owned();
            let pubs: Vec<String> = sub.publications.iter().map(|p| quote_ident(p).into_owned()).collect();
            let mut opts = vec![
                "connect = false".to_string(),
                format!(
                    "slot_name = {}",
                    sub.slot_name.as_deref().map(quote_literal_std).unwrap_or_else(|| "NONE".into())
                ),
            ];
            if sub.binary {
                opts.push("binary = true".into());
            }
            match sub.streaming {
                Some('t') => opts.push("streaming = on".into()),
                Some('p') => opts.push("streaming = parallel".into()),
                Some(_) => opts.push("streaming = off".into()),
                None => {}
            }
            if sub.two_phase {
                opts.push("two_phase = on".into());
            }
            if sub.disable_on_error {
                opts.push("disable_on_error = true".into());
            }
            if !sub.password_required {
                opts.push("password_required = false".into());
            }
            if sub.run_as_owner {
                opts.push("run_as_owner = true".into());
            }
            if sub.failover {
                opts.push("failover = true".into());
            }
            if sub.synchronous_commit != "off" {
                opts.push(format!("synchronous_commit = {}", quote_literal_std(&sub.synchronous_commit)));
            }
            if let Some(o) = sub.origin.as_deref().filter(|o| !o.eq_ignore_ascii_case("any")) {
                opts.push(format!("origin = {}", quote_literal_std(o)));
            }
            let mut sql = format!(
                "CREATE SUBSCRIPTION {name} CONNECTION {} PUBLICATION {} WITH ({});\n",
                quote_literal_std(sub.conninfo.expose()),
                pubs.join(", "),
                opts.join(", ")
            );
            self.decorate(&mut sql, &format!("SUBSCRIPTION {name}"), None, m);
            let mut it = self.item(key(class::PG_SUBSCRIPTION, m.oid), EntryKind::Subscription, Section::PostData, prio::SUBSCRIPTION, None, &m.name);
            it.owner = m.owner.clone();
            it.sql = sql;
            // A subscription with a slot cannot be dropped without reaching
            // its publisher (and not in a transaction): the drop fails then,
            // rather than leaving the publisher's slot behind unnoticed.
            it.drop = Some(format!("DROP SUBSCRIPTION IF EXISTS {name};\n"));
            self.push(it);
        }
    }
}
