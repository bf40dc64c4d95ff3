//! The pure core of `deploy start` / `deploy finish`: names, states,
//! durations and the rules that decide what to record. No I/O here.

use chrono::{DateTime, SecondsFormat, Utc};

use crate::context::UsageError;
use crate::message::{Event, Message, Severity};

/// What the deploy messages say; shared by start and finish. Untrusted text
/// (the commit subject) stays raw here: the message builders escape it.
#[derive(Clone, Debug, Default)]
pub struct DeployInfo {
    pub environment: String,
    pub version: String,
    pub sha: String,
    /// The repository name.
    pub service: Option<String>,
    pub actor: Option<String>,
    pub run_url: Option<String>,
    pub commit_url: Option<String>,
    pub commit_subject: Option<String>,
    pub env_url: Option<String>,
    pub deployment_id: Option<u64>,
    pub production: bool,
    pub started_at: Option<String>,
}

/// What finish adds to the messages.
#[derive(Clone, Debug)]
pub struct FinishNote {
    pub outcome: Outcome,
    pub duration: Option<i64>,
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Success,
    #[value(alias = "failed")]
    Failure,
    #[value(alias = "canceled")]
    Cancelled,
    Error,
}

impl Outcome {
    /// The GitHub deployment state: a cancelled deployment is `inactive`.
    pub fn github_state(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Cancelled => "inactive",
            Outcome::Error => "error",
        }
    }

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

/// GitHub deployment states that end a deployment.
pub fn is_final_state(state: &str) -> bool {
    matches!(state, "success" | "failure" | "error" | "inactive")
}

/// Longest environment name accepted (Sentry's limit).
pub const ENVIRONMENT_MAX: usize = 64;

/// An environment name valid for GitHub and Sentry: 1–64 characters of
/// letters, digits, `-`, `_`, `.`; not Sentry's reserved `None`.
pub fn validate_environment(name: &str) -> Result<String, UsageError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(UsageError(
            "--environment is empty: name the environment, e.g. `--environment production`".into(),
        ));
    }
    if name.chars().count() > ENVIRONMENT_MAX {
        return Err(UsageError(format!(
            "--environment is longer than {ENVIRONMENT_MAX} characters"
        )));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(UsageError(format!(
            "--environment {name:?} has characters Sentry and GitHub do not accept in \
             environment names: use letters, digits, `-`, `_` and `.`"
        )));
    }
    if name == "None" {
        return Err(UsageError(
            "--environment `None` is reserved by Sentry: pick another name".into(),
        ));
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

/// A version given with `--version`: trimmed, then Sentry's rules (the
/// same as `release create`), and no white space inside: a deploy's version
/// is also a label in messages and URLs, where `1 0` is a quoting mistake.
pub fn validate_version(version: &str) -> Result<String, UsageError> {
    let v = version.trim();
    crate::release::validate_version(v)
        .map_err(|e| UsageError(format!("{e}: pass a valid one with --version")))?;
    if v.chars().any(char::is_whitespace) {
        return Err(UsageError(format!(
            "invalid deploy version {v:?}: it contains white space: pass a valid one with --version"
        )));
    }
    Ok(v.to_string())
}

/// RFC 3339 in UTC with whole seconds: `2026-11-26T16:20:00Z`.
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub fn parse_timestamp(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// Whole seconds from `start` to `end` (never negative: clocks differ).
pub fn duration_secs(start: DateTime<Utc>, end: DateTime<Utc>) -> i64 {
    (end - start).num_seconds().max(0)
}

/// `42s`, `3m 05s`, `1h 02m 03s`.
pub fn human_duration(secs: i64) -> String {
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    if h > 0 {
        format!("{h}h {m:02}m {s:02}s")
    } else if m > 0 {
        format!("{m}m {s:02}s")
    } else {
        format!("{s}s")
    }
}

/// The Sentry deploy name for a GitHub deployment: unique per deployment,
/// so that a re-run finds it again.
pub fn sentry_deploy_name(environment: &str, deployment_id: u64) -> String {
    let name = format!("{environment} #{deployment_id}");
    name.chars()
        .take(crate::providers::sentry::deploys::DEPLOY_NAME_MAX)
        .collect()
}

/// The short form of a SHA used as a default version.
pub fn short_sha(sha: &str) -> String {
    sha.chars().take(7).collect()
}

/// A full (40 or 64 hex digit) commit SHA.
pub fn is_full_sha(sha: &str) -> bool {
    matches!(sha.len(), 40 | 64) && sha.chars().all(|c| c.is_ascii_hexdigit())
}

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
        assert_eq!(Outcome::Cancelled.github_state(), "inactive");
        assert_eq!(Outcome::Failure.github_state(), "failure");
        assert!(Outcome::Error.is_bad() && !Outcome::Cancelled.is_bad());
        assert!(is_final_state("inactive") && !is_final_state("in_progress"));
    }

    #[test]
    fn durations() {
        assert_eq!(human_duration(42), "42s");
        assert_eq!(human_duration(185), "3m 05s");
        assert_eq!(human_duration(3723), "1h 02m 03s");
        let a = parse_timestamp("2026-01-01T00:00:00Z").unwrap();
        let b = parse_timestamp("2026-01-01T00:01:30.5+00:00").unwrap();
        assert_eq!(duration_secs(a, b), 90);
        assert_eq!(duration_secs(b, a), 0);
        assert_eq!(timestamp(a), "2026-01-01T00:00:00Z");
    }

    #[test]
    fn shas_and_names() {
        assert!(is_full_sha(&"a".repeat(40)));
        assert!(!is_full_sha("abc1234"));
        assert_eq!(short_sha("0123456789abcdef"), "0123456");
        assert_eq!(sentry_deploy_name("production", 42), "production #42");
        assert_eq!(sentry_deploy_name(&"e".repeat(64), 1).chars().count(), 64);
    }
}
