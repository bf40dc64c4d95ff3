//! Resolved configuration and CI context: flags win over the environment,
//! an empty (or blank) variable counts as unset, and a provider without
//! credentials is skipped with one notice. Built once per run from the parsed
//! CLI and an [`Env`] snapshot (injected, so tests never touch the process
//! environment).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use reqwest::Url;

use crate::cli::{
    AlertsCommand, ChatArgs, CiArgs, Command, DeployCommand, DiscordArgs, DoraCommand,
    EventsCommand, GithubArgs, GlobalArgs, IncidentCommand, ReleaseCommand, SentryArgs, SlackArgs,
    StatusCommand,
};
use crate::config_file::LoadedConfig;
use crate::http::{Http, Policy};
use crate::message::Route;
use crate::redact::Redactor;
use crate::ui::Ui;
use obsctl_core::repository::{RemoteRepo, validate_path};

pub use obsctl_core::UsageError;

/// A command's verdict that is not an error but a non-zero exit (`deploy
/// verify`: 3 fail, 4 inconclusive). Printed as nothing: the command has
/// already reported.
#[derive(Debug, thiserror::Error)]
#[error("exit status {0}")]
pub struct ExitStatus(pub i32);

pub fn usage<T>(msg: impl Into<String>) -> Result<T> {
    Err(UsageError(msg.into()).into())
}

/// End the command with `code` (3: `alerts plan --detailed-exitcode` found
/// pending changes); `message`, when not empty, is printed as the error.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ExitWith {
    pub code: i32,
    pub message: String,
}

/// A snapshot of environment variables; blank values count as unset.
#[derive(Clone, Debug, Default)]
pub struct Env(HashMap<String, String>);

impl Env {
    pub fn from_process() -> Self {
        Self(
            std::env::vars_os()
                .filter_map(|(k, v)| {
                    Some((k.into_string().ok()?, v.to_string_lossy().into_owned()))
                })
                .collect(),
        )
    }

    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    /// The trimmed value, or `None` when unset or blank.
    pub fn get(&self, key: &str) -> Option<String> {
        self.0.get(key).and_then(|v| nonblank(Some(v.clone())))
    }

    pub fn is_true(&self, key: &str) -> bool {
        self.get(key)
            .is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
    }
}

/// `Some` only for a value with something other than white space in it.
pub fn nonblank(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// A GitHub repository slug.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repo {
    pub owner: String,
    pub name: String,
}

impl fmt::Display for Repo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

impl std::str::FromStr for Repo {
    type Err = UsageError;

    fn from_str(s: &str) -> std::result::Result<Self, UsageError> {
        let bad = || {
            UsageError(format!(
                "invalid repository {s:?}: expected OWNER/NAME (GITHUB_REPOSITORY names the \
                 GitHub repository; for Sentry's name of another host's repository, e.g. \
                 group/sub/web, set SENTRY_REPOSITORY)"
            ))
        };
        let (owner, name) = s.trim().split_once('/').ok_or_else(bad)?;
        let ok = |p: &str| {
            !p.is_empty()
                && p != "."
                && p != ".."
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        };
        if !ok(owner) || !ok(name) {
            return Err(bad());
        }
        Ok(Repo {
            owner: owner.to_string(),
            name: name.to_string(),
        })
    }
}

