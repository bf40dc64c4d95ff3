//! GitHub REST and GraphQL client (github.com and GitHub Enterprise Server).

pub mod deployments;
pub mod issues;
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

    /// The HTTP client (its policy, dry-run record and UI).
    pub fn http(&self) -> &Http {
        &self.http
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

    /// Every item of a REST list, following `Link: rel="next"` for at most
    /// [`crate::http::MAX_PAGES`] pages (a longer list is reported, not cut
    /// silently); `keep_going` may stop early once the items so far suffice.
    pub async fn list_all<T: serde::de::DeserializeOwned>(
        &self,
        req: Request,
        permission: &str,
        keep_going: impl Fn(&[T]) -> bool,
    ) -> Result<Vec<T>, HttpError> {
        Ok(self
            .list_pages(req, permission, crate::http::MAX_PAGES, keep_going)
            .await?
            .items)
    }

    /// [`GitHub::list_all`] for at most `max_pages` pages, saying whether
    /// the bound cut the list ([`crate::http::Paged::truncated`]; the HTTP
    /// layer also warns).
    pub async fn list_pages<T: serde::de::DeserializeOwned>(
        &self,
        req: Request,
        permission: &str,
        max_pages: usize,
        keep_going: impl Fn(&[T]) -> bool,
    ) -> Result<crate::http::Paged<T>, HttpError> {
        self.http
            .get_pages(
                req,
                max_pages,
                |resp| {
                    if resp.is_success() {
                        Ok(resp)
                    } else {
                        Err(resp.error(hint(&resp, permission)))
                    }
                },
                keep_going,
            )
            .await
    }

    /// POST a GraphQL query; GraphQL errors (HTTP 200 with `errors`) are errors.
    pub async fn graphql(
        &self,
        op: &str,
        query: &str,
        variables: Value,
    ) -> Result<Value, HttpError> {
        self.graphql_for(op, "read access to the repository", query, variables)
            .await
    }

    /// [`GitHub::graphql`], naming the token permission the query needs in
    /// the hint of a 401/403, a GraphQL `FORBIDDEN` or `NOT_FOUND`.
    pub async fn graphql_for(
        &self,
        op: &str,
        permission: &str,
        query: &str,
        variables: Value,
    ) -> Result<Value, HttpError> {
        let req = Request::post(Provider::GitHub, op, self.cfg.graphql_url.clone())
            .bearer(&self.cfg.token)
            .idempotent()
            .json(&serde_json::json!({ "query": query, "variables": variables }))
            .dry_run_reply(serde_json::json!({ "data": null }));
        let resp = self.send(req).await?;
        if resp.status.as_u16() == 404 {
            // GraphQL answers a missing repository with 200 and NOT_FOUND:
            // a 404 means there is no GraphQL API at this URL.
            return Err(resp.error(Some(format!(
                "there is no GraphQL API at {}: on GitHub Enterprise Server set GITHUB_API_URL to https://HOST/api/v3 (or GITHUB_GRAPHQL_URL to https://HOST/api/graphql)",
                self.cfg.graphql_url
            ))));
        }
        if !resp.is_success() {
            return Err(resp.error(hint(&resp, permission)));
        }
        let body: Value = resp.json()?;
        if let Some(errors) = body
            .get("errors")
            .and_then(Value::as_array)
            .filter(|e| !e.is_empty())
        {
            return Err(self.graphql_error(op, permission, errors, &resp));
        }
        Ok(body.get("data").cloned().unwrap_or(Value::Null))
    }

    /// An answer with GraphQL `errors`: their messages, and the fix for the
    /// types GitHub documents (`NOT_FOUND`, `FORBIDDEN`, `RATE_LIMITED`…).
    fn graphql_error(
        &self,
        op: &str,
        permission: &str,
        errors: &[Value],
        resp: &Response,
    ) -> HttpError {
        let message = errors
            .iter()
            .filter_map(|e| e.get("message").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("; ");
        let has = |t: &str| {
            errors
                .iter()
                .any(|e| e.get("type").and_then(Value::as_str) == Some(t))
        };
        let hint = if has("RATE_LIMITED") || message.to_ascii_lowercase().contains("rate limit") {
            let reset = resp
                .header("x-ratelimit-reset")
                .and_then(|v| v.parse::<i64>().ok())
                .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                .map(|t| format!(" (it resets at {})", t.format("%H:%M:%S UTC")))
                .unwrap_or_default();
            Some(format!(
                "GitHub's GraphQL rate limit for this token is spent{reset}: run again after the reset, or use another token"
            ))
        } else if has("NOT_FOUND") {
            Some(format!(
                "check GITHUB_REPOSITORY ({}) and that GITHUB_TOKEN can see the repository (`{permission}`)",
                self.cfg.repo
            ))
        } else if has("FORBIDDEN") || has("INSUFFICIENT_SCOPES") {
            Some(format!(
                "GITHUB_TOKEN lacks permission: it needs `{permission}` (workflow `permissions:`, or the PAT's scopes)"
            ))
        } else {
            None
        };
        let message: String = format!("GraphQL error: {message}")
            .chars()
            .take(400)
            .collect();
        HttpError::GaveUp {
            provider: Provider::GitHub,
            op: op.to_string(),
            detail: match hint {
                Some(h) => format!("{message}. {h}"),
                None => message,
            },
        }
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
