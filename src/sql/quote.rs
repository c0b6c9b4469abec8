//! Quoting of SQL identifiers and string literals for the SQL text pgkeep
//! writes (DDL scripts, catalog queries built as text).
//!
//! This module owns *how a name or a string is spelled in SQL*: nothing
//! else in the crate may hand-roll quotes. It follows the server's own
//! rules, so a name we write reads back as exactly the same name and looks
//! the way `pg_dump` and `quote_ident()` would write it:
//!
//! * [`quote_ident`] is the server's `quote_ident()`: a name stays bare only
//!   when it is lower-case ASCII letters, digits and underscores, does not
//!   start with a digit, and is not a keyword other than an unreserved one
//!   ([`KEYWORDS`], PostgreSQL 18's list). Everything else is double-quoted
//!   with `"` doubled.
//! * [`quote_literal_std`] is what DDL scripts use: our scripts set
//!   `standard_conforming_strings = on`, under which a backslash is an
//!   ordinary character and only `'` needs doubling.
//! * [`quote_literal`] is the server's `quote_literal()`: correct under
//!   either setting of `standard_conforming_strings` (it switches to the
//!   `E'...'` form when the value has a backslash), for SQL whose settings
//!   we do not control.
//!
//! The keyword list is PostgreSQL 18's. Servers 13–17 know a subset of it
//! (no keyword that is reserved in any of them became unreserved by 18), so
//! a name quoted here that an older server would have left bare is still
//! the same name to that server: quoting an identifier never changes it.
//!
//! **NUL bytes.** No PostgreSQL name or `text` value can contain U+0000.
//! These functions never fail: a NUL is kept as it is (a name containing
//! one is always quoted), and any statement containing it is refused before
//! it can do anything — tokio-postgres will not send query text with an
//! embedded NUL, and the server rejects the byte in its input. Names read
//! from a catalog never contain one; code that takes names from users (CLI
//! arguments, config files) should reject NUL up front with an error that
//! names the input, as [`crate::catalog::pattern::parse`] does.
//!
//! All text is UTF-8, like every connection tokio-postgres opens; scripts
//! must set `client_encoding = 'UTF8'`.

use std::borrow::Cow;

/// How reserved a keyword is (the category column of the server's
/// `kwlist.h`, and `catcode` of `pg_get_keywords()`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeywordCategory {
    /// Usable as any name without quotes (`catcode` `U`).
    Unreserved,
    /// Usable as a column name, but not as a function or type name (`C`).
    ColName,
    /// Usable as a function or type name, but not as a column name (`T`).
    TypeFuncName,
    /// Never usable as a bare name (`R`).
    Reserved,
}

impl KeywordCategory {
    /// Whether an identifier spelled like a keyword of this category must be
    /// quoted. Like the server, we quote every category but
    /// [`Unreserved`](KeywordCategory::Unreserved), even where the grammar
    /// would accept the bare word.
    pub fn needs_quotes(self) -> bool {
        self != KeywordCategory::Unreserved
    }

    /// The one-letter code `pg_get_keywords()` reports in `catcode`.
    pub fn catcode(self) -> char {
        match self {
            KeywordCategory::Unreserved => 'U',
            KeywordCategory::ColName => 'C',
            KeywordCategory::TypeFuncName => 'T',
            KeywordCategory::Reserved => 'R',
        }
    }
}

/// The category of `word` if it is a PostgreSQL 18 keyword. ASCII letters
/// compare case-insensitively, as in the server's lexer.
pub fn keyword_category(word: &str) -> Option<KeywordCategory> {
    KEYWORDS
        .binary_search_by(|(keyword, _)| {
            keyword
                .bytes()
                .cmp(word.bytes().map(|b| b.to_ascii_lowercase()))
        })
        .ok()
        .map(|i| KEYWORDS[i].1)
}

/// `name` as the server's `quote_ident()` writes it: bare when that reads
/// back as the same name, else in double quotes with every `"` doubled.
///
/// Borrows `name` when it stays bare. The empty string becomes `""` (as on
/// the server), which no statement accepts as a name.
pub fn quote_ident(name: &str) -> Cow<'_, str> {
    if can_stay_bare(name) {
        Cow::Borrowed(name)
    } else {
        let mut out = String::with_capacity(name.len() + 2);
        push_quoted_ident(&mut out, name);
        Cow::Owned(out)
    }
}

