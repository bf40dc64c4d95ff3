//! Sentry release deploys: make sure the release exists (without touching its
//! commits) and record one deploy per finished deployment, never twice.

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::Sentry;
use crate::http::{Created, HttpError};

/// A deploy as Sentry returns it.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SentryDeploy {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub environment: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub date_started: Option<String>,
    #[serde(default)]
    pub date_finished: Option<String>,
}

/// The body of `POST .../releases/{version}/deploys/`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewSentryDeploy {
    pub environment: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_started: Option<String>,
    pub date_finished: String,
    /// Only the configured projects, never every project of the release.
    pub projects: Vec<String>,
}

/// Sentry's limit on a deploy name.
pub const DEPLOY_NAME_MAX: usize = 64;

impl NewSentryDeploy {
    /// Whether `existing` records the same deploy: same environment and the
    /// same name, or the same start time (to the second).
    pub fn matches(&self, existing: &SentryDeploy) -> bool {
        if existing.environment != self.environment {
            return false;
        }
        let same_name = self.name.is_some() && existing.name == self.name;
        let same_start = match (
            self.date_started.as_deref().and_then(parse_time),
            existing.date_started.as_deref().and_then(parse_time),
        ) {
            (Some(a), Some(b)) => a.timestamp() == b.timestamp(),
            _ => false,
        };
        same_name || same_start
    }
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// What [`Sentry::ensure_deploy`] did.
#[derive(Clone, Debug)]
pub enum DeployOutcome {
    Created(SentryDeploy),
    /// A deploy for this deployment was already recorded (a re-run).
    Existed(SentryDeploy),
}

impl Sentry {
    /// Make sure the release exists for the configured projects. Only
    /// `version` and `projects` are sent (no commits, no finalize), so what
    /// `release create` recorded is never clobbered; 201 and 208 both succeed.
    pub async fn ensure_release_for_deploy(&self, version: &str) -> Result<(), HttpError> {
        self.create_release(version, &[], None).await.map(|_| ())
    }

    /// The newest release versions of `project` seen in `environment`
    /// (`GET .../releases/?project=&environment=`, newest first, one page of
    /// `per_page`): where `deploy verify` looks for the baseline without GitHub.
    pub async fn list_recent_versions(
        &self,
        project: &str,
        environment: &str,
        per_page: u32,
    ) -> Result<Vec<String>, HttpError> {
        #[derive(Deserialize)]
        struct Version {
            version: String,
        }
        let req = self
            .request(Method::GET, "list releases", self.org_url("releases/"))
            .query(&[
                ("project", project),
                ("environment", environment),
                ("per_page", &per_page.to_string()),
            ])
            .dry_run_reply(json!([]));
        let list: Vec<Version> = self.send_ok(req).await?.json()?;
        Ok(list.into_iter().map(|v| v.version).collect())
    }

    pub async fn list_deploys(&self, version: &str) -> Result<Vec<SentryDeploy>, HttpError> {
        let req = self
            .request(
                Method::GET,
                "list release deploys",
                self.release_url(version, "deploys/"),
            )
            .dry_run_reply(json!([]));
        self.list_all(req).await
    }

    /// Create a deploy, once ([`crate::http::Http::create_once`]): on an
    /// unclear answer the release's deploys are listed and the create is
    /// repeated only when none matches.
    pub async fn create_deploy(
        &self,
        version: &str,
        new: &NewSentryDeploy,
    ) -> Result<SentryDeploy, HttpError> {
        let made = self
            .http
            .create_once(
                || {
                    self.request(
                        Method::POST,
                        "create deploy",
                        self.release_url(version, "deploys/"),
                    )
                    .json(new)
                    .dry_run_reply(json!({
                        "id": "0",
                        "environment": new.environment,
                        "name": new.name,
                        "url": new.url,
                        "dateStarted": new.date_started,
                        "dateFinished": new.date_finished,
                    }))
                },
                || async {
                    let listed = self.list_deploys(version).await?;
                    Ok(listed.into_iter().find(|d| new.matches(d)))
                },
            )
            .await?;
        match made {
            Created::Found(d) => Ok(d),
            Created::Answered(resp) if resp.is_success() => resp.json(),
            Created::Answered(resp) => Err(resp.error(super::hint(&resp))),
        }
    }

    /// Record the deploy once: list the release's deploys and create one
    /// only when none matches. A missing release (404) is created first.
    pub async fn ensure_deploy(
        &self,
        version: &str,
        new: &NewSentryDeploy,
    ) -> Result<DeployOutcome, HttpError> {
        let listed = self.list_deploys(version).await;
        self.ensure_deploy_listed(version, new, listed).await
    }

    /// [`Self::ensure_deploy`] with the release's deploys already listed
    /// (a caller that listed them concurrently with other work saves a
    /// round trip on its critical path).
    pub async fn ensure_deploy_listed(
        &self,
        version: &str,
        new: &NewSentryDeploy,
        listed: Result<Vec<SentryDeploy>, HttpError>,
    ) -> Result<DeployOutcome, HttpError> {
        match listed {
            Ok(existing) => {
                if let Some(found) = existing.into_iter().find(|d| new.matches(d)) {
                    return Ok(DeployOutcome::Existed(found));
                }
            }
            Err(e) if e.status() == Some(404) => {
                self.ensure_release_for_deploy(version).await?;
            }
            Err(e) => return Err(e),
        }
        self.create_deploy(version, new)
            .await
            .map(DeployOutcome::Created)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(name: Option<&str>, started: Option<&str>) -> NewSentryDeploy {
        NewSentryDeploy {
            environment: "production".into(),
            name: name.map(String::from),
            url: None,
            date_started: started.map(String::from),
            date_finished: "2026-01-01T00:10:00Z".into(),
            projects: vec!["web".into()],
        }
    }

    fn existing(env: &str, name: Option<&str>, started: Option<&str>) -> SentryDeploy {
        SentryDeploy {
            id: "1".into(),
            environment: env.into(),
            name: name.map(String::from),
            url: None,
            date_started: started.map(String::from),
            date_finished: None,
        }
    }

    #[test]
    fn matching_deploys() {
        let n = new(Some("production #7"), Some("2026-01-01T00:00:00Z"));
        // Sentry answers with microseconds.
        assert!(n.matches(&existing(
            "production",
            None,
            Some("2026-01-01T00:00:00.000000Z")
        )));
        assert!(n.matches(&existing("production", Some("production #7"), None)));
        assert!(!n.matches(&existing(
            "staging",
            Some("production #7"),
            Some("2026-01-01T00:00:00Z")
        )));
        assert!(!n.matches(&existing(
            "production",
            Some("production #6"),
            Some("2026-01-01T00:00:05Z")
        )));
        assert!(!new(None, None).matches(&existing("production", None, None)));
    }

    #[test]
    fn deploy_body_shape() {
        let body = serde_json::to_value(new(Some("n"), None)).unwrap();
        assert_eq!(body["dateFinished"], "2026-01-01T00:10:00Z");
        assert!(body.get("dateStarted").is_none());
        assert_eq!(body["projects"], json!(["web"]));
    }
}
