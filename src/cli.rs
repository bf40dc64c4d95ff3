//! The command line, as clap types only: no behaviour lives here.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::ui::Format;

#[derive(Debug, Parser)]
#[command(
    name = "obsctl",
    version,
    about = "Releases, deployments, notifications and DORA metrics for CI: Sentry, GitHub, Slack, Discord",
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sentry and GitHub releases.
    #[command(subcommand)]
    Release(ReleaseCommand),
    /// DORA metrics: deployment frequency, lead time, change failure rate, recovery time.
    #[command(subcommand)]
    Dora(DoraCommand),
}

#[derive(Debug, Subcommand)]
pub enum DoraCommand {
    /// Report the four DORA metrics over a window (--format table|json|markdown|csv|ndjson|html).
    Report(DoraReportArgs),
}

/// Where `dora report` reads deployments from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DoraSource {
    /// GitHub when a token and a repository are known, else git.
    Auto,
    /// The environment's GitHub Deployments and incident issues (GraphQL).
    Github,
    /// Tags matching --tag-pattern; no token, no network.
    Git,
}

#[derive(Debug, Args)]
pub struct DoraReportArgs {
    /// Where deployments come from.
    #[arg(long, value_enum, default_value_t = DoraSource::Auto)]
    pub source: DoraSource,

    /// The deployment environment (GitHub source).
    #[arg(long, value_name = "ENV", default_value = "production")]
    pub environment: String,

    /// Start of the window: `90d`, `12w`, YYYY-MM-DD or RFC 3339 (default 90 days before --until).
    #[arg(long, value_name = "90d|YYYY-MM-DD")]
    pub since: Option<String>,

    /// End of the window, exclusive: YYYY-MM-DD (midnight UTC) or RFC 3339 (default now).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub until: Option<String>,

    /// Label of incident issues (GitHub source).
    #[arg(long, value_name = "LABEL", default_value = "incident")]
    pub incident_label: String,

    /// Incidents from a file instead of issues: JSON array or CSV `id,created_at,resolved_at[,deployment|sha]`.
    #[arg(long, value_name = "FILE")]
    pub incidents: Option<PathBuf>,

    /// Tags that are deployments (git source), a glob.
    #[arg(long, value_name = "GLOB", default_value = "v*")]
    pub tag_pattern: String,

    /// Write the report to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Also report the preceding window of equal length, and the change.
    #[arg(long)]
    pub compare_previous: bool,

    /// Apache DevLake-compatible arithmetic: durations rounded up to whole
    /// minutes, incidents attributed to the last deployment strictly before them.
    #[arg(long)]
    pub devlake_compat: bool,
}

#[derive(Debug, Subcommand)]
pub enum ReleaseCommand {
    /// Create a Sentry release with its commits (finalized) and a GitHub release with notes.
    Create(ReleaseCreateArgs),
}

#[derive(Debug, Args)]
pub struct ReleaseCreateArgs {
    /// The release version (default: the tag at the target commit, or the workflow's tag).
    pub version: Option<String>,
}

/// Flags every command accepts.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Print the requests that would be sent, send nothing.
    #[arg(long, global = true)]
    pub dry_run: bool,

    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// More detail on stderr (requests, timings); secrets stay redacted.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Only errors and warnings on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Run as if obsctl was started in PATH (the git repository), like `git -C`.
    #[arg(short = 'C', global = true, value_name = "PATH")]
    pub repo_path: Option<PathBuf>,

    /// Treat failed notifications (Slack, Discord) as errors.
    #[arg(long, global = true)]
    pub strict: bool,

    /// Skip GitHub on purpose.
    #[arg(long, global = true)]
    pub no_github: bool,

    /// Skip Sentry on purpose.
    #[arg(long, global = true)]
    pub no_sentry: bool,

    /// Skip Slack and Discord notifications on purpose.
    #[arg(long, global = true)]
    pub no_slack: bool,

    /// Seconds a command may spend waiting between retries, in total.
    #[arg(
        long,
        global = true,
        env = "OBSCTL_RETRY_BUDGET",
        value_name = "SECS",
        default_value_t = 60
    )]
    pub retry_budget: u64,

    /// Timeout of one HTTP request, in seconds.
    #[arg(
        long,
        global = true,
        env = "OBSCTL_TIMEOUT",
        value_name = "SECS",
        default_value_t = 30
    )]
    pub timeout: u64,

    #[command(flatten)]
    pub providers: ProviderArgs,

    #[command(flatten)]
    pub ci: CiArgs,
}

