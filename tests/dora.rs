//! `obsctl dora report` end to end: the git source on real repositories with
//! tags, the GitHub source against GraphQL fakes (pagination, request
//! counts), shallow clones, output formats, bad input, and the GraphQL
//! queries checked against GitHub's full public schema.
mod common;
mod support;

use std::collections::HashMap;
use std::path::Path;

use serde_json::{Value, json};

use common::{GitRepo, obsctl};
use obsctl::providers::github::dora::{DEPLOYMENTS_QUERY, ENVIRONMENTS_QUERY, INCIDENTS_QUERY};

const T0: i64 = 1_700_000_000; // 2023-11-14T22:13:20Z

fn iso(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// v1.0.0 (annotated, seed), v1.1.0 (lightweight), v1.2.0 (annotated), and
/// a tag that does not match `v*`.
fn tagged_repo() -> (GitRepo, Vec<String>) {
    let repo = GitRepo::new();
    repo.set_time(T0);
    let c1 = repo.commit("a.txt", "1", "first");
    repo.annotated_tag("v1.0.0", "v1.0.0"); // tagger time T0+60
    repo.set_time(T0 + 3600);
    let c2 = repo.commit("a.txt", "2", "second");
    let c3 = repo.commit("a.txt", "3", "third"); // committed T0+3660
    repo.tag("v1.1.0"); // deploy time: the commit's, T0+3660
    repo.set_time(T0 + 10_000);
    let c4 = repo.commit("a.txt", "4", "fourth");
    repo.set_time(T0 + 17_200);
    repo.annotated_tag("v1.2.0", "v1.2.0"); // tagger time T0+17200
    repo.tag("release-x");
    (repo, vec![c1, c2, c3, c4])
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

/// The output matches the documented schema (docs/dora-report.schema.json).
fn assert_schema(v: &Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/dora-report.schema.json");
    let mut schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    schema.as_object_mut().unwrap().remove("$id");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(v)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}\n{v:#}", errors.join("\n"));
}

fn run_json(args: &[&str], env: &[(&str, &str)]) -> Value {
    let mut cmd = obsctl();
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "obsctl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn git_source_end_to_end_json() {
    let (repo, c) = tagged_repo();
    let dir = tempfile::tempdir().unwrap();
    let incidents = write(
        dir.path(),
        "incidents.json",
        &json!([
            {"id": "INC-1", "created_at": iso(T0 + 4000), "resolved_at": iso(T0 + 5800)},
        ])
        .to_string(),
    );
    let path = repo.path().to_str().unwrap();
    let v = run_json(
        &[
            "-C",
            path,
            "--format",
            "json",
            "dora",
            "report",
            "--source",
            "git",
            "--since",
            "2023-11-14",
            "--until",
            "2023-11-16",
            "--incidents",
            &incidents,
        ],
        &[("GITHUB_REPOSITORY", "acme/web")],
    );
    assert_eq!(v["repository"], "acme/web");
    assert_eq!(v["environment"], "production");
    assert_eq!(v["source"], "git");
    assert_eq!(
        v["window"],
        json!({"since": "2023-11-14T00:00:00Z", "until": "2023-11-16T00:00:00Z"})
    );

    let f = &v["deployment_frequency"];
    assert_eq!(f["deployments"], 3);
    assert_eq!(f["per_day"], 1.5);
    assert_eq!(f["per_week"], 10.5);
    assert_eq!(f["band"], "elite");

    // v1.1.0: c2 60 s, c3 0 s; v1.2.0: c4 7200 s → [0, 60, 7200].
    let l = &v["lead_time"];
    assert_eq!(l["changes"], 3);
    assert_eq!(l["median_seconds"], 60.0);
    assert_eq!(l["p90_seconds"], 5772.0);
    assert_eq!(l["band"], "elite");

    let cfr = &v["change_failure_rate"];
    assert_eq!(
        (cfr["failed"].as_u64(), cfr["total"].as_u64()),
        (Some(1), Some(3))
    );
    assert!((cfr["rate"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-12);
    assert_eq!(cfr["band"], "low");

    let r = &v["recovery_time"];
    assert_eq!(r["median_seconds"], 1800.0);
    assert_eq!(
        (r["failures"].as_u64(), r["recovered"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(r["band"], "elite");

    assert_eq!(v["diagnostics"], json!({"seed_deployments": 1}));
    let rows = v["deployments"].as_array().unwrap();
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["v1.0.0", "v1.1.0", "v1.2.0"]);
    assert_eq!(rows[0]["sha"], c[0]);
    assert_eq!(rows[0]["deployed_at"], iso(T0 + 60));
    assert_eq!(rows[0]["changes"], Value::Null);
    assert_eq!(rows[1]["sha"], c[2]);
    assert_eq!(rows[1]["deployed_at"], iso(T0 + 3660));
    assert_eq!(rows[1]["status"], "success");
    assert_eq!(rows[1]["changes"], 2);
    assert_eq!(rows[1]["median_lead_time_seconds"], 30.0);
    assert_eq!(rows[1]["incidents"], 1);
    assert_eq!(rows[2]["sha"], c[3]);
    assert_eq!(rows[2]["deployed_at"], iso(T0 + 17_200));
    assert_eq!(rows[2]["changes"], 1);
    assert_eq!(rows[2]["median_lead_time_seconds"], 7200.0);
    assert!(v.get("previous").is_none());

    // The top-level keys, in order: the documented contract.
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    let mut sorted = keys.clone();
    sorted.sort();
    let mut want = vec![
        "change_failure_rate",
        "deployment_frequency",
        "deployments",
        "diagnostics",
        "environment",
        "lead_time",
        "quick_check",
        "recovery_time",
        "repository",
        "rework_rate",
        "source",
        "window",
    ];
    want.sort();
    assert_eq!(sorted, want);

    // --tag-pattern picks other tags; CSV incidents naming a deployment.
    let csv = write(
        dir.path(),
        "incidents.csv",
        &format!(
            "id,created_at,resolved_at,deployment\nI-9,{},,v1.0.0\n",
            iso(T0 + 20_000)
        ),
    );
    let v = run_json(
        &[
            "-C",
            path,
            "--format",
            "json",
            "dora",
            "report",
            "--source",
            "git",
            "--since",
            "2023-11-14",
            "--until",
            "2023-11-16",
            "--incidents",
            &csv,
        ],
        &[],
    );
    assert_eq!(v["repository"], Value::Null);
    assert_eq!(v["deployments"][0]["incidents"], 1);
    assert_eq!(v["recovery_time"]["failures"], 1);
    assert_eq!(v["recovery_time"]["recovered"], 0);
    assert_eq!(v["recovery_time"]["median_seconds"], Value::Null);
    assert_eq!(v["diagnostics"]["failures_unrecovered"], 1);
    let v = run_json(
        &[
            "-C",
            path,
            "--format",
            "json",
            "dora",
            "report",
            "--source",
            "git",
            "--tag-pattern",
            "release-*",
            "--since",
            "2023-11-14",
            "--until",
            "2023-11-16",
        ],
        &[],
    );
    assert_eq!(v["deployment_frequency"]["deployments"], 1);
    assert_eq!(v["deployments"][0]["id"], "release-x");
}

#[test]
fn empty_window_reports_nulls_and_compare_previous() {
    let (repo, _) = tagged_repo();
    let path = repo.path().to_str().unwrap();
    let v = run_json(
        &[
            "-C",
            path,
            "--format",
            "json",
            "dora",
            "report",
            "--source",
            "git",
            "--since",
            "2024-01-01",
            "--until",
            "2024-02-01",
        ],
        &[],
    );
    assert_eq!(v["deployment_frequency"]["deployments"], 0);
    assert_eq!(v["lead_time"]["median_seconds"], Value::Null);
    assert_eq!(v["lead_time"]["p90_seconds"], Value::Null);
    assert_eq!(v["lead_time"]["band"], Value::Null);
    assert_eq!(v["lead_time"]["changes"], 0);
    assert_eq!(v["change_failure_rate"]["rate"], Value::Null);
    assert_eq!(v["change_failure_rate"]["band"], Value::Null);
    assert_eq!(v["recovery_time"]["median_seconds"], Value::Null);
    assert_eq!(v["recovery_time"]["band"], Value::Null);
    assert_eq!(v["deployments"], json!([]));

    // The previous window (2023-11-12 → 2023-11-14T12:00) holds none either;
    // the one before the window 2023-11-15T12:00 → 2023-11-17 holds v1.0.0.
    let v = run_json(
        &[
            "-C",
            path,
            "--format",
            "json",
            "dora",
            "report",
            "--source",
            "git",
            "--since",
            "2023-11-15T00:00:00Z",
            "--until",
            "2023-11-16",
            "--compare-previous",
        ],
        &[],
    );
    assert_eq!(v["deployment_frequency"]["deployments"], 1);
    assert_eq!(v["previous"]["window"]["since"], "2023-11-14T00:00:00Z");
    assert_eq!(v["previous"]["deployment_frequency"]["deployments"], 2);
    assert_eq!(v["change"]["deployments"], -1);
    // v1.2.0 in the current window: its change was counted even though
    // v1.1.0 is in the previous window.
    assert_eq!(v["lead_time"]["changes"], 1);
    assert_eq!(v["change"]["lead_time_median_seconds"], 7200.0 - 30.0);
}

#[test]
fn formats_and_output_file() {
    let (repo, _) = tagged_repo();
    let path = repo.path().to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let base = [
        "-C",
        path,
        "dora",
        "report",
        "--source",
        "git",
        "--since",
        "2023-11-14",
        "--until",
        "2023-11-16",
    ];
    let run = |extra: &[&str], env: &[(&str, &str)]| {
        let mut cmd = obsctl();
        cmd.args(base).args(extra);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };

    let text = run(&["--format", "table"], &[]);
    assert!(text.contains("Deployment frequency"), "{text}");
    assert!(text.contains("elite"));
    assert!(!text.contains('\x1b'), "no colour off a terminal");

    let csv = run(&["--format", "csv"], &[]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "repository,environment,id,sha,deployed_at,status,changes,median_lead_time_seconds,incidents,recovery_seconds"
    );
    assert_eq!(lines.len(), 4);
    assert!(
        lines[2].contains(",v1.1.0,") && lines[2].contains(",success,2,30,0,"),
        "{}",
        lines[2]
    );

    let nd = run(&["--format", "ndjson"], &[]);
    let rows: Vec<Value> = nd
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[2]["id"], "v1.2.0");
    assert_eq!(rows[2]["environment"], "production");
    assert_eq!(rows[2]["changes"], 1);

    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "# before\n").unwrap();
    let md = run(
        &["--format", "markdown"],
        &[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
        ],
    );
    assert!(md.contains("| Deployment frequency |"), "{md}");
    let written = std::fs::read_to_string(&summary).unwrap();
    assert!(
        written.starts_with("# before\n") && written.contains("| Lead time for changes |"),
        "{written}"
    );

    let html_path = dir.path().join("dora.html");
    let stdout = run(
        &["--format", "html", "--output", html_path.to_str().unwrap()],
        &[],
    );
    assert_eq!(stdout, "", "--output writes to the file, not stdout");
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(html.starts_with("<!doctype html>"));
    assert_eq!(
        html.matches("<figure class=\"chart\"").count(),
        4,
        "four charts"
    );
    for external in ["src=", "href=", "http://", "https://", "@import", "<script"] {
        assert!(!html.contains(external), "self-contained: found {external}");
    }
}

#[test]
fn bad_input_exits_2() {
    let (repo, _) = tagged_repo();
    let path = repo.path().to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bad_csv = write(dir.path(), "bad.csv", "id,when\n1,2024-01-01\n");
    let bad_time = write(
        dir.path(),
        "bad2.csv",
        "id,created_at,resolved_at\n1,yesterday,\n",
    );
    let missing = dir.path().join("nope.json");
    for args in [
        vec!["--since", "2024-02-01", "--until", "2024-02-01"],
        vec!["--since", "2024-03-01", "--until", "2024-02-01"],
        vec!["--since", "last tuesday"],
        vec!["--until", "2024-02-30"],
        vec!["--incidents", missing.to_str().unwrap()],
        vec!["--incidents", &bad_csv],
        vec!["--incidents", &bad_time],
    ] {
        let out = obsctl()
            .args(["-C", path, "dora", "report", "--source", "git"])
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("error"),
            "{args:?}"
        );
    }
    // --source github without a token is a usage error too.
    let out = obsctl()
        .args(["-C", path, "dora", "report", "--source", "github"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    // Not a repository.
    let out = obsctl()
        .args([
            "-C",
            dir.path().to_str().unwrap(),
            "dora",
            "report",
            "--source",
            "git",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// The GitHub fake of `tests/support/` with these GraphQL nodes (newest
/// first): 100 a page, cursors are offsets; every query is checked against
/// GitHub's schema on receipt.
async fn github_fake(deployments: Vec<Value>, issues: Vec<Value>) -> support::Fake {
    let fake = support::Fake::start().await;
    {
        let mut s = fake.state();
        s.github.gql_deployments = deployments;
        s.github.gql_issues = issues;
    }
    fake
}

/// Every GraphQL request was one of obsctl's two queries, with the
/// variables `dora report` must send.
fn assert_queries(fake: &support::Fake) {
    for r in fake.state().seen.iter() {
        assert_eq!(r.path, "/graphql");
        let query = r.body["query"].as_str().expect("query");
        let vars = &r.body["variables"];
        assert_eq!(vars["owner"], "acme");
        assert_eq!(vars["name"], "web");
        if query == DEPLOYMENTS_QUERY {
            assert_eq!(vars["environments"], json!(["production"]));
        } else if query == ENVIRONMENTS_QUERY {
            // Only when the environment had no deployments.
        } else if query == INCIDENTS_QUERY {
            assert_eq!(vars["labels"], json!(["incident"]));
            assert!(vars["since"].is_string());
        } else {
            panic!("unexpected query {query}");
        }
    }
}

fn deployment_node(n: u64, sha: &str, created: i64, statuses: &[(&str, i64)]) -> Value {
    json!({
        "id": format!("DE_{n}"),
        "databaseId": n,
        "createdAt": iso(created),
        "commitOid": sha,
        "statuses": {
            "totalCount": statuses.len(),
            // GitHub lists them newest first.
            "nodes": statuses.iter().rev().map(|(s, t)| json!({"state": s, "createdAt": iso(*t)})).collect::<Vec<_>>(),
        }
    })
}

fn github_env(fake: &support::Fake) -> Vec<(&'static str, String)> {
    let mut env = fake.github_env();
    env.push(("OBSCTL_RETRY_BUDGET", "2".into()));
    env
}

async fn run_async(
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
) -> (Option<i32>, Value, String) {
    tokio::task::spawn_blocking(move || {
        let mut cmd = obsctl();
        cmd.args(&args);
        for (k, v) in &env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let v = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        if out.status.success() {
            assert_schema(&v);
        }
        (out.status.code(), v, stderr)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn github_source_pages_deployments_and_incidents() {
    // Five commits; deployments ship them in order, many redeploys.
    let repo = GitRepo::new();
    repo.set_time(T0 - 100 * 86_400);
    let shas: Vec<String> = (0..5)
        .map(|i| repo.commit("f", &i.to_string(), &format!("c{i}")))
        .collect();
    let since = T0; // the window holds 250 deployments, one per 2 hours
    let until = T0 + 250 * 7200;
    // 400 deployments, one per 2 hours ending just before `until`, newest
    // first: 250 in the window (page 1..3), 150 before it.
    let mut nodes = Vec::new();
    let mut in_window_success = 0;
    let mut in_window_failed = 0;
    let mut success_times = Vec::new();
    for k in 0..400u64 {
        let created = until - 3600 - (k as i64) * 7200;
        let sha = &shas[((399 - k) * 5 / 400) as usize];
        let failed = k % 25 == 7;
        let statuses: Vec<(&str, i64)> = if failed {
            vec![("IN_PROGRESS", created + 10), ("FAILURE", created + 60)]
        } else {
            vec![
                ("IN_PROGRESS", created + 10),
                ("SUCCESS", created + 60),
                ("INACTIVE", created + 3000),
            ]
        };
        let at = created + 60;
        if at >= since {
            if failed {
                in_window_failed += 1;
            } else {
                in_window_success += 1;
                success_times.push(at);
            }
        }
        nodes.push(deployment_node(1000 + k, sha, created, &statuses));
    }
    assert_eq!(in_window_success + in_window_failed, 250);
    // 150 incidents in the window, on ten distinct deployments, newest first.
    success_times.sort();
    let mut issues = Vec::new();
    for i in 0..150i64 {
        let at = success_times[(i % 10 * 20) as usize] + 5 + i;
        issues.push(json!({"number": i + 1, "createdAt": iso(at), "closedAt": iso(at + 600)}));
    }
    issues.sort_by(|a, b| b["createdAt"].as_str().cmp(&a["createdAt"].as_str()));
    let server = github_fake(nodes, issues).await;

    let args: Vec<String> = [
        "-C",
        repo.path().to_str().unwrap(),
        "--format",
        "json",
        "dora",
        "report",
        "--source",
        "github",
        "--since",
        &iso(since),
        "--until",
        &iso(until),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let (code, v, stderr) = run_async(args, github_env(&server)).await;
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains(support::GH_TOKEN));
    assert_eq!(v["source"], "github");
    assert_eq!(v["repository"], "acme/web");
    assert_eq!(v["deployment_frequency"]["deployments"], in_window_success);
    assert_eq!(v["change_failure_rate"]["total"], 250);
    assert_eq!(v["change_failure_rate"]["failed"], in_window_failed + 10);
    assert_eq!(v["recovery_time"]["failures"], in_window_failed + 10);
    // Every failure recovers 2 h later (the next deployment), every incident
    // group within 10 minutes of its first incident's creation.
    assert_eq!(v["recovery_time"]["recovered"], in_window_failed + 10);
    assert_eq!(v["deployments"].as_array().unwrap().len(), 250);
    // The commits shipped in the window are those after the last one before it.
    // c2, c3, c4: the last deployment before the window shipped c1.
    assert_eq!(v["lead_time"]["changes"], 3);
    assert_eq!(
        v["diagnostics"].get("seed_deployments"),
        None,
        "the pre-window history was fetched"
    );

    // ⌈250 ÷ 100⌉ deployment pages + 2 incident pages.
    assert_queries(&server);
    let requests = server.state().seen.clone();
    let count = |q: &str| requests.iter().filter(|r| r.body["query"] == q).count();
    assert_eq!(count(DEPLOYMENTS_QUERY), 3);
    assert_eq!(count(INCIDENTS_QUERY), 2);
    assert_eq!(requests.len(), 5);
    for r in &requests {
        assert_eq!(
            r.auth.as_deref(),
            Some(format!("Bearer {}", support::GH_TOKEN).as_str())
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shallow_clone_is_reported_with_the_fix() {
    let repo = GitRepo::new();
    repo.set_time(T0);
    let c: Vec<String> = (1..=6)
        .map(|i| repo.commit("f", &i.to_string(), &format!("c{i}")))
        .collect();
    let shallow = tempfile::tempdir().unwrap();
    let clone = shallow.path().join("clone");
    let status = std::process::Command::new("git")
        .args(["clone", "-q", "--depth", "2"])
        .arg(format!("file://{}", repo.path().display()))
        .arg(&clone)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", shallow.path())
        .status()
        .unwrap();
    assert!(status.success());

    let deploy = |n: u64, sha: &str, t: i64| deployment_node(n, sha, t, &[("SUCCESS", t)]);
    let nodes = vec![
        deploy(3, &c[5], T0 + 3 * 86_400),
        deploy(2, &c[2], T0 + 2 * 86_400),
        deploy(1, &c[0], T0 + 86_400),
    ];
    let server = github_fake(nodes, vec![]).await;
    let args: Vec<String> = [
        "-C",
        clone.to_str().unwrap(),
        "--format",
        "json",
        "dora",
        "report",
        "--source",
        "github",
        "--since",
        &iso(T0),
        "--until",
        &iso(T0 + 10 * 86_400),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let (code, v, stderr) = run_async(args, github_env(&server)).await;
    assert_eq!(code, Some(0), "{stderr}");
    let d = &v["diagnostics"];
    assert_eq!(d["shallow_clone"], 1);
    assert_eq!(d["deployment_commit_not_in_clone"], 1, "{d}");
    assert_eq!(d["changes_cut_by_shallow_clone"], 1, "{d}");
    assert_eq!(d["commits_seen_in_cut_change_sets"], 2, "{d}");
    // Nothing silently wrong: no lead time from what could not be seen.
    assert_eq!(v["lead_time"]["median_seconds"], Value::Null);
    assert_eq!(v["lead_time"]["changes"], 0);
    assert_eq!(v["deployments"][2]["changes"], Value::Null);
    assert!(
        stderr.contains("shallow") && stderr.contains("fetch-depth: 0"),
        "{stderr}"
    );

    // The full clone gives the lead time.
    let args: Vec<String> = [
        "-C",
        repo.path().to_str().unwrap(),
        "--format",
        "json",
        "dora",
        "report",
        "--source",
        "github",
        "--since",
        &iso(T0),
        "--until",
        &iso(T0 + 10 * 86_400),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let (code, v, stderr) = run_async(args, github_env(&server)).await;
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(v["lead_time"]["changes"], 5);
    assert_eq!(v["diagnostics"].get("shallow_clone"), None);
    assert_queries(&server);

    // A full clone where the only earlier deployment's commit is gone (a
    // deleted branch): nothing bounds the next one, so its changes are
    // unknown rather than "all of history".
    let nodes = vec![
        deploy(3, &c[5], T0 + 3 * 86_400),
        deploy(2, &c[2], T0 + 2 * 86_400),
        deploy(1, "0123456789abcdef0123456789abcdef01234567", T0 + 86_400),
    ];
    let server = github_fake(nodes, vec![]).await;
    let args: Vec<String> = [
        "-C",
        repo.path().to_str().unwrap(),
        "--format",
        "json",
        "dora",
        "report",
        "--source",
        "github",
        "--since",
        &iso(T0),
        "--until",
        &iso(T0 + 10 * 86_400),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let (code, v, stderr) = run_async(args, github_env(&server)).await;
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        v["diagnostics"]["earlier_deployments_not_in_clone"], 1,
        "{}",
        v["diagnostics"]
    );
    assert_eq!(v["deployments"][1]["changes"], Value::Null);
    // c4..c6 after c3.
    assert_eq!(v["deployments"][2]["changes"], 3);
    assert_eq!(v["lead_time"]["changes"], 3);
    assert_queries(&server);
}

// ---------------------------------------------------------------------------
// The GraphQL queries against GitHub's full public schema (the validator is
// the GitHub fake's: tests/support/github/graphql.rs).

#[test]
fn graphql_queries_match_githubs_schema() {
    use support::github::graphql::{schema, validate};
    let Some(schema) = schema() else {
        return; // no contracts: said once by support::contract
    };
    for query in [DEPLOYMENTS_QUERY, INCIDENTS_QUERY, ENVIRONMENTS_QUERY] {
        let errors = validate(schema, query, None);
        assert!(errors.is_empty(), "{}", errors.join("\n"));
    }
    // The validator can fail.
    let bad = DEPLOYMENTS_QUERY
        .replace("commitOid", "commitSha")
        .replace("CREATED_AT", "UPDATED_AT");
    let errors = validate(schema, &bad, None);
    assert_eq!(errors.len(), 2, "{errors:?}");
    let bad = INCIDENTS_QUERY.replace("filterBy: {since: $since}", "filterBy: {after: $since}");
    assert_eq!(validate(schema, &bad, None).len(), 1);
    // A required variable that is not sent.
    let vars = json!({"owner": "acme", "environments": ["production"]});
    let errors = validate(schema, DEPLOYMENTS_QUERY, Some(&vars));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("$name"), "{errors:?}");
}

#[test]
fn the_documented_schema_can_fail() {
    let (repo, _) = tagged_repo();
    let mut v = run_json(
        &[
            "-C",
            repo.path().to_str().unwrap(),
            "--format",
            "json",
            "dora",
            "report",
            "--source",
            "git",
            "--since",
            "2023-11-14",
            "--until",
            "2023-11-16",
        ],
        &[],
    );
    v["lead_time"]["median_seconds"] = json!("60");
    assert!(std::panic::catch_unwind(|| assert_schema(&v)).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_source_and_dry_run() {
    let (repo, _) = tagged_repo();
    let path = repo.path().to_str().unwrap().to_string();
    let window = ["--since", "2023-11-14", "--until", "2023-11-16"];
    // No token: auto is git.
    let mut args: Vec<String> = ["-C", &path, "--format", "json", "dora", "report"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(window.iter().map(|s| s.to_string()));
    let (code, v, stderr) = run_async(args.clone(), vec![]).await;
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(v["source"], "git");
    assert_eq!(v["deployment_frequency"]["deployments"], 3);

    // Token and repository: auto is GitHub; --dry-run sends nothing.
    let server = github_fake(vec![], vec![]).await;
    let mut dry = args.clone();
    dry.insert(0, "--dry-run".into());
    let (code, v, stderr) = run_async(dry, github_env(&server)).await;
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(v["source"], "github");
    assert!(stderr.contains("dry run"), "{stderr}");
    assert!(!stderr.contains(support::GH_TOKEN), "{stderr}");
    assert!(server.state().seen.is_empty());

    let (code, v, stderr) = run_async(args, github_env(&server)).await;
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(v["source"], "github");
    assert_eq!(v["deployment_frequency"]["deployments"], 0);
    assert_eq!(v["deployment_frequency"]["per_day"], Value::Null);
    assert_eq!(v["diagnostics"]["no_deployments_found"], 1);
    // Deployments and incidents, then (nothing deployed) the environments.
    assert_eq!(server.state().seen.len(), 3);
    assert!(stderr.contains("has no environments at all"), "{stderr}");
    assert_queries(&server);
}

#[test]
fn git_rollback_redeploy_and_merges() {
    let repo = GitRepo::new();
    repo.set_time(T0);
    let c1 = repo.commit("f", "1", "c1");
    repo.annotated_tag("v1", "seed");
    let _c2 = repo.commit("f", "2", "c2");
    let c3 = repo.commit("f", "3", "c3");
    repo.annotated_tag("v2", "c2 c3");
    // A feature branch merged with a merge commit.
    repo.git(&["checkout", "-q", "-b", "feature"]);
    let _f1 = repo.commit("g", "1", "f1");
    repo.git(&["checkout", "-q", "main"]);
    let _c4 = repo.commit("f", "4", "c4");
    repo.git(&["merge", "-q", "--no-ff", "feature", "-m", "merge feature"]);
    repo.set_time(T0 + 3600);
    repo.annotated_tag("v3", "f1 c4 merge");
    // Roll back to v2's commit, redeploy it, then go forward.
    repo.set_time(T0 + 7200);
    repo.git(&["tag", "-a", "v4-rollback", &c3, "-m", "rollback"]);
    repo.set_time(T0 + 7300);
    repo.git(&["tag", "-a", "v5-redeploy", &c3, "-m", "redeploy"]);
    repo.set_time(T0 + 8000);
    let _c5 = repo.commit("f", "5", "c5");
    repo.set_time(T0 + 9000);
    repo.annotated_tag("v6", "c5 only");
    let v = run_json(
        &[
            "-C",
            repo.path().to_str().unwrap(),
            "--format",
            "json",
            "dora",
            "report",
            "--source",
            "git",
            "--since",
            "2023-11-14",
            "--until",
            "2023-11-16",
        ],
        &[],
    );
    let rows = v["deployments"].as_array().unwrap();
    let by_id: HashMap<&str, &Value> = rows
        .iter()
        .map(|r| (r["id"].as_str().unwrap(), r))
        .collect();
    assert_eq!(by_id["v1"]["sha"], c1);
    assert_eq!(by_id["v1"]["changes"], Value::Null, "seed");
    assert_eq!(by_id["v2"]["changes"], 2);
    assert_eq!(by_id["v3"]["changes"], 3, "f1, c4 and the merge");
    assert_eq!(by_id["v4-rollback"]["changes"], 0);
    assert_eq!(by_id["v5-redeploy"]["changes"], 0);
    assert_eq!(
        by_id["v6"]["changes"], 1,
        "the rollback does not re-ship c4, f1, merge"
    );
    assert_eq!(v["deployment_frequency"]["deployments"], 6);
    // 2 + 2 (the merge left out) + 1.
    assert_eq!(v["lead_time"]["changes"], 5);
    assert_eq!(v["diagnostics"]["merge_commits_excluded"], 1);
    assert_eq!(v["diagnostics"]["deployments_without_changes"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn github_errors_name_the_fix() {
    let (repo, _) = tagged_repo();
    let server = github_fake(vec![], vec![]).await;
    server.rules(vec![support::always(
        support::At::Route("github.graphql"),
        support::Act::status(401, json!({"message": "Bad credentials"})),
    )]);
    let args: Vec<String> = [
        "-C",
        repo.path().to_str().unwrap(),
        "dora",
        "report",
        "--source",
        "github",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let (code, _, stderr) = run_async(args.clone(), github_env(&server)).await;
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("GitHub") && stderr.contains("GITHUB_TOKEN is invalid"),
        "{stderr}"
    );
    assert!(!stderr.contains(support::GH_TOKEN), "{stderr}");

    // A repository the token cannot see: GraphQL answers 200 with null.
    let server = github_fake(vec![], vec![]).await;
    server.rules(vec![support::always(
        support::At::Route("github.graphql"),
        support::Act::status(
            200,
            json!({
                "data": {"repository": null},
                "errors": [{"type": "NOT_FOUND", "message": "Could not resolve to a Repository with the name 'acme/web'."}]
            }),
        ),
    )]);
    let (code, _, stderr) = run_async(args, github_env(&server)).await;
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("Could not resolve to a Repository"),
        "{stderr}"
    );
}

/// Deployments and incidents are fetched concurrently: with every answer
/// delayed, the run takes about one delay, not two.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployments_and_incidents_are_fetched_concurrently() {
    let (repo, shas) = tagged_repo();
    // One deployment, so that no environments query follows.
    let node = deployment_node(1, &shas[0], T0 + 60, &[("SUCCESS", T0 + 120)]);
    let server = github_fake(vec![node], vec![]).await;
    server.state().delay = Some(std::time::Duration::from_millis(1500));
    let args: Vec<String> = [
        "-C",
        repo.path().to_str().unwrap(),
        "--format",
        "json",
        "dora",
        "report",
        "--source",
        "github",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let started = std::time::Instant::now();
    let (code, _, stderr) = run_async(args, github_env(&server)).await;
    let took = started.elapsed();
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(server.state().seen.len(), 2);
    assert_queries(&server);
    assert!(
        took < std::time::Duration::from_millis(2900),
        "took {took:?}: the two queries ran one after the other"
    );
}

/// Issue 11: git tags record successes only, so without `--incidents` the
/// change failure rate and recovery time are `null` (band `null`) with the
/// reason, never "0.0 % elite".
#[test]
fn git_tags_without_incidents_have_no_failure_rate() {
    let (repo, _) = tagged_repo();
    let path = repo.path().to_str().unwrap();
    let args = [
        "-C",
        path,
        "--format",
        "json",
        "dora",
        "report",
        "--source",
        "git",
        "--since",
        "2023-11-14",
        "--until",
        "2023-11-16",
    ];
    let v = run_json(&args, &[]);
    assert_schema(&v);
    assert_eq!(v["deployment_frequency"]["deployments"], 3);
    let c = &v["change_failure_rate"];
    assert_eq!(
        (&c["rate"], &c["band"]),
        (&Value::Null, &Value::Null),
        "{c}"
    );
    let r = &v["recovery_time"];
    assert_eq!(
        (&r["median_seconds"], &r["band"]),
        (&Value::Null, &Value::Null)
    );
    assert_eq!(v["diagnostics"]["no_failure_data"], 1);
    let out = obsctl().args(&args[..2]).args(&args[4..]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("git tags record no failures: pass --incidents"),
        "{text}"
    );
    assert!(!text.contains("0.0%"), "{text}");
}

/// Issue 11: `--tag-pattern` repeats and `!GLOB` excludes (sentry-cli's
/// `*-snapshot.*` tags are no deployments), and "nothing matched" names the
/// tags that exist.
#[test]
fn tag_patterns_repeat_and_exclude() {
    let (repo, _) = tagged_repo();
    let path = repo.path().to_str().unwrap();
    let base = [
        "-C",
        path,
        "--format",
        "json",
        "dora",
        "report",
        "--source",
        "git",
        "--since",
        "2023-11-14",
        "--until",
        "2023-11-16",
    ];
    let count = |extra: &[&str]| {
        let mut args: Vec<&str> = base.to_vec();
        args.extend_from_slice(extra);
        run_json(&args, &[])["deployment_frequency"]["deployments"].clone()
    };
    assert_eq!(count(&[]), 3);
    assert_eq!(
        count(&["--tag-pattern", "v*", "--tag-pattern", "!v1.1*"]),
        2
    );
    assert_eq!(
        count(&["--tag-pattern", "v*", "--tag-pattern", "release-*"]),
        4
    );
    let out = obsctl()
        .args(base)
        .args(["--tag-pattern", "nothing-*"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no tags match \"nothing-*\""), "{err}");
    assert!(
        err.contains("4 tag(s): v1.2.0, v1.1.0, v1.0.0, release-x"),
        "{err}"
    );
    assert_eq!(err.matches("no tags match").count(), 1, "once: {err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_environment_without_deployments_names_the_environments_once_on_stderr() {
    let repo = GitRepo::new();
    repo.set_time(T0 - 10 * 86_400);
    let sha = repo.commit("f", "1", "c1");
    let created = T0 - 86_400;
    let nodes = vec![deployment_node(
        1,
        &sha,
        created,
        &[("SUCCESS", created + 60)],
    )];
    let server = github_fake(nodes, vec![]).await;
    server.state().github.gql_environments = vec!["production".into(), "staging".into()];
    let base = |env: &str| -> Vec<String> {
        [
            "-C",
            repo.path().to_str().unwrap(),
            "dora",
            "report",
            "--source",
            "github",
            "-e",
            env,
            "--since",
            &iso(T0 - 30 * 86_400),
            "--until",
            &iso(T0),
        ]
        .map(String::from)
        .to_vec()
    };
    // Text output: the warning is on stderr, once, naming what exists.
    let env = github_env(&server);
    let (code, out, err) = tokio::task::spawn_blocking({
        let args = base("prod");
        let env = env.clone();
        move || {
            let mut cmd = obsctl();
            cmd.args(&args);
            for (k, v) in &env {
                cmd.env(k, v);
            }
            let out = cmd.output().unwrap();
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        }
    })
    .await
    .unwrap();
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        err.matches("no deployments to the environment").count(),
        1,
        "once: {err}"
    );
    assert!(err.contains("\"prod\""), "{err}");
    assert!(err.contains("\"production\", \"staging\""), "{err}");
    assert!(!out.contains("no deployments to the environment"), "{out}");
    let asked_envs = |from: usize| {
        server.state().seen[from..]
            .iter()
            .filter(|r| r.body["query"].as_str() == Some(ENVIRONMENTS_QUERY))
            .count()
    };
    assert_eq!(asked_envs(0), 1);
    // An environment with deployments asks nothing more.
    let before = server.state().seen.len();
    let mut args = base("production");
    args.extend(["--format", "json"].map(String::from));
    let (code, v, err) = run_async(args, env).await;
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(v["deployment_frequency"]["deployments"], 1, "{v}");
    assert!(!err.contains("no deployments"), "{err}");
    assert_eq!(asked_envs(before), 0);
}

/// `obsctl report` says the same in its delivery note.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_names_the_environments_when_its_environment_has_no_deployments() {
    let repo = GitRepo::new();
    repo.set_time(T0 - 10 * 86_400);
    repo.commit("f", "1", "c1");
    std::fs::write(
        repo.path().join("obsctl.toml"),
        "[[service]]\nname = \"web\"\nsentry_project = \"web\"\nenvironment = \"prod\"\n",
    )
    .unwrap();
    let server = github_fake(vec![], vec![]).await;
    server.state().github.gql_environments = vec!["production".into(), "staging".into()];
    let args: Vec<String> = [
        "-C",
        repo.path().to_str().unwrap(),
        "report",
        "--dora-source",
        "github",
        "--format",
        "json",
        "--since",
        &iso(T0 - 30 * 86_400),
        "--until",
        &iso(T0),
    ]
    .map(String::from)
    .to_vec();
    let env = github_env(&server);
    let out = tokio::task::spawn_blocking(move || {
        let mut cmd = obsctl();
        cmd.args(&args);
        for (k, v) in &env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    })
    .await
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let note = v["services"][0]["delivery"]["note"]
        .as_str()
        .unwrap_or_default();
    assert!(note.contains("\"prod\""), "{v}");
    assert!(note.contains("\"production\", \"staging\""), "{v}");
}

/// An incident naming a deployment the report does not have is attributed
/// by time, and said once on stderr, naming the deployments there are.
#[test]
fn an_incident_naming_an_unknown_deployment_is_said_once() {
    let (repo, _) = tagged_repo();
    let dir = tempfile::tempdir().unwrap();
    let incidents = write(
        dir.path(),
        "incidents.json",
        &json!([
            {"id": "INC-9", "created_at": iso(T0 + 4000), "resolved_at": iso(T0 + 5800),
             "deployment": "v9.9.9"},
        ])
        .to_string(),
    );
    let out = obsctl()
        .args([
            "-C",
            repo.path().to_str().unwrap(),
            "--format",
            "json",
            "dora",
            "report",
        ])
        .args([
            "--source",
            "git",
            "--since",
            "2023-11-14",
            "--until",
            "2023-11-16",
        ])
        .args(["--incidents", &incidents])
        .env("GITHUB_REPOSITORY", "acme/web")
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line =
        "1 incident(s) name a deployment (tag or SHA) that is not among the report's deployments";
    assert_eq!(stderr.matches(line).count(), 1, "{stderr}");
    assert!(stderr.contains("the newest are v1.2.0"), "{stderr}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["diagnostics"]["incidents_naming_unknown_deployment"], 1);
}
