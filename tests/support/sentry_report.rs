//! The Sentry endpoints `obsctl report` reads — events-timeseries, sessions
//! and releases (for `lastDeploy`) — answering from seeded data, validating
//! every request's query against the contract's parameters, counting
//! requests per project, with an optional delay per answer. Self-contained
//! so that it can join the one Sentry fake (tests/support/sentry/) as a
//! route file.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const ORG: &str = "acme";
pub const TOKEN: &str = "sekrit-sentry-token-0123456789";

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
#[derive(Clone, Debug)]
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

/// The running fake.
pub struct SentryFake {
    pub server: MockServer,
    pub seed: Arc<Seed>,
    /// Requests per project slug (`*` for a request naming none).
    pub requests: Arc<Mutex<HashMap<String, u64>>>,
    /// Every contract violation seen.
    pub violations: Arc<Mutex<Vec<String>>>,
    /// The last answer per endpoint (for response-schema checks).
    pub answers: Arc<Mutex<BTreeMap<String, Value>>>,
}

struct Responder {
    seed: Arc<Seed>,
    delay: Duration,
    requests: Arc<Mutex<HashMap<String, u64>>>,
    violations: Arc<Mutex<Vec<String>>>,
    answers: Arc<Mutex<BTreeMap<String, Value>>>,
    contracts: BTreeMap<&'static str, Value>,
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

impl Responder {
    /// Check the query against the contract's `x-operation.parameters`.
    fn check(&self, file: &str, q: &[(String, String)]) -> Vec<String> {
        // Without the contracts (a fresh clone) there is nothing to check against.
        let Some(contract) = self.contracts.get(file) else {
            return Vec::new();
        };
        let params = contract["x-operation"]["parameters"].as_array().unwrap();
        let mut out = Vec::new();
        for (k, v) in q {
            let Some(p) = params
                .iter()
                .find(|p| p["in"] == "query" && p["name"] == k.as_str())
            else {
                out.push(format!("{file}: unknown query parameter {k}"));
                continue;
            };
            let schema = &p["schema"];
            let ty = schema["type"].as_str().unwrap_or("");
            let item_ty = schema["items"]["type"].as_str().unwrap_or("");
            if (ty == "integer" || item_ty == "integer") && v.parse::<i64>().is_err() {
                out.push(format!("{file}: {k}={v} is not an integer"));
            }
            if let Some(e) = schema["enum"].as_array() {
                if !e.iter().any(|x| x == v.as_str()) {
                    out.push(format!("{file}: {k}={v} not in {e:?}"));
                }
            }
            if schema["format"] == "date-time" && parse_time(v).is_none() {
                out.push(format!("{file}: {k}={v} is not a date-time"));
            }
            if ty != "array" && q.iter().filter(|(k2, _)| k2 == k).count() > 1 && k != "yAxis" {
                out.push(format!("{file}: {k} repeated but not an array"));
            }
        }
        for p in params
            .iter()
            .filter(|p| p["in"] == "query" && p["required"] == true)
        {
            if !q.iter().any(|(k, _)| p["name"] == k.as_str()) {
                out.push(format!("{file}: required {} missing", p["name"]));
            }
        }
        out
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

    fn timeseries(&self, q: &[(String, String)], project: &str) -> Value {
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
        let buckets = Self::buckets(q, interval);
        let s = &self.seed;
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

    fn sessions(&self, q: &[(String, String)], project: &str) -> Value {
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
        let buckets = Self::buckets(q, interval);
        let s = &self.seed;
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
        let iso = |t: i64| {
            chrono::DateTime::from_timestamp(t, 0)
                .unwrap()
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string()
        };
        json!({
            "start": iso(*buckets.first().unwrap_or(&0)),
            "end": iso(buckets.last().map(|t| t + interval).unwrap_or(0)),
            "intervals": if with_series { buckets.iter().map(|t| json!(iso(*t))).collect::<Vec<_>>() } else { vec![] },
            "groups": groups,
            "query": "",
        })
    }

    fn releases(&self, project: &str) -> Value {
        let s = &self.seed;
        let iso = |t: i64| {
            chrono::DateTime::from_timestamp(t, 0)
                .unwrap()
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string()
        };
        let release = |v: String, at: i64| {
            json!({
                "id": 1, "version": v, "shortVersion": v, "status": "open", "data": {}, "authors": [],
                "commitCount": 0, "deployCount": 1, "newGroups": 0, "versionInfo": null,
                "projects": [{"id": 1, "slug": project, "name": project, "newGroups": 0, "platform": null, "platforms": [], "hasHealthData": false}],
                "dateCreated": iso(at), "lastDeploy": {"id": "1", "environment": "production", "dateFinished": iso(at + 600), "dateStarted": iso(at), "name": v, "url": null}
            })
        };
        json!([
            release(s.release(project, s.switch_at), s.switch_at),
            release(s.release(project, 0), s.switch_at - 10 * 86_400)
        ])
    }
}

impl Respond for Responder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let path = req.url.path().to_string();
        let q: Vec<(String, String)> = req
            .url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let project = q
            .iter()
            .find(|(k, _)| k == "project")
            .map(|(_, v)| v.clone());
        *self
            .requests
            .lock()
            .unwrap()
            .entry(project.clone().unwrap_or_else(|| "*".into()))
            .or_default() += 1;
        let auth = req
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if auth != format!("Bearer {TOKEN}") {
            return ResponseTemplate::new(401).set_body_json(json!({"detail": "Invalid token"}));
        }
        let project = project.unwrap_or_default();
        let (file, body) = if path == format!("/api/0/organizations/{ORG}/events-timeseries/") {
            (
                "sentry/list-organization-events-timeseries.json",
                self.timeseries(&q, &project),
            )
        } else if path == format!("/api/0/organizations/{ORG}/sessions/") {
            (
                "sentry/get-organization-sessions.json",
                self.sessions(&q, &project),
            )
        } else if path == format!("/api/0/organizations/{ORG}/releases/")
            && req.method.as_str() == "GET"
        {
            ("sentry/list-releases.json", self.releases(&project))
        } else {
            self.violations
                .lock()
                .unwrap()
                .push(format!("unexpected {} {path}", req.method));
            return ResponseTemplate::new(404).set_body_json(json!({"detail": "not found"}));
        };
        let v = self.check(file, &q);
        self.violations.lock().unwrap().extend(v);
        self.answers
            .lock()
            .unwrap()
            .insert(file.to_string(), body.clone());
        ResponseTemplate::new(200)
            .set_body_json(body)
            .set_delay(self.delay)
    }
}

impl SentryFake {
    pub async fn start(
        seed: Seed,
        delay: Duration,
        contracts: impl Fn(&str) -> Option<Value>,
    ) -> Self {
        let server = MockServer::start().await;
        let seed = Arc::new(seed);
        let requests = Arc::new(Mutex::new(HashMap::new()));
        let violations = Arc::new(Mutex::new(Vec::new()));
        let answers = Arc::new(Mutex::new(BTreeMap::new()));
        let files = [
            "sentry/list-organization-events-timeseries.json",
            "sentry/get-organization-sessions.json",
            "sentry/list-releases.json",
        ];
        let responder = Responder {
            seed: seed.clone(),
            delay,
            requests: requests.clone(),
            violations: violations.clone(),
            answers: answers.clone(),
            contracts: files
                .iter()
                .filter_map(|f| contracts(f).map(|c| (*f, c)))
                .collect(),
        };
        Mock::given(any())
            .respond_with(responder)
            .mount(&server)
            .await;
        SentryFake {
            server,
            seed,
            requests,
            violations,
            answers,
        }
    }

    pub fn url(&self) -> String {
        self.server.uri()
    }
}
