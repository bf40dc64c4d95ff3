//! The data the DORA engine works on: deployments with their statuses,
//! incidents and the commits (changes) each deployment shipped. Everything is
//! in UTC; sources convert on the way in.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// The state of one deployment status, as far as the metrics care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusState {
    /// `success`.
    Success,
    /// `failure`.
    Failure,
    /// `error` (counts as a failure).
    Error,
    /// Anything else (pending, in_progress, queued, inactive, waiting, ...).
    Other,
}

impl StatusState {
    /// GitHub's state names, REST (lowercase) or GraphQL (uppercase).
    pub fn parse(s: &str) -> Self {
        match s.to_ascii_lowercase().as_str() {
            "success" => Self::Success,
            "failure" => Self::Failure,
            "error" => Self::Error,
            _ => Self::Other,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
/// One status of a deployment.
pub struct Status {
    /// Its state.
    pub state: StatusState,
    /// When it was set.
    pub at: DateTime<Utc>,
}

/// One deployment of the environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deployment {
    /// The deployment id (GitHub node id or tag name).
    pub id: String,
    /// The deployed commit.
    pub sha: String,
    /// When the deployment was created (orders ties).
    pub created_at: DateTime<Utc>,
    /// Its statuses, any order.
    pub statuses: Vec<Status>,
}

/// What a deployment amounted to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The deployment succeeded.
    Success,
    /// The deployment failed (or errored).
    Failure,
}

impl Deployment {
    /// A deployment with one `success` status at `at` (tags, tests).
    pub fn success(id: &str, sha: &str, at: DateTime<Utc>) -> Self {
        Self {
            id: id.into(),
            sha: sha.into(),
            created_at: at,
            statuses: vec![Status {
                state: StatusState::Success,
                at,
            }],
        }
    }

    /// A deployment with one `failure` status at `at`.
    pub fn failed(id: &str, sha: &str, at: DateTime<Utc>) -> Self {
        Self {
            id: id.into(),
            sha: sha.into(),
            created_at: at,
            statuses: vec![Status {
                state: StatusState::Failure,
                at,
            }],
        }
    }

    /// Successful: it has a `success` status, and its time is the first
    /// one's. Failed: no `success`, and the latest status is `failure` or
    /// `error`; its time is that status's. Otherwise `None` (excluded).
    pub fn outcome(&self) -> Option<(Outcome, DateTime<Utc>)> {
        if let Some(at) = self
            .statuses
            .iter()
            .filter(|s| s.state == StatusState::Success)
            .map(|s| s.at)
            .min()
        {
            return Some((Outcome::Success, at));
        }
        // The latest status; on equal times the one listed last wins.
        let latest = self
            .statuses
            .iter()
            .enumerate()
            .max_by_key(|(i, s)| (s.at, *i))
            .map(|(_, s)| s)?;
        match latest.state {
            StatusState::Failure | StatusState::Error => Some((Outcome::Failure, latest.at)),
            _ => None,
        }
    }
}

/// An incident (an issue with the incident label, or a row of `--incidents`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Incident {
    /// The incident id (issue number or the file's id).
    pub id: String,
    /// When it was opened.
    pub created_at: DateTime<Utc>,
    /// `None` while open.
    pub resolved_at: Option<DateTime<Utc>>,
    /// A deployment id or commit SHA the incident names explicitly.
    pub deployment: Option<String>,
}

/// One commit a deployment shipped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// The full SHA (empty when the caller did not ask for details).
    pub sha: String,
    /// When it was authored.
    pub author_time: DateTime<Utc>,
    /// Whether it is a merge commit (left out of the lead time).
    pub is_merge: bool,
}

/// The commits of one deployment, as far as they could be seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChangeSet {
    /// Every change.
    Known(Vec<Change>),
    /// The walk reached the boundary of a shallow clone: some changes are
    /// missing, so none of them enter the lead time.
    Truncated(Vec<Change>),
    /// The deployed commit is not in the local clone.
    Missing,
    /// None of the earlier deployments' commits is in the local clone, so
    /// nothing bounds the walk: the changes are unknown.
    Unbounded,
}
