//! The DORA side of `report`: one analysis per environment (GitHub
//! deployments and incident issues when a token is there, else git tags),
//! the same engine as `dora report`, plus rework and the Quick Check.

use anyhow::Result;
use chrono::{DateTime, Utc};
use obsctl_core::quickcheck::{self, Measured};
use obsctl_core::report::{Delivery, DeliveryRow, Deploy, Status, WindowInfo};

use crate::cli::{DoraSource, ReportArgs};
use crate::commands::dora::report::no_deployments_warning;
use crate::context::Context;
use crate::dora::engine::{self, Band, Window};
use crate::dora::git_source::{self, GitChanges, NoChanges};
use crate::dora::model::{Deployment, Incident, Outcome};
use crate::providers::github::GitHub;

/// The delivery section of one environment and its deploy markers.
pub struct DeliveryData {
    pub delivery: Delivery,
    pub markers: Vec<Deploy>,
}

fn band(b: Option<Band>) -> Option<String> {
    b.map(|b| b.as_str().to_string())
}

/// Deployments and incidents of `environment`: `(source, deployments,
/// incidents, note)`; `note`: GitHub has no deployment of the environment,
/// naming the repository's environments.
async fn fetch(
    args: &ReportArgs,
    ctx: &Context,
    environment: &str,
    need_from: DateTime<Utc>,
    repo: Option<&git2::Repository>,
) -> Result<(&'static str, Vec<Deployment>, Vec<Incident>, Option<String>)> {
    let github = match args.dora_source {
        DoraSource::Git => None,
        DoraSource::Auto => ctx.github().unwrap_or(None),
        DoraSource::Github => Some(ctx.github()?.ok_or_else(|| {
            anyhow::anyhow!(
                "--dora-source github needs GITHUB_TOKEN (or GH_TOKEN) and the repository"
            )
        })?),
    };
    if let Some(cfg) = github {
        let gh = GitHub::new(ctx.http.clone(), cfg);
        let mut is_rollback = |newer: &str, older: &str| -> bool {
            let Some(repo) = repo else { return false };
            let (Ok(n), Ok(o)) = (git2::Oid::from_str(newer), git2::Oid::from_str(older)) else {
                return false;
            };
            n != o && repo.graph_descendant_of(o, n).unwrap_or(false)
        };
        let deps = gh.dora_deployments(
            environment,
            |fetched| engine::history_covers(fetched, need_from, &mut is_rollback),
            |_, _| {},
        );
        let incs = gh.dora_incidents(&args.incident_label, need_from);
        let (deps, incs) = futures::join!(deps, incs);
        let (deps, incs) = (deps?.0, incs?.0);
        let note = match deps.is_empty() && !ctx.dry_run {
            true => Some(no_deployments_warning(&gh, environment, ctx).await),
            false => None,
        };
        return Ok(("github", deps, incs, note));
    }
    let Some(repo) = repo else {
        anyhow::bail!(
            "no git repository at {} and no GitHub token: set GITHUB_TOKEN, or run inside a clone with its tags",
            ctx.repo_path.display()
        );
    };
    let patterns = obsctl_core::series::TagPatterns::parse(&args.tag_patterns)
        .map_err(|e| anyhow::anyhow!("--tag-pattern: {e}"))?;
    let (deps, _) = git_source::tag_deployments(repo, &patterns)?;
    Ok(("git", deps, Vec::new(), None))
}

/// DORA of one environment over the window. A source that cannot be read
/// gives an "unavailable" section (and the error, for a warning).
pub async fn delivery(
    args: &ReportArgs,
    ctx: &Context,
    environment: &str,
    w: &WindowInfo,
) -> (DeliveryData, Option<String>) {
    let window = Window {
        since: DateTime::from_timestamp(w.since_unix, 0).unwrap_or_default(),
        until: DateTime::from_timestamp(w.until_unix, 0).unwrap_or_default(),
    };
    let repo = git_source::open(&ctx.repo_path).ok();
    let fetched = fetch(args, ctx, environment, window.since, repo.as_ref()).await;
    let (source, deployments, incidents, note) = match fetched {
        Ok(x) => x,
        Err(e) => {
            let msg = format!("DORA ({environment}): {e:#}");
            return (
                DeliveryData {
                    delivery: Delivery::unavailable(format!("{e:#}")),
                    markers: Vec::new(),
                },
                Some(msg),
            );
        }
    };
    // Git tags record no failures (report takes no incidents file): change
    // failure, recovery and rework are unknown, not 0.
    let options = engine::Options {
        no_failure_data: source == "git",
        ..Default::default()
    };
    let analysis = match &repo {
        Some(r) => engine::analyze(
            &deployments,
            &incidents,
            options,
            window.since,
            &mut GitChanges::new(r),
        ),
        None => engine::analyze(
            &deployments,
            &incidents,
            options,
            window.since,
            &mut NoChanges,
        ),
    };
    let m = engine::metrics(&analysis, window);
    let mut data = from_metrics(source, &m, &args.benchmark, deployments.is_empty());
    if note.is_some() {
        data.delivery.note = note;
    }
    (data, None)
}

