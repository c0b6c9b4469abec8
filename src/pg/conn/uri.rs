//! `postgres://` and `postgresql://` URIs: credentials, percent-decoding,
//! several `host:port` pairs, `[v6]` literals, the query's keywords; and
//! the URI as messages may show it, without its secrets.
//!
//! Owns URI syntax only; produces a [`ConnSpec`] and must not resolve it.
//! No error from here shows a piece of the password.

use super::error::ConnError;
use super::keywords::{is_secret, keyword};
use super::spec::ConnSpec;

pub(super) fn uri_prefix_len(s: &str) -> Option<usize> {
    ["postgresql://", "postgres://"]
        .iter()
        .find(|p| s.starts_with(*p))
        .map(|p| p.len())
}

fn percent_decode(s: &str) -> Result<String, ConnError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .filter(|_| bytes[i + 1].is_ascii_hexdigit() && bytes[i + 2].is_ascii_hexdigit());
            match hex {
                Some(0) => {
                    return Err(ConnError::Uri(format!(
                        "forbidden value %00 in percent-encoded value: \"{s}\""
                    )))
                }
                Some(b) => out.push(b),
                None => {
                    return Err(ConnError::Uri(format!(
                        "invalid percent-encoded token: \"{s}\""
                    )))
                }
            }
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map_err(|_| ConnError::Uri(format!("percent-encoded value is not UTF-8: \"{s}\"")))
}

/// The URI as error messages may show it: the password in the authority
/// part and the value of every secret query parameter replaced by `****`.
pub fn redact_uri(s: &str) -> String {
    let prefix = uri_prefix_len(s).unwrap_or(0);
    let (head, rest) = s.split_at(prefix);
    let mut out = head.to_string();
    // Up to the last '@' before the query, not the first '@' or '/' as the
    // parser reads it: a password holding an unescaped '/' or '@' (the
    // usual way such a URI is malformed) is hidden whole.
    let query_start = rest.find('?').unwrap_or(rest.len());
    let mut rest = rest;
    if let Some(cred_end) = rest[..query_start].rfind('@') {
        let cred = &rest[..cred_end];
        match cred.split_once(':') {
            Some((u, _)) => {
                out.push_str(u);
                out.push_str(":****");
            }
            None => out.push_str(cred),
        }
        out.push('@');
        rest = &rest[cred_end + 1..];
    }
    match rest.split_once('?') {
        None => out.push_str(rest),
        Some((before, query)) => {
            out.push_str(before);
            out.push('?');
            let params: Vec<String> = query
                .split('&')
                .map(|p| match p.split_once('=') {
                    Some((k, _)) if is_secret(&percent_decode(k).unwrap_or_else(|_| k.to_string())) => {
                        format!("{k}=****")
                    }
                    _ => p.to_string(),
                })
                .collect();
            out.push_str(&params.join("&"));
        }
    }
    out
}

pub(super) fn parse_uri(s: &str) -> Result<ConnSpec, ConnError> {
    // Messages quote the URI without its secrets.
    let shown = redact_uri(s);
    // libpq reads the credentials up to the first '@' or '/': a password
    // with an unescaped '/' or a second '@' would be split into a host, a
    // port and a database name, and some later message (an invalid port, a
    // failed connection) would show a piece of it. Refuse such a URI here.
    {
        let rest = &s[uri_prefix_len(s).unwrap_or(0)..];
        let query_start = rest.find('?').unwrap_or(rest.len());
        let strict = rest.find(['@', '/']).filter(|&i| rest[i..].starts_with('@'));
        let generous = rest[..query_start].rfind('@');
        if let Some(g) = generous {
            if strict != Some(g) && rest[..g].contains(':') {
                return Err(ConnError::Uri(format!(
                    "malformed URI \"{shown}\": the user name or password holds an unescaped '@' or '/'; \
                     percent-encode them (%40, %2F)"
                )));
            }
        }
    }
    parse_uri_inner(s, &shown).map_err(|e| {
        // A malformed URI may have been split where the password holds a
        // delimiter, so a piece of the password can surface as a host, a
        // port or a database name in the message: if any piece of what
        // may be the password shows, say less.
        let text = e.to_string();
        if uri_secret_pieces(s).iter().any(|p| text.contains(p.as_str())) {
            ConnError::Uri(format!(
                "malformed URI \"{shown}\" (details withheld: they would show part of the password; \
                 percent-encode reserved characters such as '@', '/', ':', '?' in the user name and password)"
            ))
        } else {
            e
        }
    })
}

