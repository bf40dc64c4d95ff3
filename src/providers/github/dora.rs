//! GitHub's side of `dora report`: an environment's deployments with their
//! statuses inline, and the incident issues, through GraphQL, 100 per page,
//! newest first. Never one request per deployment.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::GitHub;
use crate::dora::input::parse_time;
use crate::dora::model::{Deployment, Incident, Status, StatusState};
use crate::http::HttpError;

/// Statuses fetched inline per deployment; more are counted in diagnostics.
pub const STATUSES_PER_DEPLOYMENT: usize = 50;
pub const PAGE_SIZE: usize = 100;

/// Validated against GitHub's full public schema in tests/dora.rs.
pub const DEPLOYMENTS_QUERY: &str = r#"query ObsctlDoraDeployments($owner: String!, $name: String!, $environments: [String!], $after: String) {
  repository(owner: $owner, name: $name) {
    deployments(environments: $environments, first: 100, after: $after, orderBy: {field: CREATED_AT, direction: DESC}) {
      pageInfo { hasNextPage endCursor }
      nodes {
        id
        databaseId
        createdAt
        commitOid
        statuses(first: 50) {
          totalCount
          nodes { state createdAt }
        }
      }
    }
  }
}"#;

/// Validated against GitHub's full public schema in tests/dora.rs.
pub const INCIDENTS_QUERY: &str = r#"query ObsctlDoraIncidents($owner: String!, $name: String!, $labels: [String!], $since: DateTime, $after: String) {
  repository(owner: $owner, name: $name) {
    issues(first: 100, after: $after, labels: $labels, filterBy: {since: $since}, orderBy: {field: CREATED_AT, direction: DESC}) {
      pageInfo { hasNextPage endCursor }
      nodes { number createdAt closedAt }
    }
  }
}"#;

/// The repository's environments (first 100, by name), to name them when
/// an environment has no deployments. Validated against GitHub's full
/// public schema in tests/dora.rs.
pub const ENVIRONMENTS_QUERY: &str = r#"query ObsctlDoraEnvironments($owner: String!, $name: String!) {
  repository(owner: $owner, name: $name) {
    environments(first: 100) {
      totalCount
      nodes { name }
    }
  }
}"#;

/// The token permissions `dora report` needs, named in errors.
pub const PERMISSION: &str =
    "Deployments: read and Issues: read (fine-grained) or `repo` (classic)";

/// What fetching cost and what it could not see.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FetchStats {
    pub pages: u64,
    /// Deployments with more statuses than were fetched inline.
    pub statuses_truncated: u64,
    /// Nodes that could not be read (no commit, bad dates).
    pub unreadable: u64,
}

fn connection<'a>(data: &'a Value, field: &str) -> Result<Option<&'a Value>, String> {
    if data.is_null() {
        // --dry-run: nothing was sent.
        return Ok(None);
    }
    let repo = data
        .get("repository")
        .ok_or("the answer has no `repository`")?;
    if repo.is_null() {
        return Err("the repository was not found (or the token cannot see it)".into());
    }
    Ok(repo.get(field).filter(|v| !v.is_null()))
}

fn page_info(conn: &Value) -> (bool, Option<String>) {
    let info = &conn["pageInfo"];
    (
        info["hasNextPage"].as_bool().unwrap_or(false),
        info["endCursor"].as_str().map(String::from),
    )
}

fn time(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str().and_then(parse_time)
}

