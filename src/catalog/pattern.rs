//! Name patterns as `pg_dump -n/-N/-t/-T` and psql take them, turned into
//! anchored regular expressions for the server's `~` operator.
//!
//! This module owns the *pattern language*; it does not query. The rules
//! are psql's ("Patterns" in the psql reference):
//!
//! * `*` matches any sequence of characters (also none), `?` any one.
//! * An unquoted `.` separates the parts of a qualified name: a schema
//!   pattern is `schema` or `database.schema`; a relation pattern is
//!   `table`, `schema.table` or `database.schema.table`. More dots are an
//!   error ([`PatternError::TooManyDots`]).
//! * Unquoted ASCII letters fold to lower case, as the server folds
//!   unquoted identifiers. Other letters are kept: in a UTF-8 database the
//!   server folds only ASCII, and so does psql.
//! * Double quotes make text literal: case is kept and `*`, `?`, `.` and
//!   regular-expression characters mean themselves; `""` inside quotes is
//!   one `"`. A quote left open is an error
//!   ([`PatternError::UnterminatedQuote`]), as in psql's `\d` commands
//!   (pg_dump instead quotes the rest of the pattern, silently).
//! * Outside quotes, other regular-expression characters keep their meaning
//!   (`foo|bar`, `[ab]x`, `x+`), except `$`, which always matches itself
//!   because it is legal in identifiers, and `[]`, which is taken literally
//!   since it is far more likely an array type name than a bracket
//!   expression.
//!
//! Each regex is anchored as `^(...)$`, like psql's, so `|` cannot escape
//! the anchors. They are Advanced Regular Expressions for the server, not
//! for a Rust regex engine. Match them the way psql does, with the pattern
//! as a parameter and the database's collation (catalog `name` columns
//! carry collation "C", which changes what classes like `\w` match):
//!
//! ```sql
//! n.nspname OPERATOR(pg_catalog.~) $1 COLLATE pg_catalog.default
//! ```
//!
//! A regex equal to [`MATCH_ANY`] (the pattern part was `*`) matches every
//! name; callers may leave that condition out, as psql does.
//!
//! Where we differ from pg_dump, on purpose:
//!
//! * A relation pattern without a schema part (`-t orders`) matches in
//!   **every** schema ([`NamePattern::schema_regex`] is `None`). pg_dump
//!   instead keeps only tables visible on its search path (in practice
//!   `public`), which silently misses same-named tables of other tenants'
//!   schemas; pgkeep's users back up many schemas, so "every schema" is the
//!   least surprising reading. Write `public.orders` for pg_dump's result.
//! * A schema pattern with one dot (`-n mydb.tenant_a`) is split into a
//!   database and a schema. pg_dump accepts the dot but then compares an
//!   empty database name with the connected one, so it always fails with
//!   "cross-database references are not implemented".
//! * A pattern containing a NUL byte is rejected ([`PatternError::Nul`]):
//!   no name can contain one.
//!
//! The database part is not a pattern: it is the literal text (quotes
//! removed, unquoted ASCII letters folded, `*` and `?` kept as characters)
//! and must equal the connected database's name. [`parse`] cannot know that
//! name; the caller checks with [`NamePattern::check_database`].

use std::fmt;

/// The regex a lone `*` produces: it matches every name.
pub const MATCH_ANY: &str = "^(.*)$";

/// What a pattern selects, which decides how many dotted parts it may have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PatternKind {
    /// `-n` / `-N`: `schema` or `database.schema`.
    Schema,
    /// `-t` / `-T`: `table`, `schema.table` or `database.schema.table`.
    Relation,
}

impl PatternKind {
    fn max_parts(self) -> usize {
        match self {
            PatternKind::Schema => 2,
            PatternKind::Relation => 3,
        }
    }

    fn forms(self) -> &'static str {
        match self {
            PatternKind::Schema => "`schema` or `database.schema`",
            PatternKind::Relation => "`table`, `schema.table` or `database.schema.table`",
        }
    }
}

impl fmt::Display for PatternKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PatternKind::Schema => "schema",
            PatternKind::Relation => "table",
        })
    }
}

/// A parsed pattern: anchored regexes for the server, plus the literal
/// database part if one was given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamePattern {
    /// The pattern as the user wrote it, for messages.
    pub original: String,
    /// The kind it was parsed as.
    pub kind: PatternKind,
    /// The literal database part (`db` in `db.schema.table`); check it with
    /// [`NamePattern::check_database`].
    pub database: Option<String>,
    /// For [`PatternKind::Relation`]: the schema regex, or `None` when the
    /// pattern has no schema part and so matches in every schema. Always
    /// `None` for [`PatternKind::Schema`].
    pub schema_regex: Option<String>,
    /// The regex for the last part: the relation name, or for
    /// [`PatternKind::Schema`] the schema name.
    pub name_regex: String,
}

