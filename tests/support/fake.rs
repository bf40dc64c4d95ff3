//! One stateful loopback fake of every API obsctl writes to — GitHub
//! (releases, deployments, statuses), Sentry (releases, deploys), the Slack
//! Web API, a Slack incoming webhook and a Discord webhook — with faults
//! injected per endpoint. Shared by tests/faults.rs, tests/secrets.rs and
//! tests/bad_input.rs (`#[path = "support/fake.rs"] mod fake;`).
//!
//! Every record the fake keeps is in [`State`], so that a test can assert
//! that a fault never produced a duplicate (or, for bad input, any write).
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Sentry Explore and release-health routes (`deploy verify`).
#[path = "sentry_explore.rs"]
pub mod sentry_explore;

pub const GH_TOKEN: &str = "sekrit-gh-token-0123456789";
pub const SENTRY_TOKEN: &str = "sekrit-sentry-token-0123456789";
pub const SLACK_TOKEN: &str = "xoxb-test-4242-sEkRiTsLaCkToKeN";
pub const HOOK_SECRET: &str = "HoOkSeCrEt0123456789abcd";
pub const DISCORD_ID: &str = "112233445566778899";
pub const DISCORD_SECRET: &str = "dIsCoRdSeCrEt_0123456789-abcdef";
/// The key of a DSN in the environment (obsctl never needs it, but must not print it).
pub const DSN_KEY: &str = "f00dfacecafebeef0123456789abcdef";

/// How long a hanging answer takes: longer than `OBSCTL_TIMEOUT=1`.
pub const HANG: Duration = Duration::from_secs(4);

/// Which endpoint a fault applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum At {
    /// `POST /repos/acme/web/releases`
    GhCreateRelease,
    /// `POST /repos/acme/web/deployments`
    GhCreateDeployment,
    /// `POST /repos/acme/web/deployments/{id}/statuses`
    GhCreateStatus,
    /// Any GitHub request (REST or GraphQL).
    GhAny,
    /// `POST /graphql`, any query.
    GhGraphql,
    /// `POST /graphql` with the deployments query of `dora report`.
    GhGqlDeployments,
    /// `POST /graphql` with the incident issues query of `dora report`.
    GhGqlIncidents,
    /// `POST /api/0/organizations/acme/releases/`
    SentryCreateRelease,
    /// `POST .../releases/{v}/deploys/`
    SentryCreateDeploy,
    /// Any Sentry request.
    SentryAny,
    /// `POST /api/chat.postMessage`
    SlackPost,
    /// Any Slack Web API request.
    SlackAny,
    /// The Slack incoming webhook.
    SlackHook,
    /// `POST` to the Discord webhook (execute).
    DiscordPost,
    /// Any Discord webhook request.
    DiscordAny,
}

impl At {
    /// Like [`At::matches`], telling the GraphQL queries apart by their body.
    pub fn matches_req(self, method: &str, path: &str, body: &Value) -> bool {
        let query = body["query"].as_str().unwrap_or("");
        match self {
            At::GhGqlDeployments => {
                At::GhGraphql.matches(method, path) && query.contains("ObsctlDoraDeployments")
            }
            At::GhGqlIncidents => {
                At::GhGraphql.matches(method, path) && query.contains("ObsctlDoraIncidents")
            }
            _ => self.matches(method, path),
        }
    }

    fn matches(self, method: &str, path: &str) -> bool {
        let post = method == "POST";
        match self {
            At::GhCreateRelease => post && path == "/repos/acme/web/releases",
            At::GhCreateDeployment => post && path == "/repos/acme/web/deployments",
            At::GhCreateStatus => post && path.ends_with("/statuses"),
            At::GhAny => path.starts_with("/repos/") || path == "/graphql",
            At::GhGraphql => method == "POST" && path == "/graphql",
            At::GhGqlDeployments | At::GhGqlIncidents => false,
            At::SentryCreateRelease => post && path == "/api/0/organizations/acme/releases/",
            At::SentryCreateDeploy => {
                post && path.starts_with("/api/0/") && path.ends_with("/deploys/")
            }
            At::SentryAny => path.starts_with("/api/0/"),
            At::SlackPost => path == "/api/chat.postMessage",
            At::SlackAny => path.starts_with("/api/chat."),
            At::SlackHook => path.starts_with("/services/"),
            At::DiscordPost => post && path.starts_with("/api/webhooks/"),
            At::DiscordAny => path.starts_with("/api/webhooks/"),
        }
    }
}

