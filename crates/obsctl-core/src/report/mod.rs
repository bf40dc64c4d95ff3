//! `obsctl report`: the model of the dashboard and the pure steps that build
//! it from what the APIs answered. Rendering is in [`render`].
//!
//! Units are in the key names of the JSON (and of these fields): `_count`
//! (a count), `_ratio` (0–1), `_ms`, `_secs`, `_per_day`, `_score` (0–10),
//! `_at` / `start` (RFC 3339 UTC). Missing data is `null` (with a
//! `status` and `note` saying why), never 0.

pub mod render;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::quickcheck::QuickCheck;

/// What the Sentry time series answered for one aggregate: `y_axis` is one
/// of `count()`, `failure_rate()`, `p50(span.duration)`,
/// `p95(span.duration)`; `points` are `(bucket start unix secs, value)`.
#[derive(Clone, Debug, PartialEq)]
pub struct AxisSeries {
    /// The aggregate.
    pub y_axis: String,
    /// The release of a grouped query.
    pub release: Option<String>,
    /// `(bucket start, unix seconds; value)`.
    pub points: Vec<(i64, f64)>,
}

/// The report window.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WindowInfo {
    /// Start (inclusive), RFC 3339 UTC.
    pub since: String,
    /// End (exclusive), RFC 3339 UTC.
    pub until: String,
    /// `day` or `hour`: the bucket of every per-time series.
    pub bucket: &'static str,
    /// The bucket width in seconds.
    pub bucket_secs: i64,
    /// Unix seconds of `since` (for charts).
    #[serde(skip)]
    pub since_unix: i64,
    /// Unix seconds of `until`.
    #[serde(skip)]
    pub until_unix: i64,
}

impl WindowInfo {
    /// The window `[since, until)` (unix seconds): hourly buckets under 3
    /// days, else daily.
    pub fn new(since: i64, until: i64) -> Self {
        let bucket_secs = if until - since < 3 * 86_400 {
            3_600
        } else {
            86_400
        };
        Self {
            since: ts(since),
            until: ts(until),
            bucket: if bucket_secs == 3_600 { "hour" } else { "day" },
            bucket_secs,
            since_unix: since,
            until_unix: until,
        }
    }

    /// Bucket starts covering the window (aligned to the bucket in UTC).
    pub fn buckets(&self) -> Vec<i64> {
        let b = self.bucket_secs;
        let mut t = self.since_unix.div_euclid(b) * b;
        let mut out = Vec::new();
        while t < self.until_unix {
            out.push(t);
            t += b;
        }
        out
    }

    /// Length in days (fractional).
    pub fn days(&self) -> f64 {
        (self.until_unix - self.since_unix) as f64 / 86_400.0
    }
}

/// RFC 3339, UTC, whole seconds.
pub fn ts(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// Whether a section has data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Data below.
    Ok,
    /// The source answered, with nothing in the window (`note` says what).
    NoData,
    /// The source could not be asked (not configured, or an error: `note`).
    Unavailable,
}

/// The whole report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// The title (`obsctl report: acme`).
    pub title: String,
    /// When it was made, RFC 3339 UTC.
    pub generated_at: String,
    /// The window.
    pub window: WindowInfo,
    /// Unit suffix → meaning (every number's key ends with one of them).
    pub units: BTreeMap<&'static str, &'static str>,
    /// One entry per `[[service]]`, in file order.
    pub services: Vec<ServiceReport>,
}

/// The unit legend of the JSON.
pub fn units() -> BTreeMap<&'static str, &'static str> {
    BTreeMap::from([
        ("_count", "a count"),
        ("_ratio", "a ratio 0-1 (0.012 = 1.2 %)"),
        ("_ms", "milliseconds"),
        ("_secs", "seconds"),
        ("_per_day", "per day (24 h)"),
        ("_score", "DORA Quick Check score 0-10 (higher is better)"),
        (
            "quick_check",
            "the DORA Quick Check block: inputs are buckets 1-6 (-1 unknown) or percent; scores 0-10; z in standard deviations",
        ),
    ])
}

