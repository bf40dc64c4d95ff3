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

    /// GitHub Deployment lifecycle, Sentry deploy, one Slack message updated in place.
    #[command(subcommand)]
    Deploy(DeployCommand),

    /// Send a message to Slack and Discord, routed by event and severity.
    #[command(after_help = "Examples:
  obsctl notify --title 'Nightly build failed' --severity critical
  obsctl notify --title 'Deployed {{version}}' --event deployment --link 'Run=https://ci.example/42'
  obsctl notify --payload slack-blocks.json --dry-run")]
    Notify(NotifyArgs),

    /// DORA metrics: deployment frequency, lead time, change failure rate, recovery time.
    #[command(subcommand)]
    Dora(DoraCommand),

    /// Prove that errors reach Sentry: send test events and time them until visible.
    #[command(subcommand)]
    Events(EventsCommand),

    /// Sentry monitors and alerts as code.
    #[command(subcommand)]
    Alerts(AlertsCommand),
    /// Health checks with incidents as GitHub issues, and a static status page.
    #[command(subcommand)]
    Status(StatusCommand),

    /// Incidents people declare, as GitHub issues: open, update, resolve.
    #[command(subcommand)]
    Incident(IncidentCommand),

    /// Performance trends, user impact and DORA for every [[service]] of obsctl.toml, in one dashboard.
    Report(ReportArgs),

    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },

    /// Print the man page (roff) for obsctl, or write one page per subcommand with --out.
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write obsctl.1 and one page per subcommand (obsctl-deploy-start.1, …)
    /// into DIR instead of printing the main page.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum StatusCommand {
    /// Check every [[service]] health_url; open, comment on and close incident issues; notify.
    #[command(after_help = "Examples:
  obsctl status check
  obsctl status check --confirm none --fail-on down --output check.json
  obsctl status check --service web --dry-run")]
    Check(StatusCheckArgs),
    /// Write the static status site: index.html, Statuspage v2 JSON, Atom feed, badges.
    #[command(after_help = "Examples:
  obsctl status build --out site --checks check.json
  obsctl status build --out site --title \"Acme Status\" --url https://status.acme.example/
  obsctl status build --out site --days 30 --now 2026-11-29T12:00:00Z")]
    Build(StatusBuildArgs),
}

/// When `status check` fails the step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// Exit 1 when a service is down.
    Down,
    /// Exit 1 when a service is degraded or down.
    Degraded,
}

#[derive(Debug, Args)]
pub struct StatusCheckArgs {
    /// Confirm a down or degraded result by retrying after each delay
    /// (`2s,10s`; `0s` allowed), or `none`.
    #[arg(long, value_name = "DELAYS", default_value = "2s,10s")]
    pub confirm: String,

    /// Exit 1 when a service is down (or degraded); by default the step passes.
    #[arg(long, value_enum, value_name = "STATE")]
    pub fail_on: Option<FailOn>,

    /// Timeout of one health check, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub check_timeout: u64,

    /// Check only this service (repeatable).
    #[arg(long = "service", value_name = "NAME")]
    pub services: Vec<String>,

    /// Also write the JSON report to FILE (for `status build --checks FILE`).
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    #[command(flatten)]
    pub github: GithubArgs,

    #[command(flatten)]
    pub chat: ChatArgs,
}

#[derive(Debug, Args)]
pub struct StatusBuildArgs {
    /// Write the site into this directory (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// The JSON of the latest `status check --format json`.
    #[arg(long, value_name = "FILE")]
    pub checks: Option<PathBuf>,

    /// The page title (default: [status] title, else "<repository> status").
    #[arg(long, value_name = "T")]
    pub title: Option<String>,

    /// Days of history on the page.
    #[arg(long, value_name = "N", default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=366))]
    pub days: u32,

    /// Measure durations and uptime up to this time (RFC 3339 or YYYY-MM-DD);
    /// default: the checks' checked_at, else the newest incident event.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,

    /// Where the page is served (default: https://OWNER.github.io/REPO/).
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,

    #[command(flatten)]
    pub github: GithubArgs,
}

