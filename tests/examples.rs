//! Every `obsctl …` invocation in the example workflows (and in action.yml's
//! documented usage) must parse against the CLI definition, so a renamed
//! flag breaks the build instead of a user's pipeline.

use std::path::{Path, PathBuf};

use clap::Parser;
use obsctl::cli::Cli;

fn example_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut files = Vec::new();
    for dir in ["github", "gitlab"] {
        for entry in std::fs::read_dir(root.join(dir)).expect("examples dir") {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if name.ends_with(".yml") || name.ends_with(".yaml") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// A plausible value for an expression or variable, by what it names: the
/// job status values both CI systems produce, ids, tags.
fn placeholder(expr: &str) -> &'static str {
    let e = expr.to_ascii_lowercase();
    if e.contains("job.status") {
        "success"
    } else if e.contains("ci_job_status") {
        // GitLab spells them `failed` and `canceled`: obsctl must accept that.
        "failed"
    } else if e.contains("job_status") {
        // `${{ job.status }}` handed to the script through `env: JOB_STATUS`.
        "success"
    } else if e.ends_with("_id") || e.contains("_id ") {
        "1"
    } else if e.contains("tag") {
        "v1.0.0"
    } else {
        "EXPR"
    }
}

/// `${{ expr }}` and `$VAR` / `${VAR}` become placeholder values.
fn strip_expressions(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        match rest[start..].find("}}") {
            Some(end) => {
                out.push_str(placeholder(&rest[start + 3..start + end]));
                rest = &rest[start + end + 2..];
            }
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    let vars = regex::Regex::new(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?").unwrap();
    vars.replace_all(&out, |c: &regex::Captures| placeholder(&c[1]).to_string())
        .into_owned()
}

/// The invocations in one workflow file: `run:` lines and script lines that
/// start with `obsctl` (commented-out ones too: they are documentation), and
/// `uses: obsctl/obsctl@…` steps with their `command:` input.
fn invocations(text: &str) -> Vec<(usize, Vec<String>)> {
    let mut found = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    for (i, raw) in lines.iter().enumerate() {
        let mut line = raw.trim_start();
        for prefix in ["#", "-", "run:", "- run:"] {
            line = line.strip_prefix(prefix).unwrap_or(line).trim_start();
        }
        line = line.strip_prefix("run:").unwrap_or(line).trim_start();
        if let Some(cmd) = line.strip_prefix("obsctl ") {
            let words = shlex::split(&strip_expressions(cmd))
                .unwrap_or_else(|| panic!("line {}: cannot split {cmd:?}", i + 1));
            found.push((i + 1, words));
        }
        if line.starts_with("uses: obsctl/obsctl@") || line.starts_with("uses: ./") {
            // The action's `command:` input in the following `with:` block.
            let command = lines[i + 1..]
                .iter()
                .take_while(|l| !l.trim_start().starts_with("- "))
                .find_map(|l| l.trim_start().strip_prefix("command:"))
                .unwrap_or_else(|| panic!("line {}: the action step has no command input", i + 1));
            let words = command.split_whitespace().map(String::from).collect();
            found.push((i + 1, words));
        }
    }
    found
}

#[test]
fn every_example_invocation_parses() {
    let files = example_files();
    assert!(
        files.len() >= 4,
        "expected the GitHub and GitLab examples, found {files:?}"
    );
    let mut total = 0;
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let found = invocations(&text);
        assert!(
            !found.is_empty(),
            "{} has no obsctl invocation",
            file.display()
        );
        for (line, words) in found {
            let argv = std::iter::once("obsctl".to_string()).chain(words.clone());
            if let Err(e) = Cli::try_parse_from(argv) {
                panic!(
                    "{}:{line}: `obsctl {}` does not parse:\n{e}",
                    file.display(),
                    words.join(" ")
                );
            }
            total += 1;
        }
    }
    assert!(total >= 8, "only {total} invocations checked");
}

#[test]
fn the_checker_rejects_a_renamed_flag() {
    let text = "      - run: obsctl release create --no-such-flag\n";
    let found = invocations(text);
    assert_eq!(found.len(), 1);
    let argv = std::iter::once("obsctl".to_string()).chain(found[0].1.clone());
    assert!(Cli::try_parse_from(argv).is_err());
}

#[test]
fn expressions_become_placeholders() {
    let found = invocations("  run: obsctl deploy finish --status ${{ job.status }}\n");
    assert_eq!(found[0].1, vec!["deploy", "finish", "--status", "success"]);
    let found =
        invocations("    - obsctl release create \"$CI_COMMIT_TAG\" --sha ${{ github.sha }}\n");
    assert_eq!(
        found[0].1,
        vec!["release", "create", "v1.0.0", "--sha", "EXPR"]
    );
}
