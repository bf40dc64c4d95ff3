//! A loopback fake of Sentry's monitors (detectors), alerts (workflows),
//! integrations and project teams, plus Slack's `conversations.list`:
//! self-contained, to be plugged into the one Sentry fake (`tests/support/
//! sentry/`) as one route file once that layout lands.
//!
//! Like Sentry it: validates every body against the contracts in
//! `../shared/contracts/sentry/` (400 with the reasons otherwise: bad
//! windows, a missing resolve condition, an unknown dataset, more than 3
//! conditions, …; the retired `transactions` dataset too); stores and
//! answers in its own response shape (ids, nested `queryObj.snubaQuery`),
//! reorders conditions (resolve first), turns `100.0` into `100` and rewrites
//! `transaction.duration` aggregates to `span.duration`; pages every list
//! with `Link` cursors (`results="true|false"`); answers 403 to a token
//! without the scope an operation needs.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const ORG: &str = "acme";
pub const TOKEN: &str = "sntrys_fake_alerts_token_0123456789abcdef";
pub const SLACK_TOKEN: &str = "xoxb-fake-4242-AlErTsSlAcKtOkEn";

/// `../shared/contracts` (or `OBSCTL_CONTRACTS_DIR`).
pub fn contracts_dir() -> PathBuf {
    std::env::var_os("OBSCTL_CONTRACTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/contracts"))
}

/// Every violation of `instance` against `file` (`def`: one of its `$defs`, else the root).
pub fn violations(file: &str, def: Option<&str>, instance: &Value) -> Vec<String> {
    let path = contracts_dir().join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let mut schema: Value = serde_json::from_str(&text).expect("contract is JSON");
    let obj = schema.as_object_mut().expect("schema object");
    obj.remove("$id");
    if let Some(def) = def {
        for key in [
            "type",
            "properties",
            "anyOf",
            "required",
            "allOf",
            "oneOf",
            "if",
            "then",
            "else",
        ] {
            obj.remove(key);
        }
        obj.insert("$ref".into(), json!(format!("#/$defs/{def}")));
    }
    let v = jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("compiling {file}: {e}"));
    v.iter_errors(instance)
        .map(|e| format!("{file}: {e} at {}", e.instance_path()))
        .collect()
}

#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: String,
    pub body: Value,
}

#[derive(Default)]
pub struct State {
    pub seen: Vec<Seen>,
    /// Stored monitors, in Sentry's answer shape (with `_project`, stripped when answering).
    pub detectors: Vec<Value>,
    pub workflows: Vec<Value>,
    pub integrations: Vec<Value>,
    /// Slack channels (`{id, name}`) for conversations.list.
    pub channels: Vec<Value>,
    /// Scopes of the token (default: alerts:read, alerts:write, org:read).
    pub scopes: Vec<String>,
    /// Items per page of every list.
    pub page_size: usize,
    pub rejected: Vec<String>,
    /// The next this many monitor creates are stored, then answered 502
    /// (the answer is lost: the caller cannot know it worked).
    pub lose_create_answers: usize,
    next_id: u64,
}

impl State {
    pub fn writes(&self) -> Vec<String> {
        self.seen
            .iter()
            .filter(|s| s.method != "GET")
            .map(|s| format!("{} {}", s.method, s.path))
            .collect()
    }

    pub fn detector_named(&self, name: &str) -> Vec<&Value> {
        self.detectors
            .iter()
            .filter(|d| d["name"] == name)
            .collect()
    }

    fn id(&mut self) -> String {
        self.next_id += 1;
        (1000 + self.next_id).to_string()
    }
}

#[derive(Clone)]
pub struct AlertsFake {
    pub state: Arc<Mutex<State>>,
    pub server: Arc<MockServer>,
}

