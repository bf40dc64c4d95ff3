//! `obsctl report` end to end: a real git repository (tags = deployments),
//! the Sentry fake answering from seeded data, the binary run as a user
//! would; the HTML opened in headless Chromium.

mod common;
mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use common::{GitRepo, obsctl};
use support::sentry::report_series::{self, Kind, Seed};
use support::{Api, Fake, SENTRY_TOKEN as TOKEN};

const D: i64 = 86_400;
/// 2025-12-20T00:00:00Z
const SINCE: i64 = 1_766_188_800;
/// 2026-01-10T00:00:00Z (21 days: the window crosses a year).
const SWITCH: i64 = SINCE + 13 * D; // 2026-01-02

fn seed(projects: &[(&str, u64, Kind)], switch_at: i64) -> Seed {
    Seed {
        projects: projects
            .iter()
            .map(|(p, i, k)| (p.to_string(), (*i, *k)))
            .collect(),
        switch_at,
    }
}

fn repo_with_tags(services: &[(&str, &str)]) -> GitRepo {
    let repo = GitRepo::new();
    repo.set_time(SINCE - 3 * D);
    repo.commit("a.txt", "1", "feat: one");
    repo.set_time(SINCE + 2 * D);
    repo.commit("b.txt", "2", "feat: two");
    repo.annotated_tag("v1.0", "v1.0");
    repo.set_time(SWITCH - 3600);
    repo.commit("c.txt", "3", "fix: three");
    repo.set_time(SWITCH);
    repo.annotated_tag("v1.1", "v1.1");
    write_config(repo.path(), services);
    repo
}

fn write_config(dir: &Path, services: &[(&str, &str)]) {
    let mut toml = String::from("[sentry]\norg = \"acme\"\n");
    for (name, project) in services {
        toml.push_str(&format!(
            "\n[[service]]\nname = \"{name}\"\nsentry_project = \"{project}\"\nenvironment = \"production\"\n"
        ));
    }
    std::fs::write(dir.join("obsctl.toml"), toml).unwrap();
}

fn iso(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

async fn run(
    dir: &Path,
    fake_url: &str,
    args: &[&str],
    extra_env: &[(&str, &str)],
) -> std::process::Output {
    let dir = dir.to_path_buf();
    let url = fake_url.to_string();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let extra: Vec<(String, String)> = extra_env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let mut cmd = obsctl();
        cmd.arg("-C").arg(&dir).args(&args);
        cmd.env("SENTRY_AUTH_TOKEN", TOKEN)
            .env("SENTRY_URL", &url)
            .env("OBSCTL_RETRY_BUDGET", "2");
        for (k, v) in &extra {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    })
    .await
    .unwrap()
}

fn approx(a: &Value, b: f64, what: &str) {
    let a = a
        .as_f64()
        .unwrap_or_else(|| panic!("{what}: {a} is not a number"));
    assert!(
        (a - b).abs() < 1e-9 * b.abs().max(1.0),
        "{what}: {a} != {b}"
    );
}

/// The Sentry fake answering from `seed`, each answer `delay` late.
async fn sentry_fake(seed: Seed, delay: Duration) -> Fake {
    let fake = Fake::start().await;
    let mut s = fake.state();
    report_series::seed(&mut s, seed);
    s.delay = (!delay.is_zero()).then_some(delay);
    drop(s);
    fake
}

/// Sentry requests per project named in the query (`*`: none named).
fn requests(fake: &Fake) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for r in fake.state().seen.iter().filter(|r| r.api == Api::Sentry) {
        let p = r
            .query
            .get("project")
            .cloned()
            .unwrap_or_else(|| "*".into());
        *counts.entry(p).or_default() += 1;
    }
    counts
}

