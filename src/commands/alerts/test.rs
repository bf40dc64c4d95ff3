//! `obsctl alerts test KEY`: prove that an alert works. For `error-spike`,
//! send a spike of test errors sized from the alert's threshold and window
//! and the project's usual error count, then watch the managed monitor's
//! `latestGroup` until it opens an issue, and report the time to fire. The
//! other kinds cannot be triggered honestly by test traffic and Sentry's
//! public API has no test-fire for actions: obsctl says so and exits 1.

use std::time::Instant;

use anyhow::{Result, anyhow, bail};
use chrono::Utc;
use obsctl_core::alerts::{compile, kinds, managed_detector_key};
use obsctl_core::config::{Alert, Config, Service};
use obsctl_core::events::alert_test::{self, Group, Method};
use obsctl_core::events::envelope::TestEvent;
use obsctl_core::events::spike::{self, SpikePlan, monitor_poll_delay, parse_duration};
use serde::Serialize;
use serde_json::Value;

use super::{id_of, load_linted};
use crate::cli::AlertsTestArgs;
use crate::commands::events::{self as ev, given_dsn, project_dsn, random_bytes, run_id};
use crate::context::{Context, SentryConfig, usage};
use crate::providers::sentry::Sentry;
use crate::providers::sentry::monitors::Monitors;
use crate::providers::sentry::stats;

/// The report (`--format json`).
#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub key: String,
    pub kind: String,
    pub monitor_id: Option<String>,
    /// A spike was sent (false: the kind cannot be tested this way).
    pub tested: bool,
    pub fired: bool,
    pub time_to_fire_ms: Option<u64>,
    pub issue_url: Option<String>,
    pub spike: Option<SpikePlan>,
    pub sent: u32,
    pub accepted: u32,
    pub delivery: Option<String>,
    pub reason: Option<String>,
}

pub async fn run(args: AlertsTestArgs, ctx: &Context) -> Result<()> {
    let max_latency =
        parse_duration(&args.max_latency).or_else(|e| usage(format!("--max-latency: {e}")))?;
    let linted = load_linted(ctx)?;
    let config = &linted.config;
    let Some(alert) = config.alerts.iter().find(|a| a.key.get_ref() == &args.key) else {
        let known: Vec<&str> = config
            .alerts
            .iter()
            .map(|a| a.key.get_ref().as_str())
            .collect();
        return usage(format!(
            "alerts test: no [[alert]] with key {:?} in {} (keys: {})",
            args.key,
            linted.path.display(),
            known.join(", ")
        ));
    };
    let service = config
        .service(alert.service.get_ref())
        .ok_or_else(|| anyhow!("alert {} names an unknown service", args.key))?;
    let project = service.project().to_string();
    let cfg = super::sentry(ctx, vec![project.clone()], "alerts:read")?;
    let mut report = Report {
        key: args.key.clone(),
        kind: alert.kind.get_ref().clone(),
        ..Report::default()
    };
    let detector =
        find_managed(&Monitors::new(&ctx.http, cfg.clone()), &project, &args.key).await?;
    report.monitor_id = Some(id_of(&detector));
    if let Method::NotTestable(why) = alert_test::method_for(alert.kind.get_ref()) {
        report.reason = Some(why.clone());
        print(ctx, &report);
        bail!("alerts test {}: not tested: {why}", args.key);
    }
    let before = alert_test::latest_group(&detector);
    if let Some(why) = alert_test::already_firing(before.as_ref()) {
        report.reason = Some(why.clone());
        print(ctx, &report);
        bail!("alerts test {}: {why}", args.key);
    }
    let ctx_alert = Target {
        args: &args,
        config,
        alert,
        service,
        project: &project,
    };
    spike_and_watch(ctx, ctx_alert, cfg, report, &detector, before, max_latency).await
}

/// What is being tested.
struct Target<'a> {
    args: &'a AlertsTestArgs,
    config: &'a Config,
    alert: &'a Alert,
    service: &'a Service,
    project: &'a str,
}

