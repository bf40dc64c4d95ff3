//! The two time windows `deploy verify` compares.
//!
//! - **candidate**: from the deploy's finish plus the warm-up, up to
//!   `window` long (shorter while it is still running, unless `--wait`);
//! - **baseline**: of the same length, ending where the deploy started
//!   (its finish when the start is unknown), so that no traffic of the
//!   rollout itself is judged.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

/// A half-open time range `[start, end)`, UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Window {
    /// Inclusive start.
    pub start: DateTime<Utc>,
    /// Exclusive end.
    pub end: DateTime<Utc>,
}

impl Window {
    /// The length (zero when `end <= start`).
    pub fn length(&self) -> Duration {
        (self.end - self.start).max(Duration::zero())
    }

    /// The length in minutes (fractional), for per-minute rates.
    pub fn minutes(&self) -> f64 {
        self.length().num_milliseconds() as f64 / 60_000.0
    }

    /// Whether `t` falls in the window.
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.start <= t && t < self.end
    }
}

/// What the windows are built from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowSpec {
    /// When the deploy started (None: unknown, the finish is used).
    pub deploy_started: Option<DateTime<Utc>>,
    /// When the deploy finished (the Sentry deploy's `dateFinished`, or
    /// the GitHub deployment's success status).
    pub deploy_finished: DateTime<Utc>,
    /// Traffic right after the deploy that is not judged (`--warmup`).
    pub warmup: Duration,
    /// The full candidate window (`--window`).
    pub window: Duration,
}

/// The planned windows at a moment `now`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Windows {
    /// The baseline release's window (same length as the candidate's).
    pub baseline: Window,
    /// The candidate release's window, cut at `now` while incomplete.
    pub candidate: Window,
    /// Whether the candidate window has its full `--window` length.
    pub complete: bool,
    /// When the full candidate window ends (what `--wait` waits for).
    pub full_end: DateTime<Utc>,
}

/// Errors of [`plan`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    /// `--window` must be positive.
    #[error("the window must be longer than zero")]
    EmptyWindow,
    /// `--warmup` cannot be negative.
    #[error("the warm-up cannot be negative")]
    NegativeWarmup,
}

/// The windows at `now`. The candidate window is empty (zero length) while
/// the warm-up is still running; the caller then waits or reports
/// "inconclusive: no data yet".
pub fn plan(spec: &WindowSpec, now: DateTime<Utc>) -> Result<Windows, WindowError> {
    if spec.window <= Duration::zero() {
        return Err(WindowError::EmptyWindow);
    }
    if spec.warmup < Duration::zero() {
        return Err(WindowError::NegativeWarmup);
    }
    let start = spec.deploy_finished + spec.warmup;
    let full_end = start + spec.window;
    let end = full_end.min(now).max(start);
    let candidate = Window { start, end };
    let anchor = spec
        .deploy_started
        .filter(|s| *s <= spec.deploy_finished)
        .unwrap_or(spec.deploy_finished);
    let baseline = Window {
        start: anchor - candidate.length(),
        end: anchor,
    };
    Ok(Windows {
        baseline,
        candidate,
        complete: now >= full_end,
        full_end,
    })
}

