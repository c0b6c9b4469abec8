//! Rendering what hangs off a table after its data (triggers, rules,
//! row-security policies, extended statistics) and event triggers.
//!
//! It renders statements from the model into items and must not query the
//! server or decide the order items run in (that is `resolve` in `mod.rs` and
//! `ddl::sort`).

use crate::manifest::kind::EntryKind;
use super::*;

impl Builder<'_> {
    pub(super) fn triggers(&mut self) {
        for t in &self.cat.triggers {
            let Some(rel) = self.rel_by_oid.get(&t.table).copied() else { continue };
            let tname = self.names.of(&rel.meta);
            let trig = quote_ident(&t.name).into_owned();
            // A partition's copy of its parent's trigger: only its state.
            let mut sql = if t.parent.is_some() { String::new() } else { format!("{};\n", t.definition) };
            let alter = if rel.kind == RelKind::ForeignTable { "ALTER FOREIGN TABLE" } else { "ALTER TABLE" };
            match t.enabled {
                'D' => sql.push_str(&format!("{alter} {tname} DISABLE TRIGGER {trig};\n")),
                'R' => sql.push_str(&format!("{alter} {tname} ENABLE REPLICA TRIGGER {trig};\n")),
                'A' => sql.push_str(&format!("{alter} {tname} ENABLE ALWAYS TRIGGER {trig};\n")),
                _ if t.parent.is_some() => sql.push_str(&format!("{alter} {tname} ENABLE TRIGGER {trig};\n")),
                _ => {}
            }
            self.comment(&mut sql, &format!("TRIGGER {trig} ON {tname}"), t.comment.as_deref());
            let mut it = self.item(key(class::PG_TRIGGER, t.oid), EntryKind::Trigger, Section::PostData, prio::TRIGGER, rel.meta.schema.as_deref(), &format!("{} {}", rel.meta.name, t.name));
            it.owner = rel.meta.owner.clone();
            it.sql = sql;
            if let Some(p) = t.parent {
                it.deps.push(key(class::PG_TRIGGER, p));
            } else {
                it.drop = Some(format!("DROP TRIGGER IF EXISTS {trig} ON {tname};\n"));
            }
            it.deps.push(key(class::PG_CLASS, t.table));
            self.push(it);
        }
        for e in &self.cat.event_triggers {
            let m = &e.meta;
            let name = quote_ident(&m.name).into_owned();
            let mut sql = format!("CREATE EVENT TRIGGER {name} ON {}", quote_ident(&e.event));
            if !e.tags.is_empty() {
                let t: Vec<String> = e.tags.iter().map(|x| quote_literal_std(x)).collect();
                sql.push_str(&format!("\n         WHEN TAG IN ({})", t.join(", ")));
            }
            sql.push_str(&format!("\n   EXECUTE FUNCTION {}();\n", e.function));
            match e.enabled {
                'D' => sql.push_str(&format!("ALTER EVENT TRIGGER {name} DISABLE;\n")),
                'R' => sql.push_str(&format!("ALTER EVENT TRIGGER {name} ENABLE REPLICA;\n")),
                'A' => sql.push_str(&format!("ALTER EVENT TRIGGER {name} ENABLE ALWAYS;\n")),
                _ => {}
            }
            self.decorate(&mut sql, &format!("EVENT TRIGGER {name}"), None, m);
            let mut it = self.item(key(class::PG_EVENT_TRIGGER, m.oid), EntryKind::EventTrigger, Section::PostData, prio::EVENT_TRIGGER, None, &m.name);
            it.owner = m.owner.clone();
            it.sql = sql;
            it.drop = Some(format!("DROP EVENT TRIGGER IF EXISTS {name};\n"));
            self.push(it);
        }
    }

    pub(super) fn rules(&mut self) {
        for r in &self.cat.rules {
            let Some(rel) = self.rel_by_oid.get(&r.table).copied() else { continue };
            let tname = self.names.of(&rel.meta);
            let rname = quote_ident(&r.name).into_owned();
            let mut sql = r.definition.trim_end().to_string();
            if !sql.ends_with(';') {
                sql.push(';');
            }
            sql.push('\n');
            match r.enabled {
                'D' => sql.push_str(&format!("ALTER TABLE {tname} DISABLE RULE {rname};\n")),
                'R' => sql.push_str(&format!("ALTER TABLE {tname} ENABLE REPLICA RULE {rname};\n")),
                'A' => sql.push_str(&format!("ALTER TABLE {tname} ENABLE ALWAYS RULE {rname};\n")),
                _ => {}
            }
            self.comment(&mut sql, &format!("RULE {rname} ON {tname}"), r.comment.as_deref());
            let mut it = self.item(key(class::PG_REWRITE, r.oid), EntryKind::Rule, Section::PostData, prio::RULE, rel.meta.schema.as_deref(), &format!("{} {}", rel.meta.name, r.name));
            it.owner = rel.meta.owner.clone();
            it.sql = sql;
            it.drop = Some(format!("DROP RULE IF EXISTS {rname} ON {tname};\n"));
            it.deps.push(key(class::PG_CLASS, r.table));
            self.push(it);
        }
    }

    pub(super) fn policies(&mut self) {
        for p in &self.cat.policies {
            let Some(rel) = self.rel_by_oid.get(&p.table).copied() else { continue };
            let tname = self.names.of(&rel.meta);
            let pname = quote_ident(&p.name).into_owned();
            let mut sql = format!("CREATE POLICY {pname} ON {tname}");
            if !p.permissive {
                sql.push_str(" AS RESTRICTIVE");
            }
            let cmd = match p.command {
                'r' => "SELECT",
                'a' => "INSERT",
                'w' => "UPDATE",
                'd' => "DELETE",
                _ => "ALL",
            };
            sql.push_str(&format!(" FOR {cmd}"));
            let roles = if p.roles.is_empty() {
                "PUBLIC".to_string()
            } else {
                p.roles.iter().map(|r| quote_ident(r).into_owned()).collect::<Vec<_>>().join(", ")
            };
            sql.push_str(&format!(" TO {roles}"));
            if let Some(u) = &p.using {
                sql.push_str(&format!(" USING ({u})"));
            }
            if let Some(c) = &p.with_check {
                sql.push_str(&format!(" WITH CHECK ({c})"));
            }
            sql.push_str(";\n");
            self.comment(&mut sql, &format!("POLICY {pname} ON {tname}"), p.comment.as_deref());
            let mut it = self.item(key(class::PG_POLICY, p.oid), EntryKind::Policy, Section::PostData, prio::POLICY, rel.meta.schema.as_deref(), &format!("{} {}", rel.meta.name, p.name));
            it.owner = rel.meta.owner.clone();
            it.sql = sql;
            it.drop = Some(format!("DROP POLICY IF EXISTS {pname} ON {tname};\n"));
            it.deps.push(key(class::PG_CLASS, p.table));
            self.push(it);
        }
    }

    pub(super) fn statistics(&mut self) {
        for s in &self.cat.statistics {
            if !self.rel_by_oid.contains_key(&s.table) {
                continue;
            }
            let m = &s.meta;
            let name = self.names.of(m);
            let mut sql = format!("CREATE STATISTICS {name}{};\n", s.definition_tail);
            if let Some(t) = s.target {
                sql.push_str(&format!("ALTER STATISTICS {name} SET STATISTICS {t};\n"));
            }
            self.decorate(&mut sql, &format!("STATISTICS {name}"), None, m);
            let mut it = self.item(key(class::PG_STATISTIC_EXT, m.oid), EntryKind::Statistics, Section::PostData, prio::STATISTICS, m.schema.as_deref(), &m.name);
            it.owner = m.owner.clone();
            it.sql = sql;
            it.drop = Some(format!("DROP STATISTICS IF EXISTS {name};\n"));
            it.deps.push(key(class::PG_CLASS, s.table));
            self.push(it);
        }
    }
}
