//! `obsctl deploy verify`: judge the deploy from Sentry against the release
//! deployed before it. Pass → exit 0, fail → 3, inconclusive → 4 (or as
//! `--inconclusive` maps it); 1 when it could not judge.
//!
//! Critical path (sequential round trips):
//! 1. discovery, concurrently: the candidate's Sentry deploys (its finish
//!    time) and the environment's GitHub deployments (the baseline, the
//!    deploy's Slack message); then, only when needed, the statuses of the
//!    GitHub deployments that decide (one concurrent round);
//! 2. per service, concurrently, and all services at once: ONE Explore
//!    request (`dataset=spans`, both releases) and ONE sessions request
//!    (plus one time-series request under `--method mann-whitney`);
//! 3. side effects, each a warning when it fails: the message (a thread
//!    reply under the deploy's own Slack message when known) and, with
//!    `--open-incident`, the GitHub incident issue.

use std::io::IsTerminal;

use anyhow::{Context as _, Result, anyhow};
use chrono::{DateTime, Duration, Utc};
use obsctl_core::verify::report::{Report, ServiceReport};
use obsctl_core::verify::windows::{self, WindowSpec, Windows};
use obsctl_core::verify::{
    self as core, Buckets, InconclusiveAs, Method, ReleaseData, Sessions, Thresholds, Traffic,
    Verdict,
};
use serde_json::{Map, Value, json};

use super::{default_version, parse_refs, payload_slack, resolve_sha, sentry_client};
use crate::cli::{self, DeployVerifyArgs, VerifyMethod};
use crate::context::{Context, ExitStatus, usage};
use crate::deploy;
use crate::http::HttpError;
use crate::message::{Event, Message, Route, Severity};
use crate::notify::{MessageRef, Notifier, report_failures};
use crate::providers::github::GitHub;
use crate::providers::github::deployments::{Deployment, DeploymentStatus};
use crate::providers::github::issues::{Issue, IssueState, NewIssue};
use crate::providers::sentry::Sentry;
use crate::providers::sentry::deploys::SentryDeploy;
use crate::providers::sentry::explore::{self, ExploreQuery, number, quote, string};
use crate::providers::sentry::sessions::{Period, SessionsQuery};
use crate::text;
use crate::ui::Format;

/// The fields of the one Explore request per service.
pub const EXPLORE_FIELDS: [&str; 7] = [
    "release",
    "count(span.duration)",
    "failure_rate()",
    "p95(span.duration)",
    "epm()",
    "environment",
    "project",
];

/// The fields of the one sessions request per service.
pub const SESSION_FIELDS: [&str; 3] = [
    "crash_free_rate(session)",
    "crash_free_rate(user)",
    "count_unique(user)",
];

/// One service to judge.
#[derive(Clone, Debug)]
struct Target {
    name: String,
    project: String,
    thresholds: Thresholds,
}

/// Flags, obsctl.toml and the context, resolved before any request.
struct Options {
    environment: String,
    release: String,
    baseline: Option<String>,
    targets: Vec<Target>,
    window: Duration,
    warmup: Duration,
    wait: bool,
    inconclusive: InconclusiveAs,
    method: Method,
    open_incident: bool,
}

/// What discovery found about the deploy.
struct Found {
    finished: DateTime<Utc>,
    started: Option<DateTime<Utc>>,
    baseline: String,
    baseline_source: &'static str,
    deployment: Option<Deployment>,
    /// What limited discovery (the bound on the deployments read).
    warnings: Vec<String>,
}

pub async fn run(args: DeployVerifyArgs, ctx: &Context) -> Result<()> {
    let opts = resolve(args, ctx)?;
    let Some(sentry) = sentry_client(ctx)? else {
        return usage(
            "deploy verify reads Sentry: set SENTRY_AUTH_TOKEN (scope org:read or event:read), \
             SENTRY_ORG and SENTRY_PROJECT",
        );
    };
    let github = ctx.github()?.map(|cfg| GitHub::new(ctx.http.clone(), cfg));
    let found = discover(ctx, &opts, &sentry, github.as_ref()).await?;
    let spec = WindowSpec {
        deploy_started: found.started,
        deploy_finished: found.finished,
        warmup: opts.warmup,
        window: opts.window,
    };
    let mut planned = windows::plan(&spec, Utc::now()).map_err(|e| anyhow!("{e}"))?;
    if opts.wait && !planned.complete && !ctx.dry_run {
        wait_until(ctx, planned.full_end).await;
        planned = windows::plan(&spec, Utc::now()).map_err(|e| anyhow!("{e}"))?;
    } else if !planned.complete {
        ctx.ui.notice(&format!(
            "the candidate window is incomplete ({:.0} of {} minutes): judging what is there; \
             pass --wait to wait until {} UTC",
            planned.candidate.minutes(),
            opts.window.num_minutes(),
            planned.full_end.format("%H:%M")
        ));
    }
    let services = fetch_all(ctx, &sentry, &opts, &found, &planned).await?;
    let report = build_report(&opts, &found, planned, services);
    print(ctx, &report)?;
    announce(ctx, &report, found.deployment.as_ref()).await?;
    if opts.open_incident {
        match &github {
            Some(gh) => incident(ctx, gh, &report, found.deployment.as_ref()).await,
            None => ctx
                .ui
                .warn("--open-incident: GitHub is not configured (GITHUB_TOKEN), no issue opened"),
        }
    }
    match report.exit_code {
        // --dry-run judged nothing real: the plan is the result.
        _ if ctx.dry_run => Ok(()),
        0 => Ok(()),
        code => Err(ExitStatus(code).into()),
    }
}