/// One service.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ServiceReport {
    /// `[[service]].name`.
    pub name: String,
    /// The Sentry project slug.
    pub sentry_project: String,
    /// The environment watched.
    pub environment: String,
    /// Throughput, failure rate, latency (Sentry spans).
    pub performance: Performance,
    /// Release health (Sentry sessions).
    pub user_impact: UserImpact,
    /// DORA metrics of the environment.
    pub delivery: Delivery,
    /// Deploys in the window (chart markers).
    pub deploys: Vec<Deploy>,
    /// How many Sentry requests this service cost.
    pub sentry_requests_count: u64,
}

/// A deploy marker.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Deploy {
    /// When it finished, RFC 3339 UTC.
    pub at: String,
    /// The release or deployment name.
    pub name: String,
    /// `github`, `git` (a tag) or `sentry`.
    pub source: &'static str,
    /// Unix seconds.
    #[serde(skip)]
    pub at_unix: i64,
}

/// Performance trends.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Performance {
    /// ok / no_data (no transactions) / unavailable.
    pub status: Status,
    /// Why there is no data, or a caveat.
    pub note: Option<String>,
    /// Over the whole window.
    pub totals: Option<PerfTotals>,
    /// Per bucket (day or hour).
    pub buckets: Vec<PerfBucket>,
    /// Per release (top 10 by transactions).
    pub releases: Vec<PerfRelease>,
}

/// Window totals. p50/p95 over the window are the transaction-weighted
/// mean of the per-bucket percentiles (Sentry gives percentiles per bucket).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PerfTotals {
    /// Transactions in the window.
    pub transactions_count: f64,
    /// Transactions per day.
    pub transactions_per_day: f64,
    /// Failed transactions ÷ transactions.
    pub failure_ratio: Option<f64>,
    /// Weighted mean of the bucket p50s.
    pub p50_ms: Option<f64>,
    /// Weighted mean of the bucket p95s.
    pub p95_ms: Option<f64>,
}

/// One bucket; `null` where the bucket has no transactions.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PerfBucket {
    /// Bucket start, RFC 3339 UTC.
    pub start: String,
    /// Transactions (`null`: Sentry returned no value for the bucket).
    pub transactions_count: Option<f64>,
    /// Failure ratio.
    pub failure_ratio: Option<f64>,
    /// p50 latency.
    pub p50_ms: Option<f64>,
    /// p95 latency.
    pub p95_ms: Option<f64>,
    /// Unix seconds.
    #[serde(skip)]
    pub start_unix: i64,
}

/// Per release, over the window.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PerfRelease {
    /// The release version.
    pub release: String,
    /// Transactions.
    pub transactions_count: f64,
    /// Failed ÷ all.
    pub failure_ratio: Option<f64>,
    /// Weighted mean of the bucket p50s.
    pub p50_ms: Option<f64>,
    /// Weighted mean of the bucket p95s.
    pub p95_ms: Option<f64>,
    /// First bucket with transactions.
    pub first_seen: Option<String>,
    /// Last bucket with transactions.
    pub last_seen: Option<String>,
}

fn axis(series: &[AxisSeries], y: &str, release: Option<&str>) -> BTreeMap<i64, f64> {
    series
        .iter()
        .filter(|s| s.y_axis == y && s.release.as_deref() == release)
        .flat_map(|s| s.points.iter().copied())
        .collect()
}

/// Weighted mean of `values` by `weights` (same keys), over keys with weight > 0.
fn weighted(values: &BTreeMap<i64, f64>, weights: &BTreeMap<i64, f64>) -> Option<f64> {
    let (mut sum, mut w) = (0.0, 0.0);
    for (t, c) in weights.iter().filter(|(_, c)| **c > 0.0) {
        if let Some(v) = values.get(t).filter(|v| v.is_finite()) {
            sum += v * c;
            w += c;
        }
    }
    (w > 0.0).then(|| sum / w)
}

