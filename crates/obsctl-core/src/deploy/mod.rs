//! The pure core of `deploy start` / `deploy finish` / `deploy verify`:
//! names, states, durations, the naming rules of each provider, the deploy
//! messages, and ([`plan`]) the plans that decide what to record and say.
//! No I/O here.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub mod plan;

pub use plan::{
    DeploymentPlan, FinishInputs, FinishPlan, FoundDeployment, OnceMessages, SentryDeployPlan,
    StartInputs, StartPlan, StartRecord, StatusPlan,
};

use crate::error::UsageError;
use crate::message::{Event, Message, Severity};
use crate::text::{human_duration, short_sha};

/// What the deploy messages say; shared by start and finish. Untrusted text
/// (the commit subject) stays raw here: the message builders escape it.
#[derive(Clone, Debug, Default)]
pub struct DeployInfo {
    /// The target environment (`production`, `staging`, ...), validated.
    pub environment: String,
    /// The version deployed (a tag, a `--version`, or the short SHA).
    pub version: String,
    /// The deployed commit, full SHA.
    pub sha: String,
    /// The repository name.
    pub service: Option<String>,
    /// Who triggered the deployment (CI actor, else git `user.name`).
    pub actor: Option<String>,
    /// Link to the CI run.
    pub run_url: Option<String>,
    /// Link to the commit on GitHub.
    pub commit_url: Option<String>,
    /// The commit's subject line, raw (escaped by the builders).
    pub commit_subject: Option<String>,
    /// The environment's URL ("View deployment" once it succeeded).
    pub env_url: Option<String>,
    /// The GitHub deployment id, when one was recorded.
    pub deployment_id: Option<u64>,
    /// Whether the environment is production-like ([`is_production`]).
    pub production: bool,
    /// When `deploy start` ran, RFC 3339 UTC.
    pub started_at: Option<String>,
}

/// What finish adds to the messages.
#[derive(Clone, Debug)]
pub struct FinishNote {
    /// How the deployment ended.
    pub outcome: Outcome,
    /// Seconds from start to finish, when the start time is known.
    pub duration: Option<i64>,
    /// When `deploy finish` ran, RFC 3339 UTC.
    pub finished_at: String,
    /// Who to ping when it went wrong (Slack U…/S…, Discord user:/role:).
    pub mentions: Vec<String>,
}

/// The colour bar of a deployment still running (Slack blue).
pub const IN_PROGRESS_COLOR: u32 = 0x1D9BD1;
/// The colour bar of a cancelled deployment (grey).
pub const CANCELLED_COLOR: u32 = 0x9E9EA6;

impl DeployInfo {
    fn what(&self) -> String {
        match &self.service {
            Some(s) => format!("{s} {}", self.version),
            None => self.version.clone(),
        }
    }

    fn base(&self, title: String) -> Message {
        let mut m = Message::new(title).event(Event::Deployment);
        m.text = self.commit_subject.clone().unwrap_or_default();
        m = m
            .field("Environment", &self.environment)
            .field("Version", &self.version);
        if let Some(s) = &self.service {
            m = m.field("Service", s);
        }
        if let Some(a) = &self.actor {
            m = m.field("Actor", a);
        }
        m = m.field("Commit", short_sha(&self.sha));
        if let Some(u) = &self.commit_url {
            m = m.link(format!("Commit {}", short_sha(&self.sha)), u);
        }
        if let Some(u) = &self.run_url {
            m = m.link("CI run", u);
        }
        m
    }

    /// The message `deploy start` posts: in progress.
    pub fn start_message(&self) -> Message {
        let mut m = self
            .base(format!("Deploying {} to {}", self.what(), self.environment))
            .field("Status", "in progress");
        m.severity = Severity::Info;
        m.color = Some(IN_PROGRESS_COLOR);
        if let Some(t) = &self.started_at {
            m = m.context_line(format!("Started {t}"));
        }
        m
    }

