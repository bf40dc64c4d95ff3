//! The last deploy of each recent release of one project and environment,
//! in one request: `GET /organizations/{org}/releases/?project=&environment=`
//! (contract `sentry/list-releases.json`; each release carries
//! `lastDeploy`). Bounded: the first page of [`RECENT_RELEASES`] releases
//! (newest first), which `report` says when it uses them.

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use super::Sentry;
use crate::http::HttpError;

/// Releases read (one page).
pub const RECENT_RELEASES: usize = 25;

#[derive(Deserialize)]
struct Release {
    version: String,
    #[serde(default, rename = "lastDeploy")]
    last_deploy: Option<LastDeploy>,
}

#[derive(Deserialize)]
struct LastDeploy {
    #[serde(default)]
    environment: String,
    #[serde(default, rename = "dateFinished")]
    date_finished: Option<String>,
}

/// A deploy: the release version and when it finished (RFC 3339).
#[derive(Clone, Debug, PartialEq)]
pub struct RecentDeploy {
    pub version: String,
    pub finished_at: String,
}

impl Sentry {
    /// The last deploy to `environment` of each of the project's
    /// [`RECENT_RELEASES`] newest releases.
    pub async fn recent_deploys(
        &self,
        project: &str,
        environment: &str,
    ) -> Result<Vec<RecentDeploy>, HttpError> {
        let per_page = RECENT_RELEASES.to_string();
        let req = self
            .request(Method::GET, "list releases", self.org_url("releases/"))
            .query(&[
                ("project", project),
                ("environment", environment),
                ("per_page", &per_page),
            ])
            .dry_run_reply(json!([]));
        let list: Vec<Release> = self.send_ok(req).await?.json()?;
        Ok(list
            .into_iter()
            .filter_map(|r| {
                let d = r.last_deploy?;
                (d.environment == environment).then_some(RecentDeploy {
                    version: r.version,
                    finished_at: d.date_finished?,
                })
            })
            .collect())
    }
}
