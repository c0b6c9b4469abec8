//! Retention policies: which of a tenant's snapshots a policy keeps
//! (`keep_last`, `keep_within`, `keep_daily`/`weekly`/`monthly`/`yearly`,
//! the rules restic's `forget` has), and why.
//!
//! Pure logic: it is handed the snapshots' times and the current time, so
//! simulated days need no sleeping. It never touches the repository and
//! never reads the clock.

use std::collections::HashSet;

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    pub keep_last: Option<u32>,
    /// Keep everything younger than this: "30d", "12h", "2w", "1d12h".
    pub keep_within: Option<String>,
    pub keep_daily: Option<u32>,
    pub keep_weekly: Option<u32>,
    pub keep_monthly: Option<u32>,
    pub keep_yearly: Option<u32>,
}

#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    #[error("invalid duration {0:?}: use a number and a unit (s, m, h, d, w), e.g. \"30d\", \"12h\", \"1d12h\"")]
    Duration(String),
}

/// What a policy decided: each kept item with its reasons, and the rest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision<K> {
    pub keep: Vec<(K, Vec<String>)>,
    pub forget: Vec<K>,
}

/// "30d", "12h", "90m", "2w", "1d12h" (units s, m, h, d, w).
pub fn parse_duration(s: &str) -> Result<chrono::Duration, RetentionError> {
    let bad = || RetentionError::Duration(s.to_string());
    let mut total = chrono::Duration::zero();
    let mut num = String::new();
    let mut any = false;
    for c in s.trim().chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: i64 = num.parse().map_err(|_| bad())?;
        num.clear();
        let part = match c {
            's' => chrono::Duration::try_seconds(n),
            'm' => chrono::Duration::try_minutes(n),
            'h' => chrono::Duration::try_hours(n),
            'd' => chrono::Duration::try_days(n),
            'w' => chrono::Duration::try_weeks(n),
            _ => None,
        }
        .ok_or_else(bad)?;
        total = total.checked_add(&part).ok_or_else(bad)?;
        any = true;
    }
    if !num.is_empty() || !any {
        return Err(bad());
    }
    Ok(total)
}

impl Policy {
    pub fn validate(&self) -> Result<(), RetentionError> {
        if let Some(d) = &self.keep_within {
            parse_duration(d)?;
        }
        Ok(())
    }

    /// A policy with no rule keeps everything.
    pub fn is_empty(&self) -> bool {
        *self == Policy::default()
    }

    /// Decide over `items` (key, time, pinned). Pinned items (restore
    /// points) are always kept and take no rule's slot. Items are
    /// considered newest first; each bucket rule keeps the newest item of
    /// each of its N newest buckets (days, ISO weeks, months, years in
    /// `tz`).
    pub fn apply<K: Clone>(&self, items: &[(K, DateTime<Utc>, bool)], now: DateTime<Utc>, tz: Tz) -> Decision<K> {
        let mut order: Vec<usize> = (0..items.len()).collect();
        // Newest first; equal times keep their input order.
        order.sort_by(|&a, &b| items[b].1.cmp(&items[a].1).then(a.cmp(&b)));
        let mut reasons: Vec<Vec<String>> = vec![Vec::new(); items.len()];
        if self.is_empty() {
            for r in reasons.iter_mut() {
                r.push("no retention policy".into());
            }
        }
        let unpinned: Vec<usize> = order.iter().copied().filter(|&i| !items[i].2).collect();
        for &i in &order {
            if items[i].2 {
                reasons[i].push("restore point".into());
            }
        }
        if let Some(n) = self.keep_last {
            for &i in unpinned.iter().take(n as usize) {
                reasons[i].push(format!("last {n}"));
            }
        }
        if let Some(within) = self.keep_within.as_deref() {
            if let Ok(d) = parse_duration(within) {
                for &i in &unpinned {
                    if items[i].1 > now - d {
                        reasons[i].push(format!("within {within}"));
                    }
                }
            }
        }
        type BucketOf = fn(DateTime<Tz>) -> String;
        let buckets: [(Option<u32>, &str, BucketOf); 4] = [
            (self.keep_daily, "daily", |t| t.format("%Y-%m-%d").to_string()),
            (self.keep_weekly, "weekly", |t| {
                let w = t.iso_week();
                format!("{}-W{:02}", w.year(), w.week())
            }),
            (self.keep_monthly, "monthly", |t| t.format("%Y-%m").to_string()),
            (self.keep_yearly, "yearly", |t| t.format("%Y").to_string()),
        ];
        for (count, name, bucket_of) in buckets {
            let Some(n) = count else { continue };
            let mut seen = HashSet::new();
            for &i in &unpinned {
                if seen.len() >= n as usize {
                    break;
                }
                let b = bucket_of(items[i].1.with_timezone(&tz));
                if seen.insert(b.clone()) {
                    reasons[i].push(format!("{name} {b}"));
                }
            }
        }
        let mut decision = Decision { keep: Vec::new(), forget: Vec::new() };
        for &i in &order {
            if reasons[i].is_empty() {
                decision.forget.push(items[i].0.clone());
            } else {
                decision.keep.push((items[i].0.clone(), std::mem::take(&mut reasons[i])));
            }
        }
        decision
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn at(y: i32, mo: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, 0, 0).unwrap()
    }

