//! GitHub issues, as `status check|build`, `incident open|update|resolve`
//! and `deploy verify --open-incident` use them: REST issues (create, list
//! by label paginated with `Link`, get, update/close), comments (create,
//! list), labels (get, create), and the GraphQL `ObsctlIssuesByLabel` query
//! plus `dora report`'s `ObsctlDoraIncidents` over the same issues (see
//! [`graphql_nodes`]), so that DORA counts what obsctl opened.
//!
//! The contracts have no request schema for creating issues, comments or
//! labels (only `list-repo-issues.json`, a response): the checks below
//! enforce by hand what GitHub documents — a non-empty title (at most 256
//! characters), a body of at most 65,536, labels as strings, `state`
//! `open|closed` and the known fields on update, a non-empty comment, a
//! label colour of 6 hex digits and a string description — and every write
//! must ask for `Accept: application/vnd.github+json`.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use super::super::{Call, Route, State, json_reply};
use super::{not_found, other_repo, page};

/// Where issue pages live (`html_url`).
const WEB: &str = "https://github.example/acme/web";
const API: &str = "/repos/acme/web";

#[derive(Clone, Debug)]
pub struct Comment {
    pub id: u64,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct Issue {
    pub number: u64,
    pub title: String,
    pub body: String,
    pub labels: Vec<String>,
    pub open: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub state_reason: Option<String>,
    pub comments: Vec<Comment>,
}

/// What the fake keeps of issues (`state.area::<Issues>()`).
#[derive(Default)]
pub struct Issues {
    /// By number - 1.
    pub list: Vec<Issue>,
    /// The repository's labels (`name`, `color`, `description`).
    pub labels: Vec<Value>,
    next_comment: u64,
}

impl Issues {
    /// An issue as if someone had opened it; its number.
    pub fn seed(
        &mut self,
        title: &str,
        body: &str,
        labels: &[&str],
        created: DateTime<Utc>,
        closed: Option<DateTime<Utc>>,
    ) -> u64 {
        let number = self.list.len() as u64 + 1;
        self.list.push(Issue {
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

    /// A comment as if someone had written it at `at`.
    pub fn seed_comment(&mut self, number: u64, body: &str, at: DateTime<Utc>) -> u64 {
        self.next_comment += 1;
        let id = 9000 + self.next_comment;
        let issue = &mut self.list[number as usize - 1];
        issue.comments.push(Comment {
            id,
            body: body.into(),
            created_at: at,
        });
        issue.updated_at = issue.updated_at.max(at);
        id
    }

    fn find(&self, c: &Call) -> Option<usize> {
        let n: usize = c.param("number").parse().ok()?;
        (n >= 1 && n <= self.list.len()).then(|| n - 1)
    }
}

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(
            "github.list_issues",
            "GET",
            "/repos/{owner}/{repo}/issues",
            list,
        ),
        Route::new(
            "github.create_issue",
            "POST",
            "/repos/{owner}/{repo}/issues",
            create,
        )
        .check(accept)
        .check(check_create),
        Route::new(
            "github.get_issue",
            "GET",
            "/repos/{owner}/{repo}/issues/{number}",
            get,
        ),
        Route::new(
            "github.update_issue",
            "PATCH",
            "/repos/{owner}/{repo}/issues/{number}",
            update,
        )
        .check(accept)
        .check(check_update),
        Route::new(
            "github.list_issue_comments",
            "GET",
            "/repos/{owner}/{repo}/issues/{number}/comments",
            list_comments,
        ),
        Route::new(
            "github.create_issue_comment",
            "POST",
            "/repos/{owner}/{repo}/issues/{number}/comments",
            comment,
        )
        .check(accept)
        .check(|_, c| match c.body["body"].as_str() {
            Some(t) if t.chars().count() > 65_536 => {
                vec!["comment body longer than 65,536 characters".into()]
            }
            Some(t) if !t.is_empty() => vec![],
            _ => vec![format!("a comment needs a non-empty body: {}", c.body)],
        }),
        Route::new(
            "github.get_label",
            "GET",
            "/repos/{owner}/{repo}/labels/{name}",
            get_label,
        ),
        Route::new(
            "github.create_label",
            "POST",
            "/repos/{owner}/{repo}/labels",
            create_label,
        )
        .check(accept)
        .check(check_label),
    ]
}

fn accept(_: &State, c: &Call) -> Vec<String> {
    match c.headers.get("accept").map(String::as_str) {
        Some("application/vnd.github+json") => vec![],
        other => vec![format!(
            "Accept: {other:?}, not application/vnd.github+json"
        )],
    }
}

fn check_create(_: &State, c: &Call) -> Vec<String> {
    let b = &c.body;
    let mut errs = Vec::new();
    match b["title"].as_str() {
        Some(t) if !t.trim().is_empty() => {
            if t.chars().count() > 256 {
                errs.push("title longer than 256 characters".into());
            }
        }
        _ => errs.push(format!("title missing or empty: {b}")),
    }
    if !b
        .get("labels")
        .is_none_or(|l| l.as_array().is_some_and(|a| a.iter().all(Value::is_string)))
    {
        errs.push(format!("labels must be strings: {}", b["labels"]));
    }
    for l in b["labels"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if l.chars().count() > 50 {
            errs.push(format!("label name longer than 50 characters: {l}"));
        }
    }
    match b.get("body") {
        None | Some(Value::Null) => {}
        Some(Value::String(t)) if t.chars().count() > 65_536 => {
            errs.push("body longer than 65,536 characters".into())
        }
        Some(Value::String(_)) => {}
        Some(other) => errs.push(format!("body must be a string: {other}")),
    }
    errs
}

fn check_update(_: &State, c: &Call) -> Vec<String> {
    let b = &c.body;
    let known = ["state", "state_reason", "title", "body", "labels"];
    let state_ok = matches!(b["state"].as_str(), Some("open" | "closed"));
    let fields_ok = b
        .as_object()
        .is_some_and(|o| o.keys().all(|k| known.contains(&k.as_str())));
    if state_ok && fields_ok {
        vec![]
    } else {
        vec![format!("update issue: unexpected body {b}")]
    }
}

fn check_label(_: &State, c: &Call) -> Vec<String> {
    let b = &c.body;
    let ok = b["name"].is_string()
        && b["color"]
            .as_str()
            .is_some_and(|c| c.len() == 6 && c.chars().all(|x| x.is_ascii_hexdigit()))
        && b.get("description").is_none_or(Value::is_string);
    let mut errs = Vec::new();
    if !ok {
        errs.push(format!("create label: bad body {b}"));
    }
    // GitHub's 422s: "name is too long (maximum is 50 characters)", and 100
    // for the description.
    for (field, max) in [("name", 50), ("description", 100)] {
        if b[field].as_str().is_some_and(|t| t.chars().count() > max) {
            errs.push(format!(
                "create label: {field} longer than {max} characters"
            ));
        }
    }
    errs
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn bot() -> Value {
    let mut u = super::user();
    u["login"] = json!("github-actions[bot]");
    u["id"] = json!(41898282);
    u["type"] = json!("Bot");
    u
}

/// An issue as the REST API returns it.
pub fn rest_issue(base: &str, i: &Issue) -> Value {
    let url = format!("{base}{API}/issues/{}", i.number);
    json!({
        "id": 1_000_000 + i.number, "node_id": format!("I_kwDO{}", i.number), "url": url,
        "repository_url": format!("{base}{API}"), "labels_url": format!("{url}/labels{{/name}}"),
        "comments_url": format!("{url}/comments"), "events_url": format!("{url}/events"),
        "html_url": format!("{WEB}/issues/{}", i.number), "number": i.number,
        "state": if i.open { "open" } else { "closed" }, "state_reason": i.state_reason,
        "title": i.title, "body": i.body, "user": bot(),
        "labels": i.labels.iter().enumerate().map(|(n, l)| json!({"id": 5000 + n as u64, "node_id": format!("LA_{n}"),
            "url": format!("{base}{API}/labels/{l}"), "name": l, "color": "ededed", "default": false, "description": null})).collect::<Vec<_>>(),
        "assignee": null, "assignees": [], "milestone": null, "locked": false, "active_lock_reason": null,
        "comments": i.comments.len(), "created_at": ts(i.created_at), "updated_at": ts(i.updated_at),
        "closed_at": i.closed_at.map(ts), "author_association": "NONE",
    })
}

fn time(v: Option<&str>) -> Option<DateTime<Utc>> {
    v.and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
}

fn list(s: &mut State, c: &Call) -> ResponseTemplate {
    if let Some(r) = other_repo(c) {
        return r;
    }
    // GitHub's REST `labels`: all of them.
    let labels: Vec<&str> = c
        .query("labels")
        .map(|l| l.split(',').filter(|x| !x.is_empty()).collect())
        .unwrap_or_default();
    let state = c.query("state").unwrap_or("open");
    let since = time(c.query("since"));
    let mut items: Vec<&Issue> = s
        .area::<Issues>()
        .list
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
    let items: Vec<Value> = items.into_iter().map(|i| rest_issue(&c.base, i)).collect();
    page(c, items)
}

fn create(s: &mut State, c: &Call) -> ResponseTemplate {
    if let Some(r) = other_repo(c) {
        return r;
    }
    let now = Utc::now();
    let issues = s.area::<Issues>();
    let labels: Vec<String> = c.body["labels"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| l.as_str().map(String::from))
        .collect();
    // Labels that do not exist yet are created, as GitHub does.
    for l in &labels {
        if !issues.labels.iter().any(|x| x["name"] == l.as_str()) {
            issues.labels.push(json!({"name": l, "color": "ededed"}));
        }
    }
    let number = issues.list.len() as u64 + 1;
    issues.list.push(Issue {
        number,
        title: c.body["title"].as_str().unwrap_or("").into(),
        body: c.body["body"].as_str().unwrap_or("").into(),
        labels,
        open: true,
        created_at: now,
        updated_at: now,
        closed_at: None,
        state_reason: None,
        comments: Vec::new(),
    });
    json_reply(201, rest_issue(&c.base, issues.list.last().unwrap()))
}

fn get(s: &mut State, c: &Call) -> ResponseTemplate {
    if let Some(r) = other_repo(c) {
        return r;
    }
    let issues = s.area::<Issues>();
    match issues.find(c) {
        Some(i) => json_reply(200, rest_issue(&c.base, &issues.list[i])),
        None => not_found(),
    }
}

fn update(s: &mut State, c: &Call) -> ResponseTemplate {
    if let Some(r) = other_repo(c) {
        return r;
    }
    let issues = s.area::<Issues>();
    let Some(i) = issues.find(c) else {
        return not_found();
    };
    let now = Utc::now();
    let issue = &mut issues.list[i];
    match c.body["state"].as_str() {
        Some("closed") if issue.open => {
            issue.open = false;
            issue.closed_at = Some(now);
            issue.state_reason = c.body["state_reason"].as_str().map(String::from);
        }
        Some("open") if !issue.open => {
            issue.open = true;
            issue.closed_at = None;
            issue.state_reason = Some("reopened".into());
        }
        _ => {}
    }
    issue.updated_at = now;
    json_reply(200, rest_issue(&c.base, issue))
}

fn comment(s: &mut State, c: &Call) -> ResponseTemplate {
    if let Some(r) = other_repo(c) {
        return r;
    }
    let issues = s.area::<Issues>();
    let Some(i) = issues.find(c) else {
        return not_found();
    };
    let now = Utc::now();
    let text = c.body["body"].as_str().unwrap_or("");
    let id = issues.seed_comment(i as u64 + 1, text, now);
    issues.list[i].updated_at = now;
    json_reply(
        201,
        json!({"id": id, "node_id": format!("IC_{id}"), "body": text, "user": bot(),
            "html_url": format!("{WEB}/issues/{}#issuecomment-{id}", i + 1),
            "created_at": ts(now), "updated_at": ts(now)}),
    )
}

fn list_comments(s: &mut State, c: &Call) -> ResponseTemplate {
    if let Some(r) = other_repo(c) {
        return r;
    }
    let issues = s.area::<Issues>();
    let Some(i) = issues.find(c) else {
        return not_found();
    };
    let items: Vec<Value> = issues.list[i]
        .comments
        .iter()
        .map(|m| json!({"id": m.id, "body": m.body, "created_at": ts(m.created_at), "user": bot()}))
        .collect();
    page(c, items)
}

fn get_label(s: &mut State, c: &Call) -> ResponseTemplate {
    if let Some(r) = other_repo(c) {
        return r;
    }
    let name = c.param("name");
    match s.area::<Issues>().labels.iter().find(|l| l["name"] == name) {
        Some(l) => json_reply(200, l.clone()),
        None => not_found(),
    }
}

fn create_label(s: &mut State, c: &Call) -> ResponseTemplate {
    if let Some(r) = other_repo(c) {
        return r;
    }
    let issues = s.area::<Issues>();
    if issues.labels.iter().any(|l| l["name"] == c.body["name"]) {
        return json_reply(
            422,
            json!({"message": "Validation Failed",
                   "errors": [{"resource": "Label", "code": "already_exists", "field": "name"}]}),
        );
    }
    issues.labels.push(c.body.clone());
    json_reply(201, c.body.clone())
}

/// The issue nodes of a GraphQL issues query (`ObsctlIssuesByLabel` with
/// `full`, with labels and the newest 100 comments; else `dora report`'s
/// `{number createdAt closedAt}`), filtered as GitHub does: `labels` any of
/// them, `filterBy.since` on the update time, `states`; newest first.
pub fn graphql_nodes(s: &mut State, vars: &Value, full: bool) -> Vec<Value> {
    let labels: Vec<&str> = vars["labels"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let since = time(vars["since"].as_str());
    let states: Option<Vec<&str>> = vars["states"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect());
    let mut list: Vec<&Issue> = s
        .area::<Issues>()
        .list
        .iter()
        .filter(|i| labels.is_empty() || i.labels.iter().any(|l| labels.contains(&l.as_str())))
        .filter(|i| since.is_none_or(|t| i.updated_at >= t))
        .filter(|i| {
            states
                .as_ref()
                .is_none_or(|st| st.iter().any(|x| (*x == "OPEN") == i.open))
        })
        .collect();
    list.sort_by_key(|i| std::cmp::Reverse((i.created_at, i.number)));
    list.into_iter()
        .map(|i| {
            if !full {
                return json!({"number": i.number, "createdAt": ts(i.created_at), "closedAt": i.closed_at.map(ts)});
            }
            let comments: Vec<Value> = i.comments[i.comments.len().saturating_sub(100)..]
                .iter()
                .map(|m| json!({"databaseId": m.id, "body": m.body, "createdAt": ts(m.created_at)}))
                .collect();
            json!({
                "number": i.number, "title": i.title, "url": format!("{WEB}/issues/{}", i.number),
                "state": if i.open { "OPEN" } else { "CLOSED" }, "body": i.body,
                "createdAt": ts(i.created_at), "closedAt": i.closed_at.map(ts),
                "labels": {"nodes": i.labels.iter().map(|l| json!({"name": l})).collect::<Vec<_>>()},
                "comments": {"totalCount": i.comments.len(), "nodes": comments},
            })
        })
        .collect()
}
