//! Rendering `CREATE SCHEMA`.
//!
//! It renders statements from the model into items and must not query the
//! server or decide the order items run in (that is `resolve` in `mod.rs` and
//! `ddl::sort`).

use crate::manifest::kind::EntryKind;
use super::*;

impl Builder<'_> {
    pub(super) fn schemas(&mut self) {
        for s in &self.cat.schemas {
            let m = &s.meta;
            let name = self.names.schema(&m.name);
            let mut sql = String::new();
            // `public` exists in every new database (pg_dump does not create it either).
            let is_public = m.name == "public" && self.opts.target_schema.is_none();
            if !is_public {
                sql.push_str(&format!("CREATE SCHEMA {name};\n"));
            }
            let what = format!("SCHEMA {name}");
            self.decorate(&mut sql, &what, Some(&what), m);
            let mut it = self.item(key(class::PG_NAMESPACE, m.oid), EntryKind::Schema, Section::PreData, prio::SCHEMA, None, &m.name);
            it.owner = m.owner.clone();
            it.sql = sql;
            if !is_public {
                it.drop = Some(format!("DROP SCHEMA IF EXISTS {name};\n"));
            }
            self.push(it);
        }
    }
}