    /// The same message once finished: final colour, status, duration.
    pub fn finish_message(&self, note: &FinishNote) -> Message {
        let title = match note.outcome {
            Outcome::Success => format!("Deployed {} to {}", self.what(), self.environment),
            o => format!(
                "Deploy of {} to {} {}",
                self.what(),
                self.environment,
                o.verb()
            ),
        };
        let mut m = self.base(title).field("Status", note.outcome.as_str());
        if let Some(d) = note.duration {
            m = m.field("Duration", human_duration(d));
        }
        if note.outcome == Outcome::Success {
            if let Some(u) = &self.env_url {
                m = m.link("Open environment", u);
            }
        }
        (m.severity, m.color) = match note.outcome {
            Outcome::Success => (Severity::Success, None),
            Outcome::Failure | Outcome::Error => (Severity::Critical, None),
            Outcome::Cancelled => (Severity::Warning, Some(CANCELLED_COLOR)),
        };
        let mut context = Vec::new();
        if let Some(id) = self.deployment_id {
            context.push(format!("GitHub deployment {id}"));
        }
        if let Some(t) = &self.started_at {
            context.push(format!("started {t}"));
        }
        context.push(format!("finished {}", note.finished_at));
        m.context_line(context.join(" · "))
    }

    /// The thread reply (or follow-up) when it went wrong: the run link
    /// and the people to ping.
    pub fn failure_reply(&self, note: &FinishNote) -> Message {
        let mut m = Message::new(format!(
            "Deploy of {} to {} {}",
            self.what(),
            self.environment,
            note.outcome.verb()
        ))
        .event(Event::Deployment)
        .severity(Severity::Critical);
        m.text = match &self.run_url {
            Some(_) => "See the CI run for the logs.".into(),
            None => "No CI run link is known for this deployment.".into(),
        };
        if let Some(u) = &self.run_url {
            m = m.link("CI run", u);
        }
        m.mentions = note.mentions.clone();
        m
    }

    /// The cross-post to #incidents: the finished message with the pings.
    pub fn incident_message(&self, note: &FinishNote) -> Message {
        let mut m = self.finish_message(note);
        m.mentions = note.mentions.clone();
        m
    }
}

/// The outcome `deploy finish --status` reports: GitHub Actions' `job.status`
/// values plus `error`; GitLab's `$CI_JOB_STATUS` spellings (`failed`,
/// `canceled`) are accepted too.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The deployment worked.
    Success,
    /// The deployment failed (GitLab: `failed`).
    Failure,
    /// The deployment was stopped (GitLab: `canceled`).
    Cancelled,
    /// The deployment job itself errored.
    Error,
}

impl FromStr for Outcome {
    type Err = UsageError;

    /// The lowercase names, plus GitLab's `failed` and `canceled`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "success" => Ok(Outcome::Success),
            "failure" | "failed" => Ok(Outcome::Failure),
            "cancelled" | "canceled" => Ok(Outcome::Cancelled),
            "error" => Ok(Outcome::Error),
            other => Err(UsageError(format!(
                "{other:?} is not a deployment outcome: use success, failure, cancelled or error"
            ))),
        }
    }
}

impl Outcome {
    /// The GitHub deployment state: a cancelled deployment is `inactive`.
    pub fn github_state(self) -> DeployState {
        match self {
            Outcome::Success => DeployState::Success,
            Outcome::Failure => DeployState::Failure,
            Outcome::Cancelled => DeployState::Inactive,
            Outcome::Error => DeployState::Error,
        }
    }

    /// The lowercase name (`success`, `failure`, `cancelled`, `error`).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Cancelled => "cancelled",
            Outcome::Error => "error",
        }
    }

    /// Words for humans: "succeeded", "failed".
    pub fn verb(self) -> &'static str {
        match self {
            Outcome::Success => "succeeded",
            Outcome::Failure => "failed",
            Outcome::Cancelled => "was cancelled",
            Outcome::Error => "errored",
        }
    }

    /// Whether the deployment went wrong (thread reply, incidents cross-post).
    pub fn is_bad(self) -> bool {
        matches!(self, Outcome::Failure | Outcome::Error)
    }
}

/// A GitHub deployment status state, as the REST API spells it
/// (`in_progress`, `success`, …). States GitHub may add later are kept as
/// [`DeployState::Other`] rather than rejected.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum DeployState {
    /// `queued`.
    Queued,
    /// `pending`.
    Pending,
    /// `in_progress`: what `deploy start` records.
    InProgress,
    /// `success`.
    Success,
    /// `failure`.
    Failure,
    /// `error`.
    Error,
    /// `inactive`: superseded, or cancelled.
    Inactive,
    /// Any other spelling, as received.
    Other(String),
}

