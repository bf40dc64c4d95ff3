//! `deploy start` / `deploy finish` against the one fake per API
//! (`tests/support/`): GitHub (deployments, statuses), Sentry (releases,
//! deploys), Slack (chat.postMessage, chat.update, incoming webhooks) and
//! Discord. start and finish run as separate processes: whatever finish
//! knows, it found through the fake's APIs. Every body sent is validated
//! against the contracts by the fake itself.
mod common;
mod support;

use serde_json::{Value, json};

use support::{
    Act, Api, At, DISCORD_ID, DISCORD_SECRET, Fake, GH_TOKEN, HOOK_SECRET, SENTRY_TOKEN,
    SLACK_TOKEN, Seen, State, always, once,
};

const RUN_URL: &str = "https://github.com/acme/web/actions/runs/42/attempts/1";

struct World {
    fake: Fake,
    repo: common::GitRepo,
    sha: String,
    out_dir: tempfile::TempDir,
}

impl World {
    async fn new() -> Self {
        let fake = Fake::start().await;
        let repo = common::GitRepo::new();
        repo.commit("README.md", "hello\n", "Initial commit");
        let sha = repo.commit(
            "app.txt",
            "v2\n",
            "Fix checkout <script>alert(1)</script> & *bold* <!channel>",
        );
        repo.annotated_tag("v1.2.0", "release 1.2.0");
        World {
            fake,
            repo,
            sha,
            out_dir: tempfile::tempdir().unwrap(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.fake.state()
    }

    /// Set the fault rule of one place, replacing an earlier one (see
    /// `tests/support/faults.rs`).
    fn fault(&self, rule: support::Rule) {
        let mut s = self.state();
        s.rules.retain(|r| r.at != rule.at);
        s.rules.push(rule);
    }

    /// `POST /deployments` answers this, recording nothing.
    fn create_deployment_answers(&self, code: u16, body: Value) {
        self.fault(always(
            At::Route("github.create_deployment"),
            Act::status(code, body),
        ));
    }

    fn github_down(&self) {
        self.fault(always(
            At::Api(Api::GitHub),
            Act::status(503, json!({"message": "Service Unavailable"})),
        ));
    }

    fn sentry_down(&self) {
        self.fault(always(
            At::Api(Api::Sentry),
            Act::status(500, json!({"detail": "Internal Error"})),
        ));
    }

    /// Slack (Web API and webhooks) and Discord answer 503.
    fn slack_down(&self) {
        for api in [Api::Slack, Api::SlackWebhook, Api::Discord] {
            self.fault(always(At::Api(api), Act::text(503, "")));
        }
    }

    fn output_file(&self, name: &str) -> std::path::PathBuf {
        self.out_dir.path().join(name)
    }

    /// obsctl with GitHub and Sentry pointed at the fake (no Slack).
    fn cmd(&self, args: &[&str]) -> assert_cmd::Command {
        let mut c = common::obsctl();
        c.arg("-C").arg(self.repo.path());
        c.args(args);
        c.envs(self.fake.github_env())
            .envs(self.fake.sentry_env())
            .env("GITHUB_SERVER_URL", "https://github.com")
            .env("SENTRY_PROJECT", "web,api")
            .env("OBSCTL_RETRY_BUDGET", "2")
            .env("OBSCTL_TIMEOUT", "10");
        c.args(["--run-url", RUN_URL, "--actor", "octocat"]);
        c
    }

    /// Like [`cmd`], with a Slack bot pointed at the fake.
    fn cmd_slack(&self, args: &[&str]) -> assert_cmd::Command {
        let mut c = self.cmd(args);
        c.envs(self.fake.slack_env())
            .env("OBSCTL_SLACK_CHANNEL_DEPLOYMENTS", "#deployments")
            .env("OBSCTL_SLACK_CHANNEL_INCIDENTS", "#incidents");
        c
    }

    /// Like [`cmd`], with only a Slack incoming webhook.
    fn cmd_webhook(&self, args: &[&str]) -> assert_cmd::Command {
        let mut c = self.cmd(args);
        c.env("SLACK_WEBHOOK_URL", self.fake.slack_hook_url(HOOK_SECRET));
        c
    }

    /// Like [`cmd`], with only a Discord webhook.
    fn cmd_discord(&self, args: &[&str]) -> assert_cmd::Command {
        let mut c = self.cmd(args);
        c.env("DISCORD_WEBHOOK_URL", self.fake.discord_url());
        c
    }

    /// The `chat.postMessage` bodies as sent.
    fn slack_posts(&self) -> Vec<Value> {
        self.seen("POST", "/api/chat.postMessage")
            .into_iter()
            .map(|r| r.body)
            .collect()
    }

    /// The `chat.update` bodies as sent.
    fn slack_updates(&self) -> Vec<Value> {
        self.seen("POST", "/api/chat.update")
            .into_iter()
            .map(|r| r.body)
            .collect()
    }

    fn seen(&self, method: &str, suffix: &str) -> Vec<Seen> {
        self.state()
            .seen
            .iter()
            .filter(|r| r.method == method && r.path.ends_with(suffix))
            .cloned()
            .collect()
    }
}

/// Secrets never appear in anything obsctl prints.
fn assert_no_secrets(out: &std::process::Output) {
    for stream in [&out.stdout, &out.stderr] {
        let text = String::from_utf8_lossy(stream);
        for secret in [
            GH_TOKEN,
            SENTRY_TOKEN,
            SLACK_TOKEN,
            DISCORD_SECRET,
            HOOK_SECRET,
        ] {
            assert!(!text.contains(secret), "secret printed: {text}");
        }
    }
}

fn run(mut cmd: assert_cmd::Command) -> (i32, Value, String) {
    let out = cmd.output().unwrap();
    assert_no_secrets(&out);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let json = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    if std::env::var_os("SHOW_OUTPUT").is_some() {
        eprintln!("--- exit {:?}\n{stdout}\n{stderr}", out.status.code());
    }
    (
        out.status.code().unwrap_or(-1),
        json,
        format!("{stdout}\n{stderr}"),
    )
}

fn read_outputs(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

// ---------------------------------------------------------------- tests

#[tokio::test]
async fn start_then_finish_in_separate_processes() {
    let w = World::new().await;
    let out_file = w.output_file("start.out");
    let (code, json, text) = run({
        let mut c = w.cmd(&[
            "deploy",
            "start",
            "--environment",
            "production",
            "--format",
            "json",
            "--url",
            "https://example.com",
        ]);
        c.env("GITHUB_OUTPUT", &out_file);
        c
    });
    assert_eq!(code, 0, "{text}");
    let id = json["deployment_id"].as_u64().expect("deployment_id");
    assert_eq!(json["version"], "v1.2.0");
    assert_eq!(json["environment"], "production");
    let started_at = json["started_at"].as_str().unwrap().to_string();

    // The deployment: the exact SHA, no auto-merge, no required contexts.
    let creates = w.seen("POST", "/repos/acme/web/deployments");
    assert_eq!(creates.len(), 1);
    let body = &creates[0].body;
    assert_eq!(body["ref"], w.sha.as_str());
    assert_eq!(body["auto_merge"], false);
    assert_eq!(body["required_contexts"], json!([]));
    assert_eq!(body["environment"], "production");
    assert_eq!(body["production_environment"], true);
    assert_eq!(body["transient_environment"], false);
    assert_eq!(body["payload"]["obsctl"], 1);
    assert_eq!(body["payload"]["version"], "v1.2.0");
    assert_eq!(body["payload"]["started_at"], started_at.as_str());
    assert_eq!(body["payload"]["run_url"], RUN_URL);
    assert_eq!(body["payload"]["actor"], "octocat");
    // in_progress with the run as log, and the release ensured for the projects.
    let statuses = w.seen("POST", &format!("/deployments/{id}/statuses"));
    assert_eq!(statuses.len(), 1);
    assert_eq!(statuses[0].body["state"], "in_progress");
    assert_eq!(statuses[0].body["log_url"], RUN_URL);
    assert_eq!(statuses[0].body["auto_inactive"], false);
    let releases = w.seen("POST", "/organizations/acme/releases/");
    assert_eq!(releases.len(), 1);
    assert_eq!(
        releases[0].body,
        json!({"version": "v1.2.0", "projects": ["web", "api"]})
    );
    let outputs = read_outputs(&out_file);
    assert!(
        outputs.contains(&format!("deployment_id={id}")),
        "{outputs}"
    );
    assert!(outputs.contains("version=v1.2.0"), "{outputs}");
    assert!(
        outputs.contains(&format!("started_at={started_at}")),
        "{outputs}"
    );
    assert!(outputs.contains("environment=production"), "{outputs}");

    // finish, in another process, without --deployment-id.
    let out_file = w.output_file("finish.out");
    let (code, json, text) = run({
        let mut c = w.cmd(&[
            "deploy",
            "finish",
            "--environment",
            "production",
            "--status",
            "success",
            "--format",
            "json",
        ]);
        c.env("GITHUB_OUTPUT", &out_file);
        c
    });
    assert_eq!(code, 0, "{text}");
    assert_eq!(json["deployment_id"], id);
    assert_eq!(json["status"], "success");
    assert_eq!(json["started_at"], started_at.as_str());
    assert!(json["duration_seconds"].as_i64().unwrap() >= 0);
    let lookups = w.seen("GET", "/repos/acme/web/deployments");
    assert_eq!(lookups.len(), 1);
    assert_eq!(
        lookups[0].query.get("sha").map(String::as_str),
        Some(w.sha.as_str())
    );
    assert_eq!(
        lookups[0].query.get("environment").map(String::as_str),
        Some("production")
    );

    let statuses = w.seen("POST", &format!("/deployments/{id}/statuses"));
    assert_eq!(statuses.len(), 2);
    let fin = &statuses[1].body;
    assert_eq!(fin["state"], "success");
    assert_eq!(fin["environment_url"], "https://example.com/");
    assert_eq!(fin["log_url"], RUN_URL);
    assert!(fin["description"].as_str().unwrap().chars().count() <= 140);

    let deploys = w.seen("POST", "/releases/v1.2.0/deploys/");
    assert_eq!(deploys.len(), 1);
    let d = &deploys[0].body;
    assert_eq!(d["environment"], "production");
    assert_eq!(d["projects"], json!(["web", "api"]));
    assert_eq!(d["dateStarted"], started_at.as_str());
    let (ds, df) = (
        chrono::DateTime::parse_from_rfc3339(d["dateStarted"].as_str().unwrap()).unwrap(),
        chrono::DateTime::parse_from_rfc3339(d["dateFinished"].as_str().unwrap()).unwrap(),
    );
    assert!(ds <= df, "{ds} > {df}");
    assert_eq!(d["name"], format!("production #{id}"));
    assert_eq!(d["url"], RUN_URL);
    let outputs = read_outputs(&out_file);
    assert!(outputs.contains("status=success"), "{outputs}");
    assert!(outputs.contains("duration="), "{outputs}");
}

/// Texts over their targets' limits: the deployment description (140),
/// every status description (140) and the Sentry deploy name (64) are cut
/// with `…` (the deploy name keeps the deployment id); a re-run of finish
/// still finds the Sentry deploy by that name.
#[tokio::test]
async fn deploy_texts_over_their_limits_are_cut() {
    let w = World::new().await;
    let env = format!("production-{}", "e".repeat(53));
    assert_eq!(env.chars().count(), 64);
    let description = "Deploying the checkout service with ".repeat(20);
    let (code, json, text) = run(w.cmd(&[
        "deploy",
        "start",
        "-e",
        &env,
        "--description",
        &description,
        "--format",
        "json",
    ]));
    assert_eq!(code, 0, "{text}");
    let id = json["deployment_id"].as_u64().unwrap();
    let sent = &w.seen("POST", "/repos/acme/web/deployments")[0].body;
    let d = sent["description"].as_str().unwrap();
    assert_eq!(d.chars().count(), 140, "{d}");
    assert!(d.ends_with('…'));
    for _ in 0..2 {
        let (code, _, text) = run(w.cmd(&[
            "deploy",
            "finish",
            "-e",
            &env,
            "--status",
            "success",
            "--format",
            "json",
            "--deployment-id",
            &id.to_string(),
        ]));
        assert_eq!(code, 0, "{text}");
    }
    for st in w.seen("POST", &format!("/deployments/{id}/statuses")) {
        let d = st.body["description"].as_str().unwrap();
        assert!(d.chars().count() <= 140, "{d}");
    }
    let deploys = w.seen("POST", "/releases/v1.2.0/deploys/");
    assert_eq!(deploys.len(), 1, "the re-run finds the cut name");
    let name = deploys[0].body["name"].as_str().unwrap();
    assert_eq!(name.chars().count(), 64, "{name}");
    assert!(name.ends_with(&format!("… #{id}")), "{name}");
    assert!(
        w.state().violations.is_empty(),
        "{:#?}",
        w.state().violations
    );
}

#[tokio::test]
async fn finish_twice_records_one_sentry_deploy() {
    let w = World::new().await;
    let (code, json, text) = run(w.cmd(&["deploy", "start", "-e", "staging", "--format", "json"]));
    assert_eq!(code, 0, "{text}");
    let id = json["deployment_id"].as_u64().unwrap();
    assert_eq!(
        w.seen("POST", "/deployments").first().unwrap().body["production_environment"],
        false
    );
    for run_no in 0..2 {
        let (code, json, text) = run(w.cmd(&[
            "deploy",
            "finish",
            "-e",
            "staging",
            "--status",
            "success",
            "--format",
            "json",
            "--deployment-id",
            &id.to_string(),
        ]));
        assert_eq!(code, 0, "{text}");
        assert_eq!(json["already_finished"], run_no == 1, "{json}");
        assert_eq!(
            json["sentry"],
            if run_no == 0 { "created" } else { "existed" }
        );
    }
    assert_eq!(w.seen("POST", "/releases/v1.2.0/deploys/").len(), 1);
    assert_eq!(w.state().sentry.deploys["v1.2.0"].len(), 1);
}

#[tokio::test]
async fn cancelled_is_inactive_and_exits_zero() {
    let w = World::new().await;
    let (code, json, text) = run(w.cmd(&[
        "deploy",
        "start",
        "-e",
        "production",
        "--version",
        "2.0.0",
        "--format",
        "json",
    ]));
    assert_eq!(code, 0, "{text}");
    let id = json["deployment_id"].as_u64().unwrap();
    let (code, _, text) = run(w.cmd(&[
        "deploy",
        "finish",
        "-e",
        "production",
        "--status",
        "cancelled",
        "--url",
        "https://example.com",
    ]));
    assert_eq!(code, 0, "{text}");
    let st = w.seen("POST", &format!("/deployments/{id}/statuses"));
    assert_eq!(st.last().unwrap().body["state"], "inactive");
    // environment_url only on success.
    assert!(st.last().unwrap().body.get("environment_url").is_none());
    assert!(
        w.seen("POST", "/deploys/").is_empty(),
        "no Sentry deploy unless success"
    );
}

#[tokio::test]
async fn failure_and_error_are_recorded_and_exit_zero() {
    let w = World::new().await;
    for (status, state) in [("failure", "failure"), ("error", "error")] {
        let (code, json, text) = run(w.cmd(&["deploy", "start", "-e", "qa", "--format", "json"]));
        assert_eq!(code, 0, "{text}");
        let id = json["deployment_id"].as_u64().unwrap();
        let (code, json, text) = run(w.cmd(&[
            "deploy", "finish", "-e", "qa", "--status", status, "--format", "json",
        ]));
        assert_eq!(code, 0, "{text}");
        assert_eq!(json["deployment_id"], id, "the newest obsctl deployment");
        let st = w.seen("POST", &format!("/deployments/{id}/statuses"));
        assert_eq!(st.last().unwrap().body["state"], state);
    }
    assert!(w.seen("POST", "/deploys/").is_empty());
}

#[tokio::test]
async fn conflict_409_is_explained() {
    let w = World::new().await;
    w.create_deployment_answers(409, json!({"message": "Conflict: Commit status checks failed for main.", "documentation_url": "https://docs.github.com/rest"}));
    let (code, _, text) = run(w.cmd(&["deploy", "start", "-e", "production"]));
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("Commit status checks failed"), "{text}");
    assert!(text.contains("required_contexts"), "{text}");
    assert!(text.contains("HTTP 409"), "{text}");
}

#[tokio::test]
async fn accepted_202_is_not_a_deployment() {
    let w = World::new().await;
    w.create_deployment_answers(
        202,
        json!({"message": "Auto-merged master into topic-branch on deployment."}),
    );
    let (code, _, text) = run(w.cmd(&["deploy", "start", "-e", "production"]));
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("auto-merge"), "{text}");
    assert!(text.contains("no deployment was created"), "{text}");
}

#[tokio::test]
async fn unauthorized_401_and_forbidden_403_are_explained() {
    let w = World::new().await;
    w.create_deployment_answers(
        401,
        json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}),
    );
    let (code, _, text) = run(w.cmd(&["deploy", "start", "-e", "production"]));
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("Bad credentials"), "{text}");
    assert!(
        text.contains("GITHUB_TOKEN is invalid or expired"),
        "{text}"
    );

    w.create_deployment_answers(403, json!({"message": "Resource not accessible by integration", "documentation_url": "https://docs.github.com/rest"}));
    let (code, _, text) = run(w.cmd(&["deploy", "start", "-e", "production"]));
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("deployments: write"), "{text}");
}

