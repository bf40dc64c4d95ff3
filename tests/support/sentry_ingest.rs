//! The Sentry fake's ingestion side, self-contained until the one Sentry
//! fake (`tests/support/sentry/`) exists: plug [`Ingest`] in as the
//! responder of a route file there. Answers as Sentry does:
//! - `POST /api/{project_id}/envelope/`: the `X-Sentry-Auth` header and the
//!   DSN it implies are checked against `sentry/dsn.json`, the envelope's
//!   header, item header and event payload against `sentry/envelope.json`
//!   (a violation is recorded and answered 400, like Relay); an unknown key
//!   is 403 (or 401, as set); rate limits answer 429 with `Retry-After` and
//!   `X-Sentry-Rate-Limits`. Accepted events become readable after
//!   [`Ingest::visible_after`] (or never).
//! - `GET /api/0/projects/{org}/{project}/keys/` (paginated, `status=active`).
//! - `GET /api/0/projects/{org}/{project}/events/{event_id}/`: 404 until visible.
//! - `GET /api/0/organizations/{org}/stats_v2/`: the configured outcome groups.
//! - `GET /api/0/organizations/{org}/detectors/[{id}/]`: detectors whose
//!   `latestGroup` moves when enough test errors arrived (for `alerts test`).
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const TOKEN: &str = "sekrit-sentry-token-0123456789";
/// The project's active key (32 hex, like Sentry's).
pub const KEY: &str = "0ddba11cafe0f00d0123456789abcdef";
/// An inactive key listed first by the keys endpoint.
pub const OLD_KEY: &str = "deadbeefdeadbeefdeadbeefdeadbeef";
pub const PROJECT_ID: &str = "42";
pub const ORG: &str = "acme";
pub const PROJECT: &str = "web";

/// The contracts directory: `OBSCTL_CONTRACTS_DIR`, else `../shared/contracts`.
pub fn contracts_dir() -> PathBuf {
    std::env::var_os("OBSCTL_CONTRACTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/contracts"))
}

fn contract(file: &str) -> Value {
    let text = std::fs::read_to_string(contracts_dir().join(file)).expect("contract readable");
    serde_json::from_str(&text).expect("contract is JSON")
}

/// Validate against `$defs/<def>` of a contract file (or the root when `None`).
pub fn violations(file: &str, def: Option<&str>, instance: &Value) -> Vec<String> {
    let mut schema = contract(file);
    let obj = schema.as_object_mut().unwrap();
    obj.remove("$id");
    if let Some(def) = def {
        for k in [
            "type",
            "properties",
            "anyOf",
            "required",
            "pattern",
            "oneOf",
        ] {
            obj.remove(k);
        }
        obj.insert("$ref".into(), Value::String(format!("#/$defs/{def}")));
    }
    let v = jsonschema::validator_for(&schema).expect("schema compiles");
    v.iter_errors(instance)
        .map(|e| format!("{file}#{def:?}: {e} at {}", e.instance_path()))
        .collect()
}

/// How the envelope endpoint answers.
#[derive(Clone, Debug)]
pub enum Intake {
    /// 200 `{"id": …}`.
    Accept,
    /// Accept this many, then 429 with these headers.
    RateLimitAfter {
        accepted: usize,
        retry_after: Option<String>,
        limits: Option<String>,
    },
    /// This status for every envelope (401, 403, 500…), with a `detail`.
    Status(u16, String),
}

/// One envelope the fake received.
#[derive(Clone, Debug)]
pub struct Received {
    pub event_id: String,
    pub at: Instant,
    pub payload: Value,
    pub header: Value,
    pub auth: String,
}

pub struct State {
    pub intake: Intake,
    /// `None`: accepted events never become readable.
    pub visible_after: Option<Duration>,
    pub received: Vec<Received>,
    pub envelope_posts: usize,
    /// Every contract violation seen (must stay empty).
    pub violations: Vec<String>,
    /// (method, path, when) of every request.
    pub requests: Vec<(String, String, Instant)>,
    /// Status for the keys endpoint instead of the list (403: missing scope).
    pub keys_status: Option<u16>,
    /// stats_v2 groups.
    pub stats_groups: Vec<Value>,
    pub stats_status: Option<u16>,
    /// Detectors served (list and by id).
    pub detectors: Vec<Value>,
    /// Errors needed after the first test event for a detector's `latestGroup` to move.
    pub fire_after_errors: Option<usize>,
    pub fire_delay: Duration,
    /// `127.0.0.1:PORT` of the fake (the Host header does not carry it).
    pub host: String,
    /// The active key's `rateLimit` (`{"window": s, "count": n}`), null by default.
    pub key_rate_limit: Value,
}

