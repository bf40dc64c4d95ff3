//! An `[[alert]]` → the monitor (detector) and alert (workflow) request
//! bodies Sentry takes (camelCase wire form; `metric-detector-request.derived.json`,
//! `workflow-request.derived.json`).
//!
//! Mapping (Sentry's current datasets; error rate and latency on the span
//! dataset `events_analytics_platform` with `is_transaction:true`):
//! - `error-rate` → `failure_rate()` (a ratio) `gt threshold`, resolve `lte`;
//! - `p95-latency` → `p95(span.duration)` (ms) `gt threshold`, resolve `lte`;
//! - `zero-traffic` → `count(span.duration)` `lt threshold`, resolve `gte`;
//! - `error-spike` → `count()` on errors (dataset `events`), percent-change
//!   detection against an earlier window, `gt percent`, resolve `lte`;
//! - `uptime` → an `uptime_domain_failure` monitor on the service's
//!   `health_url` (interval in seconds, timeout in ms).
//!
//! Severity → the monitor's priority (critical 75 high, warning 50 medium),
//! and the routing of the one workflow per monitor.

use serde_json::{Value, json};

use super::kinds::{self, Kind, Severity};
use super::{NAME_PREFIX, marker};
use crate::config::{Alert, Config, Service};

/// Sentry's limit on a monitor name.
pub const DETECTOR_NAME_MAX: usize = crate::limits::sentry::DETECTOR_NAME;
/// Sentry's limit on an alert (workflow) name.
pub const WORKFLOW_NAME_MAX: usize = crate::limits::sentry::WORKFLOW_NAME;
/// Default uptime check timeout, ms.
pub const UPTIME_TIMEOUT_MS: i64 = 5000;
/// Default minutes between notifications of one issue (Sentry's default).
pub const FREQUENCY_MINUTES: i64 = 30;

/// Where a firing alert is sent (an action of the workflow).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A Slack channel through the organization's Slack integration.
    Slack {
        /// Sentry's integration id (`list-organization-integrations`).
        integration_id: String,
        /// The channel's ID (`C…`): Sentry's Slack action needs it.
        channel_id: String,
        /// The channel name without `#` (Sentry's `targetDisplay`).
        channel_name: String,
    },
    /// E-mail to a team of the project (no Slack integration).
    EmailTeam {
        /// The team's numeric id.
        team_id: String,
    },
    /// E-mail to the issue owners, falling through to active members
    /// (no Slack integration and no team known).
    EmailOwners,
}

/// One alert compiled: what Sentry should hold for its key.
#[derive(Clone, Debug, PartialEq)]
pub struct Desired {
    /// The alert's key (the marker).
    pub key: String,
    /// The Sentry project slug the monitor belongs to.
    pub project: String,
    /// The monitor's create/update body.
    pub detector: Value,
    /// The workflow's body; `detectorIds` is filled in when the monitor's id is known.
    pub workflow: Value,
}

/// A JSON number in its shortest form: `100.0` → `100` (as Sentry echoes it).
pub fn num(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        json!(x as i64)
    } else {
        json!(x)
    }
}

/// `x` without trailing zeros (`0.5`, `1`, `12.25`).
pub fn short(x: f64) -> String {
    num(x).to_string()
}

/// The Slack channels of `alert` (names without `#`): its own `channels`,
/// else `[alerts] channels` for its severity, else the defaults.
pub fn channels_for(config: &Config, alert: &Alert) -> Vec<String> {
    let clean = |v: &[String]| -> Vec<String> {
        v.iter()
            .map(|c| c.trim_start_matches('#').to_string())
            .collect()
    };
    if let Some(c) = &alert.channels {
        return clean(c.get_ref());
    }
    let severity = alert.severity.get_ref();
    if let Some(c) = config.alert_settings.channels.get(severity) {
        return clean(c.get_ref());
    }
    Severity::parse(severity)
        .unwrap_or(Severity::Warning)
        .default_channels()
        .iter()
        .map(|s| s.to_string())
        .collect()
}

fn cut(s: String, max: usize) -> String {
    crate::text::truncate_chars(&s, max)
}

