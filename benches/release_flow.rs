//! obsctl against sentry-cli on the same loopback fake (issue 7).
//!
//! Run through `scripts/bench.sh` (it installs sentry-cli and writes
//! `target/bench/results.md`), or directly:
//!
//! ```sh
//! SENTRY_CLI=/path/to/sentry-cli cargo bench --bench release_flow
//! ```
//!
//! What it measures, each side by side in one run:
//! 1. the release flow on a generated repository (a few hundred commits
//!    since the previous tag) against a fake of Sentry and GitHub that
//!    answers every request after `BENCH_LATENCY_MS` (50 ms): wall time,
//!    requests and *sequential round trips* of `obsctl release create`
//!    (Sentry and GitHub) and of sentry-cli's `releases new` +
//!    `releases set-commits --local` + `releases finalize` (Sentry only);
//! 2. the deploy record: `obsctl deploy start` + `deploy finish` (GitHub
//!    deployment and Sentry deploy) against `sentry-cli deploys new`;
//! 3. commit collection for a 3,000-commit range, without latency: wall
//!    time, peak memory (`/usr/bin/time`'s maximum resident set size) and
//!    the size of the body that carries the commits.
//!
//! Sequential round trips are counted from the fake's log: a request that
//! arrives before the answer of an earlier one was sent overlaps it; the
//! longest chain of requests each sent after the previous one was answered
//! is the number of round trips on the critical path.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[path = "support/genrepo.rs"]
mod genrepo;

use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const ORG: &str = "acme";
const PROJECT: &str = "web";
const REPO: &str = "acme/web";
const TOKEN_SENTRY: &str = "sntrys_benchbenchbenchbenchbench";
const TOKEN_GITHUB: &str = "ghp_benchbenchbenchbenchbenchbench";

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing
    // we need: run only under `cargo bench` (or when asked explicitly).
    let args: Vec<String> = std::env::args().collect();
    if let Ok(what) = std::env::var("BENCH_GENERATE") {
        generate_only(&what);
        return;
    }
    if !args.iter().any(|a| a == "--bench") && std::env::var_os("BENCH_FORCE").is_none() {
        println!("release_flow: skipped (run with `cargo bench --bench release_flow`)");
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run());
}

/// `BENCH_GENERATE=DIR:FILES,BEFORE,RANGE[,TAGS[,SPACING_SECS[,END_AGO_SECS]]]`:
/// only generate one repository (to profile obsctl on it by hand), e.g.
/// `BENCH_GENERATE=/tmp/r3000:1500,10,3000 cargo bench --bench release_flow`.
fn generate_only(what: &str) {
    let (dir, nums) = what
        .rsplit_once(':')
        .expect("BENCH_GENERATE=DIR:FILES,BEFORE,RANGE[,TAGS[,SPACING[,END_AGO]]]");
    let n: Vec<usize> = nums
        .split(',')
        .map(|v| v.trim().parse().expect("a number"))
        .collect();
    assert!(n.len() >= 3, "FILES,BEFORE,RANGE at least");
    let mut spec = genrepo::Spec::new(n[0], n[1], n[2]);
    if let Some(&tags) = n.get(3) {
        spec.tags = tags;
    }
    if let Some(&spacing) = n.get(4) {
        spec.spacing = spacing;
    }
    if let Some(&ago) = n.get(5) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs() as usize;
        spec.end_at = Some(now - ago);
    }
    let t = Instant::now();
    let prev = genrepo::generate(Path::new(dir), &spec);
    eprintln!(
        "generated {dir} ({spec:?}) in {:.1} s; v1.0.0 is {prev}",
        t.elapsed().as_secs_f64()
    );
}

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

