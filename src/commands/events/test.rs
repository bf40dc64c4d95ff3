//! `obsctl events test`: send a test error event (or a spike) with the
//! project's DSN through obsctl's own HTTP client, then poll Sentry's API
//! until the event is readable by id, and report `ack_ms` (envelope
//! accepted), `visible_ms` (send → first 200 on the event), Sentry's own lag
//! (`dateReceived` − the event's timestamp) and the issue link. Exit 0 when
//! visible within `--max-latency`, 1 otherwise with what is known (the
//! refusal, the rate limits, the stats_v2 outcomes).

use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use chrono::{DateTime, Utc};
use obsctl_core::events::dsn::Dsn;
use obsctl_core::events::envelope::TestEvent;
use obsctl_core::events::outcomes;
use obsctl_core::events::spike::{MAX_SPIKE, parse_duration};
use serde::Serialize;

use super::{SDK_VERSION, SpikeResult, align_region, given_dsn, project_key, random_bytes, run_id};
use crate::cli::EventsTestArgs;
use crate::context::{Context, SentryConfig, usage};
use crate::providers::sentry::Sentry;
use crate::providers::sentry::events::StoredEvent;
use crate::providers::sentry::keys::KeyRateLimit;
use crate::ui::Format;
use obsctl_core::config::Config;

/// The resolved options.
#[derive(Debug)]
struct Options {
    project: Option<String>,
    service: Option<String>,
    environment: Option<String>,
    release: Option<String>,
    count: u32,
    max_latency: Duration,
}

/// The report (`--format json`): the first six fields are the documented ones.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub event_id: Option<String>,
    pub project: String,
    pub ack_ms: Option<u64>,
    pub visible_ms: Option<u64>,
    pub within_limit: bool,
    pub url: Option<String>,
    /// Sentry's own lag: `dateReceived` − the event's timestamp, ms.
    pub server_lag_ms: Option<i64>,
    pub max_latency_ms: u64,
    pub sent: u32,
    pub accepted: u32,
    /// Why events were refused or dropped, as far as Sentry says.
    pub reasons: Vec<String>,
}

pub async fn run(mut args: EventsTestArgs, ctx: &Context) -> Result<()> {
    if !matches!(ctx.ui.format, Format::Text | Format::Json) {
        return usage("events test: --format must be text or json");
    }
    let dsn_flag = args.dsn.take();
    let given = given_dsn(ctx, dsn_flag.as_deref())?;
    let mut cfg = ctx.sentry_api()?;
    let explicit = ctx.sentry_url_explicit();
    let mut opts = resolve(args, ctx, &ctx.config.config, cfg.as_ref())?;
    let dsn = match given {
        Some((dsn, _)) => Some(dsn),
        None if ctx.dry_run && cfg.is_none() => None,
        None => {
            let (dsn, limit) = dsn_from_api(ctx, cfg.as_ref(), opts.project.as_deref()).await?;
            opts.count = within_key_limit(ctx, opts.count, limit);
            Some(dsn)
        }
    };
    if let (Some(dsn), Some(cfg)) = (&dsn, cfg.as_mut()) {
        align_region(ctx, dsn, cfg, explicit)?;
    }
    let run = run_id(ctx);
    let events: Vec<TestEvent> = (0..opts.count).map(|_| test_event(&opts, &run)).collect();
    let Some(dsn) = dsn else {
        return dry_run(ctx, None, &events);
    };
    if ctx.dry_run {
        return dry_run(ctx, Some(&dsn), &events);
    }
    let project = opts
        .project
        .clone()
        .unwrap_or_else(|| dsn.project_id().to_string());
    let started = Instant::now();
    let spike = super::send_spike(&ctx.http, &dsn, events).await?;
    let mut report = Report {
        project: project.clone(),
        max_latency_ms: opts.max_latency.as_millis() as u64,
        sent: opts.count - spike.held_back,
        accepted: spike.accepted.len() as u32,
        ack_ms: spike.first_ack.map(|d| d.as_millis() as u64),
        event_id: spike.accepted.first().cloned(),
        ..Report::default()
    };
    report.reasons = refusal_reasons(&spike);
    let Some(event_id) = report.event_id.clone() else {
        print(ctx, &report, opts.count);
        let what = spike
            .rejected
            .map(|r| r.to_string())
            .unwrap_or_else(|| "Sentry: no test event was accepted".into());
        bail!("{what}");
    };
    let Some(cfg) = cfg else {
        print(ctx, &report, opts.count);
        bail!(
            "Sentry accepted test event {event_id}, but obsctl cannot check that it became visible: \
             SENTRY_AUTH_TOKEN (scope project:read) and SENTRY_ORG are needed to read it back"
        );
    };
    let sentry = Sentry::new(ctx.http.clone(), cfg);
    let deadline = started + opts.max_latency;
    let seen = super::wait_visible(&sentry, &project, &event_id, deadline).await?;
    finish(
        ctx,
        &sentry,
        &dsn,
        report,
        seen.map(|(ev, at)| (ev, at - started)),
        opts.count,
    )
    .await
}

