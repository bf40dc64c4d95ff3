//! The Sentry fake: the web API under `/api/0/` for the one organization
//! `acme`, one file per area. Errors answer as Sentry does
//! (`{"detail": ...}`); a version in a path is percent-decoded.
//!
//! Areas: `releases` (releases, deploys, the release list), `monitors`
//! (detectors, workflows, integrations, teams), `keys` (client keys/DSNs),
//! `envelope` (ingestion), `events` (events by id, 404 until indexed),
//! `stats` (stats_v2 outcomes), `report_series` (events-timeseries and
//! sessions from a seeded model, for `report`).
//!
//! To add an area: create `sentry/<area>.rs` with `pub fn routes() ->
//! Vec<Route>` (its records in its own `#[derive(Default)]` type, reached
//! with `state.area::<T>()`), then add `pub mod <area>;` and one
//! `r.extend(<area>::routes());` line below.

pub mod envelope;
pub mod events;
pub mod explore;
pub mod keys;
pub mod monitors;
pub mod releases;
pub mod report_series;
pub mod sessions;
pub mod stats;

use std::collections::HashMap;

use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use super::{Call, Route, SENTRY_ORG, json_reply};

/// What the Sentry fake keeps of releases and deploys (areas added later
/// keep theirs through `State::area`).
#[derive(Default)]
pub struct Records {
    /// Version → release.
    pub releases: HashMap<String, Value>,
    /// Version → its deploys, oldest first.
    pub deploys: HashMap<String, Vec<Value>>,
}

/// Every Sentry route.
pub fn routes() -> Vec<Route> {
    let mut r = Vec::new();
    r.extend(releases::routes());
    r.extend(monitors::routes());
    r.extend(explore::routes());
    r.extend(sessions::routes());
    r.extend(keys::routes());
    r.extend(envelope::routes());
    r.extend(events::routes());
    r.extend(stats::routes());
    r
}

/// Compile the contracts the Sentry areas check their own answers
/// against, before any request waits on them.
pub fn warm_up() {
    for file in [
        "sentry/list-project-keys.json",
        "sentry/get-project-event.json",
        "sentry/list-organization-stats-v2.json",
        "sentry/get-organization-detector.json",
        "sentry/list-releases.json",
        "sentry/list-organization-events-timeseries.json",
        "sentry/get-organization-sessions.json",
    ] {
        super::contract::errors(file, Some("response_200"), &Value::Null);
    }
    for def in ["envelopeHeader", "itemHeader", "eventPayload"] {
        super::contract::errors("sentry/envelope.json", Some(def), &Value::Null);
    }
    super::contract::errors("sentry/dsn.json", None, &Value::Null);
}

/// Sentry's page size for lists (its paginator's default `per_page`).
pub const PAGE_SIZE: usize = 100;

/// One page of `list` as Sentry answers it: `per_page` (default
/// [`PAGE_SIZE`], at most 100) from the `cursor` (`0:OFFSET:IS_PREV`), and a
/// `Link` header with `rel="previous"` and `rel="next"`, each with
/// `results="true|false"` (a next link is always there; `results="false"`
/// says it is empty), keeping the other query parameters.
pub fn page(c: &Call, list: Vec<Value>) -> ResponseTemplate {
    page_of(c, list, PAGE_SIZE)
}

/// [`page`] with another default page size (when `per_page` is not given).
pub fn page_of(c: &Call, list: Vec<Value>, default_size: usize) -> ResponseTemplate {
    let size: usize = c
        .query("per_page")
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_size)
        .clamp(1, 100);
    let offset: usize = c
        .query("cursor")
        .and_then(|v| v.split(':').nth(1))
        .and_then(|o| o.parse().ok())
        .unwrap_or(0);
    let more = offset + size < list.len();
    let chunk: Vec<Value> = list.into_iter().skip(offset).take(size).collect();
    let mut keep: Vec<String> = c
        .query
        .iter()
        .filter(|(k, _)| *k != "cursor")
        .map(|(k, v)| format!("{k}={v}&"))
        .collect();
    keep.sort();
    let (keep, uri) = (keep.concat(), format!("{}{}", c.base, c.path));
    let prev = offset.saturating_sub(size);
    let next = offset + size;
    let link = format!(
        "<{uri}?{keep}cursor=0:{prev}:1>; rel=\"previous\"; results=\"{}\"; cursor=\"0:{prev}:1\", \
         <{uri}?{keep}cursor=0:{next}:0>; rel=\"next\"; results=\"{more}\"; cursor=\"0:{next}:0\"",
        offset > 0
    );
    json_reply(200, Value::Array(chunk)).insert_header("link", link.as_str())
}

/// Sentry's answer to a token without the scope an operation needs, for a
/// fault: `always(At::Route("sentry.stats_v2"), sentry::forbidden())`.
pub fn forbidden() -> super::Act {
    super::Act::status(
        403,
        json!({"detail": "You do not have permission to perform this action."}),
    )
}

/// Sentry's 404.
pub fn not_found() -> ResponseTemplate {
    json_reply(
        404,
        json!({"detail": "The requested resource does not exist"}),
    )
}

/// `None` for the organization `acme`, else Sentry's 404.
pub fn other_org(c: &Call) -> Option<ResponseTemplate> {
    (c.param("org") != SENTRY_ORG).then(not_found)
}
