//! Outcomes: `GET /api/0/organizations/{org}/stats_v2/` (query and answer
//! checked against `sentry/list-organization-stats-v2.json`), answering the
//! seeded [`Stats::groups`] (`{"by": {"outcome": ...}, "totals":
//! {"sum(quantity)": n}, "series": {}}`). A token without `org:read`:
//! `always(At::Route("sentry.stats_v2"), Act::status(403, ...))`.

use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use super::super::{Call, Route, State, checked_reply};
use super::other_org;

/// The outcome groups stats_v2 answers.
#[derive(Default)]
pub struct Stats {
    pub groups: Vec<Value>,
}

/// One group: `count` events with this outcome (and reason).
pub fn group(outcome: &str, reason: Option<&str>, count: u64) -> Value {
    let mut by = json!({"outcome": outcome});
    if let Some(r) = reason {
        by["reason"] = json!(r);
    }
    json!({"by": by, "totals": {"sum(quantity)": count}, "series": {}})
}

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(
            "sentry.stats_v2",
            "GET",
            "/api/0/organizations/{org}/stats_v2/",
            stats,
        )
        .query_contract("sentry/list-organization-stats-v2.json"),
    ]
}

fn stats(s: &mut State, c: &Call) -> ResponseTemplate {
    if let Some(r) = other_org(c) {
        return r;
    }
    let groups = s.area::<Stats>().groups.clone();
    checked_reply(
        s,
        "sentry/list-organization-stats-v2.json",
        json!({
            "start": "2026-01-01T00:00:00Z", "end": "2026-01-01T01:00:00Z",
            "intervals": ["2026-01-01T00:00:00Z"], "groups": groups,
        }),
    )
}
