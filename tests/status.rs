//! `obsctl status check|build` and `obsctl incident open|update|resolve`
//! against loopback health endpoints (up, slow, 500, hang, flapping) and
//! the one fake (`tests/support/`: GitHub issues in `github/issues.rs`,
//! GraphQL checked against GitHub's schema, Slack). The page is opened in
//! headless Chromium.

mod common;
mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use support::github::graphql;
use support::github::issues::{Issue, Issues};
use support::{Act, At, Fake, GH_TOKEN, State, always, once};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// 0 up, 1 down (500), 2 slow.
#[derive(Clone, Default)]
struct Switch(Arc<AtomicUsize>);

impl Respond for Switch {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        match self.0.load(Ordering::SeqCst) {
            0 => ResponseTemplate::new(200).set_body_string("ok"),
            1 => ResponseTemplate::new(500).set_body_string("boom"),
            _ => ResponseTemplate::new(200).set_delay(Duration::from_millis(400)),
        }
    }
}

/// 500 on the first request, 200 afterwards.
#[derive(Clone, Default)]
struct Flap(Arc<AtomicUsize>);

impl Respond for Flap {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        if self.0.fetch_add(1, Ordering::SeqCst) == 0 {
            ResponseTemplate::new(500)
        } else {
            ResponseTemplate::new(200)
        }
    }
}

struct World {
    fake: Fake,
    health: MockServer,
    switch: Switch,
    flap: Flap,
    dir: tempfile::TempDir,
    repo: common::GitRepo,
}

impl World {
    async fn new() -> World {
        let fake = Fake::start().await;
        let health = MockServer::start().await;
        let switch = Switch::default();
        let flap = Flap::default();
        for (p, t) in [
            ("/up", ResponseTemplate::new(200)),
            ("/500", ResponseTemplate::new(500)),
            (
                "/slow",
                ResponseTemplate::new(200).set_delay(Duration::from_millis(400)),
            ),
            (
                "/hang",
                ResponseTemplate::new(200).set_delay(Duration::from_secs(6)),
            ),
        ] {
            Mock::given(path(p)).respond_with(t).mount(&health).await;
        }
        Mock::given(path("/switch"))
            .respond_with(switch.clone())
            .mount(&health)
            .await;
        Mock::given(path("/flap"))
            .respond_with(flap.clone())
            .mount(&health)
            .await;
        let repo = common::GitRepo::new();
        repo.commit("README.md", "hello\n", "chore: init");
        World {
            fake,
            health,
            switch,
            flap,
            dir: tempfile::tempdir().unwrap(),
            repo,
        }
    }

    /// Write obsctl.toml: `(name, health path, critical, max_latency_ms)`.
    fn config(&self, services: &[(&str, &str, bool, u64)]) {
        let mut toml = String::from("[status]\ntitle = \"Acme Status\"\n");
        for (name, p, critical, max) in services {
            toml.push_str(&format!(
                "\n[[service]]\nname = \"{name}\"\nhealth_url = \"{}{p}\"\ncritical = {critical}\nmax_latency_ms = {max}\nheaders_from_env = {{ \"x-health-token\" = \"HEALTH_TOKEN\" }}\n",
                self.health.uri()
            ));
        }
        std::fs::write(self.config_path(), toml).unwrap();
    }

    fn config_path(&self) -> PathBuf {
        self.dir.path().join("obsctl.toml")
    }

    fn output_file(&self) -> PathBuf {
        self.dir.path().join("github_output")
    }

    fn cmd(&self) -> assert_cmd::Command {
        let mut cmd = common::obsctl();
        cmd.envs(self.fake.github_env())
            .envs(self.fake.slack_env())
            .env("GITHUB_SERVER_URL", "https://github.example")
            .env("HEALTH_TOKEN", "health-secret-value-42")
            .env("OBSCTL_CONFIG", self.config_path())
            .env("GITHUB_OUTPUT", self.output_file())
            .env("OBSCTL_RETRY_BUDGET", "2")
            .env("OBSCTL_TIMEOUT", "5")
            .arg("-C")
            .arg(self.repo.path());
        cmd
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.fake.state()
    }

