//! The GitHub Actions security rules of issue 18, checked without Python
//! (`.ci/run` also runs zizmor over the same files):
//!
//! - inputs and other expressions never reach a shell through `${{ }}`: no
//!   `run:` script in `action.yml`, `.github/workflows/` or `examples/github/`
//!   contains `${{` (values go through `env:`);
//! - every `uses:` names a full 40-hex commit SHA with the version in a
//!   trailing comment (local `./` actions, and references that carry a
//!   justified `# zizmor: ignore[unpinned-uses]`, excepted), and the same
//!   action is pinned to the same commit everywhere;
//! - every `actions/checkout` step says `persist-credentials: false`;
//! - workflows grant nothing at workflow level (`permissions: {}`) and every
//!   job has its own `permissions:` block.
//!
//! The files are scanned line by line (they are plain block YAML): a key's
//! value is its line plus every following line indented deeper than the key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn yaml_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
        .collect();
    files.sort();
    files
}

fn workflows() -> Vec<PathBuf> {
    let mut files = yaml_in(&root().join(".github/workflows"));
    files.extend(yaml_in(&root().join("examples/github")));
    files
}

/// action.yml, the workflows and the GitHub examples.
fn audited_files() -> Vec<PathBuf> {
    let mut files = vec![root().join("action.yml")];
    files.extend(workflows());
    files
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// The column of a key's name and the text after `key:` when `line` holds
/// that key (as a mapping entry or as the first entry of a sequence item).
fn key_on_line<'a>(line: &'a str, key: &str) -> Option<(usize, &'a str)> {
    let mut col = indent(line);
    let mut rest = line.trim_start();
    if let Some(r) = rest.strip_prefix("- ") {
        col += 2 + (r.len() - r.trim_start().len());
        rest = r.trim_start();
    }
    let value = rest.strip_prefix(key)?.strip_prefix(':')?;
    Some((col, value))
}

/// Every value of `key` in the file: (1-based line, the value's text
/// including continuation lines).
fn values_of(text: &str, key: &str) -> Vec<(usize, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some((col, first)) = key_on_line(line, key) else {
            continue;
        };
        let mut value = first.to_string();
        for next in &lines[i + 1..] {
            if next.trim().is_empty() || indent(next) > col {
                value.push('\n');
                value.push_str(next);
            } else {
                break;
            }
        }
        found.push((i + 1, value));
    }
    found
}

/// `run:` scripts that contain a `${{ }}` expansion.
fn expressions_in_scripts(text: &str) -> Vec<(usize, String)> {
    values_of(text, "run")
        .into_iter()
        .filter(|(_, script)| script.contains("${{"))
        .collect()
}

/// `uses:` references that are not pinned to a commit SHA with a version comment.
fn unpinned_uses(text: &str) -> Vec<(usize, String)> {
    let pinned = regex::Regex::new(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40} # \S+").unwrap();
    values_of(text, "uses")
        .into_iter()
        .map(|(line, v)| (line, v.lines().next().unwrap_or("").trim().to_string()))
        .filter(|(_, v)| {
            !v.starts_with("./")
                && !v.contains("# zizmor: ignore[unpinned-uses]")
                && !pinned.is_match(v)
        })
        .collect()
}

/// The steps (from `- ` at the steps' indentation to the next) that use
/// actions/checkout without `persist-credentials: false`.
fn checkouts_persisting_credentials(text: &str) -> Vec<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some((_, value)) = key_on_line(line, "uses") else {
            continue;
        };
        if !value.trim_start().starts_with("actions/checkout@") {
            continue;
        }
        // The step starts at the nearest `- ` line at or above; it ends at
        // the next line indented no deeper than that dash.
        let start = (0..=i)
            .rev()
            .find(|&j| lines[j].trim_start().starts_with("- "))
            .unwrap_or(i);
        let dash = indent(lines[start]);
        let step = lines[start..]
            .iter()
            .enumerate()
            .take_while(|(k, l)| *k == 0 || l.trim().is_empty() || indent(l) > dash)
            .map(|(_, l)| l.trim())
            .collect::<Vec<_>>();
        if !step.contains(&"persist-credentials: false") {
            found.push(i + 1);
        }
    }
    found
}

