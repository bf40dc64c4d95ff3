//! GitHub issues (REST, API version 2022-11-28, and one GraphQL query):
//! create (with labels), list by label (paginated to the end), read one,
//! comment, close, and make sure labels exist. Shared by `status check`,
//! `status build`, `incident open|update|resolve` and `deploy verify`.
//!
//! obsctl only ever updates or closes issues that carry its marker (an HTML
//! comment in the body, see [`obsctl_core::status::incident::Marker`]); the
//! callers check it. Creating an issue or a comment is not idempotent: the
//! request is `CreateOnce`, and when its outcome is unknown
//! ([`HttpError::Unconfirmed`]) the record is looked up before the request
//! is tried once more.
//!
//! Token permission: `issues: write` (fine-grained / workflow `permissions:`)
//! or `repo` (classic); reads need `issues: read`.

use chrono::{DateTime, Utc};
use futures::future::join_all;
use obsctl_core::limits::github as limit;
use serde::Serialize;
use serde_json::{Value, json};

use super::GitHub;
use crate::http::{self, Created, HttpError, Provider};

/// The token permission writes need, named in 403 errors.
pub const PERMISSION: &str = "issues: write";
/// The token permission reads need.
pub const READ_PERMISSION: &str = "issues: read";
/// Issues (and comments) per page: GitHub's maximum.
pub const PAGE_SIZE: usize = 100;
/// Comments read inline per issue by [`ISSUES_QUERY`] (the newest).
pub const COMMENTS_PER_ISSUE: usize = 100;

/// Issues by label with their newest comments, one paginated query.
/// `$states` null means all states; `$since` filters on the last update.
/// Validated against GitHub's full public schema in tests/status.rs.
pub const ISSUES_QUERY: &str = r#"query ObsctlIssuesByLabel($owner: String!, $name: String!, $labels: [String!], $states: [IssueState!], $since: DateTime, $after: String) {
  repository(owner: $owner, name: $name) {
    issues(first: 100, after: $after, labels: $labels, states: $states, filterBy: {since: $since}, orderBy: {field: CREATED_AT, direction: DESC}) {
      pageInfo { hasNextPage endCursor }
      nodes {
        number
        title
        url
        state
        body
        createdAt
        closedAt
        labels(first: 20) { nodes { name } }
        comments(last: 100) { totalCount nodes { databaseId body createdAt } }
      }
    }
  }
}"#;

/// Open, closed or both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IssueState {
    /// Open issues only.
    Open,
    /// Closed issues only.
    Closed,
    /// Both.
    All,
}

impl IssueState {
    fn rest(self) -> &'static str {
        match self {
            IssueState::Open => "open",
            IssueState::Closed => "closed",
            IssueState::All => "all",
        }
    }

    fn graphql(self) -> Value {
        match self {
            IssueState::Open => json!(["OPEN"]),
            IssueState::Closed => json!(["CLOSED"]),
            IssueState::All => Value::Null,
        }
    }
}

/// One comment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Comment {
    /// The comment id (0 when GitHub did not give one).
    pub id: u64,
    /// Markdown.
    pub body: String,
    /// When it was written.
    pub created_at: DateTime<Utc>,
}

/// One issue (the fields obsctl reads).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Issue {
    /// The issue number.
    pub number: u64,
    /// The title.
    pub title: String,
    /// The web URL.
    pub html_url: String,
    /// Open (true) or closed.
    pub open: bool,
    /// The body (Markdown), empty when none.
    pub body: String,
    /// Label names.
    pub labels: Vec<String>,
    /// When it was opened.
    pub created_at: DateTime<Utc>,
    /// When it was closed (None while open).
    pub closed_at: Option<DateTime<Utc>>,
    /// Comments, oldest first; only filled by [`GitHub::query_issues`] and
    /// [`GitHub::list_comments`] (the REST list does not carry them).
    pub comments: Vec<Comment>,
    /// The comments GitHub counts (more than `comments` when truncated).
    pub comments_total: u64,
}

/// A label obsctl uses, with the colour and description it is created with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelSpec {
    /// The label name.
    pub name: String,
    /// RRGGBB without `#`.
    pub color: String,
    /// Shown on GitHub.
    pub description: String,
}

/// What to create.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NewIssue {
    /// The title.
    pub title: String,
    /// The body, with obsctl's marker.
    pub body: String,
    /// Label names.
    pub labels: Vec<String>,
}