/// Flags > environment > obsctl.toml. Bad input is a usage error (exit 2).
fn resolve(
    args: EventsTestArgs,
    ctx: &Context,
    config: &Config,
    cfg: Option<&SentryConfig>,
) -> Result<Options> {
    let max_latency = match parse_duration(&args.max_latency) {
        Ok(d) => d,
        Err(e) => return usage(format!("--max-latency: {e}")),
    };
    if args.count == 0 || args.count > MAX_SPIKE {
        return usage(format!("--count must be between 1 and {MAX_SPIKE}"));
    }
    let mut project = args.project;
    let mut environment = args.environment.or_else(|| ctx.events.environment.clone());
    if let Some(name) = &args.service {
        let Some(service) = config.service(name) else {
            let known = config.service_names().join(", ");
            return usage(format!(
                "--service {name:?}: no such [[service]] in obsctl.toml (known: {})",
                if known.is_empty() { "none" } else { &known }
            ));
        };
        project = Some(service.project().to_string());
        environment = environment.or_else(|| Some(service.environment().to_string()));
    }
    if project.is_none() {
        match cfg.map(|c| c.projects.as_slice()).unwrap_or_default() {
            [one] => project = Some(one.clone()),
            [] => {}
            _ => {
                return usage(
                    "events test: SENTRY_PROJECT names several projects: pick one with --project or --service",
                );
            }
        }
    }
    Ok(Options {
        project,
        service: args.service,
        environment,
        release: args.release.or_else(|| ctx.events.release.clone()),
        count: args.count,
        max_latency,
    })
}

async fn dsn_from_api(
    ctx: &Context,
    cfg: Option<&SentryConfig>,
    project: Option<&str>,
) -> Result<(Dsn, Option<KeyRateLimit>)> {
    let Some(cfg) = cfg else {
        return usage(
            "events test: no DSN: pass --dsn or set SENTRY_DSN, or set SENTRY_AUTH_TOKEN (scope project:read) \
             and SENTRY_ORG so that obsctl reads the project's first active client key",
        );
    };
    let Some(project) = project else {
        return usage(
            "events test: no project: pass --project SLUG or --service NAME, or set SENTRY_PROJECT",
        );
    };
    project_key(ctx, cfg, project).await
}

/// A spike larger than the key's own rate limit would only be dropped:
/// send what the key allows, and say so.
fn within_key_limit(ctx: &Context, count: u32, limit: Option<KeyRateLimit>) -> u32 {
    match limit {
        Some(l) if u64::from(count) > l.count && l.count > 0 => {
            ctx.ui.warn(&format!(
                "Sentry: the client key allows {} events per {} s: sending {} instead of {count}",
                l.count, l.window, l.count
            ));
            l.count as u32
        }
        _ => count,
    }
}

fn test_event(opts: &Options, run: &str) -> TestEvent {
    TestEvent {
        random: random_bytes(),
        run_id: run.to_string(),
        timestamp: Utc::now(),
        release: opts.release.clone(),
        environment: opts.environment.clone(),
        service: opts.service.clone(),
        tags: vec![],
    }
}

/// Show what would be sent: the endpoint, the auth header with the key
/// redacted, and the first envelope.
pub(crate) fn dry_run(ctx: &Context, dsn: Option<&Dsn>, events: &[TestEvent]) -> Result<()> {
    let first = &events[0];
    let envelope =
        String::from_utf8_lossy(&first.envelope_bytes(SDK_VERSION, Utc::now())).into_owned();
    let url = dsn.map(Dsn::envelope_url).unwrap_or_else(|| {
        "{DSN host}/api/{project id}/envelope/ (DSN: the project's first active client key)".into()
    });
    let auth = format!(
        "Sentry sentry_version=7, sentry_client={}, sentry_key=<redacted>",
        crate::http::USER_AGENT
    );
    let mut text = format!(
        "dry run: nothing was sent. Would POST {} envelope(s) to {url}\nX-Sentry-Auth: {auth}\nContent-Type: application/x-sentry-envelope\n\n{envelope}",
        events.len()
    );
    if events.len() > 1 {
        text.push_str(&format!(
            "\n… and {} more like it (new event ids, same fingerprint)\n",
            events.len() - 1
        ));
    }
    text.push_str("\nThen: GET /api/0/projects/{org}/{project}/events/{event_id}/ until 200 or --max-latency.");
    let json = serde_json::json!({
        "dry_run": true, "url": url, "x_sentry_auth": auth, "count": events.len(),
        "event_id": first.event_id(), "envelope": envelope,
    });
    ctx.ui.result(&text, &json);
    Ok(())
}

