//! Sentry releases and their deploys:
//! `POST /api/0/organizations/{org}/releases/` (201 new, 208 already there),
//! `PUT .../releases/{version}/` (finalize via `dateReleased`),
//! `GET|POST .../releases/{version}/deploys/`,
//! `GET .../releases/?project=&environment=` (the list, newest first, each
//! with its `lastDeploy`; query and answer checked against `list-releases.json`).

use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use super::super::{Call, Route, State, check_answer, json_reply, now};
use super::{not_found, other_org};

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(
            "sentry.create_release",
            "POST",
            "/api/0/organizations/{org}/releases/",
            create_release,
        )
        .contract("sentry/create-release.json", "request"),
        Route::new(
            "sentry.list_releases",
            "GET",
            "/api/0/organizations/{org}/releases/",
            list_releases,
        )
        .query_contract("sentry/list-releases.json"),
        Route::new(
            "sentry.get_release",
            "GET",
            "/api/0/organizations/{org}/releases/{version}/",
            get_release,
        ),
        Route::new(
            "sentry.update_release",
            "PUT",
            "/api/0/organizations/{org}/releases/{version}/",
            update_release,
        )
        .contract("sentry/update-release.json", "request"),
        Route::new(
            "sentry.list_deploys",
            "GET",
            "/api/0/organizations/{org}/releases/{version}/deploys/",
            list_deploys,
        ),
        Route::new(
            "sentry.create_deploy",
            "POST",
            "/api/0/organizations/{org}/releases/{version}/deploys/",
            create_deploy,
        )
        .contract("sentry/create-release-deploy.json", "request"),
    ]
}

fn create_release(s: &mut State, c: &Call) -> ResponseTemplate {
    if let Some(r) = other_org(c) {
        return r;
    }
    let body = &c.body;
    let version = body["version"].as_str().unwrap_or("").to_string();
    if let Some(r) = s.sentry.releases.get(&version) {
        return json_reply(208, r.clone());
    }
    let r = json!({
        "version": version, "shortVersion": version,
        "ref": body.get("ref").cloned().unwrap_or(Value::Null),
        "url": body.get("url").cloned().unwrap_or(Value::Null),
        "projects": body["projects"].as_array().into_iter().flatten()
            .map(|p| json!({"slug": p, "name": p})).collect::<Vec<_>>(),
        "deployCount": 0,
        "dateCreated": now(),
        "dateReleased": body.get("dateReleased").cloned().unwrap_or(Value::Null),
        "commitCount": body.get("commits").and_then(Value::as_array).map(Vec::len).unwrap_or(0),
    });
    s.sentry.releases.insert(version, r.clone());
    json_reply(201, r)
}

fn get_release(s: &mut State, c: &Call) -> ResponseTemplate {
    if let Some(r) = other_org(c) {
        return r;
    }
    match s.sentry.releases.get(c.param("version")) {
        Some(r) => json_reply(200, r.clone()),
        None => not_found(),
    }
}

fn update_release(s: &mut State, c: &Call) -> ResponseTemplate {
    if let Some(r) = other_org(c) {
        return r;
    }
    match s.sentry.releases.get_mut(c.param("version")) {
        Some(r) => {
            for k in ["dateReleased", "ref", "url"] {
                if let Some(v) = c.body.get(k) {
                    r[k] = v.clone();
                }
            }
            json_reply(200, r.clone())
        }
        None => not_found(),
    }
}

fn list_deploys(s: &mut State, c: &Call) -> ResponseTemplate {
    if let Some(r) = other_org(c) {
        return r;
    }
    let version = c.param("version");
    if !s.sentry.releases.contains_key(version) {
        return not_found();
    }
    // Newest first, paged with cursors, as Sentry answers.
    let mut list = s.sentry.deploys.get(version).cloned().unwrap_or_default();
    list.reverse();
    super::page(c, list)
}

