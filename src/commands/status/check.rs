//! `obsctl status check`: GET every service's `health_url` concurrently,
//! confirm bad results, then open / comment on / close the services'
//! incident issues ([`obsctl_core::status::incident::decide`]) and tell
//! #monitoring (and #incidents when a critical service goes down).

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context as _, Result};
use chrono::Utc;
use futures::future::join_all;
use obsctl_core::status::health::{self, Health, Probe};
use obsctl_core::status::incident::{self, Action, Marker, Observation, OpenIncident, Source};
use obsctl_core::status::site::{CheckReport, CheckResult};

use super::{INCIDENT_LABEL, STATUS_LABEL};
use crate::cli::{FailOn, StatusCheckArgs};
use crate::context::{Context, usage};
use crate::message::{Event, Message, Route, Severity};
use crate::notify::{Notifier, report_failures};
use crate::providers::github::GitHub;
use crate::providers::github::issues::{IssueState, NewIssue};
use crate::providers::health::{Prober, Target};

/// One service to check, resolved from obsctl.toml and the environment.
pub struct Svc {
    pub name: String,
    pub url: String,
    pub target: Target,
    pub expected: Vec<u16>,
    pub max_latency_ms: u64,
    pub critical: bool,
}

/// The confirmed result of one service.
pub struct Checked {
    pub health: Health,
    pub probe: Probe,
}

/// A write that happened (or, with --dry-run, would have).
pub struct Change {
    pub service: usize,
    pub action: Action,
    pub issue_url: Option<String>,
}

/// Resolve the services to check: every `[[service]]` with a `health_url`
/// (or those named by `--service`). Header values come from the environment
/// variables `headers_from_env` names; a missing one is a usage error
/// naming the variable (never a value).
pub fn resolve(args: &StatusCheckArgs, ctx: &Context) -> Result<Vec<Svc>> {
    let config = &ctx.config.config;
    for name in &args.services {
        if config.service(name).is_none() {
            return usage(format!(
                "--service {name}: no [[service]] has that name; known: {}",
                config.service_names().join(", ")
            ));
        }
    }
    let mut out = Vec::new();
    for s in &config.services {
        if !args.services.is_empty() && !args.services.iter().any(|n| n == s.name()) {
            continue;
        }
        let Some(url) = &s.health_url else {
            ctx.ui
                .verbose(&format!("{}: no health_url, not checked", s.name()));
            continue;
        };
        let url =
            crate::context::parse_url(&format!("service {} health_url", s.name()), url.get_ref())?;
        let mut headers = Vec::new();
        for (header, var) in &s.headers_from_env {
            let value = ctx
                .health_headers
                .get(s.name())
                .and_then(|h| h.get(header))
                .cloned()
                .flatten();
            let Some(value) = value else {
                return usage(format!(
                    "service {}: header {header} takes its value from ${var}, which is not set",
                    s.name()
                ));
            };
            headers.push((header.clone(), value));
        }
        let target = Target::new(s.method.as_deref().unwrap_or("GET"), url.clone(), &headers)
            .map_err(|e| crate::context::UsageError(format!("service {}: {e}", s.name())))?;
        out.push(Svc {
            name: s.name().to_string(),
            url: url.to_string(),
            target,
            expected: s.expected_status.clone(),
            max_latency_ms: s.max_latency_ms.unwrap_or(health::DEFAULT_MAX_LATENCY_MS),
            critical: s.critical,
        });
    }
    if out.is_empty() {
        return usage(
            "status check: no [[service]] in obsctl.toml has a health_url: add one (see docs/status.md)",
        );
    }
    Ok(out)
}

/// The open `status check` incident of each service (the oldest when
/// there are several), from one paginated query.
pub async fn open_incidents(gh: &GitHub) -> Result<BTreeMap<String, OpenIncident>> {
    let issues = gh
        .query_issues(&[STATUS_LABEL], IssueState::Open, None)
        .await?;
    let mut out: BTreeMap<String, OpenIncident> = BTreeMap::new();
    for issue in &issues {
        let Some(marker) = Marker::parse(&issue.body).filter(|m| m.source == Source::Check) else {
            continue;
        };
        let comments: Vec<_> = issue
            .comments
            .iter()
            .map(|c| (c.created_at, c.body.as_str()))
            .collect();
        let state = incident::current_state(&marker, &comments).unwrap_or(Health::Down);
        let candidate = OpenIncident {
            number: issue.number,
            state,
            opened_at: issue.created_at,
        };
        out.entry(marker.service)
            .and_modify(|o| {
                if (candidate.opened_at, candidate.number) < (o.opened_at, o.number) {
                    *o = candidate.clone();
                }
            })
            .or_insert(candidate);
    }
    Ok(out)
}

