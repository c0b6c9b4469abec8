//! Rendering collations and types: shells, base, composite, enum, range and
//! multirange types, domains with their constraints.
//!
//! It renders statements from the model into items and must not query the
//! server or decide the order items run in (that is `resolve` in `mod.rs` and
//! `ddl::sort`).

use crate::manifest::kind::EntryKind;
use super::*;

impl Builder<'_> {
    pub(super) fn collations(&mut self) {
        for c in &self.cat.collations {
            let m = &c.meta;
            let name = self.names.of(m);
            let mut parts = Vec::new();
            match c.provider.as_str() {
                "i" => parts.push("provider = icu".to_string()),
                "b" => parts.push("provider = builtin".to_string()),
                _ => parts.push("provider = libc".to_string()),
            }
            if c.provider == "c" || c.provider == "d" {
                match (&c.collate, &c.ctype) {
                    (Some(a), Some(b)) if a == b => parts.push(format!("locale = {}", quote_literal_std(a))),
                    (a, b) => {
                        if let Some(a) = a {
                            parts.push(format!("lc_collate = {}", quote_literal_std(a)));
                        }
                        if let Some(b) = b {
                            parts.push(format!("lc_ctype = {}", quote_literal_std(b)));
                        }
                    }
                }
            } else if let Some(l) = c.locale.as_ref().or(c.collate.as_ref()) {
                parts.push(format!("locale = {}", quote_literal_std(l)));
            }
            if !c.deterministic {
                parts.push("deterministic = false".into());
            }
            if let Some(r) = &c.icu_rules {
                parts.push(format!("rules = {}", quote_literal_std(r)));
            }
            let mut sql = match libc_builtin_copy(c) {
                Some(from) => format!("CREATE COLLATION {name} FROM pg_catalog.{};\n", quote_ident(from)),
                None => format!("CREATE COLLATION {name} ({});\n", parts.join(", ")),
            };
            self.decorate(&mut sql, &format!("COLLATION {name}"), None, m);
            let mut it = self.item(key(class::PG_COLLATION, m.oid), EntryKind::Collation, Section::PreData, prio::COLLATION, m.schema.as_deref(), &m.name);
            it.owner = m.owner.clone();
            it.sql = sql;
            it.drop = Some(format!("DROP COLLATION IF EXISTS {name};\n"));
            self.push(it);
        }
    }

    pub(super) fn types(&mut self) {
        for t in &self.cat.types {
            let m = &t.meta;
            let name = self.names.of(m);
            let tkey = key(class::PG_TYPE, m.oid);
            let mut kind = "TYPE";
            let mut sql = match &t.kind {
                TypeKind::Enum { labels } => {
                    let l: Vec<String> = labels.iter().map(|x| quote_literal_std(x)).collect();
                    format!("CREATE TYPE {name} AS ENUM (\n    {}\n);\n", l.join(",\n    "))
                }
                TypeKind::Composite { attributes, .. } => {
                    let a: Vec<String> = attributes
                        .iter()
                        .map(|at| match &at.collation {
                            Some(c) => format!("{} {} COLLATE {c}", quote_ident(&at.name), at.type_name),
                            None => format!("{} {}", quote_ident(&at.name), at.type_name),
                        })
                        .collect();
                    let mut s = if a.is_empty() {
                        format!("CREATE TYPE {name} AS (\n);\n")
                    } else {
                        format!("CREATE TYPE {name} AS (\n    {}\n);\n", a.join(",\n    "))
                    };
                    for at in attributes {
                        self.comment(&mut s, &format!("COLUMN {name}.{}", quote_ident(&at.name)), at.comment.as_deref());
                    }
                    s
                }
                TypeKind::Domain { base, collation, default, not_null, constraints } => {
                    kind = "DOMAIN";
                    let mut s = format!("CREATE DOMAIN {name} AS {base}");
                    if let Some(c) = collation {
                        s.push_str(&format!(" COLLATE {c}"));
                    }
                    if let Some(d) = default {
                        s.push_str(&format!(" DEFAULT {d}"));
                    }
                    // From 17 on the NOT NULL is a named constraint among
                    // `constraints` (its name and comment are kept there).
                    if *not_null && !constraints.iter().any(|c| c.kind == 'n') {
                        s.push_str(" NOT NULL");
                    }
                    let mut later = Vec::new();
                    for c in constraints {
                        let ckey = key(class::PG_CONSTRAINT, c.oid);
                        if c.validated && !self.split.contains(&ckey) {
                            s.push_str(&format!("\n\tCONSTRAINT {} {}", quote_ident(&c.name), c.definition));
                            self.out.inline.insert(ckey, tkey);
                            self.out.parts.entry(tkey).or_default().push(ckey);
                        } else {
                            later.push(c);
                        }
                    }
                    s.push_str(";\n");
                    for c in constraints {
                        let what = format!("CONSTRAINT {} ON DOMAIN {name}", quote_ident(&c.name));
                        let mut cs = String::new();
                        self.comment(&mut cs, &what, c.comment.as_deref());
                        if later.iter().any(|l| l.oid == c.oid) {
                            let mut it = self.item(ckey_of(c), EntryKind::Constraint, if c.validated { Section::PreData } else { Section::PostData },
                                if c.validated { prio::DEFAULT } else { prio::CONSTRAINT }, m.schema.as_deref(), &format!("{} {}", m.name, c.name));
                            it.sql = format!("ALTER DOMAIN {name}\n    ADD CONSTRAINT {} {};\n{cs}", quote_ident(&c.name), c.definition);
                            it.deps.push(tkey);
                            it.owner = m.owner.clone();
                            self.push(it);
                        } else {
                            s.push_str(&cs);
                        }
                    }
                    s
                }
                TypeKind::Shell => format!("CREATE TYPE {name};\n"),
                TypeKind::Base(b) => {
                    let shell = key(synth::TYPE_SHELL, m.oid);
                    let mut it = self.item(shell, EntryKind::ShellType, Section::PreData, prio::TYPE, m.schema.as_deref(), &m.name);
                    it.sql = format!("CREATE TYPE {name};\n");
                    it.owner = m.owner.clone();
                    self.push(it);
                    self.out.shells.insert(tkey, (shell, b.io_functions.clone()));
                    base_type_sql(&name, b)
                }
                TypeKind::Range { subtype, subtype_opclass, collation, subtype_diff, multirange_name, multirange_comment, .. } => {
                    let mut p = vec![format!("subtype = {subtype}")];
                    if let Some(o) = subtype_opclass {
                        p.push(format!("subtype_opclass = {o}"));
                    }
                    if let Some(c) = collation {
                        p.push(format!("collation = {c}"));
                    }
                    if let Some(d) = subtype_diff {
                        p.push(format!("subtype_diff = {d}"));
                    }
                    if let Some(mr) = multirange_name {
                        p.push(format!("multirange_type_name = {mr}"));
                    }
                    let mut s = format!("CREATE TYPE {name} AS RANGE (\n    {}\n);\n", p.join(",\n    "));
                    if let Some(mr) = multirange_name {
                        self.comment(&mut s, &format!("TYPE {mr}"), multirange_comment.as_deref());
                    }
                    s
                }
            };
            let what = format!("{kind} {name}");
            self.decorate(&mut sql, &what, Some(&format!("TYPE {name}")), m);
            let mut it = self.item(tkey, EntryKind::from_word(kind), Section::PreData, prio::TYPE, m.schema.as_deref(), &m.name);
            it.owner = m.owner.clone();
            it.sql = sql;
            it.drop = Some(format!("DROP {kind} IF EXISTS {name};\n"));
            self.push(it);
        }
    }
}