    /// The issues as the fake keeps them.
    fn issues(&self) -> Vec<Issue> {
        self.state().area::<Issues>().list.clone()
    }

    /// The `chat.postMessage` bodies as obsctl sent them (channel names as given).
    fn slack_posts(&self) -> Vec<Value> {
        let s = self.state();
        s.slack
            .accepted
            .iter()
            .filter(|p| p["_method"] == "chat.postMessage")
            .cloned()
            .collect()
    }

    /// Add an issue as if someone had opened it; its number.
    fn seed(
        &self,
        title: &str,
        body: &str,
        labels: &[&str],
        created: DateTime<Utc>,
        closed: Option<DateTime<Utc>>,
    ) -> u64 {
        self.state()
            .area::<Issues>()
            .seed(title, body, labels, created, closed)
    }

    /// `status check --format json` with `extra`; stdout as JSON and stderr.
    fn check(&self, extra: &[&str]) -> (Value, String, i32) {
        let out = self
            .cmd()
            .args(["--format", "json", "status", "check"])
            .args(extra)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(
            !stdout.contains("health-secret-value-42")
                && !stderr.contains("health-secret-value-42")
        );
        let v = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
        (v, stderr, out.status.code().unwrap_or(-1))
    }

    fn assert_no_violations(&self) {
        self.fake.assert_no_violations();
    }
}

