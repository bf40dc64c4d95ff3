//! `obsctl release create` end to end: real git repositories in temp dirs,
//! real HTTP over loopback against the one fake per API (`tests/support/`),
//! which answers as Sentry and GitHub do and checks every request body
//! against the contracts.
mod common;
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{GitRepo, assert_valid, obsctl};
use serde_json::{Value, json};
use support::{Act, At, Fake, GH_TOKEN, SENTRY_TOKEN, always, once};
const RELEASES: &str = "/api/0/organizations/acme/releases/";

/// The SHAs of the standard repository.
struct Shas {
    init: String,
    feat: String,
    fix_on_branch: String,
    docs: String,
    merge: String,
    rename: String,
}

/// v1.0.0 on `init`; then a feature, a branch merged with --no-ff, a docs
/// commit and a rename; v1.1.0 on the rename.
fn standard_repo() -> (GitRepo, Shas) {
    let repo = GitRepo::new();
    let init = repo.commit("README.md", "hello\nworld\n", "chore: init");
    repo.tag("v1.0.0");
    let feat = repo.commit(
        "src/lib.rs",
        "pub fn a() {}\n",
        "feat(api): add client (#12)",
    );
    repo.git(&["checkout", "-q", "-b", "feature"]);
    let fix_on_branch = repo.commit(
        "src/feature.rs",
        "pub fn f() {}\n",
        "fix: handle *empty* input",
    );
    repo.git(&["checkout", "-q", "main"]);
    let docs = repo.commit("docs/guide.md", "# Guide\n", "docs: write the guide");
    repo.set_time(1_700_100_000);
    repo.git(&[
        "merge",
        "--no-ff",
        "-q",
        "feature",
        "-m",
        "Merge pull request #14 from acme/feature",
    ]);
    let merge = repo.git(&["rev-parse", "HEAD"]);
    repo.set_time(1_700_100_100);
    repo.git(&["mv", "README.md", "README.txt"]);
    repo.git(&["commit", "-q", "-m", "refactor: rename the readme"]);
    let rename = repo.git(&["rev-parse", "HEAD"]);
    repo.annotated_tag("v1.1.0", "release 1.1.0");
    (
        repo,
        Shas {
            init,
            feat,
            fix_on_branch,
            docs,
            merge,
            rename,
        },
    )
}

struct Fakes {
    fake: Fake,
    dir: tempfile::TempDir,
}

