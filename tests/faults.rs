//! Fault injection across every command (`release create`, `deploy start`,
//! `deploy finish`, `notify`) and every provider (GitHub, Sentry, Slack bot,
//! Slack webhook, Discord): 5xx once and always, 429 with `Retry-After`,
//! GitHub primary and secondary rate limits, answers that hang past the
//! timeout, connection refused, malformed JSON, 401/403/404/422 and Slack
//! `ok: false`. Each case asserts the exit code (the primary/optional
//! policy), the error or warning (naming the provider and the fix), the
//! wall time (bounded by `OBSCTL_RETRY_BUDGET=2`, `OBSCTL_TIMEOUT=1`) and the
//! fake's records: never a duplicate, also when a create was recorded but
//! its answer was lost.
//!
//! Cases run concurrently (each with its own fake and repository), so the
//! whole matrix takes about as long as its slowest case.
mod common;
mod support;

use std::time::{Duration, Instant};

use serde_json::json;
use support::{Act, Api, At, Cmd, Dest, Rule, State, World, always, closed_port, once};

type Check = Box<dyn Fn(&State) -> Result<(), String> + Send + Sync>;

struct Case {
    name: String,
    cmd: Cmd,
    dest: Dest,
    rules: Vec<Rule>,
    args: Vec<String>,
    /// (variable, what to point at a closed port).
    refused: Option<&'static str>,
    code: i32,
    stderr_has: Vec<String>,
    stderr_lacks: Vec<String>,
    min: Duration,
    max: Duration,
    checks: Vec<Check>,
    /// Checks of stdout (the report).
    out_checks: Vec<OutCheck>,
}

type OutCheck = Box<dyn Fn(&str) -> Result<(), String> + Send + Sync>;

fn case(name: &str, cmd: Cmd, dest: Dest, rules: Vec<Rule>) -> Case {
    Case {
        name: name.to_string(),
        cmd,
        dest,
        rules,
        args: vec![],
        refused: None,
        code: 0,
        stderr_has: vec![],
        stderr_lacks: vec![],
        min: Duration::ZERO,
        // Generous for a loaded 2-core machine; the default settings (60 s
        // budget, 30 s timeout) would take far longer in every "always" case.
        max: Duration::from_secs(9),
        checks: vec![],
        out_checks: vec![],
    }
}

impl Case {
    fn exit(mut self, code: i32) -> Self {
        self.code = code;
        self
    }
    fn says(mut self, s: &str) -> Self {
        self.stderr_has.push(s.to_string());
        self
    }
    fn never_says(mut self, s: &str) -> Self {
        self.stderr_lacks.push(s.to_string());
        self
    }
    fn arg(mut self, a: &str) -> Self {
        self.args.push(a.to_string());
        self
    }
    fn refused(mut self, var: &'static str) -> Self {
        self.refused = Some(var);
        self
    }
    fn at_least(mut self, secs: f64) -> Self {
        self.min = Duration::from_secs_f64(secs);
        self
    }
    fn within(mut self, secs: f64) -> Self {
        self.max = Duration::from_secs_f64(secs);
        self
    }
    fn check(mut self, f: impl Fn(&State) -> Result<(), String> + Send + Sync + 'static) -> Self {
        self.checks.push(Box::new(f));
        self
    }
    /// Exactly `n` records of a kind in the fake.
    fn records(self, what: &'static str, n: usize) -> Self {
        self.check(move |s| {
            let got = match what {
                "github release" => s.github.releases.len(),
                "deployment" => s.github.deployments.len(),
                "status" => s.statuses_count(),
                "sentry release" => s.sentry.releases.len(),
                "sentry deploy" => s.sentry_deploy_count(),
                "slack message" => s.slack.posts.len(),
                "webhook message" => s.slack.hook_posts.len(),
                "discord message" => s.discord.posts.len(),
                other => panic!("unknown record kind {other}"),
            };
            if got == n {
                Ok(())
            } else {
                Err(format!("{n} {what}(s) expected, the fake has {got}"))
            }
        })
    }
    /// `dora report --format json` printed the report of [`World::seed_dora`].
    fn report_is_right(mut self) -> Self {
        self.out_checks.push(Box::new(|out| {
            let v: serde_json::Value = serde_json::from_str(out)
                .map_err(|e| format!("stdout is not the JSON report: {e}"))?;
            let got = (
                v["source"].as_str(),
                v["deployment_frequency"]["deployments"].as_u64(),
                v["change_failure_rate"]["total"].as_u64(),
                v["change_failure_rate"]["failed"].as_u64(),
            );
            let want = (
                Some("github"),
                Some(support::DORA_DEPLOYMENTS),
                Some(support::DORA_TOTAL),
                Some(support::DORA_FAILED),
            );
            if got == want {
                Ok(())
            } else {
                Err(format!(
                    "report (source, deployments, total, failed) {got:?}, expected {want:?}"
                ))
            }
        }));
        self
    }
    /// Nothing on stdout (no partial report).
    fn no_report(mut self) -> Self {
        self.out_checks.push(Box::new(|out| {
            if out.trim().is_empty() {
                Ok(())
            } else {
                Err("a report was printed although the run failed".into())
            }
        }));
        self
    }
    /// Exactly `n` requests of `method` to `at`.
    fn requests(self, method: &'static str, at: At, n: usize) -> Self {
        self.check(move |s| {
            let got = s.count(method, at);
            if got == n {
                Ok(())
            } else {
                Err(format!("{n} {method} {at:?} expected, the fake saw {got}"))
            }
        })
    }
}