#[derive(Debug, Subcommand)]
pub enum IncidentCommand {
    /// Open an incident issue (an open one with the same service and title is returned instead).
    #[command(after_help = "Examples:
  obsctl incident open --service web --title \"Checkout errors\"
  obsctl incident open --service api --title \"Slow API\" --impact minor --message \"p95 above 2 s\"
  obsctl incident open --service web --title \"Bad deploy\" --impact critical --deployment 123456")]
    Open(IncidentOpenArgs),
    /// Post an update: a comment prefixed with the status.
    #[command(after_help = "Examples:
  obsctl incident update 42 --status identified --message \"A bad deploy; rolling back\"
  obsctl incident update 42 --status monitoring --message \"Rolled back; watching error rates\"")]
    Update(IncidentUpdateArgs),
    /// Resolve: a comment, then close the issue.
    #[command(after_help = "Examples:
  obsctl incident resolve 42
  obsctl incident resolve 42 --message \"Rolled back to v1.41.2\"")]
    Resolve(IncidentResolveArgs),
}

/// The impact of a declared incident.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ImpactArg {
    Minor,
    Major,
    Critical,
}

/// The status of an incident update.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum UpdateStatusArg {
    Investigating,
    Identified,
    Monitoring,
}

#[derive(Debug, Args)]
pub struct IncidentOpenArgs {
    /// The affected [[service]].
    #[arg(long, value_name = "NAME")]
    pub service: String,

    /// The incident's title.
    #[arg(long, value_name = "T")]
    pub title: String,

    /// How bad it is (the status page's component status follows it).
    #[arg(long, value_enum, default_value_t = ImpactArg::Major)]
    pub impact: ImpactArg,

    /// The deployment (id or SHA) that caused it, for DORA.
    #[arg(long, value_name = "ID")]
    pub deployment: Option<String>,

    /// What is known so far (the first update).
    #[arg(long, value_name = "M")]
    pub message: Option<String>,

    #[command(flatten)]
    pub github: GithubArgs,
}

#[derive(Debug, Args)]
pub struct IncidentUpdateArgs {
    /// The incident's issue number.
    pub number: u64,

    /// Where the response stands.
    #[arg(long, value_enum)]
    pub status: UpdateStatusArg,

    /// The update.
    #[arg(long, value_name = "M")]
    pub message: String,

    #[command(flatten)]
    pub github: GithubArgs,
}

#[derive(Debug, Args)]
pub struct IncidentResolveArgs {
    /// The incident's issue number.
    pub number: u64,

    /// A closing note.
    #[arg(long, value_name = "M")]
    pub message: Option<String>,

    #[command(flatten)]
    pub github: GithubArgs,
}

#[derive(Debug, Subcommand)]
pub enum DeployCommand {
    /// Record that a deployment started: GitHub Deployment (in_progress), Sentry release, Slack message.
    #[command(after_help = "Examples:
  obsctl deploy start -e production
  obsctl deploy start -e staging --version 1.4.0 --url https://staging.example.com
  obsctl deploy start -e production --no-github   # only Sentry and Slack/Discord")]
    Start(DeployStartArgs),
    /// Record how it ended: final GitHub status, Sentry deploy on success, the Slack message updated.
    #[command(after_help = "Examples:
  obsctl deploy finish -e production --status ${{ job.status }}
  obsctl deploy finish -e production --status failure --mention S0123ABCD
  obsctl deploy finish -e staging --status success --deployment-id 123456")]
    Finish(DeployFinishArgs),
    /// Judge the deploy from Sentry against the release before it: exit 0 pass, 3 fail, 4 inconclusive.
    Verify(DeployVerifyArgs),
}

/// How `deploy verify` decides the relative checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum VerifyMethod {
    /// Window aggregates against the thresholds.
    Threshold,
    /// Also a one-sided Mann-Whitney U test on per-minute buckets (one more request per service).
    MannWhitney,
}

/// What an inconclusive verdict exits as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum InconclusiveAs {
    /// Exit 3, as a failure.
    Fail,
    /// Exit 0, as a pass.
    Pass,
}

