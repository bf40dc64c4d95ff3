//! The plans of `deploy start` and `deploy finish`: from resolved inputs
//! and what was read, what to record (the GitHub deployment and its
//! statuses, the Sentry release and deploy) and what to say (which messages
//! to send, update in place or reply to). Pure data and decisions; the
//! commands execute the plans.

use super::{DEPLOY_NAME_MAX, DeployInfo, DeployState, FinishNote, Outcome, sentry_deploy_name};
use crate::message::{Message, MessageRef, Route, Severity};
use crate::text::{duration_secs, human_duration, parse_rfc3339, rfc3339, short_sha};

/// What a dry run shows where GitHub's deployment id will be (it is only
/// known once GitHub created the deployment).
pub const PENDING_ID: &str = "{deployment_id}";

/// A GitHub deployment status to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusPlan {
    /// The state (`in_progress`, `success`, `failure`, `error`, `inactive`).
    pub state: DeployState,
    /// The CI run, shown by GitHub as the log.
    pub log_url: Option<String>,
    /// The environment's URL (only on success).
    pub environment_url: Option<String>,
    /// The description (GitHub cuts it at 140 characters; the client does).
    pub description: String,
    /// Whether earlier deployments of the environment become inactive.
    pub auto_inactive: bool,
}

/// The GitHub deployment `deploy start` creates: the exact SHA, no
/// auto-merge, no required contexts (the client adds those constants).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeploymentPlan {
    /// The exact commit, full SHA (also the deployment's `ref`).
    pub sha: String,
    /// The task (`deploy` by default).
    pub task: String,
    /// The environment.
    pub environment: String,
    /// Production-like environment ([`super::is_production`]).
    pub production_environment: bool,
    /// `--transient`.
    pub transient_environment: bool,
    /// `--description`, else "Deploy V to E with obsctl".
    pub description: String,
}

/// `deploy start`, resolved: the deploy's facts and which providers record.
#[derive(Clone, Debug)]
pub struct StartInputs {
    /// The deploy (environment, version, SHA, actor, links), with
    /// `started_at` set.
    pub info: DeployInfo,
    /// `--task`.
    pub task: String,
    /// `--description`.
    pub description: Option<String>,
    /// `--transient`.
    pub transient: bool,
    /// The GitHub deployment is recorded (not `--no-github`).
    pub github: bool,
    /// The Sentry release is ensured (Sentry configured, not `--no-sentry`).
    pub sentry: bool,
}

/// What `deploy start` does: post the start message (its references ride
/// in the deployment's payload), create the GitHub deployment and its
/// `in_progress` status, and ensure the Sentry release — concurrently with
/// the GitHub steps.
#[derive(Clone, Debug)]
pub struct StartPlan {
    /// The deploy, as the messages show it.
    pub info: DeployInfo,
    /// The "in progress" message for the deployments route.
    pub message: Message,
    /// The Sentry release to ensure (the version), when Sentry is used.
    pub sentry_release: Option<String>,
    /// The GitHub deployment, when GitHub is used.
    pub deployment: Option<DeploymentPlan>,
    /// Its first status: `in_progress`; earlier deployments stay active
    /// until this one succeeds.
    pub in_progress: StatusPlan,
}

impl StartPlan {
    /// The plan for `inputs`.
    pub fn new(inputs: StartInputs) -> StartPlan {
        let info = inputs.info;
        let (version, environment) = (&info.version, &info.environment);
        let deployment = inputs.github.then(|| DeploymentPlan {
            sha: info.sha.clone(),
            task: inputs.task.clone(),
            environment: environment.clone(),
            production_environment: info.production,
            transient_environment: inputs.transient,
            description: inputs
                .description
                .clone()
                .unwrap_or_else(|| format!("Deploy {version} to {environment} with obsctl")),
        });
        StartPlan {
            message: info.start_message(),
            sentry_release: inputs.sentry.then(|| version.clone()),
            in_progress: StatusPlan {
                state: DeployState::InProgress,
                log_url: info.run_url.clone(),
                environment_url: None,
                description: format!("Deploying {version} to {environment}"),
                auto_inactive: false,
            },
            deployment,
            info,
        }
    }