/// The `owner/name` of a git remote URL: `git@host:o/r.git`,
/// `https://host/o/r(.git)`, `ssh://git@host[:port]/o/r.git`. GitHub
/// Enterprise hosts are accepted; the path must have exactly two parts.
pub fn parse_remote_slug(url: &str) -> Option<Repo> {
    let url = url.trim();
    let path = if let Some((_, rest)) = url.split_once("://") {
        // scheme://[user@]host[:port]/path
        rest.split_once('/')?.1
    } else if let Some((host, path)) = url.split_once(':') {
        // scp-like: [user@]host:path (not a Windows drive or a local path)
        if host.contains('/') || host.len() < 2 {
            return None;
        }
        path
    } else {
        return None;
    };
    // White space inside the URL (`acme/web.git\t/`) is trimmed before the
    // `.git` suffix, as `Repo::from_str` trims the slug afterwards.
    let path = path.trim_matches(|c: char| c == '/' || c.is_whitespace());
    let path = path.strip_suffix(".git").unwrap_or(path);
    let mut parts = path.split('/');
    let (owner, name) = (parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let slug = format!("{owner}/{name}");
    // Exactly the slug: `Repo::from_str` trims, the URL's parts must not need it.
    slug.parse().ok().filter(|r: &Repo| r.to_string() == slug)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CiKind {
    GithubActions,
    Gitlab,
    Local,
}

/// What the CI system (or the flags) say about this run.
#[derive(Clone, Debug)]
pub struct CiContext {
    pub kind: CiKind,
    pub sha: Option<String>,
    pub ref_name: Option<String>,
    /// The workflow ref is a tag: its name.
    pub tag: Option<String>,
    pub actor: Option<String>,
    pub run_url: Option<String>,
    /// owner/name as the CI system names it.
    pub repository: Option<String>,
    pub output_file: Option<PathBuf>,
    pub summary_file: Option<PathBuf>,
    /// Notices about what was read (an unreadable pull-request event file),
    /// printed once when the [`Context`] is built.
    pub notices: Vec<String>,
}

/// The commit the environment names: a pull request's head
/// (`pull_request.head.sha` of `GITHUB_EVENT_PATH`, not GitHub's temporary
/// merge commit in `GITHUB_SHA`), a GitLab merge request's source commit
/// (`CI_MERGE_REQUEST_SOURCE_BRANCH_SHA`), else `GITHUB_SHA` /
/// `CI_COMMIT_SHA` whenever set (the running CI's first). An unreadable
/// event file falls back to `GITHUB_SHA` with a notice in `notices`.
fn env_sha(env: &Env, kind: CiKind, notices: &mut Vec<String>) -> Option<String> {
    let event = env.get("GITHUB_EVENT_NAME");
    if is_pull_request_run(env) {
        match pull_request_head(env) {
            Ok(sha) => return Some(sha),
            Err(why) => notices.push(format!(
                "{} run: the pull request's head commit is unknown ({why}): using GITHUB_SHA \
                 (GitHub's merge commit); pass --sha to name the commit",
                event.unwrap_or_default()
            )),
        }
    }
    if kind == CiKind::Gitlab {
        if let Some(sha) = env.get("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA") {
            return Some(sha);
        }
    }
    let (first, second) = match kind {
        CiKind::Gitlab => ("CI_COMMIT_SHA", "GITHUB_SHA"),
        _ => ("GITHUB_SHA", "CI_COMMIT_SHA"),
    };
    env.get(first).or_else(|| env.get(second))
}

/// `pull_request.head.sha` of the event file at `GITHUB_EVENT_PATH`.
fn pull_request_head(env: &Env) -> std::result::Result<String, String> {
    let (path, event) = pull_request_event(env)?;
    match event
        .pointer("/pull_request/head/sha")
        .and_then(|v| v.as_str())
    {
        Some(sha) if crate::text::is_full_sha(sha) => Ok(sha.to_ascii_lowercase()),
        _ => Err(format!("{path} has no pull_request.head.sha")),
    }
}

/// The event file at `GITHUB_EVENT_PATH`: (its path, its JSON).
fn pull_request_event(env: &Env) -> std::result::Result<(String, serde_json::Value), String> {
    let path = env
        .get("GITHUB_EVENT_PATH")
        .ok_or("GITHUB_EVENT_PATH is not set")?;
    let text = std::fs::read_to_string(&path).map_err(|e| format!("reading {path}: {e}"))?;
    let event = serde_json::from_str(&text).map_err(|e| format!("{path} is not JSON: {e}"))?;
    Ok((path, event))
}

/// Whether this GitHub Actions run is for a pull request (`pull_request`,
/// `pull_request_target`), where `GITHUB_SHA` and `GITHUB_REF_NAME` name
/// GitHub's temporary merge commit and ref (`123/merge`).
fn is_pull_request_run(env: &Env) -> bool {
    matches!(
        env.get("GITHUB_EVENT_NAME").as_deref(),
        Some("pull_request" | "pull_request_target")
    )
}

/// The branch the environment names (`{{ref}}`): on a pull-request run the
/// pull request's head branch (`GITHUB_HEAD_REF`, else
/// `pull_request.head.ref` of `GITHUB_EVENT_PATH`) instead of GitHub's
/// `123/merge`; in a GitLab merge-request pipeline the source branch
/// (`CI_MERGE_REQUEST_SOURCE_BRANCH_NAME`); else `GITHUB_REF_NAME` /
/// `CI_COMMIT_REF_NAME`.
fn env_ref_name(env: &Env, kind: CiKind) -> Option<String> {
    match kind {
        CiKind::GithubActions => {
            if is_pull_request_run(env) {
                let head = env.get("GITHUB_HEAD_REF").or_else(|| {
                    let (_, event) = pull_request_event(env).ok()?;
                    let r = event.pointer("/pull_request/head/ref")?.as_str()?.trim();
                    (!r.is_empty()).then(|| r.to_string())
                });
                if head.is_some() {
                    return head;
                }
            }
            env.get("GITHUB_REF_NAME")
        }
        CiKind::Gitlab => env
            .get("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME")
            .or_else(|| env.get("CI_COMMIT_REF_NAME")),
        CiKind::Local => None,
    }
}

impl CiContext {
    pub fn detect(env: &Env, args: &CiArgs) -> Self {
        let mut ci = if env.is_true("GITHUB_ACTIONS") {
            let server = env
                .get("GITHUB_SERVER_URL")
                .unwrap_or_else(|| "https://github.com".into());
            let repository = env.get("GITHUB_REPOSITORY");
            let run_url = match (&repository, env.get("GITHUB_RUN_ID")) {
                (Some(repo), Some(id)) => Some(format!(
                    "{}/{repo}/actions/runs/{id}/attempts/{}",
                    server.trim_end_matches('/'),
                    env.get("GITHUB_RUN_ATTEMPT").unwrap_or_else(|| "1".into())
                )),
                _ => None,
            };
            let ref_name = env_ref_name(env, CiKind::GithubActions);
            let is_tag = env.get("GITHUB_REF_TYPE").as_deref() == Some("tag")
                || env
                    .get("GITHUB_REF")
                    .is_some_and(|r| r.starts_with("refs/tags/"));
            CiContext {
                kind: CiKind::GithubActions,
                sha: None,
                tag: if is_tag {
                    env.get("GITHUB_REF_NAME")
                } else {
                    None
                },
                ref_name,
                actor: env.get("GITHUB_ACTOR"),
                run_url,
                repository,
                output_file: env.get("GITHUB_OUTPUT").map(PathBuf::from),
                summary_file: env.get("GITHUB_STEP_SUMMARY").map(PathBuf::from),
                notices: Vec::new(),
            }
        } else if env.is_true("GITLAB_CI") {
            CiContext {
                kind: CiKind::Gitlab,
                sha: None,
                ref_name: env_ref_name(env, CiKind::Gitlab),
                tag: env.get("CI_COMMIT_TAG"),
                actor: env.get("GITLAB_USER_LOGIN"),
                run_url: env.get("CI_PIPELINE_URL"),
                repository: env.get("CI_PROJECT_PATH"),
                output_file: None,
                summary_file: None,
                notices: Vec::new(),
            }
        } else {
            CiContext {
                kind: CiKind::Local,
                sha: None,
                ref_name: None,
                tag: None,
                actor: None,
                run_url: None,
                repository: None,
                // Honoured outside Actions too, for scripts that emulate it.
                output_file: env.get("GITHUB_OUTPUT").map(PathBuf::from),
                summary_file: env.get("GITHUB_STEP_SUMMARY").map(PathBuf::from),
                notices: Vec::new(),
            }
        };
        match nonblank(args.sha.clone()) {
            Some(v) => ci.sha = Some(v),
            None => ci.sha = env_sha(env, ci.kind, &mut ci.notices),
        }
        if let Some(v) = nonblank(args.ref_name.clone()) {
            ci.ref_name = Some(v);
        }
        if let Some(v) = nonblank(args.actor.clone()) {
            ci.actor = Some(v);
        }
        if let Some(v) = nonblank(args.run_url.clone()) {
            ci.run_url = Some(v);
        }
        ci
    }
}

#[derive(Clone, Debug)]
pub struct GithubConfig {
    pub token: String,
    pub repo: Repo,
    pub api_url: Url,
    pub graphql_url: Url,
    pub server_url: Url,
}

#[derive(Clone, Debug)]
pub struct SentryConfig {
    pub token: String,
    pub org: String,
    pub projects: Vec<String>,
    /// The web URL (links); the API is `{url}/api/0/`.
    pub url: Url,
}

impl SentryConfig {
    pub fn api_base(&self) -> Url {
        crate::http::join(&self.url, "api/0/")
    }
}

/// A provider after resolution: skipped on purpose, not configured (and
/// why), or configured and checked. Commands match on it instead of guessing
/// from raw flags.
#[derive(Clone, Debug)]
pub enum ProviderState<T> {
    /// Skipped on purpose (`--no-github`, `--no-sentry`, `--no-slack`).
    Disabled,
    /// Not configured: what to set (e.g. "GITHUB_TOKEN (or GH_TOKEN) is not set").
    Missing(String),
    /// Configured and checked.
    Ready(T),
}

impl<T> ProviderState<T> {
    /// The configuration, when ready.
    pub fn ready(&self) -> Option<&T> {
        match self {
            ProviderState::Ready(t) => Some(t),
            _ => None,
        }
    }
}

/// A provider's resolution; `Err` holds a usage error (a token without the
/// settings it needs, a malformed URL) raised when a command asks for it, so
/// that a command that does not use the provider is not failed by it.
type Resolved<T> = std::result::Result<ProviderState<T>, String>;

/// The environment `events test` and `alerts test` use, read once here.
#[derive(Clone, Debug, Default)]
pub struct EventsEnv {
    /// `SENTRY_DSN` (a secret: its key is registered with the redactor).
    pub dsn: Option<String>,
    /// `SENTRY_RELEASE`: the test event's release.
    pub release: Option<String>,
    /// `SENTRY_ENVIRONMENT`: the test event's environment.
    pub environment: Option<String>,
    /// The CI run: `gh-<GITHUB_RUN_ID>-<attempt>` or `gl-<CI_PIPELINE_ID>`.
    pub run_id: Option<String>,
}

/// Slack, resolved: a bot token (preferred: updates, threads) and/or incoming
/// webhooks per route, and the channel names per route.
#[derive(Clone, Debug)]
pub struct SlackConfig {
    /// `SLACK_BOT_TOKEN` and the Web API base URL.
    pub bot: Option<(String, Url)>,
    /// Per route: the webhook URL and the variable it came from.
    pub webhooks: BTreeMap<Route, (Url, String)>,
}

/// Discord, resolved: webhooks per route.
#[derive(Clone, Debug)]
pub struct DiscordConfig {
    /// Per route: the webhook URL and the variable it came from.
    pub webhooks: BTreeMap<Route, (Url, String)>,
}

/// Everything a command needs, resolved once (flags > environment >
/// `obsctl.toml`). Cheap to share by reference. The only place that reads
/// the environment.
pub struct Context {
    pub ui: Arc<Ui>,
    pub http: Http,
    pub ci: CiContext,
    pub dry_run: bool,
    pub strict: bool,
    /// The git repository to read (`-C`, else the current directory).
    pub repo_path: PathBuf,
    /// `obsctl.toml` (`--config FILE` / `OBSCTL_CONFIG`, else at the
    /// repository root); the default config when there is none.
    pub config: LoadedConfig,
    /// `OBSCTL_ENVIRONMENT`: the environment name for templates.
    pub default_environment: Option<String>,
    /// `NO_COLOR` is set.
    pub no_color: bool,
    /// Per route: the Slack channel a bot posts to
    /// (`OBSCTL_SLACK_CHANNEL_<ROUTE>`, else the route's default).
    pub slack_channels: BTreeMap<Route, String>,
    /// Health-check header values, per service and header name, from the
    /// environment variables `headers_from_env` names (`None`: not set).
    /// Registered as secrets: masked in Actions, redacted everywhere.
    pub health_headers: BTreeMap<String, BTreeMap<String, Option<String>>>,
    /// What `events test` and `alerts test` read from the environment.
    pub events: EventsEnv,
    sentry_url_explicit: bool,
    providers: Providers,
}

/// Every provider after resolution (errors kept until a command asks).
struct Providers {
    sentry_any_project: Resolved<SentryConfig>,
    repository: std::result::Result<Option<Repo>, String>,
    sentry_repository: std::result::Result<Option<String>, String>,
    github: Resolved<GithubConfig>,
    sentry: Resolved<SentryConfig>,
    slack: Resolved<SlackConfig>,
    discord: Resolved<DiscordConfig>,
}

impl Providers {
    fn resolve(p: &ProviderValues, ci: &CiContext, repo_path: &Path, env: &Env) -> Self {
        let repository = repository(p, ci, repo_path).map_err(|e| format!("{e:#}"));
        let sentry_repository = sentry_repository(p, ci, repo_path);
        let github = if p.no_github {
            Ok(ProviderState::Disabled)
        } else {
            resolve_github(p, &repository)
        };
        let (sentry, sentry_any_project) = if p.no_sentry {
            (Ok(ProviderState::Disabled), Ok(ProviderState::Disabled))
        } else {
            (resolve_sentry(p, true), resolve_sentry(p, false))
        };
        let (slack, discord) = if p.no_slack {
            (Ok(ProviderState::Disabled), Ok(ProviderState::Disabled))
        } else {
            (resolve_slack(p, env), resolve_discord(p, env))
        };
        Self {
            sentry_any_project,
            repository,
            sentry_repository,
            github,
            sentry,
            slack,
            discord,
        }
    }
}

impl EventsEnv {
    fn read(env: &Env) -> Self {
        EventsEnv {
            dsn: env.get("SENTRY_DSN"),
            release: env.get("SENTRY_RELEASE"),
            environment: env.get("SENTRY_ENVIRONMENT"),
            run_id: match (env.get("GITHUB_RUN_ID"), env.get("CI_PIPELINE_ID")) {
                (Some(id), _) => Some(format!(
                    "gh-{id}-{}",
                    env.get("GITHUB_RUN_ATTEMPT").unwrap_or_else(|| "1".into())
                )),
                (None, Some(id)) => Some(format!("gl-{id}")),
                (None, None) => None,
            },
        }
    }
}

/// Per route: `OBSCTL_SLACK_CHANNEL_<ROUTE>`, else the route's default channel.
fn slack_channels(env: &Env) -> BTreeMap<Route, String> {
    Route::ALL
        .into_iter()
        .map(|route| {
            let channel = env
                .get(&format!("OBSCTL_SLACK_CHANNEL_{}", route.env_suffix()))
                .unwrap_or_else(|| route.default_channel().to_string());
            (route, channel)
        })
        .collect()
}

/// The provider flag groups of the command being run: each subcommand
/// flattens the groups it uses (`None`: the command has no such flags, and
/// the environment alone says). Built by [`ProviderFlags::of`] and resolved
/// by [`Context::new`].
#[derive(Clone, Copy, Debug, Default)]
pub struct ProviderFlags<'a> {
    pub github: Option<&'a GithubArgs>,
    pub sentry: Option<&'a SentryArgs>,
    pub slack: Option<&'a SlackArgs>,
    pub discord: Option<&'a DiscordArgs>,
}

impl<'a> ProviderFlags<'a> {
    /// The groups `command` accepts.
    pub fn of(command: &'a Command) -> Self {
        let none = Self::default();
        let g = |github: &'a GithubArgs| Self {
            github: Some(github),
            ..none
        };
        let s = |sentry: &'a SentryArgs| Self {
            sentry: Some(sentry),
            ..none
        };
        let chat = |f: Self, chat: &'a ChatArgs| Self {
            slack: Some(&chat.slack),
            discord: Some(&chat.discord),
            ..f
        };
        let all = |github, sentry, c| {
            chat(
                Self {
                    sentry: Some(sentry),
                    ..g(github)
                },
                c,
            )
        };
        match command {
            Command::Release(ReleaseCommand::Create(a)) => all(&a.github, &a.sentry, &a.chat),
            Command::Deploy(DeployCommand::Start(a)) => all(&a.github, &a.sentry, &a.chat),
            Command::Deploy(DeployCommand::Finish(a)) => all(&a.github, &a.sentry, &a.chat),
            Command::Deploy(DeployCommand::Verify(a)) => all(&a.github, &a.sentry, &a.chat),
            Command::Notify(a) => chat(none, &a.chat),
            Command::Dora(DoraCommand::Report(a)) => g(&a.github),
            Command::Report(a) => Self {
                sentry: Some(&a.sentry),
                ..g(&a.github)
            },
            Command::Status(StatusCommand::Check(a)) => chat(g(&a.github), &a.chat),
            Command::Status(StatusCommand::Build(a)) => g(&a.github),
            Command::Incident(IncidentCommand::Open(a)) => g(&a.github),
            Command::Incident(IncidentCommand::Update(a)) => g(&a.github),
            Command::Incident(IncidentCommand::Resolve(a)) => g(&a.github),
            Command::Alerts(AlertsCommand::Plan(a)) => Self {
                slack: Some(&a.slack),
                ..s(&a.sentry)
            },
            Command::Alerts(AlertsCommand::Apply(a)) => Self {
                slack: Some(&a.slack),
                ..s(&a.sentry)
            },
            Command::Alerts(AlertsCommand::Import(a)) => s(&a.sentry),
            Command::Alerts(AlertsCommand::Test(a)) => s(&a.sentry),
            Command::Events(EventsCommand::Test(a)) => s(&a.sentry),
            Command::Alerts(AlertsCommand::Lint(_) | AlertsCommand::Init(_))
            | Command::Completions { .. }
            | Command::Man(_) => none,
        }
    }
}

