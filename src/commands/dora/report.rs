//! `obsctl dora report`: fetch deployments and incidents (GitHub GraphQL, or
//! tags and a file), read change sets from local git, run the pure engine
//! and render.

use obsctl_core::series::TagPatterns;
use std::io::{IsTerminal, Write};

use anyhow::{Context as _, Result};
use chrono::Utc;

use crate::cli::{DoraReportArgs, DoraSource};
use crate::context::{Context, usage};
use crate::dora::engine::{self, ChangeSource, Diagnostic, Options};
use crate::dora::git_source::{self, GitChanges, NoChanges};
use crate::dora::input;
use crate::dora::model::{Deployment, Incident};
use crate::dora::render::{self, Report};
use crate::providers::github::GitHub;
use crate::ui::Format;

const SHALLOW_FIX: &str =
    "fetch the full history: `fetch-depth: 0` on actions/checkout, or `git fetch --unshallow`";

/// A one-line progress indicator on stderr, only on a terminal.
struct Progress {
    on: bool,
}

impl Progress {
    fn new(ctx: &Context) -> Self {
        Self {
            on: !ctx.ui.quiet && !ctx.ui.actions && std::io::stderr().is_terminal(),
        }
    }

    fn show(&self, msg: &str) {
        if self.on {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K{msg}");
            let _ = err.flush();
        }
    }

    fn done(&self) {
        if self.on {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        }
    }
}

/// `--output FILE` must be writable where it is: checked before any
/// request, so that a typo does not cost the fetch.
fn check_output(path: &std::path::Path) -> Result<(), String> {
    if path.as_os_str().is_empty() {
        return Err("--output is empty: name the file to write".into());
    }
    if path.is_dir() {
        return Err(format!(
            "--output {}: is a directory; name a file in it, e.g. {}",
            path.display(),
            path.join("dora.html").display()
        ));
    }
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    if !parent.is_dir() {
        return Err(format!(
            "--output {}: the directory {} does not exist; create it first (mkdir -p)",
            path.display(),
            parent.display()
        ));
    }
    Ok(())
}

/// "Nothing matched", naming what does exist (at most 10 tags).
/// `patterns`: the patterns as [`TagPatterns::describe`] quotes them.
fn no_tags_message(patterns: &str, existing: &[String]) -> String {
    if existing.is_empty() {
        return format!(
            "no tags match {patterns}: this repository has no tags at all; tag each deployment \
             (e.g. `git tag v1.0.0`), or use --source github"
        );
    }
    let shown: Vec<&str> = existing.iter().rev().take(10).map(String::as_str).collect();
    let more = existing.len().saturating_sub(shown.len());
    format!(
        "no tags match {patterns}; the repository has {} tag(s): {}{}. Set --tag-pattern to the \
         tags your deployments create",
        existing.len(),
        shown.join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    )
}

/// "Nothing matched" for an environment without deployments on GitHub,
/// naming the repository's environments (at most 10 of `total`) when known
/// (`None`: they could not be read).
pub(crate) fn no_environment_message(
    environment: &str,
    existing: Option<(&[String], u64)>,
) -> String {
    let head = format!("no deployments to the environment \"{environment}\" on GitHub");
    match existing {
        None => format!("{head}; check the name given to -e/--environment"),
        Some(([], _)) => format!(
            "{head}: this repository has no environments at all; record deployments with \
             `obsctl deploy start`, or use --source git for tags"
        ),
        Some((names, total)) => {
            let shown: Vec<String> = names.iter().take(10).map(|n| format!("{n:?}")).collect();
            let more = total.saturating_sub(shown.len() as u64);
            format!(
                "{head}; the repository's environments are {}{}. Pass one of them with -e",
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            )
        }
    }
}

/// The warning for an environment without deployments: one more request,
/// for the environments' names (a failure there only shortens the message).
pub(crate) async fn no_deployments_warning(
    gh: &GitHub,
    environment: &str,
    ctx: &Context,
) -> String {
    match gh.dora_environments().await {
        Ok((names, total)) => no_environment_message(environment, Some((&names, total))),
        Err(e) => {
            ctx.ui
                .verbose(&format!("GitHub: the environments are unknown: {e}"));
            no_environment_message(environment, None)
        }
    }
}

/// What the sources gave, with what qualifies it.
struct Collected {
    source: &'static str,
    deployments: Vec<Deployment>,
    incidents: Vec<Incident>,
    diagnostics: Vec<(Diagnostic, u64)>,
    warnings: Vec<String>,
}

