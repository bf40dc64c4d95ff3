//! `obsctl status check|build`: health checks whose incidents are GitHub
//! issues, and the static status site. Shared helpers for `obsctl incident`.

pub mod build;
pub mod check;

use anyhow::Result;
use obsctl_core::status::site::IncidentRecord;

use crate::context::Context;
use crate::providers::github::GitHub;
use crate::providers::github::issues::{Issue, LabelSpec};

/// The label every incident carries (the one `dora report` counts).
pub const INCIDENT_LABEL: &str = "incident";
/// The label of incidents opened by `status check`.
pub const STATUS_LABEL: &str = "status";

/// GitHub, when configured (else `None`, with the context's notice).
pub fn github(ctx: &Context) -> Result<Option<GitHub>> {
    Ok(ctx.github()?.map(|cfg| GitHub::new(ctx.http.clone(), cfg)))
}

/// The labels of an incident issue, with the colours they are created with.
pub fn labels(service: &str, extra: &[(&str, &str, &str)]) -> Vec<LabelSpec> {
    let mut out = vec![
        LabelSpec {
            name: INCIDENT_LABEL.into(),
            color: "b60205".into(),
            description: "An incident (counted by obsctl dora report)".into(),
        },
        LabelSpec {
            name: format!("service:{service}"),
            color: "c5def5".into(),
            description: format!("About the {service} service"),
        },
    ];
    for (name, color, description) in extra {
        out.push(LabelSpec {
            name: (*name).into(),
            color: (*color).into(),
            description: (*description).into(),
        });
    }
    out
}

/// An issue as an incident record, when it is obsctl's.
pub fn record(issue: &Issue) -> Option<IncidentRecord> {
    let comments: Vec<(u64, chrono::DateTime<chrono::Utc>, &str)> = issue
        .comments
        .iter()
        .map(|c| (c.id, c.created_at, c.body.as_str()))
        .collect();
    IncidentRecord::from_issue(
        issue.number,
        &issue.title,
        &issue.html_url,
        &issue.body,
        issue.created_at,
        issue.closed_at,
        &comments,
    )
}
