//! Sentry releases and their deploys:
//! `POST /api/0/organizations/{org}/releases/` (201 new, 208 already there),
//! `GET .../releases/` (newest first, paged),
//! `PUT .../releases/{version}/` (finalize via `dateReleased`),
//! `GET|POST .../releases/{version}/deploys/`.

use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use super::super::{Call, Route, State, json_reply, now};
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
        .check(|_, c| super::explore::query_problems("sentry/list-releases.json", c)),
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

fn list_releases(s: &mut State, c: &Call) -> ResponseTemplate {
    if let Some(r) = other_org(c) {
        return r;
    }
    // Newest first, as Sentry sorts them by default.
    let mut list: Vec<Value> = s.sentry.releases.values().cloned().collect();
    list.sort_by(|a, b| {
        b["dateCreated"]
            .as_str()
            .unwrap_or("")
            .cmp(a["dateCreated"].as_str().unwrap_or(""))
    });
    super::page(c, list)
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