/// `obsctl deploy verify`: see docs/deploy-verify.md.
#[derive(Debug, Args)]
pub struct DeployVerifyArgs {
    /// The environment deployed to (default: the service's in obsctl.toml, else production).
    #[arg(long, short = 'e', value_name = "ENV")]
    pub environment: Option<String>,

    /// The candidate release (default: the version `deploy start` computes for this commit).
    #[arg(long, value_name = "V")]
    pub release: Option<String>,

    /// The baseline release (default: the release deployed to the environment before it).
    #[arg(long, value_name = "V")]
    pub baseline: Option<String>,

    /// Judge only this `[[service]]` of obsctl.toml (repeatable; default: all, else SENTRY_PROJECT).
    #[arg(long = "service", value_name = "NAME")]
    pub services: Vec<String>,

    /// Length of the candidate window after the warm-up (the baseline's is the same).
    #[arg(long, value_name = "DURATION", default_value = "30m")]
    pub window: String,

    /// Traffic right after the deploy finished that is not judged.
    #[arg(long, value_name = "DURATION", default_value = "2m")]
    pub warmup: String,

    /// Sleep until the candidate window is complete instead of judging a partial one.
    #[arg(long)]
    pub wait: bool,

    /// Map an inconclusive verdict (exit 4) to fail (3) or pass (0).
    #[arg(long, value_enum, value_name = "fail|pass")]
    pub inconclusive: Option<InconclusiveAs>,

    /// How the relative checks decide.
    #[arg(long, value_enum, default_value_t = VerifyMethod::Threshold)]
    pub method: VerifyMethod,

    /// On fail, open a GitHub issue labelled `incident` naming the deployment
    /// (a later passing verify of a newer release with this flag closes it).
    #[arg(long)]
    pub open_incident: bool,

    #[command(flatten)]
    pub github: GithubArgs,

    #[command(flatten)]
    pub sentry: SentryArgs,

    #[command(flatten)]
    pub chat: ChatArgs,
}

#[derive(Debug, Args)]
pub struct DeployStartArgs {
    /// The target environment (production, staging, ...).
    #[arg(long, short = 'e', value_name = "ENV")]
    pub environment: String,

    /// The version deployed (default: the tag at the commit, the workflow's tag, else the short SHA).
    #[arg(long, value_name = "V")]
    pub version: Option<String>,

    /// The environment's URL (shown as "View deployment" once it succeeds).
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,

    /// Short description of the deployment.
    #[arg(long, value_name = "D")]
    pub description: Option<String>,

    /// The deployment task.
    #[arg(long, value_name = "T", default_value = "deploy")]
    pub task: String,

    /// The environment goes away after this deployment (review apps).
    #[arg(long)]
    pub transient: bool,

    #[command(flatten)]
    pub github: GithubArgs,

    #[command(flatten)]
    pub sentry: SentryArgs,

    #[command(flatten)]
    pub chat: ChatArgs,
}

#[derive(Debug, Args)]
pub struct DeployFinishArgs {
    /// The target environment, as given to `deploy start`.
    #[arg(long, short = 'e', value_name = "ENV")]
    pub environment: String,

    /// How the deployment ended (`${{ job.status }}` in GitHub Actions).
    #[arg(long, value_enum, value_name = "STATUS")]
    pub status: OutcomeArg,

    /// The deployment to finish (default: the newest obsctl deployment of this SHA and environment).
    #[arg(long, value_name = "ID")]
    pub deployment_id: Option<u64>,

    /// The environment's URL (default: the one given to `deploy start`); set on success only.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,

    /// Who to ping when it fails: Slack U…/S…, Discord user:ID or role:ID
    /// (repeatable, or comma-separated in OBSCTL_DEPLOY_MENTIONS).
    #[arg(
        long = "mention",
        value_name = "ID",
        env = "OBSCTL_DEPLOY_MENTIONS",
        value_delimiter = ','
    )]
    pub mentions: Vec<String>,

    #[command(flatten)]
    pub github: GithubArgs,

    #[command(flatten)]
    pub sentry: SentryArgs,

    #[command(flatten)]
    pub chat: ChatArgs,
}

/// `obsctl notify`: see docs/notify.md.
#[derive(Debug, Args)]
pub struct NotifyArgs {
    /// The headline (template variables allowed: {{version}}, {{sha}}, ...).
    #[arg(long, required_unless_present = "payload")]
    pub title: Option<String>,

