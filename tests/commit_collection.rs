//! Commit collection against the git CLI (issue 12): on a generated
//! repository with renames, merges, nested directories and 3,000 files,
//! the commits obsctl walks carry exactly the file changes
//! `git diff-tree -r -M --name-status <first parent> <commit>` reports, the
//! subtree-skipping diff equals libgit2's whole-tree diff (what obsctl did
//! before) in content and order, only the commits that can be sent are
//! diffed, and the commits and patch sets `release create` sends are those.
mod common;
mod support;

#[path = "../benches/support/genrepo.rs"]
mod genrepo;

use std::collections::HashMap;
use std::io::Write;
use std::process::{Command, Stdio};

use obsctl::git::{ChangeKind, FileChange, Git};
use serde_json::Value;

const RANGE: usize = 1200;

fn git(dir: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git");
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `git diff-tree -r -M --name-status` of each commit against its first
/// parent (`--diff-merges=first-parent`; `--root` for a root commit), in one
/// process (`--stdin`): SHA → sorted `(status, path[, from])` entries, a
/// rename as `R new from`.
fn cli_changes(dir: &std::path::Path, shas: &[String]) -> HashMap<String, Vec<String>> {
    let mut child = Command::new("git")
        .args([
            "diff-tree",
            "--stdin",
            "-r",
            "-M",
            "--name-status",
            "--root",
            "--diff-merges=first-parent",
        ])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("git diff-tree");
    let mut stdin = child.stdin.take().unwrap();
    let input = shas.join("\n") + "\n";
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success());
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    let mut current = None;
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        if line.len() == 40 && line.chars().all(|c| c.is_ascii_hexdigit()) {
            current = Some(line.to_string());
            map.entry(line.to_string()).or_default();
            continue;
        }
        let parts: Vec<&str> = line.split('\t').collect();
        let entry = match parts.as_slice() {
            [s, from, to] if s.starts_with('R') => format!("R {to} {from}"),
            [s, p] => format!("{s} {p}"),
            _ => panic!("unexpected diff-tree line {line:?}"),
        };
        map.get_mut(current.as_ref().expect("a commit line first"))
            .unwrap()
            .push(entry);
    }
    for v in map.values_mut() {
        v.sort();
    }
    map
}

fn ours(files: &[FileChange]) -> Vec<String> {
    let mut v: Vec<String> = files
        .iter()
        .map(|f| match (f.kind, &f.from) {
            (ChangeKind::Added, _) => format!("A {}", f.path),
            (ChangeKind::Modified, _) => format!("M {}", f.path),
            (ChangeKind::Deleted, _) => format!("D {}", f.path),
            (ChangeKind::Renamed, Some(from)) => format!("R {} {from}", f.path),
            (ChangeKind::Renamed, None) => format!("R {} ?", f.path),
        })
        .collect();
    v.sort();
    v
}

