//! `obsctl deploy start` / `deploy finish`.
//!
//! No local state: `start` stores what `finish` needs (version, start time,
//! actor, run URL, message references) in the GitHub deployment's payload,
//! and `finish` finds the deployment again by id or by SHA + environment.
//!
//! Critical paths (sequential round trips):
//! - start: message → create deployment → status `in_progress` (3), with the
//!   Sentry release ensured concurrently;
//! - finish: look the deployment up (1), then concurrently the final status
//!   with the list of earlier statuses, the Sentry deploy (list, create) and
//!   the message update (2); replies and cross-posts that must not be
//!   repeated wait for the earlier statuses (still 3 in all).

use anyhow::{Context as _, Result, anyhow};
use chrono::Utc;
use serde::Serialize;
use serde_json::{Value, json};

use crate::cli::{DeployFinishArgs, DeployStartArgs};
use crate::context::{Context, UsageError, parse_url, usage};
use crate::deploy::{self, DeployInfo, FinishNote, Outcome};
use crate::git::Git;
use crate::http::HttpError;
use crate::message::{Route, Severity};
use crate::notify::{Delivery, MessageRef, Notifier, report_failures};
use crate::providers::github::GitHub;
use crate::providers::github::deployments::{
    DeployPayload, Deployment, DeploymentStatus, NewDeployment, NewStatus, newest_obsctl,
};
use crate::providers::sentry::Sentry;
use crate::providers::sentry::deploys::{DeployOutcome, NewSentryDeploy, SentryDeploy};
use crate::text::{self, truncate_chars as truncate};

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

// ---------------------------------------------------------------- start

pub async fn start(args: DeployStartArgs, ctx: &Context) -> Result<()> {
    let environment = deploy::validate_environment(&args.environment)?;
    if args.task.trim().is_empty() {
        return usage("--task is empty: name the task (default `deploy`)");
    }
    let env_url = url_arg(args.url.as_deref())?;
    let github = github_client(ctx, "deploy start")?;
    let sentry = sentry_client(ctx)?;
    let sha = resolve_sha(ctx)?;
    let version = match args.version.as_deref() {
        Some(v) => deploy::validate_version(v)?,
        None => default_version(ctx, &sha)?,
    };
    let started = Utc::now();
    let started_at = text::rfc3339(started);
    let mut info = deploy_info(
        ctx,
        github.as_ref(),
        &environment,
        &version,
        &sha,
        env_url.clone(),
    );
    info.started_at = Some(started_at.clone());
    let messenger = Messenger::new(ctx)?;

    let sentry_fut = async {
        match &sentry {
            Some(s) => Some(s.ensure_release_for_deploy(&version).await),
            None => None,
        }
    };
    let github_fut = async {
        // The message goes first so that its reference rides in the payload.
        let posted = messenger.start(&info).await;
        let payload = DeployPayload {
            obsctl: 1,
            version: version.clone(),
            started_at: started_at.clone(),
            actor: info.actor.clone(),
            run_url: info.run_url.clone(),
            url: env_url.clone(),
            slack_channel: posted.slack.as_ref().map(|s| s.0.clone()),
            slack_ts: posted.slack.as_ref().map(|s| s.1.clone()),
            messages: posted.refs.clone(),
        };
        let Some(gh) = &github else {
            return (posted, None, Ok(()));
        };
        let new = NewDeployment {
            sha: sha.clone(),
            task: args.task.clone(),
            auto_merge: false,
            required_contexts: vec![],
            environment: environment.clone(),
            production_environment: info.production,
            transient_environment: args.transient,
            description: args
                .description
                .clone()
                .unwrap_or_else(|| format!("Deploy {version} to {environment} with obsctl")),
            payload,
        };
        let deployment = match gh.create_deployment(&new).await {
            Ok(d) => d,
            Err(e) => return (posted, None, Err(e)),
        };
        let status = NewStatus {
            state: "in_progress".into(),
            log_url: info.run_url.clone(),
            environment_url: None,
            description: format!("Deploying {version} to {environment}"),
            // Earlier deployments stay active until this one succeeds.
            auto_inactive: false,
        };
        let result = gh
            .create_deployment_status(deployment.id, &status)
            .await
            .map(|_| ());
        (posted, Some(deployment), result)
    };
    let (sentry_result, (posted, deployment, github_result)) = tokio::join!(sentry_fut, github_fut);

    let outputs = Outputs {
        deployment_id: deployment.as_ref().map(|d| d.id),
        version: version.clone(),
        sha: sha.clone(),
        started_at: started_at.clone(),
        environment: environment.clone(),
        slack_channel: posted.slack.as_ref().map(|s| s.0.clone()),
        slack_ts: posted.slack.as_ref().map(|s| s.1.clone()),
        sentry: Some(sentry_word(&sentry_result).into()),
        ..Outputs::default()
    };
    // Outputs first: even after a failed status, finish can use the id.
    outputs.write(ctx)?;

    if let Err(e) = github_result {
        if deployment.is_none() {
            messenger.start_failed(&posted, &info, &e.to_string()).await;
        }
        return Err(anyhow!(e).context(match &deployment {
            Some(d) => format!(
                "GitHub deployment {} was created but its `in_progress` status was not",
                d.id
            ),
            None => "the GitHub deployment was not recorded".to_string(),
        }));
    }
    provider_failures(ctx, "ensuring the Sentry release", sentry_result)?;
    messenger.report(ctx, &posted.deliveries)?;

    let text = match outputs.deployment_id {
        Some(id) => format!(
            "Deployment {id} started: {version} ({}) to {environment} (started {started_at})",
            text::short_sha(&sha)
        ),
        None => format!(
            "Deploy of {version} ({}) to {environment} started (no GitHub deployment: --no-github)",
            text::short_sha(&sha)
        ),
    };
    finish_output(ctx, &text, &outputs);
    if !ctx.dry_run {
        let _ = ctx.write_summary(&format!(
            "### Deploy started\n\n`{version}` to **{environment}** at {started_at}\n"
        ));
    }
    Ok(())
}

