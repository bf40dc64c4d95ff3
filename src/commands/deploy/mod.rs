//! `obsctl deploy start` / `deploy finish` / `deploy verify` (in `verify.rs`).
//!
//! No local state: `start` stores what `finish` needs (version, start time,
//! actor, run URL, message references) in the GitHub deployment's payload,
//! and `finish` finds the deployment again by id or by SHA + environment.
//!
//! Critical paths (sequential round trips):
//! - start: message → create deployment → status `in_progress` (3 with a
//!   message, 2 without), with the Sentry release ensured concurrently;
//! - finish: look the deployment up (1; by id with its earlier statuses),
//!   with the Sentry deploys of the version listed alongside; then
//!   concurrently the final status, the Sentry deploy and the message update
//!   (2). Found by SHA, the earlier statuses are read in step 2, so the
//!   replies and cross-posts that must not be repeated (a failure's thread
//!   reply, the #incidents post, a webhook's second message) take a third.

use anyhow::{Context as _, Result, anyhow};
use chrono::Utc;
use serde::Serialize;
use serde_json::{Value, json};

use crate::cli::{DeployFinishArgs, DeployStartArgs};
use crate::context::{Context, ProviderState, UsageError, parse_published_url, usage};
use crate::deploy::{self, DeployInfo, Outcome};
use crate::git::Git;
use crate::http::HttpError;
use crate::message::{Message, Route};
use crate::notifier::{Delivery, MessageRef, Notifier, report_failures};
use crate::providers::github::GitHub;
use crate::providers::github::deployments::{
    DRY_RUN_ID, DeployPayload, Deployment, DeploymentStatus, NewDeployment, NewStatus,
    newest_obsctl,
};
use crate::providers::sentry::Sentry;
use crate::providers::sentry::deploys::{DeployOutcome, NewSentryDeploy, SentryDeploy};
use crate::text;

mod finish;
mod start;
pub mod verify;

pub use finish::finish;
pub use start::start;

/// The JSON result of `deploy start` / `deploy finish` (also the outputs).
#[derive(Debug, Default, Serialize)]
struct Outputs {
    deployment_id: Option<u64>,
    version: String,
    sha: String,
    started_at: String,
    environment: String,
    slack_channel: Option<String>,
    slack_ts: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    finished_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration_seconds: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sentry: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    already_finished: Option<bool>,
}

impl Outputs {
    fn write(&self, ctx: &Context) -> Result<()> {
        let mut pairs: Vec<(&str, String)> = vec![
            (
                "deployment_id",
                self.deployment_id
                    .map(|i| i.to_string())
                    .unwrap_or_default(),
            ),
            ("version", self.version.clone()),
            ("sha", self.sha.clone()),
            ("started_at", self.started_at.clone()),
            ("environment", self.environment.clone()),
            (
                "slack_channel",
                self.slack_channel.clone().unwrap_or_default(),
            ),
            ("slack_ts", self.slack_ts.clone().unwrap_or_default()),
        ];
        if let Some(s) = self.status {
            pairs.push(("status", s.to_string()));
        }
        if let Some(f) = &self.finished_at {
            pairs.push(("finished_at", f.clone()));
        }
        if let Some(d) = self.duration_seconds {
            pairs.push(("duration", d.to_string()));
        }
        ctx.write_outputs(&pairs)
    }
}

// -------------------------------------------------------------- helpers

/// GitHub is the primary record: required unless `--no-github`.
fn github_client(ctx: &Context, command: &str) -> Result<Option<GitHub>> {
    match ctx.github_state()? {
        ProviderState::Ready(cfg) => Ok(Some(GitHub::new(ctx.http.clone(), cfg.clone()))),
        ProviderState::Disabled => Ok(None), // --no-github
        ProviderState::Missing(_) => usage(format!(
            "{command}: the GitHub deployment is the primary record: set GITHUB_TOKEN (with \
             `deployments: write`), or pass --no-github to only notify and record the Sentry deploy"
        )),
    }
}

pub(crate) fn sentry_client(ctx: &Context) -> Result<Option<Sentry>> {
    Ok(ctx.sentry()?.map(|cfg| Sentry::new(ctx.http.clone(), cfg)))
}

