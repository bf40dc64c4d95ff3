//! `obsctl events …`, and the machinery `alerts test` shares with it: the
//! DSN (flag, `SENTRY_DSN`, or the project's first active key), sending a
//! spike of test envelopes within Sentry's rate limits, and waiting until
//! an event is readable by id.

pub mod test;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Result;
use chrono::Utc;
use futures::StreamExt;
use obsctl_core::events::dsn::{self, Dsn};
use obsctl_core::events::envelope::TestEvent;
use obsctl_core::events::rate_limits::RateLimit;
use obsctl_core::events::spike::{SPIKE_CONCURRENCY, poll_delay};

use crate::context::{Context, SentryConfig, usage};
use crate::http::Http;
use crate::providers::sentry::Sentry;
use crate::providers::sentry::envelope::{self, Rejected, Sent};
use crate::providers::sentry::events::{Lookup, StoredEvent};
use crate::providers::sentry::keys::KeyRateLimit;

/// The SDK version in envelopes: obsctl's.
pub const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Where the DSN came from (for messages).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DsnSource {
    Flag,
    Env,
    ProjectKey,
}

/// Parse a DSN given by the user and register its key(s) as secrets before
/// anything can print them. A malformed DSN is a usage error (exit 2).
pub fn register_dsn(ctx: &Context, text: &str, label: &str) -> Result<Dsn> {
    // Register the raw text first: even a malformed DSN may hold a key.
    ctx.ui.add_secret(label, text.trim());
    if let Some(user) = text
        .split_once("://")
        .and_then(|(_, r)| r.split_once('@'))
        .map(|(u, _)| u)
    {
        for part in user.split(':') {
            ctx.ui.add_secret(label, part);
        }
    }
    match Dsn::parse(text) {
        Ok(d) => Ok(d),
        Err(e) => usage(format!("{label}: {e}")),
    }
}

/// The DSN given by `--dsn` or `SENTRY_DSN` (read through the context), if any.
pub fn given_dsn(ctx: &Context, flag: Option<&str>) -> Result<Option<(Dsn, DsnSource)>> {
    if let Some(v) = flag.map(str::trim).filter(|v| !v.is_empty()) {
        return Ok(Some((register_dsn(ctx, v, "--dsn")?, DsnSource::Flag)));
    }
    match &ctx.events.dsn {
        Some(v) => Ok(Some((register_dsn(ctx, v, "SENTRY_DSN")?, DsnSource::Env))),
        None => Ok(None),
    }
}

/// The project's first active client key as a DSN (its key registered as a
/// secret). A read: it goes out under `--dry-run` too.
pub async fn project_dsn(ctx: &Context, cfg: &SentryConfig, project: &str) -> Result<Dsn> {
    Ok(project_key(ctx, cfg, project).await?.0)
}

/// Like [`project_dsn`], with the key's own rate limit (events per window), if set.
pub async fn project_key(
    ctx: &Context,
    cfg: &SentryConfig,
    project: &str,
) -> Result<(Dsn, Option<KeyRateLimit>)> {
    let sentry = Sentry::new(ctx.http.for_reads(), cfg.clone());
    let key = sentry.first_active_key(project).await?;
    let dsn = register_dsn(ctx, &key.dsn.public, "Sentry client key")?;
    Ok((dsn, key.rate_limit))
}

/// Check the DSN's region against SENTRY_URL and point the API at the DSN's
/// region when SENTRY_URL was not set. A mismatch is a usage error (exit 2).
/// `explicit`: the URL was configured (flag, env or obsctl.toml), not the default.
pub fn align_region(
    ctx: &Context,
    dsn: &Dsn,
    cfg: &mut SentryConfig,
    explicit: bool,
) -> Result<()> {
    let host = cfg.url.host_str().unwrap_or("").to_string();
    match dsn::check_region(dsn, cfg.url.as_str(), &host, explicit) {
        Ok(url) if url != cfg.url.as_str() => {
            cfg.url = crate::context::parse_url("SENTRY_URL", &url)?;
            ctx.ui
                .verbose(&format!("Sentry API: {} (the DSN's region)", cfg.url));
            Ok(())
        }
        Ok(_) => Ok(()),
        Err(e) => usage(format!("Sentry: {e}")),
    }
}