/// What the monitor watches, in words: `error rate > 1% (5m)`.
pub fn title(alert: &Alert, service: &Service) -> String {
    let kind = Kind::parse(alert.kind.get_ref()).unwrap_or(Kind::ErrorRate);
    let t = alert
        .threshold
        .as_ref()
        .map(|t| *t.get_ref())
        .unwrap_or(0.0);
    let w = alert.window.get_ref();
    let what = match kind {
        Kind::ErrorRate => format!("error rate > {}% ({w})", short(t * 100.0)),
        Kind::P95Latency if t >= 1000.0 => {
            format!("p95 > {}s ({w})", short(t / 1000.0))
        }
        Kind::P95Latency => format!("p95 > {} ms ({w})", short(t)),
        Kind::ZeroTraffic if t <= 1.0 => format!("zero traffic ({w})"),
        Kind::ZeroTraffic => format!("traffic < {} per {w}", short(t)),
        Kind::ErrorSpike => {
            let delta = kinds::comparison_delta_secs(kinds::window_secs(w).unwrap_or(3600));
            let ago = kinds::window_name(u64::from(delta)).unwrap_or("1w");
            let ago = if delta == 604800 { "1w" } else { ago };
            format!("errors +{}% vs {ago} ago ({w})", short(t))
        }
        Kind::Uptime => {
            let url = service
                .health_url
                .as_ref()
                .map(|u| u.get_ref().as_str())
                .unwrap_or("");
            let shown = url.split_once("://").map(|(_, rest)| rest).unwrap_or(url);
            format!("health check {shown} ({w})")
        }
    };
    format!("{}: {what}", service.name())
}

/// The monitor's name: `[obsctl] web: error rate > 1% (5m)` (≤ 200 characters).
pub fn detector_name(alert: &Alert, service: &Service) -> String {
    cut(
        format!("{NAME_PREFIX}{}", title(alert, service)),
        DETECTOR_NAME_MAX,
    )
}

/// The alert's (workflow's) name: service, kind, severity and the marker,
/// `[obsctl] web: error-rate (critical) · obsctl:key=web-error-rate`. It
/// holds no threshold, so a threshold change updates the monitor only.
pub fn workflow_name(alert: &Alert, service: &Service) -> String {
    let tail = format!(" · {}", marker(alert.key.get_ref()));
    let title = format!(
        "{}: {} ({})",
        service.name(),
        alert.kind.get_ref(),
        alert.severity.get_ref()
    );
    let room = WORKFLOW_NAME_MAX - tail.chars().count() - NAME_PREFIX.len();
    format!("{NAME_PREFIX}{}{tail}", cut(title, room))
}

/// The monitor's description: a line for people, then the marker.
pub fn description(key: &str) -> String {
    format!(
        "Managed by obsctl from obsctl.toml: changes made in Sentry are overwritten by `obsctl alerts apply`.\n{}",
        marker(key)
    )
}

/// The monitor's create/update body. `alert` must have passed `alerts lint`
/// (an unknown kind or window is an `Err` naming it).
pub fn detector_body(alert: &Alert, service: &Service) -> Result<Value, String> {
    let key = alert.key.get_ref();
    let kind = Kind::parse(alert.kind.get_ref())
        .ok_or_else(|| format!("alert {key}: unknown kind {}", alert.kind.get_ref()))?;
    let severity = Severity::parse(alert.severity.get_ref()).unwrap_or(Severity::Warning);
    let window = alert.window.get_ref();
    let mut body = json!({
        "name": detector_name(alert, service),
        "description": description(key),
        "enabled": alert.enabled,
    });
    if kind == Kind::Uptime {
        let secs = kinds::uptime_interval_secs(window)
            .ok_or_else(|| format!("alert {key}: {window} is not an uptime interval"))?;
        let url = service
            .health_url
            .as_ref()
            .ok_or_else(|| format!("alert {key}: service {} has no health_url", service.name()))?;
        body["type"] = json!("uptime_domain_failure");
        body["dataSources"] = json!([{
            "url": url.get_ref(),
            "method": service.method.clone().unwrap_or_else(|| "GET".into()),
            "intervalSeconds": secs,
            "timeoutMs": alert.timeout_ms.as_ref().map(|t| *t.get_ref()).unwrap_or(UPTIME_TIMEOUT_MS),
        }]);
        body["config"] = json!({
            "mode": 1,
            "environment": service.environment(),
            "downtimeThreshold": 3,
            "recoveryThreshold": 1,
        });
        return Ok(body);
    }
    let secs = kinds::window_secs(window)
        .ok_or_else(|| format!("alert {key}: {window} is not a Sentry window"))?;
    let threshold = alert
        .threshold
        .as_ref()
        .map(|t| *t.get_ref())
        .ok_or_else(|| format!("alert {key}: no threshold"))?;
    let resolve = alert
        .resolve_threshold
        .as_ref()
        .map(|t| *t.get_ref())
        .unwrap_or(threshold);
    let span_source = |aggregate: &str| {
        json!({
            "aggregate": aggregate,
            "dataset": "events_analytics_platform",
            "eventTypes": ["trace_item_span"],
            "query": "is_transaction:true",
            "queryType": 1,
            "timeWindow": secs,
            "environment": service.environment(),
        })
    };
    let (source, fire, clear, config) = match kind {
        Kind::ErrorRate => (
            span_source("failure_rate()"),
            "gt",
            "lte",
            json!({"detectionType": "static"}),
        ),
        Kind::P95Latency => (
            span_source("p95(span.duration)"),
            "gt",
            "lte",
            json!({"detectionType": "static"}),
        ),
        Kind::ZeroTraffic => (
            span_source("count(span.duration)"),
            "lt",
            "gte",
            json!({"detectionType": "static"}),
        ),
        Kind::ErrorSpike => (
            json!({
                "aggregate": "count()",
                "dataset": "events",
                "eventTypes": ["default", "error"],
                "query": "",
                "queryType": 0,
                "timeWindow": secs,
                "environment": service.environment(),
            }),
            "gt",
            "lte",
            json!({"detectionType": "percent", "comparisonDelta": kinds::comparison_delta_secs(secs)}),
        ),
        Kind::Uptime => unreachable!("handled above"),
    };
    body["type"] = json!("metric_issue");
    body["dataSources"] = json!([source]);
    body["conditionGroup"] = json!({
        "logicType": "any",
        "conditions": [
            {"type": fire, "comparison": num(threshold), "conditionResult": severity.priority()},
            {"type": clear, "comparison": num(resolve), "conditionResult": 0},
        ],
    });
    body["config"] = config;
    Ok(body)
}

