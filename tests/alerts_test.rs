//! `obsctl alerts test KEY` against the Sentry fake: an error-spike monitor
//! fires after a sized spike of test errors; kinds that test traffic cannot
//! trigger (and for which Sentry's public API has no test-fire) exit 1
//! saying so, sending nothing.
mod common;
mod support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::sentry::envelope::{posts as envelope_posts, received};
use support::sentry::keys::{self, KEY};
use support::sentry::monitors::{Fire, Monitors};
use support::sentry::stats::{self, Stats};
use support::{Fake, SENTRY_TOKEN as TOKEN};

const CONFIG: &str = r#"
[sentry]
org = "acme"

[[service]]
name = "web"
sentry_project = "web"
environment = "production"

[[alert]]
key = "web-error-spike"
service = "web"
kind = "error-spike"
threshold = 50
window = "5m"
severity = "critical"

[[alert]]
key = "web-p95"
service = "web"
kind = "p95-latency"
threshold = 1000
window = "5m"
severity = "warning"
"#;

fn detector(id: &str, name: &str, key: &str, latest: Value) -> Value {
    json!({
        "id": id, "projectId": "42", "name": name, "type": "metric_issue",
        "description": format!("Managed by obsctl. obsctl:key={key}"),
        "workflowIds": ["9"], "dateCreated": "2026-01-01T00:00:00Z", "dateUpdated": "2026-01-01T00:00:00Z",
        "dataSources": [], "conditionGroup": {"id": "1", "organizationId": "1", "logicType": "any", "conditions": [], "actions": []},
        "config": {"detectionType": "percent", "comparisonDelta": 3600}, "enabled": true,
        "latestGroup": latest,
    })
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    outputs: String,
    elapsed: Duration,
}

async fn run(server: &Fake, args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("obsctl.toml"), CONFIG).unwrap();
    let out = dir.path().join("out.txt");
    let dsn = keys::dsn(server, KEY);
    let mut cmd = common::obsctl();
    cmd.current_dir(dir.path())
        .env("SENTRY_AUTH_TOKEN", TOKEN)
        .env("SENTRY_URL", server.uri())
        .env("SENTRY_DSN", &dsn)
        .env("GITHUB_OUTPUT", &out)
        .env("OBSCTL_RETRY_BUDGET", "5")
        .args(["alerts", "test"])
        .args(args);
    let started = Instant::now();
    let o = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let r = Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        outputs: std::fs::read_to_string(&out).unwrap_or_default(),
        elapsed: started.elapsed(),
    };
    for text in [&r.stdout, &r.stderr, &r.outputs] {
        assert!(!text.contains(&KEY[..12]), "the DSN key leaked: {text}");
    }
    r
}

fn managed(server: &Fake, latest: Value) {
    let mut s = server.state();
    let detectors = [
        // A copy made in Sentry's UI: same description, new name: not obsctl's.
        detector(
            "6",
            "Copy of web error spike",
            "web-error-spike",
            Value::Null,
        ),
        detector(
            "7",
            "[obsctl] web: errors spike +50% in 5m",
            "web-error-spike",
            latest,
        ),
        detector("8", "[obsctl] web: p95 > 1000 ms", "web-p95", Value::Null),
    ];
    let m = s.area::<Monitors>();
    for d in detectors {
        m.put_detector("web", d);
    }
    // 2880 accepted errors a day = 10 per 5-minute window.
    s.area::<Stats>().groups = vec![stats::group("accepted", None, 2880)];
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn error_spike_monitor_fires_after_a_sized_spike() {
    let server = Fake::start().await;
    managed(&server, Value::Null);
    server.state().area::<Monitors>().fire = Some(Fire {
        errors: 7,
        delay: Duration::from_millis(500),
    });
    let r = run(
        &server,
        &[
            "web-error-spike",
            "--format",
            "json",
            "--max-latency",
            "20s",
        ],
    )
    .await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["fired"], true);
    assert_eq!(v["monitor_id"], "7", "the managed monitor, not the UI copy");
    assert_eq!(
        v["spike"]["events"], 7,
        "10 errors per window, +50 % with margin: {v}"
    );
    assert_eq!(v["accepted"], 7);
    assert!(v["time_to_fire_ms"].as_u64().unwrap() >= 500);
    assert!(
        v["issue_url"]
            .as_str()
            .unwrap()
            .ends_with("/organizations/acme/issues/2002/"),
        "{v}"
    );
    assert!(
        v["delivery"].as_str().unwrap().contains("#incidents"),
        "{v}"
    );
    assert!(r.outputs.contains("fired=true\n"), "{}", r.outputs);
    let received = received(&server);
    assert_eq!(received.len(), 7);
    assert!(
        received
            .iter()
            .all(|e| e.payload["tags"]["obsctl.alert"] == "web-error-spike")
    );
    server.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn error_spike_that_never_fires_exits_1_after_max_latency() {
    let server = Fake::start().await;
    managed(&server, Value::Null);
    let r = run(
        &server,
        &["web-error-spike", "--max-latency", "3s", "--baseline", "4"],
    )
    .await;
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("did not fire within 3 s"), "{}", r.stderr);
    assert!(
        r.elapsed >= Duration::from_secs(3) && r.elapsed < Duration::from_secs(8),
        "{:?}",
        r.elapsed
    );
    assert_eq!(received(&server).len(), 5);
    assert!(r.outputs.contains("fired=false\n"), "{}", r.outputs);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_baseline_means_no_honest_test() {
    let server = Fake::start().await;
    managed(&server, Value::Null);
    server.state().area::<Stats>().groups = vec![];
    let r = run(&server, &["web-error-spike"]).await;
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("no percent change"), "{}", r.stderr);
    assert_eq!(envelope_posts(&server), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_monitor_already_firing_is_not_tested() {
    let server = Fake::start().await;
    managed(
        &server,
        json!({"id": "55", "shortId": "WEB-55", "status": "unresolved", "lastSeen": "2026-01-01T00:00:00Z"}),
    );
    let r = run(&server, &["web-error-spike"]).await;
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("already firing") && r.stderr.contains("WEB-55"),
        "{}",
        r.stderr
    );
    assert_eq!(envelope_posts(&server), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kinds_without_a_public_test_fire_exit_1_saying_so() {
    let server = Fake::start().await;
    managed(&server, Value::Null);
    let r = run(&server, &["web-p95", "--format", "json"]).await;
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("test-fire-actions")
            && r.stderr.contains("not in Sentry's published API schema"),
        "{}",
        r.stderr
    );
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["tested"], false);
    assert_eq!(v["fired"], false);
    assert_eq!(envelope_posts(&server), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_a_managed_monitor_it_says_to_apply() {
    let server = Fake::start().await;
    managed(&server, Value::Null);
    server.state().area::<Monitors>().detectors.remove(1);
    let r = run(&server, &["web-error-spike"]).await;
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("obsctl alerts apply"), "{}", r.stderr);
    let r = run(&server, &["nope"]).await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("no [[alert]] with key"), "{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dry_run_sends_nothing() {
    let server = Fake::start().await;
    managed(&server, Value::Null);
    let r = run(&server, &["web-error-spike", "--dry-run"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("sentry_key=<redacted>"), "{}", r.stdout);
    assert!(
        r.stdout.contains("Would POST 7 envelope(s)"),
        "{}",
        r.stdout
    );
    assert_eq!(envelope_posts(&server), 0);
}
