//! Release notes from commits (pure: no I/O).
//!
//! Commits are parsed as Conventional Commits (`type(scope)!: description`,
//! `BREAKING CHANGE:` / `BREAKING-CHANGE:` footers) and grouped, in this
//! order: Breaking changes, Features, Fixes, Performance, Documentation,
//! Other. A commit that is not conventional goes to Other as written. Merge
//! commits are left out: the commits they bring in are listed themselves.
//! PR numbers written `(#123)` become links; each entry names its author.
//! Subjects are untrusted: Markdown that could change the page (links,
//! HTML, emphasis, tables) is escaped.

use std::sync::LazyLock;

use regex::Regex;

use crate::commit::CommitInfo;
use crate::text::path_segment as segment;

/// Where links point: `{server}/{owner}/{name}/pull/123`.
#[derive(Clone, Debug)]
pub struct Links {
    /// The GitHub web URL, without a trailing slash.
    pub server: String,
    /// `owner/name`.
    pub repo: String,
}

impl Links {
    fn base(&self) -> String {
        format!("{}/{}", self.server.trim_end_matches('/'), self.repo)
    }
}

/// What the notes are about.
#[derive(Clone, Debug, Default)]
pub struct NotesInput {
    /// Where links (PRs, commits, compare) point; `None` renders no links.
    pub links: Option<Links>,
    /// The release's tag (for the compare link).
    pub tag: Option<String>,
    /// The previous release's tag (for the compare link).
    pub previous_tag: Option<String>,
}

/// A parsed Conventional Commit header and footers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conventional {
    /// Lower-cased type: `feat`, `fix`, …
    pub kind: String,
    /// The scope in parentheses, if any.
    pub scope: Option<String>,
    /// `!` after the type, or a `BREAKING CHANGE:` footer.
    pub breaking: bool,
    /// The text after `: `.
    pub description: String,
    /// The text of a `BREAKING CHANGE:` footer.
    pub breaking_note: Option<String>,
}

static HEADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<kind>[A-Za-z][A-Za-z0-9_-]*)(?:\((?P<scope>[^()\r\n]*)\))?(?P<bang>!)?:\s+(?P<desc>\S.*)$")
        .expect("valid regex")
});
static BREAKING_FOOTER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^BREAKING[ -]CHANGE:\s*(?P<text>.*)$").expect("valid regex"));
static PR_REF: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\s*\(#(?P<n>\d{1,9})\)").expect("valid regex"));

/// Parse a subject and body as a Conventional Commit; `None` when the
/// subject does not follow the convention.
pub fn parse_conventional(subject: &str, body: &str) -> Option<Conventional> {
    let caps = HEADER.captures(subject.trim())?;
    let breaking_note = breaking_footer(body);
    Some(Conventional {
        kind: caps["kind"].to_ascii_lowercase(),
        scope: caps
            .name("scope")
            .map(|s| s.as_str().trim().to_string())
            .filter(|s| !s.is_empty()),
        breaking: caps.name("bang").is_some() || breaking_note.is_some(),
        description: caps["desc"].trim().to_string(),
        breaking_note,
    })
}

/// The text of a `BREAKING CHANGE:` footer: the rest of its paragraph.
fn breaking_footer(body: &str) -> Option<String> {
    let mut lines = body.lines();
    while let Some(line) = lines.next() {
        if let Some(caps) = BREAKING_FOOTER.captures(line.trim_end()) {
            let mut text = caps["text"].trim().to_string();
            for more in lines.by_ref() {
                if more.trim().is_empty() {
                    break;
                }
                if !text.is_empty() {
                    text.push(' ');
                }
                text.push_str(more.trim());
            }
            return Some(text);
        }
    }
    None
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
/// A section of the notes, in display order.
pub enum Group {
    /// Breaking changes.
    Breaking,
    /// `feat`.
    Features,
    /// `fix`.
    Fixes,
    /// `perf`.
    Performance,
    /// `docs`.
    Documentation,
    /// Anything else.
    Other,
}

impl Group {
    /// Every group, in display order.
    pub const ALL: [Group; 6] = [
        Group::Breaking,
        Group::Features,
        Group::Fixes,
        Group::Performance,
        Group::Documentation,
        Group::Other,
    ];

    /// The section heading.
    pub fn title(self) -> &'static str {
        match self {
            Group::Breaking => "Breaking changes",
            Group::Features => "Features",
            Group::Fixes => "Fixes",
            Group::Performance => "Performance",
            Group::Documentation => "Documentation",
            Group::Other => "Other",
        }
    }

    fn of(c: Option<&Conventional>) -> Group {
        match c {
            None => Group::Other,
            Some(c) if c.breaking => Group::Breaking,
            Some(c) => match c.kind.as_str() {
                "feat" | "feature" => Group::Features,
                "fix" | "bugfix" => Group::Fixes,
                "perf" => Group::Performance,
                "docs" | "doc" => Group::Documentation,
                _ => Group::Other,
            },
        }
    }
}

/// One line of the notes, before rendering.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The section it goes in.
    pub group: Group,
    /// The Conventional Commit scope, if any.
    pub scope: Option<String>,
    /// The description, with PR references removed.
    pub description: String,
    /// The `BREAKING CHANGE:` text, if any.
    pub breaking_note: Option<String>,
    /// Pull request numbers found as `(#123)`.
    pub prs: Vec<u64>,
    /// The commit's full SHA.
    pub sha: String,
    /// The author's name.
    pub author: String,
}