pub async fn report(args: DoraReportArgs, ctx: &Context) -> Result<()> {
    let (window, file_incidents) = check_input(&args, ctx)?;
    // Change sets are needed from the start of the earliest window reported.
    let need_from = if args.compare_previous {
        window.previous().since
    } else {
        window.since
    };
    let github = github_source(&args, ctx)?;
    let repo = git_source::open(&ctx.repo_path);
    let progress = Progress::new(ctx);
    let mut c = match github {
        Some(cfg) => {
            let repo_ref = repo.as_ref().ok();
            read_github(
                &args,
                ctx,
                cfg,
                repo_ref,
                file_incidents,
                need_from,
                &progress,
            )
            .await?
        }
        None => read_tags(&args, ctx, &repo, file_incidents)?,
    };

    let options = Options {
        devlake: args.devlake_compat,
        // Git tags record successes only: failures come from --incidents.
        no_failure_data: c.source == "git" && args.incidents.is_none(),
    };
    let mut changes: Box<dyn ChangeSource> = match &repo {
        Ok(r) => Box::new(GitChanges::new(r)),
        Err(_) => Box::new(NoChanges),
    };
    progress.show("reading change sets from git…");
    let analysis = engine::analyze(
        &c.deployments,
        &c.incidents,
        options,
        need_from,
        changes.as_mut(),
    );
    progress.done();
    drop(changes);

    let mut current = engine::metrics(&analysis, window);
    let previous = args
        .compare_previous
        .then(|| engine::metrics(&analysis, window.previous()));
    let shallow = repo.as_ref().map(git_source::is_shallow).unwrap_or(false);
    if shallow {
        c.diagnostics.push((Diagnostic::ShallowClone, 1));
    }
    for (d, n) in c.diagnostics {
        current.diagnostics.bump(d, n);
    }
    history_warnings(ctx, &current, shallow, &mut c.warnings);
    unknown_incident_warning(&current, &c.deployments, &mut c.warnings);
    for w in &c.warnings {
        ctx.ui.warn(w);
    }

    let repository = ctx.repository().ok().flatten().map(|r| r.to_string());
    let change = previous.as_ref().map(|p| engine::delta(&current, p));
    let report = Report {
        repository,
        environment: args.environment.clone(),
        source: c.source.into(),
        quick_check: render::quick_check_of(&current, "all"),
        current,
        previous,
        change,
        warnings: c.warnings,
    };
    write_report(&report, &args, ctx)
}

/// Bad input is exit 2 before any request: the window, names, patterns,
/// the output path, the incidents file.
fn check_input(
    args: &DoraReportArgs,
    ctx: &Context,
) -> Result<(engine::Window, Option<Vec<Incident>>)> {
    let window = input::parse_window(args.since.as_deref(), args.until.as_deref(), Utc::now())
        .or_else(usage)?;
    input::check_name("--environment", &args.environment).or_else(usage)?;
    input::check_name("--incident-label", &args.incident_label).or_else(usage)?;
    TagPatterns::parse(&args.tag_patterns).or_else(usage)?;
    if let Some(path) = &args.output {
        check_output(path).or_else(usage)?;
    }
    if args.compare_previous && matches!(ctx.ui.format, Format::Csv | Format::Ndjson) {
        return usage(
            "--compare-previous has no place in --format csv or ndjson (one row per deployment of the window): use --format json, markdown, html or text, or leave --compare-previous out",
        );
    }
    let file_incidents = match &args.incidents {
        None => None,
        Some(path) => {
            let text = match std::fs::read_to_string(path) {
                Ok(t) => t,
                Err(e) => return usage(format!("--incidents {}: {e}", path.display())),
            };
            Some(
                input::parse_incidents(&text)
                    .or_else(|e| usage(format!("--incidents {}: {e}", path.display())))?,
            )
        }
    };
    Ok((window, file_incidents))
}

/// GitHub's configuration when the source is GitHub (`auto`: when it is
/// fully configured, else tags).
fn github_source(
    args: &DoraReportArgs,
    ctx: &Context,
) -> Result<Option<crate::context::GithubConfig>> {
    Ok(match args.source {
        DoraSource::Git => None,
        // auto: GitHub when it is fully configured, else tags.
        DoraSource::Auto => ctx.github().unwrap_or_else(|e| {
            ctx.ui.notice(&format!("{e:#}; using --source git"));
            None
        }),
        DoraSource::Github => match ctx.github()? {
            Some(cfg) => Some(cfg),
            None => {
                return usage(
                    "dora report --source github needs GITHUB_TOKEN (or GH_TOKEN) and the repository \
                     (GITHUB_REPOSITORY or an `origin` remote); use --source git for tags only",
                );
            }
        },
    })
}