// --------------------------------------------------------------- finish

pub async fn finish(mut args: DeployFinishArgs, ctx: &Context) -> Result<()> {
    let environment = deploy::validate_environment(&args.environment)?;
    // A mention that cannot be sent would be dropped silently from the
    // failure message: refuse it before anything is recorded. Blank entries
    // (`OBSCTL_DEPLOY_MENTIONS="U1, ,U2"`) count as absent.
    args.mentions.retain(|m| !m.trim().is_empty());
    for m in &args.mentions {
        if crate::message::escape::Mention::parse(m).is_none() {
            return usage(format!(
                "--mention {m:?} (or OBSCTL_DEPLOY_MENTIONS): expected a Slack user (U…/W…) or \
                 group (S…) id, or a Discord user:ID (or ID) or role:ID"
            ));
        }
    }
    if args.deployment_id == Some(0) {
        return usage(
            "--deployment-id 0 is not a deployment id: pass the `deployment_id` output of `deploy start`",
        );
    }
    let outcome = Outcome::from(args.status);
    let arg_url = url_arg(args.url.as_deref())?;
    let github = github_client(ctx, "deploy finish")?;
    let sentry = sentry_client(ctx)?;
    let messenger = Messenger::new(ctx)?;
    let finished = Utc::now();
    let finished_at = text::rfc3339(finished);

    // 1. Find the deployment (and, by id, its earlier statuses at once).
    //    On success, the Sentry deploys of the version this commit would
    //    get are listed at the same time: when the deployment's payload
    //    confirms that version, recording the Sentry deploy is one round
    //    trip instead of two (finish stays at 2 sequential round trips).
    let mut earlier: Option<Vec<DeploymentStatus>> = None;
    let mut sentry_listed: Option<(String, Result<Vec<SentryDeploy>, HttpError>)> = None;
    let deployment: Option<Deployment> = match (&github, args.deployment_id) {
        (None, _) => None,
        (Some(gh), Some(id)) => {
            let guess = match (&sentry, outcome) {
                (Some(_), Outcome::Success) => resolve_sha(ctx)
                    .and_then(|sha| default_version(ctx, &sha))
                    .ok(),
                _ => None,
            };
            let prefetch = async {
                match (&sentry, &guess) {
                    (Some(s), Some(v)) => Some((v.clone(), s.list_deploys(v).await)),
                    _ => None,
                }
            };
            let (d, s, listed) = tokio::join!(
                gh.get_deployment(id),
                gh.list_deployment_statuses(id),
                prefetch
            );
            sentry_listed = listed;
            let d = d.context("finding the GitHub deployment")?;
            earlier = Some(s.context("reading the GitHub deployment's statuses")?);
            if d.environment != environment && !d.environment.is_empty() {
                ctx.ui.warn(&format!(
                    "deployment {id} is for environment {:?}, not {environment:?}; finishing it anyway",
                    d.environment
                ));
            }
            Some(d)
        }
        (Some(gh), None) => {
            let sha = resolve_sha(ctx)?;
            let list = gh
                .list_deployments(&sha, &environment)
                .await
                .context("finding the GitHub deployment")?;
            match newest_obsctl(&list) {
                Some(d) => Some(d.clone()),
                None if ctx.dry_run => Some(placeholder_deployment(&sha, &environment)),
                None => {
                    return Err(anyhow!(
                        "GitHub: no deployment made by obsctl for commit {} in environment \
                         {environment:?} in {}: run `obsctl deploy start --environment \
                         {environment}` first (same commit), or pass --deployment-id",
                        text::short_sha(&sha),
                        gh.config().repo
                    ));
                }
            }
        }
    };
    let payload = deployment.as_ref().and_then(Deployment::obsctl_payload);
    let sha = match &deployment {
        Some(d) if !d.sha.is_empty() => d.sha.clone(),
        _ => resolve_sha(ctx)?,
    };
    let version = match &payload {
        Some(p) => p.version.clone(),
        None => default_version(ctx, &sha)?,
    };
    let started_at = payload
        .as_ref()
        .map(|p| p.started_at.clone())
        .or_else(|| deployment.as_ref().and_then(|d| d.created_at.clone()));
    let duration = started_at
        .as_deref()
        .and_then(text::parse_rfc3339)
        .map(|s| text::duration_secs(s, finished));
    let env_url = arg_url.or_else(|| payload.as_ref().and_then(|p| p.url.clone()));
    let mut info = deploy_info(
        ctx,
        github.as_ref(),
        &environment,
        &version,
        &sha,
        env_url.clone(),
    );
    info.deployment_id = deployment.as_ref().map(|d| d.id);
    if let Some(p) = &payload {
        // What start saw wins: finish may run in another job or on a laptop.
        info.actor = p.actor.clone().or(info.actor);
        info.run_url = run_url(ctx).or_else(|| p.run_url.clone());
    }
    let refs: Vec<Value> = payload
        .as_ref()
        .map(|p| p.messages.clone())
        .unwrap_or_default();
    info.started_at = started_at.clone();
    let finish_note = FinishNote {
        outcome,
        duration,
        finished_at: finished_at.clone(),
        mentions: args.mentions.clone(),
    };

    // 2. Concurrently: GitHub final status (+ earlier statuses), Sentry
    //    deploy, the message update; then what must not be repeated.
    let github_fut = async {
        let (Some(gh), Some(d)) = (&github, &deployment) else {
            return (Ok(()), false);
        };
        let status = NewStatus {
            state: outcome.github_state().into(),
            log_url: info.run_url.clone(),
            environment_url: if outcome == Outcome::Success {
                env_url.clone()
            } else {
                None
            },
            description: status_description(outcome, &version, &environment, duration),
            // A success makes earlier (non-production) deployments inactive.
            auto_inactive: outcome == Outcome::Success,
        };
        let (created, listed) = match &earlier {
            Some(list) => (
                gh.create_deployment_status(d.id, &status).await,
                Ok(list.clone()),
            ),
            None => tokio::join!(
                gh.create_deployment_status(d.id, &status),
                gh.list_deployment_statuses(d.id)
            ),
        };
        let created = match created {
            Ok(s) => s,
            Err(e) => return (Err(e), false),
        };
        let already = match listed {
            Ok(list) => list.iter().any(|s| {
                s.id != created.id
                    && s.state == outcome.github_state().as_str()
                    && deploy::is_final_state(&s.state)
            }),
            Err(e) => return (Err(e), false),
        };
        (Ok(()), already)
    };
    let github_then_notes = async {
        let (result, already) = github_fut.await;
        let notes = if result.is_ok() && !already {
            messenger.finish_once(&refs, &info, &finish_note).await
        } else {
            Vec::new()
        };
        (result, already, notes)
    };
    let sentry_fut = async {
        if outcome != Outcome::Success {
            return None;
        }
        let s = sentry.as_ref()?;
        let new = NewSentryDeploy {
            environment: environment.clone(),
            name: deployment
                .as_ref()
                .map(|d| deploy::sentry_deploy_name(&environment, d.id)),
            url: info.run_url.clone().or_else(|| env_url.clone()),
            date_started: started_at.clone(),
            date_finished: finished_at.clone(),
            projects: s.config().projects.clone(),
        };
        Some(match sentry_listed {
            Some((listed_version, listed)) if listed_version == version => {
                s.ensure_deploy_listed(&version, &new, listed).await
            }
            _ => s.ensure_deploy(&version, &new).await,
        })
    };
    let update_fut = messenger.finish_update(&refs, &info, &finish_note);
    let ((github_result, already, once_notes), sentry_result, updated) =
        tokio::join!(github_then_notes, sentry_fut, update_fut);

    let outputs = Outputs {
        deployment_id: deployment.as_ref().map(|d| d.id),
        version: version.clone(),
        sha: sha.clone(),
        started_at: started_at.clone().unwrap_or_default(),
        environment: environment.clone(),
        slack_channel: payload.as_ref().and_then(payload_slack).map(|s| s.0),
        slack_ts: payload.as_ref().and_then(payload_slack).map(|s| s.1),
        status: Some(outcome.as_str()),
        finished_at: Some(finished_at.clone()),
        duration_seconds: duration,
        sentry: Some(match &sentry_result {
            None => "skipped".into(),
            Some(Ok(DeployOutcome::Created(_))) => "created".into(),
            Some(Ok(DeployOutcome::Existed(_))) => "existed".into(),
            Some(Err(_)) => "failed".into(),
        }),
        already_finished: Some(already),
    };
    outputs.write(ctx)?;
    if let Err(e) = github_result {
        return Err(anyhow!(e).context(format!(
            "recording the `{}` status of the GitHub deployment",
            outcome.github_state()
        )));
    }
    provider_failures(
        ctx,
        "recording the Sentry deploy",
        sentry_result.map(|r| r.map(|_| ())),
    )?;
    let mut failures = updated;
    failures.extend(once_notes);
    messenger.report(ctx, &failures)?;

    let duration_text = duration
        .map(|d| format!(" in {}", text::human_duration(d)))
        .unwrap_or_default();
    let id_text = deployment
        .as_ref()
        .map(|d| format!("Deployment {}", d.id))
        .unwrap_or_else(|| "Deploy".into());
    let mut text = format!(
        "{id_text} of {version} to {environment} {}{duration_text}",
        outcome.verb()
    );
    if already {
        text.push_str(" (already recorded by an earlier run: nothing posted twice)");
    }
    finish_output(ctx, &text, &outputs);
    if !ctx.dry_run {
        let _ = ctx.write_summary(&format!(
            "### Deploy {}\n\n`{version}` to **{environment}**{duration_text}\n",
            outcome.as_str()
        ));
    }
    Ok(())
}