/// Probe once; when the result is bad and new, retry after each delay
/// and stop at the first good answer.
async fn confirm(
    prober: &Prober,
    s: &Svc,
    first: Probe,
    open: Option<Health>,
    delays: &[u64],
) -> Checked {
    let verdict = |p: &Probe| health::verdict(p, &s.expected, s.max_latency_ms);
    let mut results = vec![verdict(&first)];
    let mut last = first;
    if health::needs_confirmation(results[0], open) {
        for ms in delays {
            tokio::time::sleep(Duration::from_millis(*ms)).await;
            last = prober.probe(&s.target).await;
            results.push(verdict(&last));
            if results.last() == Some(&Health::Up) {
                break;
            }
        }
    }
    Checked {
        health: health::confirmed(&results),
        probe: last,
    }
}

pub async fn run(args: StatusCheckArgs, ctx: &Context) -> Result<()> {
    let delays = health::parse_confirm(&args.confirm).map_err(crate::context::UsageError)?;
    let services = resolve(&args, ctx)?;
    let gh = super::github(ctx)?;
    let prober = Prober::new(Duration::from_secs(args.check_timeout.max(1)))?;
    let checked_at = Utc::now();
    // The first round of checks and the open incidents, concurrently.
    let (firsts, open) = futures::join!(
        join_all(services.iter().map(|s| prober.probe(&s.target))),
        async {
            match &gh {
                Some(gh) => open_incidents(gh).await.map(Some),
                None => Ok(None),
            }
        }
    );
    let open = open
        .context("status check: reading the open incidents")?
        .unwrap_or_default();
    let results: Vec<Checked> = join_all(services.iter().zip(firsts).map(|(s, first)| {
        confirm(
            &prober,
            s,
            first,
            open.get(&s.name).map(|o| o.state),
            &delays,
        )
    }))
    .await;
    let mut changes = Vec::new();
    if let Some(gh) = &gh {
        for (i, (s, r)) in services.iter().zip(&results).enumerate() {
            let obs = observation(s, r);
            let action = incident::decide(
                &s.name,
                &s.url,
                r.health,
                &obs,
                open.get(&s.name),
                checked_at,
            );
            if action != Action::Nothing {
                let issue_url = execute(gh, s, &action).await?;
                changes.push(Change {
                    service: i,
                    action,
                    issue_url,
                });
            }
        }
    }
    notify(ctx, &services, &changes).await?;
    let report = report(checked_at, &services, &results);
    output(ctx, &services, &report, &changes)?;
    if let Some(path) = &args.output {
        let text = serde_json::to_string_pretty(&report)? + "\n";
        std::fs::write(path, text)
            .with_context(|| format!("writing --output {}", path.display()))?;
    }
    fail_on(args.fail_on, &report)
}

fn observation(s: &Svc, r: &Checked) -> Observation {
    Observation {
        http_status: r.probe.http_status,
        latency_ms: r.probe.latency_ms,
        error: health::reason(&r.probe, r.health, &s.expected, s.max_latency_ms),
    }
}

/// Carry out one action on GitHub; the issue's URL.
async fn execute(gh: &GitHub, s: &Svc, action: &Action) -> Result<Option<String>> {
    let what = |w: &str| format!("status check: {w} the incident issue of {}", s.name);
    match action {
        Action::Nothing => Ok(None),
        Action::Open { title, body, .. } => {
            let labels = super::labels(
                &s.name,
                &[(STATUS_LABEL, "fbca04", "Opened by obsctl status check")],
            );
            gh.ensure_labels(&labels)
                .await
                .with_context(|| what("labelling"))?;
            let spec = NewIssue {
                title: title.clone(),
                body: body.clone(),
                labels: labels.iter().map(|l| l.name.clone()).collect(),
            };
            let name = s.name.clone();
            let issue = gh
                .create_issue(&spec, |i| {
                    i.title == obsctl_core::limits::github::issue_title(&spec.title)
                        && Marker::parse(&i.body)
                            .is_some_and(|m| m.service == name && m.source == Source::Check)
                })
                .await
                .with_context(|| what("opening"))?;
            debug_assert!(spec.labels.iter().any(|l| l == INCIDENT_LABEL));
            Ok(Some(issue.html_url))
        }
        Action::Comment { number, body, .. } => {
            gh.comment(*number, body)
                .await
                .with_context(|| what("commenting on"))?;
            Ok(None)
        }
        Action::Close { number, body, .. } => {
            gh.comment(*number, body)
                .await
                .with_context(|| what("commenting on"))?;
            gh.close_issue(*number)
                .await
                .with_context(|| what("closing"))?;
            Ok(None)
        }
    }
}

