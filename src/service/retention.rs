//! PLACEHOLDER until the retention module lands (keeps everything).
use chrono::{DateTime, Utc};
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    pub keep_last: Option<u32>,
    pub keep_within: Option<String>,
    pub keep_daily: Option<u32>,
    pub keep_weekly: Option<u32>,
    pub keep_monthly: Option<u32>,
    pub keep_yearly: Option<u32>,
}
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct RetentionError(String);
pub struct Decision<K> { pub keep: Vec<(K, Vec<String>)>, pub forget: Vec<K> }
impl Policy {
    pub fn validate(&self) -> Result<(), RetentionError> { Ok(()) }
    pub fn is_empty(&self) -> bool { *self == Policy::default() }
    pub fn apply<K: Clone>(&self, items: &[(K, DateTime<Utc>, bool)], _now: DateTime<Utc>, _tz: chrono_tz::Tz) -> Decision<K> {
        Decision { keep: items.iter().map(|i| (i.0.clone(), vec![])).collect(), forget: vec![] }
    }
}
pub fn parse_duration(s: &str) -> Result<chrono::Duration, RetentionError> {
    let n: i64 = s.trim_end_matches(|c: char| c.is_alphabetic()).parse().map_err(|_| RetentionError(s.into()))?;
    Ok(match s.chars().last() { Some('s') => chrono::Duration::seconds(n), Some('m') => chrono::Duration::minutes(n), Some('h') => chrono::Duration::hours(n), Some('d') => chrono::Duration::days(n), Some('w') => chrono::Duration::weeks(n), _ => return Err(RetentionError(s.into())) })
}