/// Classify commits (merge commits left out), keeping their order.
pub fn entries(commits: &[CommitInfo]) -> Vec<Entry> {
    commits
        .iter()
        .filter(|c| !c.is_merge())
        .map(|c| {
            let conv = parse_conventional(&c.subject, &c.body);
            let (scope, text, note) = match &conv {
                Some(cc) => (
                    cc.scope.clone(),
                    cc.description.clone(),
                    cc.breaking_note.clone(),
                ),
                None => (None, c.subject.trim().to_string(), None),
            };
            let prs = PR_REF
                .captures_iter(&text)
                .filter_map(|m| m["n"].parse().ok())
                .collect();
            let description = PR_REF.replace_all(&text, "").trim().to_string();
            Entry {
                group: Group::of(conv.as_ref()),
                scope,
                description,
                breaking_note: note,
                prs,
                sha: c.sha.clone(),
                author: c.author.name.clone(),
            }
        })
        .collect()
}

/// Render the notes as Markdown.
pub fn render(commits: &[CommitInfo], input: &NotesInput) -> String {
    let entries = entries(commits);
    let mut out = String::new();
    if entries.is_empty() {
        out.push_str(match &input.previous_tag {
            Some(_) => "_No changes since the previous release._\n",
            None => "_No changes._\n",
        });
    }
    for group in Group::ALL {
        let items: Vec<&Entry> = entries.iter().filter(|e| e.group == group).collect();
        if items.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&format!("### {}\n\n", group.title()));
        for e in items {
            out.push_str(&render_entry(e, input.links.as_ref()));
            out.push('\n');
        }
    }
    if let (Some(links), Some(prev), Some(tag)) = (&input.links, &input.previous_tag, &input.tag) {
        out.push_str(&format!(
            "\n**Full changelog**: [{}...{}]({}/compare/{}...{})\n",
            escape_markdown(prev),
            escape_markdown(tag),
            links.base(),
            segment(prev),
            segment(tag)
        ));
    }
    out
}

fn render_entry(e: &Entry, links: Option<&Links>) -> String {
    let mut line = String::from("- ");
    if let Some(scope) = &e.scope {
        line.push_str(&format!("**{}:** ", escape_markdown(scope)));
    }
    line.push_str(&escape_markdown(&e.description));
    if let Some(note) = e.breaking_note.as_ref().filter(|n| !n.is_empty()) {
        line.push_str(&format!(" — {}", escape_markdown(note)));
    }
    let refs: Vec<String> = if e.prs.is_empty() {
        let short = crate::text::short_sha(&e.sha);
        vec![match links {
            Some(l) => format!("[`{short}`]({}/commit/{})", l.base(), e.sha),
            None => format!("`{short}`"),
        }]
    } else {
        e.prs
            .iter()
            .map(|n| match links {
                Some(l) => format!("[#{n}]({}/pull/{n})", l.base()),
                None => format!("#{n}"),
            })
            .collect()
    };
    line.push_str(&format!(" ({})", refs.join(", ")));
    if !e.author.trim().is_empty() {
        line.push_str(&format!(" by {}", escape_markdown(e.author.trim())));
    }
    line
}