/// Provider settings after flags > environment: a flag of a group the
/// command accepts (clap has already read its variable), else the variable
/// itself; blank counts as unset.
#[derive(Debug, Default)]
struct ProviderValues {
    no_github: bool,
    no_sentry: bool,
    no_slack: bool,
    github_token: Option<String>,
    github_repository: Option<String>,
    github_api_url: Option<String>,
    github_graphql_url: Option<String>,
    github_server_url: Option<String>,
    sentry_auth_token: Option<String>,
    sentry_org: Option<String>,
    sentry_project: Option<String>,
    sentry_url: Option<String>,
    sentry_repository: Option<String>,
    slack_webhook_url: Option<String>,
    slack_bot_token: Option<String>,
    slack_api_url: Option<String>,
    discord_webhook_url: Option<String>,
}

impl ProviderValues {
    fn resolve(flags: ProviderFlags<'_>, env: &Env) -> Self {
        let pick = |flag: Option<&Option<String>>, var: &str| {
            nonblank(flag.cloned().flatten()).or_else(|| env.get(var))
        };
        let (gh, se, sl, di) = (flags.github, flags.sentry, flags.slack, flags.discord);
        Self {
            no_github: gh.is_some_and(|a| a.no_github),
            no_sentry: se.is_some_and(|a| a.no_sentry),
            no_slack: sl.is_some_and(|a| a.no_slack),
            github_token: pick(gh.map(|a| &a.github_token), "GITHUB_TOKEN")
                .or_else(|| env.get("GH_TOKEN")),
            github_repository: pick(gh.map(|a| &a.github_repository), "GITHUB_REPOSITORY"),
            github_api_url: pick(gh.map(|a| &a.github_api_url), "GITHUB_API_URL"),
            github_graphql_url: pick(gh.map(|a| &a.github_graphql_url), "GITHUB_GRAPHQL_URL"),
            github_server_url: pick(gh.map(|a| &a.github_server_url), "GITHUB_SERVER_URL"),
            sentry_auth_token: pick(se.map(|a| &a.sentry_auth_token), "SENTRY_AUTH_TOKEN"),
            sentry_org: pick(se.map(|a| &a.sentry_org), "SENTRY_ORG"),
            sentry_project: pick(se.map(|a| &a.sentry_project), "SENTRY_PROJECT"),
            sentry_url: pick(se.map(|a| &a.sentry_url), "SENTRY_URL"),
            sentry_repository: pick(se.map(|a| &a.sentry_repository), "SENTRY_REPOSITORY"),
            slack_webhook_url: pick(sl.map(|a| &a.slack_webhook_url), "SLACK_WEBHOOK_URL"),
            slack_bot_token: pick(sl.map(|a| &a.slack_bot_token), "SLACK_BOT_TOKEN"),
            slack_api_url: pick(sl.map(|a| &a.slack_api_url), "SLACK_API_URL"),
            discord_webhook_url: pick(di.map(|a| &a.discord_webhook_url), "DISCORD_WEBHOOK_URL"),
        }
    }
}