/// Size and send the spike, then watch the monitor until it fires.
async fn spike_and_watch(
    ctx: &Context,
    t: Target<'_>,
    mut cfg: SentryConfig,
    mut report: Report,
    detector: &Value,
    before: Option<Group>,
    max_latency: std::time::Duration,
) -> Result<()> {
    let (args, config, alert, service, project) = (t.args, t.config, t.alert, t.service, t.project);
    let plan = size_spike(ctx, args, alert, &cfg, detector).await?;
    report.spike = Some(plan.clone());
    let dsn = match given_dsn(ctx, args.dsn.as_deref())? {
        Some((d, _)) => d,
        None => project_dsn(ctx, &cfg, project).await?,
    };
    let explicit = ctx.sentry_url_explicit() || config.sentry.url.is_some();
    ev::align_region(ctx, &dsn, &mut cfg, explicit)?;
    let events = spike_events(&args.key, service, plan.events, &run_id(ctx));
    if ctx.dry_run {
        ctx.ui.notice(&format!(
            "alerts test {}: would send {} test errors ({plan:?})",
            args.key, plan.events
        ));
        return ev::test::dry_run(ctx, Some(&dsn), &events);
    }
    let monitors = Monitors::new(&ctx.http, cfg.clone());
    let (start, t0) = (Utc::now(), Instant::now());
    let sent = ev::send_spike(&ctx.http, &dsn, events).await?;
    report.tested = true;
    report.sent = plan.events - sent.held_back;
    report.accepted = sent.accepted.len() as u32;
    if sent.accepted.is_empty() {
        let why = sent
            .rejected
            .map(|r| r.to_string())
            .unwrap_or_else(|| "no test error was accepted".into());
        report.reason = Some(why.clone());
        print(ctx, &report);
        bail!("alerts test {}: {why}", args.key);
    }
    if report.accepted < plan.events {
        ctx.ui.warn(&format!(
            "alerts test {}: only {} of {} test errors were accepted: the monitor may not fire",
            args.key, report.accepted, plan.events
        ));
    }
    let id = report.monitor_id.clone().unwrap_or_default();
    let fired = wait_fired(&monitors, &id, before.as_ref(), start, t0 + max_latency).await?;
    finish(
        ctx,
        config,
        alert,
        &cfg,
        report,
        fired.map(|g| (g, t0.elapsed())),
        max_latency,
    )
}

/// The managed monitor of `key`: name prefixed `[obsctl] ` AND the marker in
/// its description. None is a failure naming the fix (`alerts apply`).
async fn find_managed(m: &Monitors, project: &str, key: &str) -> Result<Value> {
    let list = m.list_detectors(project).await?;
    list.into_iter()
        .find(|d| managed_detector_key(d["name"].as_str().unwrap_or(""), d["description"].as_str()) == Some(key))
        .ok_or_else(|| anyhow!(
            "alerts test {key}: Sentry has no monitor managed by obsctl for this key in project {project} \
             (name \"[obsctl] …\" and obsctl:key={key} in its description): run `obsctl alerts apply` first"
        ))
}

/// The spike for the alert's threshold and window over the baseline
/// (`--baseline`, else the last day's accepted errors per window, from stats_v2).
async fn size_spike(
    ctx: &Context,
    args: &AlertsTestArgs,
    alert: &Alert,
    cfg: &SentryConfig,
    detector: &Value,
) -> Result<SpikePlan> {
    let window = kinds::window_secs(alert.window.get_ref()).ok_or_else(|| {
        anyhow!(
            "alert {}: window {} is not one of Sentry's",
            args.key,
            alert.window.get_ref()
        )
    })?;
    let threshold = alert
        .threshold
        .as_ref()
        .map(|t| *t.get_ref())
        .ok_or_else(|| anyhow!("alert {}: error-spike needs a threshold", args.key))?;
    let baseline = match args.baseline {
        Some(b) => b,
        None => {
            let project_id = id_of(&serde_json::json!({"id": detector["projectId"]}));
            let sentry = Sentry::new(ctx.http.for_reads(), cfg.clone());
            let counts = sentry.error_outcomes(&project_id, "24h").await.map_err(|e| {
                anyhow!("alerts test {}: cannot estimate the usual error count ({e:#}); pass --baseline N", args.key)
            })?;
            stats::accepted(&counts) as f64 * f64::from(window) / 86_400.0
        }
    };
    spike::error_spike(threshold, u64::from(window), baseline)
        .map_err(|e| anyhow!("alerts test {}: {e}", args.key))
}