// ------------------------------------------------------------ resolution

fn resolve(args: DeployVerifyArgs, ctx: &Context) -> Result<Options> {
    let dur = |flag: &str, v: &str| {
        windows::parse_duration(v).or_else(|e| usage(format!("--{flag} {v:?}: {e}")))
    };
    let window = dur("window", &args.window)?;
    let warmup = dur("warmup", &args.warmup)?;
    if window <= Duration::zero() {
        return usage("--window must be longer than zero (e.g. 30m)");
    }
    let config = &ctx.config.config;
    let targets = targets(&args.services, config, ctx)?;
    let environment = match &args.environment {
        Some(e) => e.clone(),
        None => args
            .services
            .first()
            .and_then(|n| config.service(n))
            .or(config.services.first())
            .map(|s| s.environment().to_string())
            .unwrap_or_else(|| "production".into()),
    };
    // Sentry's naming rules always (verify reads it); GitHub's where it is
    // configured (it holds the deployments).
    let rules = deploy::NameRules::verify(ctx.github()?.is_some());
    let environment = deploy::validate_environment_for(&environment, rules)?;
    let release = match &args.release {
        Some(v) => deploy::validate_version_flag(v, "--release", rules)?,
        None => default_version(ctx, &resolve_sha(ctx)?)?,
    };
    let baseline = args
        .baseline
        .as_deref()
        .map(|v| deploy::validate_version_flag(v, "--baseline", rules))
        .transpose()?;
    if baseline.as_deref() == Some(release.as_str()) {
        return usage(format!(
            "--baseline {release:?} is the candidate release itself: name the release deployed before it"
        ));
    }
    Ok(Options {
        environment,
        release,
        baseline,
        targets,
        window,
        warmup,
        wait: args.wait,
        inconclusive: match args.inconclusive {
            None => InconclusiveAs::Inconclusive,
            Some(cli::InconclusiveAs::Fail) => InconclusiveAs::Fail,
            Some(cli::InconclusiveAs::Pass) => InconclusiveAs::Pass,
        },
        method: match args.method {
            VerifyMethod::Threshold => Method::Threshold,
            VerifyMethod::MannWhitney => Method::MannWhitney,
        },
        open_incident: args.open_incident,
    })
}

/// The services: `--service` names from obsctl.toml, else all of its
/// services, else one per `SENTRY_PROJECT` slug with the default thresholds.
fn targets(
    names: &[String],
    config: &obsctl_core::config::Config,
    ctx: &Context,
) -> Result<Vec<Target>> {
    let of = |s: &obsctl_core::config::Service| -> Result<Target> {
        let thresholds = Thresholds::from_slo(s.slo.as_ref());
        let problems = thresholds.problems();
        if !problems.is_empty() {
            return usage(format!(
                "obsctl.toml [service.slo] of {:?}: {}",
                s.name(),
                problems.join("; ")
            ));
        }
        Ok(Target {
            name: s.name().to_string(),
            project: s.project().to_string(),
            thresholds,
        })
    };
    if !names.is_empty() {
        return names
            .iter()
            .map(|n| match config.service(n) {
                Some(s) => of(s),
                None => usage(format!(
                    "--service {n:?}: no [[service]] of that name in obsctl.toml (known: {})",
                    match config.service_names().join(", ") {
                        s if s.is_empty() => "none".to_string(),
                        s => s,
                    }
                )),
            })
            .collect();
    }
    if !config.services.is_empty() {
        return config.services.iter().map(of).collect();
    }
    let projects = match ctx.sentry_state()? {
        crate::context::ProviderState::Ready(c) => c.projects.clone(),
        _ => Vec::new(),
    };
    Ok(projects
        .into_iter()
        .map(|p| Target {
            name: p.clone(),
            project: p,
            thresholds: Thresholds::default(),
        })
        .collect())
}

// ------------------------------------------------------------- discovery

