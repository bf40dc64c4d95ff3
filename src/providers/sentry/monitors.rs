//! Sentry monitors ("detectors"), alerts ("workflows") and integrations:
//! the current alerting API (Sentry removed the legacy metric and issue
//! alert-rule endpoints in 2026; obsctl never calls them).
//!
//! - `GET  /organizations/{org}/detectors/?project=…` (paginated to the end)
//! - `POST /organizations/{org}/projects/{project}/detectors/`
//! - `PUT|DELETE /organizations/{org}/detectors/{id}/`
//! - `GET|POST /organizations/{org}/workflows/`, `PUT|DELETE …/workflows/{id}/`
//! - `GET  /organizations/{org}/integrations/?providerKey=slack`
//! - `GET  /projects/{org}/{project}/teams/` (the e-mail fallback's team)
//!
//! Reads go out even under `--dry-run` (a dry run must read to know its
//! writes); writes follow the dry-run policy. Creates are create-once: on an
//! unclear answer the object is looked up by its marker before one retry.
//! A 403 names the scope: `alerts:read` to read, `alerts:write` to write.

use reqwest::{Method, Url};
use serde_json::{Value, json};

use super::Sentry;
use crate::context::SentryConfig;
use crate::http::{self, Created, Http, HttpError, Request, Response};

/// Which scope an operation needs, for the 403 hint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Listing monitors and alerts.
    AlertsRead,
    /// Creating, updating, deleting them.
    AlertsWrite,
    /// Listing integrations and project teams.
    OrgRead,
}

impl Scope {
    fn name(self) -> &'static str {
        match self {
            Scope::AlertsRead => "alerts:read",
            Scope::AlertsWrite => "alerts:write",
            Scope::OrgRead => "org:read",
        }
    }
}

/// The fix for a failed monitors/alerts call.
pub fn hint(resp: &Response, scope: Scope) -> Option<String> {
    match resp.status.as_u16() {
        401 => Some(format!(
            "SENTRY_AUTH_TOKEN is invalid or expired: create a token with the `{}` scope",
            scope.name()
        )),
        403 => Some(format!(
            "SENTRY_AUTH_TOKEN lacks permission: it needs the `{}` scope{}",
            scope.name(),
            match scope {
                Scope::AlertsWrite => " (plan and import need only `alerts:read`)",
                Scope::AlertsRead => " (apply needs `alerts:write`)",
                Scope::OrgRead => "",
            }
        )),
        404 => Some("not found: check SENTRY_ORG (or [sentry] org), the project slugs in obsctl.toml and SENTRY_URL".into()),
        _ => None,
    }
}

/// The cursor of the next page from Sentry's `Link` header, or `None` when
/// the `rel="next"` link says `results="false"` (a next link is always there).
pub fn next_cursor(link: Option<&str>) -> Option<String> {
    let link = link?;
    for part in link.split(',') {
        let attrs: Vec<&str> = part.split(';').map(str::trim).collect();
        let attr = |name: &str| {
            attrs.iter().find_map(|a| {
                a.strip_prefix(name)
                    .and_then(|v| v.strip_prefix('='))
                    .map(|v| v.trim_matches('"'))
            })
        };
        if attr("rel") == Some("next") {
            return (attr("results") == Some("true"))
                .then(|| attr("cursor").map(String::from))
                .flatten();
        }
    }
    None
}

/// The monitors, alerts and integrations client.
#[derive(Clone)]
pub struct Monitors {
    read: Sentry,
    write: Sentry,
}

impl Monitors {
    /// A client on `http` (writes follow its dry-run setting; reads always go out).
    pub fn new(http: &Http, cfg: SentryConfig) -> Self {
        Self {
            read: Sentry::new(http.for_reads(), cfg.clone()),
            write: Sentry::new(http.clone(), cfg),
        }
    }

    /// The Sentry configuration (org, URL).
    pub fn config(&self) -> &SentryConfig {
        self.read.config()
    }

    async fn send(&self, via: &Sentry, req: Request, scope: Scope) -> Result<Response, HttpError> {
        let resp = via.http.send(req).await?;
        if resp.is_success() {
            Ok(resp)
        } else {
            Err(resp.error(hint(&resp, scope)))
        }
    }

