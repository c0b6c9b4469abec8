//! Repositories on object storage: S3 and S3-compatible stores (MinIO,
//! R2), Azure Blob Storage and Google Cloud Storage, through the
//! `object_store` crate. Same layout as a local repository, under the
//! location's prefix (`config`, `data/XX/<id>`, `index/`, `snapshots/`,
//! `locks/`, `jobs/`); no `tmp/`, since a PUT is atomic.
//!
//! What this module owns:
//! - turning a [`RepoLocation`] into a store client. Credentials and
//!   endpoints come only from each cloud's standard environment
//!   (`AWS_*`, `AZURE_*`, `GOOGLE_*`, through object_store's `from_env`),
//!   never from the command line or the location string; library callers
//!   (tests) may add settings through [`RemoteOptions`].
//! - the write guarantees of [`Backend`]: `write` leaves the complete
//!   object or nothing (one PUT, or a multipart upload that becomes visible
//!   only when completed, with at most [`MAX_PARTS_IN_FLIGHT`] parts of
//!   [`PART_SIZE`] in memory besides the caller's buffer); `write_new` is a
//!   conditional PUT (`If-None-Match: *`), so two writers never overwrite
//!   each other's snapshot, lock or config.
//! - retries with backoff on transient failures (object_store's
//!   `RetryConfig`), then one typed error, [`RepoError::Remote`], naming the
//!   object and never the credentials or a URL's query string.
//!
//! Why a runtime of its own: the [`Backend`] trait is synchronous and is
//! called from plain threads (compression workers, chunkers, restore
//! readers) and sometimes from inside tokio tasks of the caller's runtime.
//! `Runtime::block_on` panics inside another runtime, and blocking on a
//! future of the caller's runtime from one of its own workers can deadlock
//! it. So every operation is spawned on one process-wide runtime owned here
//! (two worker threads, named `pgkeep-objstore`) and the caller waits on a
//! std channel, which needs no runtime context and no tokio budget. This
//! module must not call `block_on` of any runtime, nor spawn onto the
//! caller's runtime, nor call a [`Backend`] method from a task of its own
//! runtime (two such waits would stall both of its workers).
//!
//! What it must not do: interpret the bytes it stores, create buckets, or
//! print anything that could hold a secret.

use std::collections::VecDeque;
use std::future::Future;
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures::StreamExt;
use object_store::path::Path as ObjPath;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};

use super::backend::{is_job_name, is_object_name, Backend, FileInfo, FileType};
use super::error::{RepoError, Result};
use super::location::{RepoLocation, StoreKind};

/// Objects larger than this go up as a multipart upload.
pub const MULTIPART_THRESHOLD: usize = 16 << 20;
/// Size of each part of a multipart upload (S3 wants at least 5 MiB for
/// every part but the last).
pub const PART_SIZE: usize = 8 << 20;
/// Parts uploaded at once: bounds the memory a large write takes besides
/// the caller's own buffer.
pub const MAX_PARTS_IN_FLIGHT: usize = 2;

/// Time one request may take (a part or object upload included), unless
/// the store's environment sets its own (`AWS_TIMEOUT`, `AZURE_TIMEOUT`,
/// `GOOGLE_TIMEOUT`).
const REQUEST_TIMEOUT: &str = "300s";

/// How hard to try before an operation fails.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Retries of one request after its first attempt.
    pub max_retries: usize,
    /// No retry starts after this long since the first attempt.
    pub retry_timeout: Duration,
    pub init_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 10,
            retry_timeout: Duration::from_secs(180),
            init_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(15),
        }
    }
}

/// How to reach the store, beyond its environment.
#[derive(Clone, Debug, Default)]
pub struct RemoteOptions {
    /// object_store configuration keys and values (`aws_endpoint`,
    /// `aws_allow_http`, `azure_storage_account_name`, ...) applied over
    /// the environment. The CLI and the service pass none: their settings
    /// and credentials come from the environment only. Values are never
    /// printed.
    pub settings: Vec<(String, String)>,
    pub retry: RetryPolicy,
}