impl Default for State {
    fn default() -> Self {
        State {
            intake: Intake::Accept,
            visible_after: Some(Duration::from_millis(200)),
            received: vec![],
            envelope_posts: 0,
            violations: vec![],
            requests: vec![],
            keys_status: None,
            stats_groups: vec![],
            stats_status: None,
            detectors: vec![],
            fire_after_errors: None,
            fire_delay: Duration::ZERO,
            host: String::new(),
            key_rate_limit: Value::Null,
        }
    }
}

#[derive(Clone, Default)]
pub struct Ingest {
    pub state: Arc<Mutex<State>>,
}

pub struct Server {
    pub server: MockServer,
    pub ingest: Ingest,
}

impl Server {
    pub async fn start() -> Server {
        let server = MockServer::start().await;
        let ingest = Ingest::default();
        Mock::given(any())
            .respond_with(ingest.clone())
            .mount(&server)
            .await;
        ingest.state.lock().unwrap().host = server.uri().trim_start_matches("http://").to_string();
        Server { server, ingest }
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// `http://KEY@127.0.0.1:PORT/42`.
    pub fn dsn(&self, key: &str) -> String {
        let uri = self.uri();
        let host = uri.trim_start_matches("http://");
        format!("http://{key}@{host}/{PROJECT_ID}")
    }

    pub fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.ingest.state.lock().unwrap()
    }
}

fn json_resp(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

impl Respond for Ingest {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut s = self.state.lock().unwrap();
        let path = req.url.path().to_string();
        let method = req.method.to_string();
        s.requests
            .push((method.clone(), path.clone(), Instant::now()));
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        if method == "POST" && parts.len() == 3 && parts[0] == "api" && parts[2] == "envelope" {
            return s.envelope(req, parts[1]);
        }
        let bearer = req
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if bearer != format!("Bearer {TOKEN}") {
            return json_resp(401, json!({"detail": "Invalid token"}));
        }
        let query: HashMap<String, String> = req
            .url
            .query_pairs()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        match (method.as_str(), parts.as_slice()) {
            ("GET", ["api", "0", "projects", org, project, "keys"])
                if *org == ORG && *project == PROJECT =>
            {
                if let Some(code) = s.keys_status {
                    return json_resp(
                        code,
                        json!({"detail": "You do not have permission to perform this action."}),
                    );
                }
                let host = s.host.clone();
                let limit = s.key_rate_limit.clone();
                let key = |k: &str, active: bool| {
                    let mut v = key_json(k, active, &host);
                    if active {
                        v["rateLimit"] = limit.clone();
                    }
                    v
                };
                // Two pages: the inactive key, then the active one.
                if query.get("cursor").map(String::as_str) == Some("0:1:0") {
                    json_resp(200, json!([key(KEY, true)]))
                        .insert_header("link", link(&req.url, "0:1:0", false).as_str())
                } else {
                    json_resp(200, json!([key(OLD_KEY, false)]))
                        .insert_header("link", link(&req.url, "0:1:0", true).as_str())
                }
            }
            ("GET", ["api", "0", "projects", org, project, "events", id])
                if *org == ORG && (*project == PROJECT || *project == PROJECT_ID) =>
            {
                let visible = s.visible_after;
                match s.received.iter().find(|r| r.event_id == *id) {
                    Some(r) if visible.is_some_and(|d| r.at.elapsed() >= d) => {
                        let ts = r.payload["timestamp"].as_f64().unwrap_or(0.0);
                        let created =
                            chrono::DateTime::from_timestamp_micros((ts * 1e6) as i64).unwrap();
                        json_resp(
                            200,
                            json!({
                                "id": id, "eventID": id, "groupID": "1001", "projectID": PROJECT_ID,
                                "message": r.payload["message"], "title": r.payload["message"],
                                "dateCreated": rfc3339(created),
                                "dateReceived": rfc3339(created + chrono::Duration::milliseconds(35)),
                                "tags": [{"key": "obsctl.test", "value": "true"}],
                                "type": "default", "platform": "other", "entries": [],
                            }),
                        )
                    }
                    _ => json_resp(404, json!({"detail": "Event not found"})),
                }
            }
            ("GET", ["api", "0", "organizations", org, "stats_v2"]) if *org == ORG => {
                if let Some(code) = s.stats_status {
                    return json_resp(
                        code,
                        json!({"detail": "You do not have permission to perform this action."}),
                    );
                }
                for required in ["field", "groupBy"] {
                    if !query.contains_key(required) {
                        s.violations.push(format!("stats_v2 without {required}"));
                    }
                }
                json_resp(
                    200,
                    json!({
                        "start": "2026-01-01T00:00:00Z", "end": "2026-01-01T01:00:00Z",
                        "intervals": ["2026-01-01T00:00:00Z"], "groups": s.stats_groups,
                    }),
                )
            }
            ("GET", ["api", "0", "organizations", org, "detectors"]) if *org == ORG => {
                let list: Vec<Value> = (0..s.detectors.len()).map(|i| s.detector(i)).collect();
                json_resp(200, Value::Array(list))
            }
            ("GET", ["api", "0", "organizations", org, "detectors", id]) if *org == ORG => {
                match s.detectors.iter().position(|d| d["id"] == *id) {
                    Some(i) => json_resp(200, s.detector(i)),
                    None => json_resp(
                        404,
                        json!({"detail": "The requested resource does not exist"}),
                    ),
                }
            }
            _ => json_resp(
                404,
                json!({"detail": "The requested resource does not exist"}),
            ),
        }
    }
}