impl Context {
    /// Resolve `global`, the provider flags `command` accepts (see
    /// [`ProviderFlags`]), the environment and `obsctl.toml`, once. Errors:
    /// an unreadable or invalid config file (exit 2; problems in its
    /// `[[alert]]` parts only for the commands that read them, see
    /// [`reads_alerts`], else one warning), a bad `--timeout`.
    pub fn new(global: GlobalArgs, command: &Command, env: Env) -> Result<Self> {
        let ci = CiContext::detect(&env, &global.ci);
        let repo_path = global.repo_path.unwrap_or_else(|| PathBuf::from("."));
        let config = load_config(
            global.config.as_deref(),
            &repo_path,
            reads_alerts(command),
            &env,
        )?;
        let mut values = ProviderValues::resolve(ProviderFlags::of(command), &env);
        values.sentry_org = values
            .sentry_org
            .or_else(|| nonblank(config.config.sentry.org.clone()));
        values.sentry_url = values
            .sentry_url
            .or_else(|| nonblank(config.config.sentry.url.clone()));
        let health_headers = health_headers(&config.config, &env);
        let ui = Arc::new(Ui::new(
            global.format,
            global.verbose,
            global.quiet,
            ci.kind == CiKind::GithubActions,
            redactor(&values, &env, &health_headers),
        ));
        ui.mask_secrets();
        for notice in &ci.notices {
            ui.notice(notice);
        }
        if let Some(warning) = config.alert_warning() {
            ui.warn(&warning);
        }
        let policy = Policy {
            retry_budget: Duration::from_secs(global.retry_budget),
            request_timeout: Duration::from_secs(global.timeout.max(1)),
            ..Policy::default()
        };
        let http = Http::new(policy, ui.clone(), global.dry_run)?;
        Ok(Self {
            providers: Providers::resolve(&values, &ci, &repo_path, &env),
            ui,
            http,
            ci,
            dry_run: global.dry_run,
            strict: global.strict,
            repo_path,
            config,
            default_environment: env.get("OBSCTL_ENVIRONMENT"),
            no_color: env.get("NO_COLOR").is_some(),
            slack_channels: slack_channels(&env),
            health_headers,
            events: EventsEnv::read(&env),
            sentry_url_explicit: values.sentry_url.is_some(),
        })
    }

    /// The repository slug: flag/`GITHUB_REPOSITORY`, else the CI's, else
    /// the `origin` remote. A malformed slug is a usage error.
    pub fn repository(&self) -> Result<Option<Repo>> {
        self.providers
            .repository
            .clone()
            .map_err(|e| UsageError(e).into())
    }

    /// The repository as Sentry's integration names it (`commits[].repository`):
    /// `--sentry-repository`/`SENTRY_REPOSITORY`, else `CI_PROJECT_PATH` on
    /// GitLab, else `GITHUB_REPOSITORY` (flag, or GitHub Actions'), else the
    /// `origin` remote's full path (`group/sub/web`). `Ok(None)` when none
    /// says; a malformed value given by the user is a usage error.
    pub fn sentry_repository(&self) -> Result<Option<String>> {
        self.providers
            .sentry_repository
            .clone()
            .map_err(|e| UsageError(e).into())
    }

    /// GitHub as resolved; a usage error when it is misconfigured.
    pub fn github_state(&self) -> Result<&ProviderState<GithubConfig>> {
        self.providers
            .github
            .as_ref()
            .map_err(|e| UsageError(e.clone()).into())
    }

    /// Sentry as resolved; a usage error when it is misconfigured.
    pub fn sentry_state(&self) -> Result<&ProviderState<SentryConfig>> {
        self.providers
            .sentry
            .as_ref()
            .map_err(|e| UsageError(e.clone()).into())
    }

    /// Slack as resolved; a usage error when a URL is malformed.
    pub fn slack_state(&self) -> Result<&ProviderState<SlackConfig>> {
        self.providers
            .slack
            .as_ref()
            .map_err(|e| UsageError(e.clone()).into())
    }

    /// Discord as resolved; a usage error when a URL is malformed.
    pub fn discord_state(&self) -> Result<&ProviderState<DiscordConfig>> {
        self.providers
            .discord
            .as_ref()
            .map_err(|e| UsageError(e.clone()).into())
    }

    /// `--no-slack`: notifications skipped on purpose.
    pub fn slack_disabled(&self) -> bool {
        matches!(self.providers.slack, Ok(ProviderState::Disabled))
    }

    /// GitHub, when configured. `Ok(None)` when disabled, or (with one
    /// notice) when not configured.
    pub fn github(&self) -> Result<Option<GithubConfig>> {
        Ok(self.optional("GitHub", self.github_state()?))
    }

    /// Whether SENTRY_URL (flag, env or `[sentry] url`) was given (else sentry.io is assumed).
    pub fn sentry_url_explicit(&self) -> bool {
        self.sentry_url_explicit
    }

