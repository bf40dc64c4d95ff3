//! Release health for `report`: two sessions queries per service through
//! the shared client (`providers/sentry/sessions.rs`, contract
//! `sentry/get-organization-sessions.json`): overall (with the series per
//! bucket) and by release (totals only, the 10 releases with most sessions).

use chrono::{DateTime, Utc};
use obsctl_core::report::{SESSION_FIELDS, SessionGroup};

use crate::http::HttpError;
use crate::providers::sentry::Sentry;
use crate::providers::sentry::sessions::{Period, SessionsQuery};

/// Releases read per service.
pub const TOP_RELEASES: u32 = 10;

/// What a sessions query answered: bucket starts (unix seconds) and groups.
#[derive(Clone, Debug, Default)]
pub struct SessionsAnswer {
    pub intervals: Vec<i64>,
    pub groups: Vec<SessionGroup>,
}

/// The query of one project and environment over `[start, end)`.
pub fn query(
    project: &str,
    environment: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    interval: &str,
    by_release: bool,
) -> SessionsQuery {
    SessionsQuery {
        fields: SESSION_FIELDS.iter().map(|f| f.to_string()).collect(),
        group_by: if by_release {
            vec!["release".into()]
        } else {
            vec![]
        },
        interval: Some(interval.to_string()),
        period: Period::Range(start, end),
        projects: vec![project.to_string()],
        environments: vec![environment.to_string()],
        query: None,
        order_by: by_release.then(|| "-sum(session)".to_string()),
        per_page: by_release.then_some(TOP_RELEASES),
        include_series: !by_release,
    }
}

/// Run one query and keep what the report reads.
pub async fn fetch(sentry: &Sentry, q: &SessionsQuery) -> Result<SessionsAnswer, HttpError> {
    let r = sentry.sessions(q).await?;
    Ok(SessionsAnswer {
        intervals: r
            .intervals
            .iter()
            .filter_map(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.timestamp())
            .collect(),
        groups: r
            .groups
            .into_iter()
            .map(|g| SessionGroup {
                release: g.by_str("release"),
                totals: g.totals,
                series: g.series,
            })
            .collect(),
    })
}
