//! `obsctl release create`: a Sentry release with its commits and a GitHub
//! release with notes, from one walk of the local git history.
//!
//! Order: check the input (version, notes file, provider configuration),
//! read git once (off the async threads), then record the release in Sentry
//! and on GitHub concurrently. Both are required where configured: when one
//! fails, the other still finishes, and the error says what was and was not
//! recorded.

use std::path::PathBuf;

use anyhow::{Context as _, Result, anyhow};
use chrono::Utc;
use serde::Serialize;

use crate::cli::{NotesMode, ReleaseCreateArgs};
use crate::commands::dry_run_text;
use crate::context::{Context, GithubConfig, ProviderState, SentryConfig, UsageError, usage};
use crate::git::{CommitInfo, Git, GitError, History, Reading, Walk};
use crate::http::{HttpError, PlannedRequest};
use crate::message::{Event, Message, Route, Severity};
use crate::notes::{self, Links, Notes, NotesInput};
use crate::notifier::{Delivery, Notifier, report_failures};
use crate::providers::github::GitHub;
use crate::providers::github::releases::{GithubStatus, ReleaseSpec};
use crate::providers::sentry::Sentry;
use crate::providers::sentry::releases::{self as sentry_releases, SentryStatus};
use crate::release::{
    self, PreviousLookup, RangeChoice, RangeFacts, RangeStart, choose_range, choose_tag,
    validate_version_for,
};
use crate::text;
use obsctl_core::series::TagPatterns;

pub use crate::release::FIRST_RELEASE_DEPTH;
use crate::release::SHALLOW_FIX;

/// What git says about the release, read once.
#[derive(Debug)]
struct Plan {
    version: String,
    /// The tag the GitHub release is for (the version when no tag exists).
    tag: String,
    target: String,
    /// The start of the range as given or found (a tag name, a ref, a SHA).
    previous: Option<String>,
    /// The previous release's tag, when it is one (for GitHub's notes).
    previous_tag: Option<String>,
    /// Human description of the range.
    range: String,
    /// The newest commits of the range (after `--path`), at most the
    /// [`sentry_releases::MAX_COMMITS`] Sentry can get, with their files.
    commits: Vec<CommitInfo>,
    /// Commits in the range (after `--path`).
    commit_count: usize,
    /// Commits in the range before `--path` filtering.
    walked: usize,
    /// The notes of the whole range, built during the walk and rendered
    /// (when obsctl writes them).
    notes: Option<String>,
    notices: Vec<String>,
    /// What git read (for `-v`).
    verbose: Vec<String>,
}

struct GitInput {
    repo_path: PathBuf,
    version: Option<String>,
    target: Option<String>,
    ci_sha: Option<String>,
    ci_tag: Option<String>,
    previous: Option<String>,
    paths: Vec<String>,
    allow_shallow: bool,
    /// Which tags are releases.
    tag_patterns: TagPatterns,
    /// GitHub is configured: the tag must be one git (and GitHub) accepts.
    needs_tag: bool,
    /// Sentry is used: its version rules apply.
    sentry_rules: bool,
    /// obsctl writes the release notes: build them during the walk, with
    /// these links and limit (the tags are filled in by the git step).
    notes: Option<NotesInput>,
}

#[derive(Debug, Serialize)]
struct SentryReport {
    status: SentryStatus,
    /// Commits sent.
    commits: usize,
    /// Commits of the range left out by the cap.
    commits_omitted: usize,
    finalized: bool,
    url: String,
}

#[derive(Debug, Serialize)]
struct GithubReport {
    status: GithubStatus,
    url: String,
    tag: String,
}

#[derive(Debug, Serialize)]
struct Report {
    version: String,
    target: String,
    previous: Option<String>,
    range: String,
    /// Commits in the range (after `--path`).
    commits: usize,
    sentry: Option<SentryReport>,
    github: Option<GithubReport>,
    /// The announcement in #deployments (optional, like every notification).
    notifications: Vec<Delivery>,
    #[serde(skip_serializing_if = "Option::is_none")]
    requests: Option<Vec<PlannedRequest>>,
}

/// What `create` checked before reading git: the notes file, the
/// providers, and the input of the git step.
struct Checked {
    notes_file: Option<String>,
    sentry: Option<SentryConfig>,
    github: Option<GithubConfig>,
    sentry_repository: Option<String>,
    git: GitInput,
}

