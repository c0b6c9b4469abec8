//! Rendering `CREATE EXTENSION`.
//!
//! It renders statements from the model into items and must not query the
//! server or decide the order items run in (that is `resolve` in `mod.rs` and
//! `ddl::sort`).

use crate::manifest::kind::EntryKind;
use super::*;

impl Builder<'_> {
    pub(super) fn extensions(&mut self) {
        for x in &self.cat.extensions {
            let m = &x.meta;
            let name = quote_ident(&m.name).into_owned();
            let mut sql = format!(
                "CREATE EXTENSION IF NOT EXISTS {name} WITH SCHEMA {} VERSION {};\n",
                self.names.schema(&x.in_schema),
                quote_literal_std(&x.version)
            );
            self.comment(&mut sql, &format!("EXTENSION {name}"), m.comment.as_deref());
            let mut it = self.item(key(class::PG_EXTENSION, m.oid), EntryKind::Extension, Section::PreData, prio::EXTENSION, None, &m.name);
            it.sql = sql;
            it.drop = Some(format!("DROP EXTENSION IF EXISTS {name};\n"));
            self.push(it);
        }
    }
}