/// A repository under a prefix of a bucket (or container).
pub struct ObjectBackend {
    store: Arc<dyn ObjectStore>,
    location: RepoLocation,
    kind: StoreKind,
    /// The location's prefix as path segments (empty: the bucket's root).
    prefix: Vec<String>,
}

impl std::fmt::Debug for ObjectBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectBackend")
            .field("location", &self.location.to_string())
            .finish_non_exhaustive()
    }
}

fn runtime() -> Result<&'static tokio::runtime::Runtime> {
    static RT: OnceLock<std::result::Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("pgkeep-objstore")
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| RepoError::WriterFailed(format!("cannot start the object store runtime: {e}")))
}

/// Start `fut` on the module's runtime; the receiver gets its output.
fn spawn<F>(fut: F) -> Result<mpsc::Receiver<F::Output>>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (tx, rx) = mpsc::sync_channel(1);
    runtime()?.spawn(async move {
        let _ = tx.send(fut.await);
    });
    Ok(rx)
}

fn wait<T>(rx: mpsc::Receiver<T>) -> Result<T> {
    rx.recv().map_err(|_| {
        RepoError::WriterFailed("an object store operation stopped without an answer (it panicked)".into())
    })
}

/// Run `fut` on the module's runtime and wait for it, from any thread.
fn run<F>(fut: F) -> Result<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    wait(spawn(fut)?)
}

/// Settings names that may appear in a message; values never do.
fn setting_error(kind: StoreKind, key: &str) -> RepoError {
    RepoError::InvalidSetting {
        name: key.to_string(),
        problem: format!("not a setting of the {} client", kind.scheme()),
    }
}

impl ObjectBackend {
    /// A client for `location` (a remote one), configured from the
    /// environment and `opts`. Makes no request.
    pub fn connect(location: &RepoLocation, opts: &RemoteOptions) -> Result<ObjectBackend> {
        let RepoLocation::Remote { kind, bucket, prefix } = location else {
            return Err(RepoError::InvalidSetting {
                name: "repository".into(),
                problem: format!("{location} is a local directory, not an object store location"),
            });
        };
        // reqwest is built without a bundled TLS provider (one crypto
        // stack for the whole program): make ring the process default.
        // Fails harmlessly when a provider is installed already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let r = &opts.retry;
        let retry = object_store::RetryConfig {
            backoff: object_store::BackoffConfig {
                init_backoff: r.init_backoff,
                max_backoff: r.max_backoff,
                base: 2.0,
            },
            max_retries: r.max_retries,
            retry_timeout: r.retry_timeout,
        };
        // object_store's 30 s per request suits small reads, not a 16 MiB
        // PUT over a slow link: 5 minutes, unless the environment says.
        let env_prefix = match kind {
            StoreKind::S3 => "aws",
            StoreKind::Azure => "azure",
            StoreKind::Gcs => "google",
        };
        let timeout_key = format!("{env_prefix}_timeout");
        let mut settings: Vec<(String, String)> = Vec::new();
        if std::env::var_os(timeout_key.to_ascii_uppercase()).is_none() {
            settings.push((timeout_key, REQUEST_TIMEOUT.into()));
        }
        settings.extend(opts.settings.iter().cloned());
        let opts = RemoteOptions { settings, retry: opts.retry.clone() };
        let built: object_store::Result<Arc<dyn ObjectStore>> = match kind {
            StoreKind::S3 => {
                use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
                let mut b = AmazonS3Builder::from_env().with_bucket_name(bucket);
                for (k, v) in &opts.settings {
                    let key: AmazonS3ConfigKey = k.parse().map_err(|_| setting_error(*kind, k))?;
                    b = b.with_config(key, v);
                }
                b.with_retry(retry).build().map(|s| Arc::new(s) as _)
            }
            StoreKind::Azure => {
                use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
                let mut b = MicrosoftAzureBuilder::from_env().with_container_name(bucket);
                for (k, v) in &opts.settings {
                    let key: AzureConfigKey = k.parse().map_err(|_| setting_error(*kind, k))?;
                    b = b.with_config(key, v);
                }
                b.with_retry(retry).build().map(|s| Arc::new(s) as _)
            }
            StoreKind::Gcs => {
                use object_store::gcp::{GoogleCloudStorageBuilder, GoogleConfigKey};
                let mut b = GoogleCloudStorageBuilder::from_env().with_bucket_name(bucket);
                for (k, v) in &opts.settings {
                    let key: GoogleConfigKey = k.parse().map_err(|_| setting_error(*kind, k))?;
                    b = b.with_config(key, v);
                }
                b.with_retry(retry).build().map(|s| Arc::new(s) as _)
            }
        };
        let store = built.map_err(|e| RepoError::Remote {
            action: "cannot set up access to",
            object: location.to_string(),
            message: redact(&e.to_string()),
            hint: format!(
                "set the store's settings and credentials in the environment ({})",
                env_hint(*kind)
            ),
        })?;
        Ok(ObjectBackend {
            store,
            location: location.clone(),
            kind: *kind,
            prefix: prefix.split('/').filter(|s| !s.is_empty()).map(String::from).collect(),
        })
    }