/// Build the performance section from the overall series and the
/// per-release series. A bucket without transactions has no failure
/// ratio or latency (`null`), never 0.
pub fn performance(
    window: &WindowInfo,
    overall: &[AxisSeries],
    by_release: &[AxisSeries],
) -> Performance {
    let count = axis(overall, "count()", None);
    let fail = axis(overall, "failure_rate()", None);
    let p50 = axis(overall, "p50(span.duration)", None);
    let p95 = axis(overall, "p95(span.duration)", None);
    let buckets: Vec<PerfBucket> = window
        .buckets()
        .into_iter()
        .map(|t| {
            let c = count.get(&t).copied();
            let has = c.is_some_and(|c| c > 0.0);
            let pick = |m: &BTreeMap<i64, f64>| if has { m.get(&t).copied() } else { None };
            PerfBucket {
                start: ts(t),
                transactions_count: c,
                failure_ratio: pick(&fail),
                p50_ms: pick(&p50),
                p95_ms: pick(&p95),
                start_unix: t,
            }
        })
        .collect();
    let total: f64 = count.values().sum();
    let mut releases: Vec<PerfRelease> = Vec::new();
    let mut names: Vec<&str> = by_release
        .iter()
        .filter_map(|s| s.release.as_deref())
        .collect();
    names.sort_unstable();
    names.dedup();
    for name in names {
        let c = axis(by_release, "count()", Some(name));
        let n: f64 = c.values().sum();
        if n <= 0.0 {
            continue;
        }
        let seen: Vec<i64> = c
            .iter()
            .filter(|(_, v)| **v > 0.0)
            .map(|(t, _)| *t)
            .collect();
        releases.push(PerfRelease {
            release: name.to_string(),
            transactions_count: n,
            failure_ratio: weighted(&axis(by_release, "failure_rate()", Some(name)), &c),
            p50_ms: weighted(&axis(by_release, "p50(span.duration)", Some(name)), &c),
            p95_ms: weighted(&axis(by_release, "p95(span.duration)", Some(name)), &c),
            first_seen: seen.first().map(|t| ts(*t)),
            last_seen: seen.last().map(|t| ts(*t)),
        });
    }
    releases.sort_by(|a, b| {
        b.last_seen
            .cmp(&a.last_seen)
            .then(b.transactions_count.total_cmp(&a.transactions_count))
    });
    if total <= 0.0 {
        return Performance {
            status: Status::NoData,
            note: Some(
                "no transactions in the window (no traffic, or the SDK sends no traces)".into(),
            ),
            totals: None,
            buckets,
            releases,
        };
    }
    Performance {
        status: Status::Ok,
        note: None,
        totals: Some(PerfTotals {
            transactions_count: total,
            transactions_per_day: total / window.days(),
            failure_ratio: weighted(&fail, &count),
            p50_ms: weighted(&p50, &count),
            p95_ms: weighted(&p95, &count),
        }),
        buckets,
        releases,
    }
}

/// A Performance section for a source that could not be asked.
pub fn performance_unavailable(note: impl Into<String>) -> Performance {
    Performance {
        status: Status::Unavailable,
        note: Some(note.into()),
        totals: None,
        buckets: Vec::new(),
        releases: Vec::new(),
    }
}

/// Release health.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UserImpact {
    /// ok / no_data (the project sends no sessions) / unavailable.
    pub status: Status,
    /// Why, or a caveat.
    pub note: Option<String>,
    /// Over the window.
    pub totals: Option<HealthTotals>,
    /// Per release, by sessions.
    pub releases: Vec<HealthRelease>,
    /// Per bucket.
    pub buckets: Vec<HealthBucket>,
}

/// Window totals.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HealthTotals {
    /// Sessions.
    pub sessions_count: f64,
    /// Distinct users over the whole window.
    pub active_users_count: Option<f64>,
    /// Crash-free sessions.
    pub crash_free_sessions_ratio: Option<f64>,
    /// Crash-free users.
    pub crash_free_users_ratio: Option<f64>,
}

