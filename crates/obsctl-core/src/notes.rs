//! Release notes from commits (pure: no I/O).
//!
//! Commits are parsed as Conventional Commits (`type(scope)!: description`,
//! footers per the spec: `Token: value` or `Token #value`, a value ending
//! where the next footer token starts, so trailers such as `Co-authored-by:`
//! never leak into an entry) and grouped, in this order: Breaking changes,
//! Features, Fixes, Performance, Refactor, Documentation, Styling, Tests,
//! Build, CI, Chores, Reverts, Other (the groups can be set in
//! `obsctl.toml`'s `[notes]`, see [`NotesConfig`]). A commit that is not
//! conventional goes to Other as written. Merge commits and release
//! preparation commits ("chore(release): prepare for v1.3.0") are left out;
//! dependency bumps are collapsed into one line per dependency; reverts
//! (`revert:` and git's `Revert "…"`) are shown as reverts, and a change
//! reverted within the same range is dropped from its section. PR numbers
//! written `(#123)` become links; each entry names its author. Subjects are
//! untrusted: Markdown that could change the page (links, HTML, emphasis,
//! tables) is escaped and `@` mentions are neutralised, so release notes
//! never ping a user or team.

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
    /// `[notes]` of `obsctl.toml`.
    pub config: NotesConfig,
    /// The target's limit in characters (GitHub's release body: 125,000);
    /// `None` for no limit. Entries are cut whole, with a line saying how
    /// many were left out; the compare link is always kept.
    pub max_chars: Option<usize>,
}

/// GitHub's documented limit on a release body, in characters.
pub const GITHUB_RELEASE_BODY_MAX: usize = 125_000;

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
    let kind = &caps["kind"];
    // A type is lower case (`feat`, `deps`, any `[a-z]` word); the spec
    // calls types case-insensitive, so a known type in capitals (`Feat:`)
    // still counts, but an unknown capitalized word (`Notes:`, `WIP:`,
    // `Merge:`) is prose and the subject stays whole.
    if kind.bytes().any(|b| b.is_ascii_uppercase())
        && Group::of_type(&kind.to_ascii_lowercase()) == Group::Other
    {
        return None;
    }
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

/// A footer line's start: `Token: value` or `Token #value` (the token is
/// a word with `-` for spaces, or `BREAKING CHANGE`).
static FOOTER_START: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<token>BREAKING[ -]CHANGE|[A-Za-z][A-Za-z0-9-]*)(?:: | #)(?P<value>.*)$")
        .expect("valid regex")
});

/// The footers of a commit body, per the Conventional Commits spec: each
/// `(token, value)`; a value runs over the following lines until a blank
/// line or the next footer token.
pub fn footers(body: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut open = false;
    for line in body.lines() {
        let line = line.trim_end();
        if line.trim().is_empty() {
            open = false;
            continue;
        }
        if let Some(caps) = FOOTER_START.captures(line) {
            out.push((caps["token"].to_string(), caps["value"].trim().to_string()));
            open = true;
        } else if open {
            let (_, value) = out.last_mut().expect("an open footer");
            if !value.is_empty() {
                value.push(' ');
            }
            value.push_str(line.trim());
        }
    }
    out
}

/// The text of a `BREAKING CHANGE:` footer (up to the next footer token).
fn breaking_footer(body: &str) -> Option<String> {
    footers(body)
        .into_iter()
        .find(|(token, _)| BREAKING_FOOTER.is_match(&format!("{token}: ")))
        .map(|(_, value)| value)
}

/// A section of the notes, in the order they are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    /// `!` or a `BREAKING CHANGE` footer, whatever the type.
    Breaking,
    /// `feat`.
    Features,
    /// `fix`.
    Fixes,
    /// `perf`.
    Performance,
    /// `refactor`.
    Refactor,
    /// `docs`.
    Documentation,
    /// `style`.
    Styling,
    /// `test`.
    Tests,
    /// `build`.
    Build,
    /// `ci`.
    Ci,
    /// `chore`.
    Chores,
    /// `revert:` and git's `Revert "…"`.
    Reverts,
    /// Anything else, and commits that are not conventional.
    Other,
}