    /// Open an existing repository: its config object must be there.
    pub fn open(location: &RepoLocation, opts: &RemoteOptions) -> Result<ObjectBackend> {
        let b = ObjectBackend::connect(location, opts)?;
        match b.head(FileType::Config, "config") {
            Ok(_) => Ok(b),
            Err(RepoError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                Err(RepoError::NotFound(PathBuf::from(location.to_string())))
            }
            Err(e) => Err(e),
        }
    }

    /// Prepare a new repository: the prefix must hold no object. (The
    /// config, written create-only by the caller, settles a race between
    /// two `init`s.) Buckets are not created here.
    pub fn create(location: &RepoLocation, opts: &RemoteOptions) -> Result<ObjectBackend> {
        let b = ObjectBackend::connect(location, opts)?;
        let store = b.store.clone();
        let prefix = b.prefix_path();
        let first = run(async move { store.list(prefix.as_ref()).next().await })?;
        match first {
            None => Ok(b),
            Some(Ok(_)) => Err(RepoError::AlreadyExists(PathBuf::from(location.to_string()))),
            // Listing a prefix finds nothing rather than failing: a
            // not-found here is the bucket.
            Some(Err(e @ object_store::Error::NotFound { .. })) => Err(RepoError::Remote {
                action: "cannot list",
                object: b.location.to_string(),
                message: redact(&e.to_string()),
                hint: format!(
                    "the {} does not exist: create it first (pgkeep creates none)",
                    b.kind.bucket_word()
                ),
            }),
            Some(Err(e)) => Err(b.map_err("cannot list", b.location.to_string(), e)),
        }
    }

    pub fn repo_location(&self) -> &RepoLocation {
        &self.location
    }

    fn prefix_path(&self) -> Option<ObjPath> {
        if self.prefix.is_empty() {
            None
        } else {
            Some(ObjPath::from_iter(self.prefix.iter().map(String::as_str)))
        }
    }

    fn object_path(&self, ft: FileType, name: &str) -> ObjPath {
        let rel = self.relative_path(ft, name);
        ObjPath::from_iter(
            self.prefix
                .iter()
                .map(String::as_str)
                .chain(rel.split('/')),
        )
    }

    /// `s3://bucket/prefix/<rel>`, for messages.
    fn url(&self, rel: &str) -> String {
        format!("{}/{rel}", self.location)
    }