    fn kept<K: Clone>(d: &Decision<K>) -> Vec<K> {
        d.keep.iter().map(|(k, _)| k.clone()).collect()
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30d").unwrap(), chrono::Duration::days(30));
        assert_eq!(parse_duration("1d12h").unwrap(), chrono::Duration::hours(36));
        assert_eq!(parse_duration("2w").unwrap(), chrono::Duration::weeks(2));
        for bad in ["", "30", "d", "3x", "1.5d", "-1d"] {
            let e = parse_duration(bad).unwrap_err().to_string();
            assert!(e.contains(&format!("{bad:?}")), "{e}");
        }
    }

    #[test]
    fn each_rule() {
        let items: Vec<(u32, DateTime<Utc>, bool)> = (0..10).map(|i| (i, at(2026, 1, 1 + i, 2), false)).collect();
        let now = at(2026, 1, 11, 0);
        let utc = chrono_tz::UTC;
        let p = Policy { keep_last: Some(3), ..Policy::default() };
        assert_eq!(kept(&p.apply(&items, now, utc)), vec![9, 8, 7]);
        let p = Policy { keep_within: Some("2d".into()), ..Policy::default() };
        assert_eq!(kept(&p.apply(&items, now, utc)), vec![9, 8]);
        let p = Policy { keep_weekly: Some(2), ..Policy::default() };
        // 2026-01-10 is in ISO week 2, 2026-01-04 the last day of week 1.
        assert_eq!(kept(&p.apply(&items, now, utc)), vec![9, 3]);
        let p = Policy { keep_monthly: Some(5), keep_yearly: Some(1), ..Policy::default() };
        assert_eq!(kept(&p.apply(&items, now, utc)), vec![9]);
        let p = Policy { keep_last: Some(0), ..Policy::default() };
        assert!(kept(&p.apply(&items, now, utc)).is_empty());
        assert_eq!(Policy::default().apply(&items, now, utc).keep.len(), 10, "an empty policy keeps everything");
    }

    #[test]
    fn days_are_counted_in_the_time_zone() {
        // 23:30 UTC on the 1st is the 2nd in Tokyo: in UTC these are two
        // days, in Tokyo one.
        let items = vec![(1, Utc.with_ymd_and_hms(2026, 1, 1, 23, 30, 0).unwrap(), false), (2, Utc.with_ymd_and_hms(2026, 1, 2, 1, 0, 0).unwrap(), false)];
        let p = Policy { keep_daily: Some(5), ..Policy::default() };
        let now = at(2026, 1, 3, 0);
        assert_eq!(kept(&p.apply(&items, now, chrono_tz::UTC)), vec![2, 1]);
        assert_eq!(kept(&p.apply(&items, now, chrono_tz::Asia::Tokyo)), vec![2]);
        // Across a DST change a day is still one day.
        let items: Vec<(u32, DateTime<Utc>, bool)> =
            (0..4).map(|i| (i, Utc.with_ymd_and_hms(2026, 3, 28 + i, 1, 30, 0).unwrap(), false)).collect();
        let p = Policy { keep_daily: Some(3), ..Policy::default() };
        assert_eq!(kept(&p.apply(&items, at(2026, 4, 1, 0), chrono_tz::Europe::Paris)), vec![3, 2, 1]);
    }

