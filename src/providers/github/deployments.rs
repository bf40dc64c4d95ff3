//! GitHub Deployments and deployment statuses (REST, API version 2022-11-28).
//!
//! Creating a deployment is not idempotent: the request is `CreateOnce`, and
//! when its outcome is unknown ([`HttpError::Unconfirmed`]) the deployment is
//! looked up (by SHA, environment and obsctl's payload marker) before the
//! request is tried once more. Statuses are safe to repeat.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use obsctl_core::limits::github as limits;

use super::GitHub;
use crate::http::{Created, HttpError, Paged, Provider, Response};

/// The id `--dry-run` gives the deployment it did not create: never a real
/// GitHub id, and never shown as one.
pub const DRY_RUN_ID: u64 = 0;

/// How many pages of 100 `deploy verify` reads of an environment's
/// deployments (newest first: 500 deployments).
pub const ENVIRONMENT_DEPLOYMENTS_MAX_PAGES: usize = 5;

/// The token permission deployments need.
pub const PERMISSION: &str = "deployments: write";

/// The marker key obsctl puts in the payloads of its deployments.
pub const MARKER: &str = "obsctl";

/// A deployment as GitHub returns it (only the fields obsctl reads).
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Deployment {
    pub id: u64,
    #[serde(default)]
    pub sha: String,
    #[serde(default, rename = "ref")]
    pub git_ref: String,
    #[serde(default)]
    pub environment: String,
    #[serde(default)]
    pub payload: Value,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub production_environment: Option<bool>,
}

impl Deployment {
    /// The payload as an object: GitHub answers with an object or a JSON string.
    pub fn payload_object(&self) -> Option<serde_json::Map<String, Value>> {
        match &self.payload {
            Value::Object(o) => Some(o.clone()),
            Value::String(s) => match serde_json::from_str(s) {
                Ok(Value::Object(o)) => Some(o),
                _ => None,
            },
            _ => None,
        }
    }

    /// obsctl's payload, when this deployment was created by obsctl.
    pub fn obsctl_payload(&self) -> Option<DeployPayload> {
        let obj = self.payload_object()?;
        obj.get(MARKER)?;
        serde_json::from_value(Value::Object(obj)).ok()
    }
}

/// What `deploy start` stores in the deployment for `deploy finish`: nothing
/// else is kept anywhere, so finish works from another job or machine.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct DeployPayload {
    /// Format version of this payload; its presence marks obsctl's deployments.
    #[serde(default = "one")]
    pub obsctl: u32,
    pub version: String,
    /// RFC 3339, UTC, whole seconds.
    pub started_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_url: Option<String>,
    /// The environment URL given to `deploy start --url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slack_channel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slack_ts: Option<String>,
    /// References to the messages posted at start (Slack bot, Discord,
    /// webhook), as the messaging layer serializes them; never a secret.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<Value>,
}

fn one() -> u32 {
    1
}

/// The body of `POST /repos/{o}/{r}/deployments`.
#[derive(Clone, Debug, Serialize)]
pub struct NewDeployment {
    /// Always the exact commit SHA.
    #[serde(rename = "ref")]
    pub sha: String,
    pub task: String,
    /// Never let GitHub merge the default branch into the deployed ref.
    pub auto_merge: bool,
    /// Empty: do not make the deployment wait on commit statuses (CI already gated it).
    pub required_contexts: Vec<String>,
    pub environment: String,
    pub production_environment: bool,
    pub transient_environment: bool,
    pub description: String,
    pub payload: DeployPayload,
}

/// A deployment status as GitHub returns it.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct DeploymentStatus {
    pub id: u64,
    pub state: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub log_url: Option<String>,
    #[serde(default)]
    pub environment_url: Option<String>,
}

/// The body of `POST .../deployments/{id}/statuses`.
#[derive(Clone, Debug, Serialize)]
pub struct NewStatus {
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment_url: Option<String>,
    /// At most 140 characters (truncated here).
    pub description: String,
    pub auto_inactive: bool,
}

/// GitHub's limit on a status description.
pub const STATUS_DESCRIPTION_MAX: usize = limits::STATUS_DESCRIPTION;

