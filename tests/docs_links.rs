//! The documentation points only at things that exist:
//!
//! - every relative link in README.md, ARCHITECTURE.md, CHANGELOG.md and
//!   docs/*.md resolves to a file (or directory) of the repository, and a
//!   `#anchor` names a heading of the target page (GitHub's slug rules);
//! - every `docs/…` path named in a source comment (src/, crates/*/src/)
//!   exists;
//! - the `obsctl.toml` example in docs/configuration.md parses.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rel(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

fn markdown_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = ["README.md", "ARCHITECTURE.md", "CHANGELOG.md"]
        .iter()
        .map(|f| root().join(f))
        .collect();
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("docs/")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
}

/// The text outside fenced code blocks, line by line (1-based numbers).
fn prose_lines(text: &str) -> Vec<(usize, &str)> {
    let mut fenced = false;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced {
            out.push((i + 1, line));
        }
    }
    out
}

/// Link targets: inline `[text](target)` (outside code spans) and reference
/// definitions `[name]: target`.
fn links(text: &str) -> Vec<(usize, String)> {
    let inline = regex::Regex::new(r#"\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)"#).unwrap();
    let reference = regex::Regex::new(r"^\s*\[[^\]]+\]:\s*(\S+)").unwrap();
    let code_span = regex::Regex::new(r"`[^`]*`").unwrap();
    let mut found = Vec::new();
    for (n, line) in prose_lines(text) {
        let line = code_span.replace_all(line, "");
        for c in inline.captures_iter(&line) {
            found.push((n, c[1].to_string()));
        }
        if let Some(c) = reference.captures(&line) {
            found.push((n, c[1].to_string()));
        }
    }
    found
}

/// GitHub's anchor for a heading: lower case, punctuation dropped (letters,
/// digits, `-` and `_` kept), spaces become `-`.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .chars()
        .filter_map(|c| {
            if c == ' ' {
                Some('-')
            } else if c.is_alphanumeric() || c == '-' || c == '_' {
                Some(c.to_lowercase().next().unwrap_or(c))
            } else {
                None
            }
        })
        .collect()
}

/// Every anchor of a Markdown page (duplicates numbered as GitHub does).
fn anchors(text: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    for (_, line) in prose_lines(text) {
        let Some(heading) = line.strip_prefix('#') else {
            continue;
        };
        let heading = heading.trim_start_matches('#');
        if !heading.starts_with(' ') {
            continue;
        }
        let base = slug(heading);
        let mut candidate = base.clone();
        let mut k = 0;
        while seen.contains(&candidate) {
            k += 1;
            candidate = format!("{base}-{k}");
        }
        seen.insert(candidate);
    }
    seen
}

/// Problems with the relative links of one file.
fn broken_links(file: &Path, text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for (line, target) in links(text) {
        if target.contains("://") || target.starts_with("mailto:") {
            continue;
        }
        let (path, anchor) = match target.split_once('#') {
            Some((p, a)) => (p, Some(a)),
            None => (target.as_str(), None),
        };
        let resolved = if path.is_empty() {
            file.to_path_buf()
        } else {
            file.parent().unwrap().join(path)
        };
        let at = format!("{}:{line}: {target}", rel(file));
        if !resolved.exists() {
            problems.push(format!("{at}: no such file"));
            continue;
        }
        if let Some(anchor) = anchor {
            if resolved.extension().is_some_and(|x| x == "md") {
                let target_text = std::fs::read_to_string(&resolved).unwrap();
                if !anchors(&target_text).contains(anchor) {
                    problems.push(format!("{at}: no heading with that anchor"));
                }
            }
        }
    }
    problems
}

