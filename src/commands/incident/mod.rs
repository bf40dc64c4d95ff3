//! `obsctl incident open|update|resolve`: incidents people declare, as
//! GitHub issues labelled `incident`, `service:<name>` and `impact:<x>`,
//! carrying obsctl's marker. `update` and `resolve` act only on issues that
//! carry it. Each prints the issue number and URL and writes them to
//! `$GITHUB_OUTPUT` (`incident_number`, `incident_url`).

pub mod open;
pub mod resolve;
pub mod update;

use anyhow::Result;
use obsctl_core::status::incident::{Marker, UpdateMarker, UpdateStatus, visible_text};
use serde_json::json;

use crate::context::{Context, UsageError};
use crate::providers::github::GitHub;
use crate::providers::github::issues::Issue;

/// GitHub is required: these commands write nothing else.
pub fn require_github(ctx: &Context, command: &str) -> Result<GitHub> {
    crate::commands::status::github(ctx)?.ok_or_else(|| {
        UsageError(format!(
            "{command} needs GitHub: set GITHUB_TOKEN (with `issues: write`) and GITHUB_REPOSITORY"
        ))
        .into()
    })
}

/// The issue `number`, when it is an obsctl incident. Under `--dry-run`
/// nothing is read, so `None` stands for "would be read".
pub async fn own_issue(ctx: &Context, gh: &GitHub, number: u64) -> Result<Option<(Issue, Marker)>> {
    let issue = gh.get_issue(number).await?;
    let Some(issue) = issue else {
        if ctx.dry_run {
            return Ok(None);
        }
        return Err(UsageError(format!(
            "issue #{number} was not found in {} (or it is a pull request)",
            gh.config().repo
        ))
        .into());
    };
    let Some(marker) = Marker::parse(&issue.body) else {
        return Err(UsageError(format!(
            "issue #{number} is not an obsctl incident (its body has no obsctl marker): \
             obsctl only updates the incidents it opened (`obsctl incident open`, `obsctl status check`)"
        ))
        .into());
    };
    Ok(Some((issue, marker)))
}

/// An update comment: the status in bold, the message, the marker.
pub fn update_body(status: UpdateStatus, message: &str) -> String {
    let marker = UpdateMarker {
        status,
        state: None,
    };
    let message = visible_text(message);
    if message.is_empty() {
        format!("**{}**\n\n{marker}", status.title())
    } else {
        format!("**{}**: {message}\n\n{marker}", status.title())
    }
}

/// Whether the newest comment of the issue is already `body` (a rerun).
pub async fn already_posted(gh: &GitHub, issue: &Issue, body: &str) -> Result<bool> {
    if issue.comments_total == 0 {
        return Ok(false);
    }
    let comments = gh.list_comments(issue.number).await?;
    Ok(comments
        .last()
        .is_some_and(|c| c.body.trim() == obsctl_core::limits::github::comment_body(body).trim()))
}

/// Print the result and write `$GITHUB_OUTPUT`.
pub fn print(ctx: &Context, action: &str, number: u64, url: &str) -> Result<()> {
    let text = if ctx.dry_run {
        format!(
            "dry run: would {action} incident #{number}\n\n{}",
            crate::commands::dry_run_text(&ctx.http.planned())
        )
    } else {
        format!("{action} incident #{number}: {url}")
    };
    ctx.ui.result(
        &text,
        &json!({"action": action, "number": number, "url": url, "dry_run": ctx.dry_run}),
    );
    ctx.write_outputs(&[
        ("incident_number", number.to_string()),
        ("incident_url", url.to_string()),
    ])
}
