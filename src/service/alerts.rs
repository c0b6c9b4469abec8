//! PLACEHOLDER until the alerts module lands (delivers nothing).
use std::time::Duration;
#[derive(Clone, Debug, serde::Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig { pub url: String, #[serde(default)] pub format: Option<String>, #[serde(default)] pub headers: std::collections::BTreeMap<String, String>, #[serde(default)] pub kinds: Vec<AlertKind> }
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind { JobFailed, BackupTooOld, LowDisk, VerifyFailed }
#[derive(Clone, Debug, serde::Serialize, PartialEq)]
pub struct Alert { pub kind: AlertKind, pub tenant: Option<String>, pub job_id: Option<String>, pub message: String, pub time: chrono::DateTime<chrono::Utc>, pub details: serde_json::Value }
#[derive(Debug, thiserror::Error)] #[error("{0}")] pub struct AlertError(String);
#[derive(Clone, Debug, Default)] pub struct AlertStats { pub delivered: u64, pub failed: u64, pub dropped: u64 }
#[derive(Clone, Debug, Default)] pub struct DeliveryOptions;
#[derive(Clone)] pub struct Alerter;
impl Alerter {
    pub fn start(_w: Vec<WebhookConfig>, _o: DeliveryOptions) -> Result<Alerter, AlertError> { Ok(Alerter) }
    pub fn send(&self, _a: Alert) {}
    pub fn stats(&self) -> AlertStats { AlertStats::default() }
    pub async fn flush(&self, _t: Duration) {}
}