fn create_deploy(s: &mut State, c: &Call) -> ResponseTemplate {
    if let Some(r) = other_org(c) {
        return r;
    }
    let version = c.param("version").to_string();
    if !s.sentry.releases.contains_key(&version) {
        return not_found();
    }
    let body = &c.body;
    let id = s.id();
    let d = json!({
        "id": id.to_string(),
        "environment": body["environment"],
        "name": body.get("name").cloned().unwrap_or(Value::Null),
        "url": body.get("url").cloned().unwrap_or(Value::Null),
        "dateStarted": body.get("dateStarted").cloned().unwrap_or(Value::Null),
        "dateFinished": body.get("dateFinished").cloned().unwrap_or(json!(now())),
    });
    s.sentry.deploys.entry(version).or_default().push(d.clone());
    if let Some(r) = s.sentry.releases.get_mut(c.param("version")) {
        r["deployCount"] = json!(r["deployCount"].as_u64().unwrap_or(0) + 1);
    }
    json_reply(201, d)
}

/// Seed a release of `project` created at `created` (RFC 3339), as
/// `release create` leaves it, with one deploy to `environment` finished
/// at `finished`.
pub fn seed_release_with_deploy(
    s: &mut State,
    project: &str,
    version: &str,
    created: &str,
    environment: &str,
    (started, finished): (&str, &str),
) {
    s.sentry.releases.insert(
        version.into(),
        json!({"version": version, "shortVersion": version, "dateCreated": created,
               "projects": [{"slug": project, "name": project}], "deployCount": 1}),
    );
    let id = s.id().to_string();
    s.sentry.deploys.insert(
        version.into(),
        vec![
            json!({"id": id, "environment": environment, "name": version, "url": null,
                    "dateStarted": started, "dateFinished": finished}),
        ],
    );
}

/// The project slugs of a stored release (`["web"]` or `[{"slug": "web"}]`).
fn slugs(r: &Value) -> Vec<String> {
    r["projects"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p.as_str().or_else(|| p["slug"].as_str()))
        .map(String::from)
        .collect()
}

/// The organization's releases, newest first: those of the `project`s and
/// seen in the `environment`s asked (a deploy there), in Sentry's list shape.
fn list_releases(s: &mut State, c: &Call) -> ResponseTemplate {
    if let Some(r) = other_org(c) {
        return r;
    }
    let (projects, envs) = (c.query_all("project"), c.query_all("environment"));
    let mut list: Vec<Value> = s
        .sentry
        .releases
        .values()
        .filter(|r| projects.is_empty() || slugs(r).iter().any(|p| projects.contains(&p.as_str())))
        .filter_map(|r| {
            let version = r["version"].as_str().unwrap_or_default();
            let deploys = s.sentry.deploys.get(version).cloned().unwrap_or_default();
            let seen = envs.is_empty()
                || deploys
                    .iter()
                    .any(|d| envs.contains(&d["environment"].as_str().unwrap_or("")));
            seen.then(|| listed(r, deploys.last()))
        })
        .collect();
    list.sort_by(|a, b| b["dateCreated"].as_str().cmp(&a["dateCreated"].as_str()));
    check_answer(s, "sentry/list-releases.json", &Value::Array(list.clone()));
    super::page(c, list)
}

/// A stored release in the list's shape, with its newest deploy.
fn listed(r: &Value, last_deploy: Option<&Value>) -> Value {
    let version = r["version"].clone();
    let projects: Vec<Value> = slugs(r)
        .iter()
        .enumerate()
        .map(|(i, p)| {
            json!({"id": i + 1, "slug": p, "name": p, "newGroups": 0, "platform": null,
                   "platforms": [], "hasHealthData": false})
        })
        .collect();
    json!({
        "id": 1, "version": version, "shortVersion": r.get("shortVersion").unwrap_or(&version),
        "status": "open", "data": {}, "authors": [], "newGroups": 0, "versionInfo": null,
        "commitCount": r.get("commitCount").cloned().unwrap_or(json!(0)),
        "deployCount": r.get("deployCount").cloned().unwrap_or(json!(0)),
        "ref": r.get("ref").cloned().unwrap_or(Value::Null),
        "dateCreated": r.get("dateCreated").cloned().unwrap_or(Value::Null),
        "dateReleased": r.get("dateReleased").cloned().unwrap_or(Value::Null),
        "projects": projects,
        "lastDeploy": last_deploy.map(|d| json!({
            "id": d["id"], "environment": d["environment"], "name": d["name"].as_str().unwrap_or(""),
            "url": d["url"], "dateStarted": d["dateStarted"], "dateFinished": d["dateFinished"],
        })),
    })
}
