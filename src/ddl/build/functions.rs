//! Rendering functions and procedures, aggregates and procedural languages.
//!
//! It renders statements from the model into items and must not query the
//! server or decide the order items run in (that is `resolve` in `mod.rs` and
//! `ddl::sort`).

use crate::manifest::kind::EntryKind;
use super::*;

impl Builder<'_> {
    pub(super) fn functions(&mut self) {
        for f in &self.cat.functions {
            let m = &f.meta;
            let name = self.names.of(m);
            let sig = format!("{name}({})", f.identity_arguments);
            let word = if f.kind == 'p' { "PROCEDURE" } else { "FUNCTION" };
            let mut sql = format!("CREATE {word} {name}({})", f.arguments);
            if let Some(r) = &f.result {
                sql.push_str(&format!(" RETURNS {r}"));
            }
            sql.push_str(&format!("\n    LANGUAGE {}", quote_ident(&f.language)));
            if let Some(t) = &f.transforms {
                sql.push_str(&format!("\n    TRANSFORM {t}"));
            }
            if f.kind == 'w' {
                sql.push_str("\n    WINDOW");
            }
            if f.kind != 'p' {
                match f.volatility {
                    'i' => sql.push_str("\n    IMMUTABLE"),
                    's' => sql.push_str("\n    STABLE"),
                    _ => {}
                }
                if f.strict {
                    sql.push_str("\n    STRICT");
                }
                if f.leakproof {
                    sql.push_str("\n    LEAKPROOF");
                }
                match f.parallel {
                    's' => sql.push_str("\n    PARALLEL SAFE"),
                    'r' => sql.push_str("\n    PARALLEL RESTRICTED"),
                    _ => {}
                }
                if (f.cost - f.default_cost).abs() > f32::EPSILON {
                    sql.push_str(&format!("\n    COST {}", f.cost));
                }
                if f.returns_set && (f.rows - 1000.0).abs() > f32::EPSILON && f.rows > 0.0 {
                    sql.push_str(&format!("\n    ROWS {}", f.rows));
                }
                if let Some(s) = &f.support {
                    sql.push_str(&format!("\n    SUPPORT {s}"));
                }
            }
            if f.security_definer {
                sql.push_str("\n    SECURITY DEFINER");
            }
            for c in &f.config {
                sql.push_str(&format!("\n    {}", set_clause(c)));
            }
            if let Some(body) = &f.sql_body {
                sql.push_str(&format!("\n{body}"));
            } else if let Some(bin) = &f.bin {
                sql.push_str(&format!(
                    "\n    AS {}, {}",
                    quote_literal_std(bin),
                    quote_literal_std(f.source.as_deref().unwrap_or(""))
                ));
            } else if f.language == "internal" {
                sql.push_str(&format!("\n    AS {}", quote_literal_std(f.source.as_deref().unwrap_or(""))));
            } else {
                sql.push_str(&format!("\n    AS {}", dollar_quote(f.source.as_deref().unwrap_or(""))));
            }
            sql.push_str(";\n");
            let what = format!("{word} {sig}");
            self.decorate(&mut sql, &what, Some(&what), m);
            let mut it = self.item(key(class::PG_PROC, m.oid), EntryKind::from_word(word), Section::PreData, prio::FUNCTION, m.schema.as_deref(), &format!("{}({})", m.name, f.identity_arguments));
            it.owner = m.owner.clone();
            it.sql = sql;
            it.drop = Some(format!("DROP {word} IF EXISTS {sig};\n"));
            self.push(it);
        }
    }

    pub(super) fn aggregates(&mut self) {
        for a in &self.cat.aggregates {
            let m = &a.meta;
            let name = self.names.of(m);
            let args = if a.arguments.is_empty() { "*".to_string() } else { a.arguments.clone() };
            let ident = if a.identity_arguments.is_empty() { "*".to_string() } else { a.identity_arguments.clone() };
            let sig = format!("{name}({ident})");
            let mut p = vec![format!("SFUNC = {}", a.sfunc), format!("STYPE = {}", a.stype)];
            if a.sspace != 0 {
                p.push(format!("SSPACE = {}", a.sspace));
            }
            let modify = |c: char| match c {
                's' => "SHAREABLE",
                'w' => "READ_WRITE",
                _ => "READ_ONLY",
            };
            if let Some(f) = &a.finalfunc {
                p.push(format!("FINALFUNC = {f}"));
                if a.finalextra {
                    p.push("FINALFUNC_EXTRA".into());
                }
                p.push(format!("FINALFUNC_MODIFY = {}", modify(a.finalmodify)));
            }
            if let Some(f) = &a.combinefunc {
                p.push(format!("COMBINEFUNC = {f}"));
            }
            if let Some(f) = &a.serialfunc {
                p.push(format!("SERIALFUNC = {f}"));
            }
            if let Some(f) = &a.deserialfunc {
                p.push(format!("DESERIALFUNC = {f}"));
            }
            if let Some(i) = &a.initcond {
                p.push(format!("INITCOND = {}", quote_literal_std(i)));
            }
            if let Some(f) = &a.msfunc {
                p.push(format!("MSFUNC = {f}"));
            }
            if let Some(f) = &a.minvfunc {
                p.push(format!("MINVFUNC = {f}"));
            }
            if let Some(t) = &a.mstype {
                p.push(format!("MSTYPE = {t}"));
                if a.msspace != 0 {
                    p.push(format!("MSSPACE = {}", a.msspace));
                }
            }
            if let Some(f) = &a.mfinalfunc {
                p.push(format!("MFINALFUNC = {f}"));
                if a.mfinalextra {
                    p.push("MFINALFUNC_EXTRA".into());
                }
                p.push(format!("MFINALFUNC_MODIFY = {}", modify(a.mfinalmodify)));
            }
            if let Some(i) = &a.minitcond {
                p.push(format!("MINITCOND = {}", quote_literal_std(i)));
            }
            if let Some(op) = &a.sortop {
                p.push(format!("SORTOP = {}", operator_ref(op)));
            }
            match a.parallel {
                's' => p.push("PARALLEL = safe".into()),
                'r' => p.push("PARALLEL = restricted".into()),
                _ => {}
            }
            if a.kind == 'h' {
                p.push("HYPOTHETICAL".into());
            }
            let mut sql = format!("CREATE AGGREGATE {name}({args}) (\n    {}\n);\n", p.join(",\n    "));
            let what = format!("AGGREGATE {sig}");
            self.decorate(&mut sql, &what, Some(&format!("FUNCTION {sig}")), m);
            let mut it = self.item(key(class::PG_PROC, m.oid), EntryKind::Aggregate, Section::PreData, prio::AGGREGATE, m.schema.as_deref(), &format!("{}({ident})", m.name));
            it.owner = m.owner.clone();
            it.sql = sql;
            it.drop = Some(format!("DROP AGGREGATE IF EXISTS {sig};\n"));
            self.push(it);
        }
    }

    /// `CREATE [TRUSTED] PROCEDURAL LANGUAGE ... HANDLER ...`, as pg_dump
    /// writes it; privileges only on trusted languages (the server refuses
    /// GRANT on the others).
    pub(super) fn languages(&mut self) {
        for l in &self.cat.languages {
            let m = &l.meta;
            let name = quote_ident(&m.name).into_owned();
            let func = |f: &(String, String, u32)| self.names.qualified(Some(&f.0), &f.1);
            let mut sql = format!(
                "CREATE {}PROCEDURAL LANGUAGE {name} HANDLER {}",
                if l.trusted { "TRUSTED " } else { "" },
                func(&l.handler)
            );
            if let Some(f) = &l.inline {
                sql.push_str(&format!(" INLINE {}", func(f)));
            }
            if let Some(f) = &l.validator {
                sql.push_str(&format!(" VALIDATOR {}", func(f)));
            }
            sql.push_str(";\n");
            let what = format!("LANGUAGE {name}");
            let acl_on = l.trusted.then_some(what.as_str());
            self.decorate(&mut sql, &what, acl_on, m);
            let mut it = self.item(key(class::PG_LANGUAGE, m.oid), EntryKind::ProceduralLanguage, Section::PreData, prio::PROCLANG, None, &m.name);
            it.owner = m.owner.clone();
            it.sql = sql;
            it.drop = Some(format!("DROP PROCEDURAL LANGUAGE IF EXISTS {name};\n"));
            for f in [Some(&l.handler), l.inline.as_ref(), l.validator.as_ref()].into_iter().flatten() {
                it.deps.push(key(class::PG_PROC, f.2));
            }
            self.push(it);
        }
    }
}