fn base_type_sql(name: &str, b: &BaseType) -> String {
    let mut p = vec![match b.length {
        -1 => "INTERNALLENGTH = variable".to_string(),
        n => format!("INTERNALLENGTH = {n}"),
    }];
    p.push(format!("INPUT = {}", b.input));
    p.push(format!("OUTPUT = {}", b.output));
    for (k, v) in [
        ("RECEIVE", &b.receive),
        ("SEND", &b.send),
        ("TYPMOD_IN", &b.typmod_in),
        ("TYPMOD_OUT", &b.typmod_out),
        ("ANALYZE", &b.analyze),
        ("SUBSCRIPT", &b.subscript),
    ] {
        if let Some(f) = v {
            p.push(format!("{k} = {f}"));
        }
    }
    if b.by_value {
        p.push("PASSEDBYVALUE".into());
    }
    p.push(format!(
        "ALIGNMENT = {}",
        match b.alignment {
            'c' => "char",
            's' => "int2",
            'd' => "double",
            _ => "int4",
        }
    ));
    p.push(format!(
        "STORAGE = {}",
        match b.storage {
            'e' => "external",
            'x' => "extended",
            'm' => "main",
            _ => "plain",
        }
    ));
    p.push(format!("CATEGORY = {}", quote_literal_std(&b.category.to_string())));
    if b.preferred {
        p.push("PREFERRED = true".into());
    }
    if let Some(d) = &b.default {
        p.push(format!("DEFAULT = {}", quote_literal_std(d)));
    }
    if let Some(e) = &b.element {
        p.push(format!("ELEMENT = {e}"));
    }
    if b.delimiter != ',' {
        p.push(format!("DELIMITER = {}", quote_literal_std(&b.delimiter.to_string())));
    }
    if b.collatable {
        p.push("COLLATABLE = true".into());
    }
    format!("CREATE TYPE {name} (\n    {}\n);\n", p.join(",\n    "))
}