fn status_description(
    outcome: Outcome,
    version: &str,
    environment: &str,
    duration: Option<i64>,
) -> String {
    let mut d = format!("Deploy of {version} to {environment} {}", outcome.verb());
    if let Some(secs) = duration {
        d.push_str(&format!(" in {}", text::human_duration(secs)));
    }
    d
}

/// The placeholder `--dry-run` finishes when nothing was looked up.
fn placeholder_deployment(sha: &str, environment: &str) -> Deployment {
    Deployment {
        id: 0,
        sha: sha.to_string(),
        git_ref: sha.to_string(),
        environment: environment.to_string(),
        payload: Value::Null,
        description: None,
        created_at: None,
        production_environment: None,
    }
}

// -------------------------------------------------------------- helpers

/// GitHub is the primary record: required unless `--no-github`.
fn github_client(ctx: &Context, command: &str) -> Result<Option<GitHub>> {
    match ctx.github()? {
        Some(cfg) => Ok(Some(GitHub::new(ctx.http.clone(), cfg))),
        None if ctx.providers().github_token.is_some() => Ok(None), // --no-github
        None => usage(format!(
            "{command}: the GitHub deployment is the primary record: set GITHUB_TOKEN (with \
             `deployments: write`), or pass --no-github to only notify and record the Sentry deploy"
        )),
    }
}