impl GitHub {
    /// Create the deployment, once: on an unclear answer the deployments of
    /// the SHA and environment are looked up (obsctl's payload with the same
    /// `started_at`, run URL and version) and the create is repeated only
    /// when it is not there ([`crate::http::Http::create_once`]).
    pub async fn create_deployment(&self, new: &NewDeployment) -> Result<Deployment, HttpError> {
        let new = &NewDeployment {
            description: limits::deployment_description(&new.description),
            ..new.clone()
        };
        let made = self
            .http
            .create_once(
                || {
                    self.request(
                        reqwest::Method::POST,
                        "create deployment",
                        self.repo_url("deployments"),
                    )
                    .json(new)
                    .dry_run_reply(json!({
                        "id": DRY_RUN_ID,
                        "sha": new.sha,
                        "ref": new.sha,
                        "environment": new.environment,
                        "payload": new.payload,
                        "created_at": new.payload.started_at,
                    }))
                },
                || async {
                    let listed = self.list_deployments(&new.sha, &new.environment).await?;
                    Ok(listed.into_iter().find(|d| {
                        d.obsctl_payload().is_some_and(|p| {
                            p.started_at == new.payload.started_at
                                && p.run_url == new.payload.run_url
                                && p.version == new.payload.version
                        })
                    }))
                },
            )
            .await?;
        match made {
            Created::Found(d) => Ok(d),
            Created::Answered(resp) => read_created_deployment(resp),
        }
    }
}

/// Read the answer to `POST /deployments`: only a 201 (or 200) is a
/// Deployment; a 202 is GitHub's auto-merge message.
fn read_created_deployment(resp: Response) -> Result<Deployment, HttpError> {
    match resp.status.as_u16() {
        201 | 200 => resp.json(),
        202 => Err(status_error(
            &resp,
            "GitHub merged the default branch into the ref instead of creating a deployment \
             (auto-merge); no deployment was created. obsctl sends auto_merge: false for an \
             exact SHA, so check that --sha / GITHUB_SHA is a full commit SHA, then run again"
                .into(),
        )),
        409 => Err(status_error(
            &resp,
            "GitHub refused the deployment: commit status checks failed for the ref, or a \
             merge conflict. obsctl sends required_contexts: [] and auto_merge: false; \
             check environment protection rules and that the SHA exists on GitHub"
                .into(),
        )),
        422 => Err(status_error(
            &resp,
            "GitHub rejected the deployment: the SHA must be a commit pushed to the \
             repository and the environment name valid; a 422 also comes when deployments \
             are created too fast (wait and run again)"
                .into(),
        )),
        403 if !is_rate_limit(&resp) => Err(status_error(
            &resp,
            format!(
                "GITHUB_TOKEN needs `{PERMISSION}` (add `permissions: deployments: write` to \
                 the workflow, or the `repo_deployment` scope to a classic PAT)"
            ),
        )),
        _ => Err(resp.error(super::hint(&resp, PERMISSION))),
    }
}

impl GitHub {
    /// Add a status (safe to repeat: a second identical status changes nothing
    /// that matters).
    pub async fn create_deployment_status(
        &self,
        deployment_id: u64,
        status: &NewStatus,
    ) -> Result<DeploymentStatus, HttpError> {
        let mut status = status.clone();
        status.description = limits::status_description(&status.description);
        let url = self.repo_url(&format!("deployments/{deployment_id}/statuses"));
        // Under --dry-run the deployment was not created: its id (0 in the
        // planned reply) is GitHub's to assign, so the URL shows a placeholder.
        let shown = url.as_str().replace(
            &format!("/deployments/{deployment_id}/"),
            "/deployments/{deployment_id}/",
        );
        let mut req = self
            .request(reqwest::Method::POST, "create deployment status", url)
            .idempotent()
            .json(&status)
            .dry_run_reply(json!({
                "id": 0,
                "state": status.state,
                "description": status.description,
            }));
        if deployment_id == DRY_RUN_ID {
            req = req.dry_run_url(shown);
        }
        let resp = self.send_ok(req, PERMISSION).await?;
        resp.json()
    }

    /// The deployments of one SHA in one environment, newest first (every
    /// page, 100 a page).
    pub async fn list_deployments(
        &self,
        sha: &str,
        environment: &str,
    ) -> Result<Vec<Deployment>, HttpError> {
        let req = self
            .request(
                reqwest::Method::GET,
                "list deployments",
                self.repo_url("deployments"),
            )
            .query(&[
                ("sha", sha),
                ("environment", environment),
                ("per_page", "100"),
            ])
            .dry_run_reply(json!([]));
        self.list_all(req, "deployments: read", |_| true).await
    }

