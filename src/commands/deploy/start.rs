//! `obsctl deploy start`: record that a deployment started — the GitHub
//! Deployment (in_progress), the Sentry release, one Slack/Discord message
//! that `deploy finish` later updates in place.
//!
//! Resolved options → [`deploy::StartPlan`] (core, unit-tested) → execute.

use super::*;
use obsctl_core::deploy::{StartInputs, StartPlan};

/// The providers this run records to.
struct Clients {
    github: Option<GitHub>,
    sentry: Option<Sentry>,
}

pub async fn start(args: DeployStartArgs, ctx: &Context) -> Result<()> {
    let (plan, clients) = plan_start(&args, ctx)?;
    let messenger = Messenger::new(ctx)?;
    let sentry_fut = async {
        match (&clients.sentry, &plan.sentry_release) {
            (Some(s), Some(version)) => Some(s.ensure_release_for_deploy(version).await),
            _ => None,
        }
    };
    let (sentry_result, (posted, deployment, github_result)) = tokio::join!(
        sentry_fut,
        record_deployment(&messenger, clients.github.as_ref(), &plan)
    );
    let info = &plan.info;
    let outputs = Outputs {
        // Under --dry-run nothing was created: GitHub assigns the id.
        deployment_id: deployment.as_ref().map(|d| d.id).filter(|_| !ctx.dry_run),
        version: info.version.clone(),
        sha: info.sha.clone(),
        started_at: info.started_at.clone().unwrap_or_default(),
        environment: info.environment.clone(),
        // Nor was a Slack message posted: Slack assigns its channel id and ts.
        slack_channel: posted
            .slack
            .as_ref()
            .map(|s| s.0.clone())
            .filter(|_| !ctx.dry_run),
        slack_ts: posted
            .slack
            .as_ref()
            .map(|s| s.1.clone())
            .filter(|_| !ctx.dry_run),
        sentry: Some(sentry_word(&sentry_result).into()),
        ..Outputs::default()
    };
    // Outputs first: even after a failed status, finish can use the id.
    outputs.write(ctx)?;

    if let Err(e) = github_result {
        // The other records failed too? Say so before the error (warnings,
        // also under --strict: the GitHub error is what fails the command).
        if let Some(Err(se)) = &sentry_result {
            ctx.ui
                .warn(&format!("ensuring the Sentry release failed too: {se}"));
        }
        for d in posted.deliveries.iter().filter(|d| !d.ok) {
            let why = d.error.as_deref().unwrap_or("unknown error");
            ctx.ui
                .warn(&format!("notification to {} failed too: {why}", d.target));
        }
        if deployment.is_none() {
            let edits = plan.not_recorded(&parse_refs(&posted.refs), &e.to_string());
            messenger.update_all(&edits).await;
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

    finish_output(
        ctx,
        &plan.result_text(outputs.deployment_id, ctx.dry_run),
        &outputs,
    );
    if !ctx.dry_run {
        let _ = ctx.write_summary(&plan.summary());
    }
    Ok(())
}

/// Resolve the options (bad input is exit 2 before anything is sent) and
/// plan the deploy.
fn plan_start(args: &DeployStartArgs, ctx: &Context) -> Result<(StartPlan, Clients)> {
    if args.task.trim().is_empty() {
        return usage("--task is empty: name the task (default `deploy`)");
    }
    let env_url = url_arg(args.url.as_deref())?;
    let github = github_client(ctx, "deploy start")?;
    let sentry = sentry_client(ctx)?;
    // Each provider's naming rules apply only where it is used.
    let rules = name_rules(github.as_ref(), sentry.as_ref());
    let environment = deploy::validate_environment_for(&args.environment, rules)?;
    let sha = resolve_sha(ctx)?;
    let version = match args.version.as_deref() {
        Some(v) => deploy::validate_version_for(v, rules)?,
        None => default_version_for(ctx, &sha, rules)?,
    };
    let mut info = deploy_info(ctx, github.as_ref(), &environment, &version, &sha, env_url);
    info.started_at = Some(text::rfc3339(Utc::now()));
    let plan = StartPlan::new(StartInputs {
        info,
        task: args.task.clone(),
        description: args.description.clone(),
        transient: args.transient,
        github: github.is_some(),
        sentry: sentry.is_some(),
    });
    Ok((plan, Clients { github, sentry }))
}

/// The message first (its reference rides in the payload), then the
/// deployment and its `in_progress` status.
async fn record_deployment(
    messenger: &Messenger,
    github: Option<&GitHub>,
    plan: &StartPlan,
) -> (Posted, Option<Deployment>, Result<(), HttpError>) {
    let posted = messenger.start(&plan.message).await;
    let (Some(gh), Some(new)) = (github, &plan.deployment) else {
        return (posted, None, Ok(()));
    };
    let info = &plan.info;
    let payload = DeployPayload {
        obsctl: 1,
        version: info.version.clone(),
        started_at: info.started_at.clone().unwrap_or_default(),
        actor: info.actor.clone(),
        run_url: info.run_url.clone(),
        url: info.env_url.clone(),
        slack_channel: posted.slack.as_ref().map(|s| s.0.clone()),
        slack_ts: posted.slack.as_ref().map(|s| s.1.clone()),
        messages: posted.refs.clone(),
    };
    let request = NewDeployment {
        sha: new.sha.clone(),
        task: new.task.clone(),
        // Never let GitHub merge the default branch in (a 409 in CI).
        auto_merge: false,
        required_contexts: vec![],
        environment: new.environment.clone(),
        production_environment: new.production_environment,
        transient_environment: new.transient_environment,
        description: new.description.clone(),
        payload,
    };
    let deployment = match gh.create_deployment(&request).await {
        Ok(d) => d,
        Err(e) => return (posted, None, Err(e)),
    };
    let result = gh
        .create_deployment_status(deployment.id, &new_status(&plan.in_progress))
        .await
        .map(|_| ());
    (posted, Some(deployment), result)
}
