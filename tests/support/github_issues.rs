//! A stateful loopback fake of GitHub's issues API, as `status check`,
//! `status build` and `incident open|update|resolve` use it: REST issues
//! (create, list by label with `Link` pagination, get, close), comments,
//! labels, and GraphQL (`ObsctlIssuesByLabel`, plus `dora report`'s
//! `ObsctlDoraIncidents` and `ObsctlDoraDeployments` over the same issues so
//! that DORA counts what obsctl opened). It answers as GitHub does (list
//! items validated against `github/list-repo-issues.json` in tests) and
//! checks what it receives: the token, JSON request bodies with the types
//! GitHub documents, and every GraphQL query against GitHub's public schema
//! (`graphql_schema.rs`). Self-contained so that it can be plugged into the
//! one GitHub fake (`tests/support/github.rs`) when that lands.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use wiremock::{Request, Respond, ResponseTemplate};

pub const TOKEN: &str = "fake-gh-token-for-tests-only-0000";
const REPO: &str = "https://github.example/acme/web";
const API: &str = "/repos/acme/web";

#[derive(Clone, Debug)]
pub struct FakeComment {
    pub id: u64,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct FakeIssue {
    pub number: u64,
    pub title: String,
    pub body: String,
    pub labels: Vec<String>,
    pub open: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub state_reason: Option<String>,
    pub comments: Vec<FakeComment>,
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
    pub issues: Vec<FakeIssue>,
    pub labels: Vec<Value>,
    pub next_id: u64,
    pub seen: Vec<Seen>,
    /// Deployment nodes for `ObsctlDoraDeployments`, newest first.
    pub deployments: Vec<Value>,
    /// Slack `chat.postMessage` bodies.
    pub slack_posts: Vec<Value>,
    /// Problems with what obsctl sent (a test asserts there are none).
    pub violations: Vec<String>,
    /// The clock of the fake (None: the real clock).
    pub now: Option<DateTime<Utc>>,
    /// Answer the next issue creation with a 502 after recording it.
    pub fail_next_create: bool,
    /// Answer every write with 403, as GitHub does when the token lacks
    /// `issues: write`.
    pub forbid_writes: bool,
}

impl State {
    fn now(&self) -> DateTime<Utc> {
        self.now.unwrap_or_else(Utc::now)
    }

    /// Requests that could have written (not GET, not GraphQL queries).
    pub fn writes(&self) -> Vec<String> {
        self.seen
            .iter()
            .filter(|s| s.method != "GET" && s.path != "/graphql")
            .map(|s| format!("{} {}", s.method, s.path))
            .collect()
    }

    /// Add an issue as if someone had opened it.
    pub fn seed(
        &mut self,
        title: &str,
        body: &str,
        labels: &[&str],
        created: DateTime<Utc>,
        closed: Option<DateTime<Utc>>,
    ) -> u64 {
        self.next_id += 1;
        let number = self.issues.len() as u64 + 1;
        self.issues.push(FakeIssue {
            number,
            title: title.into(),
            body: body.into(),
            labels: labels.iter().map(|l| l.to_string()).collect(),
            open: closed.is_none(),
            created_at: created,
            updated_at: closed.unwrap_or(created),
            closed_at: closed,
            state_reason: closed.map(|_| "completed".into()),
            comments: Vec::new(),
        });
        number
    }