#[tokio::test]
async fn github_down_fails_the_command() {
    let w = World::new().await;
    w.github_down();
    let (code, _, text) = run(w.cmd(&["deploy", "start", "-e", "production"]));
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("GitHub"), "{text}");
    // A create that may have happened is not retried blindly.
    assert_eq!(
        w.seen("POST", "/repos/acme/web/deployments").len(),
        1,
        "not repeated when the lookup cannot confirm"
    );
    let (code, _, text) = run(w.cmd(&[
        "deploy",
        "finish",
        "-e",
        "production",
        "--status",
        "success",
    ]));
    assert_eq!(code, 1, "{text}");
}

#[tokio::test]
async fn ambiguous_create_is_looked_up_not_duplicated() {
    let w = World::new().await;
    w.fault(once(
        At::Route("github.create_deployment"),
        Act::RecordThenStatus(502),
    ));
    let (code, json, text) =
        run(w.cmd(&["deploy", "start", "-e", "production", "--format", "json"]));
    assert_eq!(code, 0, "{text}");
    assert_eq!(
        w.state().github.deployments.len(),
        1,
        "no duplicate deployment"
    );
    assert_eq!(w.seen("POST", "/repos/acme/web/deployments").len(), 1);
    assert_eq!(json["deployment_id"], w.state().github.deployments[0]["id"]);
    assert_eq!(w.seen("POST", "/statuses").len(), 1);
}

