//! `obsctl deploy start`: record that a deployment started — the GitHub
//! Deployment (in_progress), the Sentry release, one Slack/Discord message
//! that `deploy finish` later updates in place.

use super::*;
// ---------------------------------------------------------------- start

pub async fn start(args: DeployStartArgs, ctx: &Context) -> Result<()> {
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
        let new = deployment_request(&args, &info, payload);
        let deployment = match gh.create_deployment(&new).await {
            Ok(d) => d,
            Err(e) => return (posted, None, Err(e)),
        };
        let status = in_progress_status(&info);
        let result = gh
            .create_deployment_status(deployment.id, &status)
            .await
            .map(|_| ());
        (posted, Some(deployment), result)
    };
    let (sentry_result, (posted, deployment, github_result)) = tokio::join!(sentry_fut, github_fut);

    let outputs = Outputs {
        // Under --dry-run nothing was created: GitHub assigns the id.
        deployment_id: deployment.as_ref().map(|d| d.id).filter(|_| !ctx.dry_run),
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

    let planned_deployment = ctx.dry_run && github.is_some();
    finish_output(ctx, &started_text(&outputs, planned_deployment), &outputs);
    if !ctx.dry_run {
        let _ = ctx.write_summary(&format!(
            "### Deploy started\n\n`{version}` to **{environment}** at {started_at}\n"
        ));
    }
    Ok(())
}

/// The GitHub deployment `deploy start` creates: the exact SHA, no
/// auto-merge (a 409 in CI otherwise), no required contexts.
fn deployment_request(
    args: &DeployStartArgs,
    info: &DeployInfo,
    payload: DeployPayload,
) -> NewDeployment {
    let (version, environment) = (&info.version, &info.environment);
    NewDeployment {
        sha: info.sha.clone(),
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
    }
}

/// The `in_progress` status; earlier deployments stay active until this
/// one succeeds.
fn in_progress_status(info: &DeployInfo) -> NewStatus {
    NewStatus {
        state: deploy::DeployState::InProgress.to_string(),
        log_url: info.run_url.clone(),
        environment_url: None,
        description: format!("Deploying {} to {}", info.version, info.environment),
        auto_inactive: false,
    }
}

/// The line `deploy start` prints; `planned`: a dry run that would have
/// created a GitHub deployment (whose id only GitHub assigns).
fn started_text(o: &Outputs, planned: bool) -> String {
    let short = text::short_sha(&o.sha);
    let (version, environment) = (&o.version, &o.environment);
    match o.deployment_id {
        None if planned => format!(
            "Deployment of {version} ({short}) to {environment} would start (dry run: the \
             deployment id is assigned by GitHub)"
        ),
        Some(id) => format!(
            "Deployment {id} started: {version} ({short}) to {environment} (started {})",
            o.started_at
        ),
        None => format!(
            "Deploy of {version} ({short}) to {environment} started (no GitHub deployment: --no-github)"
        ),
    }
}