pub async fn create(args: ReleaseCreateArgs, ctx: &Context) -> Result<()> {
    let checked = check_input(&args, ctx)?;
    let mut plan = tokio::task::spawn_blocking(move || plan(checked.git))
        .await
        .context("reading git")??;
    for n in &plan.notices {
        ctx.ui.notice(n);
    }
    for v in &plan.verbose {
        ctx.ui.verbose(v);
    }
    let body = checked.notes_file.or_else(|| plan.notes.take());
    let generate_notes = args.notes_file.is_none() && args.notes == NotesMode::Github;

    let sentry_job = record_sentry(
        ctx,
        checked.sentry,
        checked.sentry_repository,
        &plan,
        args.no_finalize,
    );
    let github_job = record_github(
        ctx,
        checked.github,
        &plan,
        body.clone(),
        generate_notes,
        &args,
    );
    let (sentry, github) = tokio::join!(sentry_job, github_job);
    finish(ctx, &plan, sentry, github, body.as_deref()).await
}

/// Bad input first, before git or any request: the version, the notes
/// file, the providers' configuration, the tag patterns.
fn check_input(args: &ReleaseCreateArgs, ctx: &Context) -> Result<Checked> {
    let notes_file = match &args.notes_file {
        Some(path) => Some(std::fs::read_to_string(path).map_err(|e| {
            UsageError(format!(
                "--notes-file {}: cannot read it: {e}",
                path.display()
            ))
        })?),
        None => None,
    };
    let sentry = ctx.sentry()?;
    let github = ctx.github()?;
    if let Some(v) = &args.version {
        validate_version_for(v, sentry.is_some()).map_err(UsageError)?;
    }
    // GITHUB_REPOSITORY is checked even when only Sentry is used.
    ctx.repository()?;
    let sentry_repository = ctx.sentry_repository()?;
    let git = GitInput {
        repo_path: ctx.repo_path.clone(),
        version: args.version.clone(),
        target: args.target.clone(),
        ci_sha: ctx.ci.sha.clone(),
        ci_tag: ctx.ci.tag.clone(),
        previous: args.previous.clone(),
        paths: args.paths.clone(),
        allow_shallow: args.allow_shallow,
        tag_patterns: TagPatterns::parse(&args.tag_patterns)
            .map_err(|e| UsageError(format!("--tag-pattern: {e}")))?,
        needs_tag: github.is_some(),
        sentry_rules: sentry.is_some(),
        notes: notes_read(ctx, github.is_some())
            .then(|| notes_input(args, github.as_ref()))
            .flatten(),
    };
    Ok(Checked {
        notes_file,
        sentry,
        github,
        sentry_repository,
        git,
    })
}

/// Whether anything reads the notes obsctl writes: the GitHub release, the
/// announcement in Slack or Discord, the job's step summary. When nothing
/// does (`--no-github` without chat, outside Actions), the range is walked
/// without building them, and the commits Sentry does not get are only
/// counted.
fn notes_read(ctx: &Context, github: bool) -> bool {
    github
        || ctx.ci.summary_file.is_some()
        || matches!(ctx.slack_state(), Ok(ProviderState::Ready(_)))
        || matches!(ctx.discord_state(), Ok(ProviderState::Ready(_)))
}

/// What the notes obsctl writes are rendered with (links to GitHub when it
/// is configured, cut to its limit); `None` when obsctl writes none
/// (`--notes-file`, `--notes none`, GitHub's generator).
fn notes_input(args: &ReleaseCreateArgs, github: Option<&GithubConfig>) -> Option<NotesInput> {
    let ours =
        args.notes_file.is_none() && matches!(args.notes, NotesMode::Auto | NotesMode::Replace);
    ours.then(|| NotesInput {
        links: github.map(|g| Links {
            server: g.server_url.as_str().trim_end_matches('/').to_string(),
            repo: g.repo.to_string(),
        }),
        tag: None,
        previous_tag: None,
        config: Default::default(),
        // The markers around obsctl's section count too.
        max_chars: Some(notes::GITHUB_RELEASE_BODY_MAX - 64),
    })
}