impl NamePattern {
    /// Fails unless the pattern's database part, if any, is exactly
    /// `connected` (the name of the database we are connected to).
    pub fn check_database(&self, connected: &str) -> Result<(), PatternError> {
        match &self.database {
            Some(database) if database != connected => Err(PatternError::CrossDatabase {
                pattern: self.original.clone(),
                kind: self.kind,
                database: database.clone(),
                connected: connected.to_owned(),
            }),
            _ => Ok(()),
        }
    }
}

/// A pattern that cannot be used; every message names the pattern.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error(
        "{kind} pattern `{pattern}` has too many dotted names; write {forms} \
         (put a dot that belongs to a name in double quotes)",
        forms = .kind.forms()
    )]
    TooManyDots { pattern: String, kind: PatternKind },
    #[error(
        "{kind} pattern `{pattern}` names database `{database}`, but the connection \
         is to database `{connected}`: cross-database references are not implemented; \
         drop the database part or connect to `{database}`"
    )]
    CrossDatabase {
        pattern: String,
        kind: PatternKind,
        database: String,
        connected: String,
    },
    #[error(
        "{kind} pattern `{pattern}` has an unterminated double quote; close it \
         (a quote inside a quoted name is written `\"\"`)"
    )]
    UnterminatedQuote { pattern: String, kind: PatternKind },
    #[error(
        "{kind} pattern {pattern:?} contains a NUL byte, which no PostgreSQL name can contain"
    )]
    Nul { pattern: String, kind: PatternKind },
}

/// Characters a backslash makes literal in an ARE; inside double quotes we
/// escape exactly these.
const REGEX_SPECIALS: &str = "|*+?()[]{}.^$\\";

/// One dotted part while parsing: its regex body and its literal text.
#[derive(Default)]
struct Part {
    regex: String,
    literal: String,
}

impl Part {
    fn anchored(&self) -> String {
        format!("^({})$", self.regex)
    }
}

