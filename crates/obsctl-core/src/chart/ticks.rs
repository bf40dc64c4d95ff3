//! Tick positions and labels: time (UTC) on x, round numbers and round
//! durations on y.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};

const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;

/// How x tick labels are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TickFormat {
    /// `Mar 4` (the window stays in one year; the year is in the axis title).
    MonthDay,
    /// `2025-12-28` (the window crosses a year).
    IsoDate,
    /// `Mar 4 14:00`.
    MonthDayHour,
    /// `2025-12-31 22:00`.
    IsoDateHour,
    /// `Mar 2026` (month starts).
    MonthYear,
}

/// Ticks of a time axis: positions (unix seconds), label format and the
/// axis title (which names UTC, and the year when every tick is in one).
#[derive(Clone, Debug, PartialEq)]
pub struct TimeTicks {
    /// Tick positions, unix seconds, ascending, inside the window.
    pub at: Vec<i64>,
    /// Label format.
    pub format: TickFormat,
    /// The axis title: `Date (2026, UTC)`, `Date (UTC)`, `Time (UTC)`.
    pub title: String,
}

fn dt(t: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(t, 0).unwrap_or_default()
}

/// The label of tick `t`.
pub fn label(t: i64, f: TickFormat) -> String {
    let d = dt(t);
    match f {
        TickFormat::MonthDay => d.format("%b %-d").to_string(),
        TickFormat::IsoDate => d.format("%Y-%m-%d").to_string(),
        TickFormat::MonthDayHour => d.format("%b %-d %H:%M").to_string(),
        TickFormat::IsoDateHour => d.format("%Y-%m-%d %H:%M").to_string(),
        TickFormat::MonthYear => d.format("%b %Y").to_string(),
    }
}

/// A moment for hover text: `2026-03-04 14:05 UTC`.
pub fn hover_time(t: i64) -> String {
    dt(t).format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A bucket for hover text: the day `2026-03-04`, the hour
/// `2026-03-04 14:00 UTC`, or a week `week of 2026-03-02`.
pub fn hover_bucket(t: i64, bucket_secs: i64) -> String {
    let d = dt(t);
    if bucket_secs >= 7 * DAY {
        format!("week of {}", d.format("%Y-%m-%d"))
    } else if bucket_secs >= DAY {
        d.format("%Y-%m-%d").to_string()
    } else {
        d.format("%Y-%m-%d %H:%M UTC").to_string()
    }
}

/// Ticks for the window `[since, until)`, at most `max` of them (≥ 2):
/// hours for windows under 3 days, else UTC midnights every 1, 2 or 7 days
/// (weeks start on Monday), else month starts.
pub fn time_ticks(since: i64, until: i64, max: usize) -> TimeTicks {
    let max = max.max(2) as i64;
    let span = (until - since).max(1);
    let crosses_year = dt(since).year() != dt(until - 1).year();
    let hourly = span < 3 * DAY;
    let mut at = Vec::new();
    let format;
    if hourly {
        let step = [1, 2, 3, 6, 12, 24, 48]
            .into_iter()
            .map(|h| h * HOUR)
            .find(|s| span / s < max)
            .unwrap_or(48 * HOUR);
        let mut t = since.div_euclid(step) * step;
        if t < since {
            t += step;
        }
        while t < until {
            at.push(t);
            t += step;
        }
        format = if crosses_year {
            TickFormat::IsoDateHour
        } else {
            TickFormat::MonthDayHour
        };
    } else if let Some(step) = [1, 2, 7, 14]
        .into_iter()
        .map(|d| d * DAY)
        .find(|s| span / s < max)
    {
        // Weeks on Mondays (1970-01-05 was one), days on midnights.
        let origin = if step >= 7 * DAY { 4 * DAY } else { 0 };
        let mut t = (since - origin).div_euclid(step) * step + origin;
        if t < since {
            t += step;
        }
        while t < until {
            at.push(t);
            t += step;
        }
        format = if crosses_year {
            TickFormat::IsoDate
        } else {
            TickFormat::MonthDay
        };
    } else {
        // Month starts, every k months.
        let months = span / (30 * DAY) + 1;
        let k = [1, 2, 3, 6, 12]
            .into_iter()
            .find(|k| months / k < max)
            .unwrap_or(12);
        let s = dt(since);
        let (mut y, mut m) = (s.year(), s.month());
        loop {
            let t = Utc
                .from_utc_datetime(
                    &NaiveDate::from_ymd_opt(y, m, 1)
                        .expect("valid month")
                        .and_hms_opt(0, 0, 0)
                        .expect("midnight"),
                )
                .timestamp();
            if t >= until {
                break;
            }
            if t >= since && (m as i64 - 1) % k == 0 {
                at.push(t);
            }
            m += 1;
            if m > 12 {
                m = 1;
                y += 1;
            }
        }
        format = TickFormat::MonthYear;
    }
    let zone = if hourly { "Time" } else { "Date" };
    let title = match format {
        TickFormat::MonthDay | TickFormat::MonthDayHour => {
            format!("{zone} ({}, UTC)", dt(since).year())
        }
        _ => format!("{zone} (UTC)"),
    };
    TimeTicks { at, format, title }
}

/// A round axis top ≥ `max` and its step (1, 2 or 5 × 10ⁿ, 3–6 steps).
pub fn nice_linear(max: f64) -> (f64, f64) {
    if max.is_nan() || max <= 0.0 || !max.is_finite() {
        return (1.0, 0.25);
    }
    let raw = max / 4.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    ((max / step).ceil() * step, step)
}

/// Round durations (seconds) from just below `lo` to just above `hi`.
pub fn duration_marks(lo: f64, hi: f64) -> Vec<f64> {
    const MARKS: [f64; 14] = [
        1.0,
        10.0,
        60.0,
        600.0,
        3_600.0,
        6.0 * 3_600.0,
        86_400.0,
        7.0 * 86_400.0,
        30.0 * 86_400.0,
        91.0 * 86_400.0,
        182.0 * 86_400.0,
        365.0 * 86_400.0,
        730.0 * 86_400.0,
        1825.0 * 86_400.0,
    ];
    // One round duration of room below the lowest value and above the highest.
    let first = MARKS.iter().rposition(|m| *m < lo).unwrap_or(0);
    let last = MARKS
        .iter()
        .position(|m| *m > hi)
        .unwrap_or(MARKS.len() - 1);
    let mut v: Vec<f64> = MARKS[first..=last.max(first + 1).min(MARKS.len() - 1)].to_vec();
    // Keep at most 6 marks (thin the middle ones).
    while v.len() > 6 {
        let keep: Vec<f64> = v
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 2 == 0 || *i == v.len() - 1)
            .map(|(_, m)| *m)
            .collect();
        v = keep;
    }
    v
}

/// A duration in seconds: `40s`, `12m`, `3h 5m`, `2d 4h`, `5w`, `1.5y`.
pub fn duration_label(seconds: f64) -> String {
    if !seconds.is_finite() {
        return "n/a".into();
    }
    let s = seconds.round() as i64;
    let (d, h, m) = (s / DAY, (s % DAY) / HOUR, (s % HOUR) / 60);
    if d >= 365 && d % 365 == 0 {
        format!("{}y", d / 365)
    } else if d >= 28 && h == 0 && d % 7 == 0 {
        format!("{}w", d / 7)
    } else if d > 0 && h == 0 {
        format!("{d}d")
    } else if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 && m == 0 {
        format!("{h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 && s % 60 == 0 {
        format!("{m}m")
    } else if m > 0 {
        format!("{m}m {}s", s % 60)
    } else {
        format!("{s}s")
    }
}
