//! Privileges: `aclitem` text parsed, and the GRANT/REVOKE statements that
//! turn an object's starting privileges into the ones it has.
//!
//! Owns the difference computation only; which object and which baseline
//! are the caller's business.

use std::collections::BTreeMap;

use crate::sql::quote::quote_ident;

/// One `grantee=privs/grantor` item. An empty grantee is PUBLIC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AclItem {
    pub grantee: String,
    pub grantor: String,
    /// (privilege letter, with grant option)
    pub privileges: Vec<(char, bool)>,
}

/// Reads a role name as `aclitem` prints it: bare, or double-quoted with
/// `""` for a quote. Returns the name and the rest.
fn read_name(s: &str) -> Option<(String, &str)> {
    if let Some(rest) = s.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = rest.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == '"' {
                if let Some(&(_, '"')) = chars.peek() {
                    chars.next();
                    out.push('"');
                } else {
                    return Some((out, &rest[i + 1..]));
                }
            } else {
                out.push(c);
            }
        }
        None
    } else {
        let end = s.find(['=', '/']).unwrap_or(s.len());
        Some((s[..end].to_string(), &s[end..]))
    }
}

pub fn parse_aclitem(s: &str) -> Option<AclItem> {
    let (grantee, rest) = read_name(s)?;
    let rest = rest.strip_prefix('=')?;
    let slash = rest.find('/')?;
    let (privs, rest) = rest.split_at(slash);
    let (grantor, tail) = read_name(&rest[1..])?;
    if !tail.is_empty() {
        return None;
    }
    let mut privileges: Vec<(char, bool)> = Vec::new();
    for c in privs.chars() {
        if c == '*' {
            privileges.last_mut()?.1 = true;
        } else {
            privileges.push((c, false));
        }
    }
    Some(AclItem { grantee, grantor, privileges })
}

fn privilege_name(c: char) -> Option<&'static str> {
    Some(match c {
        'r' => "SELECT",
        'w' => "UPDATE",
        'a' => "INSERT",
        'd' => "DELETE",
        'D' => "TRUNCATE",
        'x' => "REFERENCES",
        't' => "TRIGGER",
        'X' => "EXECUTE",
        'U' => "USAGE",
        'C' => "CREATE",
        'c' => "CONNECT",
        'T' => "TEMPORARY",
        'm' => "MAINTAIN",
        's' => "SET",
        'A' => "ALTER SYSTEM",
        _ => return None,
    })
}

fn role(name: &str) -> String {
    if name.is_empty() {
        "PUBLIC".into()
    } else {
        quote_ident(name).into_owned()
    }
}

type Grants = BTreeMap<(String, String), BTreeMap<char, bool>>;

fn collect(items: &[String]) -> Result<Grants, String> {
    let mut out: Grants = BTreeMap::new();
    for text in items {
        let item = parse_aclitem(text).ok_or_else(|| format!("unreadable privilege item {text:?}"))?;
        let e = out.entry((item.grantee, item.grantor)).or_default();
        for (p, g) in item.privileges {
            e.insert(p, g);
        }
    }
    Ok(out)
}

