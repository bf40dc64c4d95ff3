//! One event by id: `GET /api/0/projects/{org}/{project}/events/{event_id}/`
//! (answer checked against `sentry/get-project-event.json`). As on Sentry an
//! accepted event ([`super::envelope`]) is readable only once stored and
//! indexed: 404 `Event not found` until [`Indexing::visible_after`] has
//! passed since it was accepted (`None`: never).

use std::time::Duration;

use serde_json::json;
use wiremock::ResponseTemplate;

use super::super::{Call, Route, State, checked_reply, json_reply};
use super::envelope::Envelopes;
use super::keys::PROJECT_ID;
use super::{not_found, other_org};

/// How long Sentry takes to make an accepted event readable.
pub struct Indexing {
    /// `None`: accepted events never become readable.
    pub visible_after: Option<Duration>,
}

impl Default for Indexing {
    fn default() -> Self {
        Indexing {
            visible_after: Some(Duration::from_millis(200)),
        }
    }
}

/// The group (issue) every test event lands in.
pub const GROUP_ID: &str = "1001";
/// Sentry's `dateReceived` − `dateCreated` in the answers, in ms.
pub const SERVER_LAG_MS: i64 = 35;

pub fn routes() -> Vec<Route> {
    vec![Route::new(
        "sentry.get_event",
        "GET",
        "/api/0/projects/{org}/{project}/events/{event_id}/",
        get_event,
    )]
}

fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn get_event(s: &mut State, c: &Call) -> ResponseTemplate {
    if let Some(r) = other_org(c) {
        return r;
    }
    if !matches!(c.param("project"), "web" | PROJECT_ID) {
        return not_found();
    }
    let id = c.param("event_id");
    let visible = s.area::<Indexing>().visible_after;
    let found = s
        .area::<Envelopes>()
        .received
        .iter()
        .find(|r| r.event_id == id)
        .filter(|r| visible.is_some_and(|d| r.at.elapsed() >= d))
        .cloned();
    let Some(r) = found else {
        return json_reply(404, json!({"detail": "Event not found"}));
    };
    let p = &r.payload;
    let ts = p["timestamp"].as_f64().unwrap_or(0.0);
    let created = chrono::DateTime::from_timestamp_micros((ts * 1e6) as i64).unwrap();
    let received = created + chrono::Duration::milliseconds(SERVER_LAG_MS);
    let tags: Vec<_> = p["tags"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| json!({"key": k, "value": v.as_str().unwrap_or_default()}))
        .collect();
    let body = json!({
        "id": id, "eventID": id, "groupID": GROUP_ID, "projectID": PROJECT_ID,
        "message": p["message"], "title": p["message"], "location": null,
        "dateCreated": rfc3339(created), "dateReceived": rfc3339(received),
        "tags": tags, "type": "default", "platform": "other", "entries": [],
        "_meta": {}, "context": {}, "contexts": {}, "dist": null, "errors": [],
        "metadata": {}, "nextEventID": null, "previousEventID": null, "occurrence": null,
        "packages": {}, "release": null, "resolvedWith": [], "sdk": null, "sdkUpdates": [],
        "size": p.to_string().len(), "user": null, "userReport": null,
    });
    checked_reply(s, "sentry/get-project-event.json", body)
}