    /// The body text.
    #[arg(long)]
    pub text: Option<String>,

    /// How bad it is: picks the colour; critical also goes to #incidents.
    #[arg(long, value_enum)]
    pub severity: Option<SeverityArg>,

    /// What happened: picks the route (deployment and release → #deployments).
    #[arg(long, value_enum)]
    pub event: Option<EventArg>,

    /// Send only to this route (deployments, incidents, monitoring) or, with
    /// SLACK_BOT_TOKEN, to this Slack channel; replaces the routing.
    #[arg(long, value_name = "NAME")]
    pub channel: Option<String>,

    /// A link button (repeatable).
    #[arg(long = "link", value_name = "LABEL=URL")]
    pub links: Vec<String>,

    /// A field (repeatable).
    #[arg(long = "field", value_name = "KEY=VALUE")]
    pub fields: Vec<String>,

    /// Ping: Slack user U…/W… or group S…; Discord user:ID (or ID) or role:ID (repeatable).
    #[arg(long = "mention", value_name = "ID")]
    pub mentions: Vec<String>,

    /// Send this Slack Block Kit or Discord webhook JSON file instead of the
    /// built message (or {"slack": {...}, "discord": {...}}).
    #[arg(long, value_name = "FILE")]
    pub payload: Option<PathBuf>,

    /// Post as a reply in this Slack thread (the parent message's ts).
    #[arg(long, value_name = "TS")]
    pub thread: Option<String>,

    /// Set a template variable: version, environment (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,

    /// Send e-mail addresses found in the text (hidden by default).
    #[arg(long)]
    pub include_emails: bool,

    #[command(flatten)]
    pub chat: ChatArgs,
}

/// `--severity`: mapped onto the core's [`crate::message::Severity`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SeverityArg {
    Info,
    /// A good outcome (a deployment that succeeded): green.
    Success,
    Warning,
    Critical,
}

impl From<SeverityArg> for crate::message::Severity {
    fn from(s: SeverityArg) -> Self {
        use crate::message::Severity;
        match s {
            SeverityArg::Info => Severity::Info,
            SeverityArg::Success => Severity::Success,
            SeverityArg::Warning => Severity::Warning,
            SeverityArg::Critical => Severity::Critical,
        }
    }
}

/// `--event`: mapped onto the core's [`crate::message::Event`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum EventArg {
    Deployment,
    Release,
    Alert,
    Incident,
    Custom,
}

impl From<EventArg> for crate::message::Event {
    fn from(e: EventArg) -> Self {
        use crate::message::Event;
        match e {
            EventArg::Deployment => Event::Deployment,
            EventArg::Release => Event::Release,
            EventArg::Alert => Event::Alert,
            EventArg::Incident => Event::Incident,
            EventArg::Custom => Event::Custom,
        }
    }
}

/// `deploy finish --status`: mapped onto the core's [`crate::deploy::Outcome`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutcomeArg {
    Success,
    #[value(alias = "failed")]
    Failure,
    #[value(alias = "canceled")]
    Cancelled,
    Error,
}