async fn run_case(c: Case) -> Result<(), String> {
    let w = World::new().await;
    c.cmd.prepare(&w, c.dest);
    w.rules(c.rules.clone());
    let mut cmd = w.cmd();
    for (k, v) in w.notify_env(c.dest) {
        cmd.env(k, v);
    }
    if let Some(var) = c.refused {
        let url = format!("http://127.0.0.1:{}", closed_port());
        let url = match var {
            "SLACK_API_URL" => format!("{url}/api"),
            "SLACK_WEBHOOK_URL" => format!("{url}/services/T000/B000/{}", support::HOOK_SECRET),
            "DISCORD_WEBHOOK_URL" => format!(
                "{url}/api/webhooks/{}/{}",
                support::DISCORD_ID,
                support::DISCORD_SECRET
            ),
            _ => url,
        };
        cmd.env(var, url);
    }
    cmd.args(c.cmd.args(&w)).args(&c.args);
    let started = Instant::now();
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let took = started.elapsed();
    let err = support::stderr(&out);
    let mut problems = vec![];
    if out.status.code() != Some(c.code) {
        problems.push(format!("exit {:?}, expected {}", out.status.code(), c.code));
    }
    for s in &c.stderr_has {
        if !err.contains(s.as_str()) {
            problems.push(format!("stderr lacks {s:?}"));
        }
    }
    for s in &c.stderr_lacks {
        if err.contains(s.as_str()) {
            problems.push(format!("stderr has {s:?}"));
        }
    }
    if err.contains("panicked") || err.contains("internal error") {
        problems.push("panic".into());
    }
    if took < c.min || took > c.max {
        problems.push(format!(
            "took {:.2} s, expected {:.1}..{:.1} s",
            took.as_secs_f64(),
            c.min.as_secs_f64(),
            c.max.as_secs_f64()
        ));
    }
    let out_text = support::stdout(&out);
    for check in &c.out_checks {
        if let Err(e) = check(&out_text) {
            problems.push(e);
        }
    }
    {
        let s = w.state();
        for check in &c.checks {
            if let Err(e) = check(&s) {
                problems.push(e);
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "[{}] {}\n--- stderr:\n{err}--- stdout:\n{}--- requests: {:?}",
            c.name,
            problems.join("; "),
            support::stdout(&out),
            w.state()
                .seen
                .iter()
                .map(|s| format!("{} {}", s.method, s.path))
                .collect::<Vec<_>>()
        ))
    }
}