/// When the GitHub deployment fails, the other records' failures are said
/// too (the error alone hid that Sentry and Slack had failed as well).
#[tokio::test]
async fn a_github_failure_also_names_the_other_failures() {
    let w = World::new().await;
    w.github_down();
    w.sentry_down();
    w.slack_down();
    let (code, _, text) = run(w.cmd_slack(&["deploy", "start", "-e", "production"]));
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("the GitHub deployment was not recorded"),
        "{text}"
    );
    assert!(
        text.contains("warning: ensuring the Sentry release failed too"),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.contains("notification to ") && l.contains("failed too: ")),
        "{text}"
    );
}

#[tokio::test]
async fn sentry_down_is_a_warning_unless_strict() {
    let w = World::new().await;
    w.sentry_down();
    let (code, json, text) =
        run(w.cmd(&["deploy", "start", "-e", "production", "--format", "json"]));
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("warning: ensuring the Sentry release failed"),
        "{text}"
    );
    assert_eq!(json["sentry"], "failed");
    let (code, _, text) = run(w.cmd(&[
        "deploy",
        "finish",
        "-e",
        "production",
        "--status",
        "success",
    ]));
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("warning: recording the Sentry deploy failed"),
        "{text}"
    );
    let (code, _, text) = run(w.cmd(&[
        "deploy",
        "finish",
        "-e",
        "production",
        "--status",
        "success",
        "--strict",
    ]));
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("--strict"), "{text}");
    // GitHub was still recorded each time.
    assert_eq!(w.seen("POST", "/statuses").len(), 3);
}