    /// Sentry's API for commands that name their project themselves
    /// (`events test --project`, a service's project): like [`Context::sentry`]
    /// but SENTRY_PROJECT may be unset (`projects` is then empty), and no
    /// notice when the token is missing (`Ok(None)`).
    pub fn sentry_api(&self) -> Result<Option<SentryConfig>> {
        match &self.providers.sentry_any_project {
            Ok(state) => Ok(state.ready().cloned()),
            Err(e) => Err(UsageError(e.clone()).into()),
        }
    }

    /// Sentry, when configured. A token without org or project is a usage
    /// error; no token at all skips Sentry with one notice.
    pub fn sentry(&self) -> Result<Option<SentryConfig>> {
        Ok(self.optional("Sentry", self.sentry_state()?))
    }

    fn optional<T: Clone>(&self, name: &str, state: &ProviderState<T>) -> Option<T> {
        match state {
            ProviderState::Ready(cfg) => Some(cfg.clone()),
            ProviderState::Disabled => None,
            ProviderState::Missing(reason) => {
                self.ui.notice(&format!("{name} skipped: {reason}"));
                None
            }
        }
    }

    /// Write `$GITHUB_OUTPUT` entries (no-op outside Actions, and under --dry-run).
    pub fn write_outputs(&self, outputs: &[(&str, String)]) -> Result<()> {
        if self.dry_run {
            return Ok(());
        }
        if let Some(path) = &self.ci.output_file {
            let redacted: Vec<(&str, String)> = outputs
                .iter()
                .map(|(k, v)| (*k, self.ui.redactor.redact(v)))
                .collect();
            crate::actions::write_outputs(path, &redacted)?;
        }
        Ok(())
    }

    /// Append to the step summary (no-op when there is none).
    pub fn write_summary(&self, markdown: &str) -> Result<()> {
        if let Some(path) = &self.ci.summary_file {
            crate::actions::append_summary(path, &self.ui.redactor.redact(markdown))?;
        }
        Ok(())
    }
}

/// Load `obsctl.toml`: `--config FILE` / `OBSCTL_CONFIG`, else at the
/// repository root, else in `repo_path`. A named file that is not there is
/// a usage error (exit 2) saying which of the two named it.
fn load_config(
    explicit: Option<&Path>,
    repo_path: &Path,
    alerts: bool,
    env: &Env,
) -> Result<LoadedConfig> {
    if let Some(path) = explicit.filter(|p| !p.is_file()) {
        // The flag wins over the variable: the variable named it only when
        // it says the same.
        let (from, drop) = match env.get("OBSCTL_CONFIG") {
            Some(v) if Path::new(&v) == path => ("OBSCTL_CONFIG", "unset OBSCTL_CONFIG"),
            _ => ("--config", "leave --config out"),
        };
        let what = if path.exists() {
            "is not a file"
        } else {
            "does not exist"
        };
        return usage(format!(
            "the config file {} (from {from}) {what}: fix the path, or {drop} to use \
             obsctl.toml at the repository root",
            path.display()
        ));
    }
    let root = git2::Repository::discover(repo_path)
        .ok()
        .and_then(|r| r.workdir().map(Path::to_path_buf));
    let mut dirs: Vec<&Path> = Vec::new();
    if let Some(root) = &root {
        dirs.push(root);
    }
    dirs.push(repo_path);
    crate::config_file::load(explicit, &dirs, alerts)
}

/// Whether `command` reads the `[[alert]]`, `[alerts]` and `[slack]` parts
/// of `obsctl.toml`: then a problem there is an error (exit 2); any other
/// command warns once and goes on.
pub fn reads_alerts(command: &Command) -> bool {
    matches!(command, Command::Alerts(_))
}

/// `::error file=…,line=…,col=…::message` lines for a config-file error in
/// GitHub Actions (one per problem); empty elsewhere or for other errors.
pub fn config_error_annotations(err: &anyhow::Error, env: &Env) -> Vec<String> {
    if !env.is_true("GITHUB_ACTIONS") {
        return Vec::new();
    }
    let Some(ce) = err
        .chain()
        .find_map(|c| c.downcast_ref::<obsctl_core::config::ConfigError>())
    else {
        return Vec::new();
    };
    ce.problems
        .iter()
        .map(|p| {
            let mut props = format!("file={}", crate::actions::escape_property(&ce.file));
            if let Some(pos) = p.position {
                props.push_str(&format!(",line={},col={}", pos.line, pos.column));
            }
            format!(
                "::error {props}::{}",
                crate::actions::escape_data(&p.message)
            )
        })
        .collect()
}

/// `[[service]] headers_from_env`: header → the value of the variable it names.
fn health_headers(
    config: &obsctl_core::config::Config,
    env: &Env,
) -> BTreeMap<String, BTreeMap<String, Option<String>>> {
    config
        .services
        .iter()
        .map(|s| {
            let headers = s
                .headers_from_env
                .iter()
                .map(|(header, var)| (header.clone(), env.get(var)))
                .collect();
            (s.name().to_string(), headers)
        })
        .collect()
}

/// Every secret the run knows: provider tokens, secret URLs (webhooks,
/// DSNs) and health-check header values.
fn redactor(
    providers: &ProviderValues,
    env: &Env,
    health_headers: &BTreeMap<String, BTreeMap<String, Option<String>>>,
) -> Redactor {
    let mut redactor = Redactor::new();
    for (service, headers) in health_headers {
        for (header, value) in headers {
            if let Some(v) = value {
                redactor.add(&format!("{service} health-check header {header}"), v);
            }
        }
    }
    for (label, value) in [
        ("GITHUB_TOKEN", &providers.github_token),
        ("SENTRY_AUTH_TOKEN", &providers.sentry_auth_token),
        ("SLACK_BOT_TOKEN", &providers.slack_bot_token),
    ] {
        if let Some(v) = value {
            redactor.add(label, v);
        }
    }
    // Secret URLs: their secret parts (path, token, DSN key) too.
    for (label, value) in [
        ("SLACK_WEBHOOK_URL", &providers.slack_webhook_url),
        ("DISCORD_WEBHOOK_URL", &providers.discord_webhook_url),
    ] {
        if let Some(v) = value {
            redactor.add_url(label, v);
        }
    }
    // API and server URLs are not secret, but credentials written into
    // them (`https://user:pass@ghe.example.com/api/v3`) are.
    for (label, value) in [
        ("GITHUB_API_URL", &providers.github_api_url),
        ("GITHUB_GRAPHQL_URL", &providers.github_graphql_url),
        ("GITHUB_SERVER_URL", &providers.github_server_url),
        ("SENTRY_URL", &providers.sentry_url),
        ("SLACK_API_URL", &providers.slack_api_url),
    ] {
        if let Some(url) = value.as_deref().and_then(|v| Url::parse(v.trim()).ok()) {
            if let Some(password) = url.password() {
                redactor.add(&format!("{label} password"), password);
                redactor.add(&format!("{label} user"), url.username());
            }
        }
    }
    // Per-route webhooks and DSNs are secrets too.
    for (key, value) in env.0.iter() {
        let is_secret = (key.starts_with("SLACK_WEBHOOK_URL_")
            || key.starts_with("DISCORD_WEBHOOK_URL_")
            || key == "SENTRY_DSN")
            && !value.trim().is_empty();
        if is_secret {
            redactor.add_url(key, value);
        }
    }
    redactor
}

/// The repository slug: flag/`GITHUB_REPOSITORY`, else the CI's, else the
/// `origin` remote.
fn repository(
    providers: &ProviderValues,
    ci: &CiContext,
    repo_path: &Path,
) -> Result<Option<Repo>> {
    if let Some(slug) = &providers.github_repository {
        return Ok(Some(slug.parse()?));
    }
    if let Some(slug) = &ci.repository {
        if let Ok(repo) = slug.parse() {
            return Ok(Some(repo));
        }
    }
    Ok(origin_slug(repo_path))
}

