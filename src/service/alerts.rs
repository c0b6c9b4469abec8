//! Alerts to webhooks: a JSON POST of the alert (or a Slack-compatible
//! `{"text": …}` body) on a failed job, a failed verify, a tenant whose
//! last success is too old, low disk.
//!
//! Delivery runs on its own tasks, one per webhook and alert, with retries
//! and exponential backoff; `send` only enqueues, so an alert never blocks
//! or fails a job. An alert that cannot be delivered is logged (with the
//! webhook's URL stripped of credentials) and counted.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, Semaphore};

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// http:// or https://
    pub url: String,
    #[serde(default)]
    pub format: WebhookFormat,
    /// Extra headers, e.g. Authorization.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Only these kinds (all when empty).
    #[serde(default)]
    pub kinds: Vec<AlertKind>,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum WebhookFormat {
    #[default]
    Json,
    Slack,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    JobFailed,
    BackupTooOld,
    LowDisk,
    VerifyFailed,
}

impl AlertKind {
    fn title(self) -> &'static str {
        match self {
            AlertKind::JobFailed => "job failed",
            AlertKind::BackupTooOld => "backup too old",
            AlertKind::LowDisk => "low disk",
            AlertKind::VerifyFailed => "verify failed",
        }
    }
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Alert {
    pub kind: AlertKind,
    pub tenant: Option<String>,
    pub job_id: Option<String>,
    /// One sentence naming the tenant or job and what is wrong.
    pub message: String,
    pub time: chrono::DateTime<chrono::Utc>,
    pub details: serde_json::Value,
}

#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error("webhook URL {0:?} is not an http:// or https:// URL")]
    BadUrl(String),
    #[error("webhook {url}: header {name:?} is not valid")]
    BadHeader { url: String, name: String },
    #[error("building the webhook HTTP client: {0}")]
    Client(String),
}

#[derive(Clone, Debug)]
pub struct DeliveryOptions {
    /// Alerts waiting for delivery at most; more are dropped (and counted).
    pub queue: usize,
    pub attempts: u32,
    /// Wait before the first retry; doubled each time, at most 60 s.
    pub first_backoff: Duration,
    /// Per request.
    pub timeout: Duration,
}

