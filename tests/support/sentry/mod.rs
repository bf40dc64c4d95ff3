//! The Sentry fake: the web API under `/api/0/` for the one organization
//! `acme`, one file per area. Errors answer as Sentry does
//! (`{"detail": ...}`); a version in a path is percent-decoded.
//!
//! To add an area (detectors, workflows, events, keys, envelopes, Explore
//! queries, ...): create `sentry/<area>.rs` with `pub fn routes() ->
//! Vec<Route>` (its records in its own `#[derive(Default)]` type, reached
//! with `state.area::<T>()`), then add `pub mod <area>;` and one
//! `r.extend(<area>::routes());` line below.

pub mod monitors;
pub mod releases;

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
    r
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