    /// One error for every failed operation: not-found stays an I/O
    /// not-found (callers tell a missing snapshot or lock by it), the rest
    /// says what failed, where, and what to do.
    fn map_err(&self, action: &'static str, object: String, e: object_store::Error) -> RepoError {
        let hint = match &e {
            object_store::Error::NotFound { .. } => {
                return RepoError::io(
                    action,
                    PathBuf::from(object),
                    std::io::Error::new(std::io::ErrorKind::NotFound, "no such object"),
                )
            }
            object_store::Error::AlreadyExists { .. } | object_store::Error::Precondition { .. } => {
                return RepoError::ObjectExists { object }
            }
            object_store::Error::Unauthenticated { .. } => format!(
                "the store refused the credentials: set valid ones in the environment ({})",
                env_hint(self.kind)
            ),
            object_store::Error::PermissionDenied { .. } => format!(
                "the credentials lack permission on this {} or prefix: grant read, write, list and delete",
                self.kind.bucket_word()
            ),
            object_store::Error::NotImplemented { .. } | object_store::Error::NotSupported { .. } => {
                "the store lacks a feature pgkeep needs (conditional create, ranged reads): use another store or a newer version of it".into()
            }
            _ => {
                let writing = ["cannot write", "cannot upload", "cannot start uploading", "cannot complete"]
                    .iter()
                    .any(|a| action.starts_with(a));
                format!(
                    "check the network, the endpoint and that the {} exists, then run the command again{}",
                    self.kind.bucket_word(),
                    if writing { "; nothing partial is visible under this name" } else { "" }
                )
            }
        };
        RepoError::Remote {
            action,
            object,
            message: redact(&e.to_string()),
            hint,
        }
    }

    fn head(&self, ft: FileType, name: &str) -> Result<object_store::ObjectMeta> {
        let store = self.store.clone();
        let path = self.object_path(ft, name);
        run(async move { store.head(&path).await })?
            .map_err(|e| self.map_err("cannot stat", self.url(&self.relative_path(ft, name)), e))
    }

    fn put(&self, ft: FileType, name: &str, data: &[u8], mode: PutMode) -> Result<()> {
        let store = self.store.clone();
        let path = self.object_path(ft, name);
        let payload = PutPayload::from(Bytes::copy_from_slice(data));
        let opts = PutOptions { mode, ..Default::default() };
        run(async move { store.put_opts(&path, payload, opts).await })?
            .map(|_| ())
            .map_err(|e| self.map_err("cannot write", self.url(&self.relative_path(ft, name)), e))
    }

    /// A multipart upload: nothing is visible under the name until it
    /// completes; on failure it is aborted (best effort: a store keeps the
    /// parts of an upload that could not even be aborted until its
    /// lifecycle rule removes them, invisible to readers either way).
    fn put_multipart(&self, ft: FileType, name: &str, data: &[u8]) -> Result<()> {
        let rel = self.relative_path(ft, name);
        let store = self.store.clone();
        let path = self.object_path(ft, name);
        let mut upload = run(async move { store.put_multipart(&path).await })?
            .map_err(|e| self.map_err("cannot start uploading", self.url(&rel), e))?;
        let mut in_flight: VecDeque<mpsc::Receiver<object_store::Result<()>>> = VecDeque::new();
        let mut failure: Option<RepoError> = None;
        let part_done = |rx| match wait(rx) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(self.map_err("cannot upload", self.url(&rel), e)),
            Err(e) => Err(e),
        };
        for part in data.chunks(PART_SIZE) {
            if in_flight.len() >= MAX_PARTS_IN_FLIGHT {
                let rx = in_flight.pop_front().expect("parts in flight");
                if let Err(e) = part_done(rx) {
                    failure = Some(e);
                    break;
                }
            }
            match spawn(upload.put_part(PutPayload::from(Bytes::copy_from_slice(part)))) {
                Ok(rx) => in_flight.push_back(rx),
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        // Every part sent finishes (or fails) before the completion or the abort.
        for rx in in_flight {
            if let Err(e) = part_done(rx) {
                failure = failure.or(Some(e));
            }
        }
        if let Some(e) = failure {
            let _ = run(async move { upload.abort().await });
            return Err(e);
        }
        run(async move {
            let r = upload.complete().await;
            if r.is_err() {
                let _ = upload.abort().await;
            }
            r
        })?
        .map(|_| ())
        .map_err(|e| self.map_err("cannot complete the upload of", self.url(&rel), e))
    }
}

fn env_hint(kind: StoreKind) -> &'static str {
    match kind {
        StoreKind::S3 => "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL for S3-compatible stores",
        StoreKind::Azure => "AZURE_STORAGE_ACCOUNT_NAME with AZURE_STORAGE_ACCOUNT_KEY or another AZURE_* credential",
        StoreKind::Gcs => "GOOGLE_APPLICATION_CREDENTIALS or GOOGLE_SERVICE_ACCOUNT",
    }
}