impl Default for DeliveryOptions {
    fn default() -> Self {
        DeliveryOptions { queue: 1000, attempts: 5, first_backoff: Duration::from_secs(1), timeout: Duration::from_secs(10) }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AlertStats {
    pub delivered: u64,
    pub failed: u64,
    pub dropped: u64,
}

#[derive(Default)]
struct Counters {
    delivered: AtomicU64,
    failed: AtomicU64,
    dropped: AtomicU64,
    /// Deliveries queued or in flight.
    pending: AtomicU64,
}

/// The sending side; cheap to clone.
#[derive(Clone)]
pub struct Alerter {
    tx: Option<mpsc::Sender<Alert>>,
    counters: Arc<Counters>,
}

impl Alerter {
    /// Start delivering on the current tokio runtime.
    pub fn start(webhooks: Vec<WebhookConfig>, opts: DeliveryOptions) -> Result<Alerter, AlertError> {
        let counters = Arc::new(Counters::default());
        if webhooks.is_empty() {
            return Ok(Alerter { tx: None, counters });
        }
        for w in &webhooks {
            let ok = reqwest::Url::parse(&w.url).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
            if !ok {
                return Err(AlertError::BadUrl(redact(&w.url)));
            }
            for name in w.headers.keys() {
                if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                    return Err(AlertError::BadHeader { url: redact(&w.url), name: name.clone() });
                }
            }
        }
        let client = http_client(opts.timeout)?;
        let (tx, mut rx) = mpsc::channel::<Alert>(opts.queue.max(1));
        let webhooks = Arc::new(webhooks);
        let c = counters.clone();
        // Bounds concurrent requests, so a burst of alerts to a hanging
        // webhook does not open unbounded connections.
        let inflight = Arc::new(Semaphore::new(16));
        tokio::spawn(async move {
            while let Some(alert) = rx.recv().await {
                let alert = Arc::new(alert);
                for w in webhooks.iter().filter(|w| w.kinds.is_empty() || w.kinds.contains(&alert.kind)) {
                    c.pending.fetch_add(1, Ordering::SeqCst);
                    let (client, w, alert, c, opts) = (client.clone(), w.clone(), alert.clone(), c.clone(), opts.clone());
                    let inflight = inflight.clone();
                    tokio::spawn(async move {
                        let _permit = inflight.acquire_owned().await;
                        match deliver(&client, &w, &alert, &opts).await {
                            Ok(()) => {
                                c.delivered.fetch_add(1, Ordering::SeqCst);
                            }
                            Err(why) => {
                                c.failed.fetch_add(1, Ordering::SeqCst);
                                tracing::error!(webhook = %redact(&w.url), kind = ?alert.kind, message = %alert.message, "alert not delivered: {why}");
                            }
                        }
                        c.pending.fetch_sub(1, Ordering::SeqCst);
                    });
                }
                // The alert's deliveries are counted as pending now.
                c.pending.fetch_sub(1, Ordering::SeqCst);
            }
        });
        Ok(Alerter { tx: Some(tx), counters })
    }

    /// Enqueue; never blocks, never fails (a full queue drops and logs).
    pub fn send(&self, alert: Alert) {
        let Some(tx) = &self.tx else {
            tracing::warn!(kind = ?alert.kind, "alert (no webhook configured): {}", alert.message);
            return;
        };
        self.counters.pending.fetch_add(1, Ordering::SeqCst);
        if let Err(e) = tx.try_send(alert) {
            self.counters.pending.fetch_sub(1, Ordering::SeqCst);
            self.counters.dropped.fetch_add(1, Ordering::SeqCst);
            let alert = match e {
                mpsc::error::TrySendError::Full(a) | mpsc::error::TrySendError::Closed(a) => a,
            };
            tracing::error!(kind = ?alert.kind, "alert dropped, the delivery queue is full: {}", alert.message);
        }
    }

    pub fn stats(&self) -> AlertStats {
        AlertStats {
            delivered: self.counters.delivered.load(Ordering::SeqCst),
            failed: self.counters.failed.load(Ordering::SeqCst),
            dropped: self.counters.dropped.load(Ordering::SeqCst),
        }
    }

    /// Wait until nothing is queued or in flight, or `timeout` passes.
    pub async fn flush(&self, timeout: Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        while self.counters.pending.load(Ordering::SeqCst) > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn http_client(timeout: Duration) -> Result<reqwest::Client, AlertError> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| AlertError::Client(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .timeout(timeout)
        .user_agent(concat!("pgkeep/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| AlertError::Client(e.to_string()))
}

fn body(w: &WebhookConfig, alert: &Alert) -> serde_json::Value {
    match w.format {
        WebhookFormat::Json => serde_json::to_value(alert).unwrap_or_default(),
        WebhookFormat::Slack => serde_json::json!({ "text": format!("[pgkeep] {}: {}", alert.kind.title(), alert.message) }),
    }
}

/// Why a webhook did not take an alert. Never holds the webhook's URL
/// (tokens live in its query): [`redact`] it where it must be named.
#[derive(Debug, thiserror::Error)]
enum DeliveryError {
    #[error("answered {0} (not retried)")]
    Refused(reqwest::StatusCode),
    #[error("gave up after {attempts} attempts; last: {last}")]
    GaveUp { attempts: u32, last: Attempt },
}

/// How one delivery attempt that may be retried failed.
#[derive(Debug, thiserror::Error)]
enum Attempt {
    #[error("not tried")]
    None,
    #[error("answered {0}")]
    Status(reqwest::StatusCode),
    #[error("timed out")]
    TimedOut,
    #[error("unreachable: {0}")]
    Unreachable(reqwest::Error),
}

/// POST with retries: connection errors, timeouts, 429 and 5xx are
/// retried with backoff; other answers are final.
async fn deliver(client: &reqwest::Client, w: &WebhookConfig, alert: &Alert, opts: &DeliveryOptions) -> Result<(), DeliveryError> {
    let payload = body(w, alert);
    let mut backoff = opts.first_backoff;
    let mut last = Attempt::None;
    for attempt in 1..=opts.attempts.max(1) {
        let mut req = client.post(&w.url).json(&payload);
        for (k, v) in &w.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        match req.send().await {
            Ok(r) if r.status().is_success() => return Ok(()),
            Ok(r) if r.status().as_u16() == 429 || r.status().is_server_error() => last = Attempt::Status(r.status()),
            Ok(r) => return Err(DeliveryError::Refused(r.status())),
            Err(e) => last = if e.is_timeout() { Attempt::TimedOut } else { Attempt::Unreachable(e.without_url()) },
        }
        if attempt < opts.attempts {
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(60));
        }
    }
    Err(DeliveryError::GaveUp { attempts: opts.attempts.max(1), last })
}

/// A URL fit for logs: no user, password or query (tokens live there).
pub fn redact(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.set_query(None);
            u.to_string()
        }
        Err(_) => "<invalid URL>".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    type Seen = Arc<Mutex<Vec<(String, serde_json::Value, Option<String>)>>>;

    /// A local receiver answering each request with the next status of
    /// `script` (then 200), recording path, body and Authorization.
    async fn receiver(script: Vec<u16>) -> (String, Seen) {
        let seen: Seen = Arc::default();
        let script = Arc::new(Mutex::new(script.into_iter()));
        let s2 = seen.clone();
        let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
            let (seen, script) = (s2.clone(), script.clone());
            async move {
                let path = req.uri().path().to_string();
                let auth = req.headers().get("authorization").and_then(|v| v.to_str().ok()).map(str::to_string);
                let bytes = axum::body::to_bytes(req.into_body(), 1 << 20).await.unwrap_or_default();
                seen.lock().unwrap().push((path, serde_json::from_slice(&bytes).unwrap_or_default(), auth));
                let code = script.lock().unwrap().next().unwrap_or(200);
                axum::http::StatusCode::from_u16(code).unwrap()
            }
        });
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        (format!("http://{addr}"), seen)
    }

    fn alert(kind: AlertKind) -> Alert {
        Alert {
            kind,
            tenant: Some("tenant_a".into()),
            job_id: Some("20260101-000000-00000000".into()),
            message: "backup job of tenant tenant_a failed: boom".into(),
            time: chrono::Utc::now(),
            details: serde_json::json!({"x": 1}),
        }
    }

    fn fast() -> DeliveryOptions {
        DeliveryOptions { queue: 10, attempts: 3, first_backoff: Duration::from_millis(10), timeout: Duration::from_secs(2) }
    }

    fn hook(url: String) -> WebhookConfig {
        WebhookConfig { url, format: WebhookFormat::Json, headers: BTreeMap::new(), kinds: Vec::new() }
    }

    #[tokio::test]
    async fn json_and_slack_bodies_headers_and_kinds() {
        let (base, seen) = receiver(vec![]).await;
        let mut slack = hook(format!("{base}/slack"));
        slack.format = WebhookFormat::Slack;
        let mut json = hook(format!("{base}/json"));
        json.headers.insert("Authorization".into(), "Bearer s3cret".into());
        let mut only_disk = hook(format!("{base}/disk"));
        only_disk.kinds = vec![AlertKind::LowDisk];
        let a = Alerter::start(vec![slack, json, only_disk], fast()).unwrap();
        a.send(alert(AlertKind::JobFailed));
        a.flush(Duration::from_secs(10)).await;
        let mut seen = seen.lock().unwrap().clone();
        seen.sort_by(|x, y| x.0.cmp(&y.0));
        assert_eq!(seen.len(), 2, "{seen:?}");
        assert_eq!(seen[0].1["kind"], "job_failed");
        assert_eq!(seen[0].1["tenant"], "tenant_a");
        assert_eq!(seen[0].2.as_deref(), Some("Bearer s3cret"));
        assert!(seen[1].1["text"].as_str().unwrap().starts_with("[pgkeep] job failed: backup job"), "{seen:?}");
        assert_eq!(a.stats(), AlertStats { delivered: 2, failed: 0, dropped: 0 });
    }

    #[tokio::test]
    async fn retries_server_errors_not_client_errors() {
        let (base, seen) = receiver(vec![500, 503]).await;
        let a = Alerter::start(vec![hook(format!("{base}/flaky"))], fast()).unwrap();
        a.send(alert(AlertKind::VerifyFailed));
        a.flush(Duration::from_secs(10)).await;
        assert_eq!(seen.lock().unwrap().len(), 3, "delivered on the third attempt");
        assert_eq!(a.stats().delivered, 1);

        let (base, seen) = receiver(vec![400]).await;
        let a = Alerter::start(vec![hook(format!("{base}/bad"))], fast()).unwrap();
        a.send(alert(AlertKind::VerifyFailed));
        a.flush(Duration::from_secs(10)).await;
        assert_eq!(seen.lock().unwrap().len(), 1, "a 400 is not retried");
        assert_eq!(a.stats().failed, 1);
    }

    #[tokio::test]
    async fn an_unreachable_webhook_does_not_hold_up_another() {
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let (base, seen) = receiver(vec![]).await;
        let mut opts = fast();
        opts.first_backoff = Duration::from_millis(300);
        let a = Alerter::start(vec![hook(format!("http://127.0.0.1:{closed}/x")), hook(format!("{base}/ok"))], opts).unwrap();
        a.send(alert(AlertKind::LowDisk));
        let t = std::time::Instant::now();
        while seen.lock().unwrap().is_empty() {
            assert!(t.elapsed() < Duration::from_secs(5), "the healthy webhook waited for the dead one");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(t.elapsed() < Duration::from_millis(600), "{:?}", t.elapsed());
        a.flush(Duration::from_secs(10)).await;
        assert_eq!(a.stats(), AlertStats { delivered: 1, failed: 1, dropped: 0 });
    }

    #[tokio::test]
    async fn a_full_queue_drops_without_blocking() {
        // A webhook that never answers: deliveries hang until the timeout.
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((s, _)) = l.accept().await {
                held.push(s);
            }
        });
        let opts = DeliveryOptions { queue: 2, attempts: 1, first_backoff: Duration::from_millis(10), timeout: Duration::from_secs(30) };
        let a = Alerter::start(vec![hook(format!("http://{addr}/hang"))], opts).unwrap();
        let t = std::time::Instant::now();
        for _ in 0..500 {
            a.send(alert(AlertKind::JobFailed));
        }
        assert!(t.elapsed() < Duration::from_secs(1), "send blocked: {:?}", t.elapsed());
        assert!(a.stats().dropped > 0, "{:?}", a.stats());
    }

    #[test]
    fn bad_configuration_is_named_and_urls_are_redacted() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let e = Alerter::start(vec![hook("ftp://example.com/x".into())], fast()).err().unwrap().to_string();
            assert!(e.contains("ftp://example.com/x"), "{e}");
            let e = Alerter::start(vec![hook("not a url".into())], fast()).err().unwrap().to_string();
            assert!(e.contains("not a url") || e.contains("invalid"), "{e}");
        });
        assert_eq!(redact("https://user:pw@hooks.example.com/a?token=x"), "https://hooks.example.com/a");
    }
}