/// After the records: the error of a partial failure, else the
/// announcement, the report, the outputs and the step summary.
async fn finish(
    ctx: &Context,
    plan: &Plan,
    sentry: Option<Result<SentryReport, HttpError>>,
    github: Option<Result<GithubReport, HttpError>>,
    body: Option<&str>,
) -> Result<()> {
    let failed = matches!(sentry, Some(Err(_))) || matches!(github, Some(Err(_)));
    if failed {
        return Err(anyhow!(failure_message(&plan.version, &sentry, &github)));
    }
    let sentry = sentry.and_then(Result::ok);
    let github = github.and_then(Result::ok);
    let announcement = announcement(plan, plan.commit_count, &sentry, &github, body);
    let notifications = Notifier::from_context(ctx)?
        .send(&announcement, &[Route::Deployments])
        .await;
    report_failures(ctx, &notifications)?;
    let report = Report {
        version: plan.version.clone(),
        target: plan.target.clone(),
        previous: plan.previous.clone(),
        range: plan.range.clone(),
        commits: plan.commit_count,
        sentry,
        github,
        notifications,
        requests: ctx.dry_run.then(|| ctx.http.planned()),
    };
    print_report(ctx, &report, plan, body)
}

/// The Sentry release with its commits (capped, newest first), finalized
/// unless `--no-finalize`. `None` when Sentry is not configured.
async fn record_sentry(
    ctx: &Context,
    cfg: Option<SentryConfig>,
    repository: Option<String>,
    plan: &Plan,
    no_finalize: bool,
) -> Option<Result<SentryReport, HttpError>> {
    let cfg = cfg?;
    let repo_slug = sentry_repository(ctx, repository);
    let mut batch = sentry_releases::commit_payload(&plan.commits, repo_slug.as_deref());
    // Only the newest commits were kept: the older ones are left out too.
    batch.omitted += plan.commit_count - plan.commits.len();
    if batch.omitted > 0 {
        ctx.ui.notice(&format!(
            "Sentry: sending the newest {} of {} commits (Sentry replaces a release's commit list \
                 on every call, so obsctl caps it at {} commits and {} MiB instead of batching)",
            batch.commits.len(),
            plan.commit_count,
            sentry_releases::MAX_COMMITS,
            sentry_releases::MAX_BODY_BYTES / (1024 * 1024)
        ));
    }
    let sentry = Sentry::new(ctx.http.clone(), cfg);
    let released_at = (!no_finalize).then(Utc::now);
    let result = sentry
        .create_release(&plan.version, &batch.commits, released_at)
        .await
        .map(|r| SentryReport {
            status: r.status,
            commits: batch.commits.len(),
            commits_omitted: batch.omitted,
            finalized: !no_finalize,
            url: r.url,
        });
    Some(result)
}

/// The GitHub release with its notes (GitHub's generator when asked).
/// `None` when GitHub is not configured.
async fn record_github(
    ctx: &Context,
    cfg: Option<GithubConfig>,
    plan: &Plan,
    body: Option<String>,
    generate_notes: bool,
    args: &ReleaseCreateArgs,
) -> Option<Result<GithubReport, HttpError>> {
    let cfg = cfg?;
    let github = GitHub::new(ctx.http.clone(), cfg);
    let result = async {
        let body = if generate_notes {
            Some(
                github
                    .generate_notes(&plan.tag, Some(&plan.target), plan.previous_tag.as_deref())
                    .await?,
            )
        } else {
            body.clone()
        };
        let spec = ReleaseSpec {
            tag: plan.tag.clone(),
            name: plan.version.clone(),
            body,
            draft: args.draft,
            prerelease: args.prerelease,
            target_commitish: Some(plan.target.clone()),
            replace: args.notes == NotesMode::Replace,
        };
        let (status, release) = github.publish_release(&spec).await?;
        Ok::<_, HttpError>(GithubReport {
            status,
            url: release.html_url,
            tag: plan.tag.clone(),
        })
    }
    .await;
    Some(result)
}

/// Print the result (or, under `--dry-run`, the plan), then the Actions
/// outputs and step summary.
fn print_report(ctx: &Context, report: &Report, plan: &Plan, body: Option<&str>) -> Result<()> {
    if ctx.dry_run {
        // Nothing was recorded: the plan, not an outcome.
        let text = format!(
            "{}\nRelease {}: {} commits ({}) would be recorded as above.",
            dry_run_text(&ctx.http.planned()),
            report.version,
            report.commits,
            report.range
        );
        ctx.ui.result(&text, report);
        return Ok(());
    }
    let text = report_text(report, plan);
    ctx.ui.result(&text, report);
    let release_url = report
        .github
        .as_ref()
        .map(|g| g.url.clone())
        .or_else(|| report.sentry.as_ref().map(|s| s.url.clone()))
        .unwrap_or_default();
    ctx.write_outputs(&[
        ("version", report.version.clone()),
        ("release_url", release_url),
    ])?;
    ctx.write_summary(&summary_markdown(report, body))?;
    Ok(())
}

