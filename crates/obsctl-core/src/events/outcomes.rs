//! Why an accepted event never became visible: Sentry's outcomes
//! (`GET /api/0/organizations/{org}/stats_v2/`, contract
//! `sentry/list-organization-stats-v2.json`) grouped by `outcome` and
//! `reason`, turned into a sentence: "filtered by inbound filter X",
//! "rate limited", "over quota".

use serde::Serialize;
use serde_json::Value;

/// One group of the stats answer: how many events had this outcome and reason.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OutcomeCount {
    /// `accepted`, `filtered`, `rate_limited`, `invalid`, `abuse`, `client_discard`, `cardinality_limited`.
    pub outcome: String,
    /// The reason (an inbound filter's key, a quota reason code), when grouped by it.
    pub reason: Option<String>,
    /// `sum(quantity)`: events.
    pub quantity: u64,
}

/// Read the groups of a stats_v2 answer grouped by `outcome` (and `reason`).
/// Groups without a numeric `sum(quantity)` total are skipped.
pub fn parse_stats(body: &Value) -> Vec<OutcomeCount> {
    body["groups"]
        .as_array()
        .map(|groups| {
            groups
                .iter()
                .filter_map(|g| {
                    let outcome = g["by"]["outcome"].as_str()?.to_string();
                    let reason = g["by"]["reason"]
                        .as_str()
                        .filter(|r| !r.is_empty() && *r != "none")
                        .map(String::from);
                    let quantity = g["totals"]["sum(quantity)"].as_f64()? as u64;
                    Some(OutcomeCount {
                        outcome,
                        reason,
                        quantity,
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The inbound filter a `filtered` reason names, in the words of Sentry's
/// Project Settings → Inbound Filters.
pub fn filter_name(reason: &str) -> String {
    let name = match reason {
        "ip-address" => "IP addresses",
        "release-version" => "Releases",
        "error-message" => "Error messages",
        "browser-extensions" => "Browser extension errors",
        "localhost" => "Localhost events",
        "web-crawlers" => "Web crawlers",
        "invalid-csp" => "Invalid CSP reports",
        "cors" => "CORS",
        "discarded-hash" => "Delete and discard (an issue discarded in Sentry)",
        "health-check" => "Health check transactions",
        "crash-report-limit" => "Crash report limit",
        r if r.starts_with("legacy-browsers") => "Legacy browsers",
        r => return r.to_string(),
    };
    format!("{name} ({reason})")
}

/// Sentences for the outcomes that drop events, biggest first:
/// "filtered by inbound filter Releases (release-version): 3 events",
/// "rate limited (key_quota: …): 5 events", "over quota (usage_exceeded: …)".
/// Empty when nothing was dropped.
pub fn explain(counts: &[OutcomeCount]) -> Vec<String> {
    let mut dropped: Vec<&OutcomeCount> = counts
        .iter()
        .filter(|c| c.quantity > 0 && !matches!(c.outcome.as_str(), "accepted" | "client_discard"))
        .collect();
    dropped.sort_by_key(|c| std::cmp::Reverse(c.quantity));
    dropped
        .into_iter()
        .map(|c| {
            let reason = c.reason.as_deref().unwrap_or("");
            let what = match c.outcome.as_str() {
                "filtered" if reason.starts_with("Sampled:") => {
                    "dropped by dynamic sampling".to_string()
                }
                "filtered" if reason.is_empty() => "filtered by an inbound filter".to_string(),
                "filtered" => format!("filtered by inbound filter {}", filter_name(reason)),
                "rate_limited" | "abuse" => {
                    let words = super::rate_limits::explain_reason(reason);
                    if words.starts_with("over quota") {
                        format!("{words} ({reason})")
                    } else if reason.is_empty() {
                        "rate limited".to_string()
                    } else {
                        format!("rate limited: {words} ({reason})")
                    }
                }
                "invalid" if reason.is_empty() => "rejected as invalid".to_string(),
                "invalid" => format!("rejected as invalid ({reason})"),
                other if reason.is_empty() => other.replace('_', " "),
                other => format!("{} ({reason})", other.replace('_', " ")),
            };
            let unit = if c.quantity == 1 { "event" } else { "events" };
            format!("{what}: {} {unit}", c.quantity)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn explains_filters_limits_and_quota() {
        let body = json!({"start": "", "end": "", "intervals": [], "groups": [
            {"by": {"outcome": "accepted"}, "totals": {"sum(quantity)": 10}, "series": {}},
            {"by": {"outcome": "filtered", "reason": "release-version"}, "totals": {"sum(quantity)": 3}, "series": {}},
            {"by": {"outcome": "rate_limited", "reason": "usage_exceeded"}, "totals": {"sum(quantity)": 5}, "series": {}},
            {"by": {"outcome": "rate_limited", "reason": "key_quota"}, "totals": {"sum(quantity)": 1}, "series": {}},
            {"by": {"outcome": "invalid", "reason": "duplicate"}, "totals": {"sum(quantity)": 0}, "series": {}},
        ]});
        let counts = parse_stats(&body);
        assert_eq!(counts.len(), 5);
        let text = explain(&counts);
        assert_eq!(text.len(), 3, "{text:?}");
        assert!(text[0].starts_with("over quota"), "{text:?}");
        assert_eq!(
            text[1],
            "filtered by inbound filter Releases (release-version): 3 events"
        );
        assert!(
            text[2].starts_with("rate limited: the DSN key's own rate limit"),
            "{text:?}"
        );
        assert!(explain(&counts[..1]).is_empty());
    }
}