/// `schema.name`, each part quoted by [`quote_ident`].
pub fn quote_qualified(schema: &str, name: &str) -> String {
    let mut out = String::with_capacity(schema.len() + name.len() + 5);
    push_ident(&mut out, schema);
    out.push('.');
    push_ident(&mut out, name);
    out
}

/// The names, each quoted by [`quote_ident`], joined by `", "` (a column
/// list). No names give the empty string.
pub fn quote_ident_list<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for (i, name) in names.into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        push_ident(&mut out, name);
    }
    out
}

/// `s` as a string literal for scripts that run with
/// `standard_conforming_strings = on` — **the form DDL uses**: `'...'`
/// with every `'` doubled and backslashes left as they are.
///
/// Wrong under `standard_conforming_strings = off` whenever `s` holds a
/// backslash; use [`quote_literal`] where the setting is not ours.
pub fn quote_literal_std(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if c == '\'' {
            out.push('\'');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// `s` as the server's `quote_literal()` writes it, correct whatever
/// `standard_conforming_strings` is: `'...'` with `'` doubled, and when `s`
/// holds a backslash the escape-string form `E'...'` with backslashes
/// doubled as well.
pub fn quote_literal(s: &str) -> String {
    let escape = s.contains('\\');
    let mut out = String::with_capacity(s.len() + 3);
    if escape {
        out.push('E');
    }
    out.push('\'');
    for c in s.chars() {
        if c == '\'' || (escape && c == '\\') {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

fn can_stay_bare(name: &str) -> bool {
    let bytes = name.as_bytes();
    let Some(&first) = bytes.first() else {
        return false;
    };
    (first.is_ascii_lowercase() || first == b'_')
        && bytes
            .iter()
            .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && keyword_category(name).is_none_or(|category| !category.needs_quotes())
}

fn push_ident(out: &mut String, name: &str) {
    if can_stay_bare(name) {
        out.push_str(name);
    } else {
        push_quoted_ident(out, name);
    }
}

fn push_quoted_ident(out: &mut String, name: &str) {
    out.push('"');
    for c in name.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
}

/// PostgreSQL 18's keywords (`src/include/parser/kwlist.h`) and their
/// categories, sorted by name (ASCII) for binary search.
pub static KEYWORDS: &[(&str, KeywordCategory)] = {
    use KeywordCategory::{ColName, Reserved, TypeFuncName, Unreserved};
    &[
        ("abort", Unreserved),
        ("absent", Unreserved),
        ("absolute", Unreserved),
        ("access", Unreserved),
        ("action", Unreserved),
        ("add", Unreserved),
        ("admin", Unreserved),
        ("after", Unreserved),
        ("aggregate", Unreserved),
        ("all", Reserved),
        ("also", Unreserved),
        ("alter", Unreserved),
        ("always", Unreserved),
        ("analyse", Reserved),
        ("analyze", Reserved),
        ("and", Reserved),
        ("any", Reserved),
        ("array", Reserved),
        ("as", Reserved),
        ("asc", Reserved),
        ("asensitive", Unreserved),
        ("assertion", Unreserved),
        ("assignment", Unreserved),
        ("asymmetric", Reserved),
        ("at", Unreserved),
        ("atomic", Unreserved),
        ("attach", Unreserved),
        ("attribute", Unreserved),
        ("authorization", TypeFuncName),
        ("backward", Unreserved),
        ("before", Unreserved),
        ("begin", Unreserved),
        ("between", ColName),
        ("bigint", ColName),
        ("binary", TypeFuncName),
        ("bit", ColName),
        ("boolean", ColName),
        ("both", Reserved),
        ("breadth", Unreserved),
        ("by", Unreserved),
        ("cache", Unreserved),
        ("call", Unreserved),
        ("called", Unreserved),
        ("cascade", Unreserved),
        ("cascaded", Unreserved),
        ("case", Reserved),
        ("cast", Reserved),
        ("catalog", Unreserved),
        ("chain", Unreserved),
        ("char", ColName),
        ("character", ColName),
        ("characteristics", Unreserved),
        ("check", Reserved),
        ("checkpoint", Unreserved),
        ("class", Unreserved),
        ("close", Unreserved),
        ("cluster", Unreserved),
        ("coalesce", ColName),
        ("collate", Reserved),
        ("collation", TypeFuncName),
        ("column", Reserved),
        ("columns", Unreserved),
        ("comment", Unreserved),
        ("comments", Unreserved),
        ("commit", Unreserved),
        ("committed", Unreserved),
        ("compression", Unreserved),
        ("concurrently", TypeFuncName),
        ("conditional", Unreserved),
        ("configuration", Unreserved),
        ("conflict", Unreserved),
        ("connection", Unreserved),
        ("constraint", Reserved),
        ("constraints", Unreserved),
        ("content", Unreserved),
        ("continue", Unreserved),
        ("conversion", Unreserved),
        ("copy", Unreserved),
        ("cost", Unreserved),
        ("create", Reserved),
        ("cross", TypeFuncName),
        ("csv", Unreserved),
        ("cube", Unreserved),
        ("current", Unreserved),
        ("current_catalog", Reserved),
        ("current_date", Reserved),
        ("current_role", Reserved),
        ("current_schema", TypeFuncName),
        ("current_time", Reserved),
        ("current_timestamp", Reserved),
        ("current_user", Reserved),
        ("cursor", Unreserved),
        ("cycle", Unreserved),
        ("data", Unreserved),
        ("database", Unreserved),
        ("day", Unreserved),
        ("deallocate", Unreserved),
        ("dec", ColName),
        ("decimal", ColName),
        ("declare", Unreserved),
        ("default", Reserved),
        ("defaults", Unreserved),
        ("deferrable", Reserved),
        ("deferred", Unreserved),
        ("definer", Unreserved),
        ("delete", Unreserved),
        ("delimiter", Unreserved),
        ("delimiters", Unreserved),
        ("depends", Unreserved),
        ("depth", Unreserved),
        ("desc", Reserved),
        ("detach", Unreserved),
        ("dictionary", Unreserved),
        ("disable", Unreserved),
        ("discard", Unreserved),
        ("distinct", Reserved),
        ("do", Reserved),
        ("document", Unreserved),
        ("domain", Unreserved),
        ("double", Unreserved),
        ("drop", Unreserved),
        ("each", Unreserved),
        ("else", Reserved),
        ("empty", Unreserved),
        ("enable", Unreserved),
        ("encoding", Unreserved),
        ("encrypted", Unreserved),
        ("end", Reserved),
        ("enforced", Unreserved),
        ("enum", Unreserved),
        ("error", Unreserved),
        ("escape", Unreserved),
        ("event", Unreserved),
        ("except", Reserved),
        ("exclude", Unreserved),
        ("excluding", Unreserved),
        ("exclusive", Unreserved),
        ("execute", Unreserved),
        ("exists", ColName),
        ("explain", Unreserved),
        ("expression", Unreserved),
        ("extension", Unreserved),
        ("external", Unreserved),
        ("extract", ColName),
        ("false", Reserved),
        ("family", Unreserved),
        ("fetch", Reserved),
        ("filter", Unreserved),
        ("finalize", Unreserved),
        ("first", Unreserved),
        ("float", ColName),
        ("following", Unreserved),
        ("for", Reserved),
        ("force", Unreserved),
        ("foreign", Reserved),
        ("format", Unreserved),
        ("forward", Unreserved),
        ("freeze", TypeFuncName),
        ("from", Reserved),
        ("full", TypeFuncName),
        ("function", Unreserved),
        ("functions", Unreserved),
        ("generated", Unreserved),
        ("global", Unreserved),
        ("grant", Reserved),
        ("granted", Unreserved),
        ("greatest", ColName),
        ("group", Reserved),
        ("grouping", ColName),
        ("groups", Unreserved),
        ("handler", Unreserved),
        ("having", Reserved),
        ("header", Unreserved),
        ("hold", Unreserved),
        ("hour", Unreserved),
        ("identity", Unreserved),
        ("if", Unreserved),
        ("ilike", TypeFuncName),
        ("immediate", Unreserved),
        ("immutable", Unreserved),
        ("implicit", Unreserved),
        ("import", Unreserved),
        ("in", Reserved),
        ("include", Unreserved),
        ("including", Unreserved),
        ("increment", Unreserved),
        ("indent", Unreserved),
        ("index", Unreserved),
        ("indexes", Unreserved),
        ("inherit", Unreserved),
        ("inherits", Unreserved),
        ("initially", Reserved),
        ("inline", Unreserved),
        ("inner", TypeFuncName),
        ("inout", ColName),
        ("input", Unreserved),
        ("insensitive", Unreserved),
        ("insert", Unreserved),
        ("instead", Unreserved),
        ("int", ColName),
        ("integer", ColName),
        ("intersect", Reserved),
        ("interval", ColName),
        ("into", Reserved),
        ("invoker", Unreserved),
        ("is", TypeFuncName),
        ("isnull", TypeFuncName),
        ("isolation", Unreserved),
        ("join", TypeFuncName),
        ("json", ColName),
        ("json_array", ColName),
        ("json_arrayagg", ColName),
        ("json_exists", ColName),
        ("json_object", ColName),
        ("json_objectagg", ColName),
        ("json_query", ColName),
        ("json_scalar", ColName),
        ("json_serialize", ColName),
        ("json_table", ColName),
        ("json_value", ColName),
        ("keep", Unreserved),
        ("key", Unreserved),
        ("keys", Unreserved),
        ("label", Unreserved),
        ("language", Unreserved),
        ("large", Unreserved),
        ("last", Unreserved),
        ("lateral", Reserved),
        ("leading", Reserved),
        ("leakproof", Unreserved),
        ("least", ColName),
        ("left", TypeFuncName),
        ("level", Unreserved),
        ("like", TypeFuncName),
        ("limit", Reserved),
        ("listen", Unreserved),
        ("load", Unreserved),
        ("local", Unreserved),
        ("localtime", Reserved),
        ("localtimestamp", Reserved),
        ("location", Unreserved),
        ("lock", Unreserved),
        ("locked", Unreserved),
        ("logged", Unreserved),
        ("mapping", Unreserved),
        ("match", Unreserved),
        ("matched", Unreserved),
        ("materialized", Unreserved),
        ("maxvalue", Unreserved),
        ("merge", Unreserved),
        ("merge_action", ColName),
        ("method", Unreserved),
        ("minute", Unreserved),
        ("minvalue", Unreserved),
        ("mode", Unreserved),
        ("month", Unreserved),
        ("move", Unreserved),
        ("name", Unreserved),
        ("names", Unreserved),
        ("national", ColName),
        ("natural", TypeFuncName),
        ("nchar", ColName),
        ("nested", Unreserved),
        ("new", Unreserved),
        ("next", Unreserved),
        ("nfc", Unreserved),
        ("nfd", Unreserved),
        ("nfkc", Unreserved),
        ("nfkd", Unreserved),
        ("no", Unreserved),
        ("none", ColName),
        ("normalize", ColName),
        ("normalized", Unreserved),
        ("not", Reserved),
        ("nothing", Unreserved),
        ("notify", Unreserved),
        ("notnull", TypeFuncName),
        ("nowait", Unreserved),
        ("null", Reserved),
        ("nullif", ColName),
        ("nulls", Unreserved),
        ("numeric", ColName),
        ("object", Unreserved),
        ("objects", Unreserved),
        ("of", Unreserved),
        ("off", Unreserved),
        ("offset", Reserved),
        ("oids", Unreserved),
        ("old", Unreserved),
        ("omit", Unreserved),
        ("on", Reserved),
        ("only", Reserved),
        ("operator", Unreserved),
        ("option", Unreserved),
        ("options", Unreserved),
        ("or", Reserved),
        ("order", Reserved),
        ("ordinality", Unreserved),
        ("others", Unreserved),
        ("out", ColName),
        ("outer", TypeFuncName),
        ("over", Unreserved),
        ("overlaps", TypeFuncName),
        ("overlay", ColName),
        ("overriding", Unreserved),
        ("owned", Unreserved),
        ("owner", Unreserved),
        ("parallel", Unreserved),
        ("parameter", Unreserved),
        ("parser", Unreserved),
        ("partial", Unreserved),
        ("partition", Unreserved),
        ("passing", Unreserved),
        ("password", Unreserved),
        ("path", Unreserved),
        ("period", Unreserved),
        ("placing", Reserved),
        ("plan", Unreserved),
        ("plans", Unreserved),
        ("policy", Unreserved),
        ("position", ColName),
        ("preceding", Unreserved),
        ("precision", ColName),
        ("prepare", Unreserved),
        ("prepared", Unreserved),
        ("preserve", Unreserved),
        ("primary", Reserved),
        ("prior", Unreserved),
        ("privileges", Unreserved),
        ("procedural", Unreserved),
        ("procedure", Unreserved),
        ("procedures", Unreserved),
        ("program", Unreserved),
        ("publication", Unreserved),
        ("quote", Unreserved),
        ("quotes", Unreserved),
        ("range", Unreserved),
        ("read", Unreserved),
        ("real", ColName),
        ("reassign", Unreserved),
        ("recursive", Unreserved),
        ("ref", Unreserved),
        ("references", Reserved),
        ("referencing", Unreserved),
        ("refresh", Unreserved),
        ("reindex", Unreserved),
        ("relative", Unreserved),
        ("release", Unreserved),
        ("rename", Unreserved),
        ("repeatable", Unreserved),
        ("replace", Unreserved),
        ("replica", Unreserved),
        ("reset", Unreserved),
        ("restart", Unreserved),
        ("restrict", Unreserved),
        ("return", Unreserved),
        ("returning", Reserved),
        ("returns", Unreserved),
        ("revoke", Unreserved),
        ("right", TypeFuncName),
        ("role", Unreserved),
        ("rollback", Unreserved),
        ("rollup", Unreserved),
        ("routine", Unreserved),
        ("routines", Unreserved),
        ("row", ColName),
        ("rows", Unreserved),
        ("rule", Unreserved),
        ("savepoint", Unreserved),
        ("scalar", Unreserved),
        ("schema", Unreserved),
        ("schemas", Unreserved),
        ("scroll", Unreserved),
        ("search", Unreserved),
        ("second", Unreserved),
        ("security", Unreserved),
        ("select", Reserved),
        ("sequence", Unreserved),
        ("sequences", Unreserved),
        ("serializable", Unreserved),
        ("server", Unreserved),
        ("session", Unreserved),
        ("session_user", Reserved),
        ("set", Unreserved),
        ("setof", ColName),
        ("sets", Unreserved),
        ("share", Unreserved),
        ("show", Unreserved),
        ("similar", TypeFuncName),
        ("simple", Unreserved),
        ("skip", Unreserved),
        ("smallint", ColName),
        ("snapshot", Unreserved),
        ("some", Reserved),
        ("source", Unreserved),
        ("sql", Unreserved),
        ("stable", Unreserved),
        ("standalone", Unreserved),
        ("start", Unreserved),
        ("statement", Unreserved),
        ("statistics", Unreserved),
        ("stdin", Unreserved),
        ("stdout", Unreserved),
        ("storage", Unreserved),
        ("stored", Unreserved),
        ("strict", Unreserved),
        ("string", Unreserved),
        ("strip", Unreserved),
        ("subscription", Unreserved),
        ("substring", ColName),
        ("support", Unreserved),
        ("symmetric", Reserved),
        ("sysid", Unreserved),
        ("system", Unreserved),
        ("system_user", Reserved),
        ("table", Reserved),
        ("tables", Unreserved),
        ("tablesample", TypeFuncName),
        ("tablespace", Unreserved),
        ("target", Unreserved),
        ("temp", Unreserved),
        ("template", Unreserved),
        ("temporary", Unreserved),
        ("text", Unreserved),
        ("then", Reserved),
        ("ties", Unreserved),
        ("time", ColName),
        ("timestamp", ColName),
        ("to", Reserved),
        ("trailing", Reserved),
        ("transaction", Unreserved),
        ("transform", Unreserved),
        ("treat", ColName),
        ("trigger", Unreserved),
        ("trim", ColName),
        ("true", Reserved),
        ("truncate", Unreserved),
        ("trusted", Unreserved),
        ("type", Unreserved),
        ("types", Unreserved),
        ("uescape", Unreserved),
        ("unbounded", Unreserved),
        ("uncommitted", Unreserved),
        ("unconditional", Unreserved),
        ("unencrypted", Unreserved),
        ("union", Reserved),
        ("unique", Reserved),
        ("unknown", Unreserved),
        ("unlisten", Unreserved),
        ("unlogged", Unreserved),
        ("until", Unreserved),
        ("update", Unreserved),
        ("user", Reserved),
        ("using", Reserved),
        ("vacuum", Unreserved),
        ("valid", Unreserved),
        ("validate", Unreserved),
        ("validator", Unreserved),
        ("value", Unreserved),
        ("values", ColName),
        ("varchar", ColName),
        ("variadic", Reserved),
        ("varying", Unreserved),
        ("verbose", TypeFuncName),
        ("version", Unreserved),
        ("view", Unreserved),
        ("views", Unreserved),
        ("virtual", Unreserved),
        ("volatile", Unreserved),
        ("when", Reserved),
        ("where", Reserved),
        ("whitespace", Unreserved),
        ("window", Reserved),
        ("with", Reserved),
        ("within", Unreserved),
        ("without", Unreserved),
        ("work", Unreserved),
        ("wrapper", Unreserved),
        ("write", Unreserved),
        ("xml", Unreserved),
        ("xmlattributes", ColName),
        ("xmlconcat", ColName),
        ("xmlelement", ColName),
        ("xmlexists", ColName),
        ("xmlforest", ColName),
        ("xmlnamespaces", ColName),
        ("xmlparse", ColName),
        ("xmlpi", ColName),
        ("xmlroot", ColName),
        ("xmlserialize", ColName),
        ("xmltable", ColName),
        ("year", Unreserved),
        ("yes", Unreserved),
        ("zone", Unreserved),
    ]
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyword_table_is_sorted_and_complete() {
        assert_eq!(KEYWORDS.len(), 494, "PostgreSQL 18 has 494 keywords");
        for pair in KEYWORDS.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{} before {}", pair[0].0, pair[1].0);
        }
        for (word, _) in KEYWORDS {
            assert!(word.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
        }
        let count = |c| KEYWORDS.iter().filter(|(_, k)| *k == c).count();
        assert_eq!(count(KeywordCategory::Reserved), 78);
        assert_eq!(count(KeywordCategory::ColName), 63);
        assert_eq!(count(KeywordCategory::TypeFuncName), 23);
        assert_eq!(count(KeywordCategory::Unreserved), 330);
    }

    #[test]
    fn keyword_lookup() {
        use KeywordCategory::*;
        assert_eq!(keyword_category("select"), Some(Reserved));
        assert_eq!(keyword_category("SeLeCt"), Some(Reserved));
        assert_eq!(keyword_category("user"), Some(Reserved));
        assert_eq!(keyword_category("int"), Some(ColName));
        assert_eq!(keyword_category("left"), Some(TypeFuncName));
        assert_eq!(keyword_category("name"), Some(Unreserved));
        assert_eq!(keyword_category("system_user"), Some(Reserved));
        assert_eq!(keyword_category("abort"), Some(Unreserved));
        assert_eq!(keyword_category("zone"), Some(Unreserved));
        assert_eq!(keyword_category("tenant"), None);
        assert_eq!(keyword_category(""), None);
        assert_eq!(keyword_category("selectx"), None);
    }

    #[test]
    fn identifiers() {
        let cases = [
            ("abc", "abc"),
            ("_x1", "_x1"),
            ("a_1_b", "a_1_b"),
            ("name", "name"),
            ("Abc", "\"Abc\""),
            ("1a", "\"1a\""),
            ("a b", "\"a b\""),
            ("a\"b", "\"a\"\"b\""),
            ("\"", "\"\"\"\""),
            ("", "\"\""),
            ("select", "\"select\""),
            ("int", "\"int\""),
            ("left", "\"left\""),
            ("a$", "\"a$\""),
            ("é", "\"é\""),
            ("a.b", "\"a.b\""),
            ("a\0b", "\"a\0b\""),
        ];
        for (name, want) in cases {
            assert_eq!(quote_ident(name), want, "quote_ident({name:?})");
        }
        assert!(matches!(quote_ident("abc"), Cow::Borrowed("abc")));
    }

    #[test]
    fn qualified_and_lists() {
        assert_eq!(quote_qualified("public", "My Table"), "public.\"My Table\"");
        assert_eq!(quote_qualified("order", "t"), "\"order\".t");
        assert_eq!(quote_ident_list([]), "");
        assert_eq!(quote_ident_list(["a"]), "a");
        assert_eq!(quote_ident_list(["a", "B", "from"]), "a, \"B\", \"from\"");
    }

    #[test]
    fn literals() {
        assert_eq!(quote_literal_std(""), "''");
        assert_eq!(quote_literal_std("it's"), "'it''s'");
        assert_eq!(quote_literal_std("a\\b"), "'a\\b'");
        assert_eq!(quote_literal(""), "''");
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal("a\\b'c"), "E'a\\\\b''c'");
        assert_eq!(quote_literal("ünï"), "'ünï'");
    }
}
