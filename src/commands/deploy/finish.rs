//! `obsctl deploy finish`: record how a deployment ended — the final
//! GitHub status, the Sentry deploy on success, the start message updated
//! (and a thread reply / #incidents cross-post on a production failure).

use super::*;
// --------------------------------------------------------------- finish

pub async fn finish(mut args: DeployFinishArgs, ctx: &Context) -> Result<()> {
    check_finish_args(&mut args)?;
    let outcome = Outcome::from(args.status);
    let arg_url = url_arg(args.url.as_deref())?;
    let github = github_client(ctx, "deploy finish")?;
    let sentry = sentry_client(ctx)?;
    let rules = name_rules(github.as_ref(), sentry.as_ref());
    let environment = deploy::validate_environment_for(&args.environment, rules)?;
    let messenger = Messenger::new(ctx)?;
    let finished = Utc::now();
    let finished_at = text::rfc3339(finished);

    // 1. Find the deployment (and, by id, its earlier statuses at once;
    //    found by SHA, they are read in step 2).
    //    On success, the Sentry deploys of the version this commit would
    //    get are listed at the same time: when the deployment's payload
    //    confirms that version, recording the Sentry deploy is one round
    //    trip instead of two (finish stays at 2 sequential round trips).
    let Found {
        deployment,
        earlier,
        sentry_listed,
    } = find_deployment(
        ctx,
        github.as_ref(),
        sentry.as_ref(),
        args.deployment_id,
        &environment,
        outcome,
    )
    .await?;
    let payload = deployment.as_ref().and_then(Deployment::obsctl_payload);
    let sha = match &deployment {
        Some(d) if !d.sha.is_empty() => d.sha.clone(),
        _ => resolve_sha(ctx)?,
    };
    let version = match &payload {
        Some(p) => p.version.clone(),
        None => default_version_for(ctx, &sha, rules)?,
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
        let status = final_status(&info, outcome, env_url.clone(), duration);
        let (created, listed) = match &earlier {
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
        // A dry run's stand-in deployment has no id of GitHub's.
        deployment_id: deployment
            .as_ref()
            .map(|d| d.id)
            .filter(|id| *id != DRY_RUN_ID),
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
    finish_output(ctx, &finished_text(&outputs, outcome, already), &outputs);
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

/// What step 1 of finish found.
struct Found {
    deployment: Option<Deployment>,
    /// The deployment's statuses, when it was found by id (read at once).
    earlier: Option<Vec<DeploymentStatus>>,
    /// The Sentry deploys of the version this commit would get, listed
    /// concurrently on success: (version, answer).
    sentry_listed: Option<(String, Result<Vec<SentryDeploy>, HttpError>)>,
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
/// (finish stays at 2 sequential round trips).
async fn find_deployment(
    ctx: &Context,
    github: Option<&GitHub>,
    sentry: Option<&Sentry>,
    deployment_id: Option<u64>,
    environment: &str,
    outcome: Outcome,
) -> Result<Found> {
    let mut earlier: Option<Vec<DeploymentStatus>> = None;
    let mut sentry_listed: Option<(String, Result<Vec<SentryDeploy>, HttpError>)> = None;
    // On success, the Sentry deploys of the version this commit would get
    // are listed alongside the lookup (by id or by SHA): finish stays at 2
    // sequential round trips either way.
    let guess = match (sentry, outcome) {
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
    let deployment: Option<Deployment> = match (github, deployment_id) {
        (None, _) => None,
        (Some(gh), Some(id)) => {
            let (d, s, listed) = tokio::join!(
                gh.get_deployment(id),
                gh.list_deployment_statuses(id),
                prefetch
            );
            sentry_listed = listed;
            let d = d.context("finding the GitHub deployment")?;
            earlier = Some(s.context("reading the GitHub deployment's statuses")?);
            if d.environment != *environment && !d.environment.is_empty() {
                ctx.ui.warn(&format!(
                    "deployment {id} is for environment {:?}, not {environment:?}; finishing it anyway",
                    d.environment
                ));
            }
            Some(d)
        }
        (Some(gh), None) => {
            let sha = resolve_sha(ctx)?;
            let (list, listed) = tokio::join!(gh.list_deployments(&sha, environment), prefetch);
            sentry_listed = listed;
            let list = list.context("finding the GitHub deployment")?;
            match newest_obsctl(&list) {
                Some(d) => Some(d.clone()),
                None if ctx.dry_run => Some(placeholder_deployment(&sha, environment)),
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
    Ok(Found {
        deployment,
        earlier,
        sentry_listed,
    })
}

/// The final GitHub status: the run as log, the environment URL on
/// success only; a success makes earlier (non-production) deployments
/// inactive.
fn final_status(
    info: &DeployInfo,
    outcome: Outcome,
    env_url: Option<String>,
    duration: Option<i64>,
) -> NewStatus {
    let success = outcome == Outcome::Success;
    NewStatus {
        state: outcome.github_state().into(),
        log_url: info.run_url.clone(),
        environment_url: if success { env_url } else { None },
        description: status_description(outcome, &info.version, &info.environment, duration),
        auto_inactive: success,
    }
}

/// The line `deploy finish` prints.
fn finished_text(o: &Outputs, outcome: Outcome, already: bool) -> String {
    let duration_text = o
        .duration_seconds
        .map(|d| format!(" in {}", text::human_duration(d)))
        .unwrap_or_default();
    let id_text = o
        .deployment_id
        .map(|id| format!("Deployment {id}"))
        .unwrap_or_else(|| "Deploy".into());
    let mut text = format!(
        "{id_text} of {} to {} {}{duration_text}",
        o.version,
        o.environment,
        outcome.verb()
    );
    if already {
        text.push_str(" (already recorded by an earlier run: nothing posted twice)");
    }
    text
}