#[tokio::test]
async fn dry_run_sends_nothing() {
    let w = World::new().await;
    let (code, json, text) = run(w.cmd(&[
        "deploy",
        "start",
        "-e",
        "production",
        "--dry-run",
        "--format",
        "json",
    ]));
    assert_eq!(code, 0, "{text}");
    assert_eq!(json["dry_run"], true);
    let reqs = json["requests"].as_array().unwrap();
    assert!(
        reqs.iter().any(|r| r["method"] == "POST"
            && r["url"]
                .as_str()
                .unwrap()
                .ends_with("/repos/acme/web/deployments")),
        "{json}"
    );
    assert!(
        reqs.iter()
            .any(|r| r["url"].as_str().unwrap().ends_with("/statuses")),
        "{json}"
    );
    let (code, _, text) = run(w.cmd(&[
        "deploy",
        "finish",
        "-e",
        "production",
        "--status",
        "success",
        "--dry-run",
    ]));
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("dry run: nothing was sent"), "{text}");
    assert!(
        w.state().seen.is_empty(),
        "the fake received requests under --dry-run"
    );
}

#[tokio::test]
async fn bad_input_exits_2() {
    let w = World::new().await;
    for env in ["", "prod env", "a/b", &"x".repeat(65)] {
        let (code, _, text) = run(w.cmd(&["deploy", "start", "--environment", env]));
        assert_eq!(code, 2, "{env:?}: {text}");
    }
    let (code, _, text) =
        run(w.cmd(&["deploy", "finish", "-e", "production", "--status", "maybe"]));
    assert_eq!(code, 2, "{text}");
    let (code, _, text) = run(w.cmd(&["deploy", "start", "-e", "production", "--version", "a b"]));
    assert_eq!(code, 2, "{text}");
    // No token: GitHub is the primary record.
    let mut c = w.cmd(&["deploy", "start", "-e", "production"]);
    c.env_remove("GITHUB_TOKEN");
    let (code, _, text) = run(c);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("--no-github"), "{text}");
    assert!(w.state().seen.is_empty());
}

#[tokio::test]
async fn finish_without_a_start_explains() {
    let w = World::new().await;
    let (code, _, text) = run(w.cmd(&[
        "deploy",
        "finish",
        "-e",
        "production",
        "--status",
        "success",
    ]));
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("deploy start"), "{text}");
    let (code, _, text) = run(w.cmd(&[
        "deploy",
        "finish",
        "-e",
        "production",
        "--status",
        "success",
        "--deployment-id",
        "99",
    ]));
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("--deployment-id"), "{text}");
}

// ------------------------------------------------------------ messaging

#[tokio::test]
async fn slack_message_is_posted_once_and_updated_in_place() {
    let w = World::new().await;
    let out_file = w.output_file("start.out");
    let (code, json, text) = run({
        let mut c = w.cmd_slack(&["deploy", "start", "-e", "production", "--format", "json"]);
        c.env("GITHUB_OUTPUT", &out_file);
        c
    });
    assert_eq!(code, 0, "{text}");
    let posts = w.slack_posts();
    assert_eq!(posts.len(), 1, "{posts:?}");
    let post = &posts[0];
    assert_eq!(post["channel"], "#deployments");
    let post_text = post.to_string();
    for want in [
        "production",
        "v1.2.0",
        "web",
        "octocat",
        RUN_URL,
        &w.sha[..7],
    ] {
        assert!(post_text.contains(want), "{want} missing: {post_text}");
    }
    assert!(
        post_text.contains(&format!("https://github.com/acme/web/commit/{}", w.sha)),
        "{post_text}"
    );
    // The commit subject is escaped for Slack: no live markup, no pings.
    assert!(post_text.contains("&lt;script&gt;"), "{post_text}");
    assert!(!post_text.contains("<script>"), "{post_text}");
    assert!(!post_text.contains("<!channel>"), "{post_text}");
    assert!(
        post_text.contains("#1D9BD1"),
        "in-progress colour: {post_text}"
    );
    let (channel, ts) = (
        json["slack_channel"].as_str().unwrap().to_string(),
        json["slack_ts"].as_str().unwrap().to_string(),
    );
    assert_eq!(channel, "CDEPLOYMENTS");
    // The reference rides in the deployment payload; nothing secret does.
    let dep = &w.seen("POST", "/repos/acme/web/deployments")[0].body;
    assert_eq!(dep["payload"]["slack_channel"], channel.as_str());
    assert_eq!(dep["payload"]["slack_ts"], ts.as_str());
    assert_eq!(dep["payload"]["messages"][0]["kind"], "slack_bot");
    assert!(!dep.to_string().contains(SLACK_TOKEN));
    let outputs = read_outputs(&out_file);
    assert!(
        outputs.contains(&format!("slack_channel={channel}")),
        "{outputs}"
    );
    assert!(outputs.contains(&format!("slack_ts={ts}")), "{outputs}");

    for _ in 0..2 {
        let (code, json, text) = run(w.cmd_slack(&[
            "deploy",
            "finish",
            "-e",
            "production",
            "--status",
            "success",
            "--format",
            "json",
        ]));
        assert_eq!(code, 0, "{text}");
        assert_eq!(json["slack_ts"], ts.as_str());
    }
    assert_eq!(w.slack_posts().len(), 1, "updated, never posted again");
    let updates = w.slack_updates();
    assert!(!updates.is_empty());
    let upd = &updates[0];
    assert_eq!(upd["channel"], channel.as_str());
    assert_eq!(upd["ts"], ts.as_str());
    let upd_text = upd.to_string();
    assert!(upd_text.contains("success"), "{upd_text}");
    assert!(upd_text.contains("Duration"), "{upd_text}");
    assert!(upd_text.contains("#2EB67D"), "success colour: {upd_text}");
    let state = w.state();
    assert_eq!(state.slack.posts.len(), 1);
    assert!(
        state.slack.posts[0]
            .to_string()
            .contains("Deployed web v1.2.0 to production")
    );
    drop(state);
    assert_eq!(w.seen("POST", "/deploys/").len(), 1);
}

