//! Sentry monitors (detectors), alerts (workflows), integrations and project
//! teams — the current alerting API:
//! `GET .../organizations/{org}/detectors/?project=`, `POST .../projects/{project}/detectors/`,
//! `PUT|DELETE .../detectors/{id}/`, `GET|POST .../workflows/`, `PUT|DELETE .../workflows/{id}/`,
//! `GET .../integrations/?providerKey=`, `GET /api/0/projects/{org}/{project}/teams/`,
//! `GET .../detectors/{id}/` (answer checked against `get-organization-detector.json`).
//!
//! Like Sentry it validates every body against the contracts (the derived
//! wire schemas: bad windows, a missing resolve condition, an unknown
//! dataset, more than 3 conditions) plus what its validators add (the
//! retired `transactions` dataset, uptime intervals and timeouts, unknown
//! `detectorIds`); stores and answers in its response shape (ids, nested
//! `queryObj.snubaQuery`), reorders conditions (resolve first), turns
//! `100.0` into `100` and rewrites `transaction.duration` aggregates to
//! `span.duration`; pages every list with `Link` cursors; answers 403 to a
//! token without the scope an operation needs ([`Monitors::scopes`]).
//!
//! Firing ([`Monitors::fire`], for `alerts test`): once enough test errors
//! were accepted ([`super::envelope`]) and a delay passed, the monitors'
//! `latestGroup` is the issue they opened.

use std::time::Duration;

use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use super::super::{Call, Route, State, checked_reply, contract, json_reply, now};
use super::envelope::Envelopes;
use super::{not_found, other_org};

/// When monitors fire: after `errors` accepted events, `delay` after the last of them.
#[derive(Clone, Copy, Debug)]
pub struct Fire {
    pub errors: usize,
    pub delay: Duration,
}

/// What the fake keeps of monitors and alerts.
pub struct Monitors {
    /// Stored monitors in Sentry's answer shape, with `_project` (stripped when answering).
    pub detectors: Vec<Value>,
    pub workflows: Vec<Value>,
    /// The organization's integrations (see [`slack_integration`]).
    pub integrations: Vec<Value>,
    /// The token's scopes.
    pub scopes: Vec<String>,
    /// Items per page of every list.
    pub page_size: usize,
    /// When the monitors fire (`None`: never, `latestGroup` as stored).
    pub fire: Option<Fire>,
}

impl Default for Monitors {
    fn default() -> Self {
        Monitors {
            detectors: vec![],
            workflows: vec![],
            integrations: vec![],
            scopes: vec![
                "alerts:read".into(),
                "alerts:write".into(),
                "org:read".into(),
            ],
            page_size: 2,
            fire: None,
        }
    }
}

impl Monitors {
    /// A monitor as if clicked together in Sentry's UI (request shape in); its id.
    pub fn seed_detector(s: &mut State, project: &str, body: Value) -> String {
        let id = s.id().to_string();
        let stored = store_detector(s, &id, project, &body);
        s.area::<Monitors>().detectors.push(stored);
        id
    }

    /// An alert as if clicked together in Sentry's UI; its id.
    pub fn seed_workflow(s: &mut State, body: Value) -> String {
        let id = s.id().to_string();
        let stored = store_workflow(s, &id, &body);
        s.area::<Monitors>().workflows.push(stored);
        id
    }

    /// Sentry's Slack integration (id 24817) in the organization.
    pub fn slack_integration(&mut self) {
        self.integrations.push(json!({
            "id": "24817", "name": "Acme", "icon": null, "domainName": "acme.slack.com",
            "accountType": null, "scopes": ["channels:read", "chat:write"], "outOfDate": false,
            "status": "active",
            "provider": {"key": "slack", "slug": "slack", "name": "Slack", "canAdd": true,
                "canDisable": false, "features": ["alert-rule"], "aspects": {}},
            "configOrganization": [], "configData": {}, "externalId": "T123",
            "organizationId": 1, "organizationIntegrationStatus": "active", "gracePeriodEnd": null
        }));
    }

    /// The monitors as Sentry lists them.
    pub fn answered_detectors(&self) -> Vec<Value> {
        self.detectors.iter().map(answer).collect()
    }

    /// A monitor stored as given (Sentry's answer shape), in `project`.
    pub fn put_detector(&mut self, project: &str, mut d: Value) {
        d["_project"] = json!(project);
        self.detectors.push(d);
    }
}