impl DeployState {
    /// The REST API spelling.
    pub fn as_str(&self) -> &str {
        match self {
            DeployState::Queued => "queued",
            DeployState::Pending => "pending",
            DeployState::InProgress => "in_progress",
            DeployState::Success => "success",
            DeployState::Failure => "failure",
            DeployState::Error => "error",
            DeployState::Inactive => "inactive",
            DeployState::Other(s) => s,
        }
    }

    /// Whether the state ends a deployment (`success`, `failure`, `error`,
    /// `inactive`).
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            DeployState::Success
                | DeployState::Failure
                | DeployState::Error
                | DeployState::Inactive
        )
    }
}

impl From<String> for DeployState {
    fn from(s: String) -> Self {
        match s.as_str() {
            "queued" => DeployState::Queued,
            "pending" => DeployState::Pending,
            "in_progress" => DeployState::InProgress,
            "success" => DeployState::Success,
            "failure" => DeployState::Failure,
            "error" => DeployState::Error,
            "inactive" => DeployState::Inactive,
            _ => DeployState::Other(s),
        }
    }
}

impl From<&str> for DeployState {
    fn from(s: &str) -> Self {
        DeployState::from(s.to_string())
    }
}

impl From<DeployState> for String {
    fn from(s: DeployState) -> Self {
        s.as_str().to_string()
    }
}

impl fmt::Display for DeployState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// GitHub deployment states that end a deployment (see
/// [`DeployState::is_final`]).
pub fn is_final_state(state: &str) -> bool {
    DeployState::from(state).is_final()
}

/// Longest environment name Sentry accepts, in characters.
pub const ENVIRONMENT_MAX: usize = 64;

/// Longest environment name GitHub accepts, in characters.
pub const GITHUB_ENVIRONMENT_MAX: usize = 255;

/// Which providers a deploy's names go to: each provider's naming rules
/// apply only where that provider is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NameRules {
    /// The GitHub deployment is recorded (environment names: up to 255
    /// characters, spaces allowed, no control characters).
    pub github: bool,
    /// The Sentry release and deploy are recorded (environment names: 1–64
    /// letters, digits, `-`, `_`, `.`, not `None`; versions: Sentry's
    /// release-version rules).
    pub sentry: bool,
    /// Sentry cannot be left out (`deploy verify` reads it): errors do not
    /// suggest `--no-sentry`.
    pub sentry_required: bool,
}

impl NameRules {
    /// Both providers' rules (the strictest).
    pub const ALL: NameRules = NameRules {
        github: true,
        sentry: true,
        sentry_required: false,
    };

    /// The rules of the providers in use: GitHub's where `github`, Sentry's
    /// where `sentry`.
    pub fn of(github: bool, sentry: bool) -> NameRules {
        NameRules {
            github,
            sentry,
            sentry_required: false,
        }
    }

    /// `deploy verify`'s rules: Sentry always (it is what verify reads),
    /// GitHub where it is configured.
    pub fn verify(github: bool) -> NameRules {
        NameRules {
            github,
            sentry: true,
            sentry_required: true,
        }
    }

    fn skip_hint(self) -> &'static str {
        if self.sentry_required {
            ""
        } else {
            " (or pass --no-sentry)"
        }
    }
}

/// An environment name valid for GitHub and Sentry: 1–64 characters of
/// letters, digits, `-`, `_`, `.`; not Sentry's reserved `None`. Trimmed.
pub fn validate_environment(name: &str) -> Result<String, UsageError> {
    validate_environment_for(name, NameRules::ALL)
}