impl Group {
    /// Every group, in print order.
    pub const ALL: [Group; 13] = [
        Group::Breaking,
        Group::Features,
        Group::Fixes,
        Group::Performance,
        Group::Refactor,
        Group::Documentation,
        Group::Styling,
        Group::Tests,
        Group::Build,
        Group::Ci,
        Group::Chores,
        Group::Reverts,
        Group::Other,
    ];

    /// The section heading.
    pub fn title(self) -> &'static str {
        match self {
            Group::Breaking => "Breaking changes",
            Group::Features => "Features",
            Group::Fixes => "Fixes",
            Group::Performance => "Performance",
            Group::Refactor => "Refactor",
            Group::Documentation => "Documentation",
            Group::Styling => "Styling",
            Group::Tests => "Tests",
            Group::Build => "Build",
            Group::Ci => "CI",
            Group::Chores => "Chores",
            Group::Reverts => "Reverts",
            Group::Other => "Other",
        }
    }

    /// The group of a commit type (lower case).
    pub fn of_type(kind: &str) -> Group {
        match kind {
            "feat" | "feature" => Group::Features,
            "fix" | "bugfix" | "hotfix" => Group::Fixes,
            "perf" => Group::Performance,
            "refactor" => Group::Refactor,
            "docs" | "doc" => Group::Documentation,
            "style" => Group::Styling,
            "test" | "tests" => Group::Tests,
            "build" | "deps" => Group::Build,
            "ci" => Group::Ci,
            "chore" => Group::Chores,
            "revert" => Group::Reverts,
            _ => Group::Other,
        }
    }

    fn of(c: Option<&Conventional>) -> Group {
        match c {
            None => Group::Other,
            Some(c) if c.breaking => Group::Breaking,
            Some(c) => Group::of_type(&c.kind),
        }
    }
}

/// `[notes]` in `obsctl.toml`: which commit types go to which section.
///
/// ```toml
/// [notes]
/// skip_types = ["chore", "style"]    # left out of the notes
/// [notes.types]
/// deps = "Build"                     # a custom type into a section (by its title)
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotesConfig {
    /// Commit types left out entirely (lower case).
    #[serde(default)]
    pub skip_types: Vec<String>,
    /// Commit type → section title (one of [`Group::title`]).
    #[serde(default)]
    pub types: std::collections::BTreeMap<String, String>,
}

impl NotesConfig {
    /// Read `[notes]` from the config's table; errors name the bad key.
    pub fn from_table(table: &toml::Table) -> Result<Self, String> {
        let cfg: NotesConfig = table
            .clone()
            .try_into()
            .map_err(|e: toml::de::Error| format!("[notes]: {}", e.message()))?;
        for (kind, title) in &cfg.types {
            if Group::ALL.iter().all(|g| g.title() != title) {
                let titles: Vec<&str> = Group::ALL.iter().map(|g| g.title()).collect();
                return Err(format!(
                    "[notes.types]: \"{kind}\" goes to \"{title}\", which is not a section; \
                     the sections are: {}",
                    titles.join(", ")
                ));
            }
        }
        Ok(cfg)
    }

    fn group(&self, c: Option<&Conventional>) -> Option<Group> {
        let Some(c) = c else {
            return Some(Group::Other);
        };
        if self
            .skip_types
            .iter()
            .any(|t| t.eq_ignore_ascii_case(&c.kind))
            && !c.breaking
        {
            return None;
        }
        if c.breaking {
            return Some(Group::Breaking);
        }
        if let Some(title) = self.types.get(&c.kind) {
            return Group::ALL.into_iter().find(|g| g.title() == title);
        }
        Some(Group::of(Some(c)))
    }
}

/// One line of the notes, before rendering.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The section.
    pub group: Group,
    /// The Conventional Commits scope.
    pub scope: Option<String>,
    /// The text shown (PR references removed).
    pub description: String,
    /// A `BREAKING CHANGE` footer's text.
    pub breaking_note: Option<String>,
    /// Pull requests named `(#123)` in the subject.
    pub prs: Vec<u64>,
    /// The commit's full SHA.
    pub sha: String,
    /// The author's name.
    pub author: String,
    /// The commit's subject as written (to match reverts).
    pub subject: String,
    /// For a revert: what it reverts (boxed: rare, and a long range keeps
    /// one entry per commit).
    pub reverts: Option<Box<Reverted>>,
    /// For a dependency bump: which dependency, from and to which version
    /// (boxed, as `reverts`).
    pub bump: Option<Box<Bump>>,
}