fn refusal_reasons(spike: &SpikeResult) -> Vec<String> {
    let mut out: Vec<String> = spike.rejected.iter().map(|r| r.to_string()).collect();
    if spike.rejected_count > 1 {
        out.push(format!(
            "{} envelopes were refused in all",
            spike.rejected_count
        ));
    }
    if spike.failed > 0 {
        out.push(format!(
            "{} envelopes got no answer from Sentry",
            spike.failed
        ));
    }
    if spike.held_back > 0 {
        out.push(format!(
            "{} events were held back: Sentry announced a rate limit",
            spike.held_back
        ));
    }
    for l in spike
        .rate_limits
        .iter()
        .filter(|l| l.applies_to("error"))
        .take(3)
    {
        out.push(format!("X-Sentry-Rate-Limits: {}", l.describe()));
    }
    out
}

async fn finish(
    ctx: &Context,
    sentry: &Sentry,
    dsn: &Dsn,
    mut report: Report,
    seen: Option<(StoredEvent, Duration)>,
    count: u32,
) -> Result<()> {
    let event_id = report.event_id.clone().unwrap_or_default();
    if let Some((ev, visible)) = seen {
        report.visible_ms = Some(visible.as_millis() as u64);
        report.within_limit = true;
        report.server_lag_ms = server_lag(&ev);
        report.url = ev
            .group_id
            .as_deref()
            .map(|g| issue_url(sentry, g, dsn.project_id()));
        ctx.write_summary(&format!(
            "**obsctl events test**: event `{event_id}` visible in Sentry after {} ms (limit {} ms)",
            visible.as_millis(),
            report.max_latency_ms
        ))?;
        ctx.write_outputs(&[
            ("event_id", event_id),
            ("visible_ms", visible.as_millis().to_string()),
        ])?;
        print(ctx, &report, count);
        return Ok(());
    }
    ctx.write_outputs(&[
        ("event_id", event_id.clone()),
        ("visible_ms", String::new()),
    ])?;
    match sentry.error_outcomes(dsn.project_id(), "1h").await {
        Ok(counts) => {
            let why = outcomes::explain(&counts);
            if why.is_empty() {
                report.reasons.push("stats_v2 shows no dropped errors for the project in the last hour (outcomes can lag by minutes)".into());
            }
            report
                .reasons
                .extend(why.into_iter().map(|w| format!("last hour: {w}")));
        }
        Err(e) => report
            .reasons
            .push(format!("could not read why (stats_v2): {e:#}")),
    }
    print(ctx, &report, count);
    ctx.write_summary(&format!(
        "**obsctl events test**: event `{event_id}` was accepted but not visible in Sentry within {} ms",
        report.max_latency_ms
    ))?;
    bail!(
        "Sentry accepted test event {event_id} but it was not readable within {} s; {}",
        report.max_latency_ms as f64 / 1000.0,
        if report.reasons.is_empty() {
            "Sentry gave no reason".to_string()
        } else {
            report.reasons.join("; ")
        }
    )
}

fn server_lag(ev: &StoredEvent) -> Option<i64> {
    let parse = |s: &Option<String>| {
        s.as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
    };
    Some((parse(&ev.date_received)? - parse(&ev.date_created)?).num_milliseconds())
}

fn issue_url(sentry: &Sentry, group: &str, project_id: &str) -> String {
    let cfg = sentry.config();
    let mut url = crate::http::join(
        &cfg.url,
        &format!(
            "organizations/{}/issues/{}/",
            crate::http::segment(&cfg.org),
            crate::http::segment(group)
        ),
    );
    url.query_pairs_mut().append_pair("project", project_id);
    url.to_string()
}

fn print(ctx: &Context, r: &Report, count: u32) {
    let mut text = String::new();
    let id = r.event_id.as_deref().unwrap_or("-");
    if let Some(ack) = r.ack_ms {
        text.push_str(&format!(
            "accepted: test event {id} in {ack} ms (project {})\n",
            r.project
        ));
    }
    if count > 1 {
        text.push_str(&format!(
            "spike: {} of {count} events accepted ({} sent)\n",
            r.accepted, r.sent
        ));
    }
    match r.visible_ms {
        Some(v) => {
            text.push_str(&format!(
                "visible: after {v} ms (limit {} ms)\n",
                r.max_latency_ms
            ));
            if let Some(l) = r.server_lag_ms {
                text.push_str(&format!("server lag (dateReceived − timestamp): {l} ms\n"));
            }
        }
        None if r.ack_ms.is_some() => {
            text.push_str(&format!("visible: not within {} ms\n", r.max_latency_ms))
        }
        None => {}
    }
    if let Some(u) = &r.url {
        text.push_str(&format!("issue: {u}\n"));
    }
    for reason in &r.reasons {
        text.push_str(&format!("why: {reason}\n"));
    }
    ctx.ui.result(&text, r);
}