/// Every request was to a known endpoint and met its contract (queries
/// against the parameters); every answer of the fake met its own
/// (`response_200`, checked as it answered).
fn check_contract_answers(fake: &Fake) {
    let unrouted = fake.state().unrouted.clone();
    assert!(unrouted.is_empty(), "unexpected requests: {unrouted:?}");
    fake.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_numbers_equal_the_seeded_ones_across_a_year() {
    let services = [("web", "web"), ("api", "api"), ("idle", "idle")];
    let repo = repo_with_tags(&services);
    let s = seed(
        &[
            ("web", 1, Kind::Busy),
            ("api", 2, Kind::NoSessions),
            ("idle", 3, Kind::Idle),
        ],
        SWITCH,
    );
    let fake = sentry_fake(s.clone(), Duration::ZERO).await;
    let out = run(
        repo.path(),
        &fake.uri(),
        &[
            "report",
            "--since",
            "2025-12-20",
            "--until",
            "2026-01-10",
            "--format",
            "json",
            "--dora-source",
            "git",
        ],
        &[],
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["window"]["since"], "2025-12-20T00:00:00Z");
    assert_eq!(j["window"]["bucket"], "day");
    let svc = |n: &str| {
        j["services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == n)
            .unwrap()
            .clone()
    };

    // web: every figure is the seeded one.
    let web = svc("web");
    let days: Vec<i64> = (0..21).map(|d| SINCE + d * D).collect();
    let count: f64 = days.iter().map(|t| s.count("web", *t, D)).sum();
    let fail: f64 = days
        .iter()
        .map(|t| s.count("web", *t, D) * s.failure_rate("web", *t))
        .sum::<f64>()
        / count;
    let p95: f64 = days
        .iter()
        .map(|t| s.count("web", *t, D) * s.p95("web", *t))
        .sum::<f64>()
        / count;
    let p = &web["performance"];
    assert_eq!(p["status"], "ok");
    approx(&p["totals"]["transactions_count"], count, "transactions");
    approx(
        &p["totals"]["transactions_per_day"],
        count / 21.0,
        "per day",
    );
    approx(&p["totals"]["failure_ratio"], fail, "failure ratio");
    approx(&p["totals"]["p95_ms"], p95, "p95");
    let buckets = p["buckets"].as_array().unwrap();
    assert_eq!(buckets.len(), 21);
    for (b, t) in buckets.iter().zip(&days) {
        assert_eq!(b["start"], iso(*t));
        approx(
            &b["transactions_count"],
            s.count("web", *t, D),
            "bucket count",
        );
        approx(&b["p50_ms"], s.p50("web", *t), "bucket p50");
        approx(&b["p95_ms"], s.p95("web", *t), "bucket p95");
        approx(
            &b["failure_ratio"],
            s.failure_rate("web", *t),
            "bucket failure",
        );
    }
    let rels = p["releases"].as_array().unwrap();
    assert_eq!(rels.len(), 2);
    assert_eq!(rels[0]["release"], "web@1.1");
    let newer: f64 = days
        .iter()
        .filter(|t| **t >= SWITCH)
        .map(|t| s.count("web", *t, D))
        .sum();
    approx(&rels[0]["transactions_count"], newer, "release count");
    approx(&rels[0]["p95_ms"], s.p95("web", SWITCH), "release p95");
    approx(
        &rels[0]["failure_ratio"],
        s.failure_rate("web", SWITCH),
        "release failure",
    );

    let u = &web["user_impact"];
    assert_eq!(u["status"], "ok");
    let sessions: f64 = days.iter().map(|t| s.sessions("web", *t)).sum();
    approx(&u["totals"]["sessions_count"], sessions, "sessions");
    approx(
        &u["totals"]["active_users_count"],
        s.users_total("web"),
        "users",
    );
    approx(
        &u["totals"]["crash_free_sessions_ratio"],
        0.995,
        "crash-free sessions",
    );
    approx(
        &u["totals"]["crash_free_users_ratio"],
        0.99,
        "crash-free users",
    );
    let newer_sessions: f64 = days
        .iter()
        .filter(|t| **t >= SWITCH)
        .map(|t| s.sessions("web", *t))
        .sum();
    let ur = u["releases"].as_array().unwrap();
    let r11 = ur.iter().find(|r| r["release"] == "web@1.1").unwrap();
    approx(
        &r11["adoption_ratio"],
        newer_sessions / sessions,
        "adoption",
    );
    approx(
        &r11["crash_free_sessions_ratio"],
        0.985,
        "release crash-free sessions",
    );
    approx(
        &r11["crash_free_users_ratio"],
        0.97,
        "release crash-free users",
    );
    for (b, t) in u["buckets"].as_array().unwrap().iter().zip(&days) {
        approx(&b["active_users_count"], s.users("web", *t), "daily users");
    }

    // api: no sessions, said so, never 0.
    let api = svc("api");
    assert_eq!(api["user_impact"]["status"], "no_data");
    assert!(
        api["user_impact"]["note"]
            .as_str()
            .unwrap()
            .contains("api sends no sessions")
    );
    assert!(api["user_impact"]["totals"].is_null());
    assert_eq!(api["performance"]["status"], "ok");

    // idle: no traffic: no latency or failure rate anywhere (not 0).
    let idle = svc("idle");
    assert_eq!(idle["performance"]["status"], "no_data");
    assert!(idle["performance"]["totals"].is_null());
    for b in idle["performance"]["buckets"].as_array().unwrap() {
        assert!(b["p95_ms"].is_null() && b["failure_ratio"].is_null(), "{b}");
    }

    // Delivery from git tags: two deployments, rework and Quick Check.
    let d = &web["delivery"];
    assert_eq!(d["source"], "git");
    assert_eq!(d["deployments_count"], 2);
    // Git tags record no failures: change failure, recovery and rework are unknown (null), not 0.
    assert!(
        d["rework_ratio"].is_null() && d["change_failure_ratio"].is_null(),
        "{d}"
    );
    assert!(
        d["note"].as_str().unwrap().contains("record no failures"),
        "{d}"
    );
    assert!(d["quick_check"]["scores"]["performance"].is_number(), "{d}");
    assert_eq!(d["quick_check"]["edition"], "2025");
    assert!(d["band_2023_deployment_frequency"].is_string());
    common::assert_valid("dora/quickcheck-2025.json", None, &d["quick_check"]);
    let marks: Vec<&str> = web["deploys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(marks, ["v1.0", "v1.1"]);

    // Requests: every one names its project, at most 6 per service.
    let counts = requests(&fake);
    assert!(!counts.contains_key("*"), "{counts:?}");
    for p in ["web", "api", "idle"] {
        assert!(counts[p] <= 6, "{p}: {counts:?}");
        assert_eq!(svc(p)["sentry_requests_count"].as_u64(), Some(counts[p]));
    }
    check_contract_answers(&fake);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_services_thirty_days_under_ten_seconds() {
    let names: Vec<String> = (0..30).map(|i| format!("svc{i:02}")).collect();
    let dir = tempfile::tempdir().unwrap();
    let services: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), n.as_str())).collect();
    write_config(dir.path(), &services);
    let projects: Vec<(&str, u64, Kind)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i as u64, Kind::Busy))
        .collect();
    let until = 1_793_491_200; // 2026-11-01
    let fake = sentry_fake(seed(&projects, until - 10 * D), Duration::from_millis(50)).await;
    let started = Instant::now();
    // No git repository and no GitHub token: deploy markers come from Sentry.
    let out = run(
        dir.path(),
        &fake.uri(),
        &[
            "report",
            "--since",
            "30d",
            "--until",
            "2026-11-01",
            "--format",
            "json",
        ],
        &[],
    )
    .await;
    let took = started.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(took < Duration::from_secs(10), "took {took:?}");
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["services"].as_array().unwrap().len(), 30);
    let counts = requests(&fake);
    assert!(!counts.contains_key("*"), "{counts:?}");
    for n in &names {
        assert!(counts[n] <= 6, "{n}: {}", counts[n]);
        assert_eq!(counts[n], 5, "4 queries and one releases page");
    }
    let s0 = &j["services"][0];
    assert_eq!(s0["delivery"]["status"], "unavailable");
    let marks = s0["deploys"].as_array().unwrap();
    assert_eq!(marks.len(), 2, "{marks:?}");
    assert_eq!(marks[0]["source"], "sentry");
    eprintln!(
        "30 services x 30 days: {took:?}, {} requests",
        counts.values().sum::<u64>()
    );
    check_contract_answers(&fake);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_errors_send_nothing() {
    let repo = repo_with_tags(&[("web", "web")]);
    let fake = sentry_fake(seed(&[], SWITCH), Duration::ZERO).await;
    for (args, needle) in [
        (
            vec!["report", "--format", "csv"],
            "use text or json or markdown or html",
        ),
        (vec!["report", "--service", "nope"], "services: web"),
        (vec!["report", "--benchmark", "martians"], "technology"),
        (vec!["report", "--since", "yesterday"], "--since"),
    ] {
        let out = run(repo.path(), &fake.uri(), &args, &[]).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(needle),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // A broken obsctl.toml: exit 2 naming file:line.
    std::fs::write(repo.path().join("obsctl.toml"), "[[service]]\nname = 1\n").unwrap();
    let out = run(repo.path(), &fake.uri(), &["report"], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("obsctl.toml:2:"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // No [[service]] at all.
    std::fs::write(
        repo.path().join("obsctl.toml"),
        "[sentry]\norg = \"acme\"\n",
    )
    .unwrap();
    let out = run(repo.path(), &fake.uri(), &["report"], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no [[service]]"));
    assert!(fake.state().seen.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn markdown_goes_to_the_step_summary_within_its_limit() {
    let repo = repo_with_tags(&[("web", "web"), ("api", "api")]);
    let fake = sentry_fake(
        seed(
            &[("web", 1, Kind::Busy), ("api", 2, Kind::NoSessions)],
            SWITCH,
        ),
        Duration::ZERO,
    )
    .await;
    let summary = repo.path().join("summary.md");
    let out = run(
        repo.path(),
        &fake.uri(),
        &[
            "report",
            "--since",
            "2025-12-20",
            "--until",
            "2026-01-10",
            "--format",
            "markdown",
            "--dora-source",
            "git",
        ],
        &[("GITHUB_STEP_SUMMARY", summary.to_str().unwrap())],
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.len() < 1024 * 1024);
    for needle in [
        "### web",
        "### api",
        "sends no sessions",
        "web@1.1",
        "Quick Check",
        "2023 band",
        "Deployment rework rate",
    ] {
        assert!(md.contains(needle), "{needle}");
    }
    assert!(!md.contains(TOKEN));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_sentry_the_report_says_so_and_still_has_delivery() {
    let repo = repo_with_tags(&[("web", "web")]);
    let out = tokio::task::spawn_blocking({
        let dir = repo.path().to_path_buf();
        move || {
            obsctl()
                .arg("-C")
                .arg(&dir)
                .args([
                    "report",
                    "--since",
                    "2025-12-20",
                    "--until",
                    "2026-01-10",
                    "--format",
                    "text",
                    "--dora-source",
                    "git",
                ])
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("unavailable: Sentry is not configured"),
        "{text}"
    );
    assert!(text.contains("DORA Quick Check"), "{text}");
}

// ------------------------------------------------------------ Chromium

const CHROMIUM: &str = "/usr/bin/chromium";

fn chromium(args: &[String]) -> Option<std::process::Output> {
    let profile = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new(CHROMIUM);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]);
    cmd.arg(format!("--user-data-dir={}", profile.path().display()));
    cmd.args(args);
    cmd.output().ok()
}

/// Every chart figure: axis titles and tick labels in each SVG, or "no data".
fn check_dom(dom: &str) {
    let figures: Vec<&str> = dom
        .split("<figure class=\"chart\"")
        .skip(1)
        .map(|f| &f[..f.find("</figure>").unwrap()])
        .collect();
    assert!(figures.len() >= 8, "{} charts", figures.len());
    for f in figures {
        let id = f.split('"').nth(1).unwrap_or("?");
        if f.contains("<p class=\"nodata\">") {
            assert!(f.contains("no data"), "{id}");
            continue;
        }
        let svgs: Vec<&str> = f.split("<svg").skip(1).collect();
        assert_eq!(svgs.len(), 2, "{id}: wide and narrow");
        for svg in svgs {
            let texts: Vec<&str> = svg
                .split("<text")
                .skip(1)
                .map(|t| {
                    let body = &t[t.find('>').unwrap() + 1..];
                    body[..body.find("</text>").unwrap()].trim()
                })
                .collect();
            let y_title = svg
                .split("<text")
                .skip(1)
                .any(|t| t[..t.find('>').unwrap()].contains("rotate(270"));
            assert!(y_title, "{id}: y axis title");
            assert!(
                texts
                    .iter()
                    .any(|t| t.contains("(UTC)") || t.contains(", UTC)")),
                "{id}: x axis title in {texts:?}"
            );
            assert!(texts.len() >= 6, "{id}: tick labels: {texts:?}");
            assert!(svg.contains("<title>"), "{id}: hover values");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_renders_in_chromium_at_desktop_and_phone_width() {
    let services = [("web", "web"), ("api", "api"), ("idle", "idle")];
    let repo = repo_with_tags(&services);
    let fake = sentry_fake(
        seed(
            &[
                ("web", 1, Kind::Busy),
                ("api", 2, Kind::NoSessions),
                ("idle", 3, Kind::Idle),
            ],
            SWITCH,
        ),
        Duration::ZERO,
    )
    .await;
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-html");
    std::fs::create_dir_all(&shots).unwrap();
    let html = shots.join("report.html");
    let out = run(
        repo.path(),
        &fake.uri(),
        &[
            "report",
            "--since",
            "2025-12-20",
            "--until",
            "2026-01-10",
            "--format",
            "html",
            "--dora-source",
            "git",
            "--output",
            html.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        !page.contains("<script")
            && !page.contains("http://")
            && !page.contains("https://")
            && !page.contains("@import"),
        "self-contained"
    );
    check_dom(&page);
    if !Path::new(CHROMIUM).exists() {
        eprintln!(
            "NOTICE: {CHROMIUM} is missing: the Chromium screenshots and DOM checks are skipped (apt-get install -y chromium)"
        );
        return;
    }
    let url = format!("file://{}", html.display());
    for (w, h) in [(1400, 2600), (390, 4200)] {
        let png = shots.join(format!("report-{w}.png"));
        let out = chromium(&[
            format!("--screenshot={}", png.display()),
            format!("--window-size={w},{h}"),
            url.clone(),
        ])
        .expect("chromium runs");
        assert!(
            png.exists(),
            "screenshot at {w}px: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        eprintln!("screenshot: {}", png.display());
    }
    let dom = chromium(&["--dump-dom".into(), url]).expect("chromium runs");
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains("svc-web"), "DOM dumped");
    check_dom(&dom);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_windows_are_per_hour() {
    let repo = repo_with_tags(&[("web", "web")]);
    let s = seed(&[("web", 1, Kind::Busy)], SWITCH);
    let fake = sentry_fake(s.clone(), Duration::ZERO).await;
    let out = run(
        repo.path(),
        &fake.uri(),
        &[
            "report",
            "--since",
            "2026-01-01T12:00:00Z",
            "--until",
            "2026-01-03T12:00:00Z",
            "--format",
            "json",
            "--dora-source",
            "git",
        ],
        &[],
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["window"]["bucket"], "hour");
    let buckets = j["services"][0]["performance"]["buckets"]
        .as_array()
        .unwrap();
    assert_eq!(buckets.len(), 48);
    let first = 1_767_268_800; // 2026-01-01T12:00:00Z
    approx(
        &buckets[0]["transactions_count"],
        s.count("web", first, 3_600),
        "hourly count",
    );
    assert_eq!(
        j["services"][0]["user_impact"]["buckets"]
            .as_array()
            .unwrap()
            .len(),
        48
    );
    check_contract_answers(&fake);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_sends_nothing_and_lists_the_requests() {
    let repo = repo_with_tags(&[("web", "web")]);
    let fake = sentry_fake(seed(&[("web", 1, Kind::Busy)], SWITCH), Duration::ZERO).await;
    let out = run(
        repo.path(),
        &fake.uri(),
        &[
            "--dry-run",
            "report",
            "--since",
            "7d",
            "--format",
            "json",
            "--dora-source",
            "git",
        ],
        &[],
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(fake.state().seen.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("events-timeseries") && err.contains("sessions"),
        "{err}"
    );
    assert!(!err.contains(TOKEN));
}
