//! [`ConnSpec`]: what the user wrote, read from a libpq keyword/value
//! string (`host=/tmp password='it\'s'`), and written back out quoted the
//! way libpq reads it.
//!
//! Owns the keyword/value syntax and the spec's map; must not apply the
//! environment, files or defaults (that is `resolve`) and leaves URIs to
//! `uri`.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use super::error::ConnError;
use super::keywords::{is_secret, keyword};
use super::resolve::resolve;
use super::resolved::ResolvedConn;
use super::uri::{parse_uri, uri_prefix_len};

/// Connection parameters as written by the user: a conninfo string or URI,
/// before environment, service file, password file and defaults are applied.
///
/// `Debug` never shows the password.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ConnSpec {
    pub(super) params: BTreeMap<&'static str, String>,
}

impl fmt::Debug for ConnSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (k, v) in &self.params {
            if is_secret(k) {
                map.entry(k, &"<redacted>");
            } else {
                map.entry(k, v);
            }
        }
        map.finish()
    }
}


impl FromStr for ConnSpec {
    type Err = ConnError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ConnSpec::parse(s)
    }
}

impl ConnSpec {
    /// An empty spec: everything comes from the environment and defaults.
    pub fn new() -> ConnSpec {
        ConnSpec::default()
    }

    /// Parse a libpq keyword/value string or a `postgres://` /
    /// `postgresql://` URI. Later keywords override earlier ones.
    pub fn parse(s: &str) -> Result<ConnSpec, ConnError> {
        if uri_prefix_len(s).is_some() {
            parse_uri(s)
        } else {
            parse_conninfo(s)
        }
    }

    /// Set one keyword (validating its name, not its value).
    pub fn set(&mut self, keyword_name: &str, value: impl Into<String>) -> Result<(), ConnError> {
        let k = keyword(keyword_name)
            .ok_or_else(|| ConnError::UnknownOption(keyword_name.to_string()))?;
        self.params.insert(k, value.into());
        Ok(())
    }

    /// The value given for a keyword, if any.
    pub fn get(&self, keyword_name: &str) -> Option<&str> {
        self.params.get(keyword_name).map(String::as_str)
    }

    /// Remove a keyword; returns its value.
    pub fn remove(&mut self, keyword_name: &str) -> Option<String> {
        self.params.remove(keyword_name)
    }

    /// The keywords given, in alphabetical order (values hidden).
    pub fn keywords(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.params.keys().copied()
    }

    /// Render as a keyword/value string that [`ConnSpec::parse`] reads back
    /// to an equal spec. **Includes the password**; use
    /// [`ConnSpec::to_redacted_string`] for anything shown to people.
    pub fn to_conninfo_string(&self) -> String {
        self.render(false)
    }

    /// Like [`ConnSpec::to_conninfo_string`] with secrets replaced by `****`.
    pub fn to_redacted_string(&self) -> String {
        self.render(true)
    }

    fn render(&self, redact: bool) -> String {
        let parts: Vec<String> = self
            .params
            .iter()
            .map(|(k, v)| {
                if redact && is_secret(k) {
                    format!("{k}=****")
                } else {
                    format!("{k}={}", quote_conninfo_value(v))
                }
            })
            .collect();
        parts.join(" ")
    }

    /// Apply service file, environment, password file and defaults, and
    /// validate every value. `env` answers environment lookups (`PGHOST`,
    /// `HOME`, ...); pass [`process_env`] for the real environment.
    pub fn resolve(self, env: &dyn Fn(&str) -> Option<String>) -> Result<ResolvedConn, ConnError> {
        resolve(self, env)
    }
}

/// Read the process environment; the usual argument to
/// [`ConnSpec::resolve`].
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// libpq's `isspace` in the C locale.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c')
}

