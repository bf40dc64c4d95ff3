//! A project's client keys (DSNs): `GET /api/0/projects/{org}/{project}/keys/`
//! (query and answer checked against `sentry/list-project-keys.json`).
//! The project `web` (id [`PROJECT_ID`]) has two keys: [`OLD_KEY`],
//! inactive, listed first, and [`KEY`], active. Pages of one key (so that
//! obsctl must follow the cursor to find the active one). A key's DSN
//! points at the fake itself, whose envelope endpoint
//! ([`super::envelope`]) accepts only an active key of the project.
//! A missing scope: `always(At::Route("sentry.list_keys"), Act::status(403, ...))`.

use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use super::super::{Call, Fake, Route, State, check_answer};
use super::{not_found, other_org, page_of};

/// The project's active key (32 hex, like Sentry's).
pub const KEY: &str = "0ddba11cafe0f00d0123456789abcdef";
/// An inactive key, listed first.
pub const OLD_KEY: &str = "deadbeefdeadbeefdeadbeefdeadbeef";
/// The numeric id of the project `web`.
pub const PROJECT_ID: &str = "42";
const SECRET: &str = "5c241ebc42ccfbec281cbefbedc7ab96";

/// What the fake keeps of client keys.
pub struct Keys {
    /// `(key, active)` of the project `web`, in Sentry's order.
    pub keys: Vec<(String, bool)>,
    /// The active key's `rateLimit` (`{"window": s, "count": n}`), null by default.
    pub rate_limit: Value,
    /// Keys per page.
    pub page_size: usize,
}

impl Default for Keys {
    fn default() -> Self {
        Keys {
            keys: vec![(OLD_KEY.into(), false), (KEY.into(), true)],
            rate_limit: Value::Null,
            page_size: 1,
        }
    }
}

impl Keys {
    /// Whether `key` is an active key of project `project_id`.
    pub fn accepts(&self, key: &str, project_id: &str) -> bool {
        project_id == PROJECT_ID && self.keys.iter().any(|(k, active)| k == key && *active)
    }
}

/// `http://KEY@127.0.0.1:PORT/42`: a DSN of the project `web` on the fake.
pub fn dsn(fake: &Fake, key: &str) -> String {
    let host = fake.uri().trim_start_matches("http://").to_string();
    format!("http://{key}@{host}/{PROJECT_ID}")
}

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(
            "sentry.list_keys",
            "GET",
            "/api/0/projects/{org}/{project}/keys/",
            list_keys,
        )
        .query_contract("sentry/list-project-keys.json"),
    ]
}

fn list_keys(s: &mut State, c: &Call) -> ResponseTemplate {
    if let Some(r) = other_org(c) {
        return r;
    }
    if !matches!(c.param("project"), "web" | PROJECT_ID) {
        return not_found();
    }
    let host = c.base.trim_start_matches("http://").to_string();
    let k = s.area::<Keys>();
    let size = k.page_size;
    // `status=active` is not applied: obsctl's own check of `isActive` is
    // what the inactive key listed first tests.
    let list: Vec<Value> = k
        .keys
        .iter()
        .map(|(key, active)| {
            let mut v = key_json(key, *active, &host);
            if *active {
                v["rateLimit"] = k.rate_limit.clone();
            }
            v
        })
        .collect();
    check_answer(
        s,
        "sentry/list-project-keys.json",
        &Value::Array(list.clone()),
    );
    page_of(c, list, size)
}

/// One key as Sentry answers it; `host` is where its DSN points.
pub fn key_json(key: &str, active: bool, host: &str) -> Value {
    let ingest = format!("http://{host}/api/{PROJECT_ID}");
    json!({
        "id": key, "name": "Default", "label": "Default", "public": key, "secret": SECRET,
        "projectId": 42, "isActive": active, "rateLimit": null,
        "dsn": {
            "secret": format!("http://{key}:{SECRET}@{host}/{PROJECT_ID}"),
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
