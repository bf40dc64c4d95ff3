//! `obsctl deploy finish`: record how a deployment ended — the final
//! GitHub status, the Sentry deploy on success, the start message updated
//! (and a thread reply / #incidents cross-post on a production failure).

use super::*;
use obsctl_core::deploy::{FinishInputs, FinishPlan, FoundDeployment, StartRecord};

/// `deploy finish`'s flags, resolved and checked.
struct Options {
    outcome: Outcome,
    url: Option<String>,
    environment: String,
    rules: deploy::NameRules,
    mentions: Vec<String>,
    deployment_id: Option<u64>,
    github: Option<GitHub>,
    sentry: Option<Sentry>,
}

/// What executing the plan came to.
struct Done {
    github: Result<(), HttpError>,
    /// An earlier run already recorded this outcome: nothing posted twice.
    already: bool,
    sentry: Option<Result<DeployOutcome, HttpError>>,
    deliveries: Vec<Delivery>,
}

pub async fn finish(args: DeployFinishArgs, ctx: &Context) -> Result<()> {
    let opts = resolve(args, ctx)?;
    let messenger = Messenger::new(ctx)?;
    let finished = Utc::now();
    // 1. Find the deployment (see `find_deployment`), 2. plan, 3. execute.
    let mut found = find_deployment(ctx, &opts).await?;
    let plan = plan_finish(ctx, &opts, &found, finished)?;
    let listed = found.sentry_listed.take();
    let done = execute(&opts, &messenger, &found, listed, &plan).await;
    let info = &plan.info;
    let payload = found
        .deployment
        .as_ref()
        .and_then(Deployment::obsctl_payload);
    let outputs = Outputs {
        deployment_id: info.deployment_id,
        version: info.version.clone(),
        sha: info.sha.clone(),
        started_at: info.started_at.clone().unwrap_or_default(),
        environment: info.environment.clone(),
        slack_channel: payload.as_ref().and_then(payload_slack).map(|s| s.0),
        slack_ts: payload.as_ref().and_then(payload_slack).map(|s| s.1),
        status: Some(opts.outcome.as_str()),
        finished_at: Some(plan.note.finished_at.clone()),
        duration_seconds: plan.note.duration,
        sentry: Some(match &done.sentry {
            None => "skipped".into(),
            Some(Ok(DeployOutcome::Created(_))) => "created".into(),
            Some(Ok(DeployOutcome::Existed(_))) => "existed".into(),
            Some(Err(_)) => "failed".into(),
        }),
        already_finished: Some(done.already),
    };
    outputs.write(ctx)?;
    if let Err(e) = done.github {
        return Err(anyhow!(e).context(format!(
            "recording the `{}` status of the GitHub deployment",
            opts.outcome.github_state()
        )));
    }
    provider_failures(
        ctx,
        "recording the Sentry deploy",
        done.sentry.map(|r| r.map(|_| ())),
    )?;
    messenger.report(ctx, &done.deliveries)?;
    finish_output(ctx, &plan.result_text(done.already), &outputs);
    if !ctx.dry_run {
        let _ = ctx.write_summary(&plan.summary());
    }
    Ok(())
}

/// Flags and providers, checked before anything is sent (exit 2).
fn resolve(mut args: DeployFinishArgs, ctx: &Context) -> Result<Options> {
    check_finish_args(&mut args)?;
    let outcome = Outcome::from(args.status);
    let url = url_arg(args.url.as_deref())?;
    let github = github_client(ctx, "deploy finish")?;
    let sentry = sentry_client(ctx)?;
    let rules = name_rules(github.as_ref(), sentry.as_ref());
    let environment = deploy::validate_environment_for(&args.environment, rules)?;
    Ok(Options {
        outcome,
        url,
        environment,
        rules,
        mentions: args.mentions,
        deployment_id: args.deployment_id,
        github,
        sentry,
    })
}