    /// Every item of a paginated list, following the `Link` header's
    /// `cursor` to the end, as Sentry documents it (`?cursor=<cursor>` on the
    /// same URL: the link's own URL can name an internal host behind a
    /// proxy). More than [`http::MAX_PAGES`] pages is an error, not a cut
    /// list: planning against part of the monitors would create duplicates.
    async fn list(
        &self,
        op: &str,
        url: Url,
        query: &[(&str, &str)],
        scope: Scope,
    ) -> Result<Vec<Value>, HttpError> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..http::MAX_PAGES {
            let mut q: Vec<(&str, &str)> = query.to_vec();
            q.push(("per_page", "100"));
            if let Some(c) = &cursor {
                q.push(("cursor", c));
            }
            let req = self.read.request(Method::GET, op, url.clone()).query(&q);
            let resp = self.send(&self.read, req, scope).await?;
            let page: Vec<Value> = resp.json()?;
            out.extend(page);
            match next_cursor(resp.header("link")) {
                Some(c) if Some(&c) != cursor.as_ref() => cursor = Some(c),
                _ => return Ok(out),
            }
        }
        Err(HttpError::GaveUp {
            provider: http::Provider::Sentry,
            op: op.to_string(),
            detail: format!(
                "more than {} pages of 100: stopped reading",
                http::MAX_PAGES
            ),
        })
    }

    /// Every monitor of `project` (paginated to the end).
    pub async fn list_detectors(&self, project: &str) -> Result<Vec<Value>, HttpError> {
        self.list(
            &format!("list monitors of {project}"),
            self.read.org_url("detectors/"),
            &[("project", project)],
            Scope::AlertsRead,
        )
        .await
    }

    /// Every alert (workflow) of the organization (paginated to the end).
    pub async fn list_workflows(&self) -> Result<Vec<Value>, HttpError> {
        self.list(
            "list alerts",
            self.read.org_url("workflows/"),
            &[],
            Scope::AlertsRead,
        )
        .await
    }

    /// One monitor by id (`GET /organizations/{org}/detectors/{id}/`, contract
    /// `get-organization-detector.json`): its `latestGroup` is the newest issue
    /// it opened (what `alerts test` watches). Added by the events helper.
    pub async fn get_detector(&self, id: &str) -> Result<Value, HttpError> {
        let url = self
            .read
            .org_url(&format!("detectors/{}/", http::segment(id)));
        let req = self.read.request(Method::GET, "read monitor", url);
        self.send(&self.read, req, Scope::AlertsRead).await?.json()
    }

    /// The organization's integrations of one provider (`slack`).
    pub async fn list_integrations(&self, provider: &str) -> Result<Vec<Value>, HttpError> {
        self.list(
            &format!("list {provider} integrations"),
            self.read.org_url("integrations/"),
            &[("providerKey", provider)],
            Scope::OrgRead,
        )
        .await
    }

    /// The teams of `project` (`[{id, slug, name}]`), for the e-mail fallback.
    pub async fn project_teams(&self, project: &str) -> Result<Vec<Value>, HttpError> {
        let cfg = self.read.config();
        let url = http::join(
            &cfg.api_base(),
            &format!(
                "projects/{}/{}/teams/",
                http::segment(&cfg.org),
                http::segment(project)
            ),
        );
        self.list(
            &format!("list teams of {project}"),
            url,
            &[],
            Scope::OrgRead,
        )
        .await
    }

    /// Create a monitor in `project`, once ([`Http::create_once`]): on an
    /// unclear answer the monitor is looked up by `key`'s marker, and sent
    /// again only when it is not there.
    pub async fn create_detector(
        &self,
        project: &str,
        key: &str,
        body: &Value,
    ) -> Result<Value, HttpError> {
        let url = self
            .write
            .org_url(&format!("projects/{}/detectors/", http::segment(project)));
        let make = || {
            self.write
                .request(Method::POST, &format!("create monitor {key}"), url.clone())
                .json(body)
                .dry_run_reply(json!({"id": format!("(new {key})")}))
        };
        let lookup = || async {
            Ok(self.list_detectors(project).await?.into_iter().find(|d| {
                obsctl_core::alerts::managed_detector_key(
                    d["name"].as_str().unwrap_or(""),
                    d["description"].as_str(),
                ) == Some(key)
            }))
        };
        self.created(self.write.http.create_once(make, lookup).await?)
    }

    fn created(&self, c: Created<Value>) -> Result<Value, HttpError> {
        match c {
            Created::Found(v) => Ok(v),
            Created::Answered(resp) if resp.is_success() => resp.json(),
            Created::Answered(resp) => Err(resp.error(hint(&resp, Scope::AlertsWrite))),
        }
    }

    /// Replace a monitor's settings.
    pub async fn update_detector(
        &self,
        id: &str,
        key: &str,
        body: &Value,
    ) -> Result<Value, HttpError> {
        self.put("detectors", &format!("update monitor {key}"), id, body)
            .await
    }

    /// Delete a monitor; one that is already gone (404) counts as deleted.
    pub async fn delete_detector(&self, id: &str, key: &str) -> Result<(), HttpError> {
        self.delete("detectors", &format!("delete monitor {key}"), id)
            .await
    }

    /// Create an alert (workflow), once: on an unclear answer it is looked
    /// up by the marker in its name before it is sent again.
    pub async fn create_workflow(&self, key: &str, body: &Value) -> Result<Value, HttpError> {
        let make = || {
            self.write
                .request(
                    Method::POST,
                    &format!("create alert {key}"),
                    self.write.org_url("workflows/"),
                )
                .json(body)
                .dry_run_reply(json!({"id": format!("(new {key})")}))
        };
        let lookup = || async {
            Ok(self.list_workflows().await?.into_iter().find(|w| {
                obsctl_core::alerts::managed_workflow_key(w["name"].as_str().unwrap_or(""))
                    == Some(key)
            }))
        };
        self.created(self.write.http.create_once(make, lookup).await?)
    }

    /// Replace an alert's settings.
    pub async fn update_workflow(
        &self,
        id: &str,
        key: &str,
        body: &Value,
    ) -> Result<Value, HttpError> {
        self.put("workflows", &format!("update alert {key}"), id, body)
            .await
    }

    /// Delete an alert; one already gone (404) counts as deleted.
    pub async fn delete_workflow(&self, id: &str, key: &str) -> Result<(), HttpError> {
        self.delete("workflows", &format!("delete alert {key}"), id)
            .await
    }

    /// `PUT /organizations/{org}/{collection}/{id}/` (a monitor or an alert).
    async fn put(
        &self,
        collection: &str,
        op: &str,
        id: &str,
        body: &Value,
    ) -> Result<Value, HttpError> {
        let url = self
            .write
            .org_url(&format!("{collection}/{}/", http::segment(id)));
        let req = self
            .write
            .request(Method::PUT, op, url)
            .json(body)
            .dry_run_reply(json!({"id": id}));
        self.send(&self.write, req, Scope::AlertsWrite)
            .await?
            .json()
    }

    /// `DELETE /organizations/{org}/{collection}/{id}/`; a 404 (already
    /// gone) counts as deleted.
    async fn delete(&self, collection: &str, op: &str, id: &str) -> Result<(), HttpError> {
        let url = self
            .write
            .org_url(&format!("{collection}/{}/", http::segment(id)));
        let req = self.write.request(Method::DELETE, op, url);
        match self.send(&self.write, req, Scope::AlertsWrite).await {
            Ok(_) => Ok(()),
            Err(e) if e.status() == Some(404) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_cursors() {
        let more = r#"<https://sentry.io/api/0/x/?cursor=0:0:1>; rel="previous"; results="false"; cursor="0:0:1", <https://sentry.io/api/0/x/?cursor=0:100:0>; rel="next"; results="true"; cursor="0:100:0""#;
        assert_eq!(next_cursor(Some(more)).as_deref(), Some("0:100:0"));
        let end = r#"<https://sentry.io/api/0/x/?cursor=0:0:1>; rel="previous"; results="true"; cursor="0:0:1", <https://sentry.io/api/0/x/?cursor=0:200:0>; rel="next"; results="false"; cursor="0:200:0""#;
        assert_eq!(next_cursor(Some(end)), None);
        assert_eq!(next_cursor(None), None);
        assert_eq!(next_cursor(Some("garbage")), None);
    }
}