#[test]
fn every_relative_link_resolves() {
    let files = markdown_files();
    assert!(files.len() >= 10, "{files:?}");
    let mut problems = Vec::new();
    let mut checked = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", rel(file)));
        checked += links(&text).len();
        problems.extend(broken_links(file, &text));
    }
    assert!(
        checked >= 20,
        "only {checked} links found: the scanner is broken"
    );
    assert!(
        problems.is_empty(),
        "broken links:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_readme_links_every_command_page() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let linked: BTreeSet<String> = links(&readme).into_iter().map(|(_, t)| t).collect();
    for page in [
        "docs/release-create.md",
        "docs/deploy.md",
        "docs/notify.md",
        "docs/dora-report.md",
        "docs/configuration.md",
        "docs/action-security.md",
        "docs/development.md",
        "ARCHITECTURE.md",
    ] {
        assert!(
            linked.iter().any(|t| t.split('#').next() == Some(page)),
            "README.md does not link {page}"
        );
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

/// `docs/…` paths named in comments of the given Rust source.
fn docs_paths_in_comments(text: &str) -> Vec<(usize, String)> {
    let path = regex::Regex::new(r"docs/[A-Za-z0-9_./-]*[A-Za-z0-9_]").unwrap();
    let mut found = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let Some(at) = line.find("//") else {
            continue;
        };
        for m in path.find_iter(&line[at..]) {
            found.push((i + 1, m.as_str().to_string()));
        }
    }
    found
}

#[test]
fn docs_named_in_source_comments_exist() {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    if let Ok(crates) = std::fs::read_dir(root().join("crates")) {
        for krate in crates {
            rust_files(&krate.unwrap().path().join("src"), &mut files);
        }
    }
    files.sort();
    assert!(files.len() >= 10, "{files:?}");
    let mut missing = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (line, path) in docs_paths_in_comments(&text) {
            if !root().join(&path).exists() {
                missing.push(format!("{}:{line}: {path}", rel(&file)));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "source comments name docs that do not exist:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_configuration_example_parses() {
    let page = std::fs::read_to_string(root().join("docs/configuration.md")).unwrap();
    let start = page.find("```toml\n").expect("a ```toml example") + "```toml\n".len();
    let end = start + page[start..].find("```").unwrap();
    let config = obsctl_core::config::Config::parse("docs/configuration.md", &page[start..end])
        .unwrap_or_else(|e| panic!("the documented example does not parse:\n{e}"));
    assert_eq!(config.service_names(), vec!["web"]);
    assert!(config.services[0].slo.is_some());
    assert_eq!(config.alerts.len(), 1);
}

// The checks above must be able to fail.

#[test]
fn the_checker_finds_a_missing_file_and_a_missing_anchor() {
    let file = root().join("README.md");
    let text = "See [a](docs/nope.md), [b](docs/deploy.md#no-such-heading), \
                [c](docs/deploy.md), [d](https://example.com/x.md) and `[e](docs/code-span.md)`.\n\
                ```\n[f](docs/in-a-fence.md)\n```\n";
    let problems = broken_links(&file, text);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].contains("docs/nope.md: no such file"));
    assert!(problems[1].contains("no heading with that anchor"));
}

#[test]
fn slugs_follow_github() {
    assert_eq!(
        slug(" `obsctl deploy start` / `obsctl deploy finish`"),
        "obsctl-deploy-start--obsctl-deploy-finish"
    );
    assert_eq!(
        slug(" Reliability: failures, retries, secrets"),
        "reliability-failures-retries-secrets"
    );
    let a = anchors("# Title\n## Output\n## Output\n```\n# not a heading\n```\n");
    assert!(a.contains("output") && a.contains("output-1") && !a.contains("not-a-heading"));
}

#[test]
fn the_source_scanner_sees_doc_comments_only() {
    let found = docs_paths_in_comments(
        "/// see docs/notify.md.\nlet s = \"docs/not-a-comment.md\";\n//! docs/dora-report.md: the contract\n",
    );
    let paths: Vec<&str> = found.iter().map(|(_, p)| p.as_str()).collect();
    assert_eq!(paths, vec!["docs/notify.md", "docs/dora-report.md"]);
}

/// docs/limits.md holds the table of `obsctl_core::limits::ALL`, row for
/// row: a limit changed in the code and not in the docs (or the reverse)
/// fails here.
#[test]
fn the_limits_page_has_every_field_and_its_limit() {
    let page = std::fs::read_to_string(root().join("docs/limits.md")).expect("docs/limits.md");
    let rows = obsctl_core::limits::markdown_rows();
    let missing: Vec<&String> = rows
        .iter()
        .filter(|r| !page.lines().any(|l| l.trim() == r.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/limits.md lacks these rows (or has them different):\n{}",
        missing
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    let table_rows = page
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| field") && !l.starts_with("| ---"))
        .count();
    assert!(table_rows >= rows.len());
}