fn status_of<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_writes_nothing() {
    let w = World::new().await;
    w.config(&[("web", "/up", true, 1000)]);
    let file = w.dir.path().join("check.json");
    let (v, err, code) = w.check(&["--output", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(status_of(&v, "web")["status"], "up");
    let written: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(written, v, "--output writes the --format json report");
    assert_eq!(status_of(&v, "web")["http_status"], 200);
    assert!(v["checked_at"].is_string());
    assert!(w.state().writes().is_empty(), "{:?}", w.state().writes());
    assert!(w.slack_posts().is_empty());
    // The header came from the environment.
    let reqs = w.health.received_requests().await.unwrap();
    assert_eq!(
        reqs[0].headers.get("x-health-token").unwrap(),
        "health-secret-value-42"
    );
    w.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn down_confirmed_opens_one_issue_notifies_and_is_idempotent() {
    let w = World::new().await;
    w.config(&[("web", "/500", false, 1000), ("api", "/500", true, 1000)]);
    let (v, err, code) = w.check(&["--confirm", "0s,0s"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(status_of(&v, "web")["status"], "down");
    assert_eq!(
        status_of(&v, "web")["error"],
        "unexpected HTTP status 500 (expected 2xx)"
    );
    // Each bad first result was confirmed twice: 3 requests per service.
    assert_eq!(w.health.received_requests().await.unwrap().len(), 6);
    {
        let issues = w.issues();
        assert_eq!(issues.len(), 2, "one issue per service");
        let web = issues.iter().find(|i| i.title == "web is down").unwrap();
        assert_eq!(web.labels, vec!["incident", "service:web", "status"]);
        assert!(
            web.body
                .contains("<!-- obsctl:incident service=web source=check state=down -->")
        );
        assert!(!web.body.contains("health-secret-value-42"));
        let posts = w.slack_posts();
        let channels: Vec<&str> = posts
            .iter()
            .map(|p| p["channel"].as_str().unwrap())
            .collect();
        // web: #monitoring; api (critical): #incidents and #monitoring.
        assert_eq!(
            channels.iter().filter(|c| **c == "#monitoring").count(),
            2,
            "{channels:?}"
        );
        assert_eq!(
            channels.iter().filter(|c| **c == "#incidents").count(),
            1,
            "{channels:?}"
        );
    }
    // Down again: nothing is written, nobody is told again.
    let writes = w.state().writes().len();
    let (_, err, code) = w.check(&["--confirm", "0s,0s"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(w.state().writes().len(), writes, "{:?}", w.state().writes());
    assert_eq!(w.issues().len(), 2);
    assert_eq!(w.slack_posts().len(), 3);
    // Known down: no confirmation round this time (2 more requests, not 6).
    assert_eq!(w.health.received_requests().await.unwrap().len(), 8);
    // --fail-on down fails the step, and says why.
    let (_, err, code) = w.check(&["--confirm", "none", "--fail-on", "down"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("web is down") && err.contains("--fail-on down"),
        "{err}"
    );
    w.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flapping_writes_nothing() {
    let w = World::new().await;
    w.config(&[("web", "/flap", true, 1000)]);
    let (v, err, code) = w.check(&["--confirm", "0s,0s"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(status_of(&v, "web")["status"], "up");
    assert_eq!(
        w.flap.0.load(Ordering::SeqCst),
        2,
        "failed once, passed on the first retry"
    );
    assert!(w.state().writes().is_empty());
    assert!(w.slack_posts().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovery_comments_and_closes_state_changes_comment() {
    let w = World::new().await;
    w.config(&[("web", "/switch", false, 200)]);
    w.switch.0.store(1, Ordering::SeqCst);
    w.check(&["--confirm", "0s"]);
    assert_eq!(w.issues().len(), 1);
    // Down → degraded: a comment on the same issue.
    w.switch.0.store(2, Ordering::SeqCst);
    let (v, _, _) = w.check(&["--confirm", "0s"]);
    assert_eq!(status_of(&v, "web")["status"], "degraded");
    {
        let issues = w.issues();
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].comments.len(), 1);
        assert!(
            issues[0].comments[0]
                .body
                .starts_with("web is now degraded (was down).")
        );
    }
    // Degraded again: nothing.
    w.check(&["--confirm", "0s"]);
    assert_eq!(w.issues()[0].comments.len(), 1);
    // Up: comment + close.
    w.switch.0.store(0, Ordering::SeqCst);
    let (_, err, code) = w.check(&["--confirm", "0s"]);
    assert_eq!(code, 0, "{err}");
    {
        let issues = w.issues();
        let i = &issues[0];
        assert!(!i.open);
        assert_eq!(i.state_reason.as_deref(), Some("completed"));
        assert!(
            i.comments[1]
                .body
                .starts_with("Resolved: web is up again after "),
            "{}",
            i.comments[1].body
        );
        let posts = w.slack_posts();
        let last = posts.last().unwrap();
        assert_eq!(last["channel"], "#monitoring");
        assert!(last.to_string().contains("web is up again"));
    }
    // Up again: nothing.
    let writes = w.state().writes().len();
    w.check(&["--confirm", "0s"]);
    assert_eq!(w.state().writes().len(), writes);
    w.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hang_is_down_slow_is_degraded() {
    let w = World::new().await;
    w.config(&[("web", "/hang", false, 1000), ("api", "/slow", false, 100)]);
    let started = std::time::Instant::now();
    let (v, err, code) = w.check(&[
        "--confirm",
        "none",
        "--check-timeout",
        "1",
        "--no-github",
        "--no-slack",
    ]);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the checks ran concurrently, bounded by the timeout"
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(status_of(&v, "web")["status"], "down");
    assert_eq!(status_of(&v, "web")["error"], "timed out after 1 s");
    assert_eq!(status_of(&v, "web")["http_status"], Value::Null);
    assert_eq!(status_of(&v, "api")["status"], "degraded");
    assert!(
        status_of(&v, "api")["error"]
            .as_str()
            .unwrap()
            .starts_with("slow: ")
    );
    let (_, _, code) = w.check(&[
        "--confirm",
        "none",
        "--check-timeout",
        "1",
        "--no-github",
        "--no-slack",
        "--fail-on",
        "degraded",
        "--service",
        "api",
    ]);
    assert_eq!(code, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unmarked_issues_are_never_touched_and_unclear_creates_are_not_repeated() {
    let w = World::new().await;
    w.config(&[("web", "/500", false, 1000)]);
    let t0 = Utc::now() - chrono::Duration::hours(1);
    w.seed(
        "web is down",
        "Opened by hand.",
        &["incident", "status", "service:web"],
        t0,
        None,
    );
    // The first create is recorded, but answered with a 502.
    w.fake.rules(vec![once(
        At::Route("github.create_issue"),
        Act::RecordThenStatus(502),
    )]);
    let (_, err, code) = w.check(&["--confirm", "none"]);
    assert_eq!(code, 0, "{err}");
    let issues = w.issues();
    let s = w.state();
    // The hand-made issue is untouched; obsctl's own issue was created
    // once, although the first answer was a 502.
    assert_eq!(issues.len(), 2, "{:?}", s.writes());
    assert!(issues[0].open && issues[0].comments.is_empty());
    assert_eq!(
        s.seen
            .iter()
            .filter(|x| x.method == "POST" && x.path.ends_with("/issues"))
            .count(),
        1
    );
    assert!(s.seen.iter().any(|x| x.method == "GET"
        && x.path.ends_with("/issues")
        && x.param("state") == Some("open")));
}

/// Texts over GitHub's limits (issue title 256, body and comment 65,536,
/// label name 50 characters; the fake answers 422 as GitHub does) are
/// cut, the markers kept, and a re-run still finds what it wrote.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incident_texts_over_githubs_limits_are_cut_and_found_again() {
    let w = World::new().await;
    let service = "checkout-and-payments-gateway-for-the-european-union-region";
    w.config(&[(service, "/up", true, 1000)]);
    let title = format!("Checkout errors {}", "é".repeat(300));
    let message = "Payments fail *for* some. ".repeat(3000);
    let run = |args: &[&str]| {
        let out = w
            .cmd()
            .args(["--format", "json", "incident"])
            .args(args)
            .output()
            .unwrap();
        (
            String::from_utf8_lossy(&out.stderr).to_string(),
            out.status.code().unwrap(),
        )
    };
    let open = [
        "open",
        "--service",
        service,
        "--title",
        &title,
        "--message",
        &message,
    ];
    let (err, code) = run(&open);
    assert_eq!(code, 0, "{err}");
    let (err, code) = run(&open);
    assert_eq!(code, 0, "{err}");
    {
        let mut s = w.state();
        let s = s.area::<Issues>();
        assert_eq!(s.list.len(), 1, "the re-run finds the cut title");
        let issue = &s.list[0];
        assert_eq!(issue.title.chars().count(), 256);
        assert!(issue.title.ends_with('…'));
        assert!(issue.body.chars().count() <= 65_536);
        assert!(
            issue
                .body
                .contains("more characters (cut to fit GitHub's limit)")
        );
        assert!(issue.body.trim_end().ends_with("-->"), "the marker is kept");
        let label = issue
            .labels
            .iter()
            .find(|l| l.starts_with("service:"))
            .unwrap();
        assert_eq!(label.chars().count(), 50, "{label}");
        assert!(label.ends_with('…'));
        assert!(s.labels.iter().any(|l| l["name"] == label.as_str()));
    }
    let update = [
        "update",
        "1",
        "--status",
        "identified",
        "--message",
        &message,
    ];
    let (err, code) = run(&update);
    assert_eq!(code, 0, "{err}");
    let (err, code) = run(&update);
    assert_eq!(code, 0, "{err}");
    {
        let comments = w.issues()[0].comments.clone();
        assert_eq!(comments.len(), 1, "the same update is not posted twice");
        assert!(comments[0].body.chars().count() <= 65_536);
        assert!(comments[0].body.trim_end().ends_with("-->"));
    }
    w.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incident_open_update_resolve() {
    let w = World::new().await;
    w.config(&[("web", "/up", true, 1000)]);
    let run = |args: &[&str]| {
        let out = w
            .cmd()
            .args(["--format", "json", "incident"])
            .args(args)
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        (
            v,
            String::from_utf8_lossy(&out.stderr).to_string(),
            out.status.code().unwrap(),
        )
    };
    let open = [
        "open",
        "--service",
        "web",
        "--title",
        "Checkout errors",
        "--impact",
        "critical",
        "--deployment",
        "4242",
        "--message",
        "Payments fail <b>x</b>",
    ];
    let (v, err, code) = run(&open);
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["number"], 1);
    assert_eq!(v["url"], "https://github.example/acme/web/issues/1");
    assert_eq!(
        w.issues()[0].labels,
        vec!["incident", "service:web", "impact:critical"]
    );
    let output = std::fs::read_to_string(w.output_file()).unwrap();
    assert!(
        output.contains("incident_number=1")
            && output.contains("incident_url=https://github.example/acme/web/issues/1"),
        "{output}"
    );
    // The same incident again: the first is returned.
    let (v, _, code) = run(&open);
    assert_eq!((code, v["number"].as_u64()), (0, Some(1)));
    assert_eq!(w.issues().len(), 1);
    let update = [
        "update",
        "1",
        "--status",
        "identified",
        "--message",
        "A bad deploy",
    ];
    let (_, err, code) = run(&update);
    assert_eq!(code, 0, "{err}");
    run(&update);
    assert_eq!(
        w.issues()[0].comments.len(),
        1,
        "the same update is posted once"
    );
    assert!(
        w.issues()[0].comments[0]
            .body
            .starts_with("**Identified**: A bad deploy")
    );
    let (_, err, code) = run(&["resolve", "1", "--message", "Rolled back"]);
    assert_eq!(code, 0, "{err}");
    assert!(!w.issues()[0].open);
    assert_eq!(w.issues()[0].comments.len(), 2);
    let (_, _, code) = run(&["resolve", "1"]);
    assert_eq!(code, 0);
    assert_eq!(
        w.issues()[0].comments.len(),
        2,
        "resolving twice writes nothing"
    );
    // Someone else's issue is never updated.
    let n = w.seed("Something", "by hand", &["incident"], Utc::now(), None);
    let writes = w.state().writes().len();
    let (_, err, code) = run(&[
        "update",
        &n.to_string(),
        "--status",
        "monitoring",
        "--message",
        "x",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not an obsctl incident"), "{err}");
    assert_eq!(w.state().writes().len(), writes);
    // An unknown service is bad input.
    let (_, err, code) = run(&["open", "--service", "nope", "--title", "x"]);
    assert_eq!(code, 2, "{err}");
    // 403: the missing permission is named.
    w.fake.rules(
        [
            "github.create_label",
            "github.create_issue",
            "github.update_issue",
            "github.create_issue_comment",
        ]
        .map(|route| {
            always(
                At::Route(route),
                Act::status(
                    403,
                    json!({"message": "Resource not accessible by integration",
                        "documentation_url": "https://docs.github.com/rest/issues/issues#create-an-issue",
                        "status": "403"}),
                ),
            )
        })
        .to_vec(),
    );
    let (_, err, code) = run(&["open", "--service", "web", "--title", "Another"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("GitHub") && err.contains("HTTP 403") && err.contains("issues: write"),
        "{err}"
    );
    w.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_check_incident_after_a_deploy_is_a_change_failure() {
    let w = World::new().await;
    w.config(&[("web", "/500", true, 1000)]);
    let sha = w.repo.commit("src/a.rs", "fn a() {}\n", "feat: a");
    let ago = |mins: i64| {
        (Utc::now() - chrono::Duration::minutes(mins))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let node = |id: u64, mins: i64| {
        json!({"id": format!("DE_{id}"), "databaseId": id, "createdAt": ago(mins), "commitOid": sha,
        "statuses": {"totalCount": 1, "nodes": [{"state": "SUCCESS", "createdAt": ago(mins - 1)}]}})
    };
    w.state().github.gql_deployments = vec![node(2, 120), node(1, 3 * 24 * 60)];
    let (_, err, code) = w.check(&["--confirm", "none"]);
    assert_eq!(code, 0, "{err}");
    let out = w
        .cmd()
        .args([
            "--format", "json", "dora", "report", "--source", "github", "--since", "7d",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let cfr = &v["change_failure_rate"];
    assert_eq!(
        (cfr["failed"].as_u64(), cfr["total"].as_u64()),
        (Some(1), Some(2)),
        "{v:#}"
    );
}

// ---------------------------------------------------------------------------
// status build

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// A history: a closed check incident, an open declared one with updates,
/// an open degraded check incident, and a hand-made issue (ignored).
fn seed_history(w: &World) {
    let mut state = w.state();
    let s = state.area::<Issues>();
    let down = "x\n\n<!-- obsctl:incident service=web source=check state=down -->";
    let n = s.seed(
        "web is down",
        down,
        &["incident", "status", "service:web"],
        t("2026-11-20T10:00:00Z"),
        Some(t("2026-11-20T10:45:00Z")),
    );
    s.seed_comment(
        n,
        "Resolved: web is up again after 45m.\n\n<!-- obsctl:update status=resolved state=up -->",
        t("2026-11-20T10:45:00Z"),
    );
    s.seed_comment(
        n,
        "internal chatter with a secret-ish detail",
        t("2026-11-20T10:50:00Z"),
    );
    let declared = "Card payments fail for some customers <script>alert(1)</script>.\n\n<!-- obsctl:incident service=api source=declared impact=major -->";
    let n = s.seed(
        "Payments failing",
        declared,
        &["incident", "service:api", "impact:major"],
        t("2026-11-29T08:00:00Z"),
        None,
    );
    s.seed_comment(
        n,
        "**Identified**: a bad deploy; rolling back.\n\n<!-- obsctl:update status=identified -->",
        t("2026-11-29T08:20:00Z"),
    );
    let degraded = "x\n\n<!-- obsctl:incident service=search source=check state=degraded -->";
    s.seed(
        "search is degraded",
        degraded,
        &["incident", "status", "service:search"],
        t("2026-11-29T09:00:00Z"),
        None,
    );
    s.seed(
        "Hand-made incident",
        "no marker",
        &["incident"],
        t("2026-11-25T09:00:00Z"),
        None,
    );
    // Older than the window: not on the page.
    let old = "x\n\n<!-- obsctl:incident service=web source=check state=down -->";
    s.seed(
        "web is down",
        old,
        &["incident", "status", "service:web"],
        t("2026-05-01T10:00:00Z"),
        Some(t("2026-05-01T11:00:00Z")),
    );
}

fn build(w: &World, out: &Path, extra: &[&str]) -> Value {
    let checks = w.dir.path().join("checks.json");
    std::fs::write(&checks, serde_json::to_string(&json!({
        "checked_at": "2026-11-29T12:00:00Z",
        "services": [
            {"name": "web", "status": "up", "http_status": 200, "latency_ms": 35, "error": null},
            {"name": "api", "status": "up", "http_status": 200, "latency_ms": 80, "error": null},
            {"name": "search", "status": "degraded", "http_status": 200, "latency_ms": 1800, "error": "slow: 1800 ms (max 1000 ms)"},
            {"name": "billing", "status": "up", "http_status": 204, "latency_ms": 12, "error": null}
        ]
    })).unwrap()).unwrap();
    let o = w
        .cmd()
        .args(["--format", "json", "status", "build", "--out"])
        .arg(out)
        .arg("--checks")
        .arg(&checks)
        .args(["--url", "https://status.acme.example/"])
        .args(extra)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn read_tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((
                    p.strip_prefix(dir).unwrap().display().to_string(),
                    std::fs::read(&p).unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}

fn json_file(dir: &Path, rel: &str) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join(rel)).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_build_matches_statuspage_and_is_reproducible() {
    let w = World::new().await;
    w.config(&[
        ("web", "/up", true, 1000),
        ("api", "/up", false, 1000),
        ("search", "/up", false, 1000),
        ("billing", "/up", false, 1000),
    ]);
    seed_history(&w);
    let a = w.dir.path().join("site-a");
    let b = w.dir.path().join("site-b");
    let v = build(&w, &a, &[]);
    assert_eq!(v["indicator"], "major");
    build(&w, &b, &[]);
    let (ta, tb) = (read_tree(&a), read_tree(&b));
    assert_eq!(ta, tb, "the same input gives the same bytes");
    // One paginated query for the window and one for the open incidents.
    assert_eq!(
        w.state()
            .seen
            .iter()
            .filter(|s| s.path == "/graphql")
            .count(),
        4
    );
    w.assert_no_violations();

    for (file, contract) in [
        ("api/v2/status.json", "status.json"),
        ("api/v2/summary.json", "summary.json"),
        ("api/v2/components.json", "components.json"),
        ("api/v2/incidents.json", "incidents.json"),
        (
            "api/v2/incidents/unresolved.json",
            "incidents-unresolved.json",
        ),
        (
            "api/v2/scheduled-maintenances.json",
            "scheduled-maintenances.json",
        ),
    ] {
        common::assert_valid(
            &format!("statuspage/{contract}"),
            Some("response_200"),
            &json_file(&a, file),
        );
    }
    // The validator can fail.
    let mut bad = json_file(&a, "api/v2/components.json");
    bad["components"][0]["status"] = json!("down");
    assert!(!common::is_valid(
        "statuspage/components.json",
        Some("response_200"),
        &bad
    ));

    let summary = json_file(&a, "api/v2/summary.json");
    assert_eq!(
        summary["page"]["updated_at"], "2026-11-29T12:00:00Z",
        "measured up to checked_at"
    );
    assert_eq!(
        summary["status"],
        json!({"indicator": "major", "description": "Partial System Outage"})
    );
    let comp = |name: &str| {
        summary["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(comp("web"), "operational");
    assert_eq!(
        comp("api"),
        "partial_outage",
        "an open declared major incident decides it, though the check says up"
    );
    assert_eq!(comp("search"), "degraded_performance");
    let open: Vec<&str> = summary["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(open, vec!["search is degraded", "Payments failing"]);
    let incidents = json_file(&a, "api/v2/incidents.json");
    let names: Vec<&str> = incidents["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec!["search is degraded", "Payments failing", "web is down"],
        "newest first; the hand-made and the old one are not there"
    );
    let resolved = &incidents["incidents"][2];
    assert_eq!(resolved["status"], "resolved");
    assert_eq!(resolved["impact"], "critical", "web is critical");
    let bodies = resolved["incident_updates"].to_string();
    assert!(
        !bodies.contains("chatter"),
        "comments obsctl did not write stay on GitHub"
    );
    assert_eq!(
        incidents["incidents"][1]["incident_updates"][0]["status"],
        "identified"
    );
    assert_eq!(
        incidents["incidents"][1]["incident_updates"][0]["body"],
        "a bad deploy; rolling back."
    );
    let badge = json_file(&a, "badge/api.json");
    assert_eq!(
        badge,
        json!({"schemaVersion": 1, "label": "api", "message": "partial outage", "color": "orange"})
    );
    let uptime = json_file(&a, "badge/web-uptime.json");
    assert_eq!(
        uptime["message"], "99.96%",
        "45 minutes down in 90 days (the last one up to 12:00)"
    );
    let atom = std::fs::read_to_string(a.join("history.atom")).unwrap();
    assert_eq!(atom.matches("<entry>").count(), 3);
    assert!(atom.contains("&lt;script&gt;") && !atom.contains("<script>"));
    let html = std::fs::read_to_string(a.join("index.html")).unwrap();
    assert!(!html.contains("<script>alert"), "untrusted text is escaped");
    assert!(!html.contains("chatter"));

    // --now moves the reference time, never the clock.
    let c = w.dir.path().join("site-c");
    build(&w, &c, &["--now", "2026-11-29T13:00:00Z"]);
    assert_eq!(
        json_file(&c, "api/v2/status.json")["page"]["updated_at"],
        "2026-11-29T13:00:00Z"
    );

    chromium_check(&a, &["web", "api", "search", "billing"]);
}

/// Open the page in headless Chromium: the DOM shows every service and its
/// state; screenshots in light and dark at 1400 and 390 px wide are written
/// next to the page (target/status-screenshots/ too, to look at).
fn chromium_check(site: &Path, services: &[&str]) {
    let chromium = Path::new("/usr/bin/chromium");
    if !chromium.exists() {
        eprintln!(
            "NOTICE: /usr/bin/chromium is missing: the status page was not opened in a browser"
        );
        return;
    }
    let page = format!("file://{}", site.join("index.html").display());
    let profile = tempfile::tempdir().unwrap();
    let base = |extra: &[String]| {
        let mut c = std::process::Command::new(chromium);
        c.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(&page);
        c
    };
    let dom = base(&["--dump-dom".into()]).output().unwrap();
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains("Partial System Outage"), "{dom}");
    for (name, state) in services.iter().zip([
        "Operational",
        "Partial outage",
        "Degraded performance",
        "Operational",
    ]) {
        let row = dom
            .split(&format!("id=\"service-{name}\""))
            .nth(1)
            .unwrap_or_else(|| panic!("no row for {name}"));
        let row = &row[..row.find("</li>").unwrap()];
        assert!(
            row.contains(&format!(">{name}</h3>")) && row.contains(state),
            "{name}: {row}"
        );
    }
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/status-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    for (scheme, flag) in [
        ("light", "--blink-settings=preferredColorScheme=1"),
        ("dark", "--blink-settings=preferredColorScheme=0"),
    ] {
        for (w, h) in [(1400, 1800), (390, 2400)] {
            let file = shots.join(format!("status-{scheme}-{w}.png"));
            let _ = std::fs::remove_file(&file);
            let out = base(&[
                flag.into(),
                format!("--window-size={w},{h}"),
                format!("--screenshot={}", file.display()),
            ])
            .output()
            .unwrap();
            let png = std::fs::read(&file).unwrap_or_else(|_| {
                panic!("no screenshot: {}", String::from_utf8_lossy(&out.stderr))
            });
            assert!(
                png.starts_with(b"\x89PNG") && png.len() > 10_000,
                "{scheme} {w}: an empty screenshot"
            );
        }
    }
}

#[test]
fn the_issue_queries_match_githubs_schema() {
    // Without the contracts (a fresh clone) there is no schema to check against.
    let Some(schema) = graphql::schema() else {
        return;
    };
    let q = obsctl::providers::github::issues::ISSUES_QUERY;
    let errors = graphql::validate(schema, q, None);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        graphql::validate(schema, &q.replace("closedAt", "closedOn"), None).len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fake_answers_as_github_does() {
    let w = World::new().await;
    w.config(&[("web", "/up", true, 1000)]);
    for n in 0..150 {
        w.seed(&format!("i{n}"), "b", &["incident"], Utc::now(), None);
    }
    obsctl::install_crypto_provider();
    let client = reqwest::Client::new();
    let r = client
        .get(format!(
            "{}/repos/acme/web/issues?labels=incident&state=all&per_page=100",
            w.fake.uri()
        ))
        .bearer_auth(GH_TOKEN)
        .send()
        .await
        .unwrap();
    let link = r
        .headers()
        .get("link")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let body: Value = r.json().await.unwrap();
    common::assert_valid("github/list-repo-issues.json", Some("response_200"), &body);
    assert_eq!(body.as_array().unwrap().len(), 100);
    assert!(
        link.contains("rel=\"next\"") && link.contains("page=2"),
        "{link}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_exit_2_and_writes_nothing() {
    let w = World::new().await;
    w.config(&[("web", "/up", true, 1000)]);
    for args in [
        vec!["status", "check", "--confirm", "2"],
        vec!["status", "check", "--service", "nope"],
        vec!["--format", "csv", "status", "check"],
        vec!["status", "build", "--out", "x", "--now", "yesterday"],
        vec![
            "incident",
            "update",
            "1",
            "--status",
            "identified",
            "--message",
            " ",
        ],
    ] {
        let out = w.cmd().args(&args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = w
        .cmd()
        .env_remove("HEALTH_TOKEN")
        .args(["status", "check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("$HEALTH_TOKEN"));
    assert!(w.state().seen.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_checks_and_sends_nothing() {
    let w = World::new().await;
    w.config(&[("web", "/500", true, 1000)]);
    let out = w
        .cmd()
        .args(["--dry-run", "status", "check", "--confirm", "none"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("web") && text.contains("down"), "{text}");
    assert!(
        text.contains("POST") && text.contains("/repos/acme/web/issues"),
        "the issue it would open: {text}"
    );
    assert!(
        text.contains("chat.postMessage"),
        "the message it would send: {text}"
    );
    assert!(!text.contains("health-secret-value-42") && !text.contains(GH_TOKEN));
    assert!(w.state().seen.is_empty(), "nothing reached GitHub or Slack");
    assert_eq!(
        w.health.received_requests().await.unwrap().len(),
        1,
        "the check itself ran"
    );
}
