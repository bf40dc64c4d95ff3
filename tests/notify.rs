//! `obsctl notify` and the messaging layer against loopback fakes of the
//! Slack Web API, Slack incoming webhooks and Discord webhooks. The fakes
//! reject what the real services reject (limits, no text, bad auth, unknown
//! channel, deleted webhook) by checking every body against the contracts in
//! `../shared/contracts/`; every message obsctl builds must pass.
mod common;
mod support;

use std::time::{Duration, Instant};

use proptest::prelude::*;
use serde_json::{Value, json};

use obsctl::message::{Event, Message, Severity, discord_payload, slack_payload};

// ---------------------------------------------------------------------------
// The fakes: Slack (Web API, incoming webhooks) and Discord of
// tests/support, which check every body against the contracts.

use support::{
    Act, Api, At, DISCORD_ID, DISCORD_SECRET as DISCORD_TOKEN, Fake, SLACK_TOKEN as TOKEN,
};

/// Everything Slack checks in a message: `api` is the Web API method
/// (`Some("chat.postMessage")`), `None` for a webhook.
fn slack_problems(body: &Value, api: Option<&str>) -> Vec<String> {
    match api {
        Some(method) => support::slack::web_api_problems(body, method),
        None => support::slack::webhook_problems(body),
    }
}

const POST_MESSAGE: &str = "chat.postMessage";

/// Discord's checks of an execute (`false`) or edit (`true`) body.
fn discord_problems(body: &Value, edit: bool) -> Vec<String> {
    support::discord::problems(body, edit)
}

const EXECUTE: bool = false;
const EDIT: bool = true;

struct Fakes {
    fake: Fake,
}

impl Fakes {
    /// Slack knows only `#deployments`, `#incidents` and `#monitoring`.
    async fn standard() -> Self {
        let fake = Fake::start().await;
        fake.state().slack.only_channels(&[
            ("deployments", "C0DEPLOY"),
            ("incidents", "C0INCIDENT"),
            ("monitoring", "C0MONITOR"),
        ]);
        Self { fake }
    }

    fn api_url(&self) -> String {
        self.fake.slack_api_url()
    }

    fn hook_url(&self, name: &str) -> String {
        self.fake.slack_hook_url(name)
    }

    fn discord_url(&self) -> String {
        self.fake.discord_url()
    }

    /// Every request the fake received.
    async fn requests(&self) -> usize {
        self.fake.state().seen.len()
    }

    /// Requests to one API (including refused ones).
    fn seen(&self, api: Api) -> usize {
        self.fake.state().count_api(api)
    }

    /// Accepted Slack Web API calls (`_method`, `_channel`, `_ts`).
    fn slack_accepted(&self) -> Vec<Value> {
        self.fake.state().slack.accepted.clone()
    }

    /// Accepted incoming-webhook payloads.
    fn hook_accepted(&self) -> Vec<Value> {
        self.fake.state().slack.hook_posts.clone()
    }

    /// Accepted Discord calls (`_method`, `_id`).
    fn discord_accepted(&self) -> Vec<Value> {
        self.fake.state().discord.accepted.clone()
    }
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

async fn obsctl(env: &[(&str, &str)], args: &[&str]) -> Run {
    let mut cmd = common::obsctl();
    cmd.env("OBSCTL_RETRY_BUDGET", "3");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(args);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn json_out(run: &Run) -> Value {
    // In Actions, `::add-mask::` lines precede the result on stdout.
    let doc: String = run
        .stdout
        .lines()
        .filter(|l| !l.starts_with("::"))
        .collect::<Vec<_>>()
        .join("\n");
    serde_json::from_str(&doc).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            run.stdout, run.stderr
        )
    })
}

/// Every string inside a JSON value.
fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a.iter().flat_map(strings).collect(),
        Value::Object(o) => o.values().flat_map(strings).collect(),
        _ => Vec::new(),
    }
}

// ---------------------------------------------------------------------------
// The fakes themselves must reject what the services reject.

