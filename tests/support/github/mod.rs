//! The GitHub fake: REST (releases, deployments and their statuses, issues)
//! and GraphQL (`dora report`'s deployments and incident issues, issues by
//! label), for the one repository `acme/web`. Every GraphQL query is
//! validated against GitHub's full public schema
//! (`contracts/github/graphql-schema.graphql`, see [`graphql`]). Lists are
//! paginated as GitHub does (`per_page`, `page`, `Link: <...>; rel="next"`).
//!
//! To add an area: `github/<area>.rs` with `pub fn routes() -> Vec<Route>`,
//! plus `pub mod <area>;` and one `r.extend(<area>::routes());` below.

pub mod graphql;
pub mod issues;

use std::collections::HashMap;

use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use super::{Call, GH_OWNER, GH_REPO, Route, Seen, State, json_reply, now};

/// What the GitHub fake keeps.
#[derive(Default)]
pub struct Records {
    pub releases: Vec<Value>,
    /// Deployments, oldest first (answers list them newest first).
    pub deployments: Vec<Value>,
    /// Deployment id → its statuses, oldest first.
    pub statuses: HashMap<u64, Vec<Value>>,
    /// Deployment nodes of the GraphQL `deployments` connection, newest first.
    pub gql_deployments: Vec<Value>,
    /// Issue nodes of the GraphQL `issues` connection (incidents), newest first.
    pub gql_issues: Vec<Value>,
    /// The repository's environments (GraphQL `environments`), by name. When
    /// not empty, `deployments(environments: [E])` answers `gql_deployments`
    /// only for an E among them (none otherwise), as GitHub filters.
    pub gql_environments: Vec<String>,
}

pub fn routes() -> Vec<Route> {
    let mut r = vec![
        Route::new(
            "github.create_release",
            "POST",
            "/repos/{owner}/{repo}/releases",
            create_release,
        )
        .contract("github/create-release.json", "request"),
        Route::new(
            "github.generate_release_notes",
            "POST",
            "/repos/{owner}/{repo}/releases/generate-notes",
            generate_notes,
        )
        .contract("github/generate-release-notes.json", "request"),
        Route::new(
            "github.get_release_by_tag",
            "GET",
            "/repos/{owner}/{repo}/releases/tags/{tag}",
            release_by_tag,
        ),
        Route::new(
            "github.list_releases",
            "GET",
            "/repos/{owner}/{repo}/releases",
            list_releases,
        ),
        Route::new(
            "github.update_release",
            "PATCH",
            "/repos/{owner}/{repo}/releases/{id}",
            update_release,
        )
        .contract("github/update-release.json", "request"),
        Route::new(
            "github.create_deployment",
            "POST",
            "/repos/{owner}/{repo}/deployments",
            create_deployment,
        )
        .contract("github/create-deployment.json", "request"),
        Route::new(
            "github.list_deployments",
            "GET",
            "/repos/{owner}/{repo}/deployments",
            list_deployments,
        ),
        Route::new(
            "github.get_deployment",
            "GET",
            "/repos/{owner}/{repo}/deployments/{id}",
            get_deployment,
        ),
        Route::new(
            "github.create_deployment_status",
            "POST",
            "/repos/{owner}/{repo}/deployments/{id}/statuses",
            create_status,
        )
        .contract("github/create-deployment-status.json", "request")
        // GitHub answers 422 above 140 characters (the response schema's
        // `maxLength`; the request schema does not say).
        .check(|_, c| {
            let n = c.body["description"]
                .as_str()
                .map_or(0, |d| d.chars().count());
            if n > 140 {
                vec![format!(
                    "status description of {n} characters: GitHub allows 140"
                )]
            } else {
                vec![]
            }
        }),
        Route::new(
            "github.list_deployment_statuses",
            "GET",
            "/repos/{owner}/{repo}/deployments/{id}/statuses",
            list_statuses,
        ),
    ];
    r.extend(graphql::routes());
    r.extend(issues::routes());
    r
}

/// Whether a logged request is a GraphQL query (reads only).
pub fn is_graphql_query(s: &Seen) -> bool {
    s.path == "/graphql"
        && s.body["query"]
            .as_str()
            .is_some_and(|q| q.trim_start().starts_with("query"))
}

pub fn not_found() -> ResponseTemplate {
    json_reply(
        404,
        json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"}),
    )
}

/// `None` for `acme/web`, else GitHub's 404.
pub fn other_repo(c: &Call) -> Option<ResponseTemplate> {
    (c.param("owner") != GH_OWNER || c.param("repo") != GH_REPO).then(not_found)
}