/// Provider configuration; flags win over the environment.
#[derive(Debug, Args)]
#[command(next_help_heading = "Providers")]
pub struct ProviderArgs {
    /// GitHub token (else GH_TOKEN).
    #[arg(
        long,
        global = true,
        env = "GITHUB_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub github_token: Option<String>,

    /// owner/name (default: parsed from the `origin` remote).
    #[arg(
        long,
        global = true,
        env = "GITHUB_REPOSITORY",
        value_name = "OWNER/NAME"
    )]
    pub github_repository: Option<String>,

    /// GitHub REST API (GitHub Enterprise Server: https://HOST/api/v3).
    #[arg(long, global = true, env = "GITHUB_API_URL", value_name = "URL")]
    pub github_api_url: Option<String>,

    /// GitHub GraphQL API (default: derived from the REST URL).
    #[arg(long, global = true, env = "GITHUB_GRAPHQL_URL", value_name = "URL")]
    pub github_graphql_url: Option<String>,

    /// GitHub web URL, for links (default: derived from the REST URL).
    #[arg(long, global = true, env = "GITHUB_SERVER_URL", value_name = "URL")]
    pub github_server_url: Option<String>,

    /// Sentry auth token (scope project:releases).
    #[arg(
        long,
        global = true,
        env = "SENTRY_AUTH_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub sentry_auth_token: Option<String>,

    /// Sentry organization slug.
    #[arg(long, global = true, env = "SENTRY_ORG", value_name = "SLUG")]
    pub sentry_org: Option<String>,

    /// Sentry project slugs, comma-separated.
    #[arg(
        long,
        global = true,
        env = "SENTRY_PROJECT",
        value_name = "SLUG[,SLUG]"
    )]
    pub sentry_project: Option<String>,

    /// Sentry URL (self-hosted); the API is {URL}/api/0/.
    #[arg(long, global = true, env = "SENTRY_URL", value_name = "URL")]
    pub sentry_url: Option<String>,

    /// Slack incoming webhook (fallback for every route).
    #[arg(
        long,
        global = true,
        env = "SLACK_WEBHOOK_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub slack_webhook_url: Option<String>,

    /// Slack bot token (chat:write); enables message updates and threads.
    #[arg(
        long,
        global = true,
        env = "SLACK_BOT_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub slack_bot_token: Option<String>,

    /// Slack Web API base URL.
    #[arg(long, global = true, env = "SLACK_API_URL", value_name = "URL")]
    pub slack_api_url: Option<String>,

    /// Discord webhook (fallback for every route).
    #[arg(
        long,
        global = true,
        env = "DISCORD_WEBHOOK_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub discord_webhook_url: Option<String>,
}

/// Overrides for what is read from the CI environment or local git.
#[derive(Debug, Args)]
#[command(next_help_heading = "CI context")]
pub struct CiArgs {
    /// The commit (default: GITHUB_SHA, CI_COMMIT_SHA, else HEAD).
    #[arg(long, global = true, value_name = "SHA")]
    pub sha: Option<String>,

    /// The ref name (default: GITHUB_REF_NAME, CI_COMMIT_REF_NAME, else the branch).
    #[arg(long, global = true, value_name = "REF")]
    pub ref_name: Option<String>,

    /// Who triggered this (default: GITHUB_ACTOR, GITLAB_USER_LOGIN, else git user.name).
    #[arg(long, global = true, value_name = "NAME")]
    pub actor: Option<String>,

    /// Link to this CI run (default: built from GITHUB_RUN_ID or CI_PIPELINE_URL).
    #[arg(long, global = true, value_name = "URL")]
    pub run_url: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_valid() {
        Cli::command().debug_assert();
    }
}