fn time(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// An issue from a REST answer; `None` for pull requests and unreadable items.
pub fn parse_rest_issue(v: &Value) -> Option<Issue> {
    if v.get("pull_request").is_some_and(|p| !p.is_null()) {
        return None;
    }
    Some(Issue {
        number: v["number"].as_u64()?,
        title: v["title"].as_str().unwrap_or("").to_string(),
        html_url: v["html_url"].as_str().unwrap_or("").to_string(),
        open: v["state"].as_str() != Some("closed"),
        body: v["body"].as_str().unwrap_or("").to_string(),
        labels: v["labels"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|l| l["name"].as_str().or(l.as_str()).map(String::from))
                    .collect()
            })
            .unwrap_or_default(),
        created_at: time(&v["created_at"])?,
        closed_at: time(&v["closed_at"]),
        comments: Vec::new(),
        comments_total: v["comments"].as_u64().unwrap_or(0),
    })
}

/// An issue node of [`ISSUES_QUERY`].
pub fn parse_graphql_issue(v: &Value) -> Option<Issue> {
    let mut comments: Vec<Comment> = v["comments"]["nodes"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|c| {
                    Some(Comment {
                        id: c["databaseId"].as_u64().unwrap_or(0),
                        body: c["body"].as_str().unwrap_or("").to_string(),
                        created_at: time(&c["createdAt"])?,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    comments.sort_by_key(|c| (c.created_at, c.id));
    Some(Issue {
        number: v["number"].as_u64()?,
        title: v["title"].as_str().unwrap_or("").to_string(),
        html_url: v["url"].as_str().unwrap_or("").to_string(),
        open: v["state"].as_str() != Some("CLOSED"),
        body: v["body"].as_str().unwrap_or("").to_string(),
        labels: v["labels"]["nodes"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|l| l["name"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default(),
        created_at: time(&v["createdAt"])?,
        closed_at: time(&v["closedAt"]),
        comments_total: v["comments"]["totalCount"]
            .as_u64()
            .unwrap_or(comments.len() as u64),
        comments,
    })
}

impl GitHub {
    fn issues_error(&self, op: &str, detail: String) -> HttpError {
        HttpError::Malformed {
            provider: Provider::GitHub,
            op: op.to_string(),
            detail,
        }
    }

    /// Issues carrying all of `labels`, in `state`, updated at or after
    /// `since`, newest first, following `Link: rel="next"` to the end.
    /// Pull requests are skipped.
    pub async fn list_issues(
        &self,
        labels: &[&str],
        state: IssueState,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<Issue>, HttpError> {
        let mut url = self.repo_url("issues");
        {
            let mut q = url.query_pairs_mut();
            let labels: Vec<String> = labels.iter().map(|l| limit::label_name(l)).collect();
            q.append_pair("labels", &labels.join(","));
            q.append_pair("state", state.rest());
            q.append_pair("sort", "created");
            q.append_pair("direction", "desc");
            q.append_pair("per_page", &PAGE_SIZE.to_string());
            if let Some(s) = since {
                q.append_pair(
                    "since",
                    &s.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                );
            }
        }
        let req = self
            .request(reqwest::Method::GET, "list issues", url)
            .dry_run_reply(json!([]));
        let items: Vec<Value> = self.list_all(req, READ_PERMISSION, |_| true).await?;
        Ok(items.iter().filter_map(parse_rest_issue).collect())
    }

    /// Issues carrying all of `labels`, in `state`, updated at or after
    /// `since`, with their newest comments: one GraphQL query, 100 issues a
    /// page, paginated to the end.
    pub async fn query_issues(
        &self,
        labels: &[&str],
        state: IssueState,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<Issue>, HttpError> {
        let repo = &self.config().repo;
        let labels: Vec<String> = labels.iter().map(|l| limit::label_name(l)).collect();
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let data = self
                .graphql_for(
                    "list issues by label (GraphQL)",
                    READ_PERMISSION,
                    ISSUES_QUERY,
                    json!({
                        "owner": repo.owner,
                        "name": repo.name,
                        "labels": labels,
                        "states": state.graphql(),
                        "since": since.map(|s| s.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                        "after": after,
                    }),
                )
                .await?;
            if data.is_null() {
                break; // --dry-run
            }
            let conn = &data["repository"]["issues"];
            if data["repository"].is_null() || conn.is_null() {
                return Err(self.issues_error(
                    "list issues by label (GraphQL)",
                    format!(
                        "the repository {} was not found (or the token cannot see it: `{READ_PERMISSION}`)",
                        repo
                    ),
                ));
            }
            out.extend(
                conn["nodes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(parse_graphql_issue),
            );
            let more = conn["pageInfo"]["hasNextPage"].as_bool().unwrap_or(false);
            let cursor = conn["pageInfo"]["endCursor"].as_str().map(String::from);
            if !more || cursor.is_none() {
                break;
            }
            after = cursor;
        }
        Ok(out)
    }

    /// One issue by number (`None` when it does not exist, or is a pull request).
    pub async fn get_issue(&self, number: u64) -> Result<Option<Issue>, HttpError> {
        let url = self.repo_url(&format!("issues/{number}"));
        let req = self.request(reqwest::Method::GET, "get issue", url);
        let resp = self.send(req).await?;
        if resp.dry_run {
            return Ok(None);
        }
        if resp.status.as_u16() == 404 || resp.status.as_u16() == 410 {
            return Ok(None);
        }
        if !resp.is_success() {
            return Err(resp.error(super::hint(&resp, READ_PERMISSION)));
        }
        Ok(parse_rest_issue(&resp.json::<Value>()?))
    }

    /// The comments of an issue, oldest first, paginated to the end.
    pub async fn list_comments(&self, number: u64) -> Result<Vec<Comment>, HttpError> {
        let mut url = self.repo_url(&format!("issues/{number}/comments"));
        url.query_pairs_mut()
            .append_pair("per_page", &PAGE_SIZE.to_string());
        let req = self
            .request(reqwest::Method::GET, "list issue comments", url)
            .dry_run_reply(json!([]));
        let items: Vec<Value> = self.list_all(req, READ_PERMISSION, |_| true).await?;
        Ok(items
            .iter()
            .filter_map(|c| {
                Some(Comment {
                    id: c["id"].as_u64().unwrap_or(0),
                    body: c["body"].as_str().unwrap_or("").to_string(),
                    created_at: time(&c["created_at"])?,
                })
            })
            .collect())
    }

    /// Create an issue once ([`crate::http::Http::create_once`]): when the
    /// answer is unclear, the open issues with the same labels are searched
    /// with `is_ours` (the marker and the title) before creating again.
    pub async fn create_issue(
        &self,
        spec: &NewIssue,
        is_ours: impl Fn(&Issue) -> bool,
    ) -> Result<Issue, HttpError> {
        // GitHub's limits, enforced here for every issue obsctl opens.
        let spec = &NewIssue {
            title: limit::issue_title(&spec.title),
            body: limit::issue_body(&spec.body),
            labels: spec.labels.iter().map(|l| limit::label_name(l)).collect(),
        };
        let labels: Vec<&str> = spec.labels.iter().map(String::as_str).collect();
        let (labels, is_ours) = (&labels, &is_ours);
        let created = self
            .http()
            .create_once(
                || {
                    self.request(
                        reqwest::Method::POST,
                        "create issue",
                        self.repo_url("issues"),
                    )
                    .json(spec)
                    .dry_run_reply(json!({
                        "number": 0, "title": spec.title, "html_url": "", "state": "open",
                        "body": spec.body, "labels": [], "created_at": "1970-01-01T00:00:00Z",
                    }))
                },
                move || async move {
                    let open = self.list_issues(labels, IssueState::Open, None).await?;
                    Ok(open.into_iter().find(|i| is_ours(i)))
                },
            )
            .await?;
        let resp = match created {
            Created::Found(issue) => return Ok(issue),
            Created::Answered(resp) if resp.is_success() => resp,
            Created::Answered(resp) => return Err(resp.error(super::hint(&resp, PERMISSION))),
        };
        parse_rest_issue(&resp.json::<Value>()?).ok_or_else(|| {
            self.issues_error("create issue", "the answer has no issue number".into())
        })
    }

    /// Comment on an issue once: on an unclear answer, the comments are
    /// read and an identical one counts as written. The body is cut to
    /// GitHub's limit ([`limit::comment_body`]).
    pub async fn comment(&self, number: u64, body: &str) -> Result<Comment, HttpError> {
        let body = limit::comment_body(body);
        let body = body.as_str();
        let url = self.repo_url(&format!("issues/{number}/comments"));
        let created = self
            .http()
            .create_once(
                || {
                    self.request(reqwest::Method::POST, "comment on issue", url.clone())
                        .json(&json!({ "body": body }))
                        .dry_run_reply(
                            json!({"id": 0, "body": body, "created_at": "1970-01-01T00:00:00Z"}),
                        )
                },
                move || async move {
                    let existing = self.list_comments(number).await?;
                    Ok(existing.into_iter().rev().find(|c| c.body == body))
                },
            )
            .await?;
        let resp = match created {
            Created::Found(c) => return Ok(c),
            Created::Answered(resp) if resp.is_success() => resp,
            Created::Answered(resp) => return Err(resp.error(super::hint(&resp, PERMISSION))),
        };
        let v: Value = resp.json()?;
        Ok(Comment {
            id: v["id"].as_u64().unwrap_or(0),
            body: v["body"].as_str().unwrap_or(body).to_string(),
            created_at: time(&v["created_at"]).unwrap_or(DateTime::UNIX_EPOCH),
        })
    }

    /// Close an issue as completed (safe to repeat).
    pub async fn close_issue(&self, number: u64) -> Result<(), HttpError> {
        let url = self.repo_url(&format!("issues/{number}"));
        let req = self
            .request(reqwest::Method::PATCH, "close issue", url)
            .json(&json!({ "state": "closed", "state_reason": "completed" }));
        self.send_ok(req, PERMISSION).await?;
        Ok(())
    }

    /// Make sure each label exists (creating the missing ones), concurrently.
    /// A label created meanwhile (422 `already_exists`) is fine.
    pub async fn ensure_labels(&self, labels: &[LabelSpec]) -> Result<(), HttpError> {
        let results = join_all(labels.iter().map(|l| self.ensure_label(l))).await;
        results.into_iter().collect()
    }

    async fn ensure_label(&self, label: &LabelSpec) -> Result<(), HttpError> {
        let label = &LabelSpec {
            name: limit::label_name(&label.name),
            color: label.color.clone(),
            description: limit::label_description(&label.description),
        };
        let url = self.repo_url(&format!("labels/{}", http::segment(&label.name)));
        let req = self.request(reqwest::Method::GET, "get label", url);
        let resp = self.send(req).await?;
        if resp.is_success() {
            return Ok(());
        }
        if resp.status.as_u16() != 404 {
            return Err(resp.error(super::hint(&resp, READ_PERMISSION)));
        }
        let req = self
            .request(
                reqwest::Method::POST,
                "create label",
                self.repo_url("labels"),
            )
            .json(&json!({
                "name": label.name, "color": label.color, "description": label.description,
            }))
            // A duplicate label is refused with 422, never created twice.
            .idempotent();
        let resp = self.send(req).await?;
        if resp.is_success() || resp.status.as_u16() == 422 {
            Ok(())
        } else {
            Err(resp.error(super::hint(&resp, PERMISSION)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rest_issues_skip_pull_requests() {
        let issue = json!({"number": 3, "title": "t", "state": "closed", "body": null,
            "labels": [{"name": "incident"}], "created_at": "2026-01-01T00:00:00Z",
            "closed_at": "2026-01-01T01:00:00Z", "html_url": "https://github.com/a/b/issues/3"});
        let i = parse_rest_issue(&issue).unwrap();
        assert!(!i.open);
        assert_eq!(i.labels, vec!["incident"]);
        let mut pr = issue.clone();
        pr["pull_request"] = json!({"url": "x"});
        assert_eq!(parse_rest_issue(&pr), None);
    }

    #[test]
    fn graphql_issue_comments_oldest_first() {
        let node = json!({"number": 4, "title": "t", "url": "u", "state": "OPEN", "body": "b",
            "createdAt": "2026-01-01T00:00:00Z", "closedAt": null,
            "labels": {"nodes": [{"name": "status"}]},
            "comments": {"totalCount": 2, "nodes": [
                {"databaseId": 2, "body": "second", "createdAt": "2026-01-01T00:02:00Z"},
                {"databaseId": 1, "body": "first", "createdAt": "2026-01-01T00:01:00Z"}]}});
        let i = parse_graphql_issue(&node).unwrap();
        assert!(i.open);
        assert_eq!(i.comments[0].body, "first");
        assert_eq!(i.comments_total, 2);
    }
}
