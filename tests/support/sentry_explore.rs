//! The Sentry fake's Explore (`/events/`, `/events-timeseries/`) and
//! release-health (`/sessions/`) routes: answers from seeded per-release
//! aggregates, and refuses what Sentry refuses — an unknown dataset (the
//! old `transactions` one included), more than 20 fields, a missing
//! required parameter, a parameter the contract does not define, a bad
//! date. Self-contained so that it plugs into the one Sentry fake
//! (`tests/support/sentry/`) as one route file.
#![allow(dead_code)]

use std::collections::BTreeMap;

use serde_json::{Value, json};
use wiremock::ResponseTemplate;

/// One release's transactions in a project (what Explore aggregates).
#[derive(Clone, Copy, Debug, Default)]
pub struct Agg {
    pub count: u64,
    /// Ratio 0–1.
    pub failure_rate: f64,
    /// Milliseconds.
    pub p95_ms: f64,
}

/// One release's sessions in a project.
#[derive(Clone, Copy, Debug, Default)]
pub struct SessAgg {
    /// Ratio 0–1.
    pub crash_free_sessions: f64,
    pub crash_free_users: f64,
    pub users: u64,
}

/// What the fake knows: (project, release) → aggregates.
#[derive(Clone, Debug, Default)]
pub struct Seed {
    pub spans: BTreeMap<(String, String), Agg>,
    pub sessions: BTreeMap<(String, String), SessAgg>,
    /// Per-minute buckets: (project, release) → (failure rates, p95s), one per minute from `start`.
    pub buckets: BTreeMap<(String, String), (Vec<f64>, Vec<f64>)>,
}

impl Seed {
    pub fn spans(&mut self, project: &str, release: &str, count: u64, fr: f64, p95: f64) {
        self.spans.insert(
            (project.into(), release.into()),
            Agg {
                count,
                failure_rate: fr,
                p95_ms: p95,
            },
        );
    }

    pub fn sessions(&mut self, project: &str, release: &str, crash_free: f64) {
        self.sessions.insert(
            (project.into(), release.into()),
            SessAgg {
                crash_free_sessions: crash_free,
                crash_free_users: crash_free,
                users: 500,
            },
        );
    }
}

fn contract_params(file: &str) -> Vec<(String, bool)> {
    // Without the contracts (a fresh clone) there is nothing to check against.
    let Some(c) = crate::common::contract(file) else {
        return Vec::new();
    };
    c["x-operation"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["in"] == "query")
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["required"].as_bool().unwrap_or(false),
            )
        })
        .collect()
}

fn bad(detail: impl Into<String>) -> ResponseTemplate {
    ResponseTemplate::new(400).set_body_json(json!({"detail": detail.into()}))
}

/// Check the query parameters against the operation's contract.
/// Check the query parameters; `Err` holds Sentry's 400 detail.
fn check_params(file: &str, q: &[(String, String)]) -> Result<(), String> {
    let params = contract_params(file);
    for (k, _) in q {
        if !params.iter().any(|(n, _)| n == k) {
            return Err(format!("the fake: parameter {k:?} is not in {file}"));
        }
    }
    for (name, required) in &params {
        if *required && !q.iter().any(|(k, _)| k == name) {
            return Err(format!("{name}: this parameter is required"));
        }
    }
    for (k, v) in q {
        if (k == "start" || k == "end") && chrono::DateTime::parse_from_rfc3339(v).is_err() {
            return Err(format!("{k}: {v:?} is not an ISO-8601 date"));
        }
    }
    Ok(())
}

fn all<'a>(q: &'a [(String, String)], key: &str) -> Vec<&'a str> {
    q.iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .collect()
}

fn one<'a>(q: &'a [(String, String)], key: &str) -> Option<&'a str> {
    all(q, key).into_iter().next()
}

