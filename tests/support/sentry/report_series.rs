//! The Sentry series `obsctl report` reads, answered from a seeded model
//! ([`Seed`]: per project a traffic kind, one release switch):
//! `GET .../events-timeseries/` (spans; `count()`, `failure_rate()`,
//! `p50/p95(span.duration)`, per day or hour, optionally grouped by
//! release) and `GET .../sessions/` (sessions, users, crash-free rates,
//! optionally by release). Queries are checked against the contracts'
//! parameters, answers against their `response_200`; the releases with
//! their `lastDeploy` are seeded into the releases area ([`seed`]).
//!
//! One route per endpoint: the routes are `explore.rs`'s and `sessions.rs`'s
//! (`deploy verify`'s model), which answer from this model when it was seeded.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use super::super::{Call, State, checked_reply};
use super::other_org;

/// How a project behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Traffic and sessions.
    Busy,
    /// Traffic, no sessions (release health off).
    NoSessions,
    /// No transactions at all.
    Idle,
}

/// The seeded world: project slug → (index, kind); the release switch time.
#[derive(Clone, Debug, Default)]
pub struct Seed {
    pub projects: BTreeMap<String, (u64, Kind)>,
    /// Bucket starts at or after this are release `@1.1`, before `@1.0`.
    pub switch_at: i64,
}

impl Seed {
    pub fn release(&self, project: &str, t: i64) -> String {
        if t < self.switch_at {
            format!("{project}@1.0")
        } else {
            format!("{project}@1.1")
        }
    }

    fn kind(&self, project: &str) -> (u64, Kind) {
        self.projects
            .get(project)
            .copied()
            .unwrap_or((0, Kind::Idle))
    }

    /// Transactions in the bucket starting at `t` (`interval` seconds).
    pub fn count(&self, project: &str, t: i64, interval: i64) -> f64 {
        let (i, kind) = self.kind(project);
        if kind == Kind::Idle {
            return 0.0;
        }
        let scale = interval as f64 / 86_400.0;
        ((100 + 10 * i + ((t / interval) % 7) as u64 * 5) as f64 * scale).round()
    }

    pub fn failure_rate(&self, project: &str, t: i64) -> f64 {
        let (i, _) = self.kind(project);
        let base = 0.01 * (1 + i % 3) as f64;
        if t >= self.switch_at {
            base * 2.0
        } else {
            base
        }
    }

    pub fn p50(&self, project: &str, t: i64) -> f64 {
        let (i, _) = self.kind(project);
        50.0 + i as f64 + if t >= self.switch_at { 10.0 } else { 0.0 }
    }

    pub fn p95(&self, project: &str, t: i64) -> f64 {
        let (i, _) = self.kind(project);
        200.0 + 5.0 * i as f64 + if t >= self.switch_at { 40.0 } else { 0.0 }
    }

    pub fn sessions(&self, project: &str, t: i64) -> f64 {
        match self.kind(project) {
            (i, Kind::Busy) => (1000 + 100 * i + ((t / 86_400) % 5) as u64 * 10) as f64,
            _ => 0.0,
        }
    }

    pub fn users(&self, project: &str, t: i64) -> f64 {
        (self.sessions(project, t) / 10.0).round()
    }

    /// Distinct users over any window (a seeded constant).
    pub fn users_total(&self, project: &str) -> f64 {
        match self.kind(project) {
            (i, Kind::Busy) => (700 + i) as f64,
            _ => 0.0,
        }
    }

    pub fn crash_free(&self, project: &str, release: Option<&str>, of: &str) -> Option<f64> {
        if self.kind(project).1 != Kind::Busy {
            return None;
        }
        let newer = release.is_some_and(|r| r.ends_with("@1.1"));
        Some(match (of, newer) {
            ("session", false) => 0.995,
            ("session", true) => 0.985,
            (_, false) => 0.99,
            (_, true) => 0.97,
        })
    }
}