/// Deployments and incidents from GitHub (GraphQL), concurrently.
async fn read_github(
    args: &DoraReportArgs,
    ctx: &Context,
    cfg: crate::context::GithubConfig,
    repo_ref: Option<&git2::Repository>,
    file_incidents: Option<Vec<Incident>>,
    need_from: chrono::DateTime<Utc>,
    progress: &Progress,
) -> Result<Collected> {
    let mut diagnostics = Vec::new();
    let mut warnings = Vec::new();
    if repo_ref.is_none() {
        warnings.push(format!(
                "no local git repository at {}: change sets (lead time) are unknown; run in a clone with full history",
                ctx.repo_path.display()
            ));
        diagnostics.push((Diagnostic::NoGitRepository, 1));
    }
    let gh = GitHub::new(ctx.http.clone(), cfg);
    let mut is_rollback = |newer: &str, older: &str| -> bool {
        let Some(repo) = repo_ref else { return false };
        let (Ok(n), Ok(o)) = (git2::Oid::from_str(newer), git2::Oid::from_str(older)) else {
            return false;
        };
        n != o && repo.graph_descendant_of(o, n).unwrap_or(false)
    };
    let deployments_fut = gh.dora_deployments(
        &args.environment,
        |fetched| engine::history_covers(fetched, need_from, &mut is_rollback),
        |pages, n| progress.show(&format!("GitHub: {n} deployments ({pages} pages)…")),
    );
    let label = args.incident_label.clone();
    let incidents_fut = async {
        match &file_incidents {
            Some(list) => Ok((list.clone(), Default::default())),
            None => gh.dora_incidents(&label, need_from).await,
        }
    };
    let (deps, incs) = tokio::join!(deployments_fut, incidents_fut);
    progress.done();
    let (deps, dstats) = deps?;
    // Deliberately no partial report: without its incidents the
    // change failure rate and recovery time would look better than
    // they are.
    let (incs, istats) = incs.map_err(|e| {
        anyhow::anyhow!(
            "{e}. No report without the incidents: run again, or pass them with --incidents FILE"
        )
    })?;
    if ctx.dry_run {
        // Reads only, but --dry-run sends nothing: say what would be asked.
        let text = crate::commands::dry_run_text(&ctx.http.planned());
        eprint!("{}", ctx.ui.redactor.redact(&text));
    } else if deps.is_empty() {
        warnings.push(no_deployments_warning(&gh, &args.environment, ctx).await);
    }
    ctx.ui.verbose(&format!(
        "GitHub: {} deployments in {} pages, {} incidents in {} pages",
        deps.len(),
        dstats.pages,
        incs.len(),
        istats.pages
    ));
    diagnostics.push((
        Diagnostic::DeploymentsWithStatusesCut,
        dstats.statuses_truncated,
    ));
    diagnostics.push((
        Diagnostic::UnreadableNodes,
        dstats.unreadable + istats.unreadable,
    ));
    Ok(Collected {
        source: "github",
        deployments: deps,
        incidents: incs,
        diagnostics,
        warnings,
    })
}

/// Deployments from the tags matching `--tag-pattern`.
fn read_tags(
    args: &DoraReportArgs,
    ctx: &Context,
    repo: &Result<git2::Repository, git2::Error>,
    file_incidents: Option<Vec<Incident>>,
) -> Result<Collected> {
    let mut diagnostics = Vec::new();
    let mut warnings = Vec::new();
    let repo = match &repo {
        Ok(r) => r,
        Err(e) => {
            return usage(format!(
                "dora report --source git: no git repository at {} ({}): run it inside a clone or pass -C PATH",
                ctx.repo_path.display(),
                e.message()
            ));
        }
    };
    let tag_patterns = TagPatterns::parse(&args.tag_patterns).or_else(usage)?;
    let (deps, skipped) = git_source::tag_deployments(repo, &tag_patterns)?;
    diagnostics.push((Diagnostic::TagsNotOnCommits, skipped));
    if deps.is_empty() {
        warnings.push(no_tags_message(
            &tag_patterns.describe(),
            &git_source::tag_names(repo),
        ));
    }
    Ok(Collected {
        source: "git",
        deployments: deps,
        incidents: file_incidents.unwrap_or_default(),
        diagnostics,
        warnings,
    })
}

