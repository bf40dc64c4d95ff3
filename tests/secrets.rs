//! Secret-leak test: every command, with `--verbose` (text and JSON) and
//! with `--dry-run`, succeeding and failing (401s, 500s, connection
//! refused), in a simulated GitHub Actions run (`GITHUB_ACTIONS=true`,
//! `$GITHUB_OUTPUT` and `$GITHUB_STEP_SUMMARY` in temp files), with fakes
//! that echo the `Authorization` header and the request URL back in their
//! error bodies. No token, webhook secret or DSN key (nor the first
//! characters of one, as a truncated error would show) may appear in
//! stdout, stderr, the outputs file or the step summary, except on the
//! `::add-mask::` lines that register them with the runner.
mod common;
mod support;

use std::sync::Arc;

use support::{Act, Api, At, Cmd, Dest, World, always, closed_port};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scenario {
    Ok,
    /// Every server answers 401 (Slack: `ok: false`) reflecting the secrets.
    Echo401,
    /// Every server answers 500 reflecting the secrets.
    Echo500,
    /// GitHub and Sentry answer 401 reflecting the secrets; Slack and
    /// Discord work (the start message then says why the deploy failed).
    EchoPrimary,
    /// Every server answers a long text with the secret across the places
    /// where error texts are cut.
    EchoLong,
    /// Every URL points at a closed port (the URL still carries the secret).
    Refused,
}

const SCENARIOS: [Scenario; 6] = [
    Scenario::EchoLong,
    Scenario::Ok,
    Scenario::Echo401,
    Scenario::Echo500,
    Scenario::EchoPrimary,
    Scenario::Refused,
];

const FLAGS: [&[&str]; 3] = [
    &["--verbose"],
    &["--verbose", "--format", "json"],
    &["--dry-run", "--verbose"],
];

/// The Slack bot and Discord, or the Slack incoming webhook (a bot token
/// turns Slack webhooks off, so they need a run of their own).
const DESTS: [Dest; 2] = [Dest::All, Dest::SlackHook];

fn secrets() -> Vec<(&'static str, &'static str)> {
    vec![
        ("GITHUB_TOKEN", support::GH_TOKEN),
        ("SENTRY_AUTH_TOKEN", support::SENTRY_TOKEN),
        ("SLACK_BOT_TOKEN", support::SLACK_TOKEN),
        ("SLACK_WEBHOOK_URL secret", support::HOOK_SECRET),
        ("DISCORD_WEBHOOK_URL token", support::DISCORD_SECRET),
        ("SENTRY_DSN key", support::DSN_KEY),
    ]
}

/// Lines (outside `::add-mask::`) that show a secret or its first 10 characters.
fn leaks(where_: &str, text: &str) -> Vec<String> {
    let mut out = vec![];
    for line in text.lines() {
        if line.starts_with("::add-mask::") {
            continue;
        }
        for (name, secret) in secrets() {
            if line.contains(secret) || line.contains(&secret[..10]) {
                out.push(format!("{where_} shows {name}: {line}"));
            }
        }
    }
    out
}