#[tokio::test]
async fn production_failure_replies_in_thread_and_cross_posts_to_incidents() {
    let w = World::new().await;
    let (code, json, text) =
        run(w.cmd_slack(&["deploy", "start", "-e", "production", "--format", "json"]));
    assert_eq!(code, 0, "{text}");
    let ts = json["slack_ts"].as_str().unwrap().to_string();
    for _ in 0..2 {
        let (code, _, text) = run(w.cmd_slack(&[
            "deploy",
            "finish",
            "-e",
            "production",
            "--status",
            "failure",
            "--mention",
            "U024BE7LH",
            "--mention",
            "S0614TZR7",
        ]));
        assert_eq!(code, 0, "failure is recorded, not a second failure: {text}");
    }
    let posts = w.slack_posts();
    assert_eq!(
        posts.len(),
        3,
        "start, thread reply, #incidents; nothing on the re-run: {posts:#?}"
    );
    let reply = posts
        .iter()
        .find(|p| p.get("thread_ts").is_some())
        .expect("thread reply");
    assert_eq!(reply["thread_ts"], ts.as_str());
    assert_eq!(reply["channel"], "CDEPLOYMENTS");
    let reply_text = reply.to_string();
    assert!(reply_text.contains(RUN_URL), "{reply_text}");
    assert!(reply_text.contains("<@U024BE7LH>"), "{reply_text}");
    assert!(reply_text.contains("<!subteam^S0614TZR7>"), "{reply_text}");
    let incident = posts
        .iter()
        .find(|p| p["channel"] == "#incidents")
        .expect("#incidents post");
    assert!(incident.to_string().contains("failed"), "{incident}");
    assert!(incident.to_string().contains("#E01E5A"), "red: {incident}");
    assert_eq!(w.slack_updates().len(), 2);
    assert!(w.slack_updates()[0].to_string().contains("failure"));
    assert!(w.seen("POST", "/deploys/").is_empty());
}

#[tokio::test]
async fn staging_failure_does_not_go_to_incidents() {
    let w = World::new().await;
    let (code, _, text) = run(w.cmd_slack(&["deploy", "start", "-e", "staging"]));
    assert_eq!(code, 0, "{text}");
    let (code, _, text) =
        run(w.cmd_slack(&["deploy", "finish", "-e", "staging", "--status", "error"]));
    assert_eq!(code, 0, "{text}");
    let posts = w.slack_posts();
    assert_eq!(posts.len(), 2, "start + thread reply: {posts:#?}");
    assert!(posts.iter().all(|p| p["channel"] != "#incidents"));
}

#[tokio::test]
async fn webhook_only_posts_a_second_message_once() {
    let w = World::new().await;
    let (code, json, text) =
        run(w.cmd_webhook(&["deploy", "start", "-e", "production", "--format", "json"]));
    assert_eq!(code, 0, "{text}");
    assert_eq!(json["slack_ts"], Value::Null);
    assert_eq!(w.state().slack.hook_posts.len(), 1);
    let dep = w.seen("POST", "/repos/acme/web/deployments")[0]
        .body
        .clone();
    assert_eq!(
        dep["payload"]["messages"],
        json!([{"kind": "slack_webhook", "route": "deployments"}])
    );
    assert!(
        !dep.to_string().contains(HOOK_SECRET) && !dep.to_string().contains("/services/"),
        "the webhook URL is a secret: {dep}"
    );
    for _ in 0..2 {
        let (code, _, text) = run(w.cmd_webhook(&[
            "deploy",
            "finish",
            "-e",
            "production",
            "--status",
            "success",
        ]));
        assert_eq!(code, 0, "{text}");
    }
    let posts = w.state().slack.hook_posts.clone();
    assert_eq!(
        posts.len(),
        2,
        "start + finish, not repeated on the re-run: {posts:#?}"
    );
    assert!(
        posts[1]
            .to_string()
            .contains("Deployed web v1.2.0 to production"),
        "{}",
        posts[1]
    );
    assert!(w.slack_posts().is_empty() && w.slack_updates().is_empty());
}

#[tokio::test]
async fn discord_message_is_edited_in_place() {
    let w = World::new().await;
    let (code, _, text) = run(w.cmd_discord(&["deploy", "start", "-e", "staging"]));
    assert_eq!(code, 0, "{text}");
    assert_eq!(w.state().discord.posts.len(), 1);
    let posts = w.seen(
        "POST",
        &format!("/api/webhooks/{DISCORD_ID}/{DISCORD_SECRET}"),
    );
    assert_eq!(posts[0].query.get("wait").map(String::as_str), Some("true"));
    let (code, _, text) =
        run(w.cmd_discord(&["deploy", "finish", "-e", "staging", "--status", "success"]));
    assert_eq!(code, 0, "{text}");
    let state = w.state();
    assert_eq!(state.discord.posts.len(), 1, "edited, not posted again");
    assert_eq!(state.discord.edits.len(), 1, "one PATCH");
    assert!(state.discord.posts[0].to_string().contains("success"));
    drop(state);
}

