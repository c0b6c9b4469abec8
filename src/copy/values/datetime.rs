//! Dates, times, timestamps and intervals as the server prints them under
//! `DateStyle = 'ISO, MDY'` and `IntervalStyle = postgres` (and the XSD
//! form `to_json` uses), with time zones from the IANA database that
//! `chrono-tz` compiles in — the one the service's schedules and retention
//! use too, so the program has one calendar and one zone database.
//!
//! The calendar arithmetic follows the server's: Julian day numbers with
//! the epoch at 2000-01-01, years before 1 printed with a " BC" suffix.

use chrono::{DateTime, Datelike as _, Offset as _, TimeZone as _, Utc};
use chrono_tz::Tz;

use super::num::push_display;
use super::{take, ValueError};

const POSTGRES_EPOCH_JDATE: i64 = 2_451_545;
const USECS_PER_DAY: i64 = 86_400_000_000;
const USECS_PER_SEC: i64 = 1_000_000;
/// Seconds from the Unix epoch to 2000-01-01.
const EPOCH_SHIFT_SECS: i64 = 946_684_800;
/// A Gregorian cycle: the calendar, and so a time zone's rules for future
/// years, repeat every 400 years.
const CYCLE_SECS: i64 = 146_097 * 86_400;
/// The server's timestamp range: 4714-11-24 BC to 294277-01-01 (exclusive).
const MIN_TIMESTAMP: i64 = -211_813_488_000_000_000;
const END_TIMESTAMP: i64 = 9_223_371_331_200_000_000;
/// The server's date range in Julian days.
const DATE_END_JULIAN: i64 = 2_147_483_494;

/// How a date-time is laid out: the text output under `DateStyle ISO`,
/// or the XSD form of `to_json` ("T" between date and time, offsets
/// always with minutes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Iso,
    Xsd,
}

/// Year, month, day from a Julian day number (the server's `j2date`).
fn j2date(jd: i64) -> (i64, u32, u32) {
    let mut julian = jd + 32044;
    let mut quad = julian / 146_097;
    let extra = (julian - quad * 146_097) * 4 + 3;
    julian += 60 + quad * 3 + extra / 146_097;
    quad = julian / 1461;
    julian -= quad * 1461;
    let mut y = julian * 4 / 1461;
    julian = if y != 0 { (julian + 305) % 365 } else { (julian + 306) % 366 } + 123;
    y += quad * 4;
    let year = y - 4800;
    let quad = julian * 2141 / 65536;
    let day = julian - 7834 * quad / 256;
    let month = (quad + 10) % 12 + 1;
    (year, month as u32, day as u32)
}

fn push_year_date(out: &mut Vec<u8>, year: i64, month: u32, day: u32) {
    let shown = if year > 0 { year } else { 1 - year };
    push_display(out, format_args!("{shown:04}-{month:02}-{day:02}"));
}

fn push_bc(out: &mut Vec<u8>, year: i64) {
    if year <= 0 {
        out.extend_from_slice(b" BC");
    }
}

/// "HH:MM:SS" plus a fraction without trailing zeros.
fn push_hms(out: &mut Vec<u8>, hour: i64, min: i64, sec: i64, usec: i64) {
    push_display(out, format_args!("{:02}:{:02}:{:02}", hour.abs(), min.abs(), sec.abs()));
    push_fraction(out, usec);
}

fn push_fraction(out: &mut Vec<u8>, usec: i64) {
    if usec != 0 {
        let s = format!("{:06}", usec.abs());
        out.push(b'.');
        out.extend_from_slice(s.trim_end_matches('0').as_bytes());
    }
}

/// A UTC offset (seconds east) as "+HH", "+HH:MM" or "+HH:MM:SS".
fn push_offset(out: &mut Vec<u8>, east: i32, style: Style) {
    out.push(if east >= 0 { b'+' } else { b'-' });
    let s = east.unsigned_abs();
    let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60);
    push_display(out, format_args!("{h:02}"));
    if sec != 0 {
        push_display(out, format_args!(":{m:02}:{sec:02}"));
    } else if m != 0 || style == Style::Xsd {
        push_display(out, format_args!(":{m:02}"));
    }
}

pub fn date(b: &[u8], style: Style, out: &mut Vec<u8>) -> Result<(), ValueError> {
    let _ = style;
    let d = i32::from_be_bytes(take(b)?);
    match d {
        i32::MAX => out.extend_from_slice(b"infinity"),
        i32::MIN => out.extend_from_slice(b"-infinity"),
        _ => {
            let jd = d as i64 + POSTGRES_EPOCH_JDATE;
            if !(0..DATE_END_JULIAN).contains(&jd) {
                return Err(ValueError::new(format!("date {d} is out of range")));
            }
            let (y, m, day) = j2date(jd);
            push_year_date(out, y, m, day);
            push_bc(out, y);
        }
    }
    Ok(())
}

