//! `obsctl alerts init --service web [--project web] [--health-url URL]`:
//! the epic's Sentry-side alerts for one service (error rate > 1 % for
//! 5 min, p95 > 1 s, zero traffic, health check), printed or appended to
//! the config file with `--write` (checked with lint first; nothing is
//! written under `--dry-run`).

use anyhow::{Context as _, Result};
use obsctl_core::alerts::import::init_toml;
use obsctl_core::config::FILE_NAME;
use serde_json::json;

use crate::cli::AlertsInitArgs;
use crate::context::{Context, usage};

pub fn run(args: AlertsInitArgs, ctx: &Context) -> Result<()> {
    if let Some(u) = &args.health_url {
        crate::context::parse_url("--health-url", u)?;
    }
    // The file the context read (`--config`, else at the repository root),
    // else a new obsctl.toml at the repository root.
    let (path, source) = match &ctx.config.path {
        Some(p) => (p.clone(), ctx.config.source.clone()),
        None => (super::search_dirs(ctx)[0].join(FILE_NAME), String::new()),
    };
    let known = obsctl_core::config::Config::parse_syntax(&path.display().to_string(), &source)?
        .service(&args.service)
        .is_some();
    let project = args.project.clone().unwrap_or_else(|| args.service.clone());
    let text = init_toml(
        &args.service,
        &project,
        args.health_url.as_deref(),
        &args.environment,
        !known,
    );
    // The file with the new entries must lint clean (no duplicate key, ...).
    let joined = if source.trim().is_empty() {
        text.clone()
    } else {
        format!("{}\n\n{text}", source.trim_end())
    };
    if let Err(e) = obsctl_core::alerts::lint::lint(&path.display().to_string(), &joined) {
        return usage(format!(
            "the generated alerts do not fit {}:\n{e}",
            path.display()
        ));
    }
    if !args.write || ctx.dry_run {
        ctx.ui.result(
            &text,
            &json!({ "file": path.display().to_string(), "written": false, "toml": text }),
        );
        return Ok(());
    }
    std::fs::write(&path, format!("{joined}\n"))
        .with_context(|| format!("writing {}", path.display()))?;
    ctx.ui.result(
        &format!(
            "{}: added the alerts of service {}",
            path.display(),
            args.service
        ),
        &json!({ "file": path.display().to_string(), "written": true, "toml": text }),
    );
    Ok(())
}