#[tokio::test]
async fn slack_down_is_a_warning_unless_strict() {
    let w = World::new().await;
    w.slack_down();
    let (code, json, text) =
        run(w.cmd_slack(&["deploy", "start", "-e", "production", "--format", "json"]));
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("warning: notification to Slack #deployments failed"),
        "{text}"
    );
    assert!(json["deployment_id"].as_u64().is_some());
    assert_eq!(json["slack_ts"], Value::Null);
    let (code, _, text) = run(w.cmd_slack(&[
        "deploy",
        "finish",
        "-e",
        "production",
        "--status",
        "success",
    ]));
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("warning: notification to Slack"), "{text}");
    let (code, _, text) = run(w.cmd_slack(&["deploy", "start", "-e", "production", "--strict"]));
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("--strict"), "{text}");
    let (code, _, text) = run(w.cmd_slack(&[
        "deploy",
        "finish",
        "-e",
        "production",
        "--status",
        "success",
        "--strict",
    ]));
    assert_eq!(code, 1, "{text}");
    // The GitHub record is there regardless.
    assert_eq!(w.state().github.deployments.len(), 2);
    assert_eq!(w.seen("POST", "/statuses").len(), 4);
}

#[tokio::test]
async fn dry_run_with_slack_sends_nothing() {
    let w = World::new().await;
    let (code, json, text) = run(w.cmd_slack(&[
        "deploy",
        "start",
        "-e",
        "production",
        "--dry-run",
        "--format",
        "json",
    ]));
    assert_eq!(code, 0, "{text}");
    let reqs = json["requests"].as_array().unwrap();
    assert!(
        reqs.iter().any(|r| r["url"]
            .as_str()
            .unwrap()
            .ends_with("/api/chat.postMessage")),
        "{json}"
    );
    let (code, _, text) = run(w.cmd_slack(&[
        "deploy",
        "finish",
        "-e",
        "production",
        "--status",
        "failure",
        "--dry-run",
    ]));
    assert_eq!(code, 0, "{text}");
    assert!(w.state().seen.is_empty());
}

#[tokio::test]
async fn in_github_actions_the_run_and_commit_come_from_the_environment() {
    let w = World::new().await;
    let mut c = common::obsctl();
    c.arg("-C").arg(w.repo.path());
    c.args(["deploy", "start", "-e", "production"]);
    c.env("GITHUB_ACTIONS", "true")
        .env("GITHUB_SHA", &w.sha)
        .env("GITHUB_REPOSITORY", "acme/web")
        .env("GITHUB_RUN_ID", "7")
        .env("GITHUB_RUN_ATTEMPT", "2")
        .env("GITHUB_ACTOR", "hubot")
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env("GITHUB_TOKEN", GH_TOKEN)
        .env("GITHUB_API_URL", w.fake.uri())
        .env("OBSCTL_RETRY_BUDGET", "2")
        .env("GITHUB_OUTPUT", w.output_file("out"));
    let out = c.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0), "{text}");
    // The runner is told to mask the token; it appears nowhere else.
    assert!(text.contains(&format!("::add-mask::{GH_TOKEN}")), "{text}");
    let rest: String = text
        .lines()
        .filter(|l| !l.starts_with("::add-mask::"))
        .collect();
    assert!(!rest.contains(GH_TOKEN), "{text}");
    let run_url = "https://github.com/acme/web/actions/runs/7/attempts/2";
    let dep = &w.seen("POST", "/repos/acme/web/deployments")[0].body;
    assert_eq!(dep["ref"], w.sha.as_str());
    assert_eq!(dep["payload"]["actor"], "hubot");
    assert_eq!(dep["payload"]["run_url"], run_url);
    assert_eq!(w.seen("POST", "/statuses")[0].body["log_url"], run_url);
    assert!(read_outputs(&w.output_file("out")).contains("deployment_id=1001"));
}

#[tokio::test]
async fn an_abbreviated_sha_is_expanded_locally() {
    let w = World::new().await;
    let (code, _, text) = run(w.cmd(&["deploy", "start", "-e", "qa", "--sha", &w.sha[..8]]));
    assert_eq!(code, 0, "{text}");
    assert_eq!(
        w.seen("POST", "/repos/acme/web/deployments")[0].body["ref"],
        w.sha.as_str()
    );
    let (code, _, text) = run(w.cmd(&["deploy", "start", "-e", "qa", "--sha", "abcdef12"]));
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("full 40-character SHA"), "{text}");
}

#[tokio::test]
async fn a_refused_deployment_is_said_in_the_message() {
    let w = World::new().await;
    w.create_deployment_answers(409, json!({"message": "Conflict: Commit status checks failed for main.", "documentation_url": "https://docs.github.com/rest"}));
    let (code, _, text) = run(w.cmd_slack(&["deploy", "start", "-e", "production"]));
    assert_eq!(code, 1, "{text}");
    assert_eq!(w.slack_posts().len(), 1);
    let updates = w.slack_updates();
    assert_eq!(updates.len(), 1, "the message no longer says in progress");
    let t = updates[0].to_string();
    assert!(t.contains("not recorded"), "{t}");
    assert!(t.contains("HTTP 409"), "{t}");
}

#[tokio::test]
async fn finish_creates_the_sentry_release_when_start_could_not() {
    let w = World::new().await;
    let (code, _, text) = run(w.cmd(&["deploy", "start", "-e", "production", "--no-sentry"]));
    assert_eq!(code, 0, "{text}");
    assert!(w.seen("POST", "/releases/").is_empty());
    let (code, json, text) = run(w.cmd(&[
        "deploy",
        "finish",
        "-e",
        "production",
        "--status",
        "success",
        "--format",
        "json",
    ]));
    assert_eq!(code, 0, "{text}");
    assert_eq!(json["sentry"], "created");
    assert_eq!(w.seen("POST", "/organizations/acme/releases/").len(), 1);
    assert_eq!(w.state().sentry.deploys["v1.2.0"].len(), 1);
}

/// Sequential round trips on the critical path: the longest chain of
/// requests in which each one arrived after the previous one's answer left
/// (every answer is delayed by `delay`, so concurrent requests overlap).
fn sequential_round_trips(seen: &[Seen], delay: std::time::Duration) -> usize {
    let mut depth: Vec<usize> = Vec::new();
    for (i, r) in seen.iter().enumerate() {
        let d = seen[..i]
            .iter()
            .zip(&depth)
            .filter(|(q, _)| q.at + delay <= r.at)
            .map(|(_, d)| *d)
            .max()
            .unwrap_or(0);
        depth.push(d + 1);
    }
    depth.into_iter().max().unwrap_or(0)
}