fn link(url: &reqwest::Url, cursor: &str, more: bool) -> String {
    let mut next = url.clone();
    next.set_query(Some(&format!("cursor={cursor}")));
    format!(
        "<{next}>; rel=\"previous\"; results=\"false\"; cursor=\"0:0:1\", <{next}>; rel=\"next\"; results=\"{more}\"; cursor=\"{cursor}\""
    )
}

pub fn key_json(key: &str, active: bool, host: &str) -> Value {
    let ingest = format!("http://{host}/api/{PROJECT_ID}");
    json!({
        "id": key, "name": "Default", "label": "Default", "public": key, "secret": "5c241ebc42ccfbec281cbefbedc7ab96",
        "projectId": 42, "isActive": active, "rateLimit": null,
        "dsn": {
            "secret": format!("http://{key}:5c241ebc42ccfbec281cbefbedc7ab96@{host}/{PROJECT_ID}"),
            "public": format!("http://{key}@{host}/{PROJECT_ID}"),
            "csp": format!("{ingest}/csp-report/?sentry_key={key}"),
            "security": format!("{ingest}/security/?sentry_key={key}"),
            "minidump": format!("{ingest}/minidump/?sentry_key={key}"),
            "nel": format!("{ingest}/nel/?sentry_key={key}"),
            "unreal": format!("{ingest}/unreal/{key}/"),
            "crons": format!("{ingest}/crons/___MONITOR_SLUG___/{key}/"),
            "cdn": format!("https://js.sentry-cdn.com/{key}.min.js"),
            "playstation": format!("{ingest}/playstation/?sentry_key={key}"),
            "integration": format!("{ingest}/integration/"),
            "otlp_traces": format!("{ingest}/integration/otlp/v1/traces"),
            "otlp_logs": format!("{ingest}/integration/otlp/v1/logs"),
        },
        "browserSdkVersion": "7.x", "browserSdk": {"choices": [["7.x", "7.x"]]},
        "dateCreated": "2026-01-01T00:00:00Z",
        "dynamicSdkLoaderOptions": {"hasReplay": true, "hasPerformance": true, "hasDebug": false, "hasFeedback": false, "hasLogsAndMetrics": false},
    })
}