/// Drop what a message must not carry: a URL's query string (Azure SAS
/// tokens, presigned signatures) and user-info (`user:secret@`).
pub fn redact(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    let mut rest = msg;
    while let Some(i) = rest.find("://") {
        // The scheme's start: back over letters.
        let (before, after) = rest.split_at(i + 3);
        out.push_str(before);
        let end = after
            .find(|c: char| c.is_whitespace() || matches!(c, ')' | '"' | '\'' | '>' | ','))
            .unwrap_or(after.len());
        let (url, tail) = after.split_at(end);
        let url = match url.find('?') {
            Some(q) => format!("{}?…", &url[..q]),
            None => url.to_string(),
        };
        let host_end = url.find('/').unwrap_or(url.len());
        let url = match url[..host_end].rfind('@') {
            Some(at) => format!("…@{}", &url[at + 1..]),
            None => url,
        };
        out.push_str(&url);
        rest = tail;
    }
    out.push_str(rest);
    // One line: stores answer with multi-line XML or JSON bodies.
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Backend for ObjectBackend {
    fn location(&self) -> String {
        self.location.to_string()
    }

    fn relative_path(&self, ft: FileType, name: &str) -> String {
        match ft {
            FileType::Config => "config".into(),
            FileType::Pack => format!("data/{}/{name}", name.get(..2).unwrap_or("00")),
            _ => format!("{}/{name}", ft.dir()),
        }
    }

    fn list(&self, ft: FileType) -> Result<Vec<FileInfo>> {
        if ft == FileType::Config {
            return match self.head(ft, "config") {
                Ok(m) => Ok(vec![FileInfo { name: "config".into(), size: m.size }]),
                Err(RepoError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => Ok(vec![]),
                Err(e) => Err(e),
            };
        }
        let dir = ft.dir();
        let store = self.store.clone();
        let prefix = ObjPath::from_iter(self.prefix.iter().map(String::as_str).chain([dir]));
        // The stream pages through every result (continuation tokens).
        let listed = run(async move {
            let mut out = Vec::new();
            let mut s = store.list(Some(&prefix));
            while let Some(item) = s.next().await {
                out.push(item?);
            }
            Ok::<_, object_store::Error>(out)
        })?
        .map_err(|e| self.map_err("cannot list", self.url(&format!("{dir}/")), e))?;
        let mut out: Vec<FileInfo> = listed
            .into_iter()
            .filter_map(|m| {
                let name = m.location.filename()?.to_string();
                // Anything else (stray objects, a console's folder marker) is not ours.
                let ours = if ft == FileType::Job { is_job_name(&name) } else { is_object_name(&name) };
                ours.then_some(FileInfo { name, size: m.size })
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn read(&self, ft: FileType, name: &str) -> Result<Vec<u8>> {
        let store = self.store.clone();
        let path = self.object_path(ft, name);
        run(async move {
            let r = store.get(&path).await?;
            r.bytes().await
        })?
        .map(|b| b.to_vec())
        .map_err(|e| self.map_err("cannot read", self.url(&self.relative_path(ft, name)), e))
    }

    fn read_at(&self, ft: FileType, name: &str, offset: u64, len: usize) -> Result<Vec<u8>> {
        let store = self.store.clone();
        let path = self.object_path(ft, name);
        let end = offset.saturating_add(len as u64);
        let rel = self.relative_path(ft, name);
        let truncated = || {
            RepoError::corrupt(
                rel.clone(),
                format!("truncated: cannot read {len} bytes at offset {offset}"),
            )
        };
        match run(async move { store.get_range(&path, offset..end).await })? {
            Ok(b) if b.len() == len => Ok(b.to_vec()),
            Ok(_) => Err(truncated()),
            Err(e @ object_store::Error::NotFound { .. }) => Err(self.map_err("cannot read", self.url(&rel), e)),
            Err(e) => {
                // A range past the end is an error of the store; say what it means.
                match self.head(ft, name) {
                    Ok(m) if m.size < end => Err(truncated()),
                    _ => Err(self.map_err("cannot read", self.url(&rel), e)),
                }
            }
        }
    }

    fn size(&self, ft: FileType, name: &str) -> Result<u64> {
        self.head(ft, name).map(|m| m.size)
    }

    fn write(&self, ft: FileType, name: &str, data: &[u8]) -> Result<()> {
        if data.len() > MULTIPART_THRESHOLD {
            self.put_multipart(ft, name, data)
        } else {
            self.put(ft, name, data, PutMode::Overwrite)
        }
    }

    fn write_new(&self, ft: FileType, name: &str, data: &[u8]) -> Result<()> {
        match self.put(ft, name, data, PutMode::Create) {
            // Ours already (a retried create whose first answer was lost), or another's.
            Err(RepoError::ObjectExists { object }) => match self.read(ft, name) {
                Ok(existing) if existing == data => Ok(()),
                _ => Err(RepoError::ObjectExists { object }),
            },
            other => other,
        }
    }

    fn lease_locks(&self) -> bool {
        true
    }

    fn remove(&self, ft: FileType, name: &str) -> Result<()> {
        let store = self.store.clone();
        let path = self.object_path(ft, name);
        match run(async move { store.delete(&path).await })? {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.map_err("cannot remove", self.url(&self.relative_path(ft, name)), e)),
        }
    }

    fn modified(&self, ft: FileType, name: &str) -> Result<Option<SystemTime>> {
        match self.head(ft, name) {
            Ok(m) => Ok(Some(m.last_modified.into())),
            Err(RepoError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_drops_query_strings_and_user_info() {
        let m = "Error performing PUT https://acct.blob.core.windows.net/c/x?sv=2020&sig=SECRET in 1s (http://u:pw@host:9/p?a=b)";
        let r = redact(m);
        assert!(!r.contains("SECRET") && !r.contains("pw"), "{r}");
        assert!(r.contains("https://acct.blob.core.windows.net/c/x?…"), "{r}");
        assert!(r.contains("…@host:9/p?…"), "{r}");
        assert_eq!(redact("no url here"), "no url here");
    }

    #[test]
    fn layout_is_the_local_one_under_the_prefix() {
        let loc = RepoLocation::parse("s3://b/some/prefix").unwrap();
        let settings = vec![
            ("aws_access_key_id".to_string(), "k".to_string()),
            ("aws_secret_access_key".to_string(), "s".to_string()),
            ("aws_region".to_string(), "us-east-1".to_string()),
        ];
        let b = ObjectBackend::connect(&loc, &RemoteOptions { settings, ..Default::default() }).unwrap();
        let id = "ab".repeat(32);
        assert_eq!(b.object_path(FileType::Pack, &id).as_ref(), format!("some/prefix/data/ab/{id}"));
        assert_eq!(b.object_path(FileType::Config, "config").as_ref(), "some/prefix/config");
        assert_eq!(b.object_path(FileType::Snapshot, &id).as_ref(), format!("some/prefix/snapshots/{id}"));
        assert_eq!(b.location(), "s3://b/some/prefix");
        let e = ObjectBackend::connect(&loc, &RemoteOptions { settings: vec![("nonsense".into(), "x".into())], ..Default::default() })
            .unwrap_err()
            .to_string();
        assert!(e.contains("nonsense") && !e.contains("x\""), "{e}");
    }
}
