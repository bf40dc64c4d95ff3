//! `obsctl report`: for every `[[service]]` of obsctl.toml, performance
//! trends and per-release figures (Sentry spans), user impact (Sentry
//! release health) and delivery (DORA of the service's environment, with
//! rework and the Quick Check), as text, JSON, Markdown or one HTML page.
//!
//! Options are resolved and checked first ([`plan`]: nothing is asked of
//! any API before the input is known good), then the DORA analyses (one
//! per environment), then Sentry for every service concurrently (at most
//! 6 requests each), then the pure model and renderers of
//! `obsctl_core::report`.

pub mod delivery;
pub mod health;
pub mod sentry_data;

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Context as _, Result};
use chrono::Utc;
use obsctl_core::config::{Config, Service};
use obsctl_core::report::{self, Report, ServiceReport, WindowInfo};

use crate::cli::ReportArgs;
use crate::context::{Context, usage};
use crate::providers::sentry::Sentry;
use crate::ui::Format;

/// The formats `report` writes.
pub const FORMATS: &[Format] = &[Format::Text, Format::Json, Format::Markdown, Format::Html];

/// The resolved options.
pub struct Plan {
    pub window: WindowInfo,
    pub services: Vec<Service>,
    pub config: Config,
    pub format: Format,
    pub output: Option<PathBuf>,
}

/// Check everything the user gave, before any request. Errors are usage
/// errors (exit 2) that say what to change.
pub fn plan(args: &ReportArgs, ctx: &Context, config: Config, config_name: &str) -> Result<Plan> {
    let format = ctx.ui.format;
    if !matches!(
        format,
        Format::Html | Format::Markdown | Format::Json | Format::Text
    ) {
        return usage("report supports --format html, markdown, json or text");
    }
    let since = args.since.clone().or_else(|| Some("30d".into()));
    let w = crate::dora::input::parse_window(since.as_deref(), args.until.as_deref(), Utc::now())
        .or_else(usage)?;
    if obsctl_core::quickcheck::find(&args.benchmark).is_none() {
        return usage(format!(
            "--benchmark {:?} is not a DORA 2025 benchmark: use one of {}",
            args.benchmark,
            obsctl_core::quickcheck::benchmark_keys().join(", ")
        ));
    }
    if let Some(path) = &args.output {
        if path.as_os_str().is_empty() || path.is_dir() {
            return usage(format!("--output {}: name a file to write", path.display()));
        }
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
        if parent.is_some_and(|p| !p.is_dir()) {
            return usage(format!(
                "--output {}: its directory does not exist; create it first",
                path.display()
            ));
        }
    }
    if config.services.is_empty() {
        return usage(format!(
            "{config_name} has no [[service]]: add one per service (name, sentry_project, environment); see docs/report.md"
        ));
    }
    let mut services = Vec::new();
    for name in &args.services {
        match config.service(name) {
            Some(s) => services.push(s.clone()),
            None => {
                return usage(format!(
                    "--service {name:?}: no such [[service]] in {config_name} (services: {})",
                    config.service_names().join(", ")
                ));
            }
        }
    }
    if services.is_empty() {
        services = config.services.clone();
    }
    Ok(Plan {
        window: WindowInfo::new(w.since.timestamp(), w.until.timestamp()),
        services,
        config,
        format,
        output: args.output.clone(),
    })
}

/// Sentry as resolved (token, organization from `SENTRY_ORG` or `[sentry]
/// org`, URL); the projects come from each `[[service]]`. `Err(why)` when it
/// is not configured or disabled: the Sentry sections say so.
fn sentry(ctx: &Context) -> Result<Result<Sentry, String>> {
    Ok(match ctx.sentry_api()? {
        Some(cfg) => Ok(Sentry::new(ctx.http.clone(), cfg)),
        None => Err("Sentry is not configured: SENTRY_AUTH_TOKEN (with org:read) is not set, or --no-sentry".into()),
    })
}

fn progress_bar(ctx: &Context, n: usize) -> indicatif::ProgressBar {
    let on = !ctx.ui.quiet && !ctx.ui.actions && std::io::stderr().is_terminal();
    if !on {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(n as u64);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} services")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message("report");
    bar
}

