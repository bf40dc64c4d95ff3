//! One event by id: `GET /api/0/projects/{org}/{project}/events/{event_id}/`
//! (contract `sentry/get-project-event.json`; scope `project:read`). Sentry
//! answers 404 until the event is stored and indexed: that is "not yet",
//! not an error.

use reqwest::Method;
use serde::Deserialize;

use super::Sentry;
use super::keys::scope_hint;
use crate::http;

/// The parts of a stored event obsctl reports.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredEvent {
    /// The event id (32 hex).
    #[serde(default, rename = "eventID")]
    pub event_id: String,
    /// The issue it was grouped into.
    #[serde(default, rename = "groupID")]
    pub group_id: Option<String>,
    /// When Sentry received it (RFC 3339).
    #[serde(default)]
    pub date_received: Option<String>,
    /// The event's own timestamp as Sentry stored it (RFC 3339).
    #[serde(default)]
    pub date_created: Option<String>,
}

/// The answer of one lookup.
#[derive(Clone, Debug)]
pub enum Lookup {
    /// 200: stored and indexed.
    Found(StoredEvent),
    /// 404: not (yet) there.
    NotYet,
}

impl Sentry {
    /// Look the event up once. Errors: 401/403 (naming `project:read`) and
    /// anything but 200/404.
    pub async fn project_event(&self, project: &str, event_id: &str) -> anyhow::Result<Lookup> {
        let url = http::join(
            &self.config().api_base(),
            &format!(
                "projects/{}/{}/events/{}/",
                http::segment(&self.config().org),
                http::segment(project),
                http::segment(event_id)
            ),
        );
        let resp = self
            .http()
            .send(self.request(Method::GET, "look up the test event", url))
            .await?;
        match resp.status.as_u16() {
            200 => Ok(Lookup::Found(resp.json()?)),
            // A 404 for a missing project says so in its detail; an event
            // not yet indexed says "Event not found".
            404 if !resp
                .error_message()
                .to_ascii_lowercase()
                .contains("project") =>
            {
                Ok(Lookup::NotYet)
            }
            s => Err(resp.error(scope_hint(s, "project:read", project)).into()),
        }
    }
}
