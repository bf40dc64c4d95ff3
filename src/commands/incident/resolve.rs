//! `obsctl incident resolve NUMBER [--message M]`: a `Resolved` comment,
//! then the issue is closed. An incident already closed is left alone.

use anyhow::{Context as _, Result};
use obsctl_core::status::incident::UpdateStatus;

use crate::cli::IncidentResolveArgs;
use crate::context::Context;

pub async fn run(args: IncidentResolveArgs, ctx: &Context) -> Result<()> {
    let gh = super::require_github(ctx, "incident resolve")?;
    let body = super::update_body(
        UpdateStatus::Resolved,
        args.message.as_deref().unwrap_or(""),
    );
    let Some((issue, _)) = super::own_issue(ctx, &gh, args.number).await? else {
        gh.comment(args.number, &body).await?;
        gh.close_issue(args.number).await?;
        return super::print(ctx, "resolve", args.number, "");
    };
    if !issue.open {
        ctx.ui
            .notice(&format!("#{} is already resolved", issue.number));
        return super::print(ctx, "resolved", issue.number, &issue.html_url);
    }
    if !super::already_posted(&gh, &issue, &body).await? {
        gh.comment(issue.number, &body)
            .await
            .context("incident resolve: commenting")?;
    }
    gh.close_issue(issue.number)
        .await
        .context("incident resolve: closing")?;
    super::print(ctx, "resolved", issue.number, &issue.html_url)
}