impl From<OutcomeArg> for crate::deploy::Outcome {
    fn from(o: OutcomeArg) -> Self {
        use crate::deploy::Outcome;
        match o {
            OutcomeArg::Success => Outcome::Success,
            OutcomeArg::Failure => Outcome::Failure,
            OutcomeArg::Cancelled => Outcome::Cancelled,
            OutcomeArg::Error => Outcome::Error,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum DoraCommand {
    /// Report the four DORA metrics over a window (--format table|json|markdown|csv|ndjson|html).
    #[command(after_help = "Examples:
  obsctl dora report --source git --tag-pattern 'v*' --since 365d
  obsctl dora report -e production --since 90d --format markdown
  obsctl dora report --format html --output dora.html --compare-previous")]
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
    #[arg(long, short = 'e', value_name = "ENV", default_value = "production")]
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

    /// Tags that are deployments (git source): a glob, repeatable; `!GLOB` excludes
    /// (e.g. `--tag-pattern 'v*' --tag-pattern '!*-snapshot.*'`).
    #[arg(long = "tag-pattern", value_name = "GLOB", default_value = "v*")]
    pub tag_patterns: Vec<String>,

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

    #[command(flatten)]
    pub github: GithubArgs,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Start of the window: `30d`, `12w`, YYYY-MM-DD or RFC 3339 (default 30 days before --until).
    #[arg(long, value_name = "30d|YYYY-MM-DD")]
    pub since: Option<String>,

    /// End of the window, exclusive: YYYY-MM-DD (midnight UTC) or RFC 3339 (default now).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub until: Option<String>,

    /// Only this [[service]] (repeatable; default: every service in obsctl.toml).
    #[arg(long = "service", value_name = "NAME")]
    pub services: Vec<String>,

    /// Write the report to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Where DORA deployments come from (as `dora report --source`).
    #[arg(long, value_enum, default_value_t = DoraSource::Auto)]
    pub dora_source: DoraSource,

    /// Tags that are deployments (git source): a glob, repeatable; `!GLOB` excludes.
    #[arg(long = "tag-pattern", value_name = "GLOB", default_value = "v*")]
    pub tag_patterns: Vec<String>,

    /// Label of incident issues (GitHub source).
    #[arg(long, value_name = "LABEL", default_value = "incident")]
    pub incident_label: String,

    /// The DORA 2025 benchmark the Quick Check scores are compared with:
    /// an industry (`all`, `technology`, `financial_services`, ...) or an
    /// organisation size (`fewer_than_100`, `more_than_9999`, ...).
    #[arg(long, value_name = "KEY", default_value = "all")]
    pub benchmark: String,

    #[command(flatten)]
    pub github: GithubArgs,

    #[command(flatten)]
    pub sentry: SentryArgs,
}

#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// Send a test error event (or a spike) to Sentry and wait until it is visible.
    Test(EventsTestArgs),
}

/// `obsctl events test`: see docs/events-test.md.
#[derive(Debug, Args)]
pub struct EventsTestArgs {
    /// The obsctl.toml service: its Sentry project and environment.
    #[arg(long, value_name = "NAME", conflicts_with = "project")]
    pub service: Option<String>,

    /// The Sentry project slug (default: the service's, else SENTRY_PROJECT).
    #[arg(long, value_name = "SLUG")]
    pub project: Option<String>,

    /// The DSN to send with (default: SENTRY_DSN, else the project's first
    /// active client key, read with SENTRY_AUTH_TOKEN). Its key is a secret.
    #[arg(long, value_name = "DSN", hide_env_values = true)]
    pub dsn: Option<String>,

    /// Send a spike of N events of the one fingerprint, concurrently.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub count: u32,

    /// Fail unless the event is readable in Sentry within this time (30s, 2m).
    #[arg(long, value_name = "DURATION", default_value = "60s")]
    pub max_latency: String,

    /// The event's environment (default: the service's).
    #[arg(long, short = 'e', value_name = "ENV")]
    pub environment: Option<String>,

    /// The event's release (must equal the Sentry release version).
    #[arg(long, value_name = "V")]
    pub release: Option<String>,

    #[command(flatten)]
    pub sentry: SentryArgs,
}

#[derive(Debug, Subcommand)]
pub enum AlertsCommand {
    /// Check the [[alert]], [alerts] and [slack] parts of obsctl.toml, offline (exit 2 on any problem).
    Lint(AlertsLintArgs),
    /// Show what `apply` would change in Sentry, per alert key (token scope alerts:read).
    Plan(AlertsPlanArgs),
    /// Create, update (and with --prune delete) the managed monitors and alerts (alerts:write).
    Apply(AlertsApplyArgs),
    /// Print [[alert]] TOML for the monitors of the configured projects.
    Import(AlertsImportArgs),
    /// Print (or --write) the epic's Sentry-side alerts for one service.
    Init(AlertsInitArgs),
    /// Prove an alert works: an error spike for error-spike monitors, else test-fire its actions.
    Test(AlertsTestArgs),
}

#[derive(Debug, Args)]
pub struct AlertsLintArgs {}

#[derive(Debug, Args)]
pub struct AlertsPlanArgs {
    /// Exit 3 when changes are pending (0 in sync, 1 failure, 2 bad input).
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Also plan deleting managed monitors and alerts whose key left the file.
    #[arg(long)]
    pub prune: bool,

    #[command(flatten)]
    pub sentry: SentryArgs,

    #[command(flatten)]
    pub slack: SlackArgs,
}

#[derive(Debug, Args)]
pub struct AlertsApplyArgs {
    /// Delete managed monitors and alerts whose key left the file.
    #[arg(long)]
    pub prune: bool,

    #[command(flatten)]
    pub sentry: SentryArgs,

    #[command(flatten)]
    pub slack: SlackArgs,
}

#[derive(Debug, Args)]
pub struct AlertsImportArgs {
    /// Import the monitors of this project (repeatable; default: the projects of obsctl.toml's services).
    #[arg(long = "project", value_name = "SLUG")]
    pub projects: Vec<String>,
    /// Only monitors obsctl does not manage yet.
    #[arg(long)]
    pub unmanaged_only: bool,

    #[command(flatten)]
    pub sentry: SentryArgs,
}

#[derive(Debug, Args)]
pub struct AlertsInitArgs {
    /// The service's name (its key in reports and on the status page).
    #[arg(long, value_name = "NAME")]
    pub service: String,
    /// Its Sentry project slug (default: the service name).
    #[arg(long, value_name = "SLUG")]
    pub project: Option<String>,
    /// Its health check URL: adds the uptime alert.
    #[arg(long, value_name = "URL")]
    pub health_url: Option<String>,
    /// The environment watched.
    #[arg(long, short = 'e', value_name = "ENV", default_value = "production")]
    pub environment: String,
    /// Append to the config file instead of printing.
    #[arg(long)]
    pub write: bool,
}

/// `obsctl alerts test KEY`: see docs/events-test.md.
#[derive(Debug, Args)]
pub struct AlertsTestArgs {
    /// The alert's key in obsctl.toml.
    pub key: String,

    /// The DSN to send the spike with (default: SENTRY_DSN, else the
    /// project's first active client key).
    #[arg(long, value_name = "DSN", hide_env_values = true)]
    pub dsn: Option<String>,

    /// Errors in the comparison window (default: estimated from the last
    /// day's accepted errors, via stats_v2).
    #[arg(long, value_name = "N")]
    pub baseline: Option<f64>,

    /// Fail unless the monitor fires within this time.
    #[arg(long, value_name = "DURATION", default_value = "10m")]
    pub max_latency: String,

    #[command(flatten)]
    pub sentry: SentryArgs,
}

#[derive(Debug, Subcommand)]
pub enum ReleaseCommand {
    /// Create a Sentry release with its commits (finalized) and a GitHub release with notes.
    #[command(after_help = "Examples:
  obsctl release create                      # the tag at HEAD, commits since the previous tag
  obsctl release create 1.4.0 --previous v1.3.0 --dry-run
  obsctl release create --path services/api --no-github")]
    Create(ReleaseCreateArgs),
}

#[derive(Debug, Args)]
pub struct ReleaseCreateArgs {
    /// The release version (default: the tag at the target commit, or the workflow's tag).
    pub version: Option<String>,

    /// Start of the range, excluded (default: the previous release of the series: the nearest
    /// earlier stable version tag with the same prefix; pre-releases skipped for a stable version).
    #[arg(long, value_name = "REF")]
    pub previous: Option<String>,

    /// Tags that are releases (glob; repeatable; `!PATTERN` excludes), e.g. `-t 'v*' -t '!*-rc*'`
    /// (default: `[release] tag_patterns` in obsctl.toml, else every version tag).
    #[arg(long = "tag-pattern", short = 't', value_name = "GLOB")]
    pub tag_patterns: Vec<String>,

    /// The release's commit (default: GITHUB_SHA / CI_COMMIT_SHA / --sha, else HEAD).
    #[arg(long, value_name = "REF")]
    pub target: Option<String>,

    /// Release notes for GitHub: rendered from the commits, GitHub's generator, or none.
    #[arg(long, value_enum, default_value_t = NotesMode::Auto)]
    pub notes: NotesMode,

    /// Release notes for GitHub from a Markdown file.
    #[arg(long, value_name = "FILE", conflicts_with = "notes")]
    pub notes_file: Option<PathBuf>,

    /// Create the GitHub release as a draft.
    #[arg(long)]
    pub draft: bool,

    /// Mark the GitHub release as a prerelease.
    #[arg(long)]
    pub prerelease: bool,

    /// Leave the Sentry release open (no dateReleased).
    #[arg(long)]
    pub no_finalize: bool,

    /// Keep only commits touching this path (repository-relative; repeatable).
    #[arg(long = "path", value_name = "PATH")]
    pub paths: Vec<String>,

    /// In a shallow clone, go on with the commits that are there.
    #[arg(long)]
    pub allow_shallow: bool,

    #[command(flatten)]
    pub github: GithubArgs,

    #[command(flatten)]
    pub sentry: SentryArgs,

    #[command(flatten)]
    pub chat: ChatArgs,
}

/// Where GitHub release notes come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum NotesMode {
    /// Rendered from the commits (Conventional Commits groups); a release written by hand keeps its own.
    Auto,
    /// Like auto, and overwrite the title and notes of a release obsctl did not write.
    Replace,
    /// GitHub's generate-notes API.
    Github,
    /// No notes.
    None,
}

/// Flags every command accepts (listed under their own heading, after the
/// command's own flags).
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
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
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// The obsctl.toml to read (default: obsctl.toml at the repository root, if any).
    #[arg(long, global = true, env = "OBSCTL_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Run as if obsctl was started in PATH (the git repository), like `git -C`.
    #[arg(short = 'C', global = true, value_name = "PATH")]
    pub repo_path: Option<PathBuf>,