/// What in a URI may be a secret (the password, read generously, and the
/// values of secret query parameters), cut at URI delimiters into the
/// pieces a parser could have taken for other fields.
fn uri_secret_pieces(s: &str) -> Vec<String> {
    let rest = &s[uri_prefix_len(s).unwrap_or(0)..];
    let query_start = rest.find('?').unwrap_or(rest.len());
    let mut secrets = Vec::new();
    if let Some(cred_end) = rest[..query_start].rfind('@') {
        if let Some((_, pw)) = rest[..cred_end].split_once(':') {
            secrets.push(pw.to_string());
        }
    }
    for p in rest[query_start..].trim_start_matches('?').split('&') {
        if let Some((k, v)) = p.split_once('=') {
            if is_secret(&percent_decode(k).unwrap_or_else(|_| k.to_string())) {
                secrets.push(v.to_string());
            }
        }
    }
    let mut pieces = Vec::new();
    for secret in secrets {
        if let Ok(d) = percent_decode(&secret) {
            pieces.push(d);
        }
        pieces.extend(secret.split([':', '/', '?', ',', '@', '[', ']', '&', '=']).map(str::to_string));
        pieces.push(secret);
    }
    pieces.retain(|p| !p.is_empty());
    pieces
}

fn parse_uri_inner(s: &str, shown: &str) -> Result<ConnSpec, ConnError> {
    let mut spec = ConnSpec::new();
    let prefix = uri_prefix_len(s).unwrap_or(0);
    let mut rest = &s[prefix..];

    // Credentials: everything before an '@' that comes before the first '/'.
    let cred_end = rest.find(['@', '/']).unwrap_or(rest.len());
    if rest[cred_end..].starts_with('@') {
        let cred = &rest[..cred_end];
        let (user, password) = match cred.split_once(':') {
            Some((u, p)) => (u, Some(p)),
            None => (cred, None),
        };
        if !user.is_empty() {
            spec.set("user", percent_decode(user)?)?;
        }
        if let Some(p) = password {
            // Decoded without echoing it in an error.
            let decoded = percent_decode(p)
                .map_err(|_| ConnError::Uri("invalid percent-encoding in the password".into()))?;
            spec.set("password", decoded)?;
        }
        rest = &rest[cred_end + 1..];
    }

    // Hosts and ports, comma separated; kept as comma-joined lists like
    // libpq does, so "?host=" and the authority part mean the same.
    let mut hosts: Vec<String> = Vec::new();
    let mut ports: Vec<String> = Vec::new();
    let delim;
    loop {
        let host;
        if let Some(after) = rest.strip_prefix('[') {
            let close = after.find(']').ok_or_else(|| {
                ConnError::Uri(format!(
                    "end of string reached when looking for matching \"]\" in IPv6 host address in URI: \"{shown}\""
                ))
            })?;
            if close == 0 {
                return Err(ConnError::Uri(format!(
                    "IPv6 host address may not be empty in URI: \"{shown}\""
                )));
            }
            host = &after[..close];
            rest = &after[close + 1..];
            if let Some(c) = rest.chars().next() {
                if !matches!(c, ':' | '/' | '?' | ',') {
                    let pos = s.len() - rest.len() + 1;
                    return Err(ConnError::Uri(format!(
                        "unexpected character \"{c}\" at position {pos} in URI (expected \":\" or \"/\"): \"{shown}\""
                    )));
                }
            }
        } else {
            let end = rest.find([':', '/', '?', ',']).unwrap_or(rest.len());
            host = &rest[..end];
            rest = &rest[end..];
        }
        hosts.push(host.to_string());
        let mut port = "";
        if let Some(after) = rest.strip_prefix(':') {
            let end = after.find(['/', '?', ',']).unwrap_or(after.len());
            port = &after[..end];
            rest = &after[end..];
        }
        ports.push(port.to_string());
        match rest.strip_prefix(',') {
            Some(after) => rest = after,
            None => {
                delim = rest.chars().next();
                break;
            }
        }
    }
    let host_list = hosts.join(",");
    if !host_list.is_empty() {
        spec.set("host", percent_decode(&host_list)?)?;
    }
    let port_list = ports.join(",");
    if !port_list.is_empty() {
        spec.set("port", percent_decode(&port_list)?)?;
    }

    let mut query = None;
    match delim {
        Some('/') => {
            let after = &rest[1..];
            let (db, q) = match after.split_once('?') {
                Some((d, q)) => (d, Some(q)),
                None => (after, None),
            };
            if !db.is_empty() {
                spec.set("dbname", percent_decode(db)?)?;
            }
            query = q;
        }
        Some('?') => query = Some(&rest[1..]),
        _ => {}
    }
    if let Some(q) = query {
        for param in q.split('&').filter(|p| !p.is_empty()) {
            let Some((k, v)) = param.split_once('=') else {
                return Err(ConnError::Uri(format!(
                    "missing key/value separator \"=\" in URI query parameter: \"{param}\""
                )));
            };
            if v.contains('=') {
                return Err(ConnError::Uri(format!(
                    "extra key/value separator \"=\" in URI query parameter: \"{k}\""
                )));
            }
            let k = percent_decode(k)?;
            let v = if is_secret(&k) {
                percent_decode(v).map_err(|_| {
                    ConnError::Uri(format!("invalid percent-encoding in the value of \"{k}\""))
                })?
            } else {
                percent_decode(v)?
            };
            // JDBC compatibility, as in libpq.
            if k == "ssl" && v == "true" {
                spec.set("sslmode", "require")?;
                continue;
            }
            match keyword(&k) {
                Some(kw) => {
                    spec.params.insert(kw, v);
                }
                None => return Err(ConnError::UnknownUriParameter(k)),
            }
        }
    }
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_uris() {
        let s = ConnSpec::parse(
            "postgresql://us%40er:p%3Ass@db.example.com:6543/my%20db?sslmode=verify-full&application_name=x",
        )
        .unwrap();
        assert_eq!(s.get("user"), Some("us@er"));
        assert_eq!(s.get("password"), Some("p:ss"));
        assert_eq!(s.get("host"), Some("db.example.com"));
        assert_eq!(s.get("port"), Some("6543"));
        assert_eq!(s.get("dbname"), Some("my db"));
        assert_eq!(s.get("sslmode"), Some("verify-full"));

        let s = ConnSpec::parse("postgres://h1:5432,h2,[::1]:7/db").unwrap();
        assert_eq!(s.get("host"), Some("h1,h2,::1"));
        assert_eq!(s.get("port"), Some("5432,,7"));

        let s = ConnSpec::parse("postgresql://%2Fvar%2Frun%2Fpostgresql:5433/db").unwrap();
        assert_eq!(s.get("host"), Some("/var/run/postgresql"));

        let s = ConnSpec::parse("postgresql:///db?host=/tmp/sock&port=7").unwrap();
        assert_eq!(s.get("host"), Some("/tmp/sock"));
        assert_eq!(s.get("dbname"), Some("db"));

        let s = ConnSpec::parse("postgresql://").unwrap();
        assert_eq!(s, ConnSpec::new());

        let s = ConnSpec::parse("postgres://u@h?ssl=true").unwrap();
        assert_eq!(s.get("sslmode"), Some("require"));

        let s = ConnSpec::parse("postgresql://user@?dbname=x").unwrap();
        assert_eq!(s.get("user"), Some("user"));
        assert_eq!(s.get("host"), None);
    }

    #[test]
    fn uri_errors() {
        let e = ConnSpec::parse("postgresql://h/db?foo=1").unwrap_err();
        assert_eq!(e.to_string(), "invalid URI query parameter: \"foo\"");
        assert!(ConnSpec::parse("postgresql://h/db?sslmode").is_err());
        assert!(ConnSpec::parse("postgresql://[::1/db").is_err());
        assert!(ConnSpec::parse("postgresql://h/%zz").is_err());
        let e = ConnSpec::parse("postgresql://u:sec%zzret@h/db").unwrap_err();
        assert!(!e.to_string().contains("sec"), "{e}");
    }

}
