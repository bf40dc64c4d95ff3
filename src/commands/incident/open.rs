//! `obsctl incident open`: an issue labelled `incident`, `service:<name>`,
//! `impact:<x>`; an open obsctl incident with the same service and title is
//! returned instead of opening a second one.

use anyhow::{Context as _, Result};
use obsctl_core::status::incident::{Impact, Marker, Source, visible_text};

use crate::cli::{ImpactArg, IncidentOpenArgs};
use crate::commands::status::{INCIDENT_LABEL, labels};
use crate::context::{Context, usage};
use crate::providers::github::issues::{Issue, IssueState, NewIssue};

fn impact(a: ImpactArg) -> Impact {
    match a {
        ImpactArg::Minor => Impact::Minor,
        ImpactArg::Major => Impact::Major,
        ImpactArg::Critical => Impact::Critical,
    }
}

/// The issue body: the message (or a default line), then the marker.
pub fn body(args: &IncidentOpenArgs) -> String {
    let marker = Marker::declared(
        &args.service,
        impact(args.impact),
        args.deployment.as_deref(),
    );
    let mut text = args
        .message
        .as_deref()
        .map(visible_text)
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| {
            format!(
                "We are investigating an incident affecting {}.",
                args.service
            )
        });
    if let Some(d) = &args.deployment {
        text.push_str(&format!("\n\nDeployment: {d}"));
    }
    format!("{text}\n\n{marker}\n")
}

fn same(i: &Issue, args: &IncidentOpenArgs) -> bool {
    i.open
        && i.title.trim() == obsctl_core::limits::github::issue_title(&args.title)
        && Marker::parse(&i.body)
            .is_some_and(|m| m.service == args.service && m.source == Source::Declared)
}

pub async fn run(args: IncidentOpenArgs, ctx: &Context) -> Result<()> {
    if args.title.trim().is_empty() {
        return usage("incident open: --title is blank");
    }
    let config = &ctx.config.config;
    if !config.services.is_empty() && config.service(&args.service).is_none() {
        return usage(format!(
            "incident open: --service {}: no [[service]] has that name; known: {}",
            args.service,
            config.service_names().join(", ")
        ));
    }
    let gh = super::require_github(ctx, "incident open")?;
    let service_label = format!("service:{}", args.service);
    let open = gh
        .list_issues(&[INCIDENT_LABEL, &service_label], IssueState::Open, None)
        .await
        .context("incident open: looking for an open incident")?;
    if let Some(existing) = open
        .iter()
        .filter(|i| same(i, &args))
        .min_by_key(|i| i.number)
    {
        ctx.ui.notice(&format!(
            "incident #{} with this title is already open for {}: returning it",
            existing.number, args.service
        ));
        return super::print(ctx, "found", existing.number, &existing.html_url);
    }
    let impact_label = format!("impact:{}", impact(args.impact).as_str());
    let specs = labels(
        &args.service,
        &[(&impact_label, "d93f0b", "Impact of a declared incident")],
    );
    gh.ensure_labels(&specs)
        .await
        .context("incident open: labelling")?;
    let spec = NewIssue {
        title: args.title.trim().to_string(),
        body: body(&args),
        labels: specs.iter().map(|l| l.name.clone()).collect(),
    };
    let issue = gh
        .create_issue(&spec, |i| same(i, &args))
        .await
        .context("incident open: creating the issue")?;
    super::print(ctx, "opened", issue.number, &issue.html_url)
}
