//! `alerts lint`: every problem of the `[[alert]]`, `[alerts]` and `[slack]`
//! parts of `obsctl.toml` (and the checks every command makes), each at its
//! line and column. Offline: no token, no network.

use std::collections::HashMap;

use toml::Spanned;

use super::kinds::{self, ALERT_WINDOWS, Kind, Severity, UPTIME_INTERVALS};
use crate::config::{Alert, Config, ConfigError, Problem};

/// The longest key accepted (it ends up in names Sentry caps at 200/256 characters).
pub const KEY_MAX: usize = 64;

/// Parse and check `source` (the text of `file`). Ok: the config, with no
/// problem at all. Err: every problem found, in file order, each with its
/// position (a duplicate key at its second occurrence).
pub fn lint(file: &str, source: &str) -> Result<Config, ConfigError> {
    let config = Config::parse_syntax(file, source)?;
    let mut problems = config.check(source);
    problems.extend(alert_problems(&config, source));
    problems.sort_by_key(|p| p.position.map(|p| (p.line, p.column)));
    if problems.is_empty() {
        Ok(config)
    } else {
        Err(ConfigError {
            file: file.to_string(),
            problems,
        })
    }
}

fn at<T>(source: &str, v: &Spanned<T>, message: impl Into<String>) -> Problem {
    ConfigError::problem_at(source, v.span(), message)
}

/// The alert-specific problems of an already parsed config (alerts naming
/// unknown services, units, windows, kinds, duplicate keys, uptime without
/// `health_url`, routing tables).
pub fn alert_problems(config: &Config, source: &str) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut keys: HashMap<&str, ()> = HashMap::new();
    for a in &config.alerts {
        if config.service(a.service.get_ref()).is_none() {
            problems.push(at(
                source,
                &a.service,
                format!(
                    "alert \"{}\" names service \"{}\", which no [[service]] defines",
                    a.key.get_ref(),
                    a.service.get_ref()
                ),
            ));
        }
        let key = a.key.get_ref().as_str();
        if !valid_key(key) {
            problems.push(at(
                source,
                &a.key,
                format!(
                    "alert key {key:?} must be 1–{KEY_MAX} characters of a-z, 0-9, '-', '_' or '.', starting with a letter or digit"
                ),
            ));
        } else if keys.insert(key, ()).is_some() {
            problems.push(at(
                source,
                &a.key,
                format!("alert key \"{key}\" is used twice: keys must be unique (renaming a key deletes and recreates its monitor)"),
            ));
        }
        problems.extend(one_alert(config, a, source));
    }
    for (severity, channels) in &config.alert_settings.channels {
        if Severity::parse(severity).is_none() {
            problems.push(at(
                source,
                channels,
                format!(
                    "[alerts] channels: unknown severity \"{severity}\": use critical or warning"
                ),
            ));
        }
        problems.extend(channel_problems(source, channels));
    }
    if let Some(f) = &config.alert_settings.frequency_minutes {
        if !(0..=1440).contains(f.get_ref()) {
            problems.push(at(
                source,
                f,
                "[alerts] frequency_minutes must be 0–1440 (minutes between notifications of one issue)",
            ));
        }
    }
    for (name, id) in &config.slack.channel_ids {
        if !valid_channel_id(id.get_ref()) {
            problems.push(at(
                source,
                id,
                format!(
                    "[slack] channel_ids: \"{}\" for \"{name}\" is not a Slack channel ID (C…, G… or D…, as shown in the channel's details)",
                    id.get_ref()
                ),
            ));
        }
    }
    problems
}

