//! Release series (issue 11): the previous release of a version is the
//! nearest earlier release of the same series — pre-releases skipped for a
//! stable version, other prefixes and non-version tags never taken, two
//! versions on one commit with nothing between them — on real repositories.
mod common;

use common::GitRepo;
use serde_json::Value;

/// `release create VERSION --target TARGET --dry-run --format json`, no providers.
fn plan(repo: &GitRepo, version: &str, target: &str, extra: &[&str]) -> Value {
    let out = common::obsctl()
        .env_remove("GITHUB_TOKEN")
        .env_remove("GH_TOKEN")
        .env_remove("SENTRY_AUTH_TOKEN")
        .arg("-C")
        .arg(repo.path())
        .args(["release", "create", version, "--target", target])
        .args([
            "--dry-run",
            "--format",
            "json",
            "--no-github",
            "--no-sentry",
        ])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn previous_and_count(v: &Value) -> (Option<&str>, u64) {
    (v["previous"].as_str(), v["commits"].as_u64().unwrap())
}

#[test]
fn a_stable_release_skips_the_release_candidates() {
    let repo = GitRepo::new();
    repo.commit("a", "1", "feat: one");
    repo.tag("v1.2.0");
    for i in 0..3 {
        repo.commit("a", &format!("rc{i}"), &format!("fix: rc work {i}"));
    }
    repo.tag("v1.3.0-rc.1");
    let head = repo.commit("a", "final", "fix: after the rc");
    repo.tag("v1.3.0");
    assert_eq!(
        previous_and_count(&plan(&repo, "v1.3.0", &head, &[])),
        (Some("v1.2.0"), 4)
    );
    // A release candidate's previous release is the nearest earlier version.
    repo.commit("a", "rc2", "fix: more");
    repo.tag("v1.4.0-rc.1");
    let rc3 = repo.commit("a", "rc3", "fix: more still");
    assert_eq!(
        previous_and_count(&plan(&repo, "v1.4.0-rc.2", &rc3, &[])),
        (Some("v1.4.0-rc.1"), 1)
    );
}

#[test]
fn other_series_and_tags_that_are_not_versions_are_skipped() {
    let repo = GitRepo::new();
    repo.commit("a", "1", "first");
    repo.tag("15.1.0");
    repo.commit("b", "1", "lib work");
    repo.tag("grep-searcher-0.1.17");
    repo.commit("c", "1", "more");
    repo.tag("nightly");
    let head = repo.commit("d", "1", "release work");
    assert_eq!(
        previous_and_count(&plan(&repo, "15.2.0", &head, &[])),
        (Some("15.1.0"), 3)
    );
}

#[test]
fn two_versions_on_one_commit_have_nothing_between_them() {
    let repo = GitRepo::new();
    repo.commit("a", "1", "first");
    repo.tag("v2.0.0");
    let head = repo.commit("a", "2", "fix: the fix");
    repo.tag("v2.0.1");
    repo.tag("v2.0.2");
    assert_eq!(
        previous_and_count(&plan(&repo, "v2.0.2", &head, &[])),
        (Some("v2.0.1"), 0)
    );
}

#[test]
fn tag_patterns_include_and_exclude() {
    let repo = GitRepo::new();
    repo.commit("a", "1", "first");
    repo.tag("v1.0.0");
    repo.commit("a", "2", "second");
    repo.tag("v1.1.0");
    let head = repo.commit("a", "3", "third");
    assert_eq!(
        previous_and_count(&plan(
            &repo,
            "v1.2.0",
            &head,
            &["-t", "v*", "-t", "!v1.1.0"]
        )),
        (Some("v1.0.0"), 2)
    );
    // A bad pattern is a usage error before anything else.
    let out = common::obsctl()
        .arg("-C")
        .arg(repo.path())
        .args([
            "release",
            "create",
            "v1.2.0",
            "--no-github",
            "--no-sentry",
            "--dry-run",
        ])
        .args(["--tag-pattern", "!"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--tag-pattern"));
}

/// A new version on a commit that already carries the previous release's
/// tag gets its own tag: the previous release's GitHub release is never
/// the one written (it was chosen as "the tag at the target" before).
#[test]
fn a_new_version_on_a_tagged_commit_gets_its_own_tag() {
    let repo = GitRepo::new();
    repo.commit("a", "1", "first");
    repo.tag("v0.1.0");
    let out = common::obsctl()
        .arg("-C")
        .arg(repo.path())
        .args(["release", "create", "v0.1.1", "--no-sentry", "--dry-run"])
        .args(["--format", "json"])
        .env("GITHUB_TOKEN", "ghp_dryrunonly0123456789")
        .env("GITHUB_REPOSITORY", "acme/web")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["github"]["tag"], "v0.1.1", "{v:#}");
    assert_eq!(v["previous"], "v0.1.0");
    let bodies = v["requests"].to_string();
    assert!(!bodies.contains("releases/tags/v0.1.0"), "{bodies}");
}