async fn discover(
    ctx: &Context,
    opts: &Options,
    sentry: &Sentry,
    github: Option<&GitHub>,
) -> Result<Found> {
    let (sentry_deploys, deployments, bounded) = round_one(opts, sentry, github).await?;
    let from_sentry = sentry_deploys
        .iter()
        .filter(|d| d.environment == opts.environment)
        .filter_map(|d| {
            let fin = text::parse_rfc3339(d.date_finished.as_deref()?)?;
            Some((fin, d.date_started.as_deref().and_then(text::parse_rfc3339)))
        })
        .max_by_key(|(fin, _)| *fin);
    let pick = pick_deployments(&deployments, &opts.release);
    let older: Vec<&Deployment> = match opts.baseline {
        None => pick.older.clone(),
        Some(_) => vec![],
    };
    // Round 2, only what is still unknown, concurrently.
    let candidate_statuses = async {
        match (github, pick.candidate, from_sentry) {
            (Some(gh), Some(d), None) => Some(gh.list_deployment_statuses(d.id).await),
            _ => None,
        }
    };
    let older_statuses = futures::future::join_all(older.iter().map(|d| async move {
        match github {
            Some(gh) => gh.list_deployment_statuses(d.id).await,
            None => Ok(vec![]),
        }
    }));
    let (cand_st, older_st) = tokio::join!(candidate_statuses, older_statuses);
    let finish = match from_sentry {
        Some(f) => Some(f),
        None => cand_st
            .transpose()
            .context("reading the candidate deployment's statuses")?
            .and_then(|st| success_time(&st))
            .map(|fin| (fin, None)),
    };
    let mut baseline = match &opts.baseline {
        Some(b) => Some((b.clone(), "flag")),
        None => first_successful(&older, older_st)?.map(|v| (v, "github")),
    };
    if baseline.is_none() && github.is_none() {
        if let Some((fin, _)) = finish {
            baseline = sentry_baseline(sentry, opts, fin)
                .await?
                .map(|v| (v, "sentry"));
        }
    }
    let searched = Searched {
        github: github.is_some(),
        bounded,
    };
    found(ctx, opts, searched, finish, baseline, pick.candidate)
}

/// Round 1, concurrently: the candidate's Sentry deploys and the
/// environment's GitHub deployments, newest first up to the bound (`Some(n)`:
/// the bound was reached after `n` with more left; the HTTP layer warns).
async fn round_one(
    opts: &Options,
    sentry: &Sentry,
    github: Option<&GitHub>,
) -> Result<(Vec<SentryDeploy>, Vec<Deployment>, Option<usize>)> {
    let listed = async {
        match github {
            Some(gh) => Some(gh.list_environment_deployments(&opts.environment).await),
            None => None,
        }
    };
    let (sentry_deploys, listed) = tokio::join!(sentry.list_deploys(&opts.release), listed);
    // A release Sentry does not know has no deploys: GitHub may still know the deploy.
    let sentry_deploys = match sentry_deploys {
        Err(e) if e.status() == Some(404) => Vec::new(),
        r => r.context("reading the candidate's Sentry deploys")?,
    };
    let listed = listed
        .transpose()
        .context("reading the environment's GitHub deployments")?;
    let bounded = listed
        .as_ref()
        .filter(|p| p.truncated)
        .map(|p| p.items.len());
    Ok((
        sentry_deploys,
        listed.map(|p| p.items).unwrap_or_default(),
        bounded,
    ))
}

/// Where the baseline was looked for.
struct Searched {
    /// In the GitHub deployments (else the Sentry deploys).
    github: bool,
    /// The GitHub deployments read stopped at the bound after this many.
    bounded: Option<usize>,
}

impl Searched {
    fn words(&self) -> String {
        match (self.github, self.bounded) {
            (true, Some(n)) => {
                format!("the newest {n} GitHub deployments (the bound; there are more)")
            }
            (true, None) => "the GitHub deployments".to_string(),
            (false, _) => "the project's Sentry deploys".to_string(),
        }
    }
}

/// Without GitHub: the release of the project whose deploy to the
/// environment finished last before the candidate's (the newest 5
/// releases' deploys, read concurrently: two more round trips).
async fn sentry_baseline(
    sentry: &Sentry,
    opts: &Options,
    candidate_finished: DateTime<Utc>,
) -> Result<Option<String>> {
    let Some(project) = opts.targets.first().map(|t| t.project.as_str()) else {
        return Ok(None);
    };
    let versions = sentry
        .list_recent_versions(project, &opts.environment, 6)
        .await
        .context("reading the project's recent Sentry releases")?;
    let others: Vec<&String> = versions
        .iter()
        .filter(|v| **v != opts.release)
        .take(5)
        .collect();
    let deploys =
        futures::future::join_all(others.iter().map(|v| sentry.list_deploys(v.as_str()))).await;
    let mut best: Option<(DateTime<Utc>, String)> = None;
    for (v, listed) in others.into_iter().zip(deploys) {
        let listed = listed.with_context(|| format!("reading the Sentry deploys of {v}"))?;
        let newest = listed
            .iter()
            .filter(|d| d.environment == opts.environment)
            .filter_map(|d| text::parse_rfc3339(d.date_finished.as_deref()?))
            .filter(|t| *t < candidate_finished)
            .max();
        if let Some(t) = newest {
            if best.as_ref().is_none_or(|(b, _)| t > *b) {
                best = Some((t, v.clone()));
            }
        }
    }
    Ok(best.map(|(_, v)| v))
}

