//! `obsctl deploy verify` end to end against the one fake
//! (`tests/support/`): GitHub deployments (the baseline, the deploy's Slack
//! message), Sentry deploys (the deploy's finish), Explore and sessions
//! (seeded per-release aggregates, `sentry/explore.rs`,
//! `sentry/sessions.rs`), Slack, GitHub issues. Exit codes: pass 0, fail 3,
//! inconclusive 4, could not judge 1, usage 2.
mod common;
mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::github::issues::Issues;
use support::sentry::explore::Explore;
use support::sentry::sessions::Sessions;
use support::{Act, Api, At, Dest, SENTRY_TOKEN, World, always};

const CANDIDATE: &str = "v1.1.0";
const BASELINE: &str = "v1.0.0";

fn ago(min: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::minutes(min))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// GitHub: v1.0.0 deployed 3 h ago (success), a failed v0.9.9-rc after
/// it, then v1.1.0 (this commit) 45 min ago with its Slack message in the
/// payload; Sentry: the v1.1.0 deploy to production finished 40 min ago.
fn seed_deploys(w: &World) {
    let first = w.repo.git(&["rev-parse", "v1.0.0"]);
    let mut s = w.state();
    let dep = |id: u64, sha: &str, version: &str, started: String, extra: Value| {
        let mut payload = json!({"obsctl": 1, "version": version, "started_at": started});
        for (k, v) in extra.as_object().unwrap() {
            payload[k] = v.clone();
        }
        json!({
            "id": id, "sha": sha, "ref": sha, "task": "deploy",
            "environment": "production", "original_environment": "production",
            "payload": payload, "created_at": started, "updated_at": started,
            "production_environment": true, "transient_environment": false,
        })
    };
    s.github
        .deployments
        .push(dep(2001, &first, BASELINE, ago(180), json!({})));
    s.github
        .deployments
        .push(dep(2002, &first, "v1.0.1-rc", ago(120), json!({})));
    s.github.deployments.push(dep(
        2003,
        &w.head,
        CANDIDATE,
        ago(45),
        json!({"slack_channel": "CDEPLOYMENTS", "slack_ts": "1700000000.000001",
               "messages": [{"kind": "slack_bot", "channel": "CDEPLOYMENTS", "ts": "1700000000.000001"}]}),
    ));
    let st = |state: &str, min: i64| json!({"id": min, "state": state, "created_at": ago(min)});
    s.github.statuses.insert(2001, vec![st("success", 175)]);
    s.github.statuses.insert(2002, vec![st("failure", 115)]);
    s.github
        .statuses
        .insert(2003, vec![st("in_progress", 45), st("success", 40)]);
    s.sentry.releases.insert(
        CANDIDATE.into(),
        json!({"version": CANDIDATE, "projects": ["web"]}),
    );
    s.sentry.deploys.insert(
        CANDIDATE.into(),
        vec![
            json!({"id": "1", "environment": "production", "name": null, "url": null,
                    "dateStarted": ago(45), "dateFinished": ago(40)}),
        ],
    );
}

/// Seed both releases of `project`: (count, failure rate, p95 ms) each.
fn seed_spans(w: &World, project: &str, base: (u64, f64, f64), cand: (u64, f64, f64)) {
    let mut s = w.state();
    let e = s.area::<Explore>();
    e.spans(project, BASELINE, base.0, base.1, base.2);
    e.spans(project, CANDIDATE, cand.0, cand.1, cand.2);
}

fn seed_sessions(w: &World, project: &str, base: f64, cand: f64) {
    let mut s = w.state();
    let h = s.area::<Sessions>();
    h.seed(project, BASELINE, base);
    h.seed(project, CANDIDATE, cand);
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    json: Value,
}