/// One release.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HealthRelease {
    /// The version.
    pub release: String,
    /// Its share of the window's sessions.
    pub adoption_ratio: Option<f64>,
    /// Sessions.
    pub sessions_count: f64,
    /// Distinct users.
    pub active_users_count: Option<f64>,
    /// Crash-free sessions.
    pub crash_free_sessions_ratio: Option<f64>,
    /// Crash-free users.
    pub crash_free_users_ratio: Option<f64>,
}

/// One bucket.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HealthBucket {
    /// Bucket start, RFC 3339 UTC.
    pub start: String,
    /// Distinct users in the bucket (`null`: no sessions).
    pub active_users_count: Option<f64>,
    /// Sessions.
    pub sessions_count: Option<f64>,
    /// Unix seconds.
    #[serde(skip)]
    pub start_unix: i64,
}

/// The four session fields asked for.
pub const SESSION_FIELDS: [&str; 4] = [
    "sum(session)",
    "count_unique(user)",
    "crash_free_rate(session)",
    "crash_free_rate(user)",
];

/// A sessions answer reduced to what the report needs: totals per field,
/// the series per field (aligned with `intervals`), per group.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SessionGroup {
    /// The release (grouped queries).
    pub release: Option<String>,
    /// Field → total (`None`: null).
    pub totals: BTreeMap<String, Option<f64>>,
    /// Field → series.
    pub series: BTreeMap<String, Vec<Option<f64>>>,
}

/// Build the user-impact section from the ungrouped answer (`overall`:
/// `intervals` as unix seconds, one group) and the per-release answer.
pub fn user_impact(
    window: &WindowInfo,
    project: &str,
    intervals: &[i64],
    overall: &[SessionGroup],
    by_release: &[SessionGroup],
) -> UserImpact {
    let total = |g: &SessionGroup, f: &str| g.totals.get(f).copied().flatten();
    let o = overall.first().cloned().unwrap_or_default();
    let sessions = total(&o, "sum(session)").unwrap_or(0.0);
    let series = |f: &str| o.series.get(f).cloned().unwrap_or_default();
    let (s_sessions, s_users) = (series("sum(session)"), series("count_unique(user)"));
    let mut by_time: BTreeMap<i64, (Option<f64>, Option<f64>)> = BTreeMap::new();
    for (i, t) in intervals.iter().enumerate() {
        let s = s_sessions.get(i).copied().flatten();
        let u = s_users.get(i).copied().flatten();
        let e = by_time
            .entry(t.div_euclid(window.bucket_secs) * window.bucket_secs)
            .or_default();
        if let Some(s) = s {
            e.0 = Some(e.0.unwrap_or(0.0) + s);
        }
        if let Some(u) = u {
            // Distinct users of sub-buckets cannot be added: keep the largest.
            e.1 = Some(e.1.unwrap_or(0.0).max(u));
        }
    }
    let buckets = window
        .buckets()
        .into_iter()
        .map(|t| {
            let (s, u) = by_time.get(&t).copied().unwrap_or((None, None));
            let has = s.is_some_and(|s| s > 0.0);
            HealthBucket {
                start: ts(t),
                sessions_count: s,
                active_users_count: if has { u } else { None },
                start_unix: t,
            }
        })
        .collect();
    if sessions <= 0.0 {
        return UserImpact {
            status: Status::NoData,
            note: Some(format!(
                "project {project} sends no sessions: release health is off (enable session tracking in the Sentry SDK); adoption, crash-free rates and active users are unknown"
            )),
            totals: None,
            releases: Vec::new(),
            buckets: Vec::new(),
        };
    }
    let mut releases: Vec<HealthRelease> = by_release
        .iter()
        .filter_map(|g| {
            let n = total(g, "sum(session)").filter(|n| *n > 0.0)?;
            Some(HealthRelease {
                release: g.release.clone()?,
                adoption_ratio: Some(n / sessions),
                sessions_count: n,
                active_users_count: total(g, "count_unique(user)"),
                crash_free_sessions_ratio: total(g, "crash_free_rate(session)"),
                crash_free_users_ratio: total(g, "crash_free_rate(user)"),
            })
        })
        .collect();
    releases.sort_by(|a, b| b.sessions_count.total_cmp(&a.sessions_count));
    UserImpact {
        status: Status::Ok,
        note: None,
        totals: Some(HealthTotals {
            sessions_count: sessions,
            active_users_count: total(&o, "count_unique(user)"),
            crash_free_sessions_ratio: total(&o, "crash_free_rate(session)"),
            crash_free_users_ratio: total(&o, "crash_free_rate(user)"),
        }),
        releases,
        buckets,
    }
}