/// See [`Context::sentry_repository`].
fn sentry_repository(
    providers: &ProviderValues,
    ci: &CiContext,
    repo_path: &Path,
) -> std::result::Result<Option<String>, String> {
    if let Some(path) = &providers.sentry_repository {
        return validate_path(path)
            .map(Some)
            .map_err(|e| format!("--sentry-repository / SENTRY_REPOSITORY: {e}"));
    }
    if ci.kind == CiKind::Gitlab {
        if let Some(path) = &ci.repository {
            return validate_path(path)
                .map(Some)
                .map_err(|e| format!("CI_PROJECT_PATH: {e} (or set SENTRY_REPOSITORY)"));
        }
    }
    let github = providers.github_repository.as_ref().or(match ci.kind {
        CiKind::GithubActions => ci.repository.as_ref(),
        _ => None,
    });
    if let Some(repo) = github.and_then(|slug| slug.parse::<Repo>().ok()) {
        return Ok(Some(repo.to_string()));
    }
    Ok(origin_remote(repo_path).map(|r| r.sentry_name()))
}

fn resolve_github(
    p: &ProviderValues,
    repository: &std::result::Result<Option<Repo>, String>,
) -> Resolved<GithubConfig> {
    let Some(token) = p.github_token.clone() else {
        return Ok(ProviderState::Missing(
            "GITHUB_TOKEN (or GH_TOKEN) is not set".into(),
        ));
    };
    let err = |e: anyhow::Error| format!("{e:#}");
    let Some(repo) = repository.clone()? else {
        return Err(
            "GitHub: the repository is unknown: set GITHUB_REPOSITORY=owner/name \
             (or --github-repository), or add an `origin` remote on GitHub (an `origin` \
             elsewhere, e.g. GitLab, does not name a GitHub repository: pass --no-github there)"
                .into(),
        );
    };
    let (api_url, graphql_url, server_url) = github_urls(
        p.github_api_url.as_deref(),
        p.github_graphql_url.as_deref(),
        p.github_server_url.as_deref(),
    )
    .map_err(err)?;
    Ok(ProviderState::Ready(GithubConfig {
        token,
        repo,
        api_url,
        graphql_url,
        server_url,
    }))
}

fn resolve_sentry(p: &ProviderValues, require_projects: bool) -> Resolved<SentryConfig> {
    let Some(token) = p.sentry_auth_token.clone() else {
        return Ok(ProviderState::Missing(
            "SENTRY_AUTH_TOKEN is not set".into(),
        ));
    };
    let Some(org) = p.sentry_org.clone() else {
        return Err(
            "Sentry: SENTRY_ORG (or --sentry-org) is not set: name the organization slug".into(),
        );
    };
    let projects: Vec<String> = p
        .sentry_project
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    if projects.is_empty() && require_projects {
        return Err(
            "Sentry: SENTRY_PROJECT (or --sentry-project) is not set: name one or more project slugs, comma-separated".into(),
        );
    }
    for slug in std::iter::once(&org).chain(&projects) {
        if slug.contains(['/', ' ', '?', '#']) {
            return Err(format!("Sentry: {slug:?} is not a valid slug"));
        }
    }
    let url = parse_url(
        "SENTRY_URL",
        p.sentry_url.as_deref().unwrap_or("https://sentry.io"),
    )
    .map_err(|e| format!("{e:#}"))?;
    Ok(ProviderState::Ready(SentryConfig {
        token,
        org,
        projects,
        url,
    }))
}

/// Webhooks per route: `{base}_{ROUTE}` wins over `{base}` (flag or variable).
fn route_webhooks(
    base: &str,
    fallback: Option<&String>,
    env: &Env,
) -> std::result::Result<BTreeMap<Route, (Url, String)>, String> {
    let mut hooks = BTreeMap::new();
    for route in Route::ALL {
        let per_route = format!("{base}_{}", route.env_suffix());
        let err = |e: anyhow::Error| format!("{e:#}");
        if let Some(v) = env.get(&per_route) {
            hooks.insert(route, (parse_url(&per_route, &v).map_err(err)?, per_route));
        } else if let Some(v) = fallback {
            hooks.insert(route, (parse_url(base, v).map_err(err)?, base.to_string()));
        }
    }
    Ok(hooks)
}

fn resolve_slack(p: &ProviderValues, env: &Env) -> Resolved<SlackConfig> {
    let bot = match &p.slack_bot_token {
        Some(token) => {
            let api = parse_url(
                "SLACK_API_URL",
                p.slack_api_url
                    .as_deref()
                    .unwrap_or(crate::providers::slack::DEFAULT_API_URL),
            )
            .map_err(|e| format!("{e:#}"))?;
            Some((token.clone(), api))
        }
        None => None,
    };
    let webhooks = route_webhooks("SLACK_WEBHOOK_URL", p.slack_webhook_url.as_ref(), env)?;
    if bot.is_none() && webhooks.is_empty() {
        return Ok(ProviderState::Missing(
            "none of SLACK_BOT_TOKEN, SLACK_WEBHOOK_URL(_<ROUTE>) is set".into(),
        ));
    }
    Ok(ProviderState::Ready(SlackConfig { bot, webhooks }))
}

fn resolve_discord(p: &ProviderValues, env: &Env) -> Resolved<DiscordConfig> {
    let webhooks = route_webhooks("DISCORD_WEBHOOK_URL", p.discord_webhook_url.as_ref(), env)?;
    if webhooks.is_empty() {
        return Ok(ProviderState::Missing(
            "DISCORD_WEBHOOK_URL(_<ROUTE>) is not set".into(),
        ));
    }
    Ok(ProviderState::Ready(DiscordConfig { webhooks }))
}

/// Parse a configured URL; a bad one is a usage error naming the variable.
pub fn parse_url(name: &str, value: &str) -> Result<Url> {
    match Url::parse(value.trim()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(u),
        _ => usage(format!("{name} is not an http(s) URL")),
    }
}

/// Parse a URL obsctl publishes (a deployment's environment URL, a status
/// page's address): [`parse_url`], and credentials (`user:password@`) in
/// it are a usage error rather than a leak.
pub fn parse_published_url(name: &str, value: &str) -> Result<Url> {
    let u = parse_url(name, value)?;
    if obsctl_core::message::has_credentials(u.as_str()) {
        return usage(format!(
            "{name} carries credentials (user:password@): the URL is published; give it without them"
        ));
    }
    Ok(u)
}

/// REST, GraphQL and web URLs. GHES: `https://HOST/api/v3` has its GraphQL
/// API at `https://HOST/api/graphql` and its web UI at `https://HOST`.
pub fn github_urls(
    api: Option<&str>,
    graphql: Option<&str>,
    server: Option<&str>,
) -> Result<(Url, Url, Url)> {
    let api = parse_url("GITHUB_API_URL", api.unwrap_or("https://api.github.com"))?;
    let api_path = api.path().trim_end_matches('/').to_string();
    let graphql = match graphql {
        Some(g) => parse_url("GITHUB_GRAPHQL_URL", g)?,
        None => {
            let mut u = api.clone();
            match api_path.strip_suffix("/api/v3") {
                Some(prefix) => u.set_path(&format!("{prefix}/api/graphql")),
                None => u.set_path(&format!("{api_path}/graphql")),
            }
            u
        }
    };
    let server = match server {
        Some(s) => parse_url("GITHUB_SERVER_URL", s)?,
        None if api.host_str() == Some("api.github.com") => {
            Url::parse("https://github.com").expect("static")
        }
        None => {
            let mut u = api.clone();
            u.set_path(api_path.strip_suffix("/api/v3").unwrap_or(""));
            u
        }
    };
    // The server URL makes the links people read (release notes, messages):
    // never with the credentials an API URL may carry.
    let mut server = server;
    let _ = server.set_password(None);
    let _ = server.set_username("");
    Ok((api, graphql, server))
}