/// The release of the newest earlier deployment that succeeded.
fn first_successful(
    older: &[&Deployment],
    statuses: Vec<Result<Vec<DeploymentStatus>, HttpError>>,
) -> Result<Option<String>> {
    for (d, st) in older.iter().zip(statuses) {
        let st = st.context("reading an earlier GitHub deployment's statuses")?;
        if success_time(&st).is_some() {
            return Ok(d.obsctl_payload().map(|p| p.version));
        }
    }
    Ok(None)
}

/// What discovery amounts to, or the error naming what is missing.
/// `--dry-run` goes on with placeholders (nothing was looked up).
fn found(
    ctx: &Context,
    opts: &Options,
    searched: Searched,
    finish: Option<(DateTime<Utc>, Option<DateTime<Utc>>)>,
    baseline: Option<(String, &'static str)>,
    candidate: Option<&Deployment>,
) -> Result<Found> {
    let (finished, started) = match finish {
        Some(f) => f,
        None if ctx.dry_run => (Utc::now() - opts.window - opts.warmup, None),
        None => {
            return Err(anyhow!(
                "{} has no finished deploy to {}: neither a Sentry deploy nor a successful GitHub \
                 deployment records it; run `obsctl deploy finish --environment {} --status success` \
                 first, or check --release",
                opts.release,
                opts.environment,
                opts.environment
            ));
        }
    };
    let (baseline, baseline_source) = match baseline {
        Some(b) => b,
        None if ctx.dry_run => ("<baseline>".to_string(), "dry-run"),
        None => {
            return Err(anyhow!(
                "no earlier release deployed to {} was found in {}: pass --baseline V \
                 (the release the deploy replaced)",
                opts.environment,
                searched.words(),
            ));
        }
    };
    Ok(Found {
        finished,
        started: started.or_else(|| candidate.and_then(deployment_start)),
        baseline,
        baseline_source,
        deployment: candidate.cloned(),
        // Newest first, up to the bound: a baseline older than that is not
        // seen, and the report says so (the HTTP layer warns on stderr).
        warnings: match (searched.bounded, baseline_source) {
            (Some(n), "github") => vec![core::report::baseline_search_bound_warning(
                &opts.environment,
                n,
            )],
            _ => Vec::new(),
        },
    })
}

/// The candidate's deployment and up to 3 earlier ones of other releases.
struct Picked<'a> {
    candidate: Option<&'a Deployment>,
    older: Vec<&'a Deployment>,
}

/// Among an environment's deployments: the newest obsctl deployment of
/// `release`, and the newest earlier obsctl deployments of other releases
/// (one per release, newest first, at most 3).
fn pick_deployments<'a>(deployments: &'a [Deployment], release: &str) -> Picked<'a> {
    let mut ours: Vec<(&Deployment, String)> = deployments
        .iter()
        .filter_map(|d| Some((d, d.obsctl_payload()?.version)))
        .collect();
    ours.sort_by_key(|d| std::cmp::Reverse(d.0.id));
    let candidate = ours.iter().find(|(_, v)| v == release).map(|(d, _)| *d);
    let mut seen = std::collections::HashSet::new();
    let older = ours
        .iter()
        .filter(|(d, v)| v != release && candidate.is_none_or(|c| d.id < c.id))
        .filter(|(_, v)| seen.insert(v.clone()))
        .take(3)
        .map(|(d, _)| *d)
        .collect();
    Picked { candidate, older }
}

/// When the deployment's newest `success` status was set.
fn success_time(statuses: &[DeploymentStatus]) -> Option<DateTime<Utc>> {
    statuses
        .iter()
        .filter(|s| s.state == "success")
        .filter_map(|s| text::parse_rfc3339(s.created_at.as_deref()?))
        .max()
}

fn deployment_start(d: &Deployment) -> Option<DateTime<Utc>> {
    d.obsctl_payload()
        .and_then(|p| text::parse_rfc3339(&p.started_at))
        .or_else(|| text::parse_rfc3339(d.created_at.as_deref()?))
}

// -------------------------------------------------------------- the data

/// `--wait`: sleep until the candidate window is complete; a progress line
/// on a terminal, a notice elsewhere.
async fn wait_until(ctx: &Context, until: DateTime<Utc>) {
    // One second past the end: the last bucket is whole.
    let total = (until - Utc::now() + Duration::seconds(1))
        .to_std()
        .unwrap_or_default();
    if total.is_zero() {
        return;
    }
    let tty = !ctx.ui.quiet && !ctx.ui.actions && std::io::stderr().is_terminal();
    if !tty {
        ctx.ui.notice(&format!(
            "waiting {} until {} UTC for the candidate window to complete",
            text::human_duration(total.as_secs().max(1) as i64),
            until.format("%H:%M:%S")
        ));
        tokio::time::sleep(total).await;
        return;
    }
    let bar = indicatif::ProgressBar::new(total.as_secs());
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "waiting for the candidate window {wide_bar} {pos}/{len} s",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let end = tokio::time::Instant::now() + total;
    while tokio::time::Instant::now() < end {
        let step = (end - tokio::time::Instant::now()).min(std::time::Duration::from_secs(1));
        tokio::time::sleep(step).await;
        bar.inc(1);
    }
    bar.finish_and_clear();
}