impl State {
    fn envelope(&mut self, req: &Request, project_id: &str) -> ResponseTemplate {
        self.envelope_posts += 1;
        let auth = req
            .headers
            .get("x-sentry-auth")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let pairs: HashMap<&str, &str> = auth
            .trim_start_matches("Sentry ")
            .split(',')
            .filter_map(|p| p.trim().split_once('='))
            .collect();
        let Some(key) = pairs.get("sentry_key").copied() else {
            return json_resp(403, json!({"detail": "missing authorization information"}));
        };
        if pairs.get("sentry_version") != Some(&"7") {
            self.violations
                .push(format!("X-Sentry-Auth without sentry_version=7: {auth}"));
        }
        let dsn = format!("http://{key}@{}/{project_id}", self.host);
        self.violations
            .extend(violations("sentry/dsn.json", None, &Value::String(dsn)));
        if let Intake::Status(code, detail) = &self.intake {
            return json_resp(*code, json!({"detail": detail}));
        }
        if key != KEY || project_id != PROJECT_ID {
            return json_resp(
                403,
                json!({"detail": "event submission rejected with_reason: ProjectId"}),
            );
        }
        let (header, payload) = match parse_envelope(&req.body) {
            Ok(x) => x,
            Err(e) => {
                self.violations.push(e.clone());
                return json_resp(400, json!({"detail": e}));
            }
        };
        let mut bad = violations("sentry/envelope.json", Some("envelopeHeader"), &header);
        bad.extend(violations(
            "sentry/envelope.json",
            Some("eventPayload"),
            &payload,
        ));
        if !bad.is_empty() {
            self.violations.extend(bad.clone());
            return json_resp(400, json!({"detail": bad.join("; ")}));
        }
        if let Intake::RateLimitAfter {
            accepted,
            retry_after,
            limits,
        } = &self.intake
        {
            if self.received.len() >= *accepted {
                let mut t = json_resp(
                    429,
                    json!({"detail": "Sentry dropped data due to a quota or internal rate limit being reached. This will not affect your application."}),
                );
                if let Some(r) = retry_after {
                    t = t.insert_header("retry-after", r.as_str());
                }
                if let Some(l) = limits {
                    t = t.insert_header("x-sentry-rate-limits", l.as_str());
                }
                return t;
            }
        }
        let event_id = payload["event_id"].as_str().unwrap_or("").to_string();
        self.received.push(Received {
            event_id: event_id.clone(),
            at: Instant::now(),
            payload,
            header,
            auth,
        });
        json_resp(200, json!({"id": event_id}))
    }

    /// A detector as the API returns it; `latestGroup` moves once enough
    /// test errors arrived (and `fire_delay` passed since the last needed one).
    fn detector(&self, i: usize) -> Value {
        let mut d = self.detectors[i].clone();
        if let Some(n) = self.fire_after_errors {
            if self.received.len() >= n && self.received[n - 1].at.elapsed() >= self.fire_delay {
                let now = rfc3339(chrono::Utc::now());
                d["latestGroup"] = json!({
                    "id": "2002", "title": d["name"], "shortId": "WEB-2", "status": "unresolved",
                    "firstSeen": now, "lastSeen": now, "issueType": "metric_issue", "issueCategory": "metric",
                });
            }
        }
        d
    }
}

/// Split an envelope into its header and its one event payload, checking
/// the item header and its `length` (contract `x-wire-format.rules`).
pub fn parse_envelope(body: &[u8]) -> Result<(Value, Value), String> {
    let text = std::str::from_utf8(body).map_err(|_| "envelope is not UTF-8".to_string())?;
    let mut lines = text.splitn(3, '\n');
    let header: Value = serde_json::from_str(lines.next().unwrap_or(""))
        .map_err(|e| format!("envelope header is not one JSON line: {e}"))?;
    let item: Value = serde_json::from_str(lines.next().unwrap_or(""))
        .map_err(|e| format!("item header is not one JSON line: {e}"))?;
    let bad = violations("sentry/envelope.json", Some("itemHeader"), &item);
    if !bad.is_empty() {
        return Err(bad.join("; "));
    }
    if item["type"] != "event" {
        return Err(format!("expected an event item, got {}", item["type"]));
    }
    let rest = lines.next().unwrap_or("");
    let payload = match item["length"].as_u64() {
        Some(n) => {
            let n = n as usize;
            if rest.len() < n || !(rest.len() == n || rest.as_bytes()[n] == b'\n') {
                return Err(format!(
                    "item length {n} does not match the payload ({} bytes)",
                    rest.len()
                ));
            }
            &rest[..n]
        }
        None => rest.split('\n').next().unwrap_or(""),
    };
    let payload: Value =
        serde_json::from_str(payload).map_err(|e| format!("event payload is not JSON: {e}"))?;
    let id = payload["event_id"].as_str().unwrap_or("");
    let hid = header["event_id"].as_str().unwrap_or("").replace('-', "");
    if id != hid {
        return Err(format!(
            "envelope event_id {hid} differs from the payload's {id}"
        ));
    }
    Ok((header, payload))
}