async fn run(
    cmd_kind: Cmd,
    flags: &'static [&'static str],
    scenario: Scenario,
    dest: Dest,
) -> Vec<String> {
    let w = World::new().await;
    cmd_kind.prepare(&w, dest);
    let dry = flags.contains(&"--dry-run");
    match scenario {
        Scenario::Ok | Scenario::Refused => {}
        Scenario::EchoLong => w.rules(vec![
            always(At::Api(Api::GitHub), Act::EchoLong(401)),
            always(At::Api(Api::Sentry), Act::EchoLong(401)),
            always(At::Api(Api::Slack), Act::EchoLong(200)),
            always(At::Api(Api::SlackWebhook), Act::EchoLong(401)),
            always(At::Api(Api::Discord), Act::EchoLong(401)),
        ]),
        Scenario::EchoPrimary => w.rules(vec![
            always(At::Api(Api::GitHub), Act::Echo(401)),
            always(At::Api(Api::Sentry), Act::Echo(401)),
        ]),
        Scenario::Echo401 | Scenario::Echo500 => {
            let code = if scenario == Scenario::Echo401 {
                401
            } else {
                500
            };
            w.rules(vec![
                always(At::Api(Api::GitHub), Act::Echo(code)),
                always(At::Api(Api::Sentry), Act::Echo(code)),
                // Slack's Web API says no with HTTP 200 and `ok: false`.
                always(
                    At::Api(Api::Slack),
                    Act::Echo(if code == 401 { 200 } else { 500 }),
                ),
                always(At::Api(Api::SlackWebhook), Act::Echo(code)),
                always(At::Api(Api::Discord), Act::Echo(code)),
            ]);
        }
    }
    let mut cmd = w.cmd();
    for (k, v) in w.actions_env().into_iter().chain(w.notify_env(dest)) {
        cmd.env(k, v);
    }
    if scenario == Scenario::Refused {
        let base = format!("http://127.0.0.1:{}", closed_port());
        cmd.env("GITHUB_API_URL", &base)
            .env("SENTRY_URL", &base)
            .env("SLACK_API_URL", format!("{base}/api"))
            .env(
                "SLACK_WEBHOOK_URL",
                format!("{base}/services/T000/B000/{}", support::HOOK_SECRET),
            )
            .env(
                "DISCORD_WEBHOOK_URL",
                format!(
                    "{base}/api/webhooks/{}/{}",
                    support::DISCORD_ID,
                    support::DISCORD_SECRET
                ),
            );
    }
    cmd.args(flags).args(cmd_kind.args(&w));
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let label = format!(
        "[{cmd_kind:?} {flags:?} {scenario:?} {dest:?} exit {:?}]",
        out.status.code()
    );
    let stdout = support::stdout(&out);
    let stderr = support::stderr(&out);
    let mut problems = vec![];
    problems.extend(leaks("stdout", &stdout));
    problems.extend(leaks("stderr", &stderr));
    problems.extend(leaks("$GITHUB_OUTPUT", &support::read(&w.output_file())));
    problems.extend(leaks("step summary", &support::read(&w.summary_file())));
    // Nor is a secret ever sent in a body (a Slack message saying why the
    // GitHub deployment failed, a deployment payload, release notes).
    for seen in w.state().seen.iter() {
        let body = seen.body.to_string();
        for (name, secret) in secrets() {
            if body.contains(secret) || body.contains(&secret[..10]) {
                problems.push(format!(
                    "{name} sent in the body of {} {}",
                    seen.method, seen.path
                ));
            }
        }
    }
    // The test must be able to fail: the secrets were registered with the
    // runner, the servers were really asked (and echoed), and the command
    // did what the scenario says.
    for (name, secret) in secrets() {
        let configured = match dest {
            Dest::SlackHook => !(name == "SLACK_BOT_TOKEN" || name.starts_with("DISCORD")),
            _ => !name.starts_with("SLACK_WEBHOOK"),
        };
        let masked = stderr
            .lines()
            .any(|l| l.starts_with("::add-mask::") && l.contains(secret));
        if configured && !masked {
            problems.push(format!("{name} was not masked with ::add-mask::"));
        }
    }
    if !dry && scenario == Scenario::Ok && cmd_kind != Cmd::Notify {
        if support::read(&w.output_file()).is_empty() {
            problems.push("nothing was written to $GITHUB_OUTPUT".into());
        }
        if support::read(&w.summary_file()).is_empty() {
            problems.push("nothing was written to the step summary".into());
        }
    }
    let seen = w.state().seen.len();
    match (dry, scenario) {
        (true, _) if seen > 0 => problems.push(format!("--dry-run sent {seen} requests")),
        (false, Scenario::Refused) => {}
        (false, _) if seen == 0 => problems.push("no request reached the fake".into()),
        _ => {}
    }
    let expect_failure = !dry && scenario != Scenario::Ok && cmd_kind != Cmd::Notify;
    if expect_failure && out.status.success() {
        problems.push("the command succeeded although its primary record failed".into());
    }
    if !expect_failure && !out.status.success() {
        problems.push("the command failed".into());
    }
    if stderr.contains("panicked") || stderr.contains("internal error") {
        problems.push("panic".into());
    }
    if problems.is_empty() {
        vec![]
    } else {
        vec![format!(
            "{label}\n  {}\n--- stdout:\n{stdout}--- stderr:\n{stderr}",
            problems.join("\n  ")
        )]
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_secret_is_ever_printed() {
    let limit = Arc::new(tokio::sync::Semaphore::new(8));
    let mut set = tokio::task::JoinSet::new();
    let mut n = 0;
    for cmd in Cmd::ALL {
        for flags in FLAGS {
            for scenario in SCENARIOS {
                for dest in DESTS {
                    n += 1;
                    let limit = limit.clone();
                    set.spawn(async move {
                        let _permit = limit.acquire_owned().await.unwrap();
                        run(cmd, flags, scenario, dest).await
                    });
                }
            }
        }
    }
    let mut failures = vec![];
    while let Some(r) = set.join_next().await {
        failures.extend(r.unwrap());
    }
    assert!(
        failures.is_empty(),
        "{} of {n} runs leaked or misbehaved:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

// ------------------------------------------------------------ dora report

/// Flags of the `dora report` runs: text, JSON, Markdown (which also goes
/// to the step summary), HTML and CSV into a file, and `--dry-run`.
const DORA_FLAGS: [&[&str]; 6] = [
    &["--verbose"],
    &["--verbose", "--format", "json"],
    &["--verbose", "--format", "markdown"],
    &["--verbose", "--format", "html", "--output"],
    &["--verbose", "--format", "csv", "--output"],
    &["--dry-run", "--verbose", "--format", "markdown"],
];

/// `dora report --source github` in a simulated Actions run. In the `Ok`
/// scenario GitHub's data itself carries the token (a deployment's node id,
/// an issue title), as a careless or hostile server might answer.
async fn run_dora(flags: &'static [&'static str], scenario: Scenario) -> Vec<String> {
    let w = World::new().await;
    Cmd::Dora.prepare(&w, Dest::None);
    {
        let mut s = w.state();
        let at = (chrono::Utc::now() - chrono::Duration::days(2))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        s.github.gql_deployments.insert(
            0,
            serde_json::json!({
                "id": format!("DE_{}", support::GH_TOKEN), "databaseId": null,
                "createdAt": at, "commitOid": w.head,
                "statuses": {"totalCount": 1, "nodes": [{"state": "SUCCESS", "createdAt": at}]},
            }),
        );
        s.github.gql_issues[0]["title"] =
            serde_json::json!(format!("token {} leaked", support::GH_TOKEN));
    }
    let dry = flags.contains(&"--dry-run");
    match scenario {
        Scenario::Ok | Scenario::Refused => {}
        Scenario::EchoLong => w.rules(vec![always(At::Api(Api::GitHub), Act::EchoLong(401))]),
        Scenario::Echo401 | Scenario::EchoPrimary => {
            w.rules(vec![always(At::Api(Api::GitHub), Act::Echo(401))])
        }
        Scenario::Echo500 => w.rules(vec![always(At::Api(Api::GitHub), Act::Echo(500))]),
    }
    let mut cmd = w.cmd();
    for (k, v) in w.actions_env() {
        cmd.env(k, v);
    }
    if scenario == Scenario::Refused {
        cmd.env(
            "GITHUB_API_URL",
            format!("http://127.0.0.1:{}", closed_port()),
        );
    }
    let report_file = w.dir.path().join("report.out");
    cmd.args(Cmd::Dora.args(&w)).args(flags);
    if flags.last() == Some(&"--output") {
        cmd.arg(&report_file);
    }
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let label = format!(
        "[dora report {flags:?} {scenario:?} exit {:?}]",
        out.status.code()
    );
    let stdout = support::stdout(&out);
    let stderr = support::stderr(&out);
    let summary = support::read(&w.summary_file());
    let report = support::read(&report_file);
    let mut problems = vec![];
    problems.extend(leaks("stdout", &stdout));
    problems.extend(leaks("stderr", &stderr));
    problems.extend(leaks("$GITHUB_OUTPUT", &support::read(&w.output_file())));
    problems.extend(leaks("step summary", &summary));
    problems.extend(leaks("--output file", &report));
    if !stderr
        .lines()
        .any(|l| l.starts_with("::add-mask::") && l.contains(support::GH_TOKEN))
    {
        problems.push("GITHUB_TOKEN was not masked with ::add-mask::".into());
    }
    let seen = w.state().seen.len();
    let ok_expected = dry || scenario == Scenario::Ok;
    match (dry, scenario) {
        (true, _) if seen > 0 => problems.push(format!("--dry-run sent {seen} requests")),
        (false, Scenario::Refused) => {}
        (false, _) if seen == 0 => problems.push("no request reached the fake".into()),
        _ => {}
    }
    if ok_expected != out.status.success() {
        problems.push(format!("success expected: {ok_expected}"));
    }
    // The test can fail: the token really was in what the report shows.
    if scenario == Scenario::Ok && !dry {
        let shown = if flags.last() == Some(&"--output") {
            &report
        } else {
            &stdout
        };
        let lists_rows = flags.contains(&"json") || flags.contains(&"csv");
        if lists_rows && !shown.contains("DE_") {
            problems.push("the deployment carrying the token is not in the report".into());
        }
        if flags.contains(&"markdown") && summary.is_empty() {
            problems.push("nothing was written to the step summary".into());
        }
        if flags.last() == Some(&"--output") && report.is_empty() {
            problems.push("nothing was written to the --output file".into());
        }
    }
    if stderr.contains("panicked") || stderr.contains("internal error") {
        problems.push("panic".into());
    }
    if problems.is_empty() {
        vec![]
    } else {
        vec![format!(
            "{label}\n  {}\n--- stdout:\n{stdout}--- stderr:\n{stderr}--- report:\n{report}",
            problems.join("\n  ")
        )]
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dora_report_never_prints_the_token() {
    let limit = Arc::new(tokio::sync::Semaphore::new(8));
    let mut set = tokio::task::JoinSet::new();
    let mut n = 0;
    for flags in DORA_FLAGS {
        for scenario in [
            Scenario::Ok,
            Scenario::Echo401,
            Scenario::Echo500,
            Scenario::EchoLong,
            Scenario::Refused,
        ] {
            n += 1;
            let limit = limit.clone();
            set.spawn(async move {
                let _permit = limit.acquire_owned().await.unwrap();
                run_dora(flags, scenario).await
            });
        }
    }
    let mut failures = vec![];
    while let Some(r) = set.join_next().await {
        failures.extend(r.unwrap());
    }
    assert!(
        failures.is_empty(),
        "{} of {n} dora report runs leaked or misbehaved:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
