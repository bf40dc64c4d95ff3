//! Sentry ingestion: `POST {dsn base}/api/{project_id}/envelope/` with the
//! DSN's key in `X-Sentry-Auth` (contracts `sentry/envelope.json`,
//! `sentry/dsn.json`), through obsctl's own HTTP policy so that the status,
//! `Retry-After` and `X-Sentry-Rate-Limits` are seen. The key never goes in
//! the URL or the body, and the header is marked sensitive.
//!
//! Re-sending an envelope is safe: Sentry drops a second event with the same
//! `event_id`, so transport faults and 5xx are retried under the policy; a
//! 429 is not retried but returned (it is what the user needs to know).

use std::fmt;
use std::time::{Duration, Instant};

use obsctl_core::events::dsn::Dsn;
use obsctl_core::events::rate_limits::{self, RateLimit};
use reqwest::Url;
use serde_json::json;

use crate::http::{Http, HttpError, Provider, Request, USER_AGENT, server_requested_wait};

/// The envelope was accepted (HTTP 200): queued for processing, not yet stored.
#[derive(Clone, Debug)]
pub struct Accepted {
    /// The `id` Sentry answered (the event id), when it did.
    pub event_id: Option<String>,
    /// Send → answer.
    pub ack: Duration,
    /// Limits announced with the 200 (later envelopes of these categories will be dropped).
    pub rate_limits: Vec<RateLimit>,
}

/// Sentry refused the envelope; what it said.
#[derive(Clone, Debug)]
pub struct Rejected {
    /// HTTP status.
    pub status: u16,
    /// The body's `detail` (or the start of the body).
    pub message: String,
    /// `Retry-After`, in seconds.
    pub retry_after_secs: Option<f64>,
    /// `X-Sentry-Rate-Limits`, parsed.
    pub rate_limits: Vec<RateLimit>,
    /// The project id and the DSN host, for the fix (no key).
    pub project_id: String,
    /// `host[:port]` of the DSN.
    pub host: String,
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (status, msg, pid, host) = (self.status, &self.message, &self.project_id, &self.host);
        match status {
            429 => {
                write!(f, "Sentry: rate limited the test event (HTTP 429: {msg})")?;
                if let Some(s) = self.retry_after_secs {
                    write!(f, "; Retry-After: {} s", s.ceil())?;
                }
                if !self.rate_limits.is_empty() {
                    let l: Vec<String> = self.rate_limits.iter().map(RateLimit::describe).collect();
                    write!(f, "; X-Sentry-Rate-Limits: {}", l.join("; "))?;
                }
                write!(
                    f,
                    ". Events of project {pid} are being dropped now: check the key's rate limit \
                     (Project Settings → Client Keys), spike protection and the quota (Stats)"
                )
            }
            401 | 403 => write!(
                f,
                "Sentry: rejected the DSN (HTTP {status}: {msg}): its public key is not an active \
                 client key of project {pid} on {host}, or the project is disabled. Copy the DSN \
                 from Project Settings → Client Keys (DSN), or leave --dsn/SENTRY_DSN unset to use \
                 the project's first active key (needs SENTRY_AUTH_TOKEN with project:read)"
            ),
            413 => write!(
                f,
                "Sentry: the envelope is too large (HTTP 413: {msg}); this is a bug in obsctl"
            ),
            400 => write!(
                f,
                "Sentry: could not read the envelope (HTTP 400: {msg}); this is a bug in obsctl, or \
                 the DSN points at something that is not Sentry's ingestion ({host})"
            ),
            404 => write!(
                f,
                "Sentry: no ingestion endpoint for project {pid} at {host} (HTTP 404: {msg}): \
                 check the DSN's host, path and project id"
            ),
            _ => write!(f, "Sentry: refused the test event (HTTP {status}: {msg})"),
        }
    }
}

/// What came of one envelope.
#[derive(Clone, Debug)]
pub enum Sent {
    /// HTTP 200.
    Accepted(Accepted),
    /// Any other final answer.
    Rejected(Rejected),
}

/// POST one envelope. `Err` only when no answer came (unreachable, retries
/// spent); a refusal is `Ok(Sent::Rejected)`.
pub async fn send(
    http: &Http,
    dsn: &Dsn,
    event_id: &str,
    bytes: Vec<u8>,
) -> Result<Sent, HttpError> {
    let url = Url::parse(&dsn.envelope_url()).map_err(|e| HttpError::Unreachable {
        provider: Provider::Sentry,
        op: "send test event".into(),
        url: dsn.redacted(),
        detail: e.to_string(),
    })?;
    let req = Request::post(Provider::Sentry, "send test event", url)
        .header("x-sentry-auth", &dsn.auth_header(USER_AGENT))
        .raw("application/x-sentry-envelope", bytes)
        .idempotent()
        .no_rate_limit_retry()
        .dry_run_reply(json!({ "id": event_id }));
    let started = Instant::now();
    let resp = http.send(req).await?;
    let ack = started.elapsed();
    let limits = resp
        .header("x-sentry-rate-limits")
        .map(rate_limits::parse)
        .unwrap_or_default();
    if resp.is_success() {
        let id = serde_json::from_slice::<serde_json::Value>(&resp.body)
            .ok()
            .and_then(|v| v["id"].as_str().map(String::from));
        return Ok(Sent::Accepted(Accepted {
            event_id: id,
            ack,
            rate_limits: limits,
        }));
    }
    let mut retry_after = server_requested_wait(&resp).map(|d| d.as_secs_f64());
    if resp.status.as_u16() == 429 && retry_after.is_none() {
        // The contract: with neither header, assume 60 s.
        retry_after = rate_limits::wait_for(&limits, "error").or(Some(60.0));
    }
    Ok(Sent::Rejected(Rejected {
        status: resp.status.as_u16(),
        message: resp.error_message(),
        retry_after_secs: retry_after,
        rate_limits: limits,
        project_id: dsn.project_id().to_string(),
        host: dsn.host().to_string(),
    }))
}