    /// Treat failed notifications (Slack, Discord) as errors.
    #[arg(long, global = true)]
    pub strict: bool,

    /// Seconds a command may spend retrying (waits and failed attempts), in total.
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
    pub ci: CiArgs,
}

/// GitHub, for the commands that use it; flags win over the environment.
#[derive(Clone, Debug, Default, Args)]
#[command(next_help_heading = "GitHub")]
pub struct GithubArgs {
    /// Skip GitHub on purpose.
    #[arg(long)]
    pub no_github: bool,

    /// GitHub token (else GH_TOKEN).
    #[arg(
        long,
        env = "GITHUB_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub github_token: Option<String>,

    /// owner/name (default: parsed from the `origin` remote).
    #[arg(long, env = "GITHUB_REPOSITORY", value_name = "OWNER/NAME")]
    pub github_repository: Option<String>,

    /// GitHub REST API (GitHub Enterprise Server: https://HOST/api/v3).
    #[arg(
        long,
        env = "GITHUB_API_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub github_api_url: Option<String>,

    /// GitHub GraphQL API (default: derived from the REST URL).
    #[arg(
        long,
        env = "GITHUB_GRAPHQL_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub github_graphql_url: Option<String>,

    /// GitHub web URL, for links (default: derived from the REST URL).
    #[arg(
        long,
        env = "GITHUB_SERVER_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub github_server_url: Option<String>,
}