pub async fn run(args: ReportArgs, ctx: &Context) -> Result<()> {
    let loaded = &ctx.config;
    let config_name = loaded
        .path
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "obsctl.toml (not found)".into());
    let plan = plan(&args, ctx, loaded.config.clone(), &config_name)?;
    let sentry = sentry(ctx)?;
    let (by_env, mut warnings) = delivery_by_environment(&args, ctx, &plan).await;
    let results = fetch_sentry(ctx, &plan, &sentry, &by_env).await;
    let why = sentry.as_ref().err().cloned().unwrap_or_default();
    let services = results
        .into_iter()
        .map(|(svc, data)| {
            service_report(svc, data, &by_env[svc.environment()], &why, &mut warnings)
        })
        .collect();
    let report = Report {
        title: match &plan.config.sentry.org {
            Some(org) => format!("obsctl report: {org}"),
            None => "obsctl report".into(),
        },
        generated_at: report::ts(Utc::now().timestamp()),
        window: plan.window.clone(),
        units: report::units(),
        services,
    };
    if ctx.dry_run {
        // Reads only, but --dry-run sends nothing: say what would be asked.
        let text = crate::commands::dry_run_text(&ctx.http.planned());
        eprint!("{}", ctx.ui.redactor.redact(&text));
    }
    emit(ctx, &plan, &report)?;
    for w in &warnings {
        ctx.ui.warn(w);
    }
    if ctx.strict && !warnings.is_empty() {
        anyhow::bail!(
            "{} source(s) could not be read (--strict): see the warnings above",
            warnings.len()
        );
    }
    Ok(())
}

/// DORA once per environment of the planned services, concurrently; what
/// could not be read becomes a warning.
async fn delivery_by_environment<'p>(
    args: &ReportArgs,
    ctx: &Context,
    plan: &'p Plan,
) -> (BTreeMap<&'p str, delivery::DeliveryData>, Vec<String>) {
    let mut envs: Vec<&str> = plan.services.iter().map(|s| s.environment()).collect();
    envs.sort_unstable();
    envs.dedup();
    let w = &plan.window;
    let analyses =
        futures::future::join_all(envs.iter().map(|e| delivery::delivery(args, ctx, e, w))).await;
    let mut warnings = Vec::new();
    let mut by_env = BTreeMap::new();
    for (env, (data, err)) in envs.iter().zip(analyses) {
        warnings.extend(err);
        by_env.insert(*env, data);
    }
    (by_env, warnings)
}

/// Sentry's data of every service at once (`None` without Sentry), with a
/// progress bar.
async fn fetch_sentry<'p>(
    ctx: &Context,
    plan: &'p Plan,
    sentry: &Result<Sentry, String>,
    by_env: &BTreeMap<&str, delivery::DeliveryData>,
) -> Vec<(&'p Service, Option<sentry_data::SentryData>)> {
    let bar = progress_bar(ctx, plan.services.len());
    let w = &plan.window;
    let per_service = plan.services.iter().map(|svc| {
        let d = &by_env[svc.environment()];
        let bar = &bar;
        async move {
            let data = match sentry {
                Ok(s) => Some(sentry_data::fetch(s, svc, w, d.markers.is_empty()).await),
                Err(_) => None,
            };
            bar.inc(1);
            (svc, data)
        }
    });
    let results = futures::future::join_all(per_service).await;
    bar.finish_and_clear();
    results
}

/// One service's section: Sentry's data (or why it is unavailable: `why`),
/// its environment's delivery, and deploy markers from both, in time order.
fn service_report(
    svc: &Service,
    data: Option<sentry_data::SentryData>,
    d: &delivery::DeliveryData,
    why: &str,
    warnings: &mut Vec<String>,
) -> ServiceReport {
    let (performance, user_impact, mut deploys, requests) = match data {
        Some(x) => {
            warnings.extend(x.errors.into_iter().map(|e| format!("Sentry: {e}")));
            (x.performance, x.user_impact, x.deploys, x.requests)
        }
        None => (
            report::performance_unavailable(why),
            report::user_impact_unavailable(why),
            Vec::new(),
            0,
        ),
    };
    deploys.extend(d.markers.iter().cloned());
    deploys.sort_by_key(|m| m.at_unix);
    ServiceReport {
        name: svc.name().to_string(),
        sentry_project: svc.project().to_string(),
        environment: svc.environment().to_string(),
        performance,
        user_impact,
        delivery: d.delivery.clone(),
        deploys,
        sentry_requests_count: requests,
    }
}

fn emit(ctx: &Context, plan: &Plan, r: &Report) -> Result<()> {
    use obsctl_core::report::render;
    let body = match plan.format {
        Format::Json => render::json(r),
        Format::Markdown => render::markdown(r),
        Format::Html => render::html(r),
        _ => render::text(r),
    };
    if plan.format == Format::Markdown {
        ctx.write_summary(&body)?;
    }
    let body = ctx.ui.redactor.redact(&body);
    match &plan.output {
        Some(path) => {
            std::fs::write(path, body.as_bytes())
                .with_context(|| format!("writing the report to {}", path.display()))?;
            ctx.ui
                .notice(&format!("report written to {}", path.display()));
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(body.as_bytes())?;
            out.flush()?;
        }
    }
    Ok(())
}