/// One row per deployment of the window.
fn rows_of(m: &engine::Metrics) -> Vec<DeliveryRow> {
    m.deployments
        .iter()
        .map(|r| DeliveryRow {
            id: r.id.clone(),
            deployed_at: r.deployed_at.clone(),
            status: match r.status {
                Outcome::Success => "success".into(),
                Outcome::Failure => "failure".into(),
            },
            lead_time_median_secs: r.median_lead_time_seconds,
            rework: r.rework,
            at_unix: crate::dora::input::parse_time(&r.deployed_at)
                .map(|t| t.timestamp())
                .unwrap_or(0),
        })
        .collect()
}

/// The deploy markers of the charts: one per row, failures marked.
fn markers_of(rows: &[DeliveryRow], source: &str) -> Vec<Deploy> {
    rows.iter()
        .map(|r| Deploy {
            at: r.deployed_at.clone(),
            name: if r.status == "success" {
                r.id.clone()
            } else {
                format!("{} (failed)", r.id)
            },
            source: if source == "github" { "github" } else { "git" },
            at_unix: r.at_unix,
        })
        .collect()
}

/// What qualifies the section: nothing found (and where), or tags' blind spots.
fn note_of(source: &str, none_found: bool) -> Option<String> {
    if none_found {
        Some(if source == "git" {
            "no deployments found: no tags match --tag-pattern".to_string()
        } else {
            "no deployments of this environment on GitHub".to_string()
        })
    } else if source == "git" {
        Some(
            "from git tags, which record no failures: change failure rate, recovery time and rework rate are unknown (a GitHub token gives them)"
                .to_string(),
        )
    } else {
        None
    }
}

/// The report's delivery section from the engine's metrics.
pub fn from_metrics(
    source: &str,
    m: &engine::Metrics,
    benchmark: &str,
    none_found: bool,
) -> DeliveryData {
    let f = &m.deployment_frequency;
    let c = &m.change_failure_rate;
    let rework_count = m.rework_rate.rework;
    let rework_rate = m.rework_rate.rate;
    let rows = rows_of(m);
    let markers = markers_of(&rows, source);
    let measured = Measured {
        lead_time_secs: m.lead_time.median_seconds,
        deploys_per_day: f.per_day,
        recovery_secs: m.recovery_time.median_seconds,
        change_failure_rate: c.rate,
        rework_rate,
    };
    let delivery = Delivery {
        status: if none_found {
            Status::NoData
        } else {
            Status::Ok
        },
        note: note_of(source, none_found),
        source: Some(source.to_string()),
        deployments_count: f.deployments,
        deployments_per_day: f.per_day,
        lead_time_median_secs: m.lead_time.median_seconds,
        lead_time_p90_secs: m.lead_time.p90_seconds,
        change_failure_ratio: c.rate,
        recovery_median_secs: m.recovery_time.median_seconds,
        rework_ratio: rework_rate,
        rework_count,
        deployments_total_count: c.total,
        band_2023_deployment_frequency: band(f.band),
        band_2023_lead_time: band(m.lead_time.band),
        band_2023_change_failure_rate: band(c.band),
        band_2023_recovery_time: band(m.recovery_time.band),
        quick_check: quickcheck::quick_check(&measured, benchmark),
        deployments: rows,
    };
    DeliveryData { delivery, markers }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dora::engine::{Window, analyze, metrics};
    use crate::dora::input::parse_time;
    use crate::dora::model::{ChangeSet, Deployment, Incident};

    #[test]
    fn rework_is_a_deployment_made_while_an_earlier_one_is_failed_or_has_an_open_incident() {
        let t = |s: &str| parse_time(s).unwrap();
        let deps = [
            Deployment::success("v1", "c1", t("2026-03-01T10:00:00Z")),
            Deployment::failed("v2", "c2", t("2026-03-02T10:00:00Z")),
            // The fix of v2: rework.
            Deployment::success("v3", "c3", t("2026-03-02T12:00:00Z")),
            Deployment::success("v4", "c4", t("2026-03-03T10:00:00Z")),
            // v4's incident is open: rework.
            Deployment::success("v5", "c5", t("2026-03-04T10:00:00Z")),
            // Resolved before: planned work again.
            Deployment::success("v6", "c6", t("2026-03-06T10:00:00Z")),
        ];
        let incidents = [Incident {
            id: "i1".into(),
            created_at: t("2026-03-03T12:00:00Z"),
            resolved_at: Some(t("2026-03-05T00:00:00Z")),
            deployment: Some("v4".into()),
        }];
        let mut none = |_: &str, _: &[String], _: bool| ChangeSet::Known(vec![]);
        let a = analyze(
            &deps,
            &incidents,
            Default::default(),
            t("2026-03-01"),
            &mut none,
        );
        let ids: Vec<&str> = a
            .records
            .iter()
            .filter(|r| r.rework)
            .map(|r| r.id.as_str())
            .collect();
        assert_eq!(ids, ["v3", "v5"]);
        let w = Window {
            since: t("2026-03-01"),
            until: t("2026-03-08"),
        };
        let m = metrics(&a, w);
        let d = from_metrics("git", &m, "all", false).delivery;
        assert_eq!(d.rework_count, 2);
        assert_eq!(d.rework_ratio, Some(2.0 / 6.0));
        let q = d.quick_check.unwrap();
        assert_eq!(q.inputs.rework, Some(33.33));
        // A window without deployments: no rate (not 0).
        let empty = metrics(
            &a,
            Window {
                since: t("2026-04-01"),
                until: t("2026-04-08"),
            },
        );
        let d = from_metrics("git", &empty, "all", false).delivery;
        assert_eq!(d.rework_ratio, None);
    }
}