#[tokio::test]
async fn critical_paths_stay_within_their_round_trip_budgets() {
    let w = World::new().await;
    let delay = std::time::Duration::from_millis(250);
    w.state().delay = Some(delay);
    let take = |w: &World| std::mem::take(&mut w.state().seen);

    // start: the Slack message, then the deployment, then in_progress; the
    // Sentry release runs alongside.
    let (code, json, text) =
        run(w.cmd_slack(&["deploy", "start", "-e", "production", "--format", "json"]));
    assert_eq!(code, 0, "{text}");
    let seen = take(&w);
    assert!(seen.len() >= 4, "{} requests", seen.len());
    assert_eq!(sequential_round_trips(&seen, delay), 3, "deploy start");
    let id = json["deployment_id"].as_u64().unwrap().to_string();

    // finish with --deployment-id: 2 (the deployment and the Sentry deploys
    // are read together, then the status, the deploy and the update go out).
    let (code, json, text) = run(w.cmd_slack(&[
        "deploy",
        "finish",
        "-e",
        "production",
        "--status",
        "success",
        "--deployment-id",
        &id,
        "--format",
        "json",
    ]));
    assert_eq!(code, 0, "{text}");
    assert_eq!(json["sentry"], "created", "{json}");
    let seen = take(&w);
    assert_eq!(
        sequential_round_trips(&seen, delay),
        2,
        "deploy finish --deployment-id"
    );

    // finish by lookup: 3.
    let (code, _, text) = run(w.cmd_slack(&["deploy", "start", "-e", "staging"]));
    assert_eq!(code, 0, "{text}");
    take(&w);
    let (code, _, text) =
        run(w.cmd_slack(&["deploy", "finish", "-e", "staging", "--status", "success"]));
    assert_eq!(code, 0, "{text}");
    let seen = take(&w);
    assert_eq!(
        sequential_round_trips(&seen, delay),
        2,
        "deploy finish by lookup (the Sentry deploys are listed alongside)"
    );

    // Without Slack: start is the deployment, then in_progress (2).
    let (code, _, text) = run(w.cmd(&["deploy", "start", "-e", "qa"]));
    assert_eq!(code, 0, "{text}");
    let seen = take(&w);
    assert_eq!(
        sequential_round_trips(&seen, delay),
        2,
        "deploy start, no Slack"
    );
}

/// Like [`run`] for a run in GitHub Actions: the runner's `::add-mask::`
/// lines (which name the token on purpose) are left out of the text.
fn run_actions(mut cmd: assert_cmd::Command) -> (i32, String) {
    let out = cmd.output().unwrap();
    let text: String = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
    .lines()
    .filter(|l| !l.starts_with("::add-mask::"))
    .map(|l| format!("{l}\n"))
    .collect();
    assert!(!text.contains(GH_TOKEN), "{text}");
    (out.status.code().unwrap_or(-1), text)
}

/// obsctl in GitHub Actions (no run flags): the commit comes from the environment.
fn actions_cmd(w: &World, args: &[&str]) -> assert_cmd::Command {
    let mut c = common::obsctl();
    c.arg("-C").arg(w.repo.path());
    c.args(args);
    c.env("GITHUB_ACTIONS", "true")
        .env("GITHUB_REPOSITORY", "acme/web")
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env("GITHUB_TOKEN", GH_TOKEN)
        .env("GITHUB_API_URL", w.fake.uri())
        .env("OBSCTL_RETRY_BUDGET", "2");
    c
}

const MERGE_SHA: &str = "1111111111111111111111111111111111111111";

#[tokio::test]
async fn a_pull_request_run_deploys_the_head_not_the_merge_commit() {
    let w = World::new().await;
    let event = w.output_file("event.json");
    std::fs::write(
        &event,
        json!({"pull_request": {"head": {"sha": w.sha}}}).to_string(),
    )
    .unwrap();
    let mut c = actions_cmd(&w, &["deploy", "start", "-e", "qa"]);
    c.env("GITHUB_EVENT_NAME", "pull_request")
        .env("GITHUB_EVENT_PATH", &event)
        .env("GITHUB_SHA", MERGE_SHA);
    let (code, text) = run_actions(c);
    assert_eq!(code, 0, "{text}");
    let dep = &w.seen("POST", "/repos/acme/web/deployments")[0].body;
    assert_eq!(dep["ref"], w.sha.as_str(), "{dep}");
    assert!(!text.contains(MERGE_SHA), "{text}");

    // An unreadable event file: GITHUB_SHA, with one notice saying so.
    let mut c = actions_cmd(&w, &["deploy", "start", "-e", "qa"]);
    c.env("GITHUB_EVENT_NAME", "pull_request_target")
        .env("GITHUB_EVENT_PATH", w.output_file("missing.json"))
        .env("GITHUB_SHA", MERGE_SHA);
    let (code, text) = run_actions(c);
    assert_eq!(code, 0, "{text}");
    assert_eq!(
        w.seen("POST", "/repos/acme/web/deployments")[1].body["ref"],
        MERGE_SHA
    );
    assert_eq!(text.matches("missing.json").count(), 1, "{text}");
    assert!(text.contains("using GITHUB_SHA"), "{text}");
}

#[tokio::test]
async fn github_sha_is_honoured_outside_github_actions() {
    let w = World::new().await;
    let first = w.repo.git(&["rev-parse", "HEAD~1"]);
    let mut c = w.cmd(&["deploy", "start", "-e", "qa"]);
    c.env("GITHUB_SHA", &first);
    let (code, json, text) = run(c);
    assert_eq!(code, 0, "{text} {json}");
    assert_eq!(
        w.seen("POST", "/repos/acme/web/deployments")[0].body["ref"],
        first.as_str()
    );
    let mut c = w.cmd(&["deploy", "start", "-e", "qa"]);
    c.env("CI_COMMIT_SHA", &first);
    let (code, _, text) = run(c);
    assert_eq!(code, 0, "{text}");
    assert_eq!(
        w.seen("POST", "/repos/acme/web/deployments")[1].body["ref"],
        first.as_str()
    );
}

#[tokio::test]
async fn an_annotated_tags_object_id_is_peeled_to_its_commit() {
    let w = World::new().await;
    let tag_object = w.repo.git(&["rev-parse", "v1.2.0"]);
    assert_ne!(tag_object, w.sha, "the tag must be annotated");
    let (code, json, text) = run(w.cmd(&[
        "deploy",
        "start",
        "-e",
        "qa",
        "--sha",
        &tag_object,
        "--format",
        "json",
    ]));
    assert_eq!(code, 0, "{text}");
    let dep = &w.seen("POST", "/repos/acme/web/deployments")[0].body;
    assert_eq!(dep["ref"], w.sha.as_str(), "{dep}");
    assert_eq!(json["sha"], w.sha.as_str(), "{json}");
    assert_eq!(json["version"], "v1.2.0", "{json}");
    assert!(!text.contains(&tag_object), "{text}");
}