/// Sentry's patch set as the git CLI's changes: a rename is D old + A new.
fn as_patch_set(cli: &[String]) -> Vec<(String, String)> {
    let mut v = Vec::new();
    for e in cli {
        let parts: Vec<&str> = e.split(' ').collect();
        match parts.as_slice() {
            ["R", to, from] => {
                v.push((from.to_string(), "D".to_string()));
                v.push((to.to_string(), "A".to_string()));
            }
            [s, p] => v.push((p.to_string(), s.to_string())),
            _ => unreachable!(),
        }
    }
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread")]
async fn commits_and_patch_sets_equal_the_git_cli() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("repo");
    let spec = genrepo::Spec::new(3000, 30, RANGE);
    let prev = genrepo::generate(&dir, &spec);
    let head = git(&dir, &["rev-parse", "HEAD"]).trim().to_string();

    // Every commit of the range, diffed: equal to libgit2's whole-tree diff
    // (order included) and to the git CLI.
    let g = Git::open(&dir).unwrap();
    let walk = g.walk(&head, Some(&prev), None).unwrap();
    let side = RANGE / spec.merge_every * 2;
    assert_eq!(walk.commits.len(), RANGE + side, "main + side commits");
    let stats = g.stats();
    assert_eq!(stats.diffs, walk.commits.len() as u64);
    let shas: Vec<String> = walk.commits.iter().map(|c| c.sha.clone()).collect();
    let cli = cli_changes(&dir, &shas);
    let (mut renames, mut merges, mut adds_in_new_dirs) = (0, 0, 0);
    for c in &walk.commits {
        let files = c.files.as_ref().expect("diffed");
        let reference = g.changes_reference(&c.sha).unwrap().unwrap();
        assert_eq!(files, &reference, "commit {} vs libgit2's diff", c.sha);
        assert_eq!(
            ours(files),
            cli[&c.sha],
            "commit {} vs git diff-tree",
            c.sha
        );
        renames += files
            .iter()
            .filter(|f| f.kind == ChangeKind::Renamed)
            .count();
        merges += usize::from(c.is_merge() && !files.is_empty());
        adds_in_new_dirs += files
            .iter()
            .filter(|f| f.kind == ChangeKind::Added && f.path.starts_with('n'))
            .count();
    }
    // The repository exercises what it should.
    assert!(
        renames >= RANGE / spec.rename_every - 1,
        "{renames} renames"
    );
    assert!(merges >= RANGE / spec.merge_every - 1, "{merges} merges");
    assert!(adds_in_new_dirs >= RANGE / spec.churn_every - 1);
    // Subtree skipping: a few trees per changed file (3 levels, both
    // sides), where a whole-tree diff reads every tree of both commits.
    let whole_tree = git(&dir, &["ls-tree", "-r", "-t", "HEAD"])
        .lines()
        .filter(|l| l.contains(" tree "))
        .count() as u64;
    assert!(whole_tree > 300, "{whole_tree} trees");
    assert!(
        stats.trees_read < 20 * stats.diffs,
        "{} trees for {} diffs",
        stats.trees_read,
        stats.diffs
    );

    // Diffing kept commits afterwards (on two threads from 64 commits, each
    // with its own handle) gives the same changes, in the same places, and
    // counts every diff.
    let undiffed = || -> Vec<_> {
        walk.commits
            .iter()
            .cloned()
            .map(|mut c| {
                c.files = None;
                c
            })
            .collect()
    };
    let mut later = undiffed();
    assert!(later.len() >= 2 * obsctl::git::PARALLEL_DIFFS_FROM);
    let g = Git::open(&dir).unwrap();
    g.add_changes(&mut later).unwrap();
    assert_eq!(later, walk.commits);
    assert_eq!(g.stats().diffs, walk.commits.len() as u64);
    assert_eq!(g.stats().trees_read, stats.trees_read);

    // Diffs computed ahead of the walk on another thread (as `release
    // create` starts them) are the same, and used: here the thread runs to
    // its end (200 commits by date from the head) before the walk.
    let g = Git::open(&dir).unwrap();
    g.diff_ahead(&head, 200);
    let ahead = g.finish_diffs_ahead();
    let parallel = std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2);
    assert_eq!(ahead, if parallel { 200 } else { 0 });
    let mut later = undiffed();
    g.add_changes(&mut later).unwrap();
    assert_eq!(later, walk.commits);
    assert_eq!(g.stats().diffs, walk.commits.len() as u64);
    assert_eq!(g.stats().diffs_ahead, ahead as u64);

    // Only the commits that can be sent are diffed; the rest keep their
    // subjects and what the notes read of their bodies, and give the same
    // notes.
    let g = Git::open(&dir).unwrap();
    let capped = g
        .walk_diffing(&head, Some(&prev), None, Some(1000))
        .unwrap();
    assert_eq!(g.stats().diffs, 1000);
    assert_eq!(capped.commits.len(), walk.commits.len());
    for (i, (a, b)) in capped.commits.iter().zip(&walk.commits).enumerate() {
        assert_eq!(a.sha, b.sha);
        assert_eq!(a.subject, b.subject);
        if i < 1000 {
            assert_eq!(a.body, b.body);
        } else {
            assert_eq!(a.body, obsctl::git::notes_body(&b.body));
        }
    }
    assert_eq!(
        obsctl::notes::entries(&capped.commits),
        obsctl::notes::entries(&walk.commits)
    );
    assert_eq!(capped.commits[..1000], walk.commits[..1000]);
    assert!(capped.commits[1000..].iter().all(|c| c.files.is_none()));

    // End to end: what `release create` sends is the newest 1,000 commits
    // of that walk, each with the CLI's changes as its patch set.
    let sentry = support::Fake::start().await;
    let out = common::obsctl()
        .current_dir(&dir)
        .env("SENTRY_URL", sentry.uri())
        .env("SENTRY_AUTH_TOKEN", support::SENTRY_TOKEN)
        .env("SENTRY_ORG", "acme")
        .env("SENTRY_PROJECT", "web")
        .env("GITHUB_REPOSITORY", "acme/web")
        .args(["release", "create", "v2.0.0", "--no-github", "-v"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // The previous release is found by walking the range (plus the tagged
    // commit), the range is walked once more: 2n + 1, never the history
    // (the second walk reuses what the first parsed). Nothing reads notes
    // here (no GitHub, no chat, no step summary): only the 1,000 commits
    // sent are read.
    assert!(
        stderr.contains(&format!(
            "{} commits walked (1000 read), 1000 diffed (",
            2 * walk.commits.len() + 1
        )),
        "{stderr}"
    );
    // One request, to the one Sentry fake (which validates it against
    // `sentry/create-release.json`).
    let reqs = sentry.state().seen.clone();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].route, Some("sentry.create_release"));
    let body: Value = reqs[0].body.clone();
    let sent = body["commits"].as_array().unwrap();
    assert_eq!(sent.len(), 1000);
    for (s, c) in sent.iter().zip(&walk.commits) {
        assert_eq!(s["id"], c.sha.as_str());
        let mut ps: Vec<(String, String)> = s["patch_set"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["path"].as_str().unwrap().to_string(),
                    e["type"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        ps.sort();
        assert_eq!(ps, as_patch_set(&cli[&c.sha]), "patch set of {}", c.sha);
    }

    // When something reads the notes (here the job's step summary), every
    // commit of the range is read for them, and the same commits are sent.
    let summary = dir.join("summary.md");
    let out = common::obsctl()
        .current_dir(&dir)
        .env("SENTRY_URL", sentry.uri())
        .env("SENTRY_AUTH_TOKEN", support::SENTRY_TOKEN)
        .env("SENTRY_ORG", "acme")
        .env("SENTRY_PROJECT", "web")
        .env("GITHUB_REPOSITORY", "acme/web")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args(["release", "create", "v2.0.1", "--no-github", "-v"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let n = walk.commits.len();
    assert!(
        stderr.contains(&format!(
            "{} commits walked ({n} read), 1000 diffed (",
            2 * n + 1
        )),
        "{stderr}"
    );
    let summary = std::fs::read_to_string(&summary).unwrap();
    // The notes are in it (a commit's description from the range).
    assert!(summary.contains(" in module "), "{summary}");
    let reqs = sentry.state().seen.clone();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[1].body["commits"], body["commits"]);
}

/// A type change (file ↔ symlink), a file replaced by a directory and a
/// root commit: the cases the subtree-skipping diff leaves to libgit2 give
/// libgit2's answer.
#[test]
fn type_changes_and_root_commits_match_libgit2() {
    let repo = common::GitRepo::new();
    repo.commit("a/b.txt", "one\n", "init");
    repo.commit("a.txt", "x\n", "a file beside the dir");
    let root = repo.git(&["rev-parse", "HEAD~1"]);
    std::fs::remove_file(repo.path().join("a.txt")).unwrap();
    std::os::unix::fs::symlink("a/b.txt", repo.path().join("a.txt")).unwrap();
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "file to symlink"]);
    repo.git(&["rm", "-q", "a.txt"]);
    std::fs::create_dir(repo.path().join("a.txt")).unwrap();
    std::fs::write(repo.path().join("a.txt/inner"), "y\n").unwrap();
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "symlink to dir"]);
    let head = repo.git(&["rev-parse", "HEAD"]);
    let g = Git::open(repo.path()).unwrap();
    let walk = g.walk(&head, None, None).unwrap();
    assert_eq!(walk.commits.len(), 4);
    for c in &walk.commits {
        assert_eq!(
            c.files.as_ref().unwrap(),
            &g.changes_reference(&c.sha).unwrap().unwrap(),
            "{}",
            c.subject
        );
    }
    assert_eq!(walk.commits[3].sha, root);
    assert!(g.stats().rename_passes >= 2);
}