    /// The GitHub deployment could not be recorded: the start message,
    /// saying so, for each of `refs` that can be edited in place.
    pub fn not_recorded(&self, refs: &[MessageRef], error: &str) -> Vec<(MessageRef, Message)> {
        let mut msg = self.message.clone();
        msg.title = format!(
            "Deploy of {} to {}: not recorded",
            self.info.version, self.info.environment
        );
        msg.fields.retain(|(k, _)| k != "Status");
        msg.fields
            .push(("Status".into(), "GitHub deployment not recorded".into()));
        msg.context = vec![crate::text::truncate_chars(error, 300)];
        msg.severity = Severity::Warning;
        msg.color = None;
        refs.iter()
            .filter(|r| r.is_updatable())
            .map(|r| (r.clone(), msg.clone()))
            .collect()
    }

    /// The line `deploy start` prints. `deployment_id`: GitHub's id, when
    /// a deployment was created; under `dry_run` none was, and the line
    /// says that GitHub assigns it.
    pub fn result_text(&self, deployment_id: Option<u64>, dry_run: bool) -> String {
        let info = &self.info;
        let short = short_sha(&info.sha);
        let (version, environment) = (&info.version, &info.environment);
        match deployment_id {
            None if dry_run && self.deployment.is_some() => format!(
                "Deployment of {version} ({short}) to {environment} would start (dry run: the \
                 deployment id is assigned by GitHub)"
            ),
            Some(id) => format!(
                "Deployment {id} started: {version} ({short}) to {environment} (started {})",
                info.started_at.as_deref().unwrap_or_default()
            ),
            None => format!(
                "Deploy of {version} ({short}) to {environment} started (no GitHub deployment: --no-github)"
            ),
        }
    }

    /// The step summary (Markdown).
    pub fn summary(&self) -> String {
        format!(
            "### Deploy started\n\n`{}` to **{}** at {}\n",
            self.info.version,
            self.info.environment,
            self.info.started_at.as_deref().unwrap_or_default()
        )
    }
}

/// What `deploy start` stored in the deployment's payload, as `deploy
/// finish` reads it back.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StartRecord {
    /// The version deployed.
    pub version: String,
    /// When start ran, RFC 3339 UTC.
    pub started_at: String,
    /// Who started it.
    pub actor: Option<String>,
    /// The CI run that started it.
    pub run_url: Option<String>,
    /// `deploy start --url`.
    pub url: Option<String>,
    /// The messages start posted.
    pub messages: Vec<MessageRef>,
}

/// The GitHub deployment `deploy finish` found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FoundDeployment {
    /// GitHub's id; `None` for the stand-in of a dry run (nothing was
    /// looked up, and no id is made up).
    pub id: Option<u64>,
    /// When GitHub created it, RFC 3339.
    pub created_at: Option<String>,
    /// obsctl's payload, when obsctl made it.
    pub start: Option<StartRecord>,
}

/// `deploy finish`, resolved, with what was read.
#[derive(Clone, Debug)]
pub struct FinishInputs {
    /// `--status`.
    pub outcome: Outcome,
    /// The deploy as known here: environment, version (the payload's when
    /// there is one), SHA, and the local actor, run URL and commit facts.
    pub info: DeployInfo,
    /// `--url`.
    pub url: Option<String>,
    /// When finish runs.
    pub finished: chrono::DateTime<chrono::Utc>,
    /// `--mention`.
    pub mentions: Vec<String>,
    /// The GitHub deployment, when GitHub is used.
    pub deployment: Option<FoundDeployment>,
    /// The Sentry deploy is recorded (on success).
    pub sentry: bool,
}

/// The Sentry deploy `deploy finish` records on success.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentryDeployPlan {
    /// The environment.
    pub environment: String,
    /// `<environment> #<deployment id>`, unique per GitHub deployment so
    /// that a re-run finds it; under a dry run without a deployment the id
    /// is [`PENDING_ID`]; none without GitHub.
    pub name: Option<String>,
    /// The CI run, else the environment's URL.
    pub url: Option<String>,
    /// When the deployment started, RFC 3339.
    pub date_started: Option<String>,
    /// When it finished, RFC 3339.
    pub date_finished: String,
}

