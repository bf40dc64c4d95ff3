//! Every list obsctl reads is read to its end: one test per paginated list
//! with more than one page, against the one fake per API (`tests/support/`),
//! which pages as GitHub (`per_page`, `page`, `Link: rel="next"`) and Sentry
//! (`cursor`, `Link` with `results="true|false"`) do. Each test seeds the
//! fake so that the right answer is only on page 2, and counts the pages.
mod common;
mod support;

use serde_json::{Value, json};
use support::{At, Fake};

struct World {
    fake: Fake,
    repo: common::GitRepo,
    sha: String,
}

impl World {
    async fn new() -> Self {
        let repo = common::GitRepo::new();
        repo.commit("README.md", "hello\n", "chore: init");
        repo.tag("v1.0.0");
        let sha = repo.commit("app.txt", "v2\n", "feat: a feature");
        repo.annotated_tag("v1.1.0", "release 1.1.0");
        World {
            fake: Fake::start().await,
            repo,
            sha,
        }
    }

    fn cmd(&self, args: &[&str]) -> assert_cmd::Command {
        let mut c = common::obsctl();
        c.arg("-C").arg(self.repo.path());
        c.args(args);
        c.envs(self.fake.github_env())
            .envs(self.fake.sentry_env())
            .env("GITHUB_SERVER_URL", "https://github.com")
            .env("OBSCTL_RETRY_BUDGET", "2")
            .env("OBSCTL_TIMEOUT", "10");
        c
    }

    /// Run, expecting success; the JSON report.
    fn run(&self, args: &[&str]) -> Value {
        let out = self.cmd(args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!("{e}: {}", String::from_utf8_lossy(&out.stdout));
        })
    }

    fn count(&self, method: &str, route: &'static str) -> usize {
        self.fake.state().count(method, At::Route(route))
    }

    /// The `page` of every request to `route`, in order (None: the first).
    fn pages(&self, route: &'static str) -> Vec<Option<String>> {
        self.fake
            .state()
            .seen
            .iter()
            .filter(|s| s.route == Some(route))
            .map(|s| s.query.get("page").or(s.query.get("cursor")).cloned())
            .collect()
    }

    fn forget_requests(&self) {
        self.fake.state().seen.clear();
    }
}

/// A GitHub deployment of `sha` in `environment` that obsctl did not make.
fn foreign_deployment(id: u64, sha: &str, environment: &str) -> Value {
    json!({
        "url": format!("https://api.github.com/repos/acme/web/deployments/{id}"),
        "id": id, "node_id": "MDEwOkRlcGxveW1lbnQx",
        "sha": sha, "ref": sha, "task": "deploy", "payload": {},
        "original_environment": environment, "environment": environment,
        "description": null, "creator": support::github::user(),
        "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
        "statuses_url": format!("https://api.github.com/repos/acme/web/deployments/{id}/statuses"),
        "repository_url": "https://api.github.com/repos/acme/web",
        "transient_environment": false, "production_environment": true,
    })
}

