//! What a person reads from the command line: formats a command does not
//! support, man pages per subcommand, "nothing matched" messages.
mod common;

use common::obsctl;

fn run(cmd: &mut assert_cmd::Command) -> (Option<i32>, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn an_unsupported_format_is_a_usage_error_naming_the_supported_ones() {
    let repo = common::GitRepo::new();
    repo.commit("a.txt", "a", "feat: a");
    repo.tag("v1.0.0");
    for (args, command) in [
        (
            vec!["release", "create", "--format", "html"],
            "release create",
        ),
        (
            vec!["deploy", "start", "-e", "prod", "--format", "csv"],
            "deploy start",
        ),
        (
            vec![
                "deploy", "finish", "-e", "prod", "--status", "success", "--format", "markdown",
            ],
            "deploy finish",
        ),
        (
            vec!["notify", "--title", "x", "--format", "ndjson"],
            "notify",
        ),
    ] {
        let (code, out, err) = run(obsctl().arg("-C").arg(repo.path()).args(&args));
        assert_eq!(code, Some(2), "{args:?}: {out}{err}");
        assert!(
            err.contains(&format!("{command} does not support --format"))
                && err.contains("text or json"),
            "{args:?}: {err}"
        );
        assert!(out.is_empty(), "{args:?}: {out}");
    }
    // dora report supports them all.
    let (code, _, err) = run(obsctl()
        .arg("-C")
        .arg(repo.path())
        .args(["dora", "report", "--source", "git", "--format", "csv"]));
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn man_out_writes_one_page_per_subcommand_and_the_main_page_refers_to_them() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(obsctl().args(["man", "--out"]).arg(dir.path()));
    assert_eq!(code, Some(0), "{err}");
    for page in [
        "obsctl.1",
        "obsctl-deploy.1",
        "obsctl-deploy-start.1",
        "obsctl-deploy-finish.1",
        "obsctl-release-create.1",
        "obsctl-dora-report.1",
        "obsctl-notify.1",
    ] {
        assert!(dir.path().join(page).is_file(), "{page} missing");
    }
    let main = std::fs::read_to_string(dir.path().join("obsctl.1")).unwrap();
    assert!(main.contains("obsctl\\-deploy(1)"), "{main}");
    let start = std::fs::read_to_string(dir.path().join("obsctl-deploy-start.1")).unwrap();
    assert!(start.contains("environment"), "{start}");
    // Without --out: the main page on stdout, as before.
    let (code, out, _) = run(obsctl().arg("man"));
    assert_eq!(code, Some(0));
    assert!(out.contains(".TH obsctl"), "{out}");
}

#[test]
fn no_matching_tags_names_the_tags_that_exist_once_on_stderr() {
    let repo = common::GitRepo::new();
    repo.commit("a.txt", "a", "feat: a");
    repo.tag("release-1");
    repo.commit("b.txt", "b", "fix: b");
    repo.tag("release-2");
    let (code, out, err) = run(obsctl().arg("-C").arg(repo.path()).args([
        "dora",
        "report",
        "--source",
        "git",
        "--tag-pattern",
        "v*",
    ]));
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(err.matches("no tags match").count(), 1, "{err}");
    assert!(!out.contains("no tags match"), "{out}");
    assert!(
        err.contains("release-1") && err.contains("release-2"),
        "{err}"
    );
    // No tags at all: says so.
    let bare = common::GitRepo::new();
    bare.commit("a.txt", "a", "feat: a");
    let (code, _, err) = run(obsctl()
        .arg("-C")
        .arg(bare.path())
        .args(["dora", "report", "--source", "git"]));
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("no tags at all"), "{err}");
}

#[test]
fn messages_have_no_gaps_from_broken_string_continuations() {
    // The four messages that had 14-22-space gaps, and every other string.
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut stack = vec![src];
    let mut bad = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for (i, line) in text.lines().enumerate() {
                    let t = line.trim_start();
                    if t.starts_with("//") {
                        continue;
                    }
                    if t.contains('"') && t.contains(&" ".repeat(10)) {
                        bad.push(format!("{}:{}: {t}", path.display(), i + 1));
                    }
                }
            }
        }
    }
    assert!(bad.is_empty(), "string gaps:\n{}", bad.join("\n"));
}