    /// The newest deployments of one environment, any SHA, newest first,
    /// at most [`ENVIRONMENT_DEPLOYMENTS_MAX_PAGES`] pages of 100: `deploy
    /// verify` looks for the previous release among them. `truncated` says
    /// the bound was reached with more deployments left (and the HTTP layer
    /// warns).
    pub async fn list_environment_deployments(
        &self,
        environment: &str,
    ) -> Result<Paged<Deployment>, HttpError> {
        let req = self
            .request(
                reqwest::Method::GET,
                "list deployments",
                self.repo_url("deployments"),
            )
            .query(&[("environment", environment), ("per_page", "100")])
            .dry_run_reply(json!([]));
        // Newest first: the baseline is near the top, so reading stops after
        // five pages (500 deployments), and says so.
        self.list_pages(
            req,
            "deployments: read",
            ENVIRONMENT_DEPLOYMENTS_MAX_PAGES,
            |_: &[Deployment]| true,
        )
        .await
    }

    pub async fn get_deployment(&self, id: u64) -> Result<Deployment, HttpError> {
        let req = self
            .request(
                reqwest::Method::GET,
                "get deployment",
                self.repo_url(&format!("deployments/{id}")),
            )
            .dry_run_reply(json!({ "id": id, "payload": {} }));
        let resp = self.send(req).await?;
        if resp.status.as_u16() == 404 {
            return Err(resp.error(Some(format!(
                "there is no deployment {id} in {}: check --deployment-id (the `deployment_id` \
                 output of `deploy start`) and GITHUB_REPOSITORY",
                self.config().repo
            ))));
        }
        if resp.is_success() {
            resp.json()
        } else {
            Err(resp.error(super::hint(&resp, "deployments: read")))
        }
    }

    /// The statuses of a deployment, newest first (every page).
    pub async fn list_deployment_statuses(
        &self,
        id: u64,
    ) -> Result<Vec<DeploymentStatus>, HttpError> {
        let req = self
            .request(
                reqwest::Method::GET,
                "list deployment statuses",
                self.repo_url(&format!("deployments/{id}/statuses")),
            )
            .query(&[("per_page", "100")])
            .dry_run_reply(json!([]));
        self.list_all(req, "deployments: read", |_| true).await
    }
}

fn status_error(resp: &Response, hint: String) -> HttpError {
    HttpError::Status {
        provider: Provider::GitHub,
        op: resp.op.clone(),
        status: resp.status.as_u16(),
        message: resp.error_message(),
        hint: Some(hint),
    }
}

fn is_rate_limit(resp: &Response) -> bool {
    resp.header("x-ratelimit-remaining") == Some("0")
        || resp.text().to_ascii_lowercase().contains("rate limit")
}

/// The newest deployment obsctl created among `deployments` (highest id).
pub fn newest_obsctl(deployments: &[Deployment]) -> Option<&Deployment> {
    deployments
        .iter()
        .filter(|d| d.obsctl_payload().is_some())
        .max_by_key(|d| d.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dep(id: u64, payload: Value) -> Deployment {
        serde_json::from_value(json!({"id": id, "payload": payload})).unwrap()
    }

    #[test]
    fn payloads_as_object_or_string() {
        let p = json!({"obsctl": 1, "version": "1.0", "started_at": "2026-01-01T00:00:00Z"});
        let a = dep(1, p.clone());
        let b = dep(2, Value::String(p.to_string()));
        assert_eq!(a.obsctl_payload(), b.obsctl_payload());
        assert_eq!(a.obsctl_payload().unwrap().version, "1.0");
        assert!(
            dep(3, json!({"deploy": "migrate"}))
                .obsctl_payload()
                .is_none()
        );
        assert!(dep(4, json!("")).obsctl_payload().is_none());
    }

    #[test]
    fn newest_obsctl_deployment() {
        let p = json!({"obsctl": 1, "version": "1", "started_at": "x"});
        let list = vec![dep(5, p.clone()), dep(9, json!({})), dep(7, p)];
        assert_eq!(newest_obsctl(&list).unwrap().id, 7);
        assert!(newest_obsctl(&[dep(1, json!({}))]).is_none());
    }

    #[test]
    fn descriptions_are_cut_at_140() {
        let long = "é".repeat(200);
        let cut = limits::status_description(&long);
        assert_eq!(cut.chars().count(), 140);
        assert!(cut.ends_with('…'));
        assert_eq!(limits::status_description("short"), "short");
    }
}
