//! Sentry's Explore table: `GET /api/0/organizations/{org}/events/`
//! (contract: `sentry/list-organization-events.json`). Span metrics live on
//! `dataset=spans` with `is_transaction:true`; `failure_rate()` is a ratio
//! 0–1, `p95(span.duration)` milliseconds, `epm()` events per minute over
//! the query's whole time range. At most 20 fields per request; the old
//! `transactions` dataset is gone. Needs `org:read` (or `event:read`).

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::Sentry;
use crate::http::{HttpError, Response};

/// Sentry's limit on `field` per request.
pub const MAX_FIELDS: usize = 20;
/// Rows per page (Sentry's maximum).
pub const PER_PAGE: usize = 100;
/// Pages followed at most (a table of aggregates is a few rows; this
/// bounds a runaway query): 10 × 100 rows.
pub const MAX_PAGES: usize = 10;
/// The datasets Sentry's Explore accepts.
pub const DATASETS: [&str; 6] = [
    "errors",
    "logs",
    "profile_functions",
    "spans",
    "tracemetrics",
    "uptime_results",
];

/// One Explore table query.
#[derive(Clone, Debug, Default)]
pub struct ExploreQuery {
    /// `spans`, `errors`, `logs`, … (see [`DATASETS`]).
    pub dataset: String,
    /// Columns and aggregates (at most [`MAX_FIELDS`]).
    pub fields: Vec<String>,
    /// Search query (`is_transaction:true release:[a,b]`).
    pub query: String,
    /// Project slugs (or ids); empty: all accessible projects.
    pub projects: Vec<String>,
    /// Environments; empty: all.
    pub environments: Vec<String>,
    /// Inclusive start, UTC.
    pub start: DateTime<Utc>,
    /// Exclusive end, UTC.
    pub end: DateTime<Utc>,
    /// Sort field (`-count(span.duration)`), optional.
    pub sort: Option<String>,
}

/// The table Sentry returns: rows keyed by field, and the fields' types and units.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ExploreTable {
    /// One object per row (all pages).
    #[serde(default)]
    pub data: Vec<Map<String, Value>>,
    /// Types (`integer`, `number`, `percentage`, `duration`, `rate`) and units (`millisecond`, `1/minute`).
    #[serde(default)]
    pub meta: ExploreMeta,
}

/// `meta` of an Explore answer.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ExploreMeta {
    /// Field → type.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// Field → unit.
    #[serde(default)]
    pub units: BTreeMap<String, Option<String>>,
}

/// A row's number (Sentry sends integers, floats, or null).
pub fn number(row: &Map<String, Value>, field: &str) -> Option<f64> {
    row.get(field).and_then(Value::as_f64)
}

/// A row's string.
pub fn string<'a>(row: &'a Map<String, Value>, field: &str) -> Option<&'a str> {
    row.get(field).and_then(Value::as_str)
}