fn one_alert(config: &Config, a: &Alert, source: &str) -> Vec<Problem> {
    let mut out = Vec::new();
    let Some(kind) = Kind::parse(a.kind.get_ref()) else {
        out.push(at(
            source,
            &a.kind,
            format!(
                "unknown kind \"{}\": use one of {}",
                a.kind.get_ref(),
                Kind::ALL.map(|k| k.as_str()).join(", ")
            ),
        ));
        return out;
    };
    if Severity::parse(a.severity.get_ref()).is_none() {
        out.push(at(
            source,
            &a.severity,
            format!(
                "unknown severity \"{}\": use critical or warning",
                a.severity.get_ref()
            ),
        ));
    }
    let window = a.window.get_ref().as_str();
    if kind == Kind::Uptime {
        if kinds::uptime_interval_secs(window).is_none() {
            out.push(at(
                source,
                &a.window,
                format!(
                    "window \"{window}\" is not an uptime check interval Sentry offers: use one of {}",
                    kinds::names(&UPTIME_INTERVALS)
                ),
            ));
        }
        if let Some(service) = config.service(a.service.get_ref()) {
            if service.health_url.is_none() {
                out.push(at(
                    source,
                    &a.kind,
                    format!(
                        "an uptime alert needs the service's health_url: add health_url to [[service]] \"{}\"",
                        service.name()
                    ),
                ));
            }
        }
        if let Some(t) = &a.threshold {
            out.push(at(
                source,
                t,
                "uptime alerts take no threshold (the check fails or not): remove it",
            ));
        }
        if let Some(t) = &a.resolve_threshold {
            out.push(at(
                source,
                t,
                "uptime alerts take no resolve_threshold: remove it",
            ));
        }
        if let Some(t) = &a.timeout_ms {
            if !(1000..=30000).contains(t.get_ref()) {
                out.push(at(
                    source,
                    t,
                    "timeout_ms must be 1000–30000 (milliseconds)",
                ));
            }
        }
    } else {
        if kinds::window_secs(window).is_none() {
            let hint = if window.chars().all(|c| c.is_ascii_digit()) {
                " (with a unit: \"5m\", not \"5\")"
            } else {
                ""
            };
            out.push(at(
                source,
                &a.window,
                format!(
                    "window \"{window}\" is not one Sentry offers{hint}: use one of {}",
                    kinds::names(&ALERT_WINDOWS)
                ),
            ));
        }
        if let Some(t) = &a.timeout_ms {
            out.push(at(
                source,
                t,
                "timeout_ms applies to uptime alerts only: remove it",
            ));
        }
        match &a.threshold {
            None => out.push(at(
                source,
                &a.kind,
                format!("a {kind} alert needs a threshold ({})", kind.unit()),
            )),
            Some(t) => {
                if let Some(msg) = threshold_problem(kind, *t.get_ref()) {
                    out.push(at(source, t, msg));
                }
                if let Some(r) = &a.resolve_threshold {
                    if let Some(msg) = resolve_problem(kind, *t.get_ref(), *r.get_ref()) {
                        out.push(at(source, r, msg));
                    }
                }
            }
        }
    }
    if let Some(ch) = &a.channels {
        out.extend(channel_problems(source, ch));
    }
    out
}

/// What is wrong with `threshold` for `kind` (units), if anything.
pub fn threshold_problem(kind: Kind, t: f64) -> Option<String> {
    if !t.is_finite() {
        return Some("threshold must be a finite number".into());
    }
    match kind {
        Kind::ErrorRate if t <= 0.0 || t > 1.0 => Some(format!(
            "error-rate threshold {t} is out of range: it is a ratio 0–1 (1 % is 0.01){}",
            if t > 1.0 && t <= 100.0 {
                format!("; did you mean {}?", t / 100.0)
            } else {
                String::new()
            }
        )),
        Kind::P95Latency if t <= 0.0 => {
            Some("p95-latency threshold must be more than 0 (milliseconds)".into())
        }
        Kind::P95Latency if t < 10.0 => Some(format!(
            "p95-latency threshold {t} is in milliseconds: {t} ms is implausibly low (1 s is 1000)"
        )),
        Kind::ZeroTraffic if t < 1.0 => Some(
            "zero-traffic threshold must be at least 1 (it fires when fewer transactions than this arrive in the window)".into(),
        ),
        Kind::ErrorSpike if t <= 0.0 => Some(
            "error-spike threshold must be more than 0 (percent increase; 100 = doubled)".into(),
        ),
        _ => None,
    }
}

/// What is wrong with `resolve` as the resolve threshold of `threshold`.
pub fn resolve_problem(kind: Kind, threshold: f64, resolve: f64) -> Option<String> {
    if !resolve.is_finite() || resolve < 0.0 {
        return Some("resolve_threshold must be a finite number, 0 or more".into());
    }
    if kind.fires_below() {
        (resolve < threshold).then(|| format!(
            "resolve_threshold {resolve} must be at least the threshold {threshold} (this alert fires below it)"
        ))
    } else {
        (resolve > threshold).then(|| format!(
            "resolve_threshold {resolve} must be at most the threshold {threshold} (the alert resolves once the value is back at or under it)"
        ))
    }
}

fn channel_problems(source: &str, channels: &Spanned<Vec<String>>) -> Vec<Problem> {
    let mut out = Vec::new();
    if channels.get_ref().is_empty() {
        out.push(at(
            source,
            channels,
            "an empty channel list: name at least one channel, or remove the entry",
        ));
    }
    for c in channels.get_ref() {
        let name = c.trim_start_matches('#');
        if name.is_empty() || name.len() > 80 || name.contains(char::is_whitespace) {
            out.push(at(
                source,
                channels,
                format!("{c:?} is not a Slack channel name (lowercase, no spaces, at most 80 characters)"),
            ));
        }
    }
    out
}

/// Alert keys: 1–[`KEY_MAX`] of `a-z 0-9 - _ .`, starting with a letter or digit.
pub fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= KEY_MAX
        && key.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
}