/// What a shallow or incomplete clone did to the change sets: warnings, or
/// one notice when nothing was lost.
/// Incidents whose `deployment` names none of the report's deployments are
/// attributed by time: said once, naming the newest deployments there are.
fn unknown_incident_warning(
    current: &engine::Metrics,
    deployments: &[Deployment],
    warnings: &mut Vec<String>,
) {
    let unknown = current
        .diagnostics
        .get(Diagnostic::IncidentsNamingUnknownDeployment);
    if unknown == 0 {
        return;
    }
    let mut newest: Vec<&Deployment> = deployments.iter().collect();
    newest.sort_by_key(|d| std::cmp::Reverse(d.created_at));
    let names: Vec<&str> = newest.iter().take(5).map(|d| d.id.as_str()).collect();
    let known = if names.is_empty() {
        "there are none".to_string()
    } else {
        let more = deployments.len().saturating_sub(names.len());
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        format!("the newest are {}{more}", names.join(", "))
    };
    warnings.push(format!(
        "{unknown} incident(s) name a deployment (tag or SHA) that is not among the report's deployments \
         ({known}); they are attributed by time instead"
    ));
}

fn history_warnings(
    ctx: &Context,
    current: &engine::Metrics,
    shallow: bool,
    warnings: &mut Vec<String>,
) {
    let cut = current
        .diagnostics
        .get(Diagnostic::ChangesCutByShallowClone);
    let missing = current
        .diagnostics
        .get(Diagnostic::DeploymentCommitNotInClone);
    let unbounded = current
        .diagnostics
        .get(Diagnostic::EarlierDeploymentsNotInClone);
    if shallow && (cut > 0 || missing > 0 || unbounded > 0) {
        warnings.push(format!(
            "this is a shallow clone: {cut} deployment(s) reach past its history and {missing} deployed commit(s) are not in it; \
             their changes are left out of the lead time. Fix: {SHALLOW_FIX}"
        ));
    } else if shallow {
        ctx.ui.notice(&format!(
            "this is a shallow clone; every change set in the window was within it. For older windows, {SHALLOW_FIX}"
        ));
    } else if missing > 0 || unbounded > 0 {
        warnings.push(format!(
            "{missing} deployed commit(s), and for {unbounded} deployment(s) every earlier deployed commit, are not in the local clone \
             (fetch them, e.g. `git fetch origin`); those changes are left out of the lead time"
        ));
    }
}

/// Render in the chosen format, to `--output` or stdout (and the step
/// summary for Markdown).
fn write_report(report: &Report, args: &DoraReportArgs, ctx: &Context) -> Result<()> {
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let color = to_terminal && !ctx.no_color;
    let body = match ctx.ui.format {
        Format::Text => render::text(report, color),
        Format::Json => render::json(report) + "\n",
        Format::Markdown => render::markdown(report),
        Format::Csv => render::csv(report),
        Format::Ndjson => render::ndjson(report),
        Format::Html => render::html(report),
    };
    if ctx.ui.format == Format::Markdown {
        ctx.write_summary(&body)?;
    }
    let body = ctx.ui.redactor.redact(&body);
    match &args.output {
        Some(path) => {
            std::fs::write(path, body.as_bytes())
                .with_context(|| format!("writing the report to {}", path.display()))?;
            ctx.ui
                .notice(&format!("report written to {}", path.display()));
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(body.as_bytes())?;
            out.flush()?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_environment_without_deployments_names_the_ones_that_exist() {
        let names: Vec<String> = ["production", "staging"].map(String::from).to_vec();
        let m = no_environment_message("prod", Some((&names, 2)));
        assert!(m.contains("\"prod\""), "{m}");
        assert!(m.contains("\"production\", \"staging\". Pass one"), "{m}");
        let many: Vec<String> = (0..12).map(|i| format!("e{i}")).collect();
        let m = no_environment_message("prod", Some((&many[..10], 120)));
        assert!(m.contains("\"e9\" and 110 more"), "{m}");
        assert!(no_environment_message("prod", Some((&[], 0))).contains("no environments at all"));
        assert!(no_environment_message("prod", None).contains("-e/--environment"));
    }
}
