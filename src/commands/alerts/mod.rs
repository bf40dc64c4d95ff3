//! `obsctl alerts`: Sentry monitors and alerts as code (docs/alerts.md).
//! Shared steps: find and lint `obsctl.toml`, resolve Sentry, read what
//! Sentry holds (concurrently, every page), resolve the routing (Slack
//! integration and channel IDs, else e-mail), compile and plan.

pub mod apply;
pub mod import;
pub mod init;
pub mod lint;
pub mod plan;
pub mod test;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};
use obsctl_core::alerts::compile::{self, Target};
use obsctl_core::alerts::plan::{Plan, RemoteDetector, RemoteWorkflow};
use obsctl_core::config::Config;

use crate::context::{Context, SentryConfig, usage};
use crate::providers::sentry::monitors::Monitors;
use crate::providers::slack::SlackBot;

/// The config file as found, its text and the linted model.
pub struct Linted {
    pub path: PathBuf,
    pub source: String,
    pub config: Config,
}

/// Where to look for obsctl.toml: the repository root, then `-C`/the working directory.
pub fn search_dirs(ctx: &Context) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(root) = git2::Repository::discover(&ctx.repo_path)
        .ok()
        .and_then(|r| r.workdir().map(Path::to_path_buf))
    {
        dirs.push(root);
    }
    dirs.push(ctx.repo_path.clone());
    dirs
}

/// The config file as the context loaded it (already checked: a file with
/// problems stops obsctl before any command, exit 2, every problem listed
/// with its place). No file is a usage error here.
pub fn load_linted(ctx: &Context) -> Result<Linted> {
    let Some(path) = ctx.config.path.clone() else {
        return usage(
            "no obsctl.toml found at the repository root or in the working directory: \
             create one (`obsctl alerts init --service NAME --write`) or name it with --config",
        );
    };
    Ok(Linted {
        path,
        source: ctx.config.source.clone(),
        config: ctx.config.config.clone(),
    })
}

/// Sentry for `obsctl alerts`: token, organization (`[sentry] org` under
/// `SENTRY_ORG`) and URL from the context, with the projects of
/// `obsctl.toml` (whatever `SENTRY_PROJECT` says). A usage error naming
/// `scope` when there is no token.
pub fn sentry(ctx: &Context, projects: Vec<String>, scope: &str) -> Result<SentryConfig> {
    let Some(cfg) = ctx.sentry_api()? else {
        return usage(format!(
            "Sentry: SENTRY_AUTH_TOKEN is not set: create an auth token with the `{scope}` scope"
        ));
    };
    Ok(SentryConfig { projects, ..cfg })
}