/// Whether the monitors have fired by now ([`Monitors::fire`]).
fn fired(s: &mut State) -> bool {
    let Some(f) = s.area::<Monitors>().fire else {
        return false;
    };
    Envelopes::nth_at(s, f.errors).is_some_and(|at| at.elapsed() >= f.delay)
}

/// A stored monitor as Sentry answers it now: once fired, `latestGroup`
/// is the issue it opened.
fn answer_now(d: &Value, fired: bool) -> Value {
    let mut d = answer(d);
    if fired {
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        d["latestGroup"] = json!({
            "id": "2002", "title": d["name"], "shortId": "WEB-2", "status": "unresolved",
            "firstSeen": now, "lastSeen": now, "issueType": "metric_issue", "issueCategory": "metric",
        });
    }
    d
}

pub fn routes() -> Vec<Route> {
    const ORG: &str = "/api/0/organizations/{org}";
    let _ = ORG;
    vec![
        Route::new(
            "sentry.list_detectors",
            "GET",
            "/api/0/organizations/{org}/detectors/",
            list_detectors,
        ),
        Route::new(
            "sentry.create_detector",
            "POST",
            "/api/0/organizations/{org}/projects/{project}/detectors/",
            create_detector,
        )
        .check(check_create_detector),
        Route::new(
            "sentry.update_detector",
            "PUT",
            "/api/0/organizations/{org}/detectors/{id}/",
            update_detector,
        )
        .check(check_update_detector),
        Route::new(
            "sentry.get_detector",
            "GET",
            "/api/0/organizations/{org}/detectors/{id}/",
            get_detector,
        ),
        Route::new(
            "sentry.delete_detector",
            "DELETE",
            "/api/0/organizations/{org}/detectors/{id}/",
            delete_detector,
        ),
        Route::new(
            "sentry.list_workflows",
            "GET",
            "/api/0/organizations/{org}/workflows/",
            list_workflows,
        ),
        Route::new(
            "sentry.create_workflow",
            "POST",
            "/api/0/organizations/{org}/workflows/",
            create_workflow,
        )
        .contract_root("sentry/workflow-request.derived.json"),
        Route::new(
            "sentry.update_workflow",
            "PUT",
            "/api/0/organizations/{org}/workflows/{id}/",
            update_workflow,
        )
        .contract_root("sentry/workflow-request.derived.json")
        .contract("sentry/update-organization-workflow.json", "request_wire"),
        Route::new(
            "sentry.delete_workflow",
            "DELETE",
            "/api/0/organizations/{org}/workflows/{id}/",
            delete_workflow,
        ),
        Route::new(
            "sentry.list_integrations",
            "GET",
            "/api/0/organizations/{org}/integrations/",
            list_integrations,
        ),
        Route::new(
            "sentry.list_project_teams",
            "GET",
            "/api/0/projects/{org}/{project}/teams/",
            list_teams,
        ),
    ]
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
        json!({"id": s.id().to_string(), "organizationId": "1", "type": "uptime_subscription", "sourceId": s.id().to_string(),
            "queryObj": {"url": src["url"], "method": src["method"], "body": null, "headers": [],
                "intervalSeconds": src["intervalSeconds"], "timeoutMs": src["timeoutMs"], "traceSampling": false}})
    } else {
        let aggregate = src["aggregate"]
            .as_str()
            .unwrap_or("")
            .replace("transaction.duration", "span.duration");
        json!({"id": s.id().to_string(), "organizationId": "1", "type": "snuba_query_subscription", "sourceId": s.id().to_string(),
            "queryObj": {"id": s.id().to_string(), "status": 1, "subscription": null, "snubaQuery": {
                "id": s.id().to_string(), "dataset": src["dataset"], "query": src["query"], "aggregate": aggregate,
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
        .map(|c| json!({"id": s.id().to_string(), "type": c["type"], "comparison": int_form(&c["comparison"]), "conditionResult": c["conditionResult"]}))
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
        "conditionGroup": {"id": s.id().to_string(), "organizationId": "1", "logicType": body["conditionGroup"]["logicType"].as_str().unwrap_or("any"), "conditions": conditions, "actions": []},
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
                c["id"] = json!(s.id().to_string());
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
            json!({"id": s.id().to_string(), "organizationId": "1", "logicType": f["logicType"],
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
        "triggers": {"id": s.id().to_string(), "organizationId": "1", "logicType": body["triggers"]["logicType"],
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
    let mut out = contract::errors(
        "sentry/create-project-detector.json",
        Some("request"),
        &snake_request(body),
    );
    if update {
        out.extend(contract::errors(
            "sentry/update-organization-detector.json",
            Some("request_wire"),
            body,
        ));
    }
    match body["type"].as_str() {
        Some("metric_issue") => {
            out.extend(contract::errors(
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
    let mut out = contract::errors("sentry/workflow-request.derived.json", None, body);
    if update {
        out.extend(contract::errors(
            "sentry/update-organization-workflow.json",
            Some("request_wire"),
            body,
        ));
    }
    out
}

fn check_create_detector(_: &State, c: &Call) -> Vec<String> {
    detector_problems(&c.body, false)
}

fn check_update_detector(_: &State, c: &Call) -> Vec<String> {
    detector_problems(&c.body, true)
}

/// Sentry's answer shape of a stored monitor.
fn answer(d: &Value) -> Value {
    let mut d = d.clone();
    if let Some(o) = d.as_object_mut() {
        o.remove("_project");
    }
    d
}

/// Sentry's 403 when the token lacks `scope`.
fn denied(s: &mut State, scope: &str) -> Option<ResponseTemplate> {
    (!s.area::<Monitors>().scopes.iter().any(|x| x == scope)).then(|| {
        json_reply(
            403,
            json!({"detail": "You do not have permission to perform this action."}),
        )
    })
}

/// One page of `items` with Sentry's `Link` header (`results="true|false"`).
fn page(s: &mut State, items: Vec<Value>, c: &Call) -> ResponseTemplate {
    let size = s.area::<Monitors>().page_size.max(1);
    let offset: usize = c
        .query("cursor")
        .and_then(|cur| cur.split(':').nth(1).and_then(|o| o.parse().ok()))
        .unwrap_or(0);
    let chunk: Vec<Value> = items.iter().skip(offset).take(size).cloned().collect();
    let more = offset + size < items.len();
    // Sentry's links keep the other query parameters (`project=…`); obsctl
    // follows the `cursor` on its own URL, as Sentry documents.
    let uri = format!("https://sentry.io{}", c.path);
    let mut keep: Vec<String> = c
        .query
        .iter()
        .filter(|(k, _)| *k != "cursor")
        .map(|(k, v)| format!("{k}={v}&"))
        .collect();
    keep.sort();
    let keep = keep.concat();
    let link = format!(
        "<{uri}?{keep}cursor=0:{prev}:1>; rel=\"previous\"; results=\"{}\"; cursor=\"0:{prev}:1\", <{uri}?{keep}cursor=0:{next}:0>; rel=\"next\"; results=\"{more}\"; cursor=\"0:{next}:0\"",
        offset > 0,
        prev = offset.saturating_sub(size),
        next = offset + size
    );
    json_reply(200, json!(chunk)).insert_header("link", link.as_str())
}

fn list_detectors(s: &mut State, c: &Call) -> ResponseTemplate {
    if let Some(r) = other_org(c).or_else(|| denied(s, "alerts:read")) {
        return r;
    }
    let project = c.query("project").unwrap_or("").to_string();
    let fired = fired(s);
    let items: Vec<Value> = s
        .area::<Monitors>()
        .detectors
        .iter()
        .filter(|d| project.is_empty() || d["_project"] == project.as_str())
        .map(|d| answer_now(d, fired))
        .collect();
    page(s, items, c)
}

fn get_detector(s: &mut State, c: &Call) -> ResponseTemplate {
    if let Some(r) = other_org(c).or_else(|| denied(s, "alerts:read")) {
        return r;
    }
    let fired = fired(s);
    let found = s
        .area::<Monitors>()
        .detectors
        .iter()
        .find(|d| d["id"] == c.param("id"))
        .map(|d| answer_now(d, fired));
    match found {
        Some(d) => checked_reply(s, "sentry/get-organization-detector.json", d),
        None => not_found(),
    }
}

fn create_detector(s: &mut State, c: &Call) -> ResponseTemplate {
    if let Some(r) = other_org(c).or_else(|| denied(s, "alerts:write")) {
        return r;
    }
    let id = s.id().to_string();
    let stored = store_detector(s, &id, c.param("project"), &c.body);
    s.area::<Monitors>().detectors.push(stored.clone());
    json_reply(201, answer(&stored))
}

fn update_detector(s: &mut State, c: &Call) -> ResponseTemplate {
    if let Some(r) = other_org(c).or_else(|| denied(s, "alerts:write")) {
        return r;
    }
    let id = c.param("id").to_string();
    let Some(i) = s
        .area::<Monitors>()
        .detectors
        .iter()
        .position(|d| d["id"] == id.as_str())
    else {
        return not_found();
    };
    let old = s.area::<Monitors>().detectors[i].clone();
    let mut stored = store_detector(s, &id, old["_project"].as_str().unwrap_or(""), &c.body);
    stored["workflowIds"] = old["workflowIds"].clone();
    stored["dateCreated"] = old["dateCreated"].clone();
    s.area::<Monitors>().detectors[i] = stored.clone();
    json_reply(200, answer(&stored))
}

fn delete_detector(s: &mut State, c: &Call) -> ResponseTemplate {
    if let Some(r) = other_org(c).or_else(|| denied(s, "alerts:write")) {
        return r;
    }
    let m = s.area::<Monitors>();
    let before = m.detectors.len();
    m.detectors.retain(|d| d["id"] != c.param("id"));
    if m.detectors.len() == before {
        not_found()
    } else {
        ResponseTemplate::new(204)
    }
}

fn list_workflows(s: &mut State, c: &Call) -> ResponseTemplate {
    if let Some(r) = other_org(c).or_else(|| denied(s, "alerts:read")) {
        return r;
    }
    let items = s.area::<Monitors>().workflows.clone();
    page(s, items, c)
}

/// Sentry refuses alerts on monitors it does not know.
fn unknown_detectors(s: &mut State, body: &Value) -> Option<ResponseTemplate> {
    let known: Vec<String> = s
        .area::<Monitors>()
        .detectors
        .iter()
        .map(|d| d["id"].as_str().unwrap_or("").to_string())
        .collect();
    let unknown: Vec<String> = body["detectorIds"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            d.as_str()
                .map(String::from)
                .unwrap_or_else(|| d.to_string())
        })
        .filter(|d| !known.contains(d))
        .collect();
    (!unknown.is_empty()).then(|| {
        json_reply(
            400,
            json!({"detectorIds": [format!("unknown monitors {unknown:?}")]}),
        )
    })
}

fn create_workflow(s: &mut State, c: &Call) -> ResponseTemplate {
    if let Some(r) = other_org(c)
        .or_else(|| denied(s, "alerts:write"))
        .or_else(|| unknown_detectors(s, &c.body))
    {
        return r;
    }
    let id = s.id().to_string();
    let stored = store_workflow(s, &id, &c.body);
    s.area::<Monitors>().workflows.push(stored.clone());
    json_reply(201, stored)
}

fn update_workflow(s: &mut State, c: &Call) -> ResponseTemplate {
    if let Some(r) = other_org(c)
        .or_else(|| denied(s, "alerts:write"))
        .or_else(|| unknown_detectors(s, &c.body))
    {
        return r;
    }
    let id = c.param("id").to_string();
    let Some(i) = s
        .area::<Monitors>()
        .workflows
        .iter()
        .position(|w| w["id"] == id.as_str())
    else {
        return not_found();
    };
    let stored = store_workflow(s, &id, &c.body);
    s.area::<Monitors>().workflows[i] = stored.clone();
    json_reply(200, stored)
}

fn delete_workflow(s: &mut State, c: &Call) -> ResponseTemplate {
    if let Some(r) = other_org(c).or_else(|| denied(s, "alerts:write")) {
        return r;
    }
    let m = s.area::<Monitors>();
    let before = m.workflows.len();
    m.workflows.retain(|w| w["id"] != c.param("id"));
    if m.workflows.len() == before {
        not_found()
    } else {
        ResponseTemplate::new(204)
    }
}

fn list_integrations(s: &mut State, c: &Call) -> ResponseTemplate {
    if let Some(r) = other_org(c).or_else(|| denied(s, "org:read")) {
        return r;
    }
    let provider = c.query("providerKey").map(String::from);
    let items: Vec<Value> = s
        .area::<Monitors>()
        .integrations
        .iter()
        .filter(|i| {
            provider
                .as_deref()
                .is_none_or(|p| i["provider"]["key"] == p)
        })
        .cloned()
        .collect();
    page(s, items, c)
}

fn list_teams(s: &mut State, c: &Call) -> ResponseTemplate {
    if let Some(r) = other_org(c).or_else(|| denied(s, "org:read")) {
        return r;
    }
    let p = c.param("project").to_string();
    page(
        s,
        vec![json!({"id": "456", "slug": format!("{p}-team"), "name": "Web team"})],
        c,
    )
}