/// A dollar-quote tag the body does not contain.
fn dollar_quote(body: &str) -> String {
    let mut tag = String::from("$$");
    let mut n = 0;
    while body.contains(&tag) {
        tag = if n == 0 { "$_$".into() } else { format!("$_{n}$") };
        n += 1;
    }
    format!("{tag}{body}{tag}")
}

/// `proconfig` entries (`name=value`) as `SET` clauses. List-valued
/// settings are split into separate literals, as the server joined them.
fn set_clause(entry: &str) -> String {
    let (k, v) = entry.split_once('=').unwrap_or((entry, ""));
    let list_valued = matches!(
        k,
        "search_path" | "temp_tablespaces" | "session_preload_libraries" | "local_preload_libraries" | "shared_preload_libraries"
    );
    if list_valued {
        let mut items = Vec::new();
        let mut cur = String::new();
        let mut quoted = false;
        let mut chars = v.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '"' if quoted && chars.peek() == Some(&'"') => {
                    chars.next();
                    cur.push('"');
                }
                '"' => quoted = !quoted,
                ',' if !quoted => items.push(std::mem::take(&mut cur).trim().to_string()),
                c if !quoted && c.is_whitespace() && cur.is_empty() => {}
                c => cur.push(c),
            }
        }
        items.push(cur.trim().to_string());
        let lits: Vec<String> = items.iter().map(|i| quote_literal_std(i)).collect();
        format!("SET {} TO {}", quote_ident(k), lits.join(", "))
    } else {
        format!("SET {} TO {}", quote_ident(k), quote_literal_std(v))
    }
}