/// Escape untrusted text for one line of Markdown: characters that start
/// links, images, HTML, emphasis, code, tables or strike-through are
/// backslash-escaped; line breaks become spaces. Balanced inline code spans
/// (`` `like_this` ``) are kept as they are, since commit subjects use them.
pub fn escape_markdown(s: &str) -> String {
    let one_line = s.replace(['\r', '\n', '\t'], " ");
    let balanced = one_line.matches('`').count() % 2 == 0;
    let mut out = String::with_capacity(one_line.len() + 8);
    let mut in_code = false;
    for c in one_line.chars() {
        // Terminal escapes, NULs and bidirectional overrides in a commit
        // message are not text anyone meant to publish.
        if c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') {
            continue;
        }
        if c == '`' && balanced {
            in_code = !in_code;
            out.push(c);
            continue;
        }
        if in_code {
            out.push(c);
            continue;
        }
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '!' | '#'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commit::Person;
    use chrono::{DateTime, FixedOffset};

    fn commit(n: u8, subject: &str, body: &str, parents: usize) -> CommitInfo {
        let t: DateTime<FixedOffset> =
            DateTime::parse_from_rfc3339("2024-01-02T03:04:05+00:00").unwrap();
        CommitInfo {
            sha: format!("{:02x}", n).repeat(20),
            parents: (0..parents).map(|i| format!("{i}").repeat(40)).collect(),
            subject: subject.into(),
            body: body.into(),
            author: Person {
                name: format!("Dev {n}"),
                email: format!("dev{n}@example.com"),
                time: t,
            },
            committer_time: t,
            files: Some(vec![]),
        }
    }

    #[test]
    fn conventional_headers() {
        struct Case {
            subject: &'static str,
            body: &'static str,
            want: Option<(&'static str, Option<&'static str>, bool, &'static str)>,
        }
        let cases = [
            Case {
                subject: "feat: add login",
                body: "",
                want: Some(("feat", None, false, "add login")),
            },
            Case {
                subject: "fix(api): handle 404",
                body: "",
                want: Some(("fix", Some("api"), false, "handle 404")),
            },
            Case {
                subject: "feat(ui)!: drop IE",
                body: "",
                want: Some(("feat", Some("ui"), true, "drop IE")),
            },
            Case {
                subject: "refactor!: rename",
                body: "",
                want: Some(("refactor", None, true, "rename")),
            },
            Case {
                subject: "Feat: caps",
                body: "",
                want: Some(("feat", None, false, "caps")),
            },
            Case {
                subject: "chore: x",
                body: "BREAKING CHANGE: config moved",
                want: Some(("chore", None, true, "x")),
            },
            Case {
                subject: "chore: x",
                body: "BREAKING-CHANGE: y",
                want: Some(("chore", None, true, "x")),
            },
            Case {
                subject: "chore: x",
                body: "mentions BREAKING CHANGE: inline",
                want: Some(("chore", None, false, "x")),
            },
            Case {
                subject: "Update README",
                body: "",
                want: None,
            },
            Case {
                subject: "feat:no space",
                body: "",
                want: None,
            },
            Case {
                subject: "feat(): empty scope",
                body: "",
                want: Some(("feat", None, false, "empty scope")),
            },
            Case {
                subject: "Merge branch 'main'",
                body: "",
                want: None,
            },
            Case {
                subject: "fix: ",
                body: "",
                want: None,
            },
        ];
        for c in cases {
            let got = parse_conventional(c.subject, c.body);
            let got = got.as_ref().map(|g| {
                (
                    g.kind.as_str(),
                    g.scope.as_deref(),
                    g.breaking,
                    g.description.as_str(),
                )
            });
            assert_eq!(got, c.want, "{:?}", c.subject);
        }
    }

    #[test]
    fn breaking_footer_takes_its_paragraph() {
        let c = parse_conventional(
            "feat: new config",
            "Some body.\n\nBREAKING CHANGE: the `port` key\nmoved to `server.port`.\n\nRefs: #1",
        )
        .unwrap();
        assert_eq!(
            c.breaking_note.as_deref(),
            Some("the `port` key moved to `server.port`.")
        );
    }

    #[test]
    fn grouping_order_and_links() {
        let commits = vec![
            commit(1, "docs: explain setup", "", 1),
            commit(2, "fix(api): retry on 502 (#12)", "", 1),
            commit(3, "Merge pull request #13 from acme/x", "", 2),
            commit(
                4,
                "feat!: remove v1 endpoints (#14)",
                "BREAKING CHANGE: use /v2",
                1,
            ),
            commit(5, "perf: cache tags", "", 1),
            commit(6, "feat(ui): dark mode (#15) (#16)", "", 1),
            commit(
                7,
                "tidy up <script>alert(1)</script> [x](http://evil)",
                "",
                1,
            ),
            commit(8, "chore: bump deps", "", 1),
        ];
        let input = NotesInput {
            links: Some(Links {
                server: "https://github.com/".into(),
                repo: "acme/web".into(),
            }),
            tag: Some("v1.1.0".into()),
            previous_tag: Some("v1.0.0".into()),
        };
        insta::assert_snapshot!(render(&commits, &input));
    }

    #[test]
    fn without_links_or_changes() {
        let commits = vec![commit(1, "fix: a_b (#3)", "", 1)];
        assert_eq!(
            render(&commits, &NotesInput::default()),
            "### Fixes\n\n- a\\_b (#3) by Dev 1\n"
        );
        let input = NotesInput {
            previous_tag: Some("v1".into()),
            ..Default::default()
        };
        assert_eq!(
            render(&[], &input),
            "_No changes since the previous release._\n"
        );
    }

    #[test]
    fn escaping() {
        for (raw, want) in [
            ("plain text", "plain text"),
            ("a *b* _c_", r"a \*b\* \_c\_"),
            ("[x](http://e)", r"\[x\](http://e)"),
            ("<img src=x>", r"\<img src=x\>"),
            ("keep `code_span` as is", "keep `code_span` as is"),
            ("odd ` tick", r"odd \` tick"),
            ("line\nbreak", "line break"),
            ("a | b", r"a \| b"),
            ("![i](u)", r"\!\[i\](u)"),
            ("\u{1b}[31mred\u{1b}[0m\u{0}", r"\[31mred\[0m"),
            ("evil\u{202e}txt.exe", "eviltxt.exe"),
        ] {
            assert_eq!(escape_markdown(raw), want, "{raw:?}");
        }
    }
}