/// The release announcement for #deployments: version, links to the
/// GitHub and Sentry releases, and the first lines of the notes.
fn announcement(
    plan: &Plan,
    commits: usize,
    sentry: &Option<SentryReport>,
    github: &Option<GithubReport>,
    notes: Option<&str>,
) -> Message {
    let mut msg = Message::new(format!("Released {}", plan.version))
        .event(Event::Release)
        .severity(Severity::Success)
        .text(notes.map(notes_excerpt).unwrap_or_default())
        .field("Commits", commits.to_string())
        .field("Range", plan.range.clone());
    if let Some(g) = github {
        msg = msg.link("GitHub release", g.url.clone());
        msg.url = Some(g.url.clone());
    }
    if let Some(s) = sentry {
        msg = msg.link("Sentry release", s.url.clone());
    }
    msg
}

/// The first lines of Markdown release notes as plain text: headings become
/// labels, links their text. The message builders escape what remains.
fn notes_excerpt(notes: &str) -> String {
    const MAX_LINES: usize = 12;
    static LINK: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"\[([^\]]*)\]\([^)]*\)").expect("valid regex")
    });
    let lines: Vec<String> = notes
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("**Full changelog**"))
        .map(|l| match l.trim_start_matches('#').trim() {
            heading if l.starts_with('#') => format!("{heading}:"),
            line => LINK.replace_all(line, "$1").replace('\\', ""),
        })
        .collect();
    let mut out = lines
        .iter()
        .take(MAX_LINES)
        .cloned()
        .collect::<Vec<_>>()
        .join("\n");
    if lines.len() > MAX_LINES {
        out.push_str(&format!("\n… and {} more lines", lines.len() - MAX_LINES));
    }
    out
}

/// The repository path for Sentry's `commits[].repository` (never a
/// remote's name): see [`Context::sentry_repository`].
fn sentry_repository(ctx: &Context, repository: Option<String>) -> Option<String> {
    match repository {
        None => {
            ctx.ui.notice(
                "Sentry: the repository is unknown (set SENTRY_REPOSITORY=PATH as Sentry's \
                 integration names it, e.g. owner/name or group/sub/web): commits are sent \
                 without one",
            );
            None
        }
        Some(slug) => {
            if slug.chars().count() > 64 {
                ctx.ui.warn(&format!(
                    "Sentry: repository {slug} is longer than the 64 characters Sentry accepts: \
                     commits are sent without it"
                ));
            }
            Some(slug)
        }
    }
}

/// What was and was not recorded, for the error of a partial failure.
fn failure_message(
    version: &str,
    sentry: &Option<Result<SentryReport, HttpError>>,
    github: &Option<Result<GithubReport, HttpError>>,
) -> String {
    fn line(name: &str, outcome: Option<Result<String, String>>) -> String {
        match outcome {
            None => format!("{name}: skipped"),
            Some(Ok(what)) => format!("{name}: recorded ({what})"),
            Some(Err(e)) => {
                let e = e.strip_prefix(&format!("{name}: ")).unwrap_or(&e);
                format!("{name}: NOT recorded: {e}")
            }
        }
    }
    let s = sentry.as_ref().map(|r| {
        r.as_ref()
            .map(|r| format!("{}, {} commits", status_word(r.status), r.commits))
            .map_err(ToString::to_string)
    });
    let g = github.as_ref().map(|r| {
        r.as_ref()
            .map(|r| format!("{}, {}", status_word_gh(r.status), r.url))
            .map_err(ToString::to_string)
    });
    format!(
        "release {version} was not recorded everywhere.\n  {}\n  {}",
        line("Sentry", s),
        line("GitHub", g)
    )
}

fn status_word(s: SentryStatus) -> &'static str {
    match s {
        SentryStatus::Created => "created",
        SentryStatus::Existed => "existed",
    }
}