pub fn time(b: &[u8], out: &mut Vec<u8>) -> Result<(), ValueError> {
    let t = i64::from_be_bytes(take(b)?);
    if !(0..=USECS_PER_DAY).contains(&t) {
        return Err(ValueError::new(format!("time {t} µs is out of range")));
    }
    push_time_of_day(out, t);
    Ok(())
}

fn push_time_of_day(out: &mut Vec<u8>, t: i64) {
    let secs = t / USECS_PER_SEC;
    push_hms(out, secs / 3600, secs / 60 % 60, secs % 60, t % USECS_PER_SEC);
}

pub fn timetz(b: &[u8], out: &mut Vec<u8>) -> Result<(), ValueError> {
    if b.len() != 12 {
        return Err(ValueError::new(format!("timetz must be 12 bytes, is {}", b.len())));
    }
    time(&b[..8], out)?;
    // The zone is stored in seconds west of UTC.
    let west = i32::from_be_bytes(take(&b[8..])?);
    if !(-15 * 3600 - 59 * 60..=15 * 3600 + 59 * 60).contains(&west) {
        return Err(ValueError::new(format!("time zone displacement {west} s is out of range")));
    }
    push_offset(out, -west, Style::Iso);
    Ok(())
}

/// Timestamps without a time zone (`tz` None) or with one.
pub fn timestamp(b: &[u8], tz: Option<&Tz>, style: Style, out: &mut Vec<u8>) -> Result<(), ValueError> {
    let dt = i64::from_be_bytes(take(b)?);
    match dt {
        i64::MAX | i64::MIN => {
            out.extend_from_slice(if dt == i64::MAX { b"infinity" } else { b"-infinity" });
            return Ok(());
        }
        _ if !(MIN_TIMESTAMP..END_TIMESTAMP).contains(&dt) => {
            return Err(ValueError::new(format!("timestamp {dt} µs is out of range")));
        }
        _ => {}
    }
    let offset = tz.map(|tz| offset_at(tz, dt.div_euclid(USECS_PER_SEC)));
    let local = dt + offset.unwrap_or(0) as i64 * USECS_PER_SEC;
    let (days, t) = (local.div_euclid(USECS_PER_DAY), local.rem_euclid(USECS_PER_DAY));
    let (y, m, d) = j2date(days + POSTGRES_EPOCH_JDATE);
    push_year_date(out, y, m, d);
    out.push(if style == Style::Xsd { b'T' } else { b' ' });
    push_time_of_day(out, t);
    if let Some(off) = offset {
        push_offset(out, off, style);
    }
    push_bc(out, y);
    Ok(())
}

/// The last year whose transitions the compiled zone database lists
/// (zic's default horizon); later years follow the zone's current rules.
const LAST_LISTED_YEAR: i32 = 2037;

/// The zone's offset (seconds east) at `secs` after 2000-01-01 UTC, as the
/// server computes it: after the listed years the zone's current rules go
/// on for ever (DST in June 2100 in New York).
fn offset_at(tz: &Tz, secs: i64) -> i32 {
    let mut unix = secs + EPOCH_SHIFT_SECS;
    let (min, max) = (DateTime::<Utc>::MIN_UTC.timestamp() + 86_400, DateTime::<Utc>::MAX_UTC.timestamp() - 86_400);
    // The calendar repeats every 400 years: move out-of-range instants in.
    if unix < min {
        unix += ((min - unix) / CYCLE_SECS + 1) * CYCLE_SECS;
    } else if unix > max {
        unix -= ((unix - max) / CYCLE_SECS + 1) * CYCLE_SECS;
    }
    let Some(t) = DateTime::from_timestamp(unix, 0) else { return 0 };
    let t = match listed_year_like(t.year()) {
        // Rules name local dates and weekdays ("second Sunday of March"),
        // so a year with the same calendar has the same transitions.
        Some(shift_days) => t - chrono::Duration::days(shift_days),
        None => t,
    };
    tz.offset_from_utc_datetime(&t.naive_utc()).fix().local_minus_utc()
}

/// For a year after the listed ones: how many days back the latest listed
/// year with the same calendar (weekday of 1 January and leap year or not)
/// begins.
fn listed_year_like(year: i32) -> Option<i64> {
    use chrono::{Datelike as _, NaiveDate};
    if year <= LAST_LISTED_YEAR {
        return None;
    }
    let start = NaiveDate::from_ymd_opt(year, 1, 1)?;
    let leap = NaiveDate::from_ymd_opt(year, 2, 29).is_some();
    // Every calendar recurs within 28 consecutive years of one century.
    (LAST_LISTED_YEAR - 27..=LAST_LISTED_YEAR).rev().find_map(|y| {
        let other = NaiveDate::from_ymd_opt(y, 1, 1)?;
        let same = other.weekday() == start.weekday() && NaiveDate::from_ymd_opt(y, 2, 29).is_some() == leap;
        same.then(|| (start - other).num_days())
    })
}