async fn run() {
    let latency = Duration::from_millis(env_num("BENCH_LATENCY_MS", 50));
    let runs = env_num("BENCH_RUNS", 5) as usize;
    let range = env_num("BENCH_RANGE", 300) as usize;
    let big_range = env_num("BENCH_BIG_RANGE", 3000) as usize;
    let obsctl = PathBuf::from(env!("CARGO_BIN_EXE_obsctl"));
    let sentry_cli = std::env::var("SENTRY_CLI").unwrap_or_else(|_| "sentry-cli".into());
    let sentry_version = Command::new(&sentry_cli)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    if std::env::var_os("BENCH_ONLY_SCALE").is_some() {
        let bin = sentry_version.as_ref().map(|_| sentry_cli.as_str());
        let md = scale(&obsctl, bin, runs.min(3)).await;
        println!("{md}");
        if let Ok(path) = std::env::var("BENCH_OUT") {
            std::fs::write(&path, &md).expect("write BENCH_OUT");
        }
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut md = String::new();
    md.push_str(&format!(
        "Machine: {} cores, {}; obsctl {} (release profile); {}.\n\n",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        std::env::consts::ARCH,
        env!("CARGO_PKG_VERSION"),
        sentry_version
            .clone()
            .unwrap_or_else(|| "sentry-cli NOT found (set SENTRY_CLI)".into())
    ));

    // ---- 1. release flow -------------------------------------------------
    let repo = tmp.path().join("repo");
    let prev_sha = generate_repo(&repo, 100, range);
    let fake = Fake::start(latency, prev_sha.clone()).await;
    let mut o_times = Vec::new();
    let mut s_times = Vec::new();
    let mut o_stats = None;
    let mut s_stats = None;
    for i in 0..runs {
        // In the series of the previous tag `v1.0.0` (issue 11): the 300
        // commits since it, the same work as sentry-cli's.
        let version = format!("v1.1.{i}");
        fake.clear();
        let t = Instant::now();
        let out = obsctl_cmd(&obsctl, &fake.uri(), &repo)
            .args(["release", "create", &version])
            .output()
            .expect("run obsctl");
        o_times.push(t.elapsed());
        check("obsctl release create", &out);
        o_stats = Some(fake.stats());
        if sentry_version.is_some() {
            fake.clear();
            let t = Instant::now();
            for step in [
                vec!["releases", "new", &version],
                vec!["releases", "set-commits", &version, "--local"],
                vec!["releases", "finalize", &version],
            ] {
                let out = sentry_cmd(&sentry_cli, &fake.uri(), &repo)
                    .args(&step)
                    .output()
                    .expect("run sentry-cli");
                check(&format!("sentry-cli {}", step.join(" ")), &out);
            }
            s_times.push(t.elapsed());
            s_stats = Some(fake.stats());
        }
    }
    let o = o_stats.expect("one run");
    let om = median(&mut o_times);
    md.push_str(&format!(
        "### Release flow: {range} commits since the previous tag, {} ms per request, median of {runs} runs\n\n",
        latency.as_millis()
    ));
    md.push_str("| | wall time | requests | sequential round trips | commits sent |\n|---|---:|---:|---:|---:|\n");
    md.push_str(&format!(
        "| `obsctl release create` (Sentry **and** GitHub) | {} | {} | {} | {} |\n",
        ms(om),
        o.requests,
        o.round_trips,
        o.commits_sent
    ));
    if let Some(s) = s_stats {
        let sm = median(&mut s_times);
        md.push_str(&format!(
            "| sentry-cli `releases new` + `set-commits --local` + `finalize` (Sentry only) | {} | {} | {} | {} |\n",
            ms(sm),
            s.requests,
            s.round_trips,
            s.commits_sent
        ));
        let ratio = om.as_secs_f64() / sm.as_secs_f64();
        md.push_str(&format!(
            "\nobsctl / sentry-cli wall time: **{ratio:.2}×** (target ≤ 0.2×, issue 12: {}).\n\n",
            if ratio <= 0.2 { "met" } else { "NOT met" }
        ));
        md.push_str(&format!("sentry-cli's requests: {}.\n\n", s.log.join(", ")));
    }
    md.push_str(&format!("obsctl's requests: {}.\n\n", o.log.join(", ")));

    // ---- 2. deploy record ------------------------------------------------
    let mut o_times = Vec::new();
    let mut s_times = Vec::new();
    let mut o_stats = None;
    let mut s_stats = None;
    for i in 0..runs {
        let version = format!("1.1.{i}");
        fake.clear();
        let t = Instant::now();
        let out = obsctl_cmd(&obsctl, &fake.uri(), &repo)
            .args([
                "deploy",
                "start",
                "--environment",
                "production",
                "--version",
            ])
            .arg(&version)
            .output()
            .expect("run obsctl");
        check("obsctl deploy start", &out);
        let out = obsctl_cmd(&obsctl, &fake.uri(), &repo)
            .args([
                "deploy",
                "finish",
                "--environment",
                "production",
                "--status",
                "success",
                "--deployment-id",
                "42",
            ])
            .output()
            .expect("run obsctl");
        check("obsctl deploy finish", &out);
        o_times.push(t.elapsed());
        o_stats = Some(fake.stats());
        if sentry_version.is_some() {
            fake.clear();
            let t = Instant::now();
            let out = sentry_cmd(&sentry_cli, &fake.uri(), &repo)
                .args(["deploys", "new", "--release", &version, "-e", "production"])
                .output()
                .expect("run sentry-cli");
            check("sentry-cli deploys new", &out);
            s_times.push(t.elapsed());
            s_stats = Some(fake.stats());
        }
    }
    let o = o_stats.expect("one run");
    md.push_str(&format!(
        "### Deploy record, {} ms per request, median of {runs} runs\n\n",
        latency.as_millis()
    ));
    md.push_str("| | wall time | requests | sequential round trips |\n|---|---:|---:|---:|\n");
    md.push_str(&format!(
        "| `obsctl deploy start` + `deploy finish` (GitHub deployment and statuses, Sentry deploy) | {} | {} | {} |\n",
        ms(median(&mut o_times)),
        o.requests,
        o.round_trips
    ));
    if let Some(s) = s_stats {
        md.push_str(&format!(
            "| sentry-cli `deploys new` (Sentry deploy only) | {} | {} | {} |\n",
            ms(median(&mut s_times)),
            s.requests,
            s.round_trips
        ));
    }
    md.push_str(&format!("\nobsctl's requests: {}.\n\n", o.log.join(", ")));
    drop(fake);

    // ---- 3. commit collection --------------------------------------------
    let big = tmp.path().join("big");
    let prev_sha = generate_repo(&big, 10, big_range);
    let fake = Fake::start(Duration::ZERO, prev_sha).await;
    let mut rows = Vec::new();
    let mut o_runs = Vec::new();
    for i in 0..runs.min(3) {
        fake.clear();
        let (t, rss) = timed(
            obsctl_cmd(&obsctl, &fake.uri(), &big).args([
                "release",
                "create",
                &format!("v2.0.{i}"),
                "--no-github",
            ]),
            "obsctl release create (3,000 commits)",
        );
        o_runs.push((t, rss, fake.stats()));
    }
    rows.push(summarise("`obsctl release create --no-github`", o_runs));
    if sentry_version.is_some() {
        let mut s_runs = Vec::new();
        for i in 0..runs.min(3) {
            let version = format!("v2.0.{i}");
            fake.clear();
            let out = sentry_cmd(&sentry_cli, &fake.uri(), &big)
                .args(["releases", "new", &version])
                .output()
                .expect("run sentry-cli");
            check("sentry-cli releases new", &out);
            fake.clear();
            let (t, rss) = timed(
                sentry_cmd(&sentry_cli, &fake.uri(), &big).args([
                    "releases",
                    "set-commits",
                    &version,
                    "--local",
                ]),
                "sentry-cli releases set-commits --local (3,000 commits)",
            );
            s_runs.push((t, rss, fake.stats()));
        }
        rows.push(summarise(
            "sentry-cli `releases set-commits --local`",
            s_runs,
        ));
    }
    md.push_str(&format!(
        "### Commit collection: {big_range} commits since the previous tag, no latency, median of {} runs\n\n",
        runs.min(3)
    ));
    md.push_str("| | wall time | peak memory (max RSS) | commits sent | body with the commits | all request bodies |\n|---|---:|---:|---:|---:|---:|\n");
    for r in rows {
        md.push_str(&r);
    }
    md.push('\n');

    drop(fake);
    if env_num("BENCH_SCALE", 1) == 1 {
        md.push_str(
            &scale(
                &obsctl,
                sentry_version.as_ref().map(|_| sentry_cli.as_str()),
                runs.min(3),
            )
            .await,
        );
    }

    println!("{md}");
    if let Ok(path) = std::env::var("BENCH_OUT") {
        std::fs::write(&path, &md).expect("write BENCH_OUT");
        eprintln!("written to {path}");
    }
}

fn summarise(name: &str, mut runs: Vec<(Duration, Option<u64>, Stats)>) -> String {
    runs.sort_by_key(|r| r.0);
    let (t, _, s) = &runs[runs.len() / 2];
    let rss = runs.iter().filter_map(|r| r.1).max();
    format!(
        "| {name} | {} | {} | {} | {} | {} |\n",
        ms(*t),
        rss.map_or("n/a".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0)),
        s.commits_sent,
        kib(s.commits_body),
        kib(s.bytes)
    )
}

