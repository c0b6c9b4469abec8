//! Rendering text search parsers, templates, dictionaries and configurations.
//!
//! It renders statements from the model into items and must not query the
//! server or decide the order items run in (that is `resolve` in `mod.rs` and
//! `ddl::sort`).

use super::*;

impl Builder<'_> {
    pub(super) fn text_search(&mut self) {
        for t in &self.cat.text_search {
            let m = &t.meta;
            let name = self.names.of(m);
            let (kind, cls, sql) = match &t.kind {
                TextSearch::Parser { start, gettoken, end, lextypes, headline } => {
                    let mut p = vec![
                        format!("START = {start}"),
                        format!("GETTOKEN = {gettoken}"),
                        format!("END = {end}"),
                        format!("LEXTYPES = {lextypes}"),
                    ];
                    if let Some(h) = headline {
                        p.push(format!("HEADLINE = {h}"));
                    }
                    ("TEXT SEARCH PARSER", class::PG_TS_PARSER, format!("CREATE TEXT SEARCH PARSER {name} (\n    {}\n);\n", p.join(",\n    ")))
                }
                TextSearch::Template { init, lexize } => {
                    let mut p = Vec::new();
                    if let Some(i) = init {
                        p.push(format!("INIT = {i}"));
                    }
                    p.push(format!("LEXIZE = {lexize}"));
                    ("TEXT SEARCH TEMPLATE", class::PG_TS_TEMPLATE, format!("CREATE TEXT SEARCH TEMPLATE {name} (\n    {}\n);\n", p.join(",\n    ")))
                }
                TextSearch::Dictionary { template, options } => {
                    let mut s = format!("CREATE TEXT SEARCH DICTIONARY {name} (\n    TEMPLATE = {template}");
                    if let Some(o) = options {
                        s.push_str(&format!(", {o}"));
                    }
                    s.push_str(" );\n");
                    ("TEXT SEARCH DICTIONARY", class::PG_TS_DICT, s)
                }
                TextSearch::Configuration { parser, mappings } => {
                    let mut s = format!("CREATE TEXT SEARCH CONFIGURATION {name} (\n    PARSER = {parser} );\n");
                    for (alias, dicts) in mappings {
                        s.push_str(&format!(
                            "ALTER TEXT SEARCH CONFIGURATION {name}\n    ADD MAPPING FOR {} WITH {};\n",
                            quote_ident(alias),
                            dicts.join(", ")
                        ));
                    }
                    ("TEXT SEARCH CONFIGURATION", class::PG_TS_CONFIG, s)
                }
            };
            let mut sql = sql;
            self.decorate(&mut sql, &format!("{kind} {name}"), None, m);
            let mut it = self.item(key(cls, m.oid), EntryKind::from_word(kind), Section::PreData, prio::TEXT_SEARCH, m.schema.as_deref(), &m.name);
            it.owner = m.owner.clone();
            it.sql = sql;
            it.drop = Some(format!("DROP {kind} IF EXISTS {name};\n"));
            self.push(it);
        }
    }
}