pub fn interval(b: &[u8], out: &mut Vec<u8>) -> Result<(), ValueError> {
    if b.len() != 16 {
        return Err(ValueError::new(format!("interval must be 16 bytes, is {}", b.len())));
    }
    let time = i64::from_be_bytes(take(&b[..8])?);
    let day = i32::from_be_bytes(take(&b[8..12])?) as i64;
    let month = i32::from_be_bytes(take(&b[12..])?) as i64;
    // Infinite intervals (PostgreSQL 17+) have every field at its limit.
    if (time, day, month) == (i64::MAX, i32::MAX as i64, i32::MAX as i64) {
        out.extend_from_slice(b"infinity");
        return Ok(());
    }
    if (time, day, month) == (i64::MIN, i32::MIN as i64, i32::MIN as i64) {
        out.extend_from_slice(b"-infinity");
        return Ok(());
    }
    let (year, mon) = (month / 12, month % 12);
    let hour = time / (3600 * USECS_PER_SEC);
    let min = time / (60 * USECS_PER_SEC) % 60;
    let sec = time / USECS_PER_SEC % 60;
    let usec = time % USECS_PER_SEC;
    // Each non-zero field after the first gets a space; a positive field
    // right after a negative one gets a "+".
    let mut is_zero = true;
    let mut is_before = false;
    for (value, unit) in [(year, "year"), (mon, "mon"), (day, "day")] {
        if value == 0 {
            continue;
        }
        push_display(
            out,
            format_args!(
                "{}{}{value} {unit}{}",
                if is_zero { "" } else { " " },
                if is_before && value > 0 { "+" } else { "" },
                if value != 1 { "s" } else { "" }
            ),
        );
        is_before = value < 0;
        is_zero = false;
    }
    if is_zero || time != 0 {
        let minus = time < 0;
        push_display(
            out,
            format_args!(
                "{}{}",
                if is_zero { "" } else { " " },
                if minus { "-" } else if is_before { "+" } else { "" }
            ),
        );
        push_display(out, format_args!("{:02}:", hour.abs()));
        push_hms_tail(out, min, sec, usec);
    }
    Ok(())
}

fn push_hms_tail(out: &mut Vec<u8>, min: i64, sec: i64, usec: i64) {
    push_display(out, format_args!("{:02}:{:02}", min.abs(), sec.abs()));
    push_fraction(out, usec);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(v: i64, tz: Option<&str>) -> String {
        let tz = tz.map(|n| n.parse::<Tz>().unwrap());
        let mut o = Vec::new();
        timestamp(&v.to_be_bytes(), tz.as_ref(), Style::Iso, &mut o).unwrap();
        String::from_utf8(o).unwrap()
    }

    fn iv(time: i64, day: i32, month: i32) -> String {
        let mut b = time.to_be_bytes().to_vec();
        b.extend_from_slice(&day.to_be_bytes());
        b.extend_from_slice(&month.to_be_bytes());
        let mut o = Vec::new();
        interval(&b, &mut o).unwrap();
        String::from_utf8(o).unwrap()
    }

    #[test]
    fn timestamps() {
        assert_eq!(ts(0, None), "2000-01-01 00:00:00");
        assert_eq!(ts(-1, None), "1999-12-31 23:59:59.999999");
        assert_eq!(ts(1_500_000, Some("UTC")), "2000-01-01 00:00:01.5+00");
        assert_eq!(ts(0, Some("Asia/Kolkata")), "2000-01-01 05:30:00+05:30");
        assert_eq!(ts(MIN_TIMESTAMP, None), "4714-11-24 00:00:00 BC");
        assert_eq!(ts(END_TIMESTAMP - 1, None), "294276-12-31 23:59:59.999999");
    }

    #[test]
    fn zone_rules_go_on_after_the_listed_years() {
        let at = |y, m, d| {
            let t = chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(12, 0, 0).unwrap().and_utc();
            (t.timestamp() - EPOCH_SHIFT_SECS) * USECS_PER_SEC
        };
        assert_eq!(ts(at(2100, 7, 1), Some("America/New_York")), "2100-07-01 08:00:00-04");
        assert_eq!(ts(at(2100, 12, 1), Some("America/New_York")), "2100-12-01 07:00:00-05");
        assert_eq!(ts(at(2400, 3, 26), Some("Europe/Paris")), "2400-03-26 14:00:00+02");
        assert_eq!(ts(at(2400, 3, 25), Some("Europe/Paris")), "2400-03-25 13:00:00+01");
        assert_eq!(ts(at(2030, 7, 1), Some("Asia/Tokyo")), "2030-07-01 21:00:00+09");
    }

    #[test]
    fn intervals_in_postgres_style() {
        assert_eq!(iv(0, 0, 0), "00:00:00");
        assert_eq!(iv(0, 3, 14), "1 year 2 mons 3 days");
        assert_eq!(iv(-3_600_000_000, 1, 0), "1 day -01:00:00");
        assert_eq!(iv(3_600_000_000, -1, 0), "-1 days +01:00:00");
        assert_eq!(iv(1_500_000, 0, -1), "-1 mons +00:00:01.5");
        assert_eq!(iv(0, 1, 1), "1 mon 1 day");
    }
}