/// A Sentry failure: a warning, or an error under `--strict`.
fn provider_failures(
    ctx: &Context,
    what: &str,
    result: Option<Result<(), HttpError>>,
) -> Result<()> {
    if let Some(Err(e)) = result {
        if ctx.strict {
            return Err(anyhow!(e).context(format!("{what} failed (--strict)")));
        }
        ctx.ui.warn(&format!("{what} failed: {e}"));
    }
    Ok(())
}

fn sentry_word(r: &Option<Result<(), HttpError>>) -> &'static str {
    match r {
        None => "skipped",
        Some(Ok(())) => "ok",
        Some(Err(_)) => "failed",
    }
}

fn finish_output(ctx: &Context, text: &str, outputs: &Outputs) {
    if ctx.dry_run {
        let planned = ctx.http.planned();
        ctx.ui.result(
            &format!("{}\n{text}", super::dry_run_text(&planned)),
            &json!({ "dry_run": true, "requests": planned, "result": outputs }),
        );
    } else {
        ctx.ui.result(text, outputs);
    }
}

/// `--url`: the environment's URL, when given; not http(s) is exit 2.
/// `--url`: an http(s) URL without credentials — it is published (the
/// deployment's environment URL, the messages).
fn url_arg(url: Option<&str>) -> Result<Option<String>> {
    url.map(|u| parse_published_url("--url", u).map(|u| u.to_string()))
        .transpose()
}

/// The commit: `--sha` / the CI's, else HEAD of the local repository. What
/// the local repository knows is peeled to its commit: an annotated tag's
/// object id (`git rev-parse v1.2.0`) is the tag's commit, as in `release
/// create`; a full SHA the clone does not have is taken as given.
pub(crate) fn resolve_sha(ctx: &Context) -> Result<String> {
    let Some(sha) = &ctx.ci.sha else {
        return Git::open(&ctx.repo_path)
            .and_then(|git| git.head_sha())
            .context("no commit to deploy (GITHUB_SHA, CI_COMMIT_SHA or --sha)");
    };
    if !sha.chars().all(|c| c.is_ascii_hexdigit()) || sha.len() < 7 {
        return usage(format!("--sha {sha:?} is not a commit SHA"));
    }
    match Git::open(&ctx.repo_path)
        .ok()
        .and_then(|git| git.resolve(sha).ok())
    {
        Some(commit) => Ok(commit),
        None if text::is_full_sha(sha) => Ok(sha.to_ascii_lowercase()),
        // A deployment is of an exact commit: a short SHA must expand locally.
        None => usage(format!(
            "--sha {sha:?} is abbreviated and the local repository cannot expand it: \
             pass the full 40-character SHA"
        )),
    }
}

/// The version when none is given: the tag at the commit (chosen as
/// `release create` does), else the short SHA.
pub(crate) fn default_version(ctx: &Context, sha: &str) -> Result<String> {
    default_version_for(ctx, sha, deploy::NameRules::ALL)
}

/// [`default_version`] checked against the rules of the providers in use.
fn default_version_for(ctx: &Context, sha: &str, rules: deploy::NameRules) -> Result<String> {
    let tags_here = Git::open(&ctx.repo_path)
        .ok()
        .and_then(|git| git.tags_at(sha, None).ok())
        .unwrap_or_default();
    match crate::release::choose_tag(&tags_here, ctx.ci.tag.as_deref(), None) {
        Some(t) => deploy::validate_version_for(&t, rules).map_err(|e| {
            anyhow!(UsageError(format!(
                "the tag at the commit cannot be the version ({e}); pass --version"
            )))
        }),
        None => Ok(text::short_sha(sha).to_string()),
    }
}

/// The naming rules of the providers this run records to.
fn name_rules(github: Option<&GitHub>, sentry: Option<&Sentry>) -> deploy::NameRules {
    deploy::NameRules::of(github.is_some(), sentry.is_some())
}

/// The GitHub request body of a planned status.
fn new_status(p: &deploy::StatusPlan) -> NewStatus {
    NewStatus {
        state: p.state.to_string(),
        log_url: p.log_url.clone(),
        environment_url: p.environment_url.clone(),
        description: p.description.clone(),
        auto_inactive: p.auto_inactive,
    }
}

/// The CI run's URL, when it is one (GitHub and Sentry reject anything else).
fn run_url(ctx: &Context) -> Option<String> {
    let url = ctx.ci.run_url.clone()?;
    if crate::message::is_http_url(&url) {
        Some(url)
    } else {
        ctx.ui
            .verbose(&format!("ignoring the run URL {url:?}: not an http(s) URL"));
        None
    }
}

