//! Rendering foreign-data wrappers, foreign servers and user mappings.
//!
//! It renders statements from the model into items and must not query the
//! server or decide the order items run in (that is `resolve` in `mod.rs` and
//! `ddl::sort`).

use crate::manifest::kind::EntryKind;
use super::*;

impl Builder<'_> {
    pub(super) fn foreign(&mut self) {
        for w in &self.cat.fdws {
            let m = &w.meta;
            let name = quote_ident(&m.name).into_owned();
            let mut sql = format!("CREATE FOREIGN DATA WRAPPER {name}");
            if let Some(h) = &w.handler {
                sql.push_str(&format!(" HANDLER {h}"));
            }
            if let Some(v) = &w.validator {
                sql.push_str(&format!(" VALIDATOR {v}"));
            }
            if !w.options.is_empty() {
                sql.push_str(&format!(" {}", options_clause(&w.options)));
            }
            sql.push_str(";\n");
            let what = format!("FOREIGN DATA WRAPPER {name}");
            self.decorate(&mut sql, &what, Some(&what), m);
            let mut it = self.item(key(class::PG_FOREIGN_DATA_WRAPPER, m.oid), EntryKind::ForeignDataWrapper, Section::PreData, prio::FDW, None, &m.name);
            it.owner = m.owner.clone();
            it.sql = sql;
            it.drop = Some(format!("DROP FOREIGN DATA WRAPPER IF EXISTS {name};\n"));
            self.push(it);
        }
        for s in &self.cat.servers {
            let m = &s.meta;
            let name = quote_ident(&m.name).into_owned();
            let mut sql = format!("CREATE SERVER {name}");
            if let Some(t) = &s.server_type {
                sql.push_str(&format!(" TYPE {}", quote_literal_std(t)));
            }
            if let Some(v) = &s.version {
                sql.push_str(&format!(" VERSION {}", quote_literal_std(v)));
            }
            sql.push_str(&format!(" FOREIGN DATA WRAPPER {}", quote_ident(&s.wrapper)));
            if !s.options.is_empty() {
                sql.push_str(&format!(" {}", options_clause(&s.options)));
            }
            sql.push_str(";\n");
            self.decorate(&mut sql, &format!("SERVER {name}"), Some(&format!("FOREIGN SERVER {name}")), m);
            let mut it = self.item(key(class::PG_FOREIGN_SERVER, m.oid), EntryKind::Server, Section::PreData, prio::SERVER, None, &m.name);
            it.owner = m.owner.clone();
            it.sql = sql;
            it.drop = Some(format!("DROP SERVER IF EXISTS {name};\n"));
            if let Some(w) = self.cat.fdws.iter().find(|w| w.meta.name == s.wrapper) {
                it.deps.push(key(class::PG_FOREIGN_DATA_WRAPPER, w.meta.oid));
            }
            self.push(it);
        }
        for u in &self.cat.user_mappings {
            let role = u.role.as_deref().map(|r| quote_ident(r).into_owned()).unwrap_or_else(|| "PUBLIC".into());
            let server = quote_ident(&u.server).into_owned();
            let mut sql = format!("CREATE USER MAPPING FOR {role} SERVER {server}");
            if !u.options.is_empty() {
                sql.push_str(&format!(" {}", options_clause(&u.options)));
            }
            sql.push_str(";\n");
            let mut it = self.item(key(synth::USER_MAPPING, u.oid), EntryKind::UserMapping, Section::PreData, prio::USER_MAPPING, None, &format!("USER MAPPING {} SERVER {}", u.role.as_deref().unwrap_or("public"), u.server));
            it.sql = sql;
            it.drop = Some(format!("DROP USER MAPPING IF EXISTS FOR {role} SERVER {server};\n"));
            if let Some(s) = self.cat.servers.iter().find(|s| s.meta.name == u.server) {
                it.deps.push(key(class::PG_FOREIGN_SERVER, s.meta.oid));
            }
            self.push(it);
        }
    }
}