/// What a revert commit reverts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reverted {
    /// The reverted commit's SHA, from git's `This reverts commit <sha>.`
    pub sha: Option<String>,
    /// The reverted commit's subject.
    pub subject: String,
}

/// A dependency bump (Dependabot's "bump X from A to B", Renovate's
/// "update X to B").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bump {
    /// The dependency's name.
    pub name: String,
    /// The version before, when the message says it.
    pub from: Option<String>,
    /// The version after.
    pub to: String,
    /// How many bump commits this line stands for.
    pub count: usize,
}

static GIT_REVERT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"^Revert "(?P<subject>.+)"$"#).expect("valid regex"));
static REVERTS_SHA: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)This reverts commit (?P<sha>[0-9a-f]{7,40})").expect("valid regex")
});
static RELEASE_PREP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:(?:chore|build|release)(?:\([^)]*\))?!?:\s*)?(?:prepare(?:\s+for)?(?:\s+release)?|release|bump\s+version(?:\s+to)?|version\s+bump(?:\s+to)?)\s+v?\d+\.\d+",
    )
    .expect("valid regex")
});
static BUMP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:bump|update|upgrade)\s+(?:(?:the\s+)?(?:rust\s+crate|crate|dependency|module|npm\s+package|github\s+action|docker\s+tag)\s+)?(?P<name>[^\s]+)\s+(?:requirement\s+)?(?:from\s+(?P<from>[^\s]+)\s+)?to\s+(?P<to>[^\s]+?)\.?$",
    )
    .expect("valid regex")
});

/// True for a release preparation commit ("chore(release): prepare for v1.3.0").
pub fn is_release_preparation(subject: &str) -> bool {
    RELEASE_PREP.is_match(subject.trim())
}

/// Classify commits (merge and release-preparation commits left out),
/// keeping their order (newest first, as git lists them); reverted changes
/// within the list are dropped and dependency bumps collapsed.
pub fn entries(commits: &[CommitInfo]) -> Vec<Entry> {
    entries_with(commits, &NotesConfig::default())
}

/// [`entries`] with the `[notes]` configuration.
pub fn entries_with(commits: &[CommitInfo], cfg: &NotesConfig) -> Vec<Entry> {
    let mut notes = Notes::new(cfg);
    for c in commits {
        notes.push(c);
    }
    notes.entries()
}

/// Release notes built one commit at a time, newest first (as git lists
/// them), so a caller walking a long range keeps one entry per commit
/// instead of the commits: [`render`] without the slice of commits. The
/// result is the same as [`render`] / [`entries_with`] over the same
/// commits in the same order.
#[derive(Clone, Debug)]
pub struct Notes {
    cfg: NotesConfig,
    raw: Vec<Entry>,
}

impl Notes {
    /// Empty notes, classified with the `[notes]` configuration `cfg` (the
    /// `config` of the [`NotesInput`] given to [`Notes::render`] is not
    /// read again).
    pub fn new(cfg: &NotesConfig) -> Self {
        Notes {
            cfg: cfg.clone(),
            raw: Vec::new(),
        }
    }

    /// Add the next (older) commit; merges and release preparation commits
    /// are left out here.
    pub fn push(&mut self, c: &CommitInfo) {
        if c.is_merge() || is_release_preparation(&c.subject) {
            return;
        }
        if let Some(e) = entry(c, &self.cfg) {
            self.raw.push(e);
        }
    }

    /// The entries: reverted changes dropped, bumps collapsed.
    pub fn entries(self) -> Vec<Entry> {
        collapse_bumps(drop_reverted(self.raw))
    }

    /// The Markdown, as [`render`].
    pub fn render(self, input: &NotesInput) -> String {
        render_entries(self.entries(), input)
    }
}

