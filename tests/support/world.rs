//! [`World`]: one [`Fake`] of every API plus a git repository with two
//! tags (`v1.0.0`, `v1.1.0` = HEAD) and the obsctl command wired to both;
//! [`Cmd`] and [`Dest`] name the commands and notification destinations the
//! fault, secret and bad-input matrices run through.

use std::path::PathBuf;

use serde_json::json;

use super::{
    DISCORD_ID, DISCORD_SECRET, DSN_KEY, Fake, GH_TOKEN, HOOK_SECRET, Rule, SENTRY_TOKEN,
    SLACK_TOKEN, State,
};

/// A running fake with a git repository to release and deploy from.
pub struct World {
    pub fake: Fake,
    pub repo: crate::common::GitRepo,
    /// The SHA of `v1.1.0` (HEAD).
    pub head: String,
    pub dir: tempfile::TempDir,
}

impl World {
    pub async fn new() -> World {
        let fake = Fake::start().await;
        let repo = crate::common::GitRepo::new();
        repo.commit("README.md", "hello\n", "chore: init");
        repo.tag("v1.0.0");
        repo.commit("src/lib.rs", "pub fn a() {}\n", "feat: add a (#1)");
        let head = repo.commit("src/b.rs", "pub fn b() {}\n", "fix: b");
        repo.tag("v1.1.0");
        World {
            fake,
            repo,
            head,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn uri(&self) -> String {
        self.fake.uri()
    }

    pub fn rules(&self, rules: Vec<Rule>) {
        self.fake.rules(rules);
    }

    pub fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.fake.state()
    }

    pub fn hook_url(&self) -> String {
        self.fake.slack_hook_url(HOOK_SECRET)
    }

    pub fn discord_url(&self) -> String {
        self.fake.discord_url()
    }

    pub fn dsn(&self) -> String {
        format!("https://{DSN_KEY}@o1.ingest.sentry.example/42")
    }

    pub fn output_file(&self) -> PathBuf {
        self.dir.path().join("github_output")
    }

    pub fn summary_file(&self) -> PathBuf {
        self.dir.path().join("step_summary")
    }

    /// obsctl against the fake: GitHub and Sentry configured, fast retry
    /// settings, in the repository. Add the notification variables with
    /// [`World::with`].
    pub fn cmd(&self) -> assert_cmd::Command {
        let mut cmd = crate::common::obsctl();
        cmd.env("GITHUB_TOKEN", GH_TOKEN)
            .env("GITHUB_REPOSITORY", "acme/web")
            .env("GITHUB_API_URL", self.uri())
            .env("GITHUB_SERVER_URL", "https://github.example")
            .env("SENTRY_AUTH_TOKEN", SENTRY_TOKEN)
            .env("SENTRY_ORG", "acme")
            .env("SENTRY_PROJECT", "web")
            .env("SENTRY_URL", self.uri())
            .env("OBSCTL_RETRY_BUDGET", "2")
            .env("OBSCTL_TIMEOUT", "1")
            .arg("-C")
            .arg(self.repo.path());
        cmd
    }

    /// Like [`World::cmd`], without `-C` (the test passes its own).
    pub fn cmd_outside_repo(&self) -> assert_cmd::Command {
        let mut cmd = crate::common::obsctl();
        cmd.env("GITHUB_TOKEN", GH_TOKEN)
            .env("GITHUB_REPOSITORY", "acme/web")
            .env("GITHUB_API_URL", self.uri())
            .env("SENTRY_AUTH_TOKEN", SENTRY_TOKEN)
            .env("SENTRY_ORG", "acme")
            .env("SENTRY_PROJECT", "web")
            .env("SENTRY_URL", self.uri())
            .env("OBSCTL_RETRY_BUDGET", "2")
            .env("OBSCTL_TIMEOUT", "1");
        cmd
    }

    /// The notification settings of one destination kind.
    pub fn notify_env(&self, dest: Dest) -> Vec<(&'static str, String)> {
        match dest {
            Dest::None => vec![],
            Dest::SlackBot => vec![
                ("SLACK_BOT_TOKEN", SLACK_TOKEN.to_string()),
                ("SLACK_API_URL", format!("{}/api", self.uri())),
            ],
            Dest::SlackHook => vec![("SLACK_WEBHOOK_URL", self.hook_url())],
            Dest::Discord => vec![("DISCORD_WEBHOOK_URL", self.discord_url())],
            Dest::All => {
                let mut v = self.notify_env(Dest::SlackBot);
                v.extend(self.notify_env(Dest::Discord));
                v
            }
        }
    }

    /// The Actions environment: outputs and summary in temp files.
    pub fn actions_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("GITHUB_ACTIONS", "true".into()),
            ("GITHUB_OUTPUT", self.output_file().display().to_string()),
            (
                "GITHUB_STEP_SUMMARY",
                self.summary_file().display().to_string(),
            ),
            ("GITHUB_SHA", self.head.clone()),
            ("GITHUB_REF_NAME", "v1.1.0".into()),
            ("GITHUB_REF_TYPE", "tag".into()),
            ("GITHUB_RUN_ID", "42".into()),
            ("GITHUB_ACTOR", "octocat".into()),
            ("GITHUB_SERVER_URL", "https://github.example".into()),
            ("SENTRY_DSN", self.dsn()),
        ]
    }

    /// Seed a deployment made by `deploy start`, for `deploy finish`.
    /// With `slack`, the start message posted with the bot token is in the
    /// payload (so that finish updates it in place).
    pub fn seed_deployment(&self, slack: bool) -> u64 {
        let started = (chrono::Utc::now() - chrono::Duration::minutes(5))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let mut payload = json!({"obsctl": 1, "version": "v1.1.0", "started_at": started});
        if slack {
            payload["slack_channel"] = json!("CDEPLOYMENTS");
            payload["slack_ts"] = json!("1700000000.000001");
            payload["messages"] = json!([{"kind": "slack_bot", "channel": "CDEPLOYMENTS", "ts": "1700000000.000001"}]);
        }
        let mut s = self.state();
        let id = 1000 + s.id();
        if slack {
            s.slack
                .seed_post("CDEPLOYMENTS", "1700000000.000001", "Deploying v1.1.0");
        }
        s.github.deployments.push(json!({
            "id": id, "sha": self.head, "ref": self.head, "task": "deploy",
            "environment": "production", "original_environment": "production",
            "payload": payload,
            "created_at": started, "updated_at": started,
            "production_environment": true, "transient_environment": false,
            "description": "Deploy v1.1.0 to production with obsctl",
        }));
        s.github.statuses.insert(id, vec![]);
        id
    }

    /// Seed GitHub's GraphQL view for `dora report`: three deployments of
    /// `production` in the last 30 days (v1.0.0 then HEAD succeeded, HEAD
    /// again failed and the next one recovered) and one incident issue.
    /// `dora report --format json` then says: 3 successful deployments
    /// ([`DORA_DEPLOYMENTS`]), 4 in all, 2 failed ([`DORA_FAILED`]).
    pub fn seed_dora(&self) {
        let first = self.repo.git(&["rev-parse", "v1.0.0"]);
        let first = first.trim().to_string();
        let ago = |days: i64, secs: i64| {
            (chrono::Utc::now() - chrono::Duration::days(days) + chrono::Duration::seconds(secs))
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        };
        let node = |n: u64, sha: &str, days: i64, states: &[&str]| {
            json!({
                "id": format!("DE_kwDO{n}"), "databaseId": n,
                "createdAt": ago(days, 0), "commitOid": sha,
                "statuses": {
                    "totalCount": states.len(),
                    "nodes": states.iter().enumerate().rev()
                        .map(|(i, s)| json!({"state": s, "createdAt": ago(days, 60 * (i as i64 + 1))}))
                        .collect::<Vec<_>>(),
                }
            })
        };
        let mut s = self.state();
        // Newest first, as GitHub orders them.
        s.github.gql_deployments = vec![
            node(4004, &self.head, 4, &["IN_PROGRESS", "SUCCESS"]),
            node(4003, &self.head, 5, &["IN_PROGRESS", "FAILURE"]),
            node(4002, &self.head, 10, &["IN_PROGRESS", "SUCCESS"]),
            node(4001, &first, 20, &["IN_PROGRESS", "SUCCESS"]),
        ];
        s.github.gql_issues = vec![json!({
            "number": 77, "createdAt": ago(9, 0), "closedAt": ago(8, 0),
        })];
    }

    /// Seed the Sentry release (as `release create` or `deploy start` leave it).
    pub fn seed_sentry_release(&self, version: &str) {
        self.state().sentry.releases.insert(
            version.into(),
            json!({"version": version, "shortVersion": version, "projects": ["web"],
                   "dateReleased": "2026-01-01T00:00:00Z"}),
        );
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dest {
    None,
    SlackBot,
    SlackHook,
    Discord,
    All,
}

/// The commands under test and their arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmd {
    Release,
    DeployStart,
    DeployFinish,
    Notify,
    /// `dora report --source github` (not in [`Cmd::ALL`]: it only reads).
    Dora,
}