/// A user object as GitHub embeds it (`creator`, `author`).
pub fn user() -> Value {
    json!({
        "login": "octocat", "id": 1, "node_id": "MDQ6VXNlcjE=",
        "avatar_url": "https://github.com/images/error/octocat_happy.gif", "gravatar_id": "",
        "url": "https://api.github.com/users/octocat", "html_url": "https://github.com/octocat",
        "followers_url": "https://api.github.com/users/octocat/followers",
        "following_url": "https://api.github.com/users/octocat/following{/other_user}",
        "gists_url": "https://api.github.com/users/octocat/gists{/gist_id}",
        "starred_url": "https://api.github.com/users/octocat/starred{/owner}{/repo}",
        "subscriptions_url": "https://api.github.com/users/octocat/subscriptions",
        "organizations_url": "https://api.github.com/users/octocat/orgs",
        "repos_url": "https://api.github.com/users/octocat/repos",
        "events_url": "https://api.github.com/users/octocat/events{/privacy}",
        "received_events_url": "https://api.github.com/users/octocat/received_events",
        "type": "User", "site_admin": false
    })
}

/// One page of `list` as GitHub answers it: `per_page` (default 30, at most
/// 100), `page` (from 1), and a `Link` header with `rel="next"` when more
/// (absolute, at the fake's own origin, as GitHub's point at its API host).
pub fn page(c: &Call, list: Vec<Value>) -> ResponseTemplate {
    let per: usize = c
        .query("per_page")
        .and_then(|v| v.parse().ok())
        .unwrap_or(30)
        .clamp(1, 100);
    let page: usize = c
        .query("page")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1);
    let total = list.len();
    let items: Vec<Value> = list.into_iter().skip((page - 1) * per).take(per).collect();
    let mut t = json_reply(200, Value::Array(items));
    if page * per < total {
        let mut q: Vec<(String, String)> = c
            .query
            .iter()
            .filter(|(k, _)| *k != "page")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        q.sort();
        q.push(("page".into(), (page + 1).to_string()));
        let q: Vec<String> = q.iter().map(|(k, v)| format!("{k}={v}")).collect();
        t = t.insert_header(
            "link",
            format!("<{}{}?{}>; rel=\"next\"", c.base, c.path, q.join("&")),
        );
    }
    t
}

/// GitHub's 422 for a release body over 125,000 characters.
fn body_too_long(body: &Value) -> Option<ResponseTemplate> {
    let n = body["body"].as_str()?.chars().count();
    (n > 125_000).then(|| {
        json_reply(
            422,
            json!({
                "message": "Validation Failed",
                "errors": [{"resource": "Release", "code": "custom", "field": "body",
                    "message": "body is too long (maximum is 125000 characters)"}],
            }),
        )
    })
}

fn create_release(s: &mut State, c: &Call) -> ResponseTemplate {
    if let Some(r) = other_repo(c) {
        return r;
    }
    let body = &c.body;
    if let Some(r) = body_too_long(body) {
        return r;
    }
    let tag = body["tag_name"].as_str().unwrap_or("").to_string();
    if s.github.releases.iter().any(|r| r["tag_name"] == tag) {
        return json_reply(
            422,
            json!({
                "message": "Validation Failed",
                "errors": [{"resource": "Release", "code": "already_exists", "field": "tag_name"}],
                "documentation_url": "https://docs.github.com/rest/releases/releases#create-a-release"
            }),
        );
    }
    let id = s.id();
    let r = json!({
        "url": format!("https://api.github.com/repos/acme/web/releases/{id}"),
        "html_url": format!("https://github.example/acme/web/releases/tag/{tag}"),
        "id": id, "node_id": "MDc6UmVsZWFzZTE=",
        "tag_name": tag,
        "target_commitish": body.get("target_commitish").cloned().unwrap_or(json!("main")),
        "name": body["name"], "body": body["body"],
        "draft": body.get("draft").cloned().unwrap_or(json!(false)),
        "prerelease": body.get("prerelease").cloned().unwrap_or(json!(false)),
        "make_latest": body.get("make_latest").cloned().unwrap_or(json!("true")),
        "author": user(),
        "created_at": now(), "published_at": now(),
        "assets": [],
    });
    s.github.releases.push(r.clone());
    json_reply(201, r)
}

fn generate_notes(_: &mut State, c: &Call) -> ResponseTemplate {
    if let Some(r) = other_repo(c) {
        return r;
    }
    // The shape of GitHub's documented example.
    let tag = c.body["tag_name"].as_str().unwrap_or("");
    let previous = c.body["previous_tag_name"].as_str().unwrap_or(tag);
    json_reply(
        200,
        json!({
            "name": format!("Release {tag} is now available!"),
            "body": format!("##Changes in Release {previous} ... ##Contributors @monalisa"),
        }),
    )
}

fn release_by_tag(s: &mut State, c: &Call) -> ResponseTemplate {
    if let Some(r) = other_repo(c) {
        return r;
    }
    let tag = c.param("tag");
    // Drafts are not found by tag, as on GitHub.
    match s
        .github
        .releases
        .iter()
        .find(|r| r["tag_name"] == tag && r["draft"] != true)
    {
        Some(r) => json_reply(200, r.clone()),
        None => not_found(),
    }
}

