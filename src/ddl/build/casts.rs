//! Rendering casts, transforms and encoding conversions.
//!
//! It renders statements from the model into items and must not query the
//! server or decide the order items run in (that is `resolve` in `mod.rs` and
//! `ddl::sort`).

use crate::manifest::kind::EntryKind;
use super::*;

impl Builder<'_> {
    pub(super) fn transforms(&mut self) {
        for t in &self.cat.transforms {
            let lang = quote_ident(&t.language).into_owned();
            let mut parts = Vec::new();
            if let Some(f) = &t.from_sql {
                parts.push(format!("FROM SQL WITH FUNCTION {f}"));
            }
            if let Some(f) = &t.to_sql {
                parts.push(format!("TO SQL WITH FUNCTION {f}"));
            }
            let what = format!("TRANSFORM FOR {} LANGUAGE {lang}", t.type_name);
            let mut sql = format!("CREATE {what} ({});\n", parts.join(", "));
            self.comment(&mut sql, &what, t.comment.as_deref());
            let mut it = self.item(key(class::PG_TRANSFORM, t.oid), EntryKind::Transform, Section::PreData, prio::CAST, None, &format!("{} {}", t.type_name, t.language));
            it.sql = sql;
            it.drop = Some(format!("DROP TRANSFORM IF EXISTS FOR {} LANGUAGE {lang};\n", t.type_name));
            self.push(it);
        }
    }

    pub(super) fn casts(&mut self) {
        for c in &self.cat.casts {
            let how = match (c.method, &c.function) {
                ('f', Some(f)) => format!("WITH FUNCTION {f}"),
                ('i', _) => "WITH INOUT".to_string(),
                _ => "WITHOUT FUNCTION".to_string(),
            };
            let ctx = match c.context {
                'a' => " AS ASSIGNMENT",
                'i' => " AS IMPLICIT",
                _ => "",
            };
            let what = format!("CAST ({} AS {})", c.source, c.target);
            let mut sql = format!("CREATE {what} {how}{ctx};\n");
            self.comment(&mut sql, &what, c.comment.as_deref());
            let mut it = self.item(key(class::PG_CAST, c.oid), EntryKind::Cast, Section::PreData, prio::CAST, None, &format!("{} AS {}", c.source, c.target));
            it.sql = sql;
            it.drop = Some(format!("DROP CAST IF EXISTS ({} AS {});\n", c.source, c.target));
            self.push(it);
        }
    }

    pub(super) fn conversions(&mut self) {
        for c in &self.cat.conversions {
            let m = &c.meta;
            let name = self.names.of(m);
            let mut sql = format!(
                "CREATE {}CONVERSION {name} FOR {} TO {} FROM {};\n",
                if c.default { "DEFAULT " } else { "" },
                quote_literal_std(&c.source_encoding),
                quote_literal_std(&c.target_encoding),
                c.function
            );
            self.decorate(&mut sql, &format!("CONVERSION {name}"), None, m);
            let mut it = self.item(key(class::PG_CONVERSION, m.oid), EntryKind::Conversion, Section::PreData, prio::CONVERSION, m.schema.as_deref(), &m.name);
            it.owner = m.owner.clone();
            it.sql = sql;
            it.drop = Some(format!("DROP CONVERSION IF EXISTS {name};\n"));
            self.push(it);
        }
    }
}