/// A GitHub deployment status.
fn status(id: u64, deployment: u64, state: &str) -> Value {
    json!({
        "url": format!("https://api.github.com/repos/acme/web/deployments/{deployment}/statuses/{id}"),
        "id": id, "node_id": "MDE2OkRlcGxveW1lbnRTdGF0dXMx",
        "state": state, "creator": support::github::user(), "description": "",
        "environment": "production", "target_url": "", "log_url": "", "environment_url": "",
        "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
        "deployment_url": format!("https://api.github.com/repos/acme/web/deployments/{deployment}"),
        "repository_url": "https://api.github.com/repos/acme/web",
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_finish_finds_its_deployment_on_page_2_of_150() {
    let w = World::new().await;
    let started = w.run(&["deploy", "start", "-e", "production", "--format", "json"]);
    let id = started["deployment_id"].as_u64().unwrap();
    // 150 newer deployments of the same commit and environment, not
    // obsctl's: the list is newest first, so obsctl's is item 151 (page 2).
    {
        let mut s = w.fake.state();
        for n in 0..150 {
            let d = foreign_deployment(5000 + n, &w.sha, "production");
            s.github.statuses.insert(5000 + n, vec![]);
            s.github.deployments.push(d);
        }
    }
    w.forget_requests();
    let finished = w.run(&[
        "deploy",
        "finish",
        "-e",
        "production",
        "--status",
        "success",
        "--format",
        "json",
    ]);
    assert_eq!(finished["deployment_id"], id, "{finished}");
    assert_eq!(
        w.pages("github.list_deployments"),
        vec![None, Some("2".to_string())],
        "two pages of 100"
    );
    let s = w.fake.state();
    let ours = &s.github.statuses[&id];
    assert_eq!(ours.last().unwrap()["state"], "success");
    assert!(
        (5000..5150).all(|n| s.github.statuses[&n].is_empty()),
        "no other deployment touched"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_finish_reads_all_150_statuses() {
    let w = World::new().await;
    let started = w.run(&["deploy", "start", "-e", "production", "--format", "json"]);
    let id = started["deployment_id"].as_u64().unwrap();
    // The deployment already finished with success, then 149 later statuses:
    // newest first, the success is on page 2.
    {
        let mut s = w.fake.state();
        let list = s.github.statuses.get_mut(&id).unwrap();
        list.clear();
        list.push(status(9000, id, "success"));
        for n in 1..150 {
            list.push(status(9000 + n, id, "in_progress"));
        }
    }
    w.forget_requests();
    let finished = w.run(&[
        "deploy",
        "finish",
        "-e",
        "production",
        "--status",
        "success",
        "--deployment-id",
        &id.to_string(),
        "--format",
        "json",
    ]);
    assert_eq!(
        finished["already_finished"], true,
        "the earlier success (page 2) is seen: {finished}"
    );
    assert_eq!(
        w.pages("github.list_deployment_statuses"),
        vec![None, Some("2".to_string())]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_draft_release_on_page_2_of_the_release_list_is_updated_not_duplicated() {
    let w = World::new().await;
    // The draft of v1.1.0 is the oldest of 151 releases: the list is newest
    // first, so it is on page 2; drafts are not found by tag.
    {
        let mut s = w.fake.state();
        for n in 0..151u64 {
            let tag = if n == 0 {
                "v1.1.0".to_string()
            } else {
                format!("v0.{n}.0")
            };
            s.github.releases.push(json!({
                "url": format!("https://api.github.com/repos/acme/web/releases/{}", 700 + n),
                "html_url": format!("https://github.com/acme/web/releases/tag/{tag}"),
                "id": 700 + n, "node_id": "MDc6UmVsZWFzZTE=", "tag_name": tag,
                "target_commitish": "main", "name": tag, "body": "",
                "draft": n == 0, "prerelease": false, "author": support::github::user(),
                "created_at": "2026-01-01T00:00:00Z", "published_at": null,
                "assets": [],
            }));
        }
    }
    let report = w.run(&["release", "create", "--no-sentry", "--format", "json"]);
    assert_ne!(report["github"]["status"], "created", "{report}");
    // The create (sent alongside the look-up) is refused with 422
    // `already_exists`; the draft found on page 2 is updated instead.
    assert!(w.count("POST", "github.create_release") <= 1);
    assert_eq!(w.count("PATCH", "github.update_release"), 1);
    assert_eq!(
        w.pages("github.list_releases"),
        vec![None, Some("2".to_string())]
    );
    let s = w.fake.state();
    let drafts: Vec<&Value> = s
        .github
        .releases
        .iter()
        .filter(|r| r["tag_name"] == "v1.1.0")
        .collect();
    assert_eq!(drafts.len(), 1);
    assert_eq!(drafts[0]["id"], 700);
}

#[tokio::test(flavor = "multi_thread")]
async fn sentry_deploys_beyond_the_first_page_are_found() {
    let w = World::new().await;
    let started = w.run(&["deploy", "start", "-e", "production", "--format", "json"]);
    let id = started["deployment_id"].as_u64().unwrap();
    let finish = [
        "deploy",
        "finish",
        "-e",
        "production",
        "--status",
        "success",
        "--deployment-id",
        &id.to_string(),
        "--format",
        "json",
    ];
    let first = w.run(&finish);
    assert_eq!(first["sentry"], "created", "{first}");
    // 150 newer deploys of the release elsewhere: Sentry lists newest
    // first, 100 a page, so the deploy of this run is on page 2.
    {
        let mut s = w.fake.state();
        let deploys = s.sentry.deploys.get_mut("v1.1.0").unwrap();
        assert_eq!(deploys.len(), 1);
        for n in 0..150 {
            deploys.push(json!({
                "id": (8000 + n).to_string(), "environment": format!("preview-{n}"),
                "name": null, "url": null, "dateStarted": null,
                "dateFinished": "2026-01-01T00:00:00Z",
            }));
        }
    }
    w.forget_requests();
    let again = w.run(&finish);
    assert_eq!(again["sentry"], "existed", "{again}");
    assert_eq!(w.count("POST", "sentry.create_deploy"), 0, "no duplicate");
    let pages = w.pages("sentry.list_deploys");
    assert_eq!(pages.len(), 2, "{pages:?}");
    assert_eq!(pages[0], None);
    assert!(
        pages[1].as_deref().is_some_and(|c| c.starts_with("0:100:")),
        "{pages:?}"
    );
    assert_eq!(w.fake.state().sentry.deploys["v1.1.0"].len(), 151);
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_verify_reads_500_deployments_and_says_so_when_there_are_more() {
    let w = World::new().await;
    // v1.1.0 deployed and finished: its Sentry deploy says when.
    w.run(&["deploy", "start", "-e", "production", "--format", "json"]);
    let finished = w.run(&[
        "deploy",
        "finish",
        "-e",
        "production",
        "--status",
        "success",
        "--format",
        "json",
    ]);
    assert_eq!(finished["sentry"], "created", "{finished}");
    // 600 newer deployments (not obsctl's): the environment's list is
    // newest first, so everything obsctl recorded is past the bound.
    {
        let mut s = w.fake.state();
        for n in 0..600 {
            let d = foreign_deployment(9000 + n, &w.sha, "production");
            s.github.deployments.push(d);
        }
    }
    w.forget_requests();
    let out = w
        .cmd(&[
            "deploy",
            "verify",
            "-e",
            "production",
            "--release",
            "v1.1.0",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The bound is reported, not silent: a warning, and the error that no
    // baseline was found names it and the way out.
    assert!(
        stderr.contains("stopped after 5 pages (500 items)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("the newest 500 GitHub deployments (the bound; there are more)"),
        "{stderr}"
    );
    assert!(stderr.contains("--baseline"), "{stderr}");
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let pages = w.pages("github.list_deployments");
    assert_eq!(
        pages,
        vec![
            None,
            Some("2".to_string()),
            Some("3".to_string()),
            Some("4".to_string()),
            Some("5".to_string())
        ],
        "five pages of 100, no more"
    );
}
