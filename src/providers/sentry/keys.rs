//! A project's client keys (DSNs): `GET /api/0/projects/{org}/{project}/keys/`
//! (contract `sentry/list-project-keys.json`; scope `project:read`),
//! paginated to the end. Every key read is a secret: the caller registers it
//! with the redactor before anything else can print it.

use reqwest::Method;
use serde::Deserialize;

use super::Sentry;
use crate::http;

/// One client key, as much of it as obsctl uses.
#[derive(Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientKey {
    /// The key's id.
    #[serde(default)]
    pub id: String,
    /// Its label in Sentry.
    #[serde(default)]
    pub label: String,
    /// Whether it is enabled.
    #[serde(default)]
    pub is_active: bool,
    /// The DSNs of the key.
    pub dsn: KeyDsns,
    /// The key's own rate limit (`count` events per `window` seconds), if set.
    #[serde(default)]
    pub rate_limit: Option<KeyRateLimit>,
}

/// A client key's rate limit.
#[derive(Clone, Copy, Debug, Deserialize)]
pub struct KeyRateLimit {
    /// Seconds.
    pub window: u64,
    /// Events per window.
    pub count: u64,
}

/// The DSN forms of a key (only the public one is used).
#[derive(Clone, Deserialize)]
pub struct KeyDsns {
    /// `https://KEY@HOST/PROJECT_ID`.
    pub public: String,
}

impl std::fmt::Debug for ClientKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ClientKey({} {:?}, active {})",
            self.id, self.label, self.is_active
        )
    }
}

/// The `cursor` of the `rel="next"` link when it says `results="true"`.
pub fn next_cursor(link: Option<&str>) -> Option<String> {
    link?.split(',').find_map(|part| {
        let part = part.trim();
        if !part.contains("rel=\"next\"") || !part.contains("results=\"true\"") {
            return None;
        }
        let start = part.find("cursor=\"")? + "cursor=\"".len();
        let end = part[start..].find('"')? + start;
        Some(part[start..end].to_string())
    })
}

impl Sentry {
    /// The project's first active client key, reading every page (at most 50).
    ///
    /// Errors: 403 names `project:read`; 404 the org/project; no active key
    /// says so and where to create one.
    pub async fn first_active_key(&self, project: &str) -> anyhow::Result<ClientKey> {
        let base = http::join(
            &self.config().api_base(),
            &format!(
                "projects/{}/{}/keys/",
                http::segment(&self.config().org),
                http::segment(project)
            ),
        );
        let mut cursor: Option<String> = None;
        for _ in 0..50 {
            let mut req = self
                .request(Method::GET, "list client keys", base.clone())
                .query(&[("status", "active")]);
            if let Some(c) = &cursor {
                req = req.query(&[("cursor", c)]);
            }
            let resp = self.http().send(req).await?;
            if !resp.is_success() {
                return Err(resp
                    .error(scope_hint(resp.status.as_u16(), "project:read", project))
                    .into());
            }
            let keys: Vec<ClientKey> = resp.json()?;
            if let Some(k) = keys.into_iter().find(|k| k.is_active) {
                return Ok(k);
            }
            cursor = next_cursor(resp.header("link"));
            if cursor.is_none() {
                break;
            }
        }
        anyhow::bail!(
            "Sentry: project {project} has no active client key: create one in Project Settings → \
             Client Keys (DSN), or pass --dsn"
        )
    }
}

/// The fix for a failed call that needs `scope`.
pub fn scope_hint(status: u16, scope: &str, project: &str) -> Option<String> {
    match status {
        401 => Some("SENTRY_AUTH_TOKEN is invalid or expired".into()),
        403 => Some(format!(
            "SENTRY_AUTH_TOKEN lacks the `{scope}` scope (or access to project {project}): add it to the token"
        )),
        404 => Some(format!(
            "project {project} not found: check SENTRY_ORG, the project slug and SENTRY_URL"
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_cursor_stops_when_results_false() {
        let more = r#"<https://x/?cursor=0:0:1>; rel="previous"; results="false"; cursor="0:0:1", <https://x/?cursor=0:100:0>; rel="next"; results="true"; cursor="0:100:0""#;
        assert_eq!(next_cursor(Some(more)).as_deref(), Some("0:100:0"));
        let end = more.replace(r#"results="true""#, r#"results="false""#);
        assert_eq!(next_cursor(Some(&end)), None);
        assert_eq!(next_cursor(None), None);
    }
}
