//! `obsctl incident update NUMBER --status S --message M`: a comment
//! prefixed with the status (and obsctl's update marker, so that the status
//! page publishes it). Repeating the same update writes nothing.

use anyhow::{Context as _, Result};
use obsctl_core::status::incident::UpdateStatus;

use crate::cli::{IncidentUpdateArgs, UpdateStatusArg};
use crate::context::{Context, usage};

pub async fn run(args: IncidentUpdateArgs, ctx: &Context) -> Result<()> {
    if args.message.trim().is_empty() {
        return usage("incident update: --message is blank");
    }
    let status = match args.status {
        UpdateStatusArg::Investigating => UpdateStatus::Investigating,
        UpdateStatusArg::Identified => UpdateStatus::Identified,
        UpdateStatusArg::Monitoring => UpdateStatus::Monitoring,
    };
    let gh = super::require_github(ctx, "incident update")?;
    let body = super::update_body(status, &args.message);
    let Some((issue, _)) = super::own_issue(ctx, &gh, args.number).await? else {
        gh.comment(args.number, &body).await?;
        return super::print(ctx, "update", args.number, "");
    };
    if !issue.open {
        return usage(format!(
            "incident update: #{} is resolved (closed); reopen it on GitHub first",
            issue.number
        ));
    }
    if super::already_posted(&gh, &issue, &body).await? {
        ctx.ui
            .notice(&format!("#{}: this update is already posted", issue.number));
    } else {
        gh.comment(issue.number, &body)
            .await
            .context("incident update: commenting")?;
    }
    super::print(ctx, "updated", issue.number, &issue.html_url)
}
