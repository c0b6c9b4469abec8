//! Rendering operators, operator families and classes, and access methods.
//!
//! It renders statements from the model into items and must not query the
//! server or decide the order items run in (that is `resolve` in `mod.rs` and
//! `ddl::sort`).

use crate::manifest::kind::EntryKind;
use super::*;

impl Builder<'_> {
    pub(super) fn operators(&mut self) {
        for o in &self.cat.operators {
            let m = &o.meta;
            let schema_prefix = match m.schema.as_deref() {
                Some(s) => format!("{}.", self.names.schema(s)),
                None => String::new(),
            };
            let name = format!("{schema_prefix}{}", m.name);
            let mut p = vec![format!("FUNCTION = {}", o.function)];
            if let Some(l) = &o.left {
                p.push(format!("LEFTARG = {l}"));
            }
            if let Some(r) = &o.right {
                p.push(format!("RIGHTARG = {r}"));
            }
            if let Some(c) = &o.commutator {
                p.push(format!("COMMUTATOR = {}", operator_ref(c)));
            }
            if let Some(c) = &o.negator {
                p.push(format!("NEGATOR = {}", operator_ref(c)));
            }
            if let Some(f) = &o.restrict {
                p.push(format!("RESTRICT = {f}"));
            }
            if let Some(f) = &o.join {
                p.push(format!("JOIN = {f}"));
            }
            if o.hashes {
                p.push("HASHES".into());
            }
            if o.merges {
                p.push("MERGES".into());
            }
            let mut sql = format!("CREATE OPERATOR {name} (\n    {}\n);\n", p.join(",\n    "));
            let sig = format!(
                "{name} ({}, {})",
                o.left.as_deref().unwrap_or("NONE"),
                o.right.as_deref().unwrap_or("NONE")
            );
            self.decorate(&mut sql, &format!("OPERATOR {sig}"), None, m);
            // The entry's name is the schema-less signature: the same in the
            // rendering under the placeholder, which is how restores find it.
            let entry_name = format!("{} ({}, {})", m.name, o.left.as_deref().unwrap_or("NONE"), o.right.as_deref().unwrap_or("NONE"));
            let mut it = self.item(key(class::PG_OPERATOR, m.oid), EntryKind::Operator, Section::PreData, prio::OPERATOR, m.schema.as_deref(), &entry_name);
            it.owner = m.owner.clone();
            it.sql = sql;
            it.drop = Some(format!("DROP OPERATOR IF EXISTS {sig};\n"));
            self.push(it);
        }
    }

    pub(super) fn opfamilies(&mut self) {
        for f in &self.cat.opfamilies {
            let m = &f.meta;
            let name = self.names.of(m);
            let using = format!("USING {}", quote_ident(&f.method));
            let mut sql = format!("CREATE OPERATOR FAMILY {name} {using};\n");
            if !f.loose_members.is_empty() {
                sql.push_str(&format!("ALTER OPERATOR FAMILY {name} {using} ADD\n    {};\n", f.loose_members.join(",\n    ")));
            }
            self.decorate(&mut sql, &format!("OPERATOR FAMILY {name} {using}"), None, m);
            let mut it = self.item(key(class::PG_OPFAMILY, m.oid), EntryKind::OperatorFamily, Section::PreData, prio::OPFAMILY, m.schema.as_deref(), &m.name);
            it.owner = m.owner.clone();
            it.sql = sql;
            it.drop = Some(format!("DROP OPERATOR FAMILY IF EXISTS {name} {using};\n"));
            self.push(it);
        }
        for c in &self.cat.opclasses {
            let m = &c.meta;
            let name = self.names.of(m);
            let using = format!("USING {}", quote_ident(&c.method));
            let mut items = c.members.clone();
            if let Some(s) = &c.storage {
                items.push(format!("STORAGE {s}"));
            }
            if items.is_empty() {
                items.push(format!("STORAGE {}", c.input_type));
            }
            let mut sql = format!(
                "CREATE OPERATOR CLASS {name}\n    {}FOR TYPE {} {using} FAMILY {} AS\n    {};\n",
                if c.default { "DEFAULT " } else { "" },
                c.input_type,
                c.family,
                items.join(",\n    ")
            );
            self.decorate(&mut sql, &format!("OPERATOR CLASS {name} {using}"), None, m);
            let mut it = self.item(key(class::PG_OPCLASS, m.oid), EntryKind::OperatorClass, Section::PreData, prio::OPCLASS, m.schema.as_deref(), &m.name);
            it.owner = m.owner.clone();
            it.sql = sql;
            it.drop = Some(format!("DROP OPERATOR CLASS IF EXISTS {name} {using};\n"));
            it.deps.push(key(class::PG_OPFAMILY, c.family_oid));
            self.push(it);
        }
    }

    pub(super) fn access_methods(&mut self) {
        for a in &self.cat.access_methods {
            let name = quote_ident(&a.name).into_owned();
            let kind = if a.kind == 't' { "TABLE" } else { "INDEX" };
            let mut sql = format!("CREATE ACCESS METHOD {name} TYPE {kind} HANDLER {};\n", a.handler);
            self.comment(&mut sql, &format!("ACCESS METHOD {name}"), a.comment.as_deref());
            let mut it = self.item(key(class::PG_AM, a.oid), EntryKind::AccessMethod, Section::PreData, prio::AGGREGATE, None, &a.name);
            it.sql = sql;
            it.drop = Some(format!("DROP ACCESS METHOD IF EXISTS {name};\n"));
            self.push(it);
        }
    }
}