    pub fn seed_comment(&mut self, number: u64, body: &str, at: DateTime<Utc>) {
        self.next_id += 1;
        let id = 9000 + self.next_id;
        let issue = &mut self.issues[number as usize - 1];
        issue.comments.push(FakeComment {
            id,
            body: body.into(),
            created_at: at,
        });
        issue.updated_at = issue.updated_at.max(at);
    }
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn user() -> Value {
    json!({"login": "github-actions[bot]", "id": 41898282, "node_id": "MDM6Qm90NDE4OTgyODI=",
        "avatar_url": "https://avatars.githubusercontent.com/in/15368?v=4", "gravatar_id": "",
        "url": "https://api.github.com/users/github-actions%5Bbot%5D",
        "html_url": "https://github.com/apps/github-actions",
        "followers_url": "https://api.github.com/users/x/followers", "following_url": "https://api.github.com/users/x/following{/other_user}",
        "gists_url": "https://api.github.com/users/x/gists{/gist_id}", "starred_url": "https://api.github.com/users/x/starred{/owner}{/repo}",
        "subscriptions_url": "https://api.github.com/users/x/subscriptions", "organizations_url": "https://api.github.com/users/x/orgs",
        "repos_url": "https://api.github.com/users/x/repos", "events_url": "https://api.github.com/users/x/events{/privacy}",
        "received_events_url": "https://api.github.com/users/x/received_events", "type": "Bot", "site_admin": false})
}

/// An issue as the REST API returns it.
pub fn rest_issue(base: &str, i: &FakeIssue) -> Value {
    let url = format!("{base}{API}/issues/{}", i.number);
    json!({
        "id": 1_000_000 + i.number, "node_id": format!("I_kwDO{}", i.number), "url": url,
        "repository_url": format!("{base}{API}"), "labels_url": format!("{url}/labels{{/name}}"),
        "comments_url": format!("{url}/comments"), "events_url": format!("{url}/events"),
        "html_url": format!("{REPO}/issues/{}", i.number), "number": i.number,
        "state": if i.open { "open" } else { "closed" }, "state_reason": i.state_reason,
        "title": i.title, "body": i.body, "user": user(),
        "labels": i.labels.iter().enumerate().map(|(n, l)| json!({"id": 5000 + n as u64, "node_id": format!("LA_{n}"),
            "url": format!("{base}{API}/labels/{l}"), "name": l, "color": "ededed", "default": false, "description": null})).collect::<Vec<_>>(),
        "assignee": null, "assignees": [], "milestone": null, "locked": false, "active_lock_reason": null,
        "comments": i.comments.len(), "created_at": ts(i.created_at), "updated_at": ts(i.updated_at),
        "closed_at": i.closed_at.map(ts), "author_association": "NONE",
    })
}

fn gql_issue(i: &FakeIssue) -> Value {
    let comments: Vec<Value> = i
        .comments
        .iter()
        .rev()
        .take(100)
        .rev()
        .map(|c| json!({"databaseId": c.id, "body": c.body, "createdAt": ts(c.created_at)}))
        .collect();
    json!({
        "number": i.number, "title": i.title, "url": format!("{REPO}/issues/{}", i.number),
        "state": if i.open { "OPEN" } else { "CLOSED" }, "body": i.body,
        "createdAt": ts(i.created_at), "closedAt": i.closed_at.map(ts),
        "labels": {"nodes": i.labels.iter().map(|l| json!({"name": l})).collect::<Vec<_>>()},
        "comments": {"totalCount": i.comments.len(), "nodes": comments},
    })
}

/// GitHub's answer to a text over its limit.
fn too_long(resource: &str, field: &str, max: usize) -> ResponseTemplate {
    resp(
        422,
        json!({"message": "Validation Failed", "errors": [{"resource": resource, "code": "custom",
            "field": field, "message": format!("{field} is too long (maximum is {max} characters)")}]}),
    )
}

fn resp(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

fn query_pairs(req: &Request) -> Vec<(String, String)> {
    req.url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[derive(Clone, Default)]
pub struct Fake {
    pub state: Arc<Mutex<State>>,
    pub schema: Option<Arc<super::graphql_schema::Schema>>,
}

impl Respond for Fake {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut s = self.state.lock().unwrap();
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        let path = req.url.path().to_string();
        let method = req.method.to_string();
        s.seen.push(Seen {
            method: method.clone(),
            path: path.clone(),
            query: req.url.query().unwrap_or("").to_string(),
            body: body.clone(),
        });
        if path.starts_with("/api/chat.") {
            return slack(&mut s, &body);
        }
        let auth = req
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok());
        if auth != Some(&format!("Bearer {TOKEN}")) {
            return resp(
                401,
                json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}),
            );
        }
        if s.forbid_writes && method != "GET" && path != "/graphql" {
            return resp(
                403,
                json!({"message": "Resource not accessible by integration",
                "documentation_url": "https://docs.github.com/rest/issues/issues#create-an-issue", "status": "403"}),
            );
        }
        if path == "/graphql" {
            return graphql(&mut s, &body, self.schema.as_deref());
        }
        if method != "GET"
            && req.headers.get("accept").and_then(|v| v.to_str().ok())
                != Some("application/vnd.github+json")
        {
            s.violations.push(format!(
                "{method} {path}: no Accept: application/vnd.github+json"
            ));
        }
        let base = format!("{}://{}", req.url.scheme(), req.url.authority());
        let segs: Vec<&str> = path
            .trim_start_matches(API)
            .trim_matches('/')
            .split('/')
            .collect();
        if !path.starts_with(API) {
            return resp(404, json!({"message": "Not Found"}));
        }
        match (method.as_str(), segs.as_slice()) {
            ("POST", ["issues"]) => create_issue(&mut s, &base, &body),
            ("GET", ["issues"]) => list_issues(&s, &base, &query_pairs(req)),
            ("GET", ["issues", n]) => match find(&s, n) {
                Some(i) => resp(200, rest_issue(&base, &s.issues[i])),
                None => resp(404, json!({"message": "Not Found"})),
            },
            ("PATCH", ["issues", n]) => {
                let Some(i) = find(&s, n) else {
                    return resp(404, json!({"message": "Not Found"}));
                };
                let state = body["state"].as_str();
                if !matches!(state, Some("open" | "closed"))
                    || body.as_object().is_some_and(|o| {
                        o.keys().any(|k| {
                            !["state", "state_reason", "title", "body", "labels"]
                                .contains(&k.as_str())
                        })
                    })
                {
                    s.violations
                        .push(format!("PATCH issue: unexpected body {body}"));
                    return resp(422, json!({"message": "Validation Failed"}));
                }
                let now = s.now();
                let issue = &mut s.issues[i];
                if state == Some("closed") && issue.open {
                    issue.open = false;
                    issue.closed_at = Some(now);
                    issue.state_reason = body["state_reason"].as_str().map(String::from);
                }
                issue.updated_at = now;
                let v = rest_issue(&base, &s.issues[i]);
                resp(200, v)
            }
            ("POST", ["issues", n, "comments"]) => {
                let Some(i) = find(&s, n) else {
                    return resp(404, json!({"message": "Not Found"}));
                };
                let Some(text) = body["body"].as_str().filter(|t| !t.is_empty()) else {
                    s.violations.push(format!("comment without a body: {body}"));
                    return resp(422, json!({"message": "Validation Failed"}));
                };
                if text.chars().count() > 65_536 {
                    s.violations
                        .push("comment: over GitHub's 65,536 characters".into());
                    return too_long("IssueComment", "body", 65_536);
                }
                let now = s.now();
                s.next_id += 1;
                let id = 9000 + s.next_id;
                let issue = &mut s.issues[i];
                issue.comments.push(FakeComment {
                    id,
                    body: text.into(),
                    created_at: now,
                });
                issue.updated_at = now;
                resp(
                    201,
                    json!({"id": id, "node_id": format!("IC_{id}"), "body": text, "user": user(),
                    "html_url": format!("{REPO}/issues/{}#issuecomment-{id}", i + 1),
                    "created_at": ts(now), "updated_at": ts(now)}),
                )
            }
            ("GET", ["issues", n, "comments"]) => {
                let Some(i) = find(&s, n) else {
                    return resp(404, json!({"message": "Not Found"}));
                };
                let items: Vec<Value> = s.issues[i].comments.iter()
                    .map(|c| json!({"id": c.id, "body": c.body, "created_at": ts(c.created_at), "user": user()}))
                    .collect();
                page(&base, &path, &query_pairs(req), items)
            }
            ("GET", ["labels", name]) => {
                let name = decode(name);
                match s.labels.iter().find(|l| l["name"] == name.as_str()) {
                    Some(l) => resp(200, l.clone()),
                    None => resp(404, json!({"message": "Not Found"})),
                }
            }
            ("POST", ["labels"]) => {
                let ok = body["name"].is_string()
                    && body["color"]
                        .as_str()
                        .is_some_and(|c| c.len() == 6 && c.chars().all(|x| x.is_ascii_hexdigit()))
                    && body.get("description").is_none_or(Value::is_string);
                if !ok {
                    s.violations.push(format!("create label: bad body {body}"));
                    return resp(422, json!({"message": "Validation Failed"}));
                }
                let over =
                    |k: &str, max: usize| body[k].as_str().is_some_and(|t| t.chars().count() > max);
                for (field, max) in [("name", 50), ("description", 100)] {
                    if over(field, max) {
                        s.violations.push(format!(
                            "create label: {field} over GitHub's {max} characters"
                        ));
                        return too_long("Label", field, max);
                    }
                }
                if s.labels.iter().any(|l| l["name"] == body["name"]) {
                    return resp(
                        422,
                        json!({"message": "Validation Failed", "errors": [{"resource": "Label", "code": "already_exists", "field": "name"}]}),
                    );
                }
                s.labels.push(body.clone());
                resp(201, body)
            }
            _ => resp(
                404,
                json!({"message": "Not Found", "detail": "no such endpoint in the issues fake"}),
            ),
        }
    }
}

