//! `obsctl alerts`: lint offline; plan/apply/prune end to end against the
//! loopback Sentry alerts fake (which validates every body against the
//! contracts and answers like Sentry); pagination; 403 naming the scope;
//! `--dry-run` writing nothing; e-mail routing without Slack.

mod common;
mod support;

use std::path::Path;

use support::sentry::monitors::{self, Monitors};
use support::{Act, At, Fake, SENTRY_TOKEN as TOKEN, SLACK_TOKEN, once};

/// A read-only snapshot of what the fake holds and saw.
struct Snap {
    detectors: Vec<Value>,
    workflows: Vec<Value>,
    seen: Vec<Req>,
    writes: Vec<String>,
}

struct Req {
    method: String,
    path: String,
    cursor: Option<String>,
    body: Value,
}

impl Snap {
    fn writes(&self) -> Vec<String> {
        self.writes.clone()
    }
}

/// The monitors/alerts view of the one fake.
trait AlertsFake {
    fn with<R>(&self, f: impl FnOnce(&Snap) -> R) -> R;
    fn seed_detector(&self, project: &str, body: Value) -> String;
    fn seed_workflow(&self, body: Value) -> String;
    fn set_scopes(&self, scopes: &[&str]);
}

impl AlertsFake for Fake {
    fn with<R>(&self, f: impl FnOnce(&Snap) -> R) -> R {
        let snap = {
            let mut s = self.state();
            let seen = s
                .seen
                .iter()
                .map(|r| Req {
                    method: r.method.clone(),
                    path: r.path.clone(),
                    cursor: r.query.get("cursor").cloned(),
                    body: r.body.clone(),
                })
                .collect();
            let writes = s.writes();
            let m = s.area::<Monitors>();
            Snap {
                detectors: m.detectors.clone(),
                workflows: m.workflows.clone(),
                seen,
                writes,
            }
        };
        f(&snap)
    }

    fn seed_detector(&self, project: &str, body: Value) -> String {
        Monitors::seed_detector(&mut self.state(), project, body)
    }

    fn seed_workflow(&self, body: Value) -> String {
        Monitors::seed_workflow(&mut self.state(), body)
    }

    fn set_scopes(&self, scopes: &[&str]) {
        self.state().area::<Monitors>().scopes = scopes.iter().map(|s| s.to_string()).collect();
    }
}
use serde_json::{Value, json};

const CONFIG: &str = r#"[sentry]
org = "acme"

[[service]]
name = "web"
sentry_project = "web"
environment = "production"
health_url = "https://web.example.com/healthz"

[[alert]]
key = "web-error-rate"
service = "web"
kind = "error-rate"
threshold = 0.01
resolve_threshold = 0.005
window = "5m"
severity = "critical"

[[alert]]
key = "web-p95"
service = "web"
kind = "p95-latency"
threshold = 1000
window = "5m"
severity = "warning"

[[alert]]
key = "web-uptime"
service = "web"
kind = "uptime"
window = "1m"
severity = "critical"
"#;

fn write_config(dir: &Path, text: &str) -> std::path::PathBuf {
    let p = dir.join("obsctl.toml");
    std::fs::write(&p, text).unwrap();
    p
}

fn cmd(fake: &Fake, config: &Path) -> assert_cmd::Command {
    let mut c = common::obsctl();
    c.env("SENTRY_AUTH_TOKEN", TOKEN)
        .env("SENTRY_URL", fake.uri())
        .env("SLACK_BOT_TOKEN", SLACK_TOKEN)
        .env("SLACK_API_URL", fake.slack_api_url())
        .env("OBSCTL_CONFIG", config)
        .env("OBSCTL_RETRY_BUDGET", "2")
        .current_dir(config.parent().unwrap());
    c
}