/// A search value, quoted when Sentry's search syntax needs it.
pub fn quote(v: &str) -> String {
    let plain = !v.is_empty()
        && !v.starts_with('!')
        && !v.chars().any(|c| {
            c.is_whitespace() || matches!(c, ',' | '(' | ')' | '[' | ']' | '"' | '\\' | ':')
        });
    if plain {
        v.to_string()
    } else {
        format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

/// RFC 3339 in UTC, whole seconds (`2026-11-29T10:07:00Z`).
pub fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The fix for an Explore or sessions query Sentry refused.
pub fn read_hint(resp: &Response) -> Option<String> {
    match resp.status.as_u16() {
        401 => Some("SENTRY_AUTH_TOKEN is invalid or expired: create a token with `org:read` (or `event:read`)".into()),
        403 => Some("SENTRY_AUTH_TOKEN cannot query Explore or release health: it needs the `org:read` (or `event:read`) scope, and access to the project".into()),
        400 => Some("Sentry rejected the query: check the project slug, the environment and that the release names exist".into()),
        404 => Some("not found: check SENTRY_ORG and SENTRY_URL".into()),
        _ => None,
    }
}

/// The next page's cursor from a Sentry `Link` header (only when its
/// `results="true"`: Sentry always sends a next link).
pub fn next_cursor(resp: &Response) -> Option<String> {
    let link = resp.header("link")?;
    link.split(',').find_map(|part| {
        let part = part.trim();
        if !part.contains("rel=\"next\"") || !part.contains("results=\"true\"") {
            return None;
        }
        let start = part.find("cursor=\"")? + "cursor=\"".len();
        let end = part[start..].find('"')? + start;
        Some(part[start..end].to_string())
    })
}

impl Sentry {
    /// Run one Explore table query, following pages up to [`MAX_PAGES`].
    /// Refuses (without sending) more than [`MAX_FIELDS`] fields or an
    /// unknown dataset, as Sentry would.
    pub async fn explore_table(&self, q: &ExploreQuery) -> Result<ExploreTable, HttpError> {
        let refuse = |detail: String| HttpError::Status {
            provider: crate::http::Provider::Sentry,
            op: "query Explore".into(),
            status: 400,
            message: detail,
            hint: None,
        };
        if q.fields.is_empty() || q.fields.len() > MAX_FIELDS {
            return Err(refuse(format!(
                "{} fields: Explore takes 1 to {MAX_FIELDS} per request",
                q.fields.len()
            )));
        }
        if !DATASETS.contains(&q.dataset.as_str()) {
            return Err(refuse(format!(
                "unknown dataset {:?}: use one of {} (transactions are `spans` with is_transaction:true)",
                q.dataset,
                DATASETS.join(", ")
            )));
        }
        let mut table = ExploreTable::default();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut pairs: Vec<(&str, String)> = vec![("dataset", q.dataset.clone())];
            pairs.extend(q.fields.iter().map(|f| ("field", f.clone())));
            pairs.push(("query", q.query.clone()));
            pairs.extend(q.projects.iter().map(|p| ("project", p.clone())));
            pairs.extend(q.environments.iter().map(|e| ("environment", e.clone())));
            pairs.push(("start", iso(q.start)));
            pairs.push(("end", iso(q.end)));
            if let Some(s) = &q.sort {
                pairs.push(("sort", s.clone()));
            }
            pairs.push(("per_page", PER_PAGE.to_string()));
            if let Some(c) = &cursor {
                pairs.push(("cursor", c.clone()));
            }
            let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let req = self
                .request(Method::GET, "query Explore", self.org_url("events/"))
                .query(&borrowed)
                .dry_run_reply(json!({"data": [], "meta": {"fields": {}}}));
            let resp = self.http.send(req).await?;
            if !resp.is_success() {
                return Err(resp.error(read_hint(&resp)));
            }
            let page: ExploreTable = resp.json()?;
            table.meta = page.meta;
            let full = page.data.len() >= PER_PAGE;
            table.data.extend(page.data);
            cursor = next_cursor(&resp);
            if cursor.is_none() || !full {
                break;
            }
        }
        Ok(table)
    }
}

/// One release's time series of one aggregate (`--method mann-whitney`).
#[derive(Clone, Debug, Default)]
pub struct ReleaseSeries {
    /// The `release` group value.
    pub release: String,
    /// The aggregate (`failure_rate()`, `p95(span.duration)`).
    pub y_axis: String,
    /// (bucket start, value); buckets Sentry marks incomplete are dropped.
    pub values: Vec<(DateTime<Utc>, f64)>,
}

#[derive(Deserialize)]
struct TimeseriesAnswer {
    #[serde(default, rename = "timeSeries")]
    time_series: Vec<TimeseriesItem>,
}

#[derive(Deserialize)]
struct TimeseriesItem {
    #[serde(default, rename = "yAxis")]
    y_axis: String,
    #[serde(default, rename = "groupBy")]
    group_by: Option<Vec<GroupValue>>,
    #[serde(default)]
    values: Vec<TimeseriesValue>,
}

#[derive(Deserialize)]
struct GroupValue {
    key: String,
    #[serde(default)]
    value: Value,
}

#[derive(Deserialize)]
struct TimeseriesValue {
    timestamp: f64,
    #[serde(default)]
    value: Option<f64>,
    #[serde(default)]
    incomplete: bool,
}

impl Sentry {
    /// Per-minute buckets of `y_axes` for each of `releases` (spans,
    /// `is_transaction:true`), one request: `GET .../events-timeseries/`
    /// (contract `sentry/list-organization-events-timeseries.json`) with
    /// `groupBy=release` and `topEvents` = the number of releases.
    ///
    /// The smallest call `deploy verify` needs; the general time-series
    /// client is `timeseries.rs` (report helper).
    pub async fn explore_timeseries_by_release(
        &self,
        project: &str,
        environment: &str,
        releases: &[&str],
        y_axes: &[&str],
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<ReleaseSeries>, HttpError> {
        let list = releases
            .iter()
            .map(|r| quote(r))
            .collect::<Vec<_>>()
            .join(",");
        let mut pairs: Vec<(&str, String)> = vec![("dataset", "spans".into())];
        pairs.extend(y_axes.iter().map(|y| ("yAxis", y.to_string())));
        pairs.push(("query", format!("is_transaction:true release:[{list}]")));
        pairs.push(("groupBy", "release".into()));
        pairs.push(("topEvents", releases.len().clamp(1, 10).to_string()));
        pairs.push((
            "sort",
            format!("-{}", y_axes.first().copied().unwrap_or("count()")),
        ));
        pairs.push(("interval", "60".into()));
        pairs.push(("project", project.into()));
        pairs.push(("environment", environment.into()));
        pairs.push(("start", iso(start)));
        pairs.push(("end", iso(end)));
        let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let req = self
            .request(
                Method::GET,
                "query Explore time series",
                self.org_url("events-timeseries/"),
            )
            .query(&borrowed)
            .dry_run_reply(
                json!({"timeSeries": [], "meta": {"dataset": "spans", "start": 0, "end": 0}}),
            );
        let resp = self.http.send(req).await?;
        if !resp.is_success() {
            return Err(resp.error(read_hint(&resp)));
        }
        let answer: TimeseriesAnswer = resp.json()?;
        Ok(answer
            .time_series
            .into_iter()
            .map(|s| ReleaseSeries {
                release: s
                    .group_by
                    .unwrap_or_default()
                    .into_iter()
                    .find(|g| g.key == "release")
                    .and_then(|g| g.value.as_str().map(String::from))
                    .unwrap_or_default(),
                y_axis: s.y_axis,
                values: s
                    .values
                    .into_iter()
                    .filter(|v| !v.incomplete)
                    .filter_map(|v| {
                        let t = DateTime::from_timestamp_millis(v.timestamp as i64)?;
                        Some((t, v.value?))
                    })
                    .collect(),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_values_are_quoted_when_needed() {
        assert_eq!(quote("v1.2.3"), "v1.2.3");
        assert_eq!(quote("web@1.2.3+build"), "web@1.2.3+build");
        assert_eq!(quote("a b"), "\"a b\"");
        assert_eq!(quote("x,y"), "\"x,y\"");
        assert_eq!(quote("say \"hi\""), "\"say \\\"hi\\\"\"");
        assert_eq!(quote("!neg"), "\"!neg\"");
        assert_eq!(quote(""), "\"\"");
    }

    fn resp_with_link(link: &str) -> Response {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("link", link.parse().unwrap());
        Response {
            provider: crate::http::Provider::Sentry,
            op: "x".into(),
            status: reqwest::StatusCode::OK,
            headers,
            body: bytes::Bytes::new(),
            dry_run: false,
        }
    }

    #[test]
    fn cursors_follow_results_true_only() {
        let more = r#"<https://s/x?cursor=0:0:1>; rel="previous"; results="false"; cursor="0:0:1", <https://s/x?cursor=0:100:0>; rel="next"; results="true"; cursor="0:100:0""#;
        assert_eq!(
            next_cursor(&resp_with_link(more)).as_deref(),
            Some("0:100:0")
        );
        let end = more.replace(r#"results="true""#, r#"results="false""#);
        assert_eq!(next_cursor(&resp_with_link(&end)), None);
    }
}