fn decode(s: &str) -> String {
    percent_decode(s)
}

pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn find(s: &State, n: &str) -> Option<usize> {
    let n: usize = n.parse().ok()?;
    (n >= 1 && n <= s.issues.len()).then(|| n - 1)
}

fn create_issue(s: &mut State, base: &str, body: &Value) -> ResponseTemplate {
    let title = body["title"].as_str().filter(|t| !t.trim().is_empty());
    let labels_ok = body
        .get("labels")
        .is_none_or(|l| l.as_array().is_some_and(|a| a.iter().all(Value::is_string)));
    let body_ok = body
        .get("body")
        .is_none_or(|b| b.is_string() || b.is_null());
    let (Some(title), true, true) = (title, labels_ok, body_ok) else {
        s.violations.push(format!("create issue: bad body {body}"));
        return resp(422, json!({"message": "Validation Failed"}));
    };
    if title.chars().count() > 256 {
        s.violations
            .push("create issue: title over 256 characters".into());
        return too_long("Issue", "title", 256);
    }
    if body["body"]
        .as_str()
        .is_some_and(|b| b.chars().count() > 65_536)
    {
        s.violations
            .push("create issue: body over 65,536 characters".into());
        return too_long("Issue", "body", 65_536);
    }
    if body["labels"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|l| l.as_str().is_some_and(|l| l.chars().count() > 50))
    {
        s.violations
            .push("create issue: a label over 50 characters".into());
        return too_long("Label", "name", 50);
    }
    let now = s.now();
    let labels: Vec<String> = body["labels"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| l.as_str().map(String::from))
        .collect();
    for l in &labels {
        if !s.labels.iter().any(|x| x["name"] == l.as_str()) {
            s.labels.push(json!({"name": l, "color": "ededed"}));
        }
    }
    let number = s.issues.len() as u64 + 1;
    s.issues.push(FakeIssue {
        number,
        title: title.into(),
        body: body["body"].as_str().unwrap_or("").into(),
        labels,
        open: true,
        created_at: now,
        updated_at: now,
        closed_at: None,
        state_reason: None,
        comments: Vec::new(),
    });
    let v = rest_issue(base, s.issues.last().unwrap());
    if std::mem::take(&mut s.fail_next_create) {
        return resp(502, json!({"message": "Server Error"}));
    }
    resp(201, v)
}