fn status_word_gh(s: GithubStatus) -> &'static str {
    match s {
        GithubStatus::Created => "created",
        GithubStatus::Updated => "updated",
        GithubStatus::Kept => "already there, left as it is",
    }
}

fn report_text(r: &Report, plan: &Plan) -> String {
    let mut out = format!(
        "Release {}: {} commit{} ({})\n",
        r.version,
        r.commits,
        if r.commits == 1 { "" } else { "s" },
        r.range
    );
    if plan.walked != r.commits {
        out.push_str(&format!(
            "  ({} of {} commits touch the --path filter)\n",
            r.commits, plan.walked
        ));
    }
    match &r.sentry {
        Some(s) => out.push_str(&format!(
            "  Sentry: {}, {} commits sent{}{}, {}\n",
            status_word(s.status),
            s.commits,
            if s.commits_omitted > 0 {
                format!(" ({} older left out)", s.commits_omitted)
            } else {
                String::new()
            },
            if s.finalized { ", finalized" } else { "" },
            s.url
        )),
        None => out.push_str("  Sentry: skipped\n"),
    }
    match &r.github {
        Some(g) => out.push_str(&format!(
            "  GitHub: {} release {}, {}\n",
            status_word_gh(g.status),
            g.tag,
            g.url
        )),
        None => out.push_str("  GitHub: skipped\n"),
    }
    for d in &r.notifications {
        let outcome = match (d.ok, &d.error) {
            (true, _) => "announced".to_string(),
            (false, Some(e)) => format!("not announced ({e})"),
            (false, None) => "not announced".to_string(),
        };
        out.push_str(&format!("  {}: {outcome}\n", d.target));
    }
    out
}

fn summary_markdown(r: &Report, notes: Option<&str>) -> String {
    let esc = notes::escape_markdown;
    let mut md = format!("### Release {}\n\n", esc(&r.version));
    md.push_str(&format!(
        "{} commits ({})\n\n| | |\n|---|---|\n",
        r.commits,
        esc(&r.range)
    ));
    match &r.sentry {
        Some(s) => md.push_str(&format!(
            "| Sentry | [{}]({}): {} commits sent{} |\n",
            status_word(s.status),
            s.url,
            s.commits,
            if s.finalized { ", finalized" } else { "" }
        )),
        None => md.push_str("| Sentry | skipped |\n"),
    }
    match &r.github {
        Some(g) => md.push_str(&format!(
            "| GitHub | [{}]({}) |\n",
            status_word_gh(g.status),
            g.url
        )),
        None => md.push_str("| GitHub | skipped |\n"),
    }
    if let Some(n) = notes {
        md.push_str(&format!("\n{n}\n"));
    }
    md
}

/// Read git once: the target, the version, the range and its commits.
fn plan(input: GitInput) -> Result<Plan> {
    let git = Git::open(&input.repo_path)?;
    let mut notices = Vec::new();
    let target = target_of(&git, &input)?;
    let (version, tag) = version_and_tag(&git, &input, &target, &mut notices)?;
    if input.paths.is_empty() {
        // The commits Sentry gets are diffed on the other core meanwhile
        // (with `--path` the walk diffs every commit itself).
        git.diff_ahead(&target, sentry_releases::MAX_COMMITS);
    }
    // One walk's parsed commits serve the previous release and the range.
    let mut history = git.history()?;
    let choice = range_of(&git, &mut history, &input, &target, &version)?;
    notices.extend(choice.notices);
    let (previous, since) = (choice.previous, choice.since);
    let notes = input.notes.clone().map(|n| NotesInput {
        tag: Some(tag.clone()),
        previous_tag: choice.previous_tag.clone(),
        ..n
    });
    let range = Range {
        target: &target,
        since: since.as_deref(),
        limit: choice.limit,
    };
    let collected = collect(&git, history, &input, range, notes);
    let stats = git.stats();
    let verbose = vec![format!(
        "git: {} commits walked ({} read), {} diffed ({} ahead of the walk; {} trees read, {} with rename detection)",
        stats.walked,
        stats.read,
        stats.diffs,
        stats.diffs_ahead,
        stats.trees_read,
        stats.rename_passes
    )];
    let collected = match collected {
        Ok(c) => c,
        Err(GitError::Missing { spec, sha }) => {
            return Err(anyhow!(
                "{}",
                release::missing_previous(&spec, &sha, git.is_shallow())
            ));
        }
        Err(e) => return Err(e.into()),
    };
    range_notices(
        &input,
        &collected,
        previous.as_deref(),
        since.as_deref(),
        &mut notices,
    )?;
    drop(git);
    // The walk ran on this thread, the notes are rendered on another: give
    // the walk's free memory back first.
    crate::git::memory::trim_allocator();
    Ok(Plan {
        version,
        tag,
        target,
        previous,
        previous_tag: choice.previous_tag,
        range: choice.range,
        commits: collected.commits,
        commit_count: collected.count,
        walked: collected.walked,
        notes: collected.notes,
        notices,
        verbose,
    })
}