/// One deployment node of [`DEPLOYMENTS_QUERY`].
pub fn parse_deployment(node: &Value, stats: &mut FetchStats) -> Option<Deployment> {
    // Both are printed in the report (CSV, JSON, HTML): a node id with
    // control characters loses them, a commit that is not hex is unreadable.
    let id = match &node["databaseId"] {
        Value::Number(n) => n.to_string(),
        _ => node["id"]
            .as_str()?
            .chars()
            .filter(|c| !c.is_control())
            .collect(),
    };
    let sha = node["commitOid"]
        .as_str()
        .filter(|s| (7..=64).contains(&s.len()) && s.chars().all(|c| c.is_ascii_hexdigit()))?
        .to_string();
    let created_at = time(&node["createdAt"])?;
    let statuses_conn = &node["statuses"];
    let statuses: Vec<Status> = statuses_conn["nodes"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| {
                    Some(Status {
                        state: StatusState::parse(s["state"].as_str()?),
                        at: time(&s["createdAt"])?,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    if statuses_conn["totalCount"].as_u64().unwrap_or(0) > statuses.len() as u64 {
        stats.statuses_truncated += 1;
    }
    Some(Deployment {
        id,
        sha,
        created_at,
        statuses,
    })
}

impl GitHub {
    /// The environment's deployments, newest first, page by page until
    /// `enough` says the history fetched so far covers what the report needs
    /// (or there are no more).
    pub async fn dora_deployments(
        &self,
        environment: &str,
        mut enough: impl FnMut(&[Deployment]) -> bool,
        mut progress: impl FnMut(u64, usize),
    ) -> Result<(Vec<Deployment>, FetchStats), HttpError> {
        let repo = &self.config().repo;
        let mut out = Vec::new();
        let mut stats = FetchStats::default();
        let mut after: Option<String> = None;
        loop {
            let data = self
                .graphql_for(
                    "list deployments (GraphQL)",
                    PERMISSION,
                    DEPLOYMENTS_QUERY,
                    json!({
                        "owner": repo.owner,
                        "name": repo.name,
                        "environments": [environment],
                        "after": after,
                    }),
                )
                .await?;
            stats.pages += 1;
            let conn = connection(&data, "deployments")
                .map_err(|m| self.malformed("list deployments", m))?;
            let Some(conn) = conn else { break };
            for node in conn["nodes"].as_array().into_iter().flatten() {
                match parse_deployment(node, &mut stats) {
                    Some(d) => out.push(d),
                    None => stats.unreadable += 1,
                }
            }
            progress(stats.pages, out.len());
            let (more, cursor) = page_info(conn);
            if !more || cursor.is_none() || enough(&out) {
                break;
            }
            after = cursor;
        }
        Ok((out, stats))
    }

    /// The repository's environment names (at most 100, by name) and how
    /// many there are in all; empty under `--dry-run`.
    pub async fn dora_environments(&self) -> Result<(Vec<String>, u64), HttpError> {
        let repo = &self.config().repo;
        let data = self
            .graphql_for(
                "list environments (GraphQL)",
                PERMISSION,
                ENVIRONMENTS_QUERY,
                json!({"owner": repo.owner, "name": repo.name}),
            )
            .await?;
        let conn = connection(&data, "environments")
            .map_err(|m| self.malformed("list environments", m))?;
        let Some(conn) = conn else {
            return Ok((Vec::new(), 0));
        };
        let names: Vec<String> = conn["nodes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|n| n["name"].as_str())
            .map(|n| n.chars().filter(|c| !c.is_control()).collect())
            .collect();
        let total = conn["totalCount"].as_u64().unwrap_or(names.len() as u64);
        Ok((names, total))
    }

    /// Issues with `label` created at or after `since`, newest first.
    pub async fn dora_incidents(
        &self,
        label: &str,
        since: DateTime<Utc>,
    ) -> Result<(Vec<Incident>, FetchStats), HttpError> {
        let repo = &self.config().repo;
        let mut out = Vec::new();
        let mut stats = FetchStats::default();
        let mut after: Option<String> = None;
        loop {
            let data = self
                .graphql_for(
                    "list incident issues (GraphQL)",
                    PERMISSION,
                    INCIDENTS_QUERY,
                    json!({
                        "owner": repo.owner,
                        "name": repo.name,
                        "labels": [label],
                        "since": crate::dora::engine::ts(since),
                        "after": after,
                    }),
                )
                .await?;
            stats.pages += 1;
            let conn = connection(&data, "issues")
                .map_err(|m| self.malformed("list incident issues", m))?;
            let Some(conn) = conn else { break };
            let mut older = false;
            for node in conn["nodes"].as_array().into_iter().flatten() {
                let (Some(number), Some(created_at)) =
                    (node["number"].as_u64(), time(&node["createdAt"]))
                else {
                    stats.unreadable += 1;
                    continue;
                };
                if created_at < since {
                    older = true;
                    continue;
                }
                out.push(Incident {
                    id: format!("#{number}"),
                    created_at,
                    resolved_at: time(&node["closedAt"]),
                    deployment: None,
                });
            }
            let (more, cursor) = page_info(conn);
            if !more || cursor.is_none() || older {
                break;
            }
            after = cursor;
        }
        Ok((out, stats))
    }

    fn malformed(&self, op: &str, message: String) -> HttpError {
        HttpError::Malformed {
            provider: crate::http::Provider::GitHub,
            op: format!("{op} (GraphQL)"),
            detail: format!(
                "{message}: check GITHUB_REPOSITORY ({}) and that GITHUB_TOKEN can read it (Deployments: read, Issues: read)",
                self.config().repo
            ),
        }
    }
}