fn list_issues(s: &State, base: &str, q: &[(String, String)]) -> ResponseTemplate {
    let get = |k: &str| q.iter().find(|(kk, _)| kk == k).map(|(_, v)| v.as_str());
    let labels: Vec<&str> = get("labels")
        .map(|l| l.split(',').filter(|x| !x.is_empty()).collect())
        .unwrap_or_default();
    let state = get("state").unwrap_or("open");
    let since = get("since")
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc));
    let mut items: Vec<&FakeIssue> = s
        .issues
        .iter()
        .filter(|i| labels.iter().all(|l| i.labels.iter().any(|x| x == l)))
        .filter(|i| match state {
            "open" => i.open,
            "closed" => !i.open,
            _ => true,
        })
        .filter(|i| since.is_none_or(|t| i.updated_at >= t))
        .collect();
    items.sort_by_key(|i| std::cmp::Reverse((i.created_at, i.number)));
    let items: Vec<Value> = items.into_iter().map(|i| rest_issue(base, i)).collect();
    page(base, &format!("{API}/issues"), q, items)
}

/// One page (`per_page`, `page`) with a `Link` header, as GitHub paginates.
fn page(base: &str, path: &str, q: &[(String, String)], items: Vec<Value>) -> ResponseTemplate {
    let get = |k: &str| {
        q.iter()
            .find(|(kk, _)| kk == k)
            .and_then(|(_, v)| v.parse::<usize>().ok())
    };
    let per_page = get("per_page").unwrap_or(30).clamp(1, 100);
    let n = get("page").unwrap_or(1).max(1);
    let chunk: Vec<Value> = items
        .iter()
        .skip((n - 1) * per_page)
        .take(per_page)
        .cloned()
        .collect();
    let mut r = resp(200, Value::Array(chunk));
    if n * per_page < items.len() {
        let mut pairs: Vec<(String, String)> =
            q.iter().filter(|(k, _)| k != "page").cloned().collect();
        pairs.push(("page".into(), (n + 1).to_string()));
        let qs: Vec<String> = pairs
            .iter()
            .map(|(k, v)| {
                format!(
                    "{k}={}",
                    v.replace(',', "%2C")
                        .replace(':', "%3A")
                        .replace('+', "%2B")
                )
            })
            .collect();
        r = r.insert_header(
            "link",
            format!("<{base}{path}?{}>; rel=\"next\"", qs.join("&")).as_str(),
        );
    }
    r
}