/// The action JSON of one target (`workflow-request.derived.json#/$defs/action`).
pub fn action(target: &Target) -> Value {
    match target {
        Target::Slack {
            integration_id,
            channel_id,
            channel_name,
        } => json!({
            "type": "slack",
            "integrationId": integration_id,
            "data": {},
            "config": {
                "targetType": "specific",
                "targetIdentifier": channel_id,
                "targetDisplay": channel_name,
            },
            "status": "active",
        }),
        Target::EmailTeam { team_id } => json!({
            "type": "email",
            "integrationId": null,
            "data": {},
            "config": {"targetType": "team", "targetIdentifier": team_id, "targetDisplay": null},
            "status": "active",
        }),
        Target::EmailOwners => json!({
            "type": "email",
            "integrationId": null,
            "data": {"fallthroughType": "ActiveMembers"},
            "config": {"targetType": "issue_owners", "targetIdentifier": null, "targetDisplay": null},
            "status": "active",
        }),
    }
}

/// The workflow body for `alert`: one action filter on the monitor's
/// priority (escalating or de-escalating past the severity's) with one
/// action per target. `detectorIds` is empty until the monitor's id is known.
pub fn workflow_body(
    config: &Config,
    alert: &Alert,
    service: &Service,
    targets: &[Target],
) -> Value {
    let severity = Severity::parse(alert.severity.get_ref()).unwrap_or(Severity::Warning);
    // Uptime issues are always high priority; route by the alert's severity anyway.
    let p = severity.priority();
    let frequency = config
        .alert_settings
        .frequency_minutes
        .as_ref()
        .map(|f| *f.get_ref())
        .unwrap_or(FREQUENCY_MINUTES);
    json!({
        "name": workflow_name(alert, service),
        "enabled": alert.enabled,
        "environment": service.environment(),
        "detectorIds": [],
        "config": {"frequency": frequency},
        "triggers": {"logicType": "any-short", "conditions": []},
        "actionFilters": [{
            "logicType": "any-short",
            "conditions": [
                {"type": "issue_priority_greater_or_equal", "comparison": p, "conditionResult": true},
                {"type": "issue_priority_deescalating", "comparison": p, "conditionResult": true},
            ],
            "actions": targets.iter().map(action).collect::<Vec<_>>(),
        }],
    })
}