/// The commit released: `--target`, else the CI's commit, else HEAD.
fn target_of(git: &Git, input: &GitInput) -> Result<String> {
    match (&input.target, &input.ci_sha) {
        (Some(spec), _) => resolve_target(git, spec, "--target"),
        (None, Some(sha)) => resolve_target(
            git,
            sha,
            "the CI's commit (GITHUB_SHA, CI_COMMIT_SHA or --sha)",
        ),
        (None, None) => git.head_sha(),
    }
}

/// The start of the range: git's facts here, the choice in the core.
fn range_of(
    git: &Git,
    history: &mut History<'_>,
    input: &GitInput,
    target: &str,
    version: &str,
) -> Result<RangeChoice> {
    let start = match &input.previous {
        Some(spec) => RangeStart::Given {
            spec: spec.clone(),
            is_tag: git.is_tag(spec),
            lookup: match git.resolve(spec) {
                Ok(sha) => PreviousLookup::Found(sha),
                Err(GitError::Missing { sha, .. }) => PreviousLookup::Missing(sha),
                Err(e @ GitError::UnknownRef { .. }) => PreviousLookup::Unknown(e.to_string()),
                Err(e) => return Err(e.into()),
            },
        },
        None => RangeStart::Nearest(git.previous_release_in(
            history,
            target,
            version,
            &input.tag_patterns,
        )?),
    };
    choose_range(&RangeFacts {
        target_short: text::short_sha(target).to_string(),
        start,
        shallow: git.is_shallow(),
        allow_shallow: input.allow_shallow,
    })
    .map_err(|e| -> anyhow::Error {
        if e.is_usage() {
            UsageError(e.to_string()).into()
        } else {
            anyhow!("{e}")
        }
    })
}

/// What one walk of the range keeps.
struct Collected {
    /// The newest commits (after `--path`), at most what Sentry can get.
    commits: Vec<CommitInfo>,
    /// Commits after `--path`.
    count: usize,
    /// Commits walked (before `--path`).
    walked: usize,
    /// The rendered notes.
    notes: Option<String>,
    walk: Walk,
}

/// The commits to walk: reachable from `target`, not from `since`, at most
/// `limit`.
struct Range<'a> {
    target: &'a str,
    since: Option<&'a str>,
    limit: Option<usize>,
}

/// Walk the range once, streaming: each commit goes into the notes (when
/// obsctl writes them) and, while fewer than Sentry's cap are kept, into the
/// commits sent; nothing else of it is kept, and the notes are rendered
/// before the kept commits are diffed, so memory follows what is sent and
/// shown, not the range. Without notes or `--path`, the commits beyond
/// Sentry's cap are only counted, not read. Only the commits Sentry can get
/// are diffed (the 4 MiB cap only cuts further); `--path` filters on the
/// files of every commit, so then the walk diffs them all. `history` (what
/// the search for the previous release parsed) is dropped before the diffs.
fn collect(
    git: &Git,
    mut history: History<'_>,
    input: &GitInput,
    range: Range<'_>,
    notes_input: Option<NotesInput>,
) -> Result<Collected, GitError> {
    let filter = !input.paths.is_empty();
    let mut commits = Vec::new();
    let (mut count, mut walked) = (0, 0);
    let mut notes = notes_input.as_ref().map(|n| Notes::new(&n.config));
    let max = sentry_releases::MAX_COMMITS;
    let reading = Reading {
        full_first: (!filter).then_some(max),
        diff: filter,
        rest: filter || notes.is_some(),
    };
    let (target, since, limit) = (range.target, range.since, range.limit);
    let walk = git.walk_each(&mut history, target, since, limit, reading, |c| {
        walked += 1;
        if filter && !c.touches(&input.paths) {
            return;
        }
        count += 1;
        if let Some(n) = notes.as_mut() {
            n.push(&c);
        }
        if commits.len() < max {
            commits.push(c);
        }
    })?;
    drop(history);
    // Not read: no `--path`, so every one counts.
    walked += walk.unread;
    count += walk.unread;
    let notes = notes.zip(notes_input).map(|(n, i)| n.render(&i));
    git.add_changes(&mut commits)?;
    Ok(Collected {
        commits,
        count,
        walked,
        notes,
        walk,
    })
}