fn entry(c: &CommitInfo, cfg: &NotesConfig) -> Option<Entry> {
    let subject = c.subject.trim();
    let conv = parse_conventional(subject, &c.body);
    let git_revert = GIT_REVERT
        .captures(subject)
        .map(|m| m["subject"].to_string());
    let (scope, text, note) = match (&conv, &git_revert) {
        (_, Some(reverted)) => (None, reverted.clone(), None),
        (Some(cc), None) => (
            cc.scope.clone(),
            cc.description.clone(),
            cc.breaking_note.clone(),
        ),
        (None, None) => (None, subject.to_string(), None),
    };
    let reverts = match (&git_revert, &conv) {
        (Some(reverted), _) => Some(reverted.clone()),
        (None, Some(cc)) if cc.kind == "revert" => Some(match &cc.scope {
            Some(_) => text.clone(),
            None => cc.description.clone(),
        }),
        _ => None,
    }
    .map(|reverted_subject| {
        Box::new(Reverted {
            sha: REVERTS_SHA
                .captures(&c.body)
                .map(|m| m["sha"].to_ascii_lowercase()),
            subject: reverted_subject,
        })
    });
    let group = if reverts.is_some() {
        Group::Reverts
    } else {
        cfg.group(conv.as_ref())?
    };
    let prs = PR_REF
        .captures_iter(&text)
        .filter_map(|m| m["n"].parse().ok())
        .collect();
    let description = PR_REF.replace_all(&text, "").trim().to_string();
    let bump = if reverts.is_none() {
        BUMP.captures(&description).map(|m| {
            Box::new(Bump {
                name: m["name"].to_string(),
                from: m.name("from").map(|f| f.as_str().to_string()),
                to: m["to"].to_string(),
                count: 1,
            })
        })
    } else {
        None
    };
    Some(Entry {
        group,
        scope,
        description,
        breaking_note: note,
        prs,
        sha: c.sha.clone(),
        author: c.author.name.clone(),
        subject: subject.to_string(),
        reverts,
        bump,
    })
}

/// Drop the changes that a revert in the same list undoes (matched by the
/// SHA git names, else by subject); the revert itself stays, under Reverts.
fn drop_reverted(entries: Vec<Entry>) -> Vec<Entry> {
    let reverted: Vec<Reverted> = entries
        .iter()
        .filter_map(|e| e.reverts.as_deref().cloned())
        .collect();
    entries
        .into_iter()
        .filter(|e| {
            e.reverts.is_some()
                || !reverted.iter().any(|r| match &r.sha {
                    Some(sha) => e.sha.starts_with(sha.as_str()),
                    None => r.subject.trim() == e.subject,
                })
        })
        .collect()
}

/// One line per bumped dependency: from the oldest `from` to the newest `to`.
/// In place: the first (newest) bump of a dependency in a group absorbs the
/// later ones, which are then removed.
fn collapse_bumps(mut out: Vec<Entry>) -> Vec<Entry> {
    let mut first: std::collections::HashMap<(Group, String), usize> = Default::default();
    let mut absorbed = vec![false; out.len()];
    for i in 0..out.len() {
        let Some(bump) = &out[i].bump else {
            continue;
        };
        let key = (out[i].group, bump.name.clone());
        let Some(&k) = first.get(&key) else {
            first.insert(key, i);
            continue;
        };
        // Newest first: the entry kept has the newest `to`; an older
        // bump brings the oldest `from`.
        let (kept, e) = {
            let (head, tail) = out.split_at_mut(i);
            (&mut head[k], &tail[0])
        };
        let bump = e.bump.as_ref().expect("a bump");
        let kb = kept.bump.as_mut().expect("a bump");
        kb.count += 1;
        if bump.from.is_some() {
            kb.from = bump.from.clone();
        }
        for pr in &e.prs {
            if !kept.prs.contains(pr) {
                kept.prs.push(*pr);
            }
        }
        absorbed[i] = true;
    }
    let mut i = 0;
    out.retain(|_| {
        i += 1;
        !absorbed[i - 1]
    });
    for e in &mut out {
        if let Some(b) = &e.bump {
            if b.count > 1 {
                e.description = match &b.from {
                    Some(from) => format!(
                        "bump {} from {from} to {} ({} updates)",
                        b.name, b.to, b.count
                    ),
                    None => format!("bump {} to {} ({} updates)", b.name, b.to, b.count),
                };
            }
        }
    }
    out
}

