//! `obsctl alerts test KEY`, the pure part: how each alert kind can be
//! tested honestly, and when a monitor "has fired" — read from the
//! monitor's `latestGroup` (the newest issue it opened; contract
//! `sentry/get-organization-detector.json`), the documented way to see a
//! monitor's open issue.

use chrono::{DateTime, Utc};
use serde_json::Value;

/// Why obsctl does not test-fire a workflow's actions: the endpoint exists
/// but is not public.
pub const TEST_FIRE_UNAVAILABLE: &str = "Sentry's public API offers no way to test-fire an alert's \
actions: its test-fire endpoint (POST /api/0/organizations/{org}/test-fire-actions/) is marked \
experimental and is not in Sentry's published API schema (nor in obsctl's contracts), so obsctl \
does not call it. Use \"Send Test Notification\" on the alert in Sentry's UI to check the \
Slack/e-mail delivery";

/// How an alert can be tested.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Method {
    /// Send a spike of test errors and wait until the monitor opens an issue.
    ErrorSpike,
    /// Outside traffic cannot trigger it honestly, and the API has no test-fire: why.
    NotTestable(String),
}

/// The method for an alert kind (`error-spike`, `error-rate`, `p95-latency`,
/// `zero-traffic`, `uptime`).
pub fn method_for(kind: &str) -> Method {
    let why = match kind {
        "error-spike" => return Method::ErrorSpike,
        "error-rate" => {
            "an error-rate monitor watches failure_rate() of transactions on the span dataset: test error events are not spans and cannot move it"
        }
        "p95-latency" => {
            "a p95-latency monitor watches p95(span.duration): only slow real transactions move it"
        }
        "zero-traffic" => {
            "a zero-traffic monitor fires when transactions stop: test traffic can only add to it"
        }
        "uptime" => "an uptime monitor checks the health URL itself: only a real outage trips it",
        other => return Method::NotTestable(format!("unknown alert kind {other:?}")),
    };
    Method::NotTestable(format!("{why}. {TEST_FIRE_UNAVAILABLE}"))
}

/// The parts of a `latestGroup` obsctl compares.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    /// The issue id.
    pub id: String,
    /// `unresolved`, `resolved`, `ignored`.
    pub status: String,
    /// When the issue was last seen (an occurrence), if given.
    pub last_seen: Option<DateTime<Utc>>,
    /// The short id (`WEB-2`), if given.
    pub short_id: Option<String>,
}

/// Read a detector's `latestGroup` (`None` when null or absent).
pub fn latest_group(detector: &Value) -> Option<Group> {
    let g = detector.get("latestGroup").filter(|g| g.is_object())?;
    let id = match &g["id"] {
        Value::String(s) => s.clone(),
        Value::Null => return None,
        other => other.to_string(),
    };
    Some(Group {
        id,
        status: g["status"].as_str().unwrap_or("unresolved").to_string(),
        last_seen: g["lastSeen"]
            .as_str()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(Into::into),
        short_id: g["shortId"].as_str().map(String::from),
    })
}

/// Before sending anything: a monitor already firing (an unresolved issue)
/// cannot fire again until it resolves, so a test would prove nothing.
pub fn already_firing(before: Option<&Group>) -> Option<String> {
    let g = before?;
    (g.status == "unresolved").then(|| {
        format!(
            "the monitor is already firing (issue {} is unresolved): it opens no new issue until \
             that one resolves, so a test now would prove nothing; resolve it or test later",
            g.short_id.as_deref().unwrap_or(&g.id)
        )
    })
}

/// Whether the monitor fired after `spike_start`: its latest issue is
/// unresolved and is a new one, or was seen again after the spike started.
pub fn fired(before: Option<&Group>, now: Option<&Group>, spike_start: DateTime<Utc>) -> bool {
    let Some(now) = now else { return false };
    if now.status != "unresolved" {
        return false;
    }
    let new_issue = before.is_none_or(|b| b.id != now.id);
    let after_start = now.last_seen.map_or(new_issue, |t| t >= spike_start);
    let seen_again = !new_issue
        && matches!((before.and_then(|b| b.last_seen), now.last_seen), (Some(b), Some(n)) if n > b);
    after_start && (new_issue || seen_again)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().into()
    }

    #[test]
    fn kinds() {
        assert_eq!(method_for("error-spike"), Method::ErrorSpike);
        for k in ["error-rate", "p95-latency", "zero-traffic", "uptime", "x"] {
            assert!(matches!(method_for(k), Method::NotTestable(_)), "{k}");
        }
        let Method::NotTestable(why) = method_for("uptime") else {
            unreachable!()
        };
        assert!(why.contains("test-fire-actions") && why.contains("not in Sentry's published API"));
    }

    #[test]
    fn firing_is_a_new_unresolved_issue_or_a_new_occurrence() {
        let start = t("2026-01-01T10:00:00Z");
        let d = |id: &str, status: &str, seen: &str| {
            latest_group(
                &json!({"latestGroup": {"id": id, "status": status, "lastSeen": seen, "shortId": "WEB-1"}}),
            )
        };
        let old = d("1", "resolved", "2025-12-31T00:00:00Z");
        assert!(latest_group(&json!({"latestGroup": null})).is_none());
        assert!(!fired(old.as_ref(), old.as_ref(), start));
        assert!(fired(
            old.as_ref(),
            d("2", "unresolved", "2026-01-01T10:02:00Z").as_ref(),
            start
        ));
        assert!(fired(
            None,
            d("2", "unresolved", "2026-01-01T10:02:00Z").as_ref(),
            start
        ));
        // A new issue that was last seen before the spike: not ours.
        assert!(!fired(
            old.as_ref(),
            d("2", "unresolved", "2026-01-01T09:00:00Z").as_ref(),
            start
        ));
        // The same issue, reopened and seen again after the spike.
        assert!(fired(
            old.as_ref(),
            d("1", "unresolved", "2026-01-01T10:01:00Z").as_ref(),
            start
        ));
        assert!(!fired(old.as_ref(), None, start));
        assert!(
            already_firing(d("3", "unresolved", "2026-01-01T09:00:00Z").as_ref())
                .unwrap()
                .contains("WEB-1")
        );
        assert!(already_firing(old.as_ref()).is_none());
    }
}