/// Notices about the range walked: a first release's depth, a shallow
/// clone's edge (an error without `--allow-shallow`), `--path`.
fn range_notices(
    input: &GitInput,
    c: &Collected,
    previous: Option<&str>,
    since: Option<&str>,
    notices: &mut Vec<String>,
) -> Result<()> {
    if c.walk.truncated {
        notices.push(format!(
            "first release: no earlier tag, so only the latest {FIRST_RELEASE_DEPTH} commits are \
             used (name the start with --previous)"
        ));
    }
    if let (Some(b), Some(sha)) = (c.walk.shallow_boundary.first(), since) {
        let prev = previous.unwrap_or(sha);
        if !input.allow_shallow {
            return Err(anyhow!(
                "this shallow clone's history stops at commit {b} before reaching the previous \
                 release {prev} ({sha}), so the range would be incomplete: {SHALLOW_FIX}"
            ));
        }
        notices.push(format!(
            "shallow clone: the history stops at {b} before the previous release {prev}; going on \
             with the {} commits that are here (--allow-shallow)",
            c.walked
        ));
    }
    if !input.paths.is_empty() {
        notices.push(format!(
            "--path {}: {} of {} commits touch it",
            input.paths.join(", "),
            c.count,
            c.walked
        ));
    }
    Ok(())
}

/// The release's version (VERSION, else the tag at the target, else the
/// workflow's tag) and the tag the GitHub release is for.
fn version_and_tag(
    git: &Git,
    input: &GitInput,
    target: &str,
    notices: &mut Vec<String>,
) -> Result<(String, String)> {
    let short = text::short_sha(target);
    let tags_here = git.tags_at(target, None)?;
    // The workflow's tag counts only for the commit the workflow runs on.
    let ci_tag = input.ci_tag.as_deref().filter(|_| input.target.is_none());
    let tag = choose_tag(&tags_here, ci_tag, input.version.as_deref());
    let version = match (&input.version, &tag) {
        (Some(v), _) => v.clone(),
        (None, Some(t)) => t.clone(),
        (None, None) => {
            return usage(format!(
                "no VERSION given and no tag points at the target commit {short}: \
                 pass the version (`obsctl release create 1.2.3`) or tag the commit"
            ));
        }
    };
    validate_version_for(&version, input.sentry_rules).map_err(UsageError)?;
    if tags_here.len() > 1 {
        if let Some(t) = &tag {
            notices.push(format!(
                "several tags point at {short} ({}): using {t} for the release (pass VERSION to choose)",
                tags_here.join(", ")
            ));
        }
    }
    let tag = match tag {
        Some(t) => t,
        None => {
            // GitHub creates the tag from the version: check it here, before
            // Sentry records a release that GitHub would then refuse.
            if input.needs_tag && !git2::Reference::is_valid_name(&format!("refs/tags/{version}")) {
                return usage(format!(
                    "version {version:?} cannot be a git tag name (no spaces, `~`, `^`, `:`, `?`, `*`, `[`, `..`, `@{{`, and no trailing `.` or `.lock`), and no tag points at {short} for the GitHub release: tag the commit, pass a version that is a valid tag name, or pass --no-github"
                ));
            }
            version.clone()
        }
    };

    Ok((version, tag))
}

fn resolve_target(git: &Git, spec: &str, what: &str) -> Result<String> {
    match git.resolve(spec) {
        Ok(sha) => Ok(sha),
        Err(GitError::Missing { sha, .. }) => Err(anyhow!(
            "{what} {spec}: commit {sha} is not in this clone: fetch it (actions/checkout checks \
             out the workflow's commit; otherwise `git fetch origin {sha}`)"
        )),
        Err(e @ GitError::UnknownRef { .. }) => usage(format!("{what}: {e}")),
        Err(e) => Err(e.into()),
    }
}