/// An environment name valid for the providers in `rules` (never empty);
/// the error names the provider whose rule it breaks. Trimmed.
pub fn validate_environment_for(name: &str, rules: NameRules) -> Result<String, UsageError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(UsageError(
            "--environment is empty: name the environment, e.g. `--environment production`".into(),
        ));
    }
    let chars = name.chars().count();
    if rules.sentry {
        let skip = rules.skip_hint();
        if chars > ENVIRONMENT_MAX {
            return Err(UsageError(format!(
                "--environment is longer than {ENVIRONMENT_MAX} characters, Sentry's limit \
                 for environment names{skip}"
            )));
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(UsageError(format!(
                "--environment {name:?} has characters Sentry does not accept in environment \
                 names: use letters, digits, `-`, `_` and `.`{skip}"
            )));
        }
        if name == "None" {
            return Err(UsageError(format!(
                "--environment `None` is reserved by Sentry: pick another name{skip}"
            )));
        }
    }
    if rules.github {
        if chars > GITHUB_ENVIRONMENT_MAX {
            return Err(UsageError(format!(
                "--environment is longer than {GITHUB_ENVIRONMENT_MAX} characters, GitHub's \
                 limit for environment names"
            )));
        }
        if name.chars().any(char::is_control) {
            return Err(UsageError(format!(
                "--environment {name:?}: GitHub does not accept control characters (line \
                 breaks, tabs) in environment names"
            )));
        }
    }
    // Whatever the providers, a name is one line (outputs, messages).
    if name.contains(['\n', '\r']) {
        return Err(UsageError(format!(
            "--environment {name:?} has a line break: name it on one line"
        )));
    }
    Ok(name.to_string())
}

/// Production-like environment names: `production`, `prod`, `live`, alone or
/// followed by `-`/`_`/`.` and a suffix (`prod-eu`, `production.us`),
/// case-insensitive. These get `production_environment: true` on GitHub and
/// failures in them are cross-posted to #incidents.
pub fn is_production(environment: &str) -> bool {
    let e = environment.to_ascii_lowercase();
    ["production", "prod", "live"].iter().any(|p| {
        e == *p
            || e.strip_prefix(p)
                .is_some_and(|rest| rest.starts_with(['-', '_', '.']))
    })
}

/// A deploy version valid for Sentry (its release-version rules) and
/// without white space (it is one word in outputs and messages). Trimmed.
pub fn validate_version(version: &str) -> Result<String, UsageError> {
    validate_version_for(version, NameRules::ALL)
}

/// A deploy version: Sentry's release-version rules only when Sentry is
/// used (`rc/2026.11` is fine with `--no-sentry`), named as Sentry's; never
/// empty and without white space in any case. Trimmed.
pub fn validate_version_for(version: &str, rules: NameRules) -> Result<String, UsageError> {
    validate_version_flag(version, "--version", rules)
}

/// [`validate_version_for`] for a version given with `flag` (`--release`,
/// `--baseline` of `deploy verify`); the error names the flag and, for a
/// Sentry rule, Sentry.
pub fn validate_version_flag(
    version: &str,
    flag: &str,
    rules: NameRules,
) -> Result<String, UsageError> {
    let v = version.trim();
    if v.is_empty() {
        return Err(UsageError(format!(
            "{flag} is empty: pass a version, or leave {flag} out"
        )));
    }
    if rules.sentry {
        crate::release::validate_version(v).map_err(|e| {
            UsageError(format!(
                "Sentry: {e}: pass a valid one with {flag}{}",
                rules.skip_hint()
            ))
        })?;
    }
    if v.chars().any(char::is_whitespace) {
        return Err(UsageError(format!(
            "invalid deploy version {v:?}: it contains white space: pass a valid one with {flag}"
        )));
    }
    Ok(v.to_string())
}

/// The Sentry deploy name for a GitHub deployment: unique per deployment,
/// so that a re-run finds it again.
pub fn sentry_deploy_name(environment: &str, deployment_id: u64) -> String {
    crate::limits::sentry::deploy_name(environment, deployment_id)
}