/// Render the notes as Markdown, within `input.max_chars` when set.
pub fn render(commits: &[CommitInfo], input: &NotesInput) -> String {
    let mut notes = Notes::new(&input.config);
    for c in commits {
        notes.push(c);
    }
    notes.render(input)
}

/// The Markdown of `entries` within `input.max_chars`. Only the lengths of
/// the lines are kept while choosing how many entries fit; the lines kept
/// are rendered again at the end, so memory follows what is shown, not the
/// range.
fn render_entries(entries: Vec<Entry>, input: &NotesInput) -> String {
    let compare = compare_link(input);
    if entries.is_empty() {
        let none = match &input.previous_tag {
            Some(_) => "_No changes since the previous release._\n",
            None => "_No changes._\n",
        };
        return format!("{none}{compare}");
    }
    // Entries in print order, as (index, group, characters of its line).
    let mut ordered: Vec<(usize, Group, usize)> = Vec::with_capacity(entries.len());
    for group in Group::ALL {
        for (i, e) in entries.iter().enumerate().filter(|(_, e)| e.group == group) {
            let chars = render_entry(e, input.links.as_ref()).chars().count();
            ordered.push((i, group, chars));
        }
    }
    // Characters of `sections(&ordered[..keep])` for every `keep`.
    let mut body_chars = Vec::with_capacity(ordered.len() + 1);
    body_chars.push(0usize);
    let mut current: Option<Group> = None;
    for &(_, group, chars) in &ordered {
        let mut n = body_chars[body_chars.len() - 1];
        if current != Some(group) {
            if current.is_some() {
                n += 1;
            }
            n += "### ".len() + group.title().chars().count() + 2;
            current = Some(group);
        }
        body_chars.push(n + chars + 1);
    }
    let compare_chars = compare.chars().count();
    let limit = input.max_chars.unwrap_or(usize::MAX);
    let mut keep = ordered.len();
    loop {
        let body = body_chars[keep];
        let left_out = ordered.len() - keep;
        let tail = left_out_line(left_out);
        let total = body + tail.chars().count() + compare_chars;
        if total <= limit || keep == 0 {
            let items: Vec<(Group, String)> = ordered[..keep]
                .iter()
                .map(|&(i, g, _)| (g, render_entry(&entries[i], input.links.as_ref())))
                .collect();
            return format!("{}{tail}{compare}", sections(&items));
        }
        // Drop whole entries from the end (the least important sections
        // first), several at a time when far over the limit.
        let over = total - limit;
        let avg = (body / keep.max(1)).max(1);
        keep = keep.saturating_sub((over / avg).max(1));
    }
}

/// The line saying how many entries were cut (empty when none).
fn left_out_line(left_out: usize) -> String {
    if left_out == 0 {
        String::new()
    } else {
        format!(
            "\n_{} change{} not listed here (the notes are cut to fit GitHub's size \
             limit); see the full changelog._\n",
            crate::text::more_line(left_out),
            if left_out == 1 { "" } else { "s" }
        )
    }
}

fn compare_link(input: &NotesInput) -> String {
    match (&input.links, &input.previous_tag, &input.tag) {
        (Some(links), Some(prev), Some(tag)) => format!(
            "\n**Full changelog**: [{}...{}]({}/compare/{}...{})\n",
            escape_markdown(prev),
            escape_markdown(tag),
            links.base(),
            segment(prev),
            segment(tag)
        ),
        _ => String::new(),
    }
}

