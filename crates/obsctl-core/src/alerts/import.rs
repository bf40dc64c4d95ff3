//! The reverse direction: Sentry's monitors → `[[alert]]` TOML (`alerts
//! import`), and the epic's Sentry-side alerts for one service as a starting
//! point (`alerts init`).

use std::collections::BTreeSet;

use serde_json::Value;

use super::compile::short;
use super::kinds::{self, Kind, Severity};
use super::normalize;
use super::plan::RemoteDetector;
use crate::config::Config;

/// Text from Sentry made safe for a TOML comment: no line breaks or other
/// control characters (a monitor name could otherwise start a table).
fn comment(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn q(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// A key from a monitor name: lowercase, runs of other characters → `-`,
/// at most 64 characters.
pub fn slug(name: &str) -> String {
    let name = name.strip_prefix(super::NAME_PREFIX).unwrap_or(name);
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out: String = out
        .trim_end_matches('-')
        .chars()
        .take(super::lint::KEY_MAX)
        .collect();
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        "monitor".into()
    } else {
        out
    }
}

/// One monitor as an alert, or why it cannot be one.
fn entry(
    config: &Config,
    d: &RemoteDetector,
    used: &mut BTreeSet<String>,
) -> Result<String, String> {
    let body = &d.body;
    let name = body["name"].as_str().unwrap_or("");
    let service = config
        .services
        .iter()
        .find(|s| s.project() == d.project)
        .map(|s| s.name().to_string())
        .unwrap_or_else(|| d.project.clone());
    let canon = normalize::detector(body);
    let (kind, window, threshold, resolve, severity) = match canon["type"].as_str() {
        Some("uptime_domain_failure") => {
            let secs = canon["check"]["intervalSeconds"].as_u64().unwrap_or(0);
            let window = kinds::UPTIME_INTERVALS
                .iter()
                .find(|(_, s)| u64::from(*s) == secs)
                .map(|(n, _)| *n)
                .ok_or_else(|| format!("uptime interval of {secs} s has no obsctl window"))?;
            (Kind::Uptime, window, None, None, Severity::Critical)
        }
        Some("metric_issue") => {
            let query = &canon["query"];
            let aggregate = query["aggregate"].as_str().unwrap_or("");
            let dataset = query["dataset"].as_str().unwrap_or("");
            let conds = canon["conditions"].as_array().cloned().unwrap_or_default();
            let fire = conds
                .iter()
                .find(|c| c["conditionResult"].as_i64().unwrap_or(0) > 0)
                .ok_or("no firing condition")?;
            let clear = conds
                .iter()
                .find(|c| c["conditionResult"].as_i64() == Some(0));
            let below = matches!(fire["type"].as_str(), Some("lt" | "lte"));
            let percent = canon["config"]["detectionType"] == "percent";
            let kind = match (aggregate, dataset, below, percent) {
                ("failure_rate()", "events_analytics_platform", false, false) => Kind::ErrorRate,
                ("p95(span.duration)", "events_analytics_platform", false, false) => {
                    Kind::P95Latency
                }
                ("count(span.duration)" | "count()", "events_analytics_platform", true, false) => {
                    Kind::ZeroTraffic
                }
                ("count()", "events", false, true) => Kind::ErrorSpike,
                _ => {
                    return Err(format!(
                        "{aggregate} on {dataset} ({}) has no obsctl kind",
                        if percent {
                            "change"
                        } else if below {
                            "below"
                        } else {
                            "above"
                        }
                    ));
                }
            };
            let secs = query["timeWindow"].as_u64().unwrap_or(0);
            let window = kinds::ALERT_WINDOWS
                .iter()
                .find(|(_, s)| u64::from(*s) == secs)
                .map(|(n, _)| *n)
                .ok_or_else(|| format!("window of {secs} s is not one of Sentry's"))?;
            let t = fire["comparison"].as_f64().ok_or("a dynamic threshold")?;
            let r = clear
                .and_then(|c| c["comparison"].as_f64())
                .filter(|r| *r != t);
            let sev = Severity::from_priority(fire["conditionResult"].as_i64().unwrap_or(50));
            (kind, window, Some(t), r, sev)
        }
        other => {
            return Err(format!(
                "monitor type {} is not managed by obsctl",
                other.unwrap_or("?")
            ));
        }
    };
    let mut key = super::managed_detector_key(name, body["description"].as_str())
        .map(String::from)
        .unwrap_or_else(|| slug(name));
    if !used.insert(key.clone()) {
        let base = key.clone();
        key = (2..)
            .map(|i| format!("{base}-{i}"))
            .find(|k| !used.contains(k))
            .unwrap_or(base);
        used.insert(key.clone());
    }
    let mut s = format!(
        "# {} (id {}, project {})\n[[alert]]\n",
        comment(name),
        comment(&d.id),
        comment(&d.project)
    );
    s.push_str(&format!(
        "key = {}\nservice = {}\nkind = {}\n",
        q(&key),
        q(&service),
        q(kind.as_str())
    ));
    if let Some(t) = threshold {
        s.push_str(&format!("threshold = {}\n", short(t)));
    }
    if let Some(r) = resolve {
        s.push_str(&format!("resolve_threshold = {}\n", short(r)));
    }
    s.push_str(&format!(
        "window = {}\nseverity = {}\n",
        q(window),
        q(severity.as_str())
    ));
    if body["enabled"] == Value::Bool(false) {
        s.push_str("enabled = false\n");
    }
    if kind == Kind::Uptime
        && config
            .service(&service)
            .is_none_or(|s| s.health_url.is_none())
    {
        s.push_str(&format!(
            "# needs health_url = {} on [[service]] {}\n",
            q(canon["check"]["url"].as_str().unwrap_or("")),
            q(&service)
        ));
    }
    Ok(s)
}

/// `[[alert]]` TOML for `detectors` (file order: as given). Monitors obsctl
/// cannot express are listed as comments saying why. Services are the
/// config's whose project matches, else the project slug.
pub fn import_toml(config: &Config, detectors: &[RemoteDetector]) -> String {
    let mut used: BTreeSet<String> = config
        .alerts
        .iter()
        .map(|a| a.key.get_ref().clone())
        .collect();
    let mut out = String::from(
        "# Imported from Sentry by `obsctl alerts import`. After `obsctl alerts apply`\n\
         # creates the managed copies, delete the originals in Sentry.\n",
    );
    for d in detectors {
        out.push('\n');
        match entry(config, d, &mut used) {
            Ok(s) => out.push_str(&s),
            Err(why) => out.push_str(&format!(
                "# skipped: {} (id {}): {why}\n",
                comment(d.body["name"].as_str().unwrap_or("?")),
                comment(&d.id)
            )),
        }
    }
    out
}

/// The epic's Sentry-side alerts for one service (error rate > 1 % for
/// 5 min, p95 > 1 s, zero traffic, and the health check when `health_url` is
/// given), as TOML; with `with_service`, its `[[service]]` table first.
/// Deployment failure is obsctl's own event (`deploy finish --status failure`).
pub fn init_toml(
    service: &str,
    project: &str,
    health_url: Option<&str>,
    environment: &str,
    with_service: bool,
) -> String {
    let mut s = String::new();
    if with_service {
        s.push_str(&format!(
            "[[service]]\nname = {}\nsentry_project = {}\nenvironment = {}\n",
            q(service),
            q(project),
            q(environment)
        ));
        if let Some(u) = health_url {
            s.push_str(&format!("health_url = {}\n", q(u)));
        }
        s.push('\n');
    }
    let alert = |key: &str, kind: &str, threshold: Option<&str>, window: &str, severity: &str| {
        let mut a = format!(
            "[[alert]]\nkey = {}\nservice = {}\nkind = {}\n",
            q(&format!("{service}-{key}")),
            q(service),
            q(kind)
        );
        if let Some(t) = threshold {
            a.push_str(&format!("threshold = {t}\n"));
        }
        a.push_str(&format!(
            "window = {}\nseverity = {}\n",
            q(window),
            q(severity)
        ));
        a
    };
    s.push_str("# Error rate above 1 % for 5 minutes (a ratio 0–1).\n");
    s.push_str(&alert(
        "error-rate",
        "error-rate",
        Some("0.01"),
        "5m",
        "critical",
    ));
    s.push_str("\n# p95 latency above 1 s (milliseconds).\n");
    s.push_str(&alert(
        "p95-latency",
        "p95-latency",
        Some("1000"),
        "5m",
        "warning",
    ));
    s.push_str("\n# No transactions at all in 15 minutes.\n");
    s.push_str(&alert(
        "zero-traffic",
        "zero-traffic",
        Some("1"),
        "15m",
        "critical",
    ));
    if health_url.is_some() {
        s.push_str("\n# The health check fails (Sentry uptime monitor, checked every minute).\n");
        s.push_str(&alert("uptime", "uptime", None, "1m", "critical"));
    }
    s.push_str(
        "\n# Deployment failure is obsctl's own event: `obsctl deploy finish --status failure`\n\
         # already posts to #incidents for production; no Sentry alert is needed.\n",
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::compile::{Target, compile_all};
    use crate::alerts::lint::lint;
    use serde_json::json;

    #[test]
    fn init_lints_clean_and_round_trips_through_import() {
        let text = init_toml(
            "web",
            "web-prod",
            Some("https://web.example.com/healthz"),
            "production",
            true,
        );
        let config = lint("o.toml", &text).unwrap();
        assert_eq!(config.alerts.len(), 4);
        let without = init_toml("api", "api", None, "production", true);
        assert_eq!(lint("o.toml", &without).unwrap().alerts.len(), 3);
        // Compile, pretend Sentry holds it, import it back: the same alerts.
        let desired = compile_all(&config, |_, _, _| vec![Target::EmailOwners]).unwrap();
        let remote: Vec<RemoteDetector> = desired
            .iter()
            .enumerate()
            .map(|(i, d)| RemoteDetector {
                id: i.to_string(),
                project: d.project.clone(),
                body: d.detector.clone(),
            })
            .collect();
        let services = text.split("[[alert]]").next().unwrap();
        let empty = lint("o.toml", services).unwrap();
        let imported = import_toml(&empty, &remote);
        let back = lint("o.toml", &format!("{services}\n{imported}")).unwrap();
        assert_eq!(back.alerts.len(), config.alerts.len());
        for (a, b) in config.alerts.iter().zip(&back.alerts) {
            assert_eq!(a.key.get_ref(), b.key.get_ref());
            assert_eq!(a.kind.get_ref(), b.kind.get_ref());
            assert_eq!(a.window.get_ref(), b.window.get_ref());
            assert_eq!(a.severity.get_ref(), b.severity.get_ref());
            assert_eq!(
                a.threshold.as_ref().map(|t| *t.get_ref()),
                b.threshold.as_ref().map(|t| *t.get_ref())
            );
        }
    }

    #[test]
    fn clicked_together_monitors_get_keys_and_odd_ones_are_skipped() {
        let config = lint("o.toml", "[[service]]\nname = \"web\"\n").unwrap();
        let p95 = json!({"name": "Slow checkout!", "type": "metric_issue", "description": null,
            "dataSources": [{"queryObj": {"snubaQuery": {"aggregate": "p95(transaction.duration)",
                "dataset": "events_analytics_platform", "query": "", "timeWindow": 600, "environment": null,
                "eventTypes": ["trace_item_span"]}}}],
            "conditionGroup": {"logicType": "any", "conditions": [
                {"type": "lte", "comparison": 800.0, "conditionResult": 0},
                {"type": "gt", "comparison": 1200.0, "conditionResult": 75}]},
            "config": {"detectionType": "static"}});
        let lcp = json!({"name": "LCP", "type": "metric_issue",
            "dataSources": [{"queryObj": {"snubaQuery": {"aggregate": "p75(measurements.lcp)",
                "dataset": "events_analytics_platform", "query": "", "timeWindow": 600}}}],
            "conditionGroup": {"conditions": [{"type": "gt", "comparison": 2500, "conditionResult": 75}]},
            "config": {"detectionType": "static"}});
        let text = import_toml(
            &config,
            &[
                RemoteDetector {
                    id: "1".into(),
                    project: "web".into(),
                    body: p95,
                },
                RemoteDetector {
                    id: "2".into(),
                    project: "web".into(),
                    body: lcp,
                },
            ],
        );
        assert!(text.contains("key = \"slow-checkout\""), "{text}");
        assert!(text.contains("threshold = 1200\nresolve_threshold = 800\nwindow = \"10m\"\nseverity = \"critical\""), "{text}");
        assert!(
            text.contains("# skipped: LCP (id 2): p75(measurements.lcp)"),
            "{text}"
        );
        let full = format!("[[service]]\nname = \"web\"\n{text}");
        lint("o.toml", &full).unwrap();
    }

    #[test]
    fn names_cannot_break_out_of_comments() {
        let config = lint("o.toml", "[[service]]\nname = \"web\"\n").unwrap();
        let evil = json!({"name": "x\n[[alert]]\nkey = \"evil\"\r", "type": "metric_issue",
            "dataSources": [{"queryObj": {"snubaQuery": {"aggregate": "apdex()", "dataset": "events_analytics_platform", "timeWindow": 300}}}],
            "conditionGroup": {"conditions": [{"type": "gt", "comparison": 1, "conditionResult": 75}]},
            "config": {"detectionType": "static"}});
        let mut p95 = evil.clone();
        p95["dataSources"][0]["queryObj"]["snubaQuery"]["aggregate"] = json!("p95(span.duration)");
        p95["conditionGroup"]["conditions"][0]["comparison"] = json!(500);
        let text = import_toml(
            &config,
            &[
                RemoteDetector {
                    id: "1".into(),
                    project: "web".into(),
                    body: evil,
                },
                RemoteDetector {
                    id: "2".into(),
                    project: "web".into(),
                    body: p95,
                },
            ],
        );
        let full = format!("[[service]]\nname = \"web\"\n{text}");
        let back = lint("o.toml", &full).unwrap();
        assert_eq!(back.alerts.len(), 1, "{text}");
        assert_eq!(back.alerts[0].key.get_ref(), "x-alert-key-evil");
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("[obsctl] Web: p95 > 1s (5m)"), "web-p95-1s-5m");
        assert_eq!(slug("!!!"), "monitor");
        assert!(slug(&"x".repeat(100)).len() <= 64);
    }
}
