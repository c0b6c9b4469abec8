//! Where a repository is: a local directory or a prefix in an object store
//! bucket (`s3://bucket/prefix`, `az://container/prefix`,
//! `gs://bucket/prefix`). Parsing and printing only: this module opens
//! nothing and reads no credentials (those come from each cloud's
//! environment, in `object`).
//!
//! Anything without a `scheme://` is a local path, so every path that
//! worked before still does. A `scheme://` we do not know is an error rather
//! than a directory named `scheme:`: a typo such as `s4://` must not quietly
//! create a local repository.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The object stores a repository can live in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StoreKind {
    /// Amazon S3 and S3-compatible stores (MinIO, Cloudflare R2, ...).
    S3,
    /// Azure Blob Storage.
    Azure,
    /// Google Cloud Storage.
    Gcs,
}

impl StoreKind {
    /// The URL scheme the location is printed with.
    pub fn scheme(self) -> &'static str {
        match self {
            StoreKind::S3 => "s3",
            StoreKind::Azure => "az",
            StoreKind::Gcs => "gs",
        }
    }

    /// What the top-level name is called in this store, for messages.
    pub fn bucket_word(self) -> &'static str {
        match self {
            StoreKind::Azure => "container",
            _ => "bucket",
        }
    }
}

/// A repository's location.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RepoLocation {
    Local(PathBuf),
    Remote {
        kind: StoreKind,
        /// Bucket (S3, GCS) or container (Azure).
        bucket: String,
        /// Objects live under `prefix/` ("" for the bucket's root): no
        /// leading or trailing slash, no empty, `.` or `..` segment.
        prefix: String,
    },
}

/// Why a `--repo` value is not a location.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid repository location {input:?}: {problem}")]
pub struct LocationError {
    pub input: String,
    pub problem: String,
}

impl RepoLocation {
    /// Parse what a user gave as `--repo` (or the service's `repository`).
    pub fn parse(s: &str) -> Result<RepoLocation, LocationError> {
        let err = |problem: String| LocationError {
            input: shown(s),
            problem,
        };
        if s.is_empty() {
            return Err(err("it is empty".into()));
        }
        let Some((scheme, rest)) = s.split_once("://") else {
            return Ok(RepoLocation::Local(PathBuf::from(s)));
        };
        // Only a scheme-like head makes it a URL: `./a://b` stays a path.
        if scheme.is_empty()
            || !scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.')
        {
            return Ok(RepoLocation::Local(PathBuf::from(s)));
        }
        let kind = match scheme.to_ascii_lowercase().as_str() {
            "s3" => StoreKind::S3,
            "az" | "azure" => StoreKind::Azure,
            "gs" => StoreKind::Gcs,
            "file" => {
                if rest.is_empty() || !rest.starts_with('/') {
                    return Err(err("a file:// location needs an absolute path (file:///srv/backups)".into()));
                }
                return Ok(RepoLocation::Local(PathBuf::from(rest)));
            }
            other => {
                return Err(err(format!(
                    "unknown scheme {other}://; use s3://, az:// (or azure://), gs://, or a local path"
                )))
            }
        };
        if rest.contains(['?', '#']) {
            return Err(err(
                "query strings and fragments are not part of a location (credentials and endpoints come from the environment)".into(),
            ));
        }
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(err(format!("the {} name is missing", kind.bucket_word())));
        }
        if bucket.contains('@') || bucket.contains(':') {
            return Err(err(format!(
                "{} names hold no '@' or ':' (credentials and endpoints come from the environment, never from the location)",
                kind.bucket_word()
            )));
        }
        if !bucket
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        {
            return Err(err(format!(
                "{} name {bucket:?} may hold only letters, digits, '-', '_' and '.'",
                kind.bucket_word()
            )));
        }
        let prefix = prefix.trim_end_matches('/');
        let mut segments = Vec::new();
        for seg in prefix.split('/').filter(|_| !prefix.is_empty()) {
            if seg.is_empty() || seg == "." || seg == ".." {
                return Err(err(format!(
                    "the prefix {prefix:?} has an empty, '.' or '..' segment"
                )));
            }
            if seg.chars().any(|c| c.is_control()) {
                return Err(err("the prefix holds a control character".into()));
            }
            segments.push(seg);
        }
        Ok(RepoLocation::Remote {
            kind,
            bucket: bucket.to_string(),
            prefix: segments.join("/"),
        })
    }

    /// The directory, for a local repository.
    pub fn local_path(&self) -> Option<&Path> {
        match self {
            RepoLocation::Local(p) => Some(p),
            RepoLocation::Remote { .. } => None,
        }
    }

    pub fn is_remote(&self) -> bool {
        matches!(self, RepoLocation::Remote { .. })
    }

    /// A relative local path resolved against `dir` (the service resolves
    /// its configuration's repository against the file's directory).
    pub fn relative_to(self, dir: &Path) -> RepoLocation {
        match self {
            RepoLocation::Local(p) if p.is_relative() => RepoLocation::Local(dir.join(p)),
            other => other,
        }
    }
}