type ServiceData = (Target, ReleaseData, ReleaseData);

/// Every service at once; each sends its requests concurrently.
async fn fetch_all(
    ctx: &Context,
    sentry: &Sentry,
    opts: &Options,
    found: &Found,
    w: &Windows,
) -> Result<Vec<ServiceData>> {
    let all = futures::future::join_all(
        opts.targets
            .iter()
            .map(|t| fetch_service(ctx, sentry, t, opts, &found.baseline, w)),
    )
    .await;
    all.into_iter().collect()
}

async fn fetch_service(
    ctx: &Context,
    sentry: &Sentry,
    t: &Target,
    opts: &Options,
    baseline: &str,
    w: &Windows,
) -> Result<ServiceData> {
    let releases = [baseline, opts.release.as_str()];
    let q = explore_query(&t.project, &opts.environment, baseline, &opts.release, w);
    let s = SessionsQuery {
        fields: SESSION_FIELDS.iter().map(|f| f.to_string()).collect(),
        group_by: vec!["release".into()],
        // The smallest interval self-hosted Sentry accepts everywhere.
        interval: Some("1h".into()),
        period: Period::Range(w.baseline.start, w.candidate.end.max(w.baseline.end)),
        projects: vec![t.project.clone()],
        environments: vec![opts.environment.clone()],
        query: Some(
            releases
                .iter()
                .map(|r| format!("release:{}", quote(r)))
                .collect::<Vec<_>>()
                .join(" OR "),
        ),
        include_series: false,
        ..SessionsQuery::default()
    };
    let buckets = async {
        match opts.method {
            Method::MannWhitney => Some(fetch_buckets(sentry, &t.project, opts, baseline, w).await),
            Method::Threshold => None,
        }
    };
    let (table, sessions, buckets) =
        futures::join!(sentry.explore_table(&q), sentry.sessions(&s), buckets);
    let table = table.with_context(|| format!("{}: querying Explore (spans)", t.name))?;
    let sessions = match sessions {
        Ok(s) => Some(s),
        Err(e) => {
            ctx.ui.warn(&format!(
                "{}: release-health sessions could not be read, the crash-free check is inconclusive: {e}",
                t.name
            ));
            None
        }
    };
    let mut b = ReleaseData::default();
    let mut c = ReleaseData::default();
    b.traffic = traffic(&table.data, baseline, w.baseline.minutes());
    c.traffic = traffic(&table.data, &opts.release, w.candidate.minutes());
    if let Some(s) = &sessions {
        b.sessions = session_stats(s, baseline);
        c.sessions = session_stats(s, &opts.release);
    }
    if let Some(r) = buckets {
        match r {
            Ok((bb, cb)) => (b.buckets, c.buckets) = (Some(bb), Some(cb)),
            Err(e) => ctx.ui.warn(&format!(
                "{}: per-minute buckets could not be read, the aggregates decide: {e}",
                t.name
            )),
        }
    }
    Ok((t.clone(), b, c))
}

/// The one Explore request of a service: both releases, each bounded to
/// its own window by a `timestamp` filter (one request, two windows).
fn explore_query(
    project: &str,
    env: &str,
    baseline: &str,
    release: &str,
    w: &Windows,
) -> ExploreQuery {
    let (b, c) = (quote(baseline), quote(release));
    ExploreQuery {
        dataset: "spans".into(),
        fields: EXPLORE_FIELDS.iter().map(|f| f.to_string()).collect(),
        query: format!(
            "is_transaction:true release:[{b},{c}] ((release:{b} timestamp:>={} timestamp:<{}) OR (release:{c} timestamp:>={} timestamp:<{}))",
            explore::iso(w.baseline.start),
            explore::iso(w.baseline.end),
            explore::iso(w.candidate.start),
            explore::iso(w.candidate.end),
        ),
        projects: vec![project.to_string()],
        environments: vec![env.to_string()],
        start: w.baseline.start,
        end: w.candidate.end.max(w.baseline.end),
        sort: Some("-count(span.duration)".into()),
    }
}

/// One release's traffic from the Explore rows (rows of several projects
/// or environments are combined: counts add up, the failure rate is
/// weighted, p95 is the worst).
fn traffic(rows: &[Map<String, Value>], release: &str, minutes: f64) -> Option<Traffic> {
    let mut out: Option<Traffic> = None;
    for row in rows
        .iter()
        .filter(|r| string(r, "release") == Some(release))
    {
        let n = number(row, "count(span.duration)").unwrap_or(0.0).max(0.0) as u64;
        let fr = number(row, "failure_rate()").unwrap_or(0.0);
        let p95 = number(row, "p95(span.duration)").unwrap_or(0.0);
        let t = out.get_or_insert_with(Traffic::default);
        let total = t.transactions + n;
        if total > 0 {
            t.failure_rate =
                (t.failure_rate * t.transactions as f64 + fr * n as f64) / total as f64;
        }
        t.transactions = total;
        t.p95_ms = t.p95_ms.max(p95);
    }
    if let Some(t) = out.as_mut() {
        t.epm = if minutes > 0.0 {
            t.transactions as f64 / minutes
        } else {
            0.0
        };
    }
    out
}

