//! The Sentry side of one service: at most [`MAX_REQUESTS`] requests
//! whatever the window, each naming the service's project — two time
//! series (overall, by release) and two sessions queries (overall, by
//! release) sent together, then, only when neither GitHub nor git gave
//! deploy markers, the last deploy of each of the 25 newest releases.

use chrono::{DateTime, Utc};
use obsctl_core::config::Service;
use obsctl_core::report::{
    self, AxisSeries, Deploy, Performance, UserImpact, WindowInfo, performance_unavailable,
    user_impact_unavailable,
};

use super::health;
use crate::http::HttpError;
use crate::providers::sentry::Sentry;
use crate::providers::sentry::timeseries::TimeseriesQuery;

/// The request budget of one service.
pub const MAX_REQUESTS: u64 = 6;

/// What Sentry said about one service.
pub struct SentryData {
    pub performance: Performance,
    pub user_impact: UserImpact,
    pub deploys: Vec<Deploy>,
    pub requests: u64,
    /// Failures (provider, what, the fix), for warnings.
    pub errors: Vec<String>,
}

fn time(unix: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(unix, 0).unwrap_or_default()
}

fn to_axis(series: Vec<crate::providers::sentry::timeseries::Series>) -> Vec<AxisSeries> {
    series
        .into_iter()
        .map(|s| AxisSeries {
            y_axis: s.y_axis,
            release: s.release,
            points: s.points,
        })
        .collect()
}

type Timeseries = Result<Vec<crate::providers::sentry::timeseries::Series>, HttpError>;

/// The performance section from the two time series (all, per release); a
/// failure is named in `errors` and leaves what could be read.
fn performance_of(
    name: &str,
    w: &WindowInfo,
    all: Timeseries,
    per_release: Timeseries,
    errors: &mut Vec<String>,
) -> Performance {
    match (all, per_release) {
        (Ok(all), Ok(rel)) => report::performance(w, &to_axis(all), &to_axis(rel)),
        (Ok(all), Err(e)) => {
            errors.push(format!("{name}: per-release time series: {e}"));
            let mut p = report::performance(w, &to_axis(all), &[]);
            p.note = Some(format!("per-release figures unavailable: {e}"));
            p
        }
        (Err(e), _) => {
            errors.push(format!("{name}: time series: {e}"));
            performance_unavailable(format!("Sentry events-timeseries failed: {e}"))
        }
    }
}

/// The user-impact section from the two session answers (all, per
/// release); a failure is named in `errors`.
fn user_impact_of(
    name: &str,
    project: &str,
    w: &WindowInfo,
    all: Result<health::SessionsAnswer, HttpError>,
    per_release: Result<health::SessionsAnswer, HttpError>,
    errors: &mut Vec<String>,
) -> UserImpact {
    match (all, per_release) {
        (Ok(all), Ok(rel)) => {
            report::user_impact(w, project, &all.intervals, &all.groups, &rel.groups)
        }
        (Ok(all), Err(e)) => {
            errors.push(format!("{name}: per-release sessions: {e}"));
            report::user_impact(w, project, &all.intervals, &all.groups, &[])
        }
        (Err(e), _) => {
            errors.push(format!("{name}: sessions: {e}"));
            user_impact_unavailable(format!("Sentry sessions failed: {e}"))
        }
    }
}

/// A Sentry deploy as a marker, when it finished inside the window.
fn deploy_in(
    w: &WindowInfo,
    d: crate::providers::sentry::recent_deploys::RecentDeploy,
) -> Option<Deploy> {
    let at = DateTime::parse_from_rfc3339(&d.finished_at)
        .ok()?
        .timestamp();
    (at >= w.since_unix && at < w.until_unix).then(|| Deploy {
        at: report::ts(at),
        name: d.version,
        source: "sentry",
        at_unix: at,
    })
}

/// Fetch one service. Failures become "unavailable" sections and `errors`;
/// `sentry_deploys`: also read Sentry deploys (no GitHub/git markers).
pub async fn fetch(
    sentry: &Sentry,
    svc: &Service,
    w: &WindowInfo,
    sentry_deploys: bool,
) -> SentryData {
    let (project, env) = (svc.project(), svc.environment());
    let ts = |by_release| TimeseriesQuery {
        project,
        environment: env,
        start: time(w.since_unix),
        end: time(w.until_unix),
        interval_secs: w.bucket_secs,
        by_release,
    };
    let interval = if w.bucket_secs == 3_600 { "1h" } else { "1d" };
    let sq = |by_release| {
        health::query(
            project,
            env,
            time(w.since_unix),
            time(w.until_unix),
            interval,
            by_release,
        )
    };
    let (q_all, q_rel, s_all, s_rel) = (ts(false), ts(true), sq(false), sq(true));
    let (t_all, t_rel, h_all, h_rel) = futures::join!(
        sentry.events_timeseries(&q_all),
        sentry.events_timeseries(&q_rel),
        health::fetch(sentry, &s_all),
        health::fetch(sentry, &s_rel),
    );
    let mut errors = Vec::new();
    let mut requests = 4;
    let performance = performance_of(svc.name(), w, t_all, t_rel, &mut errors);
    let user_impact = user_impact_of(svc.name(), project, w, h_all, h_rel, &mut errors);
    let mut deploys = Vec::new();
    if sentry_deploys {
        requests += 1;
        match sentry.recent_deploys(project, env).await {
            Ok(list) => deploys.extend(list.into_iter().filter_map(|d| deploy_in(w, d))),
            Err(e) => errors.push(format!("{}: recent deploys: {e}", svc.name())),
        }
    }
    debug_assert!(requests <= MAX_REQUESTS);
    SentryData {
        performance,
        user_impact,
        deploys,
        requests,
        errors,
    }
}
