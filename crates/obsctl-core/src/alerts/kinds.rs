//! Alert kinds, severities and Sentry's time windows.

use std::fmt;

/// What an `[[alert]]` watches (`kind = "…"` in `obsctl.toml`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// `failure_rate()` of transactions above a ratio (0–1).
    ErrorRate,
    /// `p95(span.duration)` of transactions above a number of ms.
    P95Latency,
    /// `count(span.duration)` of transactions below a count per window.
    ZeroTraffic,
    /// Sentry's uptime monitor on the service's `health_url`.
    Uptime,
    /// `count()` of errors up by more than a percentage against an earlier window.
    ErrorSpike,
}

impl Kind {
    /// Every kind, in documentation order.
    pub const ALL: [Kind; 5] = [
        Kind::ErrorRate,
        Kind::P95Latency,
        Kind::ZeroTraffic,
        Kind::Uptime,
        Kind::ErrorSpike,
    ];

    /// The name used in `obsctl.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::ErrorRate => "error-rate",
            Kind::P95Latency => "p95-latency",
            Kind::ZeroTraffic => "zero-traffic",
            Kind::Uptime => "uptime",
            Kind::ErrorSpike => "error-spike",
        }
    }

    /// Parse a name from `obsctl.toml`.
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The unit of `threshold`, for messages and docs.
    pub fn unit(self) -> &'static str {
        match self {
            Kind::ErrorRate => "a ratio 0–1 (0.01 = 1 %)",
            Kind::P95Latency => "milliseconds",
            Kind::ZeroTraffic => "transactions per window",
            Kind::Uptime => "none",
            Kind::ErrorSpike => "percent increase (100 = doubled)",
        }
    }

    /// True when the monitor fires *below* the threshold.
    pub fn fires_below(self) -> bool {
        self == Kind::ZeroTraffic
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How bad a firing alert is: picks the monitor's priority and the channels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// Priority high (75): `#incidents` and `#monitoring`.
    Critical,
    /// Priority medium (50): `#monitoring`.
    Warning,
}

impl Severity {
    /// The name used in `obsctl.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
        }
    }

    /// Parse a name from `obsctl.toml`.
    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "critical" => Some(Severity::Critical),
            "warning" => Some(Severity::Warning),
            _ => None,
        }
    }

    /// Sentry's detector `conditionResult` / issue priority: 75 high, 50 medium.
    pub fn priority(self) -> i64 {
        match self {
            Severity::Critical => 75,
            Severity::Warning => 50,
        }
    }

    /// The severity of a Sentry priority (75 and above critical, else warning).
    pub fn from_priority(p: i64) -> Severity {
        if p >= 75 {
            Severity::Critical
        } else {
            Severity::Warning
        }
    }

    /// The default Slack channels (names without `#`).
    pub fn default_channels(self) -> &'static [&'static str] {
        match self {
            Severity::Critical => &["incidents", "monitoring"],
            Severity::Warning => &["monitoring"],
        }
    }
}

/// Sentry's metric monitor windows: (name, seconds).
pub const ALERT_WINDOWS: [(&str, u32); 9] = [
    ("1m", 60),
    ("5m", 300),
    ("10m", 600),
    ("15m", 900),
    ("30m", 1800),
    ("1h", 3600),
    ("2h", 7200),
    ("4h", 14400),
    ("1d", 86400),
];

/// Sentry's uptime check intervals: (name, seconds).
pub const UPTIME_INTERVALS: [(&str, u32); 6] = [
    ("1m", 60),
    ("5m", 300),
    ("10m", 600),
    ("20m", 1200),
    ("30m", 1800),
    ("1h", 3600),
];

/// The seconds of a metric monitor window (`"5m"` → 300); `None` when
/// Sentry does not offer it.
pub fn window_secs(window: &str) -> Option<u32> {
    ALERT_WINDOWS
        .iter()
        .find(|(n, _)| *n == window)
        .map(|(_, s)| *s)
}

/// The seconds of an uptime interval (`"1m"` → 60); `None` when not offered.
pub fn uptime_interval_secs(window: &str) -> Option<u32> {
    UPTIME_INTERVALS
        .iter()
        .find(|(n, _)| *n == window)
        .map(|(_, s)| *s)
}

/// The window name of a number of seconds (`300` → `"5m"`), metric windows first.
pub fn window_name(secs: u64) -> Option<&'static str> {
    ALERT_WINDOWS
        .iter()
        .chain(UPTIME_INTERVALS.iter())
        .find(|(_, s)| u64::from(*s) == secs)
        .map(|(n, _)| *n)
}

/// For `error-spike`: how far back the window is compared, in seconds
/// (Sentry's `comparisonDelta`): windows under an hour compare with one
/// hour ago, up to 4 h with one day ago, a day with one week ago.
pub fn comparison_delta_secs(window_secs: u32) -> u32 {
    match window_secs {
        0..3600 => 3600,
        3600..86400 => 86400,
        _ => 604800,
    }
}

/// The windows as a list for messages: `1m 5m 10m …`.
pub fn names(list: &[(&str, u32)]) -> String {
    list.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_in_seconds() {
        assert_eq!(window_secs("5m"), Some(300));
        assert_eq!(window_secs("1d"), Some(86400));
        assert_eq!(window_secs("20m"), None);
        assert_eq!(window_secs("5"), None);
        assert_eq!(uptime_interval_secs("20m"), Some(1200));
        assert_eq!(uptime_interval_secs("15m"), None);
        assert_eq!(window_name(300), Some("5m"));
        assert_eq!(window_name(1200), Some("20m"));
        assert_eq!(window_name(301), None);
        assert_eq!(names(&UPTIME_INTERVALS), "1m 5m 10m 20m 30m 1h");
    }

    #[test]
    fn kinds_and_severities_round_trip() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
        }
        assert_eq!(Kind::parse("latency"), None);
        assert_eq!(Severity::parse("critical").unwrap().priority(), 75);
        assert_eq!(Severity::from_priority(50), Severity::Warning);
        assert_eq!(comparison_delta_secs(300), 3600);
        assert_eq!(comparison_delta_secs(7200), 86400);
        assert_eq!(comparison_delta_secs(86400), 604800);
    }
}