/// What the fake does instead of (or besides) answering normally.
#[derive(Clone, Debug)]
pub enum Act {
    /// Answer this, record nothing.
    Reply {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// Answer only after [`HANG`] (past the client's timeout); record nothing.
    Hang,
    /// Record the write as usual, then answer only after [`HANG`]: the
    /// response is lost although the record exists.
    RecordThenHang,
    /// Record the write as usual, then answer this status instead.
    RecordThenStatus(u16),
    /// Answer with this status and a body that reflects the request's
    /// `Authorization` header and full URL (a careless server).
    Echo(u16),
    /// Like `Echo`, as plain text placing the secret (the token, else the
    /// URL's last segment) across characters 200 and 400, where error texts
    /// are cut: a cut must never leave part of a secret behind.
    EchoLong(u16),
}

impl Act {
    pub fn status(status: u16, body: Value) -> Act {
        Act::Reply {
            status,
            headers: vec![],
            body: body.to_string(),
        }
    }

    pub fn text(status: u16, body: &str) -> Act {
        Act::Reply {
            status,
            headers: vec![],
            body: body.to_string(),
        }
    }

    pub fn with_headers(status: u16, headers: &[(&str, &str)], body: Value) -> Act {
        Act::Reply {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.to_string(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Rule {
    pub at: At,
    /// How many matching requests pass untouched before it applies.
    pub after: usize,
    /// How many requests it applies to (`usize::MAX`: always).
    pub times: usize,
    pub act: Act,
}

pub fn once(at: At, act: Act) -> Rule {
    Rule {
        at,
        after: 0,
        times: 1,
        act,
    }
}

impl Rule {
    /// Let the first `n` matching requests through.
    pub fn after(mut self, n: usize) -> Rule {
        self.after = n;
        self
    }
}

pub fn always(at: At, act: Act) -> Rule {
    Rule {
        at,
        after: 0,
        times: usize::MAX,
        act,
    }
}

#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub body: Value,
    /// The decoded query parameters, in order.
    pub query: Vec<(String, String)>,
    /// When it arrived.
    pub at: std::time::Instant,
}

impl Seen {
    /// The first value of query parameter `key`.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
pub struct State {
    pub seen: Vec<Seen>,
    pub rules: Vec<Rule>,
    next_id: u64,
    pub gh_releases: Vec<Value>,
    pub deployments: Vec<Value>,
    pub statuses: HashMap<u64, Vec<Value>>,
    pub sentry_releases: HashMap<String, Value>,
    pub sentry_deploys: HashMap<String, Vec<Value>>,
    pub slack_posts: Vec<Value>,
    pub slack_updates: Vec<Value>,
    pub hook_posts: Vec<Value>,
    pub discord_posts: Vec<Value>,
    pub discord_edits: Vec<Value>,
    /// Deployment nodes of the GraphQL `deployments` connection, newest first.
    pub gql_deployments: Vec<Value>,
    /// Issue nodes of the GraphQL `issues` connection (incidents), newest first.
    pub gql_issues: Vec<Value>,
    /// Sentry Explore / sessions aggregates per (project, release).
    pub explore: sentry_explore::Seed,
    /// Delay of every Explore and sessions answer (concurrency tests).
    pub explore_delay: Duration,
    /// REST issues (`--open-incident`).
    pub issues: Vec<Value>,
}

impl State {
    /// Requests that could have written something (anything but GET and
    /// GraphQL queries, which only read).
    pub fn writes(&self) -> Vec<String> {
        self.seen
            .iter()
            .filter(|s| s.method != "GET" && !is_graphql_query(s))
            .map(|s| format!("{} {}", s.method, s.path))
            .collect()
    }

    pub fn count(&self, method: &str, at: At) -> usize {
        self.seen
            .iter()
            .filter(|s| s.method == method && at.matches_req(&s.method, &s.path, &s.body))
            .count()
    }

    pub fn sentry_deploy_count(&self) -> usize {
        self.sentry_deploys.values().map(Vec::len).sum()
    }

    pub fn statuses_count(&self) -> usize {
        self.statuses.values().map(Vec::len).sum()
    }
}

fn is_graphql_query(s: &Seen) -> bool {
    s.path == "/graphql"
        && s.body["query"]
            .as_str()
            .is_some_and(|q| q.trim_start().starts_with("query"))
}

#[derive(Clone)]
pub struct Fake {
    pub state: Arc<Mutex<State>>,
}

fn json_resp(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 3 <= bytes.len() {
            if let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Respond for Fake {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut s = self.state.lock().unwrap();
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        let path = req.url.path().to_string();
        let method = req.method.to_string();
        let query: Vec<(String, String)> = req
            .url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        s.seen.push(Seen {
            method: method.clone(),
            path: path.clone(),
            body: body.clone(),
            query: query.clone(),
            at: std::time::Instant::now(),
        });
        let mut rule = None;
        for r in s.rules.iter_mut() {
            if r.times == 0 || !r.at.matches_req(&method, &path, &body) {
                continue;
            }
            if r.after > 0 {
                r.after -= 1;
                continue;
            }
            r.times = r.times.saturating_sub(1);
            rule = Some(r.act.clone());
            break;
        }
        match rule {
            None => match sentry_explore::answer(&s.explore, &method, &path, &query) {
                Some(t) => t.set_delay(s.explore_delay),
                None => s.answer(&method, &path, &body),
            },
            Some(Act::Reply {
                status,
                headers,
                body,
            }) => {
                let mut t = ResponseTemplate::new(status).set_body_raw(body, "application/json");
                for (k, v) in headers {
                    t = t.insert_header(k.as_str(), v.as_str());
                }
                t
            }
            Some(Act::Hang) => ResponseTemplate::new(503).set_delay(HANG),
            Some(Act::RecordThenHang) => s.answer(&method, &path, &body).set_delay(HANG),
            Some(Act::RecordThenStatus(code)) => {
                let _ = s.answer(&method, &path, &body);
                json_resp(
                    code,
                    json!({"message": "Server Error", "detail": "Server Error"}),
                )
            }
            Some(Act::EchoLong(code)) => {
                let auth = req
                    .headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                let secret = match auth.strip_prefix("Bearer ") {
                    Some(t) => t.to_string(),
                    None => path.rsplit('/').next().unwrap_or("").to_string(),
                };
                let text = format!("{}{secret}", "x".repeat(190));
                let text = format!("{text}{}{secret} {}", "y".repeat(390 - text.len()), req.url);
                ResponseTemplate::new(code).set_body_string(text)
            }
            Some(Act::Echo(code)) => {
                let auth = req
                    .headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                let url = req.url.to_string();
                let raw = auth.strip_prefix("Bearer ").unwrap_or(&auth);
                let text = format!(
                    "invalid credentials {auth} (token {raw}) for {url} (path {path}, query {})",
                    req.url.query().unwrap_or("")
                );
                json_resp(
                    code,
                    json!({
                        "message": text, "detail": text, "error": text, "ok": false,
                        "code": 50027,
                    }),
                )
            }
        }
    }
}

impl State {
    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// The normal answer, recording writes.
    fn answer(&mut self, method: &str, path: &str, body: &Value) -> ResponseTemplate {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        match (method, parts.as_slice()) {
            // ------------------------------------------------ GitHub releases
            ("POST", ["repos", "acme", "web", "releases"]) => {
                let tag = body["tag_name"].as_str().unwrap_or("").to_string();
                if self.gh_releases.iter().any(|r| r["tag_name"] == tag) {
                    return json_resp(
                        422,
                        json!({
                            "message": "Validation Failed",
                            "errors": [{"resource": "Release", "code": "already_exists", "field": "tag_name"}],
                            "documentation_url": "https://docs.github.com/rest/releases/releases#create-a-release"
                        }),
                    );
                }
                let id = self.id();
                let r = json!({
                    "url": format!("https://api.github.com/repos/acme/web/releases/{id}"),
                    "html_url": format!("https://github.example/acme/web/releases/tag/{tag}"),
                    "id": id, "node_id": "MDc6UmVsZWFzZTE=",
                    "tag_name": tag, "target_commitish": body["target_commitish"],
                    "name": body["name"], "body": body["body"],
                    "draft": body["draft"], "prerelease": body["prerelease"],
                    "created_at": now(), "published_at": now(),
                    "assets": [],
                });
                self.gh_releases.push(r.clone());
                json_resp(201, r)
            }
            ("GET", ["repos", "acme", "web", "releases", "tags", tag]) => {
                let tag = decode(tag);
                match self
                    .gh_releases
                    .iter()
                    .find(|r| r["tag_name"] == tag && r["draft"] != true)
                {
                    Some(r) => json_resp(200, r.clone()),
                    None => json_resp(404, json!({"message": "Not Found"})),
                }
            }
            ("GET", ["repos", "acme", "web", "releases"]) => {
                json_resp(200, Value::Array(self.gh_releases.clone()))
            }
            ("PATCH", ["repos", "acme", "web", "releases", id]) => {
                let id: u64 = id.parse().unwrap_or(0);
                match self.gh_releases.iter_mut().find(|r| r["id"] == id) {
                    Some(r) => {
                        for (k, v) in body.as_object().into_iter().flatten() {
                            r[k] = v.clone();
                        }
                        json_resp(200, r.clone())
                    }
                    None => json_resp(404, json!({"message": "Not Found"})),
                }
            }
            ("POST", ["repos", "acme", "web", "releases", "generate-notes"]) => json_resp(
                200,
                json!({"name": body["tag_name"], "body": "## What's Changed"}),
            ),
            // ------------------------------------------------ GitHub GraphQL (dora report)
            ("POST", ["graphql"]) => {
                let query = body["query"].as_str().unwrap_or("");
                let vars = &body["variables"];
                if vars["owner"] != "acme" || vars["name"] != "web" {
                    return json_resp(
                        200,
                        json!({
                            "data": {"repository": null},
                            "errors": [{"type": "NOT_FOUND", "path": ["repository"],
                                "message": format!("Could not resolve to a Repository with the name '{}/{}'.",
                                    vars["owner"].as_str().unwrap_or(""), vars["name"].as_str().unwrap_or(""))}]
                        }),
                    );
                }
                let (list, field) = if query.contains("ObsctlDoraDeployments") {
                    (&self.gql_deployments, "deployments")
                } else if query.contains("ObsctlDoraIncidents") {
                    (&self.gql_issues, "issues")
                } else {
                    return json_resp(
                        200,
                        json!({"errors": [{"message": "unknown query in the fake"}]}),
                    );
                };
                // Cursors are offsets; 100 nodes a page, as the queries ask.
                let after: usize = vars["after"]
                    .as_str()
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(0);
                let page: Vec<Value> = list.iter().skip(after).take(100).cloned().collect();
                let end = after + page.len();
                json_resp(
                    200,
                    json!({"data": {"repository": {field: {
                        "pageInfo": {"hasNextPage": end < list.len(), "endCursor": end.to_string()},
                        "nodes": page,
                    }}}}),
                )
            }
            // ------------------------------------------------ GitHub deployments
            ("POST", ["repos", "acme", "web", "deployments"]) => {
                let id = 1000 + self.id();
                let d = json!({
                    "url": format!("https://api.github.com/repos/acme/web/deployments/{id}"),
                    "id": id, "node_id": "MDEwOkRlcGxveW1lbnQx",
                    "sha": body["ref"], "ref": body["ref"],
                    "task": body.get("task").cloned().unwrap_or(json!("deploy")),
                    "payload": body.get("payload").cloned().unwrap_or(json!({})),
                    "original_environment": body["environment"],
                    "environment": body["environment"],
                    "description": body.get("description").cloned().unwrap_or(Value::Null),
                    "creator": null,
                    "created_at": now(), "updated_at": now(),
                    "statuses_url": format!("https://api.github.com/repos/acme/web/deployments/{id}/statuses"),
                    "repository_url": "https://api.github.com/repos/acme/web",
                    "transient_environment": body["transient_environment"],
                    "production_environment": body["production_environment"],
                });
                self.deployments.push(d.clone());
                json_resp(201, d)
            }
            ("GET", ["repos", "acme", "web", "deployments"]) => {
                let mut list = self.deployments.clone();
                list.reverse();
                json_resp(200, Value::Array(list))
            }
            ("GET", ["repos", "acme", "web", "deployments", id]) => {
                let id: u64 = id.parse().unwrap_or(0);
                match self.deployments.iter().find(|d| d["id"] == id) {
                    Some(d) => json_resp(200, d.clone()),
                    None => json_resp(404, json!({"message": "Not Found"})),
                }
            }
            ("POST", ["repos", "acme", "web", "deployments", id, "statuses"]) => {
                let id: u64 = id.parse().unwrap_or(0);
                if !self.deployments.iter().any(|d| d["id"] == id) {
                    return json_resp(404, json!({"message": "Not Found"}));
                }
                let sid = self.id();
                let st = json!({
                    "id": sid, "state": body["state"],
                    "description": body.get("description").cloned().unwrap_or(json!("")),
                    "log_url": body.get("log_url").cloned().unwrap_or(json!("")),
                    "environment_url": body.get("environment_url").cloned().unwrap_or(json!("")),
                    "created_at": now(), "updated_at": now(),
                });
                self.statuses.entry(id).or_default().push(st.clone());
                json_resp(201, st)
            }
            ("GET", ["repos", "acme", "web", "deployments", id, "statuses"]) => {
                let id: u64 = id.parse().unwrap_or(0);
                let mut list = self.statuses.get(&id).cloned().unwrap_or_default();
                list.reverse();
                json_resp(200, Value::Array(list))
            }
            // ------------------------------------------------ Sentry
            ("POST", ["api", "0", "organizations", "acme", "releases"]) => {
                let version = body["version"].as_str().unwrap_or("").to_string();
                match self.sentry_releases.get(&version) {
                    Some(r) => json_resp(208, r.clone()),
                    None => {
                        let r = json!({
                            "version": version, "shortVersion": version,
                            "projects": body["projects"], "deployCount": 0,
                            "dateCreated": now(),
                            "dateReleased": body.get("dateReleased").cloned().unwrap_or(Value::Null),
                            "commitCount": body.get("commits").and_then(Value::as_array).map(Vec::len).unwrap_or(0),
                        });
                        self.sentry_releases.insert(version, r.clone());
                        json_resp(201, r)
                    }
                }
            }
            ("GET", ["api", "0", "organizations", "acme", "releases"]) => {
                // Newest first, as Sentry sorts them by default.
                let mut list: Vec<Value> = self.sentry_releases.values().cloned().collect();
                list.sort_by(|a, b| {
                    b["dateCreated"]
                        .as_str()
                        .unwrap_or("")
                        .cmp(a["dateCreated"].as_str().unwrap_or(""))
                });
                json_resp(200, Value::Array(list))
            }
            ("PUT", ["api", "0", "organizations", "acme", "releases", version]) => {
                let version = decode(version);
                match self.sentry_releases.get_mut(&version) {
                    Some(r) => {
                        if let Some(d) = body.get("dateReleased") {
                            r["dateReleased"] = d.clone();
                        }
                        json_resp(200, r.clone())
                    }
                    None => json_resp(
                        404,
                        json!({"detail": "The requested resource does not exist"}),
                    ),
                }
            }
            (
                "GET",
                [
                    "api",
                    "0",
                    "organizations",
                    "acme",
                    "releases",
                    version,
                    "deploys",
                ],
            ) => {
                let version = decode(version);
                if !self.sentry_releases.contains_key(&version) {
                    return json_resp(
                        404,
                        json!({"detail": "The requested resource does not exist"}),
                    );
                }
                json_resp(
                    200,
                    Value::Array(
                        self.sentry_deploys
                            .get(&version)
                            .cloned()
                            .unwrap_or_default(),
                    ),
                )
            }
            (
                "POST",
                [
                    "api",
                    "0",
                    "organizations",
                    "acme",
                    "releases",
                    version,
                    "deploys",
                ],
            ) => {
                let version = decode(version);
                if !self.sentry_releases.contains_key(&version) {
                    return json_resp(
                        404,
                        json!({"detail": "The requested resource does not exist"}),
                    );
                }
                let id = self.id();
                let d = json!({
                    "id": id.to_string(),
                    "environment": body["environment"],
                    "name": body.get("name").cloned().unwrap_or(Value::Null),
                    "url": body.get("url").cloned().unwrap_or(Value::Null),
                    "dateStarted": body.get("dateStarted").cloned().unwrap_or(Value::Null),
                    "dateFinished": body.get("dateFinished").cloned().unwrap_or(json!(now())),
                });
                self.sentry_deploys
                    .entry(version)
                    .or_default()
                    .push(d.clone());
                json_resp(201, d)
            }
            // ------------------------------------------------ GitHub issues (incidents)
            ("GET", ["repos", "acme", "web", "issues"]) => json_resp(
                200,
                Value::Array(
                    self.issues
                        .iter()
                        .filter(|i| i["state"] == "open")
                        .cloned()
                        .collect(),
                ),
            ),
            ("POST", ["repos", "acme", "web", "issues"]) => {
                let number = self.id();
                let labels: Vec<Value> = body["labels"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|l| json!({"name": l}))
                    .collect();
                let i = json!({
                    "id": number, "number": number, "state": "open",
                    "title": body["title"], "body": body["body"], "labels": labels,
                    "created_at": now(), "closed_at": null,
                });
                self.issues.push(i.clone());
                json_resp(201, i)
            }
            ("PATCH", ["repos", "acme", "web", "issues", n]) => {
                let n: u64 = n.parse().unwrap_or(0);
                match self.issues.iter_mut().find(|i| i["number"] == n) {
                    Some(i) => {
                        for (k, v) in body.as_object().into_iter().flatten() {
                            i[k] = v.clone();
                        }
                        json_resp(200, i.clone())
                    }
                    None => json_resp(404, json!({"message": "Not Found"})),
                }
            }
            // ------------------------------------------------ Slack Web API
            ("POST", ["api", "chat.postMessage"]) => {
                let channel = body["channel"].as_str().unwrap_or("").to_string();
                let id = if channel.starts_with('#') {
                    format!("C{}", channel.trim_start_matches('#').to_uppercase())
                } else {
                    channel
                };
                let ts = format!("1700000000.{:06}", self.id());
                let mut m = body.clone();
                m["ts"] = json!(ts);
                self.slack_posts.push(m.clone());
                json_resp(
                    200,
                    json!({"ok": true, "channel": id, "ts": ts, "message": m}),
                )
            }
            ("POST", ["api", "chat.update"]) => {
                self.slack_updates.push(body.clone());
                json_resp(
                    200,
                    json!({"ok": true, "channel": body["channel"], "ts": body["ts"], "text": body["text"]}),
                )
            }
            // ------------------------------------------------ Slack webhook
            ("POST", ["services", ..]) => {
                self.hook_posts.push(body.clone());
                ResponseTemplate::new(200).set_body_string("ok")
            }
            // ------------------------------------------------ Discord webhook
            ("POST", ["api", "webhooks", _, _]) => {
                let id = (900_000_000_000_000_000u64 + self.id()).to_string();
                let mut m = body.clone();
                m["id"] = json!(id);
                self.discord_posts.push(m);
                json_resp(
                    200,
                    json!({
                        "id": id, "type": 0, "channel_id": "800000000000000001",
                        "content": body.get("content").cloned().unwrap_or(json!("")),
                        "embeds": body.get("embeds").cloned().unwrap_or(json!([])),
                        "webhook_id": DISCORD_ID, "timestamp": now(),
                    }),
                )
            }
            ("PATCH", ["api", "webhooks", _, _, "messages", id]) => {
                self.discord_edits.push(body.clone());
                json_resp(
                    200,
                    json!({"id": id, "type": 0, "channel_id": "800000000000000001", "webhook_id": DISCORD_ID}),
                )
            }
            _ => json_resp(
                404,
                json!({"message": "Not Found", "detail": "no such endpoint in the fake"}),
            ),
        }
    }
}

/// A running fake with a git repository to release and deploy from.
pub struct World {
    pub server: MockServer,
    pub fake: Fake,
    pub repo: crate::common::GitRepo,
    /// The SHA of `v1.1.0` (HEAD).
    pub head: String,
    pub dir: tempfile::TempDir,
}

impl World {
    pub async fn new() -> World {
        let server = MockServer::start().await;
        let fake = Fake {
            state: Arc::default(),
        };
        Mock::given(any())
            .respond_with(fake.clone())
            .mount(&server)
            .await;
        let repo = crate::common::GitRepo::new();
        repo.commit("README.md", "hello\n", "chore: init");
        repo.tag("v1.0.0");
        repo.commit("src/lib.rs", "pub fn a() {}\n", "feat: add a (#1)");
        let head = repo.commit("src/b.rs", "pub fn b() {}\n", "fix: b");
        repo.tag("v1.1.0");
        World {
            server,
            fake,
            repo,
            head,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    pub fn rules(&self, rules: Vec<Rule>) {
        self.fake.state.lock().unwrap().rules = rules;
    }

    pub fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.fake.state.lock().unwrap()
    }

    pub fn hook_url(&self) -> String {
        format!("{}/services/T000/B000/{HOOK_SECRET}", self.uri())
    }

    pub fn discord_url(&self) -> String {
        format!("{}/api/webhooks/{DISCORD_ID}/{DISCORD_SECRET}", self.uri())
    }

    pub fn dsn(&self) -> String {
        format!("https://{DSN_KEY}@o1.ingest.sentry.example/42")
    }

    pub fn output_file(&self) -> PathBuf {
        self.dir.path().join("github_output")
    }

    pub fn summary_file(&self) -> PathBuf {
        self.dir.path().join("step_summary")
    }

    /// obsctl against the fake: GitHub and Sentry configured, fast retry
    /// settings, in the repository. Add the notification variables with
    /// [`World::with`].
    pub fn cmd(&self) -> assert_cmd::Command {
        let mut cmd = crate::common::obsctl();
        cmd.env("GITHUB_TOKEN", GH_TOKEN)
            .env("GITHUB_REPOSITORY", "acme/web")
            .env("GITHUB_API_URL", self.uri())
            .env("GITHUB_SERVER_URL", "https://github.example")
            .env("SENTRY_AUTH_TOKEN", SENTRY_TOKEN)
            .env("SENTRY_ORG", "acme")
            .env("SENTRY_PROJECT", "web")
            .env("SENTRY_URL", self.uri())
            .env("OBSCTL_RETRY_BUDGET", "2")
            .env("OBSCTL_TIMEOUT", "1")
            .arg("-C")
            .arg(self.repo.path());
        cmd
    }

    /// Like [`World::cmd`], without `-C` (the test passes its own).
    pub fn cmd_outside_repo(&self) -> assert_cmd::Command {
        let mut cmd = crate::common::obsctl();
        cmd.env("GITHUB_TOKEN", GH_TOKEN)
            .env("GITHUB_REPOSITORY", "acme/web")
            .env("GITHUB_API_URL", self.uri())
            .env("SENTRY_AUTH_TOKEN", SENTRY_TOKEN)
            .env("SENTRY_ORG", "acme")
            .env("SENTRY_PROJECT", "web")
            .env("SENTRY_URL", self.uri())
            .env("OBSCTL_RETRY_BUDGET", "2")
            .env("OBSCTL_TIMEOUT", "1");
        cmd
    }

    /// The notification settings of one destination kind.
    pub fn notify_env(&self, dest: Dest) -> Vec<(&'static str, String)> {
        match dest {
            Dest::None => vec![],
            Dest::SlackBot => vec![
                ("SLACK_BOT_TOKEN", SLACK_TOKEN.to_string()),
                ("SLACK_API_URL", format!("{}/api", self.uri())),
            ],
            Dest::SlackHook => vec![("SLACK_WEBHOOK_URL", self.hook_url())],
            Dest::Discord => vec![("DISCORD_WEBHOOK_URL", self.discord_url())],
            Dest::All => {
                let mut v = self.notify_env(Dest::SlackBot);
                v.extend(self.notify_env(Dest::Discord));
                v
            }
        }
    }

    /// The Actions environment: outputs and summary in temp files.
    pub fn actions_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("GITHUB_ACTIONS", "true".into()),
            ("GITHUB_OUTPUT", self.output_file().display().to_string()),
            (
                "GITHUB_STEP_SUMMARY",
                self.summary_file().display().to_string(),
            ),
            ("GITHUB_SHA", self.head.clone()),
            ("GITHUB_REF_NAME", "v1.1.0".into()),
            ("GITHUB_REF_TYPE", "tag".into()),
            ("GITHUB_RUN_ID", "42".into()),
            ("GITHUB_ACTOR", "octocat".into()),
            ("GITHUB_SERVER_URL", "https://github.example".into()),
            ("SENTRY_DSN", self.dsn()),
        ]
    }

    /// Seed a deployment made by `deploy start`, for `deploy finish`.
    /// With `slack`, the start message posted with the bot token is in the
    /// payload (so that finish updates it in place).
    pub fn seed_deployment(&self, slack: bool) -> u64 {
        let started = (chrono::Utc::now() - chrono::Duration::minutes(5))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let mut payload = json!({"obsctl": 1, "version": "v1.1.0", "started_at": started});
        if slack {
            payload["slack_channel"] = json!("CDEPLOYMENTS");
            payload["slack_ts"] = json!("1700000000.000001");
            payload["messages"] = json!([{"kind": "slack_bot", "channel": "CDEPLOYMENTS", "ts": "1700000000.000001"}]);
        }
        let mut s = self.state();
        let id = 1000 + s.id();
        s.deployments.push(json!({
            "id": id, "sha": self.head, "ref": self.head, "task": "deploy",
            "environment": "production", "original_environment": "production",
            "payload": payload,
            "created_at": started, "updated_at": started,
            "production_environment": true, "transient_environment": false,
            "description": "Deploy v1.1.0 to production with obsctl",
        }));
        s.statuses.insert(id, vec![]);
        id
    }

    /// Seed GitHub's GraphQL view for `dora report`: three deployments of
    /// `production` in the last 30 days (v1.0.0 then HEAD succeeded, HEAD
    /// again failed and the next one recovered) and one incident issue.
    /// `dora report --format json` then says: 3 successful deployments
    /// ([`DORA_DEPLOYMENTS`]), 4 in all, 2 failed ([`DORA_FAILED`]).
    pub fn seed_dora(&self) {
        let first = self.repo.git(&["rev-parse", "v1.0.0"]);
        let first = first.trim().to_string();
        let ago = |days: i64, secs: i64| {
            (chrono::Utc::now() - chrono::Duration::days(days) + chrono::Duration::seconds(secs))
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        };
        let node = |n: u64, sha: &str, days: i64, states: &[&str]| {
            json!({
                "id": format!("DE_kwDO{n}"), "databaseId": n,
                "createdAt": ago(days, 0), "commitOid": sha,
                "statuses": {
                    "totalCount": states.len(),
                    "nodes": states.iter().enumerate().rev()
                        .map(|(i, s)| json!({"state": s, "createdAt": ago(days, 60 * (i as i64 + 1))}))
                        .collect::<Vec<_>>(),
                }
            })
        };
        let mut s = self.state();
        // Newest first, as GitHub orders them.
        s.gql_deployments = vec![
            node(4004, &self.head, 4, &["IN_PROGRESS", "SUCCESS"]),
            node(4003, &self.head, 5, &["IN_PROGRESS", "FAILURE"]),
            node(4002, &self.head, 10, &["IN_PROGRESS", "SUCCESS"]),
            node(4001, &first, 20, &["IN_PROGRESS", "SUCCESS"]),
        ];
        s.gql_issues = vec![json!({
            "number": 77, "createdAt": ago(9, 0), "closedAt": ago(8, 0),
        })];
    }

    /// Seed the Sentry release (as `release create` or `deploy start` leave it).
    pub fn seed_sentry_release(&self, version: &str) {
        self.state().sentry_releases.insert(
            version.into(),
            json!({"version": version, "shortVersion": version, "projects": ["web"],
                   "dateReleased": "2026-01-01T00:00:00Z"}),
        );
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dest {
    None,
    SlackBot,
    SlackHook,
    Discord,
    All,
}

/// The commands under test and their arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmd {
    Release,
    DeployStart,
    DeployFinish,
    Notify,
    /// `dora report --source github` (not in [`Cmd::ALL`]: it only reads).
    Dora,
}

/// What [`World::seed_dora`] makes `dora report --format json` count.
pub const DORA_DEPLOYMENTS: u64 = 3;
pub const DORA_TOTAL: u64 = 4;
pub const DORA_FAILED: u64 = 2;

impl Cmd {
    pub const ALL: [Cmd; 4] = [
        Cmd::Release,
        Cmd::DeployStart,
        Cmd::DeployFinish,
        Cmd::Notify,
    ];

    pub fn args(self, w: &World) -> Vec<String> {
        let v: Vec<&str> = match self {
            Cmd::Release => vec!["release", "create", "v1.1.0"],
            Cmd::DeployStart => vec!["deploy", "start", "--environment", "production", "--sha"],
            Cmd::DeployFinish => vec![
                "deploy",
                "finish",
                "--environment",
                "production",
                "--status",
                "success",
                "--sha",
            ],
            Cmd::Notify => vec![
                "notify",
                "--title",
                "Deployed v1.1.0",
                "--severity",
                "success",
            ],
            Cmd::Dora => vec!["dora", "report", "--source", "github"],
        };
        let mut v: Vec<String> = v.into_iter().map(String::from).collect();
        if matches!(self, Cmd::DeployStart | Cmd::DeployFinish) {
            v.push(w.head.clone());
        }
        v
    }

    /// Put the fake in the state the command expects (finish needs a started deployment).
    pub fn prepare(self, w: &World, dest: Dest) {
        if self == Cmd::DeployFinish {
            w.seed_deployment(matches!(dest, Dest::SlackBot | Dest::All));
            w.seed_sentry_release("v1.1.0");
        }
        if self == Cmd::Dora {
            w.seed_dora();
        }
    }
}

pub fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A port nobody listens on.
pub fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}
