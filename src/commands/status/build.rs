//! `obsctl status build`: read the incident issues of the last `--days`
//! (all states, one paginated GraphQL query, plus the open ones whatever
//! their age, concurrently) and the latest `status check --format json`,
//! and write the static site ([`obsctl_core::status::site::render`]).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context as _, Result};
use chrono::{DateTime, Duration, Utc};
use obsctl_core::status::site::{self, CheckReport, IncidentRecord, ServiceInfo, SiteInput};
use serde_json::json;

use super::INCIDENT_LABEL;
use crate::cli::StatusBuildArgs;
use crate::context::{Context, UsageError, usage};
use crate::dora::input::parse_time;
use crate::providers::github::GitHub;
use crate::providers::github::issues::IssueState;

/// Everything read before any request; bad input is a usage error.
struct Inputs {
    now: Option<DateTime<Utc>>,
    checks: Option<CheckReport>,
    services: Vec<ServiceInfo>,
    title: Option<String>,
}

fn read_inputs(args: &StatusBuildArgs, ctx: &Context) -> Result<Inputs> {
    if args.out.is_file() {
        return usage(format!(
            "--out {}: is a file; name a directory",
            args.out.display()
        ));
    }
    let now = match &args.now {
        Some(s) => Some(parse_time(s).ok_or_else(|| {
            UsageError(format!(
                "--now {s:?}: expected RFC 3339 (2026-11-29T12:00:00Z) or YYYY-MM-DD"
            ))
        })?),
        None => None,
    };
    let checks = match &args.checks {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| UsageError(format!("--checks {}: {e}", path.display())))?;
            Some(serde_json::from_str::<CheckReport>(&text).map_err(|e| {
                UsageError(format!(
                    "--checks {}: not the JSON of `obsctl status check --format json`: {e}",
                    path.display()
                ))
            })?)
        }
        None => None,
    };
    let config = &ctx.config.config;
    Ok(Inputs {
        now,
        checks,
        services: config
            .services
            .iter()
            .map(|s| ServiceInfo {
                name: s.name().to_string(),
                critical: s.critical,
            })
            .collect(),
        title: config.status.title.clone(),
    })
}

/// obsctl's incidents: those updated in the window, and every open one.
async fn incidents(gh: &GitHub, since: DateTime<Utc>) -> Result<Vec<IncidentRecord>> {
    let (recent, open) = futures::join!(
        gh.query_issues(&[INCIDENT_LABEL], IssueState::All, Some(since)),
        gh.query_issues(&[INCIDENT_LABEL], IssueState::Open, None)
    );
    let mut by_number = BTreeMap::new();
    for issue in recent?.into_iter().chain(open?) {
        by_number.insert(issue.number, issue);
    }
    Ok(by_number.values().filter_map(super::record).collect())
}

fn page_url(args: &StatusBuildArgs, ctx: &Context) -> Result<String> {
    if let Some(u) = &args.url {
        return Ok(crate::context::parse_published_url("--url", u)?.to_string());
    }
    match ctx.repository()? {
        Some(r) => Ok(format!(
            "https://{}.github.io/{}/",
            r.owner.to_ascii_lowercase(),
            r.name
        )),
        None => {
            usage("status build: the page URL is unknown: pass --url https://status.example.com/")
        }
    }
}

pub async fn run(args: StatusBuildArgs, ctx: &Context) -> Result<()> {
    let inputs = read_inputs(&args, ctx)?;
    let page_url = page_url(&args, ctx)?;
    let reference = inputs.now.or(inputs.checks.as_ref().map(|c| c.checked_at));
    // The fetch window only: what the page shows is measured from the input.
    let since = reference.unwrap_or_else(Utc::now) - Duration::days(args.days as i64 + 1);
    let records = match super::github(ctx)? {
        Some(gh) => incidents(&gh, since)
            .await
            .context("status build: reading the incident issues")?,
        None => Vec::new(),
    };
    let title = args
        .title
        .clone()
        .or(inputs.title)
        .or_else(|| {
            ctx.repository()
                .ok()
                .flatten()
                .map(|r| format!("{} status", r.name))
        })
        .unwrap_or_else(|| "Status".into());
    let input = SiteInput {
        title,
        page_url,
        services: inputs.services,
        incidents: records,
        checks: inputs.checks,
        days: args.days,
        now: inputs.now,
    };
    let view = site::view(&input);
    let files = site::render(&input);
    if !ctx.dry_run {
        write(&args.out, &files)?;
    }
    let text = format!(
        "{}{} files {} {}: {}; {} open incident(s), {} in the last {} days",
        if ctx.dry_run { "dry run: " } else { "" },
        files.len(),
        if ctx.dry_run {
            "would be written to"
        } else {
            "written to"
        },
        args.out.display(),
        view.indicator.description(),
        view.open.len(),
        view.open.len() + view.past.len(),
        args.days
    );
    ctx.ui.result(
        &text,
        &json!({
            "out": args.out,
            "dry_run": ctx.dry_run,
            "files": files.iter().map(|(p, _)| p).collect::<Vec<_>>(),
            "indicator": view.indicator.as_str(),
            "services": view.services.iter().map(|s| json!({"name": s.name, "status": s.status.as_str(), "uptime": s.uptime})).collect::<Vec<_>>(),
            "open_incidents": view.open.iter().map(|i| i.number).collect::<Vec<_>>(),
        }),
    );
    ctx.write_outputs(&[("status_indicator", view.indicator.as_str().to_string())])?;
    Ok(())
}

fn write(out: &Path, files: &[(String, Vec<u8>)]) -> Result<()> {
    for (rel, bytes) in files {
        let path = out.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