/// Quote a value for a keyword/value string the way libpq reads it back:
/// bare when safe, otherwise single-quoted with `\'` and `\\` escapes.
pub fn quote_conninfo_value(value: &str) -> String {
    let bare = !value.is_empty() && !value.chars().any(|c| is_space(c) || c == '\'' || c == '\\');
    if bare {
        return value.to_string();
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if c == '\'' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

fn parse_conninfo(s: &str) -> Result<ConnSpec, ConnError> {
    let mut spec = ConnSpec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| is_space(*c)) {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if is_space(c) || c == '=' {
                break;
            }
            key.push(c);
            chars.next();
        }
        while chars.peek().is_some_and(|c| is_space(*c)) {
            chars.next();
        }
        if chars.next() != Some('=') {
            return Err(ConnError::Syntax(format!(
                "missing \"=\" after \"{key}\" in connection info string"
            )));
        }
        // libpq skips whitespace after '=' too, so "host= port=1" sets
        // host to "port=1".
        while chars.peek().is_some_and(|c| is_space(*c)) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'\'') {
            chars.next();
            loop {
                match chars.next() {
                    None => {
                        return Err(ConnError::Syntax(
                            "unterminated quoted string in connection info string".into(),
                        ))
                    }
                    Some('\\') => match chars.next() {
                        Some(c) => value.push(c),
                        None => {
                            return Err(ConnError::Syntax(
                                "unterminated quoted string in connection info string".into(),
                            ))
                        }
                    },
                    Some('\'') => break,
                    Some(c) => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if is_space(c) {
                    break;
                }
                chars.next();
                if c == '\\' {
                    if let Some(next) = chars.next() {
                        value.push(next);
                    }
                } else {
                    value.push(c);
                }
            }
        }
        spec.set(&key, value)?;
    }
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use super::super::keywords::KEYWORDS;
    use super::super::test_support::no_env;

    #[test]
    fn parses_conninfo_with_quotes_and_escapes() {
        let s = ConnSpec::parse(
            r"host=/tmp port = 5433 dbname='my db' password='it\'s \\ x' user=a\ b application_name=",
        )
        .unwrap();
        assert_eq!(s.get("host"), Some("/tmp"));
        assert_eq!(s.get("port"), Some("5433"));
        assert_eq!(s.get("dbname"), Some("my db"));
        assert_eq!(s.get("password"), Some(r"it's \ x"));
        assert_eq!(s.get("user"), Some("a b"));
        assert_eq!(s.get("application_name"), Some(""));
        assert!(!format!("{s:?}").contains("it's"));
    }

    #[test]
    fn libpq_quirk_whitespace_after_equals() {
        let s = ConnSpec::parse("host= port=5").unwrap();
        assert_eq!(s.get("host"), Some("port=5"));
        assert_eq!(s.get("port"), None);
    }

    #[test]
    fn conninfo_errors_name_the_problem() {
        let e = ConnSpec::parse("host=x bogus=1").unwrap_err();
        assert_eq!(e.to_string(), "invalid connection option \"bogus\"");
        let e = ConnSpec::parse("host").unwrap_err();
        assert!(
            e.to_string().contains("missing \"=\" after \"host\""),
            "{e}"
        );
        let e = ConnSpec::parse("password='abc").unwrap_err();
        assert!(e.to_string().contains("unterminated quoted string"), "{e}");
        assert!(!e.to_string().contains("abc"));
    }


    #[test]
    fn redaction() {
        let s = ConnSpec::parse("user=u password=topsecret host=h").unwrap();
        assert!(!s.to_redacted_string().contains("topsecret"));
        assert!(s.to_conninfo_string().contains("topsecret"));
        let r = s.resolve(&no_env()).unwrap();
        assert_eq!(r.describe(), "u@h:5432/u");
        assert!(!format!("{r:?}").contains("topsecret"));
    }


    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn any_value_round_trips(value in any::<String>()) {
                let text = format!("password={} dbname={}", quote_conninfo_value(&value), quote_conninfo_value(&value));
                let spec = ConnSpec::parse(&text).unwrap();
                prop_assert_eq!(spec.get("password"), Some(value.as_str()));
                prop_assert_eq!(spec.get("dbname"), Some(value.as_str()));
            }

            #[test]
            fn specs_round_trip(
                entries in proptest::collection::btree_map(
                    proptest::sample::select(KEYWORDS.iter().map(|(k, _)| *k).collect::<Vec<_>>()),
                    any::<String>(),
                    0..8,
                )
            ) {
                let mut spec = ConnSpec::new();
                for (k, v) in &entries {
                    spec.set(k, v.clone()).unwrap();
                }
                let text = spec.to_conninfo_string();
                prop_assert_eq!(ConnSpec::parse(&text).unwrap(), spec);
            }

            #[test]
            fn parser_never_panics(s in any::<String>()) {
                let _ = ConnSpec::parse(&s);
                let _ = ConnSpec::parse(&format!("postgresql://{s}"));
            }
        }
    }
}