fn session_stats(
    s: &crate::providers::sentry::sessions::SessionsResult,
    release: &str,
) -> Option<Sessions> {
    let g = s
        .groups
        .iter()
        .find(|g| g.by_str("release").as_deref() == Some(release))?;
    let out = Sessions {
        crash_free_sessions: g.total("crash_free_rate(session)"),
        crash_free_users: g.total("crash_free_rate(user)"),
        users: g.total("count_unique(user)"),
    };
    out.crash_free_sessions.is_some().then_some(out)
}

/// `--method mann-whitney`: per-minute failure rate and p95 of both
/// releases in one time-series request (`events-timeseries`, grouped by
/// release), each release's buckets kept inside its own window.
async fn fetch_buckets(
    sentry: &Sentry,
    project: &str,
    opts: &Options,
    baseline: &str,
    w: &Windows,
) -> Result<(Buckets, Buckets), HttpError> {
    let series = sentry
        .explore_timeseries_by_release(
            project,
            &opts.environment,
            &[baseline, &opts.release],
            &["failure_rate()", "p95(span.duration)"],
            w.baseline.start,
            w.candidate.end.max(w.baseline.end),
        )
        .await?;
    let pick = |release: &str, axis: &str, win: &windows::Window| -> Vec<f64> {
        series
            .iter()
            .filter(|s| s.release == release && s.y_axis == axis)
            .flat_map(|s| s.values.iter())
            .filter(|(ts, _)| win.contains(*ts))
            .map(|(_, v)| *v)
            .collect()
    };
    Ok((
        Buckets {
            failure_rate: pick(baseline, "failure_rate()", &w.baseline),
            p95_ms: pick(baseline, "p95(span.duration)", &w.baseline),
        },
        Buckets {
            failure_rate: pick(&opts.release, "failure_rate()", &w.candidate),
            p95_ms: pick(&opts.release, "p95(span.duration)", &w.candidate),
        },
    ))
}

// ---------------------------------------------------------------- report

fn build_report(opts: &Options, found: &Found, w: Windows, data: Vec<ServiceData>) -> Report {
    let services: Vec<ServiceReport> = data
        .into_iter()
        .map(|(t, b, c)| {
            let checks = core::evaluate(&b, &c, &t.thresholds, opts.method);
            ServiceReport {
                service: t.name,
                project: t.project,
                verdict: core::roll_up(&checks),
                baseline_transactions: b.traffic.map(|x| x.transactions).unwrap_or(0),
                candidate_transactions: c.traffic.map(|x| x.transactions).unwrap_or(0),
                thresholds: t.thresholds,
                checks,
            }
        })
        .collect();
    let verdict = core::overall(&services.iter().map(|s| s.verdict).collect::<Vec<_>>());
    Report {
        environment: opts.environment.clone(),
        candidate: opts.release.clone(),
        baseline: found.baseline.clone(),
        baseline_source: found.baseline_source.into(),
        deploy_finished_at: found.finished,
        window_minutes: w.candidate.minutes(),
        windows: w,
        method: opts.method,
        failed_checks: Report::failed(&services),
        services,
        verdict,
        exit_code: core::exit_code(verdict, opts.inconclusive),
        inconclusive_as: opts.inconclusive,
        warnings: found.warnings.clone(),
    }
}

fn print(ctx: &Context, report: &Report) -> Result<()> {
    ctx.write_outputs(&[
        ("verdict", report.verdict.as_str().to_string()),
        ("failed_checks", report.failed_checks.join(",")),
        ("baseline", report.baseline.clone()),
        ("candidate", report.candidate.clone()),
    ])?;
    if !ctx.dry_run {
        let _ = ctx.write_summary(&report.markdown());
    }
    let text = match ctx.ui.format {
        Format::Markdown => report.markdown(),
        _ => {
            let (header, rows) = report.table_rows();
            let mut table = comfy_table::Table::new();
            table
                .load_style(comfy_table::presets::UTF8_FULL_CONDENSED)
                .set_header(header)
                .add_rows(rows);
            format!("{}\n{table}", report.headline())
        }
    };
    if ctx.dry_run {
        let planned = ctx.http.planned();
        ctx.ui.result(
            &format!("{}\n{text}", crate::commands::dry_run_text(&planned)),
            &json!({"dry_run": true, "requests": planned, "result": report}),
        );
    } else {
        ctx.ui.result(&text, report);
    }
    Ok(())
}

// ---------------------------------------------------------- side effects