fn kib(b: usize) -> String {
    format!("{:.0} KiB", b as f64 / 1024.0)
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Run under `/usr/bin/time` when it is there: (wall time, max RSS in KiB).
fn timed(cmd: &mut Command, what: &str) -> (Duration, Option<u64>) {
    let time_bin = Path::new("/usr/bin/time");
    let report = tempfile::NamedTempFile::new().expect("temp file");
    let t = Instant::now();
    let out = if time_bin.exists() {
        let mut wrapped = Command::new(time_bin);
        wrapped
            .args(["-f", "%M", "-o"])
            .arg(report.path())
            .arg(cmd.get_program())
            .args(cmd.get_args())
            .env_clear()
            .envs(cmd.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))));
        if let Some(dir) = cmd.get_current_dir() {
            wrapped.current_dir(dir);
        }
        wrapped.output().expect("run /usr/bin/time")
    } else {
        cmd.output().expect("run")
    };
    let elapsed = t.elapsed();
    check(what, &out);
    let rss = std::fs::read_to_string(report.path())
        .ok()
        .and_then(|s| s.lines().last().and_then(|l| l.trim().parse().ok()));
    (elapsed, rss)
}

fn check(what: &str, out: &std::process::Output) {
    if !out.status.success() {
        panic!(
            "{what} failed ({}):\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn base_env(cmd: &mut Command, home: &Path) {
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .stdin(Stdio::null());
}

fn obsctl_cmd(bin: &Path, uri: &str, repo: &Path) -> Command {
    let mut cmd = Command::new(bin);
    base_env(&mut cmd, repo);
    cmd.current_dir(repo)
        .env("SENTRY_URL", uri)
        .env("SENTRY_AUTH_TOKEN", TOKEN_SENTRY)
        .env("SENTRY_ORG", ORG)
        .env("SENTRY_PROJECT", PROJECT)
        .env("GITHUB_TOKEN", TOKEN_GITHUB)
        .env("GITHUB_REPOSITORY", REPO)
        .env("GITHUB_API_URL", uri)
        .env("GITHUB_SERVER_URL", "https://github.com");
    cmd
}

fn sentry_cmd(bin: &str, uri: &str, repo: &Path) -> Command {
    let mut cmd = Command::new(bin);
    base_env(&mut cmd, repo);
    cmd.current_dir(repo)
        .env("SENTRY_URL", uri)
        .env("SENTRY_AUTH_TOKEN", TOKEN_SENTRY)
        .env("SENTRY_ORG", ORG)
        .env("SENTRY_PROJECT", PROJECT)
        .env("SENTRY_DISABLE_UPDATE_CHECK", "1")
        .env("SENTRY_LOG_LEVEL", "error");
    cmd
}

/// A repository with `before` commits up to tag `v1.0.0`, then `range`
/// more (HEAD), written with `git fast-import`; returns the tag's SHA.
fn generate_repo(dir: &Path, before: usize, range: usize) -> String {
    std::fs::create_dir_all(dir).expect("mkdir");
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("run git");
        assert!(out.status.success(), "git {args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    git(&["init", "-q", "-b", "main"]);
    git(&["remote", "add", "origin", "https://github.com/acme/web.git"]);
    let mut stream = String::new();
    let total = before + range;
    let authors = [
        ("Ann Example", "ann@example.com"),
        ("Bo Example", "bo@example.com"),
        ("Cy Example", "cy@example.com"),
    ];
    for i in 1..=total {
        let (name, email) = authors[i % authors.len()];
        let msg = format!(
            "{}: change {i} in module {}\n\nA body line explaining change {i}.\nRefs #{}\n",
            ["feat", "fix", "chore", "docs"][i % 4],
            i % 17,
            1000 + i
        );
        let when = 1_700_000_000 + i * 60;
        stream.push_str(&format!(
            "commit refs/heads/main\nmark :{i}\nauthor {name} <{email}> {when} +0000\ncommitter {name} <{email}> {when} +0000\ndata {}\n{msg}",
            msg.len()
        ));
        if i > 1 {
            stream.push_str(&format!("from :{}\n", i - 1));
        }
        for f in 0..(1 + i % 3) {
            let content = format!("line {i} {f}\n");
            stream.push_str(&format!(
                "M 100644 inline src/mod{}/file{}.rs\ndata {}\n{content}",
                (i + f) % 17,
                (i * 7 + f) % 40,
                content.len()
            ));
        }
        stream.push('\n');
        if i == before {
            stream.push_str(&format!(
                "tag v1.0.0\nfrom :{i}\ntagger Ann Example <ann@example.com> {when} +0000\ndata 6\nv1.0.0\n"
            ));
        }
    }
    let mut child = Command::new("git")
        .args(["fast-import", "--quiet"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .spawn()
        .expect("git fast-import");
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stream.as_bytes())
            .expect("write fast-import stream");
    }
    assert!(child.wait().expect("fast-import").success());
    git(&["reset", "-q", "--hard", "main"]);
    git(&["rev-parse", "v1.0.0^{commit}"])
}

#[derive(Clone, Debug)]
struct Entry {
    at: Instant,
    method: String,
    path: String,
    body: usize,
    commits: usize,
}

#[derive(Clone, Debug, Default)]
struct Stats {
    requests: usize,
    round_trips: usize,
    bytes: usize,
    commits_body: usize,
    commits_sent: usize,
    log: Vec<String>,
}

struct Fake {
    server: MockServer,
    log: Arc<Mutex<Vec<Entry>>>,
    latency: Duration,
}

impl Fake {
    async fn start(latency: Duration, prev_sha: String) -> Fake {
        let server = MockServer::start().await;
        let log = Arc::new(Mutex::new(Vec::new()));
        Mock::given(any())
            .respond_with(Responder {
                log: log.clone(),
                latency,
                prev_sha,
                base: server.uri(),
                deployment: Mutex::new(json!({})),
            })
            .mount(&server)
            .await;
        Fake {
            server,
            log,
            latency,
        }
    }

    fn uri(&self) -> String {
        self.server.uri()
    }

    fn clear(&self) {
        self.log.lock().unwrap().clear();
    }

    fn stats(&self) -> Stats {
        let mut log = self.log.lock().unwrap().clone();
        log.sort_by_key(|e| e.at);
        // Longest chain of requests each sent after the previous one was
        // answered (greedy is optimal: every request takes `latency`).
        let mut round_trips = 0;
        let mut free_at: Option<Instant> = None;
        for e in &log {
            if free_at.is_none_or(|f| e.at >= f) {
                round_trips += 1;
                free_at = Some(e.at + self.latency);
            }
        }
        let carrier = log.iter().max_by_key(|e| e.commits);
        Stats {
            requests: log.len(),
            round_trips: if self.latency.is_zero() {
                0
            } else {
                round_trips
            },
            bytes: log.iter().map(|e| e.body).sum(),
            commits_body: carrier.map_or(0, |e| e.body),
            commits_sent: carrier.map_or(0, |e| e.commits),
            log: log
                .iter()
                .map(|e| format!("`{} {}`", e.method, e.path))
                .collect(),
        }
    }
}

struct Responder {
    log: Arc<Mutex<Vec<Entry>>>,
    latency: Duration,
    prev_sha: String,
    base: String,
    /// The last deployment created, answered by `GET deployments/{id}`.
    deployment: Mutex<Value>,
}

fn sentry_release(version: &str, released: Option<&Value>) -> Value {
    json!({
        "id": 1, "version": version, "shortVersion": version, "status": "open",
        "ref": null, "url": null, "dateReleased": released.cloned().unwrap_or(Value::Null),
        "dateCreated": "2024-01-01T00:00:00Z", "dateStarted": null, "data": {},
        "newGroups": 0, "owner": null, "commitCount": 0, "lastCommit": null,
        "deployCount": 0, "lastDeploy": null, "authors": [],
        "projects": [{"id": 1, "slug": PROJECT, "name": PROJECT, "newGroups": 0,
            "platform": "javascript", "platforms": ["javascript"], "hasHealthData": false}],
        "firstEvent": null, "lastEvent": null, "currentProjectMeta": {}, "userAgent": null
    })
}

impl Respond for Responder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        let commits = body["commits"].as_array().map_or(0, Vec::len);
        let path = req.url.path().to_string();
        self.log.lock().unwrap().push(Entry {
            at: Instant::now(),
            method: req.method.to_string(),
            path: path.clone(),
            body: req.body.len(),
            commits,
        });
        let sentry_releases = format!("/api/0/organizations/{ORG}/releases/");
        let gh_repo = format!("/repos/{REPO}/");
        let method = req.method.as_str();
        let (status, reply) = if let Some(rest) = path.strip_prefix(&sentry_releases) {
            let parts: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
            let version = parts.first().copied().unwrap_or("");
            match (method, parts.as_slice()) {
                ("POST", [""]) => (
                    201,
                    sentry_release(
                        body["version"].as_str().unwrap_or(""),
                        body.get("dateReleased"),
                    ),
                ),
                ("PUT", [_]) => (200, sentry_release(version, body.get("dateReleased"))),
                ("GET", [_]) => (200, sentry_release(version, None)),
                ("GET", [_, "previous-with-commits"]) => {
                    let mut r = sentry_release("1.0.0", None);
                    r["lastCommit"] = json!({"id": self.prev_sha, "message": "previous",
                        "dateCreated": "2024-01-01T00:00:00Z"});
                    (200, r)
                }
                ("GET", [_, "deploys"]) => (200, json!([])),
                ("POST", [_, "deploys"]) => (
                    201,
                    json!({"id": "1", "environment": body["environment"], "name": body["name"],
                        "url": body["url"], "dateStarted": body["dateStarted"],
                        "dateFinished": body["dateFinished"].as_str().unwrap_or("2024-01-01T00:00:00Z")}),
                ),
                _ => (404, json!({"detail": "not in the fake"})),
            }
        } else if path == format!("/api/0/organizations/{ORG}/repos/") {
            (
                200,
                json!([{"id": "1", "name": REPO, "url": "https://github.com/acme/web",
                    "provider": {"id": "integrations:github", "name": "GitHub"},
                    "status": "active", "dateCreated": "2024-01-01T00:00:00Z",
                    "integrationId": "1", "externalSlug": REPO}]),
            )
        } else if let Some(rest) = path.strip_prefix(&gh_repo) {
            let parts: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
            let html = "https://github.com/acme/web/releases/tag/x";
            match (method, parts.as_slice()) {
                ("POST", ["releases"]) => (
                    201,
                    json!({"id": 7, "html_url": html, "tag_name": body["tag_name"],
                        "draft": false, "prerelease": false, "name": body["name"],
                        "url": format!("{}/repos/{REPO}/releases/7", self.base)}),
                ),
                ("GET", ["releases", "tags", _]) => (404, json!({"message": "Not Found"})),
                ("POST", ["deployments"]) => {
                    *self.deployment.lock().unwrap() = body.clone();
                    (201, deployment(&self.base, &body))
                }
                ("GET", ["deployments"]) => (200, json!([])),
                ("GET", ["deployments", _]) => (
                    200,
                    deployment(&self.base, &self.deployment.lock().unwrap()),
                ),
                ("GET", ["deployments", _, "statuses"]) => (200, json!([])),
                ("POST", ["deployments", _, "statuses"]) => (
                    201,
                    json!({"id": 9, "state": body["state"], "environment": "production",
                        "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z"}),
                ),
                ("GET", ["commits", sha]) => (200, json!({"sha": sha})),
                _ => (404, json!({"message": "Not Found"})),
            }
        } else {
            (404, json!({"message": "not in the fake"}))
        };
        if status == 404 {
            eprintln!("fake: unexpected {method} {path}");
        }
        ResponseTemplate::new(status)
            .set_body_json(reply)
            .set_delay(self.latency)
    }
}

fn deployment(base: &str, body: &Value) -> Value {
    json!({
        "id": 42, "sha": body["ref"].as_str().unwrap_or("0000000000000000000000000000000000000000"),
        "ref": body["ref"].as_str().unwrap_or("main"), "task": "deploy",
        "environment": body["environment"].as_str().unwrap_or("production"),
        "payload": body.get("payload").cloned().unwrap_or(json!({})),
        "description": body["description"], "creator": {"login": "bench"},
        "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z",
        "statuses_url": format!("{base}/repos/{REPO}/deployments/42/statuses"),
        "url": format!("{base}/repos/{REPO}/deployments/42"),
        "production_environment": true, "transient_environment": false
    })
}

/// One measured command: wall time and peak memory (max RSS, KiB).
type Run = (Duration, Option<u64>);

fn median_of(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn mib(k: Option<u64>) -> String {
    k.map_or("n/a".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0))
}

/// Issue 12's table: commit collection at several range and tree sizes,
/// a short range in a long history, and `dora report --source git` with
/// many tags, each against sentry-cli (where it does the same work) and the
/// git floor, as medians of paired runs. Repositories are generated with
/// `git fast-import` in one temp dir and deleted after each row.
async fn scale(obsctl: &Path, sentry_cli: Option<&str>, runs: usize) -> String {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut md = String::from(
        "### Commit collection at scale (issue 12): medians of paired runs, no latency\n\n\
         `release create VERSION --no-github` (the whole process, against the loopback Sentry); \
         sentry-cli `releases set-commits --local`; the git floor is `git log --diff-merges=first-parent \
         --name-status -M` of the commits obsctl sends (the newest 1,000 of the range).\n\n\
         | row | obsctl wall | obsctl peak RSS | sentry-cli wall | sentry-cli RSS | git floor | obsctl / sentry-cli | obsctl / floor |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    let rows: Vec<(String, genrepo::Spec)> = {
        let only = std::env::var("BENCH_ROWS").unwrap_or_default();
        let all = vec![
            (
                "300 commits, 1,500 files".to_string(),
                genrepo::Spec::new(1500, 10, 300),
            ),
            (
                "3,000 commits, 1,500 files".into(),
                genrepo::Spec::new(1500, 10, 3000),
            ),
            (
                "30,000 commits, 1,500 files".into(),
                genrepo::Spec::new(1500, 10, 30_000),
            ),
            (
                "3,000 commits, 20,000 files".into(),
                genrepo::Spec::new(20_000, 10, 3000),
            ),
            (
                "304 commits after 199,700 (200,000-commit history)".into(),
                genrepo::Spec::new(1500, 199_700, 304),
            ),
        ];
        all.into_iter()
            .enumerate()
            .filter(|(i, _)| {
                only.is_empty() || only.split(',').any(|o| o.trim() == (i + 1).to_string())
            })
            .map(|(_, r)| r)
            .collect()
    };
    for (name, spec) in rows {
        let dir = tmp.path().join("scale");
        let t = Instant::now();
        let prev_sha = genrepo::generate(&dir, &spec);
        eprintln!("generated {name} in {:.1} s", t.elapsed().as_secs_f64());
        // sentry-cli asks Sentry for the previous release's last commit.
        let fake = Fake::start(Duration::ZERO, prev_sha).await;
        let (mut o, mut s, mut g) = (Vec::<Run>::new(), Vec::<Run>::new(), Vec::<Run>::new());
        let (mut vs_sentry, mut vs_floor) = (Vec::new(), Vec::new());
        for i in 0..runs {
            let version = format!("v2.0.{i}");
            fake.clear();
            let ro = timed(
                obsctl_cmd(obsctl, &fake.uri(), &dir).args([
                    "release",
                    "create",
                    &version,
                    "--no-github",
                ]),
                "obsctl release create",
            );
            let rg = timed(
                git_cmd(&dir).args([
                    "log",
                    "--diff-merges=first-parent",
                    "--name-status",
                    "-M",
                    "-n",
                    "1000",
                    "--format=%H%n%an%n%ae%n%aI%n%B",
                    "v1.0.0..HEAD",
                ]),
                "git log floor",
            );
            vs_floor.push(ro.0.as_secs_f64() / rg.0.as_secs_f64());
            if let Some(bin) = sentry_cli {
                let out = sentry_cmd(bin, &fake.uri(), &dir)
                    .args(["releases", "new", &version])
                    .output()
                    .expect("sentry-cli");
                check("sentry-cli releases new", &out);
                let rs = timed(
                    sentry_cmd(bin, &fake.uri(), &dir).args([
                        "releases",
                        "set-commits",
                        &version,
                        "--local",
                    ]),
                    "sentry-cli set-commits",
                );
                vs_sentry.push(ro.0.as_secs_f64() / rs.0.as_secs_f64());
                s.push(rs);
            }
            o.push(ro);
            g.push(rg);
        }
        let med = |v: &mut Vec<Run>| -> (String, String) {
            if v.is_empty() {
                return ("n/a".into(), "n/a".into());
            }
            let rss = v.iter().filter_map(|r| r.1).max();
            let mut t: Vec<Duration> = v.iter().map(|r| r.0).collect();
            (ms(median(&mut t)), mib(rss))
        };
        let (ow, orss) = med(&mut o);
        let (sw, srss) = med(&mut s);
        let (gw, _) = med(&mut g);
        md.push_str(&format!(
            "| {name} | {ow} | {orss} | {sw} | {srss} | {gw} | {} | {:.2}× |\n",
            if vs_sentry.is_empty() {
                "n/a".into()
            } else {
                format!("{:.2}×", median_of(&vs_sentry))
            },
            median_of(&vs_floor)
        ));
        std::fs::remove_dir_all(&dir).expect("remove the generated repository");
    }

    // dora report --source git: 500, 5,000 and 20,000 tags over 50,000
    // commits, and 20,000 over 200,000 (memory), one commit every 30
    // minutes up to now, the default 90-day window. Rows 6-9 of BENCH_ROWS;
    // BENCH_DORA_TAGS replaces the tag counts with one.
    let only = std::env::var("BENCH_ROWS").unwrap_or_default();
    let mut dora_rows = vec![
        (500, 50_000),
        (5_000, 50_000),
        (20_000, 50_000),
        (20_000, 200_000),
    ];
    if let Ok(tags) = std::env::var("BENCH_DORA_TAGS") {
        let tags = tags.trim().parse().expect("BENCH_DORA_TAGS: a number");
        dora_rows = vec![(tags, 50_000)];
    }
    md.push_str(
        "\n### `dora report --source git`, 90-day window: medians of paired runs\n\n\
         | row | obsctl wall | obsctl peak RSS | git floor (`for-each-ref` of the tags + one `git log --since`) | obsctl / floor |\n\
         |---|---:|---:|---:|---:|\n",
    );
    for (k, (tags, commits)) in dora_rows.into_iter().enumerate() {
        let row = k + 6;
        if !(only.is_empty() || only.split(',').any(|o| o.trim() == row.to_string())) {
            continue;
        }
        md.push_str(&dora_row(obsctl, tmp.path(), runs, tags, commits));
    }
    md
}

/// One row of `dora report --source git` against its git floor.
fn dora_row(obsctl: &Path, tmp: &Path, runs: usize, tags: usize, commits: usize) -> String {
    let dir = tmp.join("dora");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as usize;
    let mut spec = genrepo::Spec::new(1500, 10, commits - 10);
    spec.tags = tags;
    spec.spacing = 1800;
    spec.end_at = Some(now - 3600);
    let t = Instant::now();
    genrepo::generate(&dir, &spec);
    eprintln!(
        "generated {tags} tags over {commits} commits in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let since = format!("@{}", now - 90 * 86_400);
    let (mut o, mut g, mut ratio) = (Vec::<Run>::new(), Vec::<Duration>::new(), Vec::new());
    for _ in 0..runs {
        let mut cmd = Command::new(obsctl);
        base_env(&mut cmd, &dir);
        cmd.current_dir(&dir).args([
            "dora",
            "report",
            "--source",
            "git",
            "--tag-pattern",
            "t*",
            "--format",
            "json",
        ]);
        let ro = timed(&mut cmd, "obsctl dora report --source git");
        let t1 = timed(
            git_cmd(&dir).args([
                "for-each-ref",
                "--format=%(refname:short) %(*objectname) %(objectname) %(taggerdate:unix) %(committerdate:unix)",
                "refs/tags/t*",
            ]),
            "git for-each-ref",
        );
        let t2 = timed(
            git_cmd(&dir).args([
                "log",
                "--format=%H %at %P",
                &format!("--since={since}"),
                "HEAD",
            ]),
            "git log --since",
        );
        let floor = t1.0 + t2.0;
        ratio.push(ro.0.as_secs_f64() / floor.as_secs_f64());
        o.push(ro);
        g.push(floor);
    }
    let rss = o.iter().filter_map(|r| r.1).max();
    let mut ot: Vec<Duration> = o.iter().map(|r| r.0).collect();
    std::fs::remove_dir_all(&dir).expect("remove the generated repository");
    format!(
        "| {} tags over {} commits | {} | {} | {} | {:.2}× |\n",
        group(tags),
        group(commits),
        ms(median(&mut ot)),
        mib(rss),
        ms(median(&mut g)),
        median_of(&ratio)
    )
}

/// 20000 → "20,000".
fn group(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// git with the same clean environment as the tools it is compared with.
fn git_cmd(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    base_env(&mut cmd, dir);
    cmd.current_dir(dir);
    cmd
}
