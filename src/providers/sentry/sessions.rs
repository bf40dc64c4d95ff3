//! Sentry release health: `GET /api/0/organizations/{org}/sessions/`
//! (contract: `sentry/get-organization-sessions.json`). General: any
//! fields (`sum(session)`, `count_unique(user)`, `crash_free_rate(session)`
//! …), `groupBy` (`project`, `release`, `environment`, `session.status`),
//! interval, time range, projects, environments and a query. Rates are
//! ratios 0–1; totals and series values are null where there is no data.
//! At most 10,000 data points (groups × intervals) per query. Needs
//! `org:read`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::Sentry;
use super::explore::{iso, read_hint};
use crate::http::HttpError;

/// When the query covers.
#[derive(Clone, Debug)]
pub enum Period {
    /// `statsPeriod` (`24h`, `14d`).
    Relative(String),
    /// `start` / `end`, UTC (Sentry rounds them to the interval).
    Range(DateTime<Utc>, DateTime<Utc>),
}

impl Default for Period {
    fn default() -> Self {
        Period::Relative("24h".into())
    }
}

/// One sessions query.
#[derive(Clone, Debug, Default)]
pub struct SessionsQuery {
    /// Fields: `sum(session)`, `count_unique(user)`, `crash_free_rate(session|user)`, `crash_rate(…)`.
    pub fields: Vec<String>,
    /// `project`, `release`, `environment`, `session.status`.
    pub group_by: Vec<String>,
    /// Resolution (`1h` default on Sentry; sentry.io also takes minutes).
    pub interval: Option<String>,
    /// The time covered.
    pub period: Period,
    /// Project ids or slugs; empty: all accessible projects.
    pub projects: Vec<String>,
    /// Environments; empty: all.
    pub environments: Vec<String>,
    /// Search query (`release:"a" OR release:"b"`).
    pub query: Option<String>,
    /// `-sum(session)`: one of the fields, optional.
    pub order_by: Option<String>,
    /// Groups per request (optional).
    pub per_page: Option<u32>,
    /// `false`: `includeSeries=0` (totals only).
    pub include_series: bool,
}

/// The answer: totals and series per group.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct SessionsResult {
    /// The (rounded) start.
    #[serde(default)]
    pub start: String,
    /// The (rounded) end.
    #[serde(default)]
    pub end: String,
    /// Interval starts.
    #[serde(default)]
    pub intervals: Vec<String>,
    /// One per combination of `groupBy` values.
    #[serde(default)]
    pub groups: Vec<SessionGroup>,
}

/// One group of a sessions answer.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct SessionGroup {
    /// The `groupBy` values (`{"release": "v1"}`; `project` is an id).
    #[serde(default)]
    pub by: Map<String, Value>,
    /// Field → total over the period (None: no data).
    #[serde(default)]
    pub totals: BTreeMap<String, Option<f64>>,
    /// Field → one value per interval.
    #[serde(default)]
    pub series: BTreeMap<String, Vec<Option<f64>>>,
}

impl SessionGroup {
    /// The `by` value of `key` as text (`release`, `environment`, `project`).
    pub fn by_str(&self, key: &str) -> Option<String> {
        match self.by.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    /// The total of `field`, when there is data.
    pub fn total(&self, field: &str) -> Option<f64> {
        self.totals.get(field).copied().flatten()
    }
}

impl Sentry {
    /// Run one release-health sessions query.
    pub async fn sessions(&self, q: &SessionsQuery) -> Result<SessionsResult, HttpError> {
        let mut pairs: Vec<(&str, String)> =
            q.fields.iter().map(|f| ("field", f.clone())).collect();
        pairs.extend(q.group_by.iter().map(|g| ("groupBy", g.clone())));
        if let Some(i) = &q.interval {
            pairs.push(("interval", i.clone()));
        }
        match &q.period {
            Period::Relative(p) => pairs.push(("statsPeriod", p.clone())),
            Period::Range(s, e) => {
                pairs.push(("start", iso(*s)));
                pairs.push(("end", iso(*e)));
            }
        }
        pairs.extend(q.projects.iter().map(|p| ("project", p.clone())));
        pairs.extend(q.environments.iter().map(|e| ("environment", e.clone())));
        if let Some(query) = &q.query {
            pairs.push(("query", query.clone()));
        }
        if let Some(o) = &q.order_by {
            pairs.push(("orderBy", o.clone()));
        }
        if let Some(n) = q.per_page {
            pairs.push(("per_page", n.to_string()));
        }
        if !q.include_series {
            pairs.push(("includeSeries", "0".into()));
        }
        let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let req = self
            .request(
                Method::GET,
                "query release-health sessions",
                self.org_url("sessions/"),
            )
            .query(&borrowed)
            .dry_run_reply(
                json!({"start": "", "end": "", "intervals": [], "groups": [], "query": ""}),
            );
        let resp = self.http.send(req).await?;
        if !resp.is_success() {
            return Err(resp.error(read_hint(&resp)));
        }
        resp.json()
    }
}