    #[test]
    fn restore_points_are_kept_and_take_no_slot() {
        let items = vec![(1, at(2026, 1, 1, 0), false), (2, at(2026, 1, 2, 0), true), (3, at(2026, 1, 3, 0), false)];
        let p = Policy { keep_last: Some(1), ..Policy::default() };
        let d = p.apply(&items, at(2026, 1, 4, 0), chrono_tz::UTC);
        assert_eq!(d.keep, vec![(3, vec!["last 1".to_string()]), (2, vec!["restore point".to_string()])]);
        assert_eq!(d.forget, vec![1]);
    }

    /// 60 days of one backup a day at 02:00 Paris time, retention applied
    /// after each (forgetting what it says): the last 7 days, plus the
    /// newest of each of the 4 newest ISO weeks.
    #[test]
    fn sixty_days_of_daily_backups() {
        let paris = chrono_tz::Europe::Paris;
        let p = Policy { keep_last: Some(3), keep_daily: Some(7), keep_weekly: Some(4), ..Policy::default() };
        let mut have: Vec<(String, DateTime<Utc>, bool)> = Vec::new();
        let first = paris.with_ymd_and_hms(2026, 1, 1, 2, 0, 0).unwrap();
        for d in 0..60 {
            let t = (first + chrono::Duration::days(d)).with_timezone(&Utc);
            have.push((t.with_timezone(&paris).format("%Y-%m-%d").to_string(), t, false));
            let decision = p.apply(&have, t, paris);
            have.retain(|(k, _, _)| !decision.forget.contains(k));
        }
        let mut days: Vec<String> = have.iter().map(|h| h.0.clone()).collect();
        days.sort();
        // Day 60 is 2026-03-01 (a Sunday, the end of ISO week 9).
        assert_eq!(
            days,
            vec!["2026-02-08", "2026-02-15", "2026-02-22", "2026-02-23", "2026-02-24", "2026-02-25", "2026-02-26", "2026-02-27", "2026-02-28", "2026-03-01"]
        );
    }

    proptest! {
        #[test]
        fn partitions_and_idempotence(
            times in proptest::collection::vec((0i64..400 * 24, any::<bool>()), 0..60),
            last in proptest::option::of(0u32..6),
            daily in proptest::option::of(0u32..6),
            weekly in proptest::option::of(0u32..4),
            monthly in proptest::option::of(0u32..3),
            within in proptest::option::of(1u32..200),
        ) {
            let base = at(2025, 1, 1, 0);
            let items: Vec<(usize, DateTime<Utc>, bool)> =
                times.iter().enumerate().map(|(i, (h, pin))| (i, base + chrono::Duration::hours(*h), *pin)).collect();
            let now = base + chrono::Duration::hours(400 * 24);
            let p = Policy {
                keep_last: last, keep_daily: daily, keep_weekly: weekly, keep_monthly: monthly,
                keep_within: within.map(|h| format!("{h}h")), keep_yearly: None,
            };
            let d = p.apply(&items, now, chrono_tz::Europe::Paris);
            let mut all: Vec<usize> = kept(&d).into_iter().chain(d.forget.iter().copied()).collect();
            all.sort();
            prop_assert_eq!(all, (0..items.len()).collect::<Vec<_>>());
            for (i, _, pin) in &items {
                if *pin { prop_assert!(kept(&d).contains(i)); }
            }
            if p == (Policy { keep_last: last, ..Policy::default() }) && last.is_some() {
                let unpinned = items.iter().filter(|i| !i.2).count();
                let pinned = items.len() - unpinned;
                prop_assert_eq!(d.keep.len(), pinned + unpinned.min(last.unwrap_or(0) as usize));
            }
            // Applying the policy again to what it kept keeps all of it:
            // every kept item is still the newest of its bucket, within
            // the newest N buckets, among the kept ones.
            let again: Vec<(usize, DateTime<Utc>, bool)> = items.iter().filter(|i| kept(&d).contains(&i.0)).cloned().collect();
            let d2 = p.apply(&again, now, chrono_tz::Europe::Paris);
            prop_assert!(d2.forget.is_empty(), "second pass forgot {:?}", d2.forget);
        }
    }
}