/// Install the model in the fake: the series answer from it, and each
/// project gets its two releases (`@1.0` ten days before the switch,
/// `@1.1` at it), each deployed to `production` (ten minutes).
pub fn seed(s: &mut State, seed: Seed) {
    for project in seed.projects.keys() {
        for at in [seed.switch_at - 10 * 86_400, seed.switch_at] {
            let version = seed.release(project, at);
            super::releases::seed_release_with_deploy(
                s,
                project,
                &version,
                &iso(at),
                "production",
                (&iso(at), &iso(at + 600)),
            );
        }
    }
    *s.area::<Seed>() = seed;
}

/// `report`'s answer to `GET .../events-timeseries/` when the fake was
/// [`seed`]ed with this model, else `None` (the endpoint's one route lives in
/// `explore.rs`, which asks here first).
pub fn timeseries_if_seeded(s: &mut State, c: &Call) -> Option<ResponseTemplate> {
    seeded(s).then(|| {
        answer(
            s,
            c,
            "sentry/list-organization-events-timeseries.json",
            timeseries,
        )
    })
}

/// `report`'s answer to `GET .../sessions/` when seeded, else `None` (the
/// route lives in `sessions.rs`).
pub fn sessions_if_seeded(s: &mut State, c: &Call) -> Option<ResponseTemplate> {
    seeded(s).then(|| answer(s, c, "sentry/get-organization-sessions.json", sessions))
}

fn seeded(s: &mut State) -> bool {
    !s.area::<Seed>().projects.is_empty()
}

type Series = fn(&Seed, &[(String, String)], &str) -> Value;

fn answer(s: &mut State, c: &Call, file: &str, f: Series) -> ResponseTemplate {
    if let Some(r) = other_org(c) {
        return r;
    }
    let project = c.query("project").unwrap_or_default().to_string();
    let body = f(s.area::<Seed>(), &c.pairs, &project);
    checked_reply(s, file, body)
}