#[tokio::test(flavor = "multi_thread")]
async fn fakes_reject_what_the_services_reject() {
    if !support::contract::available() {
        return; // said once, on stderr
    }
    let f = Fakes::standard().await;
    obsctl::install_crypto_provider();
    let client = reqwest::Client::new();
    let post = |url: String, body: Value, auth: Option<&str>| {
        let mut r = client.post(url).json(&body);
        if let Some(a) = auth {
            r = r.bearer_auth(a);
        }
        r.send()
    };
    let api = format!("{}/chat.postMessage", f.api_url());
    let good = json!({"channel": "#deployments", "text": "hi"});
    let answer = |r: reqwest::Response| async move { r.json::<Value>().await.unwrap() };
    assert_eq!(
        answer(post(api.clone(), good.clone(), Some(TOKEN)).await.unwrap()).await["ok"],
        true
    );
    assert_eq!(
        answer(
            post(api.clone(), good.clone(), Some("xoxb-wrong"))
                .await
                .unwrap()
        )
        .await["error"],
        "invalid_auth"
    );
    assert_eq!(
        answer(post(api.clone(), good.clone(), None).await.unwrap()).await["error"],
        "not_authed"
    );
    assert_eq!(
        answer(
            post(
                api.clone(),
                json!({"channel": "#nope", "text": "hi"}),
                Some(TOKEN)
            )
            .await
            .unwrap()
        )
        .await["error"],
        "channel_not_found"
    );
    assert_eq!(
        answer(
            post(
                api.clone(),
                json!({"channel": "#deployments", "blocks": []}),
                Some(TOKEN)
            )
            .await
            .unwrap()
        )
        .await["error"],
        "no_text"
    );
    let long_header = json!({"channel": "#deployments", "text": "x", "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "x".repeat(151)}}]});
    assert_eq!(
        answer(
            post(api.clone(), long_header.clone(), Some(TOKEN))
                .await
                .unwrap()
        )
        .await["error"],
        "invalid_blocks"
    );
    let too_many = json!({"channel": "#deployments", "text": "x", "blocks": vec![json!({"type": "divider"}); 51]});
    assert_eq!(
        answer(post(api.clone(), too_many, Some(TOKEN)).await.unwrap()).await["error"],
        "invalid_blocks"
    );

    let hook = f.hook_url("X");
    assert_eq!(
        post(hook.clone(), json!({"text": "hi"}), None)
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "ok"
    );
    let r = post(hook.clone(), json!({"blocks": [{"type": "divider"}]}), None)
        .await
        .unwrap();
    assert_eq!(
        (r.status().as_u16(), r.text().await.unwrap()),
        (400, "no_text".into())
    );
    let r = post(hook.clone(), long_header, None).await.unwrap();
    assert_eq!(r.status().as_u16(), 400);

    let discord = format!("{}?wait=true", f.discord_url());
    let r = post(discord.clone(), json!({"content": "hi"}), None)
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = post(
        discord.clone(),
        json!({"embeds": [{"title": "t".repeat(257)}]}),
        None,
    )
    .await
    .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let big =
        json!({"embeds": [{"description": "d".repeat(4000)}, {"description": "e".repeat(2500)}]});
    let r = post(discord.clone(), big, None).await.unwrap();
    assert_eq!(r.status().as_u16(), 400, "6000 total");
    let r = post(discord.clone(), json!({"embeds": []}), None)
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400, "empty");
    let wrong = format!("{}/api/webhooks/{DISCORD_ID}/wrong?wait=true", f.fake.uri());
    assert_eq!(
        post(wrong, json!({"content": "x"}), None)
            .await
            .unwrap()
            .status()
            .as_u16(),
        401
    );
    // Every bad body was also recorded as a contract violation (which fails
    // a test when obsctl sends one); these were sent on purpose.
    let v = f.fake.take_violations();
    for (route, n) in [
        ("(slack.post_message)", 3),
        ("(slack.webhook)", 2),
        ("(discord.execute)", 3),
    ] {
        assert!(
            v.iter().filter(|l| l.contains(route)).count() >= n,
            "{route}: {v:#?}"
        );
    }
}

// ---------------------------------------------------------------------------
// notify through the binary.

#[tokio::test(flavor = "multi_thread")]
async fn bot_posts_to_each_routed_channel_with_valid_bodies() {
    let f = Fakes::standard().await;
    let api = f.api_url();
    let run = obsctl(
        &[
            ("SLACK_BOT_TOKEN", TOKEN),
            ("SLACK_API_URL", &api),
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_REPOSITORY", "acme/web"),
            ("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567"),
            ("GITHUB_REF_NAME", "main"),
            ("GITHUB_ACTOR", "octocat"),
            ("GITHUB_RUN_ID", "42"),
        ],
        &[
            "--format",
            "json",
            "notify",
            "--title",
            "Deploy of {{short_sha}} failed",
            "--text",
            "by {{actor}} on {{ref}}",
            "--event",
            "deployment",
            "--severity",
            "critical",
            "--field",
            "Env=production",
            "--link",
            "Sentry=https://sentry.example/issues/1",
            "--mention",
            "U024BE7LH",
        ],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = json_out(&run);
    let deliveries = out["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), 3, "{out}");
    let mut channels: Vec<&str> = deliveries
        .iter()
        .map(|d| {
            assert_eq!(d["ok"], true, "{d}");
            assert_eq!(d["reference"]["kind"], "slack_bot");
            assert!(
                d["reference"]["ts"]
                    .as_str()
                    .unwrap()
                    .starts_with("1700000000.")
            );
            d["reference"]["channel"].as_str().unwrap()
        })
        .collect();
    channels.sort();
    assert_eq!(channels, ["C0DEPLOY", "C0INCIDENT", "C0MONITOR"]);
    let accepted = f.slack_accepted();
    assert_eq!(accepted.len(), 3);
    for body in &accepted {
        assert!(slack_problems(body, Some(POST_MESSAGE)).is_empty());
        assert_eq!(body["text"], "Deploy of 0123456 failed: by octocat on main");
        assert_eq!(
            body["blocks"][0]["text"]["text"],
            "Deploy of 0123456 failed"
        );
        assert_eq!(body["attachments"][0]["color"], "#E01E5A");
        let s = body.to_string();
        assert!(s.contains("<@U024BE7LH>"), "{s}");
        assert!(s.contains("https://sentry.example/issues/1"), "{s}");
        assert!(s.contains("actions/runs/42"), "CI run link: {s}");
        assert!(s.contains("acme/web • main • 0123456 • by octocat"), "{s}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn untrusted_text_reaches_slack_and_discord_neutralised() {
    let f = Fakes::standard().await;
    let (hook, discord) = (f.hook_url("SUBJECT"), f.discord_url());
    let subject = "fix: <!channel> @everyone see <https://evil.example|click> [click](https://evil.example) \
                   token ghp_fake_token_for_tests_0123456789 by Jane <jane@example.com>";
    let run = obsctl(
        &[
            ("SLACK_WEBHOOK_URL", &hook),
            ("DISCORD_WEBHOOK_URL", &discord),
        ],
        &[
            "notify",
            "--event",
            "release",
            "--title",
            subject,
            "--text",
            subject,
            "--field",
            &format!("Commit={subject}"),
            "--link",
            &format!("{subject}=https://ok.example/"),
        ],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let slack = f.hook_accepted();
    let discord = f.discord_accepted();
    assert_eq!((slack.len(), discord.len()), (1, 1), "{}", run.stderr);
    for (who, body) in [("slack", &slack[0]), ("discord", &discord[0])] {
        for s in strings(body) {
            assert!(!s.contains("<!channel>"), "{who}: {s}");
            assert!(!s.contains("<https://evil.example|click>"), "{who}: {s}");
            assert!(!s.contains("@everyone"), "{who}: {s}");
            assert!(!s.contains("ghp_"), "{who}: {s}");
            assert!(!s.contains("jane@example.com"), "{who}: {s}");
        }
    }
    let s = slack[0].to_string();
    assert!(s.contains("&lt;!channel&gt;"), "{s}");
    assert!(s.contains("&lt;https://evil.example|click&gt;"), "{s}");
    assert!(s.contains("&lt;github-token&gt;"), "{s}");
    assert_eq!(discord[0]["allowed_mentions"], json!({ "parse": [] }));
    let title = discord[0]["embeds"][0]["title"].as_str().unwrap();
    assert!(
        title.contains("\\<!channel\\>") && title.contains("@\u{200B}everyone"),
        "{title}"
    );
    for s in strings(&discord[0]) {
        assert!(!s.contains("[click]("), "masked link: {s}");
    }
    // Webhook-only Slack says once that it cannot update messages.
    assert_eq!(
        run.stderr.matches("cannot be updated later").count(),
        1,
        "{}",
        run.stderr
    );
    // The webhook URLs are secrets: never printed.
    assert!(!run.stdout.contains("SUBJECT") && !run.stderr.contains("SUBJECT"));
    assert!(!run.stdout.contains(DISCORD_TOKEN) && !run.stderr.contains(DISCORD_TOKEN));

    // With --include-emails the address goes through.
    let run = obsctl(
        &[("DISCORD_WEBHOOK_URL", &f.discord_url())],
        &[
            "notify",
            "--title",
            "by jane@example.com",
            "--include-emails",
        ],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        f.discord_accepted()[1]
            .to_string()
            .contains("jane@example.com")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn routes_sharing_a_webhook_get_one_message() {
    let f = Fakes::standard().await;
    let shared = f.hook_url("SHARED");
    let discord = f.discord_url();
    let run = obsctl(
        &[
            ("SLACK_WEBHOOK_URL_INCIDENTS", &shared),
            ("SLACK_WEBHOOK_URL_MONITORING", &shared),
            ("DISCORD_WEBHOOK_URL", &discord),
        ],
        &[
            "--format",
            "json",
            "notify",
            "--title",
            "Error rate above 5%",
            "--severity",
            "critical",
        ],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = json_out(&run);
    let d = out["deliveries"].as_array().unwrap();
    assert_eq!(d.len(), 2, "{out}");
    assert_eq!(d[0]["target"], "Slack webhook SLACK_WEBHOOK_URL_INCIDENTS");
    assert_eq!(d[0]["routes"], json!(["incidents", "monitoring"]));
    assert_eq!(d[1]["routes"], json!(["incidents", "monitoring"]));
    assert_eq!(d[1]["reference"]["kind"], "discord");
    assert_eq!(f.hook_accepted().len(), 1);
    assert_eq!(f.discord_accepted().len(), 1);
    assert_eq!(f.requests().await, 2);

    // The bot: two routes configured to one channel (spelt differently).
    let api = f.api_url();
    let run = obsctl(
        &[
            ("SLACK_BOT_TOKEN", TOKEN),
            ("SLACK_API_URL", &api),
            ("OBSCTL_SLACK_CHANNEL_INCIDENTS", "#monitoring"),
            ("OBSCTL_SLACK_CHANNEL_MONITORING", "monitoring"),
        ],
        &[
            "--format",
            "json",
            "notify",
            "--title",
            "x",
            "--severity",
            "critical",
        ],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = json_out(&run);
    assert_eq!(out["deliveries"].as_array().unwrap().len(), 1, "{out}");
    assert_eq!(
        out["deliveries"][0]["routes"],
        json!(["incidents", "monitoring"])
    );
    assert_eq!(f.slack_accepted().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limited_then_delivered_once_after_retry_after() {
    let f = Fakes::standard().await;
    f.fake.rules(vec![
        support::once(
            At::Api(Api::SlackWebhook),
            Act::Reply {
                status: 429,
                headers: vec![("retry-after".into(), "1".into())],
                body: "rate_limited".into(),
            },
        ),
        support::once(
            At::Api(Api::Discord),
            Act::with_headers(
                429,
                &[("retry-after", "1")],
                json!({ "message": "You are being rate limited.", "retry_after": 1.0, "global": false }),
            ),
        ),
    ]);
    let (hook, discord) = (f.hook_url("RL"), f.discord_url());
    let started = Instant::now();
    let run = obsctl(
        &[
            ("SLACK_WEBHOOK_URL", &hook),
            ("DISCORD_WEBHOOK_URL", &discord),
        ],
        &["--format", "json", "notify", "--title", "hello"],
    )
    .await;
    let elapsed = started.elapsed();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        json_out(&run)["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["ok"] == true)
    );
    assert_eq!(f.seen(Api::SlackWebhook), 2);
    assert_eq!(f.seen(Api::Discord), 2);
    assert_eq!(f.hook_accepted().len(), 1);
    assert_eq!(f.discord_accepted().len(), 1);
    assert!(elapsed >= Duration::from_secs(1), "waited only {elapsed:?}");
    // Sent concurrently: both waits overlap.
    assert!(
        elapsed < Duration::from_secs(2) + Duration::from_millis(900),
        "{elapsed:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn slack_down_is_a_warning_unless_strict() {
    let f = Fakes::standard().await;
    f.fake.rules(vec![support::always(
        At::Api(Api::Slack),
        Act::Reply {
            status: 503,
            headers: vec![],
            body: "upstream connect error".into(),
        },
    )]);
    let api = f.api_url();
    let env = [("SLACK_BOT_TOKEN", TOKEN), ("SLACK_API_URL", api.as_str())];
    let run = obsctl(&env, &["notify", "--title", "x"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("warning: notification to Slack #monitoring failed"),
        "{}",
        run.stderr
    );
    // A post is not repeated blindly after a 5xx (it may have gone through).
    assert_eq!(f.requests().await, 1);
    let run = obsctl(&env, &["--strict", "notify", "--title", "x"]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("1 of 1 notifications failed"),
        "{}",
        run.stderr
    );

    // Nothing listening at all.
    let closed = "http://127.0.0.1:9/api";
    let run = obsctl(
        &[
            ("SLACK_BOT_TOKEN", TOKEN),
            ("SLACK_API_URL", closed),
            ("OBSCTL_RETRY_BUDGET", "1"),
        ],
        &["notify", "--title", "x"],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("warning:"), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn slack_errors_name_the_fix() {
    let f = Fakes::standard().await;
    {
        let mut s = f.fake.state();
        s.slack.only_channels(&[("deployments", "C0DEPLOY")]);
        s.slack.not_member = vec!["private".into()];
    }
    let url = f.api_url();

    let run = obsctl(
        &[
            ("SLACK_BOT_TOKEN", "xoxb-wrong-token-value"),
            ("SLACK_API_URL", &url),
        ],
        &["notify", "--title", "x", "--event", "deployment"],
    )
    .await;
    assert_eq!(run.code, 0);
    assert!(
        run.stderr.contains("invalid_auth") && run.stderr.contains("SLACK_BOT_TOKEN"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("xoxb-wrong-token-value"),
        "{}",
        run.stderr
    );

    let env = [("SLACK_BOT_TOKEN", TOKEN), ("SLACK_API_URL", url.as_str())];
    let run = obsctl(&env, &["notify", "--title", "x", "--channel", "#private"]).await;
    assert!(
        run.stderr.contains("not_in_channel") && run.stderr.contains("invite the bot to #private"),
        "{}",
        run.stderr
    );
    let run = obsctl(
        &env,
        &["--strict", "notify", "--title", "x", "--channel", "#nope"],
    )
    .await;
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("channel_not_found") && run.stderr.contains("invite the bot to #nope"),
        "{}",
        run.stderr
    );
    // Routes use the configured channel names.
    let run = obsctl(
        &[
            ("SLACK_BOT_TOKEN", TOKEN),
            ("SLACK_API_URL", url.as_str()),
            ("OBSCTL_SLACK_CHANNEL_MONITORING", "#private"),
        ],
        &["notify", "--title", "x"],
    )
    .await;
    assert!(
        run.stderr.contains("invite the bot to #private"),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn deleted_webhooks_name_their_variable() {
    let f = Fakes::standard().await;
    {
        let mut s = f.fake.state();
        s.slack.revoked = vec!["GONE".into()];
        s.discord.deleted = true;
    }
    let (hook, discord) = (f.hook_url("GONE"), f.discord_url());
    let run = obsctl(
        &[
            ("SLACK_WEBHOOK_URL_DEPLOYMENTS", &hook),
            ("DISCORD_WEBHOOK_URL_DEPLOYMENTS", &discord),
        ],
        &["notify", "--title", "x", "--event", "deployment"],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("no_service")
            && run.stderr.contains("update SLACK_WEBHOOK_URL_DEPLOYMENTS"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("Unknown Webhook")
            && run
                .stderr
                .contains("update DISCORD_WEBHOOK_URL_DEPLOYMENTS"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("GONE") && !run.stderr.contains(DISCORD_TOKEN),
        "{}",
        run.stderr
    );
    // One of two failing does not stop the other: Slack fine, Discord gone.
    let g = Fakes::standard().await;
    g.fake.state().discord.deleted = true;
    let run = obsctl(
        &[
            ("SLACK_WEBHOOK_URL", &g.hook_url("OK")),
            ("DISCORD_WEBHOOK_URL", &g.discord_url()),
        ],
        &["--format", "json", "notify", "--title", "x"],
    )
    .await;
    assert_eq!(run.code, 0);
    let out = json_out(&run);
    assert_eq!(out["deliveries"][0]["ok"], true);
    assert_eq!(out["deliveries"][1]["ok"], false);
    assert_eq!(g.hook_accepted().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_is_exit_2_and_sends_nothing() {
    let f = Fakes::standard().await;
    let hook = f.hook_url("X");
    let dir = tempfile::tempdir().unwrap();
    let bad_json = dir.path().join("bad.json");
    std::fs::write(&bad_json, "{ not json").unwrap();
    let bad_shape = dir.path().join("shape.json");
    std::fs::write(
        &bad_shape,
        r#"{"blocks": [{"type": "header", "text": {"type": "plain_text", "text": ""}}]}"#,
    )
    .unwrap();
    let missing = dir.path().join("missing.json");
    let cases: Vec<Vec<String>> = vec![
        vec![
            "--title".into(),
            "x".into(),
            "--link".into(),
            "no-equals".into(),
        ],
        vec![
            "--title".into(),
            "x".into(),
            "--link".into(),
            "Docs=ftp://example.com".into(),
        ],
        vec![
            "--title".into(),
            "x".into(),
            "--link".into(),
            "Docs=javascript:alert(1)".into(),
        ],
        vec![
            "--title".into(),
            "x".into(),
            "--field".into(),
            "novalue".into(),
        ],
        vec!["--title".into(), "  ".into()],
        vec!["--title".into(), "{{nope}}".into()],
        vec![
            "--title".into(),
            "x".into(),
            "--mention".into(),
            "@everyone".into(),
        ],
        vec![
            "--title".into(),
            "x".into(),
            "--thread".into(),
            "yesterday".into(),
        ],
        vec![
            "--title".into(),
            "x".into(),
            "--var".into(),
            "bogus=1".into(),
        ],
        // A webhook cannot pick its channel.
        vec![
            "--title".into(),
            "x".into(),
            "--channel".into(),
            "#random".into(),
        ],
        vec!["--payload".into(), bad_json.display().to_string()],
        vec!["--payload".into(), bad_shape.display().to_string()],
        vec!["--payload".into(), missing.display().to_string()],
        vec![],
    ];
    for case in cases {
        let mut args = vec!["notify"];
        args.extend(case.iter().map(String::as_str));
        let run = obsctl(&[("SLACK_WEBHOOK_URL", &hook)], &args).await;
        assert_eq!(run.code, 2, "{case:?}: {}", run.stderr);
    }
    assert_eq!(f.requests().await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn payload_files_are_validated_substituted_and_escaped() {
    let f = Fakes::standard().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("payload.json");
    std::fs::write(
        &file,
        serde_json::to_string(&json!({
            "slack": {
                "blocks": [
                    {"type": "header", "text": {"type": "plain_text", "text": "Released {{version}}"}},
                    {"type": "section", "text": {"type": "mrkdwn", "text": "*{{title}}* <https://docs.example|docs> by {{actor}}"}},
                    {"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "Run"}, "url": "{{run_url}}"}]}
                ]
            },
            "discord": {
                "content": "{{title}}",
                "embeds": [{"title": "Released {{version}}", "description": "{{text}}", "color": 3066993}],
                "allowed_mentions": {"parse": ["everyone"]}
            }
        }))
        .unwrap(),
    )
    .unwrap();
    let (api, discord) = (f.api_url(), f.discord_url());
    let run = obsctl(
        &[
            ("SLACK_BOT_TOKEN", TOKEN),
            ("SLACK_API_URL", &api),
            ("DISCORD_WEBHOOK_URL", &discord),
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_ACTOR", "<!here>"),
            ("GITHUB_REPOSITORY", "acme/web"),
            ("GITHUB_RUN_ID", "7"),
        ],
        &[
            "--format",
            "json",
            "notify",
            "--payload",
            file.to_str().unwrap(),
            "--event",
            "release",
            "--var",
            "version=1.2.3",
            "--title",
            "Ship @everyone <!channel>",
            "--text",
            "x".repeat(5000).as_str(),
        ],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let slack = f.slack_accepted();
    assert_eq!(slack.len(), 1, "{}", run.stderr);
    let s = &slack[0];
    assert_eq!(s["channel"], "#deployments");
    assert_eq!(s["blocks"][0]["text"]["text"], "Released 1.2.3");
    let section = s["blocks"][1]["text"]["text"].as_str().unwrap();
    // The file's own markup stays; the substituted values are escaped.
    assert!(
        section.starts_with(
            "*Ship @\u{200B}everyone &lt;!channel&gt;* <https://docs.example|docs> by &lt;!here&gt;"
        ),
        "{section}"
    );
    assert_eq!(
        s["blocks"][2]["elements"][0]["url"],
        "https://github.com/acme/web/actions/runs/7/attempts/1"
    );
    assert_eq!(
        s["text"], "Ship @\u{200B}everyone &lt;!channel&gt;",
        "fallback from --title"
    );
    let d = &f.discord_accepted()[0];
    assert_eq!(d["allowed_mentions"], json!({ "parse": [] }));
    assert_eq!(d["embeds"][0]["title"], "Released 1.2.3");
    // 5000 characters of text were cut to the description limit.
    assert_eq!(
        d["embeds"][0]["description"]
            .as_str()
            .unwrap()
            .chars()
            .count(),
        4096
    );
    assert!(!d["content"].as_str().unwrap().contains("@everyone"));
}

#[tokio::test(flavor = "multi_thread")]
async fn oversized_input_is_truncated_and_accepted() {
    let f = Fakes::standard().await;
    let (api, hook, discord) = (f.api_url(), f.hook_url("BIG"), f.discord_url());
    let long = "é<&>".repeat(800);
    let mut args: Vec<String> = vec![
        "notify".into(),
        "--title".into(),
        long.clone(),
        "--text".into(),
        long.clone(),
        "--event".into(),
        "deployment".into(),
    ];
    for i in 0..30 {
        args.push("--field".into());
        args.push(format!("k{i}{long}={long}"));
        args.push("--link".into());
        args.push(format!("{long}=https://example.com/{i}"));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    for env in [
        vec![
            ("SLACK_BOT_TOKEN", TOKEN),
            ("SLACK_API_URL", api.as_str()),
            ("DISCORD_WEBHOOK_URL", discord.as_str()),
        ],
        vec![("SLACK_WEBHOOK_URL", hook.as_str())],
    ] {
        let run = obsctl(&env, &args).await;
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    }
    assert_eq!(f.slack_accepted().len(), 1);
    assert_eq!(f.hook_accepted().len(), 1);
    assert_eq!(f.discord_accepted().len(), 1);
    // Fields are a list: the ones left out (25 at most, 6,000 units in
    // all) are counted in a last field, before the links.
    let d = &f.discord_accepted()[0];
    let fields = d["embeds"][0]["fields"].as_array().unwrap();
    let real = fields
        .iter()
        .filter(|f| f["name"].as_str().is_some_and(|n| n.starts_with('k')))
        .count();
    let more = fields
        .iter()
        .find(|f| f["name"] == "…")
        .expect("a `… and N more` field");
    assert_eq!(more["value"], format!("… and {} more", 30 - real));
    // Slack: 30 fields in sections of ten, nothing left out; every text
    // cut ends in `…` and never inside an `&amp;`-style escape.
    let s = &f.slack_accepted()[0];
    let blocks = s["attachments"][0]["blocks"].as_array().unwrap();
    let slack_fields: usize = blocks
        .iter()
        .filter_map(|b| b["fields"].as_array().map(Vec::len))
        .sum();
    assert_eq!(slack_fields, 30);
    let header = s["blocks"][0]["text"]["text"].as_str().unwrap();
    assert!(
        header.ends_with('…') && header.chars().count() <= 150,
        "{header}"
    );
    let before = header.trim_end_matches('…');
    assert!(
        !before.ends_with('&') && !before.ends_with("&lt") && !before.ends_with("&amp"),
        "{header}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_prints_payloads_and_sends_nothing() {
    let f = Fakes::standard().await;
    let (api, discord) = (f.api_url(), f.discord_url());
    let env = [
        ("SLACK_BOT_TOKEN", TOKEN),
        ("SLACK_API_URL", api.as_str()),
        ("DISCORD_WEBHOOK_URL", discord.as_str()),
    ];
    let run = obsctl(&env, &["--dry-run", "notify", "--title", "Hello dry run"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("dry run: nothing was sent"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("chat.postMessage") && run.stdout.contains("Hello dry run"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("<DISCORD_WEBHOOK_URL>?wait=true"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains(DISCORD_TOKEN) && !run.stdout.contains(TOKEN));
    let run = obsctl(
        &env,
        &["--dry-run", "--format", "json", "notify", "--title", "x"],
    )
    .await;
    let out = json_out(&run);
    assert_eq!(out["dry_run"], true);
    assert_eq!(out["requests"].as_array().unwrap().len(), 2);
    assert_eq!(f.requests().await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn thread_replies_and_no_destinations() {
    let f = Fakes::standard().await;
    let api = f.api_url();
    let env = [("SLACK_BOT_TOKEN", TOKEN), ("SLACK_API_URL", api.as_str())];
    let run = obsctl(
        &env,
        &[
            "notify",
            "--title",
            "follow-up",
            "--thread",
            "1700000000.000001",
            "--channel",
            "deployments",
        ],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("sent     Slack #deployments [deployments]: channel C0DEPLOY"),
        "{}",
        run.stdout
    );
    let body = &f.slack_accepted()[0];
    assert_eq!(body["thread_ts"], "1700000000.000001");
    assert_eq!(body["channel"], "#deployments");

    // Nothing configured: a notice, exit 0; --strict makes it an error.
    let run = obsctl(&[], &["notify", "--title", "x"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("Slack and Discord skipped"),
        "{}",
        run.stderr
    );
    let run = obsctl(&[], &["--strict", "notify", "--title", "x"]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    // --no-slack skips on purpose.
    let run = obsctl(&env, &["--strict", "notify", "--no-slack", "--title", "x"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(f.slack_accepted().len(), 1);
}

// ---------------------------------------------------------------------------
// The library API used by release and deploy: send, update, reply.

fn context(args: &[&str]) -> obsctl::context::Context {
    use clap::Parser;
    let mut argv = vec!["obsctl", "notify", "--title", "unused"];
    argv.extend(args);
    let cli = obsctl::cli::Cli::try_parse_from(argv).unwrap();
    obsctl::context::Context::new(cli.global, &cli.command, obsctl::context::Env::default())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn notifier_updates_and_replies() {
    use obsctl::notify::{MessageRef, Notifier};
    let f = Fakes::standard().await;
    let (api, discord) = (f.api_url(), f.discord_url());
    let ctx = context(&[
        "--slack-bot-token",
        TOKEN,
        "--slack-api-url",
        &api,
        "--discord-webhook-url",
        &discord,
        "-q",
    ]);
    let notifier = Notifier::from_context(&ctx).unwrap();
    let msg = Message::new("Deploying v1.2.3 to production")
        .event(Event::Deployment)
        .field("Status", "in progress");
    let sent = notifier.send(&msg, &obsctl::message::route(&msg)).await;
    assert_eq!(sent.len(), 2);
    assert!(sent.iter().all(|d| d.ok), "{sent:?}");
    // References survive a round trip through JSON (a deployment payload).
    let refs: Vec<MessageRef> = sent
        .iter()
        .map(|d| {
            serde_json::from_value(serde_json::to_value(d.reference.as_ref().unwrap()).unwrap())
                .unwrap()
        })
        .collect();
    assert_eq!(
        refs[0],
        MessageRef::SlackBot {
            channel: "C0DEPLOY".into(),
            ts: "1700000000.000001".into()
        }
    );
    assert!(matches!(
        &refs[1],
        MessageRef::Discord {
            route: obsctl::message::Route::Deployments,
            ..
        }
    ));

    let done = msg
        .clone()
        .severity(Severity::Success)
        .field("Status", "succeeded");
    for r in &refs {
        let d = notifier.update(r, &done).await;
        assert!(d.ok, "{d:?}");
        assert_eq!(d.reference.as_ref(), Some(r));
        let d = notifier.reply(r, &Message::new("Rolled back")).await;
        assert!(d.ok, "{d:?}");
    }
    let slack = f.slack_accepted();
    assert_eq!(slack.len(), 3);
    assert_eq!(slack[1]["_method"], "chat.update");
    assert_eq!(slack[1]["ts"], "1700000000.000001");
    assert_eq!(slack[1]["channel"], "C0DEPLOY");
    assert_eq!(slack[1]["attachments"][0]["color"], "#2EB67D");
    assert_eq!(slack[2]["thread_ts"], "1700000000.000001");
    let discord = f.discord_accepted();
    assert_eq!(discord.len(), 3);
    assert_eq!(discord[1]["_method"], "PATCH");
    assert_eq!(discord[1]["_id"], discord[0]["_id"]);
    assert_eq!(discord[2]["_method"], "POST");
    assert_ne!(discord[2]["_id"], discord[0]["_id"]);

    // An unknown message id comes back as a failed delivery, not a panic.
    let gone = MessageRef::Discord {
        route: obsctl::message::Route::Deployments,
        message_id: "999999".into(),
    };
    let d = notifier.update(&gone, &done).await;
    assert!(
        !d.ok && d.error.as_deref().unwrap().contains("Unknown Message"),
        "{d:?}"
    );
}

// ---------------------------------------------------------------------------
// Properties: any input yields payloads within every limit.

fn any_text(max: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::string::string_regex(&format!(
            "[a-zA-Z0-9 <>&@!|*_~`\\[\\]()#:/.\\\\-]{{0,{max}}}"
        ))
        .unwrap(),
        proptest::collection::vec(any::<char>(), 0..max).prop_map(|v| v.into_iter().collect()),
        (0..max * 2).prop_map(|n| "<&>😀".repeat(n / 4 + 1)),
    ]
}

fn any_message() -> impl Strategy<Value = Message> {
    (
        any_text(400),
        any_text(7000),
        proptest::collection::vec((any_text(300), any_text(2500)), 0..40),
        proptest::collection::vec((any_text(100), any_text(60)), 0..40),
        proptest::collection::vec(any_text(4000), 0..14),
        proptest::sample::select(vec![
            Severity::Info,
            Severity::Success,
            Severity::Warning,
            Severity::Critical,
        ]),
    )
        .prop_map(|(title, text, fields, links, context, severity)| {
            let links = links
                .into_iter()
                .enumerate()
                .map(|(i, (label, path))| {
                    (
                        label,
                        format!(
                            "https://example.com/{i}/{}",
                            path.replace(|c: char| !c.is_ascii_alphanumeric(), "")
                        ),
                    )
                })
                .collect();
            Message {
                title,
                text,
                severity,
                fields,
                links,
                context,
                mentions: vec![
                    "U024BE7LH".into(),
                    "80351110224678912".into(),
                    "role:80351110224678913".into(),
                ],
                ..Message::default()
            }
        })
}

/// A payload file that puts a variable everywhere a limit applies.
fn templated_payloads() -> (Value, Value) {
    let t = |n: usize| vec!["{{title}}"; n].join(" ");
    let slack = json!({
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": t(3)}},
            {"type": "section", "text": {"type": "mrkdwn", "text": t(3)},
             "fields": [{"type": "mrkdwn", "text": t(2)}, {"type": "plain_text", "text": "{{version}}"}]},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": t(2)}]},
            {"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": t(1)}, "url": "https://example.com"}]}
        ],
        "attachments": [{"color": "#36a64f", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": t(2)}}]}]
    });
    let discord = json!({
        "content": t(2),
        "embeds": [
            {"title": t(2), "description": t(3), "footer": {"text": t(2)},
             "fields": [{"name": t(1), "value": t(2)}, {"name": "v", "value": "{{version}}"}]},
            {"title": "second", "description": t(3)}
        ]
    });
    (slack, discord)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn any_variable_value_keeps_payload_files_within_limits(title in any_text(5000)) {
        use obsctl::message::payload::{self, Target};
        use obsctl::message::template::Vars;
        let (slack, discord) = templated_payloads();
        let file = payload::parse(json!({"slack": slack, "discord": discord})).unwrap();
        let mut vars = Vars::new();
        vars.set("title", title);
        let mut s = file.slack.unwrap();
        payload::substitute(&mut s, &vars, Target::Slack, false).unwrap();
        payload::finish_slack(&mut s, None);
        let mut api = s.clone();
        api["channel"] = json!("#deployments");
        let problems = slack_problems(&api, Some(POST_MESSAGE));
        prop_assert!(problems.is_empty(), "{problems:?}");
        prop_assert!(slack_problems(&s, None).is_empty());
        let mut d = file.discord.unwrap();
        payload::substitute(&mut d, &vars, Target::Discord, false).unwrap();
        payload::finish_discord(&mut d, &[]);
        let problems = discord_problems(&d, EXECUTE);
        prop_assert!(problems.is_empty(), "{problems:?}");
        prop_assert_eq!(&d["allowed_mentions"], &json!({"parse": []}));
    }

    #[test]
    fn any_message_fits_slack(msg in any_message()) {
        let api = slack_payload(&msg, Some("#deployments"));
        let problems = slack_problems(&api, Some(POST_MESSAGE));
        prop_assert!(problems.is_empty(), "{problems:?}");
        let hook = slack_payload(&msg, None);
        let problems = slack_problems(&hook, None);
        prop_assert!(problems.is_empty(), "{problems:?}");
        prop_assert!(!api["text"].as_str().unwrap().trim().is_empty());
        for s in strings(&api) {
            prop_assert!(!s.contains("<!"), "{s}");
        }
    }

    #[test]
    fn any_message_fits_discord(msg in any_message()) {
        let body = discord_payload(&msg);
        let problems = discord_problems(&body, EXECUTE);
        prop_assert!(problems.is_empty(), "{problems:?}");
        let problems = discord_problems(&body, EDIT);
        prop_assert!(problems.is_empty(), "{problems:?}");
        prop_assert_eq!(&body["allowed_mentions"]["parse"], &json!([]));
        for e in body["embeds"].as_array().unwrap() {
            for f in e["fields"].as_array().into_iter().flatten() {
                prop_assert!(!f["name"].as_str().unwrap().trim().is_empty());
                prop_assert!(!f["value"].as_str().unwrap().trim().is_empty());
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn template_variables_come_from_git_outside_ci() {
    let repo = common::GitRepo::new();
    let sha = repo.commit("a.txt", "a\n", "Initial commit");
    repo.git(&["checkout", "-q", "-b", "feature/x"]);
    let f = Fakes::standard().await;
    let api = f.api_url();
    let dir = repo.path().display().to_string();
    let env = [("SLACK_BOT_TOKEN", TOKEN), ("SLACK_API_URL", api.as_str())];
    let run = obsctl(
        &env,
        &[
            "-C",
            &dir,
            "--dry-run",
            "--format",
            "json",
            "notify",
            "--title",
            "t",
            "--text",
            "{{actor}} {{short_sha}} {{ref}}",
        ],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let want = format!("Test User {} feature/x", &sha[..7]);
    assert!(run.stdout.contains(&want), "{want}\n{}", run.stdout);
    // The CI's values (flags here) still win over git's.
    let run = obsctl(
        &env,
        &[
            "-C",
            &dir,
            "--dry-run",
            "--actor",
            "hubot",
            "--ref-name",
            "main",
            "notify",
            "--title",
            "t",
            "--text",
            "{{actor}} {{ref}}",
        ],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("hubot main"), "{}", run.stdout);
    assert_eq!(f.requests().await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn ref_on_a_pull_request_run_is_the_head_branch_not_the_merge_ref() {
    let repo = common::GitRepo::new();
    repo.commit("a.txt", "a\n", "Initial commit");
    let f = Fakes::standard().await;
    let api = f.api_url();
    let dir = repo.path().display().to_string();
    let events = tempfile::tempdir().unwrap();
    let event = events.path().join("event.json");
    std::fs::write(
        &event,
        r#"{"pull_request": {"head": {"ref": "feature/from-event"}}}"#,
    )
    .unwrap();
    let event = event.display().to_string();
    let base = [
        ("SLACK_BOT_TOKEN", TOKEN),
        ("SLACK_API_URL", api.as_str()),
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_EVENT_NAME", "pull_request"),
        ("GITHUB_EVENT_PATH", event.as_str()),
        ("GITHUB_REF", "refs/pull/123/merge"),
        ("GITHUB_REF_NAME", "123/merge"),
    ];
    let args = [
        "-C",
        &dir,
        "--dry-run",
        "notify",
        "--title",
        "t",
        "--text",
        "on {{ref}}.",
    ];
    let mut with_head = base.to_vec();
    with_head.push(("GITHUB_HEAD_REF", "feature/login"));
    let run = obsctl(&with_head, &args).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("on feature/login."), "{}", run.stdout);
    assert!(!run.stdout.contains("123/merge"), "{}", run.stdout);
    // Without GITHUB_HEAD_REF: the event payload's pull_request.head.ref.
    let run = obsctl(&base, &args).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("on feature/from-event."),
        "{}",
        run.stdout
    );
    assert_eq!(f.requests().await, 0);
}