/// The rendering before [`render_entries`] (every line kept while cutting):
/// the reference its tests compare with.
#[cfg(test)]
fn render_reference(commits: &[CommitInfo], input: &NotesInput) -> String {
    let entries = entries_with(commits, &input.config);
    let compare = compare_link(input);
    if entries.is_empty() {
        let none = match &input.previous_tag {
            Some(_) => "_No changes since the previous release._\n",
            None => "_No changes._\n",
        };
        return format!("{none}{compare}");
    }
    // Entries in print order, each rendered once.
    let mut ordered: Vec<(Group, String)> = Vec::with_capacity(entries.len());
    for group in Group::ALL {
        for e in entries.iter().filter(|e| e.group == group) {
            ordered.push((group, render_entry(e, input.links.as_ref())));
        }
    }
    let limit = input.max_chars.unwrap_or(usize::MAX);
    let mut keep = ordered.len();
    loop {
        let body = sections(&ordered[..keep]);
        let left_out = ordered.len() - keep;
        let tail = if left_out == 0 {
            String::new()
        } else {
            format!(
                "\n_{} change{} not listed here (the notes are cut to fit GitHub's size \
                 limit); see the full changelog._\n",
                crate::text::more_line(left_out),
                if left_out == 1 { "" } else { "s" }
            )
        };
        let text = format!("{body}{tail}{compare}");
        if text.chars().count() <= limit || keep == 0 {
            return text;
        }
        // Drop whole entries from the end (the least important sections
        // first), several at a time when far over the limit.
        let over = text.chars().count() - limit;
        let avg = (body.chars().count() / keep.max(1)).max(1);
        keep = keep.saturating_sub((over / avg).max(1));
    }
}