/// Messages sent once per outcome: skipped when an earlier finish already
/// recorded it (GitHub has the same final state).
#[derive(Clone, Debug, Default)]
pub struct OnceMessages {
    /// Thread replies to the start messages (a failure's run link and pings).
    pub replies: Vec<(MessageRef, Message)>,
    /// A new message and its routes: the #incidents cross-post of a
    /// production failure, or the finish message where the start message
    /// cannot be updated (webhooks, or no start message).
    pub send: Option<(Message, Vec<Route>)>,
}

/// What `deploy finish` does: the final GitHub status, the Sentry deploy
/// on success, the start messages updated in place (safe to repeat), and
/// the messages sent only once.
#[derive(Clone, Debug)]
pub struct FinishPlan {
    /// The deploy, as the messages show it.
    pub info: DeployInfo,
    /// The outcome, duration and pings.
    pub note: FinishNote,
    /// The final status, when there is a GitHub deployment.
    pub status: Option<StatusPlan>,
    /// The Sentry deploy, on success with Sentry.
    pub sentry_deploy: Option<SentryDeployPlan>,
    /// Start messages edited in place.
    pub updates: Vec<(MessageRef, Message)>,
    /// Messages sent once.
    pub once: OnceMessages,
    /// The deployment is a dry run's stand-in (its id is GitHub's to assign).
    pub stand_in: bool,
}

impl FinishPlan {
    /// The plan for `inputs`: what start stored wins over what is known
    /// here (finish may run in another job), except the CI run URL and
    /// `--url`, which are this run's.
    pub fn new(inputs: FinishInputs) -> FinishPlan {
        let FinishInputs {
            outcome,
            mut info,
            url,
            finished,
            mentions,
            deployment,
            sentry,
        } = inputs;
        let start = deployment.as_ref().and_then(|d| d.start.clone());
        let started_at = start
            .as_ref()
            .map(|s| s.started_at.clone())
            .or_else(|| deployment.as_ref().and_then(|d| d.created_at.clone()));
        info.started_at = started_at.clone();
        info.env_url = url.or_else(|| start.as_ref().and_then(|s| s.url.clone()));
        info.deployment_id = deployment.as_ref().and_then(|d| d.id);
        if let Some(s) = &start {
            info.actor = s.actor.clone().or(info.actor);
            info.run_url = info.run_url.or_else(|| s.run_url.clone());
        }
        let duration = started_at
            .as_deref()
            .and_then(parse_rfc3339)
            .map(|s| duration_secs(s, finished));
        let note = FinishNote {
            outcome,
            duration,
            finished_at: rfc3339(finished),
            mentions,
        };
        let refs = start.map(|s| s.messages).unwrap_or_default();
        let success = outcome == Outcome::Success;
        let status = deployment.as_ref().map(|_| StatusPlan {
            state: outcome.github_state(),
            log_url: info.run_url.clone(),
            environment_url: info.env_url.clone().filter(|_| success),
            description: status_description(&info, &note),
            auto_inactive: success,
        });
        let sentry_deploy = (success && sentry).then(|| SentryDeployPlan {
            environment: info.environment.clone(),
            name: deployment.as_ref().map(|d| match d.id {
                Some(id) => sentry_deploy_name(&info.environment, id),
                None => format!("{} #{PENDING_ID}", info.environment)
                    .chars()
                    .take(DEPLOY_NAME_MAX)
                    .collect(),
            }),
            url: info.run_url.clone().or_else(|| info.env_url.clone()),
            date_started: info.started_at.clone(),
            date_finished: note.finished_at.clone(),
        });
        let finish_message = info.finish_message(&note);
        let updates = refs
            .iter()
            .filter(|r| r.is_updatable())
            .map(|r| (r.clone(), finish_message.clone()))
            .collect();
        FinishPlan {
            once: once_messages(&info, &note, &refs),
            stand_in: deployment.as_ref().is_some_and(|d| d.id.is_none()),
            info,
            note,
            status,
            sentry_deploy,
            updates,
        }
    }

