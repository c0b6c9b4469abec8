//! When schedules fire: cron expressions (seconds optional) read in an
//! explicit time zone, and the clock the service runs on — the system's,
//! or one a test moves by hand so days pass without sleeping.
//!
//! This module computes times; the service decides what to run.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use croner::Cron;

/// A schedule's cron expression or time zone that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error("invalid cron expression {expr:?}: {source}")]
    Cron { expr: String, source: croner::errors::CronError },
    #[error("unknown time zone {0:?} (use an IANA name such as \"Europe/Paris\")")]
    Zone(String),
}

pub fn parse_cron(expr: &str) -> Result<Cron, ScheduleError> {
    croner::parser::CronParser::new()
        .parse(expr)
        .map_err(|source| ScheduleError::Cron { expr: expr.into(), source })
}

#[derive(Clone, Debug)]
pub struct Timing {
    cron: Cron,
    tz: Tz,
}

impl Timing {
    pub fn new(expr: &str, tz: &str) -> Result<Timing, ScheduleError> {
        Ok(Timing { cron: parse_cron(expr)?, tz: parse_zone(tz)? })
    }

    /// The first occurrence strictly after `t`.
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron.find_next_occurrence(&t.with_timezone(&self.tz), false).ok().map(|d| d.with_timezone(&Utc))
    }

    /// The last occurrence at or before `t`.
    pub fn last_at_or_before(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron.find_previous_occurrence(&t.with_timezone(&self.tz), true).ok().map(|d| d.with_timezone(&Utc))
    }

    /// The longest a tenant may go without a success before it counts as
    /// missed at `now`: the occurrence before the last one (the last one
    /// may still be running) is when the newest success should be from.
    pub fn due_since(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let last = self.last_at_or_before(now)?;
        self.last_at_or_before(last - chrono::Duration::seconds(1))
    }
}

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told (tests, simulations).
#[derive(Clone)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    pub fn new(t: DateTime<Utc>) -> ManualClock {
        ManualClock(Arc::new(Mutex::new(t)))
    }

    pub fn set(&self, t: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = t;
    }

    pub fn advance(&self, d: chrono::Duration) {
        let mut g = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *g += d;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A time zone by IANA name, from the zone database compiled into the
/// program (the one export renders with too).
pub fn parse_zone(name: &str) -> Result<chrono_tz::Tz, ScheduleError> {
    name.parse::<chrono_tz::Tz>().map_err(|_| ScheduleError::Zone(name.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn five_and_six_fields_in_a_time_zone() {
        let nightly = Timing::new("0 2 * * *", "Europe/Paris").unwrap();
        assert_eq!(nightly.next_after(t("2026-11-23T12:00:00Z")), Some(t("2026-11-24T01:00:00Z")));
        // Summer time: 02:00 in Paris is 00:00 UTC.
        assert_eq!(nightly.next_after(t("2026-07-01T12:00:00Z")), Some(t("2026-07-02T00:00:00Z")));
        let every5s = Timing::new("*/5 * * * * *", "UTC").unwrap();
        assert_eq!(every5s.next_after(t("2026-11-23T12:00:03Z")), Some(t("2026-11-23T12:00:05Z")));
        assert_eq!(nightly.due_since(t("2026-11-24T12:00:00Z")), Some(t("2026-11-23T01:00:00Z")));
        assert!(Timing::new("0 25 * * *", "UTC").is_err());
        assert!(Timing::new("0 2 * * *", "Nowhere/Land").is_err());
    }
}