/// Problems with `permissions:` in a workflow: anything but `{}` at the top
/// level, or a job without its own block.
fn permission_problems(text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let top: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("permissions:"))
        .collect();
    if top != ["permissions: {}"] {
        problems.push(format!(
            "workflow-level permissions must be exactly `permissions: {{}}`, found {top:?}"
        ));
    }
    let lines: Vec<&str> = text.lines().collect();
    let Some(jobs) = lines.iter().position(|l| *l == "jobs:") else {
        problems.push("no jobs: section".into());
        return problems;
    };
    let mut job: Option<(String, bool)> = None;
    let finish = |job: &mut Option<(String, bool)>, problems: &mut Vec<String>| {
        if let Some((name, false)) = job.take() {
            problems.push(format!("job `{name}` has no permissions: block"));
        }
    };
    for line in &lines[jobs + 1..] {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        match indent(line) {
            0 => break,
            2 => {
                finish(&mut job, &mut problems);
                job = Some((line.trim().trim_end_matches(':').to_string(), false));
            }
            4 if line.trim_start().starts_with("permissions:") => {
                if let Some((_, has)) = job.as_mut() {
                    *has = true;
                }
            }
            _ => {}
        }
    }
    finish(&mut job, &mut problems);
    problems
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn rel(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

#[test]
fn the_audited_files_exist() {
    let files = audited_files();
    assert!(
        files.len() >= 6,
        "expected action.yml, 2 workflows, 3 examples: {files:?}"
    );
    let action = read(&root().join("action.yml"));
    assert!(
        values_of(&action, "run").len() >= 3,
        "action.yml's run steps were not found: the scanner is broken"
    );
}

#[test]
fn no_expression_reaches_a_shell() {
    let mut bad = Vec::new();
    for file in audited_files() {
        for (line, script) in expressions_in_scripts(&read(&file)) {
            bad.push(format!("{}:{line}: {}", rel(&file), script.trim()));
        }
    }
    assert!(
        bad.is_empty(),
        "`${{{{ }}}}` inside a run: script (pass it through env: instead):\n{}",
        bad.join("\n")
    );
}

#[test]
fn action_inputs_reach_the_scripts_only_through_the_environment() {
    let action = read(&root().join("action.yml"));
    // Every input the scripts use is mapped in an `env:` block.
    let envs: String = values_of(&action, "env")
        .into_iter()
        .map(|(_, v)| v)
        .collect();
    for input in [
        "command",
        "args",
        "version",
        "sha256",
        "github-token",
        "sentry-auth-token",
    ] {
        assert!(
            envs.contains(&format!("${{{{ inputs.{input} }}}}")),
            "input {input} is not passed through env:"
        );
    }
}

#[test]
fn every_action_is_pinned_to_a_commit() {
    let mut bad = Vec::new();
    let mut pins: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for file in audited_files() {
        let text = read(&file);
        for (line, v) in unpinned_uses(&text) {
            bad.push(format!("{}:{line}: {v}", rel(&file)));
        }
        for (line, v) in values_of(&text, "uses") {
            let v = v.lines().next().unwrap_or("").trim().to_string();
            if let Some((action, rest)) = v.split_once('@') {
                let sha = rest.split_whitespace().next().unwrap_or("").to_string();
                pins.entry(action.to_string())
                    .or_default()
                    .entry(sha)
                    .or_default()
                    .push(format!("{}:{line}", rel(&file)));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "not pinned to a full commit SHA with a version comment:\n{}",
        bad.join("\n")
    );
    for (action, shas) in pins {
        assert!(
            shas.len() == 1,
            "{action} is pinned to different commits: {shas:#?} (keep them in step)"
        );
    }
}

#[test]
fn checkouts_do_not_persist_credentials() {
    let mut bad = Vec::new();
    for file in audited_files() {
        for line in checkouts_persisting_credentials(&read(&file)) {
            bad.push(format!("{}:{line}", rel(&file)));
        }
    }
    assert!(
        bad.is_empty(),
        "actions/checkout without `persist-credentials: false`:\n{}",
        bad.join("\n")
    );
}

#[test]
fn permissions_are_per_job() {
    let mut bad = Vec::new();
    for file in workflows() {
        for p in permission_problems(&read(&file)) {
            bad.push(format!("{}: {p}", rel(&file)));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn dependabot_keeps_the_actions_current() {
    let text = read(&root().join(".github/dependabot.yml"));
    assert!(text.contains("package-ecosystem: github-actions"));
    assert!(text.contains("package-ecosystem: cargo"));
}

// The checks above must be able to fail.

const BAD_WORKFLOW: &str = "\
name: bad
on: push
permissions:
  contents: write
jobs:
  one:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - name: greet
        run: |
          echo hello
          echo ${{ github.event.issue.title }}
      - run: echo fine
  two:
    runs-on: ubuntu-latest
    permissions:
      contents: read
    steps:
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
        with:
          persist-credentials: false
      - uses: actions/cache@27d5ce7f107fe9357f9df03efb73ab90386fccae
";

#[test]
fn the_scanner_finds_an_expression_in_a_script() {
    let found = expressions_in_scripts(BAD_WORKFLOW);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, 13);
    assert!(
        expressions_in_scripts(
            "      - run: echo \"$TITLE\"\n        env:\n          TITLE: ${{ x }}\n"
        )
        .is_empty()
    );
}

#[test]
fn the_scanner_finds_unpinned_actions() {
    let found = unpinned_uses(BAD_WORKFLOW);
    let lines: Vec<usize> = found.iter().map(|(l, _)| *l).collect();
    // A tag, and a SHA without its version comment.
    assert_eq!(lines, vec![9, 25], "{found:?}");
}

#[test]
fn the_scanner_finds_persisted_credentials() {
    assert_eq!(checkouts_persisting_credentials(BAD_WORKFLOW), vec![9]);
}

#[test]
fn the_scanner_finds_broad_permissions() {
    let problems = permission_problems(BAD_WORKFLOW);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].contains("workflow-level"));
    assert!(problems[1].contains("`one`"));
}