/// The slug of the `origin` remote, if there is one that looks like GitHub's.
pub fn origin_slug(repo_path: &Path) -> Option<Repo> {
    let repo = git2::Repository::discover(repo_path).ok()?;
    let remote = repo.find_remote("origin").ok()?;
    parse_remote_slug(remote.url().ok()?)
}

/// The `origin` remote as a path on its host (any host, nested groups).
pub fn origin_remote(repo_path: &Path) -> Option<RemoteRepo> {
    let repo = git2::Repository::discover(repo_path).ok()?;
    let remote = repo.find_remote("origin").ok()?;
    RemoteRepo::parse(remote.url().ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Credentials written into an API URL never reach a link (the server
    /// URL) and are redacted wherever they are printed.
    #[test]
    fn credentials_in_api_urls_are_neither_linked_nor_printed() {
        let (api, _, server) = github_urls(
            Some("https://bot:S3cretApiPass@ghe.example.com/api/v3"),
            None,
            None,
        )
        .unwrap();
        assert_eq!(api.password(), Some("S3cretApiPass"));
        assert_eq!(server.as_str(), "https://ghe.example.com/");
        let values = ProviderValues {
            github_api_url: Some("https://bot:S3cretApiPass@ghe.example.com/api/v3".into()),
            sentry_url: Some("https://ops:An0therPassw0rd@sentry.example.com/".into()),
            ..ProviderValues::default()
        };
        let r = redactor(&values, &Env(HashMap::new()), &BTreeMap::new());
        let out = r.redact("GET https://bot:S3cretApiPass@ghe.example.com and An0therPassw0rd");
        assert!(!out.contains("S3cretApiPass"), "{out}");
        assert!(!out.contains("An0therPassw0rd"), "{out}");
    }

    /// Every subcommand that lists a provider's flags gets them resolved:
    /// `ProviderFlags::of` has its arm (a missing arm would ignore the flags).
    #[test]
    fn every_provider_group_a_command_shows_is_resolved() {
        use clap::Parser;
        // The arguments each command needs to parse (a new command must be added here).
        let minimal = |path: &str| -> Vec<&str> {
            match path {
                "deploy start" | "deploy finish" => {
                    let mut v = vec!["-e", "production"];
                    if path == "deploy finish" {
                        v.extend(["--status", "success"]);
                    }
                    v
                }
                "notify" => vec!["--title", "t"],
                "incident open" => vec!["--service", "web", "--title", "t"],
                "incident update" => vec!["1", "--status", "identified", "--message", "m"],
                "incident resolve" => vec!["1"],
                "alerts test" => vec!["key"],
                "status build" => vec!["--out", "site"],
                _ => vec![],
            }
        };
        let groups = [
            ("--github-token", "GitHub"),
            ("--sentry-auth-token", "Sentry"),
            ("--slack-bot-token", "Slack"),
            ("--discord-webhook-url", "Discord"),
        ];
        let mut cmd = crate::cli::command();
        cmd.build();
        let mut checked = 0;
        for (path, leaf) in crate::cli::leaf_commands(&cmd) {
            for (flag, name) in groups {
                let shown = leaf
                    .get_arguments()
                    .any(|a| a.get_long() == Some(&flag[2..]));
                if !shown {
                    continue;
                }
                let mut argv: Vec<&str> = vec!["obsctl"];
                argv.extend(path.split(' '));
                argv.extend(minimal(&path));
                argv.extend([flag, "https://x.example/v"]);
                let cli = crate::cli::Cli::try_parse_from(&argv)
                    .unwrap_or_else(|e| panic!("{argv:?}: {e}"));
                let f = ProviderFlags::of(&cli.command);
                let got = match name {
                    "GitHub" => f.github.and_then(|g| g.github_token.clone()),
                    "Sentry" => f.sentry.and_then(|g| g.sentry_auth_token.clone()),
                    "Slack" => f.slack.and_then(|g| g.slack_bot_token.clone()),
                    _ => f.discord.and_then(|g| g.discord_webhook_url.clone()),
                };
                assert_eq!(
                    got.as_deref(),
                    Some("https://x.example/v"),
                    "`obsctl {path}` shows {flag} but ProviderFlags::of drops it"
                );
                checked += 1;
            }
        }
        assert!(checked >= 30, "{checked}");
    }

    #[test]
    fn remote_urls() {
        let want = Some(Repo {
            owner: "acme".into(),
            name: "web".into(),
        });
        for url in [
            "git@github.com:acme/web.git",
            "git@github.com:acme/web",
            "https://github.com/acme/web.git",
            "https://github.com/acme/web/",
            "ssh://git@github.com/acme/web.git",
            "ssh://git@ghe.corp:2222/acme/web.git",
            "https://user:pw@ghe.corp/acme/web",
            // Found by fuzzing: white space before a trailing slash kept
            // `.git` in the name (fuzz/corpus/remote_url/space-slash).
            "git@github.com:acme/web.git\x0b/",
            "https://github.com/acme/web.git /",
        ] {
            assert_eq!(parse_remote_slug(url), want, "{url}");
        }
        for url in [
            "origin",
            "/srv/git/web.git",
            "https://gitlab.com/group/sub/web.git",
            "C:\\repo",
            "(s:2/.git\x0b//",
            "(s:2/.git\x0b.git//",
            "git@github.com:acme/web\t.git",
        ] {
            assert_eq!(parse_remote_slug(url), None, "{url}");
        }
    }

    #[test]
    fn repo_slugs() {
        assert!("acme/web".parse::<Repo>().is_ok());
        for bad in ["acme", "acme/", "/web", "a/b/c", "a b/c", "../x"] {
            assert!(bad.parse::<Repo>().is_err(), "{bad}");
        }
    }

    #[test]
    fn github_url_derivation() {
        let (api, gql, web) = github_urls(None, None, None).unwrap();
        assert_eq!(api.as_str(), "https://api.github.com/");
        assert_eq!(gql.as_str(), "https://api.github.com/graphql");
        assert_eq!(web.as_str(), "https://github.com/");
        let (_, gql, web) = github_urls(Some("https://ghe.corp/api/v3"), None, None).unwrap();
        assert_eq!(gql.as_str(), "https://ghe.corp/api/graphql");
        assert_eq!(web.as_str(), "https://ghe.corp/");
        let (_, gql, _) = github_urls(Some("http://127.0.0.1:9999"), None, None).unwrap();
        assert_eq!(gql.as_str(), "http://127.0.0.1:9999/graphql");
        assert!(github_urls(Some("not a url"), None, None).is_err());
    }

    #[test]
    fn blank_env_is_unset() {
        let env = Env::from_pairs([("A", ""), ("B", "  "), ("C", " x ")]);
        assert_eq!(env.get("A"), None);
        assert_eq!(env.get("B"), None);
        assert_eq!(env.get("C").as_deref(), Some("x"));
    }

    #[test]
    fn github_actions_context() {
        let env = Env::from_pairs([
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_SHA", "abc"),
            ("GITHUB_REF_NAME", "v1.2.0"),
            ("GITHUB_REF_TYPE", "tag"),
            ("GITHUB_REPOSITORY", "acme/web"),
            ("GITHUB_RUN_ID", "42"),
            ("GITHUB_RUN_ATTEMPT", "2"),
            ("GITHUB_SERVER_URL", "https://github.com"),
        ]);
        let ci = CiContext::detect(
            &env,
            &CiArgs {
                sha: None,
                ref_name: None,
                actor: Some("me".into()),
                run_url: None,
            },
        );
        assert_eq!(ci.kind, CiKind::GithubActions);
        assert_eq!(ci.tag.as_deref(), Some("v1.2.0"));
        assert_eq!(ci.actor.as_deref(), Some("me"));
        assert_eq!(
            ci.run_url.as_deref(),
            Some("https://github.com/acme/web/actions/runs/42/attempts/2")
        );
    }

    fn no_flags() -> CiArgs {
        CiArgs {
            sha: None,
            ref_name: None,
            actor: None,
            run_url: None,
        }
    }

    const MERGE: &str = "1111111111111111111111111111111111111111";
    const HEAD: &str = "2222222222222222222222222222222222222222";

    #[test]
    fn a_pull_request_run_uses_the_head_not_the_merge_commit() {
        let dir = tempfile::tempdir().unwrap();
        let event = dir.path().join("event.json");
        std::fs::write(
            &event,
            format!(r#"{{"pull_request": {{"head": {{"sha": "{HEAD}"}}}}}}"#),
        )
        .unwrap();
        let event = event.display().to_string();
        for name in ["pull_request", "pull_request_target"] {
            let env = Env::from_pairs([
                ("GITHUB_ACTIONS", "true"),
                ("GITHUB_EVENT_NAME", name),
                ("GITHUB_EVENT_PATH", event.as_str()),
                ("GITHUB_SHA", MERGE),
            ]);
            let ci = CiContext::detect(&env, &no_flags());
            assert_eq!(ci.sha.as_deref(), Some(HEAD), "{name}");
            assert!(ci.notices.is_empty(), "{:?}", ci.notices);
        }
        // A push run keeps GITHUB_SHA.
        let env = Env::from_pairs([
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_EVENT_NAME", "push"),
            ("GITHUB_EVENT_PATH", event.as_str()),
            ("GITHUB_SHA", MERGE),
        ]);
        assert_eq!(
            CiContext::detect(&env, &no_flags()).sha.as_deref(),
            Some(MERGE)
        );
        // --sha wins, without a notice.
        let env = Env::from_pairs([
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_EVENT_NAME", "pull_request"),
            ("GITHUB_SHA", MERGE),
        ]);
        let mut flags = no_flags();
        flags.sha = Some("abc1234".into());
        let ci = CiContext::detect(&env, &flags);
        assert_eq!(ci.sha.as_deref(), Some("abc1234"));
        assert!(ci.notices.is_empty());
    }

    #[test]
    fn a_pull_request_runs_ref_is_its_head_branch_not_the_merge_ref() {
        let dir = tempfile::tempdir().unwrap();
        let event = dir.path().join("event.json");
        std::fs::write(
            &event,
            format!(r#"{{"pull_request": {{"head": {{"sha": "{HEAD}", "ref": "feature/from-event"}}}}}}"#),
        )
        .unwrap();
        let event = event.display().to_string();
        let base = [
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_EVENT_NAME", "pull_request"),
            ("GITHUB_EVENT_PATH", event.as_str()),
            ("GITHUB_SHA", MERGE),
            ("GITHUB_REF", "refs/pull/123/merge"),
            ("GITHUB_REF_NAME", "123/merge"),
        ];
        // GITHUB_HEAD_REF first.
        let mut with_head = base.to_vec();
        with_head.push(("GITHUB_HEAD_REF", "feature/login"));
        let ci = CiContext::detect(&Env::from_pairs(with_head), &no_flags());
        assert_eq!(ci.ref_name.as_deref(), Some("feature/login"));
        assert_eq!(ci.tag, None);
        // Else the event payload's pull_request.head.ref.
        let ci = CiContext::detect(&Env::from_pairs(base), &no_flags());
        assert_eq!(ci.ref_name.as_deref(), Some("feature/from-event"));
        // A push run keeps GITHUB_REF_NAME; --ref wins everywhere.
        let push = Env::from_pairs([
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_EVENT_NAME", "push"),
            ("GITHUB_REF_NAME", "main"),
            ("GITHUB_HEAD_REF", ""),
        ]);
        assert_eq!(
            CiContext::detect(&push, &no_flags()).ref_name.as_deref(),
            Some("main")
        );
        let mut flags = no_flags();
        flags.ref_name = Some("mine".into());
        let ci = CiContext::detect(&Env::from_pairs(base), &flags);
        assert_eq!(ci.ref_name.as_deref(), Some("mine"));
        // GitLab merge-request pipelines: the source branch.
        let env = Env::from_pairs([
            ("GITLAB_CI", "true"),
            ("CI_COMMIT_REF_NAME", "refs/merge-requests/7/merge"),
            ("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "feature/gl"),
        ]);
        assert_eq!(
            CiContext::detect(&env, &no_flags()).ref_name.as_deref(),
            Some("feature/gl")
        );
        let env = Env::from_pairs([("GITLAB_CI", "true"), ("CI_COMMIT_REF_NAME", "main")]);
        assert_eq!(
            CiContext::detect(&env, &no_flags()).ref_name.as_deref(),
            Some("main")
        );
    }

    #[test]
    fn an_unreadable_event_file_falls_back_to_github_sha_with_one_notice() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, "not json").unwrap();
        let missing = dir.path().join("missing.json");
        for path in [bad, missing] {
            let path = path.display().to_string();
            let env = Env::from_pairs([
                ("GITHUB_ACTIONS", "true"),
                ("GITHUB_EVENT_NAME", "pull_request"),
                ("GITHUB_EVENT_PATH", path.as_str()),
                ("GITHUB_SHA", MERGE),
            ]);
            let ci = CiContext::detect(&env, &no_flags());
            assert_eq!(ci.sha.as_deref(), Some(MERGE));
            assert_eq!(ci.notices.len(), 1, "{:?}", ci.notices);
            assert!(ci.notices[0].contains(&path), "{:?}", ci.notices);
            assert!(ci.notices[0].contains("GITHUB_SHA"), "{:?}", ci.notices);
        }
    }

    #[test]
    fn a_gitlab_merge_request_uses_its_source_commit() {
        let env = Env::from_pairs([
            ("GITLAB_CI", "true"),
            ("CI_COMMIT_SHA", MERGE),
            ("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA", HEAD),
        ]);
        assert_eq!(
            CiContext::detect(&env, &no_flags()).sha.as_deref(),
            Some(HEAD)
        );
        let env = Env::from_pairs([("GITLAB_CI", "true"), ("CI_COMMIT_SHA", MERGE)]);
        assert_eq!(
            CiContext::detect(&env, &no_flags()).sha.as_deref(),
            Some(MERGE)
        );
    }

    #[test]
    fn github_sha_and_ci_commit_sha_are_honoured_outside_their_ci() {
        let env = Env::from_pairs([("GITHUB_SHA", MERGE)]);
        let ci = CiContext::detect(&env, &no_flags());
        assert_eq!(ci.kind, CiKind::Local);
        assert_eq!(ci.sha.as_deref(), Some(MERGE));
        let env = Env::from_pairs([("CI_COMMIT_SHA", HEAD)]);
        assert_eq!(
            CiContext::detect(&env, &no_flags()).sha.as_deref(),
            Some(HEAD)
        );
        assert_eq!(CiContext::detect(&Env::default(), &no_flags()).sha, None);
    }
}