fn run(c: &mut assert_cmd::Command, args: &[&str]) -> (i32, String, String) {
    let out = c.args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn fake_with_slack() -> Fake {
    let fake = Fake::start().await;
    fake.state().area::<Monitors>().slack_integration();
    fake.state().slack.only_channels(&[
        ("general", "C0GENERAL1"),
        ("incidents", "C0INCIDENT"),
        ("monitoring", "C0MONITOR1"),
    ]);
    fake
}

fn plan_json(stdout: &str) -> Vec<(String, String)> {
    let v: Value = serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["key"].as_str().unwrap().to_string(),
                c["action"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn lint_lists_every_problem_with_its_place_and_needs_no_token() {
    let dir = tempfile::tempdir().unwrap();
    let bad = CONFIG
        .replace("threshold = 0.01\n", "threshold = 1\n")
        .replace("window = \"1m\"", "window = \"15m\"")
        .replace("key = \"web-p95\"", "key = \"web-error-rate\"")
        .replace(
            "service = \"web\"\nkind = \"uptime\"",
            "service = \"api\"\nkind = \"uptime\"",
        );
    let path = write_config(dir.path(), &bad);
    let out = common::obsctl()
        .args(["alerts", "lint", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let file = path.display().to_string();
    // The duplicate key at its second occurrence (line 20), the window, the unit.
    for needle in [
        format!("{file}:20:7: alert key \"web-error-rate\" is used twice"),
        format!("{file}:29:11: alert \"web-uptime\" names service \"api\""),
        format!("{file}:31:10: window \"15m\" is not an uptime check interval"),
    ] {
        assert!(err.contains(&needle), "missing {needle:?} in:\n{err}");
    }
    assert!(!err.contains("panicked"), "{err}");
    // --format json: the same problems on stdout, in the clean output's shape, exit 2.
    let out = common::obsctl()
        .args(["alerts", "lint", "--format", "json", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stdout));
    });
    assert_eq!(v["ok"], json!(false), "{v}");
    assert_eq!(v["file"], json!(file), "{v}");
    let problems = v["problems"].as_array().unwrap();
    assert!(problems.len() >= 3, "{v}");
    assert!(
        problems.iter().any(|p| p["line"] == json!(20)
            && p["column"] == json!(7)
            && p["message"]
                .as_str()
                .unwrap()
                .contains("alert key \"web-error-rate\" is used twice")),
        "{v}"
    );
    // The file as written lints clean, without any token or network.
    write_config(dir.path(), CONFIG);
    let out = common::obsctl()
        .args(["alerts", "lint", "--format", "json", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], json!(true), "{v}");
    assert_eq!(v["problems"], json!([]), "{v}");
    common::obsctl()
        .args(["alerts", "lint", "--config"])
        .arg(&path)
        .assert()
        .success();
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_apply_change_prune_end_to_end() {
    let fake = fake_with_slack().await;
    // Clicked together in the UI: same name as obsctl's p95 monitor but no
    // marker; and a UI copy of a managed monitor (marker kept, name changed).
    let same_name = json!({
        "name": "[obsctl] web: p95 > 1s (5m)", "type": "metric_issue", "description": "by hand",
        "dataSources": [{"aggregate": "p95(span.duration)", "dataset": "events_analytics_platform",
            "eventTypes": ["trace_item_span"], "query": "", "queryType": 1, "timeWindow": 600, "environment": null}],
        "conditionGroup": {"logicType": "any", "conditions": [
            {"type": "gt", "comparison": 2000, "conditionResult": 75},
            {"type": "lte", "comparison": 2000, "conditionResult": 0}]},
        "config": {"detectionType": "static"}
    });
    let mut ui_copy = same_name.clone();
    ui_copy["name"] = json!("web: p95 > 1s (5m) (copy)");
    ui_copy["description"] = json!("Managed by obsctl\nobsctl:key=web-p95");
    let hand_made = fake.seed_detector("web", same_name);
    let copy = fake.seed_detector("web", ui_copy);
    let hand_wf = fake.seed_workflow(json!({
        "name": "Notify me", "detectorIds": [hand_made.clone()], "config": {"frequency": 30},
        "triggers": {"logicType": "any-short", "conditions": []}, "actionFilters": []
    }));
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), CONFIG);

    // lint → plan: three creates, exit 3 with --detailed-exitcode.
    cmd(&fake, &config)
        .args(["alerts", "lint"])
        .assert()
        .success();
    let (code, out, err) = run(
        &mut cmd(&fake, &config),
        &["alerts", "plan", "--detailed-exitcode", "--format", "json"],
    );
    assert_eq!(code, 3, "{err}");
    assert_eq!(
        plan_json(&out),
        [
            ("web-error-rate", "create"),
            ("web-p95", "create"),
            ("web-uptime", "create")
        ]
        .map(|(k, a)| (k.to_string(), a.to_string()))
    );
    assert!(fake.with(|s| s.writes().is_empty()), "plan wrote");
    // In Actions: the plan as a step summary, and outputs.
    let summary = dir.path().join("summary.md");
    let outputs = dir.path().join("outputs.txt");
    let (code, _, err) = run(
        cmd(&fake, &config)
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env("GITHUB_OUTPUT", &outputs),
        &["alerts", "plan"],
    );
    assert_eq!(code, 0, "{err}");
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.contains("| web-error-rate | create |"), "{md}");
    assert!(
        std::fs::read_to_string(&outputs)
            .unwrap()
            .contains("alerts_pending")
    );
    assert!(
        fake.with(|s| s
            .seen
            .iter()
            .filter(|r| r.path == "/api/conversations.list")
            .count())
            >= 3
    );

    // apply: monitors first, then their alerts; every body accepted by the fake's contract checks.
    let (code, out, err) = run(&mut cmd(&fake, &config), &["alerts", "apply"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let writes = fake.with(|s| s.writes());
    assert_eq!(writes.len(), 6, "{writes:#?}");
    assert!(
        writes[..3]
            .iter()
            .all(|w| w == "POST /api/0/organizations/acme/projects/web/detectors/"),
        "{writes:#?}"
    );
    assert!(
        writes[3..]
            .iter()
            .all(|w| w == "POST /api/0/organizations/acme/workflows/"),
        "{writes:#?}"
    );
    assert!(fake.state().violations.is_empty());
    // The fake's own answers have Sentry's documented shape.
    fake.with(|s| {
        let dets: Vec<Value> = s
            .detectors
            .iter()
            .map(|d| {
                let mut d = d.clone();
                d.as_object_mut().unwrap().remove("_project");
                d
            })
            .collect();
        let v = common::contract::errors(
            "sentry/list-organization-detectors.json",
            Some("response_200"),
            &json!(dets),
        );
        assert!(v.is_empty(), "{v:#?}");
        let v = common::contract::errors(
            "sentry/list-organization-workflows.json",
            Some("response_200"),
            &json!(s.workflows),
        );
        assert!(v.is_empty(), "{v:#?}");
    });
    fake.with(|s| {
        let wf = s
            .workflows
            .iter()
            .find(|w| {
                w["name"]
                    .as_str()
                    .unwrap()
                    .ends_with("obsctl:key=web-error-rate")
            })
            .unwrap();
        let targets: Vec<&str> = wf["actionFilters"][0]["actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["config"]["targetIdentifier"].as_str().unwrap())
            .collect();
        assert_eq!(targets.len(), 2);
        assert!(
            targets.contains(&"C0INCIDENT") && targets.contains(&"C0MONITOR1"),
            "{targets:?}"
        );
        let det = s
            .detectors
            .iter()
            .find(|d| {
                d["description"]
                    .as_str()
                    .unwrap_or("")
                    .ends_with("obsctl:key=web-error-rate")
            })
            .unwrap();
        assert_eq!(wf["detectorIds"], json!([det["id"]]));
        for w in &s.seen {
            if w.method == "POST" && w.path.ends_with("/workflows/") {
                common::assert_valid("sentry/workflow-request.derived.json", None, &w.body);
            }
        }
    });

    // plan shows nothing; a second apply sends no write.
    let (code, out, err) = run(
        &mut cmd(&fake, &config),
        &["alerts", "plan", "--detailed-exitcode", "--format", "json"],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        plan_json(&out).iter().all(|(_, a)| a == "unchanged"),
        "{out}"
    );
    // Pagination: 2 per page, 5 monitors and 4 alerts → every page was read.
    for (list, last) in [("/detectors/", "0:4:0"), ("/workflows/", "0:2:0")] {
        assert!(
            fake.with(|s| s
                .seen
                .iter()
                .any(|r| r.path.ends_with(list) && r.cursor.as_deref() == Some(last))),
            "{list}: the last page was not read"
        );
    }
    let before = fake.with(|s| s.writes().len());
    let (code, out, _) = run(&mut cmd(&fake, &config), &["alerts", "apply"]);
    assert_eq!(code, 0);
    assert!(out.contains("in sync"), "{out}");
    assert_eq!(fake.with(|s| s.writes().len()), before);

    // A threshold change: exactly one update.
    write_config(
        dir.path(),
        &CONFIG.replace("threshold = 1000", "threshold = 1500"),
    );
    let (code, out, _) = run(&mut cmd(&fake, &config), &["alerts", "plan"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("~ web-p95") && out.contains("monitor.conditions[0].comparison: 1000 → 1500"),
        "{out}"
    );
    run(&mut cmd(&fake, &config), &["alerts", "apply"]);
    let new_writes: Vec<String> = fake.with(|s| s.writes()[before..].to_vec());
    assert_eq!(new_writes.len(), 1, "{new_writes:#?}");
    assert!(new_writes[0].starts_with("PUT /api/0/organizations/acme/detectors/"));

    // Remove an alert; without --prune nothing is deleted, with it exactly one monitor and its alert.
    let without_p95 = CONFIG.replace("threshold = 1000", "threshold = 1500");
    let cut_start = without_p95.find("[[alert]]\nkey = \"web-p95\"").unwrap();
    let cut_end = without_p95.find("[[alert]]\nkey = \"web-uptime\"").unwrap();
    write_config(
        dir.path(),
        &format!("{}{}", &without_p95[..cut_start], &without_p95[cut_end..]),
    );
    let before = fake.with(|s| s.writes().len());
    let (code, _, err) = run(&mut cmd(&fake, &config), &["alerts", "apply"]);
    assert_eq!(code, 0);
    assert!(err.contains("--prune"), "{err}");
    assert_eq!(fake.with(|s| s.writes().len()), before);
    let (code, out, err) = run(&mut cmd(&fake, &config), &["alerts", "apply", "--prune"]);
    assert_eq!(code, 0, "{out}{err}");
    let new_writes: Vec<String> = fake.with(|s| s.writes()[before..].to_vec());
    assert_eq!(new_writes.len(), 2, "{new_writes:#?}");
    assert!(new_writes[0].starts_with("DELETE /api/0/organizations/acme/workflows/"));
    assert!(new_writes[1].starts_with("DELETE /api/0/organizations/acme/detectors/"));
    fake.with(|s| {
        // The hand-made monitor with the same name, the UI copy and the hand-made alert survive.
        for id in [&hand_made, &copy] {
            assert!(
                s.detectors.iter().any(|d| d["id"] == **id),
                "monitor {id} was deleted"
            );
        }
        assert!(s.workflows.iter().any(|w| w["id"] == *hand_wf));
        assert!(
            s.seen
                .iter()
                .all(|r| !r.path.contains(&format!("/{hand_made}/"))
                    && !r.path.contains(&format!("/{copy}/")))
        );
        assert_eq!(s.detectors.len(), 4);
        assert_eq!(s.workflows.len(), 3);
    });
    let (code, _, _) = run(
        &mut cmd(&fake, &config),
        &["alerts", "plan", "--prune", "--detailed-exitcode"],
    );
    assert_eq!(code, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_prints_the_writes_and_sends_none() {
    let fake = fake_with_slack().await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), CONFIG);
    let (code, out, err) = run(&mut cmd(&fake, &config), &["alerts", "apply", "--dry-run"]);
    assert_eq!(code, 0, "{err}");
    assert!(fake.with(|s| s.writes().is_empty()));
    assert_eq!(out.matches("POST ").count(), 6, "{out}");
    assert!(out.contains("\"aggregate\": \"failure_rate()\""), "{out}");
    assert!(!out.contains(TOKEN) && !err.contains(TOKEN) && !out.contains(SLACK_TOKEN));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_403_names_the_missing_scope() {
    let fake = fake_with_slack().await;
    fake.set_scopes(&["alerts:read", "org:read"]);
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), CONFIG);
    let (code, _, err) = run(&mut cmd(&fake, &config), &["alerts", "apply"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("HTTP 403") && err.contains("`alerts:write`"),
        "{err}"
    );
    fake.set_scopes(&["org:read"]);
    let (code, _, err) = run(&mut cmd(&fake, &config), &["alerts", "plan"]);
    assert_eq!(code, 1);
    assert!(err.contains("`alerts:read`"), "{err}");
    assert!(!err.contains(TOKEN));
}

#[tokio::test(flavor = "multi_thread")]
async fn without_slack_alerts_email_the_project_team_with_a_warning() {
    let fake = Fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), CONFIG);
    let (code, _, err) = run(&mut cmd(&fake, &config), &["alerts", "apply"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("no active Slack integration"), "{err}");
    fake.with(|s| {
        assert_eq!(s.workflows.len(), 3);
        for w in &s.workflows {
            let a = &w["actionFilters"][0]["actions"][0];
            assert_eq!(a["type"], "email");
            assert_eq!(a["config"]["targetIdentifier"], "456");
        }
    });
}

#[tokio::test(flavor = "multi_thread")]
async fn import_prints_alerts_that_lint_clean() {
    let fake = Fake::start().await;
    fake.seed_detector("web", json!({
        "name": "Checkout slow", "type": "metric_issue", "description": null,
        "dataSources": [{"aggregate": "p95(transaction.duration)", "dataset": "events_analytics_platform",
            "eventTypes": ["trace_item_span"], "query": "", "queryType": 1, "timeWindow": 900, "environment": "production"}],
        "conditionGroup": {"logicType": "any", "conditions": [
            {"type": "gt", "comparison": 1200.0, "conditionResult": 50},
            {"type": "lte", "comparison": 1200, "conditionResult": 0}]},
        "config": {"detectionType": "static"}
    }));
    let dir = tempfile::tempdir().unwrap();
    let base = "[sentry]\norg = \"acme\"\n\n[[service]]\nname = \"web\"\n";
    let config = write_config(dir.path(), base);
    let (code, out, err) = run(&mut cmd(&fake, &config), &["alerts", "import"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("key = \"checkout-slow\"")
            && out.contains("threshold = 1200")
            && out.contains("window = \"15m\""),
        "{out}"
    );
    write_config(dir.path(), &format!("{base}\n{out}"));
    cmd(&fake, &config)
        .args(["alerts", "lint"])
        .assert()
        .success();
}

#[test]
fn fake_rejects_what_sentry_rejects() {
    if !common::contract::available() {
        eprintln!(
            "skipped: the contracts (../shared/contracts, OBSCTL_CONTRACTS_DIR) are not there"
        );
        return;
    }
    // The contract's own invalid examples (minute windows, no resolve
    // condition, four conditions, …) are refused; its valid ones accepted.
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(
            common::contract::dir()
                .expect("contracts")
                .join("sentry/metric-detector-request.derived.json"),
        )
        .unwrap(),
    )
    .unwrap();
    for (name, ex) in schema["x-invalid-examples"].as_object().unwrap() {
        assert!(
            !monitors::detector_problems(&ex["value"], false).is_empty(),
            "accepted invalid {name}"
        );
    }
    for (name, ex) in schema["x-examples"].as_object().unwrap() {
        let p = monitors::detector_problems(&ex["value"], false);
        assert!(p.is_empty(), "rejected valid {name}: {p:?}");
    }
    let mut unknown = schema["x-examples"]["p95-latency-over-1s"]["value"].clone();
    unknown["dataSources"][0]["dataset"] = json!("spans");
    assert!(!monitors::detector_problems(&unknown, false).is_empty());
    unknown["dataSources"][0]["dataset"] = json!("transactions");
    assert!(!monitors::detector_problems(&unknown, false).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_create_with_a_lost_answer_is_looked_up_not_repeated() {
    let fake = fake_with_slack().await;
    fake.rules(vec![once(
        At::Route("sentry.create_detector"),
        Act::RecordThenStatus(502),
    )]);
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), CONFIG);
    let (code, out, err) = run(&mut cmd(&fake, &config), &["alerts", "apply"]);
    assert_eq!(code, 0, "{out}{err}");
    fake.with(|s| {
        assert_eq!(s.detectors.len(), 3, "a monitor was duplicated");
        let posts = s
            .seen
            .iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("/detectors/"))
            .count();
        assert_eq!(posts, 3, "a create was repeated blindly");
        assert_eq!(s.workflows.len(), 3);
        // The alert of the monitor whose answer was lost references it.
        for w in &s.workflows {
            let id = &w["detectorIds"][0];
            assert!(s.detectors.iter().any(|d| d["id"] == *id), "{w}");
        }
    });
    let (code, _, _) = run(
        &mut cmd(&fake, &config),
        &["alerts", "plan", "--detailed-exitcode"],
    );
    assert_eq!(code, 0);
}

#[test]
fn an_alert_typo_stops_only_the_commands_that_read_alerts() {
    let repo = common::GitRepo::new();
    repo.commit("a.txt", "a", "feat: a");
    let bad = CONFIG.replace("kind = \"p95-latency\"", "kind = \"p95-latncy\"");
    let path = write_config(repo.path(), &bad);
    let file = path.display().to_string();
    let run_in = |args: &[&str]| {
        let out = common::obsctl()
            .env_remove("GITHUB_TOKEN")
            .env_remove("SENTRY_AUTH_TOKEN")
            .arg("-C")
            .arg(repo.path())
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // Commands that do not read the alerts: one warning line, and on.
    for args in [
        &["dora", "report", "--source", "git"][..],
        &[
            "deploy",
            "start",
            "-e",
            "production",
            "--no-github",
            "--no-sentry",
            "--no-slack",
        ],
    ] {
        let (code, out, err) = run_in(args);
        assert_eq!(code, 0, "{args:?}:\n{out}\n{err}");
        let warnings: Vec<&str> = err.lines().filter(|l| l.contains("p95-latncy")).collect();
        assert_eq!(warnings.len(), 1, "{args:?}: one warning:\n{err}");
        assert!(warnings[0].contains(&format!("{file}:")), "{err}");
        assert!(warnings[0].contains("obsctl alerts lint"), "{err}");
        assert!(!out.contains("p95-latncy"), "not on stdout: {out}");
    }
    // The alerts commands stop with exit 2 at the problem's place.
    for args in [&["alerts", "lint"][..], &["alerts", "plan"]] {
        let (code, _, err) = run_in(args);
        assert_eq!(code, 2, "{args:?}:\n{err}");
        assert!(err.contains("unknown kind \"p95-latncy\""), "{err}");
    }
    // What every command relies on (unique service names) still stops all.
    let twice = format!("{CONFIG}\n[[service]]\nname = \"web\"\n");
    write_config(repo.path(), &twice);
    let (code, _, err) = run_in(&["dora", "report", "--source", "git"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("defined twice"), "{err}");
}

#[test]
fn a_misspelled_alert_field_stops_only_the_commands_that_read_alerts() {
    let repo = common::GitRepo::new();
    repo.commit("a.txt", "a", "feat: a");
    let bad = CONFIG.replacen("threshold =", "treshold =", 1);
    assert_ne!(bad, CONFIG);
    let line = bad.lines().position(|l| l.starts_with("treshold")).unwrap() + 1;
    let at = format!("{}:{line}:1:", write_config(repo.path(), &bad).display());
    let run_in = |args: &[&str]| {
        let out = common::obsctl()
            .env_remove("GITHUB_TOKEN")
            .env_remove("SENTRY_AUTH_TOKEN")
            .arg("-C")
            .arg(repo.path())
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    for args in [
        &["dora", "report", "--source", "git"][..],
        &[
            "deploy",
            "start",
            "-e",
            "production",
            "--no-github",
            "--no-sentry",
            "--no-slack",
            "--dry-run",
        ],
    ] {
        let (code, out, err) = run_in(args);
        assert_eq!(code, 0, "{args:?}:\n{out}\n{err}");
        let warnings: Vec<&str> = err.lines().filter(|l| l.contains("treshold")).collect();
        assert_eq!(warnings.len(), 1, "{args:?}: one warning:\n{err}");
        assert!(warnings[0].contains(&at), "{err}");
        assert!(warnings[0].contains("obsctl alerts lint"), "{err}");
    }
    let (code, _, err) = run_in(&["alerts", "lint"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&at) && err.contains("unknown field `treshold`"),
        "{err}"
    );
}
