//! Sentry release health, as `deploy verify` reads it:
//! `GET /api/0/organizations/{org}/sessions/` grouped by release, answered
//! from seeded per-release aggregates ([`Sessions`]). Like Sentry it
//! refuses (a violation, answered 400) a parameter the contract does not
//! define, a missing `field`, an unknown field and an interval that is not
//! a multiple of an hour.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use super::super::{Call, Route, State, json_reply};
use super::explore::{query_problems, releases_in};
use super::other_org;

/// One release's sessions in a project.
#[derive(Clone, Copy, Debug, Default)]
pub struct SessAgg {
    /// Ratio 0–1.
    pub crash_free_sessions: f64,
    pub crash_free_users: f64,
    pub users: u64,
}

/// What the fake knows of release health: (project, release) → aggregates.
#[derive(Default)]
pub struct Sessions {
    pub by_release: BTreeMap<(String, String), SessAgg>,
}

impl Sessions {
    /// Sessions of `release` in `project`, `crash_free` (ratio 0–1) for
    /// sessions and users alike, 500 users.
    pub fn seed(&mut self, project: &str, release: &str, crash_free: f64) {
        self.by_release.insert(
            (project.into(), release.into()),
            SessAgg {
                crash_free_sessions: crash_free,
                crash_free_users: crash_free,
                users: 500,
            },
        );
    }
}

const FIELDS: [&str; 6] = [
    "sum(session)",
    "count_unique(user)",
    "crash_free_rate(session)",
    "crash_free_rate(user)",
    "crash_rate(session)",
    "crash_rate(user)",
];

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(
            "sentry.sessions",
            "GET",
            "/api/0/organizations/{org}/sessions/",
            sessions,
        )
        .check(|_, c| {
            let mut errs = query_problems("sentry/get-organization-sessions.json", c);
            for f in c.all("field") {
                if !FIELDS.contains(&f) {
                    errs.push(format!("Invalid field: {f:?}"));
                }
            }
            if let Some(i) = c.query("interval") {
                if !matches!(i, "1h" | "2h" | "1d" | "60m") {
                    errs.push(format!(
                        "The interval has to be a multiple of the minimum interval of one hour: {i}"
                    ));
                }
            }
            errs
        }),
    ]
}

fn sessions(s: &mut State, c: &Call) -> ResponseTemplate {
    if let Some(r) = super::report_series::sessions_if_seeded(s, c) {
        return r;
    }
    if let Some(r) = other_org(c) {
        return r;
    }
    if c.all("groupBy") != ["release"] {
        return json_reply(400, json!({"detail": "the fake groups by release only"}));
    }
    let fields = c.all("field");
    let projects = c.all("project");
    let query = c.query("query").unwrap_or("");
    let seed = s.area::<Sessions>();
    let mut groups = Vec::new();
    for release in releases_in(query) {
        let found = seed.by_release.iter().find(|((p, r), _)| {
            *r == release && (projects.is_empty() || projects.contains(&p.as_str()))
        });
        let Some((_, agg)) = found else { continue };
        let totals: serde_json::Map<String, Value> = fields
            .iter()
            .map(|f| {
                let v = match *f {
                    "crash_free_rate(session)" => json!(agg.crash_free_sessions),
                    "crash_free_rate(user)" => json!(agg.crash_free_users),
                    "count_unique(user)" => json!(agg.users),
                    _ => Value::Null,
                };
                (f.to_string(), v)
            })
            .collect();
        groups.push(json!({"by": {"release": release}, "totals": totals, "series": {}}));
    }
    json_reply(
        200,
        json!({
            "start": c.query("start").unwrap_or("2026-11-29T00:00:00Z"),
            "end": c.query("end").unwrap_or("2026-11-29T01:00:00Z"),
            "intervals": [],
            "groups": groups,
            "query": query,
        }),
    )
}