    /// Whether GitHub already has this outcome: a final status in the same
    /// state other than the one this run created (`created_id`), among the
    /// deployment's statuses `(id, state)`.
    pub fn already_recorded<'a>(
        &self,
        created_id: u64,
        statuses: impl IntoIterator<Item = (u64, &'a str)>,
    ) -> bool {
        let want = self.note.outcome.github_state();
        statuses.into_iter().any(|(id, state)| {
            let state = DeployState::from(state);
            id != created_id && state == want && state.is_final()
        })
    }

    /// The line `deploy finish` prints; `already`: an earlier run recorded
    /// this outcome.
    pub fn result_text(&self, already: bool) -> String {
        let info = &self.info;
        let duration = self
            .note
            .duration
            .map(|d| format!(" in {}", human_duration(d)))
            .unwrap_or_default();
        let id = info
            .deployment_id
            .map(|id| format!("Deployment {id}"))
            .unwrap_or_else(|| "Deploy".into());
        let mut text = format!(
            "{id} of {} to {} {}{duration}",
            info.version,
            info.environment,
            self.note.outcome.verb()
        );
        if already {
            text.push_str(" (already recorded by an earlier run: nothing posted twice)");
        }
        if self.stand_in {
            text.push_str(" (dry run: the deployment id");
            if self
                .sentry_deploy
                .as_ref()
                .is_some_and(|s| s.name.is_some())
            {
                text.push_str(", and the number in the Sentry deploy name,");
            }
            text.push_str(" would come from the GitHub deployment)");
        }
        text
    }

    /// The step summary (Markdown).
    pub fn summary(&self) -> String {
        let duration = self
            .note
            .duration
            .map(|d| format!(" in {}", human_duration(d)))
            .unwrap_or_default();
        format!(
            "### Deploy {}\n\n`{}` to **{}**{duration}\n",
            self.note.outcome.as_str(),
            self.info.version,
            self.info.environment
        )
    }
}

/// "Deploy of V to E succeeded in 2m 05s".
fn status_description(info: &DeployInfo, note: &FinishNote) -> String {
    let mut d = format!(
        "Deploy of {} to {} {}",
        info.version,
        info.environment,
        note.outcome.verb()
    );
    if let Some(secs) = note.duration {
        d.push_str(&format!(" in {}", human_duration(secs)));
    }
    d
}