/// A Slack conversation ID: `C…`, `G…` or `D…` and upper-case letters/digits.
pub fn valid_channel_id(id: &str) -> bool {
    id.len() >= 9
        && id.starts_with(['C', 'G', 'D'])
        && id
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"[sentry]
org = "acme"

[[service]]
name = "web"
health_url = "https://web.example.com/healthz"

[[alert]]
key = "web-error-rate"
service = "web"
kind = "error-rate"
threshold = 0.01
resolve_threshold = 0.005
window = "5m"
severity = "critical"

[[alert]]
key = "web-uptime"
service = "web"
kind = "uptime"
window = "1m"
severity = "critical"
"#;

    fn lines(src: &str) -> Vec<(usize, String)> {
        lint("o.toml", src)
            .unwrap_err()
            .problems
            .into_iter()
            .map(|p| (p.position.unwrap().line, p.message))
            .collect()
    }

    #[test]
    fn the_documented_example_is_clean() {
        lint("o.toml", GOOD).unwrap();
    }

    #[test]
    fn every_problem_with_its_line() {
        let src = r#"[[service]]
name = "web"

[[alert]]
key = "a"
service = "web"
kind = "error-rate"
threshold = 1.5
window = "5"
severity = "page"

[[alert]]
key = "a"
service = "api"
kind = "uptime"
window = "15m"
severity = "warning"

[[alert]]
key = "b"
service = "web"
kind = "uptime"
window = "1m"
severity = "warning"
threshold = 3.0

[[alert]]
key = "c"
service = "web"
kind = "p95"
window = "5m"
severity = "warning"
"#;
        let got = lines(src);
        let at = |l: usize, needle: &str| {
            assert!(
                got.iter().any(|(line, m)| *line == l && m.contains(needle)),
                "no problem at line {l} containing {needle:?}: {got:#?}"
            )
        };
        at(8, "ratio 0–1");
        at(8, "did you mean 0.015");
        at(9, "with a unit");
        at(10, "unknown severity");
        at(13, "used twice"); // the second occurrence
        at(14, "no [[service]] defines");
        at(16, "uptime check interval");
        at(22, "needs the service's health_url");
        at(25, "take no threshold");
        at(30, "unknown kind");
        assert_eq!(got.len(), 9, "{got:#?}");
        // File order.
        let order: Vec<usize> = got.iter().map(|(l, _)| *l).collect();
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(order, sorted);
    }

    #[test]
    fn units_and_hysteresis() {
        assert!(threshold_problem(Kind::ErrorRate, 0.01).is_none());
        assert!(threshold_problem(Kind::ErrorRate, 0.0).is_some());
        assert!(
            threshold_problem(Kind::P95Latency, 1.0)
                .unwrap()
                .contains("1000")
        );
        assert!(threshold_problem(Kind::P95Latency, 1000.0).is_none());
        assert!(threshold_problem(Kind::ZeroTraffic, 0.0).is_some());
        assert!(threshold_problem(Kind::ErrorSpike, 100.0).is_none());
        assert!(threshold_problem(Kind::ErrorSpike, f64::NAN).is_some());
        assert!(resolve_problem(Kind::ErrorRate, 0.01, 0.02).is_some());
        assert!(resolve_problem(Kind::ErrorRate, 0.01, 0.005).is_none());
        assert!(resolve_problem(Kind::ZeroTraffic, 5.0, 1.0).is_some());
        assert!(resolve_problem(Kind::ZeroTraffic, 1.0, 5.0).is_none());
    }

    #[test]
    fn routing_tables() {
        let src = "[alerts]\nchannels = { critical = [\"incidents\"], page = [\"x\"] }\n\n[slack]\nchannel_ids = { incidents = \"C0123ABCD\", monitoring = \"general\" }\n";
        let got = lines(src);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].1.contains("unknown severity \"page\""));
        assert_eq!(got[1].0, 5);
        assert!(got[1].1.contains("not a Slack channel ID"));
    }

    #[test]
    fn syntax_error_stops_at_its_place() {
        let e = lint("o.toml", "[[alert]]\nkey = \n").unwrap_err();
        assert_eq!(e.problems.len(), 1);
        assert_eq!(e.problems[0].position.unwrap().line, 2);
    }

    #[test]
    fn keys() {
        assert!(valid_key("web-error-rate"));
        assert!(valid_key("web.p95_2"));
        assert!(!valid_key("Web"));
        assert!(!valid_key("-x"));
        assert!(!valid_key("a b"));
        assert!(!valid_key(&"a".repeat(65)));
        assert!(valid_channel_id("C012AB3CD"));
        assert!(!valid_channel_id("#incidents"));
    }
}