impl Fakes {
    async fn new() -> Self {
        Fakes {
            fake: Fake::start().await,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn output_file(&self) -> PathBuf {
        self.dir.path().join("output")
    }

    fn summary_file(&self) -> PathBuf {
        self.dir.path().join("summary.md")
    }

    /// The binary, configured for both fakes, run in `repo`.
    fn cmd(&self, repo: &Path) -> assert_cmd::Command {
        let mut cmd = obsctl();
        cmd.envs(self.fake.github_env())
            .envs(self.fake.sentry_env())
            .env("GITHUB_SERVER_URL", "https://github.example")
            .env("SENTRY_PROJECT", "web,api")
            .env("OBSCTL_RETRY_BUDGET", "2")
            .env("GITHUB_OUTPUT", self.output_file())
            .env("GITHUB_STEP_SUMMARY", self.summary_file())
            .arg("-C")
            .arg(repo)
            .args(["release", "create"]);
        cmd
    }

    /// Faults (see `tests/support/faults.rs`).
    fn rules(&self, rules: Vec<support::Rule>) {
        self.fake.rules(rules);
    }

    /// Every request, in order: method, path, JSON body (null for none).
    async fn requests(&self) -> Vec<(String, String, Value)> {
        self.fake
            .state()
            .seen
            .iter()
            .map(|r| {
                let body = if r.raw.is_empty() {
                    Value::Null
                } else {
                    serde_json::from_slice(&r.raw).expect("request bodies are JSON")
                };
                (r.method.clone(), r.path.clone(), body)
            })
            .collect()
    }

    /// How many requests with `method` went to the fake's route `route`.
    fn count(&self, method: &str, route: &'static str) -> usize {
        self.fake.state().count(method, At::Route(route))
    }

    /// Every request went to an endpoint the fake knows (whose contract
    /// it checked on receipt), and no GET had a body.
    async fn validate_all(&self) {
        let s = self.fake.state();
        assert!(
            s.unrouted.is_empty(),
            "unexpected requests {:?}",
            s.unrouted
        );
        for r in s.seen.iter().filter(|r| r.method == "GET") {
            assert!(r.raw.is_empty(), "GET {} has a body", r.path);
        }
    }

    async fn bodies(&self, m: &str, p: &str) -> Vec<Value> {
        self.requests()
            .await
            .into_iter()
            .filter(|(mm, pp, _)| mm == m && pp == p)
            .map(|(_, _, b)| b)
            .collect()
    }
}

/// Sentry's release as its API returns it.
fn sentry_release(version: &str, date_released: Option<&str>) -> Value {
    json!({
        "version": version, "shortVersion": version, "ref": null, "url": null,
        "projects": [{"slug": "web", "name": "web"}, {"slug": "api", "name": "api"}],
        "deployCount": 0, "commitCount": 0,
        "dateCreated": "2024-01-01T00:00:00Z", "dateReleased": date_released,
    })
}

/// GitHub's release as its API returns it.
fn github_release(tag: &str, id: u64) -> Value {
    json!({
        "url": format!("https://api.github.com/repos/acme/web/releases/{id}"),
        "html_url": format!("https://github.example/acme/web/releases/tag/{tag}"),
        "id": id, "node_id": "MDc6UmVsZWFzZTE=", "tag_name": tag,
        "target_commitish": "main", "name": tag, "body": "",
        "draft": false, "prerelease": false, "author": support::github::user(),
        "created_at": "2024-01-01T00:00:00Z", "published_at": "2024-01-01T00:00:00Z",
        "assets": [],
    })
}

fn stdout_json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn patch_set(commit: &Value) -> Vec<(String, String)> {
    commit["patch_set"]
        .as_array()
        .unwrap_or_else(|| panic!("no patch_set in {commit}"))
        .iter()
        .map(|p| {
            (
                p["type"].as_str().unwrap().to_string(),
                p["path"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn by_id<'a>(commits: &'a [Value], sha: &str) -> &'a Value {
    commits
        .iter()
        .find(|c| c["id"] == sha)
        .unwrap_or_else(|| panic!("commit {sha} not sent"))
}

#[tokio::test(flavor = "multi_thread")]
async fn creates_both_releases_from_the_tag_range() {
    let (repo, shas) = standard_repo();
    let f = Fakes::new().await;

    let out = f
        .cmd(repo.path())
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let report = stdout_json(&out);
    assert_eq!(report["version"], "v1.1.0");
    assert_eq!(report["previous"], "v1.0.0");
    assert_eq!(report["sentry"]["status"], "created");
    assert_eq!(report["sentry"]["commits"], 5);
    assert_eq!(report["github"]["status"], "created");
    assert_eq!(
        report["github"]["url"],
        "https://github.example/acme/web/releases/tag/v1.1.0"
    );
    f.validate_all().await;

    // Sentry: one create call, finalized in it, with the range's commits.
    let sent = f.bodies("POST", RELEASES).await;
    assert_eq!(sent.len(), 1);
    let body = &sent[0];
    assert_eq!(body["version"], "v1.1.0");
    assert_eq!(body["projects"], json!(["web", "api"]));
    assert!(body["dateReleased"].is_string());
    let commits = body["commits"].as_array().unwrap();
    let ids: Vec<&str> = commits.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 5);
    for sha in [
        &shas.feat,
        &shas.fix_on_branch,
        &shas.docs,
        &shas.merge,
        &shas.rename,
    ] {
        assert!(ids.contains(&sha.as_str()), "{sha} missing from {ids:?}");
    }
    assert!(
        !ids.contains(&shas.init.as_str()),
        "the previous release's commit is excluded"
    );
    assert_eq!(ids[0], shas.rename, "newest first");
    for c in commits {
        assert_eq!(
            c["repository"], "acme/web",
            "owner/name, never the remote's name"
        );
        assert_eq!(c["author_name"], "Test User");
        assert_eq!(c["author_email"], "test@example.com");
        chrono::DateTime::parse_from_rfc3339(c["timestamp"].as_str().unwrap())
            .expect("RFC 3339 timestamp");
    }
    // A rename is D old + A new.
    assert_eq!(
        patch_set(by_id(commits, &shas.rename)),
        vec![
            ("D".to_string(), "README.md".to_string()),
            ("A".to_string(), "README.txt".to_string())
        ]
    );
    // A merge commit carries its diff against its first parent: what the
    // merge brought into main (the branch's file), not main's own changes.
    assert_eq!(
        patch_set(by_id(commits, &shas.merge)),
        vec![("A".to_string(), "src/feature.rs".to_string())]
    );
    // Each commit against its own parent, not the next commit in the walk.
    assert_eq!(
        patch_set(by_id(commits, &shas.docs)),
        vec![("A".to_string(), "docs/guide.md".to_string())]
    );
    assert_eq!(
        by_id(commits, &shas.feat)["message"],
        "feat(api): add client (#12)"
    );

    // GitHub: the release for the tag, with grouped notes.
    let gh = f.bodies("POST", "/repos/acme/web/releases").await;
    assert_eq!(gh.len(), 1);
    assert_eq!(gh[0]["tag_name"], "v1.1.0");
    assert_eq!(gh[0]["target_commitish"], shas.rename.as_str());
    assert_eq!(gh[0]["draft"], false);
    // A hotfix of an older line must not become "latest" by default.
    assert_eq!(gh[0]["make_latest"], "legacy");
    let notes = gh[0]["body"].as_str().unwrap();
    let features = notes.find("### Features").expect(notes);
    let fixes = notes.find("### Fixes").expect(notes);
    let docs = notes.find("### Documentation").expect(notes);
    assert!(features < fixes && fixes < docs, "{notes}");
    assert!(
        notes.contains(
            "- **api:** add client ([#12](https://github.example/acme/web/pull/12)) by Test User"
        ),
        "{notes}"
    );
    assert!(
        notes.contains(r"handle \*empty\* input"),
        "escaped: {notes}"
    );
    assert!(
        !notes.contains("Merge pull request"),
        "merge commits are not notes: {notes}"
    );
    assert!(
        notes.contains("https://github.example/acme/web/compare/v1.0.0...v1.1.0"),
        "{notes}"
    );

    // Actions outputs and summary.
    let output = std::fs::read_to_string(f.output_file()).unwrap();
    assert!(output.contains("version=v1.1.0\n"), "{output}");
    assert!(
        output.contains("release_url=https://github.example/acme/web/releases/tag/v1.1.0\n"),
        "{output}"
    );
    let summary = std::fs::read_to_string(f.summary_file()).unwrap();
    assert!(summary.contains("### Release v1.1.0"), "{summary}");
}

#[tokio::test(flavor = "multi_thread")]
async fn rerun_finds_existing_releases_and_updates_them() {
    let (repo, _) = standard_repo();
    let f = Fakes::new().await;
    // Sentry: the release exists and was never finalized.
    f.fake
        .state()
        .sentry
        .releases
        .insert("v1.1.0".into(), sentry_release("v1.1.0", None));
    // GitHub: the tag has a release (a create answers 422 already_exists),
    // one obsctl wrote before: its title is the version, its notes in obsctl's section.
    let mut ours = github_release("v1.1.0", 77);
    ours["name"] = json!("v1.1.0");
    ours["body"] = json!("<!-- obsctl:notes -->\n- old\n<!-- /obsctl:notes -->");
    f.fake.state().github.releases.push(ours);

    let out = f
        .cmd(repo.path())
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let report = stdout_json(&out);
    assert_eq!(report["sentry"]["status"], "existed");
    assert_eq!(report["github"]["status"], "updated");
    f.validate_all().await;
    for (method, route) in [
        ("POST", "sentry.create_release"),
        ("PUT", "sentry.update_release"),
        ("POST", "github.create_release"),
        ("GET", "github.get_release_by_tag"),
        ("PATCH", "github.update_release"),
    ] {
        assert_eq!(f.count(method, route), 1, "{method} {route}");
    }
    let put = f.bodies("PUT", &format!("{RELEASES}v1.1.0/")).await;
    assert!(put[0]["dateReleased"].is_string(), "{}", put[0]);
    let patch = f.bodies("PATCH", "/repos/acme/web/releases/77").await;
    assert!(
        patch[0]["body"].as_str().unwrap().contains("### Features"),
        "{}",
        patch[0]
    );
    assert!(patch[0].get("draft").is_none(), "draft state is left alone");
}

/// Issue 11: a GitHub release written by hand keeps its title and notes
/// (with a warning, and no PATCH), unless `--notes replace`.
#[tokio::test(flavor = "multi_thread")]
async fn a_hand_written_github_release_is_kept_unless_replace() {
    let (repo, _) = standard_repo();
    let f = Fakes::new().await;
    // The tag has a release written by hand: a create answers 422 already_exists.
    let mut by_hand = github_release("v1.1.0", 78);
    by_hand["name"] = json!("v1.1.0 – Spring release");
    by_hand["body"] = json!("Hand-written notes.");
    f.fake.state().github.releases.push(by_hand);
    for notes in ["auto", "none"] {
        let out = f
            .cmd(repo.path())
            .args(["--no-sentry", "--format", "json", "--notes", notes])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(
            stdout_json(&out)["github"]["status"],
            "kept",
            "--notes {notes}"
        );
        assert_eq!(
            stderr(&out).contains("obsctl did not write"),
            notes == "auto",
            "{}",
            stderr(&out)
        );
    }
    assert!(
        f.bodies("PATCH", "/repos/acme/web/releases/78")
            .await
            .is_empty()
    );
    let out = f
        .cmd(repo.path())
        .args(["--no-sentry", "--notes", "replace"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let patch = f.bodies("PATCH", "/repos/acme/web/releases/78").await;
    assert_eq!(patch.len(), 1);
    assert_eq!(patch[0]["name"], "v1.1.0");
    assert!(
        patch[0]["body"]
            .as_str()
            .unwrap()
            .starts_with("<!-- obsctl:notes -->")
    );
    f.validate_all().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn finalized_release_is_not_finalized_again_and_no_finalize_leaves_it_open() {
    let (repo, _) = standard_repo();
    let f = Fakes::new().await;
    f.fake.state().sentry.releases.insert(
        "v1.1.0".into(),
        sentry_release("v1.1.0", Some("2024-01-01T00:00:00Z")),
    );
    let out = f.cmd(repo.path()).arg("--no-github").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = f
        .cmd(repo.path())
        .args(["--no-github", "--no-finalize"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    f.validate_all().await;
    let reqs = f.requests().await;
    assert_eq!(reqs.len(), 2, "two creates, no finalize call: {reqs:?}");
    assert!(reqs[0].2["dateReleased"].is_string());
    assert!(reqs[1].2.get("dateReleased").is_none(), "--no-finalize");
}

#[tokio::test(flavor = "multi_thread")]
async fn github_notes_mode_uses_generate_notes_with_the_previous_tag() {
    let (repo, _) = standard_repo();
    let f = Fakes::new().await;
    // The previous release, listed by GET /releases.
    f.fake
        .state()
        .github
        .releases
        .push(github_release("v1.0.0", 5));
    let out = f
        .cmd(repo.path())
        .args([
            "--no-sentry",
            "--notes",
            "github",
            "--draft",
            "--prerelease",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    f.validate_all().await;
    let gen_body = &f
        .bodies("POST", "/repos/acme/web/releases/generate-notes")
        .await[0];
    assert_eq!(gen_body["tag_name"], "v1.1.0");
    assert_eq!(gen_body["previous_tag_name"], "v1.0.0");
    assert_eq!(f.count("POST", "github.generate_release_notes"), 1);
    let create = &f.bodies("POST", "/repos/acme/web/releases").await[0];
    assert_eq!(
        create["body"],
        "<!-- obsctl:notes -->\n##Changes in Release v1.0.0 ... ##Contributors @monalisa\n<!-- /obsctl:notes -->"
    );
    assert_eq!(create["draft"], true);
    assert_eq!(create["prerelease"], true);
    // Drafts and prereleases cannot be latest: the field is left out.
    assert!(create.get("make_latest").is_none(), "{create}");
    // --draft looks for an existing draft first (GitHub allows duplicates).
    let gets: Vec<String> = f
        .requests()
        .await
        .into_iter()
        .filter(|(m, _, _)| m == "GET")
        .map(|(_, p, _)| p)
        .collect();
    assert_eq!(
        gets,
        vec![
            "/repos/acme/web/releases/tags/v1.1.0".to_string(),
            "/repos/acme/web/releases".to_string()
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn notes_file_and_notes_none() {
    let (repo, _) = standard_repo();
    let f = Fakes::new().await;
    let notes = f.dir.path().join("NOTES.md");
    std::fs::write(&notes, "Hand-written notes.\n").unwrap();
    let out = f
        .cmd(repo.path())
        .arg("--no-sentry")
        .arg("--notes-file")
        .arg(&notes)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = f
        .cmd(repo.path())
        .args(["--no-sentry", "--notes", "none"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    f.validate_all().await;
    let bodies = f.bodies("POST", "/repos/acme/web/releases").await;
    assert_eq!(
        bodies[0]["body"],
        "<!-- obsctl:notes -->\nHand-written notes.\n<!-- /obsctl:notes -->"
    );
    assert!(bodies[1].get("body").is_none(), "{}", bodies[1]);

    // A notes file over GitHub's 125,000 characters (the fake answers 422
    // as GitHub does): cut at whole lines, with how many were left out.
    let lines: Vec<String> = (0..4000)
        .map(|i| format!("- note {i} {}", "x".repeat(40)))
        .collect();
    std::fs::write(&notes, lines.join("\n")).unwrap();
    let out = f
        .cmd(repo.path())
        .args(["--no-sentry", "--notes-file"])
        .arg(&notes)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let sent: Vec<Value> = f
        .requests()
        .await
        .into_iter()
        .filter(|(m, p, _)| m != "GET" && p.starts_with("/repos/acme/web/releases"))
        .map(|(_, _, b)| b)
        .collect();
    let body = sent
        .last()
        .and_then(|b| b["body"].as_str())
        .expect("the notes were sent");
    assert!(body.chars().count() <= 125_000);
    let listed = body.lines().filter(|l| l.starts_with("- note")).count();
    assert!(listed < 4000);
    assert!(
        body.contains(&format!("… and {} more", 4000 - listed)),
        "{}",
        &body[body.len() - 200..]
    );

    // An unreadable notes file is bad input.
    let out = f
        .cmd(repo.path())
        .args(["--no-sentry", "--notes-file", "/nonexistent/notes.md"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--notes-file"));
}

#[tokio::test(flavor = "multi_thread")]
async fn first_release_takes_a_bounded_depth_and_says_so() {
    let repo = GitRepo::new();
    for i in 0..103 {
        repo.commit(
            &format!("f{}.txt", i % 5),
            &format!("{i}\n"),
            &format!("feat: step {i}"),
        );
    }
    let f = Fakes::new().await;
    let out = f
        .cmd(repo.path())
        .args(["1.0.0", "--no-github", "--no-finalize"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("first release"), "{text}");
    assert!(
        stderr(&out).contains("only the latest 100 commits"),
        "{}",
        stderr(&out)
    );
    f.validate_all().await;
    let body = &f.bodies("POST", RELEASES).await[0];
    assert_eq!(body["commits"].as_array().unwrap().len(), 100);
}

#[tokio::test(flavor = "multi_thread")]
async fn root_commit_is_diffed_against_the_empty_tree() {
    let repo = GitRepo::new();
    let root = repo.commit("a.txt", "a\n", "chore: start");
    let f = Fakes::new().await;
    let out = f
        .cmd(repo.path())
        .args(["0.1.0", "--no-github", "--no-finalize"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let body = &f.bodies("POST", RELEASES).await[0];
    let commits = body["commits"].as_array().unwrap();
    assert_eq!(
        patch_set(by_id(commits, &root)),
        vec![("A".to_string(), "a.txt".to_string())]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn path_filter_keeps_commits_touching_the_paths() {
    let repo = GitRepo::new();
    repo.commit("svc/a/main.rs", "1", "chore: init a");
    repo.tag("v1");
    let a = repo.commit("svc/a/main.rs", "2", "fix: a");
    repo.commit("svc/b/main.rs", "2", "fix: b");
    let both = repo.commit("svc/a/lib.rs", "3", "feat: a lib");
    repo.tag("v2");
    let f = Fakes::new().await;
    let out = f
        .cmd(repo.path())
        .args(["--no-github", "--path", "./svc/a/", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout_json(&out)["commits"], 2);
    let body = &f.bodies("POST", RELEASES).await[0];
    let ids: Vec<&str> = body["commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![both.as_str(), a.as_str()]);
}

/// `git clone --depth 2` of the standard repository: only the rename and
/// the merge are there; v1.0.0 is not.
fn shallow_clone(origin: &GitRepo) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", origin.path().display());
    let out = Command::new("git")
        .args(["clone", "-q", "--depth", "2", &url])
        .arg(dir.path().join("clone"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

#[tokio::test(flavor = "multi_thread")]
async fn shallow_clone_missing_previous_release_fails_naming_the_sha() {
    let (origin, shas) = standard_repo();
    let dir = shallow_clone(&origin);
    let clone = dir.path().join("clone");
    let f = Fakes::new().await;

    // The previous release given as a SHA that is not in the clone.
    let out = f
        .cmd(&clone)
        .args(["v1.1.0", "--previous", &shas.init])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains(&shas.init), "names the SHA: {err}");
    assert!(err.contains("fetch-depth: 0"), "names the fix: {err}");
    assert!(err.contains("--allow-shallow"), "{err}");

    // The tag ref is there but its commit is not (tags fetched without history).
    std::fs::write(
        clone.join(".git/refs/tags/v1.0.0"),
        format!("{}\n", shas.init),
    )
    .unwrap();
    let out = f
        .cmd(&clone)
        .args(["v1.1.0", "--previous", "v1.0.0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains(&shas.init), "{}", stderr(&out));
    std::fs::remove_file(clone.join(".git/refs/tags/v1.0.0")).unwrap();

    // No earlier tag within the shallow history: not taken for a first release.
    let out = f.cmd(&clone).arg("v1.1.0").output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("shallow"), "{err}");
    assert!(err.contains("fetch-depth: 0"), "{err}");

    assert!(f.requests().await.is_empty(), "nothing sent on a git error");
}

#[tokio::test(flavor = "multi_thread")]
async fn shallow_clone_with_allow_shallow_goes_on_and_says_so() {
    let (origin, shas) = standard_repo();
    let dir = shallow_clone(&origin);
    let clone = dir.path().join("clone");
    let f = Fakes::new().await;
    let out = f
        .cmd(&clone)
        .args([
            "v1.1.0",
            "--previous",
            &shas.init,
            "--allow-shallow",
            "--no-github",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("--allow-shallow"), "says so: {err}");
    assert!(err.contains(&shas.init), "{err}");
    f.validate_all().await;
    let body = &f.bodies("POST", RELEASES).await[0];
    let commits = body["commits"].as_array().unwrap();
    let ids: Vec<&str> = commits.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert!(
        ids.contains(&shas.rename.as_str()) && ids.contains(&shas.merge.as_str()),
        "{ids:?}"
    );
    assert!(
        !ids.contains(&shas.feat.as_str()),
        "not in the clone: {ids:?}"
    );
    // The rename's parent is here: a real patch set.
    assert_eq!(patch_set(by_id(commits, &shas.rename)).len(), 2);
    // The merge sits on the shallow edge, its parents are not here: no
    // patch_set rather than a wrong one (the whole tree "added").
    assert!(
        by_id(commits, &shas.merge).get("patch_set").is_none(),
        "{}",
        by_id(commits, &shas.merge)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_exits_2_before_any_request() {
    let (repo, _) = standard_repo();
    let f = Fakes::new().await;
    for bad in [
        " 1.0",
        "1.0 ",
        ".",
        "..",
        "latest",
        "a/b",
        "a\\b",
        "a\tb",
        "a\nb",
        &"x".repeat(201),
    ] {
        let out = f.cmd(repo.path()).arg(bad).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("invalid release version"),
            "{bad:?}: {}",
            stderr(&out)
        );
    }

    // Not a repository.
    let empty = tempfile::tempdir().unwrap();
    let out = f.cmd(empty.path()).arg("1.0").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not in a git repository"),
        "{}",
        stderr(&out)
    );

    // No VERSION and no tag at the target.
    repo.commit("x.txt", "x", "chore: after the tag");
    let out = f.cmd(repo.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no VERSION given"),
        "{}",
        stderr(&out)
    );

    // Sentry token without org or project.
    for (var, want) in [
        ("SENTRY_ORG", "SENTRY_ORG"),
        ("SENTRY_PROJECT", "SENTRY_PROJECT"),
    ] {
        let out = f
            .cmd(repo.path())
            .arg("1.0")
            .env_remove(var)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{var}: {}", stderr(&out));
        assert!(stderr(&out).contains(want), "{}", stderr(&out));
    }
    // An empty variable counts as unset.
    let out = f
        .cmd(repo.path())
        .arg("1.0")
        .env("SENTRY_ORG", "")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));

    // An unknown --previous.
    let out = f
        .cmd(repo.path())
        .args(["1.0", "--previous", "no-such-tag"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));

    assert!(f.requests().await.is_empty(), "bad input sends nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn sentry_401_names_the_variable_and_github_still_records() {
    let (repo, _) = standard_repo();
    let f = Fakes::new().await;
    f.rules(vec![always(
        At::Route("sentry.create_release"),
        Act::status(401, json!({"detail": "Invalid token"})),
    )]);
    let out = f.cmd(repo.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("SENTRY_AUTH_TOKEN"), "{err}");
    assert!(err.contains("Sentry: NOT recorded"), "{err}");
    assert!(err.contains("GitHub: recorded (created"), "{err}");
    assert_eq!(f.bodies("POST", "/repos/acme/web/releases").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn github_401_names_the_variable_and_sentry_still_records() {
    let (repo, _) = standard_repo();
    let f = Fakes::new().await;
    f.rules(vec![always(
        At::Route("github.create_release"),
        Act::status(
            401,
            json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}),
        ),
    )]);
    let out = f.cmd(repo.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("GITHUB_TOKEN"), "{err}");
    assert!(err.contains("GitHub: NOT recorded"), "{err}");
    assert!(
        err.contains("Sentry: recorded (created, 5 commits)"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn github_403_hints_at_contents_write() {
    let (repo, _) = standard_repo();
    let f = Fakes::new().await;
    f.rules(vec![always(
        At::Route("github.create_release"),
        Act::status(
            403,
            json!({"message": "Resource not accessible by integration", "documentation_url": "https://docs.github.com/rest"}),
        ),
    )]);
    let out = f.cmd(repo.path()).arg("--no-sentry").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("contents: write"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_json_from_a_server_is_an_error() {
    let (repo, _) = standard_repo();
    let f = Fakes::new().await;
    f.rules(vec![
        always(
            At::Route("sentry.create_release"),
            Act::text(201, "<html>oops</html>"),
        ),
        always(
            At::Route("github.create_release"),
            Act::text(201, "{\"id\": "),
        ),
    ]);
    let out = f.cmd(repo.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("Sentry: NOT recorded"), "{err}");
    assert!(err.contains("GitHub: NOT recorded"), "{err}");
    assert!(err.contains("not the JSON expected"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn transient_5xx_is_retried_without_duplicates() {
    let (repo, _) = standard_repo();
    let f = Fakes::new().await;
    // Sentry's create is idempotent: retried as is. GitHub's create could
    // duplicate: obsctl looks for the release (none), then tries again.
    f.rules(vec![
        once(At::Route("sentry.create_release"), Act::text(502, "")),
        once(At::Route("github.create_release"), Act::text(502, "")),
    ]);
    let out = f
        .cmd(repo.path())
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let report = stdout_json(&out);
    assert_eq!(report["sentry"]["status"], "created");
    assert_eq!(report["github"]["status"], "created");
    f.validate_all().await;
    assert_eq!(f.bodies("POST", RELEASES).await.len(), 2);
    let methods: Vec<(String, String)> = f
        .requests()
        .await
        .into_iter()
        .filter(|(_, p, _)| p.starts_with("/repos"))
        .map(|(m, p, _)| (m, p))
        .collect();
    // The release's published version is read alongside the first create
    // (issue 12: a re-run updates at once); after the unclear answer it is
    // looked up by tag and in the list before the one retry.
    let mut sorted = methods.clone();
    sorted.sort();
    let want = |m: &str, p: &str| (m.to_string(), p.to_string());
    assert_eq!(
        sorted,
        vec![
            want("GET", "/repos/acme/web/releases"),
            want("GET", "/repos/acme/web/releases/tags/v1.1.0"),
            want("GET", "/repos/acme/web/releases/tags/v1.1.0"),
            want("POST", "/repos/acme/web/releases"),
            want("POST", "/repos/acme/web/releases"),
        ]
    );
    assert_eq!(
        methods.last(),
        Some(&want("POST", "/repos/acme/web/releases"))
    );
    let list = methods
        .iter()
        .position(|r| r == &want("GET", "/repos/acme/web/releases"))
        .unwrap();
    assert!(methods[..list].contains(&want("POST", "/repos/acme/web/releases")));
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_sends_nothing_and_prints_the_requests() {
    let (repo, _) = standard_repo();
    let f = Fakes::new().await;
    let out = f.cmd(repo.path()).arg("--dry-run").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("POST {}{RELEASES}", f.fake.uri())),
        "{text}"
    );
    assert!(
        text.contains(&format!("POST {}/repos/acme/web/releases", f.fake.uri())),
        "{text}"
    );
    assert!(text.contains("\"tag_name\": \"v1.1.0\""), "{text}");

    let out = f
        .cmd(repo.path())
        .args(["--dry-run", "--format", "json", "--notes", "github"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let report = stdout_json(&out);
    let requests = report["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 3, "{requests:?}");
    for r in requests {
        let body = &r["body"];
        match (r["method"].as_str().unwrap(), r["url"].as_str().unwrap()) {
            ("POST", u) if u.ends_with(RELEASES) => {
                assert_valid("sentry/create-release.json", Some("request"), body)
            }
            ("POST", u) if u.ends_with("/generate-notes") => {
                assert_valid("github/generate-release-notes.json", Some("request"), body)
            }
            ("POST", u) if u.ends_with("/releases") => {
                assert_valid("github/create-release.json", Some("request"), body)
            }
            other => panic!("unexpected planned request {other:?}"),
        }
    }
    for out in [&out.stdout, &out.stderr] {
        let s = String::from_utf8_lossy(out);
        assert!(!s.contains(GH_TOKEN) && !s.contains(SENTRY_TOKEN), "{s}");
    }
    assert!(f.requests().await.is_empty(), "--dry-run sends nothing");
    assert!(!f.output_file().exists(), "no outputs on a dry run");
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_never_printed_with_verbose() {
    let (repo, _) = standard_repo();
    // A token pasted into a commit message is untrusted text too.
    repo.commit("leak.txt", "x", &format!("fix: oops {GH_TOKEN}"));
    repo.tag("v1.2.0");
    let f = Fakes::new().await;
    let out = f.cmd(repo.path()).args(["-vv"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let output = std::fs::read_to_string(f.output_file()).unwrap();
    let summary = std::fs::read_to_string(f.summary_file()).unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let err = stderr(&out);
    assert!(err.contains("debug:"), "verbose lines are there: {err}");
    for (name, s) in [
        ("stdout", &stdout),
        ("stderr", &err),
        ("output", &output),
        ("summary", &summary),
    ] {
        assert!(!s.contains(GH_TOKEN), "{name}: {s}");
        assert!(!s.contains(SENTRY_TOKEN), "{name}: {s}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn version_defaults_to_the_workflow_tag() {
    let (repo, _) = standard_repo();
    let f = Fakes::new().await;
    let out = f
        .cmd(repo.path())
        .args(["--no-github", "--format", "json"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_REF_TYPE", "tag")
        .env("GITHUB_REF_NAME", "v1.1.0")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    // In Actions, secrets are masked first (::add-mask::), then the JSON.
    let json_start = stdout.find('{').unwrap();
    let report: Value = serde_json::from_str(&stdout[json_start..]).unwrap();
    assert_eq!(report["version"], "v1.1.0");
}

/// A long range with fast-import: 3,000 commits, some renames.
#[tokio::test(flavor = "multi_thread")]
async fn a_3000_commit_range_is_quick() {
    let repo = GitRepo::new();
    repo.commit("seed.txt", "seed\n", "chore: seed");
    repo.tag("v1");
    let mut stream = String::new();
    let parent = repo.git(&["rev-parse", "HEAD"]);
    for i in 0..3000 {
        let data = format!("line {i}\n");
        let message = format!("feat: change {i}");
        let t = 1_700_000_000 + i;
        stream.push_str(&format!(
            "commit refs/heads/main\nmark :{}\nauthor A <a@example.com> {t} +0000\n\
             committer A <a@example.com> {t} +0000\ndata {}\n{message}\n",
            i + 1,
            message.len(),
        ));
        if i == 0 {
            stream.push_str(&format!("from {parent}\n"));
        }
        if i % 100 == 50 {
            let (d, n) = ((i - 1) % 7, (i - 1) % 40);
            stream.push_str(&format!("R dir{d}/f{n}.txt dir{d}/renamed{i}.txt\n"));
        }
        stream.push_str(&format!(
            "M 100644 inline dir{}/f{}.txt\ndata {}\n{}\n",
            i % 7,
            i % 40,
            data.len(),
            data
        ));
    }
    let mut child = Command::new("git")
        .args(["fast-import", "--quiet", "--force"])
        .current_dir(repo.path())
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stream.as_bytes())
            .unwrap();
    }
    assert!(child.wait().unwrap().success());
    repo.git(&["reset", "-q", "--hard", "main"]);
    repo.tag("v2");

    let f = Fakes::new().await;
    let started = Instant::now();
    let out = f
        .cmd(repo.path())
        .args(["--dry-run", "--no-github", "--format", "json"])
        .output()
        .unwrap();
    let took = started.elapsed();
    assert!(out.status.success(), "{}", stderr(&out));
    let report = stdout_json(&out);
    assert_eq!(report["commits"], 3000);
    // Capped for Sentry, and said so.
    assert_eq!(report["sentry"]["commits"], 1000);
    assert_eq!(report["sentry"]["commits_omitted"], 2000);
    assert!(
        stderr(&out).contains("newest 1000 of 3000"),
        "{}",
        stderr(&out)
    );
    assert!(took < Duration::from_secs(20), "took {took:?}");
}

/// The git layer itself: renames (with an edit) are detected, merges are
/// diffed against their first parent, tags are listed with their times, and
/// the edge of a shallow clone is reported.
#[test]
fn git_layer_reports_renames_merges_tags_and_shallow_edges() {
    use obsctl::git::{ChangeKind, FileChange, Git, PreviousTag};

    let repo = GitRepo::new();
    let text: String = (0..30).map(|i| format!("line {i}\n")).collect();
    repo.commit("src/old.rs", &text, "chore: init");
    repo.tag("v1");
    repo.git(&["mv", "src/old.rs", "src/new.rs"]);
    std::fs::write(
        repo.path().join("src/new.rs"),
        text.replace("line 3\n", "line three\n"),
    )
    .unwrap();
    repo.git(&["commit", "-qam", "refactor: move and edit"]);
    let head = repo.git(&["rev-parse", "HEAD"]);
    let git = Git::open(repo.path()).unwrap();
    let walk = git
        .walk(&head, Some(&git.resolve("v1").unwrap()), None)
        .unwrap();
    assert_eq!(walk.commits.len(), 1);
    assert_eq!(
        walk.commits[0].files.as_deref(),
        Some(
            &[FileChange {
                path: "src/new.rs".into(),
                kind: ChangeKind::Renamed,
                from: Some("src/old.rs".into()),
            }][..]
        )
    );

    let (repo, shas) = standard_repo();
    let git = Git::open(repo.path()).unwrap();
    let tags = git.tags(None).unwrap();
    let names: Vec<&str> = tags.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, vec!["v1.0.0", "v1.1.0"]);
    assert!(tags[0].tagger_time.is_none() && tags[0].commit_time.is_some());
    assert!(tags[1].tagger_time.is_some(), "annotated");
    assert_eq!(tags[1].sha, shas.rename, "peeled to the commit");
    assert_eq!(git.tags(Some("v1.1*")).unwrap().len(), 1);
    assert_eq!(
        git.previous_release(&shas.rename, "v1.1.0", &Default::default())
            .unwrap(),
        PreviousTag::Found {
            name: "v1.0.0".into(),
            sha: shas.init.clone()
        }
    );
    let walk = git.walk(&shas.rename, Some(&shas.init), None).unwrap();
    let merge = walk.commits.iter().find(|c| c.sha == shas.merge).unwrap();
    assert!(merge.is_merge());
    assert_eq!(merge.parents[0], shas.docs, "first parent is main");
    assert!(walk.shallow_boundary.is_empty());
    assert!(!git.is_shallow());

    let dir = shallow_clone(&repo);
    let git = Git::open(&dir.path().join("clone")).unwrap();
    assert!(git.is_shallow());
    assert_eq!(
        git.previous_release(&shas.rename, "v1.1.0", &Default::default())
            .unwrap(),
        PreviousTag::NotFound {
            shallow_boundary: Some(shas.merge.clone())
        }
    );
    let walk = git.walk(&shas.rename, None, None).unwrap();
    assert_eq!(walk.shallow_boundary, vec![shas.merge.clone()]);
    assert!(!git.has_commit(&shas.init));
    assert!(matches!(
        git.resolve(&shas.init),
        Err(obsctl::git::GitError::Missing { .. })
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn sentry_409_and_github_422_name_the_fix() {
    let (repo, shas) = standard_repo();
    let f = Fakes::new().await;
    f.rules(vec![
        always(
            At::Route("sentry.create_release"),
            Act::status(
                409,
                json!({"detail": "Release commits are currently being processed"}),
            ),
        ),
        always(
            At::Route("github.create_release"),
            Act::status(
                422,
                json!({
                    "message": "Validation Failed",
                    "errors": [{"resource": "Release", "code": "invalid", "field": "target_commitish"}],
                    "documentation_url": "https://docs.github.com/rest"
                }),
            ),
        ),
    ]);
    let out = f.cmd(repo.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("re-run in a minute"), "{err}");
    assert!(
        err.contains(&format!("target commit {}", shas.rename)),
        "{err}"
    );
    assert!(err.contains("push it"), "{err}");
}

#[tokio::test]
async fn the_release_is_announced_in_deployments_and_a_slack_failure_is_a_warning() {
    let (repo, _) = standard_repo();
    let f = Fakes::new().await;
    let out = f
        .cmd(repo.path())
        .env(
            "SLACK_WEBHOOK_URL_DEPLOYMENTS",
            f.fake.slack_hook_url("deployments"),
        )
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let report = stdout_json(&out);
    assert_eq!(report["notifications"][0]["ok"], true, "{report}");
    let sent = f.fake.state().slack.hook_posts.clone();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["_hook"], "deployments");
    let body = f.fake.state().requests(At::Route("slack.webhook"))[0]
        .body
        .clone();
    assert_valid("slack/incoming-webhook.json", None, &body);
    let text = body.to_string();
    assert!(text.contains("Released v1.1.0"), "{text}");
    assert!(
        text.contains("https://github.example/acme/web/releases/tag/v1.1.0"),
        "{text}"
    );

    // Slack down: the releases are recorded, the announcement is a warning.
    let f = Fakes::new().await;
    f.fake.state().slack.revoked = vec!["x".into()];
    let out = f
        .cmd(repo.path())
        .env("SLACK_WEBHOOK_URL", f.fake.slack_hook_url("x"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("warning:"), "{}", stderr(&out));
    // With --strict the failed announcement fails the command.
    let out = f
        .cmd(repo.path())
        .env("SLACK_WEBHOOK_URL", f.fake.slack_hook_url("x"))
        .arg("--strict")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

/// The longest chain of requests each sent after the previous one's
/// answer (every answer takes `delay`).
fn round_trips(log: &[(String, Instant)], delay: Duration) -> usize {
    let mut log = log.to_vec();
    log.sort_by_key(|e| e.1);
    let mut depth: Vec<usize> = Vec::new();
    for (i, r) in log.iter().enumerate() {
        let d = log[..i]
            .iter()
            .zip(&depth)
            .filter(|(q, _)| q.1 + delay <= r.1)
            .map(|(_, d)| *d)
            .max()
            .unwrap_or(0);
        depth.push(d + 1);
    }
    depth.into_iter().max().unwrap_or(0)
}

/// Issue 12: `release create` takes 1 sequential round trip when the
/// releases are new and 2 when the tag's GitHub release exists (its
/// published release is read alongside the create, so the 422 is followed
/// by the PATCH at once), Sentry and GitHub concurrently.
#[tokio::test(flavor = "multi_thread")]
async fn release_create_round_trips_new_and_existing() {
    let delay = Duration::from_millis(300);
    for existing in [false, true] {
        let (repo, _) = standard_repo();
        let f = Fakes::new().await;
        if existing {
            // A release obsctl wrote before: a create answers 422 already_exists.
            let mut ours = github_release("v1.1.0", 77);
            ours["body"] = json!("<!-- obsctl:notes -->\n- old\n<!-- /obsctl:notes -->");
            f.fake.state().github.releases.push(ours);
        }
        f.fake.state().delay = Some(delay);
        let out = f
            .cmd(repo.path())
            .args(["--format", "json"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let report = stdout_json(&out);
        let want = if existing { "updated" } else { "created" };
        assert_eq!(report["github"]["status"], want);
        let seen = f.fake.state().seen.clone();
        let log: Vec<(String, Instant)> = seen
            .iter()
            .map(|r| (format!("{} {}", r.method, r.path), r.at))
            .collect();
        let names: Vec<&str> = log.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(
            round_trips(&log, delay),
            if existing { 2 } else { 1 },
            "existing: {existing}: {names:?}"
        );
        assert_eq!(
            names.iter().filter(|n| n.starts_with("PATCH")).count(),
            usize::from(existing)
        );
        f.validate_all().await;
    }
}

/// `release create` with only Sentry configured (no GitHub), in `repo`:
/// the `repository` of every commit sent, and stderr.
async fn sentry_repository_sent(
    repo: &Path,
    env: &[(&str, &str)],
) -> (Option<Vec<Value>>, std::process::Output) {
    let f = Fakes::new().await;
    let out = obsctl()
        .envs(f.fake.sentry_env())
        .envs(env.iter().copied())
        .arg("-C")
        .arg(repo)
        .args(["release", "create", "--format", "json"])
        .output()
        .unwrap();
    let sent = f.bodies("POST", RELEASES).await;
    let repos = sent.first().map(|b| {
        b["commits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["repository"].clone())
            .collect()
    });
    (repos, out)
}

#[tokio::test(flavor = "multi_thread")]
async fn sentry_repository_is_the_full_path_of_a_nested_gitlab_group() {
    let (repo, _) = standard_repo();
    repo.git(&[
        "remote",
        "add",
        "origin",
        "git@gitlab.com:group/sub/web.git",
    ]);
    let nested = json!("group/sub/web");

    // From the `origin` remote, outside CI.
    let (repos, out) = sentry_repository_sent(repo.path(), &[]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let repos = repos.expect("one release create");
    assert_eq!(repos.len(), 5);
    assert!(repos.iter().all(|r| *r == nested), "{repos:?}");
    assert!(
        !stderr(&out).contains("repository is unknown"),
        "{}",
        stderr(&out)
    );

    // From CI_PROJECT_PATH on GitLab (the remote says something else).
    repo.git(&["remote", "set-url", "origin", "https://example.com/x/y.git"]);
    let (repos, out) = sentry_repository_sent(
        repo.path(),
        &[("GITLAB_CI", "true"), ("CI_PROJECT_PATH", "group/sub/web")],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(repos.unwrap().iter().all(|r| *r == nested));

    // SENTRY_REPOSITORY wins over CI_PROJECT_PATH and the remote, and over
    // GITHUB_REPOSITORY (which stays owner/name for GitHub).
    for extra in [
        ("GITLAB_CI", "true"),
        ("CI_PROJECT_PATH", "other/path"),
        ("GITHUB_REPOSITORY", "acme/web"),
    ] {
        let (repos, out) = sentry_repository_sent(
            repo.path(),
            &[extra, ("SENTRY_REPOSITORY", "group/sub/web")],
        )
        .await;
        assert!(out.status.success(), "{extra:?}: {}", stderr(&out));
        assert!(repos.unwrap().iter().all(|r| *r == nested), "{extra:?}");
    }
    // The flag too.
    let f = Fakes::new().await;
    let out = obsctl()
        .envs(f.fake.sentry_env())
        .env("SENTRY_REPOSITORY", "a/b")
        .arg("-C")
        .arg(repo.path())
        .args(["release", "create", "--sentry-repository", "team/x/web"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let sent = f.bodies("POST", RELEASES).await;
    assert_eq!(sent[0]["commits"][0]["repository"], "team/x/web");

    // GITHUB_REPOSITORY on GitHub, when nothing more specific is set.
    let (repos, out) = sentry_repository_sent(
        repo.path(),
        &[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_REPOSITORY", "acme/web"),
        ],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(repos.unwrap().iter().all(|r| *r == "acme/web"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_sentry_repository_names_sentry_repository() {
    // No remote, no CI: commits go without a repository, and the notice
    // names the variable that fixes it.
    let (repo, _) = standard_repo();
    let (repos, out) = sentry_repository_sent(repo.path(), &[]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        repos.unwrap().iter().all(|r| r.is_null()),
        "no repository field"
    );
    let err = stderr(&out);
    assert!(err.contains("SENTRY_REPOSITORY"), "{err}");
    assert!(!err.contains("GITHUB_REPOSITORY"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invalid_sentry_repository_is_a_usage_error() {
    let (repo, _) = standard_repo();
    for (var, value) in [
        ("SENTRY_REPOSITORY", "web"),
        ("SENTRY_REPOSITORY", "group//web"),
        ("SENTRY_REPOSITORY", "group/we b"),
    ] {
        let (repos, out) = sentry_repository_sent(repo.path(), &[(var, value)]).await;
        assert_eq!(out.status.code(), Some(2), "{value:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("SENTRY_REPOSITORY"),
            "{}",
            stderr(&out)
        );
        assert_eq!(repos, None, "nothing sent for {value:?}");
    }
    // CI_PROJECT_PATH, malformed, on GitLab.
    let (repos, out) = sentry_repository_sent(
        repo.path(),
        &[("GITLAB_CI", "true"), ("CI_PROJECT_PATH", "web")],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("CI_PROJECT_PATH"), "{}", stderr(&out));
    assert_eq!(repos, None);
    // GITHUB_REPOSITORY stays owner/name, and its error points at SENTRY_REPOSITORY.
    let (_, out) =
        sentry_repository_sent(repo.path(), &[("GITHUB_REPOSITORY", "group/sub/web")]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("SENTRY_REPOSITORY"),
        "{}",
        stderr(&out)
    );
}

/// Sentry's version rules (no `/`, not `latest`) apply only when Sentry is
/// used; GitHub takes `web/v1.2.3` as a tag (issue 11).
#[tokio::test(flavor = "multi_thread")]
async fn sentry_version_rules_only_with_sentry() {
    let (repo, _) = standard_repo();
    let f = Fakes::new().await;
    for version in ["web/v1.2.3", "latest"] {
        let out = f
            .cmd(repo.path())
            .args([version, "--target", "HEAD~1", "--no-sentry"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{version}: {}", stderr(&out));
    }
    let bodies = f.bodies("POST", "/repos/acme/web/releases").await;
    let tags: Vec<&str> = bodies
        .iter()
        .map(|b| b["tag_name"].as_str().unwrap())
        .collect();
    assert_eq!(tags, ["web/v1.2.3", "latest"]);

    // With Sentry: exit 2, naming Sentry and offering --no-sentry; nothing sent.
    let before = f.requests().await.len();
    let out = f
        .cmd(repo.path())
        .args(["web/v1.2.3", "--target", "HEAD~1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("Sentry") && err.contains("--no-sentry"),
        "{err}"
    );
    assert_eq!(f.requests().await.len(), before, "{err}");
    f.validate_all().await;
}