/// What [`World::seed_dora`] makes `dora report --format json` count.
pub const DORA_DEPLOYMENTS: u64 = 3;
pub const DORA_TOTAL: u64 = 4;
pub const DORA_FAILED: u64 = 2;

impl Cmd {
    pub const ALL: [Cmd; 4] = [
        Cmd::Release,
        Cmd::DeployStart,
        Cmd::DeployFinish,
        Cmd::Notify,
    ];

    pub fn args(self, w: &World) -> Vec<String> {
        let v: Vec<&str> = match self {
            Cmd::Release => vec!["release", "create", "v1.1.0"],
            Cmd::DeployStart => vec!["deploy", "start", "--environment", "production", "--sha"],
            Cmd::DeployFinish => vec![
                "deploy",
                "finish",
                "--environment",
                "production",
                "--status",
                "success",
                "--sha",
            ],
            Cmd::Notify => vec![
                "notify",
                "--title",
                "Deployed v1.1.0",
                "--severity",
                "success",
            ],
            Cmd::Dora => vec!["dora", "report", "--source", "github"],
        };
        let mut v: Vec<String> = v.into_iter().map(String::from).collect();
        if matches!(self, Cmd::DeployStart | Cmd::DeployFinish) {
            v.push(w.head.clone());
        }
        v
    }

    /// Put the fake in the state the command expects (finish needs a started deployment).
    pub fn prepare(self, w: &World, dest: Dest) {
        if self == Cmd::DeployFinish {
            w.seed_deployment(matches!(dest, Dest::SlackBot | Dest::All));
            w.seed_sentry_release("v1.1.0");
        }
        if self == Cmd::Dora {
            w.seed_dora();
        }
    }
}
