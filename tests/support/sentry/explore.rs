//! Sentry Explore, as `deploy verify` reads it: the events table
//! (`GET /api/0/organizations/{org}/events/`) and per-minute time series
//! (`.../events-timeseries/`), answered from seeded per-release aggregates
//! ([`Explore`]). Like Sentry it refuses (a violation, answered 400) an
//! unknown dataset (the retired `transactions` one included), more than 20
//! fields, a missing required parameter, a parameter the contract does not
//! define and a bad date; the span dataset must be asked for transactions
//! (`is_transaction:true`).

use std::collections::BTreeMap;

use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use super::super::{Call, Route, State, json_reply};
use super::other_org;

/// One release's transactions in a project (what Explore aggregates).
#[derive(Clone, Copy, Debug, Default)]
pub struct Agg {
    pub count: u64,
    /// Ratio 0–1.
    pub failure_rate: f64,
    /// Milliseconds.
    pub p95_ms: f64,
}

/// What the fake knows of Explore: (project, release) → data.
#[derive(Default)]
pub struct Explore {
    pub spans: BTreeMap<(String, String), Agg>,
    /// Per-minute buckets: (failure rates, p95s), cycled over the range asked.
    pub buckets: BTreeMap<(String, String), (Vec<f64>, Vec<f64>)>,
}

impl Explore {
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
}

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(
            "sentry.explore_events",
            "GET",
            "/api/0/organizations/{org}/events/",
            events,
        )
        .check(|_, c| {
            let mut errs = query_problems("sentry/list-organization-events.json", c);
            errs.extend(dataset_problems(c));
            if c.all("field").len() > 20 {
                errs.push("You can only select up to 20 fields at a time".into());
            }
            if c.query("dataset") == Some("spans")
                && !c
                    .query("query")
                    .unwrap_or("")
                    .contains("is_transaction:true")
            {
                errs.push(
                    "the span dataset is asked for transactions: add is_transaction:true".into(),
                );
            }
            errs
        }),
        Route::new(
            "sentry.events_timeseries",
            "GET",
            "/api/0/organizations/{org}/events-timeseries/",
            timeseries,
        )
        .check(|_, c| {
            let mut errs = query_problems("sentry/list-organization-events-timeseries.json", c);
            errs.extend(dataset_problems(c));
            errs
        }),
    ]
}

/// The query parameters against the operation's contract: every one
/// defined there, the required ones present, `start`/`end` ISO-8601
/// (nothing when the contracts are absent).
pub fn query_problems(file: &str, c: &Call) -> Vec<String> {
    let Some(contract) = crate::common::contract(file) else {
        return vec![];
    };
    let params: Vec<(String, bool)> = contract["x-operation"]["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["in"] == "query")
        .map(|p| {
            (
                p["name"].as_str().unwrap_or("").to_string(),
                p["required"].as_bool().unwrap_or(false),
            )
        })
        .collect();
    let mut errs = Vec::new();
    for (k, _) in &c.pairs {
        if !params.iter().any(|(n, _)| n == k) {
            errs.push(format!("parameter {k:?} is not in {file}"));
        }
    }
    for (name, required) in &params {
        if *required && c.query(name).is_none() {
            errs.push(format!("{name}: this parameter is required"));
        }
    }
    for (k, v) in &c.pairs {
        // Sentry documents ISO-8601 with or without an offset
        // (`2001-12-14T12:34:56.7890`, read as UTC).
        let iso = chrono::DateTime::parse_from_rfc3339(v).is_ok()
            || chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S%.f").is_ok();
        if (k == "start" || k == "end") && !iso {
            errs.push(format!("{k}: {v:?} is not an ISO-8601 date"));
        }
    }
    errs
}

const DATASETS: [&str; 6] = [
    "errors",
    "logs",
    "profile_functions",
    "spans",
    "tracemetrics",
    "uptime_results",
];

fn dataset_problems(c: &Call) -> Vec<String> {
    match c.query("dataset").unwrap_or("") {
        "transactions" => vec![
            "The transactions dataset is no longer supported: query spans with is_transaction:true"
                .into(),
        ],
        d if !DATASETS.contains(&d) => vec![format!("dataset: {d:?} is not a valid choice.")],
        _ => vec![],
    }
}

fn bad(detail: impl Into<String>) -> ResponseTemplate {
    json_reply(400, json!({"detail": detail.into()}))
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

fn events(s: &mut State, c: &Call) -> ResponseTemplate {
    if let Some(r) = other_org(c) {
        return r;
    }
    let fields = c.all("field");
    let projects = c.all("project");
    let envs = c.all("environment");
    let query = c.query("query").unwrap_or("");
    let seed = s.area::<Explore>();
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
    json_reply(
        200,
        json!({
            "data": data,
            "meta": {"fields": types, "units": {"p95(span.duration)": "millisecond", "epm()": "1/minute"}, "dataset": "spans"},
        }),
    )
}

fn timeseries(s: &mut State, c: &Call) -> ResponseTemplate {
    if let Some(r) = super::report_series::timeseries_if_seeded(s, c) {
        return r;
    }
    if let Some(r) = other_org(c) {
        return r;
    }
    let ms = |k: &str| {
        c.query(k)
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.timestamp_millis())
            .unwrap_or(0)
    };
    let (start, end) = (ms("start"), ms("end"));
    // One bucket per minute over the whole range, cycling through the seeded values.
    let minutes = ((end - start) / 60_000).max(0) as usize;
    let projects = c.all("project");
    let axes = c.all("yAxis");
    let seed = s.area::<Explore>();
    let mut series = Vec::new();
    for release in releases_in(c.query("query").unwrap_or("")) {
        for ((p, r), (fr, p95)) in &seed.buckets {
            if *r != release || (!projects.is_empty() && !projects.contains(&p.as_str())) {
                continue;
            }
            for (axis, values) in [("failure_rate()", fr), ("p95(span.duration)", p95)] {
                if !axes.contains(&axis) {
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
    json_reply(
        200,
        json!({
            "timeSeries": series,
            "meta": {"dataset": "spans", "start": start as f64, "end": end as f64},
        }),
    )
}