fn sections(items: &[(Group, String)]) -> String {
    let mut out = String::new();
    let mut current: Option<Group> = None;
    for (group, line) in items {
        if current != Some(*group) {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&format!("### {}\n\n", group.title()));
            current = Some(*group);
        }
        out.push_str(line);
        out.push('\n');
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
        if c == '@' {
            // `@user` and `@org/team` would notify them: a zero-width space
            // (as an entity, so it survives editors) breaks the mention and
            // reads the same.
            out.push_str("&#8203;");
        }
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
    fn lean_rendering_is_the_same_as_the_reference() {
        // A range with every kind of entry: groups, scopes, PRs, breaking
        // footers, bumps collapsed, reverts (by SHA and by subject), merges,
        // release preparations, Markdown to escape.
        let kinds = [
            "feat",
            "fix",
            "chore",
            "docs",
            "perf",
            "feat(api)!",
            "refactor",
            "odd",
        ];
        let mut commits = Vec::new();
        for n in 0..240u32 {
            let b = (n % 251) as u8;
            let subject = match n % 13 {
                0 => format!("Bump serde from 1.0.{n} to 1.0.{}", n + 1),
                1 => format!("chore(deps): bump tokio from 1.{n} to 1.{}", n + 1),
                2 => format!("Revert \"fix: change {}\"", n + 2),
                3 => "chore(release): prepare for v1.3.0".to_string(),
                4 => format!(
                    "{}: *emphasis* [link](x) @team change {n} (#{n})",
                    kinds[n as usize % 8]
                ),
                _ => format!("{}: change {n}", kinds[n as usize % 8]),
            };
            let body = if n % 11 == 0 {
                "BREAKING CHANGE: a footer\nthat runs on".to_string()
            } else {
                String::new()
            };
            commits.push(commit(b, &subject, &body, if n % 17 == 0 { 2 } else { 1 }));
        }
        let links = Links {
            server: "https://github.com".into(),
            repo: "acme/web".into(),
        };
        for (links, prev) in [(None, None), (Some(links), Some("v1.0.0".to_string()))] {
            for max in [
                None,
                Some(0),
                Some(50),
                Some(300),
                Some(1000),
                Some(2500),
                Some(7000),
                Some(20_000),
            ] {
                let input = NotesInput {
                    links: links.clone(),
                    tag: Some("v2.0.0".into()),
                    previous_tag: prev.clone(),
                    config: NotesConfig::default(),
                    max_chars: max,
                };
                for k in [0, 1, 5, 60, commits.len()] {
                    assert_eq!(
                        render(&commits[..k], &input),
                        render_reference(&commits[..k], &input),
                        "{k} commits, max {max:?}"
                    );
                }
            }
        }
        // The builder is the same as the slice.
        let mut notes = Notes::new(&NotesConfig::default());
        for c in &commits {
            notes.push(c);
        }
        assert_eq!(notes.entries(), entries(&commits));
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
                subject: "Notes: the streamed rendering",
                body: "",
                want: None,
            },
            Case {
                subject: "WIP: half done",
                body: "",
                want: None,
            },
            Case {
                subject: "Merge: two branches",
                body: "",
                want: None,
            },
            Case {
                subject: "FIX: shouting known type",
                body: "",
                want: Some(("fix", None, false, "shouting known type")),
            },
            Case {
                subject: "notes(render)!: lower-case unknown type",
                body: "",
                want: Some(("notes", Some("render"), true, "lower-case unknown type")),
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
            ..Default::default()
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

    fn titles(text: &str) -> Vec<&str> {
        text.lines()
            .filter_map(|l| l.strip_prefix("### "))
            .collect()
    }

    #[test]
    fn footers_end_at_the_next_token() {
        let c = commit(
            1,
            "feat!: remove legacy flag",
            "BREAKING CHANGE: --legacy is gone\nCo-authored-by: Name <name@example.com>",
            1,
        );
        let text = render(&[c], &NotesInput::default());
        assert!(
            text.contains("- remove legacy flag — --legacy is gone (`0101010`)"),
            "{text}"
        );
        assert!(!text.contains("example.com"), "{text}");
        assert!(!text.contains("Co-authored"), "{text}");
        assert_eq!(
            footers(
                "Reviewed-by: Z\nRefs #133\nBREAKING CHANGE: a\nmultiline value\n\nnot a footer"
            ),
            vec![
                ("Reviewed-by".to_string(), "Z".to_string()),
                ("Refs".to_string(), "133".to_string()),
                (
                    "BREAKING CHANGE".to_string(),
                    "a multiline value".to_string()
                ),
            ]
        );
    }

    #[test]
    fn reverts_are_shown_and_undo_their_change() {
        let newest_first = vec![
            commit(3, "revert: feat(api): temporary endpoint", "", 1),
            commit(2, "fix: keep this", "", 1),
            commit(1, "feat(api): temporary endpoint", "", 1),
        ];
        let text = render(&newest_first, &NotesInput::default());
        assert_eq!(titles(&text), ["Fixes", "Reverts"], "{text}");
        assert_eq!(text.matches("temporary endpoint").count(), 1, "{text}");

        // git's own message, matched by SHA.
        let reverted = commit(4, "feat: shiny", "", 1);
        let sha = reverted.sha.clone();
        let git_revert = commit(
            5,
            "Revert \"feat: shiny\"",
            &format!("This reverts commit {sha}."),
            1,
        );
        let text = render(&[git_revert, reverted], &NotesInput::default());
        assert_eq!(titles(&text), ["Reverts"], "{text}");
        assert!(text.contains("- feat: shiny"), "{text}");

        // A revert of something outside the range is still listed, as a revert.
        let text = render(
            &[commit(
                6,
                "Revert \"fix: old\"",
                "This reverts commit 1234567.",
                1,
            )],
            &NotesInput::default(),
        );
        assert_eq!(titles(&text), ["Reverts"], "{text}");
    }

    #[test]
    fn every_common_type_has_its_group() {
        let commits: Vec<CommitInfo> = [
            "refactor: a",
            "style: b",
            "test: c",
            "chore: d",
            "ci: e",
            "build: f",
            "docs: g",
            "perf: h",
            "fix: i",
            "feat: j",
            "weird: k",
            "Notes: the streamed rendering",
            "no convention",
        ]
        .iter()
        .enumerate()
        .map(|(i, s)| commit(i as u8 + 1, s, "", 1))
        .collect();
        let text = render(&commits, &NotesInput::default());
        assert_eq!(
            titles(&text),
            [
                "Features",
                "Fixes",
                "Performance",
                "Refactor",
                "Documentation",
                "Styling",
                "Tests",
                "Build",
                "CI",
                "Chores",
                "Other"
            ]
        );
        assert!(
            text.contains("- k ("),
            "the type of an unknown kind is dropped in Other: {text}"
        );
        assert!(
            text.contains("- Notes: the streamed rendering ("),
            "a capitalized word before a colon is not a type: {text}"
        );
    }

    #[test]
    fn dependency_bumps_collapse_and_release_preparation_is_left_out() {
        let commits = vec![
            commit(1, "chore(release): prepare for v1.3.0", "", 1),
            commit(2, "build(deps): bump serde from 1.0.2 to 1.0.3 (#9)", "", 1),
            commit(3, "chore(deps): update rust crate tokio to v1.40.0", "", 1),
            commit(4, "build(deps): bump serde from 1.0.1 to 1.0.2 (#8)", "", 1),
            commit(5, "Release v1.2.1", "", 1),
            commit(6, "build(deps): bump regex from 1.9 to 1.10", "", 1),
        ];
        let text = render(&commits, &NotesInput::default());
        assert!(
            text.contains("bump serde from 1.0.1 to 1.0.3 (2 updates) (#9, #8)"),
            "{text}"
        );
        assert!(
            text.contains("update rust crate tokio to v1.40.0"),
            "{text}"
        );
        assert!(text.contains("bump regex from 1.9 to 1.10 ("), "{text}");
        assert!(!text.contains("prepare"), "{text}");
        assert!(!text.contains("Release v1.2.1"), "{text}");
        assert!(is_release_preparation("chore: release v2.0.0"));
        assert!(is_release_preparation("bump version to 0.4.1"));
        assert!(!is_release_preparation(
            "feat: release notes for v2 screens"
        ));
    }

    #[test]
    fn notes_fit_githubs_limit_with_whole_entries_and_the_compare_link() {
        let commits: Vec<CommitInfo> = (0..1000u32)
            .map(|i| {
                let mut c = commit(
                    1,
                    &format!(
                        "fix: an ordinary change number {i} with a fairly usual subject line that says what it does in a few words (#{})",
                        1000 + i
                    ),
                    "",
                    1,
                );
                c.sha = format!("{i:040x}");
                c
            })
            .collect();
        let input = NotesInput {
            links: Some(Links {
                server: "https://github.com".into(),
                repo: "acme/web".into(),
            }),
            tag: Some("v2.0.0".into()),
            previous_tag: Some("v1.0.0".into()),
            max_chars: Some(GITHUB_RELEASE_BODY_MAX),
            ..Default::default()
        };
        let unlimited = render(
            &commits,
            &NotesInput {
                max_chars: None,
                ..input.clone()
            },
        );
        assert!(
            unlimited.chars().count() > GITHUB_RELEASE_BODY_MAX,
            "the case must need a cut"
        );
        let text = render(&commits, &input);
        assert!(text.chars().count() <= GITHUB_RELEASE_BODY_MAX);
        assert!(
            text.contains("more changes not listed here"),
            "{}",
            &text[text.len() - 400..]
        );
        assert!(text.ends_with("compare/v1.0.0...v2.0.0)\n"));
        // Every listed line is a whole entry.
        for line in text.lines().filter(|l| l.starts_with("- ")) {
            assert!(line.ends_with(") by Dev 1"), "{line}");
        }
        let listed = text.lines().filter(|l| l.starts_with("- ")).count();
        assert!(text.contains(&format!("and {} more changes", 1000 - listed)));
    }

    #[test]
    fn mentions_never_ping() {
        let commits = vec![
            commit(1, "feat: support @schema decorator", "", 1),
            commit(2, "fix: cc @acme/platform-team", "", 1),
        ];
        let text = render(&commits, &NotesInput::default());
        assert!(!text.contains("@schema"), "{text}");
        assert!(!text.contains("@acme"), "{text}");
        assert!(text.contains("@&#8203;schema"), "{text}");
        assert_eq!(escape_markdown("mail a@b.c"), "mail a@&#8203;b.c");
    }

    #[test]
    fn notes_config_moves_and_skips_types() {
        let table: toml::Table =
            toml::from_str("skip_types = [\"chore\"]\n[types]\ndeps = \"Build\"\n").unwrap();
        let config = NotesConfig::from_table(&table).unwrap();
        let commits = vec![
            commit(1, "chore: tidy", "", 1),
            commit(2, "deps: serde 1.0.3", "", 1),
            commit(3, "chore!: drop x", "", 1),
        ];
        let text = render(
            &commits,
            &NotesInput {
                config,
                ..Default::default()
            },
        );
        assert_eq!(titles(&text), ["Breaking changes", "Build"], "{text}");
        let bad: toml::Table = toml::from_str("[types]\ndeps = \"Deps\"\n").unwrap();
        let err = NotesConfig::from_table(&bad).unwrap_err();
        assert!(err.contains("\"Deps\", which is not a section"), "{err}");
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