/// Sentry, for the commands that use it; flags win over the environment.
#[derive(Clone, Debug, Default, Args)]
#[command(next_help_heading = "Sentry")]
pub struct SentryArgs {
    /// Skip Sentry on purpose.
    #[arg(long)]
    pub no_sentry: bool,

    /// Sentry auth token (scopes per command: the README's Permissions table; `project:releases` to record releases and deploys).
    #[arg(
        long,
        env = "SENTRY_AUTH_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub sentry_auth_token: Option<String>,

    /// Sentry organization slug.
    #[arg(long, env = "SENTRY_ORG", value_name = "SLUG")]
    pub sentry_org: Option<String>,

    /// Sentry project slugs, comma-separated.
    #[arg(long, env = "SENTRY_PROJECT", value_name = "SLUG[,SLUG]")]
    pub sentry_project: Option<String>,

    /// Sentry URL (self-hosted); the API is {URL}/api/0/.
    #[arg(long, env = "SENTRY_URL", value_name = "URL", hide_env_values = true)]
    pub sentry_url: Option<String>,

    /// The repository as Sentry's integration names it, for the commits of
    /// a release (default: CI_PROJECT_PATH on GitLab, GITHUB_REPOSITORY,
    /// else the `origin` remote's full path, e.g. group/sub/web).
    #[arg(long, env = "SENTRY_REPOSITORY", value_name = "PATH")]
    pub sentry_repository: Option<String>,
}