/// What a spike achieved.
#[derive(Debug, Default)]
pub struct SpikeResult {
    /// Ids of the accepted events, in send order of completion.
    pub accepted: Vec<String>,
    /// Send → 200 of the first accepted envelope.
    pub first_ack: Option<Duration>,
    /// The first refusal (its text says what Sentry said).
    pub rejected: Option<Rejected>,
    /// How many were refused.
    pub rejected_count: u32,
    /// Not sent because Sentry announced a rate limit for errors.
    pub held_back: u32,
    /// Sent, but no answer came back (unreachable, retries spent).
    pub failed: u32,
    /// Limits announced on any answer.
    pub rate_limits: Vec<RateLimit>,
}

/// Send `events` concurrently (at most [`SPIKE_CONCURRENCY`] in flight);
/// once Sentry answers 429 or announces a limit on errors, the rest is held
/// back instead of being sent into the limit.
pub async fn send_spike(http: &Http, dsn: &Dsn, events: Vec<TestEvent>) -> Result<SpikeResult> {
    let limited = Arc::new(AtomicBool::new(false));
    let mut results = futures::stream::iter(events.into_iter().map(|ev| {
        let limited = limited.clone();
        async move {
            if limited.load(Ordering::SeqCst) {
                return Ok(None);
            }
            let id = ev.event_id();
            let bytes = ev.envelope_bytes(SDK_VERSION, Utc::now());
            let sent = envelope::send(http, dsn, &id, bytes).await?;
            let stop = match &sent {
                Sent::Rejected(r) => r.status == 429,
                Sent::Accepted(a) => a.rate_limits.iter().any(|l| l.applies_to("error")),
            };
            if stop {
                limited.store(true, Ordering::SeqCst);
            }
            anyhow::Ok(Some((id, sent)))
        }
    }))
    .buffer_unordered(SPIKE_CONCURRENCY);
    let mut out = SpikeResult::default();
    let mut failed: Option<anyhow::Error> = None;
    while let Some(r) = results.next().await {
        let r = match r {
            Ok(r) => r,
            Err(e) => {
                // No answer for this one (unreachable, retries spent): keep
                // the others' results; the error only matters if none got through.
                out.failed += 1;
                failed.get_or_insert(e);
                continue;
            }
        };
        match r {
            None => out.held_back += 1,
            Some((id, Sent::Accepted(a))) => {
                out.first_ack.get_or_insert(a.ack);
                out.rate_limits.extend(a.rate_limits);
                out.accepted.push(a.event_id.unwrap_or(id));
            }
            Some((_, Sent::Rejected(r))) => {
                out.rejected_count += 1;
                out.rate_limits.extend(r.rate_limits.clone());
                out.rejected.get_or_insert(r);
            }
        }
    }
    match failed {
        Some(e) if out.accepted.is_empty() && out.rejected.is_none() => Err(e),
        _ => Ok(out),
    }
}

/// Poll the event by id with backoff (at most 5 requests a second) until it
/// is readable or `deadline` passes. Returns it and when it was first seen.
pub async fn wait_visible(
    sentry: &Sentry,
    project: &str,
    event_id: &str,
    deadline: Instant,
) -> Result<Option<(StoredEvent, Instant)>> {
    let mut attempt = 0;
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Ok(None);
        }
        match tokio::time::timeout(remaining, sentry.project_event(project, event_id)).await {
            Err(_) => return Ok(None),
            Ok(Err(e)) => return Err(e),
            Ok(Ok(Lookup::Found(ev))) => return Ok(Some((ev, Instant::now()))),
            Ok(Ok(Lookup::NotYet)) => {}
        }
        let remaining = deadline.saturating_duration_since(Instant::now());
        tokio::time::sleep(poll_delay(attempt).min(remaining)).await;
        attempt += 1;
    }
}

/// An id for this run: the CI run (GitHub `run_id-attempt`, GitLab pipeline), else random.
pub fn run_id(ctx: &Context) -> String {
    ctx.events
        .run_id
        .clone()
        .unwrap_or_else(|| format!("local-{:08x}", fastrand::u32(..)))
}

/// 16 random bytes for an event id.
pub fn random_bytes() -> [u8; 16] {
    fastrand::u128(..).to_le_bytes()
}