/// Sentry's limit on a deploy name, in characters.
pub const DEPLOY_NAME_MAX: usize = crate::limits::sentry::DEPLOY_NAME;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environments() {
        for ok in ["production", "staging", "pr-123", "eu_west.1", "Prod"] {
            assert_eq!(validate_environment(ok).unwrap(), ok);
        }
        assert_eq!(validate_environment("  qa ").unwrap(), "qa");
        for bad in [
            "",
            "  ",
            "a b",
            "prod/eu",
            "x\ny",
            "None",
            &"x".repeat(65),
            "ünï",
        ] {
            assert!(validate_environment(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn each_providers_rules_apply_only_where_it_is_used() {
        let github_only = NameRules::of(true, false);
        let neither = NameRules::of(false, false);
        // GitHub environments allow spaces; Sentry's do not.
        assert_eq!(
            validate_environment_for("Production EU", github_only).unwrap(),
            "Production EU"
        );
        let e = validate_environment_for("Production EU", NameRules::ALL).unwrap_err();
        assert!(e.0.contains("Sentry") && !e.0.contains("GitHub"), "{e}");
        let long = "x".repeat(100);
        assert!(validate_environment_for(&long, github_only).is_ok());
        let e = validate_environment_for(&"x".repeat(256), github_only).unwrap_err();
        assert!(e.0.contains("GitHub") && !e.0.contains("Sentry"), "{e}");
        assert!(validate_environment_for("None", github_only).is_ok());
        assert!(validate_environment_for("a\tb", github_only).is_err());
        assert!(validate_environment_for("a\nb", neither).is_err());
        assert!(validate_environment_for(" ", neither).is_err());
        // Sentry forbids slashes in versions; without Sentry it is fine.
        assert_eq!(
            validate_version_for("rc/2026.11", github_only).unwrap(),
            "rc/2026.11"
        );
        let e = validate_version_for("rc/2026.11", NameRules::ALL).unwrap_err();
        assert!(e.0.starts_with("Sentry: "), "{e}");
        assert!(validate_version_for("a b", github_only).is_err());
        assert!(validate_version_for("", neither).is_err());
    }

    #[test]
    fn verify_applies_sentry_and_where_configured_githubs_rules() {
        // GitHub's 255-character limit only where GitHub is used.
        let long = "x".repeat(300);
        assert!(validate_environment_for(&long, NameRules::verify(false)).is_err());
        // Sentry's rules always, without suggesting --no-sentry.
        let e = validate_environment_for("Production EU", NameRules::verify(true)).unwrap_err();
        assert!(
            e.0.contains("Sentry") && !e.0.contains("--no-sentry"),
            "{e}"
        );
        let e = validate_version_flag("rc/1", "--release", NameRules::verify(false)).unwrap_err();
        assert!(e.0.starts_with("Sentry: "), "{e}");
        assert!(
            e.0.contains("--release") && !e.0.contains("--no-sentry"),
            "{e}"
        );
        assert!(!e.0.contains("--version"), "{e}");
        let e = validate_version_flag("a b", "--baseline", NameRules::verify(true)).unwrap_err();
        assert!(e.0.contains("--baseline"), "{e}");
        // deploy start's errors still offer --no-sentry.
        let e = validate_version_for("rc/1", NameRules::ALL).unwrap_err();
        assert!(e.0.contains("--no-sentry"), "{e}");
    }

    #[test]
    fn production_like() {
        for p in [
            "production",
            "Production",
            "prod",
            "live",
            "prod-eu",
            "production.us",
            "live_2",
        ] {
            assert!(is_production(p), "{p}");
        }
        for n in [
            "staging",
            "preprod",
            "production2",
            "prods",
            "delivery",
            "qa",
        ] {
            assert!(!is_production(n), "{n}");
        }
    }

    #[test]
    fn versions() {
        assert_eq!(validate_version("v1.2.3").unwrap(), "v1.2.3");
        assert_eq!(
            validate_version("web@1.2.3+build.4").unwrap(),
            "web@1.2.3+build.4"
        );
        for bad in [
            "",
            "a b",
            "release/1",
            "latest",
            "..",
            "a\tb",
            &"1".repeat(201),
        ] {
            assert!(validate_version(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn outcomes() {
        assert_eq!(Outcome::Cancelled.github_state(), DeployState::Inactive);
        assert_eq!(Outcome::Failure.github_state().as_str(), "failure");
        assert!(Outcome::Error.is_bad() && !Outcome::Cancelled.is_bad());
        assert!(is_final_state("inactive") && !is_final_state("in_progress"));
    }

    #[test]
    fn states_and_names() {
        assert_eq!(DeployState::from("in_progress"), DeployState::InProgress);
        assert_eq!(DeployState::from("weird").as_str(), "weird");
        assert_eq!("canceled".parse::<Outcome>().unwrap(), Outcome::Cancelled);
        assert_eq!("failed".parse::<Outcome>().unwrap(), Outcome::Failure);
        assert!("maybe".parse::<Outcome>().is_err());
        assert_eq!(sentry_deploy_name("production", 42), "production #42");
        assert_eq!(sentry_deploy_name(&"e".repeat(64), 1).chars().count(), 64);
    }
}