/// Run the cases concurrently; fail with every failing case listed.
async fn run_all(cases: Vec<Case>) {
    let n = cases.len();
    let mut set = tokio::task::JoinSet::new();
    for c in cases {
        set.spawn(run_case(c));
    }
    let mut failures = vec![];
    while let Some(r) = set.join_next().await {
        if let Err(e) = r.unwrap() {
            failures.push(e);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {n} fault cases failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

fn gh_error(status: u16, message: &str) -> Act {
    Act::status(
        status,
        json!({"message": message, "documentation_url": "https://docs.github.com/rest"}),
    )
}

fn sentry_error(status: u16, detail: &str) -> Act {
    Act::status(status, json!({"detail": detail}))
}

fn slack_error(code: &str) -> Act {
    Act::status(200, json!({"ok": false, "error": code}))
}

// ------------------------------------------------------------ 5xx once

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn server_errors_once_are_retried_without_duplicates() {
    run_all(vec![
        // GitHub release: the create is not blindly repeated: looked up, then sent again.
        case(
            "release: GitHub 502 on create",
            Cmd::Release,
            Dest::None,
            vec![once(
                At::Route("github.create_release"),
                gh_error(502, "Bad Gateway"),
            )],
        )
        .records("github release", 1)
        .records("sentry release", 1),
        case(
            "release: GitHub create recorded but answered 500",
            Cmd::Release,
            Dest::None,
            vec![once(
                At::Route("github.create_release"),
                Act::RecordThenStatus(500),
            )],
        )
        .records("github release", 1)
        .requests("POST", At::Route("github.create_release"), 1),
        case(
            "release: Sentry 503 once",
            Cmd::Release,
            Dest::None,
            vec![once(
                At::Route("sentry.create_release"),
                sentry_error(503, "Service Unavailable"),
            )],
        )
        .records("sentry release", 1)
        .requests("POST", At::Route("sentry.create_release"), 2),
        case(
            "release: Sentry create recorded but answered 502",
            Cmd::Release,
            Dest::None,
            vec![once(
                At::Route("sentry.create_release"),
                Act::RecordThenStatus(502),
            )],
        )
        .records("sentry release", 1),
        case(
            "deploy start: GitHub 503 on create",
            Cmd::DeployStart,
            Dest::None,
            vec![once(
                At::Route("github.create_deployment"),
                gh_error(503, "Service Unavailable"),
            )],
        )
        .records("deployment", 1)
        .records("status", 1),
        case(
            "deploy start: deployment recorded but answered 502",
            Cmd::DeployStart,
            Dest::None,
            vec![once(
                At::Route("github.create_deployment"),
                Act::RecordThenStatus(502),
            )],
        )
        .records("deployment", 1)
        .records("status", 1)
        .requests("POST", At::Route("github.create_deployment"), 1),
        case(
            "deploy start: status 500 once",
            Cmd::DeployStart,
            Dest::None,
            vec![once(
                At::Route("github.create_deployment_status"),
                gh_error(500, "Server Error"),
            )],
        )
        .records("deployment", 1)
        .records("status", 1),
        case(
            "deploy start: Sentry 502 once",
            Cmd::DeployStart,
            Dest::None,
            vec![once(
                At::Route("sentry.create_release"),
                sentry_error(502, "Bad Gateway"),
            )],
        )
        .records("sentry release", 1)
        .never_says("warning"),
        case(
            "deploy finish: status 503 once",
            Cmd::DeployFinish,
            Dest::None,
            vec![once(
                At::Route("github.create_deployment_status"),
                gh_error(503, "Service Unavailable"),
            )],
        )
        .records("status", 1)
        .records("sentry deploy", 1),
        case(
            "deploy finish: Sentry deploy 503 once",
            Cmd::DeployFinish,
            Dest::None,
            vec![once(
                At::Route("sentry.create_deploy"),
                sentry_error(503, "Service Unavailable"),
            )],
        )
        .records("sentry deploy", 1)
        .never_says("warning"),
        case(
            "deploy finish: Sentry deploy recorded but answered 502",
            Cmd::DeployFinish,
            Dest::None,
            vec![once(
                At::Route("sentry.create_deploy"),
                Act::RecordThenStatus(502),
            )],
        )
        .records("sentry deploy", 1)
        .requests("POST", At::Route("sentry.create_deploy"), 1),
        // Slack/Discord posts cannot be looked up: a 5xx on a post is not
        // repeated (a duplicate message is never sent); a warning says it
        // may not have been posted, and the command still succeeds.
        case(
            "notify: Slack bot post recorded but answered 500",
            Cmd::Notify,
            Dest::SlackBot,
            vec![once(
                At::Route("slack.post_message"),
                Act::RecordThenStatus(500),
            )],
        )
        .records("slack message", 1)
        .requests("POST", At::Route("slack.post_message"), 1)
        .says("warning")
        .says("Slack")
        .says("may or may not"),
        case(
            "notify: webhook recorded but answered 502",
            Cmd::Notify,
            Dest::SlackHook,
            vec![once(At::Api(Api::SlackWebhook), Act::RecordThenStatus(502))],
        )
        .records("webhook message", 1)
        .requests("POST", At::Api(Api::SlackWebhook), 1)
        .says("Slack"),
        case(
            "notify: Discord recorded but answered 503",
            Cmd::Notify,
            Dest::Discord,
            vec![once(
                At::Route("discord.execute"),
                Act::RecordThenStatus(503),
            )],
        )
        .records("discord message", 1)
        .requests("POST", At::Route("discord.execute"), 1)
        .says("Discord"),
        // chat.update is safe to repeat: retried.
        case(
            "deploy finish: Slack update 502 once is retried",
            Cmd::DeployFinish,
            Dest::SlackBot,
            vec![once(At::Api(Api::Slack), Act::text(502, "upstream error"))],
        )
        .never_says("warning")
        .records("slack message", 0)
        .check(|s| match s.slack.updates.len() {
            1 => Ok(()),
            n => Err(format!("1 chat.update expected, the fake has {n}")),
        }),
    ])
    .await;
}

/// Retried faults are reported with `--verbose`; when the look-up after an
/// unanswered create fails too, the error says the record may exist and that
/// running again is safe.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn retries_and_uncertain_creates_are_reported() {
    run_all(vec![
        case(
            "release: Sentry 503 once, -v",
            Cmd::Release,
            Dest::None,
            vec![once(
                At::Route("sentry.create_release"),
                sentry_error(503, "Service Unavailable"),
            )],
        )
        .arg("-v")
        .says("HTTP 503 from the server; retrying in")
        .records("sentry release", 1),
        case(
            "release: GitHub create unanswered, look-up down",
            Cmd::Release,
            Dest::None,
            vec![
                once(
                    At::Route("github.create_release"),
                    Act::RecordThenStatus(502),
                ),
                always(At::Api(Api::GitHub), gh_error(503, "Service Unavailable")),
            ],
        )
        .exit(1)
        .says("may or may not have been recorded")
        .says("safe")
        .records("github release", 1),
        case(
            "deploy finish: Sentry deploy unanswered, look-up down",
            Cmd::DeployFinish,
            Dest::None,
            vec![
                once(
                    At::Route("sentry.create_deploy"),
                    Act::RecordThenStatus(502),
                ),
                // The first list (before the create) answers; the look-up does not.
                always(
                    At::Api(Api::Sentry),
                    sentry_error(503, "Service Unavailable"),
                )
                .after(1),
            ],
        )
        .says("warning")
        .says("may or may not have been recorded")
        .records("sentry deploy", 1),
        case(
            "deploy start: deployment unanswered, look-up down",
            Cmd::DeployStart,
            Dest::None,
            vec![
                once(
                    At::Route("github.create_deployment"),
                    Act::RecordThenStatus(502),
                ),
                always(At::Api(Api::GitHub), gh_error(503, "Service Unavailable")),
            ],
        )
        .exit(1)
        .says("may or may not have been recorded")
        .records("deployment", 1),
    ])
    .await;
}

// ------------------------------------------------ create-once, repeatedly

/// A rule for the next `n` matching requests.
fn times(at: At, n: usize, act: Act) -> Rule {
    once(at, act).times(n)
}

/// Issue 11: one create-once mechanism for every create — look up, then
/// create again with backoff while the budget lasts, never a duplicate.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn creates_that_fail_repeatedly_are_looked_up_and_retried() {
    run_all(vec![
        case(
            "deploy start: GitHub 502 twice on create",
            Cmd::DeployStart,
            Dest::None,
            vec![times(
                At::Route("github.create_deployment"),
                2,
                gh_error(502, "Bad Gateway"),
            )],
        )
        .records("deployment", 1)
        .records("status", 1)
        .requests("POST", At::Route("github.create_deployment"), 3),
        case(
            "deploy start: GitHub 502 three times on create",
            Cmd::DeployStart,
            Dest::None,
            vec![times(
                At::Route("github.create_deployment"),
                3,
                gh_error(502, "Bad Gateway"),
            )],
        )
        // Three backoffs (up to 0.5 s, 1 s, 2 s) need more than these cases' 2 s budget.
        .arg("--retry-budget")
        .arg("10")
        .records("deployment", 1)
        .requests("POST", At::Route("github.create_deployment"), 4),
        case(
            "deploy start: answer lost (not recorded), then 502",
            Cmd::DeployStart,
            Dest::None,
            vec![
                once(At::Route("github.create_deployment"), Act::Hang),
                once(
                    At::Route("github.create_deployment"),
                    gh_error(502, "Bad Gateway"),
                ),
            ],
        )
        .arg("--retry-budget")
        .arg("10")
        .records("deployment", 1)
        .requests("POST", At::Route("github.create_deployment"), 3),
        case(
            "deploy start: 502, the look-up fails once, then it is created",
            Cmd::DeployStart,
            Dest::None,
            vec![
                once(
                    At::Route("github.create_deployment"),
                    gh_error(502, "Bad Gateway"),
                ),
                // The next GitHub request (the first rule took the POST) is the look-up.
                once(At::Api(Api::GitHub), gh_error(500, "Server Error")),
            ],
        )
        .records("deployment", 1)
        .requests("POST", At::Route("github.create_deployment"), 2),
        case(
            "deploy start: 502 until the budget is spent",
            Cmd::DeployStart,
            Dest::None,
            vec![always(
                At::Route("github.create_deployment"),
                gh_error(502, "Bad Gateway"),
            )],
        )
        .exit(1)
        .says("it was not recorded")
        .says("Running obsctl again is safe")
        .records("deployment", 0),
        case(
            "release: GitHub release 502 twice",
            Cmd::Release,
            Dest::None,
            vec![times(
                At::Route("github.create_release"),
                2,
                gh_error(502, "Bad Gateway"),
            )],
        )
        .records("github release", 1)
        .requests("POST", At::Route("github.create_release"), 3),
        case(
            "deploy finish: Sentry deploy 502 twice",
            Cmd::DeployFinish,
            Dest::None,
            vec![times(
                At::Route("sentry.create_deploy"),
                2,
                sentry_error(502, "Bad Gateway"),
            )],
        )
        .records("sentry deploy", 1)
        .never_says("warning"),
    ])
    .await;
}

// ------------------------------------------------------------ 5xx always

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn server_errors_always_fail_within_the_budget() {
    run_all(vec![
        // Primary records: exit 1 naming the provider; the other still records.
        case(
            "release: GitHub always 503",
            Cmd::Release,
            Dest::None,
            vec![always(
                At::Api(Api::GitHub),
                gh_error(503, "Service Unavailable"),
            )],
        )
        .exit(1)
        .says("GitHub: NOT recorded")
        .says("Sentry: recorded")
        .records("sentry release", 1)
        .records("github release", 0),
        case(
            "release: Sentry always 500",
            Cmd::Release,
            Dest::None,
            vec![always(
                At::Api(Api::Sentry),
                sentry_error(500, "Internal Error"),
            )],
        )
        .exit(1)
        .says("Sentry: NOT recorded")
        .says("retry budget")
        .says("GitHub: recorded")
        .records("github release", 1),
        case(
            "deploy start: GitHub always 502",
            Cmd::DeployStart,
            Dest::None,
            vec![always(At::Api(Api::GitHub), gh_error(502, "Bad Gateway"))],
        )
        .exit(1)
        .says("GitHub")
        .says("not recorded")
        .records("deployment", 0),
        case(
            "deploy finish: GitHub always 503",
            Cmd::DeployFinish,
            Dest::None,
            vec![always(
                At::Api(Api::GitHub),
                gh_error(503, "Service Unavailable"),
            )],
        )
        .exit(1)
        .says("GitHub")
        .records("status", 0),
        // Sentry is optional for deploys: a warning, an error with --strict.
        case(
            "deploy start: Sentry always 500",
            Cmd::DeployStart,
            Dest::None,
            vec![always(
                At::Api(Api::Sentry),
                sentry_error(500, "Internal Error"),
            )],
        )
        .says("warning: ensuring the Sentry release failed: Sentry")
        .records("deployment", 1),
        case(
            "deploy finish: Sentry always 500",
            Cmd::DeployFinish,
            Dest::None,
            vec![always(
                At::Api(Api::Sentry),
                sentry_error(500, "Internal Error"),
            )],
        )
        .says("warning: recording the Sentry deploy failed: Sentry")
        .records("status", 1),
        case(
            "deploy finish: Sentry always 500 --strict",
            Cmd::DeployFinish,
            Dest::None,
            vec![always(
                At::Api(Api::Sentry),
                sentry_error(500, "Internal Error"),
            )],
        )
        .arg("--strict")
        .exit(1)
        .says("Sentry")
        .records("status", 1),
        // Notifications never break a deploy.
        case(
            "deploy start: Slack always 503",
            Cmd::DeployStart,
            Dest::SlackBot,
            vec![always(At::Api(Api::Slack), Act::text(503, ""))],
        )
        .says("warning")
        .says("Slack")
        .records("deployment", 1)
        .records("status", 1),
        case(
            "deploy start: Slack always 503 --strict",
            Cmd::DeployStart,
            Dest::SlackBot,
            vec![always(At::Api(Api::Slack), Act::text(503, ""))],
        )
        .arg("--strict")
        .exit(1)
        .says("Slack")
        .records("deployment", 1),
        case(
            "notify: Slack bot always 503",
            Cmd::Notify,
            Dest::SlackBot,
            vec![always(At::Api(Api::Slack), Act::text(503, ""))],
        )
        .says("warning")
        .says("Slack")
        .records("slack message", 0),
        case(
            "notify: webhook always 500",
            Cmd::Notify,
            Dest::SlackHook,
            vec![always(
                At::Api(Api::SlackWebhook),
                Act::text(500, "internal_error"),
            )],
        )
        .says("warning")
        .says("Slack")
        .records("webhook message", 0),
        case(
            "notify: Discord always 502 --strict",
            Cmd::Notify,
            Dest::Discord,
            vec![always(At::Api(Api::Discord), Act::text(502, "bad gateway"))],
        )
        .arg("--strict")
        .exit(1)
        .says("Discord"),
        case(
            "notify: Discord always 502",
            Cmd::Notify,
            Dest::Discord,
            vec![always(At::Api(Api::Discord), Act::text(502, "bad gateway"))],
        )
        .says("warning")
        .says("Discord"),
    ])
    .await;
}

// ------------------------------------------------------------ rate limits

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rate_limits_are_waited_out_within_the_budget() {
    let now = chrono::Utc::now().timestamp().to_string();
    let later = (chrono::Utc::now().timestamp() + 3600).to_string();
    let primary = |reset: &str| {
        Act::with_headers(
            403,
            &[
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-limit", "5000"),
                ("x-ratelimit-reset", reset),
            ],
            json!({"message": "API rate limit exceeded for installation ID 1.",
                   "documentation_url": "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"}),
        )
    };
    let secondary = |retry_after: Option<&str>| {
        let headers: Vec<(&str, &str)> = retry_after
            .map(|r| vec![("retry-after", r)])
            .unwrap_or_default();
        Act::with_headers(
            403,
            &headers,
            json!({"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                   "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}),
        )
    };
    let r429 = |after: &str| {
        Act::with_headers(
            429,
            &[("retry-after", after)],
            json!({"message": "Too Many Requests"}),
        )
    };
    run_all(vec![
        case("release: GitHub 429 Retry-After 1", Cmd::Release, Dest::None,
             vec![once(At::Route("github.create_release"), r429("1"))])
            .at_least(1.0).records("github release", 1).requests("POST", At::Route("github.create_release"), 2),
        case("release: Sentry 429 Retry-After 1", Cmd::Release, Dest::None,
             vec![once(At::Route("sentry.create_release"), r429("1"))])
            .at_least(1.0).records("sentry release", 1),
        case("release: Sentry 429 Retry-After 600 gives up at once", Cmd::Release, Dest::None,
             vec![always(At::Api(Api::Sentry), r429("600"))])
            .exit(1).within(5.0).says("Sentry").says("rate limited").says("OBSCTL_RETRY_BUDGET")
            .records("github release", 1),
        case("deploy start: GitHub primary rate limit, reset now", Cmd::DeployStart, Dest::None,
             vec![once(At::Route("github.create_deployment"), primary(&now))])
            .records("deployment", 1).requests("POST", At::Route("github.create_deployment"), 2),
        case("deploy start: GitHub primary rate limit, reset in an hour", Cmd::DeployStart,
             Dest::None, vec![always(At::Api(Api::GitHub), primary(&later))])
            .exit(1).within(5.0).says("GitHub").says("rate limit").says("retry budget")
            .records("deployment", 0),
        case("release: GitHub secondary rate limit with Retry-After", Cmd::Release, Dest::None,
             vec![once(At::Route("github.create_release"), secondary(Some("1")))])
            .at_least(1.0).records("github release", 1),
        case("deploy finish: GitHub secondary rate limit, no Retry-After", Cmd::DeployFinish,
             Dest::None, vec![always(At::Api(Api::GitHub), secondary(None))])
            .exit(1).within(5.0).says("GitHub").says("secondary rate limit").says("retry budget")
            .records("status", 0),
        case("notify: Slack bot 429 Retry-After 1", Cmd::Notify, Dest::SlackBot,
             vec![once(At::Route("slack.post_message"), r429("1"))])
            .at_least(1.0).records("slack message", 1).never_says("warning"),
        case("notify: Slack webhook 429 Retry-After 1", Cmd::Notify, Dest::SlackHook,
             vec![once(At::Api(Api::SlackWebhook), Act::with_headers(429, &[("retry-after", "1")], json!("rate_limited")))])
            .at_least(1.0).records("webhook message", 1).never_says("warning"),
        case("notify: Discord 429 retry_after in the body", Cmd::Notify, Dest::Discord,
             vec![once(At::Route("discord.execute"), Act::status(429, json!({"message": "You are being rate limited.", "retry_after": 0.5, "global": false})))])
            .records("discord message", 1).never_says("warning"),
        case("notify: Discord 429 beyond the budget", Cmd::Notify, Dest::Discord,
             vec![always(At::Route("discord.execute"), Act::with_headers(429, &[("retry-after", "60")], json!({"message": "You are being rate limited.", "retry_after": 60.0, "global": false})))])
            .within(5.0).says("warning").says("Discord").says("rate limited"),
    ])
    .await;
}

// ------------------------------------------------------------ lost answers

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hangs_and_lost_answers_never_duplicate() {
    run_all(vec![
        case(
            "release: GitHub create hangs (not recorded)",
            Cmd::Release,
            Dest::None,
            vec![once(At::Route("github.create_release"), Act::Hang)],
        )
        .at_least(1.0)
        .records("github release", 1),
        case(
            "release: GitHub create recorded, answer lost",
            Cmd::Release,
            Dest::None,
            vec![once(
                At::Route("github.create_release"),
                Act::RecordThenHang,
            )],
        )
        .records("github release", 1)
        .requests("POST", At::Route("github.create_release"), 1),
        case(
            "release: Sentry create recorded, answer lost",
            Cmd::Release,
            Dest::None,
            vec![once(
                At::Route("sentry.create_release"),
                Act::RecordThenHang,
            )],
        )
        .records("sentry release", 1),
        case(
            "deploy start: deployment recorded, answer lost",
            Cmd::DeployStart,
            Dest::None,
            vec![once(
                At::Route("github.create_deployment"),
                Act::RecordThenHang,
            )],
        )
        .records("deployment", 1)
        .records("status", 1)
        .requests("POST", At::Route("github.create_deployment"), 1),
        case(
            "deploy start: deployment hangs (not recorded)",
            Cmd::DeployStart,
            Dest::None,
            vec![once(At::Route("github.create_deployment"), Act::Hang)],
        )
        .records("deployment", 1)
        .records("status", 1),
        case(
            "deploy finish: Sentry deploy recorded, answer lost",
            Cmd::DeployFinish,
            Dest::None,
            vec![once(At::Route("sentry.create_deploy"), Act::RecordThenHang)],
        )
        .records("sentry deploy", 1)
        .requests("POST", At::Route("sentry.create_deploy"), 1)
        .never_says("warning"),
        case(
            "deploy finish: status hangs once",
            Cmd::DeployFinish,
            Dest::None,
            vec![once(
                At::Route("github.create_deployment_status"),
                Act::Hang,
            )],
        )
        .records("status", 1),
        case(
            "notify: Slack post recorded, answer lost",
            Cmd::Notify,
            Dest::SlackBot,
            vec![once(At::Route("slack.post_message"), Act::RecordThenHang)],
        )
        .records("slack message", 1)
        .requests("POST", At::Route("slack.post_message"), 1)
        .says("warning")
        .says("timed out")
        .says("may or may not"),
        case(
            "notify: webhook recorded, answer lost",
            Cmd::Notify,
            Dest::SlackHook,
            vec![once(At::Api(Api::SlackWebhook), Act::RecordThenHang)],
        )
        .records("webhook message", 1)
        .requests("POST", At::Api(Api::SlackWebhook), 1)
        .says("warning"),
        case(
            "notify: Discord recorded, answer lost",
            Cmd::Notify,
            Dest::Discord,
            vec![once(At::Route("discord.execute"), Act::RecordThenHang)],
        )
        .records("discord message", 1)
        .requests("POST", At::Route("discord.execute"), 1)
        .says("warning"),
        // Hanging for good: bounded by the timeout and the budget.
        case(
            "deploy start: GitHub hangs always",
            Cmd::DeployStart,
            Dest::None,
            vec![always(At::Api(Api::GitHub), Act::Hang)],
        )
        .exit(1)
        .says("GitHub")
        .says("timed out")
        .records("deployment", 0),
        case(
            "release: Sentry hangs always",
            Cmd::Release,
            Dest::None,
            vec![always(At::Api(Api::Sentry), Act::Hang)],
        )
        .exit(1)
        .says("Sentry: NOT recorded")
        .says("timed out")
        .records("github release", 1)
        .within(4.5),
        case(
            "notify: Slack hangs always",
            Cmd::Notify,
            Dest::SlackBot,
            vec![always(At::Api(Api::Slack), Act::Hang)],
        )
        .within(5.0)
        .says("warning")
        .says("Slack")
        .says("timed out"),
    ])
    .await;
}

// ------------------------------------------------------------ refused

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn connection_refused_is_retried_then_reported() {
    run_all(vec![
        case("release: GitHub refused", Cmd::Release, Dest::None, vec![])
            .refused("GITHUB_API_URL")
            .exit(1)
            .says("GitHub: NOT recorded")
            .says("could not connect to http://127.0.0.1:")
            .says("Connection refused")
            .records("sentry release", 1),
        case("release: Sentry refused", Cmd::Release, Dest::None, vec![])
            .refused("SENTRY_URL")
            .exit(1)
            .says("Sentry: NOT recorded")
            .says("Connection refused")
            .records("github release", 1),
        case(
            "deploy start: GitHub refused",
            Cmd::DeployStart,
            Dest::None,
            vec![],
        )
        .refused("GITHUB_API_URL")
        .exit(1)
        .says("GitHub")
        .says("Connection refused"),
        case(
            "deploy start: Sentry refused",
            Cmd::DeployStart,
            Dest::None,
            vec![],
        )
        .refused("SENTRY_URL")
        .says("warning")
        .says("Sentry")
        .records("deployment", 1),
        case(
            "deploy finish: GitHub refused",
            Cmd::DeployFinish,
            Dest::None,
            vec![],
        )
        .refused("GITHUB_API_URL")
        .exit(1)
        .says("GitHub")
        .says("Connection refused"),
        case(
            "notify: Slack API refused",
            Cmd::Notify,
            Dest::SlackBot,
            vec![],
        )
        .refused("SLACK_API_URL")
        .says("warning")
        .says("Slack")
        .says("Connection refused"),
        case(
            "notify: Slack webhook refused --strict",
            Cmd::Notify,
            Dest::SlackHook,
            vec![],
        )
        .refused("SLACK_WEBHOOK_URL")
        .arg("--strict")
        .exit(1)
        .says("Slack")
        .says("Connection refused"),
        case(
            "notify: Discord refused",
            Cmd::Notify,
            Dest::Discord,
            vec![],
        )
        .refused("DISCORD_WEBHOOK_URL")
        .says("warning")
        .says("Discord")
        .says("Connection refused"),
        case(
            "deploy start: Discord refused, deploy recorded",
            Cmd::DeployStart,
            Dest::Discord,
            vec![],
        )
        .refused("DISCORD_WEBHOOK_URL")
        .says("warning")
        .says("Discord")
        .records("deployment", 1),
    ])
    .await;
}

// ------------------------------------------------------------ bad answers

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn permanent_errors_name_the_provider_and_the_fix() {
    run_all(vec![
        // Malformed JSON.
        case("release: GitHub answers HTML", Cmd::Release, Dest::None,
             vec![always(At::Route("github.create_release"), Act::text(201, "<html>proxy</html>"))])
            .exit(1).says("GitHub").says("not the JSON expected").records("sentry release", 1),
        case("release: Sentry answers garbage", Cmd::Release, Dest::None,
             vec![always(At::Route("sentry.create_release"), Act::text(201, "{\"version\": "))])
            .exit(1).says("Sentry").says("not the JSON expected"),
        case("deploy start: deployment answer is not JSON", Cmd::DeployStart, Dest::None,
             vec![always(At::Route("github.create_deployment"), Act::text(201, "ok"))])
            .exit(1).says("GitHub").says("not the JSON expected"),
        case("notify: Slack answers HTML", Cmd::Notify, Dest::SlackBot,
             vec![always(At::Api(Api::Slack), Act::text(200, "<html>login</html>"))])
            .says("warning").says("SLACK_API_URL"),
        case("notify: Discord answers garbage", Cmd::Notify, Dest::Discord,
             vec![always(At::Api(Api::Discord), Act::text(200, "[[["))])
            .says("warning").says("Discord"),
        // 401.
        case("release: GitHub 401", Cmd::Release, Dest::None,
             vec![always(At::Api(Api::GitHub), gh_error(401, "Bad credentials"))])
            .exit(1).says("GITHUB_TOKEN is invalid").records("sentry release", 1),
        case("release: Sentry 401", Cmd::Release, Dest::None,
             vec![always(At::Api(Api::Sentry), sentry_error(401, "Invalid token"))])
            .exit(1).says("SENTRY_AUTH_TOKEN is invalid").records("github release", 1),
        case("deploy start: GitHub 401", Cmd::DeployStart, Dest::None,
             vec![always(At::Api(Api::GitHub), gh_error(401, "Bad credentials"))])
            .exit(1).says("GITHUB_TOKEN is invalid"),
        case("notify: Discord 401", Cmd::Notify, Dest::Discord,
             vec![always(At::Api(Api::Discord), Act::status(401, json!({"message": "Invalid Webhook Token", "code": 50027})))])
            .says("warning").says("DISCORD_WEBHOOK_URL"),
        case("notify: Slack invalid_auth", Cmd::Notify, Dest::SlackBot,
             vec![always(At::Api(Api::Slack), slack_error("invalid_auth"))])
            .says("warning").says("SLACK_BOT_TOKEN is invalid"),
        // 403.
        case("release: GitHub 403", Cmd::Release, Dest::None,
             vec![always(At::Route("github.create_release"), gh_error(403, "Resource not accessible by integration"))])
            .exit(1).says("contents: write").within(5.0),
        case("release: Sentry 403", Cmd::Release, Dest::None,
             vec![always(At::Api(Api::Sentry), sentry_error(403, "You do not have permission to perform this action."))])
            .exit(1).says("project:releases"),
        case("deploy start: GitHub 403 on create", Cmd::DeployStart, Dest::None,
             vec![always(At::Route("github.create_deployment"), gh_error(403, "Resource not accessible by integration"))])
            .exit(1).says("deployments: write").records("deployment", 0),
        case("deploy finish: Sentry 403 is a warning", Cmd::DeployFinish, Dest::None,
             vec![always(At::Route("sentry.create_deploy"), sentry_error(403, "You do not have permission to perform this action."))])
            .says("warning").says("project:releases").records("status", 1),
        case("notify: webhook 403 action_prohibited", Cmd::Notify, Dest::SlackHook,
             vec![always(At::Api(Api::SlackWebhook), Act::text(403, "action_prohibited"))])
            .says("warning").says("does not allow"),
        // 404.
        case("release: GitHub 404", Cmd::Release, Dest::None,
             vec![always(At::Api(Api::GitHub), gh_error(404, "Not Found"))])
            .exit(1).says("GITHUB_REPOSITORY"),
        case("release: Sentry 404", Cmd::Release, Dest::None,
             vec![always(At::Api(Api::Sentry), sentry_error(404, "The requested resource does not exist"))])
            .exit(1).says("SENTRY_ORG"),
        case("deploy finish: deployment id unknown", Cmd::DeployFinish, Dest::None, vec![])
            .arg("--deployment-id").arg("424242").exit(1).says("--deployment-id"),
        case("notify: webhook 404 no_service", Cmd::Notify, Dest::SlackHook,
             vec![always(At::Api(Api::SlackWebhook), Act::text(404, "no_service"))])
            .says("warning").says("revoked").says("SLACK_WEBHOOK_URL"),
        case("notify: Discord 404 unknown webhook", Cmd::Notify, Dest::Discord,
             vec![always(At::Api(Api::Discord), Act::status(404, json!({"message": "Unknown Webhook", "code": 10015})))])
            .arg("--strict").exit(1).says("deleted").says("DISCORD_WEBHOOK_URL"),
        // 422.
        case("release: GitHub 422 bad tag", Cmd::Release, Dest::None,
             vec![always(At::Route("github.create_release"), Act::status(422, json!({"message": "Validation Failed", "errors": [{"resource": "Release", "code": "invalid", "field": "tag_name"}]})))])
            .exit(1).says("tag name").requests("POST", At::Route("github.create_release"), 1),
        case("deploy start: GitHub 422", Cmd::DeployStart, Dest::None,
             vec![always(At::Route("github.create_deployment"), Act::status(422, json!({"message": "No ref found for: abc"})))])
            .exit(1).says("GitHub rejected the deployment").requests("POST", At::Route("github.create_deployment"), 1),
        // Slack ok:false.
        case("notify: Slack channel_not_found", Cmd::Notify, Dest::SlackBot,
             vec![always(At::Api(Api::Slack), slack_error("channel_not_found"))])
            .says("warning").says("invite the bot"),
        case("notify: Slack not_in_channel --strict", Cmd::Notify, Dest::SlackBot,
             vec![always(At::Api(Api::Slack), slack_error("not_in_channel"))])
            .arg("--strict").exit(1).says("invite the bot"),
        case("deploy start: Slack ok:false, deploy recorded", Cmd::DeployStart, Dest::SlackBot,
             vec![always(At::Api(Api::Slack), slack_error("is_archived"))])
            .says("warning").says("archived").records("deployment", 1),
    ])
    .await;
}

/// A webhook whose connection drops after the request was read: not
/// repeated (the post may have landed), a warning, exit 0.
#[tokio::test]
async fn dropped_connection_on_a_webhook_post_is_not_repeated() {
    use std::io::Read;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = accepted.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { break };
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            drop(s); // no answer at all
        }
    });
    let w = World::new().await;
    let out = w
        .cmd()
        .env(
            "SLACK_WEBHOOK_URL",
            format!(
                "http://127.0.0.1:{port}/services/T000/B000/{}",
                support::HOOK_SECRET
            ),
        )
        .args(Cmd::Notify.args(&w))
        .output()
        .unwrap();
    let err = support::stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("warning") && err.contains("Slack"), "{err}");
    assert!(err.contains("may or may not"), "{err}");
    assert!(!err.contains(support::HOOK_SECRET), "{err}");
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1);
}