/// The verdict message, through the messaging layer.
pub fn verdict_message(report: &Report, deployment: Option<&Deployment>) -> Message {
    let (severity, word) = match report.verdict {
        Verdict::Pass => (Severity::Success, "passed"),
        Verdict::Fail => (Severity::Critical, "FAILED"),
        Verdict::Inconclusive => (Severity::Warning, "inconclusive"),
    };
    let mut m = Message::new(format!(
        "Verify of {} on {}: {word}",
        report.candidate, report.environment
    ))
    .severity(severity)
    .event(Event::Deployment)
    .text(report.message_lines().join("\n"))
    .field("Environment", &report.environment)
    .field("Release", &report.candidate)
    .field("Baseline", &report.baseline)
    .field("Verdict", report.verdict.as_str());
    if !report.failed_checks.is_empty() {
        m = m.field("Failed checks", report.failed_checks.join(", "));
    }
    if let Some(d) = deployment {
        m = m.context_line(format!("GitHub deployment {}", d.id));
    }
    m.context_line(format!(
        "windows of {:.0} min: candidate from {} UTC, baseline before the deploy",
        report.window_minutes,
        report.windows.candidate.start.format("%H:%M")
    ))
}

/// #deployments (pass, inconclusive) or #incidents and #deployments (fail):
/// a thread reply under the deploy's own message when it is known.
async fn announce(ctx: &Context, report: &Report, deployment: Option<&Deployment>) -> Result<()> {
    let notifier = Notifier::from_context(ctx)?;
    if notifier.is_empty() {
        return Ok(());
    }
    let msg = verdict_message(report, deployment);
    let payload = deployment.and_then(Deployment::obsctl_payload);
    let mut refs: Vec<MessageRef> = payload
        .as_ref()
        .map(|p| parse_refs(&p.messages))
        .unwrap_or_default();
    if let Some((channel, ts)) = payload.as_ref().and_then(payload_slack) {
        if !refs
            .iter()
            .any(|r| matches!(r, MessageRef::SlackBot { .. }))
        {
            refs.push(MessageRef::SlackBot { channel, ts });
        }
    }
    refs.retain(|r| !matches!(r, MessageRef::SlackWebhook { .. }));
    let fail = report.verdict == Verdict::Fail;
    let deliveries = if refs.is_empty() {
        let routes: &[Route] = if fail {
            &[Route::Deployments, Route::Incidents]
        } else {
            &[Route::Deployments]
        };
        notifier.send(&msg, routes).await
    } else {
        let replies = futures::future::join_all(refs.iter().map(|r| notifier.reply(r, &msg)));
        let incidents = async {
            if fail {
                notifier.send(&msg, &[Route::Incidents]).await
            } else {
                Vec::new()
            }
        };
        let (mut a, b) = tokio::join!(replies, incidents);
        a.extend(b);
        a
    };
    report_failures(ctx, &deliveries)
}

/// `--open-incident`: on fail, open one issue labelled `incident` (never
/// twice for the same release); on pass, close the open ones of earlier
/// releases in the environment. Failures are warnings. Issues go through
/// the GitHub issues client (`src/providers/github/issues.rs`).
async fn incident(ctx: &Context, gh: &GitHub, report: &Report, deployment: Option<&Deployment>) {
    let result = match report.verdict {
        Verdict::Fail => open_incident(gh, report, deployment).await,
        Verdict::Pass => close_incidents(gh, report).await,
        Verdict::Inconclusive => Ok(String::new()),
    };
    match result {
        Ok(note) if !note.is_empty() => ctx.ui.notice(&note),
        Ok(_) => {}
        Err(e) => ctx.ui.warn(&format!("--open-incident: {e}")),
    }
}

/// The label `dora report` counts.
const INCIDENT_LABEL: &str = "incident";

/// The marker of the incident issues `deploy verify` opens, per
/// environment and release (HTML comments: invisible on GitHub).
fn incident_marker(environment: &str) -> String {
    format!(
        "<!-- obsctl:verify environment={} -->",
        marker_value(environment)
    )
}

fn release_marker(release: &str) -> String {
    format!("<!-- obsctl:verify-release={} -->", marker_value(release))
}