/// Compile every alert of `config` with the targets `route` gives it
/// (called with the alert and its channel names). Errors name the alert.
pub fn compile_all(
    config: &Config,
    mut route: impl FnMut(&Alert, &Service, &[String]) -> Vec<Target>,
) -> Result<Vec<Desired>, String> {
    config
        .alerts
        .iter()
        .map(|a| {
            let service = config.service(a.service.get_ref()).ok_or_else(|| {
                format!(
                    "alert {}: unknown service {}",
                    a.key.get_ref(),
                    a.service.get_ref()
                )
            })?;
            let targets = route(a, service, &channels_for(config, a));
            Ok(Desired {
                key: a.key.get_ref().clone(),
                project: service.project().to_string(),
                detector: detector_body(a, service)?,
                workflow: workflow_body(config, a, service, &targets),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::lint::lint;

    pub(crate) const CONFIG: &str = r##"[sentry]
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
key = "web-p95"
service = "web"
kind = "p95-latency"
threshold = 1000
window = "5m"
severity = "warning"

[[alert]]
key = "web-zero-traffic"
service = "web"
kind = "zero-traffic"
threshold = 1
window = "15m"
severity = "critical"

[[alert]]
key = "web-errors-spike"
service = "web"
kind = "error-spike"
threshold = 100
window = "1h"
severity = "warning"
channels = ["#web-team"]

[[alert]]
key = "web-uptime"
service = "web"
kind = "uptime"
window = "1m"
severity = "critical"
"##;

    fn compiled() -> Vec<Desired> {
        let c = lint("o.toml", CONFIG).unwrap();
        compile_all(&c, |_, _, chans| {
            chans
                .iter()
                .map(|n| Target::Slack {
                    integration_id: "123".into(),
                    channel_id: format!("C{}", n.len()),
                    channel_name: n.clone(),
                })
                .collect()
        })
        .unwrap()
    }

    #[test]
    fn error_rate_maps_to_failure_rate_on_spans() {
        let d = &compiled()[0];
        assert_eq!(d.project, "web");
        let b = &d.detector;
        assert_eq!(b["name"], "[obsctl] web: error rate > 1% (5m)");
        assert!(
            b["description"]
                .as_str()
                .unwrap()
                .ends_with("\nobsctl:key=web-error-rate")
        );
        let src = &b["dataSources"][0];
        assert_eq!(src["aggregate"], "failure_rate()");
        assert_eq!(src["dataset"], "events_analytics_platform");
        assert_eq!(src["query"], "is_transaction:true");
        assert_eq!(src["timeWindow"], 300);
        assert_eq!(src["environment"], "production");
        let conds = &b["conditionGroup"]["conditions"];
        assert_eq!(
            conds[0],
            json!({"type": "gt", "comparison": 0.01, "conditionResult": 75})
        );
        assert_eq!(
            conds[1],
            json!({"type": "lte", "comparison": 0.005, "conditionResult": 0})
        );
        let wf = &d.workflow;
        assert_eq!(
            wf["name"],
            "[obsctl] web: error-rate (critical) · obsctl:key=web-error-rate"
        );
        let actions = wf["actionFilters"][0]["actions"].as_array().unwrap();
        let chans: Vec<&str> = actions
            .iter()
            .map(|a| a["config"]["targetDisplay"].as_str().unwrap())
            .collect();
        assert_eq!(chans, ["incidents", "monitoring"]);
        assert_eq!(wf["actionFilters"][0]["conditions"][0]["comparison"], 75);
    }

    #[test]
    fn other_kinds() {
        let all = compiled();
        let p95 = &all[1].detector;
        assert_eq!(p95["name"], "[obsctl] web: p95 > 1s (5m)");
        assert_eq!(p95["dataSources"][0]["aggregate"], "p95(span.duration)");
        assert_eq!(
            p95["conditionGroup"]["conditions"][0]["comparison"],
            json!(1000)
        );
        assert_eq!(
            p95["conditionGroup"]["conditions"][0]["conditionResult"],
            50
        );
        assert_eq!(
            all[1].workflow["actionFilters"][0]["actions"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        let zero = &all[2].detector;
        assert_eq!(zero["name"], "[obsctl] web: zero traffic (15m)");
        assert_eq!(zero["dataSources"][0]["aggregate"], "count(span.duration)");
        assert_eq!(zero["conditionGroup"]["conditions"][0]["type"], "lt");
        assert_eq!(zero["conditionGroup"]["conditions"][1]["type"], "gte");
        let spike = &all[3].detector;
        assert_eq!(spike["dataSources"][0]["dataset"], "events");
        assert_eq!(spike["dataSources"][0]["aggregate"], "count()");
        assert_eq!(
            spike["config"],
            json!({"detectionType": "percent", "comparisonDelta": 86400})
        );
        assert_eq!(spike["name"], "[obsctl] web: errors +100% vs 1d ago (1h)");
        let targets: Vec<&str> = all[3].workflow["actionFilters"][0]["actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["config"]["targetDisplay"].as_str().unwrap())
            .collect();
        assert_eq!(targets, ["web-team"]);
        let up = &all[4].detector;
        assert_eq!(up["type"], "uptime_domain_failure");
        assert_eq!(
            up["dataSources"][0]["url"],
            "https://web.example.com/healthz"
        );
        assert_eq!(up["dataSources"][0]["intervalSeconds"], 60);
        assert_eq!(up["dataSources"][0]["timeoutMs"], 5000);
        assert!(up.get("conditionGroup").is_none());
    }

    #[test]
    fn numbers_in_shortest_form() {
        assert_eq!(num(100.0), json!(100));
        assert_eq!(num(0.01), json!(0.01));
        assert_eq!(short(1.5), "1.5");
    }

    #[test]
    fn email_actions() {
        assert_eq!(
            action(&Target::EmailTeam {
                team_id: "456".into()
            })["config"]["targetType"],
            "team"
        );
        assert_eq!(
            action(&Target::EmailOwners)["data"]["fallthroughType"],
            "ActiveMembers"
        );
    }
}