/// Split a search value list `a,"b c"` (quotes honoured).
fn split_list(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '\\' if quoted => cur.extend(chars.next()),
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// The releases named by `release:[a,b]` (Explore) or `release:a OR release:b` (sessions).
pub fn releases_in(query: &str) -> Vec<String> {
    if let Some(start) = query.find("release:[") {
        let rest = &query[start + "release:[".len()..];
        // The closing bracket outside quotes.
        let mut quoted = false;
        let mut end = rest.len();
        for (i, c) in rest.char_indices() {
            match c {
                '"' => quoted = !quoted,
                ']' if !quoted => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        return split_list(&rest[..end]);
    }
    query
        .split(" OR ")
        .filter_map(|part| part.trim().strip_prefix("release:"))
        .map(|v| split_list(v).remove(0))
        .collect()
}

/// The answer for an Explore or sessions request, or None for other paths.
pub fn answer(
    seed: &Seed,
    method: &str,
    path: &str,
    q: &[(String, String)],
) -> Option<ResponseTemplate> {
    if method != "GET" {
        return None;
    }
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match parts.as_slice() {
        ["api", "0", "organizations", "acme", "events"] => Some(events(seed, q)),
        ["api", "0", "organizations", "acme", "sessions"] => Some(sessions(seed, q)),
        ["api", "0", "organizations", "acme", "events-timeseries"] => Some(timeseries(seed, q)),
        _ => None,
    }
}

const DATASETS: [&str; 6] = [
    "errors",
    "logs",
    "profile_functions",
    "spans",
    "tracemetrics",
    "uptime_results",
];

fn dataset_ok(q: &[(String, String)]) -> Result<(), String> {
    let d = one(q, "dataset").unwrap_or("");
    if d == "transactions" {
        return Err(
            "The transactions dataset is no longer supported: query spans with is_transaction:true"
                .into(),
        );
    }
    if !DATASETS.contains(&d) {
        return Err(format!("dataset: {d:?} is not a valid choice."));
    }
    Ok(())
}

fn events(seed: &Seed, q: &[(String, String)]) -> ResponseTemplate {
    if let Err(e) = check_params("sentry/list-organization-events.json", q).and(dataset_ok(q)) {
        return bad(e);
    }
    let fields = all(q, "field");
    if fields.len() > 20 {
        return bad("You can only select up to 20 fields at a time");
    }
    let query = one(q, "query").unwrap_or("");
    if one(q, "dataset") == Some("spans") && !query.contains("is_transaction:true") {
        return bad("the fake answers transactions only: add is_transaction:true");
    }
    let projects = all(q, "project");
    let envs = all(q, "environment");
    let mut data = Vec::new();
    for release in releases_in(query) {
        for ((project, r), agg) in &seed.spans {
            if *r != release || (!projects.is_empty() && !projects.contains(&project.as_str())) {
                continue;
            }
            let mut row = serde_json::Map::new();
            for f in &fields {
                let v = match *f {
                    "release" => json!(release),
                    "count(span.duration)" => json!(agg.count),
                    "failure_rate()" => json!(agg.failure_rate),
                    "p95(span.duration)" => json!(agg.p95_ms),
                    "epm()" => json!(agg.count as f64 / 60.0),
                    "environment" => json!(envs.first().copied().unwrap_or("production")),
                    "project" => json!(project),
                    other => return bad(format!("the fake does not know the field {other:?}")),
                };
                row.insert(f.to_string(), v);
            }
            data.push(Value::Object(row));
        }
    }
    let types: serde_json::Map<String, Value> = fields
        .iter()
        .map(|f| {
            let t = match *f {
                "count(span.duration)" => "integer",
                "failure_rate()" => "percentage",
                "p95(span.duration)" => "duration",
                "epm()" => "rate",
                _ => "string",
            };
            (f.to_string(), json!(t))
        })
        .collect();
    ResponseTemplate::new(200).set_body_json(json!({
        "data": data,
        "meta": {"fields": types, "units": {"p95(span.duration)": "millisecond", "epm()": "1/minute"}, "dataset": "spans"},
    }))
}

fn sessions(seed: &Seed, q: &[(String, String)]) -> ResponseTemplate {
    if let Err(e) = check_params("sentry/get-organization-sessions.json", q) {
        return bad(e);
    }
    let fields = all(q, "field");
    for f in &fields {
        let known = matches!(
            *f,
            "sum(session)"
                | "count_unique(user)"
                | "crash_free_rate(session)"
                | "crash_free_rate(user)"
                | "crash_rate(session)"
                | "crash_rate(user)"
        );
        if !known {
            return bad(format!("Invalid field: {f:?}"));
        }
    }
    if let Some(i) = one(q, "interval") {
        if !matches!(i, "1h" | "2h" | "1d" | "60m") {
            return bad(format!(
                "The interval has to be a multiple of the minimum interval of one hour: {i}"
            ));
        }
    }
    let group_by = all(q, "groupBy");
    if group_by != ["release"] {
        return bad("the fake groups by release only");
    }
    let projects = all(q, "project");
    let query = one(q, "query").unwrap_or("");
    let mut groups = Vec::new();
    for release in releases_in(query) {
        let found = seed.sessions.iter().find(|((p, r), _)| {
            *r == release && (projects.is_empty() || projects.contains(&p.as_str()))
        });
        let Some((_, s)) = found else { continue };
        let totals: serde_json::Map<String, Value> = fields
            .iter()
            .map(|f| {
                let v = match *f {
                    "crash_free_rate(session)" => json!(s.crash_free_sessions),
                    "crash_free_rate(user)" => json!(s.crash_free_users),
                    "count_unique(user)" => json!(s.users),
                    _ => Value::Null,
                };
                (f.to_string(), v)
            })
            .collect();
        groups.push(json!({"by": {"release": release}, "totals": totals, "series": {}}));
    }
    ResponseTemplate::new(200).set_body_json(json!({
        "start": one(q, "start").unwrap_or("2026-11-29T00:00:00Z"),
        "end": one(q, "end").unwrap_or("2026-11-29T01:00:00Z"),
        "intervals": [],
        "groups": groups,
        "query": query,
    }))
}

fn timeseries(seed: &Seed, q: &[(String, String)]) -> ResponseTemplate {
    if let Err(r) =
        check_params("sentry/list-organization-events-timeseries.json", q).and(dataset_ok(q))
    {
        return bad(r);
    }
    let ms = |k: &str| {
        one(q, k)
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.timestamp_millis())
            .unwrap_or(0)
    };
    let (start, end) = (ms("start"), ms("end"));
    // One bucket per minute over the whole range, cycling through the seeded values.
    let minutes = ((end - start) / 60_000).max(0) as usize;
    let projects = all(q, "project");
    let mut series = Vec::new();
    for release in releases_in(one(q, "query").unwrap_or("")) {
        for ((p, r), (fr, p95)) in &seed.buckets {
            if *r != release || (!projects.is_empty() && !projects.contains(&p.as_str())) {
                continue;
            }
            for (axis, values) in [("failure_rate()", fr), ("p95(span.duration)", p95)] {
                if !all(q, "yAxis").contains(&axis) {
                    continue;
                }
                let values: Vec<Value> = (0..minutes)
                    .map(|i| json!({"timestamp": start + 60_000 * i as i64, "value": values[i % values.len()], "incomplete": false}))
                    .collect();
                series.push(json!({
                    "yAxis": axis, "values": values,
                    "groupBy": [{"key": "release", "value": release}],
                    "meta": {"interval": 60, "valueType": "number", "valueUnit": null},
                }));
            }
        }
    }
    ResponseTemplate::new(200).set_body_json(json!({
        "timeSeries": series,
        "meta": {"dataset": "spans", "start": start as f64, "end": end as f64},
    }))
}
