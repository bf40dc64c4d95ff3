//! Release health for `report`: two `GET /organizations/{org}/sessions/`
//! queries per service (contract `sentry/get-organization-sessions.json`),
//! behind a small trait so that the shared sessions client
//! (`providers/sentry/sessions.rs`, owned by `deploy verify`) can take over
//! without touching the report.

use chrono::{DateTime, Utc};
use obsctl_core::report::{SESSION_FIELDS, SessionGroup};
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use crate::http::HttpError;
use crate::providers::sentry::Sentry;

/// One sessions query of one project and environment.
#[derive(Clone, Debug)]
pub struct SessionsQuery<'a> {
    pub project: &'a str,
    pub environment: &'a str,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// `1d` or `1h`.
    pub interval: &'static str,
    /// Group by release (totals only, top releases by sessions).
    pub by_release: bool,
}

/// What a sessions query answered: bucket starts (unix seconds) and groups.
#[derive(Clone, Debug, Default)]
pub struct SessionsAnswer {
    pub intervals: Vec<i64>,
    pub groups: Vec<SessionGroup>,
}

/// The one thing `report` needs from a sessions client (used in this crate only).
#[allow(async_fn_in_trait)]
pub trait SessionsApi {
    async fn sessions(&self, q: &SessionsQuery<'_>) -> Result<SessionsAnswer, HttpError>;
}

#[derive(Deserialize)]
struct Raw {
    #[serde(default)]
    intervals: Vec<String>,
    #[serde(default)]
    groups: Vec<RawGroup>,
}

#[derive(Deserialize)]
struct RawGroup {
    #[serde(default)]
    by: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    totals: std::collections::BTreeMap<String, Option<f64>>,
    #[serde(default)]
    series: std::collections::BTreeMap<String, Vec<Option<f64>>>,
}

impl SessionsQuery<'_> {
    /// The query string (contract-checked in tests).
    pub fn params(&self) -> Vec<(&'static str, String)> {
        let iso = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%S").to_string();
        let mut p: Vec<(&'static str, String)> = SESSION_FIELDS
            .iter()
            .map(|f| ("field", f.to_string()))
            .collect();
        p.extend([
            ("project", self.project.to_string()),
            ("environment", self.environment.to_string()),
            ("start", iso(self.start)),
            ("end", iso(self.end)),
            ("interval", self.interval.to_string()),
        ]);
        if self.by_release {
            p.extend([
                ("groupBy", "release".to_string()),
                ("orderBy", "-sum(session)".to_string()),
                ("per_page", "10".to_string()),
                ("includeSeries", "0".to_string()),
            ]);
        }
        p
    }
}

impl SessionsApi for Sentry {
    async fn sessions(&self, q: &SessionsQuery<'_>) -> Result<SessionsAnswer, HttpError> {
        let params = q.params();
        let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let req = self
            .request(Method::GET, "query sessions", self.org_url("sessions/"))
            .query(&pairs)
            .dry_run_reply(
                json!({"start": "", "end": "", "intervals": [], "groups": [], "query": ""}),
            );
        let raw: Raw = self.send_ok(req).await?.json()?;
        Ok(SessionsAnswer {
            intervals: raw
                .intervals
                .iter()
                .filter_map(|s| DateTime::parse_from_rfc3339(s).ok())
                .map(|t| t.timestamp())
                .collect(),
            groups: raw
                .groups
                .into_iter()
                .map(|g| SessionGroup {
                    release: g
                        .by
                        .get("release")
                        .and_then(|v| v.as_str())
                        .map(String::from),
                    totals: g.totals,
                    series: g.series,
                })
                .collect(),
        })
    }
}