/// Parse a duration flag: `30m`, `2m`, `90s`, `1h`, `1h30m` (whole
/// seconds; no unit means minutes).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("empty duration: use e.g. 30m, 90s or 1h".into());
    }
    if let Ok(n) = s.parse::<i64>() {
        return Ok(Duration::minutes(n));
    }
    let mut total = Duration::zero();
    let mut num = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: i64 = num
            .parse()
            .map_err(|_| format!("{s:?} is not a duration: use e.g. 30m, 90s or 1h"))?;
        num.clear();
        total += match c {
            's' => Duration::seconds(n),
            'm' => Duration::minutes(n),
            'h' => Duration::hours(n),
            'd' => Duration::days(n),
            _ => return Err(format!("{s:?} is not a duration: use e.g. 30m, 90s or 1h")),
        };
    }
    if !num.is_empty() {
        return Err(format!(
            "{s:?} is not a duration: put a unit (s, m, h) after {num}"
        ));
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn spec() -> WindowSpec {
        WindowSpec {
            deploy_started: Some(t("2026-11-29T10:00:00Z")),
            deploy_finished: t("2026-11-29T10:05:00Z"),
            warmup: Duration::minutes(2),
            window: Duration::minutes(30),
        }
    }

    #[test]
    fn complete_windows() {
        let w = plan(&spec(), t("2026-11-29T12:00:00Z")).unwrap();
        assert!(w.complete);
        assert_eq!(w.candidate.start, t("2026-11-29T10:07:00Z"));
        assert_eq!(w.candidate.end, t("2026-11-29T10:37:00Z"));
        assert_eq!(w.baseline.start, t("2026-11-29T09:30:00Z"));
        assert_eq!(w.baseline.end, t("2026-11-29T10:00:00Z"));
        assert_eq!(w.candidate.minutes(), 30.0);
    }

    #[test]
    fn partial_window_is_cut_at_now_and_baseline_matches() {
        let w = plan(&spec(), t("2026-11-29T10:17:00Z")).unwrap();
        assert!(!w.complete);
        assert_eq!(w.candidate.length(), Duration::minutes(10));
        assert_eq!(w.baseline.length(), Duration::minutes(10));
        assert_eq!(w.full_end, t("2026-11-29T10:37:00Z"));
    }

    #[test]
    fn during_warmup_the_candidate_window_is_empty() {
        let w = plan(&spec(), t("2026-11-29T10:06:00Z")).unwrap();
        assert_eq!(w.candidate.length(), Duration::zero());
        assert_eq!(w.baseline.length(), Duration::zero());
        assert!(!w.complete);
    }

    #[test]
    fn unknown_start_anchors_the_baseline_at_the_finish() {
        let mut s = spec();
        s.deploy_started = None;
        let w = plan(&s, t("2026-11-29T12:00:00Z")).unwrap();
        assert_eq!(w.baseline.end, s.deploy_finished);
        // A start after the finish (clock skew) is ignored too.
        s.deploy_started = Some(t("2026-11-29T10:06:00Z"));
        assert_eq!(
            plan(&s, t("2026-11-29T12:00:00Z")).unwrap().baseline.end,
            s.deploy_finished
        );
    }

    #[test]
    fn bad_specs() {
        let mut s = spec();
        s.window = Duration::zero();
        assert_eq!(
            plan(&s, t("2026-11-29T12:00:00Z")),
            Err(WindowError::EmptyWindow)
        );
        let mut s = spec();
        s.warmup = Duration::minutes(-1);
        assert_eq!(
            plan(&s, t("2026-11-29T12:00:00Z")),
            Err(WindowError::NegativeWarmup)
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30m"), Ok(Duration::minutes(30)));
        assert_eq!(parse_duration("90s"), Ok(Duration::seconds(90)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::minutes(90)));
        assert_eq!(parse_duration("5"), Ok(Duration::minutes(5)));
        assert_eq!(parse_duration("0m"), Ok(Duration::zero()));
        for bad in ["", "m", "10x", "1h30", "-"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn windows_never_overlap_and_have_equal_length(
            started_before in 0i64..3600,
            warmup in 0i64..1800,
            window in 1i64..7200,
            now_after in -600i64..10_000,
        ) {
            let finished = t("2026-11-29T10:00:00Z");
            let s = WindowSpec {
                deploy_started: Some(finished - Duration::seconds(started_before)),
                deploy_finished: finished,
                warmup: Duration::seconds(warmup),
                window: Duration::seconds(window),
            };
            let w = plan(&s, finished + Duration::seconds(now_after)).unwrap();
            prop_assert_eq!(w.baseline.length(), w.candidate.length());
            prop_assert!(w.baseline.end <= w.candidate.start);
            prop_assert!(w.candidate.length() <= s.window);
            prop_assert!(w.candidate.start >= finished + s.warmup);
            prop_assert_eq!(w.complete, w.candidate.length() == s.window);
        }
    }
}