/// The deploy as found and as known here → the core's [`FinishPlan`].
fn plan_finish(
    ctx: &Context,
    opts: &Options,
    found: &Found,
    finished: chrono::DateTime<Utc>,
) -> Result<FinishPlan> {
    let deployment = found.deployment.as_ref();
    let payload = deployment.and_then(Deployment::obsctl_payload);
    let sha = match deployment {
        Some(d) if !d.sha.is_empty() => d.sha.clone(),
        _ => resolve_sha(ctx)?,
    };
    let version = match &payload {
        Some(p) => p.version.clone(),
        None => default_version_for(ctx, &sha, opts.rules)?,
    };
    let info = deploy_info(
        ctx,
        opts.github.as_ref(),
        &opts.environment,
        &version,
        &sha,
        None,
    );
    let found = deployment.map(|d| FoundDeployment {
        // A dry run's stand-in has no id of GitHub's.
        id: Some(d.id).filter(|id| *id != DRY_RUN_ID),
        created_at: d.created_at.clone(),
        start: payload.map(|p| StartRecord {
            messages: parse_refs(&p.messages),
            version: p.version,
            started_at: p.started_at,
            actor: p.actor,
            run_url: p.run_url,
            url: p.url,
        }),
    });
    Ok(FinishPlan::new(FinishInputs {
        outcome: opts.outcome,
        info,
        url: opts.url.clone(),
        finished,
        mentions: opts.mentions.clone(),
        deployment: found,
        sentry: opts.sentry.is_some(),
    }))
}

/// Concurrently: the GitHub final status (with the earlier statuses, to
/// tell whether an earlier run already recorded this outcome) and then the
/// messages sent once; the Sentry deploy; the start messages updated.
async fn execute(
    opts: &Options,
    messenger: &Messenger,
    found: &Found,
    sentry_listed: SentryListed,
    plan: &FinishPlan,
) -> Done {
    let github_then_notes = async {
        let (result, already) = final_status(opts, found, plan).await;
        let notes = if result.is_ok() && !already {
            messenger.send_once(&plan.once).await
        } else {
            Vec::new()
        };
        (result, already, notes)
    };
    let sentry_fut = async {
        let (s, p) = (opts.sentry.as_ref()?, plan.sentry_deploy.as_ref()?);
        let version = &plan.info.version;
        let new = NewSentryDeploy {
            environment: p.environment.clone(),
            name: p.name.clone(),
            url: p.url.clone(),
            date_started: p.date_started.clone(),
            date_finished: p.date_finished.clone(),
            projects: s.config().projects.clone(),
        };
        Some(match sentry_listed {
            Some((listed_version, listed)) if listed_version == *version => {
                s.ensure_deploy_listed(version, &new, listed).await
            }
            _ => s.ensure_deploy(version, &new).await,
        })
    };
    let update_fut = messenger.update_all(&plan.updates);
    let ((github, already, once), sentry, mut deliveries) =
        tokio::join!(github_then_notes, sentry_fut, update_fut);
    deliveries.extend(once);
    Done {
        github,
        already,
        sentry,
        deliveries,
    }
}

/// Record the final status; `already`: GitHub had this outcome before.
async fn final_status(
    opts: &Options,
    found: &Found,
    plan: &FinishPlan,
) -> (Result<(), HttpError>, bool) {
    let (Some(gh), Some(d), Some(status)) = (&opts.github, &found.deployment, &plan.status) else {
        return (Ok(()), false);
    };
    let status = new_status(status);
    let (created, listed) = match &found.earlier {
        Some(list) => (
            gh.create_deployment_status(d.id, &status).await,
            Ok(list.clone()),
        ),
        // A dry run's stand-in deployment has no statuses to read.
        None if d.id == DRY_RUN_ID => (
            gh.create_deployment_status(d.id, &status).await,
            Ok(Vec::new()),
        ),
        None => tokio::join!(
            gh.create_deployment_status(d.id, &status),
            gh.list_deployment_statuses(d.id)
        ),
    };
    match (created, listed) {
        (Err(e), _) | (_, Err(e)) => (Err(e), false),
        (Ok(created), Ok(list)) => {
            let states = list.iter().map(|s| (s.id, s.state.as_str()));
            (Ok(()), plan.already_recorded(created.id, states))
        }
    }
}

/// The placeholder `--dry-run` finishes when nothing was looked up.
fn placeholder_deployment(sha: &str, environment: &str) -> Deployment {
    Deployment {
        id: DRY_RUN_ID,
        sha: sha.to_string(),
        git_ref: sha.to_string(),
        environment: environment.to_string(),
        payload: Value::Null,
        description: None,
        created_at: None,
        production_environment: None,
    }
}

