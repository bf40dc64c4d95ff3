//! GitHub REST and GraphQL client (github.com and GitHub Enterprise Server).

pub mod deployments;
pub mod releases;

use reqwest::Url;
use serde_json::Value;

use crate::context::GithubConfig;
use crate::http::{self, Http, HttpError, Provider, Request, Response};

pub const API_VERSION: &str = "2022-11-28";

#[derive(Clone)]
pub struct GitHub {
    http: Http,
    cfg: GithubConfig,
}

impl GitHub {
    pub fn new(http: Http, cfg: GithubConfig) -> Self {
        Self { http, cfg }
    }

    pub fn config(&self) -> &GithubConfig {
        &self.cfg
    }

    /// `{api}/repos/{owner}/{name}/{path}`.
    pub fn repo_url(&self, path: &str) -> Url {
        let base = format!(
            "repos/{}/{}",
            http::segment(&self.cfg.repo.owner),
            http::segment(&self.cfg.repo.name)
        );
        http::join(
            &self.cfg.api_url,
            &format!("{base}/{}", path.trim_start_matches('/')),
        )
    }

    /// A request with GitHub's auth, media type and API version headers.
    pub fn request(&self, method: reqwest::Method, op: &str, url: Url) -> Request {
        Request::new(Provider::GitHub, op, method, url)
            .bearer(&self.cfg.token)
            .header("accept", "application/vnd.github+json")
            .header("x-github-api-version", API_VERSION)
    }

    pub async fn send(&self, req: Request) -> Result<Response, HttpError> {
        self.http.send(req).await
    }

    /// Send and require a 2xx; `permission` names the token permission the
    /// operation needs, for the 403/404 hint.
    pub async fn send_ok(&self, req: Request, permission: &str) -> Result<Response, HttpError> {
        let resp = self.send(req).await?;
        if resp.is_success() {
            Ok(resp)
        } else {
            Err(resp.error(hint(&resp, permission)))
        }
    }

    /// POST a GraphQL query; GraphQL errors (HTTP 200 with `errors`) are errors.
    pub async fn graphql(
        &self,
        op: &str,
        query: &str,
        variables: Value,
    ) -> Result<Value, HttpError> {
        let req = Request::post(Provider::GitHub, op, self.cfg.graphql_url.clone())
            .bearer(&self.cfg.token)
            .idempotent()
            .json(&serde_json::json!({ "query": query, "variables": variables }))
            .dry_run_reply(serde_json::json!({ "data": null }));
        let resp = self.send_ok(req, "read access to the repository").await?;
        let body: Value = resp.json()?;
        if let Some(errors) = body
            .get("errors")
            .and_then(Value::as_array)
            .filter(|e| !e.is_empty())
        {
            let message = errors
                .iter()
                .filter_map(|e| e.get("message").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join("; ");
            return Err(HttpError::Status {
                provider: Provider::GitHub,
                op: op.to_string(),
                status: resp.status.as_u16(),
                message: format!("GraphQL error: {message}"),
                hint: None,
            });
        }
        Ok(body.get("data").cloned().unwrap_or(Value::Null))
    }
}

/// The fix for a failed GitHub call.
pub fn hint(resp: &Response, permission: &str) -> Option<String> {
    match resp.status.as_u16() {
        401 => Some(
            "GITHUB_TOKEN is invalid or expired: set a valid token (GITHUB_TOKEN or GH_TOKEN)"
                .into(),
        ),
        403 => Some(format!(
            "GITHUB_TOKEN lacks permission: it needs `{permission}` (workflow `permissions:`, or the PAT's scopes)"
        )),
        404 => Some(format!(
            "not found: check GITHUB_REPOSITORY and that GITHUB_TOKEN can see the repository (`{permission}`)"
        )),
        _ => None,
    }
}

pub mod dora;