/// A value that can neither end the HTML comment nor contain a space.
fn marker_value(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._@+:".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

async fn open_incident(
    gh: &GitHub,
    report: &Report,
    deployment: Option<&Deployment>,
) -> Result<String, HttpError> {
    let marker = incident_marker(&report.environment);
    let mine = release_marker(&report.candidate);
    let is_ours = |i: &Issue| i.body.contains(&marker) && i.body.contains(&mine);
    let open = gh
        .list_issues(&[INCIDENT_LABEL], IssueState::Open, None)
        .await?;
    if let Some(i) = open.iter().find(|i| is_ours(i)) {
        return Ok(format!(
            "incident issue #{} is already open for {}",
            i.number, report.candidate
        ));
    }
    let what = match deployment {
        Some(d) => format!("deployment {} ({})", d.id, text::short_sha(&d.sha)),
        None => "the deploy".into(),
    };
    let spec = NewIssue {
        title: text::truncate_chars(
            &format!(
                "Deploy verify failed: {} on {} ({what})",
                report.candidate, report.environment
            ),
            256,
        ),
        body: format!(
            "`obsctl deploy verify` failed for {what} of `{}` to **{}** (baseline `{}`).\n\n\
             Failed checks: {}\n\n{}\n{marker}\n{mine}\n",
            report.candidate,
            report.environment,
            report.baseline,
            report.failed_checks.join(", "),
            report.markdown(),
        ),
        labels: vec![INCIDENT_LABEL.into()],
    };
    let created = gh.create_issue(&spec, is_ours).await?;
    Ok(format!("opened incident issue #{}", created.number))
}

async fn close_incidents(gh: &GitHub, report: &Report) -> Result<String, HttpError> {
    let marker = incident_marker(&report.environment);
    let mine = release_marker(&report.candidate);
    let open = gh
        .list_issues(&[INCIDENT_LABEL], IssueState::Open, None)
        .await?;
    let stale: Vec<u64> = open
        .iter()
        .filter(|i| i.body.contains(&marker) && !i.body.contains(&mine))
        .map(|i| i.number)
        .collect();
    let closed = futures::future::join_all(stale.iter().map(|n| gh.close_issue(*n))).await;
    closed.into_iter().collect::<Result<Vec<()>, _>>()?;
    Ok(if stale.is_empty() {
        String::new()
    } else {
        format!(
            "closed incident issue(s) {} ({} passed)",
            stale
                .iter()
                .map(|n| format!("#{n}"))
                .collect::<Vec<_>>()
                .join(", "),
            report.candidate
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dep(id: u64, version: &str) -> Deployment {
        serde_json::from_value(json!({"id": id, "payload": {"obsctl": 1, "version": version, "started_at": "2026-11-29T10:00:00Z"}})).unwrap()
    }

    #[test]
    fn picks_candidate_and_earlier_releases() {
        let list = vec![
            dep(9, "v3"),
            dep(8, "v2"),
            dep(7, "v2"),
            dep(6, "v1"),
            serde_json::from_value(json!({"id": 5, "payload": {}})).unwrap(),
            dep(4, "v0"),
            dep(3, "v-1"),
        ];
        let p = pick_deployments(&list, "v2");
        assert_eq!(p.candidate.unwrap().id, 8);
        assert_eq!(
            p.older.iter().map(|d| d.id).collect::<Vec<_>>(),
            vec![6, 4, 3]
        );
        let p = pick_deployments(&list, "v9");
        assert!(p.candidate.is_none());
        assert_eq!(
            p.older.iter().map(|d| d.id).collect::<Vec<_>>(),
            vec![9, 8, 6]
        );
    }

    #[test]
    fn traffic_combines_rows_of_one_release() {
        let rows: Vec<Map<String, Value>> = serde_json::from_value(json!([
            {"release": "v2", "count(span.duration)": 300, "failure_rate()": 0.01, "p95(span.duration)": 400.0},
            {"release": "v2", "count(span.duration)": 100, "failure_rate()": 0.05, "p95(span.duration)": 900.0},
            {"release": "v1", "count(span.duration)": 50, "failure_rate()": null, "p95(span.duration)": 100.0},
        ]))
        .unwrap();
        let t = traffic(&rows, "v2", 10.0).unwrap();
        assert_eq!(t.transactions, 400);
        assert!((t.failure_rate - 0.02).abs() < 1e-12);
        assert_eq!(t.p95_ms, 900.0);
        assert_eq!(t.epm, 40.0);
        assert_eq!(traffic(&rows, "v1", 0.0).unwrap().epm, 0.0);
        assert!(traffic(&rows, "v3", 10.0).is_none());
    }

    #[test]
    fn explore_query_is_one_request_for_both_windows() {
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let w = windows::plan(
            &WindowSpec {
                deploy_started: Some(t("2026-11-29T10:00:00Z")),
                deploy_finished: t("2026-11-29T10:05:00Z"),
                warmup: Duration::minutes(2),
                window: Duration::minutes(30),
            },
            t("2026-11-29T12:00:00Z"),
        )
        .unwrap();
        let q = explore_query("web", "production", "v1", "web app 2", &w);
        assert_eq!(q.dataset, "spans");
        assert_eq!(q.fields.len(), 7);
        assert!(
            q.query
                .starts_with("is_transaction:true release:[v1,\"web app 2\"] ")
        );
        assert!(q.query.contains(
            "(release:v1 timestamp:>=2026-11-29T09:30:00Z timestamp:<2026-11-29T10:00:00Z)"
        ));
        assert!(q.query.contains("(release:\"web app 2\" timestamp:>=2026-11-29T10:07:00Z timestamp:<2026-11-29T10:37:00Z)"));
        assert_eq!(q.start, t("2026-11-29T09:30:00Z"));
        assert_eq!(q.end, t("2026-11-29T10:37:00Z"));
    }
}