fn privilege_list(privs: &[char], column: Option<&str>) -> String {
    privs
        .iter()
        .filter_map(|c| privilege_name(*c))
        .map(|p| match column {
            Some(col) => format!("{p}({col})"),
            None => p.to_string(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// What to grant on: `prefix` goes before GRANT/REVOKE (for
/// `ALTER DEFAULT PRIVILEGES ...`), `on` is e.g. `TABLE s.t`, `column` the
/// quoted column for column privileges.
pub struct Target<'a> {
    pub prefix: &'a str,
    pub on: &'a str,
    pub column: Option<&'a str>,
    pub owner: Option<&'a str>,
}

/// GRANT/REVOKE statements that take `base` to `actual`. `actual` None
/// means the object still has its starting privileges.
pub fn statements(t: &Target, actual: Option<&[String]>, base: &[String]) -> Result<String, String> {
    let Some(actual) = actual else { return Ok(String::new()) };
    let have = collect(actual)?;
    let start = collect(base)?;
    let mut out = String::new();
    // One statement, when there is anything to say: `verb` is e.g.
    // "REVOKE", `to` is " FROM x" or " TO x WITH GRANT OPTION".
    let say = |out: &mut String, verb: &str, privs: &[char], to: String| {
        if !privs.is_empty() {
            out.push_str(&format!("{}{verb} {} ON {}{to};\n", t.prefix, privilege_list(privs, t.column), t.on));
        }
    };
    for (key, privs) in &start {
        let now = have.get(key);
        let revoke: Vec<char> = privs.keys().copied().filter(|p| now.is_none_or(|n| !n.contains_key(p))).collect();
        say(&mut out, "REVOKE", &revoke, format!(" FROM {}", role(&key.0)));
        let lose_option: Vec<char> = privs
            .iter()
            .filter(|(p, g)| **g && now.is_some_and(|n| n.get(p) == Some(&false)))
            .map(|(p, _)| *p)
            .collect();
        say(&mut out, "REVOKE GRANT OPTION FOR", &lose_option, format!(" FROM {}", role(&key.0)));
    }
    // In the order the object lists them (the server appends new grantees,
    // so the restored list comes out in the same order), grants made by the
    // owner first: other grantors may need them.
    let mut keys: Vec<&(String, String)> = Vec::new();
    for text in actual {
        if let Some(item) = parse_aclitem(text) {
            if let Some((k, _)) = have.get_key_value(&(item.grantee, item.grantor)) {
                if !keys.contains(&k) {
                    keys.push(k);
                }
            }
        }
    }
    keys.sort_by_key(|(_, grantor)| Some(grantor.as_str()) != t.owner);
    for key in keys {
        let privs = &have[key];
        let before = start.get(key);
        let plain: Vec<char> = privs
            .iter()
            .filter(|(p, g)| !**g && before.is_none_or(|b| !b.contains_key(p)))
            .map(|(p, _)| *p)
            .collect();
        let with_option: Vec<char> = privs
            .iter()
            .filter(|(p, g)| **g && before.is_none_or(|b| b.get(p) != Some(&true)))
            .map(|(p, _)| *p)
            .collect();
        if plain.is_empty() && with_option.is_empty() {
            continue;
        }
        let as_other = t.owner.is_some_and(|o| o != key.1) && t.prefix.is_empty();
        if as_other {
            out.push_str(&format!("SET SESSION AUTHORIZATION {};\n", role(&key.1)));
        }
        say(&mut out, "GRANT", &plain, format!(" TO {}", role(&key.0)));
        say(&mut out, "GRANT", &with_option, format!(" TO {} WITH GRANT OPTION", role(&key.0)));
        if as_other {
            out.push_str("RESET SESSION AUTHORIZATION;\n");
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_items_with_quoted_names_and_grant_options() {
        let i = parse_aclitem(r#""Odd ""Role"""=r*w/owner"#).unwrap();
        assert_eq!(i.grantee, "Odd \"Role\"");
        assert_eq!(i.grantor, "owner");
        assert_eq!(i.privileges, vec![('r', true), ('w', false)]);
        let p = parse_aclitem("=U/alice").unwrap();
        assert_eq!(p.grantee, "");
        assert!(parse_aclitem("nonsense").is_none());
    }

    #[test]
    fn revokes_what_the_default_had_and_grants_the_rest() {
        let t = Target { prefix: "", on: "FUNCTION f()", column: None, owner: Some("alice") };
        let base = vec!["=X/alice".to_string(), "alice=X/alice".to_string()];
        let actual = vec!["alice=X/alice".to_string(), "bob=X*/alice".to_string()];
        let sql = statements(&t, Some(&actual), &base).unwrap();
        assert_eq!(
            sql,
            "REVOKE EXECUTE ON FUNCTION f() FROM PUBLIC;\nGRANT EXECUTE ON FUNCTION f() TO bob WITH GRANT OPTION;\n"
        );
        assert_eq!(statements(&t, None, &base).unwrap(), "");
    }

    #[test]
    fn grants_by_another_grantor_run_as_that_role() {
        let t = Target { prefix: "", on: "TABLE t", column: None, owner: Some("alice") };
        let actual = vec!["alice=r*/alice".to_string(), "carol=r/bob".to_string()];
        let sql = statements(&t, Some(&actual), &["alice=r*/alice".to_string()]).unwrap();
        assert_eq!(
            sql,
            "SET SESSION AUTHORIZATION bob;\nGRANT SELECT ON TABLE t TO carol;\nRESET SESSION AUTHORIZATION;\n"
        );
    }
}