#[tokio::test]
async fn a_dry_run_shows_no_made_up_deployment_id() {
    let w = World::new().await;
    let (code, _, text) = run(w.cmd(&["deploy", "start", "-e", "qa", "--dry-run"]));
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("the deployment id is assigned by GitHub"),
        "{text}"
    );
    assert!(!text.contains("Deployment 0"), "{text}");
    assert!(!text.contains("/deployments/0/"), "{text}");
    assert!(
        text.contains("/deployments/{deployment_id}/statuses"),
        "{text}"
    );
    let (code, json, text) = run(w.cmd(&[
        "deploy",
        "start",
        "-e",
        "qa",
        "--dry-run",
        "--format",
        "json",
    ]));
    assert_eq!(code, 0, "{text}");
    assert_eq!(json["result"]["deployment_id"], Value::Null, "{json}");
    assert!(!json.to_string().contains("/deployments/0/"), "{json}");
    // finish: the stand-in deployment has no id either.
    let (code, json, text) = run(w.cmd(&[
        "deploy",
        "finish",
        "-e",
        "qa",
        "--status",
        "failure",
        "--dry-run",
        "--format",
        "json",
    ]));
    assert_eq!(code, 0, "{text}");
    assert_eq!(json["result"]["deployment_id"], Value::Null, "{json}");
    assert!(!json.to_string().contains("/deployments/0/"), "{json}");
    assert!(w.state().seen.is_empty());
}

#[tokio::test]
async fn each_providers_naming_rules_apply_only_where_it_is_used() {
    let w = World::new().await;
    // GitHub environments allow spaces; Sentry is not used.
    let (code, _, text) = run(w.cmd(&[
        "deploy",
        "start",
        "--environment",
        "Production EU",
        "--no-sentry",
    ]));
    assert_eq!(code, 0, "{text}");
    assert_eq!(
        w.seen("POST", "/repos/acme/web/deployments")[0].body["environment"],
        "Production EU"
    );
    // Sentry forbids slashes in versions; GitHub does not care.
    let (code, _, text) = run(w.cmd(&[
        "deploy",
        "start",
        "-e",
        "qa",
        "--version",
        "rc/2026.11",
        "--no-sentry",
    ]));
    assert_eq!(code, 0, "{text}");
    assert_eq!(
        w.seen("POST", "/repos/acme/web/deployments")[1].body["payload"]["version"],
        "rc/2026.11"
    );
    // With Sentry in use, its rules apply and the error names it (not GitHub).
    let before = w.state().seen.len();
    for args in [
        ["--environment", "Production EU"].as_slice(),
        ["-e", "qa", "--version", "rc/2026.11"].as_slice(),
    ] {
        let mut all = vec!["deploy", "start"];
        all.extend(args);
        let (code, _, text) = run(w.cmd(&all));
        assert_eq!(code, 2, "{args:?}: {text}");
        assert!(text.contains("Sentry"), "{args:?}: {text}");
        assert!(!text.contains("GitHub refuses"), "{text}");
        assert!(!text.contains("Sentry and GitHub"), "{text}");
    }
    assert_eq!(w.state().seen.len(), before, "nothing written on exit 2");
}

#[tokio::test]
async fn a_dry_run_finish_plans_no_made_up_id_in_the_sentry_deploy_name() {
    let w = World::new().await;
    let finish = [
        "deploy",
        "finish",
        "-e",
        "qa",
        "--status",
        "success",
        "--dry-run",
    ];
    let mut args = finish.to_vec();
    args.extend(["--format", "json"]);
    let (code, json, text) = run(w.cmd(&args));
    assert_eq!(code, 0, "{text}");
    let deploy = json["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["method"] == "POST" && r["url"].as_str().unwrap().ends_with("/deploys/"))
        .unwrap_or_else(|| panic!("no Sentry deploy planned: {json}"));
    assert_eq!(deploy["body"]["name"], "qa #{deployment_id}", "{deploy}");
    assert!(!json.to_string().contains("qa #0"), "{json}");
    // The text says where the number comes from.
    let (code, _, text) = run(w.cmd(&finish));
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains(
            "(dry run: the deployment id, and the number in the Sentry deploy name, would come \
             from the GitHub deployment)"
        ),
        "{text}"
    );
    assert!(!text.contains("qa #0"), "{text}");
    assert!(w.state().seen.is_empty());
}

/// Under --dry-run no Slack or Discord message is posted: the planned
/// GitHub deployment payload shows placeholders for their ids, never a
/// made-up id (issue 11).
#[tokio::test]
async fn a_dry_run_shows_no_made_up_message_ids() {
    let w = World::new().await;
    let fake_ids = [
        "C0DRYRUN",
        "0000000000.000000",
        "\"message_id\": \"0\"",
        "\"message_id\":\"0\"",
    ];
    let start = ["deploy", "start", "-e", "qa", "--dry-run"];
    let start_json = [&start[..], &["--format", "json"]].concat();
    let finish = [
        "deploy",
        "finish",
        "-e",
        "qa",
        "--status",
        "success",
        "--dry-run",
    ];
    for (name, cmd) in [
        ("slack", w.cmd_slack(&start_json)),
        ("discord", w.cmd_discord(&start_json)),
    ] {
        let (code, json, text) = run(cmd);
        assert_eq!(code, 0, "{name}: {text}");
        let planned = json["requests"].to_string();
        let wanted: &[&str] = if name == "slack" {
            &["{slack_channel_id}", "{slack_ts}"]
        } else {
            &["{discord_message_id}"]
        };
        for p in wanted {
            assert!(planned.contains(p), "{name}: no {p} in {planned}");
        }
        assert_eq!(json["result"]["slack_ts"], Value::Null, "{json}");
        assert_eq!(json["result"]["slack_channel"], Value::Null, "{json}");
        for bad in fake_ids {
            assert!(!text.contains(bad), "{name}: {bad} in {text}");
        }
    }
    for (name, cmd) in [
        ("slack start", w.cmd_slack(&start)),
        ("discord start", w.cmd_discord(&start)),
        ("slack finish", w.cmd_slack(&finish)),
        ("discord finish", w.cmd_discord(&finish)),
    ] {
        let (code, _, text) = run(cmd);
        assert_eq!(code, 0, "{name}: {text}");
        for bad in fake_ids {
            assert!(!text.contains(bad), "{name}: {bad} in {text}");
        }
    }
    assert!(w.state().seen.is_empty());
}
