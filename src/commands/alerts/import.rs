//! `obsctl alerts import`: `[[alert]]` TOML for the monitors of the
//! configured projects (or `--project`), so a team can adopt what it
//! clicked together in Sentry. Reads only (`alerts:read`).

use anyhow::Result;
use obsctl_core::alerts::import::import_toml;
use obsctl_core::config::Config;
use serde_json::json;

use crate::cli::AlertsImportArgs;
use crate::context::{Context, usage};
use crate::providers::sentry::monitors::Monitors;

pub async fn run(args: AlertsImportArgs, ctx: &Context) -> Result<()> {
    // Importing for a project that has no obsctl.toml yet is fine (--project).
    let config: &Config = &ctx.config.config;
    let projects = if args.projects.is_empty() {
        super::alert_projects(config)
    } else {
        args.projects.clone()
    };
    if projects.is_empty() {
        return usage(
            "no project to import from: add [[service]] entries to obsctl.toml or pass --project SLUG",
        );
    }
    let m = Monitors::new(
        &ctx.http,
        super::sentry(ctx, projects.clone(), "alerts:read")?,
    );
    let lists = futures::future::try_join_all(projects.iter().map(|p| m.list_detectors(p))).await?;
    let mut detectors = Vec::new();
    for (p, list) in projects.iter().zip(lists) {
        for body in list {
            let managed = obsctl_core::alerts::managed_detector_key(
                body["name"].as_str().unwrap_or(""),
                body["description"].as_str(),
            )
            .is_some();
            if args.unmanaged_only && managed {
                continue;
            }
            detectors.push(obsctl_core::alerts::plan::RemoteDetector {
                id: super::id_of(&body),
                project: p.clone(),
                body,
            });
        }
    }
    let toml = import_toml(config, &detectors);
    ctx.ui
        .result(&toml, &json!({ "monitors": detectors.len(), "toml": toml }));
    Ok(())
}