/// The previous release and a first release's latest commits are found
/// without reading the history below them: with the commit under the
/// previous tag's parent deleted from the object store, both still work
/// (libgit2's sorted walks read the whole history first, and would fail
/// on the missing object).
#[test]
fn previous_release_and_first_release_read_only_the_range() {
    use obsctl::git::PreviousTag;
    let repo = common::GitRepo::new();
    let mut shas = Vec::new();
    for i in 0..16 {
        shas.push(repo.commit(&format!("f{i}.txt"), "x\n", &format!("c{i}")));
        if i == 12 {
            repo.tag("v1.0.0");
        }
    }
    // Delete c2 (a loose object, as the git CLI writes them), well below
    // the few commits past the range's end that a walk reads to know it is
    // done (git's and libgit2's "slop").
    let c2 = &shas[2];
    let object = repo
        .path()
        .join(".git/objects")
        .join(&c2[..2])
        .join(&c2[2..]);
    std::fs::remove_file(&object).unwrap();
    let g = Git::open(repo.path()).unwrap();
    assert!(!g.has_commit(c2));
    let head = &shas[15];
    assert_eq!(
        g.previous_release(head, "v1.1.0", &Default::default())
            .unwrap(),
        PreviousTag::Found {
            name: "v1.0.0".into(),
            sha: shas[12].clone()
        }
    );
    let walk = g.walk(head, Some(&shas[12]), None).unwrap();
    assert_eq!(walk.commits.len(), 3);
    let first = g.walk(head, None, Some(3)).unwrap();
    let got: Vec<&str> = first.commits.iter().map(|c| c.sha.as_str()).collect();
    assert_eq!(got, [&shas[15], &shas[14], &shas[13]]);
    assert!(first.truncated);
    assert_eq!(g.stats().walked, 4 + 3 + 3);
}

