//! Sentry's Explore time series (`GET /organizations/{org}/events-timeseries/`,
//! contract `sentry/list-organization-events-timeseries.json`): transaction
//! spans (`dataset=spans`, `query=is_transaction:true`) of one project and
//! environment, several aggregates in one request (`yAxis` repeated), per
//! bucket of `interval` seconds, optionally grouped by release (top 10).

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use super::Sentry;
use crate::http::HttpError;

/// The aggregates `report` asks for: throughput (count), failure rate (a
/// ratio 0–1), p50 and p95 of `span.duration` (ms).
pub const Y_AXES: [&str; 4] = [
    "count()",
    "failure_rate()",
    "p50(span.duration)",
    "p95(span.duration)",
];

/// Releases returned by a grouped query (Sentry allows 1–10).
pub const TOP_RELEASES: u8 = 10;

/// One query.
#[derive(Clone, Debug)]
pub struct TimeseriesQuery<'a> {
    /// The project slug.
    pub project: &'a str,
    /// The environment (`production`).
    pub environment: &'a str,
    /// Window start (inclusive), UTC.
    pub start: DateTime<Utc>,
    /// Window end (exclusive), UTC.
    pub end: DateTime<Utc>,
    /// Bucket width in seconds (3600 or 86400).
    pub interval_secs: i64,
    /// Group by release (top [`TOP_RELEASES`] by count, no "other" series).
    pub by_release: bool,
}

/// One bucket as Sentry returns it.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Point {
    /// Bucket start, unix milliseconds.
    pub timestamp: f64,
    /// The aggregate's value (Sentry answers 0 for an empty bucket).
    pub value: Option<f64>,
    /// The bucket is still filling (the current hour or day).
    #[serde(default)]
    pub incomplete: bool,
}

#[derive(Clone, Debug, Deserialize)]
struct GroupKey {
    key: String,
    value: serde_json::Value,
}

#[derive(Clone, Debug, Deserialize)]
struct RawSeries {
    #[serde(rename = "yAxis")]
    y_axis: String,
    #[serde(default, rename = "groupBy")]
    group_by: Option<Vec<GroupKey>>,
    #[serde(default)]
    values: Vec<Point>,
    #[serde(default)]
    meta: Option<RawMeta>,
}

#[derive(Clone, Debug, Deserialize)]
struct RawMeta {
    #[serde(default, rename = "isOther")]
    is_other: bool,
}

#[derive(Clone, Debug, Deserialize)]
struct RawResponse {
    #[serde(default, rename = "timeSeries")]
    time_series: Vec<RawSeries>,
}

/// One aggregate's series (of one release when grouped).
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// The aggregate (one of [`Y_AXES`]).
    pub y_axis: String,
    /// The release, for a grouped query.
    pub release: Option<String>,
    /// `(bucket start unix seconds, value)`.
    pub points: Vec<(i64, f64)>,
}

impl TimeseriesQuery<'_> {
    /// The query string, in a stable order (contract-checked in tests).
    pub fn params(&self) -> Vec<(&'static str, String)> {
        let iso = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%S").to_string();
        let mut p = vec![
            ("dataset", "spans".to_string()),
            ("query", "is_transaction:true".to_string()),
            ("project", self.project.to_string()),
            ("environment", self.environment.to_string()),
            ("start", iso(self.start)),
            ("end", iso(self.end)),
            ("interval", self.interval_secs.to_string()),
        ];
        for y in Y_AXES {
            p.push(("yAxis", y.to_string()));
        }
        if self.by_release {
            p.push(("groupBy", "release".into()));
            p.push(("topEvents", TOP_RELEASES.to_string()));
            p.push(("sort", "-count()".into()));
            p.push(("excludeOther", "1".into()));
        }
        p
    }
}

impl Sentry {
    /// One `events-timeseries` request; every series it returns.
    ///
    /// Errors: the HTTP policy's (401/403 name the `org:read` scope the
    /// token needs; 400 is an invalid query, with Sentry's message).
    pub async fn events_timeseries(
        &self,
        q: &TimeseriesQuery<'_>,
    ) -> Result<Vec<Series>, HttpError> {
        let params = q.params();
        let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let req = self
            .request(
                Method::GET,
                "query events timeseries",
                self.org_url("events-timeseries/"),
            )
            .query(&pairs)
            .dry_run_reply(json!({"timeSeries": []}));
        let resp = self.send_ok(req).await?;
        let raw: RawResponse = resp.json()?;
        Ok(raw
            .time_series
            .into_iter()
            .filter(|s| !s.meta.as_ref().is_some_and(|m| m.is_other))
            .map(|s| Series {
                release: s.group_by.as_ref().and_then(|g| {
                    g.iter()
                        .find(|k| k.key == "release")
                        .map(|k| match &k.value {
                            serde_json::Value::String(v) => v.clone(),
                            other => other.to_string(),
                        })
                }),
                y_axis: s.y_axis,
                points: s
                    .values
                    .iter()
                    .filter_map(|p| Some(((p.timestamp / 1000.0).floor() as i64, p.value?)))
                    .collect(),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_name_dataset_query_and_every_axis() {
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let q = TimeseriesQuery {
            project: "web",
            environment: "production",
            start: t("2025-12-20T00:00:00Z"),
            end: t("2026-01-10T00:00:00Z"),
            interval_secs: 86_400,
            by_release: true,
        };
        let p = q.params();
        assert!(p.contains(&("dataset", "spans".into())));
        assert!(p.contains(&("query", "is_transaction:true".into())));
        assert!(p.contains(&("start", "2025-12-20T00:00:00".into())));
        assert_eq!(p.iter().filter(|(k, _)| *k == "yAxis").count(), 4);
        assert!(p.contains(&("groupBy", "release".into())));
    }
}