fn list_releases(s: &mut State, c: &Call) -> ResponseTemplate {
    if let Some(r) = other_repo(c) {
        return r;
    }
    let mut list = s.github.releases.clone();
    list.reverse();
    page(c, list)
}

fn update_release(s: &mut State, c: &Call) -> ResponseTemplate {
    if let Some(r) = other_repo(c) {
        return r;
    }
    if let Some(r) = body_too_long(&c.body) {
        return r;
    }
    let id: u64 = c.param("id").parse().unwrap_or(0);
    match s.github.releases.iter_mut().find(|r| r["id"] == id) {
        Some(r) => {
            for (k, v) in c.body.as_object().into_iter().flatten() {
                r[k] = v.clone();
            }
            json_reply(200, r.clone())
        }
        None => not_found(),
    }
}

fn create_deployment(s: &mut State, c: &Call) -> ResponseTemplate {
    if let Some(r) = other_repo(c) {
        return r;
    }
    let body = &c.body;
    let id = 1000 + s.id();
    let d = json!({
        "url": format!("https://api.github.com/repos/acme/web/deployments/{id}"),
        "id": id, "node_id": "MDEwOkRlcGxveW1lbnQx",
        "sha": body["ref"], "ref": body["ref"],
        "task": body.get("task").cloned().unwrap_or(json!("deploy")),
        "payload": body.get("payload").cloned().unwrap_or(json!({})),
        "original_environment": body.get("environment").cloned().unwrap_or(json!("production")),
        "environment": body.get("environment").cloned().unwrap_or(json!("production")),
        "description": body.get("description").cloned().unwrap_or(Value::Null),
        "creator": user(),
        "created_at": now(), "updated_at": now(),
        "statuses_url": format!("https://api.github.com/repos/acme/web/deployments/{id}/statuses"),
        "repository_url": "https://api.github.com/repos/acme/web",
        "transient_environment": body.get("transient_environment").cloned().unwrap_or(json!(false)),
        "production_environment": body.get("production_environment").cloned().unwrap_or(json!(false)),
    });
    s.github.deployments.push(d.clone());
    s.github.statuses.insert(id, vec![]);
    json_reply(201, d)
}

fn list_deployments(s: &mut State, c: &Call) -> ResponseTemplate {
    if let Some(r) = other_repo(c) {
        return r;
    }
    let mut list: Vec<Value> = s
        .github
        .deployments
        .iter()
        .filter(|d| c.query("sha").is_none_or(|v| d["sha"] == v))
        .filter(|d| c.query("ref").is_none_or(|v| d["ref"] == v))
        .filter(|d| c.query("task").is_none_or(|v| d["task"] == v))
        .filter(|d| c.query("environment").is_none_or(|v| d["environment"] == v))
        .cloned()
        .collect();
    list.reverse(); // newest first, as GitHub answers
    page(c, list)
}

fn get_deployment(s: &mut State, c: &Call) -> ResponseTemplate {
    if let Some(r) = other_repo(c) {
        return r;
    }
    let id: u64 = c.param("id").parse().unwrap_or(0);
    match s.github.deployments.iter().find(|d| d["id"] == id) {
        Some(d) => json_reply(200, d.clone()),
        None => not_found(),
    }
}

fn create_status(s: &mut State, c: &Call) -> ResponseTemplate {
    if let Some(r) = other_repo(c) {
        return r;
    }
    let id: u64 = c.param("id").parse().unwrap_or(0);
    let Some(env) = s
        .github
        .deployments
        .iter()
        .find(|d| d["id"] == id)
        .map(|d| d["environment"].clone())
    else {
        return not_found();
    };
    let body = &c.body;
    let sid = s.id();
    let st = json!({
        "url": format!("https://api.github.com/repos/acme/web/deployments/{id}/statuses/{sid}"),
        "id": sid, "node_id": "MDE2OkRlcGxveW1lbnRTdGF0dXMx",
        "state": body["state"], "creator": user(),
        "description": body.get("description").cloned().unwrap_or(json!("")),
        "environment": body.get("environment").cloned().unwrap_or(env),
        "target_url": body.get("log_url").or(body.get("target_url")).cloned().unwrap_or(json!("")),
        "log_url": body.get("log_url").cloned().unwrap_or(json!("")),
        "environment_url": body.get("environment_url").cloned().unwrap_or(json!("")),
        "created_at": now(), "updated_at": now(),
        "deployment_url": format!("https://api.github.com/repos/acme/web/deployments/{id}"),
        "repository_url": "https://api.github.com/repos/acme/web",
    });
    s.github.statuses.entry(id).or_default().push(st.clone());
    json_reply(201, st)
}

fn list_statuses(s: &mut State, c: &Call) -> ResponseTemplate {
    if let Some(r) = other_repo(c) {
        return r;
    }
    let id: u64 = c.param("id").parse().unwrap_or(0);
    if !s.github.deployments.iter().any(|d| d["id"] == id) {
        return not_found();
    }
    let mut list = s.github.statuses.get(&id).cloned().unwrap_or_default();
    list.reverse();
    page(c, list)
}