/// The Sentry deploys of a version, listed ahead: (version, answer).
type SentryListed = Option<(String, Result<Vec<SentryDeploy>, HttpError>)>;

/// What step 1 of finish found.
struct Found {
    deployment: Option<Deployment>,
    /// The deployment's statuses, when it was found by id (read at once).
    earlier: Option<Vec<DeploymentStatus>>,
    /// The Sentry deploys of the version this commit would get, listed
    /// concurrently on success: (version, answer).
    sentry_listed: SentryListed,
}

/// `--mention` and `--deployment-id` checks: bad input before anything is
/// recorded.
fn check_finish_args(args: &mut DeployFinishArgs) -> Result<()> {
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
    Ok(())
}

/// Step 1: find the deployment (and, by id, its earlier statuses at once).
/// On success, the Sentry deploys of the version this commit would get are
/// listed at the same time: when the deployment's payload confirms that
/// version, recording the Sentry deploy is one round trip instead of two
/// (finish stays at 2 sequential round trips, by id or by SHA).
async fn find_deployment(ctx: &Context, opts: &Options) -> Result<Found> {
    let sentry = opts.sentry.as_ref();
    let guess = match (sentry, opts.outcome) {
        (Some(_), Outcome::Success) => resolve_sha(ctx)
            .and_then(|sha| default_version(ctx, &sha))
            .ok(),
        _ => None,
    };
    let prefetch = async {
        match (sentry, &guess) {
            (Some(s), Some(v)) => Some((v.clone(), s.list_deploys(v).await)),
            _ => None,
        }
    };
    match (&opts.github, opts.deployment_id) {
        // No deployment to confirm the version: Sentry lists on its own.
        (None, _) => Ok(Found {
            deployment: None,
            earlier: None,
            sentry_listed: None,
        }),
        (Some(gh), Some(id)) => by_id(ctx, gh, id, &opts.environment, prefetch).await,
        (Some(gh), None) => by_sha(ctx, gh, &opts.environment, prefetch).await,
    }
}

/// `--deployment-id`: the deployment and its statuses, concurrently.
async fn by_id(
    ctx: &Context,
    gh: &GitHub,
    id: u64,
    environment: &str,
    prefetch: impl std::future::Future<Output = SentryListed>,
) -> Result<Found> {
    let (d, s, sentry_listed) = tokio::join!(
        gh.get_deployment(id),
        gh.list_deployment_statuses(id),
        prefetch
    );
    let d = d.context("finding the GitHub deployment")?;
    let earlier = Some(s.context("reading the GitHub deployment's statuses")?);
    if d.environment != *environment && !d.environment.is_empty() {
        ctx.ui.warn(&format!(
            "deployment {id} is for environment {:?}, not {environment:?}; finishing it anyway",
            d.environment
        ));
    }
    Ok(Found {
        deployment: Some(d),
        earlier,
        sentry_listed,
    })
}

/// Without an id: the newest obsctl deployment of the commit in the
/// environment (a dry run goes on with a stand-in).
async fn by_sha(
    ctx: &Context,
    gh: &GitHub,
    environment: &str,
    prefetch: impl std::future::Future<Output = SentryListed>,
) -> Result<Found> {
    let sha = resolve_sha(ctx)?;
    let (list, sentry_listed) = tokio::join!(gh.list_deployments(&sha, environment), prefetch);
    let list = list.context("finding the GitHub deployment")?;
    let deployment = match newest_obsctl(&list) {
        Some(d) => d.clone(),
        None if ctx.dry_run => placeholder_deployment(&sha, environment),
        None => {
            return Err(anyhow!(
                "GitHub: no deployment made by obsctl for commit {} in environment \
                 {environment:?} in {}: run `obsctl deploy start --environment \
                 {environment}` first (same commit), or pass --deployment-id",
                text::short_sha(&sha),
                gh.config().repo
            ));
        }
    };
    Ok(Found {
        deployment: Some(deployment),
        earlier: None,
        sentry_listed,
    })
}
