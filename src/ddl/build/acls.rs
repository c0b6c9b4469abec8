//! Rendering privileges that are not part of one object's statement (default
//! privileges, privileges on extension members and system columns) and large
//! objects.
//!
//! It renders statements from the model into items and must not query the
//! server or decide the order items run in (that is `resolve` in `mod.rs` and
//! `ddl::sort`).

use crate::manifest::kind::EntryKind;
use super::*;

impl Builder<'_> {
    /// Grants on a table's system columns, one item per table after it
    /// (the table's own item renders its user columns' grants).
    pub(super) fn system_column_acls(&mut self) {
        if self.opts.no_acl {
            return;
        }
        let mut by_table: Vec<(u32, Vec<&SystemColumnAcl>)> = Vec::new();
        for a in &self.cat.system_column_acls {
            match by_table.last_mut() {
                Some((t, v)) if *t == a.table => v.push(a),
                _ => by_table.push((a.table, vec![a])),
            }
        }
        for (table, acls) in by_table {
            let Some(rel) = self.rel_by_oid.get(&table).copied() else { continue };
            let on = format!("TABLE {}", self.names.of(&rel.meta));
            let mut sql = String::new();
            for a in acls {
                let col = quote_ident(&a.column).into_owned();
                self.grants(&mut sql, &on, Some(&col), rel.meta.owner.as_deref(), Some(&a.acl), &[]);
            }
            let mut it = self.item(key(synth::SYSTEM_COLUMN_ACL, table), EntryKind::Acl, Section::PreData, prio::TABLE, rel.meta.schema.as_deref(), &format!("{} system columns", rel.meta.name));
            it.sql = sql;
            it.deps.push(key(class::PG_CLASS, table));
            self.push(it);
        }
    }

    pub(super) fn large_objects(&mut self) {
        for lo in &self.cat.large_objects {
            let m = &lo.meta;
            let mut sql = format!("SELECT pg_catalog.lo_create('{}');\n", m.oid);
            let what = format!("LARGE OBJECT {}", m.oid);
            self.decorate(&mut sql, &what, Some(&what), m);
            let mut it = self.item(key(synth::LARGE_OBJECT, m.oid), EntryKind::LargeObject, Section::PreData, prio::LARGE_OBJECT, None, &m.name);
            it.owner = m.owner.clone();
            it.sql = sql;
            it.drop = Some(format!("SELECT pg_catalog.lo_unlink(oid) FROM pg_catalog.pg_largeobject_metadata WHERE oid = '{}';\n", m.oid));
            self.push(it);
        }
    }

    pub(super) fn extension_acls(&mut self) {
        if self.opts.no_acl {
            return;
        }
        for (n, a) in self.cat.extension_acls.iter().enumerate() {
            let mut sql = String::new();
            self.grants(&mut sql, &a.on, a.column.as_deref(), None, Some(&a.acl), &a.initial);
            let name = match &a.column {
                Some(c) => format!("{} ({c})", a.on),
                None => a.on.clone(),
            };
            let mut it = self.item(key(synth::EXTENSION_ACL, n as u32), EntryKind::Acl, Section::PreData, prio::EXTENSION, None, &name);
            it.sql = sql;
            it.deps.push(key(class::PG_EXTENSION, a.extension));
            self.push(it);
        }
    }

    pub(super) fn default_acls(&mut self) {
        if self.opts.no_acl {
            return;
        }
        for d in &self.cat.default_acls {
            let what = match d.object_type {
                'r' => "TABLES",
                'S' => "SEQUENCES",
                'f' => "FUNCTIONS",
                'T' => "TYPES",
                'n' => "SCHEMAS",
                'L' => "LARGE OBJECTS",
                other => {
                    self.out.warnings.push(format!("default privileges of kind {other:?} for role {} are not dumped", d.role));
                    continue;
                }
            };
            let prefix = match &d.schema {
                Some(s) => format!("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} ", quote_ident(&d.role), self.names.schema(s)),
                None => format!("ALTER DEFAULT PRIVILEGES FOR ROLE {} ", quote_ident(&d.role)),
            };
            let t = Target { prefix: &prefix, on: what, column: None, owner: Some(&d.role) };
            let sql = match acl::statements(&t, Some(&d.acl), &d.base) {
                Ok(s) => s,
                Err(e) => {
                    self.out.warnings.push(format!("default privileges for role {} not dumped: {e}", d.role));
                    continue;
                }
            };
            let mut it = self.item(key(synth::DEFAULT_ACL, d.oid), EntryKind::DefaultAcl, Section::PostData, prio::DEFAULT_ACL, d.schema.as_deref(), &format!("DEFAULT PRIVILEGES FOR {what}"));
            it.owner = Some(d.role.clone());
            it.sql = sql;
            if let Some(s) = self.cat.schemas.iter().find(|s| Some(&s.meta.name) == d.schema.as_ref()) {
                it.deps.push(key(class::PG_NAMESPACE, s.meta.oid));
            }
            self.push(it);
        }
    }
}
