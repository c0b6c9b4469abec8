//! Splitting rendered SQL into top-level statements, and recognising the
//! ones a restore may leave out: ownership (`--no-owner`) and privileges
//! (`--no-acl`).
//!
//! The splitter knows SQL's quoting (strings, `E''` strings, quoted
//! identifiers, dollar quotes, comments), so a `GRANT` inside a function
//! body is never taken for a statement of its own. Text it cannot split
//! exactly (a `BEGIN ATOMIC` body, whose inner statements hold no
//! ownership or privilege commands) is rejoined unchanged.

/// Past a string constant starting at `b[i] == '\''` (`E''` strings honour
/// backslash escapes, `''` is a quote inside).
fn skip_string(b: &[u8], mut i: usize) -> usize {
    let escapes = i > 0 && (b[i - 1] == b'E' || b[i - 1] == b'e') && (i < 2 || !is_ident_byte(b[i - 2]));
    i += 1;
    while i < b.len() {
        if escapes && b[i] == b'\\' {
            i += 2;
            continue;
        }
        if b[i] == b'\'' {
            if b.get(i + 1) == Some(&b'\'') {
                i += 2;
                continue;
            }
            break;
        }
        i += 1;
    }
    i + 1
}

/// Past a comment starting at `i` (`--` to the end of the line, or a
/// nested `/* */`), or `None` when none starts there.
fn skip_comment(b: &[u8], mut i: usize) -> Option<usize> {
    match (b[i], b.get(i + 1)) {
        (b'-', Some(b'-')) => {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            Some(i)
        }
        (b'/', Some(b'*')) => {
            let mut depth = 0usize;
            while i < b.len() {
                if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            Some(i)
        }
        _ => None,
    }
}

/// The statements of `sql`, each with its terminating `;` and the line
/// break after it; their concatenation is `sql`.
pub fn split(sql: &str) -> Vec<&str> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let (mut start, mut i) = (0usize, 0usize);
    while i < b.len() {
        match b[i] {
            b'\'' => i = skip_string(b, i),
            b'"' => {
                i += 1;
                while i < b.len() {
                    if b[i] == b'"' {
                        if b.get(i + 1) == Some(&b'"') {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'-' | b'/' if skip_comment(b, i).is_some() => i = skip_comment(b, i).unwrap_or(i + 1),
            b'$' if i == 0 || !is_ident_byte(b[i - 1]) => {
                // $tag$ ... $tag$; a tag does not start with a digit.
                let mut j = i + 1;
                while j < b.len() && is_ident_byte(b[j]) {
                    j += 1;
                }
                let tag_ok = j < b.len() && b[j] == b'$' && !b.get(i + 1).is_some_and(|c| c.is_ascii_digit());
                if tag_ok {
                    let tag = &sql[i..=j];
                    match sql[j + 1..].find(tag) {
                        Some(end) => i = j + 1 + end + tag.len(),
                        None => i = b.len(),
                    }
                } else {
                    i += 1;
                }
            }
            b';' => {
                i += 1;
                while i < b.len() && (b[i] == b'\n' || b[i] == b'\r') {
                    i += 1;
                }
                out.push(&sql[start..i]);
                start = i;
            }
            _ => i += 1,
        }
    }
    if start < sql.len() {
        out.push(&sql[start..]);
    }
    out
}

fn is_ident_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

/// The names that `sql` qualifies by schema `schema` (`schema.name`,
/// `"Schema"."Name"`, `OPERATOR(schema.+)`), outside string constants and
/// comments (function bodies are searched too: they are text the server
/// does not rewrite). A restore under another schema name uses this to say
/// which statements keep pointing at the source schema.
pub fn qualified_by(sql: &str, schema: &str) -> Vec<String> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0usize;
    // One identifier (bare or quoted) starting at `at`: its name and end.
    let ident = |at: usize| -> Option<(String, usize)> {
        if b.get(at) == Some(&b'"') {
            let mut name = Vec::new();
            let mut j = at + 1;
            while j < b.len() {
                if b[j] == b'"' {
                    if b.get(j + 1) == Some(&b'"') {
                        name.push(b'"');
                        j += 2;
                        continue;
                    }
                    return Some((String::from_utf8_lossy(&name).into_owned(), j + 1));
                }
                name.push(b[j]);
                j += 1;
            }
            None
        } else if b.get(at).is_some_and(|&c| is_ident_byte(c) && !c.is_ascii_digit()) {
            let mut j = at;
            while j < b.len() && (is_ident_byte(b[j]) || b[j] == b'$') {
                j += 1;
            }
            Some((sql[at..j].to_string(), j))
        } else {
            None
        }
    };
    while i < b.len() {
        match b[i] {
            b'\'' => i = skip_string(b, i),
            b'-' | b'/' if skip_comment(b, i).is_some() => i = skip_comment(b, i).unwrap_or(i + 1),
            c if c == b'"' || (is_ident_byte(c) && !c.is_ascii_digit() && (i == 0 || !(is_ident_byte(b[i - 1]) || b[i - 1] == b'$'))) => {
                let Some((name, end)) = ident(i) else { break };
                // A bare word matches the (lower-case) name only unquoted.
                let matches = if c == b'"' { name == schema } else { name == schema && crate::sql::quote::quote_ident(schema) == schema };
                if matches && b.get(end) == Some(&b'.') {
                    if let Some((next, _)) = ident(end + 1) {
                        out.push(next);
                    } else {
                        // An operator: up to the closing parenthesis.
                        let rest = &sql[end + 1..];
                        let op: String = rest.chars().take_while(|c| "+-*/<>=~!@#%^&|`?".contains(*c)).collect();
                        if !op.is_empty() {
                            out.push(op);
                        }
                    }
                }
                i = end;
            }
            _ => i += 1,
        }
    }
    out
}

/// `ALTER ... OWNER TO role;`
pub fn is_owner_statement(stmt: &str) -> bool {
    let s = stmt.trim();
    s.starts_with("ALTER ") && !s.starts_with("ALTER DEFAULT PRIVILEGES") && {
        let body = s.trim_end_matches(';');
        body.rfind(" OWNER TO ").is_some_and(|at| {
            let role = &body[at + " OWNER TO ".len()..];
            !role.is_empty() && !role.contains(' ') || (role.starts_with('"') && role.ends_with('"'))
        })
    }
}

/// `GRANT`, `REVOKE`, default privileges, and the `SET/RESET SESSION
/// AUTHORIZATION` that wraps privileges granted by another role.
pub fn is_acl_statement(stmt: &str) -> bool {
    let s = stmt.trim_start();
    s.starts_with("GRANT ")
        || s.starts_with("REVOKE ")
        || s.starts_with("ALTER DEFAULT PRIVILEGES ")
        || s.starts_with("SET SESSION AUTHORIZATION ")
        || s.starts_with("RESET SESSION AUTHORIZATION")
}

/// `sql` without the statements the options leave out.
pub fn strip(sql: &str, no_owner: bool, no_acl: bool) -> String {
    if !no_owner && !no_acl {
        return sql.to_string();
    }
    split(sql)
        .into_iter()
        .filter(|s| (!no_owner || !is_owner_statement(s)) && (!no_acl || !is_acl_statement(s)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_respects_quotes_and_bodies() {
        let sql = "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $_$\nBEGIN\nGRANT SELECT ON t TO r;\nEND $_$;\n\
                   ALTER FUNCTION f() OWNER TO \"Bob; the owner\";\n\
                   COMMENT ON TABLE t IS 'a; b '' -- c';\n\
                   GRANT SELECT ON TABLE t TO PUBLIC;\n\
                   /* x; /* y; */ */ SELECT 1;\n\
                   SELECT E'\\'; not end';\n";
        let parts = split(sql);
        assert_eq!(parts.concat(), sql);
        assert_eq!(parts.len(), 6, "{parts:#?}");
        assert!(is_owner_statement(parts[1]));
        assert!(is_acl_statement(parts[3]));
        let stripped = strip(sql, true, true);
        assert!(stripped.contains("GRANT SELECT ON t TO r;"), "the body keeps its text");
        assert!(!stripped.contains("OWNER TO"));
        assert!(!stripped.contains("TO PUBLIC"));
        assert!(!is_owner_statement("ALTER TABLE t ALTER COLUMN \"OWNER TO \" SET DEFAULT 1;"));
    }

    #[test]
    fn qualified_names_are_found_outside_strings() {
        let sql = "CREATE VIEW x.v AS SELECT t1.lower('t1.no'), t1.\"Odd\"\"x\", a OPERATOR(t1.===) b -- t1.comment\n\
                   FROM t1.pg_class c, myt1.other, \"t1\".int4 /* t1.z */;\n\
                   CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT t1.now() $$;";
        assert_eq!(qualified_by(sql, "t1"), ["lower", "Odd\"x", "===", "pg_class", "int4", "now"]);
        assert_eq!(qualified_by("SELECT \"Tenant A\".f(), tenant.g()", "Tenant A"), ["f"]);
        assert!(qualified_by("SELECT T1.f()", "t1").is_empty(), "an unquoted T1 would be t1 to the server, but ruleutils never writes it so");
    }
}