fn deploy_info(
    ctx: &Context,
    github: Option<&GitHub>,
    environment: &str,
    version: &str,
    sha: &str,
    env_url: Option<String>,
) -> DeployInfo {
    let repo = github
        .map(|g| g.config().repo.clone())
        .or_else(|| ctx.repository().ok().flatten());
    // Local git is optional here: a deploy recorded from another checkout still works.
    let local = Git::open(&ctx.repo_path).ok();
    let commit_url = match (github, &repo) {
        (Some(g), Some(r)) => Some(format!(
            "{}/{r}/commit/{sha}",
            g.config().server_url.as_str().trim_end_matches('/')
        )),
        _ => None,
    };
    DeployInfo {
        environment: environment.to_string(),
        version: version.to_string(),
        sha: sha.to_string(),
        service: repo.map(|r| r.name),
        actor: ctx
            .ci
            .actor
            .clone()
            .or_else(|| local.as_ref().and_then(Git::user_name)),
        run_url: run_url(ctx),
        commit_url,
        commit_subject: local.as_ref().and_then(|git| git.subject(sha)),
        env_url,
        deployment_id: None,
        production: deploy::is_production(environment),
        started_at: None,
    }
}

// ------------------------------------------------------------ messaging

/// What the start message left behind.
#[derive(Clone, Debug, Default)]
pub struct Posted {
    /// Serialized message references, stored in the deployment payload.
    pub refs: Vec<Value>,
    /// The Slack bot message (channel id, ts), when there is one.
    pub slack: Option<(String, String)>,
    pub deliveries: Vec<Delivery>,
}

/// The deploy messages (Slack, Discord), through the messaging layer.
struct Messenger {
    notifier: Notifier,
}

pub(crate) fn parse_refs(refs: &[Value]) -> Vec<MessageRef> {
    refs.iter()
        .filter_map(|v| serde_json::from_value(v.clone()).ok())
        .collect()
}

impl Messenger {
    fn new(ctx: &Context) -> Result<Self> {
        Ok(Messenger {
            notifier: Notifier::from_context(ctx)?,
        })
    }

    /// Post the "in progress" message to the deployments route.
    async fn start(&self, msg: &Message) -> Posted {
        if self.notifier.is_empty() {
            return Posted::default();
        }
        let deliveries = self.notifier.send(msg, &[Route::Deployments]).await;
        let refs: Vec<MessageRef> = deliveries
            .iter()
            .filter_map(|d| d.reference.clone())
            .collect();
        Posted {
            slack: slack_bot_ref(&refs),
            refs: refs
                .iter()
                .filter_map(|r| serde_json::to_value(r).ok())
                .collect(),
            deliveries,
        }
    }

    /// Edit each message in place (safe to repeat).
    async fn update_all(&self, edits: &[(MessageRef, Message)]) -> Vec<Delivery> {
        let updates = edits.iter().map(|(r, m)| self.notifier.update(r, m));
        futures::future::join_all(updates).await
    }

    /// The messages sent once (the plan's thread replies and new message),
    /// concurrently.
    async fn send_once(&self, once: &deploy::OnceMessages) -> Vec<Delivery> {
        if self.notifier.is_empty() {
            return Vec::new();
        }
        let replies = once.replies.iter().map(|(r, m)| self.notifier.reply(r, m));
        let sent = async {
            match &once.send {
                Some((msg, routes)) => self.notifier.send(msg, routes).await,
                None => Vec::new(),
            }
        };
        let (mut out, sent) = futures::join!(futures::future::join_all(replies), sent);
        out.extend(sent);
        out
    }

    fn report(&self, ctx: &Context, deliveries: &[Delivery]) -> Result<()> {
        report_failures(ctx, deliveries)
    }
}

fn slack_bot_ref(refs: &[MessageRef]) -> Option<(String, String)> {
    refs.iter().find_map(|r| match r {
        MessageRef::SlackBot { channel, ts } => Some((channel.clone(), ts.clone())),
        _ => None,
    })
}

/// The Slack bot message recorded in a payload (from `messages`, else the
/// `slack_channel`/`slack_ts` fields).
pub(crate) fn payload_slack(p: &DeployPayload) -> Option<(String, String)> {
    slack_bot_ref(&parse_refs(&p.messages))
        .or_else(|| Some((p.slack_channel.clone()?, p.slack_ts.clone()?)))
}