fn verify(w: &World, extra: &[&str], env: &[(&str, String)]) -> Run {
    let mut cmd = w.cmd();
    for (k, v) in w.actions_env() {
        cmd.env(k, v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(["deploy", "verify", "--environment", "production"]);
    if !extra.contains(&"--format") {
        cmd.args(["--format", "json"]);
    }
    cmd.args(extra);
    let out = cmd.output().unwrap();
    let stdout = support::stdout(&out);
    Run {
        code: out.status.code().unwrap_or(-1),
        json: serde_json::from_str(&stdout).unwrap_or(Value::Null),
        stderr: support::stderr(&out),
        stdout,
    }
}

fn check<'a>(r: &'a Run, service: &str, name: &str) -> &'a Value {
    r.json["services"]
        .as_array()
        .unwrap_or_else(|| panic!("no report: {}\n{}", r.stdout, r.stderr))
        .iter()
        .find(|s| s["service"] == service)
        .and_then(|s| {
            s["checks"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["check"] == name)
        })
        .unwrap_or_else(|| panic!("no {service}:{name} in {}", r.stdout))
}

async fn world() -> World {
    let w = World::new().await;
    seed_deploys(&w);
    w
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn error_rate_3_percent_against_0_2_exits_3_naming_the_check() {
    let w = world().await;
    seed_spans(&w, "web", (5000, 0.002, 300.0), (5000, 0.03, 300.0));
    let r = verify(&w, &[], &w.notify_env(Dest::SlackBot));
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.json["verdict"], "fail");
    assert_eq!(r.json["baseline"], BASELINE, "the failed rc is skipped");
    assert_eq!(r.json["baseline_source"], "github");
    assert_eq!(r.json["failed_checks"], json!(["web:error-rate"]));
    let e = check(&r, "web", "error-rate");
    assert_eq!(e["candidate"], json!({"value": 0.03, "unit": "ratio"}));
    assert_eq!(e["baseline"], json!({"value": 0.002, "unit": "ratio"}));
    let outputs = support::read(&w.output_file());
    assert!(
        outputs.contains("verdict<<") || outputs.contains("verdict="),
        "{outputs}"
    );
    assert!(outputs.contains("fail"), "{outputs}");
    assert!(outputs.contains("web:error-rate"), "{outputs}");
    let summary = support::read(&w.summary_file());
    assert!(
        summary.contains("| web | error-rate | 0.2 % | 3 % |"),
        "{summary}"
    );
    // The message: a reply in the deploy's thread, and #incidents (the
    // bodies as sent; the fake also checks each against Block Kit).
    let s = w.state();
    let posts: Vec<&Value> = s
        .slack
        .accepted
        .iter()
        .filter(|p| p["_method"] == "chat.postMessage")
        .collect();
    let reply = posts
        .iter()
        .find(|p| p["thread_ts"] == "1700000000.000001")
        .expect("a thread reply under the deploy message");
    assert_eq!(reply["channel"], "CDEPLOYMENTS");
    assert!(
        posts.iter().any(|p| p["channel"] == "#incidents"),
        "{posts:?}"
    );
    for p in &posts {
        // Over JSON, blocks and attachments travel as arrays; the spec
        // declares the form encoding (JSON strings).
        let mut form = (*p).clone();
        for k in ["blocks", "attachments"] {
            if let Some(v) = form.get(k).cloned() {
                form[k] = Value::String(v.to_string());
            }
        }
        for k in ["_method", "_channel", "_ts"] {
            form.as_object_mut().unwrap().remove(k);
        }
        common::assert_valid("slack/chat.postMessage.json", Some("request"), &form);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn equal_releases_pass_and_no_sessions_does_not_block() {
    let w = world().await;
    seed_spans(&w, "web", (5000, 0.002, 300.0), (5000, 0.002, 300.0));
    let r = verify(&w, &[], &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.json["verdict"], "pass");
    let cf = check(&r, "web", "crash-free-sessions");
    assert_eq!(cf["result"], "inconclusive");
    assert_eq!(cf["reason"], "no-sessions");
    assert_eq!(
        check(&r, "web", "throughput")["candidate"]["unit"],
        "per_minute"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn crash_free_drop_fails_when_sessions_exist() {
    let w = world().await;
    seed_spans(&w, "web", (5000, 0.002, 300.0), (5000, 0.002, 300.0));
    seed_sessions(&w, "web", 0.998, 0.990);
    let r = verify(&w, &[], &[]);
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.json["failed_checks"], json!(["web:crash-free-sessions"]));
    let cf = check(&r, "web", "crash-free-sessions");
    assert_eq!(
        cf["limits"][0]["limit"],
        json!({"value": 0.5, "unit": "percentage_points"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_transactions_exit_4_unless_mapped() {
    let w = world().await;
    seed_spans(&w, "web", (40, 0.0, 100.0), (40, 0.0, 100.0));
    let r = verify(&w, &[], &[]);
    assert_eq!(r.code, 4, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.json["verdict"], "inconclusive");
    assert_eq!(check(&r, "web", "error-rate")["reason"], "low-traffic");
    let r = verify(&w, &["--inconclusive", "pass"], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.json["verdict"], "inconclusive",
        "the verdict itself stays"
    );
    let r = verify(&w, &["--inconclusive", "fail"], &[]);
    assert_eq!(r.code, 3, "{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn p95_1400_against_900_exits_3() {
    let w = world().await;
    seed_spans(&w, "web", (5000, 0.001, 900.0), (5000, 0.001, 1400.0));
    let r = verify(&w, &["--format", "text"], &[]);
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("p95-latency"), "{}", r.stdout);
    assert!(r.stdout.contains("1,400 ms"), "{}", r.stdout);
    assert!(r.stdout.contains("FAIL"), "{}", r.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sentry_500_is_retried_then_exit_1() {
    let w = world().await;
    seed_spans(&w, "web", (5000, 0.002, 300.0), (5000, 0.002, 300.0));
    // The deploy lookup (the first Sentry request) passes; every Explore
    // and sessions answer is a 500.
    w.rules(vec![
        always(
            At::Api(Api::Sentry),
            Act::status(500, json!({"detail": "Internal Error"})),
        )
        .after(1),
    ]);
    let r = verify(&w, &[], &[]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("Sentry"), "{}", r.stderr);
    let s = w.state();
    let explore = s
        .seen
        .iter()
        .filter(|x| x.path.ends_with("/events/"))
        .count();
    assert!(explore >= 2, "retried: {explore} Explore requests");
    assert!(
        r.stderr.contains("HTTP 500") || r.stderr.contains("500"),
        "{}",
        r.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_explore_and_one_sessions_request_per_service_sent_concurrently() {
    let w = world().await;
    std::fs::write(
        w.repo.path().join("obsctl.toml"),
        "[[service]]\nname = \"web\"\n\n[[service]]\nname = \"api\"\nsentry_project = \"api\"\n[service.slo]\np95_ms_max = 2000\n",
    )
    .unwrap();
    seed_spans(&w, "web", (5000, 0.002, 300.0), (5000, 0.002, 300.0));
    seed_spans(&w, "api", (5000, 0.002, 900.0), (5000, 0.002, 1050.0));
    // Every Explore and sessions answer takes 0.8 s.
    let slow = Act::Delay(Duration::from_millis(800));
    w.rules(vec![
        always(At::Route("sentry.explore_events"), slow.clone()),
        always(At::Route("sentry.sessions"), slow),
    ]);
    let r = verify(&w, &[], &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    // api's SLO raises the ceiling to 2,000 ms: +17 % and under it passes.
    assert_eq!(check(&r, "api", "p95-latency")["result"], "pass");
    let s = w.state();
    let reads: Vec<&support::Seen> = s
        .seen
        .iter()
        .filter(|x| x.path.ends_with("/events/") || x.path.ends_with("/sessions/"))
        .collect();
    for project in ["web", "api"] {
        let mine: Vec<&&support::Seen> = reads
            .iter()
            .filter(|x| x.param("project") == Some(project))
            .collect();
        let explore = mine.iter().filter(|x| x.path.ends_with("/events/")).count();
        let sessions = mine
            .iter()
            .filter(|x| x.path.ends_with("/sessions/"))
            .count();
        assert_eq!((explore, sessions), (1, 1), "{project}");
        let e = mine.iter().find(|x| x.path.ends_with("/events/")).unwrap();
        assert_eq!(e.param("dataset"), Some("spans"));
        let q = e.param("query").unwrap();
        assert!(
            q.starts_with("is_transaction:true release:[v1.0.0,v1.1.0]"),
            "{q}"
        );
        let fields: Vec<&str> = e.all("field");
        assert_eq!(
            fields,
            [
                "release",
                "count(span.duration)",
                "failure_rate()",
                "p95(span.duration)",
                "epm()",
                "environment",
                "project"
            ]
        );
        let sess = mine
            .iter()
            .find(|x| x.path.ends_with("/sessions/"))
            .unwrap();
        assert_eq!(sess.param("groupBy"), Some("release"));
    }
    // Each answer takes 0.8 s: all four were in flight at once.
    let first = reads.iter().map(|x| x.at).min().unwrap();
    let last = reads.iter().map(|x| x.at).max().unwrap();
    assert!(
        last - first < Duration::from_millis(700),
        "sent sequentially: {:?} apart",
        last - first
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_fake_refuses_what_sentry_refuses() {
    let w = World::new().await;
    obsctl::install_crypto_provider();
    let client = reqwest::Client::new();
    let uri = w.uri();
    let get = |q: Vec<(&'static str, String)>| {
        let client = client.clone();
        let url = format!("{uri}/api/0/organizations/acme/events/");
        async move {
            let r = client
                .get(url)
                .bearer_auth(SENTRY_TOKEN)
                .query(&q)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let base = |dataset: &str, n: usize| {
        let mut q: Vec<(&'static str, String)> = vec![
            ("dataset", dataset.to_string()),
            ("query", "is_transaction:true".into()),
        ];
        q.extend((0..n).map(|i| ("field", format!("count_unique(tag{i})"))));
        q
    };
    // Each refusal is also a violation (what obsctl must never send).
    let refused = || {
        let v = w.fake.take_violations();
        assert!(!v.is_empty(), "not recorded as a violation");
        v.join("\n")
    };
    let (code, body) = get(base("transactions", 1)).await;
    assert_eq!(code, 400, "{body}");
    assert!(body.contains("spans"), "{body}");
    assert!(refused().contains("transactions dataset"));
    assert_eq!(get(base("metrics", 1)).await.0, 400);
    refused();
    let (code, body) = get(base("spans", 21)).await;
    assert_eq!(code, 400);
    assert!(body.contains("20 fields"), "{body}");
    refused();
    assert_eq!(
        get(vec![("dataset", "spans".into())]).await.0,
        400,
        "field is required"
    );
    assert!(refused().contains("field: this parameter is required"));
    // A valid query's answer validates against the contract.
    w.state().area::<Explore>().spans("web", "v1", 10, 0.1, 5.0);
    let (code, body) = get(vec![
        ("dataset", "spans".into()),
        ("field", "release".into()),
        ("field", "count(span.duration)".into()),
        ("query", "is_transaction:true release:[v1]".into()),
    ])
    .await;
    assert_eq!(code, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    common::assert_valid(
        "sentry/list-organization-events.json",
        Some("response_200"),
        &v,
    );
    assert_eq!(v["data"][0]["count(span.duration)"], 10);
    w.state().area::<Sessions>().seed("web", "v1", 0.99);
    let url = format!("{}/api/0/organizations/acme/sessions/", w.uri());
    let r = client
        .get(url)
        .bearer_auth(SENTRY_TOKEN)
        .query(&[
            ("field", "crash_free_rate(session)"),
            ("groupBy", "release"),
            ("query", "release:v1"),
        ])
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    common::assert_valid(
        "sentry/get-organization-sessions.json",
        Some("response_200"),
        &v,
    );
    assert_eq!(v["groups"][0]["totals"]["crash_free_rate(session)"], 0.99);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn open_incident_on_fail_once_then_closed_by_a_later_pass() {
    let w = world().await;
    seed_spans(&w, "web", (5000, 0.002, 300.0), (5000, 0.03, 300.0));
    let r = verify(&w, &["--open-incident"], &[]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    let r = verify(&w, &["--open-incident"], &[]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    {
        let mut s = w.state();
        let issues = &s.area::<Issues>().list;
        assert_eq!(issues.len(), 1, "never twice: {issues:?}");
        let i = &issues[0];
        assert_eq!(i.labels[0], "incident");
        assert!(i.title.contains("deployment 2003"), "{i:?}");
    }
    // A newer release passes: the incident is closed.
    {
        let mut s = w.state();
        s.area::<Explore>()
            .spans("web", "v1.2.0", 5000, 0.002, 300.0);
        s.sentry
            .releases
            .insert("v1.2.0".into(), json!({"version": "v1.2.0"}));
        s.sentry.deploys.insert(
            "v1.2.0".into(),
            vec![
                json!({"id": "2", "environment": "production", "name": null, "url": null,
                        "dateStarted": ago(45), "dateFinished": ago(40)}),
            ],
        );
    }
    let r = verify(
        &w,
        &[
            "--open-incident",
            "--release",
            "v1.2.0",
            "--baseline",
            BASELINE,
        ],
        &[],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(!w.state().area::<Issues>().list[0].open, "closed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mann_whitney_reads_per_minute_buckets() {
    let w = world().await;
    // +28 % p95 by the aggregates, but the buckets overlap: not significant.
    seed_spans(&w, "web", (5000, 0.002, 500.0), (5000, 0.002, 640.0));
    {
        let mut s = w.state();
        let noisy = vec![300.0, 900.0, 400.0, 800.0, 500.0, 700.0];
        let e = s.area::<Explore>();
        e.buckets.insert(
            ("web".into(), BASELINE.into()),
            (vec![0.002; 6], noisy.clone()),
        );
        e.buckets
            .insert(("web".into(), CANDIDATE.into()), (vec![0.002; 6], noisy));
    }
    let r = verify(&w, &[], &[]);
    assert_eq!(r.code, 3, "threshold method fails it: {}", r.stderr);
    let r = verify(&w, &["--method", "mann-whitney"], &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let p = check(&r, "web", "p95-latency");
    assert!(p["p_value"].as_f64().unwrap() > 0.05, "{p}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn usage_errors_exit_2_before_any_request() {
    let w = world().await;
    for args in [
        vec!["--window", "soon"],
        vec!["--window", "0m"],
        vec!["--service", "nope"],
        vec!["--baseline", CANDIDATE],
        vec!["--format", "csv"],
    ] {
        let r = verify(&w, &args, &[]);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
    }
    assert!(w.state().seen.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn wait_sleeps_until_the_window_is_complete() {
    let w = world().await;
    seed_spans(&w, "web", (5000, 0.002, 300.0), (5000, 0.002, 300.0));
    {
        // The deploy finished just now: a 3-second window with no warm-up.
        let mut s = w.state();
        s.sentry.deploys.insert(
            CANDIDATE.into(),
            vec![
                json!({"id": "1", "environment": "production", "name": null, "url": null,
                        "dateStarted": ago(1), "dateFinished": ago(0)}),
            ],
        );
    }
    let started = std::time::Instant::now();
    let r = verify(&w, &["--wait", "--window", "3s", "--warmup", "0s"], &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(r.stderr.contains("waiting"), "{}", r.stderr);
    assert!(r.json["window_minutes"].as_f64().unwrap() >= 0.049);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dry_run_plans_the_reads_and_writes_nothing() {
    let w = world().await;
    let r = verify(
        &w,
        &[
            "--dry-run",
            "--format",
            "text",
            "--baseline",
            BASELINE,
            "--open-incident",
        ],
        &w.notify_env(Dest::SlackBot),
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("dry run: nothing was sent"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("/api/0/organizations/acme/events/?dataset=spans"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("/api/0/organizations/acme/sessions/?"),
        "{}",
        r.stdout
    );
    let s = w.state();
    assert!(s.writes().is_empty(), "{:?}", s.writes());
    assert!(
        s.seen.is_empty(),
        "dry run sent {:?}",
        s.seen.iter().map(|x| &x.path).collect::<Vec<_>>()
    );
    assert!(support::read(&w.output_file()).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn text_table_shows_every_number_with_its_unit() {
    let w = world().await;
    seed_spans(&w, "web", (5000, 0.002, 900.0), (4000, 0.004, 1400.0));
    seed_sessions(&w, "web", 0.998, 0.997);
    let r = verify(&w, &["--format", "text"], &[]);
    println!("{}", r.stdout);
    assert_eq!(r.code, 3);
    for want in [
        "0.2 %",
        "0.4 %",
        "900 ms",
        "1,400 ms",
        "/min",
        "99.8 %",
        "99.7 %",
        "≤ 1,000 ms",
        "drop ≤ 0.5 pp",
    ] {
        assert!(r.stdout.contains(want), "{want}: {}", r.stdout);
    }
    let r = verify(&w, &["--format", "markdown"], &[]);
    assert!(
        r.stdout.starts_with("### Deploy verify: v1.1.0"),
        "{}",
        r.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_403_names_the_sentry_scope() {
    let w = world().await;
    seed_spans(&w, "web", (5000, 0.002, 300.0), (5000, 0.002, 300.0));
    w.rules(vec![
        always(
            At::Api(Api::Sentry),
            Act::status(
                403,
                json!({"detail": "You do not have permission to perform this action."}),
            ),
        )
        .after(1),
    ]);
    let r = verify(&w, &[], &[]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("org:read") && r.stderr.contains("event:read"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("HTTP 403"), "{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_github_the_baseline_comes_from_sentry_deploys() {
    let w = world().await;
    seed_spans(&w, "web", (5000, 0.002, 300.0), (5000, 0.002, 300.0));
    {
        let mut s = w.state();
        let rel = |v: &str, created: String| json!({"version": v, "dateCreated": created, "projects": [{"slug": "web", "name": "web"}]});
        s.sentry
            .releases
            .insert(BASELINE.into(), rel(BASELINE, ago(300)));
        s.sentry
            .releases
            .insert("v1.0.1-rc".into(), rel("v1.0.1-rc", ago(200)));
        s.sentry
            .releases
            .insert(CANDIDATE.into(), rel(CANDIDATE, ago(50)));
        let dep = |env: &str, fin: i64| {
            json!({"id": "9", "environment": env, "name": null, "url": null,
                   "dateStarted": ago(fin + 5), "dateFinished": ago(fin)})
        };
        s.sentry
            .deploys
            .insert(BASELINE.into(), vec![dep("production", 180)]);
        // Only ever deployed to staging: not the baseline of production.
        s.sentry
            .deploys
            .insert("v1.0.1-rc".into(), vec![dep("staging", 100)]);
    }
    let r = verify(&w, &["--no-github"], &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.json["baseline"], BASELINE);
    assert_eq!(r.json["baseline_source"], "sentry");
    let s = w.state();
    assert!(
        s.seen.iter().all(|x| !x.path.starts_with("/repos/")),
        "GitHub was not asked"
    );
    let list = s
        .seen
        .iter()
        .find(|x| x.path == "/api/0/organizations/acme/releases/")
        .expect("releases listed");
    assert_eq!(list.param("environment"), Some("production"));
    assert_eq!(list.param("project"), Some("web"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn naming_errors_name_the_provider_and_the_flag() {
    let w = world().await;
    // Sentry's release-version rules (verify reads Sentry): named as
    // Sentry's, on the flag given, without suggesting --no-sentry.
    for (flag, value) in [("--release", "rc/2026.11"), ("--baseline", "latest")] {
        let r = verify(&w, &[flag, value], &[]);
        assert_eq!(r.code, 2, "{flag}: {}", r.stderr);
        assert!(r.stderr.contains("Sentry: "), "{flag}: {}", r.stderr);
        assert!(r.stderr.contains(flag), "{flag}: {}", r.stderr);
        assert!(!r.stderr.contains("--no-sentry"), "{flag}: {}", r.stderr);
        assert!(!r.stderr.contains("--version"), "{flag}: {}", r.stderr);
    }
    assert!(w.state().seen.is_empty());
}