/// The messages sent once: on a failure, a thread reply to each start
/// message that can take one; the #incidents cross-post of a production
/// failure; and where no start message can be updated, one new message
/// (to #incidents as well for a production failure: the same destination
/// gets one).
fn once_messages(info: &DeployInfo, note: &FinishNote, refs: &[MessageRef]) -> OnceMessages {
    let bad = note.outcome.is_bad();
    let incidents = bad && info.production;
    let updatable = refs.iter().any(MessageRef::is_updatable);
    let replies = refs
        .iter()
        .filter(|r| bad && r.is_updatable())
        .map(|r| (r.clone(), info.failure_reply(note)))
        .collect();
    let send = if updatable {
        incidents.then(|| (info.incident_message(note), vec![Route::Incidents]))
    } else {
        let mut routes = vec![Route::Deployments];
        if incidents {
            routes.push(Route::Incidents);
        }
        let msg = if bad {
            info.incident_message(note)
        } else {
            info.finish_message(note)
        };
        Some((msg, routes))
    };
    OnceMessages { replies, send }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn info(environment: &str) -> DeployInfo {
        DeployInfo {
            environment: environment.into(),
            version: "v1.2.0".into(),
            sha: "0123456789abcdef0123456789abcdef01234567".into(),
            actor: Some("local-user".into()),
            run_url: Some("https://ci.example/run/2".into()),
            production: super::super::is_production(environment),
            started_at: Some("2026-11-29T10:00:00Z".into()),
            ..DeployInfo::default()
        }
    }

    fn start_inputs(github: bool, sentry: bool) -> StartInputs {
        StartInputs {
            info: info("production"),
            task: "deploy".into(),
            description: None,
            transient: false,
            github,
            sentry,
        }
    }

    fn bot() -> MessageRef {
        MessageRef::SlackBot {
            channel: "C1".into(),
            ts: "1.1".into(),
        }
    }

    fn hook() -> MessageRef {
        MessageRef::SlackWebhook {
            route: Route::Deployments,
        }
    }

    fn found(id: Option<u64>, messages: Vec<MessageRef>) -> FoundDeployment {
        FoundDeployment {
            id,
            created_at: Some("2026-11-29T09:59:00Z".into()),
            start: Some(StartRecord {
                version: "v1.2.0".into(),
                started_at: "2026-11-29T10:00:00Z".into(),
                actor: Some("octocat".into()),
                run_url: Some("https://ci.example/run/1".into()),
                url: Some("https://app.example".into()),
                messages,
            }),
        }
    }

    fn finish_inputs(outcome: Outcome, deployment: Option<FoundDeployment>) -> FinishInputs {
        let mut i = info("production");
        i.run_url = None;
        i.started_at = None;
        FinishInputs {
            outcome,
            info: i,
            url: None,
            finished: chrono::Utc
                .with_ymd_and_hms(2026, 11, 29, 10, 2, 5)
                .unwrap(),
            mentions: vec!["U123".into()],
            deployment,
            sentry: true,
        }
    }

    #[test]
    fn start_records_per_provider() {
        let p = StartPlan::new(start_inputs(true, true));
        let d = p.deployment.as_ref().unwrap();
        assert_eq!(d.sha, p.info.sha);
        assert!(d.production_environment && !d.transient_environment);
        assert_eq!(d.description, "Deploy v1.2.0 to production with obsctl");
        assert_eq!(p.sentry_release.as_deref(), Some("v1.2.0"));
        assert_eq!(p.in_progress.state, DeployState::InProgress);
        assert!(!p.in_progress.auto_inactive);
        assert_eq!(
            p.in_progress.log_url.as_deref(),
            Some("https://ci.example/run/2")
        );
        assert_eq!(p.message.title, "Deploying v1.2.0 to production");
        let p = StartPlan::new(start_inputs(false, false));
        assert!(p.deployment.is_none() && p.sentry_release.is_none());
        assert!(p.result_text(None, false).contains("--no-github"));
    }

    #[test]
    fn start_texts_never_show_a_made_up_id() {
        let p = StartPlan::new(start_inputs(true, true));
        let t = p.result_text(None, true);
        assert!(t.contains("the deployment id is assigned by GitHub"), "{t}");
        assert!(
            p.result_text(Some(42), false)
                .starts_with("Deployment 42 started")
        );
        assert!(p.summary().contains("`v1.2.0` to **production**"));
    }

    #[test]
    fn a_start_not_recorded_edits_only_updatable_messages() {
        let p = StartPlan::new(start_inputs(true, true));
        let edits = p.not_recorded(&[bot(), hook()], "GitHub: 502");
        assert_eq!(edits.len(), 1);
        assert_eq!(edits[0].0, bot());
        let m = &edits[0].1;
        assert!(m.title.ends_with(": not recorded"), "{}", m.title);
        assert_eq!(m.severity, Severity::Warning);
        assert_eq!(m.context, vec!["GitHub: 502".to_string()]);
    }

    #[test]
    fn finish_takes_what_start_stored() {
        let p = FinishPlan::new(finish_inputs(
            Outcome::Success,
            Some(found(Some(7), vec![bot()])),
        ));
        assert_eq!(p.info.actor.as_deref(), Some("octocat"));
        assert_eq!(p.info.run_url.as_deref(), Some("https://ci.example/run/1"));
        assert_eq!(p.info.env_url.as_deref(), Some("https://app.example"));
        assert_eq!(p.note.duration, Some(125));
        let s = p.status.as_ref().unwrap();
        assert_eq!(s.state, DeployState::Success);
        assert!(s.auto_inactive);
        assert_eq!(s.environment_url.as_deref(), Some("https://app.example"));
        assert_eq!(
            s.description,
            "Deploy of v1.2.0 to production succeeded in 2m 05s"
        );
        let d = p.sentry_deploy.as_ref().unwrap();
        assert_eq!(d.name.as_deref(), Some("production #7"));
        assert_eq!(d.date_started.as_deref(), Some("2026-11-29T10:00:00Z"));
        assert_eq!(d.date_finished, "2026-11-29T10:02:05Z");
        assert_eq!(p.updates.len(), 1);
        assert!(p.once.replies.is_empty() && p.once.send.is_none());
        assert_eq!(
            p.result_text(false),
            "Deployment 7 of v1.2.0 to production succeeded in 2m 05s"
        );
        // This run's CI link and --url win.
        let mut i = finish_inputs(Outcome::Failure, Some(found(Some(7), vec![])));
        i.info.run_url = Some("https://ci.example/run/9".into());
        i.url = Some("https://other.example".into());
        let p = FinishPlan::new(i);
        assert_eq!(p.info.run_url.as_deref(), Some("https://ci.example/run/9"));
        let s = p.status.unwrap();
        assert_eq!(s.environment_url, None, "the URL only on success");
        assert_eq!(s.state, DeployState::Failure);
        assert!(p.sentry_deploy.is_none(), "Sentry deploys are successes");
    }

    #[test]
    fn a_dry_run_stand_in_plans_no_made_up_id() {
        let stand_in = FoundDeployment {
            id: None,
            ..FoundDeployment::default()
        };
        let p = FinishPlan::new(finish_inputs(Outcome::Success, Some(stand_in)));
        let name = p.sentry_deploy.as_ref().unwrap().name.clone().unwrap();
        assert_eq!(name, "production #{deployment_id}");
        assert!(!name.contains("#0"));
        let t = p.result_text(false);
        assert!(t.starts_with("Deploy of v1.2.0"), "{t}");
        assert!(t.contains("the number in the Sentry deploy name"), "{t}");
        // Without GitHub there is no deployment, and no name.
        let p = FinishPlan::new(finish_inputs(Outcome::Success, None));
        assert_eq!(p.sentry_deploy.unwrap().name, None);
        assert!(p.status.is_none());
    }

    #[test]
    fn failure_messages_once() {
        // A production failure with a bot message: a thread reply and the
        // #incidents cross-post; the start message is updated.
        let p = FinishPlan::new(finish_inputs(
            Outcome::Failure,
            Some(found(Some(7), vec![bot(), hook()])),
        ));
        assert_eq!(p.updates.len(), 1);
        assert_eq!(p.once.replies.len(), 1);
        assert_eq!(p.once.replies[0].1.mentions, vec!["U123".to_string()]);
        let (msg, routes) = p.once.send.clone().unwrap();
        assert_eq!(routes, vec![Route::Incidents]);
        assert_eq!(msg.mentions, vec!["U123".to_string()]);
        // Only a webhook message: one new message, to both routes.
        let p = FinishPlan::new(finish_inputs(
            Outcome::Error,
            Some(found(Some(7), vec![hook()])),
        ));
        assert!(p.updates.is_empty() && p.once.replies.is_empty());
        assert_eq!(
            p.once.send.unwrap().1,
            vec![Route::Deployments, Route::Incidents]
        );
        // A success with nothing to update: the finish message, deployments only.
        let p = FinishPlan::new(finish_inputs(
            Outcome::Success,
            Some(found(Some(7), vec![])),
        ));
        let (msg, routes) = p.once.send.unwrap();
        assert_eq!(routes, vec![Route::Deployments]);
        assert!(msg.title.starts_with("Deployed"), "{}", msg.title);
        // Staging: no cross-post.
        let mut i = finish_inputs(Outcome::Failure, Some(found(Some(7), vec![bot()])));
        i.info = info("staging");
        let p = FinishPlan::new(i);
        assert!(p.once.send.is_none());
        assert_eq!(p.once.replies.len(), 1);
    }

    #[test]
    fn an_outcome_already_recorded_is_not_posted_twice() {
        let p = FinishPlan::new(finish_inputs(
            Outcome::Failure,
            Some(found(Some(7), vec![])),
        ));
        assert!(p.already_recorded(3, [(1, "in_progress"), (2, "failure"), (3, "failure")]));
        assert!(!p.already_recorded(3, [(1, "in_progress"), (3, "failure")]));
        assert!(!p.already_recorded(3, [(2, "success")]));
        let p = FinishPlan::new(finish_inputs(
            Outcome::Cancelled,
            Some(found(Some(7), vec![])),
        ));
        assert!(p.already_recorded(3, [(2, "inactive")]));
    }
}
