//! Uptime per UTC day from incident intervals.
//!
//! A service is *down* while a check incident reports down or a declared
//! major/critical incident is open, *degraded* while a check incident
//! reports degraded or a declared minor incident is open, and up otherwise
//! (obsctl keeps no state, so time without an incident counts as up).
//! Uptime = 1 − down time ÷ observed time (a ratio 0–1); degraded time
//! counts as up, as in Upptime. Days are measured up to the reference time
//! (`now`); today's observed time is the part of it before `now`.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;

use super::health::Health;

/// A stretch of time in one bad state (`Down` or `Degraded`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interval {
    /// Start, inclusive.
    pub start: DateTime<Utc>,
    /// End, exclusive (the close time, else the reference time).
    pub end: DateTime<Utc>,
    /// `Down` or `Degraded` (`Up` intervals are ignored).
    pub level: Health,
}

/// One UTC day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Day {
    /// The date (UTC).
    pub date: NaiveDate,
    /// The worst state seen that day.
    pub worst: Health,
    /// Seconds down.
    pub down_secs: i64,
    /// Seconds degraded (and not down).
    pub degraded_secs: i64,
    /// Seconds of the day up to the reference time (86,400 for past days).
    pub observed_secs: i64,
}

impl Day {
    /// The day's uptime, a ratio 0–1 (1 when nothing was observed).
    pub fn uptime(&self) -> f64 {
        if self.observed_secs <= 0 {
            1.0
        } else {
            1.0 - self.down_secs as f64 / self.observed_secs as f64
        }
    }
}

/// Seconds of `[a, b)` covered by the union of `spans` (each `[s, e)`).
fn covered(
    spans: &mut [(DateTime<Utc>, DateTime<Utc>)],
    a: DateTime<Utc>,
    b: DateTime<Utc>,
) -> i64 {
    spans.sort();
    let mut total = 0;
    let mut cur: Option<(DateTime<Utc>, DateTime<Utc>)> = None;
    for &(s, e) in spans.iter() {
        let (s, e) = (s.max(a), e.min(b));
        if s >= e {
            continue;
        }
        match cur {
            Some((cs, ce)) if s <= ce => cur = Some((cs, ce.max(e))),
            Some((cs, ce)) => {
                total += (ce - cs).num_seconds();
                cur = Some((s, e));
            }
            None => cur = Some((s, e)),
        }
    }
    if let Some((cs, ce)) = cur {
        total += (ce - cs).num_seconds();
    }
    total
}

/// The last `days` UTC days ending with `now`'s day, oldest first.
pub fn daily(intervals: &[Interval], now: DateTime<Utc>, days: u32) -> Vec<Day> {
    let today = now.date_naive();
    (0..days as i64)
        .rev()
        .map(|back| {
            let date = today - Duration::days(back);
            let start = date.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
            let end = (start + Duration::days(1)).min(now);
            let mut down: Vec<_> = intervals
                .iter()
                .filter(|i| i.level == Health::Down)
                .map(|i| (i.start, i.end.min(now)))
                .collect();
            let mut bad: Vec<_> = intervals
                .iter()
                .filter(|i| i.level != Health::Up)
                .map(|i| (i.start, i.end.min(now)))
                .collect();
            let down_secs = covered(&mut down, start, end);
            let bad_secs = covered(&mut bad, start, end);
            let degraded_secs = bad_secs - down_secs;
            Day {
                date,
                worst: if down_secs > 0 {
                    Health::Down
                } else if degraded_secs > 0 {
                    Health::Degraded
                } else {
                    Health::Up
                },
                down_secs,
                degraded_secs,
                observed_secs: (end - start).num_seconds().max(0),
            }
        })
        .collect()
}

/// Uptime over `days`, a ratio 0–1 (1 when nothing was observed).
pub fn ratio(days: &[Day]) -> f64 {
    let observed: i64 = days.iter().map(|d| d.observed_secs).sum();
    let down: i64 = days.iter().map(|d| d.down_secs).sum();
    if observed <= 0 {
        1.0
    } else {
        1.0 - down as f64 / observed as f64
    }
}

/// A ratio as a percentage with two decimals, never rounded up to 100.00
/// while there was downtime: `99.99%`.
pub fn percent(ratio: f64) -> String {
    let p = (ratio * 10_000.0 + 1e-6).floor() / 100.0;
    format!("{p:.2}%")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn days_split_at_midnight_and_stop_at_now() {
        let now = t("2026-11-29T12:00:00Z");
        let iv = [
            Interval {
                start: t("2026-11-27T23:00:00Z"),
                end: t("2026-11-28T01:00:00Z"),
                level: Health::Down,
            },
            // Overlapping degraded time is not counted twice.
            Interval {
                start: t("2026-11-28T00:30:00Z"),
                end: t("2026-11-28T02:00:00Z"),
                level: Health::Degraded,
            },
            // Open: up to now.
            Interval {
                start: t("2026-11-29T11:00:00Z"),
                end: t("2026-11-30T00:00:00Z"),
                level: Health::Down,
            },
        ];
        let d = daily(&iv, now, 3);
        assert_eq!(d.len(), 3);
        assert_eq!(d[0].date.to_string(), "2026-11-27");
        assert_eq!(d[0].down_secs, 3600);
        assert_eq!(d[1].down_secs, 3600);
        assert_eq!(d[1].degraded_secs, 3600);
        assert_eq!(d[1].worst, Health::Down);
        assert_eq!(d[2].observed_secs, 12 * 3600);
        assert_eq!(d[2].down_secs, 3600);
        let r = ratio(&d);
        assert!((r - (1.0 - 3.0 * 3600.0 / (60.0 * 3600.0))).abs() < 1e-9);
        assert_eq!(percent(0.999_99), "99.99%");
        assert_eq!(percent(1.0), "100.00%");
        assert_eq!(percent(0.95), "95.00%");
    }
}