fn sentry_client(ctx: &Context) -> Result<Option<Sentry>> {
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
fn url_arg(url: Option<&str>) -> Result<Option<String>> {
    url.map(|u| parse_url("--url", u).map(|u| u.to_string()))
        .transpose()
}

/// The commit: `--sha` / the CI's, else HEAD of the local repository.
fn resolve_sha(ctx: &Context) -> Result<String> {
    let Some(sha) = &ctx.ci.sha else {
        return Git::open(&ctx.repo_path)
            .and_then(|git| git.head_sha())
            .context("no commit to deploy (GITHUB_SHA, CI_COMMIT_SHA or --sha)");
    };
    if text::is_full_sha(sha) {
        return Ok(sha.to_ascii_lowercase());
    }
    if !sha.chars().all(|c| c.is_ascii_hexdigit()) || sha.len() < 7 {
        return usage(format!("--sha {sha:?} is not a commit SHA"));
    }
    // A deployment is of an exact commit: expand a short SHA locally.
    match Git::open(&ctx.repo_path)
        .ok()
        .and_then(|git| git.resolve(sha).ok())
    {
        Some(full) => Ok(full),
        None => usage(format!(
            "--sha {sha:?} is abbreviated and the local repository cannot expand it: \
             pass the full 40-character SHA"
        )),
    }
}

/// The version when none is given: the tag at the commit (chosen as
/// `release create` does), else the short SHA.
fn default_version(ctx: &Context, sha: &str) -> Result<String> {
    let tags_here = Git::open(&ctx.repo_path)
        .ok()
        .and_then(|git| git.tags_at(sha, None).ok())
        .unwrap_or_default();
    match crate::release::choose_tag(&tags_here, ctx.ci.tag.as_deref(), None) {
        Some(t) => deploy::validate_version(&t).map_err(|e| {
            anyhow!(UsageError(format!(
                "the tag at the commit cannot be a Sentry version ({e}); pass --version"
            )))
        }),
        None => Ok(text::short_sha(sha).to_string()),
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

fn parse_refs(refs: &[Value]) -> Vec<MessageRef> {
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
    async fn start(&self, info: &DeployInfo) -> Posted {
        if self.notifier.is_empty() {
            return Posted::default();
        }
        let deliveries = self
            .notifier
            .send(&info.start_message(), &[Route::Deployments])
            .await;
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

    /// The GitHub deployment could not be recorded: say so in the message
    /// that already announced it (updatable messages only).
    async fn start_failed(&self, posted: &Posted, info: &DeployInfo, error: &str) {
        let mut msg = info.start_message();
        msg.title = format!(
            "Deploy of {} to {}: not recorded",
            info.version, info.environment
        );
        msg.fields.retain(|(k, _)| k != "Status");
        msg.fields
            .push(("Status".into(), "GitHub deployment not recorded".into()));
        msg.context = vec![truncate(error, 300)];
        msg.severity = Severity::Warning;
        msg.color = None;
        for r in parse_refs(&posted.refs) {
            if !matches!(r, MessageRef::SlackWebhook { .. }) {
                let _ = self.notifier.update(&r, &msg).await;
            }
        }
    }

    /// Update the start messages in place (safe to repeat): Slack bot and
    /// Discord messages. Webhook messages cannot be updated: see
    /// [`Messenger::finish_once`].
    async fn finish_update(
        &self,
        refs: &[Value],
        info: &DeployInfo,
        note: &FinishNote,
    ) -> Vec<Delivery> {
        let msg = info.finish_message(note);
        let updates = parse_refs(refs)
            .into_iter()
            .filter(|r| !matches!(r, MessageRef::SlackWebhook { .. }))
            .map(|r| {
                let msg = msg.clone();
                async move { self.notifier.update(&r, &msg).await }
            });
        futures::future::join_all(updates).await
    }

    /// Messages that must be sent once (skipped when an earlier finish
    /// already recorded this outcome): the failure reply in the thread, the
    /// #incidents cross-post for production, and the second message where
    /// the first cannot be updated (webhooks, or no start message).
    async fn finish_once(
        &self,
        refs: &[Value],
        info: &DeployInfo,
        note: &FinishNote,
    ) -> Vec<Delivery> {
        if self.notifier.is_empty() {
            return Vec::new();
        }
        let refs = parse_refs(refs);
        let bad = note.outcome.is_bad();
        let incidents = bad && info.production;
        let updatable = refs
            .iter()
            .any(|r| !matches!(r, MessageRef::SlackWebhook { .. }));
        let mut out = Vec::new();
        let replies = refs
            .iter()
            .filter(|r| bad && !matches!(r, MessageRef::SlackWebhook { .. }))
            .map(|r| {
                let msg = info.failure_reply(note);
                async move { self.notifier.reply(r, &msg).await }
            });
        let new_messages = async {
            if updatable {
                if incidents {
                    return self
                        .notifier
                        .send(&info.incident_message(note), &[Route::Incidents])
                        .await;
                }
                return Vec::new();
            }
            // Nothing to update: one new message, to #incidents as well
            // for a production failure (the same destination gets one).
            let mut routes = vec![Route::Deployments];
            if incidents {
                routes.push(Route::Incidents);
            }
            let msg = if bad {
                info.incident_message(note)
            } else {
                info.finish_message(note)
            };
            self.notifier.send(&msg, &routes).await
        };
        let (replied, sent) = futures::join!(futures::future::join_all(replies), new_messages);
        out.extend(replied);
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
fn payload_slack(p: &DeployPayload) -> Option<(String, String)> {
    slack_bot_ref(&parse_refs(&p.messages))
        .or_else(|| Some((p.slack_channel.clone()?, p.slack_ts.clone()?)))
}