/// The distinct Sentry projects of the services that have alerts, in file order.
pub fn alert_projects(config: &Config) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in &config.services {
        let p = s.project().to_string();
        if !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

/// What Sentry holds: every monitor of `projects` and every alert, read concurrently.
pub async fn read_remote(
    m: &Monitors,
    projects: &[String],
) -> Result<(Vec<RemoteDetector>, Vec<RemoteWorkflow>)> {
    let lists = futures::future::try_join_all(projects.iter().map(|p| m.list_detectors(p)));
    let (lists, workflows) = futures::future::try_join(lists, m.list_workflows()).await?;
    let detectors = projects
        .iter()
        .zip(lists)
        .flat_map(|(p, list)| {
            list.into_iter().map(move |body| RemoteDetector {
                id: id_of(&body),
                project: p.clone(),
                body,
            })
        })
        .collect();
    let workflows = workflows
        .into_iter()
        .map(|body| RemoteWorkflow {
            id: id_of(&body),
            body,
        })
        .collect();
    Ok((detectors, workflows))
}

pub fn id_of(v: &serde_json::Value) -> String {
    match &v["id"] {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// How alerts are routed: Slack through the org's integration (channel
/// names → IDs from `[slack] channel_ids`, else `conversations.list`), else
/// e-mail to each project's first team (with a warning).
pub enum Routing {
    Slack {
        integration_id: String,
        ids: BTreeMap<String, String>,
    },
    Email {
        teams: BTreeMap<String, Option<String>>,
    },
}

/// Where the alerts notify: Slack through Sentry's active Slack integration
/// (channel IDs from `[slack] channel_ids`, else looked up with the bot),
/// else e-mail to each project's team (with a warning).
pub async fn routing(ctx: &Context, m: &Monitors, config: &Config) -> Result<Routing> {
    let integrations = m.list_integrations("slack").await?;
    let active = integrations.iter().find(|i| {
        i["status"].as_str().unwrap_or("active") == "active"
            && i["provider"]["key"].as_str().unwrap_or("slack") == "slack"
    });
    let Some(integration) = active else {
        ctx.ui.warn(&format!(
            "Sentry organization {} has no active Slack integration: alerts e-mail each project's team instead \
             (install Slack under Settings → Integrations in Sentry, then apply again)",
            m.config().org
        ));
        return Ok(Routing::Email {
            teams: project_teams(ctx, m, config).await,
        });
    };
    let mut wanted: Vec<String> = config
        .alerts
        .iter()
        .flat_map(|a| compile::channels_for(config, a))
        .collect();
    wanted.sort();
    wanted.dedup();
    let mut ids: BTreeMap<String, String> = config
        .slack
        .channel_ids
        .iter()
        .map(|(k, v)| (k.trim_start_matches('#').to_string(), v.get_ref().clone()))
        .collect();
    if wanted.iter().any(|c| !ids.contains_key(c)) {
        look_up_channels(ctx, &wanted, &mut ids).await?;
    }
    Ok(Routing::Slack {
        integration_id: id_of(integration),
        ids,
    })
}

/// Each alert project's first team (`None`: e-mail the issue owners, with a
/// warning when the teams could not be read).
async fn project_teams(
    ctx: &Context,
    m: &Monitors,
    config: &Config,
) -> BTreeMap<String, Option<String>> {
    let projects = alert_projects(config);
    let teams = futures::future::join_all(projects.iter().map(|p| m.project_teams(p))).await;
    let mut out = BTreeMap::new();
    for (p, t) in projects.into_iter().zip(teams) {
        let team = match t {
            Ok(list) => list.first().map(id_of),
            Err(e) => {
                ctx.ui
                    .warn(&format!("{e}: e-mailing the issue owners of {p} instead"));
                None
            }
        };
        out.insert(p, team);
    }
    out
}

/// The IDs of the `wanted` channels missing from `ids`, looked up with the
/// Slack bot; a usage error when there is no bot or a channel stays unknown.
async fn look_up_channels(
    ctx: &Context,
    wanted: &[String],
    ids: &mut BTreeMap<String, String>,
) -> Result<()> {
    let shown = wanted
        .iter()
        .filter(|c| !ids.contains_key(*c))
        .map(|c| format!("#{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let bot = ctx.slack_state()?.ready().and_then(|s| s.bot.clone());
    let Some((token, api)) = bot else {
        return usage(format!(
            "Slack channel IDs unknown for {shown}: Sentry's Slack action needs the channel ID; \
             give them in [slack] channel_ids or set SLACK_BOT_TOKEN (scope channels:read) to look them up"
        ));
    };
    let found = SlackBot::new(ctx.http.for_reads(), token, api)
        .channel_ids()
        .await?;
    for c in wanted {
        if let Some(id) = found.get(c) {
            ids.entry(c.clone()).or_insert_with(|| id.clone());
        }
    }
    let still: Vec<String> = wanted
        .iter()
        .filter(|c| !ids.contains_key(*c))
        .map(|c| format!("#{c}"))
        .collect();
    if !still.is_empty() {
        return usage(format!(
            "Slack: no channel {} that the bot can see: check the names, invite the bot to private channels, \
             or give the IDs in [slack] channel_ids",
            still.join(", ")
        ));
    }
    Ok(())
}

impl Routing {
    pub fn targets(&self, project: &str, channels: &[String]) -> Vec<Target> {
        match self {
            Routing::Slack {
                integration_id,
                ids,
            } => channels
                .iter()
                .map(|c| Target::Slack {
                    integration_id: integration_id.clone(),
                    channel_id: ids.get(c).cloned().unwrap_or_default(),
                    channel_name: c.clone(),
                })
                .collect(),
            Routing::Email { teams } => match teams.get(project).cloned().flatten() {
                Some(team_id) => vec![Target::EmailTeam { team_id }],
                None => vec![Target::EmailOwners],
            },
        }
    }
}

/// Everything plan and apply share: lint, read Sentry, route, compile, plan.
pub async fn make_plan(ctx: &Context, prune: bool, scope: &str) -> Result<(Monitors, Plan)> {
    let linted = load_linted(ctx)?;
    let config = &linted.config;
    let projects = alert_projects(config);
    let m = Monitors::new(&ctx.http, sentry(ctx, projects.clone(), scope)?);
    let (remote, routing) =
        futures::future::join(read_remote(&m, &projects), routing(ctx, &m, config)).await;
    let ((detectors, workflows), routing) = (remote?, routing?);
    let desired = compile::compile_all(config, |_, service, channels| {
        routing.targets(service.project(), channels)
    })
    .map_err(|e| anyhow!("{}: {e}", linted.path.display()))?;
    let plan = obsctl_core::alerts::plan::plan(&desired, &detectors, &workflows, prune);
    for w in &plan.warnings {
        ctx.ui.warn(w);
    }
    Ok((m, plan))
}