/// The built-in collation a libc collation is a copy of, when only a copy
/// can state what it is: `CREATE COLLATION ... (locale = 'C')` gives the
/// database's encoding, `FROM "C"` keeps "any encoding" (-1). pg_dump
/// writes the options and so changes the encoding; copying keeps it.
fn libc_builtin_copy(c: &Collation) -> Option<&'static str> {
    if c.provider != "c" || !c.any_encoding || !c.deterministic || c.collate != c.ctype {
        return None;
    }
    match c.collate.as_deref() {
        Some("C") => Some("C"),
        Some("POSIX") => Some("POSIX"),
        _ => None,
    }
}

fn ckey_of(c: &DomainConstraint) -> ObjRef {
    key(class::PG_CONSTRAINT, c.oid)
}

#[cfg(test)]
mod collation_copy_tests {
    use super::libc_builtin_copy;
    use crate::catalog::Collation;

    fn libc(locale: &str, any_encoding: bool) -> Collation {
        Collation {
            provider: "c".into(),
            deterministic: true,
            collate: Some(locale.into()),
            ctype: Some(locale.into()),
            any_encoding,
            ..Collation::default()
        }
    }

    #[test]
    fn only_any_encoding_copies_of_c_and_posix_are_copied() {
        assert_eq!(libc_builtin_copy(&libc("C", true)), Some("C"));
        assert_eq!(libc_builtin_copy(&libc("POSIX", true)), Some("POSIX"));
        // Created with options: the database's encoding, options reproduce it.
        assert_eq!(libc_builtin_copy(&libc("C", false)), None);
        // No built-in collation to copy from.
        assert_eq!(libc_builtin_copy(&libc("en_US.utf8", true)), None);
        let icu = Collation { provider: "i".into(), ..libc("C", true) };
        assert_eq!(libc_builtin_copy(&icu), None);
        let split = Collation { ctype: Some("POSIX".into()), ..libc("C", true) };
        assert_eq!(libc_builtin_copy(&split), None);
    }
}