/// The input as an error may repeat it: without user-info (`key:secret@`)
/// or a query string, which could hold credentials.
fn shown(s: &str) -> String {
    let Some((scheme, rest)) = s.split_once("://") else {
        return s.to_string();
    };
    let rest = match rest.find(['?', '#']) {
        Some(q) => format!("{}?…", &rest[..q]),
        None => rest.to_string(),
    };
    let host_end = rest.find('/').unwrap_or(rest.len());
    match rest[..host_end].rfind('@') {
        Some(at) => format!("{scheme}://…@{}", &rest[at + 1..]),
        None => format!("{scheme}://{rest}"),
    }
}

impl From<PathBuf> for RepoLocation {
    fn from(p: PathBuf) -> Self {
        RepoLocation::Local(p)
    }
}

impl From<&Path> for RepoLocation {
    fn from(p: &Path) -> Self {
        RepoLocation::Local(p.to_path_buf())
    }
}

impl FromStr for RepoLocation {
    type Err = LocationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RepoLocation::parse(s)
    }
}

impl fmt::Display for RepoLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RepoLocation::Local(p) => write!(f, "{}", p.display()),
            RepoLocation::Remote {
                kind,
                bucket,
                prefix,
            } if prefix.is_empty() => write!(f, "{}://{bucket}", kind.scheme()),
            RepoLocation::Remote {
                kind,
                bucket,
                prefix,
            } => write!(f, "{}://{bucket}/{prefix}", kind.scheme()),
        }
    }
}

impl<'de> serde::Deserialize<'de> for RepoLocation {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        RepoLocation::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl serde::Serialize for RepoLocation {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote(kind: StoreKind, bucket: &str, prefix: &str) -> RepoLocation {
        RepoLocation::Remote {
            kind,
            bucket: bucket.into(),
            prefix: prefix.into(),
        }
    }

    #[test]
    fn parses_every_store_and_local_paths() {
        let cases = [
            ("s3://b/p/q", remote(StoreKind::S3, "b", "p/q")),
            ("s3://b", remote(StoreKind::S3, "b", "")),
            ("s3://b/", remote(StoreKind::S3, "b", "")),
            ("s3://b/p/", remote(StoreKind::S3, "b", "p")),
            ("az://c/x", remote(StoreKind::Azure, "c", "x")),
            ("azure://c/x", remote(StoreKind::Azure, "c", "x")),
            ("gs://my-bucket.example/backups", remote(StoreKind::Gcs, "my-bucket.example", "backups")),
            ("/srv/repo", RepoLocation::Local("/srv/repo".into())),
            ("repo", RepoLocation::Local("repo".into())),
            ("./a://b", RepoLocation::Local("./a://b".into())),
            ("file:///srv/repo", RepoLocation::Local("/srv/repo".into())),
        ];
        for (input, want) in cases {
            assert_eq!(RepoLocation::parse(input).unwrap(), want, "{input}");
        }
    }

    #[test]
    fn display_round_trips() {
        for s in ["s3://b/p/q", "s3://b", "az://c/x", "gs://b/x", "/srv/repo", "rel/dir"] {
            let l = RepoLocation::parse(s).unwrap();
            assert_eq!(l.to_string(), s);
            assert_eq!(RepoLocation::parse(&l.to_string()).unwrap(), l);
        }
        assert_eq!(RepoLocation::parse("azure://c/x").unwrap().to_string(), "az://c/x");
    }

    #[test]
    fn rejects_what_is_not_a_location() {
        for (input, needle) in [
            ("", "empty"),
            ("s4://b/p", "unknown scheme s4://"),
            ("http://host/b", "unknown scheme http://"),
            ("s3://", "bucket name is missing"),
            ("az:///x", "container name is missing"),
            ("s3://key:secret@b/p", "credentials"),
            ("s3://b/p?x=1", "query strings"),
            ("s3://b/a//b", "empty, '.' or '..'"),
            ("s3://b/a/../b", "empty, '.' or '..'"),
            ("s3://b c/p", "may hold only"),
            ("file://relative", "absolute path"),
        ] {
            let e = RepoLocation::parse(input).unwrap_err().to_string();
            assert!(e.contains(needle), "{input}: {e}");
            assert!(!e.contains("secret") && !e.contains("x=1"), "{e}");
        }
    }

    #[test]
    fn relative_local_paths_resolve_against_a_directory() {
        let l = RepoLocation::parse("repo").unwrap().relative_to(Path::new("/etc/pgkeep"));
        assert_eq!(l, RepoLocation::Local("/etc/pgkeep/repo".into()));
        let r = RepoLocation::parse("s3://b/p").unwrap();
        assert_eq!(r.clone().relative_to(Path::new("/x")), r);
    }
}