fn iso(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn parse_time(s: &str) -> Option<i64> {
    let s = if s.ends_with('Z') || s.contains('+') {
        s.to_string()
    } else {
        format!("{s}Z")
    };
    chrono::DateTime::parse_from_rfc3339(&s)
        .ok()
        .map(|t| t.timestamp())
}

fn buckets(q: &[(String, String)], interval: i64) -> Vec<i64> {
    let get = |k: &str| q.iter().find(|(k2, _)| k2 == k).map(|(_, v)| v.clone());
    let start = get("start").and_then(|s| parse_time(&s)).unwrap_or(0);
    let end = get("end").and_then(|s| parse_time(&s)).unwrap_or(start);
    let mut t = start.div_euclid(interval) * interval;
    let mut out = Vec::new();
    while t < end {
        out.push(t);
        t += interval;
    }
    out
}

fn timeseries(seed: &Seed, q: &[(String, String)], project: &str) -> Value {
    let get = |k: &str| q.iter().find(|(k2, _)| k2 == k).map(|(_, v)| v.clone());
    let interval: i64 = get("interval")
        .and_then(|v| v.parse().ok())
        .unwrap_or(86_400);
    let grouped = get("groupBy").as_deref() == Some("release");
    let axes: Vec<String> = q
        .iter()
        .filter(|(k, _)| k == "yAxis")
        .map(|(_, v)| v.clone())
        .collect();
    let buckets = buckets(q, interval);
    let s = seed;
    let releases: Vec<Option<String>> = if grouped {
        let mut r: Vec<String> = buckets
            .iter()
            .filter(|t| s.count(project, **t, interval) > 0.0)
            .map(|t| s.release(project, *t))
            .collect();
        r.dedup();
        r.into_iter().map(Some).collect()
    } else {
        vec![None]
    };
    let mut series = Vec::new();
    for rel in &releases {
        for y in &axes {
            let values: Vec<Value> = buckets
                .iter()
                .map(|&t| {
                    let mine = rel.as_ref().is_none_or(|r| *r == s.release(project, t));
                    let c = if mine {
                        s.count(project, t, interval)
                    } else {
                        0.0
                    };
                    // As Sentry: an empty bucket answers 0 for every aggregate.
                    let v = if c == 0.0 {
                        0.0
                    } else {
                        match y.as_str() {
                            "count()" => c,
                            "failure_rate()" => s.failure_rate(project, t),
                            "p50(span.duration)" => s.p50(project, t),
                            "p95(span.duration)" => s.p95(project, t),
                            _ => 0.0,
                        }
                    };
                    json!({"timestamp": (t * 1000) as f64, "value": v, "incomplete": false})
                })
                .collect();
            let mut one = json!({
                "yAxis": y,
                "values": values,
                "meta": {"valueUnit": if y.starts_with('p') { json!("millisecond") } else { Value::Null }, "valueType": "number", "interval": (interval * 1000) as f64},
            });
            if let Some(r) = rel {
                one["groupBy"] = json!([{"key": "release", "value": r}]);
            }
            series.push(one);
        }
    }
    json!({"timeSeries": series, "meta": {"dataset": "spans", "start": 0.0, "end": 0.0}})
}

fn sessions(seed: &Seed, q: &[(String, String)], project: &str) -> Value {
    let get = |k: &str| q.iter().find(|(k2, _)| k2 == k).map(|(_, v)| v.clone());
    let interval = match get("interval").as_deref() {
        Some("1h") => 3_600,
        _ => 86_400,
    };
    let fields: Vec<String> = q
        .iter()
        .filter(|(k, _)| k == "field")
        .map(|(_, v)| v.clone())
        .collect();
    let buckets = buckets(q, interval);
    let s = seed;
    let scale = interval as f64 / 86_400.0;
    let grouped = get("groupBy").as_deref() == Some("release");
    let with_series = get("includeSeries").as_deref() != Some("0");
    let group = |rel: Option<&str>| {
        let mine = |t: i64| rel.is_none_or(|r| r == s.release(project, t));
        let sess = |t: i64| {
            if mine(t) {
                (s.sessions(project, t) * scale).round()
            } else {
                0.0
            }
        };
        let users = |t: i64| {
            if mine(t) {
                (s.users(project, t) * scale).round()
            } else {
                0.0
            }
        };
        let total_sessions: f64 = buckets.iter().map(|t| sess(*t)).sum();
        let mut totals = serde_json::Map::new();
        let mut series = serde_json::Map::new();
        for f in &fields {
            let (total, per): (Value, Vec<Value>) = match f.as_str() {
                "sum(session)" => (
                    json!(total_sessions),
                    buckets.iter().map(|t| json!(sess(*t))).collect(),
                ),
                "count_unique(user)" => (
                    json!(if rel.is_some() {
                        (s.users_total(project) / 2.0).round()
                    } else {
                        s.users_total(project)
                    }),
                    buckets.iter().map(|t| json!(users(*t))).collect(),
                ),
                f if f.starts_with("crash_free_rate(") => {
                    let of = if f.contains("user") {
                        "user"
                    } else {
                        "session"
                    };
                    let v = s
                        .crash_free(project, rel, of)
                        .filter(|_| total_sessions > 0.0);
                    (
                        json!(v),
                        buckets
                            .iter()
                            .map(|t| json!(v.filter(|_| sess(*t) > 0.0)))
                            .collect(),
                    )
                }
                _ => (Value::Null, vec![]),
            };
            totals.insert(f.clone(), total);
            series.insert(f.clone(), Value::Array(per));
        }
        let mut by = serde_json::Map::new();
        if let Some(r) = rel {
            by.insert("release".into(), json!(r));
        }
        json!({"by": by, "totals": totals, "series": if with_series { Value::Object(series) } else { json!({}) }})
    };
    let groups: Vec<Value> = if grouped {
        let mut rels: Vec<String> = buckets
            .iter()
            .filter(|t| s.sessions(project, **t) > 0.0)
            .map(|t| s.release(project, *t))
            .collect();
        rels.dedup();
        rels.iter().map(|r| group(Some(r))).collect()
    } else {
        vec![group(None)]
    };
    json!({
        "start": iso(*buckets.first().unwrap_or(&0)),
        "end": iso(buckets.last().map(|t| t + interval).unwrap_or(0)),
        "intervals": if with_series { buckets.iter().map(|t| json!(iso(*t))).collect::<Vec<_>>() } else { vec![] },
        "groups": groups,
        "query": "",
    })
}