fn graphql(
    s: &mut State,
    body: &Value,
    schema: Option<&super::graphql_schema::Schema>,
) -> ResponseTemplate {
    let query = body["query"].as_str().unwrap_or("");
    if let Some(schema) = schema {
        let errors = super::graphql_schema::validate(schema, query);
        if !errors.is_empty() {
            s.violations.push(format!(
                "GraphQL query does not match GitHub's schema: {errors:?}"
            ));
        }
    }
    let vars = &body["variables"];
    if vars["owner"] != "acme" || vars["name"] != "web" {
        return resp(
            200,
            json!({"data": {"repository": null}, "errors": [{"type": "NOT_FOUND", "message": "Could not resolve to a Repository"}]}),
        );
    }
    let after: usize = vars["after"]
        .as_str()
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let labels: Vec<String> = vars["labels"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| l.as_str().map(String::from))
        .collect();
    let since = vars["since"]
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc));
    let states: Option<Vec<String>> = vars["states"].as_array().map(|a| {
        a.iter()
            .filter_map(|x| x.as_str().map(String::from))
            .collect()
    });
    let (field, nodes): (&str, Vec<Value>) = if query.contains("ObsctlDoraDeployments") {
        ("deployments", s.deployments.clone())
    } else if query.contains("ObsctlIssuesByLabel") || query.contains("ObsctlDoraIncidents") {
        let mut list: Vec<&FakeIssue> = s
            .issues
            .iter()
            // GitHub's `labels` argument: any of them.
            .filter(|i| labels.is_empty() || i.labels.iter().any(|l| labels.contains(l)))
            .filter(|i| since.is_none_or(|t| i.updated_at >= t))
            .filter(|i| {
                states
                    .as_ref()
                    .is_none_or(|st| st.iter().any(|x| (x == "OPEN") == i.open))
            })
            .collect();
        list.sort_by_key(|i| std::cmp::Reverse((i.created_at, i.number)));
        let full = query.contains("ObsctlIssuesByLabel");
        ("issues", list.into_iter().map(|i| if full { gql_issue(i) } else {
            json!({"number": i.number, "createdAt": ts(i.created_at), "closedAt": i.closed_at.map(ts)})
        }).collect())
    } else {
        return resp(
            200,
            json!({"errors": [{"message": "unknown query in the fake"}]}),
        );
    };
    let pageful: Vec<Value> = nodes.iter().skip(after).take(100).cloned().collect();
    let end = after + pageful.len();
    resp(
        200,
        json!({"data": {"repository": {field: {
            "pageInfo": {"hasNextPage": end < nodes.len(), "endCursor": end.to_string()},
            "nodes": pageful,
        }}}}),
    )
}

fn slack(s: &mut State, body: &Value) -> ResponseTemplate {
    let channel = body["channel"].as_str().unwrap_or("").to_string();
    if channel.is_empty() || !(body["text"].is_string() || body["blocks"].is_array()) {
        s.violations
            .push(format!("chat.postMessage: bad body {body}"));
        return resp(200, json!({"ok": false, "error": "invalid_arguments"}));
    }
    s.slack_posts.push(body.clone());
    let ts = format!("1700000000.{:06}", s.slack_posts.len());
    resp(
        200,
        json!({"ok": true, "channel": format!("C{}", channel.trim_start_matches('#').to_uppercase()), "ts": ts, "message": body}),
    )
}