/// Slack, for the commands that post to it (or look up its channels).
#[derive(Clone, Debug, Default, Args)]
#[command(next_help_heading = "Slack")]
pub struct SlackArgs {
    /// Skip Slack and Discord notifications on purpose.
    #[arg(long)]
    pub no_slack: bool,

    /// Slack incoming webhook (fallback for every route).
    #[arg(
        long,
        env = "SLACK_WEBHOOK_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub slack_webhook_url: Option<String>,

    /// Slack bot token (chat:write); enables message updates and threads.
    #[arg(
        long,
        env = "SLACK_BOT_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub slack_bot_token: Option<String>,

    /// Slack Web API base URL.
    #[arg(
        long,
        env = "SLACK_API_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub slack_api_url: Option<String>,
}

/// Discord, for the commands that post to it.
#[derive(Clone, Debug, Default, Args)]
#[command(next_help_heading = "Discord")]
pub struct DiscordArgs {
    /// Discord webhook (fallback for every route).
    #[arg(
        long,
        env = "DISCORD_WEBHOOK_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub discord_webhook_url: Option<String>,
}

/// Slack and Discord, for the commands that notify (`--no-slack` skips both).
#[derive(Clone, Debug, Default, Args)]
pub struct ChatArgs {
    #[command(flatten)]
    pub slack: SlackArgs,

    #[command(flatten)]
    pub discord: DiscordArgs,
}

/// Overrides for what is read from the CI environment or local git.
#[derive(Debug, Args)]
#[command(next_help_heading = "CI context")]
pub struct CiArgs {
    /// The commit (default: a pull/merge request's head, GITHUB_SHA, CI_COMMIT_SHA, else HEAD).
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

/// The command line as help, completions and man pages show it. Provider
/// flags are not global: each subcommand flattens the groups it uses
/// ([`GithubArgs`], [`SentryArgs`], [`SlackArgs`], [`DiscordArgs`]), so its
/// help lists only those, and a provider flag it does not use is a usage
/// error.
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    Cli::command()
}

/// Parse the process's arguments against [`command`].
pub fn parse() -> Result<Cli, clap::Error> {
    use clap::FromArgMatches;
    let matches = command().try_get_matches()?;
    Cli::from_arg_matches(&matches)
}

/// Every runnable subcommand of the built `cmd` with its path
/// (`"deploy start"`, `"notify"`): the leaves of the command tree.
pub fn leaf_commands(cmd: &clap::Command) -> Vec<(String, &clap::Command)> {
    let mut leaves = Vec::new();
    for noun in cmd.get_subcommands() {
        if noun.has_subcommands() {
            leaves.extend(
                noun.get_subcommands()
                    .map(|v| (format!("{} {}", noun.get_name(), v.get_name()), v)),
            );
        } else {
            leaves.push((noun.get_name().to_string(), noun));
        }
    }
    leaves
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn help_lists_own_flags_first_then_global_ones_and_examples() {
        let mut cmd = command();
        cmd.build();
        let dora = cmd
            .find_subcommand_mut("dora")
            .unwrap()
            .find_subcommand_mut("report")
            .unwrap();
        let help = dora.render_help().to_string();
        assert!(help.contains("--github-token"), "{help}");
        assert!(!help.contains("--slack-bot-token"), "{help}");
        assert!(help.contains("Global options:"), "{help}");
        let own = help.find("--tag-pattern").unwrap();
        let global = help.find("Global options:").unwrap();
        assert!(own < global, "own flags first: {help}");
        assert!(help.contains("Examples:"), "{help}");
    }

    #[test]
    fn cli_definition_is_valid() {
        Cli::command().debug_assert();
    }
}
