//! Sentry Web API client (sentry.io and self-hosted, `{SENTRY_URL}/api/0/`).

pub mod deploys;
pub mod envelope;
pub mod events;
pub mod explore;
pub mod keys;
pub mod monitors;
pub mod recent_deploys;
pub mod releases;
pub mod sessions;
pub mod stats;
pub mod timeseries;

use reqwest::{Method, Url};

use crate::context::SentryConfig;
use crate::http::{self, Http, HttpError, Provider, Request, Response};

#[derive(Clone)]
pub struct Sentry {
    pub(crate) http: Http,
    cfg: SentryConfig,
}

impl Sentry {
    pub fn new(http: Http, cfg: SentryConfig) -> Self {
        Self { http, cfg }
    }

    pub fn config(&self) -> &SentryConfig {
        &self.cfg
    }

    pub fn http(&self) -> &Http {
        &self.http
    }

    /// `{api}/organizations/{org}/{path}` (path ends with `/`, as Sentry expects).
    pub fn org_url(&self, path: &str) -> Url {
        http::join(
            &self.cfg.api_base(),
            &format!(
                "organizations/{}/{}",
                http::segment(&self.cfg.org),
                path.trim_start_matches('/')
            ),
        )
    }

    /// `{api}/organizations/{org}/releases/{version}/{rest}`.
    pub fn release_url(&self, version: &str, rest: &str) -> Url {
        self.org_url(&format!("releases/{}/{rest}", http::segment(version)))
    }

    pub fn request(&self, method: Method, op: &str, url: Url) -> Request {
        Request::new(Provider::Sentry, op, method, url).bearer(&self.cfg.token)
    }

    /// Every item of a list, following Sentry's cursor `Link` header for at
    /// most [`crate::http::MAX_PAGES`] pages (a longer list is reported).
    pub async fn list_all<T: serde::de::DeserializeOwned>(
        &self,
        req: Request,
    ) -> Result<Vec<T>, HttpError> {
        let paged = self
            .http
            .get_pages(
                req,
                crate::http::MAX_PAGES,
                |resp| {
                    if resp.is_success() {
                        Ok(resp)
                    } else {
                        Err(resp.error(hint(&resp)))
                    }
                },
                |_| true,
            )
            .await?;
        Ok(paged.items)
    }

    /// Send and require a 2xx (208 included).
    pub async fn send_ok(&self, req: Request) -> Result<Response, HttpError> {
        let resp = self.http.send(req).await?;
        if resp.is_success() {
            Ok(resp)
        } else {
            Err(resp.error(hint(&resp)))
        }
    }
}

/// The fix for a failed Sentry call.
pub fn hint(resp: &Response) -> Option<String> {
    match resp.status.as_u16() {
        401 => Some("SENTRY_AUTH_TOKEN is invalid or expired: create an auth token with `project:releases`".into()),
        403 => Some("SENTRY_AUTH_TOKEN lacks permission: it needs the `project:releases` scope (org:read for some lookups)".into()),
        404 => Some("not found: check SENTRY_ORG, SENTRY_PROJECT and SENTRY_URL".into()),
        _ => None,
    }
}