/// A user-impact section for a source that could not be asked.
pub fn user_impact_unavailable(note: impl Into<String>) -> UserImpact {
    UserImpact {
        status: Status::Unavailable,
        note: Some(note.into()),
        totals: None,
        releases: Vec::new(),
        buckets: Vec::new(),
    }
}

/// DORA for the service's environment, plus rework and the Quick Check.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Delivery {
    /// ok / no_data (no deployments) / unavailable.
    pub status: Status,
    /// Why, or caveats (shallow clone…).
    pub note: Option<String>,
    /// `github` or `git`.
    pub source: Option<String>,
    /// Successful deployments in the window.
    pub deployments_count: u64,
    /// Successful deployments per day.
    pub deployments_per_day: Option<f64>,
    /// Median lead time for changes.
    pub lead_time_median_secs: Option<f64>,
    /// p90 lead time.
    pub lead_time_p90_secs: Option<f64>,
    /// Failed deployments (incl. those with incidents) ÷ deployments.
    pub change_failure_ratio: Option<f64>,
    /// Median failed-deployment recovery time.
    pub recovery_median_secs: Option<f64>,
    /// Rework deployments ÷ deployments (see docs/report.md).
    pub rework_ratio: Option<f64>,
    /// Rework deployments.
    pub rework_count: u64,
    /// All deployments (successful and failed) in the window.
    pub deployments_total_count: u64,
    /// DORA 2023 band of deployment frequency (elite/high/medium/low).
    pub band_2023_deployment_frequency: Option<String>,
    /// DORA 2023 band of lead time.
    pub band_2023_lead_time: Option<String>,
    /// DORA 2023 band of change failure rate.
    pub band_2023_change_failure_rate: Option<String>,
    /// DORA 2023 band of recovery time.
    pub band_2023_recovery_time: Option<String>,
    /// The Quick Check (2025) scores: the headline.
    pub quick_check: Option<QuickCheck>,
    /// Per deployment in the window.
    pub deployments: Vec<DeliveryRow>,
}

/// One deployment.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DeliveryRow {
    /// GitHub deployment id or tag.
    pub id: String,
    /// When, RFC 3339 UTC.
    pub deployed_at: String,
    /// `success` or `failure`.
    pub status: String,
    /// Median lead time of its changes.
    pub lead_time_median_secs: Option<f64>,
    /// Made while an earlier deployment was failed or had an open incident.
    pub rework: bool,
    /// Unix seconds.
    #[serde(skip)]
    pub at_unix: i64,
}

impl Delivery {
    /// A section for a source that could not be read.
    pub fn unavailable(note: impl Into<String>) -> Self {
        Delivery {
            status: Status::Unavailable,
            note: Some(note.into()),
            source: None,
            deployments_count: 0,
            deployments_per_day: None,
            lead_time_median_secs: None,
            lead_time_p90_secs: None,
            change_failure_ratio: None,
            recovery_median_secs: None,
            rework_ratio: None,
            rework_count: 0,
            deployments_total_count: 0,
            band_2023_deployment_frequency: None,
            band_2023_lead_time: None,
            band_2023_change_failure_rate: None,
            band_2023_recovery_time: None,
            quick_check: None,
            deployments: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests;