/// Parses `pattern` as a `kind` pattern. See the module documentation for
/// the rules.
pub fn parse(pattern: &str, kind: PatternKind) -> Result<NamePattern, PatternError> {
    if pattern.contains('\0') {
        return Err(PatternError::Nul {
            pattern: pattern.to_owned(),
            kind,
        });
    }

    let mut parts = vec![Part::default()];
    let mut in_quotes = false;
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        let part = parts.last_mut().expect("at least one part");
        match c {
            '"' if in_quotes && chars.peek() == Some(&'"') => {
                chars.next();
                part.regex.push('"');
                part.literal.push('"');
            }
            '"' => in_quotes = !in_quotes,
            '.' if !in_quotes => parts.push(Part::default()),
            '*' if !in_quotes => {
                part.regex.push_str(".*");
                part.literal.push('*');
            }
            '?' if !in_quotes => {
                part.regex.push('.');
                part.literal.push('?');
            }
            'A'..='Z' if !in_quotes => {
                part.regex.push(c.to_ascii_lowercase());
                part.literal.push(c.to_ascii_lowercase());
            }
            '$' => {
                part.regex.push_str("\\$");
                part.literal.push('$');
            }
            _ => {
                let escape = if in_quotes {
                    REGEX_SPECIALS.contains(c)
                } else {
                    c == '[' && chars.peek() == Some(&']')
                };
                if escape {
                    part.regex.push('\\');
                }
                part.regex.push(c);
                part.literal.push(c);
            }
        }
    }

    if in_quotes {
        return Err(PatternError::UnterminatedQuote {
            pattern: pattern.to_owned(),
            kind,
        });
    }
    if parts.len() > kind.max_parts() {
        return Err(PatternError::TooManyDots {
            pattern: pattern.to_owned(),
            kind,
        });
    }
    let name_regex = parts.pop().expect("at least one part").anchored();
    let schema_regex = match kind {
        PatternKind::Relation if parts.len() == 2 => Some(parts.pop().expect("two parts")),
        PatternKind::Relation if parts.len() == 1 => Some(parts.pop().expect("one part")),
        _ => None,
    }
    .map(|part| part.anchored());
    let database = parts.pop().map(|part| part.literal);
    debug_assert!(parts.is_empty());

    Ok(NamePattern {
        original: pattern.to_owned(),
        kind,
        database,
        schema_regex,
        name_regex,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use PatternKind::{Relation, Schema};

    fn rel(p: &str) -> (Option<String>, Option<String>, String) {
        let parsed = parse(p, Relation).unwrap_or_else(|e| panic!("{e}"));
        (parsed.database, parsed.schema_regex, parsed.name_regex)
    }

    fn s(x: &str) -> Option<String> {
        Some(x.to_owned())
    }

    #[test]
    fn globs_and_folding() {
        assert_eq!(rel("tenant_*"), (None, None, "^(tenant_.*)$".into()));
        assert_eq!(rel("t?st"), (None, None, "^(t.st)$".into()));
        assert_eq!(rel("Foo"), (None, None, "^(foo)$".into()));
        assert_eq!(rel("*"), (None, None, MATCH_ANY.into()));
        assert_eq!(rel(""), (None, None, "^()$".into()));
        assert_eq!(rel("ÉTé"), (None, None, "^(Été)$".into()));
    }

    #[test]
    fn quotes() {
        assert_eq!(rel("\"Foo\""), (None, None, "^(Foo)$".into()));
        assert_eq!(rel("\"a.b\""), (None, None, "^(a\\.b)$".into()));
        assert_eq!(rel("\"*?\""), (None, None, "^(\\*\\?)$".into()));
        assert_eq!(rel("\"a\"\"b\""), (None, None, "^(a\"b)$".into()));
        assert_eq!(rel("x\"Y\"z"), (None, None, "^(xYz)$".into()));
        assert_eq!(
            rel("\"|+()[]{}^\\\""),
            (None, None, "^(\\|\\+\\(\\)\\[\\]\\{\\}\\^\\\\)$".into())
        );
        // Outside quotes "" is an empty quoted section, not a quote.
        assert_eq!(rel("a\"\"b"), (None, None, "^(ab)$".into()));
    }

    #[test]
    fn regex_characters_outside_quotes() {
        assert_eq!(rel("a|b"), (None, None, "^(a|b)$".into()));
        assert_eq!(rel("[ab]x+"), (None, None, "^([ab]x+)$".into()));
        assert_eq!(rel("int[]"), (None, None, "^(int\\[])$".into()));
        assert_eq!(rel("a$b"), (None, None, "^(a\\$b)$".into()));
        assert_eq!(rel("\"a$\""), (None, None, "^(a\\$)$".into()));
    }

    #[test]
    fn qualified_relations() {
        assert_eq!(rel("a.b"), (None, s("^(a)$"), "^(b)$".into()));
        assert_eq!(rel("*.*"), (None, s(MATCH_ANY), MATCH_ANY.into()));
        assert_eq!(rel("Sch.\"T\""), (None, s("^(sch)$"), "^(T)$".into()));
        assert_eq!(
            rel("\"My DB\".s*.t"),
            (s("My DB"), s("^(s.*)$"), "^(t)$".into())
        );
        assert_eq!(rel("Db?.s.t"), (s("db?"), s("^(s)$"), "^(t)$".into()));
        assert_eq!(rel("a."), (None, s("^(a)$"), "^()$".into()));
    }

    #[test]
    fn schema_patterns() {
        let p = parse("Tenant_*", Schema).unwrap();
        assert_eq!((p.database, p.schema_regex), (None, None));
        assert_eq!(p.name_regex, "^(tenant_.*)$");
        let p = parse("MyDb.\"S.1\"", Schema).unwrap();
        assert_eq!(p.database, s("mydb"));
        assert_eq!(p.schema_regex, None);
        assert_eq!(p.name_regex, "^(S\\.1)$");
    }

    #[test]
    fn too_many_dots() {
        let e = parse("a.b.c", Schema).unwrap_err();
        assert_eq!(
            e,
            PatternError::TooManyDots {
                pattern: "a.b.c".into(),
                kind: Schema
            }
        );
        assert_eq!(
            e.to_string(),
            "schema pattern `a.b.c` has too many dotted names; write `schema` or \
             `database.schema` (put a dot that belongs to a name in double quotes)"
        );
        let e = parse("a.b.c.d", Relation).unwrap_err();
        assert!(e
            .to_string()
            .starts_with("table pattern `a.b.c.d` has too many"));
        assert!(parse("\"a.b.c\".d.e", Relation).is_ok());
        assert!(parse("...", Relation).is_err());
    }

    #[test]
    fn database_part_is_checked_by_the_caller() {
        let p = parse("app.public.*", Relation).unwrap();
        assert_eq!(p.check_database("app"), Ok(()));
        let e = p.check_database("other").unwrap_err();
        assert_eq!(
            e.to_string(),
            "table pattern `app.public.*` names database `app`, but the connection is to \
             database `other`: cross-database references are not implemented; drop the \
             database part or connect to `app`"
        );
        // No database part: any connection will do.
        assert_eq!(
            parse("public.*", Relation).unwrap().check_database("x"),
            Ok(())
        );
        // The database part is literal text, not a pattern.
        let p = parse("ap*.s", Schema).unwrap();
        assert!(p.check_database("app").is_err());
        assert_eq!(p.check_database("ap*"), Ok(()));
    }

    #[test]
    fn unterminated_quote_is_rejected() {
        for p in ["\"A.b", "a.\"b", "\"a\"\"", "\"\"\""] {
            let e = parse(p, Relation).unwrap_err();
            assert!(
                matches!(e, PatternError::UnterminatedQuote { .. }),
                "{p}: {e:?}"
            );
            assert!(e.to_string().contains(&format!("`{p}`")), "{e}");
        }
        assert!(parse("\"a\"\"\"", Relation).is_ok());
    }

    #[test]
    fn nul_is_rejected() {
        let e = parse("a\0b", Relation).unwrap_err();
        assert!(matches!(e, PatternError::Nul { .. }));
        assert!(e.to_string().contains("NUL"));
    }
}