fn spike_events(key: &str, service: &Service, n: u32, run: &str) -> Vec<TestEvent> {
    (0..n)
        .map(|_| TestEvent {
            random: random_bytes(),
            run_id: run.to_string(),
            timestamp: Utc::now(),
            release: None,
            environment: Some(service.environment().to_string()),
            service: Some(service.name().to_string()),
            tags: vec![("obsctl.alert".into(), key.to_string())],
        })
        .collect()
}

/// Read the monitor until its `latestGroup` shows it fired, or the deadline.
async fn wait_fired(
    m: &Monitors,
    id: &str,
    before: Option<&Group>,
    start: chrono::DateTime<Utc>,
    deadline: Instant,
) -> Result<Option<Group>> {
    let mut attempt = 0;
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Ok(None);
        }
        tokio::time::sleep(monitor_poll_delay(attempt).min(remaining)).await;
        attempt += 1;
        let Ok(d) = tokio::time::timeout(
            deadline.saturating_duration_since(Instant::now()),
            m.get_detector(id),
        )
        .await
        else {
            return Ok(None);
        };
        let now = alert_test::latest_group(&d?);
        if alert_test::fired(before, now.as_ref(), start) {
            return Ok(now);
        }
    }
}

fn finish(
    ctx: &Context,
    config: &Config,
    alert: &Alert,
    cfg: &SentryConfig,
    mut report: Report,
    fired: Option<(Group, std::time::Duration)>,
    max: std::time::Duration,
) -> Result<()> {
    let channels = compile::channels_for(config, alert);
    report.delivery = Some(format!(
        "Sentry's API does not report whether the alert's Slack/e-mail action was delivered: check #{}",
        channels.join(", #")
    ));
    let Some((group, took)) = fired else {
        ctx.write_outputs(&[
            ("fired", "false".into()),
            ("time_to_fire_ms", String::new()),
        ])?;
        let why = format!(
            "the monitor did not fire within {} s ({} of {} test errors accepted; it evaluates {}-second windows about once a minute)",
            max.as_secs(),
            report.accepted,
            report.sent,
            report.spike.as_ref().map_or(0, |s| s.window_secs)
        );
        report.reason = Some(why.clone());
        print(ctx, &report);
        bail!("alerts test {}: {why}", report.key);
    };
    report.fired = true;
    report.time_to_fire_ms = Some(took.as_millis() as u64);
    let mut url = crate::http::join(
        &cfg.url,
        &format!(
            "organizations/{}/issues/{}/",
            crate::http::segment(&cfg.org),
            crate::http::segment(&group.id)
        ),
    );
    url.set_query(None);
    report.issue_url = Some(url.to_string());
    ctx.write_outputs(&[
        ("fired", "true".into()),
        ("time_to_fire_ms", took.as_millis().to_string()),
    ])?;
    print(ctx, &report);
    Ok(())
}

fn print(ctx: &Context, r: &Report) {
    let mut text = format!(
        "alert {} ({}), monitor {}\n",
        r.key,
        r.kind,
        r.monitor_id.as_deref().unwrap_or("-")
    );
    if let Some(p) = &r.spike {
        text.push_str(&format!(
            "spike: {} test errors planned (~{:.1} errors per {} s window usually: +{:.0} %), {} sent, {} accepted\n",
            p.events, p.baseline_per_window, p.window_secs, p.expected_increase_pct, r.sent, r.accepted
        ));
    }
    if let Some(ms) = r.time_to_fire_ms {
        text.push_str(&format!("fired: after {ms} ms\n"));
    }
    for (label, v) in [
        ("issue", &r.issue_url),
        ("delivery", &r.delivery),
        ("why", &r.reason),
    ] {
        if let Some(v) = v {
            text.push_str(&format!("{label}: {v}\n"));
        }
    }
    ctx.ui.result(&text, r);
}
