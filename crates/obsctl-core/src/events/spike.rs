//! Sizes and schedules: the spike `alerts test` sends for an `error-spike`
//! alert, the polling schedule of "is the event visible yet", and the
//! durations users write (`60s`, `2m`, `5m`).

use std::time::Duration;

/// At most this many requests a second while polling (the event-by-id and
/// detector endpoints are rate limited per caller).
pub const MAX_POLLS_PER_SEC: u32 = 5;

/// At most this many envelopes in flight at once in a spike.
pub const SPIKE_CONCURRENCY: usize = 8;

/// The largest spike obsctl sends (events). Bigger spikes cost quota and hit
/// the DSN key's rate limit; a monitor needing more is tested another way.
pub const MAX_SPIKE: u32 = 1000;

/// The wait before poll number `attempt` (0-based): 250 ms, then ×1.5 per
/// attempt, capped at 2 s; never under 1/[`MAX_POLLS_PER_SEC`] s.
pub fn poll_delay(attempt: u32) -> Duration {
    let ms = 250.0 * 1.5f64.powi(attempt.min(20) as i32);
    let min = 1000 / MAX_POLLS_PER_SEC as u64;
    Duration::from_millis((ms as u64).clamp(min, 2000))
}

/// The wait before reading a monitor again (`alerts test`): 2 s, ×1.5 per
/// attempt, capped at 15 s (monitors evaluate about once a minute).
pub fn monitor_poll_delay(attempt: u32) -> Duration {
    let ms = 2000.0 * 1.5f64.powi(attempt.min(20) as i32);
    Duration::from_millis((ms as u64).min(15_000))
}

/// Parse a duration as users write it: `500ms`, `3s`, `2m`, `1h`, or a bare
/// number of seconds. Errors name the accepted forms.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let bad = || format!("invalid duration {s:?}: use e.g. 30s, 2m, 1h or 500ms");
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse().map_err(|_| bad())?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "" | "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(bad()),
    };
    if !secs.is_finite() || secs <= 0.0 || secs > 86_400.0 {
        return Err(format!("{} (between 1ms and 24h)", bad()));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// An alert window (`1m` … `1d`) in seconds, for Sentry's fixed list.
pub fn window_secs(window: &str) -> Option<u64> {
    Some(match window.trim() {
        "1m" => 60,
        "5m" => 300,
        "10m" => 600,
        "15m" => 900,
        "20m" => 1200,
        "30m" => 1800,
        "1h" => 3600,
        "2h" => 7200,
        "4h" => 14_400,
        "1d" => 86_400,
        _ => return None,
    })
}

/// How big a spike must be to trip an `error-spike` (percent-change) monitor.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SpikePlan {
    /// Events to send, all within one window.
    pub events: u32,
    /// The errors expected in the comparison window (the baseline), per window.
    pub baseline_per_window: f64,
    /// The increase the spike produces over the baseline, in percent.
    pub expected_increase_pct: f64,
    /// The monitor's window, in seconds.
    pub window_secs: u64,
}

/// Size a spike for a percent-change monitor: the window's count must rise
/// more than `threshold_pct` percent over the comparison window's count
/// (`baseline_per_window`, e.g. the last day's errors / windows per day), with
/// 20 % margin and at least 5 events.
///
/// Errors (texts for the user): a baseline of 0 (Sentry computes no percent
/// change from zero, so the monitor cannot fire from test traffic), a
/// threshold that is not positive, or a spike over [`MAX_SPIKE`].
pub fn error_spike(
    threshold_pct: f64,
    window_secs: u64,
    baseline_per_window: f64,
) -> Result<SpikePlan, String> {
    if !(threshold_pct.is_finite() && threshold_pct > 0.0) {
        return Err(format!(
            "threshold {threshold_pct} is not a positive percent increase"
        ));
    }
    if !(baseline_per_window.is_finite() && baseline_per_window > 0.0) {
        return Err(
            "the monitor compares with the same window earlier, and that window had no errors: \
             Sentry computes no percent change from zero, so no test spike can make it fire \
             (test it in a project with error traffic, or pass --baseline N if you know better)"
                .to_string(),
        );
    }
    let needed = baseline_per_window * threshold_pct / 100.0;
    let events = ((needed * 1.2).ceil() as u64 + 1).max(5);
    if events > MAX_SPIKE as u64 {
        return Err(format!(
            "tripping a {threshold_pct}% increase over ~{baseline_per_window:.0} errors per window needs \
             {events} events, more than obsctl sends ({MAX_SPIKE}): it would spend quota and hit rate limits"
        ));
    }
    let events = events as u32;
    Ok(SpikePlan {
        events,
        baseline_per_window,
        expected_increase_pct: events as f64 / baseline_per_window * 100.0,
        window_secs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polling_stays_under_five_per_second_and_backs_off() {
        let mut total = Duration::ZERO;
        for a in 0..40 {
            let d = poll_delay(a);
            assert!(d >= Duration::from_millis(200) && d <= Duration::from_secs(2));
            total += d;
        }
        assert_eq!(poll_delay(0), Duration::from_millis(250));
        assert_eq!(poll_delay(30), Duration::from_secs(2));
        assert!(total > Duration::from_secs(60));
        assert_eq!(monitor_poll_delay(0), Duration::from_secs(2));
        assert_eq!(monitor_poll_delay(50), Duration::from_secs(15));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("60s").unwrap(), Duration::from_secs(60));
        assert_eq!(parse_duration("3").unwrap(), Duration::from_secs(3));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        for bad in ["", "s", "-1s", "0s", "5x", "2d", "1e9"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(window_secs("5m"), Some(300));
        assert_eq!(window_secs("7m"), None);
    }

    #[test]
    fn spike_sizes() {
        let p = error_spike(50.0, 300, 10.0).unwrap();
        assert_eq!(p.events, 7);
        assert!(p.expected_increase_pct > 50.0);
        assert_eq!(error_spike(100.0, 300, 1.0).unwrap().events, 5);
        let p = error_spike(200.0, 60, 100.0).unwrap();
        assert!(p.events as f64 > 200.0, "{p:?}");
        assert!(
            error_spike(50.0, 300, 0.0)
                .unwrap_err()
                .contains("no percent change")
        );
        assert!(error_spike(0.0, 300, 5.0).is_err());
        assert!(
            error_spike(1000.0, 300, 1000.0)
                .unwrap_err()
                .contains("more than obsctl sends")
        );
    }
}