/// `dora report --source git`: the change sets come from one walk bounded
/// by the window (the deployments before it are hidden, not walked), and
/// they equal the walks call by call (the frontier method), merges and a
/// rollback included; the order of the commits within a set aside.
#[test]
fn dora_change_sets_come_from_one_walk_bounded_by_the_window() {
    use chrono::{TimeZone, Utc};
    use obsctl::dora::engine::{self, ChangeSource, Options};
    use obsctl::dora::git_source::GitChanges;
    use obsctl::dora::model::ChangeSet;
    use obsctl::dora::model::Deployment;

    let repo = common::GitRepo::new();
    let t0 = 1_700_000_000;
    repo.set_time(t0);
    let mut deployments = Vec::new();
    let mut deploy = |i: usize, sha: &str| {
        let at = Utc.timestamp_opt(t0 + i as i64 * 3600 + 1800, 0).unwrap();
        deployments.push(Deployment::success(&format!("d{i}"), sha, at));
    };
    let mut shas = Vec::new();
    for i in 0..60 {
        if i % 10 == 5 {
            // A side branch merged with --no-ff.
            repo.git(&["checkout", "-q", "-b", &format!("b{i}")]);
            repo.commit(&format!("side{i}.txt"), "s\n", &format!("side {i}"));
            repo.git(&["checkout", "-q", "-"]);
            repo.git(&[
                "merge",
                "-q",
                "--no-ff",
                "-m",
                &format!("merge {i}"),
                &format!("b{i}"),
            ]);
        }
        let sha = repo.commit(
            &format!("f{}.txt", i % 7),
            &format!("{i}\n"),
            &format!("c{i}"),
        );
        shas.push(sha.clone());
        deploy(i, &sha);
    }
    // A rollback to an older commit, then a new deploy.
    deploy(60, &shas[50]);
    let sha = repo.commit("g.txt", "z\n", "after the rollback");
    deploy(61, &sha);
    let need_from = Utc.timestamp_opt(t0 + 52 * 3600, 0).unwrap();
    let r = git2::Repository::open(repo.path()).unwrap();

    let mut one_walk = GitChanges::new(&r);
    let a = engine::analyze(
        &deployments,
        &[],
        Options::default(),
        need_from,
        &mut one_walk,
    );
    // Call by call: a wrapper that does not forward `prepare`.
    let mut frontier = GitChanges::new(&r);
    let mut by_call = |sha: &str, earlier: &[String], wanted: bool| -> ChangeSet {
        frontier.changes(sha, earlier, wanted)
    };
    let b = engine::analyze(
        &deployments,
        &[],
        Options::default(),
        need_from,
        &mut by_call,
    );
    let walked_by_call = frontier.walked;
    let sorted = |a: &engine::Analysis| -> Vec<(String, Vec<String>)> {
        a.records
            .iter()
            .map(|r| {
                let mut c: Vec<String> = r.commits.iter().map(|s| s.sha.clone()).collect();
                c.sort();
                (r.id.clone(), c)
            })
            .collect()
    };
    assert_eq!(sorted(&a), sorted(&b));
    let in_window: usize = a.records.iter().map(|r| r.commits.len()).sum();
    assert!(in_window >= 10, "{in_window} commits in the window");
    // The window's commits only (plus nothing before it), where the walks
    // call by call go through the whole history.
    assert_eq!(one_walk.walked as usize, in_window);
    assert!(walked_by_call > 60, "{walked_by_call}");
}