/// The message of one change, and where it goes: #monitoring always,
/// #incidents too when a critical service goes down.
pub fn message(s: &Svc, change: &Change) -> Option<(Message, Vec<Route>)> {
    let (title, severity, down) = match &change.action {
        Action::Nothing => return None,
        Action::Open { title, state, .. } => (
            title.clone(),
            bad_severity(s, *state),
            *state == Health::Down,
        ),
        Action::Comment { state, from, .. } => (
            format!(
                "{} is now {} (was {})",
                s.name,
                state.as_str(),
                from.as_str()
            ),
            bad_severity(s, *state),
            *state == Health::Down,
        ),
        Action::Close { duration_secs, .. } => (
            format!(
                "{} is up again after {}",
                s.name,
                incident::human_duration(*duration_secs)
            ),
            Severity::Success,
            false,
        ),
    };
    let mut msg = Message::new(title)
        .severity(severity)
        .event(Event::Alert)
        .field("Service", &s.name);
    if let Some(url) = &change.issue_url {
        msg = msg.link("Incident", url.clone());
    }
    let mut routes = vec![Route::Monitoring];
    if down && s.critical {
        routes.insert(0, Route::Incidents);
    }
    Some((msg, routes))
}

fn bad_severity(s: &Svc, state: Health) -> Severity {
    if state == Health::Down && s.critical {
        Severity::Critical
    } else {
        Severity::Warning
    }
}

async fn notify(ctx: &Context, services: &[Svc], changes: &[Change]) -> Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let notifier = Notifier::from_context(ctx)?;
    let mut deliveries = Vec::new();
    for c in changes {
        if let Some((mut msg, routes)) = message(&services[c.service], c) {
            msg.timestamp = Some(Utc::now());
            deliveries.extend(notifier.send(&msg, &routes).await);
        }
    }
    report_failures(ctx, &deliveries).context("status check")
}

pub fn report(
    checked_at: chrono::DateTime<Utc>,
    services: &[Svc],
    results: &[Checked],
) -> CheckReport {
    CheckReport {
        checked_at: chrono::DateTime::from_timestamp(checked_at.timestamp(), 0)
            .unwrap_or(checked_at),
        services: services
            .iter()
            .zip(results)
            .map(|(s, r)| CheckResult {
                name: s.name.clone(),
                status: r.health,
                http_status: r.probe.http_status,
                latency_ms: Some(r.probe.latency_ms),
                error: health::reason(&r.probe, r.health, &s.expected, s.max_latency_ms),
            })
            .collect(),
    }
}

fn describe(c: &Change, services: &[Svc]) -> String {
    let name = &services[c.service].name;
    match &c.action {
        Action::Nothing => String::new(),
        Action::Open { title, .. } => format!(
            "opened an incident: {title}{}",
            c.issue_url
                .as_deref()
                .map(|u| format!(" ({u})"))
                .unwrap_or_default()
        ),
        Action::Comment { number, state, .. } => {
            format!("commented on #{number}: {name} is now {state}")
        }
        Action::Close { number, .. } => format!("closed #{number}: {name} is up again"),
    }
}

fn output(ctx: &Context, services: &[Svc], report: &CheckReport, changes: &[Change]) -> Result<()> {
    let mut table = comfy_table::Table::new();
    table.set_header(vec!["service", "status", "HTTP", "latency", "error"]);
    let mut md = String::from(
        "### Status check\n\n| service | status | HTTP | latency | error |\n|---|---|---|---|---|\n",
    );
    for r in &report.services {
        let http = r
            .http_status
            .map(|s| s.to_string())
            .unwrap_or_else(|| "-".into());
        let latency = r.latency_ms.map(|l| format!("{l} ms")).unwrap_or_default();
        let error = r.error.clone().unwrap_or_default();
        md.push_str(&format!(
            "| {} | {} | {http} | {latency} | {} |\n",
            md_cell(&r.name),
            r.status,
            md_cell(&error)
        ));
        table.add_row(vec![
            r.name.clone(),
            r.status.to_string(),
            http,
            latency,
            error,
        ]);
    }
    let mut text = table.to_string();
    for c in changes {
        let line = describe(c, services);
        text.push_str(&format!("\n{line}"));
        md.push_str(&format!("\n- {}", md_cell(&line)));
    }
    if changes.is_empty() {
        text.push_str("\nno incident changes");
    }
    if ctx.dry_run {
        text.push_str(&format!(
            "\n\n{}",
            crate::commands::dry_run_text(&ctx.http.planned())
        ));
    }
    ctx.ui.result(&text, report);
    ctx.write_summary(&format!("{md}\n"))?;
    Ok(())
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn fail_on(fail: Option<FailOn>, report: &CheckReport) -> Result<()> {
    let Some(fail) = fail else { return Ok(()) };
    let bad: Vec<String> = report
        .services
        .iter()
        .filter(|r| match fail {
            FailOn::Down => r.status == Health::Down,
            FailOn::Degraded => r.status != Health::Up,
        })
        .map(|r| format!("{} is {}", r.name, r.status))
        .collect();
    if bad.is_empty() {
        Ok(())
    } else {
        anyhow::bail!(
            "status check: {} (--fail-on {})",
            bad.join(", "),
            match fail {
                FailOn::Down => "down",
                FailOn::Degraded => "degraded",
            }
        )
    }
}