/// The retry budget bounds the total time also when every attempt hangs
/// until the timeout (the attempts' own time counts against the budget, not
/// only the waits between them).
#[tokio::test]
async fn hanging_attempts_use_up_the_retry_budget() {
    use obsctl::http::{Http, HttpError, Policy, Provider, Request};
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(wiremock::ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let policy = Policy {
        request_timeout: Duration::from_millis(300),
        retry_budget: Duration::from_secs(1),
        base_delay: Duration::from_millis(50),
        max_delay: Duration::from_millis(400),
        max_attempts: 50,
        ..Policy::default()
    };
    let ui = std::sync::Arc::new(obsctl::ui::Ui::silent());
    let http = Http::new(policy, ui, false).unwrap();
    let url = reqwest::Url::parse(&format!("{}/slow", server.uri())).unwrap();
    let started = Instant::now();
    let err = http
        .send(Request::get(Provider::GitHub, "list deployments", url))
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert!(matches!(err, HttpError::GaveUp { .. }), "{err}");
    assert!(err.to_string().contains("retry budget"), "{err}");
    // About 1 s of budget plus at most one more timeout; counting only the
    // waits would allow many more 300 ms attempts (about 3 s).
    assert!(took < Duration::from_millis(1800), "took {took:?}");
    let attempts = server.received_requests().await.unwrap().len();
    assert!((2..=4).contains(&attempts), "{attempts} attempts");
}

// ------------------------------------------------------------ dora report

/// `dora report --source github` reads through GraphQL. Its POSTs are
/// idempotent queries, so every transient fault is retried (the report is
/// then the same as without the fault); permanent ones, and a fault on
/// either query (deployments or incidents), fail the run with exit 1, an
/// error naming GitHub and the fix, and no partial report.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dora_report_under_faults() {
    let dora = |name: &str, rules: Vec<Rule>| {
        case(
            &format!("dora report: {name}"),
            Cmd::Dora,
            Dest::None,
            rules,
        )
        .arg("--format")
        .arg("json")
    };
    let later = (chrono::Utc::now().timestamp() + 3600).to_string();
    let soon = chrono::Utc::now().timestamp().to_string();
    let now = chrono::Utc::now().timestamp().to_string();
    let rate_limited_403 = |reset: &str| {
        Act::with_headers(
            403,
            &[
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-limit", "5000"),
                ("x-ratelimit-reset", reset),
            ],
            json!({"message": "API rate limit exceeded for installation ID 1.",
                   "documentation_url": "https://docs.github.com/graphql/overview/rate-limits-and-node-limits-for-the-graphql-api"}),
        )
    };
    let secondary = Act::with_headers(
        403,
        &[("retry-after", "1")],
        json!({"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
               "documentation_url": "https://docs.github.com/graphql/overview/rate-limits-and-node-limits-for-the-graphql-api#secondary-rate-limits"}),
    );
    let graphql_errors = |errors: serde_json::Value| {
        Act::status(200, json!({"data": {"repository": null}, "errors": errors}))
    };
    run_all(vec![
        dora("no fault", vec![])
            .report_is_right()
            .requests("POST", At::Graphql("ObsctlDoraDeployments"), 1)
            .requests("POST", At::Graphql("ObsctlDoraIncidents"), 1)
            .never_says("warning"),
        // 5xx once: retried, the report is right.
        dora("deployments 500 once", vec![once(At::Graphql("ObsctlDoraDeployments"), gh_error(500, "Server Error"))])
            .report_is_right()
            .requests("POST", At::Graphql("ObsctlDoraDeployments"), 2),
        dora("deployments 502 once", vec![once(At::Graphql("ObsctlDoraDeployments"), Act::text(502, "<html>Bad Gateway</html>"))])
            .report_is_right()
            .requests("POST", At::Graphql("ObsctlDoraDeployments"), 2),
        dora("incidents 503 once", vec![once(At::Graphql("ObsctlDoraIncidents"), gh_error(503, "Service Unavailable"))])
            .report_is_right()
            .requests("POST", At::Graphql("ObsctlDoraIncidents"), 2),
        dora("500 once, -v says it retried", vec![once(At::Graphql("ObsctlDoraDeployments"), gh_error(500, "Server Error"))])
            .arg("-v")
            .says("HTTP 500 from the server; retrying in")
            .report_is_right(),
        // 5xx always: bounded by the budget, exit 1 naming GitHub.
        dora("always 502", vec![always(At::Route("github.graphql"), gh_error(502, "Bad Gateway"))])
            .exit(1)
            .says("GitHub")
            .says("list deployments (GraphQL)")
            .says("retry budget")
            .no_report(),
        dora("always 503", vec![always(At::Route("github.graphql"), gh_error(503, "Service Unavailable"))])
            .exit(1)
            .says("GitHub")
            .says("OBSCTL_RETRY_BUDGET")
            .no_report(),
        // A fault on the incidents query alone fails the run: a report
        // without its incidents would understate the change failure rate.
        dora("incidents always 500, deployments fine", vec![always(At::Graphql("ObsctlDoraIncidents"), gh_error(500, "Server Error"))])
            .exit(1)
            .says("GitHub: list incident issues (GraphQL) failed")
            .says("--incidents")
            .no_report(),
        dora("incidents 401, deployments fine", vec![always(At::Graphql("ObsctlDoraIncidents"), gh_error(401, "Bad credentials"))])
            .exit(1)
            .says("list incident issues")
            .says("GITHUB_TOKEN is invalid")
            .no_report(),
        // Rate limits.
        dora("429 Retry-After 1", vec![once(At::Graphql("ObsctlDoraDeployments"), Act::with_headers(429, &[("retry-after", "1")], json!({"message": "Too Many Requests"})))])
            .at_least(1.0)
            .report_is_right(),
        dora("403 primary rate limit, reset now", vec![once(At::Graphql("ObsctlDoraDeployments"), rate_limited_403(&now))])
            .report_is_right()
            .requests("POST", At::Graphql("ObsctlDoraDeployments"), 2),
        dora("403 primary rate limit, reset in an hour", vec![always(At::Route("github.graphql"), rate_limited_403(&later))])
            .exit(1)
            .within(5.0)
            .says("GitHub")
            .says("rate limit")
            .says("retry budget")
            .no_report(),
        dora("secondary rate limit, Retry-After 1", vec![once(At::Graphql("ObsctlDoraIncidents"), secondary)])
            .at_least(1.0)
            .report_is_right(),
        dora("secondary rate limit always, no Retry-After", vec![always(At::Route("github.graphql"), Act::status(403, json!({"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."})))])
            .exit(1)
            .within(5.0)
            .says("secondary rate limit")
            .says("retry budget")
            .no_report(),
        // GraphQL's own rate limit: HTTP 200 with an `errors` entry.
        // GitHub's GraphQL quota (HTTP 200, RATE_LIMITED) resetting now: retried.
        dora("GraphQL RATE_LIMITED, reset now", vec![once(At::Route("github.graphql"), Act::with_headers(200, &[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", &soon)],
            json!({"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded for user ID 1."}]})))])
            .report_is_right(),
        dora("GraphQL RATE_LIMITED", vec![always(At::Route("github.graphql"), Act::with_headers(200, &[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", &later)],
            json!({"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded for user ID 1."}]})))])
            .exit(1)
            .within(5.0)
            .says("GitHub")
            .says("rate limit")
            .never_says("HTTP 200")
            .no_report(),
        // Hangs past OBSCTL_TIMEOUT.
        dora("deployments hang once", vec![once(At::Graphql("ObsctlDoraDeployments"), Act::Hang)])
            .at_least(1.0)
            .report_is_right(),
        dora("everything hangs", vec![always(At::Route("github.graphql"), Act::Hang)])
            .exit(1)
            .says("GitHub")
            .says("timed out")
            .no_report(),
        // Connection refused.
        dora("connection refused", vec![])
            .refused("GITHUB_API_URL")
            .exit(1)
            .says("GitHub")
            .says("could not connect")
            .no_report(),
        // Malformed answers.
        dora("HTML instead of JSON", vec![always(At::Graphql("ObsctlDoraDeployments"), Act::text(200, "<html>proxy login</html>"))])
            .exit(1)
            .says("GitHub")
            .says("not the JSON expected")
            .no_report(),
        dora("truncated JSON", vec![always(At::Graphql("ObsctlDoraIncidents"), Act::text(200, "{\"data\": {\"repository\": "))])
            .exit(1)
            .says("not the JSON expected")
            .no_report(),
        dora("an answer without data", vec![always(At::Graphql("ObsctlDoraDeployments"), Act::status(200, json!({"data": {}})))])
            .exit(1)
            .says("not the JSON expected")
            .says("GITHUB_REPOSITORY")
            .no_report(),
        // HTTP 200 with GraphQL errors.
        dora("GraphQL NOT_FOUND", vec![always(At::Route("github.graphql"), graphql_errors(json!([{"type": "NOT_FOUND", "path": ["repository"],
            "message": "Could not resolve to a Repository with the name 'acme/web'."}])))])
            .exit(1)
            .says("Could not resolve to a Repository")
            .says("GITHUB_REPOSITORY")
            .never_says("HTTP 200")
            .no_report(),
        dora("GraphQL FORBIDDEN", vec![always(At::Graphql("ObsctlDoraIncidents"), graphql_errors(json!([{"type": "FORBIDDEN", "path": ["repository", "issues"],
            "message": "Resource not accessible by integration"}])))])
            .exit(1)
            .says("Resource not accessible")
            .says("Issues: read")
            .no_report(),
        // 401, 403, 404.
        dora("401", vec![always(At::Route("github.graphql"), gh_error(401, "Bad credentials"))])
            .exit(1)
            .says("GitHub")
            .says("GITHUB_TOKEN is invalid")
            .requests("POST", At::Graphql("ObsctlDoraDeployments"), 1)
            .no_report(),
        dora("403 without rate limit", vec![always(At::Route("github.graphql"), gh_error(403, "Resource not accessible by integration"))])
            .exit(1)
            .says("GITHUB_TOKEN lacks permission")
            .no_report(),
        dora("404 (GHES without GraphQL at this URL)", vec![always(At::Route("github.graphql"), gh_error(404, "Not Found"))])
            .exit(1)
            .says("GitHub")
            .says("GITHUB_GRAPHQL_URL")
            .no_report(),
    ])
    .await;
}