impl AlertsFake {
    pub async fn start() -> AlertsFake {
        let server = MockServer::start().await;
        let state = Arc::new(Mutex::new(State {
            scopes: vec![
                "alerts:read".into(),
                "alerts:write".into(),
                "org:read".into(),
            ],
            page_size: 2,
            next_id: 0,
            ..State::default()
        }));
        let handler = Handler {
            state: state.clone(),
        };
        Mock::given(any())
            .respond_with(handler)
            .mount(&server)
            .await;
        AlertsFake {
            state,
            server: Arc::new(server),
        }
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    pub fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut self.state.lock().unwrap())
    }

    /// Add a Slack integration (id 24817) to the organization.
    pub fn slack_integration(&self) {
        self.with(|s| {
            s.integrations.push(json!({
                "id": "24817", "name": "Acme", "icon": null, "domainName": "acme.slack.com",
                "accountType": null, "scopes": ["channels:read", "chat:write"], "outOfDate": false,
                "status": "active",
                "provider": {"key": "slack", "slug": "slack", "name": "Slack", "canAdd": true,
                    "canDisable": false, "features": ["alert-rule"], "aspects": {}},
                "configOrganization": [], "configData": {}, "externalId": "T123",
                "organizationId": 1, "organizationIntegrationStatus": "active", "gracePeriodEnd": null
            }))
        });
    }

    /// Store a monitor as if clicked together in Sentry's UI (request shape in, answer shape stored).
    pub fn seed_detector(&self, project: &str, body: Value) -> String {
        self.with(|s| {
            let id = s.id();
            let stored = store_detector(s, &id, project, &body);
            s.detectors.push(stored);
            id
        })
    }

    pub fn seed_workflow(&self, body: Value) -> String {
        self.with(|s| {
            let id = s.id();
            let stored = store_workflow(s, &id, &body);
            s.workflows.push(stored);
            id
        })
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// `100.0` → `100`.
fn int_form(v: &Value) -> Value {
    match v.as_f64() {
        Some(x) if v.is_f64() && x.fract() == 0.0 && x.abs() < 9e15 => json!(x as i64),
        _ => v.clone(),
    }
}

fn store_detector(s: &mut State, id: &str, project: &str, body: &Value) -> Value {
    let src = &body["dataSources"][0];
    let data_source = if body["type"] == "uptime_domain_failure" {
        json!({"id": s.id(), "organizationId": "1", "type": "uptime_subscription", "sourceId": s.id(),
            "queryObj": {"url": src["url"], "method": src["method"], "body": null, "headers": [],
                "intervalSeconds": src["intervalSeconds"], "timeoutMs": src["timeoutMs"], "traceSampling": false}})
    } else {
        let aggregate = src["aggregate"]
            .as_str()
            .unwrap_or("")
            .replace("transaction.duration", "span.duration");
        json!({"id": s.id(), "organizationId": "1", "type": "snuba_query_subscription", "sourceId": s.id(),
            "queryObj": {"id": s.id(), "status": 1, "subscription": null, "snubaQuery": {
                "id": s.id(), "dataset": src["dataset"], "query": src["query"], "aggregate": aggregate,
                "timeWindow": int_form(&src["timeWindow"]), "environment": src["environment"],
                "eventTypes": src["eventTypes"], "extrapolationMode": "client_and_server_weighted"}}})
    };
    let mut conditions: Vec<Value> = if body["type"] == "uptime_domain_failure" {
        vec![
            json!({"type": "eq", "comparison": "failure", "conditionResult": 75}),
            json!({"type": "eq", "comparison": "success", "conditionResult": 0}),
        ]
    } else {
        body["conditionGroup"]["conditions"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    // Sentry's order: the resolve condition first.
    conditions.sort_by_key(|c| c["conditionResult"].as_i64().unwrap_or(0));
    let conditions: Vec<Value> = conditions
        .into_iter()
        .map(|c| json!({"id": s.id(), "type": c["type"], "comparison": int_form(&c["comparison"]), "conditionResult": c["conditionResult"]}))
        .collect();
    let mut config = body["config"].clone();
    if body["type"] == "uptime_domain_failure" {
        config["downtimeThreshold"] = config.get("downtimeThreshold").cloned().unwrap_or(json!(3));
        config["recoveryThreshold"] = config.get("recoveryThreshold").cloned().unwrap_or(json!(1));
    }
    json!({
        "id": id, "projectId": "1", "_project": project,
        "name": body["name"], "description": body.get("description").cloned().unwrap_or(Value::Null),
        "type": body["type"], "workflowIds": [], "owner": null, "createdBy": "1",
        "dateCreated": now(), "dateUpdated": now(),
        "dataSources": [data_source],
        "conditionGroup": {"id": s.id(), "organizationId": "1", "logicType": body["conditionGroup"]["logicType"].as_str().unwrap_or("any"), "conditions": conditions, "actions": []},
        "config": config, "enabled": body.get("enabled").cloned().unwrap_or(json!(true)), "latestGroup": null
    })
}

fn store_workflow(s: &mut State, id: &str, body: &Value) -> Value {
    let with_ids = |s: &mut State, list: &Value| -> Vec<Value> {
        let mut items: Vec<Value> = list.as_array().cloned().unwrap_or_default();
        // Sentry answers in its own order.
        items.reverse();
        items
            .into_iter()
            .map(|mut c| {
                c["id"] = json!(s.id());
                if c.get("comparison").is_some() {
                    c["comparison"] = int_form(&c["comparison"]);
                }
                c
            })
            .collect()
    };
    let triggers_conditions = with_ids(s, &body["triggers"]["conditions"]);
    let filters: Vec<Value> = body["actionFilters"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|f| {
            json!({"id": s.id(), "organizationId": "1", "logicType": f["logicType"],
                "conditions": with_ids(s, &f["conditions"]), "actions": with_ids(s, &f["actions"])})
        })
        .collect();
    let detector_ids: Vec<Value> = body["detectorIds"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|d| {
            json!(
                d.as_str()
                    .map(String::from)
                    .unwrap_or_else(|| d.to_string())
            )
        })
        .collect();
    json!({
        "id": id, "name": body["name"], "organizationId": "1", "createdBy": "1",
        "dateCreated": now(), "dateUpdated": now(),
        "triggers": {"id": s.id(), "organizationId": "1", "logicType": body["triggers"]["logicType"],
            "conditions": triggers_conditions, "actions": []},
        "actionFilters": filters,
        "environment": body.get("environment").cloned().unwrap_or(Value::Null),
        "config": if body["config"].as_object().is_some_and(|c| !c.is_empty()) { body["config"].clone() } else { json!({"frequency": 30}) },
        "detectorIds": detector_ids, "enabled": body.get("enabled").cloned().unwrap_or(json!(true)),
        "lastTriggered": null, "owner": null
    })
}

/// What Sentry rejects in a monitor body (400 reasons), beyond nothing.
pub fn detector_problems(body: &Value, update: bool) -> Vec<String> {
    let mut out = violations(
        "sentry/create-project-detector.json",
        Some("request"),
        &snake_request(body),
    );
    if update {
        out.extend(violations(
            "sentry/update-organization-detector.json",
            Some("request_wire"),
            body,
        ));
    }
    match body["type"].as_str() {
        Some("metric_issue") => {
            out.extend(violations(
                "sentry/metric-detector-request.derived.json",
                None,
                body,
            ));
            if matches!(
                body["dataSources"][0]["dataset"].as_str(),
                Some("transactions" | "generic_metrics")
            ) {
                out.push("dataSources: the transactions dataset is retired: use events_analytics_platform".into());
            }
        }
        Some("uptime_domain_failure") => {
            let src = &body["dataSources"][0];
            if !src["url"].as_str().is_some_and(|u| u.starts_with("http")) {
                out.push("dataSources.url: a URL is required".into());
            }
            if ![60, 300, 600, 1200, 1800, 3600]
                .contains(&src["intervalSeconds"].as_i64().unwrap_or(0))
            {
                out.push("dataSources.intervalSeconds: not a valid interval".into());
            }
            if !(1000..=30000).contains(&src["timeoutMs"].as_i64().unwrap_or(0)) {
                out.push("dataSources.timeoutMs: out of range".into());
            }
        }
        other => out.push(format!(
            "type: {other:?} is not a monitor type obsctl creates"
        )),
    }
    out
}

/// The create contract names request fields in snake case (Sentry takes both).
fn snake_request(body: &Value) -> Value {
    let mut b = body.clone();
    if let Some(o) = b.as_object_mut() {
        for (camel, snake) in [
            ("dataSources", "data_sources"),
            ("conditionGroup", "condition_group"),
            ("workflowIds", "workflow_ids"),
        ] {
            if let Some(v) = o.remove(camel) {
                o.insert(snake.into(), v);
            }
        }
        if let Some(g) = o.get_mut("condition_group").and_then(Value::as_object_mut) {
            if let Some(v) = g.remove("logicType") {
                g.insert("logic_type".into(), v);
            }
        }
    }
    b
}

pub fn workflow_problems(body: &Value, update: bool) -> Vec<String> {
    let mut out = violations("sentry/workflow-request.derived.json", None, body);
    if update {
        out.extend(violations(
            "sentry/update-organization-workflow.json",
            Some("request_wire"),
            body,
        ));
    }
    out
}

struct Handler {
    state: Arc<Mutex<State>>,
}

fn page(s: &State, items: Vec<Value>, uri: &str, query: &str) -> ResponseTemplate {
    let offset: usize = query
        .split('&')
        .find_map(|p| p.strip_prefix("cursor="))
        .and_then(|c| {
            c.replace("%3A", ":")
                .split(':')
                .nth(1)
                .and_then(|o| o.parse().ok())
        })
        .unwrap_or(0);
    let size = s.page_size.max(1);
    let chunk: Vec<Value> = items.iter().skip(offset).take(size).cloned().collect();
    let more = offset + size < items.len();
    // Sentry's links keep the other query parameters (`project=…`).
    let keep: String = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("cursor="))
        .map(|p| format!("{p}&"))
        .collect();
    let link = format!(
        "<{uri}?{keep}cursor=0:{prev}:1>; rel=\"previous\"; results=\"{}\"; cursor=\"0:{prev}:1\", <{uri}?{keep}cursor=0:{next}:0>; rel=\"next\"; results=\"{more}\"; cursor=\"0:{next}:0\"",
        offset > 0,
        prev = offset.saturating_sub(size),
        next = offset + size
    );
    ResponseTemplate::new(200)
        .set_body_json(chunk)
        .insert_header("link", link.as_str())
}

fn bad(problems: Vec<String>) -> ResponseTemplate {
    ResponseTemplate::new(400).set_body_json(json!({"detail": problems}))
}

impl Respond for Handler {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut s = self.state.lock().unwrap();
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        let path = req.url.path().to_string();
        let query = req.url.query().unwrap_or("").to_string();
        let method = req.method.to_string();
        s.seen.push(Seen {
            method: method.clone(),
            path: path.clone(),
            query: query.clone(),
            body: body.clone(),
        });
        let auth = req
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if path.starts_with("/api/conversations.list") {
            if auth != format!("Bearer {SLACK_TOKEN}") {
                return ResponseTemplate::new(200)
                    .set_body_json(json!({"ok": false, "error": "invalid_auth"}));
            }
            let offset: usize = query
                .split('&')
                .find_map(|p| p.strip_prefix("cursor="))
                .and_then(|c| c.strip_prefix("page"))
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            let chunk: Vec<Value> = s.channels.iter().skip(offset).take(1).cloned().collect();
            let next = if offset + 1 < s.channels.len() {
                format!("page{}", offset + 1)
            } else {
                String::new()
            };
            return ResponseTemplate::new(200).set_body_json(
                json!({"ok": true, "channels": chunk, "response_metadata": {"next_cursor": next}}),
            );
        }
        if auth != format!("Bearer {TOKEN}") {
            return ResponseTemplate::new(401).set_body_json(json!({"detail": "Invalid token"}));
        }
        let org = format!("/api/0/organizations/{ORG}/");
        let Some(rest) = path.strip_prefix(&org) else {
            if let Some(p) = path
                .strip_prefix(&format!("/api/0/projects/{ORG}/"))
                .and_then(|r| r.strip_suffix("/teams/"))
            {
                if !s.scopes.iter().any(|x| x == "org:read") {
                    return ResponseTemplate::new(403).set_body_json(
                        json!({"detail": "You do not have permission to perform this action."}),
                    );
                }
                let teams =
                    vec![json!({"id": "456", "slug": format!("{p}-team"), "name": "Web team"})];
                return page(
                    &s,
                    teams,
                    &format!("{}{path}", req.url.origin().ascii_serialization()),
                    &query,
                );
            }
            return ResponseTemplate::new(404).set_body_json(json!({"detail": "Not found"}));
        };
        let needed = match (method.as_str(), rest) {
            ("GET", r) if r.starts_with("integrations/") => "org:read",
            ("GET", _) => "alerts:read",
            _ => "alerts:write",
        };
        if !s.scopes.iter().any(|x| x == needed) {
            return ResponseTemplate::new(403).set_body_json(
                json!({"detail": "You do not have permission to perform this action."}),
            );
        }
        let parts: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
        let uri = format!("{}{path}", req.url.origin().ascii_serialization());
        match (method.as_str(), parts.as_slice()) {
            ("GET", ["detectors"]) => {
                let project = query
                    .split('&')
                    .find_map(|p| p.strip_prefix("project="))
                    .unwrap_or("");
                let items: Vec<Value> = s
                    .detectors
                    .iter()
                    .filter(|d| project.is_empty() || d["_project"] == project)
                    .map(|d| {
                        let mut d = d.clone();
                        d.as_object_mut().unwrap().remove("_project");
                        d
                    })
                    .collect();
                page(&s, items, &uri, &query)
            }
            ("POST", ["projects", project, "detectors"]) => {
                let problems = detector_problems(&body, false);
                if !problems.is_empty() {
                    s.rejected.extend(problems.clone());
                    return bad(problems);
                }
                let id = s.id();
                let stored = store_detector(&mut s, &id, project, &body);
                s.detectors.push(stored.clone());
                if s.lose_create_answers > 0 {
                    s.lose_create_answers -= 1;
                    return ResponseTemplate::new(502).set_body_string("Bad Gateway");
                }
                let mut out = stored;
                out.as_object_mut().unwrap().remove("_project");
                ResponseTemplate::new(201).set_body_json(out)
            }
            ("PUT", ["detectors", id]) => {
                let problems = detector_problems(&body, true);
                if !problems.is_empty() {
                    s.rejected.extend(problems.clone());
                    return bad(problems);
                }
                let Some(i) = s.detectors.iter().position(|d| d["id"] == *id) else {
                    return ResponseTemplate::new(404)
                        .set_body_json(json!({"detail": "Not found"}));
                };
                let project = s.detectors[i]["_project"]
                    .as_str()
                    .unwrap_or("")
                    .to_string();
                let mut stored = store_detector(&mut s, id, &project, &body);
                stored["workflowIds"] = s.detectors[i]["workflowIds"].clone();
                s.detectors[i] = stored.clone();
                stored.as_object_mut().unwrap().remove("_project");
                ResponseTemplate::new(200).set_body_json(stored)
            }
            ("DELETE", ["detectors", id]) => {
                let before = s.detectors.len();
                s.detectors.retain(|d| d["id"] != *id);
                if s.detectors.len() == before {
                    ResponseTemplate::new(404)
                } else {
                    ResponseTemplate::new(204)
                }
            }
            ("GET", ["workflows"]) => {
                let items = s.workflows.clone();
                page(&s, items, &uri, &query)
            }
            ("POST", ["workflows"]) | ("PUT", ["workflows", _]) => {
                let update = method == "PUT";
                let problems = workflow_problems(&body, update);
                if !problems.is_empty() {
                    s.rejected.extend(problems.clone());
                    return bad(problems);
                }
                let unknown: Vec<String> = body["detectorIds"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|d| {
                        d.as_str()
                            .map(String::from)
                            .unwrap_or_else(|| d.to_string())
                    })
                    .filter(|d| !s.detectors.iter().any(|x| x["id"] == *d))
                    .collect();
                if !unknown.is_empty() {
                    return bad(vec![format!("detectorIds: unknown monitors {unknown:?}")]);
                }
                let id = if update { parts[1].to_string() } else { s.id() };
                let stored = store_workflow(&mut s, &id, &body);
                if update {
                    let Some(i) = s.workflows.iter().position(|w| w["id"] == id) else {
                        return ResponseTemplate::new(404)
                            .set_body_json(json!({"detail": "Not found"}));
                    };
                    s.workflows[i] = stored.clone();
                    ResponseTemplate::new(200).set_body_json(stored)
                } else {
                    s.workflows.push(stored.clone());
                    ResponseTemplate::new(201).set_body_json(stored)
                }
            }
            ("DELETE", ["workflows", id]) => {
                let before = s.workflows.len();
                s.workflows.retain(|w| w["id"] != *id);
                if s.workflows.len() == before {
                    ResponseTemplate::new(404)
                } else {
                    ResponseTemplate::new(204)
                }
            }
            ("GET", ["integrations"]) => {
                let items = s.integrations.clone();
                page(&s, items, &uri, &query)
            }
            _ => ResponseTemplate::new(404).set_body_json(json!({"detail": "Not found"})),
        }
    }
}
